"""The one Lightning module that trains every zoo model, and its data module."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Literal, cast

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
from torchmetrics import Metric
from torchmetrics.classification import BinaryAUROC, MulticlassAUROC
from torchmetrics.utilities import dim_zero_cat

from biodl.metrics import auroc
from biodl.models import DeepLocModel, has_membrane_head
from biodl.train.augment import augment_batch

__all__ = [
    "ArrayDataModule",
    "BalancedSampler",
    "MaskedAUROC",
    "SequenceTask",
    "bin_targets",
    "masked_loss",
]


TaskName = Literal["binary", "multiclass", "multilabel", "regression"]


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
        assert isinstance(value, list)  # a list state until synchronised
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


class SequenceTask(L.LightningModule):
    """Binary, multi-class, multi-label or regression training of any zoo model.

    Parameters
    ----------
    model
        Maps ``(N, C, L)`` to outputs ``(N, T)`` (or ``(N, T, L')`` per position).
        Training never lives in the model.
    task
        ``binary``: ``T = 1``, binary cross-entropy on targets ``(N, 1)``;
        ``multiclass``: ``T = n_classes``, cross-entropy on class indices ``(N,)``;
        ``multilabel``: a binary cross-entropy per output on 0/1 targets;
        ``regression``: ``loss`` ``mse`` or ``poisson``. Multi-label and regression
        targets are float ``(N, T)`` or ``(N, T, L)`` with NaN where missing; missing
        values count in neither the loss nor the validation metric.
    n_classes
        Number of classes of a multi-class task (``None`` otherwise; a multi-class task
        is also recognised from ``n_classes`` alone, for older callers).
    class_weight
        Per-class loss weights of a multi-class task (length ``K``), or ``None``.
    learning_rate, weight_decay
        Adam settings (weight decay as in :class:`torch.optim.AdamW`).
    pos_weight
        Weight of the positive class in the binary cross-entropy (``n_neg / n_pos`` for
        balanced class weights): one number (binary) or one per output (multi-label).
    loss
        Regression loss: ``mse`` (``auto``) or ``poisson``.
    augment_rc, augment_shift
        Training-time augmentation (:mod:`biodl.train.augment`): reverse-complement half
        of each batch, shift each sequence by up to ``augment_shift`` positions.
    frozen_trunk
        Keep ``model.trunk`` in eval mode while training (its parameters are frozen by
        the caller), so batch-norm statistics and dropout of the trunk stay fixed.
    plateau
        ``(monitor, mode, patience)``: halve the learning rate when the monitored
        validation metric has not improved for ``patience`` epochs; ``None`` for a
        constant learning rate.
    membrane
        Also train a DeepLoc membrane-bound/soluble head (the model needs one, see
        :func:`biodl.models.has_membrane_head`). Batches are then ``(x, y, m)`` with
        ``m`` float ``(N,)``: 1 membrane-bound, 0 soluble, NaN unknown. The loss (in
        training and validation) is the task loss plus the binary cross-entropy of
        ``membrane_logits`` averaged over the known flags of the batch
        (:func:`masked_loss`); a batch without a known flag adds exactly 0.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        pos_weight: float | Sequence[float] | None = None,
        n_classes: int | None = None,
        class_weight: list[float] | None = None,
        plateau: tuple[str, str, int] | None = None,
        augment_rc: bool = False,
        augment_shift: int = 0,
        frozen_trunk: bool = False,
        task: TaskName | None = None,
        loss: Literal["auto", "mse", "poisson"] = "auto",
        membrane: bool = False,
    ) -> None:
        super().__init__()
        if membrane and not has_membrane_head(model):
            raise ValueError("membrane=True needs a model with a membrane head (deeploc)")
        self.membrane = membrane
        if task is None:
            task = "binary" if n_classes is None else "multiclass"
        self.task = task
        self.frozen_trunk = frozen_trunk
        self._train_loss_sum = torch.zeros(())
        self._train_seen = 0
        self.plateau = plateau
        self.augment_rc = augment_rc
        self.augment_shift = augment_shift
        self.model = model
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.n_classes = n_classes
        self.loss_kind: Literal["bce", "mse", "poisson"] = "bce"
        self.loss_fn: nn.Module | None = None
        self.valid_auroc: Metric | None = None
        if task == "binary":
            weight = None if pos_weight is None else torch.tensor([pos_weight]).flatten()[:1]
            self.loss_fn = nn.BCEWithLogitsLoss(pos_weight=weight)
            self.valid_auroc = BinaryAUROC()
        elif task == "multiclass":
            if n_classes is None:
                raise ValueError("a multiclass task needs n_classes")
            weights = None if class_weight is None else torch.tensor(class_weight)
            self.loss_fn = nn.CrossEntropyLoss(weight=weights)
            self.valid_auroc = MulticlassAUROC(num_classes=n_classes, average="macro")
        elif task == "multilabel":
            self.valid_auroc = MaskedAUROC()
        else:
            self.loss_kind = "poisson" if loss == "poisson" else "mse"
        self.pos_weight: torch.Tensor | None
        if task == "multilabel" and pos_weight is not None:
            self.register_buffer(
                "pos_weight", torch.tensor(pos_weight, dtype=torch.float32).reshape(-1)
            )
        else:
            self.pos_weight = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def _loss(
        self, batch: Sequence[torch.Tensor], *, augment: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The (joint) loss of a batch ``(x, y)``, or ``(x, y, m)`` with ``membrane``."""
        if self.membrane and len(batch) != 3:
            msg = f"membrane training needs batches (x, y, m), got {len(batch)} tensors"
            raise ValueError(msg)
        x, y = batch[0], batch[1]
        x = x.float()
        if augment:
            x = augment_batch(x, reverse_complement=self.augment_rc, max_shift=self.augment_shift)
        membrane_logits: torch.Tensor | None = None
        if self.membrane:
            logits, membrane_logits = cast(DeepLocModel, self.model).forward_with_membrane(x)
        else:
            logits = self.model(x)
        if self.loss_fn is not None:
            loss = self.loss_fn(logits.float(), y)
        else:
            loss = masked_loss(logits, y, kind=self.loss_kind, pos_weight=self.pos_weight)
        if membrane_logits is not None:
            flags = batch[2].float()
            loss = loss + masked_loss(membrane_logits[:, None], flags[:, None], kind="bce")
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
        if self.task == "binary":
            self.valid_auroc.update(torch.sigmoid(logits.float()[:, 0]), batch[1][:, 0].long())
        elif self.task == "multiclass":
            self.valid_auroc.update(torch.softmax(logits.float(), dim=-1), batch[1].long())
        else:
            target = batch[1]
            if logits.dim() == 3:
                target = bin_targets(target, logits.shape[-1])
            self.valid_auroc.update(logits.float(), target)
        self.log("valid_auroc", self.valid_auroc, on_step=False, on_epoch=True, prog_bar=True)

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        if self.plateau is None:
            return optimizer
        monitor, mode, patience = self.plateau
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max" if mode == "max" else "min", factor=0.5, patience=patience
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": monitor, "interval": "epoch"},
        }


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

    ``train`` and ``valid`` are ``(X, y)`` or ``(X, y, m)`` (e.g. DeepLoc membrane flags,
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
        train: tuple[np.ndarray, ...],
        valid: tuple[np.ndarray, ...] | None,
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
        y = train[1]
        self.train_labels: list[int] = []
        if balanced:  # classification targets only (the configuration checks it)
            self.train_labels = (y[:, 0] if y.ndim == 2 else y).astype(np.int64).tolist()
        self.train_set = TensorDataset(*(torch.from_numpy(a) for a in train))
        self.valid_set = (
            None if valid is None else TensorDataset(*(torch.from_numpy(a) for a in valid))
        )
        self.batch_size = batch_size
        self.seed = seed
        self.num_workers = num_workers

    def _world(self) -> tuple[int, int]:
        trainer = self.trainer
        if trainer is None:
            return 1, 0
        return trainer.world_size, trainer.global_rank

    def _loader(
        self, dataset: TensorDataset, *, shuffle: bool, balanced: bool = False
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
