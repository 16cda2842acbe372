"""The k-mer prefilter of the Python path: which pairs of proteins are worth aligning.

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
assumption.

Examples
--------
>>> round(prefilter_rho(0.3), 3)
0.07
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from biodl.data.homology._common import _FloatArray, _IntArray
from biodl.io.alphabet import code_table
from biodl.progress import progress

__all__ = ["prefilter_rho"]

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
    queue = progress(order.tolist(), desc="homology prefilter", unit="seq")
    for q_rank, q in enumerate(queue):
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
