"""Do the model's probabilities mean what they say? (``assessment.json`` key ``calibration``)

:func:`expected_calibration_error` bins predicted probabilities into equal-width bins
and averages the gap between the mean probability and the observed frequency of each
bin, weighted by its size; :func:`reliability` gives the points of the reliability
diagram; :func:`fit_temperature` fits the one-parameter temperature scaling of Guo et
al. (2017) (logits divided by ``T``, ``T`` minimising the negative log-likelihood,
LBFGS); :func:`calibration` reports ECE and Brier score on test before and after the
temperature fitted on valid.

Binary and multi-label models are judged per output on the probability of the positive
class; multi-class models on the top label (the confidence of the arg-max class against
whether it is right).

Examples
--------
>>> p = np.array([0.1, 0.1, 0.9, 0.9])
>>> y = np.array([0, 1, 1, 1])
>>> round(expected_calibration_error(p, y, n_bins=10), 6)
0.25
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from biodl.assess._encode import split_logits
from biodl.assess.types import AssessInputs, Flag, Item
from biodl.tasks import Multiclass, Task, make_task

__all__ = [
    "brier_score",
    "calibration",
    "confidence_and_outcome",
    "expected_calibration_error",
    "fit_temperature",
    "reliability",
]

_MAX_DIAGRAMS = 20


def _bin_index(p: np.ndarray, n_bins: int) -> npt.NDArray[np.int64]:
    return np.minimum((np.asarray(p) * n_bins).astype(np.int64), n_bins - 1)


def reliability(p: npt.ArrayLike, outcome: npt.ArrayLike, *, n_bins: int = 10) -> dict[str, Any]:
    """Reliability-diagram points of probabilities ``p`` ``(N,)`` against 0/1 outcomes.

    Bins are ``[i / n_bins, (i + 1) / n_bins)``, the last one closed.

    Returns
    -------
    dict
        Lists of length ``n_bins``: ``lower``, ``upper``, ``count``, ``confidence``
        (mean ``p``) and ``accuracy`` (mean outcome); None for an empty bin.

    Examples
    --------
    >>> r = reliability([0.05, 0.95, 0.85], [0, 1, 0], n_bins=2)
    >>> r["count"], r["confidence"], r["accuracy"]
    ([1, 2], [0.05, 0.8999999999999999], [0.0, 0.5])
    """
    prob = np.asarray(p, dtype=np.float64)
    out = np.asarray(outcome, dtype=np.float64)
    idx = _bin_index(prob, n_bins)
    count = np.bincount(idx, minlength=n_bins)
    conf = np.bincount(idx, weights=prob, minlength=n_bins)
    acc = np.bincount(idx, weights=out, minlength=n_bins)
    return {
        "lower": [i / n_bins for i in range(n_bins)],
        "upper": [(i + 1) / n_bins for i in range(n_bins)],
        "count": [int(c) for c in count],
        "confidence": [float(c / n) if n else None for c, n in zip(conf, count, strict=True)],
        "accuracy": [float(a / n) if n else None for a, n in zip(acc, count, strict=True)],
    }


def expected_calibration_error(
    p: npt.ArrayLike, outcome: npt.ArrayLike, *, n_bins: int = 10
) -> float:
    """``sum_b (n_b / N) |mean outcome_b - mean p_b|`` over equal-width bins of ``p``.

    Parameters
    ----------
    p
        Probabilities ``(N,)`` (of the positive class, or of the top label).
    outcome
        0/1 outcomes ``(N,)`` (the label, or whether the top label is right).
    n_bins
        Equal-width bins over ``[0, 1]``.

    Returns
    -------
    float
        In ``[0, 1]``; NaN for no example.
    """
    prob = np.asarray(p, dtype=np.float64)
    if prob.size == 0:
        return float("nan")
    out = np.asarray(outcome, dtype=np.float64)
    idx = _bin_index(prob, n_bins)
    gap = np.bincount(idx, weights=prob - out, minlength=n_bins)
    return float(np.abs(gap).sum() / prob.size)


def brier_score(p: npt.ArrayLike, outcome: npt.ArrayLike) -> float:
    """Mean squared difference of probabilities and 0/1 outcomes (NaN for none).

    Examples
    --------
    >>> brier_score([0.2, 0.9], [0, 1])
    0.025
    """
    prob = np.asarray(p, dtype=np.float64)
    if prob.size == 0:
        return float("nan")
    return float(np.mean((prob - np.asarray(outcome, dtype=np.float64)) ** 2))


def confidence_and_outcome(
    task: Task, logits: np.ndarray, y: np.ndarray, *, temperature: float = 1.0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(p, outcome)`` per judged output: one pair per output (binary, multi-label,
    missing targets dropped) or one top-label pair (multi-class); ``p`` are the task's
    scores of ``logits / temperature``.

    Raises
    ------
    ValueError
        For a task whose scores are not probabilities (regression).
    """
    if not task.probabilistic:
        msg = f"calibration needs probabilities, not the values of a {task.name} task"
        raise ValueError(msg)
    z = np.asarray(logits, dtype=np.float64) / temperature
    target = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if isinstance(task, Multiclass):
        keep = ~np.isnan(target[:, 0])
        prob = task.score_matrix(z[keep])
        correct = np.argmax(prob, axis=1) == target[keep, 0].astype(np.int64)
        return [(prob.max(axis=1), correct.astype(np.float64))]
    prob = task.score_matrix(z)
    pairs = []
    for t in range(target.shape[1]):
        keep = ~np.isnan(target[:, t])
        pairs.append((prob[keep, t], target[keep, t]))
    return pairs


def _multiclass_brier(
    task: Multiclass, logits: np.ndarray, y: np.ndarray, temperature: float
) -> float:
    keep = ~np.isnan(y[:, 0])
    prob = task.score_matrix(np.asarray(logits, dtype=np.float64)[keep] / temperature)
    onehot = np.zeros_like(prob)
    onehot[np.arange(prob.shape[0]), y[keep, 0].astype(np.int64)] = 1.0
    return float(np.mean(np.sum((prob - onehot) ** 2, axis=1))) if prob.size else float("nan")


def fit_temperature(logits: npt.ArrayLike, y: npt.ArrayLike, task: Task | str) -> float:
    """The temperature ``T > 0`` minimising the negative log-likelihood of ``logits / T``.

    One scalar for the whole model (all outputs of a multi-label model), fitted with
    LBFGS on ``log T``.

    Parameters
    ----------
    logits
        Raw outputs ``(N, T)`` (``(N, K)`` for multi-class).
    y
        Targets ``(N, T)`` 0/1 with NaN where missing, or ``(N, 1)`` / ``(N,)`` class
        indices for multi-class.
    task
        The run's :class:`biodl.tasks.Task` (or a task name): a binary, multi-label or
        multi-class task.

    Returns
    -------
    float
        The temperature; 1 when there is nothing to fit.

    Raises
    ------
    ValueError
        For a task whose scores are not probabilities (regression).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(0, 2, size=(4000, 1))
    >>> y = (rng.random((4000, 1)) < 1 / (1 + np.exp(-z))).astype(float)
    >>> round(fit_temperature(5 * z, y, "binary"))
    5
    """
    kind = make_task(task) if isinstance(task, str) else task
    if not kind.probabilistic:
        msg = f"temperature scaling needs a classification task, not {kind.name!r}"
        raise ValueError(msg)
    z = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    target = torch.as_tensor(np.asarray(y, dtype=np.float64)).reshape(z.shape[0], -1)
    if isinstance(kind, Multiclass):
        keep = ~torch.isnan(target[:, 0])
        z, cls = z[keep], target[keep, 0].long()
        if z.shape[0] == 0:
            return 1.0

        def nll(scaled: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.cross_entropy(scaled, cls)

    else:
        keep = ~torch.isnan(target)
        z, obs = z[keep], target[keep]
        if z.numel() == 0:
            return 1.0

        def nll(scaled: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.binary_cross_entropy_with_logits(scaled, obs)

    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = nll(z / torch.exp(log_t))
        loss.backward()
        return loss

    opt.step(closure)
    return float(torch.exp(log_t.detach()))


def _measure(
    task: Task,
    logits: np.ndarray,
    y: np.ndarray,
    outputs: tuple[str, ...],
    n_bins: int,
    temperature: float,
) -> dict[str, Any]:
    pairs = confidence_and_outcome(task, logits, y, temperature=temperature)
    names = ("top label",) if isinstance(task, Multiclass) else outputs
    ece = {
        n: expected_calibration_error(p, o, n_bins=n_bins)
        for n, (p, o) in zip(names, pairs, strict=True)
    }
    if isinstance(task, Multiclass):
        brier = {"top label": _multiclass_brier(task, logits, y, temperature)}
    else:
        brier = {n: brier_score(p, o) for n, (p, o) in zip(names, pairs, strict=True)}
    diagrams = {
        n: reliability(p, o, n_bins=n_bins)
        for n, (p, o) in list(zip(names, pairs, strict=True))[:_MAX_DIAGRAMS]
    }
    defined = [v for v in ece.values() if not np.isnan(v)]
    briers = [v for v in brier.values() if not np.isnan(v)]
    return {
        "ece": float(np.mean(defined)) if defined else None,
        "ece_per_output": {k: (None if np.isnan(v) else v) for k, v in ece.items()},
        "brier": float(np.mean(briers)) if briers else None,
        "brier_per_output": {k: (None if np.isnan(v) else v) for k, v in brier.items()},
        "reliability": diagrams,
    }


def calibration(
    inputs: AssessInputs, *, n_bins: int = 10, red: float = 0.1, amber: float = 0.05
) -> Item:
    """Expected calibration error, Brier score and temperature scaling.

    Parameters
    ----------
    inputs
        Needs the ``test`` split with the model's logits (or the model); ``valid`` to
        fit the temperature.
    n_bins
        Equal-width probability bins.
    red, amber
        Flag thresholds on the test ECE of the model as it is (mean over outputs).

    Returns
    -------
    Item
        Key ``calibration``; values ``ece``, ``ece_per_output``, ``brier``,
        ``brier_per_output``, ``reliability`` (per output, at most 20: ``lower``,
        ``upper``, ``count``, ``confidence``, ``accuracy``), ``temperature`` (fitted on
        valid, None without valid), and the same after scaling as ``after``.
    """
    rule = (
        f"red when the test expected calibration error ({n_bins} equal-width bins; mean "
        f"over outputs; top label for multi-class) > {red:g}, amber > {amber:g}, "
        "green otherwise"
    )
    kind = inputs.task_kind
    if not kind.probabilistic:
        return Item(
            "calibration",
            "not_assessed",
            rule,
            "Not assessed: a regression model gives values, not probabilities.",
            {},
        )
    test = inputs.splits.get("test")
    logits = split_logits(inputs, "test")
    if test is None or logits is None or logits.ndim != 2 or len(test) == 0:
        why = "needs the model's outputs on a test split (one value per example)"
        return Item("calibration", "not_assessed", rule, f"Not assessed: {why}.", {})
    y = np.asarray(test.y, dtype=np.float64)
    before = _measure(kind, logits, y, inputs.outputs, n_bins, 1.0)
    values: dict[str, Any] = {"split": "test", "n": len(test), "n_bins": n_bins, **before}
    temperature = None
    valid_logits = split_logits(inputs, "valid")
    valid = inputs.splits.get("valid")
    if valid is not None and valid_logits is not None and valid_logits.ndim == 2 and len(valid):
        temperature = fit_temperature(valid_logits, np.asarray(valid.y, float), kind)
        values["after"] = _measure(kind, logits, y, inputs.outputs, n_bins, temperature)
    values["temperature"] = temperature
    values["temperature_fitted_on"] = "valid" if temperature is not None else None
    ece = before["ece"]
    if ece is None:
        return Item(
            "calibration", "not_assessed", rule, "Not assessed: no observed target.", values
        )
    flag: Flag = "red" if ece > red else "amber" if ece > amber else "green"
    summary = f"Test ECE {ece:.3f}, Brier {before['brier']:.3f}"
    if temperature is not None:
        after = values["after"]["ece"]
        summary += f"; temperature {temperature:.2f} (fitted on valid) gives ECE {after:.3f}"
    return Item("calibration", flag, rule, summary + ".", values)
