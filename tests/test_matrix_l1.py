"""``select: {method: l1, k}``: L1-penalised logistic regression selection."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from biodl.config import PreprocessStep
from biodl.encode.matrix import (
    FittedPipeline,
    f_statistic,
    fit_pipeline,
    l1_scores,
    normalise_steps,
)

GENES = [f"g{j}" for j in range(40)]


def _planted(n: int = 60, seed: int = 0, classes: int = 2) -> tuple[np.ndarray, list[str]]:
    """Noise with the class signal planted in g3, g17 and g31 (different scales)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    X = rng.normal(size=(n, len(GENES)))
    for c, (j, scale) in enumerate(((3, 1.0), (17, 10.0), (31, 0.1))):
        signal = y == c % classes if classes > 2 else y == 1
        X[:, j] = scale * (X[:, j] + 2.5 * signal)
    return X, [f"c{v}" for v in y]


def _spec(k: int, **extra: float) -> list[dict[str, object]]:
    return [PreprocessStep.model_validate({"select": {"method": "l1", "k": k, **extra}}).as_spec()]


def test_l1_keeps_the_three_planted_genes() -> None:
    X, y = _planted()
    fitted = fit_pipeline(X, GENES, _spec(3, C=0.1), labels=y)
    assert fitted.features_out == ["g3", "g17", "g31"]
    assert fitted.steps[0]["keep"] == [3, 17, 31]
    # the state is plain JSON and reads back to the same selection
    state = json.loads(json.dumps(fitted.to_json()))
    back = FittedPipeline.from_json(state)
    assert back.features_out == ["g3", "g17", "g31"]
    assert back.steps[0]["method"] == "l1"
    assert back.steps[0]["C"] == 0.1
    np.testing.assert_array_equal(back.transform(X, GENES), X[:, [3, 17, 31]].astype(np.float32))


def test_l1_multiclass_uses_the_largest_coefficient_over_classes() -> None:
    X, y = _planted(n=90, classes=3)
    fitted = fit_pipeline(X, GENES, _spec(3), labels=y)
    assert fitted.features_out == ["g3", "g17", "g31"]


def test_l1_is_deterministic_and_breaks_zero_ties_by_f() -> None:
    X, y = _planted(seed=1)
    runs = [fit_pipeline(X, GENES, _spec(10, C=0.05), labels=y).to_json() for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    # k above the non-zero coefficients: the planted genes first, the rest by F
    coef = l1_scores(X, y, C=0.05)
    assert int((coef > 0).sum()) < 10
    keep = runs[0]["steps"][0]["keep"]
    assert {3, 17, 31} <= set(keep)
    assert len(keep) == 10
    f = f_statistic(X, y)
    nonzero = set(np.flatnonzero(coef > 0).tolist())
    zeros = [j for j in np.argsort(-f, kind="stable").tolist() if j not in nonzero]
    assert set(keep) == nonzero | set(zeros[: 10 - len(nonzero)])


def test_l1_fits_on_the_training_rows_only() -> None:
    X, y = _planted()
    # on the first 40 rows alone; the other rows' values cannot change it
    fitted = fit_pipeline(X[:40], GENES, _spec(3, C=0.1), labels=y[:40])
    noisy = X.copy()
    noisy[40:] = np.random.default_rng(5).normal(size=(20, len(GENES))) * 100
    again = fit_pipeline(noisy[:40], GENES, _spec(3, C=0.1), labels=y[:40])
    assert fitted.to_json() == again.to_json()


def test_config_validation() -> None:
    step = PreprocessStep.model_validate({"select": {"method": "l1", "k": 5}})
    assert step.as_spec() == {"select": {"method": "l1", "k": 5}}
    assert normalise_steps([step.as_spec()]) == [{"step": "select", "method": "l1", "k": 5}]
    with_c = PreprocessStep.model_validate({"select": {"method": "l1", "k": 5, "C": 0.5}})
    assert with_c.as_spec() == {"select": {"method": "l1", "k": 5, "C": 0.5}}
    # C only with l1, and positive
    with pytest.raises(ValidationError, match="'C' is an option of method: l1"):
        PreprocessStep.model_validate({"select": {"method": "f_test", "k": 5, "C": 0.5}})
    with pytest.raises(ValidationError, match="'C' is an option of method: l1"):
        PreprocessStep.model_validate({"select": {"k": 5, "C": 0.5}})
    with pytest.raises(ValidationError):
        PreprocessStep.model_validate({"select": {"method": "l1", "k": 5, "C": 0}})
    with pytest.raises(ValidationError):
        PreprocessStep.model_validate({"select": {"method": "lasso", "k": 5}})
