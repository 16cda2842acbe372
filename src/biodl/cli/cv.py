"""``biodl cv``: k-fold cross-validation over a configuration's training data."""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.cli._args import Subparsers, fraction, int_at_least, positive_int

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``cv`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "cv", help="k-fold cross-validation over a configuration's training data"
    )
    p.add_argument("config", type=Path, help="YAML configuration")
    p.add_argument("--folds", type=int_at_least(2), default=5, help="number of folds (default 5)")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument(
        "--keep-duplicates", action="store_true", help="do not remove duplicate sequences first"
    )
    p.add_argument(
        "--homology",
        type=fraction,
        metavar="IDENTITY",
        help="proteins: keep homologues at this identity (e.g. 0.3) in one fold "
        "(as data.homology.identity)",
    )
    p.add_argument(
        "--tune-trials",
        type=positive_int,
        metavar="N",
        help="nested CV: in each fold, search N trials on its training/validation examples "
        "(never its test fold) before training it (see biodl tune)",
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Cross-validate and print mean and SD per metric; returns the exit status."""
    from biodl.workflows import cross_validate, cv_table

    result = cross_validate(
        args.config,
        args.out,
        folds=args.folds,
        dedupe=not args.keep_duplicates,
        homology=args.homology,
        tune_trials=args.tune_trials,
        force=args.force,
    )
    print(cv_table(result.cv))
    print(f"cross-validation: {result.out}")
    return 0
