"""``biodl grn``: a ranked regulator -> target edge list from expression tables."""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.cli._args import Subparsers, int_at_least, positive_int

__all__ = ["register", "run"]

#: kept in step with biodl.networks.grn.GRN_METHODS (not imported: no torch here)
_METHODS = ("trees", "neural", "ensemble")


def register(subparsers: Subparsers) -> None:
    """Add ``grn`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "grn",
        help="infer a gene-regulatory network (ranked regulator -> target edges) from expression",
        description=(
            "Infer a ranked, directed edge list (regulator, target, score) from expression "
            "tables of samples x genes: steady states, knockouts, knockdowns, time series, "
            "wild type. Write KIND:FILE to name a table's kind (steady, knockout, knockdown, "
            "timeseries, wildtype); otherwise it comes from the file name (DREAM's "
            "_knockouts, _timeseries ...). Methods: trees (GENIE3), neural (per-target "
            "neural regressors with sparse input weights), ensemble (their rank average, "
            "with knockout z-scores when knockouts are given). With --gold every method is "
            "scored as DREAM does (AUPR, AUROC, self-edges excluded)."
        ),
    )
    p.add_argument("expression", nargs="+", help="expression tables ([KIND:]FILE)")
    p.add_argument("--out", type=Path, required=True, help="run folder to write")
    p.add_argument("--regulators", type=Path, help="candidate regulators, one gene per line")
    p.add_argument(
        "--method",
        choices=_METHODS,
        default="ensemble",
        help="method of edges.tsv (default ensemble)",
    )
    p.add_argument("--gold", type=Path, help="gold standard (A<TAB>B<TAB>1|0, or true edges)")
    p.add_argument("--trees", type=positive_int, default=500, help="trees per target (default 500)")
    p.add_argument(
        "--tree-ensemble",
        choices=("random_forest", "extra_trees"),
        default="random_forest",
        help="GENIE3's tree ensemble (default random_forest)",
    )
    p.add_argument("--top", type=positive_int, help="write only the N best edges")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default 0)")
    p.add_argument(
        "--jobs", type=positive_int, default=1, help="processes for the trees (default 1)"
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Infer the network, print the scores (with --gold) and the folder; returns 0."""
    from biodl.workflows.networks import infer_grn

    result = infer_grn(
        args.expression,
        args.out,
        regulators=args.regulators,
        method=args.method,
        gold=args.gold,
        n_trees=args.trees,
        tree_ensemble=args.tree_ensemble,
        top=args.top,
        seed=args.seed,
        n_jobs=args.jobs,
        force=args.force,
    )
    if result.scores:
        print("method\tAUPR\tAUROC")
        for name, score in result.scores.items():
            print(f"{name}\t{score['aupr']:.4f}\t{score['auroc']:.4f}")
    flags = ", ".join(f"{k} {v}" for k, v in result.flags.items())
    print(f"grn: {result.n_edges} edges ({result.method}) in {result.out / 'edges.tsv'}")
    print(f"assessment: {flags} ({result.out / 'assessment' / 'report.html'})")
    return 0
