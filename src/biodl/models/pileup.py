"""A zoo model for variant calling from read pileups (DeepVariant-style genotyping).

Pileup input
------------
Each candidate variant is a float32 image ``(6, H, W)`` with values in [0, 1]:

* channels, in this order: base, base quality, mapping quality, strand,
  supports-candidate, differs-from-reference (:data:`PILEUP_CHANNELS`);
* ``H`` rows (default 100): the first 5 are the reference, the rest one read each;
* ``W`` columns (default 61): the candidate is at column ``W // 2``.

In the pipeline a batch arrives flattened as ``(N, 6, H * W)`` (row-major: position
``l = h * W + w``), with ``ModelIO.alphabet == "pileup"``, ``ModelIO.input_length ==
H * W`` and ``ModelIO.layout`` naming ``("pileup_height", H)`` and
``("pileup_width", W)``; the model reshapes it back to ``(N, 6, H, W)``. The output is
one logit per genotype class, ``(N, 3)`` for hom-ref, het, hom-alt (any
``n_outputs`` is accepted, e.g. 1 for a variant / no-variant filter).

The model is not registered in the zoo (no data source feeds it yet): build it with
:func:`pileup_cnn`, or register :data:`PILEUP_CNN` yourself.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.layers import DenseHead, SequenceModel
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = [
    "PILEUP_ALPHABET",
    "PILEUP_CHANNELS",
    "PILEUP_CNN",
    "PILEUP_MODELS",
    "PileupCNNParams",
    "PileupCNNTrunk",
    "PileupLayout",
    "pileup_cnn",
    "pileup_io",
]

PILEUP_ALPHABET = "pileup"
"""``ModelIO.alphabet`` of pileup input."""

PILEUP_CHANNELS: tuple[str, ...] = (
    "base",
    "base_quality",
    "mapping_quality",
    "strand",
    "supports_candidate",
    "differs_from_reference",
)
"""The 6 channels of a pileup, in order."""

DEFAULT_HEIGHT = 100
"""Rows of a pileup (5 reference rows and 95 reads), as DeepVariant."""

DEFAULT_WIDTH = 61
"""Columns of a pileup, the candidate at ``W // 2`` (DeepVariant: 221)."""


@dataclass(frozen=True)
class PileupLayout:
    """The size ``(H, W)`` of a pileup image."""

    height: int
    width: int

    @property
    def length(self) -> int:
        """``L = H * W`` of the flattened input."""
        return self.height * self.width

    @property
    def center(self) -> int:
        """The candidate's column ``W // 2``."""
        return self.width // 2

    @classmethod
    def from_io(cls, io: ModelIO, model: str) -> PileupLayout:
        """The layout named in ``io.layout``, checked against ``io``.

        Raises
        ------
        ConfigError
            If the alphabet is not ``pileup``, the channels are not 6, the layout does not
            name ``pileup_height`` and ``pileup_width``, ``H * W`` is not
            ``io.input_length``, a side is below 1, or per-position output is asked for.
        """
        if io.alphabet != PILEUP_ALPHABET:
            raise ConfigError(f"model '{model}' is for pileup input, not {io.alphabet}")
        if io.per_position:
            raise ConfigError(
                f"model '{model}' gives one output per candidate variant "
                "(per_position is not supported)"
            )
        if io.n_channels != len(PILEUP_CHANNELS):
            raise ConfigError(
                f"model '{model}': a pileup has {len(PILEUP_CHANNELS)} channels "
                f"({', '.join(PILEUP_CHANNELS)}), not {io.n_channels}"
            )
        height, width = io.get("pileup_height"), io.get("pileup_width")
        if height is None or width is None:
            raise ConfigError(
                f"model '{model}' reads flattened pileups: the input layout must name "
                f"pileup_height and pileup_width (got {dict(io.layout)})"
            )
        if height < 1 or width < 1:
            raise ConfigError(f"model '{model}': a pileup cannot be {height} x {width}")
        layout = cls(height, width)
        if layout.length != io.input_length:
            raise ConfigError(
                f"model '{model}': a pileup of {height} x {width} flattens to "
                f"{layout.length} positions, not input_length {io.input_length}"
            )
        return layout


def pileup_io(
    height: int = DEFAULT_HEIGHT, width: int = DEFAULT_WIDTH, n_outputs: int = 3
) -> ModelIO:
    """The :class:`ModelIO` of ``H x W`` pileups with ``n_outputs`` logits.

    Examples
    --------
    >>> io = pileup_io()
    >>> io.n_channels, io.input_length, io.get("pileup_width"), io.alphabet
    (6, 6100, 61, 'pileup')
    """
    return ModelIO(
        len(PILEUP_CHANNELS),
        height * width,
        n_outputs,
        alphabet=PILEUP_ALPHABET,
        layout=(("pileup_height", height), ("pileup_width", width)),
    )


class PileupCNNParams(BaseModel):
    """Hyper-parameters of :func:`pileup_cnn` (defaults: a small CPU network)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    width: int = Field(default=16, ge=1, le=256)
    stages: int = Field(default=4, ge=1, le=6)
    blocks: int = Field(default=1, ge=1, le=4)
    center_column: bool = True
    hidden: int = Field(default=64, ge=0)
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)


class _ResidualBlock(nn.Module):
    """``ReLU(BN(conv3x3(ReLU(BN(conv3x3(x))))) + shortcut(x))`` (He et al.'s basic block);
    the first convolution has stride ``stride``, the shortcut is a 1x1 convolution with
    batch norm when the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        self.act2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act1(self.bn1(self.conv1(x)))
        return self.act2(self.bn2(self.conv2(h)) + self.shortcut(x))


class PileupCNNTrunk(nn.Module):
    """Flattened pileups ``(N, 6, H * W)`` to features ``(N, out_features)``.

    Reshape to ``(N, 6, H, W)``; stem: 3x3 convolution of ``width`` channels with stride
    2, batch norm, ReLU; ``stages`` stages of ``blocks`` residual blocks, stage ``s``
    with ``width * 2**s`` channels, every stage after the first halving both sides with
    a stride-2 first convolution; then the global average of the last feature map, and
    (``center_column``) the average over rows of its column above the candidate.
    """

    def __init__(self, layout: PileupLayout, params: PileupCNNParams) -> None:
        super().__init__()
        self.layout = layout
        self.in_channels = len(PILEUP_CHANNELS)
        width = params.width
        self.stem = nn.Sequential(
            nn.Conv2d(self.in_channels, width, 3, 2, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
        blocks: list[nn.Module] = []
        channels = width
        column = layout.center // 2  # after the stride-2 stem
        for stage in range(params.stages):
            out = width * 2**stage
            for index in range(params.blocks):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(_ResidualBlock(channels, out, stride))
                channels = out
                if stride == 2:  # 3x3, padding 1: input column c is centred on c // 2
                    column //= 2
        self.blocks = nn.Sequential(*blocks)
        self.center_column = params.center_column
        self.column = column
        self.channels = channels
        self.out_features = 2 * channels if params.center_column else channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = self.layout.height, self.layout.width
        if x.ndim != 3 or x.shape[1] != self.in_channels or x.shape[2] != height * width:
            msg = (
                f"a batch of {height} x {width} pileups is (N, {self.in_channels}, "
                f"{height * width}), not {tuple(x.shape)}"
            )
            raise ValueError(msg)
        x = x if x.dtype.is_floating_point else x.float()
        h = self.blocks(self.stem(x.reshape(-1, self.in_channels, height, width)))
        pooled = h.mean(dim=(2, 3))
        if not self.center_column:
            return pooled
        return torch.cat([pooled, h[:, :, :, self.column].mean(dim=2)], dim=1)

    def extra_repr(self) -> str:
        return f"H={self.layout.height}, W={self.layout.width}"


def pileup_cnn(params: PileupCNNParams, io: ModelIO) -> SequenceModel:
    """A small residual 2-D CNN that genotypes a candidate variant from its read pileup.

    After DeepVariant: Poplin R., Chang P.-C., Alexander D., Schwartz S., Colthurst T.,
    Ku A., Newburger D., Dijamco J., Nguyen N., Afshar P.T., Gross S.S., Dorfman L.,
    McLean C.Y., DePristo M.A. (2018) A universal SNP and small-indel variant caller using
    deep neural networks. *Nature Biotechnology* 36:983-987. doi:10.1038/nbt.4235

    Input and output: see the module docstring (``(N, 6, H * W)`` flattened pileups to
    ``(N, 3)`` genotype logits). Architecture (defaults in brackets; see
    :class:`PileupCNNTrunk`):

    1. stem: 3x3 convolution of ``width`` [16] channels with stride 2 (padding 1:
       100 x 61 -> 50 x 31), batch norm, ReLU;
    2. ``stages`` [4] stages of ``blocks`` [1] residual basic blocks (two 3x3
       convolutions with batch norm and ReLU, He et al. 2016), stage ``s`` with
       ``width * 2**s`` [16, 32, 64, 128] channels; every stage after the first starts
       with stride 2 (50 x 31 -> 25 x 16 -> 13 x 8 -> 7 x 4); the network is cheap where
       the maps are large and wide where they are small;
    3. global average pooling of the last feature map, and with ``center_column`` [on]
       also the average over rows of the column above the candidate (which keeps where
       the candidate is: global pooling alone cannot tell it from a neighbouring
       variant);
    4. dropout ``dropout`` [0.3], a hidden dense layer of ``hidden`` [64] ReLU units
       (0: none) with dropout again, and a linear layer to ``n_outputs`` logits (softmax
       in the loss and at prediction time).

    Residual blocks: He K., Zhang X., Ren S., Sun J. (2016) Deep residual learning for
    image recognition. *CVPR 2016*, doi:10.1109/CVPR.2016.90

    With the defaults the network has 324,611 parameters (1.3 MB in float32), whatever
    the pileup's size (global pooling), and scores 1,000 pileups of 100 x 61 in about
    1.2-2.3 s on one CPU thread (batches of 64-250, measured on a loaded machine).

    Differences from DeepVariant: DeepVariant classifies 100 x 221 pileups (221 columns)
    with Inception-v3 (about 23 M parameters) initialised from ImageNet weights and
    trained with RMSprop on the GIAB truth sets; biodl's network is a small residual CNN
    for 100 x 61 pileups on CPUs, trained from scratch with biodl's optimiser. The
    channels are the six of DeepVariant's original encoding (newer DeepVariant versions
    add channels, e.g. insert size or haplotype tags). Like DeepVariant's, the network
    is *not* invariant to the order of the read rows: convolutions see neighbouring
    rows, so shuffling the reads changes the output (global pooling over rows does not
    make up for it: on the synthetic pileups of the tests, shuffling the reads of a
    trained network changed the call of about 3% of the candidates). The pileup
    builder must therefore order the reads deterministically (DeepVariant sorts them by
    alignment start, or by haplotype), and training on shuffled copies is a possible
    augmentation.

    Raises
    ------
    ConfigError
        If ``io`` is not pileup input (see :meth:`PileupLayout.from_io`).
    """
    layout = PileupLayout.from_io(io, "pileup_cnn")
    trunk = PileupCNNTrunk(layout, params)
    head = DenseHead(trunk.out_features, io.n_outputs, hidden=params.hidden, dropout=params.dropout)
    return SequenceModel(trunk, head, strands="single")


#: the search space of ``biodl tune``
PILEUP_CNN_SPACE = space(
    width={"type": "int", "low": 8, "high": 64, "log": True},
    stages={"type": "int", "low": 2, "high": 4},
    blocks={"type": "int", "low": 1, "high": 2},
    center_column={"type": "categorical", "choices": [True, False]},
    hidden={"type": "categorical", "choices": [0, 32, 64, 128]},
    dropout={"type": "float", "low": 0.0, "high": 0.5},
)

PILEUP_CNN = register_model(
    ModelSpec(
        name="pileup_cnn",
        summary="small residual 2-D CNN genotyping candidate variants from read pileups "
        "(DeepVariant-style)",
        citation=(
            "DeepVariant, Poplin et al. 2018, Nat Biotechnol 36:983, doi:10.1038/nbt.4235 "
            "(biodl: a small residual CNN on 100x61 pileups from scratch, not Inception-v3 on "
            "100x221 with ImageNet initialisation)"
        ),
        params=PileupCNNParams,
        space=PILEUP_CNN_SPACE,
        build=pileup_cnn,
        alphabets=(PILEUP_ALPHABET,),
    )
)
"""The pileup CNN's zoo entry (``reads:`` data sources feed it)."""

#: The pileup models (``reads:`` data sources feed them).
PILEUP_MODELS: tuple[ModelSpec, ...] = (PILEUP_CNN,)
