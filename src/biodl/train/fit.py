"""Fit a model with Lightning: seeding, early stopping, safetensors checkpoints, scale-out."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities.exceptions import SIGTERMException
from torch import nn

from biodl.config import TrainConfig
from biodl.encode.molecules import ModelInput
from biodl.errors import Terminated
from biodl.progress import is_quiet
from biodl.runs import save_weights
from biodl.tasks import Binary, Task
from biodl.train.averaging import weight_averaging
from biodl.train.checkpoint import (
    ResumableTraining,
    TrainingState,
    arrays_sha256,
    load_training_state,
)
from biodl.train.epochs import EpochLines
from biodl.train.module import ArrayDataModule, Schedule, SequenceTask

__all__ = ["FitResult", "fit", "is_rank_zero", "resolve_precision"]


def is_rank_zero() -> bool:
    """Whether this process writes outputs (rank 0 of torchrun, SLURM or Lightning's
    launcher), from the environment, before any trainer exists."""
    keys = ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK")
    return all(os.environ.get(k, "0") == "0" for k in keys)


@dataclass(frozen=True)
class FitResult:
    """What training produced.

    Attributes
    ----------
    state_dict
        Best weights (lowest validation loss, or the monitored metric), on the CPU;
        with ``train.weight_average`` the averaged weights validation saw
        (:mod:`biodl.train.averaging`).
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
    They are written by :meth:`write`, which the training-state checkpoint
    (:class:`biodl.train.checkpoint.ResumableTraining`) calls once the epoch is complete,
    right after it has saved the state: a killed run never has a ``best.safetensors``
    newer than the state that names its epoch.
    """

    def __init__(self, monitor: str | None, mode: str, folder: Path | None) -> None:
        self.monitor = monitor
        self.mode = mode
        self.folder = folder
        self.best_score: float | None = None
        self.best_epoch = -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.history: list[float] = []
        self.last_epoch = -1
        self.last_state: dict[str, torch.Tensor] | None = None
        self._written = {"best.safetensors": -1, "last.safetensors": -1}

    def _state(self, pl_module: L.LightningModule) -> dict[str, torch.Tensor]:
        model = pl_module.model
        if not isinstance(model, nn.Module):  # pragma: no cover - SequenceTask always has one
            msg = "the LightningModule has no .model"
            raise TypeError(msg)
        return {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}

    def _save(
        self, trainer: L.Trainer, state: dict[str, torch.Tensor] | None, name: str, epoch: int
    ) -> None:
        if self.folder is None or not trainer.is_global_zero or state is None:
            return
        if self._written[name] >= epoch:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        # atomic, honours the umask (a shared run's checkpoints are readable)
        save_weights(self.folder / name, state, metadata={"epoch": str(epoch)})
        self._written[name] = epoch

    def write(self, trainer: L.Trainer) -> None:
        """Write ``best.safetensors`` (when it changed) and ``last.safetensors``."""
        self._save(trainer, self.best_state, "best.safetensors", self.best_epoch)
        self._save(trainer, self.last_state, "last.safetensors", self.last_epoch)

    def state(self) -> dict[str, Any]:
        """The JSON state of the callback (the weights are written apart)."""
        return {
            "best_score": self.best_score,
            "best_epoch": self.best_epoch,
            "history": list(self.history),
            "last_epoch": self.last_epoch,
        }

    def restore(
        self,
        state: dict[str, Any],
        *,
        best: dict[str, torch.Tensor] | None,
        last: dict[str, torch.Tensor],
    ) -> None:
        """Take back :meth:`state` and the best and last weights (files already written)."""
        self.best_score = None if state["best_score"] is None else float(state["best_score"])
        self.best_epoch = int(state["best_epoch"])
        self.history = [float(v) for v in state["history"]]
        self.last_epoch = int(state["last_epoch"])
        self.best_state = best
        self.last_state = last
        self._written = {"best.safetensors": self.best_epoch, "last.safetensors": self.last_epoch}

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
        self.last_epoch = trainer.current_epoch
        self.last_state = state


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
            # a resumed run: its logs/metrics.csv is rewritten, the old rows put back
            warnings.filterwarnings("ignore", message="Experiment logs directory")
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
    train: tuple[ModelInput, np.ndarray],
    valid: tuple[ModelInput, np.ndarray] | None,
    *,
    config: TrainConfig,
    out_dir: Path | None = None,
    pos_weight: float | list[float] | None = None,
    frozen_trunk: bool = False,
    task: Task | None = None,
    class_weight: list[float] | None = None,
    auxiliary: tuple[np.ndarray, np.ndarray | None] | None = None,
    resume: bool = False,
    fingerprint: Mapping[str, Any] | None = None,
    callbacks: Sequence[Callback] = (),
) -> FitResult:
    """Train ``model`` on one-hot arrays with the options of ``config``.

    Parameters
    ----------
    model
        A freshly built zoo model; built after :func:`lightning.seed_everything` by the
        caller so that its initial weights depend only on the seed.
    train, valid
        ``(X, y)`` with ``X`` of shape ``(N, C, L)`` (or packed graphs,
        :class:`~biodl.encode.molecules.PackedGraphs`) and ``y`` the task's training
        targets (:meth:`biodl.tasks.Task.training_targets`). Without ``valid`` there is
        no early stopping and the last epoch wins.
    config
        Epochs, batch size, optimiser, patience, weight averaging (``weight_average``:
        validation and the returned weights use the average, :mod:`biodl.train.averaging`),
        and the hardware: ``accelerator``,
        ``devices``, ``num_nodes``, ``strategy`` go to :class:`lightning.Trainer` as they
        are (``strategy: ddp`` with ``devices: N`` trains data-parallel).
    out_dir
        Run folder: ``checkpoints/`` and ``logs/metrics.csv`` are written there.
    pos_weight
        Positive-class weight of the loss.
    frozen_trunk
        The trunk is frozen (fine-tuning): keep it in eval mode while training.
    task
        What the outputs mean (:mod:`biodl.tasks`): its loss and validation metric.
        Default: a binary task.
    class_weight
        Optional per-class loss weights of a multi-class task.
    auxiliary
        Train the model's auxiliary heads jointly with the task
        (:mod:`biodl.models.auxiliary`, e.g. DeepLoc's membrane head): ``(train_targets,
        valid_targets)``, float arrays ``(N,)`` or ``(N, A)`` (one column per head)
        aligned with ``train`` and ``valid``, NaN where unknown (no loss).
        ``valid_targets`` may be ``None`` (all unknown). The loss, and the validation
        loss that early stopping watches, is then the task loss plus each head's binary
        cross-entropy over the known targets. ``None`` (default) trains ``model(x)``.

    Raises
    ------
    ValueError
        ``auxiliary`` given for a model without auxiliary heads, or targets whose length
        differs from the examples'.
    resume
        Continue the run in ``out_dir`` from the training state its ``checkpoints/``
        hold (:mod:`biodl.train.checkpoint`; written after every epoch whenever
        ``out_dir`` is given) instead of starting afresh: a run killed after epoch ``k``
        and resumed ends with the same weights, bit for bit, as an uninterrupted run
        with the same seed and thread count.
    fingerprint
        What identifies the run beyond ``config``, the arrays and the model (e.g. the
        whole configuration's hash and the data files' checksums,
        :func:`biodl.train.checkpoint.run_fingerprint`): stored in the training state
        and compared on resume.
    callbacks
        More Lightning callbacks, run after biodl's own (e.g. the pruning callback of
        ``biodl tune``, which reads the per-epoch validation metrics).

    Raises
    ------
    biodl.errors.InputError
        ``resume`` and ``out_dir`` holds no training state, an unreadable or truncated
        one, one of another format, or one of another configuration, data or model.
    KeyboardInterrupt, biodl.errors.Terminated
        Ctrl-C or SIGTERM during training (Lightning would turn them into an exit):
        ``out_dir`` keeps the state of the last complete epoch.
    """
    if resume and out_dir is None:
        raise ValueError("resume=True needs out_dir, the run folder to continue")
    train_arrays: tuple[ModelInput, ...] = train
    valid_arrays: tuple[ModelInput, ...] | None = valid
    if auxiliary is not None:
        train_arrays, valid_arrays = _with_auxiliary(train, valid, auxiliary)
    monitor = config.monitor if valid is not None else None
    mode: Literal["min", "max"] = "max" if config.monitor == "valid_auroc" else "min"
    schedule: Schedule | None = None
    if config.lr_schedule in ("cosine", "onecycle"):
        schedule = Schedule(config.lr_schedule, warmup_epochs=config.warmup_epochs)
    elif monitor is not None and config.lr_schedule == "plateau":
        schedule = Schedule("plateau", monitor, mode, config.lr_patience)
    module = SequenceTask(
        model,
        Binary(positive="1", negative="0") if task is None else task,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        pos_weight=pos_weight,
        class_weight=class_weight,
        schedule=schedule,
        augment_rc=config.augment.reverse_complement,
        augment_shift=config.augment.shift,
        frozen_trunk=frozen_trunk,
        auxiliary=auxiliary is not None,
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
    # first: the averaged weights are in the model when the others read it at epoch end
    averaging = weight_averaging(config)
    hooks: list[Callback] = [best] if averaging is None else [averaging, best]
    early: EarlyStopping | None = None
    if monitor is not None:
        early = EarlyStopping(monitor=monitor, mode=mode, patience=config.patience)
        hooks.append(early)
    identity = _fingerprint(config, model, train_arrays, valid_arrays, fingerprint)
    state: TrainingState | None = None
    if resume and out_dir is not None:
        state = load_training_state(out_dir / "checkpoints", fingerprint=identity, run_dir=out_dir)
    resumable = ResumableTraining(
        None if out_dir is None else out_dir / "checkpoints",
        best=best,
        early_stopping=early,
        fingerprint=identity,
        resume=state,
        averaging=averaging,
    )
    hooks.append(resumable)
    show_bar = config.progress_bar and sys.stderr.isatty() and not is_quiet()
    # one line per epoch (stderr and the 'biodl' log), batch lines off a terminal
    hooks.append(
        EpochLines(lambda: best.best_epoch if monitor is not None else None, batches=not show_bar)
    )
    if show_bar:
        hooks.append(TQDMProgressBar(refresh_rate=max(1, len(train[0]) // config.batch_size // 20)))
    hooks.extend(callbacks)
    precision = resolve_precision(config)
    with _quiet_lightning():
        trainer, wall = _run_trainer(
            config, module, datamodule, hooks, precision, out_dir, show_bar=show_bar
        )
    best.write(trainer)  # already written unless the loop never ran
    wall += resumable.wall_before
    weights = best.best_state if best.best_state is not None else best._state(module)
    epochs = trainer.current_epoch
    n_seen = len(train[0]) * max(epochs, 1)
    return FitResult(
        state_dict=copy.deepcopy(weights),
        best_epoch=max(best.best_epoch, 0),
        epochs=epochs,
        is_rank_zero=trainer.is_global_zero,
        wall_s=wall,
        train_seq_per_s=n_seen / wall if wall > 0 else 0.0,
        history=list(best.history),
        world_size=trainer.world_size,
        precision=str(trainer.precision),
    )


def _fingerprint(
    config: TrainConfig,
    model: nn.Module,
    train: tuple[ModelInput, ...],
    valid: tuple[ModelInput, ...] | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """What a training state must match to be resumed: ``extra`` (the caller's keys),
    the training options, the model's tensor names and shapes, and the arrays."""
    options = json.dumps(config.model_dump(mode="json"), sort_keys=True)
    layout = json.dumps([[k, list(v.shape), str(v.dtype)] for k, v in model.state_dict().items()])
    return {
        **dict(extra or {}),
        "train_config_sha256": hashlib.sha256(options.encode("utf-8")).hexdigest(),
        "model_sha256": hashlib.sha256(layout.encode("utf-8")).hexdigest(),
        "arrays_sha256": arrays_sha256([*train, *(valid or ())]),
    }


def _with_auxiliary(
    train: tuple[ModelInput, np.ndarray],
    valid: tuple[ModelInput, np.ndarray] | None,
    auxiliary: tuple[np.ndarray, np.ndarray | None],
) -> tuple[tuple[ModelInput, ...], tuple[ModelInput, ...] | None]:
    """``(X, y, a)`` train and valid arrays, ``a`` float32 ``(N, A)``; missing valid
    targets are all NaN."""
    train_targets, valid_targets = auxiliary
    targets = np.asarray(train_targets, dtype=np.float32).reshape(len(train_targets), -1)
    if len(targets) != len(train[0]):
        msg = f"{len(targets)} auxiliary targets for {len(train[0])} training examples"
        raise ValueError(msg)
    if valid is None:
        return (*train, targets), None
    if valid_targets is None:
        held = np.full((len(valid[0]), targets.shape[1]), np.nan, dtype=np.float32)
    else:
        held = np.asarray(valid_targets, dtype=np.float32).reshape(len(valid_targets), -1)
    if len(held) != len(valid[0]):
        msg = f"{len(held)} auxiliary targets for {len(valid[0])} validation examples"
        raise ValueError(msg)
    return (*train, targets), (*valid, held)


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
    seen = _LastException()
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
            callbacks=[*callbacks, seen],
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
        _fit_reraising_interrupts(trainer, task, datamodule, seen)
        wall = time.perf_counter() - start
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
    return trainer, wall


class _LastException(Callback):
    """Remember the exception Lightning reports to callbacks (``on_exception``)."""

    def __init__(self) -> None:
        self.exception: BaseException | None = None

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self.exception = exception


def _fit_reraising_interrupts(
    trainer: L.Trainer,
    task: SequenceTask,
    datamodule: ArrayDataModule,
    seen: _LastException,
) -> None:
    """``trainer.fit``, but Ctrl-C and SIGTERM stay interrupts.

    Lightning 2.6 turns a ``KeyboardInterrupt`` (hence :class:`biodl.errors.Terminated`)
    inside ``fit`` into ``SystemExit(1)``, after setting SIGINT to be ignored, and turns
    a SIGTERM it caught itself into ``SIGTERMException`` (a ``SystemExit`` with status
    0). Re-raise the original interrupt (a ``Terminated`` for SIGTERM), and give SIGINT
    back its handler, so that the caller cleans up and the command line exits 130/143.
    """
    main = threading.current_thread() is threading.main_thread()
    sigint = signal.getsignal(signal.SIGINT) if main else None
    try:
        trainer.fit(task, datamodule=datamodule)
    except SystemExit as exc:
        caught = seen.exception
        if isinstance(caught, KeyboardInterrupt):
            raise caught from None
        if isinstance(exc, SIGTERMException) or isinstance(caught, SIGTERMException):
            raise Terminated() from None
        raise
    finally:
        if main and sigint is not None:
            signal.signal(signal.SIGINT, sigint)
