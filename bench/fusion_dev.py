"""Development measurement of deepNF-style network fusion on BIONIC's yeast networks.

Reads Krogan-2006 (PPI), Hu-2007 (co-expression) and Costanzo-2016 (genetic
interactions), puts them on the union of their genes (5,232), turns each into deepNF's
RWR + PPMI features, fuses them with the multimodal autoencoder and scores IntAct
complex prediction (5-fold CV over labelled genes, the same folds for every feature
set) from:

- each single network's features, reduced by PCA (unsupervised, fitted on all 5,232
  genes without labels, as BIONIC-evals does);
- their concatenation (the three feature matrices side by side, then the same PCA);
- the fused embedding (as it is).

Prints a markdown table (features, macro/micro AUPR, accuracy = sample-averaged F1,
macro F1, seconds, peak RSS). Run single-threaded::

    OMP_NUM_THREADS=1 .venv/bin/python bench/fusion_dev.py
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

from biodl.encode.network import network_features
from biodl.io.network import read_edge_list, read_gene_labels
from biodl.networks.function import (
    concatenate,
    gene_folds,
    pca_reduce,
    predict_function,
)
from biodl.networks.fusion import FusionOptions, fuse

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "networks_bionic_yeast"
NETWORKS = ("Krogan-2006.txt", "Hu-2007.txt.gz", "Costanzo-2016.txt.gz")
LABELS = "yeast_IntAct_complex_labels.json"


def _peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--hidden", type=int, default=FusionOptions().hidden)
    p.add_argument("--embedding", type=int, default=FusionOptions().embedding)
    p.add_argument("--epochs", type=int, default=FusionOptions().epochs)
    p.add_argument("--batch-size", type=int, default=FusionOptions().batch_size)
    p.add_argument("--learning-rate", type=float, default=FusionOptions().learning_rate)
    p.add_argument("--noise", type=float, default=FusionOptions().noise)
    p.add_argument("--activation", default=FusionOptions().activation)
    p.add_argument("--no-skip-absent", action="store_true")
    p.add_argument("--pca", type=int, default=128, help="PCA size of the network features")
    p.add_argument("--classifier", choices=("logistic", "svm"), default="logistic")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, help="write the scores here")
    p.add_argument("--only-fused", action="store_true", help="skip the baselines")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    rows: list[tuple[str, dict[str, float], float, float]] = []
    t0 = time.perf_counter()
    nets = [read_edge_list(args.data / name) for name in NETWORKS]
    genes = list(dict.fromkeys(g for net in nets for g in net.genes))
    labels = read_gene_labels(args.data / LABELS)
    features = [network_features(net, genes) for net in nets]
    t_features = time.perf_counter() - t0
    labelled = [g for g in genes if labels.get(g)]
    folds = gene_folds(labelled, n_folds=args.folds, seed=args.seed)
    print(
        f"{len(genes)} genes, {len(labelled)} labelled, features in {t_features:.1f} s, "
        f"peak RSS {_peak_mb():.0f} MB",
        file=sys.stderr,
    )

    def score(name: str, x: np.ndarray, seconds: float) -> None:
        t = time.perf_counter()
        s = predict_function(
            x, genes, labels, folds=folds, name=name, classifier=args.classifier, seed=args.seed
        )
        total = seconds + time.perf_counter() - t
        rows.append((name, s.to_dict(), total, _peak_mb()))
        print(f"{name}: macro AUPR {s.macro_aupr:.3f} ({total:.0f} s)", file=sys.stderr)

    if not args.only_fused:
        for net, x in zip(nets, features, strict=True):
            t = time.perf_counter()
            reduced = pca_reduce(x, n_components=args.pca, seed=args.seed)
            score(Path(net.path).name.split(".")[0], reduced, time.perf_counter() - t)
        t = time.perf_counter()
        both = pca_reduce(concatenate(features), n_components=args.pca, seed=args.seed)
        score("concatenation", both, time.perf_counter() - t)

    options = FusionOptions(
        hidden=args.hidden,
        embedding=args.embedding,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        noise=args.noise,
        activation=args.activation,
        skip_absent=not args.no_skip_absent,
    )
    t = time.perf_counter()
    result = fuse(features, options=options, seed=args.seed)
    t_fuse = time.perf_counter() - t
    print(f"fusion: {t_fuse:.0f} s, last loss {result.history[-1]['loss']:.5f}", file=sys.stderr)
    score("fused", result.embedding, t_fuse)

    print(f"\noptions: {options}, classifier {args.classifier}, {args.folds} folds\n")
    print("| features | macro AUPR | micro AUPR | accuracy (sample F1) | macro F1 | seconds "
          "| peak RSS MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, d, seconds, rss in rows:
        print(
            f"| {name} | {d['macro_aupr']:.3f} | {d['micro_aupr']:.3f} | {d['accuracy']:.3f} "
            f"| {d['macro_f1']:.3f} | {seconds:.0f} | {rss:.0f} |"
        )
    print(f"\n{len(rows[0][1]['per_label'])} labels evaluated, skipped {rows[0][1]['skipped']}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"options": str(options), "scores": [r[1] for r in rows]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
