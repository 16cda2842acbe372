"""Training options on a benchmark, before any default changes (issue #15).

Takes one benchmark configuration (any YAML another ``bench/`` script wrote, with a
test split) and trains it under each variant of the training options, with several
seeds, on the same data and split: the current defaults (AdamW, reduce-on-plateau,
no clipping, no weight averaging), warm-up + cosine, one-cycle, gradient clipping, and
EMA / SWA weight averaging. Reports the test headline metric (mean +- SD over seeds, and
each seed's value), epochs and wall time, so a default is changed only on evidence.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python bench/defaults.py bench/out/enhancer_tuned/deepbind.yaml \
        --seeds 1 2 3 --out bench/out/defaults_enhancer [--variants plateau cosine ema]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from biodl.tasks import task_class
from biodl.workflows import train_run

VARIANTS: dict[str, dict[str, Any]] = {
    "plateau": {},  # the defaults today
    "cosine": {"lr_schedule": "cosine", "warmup_epochs": 2},
    "onecycle": {"lr_schedule": "onecycle"},
    "clip": {"gradient_clip": 1.0},
    "ema": {"weight_average": "ema"},
    "swa": {"weight_average": "swa"},
    "cosine+ema": {"lr_schedule": "cosine", "warmup_epochs": 2, "weight_average": "ema"},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--metric", default=None, help="test metric (default: the headline)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = yaml.safe_load(args.config.read_text())
    results: dict[str, Any] = {}
    for variant in args.variants:
        for seed in args.seeds:
            config = copy.deepcopy(base)
            config["train"] = {**config.get("train", {}), **VARIANTS[variant], "seed": seed}
            name = f"{variant}_seed{seed}"
            cfg = args.out / f"{name}.yaml"
            cfg.write_text(yaml.safe_dump(config))
            start = time.perf_counter()
            run = train_run(cfg, args.out / name, force=True)
            wall = time.perf_counter() - start
            metrics = json.loads((run / "metrics.json").read_text())
            meta = json.loads((run / "model.json").read_text())
            metric = args.metric or task_class(meta["task"]).headline
            value = metrics["test"][metric]["value"]
            results.setdefault(variant, []).append(
                {
                    "seed": seed,
                    "metric": metric,
                    "value": value,
                    "epochs": meta["training"]["epochs"],
                    "best_epoch": meta["training"]["best_epoch"],
                    "wall_s": round(wall, 1),
                }
            )
            print(json.dumps({"variant": variant, "seed": seed, metric: value}), flush=True)
            (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\n{args.config}\n")
    print(
        "| variant | train options | test metric mean +- SD | per seed | epochs (best) | wall s |"
    )
    print("|---|---|---|---|---|---|")
    for variant, rows in results.items():
        values = [r["value"] for r in rows]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        options = ", ".join(f"{k}: {v}" for k, v in VARIANTS[variant].items()) or "defaults"
        per_seed = ", ".join(f"{v:.3f}" for v in values)
        epochs = ", ".join(f"{r['epochs']} ({r['best_epoch']})" for r in rows)
        wall = sum(r["wall_s"] for r in rows) / len(rows)
        print(
            f"| {variant} | {options} | {rows[0]['metric']} {statistics.mean(values):.3f} "
            f"+- {sd:.3f} | {per_seed} | {epochs} | {wall:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
