"""``biodl predict``: score sequences with a trained model."""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.cli._args import Subparsers, device, positive_int

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``predict`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser("predict", help="score sequences with a trained model")
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
    p.add_argument("--batch-size", type=positive_int, default=512)
    p.add_argument(
        "--device", type=device, help="cpu, cuda, cuda:1 ... (default: cuda when available)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Score the input and print where the predictions are; returns the exit status."""
    from biodl.workflows import predict_file

    result = predict_file(
        args.model,
        args.input,
        args.out,
        sequence_column=args.sequence_column,
        id_column=args.id_column,
        pad_short=args.pad,
        batch_size=args.batch_size,
        device=args.device,
    )
    print(f"predictions: {result.out} ({result.n_sequences} rows)")
    return 0
