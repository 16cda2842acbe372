"""``biodl evaluate-calls``: precision, recall and F1 of a VCF of calls against a truth set."""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.cli._args import Subparsers, non_negative_int

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``evaluate-calls`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "evaluate-calls",
        help="compare variant calls (any caller's VCF) with a truth VCF, hap.py-style",
        description=(
            "Match calls to truth after splitting multi-allelic records and normalising "
            "alleles (left-aligned, trimmed) inside the confident regions; precision, recall "
            "and F1 for SNVs and indels, at the allele and the genotype level, with "
            "bootstrap intervals. Writes evaluation.json, evaluation.tsv, fp.tsv, fn.tsv."
        ),
    )
    p.add_argument("calls", type=Path, help="VCF/BCF of calls (plain or bgzip)")
    p.add_argument("--truth", type=Path, required=True, help="truth VCF/BCF")
    p.add_argument("--genome", type=Path, required=True, help="reference FASTA (bgzip ok)")
    p.add_argument("--confident", type=Path, help="confident-regions BED (default: everywhere)")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument("--sample", help="sample column of the calls (default the first)")
    p.add_argument("--truth-sample", help="sample column of the truth (default the first)")
    p.add_argument("--bootstrap", type=non_negative_int, default=1000, help="resamples (1000)")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print the table; returns 0."""
    from biodl.workflows.calling import evaluate_call_file

    result = evaluate_call_file(
        args.calls,
        args.truth,
        args.genome,
        args.out,
        confident=args.confident,
        sample=args.sample,
        truth_sample=args.truth_sample,
        n_bootstrap=args.bootstrap,
        seed=args.seed,
        force=args.force,
    )
    assert result.evaluation is not None
    for row in result.evaluation.table():
        print("\t".join(str(cell) for cell in row))
    print(f"evaluation: {result.out}")
    return 0
