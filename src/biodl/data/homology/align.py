"""Pairwise alignment of two proteins: identity and coverage.

Identity and coverage
---------------------
A pair of proteins ``a``, ``b`` is aligned locally (Smith-Waterman) with BLOSUM62 and
BLAST's default affine gaps 11/1 (a gap of ``n`` residues scores ``-(11 + n)``), by
Biopython's ``PairwiseAligner``; the first optimal alignment is used, with the pair put
in a fixed order (shorter first, then alphabetical) so the result is symmetric. Then

* ``identity = identical aligned columns / min(len(a), len(b))`` (MMseqs2's
  ``--seq-id-mode 1``, CD-HIT's definition), and
* ``coverage = min(span_a / len(a), span_b / len(b), min(len) / max(len))``, where
  ``span`` is the stretch of the sequence from its first to its last aligned residue
  (gaps inside included), as MMseqs2's ``-c`` with ``--cov-mode 0``. The length ratio
  is part of the definition because MMseqs2's prefilter imposes it for
  ``--cov-mode 0`` (its ``canBeCovered`` check), so both paths agree.

Two proteins are *linked* when ``identity >= identity threshold`` and
``coverage >= coverage threshold``. Letters ``J``, ``U``, ``O`` align as ``X``, and
``X`` against ``X`` does not count as identical.

Examples
--------
>>> pairwise_identity("MKTAYIAKQR", "MKTEYIAKQR")  # one substitution in ten
0.9
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, NamedTuple

import numpy as np

from biodl.data.homology._common import _clean

__all__ = ["PairAlignment", "align_pair", "pairwise_identity"]

_INSTALL_MESSAGE = (
    "homology clustering without MMseqs2 needs Biopython: pip install 'biodl[protein]' "
    "(or pip install biopython), or install MMseqs2 (e.g. apt-get install mmseqs2)"
)

_GAP_OPEN = -12.0
"""Score of the first residue of a gap (BLAST's open 11 + extend 1)."""
_GAP_EXTEND = -1.0


_ALIGN_ALPHABET = bytes.maketrans(b"JUO", b"XXX")
"""Letters outside BLOSUM62 align as ``X``; an ``X`` facing an ``X`` is not an identity."""
_X = ord("X")


class PairAlignment(NamedTuple):
    """Identity and coverage of the best local alignment of two proteins.

    Attributes
    ----------
    identity
        Identical aligned columns over the length of the shorter sequence.
    coverage
        ``min(span_a / len(a), span_b / len(b), min(len) / max(len))``.
    n_identical
        Identical aligned columns.
    span_a, span_b
        Aligned stretch of each sequence, 0-based half-open ``(start, end)``;
        ``(0, 0)`` when no local alignment scores above zero.
    """

    identity: float
    coverage: float
    n_identical: int
    span_a: tuple[int, int]
    span_b: tuple[int, int]


@functools.cache
def _aligner() -> Any:
    """Biopython's local aligner with BLOSUM62 and gaps 11/1 (or the install error)."""
    try:
        align = importlib.import_module("Bio.Align")
        matrices = importlib.import_module("Bio.Align.substitution_matrices")
    except ImportError as exc:
        raise ModuleNotFoundError(_INSTALL_MESSAGE) from exc
    return align.PairwiseAligner(
        mode="local",
        substitution_matrix=matrices.load("BLOSUM62"),
        open_gap_score=_GAP_OPEN,
        extend_gap_score=_GAP_EXTEND,
    )


def _align_clean(a: str, b: str) -> PairAlignment:
    """:func:`align_pair` on upper-case, checked sequences."""
    swap = (len(b), b) < (len(a), a)
    x, y = (b, a) if swap else (a, b)
    xs = x.translate(_ALIGN_ALPHABET)
    ys = y.translate(_ALIGN_ALPHABET)
    alignments = _aligner().align(xs, ys)
    shorter, longer = len(x), len(y)
    if alignments.score <= 0:
        return PairAlignment(0.0, 0.0, 0, (0, 0), (0, 0))
    blocks = np.asarray(alignments[0].aligned, dtype=np.int64)  # (2, n_blocks, 2)
    xb = np.frombuffer(xs.encode("ascii"), dtype=np.uint8)
    yb = np.frombuffer(ys.encode("ascii"), dtype=np.uint8)
    same = 0
    for (x0, x1), (y0, y1) in zip(blocks[0].tolist(), blocks[1].tolist(), strict=True):
        column = xb[x0:x1]
        same += int(np.count_nonzero((column == yb[y0:y1]) & (column != _X)))
    span_x = (int(blocks[0, 0, 0]), int(blocks[0, -1, 1]))
    span_y = (int(blocks[1, 0, 0]), int(blocks[1, -1, 1]))
    coverage = min(
        (span_x[1] - span_x[0]) / shorter, (span_y[1] - span_y[0]) / longer, shorter / longer
    )
    if swap:
        span_x, span_y = span_y, span_x
    return PairAlignment(same / shorter, coverage, same, span_x, span_y)


def align_pair(a: str, b: str) -> PairAlignment:
    """Best local alignment of two proteins, as identity and coverage.

    Smith-Waterman with BLOSUM62 and gaps 11/1 (Biopython ``PairwiseAligner``); see the
    module docstring for the definitions. Symmetric in ``a`` and ``b``.

    Parameters
    ----------
    a, b
        Protein sequences (letters of the protein alphabet, any case).

    Returns
    -------
    PairAlignment
        ``(identity, coverage, n_identical, span_a, span_b)``.

    Raises
    ------
    InputError
        A sequence is empty or holds a letter outside the protein alphabet.
    ModuleNotFoundError
        Biopython is not installed.

    Examples
    --------
    >>> r = align_pair("MKTAYIAKQR", "GGMKTAYIAKQRGG")
    >>> r.identity, r.n_identical, r.span_a, r.span_b
    (1.0, 10, (0, 10), (2, 12))
    >>> round(r.coverage, 3)  # length ratio 10/14
    0.714
    """
    x, y = _clean([a, b])
    return _align_clean(x, y)


def pairwise_identity(a: str, b: str) -> float:
    """Identity of two proteins: identical aligned columns / length of the shorter one.

    The alignment is the best local alignment (BLOSUM62, gaps 11/1); coverage is not
    checked here (see :func:`align_pair`).

    Examples
    --------
    >>> pairwise_identity("MKTAYIAKQR", "MKTAYIAKQR")
    1.0
    >>> pairwise_identity("MKTAYIAKQR", "MKTEYIAKQR")  # one substitution in ten
    0.9
    >>> pairwise_identity("MKTAYIAKQR", "MKTAYIAKQRLLLLLLLLLL")  # contained: 10/10
    1.0
    """
    return align_pair(a, b).identity
