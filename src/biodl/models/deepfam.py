"""DeepFam (Seo et al. 2018): alignment-free protein family classification."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.models.layers import SequenceModel
from biodl.models.locality import Link, NonLocal
from biodl.models.masking import MultiWidthConv, masked_max, padding_mask
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["DeepFamParams", "DeepFamTrunk", "deepfam"]

Width = Annotated[int, Field(ge=1)]


class DeepFamParams(BaseModel):
    """Hyper-parameters of :func:`deepfam` (DeepFam's widths; fewer filters and units)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    n_filters: int = Field(default=64, ge=1)
    widths: list[Width] = Field(default=[8, 12, 16, 20, 24, 28, 32, 36], min_length=1)
    batch_norm: bool = True
    hidden: int = Field(default=256, ge=0)
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)


class DeepFamTrunk(nn.Module):
    """Multi-width convolutions, masked max-over-time pooling, batch norm, ReLU.

    ``(N, C, L)`` to ``(N, len(widths) * n_filters)``: one feature per filter, its
    best score anywhere in the protein (padding excluded).

    Attributes
    ----------
    out_features
        ``len(widths) * n_filters``.
    """

    def __init__(
        self, n_channels: int, *, n_filters: int, widths: Sequence[int], batch_norm: bool
    ) -> None:
        super().__init__()
        self.conv = MultiWidthConv(n_channels, n_filters, widths, activation="none")
        self.out_features = self.conv.out_channels
        self.norm: nn.Module = nn.BatchNorm1d(self.out_features) if batch_norm else nn.Identity()
        self.act = nn.ReLU()

    def forward_chain(self) -> list[Link]:
        """Not local for fast ISM: padding columns change the mask, so a substitution
        can change every position (:mod:`biodl.models.locality`)."""
        return [NonLocal(self.forward)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = padding_mask(x)
        return self.act(self.norm(masked_max(self.conv(x, mask), mask)))


def deepfam(params: DeepFamParams, io: ModelIO) -> SequenceModel:
    """DeepFam: convolutions of eight widths, max-over-time pooling, one hidden layer.

    Seo S., Oh M., Park Y., Kim S. (2018) DeepFam: deep learning based alignment-free
    method for protein family modeling and prediction. *Bioinformatics* 34:i254-i262.
    doi:10.1093/bioinformatics/bty275. Architecture as ``src/DeepFam/model.py`` of the
    DeepFam code.

    Input: proteins ``(N, C, L)``, one-hot or BLOSUM62 (any ``C``), padded with
    all-zero columns anywhere (see :mod:`biodl.models.masking`). Architecture
    (defaults in brackets):

    1. for each width in ``widths`` [8, 12, 16, 20, 24, 28, 32, 36], ``n_filters``
       [64] filters ('same' zero padding), concatenated;
    2. max over the protein's real positions (padding never counts), then batch norm
       (``batch_norm`` [true]) and ReLU: one feature per filter, what ``model.embed``
       returns;
    3. dropout ``dropout`` [0.3], a dense layer of ``hidden`` [256] units with batch
       norm (if ``batch_norm``) and ReLU (none if 0), and a linear layer to
       ``n_outputs`` logits (DeepFam: one per family, softmax).

    A protein's outputs do not depend on how much padding it was given, or where. At
    the defaults, for 20 input channels, the model has 358,656 + 257 ``n_outputs``
    parameters, whatever ``L``.

    Differences from the original:

    * Sizes: DeepFam's example setting has 256 filters per width (2,048 pooled
      features) and 2,000 hidden units (with 21 channels and 1,074 COG families: about
      7.2 million parameters); the defaults here (64 and 256) are sized for a CPU. Set
      ``n_filters: 256, hidden: 2000`` for DeepFam's.
    * Padding: DeepFam pads proteins to 1,000 residues and max-pools its 'valid'
      convolutions over every window, padding included (a window in the padding scores
      its bias). Here the convolutions are 'same' and only windows centred on a
      real residue count, so a motif overhanging either end of the protein by up to
      half a filter width is still scored, and padding never is.
    * Batch norm: DeepFam normalises each convolution output at every position
      before ReLU and pooling; here the pooled maxima are normalised (statistics over
      proteins, not positions, so padding cannot enter them). For a positive batch-norm
      scale the two orders give the same function family (max commutes with an
      increasing affine map). Batch norm needs two or more proteins per training batch.
    * Input: DeepFam uses 21 channels with ambiguous letters spread over the residues
      they stand for; biodl gives 20-channel one-hot (unknown letters all zero, hence
      masked like padding) or BLOSUM62.
    * Training: DeepFam used Adam (learning rate 1e-3), an L2 penalty on the output
      layer, keep probability 0.7 and Xavier initialisation; biodl uses its trainer's
      settings and PyTorch's default initialisation. Outputs are logits; the softmax
      is in the loss and at prediction time.
    """
    trunk = DeepFamTrunk(
        io.n_channels,
        n_filters=params.n_filters,
        widths=params.widths,
        batch_norm=params.batch_norm,
    )
    layers: list[nn.Module] = [nn.Dropout(params.dropout)] if params.dropout > 0 else []
    width = trunk.out_features
    if params.hidden > 0:
        layers.append(nn.Linear(width, params.hidden))
        if params.batch_norm:
            layers.append(nn.BatchNorm1d(params.hidden))
        layers.append(nn.ReLU())
        width = params.hidden
    layers.append(nn.Linear(width, io.n_outputs))
    return SequenceModel(trunk, nn.Sequential(*layers), strands="single")


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    n_filters={"type": "int", "low": 16, "high": 256, "log": True},
    hidden={"type": "int", "low": 32, "high": 1024, "log": True},
    dropout={"type": "float", "low": 0.0, "high": 0.6},
)

DEEPFAM = register_model(
    ModelSpec(
        name="deepfam",
        summary="DeepFam: protein convs of widths 8-36 (64 each), masked max-over-time "
        "pooling, dense 256 with batch norm",
        citation="Seo et al. 2018, Bioinformatics 34:i254, doi:10.1093/bioinformatics/bty275",
        params=DeepFamParams,
        space=SEARCH_SPACE,
        build=deepfam,
        alphabets=("protein",),
    )
)
