"""A Basenji-style dilated residual network (Kelley et al. 2018)."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.blocks import (
    Activation,
    ConvBlock,
    ConvLayer,
    ConvStack,
    DilatedResidualBlock,
    dilation_schedule,
    make_activation,
    receptive_field,
)
from biodl.models.layers import DenseHead, GlobalPool, SequenceModel
from biodl.models.locality import Link
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["DilatedResNetParams", "DilatedResNetTrunk", "ProfileHead", "dilated_resnet"]


class DilatedResNetParams(BaseModel):
    """Hyper-parameters of :func:`dilated_resnet`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    n_filters: int = Field(default=128, ge=1)
    stem: Literal["single", "tower"] = "single"
    stem_width: int = Field(default=15, ge=1)
    bin_size: int = Field(default=8, ge=1)
    n_blocks: int = Field(default=6, ge=0)
    kernel_size: int = Field(default=3, ge=1)
    dilation_rate: float = Field(default=2.0, ge=1.0)
    activation: Activation = "gelu"
    dropout: float = Field(default=0.2, ge=0.0, lt=1.0)
    head: Literal["pooled", "profile"] = "pooled"
    pooling: Literal["max", "avg", "max_avg"] = "max"
    strands: Literal["single", "max", "mean"] = "single"


#: width of the convolutions of the ``stem: tower`` blocks after the first (Basenji's 5)
TOWER_WIDTH = 5


def _tower_layers(n_filters: int, stem_width: int, bin_size: int) -> list[ConvLayer]:
    """The layers of a ``stem: tower``: ``log2(bin_size)`` poolings of width 2.

    The stem convolution pools by 2 (not at all for ``bin_size`` 1), then each further
    convolution of width :data:`TOWER_WIDTH` pools by 2 until the product is
    ``bin_size`` (a power of two).

    Examples
    --------
    >>> [(layer.width, layer.pool) for layer in _tower_layers(8, 15, 8)]
    [(15, 2), (5, 2), (5, 2)]
    >>> [(layer.width, layer.pool) for layer in _tower_layers(8, 15, 1)]
    [(15, 1)]
    """
    n_pools = bin_size.bit_length() - 1
    first = ConvLayer(n_filters, stem_width, pool=2 if n_pools else 1)
    return [first, *(ConvLayer(n_filters, TOWER_WIDTH, pool=2) for _ in range(n_pools - 1))]


class DilatedResNetTrunk(nn.Module):
    """Stem convolution(s) and pooling into bins, then a tower of dilated residual blocks.

    ``(N, C, L)`` to per-bin features ``(N, n_filters, n_bins)``.

    Parameters
    ----------
    n_channels, input_length
        ``C`` and ``L`` of the input.
    n_filters
        Channels of the stem and of the tower.
    stem_width
        Width of the stem convolution ('same' zero padding).
    bin_size
        Positions per bin: one bin per ``bin_size`` positions (pooling capped at the
        length, so at least one bin remains).
    stem
        ``"single"``: one stem convolution (batch norm, activation) and one max-pooling
        of width and stride ``bin_size``. ``"tower"`` (``bin_size`` a power of two): a
        Basenji conv tower, the stem convolution then convolutions of width 5, each
        with batch norm, activation and a max-pooling of 2, ``log2(bin_size)`` poolings
        in all (:class:`~biodl.models.blocks.ConvStack`, ``n_filters`` channels
        throughout).
    n_blocks
        Residual blocks; block ``i`` has dilation ``round(dilation_rate ** i)``.
    kernel_size, dilation_rate, activation, dropout
        Of the residual blocks (:class:`~biodl.models.blocks.DilatedResidualBlock`, with
        ``n_filters // 2`` inner filters).

    Attributes
    ----------
    dilations
        Dilation of each residual block.
    out_channels, output_length
        ``n_filters`` and ``n_bins = L // bin_size``.
    """

    def __init__(
        self,
        n_channels: int,
        input_length: int,
        *,
        n_filters: int,
        stem_width: int,
        bin_size: int,
        n_blocks: int,
        kernel_size: int,
        dilation_rate: float,
        activation: Activation,
        dropout: float,
        stem: Literal["single", "tower"] = "single",
    ) -> None:
        super().__init__()
        self.stem: ConvBlock | ConvStack
        if stem == "tower":
            if bin_size & (bin_size - 1):
                msg = f"a conv tower pools by 2: bin_size must be a power of two, not {bin_size}"
                raise ValueError(msg)
            self.stem = ConvStack(
                n_channels,
                input_length,
                _tower_layers(n_filters, stem_width, bin_size),
                batch_norm=True,
                activation=activation,
                padding="same",
            )
        else:
            self.stem = ConvBlock(
                n_channels,
                n_filters,
                kernel_size=stem_width,
                input_length=input_length,
                padding="same",
                pool_width=bin_size,
                batch_norm=True,
                activation=activation,
            )
        self.dilations = dilation_schedule(n_blocks, dilation_rate)
        self.tower = nn.Sequential(
            *(
                DilatedResidualBlock(
                    n_filters,
                    dilation=d,
                    kernel_size=kernel_size,
                    inner_channels=max(1, n_filters // 2),
                    activation=activation,
                    dropout=dropout,
                )
                for d in self.dilations
            )
        )
        self.act = make_activation(activation)
        self.out_channels = n_filters
        self.output_length = self.stem.output_length

    @property
    def receptive_field(self) -> int:
        """Input positions that can change the features of one bin (away from the ends).

        Computed from the layers: with ``stem: single``, ``stem_width + (b - 1) + b *
        (kernel_size - 1) * sum(dilations)`` with ``b`` the pooling width
        (:func:`biodl.models.blocks.receptive_field`).
        """
        return receptive_field(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.tower(self.stem(x)))

    def forward_chain(self) -> list[Link]:
        """Stem, residual blocks, activation (:mod:`biodl.models.locality`)."""
        return [self.stem, self.tower, self.act]


class ProfileHead(nn.Module):
    """Per-bin read-out: ``(N, F, n_bins)`` to ``(N, n_outputs, n_bins)`` (a width-1 conv)."""

    def __init__(self, in_channels: int, n_outputs: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, n_outputs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)

    def forward_chain(self) -> list[Link]:
        """The width-1 convolution (:mod:`biodl.models.locality`)."""
        return [self.conv]


def dilated_resnet(params: DilatedResNetParams, io: ModelIO) -> SequenceModel:
    """A Basenji-style network: stem, dilated residual tower, pooled or per-bin head.

    Kelley D.R., Reshef Y.A., Bileschi M., Belanger D., McLean C.Y., Snoek J. (2018)
    Sequential regulatory activity prediction across chromosomes with convolutional
    neural networks. *Genome Research* 28:739-750. doi:10.1101/gr.227819.117

    Architecture (input ``(N, C, L)`` one-hot; defaults in brackets):

    1. stem: convolution of ``n_filters`` [128] filters of width ``stem_width`` [15]
       ('same' zero padding), batch norm, activation, max-pooling of width and stride
       ``bin_size`` [8] into ``n_bins = L // bin_size`` bins. ``stem: tower`` (for long
       inputs and coarse bins, e.g. 131,072 bp in 128-bp bins) pools gradually as
       Basenji's conv tower does: the stem convolution and max-pooling of 2, then
       ``log2(bin_size) - 1`` blocks of a width-5 convolution ('same', ``n_filters``
       filters), batch norm, activation and max-pooling of 2; ``bin_size`` must be a
       power of two. Either way there are ``L // bin_size`` bins (at least one);
    2. ``n_blocks`` [6] pre-activation residual blocks (activation, dilated convolution
       of width ``kernel_size`` [3] with ``n_filters // 2`` filters, batch norm,
       activation, width-1 convolution back to ``n_filters``, batch norm, dropout
       ``dropout`` [0.2], added to the block input); block ``i`` has dilation
       ``round(dilation_rate ** i)`` ([2]: 1, 2, 4, 8, 16, 32), so the receptive field
       grows geometrically: ``model.trunk.receptive_field`` is 1,030 bp at the defaults;
    3. a final activation (``activation`` [gelu] or relu); the trunk returns per-bin
       features ``(N, n_filters, n_bins)``;
    4. ``head: pooled`` [default]: global ``pooling`` [max] over bins (``max_avg``
       concatenates max and mean) and a linear layer: logits ``(N, n_outputs)``.
       ``head: profile``: a width-1 convolution per bin: ``(N, n_outputs, n_bins)``,
       for per-position tasks (``per_position: true`` with ``task: regression``, e.g.
       ``n_outputs`` coverage tracks binned at ``bin_size`` with ``train.loss:
       poisson`` as in Basenji, or ``multilabel``). There is no final activation: with
       a Poisson loss the outputs are log rates (the rate of a bin is ``exp`` of its
       output); the bins cover the first ``n_bins * bin_size`` positions;
    5. ``strands: mean``/``max`` (pooled head only) also score the reverse complement
       and combine the logits.

    Differences from the original (Basenji, and Basenji2 of Kelley 2020 whose
    residual block this uses):

    * Scale: Basenji takes 131,072 bp and predicts 4,229 coverage tracks in 128-bp bins
      with a Poisson loss; the defaults are sized for 101-1,000+ bp inputs (one stem
      layer and ``bin_size`` 8) and, with the pooled head, for binary classification.
      ``stem: tower`` with ``bin_size: 128`` gives Basenji's gradual pooling to 128-bp
      bins, with ``n_filters`` channels in every tower layer (Basenji grows them
      layer by layer, e.g. 288 to 768 in Basenji2) and its batch norm after each
      convolution rather than before it.
    * Tower: Basenji connected its dilated layers densely (each layer's output
      concatenated to its input and passed on to the prediction layer); this uses
      additive pre-activation residual blocks with a width-1 projection and a
      zero-initialised last batch-norm scale, as Basenji2 does. Dilations grow by
      ``dilation_rate`` per block (Basenji: 2; Basenji2: 1.5).
    * Input length: the stem convolution keeps the length ('same' padding) and the stem
      pooling is capped at the input length, so at least one bin remains; positions
      past the last full bin (``L mod bin_size``) are dropped by the pooling, and the
      profile head's bins cover the first ``n_bins * bin_size`` positions. The dilated
      convolutions are zero-padded ('same'), so any ``L`` works (Basenji2 also crops
      the bins nearest the ends of its long inputs; nothing is cropped here).
    * No cropping, no final wide convolution, no softplus output; no shift or
      reverse-complement augmentation; Adam(W) instead of Basenji's optimiser settings.
    * ``strands: mean``/``max`` are refused with the profile head (the reverse strand's
      bins would have to be flipped back before combining).

    Raises
    ------
    ConfigError
        If ``head: profile`` is combined with ``strands`` other than ``single``, or
        ``stem: tower`` with a ``bin_size`` that is not a power of two.
    """
    if io.per_position != (params.head == "profile"):
        raise ConfigError(
            "per-position outputs need model.head: profile"
            if io.per_position
            else "model.head: profile gives per-position outputs: set per_position: true"
        )
    if params.head == "profile" and params.strands != "single":
        raise ConfigError(
            f"model.head: profile needs model.strands: single (got {params.strands!r})"
        )
    if params.stem == "tower" and params.bin_size & (params.bin_size - 1):
        raise ConfigError(
            "model.stem: tower pools by 2 per layer: model.bin_size must be a power of two "
            f"(got {params.bin_size})"
        )
    trunk = DilatedResNetTrunk(
        io.n_channels,
        io.input_length,
        n_filters=params.n_filters,
        stem_width=params.stem_width,
        bin_size=params.bin_size,
        n_blocks=params.n_blocks,
        kernel_size=params.kernel_size,
        dilation_rate=params.dilation_rate,
        activation=params.activation,
        dropout=params.dropout,
        stem=params.stem,
    )
    head: nn.Module
    if params.head == "profile":
        head = ProfileHead(trunk.out_channels, io.n_outputs)
    else:
        pool = GlobalPool(params.pooling)
        head = nn.Sequential(pool, DenseHead(trunk.out_channels * pool.expansion(), io.n_outputs))
    return SequenceModel(trunk, head, strands=params.strands)


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    n_filters={"type": "int", "low": 32, "high": 256, "log": True},
    n_blocks={"type": "int", "low": 2, "high": 10},
    kernel_size={"type": "categorical", "choices": [3, 5]},
    dropout={"type": "float", "low": 0.0, "high": 0.4},
)

DILATED_RESNET = register_model(
    ModelSpec(
        name="dilated_resnet",
        summary="Basenji-style: stem conv (or conv tower) + pooling into bins, residual "
        "dilated conv tower (dilation x2 per block), pooled or per-bin profile head",
        citation="Kelley et al. 2018, Genome Res 28:739, doi:10.1101/gr.227819.117",
        params=DilatedResNetParams,
        space=SEARCH_SPACE,
        build=dilated_resnet,
        per_position=True,
    )
)
