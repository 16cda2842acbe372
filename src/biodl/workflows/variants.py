"""``biodl score-variants``: variant effects from a VCF/BCF (or TSV) with a trained run.

Streams records from the input, scores each ALT allele with
:func:`biodl.variants.score_variants` and writes the input VCF with ``BIODL_*`` INFO
fields (:class:`biodl.variants.VcfWriter`) and, optionally, a TSV of every allele.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from biodl.errors import InputError
from biodl.io import Genome
from biodl.train import file_checksum, load_run
from biodl.variants.records import Variant, iter_records, sniff_variant_format, vcf_header
from biodl.variants.scoring import RefMismatch, Strands, Task, VariantScore, score_variants
from biodl.variants.writers import TsvWriter, VcfWriter
from biodl.workflows._common import _Labels

__all__ = ["VariantScoringSummary", "default_strands", "score_vcf", "score_vcf_summary"]


@dataclass
class VariantScoringSummary:
    """What :func:`score_vcf_summary` wrote and counted."""

    vcf: Path
    tsv: Path | None = None
    index: Path | None = None
    records: int = 0
    alleles: int = 0
    scored: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    ref_mismatch_scored: int = 0
    strands: str = "forward"

    def text(self) -> str:
        """A few human-readable lines."""
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) or "none"
        counts = (
            f"records: {self.records}, alleles: {self.alleles}, scored: {self.scored}, "
            f"skipped: {sum(self.skipped.values())} ({reasons})"
        )
        lines = [
            counts,
            f"strands: {self.strands}",
            f"vcf: {self.vcf}" + (f" (index {self.index})" if self.index else ""),
        ]
        if self.ref_mismatch_scored:
            lines.append(f"scored despite a REF mismatch (warned): {self.ref_mismatch_scored}")
        if self.tsv is not None:
            lines.append(f"tsv: {self.tsv}")
        return "\n".join(lines)


def default_strands(meta: dict[str, Any]) -> Strands:
    """``both`` when the run was trained with reverse-complement augmentation, else ``forward``.

    (A model that combines both strands itself, such as ``deepbind`` with ``strands:
    max``, is already strand-symmetric: ``forward`` gives the same scores.)

    Examples
    --------
    >>> default_strands({"augment": {"reverse_complement": True}}), default_strands({})
    ('both', 'forward')
    """
    augment = meta.get("augment") or {}
    return "both" if isinstance(augment, dict) and augment.get("reverse_complement") else "forward"


def _check_model(meta: dict[str, Any], path: Path) -> tuple[Task, list[str], bool]:
    where = path / "model.json"
    if meta.get("alphabet") != "dna" or int(meta.get("n_channels", 0)) != 4:
        raise InputError("variant scoring needs a DNA model (4-channel one-hot input)", path=where)
    if meta.get("encoding", "onehot") not in ("onehot", None):
        raise InputError(
            f"variant scoring needs a one-hot model, not encoding {meta.get('encoding')!r}",
            path=where,
        )
    if meta.get("per_position"):
        raise InputError("variant scoring does not support per-position models yet", path=where)
    labels = _Labels.of_run(meta)
    task: Task = labels.task  # type: ignore[assignment]
    outputs = [labels.positive] if task == "binary" else list(labels.classes)
    return task, outputs, task != "regression"


def _check_out(path: Path) -> None:
    if not path.parent.is_dir():
        raise InputError("the folder of the output file does not exist", path=path)
    if path.is_dir():
        raise InputError("output is a folder, not a file", path=path)


def score_vcf(
    model_dir: str | os.PathLike[str],
    genome: str | os.PathLike[str],
    vcf: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    tsv: str | os.PathLike[str] | None = None,
    ref_mismatch: RefMismatch = "error",
    strands: Strands | None = None,
    batch_size: int = 256,
    chunk_size: int = 4096,
    device: str | None = None,
    workers: int = 0,
    ism_window: int = 0,
    drop_skipped: bool = False,
    command: str | None = None,
) -> Path:
    """Score every ALT allele of a VCF/BCF (or TSV) with a trained DNA model.

    See :func:`score_vcf_summary` (same parameters), which also returns counts.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    return score_vcf_summary(
        model_dir,
        genome,
        vcf,
        out,
        tsv=tsv,
        ref_mismatch=ref_mismatch,
        strands=strands,
        batch_size=batch_size,
        chunk_size=chunk_size,
        device=device,
        workers=workers,
        ism_window=ism_window,
        drop_skipped=drop_skipped,
        command=command,
    ).vcf


def score_vcf_summary(
    model_dir: str | os.PathLike[str],
    genome: str | os.PathLike[str],
    vcf: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    tsv: str | os.PathLike[str] | None = None,
    ref_mismatch: RefMismatch = "error",
    strands: Strands | None = None,
    batch_size: int = 256,
    chunk_size: int = 4096,
    device: str | None = None,
    workers: int = 0,
    ism_window: int = 0,
    drop_skipped: bool = False,
    command: str | None = None,
) -> VariantScoringSummary:
    """Score every ALT allele of a VCF/BCF (or TSV) with a trained DNA model, streamed.

    Parameters
    ----------
    model_dir
        Run directory (one-hot DNA model with one value per output).
    genome
        Reference FASTA (plain, or bgzip with ``.fai``/``.gzi``; indexed if needed).
    vcf
        VCF/BCF (plain, bgzip; by content) or TSV (chrom, pos, ref, alt[, id]).
    out
        Output VCF: bgzip-compressed (then tabix-indexed when sorted) if the name ends
        in ``.gz`` or ``.bgz``, else plain text. BCF input gives VCF output.
    tsv
        Also write one row per allele here (see :func:`biodl.variants.tsv_header`).
    ref_mismatch
        ``error`` (default), ``skip`` or ``warn`` (see :func:`biodl.variants.score_variants`).
    strands
        ``forward`` or ``both``; default :func:`default_strands` of the run.
    batch_size, chunk_size, device, workers
        Forward-pass batch, alleles per streamed chunk, device, encoding threads.
    ism_window
        ISM map of this many positions around each site (written to the TSV; needs ``tsv``).
    drop_skipped
        Leave out of the VCF the records none of whose alleles was scored.
    command
        Command line written to ``##biodl_command``.

    Returns
    -------
    VariantScoringSummary
        Paths written and counts (records, alleles, scored, skipped by reason).

    Raises
    ------
    InputError
        Missing or malformed inputs, a model that cannot score variants, a REF
        mismatch under ``ref_mismatch="error"``.
    """
    from biodl import __version__

    run = load_run(model_dir)
    task, outputs, probabilities = _check_model(run.meta, Path(model_dir))
    if ism_window and tsv is None:
        raise InputError("--ism-window writes the ISM maps to the TSV: give --tsv too")
    out_path, tsv_path = Path(out), None if tsv is None else Path(tsv)
    _check_out(out_path)
    if tsv_path is not None:
        _check_out(tsv_path)
    chosen: Strands = strands if strands is not None else default_strands(run.meta)
    checksum = file_checksum(Path(model_dir) / "model.safetensors")["sha256"]
    meta = {
        "biodl_version": __version__,
        "biodl_command": command or "biodl.workflows.score_vcf",
        "biodl_model": f"{Path(model_dir).resolve()};sha256={checksum}",
        "biodl_genome": str(Path(genome).resolve()),
        "biodl_scoring": (
            f"input_length={run.input_length};anchor=L//2 (0-based);strands={chosen};"
            f"task={task};ref_mismatch={ref_mismatch}"
        ),
    }
    summary = VariantScoringSummary(vcf=out_path, tsv=tsv_path, strands=chosen)
    fmt = sniff_variant_format(vcf)
    header = vcf_header(vcf) if fmt != "tsv" else None
    records = iter_records(vcf, fmt=fmt)
    pending: deque[tuple[str | None, list[Variant]]] = deque()

    def flat() -> Iterator[Variant]:
        for item in records:
            pending.append(item)
            summary.records += 1
            yield from item[1]

    with Genome(genome, read_ahead=None) as ref:
        writer = VcfWriter(
            out_path,
            header,
            outputs,
            probabilities=probabilities,
            genome=ref,
            meta=meta,
            drop_skipped=drop_skipped,
        )
        table = (
            TsvWriter(tsv_path, outputs, probabilities=probabilities, ism=ism_window > 0)
            if tsv_path is not None
            else None
        )
        try:
            done: list[VariantScore] = []
            for score in score_variants(
                run.model,
                ref,
                flat(),
                length=run.input_length,
                task=task,
                unknown=run.unknown,
                strands=chosen,
                ref_mismatch=ref_mismatch,
                batch_size=batch_size,
                chunk_size=chunk_size,
                device=device,
                workers=workers,
                ism_window=ism_window,
                source=vcf,
            ):
                _count(summary, score)
                if table is not None:
                    table.write(score)
                done.append(score)
                record, alleles = pending[0]
                if len(done) == len(alleles):
                    writer.write(record, done)
                    pending.popleft()
                    done = []
        except BaseException:
            writer.abort()
            if table is not None:
                table.abort()
            raise
        if summary.records == 0 and fmt == "tsv":
            writer.abort()
            if table is not None:
                table.abort()
            raise InputError("no variant records", path=vcf)
        writer.close()
        summary.index = writer.indexed
        if table is not None:
            table.close()
    return summary


def _count(summary: VariantScoringSummary, score: VariantScore) -> None:
    summary.alleles += 1
    if score.status == "scored":
        summary.scored += 1
        if score.reason == "ref_mismatch":
            summary.ref_mismatch_scored += 1
    else:
        summary.skipped[score.reason] += 1
