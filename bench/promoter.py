"""DeePromoter TATA promoters (EPDnew, human and mouse) with DeePromoter's negatives.

Protocol (``shared/data/promoter_deepromoter_epd_tata/SOURCE.md``): the files hold 300 bp
promoters only. Negatives are made as DeePromoter did (Oubounyt et al. 2019): each
positive is cut into 20 segments and 12 of them, chosen at random, are replaced by random
bases (``negatives: {shuffle: segments}``, one per positive, seeded). No split is
published: biodl holds out a stratified 10 % for early stopping and 10 % for test (of the
positives, before negatives are made, seed 1). Reports precision, recall, MCC
(threshold 0.5) and AUROC with bootstrap 95 % CIs. DeePromoter's own figures could not
be retrieved offline (SOURCE.md), so no published value is shown.

Usage::

    .venv/bin/python bench/promoter.py --data ../shared/data/promoter_deepromoter_epd_tata \
        --out bench/out/promoter [--models deepbind danq]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import yaml

from biodl.workflows import train_run

SPECIES = {"human": "hs_pos_TATA.txt.gz", "mouse": "mm_pos_TATA.txt.gz"}


def config_for(path: Path, model: str, seed: int, epochs: int) -> dict[str, Any]:
    return {
        "task": "binary",
        "data": {
            "train": {
                "fasta": str(path),
                "negatives": {"shuffle": "segments", "segments": 20, "replaced": 12},
            },
            "valid": {"fraction": 0.1},
            "test": {"fraction": 0.1},
        },
        "model": {"name": model},
        "train": {"max_epochs": epochs, "seed": seed, "progress_bar": False},
    }


def fmt(entry: dict[str, Any]) -> str:
    lo, hi = entry["ci"]
    return f"{entry['value']:.3f} [{lo:.3f}, {hi:.3f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path("../shared/data/promoter_deepromoter_epd_tata")
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out/promoter"))
    parser.add_argument("--models", nargs="*", default=["deepbind", "danq"])
    parser.add_argument("--species", nargs="*", default=list(SPECIES))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for species in args.species:
        for model in args.models:
            name = f"{species}_{model}"
            cfg = args.out / f"{name}.yaml"
            data = args.data.resolve() / SPECIES[species]
            cfg.write_text(yaml.safe_dump(config_for(data, model, args.seed, args.epochs)))
            start = time.perf_counter()
            run = train_run(cfg, args.out / name, force=True)
            wall = time.perf_counter() - start
            test = json.loads((run / "metrics.json").read_text())["test"]
            meta = json.loads((run / "model.json").read_text())
            rows.append(
                {
                    "species": species,
                    "model": model,
                    "test": test,
                    "n_train": meta["data"]["splits"]["train"]["n"],
                    "epochs": meta["training"]["epochs"],
                    "best_epoch": meta["training"]["best_epoch"],
                    "wall_s": round(wall, 1),
                }
            )
            print(json.dumps({"run": name, "wall_s": rows[-1]["wall_s"]}), flush=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    print(
        "| species | model | test n | precision | recall | MCC | AUROC | epochs (best) | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r["test"]
        print(
            f"| {r['species']} TATA | biodl {r['model']} | {t['n']['value']} "
            f"| {fmt(t['precision'])} | {fmt(t['sensitivity'])} | {fmt(t['mcc'])} "
            f"| {fmt(t['auroc'])} | {r['epochs']} ({r['best_epoch']}) | {r['wall_s']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
