"""Training (one Lightning module for every model) and run directories."""

from __future__ import annotations

from biodl.train.augment import augment_batch, random_reverse_complement, random_shift
from biodl.train.finetune import initialise_from_run
from biodl.train.fit import FitResult, fit, resolve_precision
from biodl.train.module import ArrayDataModule, BalancedSampler, SequenceTask
from biodl.train.rundir import (
    RUN_FORMAT,
    Run,
    atomic_write_text,
    check_out_dir,
    file_checksum,
    finish_run_dir,
    load_run,
    prepare_run_dir,
    save_weights,
    software_versions,
    write_json,
)

__all__ = [
    "RUN_FORMAT",
    "ArrayDataModule",
    "BalancedSampler",
    "FitResult",
    "Run",
    "SequenceTask",
    "atomic_write_text",
    "augment_batch",
    "check_out_dir",
    "file_checksum",
    "finish_run_dir",
    "fit",
    "initialise_from_run",
    "load_run",
    "prepare_run_dir",
    "random_reverse_complement",
    "random_shift",
    "resolve_precision",
    "save_weights",
    "software_versions",
    "write_json",
]
