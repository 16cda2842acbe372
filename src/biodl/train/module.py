"""The one Lightning module that trains every zoo model, and its data module."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler, TensorDataset

from biodl.encode.molecules import ModelInput, PackedGraphs
from biodl.models import auxiliary_outputs, forward_with_auxiliary
from biodl.tasks import Task, masked_loss
from biodl.train.augment import augment_with_targets

__all__ = ["ArrayDataModule", "BalancedSampler", "Schedule", "SequenceTask", "cosine_factor"]


class SequenceTask(L.LightningModule):
    """Training of any zoo model for any :class:`~biodl.tasks.Task`.

    Parameters
    ----------
    model
        Maps ``(N, C, L)`` to outputs ``(N, T)`` (or ``(N, T, L')`` per position).
        Training never lives in the model.
    task
        What the outputs mean: owns the loss (:meth:`~biodl.tasks.Task.loss`) and the
        validation metric logged as ``valid_auroc`` (none for regression). Targets are
        :meth:`~biodl.tasks.Task.training_targets`: NaN where missing for multi-label
        and regression (no loss, not scored).
    class_weight
        Per-class loss weights of a multi-class task (length ``K``), or ``None``.
    learning_rate, weight_decay
        Adam settings (weight decay as in :class:`torch.optim.AdamW`).
    pos_weight
        Weight of the positive class in the binary cross-entropy (``n_neg / n_pos`` for
        balanced class weights): one number (binary) or one per output (multi-label).
    augment_rc, augment_shift
        Training-time augmentation (:mod:`biodl.train.augment`): reverse-complement half
        of each batch, shift each sequence by up to ``augment_shift`` positions.
    frozen_trunk
        Keep ``model.trunk`` in eval mode while training (its parameters are frozen by
        the caller), so batch-norm statistics and dropout of the trunk stay fixed.
    schedule
        The learning-rate schedule (:class:`Schedule`): halve it on a plateau of the
        monitored validation metric, or a per-step cosine or one-cycle schedule with a
        linear warm-up; ``None`` for a constant learning rate.
    auxiliary
        Also train the model's auxiliary heads (:mod:`biodl.models.auxiliary`, e.g.
        DeepLoc's membrane head). Batches are then ``(x, y, a)`` with ``a`` float
        ``(N, A)``, one column per head in :func:`~biodl.models.auxiliary_outputs`
        order, NaN where unknown. The loss (in training and validation) is the task
        loss plus each head's binary cross-entropy averaged over the known targets of
        the batch; a batch without a known target adds exactly 0.
    """

    def __init__(
        self,
        model: nn.Module,
        task: Task,
        *,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        pos_weight: float | Sequence[float] | None = None,
        class_weight: list[float] | None = None,
        schedule: Schedule | None = None,
        augment_rc: bool = False,
        augment_shift: int = 0,
        frozen_trunk: bool = False,
        auxiliary: bool = False,
    ) -> None:
        super().__init__()
        self.heads = auxiliary_outputs(model) if auxiliary else ()
        if auxiliary and not self.heads:
            msg = f"auxiliary=True needs a model with auxiliary heads, not {type(model).__name__}"
            raise ValueError(msg)
        self.task = task
        self.frozen_trunk = frozen_trunk
        self._train_loss_sum = torch.zeros(())
        self._train_seen = 0
        self.schedule = schedule
        self.augment_rc = augment_rc
        self.augment_shift = augment_shift
        self.model = model
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.valid_auroc = task.validation_metric()
        self.class_weight: torch.Tensor | None
        self.pos_weight: torch.Tensor | None
        weights = {
            "class_weight": None if class_weight is None else torch.tensor(class_weight),
            "pos_weight": None
            if pos_weight is None
            else torch.tensor(pos_weight, dtype=torch.float32).reshape(-1),
        }
        for name, value in weights.items():
            if value is None:
                setattr(self, name, None)
            else:
                self.register_buffer(name, value.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def _loss(
        self, batch: Sequence[torch.Tensor], *, augment: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The (joint) loss of a batch ``(x, y)``, or ``(x, y, a)`` with auxiliary heads."""
        if self.heads and len(batch) != 3:
            msg = f"auxiliary training needs batches (x, y, a), got {len(batch)} tensors"
            raise ValueError(msg)
        x, y = batch[0], batch[1]
        x = x.float()
        if augment:
            x, y = augment_with_targets(
                x, y, reverse_complement=self.augment_rc, max_shift=self.augment_shift
            )
        if self.heads:
            logits, aux = forward_with_auxiliary(self.model, x)
        else:
            logits, aux = self.model(x), {}
        loss = self.task.loss(logits, y, pos_weight=self.pos_weight, class_weight=self.class_weight)
        if aux:
            targets = batch[2].float().reshape(len(x), -1)
            for i, head in enumerate(self.heads):
                loss = loss + masked_loss(
                    aux[head.name][:, None], targets[:, i : i + 1], kind="bce"
                )
        return loss, logits

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss, _ = self._loss(batch, augment=True)
        # summed here and logged once per epoch: Lightning's self.log costs ~1.4 ms a call
        n = batch[0].shape[0]
        self._train_loss_sum = self._train_loss_sum + loss.detach() * n
        self._train_seen += n
        return loss

    def on_train_epoch_start(self) -> None:
        self._train_loss_sum = torch.zeros((), device=self.device)
        self._train_seen = 0
        trunk = getattr(self.model, "trunk", None)
        if self.frozen_trunk and isinstance(trunk, nn.Module):
            trunk.eval()

    def on_train_epoch_end(self) -> None:
        if self._train_seen:
            mean = self._train_loss_sum / self._train_seen
            self.log("train_loss", mean, on_epoch=True, prog_bar=True, sync_dist=True)

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        loss, logits = self._loss(batch)
        self.log("valid_loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True)
        if self.valid_auroc is None:
            return
        self.task.update_validation(self.valid_auroc, logits, batch[1])
        self.log("valid_auroc", self.valid_auroc, on_step=False, on_epoch=True, prog_bar=True)

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        plan = self.schedule
        if plan is None:
            return optimizer
        if plan.kind == "plateau":
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="max" if plan.mode == "max" else "min", factor=0.5,
                patience=plan.patience,
            )  # fmt: skip
            return {
                "optimizer": optimizer,
                "lr_scheduler": {
                    "scheduler": plateau,
                    "monitor": plan.monitor,
                    "interval": "epoch",
                },
            }
        trainer = self.trainer
        total = max(1, int(trainer.estimated_stepping_batches))
        per_epoch = total / max(1, int(trainer.max_epochs or 1))
        warmup = min(total - 1, round(plan.warmup_epochs * per_epoch))
        scheduler: torch.optim.lr_scheduler.LRScheduler
        if plan.kind == "onecycle":
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer,
                max_lr=self.learning_rate,
                total_steps=total,
                pct_start=warmup / total if warmup > 0 else 0.3,
                cycle_momentum=False,
            )
        else:
            scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: cosine_factor(step, total=total, warmup=warmup)
            )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule (``train.lr_schedule``).

    Attributes
    ----------
    kind
        ``plateau``: halve the rate when ``monitor`` (``mode`` ``min``/``max``) has not
        improved for ``patience`` epochs; ``cosine``: linear warm-up over
        ``warmup_epochs``, then cosine decay to 0 at the last step of ``max_epochs``
        (:func:`cosine_factor`); ``onecycle``: :class:`torch.optim.lr_scheduler.OneCycleLR`
        peaking at the configured rate after ``warmup_epochs`` (30 % of the steps when
        0), momentum not cycled. The step schedules assume training runs all
        ``max_epochs``; early stopping ends them sooner.
    """

    kind: Literal["plateau", "cosine", "onecycle"]
    monitor: str = "valid_loss"
    mode: Literal["min", "max"] = "min"
    patience: int = 2
    warmup_epochs: int = 0


def cosine_factor(step: int, *, total: int, warmup: int) -> float:
    """Learning-rate factor at 0-based ``step``: ``(step + 1) / warmup`` during the
    warm-up, then ``(1 + cos(pi * s / (total - warmup))) / 2`` for the ``s``-th step after it.

    Examples
    --------
    >>> [round(cosine_factor(s, total=6, warmup=2), 3) for s in range(6)]
    [0.5, 1.0, 1.0, 0.854, 0.5, 0.146]
    """
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


class BalancedSampler(torch.utils.data.Sampler[int]):
    """Class-balanced sampling with replacement, sharded over processes like
    :class:`~torch.utils.data.DistributedSampler`.

    Each epoch draws ``len(labels)`` indices, an equal share from every class (a class
    with fewer examples is drawn with repetition), shuffles them with a generator seeded by
    ``seed + epoch``, and gives process ``rank`` every ``num_replicas``-th index. The same
    seed gives the same global order whatever the number of processes.

    Examples
    --------
    >>> s = BalancedSampler([0] * 90 + [1] * 10, num_replicas=1, rank=0, seed=0)
    >>> labels = [0] * 90 + [1] * 10
    >>> sum(labels[i] for i in s)
    50
    """

    def __init__(self, labels: Sequence[int], *, num_replicas: int, rank: int, seed: int) -> None:
        self.labels = torch.as_tensor(list(labels))
        self.num_replicas = num_replicas
        self.rank = rank
        self.seed = seed
        self.epoch = 0
        self.total = math.ceil(len(self.labels) / num_replicas) * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at the start of each epoch."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        classes = torch.unique(self.labels)
        share = [self.total // len(classes)] * len(classes)
        for i in range(self.total - sum(share)):
            share[i] += 1
        drawn = []
        for cls, n in zip(classes.tolist(), share, strict=True):
            members = torch.nonzero(self.labels == cls).flatten()
            drawn.append(members[torch.randint(len(members), (n,), generator=g)])
        order = torch.cat(drawn)[torch.randperm(self.total, generator=g)]
        return iter(order[self.rank :: self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.total // self.num_replicas


class ArrayDataModule(L.LightningDataModule):
    """In-memory one-hot arrays, sharded over processes by a seeded distributed sampler.

    ``train`` and ``valid`` are ``(X, y)`` or ``(X, y, m)`` (``m``: auxiliary targets,
    see :class:`SequenceTask`); a batch holds one tensor per array. With ``balanced``
    the training batches are drawn class-balanced (:class:`BalancedSampler`, labels
    from ``y``) instead of shuffling each example once per epoch.

    ``batch_size`` is the *global* batch: each of ``W`` processes takes
    ``batch_size // W`` examples per step, and the same seed gives the same global
    batches whatever ``W`` is, so one process and data-parallel training follow the
    same optimisation path (up to floating-point reduction order).
    """

    def __init__(
        self,
        train: tuple[ModelInput, ...],
        valid: tuple[ModelInput, ...] | None,
        *,
        batch_size: int,
        seed: int,
        num_workers: int = 0,
        balanced: bool = False,
    ) -> None:
        super().__init__()
        for name, arrays in (("train", train), ("valid", valid)):
            if arrays is not None and len(arrays) not in (2, 3):
                msg = f"{name} must be (X, y) or (X, y, m), not {len(arrays)} arrays"
                raise ValueError(msg)
        if valid is not None and len(valid) != len(train):
            msg = f"train has {len(train)} arrays but valid has {len(valid)}"
            raise ValueError(msg)
        self.balanced = balanced
        y = np.asarray(train[1])
        self.train_labels: list[int] = []
        if balanced:  # classification targets only (the configuration checks it)
            self.train_labels = (y[:, 0] if y.ndim == 2 else y).astype(np.int64).tolist()
        self.train_set = _dataset(train)
        self.valid_set = None if valid is None else _dataset(valid)
        self.batch_size = batch_size
        self.seed = seed
        self.num_workers = num_workers

    def _world(self) -> tuple[int, int]:
        trainer = self.trainer
        if trainer is None:
            return 1, 0
        return trainer.world_size, trainer.global_rank

    def _loader(
        self, dataset: TensorDataset | PackedDataset, *, shuffle: bool, balanced: bool = False
    ) -> DataLoader[Any]:
        world, rank = self._world()
        per_device = max(1, self.batch_size // world)
        # a last batch of one example breaks batch norm in training: drop it (rare)
        drop_last = shuffle and (len(dataset) // world) % per_device == 1
        sampler: torch.utils.data.Sampler[int]
        if balanced:
            sampler = BalancedSampler(
                self.train_labels, num_replicas=world, rank=rank, seed=self.seed
            )
        else:
            sampler = DistributedSampler(
                dataset, num_replicas=world, rank=rank, shuffle=shuffle, seed=self.seed
            )
        return DataLoader(
            dataset,
            batch_size=per_device,
            sampler=sampler,
            drop_last=drop_last,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            collate_fn=dataset.collate if isinstance(dataset, PackedDataset) else None,
        )

    def transfer_batch_to_device(
        self, batch: Any, device: torch.device, dataloader_idx: int
    ) -> Any:
        """Move ``(x, y)`` directly; Lightning's generic traversal costs ~1.5 ms a step."""
        if isinstance(batch, tuple | list) and all(isinstance(t, torch.Tensor) for t in batch):
            return tuple(t.to(device, non_blocking=True) for t in batch)
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    def train_dataloader(self) -> DataLoader[Any]:
        return self._loader(self.train_set, shuffle=True, balanced=self.balanced)

    def val_dataloader(self) -> DataLoader[Any]:
        if self.valid_set is None:
            return []  # type: ignore[return-value]
        return self._loader(self.valid_set, shuffle=False)


class PackedDataset(Dataset[int]):
    """Examples whose input is packed graphs (:class:`~biodl.encode.molecules.PackedGraphs`)
    and other arrays, batched by :meth:`collate`: each batch's graphs are padded to its
    own largest molecule (padding to the largest of the whole set would cost memory and
    time for nothing; graph models give the same outputs either way)."""

    def __init__(self, graphs: PackedGraphs, *others: np.ndarray) -> None:
        for a in others:
            if len(a) != len(graphs):
                msg = f"{len(a)} rows of targets for {len(graphs)} graphs"
                raise ValueError(msg)
        self.graphs = graphs
        self.others = [torch.from_numpy(np.asarray(a)) for a in others]

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, index: int) -> int:
        return index

    def collate(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        """``(x, y, ...)`` of the examples at ``indices``, ``x`` float32 ``(B, C, L')``."""
        rows = torch.as_tensor(indices, dtype=torch.long)
        x = torch.from_numpy(self.graphs.dense(np.asarray(indices, dtype=np.int64)))
        return (x, *(a[rows] for a in self.others))


def _dataset(arrays: tuple[ModelInput, ...]) -> TensorDataset | PackedDataset:
    """The dataset of ``(X, y[, m])``: a tensor dataset, or a :class:`PackedDataset`
    for packed graphs."""
    first, *rest = arrays
    others = [np.asarray(a) for a in rest]
    if isinstance(first, PackedGraphs):
        return PackedDataset(first, *others)
    return TensorDataset(
        torch.from_numpy(np.asarray(first)), *(torch.from_numpy(a) for a in others)
    )
