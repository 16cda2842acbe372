"""``biodl train``: train the model a YAML configuration describes."""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.cli._args import Subparsers

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``train`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser("train", help="train the model a YAML configuration describes")
    p.add_argument("config", type=Path, help="YAML configuration")
    p.add_argument("--out", type=Path, required=True, help="run directory to write")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from OUT.partial (Ctrl-C or SIGTERM keep it)",
    )
    p.add_argument(
        "--assess", action="store_true", help="then write RUN/assessment (see biodl assess)"
    )
    p.set_defaults(run=run)


def resume_hint(config: Path, out: Path) -> str:
    """What to do after an interrupted ``biodl train``: resume from ``OUT.partial`` when
    it holds a checkpoint, else start again.

    Examples
    --------
    >>> resume_hint(Path("c.yaml"), Path("/nonexistent/run"))
    'no checkpoint was written yet; run the same command again'
    """
    partial = out.with_name(out.name + ".partial")
    if (partial / "checkpoints" / "state.json").is_file():
        return (
            f"the run so far is in {partial}; resume with: biodl train {config} "
            f"--out {out} --resume"
        )
    return "no checkpoint was written yet; run the same command again"


def run(args: argparse.Namespace) -> int:
    """Train, print the metrics, notes and the run's flags (one line each), and assess
    when asked; returns the exit status."""
    from biodl.workflows import metrics_table, train_run

    try:
        result = train_run(args.config, args.out, force=args.force, resume=args.resume)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: say where the run is kept
        exc.biodl_hint = resume_hint(args.config, args.out)  # type: ignore[attr-defined]
        raise
    if not result.metrics:  # a non-zero rank of a distributed run writes and prints nothing
        return 0
    print(metrics_table(result.metrics))
    for line in result.notes:
        print(line)
    for flag in result.meta.get("flags") or []:  # biodl.report.findings.run_flags
        print(f"{flag['level']}: {flag['message']}")
    print(f"run directory: {result.out}")
    if args.assess:
        from biodl.cli.assess import print_assessment
        from biodl.workflows import assess_run

        print_assessment(assess_run(result.out, result.out / "assessment", force=True))
    return 0
