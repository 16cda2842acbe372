"""Dinucleotide (second-order) one-hot encoding, channels first.

Janggu's higher-order encoding (Kopp et al. 2020, *Nat Commun* 11:3488): position ``i``
carries a one in channel ``4 * a + b`` when the letters at ``i`` and ``i + 1`` are
``a`` and ``b`` (``0 .. 3`` in ``ACGT`` / ``ACGU`` order), so the 16 channels are
``AA, AC, AG, AT, CA, ..., TT`` -- the order of :func:`biodl.encode.kmer_names` with
``k = 2``. A first convolution layer then sees neighbour dependencies directly.

Two conventions differ from Janggu's:

- The length is kept: the array has ``L`` positions, not ``L - 1``, so a model takes
  the same length as with :func:`biodl.encode.one_hot`. The last position starts no
  dinucleotide and is all zero.
- A dinucleotide holding an unknown letter (``N``) is all zero.

:func:`dinucleotide_reverse_complement` maps the encoding of a sequence to the encoding
of its reverse complement exactly (see there for the permutation and the shift).

Examples
--------
>>> X = dinucleotide_one_hot("ACGT")
>>> X.shape
(16, 4)
>>> [int(c) for c in X.argmax(axis=0)[:3]]  # AC, CG, GT
[1, 6, 11]
>>> bool(X[:, 3].any())  # last position: no dinucleotide starts there
False
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import numpy.typing as npt

from biodl.encode.onehot import one_hot
from biodl.errors import InputError

if TYPE_CHECKING:
    import torch

__all__ = ["DINUCLEOTIDE_RC_PERMUTATION", "dinucleotide_one_hot", "dinucleotide_reverse_complement"]


def _rc_permutation() -> npt.NDArray[np.int64]:
    letters = np.arange(4)
    first, second = np.divmod(np.arange(16), 4)
    complement = letters[::-1]  # A<->T, C<->G is reversing ACGT
    return (4 * complement[second] + complement[first]).astype(np.int64)


DINUCLEOTIDE_RC_PERMUTATION: npt.NDArray[np.int64] = _rc_permutation()
"""Channel of the reverse complement of each dinucleotide channel.

The reverse complement of the dinucleotide ``(a, b)`` is ``(comp(b), comp(a))``; with
``comp(x) = 3 - x`` in ``ACGT`` order, channel ``c = 4a + b`` goes to
``4 (3 - b) + (3 - a)``. The permutation is its own inverse (AT, CG, GC and TA map to
themselves)."""
DINUCLEOTIDE_RC_PERMUTATION.setflags(write=False)
_RC_CHANNELS: list[int] = DINUCLEOTIDE_RC_PERMUTATION.tolist()


def dinucleotide_one_hot(
    sequences: str | Sequence[str],
    *,
    alphabet: Literal["dna", "rna"] = "dna",
    dtype: npt.DTypeLike = np.float32,
) -> npt.NDArray[Any]:
    """Dinucleotide one-hot encoding of one sequence or a batch of equal length.

    Parameters
    ----------
    sequences
        One sequence, or a sequence of sequences all of length ``L``. Lower case is
        accepted; ``N`` is the unknown letter.
    alphabet
        ``"dna"`` (letters ``ACGT``) or ``"rna"`` (``ACGU``). The channels are the same
        for both: ``4 * a + b`` with ``a, b`` the letters' indices.
    dtype
        Output dtype: boolean, integer or floating.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 16, L)`` for a batch, ``(16, L)`` for a single string. Position
        ``i < L - 1`` has a single one, in channel ``4 * a + b`` for the letters
        ``(a, b)`` at ``(i, i + 1)``, or is all zero when either letter is ``N``.
        Position ``L - 1`` is always all zero (kept so that models see ``L``
        positions, as with :func:`biodl.encode.one_hot`).

    Raises
    ------
    InputError
        Sequences of different lengths, a letter outside the alphabet (naming sequence
        and column), an unsupported alphabet or dtype.

    Examples
    --------
    >>> dinucleotide_one_hot(["AAC", "GNT"], dtype=np.int8)[:, [0, 1], :]
    array([[[1, 0, 0],
            [0, 1, 0]],
    <BLANKLINE>
           [[0, 0, 0],
            [0, 0, 0]]], dtype=int8)
    >>> dinucleotide_one_hot("ACGU", alphabet="rna").sum(axis=0)
    array([1., 1., 1., 0.], dtype=float32)
    """
    if alphabet not in ("dna", "rna"):
        raise InputError(f"dinucleotide encoding needs alphabet 'dna' or 'rna', not {alphabet!r}")
    dt = np.dtype(dtype)
    if dt.kind not in "biuf":
        raise InputError(f"dinucleotide dtype must be boolean, integer or floating, not {dt}")
    single = isinstance(sequences, str)
    # One boolean one-hot does the validation (length, letters, N -> all zero).
    X = one_hot(sequences, alphabet=alphabet, dtype=np.bool_)
    if single:
        X = X[None]
    n, _, length = X.shape
    out = np.zeros((n, 16, length), dtype=dt)
    if length > 1:
        # (N, 4, 1, L-1) & (N, 1, 4, L-1) -> (N, 4, 4, L-1): row a, column b is channel 4a+b.
        pairs = X[:, :, None, :-1] & X[:, None, :, 1:]
        out[:, :, :-1] = pairs.reshape(n, 16, length - 1)
    return out[0] if single else out


@overload
def dinucleotide_reverse_complement(X: npt.NDArray[Any]) -> npt.NDArray[Any]: ...
@overload
def dinucleotide_reverse_complement(X: torch.Tensor) -> torch.Tensor: ...
def dinucleotide_reverse_complement(
    X: npt.NDArray[Any] | torch.Tensor,
) -> npt.NDArray[Any] | torch.Tensor:
    """Reverse complement of a dinucleotide one-hot array of shape ``(..., 16, L)``.

    On the reverse complement ``r`` of a sequence ``s`` of length ``L``, the
    dinucleotide ``(s[i], s[i + 1])`` reads ``(comp(s[i + 1]), comp(s[i]))`` and
    starts at position ``L - 2 - i``. So the output is::

        Y[..., P[c], L - 2 - i] = X[..., c, i]     for i = 0 .. L - 2
        Y[..., P[c], L - 1]     = X[..., c, L - 1]

    with ``P`` = :data:`DINUCLEOTIDE_RC_PERMUTATION`: the channels permuted, the first
    ``L - 1`` positions reversed, and the last position -- all zero in the output of
    :func:`dinucleotide_one_hot`, and again in the result -- left in place. (This is
    reversing the whole length axis, then rolling it left by one.) Hence
    ``dinucleotide_reverse_complement(dinucleotide_one_hot(s))`` equals
    ``dinucleotide_one_hot(reverse_complement(s))`` exactly, and the function is its
    own inverse on any array.

    Parameters
    ----------
    X
        Shape ``(..., 16, L)``. NumPy array (returns a C-contiguous copy) or torch
        tensor (any device; differentiable).

    Returns
    -------
    numpy.ndarray or torch.Tensor
        Same type, shape and dtype as ``X``.

    Raises
    ------
    InputError
        ``X`` does not have 16 channels on its second-to-last axis.

    Examples
    --------
    >>> from biodl.encode import reverse_complement
    >>> X = dinucleotide_one_hot(["AACGN"])
    >>> Y = dinucleotide_reverse_complement(X)
    >>> bool((Y == dinucleotide_one_hot([reverse_complement("AACGN")])).all())
    True
    >>> bool((dinucleotide_reverse_complement(Y) == X).all())
    True
    """
    shape = tuple(X.shape)
    if len(shape) < 2 or shape[-2] != 16:
        raise InputError(f"expected dinucleotide one-hot of shape (..., 16, L), got shape {shape}")
    if shape[-1] == 0:
        return X.copy() if isinstance(X, np.ndarray) else X.clone()
    if isinstance(X, np.ndarray):
        permuted = X[..., DINUCLEOTIDE_RC_PERMUTATION, :]  # fancy index: a new array
        return np.ascontiguousarray(np.roll(permuted[..., ::-1], -1, axis=-1))
    return X[..., _RC_CHANNELS, :].flip(-1).roll(-1, -1)
