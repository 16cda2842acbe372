"""DeepBind (Alipanahi et al. 2015)."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.models.layers import DenseHead, GlobalPool, SequenceModel, pad_positions
from biodl.models.locality import Link
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["DeepBindParams", "DeepBindTrunk", "deepbind"]


class DeepBindParams(BaseModel):
    """Hyper-parameters of :func:`deepbind` (defaults: DeepBind's ChIP-seq setting)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    n_filters: int = Field(default=16, ge=1)
    filter_width: int = Field(default=24, ge=1)
    pooling: Literal["max", "avg", "max_avg"] = "max_avg"
    hidden: int = Field(default=32, ge=0)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    strands: Literal["single", "max", "mean"] = "max"


class DeepBindTrunk(nn.Module):
    """Pad with uniform columns, convolve, rectify, pool: ``(N, C, L)`` to ``(N, F * k)``.

    The input is padded with ``filter_width - 1`` columns of ``1/C`` on each side, as
    DeepBind does, so a motif detector also scores motifs that overhang either end.
    """

    def __init__(
        self,
        n_channels: int,
        *,
        n_filters: int,
        width: int,
        pooling: Literal["max", "avg", "max_avg"],
    ) -> None:
        super().__init__()
        self.pad = width - 1
        self.pad_value = 1.0 / n_channels
        self.conv = nn.Conv1d(n_channels, n_filters, kernel_size=width)
        self.act = nn.ReLU()
        self.pool = GlobalPool(pooling)
        self.out_features = n_filters * self.pool.expansion()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = pad_positions(x, self.pad, self.pad_value)
        return self.pool(self.act(self.conv(x)))

    def forward_chain(self) -> list[Link]:
        """Uniform padding, convolution, ReLU, global pooling (:mod:`biodl.models.locality`)."""
        pad = nn.ConstantPad1d((self.pad, self.pad), self.pad_value)
        return [pad, self.conv, self.act, self.pool]


def deepbind(params: DeepBindParams, io: ModelIO) -> SequenceModel:
    """DeepBind: one convolutional layer of motif detectors, global pooling, a dense head.

    Alipanahi B., Delong A., Weirauch M.T., Frey B.J. (2015) Predicting the sequence
    specificities of DNA- and RNA-binding proteins by deep learning. *Nature
    Biotechnology* 33:831-838. doi:10.1038/nbt.3300

    Architecture (input ``(N, C, L)`` one-hot):

    1. pad ``filter_width - 1`` uniform columns (``1/C``) on each side;
    2. ``n_filters`` convolutional motif detectors of width ``filter_width`` with a bias
       (DeepBind's learned threshold) and ReLU rectification;
    3. global max pooling, average pooling, or both concatenated (``max_avg``, DeepBind's
       choice for ChIP-seq);
    4. dropout, an optional hidden ReLU layer of ``hidden`` units, dropout, a linear output;
    5. with ``strands: max`` the sequence and its reverse complement are scored and the
       larger logit is kept, as DeepBind does.

    Differences from the original: DeepBind calibrated hyper-parameters (learning rate,
    momentum, dropout, weight init, number of detectors) by random search with 3-fold
    cross-validation per experiment and trained with SGD + momentum; biodl uses fixed
    defaults (16 detectors of width 24, 32 hidden units, dropout 0.5) and Adam with early
    stopping on a validation split. Weight decay replaces DeepBind's L1/L2 penalties.
    """
    trunk = DeepBindTrunk(
        io.n_channels, n_filters=params.n_filters, width=params.filter_width, pooling=params.pooling
    )
    head = DenseHead(trunk.out_features, io.n_outputs, hidden=params.hidden, dropout=params.dropout)
    strands = params.strands if io.alphabet in ("dna", "rna") else "single"
    return SequenceModel(trunk, head, strands=strands)


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    n_filters={"type": "int", "low": 8, "high": 128, "log": True},
    filter_width={"type": "int", "low": 8, "high": 32},
    hidden={"type": "categorical", "choices": [0, 16, 32, 64]},
    dropout={"type": "float", "low": 0.0, "high": 0.6},
    pooling={"type": "categorical", "choices": ["max", "avg", "max_avg"]},
)

DEEPBIND = register_model(
    ModelSpec(
        name="deepbind",
        summary="one conv layer of motif detectors, max+avg pooling, dense head, both strands",
        citation="Alipanahi et al. 2015, Nat Biotechnol 33:831, doi:10.1038/nbt.3300",
        params=DeepBindParams,
        space=SEARCH_SPACE,
        build=deepbind,
    )
)
