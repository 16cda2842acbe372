"""Homology-aware clustering and splitting of protein sets.

A random split of a protein set puts close homologues on both sides, so a model can
score well by recognising a relative it saw in training. This module clusters proteins
at a chosen sequence identity (30 % by default), keeps each cluster on one side of
every split or fold, and measures the largest identity left between a test and a
training protein, to be reported with the results.

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

Clustering
----------
The default ``linkage="single"`` takes the connected components of the graph of linked
pairs (union-find): every linked pair that was examined lies inside one cluster, so no
such pair can straddle a split. Chaining can make large clusters; the splitters below
cope with that. ``linkage="greedy"`` is CD-HIT's greedy incremental clustering
(longest first, each sequence joins the first representative it is linked to, else
becomes one): smaller clusters, but two members of different clusters can still be
linked, i.e. leak.

Two engines compute the links:

``"mmseqs"``
    `MMseqs2 <https://github.com/soedinglab/MMseqs2>`_ on ``PATH``. Single linkage runs
    an all-against-all ``mmseqs easy-search`` (``-s 7.5`` for the most sensitive
    prefilter, since 30 % identity is below what the default sensitivity finds
    reliably; ``--alignment-mode 3`` for real identities; ``--seq-id-mode 1``;
    ``-c coverage --cov-mode 0``; ``--min-seq-id identity - 0.05`` so that borderline
    pairs are re-checked rather than lost to rounding; ``-e inf`` so that only identity
    and coverage decide; ``--max-seqs 1000``). Identity and coverage are then recomputed
    from the reported alignments with the definition above, and the components taken
    here, which is exact single linkage over the pairs MMseqs2 reports (its own
    ``--cluster-mode 1`` runs on a cascade of representatives and can miss links
    between members). Greedy linkage runs ``mmseqs easy-cluster --cluster-mode 2
    --cluster-reassign 1`` with the same identity, coverage and sensitivity options.
``"python"``
    Biopython's aligner on candidate pairs chosen by a k-mer prefilter (below); for
    small sets (:data:`PYTHON_MAX_SEQUENCES`). ``exhaustive=True`` aligns every pair
    that the length ratio allows instead, which is exact but quadratic: about 2.5 ms per
    pair of 300-residue proteins, 10 ms per pair of 500-residue ones.

Prefilter of the Python path
----------------------------
No k-mer count bounds the identity at 30 % (the CD-HIT word bound is vacuous below
about 40 %), so the prefilter is a heuristic, calibrated on real proteins. For each pair
that passes the length ratio, exact dipeptide (k = 2) matches are counted per diagonal,
in windows of 9 neighbouring diagonals centred on every third diagonal (so that a few
indels do not split a homologous run, and the count is the same whichever sequence
comes first and whatever else is in the set); the pair is aligned if its best window
holds at least ``max(2, rho * min(len))`` matches, with ``rho = 0.07 * identity / 0.3``
(:func:`prefilter_rho`). Pairs below are *assumed* unlinked. Calibration on the
7,317 DeepLoc 1.0 training proteins (``shared/data/deeploc1_trainsubset``):

* of the 1,033 pairs linked at 30 % / 0.8 among those an all-against-all MMseqs2
  ``-s 7.5`` search reported (identity and coverage recomputed with Biopython), the
  prefilter keeps all (smallest statistic among those at 30-40 %: 0.077 per residue,
  so the margin is 10 %); at a 20-25 % threshold it loses 3 of about 1,200;
* on 404 of those proteins (220 from homologous pairs, 184 at random, all up to 350
  residues) aligned exhaustively, it keeps all 401 linked pairs (MMseqs2 ``-s 7.5``
  found 364 of them, missing short ones at 30-46 %; 305 against 302 clusters);
* it passes 9 % of the random DeepLoc pairs that meet the length ratio (3 % of random
  proteins of Swiss-Prot composition), and those alignments are most of the time spent.

What it cannot see are identities without runs (e.g. every other residue conserved);
real homologues at 30 % share short conserved blocks. ``exhaustive=True`` removes the
assumption. Identical sequences are merged before any alignment; in single linkage a
candidate pair whose sequences are already in one cluster is not aligned (strongest
candidates first), which does not change the result.

Splits and the reported identity
--------------------------------
:func:`homology_split` and :func:`homology_folds` place whole clusters;
:func:`max_cross_identity` (and :func:`nearest_identities`) measure the largest
identity between any test and any training protein, under the same coverage rule.

Examples
--------
>>> base = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
>>> homologue = base[:20] + "W" + base[21:40] + "C" + base[41:]
>>> other = "GSHMLEDPVDAFQLGPPLRSGTVAVCEMGNNIWDNCGPQYHRSLRLRDTVLEGAPLSVQWVR"
>>> cluster_sequences([base, other, homologue], method="python").tolist()
[0, 1, 0]
>>> pairwise_identity(base, homologue) == 64 / 66  # two substitutions in 66
True
"""

from __future__ import annotations

import functools
import importlib
import math
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.alphabet import code_table, validate_sequence

__all__ = [
    "PYTHON_MAX_SEQUENCES",
    "Linkage",
    "Method",
    "PairAlignment",
    "align_pair",
    "cluster_sequences",
    "homology_folds",
    "homology_split",
    "max_cross_identity",
    "mmseqs_available",
    "nearest_identities",
    "pairwise_identity",
    "prefilter_rho",
]

Method = Literal["auto", "mmseqs", "python"]
"""Which engine finds the linked pairs: MMseqs2 if on ``PATH`` (``"auto"``), MMseqs2,
or the Biopython fallback."""

Linkage = Literal["single", "greedy"]
"""Connected components of linked pairs, or CD-HIT-like greedy representatives."""

PYTHON_MAX_SEQUENCES = 3000
"""Largest set (distinct sequences; both sets together for cross comparisons) that
``method="auto"`` hands to the Python path: above it, ``"auto"`` without MMseqs2 raises
:class:`~biodl.errors.InputError`, and an explicit ``method="python"`` warns and runs.
Single-core times of the Python path (``bench/homology.py``): 500 proteins of about 300
residues 13 s, 2,000 of them 3.5 min (random sequences; 2,000 DeepLoc proteins 2.6 min);
MMseqs2 ``-s 7.5`` on one thread 12 s and 45-60 s. The time grows with the square of
the set size."""

_INSTALL_MESSAGE = (
    "homology clustering without MMseqs2 needs Biopython: pip install 'biodl[protein]' "
    "(or pip install biopython), or install MMseqs2 (e.g. apt-get install mmseqs2)"
)

_GAP_OPEN = -12.0
"""Score of the first residue of a gap (BLAST's open 11 + extend 1)."""
_GAP_EXTEND = -1.0

_KMER = 2
"""Prefilter word length (exact dipeptides over the 20 amino acids)."""
_BAND = 9
"""Prefilter window width, in diagonals."""
_SHIFTS = (4, 1, 7)
"""Band offsets: windows of 9 diagonals centred on every third diagonal (``d + 4``,
``d + 1``, ``d + 7`` floored by 9 centre them on multiples of 3 congruent to 0, 3 and
6 modulo 9), a set that is symmetric under swapping the two sequences."""
_DENSE_BINS = 100_000
"""Bins counted densely (``np.bincount``) beyond four per match; more: ``np.unique``."""
_MIN_HITS = 2
"""Fewest dipeptide matches in the best window for a pair to be aligned."""
_RHO_30 = 0.07
"""Matches in the best window per residue of the shorter sequence, at 30 % identity."""

_MMSEQS_SENSITIVITY = 7.5
_MMSEQS_MAX_SEQS = 1000
_MMSEQS_ID_SLACK = 0.05
"""MMseqs2 is asked for pairs down to ``identity - 0.05``; the exact threshold is then
applied to identities recomputed from the reported alignments."""

_ALIGN_ALPHABET = bytes.maketrans(b"JUO", b"XXX")
"""Letters outside BLOSUM62 align as ``X``; an ``X`` facing an ``X`` is not an identity."""
_X = ord("X")

_IntArray = npt.NDArray[np.int64]
_FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------------------
# Input checks


def _check_fraction(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        msg = f"{name} must lie in [0, 1], not {value}"
        raise InputError(msg)
    return float(value)


def _clean(sequences: Sequence[str], what: str = "sequence") -> list[str]:
    """Upper-cased proteins, checked against the protein alphabet; none may be empty."""
    if isinstance(sequences, str):
        msg = f"expected a list of {what}s, not one string"
        raise InputError(msg)
    out: list[str] = []
    for i, seq in enumerate(sequences):
        if not seq:
            msg = f"{what} {i} is empty"
            raise InputError(msg)
        out.append(validate_sequence(seq, "protein", record=f"{what} {i}"))
    return out


def _unique(sequences: list[str]) -> tuple[list[str], _IntArray]:
    """Distinct sequences in order of first appearance, and the index of each input."""
    first: dict[str, int] = {}
    inverse = np.empty(len(sequences), dtype=np.int64)
    for i, seq in enumerate(sequences):
        inverse[i] = first.setdefault(seq, len(first))
    return list(first), inverse


def _first_appearance(labels: npt.ArrayLike) -> _IntArray:
    """Relabel cluster labels ``0..K-1`` in order of first appearance.

    Examples
    --------
    >>> _first_appearance([7, 3, 7, 5]).tolist()
    [0, 1, 0, 2]
    """
    arr = np.asarray(labels)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(arr, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.reshape(-1)]


class _UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving and union by size."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return True

    def labels(self) -> _IntArray:
        return _first_appearance([self.find(i) for i in range(len(self.parent))])


# ---------------------------------------------------------------------------------------
# Pairwise alignment (Biopython)


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


# ---------------------------------------------------------------------------------------
# k-mer prefilter


def prefilter_rho(identity: float) -> float:
    """Dipeptide matches per residue that the prefilter asks of a pair at ``identity``.

    ``0.07 * identity / 0.3``, calibrated on real proteins at 30 % identity (the
    smallest value among linked DeepLoc pairs between 30 and 40 % was 0.077) and
    scaled linearly, which kept every linked pair found by MMseqs2 from 30 to 90 %
    (scaling with the square of the identity, as for independent residues, lost some).
    A pair is aligned when its best window of 9 diagonals holds at least
    ``max(2, rho * min(len))`` exact dipeptide matches (module docstring).

    Examples
    --------
    >>> round(prefilter_rho(0.3), 3), round(prefilter_rho(0.6), 3)
    (0.07, 0.14)
    """
    return _RHO_30 * identity / 0.3


def _codes(seq: str) -> npt.NDArray[np.uint8]:
    """Amino-acid codes 0..19 (20 for the unknown letters)."""
    return np.frombuffer(seq.encode("ascii").translate(code_table("protein")), dtype=np.uint8)


def _words(codes: npt.NDArray[np.uint8]) -> tuple[_IntArray, _IntArray]:
    """Dipeptide ids ``0..399`` and their start positions (unknown letters skipped)."""
    if len(codes) < _KMER:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first = codes[:-1].astype(np.int64)
    second = codes[1:].astype(np.int64)
    ok = (first < 20) & (second < 20)
    pos = np.flatnonzero(ok)
    return first[pos] * 20 + second[pos], pos.astype(np.int64)


class _WordIndex:
    """Dipeptide occurrences of a set of sequences, sorted by (word, length rank)."""

    def __init__(self, sequences: list[str]) -> None:
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        self.order = np.argsort(lengths, kind="stable")  # rank -> sequence index
        self.lengths = lengths[self.order]  # by rank, ascending
        self.n = len(sequences)
        keys: list[_IntArray] = []
        poss: list[_IntArray] = []
        for rank, idx in enumerate(self.order.tolist()):
            words, pos = _words(_codes(sequences[idx]))
            keys.append(words * self.n + rank)
            poss.append(pos)
        key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        pos_all = np.concatenate(poss) if poss else np.zeros(0, dtype=np.int64)
        sort = np.argsort(key, kind="stable")
        self.keys = key[sort]
        self.pos = pos_all[sort]
        self.rank = (self.keys % max(self.n, 1)).astype(np.int64)

    def best_windows(
        self, words: _IntArray, pos: _IntArray, length: int, lo: int, hi: int
    ) -> _IntArray:
        """Most dipeptide matches in one window of diagonals, per target rank ``lo..hi-1``.

        ``words`` and ``pos`` are the query's dipeptides and their positions, ``length``
        its length. Returns ``(hi - lo,)`` int64.
        """
        n_targets = hi - lo
        best = np.zeros(max(n_targets, 0), dtype=np.int64)
        if n_targets <= 0 or len(words) == 0:
            return best
        starts = np.searchsorted(self.keys, words * self.n + lo, side="left")
        stops = np.searchsorted(self.keys, words * self.n + hi, side="left")
        counts = stops - starts
        total = int(counts.sum())
        if total == 0:
            return best
        offsets = np.cumsum(counts) - counts
        entry = np.repeat(starts - offsets, counts) + np.arange(total)
        target = self.rank[entry] - lo
        # diagonal plus a multiple of the band width, so that the bands do not depend on
        # which other sequences are compared
        shift0 = -(-int(self.lengths[hi - 1]) // _BAND) * _BAND
        diagonal = np.repeat(pos, counts) - self.pos[entry] + shift0
        n_bands = (length + shift0) // _BAND + 2
        dense = n_targets * n_bands <= 4 * total + _DENSE_BINS
        for shift in _SHIFTS:
            bins = target * n_bands + (diagonal + shift) // _BAND
            if dense:
                tally = np.bincount(bins, minlength=n_targets * n_bands)
                np.maximum(best, tally.reshape(n_targets, n_bands).max(axis=1), out=best)
            else:  # very different lengths (low coverage): count the occupied bins only
                occupied, tally = np.unique(bins, return_counts=True)
                np.maximum.at(best, occupied // n_bands, tally)
        return best


def _length_window(lengths: _IntArray, length: int, coverage: float) -> tuple[int, int]:
    """Ranks of the sorted ``lengths`` whose ratio to ``length`` is at least ``coverage``."""
    if coverage <= 0:
        return 0, len(lengths)
    # min/max >= c  <=>  c * length <= L <= length / c (with a hair of float slack)
    lo = int(np.searchsorted(lengths, coverage * length - 1e-9, side="left"))
    hi = int(np.searchsorted(lengths, length / coverage + 1e-9, side="right"))
    return lo, hi


def _candidate_pairs(
    queries: list[str],
    targets: list[str] | None,
    *,
    identity: float,
    coverage: float,
    exhaustive: bool,
) -> tuple[_IntArray, _IntArray, _FloatArray]:
    """Pairs worth aligning: query index, target index, prefilter score (best window per
    residue; 1.0 in exhaustive mode). With ``targets=None`` the queries are compared with
    each other, each pair once (``i < j``)."""
    symmetric = targets is None
    index = _WordIndex(queries if targets is None else targets)
    rho = prefilter_rho(identity)
    q_out: list[_IntArray] = []
    t_out: list[_IntArray] = []
    s_out: list[_FloatArray] = []
    order = index.order if symmetric else np.arange(len(queries))
    for q_rank, q in enumerate(order.tolist()):
        seq = queries[q]
        lo, hi = _length_window(index.lengths, len(seq), coverage)
        if symmetric:
            lo = max(lo, q_rank + 1)  # each pair once: longer (or later) partners only
        if hi <= lo:
            continue
        shorter = np.minimum(index.lengths[lo:hi], len(seq))
        if exhaustive:
            keep = np.arange(hi - lo)
            score = np.ones(hi - lo)
        else:
            words, pos = _words(_codes(seq))
            best = index.best_windows(words, pos, len(seq), lo, hi)
            need = np.maximum(_MIN_HITS, np.ceil(rho * shorter - 1e-9))
            keep = np.flatnonzero(best >= need)
            score = best[keep] / shorter[keep]
        if len(keep) == 0:
            continue
        partner = index.order[lo + keep]
        q_out.append(np.full(len(keep), q, dtype=np.int64))
        t_out.append(partner.astype(np.int64))
        s_out.append(np.asarray(score, dtype=np.float64))
    if not q_out:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float64)
    qi, ti, sc = np.concatenate(q_out), np.concatenate(t_out), np.concatenate(s_out)
    if symmetric:
        qi, ti = np.minimum(qi, ti), np.maximum(qi, ti)
    return qi, ti, sc


# ---------------------------------------------------------------------------------------
# Python engine


def _python_links_single(
    seqs: list[str], identity: float, coverage: float, exhaustive: bool
) -> _IntArray:
    uf = _UnionFind(len(seqs))
    qi, ti, score = _candidate_pairs(
        seqs, None, identity=identity, coverage=coverage, exhaustive=exhaustive
    )
    # strongest candidates first, so that weaker pairs inside a component are skipped
    for k in np.lexsort((ti, qi, -score)).tolist():
        a, b = int(qi[k]), int(ti[k])
        if uf.find(a) == uf.find(b):
            continue
        r = _align_clean(seqs[a], seqs[b])
        if r.identity >= identity and r.coverage >= coverage:
            uf.union(a, b)
    return uf.labels()


def _greedy_order(seqs: Sequence[str]) -> list[int]:
    """Longest first, then input order."""
    return sorted(range(len(seqs)), key=lambda i: (-len(seqs[i]), i))


def _python_links_greedy(
    seqs: list[str], identity: float, coverage: float, exhaustive: bool
) -> _IntArray:
    qi, ti, _ = _candidate_pairs(
        seqs, None, identity=identity, coverage=coverage, exhaustive=exhaustive
    )
    partners: dict[int, set[int]] = {}
    for a, b in zip(qi.tolist(), ti.tolist(), strict=True):
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    rep_of = np.full(len(seqs), -1, dtype=np.int64)
    rep_rank: dict[int, int] = {}
    for i in _greedy_order(seqs):
        options = sorted((rep_rank[p], p) for p in partners.get(i, ()) if p in rep_rank)
        for _, rep in options:
            r = _align_clean(seqs[rep], seqs[i])
            if r.identity >= identity and r.coverage >= coverage:
                rep_of[i] = rep
                break
        else:
            rep_rank[i] = len(rep_rank)
            rep_of[i] = i
    return _first_appearance(rep_of)


def _python_nearest(
    queries: list[str],
    targets: list[str],
    identity: float,
    coverage: float,
    exhaustive: bool,
) -> tuple[_FloatArray, _IntArray]:
    best = np.zeros(len(queries), dtype=np.float64)
    which = np.full(len(queries), -1, dtype=np.int64)
    qi, ti, _ = _candidate_pairs(
        queries, targets, identity=identity, coverage=coverage, exhaustive=exhaustive
    )
    for k in np.lexsort((ti, qi)).tolist():
        q, t = int(qi[k]), int(ti[k])
        r = _align_clean(queries[q], targets[t])
        if r.coverage >= coverage and r.identity > best[q]:
            best[q], which[q] = r.identity, t
    return best, which


# ---------------------------------------------------------------------------------------
# MMseqs2 engine


def mmseqs_available() -> bool:
    """Whether an ``mmseqs`` executable is on ``PATH``.

    Examples
    --------
    >>> isinstance(mmseqs_available(), bool)
    True
    """
    return shutil.which("mmseqs") is not None


def _mmseqs_exe() -> str:
    exe = shutil.which("mmseqs")
    if exe is None:
        msg = (
            "method 'mmseqs' needs the MMseqs2 executable 'mmseqs' on PATH (e.g. apt-get "
            "install mmseqs2 or conda install -c bioconda mmseqs2); method 'python' "
            "works without it on small sets"
        )
        raise InputError(msg)
    return exe


def _write_fasta(path: Path, sequences: Iterable[str], prefix: str) -> None:
    with path.open("w", encoding="ascii") as handle:
        for i, seq in enumerate(sequences):
            handle.write(f">{prefix}{i}\n{seq.translate(_ALIGN_ALPHABET)}\n")


def _run(args: list[str], work: Path) -> None:
    proc = subprocess.run(args, cwd=work, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        msg = f"{' '.join(args[:2])} failed with exit status {proc.returncode}:\n{tail}"
        raise RuntimeError(msg)


def _common_options(identity: float | None, coverage: float, threads: int | None) -> list[str]:
    opts = [
        "-s",
        str(_MMSEQS_SENSITIVITY),
        "--alignment-mode",
        "3",
        "--seq-id-mode",
        "1",
        "-c",
        str(coverage),
        "--cov-mode",
        "0",
        "-e",
        "inf",
        "-v",
        "1",
    ]
    if identity is not None:
        opts += ["--min-seq-id", str(max(0.0, identity - _MMSEQS_ID_SLACK))]
    if threads is not None:
        opts += ["--threads", str(max(1, int(threads)))]
    return opts


_SEARCH_COLUMNS = "query,target,qstart,qend,qlen,tstart,tend,tlen,qaln,taln"


def _mmseqs_search(
    queries: list[str],
    targets: list[str] | None,
    *,
    identity: float | None,
    coverage: float,
    threads: int | None,
    tmp_dir: str | os.PathLike[str] | None,
) -> tuple[_IntArray, _IntArray, _FloatArray, _FloatArray]:
    """``mmseqs easy-search``: query index, target index, identity and coverage (our
    definitions, recomputed from the alignments) of each reported hit."""
    exe = _mmseqs_exe()
    with tempfile.TemporaryDirectory(prefix="biodl-mmseqs-", dir=tmp_dir) as tmp:
        work = Path(tmp)
        _write_fasta(work / "q.fasta", queries, "q")
        target_fasta = "q.fasta"
        if targets is not None:
            _write_fasta(work / "t.fasta", targets, "t")
            target_fasta = "t.fasta"
        args = [exe, "easy-search", "q.fasta", target_fasta, "hits.tsv", "tmp"]
        args += _common_options(identity, coverage, threads)
        args += ["--max-seqs", str(_MMSEQS_MAX_SEQS), "--format-output", _SEARCH_COLUMNS]
        _run(args, work)
        lines = (work / "hits.tsv").read_text(encoding="ascii").splitlines()
    qs: list[int] = []
    ts: list[int] = []
    ids: list[float] = []
    covs: list[float] = []
    for line in lines:
        f = line.split("\t")
        if len(f) < 10:
            continue
        q, t = int(f[0][1:]), int(f[1][1:])
        qstart, qend, qlen, tstart, tend, tlen = (int(v) for v in f[2:8])
        same = sum(1 for x, y in zip(f[8], f[9], strict=False) if x == y and x not in "-X")
        shorter, longer = min(qlen, tlen), max(qlen, tlen)
        cov = min((qend - qstart + 1) / qlen, (tend - tstart + 1) / tlen, shorter / longer)
        qs.append(q)
        ts.append(t)
        ids.append(same / shorter)
        covs.append(cov)
    return (
        np.array(qs, dtype=np.int64),
        np.array(ts, dtype=np.int64),
        np.array(ids, dtype=np.float64),
        np.array(covs, dtype=np.float64),
    )


def _mmseqs_single(
    seqs: list[str],
    identity: float,
    coverage: float,
    threads: int | None,
    tmp_dir: str | os.PathLike[str] | None,
) -> _IntArray:
    qi, ti, ident, cov = _mmseqs_search(
        seqs, None, identity=identity, coverage=coverage, threads=threads, tmp_dir=tmp_dir
    )
    uf = _UnionFind(len(seqs))
    linked = (ident >= identity) & (cov >= coverage) & (qi != ti)
    for a, b in zip(qi[linked].tolist(), ti[linked].tolist(), strict=True):
        uf.union(a, b)
    return uf.labels()


def _mmseqs_greedy(
    seqs: list[str],
    identity: float,
    coverage: float,
    threads: int | None,
    tmp_dir: str | os.PathLike[str] | None,
) -> _IntArray:
    exe = _mmseqs_exe()
    with tempfile.TemporaryDirectory(prefix="biodl-mmseqs-", dir=tmp_dir) as tmp:
        work = Path(tmp)
        _write_fasta(work / "in.fasta", seqs, "q")
        args = [exe, "easy-cluster", "in.fasta", "out", "tmp"]
        args += _common_options(identity, coverage, threads)
        args += ["--cluster-mode", "2", "--cluster-reassign", "1"]
        # the slack of --min-seq-id is for searches; here the threshold is the criterion
        args[args.index("--min-seq-id") + 1] = str(identity)
        _run(args, work)
        lines = (work / "out_cluster.tsv").read_text(encoding="ascii").splitlines()
    rep_of = np.arange(len(seqs), dtype=np.int64)
    for line in lines:
        rep, member = line.split("\t")[:2]
        rep_of[int(member[1:])] = int(rep[1:])
    return _first_appearance(rep_of)


# ---------------------------------------------------------------------------------------
# Engine choice


def _choose(method: str, exhaustive: bool, n: int) -> Literal["mmseqs", "python"]:
    if method not in ("auto", "mmseqs", "python"):
        msg = f"method must be 'auto', 'mmseqs' or 'python', not {method!r}"
        raise InputError(msg)
    if method == "mmseqs":
        if exhaustive:
            msg = "exhaustive=True applies to method 'python' only"
            raise InputError(msg)
        _mmseqs_exe()
        return "mmseqs"
    if method == "auto" and not exhaustive and mmseqs_available():
        return "mmseqs"
    if n > PYTHON_MAX_SEQUENCES:
        text = (
            f"{n} sequences are more than the Python homology path is meant for "
            f"({PYTHON_MAX_SEQUENCES}); install MMseqs2 (apt-get install mmseqs2 or "
            "conda install -c bioconda mmseqs2)"
        )
        if method == "auto":
            msg = text + ", or pass method='python' to run it anyway"
            raise InputError(msg)
        warnings.warn(text + "; this may take hours", UserWarning, stacklevel=3)
    _aligner()  # fail early if Biopython is missing
    return "python"


def cluster_sequences(
    sequences: Sequence[str],
    *,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    linkage: Linkage = "single",
    exhaustive: bool = False,
    threads: int | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> _IntArray:
    """Cluster proteins so that linked pairs (``identity``, ``coverage``) share a cluster.

    Parameters
    ----------
    sequences
        ``N`` protein sequences (protein alphabet, any case; none empty).
    identity
        Identity threshold in ``[0, 1]``: identical aligned columns over the shorter
        length (module docstring).
    coverage
        Coverage threshold in ``[0, 1]`` (span of the alignment on each sequence and
        length ratio; MMseqs2's ``-c`` with ``--cov-mode 0``). ``0`` links any pair whose
        local alignment reaches ``identity`` of the shorter sequence, fragments included.
    method
        ``"mmseqs"``, ``"python"`` (Biopython; up to :data:`PYTHON_MAX_SEQUENCES`), or
        ``"auto"``: MMseqs2 if ``mmseqs`` is on ``PATH``, else Python.
    linkage
        ``"single"`` (connected components: no examined linked pair crosses clusters;
        the default, for leak-free splits) or ``"greedy"`` (CD-HIT-like).
    exhaustive
        Python path only: align every pair the length ratio allows instead of
        prefiltering (exact, quadratic).
    threads
        MMseqs2 threads (default: MMseqs2's, all cores). Ignored by the Python path.
    tmp_dir
        Where MMseqs2's temporary folder goes (default: the system's); it is removed.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int64 cluster id ``0..K-1`` of each sequence, numbered in order of
        first appearance. Identical sequences always share a cluster.

    Raises
    ------
    InputError
        Bad thresholds, method or sequence; ``method="mmseqs"`` without ``mmseqs`` on
        ``PATH``; more than :data:`PYTHON_MAX_SEQUENCES` distinct sequences with
        ``method="auto"`` and no MMseqs2.
    RuntimeError
        MMseqs2 failed (its last output lines are in the message).
    ModuleNotFoundError
        The Python path is needed and Biopython is not installed.

    Examples
    --------
    >>> a = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
    >>> b = "GSHMLEDPVDAFQLGPPLRSGTVAVCEMGNNIWDNCGPQYHRSLRLRDTVLEGAPLSVQWVR"
    >>> cluster_sequences([b, a, a[:30] + "WW" + a[32:], b.lower()], method="python")
    array([0, 1, 1, 0])
    """
    identity = _check_fraction("identity", identity)
    coverage = _check_fraction("coverage", coverage)
    if linkage not in ("single", "greedy"):
        msg = f"linkage must be 'single' or 'greedy', not {linkage!r}"
        raise InputError(msg)
    seqs = _clean(sequences)
    if not seqs:
        return np.zeros(0, dtype=np.int64)
    distinct, inverse = _unique(seqs)
    engine = _choose(method, exhaustive, len(distinct))
    if len(distinct) == 1:
        labels = np.zeros(1, dtype=np.int64)
    elif engine == "mmseqs":
        run = _mmseqs_single if linkage == "single" else _mmseqs_greedy
        labels = run(distinct, identity, coverage, threads, tmp_dir)
    else:
        run_py = _python_links_single if linkage == "single" else _python_links_greedy
        labels = run_py(distinct, identity, coverage, exhaustive)
    return _first_appearance(labels[inverse])


def nearest_identities(
    queries: Sequence[str],
    targets: Sequence[str],
    *,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    exhaustive: bool = False,
    threads: int | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> tuple[_FloatArray, _IntArray]:
    """Highest identity of each query to any target, among alignments with ``coverage``.

    Parameters
    ----------
    queries, targets
        Protein sequences, e.g. test and training proteins.
    identity
        Identity level the search is tuned for: the Python prefilter (and the MMseqs2
        prefilter's sensitivity) finds pairs at or above it as reliably as clustering
        does; a value reported below it is a lower bound of the true best identity.
        ``exhaustive=True`` makes the Python path exact at every level.
    coverage, method, exhaustive, threads, tmp_dir
        As in :func:`cluster_sequences`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(Q,)`` float64 best identity (``0.0`` where no alignment with the coverage was
        found) and ``(Q,)`` int64 index of the target reaching it (``-1`` where none;
        the lowest index on ties).

    Examples
    --------
    >>> a = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
    >>> b = "GSHMLEDPVDAFQLGPPLRSGTVAVCEMGNNIWDNCGPQYHRSLRLRDTVLEGAPLSVQWVR"
    >>> best, which = nearest_identities([a[:40] + "W" + a[41:], b], [b[:30], a],
    ...                                 method="python")
    >>> best.round(3).tolist(), which.tolist()
    ([0.985, 0.0], [1, -1])
    """
    identity = _check_fraction("identity", identity)
    coverage = _check_fraction("coverage", coverage)
    qs = _clean(queries, "query")
    ts = _clean(targets, "target")
    best = np.zeros(len(qs), dtype=np.float64)
    which = np.full(len(qs), -1, dtype=np.int64)
    if not qs or not ts:
        return best, which
    q_distinct, q_inv = _unique(qs)
    t_distinct, t_inv = _unique(ts)
    first_target = np.full(len(t_distinct), len(ts), dtype=np.int64)
    np.minimum.at(first_target, t_inv, np.arange(len(ts)))
    engine = _choose(method, exhaustive, len(q_distinct) + len(t_distinct))
    if engine == "python":
        d_best, d_which = _python_nearest(q_distinct, t_distinct, identity, coverage, exhaustive)
    else:
        qi, ti, ident, cov = _mmseqs_search(
            q_distinct,
            t_distinct,
            identity=None,
            coverage=coverage,
            threads=threads,
            tmp_dir=tmp_dir,
        )
        d_best = np.zeros(len(q_distinct), dtype=np.float64)
        d_which = np.full(len(q_distinct), -1, dtype=np.int64)
        for k in np.lexsort((ti, qi)).tolist():
            q = int(qi[k])
            if cov[k] >= coverage and ident[k] > d_best[q]:
                d_best[q], d_which[q] = ident[k], ti[k]
    best = d_best[q_inv]
    found = d_which[q_inv]
    which = np.where(found >= 0, first_target[np.maximum(found, 0)], -1).astype(np.int64)
    return best, which


def max_cross_identity(
    train_sequences: Sequence[str],
    test_sequences: Sequence[str],
    *,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    exhaustive: bool = False,
    threads: int | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> float:
    """Largest identity between any test protein and any training protein.

    The number to report next to the results of a homology-aware split: below the
    clustering threshold, no test protein has a training relative at that identity (with
    the coverage; among the pairs the search examines). Use :func:`nearest_identities`
    for the per-protein values and the pair that reaches the maximum.

    Parameters
    ----------
    train_sequences, test_sequences
        Protein sequences.
    identity, coverage, method, exhaustive, threads, tmp_dir
        As in :func:`nearest_identities`; a result below ``identity`` is a lower bound
        (exact with ``exhaustive=True``).

    Returns
    -------
    float
        In ``[0, 1]``; ``0.0`` for an empty set or when no pair is aligned.

    Examples
    --------
    >>> a = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
    >>> b = "GSHMLEDPVDAFQLGPPLRSGTVAVCEMGNNIWDNCGPQYHRSLRLRDTVLEGAPLSVQWVR"
    >>> max_cross_identity([a], [b], method="python")
    0.0
    >>> max_cross_identity([a, b], [b], method="python")
    1.0
    """
    best, _ = nearest_identities(
        test_sequences,
        train_sequences,
        identity=identity,
        coverage=coverage,
        method=method,
        exhaustive=exhaustive,
        threads=threads,
        tmp_dir=tmp_dir,
    )
    return float(best.max()) if len(best) else 0.0


# ---------------------------------------------------------------------------------------
# Splits


def _cluster_table(
    sequences: Sequence[str],
    labels: Sequence[str] | None,
    clusters: npt.ArrayLike | None,
    cluster_kwargs: dict[str, Any],
) -> tuple[_IntArray, npt.NDArray[np.float64], _FloatArray]:
    """Cluster ids, ``(K, C)`` members of each class per cluster, ``(C,)`` class sizes."""
    n = len(sequences)
    if clusters is None:
        ids = cluster_sequences(sequences, **cluster_kwargs)
    else:
        raw = np.asarray(clusters)
        if raw.shape != (n,) or (n and not np.issubdtype(raw.dtype, np.integer)):
            msg = f"clusters must be {n} integer cluster ids, one per sequence"
            raise InputError(msg)
        ids = _first_appearance(raw)
    if labels is None:
        classes = np.zeros(n, dtype=np.int64)
    else:
        if len(labels) != n:
            msg = f"{len(labels)} labels for {n} sequences"
            raise InputError(msg)
        _, classes = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
        classes = classes.reshape(-1).astype(np.int64)
    n_clusters = int(ids.max()) + 1 if n else 0
    n_classes = int(classes.max()) + 1 if n else 0
    table = np.zeros((n_clusters, n_classes), dtype=np.float64)
    np.add.at(table, (ids, classes), 1.0)
    return ids, table, table.sum(axis=0)


def homology_split(
    sequences: Sequence[str],
    labels: Sequence[str] | None,
    *,
    fraction: float,
    seed: int,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    linkage: Linkage = "single",
    clusters: npt.ArrayLike | None = None,
    threads: int | None = None,
) -> tuple[_IntArray, _IntArray]:
    """Hold out about ``fraction`` of the proteins, whole homology clusters at a time.

    Clusters are visited in a seeded random order; each goes to the held-out part if
    that brings the held-out class counts closer to ``fraction`` of each class (sum
    over classes of the squared miss, each divided by the class size), else it stays.
    The random order keeps the held-out part representative (large and small families
    alike), and a cluster larger than about twice what is still missing is never taken,
    so a giant single-linkage cluster stays on the kept side.

    Parameters
    ----------
    sequences
        ``N`` protein sequences.
    labels
        ``N`` class labels to stratify by, or ``None``.
    fraction
        Target held-out fraction, in ``(0, 1)``.
    seed
        Seed of the visiting order; the split is a function of the inputs and the seed.
    identity, coverage, method, linkage, threads
        Passed to :func:`cluster_sequences`.
    clusters
        ``(N,)`` precomputed cluster ids (skips the clustering).

    Returns
    -------
    tuple of numpy.ndarray
        Sorted int64 indices of the kept and of the held-out proteins.

    Raises
    ------
    InputError
        ``fraction`` outside ``(0, 1)``, mismatched lengths, or nothing could be held
        out (one cluster holds nearly everything).

    Examples
    --------
    >>> seqs = ["M" + "ACDEFGHIKLNPQRSTVWY"[i % 19] * 20 for i in range(10)]
    >>> kept, held = homology_split(seqs, None, fraction=0.3, seed=0,
    ...                             clusters=[0, 0, 1, 1, 2, 3, 4, 5, 6, 7])
    >>> len(held), sorted(set(kept) | set(held)) == list(range(10))
    (3, True)
    """
    if not 0.0 < fraction < 1.0:
        msg = f"fraction must lie in (0, 1), not {fraction}"
        raise InputError(msg)
    ids, table, class_sizes = _cluster_table(
        sequences,
        labels,
        clusters,
        {
            "identity": identity,
            "coverage": coverage,
            "method": method,
            "linkage": linkage,
            "threads": threads,
        },
    )
    if len(ids) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    target = fraction * class_sizes
    weight = 1.0 / np.maximum(class_sizes, 1.0)
    held_counts = np.zeros_like(target)
    held_cluster = np.zeros(len(table), dtype=bool)
    rng = np.random.default_rng(seed)
    for k in rng.permutation(len(table)).tolist():
        m = table[k]
        change = float(np.sum(weight * m * (2.0 * (held_counts - target) + m)))
        if change < 0.0:
            held_cluster[k] = True
            held_counts += m
    held_mask = held_cluster[ids]
    if not held_mask.any() or held_mask.all():
        msg = (
            f"cannot hold out {fraction:g} of {len(ids)} sequences in whole clusters: "
            f"the largest of the {len(table)} clusters has {int(table.sum(axis=1).max())} "
            "members"
        )
        raise InputError(msg)
    return np.flatnonzero(~held_mask), np.flatnonzero(held_mask)


def homology_folds(
    sequences: Sequence[str],
    labels: Sequence[str] | None,
    k: int,
    *,
    seed: int,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    linkage: Linkage = "single",
    clusters: npt.ArrayLike | None = None,
    threads: int | None = None,
) -> _IntArray:
    """Fold index of each protein for ``k``-fold cross-validation, whole clusters per fold.

    Clusters are placed largest first (ties in a seeded random order), each into the fold
    whose counts of the cluster's classes are furthest below their share (``1/k`` of each
    class; classes weighted by ``1 / class size``); ties go to the smallest fold, then
    to a seeded random one. This balances fold sizes and roughly stratifies labels.

    Parameters
    ----------
    sequences
        ``N`` protein sequences.
    labels
        ``N`` class labels to stratify by, or ``None``.
    k
        Number of folds, at least 2 and at most the number of clusters.
    seed
        Seed of the tie-breaking.
    identity, coverage, method, linkage, threads
        Passed to :func:`cluster_sequences`.
    clusters
        ``(N,)`` precomputed cluster ids (skips the clustering).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int64 fold ``0..k-1`` of each protein.

    Examples
    --------
    >>> seqs = ["MKV"] * 8
    >>> folds = homology_folds(seqs, None, 2, seed=0, clusters=[0, 0, 1, 2, 3, 4, 5, 5])
    >>> folds[0] == folds[1], folds[6] == folds[7], sorted(np.bincount(folds).tolist())
    (np.True_, np.True_, [4, 4])
    """
    if k < 2:
        msg = f"cross-validation needs at least 2 folds, not {k}"
        raise InputError(msg)
    ids, table, class_sizes = _cluster_table(
        sequences,
        labels,
        clusters,
        {
            "identity": identity,
            "coverage": coverage,
            "method": method,
            "linkage": linkage,
            "threads": threads,
        },
    )
    if len(table) < k:
        msg = f"only {len(table)} homology clusters, too few for {k} folds"
        raise InputError(msg)
    rng = np.random.default_rng(seed)
    sizes = table.sum(axis=1)
    order = np.lexsort((rng.random(len(table)), -sizes))
    fold_rank = rng.permutation(k)  # random tie-break between folds
    share = class_sizes / k
    weight = 1.0 / np.maximum(class_sizes, 1.0)
    counts = np.zeros((k, table.shape[1]), dtype=np.float64)
    totals = np.zeros(k, dtype=np.float64)
    fold_of = np.empty(len(table), dtype=np.int64)
    for c in order.tolist():
        m = table[c]
        need = (counts - share) @ (weight * m)  # lower: further below the share
        f = int(np.lexsort((fold_rank, totals, np.round(need, 12)))[0])
        fold_of[c] = f
        counts[f] += m
        totals[f] += sizes[c]
    return fold_of[ids]
