"""``biodl predict --genome`` and ``biodl explain --genome``: a trained DNA model along a
genome: predictions as tracks, attributions of regions.

:func:`predict_genome` slides the model over whole chromosomes (``tile``), the records
of an excerpt genome, or the intervals of a BED file (``regions``), streamed in
batches, and writes the predictions in genome coordinates with
:class:`biodl.io.track_writer.TrackWriter` (bigWig, bedGraph or TSV).

Track models (per-position runs: outputs ``(N, T, B)`` for an input of ``L`` bases)
    The bin size is ``bin = L // B`` (found by running the model once); the ``B`` bins
    are taken to cover the first ``S = B * bin`` bases of the window (the output span;
    ``S = L`` when ``bin`` divides ``L``). Each region is tiled with windows of ``L``
    bases at stride ``S`` from the region start, so that the bins lie on one grid
    ``start + k * bin`` and are written contiguously (``span = step = bin``). The last
    window is shifted back so that its last bin is the one holding the region's last
    base, and only its bins not yet written are written. A region shorter than ``S``
    gets one window centred on it (:func:`biodl.io.fixed_window`) and the window's bins
    that overlap the region. Bins are cut at the region (chromosome) end. Bins over
    ``N`` (unknown bases, or past a chromosome end) are predicted all the same, but a
    window made only of ``N`` is skipped: nothing is written there. ``tile``'s value is
    not used (windows always step by the output span).
Scalar models (outputs ``(N, T)``)
    ``tile=W``: windows of ``L`` bases centred every ``W`` bases: the region is cut into
    intervals of ``W`` bases from its start (the last one cut at the region end), and
    each interval gets the value of the window centred on it, so intervals are
    contiguous. ``regions``: one window centred on each BED interval (on the summit of
    a narrowPeak interval that has one), its value written over the whole interval;
    ``regions`` and ``tile``: the merged intervals tiled as chromosomes are.
    BED intervals may overlap: bedGraph and TSV take that, bigWig cannot (an error
    before any work suggests ``.tsv``).

Values are the task's scores (:meth:`biodl.tasks.Task.scores`: probabilities,
regression values, the rate ``exp(z)`` of a Poisson run). With ``strands="both"`` the raw
outputs of each window and of its reverse complement (its bins flipped back) are
averaged before that transform, as variant scoring does; the default is ``both`` for a
run trained with reverse-complement augmentation. BED intervals are read in genome order
(chromosomes in the order of the FASTA, then by start; strand ignored); for a track
model overlapping or touching intervals are merged first. On an excerpt genome
(:class:`biodl.io.Genome`: records named ``chrom:start-end``), ``tile`` covers its
excerpts only, and BED intervals are cut at each chromosome's last excerpt end (the
genome's length of it; intervals beyond it are left out).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

import numpy as np
import torch

from biodl.data.tracks import untransform_targets
from biodl.encode import one_hot
from biodl.errors import InputError
from biodl.interpret.attribution import METHODS, Method, attribute
from biodl.io.atomic import check_output_dir, check_output_path, staged_dir
from biodl.io.bed import Genome, Interval, fixed_window, read_bed
from biodl.io.track_writer import TrackWriter, track_format, track_paths
from biodl.io.tracks import genome_names, read_chrom_sizes
from biodl.models import predict
from biodl.models.locality import Link, NonLocal
from biodl.models.predict import default_device
from biodl.progress import LOGGER, Progress, progress
from biodl.runs import Run, load_run
from biodl.tasks import Task, task_from_meta
from biodl.variants.scoring import StrandMean, Strands
from biodl.workflows.explain import _method_options, _target_of
from biodl.workflows.prediction import _run_files
from biodl.workflows.variants import default_strands

__all__ = ["GenomeExplanation", "GenomePrediction", "explain_regions", "predict_genome"]

_PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class GenomePrediction:
    """What :func:`predict_genome` wrote.

    Attributes
    ----------
    paths
        The track files written (one per track for bigWig and bedGraph with several
        tracks, else one).
    n_windows
        Model input windows scored (windows made only of ``N`` are not counted).
    n_bases
        Bases covered by the written intervals.
    seconds
        Wall time of the job.
    kind
        ``track`` (per-position run) or ``scalar``.
    bin_size
        Bases per output bin of a track model, else ``None``.
    strands
        ``forward`` or ``both``.
    names
        The tracks' names (the task's output names).
    """

    paths: tuple[Path, ...]
    n_windows: int
    n_bases: int
    seconds: float
    kind: Literal["track", "scalar"] = "scalar"
    bin_size: int | None = None
    strands: str = "forward"
    names: tuple[str, ...] = ()

    def text(self) -> str:
        """One line for people: what was written, how many windows and bases.

        Examples
        --------
        >>> GenomePrediction((Path("o.bw"),), 3, 1200, 0.5, "track", 128).text()
        'predictions: o.bw (3 windows, 1200 bp, track model, 128-bp bins, 0.5 s)'
        """
        files = ", ".join(os.fspath(p) for p in self.paths)
        model = f"track model, {self.bin_size}-bp bins" if self.bin_size else "scalar model"
        return (
            f"predictions: {files} ({self.n_windows} windows, {self.n_bases} bp, {model}, "
            f"{self.seconds:.1f} s)"
        )


class _Region(NamedTuple):
    chrom: str
    start: int
    end: int
    # for a scalar model's BED interval: the interval, whose window centre it gives
    interval: Interval | None = None


class _Window(NamedTuple):
    """One model input window and the intervals its output is written to.

    Track model: bins ``first..last-1`` of the window (at ``start + k * bin``), cut to
    ``[lo, hi)``. Scalar model: the interval ``[lo, hi)``.
    """

    chrom: str
    start: int
    lo: int
    hi: int
    first: int = 0
    last: int = 1


def _header_sizes(genome: Genome, given: _PathLike | Mapping[str, int] | None) -> Mapping[str, int]:
    """Chromosome sizes of an output's header: the genome's, or ``given`` (a file or a
    mapping) for each of the genome's chromosomes, in the genome's order."""
    if given is None:
        return genome.chrom_sizes
    path = None if isinstance(given, Mapping) else os.fspath(given)
    sizes = dict(given) if isinstance(given, Mapping) else read_chrom_sizes(given)
    out: dict[str, int] = {}
    for chrom, size in genome.chrom_sizes.items():
        if chrom not in sizes:
            raise InputError(
                f"chromosome {chrom!r} of genome {genome.path} is not listed", path=path
            )
        if int(sizes[chrom]) < size:
            raise InputError(
                f"chromosome {chrom!r} is {sizes[chrom]} long here but genome {genome.path} "
                f"has sequence up to {size}",
                path=path,
            )
        out[chrom] = int(sizes[chrom])
    return out


def _check_model(run: Run) -> None:
    where = Path(run.path) / "model.json"
    meta = run.meta
    if meta.get("alphabet") != "dna" or int(meta.get("n_channels", 0)) != 4:
        raise InputError(
            "predicting along a genome needs a DNA model (4-channel one-hot input)", path=where
        )
    if meta.get("encoding", "onehot") not in ("onehot", None):
        raise InputError(
            f"predicting along a genome needs a one-hot model, not encoding "
            f"{meta.get('encoding')!r}",
            path=where,
        )


def _open_genome(genome: _PathLike | Genome) -> tuple[Genome, bool]:
    if isinstance(genome, Genome):
        return genome, False
    return Genome(genome), True


def _in_excerpts(iv: Interval, genome: Genome) -> bool:
    """Whether ``iv`` overlaps a stretch of ``genome`` that holds bases (always true for
    an ordinary genome)."""
    if genome.excerpts is None:
        return True
    return any(lo < iv.end and iv.start < hi for lo, hi in genome.covered(iv.chrom))


def _read_regions(
    regions: _PathLike | Sequence[Interval], genome: Genome, chroms: Sequence[str] | None
) -> tuple[list[Interval], _PathLike | None]:
    """The BED intervals checked against the genome and sorted in genome order.

    Chromosome names are matched to the genome's (``2`` read as ``chr2`` and the other
    way round); on an excerpt genome, intervals outside every excerpt are left out with
    a warning, and none left is an error.
    """
    path: _PathLike | None = None
    if isinstance(regions, str | os.PathLike):
        path = regions
        intervals = read_bed(regions)
    else:
        intervals = list(regions)
    if not intervals:
        raise InputError("no regions to predict (the BED file has no intervals)", path=path)
    sizes = genome.chrom_sizes
    excerpts = genome.excerpts is not None
    names = genome_names((iv.chrom for iv in intervals), genome, path=path)
    kept: list[Interval] = []
    outside: list[Interval] = []
    for iv in intervals:
        chrom = names.get(iv.chrom)
        if chrom is None:
            raise InputError(genome.missing_message(iv.chrom), path=path, line=iv.line or None)
        iv = iv._replace(chrom=chrom)
        size = sizes[chrom]
        if iv.end > size and excerpts:  # its size is the last excerpt's end: N past it
            iv = iv._replace(end=size, summit=None) if iv.start < size else iv
        elif iv.end > size:
            raise InputError(
                f"interval {iv.chrom}:{iv.start}-{iv.end} ends past the end of {iv.chrom} "
                f"(length {size}) in genome {genome.name}",
                path=path,
                line=iv.line or None,
            )
        if iv.start >= size or not _in_excerpts(iv, genome):
            outside.append(iv)
            continue
        kept.append(iv)
    if outside:
        first = outside[0]
        where = f"{first.chrom}:{first.start}-{first.end}" + (
            f" (line {first.line})" if first.line else ""
        )
        if not kept:
            raise InputError(
                f"no region overlaps an excerpt of genome {genome.name} (first: {where}); "
                f"its excerpts are {_excerpt_summary(genome)}",
                path=path,
            )
        label = f"{os.fspath(path)}: " if path is not None else ""
        warnings.warn(
            f"{label}{len(outside)} of {len(intervals)} regions lie outside every excerpt "
            f"of genome {genome.name} and are left out (first: {where})",
            UserWarning,
            stacklevel=3,
        )
    intervals = kept
    if chroms is not None:
        wanted = set(genome_names(chroms, genome).values()) | set(chroms)
        intervals = [iv for iv in intervals if iv.chrom in wanted]
        if not intervals:
            raise InputError(
                f"no regions on the chromosomes asked for ({', '.join(chroms)})", path=path
            )
    order = {c: i for i, c in enumerate(sizes)}
    intervals.sort(key=lambda iv: (order[iv.chrom], iv.start, iv.end))
    return intervals, path


def _excerpt_summary(genome: Genome) -> str:
    """A few excerpts of an excerpt genome, for messages."""
    listed = [f"{c}:{s}-{e}" for c, s, e in genome.excerpts or ()]
    return ", ".join(listed[:3]) + (f", ... ({len(listed)} in all)" if len(listed) > 3 else "")


def _merged(intervals: Iterable[Interval]) -> list[_Region]:
    """Sorted intervals with overlapping or touching ones merged."""
    out: list[_Region] = []
    for iv in intervals:
        if out and out[-1].chrom == iv.chrom and iv.start <= out[-1].end:
            last = out[-1]
            out[-1] = _Region(last.chrom, last.start, max(last.end, iv.end))
        else:
            out.append(_Region(iv.chrom, iv.start, iv.end))
    return out


def _check_overlaps(intervals: Sequence[Interval], path: _PathLike | None, out: Path) -> None:
    """A bigWig cannot hold overlapping intervals: refuse them before any work."""
    prev: Interval | None = None
    for iv in intervals:
        if prev is not None and prev.chrom == iv.chrom and iv.start < prev.end:
            where = f" (lines {prev.line} and {iv.line})" if prev.line and iv.line else ""
            raise InputError(
                f"regions {prev.chrom}:{prev.start}-{prev.end} and {iv.chrom}:{iv.start}-"
                f"{iv.end} overlap{where}: a bigWig file cannot hold overlapping intervals; "
                f"write .tsv or .bedgraph instead of {out.name}",
                path=path,
            )
        if prev is None or prev.chrom != iv.chrom or iv.end > prev.end:
            prev = iv


def _whole_genome(genome: Genome, chroms: Sequence[str] | None) -> list[_Region]:
    """Every chromosome (or every excerpt of an excerpt genome), optionally some only."""
    sizes = genome.chrom_sizes
    wanted: set[str] | None = None
    if chroms is not None:
        names = genome_names(chroms, genome)
        for chrom in chroms:
            if chrom not in names:
                raise InputError(f"--chroms: {genome.missing_message(chrom)}", path=genome.path)
        wanted = set(names.values())
    excerpts = genome.excerpts
    if excerpts is not None:
        order = {c: i for i, c in enumerate(sizes)}
        listed = sorted(excerpts, key=lambda e: (order.get(e[0], 0), e[1]))
        regions = [_Region(c, s, e) for c, s, e in listed]
        regions = _merged(Interval(r.chrom, r.start, r.end) for r in regions)
    else:
        regions = [_Region(c, 0, int(n)) for c, n in sizes.items() if n > 0]
    return [r for r in regions if wanted is None or r.chrom in wanted]


def _track_windows(
    regions: Iterable[_Region], length: int, n_bins: int, bin_size: int
) -> Iterator[_Window]:
    """Windows of a track model over ``regions`` (see the module documentation)."""
    span = n_bins * bin_size
    for chrom, rs, re, _ in regions:
        n = re - rs
        if n < span:
            start, _ = fixed_window(Interval(chrom, rs, re), length, centre="midpoint")
            first = max(0, (rs - start) // bin_size)
            last = min(n_bins, -(-(re - start) // bin_size))
            yield _Window(chrom, start, rs, re, first, last)
            continue
        total = -(-n // bin_size)  # bins on the region's grid
        done = 0
        while done < total:
            if done + n_bins <= total:
                yield _Window(chrom, rs + done * bin_size, rs, re, 0, n_bins)
                done += n_bins
            else:
                shift = total - n_bins
                yield _Window(chrom, rs + shift * bin_size, rs, re, done - shift, n_bins)
                done = total


def _scalar_windows(regions: Iterable[_Region], length: int, tile: int | None) -> Iterator[_Window]:
    """Windows of a scalar model: one per BED interval, or one every ``tile`` bases."""
    for chrom, rs, re, interval in regions:
        if tile is None:
            iv = interval if interval is not None else Interval(chrom, rs, re)
            start, _ = fixed_window(iv, length)
            yield _Window(chrom, start, rs, re)
            continue
        for lo in range(rs, re, tile):
            hi = min(lo + tile, re)
            start, _ = fixed_window(Interval(chrom, lo, hi), length, centre="midpoint")
            yield _Window(chrom, start, lo, hi)


def _batches(windows: Iterator[_Window], size: int) -> Iterator[list[_Window]]:
    batch: list[_Window] = []
    for window in windows:
        batch.append(window)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _Counts:
    windows: int = 0
    bases: int = 0


class _Predictor:
    """The model (one strand or both) on its device, raw outputs to scores (a track
    model's back through ``transform``, :func:`biodl.data.tracks.untransform_targets`)."""

    def __init__(
        self,
        run: Run,
        task: Task,
        *,
        strands: Strands,
        device: str | None,
        batch_size: int,
        transform: str = "none",
    ) -> None:
        self.device = torch.device(device) if device is not None else default_device()
        model = run.model.to(self.device).eval()
        self.net = model if strands == "forward" else StrandMean(model)
        self.task = task
        self.unknown = run.unknown
        self.temperature = run.temperature if task.probabilistic else 1.0
        self.batch_size = batch_size
        self.transform = transform

    def raw(self, X: np.ndarray) -> np.ndarray:
        z = predict(self.net, X, batch_size=self.batch_size, device=self.device)
        out = z.numpy().astype(np.float64)
        return out / self.temperature if self.temperature != 1.0 else out

    def scores(self, seqs: Sequence[str]) -> np.ndarray:
        """``(n, T)`` or ``(n, T, B)`` scores of the windows ``seqs`` (for a track run
        with ``untransform``, back in the tracks' units)."""
        X = one_hot(list(seqs), alphabet="dna", unknown=self.unknown, dtype=np.float32)
        z = self.raw(X)
        if z.ndim == 3:
            values = np.asarray(self.task.scores(z), dtype=np.float64)
            return untransform_targets(values, self.transform)
        return np.asarray(self.task.score_matrix(z), dtype=np.float64)


def _probe(predictor: _Predictor, length: int) -> tuple[int, ...]:
    """The shape of one window's raw output (run on a window of N)."""
    return tuple(predictor.raw(np.zeros((1, 4, length), dtype=np.float32)).shape[1:])


_CHUNK = 1 << 20
"""Most bases fetched at once for neighbouring windows of one batch."""


def _fetch_windows(genome: Genome, batch: Sequence[_Window], length: int) -> list[str]:
    """The ``length`` bases of each window; neighbouring windows of a chromosome (sorted,
    as tiling makes them) share one fetch of at most :data:`_CHUNK` bases."""
    seqs: list[str] = []
    i = 0
    while i < len(batch):
        chrom, lo = batch[i].chrom, batch[i].start
        j = i + 1
        while (
            j < len(batch)
            and batch[j].chrom == chrom
            and batch[j].start >= batch[j - 1].start
            and batch[j].start + length - lo <= _CHUNK
        ):
            j += 1
        hi = batch[j - 1].start + length
        chunk = genome.fetch(chrom, lo, hi)
        seqs += [chunk[w.start - lo : w.start - lo + length] for w in batch[i:j]]
        i = j
    return seqs


def _write_batch(
    writer: TrackWriter,
    genome: Genome,
    batch: Sequence[_Window],
    predictor: _Predictor,
    *,
    length: int,
    bin_size: int | None,
    counts: _Counts,
) -> int:
    """Predict one batch of windows and write their values; returns bases written."""
    seqs = _fetch_windows(genome, batch, length)
    keep = [i for i, s in enumerate(seqs) if s.count("N") < len(s)]
    written = 0
    if not keep:
        return written
    values = predictor.scores([seqs[i] for i in keep])
    counts.windows += len(keep)
    if bin_size is None:  # a scalar model: one value over [lo, hi), one call per chromosome
        rows = np.arange(len(keep))
        chroms = [batch[i].chrom for i in keep]
        for chrom in dict.fromkeys(chroms):
            mine = rows[[c == chrom for c in chroms]]
            los = np.array([batch[keep[r]].lo for r in mine], dtype=np.int64)
            his = np.array([batch[keep[r]].hi for r in mine], dtype=np.int64)
            writer.add_intervals(chrom, los, his, values[mine].T)
            written += int((his - los).sum())
        return written
    for row, i in enumerate(keep):
        w = batch[i]
        k = np.arange(w.first, w.last, dtype=np.int64)
        starts = w.start + k * bin_size
        ends = starts + bin_size
        vals = values[row][:, w.first : w.last]
        inside = starts[0] >= w.lo and (ends[-1] <= w.hi or w.hi == writer.chrom_sizes[w.chrom])
        if inside:  # whole bins (the last one cut at the chromosome end by the writer)
            writer.add(w.chrom, int(starts[0]), vals, span=bin_size)
        else:
            writer.add_intervals(w.chrom, np.maximum(starts, w.lo), np.minimum(ends, w.hi), vals)
        written += int(min(ends[-1], w.hi) - max(starts[0], w.lo))
    return written


def predict_genome(
    model_dir: _PathLike | Run,
    genome: _PathLike | Genome,
    out: _PathLike,
    *,
    regions: _PathLike | Sequence[Interval] | None = None,
    tile: int | None = None,
    chroms: Sequence[str] | None = None,
    batch_size: int | None = None,
    device: str | None = None,
    strands: Strands | None = None,
    chrom_sizes: _PathLike | Mapping[str, int] | None = None,
    untransform: bool = False,
) -> GenomePrediction:
    """Predict along a genome with a trained DNA model and write the values as tracks.

    See the module documentation for how windows are laid out and values written.

    Parameters
    ----------
    model_dir
        A run directory (or a loaded :class:`~biodl.runs.Run`) of a one-hot DNA model:
        a track model (per-position outputs ``(N, T, B)``) or a scalar one ``(N, T)``.
    genome
        The reference FASTA (indexed when needed; an excerpt genome's records are
        tiled, not its gaps), or an open :class:`biodl.io.Genome`.
    out
        ``.bw``/``.bigwig``, ``.bedgraph``/``.bg``/``.bdg`` (``.gz`` ok) or ``.tsv``;
        bigWig and bedGraph hold one track, so with several outputs one file per
        output is written, ``OUT.<name>.bw`` (:func:`biodl.io.track_writer.track_paths`).
    regions
        A BED file (or intervals) to predict on; or
    tile
        Tile whole chromosomes (or, with ``regions``, the merged regions): for a scalar
        model a window every ``tile`` bases (its value over the ``tile`` bases around
        its centre); for a track model any
        positive value (windows step by the output span).
    chroms
        Only these chromosomes.
    batch_size
        Windows fetched, encoded and scored together (default: about 4 Mb of input, at
        most 1,024 windows): memory does not grow with the length of the genome.
    device
        Where the model runs; default CUDA when available.
    strands
        ``forward`` or ``both`` (average with the reverse complement); default ``both``
        for a run trained with reverse-complement augmentation, else ``forward``.
    chrom_sizes
        The assembly's chromosome sizes for the bigWig header (a ``.chrom.sizes`` file,
        or a mapping), so that a genome browser takes the file; default the genome's
        (an excerpt genome knows only where its last excerpt ends). Each must be at
        least the genome's.
    untransform
        A track run trained on ``log1p`` or ``sqrt`` targets: write ``expm1`` or the
        square of its predictions, i.e. the tracks' binned units (a ``clip`` is not
        undone); without it the values are the model's, in the transformed units.

    Returns
    -------
    GenomePrediction
        The files written and counts.

    Raises
    ------
    InputError
        Not a one-hot DNA model, neither ``regions`` nor ``tile``, an unknown
        output ending, an empty BED file, a BED chromosome not in the genome or an
        interval past its end, overlapping intervals of a scalar model for bigWig; one
        line, before anything is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from biodl.testing.variants import write_genome, write_tiny_run
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> run = write_tiny_run(d / "run", length=11, task="regression", outputs=["signal"])
    >>> fasta = write_genome(d / "g.fa", {"chr1": "ACGT" * 10})
    >>> done = predict_genome(run, fasta, d / "signal.tsv", tile=10)
    >>> done.n_windows, done.n_bases, done.paths[0].read_text().splitlines()[0]
    (4, 40, 'chrom\\tstart\\tend\\tsignal')
    """
    clock = time.perf_counter()
    if regions is None and tile is None:
        raise InputError("give regions (a BED file), tile (a step in bases) or both")
    if tile is not None and tile < 1:
        raise InputError(f"tile must be a positive number of bases, not {tile}")
    if batch_size is not None and batch_size < 1:
        raise InputError(f"batch_size must be at least 1, not {batch_size}")
    fmt = track_format(out)
    run = model_dir if isinstance(model_dir, Run) else load_run(model_dir)
    if batch_size is None:  # about 4 Mb of input per batch, at most 1,024 windows
        batch_size = max(1, min(1024, (1 << 22) // max(run.input_length, 1)))
    run_dir = Path(run.path)
    _check_model(run)
    task = task_from_meta(run.meta)
    names = [str(n) for n in task.names]
    inputs: list[Any] = [*_run_files(run_dir)]
    if not isinstance(genome, Genome):
        inputs += [genome, f"{genome}.fai", f"{genome}.gzi"]
    if isinstance(regions, str | os.PathLike):
        inputs.append(regions)
    if isinstance(chrom_sizes, str | os.PathLike):
        inputs.append(chrom_sizes)
    for path in track_paths(out, names, fmt):
        check_output_path(path, inputs=inputs, what="--out")
    chosen: Strands = strands if strands is not None else default_strands(run.meta)
    length = run.input_length
    tracks = run.meta.get("tracks") or {}
    predictor = _Predictor(
        run,
        task,
        strands=chosen,
        device=device,
        batch_size=batch_size,
        transform=str(tracks.get("transform", "none")) if untransform else "none",
    )
    shape = _probe(predictor, length)
    ref, opened = _open_genome(genome)
    try:
        bin_size: int | None = None
        n_bins = 0
        if len(shape) == 2:
            n_outputs, n_bins = shape
            bin_size = length // n_bins
            if bin_size < 1:
                raise InputError(
                    f"the model gives {n_bins} bins for {length} bases: more than one per base",
                    path=run_dir / "model.json",
                )
            if chosen == "both" and n_bins * bin_size != length:
                raise InputError(
                    f"the model's {n_bins} bins of {bin_size} bp do not cover its {length}-bp "
                    "input, so a reverse complement's bins would not line up: use --strands "
                    "forward",
                    path=run_dir / "model.json",
                )
        else:
            n_outputs = shape[0]
        if n_outputs != len(names):
            raise InputError(
                f"the model gives {n_outputs} outputs but the run names {len(names)}",
                path=run_dir / "model.json",
            )
        if regions is not None:
            intervals, bed = _read_regions(regions, ref, chroms)
            if bin_size is None and tile is None:  # one window per interval
                if fmt == "bigwig":
                    _check_overlaps(intervals, bed, Path(out))
                todo = [_Region(iv.chrom, iv.start, iv.end, iv) for iv in intervals]
            else:  # tiled: merged first, so that every base is written once
                todo = _merged(intervals)
        else:
            todo = _whole_genome(ref, chroms)
            if not todo:
                raise InputError("no sequence to tile in the genome", path=ref.path)
        total = sum(r.end - r.start for r in todo)
        windows = (
            _track_windows(todo, length, n_bins, bin_size)
            if bin_size is not None
            else _scalar_windows(todo, length, tile)
        )
        LOGGER.info(
            "predict --genome: %s model, %d regions, %d bp, strands %s",
            "track" if bin_size else "scalar",
            len(todo),
            total,
            chosen,
        )
        counts = _Counts()
        bar: Progress[Any] = progress(total=total, desc="predict along the genome", unit="bp")
        header = _header_sizes(ref, chrom_sizes)
        with TrackWriter(out, header, names=names, format=fmt) as writer, bar:
            for batch in _batches(windows, batch_size):
                bases = _write_batch(
                    writer,
                    ref,
                    batch,
                    predictor,
                    length=length,
                    bin_size=bin_size,
                    counts=counts,
                )
                counts.bases += bases
                bar.update(sum(_covered(w, bin_size) for w in batch))
    finally:
        if opened:
            ref.close()
    return GenomePrediction(
        paths=tuple(writer.paths),
        n_windows=counts.windows,
        n_bases=counts.bases,
        seconds=time.perf_counter() - clock,
        kind="track" if bin_size else "scalar",
        bin_size=bin_size,
        strands=chosen,
        names=tuple(names),
    )


def _covered(window: _Window, bin_size: int | None) -> int:
    """Bases of the region a window accounts for (progress)."""
    if bin_size is None:
        return window.hi - window.lo
    lo = max(window.start + window.first * bin_size, window.lo)
    hi = min(window.start + window.last * bin_size, window.hi)
    return max(hi - lo, 0)


@dataclass(frozen=True)
class GenomeExplanation:
    """What :func:`explain_regions` wrote.

    Attributes
    ----------
    out
        The output folder.
    npz, bigwig
        ``attributions.npz`` and ``attributions.bw`` in it.
    n_regions
        Regions explained.
    method, target
        The attribution method and the explained output's name.
    """

    out: Path
    npz: Path
    bigwig: Path
    n_regions: int
    method: str
    target: str

    def text(self) -> str:
        """One line for people.

        Examples
        --------
        >>> GenomeExplanation(Path("x"), Path("x/a.npz"), Path("x/a.bw"), 2, "ism", "y").text()
        'explanations: x (2 regions, ism attributions of output y)'
        """
        return (
            f"explanations: {self.out} ({self.n_regions} regions, {self.method} attributions "
            f"of output {self.target})"
        )


class _SumOverBins(torch.nn.Module):
    """A track model's output over bins ``first:last`` (all by default), ``(N, T, B)`` to
    ``(N, T)``: the sum (a linear step, so DeepLIFT's rules pass through it), or, for
    outputs that are log rates (Poisson, multinomial: ``log_total``), the log of the
    summed rates (``logsumexp``), i.e. the log of the predicted total signal; a scalar
    model unchanged."""

    def __init__(
        self,
        model: torch.nn.Module,
        first: int | None = None,
        last: int | None = None,
        *,
        log_total: bool = False,
    ) -> None:
        super().__init__()
        self.model = model
        self.first, self.last = first, last
        self.log_total = log_total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._reduce(self.model(x))

    def _reduce(self, out: torch.Tensor) -> torch.Tensor:
        if out.ndim != 3:
            return out
        part = out[..., self.first : self.last]
        return torch.logsumexp(part, dim=-1) if self.log_total else part.sum(-1)

    def forward_chain(self) -> list[Link]:
        """The model, then the sum (fast ISM, :mod:`biodl.models.locality`)."""
        return [self.model, NonLocal(self._reduce)]


def _region_bins(
    model: torch.nn.Module,
    intervals: Sequence[Interval],
    windows: Sequence[tuple[str, int]],
    length: int,
) -> list[tuple[int, int] | None]:
    """For a track model, the output bins ``(first, last)`` of each window that overlap
    its region (all bins for a region covering the window); ``None`` for a scalar model."""
    with torch.no_grad():
        probe = model.eval()(torch.zeros(1, 4, length))
    if probe.ndim != 3:
        return [None] * len(intervals)
    n_bins = int(probe.shape[-1])
    bin_size = length // n_bins
    out: list[tuple[int, int] | None] = []
    for iv, (_, start) in zip(intervals, windows, strict=True):
        first = min(max((iv.start - start) // bin_size, 0), n_bins - 1)
        last = max(min(-(-(iv.end - start) // bin_size), n_bins), first + 1)
        out.append((first, last))
    return out


def _attribution_bigwig(
    path: Path,
    chrom_sizes: Any,
    windows: Sequence[tuple[str, int]],
    observed: np.ndarray,
) -> None:
    """Per-base observed contributions of windows (grouped by chromosome in genome
    order; any order of starts within one): where windows overlap, the mean of their
    values; bases outside the chromosome left out."""
    length = observed.shape[1]
    known = np.isfinite(observed)
    values = np.where(known, observed, 0.0)
    rank = {c: r for r, c in enumerate(chrom_sizes)}
    order = sorted(range(len(windows)), key=lambda k: (rank[windows[k][0]], windows[k][1]))
    with TrackWriter(path, chrom_sizes, names=["attribution"], format="bigwig") as writer:
        i = 0
        while i < len(order):
            chrom, lo = windows[order[i]]
            j, hi = i + 1, lo + length
            while j < len(order) and windows[order[j]][0] == chrom and windows[order[j]][1] < hi:
                hi = max(hi, windows[order[j]][1] + length)
                j += 1
            total = np.zeros(hi - lo)
            count = np.zeros(hi - lo)
            for k in order[i:j]:
                offset = windows[k][1] - lo
                total[offset : offset + length] += values[k]
                count[offset : offset + length] += known[k]
            a, b = max(lo, 0), min(hi, int(chrom_sizes[chrom]))
            if b > a:
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(count > 0, total / count, np.nan)  # NaN: not written
                writer.add(chrom, a, mean[a - lo : b - lo], span=1)
            i = j


def _ism_regions(
    net: torch.nn.Module,
    X: np.ndarray,
    spans: Sequence[tuple[int, int]],
    *,
    target: int,
    batch_size: int,
    device: str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """In-silico mutagenesis of each window's region only.

    Returns ``(N, 4, L)`` output changes of every substitution and ``(N, L)`` the mean
    loss when the observed letter is substituted (``-sum / 3``, positive where the base
    raises the output, as the other methods' contributions); ``NaN`` outside each
    window's region ``spans[i] = (lo, hi)``.
    """
    from biodl.interpret.ism import ism

    n, channels, length = X.shape
    changes = np.full((n, channels, length), np.nan, dtype=np.float32)
    for i in progress(range(n), desc="in-silico mutagenesis", unit="region"):
        lo, hi = spans[i]
        if hi <= lo:
            continue
        changes[i, :, lo:hi] = ism(
            net,
            X[i : i + 1],
            target=target,
            batch_size=batch_size,
            device=device,
            positions=slice(lo, hi),
        )[0]
    observed = -changes.sum(axis=1) / max(channels - 1, 1)
    return changes, observed.astype(np.float32)


def explain_regions(
    model_dir: _PathLike | Run,
    genome: _PathLike | Genome,
    regions: _PathLike | Sequence[Interval],
    out: _PathLike,
    *,
    method: Method | str | None = None,
    target: str | int | None = None,
    n_references: int = 20,
    batch_size: int = 64,
    device: str | None = None,
    seed: int = 0,
    force: bool = False,
) -> GenomeExplanation:
    """Attributions of a trained DNA model for the windows centred on BED regions.

    Each region gets the model input window of ``L`` bases centred on it
    (:func:`biodl.io.fixed_window`: on the summit of a narrowPeak interval that has
    one); regions are taken in genome order (strand ignored). The explained value is
    the output ``target`` of a scalar model, or, of a track model, the sum of track
    ``target`` over the output bins that overlap the region (all bins when the region
    covers the window; ``bins`` in the npz). Attributions come from
    :func:`biodl.interpret.attribute` (``method``, default ``deepshap``, with the
    options ``biodl explain`` uses).

    Parameters
    ----------
    model_dir
        A run directory (or a loaded :class:`~biodl.runs.Run`) of a one-hot DNA model.
    genome
        The reference FASTA, or an open :class:`biodl.io.Genome`.
    regions
        A BED file (or intervals).
    out
        The output folder (staged; replaced only with ``force``). It gets
        ``attributions.npz``: ``chrom``, ``start``, ``end`` (the windows, ``(N,)``),
        ``region_start``, ``region_end``, ``hypothetical`` ``(N, 4, L)`` (the method's
        hypothetical contributions, DeepLIFT/SHAP; else the attributions themselves),
        ``observed`` ``(N, L)`` (the attributions summed over channels: for one-hot
        input, the contribution of the base present), ``bins`` ``(N, 2)`` (the first and
        past-the-last output bin explained; ``-1`` for a scalar model), ``target`` and
        ``method``; and
        ``attributions.bw``: ``observed`` per base in genome coordinates, the mean of
        the windows where windows overlap, nothing outside the chromosomes. With
        ``method="ism"`` only the bases of each region are mutated: ``hypothetical``
        holds the output change of each substitution and ``observed`` the mean loss
        when the observed base is substituted, both ``NaN`` outside the region (and
        the bigWig covers the regions only).
    method, target, n_references, batch_size, device, seed
        As :func:`biodl.workflows.explain_file`.
    force
        Replace ``out`` if it exists.

    Returns
    -------
    GenomeExplanation

    Raises
    ------
    InputError
        Not a one-hot DNA model, an unknown method or target, an empty BED file, a BED
        chromosome not in the genome, an interval past its end; before anything is
        written.
    """
    if method is not None and method not in METHODS:
        raise InputError(f"unknown attribution method {method!r}: use one of {', '.join(METHODS)}")
    chosen = cast(Method, method or "deepshap")
    run = model_dir if isinstance(model_dir, Run) else load_run(model_dir)
    run_dir = Path(run.path)
    inputs: list[Any] = [*_run_files(run_dir)]
    if not isinstance(genome, Genome):
        inputs += [genome, f"{genome}.fai", f"{genome}.gzi"]
    if isinstance(regions, str | os.PathLike):
        inputs.append(regions)
    out_path = check_output_dir(out, force=force, inputs=inputs)
    _check_model(run)
    names, index = _target_of(run, target)
    length = run.input_length
    ref, opened = _open_genome(genome)
    try:
        intervals, _ = _read_regions(regions, ref, None)
        windows = [(iv.chrom, fixed_window(iv, length)[0]) for iv in intervals]
        seqs = [ref.fetch(c, s, s + length) for c, s in windows]
        chrom_sizes = dict(ref.chrom_sizes)
    finally:
        if opened:
            ref.close()
    X = one_hot(seqs, alphabet="dna", unknown=run.unknown, dtype=np.float32)
    log_total = bool(getattr(task_from_meta(run.meta), "log_rate", False))
    net = _SumOverBins(run.model, log_total=log_total).eval()
    bin_spans = _region_bins(run.model, intervals, windows, length)
    groups: dict[tuple[int, int] | None, list[int]] = {}
    for i, span in enumerate(bin_spans):  # windows explaining the same bins together
        groups.setdefault(span, []).append(i)
    options = _method_options(
        chosen,
        n_references=n_references,
        batch_size=batch_size,
        device=device,
        seed=seed,
    )
    if chosen == "ism":
        spans = [
            (max(iv.start - s, 0), min(iv.end - s, length))
            for iv, (_, s) in zip(intervals, windows, strict=True)
        ]
        hyp_all = np.full(X.shape, np.nan, dtype=np.float32)
        observed = np.full((len(X), length), np.nan, dtype=np.float32)
        for bins, rows in groups.items():
            wrapped = (
                net if bins is None else _SumOverBins(run.model, *bins, log_total=log_total).eval()
            )
            hyp_all[rows], observed[rows] = _ism_regions(
                wrapped,
                X[rows],
                [spans[i] for i in rows],
                target=index,
                batch_size=batch_size,
                device=device,
            )
    else:
        hyp_all = np.zeros(X.shape, dtype=np.float32)
        values = np.zeros(X.shape, dtype=np.float32)
        step = max(batch_size, 1) * 4
        batches = [
            (span, rows[lo : lo + step])
            for span, rows in groups.items()
            for lo in range(0, len(rows), step)
        ]
        for span, rows in progress(batches, desc="attributions", unit="batch"):
            wrapped = (
                net if span is None else _SumOverBins(run.model, *span, log_total=log_total).eval()
            )
            result = attribute(wrapped, X[rows], method=chosen, target=index, **options)
            values[rows] = np.asarray(result.values, dtype=np.float32)
            hyp = result.hypothetical if result.hypothetical is not None else result.values
            hyp_all[rows] = np.asarray(hyp, dtype=np.float32)
        observed = values.sum(axis=1)
    with staged_dir(out_path, force=force) as partial:
        np.savez_compressed(
            partial / "attributions.npz",
            chrom=np.array([c for c, _ in windows]),
            start=np.array([s for _, s in windows], dtype=np.int64),
            end=np.array([s + length for _, s in windows], dtype=np.int64),
            region_start=np.array([iv.start for iv in intervals], dtype=np.int64),
            region_end=np.array([iv.end for iv in intervals], dtype=np.int64),
            bins=np.array([(-1, -1) if b is None else b for b in bin_spans], dtype=np.int64),
            hypothetical=hyp_all,
            observed=observed,
            target=np.array(names[index]),
            method=np.array(chosen),
        )
        _attribution_bigwig(partial / "attributions.bw", chrom_sizes, windows, observed)
    return GenomeExplanation(
        out=out_path,
        npz=out_path / "attributions.npz",
        bigwig=out_path / "attributions.bw",
        n_regions=len(intervals),
        method=chosen,
        target=names[index],
    )
