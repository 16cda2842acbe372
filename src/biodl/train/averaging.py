"""Weight averaging during training: an exponential moving average (EMA) or stochastic
weight averaging (SWA), chosen by ``train.weight_average``.

:class:`WeightAverage` holds the average of a model's ``state_dict`` (parameters *and*
buffers, so batch-norm running statistics are averaged with the weights, as
:class:`torch.optim.swa_utils.AveragedModel` does with ``use_buffers=True``). The update
rules are torch's own (:func:`~torch.optim.swa_utils.get_ema_multi_avg_fn`,
:func:`~torch.optim.swa_utils.get_swa_multi_avg_fn`); the first update copies the
weights. Integer buffers (batch norm's ``num_batches_tracked``) are not averaged: they
take the model's current value.

:class:`WeightAveraging` is the Lightning callback :func:`biodl.train.fit` registers:

- ``ema``: the average is updated after every optimiser step;
- ``swa``: the average is updated once per epoch, with the weights at the end of the
  epoch, from epoch ``swa_start`` on (an equal average of those epochs' weights).

At the end of every training epoch (before validation, or at ``on_train_epoch_end``
without a validation split) the averaged weights are copied *into* the model, and the
training weights kept aside; they are copied back before the next training step. So
validation, early stopping, the learning-rate plateau, the best-weights callback (hence
``checkpoints/best.safetensors``, the decision threshold and ``model.safetensors``) all
see the averaged weights, and the optimiser keeps stepping the raw ones. Before the
average holds anything (SWA before ``swa_start``) the model keeps its raw weights.

The callback's state (the averaged tensors, the number of updates, the last step and
epoch averaged) goes into the resumable training state
(:class:`biodl.train.checkpoint.ResumableTraining`, safetensors + JSON), so a resumed run
averages exactly as an uninterrupted one.

Examples
--------
>>> avg = WeightAverage("swa")
>>> for w in (1.0, 2.0, 6.0):
...     avg.update({"w": torch.tensor([w])})
>>> avg.tensors["w"].item(), avg.n_averaged
(3.0, 3)
>>> ema = WeightAverage("ema", decay=0.5)
>>> for w in (1.0, 2.0, 6.0):
...     ema.update({"w": torch.tensor([w])})
>>> ema.tensors["w"].item()  # 1, then 0.5 * 1 + 0.5 * 2, then 0.5 * 1.5 + 0.5 * 6
3.75
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.trainer.states import TrainerFn
from torch import nn
from torch.optim.swa_utils import get_ema_multi_avg_fn, get_swa_multi_avg_fn

from biodl.config import TrainConfig

__all__ = ["AVERAGE_PREFIX", "WeightAverage", "WeightAveraging", "weight_averaging"]

#: prefix of the averaged tensors in the resumable training state
AVERAGE_PREFIX = "average."


def _model_of(pl_module: L.LightningModule) -> nn.Module:
    model = pl_module.model
    if not isinstance(model, nn.Module):  # pragma: no cover - SequenceTask has one
        msg = "the LightningModule has no .model"
        raise TypeError(msg)
    return model


def _floating(t: torch.Tensor) -> bool:
    return torch.is_floating_point(t) or torch.is_complex(t)


class WeightAverage:
    """The running average of a ``state_dict``.

    Parameters
    ----------
    kind
        ``ema``: ``a = decay * a + (1 - decay) * w`` at each :meth:`update` after the
        first; ``swa``: ``a`` is the equal average of every ``w`` given.
    decay
        The EMA decay, in ``(0, 1)``.
    """

    def __init__(self, kind: Literal["ema", "swa"], *, decay: float = 0.999) -> None:
        if kind not in ("ema", "swa"):
            msg = f"kind must be 'ema' or 'swa', not {kind!r}"
            raise ValueError(msg)
        if kind == "ema" and not 0.0 < decay < 1.0:
            msg = f"decay must be in (0, 1), not {decay}"
            raise ValueError(msg)
        self.kind = kind
        self.decay = decay
        self._fn = get_ema_multi_avg_fn(decay) if kind == "ema" else get_swa_multi_avg_fn()
        self.tensors: dict[str, torch.Tensor] = {}
        self.n_averaged = 0

    @torch.no_grad()
    def update(self, state: Mapping[str, torch.Tensor]) -> None:
        """Average in ``state`` (a ``state_dict``; its tensors are copied, not kept)."""
        if self.n_averaged == 0 or not self.tensors:
            self.tensors = {k: v.detach().clone() for k, v in state.items()}
            self.n_averaged = 1
            return
        if state.keys() != self.tensors.keys():
            msg = "the model's tensors changed while averaging"
            raise ValueError(msg)
        groups: dict[tuple[torch.device, torch.dtype], tuple[list[Any], list[Any]]] = {}
        for name, value in state.items():
            mine = self.tensors[name]
            current = value.detach().to(mine.device)
            if _floating(mine):
                averaged, given = groups.setdefault((mine.device, mine.dtype), ([], []))
                averaged.append(mine)
                given.append(current.to(mine.dtype))
            else:  # e.g. num_batches_tracked: the current count
                mine.copy_(current)
        for averaged, given in groups.values():
            self._fn(averaged, given, self.n_averaged)
        self.n_averaged += 1

    def to(self, device: torch.device) -> None:
        """Move the averaged tensors to ``device``."""
        self.tensors = {k: v.to(device) for k, v in self.tensors.items()}

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The averaged tensors, on the CPU (copies)."""
        return {k: v.detach().cpu().clone().contiguous() for k, v in self.tensors.items()}


class WeightAveraging(Callback):
    """Average the weights during training and show the average to validation.

    Register it *before* the callbacks that read the model at the end of an epoch
    (:class:`biodl.train.fit.BestWeights`). See the module docstring.

    Parameters
    ----------
    kind
        ``ema`` or ``swa``.
    decay
        The EMA decay.
    swa_start
        The first epoch (0-based) SWA averages.
    """

    def __init__(
        self, kind: Literal["ema", "swa"], *, decay: float = 0.999, swa_start: int = 1
    ) -> None:
        self.kind = kind
        self.swa_start = swa_start
        self.average = WeightAverage(kind, decay=decay)
        self._last_step = -1  # global step of the last EMA update
        self._last_epoch = -1  # epoch of the last SWA update
        self._held: dict[str, torch.Tensor] | None = None  # training weights, swapped out

    # -- what the training state needs ----------------------------------------

    def training_weights(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """The raw (training) weights of ``model``, whether or not the average is in it."""
        return self._held if self._held is not None else model.state_dict()

    def evaluated_weights(self, raw: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The weights validation sees at an epoch's end: the average, or ``raw`` while
        the average is empty (CPU copies)."""
        if self.average.n_averaged == 0:
            return {k: v.detach().cpu().clone() for k, v in raw.items()}
        return self.average.state_dict()

    def state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """JSON state and tensors (``average.<name>``) for the training state."""
        meta = {
            "kind": self.kind,
            "n_averaged": self.average.n_averaged,
            "last_step": self._last_step,
            "last_epoch": self._last_epoch,
        }
        tensors = {f"{AVERAGE_PREFIX}{k}": v for k, v in self.average.state_dict().items()}
        return meta, tensors

    def restore(
        self, meta: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], model: nn.Module
    ) -> None:
        """Take back :meth:`state` (``tensors`` without the prefix); ``model`` holds the
        raw weights it was saved with."""
        if meta.get("kind") != self.kind:
            msg = f"weights averaged by {meta.get('kind')!r}, not {self.kind!r}"
            raise ValueError(msg)
        n = int(meta["n_averaged"])
        current = model.state_dict()
        if n > 0 and set(tensors) != set(current):
            msg = "averaged weights of another model"
            raise ValueError(msg)
        # in the model's order, as in an uninterrupted run (a safetensors file's is lost)
        self.average.tensors = (
            {k: tensors[k].clone().to(v.device) for k, v in current.items()} if n else {}
        )
        self.average.n_averaged = n
        self._last_step = int(meta["last_step"])
        self._last_epoch = int(meta["last_epoch"])
        self._held = None

    # -- swapping -------------------------------------------------------------

    def _swap_in(self, model: nn.Module) -> None:
        if self._held is not None or self.average.n_averaged == 0:
            return
        self._held = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.average.tensors)

    def _swap_out(self, model: nn.Module) -> None:
        if self._held is None:
            return
        model.load_state_dict(self._held)
        self._held = None

    def _end_of_epoch(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Average the epoch's last weights (SWA) and put the average into the model."""
        model = _model_of(pl_module)
        epoch = trainer.current_epoch
        if self.kind == "swa" and self._held is None and self._last_epoch < epoch:
            if epoch >= self.swa_start:
                self.average.update(model.state_dict())
            self._last_epoch = epoch
        self._swap_in(model)

    # -- Lightning hooks ------------------------------------------------------

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.average.tensors:
            self.average.to(pl_module.device)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._swap_out(_model_of(pl_module))

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._swap_out(_model_of(pl_module))

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if self.kind != "ema":
            return
        step = int(trainer.global_step)
        if step != self._last_step:  # an optimiser step was taken
            self.average.update(_model_of(pl_module).state_dict())
            self._last_step = step

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.state.fn == TrainerFn.FITTING and not trainer.sanity_checking:
            self._end_of_epoch(trainer, pl_module)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._end_of_epoch(trainer, pl_module)


def weight_averaging(config: TrainConfig) -> WeightAveraging | None:
    """The callback ``config.weight_average`` asks for, or ``None`` for ``none``."""
    if config.weight_average == "none":
        return None
    return WeightAveraging(
        config.weight_average, decay=config.ema_decay_value, swa_start=config.swa_start_epoch
    )
