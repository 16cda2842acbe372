"""Calls against a truth set, the way GIAB's ``hap.py`` counts them (allele matching).

:func:`evaluate_calls` takes any VCF of calls (biodl's, bcftools', a simple
allele-fraction caller's), a truth VCF, a confident-regions BED and the reference:

1. **Reading.** VCF (plain, gzip/bgzip) or BCF; one sample column (``sample``, default
   the first; none: every ALT counts as called, with no genotype). Contig names are
   matched to the reference's: ``20`` and ``chr20`` (``MT`` and ``chrM``) are the same
   contig; a contig found neither way is an error naming the file and line.
2. **Kept records.** With ``pass_only`` (default, as hap.py) records whose FILTER is
   neither ``PASS`` nor ``.`` are ignored, in both files. Only the ALT alleles present in
   the sample's genotype count (``0/0``, ``./.`` and ``0/.`` records are ignored);
   symbolic (``<DEL>``, ``<NON_REF>``), ``*`` and breakend alleles are skipped.
3. **Splitting and normalising.** Multi-allelic records are split; every allele is
   left-aligned and trimmed against the reference
   (:func:`biodl.variants.records.normalize`, ``vt normalize`` rules); a REF that does not
   match the reference is an error. An equal-length multi-base substitution (an MNP,
   ``AC>GT``) is decomposed into its SNVs, as hap.py's pre-processing does.
4. **Types.** SNV: one base replaced by one base. INDEL: REF and ALT lengths differ
   (insertions, deletions, and complex length-changing alleles).
5. **Confident regions.** Overlapping and book-ended BED intervals are merged; an allele
   is inside when its normalised REF span ``[pos - 1, pos - 1 + len(ref))`` (for an
   insertion, the anchor base) lies entirely within one merged interval. Intervals on
   contigs the reference lacks are ignored.
6. **Matching.** A call allele matches a truth allele when ``(chrom, pos, ref, alt)``
   are equal after normalisation. At the **allele** level (hap.py's default ``ALLELE``
   match) that is a true positive. At the **genotype** level the genotypes must also
   agree: the allele's copy number in the genotype and the ploidy (so ``1/1`` differs
   from ``0/1``, phase is ignored, and ``1/2`` split into ``1/0`` + ``0/1`` still
   matches); a mismatch counts as a false positive *and* a false negative (hap.py's and
   vcfeval's rule), and is listed as ``genotype`` in the FP/FN tables.
7. **Metrics.** precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic
   mean, per type (SNV, INDEL, and ALL) and level. 95 % confidence intervals: a
   percentile bootstrap over the distinct variants (truth and call alleles pooled;
   ``n_bootstrap`` resamples, seeded), done exactly by drawing the multinomial counts of
   TP, FN, FP (and genotype-mismatch) variants; the same method for all three metrics.

Not done, unlike hap.py: haplotype comparison (``xcmp``/``vcfeval`` engines). hap.py
also matches variants whose different representations give the same haplotype
sequence (a complex variant written as one record in one file and as nearby SNVs and
indels in the other, or two indels that are equivalent only together). Here such
variants are a false positive plus a false negative; for most indels, which
normalisation makes unique, the count is the same.

Examples
--------
>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> with open(os.path.join(d, "g.fa"), "w") as f:
...     _ = f.write(">chr1\\nACGTAAAACGTACGTA\\n")
>>> head = "##fileformat=VCFv4.2\\n" + "\\t".join(
...     ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "S"]) + "\\n"
>>> with open(os.path.join(d, "truth.vcf"), "w") as f:
...     _ = f.write(head + "chr1\\t2\\t.\\tC\\tT\\t.\\tPASS\\t.\\tGT\\t0/1\\n"
...                 "chr1\\t4\\t.\\tTA\\tT\\t.\\tPASS\\t.\\tGT\\t1/1\\n")
>>> with open(os.path.join(d, "calls.vcf"), "w") as f:  # the deletion written right-shifted
...     _ = f.write(head + "1\\t8\\t.\\tAC\\tC\\t.\\tPASS\\t.\\tGT\\t0/1\\n")
>>> r = evaluate_calls(os.path.join(d, "calls.vcf"), os.path.join(d, "truth.vcf"), None,
...                    os.path.join(d, "g.fa"))
>>> m = r.metric("INDEL", "allele")
>>> m.tp, m.fp, m.fn, r.metric("INDEL", "genotype").gt_mismatch, r.metric("SNV", "allele").fn
(1, 0, 0, 1, 1)
"""

from __future__ import annotations

import bisect
import math
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from biodl.errors import InputError
from biodl.io import read_bed, read_lines
from biodl.io.atomic import OutputError, atomic_write_text, write_json
from biodl.io.variants import bcf_records, open_bcf
from biodl.variants.records import (
    SequenceSource,
    Variant,
    check_alleles,
    normalize,
    sniff_variant_format,
)
from biodl.variants.reference import open_reference

__all__ = [
    "LEVELS",
    "VARIANT_TYPES",
    "CallEvaluation",
    "Discrepancy",
    "Level",
    "TypeMetrics",
    "evaluate_calls",
    "variant_type",
    "write_evaluation",
]

Level = Literal["allele", "genotype"]
LEVELS: tuple[Level, ...] = ("allele", "genotype")
VARIANT_TYPES = ("SNV", "INDEL", "ALL")

_Key = tuple[str, int, str, str]


def variant_type(ref: str, alt: str) -> str:
    """``SNV`` for one base replaced by one base, ``INDEL`` when the lengths differ,
    ``MNP`` otherwise (equal lengths > 1; :func:`evaluate_calls` decomposes these).

    Examples
    --------
    >>> variant_type("A", "G"), variant_type("A", "AT"), variant_type("AC", "GT")
    ('SNV', 'INDEL', 'MNP')
    """
    if len(ref) != len(alt):
        return "INDEL"
    return "SNV" if len(ref) == 1 else "MNP"


@dataclass(frozen=True)
class _Allele:
    """One normalised allele of one VCF, with its copies in the sample's genotype."""

    key: _Key
    kind: str
    copies: int | None
    ploidy: int | None
    genotype: str
    source: str


@dataclass(frozen=True)
class TypeMetrics:
    """Counts and metrics of one variant type at one matching level.

    Attributes
    ----------
    variant_type
        ``SNV``, ``INDEL`` or ``ALL``.
    level
        ``allele`` (allele match) or ``genotype`` (allele and genotype match).
    truth_total, query_total
        Truth and call alleles inside the confident regions.
    tp
        Matched alleles (truth and call counts are equal: alleles are distinct).
    fn, fp
        Truth alleles not matched; call alleles not matched (at the genotype level both
        include the genotype mismatches).
    gt_mismatch
        Alleles matched whose genotypes differ (0 at the allele level's counts; given
        at both levels).
    precision, recall, f1
        Point estimates (NaN when undefined: no calls, no truth).
    precision_ci, recall_ci, f1_ci
        Percentile bootstrap intervals at ``confidence``.
    """

    variant_type: str
    level: str
    truth_total: int
    query_total: int
    tp: int
    fn: int
    fp: int
    gt_mismatch: int
    precision: float
    recall: float
    f1: float
    precision_ci: tuple[float, float]
    recall_ci: tuple[float, float]
    f1_ci: tuple[float, float]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (NaN as ``None``)."""
        return {
            "type": self.variant_type,
            "level": self.level,
            "truth_total": self.truth_total,
            "query_total": self.query_total,
            "tp": self.tp,
            "fn": self.fn,
            "fp": self.fp,
            "gt_mismatch": self.gt_mismatch,
            "precision": _num(self.precision),
            "recall": _num(self.recall),
            "f1": _num(self.f1),
            "precision_ci": [_num(x) for x in self.precision_ci],
            "recall_ci": [_num(x) for x in self.recall_ci],
            "f1_ci": [_num(x) for x in self.f1_ci],
        }


@dataclass(frozen=True)
class Discrepancy:
    """A false positive (call) or false negative (truth) allele, normalised.

    ``reason`` is ``allele`` (no allele match: wrong at both levels) or ``genotype``
    (the allele matches, the genotype does not: wrong at the genotype level only).
    ``truth_gt``/``query_gt`` are the GT fields as written (``""`` on the side without
    the allele); ``source`` is ``file:line`` of the record.
    """

    status: str
    reason: str
    chrom: str
    pos: int
    ref: str
    alt: str
    variant_type: str
    truth_gt: str
    query_gt: str
    source: str

    COLUMNS = (
        "status",
        "reason",
        "chrom",
        "pos",
        "ref",
        "alt",
        "type",
        "truth_gt",
        "query_gt",
        "source",
    )

    def cells(self) -> list[str]:
        """The row under :attr:`COLUMNS`."""
        return [
            self.status,
            self.reason,
            self.chrom,
            str(self.pos),
            self.ref,
            self.alt,
            self.variant_type,
            self.truth_gt,
            self.query_gt,
            self.source,
        ]


@dataclass(frozen=True)
class CallEvaluation:
    """What :func:`evaluate_calls` measured.

    Attributes
    ----------
    metrics
        One :class:`TypeMetrics` per type (SNV, INDEL, ALL) and level (allele, genotype).
    false_positives, false_negatives
        The call and truth alleles wrong at the genotype level (which includes every
        allele-level error), sorted by position.
    counts
        Per side (``truth``, ``query``): records read, ``filtered`` (not PASS),
        ``non_variant`` (0/0, no-call), ``outside`` (alleles outside the confident
        regions), ``duplicate`` (an allele seen again), ``skipped_<reason>``, ``alleles``
        (kept).
    settings
        Inputs, samples, ``pass_only``, bootstrap settings and the matching rules.
    """

    metrics: tuple[TypeMetrics, ...]
    false_positives: tuple[Discrepancy, ...]
    false_negatives: tuple[Discrepancy, ...]
    counts: Mapping[str, Mapping[str, int]]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def metric(self, variant_type: str, level: str = "allele") -> TypeMetrics:
        """The metrics of ``variant_type`` (``SNV``, ``INDEL``, ``ALL``) at ``level``."""
        for m in self.metrics:
            if m.variant_type == variant_type and m.level == level:
                return m
        raise KeyError(f"no metrics for {variant_type!r} at level {level!r}")

    def to_json(self) -> dict[str, Any]:
        """Everything but the FP/FN lists (their numbers are in the metrics), JSON-ready."""
        return {
            "metrics": [m.to_json() for m in self.metrics],
            "counts": {side: dict(c) for side, c in self.counts.items()},
            "settings": dict(self.settings),
        }

    def table(self) -> list[list[str]]:
        """``evaluation.tsv``: a header row, then one row per type and level."""
        header = ["type", "level", "truth_total", "query_total", "tp", "fn", "fp"]
        header += ["gt_mismatch", "precision", "precision_lo", "precision_hi", "recall"]
        header += ["recall_lo", "recall_hi", "f1", "f1_lo", "f1_hi"]
        rows = [header]
        for m in self.metrics:
            numbers = [m.precision, *m.precision_ci, m.recall, *m.recall_ci, m.f1, *m.f1_ci]
            rows.append(
                [m.variant_type, m.level]
                + [str(x) for x in (m.truth_total, m.query_total, m.tp, m.fn, m.fp)]
                + [str(m.gt_mismatch)]
                + ["NA" if math.isnan(x) else f"{x:.6f}" for x in numbers]
            )
        return rows


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


# ---------------------------------------------------------------------------
# Contigs and regions
# ---------------------------------------------------------------------------


class _Contigs:
    """Contig names of a file matched to the reference's (``20`` <-> ``chr20``)."""

    def __init__(self, sizes: Mapping[str, int], name: str) -> None:
        self.sizes = sizes
        self.name = name
        self._cache: dict[str, str | None] = {}

    def match(self, chrom: str) -> str | None:
        if chrom in self._cache:
            return self._cache[chrom]
        candidates = [chrom]
        if chrom.startswith("chr"):
            candidates.append(chrom[3:])
        else:
            candidates.append("chr" + chrom)
        if chrom in ("MT", "chrMT"):
            candidates.append("chrM")
        if chrom in ("chrM", "M"):
            candidates.append("MT")
        found = next((c for c in candidates if c in self.sizes), None)
        self._cache[chrom] = found
        return found

    def require(self, chrom: str, path: str | os.PathLike[str], line: int | None) -> str:
        found = self.match(chrom)
        if found is None:
            names = list(self.sizes)
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            other = chrom[3:] if chrom.startswith("chr") else f"chr{chrom}"
            raise InputError(
                f"contig {chrom!r} is not in the reference {self.name}, neither as "
                f"{chrom!r} nor as {other!r} (it has {shown}); is this the right genome?",
                path=path,
                line=line,
            )
        return found


class _Regions:
    """Merged confident intervals per contig; ``None`` means everywhere."""

    def __init__(self, path: str | os.PathLike[str] | None, contigs: _Contigs) -> None:
        self.path = path
        self.intervals = 0
        self.bases = 0
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        if path is None:
            return
        spans: dict[str, list[tuple[int, int]]] = {}
        for iv in read_bed(path):
            chrom = contigs.match(iv.chrom)
            if chrom is not None:  # a contig the reference lacks holds no kept variant
                spans.setdefault(chrom, []).append((iv.start, iv.end))
        for chrom, items in spans.items():
            items.sort()
            merged: list[list[int]] = []
            for start, end in items:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._starts[chrom] = [s for s, _ in merged]
            self._ends[chrom] = [e for _, e in merged]
            self.intervals += len(merged)
            self.bases += sum(e - s for s, e in merged)

    def contains(self, chrom: str, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies within one merged interval."""
        if self.path is None:
            return True
        starts = self._starts.get(chrom)
        if not starts:
            return False
        i = bisect.bisect_right(starts, start) - 1
        return i >= 0 and end <= self._ends[chrom][i]


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

_GT_SPLIT = re.compile(r"[/|]")


def _vcf_lines(path: Path) -> Iterator[tuple[int | None, int, str]]:
    """``(line number or None for BCF, record number, text)`` of every line, header too."""
    kind = sniff_variant_format(path)
    if kind == "tsv":
        raise InputError(
            "not a VCF: a VCF starts with a '##fileformat=VCF...' line", path=path, line=1
        )
    if kind == "vcf":
        for lineno, raw in read_lines(path):
            yield lineno, 0, raw.rstrip("\r\n")
        return
    with open_bcf(path) as bcf:
        for line in str(bcf.header).rstrip("\n").split("\n"):
            yield None, 0, line
        for n, rec in enumerate(bcf_records(bcf, path), start=1):
            yield None, n, str(rec).rstrip("\n")


def _parse_gt(
    text: str, n_alts: int, path: Path, line: int | None, record: str | None
) -> list[int | None]:
    alleles: list[int | None] = []
    for part in _GT_SPLIT.split(text):
        if part == ".":
            alleles.append(None)
        elif part.isdigit() and int(part) <= n_alts:
            alleles.append(int(part))
        else:
            raise InputError(
                f"GT {text!r} is not a genotype over {n_alts} ALT allele(s)",
                path=path,
                line=line,
                record=record,
            )
    return alleles


def _primitives(v: Variant) -> list[tuple[int, str, str]]:
    """``(pos, ref, alt)`` of a normalised allele; an MNP as its differing SNVs."""
    if variant_type(v.ref, v.alt) != "MNP":
        return [(v.pos, v.ref, v.alt)]
    return [(v.pos + i, r, a) for i, (r, a) in enumerate(zip(v.ref, v.alt, strict=True)) if r != a]


def _read_alleles(
    path: str | os.PathLike[str],
    genome: SequenceSource,
    contigs: _Contigs,
    regions: _Regions,
    *,
    sample: str | None,
    pass_only: bool,
) -> tuple[dict[_Key, _Allele], Counter[str], str | None]:
    p = Path(path)
    counts: Counter[str] = Counter()
    alleles: dict[_Key, _Allele] = {}
    column: int | None = None
    chosen: str | None = None
    seen_header = False
    for lineno, recno, line in _vcf_lines(p):
        if line.startswith("##"):
            continue
        if line.startswith("#"):
            if not line.startswith("#CHROM") or seen_header:
                continue
            seen_header = True
            names = line.split("\t")[9:]
            if sample is not None:
                if sample not in names:
                    raise InputError(
                        f"sample {sample!r} is not in the VCF (its samples: "
                        f"{', '.join(names) or 'none'})",
                        path=p,
                        line=lineno,
                    )
                column, chosen = 9 + names.index(sample), sample
            elif names:
                column, chosen = 9, names[0]
            continue
        if not line.strip():
            continue
        record = None if lineno is not None else str(recno)
        if not seen_header:
            raise InputError("VCF record before the '#CHROM' header line", path=p, line=lineno)
        counts["records"] += 1
        fields = line.split("\t")
        if len(fields) < 8 or (column is not None and len(fields) <= column):
            need = 8 if column is None else column + 1
            raise InputError(
                f"VCF record has {len(fields)} tab-separated columns, needs {need}",
                path=p,
                line=lineno,
                record=record,
            )
        chrom_text, pos_text, _, ref, alt_text, _, filt = fields[:7]
        if not pos_text.isdigit() or int(pos_text) < 1:
            raise InputError(
                f"POS {pos_text!r} is not a 1-based position", path=p, line=lineno, record=record
            )
        if not ref or ref == ".":
            raise InputError("empty REF allele", path=p, line=lineno, record=record)
        chrom = contigs.require(chrom_text, p, lineno)
        pos, ref = int(pos_text), ref.upper()
        if pass_only and filt not in ("PASS", ".", ""):
            counts["filtered"] += 1
            continue
        alts = [] if alt_text == "." else alt_text.split(",")
        gt_text = "."
        called: list[int | None] | None = None  # None: no genotype, every ALT counts
        if column is not None:
            keys = fields[8].split(":")
            if "GT" in keys:
                values = fields[column].split(":")
                i = keys.index("GT")
                gt_text = values[i] if i < len(values) else "."
                called = _parse_gt(gt_text, len(alts), p, lineno, record)
        present = (
            sorted({a for a in called if a})
            if called is not None
            else list(range(1, len(alts) + 1))
        )
        if not present:
            counts["non_variant"] += 1
            continue
        source = f"{p.name}:{lineno}" if lineno is not None else f"{p.name}:record {recno}"
        copies: Counter[_Key] = Counter()
        pieces: dict[int, list[_Key]] = {}
        for index in present:
            v = Variant(chrom, pos, ref, alts[index - 1].upper())
            reason = check_alleles(v)
            if reason is not None:
                counts[f"skipped_{reason}"] += 1
                pieces[index] = []
                continue
            _check_ref(genome, v, p, lineno, record)
            norm = normalize(v, genome)
            pieces[index] = [(chrom, q, r, a) for q, r, a in _primitives(norm)]
        if called is not None:
            for a in called:
                for key in pieces.get(a or 0, []):
                    copies[key] += 1
        for key in dict.fromkeys(k for index in present for k in pieces[index]):
            if key in alleles:
                counts["duplicate"] += 1
                continue
            if not regions.contains(chrom, key[1] - 1, key[1] - 1 + len(key[2])):
                counts["outside"] += 1
                continue
            alleles[key] = _Allele(
                key=key,
                kind=variant_type(key[2], key[3]),
                copies=copies[key] if called is not None else None,
                ploidy=len(called) if called is not None else None,
                genotype=gt_text,
                source=source,
            )
    if not seen_header:
        raise InputError("VCF has no '#CHROM' header line", path=p)
    counts["alleles"] = len(alleles)
    return alleles, counts, chosen


def _check_ref(
    genome: SequenceSource, v: Variant, path: Path, line: int | None, record: str | None
) -> None:
    size = genome.chrom_sizes.get(v.chrom, 0)
    if v.start + len(v.ref) > size:
        raise InputError(
            f"{v.chrom}:{v.pos} REF {v.ref!r} runs past the end of the reference contig "
            f"({size} bases); is this the right genome?",
            path=path,
            line=line,
            record=record,
        )
    bases = genome.fetch(v.chrom, v.start, v.start + len(v.ref))
    if any(g != r and g != "N" and r != "N" for g, r in zip(bases, v.ref, strict=True)):
        raise InputError(
            f"REF {v.ref!r} does not match the reference {bases!r} at {v.chrom}:{v.pos}; "
            "is this the right genome?",
            path=path,
            line=line,
            record=record,
        )


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def _prf(tp: Any, fn: Any, fp: Any) -> tuple[Any, Any, Any]:
    """precision, recall, F1 (NaN where a denominator is 0; F1 0 when both are 0)."""
    tp, fn, fp = (np.asarray(x, dtype=float) for x in (tp, fn, fp))
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        total = precision + recall
        f1 = np.where(total == 0, 0.0, 2 * precision * recall / total)
    return precision, recall, f1


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(finite, [alpha, 1 - alpha])
    return (float(lo), float(hi))


def _metrics(
    kind: str,
    level: Level,
    n_tp: int,
    n_fn: int,
    n_fp: int,
    n_mismatch: int,
    *,
    rng: np.random.Generator,
    n_bootstrap: int,
    confidence: float,
) -> TypeMetrics:
    """Point estimates and bootstrap intervals from the numbers of variants in each
    category: matched, truth only, call only, matched with a genotype mismatch."""
    gt = level == "genotype"

    def counts(tp: Any, fn: Any, fp: Any, mm: Any) -> tuple[Any, Any, Any]:
        if gt:
            return tp, fn + mm, fp + mm
        return tp + mm, fn, fp

    tp, fn, fp = counts(n_tp, n_fn, n_fp, n_mismatch)
    precision, recall, f1 = (float(x) for x in _prf(tp, fn, fp))
    total = n_tp + n_fn + n_fp + n_mismatch
    if total and n_bootstrap > 0:
        probs = np.array([n_tp, n_fn, n_fp, n_mismatch], dtype=float) / total
        draws = rng.multinomial(total, probs, size=n_bootstrap)
        bp, br, bf = _prf(*counts(draws[:, 0], draws[:, 1], draws[:, 2], draws[:, 3]))
        cis = [_interval(x, confidence) for x in (bp, br, bf)]
    else:
        cis = [(math.nan, math.nan)] * 3
    return TypeMetrics(
        variant_type=kind,
        level=level,
        truth_total=int(tp + fn),
        query_total=int(tp + fp),
        tp=int(tp),
        fn=int(fn),
        fp=int(fp),
        gt_mismatch=n_mismatch,
        precision=precision,
        recall=recall,
        f1=f1,
        precision_ci=cis[0],
        recall_ci=cis[1],
        f1_ci=cis[2],
    )


def _same_genotype(a: _Allele, b: _Allele) -> bool:
    return a.copies is not None and (a.copies, a.ploidy) == (b.copies, b.ploidy)


def evaluate_calls(
    calls_vcf: str | os.PathLike[str],
    truth_vcf: str | os.PathLike[str],
    confident_bed: str | os.PathLike[str] | None,
    reference: Any,
    *,
    sample: str | None = None,
    truth_sample: str | None = None,
    pass_only: bool = True,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> CallEvaluation:
    """Compare calls with a truth set (hap.py-style allele matching; module docs).

    Parameters
    ----------
    calls_vcf, truth_vcf
        VCF (plain, gzip, bgzip) or BCF files.
    confident_bed
        Confident regions (BED); ``None``: the whole genome.
    reference
        The reference FASTA the variants are on (path, or an open ``Genome``,
        ``pyfaidx.Fasta`` or ``pysam.FastaFile``).
    sample, truth_sample
        The sample column of each file (default: the first).
    pass_only
        Ignore records whose FILTER is not ``PASS`` or ``.`` (both files).
    n_bootstrap, confidence, seed
        Bootstrap resamples, interval coverage, random seed (results are reproducible).

    Returns
    -------
    CallEvaluation
        Counts and metrics per type (SNV, INDEL, ALL) and level (allele, genotype), the
        FP and FN alleles, and per-file counts of what was read and left out.

    Raises
    ------
    InputError
        A malformed record (naming file and line), a contig not in the reference (also
        as ``chr``-prefixed or not), a REF that does not match the reference, an
        unknown sample, a malformed BED line.
    """
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, not {confidence}")
    with open_reference(reference) as genome:
        name = getattr(genome, "name", None) or str(reference)
        contigs = _Contigs(genome.chrom_sizes, str(name))
        regions = _Regions(confident_bed, contigs)
        truth, truth_counts, truth_name = _read_alleles(
            truth_vcf, genome, contigs, regions, sample=truth_sample, pass_only=pass_only
        )
        query, query_counts, query_name = _read_alleles(
            calls_vcf, genome, contigs, regions, sample=sample, pass_only=pass_only
        )
    categories: dict[str, Counter[str]] = {k: Counter() for k in VARIANT_TYPES}
    fps: list[Discrepancy] = []
    fns: list[Discrepancy] = []

    def entry(status: str, reason: str, allele: _Allele, other: _Allele | None) -> Discrepancy:
        truth_side, query_side = (allele, other) if status == "FN" else (other, allele)
        chrom, pos, ref, alt = allele.key
        return Discrepancy(
            status=status,
            reason=reason,
            chrom=chrom,
            pos=pos,
            ref=ref,
            alt=alt,
            variant_type=allele.kind,
            truth_gt="" if truth_side is None else truth_side.genotype,
            query_gt="" if query_side is None else query_side.genotype,
            source=allele.source,
        )

    for key, t in truth.items():
        q = query.get(key)
        if q is None:
            category = "fn"
            fns.append(entry("FN", "allele", t, None))
        elif _same_genotype(t, q):
            category = "tp"
        else:
            category = "mismatch"
            fns.append(entry("FN", "genotype", t, q))
            fps.append(entry("FP", "genotype", q, t))
        categories[t.kind][category] += 1
        categories["ALL"][category] += 1
    for key, q in query.items():
        if key not in truth:
            fps.append(entry("FP", "allele", q, None))
            categories[q.kind]["fp"] += 1
            categories["ALL"]["fp"] += 1
    metrics = []
    for i, kind in enumerate(VARIANT_TYPES):
        c = categories[kind]
        for j, level in enumerate(LEVELS):
            rng = np.random.default_rng([seed, i, j])
            metrics.append(
                _metrics(
                    kind,
                    level,
                    c["tp"],
                    c["fn"],
                    c["fp"],
                    c["mismatch"],
                    rng=rng,
                    n_bootstrap=n_bootstrap,
                    confidence=confidence,
                )
            )
    order = {c: i for i, c in enumerate(contigs.sizes)}

    def by_position(d: Discrepancy) -> tuple[int, int, str, str]:
        return (order.get(d.chrom, len(order)), d.pos, d.ref, d.alt)

    settings = {
        "calls": str(Path(calls_vcf).resolve()),
        "truth": str(Path(truth_vcf).resolve()),
        "confident_bed": None if confident_bed is None else str(Path(confident_bed).resolve()),
        "reference": str(name),
        "sample": query_name,
        "truth_sample": truth_name,
        "pass_only": pass_only,
        "confident_intervals": regions.intervals,
        "confident_bases": regions.bases,
        "n_bootstrap": n_bootstrap,
        "confidence": confidence,
        "seed": seed,
        "ci_method": "percentile bootstrap over distinct variants (truth and call pooled)",
        "matching": (
            "split multi-allelics, left-align and trim against the reference, decompose "
            "MNPs into SNVs; allele level: equal (chrom, pos, ref, alt); genotype level: "
            "also equal copies of the allele and ploidy (mismatch = FP + FN); inside a "
            "confident region: the normalised REF span lies within one merged interval"
        ),
    }
    return CallEvaluation(
        metrics=tuple(metrics),
        false_positives=tuple(sorted(fps, key=by_position)),
        false_negatives=tuple(sorted(fns, key=by_position)),
        counts={"truth": dict(truth_counts), "query": dict(query_counts)},
        settings=settings,
    )


def _tsv(rows: Sequence[Sequence[str]]) -> str:
    return "".join("\t".join(row) + "\n" for row in rows)


def write_evaluation(
    result: CallEvaluation, folder: str | os.PathLike[str], *, prefix: str = ""
) -> dict[str, Path]:
    """Write ``evaluation.json``, ``evaluation.tsv``, ``fp.tsv`` and ``fn.tsv`` into
    ``folder`` (created if missing), each atomically; ``prefix`` goes before each name.

    Returns
    -------
    dict
        ``{"json", "tsv", "fp", "fn"}`` to the paths written.
    """
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder: {exc.strerror}", path=out) from None
    header = [list(Discrepancy.COLUMNS)]
    paths = {
        "json": write_json(out / f"{prefix}evaluation.json", result.to_json()),
        "tsv": atomic_write_text(out / f"{prefix}evaluation.tsv", _tsv(result.table())),
        "fp": atomic_write_text(
            out / f"{prefix}fp.tsv", _tsv(header + [d.cells() for d in result.false_positives])
        ),
        "fn": atomic_write_text(
            out / f"{prefix}fn.tsv", _tsv(header + [d.cells() for d in result.false_negatives])
        ),
    }
    return paths
