"""The DeepLIFT engine: rescale multipliers for every operation a model's forward runs.

How it works
------------
The inputs and their references are stacked into one batch ``[x_1..x_P, r_1..r_P]``
and run through the model once, under a :class:`torch.overrides.TorchFunctionMode`
that sees *every* torch operation, whether it comes from a module (``nn.ReLU``) or
from a functional call inside ``forward`` (``F.relu``, ``torch.maximum``,
``x.amax(-1)``, ``torch.einsum``...). Model parameters are frozen for the pass, so a
tensor that requires a gradient is exactly a tensor that depends on the input. Each
operation on such tensors gets one of these backward rules (its forward is unchanged):

* linear and structural operations (convolution, linear, eval-mode batch norm, sums,
  means, padding, reshaping, indexing, concatenation, products with a constant...):
  their ordinary gradient, which is their exact multiplier;
* element-wise functions of one input (ReLU, sigmoid, tanh, softplus, ELU, GELU, exp,
  log, clamp, ``1 / x``...): the **rescale** rule, multiplier ``Δy / Δx``, or the
  derivative at the midpoint where ``|Δx|`` is below ``1e-6`` (float32) / ``1e-10``
  (float64);
* maxima (``max_pool1d/2d/3d``, ``amax``, ``max(dim)``, ``maximum``): a rule that
  preserves summation. For each window with input maximum ``y`` (at ``i``) and
  reference maximum ``y0`` (at ``j``), ``m = max(y, y0)``: ``m - y0`` is assigned to
  position ``i`` and ``y - m`` to position ``j`` (they add to ``y - y0``), each divided
  by that position's ``Δx`` (the same rule as tangermeme's; captum 0.9.0's is wrong,
  captum issue #1276);
* products of several input-dependent tensors (``x * y``, ``matmul``, ``bmm``,
  ``einsum``...): the multilinear rule, the gradient at the midpoints
  ``(x + x0) / 2`` (integrated gradients with Gauss-Legendre nodes, exact for a
  polynomial of that degree);
* any other operation (softmax, layer norm, division by an input-dependent tensor,
  an operation this module does not know) and every recurrent layer (``nn.LSTM``,
  ``nn.GRU``, ``nn.RNN``, packed sequences included): **block integrated gradients**.
  There is no rescale rule for gates, so the block is treated as one non-linear
  function whose multipliers are the integrated gradients of its outputs along the
  straight line from the block's reference input to its actual input, by
  Gauss-Legendre quadrature. The number of nodes doubles (from ``ig_steps``, up to
  ``max_ig_steps``) until the block's own summation error is below its tolerance.

Every rule satisfies ``sum(m * Δx) = Δy`` for its operation, so by the chain rule for
multipliers the input attributions ``m * (x - r)`` sum to ``f(x) - f(r)`` (to rounding
and, for blocks, quadrature error). Operations whose input-dependent operands do not
have the doubled batch on their first axis cannot be paired with their references
and raise :class:`DeepLiftError` (recurrent layers are paired on their own batch axis).

Caveat: a *discrete* function of the input (a mask from ``x != 0``, an ``argmax``)
has no gradient. If it differs between an input and its reference, no rule can
account for the change and summation fails; the convergence delta reports it (the
references built by :mod:`biodl.interpret.attribution` keep padding and masks
unchanged for this reason).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

__all__ = ["DeepLiftError", "DeepLiftStats", "deeplift_multipliers"]


class DeepLiftError(RuntimeError):
    """An operation of the model cannot be given a DeepLIFT rule."""


# ---------------------------------------------------------------------------------------
# operation tables (by ``__name__``: ``torch.relu``, ``Tensor.relu`` and ``F.relu`` alike)

_LINEAR = frozenset(
    """
    __getitem__ __get__ __setitem__ add __add__ __radd__ __iadd__ add_ sub __sub__ __rsub__
    __isub__ sub_ neg __neg__ negative sum mean nansum cumsum cat concat concatenate stack
    hstack vstack reshape view view_as flatten unflatten transpose transpose_ t permute
    squeeze unsqueeze expand expand_as repeat tile contiguous clone to float double half
    bfloat16 type type_as cpu cuda detach gather index_select take_along_dim narrow select
    split split_with_sizes chunk unbind flip fliplr flipud roll movedim moveaxis swapaxes
    swapdims pad conv1d conv2d conv3d conv_transpose1d conv_transpose2d linear dropout
    dropout1d dropout2d dropout3d feature_dropout alpha_dropout avg_pool1d avg_pool2d
    avg_pool3d adaptive_avg_pool1d adaptive_avg_pool2d masked_fill masked_fill_ where
    diagonal tril triu unfold fold index_put index_put_ scatter scatter_add copy_ zero_
    fill_ _pack_padded_sequence _pad_packed_sequence requires_grad_ retain_grad size dim
    numel __len__ __iter__ __repr__ __format__ narrow_copy zeros_like ones_like empty_like
    full_like new_zeros new_ones new_empty new_full rand_like randn_like
    """.split()  # noqa: SIM905
)
_PRODUCTS = frozenset(
    """
    mul __mul__ __rmul__ __imul__ mul_ multiply matmul __matmul__ __rmatmul__ mm bmm einsum
    outer dot inner tensordot kron
    """.split()  # noqa: SIM905
)
_DIVISIONS = frozenset(
    """
    div __truediv__ true_divide __itruediv__ div_ divide
    """.split()  # noqa: SIM905
)
_UNARY = frozenset(
    """
    relu relu_ relu6 leaky_relu leaky_relu_ elu elu_ selu selu_ celu celu_ gelu silu mish
    softplus sigmoid sigmoid_ tanh tanh_ exp exp_ expm1 exp2 log log_ log1p log2 log10
    logsigmoid hardtanh hardtanh_ hardsigmoid hardswish softsign tanhshrink softshrink
    hardshrink abs absolute abs_ sqrt rsqrt square pow __pow__ __rpow__ clamp clamp_ clip
    clamp_min clamp_max sin cos reciprocal erf erfc threshold threshold_ rrelu prelu
    __rtruediv__ logit sinh cosh atan asinh floor ceil round trunc sign
    """.split()  # noqa: SIM905
)
_MAX_POOL = frozenset(
    """
    max_pool1d max_pool2d max_pool3d max_pool1d_with_indices max_pool2d_with_indices
    max_pool3d_with_indices
    """.split()  # noqa: SIM905
)
_MAX_REDUCE = frozenset(["amax", "max"])
_MAX_BINARY = frozenset(["maximum", "fmax"])


def _op_name(func: Callable[..., Any]) -> str:
    return str(getattr(func, "__name__", repr(func)))


def _eps(dtype: torch.dtype) -> float:
    """``|Δx|`` below which a multiplier is the midpoint derivative."""
    return 1e-10 if dtype == torch.float64 else 1e-6


def _grad_tensors(args: Sequence[Any], kwargs: dict[str, Any]) -> list[torch.Tensor]:
    leaves, _ = tree_flatten((list(args), kwargs))
    return [t for t in leaves if isinstance(t, torch.Tensor) and t.requires_grad]


def _substitute(
    args: Sequence[Any], kwargs: dict[str, Any], new: dict[int, torch.Tensor]
) -> tuple[list[Any], dict[str, Any]]:
    """``args``/``kwargs`` with each tensor whose ``id`` is in ``new`` replaced."""

    def swap(leaf: Any) -> Any:
        if isinstance(leaf, torch.Tensor) and id(leaf) in new:
            return new[id(leaf)]
        return leaf

    out_args, out_kwargs = tree_map(swap, (list(args), kwargs))
    return list(out_args), dict(out_kwargs)


def _gauss_legendre(n: int, dtype: torch.dtype) -> tuple[list[float], list[float]]:
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return [float((a + 1) / 2) for a in nodes], [float(w / 2) for w in weights]


# ---------------------------------------------------------------------------------------
# bookkeeping


@dataclass
class DeepLiftStats:
    """What a DeepLIFT pass did, for reports and checks.

    Attributes
    ----------
    rules
        Count of operations per rule (``"rescale:relu"``, ``"max:max_pool1d"``,
        ``"block:lstm"``...).
    block_error
        The largest relative summation error left by a block-IG rule (0 if none).
    block_steps
        The largest number of quadrature nodes a block needed.
    """

    rules: dict[str, int] = field(default_factory=dict)
    block_error: float = 0.0
    block_steps: int = 0

    def count(self, key: str) -> None:
        self.rules[key] = self.rules.get(key, 0) + 1


@dataclass(frozen=True)
class _Pairing:
    """Which rows of a tensor are inputs, and each input row's reference row."""

    dim: int
    partner: torch.Tensor  # (R,) index along ``dim``
    is_input: torch.Tensor  # (R,) bool

    def start(self, z: torch.Tensor) -> torch.Tensor:
        """``z`` with every input row replaced by its reference row."""
        ref = z.index_select(self.dim, self.partner.to(z.device))
        shape = [1] * z.ndim
        shape[self.dim] = -1
        mask = self.is_input.to(z.device).view(shape)
        return torch.where(mask, ref, z)


def _batch_pairing(rows: int, *, dim: int = 0) -> _Pairing:
    half = rows // 2
    partner = torch.cat([torch.arange(half, rows), torch.arange(0, half)])
    return _Pairing(dim, partner, torch.arange(rows) < half)


def _packed_pairing(packed: PackedSequence) -> _Pairing:
    """Pair the rows of a packed sequence's data (sequence ``b`` with ``b + B/2``)."""
    rows = packed.data.shape[0]
    index = torch.arange(rows, dtype=torch.float64, device=packed.data.device)[:, None]
    probe = PackedSequence(
        index, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
    )
    padded, lengths = pad_packed_sequence(probe, batch_first=True, padding_value=-1.0)
    padded = padded[..., 0].long().cpu()  # (B, T)
    half = padded.shape[0] // 2
    if not torch.equal(lengths[:half], lengths[half:]):
        msg = (
            "a packed sequence of an input and of its reference differ in length: the "
            "reference must keep the input's padding (mask)"
        )
        raise DeepLiftError(msg)
    partner = torch.arange(rows)
    is_input = torch.zeros(rows, dtype=torch.bool)
    valid = padded[:half] >= 0
    a, b = padded[:half][valid], padded[half:][valid]
    partner[a], partner[b] = b, a
    is_input[a] = True
    return _Pairing(0, partner, is_input)


# ---------------------------------------------------------------------------------------
# backward rules as autograd functions


def _split(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    half = t.shape[0] // 2
    return t[:half], t[half:]


def _input_rows_only(grad_x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Multipliers on the input rows, zero on the reference rows."""
    return torch.cat([grad_x, torch.zeros_like(like[grad_x.shape[0] :])])


class _Rescale(torch.autograd.Function):
    """Element-wise ``y = fn(x)``: multiplier ``Δy / Δx`` (midpoint derivative if small).

    ``y`` is computed by the caller (passed in a list, so it is not an input) and
    ``slope`` gives the derivative in closed form where known (else autograd).
    """

    @staticmethod
    def forward(
        ctx: Any,
        fn: Callable[[torch.Tensor], torch.Tensor],
        slope: Callable[[torch.Tensor], torch.Tensor] | None,
        x: torch.Tensor,
        computed: list[torch.Tensor],
    ) -> Any:
        y = computed.pop()
        ctx.fn, ctx.slope = fn, slope
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Any:
        x, y = ctx.saved_tensors
        (xa, xr), (ya, yr) = _split(x), _split(y)
        dx = xa - xr
        small = dx.abs() < _eps(x.dtype)
        multiplier = (ya - yr) / torch.where(small, torch.ones_like(dx), dx)
        if bool(small.any()):
            mid = (xa + xr) / 2
            if ctx.slope is not None:
                slope = ctx.slope(mid)
            else:
                mid = mid.detach().requires_grad_(True)
                with torch.enable_grad():
                    out = ctx.fn(mid)
                    (slope,) = torch.autograd.grad(out, mid, torch.ones_like(out))
            multiplier = torch.where(small, slope, multiplier)
        ga, _ = _split(grad)
        return None, None, _input_rows_only(ga * multiplier, grad), None


def _relu_slope(t: torch.Tensor) -> torch.Tensor:
    return (t > 0).to(t.dtype)


_SLOPES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": _relu_slope,
    "relu_": _relu_slope,
}


def _scatter_last(values: torch.Tensor, index: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Add ``values`` into a zero tensor shaped as ``like`` at ``index`` (flattened trailing)."""
    n, c = like.shape[0], like.shape[1]
    out = torch.zeros(n, c, like[0, 0].numel(), dtype=values.dtype, device=values.device)
    out.scatter_add_(2, index.reshape(n, c, -1), values.reshape(n, c, -1))
    return out.reshape(like.shape)


def _max_multipliers(
    x: torch.Tensor,
    y: torch.Tensor,
    grad: torch.Tensor,
    index: torch.Tensor,
    scatter: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """The summation-preserving max rule, given each window's argmax ``index``."""
    (xa, xr), (ya, yr) = _split(x), _split(y)
    (ia, ir), (ga, _) = _split(index), _split(grad)
    top = torch.maximum(ya, yr)
    contribution = scatter((top - yr) * ga, ia, xa) + scatter((ya - top) * ga, ir, xa)
    dx = xa - xr
    ok = dx != 0
    if not bool(ok.all()):
        ok &= torch.isfinite(dx)  # -inf - -inf at masked positions
        plain = scatter(ga, ia, xa)  # the ordinary gradient, where Δx is 0
        dx = torch.where(ok, dx, torch.ones_like(dx))
        return _input_rows_only(torch.where(ok, contribution / dx, plain), x)
    return _input_rows_only(contribution / dx, x)


class _MaxPool(torch.autograd.Function):
    """``max_poolNd`` with the max rule; the pooling indices come along."""

    @staticmethod
    def forward(ctx: Any, pool: Callable[[torch.Tensor], Any], x: torch.Tensor) -> Any:
        y, index = pool(x)
        ctx.save_for_backward(x, y, index)
        ctx.mark_non_differentiable(index)
        return y, index

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor, _grad_index: Any) -> Any:
        x, y, index = ctx.saved_tensors
        return None, _max_multipliers(x, y, grad, index, _scatter_last)


def _scatter_dim(dim: int) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    def scatter(values: torch.Tensor, index: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(like).scatter_add(dim, index, values)

    return scatter


class _MaxReduce(torch.autograd.Function):
    """Maximum over one axis (``keepdim`` layout inside), with the max rule."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, dim: int) -> Any:
        y, index = torch.max(x, dim=dim, keepdim=True)
        ctx.dim = dim
        ctx.save_for_backward(x, y, index)
        ctx.mark_non_differentiable(index)
        return y, index

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor, _grad_index: Any) -> Any:
        x, y, index = ctx.saved_tensors
        return _max_multipliers(x, y, grad, index, _scatter_dim(ctx.dim)), None


def _max_reduce(x: torch.Tensor, dims: tuple[int, ...], keepdim: bool) -> torch.Tensor:
    """``x.amax(dims, keepdim)`` with the max rule (several axes flattened into one)."""
    dims = tuple(sorted(d % x.ndim for d in dims))
    if 0 in dims:
        msg = "a maximum over the batch axis cannot be attributed"
        raise DeepLiftError(msg)
    moved = x.movedim(dims, tuple(range(x.ndim - len(dims), x.ndim)))
    kept = moved.shape[: x.ndim - len(dims)]
    flat = moved.reshape(*kept, -1)
    y, _ = _MaxReduce.apply(flat, flat.ndim - 1)
    y = y.squeeze(-1)
    if keepdim:
        for d in dims:
            y = y.unsqueeze(d)
    return cast(torch.Tensor, y)


class _BlockIG(torch.autograd.Function):
    """``outputs = fn(*inputs)`` with integrated-gradient multipliers for the block."""

    @staticmethod
    def forward(ctx: Any, block: _Block, *inputs: torch.Tensor) -> Any:
        ctx.block = block
        ctx.save_for_backward(*inputs)
        outputs = block.fn(*inputs)
        single = isinstance(outputs, torch.Tensor)
        ctx.single = single
        return outputs if single else tuple(outputs)

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor) -> Any:
        block: _Block = ctx.block
        inputs = ctx.saved_tensors
        grads = tuple(torch.zeros(()) if g is None else g for g in grads)
        return (None, *block.integrate(inputs, grads))


@dataclass
class _Block:
    """A function treated as one non-linear block (see the module docstring)."""

    fn: Callable[..., Any]
    pairings: list[_Pairing | None]  # one per input; None: not attributed
    steps: int
    max_steps: int
    adaptive: bool
    stats: DeepLiftStats

    def _outputs(self, inputs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        out = self.fn(*inputs)
        return (out,) if isinstance(out, torch.Tensor) else tuple(out)

    def integrate(
        self, inputs: Sequence[torch.Tensor], grads: Sequence[torch.Tensor]
    ) -> list[torch.Tensor | None]:
        starts = [
            z if p is None else p.start(z) for z, p in zip(inputs, self.pairings, strict=True)
        ]
        deltas = [z - s for z, s in zip(inputs, starts, strict=True)]
        target = 0.0
        if self.adaptive:
            with torch.no_grad():
                end, begin = self._outputs(inputs), self._outputs(starts)
                target = sum(
                    float((g * (a - b)).sum())
                    for g, a, b in zip(grads, end, begin, strict=False)
                    if g.ndim
                )
        steps = self.steps
        while True:
            total = self._path_integral(starts, deltas, grads, steps)
            if not self.adaptive:
                break
            got = sum(
                float((t * d).sum())
                for t, d, p in zip(total, deltas, self.pairings, strict=True)
                if t is not None and p is not None
            )
            error = abs(got - target) / max(1.0, abs(target))
            tolerance = 1e-9 if inputs[0].dtype == torch.float64 else 1e-5
            if error <= tolerance or steps >= self.max_steps:
                self.stats.block_error = max(self.stats.block_error, error)
                break
            steps *= 2
        self.stats.block_steps = max(self.stats.block_steps, steps)
        out: list[torch.Tensor | None] = []
        for t, p in zip(total, self.pairings, strict=True):
            if t is None or p is None:
                out.append(None)
                continue
            shape = [1] * t.ndim
            shape[p.dim] = -1
            out.append(torch.where(p.is_input.to(t.device).view(shape), t, torch.zeros_like(t)))
        return out

    def _path_integral(
        self,
        starts: Sequence[torch.Tensor],
        deltas: Sequence[torch.Tensor],
        grads: Sequence[torch.Tensor],
        steps: int,
    ) -> list[torch.Tensor | None]:
        nodes, weights = _gauss_legendre(steps, starts[0].dtype)
        total: list[torch.Tensor | None] = [
            None if p is None else torch.zeros_like(s)
            for s, p in zip(starts, self.pairings, strict=True)
        ]
        for alpha, weight in zip(nodes, weights, strict=True):
            point = [
                (s + alpha * d).detach().requires_grad_(p is not None)
                for s, d, p in zip(starts, deltas, self.pairings, strict=True)
            ]
            wanted = [z for z, p in zip(point, self.pairings, strict=True) if p is not None]
            with torch.enable_grad():
                outs = self._outputs(point)
                pairs = [
                    (o, g) for o, g in zip(outs, grads, strict=False) if g.ndim and o.requires_grad
                ]
                if not pairs:
                    continue
                vjp = torch.autograd.grad(
                    [o for o, _ in pairs],
                    wanted,
                    [g for _, g in pairs],
                    allow_unused=True,
                )
            it = iter(vjp)
            for i, p in enumerate(self.pairings):
                if p is None:
                    continue
                v = next(it)
                acc = total[i]
                if v is not None and acc is not None:
                    total[i] = acc + weight * v
        return total


# ---------------------------------------------------------------------------------------
# the mode


class _DeepLiftMode(TorchFunctionMode):
    """Route every torch operation on input-dependent tensors to its DeepLIFT rule."""

    def __init__(self, rows: int, stats: DeepLiftStats, *, ig_steps: int, max_ig_steps: int):
        super().__init__()
        self.rows = rows
        self.stats = stats
        self.ig_steps = ig_steps
        self.max_ig_steps = max_ig_steps
        self.suspended = False

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        if self.suspended:
            return func(*args, **kwargs)
        grads = _grad_tensors(args, kwargs)
        if not grads:
            return func(*args, **kwargs)
        name = _op_name(func)
        if name in _LINEAR:
            if name in ("where", "masked_fill", "masked_fill_"):
                self._check_discrete(args, kwargs)
            return func(*args, **kwargs)
        if name == "batch_norm" and not _bn_training(args, kwargs):
            return func(*args, **kwargs)
        if name in _PRODUCTS:
            if len(grads) == 1:
                return func(*args, **kwargs)
            return self._block(func, args, kwargs, grads, name, exact_degree=len(grads))
        if name in _DIVISIONS and not _grad_tensors(
            args[1:], {k: v for k, v in kwargs.items() if k != "input"}
        ):
            return func(*args, **kwargs)
        if name in _UNARY and len(grads) == 1:
            result = self._rescale(func, args, kwargs, grads[0], name)
            if result is not None:
                return result
        if name in _DIVISIONS and len(grads) == 1 and grads[0] is args[1]:
            result = self._rescale(func, args, kwargs, grads[0], name)
            if result is not None:
                return result
        if name in _MAX_POOL:
            return self._max_pool(func, args, kwargs, name)
        if name in _MAX_REDUCE:
            result = self._max_reduce(args, kwargs, name)
            if result is not None:
                return result
        if name in _MAX_BINARY or (name == "max" and _is_binary_max(args, kwargs)):
            return self._max_binary(args, kwargs)
        return self._block(func, args, kwargs, grads, name, exact_degree=None)

    # -- rules

    def _paired(self, t: torch.Tensor, name: str) -> None:
        if t.ndim == 0 or t.shape[0] != self.rows:
            msg = (
                f"DeepLIFT cannot pair '{name}': an input-dependent operand has shape "
                f"{tuple(t.shape)}, not the batch of {self.rows} inputs and references first"
            )
            raise DeepLiftError(msg)

    def _check_discrete(self, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
        """Count selections whose mask differs between an input and its reference."""
        leaves, _ = tree_flatten((list(args), kwargs))
        for leaf in leaves:
            if (
                isinstance(leaf, torch.Tensor)
                and leaf.dtype == torch.bool
                and leaf.ndim > 0
                and leaf.shape[0] == self.rows
            ):
                a, b = _split(leaf)
                if not torch.equal(a, b):
                    self.stats.count("discrete:mask differs from reference")

    def _rescale(
        self,
        func: Callable[..., Any],
        args: Sequence[Any],
        kwargs: dict[str, Any],
        x: torch.Tensor,
        name: str,
    ) -> torch.Tensor | None:
        inplace = (name.endswith("_") and not name.endswith("__")) or bool(kwargs.get("inplace"))

        def fn(t: torch.Tensor) -> torch.Tensor:
            a, k = _substitute(args, kwargs, {id(x): t.clone() if inplace else t})
            return cast(torch.Tensor, func(*a, **k))

        if x.ndim == 0:
            return None
        with torch.no_grad():
            y = fn(x)
        if not isinstance(y, torch.Tensor) or y.shape != x.shape:
            return None  # not element-wise in x: a block
        self._paired(x, name)
        self.stats.count(f"rescale:{name}")
        plain = not kwargs and len(args) == 1  # relu(x), not relu with extra options
        slope = _SLOPES.get(name) if plain else None
        return cast(torch.Tensor, _Rescale.apply(fn, slope, x, [y]))

    def _max_pool(
        self, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], name: str
    ) -> Any:
        x = args[0] if args else kwargs["input"]
        self._paired(x, name)
        spatial = x.ndim - 2
        pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[spatial]
        rest = list(args[1:])
        options = {k: v for k, v in kwargs.items() if k not in ("input", "return_indices")}
        want_index = bool(kwargs.get("return_indices", False))
        if len(rest) >= 6:
            want_index = bool(rest[5])
            rest = rest[:5]

        def run(t: torch.Tensor) -> Any:
            return pool(t, *rest, **options, return_indices=True)

        self.stats.count(f"max:{name}")
        y, index = _MaxPool.apply(run, x)
        return (y, index) if want_index or name.endswith("with_indices") else y

    def _max_reduce(self, args: Sequence[Any], kwargs: dict[str, Any], name: str) -> Any:
        x = args[0]
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        keepdim = bool(args[2] if len(args) > 2 else kwargs.get("keepdim", False))
        if dim is None or isinstance(dim, torch.Tensor):
            return None
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if not dims:
            return None
        self._paired(x, name)
        self.stats.count(f"max:{name}")
        if name == "amax":
            return _max_reduce(x, dims, keepdim)
        (d,) = dims
        with torch.no_grad():
            index = torch.max(x.detach(), dim=d, keepdim=keepdim).indices
        values = _max_reduce(x, (d,), keepdim)
        return torch.return_types.max((values, index))

    def _max_binary(self, args: Sequence[Any], kwargs: dict[str, Any]) -> torch.Tensor:
        a = args[0] if args else kwargs["input"]
        b = args[1] if len(args) > 1 else kwargs["other"]
        a_t = a if isinstance(a, torch.Tensor) else torch.as_tensor(a)
        b_t = b if isinstance(b, torch.Tensor) else torch.as_tensor(b, dtype=a_t.dtype)
        shape = torch.broadcast_shapes(a_t.shape, b_t.shape)
        stacked = torch.stack([a_t.expand(shape), b_t.expand(shape)], dim=-1)
        self._paired(stacked, "maximum")
        self.stats.count("max:maximum")
        return _max_reduce(stacked, (-1,), keepdim=False)

    def _block(
        self,
        func: Callable[..., Any],
        args: Sequence[Any],
        kwargs: dict[str, Any],
        grads: list[torch.Tensor],
        name: str,
        *,
        exact_degree: int | None,
    ) -> Any:
        unique: list[torch.Tensor] = []
        for t in grads:
            if all(t is not u for u in unique):
                unique.append(t)
        for t in unique:
            self._paired(t, name)

        def fn(*tensors: torch.Tensor) -> Any:
            a, k = _substitute(
                args, kwargs, {id(t): z for t, z in zip(unique, tensors, strict=True)}
            )
            return func(*a, **k)

        with torch.no_grad():
            probe = fn(*unique)
        outs = [probe] if isinstance(probe, torch.Tensor) else list(probe)
        if not all(isinstance(o, torch.Tensor) for o in outs) or any(
            o.is_floating_point() and (o.ndim == 0 or o.shape[0] != self.rows) for o in outs
        ):
            msg = f"DeepLIFT cannot pair the outputs of '{name}' with the batch"
            raise DeepLiftError(msg)
        if not any(o.is_floating_point() for o in outs):
            return func(*args, **kwargs)  # a discrete result: no gradient to assign
        pairing = _batch_pairing(self.rows)
        if exact_degree is not None:
            steps, adaptive = max(1, math.ceil(exact_degree / 2)), False
            self.stats.count(f"product:{name}")
        else:
            steps, adaptive = self.ig_steps, True
            self.stats.count(f"block:{name}")
        block = _Block(fn, [pairing] * len(unique), steps, self.max_ig_steps, adaptive, self.stats)
        result = _BlockIG.apply(block, *unique)
        if isinstance(probe, torch.Tensor):
            return result
        rebuilt = list(result)
        if hasattr(probe, "_fields") or type(probe).__module__.startswith("torch.return_types"):
            return type(probe)(rebuilt)
        return type(probe)(rebuilt) if isinstance(probe, tuple) else rebuilt


def _bn_training(args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
    if "training" in kwargs:
        return bool(kwargs["training"])
    return bool(args[5]) if len(args) > 5 else False


def _is_binary_max(args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
    other = args[1] if len(args) > 1 else kwargs.get("other")
    return isinstance(other, torch.Tensor)


# ---------------------------------------------------------------------------------------
# recurrent layers


def _wrap_recurrent(module: nn.RNNBase, mode: _DeepLiftMode) -> Callable[..., Any]:
    original = module.forward

    def forward(inputs: Any, hx: Any = None) -> Any:
        packed = isinstance(inputs, PackedSequence)
        data = inputs.data if packed else inputs
        if hx is not None and any(t.requires_grad for t in tree_flatten(hx)[0]):
            msg = "a recurrent layer given an input-dependent initial state is not supported"
            raise DeepLiftError(msg)
        if not data.requires_grad:
            mode.suspended = True
            try:
                return original(inputs, hx)
            finally:
                mode.suspended = False
        if packed:
            pairing = _packed_pairing(inputs)
        else:
            dim = 0 if module.batch_first or data.ndim == 2 else 1
            if data.shape[dim] != mode.rows:
                raise DeepLiftError("cannot pair a recurrent layer's input with the batch")
            pairing = _batch_pairing(mode.rows, dim=dim)

        def fn(z: torch.Tensor) -> tuple[torch.Tensor, ...]:
            arg = (
                PackedSequence(
                    z, inputs.batch_sizes, inputs.sorted_indices, inputs.unsorted_indices
                )
                if packed
                else z
            )
            out, state = original(arg, hx)
            out_data = out.data if isinstance(out, PackedSequence) else out
            states = state if isinstance(state, tuple) else (state,)
            return (out_data, *states)

        mode.stats.count(f"block:{type(module).__name__.lower()}")
        block = _Block(fn, [pairing], mode.ig_steps, mode.max_ig_steps, True, mode.stats)
        mode.suspended = True
        try:
            result = _BlockIG.apply(block, data)
        finally:
            mode.suspended = False
        out_data, *states = result
        out = (
            PackedSequence(
                out_data, inputs.batch_sizes, inputs.sorted_indices, inputs.unsorted_indices
            )
            if packed
            else out_data
        )
        state = tuple(states) if len(states) > 1 else states[0]
        return out, state

    return forward


@contextmanager
def _deeplift_context(model: nn.Module, mode: _DeepLiftMode) -> Iterator[None]:
    """Freeze parameters, wrap recurrent layers, and enter the mode."""
    frozen = [(p, p.requires_grad) for p in model.parameters()]
    recurrent = [m for m in model.modules() if isinstance(m, nn.RNNBase)]
    for p, _ in frozen:
        p.requires_grad_(False)
    for m in recurrent:
        m.forward = _wrap_recurrent(m, mode)
    try:
        with mode:
            yield
    finally:
        for m in recurrent:
            del m.forward
        for p, flag in frozen:
            p.requires_grad_(flag)


def select_output(out: torch.Tensor, target: int) -> torch.Tensor:
    """The scalar explained per example: output ``target`` (summed over positions)."""
    picked = out[:, target]
    return picked.reshape(picked.shape[0], -1).sum(dim=1)


def deeplift_multipliers(
    model: nn.Module,
    x: torch.Tensor,
    references: torch.Tensor,
    *,
    target: int,
    ig_steps: int = 8,
    max_ig_steps: int = 256,
    stats: DeepLiftStats | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """DeepLIFT multipliers of ``model``'s output ``target`` for input/reference pairs.

    Parameters
    ----------
    model
        In eval mode, on the device and in the dtype of ``x``.
    x, references
        ``(P, C, L)`` each: pair ``i`` is ``(x[i], references[i])``.
    target
        Output index (per-position outputs are summed over positions).
    ig_steps, max_ig_steps
        First and largest number of Gauss-Legendre nodes of a block-IG rule.
    stats
        Filled with what the pass did.

    Returns
    -------
    tuple of torch.Tensor
        Multipliers ``(P, C, L)`` (attributions are ``multipliers * (x - references)``),
        outputs at ``x`` ``(P,)`` and at the references ``(P,)``.
    """
    stats = stats if stats is not None else DeepLiftStats()
    pairs = x.shape[0]
    z = torch.cat([x, references]).detach().requires_grad_(True)
    mode = _DeepLiftMode(2 * pairs, stats, ig_steps=ig_steps, max_ig_steps=max_ig_steps)
    with torch.enable_grad():
        with _deeplift_context(model, mode):
            out = model(z)
        scalar = select_output(out, target)
        if not scalar.requires_grad:
            return torch.zeros_like(x), scalar[:pairs].detach(), scalar[pairs:].detach()
        (grad,) = torch.autograd.grad(scalar[:pairs].sum(), z, allow_unused=True)
    grad = torch.zeros_like(z) if grad is None else grad
    return grad[:pairs].detach(), scalar[:pairs].detach(), scalar[pairs:].detach()
