"""MinHash sketches of k-mer sets and LSH banding, to find near-duplicate sequences.

Two sequences are *near duplicates* when the Jaccard similarity of their k-mer sets,
``|A ∩ B| / |A ∪ B|``, reaches a threshold. Comparing every pair is quadratic, so the
search runs in three stages, each cheaper than the next one is selective:

1. **Sketch.** Every k-mer is turned into a 64-bit integer (base-``C`` number of its
   letters, ``C`` = 4 for DNA/RNA, 20 for proteins; a k-mer holding an unknown letter
   such as ``N`` or ``X`` is skipped) and mixed by the SplitMix64 finaliser. With
   ``canonical=True`` (DNA/RNA) a k-mer and its reverse complement give the same
   integer (the smaller of the two), so a sequence and its reverse complement have
   the same k-mer set and the same sketch. The sketch is *one-permutation* MinHash
   (Li, Owen & Zhang 2012): the top bits of the hash pick one of ``num_perm`` bins,
   the low 32 bits are the value, and each bin keeps its minimum; empty bins are
   filled by *optimal densification* (Shrivastava 2017: an empty bin copies the bin
   chosen by a fixed random probe sequence), which keeps ``P(bins equal) = Jaccard``.
   Signatures are ``(N, num_perm)`` ``uint32``; sequences are processed in chunks of
   about ``chunk_bases`` letters, so memory stays bounded.
2. **Bands.** The signature is cut into ``bands`` bands of ``rows`` values; two
   sequences become a candidate pair when one band is identical (probability
   ``1 - (1 - J**rows)**bands``). :func:`lsh_parameters` picks the largest ``rows``
   whose probability at the threshold is at least 0.99.
3. **Verify.** Candidates whose signature agreement is far below the threshold are
   dropped, and the rest are checked with the exact Jaccard of their k-mer sets.

A sequence with no whole k-mer of known letters has an empty set and is never a near
duplicate of anything.

Examples
--------
>>> a = "ACGTTGCAAGGCTTACCGATAGCTTAGGCATCGATCGGATCCTAGCTAGGCTAACGT"
>>> b = a[:30] + "G" + a[31:]  # one substitution
>>> sa = sketch([a, "GGGGCCCCAAAATTTTGGGGCCCCAAAATTTTACGTACGT"], k=8)
>>> sb = sketch([reverse_complement(b)], k=8)   # the other strand
>>> pairs = near_pairs(sb, sa, threshold=0.5)
>>> pairs.query.tolist(), pairs.target.tolist(), round(float(pairs.jaccard[0]), 3)
([0], [0], 0.719)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.alphabet import ALPHABETS, code_table
from biodl.progress import progress

__all__ = [
    "EMPTY",
    "NearPairs",
    "Sketch",
    "default_k",
    "estimate_jaccard",
    "exact_jaccard",
    "kmer_set",
    "lsh_parameters",
    "near_pairs",
    "reverse_complement",
    "sketch",
]

AlphabetName = Literal["dna", "rna", "protein"]

EMPTY = np.uint32(0xFFFFFFFF)
"""Signature value of a bin that no k-mer reached (only when a sequence has no k-mer)."""

_U64 = npt.NDArray[np.uint64]
_U32 = npt.NDArray[np.uint32]
_I64 = npt.NDArray[np.int64]

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_PROBES = 512
"""Probes of the densification before falling back to the next non-empty bin."""
_ESTIMATE_SLACK = 0.15
"""Candidates whose signature agreement is below ``threshold - slack`` are dropped
before the exact check (3.4 standard deviations of a 128-value estimate at J = 0.5)."""
_COMPLEMENT = str.maketrans("ACGTUNacgtun", "TGCAANtgcaan")


def reverse_complement(sequence: str) -> str:
    """Reverse complement of a DNA (or RNA, ``U`` pairs with ``A``) sequence.

    Examples
    --------
    >>> reverse_complement("AACGTN")
    'NACGTT'
    """
    return sequence.translate(_COMPLEMENT)[::-1]


def default_k(alphabet: str, longest: int = 0) -> int:
    """The default k-mer length: 8 for DNA/RNA, 3 for proteins, longer for sequences
    longer than about 1 kb (DNA: ``ceil(log4(longest)) + 3``; proteins:
    ``ceil(log20(longest)) + 1``), so that unrelated sequences keep sharing few k-mers.

    At these lengths two random 1 kb DNA sequences (or 400-residue proteins) share
    about 1-3 % of their k-mers, while a copy with 3 % substitutions keeps a Jaccard of
    about 0.65 (DNA) or 0.84 (protein). At k = 8, two unrelated 65-kb genome windows
    share most 8-mers (there are only 65,536), hence the growth with length.

    Examples
    --------
    >>> default_k("dna"), default_k("protein"), default_k("dna", 1000), default_k("dna", 65536)
    (8, 3, 8, 11)
    """
    if alphabet == "protein":
        grown = math.ceil(math.log(longest, 20)) + 1 if longest > 1 else 0
        return max(3, grown)
    grown = math.ceil(math.log(longest, 4)) + 3 if longest > 1 else 0
    return max(8, grown)


def _mix(x: _U64, seed: int) -> _U64:
    """SplitMix64 finaliser of ``x + seed * golden`` (wrapping uint64 arithmetic)."""
    z = x + np.uint64((seed * 0x9E3779B97F4A7C15) % (1 << 64))
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    out: _U64 = z ^ (z >> np.uint64(31))
    return out


def _check_k(k: int, alphabet: str) -> int:
    n_letters = len(ALPHABETS[alphabet])
    if k < 1 or n_letters**k >= 1 << 63:
        msg = f"k must lie in [1, {int(63 / math.log2(n_letters))}] for {alphabet}, not {k}"
        raise InputError(msg)
    return n_letters


def _chunks(lengths: Sequence[int], chunk_bases: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` ranges of sequences holding about ``chunk_bases`` letters."""
    start, total = 0, 0
    for i, n in enumerate(lengths):
        total += n + 1
        if total >= chunk_bases:
            yield start, i + 1
            start, total = i + 1, 0
    if start < len(lengths):
        yield start, len(lengths)


def _chunk_hashes(
    sequences: Sequence[str], k: int, alphabet: str, canonical: bool, seed: int
) -> tuple[_U64, _I64]:
    """Mixed k-mer hashes of a few sequences and the (local) sequence of each."""
    n_letters = _check_k(k, alphabet)
    table = code_table(alphabet)  # type: ignore[arg-type]
    raw = "\0".join(sequences).encode("ascii", "replace")
    codes = np.frombuffer(raw.translate(table), dtype=np.uint8)
    n_windows = len(codes) - k + 1
    if n_windows <= 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    bad = np.concatenate([[0], np.cumsum(codes >= n_letters, dtype=np.int64)])
    valid = bad[k:] == bad[: len(bad) - k]
    starts = np.flatnonzero(valid)
    base = np.uint64(n_letters)
    wide = codes.astype(np.uint64)
    value = np.zeros(len(starts), dtype=np.uint64)
    for j in range(k):
        value = value * base + wide[starts + j]
    if canonical:
        comp = np.uint64(n_letters - 1) - wide
        rc = np.zeros(len(starts), dtype=np.uint64)
        for j in range(k - 1, -1, -1):
            rc = rc * base + comp[starts + j]
        value = np.minimum(value, rc)
    seq_of = np.cumsum(np.frombuffer(raw, dtype=np.uint8) == 0, dtype=np.int64)[starts]
    return _mix(value, seed), seq_of


def kmer_set(
    sequence: str,
    *,
    k: int,
    alphabet: AlphabetName = "dna",
    canonical: bool = False,
    seed: int = 0,
) -> _U64:
    """Sorted distinct hashed k-mers of one sequence (what the Jaccard is taken over).

    Examples
    --------
    >>> len(kmer_set("ACGTNACGT", k=3)), len(kmer_set("ACGTACGT", k=3, canonical=True))
    (2, 2)
    """
    hashes, _ = _chunk_hashes([sequence], k, alphabet, canonical, seed)
    return np.unique(hashes)


def exact_jaccard(a: _U64, b: _U64) -> float:
    """Jaccard similarity of two sorted distinct hash arrays (0 when both are empty).

    Examples
    --------
    >>> exact_jaccard(np.array([1, 2, 3], np.uint64), np.array([2, 3, 4], np.uint64))
    0.5
    """
    if len(a) == 0 and len(b) == 0:
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def _densify(sig: _U32, seed: int) -> _U32:
    """Fill the empty bins of each row by optimal densification (in place)."""
    n_bins = sig.shape[1]
    empty = sig == EMPTY
    rows, cols = np.nonzero(empty & ~empty.all(axis=1, keepdims=True))
    if len(rows) == 0:
        return sig
    probes = np.random.default_rng([seed, 0x5EED]).integers(0, n_bins, (n_bins, _PROBES))
    source = sig.copy()
    for a in range(_PROBES):
        pick = probes[cols, a]
        hit = ~empty[rows, pick]
        sig[rows[hit], cols[hit]] = source[rows[hit], pick[hit]]
        rows, cols = rows[~hit], cols[~hit]
        if len(rows) == 0:
            return sig
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):  # rare: next non-empty bin
        ring = np.roll(~empty[r], -c)
        sig[r, c] = source[r, (c + int(np.argmax(ring))) % n_bins]
    return sig


@dataclass(frozen=True)
class Sketch:
    """MinHash signatures of a set of sequences, with the options that made them.

    Attributes
    ----------
    sequences
        The N sequences (kept for the exact check of candidate pairs).
    signatures
        ``(N, num_perm)`` uint32; a row of :data:`EMPTY` for a sequence without k-mers.
    k, alphabet, canonical, seed
        The sketching options; only sketches with equal options can be compared.
    """

    sequences: tuple[str, ...]
    signatures: _U32
    k: int
    alphabet: str
    canonical: bool
    seed: int

    @property
    def has_kmers(self) -> npt.NDArray[np.bool_]:
        """``(N,)`` whether each sequence has at least one k-mer."""
        out: npt.NDArray[np.bool_] = ~(self.signatures == EMPTY).all(axis=1)
        return out

    def kmers(self, i: int) -> _U64:
        """Sorted distinct hashed k-mers of sequence ``i``."""
        return kmer_set(
            self.sequences[i],
            k=self.k,
            alphabet=self.alphabet,  # type: ignore[arg-type]
            canonical=self.canonical,
            seed=self.seed,
        )


def sketch(
    sequences: Sequence[str],
    *,
    k: int,
    num_perm: int = 128,
    alphabet: AlphabetName = "dna",
    canonical: bool | None = None,
    seed: int = 0,
    chunk_bases: int = 1 << 20,
) -> Sketch:
    """One-permutation MinHash signatures of the k-mer sets of ``sequences``.

    Parameters
    ----------
    sequences
        N sequences, any case; letters outside the alphabet (and unknown letters) break
        k-mers.
    k
        k-mer length.
    num_perm
        Signature length, a power of two (number of bins).
    alphabet
        ``dna``, ``rna`` or ``protein``.
    canonical
        Merge each k-mer with its reverse complement; default True for DNA/RNA.
    seed
        Hash seed; sketches compared with each other need the same seed.
    chunk_bases
        Letters hashed at a time (memory is about 40 bytes per letter of a chunk).

    Returns
    -------
    Sketch
        With ``signatures`` of shape ``(N, num_perm)``, uint32.

    Examples
    --------
    >>> s = sketch(["ACGTACGGTCA", "TGACCGTACGT", "AC"], k=4, num_perm=16)
    >>> s.signatures.shape, bool((s.signatures[0] == s.signatures[1]).all()), s.has_kmers.tolist()
    ((3, 16), True, [True, True, False])
    """
    if num_perm < 1 or num_perm & (num_perm - 1) or num_perm > 1 << 16:
        msg = f"num_perm must be a power of two up to 65536, not {num_perm}"
        raise InputError(msg)
    if canonical is None:
        canonical = alphabet != "protein"
    if canonical and alphabet == "protein":
        msg = "canonical k-mers need alphabet 'dna' or 'rna', not 'protein'"
        raise InputError(msg)
    seqs = tuple(sequences)
    shift = np.uint64(64 - int(math.log2(num_perm)))
    sig = np.full((len(seqs), num_perm), EMPTY, dtype=np.uint32)
    for start, stop in _chunks([len(s) for s in seqs], chunk_bases):
        hashes, seq_of = _chunk_hashes(seqs[start:stop], k, alphabet, canonical, seed)
        if len(hashes) == 0:
            continue
        bins = (hashes >> shift) if num_perm > 1 else np.zeros_like(hashes)
        value = np.minimum(hashes & np.uint64(0xFFFFFFFF), np.uint64(0xFFFFFFFE))
        key = (seq_of.astype(np.uint64) * np.uint64(num_perm) + bins) << np.uint64(32)
        packed = np.sort(key | value)
        keys = packed >> np.uint64(32)
        first = np.ones(len(packed), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        keys = keys[first].astype(np.int64)
        sig[start + keys // num_perm, keys % num_perm] = (
            packed[first] & np.uint64(0xFFFFFFFF)
        ).astype(np.uint32)
    return Sketch(seqs, _densify(sig, seed), k, alphabet, canonical, seed)


def estimate_jaccard(a: _U32, b: _U32) -> npt.NDArray[np.float64]:
    """Fraction of equal signature values, row by row (the MinHash Jaccard estimate).

    Examples
    --------
    >>> estimate_jaccard(np.array([[1, 2, 3, 4]], np.uint32), np.array([[1, 2, 0, 0]], np.uint32))
    array([0.5])
    """
    out: npt.NDArray[np.float64] = (np.asarray(a) == np.asarray(b)).mean(axis=-1)
    return out


def lsh_parameters(threshold: float, num_perm: int, *, recall: float = 0.99) -> tuple[int, int]:
    """``(bands, rows)`` for LSH banding: the largest ``rows`` (fewest false candidates)
    whose chance ``1 - (1 - t**rows)**bands`` of making a pair at Jaccard ``t`` a
    candidate is at least ``recall``, with ``bands = num_perm // rows``.

    Examples
    --------
    >>> lsh_parameters(0.5, 128), lsh_parameters(0.8, 128)
    ((42, 3), (21, 6))
    """
    if not 0.0 < threshold <= 1.0:
        msg = f"threshold must lie in (0, 1], not {threshold}"
        raise InputError(msg)
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= recall:
            best = (bands, rows)
    return best


def _band_keys(sig: _U32, bands: int, rows: int) -> _U64:
    """``(N, bands)`` 64-bit hash of each band of each signature."""
    keys = np.zeros((len(sig), bands), dtype=np.uint64)
    view = sig[:, : bands * rows].reshape(len(sig), bands, rows).astype(np.uint64)
    for r in range(rows):
        keys = _mix(keys ^ view[:, :, r], r + 1)
    return keys


def _band_candidates(
    q_keys: _U64, t_keys: _U64, self_join: bool, max_bucket: int
) -> Iterator[tuple[_I64, _I64]]:
    """Pairs of rows whose key is equal, band by band."""
    for b in range(q_keys.shape[1]):
        tk = t_keys[:, b]
        order = np.argsort(tk, kind="stable")
        sorted_t = tk[order]
        qk = q_keys[:, b]
        lo = np.searchsorted(sorted_t, qk, side="left")
        hi = np.searchsorted(sorted_t, qk, side="right")
        size = np.minimum(hi - lo, max_bucket)
        qi = np.repeat(np.arange(len(qk), dtype=np.int64), size)
        offsets = np.arange(len(qi), dtype=np.int64) - np.repeat(np.cumsum(size) - size, size)
        ti = order[np.repeat(lo, size) + offsets].astype(np.int64)
        if self_join:
            keep = qi < ti
            qi, ti = qi[keep], ti[keep]
        yield qi, ti


@dataclass(frozen=True)
class NearPairs:
    """Near-duplicate pairs found by :func:`near_pairs`.

    Attributes
    ----------
    query, target
        ``(P,)`` int64 row indices into the query and target sketches.
    jaccard
        ``(P,)`` exact Jaccard of the k-mer sets of each pair.
    n_candidates
        Pairs proposed by the LSH bands (before verification).
    """

    query: _I64
    target: _I64
    jaccard: npt.NDArray[np.float64]
    n_candidates: int


def near_pairs(
    query: Sketch,
    target: Sketch | None = None,
    *,
    threshold: float,
    recall: float = 0.99,
    max_bucket: int = 1000,
    skip: set[tuple[int, int]] | None = None,
) -> NearPairs:
    """Pairs (query row, target row) whose k-mer Jaccard is at least ``threshold``.

    Parameters
    ----------
    query, target
        Sketches made with the same options; ``target=None`` compares ``query`` with
        itself (pairs ``i < j``).
    threshold
        Jaccard threshold in ``(0, 1]``.
    recall
        Chance that the LSH bands propose a pair exactly at the threshold
        (:func:`lsh_parameters`); pairs above it are proposed more surely.
    max_bucket
        Largest number of target rows taken from one band bucket for one query (guards
        against low-complexity sequences sharing every band).
    skip
        Pairs not to verify (e.g. exact duplicates already known), as ``(q, t)``.

    Returns
    -------
    NearPairs
        Sorted by query then target.

    Examples
    --------
    >>> s = sketch(["ACGTAGGCTAGCTAGGATCCA", "ACGTAGGCTAGCTAGGATCCT", "TTTTGGGGCCCCAAAATTGG"], k=5)
    >>> p = near_pairs(s, threshold=0.7)
    >>> p.query.tolist(), p.target.tolist(), p.jaccard.round(3).tolist()
    ([0], [1], [0.923])
    """
    self_join = target is None
    tgt = query if target is None else target
    if (query.k, query.alphabet, query.canonical, query.seed, query.signatures.shape[1]) != (
        tgt.k,
        tgt.alphabet,
        tgt.canonical,
        tgt.seed,
        tgt.signatures.shape[1],
    ):
        msg = "the two sketches were made with different options"
        raise InputError(msg)
    num_perm = query.signatures.shape[1]
    bands, rows = lsh_parameters(threshold, num_perm, recall=recall)
    q_ok = np.flatnonzero(query.has_kmers)
    t_ok = np.flatnonzero(tgt.has_kmers)
    q_sig, t_sig = query.signatures[q_ok], tgt.signatures[t_ok]
    q_keys = _band_keys(q_sig, bands, rows)
    t_keys = q_keys if self_join else _band_keys(t_sig, bands, rows)
    n_t = max(len(t_ok), 1)
    found: list[_I64] = []
    n_pending = 0
    for qi, ti in _band_candidates(q_keys, t_keys, self_join, max_bucket):
        found.append(qi * n_t + ti)
        n_pending += len(qi)
        if n_pending > 1 << 22:
            found = [np.unique(np.concatenate(found))]
            n_pending = len(found[0])
    codes = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    qi, ti = codes // n_t, codes % n_t
    estimate = np.concatenate(
        [
            estimate_jaccard(q_sig[qi[s : s + 65536]], t_sig[ti[s : s + 65536]])
            for s in range(0, len(qi), 65536)
        ]
        or [np.zeros(0)]
    )
    keep = estimate >= threshold - _ESTIMATE_SLACK
    qi, ti = q_ok[qi[keep]], t_ok[ti[keep]]
    out_q: list[int] = []
    out_t: list[int] = []
    out_j: list[float] = []
    cache: dict[tuple[int, int], _U64] = {}

    def kmers(which: int, i: int) -> _U64:
        key = (which, i)
        if key not in cache:
            if len(cache) > 4096:
                cache.clear()
            cache[key] = (query if which == 0 else tgt).kmers(i)
        return cache[key]

    pairs = zip(qi.tolist(), ti.tolist(), strict=True)
    desc = "near duplicates: candidate pairs"
    for q, t in progress(pairs, total=len(qi), desc=desc, unit="pair"):
        if skip is not None and (q, t) in skip:
            continue
        j = exact_jaccard(kmers(0, q), kmers(0 if self_join else 1, t))
        if j >= threshold:
            out_q.append(q)
            out_t.append(t)
            out_j.append(j)
    return NearPairs(
        np.asarray(out_q, dtype=np.int64),
        np.asarray(out_t, dtype=np.int64),
        np.asarray(out_j, dtype=np.float64),
        len(codes),
    )
