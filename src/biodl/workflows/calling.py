"""``biodl call-variants``: genotype candidate variants from reads with a pileup model;
``biodl evaluate-calls``: compare a VCF of calls with a truth set, hap.py-style."""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pysam
import torch

from biodl.data.pileup import (
    GENOTYPE_CLASSES,
    Candidate,
    CandidateOptions,
    find_candidates,
    iter_pileups,
    parse_region,
    read_regions,
)
from biodl.errors import InputError
from biodl.io.atomic import check_output_dir, check_output_path
from biodl.io.reads import ReadFilter, open_alignments
from biodl.io.reference import open_reference
from biodl.models import predict
from biodl.progress import step
from biodl.runs import Run, load_run
from biodl.variants.calls import GenotypeCall, write_calls
from biodl.variants.evaluation import CallEvaluation, evaluate_calls, write_evaluation
from biodl.workflows.prediction import _run_files
from biodl.workflows.results import _Written

__all__ = ["CallEvaluationResult", "CallingResult", "call_variants", "evaluate_call_file"]


@dataclass(frozen=True)
class CallingResult(_Written):
    """What :func:`call_variants` wrote and counted.

    Attributes
    ----------
    out
        The VCF of calls (``.vcf.gz``: bgzipped, with ``index``).
    index
        Its tabix index, when one was written.
    candidates
        Candidate alleles genotyped.
    calls
        Non-reference calls written (0/0 calls are not).
    by_genotype
        Candidates per called genotype (``hom_ref``, ``het``, ``hom_alt``).
    seconds
        Wall time of candidate search, pileups and scoring.
    bases
        Reference bases searched.
    """

    index: Path | None = None
    candidates: int = 0
    calls: int = 0
    by_genotype: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    bases: int = 0


@dataclass(frozen=True)
class CallEvaluationResult(_Written):
    """What :func:`evaluate_call_file` wrote (``out``: the folder) and measured."""

    evaluation: CallEvaluation | None = None
    files: dict[str, Path] = field(default_factory=dict)


def _candidate_options(run: Run) -> tuple[CandidateOptions, ReadFilter, int, int]:
    """The candidate thresholds, read filter and pileup size the run was trained with."""
    block = run.meta.get("pileup") or {}
    options = CandidateOptions(
        min_alt_reads=int(block.get("min_alt_reads", 2)),
        min_snv_fraction=float(block.get("min_snv_fraction", 0.12)),
        min_indel_fraction=float(block.get("min_indel_fraction", 0.06)),
        min_base_quality=int(block.get("min_base_quality", 10)),
        max_indel_length=int(block.get("max_indel_length", 50)),
    )
    reads = ReadFilter(min_mapping_quality=int(block.get("min_mapping_quality", 5)))
    layout = run.meta.get("layout") or {}
    return options, reads, int(layout["pileup_height"]), int(layout["pileup_width"])


def _genotype_columns(run: Run) -> list[int]:
    """Index of the run's output for ``hom_ref``, ``het`` and ``hom_alt`` (in that order)."""
    classes = [str(c) for c in (run.meta.get("labels") or {}).get("classes") or []]
    if sorted(classes) != sorted(GENOTYPE_CLASSES):
        raise InputError(
            f"a variant-calling run has the classes {', '.join(GENOTYPE_CLASSES)}, not "
            f"{', '.join(classes) or 'none'}",
            path=run.path / "model.json",
        )
    return [classes.index(c) for c in GENOTYPE_CLASSES]


def _sample_name(path: Path) -> str:
    """The ``SM`` of the BAM's first read group, else ``SAMPLE``."""
    try:
        with pysam.AlignmentFile(os.fspath(path)) as handle:
            groups = handle.header.to_dict().get("RG") or []
    except (OSError, ValueError):
        return "SAMPLE"
    names = [str(g.get("SM")) for g in groups if g.get("SM")]
    return names[0] if names else "SAMPLE"


def _regions(regions: str | os.PathLike[str] | Sequence[str] | None) -> Any:
    """A BED path, a list of ``chrom:start-end`` strings, or None (every contig)."""
    if regions is None or isinstance(regions, str | os.PathLike):
        if isinstance(regions, str) and ":" in regions and not Path(regions).exists():
            return [parse_region(regions)]
        return regions
    return [parse_region(text) for text in regions]


def call_variants(
    model_dir: str | os.PathLike[str],
    bam: str | os.PathLike[str],
    genome: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    regions: str | os.PathLike[str] | Sequence[str] | None = None,
    sample: str | None = None,
    batch_size: int = 256,
    device: str | None = None,
    seed: int = 0,
    min_qual: float = 1.0,
) -> CallingResult:
    """Genotype the candidate variants of a BAM with a trained pileup model.

    Candidates are searched (in ``regions``: a BED file or ``chrom:start-end`` strings,
    1-based inclusive; default every contig the reads and the genome share) and turned
    into pileups with the thresholds, read filter and pileup size the run was trained
    with (``model.json``'s ``pileup`` block; :mod:`biodl.data.pileup`). Each candidate
    allele's genotype probabilities (hom-ref, het, hom-alt; the run's calibration
    temperature applied when it has one) give its call, GQ, QUAL and PL
    (:class:`biodl.variants.calls.GenotypeCall`); the non-reference calls are written to
    ``out`` (a sorted VCF 4.2, bgzipped and tabix-indexed for ``.vcf.gz``, written
    atomically) with the provenance lines of ``score-variants`` (command, model and its
    checksum, genome) and the calling settings; a call of QUAL below ``min_qual`` (1, as
    DeepVariant's ``--qual_filter``) is marked ``LowQual``. Two ALT alleles at one
    position are two records, each genotyped on its own.

    Raises
    ------
    InputError
        A run that is not a variant-calling run, a BAM without index, contig names that
        cannot be matched between the reads and the genome, bad regions.
    """
    out_path = check_output_path(out, inputs=_run_files(model_dir, bam, genome), what="--out")
    if batch_size < 1:
        raise InputError("--batch-size must be at least 1")
    run = load_run(model_dir)
    if not run.is_pileup:
        raise InputError(
            "this model does not genotype read pileups (train one on a 'reads:' source)",
            path=Path(model_dir) / "model.json",
        )
    options, read_filter, height, width = _candidate_options(run)
    columns = _genotype_columns(run)
    temperature = run.temperature
    start = time.perf_counter()
    calls: list[GenotypeCall] = []
    counts = dict.fromkeys(GENOTYPE_CLASSES, 0)
    with open_reference(genome) as ref:
        contigs = dict(ref.chrom_sizes) if hasattr(ref, "chrom_sizes") else {}
        with open_alignments(
            bam, genome_contigs=contigs, genome_name=genome, read_filter=read_filter
        ) as alignments:
            wanted = _regions(regions)
            searched = (
                read_regions(wanted, ref)
                if wanted is not None
                else [(c, 0, n) for c, n in contigs.items() if c in alignments.contigs]
            )
            with step("candidate variants"):
                candidates = find_candidates(alignments, ref, regions=searched, options=options)
            with step(f"genotyping {len(candidates)} candidates"):
                for cands, probs in _scored(
                    run,
                    alignments,
                    ref,
                    candidates,
                    options=options,
                    temperature=temperature,
                    height=height,
                    width=width,
                    batch_size=batch_size,
                    device=device,
                    seed=seed,
                ):
                    for cand, p in zip(cands, probs, strict=True):
                        g = p[columns]  # hom_ref, het, hom_alt: VCF's 0/0, 0/1, 1/1
                        call = GenotypeCall.from_probabilities(
                            cand.chrom,
                            cand.pos,
                            cand.ref,
                            (cand.alt,),
                            tuple(float(v) for v in g / g.sum()),
                            depth=cand.depth,
                            allele_depths=(max(cand.depth - cand.alt_reads, 0), cand.alt_reads),
                        )
                        counts[GENOTYPE_CLASSES[int(np.argmax(g))]] += 1
                        calls.append(call)
    seconds = time.perf_counter() - start
    bases = sum(end - begin for _, begin, end in searched)
    settings = {
        "min_alt_reads": options.min_alt_reads,
        "min_snv_fraction": options.min_snv_fraction,
        "min_indel_fraction": options.min_indel_fraction,
        "min_base_quality": options.min_base_quality,
        "min_mapping_quality": read_filter.min_mapping_quality,
        "pileup": f"{height}x{width}",
        "temperature": temperature,
        "min_qual": min_qual,
    }
    written = write_calls(
        out_path,
        calls,
        reference=genome,
        sample=sample or _sample_name(Path(bam)),
        command=shlex.join(["biodl", *sys.argv[1:]]) if sys.argv else None,
        model=model_dir,
        settings=settings,
        min_qual=min_qual,
    )
    return CallingResult(
        out=out_path,
        index=written.index,
        candidates=len(candidates),
        calls=written.records,
        by_genotype=counts,
        seconds=seconds,
        bases=bases,
    )


def _scored(
    run: Run,
    alignments: Any,
    genome: Any,
    candidates: Sequence[Candidate],
    *,
    options: CandidateOptions,
    temperature: float,
    height: int,
    width: int,
    batch_size: int,
    device: str | None,
    seed: int,
) -> Iterator[tuple[Sequence[Candidate], np.ndarray]]:
    """``(candidates, probabilities (n, classes))`` batch by batch, the logits divided
    by the run's calibration ``temperature``."""
    offset = 0
    for batch in iter_pileups(
        alignments,
        genome,
        candidates,
        height=height,
        width=width,
        seed=seed,
        batch_size=batch_size,
        options=options,
    ):
        n = len(batch)
        flat = np.ascontiguousarray(batch.reshape(n, batch.shape[1], height * width))
        logits = predict(run.model, flat, batch_size=batch_size, device=device)
        probs = torch.softmax(logits / temperature, dim=1).numpy().astype(np.float64)
        yield candidates[offset : offset + n], probs
        offset += n


def evaluate_call_file(
    calls: str | os.PathLike[str],
    truth: str | os.PathLike[str],
    genome: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    confident: str | os.PathLike[str] | None = None,
    sample: str | None = None,
    truth_sample: str | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    force: bool = False,
) -> CallEvaluationResult:
    """Compare a VCF of calls (any caller's) with a truth VCF inside confident regions
    (:func:`biodl.variants.evaluation.evaluate_calls`: normalised allele and genotype
    matches, SNVs and indels apart, bootstrap intervals) and write ``evaluation.json``,
    ``evaluation.tsv``, ``fp.tsv`` and ``fn.tsv`` into the folder ``out`` (staged and
    renamed)."""
    from biodl.io.atomic import staged_dir

    out_path = Path(out)
    inputs = [Path(calls), Path(truth), Path(genome)] + (
        [Path(confident)] if confident is not None else []
    )
    check_output_dir(out_path, force=force, inputs=inputs)
    result = evaluate_calls(
        calls,
        truth,
        confident,
        genome,
        sample=sample,
        truth_sample=truth_sample,
        n_bootstrap=n_bootstrap,
        seed=seed,
    )
    with staged_dir(out_path, force=force, inputs=inputs) as partial:
        files = write_evaluation(result, partial)
    final = {k: out_path / Path(v).name for k, v in files.items()}
    return CallEvaluationResult(out=out_path, evaluation=result, files=final)
