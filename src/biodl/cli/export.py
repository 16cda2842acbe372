"""``biodl export``: a trained run as one ONNX or TorchScript file, checked against
PyTorch, with its model card beside it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from biodl.cli._args import Subparsers

__all__ = ["register", "run"]

#: kept in step with biodl.workflows.export.EXPORT_FORMATS (not imported: no torch here)
_FORMATS = ("onnx", "torchscript")


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"{text}: not a number"
        raise argparse.ArgumentTypeError(msg) from None
    if not value >= 0:
        msg = f"{text}: must be a number >= 0"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(subparsers: Subparsers) -> None:
    """Add ``export`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "export",
        help="export a trained model to ONNX or TorchScript, checked against PyTorch",
        description=(
            "Export a run's model (an ensemble as one graph) to FILE, check that it "
            "reproduces PyTorch's raw outputs and scores on a sample to the tolerance, "
            "and write the model card beside it (FILE.json, FILE.md). The exported model "
            "takes float32 input (N, C, L) and returns raw outputs (logits), not "
            "probabilities: see the card."
        ),
    )
    p.add_argument("--model", type=Path, required=True, help="run directory")
    p.add_argument("--format", choices=_FORMATS, required=True, help="onnx or torchscript")
    p.add_argument("--out", type=Path, required=True, help="file to write (.onnx, .pt)")
    p.add_argument(
        "--sample",
        type=Path,
        help="FASTA/FASTQ of sequences (molecule models: CSV/TSV with SMILES, or SDF) to "
        "check on (default: 32 random sequences; fixed small molecules for graph models)",
    )
    p.add_argument(
        "--tolerance",
        type=_tolerance,
        default=1e-5,
        help="largest allowed |difference| from PyTorch (default 1e-5)",
    )
    p.add_argument("--force", action="store_true", help="replace FILE and its card")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export and check; returns 0, or 1 when the exporter fails or the check does."""
    from biodl.workflows.export import ExportError, export_run

    try:
        result = export_run(
            args.model,
            args.out,
            format=args.format,
            sample=args.sample,
            tolerance=args.tolerance,
            force=args.force,
        )
    except ExportError as exc:
        print(f"biodl: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"exported: {result.out} ({result.format}, sha256 {result.sha256[:12]}...); "
        f"largest difference from PyTorch {result.max_diff:.2g} on {result.n_checked} inputs; "
        f"card: {result.card}"
    )
    return 0
