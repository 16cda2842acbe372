"""iEnhancer-2L layer 1 (enhancer vs non-enhancer): zoo models on the independent set.

Protocol (``shared/data/enhancer_ienhancer2l/SOURCE.md``): train on 1,484 enhancers +
1,484 non-enhancers (10 % held out for early stopping), test on the independent
200 + 200. Reports Acc, Sn, Sp, MCC (at the run's decision threshold, chosen on the
validation split by ``train.threshold``, default ``mcc``; ``--threshold 0.5`` for the
old fixed cut) and AUROC with bootstrap 95 % CIs, on all 400 test sequences and on the
300 that are not copies of training sequences (all 100 strong independent enhancers are
exact copies of training enhancers).

``--tune-trials N`` adds, per model, a ``biodl tune`` search of N trials (TPE + median
pruner, validation split only) and its best model; ``--ensemble K`` adds the tuned
configuration retrained as ``train.ensemble: K`` (K seeds averaged).

Usage::

    .venv/bin/python bench/enhancer.py --data ../shared/data/enhancer_ienhancer2l \
        --out bench/out/enhancer [--models deepbind basset danq] [--tune-trials 30]
        [--ensemble 5] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from biodl.metrics import binary_metrics
from biodl.workflows import train_run, tune_run

PUBLISHED = {  # SOURCE.md, iEnhancer-ELM README, independent set (Acc, Sn, Sp, MCC)
    "iEnhancer-2L (Liu 2016)": (0.730, 0.710, 0.750, 0.460),
    "iEnhancer-EL (Liu 2018)": (0.7475, 0.710, 0.785, 0.496),
    "iEnhancer-5Step (Le 2019)": (0.790, 0.820, 0.760, 0.580),
    "iEnhancer-ELM (DNABERT ensemble)": (0.830, 0.800, 0.860, 0.6612),
}


def config_for(
    data: Path, model: str, seed: int, epochs: int, threshold: str | float
) -> dict[str, Any]:
    return {
        "task": "binary",
        "data": {
            "train": {
                "fasta": {
                    "1": str(data / "original_enhancer_train.txt"),
                    "0": str(data / "original_non_enhancer_train.txt"),
                }
            },
            "valid": {"fraction": 0.1},
            "test": {
                "fasta": {
                    "1": str(data / "original_enhancer_ind.txt"),
                    "0": str(data / "original_non_enhancer_ind.txt"),
                }
            },
        },
        "model": {"name": model},
        "train": {
            "max_epochs": epochs,
            "seed": seed,
            "progress_bar": False,
            "threshold": threshold,
        },
    }


def copies_in_training(data: Path) -> set[str]:
    """Ids (first header word) of independent-set sequences identical to a training one."""
    with (data / "layer2_strength_labels.tsv").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {
        r["header"].split()[0]
        for r in rows
        if r["split"] == "independent" and r["identical_seq_in_train"] == "yes"
    }


def test_metrics(run: Path, exclude: set[str], threshold: float) -> dict[str, dict[str, Any]]:
    ids, y, s = [], [], []
    with (run / "predictions.tsv").open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["split"] == "test":
                ids.append(row["id"])
                y.append(int(row["target"]))
                s.append(float(row["score"]))
    y_arr, s_arr = np.array(y), np.array(s)
    keep = np.array([i not in exclude for i in ids])
    return {
        "all": binary_metrics(y_arr, s_arr, threshold=threshold, seed=1),
        "dedup": binary_metrics(y_arr[keep], s_arr[keep], threshold=threshold, seed=1),
    }


def fmt(entry: dict[str, Any]) -> str:
    lo, hi = entry["ci"]
    return f"{entry['value']:.3f} [{lo:.3f}, {hi:.3f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/enhancer_ienhancer2l"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/enhancer"))
    parser.add_argument("--models", nargs="*", default=["deepbind", "basset", "danq"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse", action="store_true", help="score finished runs in --out again (no training)"
    )
    parser.add_argument("--tune-trials", type=int, default=None, help="also tune N trials")
    parser.add_argument("--ensemble", type=int, default=None, help="also tuned x K seeds")
    parser.add_argument(
        "--threshold", default="mcc", help="train.threshold: mcc, f1, youden or a number"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data.resolve()
    exclude = copies_in_training(data)
    threshold: str | float = (
        args.threshold if args.threshold in ("mcc", "f1", "youden") else float(args.threshold)
    )
    rows = []

    def record(label: str, run: Path, wall: float, trials: int | None = None) -> None:
        meta = json.loads((run / "model.json").read_text())
        rows.append(
            {
                "model": label,
                "metrics": test_metrics(run, exclude, float(meta["threshold"])),
                "threshold": meta["threshold"],
                "epochs": meta["training"]["epochs"],
                "best_epoch": meta["training"]["best_epoch"],
                "n_parameters": meta["n_parameters"],
                "trials": trials,
                "params": (meta.get("tuning") or {}).get("best_params"),
                "wall_s": round(wall, 1),
            }
        )
        print(json.dumps({"model": label, "wall_s": rows[-1]["wall_s"]}), flush=True)

    for model in args.models:
        cfg = args.out / f"{model}.yaml"
        cfg.write_text(yaml.safe_dump(config_for(data, model, args.seed, args.epochs, threshold)))
        start = time.perf_counter()
        run = args.out / model
        if not (args.reuse and (run / "model.json").is_file()):
            train_run(cfg, run, force=True)
        record(model, run, time.perf_counter() - start)
        if args.tune_trials:
            start = time.perf_counter()
            tuned = tune_run(cfg, args.out / f"{model}_tuned", trials=args.tune_trials, force=True)
            record(f"{model} tuned", tuned.best.out, time.perf_counter() - start, args.tune_trials)
            if args.ensemble and args.ensemble > 1:
                best = yaml.safe_load((tuned.out / "best_config.yaml").read_text())
                best["train"]["ensemble"] = args.ensemble
                ens_cfg = args.out / f"{model}_tuned_ensemble.yaml"
                ens_cfg.write_text(yaml.safe_dump(best))
                start = time.perf_counter()
                ens = args.out / f"{model}_tuned_ensemble"
                train_run(ens_cfg, ens, force=True)
                record(f"{model} tuned x{args.ensemble} seeds", ens, time.perf_counter() - start)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    print(f"\n{len(exclude)} independent sequences are copies of training sequences\n")
    head = (
        "| model | test set | Acc | Sn | Sp | MCC | AUROC | threshold | params "
        "| epochs (best) | trials | wall s |"
    )
    print(head)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for subset, label in (
            ("all", "all 400"),
            ("dedup", f"{400 - len(exclude)} not in training"),
        ):
            m = r["metrics"][subset]
            print(
                f"| biodl {r['model']} | {label} | {fmt(m['accuracy'])} | {fmt(m['sensitivity'])} "
                f"| {fmt(m['specificity'])} | {fmt(m['mcc'])} | {fmt(m['auroc'])} "
                f"| {r['threshold']:.3f} | {r['n_parameters']:,} | {r['epochs']} "
                f"({r['best_epoch']}) | {r['trials'] or ''} | {r['wall_s']} |"
            )
    for name, (acc, sn, sp, mcc) in PUBLISHED.items():
        print(
            f"| {name} (published) | all 400 | {acc:.3f} | {sn:.3f} | {sp:.3f} "
            f"| {mcc:.3f} | | | | | | |"
        )
    for r in rows:
        if r["params"]:
            print(f"{r['model']}: {json.dumps(r['params'], sort_keys=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
