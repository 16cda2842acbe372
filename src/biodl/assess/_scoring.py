"""The headline metric of each task, for many bootstrap resamples at once.

A resample is a row of integer counts ``(B, N)``: how often each example is drawn.
Computing a metric from counts (as example weights) lets two models be scored on the
*same* resamples (a paired bootstrap of their difference) and every resample at once.
With all counts 1 the values equal :mod:`biodl.metrics` (checked by the tests):

* binary: AUROC (Mann-Whitney, ties count one half), :func:`biodl.metrics.auroc`;
* multi-class: accuracy of the arg-max class;
* multi-label: macro AUROC over the outputs where it is defined (NaN targets skipped);
* regression: mean Pearson r over the outputs (NaN targets skipped).

The metric is the task's :attr:`biodl.tasks.Task.headline`; every function takes the
run's :class:`biodl.tasks.Task`.

Examples
--------
>>> y = np.array([[0.0], [0.0], [1.0], [1.0]])
>>> s = np.array([[0.1], [0.4], [0.35], [0.8]])
>>> task = Binary(positive="1", negative="0")
>>> float(metric_from_counts(task, y, s, np.ones((1, 4), dtype=np.int64))[0])
0.75
>>> task.headline
'auroc'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.tasks import Binary, Multiclass, Task

__all__ = [
    "bootstrap_counts",
    "metric_from_counts",
    "metric_value",
    "paired_bootstrap",
    "summarise",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_CHUNK_CELLS = 1 << 20


def bootstrap_counts(n: int, n_boot: int, *, seed: int) -> Iterator[IntArray]:
    """Counts ``(b, n)`` of ``n_boot`` resamples of ``n`` examples with replacement, in
    chunks of about a million cells (same seed, same resamples).

    Examples
    --------
    >>> [c.sum(axis=1).tolist() for c in bootstrap_counts(5, 3, seed=0)]
    [[5, 5, 5]]
    """
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n, 1)))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        draws = rng.integers(0, n, size=(b, n))
        draws += (np.arange(b) * n)[:, None]
        yield np.bincount(draws.reshape(-1), minlength=b * n).reshape(b, n)


def paired_bootstrap(
    task: Task,
    y: np.ndarray,
    scores: Sequence[np.ndarray],
    *,
    n_boot: int,
    seed: int,
) -> list[FloatArray]:
    """The headline metric of each score array on the same ``n_boot`` resamples.

    Returns one ``(n_boot,)`` array per element of ``scores`` (NaN where undefined);
    differences between them are paired-bootstrap samples of the difference.

    Examples
    --------
    >>> y = np.array([[0.0], [1.0], [0.0], [1.0]])
    >>> task = Binary(positive="1", negative="0")
    >>> a, b = paired_bootstrap(task, y, [y, 1 - y], n_boot=20, seed=0)
    >>> bool(np.all(np.isnan(a) | (a == 1.0))), bool(np.all(np.isnan(b) | (b == 0.0)))
    (True, True)
    """
    out: list[list[FloatArray]] = [[] for _ in scores]
    for counts in bootstrap_counts(len(y), n_boot, seed=seed):
        for i, s in enumerate(scores):
            out[i].append(metric_from_counts(task, y, s, counts))
    return [np.concatenate(parts) if parts else np.empty(0) for parts in out]


def _weighted_auroc(y: npt.NDArray[np.bool_], s: FloatArray, w: FloatArray) -> FloatArray:
    """AUROC of ``(N,)`` labels and scores for each row of weights ``(B, N)``."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted = s[order]
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    w_sorted = w[:, order]
    y_sorted = y[order]
    pos = np.add.reduceat(np.where(y_sorted, w_sorted, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(y_sorted, 0.0, w_sorted), starts, axis=1)
    tps = np.cumsum(pos, axis=1)
    u2 = np.sum(neg * (2.0 * tps - pos), axis=1)
    denom = 2.0 * tps[:, -1] * neg.sum(axis=1)
    return np.divide(u2, denom, out=np.full(w.shape[0], np.nan), where=denom > 0)


def _weighted_pearson(y: FloatArray, p: FloatArray, w: FloatArray) -> FloatArray:
    total = w.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    my = (w @ y) / safe
    mp = (w @ p) / safe
    cov = (w @ (y * p)) / safe - my * mp
    vy = (w @ (y * y)) / safe - my * my
    vp = (w @ (p * p)) / safe - mp * mp
    den = np.sqrt(np.clip(vy, 0.0, None) * np.clip(vp, 0.0, None))
    ok = (den > 1e-12 * (np.abs(my) + np.abs(mp) + 1.0)) & (total > 0)
    return np.divide(cov, den, out=np.full(w.shape[0], np.nan), where=ok)


def _nanmean_columns(values: list[FloatArray], b: int) -> FloatArray:
    if not values:
        return np.full(b, np.nan)
    stacked = np.stack(values, axis=1)
    defined = ~np.isnan(stacked)
    n = defined.sum(axis=1)
    total = np.where(defined, stacked, 0.0).sum(axis=1)
    return np.divide(total, n, out=np.full(b, np.nan), where=n > 0)


def metric_from_counts(
    task: Task, y: np.ndarray, scores: np.ndarray, counts: np.ndarray
) -> FloatArray:
    """The headline metric for each row of ``counts`` ``(B, N)``; NaN where undefined.

    Parameters
    ----------
    task
        The run's task: its :attr:`~biodl.tasks.Task.headline` metric is computed.
    y
        Targets ``(N, T)`` (multi-class: ``(N, 1)`` class index), NaN where missing.
    scores
        The task's scores (:meth:`biodl.tasks.Task.score_matrix`), ``(N, T)``
        (``(N, K)`` multi-class).
    counts
        Non-negative example weights, ``(B, N)``.
    """
    w = np.asarray(counts, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    s = np.asarray(scores, dtype=np.float64).reshape(len(scores), -1)
    b = w.shape[0]
    if isinstance(task, Multiclass):
        keep = ~np.isnan(y[:, 0])
        correct = np.zeros(len(y))
        correct[keep] = np.argmax(s[keep], axis=1) == y[keep, 0].astype(np.int64)
        wk = w * keep
        total = wk.sum(axis=1)
        return np.divide(wk @ correct, total, out=np.full(b, np.nan), where=total > 0)
    columns: list[FloatArray] = []
    for t in range(y.shape[1]):
        keep = ~np.isnan(y[:, t])
        if not keep.any():
            continue
        if not task.probabilistic:
            columns.append(_weighted_pearson(y[keep, t], s[keep, t], w[:, keep]))
        else:
            columns.append(_weighted_auroc(y[keep, t] == 1, s[keep, t], w[:, keep]))
    if isinstance(task, Binary):
        return columns[0] if columns else np.full(b, np.nan)
    return _nanmean_columns(columns, b)


def metric_value(task: Task, y: np.ndarray, scores: np.ndarray) -> float:
    """The headline metric of all examples (every count 1); NaN where undefined.

    Examples
    --------
    >>> y, p = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [3.0], [5.0]])
    >>> from biodl.tasks import Regression
    >>> round(metric_value(Regression(["y"]), y, p), 9)
    1.0
    """
    return float(metric_from_counts(task, y, scores, np.ones((1, len(y)), dtype=np.int64))[0])


def summarise(point: float, samples: FloatArray, *, ci: float = 0.95) -> dict[str, Any]:
    """``{"value", "ci"}`` with a percentile interval of the defined samples (None when
    the point or more than half of the samples are undefined).

    Examples
    --------
    >>> summarise(0.5, np.array([0.4, 0.5, 0.6]), ci=0.5)
    {'value': 0.5, 'ci': [0.45, 0.55]}
    """
    if np.isnan(point):
        return {"value": None, "ci": None}
    valid = samples[~np.isnan(samples)]
    if valid.size == 0 or valid.size * 2 < samples.size:
        return {"value": float(point), "ci": None}
    alpha = (1.0 - ci) / 2.0
    lo, hi = np.quantile(valid, [alpha, 1.0 - alpha])
    return {"value": float(point), "ci": [float(lo), float(hi)]}
