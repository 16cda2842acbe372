"""UCI primate splice junctions (EI / IE / N, 60 bp): 10-fold CV after deduplication.

Protocol (``shared/data/splice_uci_primate/SOURCE.md``): no fixed split exists; biodl
removes duplicate sequences (exact and reverse-complement; the file has 185 copies and
one conflicting pair), then runs stratified 10-fold cross-validation (seed 1), with 10 %
of each training part held out for early stopping. The 15 sequences with IUPAC
ambiguity codes keep them as N (``data.ambiguous: unknown``). Models score one strand
(``strands: single``): a splice site has an orientation. Reports the error % per class
(mean +- SD over folds) next to KBANN's 10-fold figures on 1,000 examples.

``--tune-trials N`` runs nested cross-validation: in each outer fold, N trials search
on that fold's training part only (its 10 % validation split scores them), then the
best options are trained and judged on the fold's test part. For ``basset`` the search
space is widened for 60-bp inputs (``BASSET_SPACE``: first-layer filters and the three
pooling widths, so the search can keep positions, plus the model's declared dense and
dropout dimensions and the optimiser's learning rate, weight decay and batch size).

Usage::

    .venv/bin/python bench/splice.py --data ../shared/data/splice_uci_primate \
        --out bench/out/splice [--models deepbind basset]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import yaml

from biodl.workflows import cross_validate

PUBLISHED = {  # splice.names: error % per class, 10-fold CV on 1,000 examples
    "KBANN": {"N": 4.62, "EI": 7.56, "IE": 8.47},
    "BACKPROP": {"N": 5.29, "EI": 5.74, "IE": 10.75},
    "PEBLS": {"N": 6.86, "EI": 8.18, "IE": 7.55},
}


BASSET_SPACE: dict[str, Any] = {  # the ``tune.space`` block used with --tune-trials
    "conv1_filters": {"type": "int", "low": 32, "high": 300, "log": True},
    "pool1_width": {"type": "int", "low": 1, "high": 3},
    "pool2_width": {"type": "int", "low": 1, "high": 4},
    "pool3_width": {"type": "int", "low": 1, "high": 4},
    "hidden": {"type": "int", "low": 32, "high": 1000, "log": True},
}


def config_for(
    data: Path, model: str, seed: int, epochs: int, tune: bool = False
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "task": "multiclass",
        "classes": ["EI", "IE", "N"],
        "data": {
            "train": {
                "table": str(data / "splice.data"),
                "sep": ",",
                "columns": ["class", "name", "sequence"],
                "sequence": "sequence",
                "label": "class",
                "id": "name",
            },
            "valid": {"fraction": 0.1},
            "ambiguous": "unknown",
        },
        "model": {"name": model, "strands": "single"},
        "train": {"max_epochs": epochs, "seed": seed, "progress_bar": False},
    }
    if tune and model == "basset":
        config["tune"] = {"space": BASSET_SPACE}
    return config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/splice_uci_primate"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/splice"))
    parser.add_argument("--models", nargs="*", default=["deepbind", "basset"])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--tune-trials", type=int, default=None, help="nested CV: search N trials per fold"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for model in args.models:
        name = f"{model}_tuned" if args.tune_trials else model
        cfg = args.out / f"{name}.yaml"
        cfg.write_text(
            yaml.safe_dump(
                config_for(
                    args.data.resolve(), model, args.seed, args.epochs, bool(args.tune_trials)
                )
            )
        )
        start = time.perf_counter()
        result = cross_validate(
            cfg, args.out / name, folds=args.folds, tune_trials=args.tune_trials, force=True
        ).cv
        rows.append({"model": name, "cv": result, "wall_s": round(time.perf_counter() - start, 1)})
        print(json.dumps({"model": model, "wall_s": rows[-1]["wall_s"]}), flush=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    d = rows[0]["cv"]["deduplication"]
    print(
        f"\ndeduplication: {d['removed']} copies removed "
        f"({d['conflicting_labels']} with conflicting labels), {d['kept']} kept\n"
    )
    print("| method | folds | accuracy | N error % | EI error % | IE error % | wall s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        s = r["cv"]["summary"]

        def cell(key: str, scale: float = 1.0, summary: dict[str, Any] = s) -> str:
            e = summary[key]
            return f"{scale * e['mean']:.2f} +- {scale * e['sd']:.2f}"

        print(
            f"| biodl {r['model']} | {r['cv']['folds']} (dedup.) | {cell('accuracy')} "
            f"| {cell('error[N]')} | {cell('error[EI]')} | {cell('error[IE]')} | {r['wall_s']} |"
        )
    for name, err in PUBLISHED.items():
        print(
            f"| {name} (published) | 10 (1,000 ex.) | | {err['N']} | {err['EI']} | {err['IE']} | |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
