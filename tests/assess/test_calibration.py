"""Calibration: ECE by hand, reliability points, temperature scaling recovers T."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from biodl.assess.calibration import (
    brier_score,
    calibration,
    expected_calibration_error,
    fit_temperature,
    reliability,
)
from biodl.assess.types import AssessInputs, SplitView
from biodl.testing.assess_models import known_probability_logits


def _view(logits: np.ndarray, y: np.ndarray) -> SplitView:
    ids = tuple(map(str, range(len(y))))
    return SplitView(ids=ids, sequences=("ACGT",) * len(y), y=y, logits=logits)


def _inputs(
    task: str,
    valid: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    outputs: tuple[str, ...] = ("1",),
) -> AssessInputs:
    splits = {"valid": _view(*valid), "test": _view(*test)}
    return AssessInputs(task, "dna", outputs, splits)


def test_ece_equals_a_hand_computed_value() -> None:
    p = np.array([0.05, 0.15, 0.12, 0.55, 0.58, 0.95])
    y = np.array([0, 1, 0, 1, 1, 1])
    # bins: [0,.1): p .05 y 0 -> |0 - .05| * 1; [.1,.2): p .135 y .5 -> |.5 - .135| * 2
    #       [.5,.6): p .565 y 1 -> |1 - .565| * 2; [.9,1]: p .95 y 1 -> .05 * 1
    expected = (0.05 + 2 * 0.365 + 2 * 0.435 + 0.05) / 6
    assert expected_calibration_error(p, y, n_bins=10) == pytest.approx(expected)
    r = reliability(p, y, n_bins=10)
    assert r["count"] == [1, 2, 0, 0, 0, 2, 0, 0, 0, 1]
    assert r["accuracy"][1] == 0.5
    assert r["accuracy"][2] is None
    assert r["confidence"][5] == pytest.approx(0.565)
    assert brier_score(p, y) == pytest.approx(np.mean((p - y) ** 2))


def test_probability_one_falls_in_the_last_bin() -> None:
    assert reliability([1.0, 0.0], [1, 0], n_bins=4)["count"] == [1, 0, 0, 1]
    assert expected_calibration_error([1.0, 0.0], [1, 0]) == 0.0


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 50), elements=st.floats(0, 1)), st.integers(1, 20))
def test_ece_is_between_0_and_1_and_bounded_by_the_mean_gap(p: np.ndarray, n_bins: int) -> None:
    y = (p > 0.5).astype(float)
    ece = expected_calibration_error(p, y, n_bins=n_bins)
    assert 0.0 <= ece <= np.mean(np.abs(p - y)) + 1e-12


def test_an_overconfident_model_is_red_and_temperature_recovers_ten() -> None:
    valid = known_probability_logits(4000, scale=10.0, seed=1)
    test = known_probability_logits(4000, scale=10.0, seed=2)
    assert fit_temperature(*valid, "binary") == pytest.approx(10.0, rel=0.1)
    item = calibration(_inputs("binary", valid, test))
    assert item.flag == "red"
    assert item.values["ece"] > 0.1
    assert item.values["temperature"] == pytest.approx(10.0, rel=0.1)
    assert item.values["after"]["ece"] < 0.03
    assert item.values["after"]["brier"] < item.values["brier"]
    assert item.values["reliability"]["1"]["count"][0] > 0


def test_a_calibrated_model_is_green_with_temperature_near_one() -> None:
    valid = known_probability_logits(4000, seed=3)
    test = known_probability_logits(4000, seed=4)
    item = calibration(_inputs("binary", valid, test))
    assert item.flag == "green"
    assert item.values["temperature"] == pytest.approx(1.0, abs=0.1)


def test_multiclass_uses_the_top_label_and_fits_one_temperature() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, size=(3000, 3))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p], dtype=float).reshape(-1, 1)
    assert fit_temperature(4 * z, y, "multiclass") == pytest.approx(4.0, rel=0.1)
    item = calibration(_inputs("multiclass", (4 * z, y), (4 * z, y), ("a", "b", "c")))
    assert list(item.values["ece_per_output"]) == ["top label"]
    assert item.values["after"]["ece"] < item.values["ece"]


def test_multilabel_skips_missing_targets_per_output() -> None:
    z, y = known_probability_logits(2000, seed=5)
    z2 = np.hstack([z, 3 * z])
    y2 = np.hstack([y, y])
    y2[:100, 1] = np.nan
    item = calibration(_inputs("multilabel", (z2, y2), (z2, y2), ("a", "b")))
    assert set(item.values["ece_per_output"]) == {"a", "b"}
    assert sum(item.values["reliability"]["b"]["count"]) == 1900
    assert item.values["ece_per_output"]["b"] > item.values["ece_per_output"]["a"]


def test_regression_is_not_assessed_and_temperature_refuses_it() -> None:
    z, y = known_probability_logits(10, seed=0)
    assert calibration(_inputs("regression", (z, y), (z, y))).flag == "not_assessed"
    with pytest.raises(ValueError, match="classification"):
        fit_temperature(z, y, "regression")


def test_without_valid_no_temperature_is_fitted() -> None:
    z, y = known_probability_logits(500, seed=0)
    inputs = AssessInputs("binary", "dna", ("1",), {"test": _view(z, y)})
    item = calibration(inputs)
    assert item.values["temperature"] is None
    assert "after" not in item.values
