"""Binary classification metrics with percentile-bootstrap confidence intervals.

Pure NumPy: importing this module needs neither torch nor matplotlib. The curve and
score functions reproduce scikit-learn's results (ties in the scores form one threshold
step, zero-weight examples are ignored), and :func:`binary_metrics` computes every metric
with a vectorised bootstrap so that a thousand resamples of 100,000 examples take about
a second.

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
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "ConfusionCounts",
    "auroc",
    "average_precision",
    "binary_metrics",
    "confusion_counts",
    "format_metric",
    "mcc",
    "precision_recall_curve",
    "roc_curve",
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
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)):
        raise ValueError(f"n_bootstrap must be an integer, got {n_bootstrap!r}")
    if n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be >= 0, got {n_bootstrap}")
    if isinstance(ci, bool) or not isinstance(ci, _REAL) or not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be a number in (0, 1), got {ci!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")

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
