"""``biodl tune``: hyper-parameter search with Optuna; the best model as a run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from biodl.cli._args import Subparsers, int_at_least, positive_int

__all__ = ["register", "run"]

_MEMBERS = int_at_least(1)


def _members(text: str) -> int:
    """``--ensemble``: an integer from 1 to 32 (``tune.ensemble``'s range)."""
    value = _MEMBERS(text)
    if value > 32:
        msg = f"{value}: must be at most 32"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(subparsers: Subparsers) -> None:
    """Add ``tune`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "tune",
        help="search hyper-parameters (Optuna TPE + pruning) and train the best model",
        description="Search the model's and training's hyper-parameters on the validation "
        "split (never the test split), then retrain the best options as OUT/best. Several "
        "processes or machines given the same --storage URL and configuration share one "
        "study.",
    )
    p.add_argument("config", type=Path, help="YAML configuration (optional tune: block)")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument("--trials", type=positive_int, help="trials this process runs (tune.trials)")
    p.add_argument(
        "--timeout", type=positive_int, metavar="S", help="stop starting trials after S seconds"
    )
    p.add_argument(
        "--storage",
        metavar="URL",
        help="Optuna RDB URL of the study (default sqlite:///OUT/study.db), e.g. "
        "sqlite:////shared/study.db or postgresql://user:pass@host/db",
    )
    p.add_argument("--metric", help="validation metric to optimise (default: the task's headline)")
    p.add_argument("--study-name", help="study name in --storage (default: a configuration hash)")
    p.add_argument(
        "--ensemble",
        type=_members,
        metavar="K",
        help="make OUT/best an ensemble of the K best trials, each retrained with its own "
        "options (tune.ensemble; default 1)",
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Search, print the best trials and the best run's metrics; returns the exit status."""
    from biodl.workflows import metrics_table, tune_run

    result = tune_run(
        args.config,
        args.out,
        trials=args.trials,
        timeout=args.timeout,
        storage=args.storage,
        metric=args.metric,
        study_name=args.study_name,
        force=args.force,
        ensemble=args.ensemble,
    )
    t = result.tuning
    print(
        f"study {t['study_name']}: {t['n_complete']} complete, {t['n_pruned']} pruned of "
        f"{t['n_trials']} trials; {result.direction} valid {result.metric}"
    )
    done = [r for r in result.trials if r["state"] == "complete"]
    done.sort(key=lambda r: r["value"], reverse=result.direction == "maximize")
    print(f"{'trial':>5}  {result.metric:>10}  options")
    for r in done[:5]:
        print(f"{r['number']:>5}  {r['value']:>10.4f}  {json.dumps(r['params'], sort_keys=True)}")
    members = t.get("ensemble")
    if members is not None:
        listed = ", ".join(str(n) for n in members["trials"])
        print(f"ensemble of {members['members']} trial(s): {listed}")
        if "note" in members:
            print(members["note"])
    if result.best is not None:
        print(metrics_table(result.best.metrics))
        print(f"best run: {result.best.out}")
    print(f"search: {result.out} (trials.tsv, trials.png, best_config.yaml)")
    return 0
