"""The jobs behind the command line: train, tune, predict, evaluate, cross-validate,
explain, score variants and assess.

Each function takes paths and options, does one whole job and returns a frozen result
object (:mod:`biodl.workflows.results`: what it wrote and measured). The CLI
(:mod:`biodl.cli`) only parses arguments, calls these and prints their results.
"""

from __future__ import annotations

from biodl.workflows.assessment import assess_run, flags_table
from biodl.workflows.crossval import cross_validate, cv_table
from biodl.workflows.evaluation import evaluate_run, metrics_table
from biodl.workflows.explain import explain_file
from biodl.workflows.prediction import predict_file
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
from biodl.workflows.variants import score_vcf, score_vcf_summary

__all__ = [
    "AssessmentResult",
    "CrossValidationResult",
    "EvaluationResult",
    "ExplainResult",
    "PredictionResult",
    "TrainResult",
    "TuneResult",
    "VariantScoringResult",
    "assess_run",
    "cross_validate",
    "cv_table",
    "evaluate_run",
    "explain_file",
    "flags_table",
    "metrics_table",
    "predict_file",
    "run_notes",
    "score_vcf",
    "score_vcf_summary",
    "train_on_splits",
    "train_run",
    "tune_run",
]
