"""HIV (41,127 molecules): time per epoch and peak memory of ``biodl train`` itself (issue #19).

Unlike ``bench/molecule_speed.py`` (the models in a plain torch loop), this runs the
whole pipeline: ``biodl train CONFIG --out RUN --quiet --threads N`` with
``max_epochs: 1`` (reading, RDKit checks, featurising, the packed per-batch graphs
(``PackedGraphs``), one epoch of training with validation, evaluation, the run
directory), one model per process, under ``/usr/bin/time -v`` (peak RSS: "Maximum
resident set size" of the process). HIV's ``HIV_active`` is a binary task; RDKit's
rejects are skipped (``data.invalid: skip``); valid and test are 10 % scaffold splits
each (``data.valid: {scaffold: 0.1}``, MoleculeNet's rule); batch 50, Adam 1e-3, the
models' default sizes (dmpnn hidden 300, depth 3; gin hidden 200, 5 layers;
fingerprint_mlp 1,000 units on 2,048-bit ECFP4).

The epoch time is the one ``biodl train`` logs for epoch 1 (``RUN/logs/train.log``:
training + validation pass); ``model.json`` ``training.wall_s`` is the whole fit.
Results: ``bench/out/molecule_hiv_train.json`` and a markdown table on stdout::

    .venv/bin/python bench/molecule_hiv_train.py [--models dmpnn,gin,fingerprint_mlp] \\
        [--threads 1] [--data ../shared/data/moleculenet/chemprop_format/hiv.csv.gz]
    .venv/bin/python bench/molecule_hiv_train.py --table
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "moleculenet" / "chemprop_format" / "hiv.csv.gz"
OUT = ROOT / "bench" / "out" / "molecule_hiv"
RESULTS = ROOT / "bench" / "out" / "molecule_hiv_train.json"

MODELS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "dmpnn": ({"name": "dmpnn"}, {"featurizer": "graph"}),
    "gin": ({"name": "gin"}, {"featurizer": "graph"}),
    "fingerprint_mlp": (
        {"name": "fingerprint_mlp"},
        {"featurizer": "morgan", "fingerprint": {"radius": 2, "bits": 2048}},
    ),
}


def config_yaml(model: str, data: Path) -> str:
    import yaml

    params, data_opts = MODELS[model]
    cfg = {
        "task": "binary",
        "data": {
            "train": {"molecules": str(data), "smiles": "smiles", "label": "HIV_active"},
            "valid": {"scaffold": 0.1},
            "test": {"scaffold": 0.1},
            "invalid": "skip",
            **data_opts,
        },
        "model": params,
        "train": {
            "max_epochs": 1,
            "batch_size": 50,
            "learning_rate": 1e-3,
            "seed": 0,
            "progress_bar": False,
        },
        "evaluate": {"n_bootstrap": 0},
    }
    return yaml.safe_dump(cfg, sort_keys=False)


def _time_v(stderr: str, key: str) -> str | None:
    m = re.search(rf"^\s*{re.escape(key)}: (.+)$", stderr, re.M)
    return m.group(1).strip() if m else None


def run(model: str, data: Path, threads: int) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    cfg = OUT / f"{model}.yaml"
    cfg.write_text(config_yaml(model, data))
    run_dir = OUT / f"run_{model}"
    cmd = [
        "/usr/bin/time",
        "-v",
        str(ROOT / ".venv" / "bin" / "biodl"),
        "train",
        str(cfg),
        "--out",
        str(run_dir),
        "--force",
        "--quiet",
        "--threads",
        str(threads),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    (OUT / f"{model}.stderr.log").write_text(proc.stderr)
    (OUT / f"{model}.stdout.log").write_text(proc.stdout)
    row: dict[str, Any] = {
        "model": model,
        "exit": proc.returncode,
        "wall_s": round(wall, 1),
        "threads": threads,
        "command": " ".join(cmd[2:]),
        "host": f"{platform.node()} {platform.processor() or platform.machine()}",
    }
    rss = _time_v(proc.stderr, "Maximum resident set size (kbytes)")
    row["peak_rss_mib"] = round(int(rss) / 1024) if rss else None
    row["cpu_s"] = round(
        float(_time_v(proc.stderr, "User time (seconds)") or 0)
        + float(_time_v(proc.stderr, "System time (seconds)") or 0),
        1,
    )
    log = run_dir / "logs" / "train.log"
    if log.exists():
        m = re.search(r"epoch 1/1 .*?([\d.]+) s\s*$", log.read_text(), re.M)
        row["epoch_s"] = float(m.group(1)) if m else None
    mj = run_dir / "model.json"
    if mj.exists():
        model_json = json.loads(mj.read_text())
        row["fit_wall_s"] = model_json["training"]["wall_s"]
        row["n_parameters"] = model_json.get("n_parameters")
        row["train_seq_per_s"] = model_json["training"].get("train_seq_per_s")
        skipped = re.search(r"skipped (\d+) molecule", proc.stderr + proc.stdout)
        row["skipped"] = int(skipped.group(1)) if skipped else None
    metrics = run_dir / "metrics.json"
    if metrics.exists():
        m = json.loads(metrics.read_text())
        row["test_auroc_1_epoch"] = m["test"]["auroc"]["value"]
        row["n_test"] = m["test"].get("n", {}).get("value")
    if proc.returncode != 0:
        row["error_tail"] = proc.stderr[-2000:]
    return row


def molecules_used(model: str) -> int | None:
    """Molecules in the run's train + valid + test splits (``model.json``); the file's
    rows less this are the ones skipped (the run directory does not list them)."""
    mj = OUT / f"run_{model}" / "model.json"
    if not mj.exists():
        return None
    splits = json.loads(mj.read_text())["data"]["splits"]
    return sum(int(v["n"]) for v in splits.values())


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        (
            "| model | molecules used | epoch wall s (train + valid) | whole `biodl train` "
            "wall s | its CPU s (1 thread) | CPU share | peak RSS MiB | parameters | "
            "test ROC-AUC after 1 epoch |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        auc = r.get("test_auroc_1_epoch")
        used = molecules_used(r["model"])
        out.append(
            f"| {r['model']} | {used if used is None else f'{used:,}'} | {r.get('epoch_s', '—')} "
            f"| {r['wall_s']:.0f} | {r['cpu_s']:.0f} | {100 * r['cpu_s'] / r['wall_s']:.0f} % | "
            f"{r.get('peak_rss_mib', '—'):,} | {r.get('n_parameters') or '—':,} | "
            f"{'—' if auc is None else f'{auc:.3f}'} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    status = 0
    if not args.table:
        for model in [m.strip() for m in args.models.split(",") if m.strip()]:
            row = run(model, Path(args.data), args.threads)
            print(json.dumps(row), flush=True)
            status = status or row["exit"]
            rows = [r for r in rows if r["model"] != model] + [row]
            RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
    print(table(rows))
    return status


if __name__ == "__main__":
    sys.exit(main())
