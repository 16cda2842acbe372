"""Zoo comparison on the ENCODE ChIP-seq sets: deepbind vs danq vs basset (issue #3).

Same protocol as ``bench/deepbind_encode.py`` (all peaks, dinucleotide-shuffled
negatives, 10 % early-stopping split, test on ``_B``), one run per model and TF with the
model's default hyper-parameters. Prints test AUROC [95 % CI] per TF, one column per
model. Basset and DanQ have ~1,000x DeepBind's parameters: on 2 CPU cores a run takes
minutes to tens of minutes, so ``--tfs`` picks a subset.

``--tune-trials N`` tunes every cell first (``bench/tuned.py``: ``biodl tune``, TPE +
median pruner on the 10 % validation split; the test split is never read), with each
trial capped at ``--tune-epochs`` epochs, then trains the best options for ``--epochs``.
``--budget-s S`` shares S seconds of searching equally among the cells still to run
(each search stops starting trials at its share; at least one trial always runs), so
the same budget applies to every model: that is how ``bench/gpu.sh`` fits the thirty
cells into its time.

Usage::

    .venv/bin/python bench/zoo_encode.py --tfs MYC ELK1 --models deepbind basset danq \
        --out bench/out/zoo_encode
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from biodl.workflows import train_run
from deepbind_encode import EXPERIMENTS, KMER_BASELINE, config_for
from tuned import tuned_config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/tfbind_deepbind_encode"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/zoo_encode"))
    parser.add_argument("--tfs", nargs="*", default=list(EXPERIMENTS))
    parser.add_argument("--models", nargs="*", default=["deepbind", "basset", "danq"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tune-trials", type=int, default=None)
    parser.add_argument("--tune-epochs", type=int, default=None)
    parser.add_argument("--budget-s", type=float, default=None, help="search seconds, all cells")
    parser.add_argument("--label", default="", help="suffix of the result columns and folders")
    args = parser.parse_args()
    started = time.perf_counter()
    cells_left = len(args.tfs) * len(args.models)
    results: dict[str, dict[str, Any]] = {}
    results_path = args.out / "results.json"
    if results_path.is_file():  # runs accumulate over invocations
        results = json.loads(results_path.read_text())
    for tf in args.tfs:
        for model in args.models:
            column = f"{model}{args.label}"
            folder = args.out / column
            folder.mkdir(parents=True, exist_ok=True)
            cfg = folder / f"{tf}.yaml"
            config = config_for(
                EXPERIMENTS[tf], args.data.resolve(), {"name": model}, args.epochs, args.seed
            )
            start = time.perf_counter()
            tuning = None
            if args.tune_trials:
                share = None
                if args.budget_s:
                    left = args.budget_s - (time.perf_counter() - started)
                    share = max(left / cells_left, 1.0)
                config, tuning = tuned_config(
                    config,
                    folder / f"{tf}_tune",
                    trials=args.tune_trials,
                    timeout=share,
                    trial_epochs=args.tune_epochs,
                )
            cells_left -= 1
            cfg.write_text(yaml.safe_dump(config))
            run = train_run(cfg, folder / tf, force=True)
            wall = time.perf_counter() - start
            test = json.loads((run / "metrics.json").read_text())["test"]
            meta = json.loads((run / "model.json").read_text())
            results.setdefault(tf, {})[column] = {
                "auroc": test["auroc"],
                "auprc": test["auprc"],
                "n_parameters": meta["n_parameters"],
                "epochs": meta["training"]["epochs"],
                "best_epoch": meta["training"]["best_epoch"],
                "wall_s": round(wall, 1),
                "trials": None if tuning is None else tuning["n_trials"],
                "best_params": None if tuning is None else tuning["best_params"],
            }
            results_path.write_text(json.dumps(results, indent=2))
            print(
                json.dumps({"tf": tf, "model": column, "auroc": test["auroc"]["value"]}), flush=True
            )
    models = sorted({m for r in results.values() for m in r})
    print("| TF | 5-mer LR | " + " | ".join(f"{m} AUROC [95 % CI] (wall s)" for m in models) + " |")
    print("|---|---|" + "---|" * len(models))
    for tf, per_model in results.items():
        cells = []
        for m in models:
            r = per_model.get(m)
            if r is None:
                cells.append("not run")
                continue
            a = r["auroc"]
            trials = f", {r['trials']} trials" if r.get("trials") else ""
            if a["value"] is None:  # a one-class test split
                cells.append(f"undefined ({r['wall_s']} s{trials})")
                continue
            cells.append(
                f"{a['value']:.3f} [{a['ci'][0]:.3f}, {a['ci'][1]:.3f}] ({r['wall_s']} s{trials})"
            )
        print(f"| {tf} | {KMER_BASELINE[tf]:.3f} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
