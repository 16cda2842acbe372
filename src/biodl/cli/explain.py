"""``biodl explain``: attribution maps of a trained model for the sequences of a file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, cast

from biodl.cli._args import Subparsers, device, non_negative_int, one_line_warnings, positive_int

__all__ = ["METHODS", "register", "run"]

#: the same names as :data:`biodl.interpret.METHODS` (tested), written out so that
#: building the parser does not import torch
METHODS = (
    "saliency",
    "input_x_gradient",
    "integrated_gradients",
    "deeplift",
    "deepshap",
    "lime",
    "kernel_shap",
    "ism",
    "attention",
)


def register(subparsers: Subparsers) -> None:
    """Add ``explain`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "explain",
        help="attribution maps (DeepLIFT/SHAP, gradients, ISM, ...) of a trained model",
        description=(
            "Attribute a trained model's output to the letters of each input sequence, "
            "check the maps (completeness, model randomisation, agreement between "
            "methods) and write attributions.npz, checks.json, logos of the top "
            "sequences, explain.html and, with --motifs, motifs.tsv to --out."
        ),
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", type=Path, help="run directory")
    which.add_argument(
        "--cv",
        type=Path,
        metavar="CV_DIR",
        help="a 'biodl cv' folder of a matrix model: rank the genes with every fold model "
        "and write stability.tsv (folds with each gene in their top --top-k)",
    )
    p.add_argument(
        "input",
        type=Path,
        nargs="?",
        help="FASTA/FASTQ (gzip ok), a table with --sequence-column, or, for a model "
        "trained on an expression matrix, a matrix file of samples, or, for a molecule "
        "model, a CSV/TSV with a SMILES column (--sequence-column names it) or an SDF file "
        "(not with --genome)",
    )
    p.add_argument(
        "--genome",
        type=Path,
        help="reference FASTA: explain the windows centred on --regions instead of INPUT "
        "(writes attributions.npz and attributions.bw)",
    )
    p.add_argument("--regions", type=Path, help="with --genome: BED file of regions to explain")
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument(
        "--method",
        choices=METHODS,
        help="default deepshap; integrated_gradients (the only one) for molecule models",
    )
    p.add_argument(
        "--steps",
        type=positive_int,
        default=64,
        help="molecule models: integration points of integrated gradients (64)",
    )
    p.add_argument("--target", help="output name or index to explain (default the first)")
    p.add_argument(
        "--n-references",
        type=positive_int,
        default=20,
        help="dinucleotide-shuffled references per sequence for deepshap (default 20)",
    )
    p.add_argument(
        "--top",
        type=non_negative_int,
        default=10,
        help="logos of this many top-scoring sequences (10)",
    )
    p.add_argument(
        "--top-genes",
        type=non_negative_int,
        default=20,
        help="matrix models: genes in the bar plot (20)",
    )
    p.add_argument(
        "--top-k",
        type=positive_int,
        default=20,
        help="with --cv: a gene counts for a fold when among its top K (20)",
    )
    p.add_argument("--strict", action="store_true", help="fail (exit 2) when a check fails")
    p.add_argument(
        "--motifs", action="store_true", help="find motifs (TF-MoDISco) and match them to JASPAR"
    )
    p.add_argument("--jaspar-collection", default="CORE", help="JASPAR collection (CORE)")
    p.add_argument(
        "--tax-group", default="vertebrates", help="JASPAR taxonomic group, or 'all' (vertebrates)"
    )
    p.add_argument(
        "--compare",
        default="saliency,input_x_gradient,deepshap",
        help="comma-separated methods whose maps are compared with --method ('' for none)",
    )
    p.add_argument(
        "--no-randomisation", action="store_true", help="skip the model-randomisation check"
    )
    p.add_argument("--max-sequences", type=positive_int, help="explain at most this many sequences")
    p.add_argument("--sequence-column", help="read INPUT as a TSV/CSV table with this column")
    p.add_argument("--id-column", help="id column of the table")
    p.add_argument(
        "--pad", action="store_true", help="pad sequences shorter than the model input with N"
    )
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument(
        "--device", type=device, help="cpu, cuda, cuda:1 ... (default: cuda when available)"
    )
    p.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of references and sampling"
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Explain the sequences and print the checks' outcome; returns the exit status."""
    from biodl.errors import InputError
    from biodl.workflows import explain_file

    if args.genome is not None or args.regions is not None:
        if args.genome is None or args.regions is None or args.model is None:
            raise InputError("explaining regions needs --model, --genome and --regions")
        if args.input is not None:
            raise InputError("give INPUT (sequences) or --genome and --regions, not both")
        from biodl.workflows import explain_regions

        with one_line_warnings():
            explained = explain_regions(
                args.model,
                args.genome,
                args.regions,
                args.out,
                method=args.method,
                target=args.target,
                n_references=args.n_references,
                batch_size=args.batch_size,
                device=args.device,
                seed=args.seed,
                force=args.force,
            )
        print(explained.text())
        return 0
    if args.input is None:
        raise InputError("explain needs INPUT (sequences, samples or molecules) or --genome")
    if args.cv is not None:
        from biodl.workflows.explain import explain_cv

        done = explain_cv(
            args.cv,
            args.input,
            args.out,
            k=args.top_k,
            method=args.method or "deepshap",
            target=args.target,
            id_column=args.id_column,
            max_samples=args.max_sequences,
            batch_size=args.batch_size,
            device=args.device,
            seed=args.seed,
            force=args.force,
        )
        folds = done.checks["folds"]
        print(f"genes in the top {args.top_k} of the most folds (of {folds}):")
        for row in done.checks["stability"][:10]:
            print(f"  {row['gene']:<20} {row['n_top']}/{folds}  mean rank {row['mean_rank']:.1f}")
        print(f"stability: {done.out}")
        return 0
    compare = cast(Any, tuple(m for m in (args.compare or "").split(",") if m))
    result = explain_file(
        args.model,
        args.input,
        args.out,
        method=args.method,
        target=args.target,
        n_references=args.n_references,
        top=args.top,
        strict=args.strict,
        motifs=args.motifs,
        jaspar_collection=args.jaspar_collection,
        tax_group=None if args.tax_group in ("all", "") else args.tax_group,
        sequence_column=args.sequence_column,
        id_column=args.id_column,
        pad_short=args.pad,
        compare=compare,
        randomisation=not args.no_randomisation,
        max_sequences=args.max_sequences,
        batch_size=args.batch_size,
        device=args.device,
        seed=args.seed,
        force=args.force,
        top_genes=args.top_genes,
        steps=args.steps,
    )
    checks = result.checks
    completeness = checks.get("completeness", {})
    if completeness.get("max_abs_delta") is not None:
        print(f"largest convergence delta: {completeness['max_abs_delta']:.3g}")
    randomisation = checks.get("randomisation")
    if randomisation and randomisation.get("mean_spearman") is not None:
        print(
            "model randomisation: mean Spearman "
            f"{randomisation['mean_spearman']:.3f} "
            f"({'pass' if randomisation['passed'] else 'FAIL'})"
        )
    for warning in checks.get("warnings", []):
        print(f"warning: {warning}")
    if checks.get("top_genes"):
        top = ", ".join(str(r["gene"]) for r in checks["top_genes"][:10])
        print(f"top genes: {top}")
    print(f"explanations: {result.out}")
    return 0
