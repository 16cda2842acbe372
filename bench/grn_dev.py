"""GRN inference on DREAM4 In Silico Size100 networks 1-3 (development set only).

Two settings, scored by the DREAM protocol (:func:`biodl.networks.dream.score_edges`):

* ``multifactorial``: ``multifactorial/insilico_size100_n_multifactorial.tsv`` scored
  against ``gold/DREAM4_GoldStandard_InSilico_Size100_multifactorial_n.tsv``;
* ``size100``: knockouts + knockdowns + time series + wild type combined, scored against
  ``gold/DREAM4_GoldStandard_InSilico_Size100_n.tsv``.

Networks 4-5 are a hidden test set: choose defaults by the mean over 1-3, never per
network. Prints a markdown table (network x setting x method: AUPR, AUROC, seconds) and
the mean per setting and method; ``--json`` writes every number.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/grn_dev.py \\
        [--networks 1 2 3] [--settings multifactorial size100] [--cache bench/out/grn]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from biodl.io.grn import Expression, combine_expression, read_expression, read_gold_standard
from biodl.networks.dream import score_edges
from biodl.networks.grn import (
    ENSEMBLE_WEIGHTS,
    EdgeScores,
    NeuralOptions,
    TreeOptions,
    combine_ranks,
    infer_knockout,
    infer_neural,
    infer_trees,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "grn_dream4"


def load(setting: str, n: int) -> tuple[Expression, Path]:
    if setting == "multifactorial":
        expr = read_expression(DATA / f"multifactorial/insilico_size100_{n}_multifactorial.tsv")
        return expr, DATA / f"gold/DREAM4_GoldStandard_InSilico_Size100_multifactorial_{n}.tsv"
    folder = DATA / f"size100/insilico_size100_{n}"
    parts = [
        read_expression(folder / f"insilico_size100_{n}_{name}")
        for name in ("knockouts.tsv", "knockdowns.tsv", "timeseries.tsv.gz", "wildtype.tsv")
    ]
    return combine_expression(parts), DATA / f"gold/DREAM4_GoldStandard_InSilico_Size100_{n}.tsv"


def cached(path: Path | None, make: Any, expr: Expression, method: str) -> tuple[EdgeScores, float]:
    if path is not None and path.is_file():
        data = np.load(path)
        return EdgeScores(expr.genes, expr.genes, data["scores"], method), float(data["seconds"])
    start = time.perf_counter()
    edges = make()
    seconds = time.perf_counter() - start
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, scores=edges.scores, seconds=seconds)
    return edges, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--networks", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--settings", nargs="+", default=["multifactorial", "size100"])
    parser.add_argument("--methods", nargs="+", default=["trees", "neural", "knockout", "ensemble"])
    parser.add_argument("--n-trees", type=int, default=500)
    parser.add_argument("--tree-ensemble", default="random_forest")
    parser.add_argument(
        "--neural", nargs="*", default=[], metavar="KEY=VALUE", help="NeuralOptions overrides"
    )
    parser.add_argument(
        "--steady-only",
        action="store_true",
        help="size100: trees/neural on the steady-state samples only",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="folder caching the tree scores (they do not depend on --neural)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    neural = NeuralOptions()
    kinds = {f.name: f.type for f in fields(NeuralOptions)}
    for item in args.neural:
        key, value = item.split("=", 1)
        if key not in kinds:
            parser.error(f"unknown NeuralOptions field {key!r}")
        current = getattr(neural, key)
        parsed: Any = value if isinstance(current, str) else type(current or 0)(value)
        if isinstance(current, bool):
            parsed = value.lower() in ("1", "true", "yes")
        neural = replace(neural, **{key: parsed})
    trees = TreeOptions(n_trees=args.n_trees, ensemble=args.tree_ensemble)  # type: ignore[arg-type]
    print(f"neural: {neural}\ntrees: {trees}", flush=True)

    rows: list[dict[str, Any]] = []
    for setting in args.settings:
        for n in args.networks:
            expr, gold_path = load(setting, n)
            gold = read_gold_standard(gold_path, genes=expr.genes)
            fit = expr
            if setting == "size100" and args.steady_only:
                fit = expr.subset(["knockout", "knockdown", "wildtype", "steady"])
            parts: dict[str, tuple[EdgeScores, float]] = {}
            tag = f"{setting}_{n}_{trees.ensemble}_{trees.n_trees}_{args.seed}"
            tag += "_steady" if args.steady_only else ""
            if "trees" in args.methods or "ensemble" in args.methods:
                parts["trees"] = cached(
                    None if args.cache is None else args.cache / f"trees_{tag}.npz",
                    lambda fit=fit: infer_trees(fit, options=trees, seed=args.seed),
                    expr,
                    "trees",
                )
            if "neural" in args.methods or "ensemble" in args.methods:
                start = time.perf_counter()
                parts["neural"] = (
                    infer_neural(fit, options=neural, seed=args.seed),
                    time.perf_counter() - start,
                )
            start = time.perf_counter()
            knock = infer_knockout(expr)
            if knock is not None:
                parts["knockout"] = (knock, time.perf_counter() - start)
            if "ensemble" in args.methods:
                start = time.perf_counter()
                # the weighted Borda count of biodl.networks.grn.infer
                ens = combine_ranks(
                    [e for e, _ in parts.values()],
                    weights=[ENSEMBLE_WEIGHTS.get(name, 1.0) for name in parts],
                )
                seconds = sum(s for _, s in parts.values()) + time.perf_counter() - start
                parts["ensemble"] = (ens, seconds)
                if "knockout" in parts:
                    ens2 = combine_ranks(
                        [parts["trees"][0], parts["neural"][0]],
                        weights=[ENSEMBLE_WEIGHTS["trees"], ENSEMBLE_WEIGHTS["neural"]],
                    )
                    parts["ensemble_no_ko"] = (ens2, parts["trees"][1] + parts["neural"][1])
            for method, (edges, seconds) in parts.items():
                if method not in args.methods and not method.startswith("ensemble"):
                    continue
                score = score_edges(edges, gold, seed=args.seed)
                row = {"setting": setting, "network": n, "method": method, "seconds": seconds}
                row.update(score.to_dict())
                rows.append(row)
                print(
                    f"  {setting} net{n} {method}: AUPR {score.aupr:.3f} "
                    f"AUROC {score.auroc:.3f} ({seconds:.1f} s)",
                    flush=True,
                )

    print("\n| setting | network | method | AUPR | AUPR (trapezoid) | AUROC | seconds |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['setting']} | {r['network']} | {r['method']} | {r['aupr']:.3f} | "
            f"{r['aupr_trapezoid']:.3f} | {r['auroc']:.3f} | {r['seconds']:.1f} |"
        )
    for setting in args.settings:
        for method in dict.fromkeys(r["method"] for r in rows):
            sel = [r for r in rows if r["setting"] == setting and r["method"] == method]
            if sel:
                print(
                    f"| {setting} | mean | {method} | {np.mean([r['aupr'] for r in sel]):.3f} | "
                    f"{np.mean([r['aupr_trapezoid'] for r in sel]):.3f} | "
                    f"{np.mean([r['auroc'] for r in sel]):.3f} | "
                    f"{np.mean([r['seconds'] for r in sel]):.1f} |"
                )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"neural": str(neural), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
