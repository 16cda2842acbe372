"""Fit a model with Lightning: seeding, early stopping, safetensors checkpoints, scale-out."""

from __future__ import annotations

import copy
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger
from safetensors.torch import save_file
from torch import nn

from biodl.config import TrainConfig
from biodl.train.module import ArrayDataModule, SequenceTask, TaskName

__all__ = ["FitResult", "fit", "resolve_precision"]


@dataclass(frozen=True)
class FitResult:
    """What training produced.

    Attributes
    ----------
    state_dict
        Best weights (lowest validation loss, or the monitored metric), on the CPU.
    best_epoch
        0-based epoch of those weights (the last epoch when there is no validation).
    epochs
        Epochs run.
    is_rank_zero
        Whether this process is the one that writes outputs.
    wall_s, train_seq_per_s
        Wall time of ``fit`` and training throughput.
    history
        Monitored value per epoch.
    world_size, precision
        Processes used and the precision Lightning ran with.
    """

    state_dict: dict[str, torch.Tensor]
    best_epoch: int
    epochs: int
    is_rank_zero: bool
    wall_s: float
    train_seq_per_s: float
    history: list[float]
    world_size: int
    precision: str


class BestWeights(Callback):
    """Keep the best weights in memory and write safetensors checkpoints.

    Lightning's own checkpoints are pickles; biodl never writes or loads pickles, so it
    saves ``checkpoints/best.safetensors`` and ``checkpoints/last.safetensors`` itself.
    """

    def __init__(self, monitor: str | None, mode: str, folder: Path | None) -> None:
        self.monitor = monitor
        self.mode = mode
        self.folder = folder
        self.best_score: float | None = None
        self.best_epoch = -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.history: list[float] = []

    def _state(self, pl_module: L.LightningModule) -> dict[str, torch.Tensor]:
        model = pl_module.model
        if not isinstance(model, nn.Module):  # pragma: no cover - SequenceTask always has one
            msg = "the LightningModule has no .model"
            raise TypeError(msg)
        return {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}

    def _save(self, trainer: L.Trainer, state: dict[str, torch.Tensor], name: str) -> None:
        if self.folder is None or not trainer.is_global_zero:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{name}.tmp"
        save_file(state, os.fspath(tmp), metadata={"epoch": str(trainer.current_epoch)})
        os.replace(tmp, self.folder / name)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        state = self._state(pl_module)
        score: float | None = None
        if self.monitor is not None and self.monitor in trainer.callback_metrics:
            score = float(trainer.callback_metrics[self.monitor])
            self.history.append(score)
        better = (
            self.monitor is None
            or self.best_score is None
            or (
                score is not None
                and (score < self.best_score if self.mode == "min" else score > self.best_score)
            )
        )
        if better:
            self.best_score = score
            self.best_epoch = trainer.current_epoch
            self.best_state = state
            self._save(trainer, state, "best.safetensors")
        self._save(trainer, state, "last.safetensors")


@contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Hide Lightning's start-up banners (hardware summary, tips) for one ``fit``."""
    names = ("lightning.pytorch", "lightning.fabric")
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            # Lightning 2.6 on torch 2.13 warns about its own use of torch's pytree API
            warnings.filterwarnings("ignore", message=".*LeafSpec.*")
            # a class absent from a small validation set: its AUROC term is 0 (the macro
            # AUROC logged for early stopping); the reported metrics leave it undefined
            warnings.filterwarnings("ignore", message="No positive samples in targets")
            warnings.filterwarnings("ignore", message="No negative samples in targets")
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def resolve_precision(config: TrainConfig) -> str:
    """``bf16-mixed`` on a CUDA GPU that supports it when ``precision: auto``, else 32-bit."""
    if config.precision != "auto":
        return "32-true" if config.precision == "32" else config.precision
    gpu = config.accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
    if gpu and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "32-true"


def fit(
    model: nn.Module,
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray] | None,
    *,
    config: TrainConfig,
    out_dir: Path | None = None,
    pos_weight: float | list[float] | None = None,
    frozen_trunk: bool = False,
    n_classes: int | None = None,
    class_weight: list[float] | None = None,
    task_name: TaskName | None = None,
    loss: Literal["auto", "mse", "poisson"] = "auto",
    membrane: tuple[np.ndarray, np.ndarray | None] | None = None,
) -> FitResult:
    """Train ``model`` on one-hot arrays with the options of ``config``.

    Parameters
    ----------
    model
        A freshly built zoo model; built after :func:`lightning.seed_everything` by the
        caller so that its initial weights depend only on the seed.
    train, valid
        ``(X, y)`` with ``X`` of shape ``(N, C, L)`` and ``y`` of shape ``(N, 1)``,
        float32 0/1 (binary), or ``(N,)`` int64 class indices (``n_classes`` set).
        Without ``valid`` there is no early stopping and the last epoch wins.
    config
        Epochs, batch size, optimiser, patience, and the hardware: ``accelerator``,
        ``devices``, ``num_nodes``, ``strategy`` go to :class:`lightning.Trainer` as they
        are (``strategy: ddp`` with ``devices: N`` trains data-parallel).
    out_dir
        Run folder: ``checkpoints/`` and ``logs/metrics.csv`` are written there.
    pos_weight
        Positive-class weight of the loss.
    frozen_trunk
        The trunk is frozen (fine-tuning): keep it in eval mode while training.
    n_classes, class_weight
        A multi-class task with ``n_classes`` outputs and optional per-class loss weights.
    task_name, loss
        The task (see :class:`~biodl.train.module.SequenceTask`; by default binary, or
        multi-class when ``n_classes`` is set) and the regression loss. Multi-label and
        regression targets are float ``(N, T)`` or ``(N, T, L)`` with NaN where missing;
        ``pos_weight`` may then hold one weight per output.
    membrane
        Train a DeepLoc membrane-bound/soluble head jointly with the task (the model
        needs one, see :func:`biodl.models.has_membrane_head`): ``(train_flags,
        valid_flags)``, float ``(N,)`` arrays aligned with ``train`` and ``valid``, 1 for
        membrane-bound, 0 for soluble, NaN for unknown (no loss). ``valid_flags`` may be
        ``None`` (all unknown). The loss, and the validation loss that early stopping
        watches, is then the task loss plus the membrane binary cross-entropy over the
        known flags (:class:`~biodl.train.module.SequenceTask` with ``membrane=True``).
        ``None`` (default) trains ``model(x)`` alone.

    Raises
    ------
    ValueError
        ``membrane`` given for a model without a membrane head, or flags whose length
        differs from the examples'.
    """
    train_arrays: tuple[np.ndarray, ...] = train
    valid_arrays: tuple[np.ndarray, ...] | None = valid
    if membrane is not None:
        train_arrays, valid_arrays = _with_membrane(train, valid, membrane)
    monitor = config.monitor if valid is not None else None
    mode = "max" if config.monitor == "valid_auroc" else "min"
    plateau = None
    if monitor is not None and config.lr_schedule == "plateau":
        plateau = (monitor, mode, config.lr_patience)
    task = SequenceTask(
        model,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        pos_weight=pos_weight,
        n_classes=n_classes,
        class_weight=class_weight,
        plateau=plateau,
        augment_rc=config.augment.reverse_complement,
        augment_shift=config.augment.shift,
        frozen_trunk=frozen_trunk,
        task=task_name,
        loss=loss,
        membrane=membrane is not None,
    )
    datamodule = ArrayDataModule(
        train_arrays,
        valid_arrays,
        batch_size=config.batch_size,
        seed=config.seed,
        num_workers=config.num_workers,
        balanced=config.sampler == "balanced",
    )
    best = BestWeights(monitor, mode, None if out_dir is None else out_dir / "checkpoints")
    callbacks: list[Callback] = [best]
    if monitor is not None:
        callbacks.append(EarlyStopping(monitor=monitor, mode=mode, patience=config.patience))
    show_bar = config.progress_bar and sys.stderr.isatty()
    if show_bar:
        callbacks.append(
            TQDMProgressBar(refresh_rate=max(1, len(train[0]) // config.batch_size // 20))
        )
    precision = resolve_precision(config)
    with _quiet_lightning():
        trainer, wall = _run_trainer(
            config, task, datamodule, callbacks, precision, out_dir, show_bar=show_bar
        )
    state = best.best_state if best.best_state is not None else best._state(task)
    epochs = trainer.current_epoch
    n_seen = len(train[0]) * max(epochs, 1)
    return FitResult(
        state_dict=copy.deepcopy(state),
        best_epoch=max(best.best_epoch, 0),
        epochs=epochs,
        is_rank_zero=trainer.is_global_zero,
        wall_s=wall,
        train_seq_per_s=n_seen / wall if wall > 0 else 0.0,
        history=list(best.history),
        world_size=trainer.world_size,
        precision=str(trainer.precision),
    )


def _with_membrane(
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray] | None,
    membrane: tuple[np.ndarray, np.ndarray | None],
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...] | None]:
    """``(X, y, m)`` train and valid arrays; missing valid flags are all NaN."""
    train_flags, valid_flags = membrane
    flags = np.asarray(train_flags, dtype=np.float32).reshape(-1)
    if len(flags) != len(train[0]):
        msg = f"{len(flags)} membrane flags for {len(train[0])} training examples"
        raise ValueError(msg)
    if valid is None:
        return (*train, flags), None
    if valid_flags is None:
        held = np.full(len(valid[0]), np.nan, dtype=np.float32)
    else:
        held = np.asarray(valid_flags, dtype=np.float32).reshape(-1)
    if len(held) != len(valid[0]):
        msg = f"{len(held)} membrane flags for {len(valid[0])} validation examples"
        raise ValueError(msg)
    return (*train, flags), (*valid, held)


def _run_trainer(
    config: TrainConfig,
    task: SequenceTask,
    datamodule: ArrayDataModule,
    callbacks: list[Callback],
    precision: str,
    out_dir: Path | None,
    *,
    show_bar: bool,
) -> tuple[L.Trainer, float]:
    # Trainer(deterministic=True) switches torch's deterministic algorithms on for the
    # whole process; give the caller back the setting it had (no global state leaks)
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        trainer = L.Trainer(
            max_epochs=config.max_epochs,
            min_epochs=config.min_epochs,
            accelerator=config.accelerator,
            devices=config.devices,
            num_nodes=config.num_nodes,
            strategy=config.strategy,
            precision=precision,  # type: ignore[arg-type]
            deterministic=config.deterministic,
            callbacks=callbacks,
            logger=CSVLogger(os.fspath(out_dir), name="", version="logs")
            if out_dir is not None
            else False,
            enable_checkpointing=False,
            enable_progress_bar=show_bar,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            use_distributed_sampler=False,
            gradient_clip_val=config.gradient_clip,
            log_every_n_steps=max(1, min(50, len(datamodule.train_set) // config.batch_size)),
            limit_val_batches=1.0 if datamodule.valid_set is not None else 0,
        )
        start = time.perf_counter()
        trainer.fit(task, datamodule=datamodule)
        wall = time.perf_counter() - start
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
    return trainer, wall
