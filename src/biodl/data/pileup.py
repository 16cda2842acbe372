"""Variant calling from reads: candidates, their pileup tensors, truth labels and
genomic-block splits (DeepVariant-style; Poplin et al. 2018, Nat Biotechnol 36:983).

Candidates (:func:`find_candidates`)
------------------------------------
Reads come from :func:`biodl.io.reads.open_alignments` (filtered there: unmapped,
secondary, supplementary, duplicate and QC-failed reads and MAPQ < 5 skipped). Along each
read's CIGAR, with a base counted only when its quality is at least
``min_base_quality`` (default 10, DeepVariant's ``--min_base_quality``):

* an **SNV** is an aligned base that differs from the reference (``N`` never counts);
* an **insertion** is a CIGAR ``I`` after an aligned base (the anchor), all inserted bases
  A/C/G/T of good quality: REF = the anchor's reference base, ALT = that base + the
  inserted bases;
* a **deletion** is a CIGAR ``D`` after an aligned base of good quality: REF = the anchor
  base + the deleted bases, ALT = the anchor base;
* indels longer than ``max_indel_length`` (default 50 bp, the usual small-variant limit)
  are ignored.

Indels are normalised with :func:`biodl.io.variants.normalize` (left-aligned,
parsimonious, as ``vt normalize``), so every spelling of one indel is counted as one
allele. The **depth** at a position is the number of reads with an aligned base of good
quality there. An allele at a position becomes a candidate when at least
``min_alt_reads`` reads carry it (default 2, DeepVariant's ``vsc_min_count_snps`` and
``vsc_min_count_indels``) and ``alt_reads / depth`` is at least ``min_snv_fraction``
(default 0.12, ``vsc_min_fraction_snps``) for an SNV or ``min_indel_fraction`` (default
0.06, ``vsc_min_fraction_indels``) for an indel (with depth raised to ``alt_reads`` where it
is lower, which a left-shifted indel can make it). Each ``(position, ALT allele)`` is one
:class:`Candidate` (a position with two ALT alleles gives two), in the genome's contig order,
then by position, REF and ALT. Contigs are read in chunks of ``chunk_size`` bases; an indel
is counted in the chunk of its normalised position when the read places it at most 200 bp
to the right of that (longer left shifts across a chunk edge are lost).

Pileups (:func:`iter_pileups`, :func:`pileup_tensors`)
------------------------------------------------------
The layout is :mod:`biodl.encode.pileup`'s: float32 ``(N, 6, H, W)``, default
``(N, 6, 100, 61)``, column ``W // 2`` the candidate's position (``pos``, the anchor for an
indel), the rows the reads that overlap that position. A read *supports* the candidate
when it carries the same normalised allele by the rules above (for an SNV, the ALT base with
quality at least ``min_base_quality``). Down-sampling is seeded per candidate from
``seed``, the contig name, the position and the ALT allele, so a candidate's tensor does not
depend on which other candidates are built.

Labels (:func:`label_candidates`)
---------------------------------
The truth VCF's records are split into alleles and normalised like the candidates; an
allele's genotype class is the number of its copies in the first sample's ``GT``: 0 copies
(or no record) **hom-ref 0**, some but not all copies **het 1**, all copies **hom-alt 2**
(so for a ``1/2`` record each ALT allele is het; a haploid ``1`` is hom-alt). A candidate
whose REF span lies inside a confident region gets the class of the truth allele with the
same contig, position, REF and ALT, else 0; a candidate outside the confident regions is
unlabelled (-1: no training, no evaluation). Truth alleles inside the confident regions that
no candidate matches are reported as missed (the recall ceiling of the candidate step).

Splits (:func:`block_split`, :func:`region_split`)
--------------------------------------------------
Each contig is cut into blocks of ``block_size`` bases (default 10 kb), each block given to
train, valid or test by a seeded hash of (seed, contig, block index), independent of the
candidates. A candidate is kept only when its whole pileup window ``[pos - W//2,
pos - W//2 + W)`` lies in blocks of one split; the others are dropped, so no two windows of
different splits overlap. :func:`region_split` puts the candidates whose window is inside
given regions (e.g. the confident BED) in test and splits the rest by blocks into train and
valid, dropping windows that cross a region edge. (Reads are longer than a window, so one
read can appear in a train and a test pileup near a block edge; the windows never overlap.)

Examples
--------
>>> Candidate("chr1", 10, "A", "AT", alt_reads=3, depth=10).kind
'insertion'
>>> CandidateOptions().min_snv_fraction, CandidateOptions().min_indel_fraction
(0.12, 0.06)
"""

from __future__ import annotations

import hashlib
import os
import zlib
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import pysam

from biodl.config import BlockSplit, Config, PileupSource, RegionSplit
from biodl.data.examples import Examples
from biodl.encode.pileup import PILEUP_HEIGHT, PILEUP_WIDTH, pileup_tensor
from biodl.errors import InputError
from biodl.io.bed import Interval, read_bed
from biodl.io.reads import Alignments, contig_mapping
from biodl.io.variants import SequenceSource, Variant, check_alleles, iter_records, normalize

__all__ = [
    "GENOTYPE_CLASSES",
    "Candidate",
    "CandidateLabels",
    "CandidateOptions",
    "CandidateSplits",
    "Region",
    "TruthVariant",
    "block_split",
    "candidate_id",
    "candidate_options",
    "find_candidates",
    "iter_pileups",
    "label_candidates",
    "load_pileup_source",
    "parse_region",
    "pileup_tensors",
    "read_regions",
    "read_truth",
    "region_split",
]

GENOTYPE_CLASSES: Final = ("hom_ref", "het", "hom_alt")
"""Label names of the classes 0, 1, 2 (-1: unlabelled, outside the confident regions)."""

_MARGIN: Final = 200  # bp right of a chunk scanned for indels that left-shift into it
_N = ord("N")
_ALIGNED = frozenset((0, 7, 8))
_INS, _DEL, _SKIP, _SOFT = 1, 2, 3, 4
_ACGT = frozenset(b"ACGT")

Region = tuple[str, int, int]
"""``(contig, start, end)``: 0-based, half-open, the genome's contig name."""


@dataclass(frozen=True, kw_only=True)
class CandidateOptions:
    """Thresholds of candidate generation (defaults: DeepVariant's ``make_examples``).

    Attributes
    ----------
    min_alt_reads
        Reads that must carry an allele (``vsc_min_count_snps``/``_indels``: 2).
    min_snv_fraction
        Minimum ``alt_reads / depth`` of an SNV (``vsc_min_fraction_snps``: 0.12).
    min_indel_fraction
        Same for an indel (``vsc_min_fraction_indels``: 0.06).
    min_base_quality
        Bases below this quality are not evidence (``min_base_quality``: 10).
    max_indel_length
        Longer insertions and deletions are ignored (50 bp).
    chunk_size
        Bases read at a time.
    """

    min_alt_reads: int = 2
    min_snv_fraction: float = 0.12
    min_indel_fraction: float = 0.06
    min_base_quality: int = 10
    max_indel_length: int = 50
    chunk_size: int = 100_000

    def __post_init__(self) -> None:
        if self.min_alt_reads < 1:
            raise InputError(f"min_alt_reads must be >= 1, not {self.min_alt_reads}")
        for name in ("min_snv_fraction", "min_indel_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InputError(f"{name} must be in [0, 1], not {value}")
        if self.max_indel_length < 1 or self.chunk_size < 1:
            raise InputError("max_indel_length and chunk_size must be >= 1")


@dataclass(frozen=True)
class Candidate:
    """One candidate allele, VCF-style (normalised; indels with their anchor base).

    Attributes
    ----------
    chrom
        Contig, as the genome names it.
    pos
        1-based position of the first REF base (for an indel, the anchor).
    ref, alt
        Alleles.
    alt_reads
        Reads carrying ``alt``.
    depth
        Reads with a good-quality aligned base at ``pos``.
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    alt_reads: int = 0
    depth: int = 0

    @property
    def start(self) -> int:
        """0-based position of the first REF base (the pileup's centre column)."""
        return self.pos - 1

    @property
    def kind(self) -> Literal["snv", "insertion", "deletion"]:
        """``"snv"``, ``"insertion"`` or ``"deletion"``."""
        if len(self.ref) == len(self.alt):
            return "snv"
        return "insertion" if len(self.alt) > len(self.ref) else "deletion"

    @property
    def fraction(self) -> float:
        """``alt_reads / depth`` (depth raised to ``alt_reads`` where lower)."""
        return self.alt_reads / max(self.depth, self.alt_reads, 1)

    @property
    def key(self) -> tuple[str, int, str, str]:
        """``(chrom, pos, ref, alt)``."""
        return (self.chrom, self.pos, self.ref, self.alt)

    def variant(self) -> Variant:
        """As a :class:`biodl.io.variants.Variant`."""
        return Variant(self.chrom, self.pos, self.ref, self.alt)

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}>{self.alt}"


def _genome_name(genome: SequenceSource) -> str:
    return str(getattr(genome, "path", None) or getattr(genome, "name", "the reference genome"))


def _merge(regions: Iterable[Region], order: Mapping[str, int]) -> list[Region]:
    out: list[Region] = []
    for chrom, start, end in sorted(regions, key=lambda r: (order.get(r[0], 1 << 30), r[1], r[2])):
        if out and out[-1][0] == chrom and start <= out[-1][2]:
            out[-1] = (chrom, out[-1][1], max(out[-1][2], end))
        else:
            out.append((chrom, start, end))
    return out


def read_regions(
    regions: str | os.PathLike[str] | Iterable[Interval | Region],
    genome: SequenceSource,
) -> list[Region]:
    """Regions (a BED file or intervals) in the genome's contig names, clipped to the
    contigs, merged and sorted in the genome's order.

    Contig names are reconciled with :func:`biodl.io.reads.contig_mapping` (``20`` <->
    ``chr20``); regions on contigs the genome lacks are dropped.

    Raises
    ------
    InputError
        A malformed BED, or no region's contig can be matched to the genome.

    Examples
    --------
    >>> class G:
    ...     chrom_sizes = {"chr1": 100, "chr2": 50}
    ...     def fetch(self, chrom, start, end): return "N" * (end - start)
    >>> read_regions([("2", 40, 80), ("1", 5, 10), ("1", 8, 20)], G())
    [('chr1', 5, 20), ('chr2', 40, 50)]
    """
    source: str | None = None
    if isinstance(regions, str | os.PathLike):
        source = os.fspath(regions)
        items: list[Region] = [(iv.chrom, iv.start, iv.end) for iv in read_bed(regions)]
    else:
        items = [(str(r[0]), int(r[1]), int(r[2])) for r in regions]
    sizes = genome.chrom_sizes
    names = contig_mapping(
        (c for c, _, _ in items),
        sizes,
        source=source or "the regions",
        target=_genome_name(genome),
    )
    mapped: list[Region] = []
    for chrom, start, end in items:
        name = names.get(chrom)
        if name is None:
            continue
        lo, hi = max(start, 0), min(end, int(sizes[name]))
        if lo < hi:
            mapped.append((name, lo, hi))
    return _merge(mapped, {c: i for i, c in enumerate(sizes)})


class _RegionIndex:
    """Merged regions, for containment and overlap tests."""

    def __init__(self, regions: Iterable[Region]) -> None:
        by_chrom: dict[str, list[tuple[int, int]]] = {}
        for chrom, start, end in regions:
            by_chrom.setdefault(chrom, []).append((start, end))
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        for chrom, spans in by_chrom.items():
            merged: list[tuple[int, int]] = []
            for start, end in sorted(spans):
                if merged and start <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            self._starts[chrom] = [s for s, _ in merged]
            self._ends[chrom] = [e for _, e in merged]

    def contains(self, chrom: str, start: int, end: int) -> bool:
        """``[start, end)`` lies inside one region."""
        starts = self._starts.get(chrom)
        if not starts:
            return False
        i = bisect_right(starts, start) - 1
        return i >= 0 and end <= self._ends[chrom][i]

    def overlaps(self, chrom: str, start: int, end: int) -> bool:
        """``[start, end)`` shares a base with a region."""
        starts = self._starts.get(chrom)
        if not starts:
            return False
        i = bisect_right(starts, end - 1) - 1
        return i >= 0 and self._ends[chrom][i] > start


def _qualities(read: pysam.AlignedSegment, n: int) -> npt.NDArray[np.uint8]:
    quals = read.query_qualities
    if quals is None:
        return np.full(n, 255, dtype=np.uint8)
    return np.frombuffer(quals, dtype=np.uint8)


def _raw_indels(
    read: pysam.AlignedSegment,
    seq: bytes,
    qual: npt.NDArray[np.uint8],
    ref: str,
    ref_start: int,
    lo: int,
    hi: int,
    *,
    min_bq: int,
    max_len: int,
) -> list[tuple[int, str, str]]:
    """The read's indels anchored in ``[lo, hi)``, as raw ``(anchor, REF, ALT)``."""
    out: list[tuple[int, str, str]] = []
    cigar = read.cigartuples or []
    r, q = read.reference_start, 0
    prev = -1
    for op, n in cigar:
        if op in _ALIGNED:
            r += n
            q += n
        elif op == _INS:
            anchor = r - 1
            if prev in _ALIGNED and n <= max_len and lo <= anchor < hi:
                inserted = seq[q : q + n]
                if set(inserted) <= _ACGT and int(qual[q - 1 : q + n].min()) >= min_bq:
                    base = ref[anchor - ref_start]
                    if base != "N":
                        out.append((anchor, base, base + inserted.decode("ascii")))
            q += n
        elif op == _DEL:
            anchor = r - 1
            if prev in _ALIGNED and n <= max_len and lo <= anchor < hi and qual[q - 1] >= min_bq:
                deleted = ref[anchor - ref_start : anchor - ref_start + n + 1]
                if "N" not in deleted:
                    out.append((anchor, deleted, deleted[0]))
            r += n
        elif op == _SKIP:
            r += n
        elif op == _SOFT:
            q += n
        prev = op
    return out


class _Normaliser:
    """``normalize`` of raw indel keys, cached per contig."""

    def __init__(self, genome: SequenceSource, chrom: str) -> None:
        self._genome = genome
        self._chrom = chrom
        self._cache: dict[tuple[int, str, str], tuple[int, str, str]] = {}

    def __call__(self, key: tuple[int, str, str]) -> tuple[int, str, str]:
        hit = self._cache.get(key)
        if hit is None:
            v = normalize(Variant(self._chrom, key[0] + 1, key[1], key[2]), self._genome)
            hit = (v.start, v.ref, v.alt)
            self._cache[key] = hit
        return hit


def _chunk_candidates(
    alignments: Alignments,
    genome: SequenceSource,
    chrom: str,
    cs: int,
    ce: int,
    opts: CandidateOptions,
    normaliser: _Normaliser,
) -> list[Candidate]:
    reads = list(alignments.fetch(chrom, cs, ce + _MARGIN))
    if not reads:
        return []
    lo = min(cs, *(r.reference_start for r in reads))
    hi = max(ce + _MARGIN, *((r.reference_end or r.reference_start) for r in reads)) + 1
    ref_text = genome.fetch(chrom, lo, hi)
    ref = np.frombuffer(ref_text.encode("ascii"), dtype=np.uint8)
    min_bq = opts.min_base_quality
    depth = np.zeros(ce - cs, dtype=np.int64)
    snv_pos: list[npt.NDArray[np.int64]] = []
    snv_base: list[npt.NDArray[np.uint8]] = []
    indels: Counter[tuple[int, str, str]] = Counter()
    for read in reads:
        text = read.query_sequence or ""
        seq_bytes = text.encode("ascii")
        seq = np.frombuffer(seq_bytes, dtype=np.uint8)
        qual = _qualities(read, len(seq))
        r, q = read.reference_start, 0
        for op, n in read.cigartuples or []:
            if op in _ALIGNED:
                a, b = max(r, cs), min(r + n, ce)
                if a < b:
                    qs = q + a - r
                    good = qual[qs : qs + b - a] >= min_bq
                    depth[a - cs : b - cs] += good
                    bases = seq[qs : qs + b - a]
                    refs = ref[a - lo : b - lo]
                    mismatch = good & (bases != refs) & (bases != _N) & (refs != _N)
                    if mismatch.any():
                        idx = np.flatnonzero(mismatch)
                        snv_pos.append(idx + a)
                        snv_base.append(bases[idx])
                r += n
                q += n
            elif op in (_INS, _SOFT):
                q += n
            elif op in (_DEL, _SKIP):
                r += n
        if "I" in (read.cigarstring or "") or "D" in (read.cigarstring or ""):
            for key in _raw_indels(
                read,
                seq_bytes,
                qual,
                ref_text,
                lo,
                cs,
                ce + _MARGIN,
                min_bq=min_bq,
                max_len=opts.max_indel_length,
            ):
                indels[normaliser(key)] += 1
    out: list[Candidate] = []
    if snv_pos:
        positions = np.concatenate(snv_pos)
        codes = positions * 256 + np.concatenate(snv_base).astype(np.int64)
        keys, counts = np.unique(codes, return_counts=True)
        for code, count in zip(keys.tolist(), counts.tolist(), strict=True):
            pos, base = divmod(code, 256)
            d = int(depth[pos - cs])
            if count >= opts.min_alt_reads and count >= opts.min_snv_fraction * d:
                out.append(Candidate(chrom, pos + 1, chr(ref[pos - lo]), chr(base), count, d))
    for (start, r_allele, a_allele), count in indels.items():
        if not cs <= start < ce:
            continue
        d = int(depth[start - cs])
        if count >= opts.min_alt_reads and count >= opts.min_indel_fraction * max(d, count):
            out.append(Candidate(chrom, start + 1, r_allele, a_allele, count, d))
    return out


def _resolve_search_regions(
    regions: str | os.PathLike[str] | Iterable[Interval | Region] | None,
    alignments: Alignments,
    genome: SequenceSource,
) -> list[Region]:
    if regions is not None:
        return read_regions(regions, genome)
    return [
        (chrom, 0, int(size))
        for chrom, size in genome.chrom_sizes.items()
        if chrom in alignments.contigs
    ]


def find_candidates(
    alignments: Alignments,
    genome: SequenceSource,
    *,
    regions: str | os.PathLike[str] | Iterable[Interval | Region] | None = None,
    options: CandidateOptions | None = None,
) -> list[Candidate]:
    """Candidate SNVs and indels from the reads (rules in the module docstring).

    Parameters
    ----------
    alignments
        Reads, from :func:`biodl.io.reads.open_alignments` opened with this genome's
        contigs.
    genome
        The reference (:class:`biodl.io.Genome` or :func:`biodl.io.reference.open_reference`).
    regions
        Where to look: a BED file, intervals or ``(contig, start, end)`` tuples (contig
        names reconciled); default every contig the reads and the genome share.
    options
        Thresholds; default :class:`CandidateOptions` ().

    Returns
    -------
    list[Candidate]
        Sorted by contig (genome order), position, REF, ALT.
    """
    opts = options or CandidateOptions()
    order = {c: i for i, c in enumerate(genome.chrom_sizes)}
    out: list[Candidate] = []
    normalisers: dict[str, _Normaliser] = {}
    for chrom, start, end in _resolve_search_regions(regions, alignments, genome):
        normaliser = normalisers.setdefault(chrom, _Normaliser(genome, chrom))
        for cs in range(start, end, opts.chunk_size):
            ce = min(cs + opts.chunk_size, end)
            out.extend(_chunk_candidates(alignments, genome, chrom, cs, ce, opts, normaliser))
    out.sort(key=lambda c: (order.get(c.chrom, len(order)), c.pos, c.ref, c.alt))
    return out


def _base_at(read: pysam.AlignedSegment, pos: int) -> int | None:
    """Query index of the read's aligned base at reference ``pos``, or ``None``."""
    r, q = read.reference_start, 0
    for op, n in read.cigartuples or []:
        if op in _ALIGNED:
            if r <= pos < r + n:
                return q + pos - r
            r += n
            q += n
        elif op in (_INS, _SOFT):
            q += n
        elif op in (_DEL, _SKIP):
            if pos < r + n:
                return None
            r += n
        if r > pos:
            return None
    return None


def _supports(
    read: pysam.AlignedSegment,
    candidate: Candidate,
    genome: SequenceSource,
    normaliser: _Normaliser,
    *,
    min_bq: int,
    max_len: int,
) -> bool:
    seq_text = read.query_sequence or ""
    if candidate.kind == "snv":
        i = _base_at(read, candidate.start)
        if i is None:
            return False
        quals = read.query_qualities
        q = 255 if quals is None else int(quals[i])
        return seq_text[i] == candidate.alt and q >= min_bq
    lo = read.reference_start
    hi = (read.reference_end or lo) + 1
    ref_text = genome.fetch(candidate.chrom, lo, hi)
    seq = seq_text.encode("ascii")
    qual = _qualities(read, len(seq))
    want = (candidate.start, candidate.ref, candidate.alt)
    for key in _raw_indels(read, seq, qual, ref_text, lo, lo, hi, min_bq=min_bq, max_len=max_len):
        if key[0] >= candidate.start and normaliser(key) == want:
            return True
    return False


def _candidate_seed(seed: int, candidate: Candidate) -> list[int]:
    return [
        seed,
        zlib.crc32(candidate.chrom.encode()),
        candidate.start,
        zlib.crc32(f"{candidate.ref}>{candidate.alt}".encode()),
    ]


def iter_pileups(
    alignments: Alignments,
    genome: SequenceSource,
    candidates: Sequence[Candidate],
    *,
    height: int = PILEUP_HEIGHT,
    width: int = PILEUP_WIDTH,
    seed: int = 0,
    batch_size: int = 256,
    options: CandidateOptions | None = None,
) -> Iterator[npt.NDArray[np.float32]]:
    """Pileup tensors of ``candidates``, in order, as float32 batches ``(n, 6, H, W)``.

    ``options`` gives ``min_base_quality`` and ``max_indel_length`` for deciding which
    reads support a candidate (use the ones the candidates were found with). See
    :mod:`biodl.encode.pileup` for the layout.
    """
    if width < 1 or width % 2 == 0:
        raise InputError(f"pileup width must be odd and positive, not {width}")
    opts = options or CandidateOptions()
    normalisers: dict[str, _Normaliser] = {}
    batch: list[npt.NDArray[np.float32]] = []
    for cand in candidates:
        normaliser = normalisers.setdefault(cand.chrom, _Normaliser(genome, cand.chrom))
        reads = list(alignments.fetch(cand.chrom, cand.start, cand.start + 1))
        supports = [
            _supports(
                r,
                cand,
                genome,
                normaliser,
                min_bq=opts.min_base_quality,
                max_len=opts.max_indel_length,
            )
            for r in reads
        ]
        window_start = cand.start - width // 2
        batch.append(
            pileup_tensor(
                reads,
                supports,
                reference=genome.fetch(cand.chrom, window_start, window_start + width),
                window_start=window_start,
                height=height,
                seed=_candidate_seed(seed, cand),
            )
        )
        if len(batch) == batch_size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


def pileup_tensors(
    alignments: Alignments,
    genome: SequenceSource,
    candidates: Sequence[Candidate],
    *,
    height: int = PILEUP_HEIGHT,
    width: int = PILEUP_WIDTH,
    seed: int = 0,
    options: CandidateOptions | None = None,
) -> npt.NDArray[np.float32]:
    """All pileups of ``candidates`` as one float32 array ``(N, 6, H, W)``.

    Flatten with :func:`biodl.encode.pileup.flatten_pileups` for ``(N, 6, H*W)``; for
    many candidates stream with :func:`iter_pileups` (each candidate takes ``24*H*W``
    bytes, 146 kB at the defaults).
    """
    parts = list(
        iter_pileups(
            alignments,
            genome,
            candidates,
            height=height,
            width=width,
            seed=seed,
            options=options,
        )
    )
    if not parts:
        return np.zeros((0, 6, height, width), dtype=np.float32)
    return np.concatenate(parts)


@dataclass(frozen=True)
class TruthVariant:
    """One ALT allele of the truth set with copies in the genotype.

    Attributes
    ----------
    variant
        Normalised, in the genome's contig names.
    genotype
        1 het, 2 hom-alt (:data:`GENOTYPE_CLASSES`).
    gt
        The ``GT`` text of the record.
    """

    variant: Variant
    genotype: int
    gt: str

    @property
    def key(self) -> tuple[str, int, str, str]:
        """``(chrom, pos, ref, alt)``."""
        v = self.variant
        return (v.chrom, v.pos, v.ref, v.alt)


def _genotype(line: str | None) -> tuple[str, list[int]] | None:
    """``GT`` text and allele indices of the first sample, or ``None`` when missing."""
    if line is None:
        return None
    fields = line.split("\t")
    if len(fields) < 10:
        return None
    keys = fields[8].split(":")
    if "GT" not in keys:
        return None
    values = fields[9].split(":")
    index = keys.index("GT")
    if index >= len(values):
        return None
    gt = values[index]
    alleles = gt.replace("|", "/").split("/")
    if any(a in (".", "") for a in alleles) or not all(a.isdigit() for a in alleles):
        return None
    return gt, [int(a) for a in alleles]


def read_truth(path: str | os.PathLike[str], genome: SequenceSource) -> list[TruthVariant]:
    """The ALT alleles with copies in the first sample's genotype of a truth VCF/BCF.

    Alleles are split per ALT and normalised; contig names reconciled with the genome
    (records on contigs the genome lacks are skipped). Records without a called ``GT``,
    symbolic alleles and hom-ref genotypes give nothing; ``FILTER`` is not read (truth
    sets such as GIAB's are all PASS).

    Raises
    ------
    InputError
        A malformed VCF, no contig name matches the genome's, or a REF that differs from
        the genome (another assembly).
    """
    records = list(iter_records(path))
    names = contig_mapping(
        (vs[0].chrom for _, vs in records if vs),
        genome.chrom_sizes,
        source=path,
        target=_genome_name(genome),
    )
    out: list[TruthVariant] = []
    for line, variants in records:
        parsed = _genotype(line)
        if parsed is None or not variants:
            continue
        gt, alleles = parsed
        chrom = names.get(variants[0].chrom)
        if chrom is None:
            continue
        for v in variants:
            copies = alleles.count(v.allele)
            if copies == 0 or check_alleles(v) is not None:
                continue
            on_genome = genome.fetch(chrom, v.start, v.start + len(v.ref))
            if on_genome != v.ref and "N" not in on_genome:
                raise InputError(
                    f"REF {v.ref} differs from the genome's {on_genome} at {chrom}:{v.pos} "
                    "(is the truth set on another assembly?)",
                    path=path,
                    record=str(v),
                )
            moved = normalize(Variant(chrom, v.pos, v.ref, v.alt, v.id, v.record, v.allele), genome)
            out.append(TruthVariant(moved, 2 if copies == len(alleles) else 1, gt))
    return out


@dataclass(frozen=True)
class CandidateLabels:
    """Labels of candidates against a truth set.

    Attributes
    ----------
    labels
        int64 ``(N,)``: 0 hom-ref, 1 het, 2 hom-alt, -1 unlabelled (outside the confident
        regions).
    truth
        The truth alleles inside the confident (and searched) regions.
    missed
        Those of ``truth`` that no candidate matches.
    """

    labels: npt.NDArray[np.int64]
    truth: tuple[TruthVariant, ...]
    missed: tuple[TruthVariant, ...]

    @property
    def candidate_recall(self) -> float:
        """Share of :attr:`truth` with a candidate (NaN without truth)."""
        if not self.truth:
            return float("nan")
        return 1.0 - len(self.missed) / len(self.truth)


def label_candidates(
    candidates: Sequence[Candidate],
    truth: str | os.PathLike[str] | Sequence[TruthVariant],
    genome: SequenceSource,
    *,
    confident: str | os.PathLike[str] | Iterable[Interval | Region] | None = None,
    searched: str | os.PathLike[str] | Iterable[Interval | Region] | None = None,
) -> CandidateLabels:
    """Hom-ref / het / hom-alt labels of candidates from a truth VCF and confident BED.

    Parameters
    ----------
    candidates
        From :func:`find_candidates`.
    truth
        Truth VCF/BCF (read with :func:`read_truth`) or its alleles.
    genome
        The reference the candidates were called against.
    confident
        Confident regions (BED or intervals); default: everywhere.
    searched
        The regions candidates were looked for in, to count only truth there as missed;
        default: everywhere.

    Returns
    -------
    CandidateLabels
    """
    alleles = read_truth(truth, genome) if isinstance(truth, str | os.PathLike) else list(truth)
    conf = None if confident is None else _RegionIndex(read_regions(confident, genome))
    where = None if searched is None else _RegionIndex(read_regions(searched, genome))

    def inside(chrom: str, start: int, end: int) -> bool:
        return (conf is None or conf.contains(chrom, start, end)) and (
            where is None or where.contains(chrom, start, end)
        )

    by_key = {t.key: t.genotype for t in alleles}
    labels = np.full(len(candidates), -1, dtype=np.int64)
    for i, c in enumerate(candidates):
        if conf is None or conf.contains(c.chrom, c.start, c.start + len(c.ref)):
            labels[i] = by_key.get(c.key, 0)
    found = {c.key for c in candidates}
    kept = tuple(
        t
        for t in alleles
        if inside(t.variant.chrom, t.variant.start, t.variant.start + len(t.variant.ref))
    )
    missed = tuple(t for t in kept if t.key not in found)
    return CandidateLabels(labels=labels, truth=kept, missed=missed)


class CandidateSplits(NamedTuple):
    """Candidate indices (ascending int64 arrays) per split; ``dropped``: windows that
    would cross a split edge."""

    train: npt.NDArray[np.int64]
    valid: npt.NDArray[np.int64]
    test: npt.NDArray[np.int64]
    dropped: npt.NDArray[np.int64]


def _unit(seed: int, chrom: str, block: int) -> float:
    digest = hashlib.blake2b(f"{seed}\t{chrom}\t{block}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _splits_from(assigned: Sequence[int]) -> CandidateSplits:
    a = np.asarray(assigned, dtype=np.int64)
    return CandidateSplits(*(np.flatnonzero(a == k).astype(np.int64) for k in (0, 1, 2, -1)))


def _check_block(block_size: int, width: int) -> None:
    if width < 1 or width % 2 == 0:
        raise InputError(f"pileup width must be odd and positive, not {width}")
    if block_size < width:
        raise InputError(f"block_size {block_size} must be at least the pileup width {width}")


def block_split(
    candidates: Sequence[Candidate],
    *,
    block_size: int = 10_000,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    width: int = PILEUP_WIDTH,
) -> CandidateSplits:
    """Train/valid/test by genomic blocks; windows crossing a split edge dropped.

    Block ``k`` of a contig (``[k*block_size, (k+1)*block_size)``) goes to train when a
    seeded hash of (seed, contig, k) in ``[0, 1)`` is below ``fractions[0]``, to valid when
    below ``fractions[0] + fractions[1]``, else to test.

    Examples
    --------
    >>> cands = [Candidate("c", p, "A", "G") for p in (100, 9_990, 10_100, 25_000)]
    >>> s = block_split(cands, fractions=(1.0, 0.0, 0.0))
    >>> s.train.tolist(), s.dropped.tolist()  # one split: nothing crosses an edge
    ([0, 1, 2, 3], [])
    """
    _check_block(block_size, width)
    total = sum(fractions)
    if len(fractions) != 3 or min(fractions) < 0 or total <= 0:
        raise InputError(f"fractions must be three non-negative numbers, not {fractions}")
    edges = np.cumsum(np.asarray(fractions, dtype=np.float64) / total)

    def split_of(chrom: str, pos: int) -> int:
        u = _unit(seed, chrom, pos // block_size)
        return min(int(np.searchsorted(edges, u, side="right")), 2)

    assigned = []
    for c in candidates:
        lo = c.start - width // 2
        parts = {split_of(c.chrom, max(lo, 0)), split_of(c.chrom, lo + width - 1)}
        assigned.append(parts.pop() if len(parts) == 1 else -1)
    return _splits_from(assigned)


def region_split(
    candidates: Sequence[Candidate],
    test_regions: Iterable[Region],
    *,
    valid_fraction: float = 0.1,
    block_size: int = 10_000,
    seed: int = 0,
    width: int = PILEUP_WIDTH,
) -> CandidateSplits:
    """Test = windows inside ``test_regions``; the rest train/valid by blocks.

    ``test_regions`` are in the genome's names (:func:`read_regions`). A window that
    crosses a test-region edge, or a train/valid block edge between different splits, is
    dropped. Blocks go to valid when their seeded hash is below ``valid_fraction``.

    Examples
    --------
    >>> cands = [Candidate("c", p, "A", "G") for p in (100, 1_000, 1_180, 5_000)]
    >>> s = region_split(cands, [("c", 900, 1_200)], valid_fraction=0.0)
    >>> s.test.tolist(), s.train.tolist(), s.dropped.tolist()
    ([1], [0, 3], [2])
    """
    _check_block(block_size, width)
    if not 0.0 <= valid_fraction <= 1.0:
        raise InputError(f"valid_fraction must be in [0, 1], not {valid_fraction}")
    index = _RegionIndex(test_regions)
    assigned = []
    for c in candidates:
        lo = c.start - width // 2
        hi = lo + width
        if index.contains(c.chrom, lo, hi):
            assigned.append(2)
        elif index.overlaps(c.chrom, lo, hi):
            assigned.append(-1)
        else:
            parts = {
                int(_unit(seed, c.chrom, p // block_size) < valid_fraction)
                for p in (max(lo, 0), hi - 1)
            }
            assigned.append(parts.pop() if len(parts) == 1 else -1)
    return _splits_from(assigned)


# ---------------------------------------------------------------------------------------
# a configuration's 'reads:' source as examples


def candidate_id(candidate: Candidate) -> str:
    """The example id of a candidate: ``chrom:pos:REF>ALT`` (1-based position).

    Examples
    --------
    >>> candidate_id(Candidate("chr20", 100, "A", "AT"))
    'chr20:100:A>AT'
    """
    return f"{candidate.chrom}:{candidate.pos}:{candidate.ref}>{candidate.alt}"


def load_pileup_source(
    source: PileupSource, config: Config
) -> tuple[Examples, list[str] | None, dict[str, object]]:
    """The labelled candidates of a ``reads:`` source as examples, the split of each (by
    the configuration's ``{blocks: F}`` / ``{regions: BED}`` valid and test; ``None``
    without either), and a summary (candidates, labelled, truth alleles missed...).

    ``features`` hold each candidate's flattened pileup ``(6, H*W)``, ``labels`` its
    genotype class name (:data:`GENOTYPE_CLASSES`), ``ids`` :func:`candidate_id`,
    ``chroms`` its contig; candidates outside the confident regions, and those whose
    window crosses a split edge, are left out.
    """
    from biodl.io.reads import ReadFilter, open_alignments
    from biodl.io.reference import open_reference

    options = candidate_options(source)
    genome_path = config.resolve(source.genome)
    reads_path = config.resolve(source.reads)
    with open_reference(genome_path) as genome:
        contigs = dict(genome.chrom_sizes) if hasattr(genome, "chrom_sizes") else {}
        with open_alignments(
            reads_path,
            genome_contigs=contigs,
            genome_name=genome_path,
            read_filter=ReadFilter(min_mapping_quality=source.min_mapping_quality),
        ) as alignments:
            regions = _candidate_regions(source, config)
            candidates = find_candidates(alignments, genome, regions=regions, options=options)
            labels = label_candidates(
                candidates,
                config.resolve(source.truth),
                genome,
                confident=None if source.confident is None else config.resolve(source.confident),
                searched=regions,
            )
            keep = np.flatnonzero(labels.labels >= 0)
            split: list[str] | None = None
            specs = [config.data.valid, config.data.test]
            if any(spec is not None for spec in specs):
                split_of = np.full(len(candidates), "", dtype=object)
                chosen = _config_split(candidates, config, genome, source.width)
                for name, idx in (
                    ("train", chosen.train),
                    ("valid", chosen.valid),
                    ("test", chosen.test),
                ):
                    split_of[idx] = name
                keep = np.array([i for i in keep if split_of[i]], dtype=np.int64)
                split = [str(split_of[i]) for i in keep]
            kept = [candidates[i] for i in keep]
            batches = list(
                iter_pileups(
                    alignments,
                    genome,
                    kept,
                    height=source.height,
                    width=source.width,
                    seed=config.train.seed,
                    options=options,
                )
            )
    pileups = (
        np.concatenate(batches)
        if batches
        else np.zeros((0, 6, source.height, source.width), dtype=np.float32)
    )
    flat = pileups.reshape(len(kept), 6, source.height * source.width)
    examples = Examples(
        sequences=[""] * len(kept),
        labels=[GENOTYPE_CLASSES[int(labels.labels[i])] for i in keep],
        ids=[candidate_id(c) for c in kept],
        origins=[(os.fspath(reads_path), 0)] * len(kept),
        chroms=[c.chrom for c in kept],
        features=list(flat),
    )
    summary: dict[str, object] = {
        "candidates": len(candidates),
        "labelled": int((labels.labels >= 0).sum()),
        "used": len(kept),
        "truth_alleles": len(labels.truth),
        "truth_missed": len(labels.missed),
        "candidate_recall": labels.candidate_recall,
    }
    return examples, split, summary


def parse_region(text: str) -> Region:
    """``chrom:start-end`` (1-based, inclusive, as samtools writes it; commas allowed) as
    a 0-based half-open :data:`Region`.

    Examples
    --------
    >>> parse_region("chr20:10,000,001-10,100,000")
    ('chr20', 10000000, 10100000)
    """
    chrom, sep, span = text.strip().rpartition(":")
    start_text, dash, end_text = span.replace(",", "").partition("-")
    if not sep or not chrom or not dash or not start_text.isdigit() or not end_text.isdigit():
        raise InputError(f"region {text!r}: expected chrom:start-end (1-based, inclusive)")
    start, end = int(start_text), int(end_text)
    if start < 1 or end < start:
        raise InputError(f"region {text!r}: expected 1 <= start <= end")
    return chrom, start - 1, end


def _candidate_regions(
    source: PileupSource, config: Config
) -> str | os.PathLike[str] | list[Region] | None:
    """The source's ``candidate_regions``: a BED path, parsed region strings, or None."""
    given = source.candidate_regions
    if given is None:
        return None
    if isinstance(given, str):
        return config.resolve(given)
    return [parse_region(text) for text in given]


def candidate_options(source: PileupSource) -> CandidateOptions:
    """The candidate thresholds of a ``reads:`` source (or of a run's ``pileup`` block
    read back into one)."""
    return CandidateOptions(
        min_alt_reads=source.min_alt_reads,
        min_snv_fraction=source.min_snv_fraction,
        min_indel_fraction=source.min_indel_fraction,
        min_base_quality=source.min_base_quality,
        max_indel_length=source.max_indel_length,
    )


def _config_split(
    candidates: Sequence[Candidate], config: Config, genome: SequenceSource, width: int
) -> CandidateSplits:
    """The splits of the configuration's ``{blocks: F}`` / ``{regions: BED}`` specs."""
    valid, test = config.data.valid, config.data.test
    seed = config.train.seed
    valid_share = valid.blocks if isinstance(valid, BlockSplit) else 0.0
    if isinstance(test, RegionSplit):
        block = valid.block_size if isinstance(valid, BlockSplit) else 10_000
        regions = read_regions(config.resolve(test.regions), genome)
        return region_split(
            candidates,
            regions,
            valid_fraction=valid_share,
            block_size=block,
            seed=seed,
            width=width,
        )
    test_share = test.blocks if isinstance(test, BlockSplit) else 0.0
    block = next((s.block_size for s in (valid, test) if isinstance(s, BlockSplit)), 10_000)
    return block_split(
        candidates,
        block_size=block,
        fractions=(1.0 - valid_share - test_share, valid_share, test_share),
        seed=seed,
        width=width,
    )
