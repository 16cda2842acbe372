"""Binary and multi-class classification metrics with percentile-bootstrap intervals.

Pure NumPy: importing this module needs neither torch nor matplotlib. The curve and
score functions reproduce scikit-learn's results (ties in the scores form one threshold
step, zero-weight examples are ignored), and :func:`binary_metrics` computes every metric
with a vectorised bootstrap so that a thousand resamples of 100,000 examples take about
a second. :func:`multiclass_metrics` does the same for class probabilities ``(N, K)``
(a thousand resamples of 3,000 examples of 3 classes in about 0.1 s).

Examples
--------
>>> y = [0, 0, 1, 1]
>>> s = [0.1, 0.4, 0.35, 0.8]
>>> auroc(y, s)
0.75
>>> round(average_precision(y, s), 4)
0.8333
>>> m = binary_metrics(y, s, n_bootstrap=0)
>>> m["auroc"]
{'value': 0.75, 'ci': None}
>>> format_metric({"value": 0.9531, "ci": [0.9412, 0.9648]})
'0.953 [0.941, 0.965]'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "ConfusionCounts",
    "auroc",
    "average_precision",
    "binary_metrics",
    "confusion_counts",
    "fmax",
    "format_metric",
    "mcc",
    "multiclass_metrics",
    "multilabel_metrics",
    "precision_recall_curve",
    "regression_metrics",
    "roc_curve",
    "track_metrics",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Resamples are processed in chunks of about this many examples, small enough for the
#: CPU caches (larger chunks are several times slower).
_CHUNK_ELEMENTS = 1 << 17

_REAL = (int, float, np.integer, np.floating)


class ConfusionCounts(NamedTuple):
    """Weighted confusion counts, in the order of ``sklearn.metrics.confusion_matrix().ravel()``.

    Attributes
    ----------
    tn, fp, fn, tp
        True negatives, false positives, false negatives and true positives (sums of
        sample weights; plain counts when unweighted).
    """

    tn: float
    fp: float
    fn: float
    tp: float


# --------------------------------------------------------------------------- validation


def _as_1d(values: npt.ArrayLike, name: str) -> npt.NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if arr.dtype != np.bool_ and not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr


def _as_labels(values: npt.ArrayLike, name: str = "y_true") -> BoolArray:
    arr = _as_1d(values, name)
    if arr.dtype == np.bool_:
        return arr.astype(np.bool_, copy=False)
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must contain only 0 and 1; found {arr[i]!r} at index {i}")
    return np.asarray(arr == 1, dtype=np.bool_)


def _as_scores(values: npt.ArrayLike, name: str = "y_score") -> FloatArray:
    arr = _as_1d(values, name).astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite; found {arr[i]!r} at index {i}")
    return arr


def _as_weights(values: npt.ArrayLike | None, n: int) -> FloatArray | None:
    if values is None:
        return None
    arr = _as_scores(values, "sample_weight")
    if arr.shape[0] != n:
        raise ValueError(f"sample_weight has {arr.shape[0]} elements, expected {n}")
    if (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(f"sample_weight must be >= 0; found {arr[i]!r} at index {i}")
    if not arr.any():
        raise ValueError("sample_weight is zero everywhere")
    return arr


def _check_pair(
    y_true: npt.ArrayLike,
    y_other: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    other_name: str,
    *,
    other_is_labels: bool = False,
) -> tuple[BoolArray, npt.NDArray[Any], FloatArray | None]:
    y = _as_labels(y_true)
    other: npt.NDArray[Any] = (
        _as_labels(y_other, other_name) if other_is_labels else _as_scores(y_other, other_name)
    )
    if y.shape[0] != other.shape[0]:
        raise ValueError(
            f"y_true and {other_name} differ in length: {y.shape[0]} != {other.shape[0]}"
        )
    return y, other, _as_weights(sample_weight, y.shape[0])


# --------------------------------------------------------------------------- kernels


def _grouped_counts(
    y: BoolArray, s: FloatArray, w: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Positive and negative weight per distinct score, highest score first.

    Returns ``(thresholds, pos, neg)``, each of shape ``(G,)`` for ``G`` distinct scores.
    """
    uniq, inverse = np.unique(s, return_inverse=True)
    group = (uniq.shape[0] - 1) - inverse.reshape(-1)
    weights = np.ones(y.shape[0]) if w is None else w
    n_groups = uniq.shape[0]
    pos = np.bincount(group, weights=np.where(y, weights, 0.0), minlength=n_groups)
    neg = np.bincount(group, weights=np.where(y, 0.0, weights), minlength=n_groups)
    return uniq[::-1].copy(), pos.astype(np.float64), neg.astype(np.float64)


def _rank_metrics(pos: FloatArray, neg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """AUROC and average precision from per-threshold weights.

    Parameters
    ----------
    pos, neg
        Arrays of shape ``(..., G)``: positive and negative weight at each distinct score,
        highest score first.

    Returns
    -------
    auroc, ap
        Arrays of shape ``(...)``; NaN where undefined (AUROC: one class; AP: no positive).
    """
    tps = np.cumsum(pos, axis=-1)
    fps = np.cumsum(neg, axis=-1)
    p_tot = tps[..., -1]
    n_tot = fps[..., -1]
    # Mann-Whitney: each negative beats no positive scored higher, ties count one half.
    # sum_g neg_g * (positives strictly above g + pos_g / 2) = sum_g neg_g * (2 tps_g - pos_g) / 2
    u2 = np.sum(neg * (2.0 * tps - pos), axis=-1)
    denom = 2.0 * p_tot * n_tot
    auc = np.divide(u2, denom, out=np.full(np.shape(u2), np.nan), where=denom > 0)
    # Step-wise average precision: sum_g (recall_g - recall_{g-1}) * precision_g.
    called = tps + fps
    precision = np.divide(tps, called, out=np.zeros(np.shape(tps)), where=called > 0)
    ap_num = np.sum(pos * precision, axis=-1)
    ap = np.divide(ap_num, p_tot, out=np.full(np.shape(ap_num), np.nan), where=p_tot > 0)
    return auc, ap


def _mcc_from_counts(
    tn: FloatArray | float, fp: FloatArray | float, fn: FloatArray | float, tp: FloatArray | float
) -> FloatArray:
    num = np.multiply(tp, tn) - np.multiply(fp, fn)
    den = np.add(tp, fp).astype(np.float64) * np.add(tp, fn) * np.add(tn, fp) * np.add(tn, fn)
    out = np.zeros(np.shape(num))
    np.divide(num, np.sqrt(den), out=out, where=den > 0)
    return out


def _threshold_metrics(
    tn: FloatArray, fp: FloatArray, fn: FloatArray, tp: FloatArray
) -> dict[str, FloatArray]:
    """Threshold metrics from confusion counts of any shape; NaN where undefined."""

    def ratio(num: FloatArray, den: FloatArray) -> FloatArray:
        out = np.full(np.shape(num), np.nan)
        np.divide(num, den, out=out, where=den > 0)
        return out

    total = tn + fp + fn + tp
    return {
        "accuracy": ratio(tp + tn, total),
        "mcc": _mcc_from_counts(tn, fp, fn, tp),
        "f1": ratio(2.0 * tp, 2.0 * tp + fp + fn),
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "precision": ratio(tp, tp + fp),
    }


def _binary_clf_curve(
    y: BoolArray, s: FloatArray, w: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cumulative false and true positives per distinct threshold, as scikit-learn does."""
    if w is not None:
        keep = w != 0
        y, s, w = y[keep], s[keep], w[keep]
    order = np.argsort(s, kind="mergesort")[::-1]
    s_sorted = s[order]
    y_sorted = y[order].astype(np.float64)
    distinct = np.flatnonzero(np.diff(s_sorted))
    idx = np.r_[distinct, y_sorted.shape[0] - 1]
    if w is None:
        tps = np.cumsum(y_sorted, dtype=np.float64)[idx]
        fps = 1.0 + idx - tps
    else:
        w_sorted = w[order]
        tps = np.cumsum(y_sorted * w_sorted, dtype=np.float64)[idx]
        fps = np.cumsum((1.0 - y_sorted) * w_sorted, dtype=np.float64)[idx]
    return fps, tps, s_sorted[idx]


# --------------------------------------------------------------------------- public API


def roc_curve(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None = None,
    *,
    drop_intermediate: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Receiver operating characteristic curve, identical to ``sklearn.metrics.roc_curve``.

    Parameters
    ----------
    y_true
        Labels 0/1, shape ``(N,)``.
    y_score
        Scores, shape ``(N,)``; higher means more likely positive. Tied scores form one
        threshold.
    sample_weight
        Non-negative weights, shape ``(N,)``, or None for unit weights.
    drop_intermediate
        Drop thresholds that lie on a straight line between their neighbours.

    Returns
    -------
    fpr, tpr, thresholds
        Arrays of shape ``(K,)``. ``thresholds[0]`` is ``inf`` (nothing called positive);
        ``fpr`` (``tpr``) is NaN throughout when there is no negative (positive).

    Examples
    --------
    >>> fpr, tpr, thr = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    y, s, w = _check_pair(y_true, y_score, sample_weight, "y_score")
    fps, tps, thresholds = _binary_clf_curve(y, s, w)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps = np.r_[0.0, fps]
    tps = np.r_[0.0, tps]
    thresholds = np.r_[np.inf, thresholds]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def precision_recall_curve(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None = None,
    *,
    drop_intermediate: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Precision-recall curve, identical to ``sklearn.metrics.precision_recall_curve``.

    Parameters
    ----------
    y_true
        Labels 0/1, shape ``(N,)``.
    y_score
        Scores, shape ``(N,)``; tied scores form one threshold.
    sample_weight
        Non-negative weights, shape ``(N,)``, or None for unit weights.
    drop_intermediate
        Drop thresholds where the true positives do not change (no effect on the
        step-wise area).

    Returns
    -------
    precision, recall
        Arrays of shape ``(K + 1,)`` ordered by increasing threshold; the last point is
        ``(precision=1, recall=0)``. Recall is 1 throughout when there is no positive.
    thresholds
        Increasing distinct scores, shape ``(K,)``.

    Examples
    --------
    >>> import numpy as np
    >>> p, r, t = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> np.round(p, 3).tolist(), r.tolist(), t.tolist()
    ([0.5, 0.667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0], [0.1, 0.35, 0.4, 0.8])
    """
    y, s, w = _check_pair(y_true, y_score, sample_weight, "y_score")
    fps, tps, thresholds = _binary_clf_curve(y, s, w)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    called = tps + fps
    precision = np.zeros_like(tps)
    np.divide(tps, called, out=precision, where=called != 0)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)
    return (
        np.r_[precision[::-1], 1.0],
        np.r_[recall[::-1], 0.0],
        thresholds[::-1].copy(),
    )


def auroc(
    y_true: npt.ArrayLike, y_score: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
) -> float:
    """Area under the ROC curve (Mann-Whitney statistic; ties count one half).

    Parameters
    ----------
    y_true
        Labels 0/1, shape ``(N,)``.
    y_score
        Scores, shape ``(N,)``.
    sample_weight
        Non-negative weights, shape ``(N,)``, or None.

    Returns
    -------
    float
        Equal to ``sklearn.metrics.roc_auc_score``; NaN when ``y_true`` has one class.

    Examples
    --------
    >>> auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, s, w = _check_pair(y_true, y_score, sample_weight, "y_score")
    _, pos, neg = _grouped_counts(y, s, w)
    auc, _ = _rank_metrics(pos, neg)
    return float(auc)


def average_precision(
    y_true: npt.ArrayLike, y_score: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
) -> float:
    """Average precision: step-wise area under the precision-recall curve.

    ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds, not the trapezoidal area.

    Parameters
    ----------
    y_true
        Labels 0/1, shape ``(N,)``.
    y_score
        Scores, shape ``(N,)``.
    sample_weight
        Non-negative weights, shape ``(N,)``, or None.

    Returns
    -------
    float
        Equal to ``sklearn.metrics.average_precision_score``; NaN when there is no
        positive (scikit-learn returns 0 with a warning).

    Examples
    --------
    >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 6)
    0.833333
    """
    y, s, w = _check_pair(y_true, y_score, sample_weight, "y_score")
    _, pos, neg = _grouped_counts(y, s, w)
    _, ap = _rank_metrics(pos, neg)
    return float(ap)


def confusion_counts(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
) -> ConfusionCounts:
    """Weighted confusion counts of 0/1 predictions.

    Parameters
    ----------
    y_true, y_pred
        Labels and predictions 0/1, shape ``(N,)``.
    sample_weight
        Non-negative weights, shape ``(N,)``, or None.

    Returns
    -------
    ConfusionCounts
        ``(tn, fp, fn, tp)`` as floats, the order of
        ``sklearn.metrics.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()``.

    Examples
    --------
    >>> confusion_counts([0, 0, 1, 1], [0, 1, 1, 1])
    ConfusionCounts(tn=1.0, fp=1.0, fn=0.0, tp=2.0)
    """
    y, p, w = _check_pair(y_true, y_pred, sample_weight, "y_pred", other_is_labels=True)
    weights = np.ones(y.shape[0]) if w is None else w
    cells = np.bincount(2 * y.astype(np.intp) + p, weights=weights, minlength=4)
    return ConfusionCounts(*(float(c) for c in cells))


def mcc(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
) -> float:
    """Matthews correlation coefficient of 0/1 predictions.

    Parameters
    ----------
    y_true, y_pred
        Labels and predictions 0/1, shape ``(N,)``.
    sample_weight
        Non-negative weights, shape ``(N,)``, or None.

    Returns
    -------
    float
        In ``[-1, 1]``; 0 when a marginal is empty (scikit-learn's convention).

    Examples
    --------
    >>> mcc([0, 0, 1, 1], [0, 1, 1, 1])
    0.5773502691896258
    >>> mcc([0, 0, 1, 1], [1, 1, 1, 1])
    0.0
    """
    tn, fp, fn, tp = confusion_counts(y_true, y_pred, sample_weight)
    return float(_mcc_from_counts(tn, fp, fn, tp))


def _check_bootstrap_options(n_bootstrap: int, ci: float, seed: int) -> None:
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)):
        raise ValueError(f"n_bootstrap must be an integer, got {n_bootstrap!r}")
    if n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be >= 0, got {n_bootstrap}")
    if isinstance(ci, bool) or not isinstance(ci, _REAL) or not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be a number in (0, 1), got {ci!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")


def _ci(samples: FloatArray, ci: float) -> list[float] | None:
    """Percentile interval of the defined bootstrap values, or None if half are undefined."""
    n_total = samples.shape[0]
    valid = samples[~np.isnan(samples)]
    if n_total == 0 or valid.shape[0] * 2 < n_total:
        return None
    alpha = (1.0 - ci) / 2.0
    lo, hi = np.quantile(valid, [alpha, 1.0 - alpha])
    return [float(lo), float(hi)]


class _ResampleKernel:
    """Metrics of many resamples of one data set, from counts per cell.

    A cell holds the examples of one class with one score: cells are the distinct positive
    scores in decreasing order, then the distinct negative scores in increasing order. A
    resample is given by integer ``counts`` of shape ``(B, C)``: how many examples of each
    of the ``C`` cells it contains. :meth:`metrics` returns every metric for the ``B``
    resamples at once, NaN where undefined: AUROC as the Mann-Whitney statistic (ties
    between classes count one half) and AUPRC as the step-wise average precision (a score
    is one threshold), with cumulative sums and gathers only.

    Attributes
    ----------
    sizes
        Examples per cell, shape ``(C,)``: the counts of the data set itself.
    rank_to_cell
        Cell of each example, shape ``(N,)``, examples ordered by cell; None when every
        cell holds one example (no ties), so that a rank is a cell.
    """

    def __init__(self, y: BoolArray, s: FloatArray, threshold: float) -> None:
        pos_u, pos_size = np.unique(s[y], return_counts=True)
        neg_s, neg_size = np.unique(s[~y], return_counts=True)
        pos_s = pos_u[::-1]
        self.n_pos = int(pos_s.shape[0])
        self.sizes = np.r_[pos_size[::-1], neg_size].astype(np.int64)
        n_cells = int(self.sizes.shape[0])
        self.rank_to_cell: npt.NDArray[np.intp] | None = None
        if n_cells < y.shape[0]:
            self.rank_to_cell = np.repeat(np.arange(n_cells, dtype=np.intp), self.sizes)
        # Negatives scored strictly below each positive score; for the positive scores
        # that negatives share, also the negatives scored at most as high.
        self.lo = np.searchsorted(neg_s, pos_s, side="left")
        hi = np.searchsorted(neg_s, pos_s, side="right")
        self.tied = np.flatnonzero(hi != self.lo)
        self.tied_lo = self.lo[self.tied]
        self.tied_hi = hi[self.tied]
        self.k_pos = int(np.count_nonzero(pos_s >= threshold))
        self.k_neg = int(np.searchsorted(neg_s, threshold, side="left"))

    @property
    def n_cells(self) -> int:
        """Number of cells ``C``."""
        return int(self.sizes.shape[0])

    def metrics(self, counts: npt.NDArray[np.int64]) -> dict[str, FloatArray]:
        """Every metric for each row of integer ``counts`` ``(B, C)``; arrays of shape ``(B,)``."""
        b = counts.shape[0]
        cp = counts[:, : self.n_pos]
        cn = counts[:, self.n_pos :]
        cum_neg = np.zeros((b, cn.shape[1] + 1), dtype=np.int64)
        np.cumsum(cn, axis=1, out=cum_neg[:, 1:])
        cum_pos = np.cumsum(cp, axis=1, dtype=np.int64)
        n_tot = cum_neg[:, -1]
        p_tot = cum_pos[:, -1] if self.n_pos else np.zeros_like(n_tot)
        one_class = (p_tot == 0) | (n_tot == 0)

        below = cum_neg[:, self.lo]
        u2 = 2 * np.einsum("ij,ij->i", cp, below)
        if self.tied.size:  # ties between classes count one half
            ties = cum_neg[:, self.tied_hi] - cum_neg[:, self.tied_lo]
            u2 += np.einsum("ij,ij->i", cp[:, self.tied], ties)
        auc = np.divide(u2, 2.0 * p_tot * n_tot, out=np.full(b, np.nan), where=~one_class)

        # Precision at each positive score: tps / (tps + fps), with fps = n_tot - below.
        called = cum_pos - below
        called += n_tot[:, None]
        np.maximum(called, 1, out=called)  # 0 only where no positive is drawn: weight 0
        precision = np.divide(cum_pos, called, out=np.empty(called.shape))
        ap_num = np.einsum("ij,ij->i", cp, precision)
        ap = np.divide(ap_num, p_tot, out=np.full(b, np.nan), where=~one_class)

        tp = cum_pos[:, self.k_pos - 1] if self.k_pos > 0 else np.zeros_like(n_tot)
        tn = cum_neg[:, self.k_neg]
        out = {"auroc": auc, "auprc": ap}
        out.update(
            _threshold_metrics(
                tn.astype(np.float64),
                (n_tot - tn).astype(np.float64),
                (p_tot - tp).astype(np.float64),
                tp.astype(np.float64),
            )
        )
        return out


def _bootstrap(
    kernel: _ResampleKernel, n: int, *, n_bootstrap: int, seed: int
) -> dict[str, FloatArray]:
    """Metric values on ``n_bootstrap`` resamples with replacement, NaN where undefined.

    Each resample draws ``n`` ranks uniformly with replacement, in chunks of rows of
    ``rng.integers(0, n, size=(chunk, n))``; a rank stands for one example (examples
    ordered by cell, see :class:`_ResampleKernel`).
    """
    rng = np.random.default_rng(seed)
    n_cells = kernel.n_cells
    chunk = max(1, min(n_bootstrap, _CHUNK_ELEMENTS // n))
    out: dict[str, FloatArray] = {}
    for start in range(0, n_bootstrap, chunk):
        b = min(chunk, n_bootstrap - start)
        draws = rng.integers(0, n, size=(b, n))
        cells = draws if kernel.rank_to_cell is None else kernel.rank_to_cell[draws]
        cells += (np.arange(b, dtype=cells.dtype) * n_cells)[:, None]
        counts = np.bincount(cells.reshape(-1), minlength=b * n_cells).reshape(b, n_cells)
        for name, values in kernel.metrics(counts).items():
            out.setdefault(name, np.empty(n_bootstrap))[start : start + b] = values
    return out


def binary_metrics(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    threshold: float = 0.5,
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """All binary metrics with percentile-bootstrap confidence intervals.

    An example is called positive when ``y_score >= threshold``. Confidence intervals
    come from ``n_bootstrap`` resamples of the examples with replacement; resamples where a
    metric is undefined (for AUROC and AUPRC: a resample with one class) are skipped, and
    if more than half are skipped the interval is None.

    Parameters
    ----------
    y_true
        Labels 0/1, shape ``(N,)``.
    y_score
        Predicted probabilities in ``[0, 1]``, shape ``(N,)``.
    threshold
        Decision threshold in ``[0, 1]`` for accuracy, MCC, F1, sensitivity, specificity.
    n_bootstrap
        Number of bootstrap resamples; 0 gives no intervals.
    ci
        Confidence level in ``(0, 1)``.
    seed
        Seed of the resampling; equal seeds give equal intervals.

    Returns
    -------
    dict
        ``{"auroc": {"value": v, "ci": [lo, hi]}, "auprc": ..., "accuracy": ...,
        "mcc": ..., "f1": ..., "sensitivity": ..., "specificity": ..., "precision": ...,
        "n": {"value": N}, "n_positive": {"value": P}}``, with Python floats; an undefined
        metric has value None and ci None. AUPRC is the average precision and is
        undefined with one class, like AUROC; MCC is 0 when undefined.

    Raises
    ------
    ValueError
        Inputs not 1-D, of different lengths, labels other than 0/1, scores outside
        ``[0, 1]`` or not finite, or bad options.

    Examples
    --------
    >>> m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], n_bootstrap=200)
    >>> m["auroc"]["value"], m["n"], m["n_positive"]
    (0.75, {'value': 4}, {'value': 2})
    >>> m["accuracy"]["value"], m["sensitivity"]["value"]
    (0.75, 0.5)
    """
    y, s, _ = _check_pair(y_true, y_score, None, "y_score")
    if s.min() < 0.0 or s.max() > 1.0:
        i = int(np.flatnonzero((s < 0.0) | (s > 1.0))[0])
        raise ValueError(f"y_score must be probabilities in [0, 1]; found {s[i]!r} at index {i}")
    if isinstance(threshold, bool) or not isinstance(threshold, _REAL):
        raise ValueError(f"threshold must be a number, got {threshold!r}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    _check_bootstrap_options(n_bootstrap, ci, seed)

    n = int(y.shape[0])
    n_pos = int(y.sum())
    kernel = _ResampleKernel(y, s, float(threshold))
    point = kernel.metrics(kernel.sizes[None, :])
    samples: dict[str, FloatArray] = {}
    if n_bootstrap > 0:
        samples = _bootstrap(kernel, n, n_bootstrap=int(n_bootstrap), seed=int(seed))

    result: dict[str, dict[str, Any]] = {}
    for name, value in point.items():
        v = float(value[0])
        if math.isnan(v):
            result[name] = {"value": None, "ci": None}
        else:
            interval = _ci(samples[name], ci) if samples else None
            result[name] = {"value": v, "ci": interval}
    result["n"] = {"value": n}
    result["n_positive"] = {"value": n_pos}
    return result


# --------------------------------------------------------------------------- multi-class

#: Largest allowed distance of a row sum of ``y_prob`` from 1 in :func:`multiclass_metrics`
#: (softmax outputs computed in float32 are within about 1e-6).
_ROW_SUM_TOLERANCE = 1e-3

#: Probabilities are clipped to ``[_LOG_LOSS_EPS, 1]`` before taking the logarithm.
_LOG_LOSS_EPS = 1e-15

#: Per-class metrics of :func:`multiclass_metrics`, in the order of the keys ``name[class]``.
_PER_CLASS = ("precision", "recall", "f1", "error", "auroc")


def _check_classes(classes: Sequence[str], *, minimum: int = 2) -> list[str]:
    if isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence):
        raise ValueError(f"classes must be a sequence of class names, got {classes!r}")
    names = list(classes)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"class names must be non-empty strings, got {name!r}")
    if len(names) < minimum:
        raise ValueError(f"classes must name at least {minimum} classes, got {names!r}")
    if len(set(names)) != len(names):
        dup = next(name for name in names if names.count(name) > 1)
        raise ValueError(f"class names must be unique; {dup!r} occurs twice or more")
    return names


def _as_class_indices(values: npt.ArrayLike, n_classes: int) -> npt.NDArray[np.intp]:
    arr = _as_1d(values, "y_true")
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"y_true must hold integer class indices; found {arr[i]!r} at index {i}"
            )
    bad = (arr < 0) | (arr >= n_classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"y_true must hold class indices in [0, {n_classes}); found {arr[i]!r} at index {i}"
        )
    return arr.astype(np.intp)


def _as_probabilities(values: npt.ArrayLike, n: int, n_classes: int) -> FloatArray:
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise ValueError(f"y_prob must be 2-D (N, K), got an array of shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"y_prob must be numeric, got dtype {arr.dtype}")
    if arr.shape != (n, n_classes):
        raise ValueError(
            f"y_prob has shape {arr.shape}, expected ({n}, {n_classes}): one row per element "
            "of y_true, one column per class"
        )
    prob = arr.astype(np.float64)
    for bad, what in (
        (~np.isfinite(prob), "finite"),
        ((prob < 0.0) | (prob > 1.0), "probabilities in [0, 1]"),
    ):
        if bad.any():
            i, j = (int(x) for x in np.argwhere(bad)[0])
            raise ValueError(f"y_prob must be {what}; found {prob[i, j]!r} at [{i}, {j}]")
    off = np.abs(prob.sum(axis=1) - 1.0) > _ROW_SUM_TOLERANCE
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"the rows of y_prob must sum to 1 (within {_ROW_SUM_TOLERANCE:g}); "
            f"row {i} sums to {float(prob[i].sum())!r}"
        )
    return prob


def _nanmean_rows(values: FloatArray) -> FloatArray:
    """Mean over the last axis of the non-NaN values; NaN where all are NaN (no warning)."""
    defined = ~np.isnan(values)
    total = np.where(defined, values, 0.0).sum(axis=-1)
    count = defined.sum(axis=-1)
    return np.divide(total, count, out=np.full(np.shape(total), np.nan), where=count > 0)


def _confusion_metrics(conf: FloatArray) -> dict[str, FloatArray]:
    """Threshold metrics of confusion matrices ``(B, K, K)`` (rows true, columns predicted).

    Returns arrays of shape ``(B,)`` (``accuracy``, ``mcc``, ``macro_f1``) and ``(B, K)``
    (``precision``, ``recall``, ``f1``, ``error``), NaN where undefined.
    """

    def ratio(num: FloatArray, den: FloatArray) -> FloatArray:
        return np.divide(num, den, out=np.full(np.shape(num), np.nan), where=den > 0)

    diag = np.diagonal(conf, axis1=1, axis2=2)
    true = conf.sum(axis=2)
    called = conf.sum(axis=1)
    total = true.sum(axis=1)
    correct = diag.sum(axis=1)
    # Gorodkin's R_K, written as scikit-learn writes it; 0 when a marginal is one class.
    cov_tp = correct * total - np.einsum("bk,bk->b", true, called)
    cov_pp = total**2 - np.einsum("bk,bk->b", called, called)
    cov_tt = total**2 - np.einsum("bk,bk->b", true, true)
    den = cov_tt * cov_pp
    mcc = np.zeros(np.shape(den))
    np.divide(cov_tp, np.sqrt(den), out=mcc, where=den > 0)
    f1 = ratio(2.0 * diag, true + called)
    return {
        "accuracy": ratio(correct, total),
        "mcc": mcc,
        "macro_f1": _nanmean_rows(f1),
        "precision": ratio(diag, called),
        "recall": ratio(diag, true),
        "f1": f1,
        "error": 100.0 * ratio(true - diag, true),
    }


def _kernel_cells(yk: BoolArray, sk: FloatArray) -> npt.NDArray[np.intp]:
    """Cell of each example in ``_ResampleKernel(yk, sk, ...)``, shape ``(N,)``."""
    pos_u = np.unique(sk[yk])
    neg_u = np.unique(sk[~yk])
    cells = np.empty(yk.shape[0], dtype=np.intp)
    cells[yk] = (pos_u.shape[0] - 1) - np.searchsorted(pos_u, sk[yk])
    cells[~yk] = pos_u.shape[0] + np.searchsorted(neg_u, sk[~yk])
    return cells


def _multiclass_bootstrap(
    y: npt.NDArray[np.intp],
    pred: npt.NDArray[np.intp],
    prob: FloatArray,
    loss: FloatArray,
    *,
    n_bootstrap: int,
    seed: int,
) -> dict[str, FloatArray]:
    """Metric values on ``n_bootstrap`` resamples with replacement, NaN where undefined.

    Each resample draws ``N`` example indices uniformly with replacement, in chunks of rows
    of ``rng.integers(0, N, size=(chunk, N))``. The confusion matrices of a chunk come from
    one :func:`numpy.bincount`; the one-vs-rest AUROC of class ``k`` from
    :class:`_ResampleKernel` on ``(y == k, prob[:, k])`` (skipped, NaN, for a class that
    is absent or alone). Returns arrays of shape ``(B,)`` and, for the per-class metrics,
    ``(B, K)``.
    """
    n, k = prob.shape
    cells = y * k + pred
    kernels: dict[int, tuple[_ResampleKernel, npt.NDArray[np.intp]]] = {}
    for c in range(k):
        yk = y == c
        if 0 < int(yk.sum()) < n:
            kernels[c] = (_ResampleKernel(yk, prob[:, c], 0.5), _kernel_cells(yk, prob[:, c]))
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_bootstrap, _CHUNK_ELEMENTS // n))
    out: dict[str, FloatArray] = {}
    for start in range(0, n_bootstrap, chunk):
        b = min(chunk, n_bootstrap - start)
        draws = rng.integers(0, n, size=(b, n))
        rows = np.arange(b, dtype=np.intp)[:, None]
        flat = (cells[draws] + rows * (k * k)).reshape(-1)
        conf = np.bincount(flat, minlength=b * k * k).reshape(b, k, k).astype(np.float64)
        values = _confusion_metrics(conf)
        values["log_loss"] = loss[draws].mean(axis=1)
        auc = np.full((b, k), np.nan)
        for c, (kernel, kernel_cells) in kernels.items():
            flat = (kernel_cells[draws] + rows * kernel.n_cells).reshape(-1)
            counts = np.bincount(flat, minlength=b * kernel.n_cells).reshape(b, kernel.n_cells)
            auc[:, c] = kernel.metrics(counts)["auroc"]
        values["auroc"] = auc
        values["macro_auroc"] = _nanmean_rows(auc)
        for name, value in values.items():
            if name not in out:
                out[name] = np.empty((n_bootstrap, *value.shape[1:]))
            out[name][start : start + b] = value
    return out


def multiclass_metrics(
    y_true: npt.ArrayLike,
    y_prob: npt.ArrayLike,
    *,
    classes: Sequence[str],
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Multi-class metrics with percentile-bootstrap confidence intervals.

    The predicted class of an example is the column of its largest probability (the first
    one on ties, as :func:`numpy.argmax`). Confidence intervals come from ``n_bootstrap``
    resamples of the examples with replacement, as in :func:`binary_metrics`: resamples
    where a metric is undefined are skipped, and if more than half are skipped the
    interval is None.

    Conventions:

    * ``mcc`` is Gorodkin's R_K, equal to ``sklearn.metrics.matthews_corrcoef``; 0 when
      the true or the predicted labels are all one class.
    * ``precision[c]`` is undefined (None) when class ``c`` is never predicted;
      ``recall[c]`` and ``error[c]`` when ``c`` has no example; ``f1[c]`` =
      ``2 TP / (2 TP + FP + FN)`` only when ``c`` has neither (otherwise it is 0 when
      ``TP = 0``).
    * ``macro_f1`` is the mean of the defined ``f1[c]``, i.e. over the classes that occur
      in ``y_true`` or in the predictions: ``sklearn.metrics.f1_score(y_true, y_pred,
      average="macro")`` without ``labels`` (equivalently ``labels=range(K),
      zero_division=numpy.nan``).
    * ``auroc[c]`` is the one-vs-rest AUROC of ``y_prob[:, c]`` (:func:`auroc`), undefined
      when every example or no example is of class ``c``; ``macro_auroc`` is the mean of
      the defined ones. When every class occurs it equals ``sklearn.metrics.roc_auc_score(
      y_true, y_prob, multi_class="ovr", average="macro")``.
    * ``log_loss`` is the mean of ``-log(clip(y_prob[i, y_true[i]], 1e-15, 1))``; the
      rows are not renormalised.
    * ``error[c]`` is the percentage of the examples of class ``c`` that are misclassified,
      ``100 (1 - recall[c])``.

    Parameters
    ----------
    y_true
        Class indices in ``[0, K)``, shape ``(N,)``; integers (or floats with integer
        values).
    y_prob
        Class probabilities, shape ``(N, K)``: values in ``[0, 1]``, rows summing to 1
        within 1e-3 (e.g. a softmax).
    classes
        The ``K >= 2`` class names, unique, in the order of the columns of ``y_prob``;
        they name the per-class keys.
    n_bootstrap
        Number of bootstrap resamples; 0 gives no intervals.
    ci
        Confidence level in ``(0, 1)``.
    seed
        Seed of the resampling; equal seeds give equal intervals.

    Returns
    -------
    dict
        In this order: ``accuracy``, ``mcc``, ``macro_f1``, ``macro_auroc``, ``log_loss``;
        for each class ``c`` in the order of ``classes``: ``precision[c]``, ``recall[c]``,
        ``f1[c]``, ``error[c]``, ``auroc[c]``; each ``{"value": v, "ci": [lo, hi]}`` with
        Python floats, value and ci None when undefined. Then ``n`` (``{"value": N}``),
        ``n_per_class`` (``{"value": {class: count}}``) and ``confusion``
        (``{"value": counts}``, a ``K x K`` nested list of ints, rows the true classes,
        columns the predicted ones).

    Raises
    ------
    ValueError
        ``y_true`` not 1-D, empty or with values outside ``[0, K)``; ``y_prob`` not of
        shape ``(N, K)``, not finite, outside ``[0, 1]`` or with rows not summing to 1;
        ``classes`` not ``K >= 2`` unique names; bad options.

    Examples
    --------
    >>> y = [0, 0, 1, 1, 2, 2]
    >>> p = [[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.2, 0.5, 0.3],
    ...      [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.1, 0.4]]
    >>> m = multiclass_metrics(y, p, classes=["EI", "IE", "N"], n_bootstrap=0)
    >>> m["accuracy"]["value"], m["f1[IE]"]["value"], m["error[EI]"]["value"]
    (0.6666666666666666, 0.8, 50.0)
    >>> round(m["macro_auroc"]["value"], 4), m["auroc[N]"]
    (0.9167, {'value': 1.0, 'ci': None})
    >>> m["confusion"]["value"], m["n_per_class"]["value"]
    ([[1, 1, 0], [0, 2, 0], [1, 0, 1]], {'EI': 2, 'IE': 2, 'N': 2})
    """
    names = _check_classes(classes)
    k = len(names)
    y = _as_class_indices(y_true, k)
    n = int(y.shape[0])
    prob = _as_probabilities(y_prob, n, k)
    _check_bootstrap_options(n_bootstrap, ci, seed)

    pred = np.argmax(prob, axis=1).astype(np.intp)
    conf = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    loss = -np.log(np.clip(prob[np.arange(n), y], _LOG_LOSS_EPS, 1.0))
    point = _confusion_metrics(conf[None, :, :].astype(np.float64))
    auc = np.array([[auroc(y == c, prob[:, c]) for c in range(k)]])
    point["log_loss"] = np.array([loss.mean()])
    point["auroc"] = auc
    point["macro_auroc"] = _nanmean_rows(auc)
    samples: dict[str, FloatArray] = {}
    if n_bootstrap > 0:
        samples = _multiclass_bootstrap(
            y, pred, prob, loss, n_bootstrap=int(n_bootstrap), seed=int(seed)
        )

    def entry(name: str, column: int | None = None) -> dict[str, Any]:
        value = float(point[name][0] if column is None else point[name][0, column])
        if math.isnan(value):
            return {"value": None, "ci": None}
        interval = None
        if samples:
            values = samples[name] if column is None else samples[name][:, column]
            interval = _ci(values, ci)
        return {"value": value, "ci": interval}

    result: dict[str, dict[str, Any]] = {
        name: entry(name) for name in ("accuracy", "mcc", "macro_f1", "macro_auroc", "log_loss")
    }
    for c, class_name in enumerate(names):
        for name in _PER_CLASS:
            result[f"{name}[{class_name}]"] = entry(name, c)
    result["n"] = {"value": n}
    per_class = conf.sum(axis=1)
    result["n_per_class"] = {"value": {name: int(per_class[c]) for c, name in enumerate(names)}}
    result["confusion"] = {"value": [[int(x) for x in row] for row in conf]}
    return result


# --------------------------------------------------------------------------- multi-label


def _as_output_matrix(values: npt.ArrayLike, name: str, n_outputs: int) -> FloatArray:
    """``(N, T)`` float64, or ``(N, T, L)`` pooled over positions to ``(N * L, T)``."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 3:
        arr = arr.transpose(0, 2, 1).reshape(-1, arr.shape[1])
    if arr.ndim != 2 or arr.shape[1] != n_outputs:
        raise ValueError(f"{name} must have shape (N, {n_outputs}) or (N, {n_outputs}, L)")
    return arr


def fmax(
    y_true: npt.ArrayLike, y_score: npt.ArrayLike, *, thresholds: int = 100
) -> dict[str, float | None]:
    """CAFA's protein-centric Fmax of multi-label predictions (Radivojac et al. 2013).

    At each threshold ``t`` in ``1/thresholds .. 1``, precision is averaged over the
    examples with at least one output called (score ``>= t``) and recall over the
    examples with at least one true output; Fmax is the largest ``2PR / (P + R)``.
    Missing targets (NaN) count as neither true nor called.

    Examples
    --------
    >>> fmax([[1, 0], [0, 1]], [[0.9, 0.2], [0.3, 0.8]])
    {'value': 1.0, 'threshold': 0.31}
    """
    y = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(y_score, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 2:
        raise ValueError("y_true and y_score must be (N, T) arrays of the same shape")
    seen = ~np.isnan(y)
    truth = (y == 1) & seen
    has_true = truth.any(axis=1)
    best: dict[str, float | None] = {"value": None, "threshold": None}
    if not has_true.any():
        return best
    top = -1.0
    for k in range(1, thresholds + 1):
        t = k / thresholds
        called = (s >= t) & seen
        n_called = called.sum(axis=1)
        tp = (called & truth).sum(axis=1)
        any_called = n_called > 0
        if not any_called.any():
            continue
        precision = float(np.mean(tp[any_called] / n_called[any_called]))
        recall = float(np.mean(tp[has_true] / truth[has_true].sum(axis=1)))
        if precision + recall == 0:
            continue
        f = 2 * precision * recall / (precision + recall)
        if f > top + 1e-12:
            top = f
            best = {"value": round(f, 12), "threshold": t}
    return best


def multilabel_metrics(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    outputs: Sequence[str],
    threshold: float | Sequence[float] = 0.5,
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Metrics of multi-label (several 0/1 outputs) predictions.

    Parameters
    ----------
    y_true
        0/1 targets ``(N, T)`` with NaN where missing, or ``(N, T, L)`` per position.
    y_score
        Probabilities of the same shape.
    outputs
        Names of the ``T`` outputs.
    threshold
        As :func:`binary_metrics`: one for every output, or one per output.
    n_bootstrap, ci, seed
        As :func:`binary_metrics`. Per-position outputs are pooled over positions (each
        position is one example) and get no intervals: positions of one sequence are not
        independent, so resampling them would make the intervals too narrow.

    Returns
    -------
    dict
        For each output ``o``, every key of :func:`binary_metrics` as ``key[o]`` (the
        examples where ``o`` is observed); ``macro_auroc`` and ``macro_auprc`` (means
        over the outputs where they are defined), ``micro_auroc`` and ``micro_auprc``
        (all observed pairs pooled), ``fmax`` (:func:`fmax`, per example; per
        sequence-position for per-position outputs), ``n`` and ``n_outputs``.

    Examples
    --------
    >>> m = multilabel_metrics([[1, 0], [0, 1], [1, float("nan")]],
    ...                        [[0.9, 0.2], [0.3, 0.8], [0.7, 0.5]],
    ...                        outputs=["a", "b"], n_bootstrap=0)
    >>> m["auroc[a]"]["value"], m["n[b]"]["value"], m["macro_auroc"]["value"]
    (1.0, 2, 1.0)
    """
    names = _check_classes(outputs, minimum=1)
    per_position = np.asarray(y_true).ndim == 3
    y = _as_output_matrix(y_true, "y_true", len(names))
    s = _as_output_matrix(y_score, "y_score", len(names))
    if y.shape != s.shape:
        raise ValueError("y_true and y_score must have the same shape")
    boot = 0 if per_position else n_bootstrap
    cuts = [threshold] * len(names) if isinstance(threshold, _REAL) else list(threshold)
    if len(cuts) != len(names):
        raise ValueError(f"{len(cuts)} thresholds given for {len(names)} outputs")
    result: dict[str, dict[str, Any]] = {}
    aurocs, auprcs = [], []
    for t, name in enumerate(names):
        keep = ~np.isnan(y[:, t])
        if not keep.any():
            result[f"n[{name}]"] = {"value": 0}
            continue
        m = binary_metrics(
            y[keep, t], s[keep, t], threshold=cuts[t], n_bootstrap=boot, ci=ci, seed=seed + t
        )
        for key, entry in m.items():
            result[f"{key}[{name}]"] = entry
        if m["auroc"]["value"] is not None:
            aurocs.append(m["auroc"]["value"])
            auprcs.append(m["auprc"]["value"])
    result["macro_auroc"] = {"value": float(np.mean(aurocs)) if aurocs else None, "ci": None}
    result["macro_auprc"] = {"value": float(np.mean(auprcs)) if auprcs else None, "ci": None}
    seen = ~np.isnan(y)
    pooled_y, pooled_s = y[seen].astype(bool), s[seen]
    both = bool(pooled_y.any() and (~pooled_y).any())
    result["micro_auroc"] = {"value": auroc(pooled_y, pooled_s) if both else None, "ci": None}
    result["micro_auprc"] = {
        "value": average_precision(pooled_y, pooled_s) if both else None,
        "ci": None,
    }
    fm = fmax(y, s)
    result["fmax"] = {"value": fm["value"], "ci": None, "threshold": fm["threshold"]}
    result["n"] = {"value": int(y.shape[0])}
    result["n_outputs"] = {"value": len(names)}
    return result


# --------------------------------------------------------------------------- regression


def _pearson_rows(y: FloatArray, p: FloatArray) -> FloatArray:
    """Pearson correlation of each row pair of ``(B, n)`` arrays (NaN if constant)."""
    yc = y - y.mean(axis=1, keepdims=True)
    pc = p - p.mean(axis=1, keepdims=True)
    den = np.sqrt((yc * yc).sum(axis=1) * (pc * pc).sum(axis=1))
    num = (yc * pc).sum(axis=1)
    return np.divide(num, den, out=np.full(y.shape[0], np.nan), where=den > 0)


def _regression_point(y: FloatArray, p: FloatArray) -> dict[str, FloatArray]:
    """Pearson, R^2, MSE, RMSE, MAE of each row of ``(B, n)`` arrays."""
    err = p - y
    mse = (err * err).mean(axis=1)
    var = y.var(axis=1)
    r2 = np.divide(var - mse, var, out=np.full(y.shape[0], np.nan), where=var > 0)
    return {
        "pearson": _pearson_rows(y, p),
        "r2": r2,
        "mse": mse,
        "rmse": np.sqrt(mse),
        "mae": np.abs(err).mean(axis=1),
    }


def _ranks(values: FloatArray) -> FloatArray:
    """Average ranks (ties share the mean rank), 1-based."""
    order = np.argsort(values, kind="mergesort")
    sorted_v = values[order]
    first = np.r_[True, sorted_v[1:] != sorted_v[:-1]]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2.0
    out = np.empty(len(values))
    out[order] = mean_rank[group]
    return out


def regression_metrics(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    outputs: Sequence[str],
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Metrics of real-valued predictions, per output, with bootstrap intervals.

    Parameters
    ----------
    y_true
        Observed values ``(N, T)`` with NaN where missing, or ``(N, T, L)`` per position
        (pooled over positions, without intervals, as in :func:`multilabel_metrics`).
    y_pred
        Predictions of the same shape.
    outputs
        Names of the ``T`` outputs.
    n_bootstrap, ci, seed
        Percentile-bootstrap resamples of the examples (as :func:`binary_metrics`) for
        Pearson's r, R^2, MSE, RMSE and MAE; Spearman's rho has no interval.

    Returns
    -------
    dict
        ``pearson[o]``, ``spearman[o]``, ``r2[o]`` (1 - MSE / variance of the observed
        values), ``mse[o]``, ``rmse[o]`` (MoleculeNet's regression figure), ``mae[o]``,
        ``n[o]`` for each output ``o``, and the means over outputs ``mean_pearson``,
        ``mean_spearman``, ``mean_r2``, ``mean_rmse``, and ``n``.

    Examples
    --------
    >>> m = regression_metrics([[1.0], [2.0], [3.0], [4.0]], [[1.1], [1.9], [3.2], [3.8]],
    ...                        outputs=["y"], n_bootstrap=0)
    >>> round(m["pearson[y]"]["value"], 4), m["spearman[y]"]["value"]
    (0.9908, 1.0)
    >>> round(m["mse[y]"]["value"], 3)
    0.025
    """
    names = _check_classes(outputs, minimum=1)
    _check_bootstrap_options(n_bootstrap, ci, seed)
    per_position = np.asarray(y_true).ndim == 3
    y = _as_output_matrix(y_true, "y_true", len(names))
    p = _as_output_matrix(y_pred, "y_pred", len(names))
    if y.shape != p.shape:
        raise ValueError("y_true and y_pred must have the same shape")
    if not np.isfinite(p).all():
        raise ValueError("y_pred must be finite")
    boot = 0 if per_position else int(n_bootstrap)
    rng = np.random.default_rng(seed)
    result: dict[str, dict[str, Any]] = {}
    means: dict[str, list[float]] = {"pearson": [], "spearman": [], "r2": [], "rmse": []}
    for t, name in enumerate(names):
        keep = ~np.isnan(y[:, t])
        yt, pt = y[keep, t], p[keep, t]
        n = int(yt.shape[0])
        result[f"n[{name}]"] = {"value": n}
        if n < 2:
            for key in ("pearson", "spearman", "r2", "mse", "rmse", "mae"):
                result[f"{key}[{name}]"] = {"value": None, "ci": None}
            continue
        point = {k: float(v[0]) for k, v in _regression_point(yt[None], pt[None]).items()}
        point["spearman"] = float(_pearson_rows(_ranks(yt)[None], _ranks(pt)[None])[0])
        samples: dict[str, list[FloatArray]] = {}
        chunk = max(1, min(boot, _CHUNK_ELEMENTS // n)) if boot else 0
        for start in range(0, boot, chunk or 1):
            b = min(chunk, boot - start)
            idx = rng.integers(0, n, size=(b, n))
            for key, values in _regression_point(yt[idx], pt[idx]).items():
                samples.setdefault(key, []).append(values)
        for key, value in point.items():
            if math.isnan(value):
                result[f"{key}[{name}]"] = {"value": None, "ci": None}
                continue
            interval = _ci(np.concatenate(samples[key]), ci) if key in samples else None
            result[f"{key}[{name}]"] = {"value": value, "ci": interval}
            if key in means:
                means[key].append(value)
    for key, found in means.items():
        result[f"mean_{key}"] = {"value": float(np.mean(found)) if found else None, "ci": None}
    result["n"] = {"value": int(np.asarray(y_true).shape[0])}
    return result


# --------------------------------------------------------------------------- tracks


def _row_ranks(values: FloatArray) -> FloatArray:
    """Average ranks (ties share the mean rank, 1-based) within each row of ``(N, B)``;
    NaN sorts last and gets ranks of its own (mask it out afterwards)."""
    n, b = values.shape
    order = np.argsort(values, axis=1, kind="mergesort")
    s = np.take_along_axis(values, order, axis=1)
    differ = (s[:, 1:] != s[:, :-1]) & ~(np.isnan(s[:, 1:]) & np.isnan(s[:, :-1]))
    first = np.concatenate([np.ones((n, 1), dtype=bool), differ], axis=1)
    last = np.concatenate([differ, np.ones((n, 1), dtype=bool)], axis=1)
    j = np.broadcast_to(np.arange(b), (n, b))
    start = np.maximum.accumulate(np.where(first, j, 0), axis=1)
    end = np.minimum.accumulate(np.where(last, j, b - 1)[:, ::-1], axis=1)[:, ::-1]
    out = np.empty((n, b))
    np.put_along_axis(out, order, (start + end) / 2.0 + 1.0, axis=1)
    return out


def _masked_pearson_rows(y: FloatArray, p: FloatArray, seen: BoolArray) -> FloatArray:
    """Pearson correlation within each row of ``(N, B)`` over its ``seen`` entries; NaN
    for a row with fewer than 2 of them or a constant truth or prediction."""
    count = seen.sum(axis=1)
    safe = np.maximum(count, 1)
    ym = np.where(seen, y, 0.0).sum(axis=1) / safe
    pm = np.where(seen, p, 0.0).sum(axis=1) / safe
    yc = np.where(seen, y - ym[:, None], 0.0)
    pc = np.where(seen, p - pm[:, None], 0.0)
    num = (yc * pc).sum(axis=1)
    den = np.sqrt((yc * yc).sum(axis=1) * (pc * pc).sum(axis=1))

    def constant(v: FloatArray) -> BoolArray:
        hi = np.where(seen, v, -np.inf).max(axis=1)
        lo = np.where(seen, v, np.inf).min(axis=1)
        out: BoolArray = hi == lo
        return out

    ok = (count >= 2) & ~constant(y) & ~constant(p) & (den > 0)
    return np.divide(num, den, out=np.full(y.shape[0], np.nan), where=ok)


def _correlations(y: FloatArray, p: FloatArray) -> tuple[float, float]:
    """Pearson and Spearman of two 1-D arrays (NaN with fewer than 2 or constant)."""
    if y.size < 2 or y.min() == y.max() or p.min() == p.max():
        return math.nan, math.nan
    r = float(_pearson_rows(y[None], p[None])[0])
    rho = float(_pearson_rows(_ranks(y)[None], _ranks(p)[None])[0])
    return r, rho


def _jsd_rows(y: FloatArray, p: FloatArray, seen: BoolArray) -> FloatArray:
    """Jensen-Shannon divergence (base 2) between each row's observed and predicted
    profiles over its ``seen`` entries (both clipped at 0 and normalised to sum 1; a
    zero predicted total is uniform); NaN for a row with zero observed total."""
    a = np.where(seen, np.maximum(y, 0.0), 0.0)
    b = np.where(seen, np.maximum(p, 0.0), 0.0)
    ta, tb = a.sum(axis=1), b.sum(axis=1)
    count = seen.sum(axis=1)
    uniform = np.where(seen, 1.0 / np.maximum(count, 1)[:, None], 0.0)
    b = np.where((tb > 0)[:, None], b / np.where(tb > 0, tb, 1.0)[:, None], uniform)
    a = a / np.where(ta > 0, ta, 1.0)[:, None]
    m = (a + b) / 2.0

    def kl(u: FloatArray) -> FloatArray:
        ratio = np.divide(u, m, out=np.ones_like(u), where=u > 0)
        out: FloatArray = (u * np.log2(ratio)).sum(axis=1)
        return out

    jsd = np.clip((kl(a) + kl(b)) / 2.0, 0.0, 1.0)
    return np.where(ta > 0, jsd, np.nan)


def _mean_or_none(values: FloatArray) -> float | None:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else None


def track_metrics(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    outputs: Sequence[str],
) -> dict[str, dict[str, Any]]:
    """Metrics of coverage-track predictions (Basenji, BPNet), per track.

    Missing (NaN) bins of the truth are left out of every metric.

    Parameters
    ----------
    y_true
        Observed values ``(N, T, B)``: ``N`` windows, ``T`` tracks, ``B`` bins; NaN where
        missing.
    y_pred
        Predictions of the same shape (finite).
    outputs
        Names of the ``T`` tracks.

    Returns
    -------
    dict
        For each track ``o``, each ``{"value": float or None, "ci": None}`` (None where
        undefined):

        - ``pearson[o]``, ``spearman[o]``: genome-wide, over the bins of all windows
          pooled (Basenji's figure); ``r2[o]``, ``mse[o]``, ``rmse[o]``, ``mae[o]``
          over the same bins;
        - ``window_pearson[o]``, ``window_spearman[o]``: within each window across its
          bins, averaged over the windows (windows where the truth or the prediction is
          constant, or with fewer than 2 observed bins, are left out);
        - ``log_pearson[o]``: Pearson of ``log1p`` of the pooled values (both clipped
          at 0);
        - ``jsd[o]``: mean over windows of the Jensen-Shannon divergence (base 2, in
          ``[0, 1]``) between the observed profile and the predicted one, each clipped
          at 0 and normalised to sum 1 (a zero predicted total is the uniform profile;
          windows with a zero observed total are left out);
        - ``count_pearson[o]``, ``count_spearman[o]``: across windows (with an observed
          bin), of ``log1p`` of the observed total vs ``log1p`` of the predicted total
          (over the observed bins, values clipped at 0);
        - ``n[o]``: the number of observed bins (``{"value": int}``);

        and the means over tracks (of the tracks where defined) ``mean_pearson`` (the
        headline), ``mean_spearman``, ``mean_window_pearson``, ``mean_log_pearson``,
        ``mean_jsd``, ``mean_count_pearson``, ``mean_r2``, ``mean_rmse``, and ``n`` (the
        number of windows).

    Raises
    ------
    ValueError
        For arrays that are not ``(N, T, B)`` with ``T`` outputs, shapes that differ or
        predictions that are not finite.

    Examples
    --------
    >>> y = [[[0.0, 1.0, 3.0]], [[2.0, 2.0, 0.0]]]
    >>> m = track_metrics(y, [[[0.0, 2.0, 6.0]], [[1.0, 1.0, 0.0]]], outputs=["cage"])
    >>> m["window_pearson[cage]"]["value"], m["jsd[cage]"]["value"]
    (1.0, 0.0)
    >>> round(m["pearson[cage]"]["value"], 4), m["n[cage]"]["value"]
    (0.7826, 6)
    """
    names = _check_classes(outputs, minimum=1)
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if y.ndim != 3 or y.shape[1] != len(names):
        raise ValueError(f"y_true must have shape (N, {len(names)}, B), not {y.shape}")
    if p.shape != y.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {y.shape} and {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("y_pred must be finite")
    result: dict[str, dict[str, Any]] = {}
    keys = ("pearson", "spearman", "window_pearson", "log_pearson", "jsd", "count_pearson")
    means: dict[str, list[float]] = {k: [] for k in (*keys, "r2", "rmse")}

    def put(key: str, name: str, value: float | None) -> None:
        if value is not None and math.isnan(value):
            value = None
        result[f"{key}[{name}]"] = {"value": value, "ci": None}
        if value is not None and key in means:
            means[key].append(value)

    for t, name in enumerate(names):
        yt, pt = y[:, t, :], p[:, t, :]
        seen = ~np.isnan(yt)
        yv, pv = yt[seen], pt[seen]
        result[f"n[{name}]"] = {"value": int(yv.size)}
        r, rho = _correlations(yv, pv)
        put("pearson", name, r)
        put("spearman", name, rho)
        if yv.size:
            point = _regression_point(yv[None], pv[None])
            for key in ("r2", "mse", "rmse", "mae"):
                put(key, name, float(point[key][0]))
        else:
            for key in ("r2", "mse", "rmse", "mae"):
                put(key, name, None)
        put("window_pearson", name, _mean_or_none(_masked_pearson_rows(yt, pt, seen)))
        # ranks among each window's observed bins (missing ones rank last, masked out)
        ranks_y = _row_ranks(np.where(seen, yt, np.nan))
        ranks_p = _row_ranks(np.where(seen, pt, np.nan))
        rho_w = _masked_pearson_rows(ranks_y, ranks_p, seen)
        put("window_spearman", name, _mean_or_none(rho_w))
        put(
            "log_pearson",
            name,
            _correlations(np.log1p(np.maximum(yv, 0.0)), np.log1p(np.maximum(pv, 0.0)))[0],
        )
        put("jsd", name, _mean_or_none(_jsd_rows(yt, pt, seen)))
        windows = seen.any(axis=1)
        total_y = np.where(seen, np.maximum(yt, 0.0), 0.0).sum(axis=1)[windows]
        total_p = np.where(seen, np.maximum(pt, 0.0), 0.0).sum(axis=1)[windows]
        r_count, rho_count = _correlations(np.log1p(total_y), np.log1p(total_p))
        put("count_pearson", name, r_count)
        put("count_spearman", name, rho_count)
    for key, found in means.items():
        result[f"mean_{key}"] = {"value": float(np.mean(found)) if found else None, "ci": None}
    result["n"] = {"value": int(y.shape[0])}
    return result


def format_metric(entry: Mapping[str, Any], *, digits: int = 3) -> str:
    """Format one entry of :func:`binary_metrics` as ``value [lo, hi]``.

    Parameters
    ----------
    entry
        Mapping with ``"value"`` (float, int or None; missing: None) and optionally
        ``"ci"`` (``[lo, hi]`` or None).
    digits
        Decimal places for floats.

    Returns
    -------
    str
        ``"0.953 [0.941, 0.965]"``, ``"0.953"`` without interval, ``"1234"`` for integers,
        ``"n/a"`` for None or an empty entry.

    Examples
    --------
    >>> format_metric({"value": 0.9531, "ci": [0.9412, 0.9648]})
    '0.953 [0.941, 0.965]'
    >>> format_metric({"value": 1234}), format_metric({"value": None, "ci": None})
    ('1234', 'n/a')
    """
    if not isinstance(entry, Mapping):
        raise ValueError(f"a metric entry must be a mapping with a 'value' key, got {entry!r}")
    value = entry.get("value")
    if value is None:
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        text = str(int(value))
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.{digits}f}"
    else:
        raise ValueError(f"metric value must be a number or None, got {value!r}")
    interval = entry.get("ci")
    if interval is not None:
        if len(interval) != 2:
            raise ValueError(f"metric ci must be [lo, hi], got {interval!r}")
        lo, hi = (float(x) for x in interval)
        text += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
    return text
