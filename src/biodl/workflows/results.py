"""What the workflows return: one frozen result object per job.

Each workflow of :mod:`biodl.workflows` writes its files and returns one of these, built
from what it computed (nothing is read back from disk), so that the command line and a
Python caller print or use the numbers directly. Every result names its output as
``out``; it is also path-like (``os.fspath(result)`` and ``result / "name"`` give the
output path), so code written when the workflows returned a :class:`~pathlib.Path`
keeps working (``str(result)`` is the path too; ``repr`` shows every field).

Examples
--------
>>> from pathlib import Path
>>> r = EvaluationResult(out=Path("runs/a/evaluation"), metrics={"test": {}})
>>> (r / "metrics.json").as_posix()
'runs/a/evaluation/metrics.json'
>>> Path(r).name
'evaluation'
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from biodl.assess import Assessment

__all__ = [
    "AssessmentResult",
    "CrossValidationResult",
    "EvaluationResult",
    "ExplainResult",
    "PredictionResult",
    "TrainResult",
    "TuneResult",
    "VariantScoringResult",
]


@dataclass(frozen=True)
class _Written:
    """A result whose output is the file or folder ``out`` (path-like)."""

    out: Path

    def __fspath__(self) -> str:
        return os.fspath(self.out)

    def __str__(self) -> str:
        return os.fspath(self.out)

    def __truediv__(self, name: str | os.PathLike[str]) -> Path:
        return self.out / name


@dataclass(frozen=True)
class TrainResult(_Written):
    """What :func:`biodl.workflows.train_run` wrote and measured.

    Attributes
    ----------
    out
        The run directory.
    metrics
        ``{split: {metric: {"value": v, "ci": [lo, hi]}}}`` as in ``metrics.json``
        (empty on a non-zero rank of a distributed run, which writes nothing).
    notes
        Lines on how the data were split (homology-aware splits, dropped classes).
    meta
        The content of ``model.json`` (empty on a non-zero rank).
    """

    metrics: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TuneResult(_Written):
    """What :func:`biodl.workflows.tune_run` wrote and found.

    Attributes
    ----------
    out
        The search folder: ``study.db`` (unless ``--storage`` named another database),
        ``trials.tsv``, ``trials.png``, ``best_config.yaml`` and the run ``best/``.
    metric, direction
        The validation metric the search optimised and ``maximize``/``minimize``.
    best
        The best model retrained as a normal run (``out/best``).
    tuning
        The ``tuning`` block of ``best/model.json``: study name, storage, trial
        counts, the best trial's number, value and options, and the space searched.
    trials
        One row per trial of the study: ``number``, ``state``, ``value``, ``params``,
        ``duration_s``.
    """

    metric: str = ""
    direction: str = "maximize"
    best: TrainResult | None = None
    tuning: Mapping[str, Any] = field(default_factory=dict)
    trials: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class EvaluationResult(_Written):
    """What :func:`biodl.workflows.evaluate_run` wrote and measured.

    Attributes
    ----------
    out
        The evaluation folder.
    metrics
        ``{split: {metric: {"value": v, "ci": [lo, hi]}}}`` as in its ``metrics.json``.
    """

    metrics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CrossValidationResult(_Written):
    """What :func:`biodl.workflows.cross_validate` wrote and measured.

    Attributes
    ----------
    out
        The cross-validation folder (``fold_<k>/`` run directories and ``cv.json``).
    cv
        The content of ``cv.json``: ``folds``, ``deduplication``, ``dropped_classes``,
        ``homology``, ``per_fold`` (test metrics of each fold) and ``summary`` (mean and
        sample SD of each metric).
    """

    cv: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PredictionResult(_Written):
    """What :func:`biodl.workflows.predict_file` wrote.

    The predictions are streamed to ``out`` (memory does not grow with the input);
    :meth:`table` reads them back as columns.

    Attributes
    ----------
    out
        The predictions TSV.
    n_sequences
        Number of sequences scored (rows of ``out`` below its header).
    """

    n_sequences: int = 0

    def table(self) -> dict[str, np.ndarray]:
        """The predictions as columns: ``id`` (strings) and one array per other column.

        Numeric columns are ``float64`` arrays; others (``predicted``, per-position
        values written as comma-separated cells) are arrays of strings.

        Examples
        --------
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "p.tsv"
        >>> _ = p.write_text("id\\tscore\\tlogit\\na\\t0.5\\t0\\n")
        >>> t = PredictionResult(out=p, n_sequences=1).table()
        >>> t["id"].tolist(), t["score"].tolist()
        (['a'], [0.5])
        """
        with open(self.out, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle, delimiter="\t"))
        header, body = rows[0], rows[1:]
        columns: dict[str, np.ndarray] = {}
        for i, name in enumerate(header):
            cells = [r[i] for r in body]
            try:
                columns[name] = (
                    np.asarray(cells, dtype=np.str_)
                    if name == "id"
                    else np.asarray([float(c) for c in cells], dtype=np.float64)
                )
            except ValueError:
                columns[name] = np.asarray(cells, dtype=np.str_)
        return columns


@dataclass(frozen=True)
class ExplainResult(_Written):
    """What :func:`biodl.workflows.explain_file` wrote and checked.

    Attributes
    ----------
    out
        The explanation folder.
    method
        The attribution method used.
    target
        The name of the explained output.
    n_sequences
        Number of sequences explained.
    checks
        The content of ``checks.json``: ``completeness``, ``randomisation``,
        ``agreement``, ``warnings``, ...
    motifs
        The rows of ``motifs.tsv`` (empty without ``motifs=True``).
    """

    method: str = ""
    target: str = ""
    n_sequences: int = 0
    checks: Mapping[str, Any] = field(default_factory=dict)
    motifs: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class AssessmentResult(_Written):
    """What :func:`biodl.workflows.assess_run` wrote.

    Attributes
    ----------
    out
        The assessment folder.
    assessment
        The :class:`biodl.assess.Assessment` (``.items``, ``.overall``, ``.to_json()``).
    temperature
        The saved calibration temperature file (``MODEL/temperature.json``) when
        ``save_temperature`` was asked, else ``None``.
    """

    assessment: Assessment | None = None
    temperature: Path | None = None


@dataclass(frozen=True)
class VariantScoringResult(_Written):
    """What :func:`biodl.workflows.score_vcf` wrote and counted.

    Attributes
    ----------
    out
        The output VCF.
    tsv
        The per-allele TSV, if asked.
    index
        The tabix index of ``out``, if one was written.
    records, alleles, scored
        Records read, ALT alleles seen, alleles scored.
    skipped
        Alleles not scored, by reason.
    ref_mismatch_scored
        Alleles scored despite a REF mismatch (``ref_mismatch="warn"``).
    strands
        ``forward`` or ``both``.
    """

    tsv: Path | None = None
    index: Path | None = None
    records: int = 0
    alleles: int = 0
    scored: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)
    ref_mismatch_scored: int = 0
    strands: str = "forward"

    def text(self) -> str:
        """A few human-readable lines (what ``biodl score-variants`` prints).

        Examples
        --------
        >>> print(VariantScoringResult(out=Path("o.vcf"), records=2, alleles=3, scored=2,
        ...       skipped={"n_in_window": 1}).text())
        records: 2, alleles: 3, scored: 2, skipped: 1 (n_in_window 1)
        strands: forward
        vcf: o.vcf
        """
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) or "none"
        counts = (
            f"records: {self.records}, alleles: {self.alleles}, scored: {self.scored}, "
            f"skipped: {sum(self.skipped.values())} ({reasons})"
        )
        lines = [
            counts,
            f"strands: {self.strands}",
            f"vcf: {self.out}" + (f" (index {self.index})" if self.index else ""),
        ]
        if self.ref_mismatch_scored:
            lines.append(f"scored despite a REF mismatch (warned): {self.ref_mismatch_scored}")
        if self.tsv is not None:
            lines.append(f"tsv: {self.tsv}")
        return "\n".join(lines)
