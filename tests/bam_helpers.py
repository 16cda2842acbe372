"""Tiny BAMs and FASTAs for the read, candidate and pileup tests (written with pysam)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pysam

#: 300 bp of fixed, non-repetitive reference with a planted homopolymer GAAAAT at 198..203.
REF = (
    "TGCATCGGATCCAGTTACGCATGGCTAAGCTTGACCTAGGTCAATGCGTACCGATTGCAGGCTTAACGTAGCATG"
    "GTACCATCGATGCTAGCTTACGGATCACGTTGACCATGCAGTCGATCCGTAGCTAGGCATCGTTACGGATCGATG"
    "CAAGCTTCGTACGGATCCATGGCTAGCATCGATCGTACGTTAGGCATCGAAAATCTGAAAATCGCTAGGATCCGT"
    "ACGATGCTAGGCTACGATCGTAGCTAGCATGCATCGGATCGTAGGCTAGCTAGCATCGATGCTAGCATGCATCGG"
)


@dataclass
class Read:
    """One read for :func:`write_bam`: aligned at ``start`` with ``cigar``."""

    name: str
    start: int
    seq: str
    cigar: str
    mapq: int = 60
    flag: int = 0
    qual: list[int] = field(default_factory=list)  # default: 30 everywhere

    @property
    def reverse(self) -> bool:
        return bool(self.flag & 16)


def matching(
    name: str,
    start: int,
    length: int = 40,
    *,
    subs: dict[int, str] | None = None,
    ref: str = REF,
    **kw: object,
) -> Read:
    """A read equal to ``ref[start:start+length]`` except at ``subs`` (0-based ref pos)."""
    seq = list(ref[start : start + length])
    for pos, base in (subs or {}).items():
        seq[pos - start] = base
    return Read(name, start, "".join(seq), f"{length}M", **kw)  # type: ignore[arg-type]


def deletion(
    name: str, start: int, anchor: int, size: int, end: int, *, ref: str = REF, **kw: object
) -> Read:
    """A read over ``[start, end)`` with ``ref[anchor+1 : anchor+1+size]`` deleted."""
    left = ref[start : anchor + 1]
    right = ref[anchor + 1 + size : end]
    return Read(name, start, left + right, f"{len(left)}M{size}D{len(right)}M", **kw)  # type: ignore[arg-type]


def insertion(
    name: str, start: int, anchor: int, inserted: str, end: int, *, ref: str = REF, **kw: object
) -> Read:
    """A read over ``[start, end)`` with ``inserted`` after ``ref[anchor]``."""
    left = ref[start : anchor + 1]
    right = ref[anchor + 1 : end]
    cigar = f"{len(left)}M{len(inserted)}I{len(right)}M"
    return Read(name, start, left + inserted + right, cigar, **kw)  # type: ignore[arg-type]


def write_bam(
    path: Path,
    reads: list[Read],
    *,
    contigs: dict[str, int] | None = None,
    contig: str | None = None,
    index: bool = True,
) -> Path:
    """Write ``reads`` (all on ``contig``, default the first of ``contigs``) sorted, indexed."""
    contigs = contigs or {"1": len(REF)}
    name = contig or next(iter(contigs))
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": n, "LN": ln} for n, ln in contigs.items()],
    }
    tid = list(contigs).index(name)
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for r in sorted(reads, key=lambda r: (r.start, r.name)):
            a = pysam.AlignedSegment(out.header)
            a.query_name = r.name
            a.reference_id = tid
            a.reference_start = r.start
            a.cigarstring = r.cigar
            a.query_sequence = r.seq
            a.mapping_quality = r.mapq
            a.flag = r.flag
            a.query_qualities = pysam.qualitystring_to_array(
                "".join(chr(33 + q) for q in (r.qual or [30] * len(r.seq)))
            )
            out.write(a)
    if index:
        pysam.index(str(path))
    return path


def write_fasta(path: Path, sequences: dict[str, str] | None = None) -> Path:
    """A plain FASTA, 60 bases a line (default: ``chr1`` = :data:`REF`)."""
    sequences = sequences or {"chr1": REF}
    with path.open("w") as f:
        for name, seq in sequences.items():
            f.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                f.write(seq[i : i + 60] + "\n")
    return path
