"""Signal tracks along a genome: bigWig and bedGraph files read as per-base or binned values.

:func:`open_track` opens a bigWig (through pyBigWig, extra ``biodl[tracks]``) or a
bedGraph file (plain or gzip) once; :meth:`TrackFile.bins` then returns the signal of any
region, summed, averaged or maximised over fixed-size bins. Coordinates are 0-based,
half-open. Positions without data, ``NaN`` values and positions past either end of the
chromosome all count as 0, so every region gives a full array.

The format is recognised from the content: a file that starts with the bigWig magic
number ``0x888FFC26`` is a bigWig, a bigBed is refused, a file named ``.bw``/``.bigwig``
that is not a bigWig is an error, and anything else is read as bedGraph text.

Chromosome names differ between references (``chr1`` in UCSC, ``1`` in Ensembl, ``chrM``
against ``MT``): :func:`reconcile_chroms` maps a genome's names onto a file's, and
:func:`open_track` with ``genome=`` (or ``chrom_names=``) lets the caller ask for the
genome's names.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "t.bedgraph")
>>> with open(path, "w") as f:
...     _ = f.write("track type=bedGraph\\n1\\t2\\t6\\t1.5\\n1\\t7\\t8\\t4\\n")
>>> with open_track(path, chrom_names={"chr1": "1"}) as track:
...     track.name, dict(track.chrom_sizes)
...     track.bins("chr1", 0, 8, bin_size=4).tolist()
...     track.bins("chr1", 0, 8, bin_size=4, aggregate="max").tolist()
...     track.values("chr1", 5, 9).tolist()
('t', {'1': 8})
[3.0, 7.0]
[1.5, 4.0]
[1.5, 0.0, 4.0, 0.0]
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io._open import is_gzip, read_lines

if TYPE_CHECKING:
    from biodl.io.bed import Genome

__all__ = [
    "Aggregate",
    "TrackFile",
    "genome_names",
    "open_track",
    "read_chrom_sizes",
    "reconcile_chroms",
    "track_name",
]

_PathLike = str | os.PathLike[str]
_F32 = npt.NDArray[np.float32]

Aggregate = Literal["sum", "mean", "max"]
"""How :meth:`TrackFile.bins` reduces the per-base values of a bin."""

BIGWIG_MAGIC = 0x888FFC26
BIGBED_MAGIC = 0x8789F2EB
_BIGWIG_SUFFIXES = (".bw", ".bigwig")
_TRACK_SUFFIXES = (".bw", ".bigwig", ".bedgraph", ".bg", ".bdg", ".gz", ".bgz")
_CHUNK_BASES = 1 << 22  # per-base values held at once by bins(): 16 MiB of float32
_MITO = ("chrM", "chrMT", "MT", "M")


def _install_hint() -> InputError:
    return InputError("reading bigWig needs pyBigWig: pip install 'biodl[tracks]'")


def _magic(path: _PathLike) -> int | None:
    """The first 4 bytes as a little- or big-endian bigWig/bigBed magic number, if one."""
    is_gzip(path)  # InputError for a missing or unreadable file
    with open(path, "rb") as handle:
        head = handle.read(4)
    if len(head) < 4:
        return None
    for order in ("little", "big"):
        value = int.from_bytes(head, order)
        if value in (BIGWIG_MAGIC, BIGBED_MAGIC):
            return value
    return None


def track_name(path: _PathLike) -> str:
    """A track's name from its file name: without ``.gz``/``.bgz`` and the track
    format's ending (``.bw``, ``.bigwig``, ``.bedgraph``, ``.bg``, ``.bdg``; any case).

    Examples
    --------
    >>> track_name("/data/CAGE.K562.bigWig"), track_name("x.BedGraph.gz")
    ('CAGE.K562', 'x')
    """
    name = Path(path).name
    lowered = name.lower()
    for suffix in (".gz", ".bgz"):
        if lowered.endswith(suffix):
            name, lowered = name[: -len(suffix)], lowered[: -len(suffix)]
    for suffix in _TRACK_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return Path(name).stem or name


# --------------------------------------------------------------------------- chromosomes


def genome_names(
    names: Iterable[str], genome: Genome, *, path: _PathLike | None = None
) -> dict[str, str]:
    """Each of ``names`` (a BED file's chromosomes, or ones asked for) to the genome's
    spelling of it: itself, else with or without ``chr`` (``chrM``/``MT``); a name with no
    match is left out (its caller reports it). Renamings are logged (``biodl`` logger),
    naming ``path``.

    Examples
    --------
    >>> import os, tempfile
    >>> from biodl.io.bed import Genome
    >>> fa = os.path.join(tempfile.mkdtemp(), "g.fa")
    >>> _ = open(fa, "w").write(">chr1\\nACGT\\n>chrM\\nAC\\n")
    >>> with Genome(fa) as g:
    ...     genome_names(["1", "MT", "chrZ"], g)
    {'1': 'chr1', 'MT': 'chrM'}
    """
    import logging

    wanted = list(dict.fromkeys(names))
    sizes = genome.chrom_sizes
    if all(name in sizes for name in wanted):
        return {name: name for name in wanted}
    try:
        found = reconcile_chroms(
            wanted, list(sizes), what="genome", path=genome.path, against="the regions"
        )
    except InputError:
        return {name: name for name in wanted if name in sizes}
    renamed = {a: b for a, b in found.items() if a != b}
    if renamed:
        shown = ", ".join(f"{a} as {b}" for a, b in list(renamed.items())[:3])
        logging.getLogger("biodl").info(
            "%s: chromosomes read with the genome's names (%s%s)",
            os.fspath(path) if path is not None else "regions",
            shown,
            ", ..." if len(renamed) > 3 else "",
        )
    return found


def read_chrom_sizes(path: _PathLike) -> dict[str, int]:
    """Read a ``.chrom.sizes`` / ``.genome`` file: chromosome name and length per line.

    Columns are tab- or space-separated; columns after the second are ignored (so a
    FASTA ``.fai`` index reads too). Blank lines and ``#`` comments are skipped.

    Returns
    -------
    dict[str, int]
        Name to length, in file order.

    Raises
    ------
    InputError
        Fewer than two columns, a length that is not a positive integer, or a name given
        twice; naming the file and line.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "hg.chrom.sizes")
    >>> with open(path, "w") as f:
    ...     _ = f.write("chr1\\t1000\\nchr2\\t500\\n")
    >>> read_chrom_sizes(path)
    {'chr1': 1000, 'chr2': 500}
    """
    sizes: dict[str, int] = {}
    for lineno, line in read_lines(path):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = text.split("\t") if "\t" in text else text.split()
        if len(fields) < 2:
            raise InputError(
                "expected two columns: chromosome name and length", path=path, line=lineno
            )
        name = fields[0].strip()
        try:
            size = int(fields[1])
        except ValueError:
            size = 0
        if size < 1:
            raise InputError(
                f"length {fields[1]!r} of chromosome {name!r} is not a positive integer",
                path=path,
                line=lineno,
            )
        if name in sizes:
            raise InputError(f"chromosome {name!r} is listed twice", path=path, line=lineno)
        sizes[name] = size
    return sizes


def _candidates(name: str) -> list[str]:
    """Other spellings of chromosome ``name``, most likely first."""
    if name in _MITO:
        return [m for m in _MITO if m != name]
    if name.startswith("chr") and len(name) > 3:
        return [name[3:]]
    return [f"chr{name}"]


def _shown(names: Iterable[str]) -> str:
    listed = list(names)
    return ", ".join(listed[:5]) + (", ..." if len(listed) > 5 else "")


def reconcile_chroms(
    names: Iterable[str],
    available: Iterable[str],
    *,
    what: str,
    path: _PathLike,
    against: str,
    names_lower_bound: bool = False,
    available_lower_bound: bool = False,
) -> dict[str, str]:
    """For each chromosome in ``names`` (a genome's), its name in ``available`` (a file's).

    A name matches itself first, else its spelling with or without a ``chr`` prefix, and
    ``chrM`` matches ``MT``/``M``/``chrMT``. A chromosome without a counterpart is left out
    of the map (a track may lack a chromosome; its signal is then 0).

    Parameters
    ----------
    names
        The genome's chromosomes; a mapping to their lengths checks the lengths.
    available
        The file's chromosomes; a mapping to their lengths checks the lengths.
    what
        What the file at ``path`` is, for messages (``"track"``).
    path
        The file whose names are ``available``.
    against
        Where ``names`` come from, for messages (``"genome hg19.fa"``).
    names_lower_bound, available_lower_bound
        The lengths on that side are only lower bounds (a genome of excerpts knows the
        last base it holds, a bedGraph the last base with data), so a shorter length
        there is no conflict.

    Returns
    -------
    dict[str, str]
        Genome name to file name, in the order of ``names``.

    Raises
    ------
    InputError
        No chromosome matches at all (naming both files and a few names of each), or a
        matched chromosome's lengths differ.

    Examples
    --------
    >>> reconcile_chroms(["chr1", "chr2", "chrM"], ["1", "MT", "X"], what="track",
    ...                  path="t.bw", against="genome g.fa")
    {'chr1': '1', 'chrM': 'MT'}
    >>> reconcile_chroms(["chr1"], ["2"], what="track", path="t.bw", against="genome g.fa")
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: t.bw: no chromosome of genome g.fa (chr1) is in track t.bw (2)
    """
    wanted = list(names)
    offered = list(available)
    wanted_sizes = names if isinstance(names, Mapping) else {}
    offered_sizes = available if isinstance(available, Mapping) else {}
    free = set(offered)
    mapping: dict[str, str] = {}
    for name in wanted:  # identical names first, so that no alias takes them
        if name in free:
            mapping[name] = name
            free.discard(name)
    for name in wanted:
        if name in mapping:
            continue
        for other in _candidates(name):
            if other in free:
                mapping[name] = other
                free.discard(other)
                break
    label = Path(path).name
    if wanted and not offered:
        raise InputError(f"{what} {label} holds no data (no chromosome)", path=path)
    if wanted and offered and not mapping:
        raise InputError(
            f"no chromosome of {against} ({_shown(wanted)}) is in {what} {label} "
            f"({_shown(offered)})",
            path=path,
        )
    for name, other in mapping.items():
        mine, theirs = wanted_sizes.get(name), offered_sizes.get(other)
        if mine is None or theirs is None:
            continue
        mine, theirs = int(mine), int(theirs)
        if names_lower_bound and available_lower_bound:
            bad = False
        elif names_lower_bound:
            bad = theirs < mine
        elif available_lower_bound:
            bad = theirs > mine
        else:
            bad = theirs != mine
        if bad:
            spelled = f" (as {other!r})" if other != name else ""
            ends = "ends at" if available_lower_bound else "has length"
            raise InputError(
                f"chromosome {name!r} has length {mine}{' or more' if names_lower_bound else ''} "
                f"in {against} but {ends} {theirs} in {what} {label}{spelled}: "
                "the track was made on another assembly",
                path=path,
            )
    return mapping


# --------------------------------------------------------------------------- backends


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """File descriptor 2 sent to ``/dev/null`` for the block (messages that C libraries
    print themselves); a no-op where it cannot be redirected."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _BigWig:
    """A pyBigWig handle, reopened in a forked or unpickled process."""

    exact_sizes = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._handle: Any = None
        self._pid = -1
        handle = self._open()
        self.sizes: dict[str, int] = {str(k): int(v) for k, v in handle.chroms().items()}

    def _open(self) -> Any:
        if self._handle is not None and self._pid == os.getpid():
            return self._handle
        try:
            import pyBigWig  # type: ignore[import-not-found, unused-ignore]
        except ImportError:  # pragma: no cover - the extra is installed in tests
            raise _install_hint() from None
        try:
            with _quiet_stderr():  # libBigWig prints its own lines for a corrupt file
                handle = pyBigWig.open(self.path)
        except RuntimeError:
            raise InputError("cannot open the bigWig file (corrupt?)", path=self.path) from None
        if handle is None or not handle.isBigWig():
            raise InputError("not a bigWig file", path=self.path)
        self._handle, self._pid = handle, os.getpid()
        return handle

    def raw(self, chrom: str, lo: int, hi: int) -> _F32:
        """Values of ``chrom[lo:hi]`` (inside the chromosome), ``NaN`` where there is none."""
        try:
            out = self._open().values(chrom, lo, hi, numpy=True)
        except RuntimeError:
            raise InputError(
                f"cannot read {chrom}:{lo}-{hi} from the bigWig file (corrupt?)", path=self.path
            ) from None
        return np.asarray(out, dtype=np.float32)

    def close(self) -> None:
        if self._handle is not None and self._pid == os.getpid():
            self._handle.close()
        self._handle = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "sizes": self.sizes, "_handle": None, "_pid": -1}


class _BedGraph:
    """A whole bedGraph file as sorted, non-overlapping arrays per chromosome."""

    exact_sizes = False

    def __init__(self, path: str) -> None:
        self.path = path
        starts: dict[str, list[int]] = {}
        ends: dict[str, list[int]] = {}
        values: dict[str, list[float]] = {}
        lines: dict[str, list[int]] = {}
        for lineno, line in read_lines(path):
            text = line.rstrip("\r\n")
            if not text.strip() or text.startswith(("#", "track", "browser")):
                continue
            fields = text.split("\t") if "\t" in text else text.split()
            if len(fields) != 4:
                raise InputError(
                    f"expected 4 columns (chrom, start, end, value), found {len(fields)}",
                    path=path,
                    line=lineno,
                )
            chrom = fields[0].strip()
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise InputError(
                    f"start {fields[1]!r} or end {fields[2]!r} is not an integer",
                    path=path,
                    line=lineno,
                ) from None
            try:
                value = float(fields[3])
            except ValueError:
                raise InputError(
                    f"value {fields[3]!r} is not a number", path=path, line=lineno
                ) from None
            if start < 0 or start >= end:
                raise InputError(
                    f"interval {start}-{end} is not 0 <= start < end", path=path, line=lineno
                )
            if math.isinf(value):
                raise InputError(f"value {fields[3]!r} is infinite", path=path, line=lineno)
            if chrom not in starts:
                starts[chrom], ends[chrom], values[chrom], lines[chrom] = [], [], [], []
            starts[chrom].append(start)
            ends[chrom].append(end)
            values[chrom].append(value)
            lines[chrom].append(lineno)
        self.data: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], _F32]] = {}
        self.sizes: dict[str, int] = {}
        for chrom in starts:
            s = np.asarray(starts[chrom], dtype=np.int64)
            e = np.asarray(ends[chrom], dtype=np.int64)
            v = np.asarray(values[chrom], dtype=np.float32)
            order = np.argsort(s, kind="stable")
            s, e, v = s[order], e[order], v[order]
            clash = np.flatnonzero(s[1:] < e[:-1])
            if clash.size:
                i = int(clash[0])
                first, second = lines[chrom][order[i]], lines[chrom][order[i + 1]]
                raise InputError(
                    f"interval {chrom}:{s[i + 1]}-{e[i + 1]} overlaps {chrom}:{s[i]}-{e[i]} "
                    f"(line {min(first, second)}); bedGraph intervals must not overlap",
                    path=path,
                    line=max(first, second),
                )
            self.data[chrom] = (s, e, np.nan_to_num(v, nan=0.0))
            self.sizes[chrom] = int(e.max())

    def raw(self, chrom: str, lo: int, hi: int) -> _F32:
        n = hi - lo
        s, e, v = self.data[chrom]
        i0 = int(np.searchsorted(e, lo, side="right"))
        i1 = int(np.searchsorted(s, hi, side="left"))
        if i1 <= i0:
            return np.zeros(n, dtype=np.float32)
        s = np.clip(s[i0:i1] - lo, 0, n)
        e = np.clip(e[i0:i1] - lo, 0, n)
        gaps = s - np.concatenate(([0], e[:-1]))
        lengths = np.empty(2 * len(s) + 1, dtype=np.int64)
        lengths[0:-1:2], lengths[1:-1:2], lengths[-1] = gaps, e - s, n - e[-1]
        filled = np.zeros(len(lengths), dtype=np.float32)
        filled[1:-1:2] = v[i0:i1]
        return np.repeat(filled, lengths)

    def close(self) -> None:
        """Nothing to close: the file was read whole."""


# --------------------------------------------------------------------------- TrackFile


class TrackFile:
    """A bigWig or bedGraph file, opened once; see :func:`open_track`.

    Attributes
    ----------
    path
        The file.
    name
        Its name without the format suffixes (``track_0`` for ``track_0.bw``).
    format
        ``"bigwig"`` or ``"bedgraph"``.

    Notes
    -----
    A bigWig handle is reopened by a process that forked from the one that opened it,
    and after unpickling (data-loader workers), so one ``TrackFile`` can be shared.
    """

    def __init__(self, path: _PathLike, *, chrom_names: Mapping[str, str] | None = None) -> None:
        self.path = os.fspath(path)
        self.name = track_name(path)
        magic = _magic(path)
        backend: _BigWig | _BedGraph
        if magic == BIGBED_MAGIC:
            raise InputError("is a bigBed file, not a bigWig (signal) file", path=self.path)
        if magic == BIGWIG_MAGIC:
            backend = _BigWig(self.path)
            self.format: Literal["bigwig", "bedgraph"] = "bigwig"
        elif self.path.lower().endswith(_BIGWIG_SUFFIXES):
            raise InputError("not a bigWig file (wrong magic number)", path=self.path)
        else:
            backend = _BedGraph(self.path)
            self.format = "bedgraph"
        self._backend = backend
        self._sizes: dict[str, int] = dict(backend.sizes)
        self._names: dict[str, str] | None = None if chrom_names is None else dict(chrom_names)

    @property
    def chrom_sizes(self) -> Mapping[str, int]:
        """Chromosome lengths in the file's own naming (a bedGraph: its last covered base)."""
        return MappingProxyType(self._sizes)

    @property
    def sizes_exact(self) -> bool:
        """Whether :attr:`chrom_sizes` are true lengths (bigWig) or lower bounds (bedGraph)."""
        return self._backend.exact_sizes

    @property
    def chrom_names(self) -> Mapping[str, str] | None:
        """The caller's chromosome name to the file's, if a map was given."""
        return None if self._names is None else MappingProxyType(self._names)

    def __repr__(self) -> str:
        return f"TrackFile({self.path!r}, {self.format}, {len(self._sizes)} chromosomes)"

    def __enter__(self) -> TrackFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (a bigWig handle; a bedGraph was read whole)."""
        self._backend.close()

    def _file_chrom(self, chrom: str) -> str | None:
        name = chrom if self._names is None else self._names.get(chrom)
        return name if name is not None and name in self._sizes else None

    def _filled(self, chrom: str | None, start: int, end: int) -> _F32:
        """Per-base values of ``[start, end)`` with 0 for no data, NaN and outside."""
        out = np.zeros(end - start, dtype=np.float32)
        if chrom is None:
            return out
        lo, hi = max(start, 0), min(end, self._sizes[chrom])
        if hi > lo:
            inner = self._backend.raw(chrom, lo, hi)
            out[lo - start : hi - start] = np.nan_to_num(inner, nan=0.0)
        return out

    def values(self, chrom: str, start: int, end: int) -> _F32:
        """Per-base signal of ``chrom[start:end]``, shape ``(end - start,)``, float32.

        Positions without data, ``NaN`` values, positions before 0 and past the
        chromosome end, and a chromosome the file lacks, all give 0.

        Raises
        ------
        ValueError
            ``end < start``.
        """
        if end < start:
            raise ValueError(f"region {chrom}:{start}-{end} ends before it starts")
        return self._filled(self._file_chrom(chrom), start, end)

    def bins(
        self,
        chrom: str,
        start: int,
        end: int,
        *,
        bin_size: int,
        aggregate: Aggregate = "sum",
    ) -> _F32:
        """Signal of ``chrom[start:end]`` reduced over bins of ``bin_size`` bases.

        Parameters
        ----------
        chrom
            The caller's chromosome name (the genome's when a ``chrom_names`` map was
            given, else the file's).
        start, end
            0-based half-open region; ``end - start`` must be a multiple of
            ``bin_size``. It may run past either end of the chromosome (0 there).
        bin_size
            Bases per bin.
        aggregate
            ``"sum"``: sum over the bin's bases of the per-base value (a bigWig interval
            spanning several bases contributes its value times the bases it covers in
            the bin); ``"mean"``: that sum over ``bin_size``; ``"max"``: the largest
            per-base value (0 counts for bases without data).

        Returns
        -------
        numpy.ndarray
            float32, shape ``(n_bins,)`` with ``n_bins = (end - start) // bin_size``.
            Memory is bounded: long regions are read in chunks.

        Raises
        ------
        ValueError
            ``bin_size < 1``, ``end < start``, a length not a multiple of ``bin_size``
            or an unknown ``aggregate``.
        """
        if bin_size < 1:
            raise ValueError(f"bin_size must be at least 1, not {bin_size}")
        if end < start:
            raise ValueError(f"region {chrom}:{start}-{end} ends before it starts")
        if (end - start) % bin_size:
            raise ValueError(
                f"region {chrom}:{start}-{end} has length {end - start}, not a multiple of "
                f"bin_size {bin_size}"
            )
        if aggregate not in ("sum", "mean", "max"):
            raise ValueError(f"aggregate must be 'sum', 'mean' or 'max', not {aggregate!r}")
        n_bins = (end - start) // bin_size
        out = np.zeros(n_bins, dtype=np.float32)
        file_chrom = self._file_chrom(chrom)
        if file_chrom is None or n_bins == 0:
            return out
        size = self._sizes[file_chrom]
        per_chunk = max(1, _CHUNK_BASES // bin_size)
        first = max(0, -start // bin_size)  # bins wholly before 0 stay 0
        last = min(n_bins, -(-(size - start) // bin_size))  # and those past the end
        for b0 in range(first, last, per_chunk):
            b1 = min(last, b0 + per_chunk)
            lo = start + b0 * bin_size
            per_base = self._filled(file_chrom, lo, start + b1 * bin_size)
            block = per_base.reshape(b1 - b0, bin_size)
            if aggregate == "max":
                out[b0:b1] = block.max(axis=1)
            else:
                sums = block.sum(axis=1, dtype=np.float64)
                out[b0:b1] = sums / bin_size if aggregate == "mean" else sums
        return out


def open_track(
    path: _PathLike,
    *,
    chrom_names: Mapping[str, str] | None = None,
    genome: Genome | None = None,
) -> TrackFile:
    """Open a bigWig or bedGraph file as a :class:`TrackFile`.

    Parameters
    ----------
    path
        bigWig (``.bw``/``.bigwig``, recognised by its magic number) or bedGraph
        (``.bedgraph``/``.bg``/``.bdg``, plain or gzip; any other text file too).
    chrom_names
        The caller's chromosome names to the file's; :meth:`TrackFile.bins` then takes
        the caller's names, and a name missing from the map gives zeros.
    genome
        Build ``chrom_names`` with :func:`reconcile_chroms` against this genome
        (checking the lengths; an excerpt genome's lengths are lower bounds). Not with
        ``chrom_names``.

    Raises
    ------
    InputError
        Missing file, a bigBed, a corrupt or truncated bigWig, a bad bedGraph line
        (naming the line), pyBigWig not installed, or no chromosome of ``genome`` in
        the file.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.bw")
    >>> with open(path, "w") as f:
    ...     _ = f.write("not a bigwig")
    >>> open_track(path)
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: ...x.bw: not a bigWig file (wrong magic number)
    """
    if genome is not None and chrom_names is not None:
        raise ValueError("give chrom_names or genome, not both")
    track = TrackFile(path, chrom_names=chrom_names)
    if genome is not None:
        try:
            mapping = reconcile_chroms(
                genome.chrom_sizes,
                track.chrom_sizes,
                what="track",
                path=track.path,
                against=f"genome {genome.name}",
                names_lower_bound=genome.excerpts is not None,
                available_lower_bound=not track.sizes_exact,
            )
        except InputError:
            track.close()
            raise
        track._names = mapping
    return track
