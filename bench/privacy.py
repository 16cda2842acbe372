"""Membership-inference audit of ``biodl assess``: an over-fitted and a regularised model.

Same data (iEnhancer-2L layer 1, ``shared/data/enhancer_ienhancer2l``: 1,484 + 1,484
training sequences of 200 bp, independent set 200 + 200), two runs:

* **over-fitted**: Basset (about 4.7 M weights for 2,968 sequences) with dropout 0,
  weight decay 0, no validation split (so no early stopping, no best-epoch selection:
  the saved weights are the last epoch's) and a constant learning rate, ``--epochs``
  epochs (default 20);
* **regularised**: DeepBind with its defaults (dropout 0.5), 10 % of training held out
  for early stopping (patience 5) and the best epoch kept, at most 30 epochs.

Each run is assessed with :func:`biodl.assess.privacy.privacy` alone (members: training
examples; non-members: the independent test sequences that are not copies of training
sequences, 300 of 400; equal-sized random subsample of members). Prints a Markdown
table: model, parameters, train and test accuracy (at the run's decision threshold),
loss-attack and confidence-attack AUROC with bootstrap 95 % CIs, membership advantage
and the flag. Use ``OMP_NUM_THREADS=1``: about 7 minutes on one thread, nearly all of
it the Basset run (about 20 s per epoch).

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python bench/privacy.py \
        --data ../shared/data/enhancer_ienhancer2l --out bench/out/privacy [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from biodl.assess import load_inputs
from biodl.assess.privacy import privacy
from biodl.workflows import train_run
from enhancer import config_for


def overfit_config(data: Path, seed: int, epochs: int) -> dict[str, Any]:
    config = config_for(data, "basset", seed, epochs, "mcc")
    del config["data"]["valid"]
    config["model"]["dropout"] = 0.0
    config["train"].update({"weight_decay": 0.0, "lr_schedule": "none"})
    return config


def regularised_config(data: Path, seed: int) -> dict[str, Any]:
    return config_for(data, "deepbind", seed, 30, "mcc")


def accuracy(inputs: Any, split: str) -> float:
    view = inputs.splits[split]
    scores = inputs.scores(view.logits)[:, 0]
    threshold = inputs.task_kind.threshold
    return float(np.mean((scores >= threshold) == (view.y[:, 0] == 1)))


def fmt(auroc: dict[str, Any] | None) -> str:
    if not auroc or auroc.get("value") is None:
        return "n/a"
    ci = auroc.get("ci")
    text = f"{auroc['value']:.3f}"
    return text + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/enhancer_ienhancer2l"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/privacy"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="assess finished runs again")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data.resolve()
    runs = {
        "Basset, over-fitted (no dropout, no weight decay, no early stopping)": (
            "overfit",
            overfit_config(data, args.seed, args.epochs),
        ),
        "DeepBind, regularised (defaults: dropout 0.5, early stopping)": (
            "regularised",
            regularised_config(data, args.seed),
        ),
    }
    rows = []
    for label, (name, config) in runs.items():
        cfg = args.out / f"{name}.yaml"
        cfg.write_text(yaml.safe_dump(config))
        run = args.out / name
        start = time.perf_counter()
        if not (args.reuse and (run / "model.json").is_file()):
            train_run(cfg, run, force=True)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        inputs = load_inputs(run)
        item = privacy(inputs)
        assess_s = time.perf_counter() - start
        meta = json.loads((run / "model.json").read_text())
        audit = item.values["membership"]
        rows.append(
            {
                "model": label,
                "run": name,
                "n_parameters": meta["n_parameters"],
                "epochs": meta["training"]["epochs"],
                "best_epoch": meta["training"]["best_epoch"],
                "train_accuracy": accuracy(inputs, "train"),
                "test_accuracy": accuracy(inputs, "test"),
                "loss": audit["attacks"]["loss"],
                "confidence": audit["attacks"].get("confidence"),
                "headline": audit.get("headline_attack"),
                "advantage": audit.get("advantage"),
                "n_members": audit.get("n_members"),
                "n_copies_dropped": audit.get("n_copies_dropped"),
                "flag": item.flag,
                "membership_flag": audit["flag"],
                "storage_flag": item.values["storage"]["flag"],
                "summary": item.summary,
                "train_s": round(train_s, 1),
                "assess_s": round(assess_s, 1),
            }
        )
        print(json.dumps({k: rows[-1][k] for k in ("run", "train_s", "assess_s")}), flush=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2, default=str))
    print()
    print(
        "| model | params | epochs (kept) | train acc | test acc | loss-attack AUROC [95 % CI] "
        "| confidence-attack AUROC [95 % CI] | advantage | flag |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['n_parameters']:,} | {r['epochs']} ({r['best_epoch'] + 1}) "
            f"| {r['train_accuracy']:.3f} | {r['test_accuracy']:.3f} "
            f"| {fmt(r['loss']['auroc'])} | {fmt((r['confidence'] or {}).get('auroc'))} "
            f"| {r['advantage']:.3f} | {r['membership_flag']} |"
        )
    print()
    for r in rows:
        print(
            f"{r['run']}: {r['n_members']} members vs {r['n_members']} non-members "
            f"({r['n_copies_dropped']} test copies of training sequences left out); "
            f"train {r['train_s']} s, assess {r['assess_s']} s; item flag {r['flag']} "
            f"(storage {r['storage_flag']})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
