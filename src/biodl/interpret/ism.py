"""In-silico saturation mutagenesis (ISM): the effect of every single substitution.

:func:`ism` scores each position ``l`` and letter ``c`` of one-hot sequences by
``f(x with l set to c) - f(x)`` for a model's raw output (logits). ``method="naive"``
runs every mutant through :func:`biodl.models.predict`. ``method="fast"`` uses the
locality of convolutions (fastISM: Nair et al. 2022, Bioinformatics 38:2397;
tangermeme's fast path): a substitution at ``l`` only changes the outputs of the leading
convolution, pooling and point-wise layers inside a window around ``l``, so the
reference activations are computed once and, for each mutant, only that window is
recomputed and carried forward; the rest of the network (dense layers after
flattening, recurrent layers, global pooling, attention) runs on the batch of spliced
activations.

How the fast path works
-----------------------
The model is read as a chain: a :class:`~biodl.models.layers.SequenceModel` is its
trunk then its head (both strands when ``strands`` is ``max``/``mean``), and the zoo's
blocks (:class:`~biodl.models.blocks.ConvStack`, ``ConvBlock``,
``DilatedResidualBlock``, the DeepBind, DanQ and dilated-ResNet trunks, the dense
heads) and plain ``nn.Sequential`` containers are expanded into their layers in
forward order. The leading run of locality-preserving layers is kept: ``Conv1d``
(zero or constant padding, any dilation and stride), ``MaxPool1d``/``AvgPool1d``
(no padding), point-wise activations, ``BatchNorm1d`` and ``Dropout`` (eval mode),
and residual blocks of these. Every mutant is a window of changed positions that
grows layer by layer by the exact receptive-field arithmetic (padding, dilation and
stride included, clipped at the sequence ends):

* a stride-1 convolution adds the convolution of the *change* of its input to the
  reference output, so its cost scales with the changed input positions only; for the
  first layer this is the rank-1 update ``W[:, c_new, k] - W[:, c_ref, k]``;
* other layers recompute their window from the reference input with the mutant's
  window spliced in, except a pooling layer fed by such a convolution (through
  point-wise layers): the convolution then computes exactly the region the pooling
  windows read, so nothing is spliced;
* a ``Flatten`` + ``Linear`` right after the local layers also takes the change only
  (the columns of the weight that the window touches);
* once a window would cover a layer's whole output (deep dilated towers), that layer
  and the ones after it run in full on the spliced activations.

The plan is checked before use: the reference output through it must equal the
model's own output to 1e-5, and a few mutants of the first sequence must equal their
full forward passes; otherwise :func:`ism` warns and falls back to the naive path.
Models whose first layer it does not recognise (the masked protein models: a
substitution of a padding column changes the mask) run naive without a warning. The
input must be one-hot, so packed inputs (``deepmir``, ``deepcpg``) are refused.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from biodl.models.blocks import (
    ConvBlock,
    ConvStack,
    DilatedResidualBlock,
    FlattenDenseHead,
)
from biodl.models.danq import DanQTrunk
from biodl.models.deepbind import DeepBindTrunk
from biodl.models.dilated_resnet import DilatedResNetTrunk, ProfileHead
from biodl.models.layers import DenseHead, SequenceModel, reverse_complement_tensor
from biodl.models.predict import _eval_on, default_device, predict

__all__ = ["DEFAULT_MEMORY_LIMIT", "ism"]

DEFAULT_MEMORY_LIMIT = 1 << 30
"""Bytes of working memory :func:`ism` aims to stay under when ``memory_limit`` is None."""

Tensor = torch.Tensor

_POINTWISE = (
    nn.ReLU,
    nn.GELU,
    nn.ELU,
    nn.LeakyReLU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Softplus,
    nn.Identity,
    nn.Dropout,
)


# --------------------------------------------------------------------------- windows


@dataclass
class _Window:
    """A batch of mutants: each changes positions ``[start, start + w)`` of one layer.

    ``seq`` (B,) indexes the sequence of the chunk, ``start`` (B,) the first changed
    position, ``values`` (B, C, w) the mutant's activations there.
    """

    seq: Tensor
    start: Tensor
    values: Tensor
    aligned: bool = False
    """True when ``values`` is exactly the input region of the next pooling layer."""


def _rows_t(ref_t: Tensor, seq: Tensor, start: Tensor, width: int) -> Tensor:
    """``ref[seq, :, start:start + width]`` as ``(B, width, C)`` from ``ref_t`` ``(N, L, C)``."""
    n, length, channels = ref_t.shape
    idx = (seq * length + start)[:, None] + torch.arange(width, device=start.device)
    return ref_t.reshape(n * length, channels)[idx.reshape(-1)].reshape(-1, width, channels)


def _rows(ref_t: Tensor, seq: Tensor, start: Tensor, width: int) -> Tensor:
    """As :func:`_rows_t`, channels first: ``(B, C, width)``."""
    return _rows_t(ref_t, seq, start, width).transpose(1, 2)


def _patch(base: Tensor, base_start: Tensor, win: _Window, offset: int = 0) -> Tensor:
    """``base`` ``(B, C, g)`` (positions from ``base_start``) with the window written in.

    The window's positions are shifted by ``offset`` (padding) first; parts of the window
    outside ``base`` are ignored.
    """
    width = win.values.shape[-1]
    g = base.shape[-1]
    rel = (base_start - win.start - offset)[:, None] + torch.arange(g, device=base.device)
    inside = (rel >= 0) & (rel < width)
    index = rel.clamp(0, width - 1)[:, None, :].expand(-1, base.shape[1], -1)
    return torch.where(inside[:, None, :], win.values.gather(2, index), base)


def _out_window(first: Tensor, width: int, length: int) -> Tensor:
    """Clamp the first changed output position so ``[start, start + width)`` fits."""
    return first.clamp(min=0).clamp(max=length - width)


# --------------------------------------------------------------------------- layers


class _Op:
    """One locality-preserving layer: a full reference pass and a windowed mutant pass."""

    def full(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def prepare(self, x: Tensor) -> tuple[Tensor, Any]:
        """Reference output and whatever :meth:`window` needs (per chunk of sequences)."""
        return self.full(x), None

    def width(self, w: int, length: int) -> int:
        """Changed output positions for ``w`` changed input positions (output length ``length``)."""
        return w

    def window(self, win: _Window, state: Any) -> _Window:
        raise NotImplementedError


class _Pointwise(_Op):
    def __init__(self, module: nn.Module) -> None:
        self.module = module

    def full(self, x: Tensor) -> Tensor:
        return self.module(x)

    def window(self, win: _Window, state: Any) -> _Window:
        return _Window(win.seq, win.start, self.module(win.values), win.aligned)


class _Sliding(_Op):
    """A sliding-window layer: padding, kernel, dilation, stride."""

    def __init__(
        self, *, kernel: int, dilation: int, stride: int, pad: tuple[int, int], value: float
    ) -> None:
        self.kernel, self.dilation, self.stride = kernel, dilation, stride
        self.pad, self.value = pad, value
        self.span = (kernel - 1) * dilation

    def apply(self, x: Tensor) -> Tensor:
        """The layer on already padded input."""
        raise NotImplementedError

    def padded(self, x: Tensor) -> Tensor:
        return F.pad(x, self.pad, value=self.value) if self.pad != (0, 0) else x

    def full(self, x: Tensor) -> Tensor:
        return self.apply(self.padded(x))

    def prepare(self, x: Tensor) -> tuple[Tensor, Any]:
        y = self.full(x)
        return y, (self.padded(x).transpose(1, 2).contiguous(), y.shape[-1])

    def width(self, w: int, length: int) -> int:
        return min((w - 1 + self.span) // self.stride + 1, length)

    def first_changed(self, start: Tensor) -> Tensor:
        """First output position a change at input ``start`` reaches (may be negative)."""
        return -torch.div(-(start + self.pad[0] - self.span), self.stride, rounding_mode="floor")

    def window(self, win: _Window, state: Any) -> _Window:
        if win.aligned:
            # the window is the region this (unpadded) layer reads: a convolution aligned it
            return _Window(win.seq, win.start // self.stride, self.apply(win.values))
        padded_t, length = state
        w_out = self.width(win.values.shape[-1], length)
        start = _out_window(self.first_changed(win.start), w_out, length)
        g = (w_out - 1) * self.stride + self.span + 1
        region = _rows(padded_t, win.seq, start * self.stride, g)
        region = _patch(region, start * self.stride, win, offset=self.pad[0])
        return _Window(win.seq, start, self.apply(region))


class _Conv(_Sliding):
    """``Conv1d`` after constant padding; stride 1 takes the change of its input only."""

    def __init__(self, conv: nn.Conv1d, pad: tuple[int, int], value: float = 0.0) -> None:
        own = conv.padding
        if isinstance(own, str):
            total = conv.dilation[0] * (conv.kernel_size[0] - 1) if own == "same" else 0
            own_pad = (total // 2, total - total // 2)
        else:
            own_pad = (own[0], own[0])
        if own_pad != (0, 0) and pad != (0, 0) and value != 0.0:
            msg = "constant padding followed by a padded convolution"
            raise _UnsupportedError(msg)
        super().__init__(
            kernel=conv.kernel_size[0],
            dilation=conv.dilation[0],
            stride=conv.stride[0],
            pad=(pad[0] + own_pad[0], pad[1] + own_pad[1]),
            value=value,
        )
        self.conv = conv
        self.pool: _Pool | None = None
        """The pooling layer this convolution feeds (through point-wise layers), if any:
        the mutant window is then the exact region that pooling reads (see :meth:`window`)."""
        self._taps: Tensor | None = None
        self._stacked: Tensor | None = None

    def apply(self, x: Tensor) -> Tensor:
        c = self.conv
        return F.conv1d(x, c.weight, c.bias, c.stride, 0, c.dilation)

    def taps(self) -> Tensor:
        """The weight as ``(K, C_in, C_out)``: one matrix per tap (made once)."""
        if self._taps is None:
            self._taps = self.conv.weight.detach().permute(2, 1, 0).contiguous()
        return self._taps

    def stacked(self) -> Tensor:
        """The taps in reverse order side by side, ``(C_in, K * C_out)`` (made once).

        A change of one input position ``d`` changes the ``K`` outputs that read it by
        ``d @ stacked``, in output order.
        """
        if self._stacked is None:
            taps = self.taps().flip(0)
            self._stacked = taps.transpose(0, 1).reshape(taps.shape[1], -1).contiguous()
        return self._stacked

    def region(self, start: Tensor, w_out: int, length: int) -> tuple[Tensor, int]:
        """First position and width of the output window to compute for each mutant.

        The changed outputs ``[start, start + w_out)``, or, when a pooling layer reads
        this output, exactly the input region of the pooling windows that cover them: the
        pooling layer then uses the window as it is, with no splicing into the reference.
        """
        pool = self.pool
        if pool is None:
            return start, w_out
        pool_length = (length - pool.span - 1) // pool.stride + 1
        w_pool = pool.width(w_out, pool_length)
        pool_start = _out_window(pool.first_changed(start), w_pool, pool_length)
        return pool_start * pool.stride, (w_pool - 1) * pool.stride + pool.span + 1

    def prepare(self, x: Tensor) -> tuple[Tensor, Any]:
        y, (padded_t, length) = super().prepare(x)
        if self.stride != 1:
            return y, (padded_t, length)
        return y, (padded_t, length, y.transpose(1, 2).contiguous())

    def window(self, win: _Window, state: Any) -> _Window:
        if self.stride != 1:
            return super().window(win, state)
        padded_t, length, out_t = state
        batch, channels, w_in = win.values.shape
        kernel, filters = self.kernel, out_t.shape[-1]
        w_out = self.width(w_in, length)
        # the output change is the convolution of the input change only: for each tap,
        # one matrix product over the changed positions added into place (position-major)
        delta = win.values.permute(2, 0, 1) - _rows_t(
            padded_t, win.seq, win.start + self.pad[0], w_in
        ).transpose(0, 1)
        delta = delta.reshape(w_in * batch, channels)
        if w_in == 1 and self.dilation == 1:
            # one changed position (the first layer): a rank-1 update per mutant, the
            # taps in reverse order are the changed outputs
            change = (delta @ self.stacked()).view(batch, kernel, filters)
        else:
            taps = self.taps()
            change = delta.new_zeros(w_in + self.span, batch, filters)
            for k in range(kernel):
                offset = (kernel - 1 - k) * self.dilation
                rows = change[offset : offset + w_in].view(w_in * batch, filters)
                rows.addmm_(delta, taps[k])
            change = change.transpose(0, 1)
        first = win.start + self.pad[0] - self.span
        start, width = self.region(_out_window(first, w_out, length), w_out, length)
        shift = start - first
        base = _rows_t(out_t, win.seq, start, width)
        aligned = self.pool is not None
        if change.shape[1] == width and bool((shift == 0).all()):
            return _Window(win.seq, start, (base + change).transpose(1, 2), aligned)
        # each mutant's change at its offset in the window (zero outside it), as row copies
        # from the change padded with as many zero positions as the offsets need
        n_change = change.shape[1]
        left = max(0, -int(shift.min()))
        right = max(0, int(shift.max()) + width - n_change)
        padded = F.pad(change, (0, 0, left, right)) if left or right else change
        n_rows = n_change + left + right
        rel = (shift[:, None] + torch.arange(width, device=shift.device) + left).clamp(
            0, n_rows - 1
        )
        index = rel + (torch.arange(batch, device=shift.device) * n_rows)[:, None]
        values = base + padded.reshape(batch * n_rows, filters)[index.view(-1)].view(
            batch, width, filters
        )
        return _Window(win.seq, start, values.transpose(1, 2), aligned)


class _Pool(_Sliding):
    def __init__(self, pool: nn.MaxPool1d | nn.AvgPool1d) -> None:
        kernel = _first(pool.kernel_size)
        stride = _first(pool.stride) if pool.stride else kernel
        dilation = _first(pool.dilation) if isinstance(pool, nn.MaxPool1d) else 1
        super().__init__(kernel=kernel, dilation=dilation, stride=stride, pad=(0, 0), value=0.0)
        self.pool = pool

    def apply(self, x: Tensor) -> Tensor:
        if isinstance(self.pool, nn.MaxPool1d):
            return F.max_pool1d(x, self.kernel, self.stride, 0, self.dilation)
        return F.avg_pool1d(x, self.kernel, self.stride)


class _Residual(_Op):
    """``x + branch(x)`` for a branch of local layers that keeps the length."""

    def __init__(self, branch: Sequence[_Op]) -> None:
        self.branch = list(branch)

    def full(self, x: Tensor) -> Tensor:
        y = x
        for op in self.branch:
            y = op.full(y)
        return x + y

    def prepare(self, x: Tensor) -> tuple[Tensor, Any]:
        states = []
        y = x
        for op in self.branch:
            y, state = op.prepare(y)
            states.append(state)
        if y.shape != x.shape:
            msg = "a residual branch that changes the shape"
            raise _UnsupportedError(msg)
        return x + y, (x.transpose(1, 2).contiguous(), states, x.shape[-1])

    def width(self, w: int, length: int) -> int:
        for op in self.branch:
            w = op.width(w, length)
        return w

    def window(self, win: _Window, state: Any) -> _Window:
        x_t, states, length = state
        out = win
        for op, st in zip(self.branch, states, strict=True):
            out = op.window(out, st)
        w = out.values.shape[-1]
        start = _out_window(out.start, w, length)
        if not bool((start == out.start).all()):  # pragma: no cover - same-length branches
            msg = "a residual branch whose window moved"
            raise _UnsupportedError(msg)
        base = _patch(_rows(x_t, win.seq, start, w), start, win)
        return _Window(win.seq, start, base + out.values)


class _LinearDelta:
    """``Linear(Flatten(x))`` from the reference output and the window's change only."""

    def __init__(self, linear: nn.Linear) -> None:
        self.linear = linear
        self._weight: Tensor | None = None

    def weight(self, channels: int, length: int) -> Tensor:
        """The weight as ``(L, C, H)``, so a window of positions is one slice (made once)."""
        if self._weight is None:
            hidden = self.linear.out_features
            weight = self.linear.weight.detach().reshape(hidden, channels, length)
            self._weight = weight.permute(2, 1, 0).contiguous()
        return self._weight

    def prepare(self, act: Tensor) -> tuple[Tensor, Any]:
        _, channels, length = act.shape
        if self.linear.in_features != channels * length:
            msg = "a Linear layer whose input is not the flattened activation"
            raise _UnsupportedError(msg)
        y = self.linear(act.flatten(1))
        return y, (act.transpose(1, 2).contiguous(), y, self.weight(channels, length))

    def window(self, win: _Window, state: Any) -> Tensor:
        act_t, y, weight = state
        w = win.values.shape[-1]
        delta = (win.values.transpose(1, 2) - _rows_t(act_t, win.seq, win.start, w)).contiguous()
        out = y[win.seq].clone()
        starts = win.start.tolist()
        # mutants are in position order: runs of one window start share a weight slice
        i = 0
        while i < len(starts):
            j = i
            while j < len(starts) and starts[j] == starts[i]:
                j += 1
            cols = weight[starts[i] : starts[i] + w].reshape(-1, weight.shape[-1])
            out[i:j] += delta[i:j].view(j - i, -1) @ cols
            i = j
        return out


class _UnsupportedError(Exception):
    """The model's structure is not one the fast path can follow."""


def _first(value: int | tuple[int, ...]) -> int:
    return value if isinstance(value, int) else value[0]


# --------------------------------------------------------------------------- planning


def _expand(module: nn.Module) -> list[Any] | None:
    """The forward pass of a known container as a sequence of layers, else None.

    Classes are matched exactly: a subclass may have its own ``forward``.
    """
    kind = type(module)
    if isinstance(module, nn.Sequential) and kind is nn.Sequential:
        return [*module]
    if isinstance(module, ConvStack) and kind is ConvStack:
        return [module.blocks]
    if isinstance(module, ConvBlock) and kind is ConvBlock:
        conv = _Conv(module.conv, module.padding)
        return [conv, module.norm, module.act, module.pool, module.dropout]
    if isinstance(module, DeepBindTrunk) and kind is DeepBindTrunk:
        pad = (module.pad, module.pad)
        return [_Conv(module.conv, pad, module.pad_value), module.act, module.pool]
    if isinstance(module, DanQTrunk) and kind is DanQTrunk:
        trunk = module

        def recurrent(h: Tensor) -> Tensor:
            out, _ = trunk.lstm(h.transpose(1, 2))
            return trunk.dropout(out).transpose(1, 2)

        return [module.conv, recurrent]
    if isinstance(module, DilatedResNetTrunk) and kind is DilatedResNetTrunk:
        return [module.stem, *module.tower, module.act]
    if isinstance(module, DilatedResidualBlock) and kind is DilatedResidualBlock:
        inner = [module.act1, module.norm1, module.act2, module.project, module.norm2]
        leaves = [_leaf(m) for m in [*inner, module.dropout]]
        if any(op is None for op in leaves):
            return None
        act1, norm1, act2, project, norm2, dropout = (op for op in leaves if op is not None)
        conv = _Conv(module.conv, module.padding)
        return [_Residual([act1, conv, norm1, act2, project, norm2, dropout])]
    if isinstance(module, FlattenDenseHead | DenseHead) and kind in (FlattenDenseHead, DenseHead):
        return [module.net]
    if isinstance(module, ProfileHead) and kind is ProfileHead:
        return [module.conv]
    return None


class _Affine(_Pointwise):
    """Batch norm in eval mode as one scale and shift per channel."""

    def __init__(self, module: nn.BatchNorm1d) -> None:
        super().__init__(module)
        assert module.running_mean is not None
        assert module.running_var is not None
        scale = torch.rsqrt(module.running_var.detach() + module.eps)
        if module.weight is not None:
            scale = scale * module.weight.detach()
        shift = -module.running_mean.detach() * scale
        if module.bias is not None:
            shift = shift + module.bias.detach()
        self.scale, self.shift = scale[:, None], shift[:, None]

    def window(self, win: _Window, state: Any) -> _Window:
        values = torch.addcmul(self.shift, win.values, self.scale)
        return _Window(win.seq, win.start, values, win.aligned)


def _leaf(module: nn.Module) -> _Op | None:
    """The local layer for a supported module, else None."""
    if isinstance(module, nn.BatchNorm1d):
        if module.running_mean is None or module.running_var is None or module.training:
            return None
        return _Affine(module) if type(module) is nn.BatchNorm1d else _Pointwise(module)
    if isinstance(module, _POINTWISE):
        return _Pointwise(module)
    if type(module) is nn.Conv1d:
        assert isinstance(module, nn.Conv1d)
        if module.groups != 1 or module.padding_mode != "zeros":
            return None
        return _Conv(module, (0, 0))
    if type(module) in (nn.MaxPool1d, nn.AvgPool1d):
        assert isinstance(module, nn.MaxPool1d | nn.AvgPool1d)
        if _first(module.padding) != 0 or module.ceil_mode:
            return None
        if isinstance(module, nn.MaxPool1d) and module.return_indices:
            return None
        return _Pool(module)
    return None


def _split(items: Sequence[Any]) -> tuple[list[_Op], list[Any]]:
    """The leading local layers of ``items`` and the rest, in forward order."""
    ops: list[_Op] = []
    for i, item in enumerate(items):
        if isinstance(item, _Op):
            ops.append(item)
            continue
        if isinstance(item, nn.Module):
            inner = _expand(item)
            if inner is not None:
                sub_ops, sub_rest = _split(inner)
                ops += sub_ops
                if sub_rest:
                    return ops, [*sub_rest, *items[i + 1 :]]
                continue
            op = _leaf(item)
            if op is not None:
                ops.append(op)
                continue
        return ops, list(items[i:])
    return ops, []


@dataclass
class _Plan:
    """A model as leading local layers, then the rest; ``strands`` as SequenceModel's."""

    ops: list[_Op]
    rest: list[Any]
    strands: str
    heads: dict[int, _LinearDelta] = field(default_factory=dict)

    def linear_delta(self, linear: nn.Linear) -> _LinearDelta:
        """The one :class:`_LinearDelta` of ``linear`` (its weight is rearranged once)."""
        return self.heads.setdefault(id(linear), _LinearDelta(linear))


def _plan(model: nn.Module, n_channels: int) -> _Plan | None:
    """The fast-path plan of ``model``, or None when it has no leading local layer."""
    strands = "single"
    if type(model) is SequenceModel:
        assert isinstance(model, SequenceModel)
        items: list[Any] = [model.trunk, model.head]
        strands = model.strands
        if strands != "single" and n_channels == 16:
            return None
    else:
        expanded = _expand(model)
        if expanded is None:
            return None
        items = expanded
    try:
        ops, rest = _split(items)
    except _UnsupportedError:
        return None
    if not ops:
        return None
    return _Plan(ops, rest, strands)


def _call(item: Any, x: Tensor) -> Tensor:
    if isinstance(item, _Op):
        return item.full(x)
    return item(x)


# --------------------------------------------------------------------------- one strand


@dataclass
class _Strand:
    """Reference states of one strand of a chunk of sequences."""

    states: list[Any]
    act: Tensor  # (n, C, L) output of the last windowed layer
    act_t: Tensor  # its (n, L, C) copy for gathering
    head: _LinearDelta | None
    head_state: Any
    rest: list[Any]
    n_channels: int


def _prepare(plan: _Plan, x: Tensor, n_local: int) -> _Strand:
    states: list[Any] = []
    act = x
    for op in plan.ops[:n_local]:
        act, state = op.prepare(act)
        states.append(state)
    rest = [*plan.ops[n_local:], *plan.rest]
    head, head_state = None, None
    lead = 0
    while lead < len(rest) and type(rest[lead]) in (nn.Dropout, nn.Identity):
        lead += 1
    if (
        lead + 1 < len(rest)
        and type(rest[lead]) is nn.Flatten
        and rest[lead].start_dim == 1
        and rest[lead].end_dim == -1
        and type(rest[lead + 1]) is nn.Linear
        and act.ndim == 3
    ):
        try:
            head = plan.linear_delta(rest[lead + 1])
            _, head_state = head.prepare(act)
            rest = rest[lead + 2 :]
        except _UnsupportedError:
            head = None
    act_t = act.transpose(1, 2).contiguous()
    return _Strand(states, act, act_t, head, head_state, rest, x.shape[1])


def _reference(strand: _Strand) -> Tensor:
    h = strand.act
    if strand.head is not None:
        h = strand.head_state[1]
    for item in strand.rest:
        h = _call(item, h)
    return h


def _mutants(plan: _Plan, strand: _Strand, seq: Tensor, pos: Tensor, chan: Tensor) -> Tensor:
    """Outputs of the mutants ``(seq, pos, chan)`` of one strand, ``(B, T)``."""
    batch = torch.arange(seq.shape[0], device=seq.device)
    values = torch.zeros((seq.shape[0], strand.n_channels, 1), device=seq.device)
    values[batch, chan, 0] = 1.0
    win = _Window(seq, pos, values)
    for op, state in zip(plan.ops, strand.states, strict=False):
        win = op.window(win, state)
    if strand.head is not None:
        h = strand.head.window(win, strand.head_state)
    else:
        h = strand.act[win.seq]
        w = win.values.shape[-1]
        index = (win.start[:, None] + torch.arange(w, device=seq.device))[:, None, :]
        h.scatter_(2, index.expand(-1, h.shape[1], -1), win.values)
    for item in strand.rest:
        h = _call(item, h)
    return h


def _combine(strands: str, fwd: Tensor, rev: Tensor | None) -> Tensor:
    if rev is None:
        return fwd
    return torch.maximum(fwd, rev) if strands == "max" else (fwd + rev) / 2


def _layout(plan: _Plan, x: Tensor) -> list[tuple[int, int, int]]:
    """Window width, channels and length after each leading layer, for one mutant."""
    w, act = 1, x
    layout = []
    for op in plan.ops:
        act = op.full(act)
        if act.ndim != 3:
            break
        w = op.width(w, act.shape[-1])
        layout.append((w, act.shape[1], act.shape[-1]))
    return layout


def _align(ops: Sequence[_Op]) -> None:
    """Let each stride-1 convolution that feeds a pooling layer compute that layer's region.

    Only point-wise layers may lie between the two (they keep positions).
    """
    for i, op in enumerate(ops):
        if not isinstance(op, _Conv):
            continue
        op.pool = None
        j = i + 1
        while j < len(ops) and type(ops[j]) in (_Pointwise, _Affine):
            j += 1
        nxt = ops[j] if j < len(ops) else None
        if op.stride == 1 and isinstance(nxt, _Pool) and nxt.pad == (0, 0):
            op.pool = nxt


def _n_local(layout: Sequence[tuple[int, int, int]]) -> int:
    """Layers to run windowed: up to the first (after the first) whose window is everything."""
    for i, (w, _, length) in enumerate(layout):
        if i > 0 and w >= length:
            return i
    return len(layout)


# --------------------------------------------------------------------------- driver


def _check_input(X: np.ndarray | Tensor) -> Tensor:
    """``X`` as a float32 CPU tensor after checking it is one-hot ``(N, C, L)``."""
    if not isinstance(X, np.ndarray | torch.Tensor):
        msg = f"X must be a NumPy array or a torch tensor, not {type(X).__name__}"
        raise ValueError(msg)
    if X.ndim != 3:
        msg = f"X must be one-hot sequences of shape (N, C, L), not {tuple(X.shape)}"
        raise ValueError(msg)
    x = torch.as_tensor(X).detach().to("cpu", torch.float32)
    _, c, length = x.shape
    if c < 2 or length < 1:
        msg = f"X must have at least 2 channels and 1 position, not shape {tuple(x.shape)}"
        raise ValueError(msg)
    zero = (x == 0).all(1)
    one_hot = ((x == 0) | (x == 1)).all(1) & (x.sum(1) == 1)
    uniform = ((x - 1.0 / c).abs() <= 1e-6).all(1)
    bad = ~(one_hot | zero | uniform)
    if bool(bad.any()):
        i, j = (int(v) for v in bad.nonzero()[0])
        column = ", ".join(f"{v:g}" for v in x[i, :, j].tolist())
        msg = (
            f"X is not one-hot: sequence {i}, position {j} holds [{column}]; every column "
            "must be one-hot, all zero or uniform (1/C) for an unknown letter"
        )
        raise ValueError(msg)
    return x


def _check_options(
    batch_size: int, method: str, memory_limit: int | None, positions: slice | None
) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        msg = f"batch_size must be a positive integer, not {batch_size!r}"
        raise ValueError(msg)
    if method not in ("fast", "naive"):
        msg = f"method must be 'fast' or 'naive', not {method!r}"
        raise ValueError(msg)
    if memory_limit is not None and (
        isinstance(memory_limit, bool) or not isinstance(memory_limit, int) or memory_limit < 1
    ):
        msg = f"memory_limit must be a positive number of bytes or None, not {memory_limit!r}"
        raise ValueError(msg)
    if positions is not None and not isinstance(positions, slice):
        msg = f"positions must be a slice or None, not {type(positions).__name__}"
        raise ValueError(msg)


def _nbytes(obj: Any) -> int:
    """Bytes held by the tensors in ``obj`` (nested lists/tuples)."""
    if isinstance(obj, Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, list | tuple):
        return sum(_nbytes(o) for o in obj)
    return 0


def _mutant_bytes(layout: Sequence[tuple[int, int, int]], strand: _Strand) -> int:
    """Rough working memory of one mutant on one strand (windows, splice, rest)."""
    windows = sum(3 * w * c for w, c, _ in layout[: len(strand.states)])
    rest_in = strand.head_state[1].shape[1] if strand.head is not None else strand.act[0].numel()
    return 4 * (windows + 4 * rest_in)


def _mutant_inputs(x: Tensor, seq: Tensor, pos: Tensor, chan: Tensor) -> Tensor:
    """The mutant sequences themselves, ``(B, C, L)``."""
    batch = torch.arange(seq.shape[0])
    inputs = x[seq]
    inputs[batch, :, pos] = 0.0
    inputs[batch, chan, pos] = 1.0
    return inputs


def _naive(
    model: nn.Module,
    x: Tensor,
    muts: tuple[Tensor, Tensor, Tensor],
    *,
    batch_size: int,
    device: torch.device,
    limit: int,
    emit: Callable[[slice, Tensor], None],
) -> None:
    """Every mutant through :func:`biodl.models.predict`, handed to ``emit`` by chunks."""
    seq, pos, chan = muts
    per = 4 * x.shape[1] * x.shape[2]
    chunk = max(batch_size, (limit // 4 // per) // batch_size * batch_size)
    for i in range(0, seq.shape[0], chunk):
        rows = slice(i, i + chunk)
        inputs = _mutant_inputs(x, seq[rows], pos[rows], chan[rows])
        emit(rows, predict(model, inputs, batch_size=batch_size, device=device))


class _FastISM:
    """The fast path for one model and one input length."""

    def __init__(self, model: nn.Module, plan: _Plan, x: Tensor, device: torch.device) -> None:
        self.model, self.plan, self.device = model, plan, device
        probe = x[:1].to(device)
        self.layout = _layout(plan, probe)
        self.n_local = _n_local(self.layout)
        _align(plan.ops[: self.n_local])
        self.rc = plan.strands != "single"
        self.length = x.shape[-1]
        self.probe: tuple[_Strand, _Strand | None] | None = None

    def strands(self, x: Tensor) -> tuple[_Strand, _Strand | None]:
        x = x.to(self.device)
        fwd = _prepare(self.plan, x, self.n_local)
        rev = _prepare(self.plan, reverse_complement_tensor(x), self.n_local) if self.rc else None
        return fwd, rev

    def reference(self, strands: tuple[_Strand, _Strand | None]) -> Tensor:
        fwd, rev = strands
        return _combine(self.plan.strands, _reference(fwd), _reference(rev) if rev else None)

    def outputs(
        self, strands: tuple[_Strand, _Strand | None], seq: Tensor, pos: Tensor, chan: Tensor
    ) -> Tensor:
        fwd, rev = strands
        seq, pos, chan = (t.to(self.device) for t in (seq, pos, chan))
        out = _mutants(self.plan, fwd, seq, pos, chan)
        if rev is not None:
            last_pos, last_chan = self.length - 1, rev.n_channels - 1
            back = _mutants(self.plan, rev, seq, last_pos - pos, last_chan - chan)
            out = _combine(self.plan.strands, out, back)
        return out.float().cpu()

    def sizes(self, strands: tuple[_Strand, _Strand | None]) -> tuple[int, int]:
        """Bytes per sequence of reference state and per mutant, both strands."""
        per_seq = sum(_nbytes([s.states, s.act, s.act_t, s.head_state]) for s in strands if s)
        per_mutant = sum(_mutant_bytes(self.layout, s) for s in strands if s)
        return per_seq, per_mutant


def _verify(fast: _FastISM, x: Tensor, ref: Tensor, batch_size: int) -> str | None:
    """Why the fast path does not reproduce the model on the first sequence, or None."""
    strands = fast.strands(x[:1])
    fast.probe = strands
    got = fast.reference(strands).float().cpu()
    if got.shape != ref[:1].shape or not torch.allclose(got, ref[:1], rtol=1e-5, atol=1e-5):
        diff = (got - ref[:1]).abs().max().item() if got.shape == ref[:1].shape else math.inf
        return f"its reference output differs from the model's by {diff:.3g}"
    length, channels = x.shape[-1], x.shape[1]
    pos = torch.tensor(sorted({0, length // 3, length // 2, length - 1}))
    pos = pos.repeat_interleave(2)
    chan = (x[0, :, pos].argmax(0) + torch.tensor([1, 2]).repeat(pos.shape[0] // 2)) % channels
    seq = torch.zeros_like(pos)
    got = fast.outputs(strands, seq, pos, chan)
    want = predict(
        fast.model,
        _mutant_inputs(x[:1], seq, pos, chan),
        batch_size=batch_size,
        device=fast.device,
    )
    scale = float(want.abs().max()) if want.numel() else 0.0
    if not torch.allclose(got, want, rtol=1e-4, atol=1e-5 + 1e-4 * scale):
        diff = (got - want).abs().max().item()
        return f"its mutant outputs differ from the model's by {diff:.3g}"
    return None


def _fast_path(
    model: nn.Module, x: Tensor, ref: Tensor, batch_size: int, device: torch.device
) -> tuple[_FastISM | None, str | None]:
    """The checked fast path, or None and why not (None when the structure is unknown)."""
    plan = _plan(model, x.shape[1])
    if plan is None:
        return None, None
    try:
        fast = _FastISM(model, plan, x, device)
        if fast.n_local == 0:
            return None, None
        why = _verify(fast, x, ref, batch_size)
    except (_UnsupportedError, RuntimeError, ValueError, IndexError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return (fast, None) if why is None else (None, why)


def _fast(
    fast: _FastISM,
    x: Tensor,
    muts: tuple[Tensor, Tensor, Tensor],
    *,
    batch_size: int,
    limit: int,
    emit: Callable[[slice, Tensor], None],
) -> None:
    """Fast-path outputs of every mutant, handed to ``emit(rows, outputs)`` batch by batch."""
    seq, pos, chan = muts
    per_seq, per_mutant = fast.sizes(fast.probe or fast.strands(x[:1]))
    n_chunk = max(1, min(batch_size, (limit // 2) // max(per_seq, 1)))
    step = max(1, (limit // 2) // max(per_mutant, 1))
    bounds = np.searchsorted(seq.numpy(), np.arange(0, x.shape[0] + n_chunk, n_chunk))
    for k in range(len(bounds) - 1):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        if lo == hi:
            continue
        first = k * n_chunk
        strands = fast.strands(x[first : first + n_chunk])
        for i in range(lo, hi, step):
            j = min(i + step, hi)
            emit(slice(i, j), fast.outputs(strands, seq[i:j] - first, pos[i:j], chan[i:j]))


def ism(
    model: nn.Module,
    X: np.ndarray | Tensor,
    *,
    target: int | None = 0,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    method: Literal["fast", "naive"] = "fast",
    memory_limit: int | None = None,
    positions: slice | None = None,
) -> np.ndarray:
    """In-silico saturation mutagenesis: the output change of every single substitution.

    Parameters
    ----------
    model
        Maps one-hot ``(B, C, L)`` to raw outputs (logits) ``(B, T)``. Evaluated in
        eval mode; its mode and device are restored afterwards.
    X
        One-hot sequences ``(N, C, L)``; a column may also be all zero or uniform
        (``1/C``) for an unknown letter, which every letter then substitutes.
    target
        The output whose change is returned; None for every output.
    batch_size
        ``naive``: mutant sequences per forward pass. ``fast``: sequences whose
        reference activations are computed together (the windowed batches of mutants
        are sized by ``memory_limit``). The result does not depend on it.
    device
        Where to compute; default CUDA when available.
    method
        ``"fast"``: recompute only the window a substitution changes in the leading
        convolutional layers (see the module docstring); models it cannot follow run
        naive. ``"naive"``: every mutant as a full forward pass.
    memory_limit
        Working memory to aim for, in bytes (an estimate, not a hard cap); default
        1 GiB. Half goes to the reference activations of a chunk of sequences, half to
        a batch of mutants. The result does not depend on it.
    positions
        Mutate only ``range(L)[positions]`` (e.g. a window around a variant).

    Returns
    -------
    numpy.ndarray
        float32 ``(N, C, P)`` with ``P = len(range(L)[positions])`` (``(N, T, C, P)``
        when ``target`` is None): ``f(x with position p set to letter c) - f(x)``;
        exactly 0 at each position's own letter.

    Raises
    ------
    ValueError
        If ``X`` is not one-hot ``(N, C, L)``, the model's output is not ``(N, T)``,
        ``target`` is out of range, or an option is invalid.

    Warns
    -----
    RuntimeWarning
        When the fast path does not reproduce the model and the naive path is used.

    Examples
    --------
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Conv1d(4, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 1)
    ... )
    >>> x = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 0, 1]].T[None]
    >>> scores = ism(model, x, device="cpu")
    >>> scores.shape
    (1, 4, 6)
    >>> bool((scores[x == 1] == 0).all())
    True
    >>> bool(np.allclose(scores, ism(model, x, device="cpu", method="naive"), atol=1e-6))
    True
    """
    _check_options(batch_size, method, memory_limit, positions)
    x = _check_input(X)
    n, channels, length = x.shape
    pos = np.arange(length)[positions if positions is not None else slice(None)]
    dev = torch.device(device) if device is not None else default_device()
    limit = DEFAULT_MEMORY_LIMIT if memory_limit is None else memory_limit
    ref = predict(model, x, batch_size=batch_size, device=dev) if n else torch.empty((0, 1))
    if ref.ndim != 2:
        msg = (
            f"ism needs a model with one output vector per sequence (N, T); this model "
            f"returns shape {tuple(ref.shape)}"
        )
        raise ValueError(msg)
    n_out = ref.shape[1]
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < n_out
    ):
        msg = f"target must be an output index in [0, {n_out}) or None, not {target!r}"
        raise ValueError(msg)
    cols = slice(None) if target is None else slice(target, target + 1)
    result = np.zeros((n, ref[:, cols].shape[1], channels, len(pos)), dtype=np.float32)
    mask = x[:, :, torch.as_tensor(pos, dtype=torch.long)] != 1.0  # (N, C, P)
    seq, p_idx, chan = mask.permute(0, 2, 1).nonzero(as_tuple=True)
    mut_pos = torch.as_tensor(pos, dtype=torch.long)[p_idx] if len(pos) else p_idx
    muts = (seq, mut_pos, chan)
    seq_np, p_np, chan_np = seq.numpy(), p_idx.numpy(), chan.numpy()

    def emit(rows: slice, outputs: Tensor) -> None:
        change = outputs[:, cols] - ref[seq[rows]][:, cols]
        result[seq_np[rows], :, chan_np[rows], p_np[rows]] = change.numpy()

    if seq.shape[0] == 0:
        return result if target is None else result[:, 0]
    with _eval_on(model, dev), torch.inference_mode():
        fast, why = _fast_path(model, x, ref, batch_size, dev) if method == "fast" else (None, None)
        if why is not None:
            warnings.warn(
                f"fast ISM cannot follow {type(model).__name__}: {why}; using the naive path",
                RuntimeWarning,
                stacklevel=2,
            )
        if fast is not None:
            _fast(fast, x, muts, batch_size=batch_size, limit=limit, emit=emit)
        else:
            _naive(model, x, muts, batch_size=batch_size, device=dev, limit=limit, emit=emit)
    return result if target is None else result[:, 0]
