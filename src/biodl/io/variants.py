"""Variants: reading VCF/BCF and TSV files, splitting ALT alleles, normalising indels.

This is the io layer's copy of the variant records, so that the data layer (pileups,
candidate labels) can use them; :mod:`biodl.variants.records` re-exports it.

Coordinates follow VCF: :attr:`Variant.pos` is the **1-based** position of the first
base of ``ref``; internally the first reference base is the 0-based index ``pos - 1``.
A record with several ALT alleles becomes one :class:`Variant` per allele
(``allele`` = 1, 2, ...), all carrying the record's index so that results can be put
back together per record.

Normalisation follows ``vt normalize`` (Tan et al. 2015, Bioinformatics 31:2202): while
both alleles end with the same base, drop it (first prepending the preceding reference
base to both when dropping would empty one, which moves the variant one base left);
then, while both alleles have at least two bases and start with the same base, drop it.
The result is left-aligned and parsimonious, so every spelling of one indel gives the
same variant.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "g.fa")
>>> with open(path, "w") as f:
...     _ = f.write(">c\\nGGCACACAT\\n")
>>> from biodl.io import Genome
>>> g = Genome(path)
>>> normalize(Variant("c", 6, "ACA", "A"), g)  # deletion of CA, written right-shifted
Variant(chrom='c', pos=2, ref='GCA', alt='G', id='.', record=0, allele=1)
>>> normalize(Variant("c", 4, "ACA", "AGA"), g)  # untrimmed SNV
Variant(chrom='c', pos=5, ref='C', alt='G', id='.', record=0, allele=1)
>>> g.close()
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from biodl.errors import InputError
from biodl.io._open import read_lines

__all__ = [
    "SKIP_REASONS",
    "SequenceSource",
    "Variant",
    "VariantFormat",
    "bcf_records",
    "check_alleles",
    "iter_records",
    "normalize",
    "open_bcf",
    "read_variants",
    "sniff_variant_format",
    "variants_from_table",
    "vcf_header",
]

VariantFormat = Literal["vcf", "bcf", "tsv"]

SKIP_REASONS: Mapping[str, str] = {
    "no_alt": "the record has no ALT allele ('.')",
    "symbolic_allele": "symbolic ALT allele such as <DEL> or <NON_REF> (no sequence)",
    "spanning_deletion": "ALT '*' (allele missing because of an overlapping deletion)",
    "breakend": "breakend ALT allele (structural variant, no sequence)",
    "invalid_allele": "an allele has letters other than A, C, G, T, N",
    "ref_equals_alt": "REF and ALT are the same sequence",
    "ref_mismatch": "REF does not match the genome",
    "chrom_not_in_genome": "the chromosome is not in the genome",
}
"""The reasons a variant is skipped (the codes written to ``BIODL_SKIP``) and their meaning."""

_BASES = frozenset("ACGTN")


class SequenceSource(Protocol):
    """What normalisation and window extraction need from a genome.

    :class:`biodl.io.Genome` is one: ``fetch`` returns ``chrom[start:end]`` (0-based,
    half-open), upper case, padded with ``N`` outside the chromosome.
    """

    @property
    def chrom_sizes(self) -> Mapping[str, int]:
        """Chromosome name to length."""
        ...

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases ``chrom[start:end]``, ``N`` beyond the ends."""
        ...


@dataclass(frozen=True)
class Variant:
    """One REF/ALT allele pair.

    Attributes
    ----------
    chrom
        Chromosome name, as in the genome.
    pos
        1-based position of the first base of ``ref`` (VCF ``POS``).
    ref, alt
        Alleles, upper case. ``alt`` may also be a symbolic or breakend allele, which
        is skipped when scored.
    id
        VCF ``ID`` (``"."`` when missing).
    record
        0-based index of the input record the allele came from.
    allele
        1-based index of the allele among the record's ALT alleles.
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    id: str = "."
    record: int = 0
    allele: int = 1

    @property
    def start(self) -> int:
        """0-based index of the first ``ref`` base."""
        return self.pos - 1

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}>{self.alt}"


def check_alleles(variant: Variant) -> str | None:
    """The reason code (:data:`SKIP_REASONS`) why ``variant`` cannot be scored, or ``None``.

    Checks the alleles only (not the genome).

    Examples
    --------
    >>> check_alleles(Variant("c", 5, "A", "<DEL>")), check_alleles(Variant("c", 5, "A", "G"))
    ('symbolic_allele', None)
    >>> check_alleles(Variant("c", 5, "A", "A]c:10]"))
    'breakend'
    """
    alt, ref = variant.alt, variant.ref
    if alt in ("", "."):
        return "no_alt"
    if alt == "*":
        return "spanning_deletion"
    if alt.startswith("<"):
        return "symbolic_allele"
    if "[" in alt or "]" in alt or alt.startswith(".") or alt.endswith("."):
        return "breakend"
    if not ref or not set(ref) <= _BASES or not set(alt) <= _BASES:
        return "invalid_allele"
    if ref == alt:
        return "ref_equals_alt"
    return None


def normalize(variant: Variant, genome: SequenceSource) -> Variant:
    """Left-align and trim a variant against the reference (``vt normalize`` rules).

    ``variant.ref`` is assumed to match the genome (check it first). Alleles stay
    non-empty: a deletion or insertion keeps one anchor base before the event, as VCF
    requires; at the first base of a chromosome, where there is no base before, the
    event is left as far left as it goes with the anchor after it.

    Parameters
    ----------
    variant
        A sequence-resolved variant (see :func:`check_alleles`).
    genome
        Reference sequence, for the bases before the variant.

    Returns
    -------
    Variant
        The normalised variant (the same object if nothing changed).

    Examples
    --------
    >>> class G:
    ...     chrom_sizes = {"c": 8}
    ...     def fetch(self, chrom, start, end): return "AAAATTTT"[max(start, 0):end]
    >>> normalize(Variant("c", 3, "AAT", "AT"), G())  # one A deleted from a run of A
    Variant(chrom='c', pos=1, ref='AA', alt='A', id='.', record=0, allele=1)
    """
    ref, alt, start = variant.ref, variant.alt, variant.start
    changed = True
    while changed:
        changed = False
        if ref and alt and ref[-1] == alt[-1]:
            if len(ref) == 1 or len(alt) == 1:
                if start == 0:
                    break
                base = genome.fetch(variant.chrom, start - 1, start)
                ref, alt, start = base + ref, base + alt, start - 1
            ref, alt = ref[:-1], alt[:-1]
            changed = True
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, start = ref[1:], alt[1:], start + 1
    if (ref, alt, start) == (variant.ref, variant.alt, variant.start):
        return variant
    return replace(variant, pos=start + 1, ref=ref, alt=alt)


def _decompressed_head(path: Path, n: int) -> bytes:
    try:
        with path.open("rb") as handle:
            head = handle.read(n)
            if head[:2] == b"\x1f\x8b":
                handle.seek(0)
                with gzip.GzipFile(fileobj=handle) as gz:
                    head = gz.read(n)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read the file: corrupt gzip data ({exc})", path=path) from None
    return head


def sniff_variant_format(path: str | os.PathLike[str]) -> VariantFormat:
    """``"vcf"`` (text VCF, plain or gzip), ``"bcf"``, or ``"tsv"``, from the content.

    A VCF starts with ``##fileformat=VCF``; a BCF with its magic bytes. A file named
    ``.vcf``/``.bcf`` (optionally ``.gz``/``.bgz``) that does not, or a file that starts
    like a VCF header without ``##fileformat``, is an error: it is never read silently
    as the TSV format. Any other file is a TSV.

    Raises
    ------
    InputError
        If the file cannot be read, or is a header-less VCF/BCF as above.
    """
    p = Path(path)
    head = _decompressed_head(p, 32)
    if head.startswith(b"BCF"):
        return "bcf"
    if head.startswith(b"##fileformat=VCF"):
        return "vcf"
    name = p.name.lower()
    for suffix in (".gz", ".bgz"):
        name = name.removesuffix(suffix)
    if name.endswith((".vcf", ".bcf")):
        kind = name[-3:].upper()
        raise InputError(
            f"not a {kind} file: a {kind} starts with "
            + ("the 'BCF' magic bytes" if kind == "BCF" else "a '##fileformat=VCF...' line")
            + " (a header-less file must not be read as another format; write the header, "
            "or name a chrom/pos/ref/alt table .tsv)",
            path=p,
            line=None if kind == "BCF" else 1,
        )
    if head.startswith((b"#CHROM", b"##")):
        raise InputError(
            "a VCF header without its first line '##fileformat=VCF...' (add it, or write "
            "a chrom/pos/ref/alt table)",
            path=p,
            line=1,
        )
    return "tsv"


def _split(chrom: str, pos: int, vid: str, ref: str, alts: list[str], record: int) -> list[Variant]:
    ref = ref.upper()
    if not alts:
        return [Variant(chrom, pos, ref, ".", vid, record, 1)]
    return [
        Variant(chrom, pos, ref, a if a.startswith("<") else a.upper(), vid, record, i)
        for i, a in enumerate(alts, start=1)
    ]


def vcf_header(path: str | os.PathLike[str]) -> list[str]:
    """The header lines of a VCF (``##`` lines and ``#CHROM``) or BCF, without newlines.

    Raises
    ------
    InputError
        If the file is not a VCF/BCF or has no ``#CHROM`` line.
    """
    p = Path(path)
    if sniff_variant_format(p) == "bcf":
        import pysam

        try:
            with pysam.VariantFile(os.fspath(p)) as bcf:
                return str(bcf.header).rstrip("\n").split("\n")
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read as BCF: {exc}", path=p) from None
    lines: list[str] = []
    last = 0
    for lineno, raw in read_lines(p):
        last = lineno
        if not raw.strip():
            continue
        if not raw.startswith("#"):
            raise InputError("VCF record before the '#CHROM' header line", path=p, line=lineno)
        lines.append(raw.rstrip("\r\n"))
        if raw.startswith("#CHROM"):
            return lines
    raise InputError(
        "VCF has no '#CHROM' header line (the file ends in its header)", path=p, line=last or 1
    )


def open_bcf(path: str | os.PathLike[str]) -> Any:
    """A BCF (or VCF) file opened with pysam (``pysam.VariantFile``); one-line error."""
    import pysam

    try:
        return pysam.VariantFile(os.fspath(path))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read as BCF: {exc}", path=path) from None


def bcf_records(bcf: Any, path: str | os.PathLike[str]) -> Iterator[Any]:
    """The records of an open ``pysam.VariantFile``; a record pysam cannot decode is a
    one-line error naming its number."""
    records = iter(bcf)
    n = 0
    while True:
        try:
            rec = next(records)
        except StopIteration:
            return
        except (OSError, ValueError) as exc:
            raise InputError(f"malformed BCF record {n + 1}: {exc}", path=path) from None
        n += 1
        yield rec


def _iter_bcf(path: Path) -> Iterator[tuple[str | None, list[Variant]]]:
    with open_bcf(path) as bcf:
        for n, rec in enumerate(bcf_records(bcf, path)):
            line = str(rec).rstrip("\n")
            alts = list(rec.alts or ())
            yield line, _split(rec.contig, rec.pos, rec.id or ".", rec.ref or "", alts, n)


def _iter_vcf(path: Path) -> Iterator[tuple[str | None, list[Variant]]]:
    n = 0
    seen_header = False
    n_columns = 0
    for lineno, raw in read_lines(path):
        line = raw.rstrip("\r\n")
        if line.startswith("#"):
            if line.startswith("#CHROM") and not seen_header:
                seen_header = True
                n_columns = line.count("\t") + 1
            continue
        if not line.strip():
            continue
        if not seen_header:
            raise InputError("VCF record before the '#CHROM' header line", path=path, line=lineno)
        if n_columns > 8 and line.count("\t") + 1 != n_columns:
            raise InputError(
                f"VCF record has {line.count(chr(9)) + 1} tab-separated columns but the "
                f"'#CHROM' header line has {n_columns}",
                path=path,
                line=lineno,
            )
        fields = line.split("\t", 8)
        if len(fields) < 8:
            raise InputError(
                f"VCF record has {len(fields)} tab-separated columns, needs at least 8",
                path=path,
                line=lineno,
            )
        chrom, pos_text, vid, ref, alt = fields[:5]
        if not pos_text.isdigit() or int(pos_text) < 1:
            raise InputError(f"POS {pos_text!r} is not a 1-based position", path=path, line=lineno)
        if not ref or ref == ".":
            raise InputError("empty REF allele", path=path, line=lineno)
        alts = [] if alt == "." else alt.split(",")
        yield line, _split(chrom, int(pos_text), vid or ".", ref, alts, n)
        n += 1


def _iter_tsv(path: Path) -> Iterator[tuple[str | None, list[Variant]]]:
    n = 0
    for lineno, raw in read_lines(path):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if (
            n == 0
            and len(fields) > 1
            and fields[0].lower() in ("chrom", "chr", "chromosome")
            and fields[1].lower() in ("pos", "position")
        ):
            continue  # header line
        if len(fields) < 4:
            raise InputError(
                f"expected 4 tab-separated columns (chrom, pos, ref, alt), found {len(fields)}",
                path=path,
                line=lineno,
            )
        if n == 0 and len(fields) >= 8:
            raise InputError(
                f"{len(fields)} columns: this looks like VCF records without a VCF header; "
                "a variant table has the columns chrom, pos, ref, alt and optionally id",
                path=path,
                line=lineno,
            )
        yield None, _tsv_record(fields, n, path=path, line=lineno)
        n += 1


def _tsv_record(
    fields: list[str], n: int, *, path: str | os.PathLike[str], line: int
) -> list[Variant]:
    """The alleles of one variant-table row ``chrom, pos, ref, alt[, id]`` (record ``n``)."""
    chrom, pos_text, ref, alt = (f.strip() for f in fields[:4])
    vid = fields[4].strip() if len(fields) > 4 and fields[4].strip() else "."
    if not pos_text.isdigit() or int(pos_text) < 1:
        raise InputError(f"position {pos_text!r} is not a 1-based position", path=path, line=line)
    if not ref or ref == ".":
        raise InputError("empty REF allele", path=path, line=line)
    alts = [] if alt in ("", ".") else alt.split(",")
    return _split(chrom, int(pos_text), vid, ref, alts, n)


_VARIANT_COLUMNS = ("chrom", "pos", "ref", "alt")


def variants_from_table(data: Any) -> Iterator[tuple[str | None, list[Variant]]]:
    """The records of a variant table in memory, as :func:`iter_records` reads a TSV.

    ``data``: a pandas DataFrame (or a mapping of columns) with the columns ``chrom``,
    ``pos`` (1-based), ``ref``, ``alt`` (comma-separated ALT alleles allowed) and
    optionally ``id`` (names matched without regard to case).

    Raises
    ------
    InputError
        A column missing (named), a bad position or an empty REF (naming the row).

    Examples
    --------
    >>> [v for _, vs in variants_from_table({"chrom": ["c"], "pos": [3], "ref": ["a"],
    ...                                      "alt": ["G,T"]}) for v in vs][1]
    Variant(chrom='c', pos=3, ref='A', alt='T', id='.', record=0, allele=2)
    >>> next(variants_from_table({"chrom": ["c"], "position": [3], "ref": ["A"], "alt": ["G"]}))
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: variant table: column 'pos' not found; columns are: chrom, ...
    """
    if hasattr(data, "columns") and not isinstance(data, Mapping):
        columns = {str(c): list(data[c].tolist()) for c in data.columns}
    elif isinstance(data, Mapping):
        columns = {str(c): list(v) for c, v in data.items()}
    else:
        raise InputError(
            "variants must be a VCF/BCF/TSV file, a DataFrame or a mapping of columns, "
            f"not {type(data).__name__}"
        )
    by_lower = {c.lower(): c for c in columns}
    wanted = list(_VARIANT_COLUMNS) + (["id"] if "id" in by_lower else [])
    for name in wanted:
        if name not in by_lower:
            raise InputError(
                f"column {name!r} not found; columns are: {', '.join(columns)} (needed: "
                "chrom, pos, ref, alt and optionally id)",
                path="variant table",
            )
    values = [columns[by_lower[name]] for name in wanted]
    for n, row in enumerate(zip(*values, strict=True)):
        fields = [
            ""
            if v is None or v != v
            else str(int(v))
            if isinstance(v, float) and v.is_integer()
            else str(v)
            for v in row
        ]
        yield None, _tsv_record(fields, n, path="variant table", line=n + 1)


def iter_records(
    path: str | os.PathLike[str], *, fmt: VariantFormat | None = None
) -> Iterator[tuple[str | None, list[Variant]]]:
    """Stream the records of a VCF/BCF or TSV file, each with its split alleles.

    Parameters
    ----------
    path
        VCF (plain or bgzip/gzip, read as text so that every record is kept exactly as
        written), BCF (read with pysam), or a TSV with columns chrom, pos (1-based),
        ref, alt (comma-separated ALT alleles allowed) and an optional fifth column id;
        an optional header line starting with ``chrom``; ``#`` lines are comments.
    fmt
        Force the format; default: sniffed from the content
        (:func:`sniff_variant_format`).

    Yields
    ------
    tuple
        ``(line, variants)``: the record as a VCF line without its newline (``None``
        for a TSV) and one :class:`Variant` per ALT allele (one with ``alt="."`` when
        there is none).

    Raises
    ------
    InputError
        The file is missing or has a malformed record (named by line; by number for BCF).
    """
    p = Path(path)
    kind = fmt or sniff_variant_format(p)
    if kind == "bcf":
        yield from _iter_bcf(p)
    elif kind == "vcf":
        yield from _iter_vcf(p)
    else:
        yield from _iter_tsv(p)


def read_variants(
    path: str | os.PathLike[str], *, fmt: VariantFormat | None = None
) -> Iterator[Variant]:
    """Stream the variants of a VCF/BCF or TSV file, one per ALT allele.

    See :func:`iter_records` for the formats.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "v.tsv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("chrom\\tpos\\tref\\talt\\nchr1\\t10\\tA\\tG,T\\n")
    >>> [str(v) for v in read_variants(path)]
    ['chr1:10:A>G', 'chr1:10:A>T']
    """
    for _, variants in iter_records(path, fmt=fmt):
        yield from variants
