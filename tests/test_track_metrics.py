"""Per-track metrics of coverage and profile predictions (:func:`biodl.metrics.track_metrics`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import pearsonr, spearmanr

from biodl.metrics import track_metrics


def _v(m: dict[str, dict[str, Any]], key: str) -> Any:
    return m[key]["value"]


def test_pooled_correlations_equal_scipy_and_missing_bins_are_left_out() -> None:
    rng = np.random.default_rng(0)
    y = rng.poisson(4.0, size=(6, 2, 8)).astype(np.float64)
    p = y + rng.normal(scale=2.0, size=y.shape)
    y[0, 1, :3] = np.nan
    y[4, 1, :] = np.nan
    m = track_metrics(y, p, outputs=["u", "v"])
    for t, name in enumerate(["u", "v"]):
        seen = ~np.isnan(y[:, t])
        yv, pv = y[:, t][seen], p[:, t][seen]
        assert _v(m, f"pearson[{name}]") == pytest.approx(pearsonr(yv, pv)[0], rel=1e-12)
        assert _v(m, f"spearman[{name}]") == pytest.approx(spearmanr(yv, pv)[0], rel=1e-12)
        want_log = np.corrcoef(np.log1p(yv), np.log1p(np.maximum(pv, 0)))[0, 1]
        assert _v(m, f"log_pearson[{name}]") == pytest.approx(want_log, rel=1e-12)
        assert _v(m, f"mse[{name}]") == pytest.approx(np.mean((yv - pv) ** 2), rel=1e-12)
        assert _v(m, f"n[{name}]") == seen.sum()
    assert _v(m, "n[v]") == 6 * 8 - 3 - 8
    assert _v(m, "mean_pearson") == pytest.approx((_v(m, "pearson[u]") + _v(m, "pearson[v]")) / 2)
    assert _v(m, "n") == 6
    assert m["pearson[u]"]["ci"] is None


def test_window_correlations_average_over_windows_and_skip_constant_ones() -> None:
    y = np.array(
        [
            [[0.0, 1.0, 2.0, 3.0]],  # r = 1 with the prediction
            [[3.0, 2.0, 1.0, 0.0]],  # r = -1
            [[5.0, 5.0, 5.0, 5.0]],  # constant truth: skipped
            [[1.0, 2.0, 3.0, 4.0]],  # constant prediction: skipped
            [[1.0, np.nan, 4.0, 2.0]],  # monotone over the observed bins: rho = 1
        ]
    )
    p = np.array(
        [
            [[1.0, 3.0, 5.0, 7.0]],
            [[0.0, 1.0, 2.0, 3.0]],
            [[1.0, 2.0, 3.0, 4.0]],
            [[2.0, 2.0, 2.0, 2.0]],
            [[0.0, 100.0, 9.0, 1.0]],
        ]
    )
    m = track_metrics(y, p, outputs=["t"])
    r_last = np.corrcoef([1.0, 4.0, 2.0], [0.0, 9.0, 1.0])[0, 1]
    assert _v(m, "window_pearson[t]") == pytest.approx((1.0 - 1.0 + r_last) / 3, rel=1e-12)
    assert _v(m, "window_spearman[t]") == pytest.approx((1.0 - 1.0 + 1.0) / 3, rel=1e-12)
    assert _v(m, "mean_window_pearson") == _v(m, "window_pearson[t]")


def test_window_correlations_with_no_usable_window_are_none() -> None:
    y = np.array([[[1.0, 1.0, 1.0]], [[2.0, np.nan, np.nan]]])
    m = track_metrics(y, np.array([[[0.0, 1.0, 2.0]], [[1.0, 2.0, 3.0]]]), outputs=["t"])
    assert m["window_pearson[t]"] == {"value": None, "ci": None}
    assert _v(m, "window_spearman[t]") is None
    assert _v(m, "mean_window_pearson") is None


def test_tied_values_share_their_mean_rank_within_a_window() -> None:
    y = np.array([[[1.0, 1.0, 2.0, 3.0, 3.0, 0.5]]])
    p = np.array([[[0.2, 0.1, 0.4, 0.3, 0.3, 0.9]]])
    m = track_metrics(y, p, outputs=["t"])
    assert _v(m, "window_spearman[t]") == pytest.approx(spearmanr(y[0, 0], p[0, 0])[0])


def test_jsd_is_0_for_proportional_profiles_and_1_for_disjoint_ones() -> None:
    same = track_metrics([[[1.0, 3.0, 0.0]]], [[[2.0, 6.0, 0.0]]], outputs=["t"])
    assert _v(same, "jsd[t]") == 0.0
    disjoint = track_metrics([[[1.0, 0.0]]], [[[0.0, 5.0]]], outputs=["t"])
    assert _v(disjoint, "jsd[t]") == pytest.approx(1.0, rel=1e-15)


def test_jsd_equals_scipy_and_handles_clipping_zero_totals_and_missing_bins() -> None:
    y = np.array(
        [
            [[1.0, 2.0, 3.0, 0.0]],
            [[0.0, 0.0, 0.0, 0.0]],  # no observed total: skipped
            [[2.0, 1.0, np.nan, 1.0]],  # the missing bin is out of both profiles
            [[1.0, 1.0, 2.0, 0.0]],  # zero predicted total: uniform
        ]
    )
    p = np.array(
        [
            [[0.5, -1.0, 2.0, 1.0]],  # the negative prediction counts as 0
            [[1.0, 1.0, 1.0, 1.0]],
            [[1.0, 1.0, 50.0, 2.0]],
            [[0.0, -2.0, 0.0, 0.0]],
        ]
    )
    m = track_metrics(y, p, outputs=["t"])
    want = [
        jensenshannon([1, 2, 3, 0], [0.5, 0.0, 2.0, 1.0], base=2) ** 2,
        jensenshannon([2, 1, 1], [1, 1, 2], base=2) ** 2,
        jensenshannon([1, 1, 2, 0], [1, 1, 1, 1], base=2) ** 2,
    ]
    assert _v(m, "jsd[t]") == pytest.approx(np.mean(want), rel=1e-10)
    assert _v(m, "mean_jsd") == _v(m, "jsd[t]")


def test_count_correlations_are_across_windows_of_log_totals() -> None:
    y = np.array([[[1.0, 2.0]], [[5.0, 5.0]], [[0.0, 0.0]], [[20.0, np.nan]], [[np.nan] * 2]])
    p = np.array([[[2.0, 2.0]], [[4.0, 8.0]], [[0.5, 0.0]], [[10.0, 99.0]], [[3.0, 3.0]]])
    m = track_metrics(y, p, outputs=["t"])
    ty = np.log1p([3.0, 10.0, 0.0, 20.0])  # the window with no observed bin is left out
    tp = np.log1p([4.0, 12.0, 0.5, 10.0])  # over the observed bins only
    assert _v(m, "count_pearson[t]") == pytest.approx(pearsonr(ty, tp)[0], rel=1e-12)
    assert _v(m, "count_spearman[t]") == pytest.approx(0.8)  # ranks 2 3 1 4 vs 2 4 1 3
    assert _v(m, "mean_count_pearson") == _v(m, "count_pearson[t]")
    perfect = track_metrics(y[:2], 3 * y[:2], outputs=["t"])
    assert _v(perfect, "count_spearman[t]") == pytest.approx(1.0)


def test_perfect_and_inverse_predictions() -> None:
    y = np.array([[[0.0, 1.0, 2.0]], [[3.0, 4.0, 5.0]]])
    m = track_metrics(y, y.copy(), outputs=["t"])
    for key in ("pearson", "spearman", "window_pearson", "window_spearman", "log_pearson"):
        assert _v(m, f"{key}[t]") == pytest.approx(1.0, rel=1e-12)
    assert _v(m, "jsd[t]") == 0.0
    assert _v(m, "mse[t]") == 0.0
    assert _v(m, "r2[t]") == 1.0
    inverse = track_metrics(y, 10.0 - y, outputs=["t"])
    assert _v(inverse, "pearson[t]") == pytest.approx(-1.0, rel=1e-12)
    assert _v(inverse, "window_pearson[t]") == pytest.approx(-1.0, rel=1e-12)
    assert _v(inverse, "window_spearman[t]") == pytest.approx(-1.0, rel=1e-12)


def test_a_track_with_nothing_observed_is_left_out_of_the_means() -> None:
    y = np.array([[[1.0, 2.0], [np.nan, np.nan]], [[3.0, 5.0], [np.nan, np.nan]]])
    p = np.array([[[1.0, 2.0], [0.0, 1.0]], [[3.0, 4.0], [2.0, 2.0]]])
    m = track_metrics(y, p, outputs=["a", "b"])
    assert _v(m, "n[b]") == 0
    for key in ("pearson", "jsd", "count_pearson", "mse", "window_pearson"):
        assert _v(m, f"{key}[b]") is None
    assert _v(m, "mean_pearson") == _v(m, "pearson[a]")
    assert _v(m, "mean_rmse") == _v(m, "rmse[a]")


def test_bad_shapes_and_predictions_are_refused() -> None:
    y = np.zeros((2, 1, 3))
    with pytest.raises(ValueError, match=r"shape \(N, 2, B\)"):
        track_metrics(y, y, outputs=["a", "b"])
    with pytest.raises(ValueError, match="differ in shape"):
        track_metrics(y, np.zeros((2, 1, 4)), outputs=["a"])
    with pytest.raises(ValueError, match="finite"):
        track_metrics(y, np.full((2, 1, 3), np.nan), outputs=["a"])
    with pytest.raises(ValueError, match=r"shape \(N, 1, B\)"):
        track_metrics(np.zeros((2, 1)), np.zeros((2, 1)), outputs=["a"])
