"""Tasks: what a model's outputs mean, in one place.

A :class:`Task` owns everything that depends on the kind of prediction: the training
loss, outputs → scores (sigmoid, softmax, identity, ``exp`` for a Poisson rate), labels
→ truth, the headline and validation metrics, metric computation, the output columns
and the decision threshold. Every layer asks its task; nothing else compares task
names. Four kinds:

=====================  ====================  ====================  ==================
task                   model outputs         scores                headline metric
=====================  ====================  ====================  ==================
:class:`Binary`        1 logit               sigmoid               ``auroc``
:class:`Multiclass`    K logits              softmax               ``accuracy``
:class:`Multilabel`    T logits (per pos.)   sigmoid each          ``macro_auroc``
:class:`Regression`    T values (per pos.)   values, ``exp`` for   ``mean_pearson``
                                             a Poisson log rate
                                             (or multinomial)
=====================  ====================  ====================  ==================

A task is written into a run's ``model.json`` by :meth:`Task.to_meta` and read back by
:func:`task_from_meta`, so ``predict``, ``evaluate``, ``assess`` and ``score-variants``
score the same run the same way.

Examples
--------
>>> import numpy as np
>>> task = Regression(outputs=("counts",), loss="poisson")
>>> task.scores(np.array([[0.0], [np.log(3.0)]])).round(6).tolist()
[[1.0], [3.0]]
>>> task_from_meta(task.to_meta()) == task
True
>>> Binary(positive="bound", negative="unbound").scores(np.array([[0.0]])).tolist()
[0.5]
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, Protocol, get_args

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torchmetrics import Metric
from torchmetrics.classification import BinaryAUROC, MulticlassAUROC
from torchmetrics.utilities import dim_zero_cat

from biodl.errors import InputError
from biodl.metrics import (
    auroc,
    binary_metrics,
    multiclass_metrics,
    multilabel_metrics,
    regression_metrics,
    track_metrics,
)

__all__ = [
    "TASK_KINDS",
    "TASK_NAMES",
    "THRESHOLD_RULES",
    "Binary",
    "Combine",
    "Labelled",
    "MaskedAUROC",
    "Multiclass",
    "Multilabel",
    "Regression",
    "RegressionLoss",
    "Task",
    "TaskName",
    "ThresholdRule",
    "bin_targets",
    "bpnet_count_weight",
    "choose_threshold",
    "make_task",
    "masked_loss",
    "multinomial_loss",
    "output_name_problem",
    "task_class",
    "task_from_meta",
    "threshold_problem",
]

TaskName = Literal["binary", "multiclass", "multilabel", "regression"]
"""The name of a task kind, as written in configurations and ``model.json``."""

TASK_NAMES: tuple[TaskName, ...] = get_args(TaskName)

RegressionLoss = Literal["mse", "poisson", "multinomial"]
"""A regression loss: squared error, Poisson counts, or BPNet's multinomial profile plus
total count (per-position outputs only; :func:`multinomial_loss`)."""

Combine = Literal["probability", "softmax", "rate", "mean"]
"""How an ensemble averages raw outputs (:attr:`Task.ensemble_combine`)."""

ThresholdRule = Literal["mcc", "f1", "youden"]
"""How a decision threshold is chosen on validation data (:func:`choose_threshold`)."""

THRESHOLD_RULES: tuple[ThresholdRule, ...] = get_args(ThresholdRule)

_TIE = 1e-12
"""Criterion values within this of the best are ties (:func:`choose_threshold`)."""

FloatArray = npt.NDArray[np.float64]


class Labelled(Protocol):
    """What a task reads truth from (:class:`biodl.data.Examples` is one)."""

    @property
    def labels(self) -> Sequence[str]: ...

    @property
    def values(self) -> Sequence[np.ndarray] | None: ...


def _numpy(z: np.ndarray | torch.Tensor) -> FloatArray:
    if isinstance(z, torch.Tensor):
        z = z.detach().float().cpu().numpy()
    return np.asarray(z, dtype=np.float64)


def _sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))  # exact 0.5 at 0, no overflow
    return out


def _softmax(z: FloatArray) -> FloatArray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    out: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return out


def bin_targets(target: torch.Tensor, length: int) -> torch.Tensor:
    """Average per-position targets ``(N, T, L)`` into ``length`` equal bins of
    ``L // length`` positions (the last ``L mod length`` positions are dropped, as a
    pooling layer drops them), ignoring NaN: a bin with no observed position stays NaN.

    Examples
    --------
    >>> bin_targets(torch.tensor([[[1.0, 3.0, float("nan"), float("nan")]]]), 2)
    tensor([[[2., nan]]])
    """
    n, t, size = target.shape
    if size == length:
        return target
    if length > size:
        msg = f"per-position targets of length {size} cannot be binned into {length} outputs"
        raise ValueError(msg)
    if size % length:  # bins cover the first length * (size // length) positions
        size = length * (size // length)
        target = target[..., :size]
    view = target.reshape(n, t, length, size // length)
    seen = ~torch.isnan(view)
    total = torch.where(seen, view, torch.zeros_like(view)).sum(-1)
    count = seen.sum(-1)
    return torch.where(count > 0, total / count.clamp(min=1), torch.full_like(total, math.nan))


def threshold_problem(truth: npt.ArrayLike) -> str | None:
    """Why no threshold can be chosen on ``truth`` (0/1, NaN for unknown), or ``None``.

    Examples
    --------
    >>> threshold_problem([1, 1, float("nan")])
    'the validation data have positives only'
    >>> threshold_problem([0, 1]) is None
    True
    """
    y = np.asarray(truth, dtype=np.float64).reshape(-1)
    y = y[~np.isnan(y)]
    if y.size == 0:
        return "there are no validation data"
    n_pos = int(np.count_nonzero(y == 1))
    if n_pos == 0:
        return "the validation data have negatives only"
    if n_pos == y.size:
        return "the validation data have positives only"
    return None


def output_name_problem(names: Sequence[object], n_outputs: int) -> str | None:
    """Why ``names`` cannot name ``n_outputs`` outputs (the ``outputs:`` key of a
    configuration, ``model.json``'s ``output_names``), or ``None``.

    Examples
    --------
    >>> output_name_problem(["a", "b"], 1)
    'outputs: 2 names given for 1 output'
    >>> output_name_problem(["bound"], 1) is None
    True
    """
    if isinstance(names, str) or len(names) != n_outputs:
        given = 1 if isinstance(names, str) else len(names)
        plural = "" if n_outputs == 1 else "s"
        return (
            f"outputs: {given} name{'' if given == 1 else 's'} given for {n_outputs} output{plural}"
        )
    texts = [str(n).strip() if isinstance(n, str) else "" for n in names]
    if not all(texts):
        return "outputs: every name must be non-empty text"
    seen = {t for t in texts if texts.count(t) > 1}
    if seen:
        return f"outputs: the name {sorted(seen)[0]!r} is given twice"
    return None


def _short_decimal(lo: float, hi: float) -> float:
    """The decimal with the fewest digits in ``(lo, hi]``, the nearest to 0.5 of those
    (``hi`` when none has at most 15 digits)."""
    for digits in range(1, 16):
        scale = 10**digits
        k_lo = math.floor(lo * scale) + 1
        k_hi = math.floor(hi * scale)
        if k_lo > k_hi:
            continue
        centre = scale // 2
        k = min(max(centre, k_lo), k_hi)
        for cand in (k, k - 1, k + 1):  # float rounding of lo * scale, hi * scale
            t = cand / scale
            if lo < t <= hi:
                return t
    return hi


def choose_threshold(truth: npt.ArrayLike, scores: npt.ArrayLike, *, rule: ThresholdRule) -> float:
    """The decision threshold (``score >= t`` is positive) that is best by ``rule``.

    Every distinct score is tried as the lowest score called positive; each such cut is
    scored by ``rule``: ``mcc`` (Matthews correlation, 0 where undefined), ``f1`` (of
    the positive class) or ``youden`` (sensitivity + specificity - 1). Cuts whose values
    are within 1e-12 of the best are ties. A cut is a gap ``(lo, hi]`` between the
    highest score called negative (``lo``; 0 for the cut that calls every example
    positive) and the lowest called positive (``hi``); the threshold is the decimal
    with the fewest digits in that gap, the nearest to 0.5 of those (so thresholds are
    short numbers that sit between validation scores, and 0.5 itself is kept when it is
    among the best). Among tied cuts, the one whose threshold is nearest 0.5 wins, then
    the higher threshold.

    Unknown truth (NaN) is left out. Without both classes (or without data) no
    threshold can be chosen and the result is 0.5 (:func:`threshold_problem` says why).

    Parameters
    ----------
    truth
        0/1 labels (NaN for unknown), any shape.
    scores
        Probabilities of the positive class, the same shape.
    rule
        ``mcc``, ``f1`` or ``youden``.

    Returns
    -------
    float
        The threshold, in ``[0, 1]``.

    Raises
    ------
    ValueError
        For an unknown rule or shapes that differ.

    Examples
    --------
    The cuts at 0.8 and at 0.35 tie on MCC (and on Youden's J); 0.5 lies in the gap
    ``(0.4, 0.8]`` of the first. F1 is best calling 0.35 and above positive:

    >>> y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    >>> [choose_threshold(y, s, rule=r) for r in ("mcc", "f1", "youden")]
    [0.5, 0.3, 0.5]
    >>> choose_threshold([0, 0, 0, 1], [0.01, 0.02, 0.03, 0.04], rule="mcc")
    0.04
    >>> choose_threshold([1, 1], [0.2, 0.9], rule="mcc")
    0.5
    """
    if rule not in THRESHOLD_RULES:
        raise ValueError(f"unknown threshold rule {rule!r}; known: {', '.join(THRESHOLD_RULES)}")
    y = np.asarray(truth, dtype=np.float64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if y.shape != s.shape:
        raise ValueError(f"truth and scores differ in size: {y.size} and {s.size}")
    keep = ~np.isnan(y)
    y, s = y[keep] == 1, s[keep]
    if threshold_problem(y.astype(np.float64)) is not None:
        return 0.5
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s_sorted) != 0), len(s_sorted) - 1]  # end of each tie
    tp = np.cumsum(y_sorted)[last].astype(np.float64)
    fp = np.cumsum(~y_sorted)[last].astype(np.float64)
    n_pos, n_neg = float(y.sum()), float((~y).sum())
    fn, tn = n_pos - tp, n_neg - fp
    if rule == "mcc":
        denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        value = np.divide(tp * tn - fp * fn, denom, out=np.zeros_like(tp), where=denom > 0)
    elif rule == "f1":
        value = 2 * tp / (2 * tp + fp + fn)
    else:
        value = tp / n_pos - fp / n_neg
    hi = s_sorted[last]
    lo = np.r_[hi[1:], 0.0]
    best = float(value.max())
    candidates = [
        _short_decimal(float(lo[i]), float(hi[i]))
        for i in np.flatnonzero(value >= best - _TIE).tolist()
    ]
    return min(candidates, key=lambda t: (abs(t - 0.5), -t))


def masked_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    kind: Literal["bce", "mse", "poisson"],
    pos_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean loss over the observed (non-NaN) targets of ``(N, T)`` or ``(N, T, L)`` outputs.

    ``bce``: binary cross-entropy on logits (``pos_weight`` ``(T,)`` weighs positives of
    each output); ``mse``: squared error; ``poisson``: the Poisson negative log
    likelihood of counts with the model's output as the log rate (``exp(z) - y z``, as
    :class:`torch.nn.PoissonNLLLoss` with ``log_input=True, full=False``). Per-position
    targets longer than the output are averaged into bins first (:func:`bin_targets`).

    Examples
    --------
    >>> z = torch.tensor([[0.0, 2.0]])
    >>> masked_loss(z, torch.tensor([[1.0, float("nan")]]), kind="mse")
    tensor(1.)
    """
    logits = logits.float()
    if logits.dim() == 3:
        target = bin_targets(target, logits.shape[-1])
    seen = ~torch.isnan(target)
    y = torch.where(seen, target, torch.zeros_like(target))
    if kind == "bce":
        weight = pos_weight
        if weight is not None and logits.dim() == 3:
            weight = weight[:, None]
        per = F.binary_cross_entropy_with_logits(logits, y, pos_weight=weight, reduction="none")
    elif kind == "mse":
        per = (logits - y) ** 2
    else:
        per = torch.exp(logits) - y * logits
    per = torch.where(seen, per, torch.zeros_like(per))
    return per.sum() / seen.sum().clamp(min=1)


def multinomial_loss(
    logits: torch.Tensor, target: torch.Tensor, *, count_weight: float
) -> torch.Tensor:
    """BPNet's profile loss (Avsec et al. 2021): multinomial plus total count.

    The outputs ``z`` ``(N, T, B)`` are log rates per bin, as for a Poisson loss. For
    each window and track, with ``y`` the observed profile:

    ``-sum_b y_b log_softmax(z)_b + count_weight * (log(1 + sum_b y_b) - log(1 + sum_b
    exp z_b))^2``

    the multinomial negative log likelihood of the profile's shape (without the
    log-factorial terms, which do not depend on the model) and the squared error of the
    log total count, where the predicted total is ``exp(logsumexp(z))`` (so
    ``log(1 + total)`` is ``softplus(logsumexp(z))``, computed stably). Adding a
    constant to ``z`` changes the count term only. The loss is the mean over windows
    and tracks.

    Missing (NaN) bins are left out of both terms: the profile is a multinomial over
    the observed bins (the softmax and the predicted total run over them only); a
    window and track with no observed bin is left out of the mean (0 when none is
    left). Per-position targets longer than the output are averaged into bins first
    (:func:`bin_targets`). Float64 outputs are kept in float64, others computed in
    float32.

    Parameters
    ----------
    logits
        Log rates ``(N, T, B)``.
    target
        Observed counts or coverage ``(N, T, B)`` (or ``(N, T, L)`` with ``L >= B``),
        NaN where missing.
    count_weight
        The weight of the count term (:func:`bpnet_count_weight` gives BPNet's).

    Raises
    ------
    ValueError
        For outputs that are not ``(N, T, B)`` or a negative count weight.

    Examples
    --------
    A flat prediction of total 3 for an observed profile ``[1, 2, 0]`` (total 3):
    the count term is 0, the profile term is ``3 log 3``.

    >>> z = torch.zeros(1, 1, 3)
    >>> loss = multinomial_loss(z, torch.tensor([[[1.0, 2.0, 0.0]]]), count_weight=1.0)
    >>> round(float(loss), 4), round(3 * math.log(3), 4)
    (3.2958, 3.2958)
    """
    if logits.dim() != 3:
        msg = f"the multinomial loss needs per-position outputs (N, T, B), not {logits.dim()}-D"
        raise ValueError(msg)
    if not count_weight >= 0 or not math.isfinite(count_weight):
        raise ValueError(f"count_weight must be a finite number >= 0, not {count_weight}")
    z = logits if logits.dtype == torch.float64 else logits.float()
    target = bin_targets(target.to(z.dtype), z.shape[-1])
    seen = ~torch.isnan(target)
    has = seen.any(dim=-1)  # (N, T): windows and tracks with an observed bin
    y = torch.where(seen, target, torch.zeros_like(target))
    # observed bins only; a row with none keeps its z (finite gradients), then is dropped
    use = seen | ~has[..., None]
    zm = torch.where(use, z, torch.full_like(z, -math.inf))
    lse = torch.logsumexp(zm, dim=-1)
    log_p = torch.where(use, zm - lse[..., None], torch.zeros_like(z))
    profile = -(y * log_p).sum(dim=-1)
    count = (torch.log1p(y.sum(dim=-1)) - F.softplus(lse)) ** 2
    per = torch.where(has, profile + count_weight * count, torch.zeros_like(profile))
    return per.sum() / has.sum().clamp(min=1)


def bpnet_count_weight(targets: npt.ArrayLike) -> float:
    """BPNet's weight of the count term: half the mean total per window and track.

    Avsec et al. (2021) weigh the total-count loss by ``lambda = n_obs / 2``, ``n_obs``
    the average total count per region, so that the count and the profile terms have
    comparable gradients. Here it is half the mean, over windows and tracks, of each
    window's total over its observed (non-NaN) bins; windows and tracks with no
    observed bin are left out. The result is at least ``1e-3``, so that the count term
    is never switched off (training targets that are all zero give ``1e-3``).

    Parameters
    ----------
    targets
        Training targets ``(N, T, B)`` as the loss sees them (on the outputs' bins).

    Raises
    ------
    ValueError
        For targets that are not 3-D or have no observed value.

    Examples
    --------
    Totals 4 and 8 (track a), 6 (track b; its second window is missing):

    >>> y = np.array([[[1.0, 3.0], [2.0, 4.0]], [[8.0, 0.0], [np.nan, np.nan]]])
    >>> bpnet_count_weight(y)
    3.0
    """
    y = np.asarray(targets, dtype=np.float64)
    if y.ndim != 3:
        raise ValueError(f"targets must be (N, T, B), not of shape {y.shape}")
    seen = ~np.isnan(y)
    has = seen.any(axis=-1)
    if not has.any():
        raise ValueError("the targets have no observed value to weigh the count term by")
    totals = np.where(seen, y, 0.0).sum(axis=-1)[has]
    return max(float(totals.mean()) / 2.0, 1e-3)


class MaskedAUROC(Metric):
    """Macro AUROC over outputs, leaving out missing (NaN) targets; DDP-safe.

    Accepts scores and 0/1 targets of shape ``(N, T)`` or ``(N, T, L)`` (positions are
    pooled per output). An output with one class only in the validation set is left out
    of the mean; with none left the value is NaN.
    """

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("scores", default=[], dist_reduce_fx="cat")
        self.add_state("target", default=[], dist_reduce_fx="cat")

    def update(self, scores: torch.Tensor, target: torch.Tensor) -> None:
        if scores.dim() == 3:  # (N, T, L) -> (N * L, T)
            scores = scores.transpose(1, 2).reshape(-1, scores.shape[1])
            target = target.transpose(1, 2).reshape(-1, target.shape[1])
        self._store("scores").append(scores.detach().float())
        self._store("target").append(target.detach().float())

    def _store(self, name: str) -> list[torch.Tensor]:
        value = getattr(self, name)
        if not isinstance(value, list):  # pragma: no cover - a list until synchronised
            msg = f"metric state {name} was already synchronised"
            raise TypeError(msg)
        return value

    def compute(self) -> torch.Tensor:
        scores = dim_zero_cat(self.scores).cpu().numpy()  # type: ignore[arg-type]
        target = dim_zero_cat(self.target).cpu().numpy()  # type: ignore[arg-type]
        values = []
        for t in range(scores.shape[1]):
            keep = ~np.isnan(target[:, t])
            y = target[keep, t]
            if keep.any() and 0 < y.sum() < len(y):
                values.append(auroc(y.astype(bool), scores[keep, t]))
        return torch.tensor(float(np.mean(values)) if values else float("nan"))


def _threshold_values(threshold: float | Sequence[float], n: int) -> tuple[float, ...]:
    """``n`` thresholds from one value or a sequence of ``n``, each in ``[0, 1]``."""
    if isinstance(threshold, bool):
        raise ValueError(f"a decision threshold must be a number, not {threshold}")
    if isinstance(threshold, int | float):
        values = (float(threshold),) * n
    else:
        values = tuple(float(v) for v in threshold)
        if len(values) != n:
            raise ValueError(f"{len(values)} thresholds given for {n} outputs")
    for v in values:
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"a decision threshold must be in [0, 1], not {v}")
    return values


def _cell(values: np.ndarray) -> str:
    """One value, or per-position values comma-separated; NaN as NA."""
    flat = np.atleast_1d(values)
    return ",".join("NA" if np.isnan(v) else f"{v:.6g}" for v in flat.tolist())


@dataclass(frozen=True)
class Task(ABC):
    """What a model's outputs mean; subclasses are the four task kinds.

    Attributes
    ----------
    name
        ``binary``, ``multiclass``, ``multilabel`` or ``regression``.
    headline
        The metric that summarises a split (``metrics.json`` key).
    probabilistic
        Whether :meth:`scores` are probabilities (a log odds ratio is defined).
    classification
        Whether examples carry one class label (binary, multi-class) rather than values.
    binary_outputs
        Whether each output is a 0/1 target (binary, multi-label).
    given_names
        The outputs' names for people (see :attr:`names`), or ``()`` to use
        :attr:`outputs`; set by :meth:`named`.
    """

    given_names: tuple[str, ...] = field(default=(), kw_only=True)

    name: ClassVar[TaskName]
    headline: ClassVar[str]
    probabilistic: ClassVar[bool] = True
    classification: ClassVar[bool] = False
    binary_outputs: ClassVar[bool] = False

    # -- identity -------------------------------------------------------------------

    @property
    @abstractmethod
    def outputs(self) -> tuple[str, ...]:
        """Names of the scored outputs (binary: the positive label; multi-class: the
        classes; multi-label and regression: the outputs)."""

    @property
    def n_outputs(self) -> int:
        """Number of model outputs (logits or values) the task needs."""
        return len(self.outputs)

    @property
    def names(self) -> tuple[str, ...]:
        """The outputs' names for people: explain titles, variant INFO fields, report
        captions. :attr:`outputs` stays the outputs' identity (label columns, classes,
        metric keys, prediction columns). Runs without recorded names (``model.json``
        written before ``output_names``) use :attr:`outputs`, so nothing of theirs is
        renamed.

        Examples
        --------
        >>> Binary(positive="1", negative="0").named(column="Bound").names
        ('Bound',)
        >>> Binary(positive="1", negative="0").names
        ('1',)
        """
        return self.given_names or self.outputs

    def named(self, names: Sequence[str] | None = None, *, column: object = None) -> Task:
        """The task with the outputs' names for people (:attr:`names`).

        The rule: the configuration's ``outputs:`` list (``names``, one per output) when
        given; else, for a binary task, the positive label when it has a letter in it
        (``positive: bound``), else the label column's name (``label: Bound`` with 0/1
        labels), else the positive label as before. Other tasks keep their outputs'
        names (classes, label columns).

        Raises
        ------
        InputError
            When ``names`` does not give one distinct, non-empty name per output.

        Examples
        --------
        >>> t = Binary(positive="1", negative="0")
        >>> t.named(["bound"]).names, t.named().names
        (('bound',), ('1',))
        >>> Binary(positive="Bound", negative="Unbound").named(column="label").names
        ('Bound',)
        """
        if names is not None:
            problem = output_name_problem(names, self.n_outputs)
            if problem is not None:
                raise InputError(problem)
            chosen = tuple(str(n) for n in names)
        else:
            chosen = self._default_names(column)
        new = copy.copy(self)
        object.__setattr__(new, "given_names", () if chosen == self.outputs else chosen)
        return new

    def _default_names(self, column: object) -> tuple[str, ...]:
        """:attr:`names` when the configuration gives no ``outputs:`` (see :meth:`named`)."""
        return self.outputs

    @property
    def per_position(self) -> bool:
        """Whether each output is a track with one value per position (or bin)."""
        return False

    @property
    def numeric(self) -> bool:
        """Whether truth is a float matrix with NaN for missing (multi-label, regression)."""
        return not self.classification

    @property
    def threshold(self) -> float | None:
        """Decision threshold on the score: binary, or multi-label when every output has
        the same one; else ``None`` (see :attr:`thresholds`)."""
        return None

    @property
    def thresholds(self) -> tuple[float, ...] | None:
        """Decision threshold of each output (binary: one; multi-label: one per output;
        ``score >= t`` is positive), or ``None`` for tasks without one."""
        return None

    def with_threshold(self, threshold: float | Sequence[float]) -> Task:
        """The same task deciding at ``threshold`` (one value, or one per output); tasks
        without a threshold are returned as they are."""
        return self

    def choose_threshold(
        self, truth: np.ndarray, scores: np.ndarray, *, rule: ThresholdRule
    ) -> tuple[Task, tuple[str, ...]]:
        """The task with thresholds chosen on ``truth``/``scores`` (validation, as
        :meth:`evaluable_truth` and :meth:`scores` give them) by ``rule``
        (:func:`choose_threshold`, per output), and a note for each output where none
        could be chosen (it keeps 0.5). Tasks without a threshold: ``(self, ())``."""
        return self, ()

    @property
    def ensemble_combine(self) -> Combine:
        """How an ensemble averages this task's raw outputs (:mod:`biodl.models.ensemble`):
        on the probability scale (``probability``, ``softmax``), the rate (``rate``) or
        the values (``mean``)."""
        return "probability"

    @abstractmethod
    def to_meta(self) -> dict[str, Any]:
        """``model.json`` fields describing the task (read back by :func:`task_from_meta`)."""

    def _names_meta(self) -> dict[str, Any]:
        """``model.json``'s ``output_names`` (only when they differ from the outputs)."""
        return {"output_names": list(self.given_names)} if self.given_names else {}

    # -- outputs -> scores ------------------------------------------------------------

    @abstractmethod
    def scores(self, z: np.ndarray | torch.Tensor) -> FloatArray:
        """Scores from the model's raw outputs ``z`` ``(N, T)`` or ``(N, T, L)``.

        Binary: ``(N,)`` positive-class probability; multi-class: ``(N, K)``
        probabilities; multi-label: sigmoid of each output; regression: the values
        (``exp`` of a Poisson model's log rate).
        """

    def score_matrix(self, z: np.ndarray | torch.Tensor) -> FloatArray:
        """:meth:`scores` as ``(N, n_outputs)`` (binary: one column)."""
        s = self.scores(z)
        return s[:, None] if s.ndim == 1 else s

    def log_odds(self, z: np.ndarray | torch.Tensor) -> FloatArray | None:
        """Log odds of each scored output ``(N, n_outputs)``, or ``None`` for values.

        Computed from the raw outputs, so it stays exact where probabilities round to 0
        or 1 (multi-class: ``z_t - logsumexp_{j != t} z_j``).
        """
        return None

    # -- labels -> truth --------------------------------------------------------------

    @abstractmethod
    def truth(self, examples: Labelled) -> np.ndarray:
        """``(N,)`` 0/1 (binary), class index (multi-class), or float values ``(N, T)``
        / ``(N, T, L)`` with NaN where missing."""

    # -- training ---------------------------------------------------------------------

    @abstractmethod
    def loss(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        *,
        pos_weight: torch.Tensor | None = None,
        class_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The training loss of a batch (targets as :meth:`training_targets` makes them)."""

    @abstractmethod
    def training_targets(self, truth: np.ndarray) -> np.ndarray:
        """Targets for :meth:`loss` from :meth:`truth`: float32 ``(N, 1)`` 0/1 (binary),
        int64 ``(N,)`` (multi-class), float32 values (others)."""

    def balanced_weights(
        self, targets: np.ndarray
    ) -> tuple[float | list[float] | None, list[float] | None]:
        """``(pos_weight, class_weight)`` for ``train.class_weight: balanced`` from the
        training targets (:meth:`training_targets`); ``(None, None)`` where the task has
        no class balance (regression)."""
        return None, None

    def validation_metric(self) -> Metric | None:
        """The metric logged as ``valid_auroc`` during training, or ``None``."""
        return None

    def update_validation(self, metric: Metric, logits: torch.Tensor, y: torch.Tensor) -> None:
        """Feed one validation batch to :meth:`validation_metric`'s metric."""
        target = bin_targets(y, logits.shape[-1]) if logits.dim() == 3 else y
        metric.update(logits.float(), target)

    # -- evaluation -------------------------------------------------------------------

    @abstractmethod
    def metrics(
        self, truth: np.ndarray, scores: np.ndarray, *, n_bootstrap: int, ci: float, seed: int
    ) -> dict[str, Any]:
        """Every metric of one split (``metrics.json``), with bootstrap CIs."""

    def evaluable_truth(self, truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Truth on the scores' grid: per-position truth averaged into output bins."""
        if truth.ndim != 3 or truth.shape[-1] == scores.shape[-1]:
            return truth
        return bin_targets(torch.from_numpy(truth), scores.shape[-1]).numpy().astype(np.float64)

    # -- tables -----------------------------------------------------------------------

    @abstractmethod
    def columns(self) -> list[str]:
        """Column names of per-example predictions after ``id`` and ``split``."""

    @abstractmethod
    def cells(self, label: str | None, truth: np.ndarray | None, score: np.ndarray) -> list[str]:
        """The cells of one example's row under :meth:`columns` (``label``/``truth``
        ``None`` for unlabelled input)."""

    def prediction_columns(self) -> list[str]:
        """Columns of ``biodl predict`` after ``id`` (no truth): the scores of
        :meth:`score_matrix` named ``pred_<output>`` (binary: ``score`` and ``logit``,
        multi-class: ``predicted`` and ``prob_<class>``)."""
        return [f"pred_{o}" for o in self.outputs]

    def prediction_cells(self, score: np.ndarray, z: np.ndarray) -> list[str]:
        """One ``biodl predict`` row under :meth:`prediction_columns` from one example's
        scores and raw outputs."""
        return [_cell(v) for v in np.asarray(score).reshape(len(self.outputs), -1)]


@dataclass(frozen=True)
class Binary(Task):
    """Two classes, one logit for ``positive``; binary cross-entropy.

    Examples
    --------
    >>> t = Binary(positive="1", negative="0")
    >>> t.truth(type("E", (), {"labels": ["1", "0"], "values": []})()).tolist()
    [1, 0]
    """

    positive: str
    negative: str
    decision_threshold: float = 0.5

    name: ClassVar[TaskName] = "binary"
    headline: ClassVar[str] = "auroc"
    classification: ClassVar[bool] = True
    binary_outputs: ClassVar[bool] = True

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.positive,)

    @property
    def threshold(self) -> float:
        return self.decision_threshold

    @property
    def thresholds(self) -> tuple[float, ...]:
        return (self.decision_threshold,)

    def with_threshold(self, threshold: float | Sequence[float]) -> Binary:
        """The task deciding at ``threshold``.

        Examples
        --------
        >>> Binary(positive="1", negative="0").with_threshold(0.3).to_meta()["threshold"]
        0.3
        """
        values = _threshold_values(threshold, 1)
        return replace(self, decision_threshold=values[0])

    def choose_threshold(
        self, truth: np.ndarray, scores: np.ndarray, *, rule: ThresholdRule
    ) -> tuple[Binary, tuple[str, ...]]:
        problem = threshold_problem(truth)
        notes = () if problem is None else (f"{problem}: threshold 0.5",)
        return self.with_threshold(choose_threshold(truth, scores, rule=rule)), notes

    def _default_names(self, column: object) -> tuple[str, ...]:
        if not any(ch.isalpha() for ch in self.positive) and isinstance(column, str) and column:
            return (column,)
        return (self.positive,)

    def to_meta(self) -> dict[str, Any]:
        return {
            "task": self.name,
            "labels": {"negative": self.negative, "positive": self.positive},
            "outputs": [self.positive],
            "threshold": self.decision_threshold,
            **self._names_meta(),
        }

    def scores(self, z: np.ndarray | torch.Tensor) -> FloatArray:
        arr = _numpy(z)
        return _sigmoid(arr.reshape(len(arr), -1)[:, 0])

    def log_odds(self, z: np.ndarray | torch.Tensor) -> FloatArray:
        arr = _numpy(z)
        return arr.reshape(len(arr), -1)[:, :1]

    def truth(self, examples: Labelled) -> np.ndarray:
        return np.array([lab == self.positive for lab in examples.labels], dtype=np.int64)

    def training_targets(self, truth: np.ndarray) -> np.ndarray:
        return np.asarray(truth, dtype=np.float32).reshape(-1, 1)

    def loss(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        *,
        pos_weight: torch.Tensor | None = None,
        class_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        weight = None if pos_weight is None else pos_weight.reshape(-1)[:1]
        return F.binary_cross_entropy_with_logits(logits.float(), target.float(), pos_weight=weight)

    def balanced_weights(self, targets: np.ndarray) -> tuple[float | None, None]:
        """``n_negative / n_positive`` as the positive weight (``None`` without both).

        Examples
        --------
        >>> Binary(positive="1", negative="0").balanced_weights(np.array([[1.0], [0.0], [0.0]]))
        (2.0, None)
        """
        y = np.asarray(targets).reshape(-1)
        n, n_pos = len(y), int((y == 1).sum())
        n_neg = n - n_pos
        if n_pos == 0 or n_neg == 0:
            return None, None
        # the ratio of scikit-learn's "balanced" weights n / (k n_c)
        return (n / (2 * n_pos)) / (n / (2 * n_neg)), None

    def validation_metric(self) -> Metric:
        return BinaryAUROC()

    def update_validation(self, metric: Metric, logits: torch.Tensor, y: torch.Tensor) -> None:
        metric.update(torch.sigmoid(logits.float()[:, 0]), y[:, 0].long())

    def metrics(
        self, truth: np.ndarray, scores: np.ndarray, *, n_bootstrap: int, ci: float, seed: int
    ) -> dict[str, Any]:
        """:func:`~biodl.metrics.binary_metrics` at the decision threshold, which is
        reported as ``threshold``."""
        result = binary_metrics(
            truth,
            scores,
            threshold=self.decision_threshold,
            n_bootstrap=n_bootstrap,
            ci=ci,
            seed=seed,
        )
        return {"threshold": {"value": self.decision_threshold, "ci": None}, **result}

    def columns(self) -> list[str]:
        return ["label", "target", "score"]

    def prediction_columns(self) -> list[str]:
        """``score`` (probability of the positive class), ``logit`` and ``predicted``
        (the positive label where ``score >= threshold``, else the negative one)."""
        return ["score", "logit", "predicted"]

    def prediction_cells(self, score: np.ndarray, z: np.ndarray) -> list[str]:
        """One row under :meth:`prediction_columns`.

        Examples
        --------
        >>> t = Binary(positive="bound", negative="unbound", decision_threshold=0.3)
        >>> t.prediction_cells(np.array([0.3]), np.array([-0.847298]))
        ['0.3', '-0.847298', 'bound']
        """
        value = float(np.asarray(score).reshape(-1)[0])
        called = self.positive if value >= self.decision_threshold else self.negative
        return [f"{value:.6g}", f"{float(np.asarray(z).reshape(-1)[0]):.6g}", called]

    def cells(self, label: str | None, truth: np.ndarray | None, score: np.ndarray) -> list[str]:
        value = float(np.asarray(score).reshape(-1)[0])
        if label is None:
            return ["", "", f"{value:.6g}"]
        return [label, str(int(label == self.positive)), f"{value:.6g}"]


@dataclass(frozen=True)
class Multiclass(Task):
    """One of ``classes``, one logit each; cross-entropy (optionally class-weighted).

    Examples
    --------
    >>> t = Multiclass(classes=("a", "b"))
    >>> t.log_odds(np.array([[0.0, np.log(3.0)]])).round(3).tolist()
    [[-1.099, 1.099]]
    """

    classes: tuple[str, ...]

    name: ClassVar[TaskName] = "multiclass"
    headline: ClassVar[str] = "accuracy"
    classification: ClassVar[bool] = True

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.classes

    @property
    def ensemble_combine(self) -> Combine:
        return "softmax"

    def to_meta(self) -> dict[str, Any]:
        return {
            "task": self.name,
            "labels": {"classes": list(self.classes)},
            "outputs": list(self.classes),
            **self._names_meta(),
        }

    def scores(self, z: np.ndarray | torch.Tensor) -> FloatArray:
        return _softmax(_numpy(z))

    def log_odds(self, z: np.ndarray | torch.Tensor) -> FloatArray | None:
        arr = _numpy(z)
        k = arr.shape[-1]
        if k < 2:
            return None
        out = np.empty_like(arr)
        for t in range(k):
            others = np.delete(arr, t, axis=-1)
            m = others.max(axis=-1)
            lse = m + np.log(np.exp(others - m[..., None]).sum(axis=-1))
            out[..., t] = arr[..., t] - lse
        return out

    def truth(self, examples: Labelled) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes)}
        return np.array([index[lab] for lab in examples.labels], dtype=np.int64)

    def training_targets(self, truth: np.ndarray) -> np.ndarray:
        return np.asarray(truth, dtype=np.int64).reshape(-1)

    def loss(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        *,
        pos_weight: torch.Tensor | None = None,
        class_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return F.cross_entropy(logits.float(), target.long(), weight=class_weight)

    def balanced_weights(self, targets: np.ndarray) -> tuple[None, list[float]]:
        """scikit-learn's "balanced" class weights ``n / (k n_c)`` (0 for an absent class).

        Examples
        --------
        >>> Multiclass(classes=("a", "b")).balanced_weights(np.array([0, 0, 0, 1]))
        (None, [0.6666666666666666, 2.0])
        """
        counts = np.bincount(np.asarray(targets, dtype=np.int64), minlength=len(self.classes))
        n, k = int(counts.sum()), len(self.classes)
        return None, [n / (k * int(c)) if c else 0.0 for c in counts]

    def validation_metric(self) -> Metric:
        return MulticlassAUROC(num_classes=len(self.classes), average="macro")

    def update_validation(self, metric: Metric, logits: torch.Tensor, y: torch.Tensor) -> None:
        metric.update(torch.softmax(logits.float(), dim=-1), y.long())

    def metrics(
        self, truth: np.ndarray, scores: np.ndarray, *, n_bootstrap: int, ci: float, seed: int
    ) -> dict[str, Any]:
        return multiclass_metrics(
            truth, scores, classes=self.classes, n_bootstrap=n_bootstrap, ci=ci, seed=seed
        )

    def columns(self) -> list[str]:
        return ["label", "predicted", *(f"prob_{c}" for c in self.classes)]

    def prediction_columns(self) -> list[str]:
        return ["predicted", *(f"prob_{c}" for c in self.classes)]

    def prediction_cells(self, score: np.ndarray, z: np.ndarray) -> list[str]:
        p = np.asarray(score).reshape(-1)
        return [self.classes[int(np.argmax(p))], *(f"{v:.6g}" for v in p)]

    def cells(self, label: str | None, truth: np.ndarray | None, score: np.ndarray) -> list[str]:
        p = np.asarray(score).reshape(-1)
        predicted = self.classes[int(np.argmax(p))]
        return ["" if label is None else label, predicted, *(f"{v:.6g}" for v in p)]


@dataclass(frozen=True)
class _Numeric(Task):
    """Shared by multi-label and regression: named outputs, possibly per position."""

    output_names: tuple[str, ...]
    tracks: bool = False

    def _set_outputs(
        self, outputs: Sequence[str], per_position: bool, given_names: Sequence[str] = ()
    ) -> None:
        """Set the fields of a frozen instance (for the subclasses' constructors)."""
        object.__setattr__(self, "output_names", tuple(outputs))
        object.__setattr__(self, "tracks", per_position)
        object.__setattr__(self, "given_names", tuple(given_names))

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.output_names

    @property
    def per_position(self) -> bool:
        return self.tracks

    def _meta(self) -> dict[str, Any]:
        return {
            "task": self.name,
            "labels": {"outputs": list(self.output_names)},
            "outputs": list(self.output_names),
            "per_position": self.tracks,
            **self._names_meta(),
        }

    def truth(self, examples: Labelled) -> np.ndarray:
        if not examples.values:
            return np.zeros((0, len(self.output_names)))
        return np.stack(list(examples.values)).astype(np.float64)

    def training_targets(self, truth: np.ndarray) -> np.ndarray:
        return np.asarray(truth, dtype=np.float32)

    def columns(self) -> list[str]:
        return [c for o in self.output_names for c in (f"true_{o}", f"pred_{o}")]

    def cells(self, label: str | None, truth: np.ndarray | None, score: np.ndarray) -> list[str]:
        out: list[str] = []
        for t in range(score.shape[0]):
            out += ["" if truth is None else _cell(truth[t]), _cell(score[t])]
        return out


@dataclass(frozen=True)
class Multilabel(_Numeric):
    """Several independent 0/1 outputs (NaN where unknown); a binary cross-entropy each."""

    decision_threshold: tuple[float, ...] = ()

    name: ClassVar[TaskName] = "multilabel"
    headline: ClassVar[str] = "macro_auroc"
    binary_outputs: ClassVar[bool] = True

    def __init__(
        self,
        outputs: Sequence[str],
        *,
        per_position: bool = False,
        threshold: float | Sequence[float] = 0.5,
        given_names: Sequence[str] = (),
    ) -> None:
        self._set_outputs(outputs, per_position, given_names)
        values = _threshold_values(threshold, len(self.output_names))
        object.__setattr__(self, "decision_threshold", values)

    @property
    def threshold(self) -> float | None:
        values = set(self.decision_threshold)
        return values.pop() if len(values) == 1 else None

    @property
    def thresholds(self) -> tuple[float, ...]:
        return self.decision_threshold

    def with_threshold(self, threshold: float | Sequence[float]) -> Multilabel:
        """The task deciding at ``threshold`` (one value for all outputs, or one each).

        Examples
        --------
        >>> Multilabel(["a", "b"]).with_threshold([0.2, 0.7]).to_meta()["threshold"]
        [0.2, 0.7]
        """
        return Multilabel(
            self.output_names,
            per_position=self.tracks,
            threshold=threshold,
            given_names=self.given_names,
        )

    def choose_threshold(
        self, truth: np.ndarray, scores: np.ndarray, *, rule: ThresholdRule
    ) -> tuple[Multilabel, tuple[str, ...]]:
        """One threshold per output (positions pooled for per-position outputs)."""
        y = np.asarray(truth, dtype=np.float64)
        s = np.asarray(scores, dtype=np.float64)
        chosen, notes = [], []
        for t, name in enumerate(self.output_names):
            problem = threshold_problem(y[:, t])
            if problem is not None:
                notes.append(f"output {name}: {problem}: threshold 0.5")
            chosen.append(choose_threshold(y[:, t], s[:, t], rule=rule))
        return self.with_threshold(chosen), tuple(notes)

    def to_meta(self) -> dict[str, Any]:
        return {**self._meta(), "threshold": list(self.decision_threshold)}

    def scores(self, z: np.ndarray | torch.Tensor) -> FloatArray:
        return _sigmoid(_numpy(z))

    def log_odds(self, z: np.ndarray | torch.Tensor) -> FloatArray:
        return _numpy(z)

    def loss(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        *,
        pos_weight: torch.Tensor | None = None,
        class_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return masked_loss(logits, target, kind="bce", pos_weight=pos_weight)

    def balanced_weights(self, targets: np.ndarray) -> tuple[list[float], None]:
        """``n_negative / n_positive`` of each output over its observed values (1 for an
        output with no positive or no negative)."""
        y = np.asarray(targets)
        flat = y if y.ndim == 2 else y.transpose(0, 2, 1).reshape(-1, y.shape[1])
        weights = []
        for t in range(flat.shape[1]):
            col = flat[:, t]
            col = col[~np.isnan(col)]
            pos = float(col.sum())
            neg = float(col.size - pos)
            weights.append(neg / pos if pos > 0 and neg > 0 else 1.0)
        return weights, None

    def validation_metric(self) -> Metric:
        return MaskedAUROC()

    def metrics(
        self, truth: np.ndarray, scores: np.ndarray, *, n_bootstrap: int, ci: float, seed: int
    ) -> dict[str, Any]:
        """:func:`~biodl.metrics.multilabel_metrics` at each output's decision
        threshold, which is reported as ``threshold[<output>]``."""
        result = multilabel_metrics(
            truth,
            scores,
            outputs=self.output_names,
            threshold=list(self.decision_threshold),
            n_bootstrap=n_bootstrap,
            ci=ci,
            seed=seed,
        )
        cuts = zip(self.output_names, self.decision_threshold, strict=True)
        return {**{f"threshold[{o}]": {"value": t, "ci": None} for o, t in cuts}, **result}


@dataclass(frozen=True)
class Regression(_Numeric):
    """Real-valued outputs (NaN where unknown): squared error, or Poisson counts with
    the model predicting the log rate (its scores are then the rate ``exp(z)``), or
    (per-position outputs only) BPNet's multinomial profile plus total-count loss on
    log rates per bin (:func:`multinomial_loss`; scores ``exp(z)`` too).

    ``count_weight`` is the weight of the multinomial loss's count term (1 when not
    given; :func:`bpnet_count_weight` gives BPNet's); the other losses have none.

    Examples
    --------
    >>> t = Regression(["dnase"], per_position=True, loss="multinomial", count_weight=2.5)
    >>> t.to_meta()["count_weight"], t.ensemble_combine
    (2.5, 'rate')
    >>> Regression(["y"], loss="multinomial")
    Traceback (most recent call last):
    ...
    ValueError: loss multinomial needs per_position: true
    """

    loss_name: RegressionLoss = "mse"
    count_weight: float | None = None

    name: ClassVar[TaskName] = "regression"
    headline: ClassVar[str] = "mean_pearson"
    probabilistic: ClassVar[bool] = False

    def __init__(
        self,
        outputs: Sequence[str],
        *,
        per_position: bool = False,
        loss: RegressionLoss = "mse",
        count_weight: float | None = None,
        given_names: Sequence[str] = (),
    ) -> None:
        if loss not in get_args(RegressionLoss):
            known = ", ".join(get_args(RegressionLoss))
            raise ValueError(f"unknown regression loss {loss!r}; known: {known}")
        if loss == "multinomial":
            if not per_position:
                raise ValueError("loss multinomial needs per_position: true")
            weight = 1.0 if count_weight is None else float(count_weight)
            if not (math.isfinite(weight) and weight >= 0) or isinstance(count_weight, bool):
                raise ValueError(f"count_weight must be a finite number >= 0, not {count_weight}")
        elif count_weight is not None:
            raise ValueError(f"count_weight is for loss multinomial, not {loss}")
        else:
            weight = None
        self._set_outputs(outputs, per_position, given_names)
        object.__setattr__(self, "loss_name", loss)
        object.__setattr__(self, "count_weight", weight)

    @property
    def log_rate(self) -> bool:
        """Whether the outputs are log rates (Poisson, multinomial): scores ``exp(z)``."""
        return self.loss_name in ("poisson", "multinomial")

    @property
    def ensemble_combine(self) -> Combine:
        return "rate" if self.log_rate else "mean"

    def to_meta(self) -> dict[str, Any]:
        weight = {} if self.count_weight is None else {"count_weight": self.count_weight}
        return {**self._meta(), "loss": self.loss_name, **weight}

    def scores(self, z: np.ndarray | torch.Tensor) -> FloatArray:
        arr = _numpy(z)
        return np.exp(arr) if self.log_rate else arr

    def loss(
        self,
        logits: torch.Tensor,
        target: torch.Tensor,
        *,
        pos_weight: torch.Tensor | None = None,
        class_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if self.loss_name == "multinomial":
            weight = 1.0 if self.count_weight is None else self.count_weight
            return multinomial_loss(logits, target, count_weight=weight)
        return masked_loss(logits, target, kind=self.loss_name)

    def metrics(
        self, truth: np.ndarray, scores: np.ndarray, *, n_bootstrap: int, ci: float, seed: int
    ) -> dict[str, Any]:
        """:func:`~biodl.metrics.track_metrics` for per-position truth on the scores'
        bins ``(N, T, B)`` (no bootstrap intervals), else
        :func:`~biodl.metrics.regression_metrics`."""
        y, s = np.asarray(truth), np.asarray(scores)
        if y.ndim == 3 and s.ndim == 3 and y.shape[-1] == s.shape[-1]:
            return track_metrics(y, s, outputs=self.output_names)
        return regression_metrics(
            truth, scores, outputs=self.output_names, n_bootstrap=n_bootstrap, ci=ci, seed=seed
        )


TASK_KINDS: tuple[type[Task], ...] = (Binary, Multiclass, Multilabel, Regression)
"""The task classes, in :data:`TASK_NAMES` order."""


def task_class(name: str) -> type[Task]:
    """The task class called ``name`` (for rules that depend on the kind only, such as
    configuration checks).

    Raises
    ------
    InputError
        For an unknown task name.

    Examples
    --------
    >>> task_class("multilabel").classification
    False
    """
    for kind in TASK_KINDS:
        if kind.name == name:
            return kind
    known = ", ".join(TASK_NAMES)
    raise InputError(f"unknown task '{name}'; known tasks: {known}")


def make_task(
    name: str,
    *,
    classes: Sequence[str] = (),
    positive: str = "",
    negative: str = "",
    per_position: bool = False,
    loss: str = "auto",
    count_weight: float | None = None,
    threshold: float | Sequence[float] = 0.5,
) -> Task:
    """The task called ``name``.

    Parameters
    ----------
    name
        One of :data:`TASK_NAMES`.
    classes
        Class names (multi-class) or output names (multi-label, regression).
    positive, negative
        The two labels of a binary task.
    per_position
        Per-position outputs (multi-label, regression).
    loss
        Regression loss: ``mse`` (or ``auto``), ``poisson`` or ``multinomial``
        (per-position outputs only).
    count_weight
        Weight of the multinomial loss's count term (``None``: 1).
    threshold
        Decision threshold of a binary task, or of a multi-label task (one for every
        output, or one each).

    Raises
    ------
    InputError
        For an unknown task name.
    ValueError
        For loss ``multinomial`` without ``per_position``, or a ``count_weight`` with
        another loss or below 0.

    Examples
    --------
    >>> make_task("multiclass", classes=["a", "b", "c"]).n_outputs
    3
    >>> task = make_task("regression", classes=["cage"], per_position=True,
    ...                  loss="multinomial", count_weight=4.0)
    >>> task.loss_name, task.count_weight
    ('multinomial', 4.0)
    """
    if name == "binary":
        return Binary(positive=positive, negative=negative).with_threshold(threshold)
    if name == "multiclass":
        return Multiclass(classes=tuple(classes))
    if name == "multilabel":
        return Multilabel(classes, per_position=per_position, threshold=threshold)
    if name == "regression":
        reg_loss: RegressionLoss = "mse"
        if loss == "poisson":
            reg_loss = "poisson"
        elif loss == "multinomial":
            reg_loss = "multinomial"
        return Regression(
            classes, per_position=per_position, loss=reg_loss, count_weight=count_weight
        )
    known = ", ".join(TASK_NAMES)
    raise InputError(f"unknown task '{name}'; known tasks: {known}")


def task_from_meta(
    meta: Mapping[str, Any], *, threshold: float | Sequence[float] | None = None
) -> Task:
    """The task of a run from its ``model.json`` fields (see :meth:`Task.to_meta`).

    Runs written before the task was recorded are binary. The decision threshold is
    ``threshold`` when given, else the run's recorded ``threshold`` (one value, or one per
    multi-label output), else 0.5 (runs written before thresholds were chosen). The
    outputs' names for people (:attr:`Task.names`) are the recorded ``output_names``,
    else the outputs (runs written before names were recorded keep their old names). A
    regression run's ``loss`` (``mse`` when absent) and, for the multinomial loss,
    ``count_weight`` (1 when absent) are read back.

    Raises
    ------
    InputError
        If the fields do not describe a task.

    Examples
    --------
    >>> meta = {"task": "binary", "labels": {"positive": "1", "negative": "0"}}
    >>> task_from_meta(meta).threshold, task_from_meta({**meta, "threshold": 0.3}).threshold
    (0.5, 0.3)
    >>> task_from_meta(meta).names, task_from_meta({**meta, "output_names": ["bound"]}).names
    (('1',), ('bound',))
    """
    labels = meta.get("labels")
    name = str(meta.get("task", "binary"))
    if not isinstance(labels, Mapping):
        raise InputError("model.json has no 'labels' block describing the outputs")
    if threshold is None:
        recorded = meta.get("threshold")
        threshold = 0.5 if recorded is None else recorded
        if not isinstance(threshold, int | float | list | tuple) or isinstance(threshold, bool):
            raise InputError(f"model.json 'threshold' must be a number, not {threshold!r}")
    loss = str(meta.get("loss", "auto"))
    count_weight = None
    if name == "regression" and loss == "multinomial":
        count_weight = meta.get("count_weight", 1.0)
        number = isinstance(count_weight, int | float) and not isinstance(count_weight, bool)
        if not number or not (math.isfinite(count_weight) and count_weight >= 0):
            msg = f"model.json 'count_weight' must be a number >= 0, not {count_weight!r}"
            raise InputError(msg)
        if not meta.get("per_position", False):
            raise InputError("model.json: loss multinomial needs per_position: true")
    try:
        if name == "binary":
            task = make_task(
                name,
                positive=str(labels["positive"]),
                negative=str(labels["negative"]),
                threshold=threshold,
            )
        else:
            key = "classes" if name == "multiclass" else "outputs"
            task = make_task(
                name,
                classes=[str(c) for c in labels[key]],
                per_position=bool(meta.get("per_position", False)),
                loss=loss,
                count_weight=count_weight,
                threshold=threshold,
            )
    except KeyError as exc:
        raise InputError(f"model.json 'labels' of a {name} task lacks {exc}") from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"model.json 'threshold': {exc}") from None
    names = meta.get("output_names")
    if names is None:  # runs written before output names: their outputs, as before
        return task
    problem = output_name_problem(names, task.n_outputs) if isinstance(names, list) else None
    if not isinstance(names, list) or problem is not None:
        raise InputError(f"model.json 'output_names': {problem or 'must be a list of names'}")
    return task.named([str(n) for n in names])
