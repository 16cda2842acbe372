"""DeepCpG's CpG module on the 2-cell mini set: train on one chromosome, test on the other.

Protocol (``shared/data/methylation_deepcpg_mini/SOURCE.md``): sites of chr18 for
training (10 % of them held out for early stopping), every site of chr19 for testing,
then the reverse. Per-cell test AUROC/AUPRC with bootstrap 95 % CIs, next to a baseline
with no training: the mean state of the nearest observed CpG upstream and downstream in
the same cell. DeepCpG's published AUCs are for the full Smallwood 2014 data and do not
apply to this subset (SOURCE.md).

Usage::

    .venv/bin/python bench/methylation.py --out bench/out/methylation
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from biodl.data.cpg import cpg_neighbours, cpg_sites_and_targets
from biodl.io import read_cpg_profile
from biodl.metrics import binary_metrics
from biodl.workflows import train_run

CELLS = ("BS27_4_SER", "BS28_2_SER")


def config_for(data: Path, test_chrom: str, epochs: int, seed: int) -> dict[str, Any]:
    return {
        "task": "multilabel",
        "data": {
            "train": {
                "cpg": {c: str(data / "cpg_profiles" / f"{c}.bed.gz") for c in CELLS},
                "window": 25,
            },
            "valid": {"fraction": 0.1},
            "test": {"chromosomes": [test_chrom]},
            "encoding": "cpg",
        },
        "model": {"name": "deepcpg_cpg"},
        "train": {
            "max_epochs": epochs,
            "seed": seed,
            "learning_rate": 0.0001,
            "patience": 5,
            "progress_bar": False,
        },
    }


def baseline(data: Path, test_chrom: str) -> dict[str, dict[str, Any]]:
    """Per-cell metrics of the mean state of the two nearest observed neighbours."""
    profiles = {c: read_cpg_profile(data / "cpg_profiles" / f"{c}.bed.gz") for c in CELLS}
    chroms, positions, targets = cpg_sites_and_targets(profiles)
    on = chroms == test_chrom
    out = {}
    for k, cell in enumerate(CELLS):
        keep = on & ~np.isnan(targets[:, k])
        states, _ = cpg_neighbours(profiles[cell], chroms[keep], positions[keep], window=1)
        out[cell] = binary_metrics(targets[keep, k], states.mean(axis=1), seed=1)
    return out


def fmt(entry: dict[str, Any]) -> str:
    lo, hi = entry["ci"]
    return f"{entry['value']:.3f} [{lo:.3f}, {hi:.3f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path("../shared/data/methylation_deepcpg_mini")
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out/methylation"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data.resolve()
    print("| train -> test | cell | deepcpg_cpg AUROC | deepcpg_cpg AUPRC | "
          "nearest-neighbour AUROC | test sites | epochs (best) | wall s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for train_chrom, test_chrom in (("18", "19"), ("19", "18")):
        cfg = args.out / f"train{train_chrom}.yaml"
        cfg.write_text(yaml.safe_dump(config_for(data, test_chrom, args.epochs, args.seed)))
        start = time.perf_counter()
        run = train_run(cfg, args.out / f"train{train_chrom}", force=True)
        wall = time.perf_counter() - start
        test = json.loads((run / "metrics.json").read_text())["test"]
        meta = json.loads((run / "model.json").read_text())
        base = baseline(data, test_chrom)
        for cell in CELLS:
            print(
                f"| chr{train_chrom} -> chr{test_chrom} | {cell} | {fmt(test[f'auroc[{cell}]'])} "
                f"| {fmt(test[f'auprc[{cell}]'])} | {fmt(base[cell]['auroc'])} "
                f"| {test[f'n[{cell}]']['value']} | {meta['training']['epochs']} "
                f"({meta['training']['best_epoch']}) | {wall:.1f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
