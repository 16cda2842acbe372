"""The CNN of DeepGOPlus (Kulmanov & Hoehndorf 2020): protein function (GO terms)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.models.layers import DenseHead, SequenceModel
from biodl.models.locality import Link, NonLocal
from biodl.models.masking import MultiWidthConv, masked_max, padding_mask
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["DeepGOPlusParams", "DeepGOPlusTrunk", "deepgoplus_cnn"]

Width = Annotated[int, Field(ge=1)]


class DeepGOPlusParams(BaseModel):
    """Hyper-parameters of :func:`deepgoplus_cnn` (DeepGOPlus's design, sized down)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    n_filters: int = Field(default=32, ge=1)
    widths: list[Width] = Field(default=[8, 16, 24, 32, 40, 48, 56, 64], min_length=1)
    activation: Literal["none", "relu"] = "none"
    hidden: int = Field(default=0, ge=0)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)


class DeepGOPlusTrunk(nn.Module):
    """Multi-width convolutions and masked max-pooling over the protein.

    ``(N, C, L)`` to ``(N, len(widths) * n_filters)``.

    Attributes
    ----------
    out_features
        ``len(widths) * n_filters``.
    """

    def __init__(
        self,
        n_channels: int,
        *,
        n_filters: int,
        widths: Sequence[int],
        activation: Literal["none", "relu"],
    ) -> None:
        super().__init__()
        self.conv = MultiWidthConv(n_channels, n_filters, widths, activation=activation)
        self.out_features = self.conv.out_channels

    def forward_chain(self) -> list[Link]:
        """Not local for fast ISM: padding columns change the mask, so a substitution
        can change every position (:mod:`biodl.models.locality`)."""
        return [NonLocal(self.forward)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = padding_mask(x)
        return masked_max(self.conv(x, mask), mask)


def deepgoplus_cnn(params: DeepGOPlusParams, io: ModelIO) -> SequenceModel:
    """DeepGOPlus's CNN: many filter widths, max-pooling over the protein, one dense layer.

    Kulmanov M., Hoehndorf R. (2020) DeepGOPlus: improved protein function prediction
    from sequence. *Bioinformatics* 36:422-429. doi:10.1093/bioinformatics/btz595.
    Architecture as ``create_model`` in ``deepgoplus.py`` of the DeepGOPlus code.

    Input: proteins ``(N, C, L)``, one-hot or BLOSUM62 (any ``C``), padded with
    all-zero columns anywhere (see :mod:`biodl.models.masking`). Architecture
    (defaults in brackets):

    1. for each width in ``widths`` [8, 16, ..., 64], ``n_filters`` [32] filters
       ('same' zero padding), with no non-linearity (``activation`` [none], as
       DeepGOPlus; ``relu`` adds one), concatenated;
    2. max over the protein's real positions (padding never counts): one feature per
       filter, what ``model.embed`` returns;
    3. dropout ``dropout`` [0], a dense ReLU layer of ``hidden`` [0: none] units,
       and a linear layer to ``n_outputs`` logits, one per GO term (multi-label:
       sigmoid in the loss).

    A protein's outputs do not depend on how much padding it was given, or where. At
    the defaults, for 20 input channels, the model has 184,576 + 257 ``n_outputs``
    parameters, whatever ``L``.

    Differences from the original:

    * Sizes: DeepGOPlus has 16 widths (8, 16, ..., 128) of 512 filters each (8,192
      pooled features, 11.7 million convolution parameters on its 21 channels) and
      reads up to 2,000 residues; the defaults here (widths 8-64, 32 filters each,
      256 features) are sized for a CPU. Set ``widths: [8, 16, ..., 128]`` and
      ``n_filters: 512`` for DeepGOPlus's.
    * Padding: DeepGOPlus one-hot encodes padding (and unknown residues) as a 21st
      channel and max-pools its 'valid' convolutions over all 2,000 - w + 1 windows,
      padding included. Here padding is all-zero and masked: the convolutions are
      'same' and only windows centred on a real residue count, so a motif overhanging
      either end by up to half a filter width is still scored.
    * Dense layers: DeepGOPlus's best model has none between the pooled features and
      the output (``dense_depth`` 0); its optional ones have as many units as terms.
      Here ``hidden`` sets one optional layer's width.
    * DeepGOPlus's final prediction combines this CNN with DIAMOND similarity scores
      (weighted by a per-ontology alpha); only the CNN is here.
    * Training: DeepGOPlus used Adam (learning rate 3e-4), Glorot-normal
      initialisation and early stopping; biodl uses its trainer's settings and
      PyTorch's default initialisation. Outputs are logits; the sigmoid is in the loss
      and at prediction time.
    """
    trunk = DeepGOPlusTrunk(
        io.n_channels,
        n_filters=params.n_filters,
        widths=params.widths,
        activation=params.activation,
    )
    head = DenseHead(trunk.out_features, io.n_outputs, hidden=params.hidden, dropout=params.dropout)
    return SequenceModel(trunk, head, strands="single")


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    n_filters={"type": "int", "low": 16, "high": 512, "log": True},
    hidden={"type": "categorical", "choices": [0, 128, 512]},
    dropout={"type": "float", "low": 0.0, "high": 0.5},
)

DEEPGOPLUS_CNN = register_model(
    ModelSpec(
        name="deepgoplus_cnn",
        summary="DeepGOPlus CNN: linear protein convs of widths 8-64 (32 each; DeepGOPlus: "
        "8-128, 512 each), masked max-pooling, dense multi-label output",
        citation="Kulmanov & Hoehndorf 2020, Bioinformatics 36:422, "
        "doi:10.1093/bioinformatics/btz595",
        params=DeepGOPlusParams,
        space=SEARCH_SPACE,
        build=deepgoplus_cnn,
        alphabets=("protein",),
    )
)
