"""BLOSUM62 encoding of proteins: each residue as its row of substitution scores.

The row of residue ``a`` holds the BLOSUM62 score of ``a`` against each of the 20 amino
acids, in the one-hot channel order ``ACDEFGHIKLMNPQRSTVWY``, so a BLOSUM62-encoded
protein has the shape of its one-hot encoding, ``(20, L)``, and similar residues get
similar columns (Henikoff & Henikoff 1992, *PNAS* 89:10915). Scores are the integers of
NCBI's BLOSUM62 (half-bits), as floats, unscaled.

Ambiguous codes get the mean of the rows they stand for (``B``: N/D, ``Z``: Q/E, ``J``:
I/L), ``U`` (selenocysteine) the row of C and ``O`` (pyrrolysine) that of K. ``X``
(unknown) and the padding are all-zero columns, as in the one-hot encoding, so a mask of
non-zero columns (:func:`biodl.models.masking.padding_mask`) treats both alike; no real
residue has an all-zero row.

Examples
--------
>>> x = blosum62_encode(["WAX"])
>>> x.shape, x[0, :, 0].max(), float(x[0, 0, 1]), float(abs(x[0, :, 2]).sum())
((1, 20, 3), np.float32(11.0), 4.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError

__all__ = ["BLOSUM62", "BLOSUM62_ORDER", "blosum62_encode"]

#: Residue order of the rows and columns of :data:`BLOSUM62` (NCBI's order).
BLOSUM62_ORDER = "ARNDCQEGHILKMFPSTWYV"

_NCBI = """
 4 -1 -2 -2  0 -1 -1  0 -2 -1 -1 -1 -1 -2 -1  1  0 -3 -2  0
-1  5  0 -2 -3  1  0 -2  0 -3 -2  2 -1 -3 -2 -1 -1 -3 -2 -3
-2  0  6  1 -3  0  0  0  1 -3 -3  0 -2 -3 -2  1  0 -4 -2 -3
-2 -2  1  6 -3  0  2 -1 -1 -3 -4 -1 -3 -3 -1  0 -1 -4 -3 -3
 0 -3 -3 -3  9 -3 -4 -3 -3 -1 -1 -3 -1 -2 -3 -1 -1 -2 -2 -1
-1  1  0  0 -3  5  2 -2  0 -3 -2  1  0 -3 -1  0 -1 -2 -1 -2
-1  0  0  2 -4  2  5 -2  0 -3 -3  1 -2 -3 -1  0 -1 -3 -2 -2
 0 -2  0 -1 -3 -2 -2  6 -2 -4 -4 -2 -3 -3 -2  0 -2 -2 -3 -3
-2  0  1 -1 -3  0  0 -2  8 -3 -3 -1 -2 -1 -2 -1 -2 -2  2 -3
-1 -3 -3 -3 -1 -3 -3 -4 -3  4  2 -3  1  0 -3 -2 -1 -3 -1  3
-1 -2 -3 -4 -1 -2 -3 -4 -3  2  4 -2  2  0 -3 -2 -1 -2 -1  1
-1  2  0 -1 -3  1  1 -2 -1 -3 -2  5 -1 -3 -1  0 -1 -3 -2 -2
-1 -1 -2 -3 -1  0 -2 -3 -2  1  2 -1  5  0 -2 -1 -1 -1 -1  1
-2 -3 -3 -3 -2 -3 -3 -3 -1  0  0 -3  0  6 -4 -2 -2  1  3 -1
-1 -2 -2 -1 -3 -1 -1 -2 -2 -3 -3 -1 -2 -4  7 -1 -1 -4 -3 -2
 1 -1  1  0 -1  0  0  0 -1 -2 -2  0 -1 -2 -1  4  1 -3 -2 -2
 0 -1  0 -1 -1 -1 -1 -2 -2 -1 -1 -1 -1 -2 -1  1  5 -2 -2  0
-3 -3 -4 -4 -2 -2 -3 -2 -2 -3 -2 -3 -1  1 -4 -3 -2 11  2 -3
-2 -2 -2 -3 -2 -1 -2 -3  2 -1 -1 -2 -1  3 -3 -2 -2  2  7 -1
 0 -3 -3 -3 -1 -2 -2 -3 -3  3  1 -2  1 -1 -2 -2  0 -3 -1  4
"""

#: BLOSUM62 scores, ``(20, 20)`` int8, rows and columns in :data:`BLOSUM62_ORDER`.
BLOSUM62: npt.NDArray[np.int8] = np.array(
    [[int(v) for v in row.split()] for row in _NCBI.strip().splitlines()], dtype=np.int8
)
BLOSUM62.setflags(write=False)

_CHANNELS = "ACDEFGHIKLMNPQRSTVWY"  # the one-hot channel order of biodl.io.ALPHABETS


def _lookup() -> npt.NDArray[np.float32]:
    """``(256, 20)``: byte -> column of scores in channel order (zero for X, padding)."""
    reorder = [BLOSUM62_ORDER.index(a) for a in _CHANNELS]
    rows: dict[str, npt.NDArray[Any]] = {
        a: BLOSUM62[BLOSUM62_ORDER.index(a), reorder].astype(np.float32) for a in _CHANNELS
    }
    rows["B"] = (rows["N"] + rows["D"]) / 2
    rows["Z"] = (rows["Q"] + rows["E"]) / 2
    rows["J"] = (rows["I"] + rows["L"]) / 2
    rows["U"] = rows["C"]
    rows["O"] = rows["K"]
    table = np.zeros((256, 20), dtype=np.float32)
    for letter, row in rows.items():
        table[ord(letter)] = row
        table[ord(letter.lower())] = row
    return table


_TABLE = _lookup()
_KNOWN = frozenset(_CHANNELS + "BZJUOX" + (_CHANNELS + "BZJUOX").lower())


def blosum62_encode(
    sequences: str | Sequence[str], *, dtype: npt.DTypeLike = np.float32
) -> npt.NDArray[Any]:
    """BLOSUM62 columns of proteins of equal length, ``(N, 20, L)`` (channels first).

    Parameters
    ----------
    sequences
        One protein or several of the same length ``L`` (20 amino acids, ``BZJUOX``,
        either case).
    dtype
        Output type (float32 by default; float16 is exact for these values).

    Raises
    ------
    InputError
        Unequal lengths, or a letter that is not an amino-acid code.
    """
    seqs = [sequences] if isinstance(sequences, str) else list(sequences)
    if not seqs:
        return np.zeros((0, 20, 0), dtype=dtype)
    length = len(seqs[0])
    for i, s in enumerate(seqs):
        if len(s) != length:
            raise InputError(
                f"sequence {i} is {len(s)} long, not {length}: BLOSUM62 encoding needs one length"
            )
    data = np.frombuffer("".join(seqs).encode("latin-1", errors="replace"), dtype=np.uint8)
    bad = set(np.unique(data).tobytes().decode("latin-1")) - _KNOWN
    if bad:
        letter = sorted(bad)[0]
        index = "".join(seqs).index(letter)
        raise InputError(
            f"illegal character {letter!r} for BLOSUM62 in sequence {index // max(length, 1)}"
        )
    out = _TABLE[data].reshape(len(seqs), length, 20).transpose(0, 2, 1)
    return np.ascontiguousarray(out, dtype=dtype)
