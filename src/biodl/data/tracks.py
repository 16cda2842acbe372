"""Signal tracks over genome windows: the examples of coverage and profile models.

A ``tracks:`` source (:class:`biodl.config.TrackSource`) names bigWig or bedGraph files
and a reference genome. :func:`track_windows` cuts the genome into windows (along BED
regions, or along every chromosome or excerpt), :func:`load_track_source` reads each
window's sequence and its targets: every track binned (:meth:`biodl.io.TrackFile.bins`),
clipped and transformed as the source says (:func:`transform_targets`).

Examples
--------
>>> windows = track_windows([("chr1", 0, 1000)], length=400, stride=300)
>>> [(w.chrom, w.start, w.end) for w in windows]
[('chr1', 0, 400), ('chr1', 300, 700), ('chr1', 600, 1000)]
>>> transform_targets(np.array([[0.0, 3.0, 8.0]]), clip=4.0, transform="sqrt").tolist()
[[0.0, 1.7320507764816284, 2.0]]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from biodl.config import Config, TrackSource
from biodl.data.examples import Examples
from biodl.errors import InputError
from biodl.io import Genome, read_bed, region_of_id
from biodl.io.tracks import genome_names, open_track

__all__ = [
    "TrackTargets",
    "Window",
    "check_disjoint_windows",
    "load_track_source",
    "track_files",
    "track_meta",
    "track_windows",
    "transform_targets",
    "untransform_targets",
]


class Window(NamedTuple):
    """One window of the genome (0-based, half-open), with where it came from."""

    chrom: str
    start: int
    end: int
    origin: tuple[str, int] = ("", 0)


@dataclass(frozen=True)
class TrackTargets:
    """How the targets of a track run were made (``model.json``'s ``tracks`` block)."""

    names: tuple[str, ...]
    bin_size: int
    aggregate: str
    clip: float | None
    transform: str

    def to_meta(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "bin_size": self.bin_size,
            "aggregate": self.aggregate,
            "clip": self.clip,
            "transform": self.transform,
        }


def transform_targets(values: np.ndarray, *, clip: float | None, transform: str) -> np.ndarray:
    """Clip binned values at ``clip`` (if given), then apply ``transform`` (``none``,
    ``log1p`` or ``sqrt``; negative values are clipped at 0 first for those two); NaN
    stays NaN. Returns float32 of the same shape."""
    out = np.asarray(values, dtype=np.float32)
    if clip is not None:
        out = np.minimum(out, np.float32(clip))
    if transform == "log1p":
        out = np.log1p(np.maximum(out, 0.0))
    elif transform == "sqrt":
        out = np.sqrt(np.maximum(out, 0.0))
    return out.astype(np.float32, copy=False)


def untransform_targets(values: np.ndarray, transform: str) -> np.ndarray:
    """The inverse of :func:`transform_targets`' ``transform`` (``expm1`` for ``log1p``,
    the square for ``sqrt``; negative predictions are clipped at 0 first); a ``clip``
    cannot be undone.

    Examples
    --------
    >>> v = transform_targets(np.array([0.0, 3.0]), clip=None, transform="log1p")
    >>> untransform_targets(v, "log1p").round(5).tolist()
    [0.0, 3.0]
    """
    out = np.asarray(values)
    if transform == "log1p":
        return np.expm1(np.maximum(out, 0.0))
    if transform == "sqrt":
        return np.square(np.maximum(out, 0.0))
    return out


def track_windows(
    regions: Iterable[tuple[str, int, int] | tuple[str, int, int, tuple[str, int]]],
    *,
    length: int,
    stride: int | None = None,
) -> list[Window]:
    """Windows of ``length`` at ``stride`` (default ``length``) inside each region; a
    region shorter than ``length`` gives one window centred on it (reaching outside it).
    Windows that would pass a region's end are not made (the tail shorter than a stride
    is left out, as Basenji's tiling does)."""
    step = stride or length
    out: list[Window] = []
    for region in regions:
        chrom, start, end = region[0], int(region[1]), int(region[2])
        origin = region[3] if len(region) > 3 else ("", 0)
        if end - start < length:
            centre = (start + end) // 2
            lo = centre - length // 2
            out.append(Window(chrom, lo, lo + length, origin))
            continue
        for lo in range(start, end - length + 1, step):
            out.append(Window(chrom, lo, lo + length, origin))
    return out


def _rename(names: Iterable[str], genome: Genome, *, path: str, what: str) -> dict[str, str]:
    """Map a BED file's chromosome names to the genome's (``chr1``/``1``, ``chrM``/``MT``);
    a name the genome lacks is an error."""
    names = list(dict.fromkeys(names))
    found = genome_names(names, genome, path=path)
    unknown = [n for n in names if n not in found]
    if unknown:
        raise InputError(
            f"chromosome {unknown[0]!r} of the {what} is not in genome {genome.path}",
            path=path,
        )
    return found


def _regions(source: TrackSource, config: Config, genome: Genome) -> list[Window]:
    wanted = set(source.chromosomes or ())
    if source.regions is not None:
        path = config.resolve(source.regions)
        intervals = read_bed(path)
        if not intervals:
            raise InputError("empty file: no BED intervals", path=path)
        rename = _rename(
            (iv.chrom for iv in intervals), genome, path=os.fspath(path), what="regions"
        )
        spans = [
            (rename[iv.chrom], iv.start, iv.end, (os.fspath(path), iv.line)) for iv in intervals
        ]
    elif genome.excerpts is not None:  # overlapping or touching excerpts merged
        spans = [
            (c, s, e, (genome.path, 0)) for c in genome.chrom_sizes for s, e in genome.covered(c)
        ]
    else:
        spans = [(c, 0, n, (genome.path, 0)) for c, n in genome.chrom_sizes.items()]
    if wanted:
        missing = wanted - {s[0] for s in spans}
        if missing:
            raise InputError(
                f"chromosomes: {sorted(missing)} have no region in genome {genome.path}",
                path=config.resolve(source.regions) if source.regions else None,
            )
        spans = [s for s in spans if s[0] in wanted]
    return track_windows(spans, length=source.length, stride=source.stride)


def _blacklist(source: TrackSource, config: Config, genome: Genome) -> dict[str, np.ndarray] | None:
    """Blacklisted intervals per genome chromosome, ``(n, 2)`` sorted by start."""
    if source.blacklist is None:
        return None
    path = config.resolve(source.blacklist)
    intervals = read_bed(path)
    if not intervals:
        return {}
    rename = _rename((iv.chrom for iv in intervals), genome, path=os.fspath(path), what="blacklist")
    out: dict[str, list[tuple[int, int]]] = {}
    for iv in intervals:
        out.setdefault(rename[iv.chrom], []).append((iv.start, iv.end))
    return {c: np.array(sorted(v), dtype=np.int64) for c, v in out.items()}


def _overlaps(black: Mapping[str, np.ndarray], w: Window) -> np.ndarray:
    """Blacklisted intervals overlapping window ``w``, ``(k, 2)``."""
    spans = black.get(w.chrom)
    if spans is None or not len(spans):
        return np.zeros((0, 2), dtype=np.int64)
    hit = (spans[:, 0] < w.end) & (spans[:, 1] > w.start)
    return spans[hit]


def load_track_source(source: TrackSource, config: Config) -> Examples:
    """The windows of a ``tracks:`` source with their sequences and binned targets.

    Returns
    -------
    Examples
        One example per kept window: ``sequences`` of ``length`` bases, ``ids``
        ``chrom:start-end``, ``chroms``, ``origins`` (the regions BED and its line, or the
        genome), ``values`` ``(T, length // bin_size)`` float32 (NaN in masked bins), and
        ``notes`` on the windows dropped.

    Raises
    ------
    InputError
        A missing or unreadable file, chromosome names that cannot be matched, or no
        window left.
    """
    files = {name: config.resolve(path) for name, path in source.track_files().items()}
    n_bins = source.length // source.bin_size
    notes: dict[str, str] = {}
    with Genome(config.resolve(source.genome)) as genome:
        windows = _regions(source, config, genome)
        black = _blacklist(source, config, genome)
        tracks = []
        try:
            for path in files.values():  # chromosome names matched, lengths checked
                tracks.append(open_track(path, genome=genome))
            sequences, values, kept = [], [], []
            n_blacklisted = n_unknown = 0
            for w in windows:
                masked = np.zeros((0, 2), dtype=np.int64)
                if black is not None:
                    masked = _overlaps(black, w)
                    if len(masked) and source.blacklist_action == "drop":
                        n_blacklisted += 1
                        continue
                seq = genome.fetch(w.chrom, w.start, w.end)
                if seq.count("N") > source.max_n_fraction * len(seq):
                    n_unknown += 1
                    continue
                target = np.stack(
                    [
                        t.bins(
                            w.chrom,
                            w.start,
                            w.end,
                            bin_size=source.bin_size,
                            aggregate=source.aggregate,
                        )
                        for t in tracks
                    ]
                )
                target = transform_targets(target, clip=source.clip, transform=source.transform)
                for lo, hi in masked:
                    first = max(int(lo) - w.start, 0) // source.bin_size
                    last = -(-(min(int(hi), w.end) - w.start) // source.bin_size)
                    target[:, first : min(last, n_bins)] = np.nan
                sequences.append(seq)
                values.append(target)
                kept.append(w)
        finally:
            for t in tracks:
                t.close()
    where = config.resolve(source.regions) if source.regions else config.resolve(source.genome)
    if n_blacklisted:
        notes["blacklisted_windows"] = f"{n_blacklisted} windows overlap the blacklist: dropped"
    if n_unknown:
        notes["unknown_windows"] = (
            f"{n_unknown} windows with more than {source.max_n_fraction:g} unknown bases: dropped"
        )
    if not kept:
        raise InputError(
            f"no window left ({len(windows)} cut, {n_blacklisted} blacklisted, "
            f"{n_unknown} mostly unknown bases)",
            path=where,
        )
    return Examples(
        sequences=sequences,
        labels=[""] * len(kept),
        ids=[f"{w.chrom}:{w.start}-{w.end}" for w in kept],
        origins=[w.origin if w.origin[0] else (os.fspath(where), 0) for w in kept],
        chroms=[w.chrom for w in kept],
        values=values,
        notes=notes,
    )


def _spans(examples: Examples) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """Per chromosome the windows' starts and ends (sorted by start) and ids."""
    by: dict[str, list[tuple[int, int, str]]] = {}
    for wid in examples.ids:
        region = region_of_id(wid)
        if region is None:  # pragma: no cover - track windows are named so
            raise ValueError(f"window id {wid!r} is not chrom:start-end")
        chrom, start, end = region
        by.setdefault(chrom, []).append((start, end, wid))
    out = {}
    for chrom, rows in by.items():
        rows.sort()
        out[chrom] = (
            np.array([r[0] for r in rows], dtype=np.int64),
            np.array([r[1] for r in rows], dtype=np.int64),
            [r[2] for r in rows],
        )
    return out


def check_disjoint_windows(sets: Mapping[str, Examples | None]) -> None:
    """Refuse splits whose genome windows overlap (ids ``chrom:start-end``): a window of
    valid or test that shares bases with a window of another split leaks its sequence
    and signal.

    Raises
    ------
    InputError
        Naming the two windows and the held-out split's file and line.

    Examples
    --------
    >>> ex = lambda *ids: Examples([""] * len(ids), [""] * len(ids), list(ids),
    ...                            [("r.bed", 1)] * len(ids))
    >>> check_disjoint_windows({"train": ex("c:0-100", "c:200-300"), "test": ex("c:100-200")})
    >>> check_disjoint_windows({"train": ex("c:0-100"), "test": ex("c:50-150")})
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: r.bed:1: the test window c:50-150 overlaps the train window c:0-100: hold out whole chromosomes ({chromosomes: [...]}) or windows that do not overlap
    """  # noqa: E501
    names = [n for n in ("train", "valid", "test") if sets.get(n) is not None]
    spans = {n: _spans(sets[n]) for n in names}  # type: ignore[arg-type]
    for i, held in enumerate(names):
        for other in names[:i]:
            for chrom, (starts, ends, ids) in spans[held].items():
                if chrom not in spans[other]:
                    continue
                o_starts, o_ends, o_ids = spans[other][chrom]
                longest = int((o_ends - o_starts).max())
                for s, e, wid in zip(starts, ends, ids, strict=True):
                    lo = int(np.searchsorted(o_starts, s - longest, side="left"))
                    hi = int(np.searchsorted(o_starts, e, side="left"))
                    hit = [k for k in range(lo, hi) if o_ends[k] > s]
                    if hit:
                        ex = sets[held]
                        assert ex is not None
                        path, line = ex.origins[ex.ids.index(wid)]
                        raise InputError(
                            f"the {held} window {wid} overlaps the {other} window "
                            f"{o_ids[hit[0]]}: hold out whole chromosomes ({{chromosomes: "
                            "[...]}) or windows that do not overlap",
                            path=path or None,
                            line=line or None,
                        )


def track_meta(source: TrackSource) -> TrackTargets:
    """What a run records about how its targets were made."""
    return TrackTargets(
        names=tuple(source.track_files()),
        bin_size=source.bin_size,
        aggregate=source.aggregate,
        clip=source.clip,
        transform=source.transform,
    )


def track_files(source: TrackSource, config: Config) -> list[Path]:
    """Every file a ``tracks:`` source reads (for the run's checksums)."""
    paths = [config.resolve(p) for p in source.track_files().values()]
    paths.append(config.resolve(source.genome))
    paths += [config.resolve(p) for p in (source.regions, source.blacklist) if p is not None]
    return paths
