"""The model checks of ``biodl assess`` on trained real-data runs.

For each run directory: data quantity (distinct training sequences per parameter), the
k-mer baseline (logistic regression on 3-5-mer spectra, paired bootstrap of the AUROC
difference), calibration (ECE and Brier on test; temperature fitted on valid and ECE
after), subgroups (GC and chromosome/source groups), compute (FLOPs, memory, measured
throughput, genome-scale estimate), and the applicability domain of four new sets: the
run's own test sequences (should be in domain), the test sequences of another data set,
uniform random DNA and GC-rich random DNA of the model's input length.

The inputs are rebuilt from the run's ``config.yaml`` as training built them
(:func:`biodl.data.build_splits`, same seed, same generated negatives); sequences are
those the model saw (cut to its input length).

Usage::

    nice -n 10 .venv/bin/python bench/assess_models.py \\
        --runs bench/out/deepbind_encode/CTCFL bench/out/enhancer/deepbind \\
        --other bench/out/deepbind_encode/REST bench/out/deepbind_encode/CTCFL \\
        --out bench/out/assess_models
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from biodl.assess.applicability import applicability
from biodl.assess.baseline import baseline
from biodl.assess.calibration import calibration
from biodl.assess.compute import compute
from biodl.assess.quantity import data_quantity
from biodl.assess.subgroups import subgroups
from biodl.assess.types import AssessInputs, Item, SplitView
from biodl.config import load_config
from biodl.data import build_splits
from biodl.models import predict
from biodl.runs import load_run
from biodl.tasks import task_from_meta


def build_inputs(run_dir: Path, *, seed: int = 0) -> AssessInputs:
    """AssessInputs of a binary/multi-class/numeric run, from its config.yaml."""
    run = load_run(run_dir)
    config = load_config(run_dir / "config.yaml")
    data = build_splits(config, input_length=run.input_length)
    task = task_from_meta(run.meta)
    splits = {}
    for name, ex in data.items():
        truth = task.truth(ex).astype(np.float64)
        y = truth.reshape(len(ex), -1)
        X = run.input_kind.encode(ex)
        logits = predict(run.model, X, batch_size=512, device="cpu").numpy().astype(np.float64)
        groups = {"source": np.array([Path(p).name for p, _ in ex.origins])}
        if ex.chroms is not None:
            groups["chrom"] = np.array(ex.chroms)
        splits[name] = SplitView(tuple(ex.ids), tuple(ex.sequences), y, groups, logits)
    return AssessInputs(
        task=task.name,
        alphabet=run.alphabet,
        outputs=tuple(run.meta["outputs"]),
        splits=splits,
        model=run.model,
        meta=run.meta,
        run_dir=run_dir,
        seed=seed,
    )


def random_dna(n: int, length: int, gc: float, seed: int) -> tuple[str, ...]:
    rng = np.random.default_rng(seed)
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    letters = np.array(list("ACGT"))
    return tuple("".join(rng.choice(letters, size=length, p=p)) for _ in range(n))


def new_sets(
    inputs: AssessInputs, other: AssessInputs | None, n: int
) -> dict[str, tuple[str, ...]]:
    length = int(inputs.meta["input_length"])
    test = inputs.splits["test"].sequences
    sets = {"own test": tuple(test[:n])}
    if other is not None:
        theirs = other.splits["test"].sequences
        label = f"{Path(str(other.run_dir)).name} test"
        sets[label] = tuple(s[:length] if len(s) >= length else s for s in theirs[:n])
    sets["uniform random"] = random_dna(n, length, 0.5, seed=1)
    sets["GC-rich random (70 %)"] = random_dna(n, length, 0.7, seed=2)
    return sets


def with_new_data(inputs: AssessInputs, seqs: Sequence[str]) -> AssessInputs:
    ids = tuple(f"new{i}" for i in range(len(seqs)))
    return AssessInputs(
        inputs.task,
        inputs.alphabet,
        inputs.outputs,
        inputs.splits,
        inputs.model,
        inputs.meta,
        inputs.run_dir,
        (ids, tuple(seqs)),
        inputs.seed,
    )


def timed(name: str, func: Any, timings: dict[str, float], *args: Any, **kwargs: Any) -> Item:
    start = time.perf_counter()
    item = func(*args, **kwargs)
    timings[name] = round(time.perf_counter() - start, 2)
    return item


def assess_run(run_dir: Path, other_dir: Path | None, n_new: int, n_boot: int) -> dict[str, Any]:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inputs = build_inputs(run_dir)
    other = build_inputs(other_dir) if other_dir is not None else None
    timings["build_inputs"] = round(time.perf_counter() - start, 2)
    items = {
        "quantity": timed("quantity", data_quantity, timings, inputs),
        "baseline": timed("baseline", baseline, timings, inputs, n_boot=n_boot),
        "calibration": timed("calibration", calibration, timings, inputs),
        "subgroups": timed("subgroups", subgroups, timings, inputs, n_boot=n_boot),
        "compute": timed("compute", compute, timings, inputs, device="cpu"),
    }
    domain = {}
    for label, seqs in new_sets(inputs, other, n_new).items():
        item = timed(f"applicability[{label}]", applicability, timings, with_new_data(inputs, seqs))
        values = {k: v for k, v in item.values.items() if k != "rows"}
        domain[label] = {"flag": item.flag, "summary": item.summary, **values}
    out = {k: v.to_json() for k, v in items.items()}
    out["applicability"] = domain
    out["timings_s"] = timings
    out["threads"] = torch.get_num_threads()
    return out


def _ci(entry: dict[str, Any]) -> str:
    if entry.get("value") is None:
        return "n/a"
    text = f"{entry['value']:.3f}"
    if entry.get("ci"):
        text += f" [{entry['ci'][0]:.3f}, {entry['ci'][1]:.3f}]"
    return text


def report(name: str, r: dict[str, Any]) -> str:
    q, b, c, s, m = (r[k] for k in ("quantity", "baseline", "calibration", "subgroups", "compute"))
    lines = [f"### {name}", ""]
    lines.append(
        f"* quantity ({q['flag']}): {q['n_train_unique']:,} distinct training sequences "
        f"({q['n_train']:,} in all) / {q['n_parameters']:,} parameters = {q['ratio']:.2f}"
    )
    lines.append(
        f"* baseline ({b['flag']}): test {b['metric']} model {_ci(b['model'])}, k-mer "
        f"logistic regression {_ci(b['baseline'])}, difference {_ci(b['difference'])} "
        f"(C = {b['strength']:g})"
    )
    after = c.get("after", {}).get("ece")
    lines.append(
        f"* calibration ({c['flag']}): test ECE {c['ece']:.3f}, Brier {c['brier']:.3f}; "
        f"temperature {c['temperature']:.2f} (valid) -> ECE {after:.3f}, Brier "
        f"{c['after']['brier']:.3f}"
    )
    lines.append(f"* subgroups ({s['flag']}): {s['summary']}")
    lines.append("")
    lines.append("| grouping | group | n | AUROC [95 % CI] |")
    lines.append("|---|---|---|---|")
    for gname, g in s.get("groupings", {}).items():
        for row in g["groups"]:
            value = _ci(row) if row["value"] is not None else f"not scored ({row['note']})"
            lines.append(f"| {gname} | {row['group']} | {row['n']} | {value} |")
    lines.append("")
    peak = m["inference_peak_bytes"]
    train_peak = m["training_step_peak_bytes"]
    mib = 1024**2
    lines.append(
        f"* compute ({m['flag']}): {m['n_parameters_trainable']:,} parameters, "
        f"{m['flops_per_sequence'] / 1e6:.2f} MFLOP/sequence, {m['sequences_per_s']:,.0f} "
        f"sequences/s on {m['device']} ({m['threads']} threads), inference peak "
        f"{'n/a' if peak is None else f'{peak / mib:.1f} MiB'} (batch {m['batch_size']}), "
        f"training step {'n/a' if train_peak is None else f'{train_peak / mib:.1f} MiB'}, "
        f"model {m['model_bytes'] / 1024:.1f} KiB, training data "
        f"{m['training_data_bytes'] / mib:.2f} MiB; 3.1 Gb genome in {m['window']} bp tiles "
        f"{m['tiled_hours']:.2f} h, sliding per base {m['sliding_hours']:.1f} h"
    )
    lines.append("")
    lines.append("| new data | in domain | flag |")
    lines.append("|---|---|---|")
    for label, d in r["applicability"].items():
        share = f"{d['n_in_domain']}/{d['n']} ({d['fraction_in_domain']:.0%})"
        lines.append(f"| {label} | {share} | {d['flag']} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", type=Path, required=True)
    parser.add_argument(
        "--other", nargs="*", type=Path, default=[], help="one run per --runs entry"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out/assess_models"))
    parser.add_argument("--n-new", type=int, default=500)
    parser.add_argument("--n-boot", type=int, default=1000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for i, run_dir in enumerate(args.runs):
        other = args.other[i] if i < len(args.other) else None
        start = time.perf_counter()
        name = f"{run_dir.parent.name}/{run_dir.name}"
        results[name] = assess_run(run_dir, other, args.n_new, args.n_boot)
        results[name]["wall_s"] = round(time.perf_counter() - start, 1)
        print(report(name, results[name]))
        print(f"(wall {results[name]['wall_s']} s; {results[name]['timings_s']})\n", flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
