"""BED and narrowPeak intervals, and fixed-length windows cut from an indexed genome.

Coordinates are those of BED: 0-based, half-open (``start`` is the first base, ``end``
one past the last; the first base of a chromosome is 0). A narrowPeak file (exactly 10
columns) adds the summit, an offset from ``start`` in column 10 (``-1``: none).

Window convention (:func:`fixed_window`)
    The centre is ``start + summit`` for a narrowPeak interval with a summit when
    ``centre="summit"``, else the midpoint ``start + (end - start) // 2`` (for an even
    interval length, the first base of the right half). A window of ``length`` bases
    starts at ``centre - length // 2`` and ends (exclusive) at that plus ``length``, so
    for an odd length the centre base is exactly in the middle and for an even length
    it is the first base of the right half. Positions outside the chromosome are ``N``.
    For strand ``-`` the same genomic window is returned reverse-complemented.

Examples
--------
>>> iv = Interval("chr1", 10, 20)
>>> fixed_window(iv, 4), fixed_window(iv, 5)
((13, 17), (13, 18))
>>> fixed_window(Interval("chr1", 10, 20, summit=2), 3)
(11, 14)
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Literal, NamedTuple

import pyfaidx

from biodl.errors import InputError
from biodl.io._open import is_gzip, read_lines
from biodl.io.alphabet import reverse_complement

__all__ = [
    "Genome",
    "Interval",
    "fixed_window",
    "intervals_to_sequences",
    "read_bed",
    "region_of_id",
]

_PathLike = str | os.PathLike[str]

Strand = Literal["+", "-", "."]


class Interval(NamedTuple):
    """One BED interval (0-based, half-open).

    Attributes
    ----------
    chrom, start, end
        Chromosome and 0-based half-open coordinates.
    name, score, strand
        BED columns 4-6 when present (``score`` ``None`` for ``.``); strand ``"."``
        when absent.
    summit
        narrowPeak column 10: summit offset from ``start``; ``None`` if absent or -1.
    line
        1-based line in the BED file (0 when not read from a file).
    """

    chrom: str
    start: int
    end: int
    name: str | None = None
    score: float | None = None
    strand: Strand = "."
    summit: int | None = None
    line: int = 0


def _int_field(text: str, what: str, path: _PathLike, lineno: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{what} {text!r} is not an integer", path=path, line=lineno) from None


def _score(text: str, path: _PathLike, lineno: int) -> float | None:
    if text in (".", ""):
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"score {text!r} is not a number", path=path, line=lineno) from None


def _strand(text: str, path: _PathLike, lineno: int) -> Strand:
    if text == "+":
        return "+"
    if text == "-":
        return "-"
    if text == ".":
        return "."
    raise InputError(f"strand {text!r} must be '+', '-' or '.'", path=path, line=lineno)


def _summit(text: str, start: int, end: int, path: _PathLike, lineno: int) -> int | None:
    summit = _int_field(text, "summit offset (column 10)", path, lineno)
    if summit == -1:
        return None
    if not 0 <= summit < end - start:
        raise InputError(
            f"summit offset {summit} (column 10) is outside the peak of length {end - start}",
            path=path,
            line=lineno,
        )
    return summit


def _parse_bed_fields(fields: list[str], path: _PathLike, lineno: int) -> Interval:
    if len(fields) < 3:
        raise InputError(
            f"expected at least 3 tab-separated columns (chrom, start, end), found {len(fields)}",
            path=path,
            line=lineno,
        )
    chrom = fields[0].strip()
    start = _int_field(fields[1], "start", path, lineno)
    end = _int_field(fields[2], "end", path, lineno)
    if start < 0:
        raise InputError(f"start {start} is negative", path=path, line=lineno)
    if start >= end:
        raise InputError(
            f"start {start} is not less than end {end} "
            "(BED coordinates are 0-based, end exclusive)",
            path=path,
            line=lineno,
        )
    n = len(fields)
    return Interval(
        chrom=chrom,
        start=start,
        end=end,
        name=fields[3].strip() if n > 3 else None,
        score=_score(fields[4].strip(), path, lineno) if n > 4 else None,
        strand=_strand(fields[5].strip(), path, lineno) if n > 5 else ".",
        summit=_summit(fields[9], start, end, path, lineno) if n == 10 else None,
        line=lineno,
    )


def read_bed(path: _PathLike) -> list[Interval]:
    """Read a BED3 to BED12 (or narrowPeak) file, plain or gzip.

    ``track`` and ``browser`` lines, ``#`` comments and blank lines are skipped.
    Columns are tab-separated (a line without tabs is split at white space). A line
    with exactly 10 columns is read as narrowPeak (column 10 = summit offset).

    Returns
    -------
    list[Interval]
        In file order; may be empty.

    Raises
    ------
    InputError
        Fewer than 3 columns, non-integer coordinates, negative start, start not less
        than end, bad strand, summit outside the peak; each naming file and line.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "p.bed")
    >>> with open(path, "w") as f:
    ...     _ = f.write("track name=x\\nchr1\\t10\\t20\\tp1\\t5\\t-\\n")
    >>> read_bed(path)
    [Interval(chrom='chr1', start=10, end=20, name='p1', score=5.0, strand='-', summit=None, line=2)]
    """  # noqa: E501
    out: list[Interval] = []
    for lineno, line in read_lines(path):
        text = line.rstrip("\r\n")
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("\t") if "\t" in text else text.split()
        if fields[0] in ("track", "browser"):
            continue
        out.append(_parse_bed_fields(fields, path, lineno))
    return out


def fixed_window(
    interval: Interval, length: int, *, centre: Literal["midpoint", "summit"] = "summit"
) -> tuple[int, int]:
    """``(start, end)`` of the window of ``length`` bases centred on ``interval``.

    See the module documentation for the exact convention. The window may run past
    either chromosome end (negative start, or end past the chromosome length).

    Examples
    --------
    >>> fixed_window(Interval("chr1", 0, 4), 6)
    (-1, 5)
    """
    if length < 1:
        raise InputError(f"window length must be at least 1, not {length}")
    if centre == "summit" and interval.summit is not None:
        middle = interval.start + interval.summit
    else:
        middle = interval.start + (interval.end - interval.start) // 2
    start = middle - length // 2
    return start, start + length


# IUPAC ambiguity codes that a reference genome may hold; they become N.
_TO_N = str.maketrans(dict.fromkeys("RYKMSWBDHVrykmswbdhv", "N"))


def _cache_dir() -> Path:
    base = os.environ.get("BIODL_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    folder = (Path(base) if base else Path.home() / ".cache") / "biodl" / "faidx"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    folder = Path(tempfile.gettempdir()) / f"biodl-faidx-{os.getuid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _index_path(fasta: Path, suffix: str) -> str:
    """Where the ``.fai`` (or ``.gzi``) index is or will be written.

    Next to the FASTA if it is there and current, or if it can be written there; else
    in a cache folder (``$BIODL_CACHE_DIR``, ``$XDG_CACHE_HOME`` or ``~/.cache``, under
    ``biodl/faidx``; a temporary folder as last resort), named from a hash of the
    FASTA's real path, size and modification time.
    """
    beside = Path(f"{fasta}{suffix}")
    stat = fasta.stat()
    if beside.exists() and beside.stat().st_mtime >= stat.st_mtime:
        return str(beside)
    folder_ok = os.access(fasta.parent, os.W_OK)
    if folder_ok and (not beside.exists() or os.access(beside, os.W_OK)):
        return str(beside)
    key = f"{fasta.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
    digest = hashlib.sha1(key, usedforsecurity=False).hexdigest()[:16]
    return str(_cache_dir() / f"{fasta.name}.{digest}{suffix}")


def _drop_new_index(fai: str, had_index: bool) -> None:
    """Remove an index that pyfaidx began to write before it failed (nothing half-written)."""
    if not had_index:
        with contextlib.suppress(OSError):
            os.unlink(fai)


def _check_fai(fasta: Path, fai: Path) -> None:
    """Refuse a ``.fai`` that does not describe ``fasta`` (a stale index of an older file).

    Each entry must point just after a ``>name`` header line of the FASTA, and its
    sequence (length, bases and bytes per line) must end at a line end followed by the
    next header or the end of the file. pyfaidx trusts an index whose modification time
    is newer than the FASTA's, so an edited, replaced or copied genome would otherwise
    be read at the wrong offsets, and a BED or VCF blamed for it.
    """
    hint = f"the index {fai} does not match {fasta.name}"
    fix = f"delete {fai.name} so that it is rebuilt"
    entries: list[tuple[int, str, int, int, int, int]] = []
    try:
        with fai.open("rb") as handle:
            for lineno, raw in enumerate(handle, start=1):
                fields = raw.rstrip(b"\r\n").split(b"\t")
                if fields == [b""]:
                    continue
                try:
                    name = fields[0].decode("utf-8")
                    rlen, offset, lenc, lenb = (int(f) for f in fields[1:5])
                except (UnicodeDecodeError, ValueError):
                    msg = (
                        "malformed FASTA index line (want name, length, offset, bases and "
                        f"bytes per line); {fix}"
                    )
                    raise InputError(msg, path=fai, line=lineno) from None
                if rlen < 0 or offset < 0 or lenc < 1 or lenb < lenc:
                    msg = f"malformed FASTA index line (impossible numbers); {fix}"
                    raise InputError(msg, path=fai, line=lineno)
                entries.append((lineno, name, rlen, offset, lenc, lenb))
    except OSError as exc:
        raise InputError(f"cannot read the FASTA index: {exc.strerror or exc}", path=fai) from None
    size = fasta.stat().st_size
    with fasta.open("rb") as handle:
        for _, name, rlen, offset, lenc, lenb in entries:
            start = max(0, offset - 4096)
            handle.seek(start)
            before = handle.read(offset - start)
            head_start = before.rfind(b"\n", 0, len(before) - 1) + 1
            header = before[head_start:].rstrip(b"\r\n")
            words = header[1:].split()
            whole = head_start > 0 or start == 0  # else a header longer than the window
            if (
                offset > size
                or not before.endswith(b"\n")
                or (
                    whole
                    and (
                        not header.startswith(b">")
                        or not words
                        or words[0].decode("utf-8", "replace") != name
                    )
                )
            ):
                msg = f"{hint}: record {name!r} does not start where the index says; {fix}"
                raise InputError(msg, path=fasta)
            lines = -(-rlen // lenc)  # the last base ends its last line (no newline needed)
            end = offset + (lines - 1) * lenb + (rlen - (lines - 1) * lenc) if lines else offset
            handle.seek(end)
            after = handle.read(lenb - lenc + 2).lstrip(b"\r\n")
            if end > size or (after and not after.startswith(b">")):
                msg = (
                    f"{hint}: record {name!r} is not {rlen} letters long as the index says "
                    f"(the FASTA was changed after it was indexed); {fix}"
                )
                raise InputError(msg, path=fasta)


_REGION_ID = re.compile(r"(?P<chrom>[^:\s]+):(?P<start>\d+)-(?P<end>\d+)")


def region_of_id(text: str, *, whole: bool = True) -> tuple[str, int, int] | None:
    """``(chrom, start, end)`` of a name written ``chrom:start-end`` (``bedtools
    getfasta``'s record names, biodl's window ids); ``None`` for any other name. With
    ``whole=False`` the name may go on after the region (``chr2:100-201(+)``).

    Examples
    --------
    >>> region_of_id("chr2:100-201"), region_of_id("chr2:100-201(+)")
    (('chr2', 100, 201), None)
    >>> region_of_id("chr2:100-201(+)", whole=False), region_of_id("seq_1")
    (('chr2', 100, 201), None)
    """
    match = _REGION_ID.fullmatch(text) if whole else _REGION_ID.match(text)
    if match is None:
        return None
    return match["chrom"], int(match["start"]), int(match["end"])


class _Excerpt(NamedTuple):
    """One record of an excerpt genome: ``chrom[start:end]`` held by FASTA record ``record``."""

    start: int
    end: int
    record: str


def _excerpts_of(sizes: Mapping[str, int]) -> dict[str, list[_Excerpt]] | None:
    """Per chromosome (in order of first appearance), its excerpts sorted by start.

    ``None`` unless every record is named ``chrom:start-end`` with a length that fits
    0-based half-open (bedtools) or 1-based inclusive (samtools) coordinates.
    """
    found: dict[str, list[_Excerpt]] = {}
    for record, length in sizes.items():
        region = region_of_id(record)
        if region is None:
            return None
        chrom, start, end = region
        if length == end - start:
            pass
        elif length == end - start + 1 and start >= 1:
            start -= 1
        else:
            return None
        found.setdefault(chrom, []).append(_Excerpt(start, end, record))
    if not found:
        return None
    for excerpts in found.values():
        excerpts.sort()
    return found


class Genome:
    """An indexed reference genome (FASTA with a ``.fai`` index), read with pyfaidx.

    The index is built when missing: next to the FASTA if that folder is writable,
    else in a cache folder (see ``BIODL_CACHE_DIR``). Sequences are returned
    upper-case, with IUPAC ambiguity codes turned into ``N``. A compressed genome must
    be bgzip-compressed and needs Biopython (pyfaidx's requirement).

    Excerpt genomes
        A FASTA whose records are ALL named ``chrom:start-end`` (the first word of the
        header) is read as the genome those pieces were cut from: coordinates as
        ``bedtools getfasta`` writes them (0-based, half-open: the record holds
        ``end - start`` bases) or as ``samtools faidx`` does (1-based, inclusive:
        ``end - start + 1`` bases), told apart by each record's length. Then
        :attr:`chrom_sizes` gives each chromosome's last excerpt end (a lower bound of
        its true length), :attr:`excerpts` lists the pieces, :meth:`covered` the
        stretches with bases, and :meth:`fetch` returns the bases of the excerpts
        and ``N`` elsewhere, across as many excerpts as a request spans. Overlapping
        excerpts must agree. A FASTA with only some records named so is an ordinary
        genome.

    Parameters
    ----------
    path
        The FASTA file.
    read_ahead
        Bases pyfaidx reads beyond each request and keeps in a buffer; helps sorted,
        nearby requests.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "g.fa")
    >>> with open(path, "w") as f:
    ...     _ = f.write(">chrA\\nACGTACGTAC\\n")
    >>> g = Genome(path)
    >>> dict(g.chrom_sizes), g.fetch("chrA", -2, 3), g.fetch("chrA", 0, 3, strand="-")
    ({'chrA': 10}, 'NNACG', 'CGT')
    >>> g.close()

    An excerpt genome (two pieces of ``chrB``, in bedtools and samtools naming):

    >>> path = os.path.join(tempfile.mkdtemp(), "x.fa")
    >>> with open(path, "w") as f:
    ...     _ = f.write(">chrB:10-14 w0\\nACGT\\n>chrB:15-18\\nTTAA\\n")
    >>> g = Genome(path)
    >>> dict(g.chrom_sizes), g.excerpts, g.covered("chrB")
    ({'chrB': 18}, (('chrB', 10, 14), ('chrB', 14, 18)), [(10, 18)])
    >>> g.fetch("chrB", 8, 20), "chrB" in g, "chrB:10-14" in g
    ('NNACGTTTAANN', True, False)
    >>> g.close()
    """

    def __init__(self, path: _PathLike, *, read_ahead: int | None = None) -> None:
        fasta = Path(path)
        self.path = os.fspath(path)
        self.name = fasta.name
        compressed = is_gzip(fasta)  # also: InputError for a missing file
        if compressed and not fasta.name.lower().endswith((".gz", ".bgz")):
            raise InputError("gzip-compressed genome must be named *.gz or *.bgz", path=self.path)
        fai = _index_path(fasta, ".fai")
        had_index = os.path.exists(fai)
        if had_index and not compressed:
            _check_fai(fasta, Path(fai))
        try:
            self._fasta = pyfaidx.Fasta(
                self.path,
                indexname=fai,
                gzi_indexname=_index_path(fasta, ".gzi") if compressed else None,
                as_raw=True,
                sequence_always_upper=True,
                read_ahead=read_ahead,
            )
        except ImportError as exc:
            raise InputError(
                f"cannot read compressed genome ({exc}); install biopython or decompress it",
                path=self.path,
            ) from None
        except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat) as exc:
            _drop_new_index(fai, had_index)
            raise InputError(f"cannot index genome: {exc}", path=self.path) from None
        except UnicodeDecodeError:
            _drop_new_index(fai, had_index)
            raise InputError(
                f"cannot index genome: its index {fai} is not text; delete it so that it is "
                "rebuilt",
                path=self.path,
            ) from None
        except ValueError as exc:  # duplicate sequence names
            _drop_new_index(fai, had_index)
            text = str(exc)
            if text.startswith("Duplicate key"):
                text = f"duplicate sequence name {text.split(' ', 2)[-1]}"
            raise InputError(f"cannot index genome: {text}", path=self.path) from None
        sizes = {name: rec.rlen for name, rec in self._fasta.faidx.index.items()}
        self._pieces = _excerpts_of(sizes)
        self._reach: dict[str, list[int]] = {}  # running maximum of the excerpts' ends
        if self._pieces is not None:
            sizes = {chrom: max(x.end for x in xs) for chrom, xs in self._pieces.items()}
            self._reach = {
                chrom: list(itertools.accumulate((x.end for x in xs), max))
                for chrom, xs in self._pieces.items()
            }
            try:
                self._check_excerpts()
            except BaseException:
                self._fasta.close()
                raise
        self._sizes: Mapping[str, int] = MappingProxyType(sizes)

    def _check_excerpts(self) -> None:
        """Overlapping excerpts must hold the same bases where they overlap."""
        for chrom, pieces in (self._pieces or {}).items():
            reach = self._reach[chrom]
            for i, later in enumerate(pieces):
                j = i - 1
                while j >= 0 and reach[j] > later.start:  # some piece <= j reaches later
                    earlier = pieces[j]
                    lo, hi = later.start, min(earlier.end, later.end)
                    if hi > lo and self._raw(earlier, lo, hi) != self._raw(later, lo, hi):
                        raise InputError(
                            f"records {earlier.record!r} and {later.record!r} overlap on "
                            f"{chrom}:{lo}-{hi} but hold different bases there",
                            path=self.path,
                        )
                    j -= 1

    def _raw(self, piece: _Excerpt, lo: int, hi: int) -> str:
        """Bases ``lo..hi`` (genome coordinates, inside ``piece``) of an excerpt record."""
        return self._record(piece.record, lo - piece.start, hi - piece.start)

    def _record(self, record: str, lo: int, hi: int) -> str:
        """Bases ``record[lo:hi]`` as stored (0-based, inside the record).

        pyfaidx 0.9.2 fails on a bgzip-compressed FASTA when the first byte wanted
        starts a BGZF block (``within_block_offset ... got 65536``): then one base more is
        read (before it, or after at the record's start) and dropped.
        """
        try:
            return str(self._fasta.faidx.fetch(record, lo + 1, hi))
        except ValueError as exc:
            if "within_block_offset" not in str(exc):
                raise
        if lo > 0:
            return str(self._fasta.faidx.fetch(record, lo, hi))[1:]
        return str(self._fasta.faidx.fetch(record, lo + 1, hi + 1))[:-1]

    @property
    def excerpts(self) -> tuple[tuple[str, int, int], ...] | None:
        """For an excerpt genome, its pieces ``(chrom, start, end)`` (0-based, half-open),
        sorted by chromosome (in order of first appearance) then start; else ``None``."""
        if self._pieces is None:
            return None
        return tuple((c, x.start, x.end) for c, xs in self._pieces.items() for x in xs)

    def covered(self, chrom: str) -> list[tuple[int, int]]:
        """The stretches of ``chrom`` that hold bases, ``(start, end)``, sorted and merged.

        ``[(0, length)]`` for an ordinary genome; for an excerpt genome its excerpts,
        adjacent and overlapping ones merged.

        Raises
        ------
        InputError
            If ``chrom`` is not in the genome.
        """
        size = self._sizes.get(chrom)
        if size is None:
            raise InputError(self.missing_message(chrom), path=self.path)
        if self._pieces is None:
            return [(0, size)]
        merged: list[tuple[int, int]] = []
        for x in self._pieces[chrom]:
            if merged and x.start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], x.end))
            else:
                merged.append((x.start, x.end))
        return merged

    def _excerpt_bases(self, chrom: str, lo: int, hi: int) -> str:
        """Bases of ``chrom[lo:hi]`` from the excerpts, ``N`` between them."""
        pieces, reach = (self._pieces or {})[chrom], self._reach[chrom]
        first = bisect.bisect_right(reach, lo)  # earlier pieces all end by lo
        parts: list[str] = []
        pos = lo
        for piece in pieces[first:]:
            if piece.start >= hi:
                break
            a, b = max(piece.start, pos), min(piece.end, hi)
            if b > a:
                parts.append("N" * (a - pos))
                parts.append(self._raw(piece, a, b))
                pos = b
        parts.append("N" * (hi - pos))
        return "".join(parts)

    @property
    def chrom_sizes(self) -> Mapping[str, int]:
        """Chromosome name to length, in file order (an excerpt genome: last excerpt end)."""
        return self._sizes

    def __contains__(self, chrom: object) -> bool:
        return chrom in self._sizes

    def __repr__(self) -> str:
        if self._pieces is not None:
            count = sum(len(xs) for xs in self._pieces.values())
            return f"Genome({self.path!r}, {count} excerpts of {len(self._sizes)} sequences)"
        return f"Genome({self.path!r}, {len(self._sizes)} sequences)"

    def __enter__(self) -> Genome:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the FASTA file."""
        self._fasta.close()

    def missing_message(self, chrom: str) -> str:
        """Error text for a chromosome that is not in the genome."""
        names = list(self._sizes)
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return f"chromosome {chrom!r} not in genome {self.name} (it has {shown})"

    def fetch(self, chrom: str, start: int, end: int, *, strand: Strand = "+") -> str:
        """Sequence of ``chrom[start:end]`` (0-based, half-open), padded with ``N``.

        Positions before 0 or past the chromosome end are ``N``, so the result always
        has ``end - start`` letters. Strand ``-`` gives the reverse complement. In an
        excerpt genome, positions outside every excerpt are ``N`` too.

        Raises
        ------
        InputError
            If ``chrom`` is not in the genome or ``end < start``.
        """
        size = self._sizes.get(chrom)
        if size is None:
            raise InputError(self.missing_message(chrom), path=self.path)
        if end < start:
            raise InputError(f"window {chrom}:{start}-{end} ends before it starts")
        lo, hi = max(start, 0), min(end, size)
        if hi <= lo:
            seq = "N" * (end - start)
        else:
            inner: str = (
                self._record(chrom, lo, hi)
                if self._pieces is None
                else self._excerpt_bases(chrom, lo, hi)
            )
            seq = "N" * (lo - start) + inner.translate(_TO_N) + "N" * (end - hi)
        return reverse_complement(seq) if strand == "-" else seq


def _check_intervals(intervals: Iterable[Interval], genome: Genome, path: _PathLike | None) -> None:
    sizes = genome.chrom_sizes
    for iv in intervals:
        size = sizes.get(iv.chrom)
        line = iv.line or None
        if size is None:
            raise InputError(genome.missing_message(iv.chrom), path=path, line=line)
        if iv.end > size and genome.excerpts is None:  # excerpts: N outside them
            raise InputError(
                f"interval {iv.chrom}:{iv.start}-{iv.end} ends at {iv.end}, past the end of "
                f"chromosome {iv.chrom!r} (length {size}) in genome {genome.name}",
                path=path,
                line=line,
            )


def intervals_to_sequences(
    intervals: Sequence[Interval],
    genome: Genome,
    *,
    length: int | None,
    centre: Literal["midpoint", "summit"] = "summit",
    path: _PathLike | None = None,
) -> list[str]:
    """Cut the sequence of each interval (or a fixed window around it) from ``genome``.

    All intervals are checked against the genome first, so that nothing is cut from
    a genome that does not match the BED file.

    Parameters
    ----------
    intervals
        From :func:`read_bed`.
    genome
        The reference genome.
    length
        Window length (see :func:`fixed_window`); ``None`` returns each interval
        itself.
    centre
        ``"summit"`` (narrowPeak summit when present, else midpoint) or ``"midpoint"``.
    path
        The BED file, named in error messages.

    Returns
    -------
    list[str]
        Upper-case sequences, ``N`` where the window runs past a chromosome end,
        reverse-complemented for strand ``-``.

    Raises
    ------
    InputError
        Chromosome not in the genome (``chromosome 'chrZ' not in genome hg19.fa``), or
        interval ending past its chromosome; naming the BED file and line.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "g.fa")
    >>> with open(path, "w") as f:
    ...     _ = f.write(">chrA\\nAACCGGTTAC\\n")
    >>> g = Genome(path)
    >>> ivs = [Interval("chrA", 2, 6), Interval("chrA", 2, 6, strand="-")]
    >>> intervals_to_sequences(ivs, g, length=None), intervals_to_sequences(ivs, g, length=3)
    (['CCGG', 'CCGG'], ['CGG', 'CCG'])
    >>> g.close()
    """
    _check_intervals(intervals, genome, path)
    out: list[str] = []
    for iv in intervals:
        start, end = (
            (iv.start, iv.end) if length is None else fixed_window(iv, length, centre=centre)
        )
        out.append(genome.fetch(iv.chrom, start, end, strand="-" if iv.strand == "-" else "+"))
    return out
