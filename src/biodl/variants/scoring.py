"""Scoring variants with a sequence model: REF vs ALT window, streamed in fixed chunks.

Each allele is checked (symbolic, breakend, REF against the genome), normalised
(:func:`biodl.variants.records.normalize`), cut into a REF and an ALT window
(:mod:`biodl.variants.windows`), one-hot encoded and passed through
:func:`biodl.models.predict`, the one batched forward path. Per model output ``t``:

* ``ref``, ``alt``: the model's output on each window, on the probability scale for
  probability models (sigmoid for binary and multi-label, softmax for multi-class)
  and the values for regression (the rate ``exp(z)`` of a Poisson model): the task's
  scores (:meth:`biodl.tasks.Task.scores`), as ``predict``, ``evaluate`` and ``assess``;
* ``diff = alt - ref`` on that scale;
* ``lor = logit(alt) - logit(ref)`` (log odds ratio), probability models only; computed
  from the logits (for softmax: ``z_t - logsumexp_{j != t} z_j``), so it stays exact
  where the probabilities round to 0 or 1.

With ``strands="both"`` the raw outputs (logits) of each window and of its reverse
complement are averaged before the transform.

Track models (per-position outputs ``(N, T, B)``: ``B`` bins of ``L // B`` bases) are
scored by SAD (SNP activity difference, as Basenji and Enformer): per track ``t``,
``ref`` and ``alt`` are the sums of the scores over the bins, and ``diff = alt - ref =
sum_b (alt_b - ref_b)``; over all bins, or over the ``sad_bins`` bins centred on the bin
that holds the variant (:func:`sad_bins_slice`). With ``strands="both"`` the reverse
strand's bins are flipped back before the mean. No ``lor`` and no ISM map.

Examples
--------
>>> import torch
>>> from biodl.variants.records import Variant
>>> class CountG(torch.nn.Module):   # output = number of G in the window
...     def forward(self, x): return x[:, 2, :].sum(-1, keepdim=True)
>>> class G:
...     chrom_sizes = {"c": 12}
...     def fetch(self, chrom, start, end):
...         return "N" * max(0, -start) + "ACGTACGTACGT"[max(start, 0):end] + "N" * max(0, end - 12)
>>> [s] = score_variants(CountG(), G(), [Variant("c", 6, "C", "G")], length=5, task="regression")
>>> s.status, s.ref, s.alt, s.diff
('scored', array([1.]), array([2.]), array([1.]))
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from biodl.encode import one_hot
from biodl.errors import InputError
from biodl.models import Link, TwoStrands, predict
from biodl.tasks import Task, TaskName, make_task
from biodl.variants.records import (
    SequenceSource,
    Variant,
    check_alleles,
    normalize,
    variants_from_table,
)
from biodl.variants.reference import FastaReference
from biodl.variants.windows import BlockCache, anchor_index, variant_windows

__all__ = [
    "RefMismatch",
    "StrandMean",
    "Strands",
    "VariantScore",
    "as_task",
    "ism_positions",
    "outputs_from_logits",
    "sad_bins_slice",
    "score_variants",
]

RefMismatch = Literal["error", "skip", "warn"]
Strands = Literal["forward", "both"]


@dataclass(frozen=True)
class VariantScore:
    """The scores of one allele, or why it was skipped.

    Attributes
    ----------
    variant
        The allele as read.
    normalized
        The allele after normalisation, the one scored (``None`` if skipped before).
    status
        ``"scored"`` or ``"skipped"``.
    reason
        Skip reason code (:data:`biodl.variants.records.SKIP_REASONS`); for a scored
        allele ``""``, or ``"ref_mismatch"`` when scored under ``ref_mismatch="warn"``.
    ref, alt, diff
        Shape ``(T,)`` per model output (see the module docstring); ``None`` if skipped.
    lor
        ``(T,)`` log odds ratio for probability outputs, else ``None``.
    ism
        ``(T, W, 4)``: raw-output effect of each base (A, C, G, T) at the ``W``
        positions of :func:`ism_positions` in the REF window, ``f(mutant) - f(ref)``
        (with ``strands="both"``, ``f`` is the strand-averaged output);
        ``None`` unless asked for.
    """

    variant: Variant
    normalized: Variant | None
    status: Literal["scored", "skipped"]
    reason: str = ""
    ref: np.ndarray | None = None
    alt: np.ndarray | None = None
    diff: np.ndarray | None = None
    lor: np.ndarray | None = None
    ism: np.ndarray | None = None


class StrandMean(nn.Module):
    """Mean of a model's raw outputs on one-hot ``x`` (ACGT) and its reverse complement.

    For per-bin outputs ``(N, T, B)`` (track models) the reverse strand's bins run the
    other way along the genome: they are flipped back before the mean, so bin ``b`` of
    both strands covers the same bases.

    Examples
    --------
    >>> class IsA(nn.Module):   # per position: 1 where the base is A
    ...     def forward(self, x): return x[:, :1, :]
    >>> x = torch.eye(4)[:, [0, 0, 3, 2]][None]   # AATG; the other strand has A over T
    >>> StrandMean(IsA())(x)
    tensor([[[0.5000, 0.5000, 0.5000, 0.0000]]])
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        forward = self.model(x)
        reverse = self.model(x.flip((-2, -1)))
        if reverse.ndim == 3:  # per-bin outputs: the reverse strand's bins run backwards
            reverse = reverse.flip(-1)
        out: torch.Tensor = 0.5 * (forward + reverse)
        return out

    def forward_chain(self) -> list[Link]:
        """Both strands through the model, averaged (fast ISM, :mod:`biodl.models.locality`;
        one value per output only)."""
        return [TwoStrands((self.model,), "mean", lambda x: x.flip((-2, -1)))]


def outputs_from_logits(
    z: np.ndarray, task: Task | TaskName
) -> tuple[np.ndarray, np.ndarray | None]:
    """Model outputs on the reported scale and, for probability outputs, their logits.

    The task's own transform (:meth:`biodl.tasks.Task.score_matrix`,
    :meth:`~biodl.tasks.Task.log_odds`), so variant scores are on the same scale as
    ``biodl predict``, ``evaluate`` and ``assess``.

    Parameters
    ----------
    z
        Raw outputs, shape ``(N, T)``.
    task
        A :class:`~biodl.tasks.Task`, or a task name: ``binary`` (one logit; only the
        first column is used), ``multilabel`` (sigmoid each), ``multiclass`` (softmax),
        ``regression`` (the values; a Poisson run's task gives the rate ``exp(z)``).

    Returns
    -------
    tuple
        ``(values, logits)``, each ``(N, T)`` (``T = 1`` for binary); ``logits`` is
        ``None`` for regression.

    Examples
    --------
    >>> p, lo = outputs_from_logits(np.array([[0.0, np.log(3.0)]]), "multiclass")
    >>> p.round(3), lo.round(3)
    (array([[0.25, 0.75]]), array([[-1.099,  1.099]]))
    """
    t = as_task(task)
    return t.score_matrix(z), t.log_odds(z)


def as_task(task: Task | TaskName) -> Task:
    """``task``, or the task of that name with placeholder output names (the scores of a
    task do not depend on its output names).

    Examples
    --------
    >>> as_task("regression").name
    'regression'
    """
    if isinstance(task, Task):
        return task
    return make_task(task, classes=("output",), positive="1", negative="0")


def ism_positions(length: int, window: int) -> range:
    """Window indices of the ISM map: ``window`` positions centred on the anchor.

    They start at ``length // 2 - window // 2`` (so the anchor is position
    ``window // 2`` of the map) and are moved inside ``[0, length)`` if needed.

    Examples
    --------
    >>> ism_positions(101, 5), ism_positions(10, 4), ism_positions(4, 4)
    (range(48, 53), range(3, 7), range(0, 4))
    """
    if not 1 <= window <= length:
        msg = f"ISM window must be between 1 and the model input length {length}, not {window}"
        raise InputError(msg)
    start = min(max(anchor_index(length) - window // 2, 0), length - window)
    return range(start, start + window)


def sad_bins_slice(length: int, n_bins: int, sad_bins: int | None = None) -> slice:
    """The bins a track model's SAD sums: all, or ``sad_bins`` centred on the variant.

    Bins are ``bin = length // n_bins`` bases from the window start; the variant's first
    REF base sits at index ``length // 2`` (:func:`~biodl.variants.windows.anchor_index`),
    in bin ``c = (length // 2) // bin``. The ``sad_bins`` bins start at
    ``c - sad_bins // 2``, moved inside ``[0, n_bins)`` if needed.

    Raises
    ------
    InputError
        If ``sad_bins`` is not between 1 and ``n_bins``.

    Examples
    --------
    >>> sad_bins_slice(64, 8), sad_bins_slice(64, 8, 3), sad_bins_slice(64, 8, 8)
    (slice(0, 8, None), slice(3, 6, None), slice(0, 8, None))
    """
    if sad_bins is None:
        return slice(0, n_bins)
    if not 1 <= sad_bins <= n_bins:
        msg = f"--sad-bins must be between 1 and the model's {n_bins} output bins, not {sad_bins}"
        raise InputError(msg)
    bin_size = max(length // n_bins, 1)
    centre = min(anchor_index(length) // bin_size, n_bins - 1)
    start = min(max(centre - sad_bins // 2, 0), n_bins - sad_bins)
    return slice(start, start + sad_bins)


@dataclass
class _Chunk:
    """One chunk of alleles: prepared results, windows to score, and their encoding."""

    items: list[VariantScore]
    scored: list[int]
    ref_seqs: list[str]
    alt_seqs: list[str]
    X: np.ndarray | None = None


class _Scorer:
    def __init__(
        self,
        model: nn.Module,
        genome: SequenceSource,
        *,
        length: int,
        task: Task | TaskName,
        unknown: Literal["zero", "uniform"],
        strands: Strands,
        ref_mismatch: RefMismatch,
        batch_size: int,
        device: str | torch.device | None,
        ism_window: int,
        source: str | os.PathLike[str] | None,
        sad_bins: int | None = None,
    ) -> None:
        self.sad_bins = sad_bins
        self.net = model if strands == "forward" else StrandMean(model)
        self.genome = genome if isinstance(genome, BlockCache) else BlockCache(genome)
        self.length, self.task, self.unknown = length, as_task(task), unknown
        self.ref_mismatch = ref_mismatch
        self.batch_size, self.device = batch_size, device
        self.ism = ism_positions(length, ism_window) if ism_window else None
        self.source = source

    def prepare_one(self, v: Variant) -> VariantScore:
        reason = check_alleles(v)
        if reason is not None:
            return VariantScore(v, None, "skipped", reason)
        if v.chrom not in self.genome.chrom_sizes:
            return VariantScore(v, None, "skipped", "chrom_not_in_genome")
        found = self.genome.fetch(v.chrom, v.start, v.start + len(v.ref))
        size = self.genome.chrom_sizes[v.chrom]
        past_end = v.start + len(v.ref) > size
        mismatch = past_end or any(
            r != g and r != "N" and g != "N" for r, g in zip(v.ref, found, strict=True)
        )
        note = ""
        if mismatch:
            where = f" (past the end of {v.chrom}, length {size})" if past_end else ""
            text = (
                f"REF {v.ref!r} does not match the genome {found!r} at {v.chrom}:{v.pos}"
                f"{where} (1-based; ALT {v.alt!r})"
            )
            record = f"{v.chrom}:{v.pos}:{v.ref}>{v.alt}" + (f" {v.id}" if v.id != "." else "")
            if self.ref_mismatch == "error":
                hint = "; use --ref-mismatch skip or warn to go on"
                raise InputError(text + hint, path=self.source, record=record)
            if self.ref_mismatch == "skip":
                return VariantScore(v, None, "skipped", "ref_mismatch")
            what = "skipped" if past_end else "scored as a replacement of the genome's bases"
            warning = InputError(f"{text}; {what}", path=self.source, record=record)
            warnings.warn(str(warning), UserWarning, stacklevel=4)
            if past_end:  # nothing there to score, even under "warn"
                return VariantScore(v, None, "skipped", "ref_mismatch")
            note = "ref_mismatch"
            v_gen = Variant(v.chrom, v.pos, found, v.alt, v.id, v.record, v.allele)
            if found == v.alt:
                return VariantScore(v, None, "skipped", "ref_equals_alt")
            return VariantScore(v, normalize(v_gen, self.genome), "scored", note)
        return VariantScore(v, normalize(v, self.genome), "scored", note)

    def prepare(self, variants: list[Variant]) -> _Chunk:
        items = [self.prepare_one(v) for v in variants]
        scored = [i for i, s in enumerate(items) if s.status == "scored"]
        refs, alts = [], []
        for i in scored:
            norm = items[i].normalized
            assert norm is not None  # scored items always have one
            ref_win, alt_win = variant_windows(self.genome, norm, self.length)
            refs.append(ref_win)
            alts.append(alt_win)
        return _Chunk(items, scored, refs, alts)

    def encode(self, chunk: _Chunk) -> _Chunk:
        dtype = np.int8 if self.unknown == "zero" else np.float32
        seqs = chunk.ref_seqs + chunk.alt_seqs
        chunk.X = one_hot(seqs, alphabet="dna", unknown=self.unknown, dtype=dtype)
        return chunk

    def _ism(self, X_ref: np.ndarray, z_ref: np.ndarray) -> np.ndarray:
        """``(n, T, W, 4)`` raw-output effects of every base at the ISM positions.

        Uses :func:`biodl.interpret.ism.ism` (fast ISM) when that module is there,
        else :meth:`_ism_naive`.
        """
        assert self.ism is not None
        try:
            from biodl.interpret.ism import ism
        except ImportError:
            return self._ism_naive(X_ref, z_ref)
        window = slice(self.ism.start, self.ism.stop)
        effects = ism(
            self.net,
            X_ref,
            target=None,
            batch_size=self.batch_size,
            device=self.device,
            positions=window,
        )  # (n, T, 4, W)
        return np.asarray(effects, dtype=np.float64).transpose(0, 1, 3, 2)

    def _ism_naive(self, X_ref: np.ndarray, z_ref: np.ndarray) -> np.ndarray:
        """Every single-base mutant as a full forward pass through :func:`predict`."""
        assert self.ism is not None
        positions = np.asarray(self.ism)
        n, w = X_ref.shape[0], len(positions)
        per = max(1, 4096 // (4 * w))
        out = np.empty((n, z_ref.shape[1], w, 4))
        eye = np.eye(4, dtype=X_ref.dtype)
        for lo in range(0, n, per):
            hi = min(n, lo + per)
            mutants = np.repeat(X_ref[lo:hi], 4 * w, axis=0)
            mutants = mutants.reshape(hi - lo, w, 4, *X_ref.shape[1:])
            for j, p in enumerate(positions):
                mutants[:, j, :, :, p] = eye
            flat = mutants.reshape(-1, *X_ref.shape[1:])
            z = predict(self.net, flat, batch_size=self.batch_size, device=self.device).numpy()
            z = z.reshape(hi - lo, w, 4, -1).transpose(0, 3, 1, 2)
            out[lo:hi] = z - z_ref[lo:hi, :, None, None]
        return out

    def finish(self, chunk: _Chunk) -> list[VariantScore]:
        if not chunk.scored:
            return chunk.items
        assert chunk.X is not None
        n = len(chunk.scored)
        logits = predict(self.net, chunk.X, batch_size=self.batch_size, device=self.device)
        if logits.ndim not in (2, 3):
            msg = (
                f"variant scoring needs one value per output or per output and bin, but "
                f"the model gives shape {tuple(logits.shape[1:])} per sequence"
            )
            raise InputError(msg)
        z = logits.numpy().astype(np.float64)
        if z.ndim == 3:  # a track model: SAD over the chosen bins
            if self.ism is not None:
                msg = "--ism-window needs a model with one value per output, not a track model"
                raise InputError(msg)
            bins = sad_bins_slice(self.length, z.shape[2], self.sad_bins)
            values = np.asarray(self.task.scores(z), dtype=np.float64)[:, :, bins].sum(-1)
            lo = None
        else:
            values, lo = outputs_from_logits(z, self.task)
        ism = self._ism(chunk.X[:n], z[:n]) if self.ism is not None else None
        items = list(chunk.items)
        for k, i in enumerate(chunk.scored):
            base = items[i]
            items[i] = VariantScore(
                base.variant,
                base.normalized,
                "scored",
                base.reason,
                ref=values[k],
                alt=values[n + k],
                diff=values[n + k] - values[k],
                lor=None if lo is None else lo[n + k] - lo[k],
                ism=None if ism is None else ism[k],
            )
        return items


def _chunks(variants: Iterable[Variant], size: int) -> Iterator[list[Variant]]:
    it = iter(variants)
    while chunk := list(islice(it, size)):
        yield chunk


def score_variants(
    model: nn.Module,
    genome: SequenceSource | Any,
    variants: Iterable[Variant] | Any,
    *,
    length: int,
    task: Task | TaskName = "binary",
    unknown: Literal["zero", "uniform"] = "zero",
    strands: Strands = "forward",
    ref_mismatch: RefMismatch = "error",
    batch_size: int = 256,
    chunk_size: int = 4096,
    device: str | torch.device | None = None,
    workers: int = 0,
    ism_window: int = 0,
    source: str | os.PathLike[str] | None = None,
    sad_bins: int | None = None,
) -> Iterator[VariantScore]:
    """Score each allele's effect with a one-hot DNA model, streamed.

    Alleles are read ``chunk_size`` at a time, so memory does not depend on how many
    there are; results come out in input order, one per allele (scored or skipped).

    Parameters
    ----------
    model
        Maps one-hot DNA ``(B, 4, length)`` (channels A, C, G, T) to raw outputs
        ``(B, T)`` (logits for probability tasks), or ``(B, T, n_bins)`` (a track
        model: scored by SAD, see the module documentation).
    genome
        Reference (:class:`biodl.io.Genome`, an open ``pyfaidx.Fasta`` or
        ``pysam.FastaFile``, or anything with ``chrom_sizes`` and ``fetch``); read
        through a :class:`~biodl.variants.windows.BlockCache`.
    variants
        Alleles (:func:`biodl.variants.records.read_variants`), 1-based positions, or a
        pandas DataFrame with the columns chrom, pos, ref, alt[, id]
        (:func:`biodl.variants.records.variants_from_table`).
    length
        Model input length ``L``; windows follow :mod:`biodl.variants.windows`.
    task
        How raw outputs become scores: a :class:`~biodl.tasks.Task` (a run's, from
        :func:`biodl.tasks.task_from_meta`) or a task name (see
        :func:`outputs_from_logits`).
    unknown
        Encoding of ``N`` (padding past chromosome ends, N in the genome or alleles):
        ``zero`` or ``uniform``, as the model was trained.
    strands
        ``forward``, or ``both``: average the raw outputs of each window and its
        reverse complement.
    ref_mismatch
        A REF allele that differs from the genome (an ``N`` in REF or in the genome
        matches any base; an allele running past the chromosome end never matches):
        ``error`` raises :class:`~biodl.errors.InputError` naming the record and both
        sequences; ``skip`` reports it as skipped (``ref_mismatch``); ``warn`` warns
        and scores the ALT allele as a replacement of the genome's bases over REF's span.
    batch_size
        Windows per forward pass (results do not depend on it).
    chunk_size
        Alleles read, encoded and scored together.
    device
        Where the model runs; default CUDA when available.
    workers
        Threads that one-hot encode upcoming chunks while the model scores the current
        one (``0``: encode in line). Results do not depend on it.
    ism_window
        If positive, also compute an in-silico mutagenesis map of this many positions
        around the anchor of the REF window (:func:`ism_positions`), on raw outputs.
    source
        File name used in error and warning messages.
    sad_bins
        Track models: sum the SAD over this many bins centred on the variant
        (:func:`sad_bins_slice`); ``None``: over all bins.

    Yields
    ------
    VariantScore
        One per input allele, in input order.

    Raises
    ------
    InputError
        A REF mismatch under ``ref_mismatch="error"``, a bad ``sad_bins``, or an ISM
        map asked of a track model.
    """
    if batch_size < 1 or chunk_size < 1 or workers < 0:
        msg = "batch_size and chunk_size must be at least 1 and workers at least 0"
        raise InputError(msg)
    if hasattr(variants, "columns") or isinstance(variants, Mapping):  # a DataFrame
        variants = (v for _, alleles in variants_from_table(variants) for v in alleles)
    if not (hasattr(genome, "chrom_sizes") and callable(getattr(genome, "fetch", None))):
        genome = FastaReference(genome)  # an open pyfaidx.Fasta or pysam.FastaFile
    scorer = _Scorer(
        model,
        genome,
        length=length,
        task=task,
        unknown=unknown,
        strands=strands,
        ref_mismatch=ref_mismatch,
        batch_size=batch_size,
        device=device,
        ism_window=ism_window,
        source=source,
        sad_bins=sad_bins,
    )
    chunks = (scorer.prepare(c) for c in _chunks(variants, chunk_size))
    if workers == 0:
        for chunk in chunks:
            yield from scorer.finish(scorer.encode(chunk))
        return
    pending: deque[Future[_Chunk]] = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for chunk in chunks:
                pending.append(pool.submit(scorer.encode, chunk))
                if len(pending) > workers:
                    yield from scorer.finish(pending.popleft().result())
            while pending:
                yield from scorer.finish(pending.popleft().result())
        finally:
            for fut in pending:
                fut.cancel()
