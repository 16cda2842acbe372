"""Genotype calls, their qualities, and the VCF they are written to.

A :class:`GenotypeCall` is one diploid call at one site: ``chrom``, 1-based ``pos``,
``ref``, the ``alts``, the called ``genotype`` (allele indices, ``(0, 1)`` for 0/1) and the
probability of every genotype in VCF order (``Number=G``: for one ALT ``0/0, 0/1, 1/1``;
for ``n`` ALTs genotype ``j/k`` with ``j <= k`` at index ``k * (k + 1) / 2 + j``).

Qualities (``phred(p) = -10 log10 p``; probabilities below ``1e-100`` count as ``1e-100``):

* ``GQ`` = phred(1 - P(called genotype)), with 1 - P taken as the sum of the other
  genotypes' probabilities, rounded to an integer and capped at 99;
* ``QUAL`` = phred(P(0/0)), rounded to 2 decimals (at most 1000);
* ``PL`` = phred of each genotype's probability minus the smallest, rounded;
* ``FILTER`` (:func:`call_filter`): ``RefCall`` for a 0/0 call, ``LowQual`` when QUAL is
  below ``min_qual`` (default :data:`DEFAULT_MIN_QUAL`), else ``PASS``.

:func:`write_calls` writes a sorted VCF 4.2, bgzip-compressed and tabix-indexed for a name
ending in ``.gz``/``.bgz`` (``OUT.vcf.gz`` + ``OUT.vcf.gz.tbi``), atomically (a temporary
file beside it renamed with its index when complete). Its header has ``##fileformat``,
``##fileDate``, ``##source=biodl <version>``, ``##reference``, ``##contig`` lines, the
``FILTER`` and ``FORMAT`` (GT, GQ, DP, AD, VAF, PL) definitions and the provenance lines
``score-variants`` writes (:func:`provenance_meta`: ``##biodl_version``,
``##biodl_command``, ``##biodl_model=<run>;sha256=<weights>``, ``##biodl_genome``) plus
``##biodl_calling`` with the caller's settings.

Examples
--------
>>> call = GenotypeCall("chr1", 10, "A", ("G",), (0, 1), (0.001, 0.99, 0.009))
>>> call.genotype_text, call.gq, call.qual, call.pl
('0/1', 20, 30.0, (30, 0, 20))
>>> GenotypeCall.from_probabilities("chr1", 10, "A", ("G",), (0.2, 0.3, 0.5)).genotype_text
'1/1'
>>> call_filter(call), call_filter(call, min_qual=40.0)
('PASS', 'LowQual')
"""

from __future__ import annotations

import datetime
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biodl.errors import InputError
from biodl.io.atomic import atomic_path, check_output_path

__all__ = [
    "DEFAULT_MIN_QUAL",
    "GQ_CAP",
    "PROBABILITY_FLOOR",
    "GenotypeCall",
    "WrittenCalls",
    "call_filter",
    "calls_header",
    "genotype_index",
    "genotypes",
    "phred",
    "provenance_meta",
    "reference_contigs",
    "write_calls",
]

GQ_CAP = 99
"""The largest ``GQ`` written."""

PROBABILITY_FLOOR = 1e-100
"""Probabilities below this are taken as this in phred values (so QUAL and PL <= 1000)."""

DEFAULT_MIN_QUAL = 1.0
"""Variant calls with ``QUAL`` below this are filtered ``LowQual`` (P(0/0) > 0.79):
DeepVariant's ``--qual_filter`` default, and what ``biodl call-variants`` uses."""

FORMAT_KEYS = ("GT", "GQ", "DP", "AD", "VAF", "PL")

_FORMAT_LINES = (
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    (
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Conditional genotype quality: '
        f'phred of 1 - P(called genotype), capped at {GQ_CAP}">'
    ),
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Read depth of each allele, REF first">',
    (
        '##FORMAT=<ID=VAF,Number=A,Type=Float,Description="Fraction of the reads (AD/DP) '
        'supporting each ALT allele">'
    ),
    (
        '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled genotype '
        'probabilities, the most likely genotype at 0">'
    ),
)


def phred(p: float) -> float:
    """``-10 log10 p``, with ``p`` below :data:`PROBABILITY_FLOOR` taken as the floor.

    Examples
    --------
    >>> phred(0.01), phred(1.0), phred(0.0)
    (20.0, -0.0, 1000.0)
    """
    return -10.0 * math.log10(max(float(p), PROBABILITY_FLOOR))


def genotype_index(j: int, k: int) -> int:
    """Index of diploid genotype ``j/k`` in VCF ``Number=G`` order (``j``, ``k`` unordered).

    Examples
    --------
    >>> [genotype_index(*g) for g in [(0, 0), (0, 1), (1, 1), (0, 2), (2, 1), (2, 2)]]
    [0, 1, 2, 3, 4, 5]
    """
    j, k = min(j, k), max(j, k)
    return k * (k + 1) // 2 + j


def genotypes(n_alts: int) -> list[tuple[int, int]]:
    """The diploid genotypes of a site with ``n_alts`` ALT alleles, in VCF order.

    Examples
    --------
    >>> genotypes(2)
    [(0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2)]
    """
    return [(j, k) for k in range(n_alts + 1) for j in range(k + 1)]


@dataclass(frozen=True)
class GenotypeCall:
    """One diploid genotype call.

    Attributes
    ----------
    chrom
        Chromosome, as in the reference.
    pos
        1-based position of the first base of ``ref``.
    ref
        Reference allele.
    alts
        ALT alleles (at least one).
    genotype
        The called genotype as allele indices, ``(0, 1)``, ``(1, 1)``, ``(1, 2)``;
        ``(0, 0)`` is a reference call (written only when asked).
    probabilities
        P of each genotype, shape ``((n + 1) * (n + 2) / 2,)`` for ``n`` ALTs, in VCF
        ``Number=G`` order (see :func:`genotypes`); non-negative, summing to 1 (within
        1e-3; used as given).
    depth
        Reads at the site (``DP``), if known.
    allele_depths
        Reads supporting each allele, REF first (``AD``), shape ``(n + 1,)``, if known.
    id
        VCF ``ID``.
    filters
        FILTER values that replace the ones :func:`call_filter` would give.

    Raises
    ------
    ValueError
        Fields that do not fit together (wrong number of probabilities, an allele index
        out of range, ...).
    """

    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    genotype: tuple[int, int]
    probabilities: tuple[float, ...]
    depth: int | None = None
    allele_depths: tuple[int, ...] | None = None
    id: str = "."
    filters: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.alts)
        where = f"{self.chrom}:{self.pos}"
        if n == 0:
            raise ValueError(f"call {where} has no ALT allele")
        if self.pos < 1 or not self.ref:
            raise ValueError(f"call {where}: POS must be >= 1 and REF non-empty")
        if len(self.genotype) != 2 or not all(0 <= a <= n for a in self.genotype):
            raise ValueError(f"call {where}: genotype {self.genotype} is not diploid over {n} ALTs")
        expected = (n + 1) * (n + 2) // 2
        if len(self.probabilities) != expected:
            raise ValueError(
                f"call {where}: {len(self.probabilities)} genotype probabilities, "
                f"{n} ALT(s) need {expected}"
            )
        if any(not p >= 0.0 for p in self.probabilities) or abs(sum(self.probabilities) - 1) > 1e-3:
            raise ValueError(f"call {where}: probabilities must be >= 0 and sum to 1")
        if self.allele_depths is not None and len(self.allele_depths) != n + 1:
            raise ValueError(f"call {where}: AD needs {n + 1} values (REF first)")

    @classmethod
    def from_probabilities(
        cls,
        chrom: str,
        pos: int,
        ref: str,
        alts: Sequence[str],
        probabilities: Sequence[float],
        *,
        depth: int | None = None,
        allele_depths: Sequence[int] | None = None,
        id: str = ".",
    ) -> GenotypeCall:
        """The call of the most probable genotype (on a tie, the first in VCF order)."""
        probs = tuple(float(p) for p in probabilities)
        order = genotypes(len(alts))
        if len(probs) != len(order):
            raise ValueError(
                f"call {chrom}:{pos}: {len(probs)} genotype probabilities, "
                f"{len(alts)} ALT(s) need {len(order)}"
            )
        best = max(range(len(probs)), key=lambda i: (probs[i], -i))
        return cls(
            chrom,
            int(pos),
            ref,
            tuple(alts),
            order[best],
            probs,
            depth=depth,
            allele_depths=None if allele_depths is None else tuple(int(a) for a in allele_depths),
            id=id,
        )

    @property
    def genotype_text(self) -> str:
        """``GT`` as written: ``0/1``."""
        j, k = sorted(self.genotype)
        return f"{j}/{k}"

    @property
    def is_reference(self) -> bool:
        """Whether the call is 0/0."""
        return self.genotype == (0, 0)

    @property
    def gq(self) -> int:
        """phred(1 - P(called genotype)), rounded, at most :data:`GQ_CAP`."""
        called = genotype_index(*self.genotype)
        others = sum(p for i, p in enumerate(self.probabilities) if i != called)
        return int(min(GQ_CAP, round(phred(others))))

    @property
    def qual(self) -> float:
        """phred(P(0/0)), rounded to 2 decimals."""
        return round(phred(self.probabilities[0]), 2) + 0.0

    @property
    def pl(self) -> tuple[int, ...]:
        """phred of each genotype's probability minus the smallest, rounded."""
        values = [phred(p) for p in self.probabilities]
        low = min(values)
        return tuple(round(v - low) for v in values)

    @property
    def vaf(self) -> tuple[float, ...] | None:
        """Fraction of the reads supporting each ALT (``AD / DP``; ``DP`` = sum of AD when
        not given); ``None`` without AD or reads."""
        if self.allele_depths is None:
            return None
        total = self.depth if self.depth else sum(self.allele_depths)
        if not total:
            return None
        return tuple(a / total for a in self.allele_depths[1:])

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}>{','.join(self.alts)}"


def call_filter(call: GenotypeCall, *, min_qual: float = DEFAULT_MIN_QUAL) -> str:
    """The ``FILTER`` of ``call``: its own ``filters`` if set, ``RefCall`` for 0/0,
    ``LowQual`` for ``QUAL < min_qual``, else ``PASS``."""
    if call.filters is not None:
        return ";".join(call.filters) if call.filters else "PASS"
    if call.is_reference:
        return "RefCall"
    if call.qual < min_qual:
        return "LowQual"
    return "PASS"


def _format_number(x: float) -> str:
    return f"{x:.4g}"


def _record_line(call: GenotypeCall, *, min_qual: float) -> str:
    vaf = call.vaf
    cells = [
        call.genotype_text,
        str(call.gq),
        "." if call.depth is None else str(int(call.depth)),
        "." if call.allele_depths is None else ",".join(str(int(a)) for a in call.allele_depths),
        "." if vaf is None else ",".join(_format_number(v) for v in vaf),
        ",".join(str(p) for p in call.pl),
    ]
    fields = [
        call.chrom,
        str(call.pos),
        call.id or ".",
        call.ref,
        ",".join(call.alts),
        f"{call.qual:g}",
        call_filter(call, min_qual=min_qual),
        ".",
        ":".join(FORMAT_KEYS),
        ":".join(cells),
    ]
    return "\t".join(fields)


def reference_contigs(reference: Any) -> dict[str, int]:
    """Contig names and lengths of a reference: read from ``<path>.fai`` when it exists,
    else from the FASTA (indexed if needed) or an open reference object.

    Raises
    ------
    InputError
        The FASTA or its index cannot be read.
    """
    if isinstance(reference, str | os.PathLike):
        fai = Path(f"{os.fspath(reference)}.fai")
        if fai.is_file():
            sizes: dict[str, int] = {}
            for lineno, line in enumerate(fai.read_text(encoding="utf-8").splitlines(), 1):
                fields = line.split("\t")
                if len(fields) < 2 or not fields[1].isdigit():
                    raise InputError(
                        "not a FASTA index line (name, length, ...)", path=fai, line=lineno
                    )
                sizes[fields[0]] = int(fields[1])
            return sizes
    from biodl.variants.reference import open_reference

    with open_reference(reference) as ref:
        return dict(ref.chrom_sizes)


def _reference_name(reference: Any) -> str:
    if isinstance(reference, str | os.PathLike):
        return str(Path(reference).resolve())
    name = getattr(reference, "path", None) or getattr(reference, "filename", None) or "genome"
    if isinstance(name, bytes):
        name = name.decode()
    return str(Path(str(name)).resolve()) if name != "genome" else name


def provenance_meta(
    *,
    command: str | None = None,
    model: str | os.PathLike[str] | None = None,
    genome: Any = None,
    settings: Mapping[str, Any] | None = None,
    settings_key: str = "biodl_calling",
) -> dict[str, str]:
    """The ``##key=value`` provenance lines of a biodl VCF, as ``score-variants`` writes
    them: ``biodl_version``, ``biodl_command``, ``biodl_model`` (the run folder, resolved,
    and ``sha256=`` of its ``model.safetensors``), ``biodl_genome`` (the reference,
    resolved), and ``settings`` as ``k=v;k=v`` under ``settings_key``.

    Raises
    ------
    InputError
        ``model`` has no ``model.safetensors``.

    Examples
    --------
    >>> meta = provenance_meta(command="biodl call x.bam", settings={"min_qual": 20})
    >>> meta["biodl_command"], meta["biodl_calling"]
    ('biodl call x.bam', 'min_qual=20')
    """
    from biodl import __version__

    meta = {
        "biodl_version": __version__,
        "biodl_command": command or "biodl.variants.write_calls",
    }
    if model is not None:
        weights = Path(model) / "model.safetensors"
        if not weights.is_file():
            raise InputError("not a run folder: no model.safetensors", path=model)
        from biodl.runs import file_checksum

        checksum = file_checksum(weights)["sha256"]
        meta["biodl_model"] = f"{Path(model).resolve()};sha256={checksum}"
    if genome is not None:
        meta["biodl_genome"] = _reference_name(genome)
    if settings:
        meta[settings_key] = ";".join(f"{k}={v}" for k, v in settings.items())
    return meta


def calls_header(
    contigs: Mapping[str, int],
    *,
    sample: str = "SAMPLE",
    reference: str | None = None,
    meta: Mapping[str, str] | None = None,
    min_qual: float = DEFAULT_MIN_QUAL,
    date: datetime.date | None = None,
) -> list[str]:
    """The header lines (no newlines) :func:`write_calls` writes.

    Examples
    --------
    >>> lines = calls_header({"chr1": 100}, sample="NA12878", date=datetime.date(2024, 5, 1))
    >>> lines[:2], lines[3], lines[-1].split("\\t")[-1]
    (['##fileformat=VCFv4.2', '##fileDate=20240501'], '##contig=<ID=chr1,length=100>', 'NA12878')
    """
    from biodl import __version__

    day = date or datetime.date.today()
    lines = ["##fileformat=VCFv4.2", f"##fileDate={day:%Y%m%d}", f"##source=biodl {__version__}"]
    if reference is not None:
        lines.append(f"##reference={reference}")
    lines += [f"##contig=<ID={name},length={size}>" for name, size in contigs.items()]
    lines += [
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FILTER=<ID=RefCall,Description="Genotype call is homozygous reference (0/0)">',
        f'##FILTER=<ID=LowQual,Description="QUAL below {min_qual:g}">',
        *_FORMAT_LINES,
    ]
    lines += [f"##{key}={value}" for key, value in (meta or {}).items()]
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]))
    lines[-1] += f"\tFORMAT\t{sample}"
    return lines


@dataclass(frozen=True)
class WrittenCalls:
    """What :func:`write_calls` wrote."""

    vcf: Path
    index: Path | None
    records: int
    reference_calls_left_out: int


def write_calls(
    path: str | os.PathLike[str],
    calls: Iterable[GenotypeCall],
    *,
    reference: Any = None,
    contigs: Mapping[str, int] | None = None,
    sample: str = "SAMPLE",
    command: str | None = None,
    model: str | os.PathLike[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    meta: Mapping[str, str] | None = None,
    min_qual: float = DEFAULT_MIN_QUAL,
    include_reference: bool = False,
) -> WrittenCalls:
    """Write genotype calls as a sorted VCF 4.2 (bgzip + tabix for ``*.gz``), atomically.

    Parameters
    ----------
    path
        Output VCF: ``OUT.vcf.gz`` (bgzip, then ``OUT.vcf.gz.tbi``) or plain ``OUT.vcf``.
    calls
        The calls, in any order: sorted by contig (reference order), position, REF, ALT.
    reference
        The reference FASTA (path or open object): ``##reference``, ``##biodl_genome`` and,
        unless ``contigs`` is given, the ``##contig`` lines (from its ``.fai``).
    contigs
        Contig names and lengths, in order (instead of the reference's).
    sample
        The sample column's name.
    command, model, settings
        Provenance (:func:`provenance_meta`): the command line, the run folder of the
        model that called, and the caller's settings (``##biodl_calling``).
    meta
        More ``##key=value`` lines.
    min_qual
        Calls with QUAL below are filtered ``LowQual``.
    include_reference
        Also write 0/0 calls (filtered ``RefCall``).

    Returns
    -------
    WrittenCalls
        The VCF, its index (``None`` for plain text), records written, 0/0 calls left out.

    Raises
    ------
    InputError
        No contigs (neither ``reference`` nor ``contigs``), a call on a contig not among
        them, or a bad sample name.
    OutputError
        ``path`` cannot be written (folder missing, not writable, is the reference).
    """
    if not sample or any(c in sample for c in "\t\n\r"):
        raise InputError(f"sample name {sample!r} must be non-empty, without tabs or newlines")
    ref_path = reference if isinstance(reference, str | os.PathLike) else None
    inputs = [] if ref_path is None else [ref_path, f"{os.fspath(ref_path)}.fai"]
    out = check_output_path(path, inputs=inputs, what="the calls VCF")
    if contigs is None:
        if reference is None:
            raise InputError("writing calls needs the contigs: give a reference or contig lengths")
        contigs = reference_contigs(reference)
    order = {name: i for i, name in enumerate(contigs)}
    kept: list[GenotypeCall] = []
    left_out = 0
    for call in calls:
        if call.chrom not in order:
            shown = ", ".join(list(order)[:5]) + (", ..." if len(order) > 5 else "")
            raise InputError(
                f"call on contig {call.chrom!r}, which is not in the reference (it has {shown})",
                record=str(call),
            )
        if call.is_reference and not include_reference:
            left_out += 1
            continue
        kept.append(call)
    kept.sort(key=lambda c: (order[c.chrom], c.pos, c.ref, c.alts))
    full_meta = provenance_meta(command=command, model=model, genome=reference, settings=settings)
    full_meta.update(meta or {})
    uri = None
    if ref_path is not None:
        uri = Path(ref_path).resolve().as_uri()
    elif reference is not None:
        uri = _reference_name(reference)
    header = calls_header(contigs, sample=sample, reference=uri, meta=full_meta, min_qual=min_qual)
    text = "\n".join([*header, *(_record_line(c, min_qual=min_qual) for c in kept)]) + "\n"
    bgzip = out.name.lower().endswith((".gz", ".bgz"))
    with atomic_path(out, companions=(".tbi",) if bgzip else ()) as tmp:
        if bgzip:
            import pysam

            with pysam.BGZFile(os.fspath(tmp), "wb", None) as handle:
                handle.write(text.encode("utf-8"))
            pysam.tabix_index(os.fspath(tmp), preset="vcf", force=True)
        else:
            tmp.write_text(text, encoding="utf-8")
    index = Path(f"{out}.tbi") if bgzip else None
    return WrittenCalls(vcf=out, index=index, records=len(kept), reference_calls_left_out=left_out)
