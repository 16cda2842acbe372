"""The fast path of :func:`biodl.interpret.ism.ism`: windows of changed activations.

A substitution at position ``l`` of a one-hot sequence only changes the outputs of the
leading local layers (convolutions, pooling, point-wise layers, residual blocks of
these) inside a window around ``l``. The model is read as a chain of layers from the
description each module gives of itself (:mod:`biodl.models.locality`); generic torch
layers need none. See :mod:`biodl.interpret.ism` for the algorithm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from biodl.models.locality import Link, Residual, TwoStrands, forward_chain, run_chain
from biodl.models.predict import predict

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


class _Affine(_Pointwise):
    """Batch norm in eval mode as one scale and shift per channel."""

    def __init__(self, module: nn.BatchNorm1d) -> None:
        super().__init__(module)
        if module.running_mean is None or module.running_var is None:  # pragma: no cover
            msg = "batch norm without running statistics"
            raise _UnsupportedError(msg)
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


def _conv(module: nn.Module, pad: tuple[int, int] = (0, 0), value: float = 0.0) -> _Conv | None:
    """The local layer of a plain ``Conv1d`` after constant padding, else None."""
    if type(module) is not nn.Conv1d:
        return None
    assert isinstance(module, nn.Conv1d)
    if module.groups != 1 or module.padding_mode != "zeros":
        return None
    try:
        return _Conv(module, pad, value)
    except _UnsupportedError:
        return None


def _leaf(module: nn.Module) -> _Op | None:
    """The local layer for a supported generic torch layer, else None."""
    if isinstance(module, nn.BatchNorm1d):
        if module.running_mean is None or module.running_var is None or module.training:
            return None
        return _Affine(module) if type(module) is nn.BatchNorm1d else _Pointwise(module)
    if isinstance(module, _POINTWISE):
        return _Pointwise(module)
    if type(module) is nn.Conv1d:
        return _conv(module)
    if type(module) in (nn.MaxPool1d, nn.AvgPool1d):
        assert isinstance(module, nn.MaxPool1d | nn.AvgPool1d)
        if _first(module.padding) != 0 or module.ceil_mode:
            return None
        if isinstance(module, nn.MaxPool1d) and module.return_indices:
            return None
        return _Pool(module)
    return None


def _is_torch_layer(module: nn.Module) -> bool:
    """Whether ``module`` is one of torch's own layers (it needs no description)."""
    return type(module).__module__.split(".")[0] == "torch"


def _split(items: Sequence[Link]) -> tuple[list[_Op], list[Link], str | None]:
    """The leading local layers of a chain, the rest, and who ended the local run.

    Modules that describe themselves (:func:`biodl.models.locality.forward_chain`) are
    expanded recursively. The third value is the class name of the module that ended
    the run because it does not describe itself (None when the run ended at a layer
    known not to be local, or at the end of the chain).
    """
    ops: list[_Op] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, Residual):
            branch, branch_rest, _ = _split(item.branch)
            if branch_rest or not branch:
                return ops, list(items[i:]), None
            ops.append(_Residual(branch))
            i += 1
            continue
        if not isinstance(item, nn.Module):  # NonLocal, or TwoStrands inside a chain
            return ops, list(items[i:]), None
        if type(item) is nn.ConstantPad1d and i + 1 < len(items):
            assert isinstance(item, nn.ConstantPad1d)
            nxt = items[i + 1]
            left, right = item.padding
            value = float(item.value)
            conv = _conv(nxt, (left, right), value) if isinstance(nxt, nn.Module) else None
            if conv is None:
                return ops, list(items[i:]), None
            ops.append(conv)
            i += 2
            continue
        chain = forward_chain(item)
        if chain is not None:
            sub_ops, sub_rest, undescribed = _split(chain)
            ops += sub_ops
            if sub_rest:
                return ops, [*sub_rest, *items[i + 1 :]], undescribed
            i += 1
            continue
        op = _leaf(item)
        if op is None:
            undescribed = None if _is_torch_layer(item) else type(item).__name__
            return ops, list(items[i:]), undescribed
        ops.append(op)
        i += 1
    return ops, [], None


def _reverses_by_flipping(reverse: Callable[[Tensor], Tensor], n_channels: int) -> bool:
    """Whether ``reverse`` flips both axes of ``n_channels``-channel input (DNA, RNA).

    The reverse strand's mutant of ``(position l, letter c)`` is then ``(L - 1 - l,
    C - 1 - c)``; not so for dinucleotide input.
    """
    probe = torch.eye(n_channels)[None]
    try:
        out = reverse(probe)
    except (RuntimeError, ValueError, IndexError):
        return False
    return out.shape == probe.shape and bool(torch.equal(out, probe.flip((1, 2))))


@dataclass
class _Plan:
    """A model as leading local layers, then the rest; ``strands`` as SequenceModel's."""

    ops: list[_Op]
    rest: list[Link]
    strands: str
    reverse: Callable[[Tensor], Tensor] | None = None
    """The reverse complement when ``strands`` is not ``single``."""
    undescribed: str | None = None
    """The class whose missing description ended the local layers, if any."""
    heads: dict[int, _LinearDelta] = field(default_factory=dict)

    def linear_delta(self, linear: nn.Linear) -> _LinearDelta:
        """The one :class:`_LinearDelta` of ``linear`` (its weight is rearranged once)."""
        return self.heads.setdefault(id(linear), _LinearDelta(linear))


def _plan(model: nn.Module, n_channels: int) -> _Plan:
    """The fast-path plan of ``model`` (``ops`` is empty when nothing is local)."""
    chain = forward_chain(model)
    if chain is None:
        return _Plan([], [model], "single", undescribed=type(model).__name__)
    if len(chain) == 1 and isinstance(chain[0], TwoStrands):
        both = chain[0]
        if not _reverses_by_flipping(both.reverse, n_channels):
            return _Plan([], chain, "single")
        ops, rest, undescribed = _split(both.layers)
        return _Plan(ops, rest, both.combine, both.reverse, undescribed)
    ops, rest, undescribed = _split(chain)
    return _Plan(ops, rest, "single", undescribed=undescribed)


def _call(item: _Op | Link, x: Tensor) -> Tensor:
    if isinstance(item, _Op):
        return item.full(x)
    return run_chain((item,), x)


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
    rest: list[_Op | Link] = [*plan.ops[n_local:], *plan.rest]
    head, head_state = None, None
    lead = 0
    while lead < len(rest) and type(rest[lead]) in (nn.Dropout, nn.Identity):
        lead += 1
    flatten = rest[lead] if lead < len(rest) else None
    linear = rest[lead + 1] if lead + 1 < len(rest) else None
    if (
        isinstance(flatten, nn.Flatten)
        and type(flatten) is nn.Flatten
        and flatten.start_dim == 1
        and flatten.end_dim == -1
        and isinstance(linear, nn.Linear)
        and type(linear) is nn.Linear
        and act.ndim == 3
    ):
        try:
            head = plan.linear_delta(linear)
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


class _FastISM:
    """The fast path for one model and one input length."""

    def __init__(self, model: nn.Module, plan: _Plan, x: Tensor, device: torch.device) -> None:
        self.model, self.plan, self.device = model, plan, device
        probe = x[:1].to(device)
        self.layout = _layout(plan, probe)
        self.n_local = _n_local(self.layout)
        _align(plan.ops[: self.n_local])
        self.length = x.shape[-1]
        self.probe: tuple[_Strand, _Strand | None] | None = None

    def strands(self, x: Tensor) -> tuple[_Strand, _Strand | None]:
        x = x.to(self.device)
        fwd = _prepare(self.plan, x, self.n_local)
        reverse = self.plan.reverse
        rev = _prepare(self.plan, reverse(x), self.n_local) if reverse is not None else None
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
) -> tuple[_FastISM | None, str | None, str | None]:
    """The checked fast path, or None; why it failed the check; which class is undescribed.

    The second value is set when a plan was found but does not reproduce the model; the
    third when no layer is local because a module (the class named) does not describe
    its layers (:mod:`biodl.models.locality`).
    """
    plan = _plan(model, x.shape[1])
    if not plan.ops:
        return None, None, plan.undescribed
    try:
        fast = _FastISM(model, plan, x, device)
        if fast.n_local == 0:
            return None, None, None
        why = _verify(fast, x, ref, batch_size)
    except (_UnsupportedError, RuntimeError, ValueError, IndexError) as exc:
        return None, f"{type(exc).__name__}: {exc}", None
    return (fast, None, None) if why is None else (None, why, None)


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
