"""The jobs behind the command line: train, predict, evaluate and cross-validate.

Each function takes paths and options, does one whole job and returns what it wrote.
The CLI (:mod:`biodl.cli`) only parses arguments and calls these.
"""

from __future__ import annotations

from biodl.workflows.crossval import cross_validate, cv_table
from biodl.workflows.evaluation import evaluate_run, metrics_table
from biodl.workflows.prediction import predict_file
from biodl.workflows.training import train_on_splits, train_run

__all__ = [
    "cross_validate",
    "cv_table",
    "evaluate_run",
    "metrics_table",
    "predict_file",
    "train_on_splits",
    "train_run",
]
