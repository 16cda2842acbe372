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
The model is read as a chain of layers from the description each module gives of
itself: its ``forward_chain()`` (:mod:`biodl.models.locality`; every zoo block, trunk
and head has one, and a :class:`~biodl.models.layers.SequenceModel` is its trunk then
its head, on both strands when ``strands`` is ``max``/``mean``); a plain
``nn.Sequential`` is its items; generic torch layers need no description. Modules are
expanded recursively, with no knowledge of the zoo's classes. The leading run of
locality-preserving layers is kept: ``Conv1d`` (zero or constant padding, any dilation
and stride), ``MaxPool1d``/``AvgPool1d`` (no padding), point-wise activations,
``BatchNorm1d`` and ``Dropout`` (eval mode), and residual blocks of these. Every
mutant is a window of changed positions that grows layer by layer by the exact
receptive-field arithmetic (padding, dilation and stride included, clipped at the
sequence ends):

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
Models with no local leading layer (the masked protein models: a substitution of a
padding column changes the mask) run naive. A model that does not describe itself (a
user's own ``nn.Module`` without ``forward_chain()``, or one whose first block has none)
also runs naive: with ``method="fast"`` :func:`ism` says so in a ``RuntimeWarning``;
with ``method="auto"`` (the default, used by the attribution and variant-scoring code)
it does so quietly. The input must be one-hot, so packed inputs (``deepmir``,
``deepcpg``) are refused.

The fast machinery is in :mod:`biodl.interpret._fast_ism`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
from torch import nn

from biodl.errors import InputError
from biodl.interpret._fast_ism import _fast, _fast_path, _mutant_inputs
from biodl.models.predict import _eval_on, default_device, predict
from biodl.models.validate import check_one_hot, check_positive_int, check_target

__all__ = ["DEFAULT_MEMORY_LIMIT", "ism"]

DEFAULT_MEMORY_LIMIT = 1 << 30
"""Bytes of working memory :func:`ism` aims to stay under when ``memory_limit`` is None."""

Tensor = torch.Tensor

METHODS = ("fast", "naive", "auto")
"""The values of ``method``."""


def _check_options(
    batch_size: int, method: str, memory_limit: int | None, positions: slice | None
) -> None:
    check_positive_int("batch_size", batch_size)
    if method not in METHODS:
        msg = f"method must be 'fast' or 'naive', or 'auto', not {method!r}"
        raise InputError(msg)
    if memory_limit is not None and (
        isinstance(memory_limit, bool) or not isinstance(memory_limit, int) or memory_limit < 1
    ):
        msg = f"memory_limit must be a positive number of bytes or None, not {memory_limit!r}"
        raise InputError(msg)
    if positions is not None and not isinstance(positions, slice):
        msg = f"positions must be a slice or None, not {type(positions).__name__}"
        raise InputError(msg)


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


def ism(
    model: nn.Module,
    X: np.ndarray | Tensor,
    *,
    target: int | None = 0,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    method: Literal["auto", "fast", "naive"] = "auto",
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
        ``"auto"`` (default): ``"fast"`` where the model describes its layers, else
        naive, quietly. ``"fast"``: recompute only the window a substitution changes in
        the leading convolutional layers (see the module docstring); models it cannot
        follow run naive, with a warning when the model does not describe itself.
        ``"naive"``: every mutant as a full forward pass. The result does not depend on
        it (to float rounding).
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
    biodl.errors.InputError
        (a ``ValueError``) If ``X`` is not one-hot ``(N, C, L)``, the model's output is
        not ``(N, T)``, ``target`` is out of range, or an option is invalid.

    Warns
    -----
    RuntimeWarning
        When the fast path does not reproduce the model and the naive path is used;
        with ``method="fast"``, also when the model (or its first block) has no
        ``forward_chain()`` (:mod:`biodl.models.locality`) and runs naive.

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
    x = check_one_hot(X)
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
        raise InputError(msg)
    if target is not None:
        target = check_target(target, ref.shape[1])
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
        fast, why, undescribed = (
            _fast_path(model, x, ref, batch_size, dev) if method != "naive" else (None, None, None)
        )
        if why is not None:
            warnings.warn(
                f"fast ISM cannot follow {type(model).__name__}: {why}; using the naive path",
                RuntimeWarning,
                stacklevel=2,
            )
        elif undescribed is not None and method == "fast":
            which = "it has" if undescribed == type(model).__name__ else f"its {undescribed} has"
            warnings.warn(
                f"fast ISM cannot follow {type(model).__name__}: {which} no forward_chain() "
                "describing its layers (biodl.models.locality); running naive ISM",
                RuntimeWarning,
                stacklevel=2,
            )
        if fast is not None:
            _fast(fast, x, muts, batch_size=batch_size, limit=limit, emit=emit)
        else:
            _naive(model, x, muts, batch_size=batch_size, device=dev, limit=limit, emit=emit)
    return result if target is None else result[:, 0]
