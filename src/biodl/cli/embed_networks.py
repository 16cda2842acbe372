"""``biodl embed-networks``: one deepNF-style embedding per gene from several networks."""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.cli._args import Subparsers, device, fraction, int_at_least, positive_int

__all__ = ["register", "run"]


def _probability(text: str) -> float:
    value = fraction(text)
    if not 0.0 < value < 1.0:
        msg = f"{text}: must be between 0 and 1 (exclusive)"
        raise argparse.ArgumentTypeError(msg)
    return value


def register(subparsers: Subparsers) -> None:
    """Add ``embed-networks`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "embed-networks",
        help="fuse interaction networks into one embedding per gene (deepNF)",
        description=(
            "Turn each network (a weighted edge list: geneA geneB [weight]) into a "
            "random-walk-with-restart + PPMI matrix over the union of the genes, and fuse "
            "them with a multimodal denoising autoencoder into one vector per gene "
            "(embedding.tsv, embedding.h5ad). With --labels, predict each label of held-out "
            "genes (k-fold over genes) from every single network, their concatenation and "
            "the fused embedding; the embedding never sees a label."
        ),
    )
    p.add_argument("networks", nargs="+", type=Path, help="edge lists (optional .gz)")
    p.add_argument("--out", type=Path, required=True, help="run folder to write")
    p.add_argument(
        "--labels", type=Path, help="gene labels: JSON {gene: [labels]} or gene<TAB>label lines"
    )
    p.add_argument("--folds", type=int_at_least(2), default=5, help="folds over genes (default 5)")
    p.add_argument("--dimensions", type=positive_int, help="embedding size")
    p.add_argument("--hidden", type=positive_int, help="encoder units per network")
    p.add_argument("--epochs", type=positive_int, help="autoencoder epochs")
    p.add_argument("--noise", type=fraction, help="masking-noise fraction (default 0.5)")
    p.add_argument("--steps", type=positive_int, default=3, help="random-walk steps (default 3)")
    p.add_argument(
        "--alpha",
        type=_probability,
        default=0.98,
        help="random-walk continuation probability (default 0.98)",
    )
    p.add_argument(
        "--classifier",
        choices=("logistic", "svm"),
        default="logistic",
        help="function-prediction classifier (default logistic)",
    )
    p.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    p.add_argument("--device", type=device, default="cpu", help="torch device (default cpu)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Fuse, evaluate (with --labels), print the table and the folder; returns 0."""
    from dataclasses import replace

    from biodl.networks.fusion import FusionOptions
    from biodl.workflows.networks import embed_networks

    changes = {
        k: v
        for k, v in {
            "embedding": args.dimensions,
            "hidden": args.hidden,
            "epochs": args.epochs,
            "noise": args.noise,
        }.items()
        if v is not None
    }
    result = embed_networks(
        args.networks,
        args.out,
        labels=args.labels,
        folds=args.folds,
        options=replace(FusionOptions(), **changes),
        steps=args.steps,
        alpha=args.alpha,
        classifier=args.classifier,
        seed=args.seed,
        device=args.device,
        force=args.force,
    )
    if result.evaluation:
        print("features\tmacro AUPR\tmicro AUPR\taccuracy")
        for name, score in result.evaluation.items():
            print(
                f"{name}\t{score['macro_aupr']:.4f}\t{score['micro_aupr']:.4f}\t"
                f"{score['accuracy']:.4f}"
            )
    flags = ", ".join(f"{k} {v}" for k, v in result.flags.items())
    print(
        f"embed-networks: {result.n_genes} genes x {result.dimensions} dimensions in "
        f"{result.out / 'embedding.tsv'}"
    )
    print(f"assessment: {flags} ({result.out / 'assessment' / 'report.html'})")
    return 0
