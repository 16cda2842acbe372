"""``biodl``: the command line. Each verb parses, calls one library function, returns a code.

Exit status: 0 on success, 2 on bad input (one line on stderr naming the file and the
line or record, no traceback), 1 on an unexpected internal error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from biodl.errors import BiodlError

__all__ = ["main"]


def _cmd_train(args: argparse.Namespace) -> int:
    from biodl.workflows import metrics_table, run_notes, train_run

    out = train_run(args.config, args.out, force=args.force)
    metrics_path = out / "metrics.json"
    if metrics_path.is_file():
        print(metrics_table(json.loads(metrics_path.read_text())))
        for line in run_notes(out):
            print(line)
        print(f"run directory: {out}")
        if args.assess:
            from biodl.workflows.assessment import assess_run, flags_table

            folder = assess_run(out, out / "assessment", force=True)
            print(flags_table(json.loads((folder / "assessment.json").read_text())))
            print(f"assessment: {folder}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from biodl.workflows import predict_file

    out = predict_file(
        args.model,
        args.input,
        args.out,
        sequence_column=args.sequence_column,
        id_column=args.id_column,
        pad_short=args.pad,
        batch_size=args.batch_size,
        device=args.device,
    )
    print(f"predictions: {out}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from biodl.workflows import evaluate_run, metrics_table

    metrics = evaluate_run(args.model, args.config, out=args.out)
    print(metrics_table(metrics))
    out = args.out if args.out is not None else Path(args.model) / "evaluation"
    print(f"evaluation: {out}")
    return 0


def _cmd_cv(args: argparse.Namespace) -> int:
    from biodl.workflows import cross_validate, cv_table

    result = cross_validate(
        args.config,
        args.out,
        folds=args.folds,
        dedupe=not args.keep_duplicates,
        homology=args.homology,
        force=args.force,
    )
    print(cv_table(result))
    print(f"cross-validation: {args.out}")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
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
        print(f"{'':<{width}}  cite: {s.citation}")
    return 0


def _parser() -> argparse.ArgumentParser:
    from biodl import __version__

    parser = argparse.ArgumentParser(
        prog="biodl",
        description="Deep learning for bioinformatics: train, evaluate and apply sequence models.",
    )
    parser.add_argument("--version", action="version", version=f"biodl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train the model a YAML configuration describes")
    p.add_argument("config", type=Path, help="YAML configuration")
    p.add_argument("--out", type=Path, required=True, help="run directory to write")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument(
        "--assess", action="store_true", help="then write RUN/assessment (see biodl assess)"
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("predict", help="score sequences with a trained model")
    p.add_argument("--model", type=Path, required=True, help="run directory")
    p.add_argument(
        "input", type=Path, help="FASTA/FASTQ (gzip ok), or a table with --sequence-column"
    )
    p.add_argument("--out", type=Path, required=True, help="TSV to write (id, score, logit)")
    p.add_argument("--sequence-column", help="read INPUT as a TSV/CSV table with this column")
    p.add_argument("--id-column", help="id column of the table")
    p.add_argument(
        "--pad", action="store_true", help="pad sequences shorter than the model input with N"
    )
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser(
        "evaluate", help="evaluate a trained model on a configuration's valid/test data"
    )
    p.add_argument("--model", type=Path, required=True, help="run directory")
    p.add_argument("config", type=Path, help="YAML configuration naming the data")
    p.add_argument("--out", type=Path, help="folder to write (default MODEL/evaluation)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("cv", help="k-fold cross-validation over a configuration's training data")
    p.add_argument("config", type=Path, help="YAML configuration")
    p.add_argument("--folds", type=int, default=5, help="number of folds (default 5)")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument(
        "--keep-duplicates", action="store_true", help="do not remove duplicate sequences first"
    )
    p.add_argument(
        "--homology",
        type=float,
        metavar="IDENTITY",
        help="proteins: keep homologues at this identity (e.g. 0.3) in one fold "
        "(as data.homology.identity)",
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=_cmd_cv)

    p = sub.add_parser("models", help="list the model zoo")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_models)

    import biodl.commands

    for info in sorted(pkgutil.iter_modules(biodl.commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"biodl.commands.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``biodl`` command line; returns the exit status."""
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except BiodlError as exc:
        print(f"biodl: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("biodl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
