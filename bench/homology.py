"""Timing of homology clustering (``biodl.data.homology``): Python path and MMseqs2.

Random proteins (Swiss-Prot residue composition, lengths 270-330) have no homologues,
so they time the prefilter and the unavoidable alignments; subsets of the DeepLoc 1.0
training proteins (``shared/data/deeploc1_trainsubset``) time real data, with real
families. Prints a Markdown table: seconds, clusters, largest cluster.

Usage::

    .venv/bin/python bench/homology.py --sizes 500 2000 \\
        [--deeploc ../shared/data/deeploc1_trainsubset] [--methods python mmseqs] \\
        [--threads 1]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import time
from pathlib import Path

import numpy as np

from biodl.data.homology import cluster_sequences, mmseqs_available

AMINO = "ARNDCQEGHILKMFPSTWYV"
SWISSPROT_PERCENT = [8.25, 5.53, 4.06, 5.45, 1.37, 3.93, 6.75, 7.07, 2.27, 5.96,
                     9.66, 5.84, 2.42, 3.86, 4.70, 6.56, 5.34, 1.08, 2.92, 6.87]  # fmt: skip


def random_proteins(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    p = np.array(SWISSPROT_PERCENT) / sum(SWISSPROT_PERCENT)
    letters = np.array(list(AMINO))
    return ["M" + "".join(rng.choice(letters, int(rng.integers(269, 330)), p=p)) for _ in range(n)]


def deeploc(folder: Path, n: int, seed: int) -> list[str]:
    with gzip.open(folder / "deeploc1_train_union.tsv.gz", "rt") as handle:
        seqs = [row["sequence"] for row in csv.DictReader(handle, delimiter="\t")]
    pick = np.random.default_rng(seed).choice(len(seqs), min(n, len(seqs)), replace=False)
    return [seqs[i] for i in sorted(pick)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--deeploc", type=Path, default=None)
    parser.add_argument("--methods", nargs="+", default=["python", "mmseqs"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    methods = [m for m in args.methods if m != "mmseqs" or mmseqs_available()]
    sets: list[tuple[str, list[str]]] = []
    for n in args.sizes:
        sets.append((f"random {n} x ~300 aa", random_proteins(n, args.seed)))
        if args.deeploc is not None:
            sets.append((f"DeepLoc {n}", deeploc(args.deeploc, n, args.seed)))
    print("| set | method | seconds | clusters | largest |")
    print("|---|---|---:|---:|---:|")
    for name, seqs in sets:
        for method in methods:
            start = time.perf_counter()
            clusters = cluster_sequences(seqs, method=method, threads=args.threads)
            seconds = time.perf_counter() - start
            sizes = np.bincount(clusters)
            print(
                f"| {name} | {method} | {seconds:.1f} | {len(sizes)} | {sizes.max()} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
