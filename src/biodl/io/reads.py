"""Aligned reads (BAM/CRAM, indexed) read with pysam, filtered, with contig names
reconciled between the reads, the reference genome and VCF/BED files.

Contig names
------------
One assembly is spelt in two ways: ``20``, ``X``, ``MT`` (b37, Ensembl) and ``chr20``,
``chrX``, ``chrM`` (UCSC hg19/hg38). :func:`contig_mapping` maps the names of one file
onto another's: the same name first, else the name with ``chr`` added or removed, with
``MT``/``M`` <-> ``chrM``/``chrMT``. It is an :class:`~biodl.errors.InputError` (one line
naming both files and example names of each) when no name can be matched, and when a
matched contig has a different length in the two files (another assembly).

Read filters (:class:`ReadFilter`)
----------------------------------
A read is used when it is mapped and not secondary, supplementary, a duplicate or
QC-failed, and its MAPQ is at least ``min_mapping_quality`` (default 5, DeepVariant's
``make_examples --min_mapping_quality`` default). Each exclusion can be switched off.

Examples
--------
>>> contig_mapping(["20", "MT", "GL000192.1"], ["chr20", "chrM"])
{'20': 'chr20', 'MT': 'chrM'}
>>> ReadFilter().min_mapping_quality
5
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pysam

from biodl.errors import InputError

__all__ = [
    "Alignments",
    "ReadFilter",
    "contig_aliases",
    "contig_mapping",
    "open_alignments",
]

_UNMAPPED, _SECONDARY, _QC_FAIL, _DUPLICATE, _SUPPLEMENTARY = 0x4, 0x100, 0x200, 0x400, 0x800


def contig_aliases(name: str) -> tuple[str, ...]:
    """Other spellings of a contig name: with ``chr`` added or removed; ``MT``/``M`` and
    ``chrM``/``chrMT`` for the mitochondrion.

    Examples
    --------
    >>> contig_aliases("20"), contig_aliases("chrX"), contig_aliases("MT")
    (('chr20',), ('X',), ('chrM', 'chrMT', 'M'))
    """
    lower = name.lower()
    if lower in ("mt", "m", "chrm", "chrmt"):
        spellings = ("chrM", "chrMT", "MT", "M")
        return tuple(s for s in spellings if s != name)
    if lower.startswith("chr") and len(name) > 3:
        return (name[3:],)
    return ("chr" + name,)


def _example_names(names: Iterable[str], n: int = 4) -> str:
    listed = list(names)
    return ", ".join(listed[:n]) + (", ..." if len(listed) > n else "") if listed else "none"


def contig_mapping(
    names: Iterable[str],
    targets: Iterable[str] | Mapping[str, int],
    *,
    source: str | os.PathLike[str] | None = None,
    target: str | os.PathLike[str] | None = None,
    lengths: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """Map contig ``names`` (of ``source``) onto the names ``targets`` (of ``target``).

    Parameters
    ----------
    names
        Contig names of one file (reads, VCF, BED).
    targets
        Contig names of the other (usually the reference genome); a mapping of name to
        length enables the length check.
    source, target
        The two files, named in error messages.
    lengths
        Lengths of ``names`` where known (a BAM header); a matched pair whose lengths
        differ is an error.

    Returns
    -------
    dict[str, str]
        Each name of ``names`` that can be matched, to its name in ``targets``. Names
        that cannot be matched are left out (another assembly's extra contigs).

    Raises
    ------
    InputError
        No name matches (and ``names`` is not empty), or matched lengths differ.

    Examples
    --------
    >>> contig_mapping(["chr1", "chr2"], {"1": 10, "2": 20})
    {'chr1': '1', 'chr2': '2'}
    >>> contig_mapping(["chr1"], ["X"], source="r.bam", target="g.fa")
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: r.bam: contig names cannot be reconciled with g.fa: r.bam has chr1; g.fa has X (tried the same name, with 'chr' added or removed, and MT <-> chrM)
    """  # noqa: E501
    wanted = list(dict.fromkeys(names))
    target_names = list(targets)
    target_set = set(target_names)
    out: dict[str, str] = {}
    for name in wanted:
        if name in target_set:
            out[name] = name
            continue
        for alias in contig_aliases(name):
            if alias in target_set:
                out[name] = alias
                break
    src = os.fspath(source) if source is not None else "the file"
    dst = os.fspath(target) if target is not None else "the reference"
    if wanted and not out:
        raise InputError(
            f"contig names cannot be reconciled with {dst}: {src} has "
            f"{_example_names(wanted)}; {dst} has {_example_names(target_names)} (tried the "
            "same name, with 'chr' added or removed, and MT <-> chrM)",
            path=source,
        )
    if lengths is not None and isinstance(targets, Mapping):
        for name, other in out.items():
            a, b = lengths.get(name), targets.get(other)
            if a is not None and b is not None and int(a) != int(b):
                raise InputError(
                    f"contig {name!r} has length {a} but {other!r} in {dst} has length {b}: "
                    "the reads were aligned to another assembly",
                    path=source,
                )
    return out


@dataclass(frozen=True, kw_only=True)
class ReadFilter:
    """Which alignments are used (unmapped reads never are).

    Attributes
    ----------
    min_mapping_quality
        Reads with a lower MAPQ are skipped; default 5 (DeepVariant's default).
    keep_duplicates, keep_secondary, keep_supplementary, keep_qc_fail
        Use reads with these SAM flags (``0x400``, ``0x100``, ``0x800``, ``0x200``);
        default ``False`` for each, as DeepVariant.

    Examples
    --------
    >>> ReadFilter(keep_duplicates=True).flag_mask == 0x4 | 0x100 | 0x200 | 0x800
    True
    """

    min_mapping_quality: int = 5
    keep_duplicates: bool = False
    keep_secondary: bool = False
    keep_supplementary: bool = False
    keep_qc_fail: bool = False

    def __post_init__(self) -> None:
        if self.min_mapping_quality < 0:
            raise InputError(f"min_mapping_quality must be >= 0, not {self.min_mapping_quality}")

    @property
    def flag_mask(self) -> int:
        """SAM flag bits of which any one excludes a read."""
        mask = _UNMAPPED
        mask |= 0 if self.keep_secondary else _SECONDARY
        mask |= 0 if self.keep_qc_fail else _QC_FAIL
        mask |= 0 if self.keep_duplicates else _DUPLICATE
        mask |= 0 if self.keep_supplementary else _SUPPLEMENTARY
        return mask

    def accepts(self, read: pysam.AlignedSegment) -> bool:
        """Whether ``read`` passes the filter (and has a CIGAR and a sequence)."""
        return (
            not read.flag & self.flag_mask
            and read.mapping_quality >= self.min_mapping_quality
            and read.cigartuples is not None
            and read.query_sequence is not None
        )


class Alignments:
    """An indexed BAM/CRAM whose reads are fetched by the reference genome's contig names.

    Made by :func:`open_alignments`; a context manager.

    Attributes
    ----------
    path
        The file.
    read_filter
        The filter every fetched read passes.
    contigs
        Reference (genome) contig name -> name in the reads file, for the contigs both
        have.
    """

    def __init__(
        self,
        handle: pysam.AlignmentFile,
        *,
        path: str,
        read_filter: ReadFilter,
        contigs: Mapping[str, str],
    ) -> None:
        self._handle = handle
        self.path = path
        self.read_filter = read_filter
        self.contigs: Mapping[str, str] = dict(contigs)

    def __repr__(self) -> str:
        return f"Alignments({self.path!r}, {len(self.contigs)} contigs)"

    def __enter__(self) -> Alignments:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def fetch(self, chrom: str, start: int, end: int) -> Iterator[pysam.AlignedSegment]:
        """The reads passing :attr:`read_filter` that overlap ``chrom[start:end]``.

        ``chrom`` is the genome's name; a contig the reads file does not have yields
        nothing. Reads come in the file's order (sorted by start).
        """
        name = self.contigs.get(chrom)
        if name is None or end <= start:
            return
        accepts = self.read_filter.accepts
        try:
            for read in self._handle.fetch(name, max(start, 0), end):
                if accepts(read):
                    yield read
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {name}:{start}-{end}: {exc}", path=self.path) from None


def open_alignments(
    path: str | os.PathLike[str],
    *,
    genome_contigs: Mapping[str, int] | Iterable[str],
    genome_name: str | os.PathLike[str] = "the reference genome",
    read_filter: ReadFilter | None = None,
    reference_fasta: str | os.PathLike[str] | None = None,
) -> Alignments:
    """Open an indexed BAM/CRAM and reconcile its contig names with the genome's.

    Parameters
    ----------
    path
        BAM or CRAM, coordinate-sorted, with its index (``.bai``/``.csi``/``.crai``).
    genome_contigs
        The genome's contig names (with lengths, to check that the assembly is the same);
        e.g. :attr:`biodl.io.Genome.chrom_sizes`.
    genome_name
        The genome file, for error messages.
    read_filter
        Which reads to use; default :class:`ReadFilter` ().
    reference_fasta
        The FASTA a CRAM was compressed against.

    Returns
    -------
    Alignments

    Raises
    ------
    InputError
        The file is missing, not BAM/CRAM, has no index, or no contig name can be matched
        (naming both files and example names).

    Examples
    --------
    >>> import os, tempfile, pysam
    >>> d = tempfile.mkdtemp(); bam = os.path.join(d, "r.bam")
    >>> header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "20", "LN": 50}]}
    >>> with pysam.AlignmentFile(bam, "wb", header=header) as out:
    ...     r = pysam.AlignedSegment(out.header)
    ...     r.query_name, r.reference_id, r.reference_start = "r1", 0, 3
    ...     r.query_sequence, r.cigarstring, r.mapping_quality = "ACGT", "4M", 60
    ...     r.query_qualities = pysam.qualitystring_to_array("IIII")
    ...     _ = out.write(r)
    >>> pysam.index(bam)
    ''
    >>> with open_alignments(bam, genome_contigs={"chr20": 50}) as reads:
    ...     [r.query_name for r in reads.fetch("chr20", 0, 10)], dict(reads.contigs)
    (['r1'], {'chr20': '20'})
    """
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=p)
    if p.is_dir():
        raise InputError("is a folder, not a BAM/CRAM file", path=p)
    try:
        handle = pysam.AlignmentFile(
            os.fspath(p),
            "rc" if p.name.lower().endswith(".cram") else "rb",
            reference_filename=None if reference_fasta is None else os.fspath(reference_fasta),
        )
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read as BAM/CRAM: {exc}", path=p) from None
    try:
        if not handle.has_index():
            raise InputError(
                "no index found (.bai/.csi beside a BAM, .crai beside a CRAM); make one with "
                "'samtools index' (the reads must be sorted by coordinate)",
                path=p,
            )
        lengths = dict(zip(handle.references, handle.lengths, strict=True))
        genome_map = contig_mapping(
            lengths, genome_contigs, source=p, target=genome_name, lengths=lengths
        )
    except BaseException:
        handle.close()
        raise
    contigs = {genome: bam for bam, genome in genome_map.items()}
    return Alignments(
        handle, path=os.fspath(p), read_filter=read_filter or ReadFilter(), contigs=contigs
    )
