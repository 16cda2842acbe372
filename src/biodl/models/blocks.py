"""Layers shared by the zoo's convolutional architectures.

Every trunk built from these blocks maps one-hot input ``(N, C, L)`` to positional
features ``(N, F, L')`` and knows ``out_channels`` (``F``) and ``output_length`` (``L'``)
from the input length it was built for, so a dense head gets its input size
analytically, never from a hard-coded sequence length.

Length rule (:class:`ConvBlock` with ``padding="valid"``): the papers' layers are used
unchanged whenever the input is long enough. When a layer would shrink the sequence
below one position, it adapts minimally instead of failing:

* a convolution whose input is shorter than its kernel is zero-padded (all-zero
  columns, i.e. ``N``) on both ends up to the kernel width, so one position remains;
* a max-pooling window wider than its input is capped at the input length, so one
  position remains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from biodl.models.locality import Link, Residual

__all__ = [
    "Activation",
    "ConvBlock",
    "ConvLayer",
    "ConvStack",
    "DilatedResidualBlock",
    "FlattenDenseHead",
    "dilation_schedule",
    "make_activation",
    "receptive_field",
]

Activation = Literal["relu", "gelu"]
"""Non-linearity of a block: ``"relu"`` or ``"gelu"``."""


def make_activation(name: Activation) -> nn.Module:
    """A fresh ``nn.ReLU`` or ``nn.GELU``."""
    return nn.GELU() if name == "gelu" else nn.ReLU()


def _first(value: int | tuple[int, ...]) -> int:
    return value if isinstance(value, int) else value[0]


def receptive_field(module: nn.Module) -> int:
    """Input positions seen by one output position of a chain of 1-D convolutions and pools.

    Walks ``module``'s ``Conv1d``, ``MaxPool1d`` and ``AvgPool1d`` sub-modules in
    registration order with the usual recurrence (``field += (k - 1) * dilation * jump``;
    ``jump *= stride``). This is exact when registration order is the order along the
    longest path through the network, as in :class:`ConvStack` and a tower of
    :class:`DilatedResidualBlock` (a residual connection adds no positions). Zero
    padding at the sequence ends is not counted: the value is for positions away from
    the ends.

    Parameters
    ----------
    module
        A trunk built from the layers above.

    Returns
    -------
    int
        Number of input positions that can change one output position.
    """
    field, jump = 1, 1
    for layer in module.modules():
        if isinstance(layer, nn.Conv1d):
            kernel, dilation, stride = layer.kernel_size[0], layer.dilation[0], layer.stride[0]
        elif isinstance(layer, nn.MaxPool1d):
            kernel, dilation = _first(layer.kernel_size), _first(layer.dilation)
            stride = _first(layer.stride)
        elif isinstance(layer, nn.AvgPool1d):
            kernel, dilation, stride = _first(layer.kernel_size), 1, _first(layer.stride)
        else:
            continue
        field += (kernel - 1) * dilation * jump
        jump *= stride
    return field


class ConvBlock(nn.Module):
    """Convolution, optional batch norm, activation, optional max-pooling and dropout.

    ``(N, C_in, L)`` to ``(N, C_out, L')`` for one input length ``L``, fixed when the
    block is built.

    Parameters
    ----------
    in_channels, out_channels
        Channels in and out (``out_channels`` filters).
    kernel_size
        Filter width.
    input_length
        ``L``, the length this block will be given.
    padding
        ``"valid"``: no padding (as in DeepSEA, Basset and DanQ), except that an input
        shorter than the kernel is zero-padded up to the kernel width (see the module
        docstring). ``"same"``: ``kernel_size - 1`` zero columns, the extra one on the
        right for even kernels, so the convolution keeps the length.
    pool_width
        Max-pooling width and stride (floor: a ragged last window is dropped); capped at
        the convolution's output length. 1 for no pooling.
    batch_norm
        Batch normalisation between the convolution and the activation (Basset).
    activation
        ``"relu"`` or ``"gelu"``.
    dropout
        Dropout probability after pooling; 0 for none.

    Attributes
    ----------
    padding
        ``(left, right)`` zero columns added before the convolution.
    pool_width
        The pooling width used (after capping).
    output_length
        ``L'``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        kernel_size: int,
        input_length: int,
        padding: Literal["valid", "same"] = "valid",
        pool_width: int = 1,
        batch_norm: bool = False,
        activation: Activation = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if input_length < 1 or kernel_size < 1 or pool_width < 1:
            msg = (
                "input_length, kernel_size and pool_width must be at least 1, not "
                f"{input_length}, {kernel_size}, {pool_width}"
            )
            raise ValueError(msg)
        total = kernel_size - 1 if padding == "same" else max(kernel_size - input_length, 0)
        self.padding = (total // 2, total - total // 2)
        conv_length = input_length + total - kernel_size + 1
        self.input_length = input_length
        self.pool_width = min(pool_width, conv_length)
        self.output_length = conv_length // self.pool_width
        self.out_channels = out_channels
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size)
        self.norm: nn.Module = nn.BatchNorm1d(out_channels) if batch_norm else nn.Identity()
        self.act = make_activation(activation)
        self.pool: nn.Module = (
            nn.MaxPool1d(self.pool_width) if self.pool_width > 1 else nn.Identity()
        )
        self.dropout: nn.Module = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding != (0, 0):
            x = F.pad(x, self.padding)
        return self.dropout(self.pool(self.act(self.norm(self.conv(x)))))

    def forward_chain(self) -> list[Link]:
        """Padding, convolution, norm, activation, pooling, dropout.

        See :mod:`biodl.models.locality`.
        """
        pad: list[Link] = [nn.ConstantPad1d(self.padding, 0.0)] if self.padding != (0, 0) else []
        return [*pad, self.conv, self.norm, self.act, self.pool, self.dropout]

    def extra_repr(self) -> str:
        return (
            f"input_length={self.input_length}, padding={self.padding}, "
            f"output_length={self.output_length}"
        )


@dataclass(frozen=True)
class ConvLayer:
    """One layer of a :class:`ConvStack`: ``filters`` of width ``width``, then pooling."""

    filters: int
    width: int
    pool: int = 1
    dropout: float = 0.0


class ConvStack(nn.Module):
    """A chain of :class:`ConvBlock`: ``(N, C, L)`` to ``(N, F, L')``.

    Parameters
    ----------
    in_channels
        ``C``.
    input_length
        ``L``.
    layers
        The layers, first to last.
    batch_norm, activation, padding
        As in :class:`ConvBlock`, for every layer.

    Attributes
    ----------
    out_channels
        ``F``, the last layer's filters.
    output_length
        ``L'``, computed layer by layer from ``input_length``.
    """

    def __init__(
        self,
        in_channels: int,
        input_length: int,
        layers: Sequence[ConvLayer],
        *,
        batch_norm: bool = False,
        activation: Activation = "relu",
        padding: Literal["valid", "same"] = "valid",
    ) -> None:
        super().__init__()
        if not layers:
            msg = "a ConvStack needs at least one layer"
            raise ValueError(msg)
        blocks: list[ConvBlock] = []
        channels, length = in_channels, input_length
        for layer in layers:
            block = ConvBlock(
                channels,
                layer.filters,
                kernel_size=layer.width,
                input_length=length,
                padding=padding,
                pool_width=layer.pool,
                batch_norm=batch_norm,
                activation=activation,
                dropout=layer.dropout,
            )
            blocks.append(block)
            channels, length = layer.filters, block.output_length
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = channels
        self.output_length = length

    @property
    def out_features(self) -> int:
        """``F * L'``: the size of the flattened output."""
        return self.out_channels * self.output_length

    @property
    def receptive_field(self) -> int:
        """Input positions seen by one output position (see :func:`receptive_field`)."""
        return receptive_field(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)

    def forward_chain(self) -> list[Link]:
        """The blocks in order (:mod:`biodl.models.locality`)."""
        return [self.blocks]


class FlattenDenseHead(nn.Module):
    """Flatten ``(N, F, L')`` and apply dense layers: logits ``(N, n_outputs)``.

    Each hidden layer is ``Linear``, optional ``BatchNorm1d``, ``ReLU``, optional
    ``Dropout``; a final ``Linear`` gives the logits.

    Parameters
    ----------
    in_features
        ``F * L'`` (a trunk's ``out_channels * output_length``).
    n_outputs
        Number of logits.
    hidden
        Units of each hidden layer; empty for a linear read-out.
    batch_norm
        Batch normalisation after each hidden ``Linear`` (Basset).
    dropout
        Dropout after each hidden activation; 0 for none.
    """

    def __init__(
        self,
        in_features: int,
        n_outputs: int,
        *,
        hidden: Sequence[int] = (),
        batch_norm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for units in hidden:
            layers.append(nn.Linear(width, units))
            if batch_norm:
                layers.append(nn.BatchNorm1d(units))
            layers.append(nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = units
        layers.append(nn.Linear(width, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def forward_chain(self) -> list[Link]:
        """Flatten and the dense layers (:mod:`biodl.models.locality`)."""
        return [self.net]


def dilation_schedule(n_blocks: int, rate: float) -> tuple[int, ...]:
    """Dilations of ``n_blocks`` blocks growing geometrically from 1 by ``rate``.

    Block ``i`` gets ``rate ** i`` rounded to the nearest integer (half to even, as
    Basenji's ``int(np.round(...))``).

    Examples
    --------
    >>> dilation_schedule(5, 2.0)
    (1, 2, 4, 8, 16)
    >>> dilation_schedule(6, 1.5)
    (1, 2, 2, 3, 5, 8)
    """
    return tuple(round(rate**i) for i in range(n_blocks))


class DilatedResidualBlock(nn.Module):
    """A Basenji2-style pre-activation residual block of one dilated convolution.

    ``x + Dropout(BN(Conv1x1(act(BN(DilatedConv(act(x)))))))``; the length and the
    channels are kept (the dilated convolution is zero-padded, ``same``). The last batch
    norm's scale starts at 0, so a new block starts as the identity (as in Basenji2).

    Parameters
    ----------
    channels
        Channels in and out.
    dilation
        Dilation of the convolution.
    kernel_size
        Its width.
    inner_channels
        Filters of the dilated convolution (Basenji2: half of ``channels``).
    activation
        ``"gelu"`` (Basenji2) or ``"relu"``.
    dropout
        Dropout on the residual branch; 0 for none.
    """

    def __init__(
        self,
        channels: int,
        *,
        dilation: int,
        kernel_size: int = 3,
        inner_channels: int | None = None,
        activation: Activation = "gelu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        inner = channels if inner_channels is None else inner_channels
        total = (kernel_size - 1) * dilation
        self.padding = (total // 2, total - total // 2)
        self.act1 = make_activation(activation)
        self.conv = nn.Conv1d(channels, inner, kernel_size, dilation=dilation, bias=False)
        self.norm1 = nn.BatchNorm1d(inner)
        self.act2 = make_activation(activation)
        self.project = nn.Conv1d(inner, channels, 1, bias=False)
        self.norm2 = nn.BatchNorm1d(channels)
        nn.init.zeros_(self.norm2.weight)
        self.dropout: nn.Module = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(F.pad(self.act1(x), self.padding))
        y = self.project(self.act2(self.norm1(y)))
        return x + self.dropout(self.norm2(y))

    def forward_chain(self) -> list[Link]:
        """One residual branch (:mod:`biodl.models.locality`)."""
        branch: tuple[Link, ...] = (
            self.act1,
            nn.ConstantPad1d(self.padding, 0.0),
            self.conv,
            self.norm1,
            self.act2,
            self.project,
            self.norm2,
            self.dropout,
        )
        return [Residual(branch)]
