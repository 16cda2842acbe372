"""Preprocessing of expression matrices, fitted on training samples and saved as JSON.

A pipeline is a list of steps, each a one-key mapping (``data.preprocess`` of a
configuration):

- ``log1p``: ``ln(1 + x)``; ``log2: {offset: 1}``: ``log2(x + offset)`` (a value at or
  below ``-offset`` is an error naming the feature);
- ``threshold: {floor: 20, ceiling: 16000}``: clip every value (Golub's preprocessing);
- ``variance: {top: N}`` keeps the ``N`` features of largest training variance,
  ``variance: {min: V}`` those with training variance at least ``V``;
- ``standardize``: subtract the training mean and divide by the training standard
  deviation of each feature (a constant feature gets SD 1);
- ``select: {method: f_test | t_test, k: N}``: keeps the ``k`` features with the largest
  one-way ANOVA F (classes) or absolute Welch t (two classes) on the *training* labels;
  ``select: {method: l1, k: N, C: 1.0}`` keeps the ``k`` of largest |coefficient| in an
  L1-penalised logistic regression fitted on the training samples (:func:`l1_scores`);
- per-sample normalisation (each sample on its own, across its features):
  ``center_samples`` subtracts each sample's mean, ``scale_samples`` also divides by the
  sample's SD (a constant sample gets SD 1); ``quantile`` maps each sample's values, by
  rank, onto the reference distribution of the *training* samples (the mean of their
  sorted values; ties get the mean of their ranks' reference values).

Per-sample steps leak nothing across samples: ``center_samples`` and ``scale_samples``
use no training statistic at all, and ``quantile`` learns only its reference from the
training rows, then maps every sample (training or new) from its own ranks alone, so a
test sample never changes another sample's values or the fit. They act on every feature
that reaches them, so put them before ``variance``/``select`` (a sample's mean over the
50 selected genes is not a normalisation); a matrix to transform must then hold every
feature entering the first per-sample step.

:func:`fit_pipeline` learns every statistic from the training rows only and returns a
:class:`FittedPipeline`; :meth:`FittedPipeline.transform` applies it to any matrix whose
features are matched by name (a missing feature is one error; extra ones are ignored).
The fitted state is plain JSON (:meth:`FittedPipeline.to_json`, :meth:`FittedPipeline.from_json`):
feature names, means, SDs and selected features, never a pickle. Missing values (NaN)
are left out of every statistic and, after the last step, filled with the training mean
of the feature (0 after ``standardize``).

Examples
--------
>>> X = np.array([[1.0, 10.0, 5.0], [3.0, 10.0, 6.0], [5.0, 10.0, 7.0]])
>>> fitted = fit_pipeline(X, ["a", "b", "c"], [{"variance": {"top": 2}}, "standardize"])
>>> fitted.features_out
['a', 'c']
>>> fitted.transform(np.array([[3.0, 0.0, 6.0]]), ["a", "b", "c"]).round(3).tolist()
[[0.0, 0.0]]
>>> FittedPipeline.from_json(fitted.to_json()).features_out
['a', 'c']
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from biodl.errors import InputError

__all__ = [
    "PIPELINE_VERSION",
    "STEP_NAMES",
    "VIEW_SEP",
    "FittedPipeline",
    "MultiViewPipeline",
    "f_statistic",
    "fit_pipeline",
    "fit_views",
    "l1_scores",
    "normalise_steps",
    "welch_t",
]

PIPELINE_VERSION = 1
STEP_NAMES = (
    "log1p",
    "log2",
    "threshold",
    "variance",
    "standardize",
    "select",
    "center_samples",
    "scale_samples",
    "quantile",
)
SUPERVISED = frozenset({"select"})
PER_SAMPLE = frozenset({"center_samples", "scale_samples", "quantile"})


def normalise_steps(steps: Sequence[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each step as ``{"step": name, **options}``.

    Examples
    --------
    >>> normalise_steps(["log1p", {"select": {"method": "f_test", "k": 5}}])
    [{'step': 'log1p'}, {'step': 'select', 'method': 'f_test', 'k': 5}]
    """
    out: list[dict[str, Any]] = []
    for step in steps:
        if isinstance(step, str):
            out.append({"step": step})
            continue
        if "step" in step:
            out.append(dict(step))
            continue
        if len(step) != 1:
            raise InputError(f"a preprocessing step is one key, not {sorted(step)}")
        ((name, options),) = step.items()
        out.append({"step": name, **dict(options or {})})
    for step in out:
        if step["step"] not in STEP_NAMES:
            raise InputError(
                f"unknown preprocessing step {step['step']!r} (known: {', '.join(STEP_NAMES)})"
            )
    return out


def f_statistic(X: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """One-way ANOVA F of each column of ``X`` across the classes of ``labels`` (NaN
    values left out; a constant column scores 0).

    Examples
    --------
    >>> f_statistic(np.array([[0.0, 1.0], [0.1, 0.0], [5.0, 1.0], [5.1, 0.0]]),
    ...             ["a", "a", "b", "b"]).round(1).tolist()
    [5000.0, 0.0]
    """
    y = np.asarray(labels)
    classes = sorted(set(y.tolist()))
    mask = ~np.isnan(X)
    Z = np.where(mask, X, 0.0)
    n = mask.sum(axis=0).astype(np.float64)
    grand = Z.sum(axis=0) / np.maximum(n, 1)
    between = np.zeros(X.shape[1])
    within = np.zeros(X.shape[1])
    for c in classes:
        rows = y == c
        nc = mask[rows].sum(axis=0)
        mean = Z[rows].sum(axis=0) / np.maximum(nc, 1)
        between += nc * (mean - grand) ** 2
        within += (np.where(mask[rows], Z[rows] - mean, 0.0) ** 2).sum(axis=0)
    k = len(classes)
    # a constant column (e.g. every value clipped to the same floor) has sums of squares
    # of rounding size only: F 0, not rounding error / 0 = inf
    flat = between + within <= 1e-12 * (Z**2).sum(axis=0)
    between[flat], within[flat] = 0.0, 0.0
    df_between, df_within = max(k - 1, 1), np.maximum(n - k, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (between / df_between) / (within / df_within)
    f[~np.isfinite(f)] = np.where(between[~np.isfinite(f)] > 0, np.inf, 0.0)
    return f


def welch_t(X: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Absolute Welch t of each column of ``X`` between the two classes of ``labels``."""
    y = np.asarray(labels)
    classes = sorted(set(y.tolist()))
    if len(classes) != 2:
        raise InputError(
            f"select: t_test needs two classes, the training labels have {len(classes)} "
            "(use method: f_test)"
        )
    a, b = X[y == classes[0]], X[y == classes[1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        va = np.nanvar(a, axis=0, ddof=1) / np.sum(~np.isnan(a), axis=0)
        vb = np.nanvar(b, axis=0, ddof=1) / np.sum(~np.isnan(b), axis=0)
        diff = np.abs(np.nanmean(a, axis=0) - np.nanmean(b, axis=0))
        scale = np.nanmax(np.abs(X), axis=0) if X.size else np.zeros(X.shape[1])
        diff[(va + vb == 0) & (diff <= 1e-12 * scale)] = 0.0  # constant: rounding only
        t = diff / np.sqrt(va + vb)
    return np.nan_to_num(t, nan=0.0, posinf=np.inf)


def _logistic_l1(C: float) -> Any:
    """scikit-learn's L1-penalised logistic regression (liblinear), spelled for the
    installed version (``penalty="l1"`` before 1.8, ``l1_ratio=1`` from 1.8 on)."""
    import re

    import sklearn
    from sklearn.linear_model import LogisticRegression

    match = re.match(r"(\d+)\.(\d+)", sklearn.__version__)
    new = match is not None and (int(match[1]), int(match[2])) >= (1, 8)
    penalty: dict[str, Any] = {"l1_ratio": 1.0} if new else {"penalty": "l1"}
    return LogisticRegression(
        C=C, solver="liblinear", max_iter=1000, tol=1e-6, random_state=0, **penalty
    )


def l1_scores(X: np.ndarray, labels: Sequence[str], C: float = 1.0) -> np.ndarray:
    """|coefficient| of each column of ``X`` in an L1-penalised logistic regression of
    ``labels`` (the largest over classes, one-vs-rest, for more than two classes).

    Each column is standardised first (training mean and SD, NaN values left out of
    both and then set to 0; a constant column scores 0), so coefficients are comparable
    across features. Deterministic (liblinear, fixed seed).

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [0.2, 0.0], [5.0, 1.0], [5.2, 0.0]])
    >>> (l1_scores(X, ["a", "a", "b", "b"], C=10.0) > 0).tolist()
    [True, False]
    """
    y = np.asarray(labels)
    classes = sorted(set(y.tolist()))
    if len(classes) < 2:
        raise InputError(
            f"select: l1 needs two classes or more, the training labels have {len(classes)}"
        )
    X = np.asarray(X, dtype=np.float64)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column
        mean = np.nan_to_num(np.nanmean(X, axis=0), nan=0.0)
        sd = np.nanstd(X, axis=0, ddof=1) if len(X) > 1 else np.zeros(X.shape[1])
    sd = np.where(np.isfinite(sd) & (sd > 1e-12 * np.maximum(np.abs(mean), 1.0)), sd, np.inf)
    Z = np.nan_to_num((X - mean) / sd, nan=0.0)
    targets = [classes[1]] if len(classes) == 2 else classes
    coef = np.zeros(X.shape[1])
    for c in targets:
        model = _logistic_l1(C).fit(Z, (y == c).astype(np.int64))
        coef = np.maximum(coef, np.abs(model.coef_[0]))
    return coef


def _apply(step: Mapping[str, Any], X: np.ndarray, features: list[str]) -> np.ndarray:
    """A fitted step applied to ``X`` (columns ``features``, the step's input)."""
    name = step["step"]
    if name == "log1p" or name == "log2":
        offset = 1.0 if name == "log1p" else float(step.get("offset", 1.0))
        shifted = X + offset
        bad = shifted <= 0
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            raise InputError(
                f"preprocess {name}: feature {features[j]!r} of sample {i + 1} is "
                f"{X[i, j]:g}, at or below -offset ({-offset:g}); add threshold: {{floor: ...}} "
                "before it or raise the offset"
            )
        return np.log(shifted) if name == "log1p" else np.log2(shifted)
    if name == "threshold":
        lo = step.get("floor")
        hi = step.get("ceiling")
        return np.clip(X, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    if name == "standardize":
        mean = np.asarray(step["mean"], dtype=np.float64)
        sd = np.asarray(step["sd"], dtype=np.float64)
        return (X - mean) / sd
    if name in ("variance", "select"):
        return X[:, np.asarray(step["keep"], dtype=np.int64)]
    if name in ("center_samples", "scale_samples"):
        with warnings.catch_warnings():  # an all-missing sample stays missing
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nan_to_num(np.nanmean(X, axis=1, keepdims=True), nan=0.0)
            if name == "center_samples":
                return X - mean
            sd = np.nanstd(X, axis=1, ddof=1, keepdims=True)
        sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
        return (X - mean) / sd
    if name == "quantile":
        return _quantile_map(X, np.asarray(step["reference"], dtype=np.float64))
    raise InputError(f"unknown preprocessing step {name!r}")  # pragma: no cover


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """0-based ranks of ``values`` (no NaN), ties sharing the mean of their ranks.

    >>> _average_ranks(np.array([10.0, 10.0, 0.0])).tolist()
    [1.5, 1.5, 0.0]
    """
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    starts = np.cumsum(counts) - counts
    return (starts + (counts - 1) / 2.0)[inverse.reshape(-1)]


def _sorted_on_grid(row: np.ndarray, points: int) -> np.ndarray:
    """The sorted non-NaN values of ``row`` interpolated onto ``points`` evenly spaced
    quantiles (the values themselves when none is missing)."""
    values = np.sort(row[~np.isnan(row)])
    if values.size == points:
        return values
    if values.size == 0:
        return np.full(points, np.nan)
    if values.size == 1:
        return np.full(points, values[0])
    return np.interp(np.linspace(0, 1, points), np.linspace(0, 1, values.size), values)


def _quantile_map(X: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each row of ``X`` replaced, rank by rank, by the ``reference`` quantiles (NaN kept)."""
    out = np.full_like(X, np.nan, dtype=np.float64)
    grid = np.linspace(0, 1, reference.size) if reference.size > 1 else np.zeros(1)
    for i, row in enumerate(X):
        present = ~np.isnan(row)
        n = int(present.sum())
        if n == 0:
            continue
        where = _average_ranks(row[present]) / (n - 1) if n > 1 else np.full(1, 0.5)
        out[i, present] = np.interp(where, grid, reference)
    return out


def _fit_step(
    step: dict[str, Any], X: np.ndarray, features: list[str], labels: Sequence[str] | None
) -> dict[str, Any]:
    """``step`` with its training statistics (``keep``, ``mean``, ``sd``)."""
    name = step["step"]
    fitted = dict(step)
    if name == "standardize":
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(X, axis=0)
            sd = np.nanstd(X, axis=0, ddof=1) if len(X) > 1 else np.ones(X.shape[1])
        mean = np.nan_to_num(mean, nan=0.0)
        sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
        fitted.update(mean=mean.tolist(), sd=sd.tolist())
    elif name == "variance":
        with np.errstate(invalid="ignore"):
            var = np.nan_to_num(np.nanvar(X, axis=0, ddof=1) if len(X) > 1 else 0 * X[0])
        if step.get("top") is not None:
            top = min(int(step["top"]), X.shape[1])
            keep = np.sort(np.argsort(-var, kind="stable")[:top])
        else:
            keep = np.flatnonzero(var >= float(step.get("min", 0.0)))
        if keep.size == 0:
            raise InputError(f"preprocess variance: no feature has variance >= {step.get('min')}")
        fitted["keep"] = keep.tolist()
    elif name == "quantile":
        if len(X) == 0:
            raise InputError("preprocess quantile needs at least one training sample")
        rows = np.stack([_sorted_on_grid(row, X.shape[1]) for row in X])
        with np.errstate(invalid="ignore"):
            reference = np.nan_to_num(np.nanmean(rows, axis=0), nan=0.0)
        fitted["reference"] = reference.tolist()
    elif name == "select":
        if labels is None:
            raise InputError("preprocess select needs class labels (a classification task)")
        method = step.get("method", "f_test")
        k = min(int(step["k"]), X.shape[1])
        if method == "l1":
            # largest |coef| first; ties (zeros above all) by F, then by column
            coef = l1_scores(X, labels, float(step.get("C", 1.0)))
            f = f_statistic(X.astype(np.float64), labels)
            keep = np.sort(np.lexsort((-f, -coef))[:k])
        else:
            score: Callable[[np.ndarray, Sequence[str]], np.ndarray] = (
                welch_t if method == "t_test" else f_statistic
            )
            s = score(X.astype(np.float64), labels)
            keep = np.sort(np.argsort(-s, kind="stable")[:k])
        fitted["keep"] = keep.tolist()
    return fitted


@dataclass(frozen=True)
class FittedPipeline:
    """A preprocessing pipeline with its training statistics (see the module docstring)."""

    features_in: list[str]
    steps: list[dict[str, Any]]
    features_out: list[str]
    fill: list[float]
    n_train: int = 0

    def transform(
        self,
        X: np.ndarray,
        features: Sequence[str],
        *,
        path: str | None = None,
    ) -> np.ndarray:
        """``X`` (columns ``features``) preprocessed: ``(N, len(features_out))`` float32.

        Raises
        ------
        InputError
            A feature the pipeline was fitted on is missing from ``features`` (naming
            the first and the count), or a step cannot be applied (a log of a negative).
        """
        index = {f: i for i, f in enumerate(features)}
        needed = self.features_needed()
        used = set(needed)
        missing = [f for f in needed if f not in index]
        if missing:
            raise InputError(
                f"{len(missing)} of the {len(needed)} features the model uses are "
                f"missing from the matrix, the first {missing[0]!r} (features are matched by "
                "name)",
                path=path,
            )
        source = np.asarray(X, dtype=np.float64)
        out = np.full((len(source), len(self.features_in)), np.nan)
        for j, f in enumerate(self.features_in):
            if f in used:
                out[:, j] = source[:, index[f]]
        names = list(self.features_in)
        try:
            for step in self.steps:
                out = _apply(step, out, names)
                if "keep" in step:
                    names = [names[i] for i in step["keep"]]
        except InputError as exc:
            raise InputError(exc.message, path=path) from None
        fill = np.asarray(self.fill, dtype=np.float64)
        gaps = np.isnan(out)
        if gaps.any():
            out = np.where(gaps, fill[None, :], out)
        return out.astype(np.float32)

    def features_needed(self) -> list[str]:
        """The input features :meth:`transform` reads: ``features_out`` when every step
        acts per feature, else every feature that reaches the first per-sample step
        (its mean, SD or ranks are over all of them)."""
        names = list(self.features_in)
        for step in self.steps:
            if step["step"] in PER_SAMPLE:
                return names
            if "keep" in step:
                names = [names[i] for i in step["keep"]]
        return list(self.features_out)

    def to_json(self) -> dict[str, Any]:
        """The fitted state as JSON-ready data."""
        return {
            "format": "biodl-matrix-preprocess",
            "version": PIPELINE_VERSION,
            "n_train": self.n_train,
            "features_in": list(self.features_in),
            "steps": [dict(s) for s in self.steps],
            "features_out": list(self.features_out),
            "fill": list(self.fill),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, path: str | None = None) -> FittedPipeline:
        """The pipeline :meth:`to_json` wrote; a malformed state is an InputError."""
        if data.get("format") == MULTIVIEW_FORMAT:
            return MultiViewPipeline.from_views_json(data, path=path)
        try:
            if data.get("format") != "biodl-matrix-preprocess":
                raise ValueError("not a biodl preprocessing state")
            if int(data["version"]) > PIPELINE_VERSION:
                raise ValueError(f"version {data['version']} is newer than this biodl reads")
            pipe = cls(
                features_in=[str(f) for f in data["features_in"]],
                steps=[dict(s) for s in data["steps"]],
                features_out=[str(f) for f in data["features_out"]],
                fill=[float(v) for v in data["fill"]],
                n_train=int(data.get("n_train", 0)),
            )
            normalise_steps(pipe.steps)
            if len(pipe.fill) != len(pipe.features_out):
                raise ValueError("'fill' and 'features_out' differ in length")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"broken preprocessing state: {exc}", path=path) from None
        return pipe


def fit_pipeline(
    X: np.ndarray,
    features: Sequence[str],
    steps: Sequence[str | Mapping[str, Any]],
    labels: Sequence[str] | None = None,
) -> FittedPipeline:
    """Fit ``steps`` on the training matrix ``X`` (``(N, F)``, columns ``features``) and,
    for supervised steps (``select``), the training ``labels``.

    Only what is passed here is ever seen: callers pass the training split alone.
    """
    spec = normalise_steps(steps)
    out = np.asarray(X, dtype=np.float64)
    names = list(features)
    fitted: list[dict[str, Any]] = []
    for step in spec:
        done = _fit_step(step, out, names, labels)
        out = _apply(done, out, names)
        if "keep" in done:
            names = [names[i] for i in done["keep"]]
        fitted.append(done)
    with np.errstate(invalid="ignore"):
        fill = np.nanmean(out, axis=0) if len(out) else np.zeros(out.shape[1])
    fill = np.nan_to_num(fill, nan=0.0)
    return FittedPipeline(
        features_in=list(features),
        steps=fitted,
        features_out=names,
        fill=[float(v) if math.isfinite(v) else 0.0 for v in fill],
        n_train=len(out),
    )


MULTIVIEW_FORMAT = "biodl-matrix-multiview"
VIEW_SEP = ":"
"""Joins a view's name and a feature's: the features of a multi-view input are named
``view:feature`` (view names have no ``:``)."""


@dataclass(frozen=True)
class MultiViewPipeline(FittedPipeline):
    """One :class:`FittedPipeline` per view of a multi-view input (several matrices
    joined by sample id), each fitted on its own view's training columns.

    The input's features are named ``view:feature``; :meth:`transform` splits the
    columns by view, preprocesses each view with its own pipeline and concatenates the
    results in view order. :meth:`layout` gives the view boundaries (``("view:NAME",
    width)`` pairs, recorded in ``model.json``'s ``layout`` so that models can split the
    ``(N, F, 1)`` input).

    Examples
    --------
    >>> X = np.array([[1.0, 5.0, 0.0], [3.0, 6.0, 1.0], [5.0, 7.0, 0.0]])
    >>> fitted = fit_views(X, ["a:g1", "a:g2", "b:m1"], {"a": ["standardize"], "b": []})
    >>> fitted.layout(), fitted.features_out
    ((('view:a', 2), ('view:b', 1)), ['a:g1', 'a:g2', 'b:m1'])
    >>> FittedPipeline.from_json(fitted.to_json()).features_in == fitted.features_in
    True
    """

    views: tuple[tuple[str, FittedPipeline], ...] = ()

    def layout(self) -> tuple[tuple[str, int], ...]:
        """``(("view:NAME", n_features_out), ...)`` in input order."""
        return tuple((f"view:{name}", len(p.features_out)) for name, p in self.views)

    def transform(
        self,
        X: np.ndarray,
        features: Sequence[str],
        *,
        path: str | None = None,
    ) -> np.ndarray:
        """``X`` (columns ``view:feature``) preprocessed view by view and concatenated."""
        parts = []
        for name, pipe in self.views:
            prefix = name + VIEW_SEP
            cols = [j for j, f in enumerate(features) if f.startswith(prefix)]
            names = [features[j][len(prefix) :] for j in cols]
            try:
                parts.append(pipe.transform(np.asarray(X)[:, cols], names, path=path))
            except InputError as exc:
                raise InputError(f"view {name!r}: {exc.message}", path=path) from None
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(X), 0), np.float32)

    def to_json(self) -> dict[str, Any]:
        """The fitted state: every view's :meth:`FittedPipeline.to_json` in order, with
        the joined ``features_in``/``features_out`` and ``n_train``."""
        return {
            "format": MULTIVIEW_FORMAT,
            "version": PIPELINE_VERSION,
            "n_train": self.n_train,
            "features_in": list(self.features_in),
            "features_out": list(self.features_out),
            "views": [{"name": name, "pipeline": p.to_json()} for name, p in self.views],
        }

    @classmethod
    def from_views_json(
        cls, data: Mapping[str, Any], *, path: str | None = None
    ) -> MultiViewPipeline:
        """The pipeline :meth:`to_json` wrote; a malformed state is an InputError."""
        try:
            if int(data["version"]) > PIPELINE_VERSION:
                raise ValueError(f"version {data['version']} is newer than this biodl reads")
            views = tuple(
                (str(v["name"]), FittedPipeline.from_json(v["pipeline"], path=path))
                for v in data["views"]
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"broken preprocessing state: {exc}", path=path) from None
        return _joined(views, n_train=int(data.get("n_train", 0)))


def _joined(views: tuple[tuple[str, FittedPipeline], ...], *, n_train: int) -> MultiViewPipeline:
    return MultiViewPipeline(
        features_in=[n + VIEW_SEP + f for n, p in views for f in p.features_in],
        steps=[],
        features_out=[n + VIEW_SEP + f for n, p in views for f in p.features_out],
        fill=[v for _, p in views for v in p.fill],
        n_train=n_train,
        views=views,
    )


def fit_views(
    X: np.ndarray,
    features: Sequence[str],
    steps: Mapping[str, Sequence[str | Mapping[str, Any]]],
    labels: Sequence[str] | None = None,
) -> MultiViewPipeline:
    """Fit each view's ``steps`` (``{view: steps}``, in input order) on that view's
    columns of the training matrix ``X`` (named ``view:feature``) alone."""
    X = np.asarray(X)
    fitted = []
    for name, view_steps in steps.items():
        prefix = name + VIEW_SEP
        cols = [j for j, f in enumerate(features) if f.startswith(prefix)]
        if not cols:
            raise InputError(f"view {name!r} has no features")
        names = [features[j][len(prefix) :] for j in cols]
        try:
            fitted.append((name, fit_pipeline(X[:, cols], names, view_steps, labels)))
        except InputError as exc:
            raise InputError(f"view {name!r}: {exc.message}") from None
    return _joined(tuple(fitted), n_train=len(X))
