"""Simulated aligned reads with known variants, for tests of variant calling (and, marked
as simulated, to add to a small real training set).

:func:`simulate_sample` writes a random reference, a diploid sample carrying planted SNVs
and short indels (het or hom-alt), paired-free Illumina-like reads drawn from its two
haplotypes, aligned with exact CIGARs, and the truth:

- base qualities fall along the read (mean 36 at the start to 28 at the end, sd 4, in
  [2, 40]) and each base is miscalled with the probability its quality says
  (``10 ** (-q / 10)``), so low-quality bases carry the errors, as in real data;
- ``error_sites`` positions get a systematic error in about 15 % of the reads (a
  hom-ref candidate that looks like a weak het: what a caller must learn to reject);
- 5 % of the reads have mapping quality 0..20, the rest 60; strands at random;
- outputs: ``ref.fa`` (+ ``.fai``), ``reads.bam`` (+ ``.bai``, sorted), ``truth.vcf.gz``
  (+ ``.tbi``; GT 0/1 or 1/1) and ``confident.bed`` (the whole contig but its ends).

Examples
--------
>>> import tempfile
>>> sim = simulate_sample(tempfile.mkdtemp(), length=3_000, n_variants=6, depth=8, seed=0)
>>> sorted(p.name for p in sim.paths())
['confident.bed', 'reads.bam', 'ref.fa', 'truth.vcf.gz']
>>> len(sim.variants), {v.genotype for v in sim.variants} <= {"0/1", "1/1"}
(6, True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

__all__ = ["PlantedVariant", "SimulatedSample", "simulate_sample"]

_BASES = "ACGT"


@dataclass(frozen=True)
class PlantedVariant:
    """A planted variant: 1-based ``pos``, VCF alleles, genotype ``0/1`` or ``1/1``."""

    pos: int
    ref: str
    alt: str
    genotype: str


@dataclass(frozen=True)
class SimulatedSample:
    """The files :func:`simulate_sample` wrote, and what it planted."""

    reference: Path
    reads: Path
    truth: Path
    confident: Path
    contig: str
    variants: tuple[PlantedVariant, ...]
    error_sites: tuple[int, ...]

    def paths(self) -> list[Path]:
        """The four data files."""
        return [self.reference, self.reads, self.truth, self.confident]


def _plant(
    rng: np.random.Generator, ref: str, n_variants: int, error_sites: int, indel_share: float
) -> tuple[list[PlantedVariant], list[int]]:
    """Variants at least 40 bp apart (and from the ends), and error sites between them."""
    length = len(ref)
    slots = np.arange(100, length - 100, 40)
    chosen = np.sort(
        rng.choice(slots, size=min(n_variants + error_sites, len(slots)), replace=False)
    )
    order = rng.permutation(len(chosen))
    variant_at = np.sort(chosen[order[:n_variants]])
    errors = sorted(int(p) for p in chosen[order[n_variants:]])
    variants: list[PlantedVariant] = []
    for p in variant_at.tolist():  # p: 0-based position of the variant's first base
        genotype = "1/1" if rng.random() < 0.4 else "0/1"
        r = rng.random()
        if r < indel_share / 2:  # deletion of 1-3 bases after the anchor at p
            k = int(rng.integers(1, 4))
            variants.append(PlantedVariant(p + 1, ref[p : p + 1 + k], ref[p], genotype))
        elif r < indel_share:  # insertion of 1-3 bases after p
            k = int(rng.integers(1, 4))
            ins = "".join(rng.choice(list(_BASES), size=k))
            variants.append(PlantedVariant(p + 1, ref[p], ref[p] + ins, genotype))
        else:
            alt = rng.choice([b for b in _BASES if b != ref[p]])
            variants.append(PlantedVariant(p + 1, ref[p], str(alt), genotype))
    return variants, errors


def _haplotype(
    ref: str, variants: list[PlantedVariant], carried: list[bool]
) -> tuple[str, list[int]]:
    """A haplotype's sequence and the reference position of each of its bases (-1:
    inserted)."""
    seq: list[str] = []
    where: list[int] = []
    i = 0
    for v, on in zip(variants, carried, strict=True):
        p = v.pos - 1
        seq += list(ref[i:p])
        where += list(range(i, p))
        if on:
            seq.append(v.alt[0])
            where.append(p)
            if len(v.alt) > len(v.ref):  # insertion
                seq += list(v.alt[1:])
                where += [-1] * (len(v.alt) - 1)
            i = p + len(v.ref)  # deletion: skip the deleted bases
        else:
            i = p
    seq += list(ref[i:])
    where += list(range(i, len(ref)))
    return "".join(seq), where


def _cigar(where: list[int]) -> tuple[int, list[tuple[int, int]]] | None:
    """``(reference start, CIGAR tuples)`` of a read whose bases map to ``where``; None
    when it starts or ends inside an insertion."""
    if where[0] < 0 or where[-1] < 0:
        return None
    ops: list[tuple[int, int]] = []

    def push(op: int, n: int) -> None:
        if ops and ops[-1][0] == op:
            ops[-1] = (op, ops[-1][1] + n)
        else:
            ops.append((op, n))

    last = where[0] - 1
    for w in where:
        if w < 0:
            push(1, 1)  # I
            continue
        if w > last + 1:
            push(2, w - last - 1)  # D
        push(0, 1)  # M
        last = w
    return where[0], ops


def simulate_sample(
    folder: str | os.PathLike[str],
    *,
    length: int = 20_000,
    n_variants: int = 60,
    error_sites: int = 20,
    depth: int = 20,
    read_length: int = 100,
    indel_share: float = 0.2,
    contig: str = "sim1",
    sample: str = "SIM",
    seed: int = 0,
) -> SimulatedSample:
    """Write a simulated sample (module docstring) into ``folder``; returns its files."""
    rng = np.random.default_rng(seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    ref = "".join(rng.choice(list(_BASES), size=length))
    variants, errors = _plant(rng, ref, n_variants, error_sites, indel_share)
    error_alt = {p: str(rng.choice([b for b in _BASES if b != ref[p]])) for p in errors}
    haplotypes = [
        _haplotype(ref, variants, [True] * len(variants)),
        _haplotype(ref, variants, [v.genotype == "1/1" for v in variants]),
    ]
    fasta = out / "ref.fa"
    fasta.write_text(
        f">{contig}\n" + "\n".join(ref[i : i + 60] for i in range(0, length, 60)) + "\n"
    )
    pysam.faidx(os.fspath(fasta))
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": contig, "LN": length}],
        "RG": [{"ID": "sim", "SM": sample}],
    }
    reads: list[pysam.AlignedSegment] = []
    n_reads = depth * length // read_length
    unsorted = out / "unsorted.bam"
    with pysam.AlignmentFile(os.fspath(unsorted), "wb", header=header) as bam:
        for k in range(n_reads):
            seq, where = haplotypes[int(rng.integers(2))]
            start = int(rng.integers(0, len(seq) - read_length))
            span = where[start : start + read_length]
            shape = _cigar(span)
            if shape is None:
                continue
            bases = list(seq[start : start + read_length])
            mean = np.linspace(36, 28, read_length)
            quals = np.clip(np.rint(rng.normal(mean, 4)), 2, 40).astype(int)
            wrong = rng.random(read_length) < 10.0 ** (-quals / 10.0)
            for j in np.flatnonzero(wrong).tolist():
                bases[j] = str(rng.choice([b for b in _BASES if b != bases[j]]))
            for j, w in enumerate(span):
                if w in error_alt and rng.random() < 0.15:
                    bases[j] = error_alt[w]
            read = pysam.AlignedSegment(bam.header)
            read.query_name = f"r{k}"
            read.query_sequence = "".join(bases)
            read.flag = 16 if rng.random() < 0.5 else 0
            read.reference_id = 0
            read.reference_start, read.cigartuples = shape
            read.mapping_quality = int(rng.integers(0, 21)) if rng.random() < 0.05 else 60
            read.query_qualities = pysam.qualitystring_to_array("".join(chr(q + 33) for q in quals))
            read.set_tag("RG", "sim")
            bam.write(read)
            reads.append(read)
    bam_path = out / "reads.bam"
    pysam.sort("-o", os.fspath(bam_path), os.fspath(unsorted))
    unsorted.unlink()
    pysam.index(os.fspath(bam_path))
    vcf = out / "truth.vcf"
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={contig},length={length}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}",
    ]
    lines += [
        f"{contig}\t{v.pos}\t.\t{v.ref}\t{v.alt}\t.\tPASS\t.\tGT\t{v.genotype}" for v in variants
    ]
    vcf.write_text("\n".join(lines) + "\n")
    truth = Path(pysam.tabix_index(os.fspath(vcf), preset="vcf", force=True))
    bed = out / "confident.bed"
    bed.write_text(f"{contig}\t50\t{length - 50}\n")
    return SimulatedSample(
        reference=fasta,
        reads=bam_path,
        truth=truth,
        confident=bed,
        contig=contig,
        variants=tuple(variants),
        error_sites=tuple(p + 1 for p in errors),
    )
