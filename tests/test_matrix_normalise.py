"""Per-sample normalisation steps of the matrix pipeline: exact values on tiny matrices."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from biodl.config import PreprocessStep
from biodl.encode.matrix import FittedPipeline, fit_pipeline
from biodl.errors import InputError

FEATURES = ["a", "b", "c"]


def test_center_samples_subtracts_each_samples_mean() -> None:
    X = np.array([[1.0, 2.0, 6.0], [10.0, 10.0, 10.0]])
    fitted = fit_pipeline(X, FEATURES, ["center_samples"])
    assert fitted.transform(X, FEATURES).tolist() == [[-2.0, -1.0, 3.0], [0.0, 0.0, 0.0]]
    # a new sample uses only its own mean
    assert fitted.transform(np.array([[0.0, 3.0, 3.0]]), FEATURES).tolist() == [[-2.0, 1.0, 1.0]]


def test_scale_samples_divides_by_each_samples_sd() -> None:
    X = np.array([[1.0, 2.0, 3.0], [4.0, 4.0, 4.0], [0.0, 2.0, 10.0]])
    out = fit_pipeline(X, FEATURES, ["scale_samples"]).transform(X, FEATURES)
    # row 1: mean 2, SD (ddof 1) 1; row 2 constant: SD taken as 1; row 3: mean 4, SD sqrt(28)
    np.testing.assert_allclose(out[0], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(out[1], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(out[2], np.array([-4.0, -2.0, 6.0]) / np.sqrt(28.0), rtol=1e-6)


def test_scale_samples_ignores_missing_values() -> None:
    X = np.array([[1.0, np.nan, 3.0], [2.0, 4.0, 6.0]])
    fitted = fit_pipeline(X, FEATURES, ["scale_samples"])
    out = fitted.transform(X, FEATURES)
    # row 1: mean 2, SD sqrt(2); the missing value is filled with the training mean of b
    np.testing.assert_allclose(out[0, [0, 2]], [-1 / np.sqrt(2), 1 / np.sqrt(2)], rtol=1e-6)
    assert out[0, 1] == pytest.approx(0.0)


def test_quantile_reference_is_the_mean_of_sorted_training_samples() -> None:
    X = np.array([[5.0, 2.0, 3.0], [4.0, 1.0, 6.0]])
    fitted = fit_pipeline(X, FEATURES, ["quantile"])
    assert fitted.steps[0]["reference"] == [1.5, 3.5, 5.5]
    assert fitted.transform(X, FEATURES).tolist() == [[5.5, 1.5, 3.5], [3.5, 1.5, 5.5]]
    # a new sample is mapped by its own ranks; tied values share the mean of their
    # ranks' reference values ((3.5 + 5.5) / 2)
    new = np.array([[10.0, 10.0, 0.0], [100.0, 200.0, 300.0]])
    assert fitted.transform(new, FEATURES).tolist() == [[4.5, 4.5, 1.5], [1.5, 3.5, 5.5]]


def test_quantile_is_fitted_on_training_rows_only_and_round_trips() -> None:
    train = np.array([[5.0, 2.0, 3.0], [4.0, 1.0, 6.0]])
    fitted = fit_pipeline(train, FEATURES, ["quantile"])
    again = FittedPipeline.from_json(fitted.to_json())
    assert again.steps[0]["reference"] == [1.5, 3.5, 5.5]
    # transforming a batch sample by sample or together gives the same values: no sample
    # influences another
    new = np.array([[7.0, -1.0, 0.5], [0.0, 0.0, 9.0]])
    together = again.transform(new, FEATURES)
    alone = np.vstack([again.transform(row[None, :], FEATURES) for row in new])
    assert together.tolist() == alone.tolist() == [[5.5, 1.5, 3.5], [2.5, 2.5, 5.5]]


def test_quantile_with_missing_values_interpolates_the_reference() -> None:
    X = np.array([[1.0, 2.0, 3.0], [np.nan, 0.0, 4.0]])
    fitted = fit_pipeline(X, FEATURES, ["quantile"])
    # row 2's two values stretched over three quantiles: [0, 2, 4]; mean with [1, 2, 3]
    assert fitted.steps[0]["reference"] == [0.5, 2.0, 3.5]
    out = fitted.transform(np.array([[np.nan, 5.0, 1.0]]), FEATURES)
    # two present values: ranks 1 and 0 of 2 -> the reference's ends; the missing a is
    # filled with its training mean after the step (only row 1 has a: 0.5)
    assert out.tolist() == [[0.5, 3.5, 0.5]]


def test_per_sample_step_before_selection_needs_every_feature() -> None:
    X = np.array([[1.0, 2.0, 9.0, 4.0], [2.0, 3.0, 1.0, 5.0], [1.0, 8.0, 2.0, 4.0]])
    names = ["a", "b", "c", "d"]
    fitted = fit_pipeline(X, names, ["center_samples", {"variance": {"top": 1}}])
    assert fitted.features_out == ["c"]
    assert fitted.features_needed() == names
    # c minus the mean of all four features, not of c alone
    assert fitted.transform(np.array([[0.0, 0.0, 8.0, 0.0]]), names).tolist() == [[6.0]]
    with pytest.raises(InputError, match="1 of the 4 features"):
        fitted.transform(np.array([[0.0, 0.0, 8.0]]), ["a", "b", "c"])
    # per-feature pipelines still need only the features they keep
    plain = fit_pipeline(X, names, [{"variance": {"top": 1}}])
    assert plain.features_needed() == ["c"]


def test_config_accepts_the_per_sample_steps() -> None:
    assert PreprocessStep.model_validate("center_samples").as_spec() == {"center_samples": {}}
    assert PreprocessStep.model_validate("scale_samples").as_spec() == {"scale_samples": {}}
    assert PreprocessStep.model_validate({"quantile": None}).as_spec() == {"quantile": {}}
    with pytest.raises(ValidationError, match="quantile"):
        PreprocessStep.model_validate({"quantile": {}, "log1p": {}})
    with pytest.raises(ValidationError):
        PreprocessStep.model_validate({"quantile": {"reference": [1.0]}})


def test_a_constant_clipped_feature_scores_zero_not_infinity() -> None:
    from biodl.encode.matrix import f_statistic, welch_t

    c = float(np.log2(20.0))  # every sample at the clip floor: the class means differ
    X = np.full((18, 2), c)  # from the grand mean by rounding only (-8.9e-16 for 1 of 18)
    X[:, 1] = np.arange(18) % 3
    labels = ["a"] + ["b"] * 17
    assert f_statistic(X, labels)[0] == 0.0
    assert welch_t(X, ["a"] * 9 + ["b"] * 9)[0] == 0.0
    # a perfect separator still scores infinity
    assert f_statistic(np.array([[0.0], [0.0], [1.0], [1.0]]), ["a", "a", "b", "b"])[0] == np.inf
