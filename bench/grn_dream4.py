"""`biodl grn` on DREAM4 In Silico Size100 networks 1-3, and its scaling with genes.

Runs the command line itself (``biodl grn ... --method ensemble --gold ...``, which
computes every method and scores each the DREAM way), one process per network and
setting, and reads ``score.json`` and ``run.json`` (time, peak memory) back:

* ``multifactorial``: ``multifactorial/insilico_size100_n_multifactorial.tsv`` against
  ``gold/DREAM4_GoldStandard_InSilico_Size100_multifactorial_n.tsv`` (the GENIE3
  subchallenge; GENIE3's published AUPR 0.154 / 0.155 / 0.231, AUROC 0.745 / 0.733 /
  0.775 as cited in SOURCE.md);
* ``all``: knockouts + knockdowns + time series + wild type of ``size100/`` pooled,
  against ``gold/DREAM4_GoldStandard_InSilico_Size100_n.tsv``.

``--scaling`` times ``biodl grn`` on simulated networks of 100, 200 and 400 genes
(:func:`biodl.testing.networks.write_grn_example`, 200 samples) with every gene a
candidate regulator, so the work grows with genes squared.

    OMP_NUM_THREADS=1 .venv/bin/python bench/grn_dream4.py [--trees-all 100] [--scaling]

Networks 4-5 of the challenge are a hidden test set (not in ../shared); nothing here is
tuned per network.
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

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "grn_dream4"
BIODL = Path(sys.executable).with_name("biodl")
PUBLISHED = {  # GENIE3 (Huynh-Thu et al. 2010), multifactorial, as cited in SOURCE.md
    1: (0.154, 0.745),
    2: (0.155, 0.733),
    3: (0.231, 0.775),
}


def _inputs(setting: str, n: int) -> tuple[list[str], Path]:
    if setting == "multifactorial":
        expr = DATA / f"multifactorial/insilico_size100_{n}_multifactorial.tsv"
        gold = DATA / f"gold/DREAM4_GoldStandard_InSilico_Size100_multifactorial_{n}.tsv"
        return [f"steady:{expr}"], gold
    folder = DATA / f"size100/insilico_size100_{n}"
    names = ("knockouts.tsv", "knockdowns.tsv", "timeseries.tsv.gz", "wildtype.tsv")
    files = [str(folder / f"insilico_size100_{n}_{name}") for name in names]
    return files, DATA / f"gold/DREAM4_GoldStandard_InSilico_Size100_{n}.tsv"


def _run(args: list[str], out: Path) -> tuple[dict[str, Any], dict[str, Any], float]:
    start = time.perf_counter()
    subprocess.run([str(BIODL), "grn", *args, "--out", str(out), "--quiet"], check=True)
    wall = time.perf_counter() - start
    run = json.loads((out / "run.json").read_text())
    score = json.loads((out / "score.json").read_text()) if (out / "score.json").is_file() else {}
    return run, score, wall


def dream(trees_mf: int, trees_all: int, work: Path) -> list[str]:
    lines = [
        "| setting | network | method | AUPR | AUROC | GENIE3 published AUPR / AUROC |",
        "|---|---|---|---|---|---|",
    ]
    means: dict[tuple[str, str], list[tuple[float, float]]] = {}
    costs = []
    for setting, n_trees in (("multifactorial", trees_mf), ("all", trees_all)):
        for n in (1, 2, 3):
            files, gold = _inputs(setting, n)
            out = work / f"{setting}_{n}"
            run, score, wall = _run(
                [*files, "--gold", str(gold), "--trees", str(n_trees), "--method", "ensemble"],
                out,
            )
            costs.append(
                f"| {setting} | {n} | {run['timings'].get('infer', 0):.0f} | {wall:.0f} | "
                f"{run['peak_memory_mib']:.0f} |"
            )
            for method, s in score["methods"].items():
                pub = (
                    f"{PUBLISHED[n][0]:.3f} / {PUBLISHED[n][1]:.3f}"
                    if setting == "multifactorial" and method == "trees"
                    else ""
                )
                lines.append(
                    f"| {setting} | {n} | {method} | {s['aupr']:.3f} | {s['auroc']:.3f} | {pub} |"
                )
                means.setdefault((setting, method), []).append((s["aupr"], s["auroc"]))
            print(lines[-1], flush=True)
    lines += ["", "| setting | method | mean AUPR | mean AUROC |", "|---|---|---|---|"]
    for (setting, method), vals in means.items():
        aupr = sum(v[0] for v in vals) / len(vals)
        auroc = sum(v[1] for v in vals) / len(vals)
        lines.append(f"| {setting} | {method} | {aupr:.3f} | {auroc:.3f} |")
    lines += [
        "",
        "| setting | network | inference s | wall s (process) | peak memory MiB |",
        "|---|---|---|---|---|",
        *costs,
    ]
    return lines


def scaling(work: Path, n_trees: int) -> list[str]:
    from biodl.testing.networks import write_grn_example

    lines = [
        "| genes | samples | method | inference s | peak memory MiB |",
        "|---|---|---|---|---|",
    ]
    for genes in (100, 200, 400):
        expr, _ = write_grn_example(work / f"sim{genes}", n_genes=genes, n_samples=200)
        for method in ("trees", "neural"):
            out = work / f"scale_{genes}_{method}"
            run, _, _ = _run([str(expr), "--method", method, "--trees", str(n_trees)], out)
            lines.append(
                f"| {genes} | 200 | {method} | {run['timings']['infer']:.1f} | "
                f"{run['peak_memory_mib']:.0f} |"
            )
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees-multifactorial", type=int, default=500)
    parser.add_argument("--trees-all", type=int, default=100)
    parser.add_argument("--scaling", action="store_true", help="only the scaling table")
    parser.add_argument("--scaling-trees", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("bench/out/grn_dream4.md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.scaling:
            lines = scaling(work, args.scaling_trees)
        else:
            lines = dream(args.trees_multifactorial, args.trees_all, work)
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")


if __name__ == "__main__":
    main()
