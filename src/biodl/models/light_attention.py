"""Light attention (Stärk et al. 2021) over per-residue protein embeddings, and a
per-residue head for the same embeddings."""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.layers import SequenceModel
from biodl.models.locality import Link, NonLocal
from biodl.models.masking import masked_max, masked_softmax, padding_mask
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = [
    "LightAttentionParams",
    "LightAttentionTrunk",
    "ResidueEmbeddingParams",
    "ResidueEmbeddingTrunk",
    "light_attention",
    "residue_embedding",
]


class LightAttentionParams(BaseModel):
    """Hyper-parameters of :func:`light_attention` (the paper's, but ``filters``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    filters: int | None = Field(default=None, ge=1)
    width: int = Field(default=9, ge=1)
    hidden: int = Field(default=32, ge=1)
    conv_dropout: float = Field(default=0.25, ge=0.0, lt=1.0)
    dropout: float = Field(default=0.25, ge=0.0, lt=1.0)


class LightAttentionTrunk(nn.Module):
    """Values and attention logits by two convolutions; attention-pooled values
    concatenated with max-pooled values, over the real residues only.

    ``(N, C, L)`` to ``(N, 2 * filters)``.

    Attributes
    ----------
    out_features
        ``2 * filters``.
    """

    def __init__(self, n_channels: int, *, filters: int, width: int, conv_dropout: float) -> None:
        super().__init__()
        self.values = nn.Conv1d(n_channels, filters, width, padding="same")
        self.attention = nn.Conv1d(n_channels, filters, width, padding="same")
        self.dropout: nn.Module = nn.Dropout(conv_dropout) if conv_dropout > 0 else nn.Identity()
        self.out_features = 2 * filters

    def forward_chain(self) -> list[Link]:
        """Not local for fast ISM: attention and pooling read the whole protein."""
        return [NonLocal(self.forward)]

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights ``(N, filters, L)``: per filter, a softmax over the real
        residues, exactly 0 at padding."""
        mask = padding_mask(x)
        logits = self.attention(x)
        return masked_softmax(logits, mask[:, None, :].expand_as(logits))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.values.weight.dtype)  # float16 storage of the encoding
        mask = padding_mask(x)
        values = self.dropout(self.values(x))
        pooled = (values * self.weights(x)).sum(dim=-1)
        return torch.cat([pooled, masked_max(values, mask)], dim=1)


def light_attention(params: LightAttentionParams, io: ModelIO) -> SequenceModel:
    """Light attention: per-protein predictions from per-residue embeddings.

    Stärk H., Dallago C., Heinzinger M., Rost B. (2021) Light attention predicts protein
    location from the language of life. *Bioinformatics Advances* 1:vbab035.
    doi:10.1093/bioadv/vbab035. Architecture as ``LightAttention`` of the paper's code
    (HannesStark/protein-localization).

    Input: per-residue embeddings ``(N, C, L)`` (``data.encoding: unirep``, any
    ``C``), padded with all-zero columns anywhere (see :mod:`biodl.models.masking`); a
    one-vector-per-protein input ``(N, C, 1)`` (``unirep_mean``) also works, where the
    model reduces to a two-layer network on the mean. Architecture (defaults in
    brackets):

    1. two convolutions of ``filters`` [the input's channels ``C``] filters of width
       ``width`` [9] ('same', zero-padded): values ``v`` and attention logits ``e``;
       dropout ``conv_dropout`` [0.25] on ``v``;
    2. per filter, a softmax of ``e`` over the protein's real residues (padding gets
       weight 0), the attention-weighted sum of ``v``, concatenated with the maximum of
       ``v`` over the real residues: ``(N, 2 * filters)``, what ``model.embed`` returns;
    3. dense ``hidden`` [32], dropout ``dropout`` [0.25], ReLU, batch norm, and a linear
       layer to ``n_outputs`` logits.

    How biodl's differs: the paper reads ProtT5/ProtBert/SeqVec embeddings (1024
    channels); biodl feeds it UniRep (Alley et al. 2019: 1900, 256 or 64 channels). The
    paper's max pooling also reads the convolution outputs at padded positions; here it
    is restricted to the real residues, so a protein's prediction does not depend on
    its padding. ``filters`` lets the convolutions be narrower than the input.

    Raises
    ------
    ConfigError
        If ``io.per_position`` is true (use ``residue_embedding``).
    """
    if io.per_position:
        raise ConfigError(
            "model 'light_attention' gives one output per protein: for per_position: true "
            "use residue_embedding"
        )
    filters = params.filters or io.n_channels
    trunk = LightAttentionTrunk(
        io.n_channels, filters=filters, width=params.width, conv_dropout=params.conv_dropout
    )
    head = nn.Sequential(
        nn.Linear(trunk.out_features, params.hidden),
        nn.Dropout(params.dropout),
        nn.ReLU(),
        nn.BatchNorm1d(params.hidden),
        nn.Linear(params.hidden, io.n_outputs),
    )
    return SequenceModel(trunk, head, strands="single")


class ResidueEmbeddingParams(BaseModel):
    """Hyper-parameters of :func:`residue_embedding`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    hidden: int = Field(default=64, ge=1)
    width: int = Field(default=1, ge=1)
    dropout: float = Field(default=0.25, ge=0.0, lt=1.0)


class ResidueEmbeddingTrunk(nn.Module):
    """One convolution of ``hidden`` filters of ``width`` ('same'), ReLU, dropout,
    zeroed at padded positions: ``(N, C, L)`` to ``(N, hidden, L)``."""

    def __init__(self, n_channels: int, *, hidden: int, width: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(n_channels, hidden, width, padding="same")
        self.dropout: nn.Module = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.out_channels = hidden

    def forward_chain(self) -> list[Link]:
        """Not local for fast ISM: the padding mask reads the input's columns."""
        return [NonLocal(self.forward)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.conv.weight.dtype)  # float16 storage of the encoding
        mask = padding_mask(x)[:, None, :].to(x.dtype)
        return self.dropout(torch.relu(self.conv(x))) * mask


def residue_embedding(params: ResidueEmbeddingParams, io: ModelIO) -> SequenceModel:
    """Per-residue head on per-residue embeddings (``data.encoding: unirep``).

    Input ``(N, C, L)`` embeddings padded with all-zero columns; output ``(N, n_outputs,
    L)`` (``io.per_position`` must be true). Architecture (defaults in brackets): a
    convolution of ``hidden`` [64] filters of width ``width`` [1: a dense layer per
    residue] ('same', zero-padded), ReLU, dropout ``dropout`` [0.25], zeroed at padding
    (``model.embed``), then a linear layer per position to ``n_outputs`` logits.

    Not a published architecture: the usual small per-residue probe over protein
    language-model embeddings (as in the per-residue tasks of Alley et al. 2019, *Nat
    Methods* 16:1315, and of Elnaggar et al. 2022, ProtTrans). A separate model rather
    than an option of ``residue_tagger``: the tagger's BiLSTM would repeat the context
    the recurrent UniRep states already carry.

    Raises
    ------
    ConfigError
        If ``io.per_position`` is false.
    """
    if not io.per_position:
        raise ConfigError(
            "model 'residue_embedding' gives per-position outputs: set per_position: true"
        )
    trunk = ResidueEmbeddingTrunk(
        io.n_channels, hidden=params.hidden, width=params.width, dropout=params.dropout
    )
    return SequenceModel(trunk, nn.Conv1d(params.hidden, io.n_outputs, 1), strands="single")


LIGHT_ATTENTION = register_model(
    ModelSpec(
        name="light_attention",
        summary="light attention: value and attention convs of width 9 over per-residue "
        "embeddings (unirep), masked softmax + max pooling, dense 32 (per protein)",
        citation="Stärk et al. 2021, Bioinformatics Advances 1:vbab035, "
        "doi:10.1093/bioadv/vbab035 (UniRep input instead of ProtT5)",
        params=LightAttentionParams,
        space=space(
            hidden={"type": "int", "low": 16, "high": 128, "log": True},
            conv_dropout={"type": "float", "low": 0.0, "high": 0.5},
            dropout={"type": "float", "low": 0.0, "high": 0.5},
        ),
        build=light_attention,
        alphabets=("protein",),
    )
)

RESIDUE_EMBEDDING = register_model(
    ModelSpec(
        name="residue_embedding",
        summary="per-residue head on per-residue embeddings (unirep): conv 64 (width 1), "
        "ReLU, linear per position",
        citation="not published; per-residue probe of protein language-model embeddings "
        "(Alley et al. 2019, Nat Methods 16:1315, doi:10.1038/s41592-019-0598-1)",
        params=ResidueEmbeddingParams,
        space=space(
            hidden={"type": "int", "low": 16, "high": 256, "log": True},
            width={"type": "int", "low": 1, "high": 9},
            dropout={"type": "float", "low": 0.0, "high": 0.5},
        ),
        build=residue_embedding,
        alphabets=("protein",),
        per_position=True,
    )
)
