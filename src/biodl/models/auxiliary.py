"""Auxiliary outputs: extra heads a model trains jointly with its main task.

A model declares its auxiliary heads by implementing two methods (the
:class:`AuxiliaryModel` protocol):

* ``auxiliary_outputs() -> tuple[AuxiliaryOutput, ...]``: what each head predicts;
* ``forward_with_auxiliary(x) -> (logits, {name: (N,) logits})``: one pass that gives
  the main outputs and every auxiliary logit (in training, one dropout draw for all).

Each :class:`AuxiliaryOutput` is a binary task read from each example's *group* label
(e.g. DeepLoc's ``M``/``S``/``U`` membrane flag): the ``positive`` group is 1, the
``negative`` group 0, any other group unknown (NaN, no loss, not scored). Training adds
the masked binary cross-entropy of every head to the task loss; evaluation reports
``<name>_accuracy``, ``<name>_mcc``, ``<name>_auroc`` and ``<name>_n`` per split; and
predictions get one ``<name>`` column, the head's probability. Nothing outside this
module and the model knows which heads exist. DeepLoc's membrane head
(:class:`biodl.models.deeploc.DeepLocModel`) is the first user.

Examples
--------
>>> aux = AuxiliaryOutput("membrane", positive="M", negative="S", description="membrane-bound")
>>> aux.targets(["M", "S", "U"]).tolist()
[1.0, 0.0, nan]
>>> aux.counts(["M", "S", "U", "M"])
{'M': 2, 'S': 1, 'unknown': 1}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from biodl.encode.molecules import ModelInput
from biodl.errors import ConfigError
from biodl.metrics import binary_metrics
from biodl.models.predict import predict

__all__ = [
    "AuxiliaryModel",
    "AuxiliaryOutput",
    "WithAuxiliary",
    "auxiliary_outputs",
    "auxiliary_targets",
    "forward_with_auxiliary",
    "predict_with_auxiliary",
    "split_auxiliary",
]


@dataclass(frozen=True)
class AuxiliaryOutput:
    """One binary auxiliary head whose targets come from each example's group label.

    Attributes
    ----------
    name
        Column and metric prefix (``membrane``).
    positive, negative
        The group labels read as 1 and 0; other groups are unknown.
    description
        What a positive means, for reports (``membrane-bound (vs soluble)``).
    hint
        Where the groups come from, for the error raised when training data have none.
    """

    name: str
    positive: str
    negative: str
    description: str = ""
    hint: str = "a table 'group:' column"

    def targets(self, groups: Sequence[str] | None, n: int | None = None) -> np.ndarray:
        """Float32 ``(N,)`` targets: 1 (``positive``), 0 (``negative``), NaN otherwise.

        ``groups`` may be ``None`` (no group column): then all ``n`` are unknown.
        """
        if groups is None:
            return np.full(0 if n is None else n, np.nan, dtype=np.float32)
        table = {self.positive: 1.0, self.negative: 0.0}
        return np.array([table.get(g, np.nan) for g in groups], dtype=np.float32)

    def counts(self, groups: Sequence[str] | None) -> dict[str, int]:
        """``{positive: .., negative: .., "unknown": ..}`` of ``groups``."""
        flags = self.targets(groups, 0)
        known = ~np.isnan(flags)
        n_pos = int((flags[known] == 1).sum())
        return {
            self.positive: n_pos,
            self.negative: int(known.sum()) - n_pos,
            "unknown": int((~known).sum()),
        }

    def metrics(
        self,
        targets: np.ndarray,
        probabilities: np.ndarray,
        *,
        n_bootstrap: int,
        ci: float,
        seed: int,
    ) -> dict[str, Any]:
        """``<name>_accuracy``, ``_mcc``, ``_auroc`` (threshold 0.5) and ``<name>_n`` over
        the examples with a known target; empty when there is none."""
        known = ~np.isnan(targets)
        if not known.any():
            return {}
        scored = binary_metrics(
            targets[known].astype(np.int64),
            probabilities[known],
            threshold=0.5,
            n_bootstrap=n_bootstrap,
            ci=ci,
            seed=seed,
        )
        out = {f"{self.name}_{k}": scored[k] for k in ("accuracy", "mcc", "auroc")}
        out[f"{self.name}_n"] = scored["n"]
        return out

    def metric_names(self) -> tuple[str, ...]:
        """The metric keys :meth:`metrics` writes, in report order."""
        return tuple(f"{self.name}_{k}" for k in ("accuracy", "mcc", "auroc", "n"))


@runtime_checkable
class AuxiliaryModel(Protocol):
    """A model with auxiliary heads (see the module docstring)."""

    def auxiliary_outputs(self) -> tuple[AuxiliaryOutput, ...]: ...

    def forward_with_auxiliary(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, Mapping[str, torch.Tensor]]: ...


def auxiliary_outputs(model: nn.Module) -> tuple[AuxiliaryOutput, ...]:
    """The auxiliary heads ``model`` declares (empty for most models).

    Examples
    --------
    >>> auxiliary_outputs(nn.Linear(2, 1))
    ()
    """
    if isinstance(model, AuxiliaryModel):
        return tuple(model.auxiliary_outputs())
    return ()


def forward_with_auxiliary(
    model: nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Main outputs and ``{name: (N,) logits}`` of every auxiliary head, from one pass.

    A model without auxiliary heads gives ``(model(x), {})``.
    """
    if not auxiliary_outputs(model):
        return model(x), {}
    main, aux = model.forward_with_auxiliary(x)  # type: ignore[operator]
    return main, dict(aux)


class WithAuxiliary(nn.Module):
    """A model with auxiliary heads as one output ``(N, T + A)``: the main outputs
    followed by one logit per head (in :func:`auxiliary_outputs` order), from one pass,
    so that the batched prediction path (:func:`biodl.models.predict`) scores both.
    Split the columns again with :func:`split_auxiliary`.

    Raises
    ------
    ConfigError
        If ``model`` declares no auxiliary head.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.heads = auxiliary_outputs(model)
        if not self.heads:
            raise ConfigError(f"{type(model).__name__} has no auxiliary output")
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        main, aux = forward_with_auxiliary(self.model, x)
        extra = [aux[h.name][:, None].to(main.dtype) for h in self.heads]
        return torch.cat([main, *extra], dim=-1)


def auxiliary_targets(model: nn.Module, groups: Sequence[str] | None, n: int) -> np.ndarray:
    """Float32 ``(N, A)`` targets of ``model``'s auxiliary heads from the ``n`` examples'
    group labels (NaN where unknown); ``(N, 0)`` for a model without heads.

    Examples
    --------
    >>> auxiliary_targets(nn.Linear(2, 1), ["M"], 1).shape
    (1, 0)
    """
    heads = auxiliary_outputs(model)
    if not heads:
        return np.zeros((n, 0), dtype=np.float32)
    return np.stack([h.targets(groups, n) for h in heads], axis=1)


def predict_with_auxiliary(
    model: nn.Module,
    X: ModelInput,
    *,
    batch_size: int = 512,
    device: str | torch.device | None = None,
) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """Raw outputs of ``model`` on ``X`` and ``{name: (N,) probability}`` of each of its
    auxiliary heads (empty for most models), from one batched pass
    (:func:`biodl.models.predict`)."""
    heads = auxiliary_outputs(model)
    if not heads:
        return predict(model, X, batch_size=batch_size, device=device), {}
    joined = predict(WithAuxiliary(model), X, batch_size=batch_size, device=device)
    main, aux = split_auxiliary(joined, heads)
    probs = {k: torch.sigmoid(v.float()).numpy().astype(np.float64) for k, v in aux.items()}
    return main, probs


def split_auxiliary(
    joined: torch.Tensor, heads: Sequence[AuxiliaryOutput]
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Undo :class:`WithAuxiliary`: main outputs and ``{name: (N,) logits}``."""
    n = len(heads)
    if n == 0:
        return joined, {}
    main = joined[:, :-n]
    return main, {h.name: joined[:, -n + i] for i, h in enumerate(heads)}
