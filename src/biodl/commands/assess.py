"""``biodl assess``: a fitness-for-use report of a trained model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def _handler(args: argparse.Namespace) -> int:
    import json

    from biodl.workflows.assessment import assess_run, flags_table

    out = assess_run(
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
    print(flags_table(json.loads((out / "assessment.json").read_text(encoding="utf-8"))))
    print(f"assessment: {out}")
    if args.save_temperature:
        print(f"temperature saved: {Path(args.model) / 'temperature.json'}")
    return 0


def register(sub: Any) -> None:
    """Add ``assess`` to the ``biodl`` sub-command parser ``sub``."""
    p = sub.add_parser(
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
        help="new sequences (FASTA/FASTQ or table) for the applicability-domain check",
    )
    p.add_argument("--group", help="table column (or id<TAB>group TSV file) for per-group metrics")
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
    p.add_argument("--seed", type=int, default=0, help="seed of the checks (default 0)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=_handler)
