"""Quality checks of attribution maps that fail loudly.

* :func:`check_completeness`: the convergence delta of a method that has one
  (DeepLIFT/SHAP, integrated gradients, KernelSHAP) must be small; above the tolerance
  a :class:`AttributionWarning` is issued, or with ``strict=True`` an
  :class:`AttributionCheckError` raised.
* :func:`randomisation_check`: the model-parameter randomisation test of Adebayo et
  al. (2018, "Sanity checks for saliency maps"): with every layer re-initialised, the
  maps must change; if their rank correlation with the trained model's stays high the
  method does not depend on what the model learned.
* :func:`agreement`: rank correlation between the maps of two or more methods, per
  sequence (Spearman of ``|values|`` summed over channels).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from biodl.errors import BiodlError
from biodl.interpret.attribution import Attribution, Method, attribute

__all__ = [
    "AttributionCheckError",
    "AttributionWarning",
    "CompletenessReport",
    "agreement",
    "check_completeness",
    "randomisation_check",
    "rank_correlation",
    "reinitialised",
]

# default tolerances on |delta| <= atol + rtol * |f(x) - f(reference)|
_TOLERANCE: dict[str, tuple[float, float]] = {
    "deeplift": (1e-3, 1e-3),
    "deepshap": (1e-3, 1e-3),
    "integrated_gradients": (1e-2, 5e-2),
    "kernel_shap": (1e-2, 5e-2),
}


class AttributionWarning(UserWarning):
    """An attribution check did not pass."""


class AttributionCheckError(BiodlError):
    """An attribution check did not pass and ``strict`` was asked for."""


@dataclass(frozen=True)
class CompletenessReport:
    """How well attributions add up to the output difference they explain.

    Attributes
    ----------
    method
        The method checked.
    max_abs_delta, mean_abs_delta
        Over the sequences.
    n_failed
        Sequences with ``|delta| > atol + rtol * |f(x) - f(ref)|``.
    atol, rtol
        The tolerance used.
    passed
        ``n_failed == 0`` (``True`` for a method without a delta).
    """

    method: str
    max_abs_delta: float | None
    mean_abs_delta: float | None
    n_failed: int
    atol: float
    rtol: float
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(self.__dict__)


def _fail(message: str, *, strict: bool) -> None:
    if strict:
        raise AttributionCheckError(message)
    warnings.warn(message, AttributionWarning, stacklevel=3)


def check_completeness(
    attribution: Attribution,
    *,
    atol: float | None = None,
    rtol: float | None = None,
    strict: bool = False,
) -> CompletenessReport:
    """Check that attributions sum to the output difference they explain.

    Parameters
    ----------
    attribution
        A result with a ``delta`` (others pass trivially).
    atol, rtol
        A sequence fails when ``|delta| > atol + rtol * |outputs - reference_outputs|``;
        defaults per method (DeepLIFT/SHAP 1e-3 and 1e-3; integrated gradients and
        KernelSHAP 1e-2 and 5e-2).
    strict
        Raise instead of warning.

    Returns
    -------
    CompletenessReport

    Raises
    ------
    AttributionCheckError
        With ``strict``, if any sequence fails.

    Examples
    --------
    >>> a = Attribution("deeplift", np.ones((1, 4, 2), np.float32), 0, np.array([9.0]),
    ...                 delta=np.array([1.0]), reference_outputs=np.array([0.0]))
    >>> check_completeness(a, strict=True)
    Traceback (most recent call last):
    ...
    biodl.interpret.checks.AttributionCheckError: deeplift attributions do not add up ...
    """
    default_atol, default_rtol = _TOLERANCE.get(attribution.method, (1e-3, 1e-3))
    a = default_atol if atol is None else atol
    r = default_rtol if rtol is None else rtol
    if attribution.delta is None:
        return CompletenessReport(attribution.method, None, None, 0, a, r, True)
    delta = np.abs(attribution.delta)
    ref = attribution.reference_outputs
    scale = np.abs(attribution.outputs - ref) if ref is not None else np.zeros_like(delta)
    failed = delta > a + r * scale
    report = CompletenessReport(
        attribution.method,
        float(delta.max()),
        float(delta.mean()),
        int(failed.sum()),
        a,
        r,
        not bool(failed.any()),
    )
    if not report.passed:
        _fail(
            f"{attribution.method} attributions do not add up to the output difference: "
            f"{report.n_failed} of {delta.size} sequences have |delta| above "
            f"{a:g} + {r:g} x |f(x) - f(ref)| (largest {report.max_abs_delta:.3g})",
            strict=strict,
        )
    return report


def rank_correlation(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Spearman correlation of each row of ``a`` with the same row of ``b``.

    ``(N, L)`` and ``(N, L)`` to ``(N,)``; NaN where a row is constant.

    Examples
    --------
    >>> rank_correlation([[1, 2, 3], [1, 2, 3]], [[10, 20, 30], [3, 2, 1]])
    array([ 1., -1.])
    """
    from scipy.stats import rankdata

    ra = rankdata(np.asarray(a, dtype=np.float64), axis=1)
    rb = rankdata(np.asarray(b, dtype=np.float64), axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denom = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (ra * rb).sum(axis=1) / denom
    return np.where(denom > 0, out, np.nan)


def _nanmean(values: npt.NDArray[np.float64]) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def agreement(attributions: Mapping[str, Attribution]) -> dict[str, Any]:
    """Per-sequence rank agreement between the maps of several methods.

    Parameters
    ----------
    attributions
        Name to result, all for the same inputs.

    Returns
    -------
    dict
        ``{"pairs": [{"a", "b", "mean_spearman", "per_sequence": [...]}, ...]}``
        (Spearman of the per-position importance ``|values|`` summed over channels;
        ``None`` for a constant map).

    Examples
    --------
    >>> x = Attribution("saliency", np.arange(8, dtype=np.float32).reshape(1, 4, 2), 0,
    ...                 np.zeros(1))
    >>> agreement({"a": x, "b": x})["pairs"][0]["mean_spearman"]
    1.0
    """
    names = list(attributions)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            rho = rank_correlation(attributions[a].importance(), attributions[b].importance())
            pairs.append(
                {
                    "a": a,
                    "b": b,
                    "mean_spearman": _nanmean(rho),
                    "per_sequence": [None if not np.isfinite(v) else float(v) for v in rho],
                }
            )
    return {"pairs": pairs}


def reinitialised(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer's parameters drawn afresh.

    Each sub-module's ``reset_parameters()`` runs (PyTorch's default initialisation)
    and batch-norm running statistics are reset; the global random state is left as it
    was.

    Examples
    --------
    >>> lin = torch.nn.Linear(3, 1)
    >>> fresh = reinitialised(lin, seed=1)
    >>> bool(torch.equal(fresh.weight, lin.weight))
    False
    """
    fresh = copy.deepcopy(model)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        for module in fresh.modules():
            reset = getattr(module, "reset_parameters", None)
            if callable(reset):
                reset()
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
    finally:
        torch.random.set_rng_state(state)
    return fresh


def randomisation_check(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    method: Method,
    target: int = 0,
    trained: Attribution | None = None,
    threshold: float = 0.5,
    seed: int = 0,
    strict: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """Model-parameter randomisation test (Adebayo et al. 2018).

    Attributions of ``model`` and of a re-initialised copy (:func:`reinitialised`)
    are compared per sequence by Spearman correlation of the per-position importance.
    A method that explains what the model learned gives maps that change: the check
    passes when the mean correlation is below ``threshold``.

    Parameters
    ----------
    model, X, method, target
        As :func:`biodl.interpret.attribute`.
    trained
        The trained model's attributions for ``X`` if already computed.
    threshold
        Largest mean Spearman correlation that passes.
    seed
        Of the re-initialisation.
    strict
        Raise :class:`AttributionCheckError` instead of warning when it fails.
    **options
        Passed to :func:`~biodl.interpret.attribute`.

    Returns
    -------
    dict
        ``mean_spearman``, ``per_sequence``, ``threshold``, ``passed``.
    """
    if trained is None:
        trained = attribute(model, X, method=method, target=target, **options)
    fresh = reinitialised(model, seed=seed)
    random = attribute(fresh, X, method=method, target=target, **options)
    rho = rank_correlation(trained.importance(), random.importance())
    mean = _nanmean(rho)
    # a map that does not change at all is constant-equal: count it as correlation 1
    unchanged = bool(np.allclose(trained.values, random.values, rtol=1e-5, atol=1e-8))
    if unchanged:
        mean = 1.0
    passed = mean is not None and mean < threshold
    result = {
        "method": method,
        "mean_spearman": mean,
        "per_sequence": [None if not np.isfinite(v) else float(v) for v in rho],
        "threshold": threshold,
        "unchanged": unchanged,
        "passed": passed,
    }
    if not passed:
        _fail(
            f"model-randomisation check failed for {method}: the maps of a re-initialised "
            f"model correlate with the trained model's (mean Spearman "
            f"{'n/a' if mean is None else f'{mean:.3f}'} >= {threshold})",
            strict=strict,
        )
    return result
