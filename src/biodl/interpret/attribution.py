"""Attribution maps: which input positions (and letters) drive a model's output.

One entry, :func:`attribute`, and one function per method, all of the form
``method(model, X, *, target=0, ...) -> Attribution`` over inputs ``(N, C, L)``:

=====================  ===============================================================
``saliency``           the gradient ``df/dx`` (signed; take ``abs`` for a saliency map)
``input_x_gradient``   ``x * df/dx``
``integrated_gradients``  ``(x - b) * mean_a df/dx(b + a (x - b))`` (Gauss-Legendre
                       nodes), with its convergence delta
``deeplift``           DeepLIFT (rescale rule) against one reference per sequence
``deepshap``           DeepLIFT averaged over ``n_references`` references per sequence
                       (dinucleotide shuffles by default): DeepSHAP
``lime``, ``kernel_shap``  model-agnostic (captum ``Lime``/``KernelShap``) over one
                       feature per position or per window of positions
``ism``                in-silico mutagenesis (:mod:`biodl.interpret.ism`)
``attention``          the attention weights of a model that has ``.attention(x)``
=====================  ===============================================================

The DeepLIFT implementation is biodl's own (:mod:`biodl.interpret._deeplift`): it
handles every operation a model runs, modules and functional calls alike, max-pooling
with a rule that keeps summation, and recurrent layers as blocks whose multipliers are
integrated gradients. Its attributions sum to ``f(x) - mean f(reference)`` to rounding
(the convergence delta, ``Attribution.delta``), unlike captum 0.9.0's on max-pooling
networks (captum issue #1276).

Inputs may be one-hot DNA/RNA ``(N, 4, L)``, proteins ``(N, 20 or 21, L)`` or any
packed tensor (deepmir ``(N, 8 + L, L)``, deepcpg): attributions are always over the
tensor given. A model with several outputs is explained for output ``target``; a
per-position output ``(N, T, L')`` is summed over positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from biodl.errors import InputError
from biodl.interpret._deeplift import DeepLiftStats, deeplift_multipliers, select_output
from biodl.models.predict import default_device
from biodl.models.validate import check_array, check_choice, check_positive_int, check_target
from biodl.progress import progress

__all__ = [
    "METHODS",
    "Attribution",
    "Method",
    "ReferenceKind",
    "attention",
    "attribute",
    "deeplift",
    "deepshap",
    "graph_feature_channels",
    "input_x_gradient",
    "integrated_gradients",
    "kernel_shap",
    "lime",
    "make_references",
    "saliency",
]

Method = Literal[
    "saliency",
    "input_x_gradient",
    "integrated_gradients",
    "deeplift",
    "deepshap",
    "lime",
    "kernel_shap",
    "ism",
    "attention",
]
"""Names of the attribution methods."""

METHODS: tuple[str, ...] = get_args(Method)

ReferenceKind = Literal["auto", "dinucleotide", "shuffle", "zeros", "uniform"]
"""How references (baselines) are made from the input.

``dinucleotide``: dinucleotide shuffles of one-hot DNA/RNA (4 channels);
``shuffle``: the real (non-zero) columns of each sequence permuted among themselves,
padding (all-zero columns) left in place (proteins); ``zeros``: all-zero input;
``uniform``: ``1 / C`` everywhere; ``auto``: ``dinucleotide`` for 4-channel one-hot,
``shuffle`` for other one-hot input, ``zeros`` for anything else (packed inputs); for
a graph model (``dmpnn``, ``gin``) ``auto`` and ``zeros`` are the same graph with its
atom and bond features zeroed (:func:`graph_feature_channels`), never an empty graph.
"""

Dtype = Literal["float32", "float64"]


@dataclass(frozen=True)
class Attribution:
    """Attributions of one method for a batch of inputs.

    Attributes
    ----------
    method
        The method's name (one of :data:`METHODS`).
    values
        ``(N, C, L)`` float32: the contribution of each input element.
    target
        The output explained.
    outputs
        ``(N,)`` the explained output at each input.
    delta
        ``(N,)`` convergence delta ``sum(values) - (outputs - reference_outputs)`` where
        the method defines one (integrated gradients, DeepLIFT/SHAP, KernelSHAP), else
        ``None``.
    reference_outputs
        ``(N,)`` mean output of the references/baseline, where used.
    hypothetical
        ``(N, C, L)`` hypothetical contributions (DeepLIFT/SHAP: what each letter would
        contribute at each position), for TF-MoDISco; else ``None``.
    info
        Method options and diagnostics (rules used, number of references...).
    """

    method: str
    values: npt.NDArray[np.float32]
    target: int
    outputs: npt.NDArray[np.float64]
    delta: npt.NDArray[np.float64] | None = None
    reference_outputs: npt.NDArray[np.float64] | None = None
    hypothetical: npt.NDArray[np.float32] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def importance(self) -> npt.NDArray[np.float64]:
        """``(N, L)`` per-position importance: ``|values|`` summed over channels.

        A feature-vector input (``L == 1``, e.g. an expression matrix ``(N, F, 1)``) has
        one position: its importance is per feature instead, ``(N, C)`` ``|values|``,
        so the checks that rank positions (model randomisation, agreement) rank genes.
        """
        magnitude = np.abs(self.values.astype(np.float64))
        if magnitude.ndim == 3 and magnitude.shape[2] == 1 and magnitude.shape[1] > 1:
            return magnitude[:, :, 0]
        return magnitude.sum(axis=1)


# ---------------------------------------------------------------------------------------
# input checks and model context


def _as_array(X: npt.ArrayLike | torch.Tensor, *, ndims: tuple[int, ...] = (3,)) -> np.ndarray:
    arr = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
    check_array(arr, ndims=ndims)
    if arr.shape[0] == 0:
        raise InputError("X has no examples")
    if arr.dtype == np.bool_ or np.issubdtype(arr.dtype, np.integer):
        arr = arr.astype(np.float32)
    if not np.issubdtype(arr.dtype, np.floating):
        raise InputError(f"X must be numeric, not {arr.dtype}")
    if not np.isfinite(arr).all():
        raise InputError("X has NaN or infinite values")
    return arr


@contextmanager
def _model_on(model: nn.Module, device: torch.device, dtype: torch.dtype) -> Iterator[nn.Module]:
    """``model`` in eval mode on ``device`` and in ``dtype``; all restored afterwards."""
    was_training = model.training
    first = next(iter(model.parameters()), None)
    old_device = first.device if first is not None else device
    old_dtype = first.dtype if first is not None else torch.float32
    model.to(device=device, dtype=dtype).eval()
    try:
        yield model
    finally:
        model.to(device=old_device, dtype=old_dtype).train(was_training)


def _resolve(device: str | torch.device | None) -> torch.device:
    return torch.device(device) if device is not None else default_device()


def _torch_dtype(dtype: Dtype) -> torch.dtype:
    check_choice("dtype", dtype, ("float32", "float64"))
    return torch.float64 if dtype == "float64" else torch.float32


def _check_batch_size(batch_size: int) -> None:
    check_positive_int("batch_size", batch_size)


def _check_target(model: nn.Module, x: torch.Tensor, target: int) -> None:
    with torch.no_grad():
        out = model(x[:1])
    if out.ndim < 2:
        raise InputError(f"the model's output must be (N, T), not {tuple(out.shape)}")
    check_target(target, out.shape[1])


def _outputs(
    model: nn.Module, X: np.ndarray, target: int, batch_size: int, device: torch.device
) -> np.ndarray:
    """``(N,)`` the explained output, batched, without gradients."""
    outs = []
    with torch.no_grad():
        for start in range(0, X.shape[0], batch_size):
            x = torch.as_tensor(X[start : start + batch_size]).to(device, _param_dtype(model))
            outs.append(select_output(model(x), target).double().cpu())
    return torch.cat(outs).numpy()


def _param_dtype(model: nn.Module) -> torch.dtype:
    first = next(iter(model.parameters()), None)
    return first.dtype if first is not None else torch.float32


# ---------------------------------------------------------------------------------------
# references


def _is_one_hot(X: np.ndarray) -> bool:
    """Columns are one-hot, all-zero, or uniform (``1 / C``)."""
    if X.ndim != 3:
        return False
    sums = X.sum(axis=1)
    binary = np.isin(X, (0.0, 1.0)).all(axis=1)
    uniform = np.isclose(X, 1.0 / X.shape[1]).all(axis=1)
    return bool(((binary & np.isin(sums, (0.0, 1.0))) | uniform).all())


def _column_codes(x: np.ndarray) -> np.ndarray:
    """``(L,)`` the channel of each one-hot column, ``-1`` for an all-zero/uniform one."""
    codes = x.argmax(axis=0)
    codes[~np.isclose(x.max(axis=0), 1.0) | (x.sum(axis=0) != 1)] = -1
    return codes


def _dinucleotide_references(
    x: np.ndarray, n: int, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    from biodl.data.shuffle import dinucleotide_shuffle

    codes = _column_codes(x)
    letters = "ACGT"
    text = "".join(letters[c] if c >= 0 else "N" for c in codes)
    other = x[:, codes < 0][:, 0] if (codes < 0).any() else np.zeros(x.shape[0])
    out = np.empty((n, *x.shape), dtype=np.float32)
    for k in range(n):
        shuffled = dinucleotide_shuffle(text, rng=rng)
        for i, letter in enumerate(letters):
            out[k, i] = [ch == letter for ch in shuffled]
        unknown = np.array([ch == "N" for ch in shuffled])
        out[k][:, unknown] = other[:, None]
    return out


def _column_shuffle_references(
    x: np.ndarray, n: int, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    real = np.flatnonzero(np.abs(x).sum(axis=0) > 0)
    out = np.repeat(x[None].astype(np.float32), n, axis=0)
    for k in range(n):
        out[k][:, real] = x[:, rng.permutation(real)]
    return out


def make_references(
    X: npt.ArrayLike | torch.Tensor,
    *,
    n: int = 1,
    kind: ReferenceKind = "auto",
    seed: int = 0,
) -> npt.NDArray[np.float32]:
    """References (baselines) for each input: ``(N, C, L)`` to ``(N, n, C, L)``.

    Parameters
    ----------
    X
        Inputs ``(N, C, L)``.
    n
        References per input.
    kind
        How to make them (see :data:`ReferenceKind`).
    seed
        The references of input ``i`` depend only on ``X[i]``, ``i``, ``n`` and
        ``seed`` (not on the other inputs or on batching).

    Returns
    -------
    numpy.ndarray
        ``(N, n, C, L)`` float32.

    Examples
    --------
    >>> from biodl.encode import one_hot
    >>> refs = make_references(one_hot(["ACGTTGCA"]), n=2, kind="dinucleotide", seed=1)
    >>> refs.shape, bool((refs.sum(axis=2) == 1).all())
    ((1, 2, 4, 8), True)
    """
    arr = _as_array(X)
    if n < 1:
        raise InputError(f"the number of references must be at least 1, not {n}")
    if kind not in get_args(ReferenceKind):
        raise InputError(f"unknown reference kind {kind!r}: use one of {get_args(ReferenceKind)}")
    if kind == "auto":
        one_hot = _is_one_hot(arr)
        kind = ("dinucleotide" if arr.shape[1] == 4 else "shuffle") if one_hot else "zeros"
    if kind == "zeros":
        return np.zeros((arr.shape[0], n, *arr.shape[1:]), dtype=np.float32)
    if kind == "uniform":
        return np.full((arr.shape[0], n, *arr.shape[1:]), 1.0 / arr.shape[1], dtype=np.float32)
    if kind == "dinucleotide" and (arr.shape[1] != 4 or not _is_one_hot(arr)):
        raise InputError("dinucleotide references need one-hot DNA/RNA input (N, 4, L)")
    make = _dinucleotide_references if kind == "dinucleotide" else _column_shuffle_references
    return np.stack(
        [make(x, n, np.random.default_rng([seed, i])) for i, x in enumerate(arr)]
    ).astype(np.float32)


def graph_feature_channels(model: nn.Module, n_channels: int) -> npt.NDArray[np.bool_] | None:
    """The atom- and bond-feature channels of a graph model's packed input (``(C,)``
    bool), or ``None`` for a model that does not read packed molecular graphs.

    A graph model (``dmpnn``, ``gin``) keeps a ``layout`` with ``atom_features``,
    ``max_neighbours`` and ``bond_features`` (:mod:`biodl.encode.molecules` describes
    the channels); its structure channels (atom mask, neighbour indices, reverse slots)
    must never be interpolated or replaced, so the ``"auto"`` and ``"zeros"`` baselines
    and references of a graph model are the input with only these channels zeroed: the
    same graph without its atom and bond features.

    Examples
    --------
    >>> graph_feature_channels(torch.nn.Linear(2, 1), 130) is None
    True
    """
    for module in model.modules():
        layout = getattr(module, "layout", None)
        sizes = [
            getattr(layout, k, None) for k in ("atom_features", "max_neighbours", "bond_features")
        ]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in sizes):
            continue
        a, k, b = (int(v) for v in sizes if isinstance(v, int))
        if 1 + a + 2 * k + k * b != n_channels:
            continue
        channels = np.zeros(n_channels, dtype=bool)
        channels[1 : 1 + a] = True
        channels[1 + a + 2 * k :] = True
        return channels
    return None


def _graph_or_references(
    model: nn.Module | None, X: np.ndarray, kind: ReferenceKind | npt.ArrayLike, n: int, seed: int
) -> npt.NDArray[np.float32]:
    """``n`` references per input of a named ``kind``: for a graph model and ``"auto"``
    or ``"zeros"`` the graph without its features (:func:`graph_feature_channels`; an
    all-zero array is no graph), else :func:`make_references`."""
    channels = (
        graph_feature_channels(model, X.shape[1])
        if model is not None and isinstance(kind, str) and kind in ("auto", "zeros") and X.ndim == 3
        else None
    )
    if channels is not None:
        base = np.array(X, dtype=np.float32)
        base[:, channels] = 0.0
        return np.repeat(base[:, None], n, axis=1)
    return make_references(X, n=n, kind=cast(ReferenceKind, kind), seed=seed)


def _baseline(
    X: np.ndarray,
    baseline: ReferenceKind | npt.ArrayLike,
    seed: int,
    model: nn.Module | None = None,
) -> npt.NDArray[np.float32]:
    """One baseline per input ``(N, C, L)`` (``model``: see :func:`_graph_or_references`)."""
    if isinstance(baseline, str):
        return _graph_or_references(model, X, cast(ReferenceKind, baseline), 1, seed)[:, 0]
    b = np.asarray(baseline, dtype=np.float32)
    if b.shape == X.shape[1:]:
        b = np.broadcast_to(b, X.shape)
    if b.shape != X.shape:
        raise InputError(f"baseline shape {b.shape} does not match X {X.shape}")
    return np.ascontiguousarray(b)


# ---------------------------------------------------------------------------------------
# gradient methods


def _gradients(
    model: nn.Module, X: np.ndarray, target: int, batch_size: int, device: torch.device
) -> tuple[np.ndarray, np.ndarray]:
    """``(N, C, L)`` gradients of the explained output and ``(N,)`` outputs."""
    grads, outs = [], []
    dtype = _param_dtype(model)
    batches = range(0, X.shape[0], batch_size)
    for start in progress(batches, desc="gradients", unit="batch"):
        x = torch.as_tensor(X[start : start + batch_size]).to(device, dtype).requires_grad_(True)
        with torch.enable_grad():
            y = select_output(model(x), target)
            (g,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
        grads.append(torch.zeros_like(x) if g is None else g.detach())
        outs.append(y.detach().double())
    return torch.cat(grads).cpu().double().numpy(), torch.cat(outs).cpu().numpy()


def saliency(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    batch_size: int = 128,
    device: str | torch.device | None = None,
) -> Attribution:
    """The gradient of output ``target`` with respect to the input (signed).

    Parameters
    ----------
    model
        Maps ``(N, C, L)`` to ``(N, T)`` (or ``(N, T, L')``, summed over positions).
    X
        Inputs ``(N, C, L)``.
    target
        Output to explain.
    batch_size, device
        As :func:`biodl.models.predict`; the result does not depend on ``batch_size``.

    Returns
    -------
    Attribution
        ``values`` ``(N, C, L)``: ``df/dx``.

    Examples
    --------
    >>> lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 1))
    >>> _ = torch.nn.init.constant_(lin[1].weight, 0.5)
    >>> saliency(lin, np.ones((1, 4, 2)), device="cpu").values[0, 0]
    array([0.5, 0.5], dtype=float32)
    """
    arr = _as_array(X)
    _check_batch_size(batch_size)
    dev = _resolve(device)
    with _model_on(model, dev, torch.float32):
        _check_target(model, torch.as_tensor(arr[:1]).to(dev, torch.float32), target)
        grads, outs = _gradients(model, arr, target, batch_size, dev)
    return Attribution("saliency", grads.astype(np.float32), target, outs)


def input_x_gradient(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    batch_size: int = 128,
    device: str | torch.device | None = None,
) -> Attribution:
    """Input times gradient, ``x * df/dx``: for one-hot input, the gradient at each letter.

    Parameters are those of :func:`saliency`.

    Examples
    --------
    >>> lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 1))
    >>> _ = torch.nn.init.constant_(lin[1].weight, 0.5)
    >>> x = np.zeros((1, 4, 2)); x[0, 1, :] = 2.0
    >>> input_x_gradient(lin, x, device="cpu").values[0, 1]
    array([1., 1.], dtype=float32)
    """
    arr = _as_array(X)
    _check_batch_size(batch_size)
    dev = _resolve(device)
    with _model_on(model, dev, torch.float32):
        _check_target(model, torch.as_tensor(arr[:1]).to(dev, torch.float32), target)
        grads, outs = _gradients(model, arr, target, batch_size, dev)
    return Attribution("input_x_gradient", (grads * arr).astype(np.float32), target, outs)


def integrated_gradients(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    baseline: ReferenceKind | npt.ArrayLike = "zeros",
    n_steps: int = 50,
    batch_size: int = 128,
    device: str | torch.device | None = None,
    dtype: Dtype = "float32",
    seed: int = 0,
) -> Attribution:
    """Integrated gradients (Sundararajan et al. 2017) from a baseline.

    ``(x - b) * integral_0^1 df/dx(b + a (x - b)) da``, the integral by Gauss-Legendre
    quadrature with ``n_steps`` nodes (as captum's default).

    Parameters
    ----------
    model, X, target, batch_size, device
        As :func:`saliency`.
    baseline
        A :data:`ReferenceKind` or an array ``(C, L)`` or ``(N, C, L)``.
    n_steps
        Quadrature nodes.
    dtype
        Compute in ``float32`` or ``float64``.
    seed
        For shuffled baselines.

    Returns
    -------
    Attribution
        With ``delta`` (``sum(values) - (f(x) - f(b))``; shrinks with ``n_steps``).

    Examples
    --------
    >>> lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 1))
    >>> _ = torch.nn.init.constant_(lin[1].weight, 0.5)
    >>> a = integrated_gradients(lin, np.ones((1, 4, 2)), device="cpu")
    >>> a.values[0, 0], float(abs(a.delta[0])) < 1e-5
    (array([0.5, 0.5], dtype=float32), True)
    """
    arr = _as_array(X)
    _check_batch_size(batch_size)
    check_positive_int("n_steps", n_steps)
    base = _baseline(arr, baseline, seed, model)
    dev, tdtype = _resolve(device), _torch_dtype(dtype)
    v, fx, fb = path_integral(
        model,
        arr,
        base,
        target=target,
        n_steps=n_steps,
        batch_size=batch_size,
        device=dev,
        dtype=tdtype,
        desc="integrated gradients",
    )
    delta = v.double().sum(dim=(1, 2)).numpy() - (fx - fb)
    info = {"n_steps": n_steps, "baseline": baseline if isinstance(baseline, str) else "array"}
    return Attribution("integrated_gradients", v.float().numpy(), target, fx, delta, fb, info=info)


def path_integral(
    model: nn.Module,
    X: np.ndarray,
    base: np.ndarray,
    *,
    target: int,
    n_steps: int,
    batch_size: int,
    device: torch.device,
    dtype: torch.dtype,
    desc: str,
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """The integrated-gradients integral from ``base`` to ``X`` (both ``(N, C, L)``) by
    ``n_steps`` Gauss-Legendre nodes on ``[0, 1]``, ``batch_size // n_steps`` inputs per
    pass: ``(attributions (N, C, L) in dtype on the CPU, f(X) (N,), f(base) (N,))``,
    the outputs as float64. Shared by :func:`integrated_gradients` and
    :func:`biodl.interpret.molecules.atom_attributions`."""
    nodes, weights = np.polynomial.legendre.leggauss(n_steps)
    alphas = torch.as_tensor((nodes + 1) / 2, dtype=dtype, device=device)
    w = torch.as_tensor(weights / 2, dtype=dtype, device=device)
    per_batch = max(1, batch_size // n_steps)
    values, outs, refs = [], [], []
    with _model_on(model, device, dtype):
        _check_target(model, torch.as_tensor(X[:1]).to(device, dtype), target)
        batches = range(0, X.shape[0], per_batch)
        for start in progress(batches, desc=desc, unit="batch"):
            x = torch.as_tensor(X[start : start + per_batch]).to(device, dtype)
            b = torch.as_tensor(base[start : start + per_batch]).to(device, dtype)
            path = (b[None] + alphas[:, None, None, None] * (x - b)[None]).reshape(-1, *x.shape[1:])
            path.requires_grad_(True)
            with torch.enable_grad():
                y = select_output(model(path), target)
                (g,) = torch.autograd.grad(y.sum(), path, allow_unused=True)
            g = torch.zeros_like(path) if g is None else g
            avg = (g.reshape(n_steps, *x.shape) * w[:, None, None, None]).sum(0)
            values.append((avg * (x - b)).detach())
            with torch.no_grad():
                outs.append(select_output(model(x), target).double())
                refs.append(select_output(model(b), target).double())
    return (
        torch.cat(values).cpu(),
        torch.cat(outs).cpu().numpy(),
        torch.cat(refs).cpu().numpy(),
    )


# ---------------------------------------------------------------------------------------
# DeepLIFT / DeepSHAP


def deeplift(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    references: ReferenceKind | npt.ArrayLike = "auto",
    n_references: int = 1,
    batch_size: int = 64,
    device: str | torch.device | None = None,
    dtype: Dtype = "float32",
    seed: int = 0,
    ig_steps: int = 8,
    max_ig_steps: int = 256,
) -> Attribution:
    """DeepLIFT with the rescale rule (Shrikumar et al. 2017), biodl's own implementation.

    Every operation of the model gets a rule that preserves summation (see
    :mod:`biodl.interpret._deeplift`): rescale for element-wise non-linearities,
    functional ones included; a summation-preserving rule for max-pooling and maxima;
    the midpoint rule for products of input-dependent tensors (attention); and for
    recurrent layers (LSTM, GRU), softmax and any other operation, *block integrated
    gradients*: the block's multipliers are the integrated gradients of its outputs
    along the straight line from its reference input to its actual input, with as
    many Gauss-Legendre nodes (``ig_steps``, doubled up to ``max_ig_steps``) as its
    own summation needs. So ``values.sum((1, 2)) == outputs - reference_outputs``
    (``delta`` about 1e-7 in float32, 1e-15 in float64).

    Parameters
    ----------
    model, X, target, device
        As :func:`saliency`.
    references
        A :data:`ReferenceKind` or an array ``(N, K, C, L)`` (``K`` references per
        input), ``(N, C, L)`` or ``(C, L)``.
    n_references
        References per input when they are made here (``K``).
    batch_size
        Input-reference pairs per pass; the result does not depend on it.
    dtype
        ``float64`` runs the model in double precision (for exact checks).
    seed
        For shuffled references (see :func:`make_references`).
    ig_steps, max_ig_steps
        First and largest number of quadrature nodes of a block rule.

    Returns
    -------
    Attribution
        ``values`` ``(N, C, L)`` = mean over references of ``m * (x - r)``; ``delta``;
        ``reference_outputs`` (mean over references); ``hypothetical``; ``info["rules"]``
        counts the operations per rule.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 2), torch.nn.ReLU(),
    ...                           torch.nn.Linear(2, 1))
    >>> a = deeplift(net, np.ones((2, 4, 2)), references="zeros", device="cpu")
    >>> a.values.shape, bool(np.abs(a.delta).max() < 1e-5)
    ((2, 4, 2), True)
    """
    arr = _as_array(X)
    _check_batch_size(batch_size)
    refs = _references(arr, references, n_references, seed, model)
    k = refs.shape[1]
    dev, tdtype = _resolve(device), _torch_dtype(dtype)
    stats = DeepLiftStats()
    n = arr.shape[0]
    values = torch.zeros(arr.shape, dtype=torch.float64)
    hypothetical = torch.zeros(arr.shape, dtype=torch.float64)
    sums = torch.zeros(2, n, dtype=torch.float64)  # f(x), f(r) summed over references
    pair_index = np.repeat(np.arange(n), k)  # pairs: input-major, reference-minor
    ref_index = np.tile(np.arange(k), n)
    with _model_on(model, dev, tdtype):
        _check_target(model, torch.as_tensor(arr[:1]).to(dev, tdtype), target)
        batches = range(0, n * k, batch_size)
        for start in progress(batches, desc=f"DeepLIFT ({k} references each)", unit="batch"):
            rows = pair_index[start : start + batch_size]
            x = torch.as_tensor(arr[rows]).to(dev, tdtype)
            r = torch.as_tensor(refs[rows, ref_index[start : start + batch_size]]).to(dev, tdtype)
            m, fx, fr = deeplift_multipliers(
                model,
                x,
                r,
                target=target,
                ig_steps=ig_steps,
                max_ig_steps=max_ig_steps,
                stats=stats,
            )
            index = torch.as_tensor(rows)
            values.index_add_(0, index, (m * (x - r)).double().cpu())
            hypothetical.index_add_(0, index, (m - (m * r).sum(dim=1, keepdim=True)).double().cpu())
            sums[0].index_add_(0, index, fx.double().cpu())
            sums[1].index_add_(0, index, fr.double().cpu())
    values, hypothetical, sums = values / k, hypothetical / k, sums / k
    outs, ref_outs = sums[0].numpy(), sums[1].numpy()
    delta = values.sum(dim=(1, 2)).numpy() - (outs - ref_outs)
    info = {
        "n_references": k,
        "references": references if isinstance(references, str) else "array",
        "rules": dict(sorted(stats.rules.items())),
        "block_steps": stats.block_steps,
        "block_error": stats.block_error,
        "dtype": dtype,
    }
    name = "deepshap" if k > 1 else "deeplift"
    return Attribution(
        name,
        values.float().numpy(),
        target,
        outs,
        delta,
        ref_outs,
        hypothetical.float().numpy(),
        info,
    )


def _references(
    X: np.ndarray,
    references: ReferenceKind | npt.ArrayLike,
    n: int,
    seed: int,
    model: nn.Module | None = None,
) -> npt.NDArray[np.float32]:
    if isinstance(references, str):
        return _graph_or_references(model, X, cast(ReferenceKind, references), n, seed)
    refs = np.asarray(references, dtype=np.float32)
    if refs.shape == X.shape[1:]:
        refs = np.broadcast_to(refs, (X.shape[0], 1, *X.shape[1:]))
    elif refs.shape == X.shape:
        refs = refs[:, None]
    if refs.ndim != 4 or refs.shape[0] != X.shape[0] or refs.shape[2:] != X.shape[1:]:
        raise InputError(f"references of shape {refs.shape} do not fit X {X.shape}")
    return np.ascontiguousarray(refs)


def deepshap(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    references: ReferenceKind | npt.ArrayLike = "auto",
    n_references: int = 20,
    batch_size: int = 64,
    device: str | torch.device | None = None,
    dtype: Dtype = "float32",
    seed: int = 0,
    ig_steps: int = 8,
    max_ig_steps: int = 256,
) -> Attribution:
    """DeepSHAP: :func:`deeplift` averaged over ``n_references`` references per input.

    The references are dinucleotide shuffles of each DNA/RNA sequence by default
    (column shuffles for proteins, zeros for packed inputs), deterministic given
    ``seed``. ``values`` sum to ``f(x) - mean_k f(r_k)``. Parameters as
    :func:`deeplift`.

    Examples
    --------
    >>> from biodl.encode import one_hot
    >>> net = torch.nn.Sequential(torch.nn.Conv1d(4, 3, 3), torch.nn.ReLU(),
    ...                           torch.nn.MaxPool1d(2), torch.nn.Flatten(), torch.nn.Linear(12, 1))
    >>> a = deepshap(net, one_hot(["ACGTTGCAAG"]), n_references=4, device="cpu")
    >>> a.info["n_references"], bool(abs(a.delta[0]) < 1e-5)
    (4, True)
    """
    return deeplift(
        model,
        X,
        target=target,
        references=references,
        n_references=n_references,
        batch_size=batch_size,
        device=device,
        dtype=dtype,
        seed=seed,
        ig_steps=ig_steps,
        max_ig_steps=max_ig_steps,
    )


# ---------------------------------------------------------------------------------------
# model-agnostic methods (captum)


def _feature_mask(shape: tuple[int, ...], window: int) -> torch.Tensor:
    """One feature per position (or per ``window`` positions): ``(1, *shape[1:])``."""
    check_positive_int("window", window)
    last = shape[-1]
    groups = torch.arange(last) // window
    return groups.expand(*shape[1:]).reshape(1, *shape[1:]).contiguous()


def _perturbation(
    kind: Literal["lime", "kernel_shap"],
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int,
    window: int,
    n_samples: int,
    baseline: ReferenceKind | npt.ArrayLike,
    batch_size: int,
    device: str | torch.device | None,
    seed: int,
) -> Attribution:
    from captum.attr import KernelShap, Lime

    arr = _as_array(X, ndims=(2, 3))
    _check_batch_size(batch_size)
    if n_samples < 2:
        raise InputError(f"n_samples must be at least 2, not {n_samples}")
    if arr.ndim == 3:
        base = _baseline(arr, baseline, seed, model)
    elif isinstance(baseline, str):  # (N, F) input: only a zero baseline is named
        base = np.zeros_like(arr, dtype=np.float32)
    else:
        base = np.broadcast_to(np.asarray(baseline, dtype=np.float32), arr.shape)
    dev = _resolve(device)
    mask = _feature_mask(arr.shape, window).to(dev)
    values = np.zeros(arr.shape, dtype=np.float64)
    outs, refs = np.zeros(arr.shape[0]), np.zeros(arr.shape[0])
    with _model_on(model, dev, torch.float32):

        def forward(x: torch.Tensor) -> torch.Tensor:
            out = model(x)
            return select_output(out, target) if out.ndim > 1 else out

        if arr.ndim == 3:
            _check_target(model, torch.as_tensor(arr[:1]).to(dev, torch.float32), target)
        explainer = (Lime if kind == "lime" else KernelShap)(forward)
        for i in progress(range(arr.shape[0]), desc=kind, unit="seq"):
            torch.manual_seed(seed + i)
            x = torch.as_tensor(arr[i : i + 1], dtype=torch.float32, device=dev)
            b = torch.as_tensor(base[i : i + 1], dtype=torch.float32, device=dev)
            coef = explainer.attribute(
                x,
                baselines=b,
                feature_mask=mask,
                n_samples=n_samples,
                perturbations_per_eval=batch_size,
            )
            # spread each feature's coefficient over the elements that differ from the
            # baseline (the observed letter of one-hot input), so the map sums to the
            # sum of the coefficients
            differs = (x != b).double()
            flat_mask = mask.reshape(-1)
            count = torch.zeros(int(flat_mask.max()) + 1, dtype=torch.float64, device=dev)
            count.scatter_add_(0, flat_mask, differs.reshape(-1))
            per_element = differs / count[mask].clamp(min=1.0)
            values[i] = (coef.double() * per_element).cpu().numpy()[0]
            with torch.no_grad():
                outs[i] = float(forward(x)[0])
                refs[i] = float(forward(b)[0])
    delta = values.reshape(arr.shape[0], -1).sum(axis=1) - (outs - refs)
    info = {"window": window, "n_samples": n_samples, "seed": seed}
    return Attribution(
        kind,
        values.astype(np.float32),
        target,
        outs,
        delta if kind == "kernel_shap" else None,
        refs,
        info=info,
    )


def lime(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    window: int = 1,
    n_samples: int = 200,
    baseline: ReferenceKind | npt.ArrayLike = "zeros",
    batch_size: int = 64,
    device: str | torch.device | None = None,
    seed: int = 0,
) -> Attribution:
    """LIME (captum ``Lime``): a local linear surrogate over positions or windows.

    Each feature is one position (all its channels), or ``window`` consecutive
    positions; a perturbed sample replaces the features turned off by the
    ``baseline``. The coefficient of a feature is spread evenly over its elements
    that differ from the baseline (the observed letters of one-hot input). Works on
    ``(N, C, L)`` and on ``(N, F)`` inputs (features of ``window`` columns).

    Parameters
    ----------
    model, X, target, device
        As :func:`saliency`.
    window
        Positions per feature.
    n_samples
        Perturbed samples per input.
    baseline
        What a turned-off feature becomes (:data:`ReferenceKind` or an array).
    batch_size
        Perturbed samples per forward pass.
    seed
        Sampling is deterministic given ``seed``.

    Examples
    --------
    >>> lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 1))
    >>> lime(lin, np.ones((1, 4, 2)), n_samples=20, device="cpu").values.shape  # doctest: +SKIP
    (1, 4, 2)
    """
    return _perturbation(
        "lime",
        model,
        X,
        target=target,
        window=window,
        n_samples=n_samples,
        baseline=baseline,
        batch_size=batch_size,
        device=device,
        seed=seed,
    )


def kernel_shap(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    window: int = 1,
    n_samples: int = 200,
    baseline: ReferenceKind | npt.ArrayLike = "zeros",
    batch_size: int = 64,
    device: str | torch.device | None = None,
    seed: int = 0,
) -> Attribution:
    """KernelSHAP (captum ``KernelShap``) over positions or windows; see :func:`lime`.

    ``delta`` is ``sum(values) - (f(x) - f(baseline))`` (near 0: SHAP values are
    efficient, up to sampling).

    Examples
    --------
    >>> lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 1))
    >>> a = kernel_shap(lin, np.ones((1, 4, 2)), n_samples=30, device="cpu")  # doctest: +SKIP
    >>> bool(abs(a.delta[0]) < 1e-4)  # doctest: +SKIP
    True
    """
    return _perturbation(
        "kernel_shap",
        model,
        X,
        target=target,
        window=window,
        n_samples=n_samples,
        baseline=baseline,
        batch_size=batch_size,
        device=device,
        seed=seed,
    )


# ---------------------------------------------------------------------------------------
# attention and ISM


def attention(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    batch_size: int = 128,
    device: str | torch.device | None = None,
) -> Attribution:
    """Attention weights of a model with ``.attention(x) -> (N, L)`` (DeepLoc).

    The weight of each position is spread over its channels in proportion to
    ``|x|`` (for one-hot input: all of it on the observed letter), so ``values`` is
    ``(N, C, L)`` and sums to 1 per sequence. The weights do not depend on
    ``target``.

    Raises
    ------
    InputError
        If the model has no ``attention`` method.
    """
    method = getattr(model, "attention", None)
    if not callable(method):
        raise InputError(f"{type(model).__name__} has no attention weights (no .attention())")
    arr = _as_array(X)
    _check_batch_size(batch_size)
    dev = _resolve(device)
    weights = []
    with _model_on(model, dev, torch.float32), torch.no_grad():
        _check_target(model, torch.as_tensor(arr[:1]).to(dev, torch.float32), target)
        for start in range(0, arr.shape[0], batch_size):
            x = torch.as_tensor(arr[start : start + batch_size]).to(dev, torch.float32)
            weights.append(cast(torch.Tensor, method(x)).double().cpu())
        outs = _outputs(model, arr, target, batch_size, dev)
    w = torch.cat(weights).numpy()
    mag = np.abs(arr.astype(np.float64))
    share = mag / np.clip(mag.sum(axis=1, keepdims=True), 1e-12, None)
    return Attribution("attention", (w[:, None, :] * share).astype(np.float32), target, outs)


def _ism(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    batch_size: int = 128,
    device: str | torch.device | None = None,
) -> Attribution:
    """In-silico mutagenesis through :func:`biodl.interpret.ism.ism` (when installed)."""
    try:
        from biodl.interpret.ism import ism as _run_ism
    except ImportError as exc:  # the ism module is written separately
        raise InputError("in-silico mutagenesis (biodl.interpret.ism) is not available") from exc
    arr = _as_array(X)
    dev = _resolve(device)
    values = np.asarray(
        _run_ism(model, arr, target=target, batch_size=batch_size, device=dev), dtype=np.float32
    )
    with _model_on(model, dev, torch.float32):
        outs = _outputs(model, arr, target, batch_size, dev)
    return Attribution("ism", values, target, outs)


_METHOD_FUNCS: dict[str, Callable[..., Attribution]] = {
    "saliency": saliency,
    "input_x_gradient": input_x_gradient,
    "integrated_gradients": integrated_gradients,
    "deeplift": deeplift,
    "deepshap": deepshap,
    "lime": lime,
    "kernel_shap": kernel_shap,
    "ism": _ism,
    "attention": attention,
}


def attribute(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    method: Method,
    target: int = 0,
    **options: Any,
) -> Attribution:
    """Attributions of ``model``'s output ``target`` for inputs ``X`` by ``method``.

    Parameters
    ----------
    model
        Maps ``(N, C, L)`` to ``(N, T)`` (or per-position ``(N, T, L')``).
    X
        Inputs ``(N, C, L)``.
    method
        One of :data:`METHODS`.
    target
        Output to explain.
    **options
        Passed to the method's function (``batch_size``, ``device``, ``n_references``,
        ``baseline``, ``n_steps``, ``window``...).

    Returns
    -------
    Attribution

    Examples
    --------
    >>> lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 1))
    >>> attribute(lin, np.ones((3, 4, 2)), method="saliency", device="cpu").values.shape
    (3, 4, 2)
    """
    if method not in _METHOD_FUNCS:
        raise InputError(f"unknown attribution method {method!r}: use one of {', '.join(METHODS)}")
    return _METHOD_FUNCS[method](model, X, target=target, **options)
