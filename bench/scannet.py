"""ScanNet PIDPBS per-residue binding sites from sequence: 5-fold CV over the given folds.

Protocol (``shared/data/scannet_pidpbs/SOURCE.md``): the five given folds (homology-aware
by construction, per the ScanNet README); each fold is held out once, 10 % of the other
chains are held out for early stopping. Model ``residue_tagger`` (sequence only; ScanNet
itself uses structures). Metric: per-residue AUPRC pooled over the held-out folds,
unweighted and weighted by each chain's ``sample_weight`` (table.csv), next to the base
rate (the AUPRC of a random predictor). With ``--homology 0.3`` the early-stopping
chains are whole clusters at 30 % identity (otherwise a random 10 %). Chains are cut or
padded to 800 residues (residues beyond are not scored; the count is printed).

Usage::

    .venv/bin/python bench/scannet.py --out bench/out/scannet
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from biodl.io import read_residue_labels
from biodl.metrics import auroc, average_precision
from biodl.workflows import cross_validate


def config_for(
    data: Path, length: int, epochs: int, seed: int, homology: float | None = None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "task": "multilabel",
        "per_position": True,
        "data": {
            "train": {
                "residues": {str(k): str(data / f"labels_fold{k}.txt.gz") for k in range(5)},
                "output": "site",
            },
            "valid": {"fraction": 0.1},
            "alphabet": "protein",
            "length": length,
            "pad_short": True,
            "ambiguous": "unknown",
        },
        "model": {"name": "residue_tagger"},
        "train": {
            "max_epochs": epochs,
            "seed": seed,
            "batch_size": 32,
            "class_weight": "balanced",
            "monitor": "valid_auroc",
            "progress_bar": False,
        },
        "evaluate": {"n_bootstrap": 0},
    }
    if homology is not None:  # the early-stopping chains in whole homology clusters
        config["data"]["homology"] = {"identity": homology}
    return config


def sample_weights(data: Path) -> dict[str, float]:
    with gzip.open(data / "table.csv.gz", "rt") as handle:
        return {r["pdbid_receptor"]: float(r["sample_weight"]) for r in csv.DictReader(handle)}


def pooled(out: Path, weights: dict[str, float]) -> dict[str, Any]:
    ys, ss, ws = [], [], []
    for predictions in sorted(out.glob("fold_*/predictions.tsv")):
        with predictions.open() as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["split"] != "test":
                    continue
                true = np.array(
                    [np.nan if v == "NA" else float(v) for v in row["true_site"].split(",")]
                )
                score = np.array([float(v) for v in row["pred_site"].split(",")])
                keep = ~np.isnan(true)
                ys.append(true[keep])
                ss.append(score[keep])
                ws.append(np.full(int(keep.sum()), weights.get(row["id"], 1.0)))
    y = np.concatenate(ys).astype(bool)
    s = np.concatenate(ss)
    w = np.concatenate(ws)
    return {
        "residues": int(y.size),
        "base_rate": float(y.mean()),
        "base_rate_weighted": float((w * y).sum() / w.sum()),
        "auprc": average_precision(y, s),
        "auprc_weighted": average_precision(y, s, sample_weight=w),
        "auroc": auroc(y, s),
        "auroc_weighted": auroc(y, s, sample_weight=w),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/scannet_pidpbs"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/scannet"))
    parser.add_argument("--length", type=int, default=800)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--homology",
        type=float,
        default=None,
        help="identity for a homology-aware early-stopping split (e.g. 0.3); default random",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data.resolve()
    total = sum(
        len(r.sequence)
        for k in range(5)
        for r in read_residue_labels(data / f"labels_fold{k}.txt.gz")
    )
    cfg = args.out / "config.yaml"
    config = config_for(data, args.length, args.epochs, args.seed, args.homology)
    cfg.write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    cross_validate(cfg, args.out / "cv", folds=5, dedupe=False, force=True)
    wall = time.perf_counter() - start
    result = pooled(args.out / "cv", sample_weights(data))
    result.update({"residues_in_files": total, "wall_s": round(wall, 1)})
    # peak resident memory of this process and of its largest finished child (MMseqs2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["peak_child_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    (args.out / "results.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
