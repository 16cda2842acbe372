"""A per-residue protein tagger (sequence only), e.g. for ScanNet-style binding-site labels."""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.layers import SequenceModel
from biodl.models.masking import MultiWidthConv, masked_lstm, padding_mask
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["ResidueTaggerParams", "ResidueTaggerTrunk", "residue_tagger"]


class ResidueTaggerParams(BaseModel):
    """Hyper-parameters of :func:`residue_tagger`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    conv_layers: int = Field(default=2, ge=0)
    conv_filters: int = Field(default=64, ge=1)
    conv_width: int = Field(default=9, ge=1)
    lstm_units: int = Field(default=64, ge=1)
    hidden: int = Field(default=64, ge=0)
    dropout: float = Field(default=0.2, ge=0.0, lt=1.0)


class ResidueTaggerTrunk(nn.Module):
    """Masked convolutions and a masked bidirectional LSTM: per-residue features.

    ``(N, C, L)`` to ``(N, 2 * lstm_units, L)``, zero outside each protein's span of
    real positions.

    Attributes
    ----------
    out_channels
        ``2 * lstm_units``.
    """

    def __init__(
        self,
        n_channels: int,
        *,
        conv_layers: int,
        conv_filters: int,
        conv_width: int,
        lstm_units: int,
        dropout: float,
    ) -> None:
        super().__init__()
        convs: list[MultiWidthConv] = []
        channels = n_channels
        for _ in range(conv_layers):
            convs.append(MultiWidthConv(channels, conv_filters, [conv_width]))
            channels = conv_filters
        self.convs = nn.ModuleList(convs)
        self.dropout: nn.Module = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.lstm = nn.LSTM(channels, lstm_units, batch_first=True, bidirectional=True)
        self.out_channels = 2 * lstm_units

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = padding_mask(x)
        h = x
        for conv in self.convs:
            h = conv(h, mask)
        h = masked_lstm(self.lstm, self.dropout(h).transpose(1, 2), mask)
        return self.dropout(h.transpose(1, 2))


def residue_tagger(params: ResidueTaggerParams, io: ModelIO) -> SequenceModel:
    """Per-residue tagger: convolutions, a bidirectional LSTM, a per-position head.

    A sequence-only model for per-residue labels such as the protein binding sites of
    ScanNet's data sets (Tubiana J., Schneidman-Duhovny D., Wolfson H.J. (2022)
    ScanNet: an interpretable geometric deep learning model for structure-based
    protein binding site prediction. *Nature Methods* 19:730-739.
    doi:10.1038/s41592-022-01490-7). It is *not* ScanNet: ScanNet is a geometric
    network on the 3-D structure (atom and amino-acid neighbourhoods in local frames);
    this model sees only the sequence, and ScanNet is cited for the labels and the task.

    Input: proteins ``(N, C, L)``, one-hot or BLOSUM62 (any ``C``), padded with
    all-zero columns anywhere (see :mod:`biodl.models.masking`); ``io.per_position``
    must be true. Architecture (defaults in brackets):

    1. ``conv_layers`` [2] convolutions of ``conv_filters`` [64] filters of width
       ``conv_width`` [9], length-preserving ('same', zero-padded), ReLU, outputs
       zeroed at padded positions;
    2. dropout ``dropout`` [0.2], a bidirectional LSTM of ``lstm_units`` [64] per
       direction over each protein's span of real positions
       (:func:`~biodl.models.masking.masked_lstm`: neither direction starts in, or
       reads, the padding), dropout: per-residue features ``(N, 2 * lstm_units, L)``,
       what ``model.embed`` returns;
    3. per position, a dense ReLU layer of ``hidden`` [64] units (none if 0) and a
       linear layer to ``n_outputs`` logits (width-1 convolutions): ``(N, n_outputs,
       L)``, binary or multi-label (sigmoid in the loss).

    Padded positions: the outputs there are meaningless (the head's bias); the
    training loss masks them, since per-position targets are NaN at padding. The
    outputs at real positions do not depend on how much padding the protein was
    given, or where. At the defaults, for 20 input channels, the model has 123,328 +
    65 ``n_outputs`` parameters, whatever ``L``.

    Not a published architecture: a small, generic CNN + BiLSTM tagger (as used for
    per-residue prediction from sequence, e.g. secondary structure or binding sites),
    with no structure, no evolutionary profile and no protein language model input:
    it cannot use the spatial neighbourhood that ScanNet reads from the structure.

    Raises
    ------
    ConfigError
        If ``io.per_position`` is false.
    """
    if not io.per_position:
        raise ConfigError(
            "model 'residue_tagger' gives per-position outputs: set per_position: true"
        )
    trunk = ResidueTaggerTrunk(
        io.n_channels,
        conv_layers=params.conv_layers,
        conv_filters=params.conv_filters,
        conv_width=params.conv_width,
        lstm_units=params.lstm_units,
        dropout=params.dropout,
    )
    layers: list[nn.Module] = []
    width = trunk.out_channels
    if params.hidden > 0:
        layers += [nn.Conv1d(width, params.hidden, 1), nn.ReLU()]
        width = params.hidden
    layers.append(nn.Conv1d(width, io.n_outputs, 1))
    return SequenceModel(trunk, nn.Sequential(*layers), strands="single")


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    conv_filters={"type": "int", "low": 16, "high": 256, "log": True},
    conv_layers={"type": "int", "low": 1, "high": 4},
    lstm_units={"type": "int", "low": 16, "high": 256, "log": True},
    hidden={"type": "int", "low": 16, "high": 256, "log": True},
    dropout={"type": "float", "low": 0.0, "high": 0.5},
)

RESIDUE_TAGGER = register_model(
    ModelSpec(
        name="residue_tagger",
        summary="per-residue protein tagger: 2 masked convs 64x9, masked BiLSTM 64, "
        "per-position dense head (sequence only; labels as ScanNet's binding sites)",
        citation="Tubiana et al. 2022, Nat Methods 19:730, doi:10.1038/s41592-022-01490-7 "
        "(task and labels; this model is sequence-only, not ScanNet)",
        params=ResidueTaggerParams,
        space=SEARCH_SPACE,
        build=residue_tagger,
        alphabets=("protein",),
        per_position=True,
    )
)
