"""``biodl models``: list the model zoo."""

from __future__ import annotations

import argparse
import json

from biodl.cli._args import Subparsers

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``models`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser("models", help="list the model zoo")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print each model with its options and citation; returns the exit status."""
    from biodl.models import list_models

    specs = list_models()
    if args.json:
        rows = [
            {
                "name": s.name,
                "summary": s.summary,
                "citation": s.citation,
                "alphabets": list(s.alphabets),
                "params": s.params.model_json_schema().get("properties", {}),
                "space": {k: v.model_dump(exclude_none=True) for k, v in s.space.items()},
            }
            for s in specs
        ]
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(s.name) for s in specs)
    for s in specs:
        defaults = ", ".join(f"{k}={f.default}" for k, f in s.params.model_fields.items())
        print(f"{s.name:<{width}}  {s.summary}")
        print(f"{'':<{width}}  options: {defaults}")
        if s.space:
            searched = "; ".join(f"{k} {v.describe()}" for k, v in s.space.items())
            print(f"{'':<{width}}  biodl tune space: {searched}")
        print(f"{'':<{width}}  cite: {s.citation}")
    from biodl.workflows.tuning import TRAIN_SPACE

    shared = "; ".join(f"{k} {v.describe()}" for k, v in TRAIN_SPACE.items())
    print(f"biodl tune also searches, for every model: {shared}")
    return 0
