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
  one-way ANOVA F (classes) or absolute Welch t (two classes) on the *training* labels.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from biodl.errors import InputError

__all__ = [
    "PIPELINE_VERSION",
    "STEP_NAMES",
    "FittedPipeline",
    "f_statistic",
    "fit_pipeline",
    "normalise_steps",
    "welch_t",
]

PIPELINE_VERSION = 1
STEP_NAMES = ("log1p", "log2", "threshold", "variance", "standardize", "select")
SUPERVISED = frozenset({"select"})


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
        t = np.abs(np.nanmean(a, axis=0) - np.nanmean(b, axis=0)) / np.sqrt(va + vb)
    return np.nan_to_num(t, nan=0.0, posinf=np.inf)


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
    raise InputError(f"unknown preprocessing step {name!r}")  # pragma: no cover


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
    elif name == "select":
        if labels is None:
            raise InputError("preprocess select needs class labels (a classification task)")
        method = step.get("method", "f_test")
        score: Callable[[np.ndarray, Sequence[str]], np.ndarray] = (
            welch_t if method == "t_test" else f_statistic
        )
        s = score(X.astype(np.float64), labels)
        k = min(int(step["k"]), X.shape[1])
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
        used = set(self.features_out)  # every step is per feature: only these matter
        missing = [f for f in self.features_out if f not in index]
        if missing:
            raise InputError(
                f"{len(missing)} of the {len(self.features_out)} features the model uses are "
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
