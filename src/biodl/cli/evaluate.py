"""``biodl evaluate``: evaluate a trained model on a configuration's valid/test data."""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.cli._args import Subparsers

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``evaluate`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "evaluate", help="evaluate a trained model on a configuration's valid/test data"
    )
    p.add_argument("--model", type=Path, required=True, help="run directory")
    p.add_argument("config", type=Path, help="YAML configuration naming the data")
    p.add_argument("--out", type=Path, help="folder to write (default MODEL/evaluation)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the metrics table; returns the exit status."""
    from biodl.workflows import evaluate_run, metrics_table

    result = evaluate_run(args.model, args.config, out=args.out)
    print(metrics_table(result.metrics))
    print(f"evaluation: {result.out}")
    return 0
