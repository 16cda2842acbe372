"""``biodl score-variants``: variant effects from a VCF/BCF (or TSV) with a trained run.

Streams records from the input, scores each ALT allele with
:func:`biodl.variants.score_variants` and writes the input VCF with ``BIODL_*`` INFO
fields (:class:`biodl.variants.VcfWriter`; another prefix with ``prefix``, so several
models can score one VCF) and, optionally, a TSV of every allele. Outputs are named by
:attr:`biodl.tasks.Task.names` (runs written before names were recorded: their outputs).
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from biodl.errors import InputError
from biodl.io.atomic import OutputError, check_output_path
from biodl.runs import Run, file_checksum, load_run
from biodl.tasks import Task, task_from_meta
from biodl.variants.records import (
    Variant,
    iter_records,
    sniff_variant_format,
    variants_from_table,
    vcf_header,
)
from biodl.variants.reference import open_reference
from biodl.variants.scoring import RefMismatch, Strands, VariantScore, score_variants
from biodl.variants.writers import (
    DEFAULT_PREFIX,
    TsvWriter,
    VcfWriter,
    check_prefix,
    tsv_cells,
    tsv_header,
)
from biodl.workflows.prediction import _pandas, _run_files
from biodl.workflows.results import VariantScoringResult

__all__ = [
    "VariantScoringSummary",
    "default_strands",
    "score_variants_frame",
    "score_vcf",
    "score_vcf_summary",
]


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

    def result(self) -> VariantScoringResult:
        """The counts, frozen, as :func:`score_vcf` returns them."""
        return VariantScoringResult(
            out=self.vcf,
            tsv=self.tsv,
            index=self.index,
            records=self.records,
            alleles=self.alleles,
            scored=self.scored,
            skipped=dict(self.skipped),
            ref_mismatch_scored=self.ref_mismatch_scored,
            strands=self.strands,
        )

    def text(self) -> str:
        """A few human-readable lines (see :meth:`VariantScoringResult.text`)."""
        return self.result().text()


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
    task = task_from_meta(meta)
    # a track model's scores are sums over bins (SAD): values, not probabilities
    return task, list(task.names), task.probabilistic and not meta.get("per_position")


def _track_options(
    meta: dict[str, Any], *, ism_window: int, sad_bins: int | None, path: Path
) -> str:
    """Refuse options that do not fit the run; the scoring note of a track model."""
    if not meta.get("per_position"):
        if sad_bins is not None:
            raise InputError(
                "--sad-bins is for track models (per-position runs); this run gives one "
                "value per output",
                path=path / "model.json",
            )
        return ""
    if ism_window:
        raise InputError(
            "--ism-window needs a model with one value per output, not a track model",
            path=path / "model.json",
        )
    if sad_bins is not None and sad_bins < 1:
        raise InputError(f"--sad-bins must be at least 1, not {sad_bins}")
    return f";track_score=SAD;sad_bins={'all' if sad_bins is None else sad_bins}"


def _scale(meta: dict[str, Any], sad_bins: int | None) -> str | None:
    """The VCF descriptions' words for a track model's values."""
    if not meta.get("per_position"):
        return None
    bins = "all bins" if sad_bins is None else f"the {sad_bins} bins around the variant"
    return f"sum over {bins} (SAD for DIFF) of the values"


def _check_outputs(
    model_dir: str | os.PathLike[str],
    genome: str | os.PathLike[str] | Any,
    vcf: str | os.PathLike[str],
    out: str | os.PathLike[str],
    tsv: str | os.PathLike[str] | None,
) -> tuple[Path, Path | None]:
    """``--out`` and ``--tsv`` checked before any work: writable, not a folder, not an
    input (the VCF, the genome and its indexes, the run's files), not the same file."""
    inputs: list[Any] = [vcf, *_run_files(model_dir)]
    if isinstance(genome, str | os.PathLike):
        inputs += [genome, f"{genome}.fai", f"{genome}.gzi"]
    inputs += [f"{vcf}.tbi", f"{vcf}.csi"]
    out_path = check_output_path(out, inputs=inputs, what="--out")
    if tsv is None:
        return out_path, None
    tsv_path = Path(tsv)
    if tsv_path.absolute() == out_path.absolute():
        raise OutputError("--tsv is the same file as --out; choose another", path=tsv_path)
    return out_path, check_output_path(tsv_path, inputs=inputs, what="--tsv")


def score_vcf(
    model_dir: str | os.PathLike[str],
    genome: str | os.PathLike[str] | Any,
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
    prefix: str = DEFAULT_PREFIX,
    sad_bins: int | None = None,
) -> VariantScoringResult:
    """Score every ALT allele of a VCF/BCF (or TSV) with a trained DNA model.

    See :func:`score_vcf_summary` for the parameters.

    Returns
    -------
    VariantScoringResult
        Paths written (``out`` the VCF, path-like) and counts (records, alleles,
        scored, skipped by reason).
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
        prefix=prefix,
        sad_bins=sad_bins,
    ).result()


def score_vcf_summary(
    model_dir: str | os.PathLike[str],
    genome: str | os.PathLike[str] | Any,
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
    prefix: str = DEFAULT_PREFIX,
    sad_bins: int | None = None,
) -> VariantScoringSummary:
    """Score every ALT allele of a VCF/BCF (or TSV) with a trained DNA model, streamed.

    Parameters
    ----------
    model_dir
        Run directory: a one-hot DNA model with one value per output, or a track model
        (per-position run, outputs per bin), scored by SAD: per output, ``REF`` and
        ``ALT`` are the sums of the values over the bins and ``DIFF`` their difference
        (:mod:`biodl.variants.scoring`).
    genome
        Reference FASTA (plain, or bgzip with ``.fai``/``.gzi``; indexed if needed), or
        one already open: a :class:`biodl.io.Genome`, ``pyfaidx.Fasta`` or
        ``pysam.FastaFile`` (:func:`biodl.variants.open_reference`).
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
    prefix
        Prefix of the INFO fields (``BIODL``: ``BIODL_DIFF_<output>``, ...): another
        one lets a second model score the output of a first into the same VCF. An
        input that already has a field of the same name is refused before any work.
    sad_bins
        Track models: sum over this many bins centred on the variant (default all).

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

    if ism_window and tsv is None:
        raise InputError("--ism-window writes the ISM maps to the TSV: give --tsv too")
    check_prefix(prefix)
    out_path, tsv_path = _check_outputs(model_dir, genome, vcf, out, tsv)
    run = load_run(model_dir)
    task, outputs, probabilities = _check_model(run.meta, Path(model_dir))
    track = _track_options(run.meta, ism_window=ism_window, sad_bins=sad_bins, path=run.path)
    chosen: Strands = strands if strands is not None else default_strands(run.meta)
    checksum = file_checksum(Path(model_dir) / "model.safetensors")["sha256"]
    meta = {
        "biodl_version": __version__,
        "biodl_command": command or "biodl.workflows.score_vcf",
        "biodl_model": f"{Path(model_dir).resolve()};sha256={checksum}",
        "biodl_genome": _genome_name(genome),
        "biodl_scoring": (
            f"input_length={run.input_length};anchor=L//2 (0-based);strands={chosen};"
            f"task={task.name};ref_mismatch={ref_mismatch};info_prefix={prefix}{track}"
        ),
    }
    architecture = run.meta.get("architecture") or {}
    model = f"{architecture.get('name', 'model')} run {Path(model_dir).resolve()}"
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

    with open_reference(genome) as ref:
        writer = VcfWriter(
            out_path,
            header,
            outputs,
            probabilities=probabilities,
            genome=ref,
            meta=meta,
            drop_skipped=drop_skipped,
            prefix=prefix,
            model=model,
            scale=_scale(run.meta, sad_bins),
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
                sad_bins=sad_bins,
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


def _genome_name(genome: Any) -> str:
    """The genome as ``##biodl_genome`` records it: the resolved path of its FASTA."""
    if isinstance(genome, str | os.PathLike):
        return str(Path(genome).resolve())
    name = getattr(genome, "path", None) or getattr(genome, "filename", None) or "genome"
    if isinstance(name, bytes):
        name = name.decode()
    return str(Path(str(name)).resolve()) if name != "genome" else name


def score_variants_frame(
    run: str | os.PathLike[str] | Run,
    genome: str | os.PathLike[str] | Any,
    variants: Any,
    *,
    ref_mismatch: RefMismatch = "error",
    strands: Strands | None = None,
    batch_size: int = 256,
    device: str | None = None,
    ism_window: int = 0,
    sad_bins: int | None = None,
) -> Any:
    """Score every ALT allele of a variant table in memory (or a VCF/BCF/TSV file) with a
    trained DNA model; a pandas DataFrame with :func:`score_vcf`'s ``--tsv`` columns.

    Parameters
    ----------
    run
        A run directory or a loaded :class:`~biodl.runs.Run`.
    genome
        A reference FASTA path, or an open :class:`biodl.io.Genome`, ``pyfaidx.Fasta``
        or ``pysam.FastaFile``.
    variants
        A pandas DataFrame (or a mapping of columns) with ``chrom``, ``pos`` (1-based),
        ``ref``, ``alt`` and optionally ``id``, or a VCF/BCF/TSV path.
    ref_mismatch, strands, batch_size, device, ism_window, sad_bins
        As :func:`score_vcf_summary`.

    Returns
    -------
    pandas.DataFrame
        One row per allele (:func:`biodl.variants.tsv_header`): ``chrom``, ``pos``,
        ``id``, ``ref``, ``alt``, the normalised allele, ``status``, ``reason`` and per
        output ``ref_<o>``, ``alt_<o>``, ``diff_<o>`` (and ``lor_<o>`` for
        probabilities) as ``float64``, NaN where an allele was skipped.

    Raises
    ------
    InputError
        A column missing, a bad position, a model that cannot score variants, a REF
        mismatch under ``ref_mismatch="error"``.
    """
    pd = _pandas()
    loaded = run if isinstance(run, Run) else load_run(run)
    task, outputs, probabilities = _check_model(loaded.meta, Path(loaded.path))
    _track_options(loaded.meta, ism_window=ism_window, sad_bins=sad_bins, path=loaded.path)
    chosen: Strands = strands if strands is not None else default_strands(loaded.meta)
    if isinstance(variants, str | os.PathLike):
        records = iter_records(variants)
        source: str | os.PathLike[str] | None = variants
    else:
        records = variants_from_table(variants)
        source = None
    alleles = (v for _, vs in records for v in vs)
    with open_reference(genome) as ref:
        rows = [
            tsv_cells(score, len(outputs), probabilities=probabilities, ism=ism_window > 0)
            for score in score_variants(
                loaded.model,
                ref,
                alleles,
                length=loaded.input_length,
                task=task,
                unknown=loaded.unknown,
                strands=chosen,
                ref_mismatch=ref_mismatch,
                batch_size=batch_size,
                device=device,
                ism_window=ism_window,
                source=source,
                sad_bins=sad_bins,
            )
        ]
    header = tsv_header(outputs, probabilities=probabilities, ism=ism_window > 0)
    frame = pd.DataFrame(rows, columns=header)
    text = {"chrom", "id", "ref", "alt", "norm_ref", "norm_alt", "status", "reason"}
    for column in header:
        if column not in text and not column.startswith("ism_"):
            frame[column] = pd.to_numeric(frame[column].replace({"NA": None, "": None}))
    return frame
