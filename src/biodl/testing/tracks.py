"""A small synthetic genome with signal tracks whose peaks sit on planted motif sites.

:func:`write_track_dataset` writes everything a coverage (profile) model needs: a genome
FASTA, one bigWig or bedGraph per track, a BED of windows to train on and a blacklist.
The answer is known: every peak of every track is a Gaussian centred on (track 0) or
shifted from (other tracks) a copy of the motif on the forward strand, and nowhere else
does the motif occur, on either strand.

Examples
--------
>>> import tempfile
>>> from biodl.io.tracks import open_track
>>> data = write_track_dataset(tempfile.mkdtemp(), n_chroms=1, chrom_length=4000, n_sites=3,
...                            fmt="bedgraph")
>>> data.names, [p.name for p in data.tracks], data.chrom_sizes
(('track_0', 'track_1'), ['track_0.bedgraph.gz', 'track_1.bedgraph.gz'], {'chr1': 4000})
>>> chrom, site = data.sites[0]
>>> centre = site + len(data.motif) // 2
>>> with open_track(data.tracks[0]) as track:
...     round(float(track.values(chrom, centre, centre + 1)[0]), 3)
10.0
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.atomic import atomic_path, atomic_write_bytes
from biodl.testing.synthetic import markov_background, reverse_complement

__all__ = ["TrackDataset", "peak_signal", "write_track_dataset"]

PEAK_SD = 20.0
"""Standard deviation in bases of each Gaussian peak."""

PEAK_HALF_WIDTH = 80
"""A peak is written out to this many bases either side of its centre (4 sd), 0 beyond."""

TRACK_SHIFT = 10
"""Track ``t``'s peaks are centred ``TRACK_SHIFT * t`` bases right of the motif centre."""


@dataclass(frozen=True)
class TrackDataset:
    """The files written by :func:`write_track_dataset`.

    Attributes
    ----------
    genome
        FASTA of the chromosomes (``genome.fa``).
    tracks
        One signal file per track (``track_0.bw``, ... or ``track_0.bedgraph.gz``, ...).
    names
        The track names (``track_0``, ...).
    regions
        BED of the windows to train on: 2,000 bp tiling each chromosome.
    blacklist
        BED with one 500 bp interval on the first chromosome.
    chrom_sizes
        Chromosome name to length.
    motif
        The planted motif (forward strand).
    sites
        ``(chrom, start)`` of each planted motif copy, sorted.
    """

    genome: Path
    tracks: tuple[Path, ...]
    names: tuple[str, ...]
    regions: Path
    blacklist: Path
    chrom_sizes: dict[str, int]
    motif: str
    sites: tuple[tuple[str, int], ...] = field(default=())


def peak_signal(length: int, centres: Sequence[int], *, height: float) -> npt.NDArray[np.float32]:
    """Per-base signal: a sum of Gaussians (sd :data:`PEAK_SD`) of ``height`` at ``centres``.

    Each Gaussian is cut to 0 beyond :data:`PEAK_HALF_WIDTH` bases from its centre.

    Examples
    --------
    >>> signal = peak_signal(200, [100], height=10.0)
    >>> signal.shape, float(signal[100]), int(signal.argmax()), float(signal[10])
    ((200,), 10.0, 100, 0.0)
    """
    out = np.zeros(length, dtype=np.float64)
    offsets = np.arange(-PEAK_HALF_WIDTH, PEAK_HALF_WIDTH + 1)
    shape = height * np.exp(-0.5 * (offsets / PEAK_SD) ** 2)
    for centre in centres:
        positions = centre + offsets
        keep = (positions >= 0) & (positions < length)
        out[positions[keep]] += shape[keep]
    return out.astype(np.float32)


def _remove_motif(bases: bytearray, motif: str, rng: np.random.Generator) -> None:
    """Mutate every occurrence of ``motif`` (either strand) in ``bases``, in place."""
    pattern = re.compile(f"(?=({re.escape(motif)}|{re.escape(reverse_complement(motif))}))")
    while True:
        hits = [m.start() for m in pattern.finditer(bases.decode("ascii"))]
        if not hits:
            return
        for hit in hits:
            middle = hit + len(motif) // 2
            choices = [b for b in b"ACGT" if b != bases[middle]]
            bases[middle] = choices[int(rng.integers(3))]


def _remove_stray_copies(bases: bytearray, motif: str, starts: Sequence[int]) -> None:
    """Mutate copies of ``motif`` (either strand) that planting made next to a site.

    A base of the copy outside every site is changed (to the next letter of ``ACGT``),
    until only the planted copies remain.
    """
    planted = set(starts)
    width = len(motif)
    pattern = re.compile(f"(?=({re.escape(motif)}|{re.escape(reverse_complement(motif))}))")
    for _ in range(100):
        stray = [
            m.start()
            for m in pattern.finditer(bases.decode("ascii"))
            if not (m.start() in planted and m.group(1) == motif)
        ]
        if not stray:
            return
        for hit in stray:
            for pos in range(hit, hit + width):
                if not any(s <= pos < s + width for s in starts):
                    bases[pos] = b"ACGT"[(b"ACGT".index(bases[pos]) + 1) % 4]
                    break
    raise InputError(f"cannot plant motif {motif!r} without making more copies of it")


def _plant(
    length: int, n_sites: int, width: int, n_tracks: int, rng: np.random.Generator, chrom: str
) -> list[int]:
    """``n_sites`` sorted site starts whose peaks neither overlap nor reach an end."""
    margin = PEAK_HALF_WIDTH + TRACK_SHIFT * n_tracks + width
    gap = max(width + 2, 2 * PEAK_HALF_WIDTH + 1)
    room = length - 2 * margin - (n_sites - 1) * gap
    if room < 0:
        raise InputError(
            f"{n_sites} motif sites with their peaks ({gap} bp apart) do not fit in chromosome "
            f"{chrom} of {length} bp; lower n_sites or raise chrom_length"
        )
    free = np.sort(rng.integers(0, room + 1, size=n_sites))  # then spaced by gap
    return [int(margin + f + i * gap) for i, f in enumerate(free)]


def _write_bigwig(
    path: Path, sizes: dict[str, int], signals: dict[str, npt.NDArray[np.float32]]
) -> None:
    try:
        import pyBigWig  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # pragma: no cover - the extra is installed in tests
        raise InputError("writing bigWig needs pyBigWig: pip install 'biodl[tracks]'") from None
    with atomic_path(path) as tmp:
        handle = pyBigWig.open(os.fspath(tmp), "w")
        try:
            handle.addHeader(list(sizes.items()))
            for chrom, signal in signals.items():
                for start, end in _runs(signal):
                    handle.addEntries(
                        chrom,
                        start,
                        values=signal[start:end].astype(np.float64),
                        span=1,
                        step=1,
                    )
        finally:
            handle.close()


def _runs(signal: npt.NDArray[np.float32]) -> list[tuple[int, int]]:
    """``(start, end)`` of each stretch of non-zero values."""
    nonzero = np.concatenate(([False], signal != 0, [False]))
    edges = np.flatnonzero(nonzero[1:] != nonzero[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)]


def _write_bedgraph(path: Path, signals: dict[str, npt.NDArray[np.float32]]) -> None:
    lines = ["track type=bedGraph\n"]
    for chrom, signal in signals.items():
        for start, end in _runs(signal):
            lines.extend(
                f"{chrom}\t{start + i}\t{start + i + 1}\t{float(v):.6g}\n"
                for i, v in enumerate(signal[start:end])
            )
    data = gzip.compress("".join(lines).encode("ascii"), compresslevel=6, mtime=0)
    atomic_write_bytes(path, data)


def write_track_dataset(
    folder: str | os.PathLike[str],
    *,
    n_chroms: int = 3,
    chrom_length: int = 20_000,
    n_tracks: int = 2,
    motif: str = "TGACTCA",
    n_sites: int = 40,
    seed: int = 0,
    chrom_prefix: str = "chr",
    fmt: Literal["bigwig", "bedgraph"] = "bigwig",
) -> TrackDataset:
    """Write a random genome with planted motif sites and tracks peaking on them.

    The genome (``genome.fa``, 60 letters per line) is :func:`markov_background` DNA
    with every chance copy of the motif (either strand) mutated away, then
    ``n_sites`` copies of ``motif`` planted on the forward strand of each chromosome
    at random positions, far enough apart that no two peaks of a track overlap (so
    each track is exactly ``10 * (t + 1)`` at its peak centres) and away from the ends.
    Track ``t`` is, per base, a sum of Gaussians (sd :data:`PEAK_SD` bp, height
    ``10 * (t + 1)``, cut at :data:`PEAK_HALF_WIDTH` bp) centred ``TRACK_SHIFT * t``
    bases right of each site's centre base ``start + len(motif) // 2`` (so track 1 is
    shifted by 10 bp: a strand and shape effect), 0 elsewhere. It is written as a
    bigWig (``track_t.bw``, per-base entries over the peaks) or a gzip bedGraph
    (``track_t.bedgraph.gz``).
    ``regions.bed`` tiles each chromosome with 2,000 bp windows (a last, shorter piece
    is dropped); ``blacklist.bed`` holds one 500 bp interval in the middle of the first
    chromosome. Everything is determined by ``seed``.

    Parameters
    ----------
    folder
        Output folder, created if missing.
    n_chroms, chrom_length
        Number and length of the chromosomes.
    n_tracks
        Number of tracks.
    motif
        The motif planted (letters ``ACGT``).
    n_sites
        Motif copies per chromosome.
    seed
        Random seed.
    chrom_prefix
        Chromosomes are ``{chrom_prefix}1`` ... (``""``: ``1``, ``2``, ... as Ensembl).
    fmt
        ``"bigwig"`` (needs pyBigWig) or ``"bedgraph"``.

    Returns
    -------
    TrackDataset
        The paths and what was planted.

    Raises
    ------
    InputError
        A motif that is not ``ACGT`` letters, a count below 1, an unknown ``fmt``, or
        sites that do not fit in a chromosome.
    """
    for value, what in (
        (n_chroms, "n_chroms"),
        (chrom_length, "chrom_length"),
        (n_tracks, "n_tracks"),
        (n_sites, "n_sites"),
    ):
        if value < 1:
            raise InputError(f"{what} must be at least 1, not {value}")
    motif = motif.upper()
    if not motif or set(motif) - set("ACGT"):
        raise InputError(f"motif {motif!r} must be made of the letters ACGT")
    if fmt not in ("bigwig", "bedgraph"):
        raise InputError(f"fmt must be 'bigwig' or 'bedgraph', not {fmt!r}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = [f"{chrom_prefix}{i + 1}" for i in range(n_chroms)]
    sizes = dict.fromkeys(names, chrom_length)
    background = markov_background(n_chroms, chrom_length, seed=seed)
    sites: list[tuple[str, int]] = []
    fasta: list[str] = []
    centres: dict[str, list[int]] = {}
    for chrom, seq in zip(names, background, strict=True):
        bases = bytearray(seq.encode("ascii"))
        _remove_motif(bases, motif, rng)
        starts = _plant(chrom_length, n_sites, len(motif), n_tracks, rng, chrom)
        for start in starts:
            bases[start : start + len(motif)] = motif.encode("ascii")
        _remove_stray_copies(bases, motif, starts)
        sites.extend((chrom, s) for s in starts)
        centres[chrom] = [s + len(motif) // 2 for s in starts]
        text = bases.decode("ascii")
        fasta.append(f">{chrom}\n")
        fasta.extend(text[i : i + 60] + "\n" for i in range(0, len(text), 60))
    genome = out / "genome.fa"
    atomic_write_bytes(genome, "".join(fasta).encode("ascii"))
    tracks: list[Path] = []
    track_names: list[str] = []
    for t in range(n_tracks):
        signals = {
            chrom: peak_signal(
                chrom_length, [c + TRACK_SHIFT * t for c in centres[chrom]], height=10.0 * (t + 1)
            )
            for chrom in names
        }
        name = f"track_{t}"
        if fmt == "bigwig":
            path = out / f"{name}.bw"
            _write_bigwig(path, sizes, signals)
        else:
            path = out / f"{name}.bedgraph.gz"
            _write_bedgraph(path, signals)
        tracks.append(path)
        track_names.append(name)
    window = 2000
    regions = out / "regions.bed"
    rows = [
        f"{chrom}\t{s}\t{s + window}\n"
        for chrom in names
        for s in range(0, chrom_length - window + 1, window)
    ]
    atomic_write_bytes(regions, "".join(rows).encode("ascii"))
    blacklist = out / "blacklist.bed"
    b0 = max(0, chrom_length // 2 - 250)
    atomic_write_bytes(
        blacklist, f"{names[0]}\t{b0}\t{min(chrom_length, b0 + 500)}\n".encode("ascii")
    )
    return TrackDataset(
        genome=genome,
        tracks=tuple(tracks),
        names=tuple(track_names),
        regions=regions,
        blacklist=blacklist,
        chrom_sizes=sizes,
        motif=motif,
        sites=tuple(sorted(sites, key=lambda s: (names.index(s[0]), s[1]))),
    )
