"""One line per training epoch, and batch progress lines where stderr is not a terminal.

:class:`EpochLines` prints, after each epoch (rank zero only, through
:func:`biodl.progress.note`: stderr unless ``--quiet``, and the ``biodl`` logger)::

    epoch 3/30  train_loss 0.412  valid_loss 0.398  valid_auroc 0.871  best 2  lr 0.001  12.3 s

with every metric the epoch logged, the best epoch so far (1-based, by the monitored
metric) and the learning rate the epoch trained with. Within an epoch, where stderr is
not a terminal (a SLURM or ``nohup`` log), :func:`biodl.progress.progress` prints the
batches done, the rate and the time left every few seconds; on a terminal Lightning's
own bar (``train.progress_bar``) shows them.

Lightning calls a callback's ``on_train_epoch_end`` before the module logs the epoch's
training loss, so the line of epoch ``k`` is written when epoch ``k + 1`` starts or
training ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback

from biodl.progress import Progress, note, progress

__all__ = ["EpochLines", "epoch_line"]


def epoch_line(
    epoch: int,
    max_epochs: int | None,
    metrics: dict[str, float],
    *,
    best: int | None,
    lr: float | None,
    seconds: float,
) -> str:
    """The line of one epoch (``epoch`` 0-based, shown 1-based).

    Examples
    --------
    >>> epoch_line(2, 30, {"valid_loss": 0.3981, "train_loss": 0.41234}, best=1, lr=1e-3,
    ...            seconds=12.34)
    'epoch 3/30  train_loss 0.4123  valid_loss 0.3981  best 2  lr 0.001  12.3 s'
    """
    parts = [f"epoch {epoch + 1}/{max_epochs}" if max_epochs else f"epoch {epoch + 1}"]
    # training metrics, then losses, then the rest
    order = sorted(metrics, key=lambda k: (not k.startswith("train"), not k.endswith("loss"), k))
    parts += [f"{k} {metrics[k]:.4g}" for k in order]
    if best is not None:
        parts.append(f"best {best + 1}")
    if lr is not None:
        parts.append(f"lr {lr:.3g}")
    parts.append(f"{seconds:.1f} s")
    return "  ".join(parts)


class EpochLines(Callback):
    """Print one line per epoch (:func:`epoch_line`) and, off a terminal, batch progress.

    Parameters
    ----------
    best_epoch
        Returns the 0-based best epoch so far (``None`` when nothing is monitored),
        read after the epoch's callbacks have run.
    batches
        Batch progress within each epoch (lines where stderr is not a terminal; no bar:
        Lightning draws its own).
    """

    def __init__(self, best_epoch: Callable[[], int | None], *, batches: bool = True) -> None:
        self.best_epoch = best_epoch
        self.batches = batches
        self._pending: tuple[int, float, float | None] | None = None  # epoch, seconds, lr
        self._started = 0.0
        self._lr: float | None = None
        self._bar: Progress[Any] | None = None

    @staticmethod
    def _learning_rate(trainer: L.Trainer) -> float | None:
        try:
            return float(trainer.optimizers[0].param_groups[0]["lr"])
        except (IndexError, KeyError, TypeError, ValueError):
            return None

    def _flush(self, trainer: L.Trainer) -> None:
        """Print the line of the epoch that ended (its metrics are logged by now)."""
        if self._pending is None:
            return
        epoch, seconds, lr = self._pending
        self._pending = None
        metrics: dict[str, float] = {}
        for key, value in trainer.callback_metrics.items():
            try:
                metrics[key] = float(value)
            except (TypeError, ValueError):
                continue
        line = epoch_line(
            epoch, trainer.max_epochs, metrics, best=self.best_epoch(), lr=lr, seconds=seconds
        )
        note(line)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        self._flush(trainer)
        self._started = time.perf_counter()
        self._lr = self._learning_rate(trainer)
        if self.batches:
            total = trainer.num_training_batches
            self._bar = progress(
                total=int(total) if total != float("inf") else None,
                desc=f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}",
                unit="batch",
                bar=False,
            )

    def on_train_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if self._bar is not None:
            self._bar.update()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        if self._bar is not None:
            self._bar.close(report=False)  # the epoch line says it
            self._bar = None
        seconds = time.perf_counter() - self._started
        self._pending = (trainer.current_epoch, seconds, self._lr)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.is_global_zero:
            self._flush(trainer)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if self._bar is not None:
            self._bar.close(report=False)
            self._bar = None
