"""k-mer count features, vectorised with NumPy.

Each k-mer gets the base-``C`` number of its letters (first letter most significant),
so columns are in lexicographic order of the alphabet (``AA, AC, AG, AT, CA, ...``
for DNA, k = 2). K-mers holding an unknown letter (``N``, ``X``) are skipped. With
``canonical=True`` (DNA or RNA) a k-mer and its reverse complement share one column,
named after whichever of the two comes first.

Examples
--------
>>> kmer_names(2)[:5]
['AA', 'AC', 'AG', 'AT', 'CA']
>>> kmer_counts("ACGTN", 2, normalise=False)[[1, 6, 11]]
array([1, 1, 1])
>>> len(kmer_names(2, canonical=True))
10
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.alphabet import (
    ALPHABETS,
    ILLEGAL_CODE,
    AlphabetName,
    check_alphabet,
    code_table,
    describe_alphabet,
)

__all__ = ["kmer_counts", "kmer_names"]

_MAX_COLUMNS = 1 << 24


def _check_k(k: int, alphabet: AlphabetName, canonical: bool) -> int:
    n_letters = len(ALPHABETS[alphabet])
    if k < 1:
        raise InputError(f"k must be at least 1, not {k}")
    if n_letters**k > _MAX_COLUMNS:
        raise InputError(
            f"k={k} gives {n_letters}**{k} columns for alphabet {alphabet}, more than "
            f"{_MAX_COLUMNS}; choose a smaller k"
        )
    if canonical and alphabet == "protein":
        raise InputError("canonical k-mers need alphabet 'dna' or 'rna', not 'protein'")
    return n_letters


@lru_cache(maxsize=16)
def _canonical_columns(
    k: int, n_letters: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Column of each full k-mer index in the canonical table, and which are canonical."""
    full = np.arange(n_letters**k, dtype=np.int64)
    rest = full.copy()
    rc = np.zeros_like(full)
    for _ in range(k):
        rc = rc * n_letters + (n_letters - 1 - rest % n_letters)
        rest //= n_letters
    is_canonical = full <= rc
    column_of_canonical = np.cumsum(is_canonical) - 1
    column = column_of_canonical[np.minimum(full, rc)]
    column.setflags(write=False)
    is_canonical.setflags(write=False)
    return column, is_canonical


def kmer_names(k: int, *, alphabet: AlphabetName = "dna", canonical: bool = False) -> list[str]:
    """Names of the columns of :func:`kmer_counts`, in order.

    Examples
    --------
    >>> kmer_names(1, alphabet="rna")
    ['A', 'C', 'G', 'U']
    >>> kmer_names(2, canonical=True)
    ['AA', 'AC', 'AG', 'AT', 'CA', 'CC', 'CG', 'GA', 'GC', 'TA']
    """
    alphabet = check_alphabet(alphabet)
    n_letters = _check_k(k, alphabet, canonical)
    names = ["".join(p) for p in itertools.product(ALPHABETS[alphabet], repeat=k)]
    if not canonical:
        return names
    _, is_canonical = _canonical_columns(k, n_letters)
    return [names[i] for i in np.flatnonzero(is_canonical)]


def _codes(seqs: Sequence[str], alphabet: AlphabetName, single: bool) -> npt.NDArray[np.uint8]:
    joined = "".join(seqs)
    try:
        data = joined.encode("ascii")
        bad = -1
    except UnicodeEncodeError as exc:
        data, bad = b"", exc.start
    translated = data.translate(code_table(alphabet))
    if bad < 0:
        bad = translated.find(ILLEGAL_CODE)
    if bad >= 0:
        ends = np.cumsum(np.fromiter(map(len, seqs), np.int64, count=len(seqs)))
        index = int(np.searchsorted(ends, bad, side="right"))
        column = bad - (int(ends[index - 1]) if index else 0) + 1
        where = "of the sequence" if single else f"of sequence {index}"
        raise InputError(
            f"illegal character {joined[bad]!r} at column {column} {where} "
            f"({describe_alphabet(alphabet)})"
        )
    return np.frombuffer(translated, np.uint8)


def _kmer_index(
    codes: npt.NDArray[np.uint8], k: int, n_letters: int, canonical: bool
) -> npt.NDArray[np.int64]:
    """Base-``C`` index of the k-mer starting at each position ``0 .. len - k``."""
    m = codes.size - k + 1
    index = np.zeros(m, dtype=np.int64)
    for j in range(k):
        index *= n_letters
        index += codes[j : j + m]
    if canonical:
        rc = np.zeros(m, dtype=np.int64)
        for j in range(k):
            rc += (n_letters - 1 - codes[j : j + m].astype(np.int64)) * n_letters**j
        np.minimum(index, rc, out=index)
    return index


def _valid_starts(
    codes: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64], k: int, n_letters: int
) -> npt.NDArray[np.bool_]:
    """Which start positions begin a whole k-mer of known letters within one sequence."""
    m = codes.size - k + 1
    keep = np.ones(m, dtype=np.bool_)
    unknown = codes == n_letters
    if unknown.any():
        for j in range(k):
            keep &= ~unknown[j : j + m]
    # A start within k - 1 of a sequence end runs into the next sequence.
    ends = np.cumsum(lengths)
    for j in range(1, k):
        crossing = ends - j
        keep[crossing[(crossing >= 0) & (crossing < m)]] = False
    return keep


def kmer_counts(
    sequences: str | Sequence[str],
    k: int,
    *,
    alphabet: AlphabetName = "dna",
    canonical: bool = False,
    normalise: bool = True,
) -> npt.NDArray[Any]:
    """Count the k-mers of each sequence (overlapping, sequences of any lengths).

    Parameters
    ----------
    sequences
        One sequence or several; lower case accepted.
    k
        k-mer length (``>= 1``).
    alphabet
        ``"dna"``, ``"rna"`` or ``"protein"``.
    canonical
        Merge each k-mer with its reverse complement (DNA/RNA only).
    normalise
        Divide each row by its number of counted k-mers (rows sum to 1, or to 0 for a
        sequence with no whole k-mer of known letters).

    Returns
    -------
    numpy.ndarray
        Shape ``(N, C**k)`` (or ``(N, number of canonical k-mers)``), ``(C**k,)`` for a
        single string; ``float32`` when normalised, else ``int64`` counts. Columns as
        :func:`kmer_names`.

    Raises
    ------
    InputError
        Character outside the alphabet, ``k < 1``, too many columns, canonical
        protein k-mers.

    Examples
    --------
    >>> kmer_counts(["AAAC", "GTTT"], 2, canonical=True, normalise=False)[:, :3]
    array([[2, 1, 0],
           [2, 1, 0]])
    """
    alphabet = check_alphabet(alphabet)
    n_letters = _check_k(k, alphabet, canonical)
    single = isinstance(sequences, str)
    seqs: Sequence[str] = [sequences] if isinstance(sequences, str) else sequences
    n_columns = n_letters**k
    column: npt.NDArray[np.int64] | None = None
    if canonical:
        column, is_canonical = _canonical_columns(k, n_letters)
        n_columns = int(is_canonical.sum())
    counts = np.zeros((len(seqs), n_columns), dtype=np.int64)
    codes = _codes(seqs, alphabet, single)
    if codes.size >= k:
        lengths = np.fromiter(map(len, seqs), np.int64, count=len(seqs))
        keep = _valid_starts(codes, lengths, k, n_letters)
        index = _kmer_index(codes, k, n_letters, canonical)[keep]
        if column is not None:
            index = column[index]
        if len(seqs) > 1:
            seq_id = np.repeat(np.arange(len(seqs), dtype=np.int64), lengths)[: keep.size]
            index += seq_id[keep] * n_columns
        counts = np.bincount(index, minlength=counts.size).reshape(counts.shape)
    result: npt.NDArray[Any] = counts
    if normalise:
        totals = counts.sum(axis=1, keepdims=True)
        result = (counts / np.maximum(totals, 1)).astype(np.float32)
    return result[0] if single else result
