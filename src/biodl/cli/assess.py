"""``biodl assess``: a fitness-for-use report of a trained model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from biodl.cli._args import Subparsers, non_negative_int

if TYPE_CHECKING:
    from biodl.workflows import AssessmentResult

__all__ = ["print_assessment", "register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``assess`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "assess",
        help="fitness-for-use report of a trained model (leakage, calibration, ...)",
        description=(
            "Check a trained model and its data: data quantity, leakage between splits, "
            "representation, label noise, baseline, calibration, subgroups, "
            "applicability domain, compute and provenance. Writes assessment.json, "
            "report.html and model_card.md to --out."
        ),
    )
    p.add_argument("--model", type=Path, required=True, help="run directory")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument(
        "--config", type=Path, help="configuration to re-read the data (default the run's)"
    )
    p.add_argument(
        "--data",
        type=Path,
        action="extend",
        nargs="+",
        metavar="NEW_INPUT",
        help=(
            "new sequences (FASTA/FASTQ or table), new samples (a matrix file like the "
            "training one) for a matrix model, or new molecules (CSV/TSV with SMILES, SDF) "
            "for a molecule model, for the applicability-domain check"
        ),
    )
    p.add_argument(
        "--group",
        help=(
            "table column (or id<TAB>group TSV file) for per-group metrics; matrix models: a "
            "sample annotation (labels-table column, matrix text column under skip_columns, "
            "h5ad obs column), e.g. batch (a batch column also gets the batch-adversarial AUROC)"
        ),
    )
    p.add_argument(
        "--learning-curve",
        action="store_true",
        help="retrain on 25/50/100 %% of the training data (slow)",
    )
    p.add_argument(
        "--save-temperature",
        action="store_true",
        help="save the temperature fitted on valid with the model; biodl predict applies it",
    )
    p.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of the checks (default 0)"
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(run=run)


def print_assessment(result: AssessmentResult) -> None:
    """Print the flag of each item, the folder and the saved temperature file."""
    from biodl.workflows import flags_table

    if result.assessment is not None:
        print(flags_table(result.assessment.to_json()))
    print(f"assessment: {result.out}")
    if result.temperature is not None:
        print(f"temperature saved: {result.temperature}")


def run(args: argparse.Namespace) -> int:
    """Assess the run and print the flags; returns the exit status."""
    from biodl.workflows import assess_run

    print_assessment(
        assess_run(
            args.model,
            args.out,
            config=args.config,
            data=args.data or (),
            group=args.group,
            learning_curve=args.learning_curve,
            save_temperature=args.save_temperature,
            force=args.force,
            seed=args.seed,
        )
    )
    return 0
