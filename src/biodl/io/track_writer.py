"""Writing signal tracks in genome coordinates: bigWig, bedGraph or a TSV of columns.

:class:`TrackWriter` takes values of ``T`` tracks over genome intervals, either as
fixed-step bins (:meth:`TrackWriter.add`: ``n`` bins of ``span`` bases from ``start``)
or as explicit intervals (:meth:`TrackWriter.add_intervals`), and writes them as

* **bigWig** (``.bw``, ``.bigwig``; needs pyBigWig): one track per file. With ``T > 1``
  tracks, one file per track, named ``OUT.<name>.bw`` from ``OUT.bw`` (``<name>`` the
  track's name with characters other than letters, digits, ``_``, ``-`` and ``.``
  replaced by ``_``); :attr:`TrackWriter.paths` lists the files.
* **bedGraph** (``.bedgraph``, ``.bg``, ``.bdg``, gzip-compressed with ``.gz``): lines
  ``chrom start end value``, one track per file as for bigWig.
* **TSV** (``.tsv``): a header ``chrom start end <name>...`` and one line per interval
  with every track's value (``.6g``; ``NaN`` where a track has none).

Entries must come in genome order: chromosomes in the order of ``chrom_sizes``, and
within one chromosome by start; bigWig entries may not overlap (bedGraph and TSV lines
may). A ``NaN`` value is skipped (no bigWig or bedGraph entry; a TSV line whose
tracks are all ``NaN`` is left out). A bin that runs past the chromosome end is cut at
it. Each file is written to a hidden temporary name beside it and renamed when the
writer is closed; after an exception (or :meth:`TrackWriter.abort`) nothing is left.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> out = pathlib.Path(tempfile.mkdtemp()) / "signal.tsv"
>>> with TrackWriter(out, {"chr1": 25}, names=["a", "b"]) as writer:
...     writer.add("chr1", 0, np.array([[1.0, 2.0, 3.0], [0.5, np.nan, 1.5]]), span=10)
>>> for line in out.read_text().splitlines():
...     print(*line.split("\\t"))
chrom start end a b
chr1 0 10 1 0.5
chr1 10 20 2 NaN
chr1 20 25 3 1.5
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.atomic import atomic_path

__all__ = ["TRACK_SUFFIXES", "TrackFormat", "TrackWriter", "track_format", "track_paths"]

TrackFormat = Literal["bigwig", "bedgraph", "tsv"]

#: file name endings and the format each one means
TRACK_SUFFIXES: Mapping[str, TrackFormat] = {
    ".bw": "bigwig",
    ".bigwig": "bigwig",
    ".bedgraph": "bedgraph",
    ".bg": "bedgraph",
    ".bdg": "bedgraph",
    ".bedgraph.gz": "bedgraph",
    ".bg.gz": "bedgraph",
    ".bdg.gz": "bedgraph",
    ".tsv": "tsv",
}


def _suffix(path: Path) -> str:
    """The track ending of ``path`` (``.bw``, ``.bedgraph.gz``...), or ``""``."""
    name = path.name.lower()
    for ending in sorted(TRACK_SUFFIXES, key=len, reverse=True):
        if name.endswith(ending) and len(name) > len(ending):
            return path.name[-len(ending) :]
    return ""


def track_format(path: str | os.PathLike[str], format: TrackFormat | None = None) -> TrackFormat:
    """The track format of ``path``: ``format`` when given, else from the file name.

    Raises
    ------
    InputError
        If the name has no known ending (and no format is given).

    Examples
    --------
    >>> track_format("out.bw"), track_format("x.bedGraph.gz"), track_format("t.tsv")
    ('bigwig', 'bedgraph', 'tsv')
    >>> track_format("out.txt")
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: out.txt: cannot tell the track format from the file name: ...
    """
    if format is not None:
        if format not in ("bigwig", "bedgraph", "tsv"):
            raise InputError(f"unknown track format {format!r} (bigwig, bedgraph or tsv)")
        return format
    ending = _suffix(Path(path))
    if not ending:
        known = ", ".join(TRACK_SUFFIXES)
        raise InputError(
            f"cannot tell the track format from the file name: use one of {known}", path=path
        )
    return TRACK_SUFFIXES[ending.lower()]


def _safe_name(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]", "_", str(name)) or "track"


def track_paths(
    path: str | os.PathLike[str], names: Sequence[str], format: TrackFormat | None = None
) -> list[Path]:
    """The files a :class:`TrackWriter` of ``names`` writes for ``path``.

    One file for a TSV or a single track; else one per track, ``OUT.<name>.<ending>``
    (names made safe for file names, and unique).

    Examples
    --------
    >>> [p.name for p in track_paths("out.bw", ["DNase", "CTCF ChIP"])]
    ['out.DNase.bw', 'out.CTCF_ChIP.bw']
    >>> [p.name for p in track_paths("out.tsv", ["a", "b"])], track_paths("o.bw", ["a"])
    (['out.tsv'], [PosixPath('o.bw')])
    """
    p = Path(path)
    kind = track_format(p, format)
    if kind == "tsv" or len(names) == 1:
        return [p]
    ending = _suffix(p) or p.suffix
    stem = p.name[: len(p.name) - len(ending)] if ending else p.name
    out: list[Path] = []
    used: set[str] = set()
    for name in names:
        base, candidate, k = _safe_name(name), _safe_name(name), 2
        while candidate in used:
            candidate, k = f"{base}_{k}", k + 1
        used.add(candidate)
        out.append(p.with_name(f"{stem}.{candidate}{ending}"))
    return out


def _pybigwig() -> Any:
    try:
        import pyBigWig  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise InputError(
            "writing bigWig needs pyBigWig: pip install 'biodl[tracks]' (or write .bedgraph "
            "or .tsv)"
        ) from None
    return pyBigWig


def _is_gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _open_text(path: Path, *, gz: bool) -> IO[str]:
    """``path`` open for writing text, gzip-compressed if ``gz``."""
    if gz:
        return gzip.open(path, "wt", encoding="utf-8", newline="\n")
    return open(path, "w", encoding="utf-8", newline="\n")


def _fmt(x: float) -> str:
    return "NaN" if x != x else f"{x:.6g}"


class TrackWriter:
    """Write ``T`` named tracks over genome intervals, staged (see the module docs).

    Parameters
    ----------
    path
        The output file; with several tracks and a one-track format (bigWig,
        bedGraph), the pattern of one file per track (:func:`track_paths`).
    chrom_sizes
        Chromosome name to length, in genome order (the bigWig header).
    names
        The ``T`` track names (TSV columns, file names).
    format
        ``bigwig``, ``bedgraph`` or ``tsv``; default from the file name
        (:func:`track_format`).

    Attributes
    ----------
    paths
        The files written (committed when the writer is closed).
    n_entries
        Intervals written so far (per track, counting skipped ``NaN`` values).

    Raises
    ------
    InputError
        An unknown file ending, no track names, or bigWig without pyBigWig.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chrom_sizes: Mapping[str, int],
        *,
        names: Sequence[str],
        format: TrackFormat | None = None,
    ) -> None:
        self.format: TrackFormat = track_format(path, format)
        self.names = [str(n) for n in names]
        if not self.names:
            raise InputError("a track file needs at least one track name", path=path)
        self.chrom_sizes = dict(chrom_sizes)
        self._order = {c: i for i, c in enumerate(self.chrom_sizes)}
        self.paths = track_paths(path, self.names, self.format)
        self.n_entries = 0
        self._chrom = -1
        self._last_start = 0
        self._last_end = 0
        self._closed = False
        self._stack = contextlib.ExitStack()
        self._bw: list[Any] = []
        self._text: list[IO[str]] = []
        try:
            module = _pybigwig() if self.format == "bigwig" else None
            for target in self.paths:
                # closed (last in, first out) before the staged file is committed
                tmp = self._stack.enter_context(atomic_path(target))
                if module is not None:
                    handle = module.open(os.fspath(tmp), "w")
                    self._stack.callback(handle.close)
                    handle.addHeader([(c, int(n)) for c, n in self.chrom_sizes.items()])
                    self._bw.append(handle)
                else:
                    self._text.append(self._stack.enter_context(_open_text(tmp, gz=_is_gz(target))))
            if self.format == "tsv":
                self._text[0].write("\t".join(["chrom", "start", "end", *self.names]) + "\n")
        except BaseException as exc:
            self._discard(exc)
            raise

    # -- context manager ----------------------------------------------------------------

    def __enter__(self) -> TrackWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self._discard(exc)

    # -- writing ------------------------------------------------------------------------

    def _check(self, chrom: str, first: int, last_start: int, overlap_ok: bool) -> int:
        """Check order and return the chromosome's size; updates the position."""
        if self._closed:
            msg = "the track writer is closed"
            raise ValueError(msg)
        index = self._order.get(chrom)
        if index is None:
            msg = f"chromosome {chrom!r} is not among the track file's chromosomes"
            raise ValueError(msg)
        if index < self._chrom:
            msg = (
                f"track entries out of order: {chrom} comes before "
                f"{list(self._order)[self._chrom]} in the genome"
            )
            raise ValueError(msg)
        if index == self._chrom:
            limit = self._last_start if overlap_ok else self._last_end
            if first < limit:
                msg = (
                    f"track entries out of order: {chrom}:{first} starts before the end of an "
                    f"entry already written ({chrom}:{limit})"
                )
                raise ValueError(msg)
        else:
            self._chrom, self._last_end = index, 0
        self._last_start = last_start
        return self.chrom_sizes[chrom]

    def _values(self, values: npt.ArrayLike, n: int | None = None) -> np.ndarray:
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim == 1 and len(self.names) == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[0] != len(self.names):
            msg = f"values must have shape ({len(self.names)}, n), not {arr.shape}"
            raise ValueError(msg)
        if n is not None and arr.shape[1] != n:
            msg = f"values have {arr.shape[1]} columns for {n} intervals"
            raise ValueError(msg)
        return arr

    def add(self, chrom: str, start: int, values: npt.ArrayLike, *, span: int) -> None:
        """Write ``n`` contiguous bins of ``span`` bases from ``start`` (fixed step).

        Parameters
        ----------
        chrom, start
            Where the first bin starts (0-based).
        values
            ``(T, n)`` (or ``(n,)`` for one track): bin ``i`` covers
            ``[start + i * span, start + (i + 1) * span)``, cut at the chromosome end.
        span
            Bases per bin.

        Raises
        ------
        ValueError
            Out of genome order, overlapping what was written (bigWig), a bin starting
            past the chromosome end, a bad shape.
        """
        if span < 1 or start < 0:
            msg = f"span must be at least 1 and start not negative (got {span}, {start})"
            raise ValueError(msg)
        arr = self._values(values)
        n = arr.shape[1]
        if n == 0:
            return
        size = self._check(chrom, start, start + (n - 1) * span, self.format != "bigwig")
        starts = start + span * np.arange(n, dtype=np.int64)
        if starts[-1] >= size:
            msg = f"bin {chrom}:{int(starts[-1])} starts past the end of {chrom} (length {size})"
            raise ValueError(msg)
        end = min(int(starts[-1]) + span, size)
        self._last_end = max(self._last_end, end)
        self.n_entries += n
        if self.format == "bigwig":
            full = n if int(starts[-1]) + span <= size else n - 1
            for t, handle in enumerate(self._bw):
                row = arr[t]
                for lo, hi in _finite_runs(row[:full]):
                    handle.addEntries(
                        chrom,
                        int(starts[lo]),
                        values=row[lo:hi].astype(float).tolist(),
                        span=span,
                        step=span,
                    )
                if full < n and np.isfinite(row[-1]):
                    handle.addEntries(
                        [chrom], [int(starts[-1])], ends=[end], values=[float(row[-1])]
                    )
            return
        ends = np.minimum(starts + span, size)
        self._write_text(chrom, starts, ends, arr)

    def add_intervals(
        self,
        chrom: str,
        starts: npt.ArrayLike,
        ends: npt.ArrayLike,
        values: npt.ArrayLike,
    ) -> None:
        """Write explicit intervals ``[starts[i], ends[i])`` of one chromosome.

        Parameters
        ----------
        chrom
            The chromosome.
        starts, ends
            ``(n,)`` 0-based half-open; sorted by start (bigWig: not overlapping).
        values
            ``(T, n)`` (or ``(n,)`` for one track).

        Raises
        ------
        ValueError
            Out of order or overlapping (bigWig), an empty interval, one past the
            chromosome end, a bad shape.
        """
        s = np.asarray(starts, dtype=np.int64).reshape(-1)
        e = np.asarray(ends, dtype=np.int64).reshape(-1)
        if s.shape != e.shape:
            msg = "starts and ends differ in length"
            raise ValueError(msg)
        arr = self._values(values, len(s))
        if len(s) == 0:
            return
        if np.any(e <= s) or np.any(s < 0):
            msg = "every interval needs 0 <= start < end"
            raise ValueError(msg)
        bigwig = self.format == "bigwig"
        if np.any(np.diff(s) < 0) or (bigwig and np.any(s[1:] < e[:-1])):
            what = "overlap" if bigwig and np.all(np.diff(s) >= 0) else "are not sorted"
            msg = f"track intervals on {chrom} {what}" + (
                " (a bigWig file cannot hold overlapping intervals: write .tsv or .bedgraph)"
                if what == "overlap"
                else ""
            )
            raise ValueError(msg)
        size = self._check(chrom, int(s[0]), int(s[-1]), not bigwig)
        if int(e.max()) > size:
            msg = f"interval ends past the end of {chrom} (length {size})"
            raise ValueError(msg)
        self._last_end = max(self._last_end, int(e.max()))
        self.n_entries += len(s)
        if bigwig:
            for t, handle in enumerate(self._bw):
                keep = np.isfinite(arr[t])
                if keep.any():
                    handle.addEntries(
                        [chrom] * int(keep.sum()),
                        s[keep].tolist(),
                        ends=e[keep].tolist(),
                        values=arr[t][keep].astype(float).tolist(),
                    )
            return
        self._write_text(chrom, s, e, arr)

    def _write_text(
        self, chrom: str, starts: np.ndarray, ends: np.ndarray, arr: np.ndarray
    ) -> None:
        if self.format == "tsv":
            lines = [
                f"{chrom}\t{int(a)}\t{int(b)}\t" + "\t".join(_fmt(float(v)) for v in arr[:, i])
                for i, (a, b) in enumerate(zip(starts, ends, strict=True))
                if not np.all(np.isnan(arr[:, i]))
            ]
            if lines:
                self._text[0].write("\n".join(lines) + "\n")
            return
        for t, handle in enumerate(self._text):
            lines = [
                f"{chrom}\t{int(a)}\t{int(b)}\t{_fmt(float(v))}"
                for a, b, v in zip(starts, ends, arr[t], strict=True)
                if np.isfinite(v)
            ]
            if lines:
                handle.write("\n".join(lines) + "\n")

    # -- finishing ----------------------------------------------------------------------

    def close(self) -> list[Path]:
        """Finish every file and rename it into place; returns :attr:`paths`."""
        if not self._closed:
            self._closed = True
            self._stack.close()
        return self.paths

    def abort(self) -> None:
        """Remove every temporary file: nothing is written."""
        self._discard(None)

    def _discard(self, exc: BaseException | None) -> None:
        if self._closed and exc is None:
            return
        self._closed = True
        error = exc if exc is not None else _AbortedError("track writer aborted")
        with contextlib.suppress(Exception):  # the caller's exception is raised by its caller
            self._stack.__exit__(type(error), error, error.__traceback__)


class _AbortedError(Exception):
    """Thrown into the staged files to discard them (never seen outside)."""


def _finite_runs(row: np.ndarray) -> list[tuple[int, int]]:
    """``(lo, hi)`` of each run of finite values in ``row``.

    Examples
    --------
    >>> _finite_runs(np.array([1.0, np.nan, 2.0, 3.0]))
    [(0, 1), (2, 4)]
    """
    finite = np.isfinite(row).astype(np.int8)
    edges = np.diff(np.concatenate([[0], finite, [0]]))
    return list(
        zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True)
    )
