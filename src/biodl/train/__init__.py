"""Training (one Lightning module for every model) and run directories."""

from __future__ import annotations

from biodl.io.atomic import atomic_write_text, write_json
from biodl.runs import (
    RUN_FORMAT,
    Run,
    file_checksum,
    load_run,
    save_weights,
    software_versions,
)
from biodl.train.augment import augment_batch, random_reverse_complement, random_shift
from biodl.train.finetune import initialise_from_run
from biodl.train.fit import FitResult, fit, is_rank_zero, resolve_precision
from biodl.train.module import ArrayDataModule, BalancedSampler, SequenceTask

__all__ = [
    "RUN_FORMAT",
    "ArrayDataModule",
    "BalancedSampler",
    "FitResult",
    "Run",
    "SequenceTask",
    "atomic_write_text",
    "augment_batch",
    "file_checksum",
    "fit",
    "initialise_from_run",
    "is_rank_zero",
    "load_run",
    "random_reverse_complement",
    "random_shift",
    "resolve_precision",
    "save_weights",
    "software_versions",
    "write_json",
]
