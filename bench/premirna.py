"""Pre-miRNA vs pseudo-hairpin (deepMiRGene's sets): deepmir with and without structure.

Protocol (``shared/data/premirna_deepmirgene/SOURCE.md``): human and cross-species
("whole"): train on ``cv/<set>/*_all`` (10 % held out, stratified, for early stopping),
test on ``test/<set>/*_test``; "new": train on all of ``sequences/whole_*``, test on all
of ``sequences/new_*``. Balanced class weights (deepMiRGene: ``class_weight='auto'``).
Inputs are RNA cut or padded to 200 nt around their centre (every positive is at most
180 nt; 1.6 % of the human training negatives are longer and are cropped).

Variants: ``structure`` = ``deepmir`` on ``data.encoding: structure`` (ViennaRNA MFE
structure + base-pair probabilities); ``sequence`` = ``deepmir`` with ``inputs:
sequence`` on plain one-hot (no ViennaRNA information; its 2-D branch sees only the
sequence's pairing potential).

Reports SE, SP, F-score, PPV, g-mean (at the run's decision threshold, chosen on the
validation split by ``train.threshold``, default ``mcc``; ``--threshold 0.5`` for the old
fixed cut), AUROC and AUPR with bootstrap 95 % CIs, next to the authors' logs (SOURCE.md).

``--tune-trials N`` replaces each training by a ``biodl tune`` search of N trials (TPE +
median pruner on the validation split; ``--tune-epochs E`` caps each trial's epochs,
``--tune-timeout S`` stops starting trials after S seconds) whose best configuration is
then trained with ``--epochs``; ``--ensemble K`` trains that final model as K seeds.

Usage::

    .venv/bin/python bench/premirna.py --sets human --variants structure sequence \
        --out bench/out/premirna
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from biodl.workflows import train_run
from tuned import tuned_config

PUBLISHED = {  # SOURCE.md: (SE, SP, F, PPV, g-mean, AUROC, AUPR)
    "human": {
        "deepMiRGene": (0.814, 0.985, 0.838, 0.864, 0.895, 0.979, 0.906),
        "Do et al.": (0.930, 0.984, 0.899, None, None, 0.983, 0.946),
    },
    "whole": {
        "deepMiRGene": (0.928, 0.978, 0.912, 0.896, 0.953, 0.986, 0.956),
        "Do et al.": (0.904, 0.982, 0.907, None, None, 0.983, 0.951),
    },
    "new": {
        "deepMiRGene": (0.891, 0.980, 0.838, 0.792, 0.935, 0.984, 0.802),
        "Do et al.": (0.917, 0.967, 0.792, None, None, 0.979, 0.864),
    },
}


def sources(data: Path, name: str) -> tuple[dict[str, str], dict[str, str]]:
    if name == "new":
        train = {"1": "sequences/whole_pos.fa.gz", "0": "sequences/whole_neg.fa.gz"}
        test = {"1": "sequences/new_pos.fa.gz", "0": "sequences/new_neg.fa.gz"}
    else:
        train = {"1": f"cv/{name}/{name}_pos_all.fa.gz", "0": f"cv/{name}/{name}_neg_all.fa.gz"}
        test = {
            "1": f"test/{name}/{name}_pos_test.fa.gz",
            "0": f"test/{name}/{name}_neg_test.fa.gz",
        }
    return (
        {k: str(data / v) for k, v in train.items()},
        {k: str(data / v) for k, v in test.items()},
    )


def config_for(
    data: Path, name: str, variant: str, epochs: int, seed: int, threshold: str | float = "mcc"
) -> dict[str, Any]:
    train, test = sources(data, name)
    model: dict[str, Any] = {"name": "deepmir"}
    if variant == "sequence":
        model["inputs"] = "sequence"
    return {
        "task": "binary",
        "positive": "1",
        "data": {
            "train": {"fasta": train},
            "valid": {"fraction": 0.1},
            "test": {"fasta": test},
            "alphabet": "rna",
            "length": 200,
            "pad_short": True,
            "encoding": "structure" if variant == "structure" else "onehot",
        },
        "model": model,
        "train": {
            "max_epochs": epochs,
            "seed": seed,
            "class_weight": "balanced",
            "patience": 6,
            "progress_bar": False,
            "threshold": threshold,
        },
    }


def row(test: dict[str, Any]) -> dict[str, Any]:
    se, sp = test["sensitivity"]["value"], test["specificity"]["value"]
    return {
        "SE": test["sensitivity"],
        "SP": test["specificity"],
        "F": test["f1"],
        "PPV": test["precision"],
        "g-mean": {"value": math.sqrt(se * sp), "ci": None},
        "AUROC": test["auroc"],
        "AUPR": test["auprc"],
    }


def fmt(entry: dict[str, Any] | float | None) -> str:
    if entry is None:
        return ""
    if isinstance(entry, float):
        return f"{entry:.3f}"
    if entry.get("ci"):
        lo, hi = entry["ci"]
        return f"{entry['value']:.3f} [{lo:.3f}, {hi:.3f}]"
    return f"{entry['value']:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/premirna_deepmirgene"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/premirna"))
    parser.add_argument("--sets", nargs="*", default=["human", "whole", "new"])
    parser.add_argument("--variants", nargs="*", default=["structure", "sequence"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", default="mcc", help="train.threshold rule or number")
    parser.add_argument("--tune-trials", type=int, default=None)
    parser.add_argument("--tune-epochs", type=int, default=None)
    parser.add_argument("--tune-timeout", type=float, default=None)
    parser.add_argument("--ensemble", type=int, default=1)
    parser.add_argument("--label", default="", help="suffix of the result rows and run folders")
    args = parser.parse_args()
    threshold: str | float = (
        args.threshold if args.threshold in ("mcc", "f1", "youden") else float(args.threshold)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "results.json"
    results: dict[str, Any] = json.loads(results_path.read_text()) if results_path.is_file() else {}
    for name in args.sets:
        for variant in args.variants:
            key = f"{variant}{args.label}"
            cfg = args.out / f"{name}_{key}.yaml"
            config = config_for(
                args.data.resolve(), name, variant, args.epochs, args.seed, threshold
            )
            start = time.perf_counter()
            tuning: dict[str, Any] | None = None
            if args.tune_trials:
                config, tuning = tuned_config(
                    config,
                    args.out / f"{name}_{key}_tune",
                    trials=args.tune_trials,
                    timeout=args.tune_timeout,
                    trial_epochs=args.tune_epochs,
                )
            if args.ensemble > 1:
                config["train"]["ensemble"] = args.ensemble
            cfg.write_text(yaml.safe_dump(config))
            run = train_run(cfg, args.out / f"{name}_{key}", force=True)
            wall = time.perf_counter() - start
            test = json.loads((run / "metrics.json").read_text())["test"]
            meta = json.loads((run / "model.json").read_text())
            results.setdefault(name, {})[key] = {
                "metrics": row(test),
                "n_parameters": meta["n_parameters"],
                "epochs": meta["training"]["epochs"],
                "best_epoch": meta["training"]["best_epoch"],
                "n_train": meta["data"]["splits"]["train"]["n"],
                "wall_s": round(wall, 1),
                "threshold": meta["threshold"],
                "trials": None if tuning is None else tuning["n_trials"],
                "best_params": None if tuning is None else tuning["best_params"],
            }
            results_path.write_text(json.dumps(results, indent=2))
            print(json.dumps({"set": name, "variant": key, "auroc": test["auroc"]["value"]}))
    keys = ["SE", "SP", "F", "PPV", "g-mean", "AUROC", "AUPR"]
    print(
        "| set | model | "
        + " | ".join(keys)
        + " | threshold | params | epochs (best) | trials | wall s |"
    )
    print("|---|---|" + "---|" * (len(keys) + 5))
    for name, per_variant in results.items():
        for variant, r in per_variant.items():
            cells = " | ".join(fmt(r["metrics"][k]) for k in keys)
            print(
                f"| {name} | biodl deepmir ({variant}) | {cells} | {r.get('threshold', 0.5):.3f} "
                f"| {r['n_parameters']:,} | {r['epochs']} ({r['best_epoch']}) "
                f"| {r.get('trials') or ''} | {r['wall_s']} |"
            )
        for who, values in PUBLISHED.get(name, {}).items():
            cells = " | ".join(fmt(v) for v in values)
            print(f"| {name} | {who} (published) | {cells} | | | | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
