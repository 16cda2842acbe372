"""The jobs behind the command line: train, tune, predict, evaluate, cross-validate,
explain, score variants and assess.

Each function takes paths and options, does one whole job and returns a frozen result
object (:mod:`biodl.workflows.results`: what it wrote and measured). The CLI
(:mod:`biodl.cli`) only parses arguments, calls these and prints their results.

In a notebook the same jobs run on objects in memory, through the same code:
:func:`train_run` takes a configuration mapping (or :class:`~biodl.config.Config`) and
``data=``/``valid=``/``test=`` DataFrames (or ``(sequences, labels)``);
:func:`predict_frame` and :func:`score_variants_frame` return pandas DataFrames (the
columns ``predict_file`` and ``score_vcf --tsv`` write), the latter from a DataFrame of
variants and a FASTA path or an open ``pyfaidx.Fasta``/``pysam.FastaFile``. To explain
sequences in memory: ``run = load_run(path)`` then
``attribute(run.model, run.input_kind.encode(seqs), method="deepshap")``
(:func:`biodl.runs.load_run`, :func:`biodl.interpret.attribute`; the sequences fitted
to ``run.input_length`` with :meth:`~biodl.runs.Run.fit_input`).
"""

from __future__ import annotations

from biodl.workflows.assessment import assess_run, flags_table
from biodl.workflows.crossval import cross_validate, cv_table
from biodl.workflows.evaluation import evaluate_run, metrics_table
from biodl.workflows.explain import explain_file
from biodl.workflows.export import ExportResult, export_run
from biodl.workflows.genome import (
    GenomeExplanation,
    GenomePrediction,
    explain_regions,
    predict_genome,
)
from biodl.workflows.prediction import predict_file, predict_frame
from biodl.workflows.pretrained import get_pretrained, list_pretrained
from biodl.workflows.results import (
    AssessmentResult,
    CrossValidationResult,
    EvaluationResult,
    ExplainResult,
    PredictionResult,
    TrainResult,
    TuneResult,
    VariantScoringResult,
)
from biodl.workflows.training import run_notes, train_on_splits, train_run
from biodl.workflows.tuning import tune_run
from biodl.workflows.variants import score_variants_frame, score_vcf, score_vcf_summary

__all__ = [
    "AssessmentResult",
    "CrossValidationResult",
    "EvaluationResult",
    "ExplainResult",
    "ExportResult",
    "GenomeExplanation",
    "GenomePrediction",
    "PredictionResult",
    "TrainResult",
    "TuneResult",
    "VariantScoringResult",
    "assess_run",
    "cross_validate",
    "cv_table",
    "evaluate_run",
    "explain_file",
    "explain_regions",
    "export_run",
    "flags_table",
    "get_pretrained",
    "list_pretrained",
    "metrics_table",
    "predict_file",
    "predict_frame",
    "predict_genome",
    "run_notes",
    "score_variants_frame",
    "score_vcf",
    "score_vcf_summary",
    "train_on_splits",
    "train_run",
    "tune_run",
]
