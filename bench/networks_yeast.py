"""`biodl embed-networks` on BIONIC's yeast networks with IntAct complex labels, and its
scaling with genes and edges.

Runs the command line itself, one process per run, and reads ``evaluation.json`` and
``run.json`` (timings, peak memory) back:

    biodl embed-networks Krogan-2006.txt Hu-2007.txt.gz Costanzo-2016.txt.gz \\
        --labels yeast_IntAct_complex_labels.json --folds 5 --seed S --out OUT

Per-complex prediction on held-out genes (5-fold over the 556 labelled genes in the
union of the networks, the same folds for every feature set; logistic regression with
C chosen by inner CV on the training genes): each single network's random-walk + PPMI
features, their concatenation (both reduced to the embedding's 128 dimensions by PCA
over all genes, without labels) and the fused deepNF-style embedding.

``--scaling`` times ``biodl embed-networks`` (no labels, 5 epochs) on two random
networks of 1,500, 3,000 and 6,000 genes (mean degree 10, so edges grow with genes).

    OMP_NUM_THREADS=1 .venv/bin/python bench/networks_yeast.py [--seeds 0 1] [--scaling]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "networks_bionic_yeast"
BIODL = Path(sys.executable).with_name("biodl")
NETWORKS = ("Krogan-2006.txt", "Hu-2007.txt.gz", "Costanzo-2016.txt.gz")


def _run(args: list[str], out: Path) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    subprocess.run([str(BIODL), "embed-networks", *args, "--out", str(out), "--quiet"], check=True)
    return json.loads((out / "run.json").read_text()), time.perf_counter() - start


def yeast(seeds: list[int], work: Path) -> list[str]:
    rows: dict[str, list[dict[str, float]]] = {}
    costs = []
    for seed in seeds:
        out = work / f"seed{seed}"
        files = [str(DATA / n) for n in NETWORKS]
        labels = DATA / "yeast_IntAct_complex_labels.json"
        run, wall = _run([*files, "--labels", str(labels), "--seed", str(seed)], out)
        evaluation = json.loads((out / "evaluation.json").read_text())
        for name, score in evaluation.items():
            rows.setdefault(name, []).append(score)
            print(seed, name, round(score["macro_aupr"], 4), flush=True)
        t = run["timings"]
        costs.append(
            f"| {seed} | {t['features']:.0f} | {t['fusion']:.0f} | {t['evaluation']:.0f} | "
            f"{wall:.0f} | {run['peak_memory_mib']:.0f} |"
        )
        assessment = json.loads((out / "assessment" / "assessment.json").read_text())
        flags = ", ".join(f"{k} {assessment[k]['flag']}" for k in assessment["order"])
        costs[-1] += f" {flags} |"
    keys = ("macro_aupr", "micro_aupr", "accuracy", "macro_f1", "micro_f1")
    lines = [
        f"| features | {' | '.join(keys)} |",
        "|---|" + "---|" * len(keys),
    ]
    for name, scores in rows.items():
        cells = []
        for k in keys:
            v = np.array([s[k] for s in scores])
            cells.append(f"{v.mean():.3f}" + (f" ± {v.std(ddof=1):.3f}" if len(v) > 1 else ""))
        lines.append(f"| {name} | {' | '.join(cells)} |")
    lines += [
        "",
        "| seed | features s | fusion s | evaluation s | wall s | peak MiB | assessment |",
        "|---|---|---|---|---|---|---|",
        *costs,
    ]
    return lines


def _random_network(path: Path, genes: int, degree: int, seed: int) -> int:
    rng = np.random.default_rng(seed)
    n_edges = genes * degree // 2
    a = rng.integers(0, genes, size=2 * n_edges)
    b = rng.integers(0, genes, size=2 * n_edges)
    keep = a != b
    pairs = np.unique(np.sort(np.stack([a[keep], b[keep]], axis=1), axis=1), axis=0)[:n_edges]
    w = rng.uniform(0.2, 1.0, size=len(pairs))
    path.write_text(
        "".join(f"Y{i:05d} Y{j:05d} {x:.3f}\n" for (i, j), x in zip(pairs, w, strict=True))
    )
    return len(pairs)


def scaling(work: Path) -> list[str]:
    lines = [
        "| genes | edges (2 networks) | features s | fusion s (5 epochs) | peak MiB |",
        "|---|---|---|---|---|",
    ]
    for genes in (1500, 3000, 6000):
        nets = [work / f"g{genes}_{k}.txt" for k in (1, 2)]
        edges = sum(_random_network(p, genes, 10, k) for k, p in enumerate(nets))
        run, _ = _run([*map(str, nets), "--epochs", "5"], work / f"scale{genes}")
        t = run["timings"]
        lines.append(
            f"| {genes} | {edges} | {t['features']:.1f} | {t['fusion']:.1f} | "
            f"{run['peak_memory_mib']:.0f} |"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--scaling", action="store_true", help="only the scaling table")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or Path(
        "bench/out/networks_scaling.md" if args.scaling else "bench/out/networks_yeast.md"
    )
    with tempfile.TemporaryDirectory() as tmp:
        lines = scaling(Path(tmp)) if args.scaling else yeast(args.seeds, Path(tmp))
    text = "\n".join(lines) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")


if __name__ == "__main__":
    main()
