"""Issue #21 benchmark: coverage tracks from sequence on basenji's "cage10" fixture.

20 real hg19 windows of 262,144 bp with 10 CAGE tracks in 128-bp bins
(``../shared/data/seq2signal_basenji_cage``; read its SOURCE.md). The split is the
one SOURCE.md proposes, by chromosome: 14 windows train, chr4/5/6 (3) validate, chr2 (3)
test. Each figure is a per-track Pearson r over the 3 x 2,048 test bins pooled, on raw
values (the models read 65,536-bp windows, so the 12 test windows tile the three test
windows exactly and score the same bins as SOURCE.md's baselines).

Steps (each cached in ``bench/out/seq2signal/``):

* ``check``: biodl's bigWig reader and excerpt genome against the fixture's own
  ``targets.npz`` and FASTA (every bin and base must agree);
* ``baselines``: SOURCE.md's baselines recomputed here (mean profile, GC-only linear at 128
  bp, GC at 128/1,024/8,192 bp), from ``targets.npz`` and the FASTA;
* ``train``: ``biodl train`` + ``biodl evaluate`` of each example configuration
  (``examples/cage_dilated_resnet.yaml``, ``examples/cage_bpnet.yaml``) for the seeds
  given, wall time and peak RSS of the whole process.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python bench/seq2signal.py --seeds 0 1 2
    .venv/bin/python bench/seq2signal.py --table

14 training windows are far from Basenji's genome-scale training (and the tracks'
samples are unknown): the figures measure the pipeline, not the architecture's ceiling.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "seq2signal"
BIODL = ROOT / ".venv" / "bin" / "biodl"
DATA = ROOT.parent / "shared" / "data" / "seq2signal_basenji_cage"
CONFIGS = {
    "dilated_resnet": ROOT / "examples" / "cage_dilated_resnet.yaml",
    "bpnet": ROOT / "examples" / "cage_bpnet.yaml",
}


def _windows() -> tuple[np.ndarray, list[str], list[str], np.ndarray, np.ndarray]:
    npz = np.load(DATA / "targets.npz", allow_pickle=False)
    return (
        npz["targets"].astype(np.float64),
        [str(c) for c in npz["chroms"]],
        [str(s) for s in npz["splits"]],
        npz["window_starts"],
        npz["window_ends"],
    )


def check() -> dict[str, Any]:
    """biodl's readers against the fixture's decoded targets and sequences."""
    from biodl.io import Genome
    from biodl.io.tracks import open_track

    targets, chroms, _, starts, ends = _windows()
    worst = 0.0
    for t in range(targets.shape[-1]):
        with open_track(DATA / f"track_{t}.bw") as track:
            for w, (c, s, e) in enumerate(zip(chroms, starts, ends, strict=True)):
                got = track.bins(c, int(s), int(e), bin_size=128, aggregate="mean")
                worst = max(worst, float(np.abs(got - targets[w, :, t]).max()))
    mismatched = 0
    with Genome(DATA / "windows.fa.gz") as genome:
        import gzip

        records: dict[str, str] = {}
        name = ""
        with gzip.open(DATA / "windows.fa.gz", "rt") as fh:
            for line in fh:
                if line.startswith(">"):
                    name = line[1:].split()[0]
                    records[name] = ""
                else:
                    records[name] += line.strip()
        for c, s, e in zip(chroms, starts, ends, strict=True):
            if genome.fetch(c, int(s), int(e)) != records[f"{c}:{s}-{e}"]:
                mismatched += 1
    return {"max_abs_bin_difference": worst, "windows_with_other_bases": mismatched}


def _gc_features(seq: str, scales: tuple[int, ...]) -> np.ndarray:
    """GC fraction in windows of each scale centred on each 128-bp bin, ``(2048, S)``."""
    gc = np.frombuffer(seq.encode(), dtype=np.uint8)
    strong = ((gc == ord("G")) | (gc == ord("C"))).astype(np.float64)
    cum = np.concatenate([[0.0], np.cumsum(strong)])
    centres = np.arange(2048) * 128 + 64
    out = np.empty((2048, len(scales)))
    for j, w in enumerate(scales):
        lo = np.clip(centres - w // 2, 0, len(seq))
        hi = np.clip(centres + w // 2, 0, len(seq))
        out[:, j] = (cum[hi] - cum[lo]) / np.maximum(hi - lo, 1)
    return out


def baselines() -> dict[str, Any]:
    """SOURCE.md's three baselines, recomputed (per-track Pearson on the pooled test bins)."""
    from biodl.io import Genome

    targets, chroms, splits, starts, ends = _windows()
    train = [i for i, s in enumerate(splits) if s == "train"]
    test = [i for i, s in enumerate(splits) if s == "test"]
    with Genome(DATA / "windows.fa.gz") as genome:
        seqs = [
            genome.fetch(c, int(s), int(e)) for c, s, e in zip(chroms, starts, ends, strict=True)
        ]
    truth = targets[test].reshape(-1, targets.shape[-1])
    out: dict[str, Any] = {}

    def score(pred: np.ndarray) -> list[float]:
        return [float(np.corrcoef(truth[:, t], pred[:, t])[0, 1]) for t in range(truth.shape[1])]

    mean_profile = targets[train].mean(axis=0)  # (2048, T)
    out["mean_profile"] = score(np.concatenate([mean_profile] * len(test)))
    for name, scales in (("gc_128", (128,)), ("gc_multiscale", (128, 1024, 8192))):
        feats = {i: _gc_features(seqs[i], scales) for i in train + test}
        X = np.concatenate([np.c_[np.ones(2048), feats[i]] for i in train])
        Y = targets[train].reshape(-1, targets.shape[-1])
        coef, *_ = np.linalg.lstsq(X, Y, rcond=None)
        Xt = np.concatenate([np.c_[np.ones(2048), feats[i]] for i in test])
        out[name] = score(Xt @ coef)
    return out


def train_one(model: str, seed: int, *, force: bool) -> dict[str, Any]:
    """``biodl train`` + ``biodl evaluate`` of one configuration and seed."""
    run = OUT / "runs" / f"{model}_s{seed}"
    result = OUT / "runs" / f"{model}_s{seed}.json"
    if result.exists() and not force:
        cached: dict[str, Any] = json.loads(result.read_text())
        return cached
    config = CONFIGS[model]
    seeded = OUT / "configs" / f"{model}_s{seed}.yaml"
    seeded.parent.mkdir(parents=True, exist_ok=True)
    text = config.read_text().replace("seed: 0", f"seed: {seed}")
    text = text.replace("../../shared/", f"{ROOT.parent}/shared/")
    seeded.write_text(text)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([str(BIODL), "train", str(seeded), "--out", str(run), "--force"], check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    metrics = json.loads((run / "metrics.json").read_text())
    meta = json.loads((run / "model.json").read_text())
    out = {
        "model": model,
        "seed": seed,
        "wall_s": round(wall, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "peak_rss_mib": round(after.ru_maxrss / 1024, 1),
        "epochs": meta["training"]["epochs"],
        "best_epoch": meta["training"]["best_epoch"],
        "n_parameters": meta["n_parameters"],
        "threads": meta["threads"],
        "test": {k: v["value"] for k, v in metrics["test"].items()},
        "valid": {k: v["value"] for k, v in metrics["valid"].items()},
    }
    out["genome_predict"] = genome_predict(run)
    result.write_text(json.dumps(out, indent=1))
    return out


def genome_predict(run: Path) -> dict[str, Any]:
    """``biodl predict --genome --regions`` over the three test windows, both strands
    averaged (the run trained with reverse-complement augmentation), written as bigWig
    and read back: per-track Pearson over the same 3 x 2,048 bins as the table."""
    import pyBigWig

    targets, chroms, splits, starts, ends = _windows()
    test = [i for i, s in enumerate(splits) if s == "test"]
    bed = OUT / "test_windows.bed"
    bed.write_text("".join(f"{chroms[i]}\t{starts[i]}\t{ends[i]}\n" for i in test))
    folder = run.parent / f"{run.name}_genome"
    folder.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    subprocess.run(
        [str(BIODL), "predict", "--model", str(run), "--genome", str(DATA / "windows.fa.gz"),
         "--regions", str(bed), "--out", str(folder / "pred.bw"), "--quiet"],
        check=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    r = []
    for t in range(targets.shape[-1]):
        with pyBigWig.open(str(folder / f"pred.track_{t}.bw")) as bw:
            pred = np.concatenate(
                [
                    np.asarray(bw.values(chroms[i], int(starts[i]), int(ends[i]), numpy=True))
                    .reshape(-1, 128)
                    .mean(axis=1)
                    for i in test
                ]
            )
        truth = targets[test, :, t].reshape(-1)
        r.append(float(np.corrcoef(truth, pred)[0, 1]))
    return {"pearson": r, "mean_pearson": float(np.mean(r)), "wall_s": round(wall, 1)}


def table(results: dict[str, Any]) -> str:
    """The markdown table of ``results.json``."""
    lines = [
        "| model | t0 | t1 | t2 | t3 | t4 | t5 | t6 | t7 | t8 | t9 | mean r (test) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, label in (
        ("mean_profile", "mean profile (SOURCE.md 0.009)"),
        ("gc_128", "GC-only linear, 128 bp (SOURCE.md 0.063)"),
        ("gc_multiscale", "GC-only linear, multi-scale (SOURCE.md 0.114)"),
    ):
        r = results["baselines"][name]
        cells = " | ".join(f"{v:.3f}" for v in r)
        lines.append(f"| {label}, recomputed | {cells} | **{np.mean(r):.3f}** |")
    by_model: dict[str, list[dict[str, Any]]] = {}
    for run in results.get("runs", []):
        by_model.setdefault(run["model"], []).append(run)
    for model, runs in by_model.items():
        per = np.array([[r["test"][f"pearson[track_{t}]"] for t in range(10)] for r in runs])
        means = per.mean(axis=1)
        cells = " | ".join(f"{v:.3f}" for v in per.mean(axis=0))
        sd = f" ± {means.std(ddof=1):.3f}" if len(runs) > 1 else ""
        seeds = ",".join(str(r["seed"]) for r in runs)
        lines.append(f"| biodl {model} (seeds {seeds}) | {cells} | **{means.mean():.3f}{sd}** |")
    for model, runs in by_model.items():
        done = [r for r in runs if "genome_predict" in r]
        if done:
            per = np.array([r["genome_predict"]["pearson"] for r in done])
            cells = " | ".join(f"{v:.3f}" for v in per.mean(axis=0))
            means = per.mean(axis=1)
            sd = f" ± {means.std(ddof=1):.3f}" if len(done) > 1 else ""
            lines.append(
                f"| biodl {model}, `predict --genome` both strands, bigWig read back | "
                f"{cells} | **{means.mean():.3f}{sd}** |"
            )
    lines.append("")
    lines.append(
        "| model | seed | epochs (best) | parameters | window Pearson | log Pearson | JSD | "
        "count Pearson | wall s | CPU s | peak RSS MiB |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for run in results.get("runs", []):
        t = run["test"]
        lines.append(
            f"| {run['model']} | {run['seed']} | {run['epochs']} ({run['best_epoch']}) | "
            f"{run['n_parameters']:,} | {t.get('mean_window_pearson', float('nan')):.3f} | "
            f"{t.get('mean_log_pearson', float('nan')):.3f} | "
            f"{t.get('mean_jsd', float('nan')):.3f} | "
            f"{t.get('mean_count_pearson', float('nan')):.3f} | {run['wall_s']} | "
            f"{run['cpu_s']} | {run['peak_rss_mib']} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, nargs="*", default=[0])
    ap.add_argument("--models", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--table", action="store_true", help="print the table of results.json")
    ap.add_argument("--force", action="store_true", help="retrain cached runs")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "results.json"
    if args.table:
        print(table(json.loads(path.read_text())))
        return
    if not DATA.is_dir():
        sys.exit(f"missing {DATA}")
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    results["command"] = " ".join(
        ["OMP_NUM_THREADS=" + os.environ.get("OMP_NUM_THREADS", ""), *sys.argv]
    )
    results["check"] = check()
    print("check:", results["check"], flush=True)
    results["baselines"] = baselines()
    print("baselines:", {k: round(float(np.mean(v)), 3) for k, v in results["baselines"].items()})
    runs = {(r["model"], r["seed"]): r for r in results.get("runs", [])}
    for model in args.models:
        for seed in args.seeds:
            runs[(model, seed)] = train_one(model, seed, force=args.force)
            if "genome_predict" not in runs[(model, seed)]:  # cached before this step
                run_dir = OUT / "runs" / f"{model}_s{seed}"
                runs[(model, seed)]["genome_predict"] = genome_predict(run_dir)
                cache = OUT / "runs" / f"{model}_s{seed}.json"
                cache.write_text(json.dumps(runs[(model, seed)], indent=1))
            results["runs"] = list(runs.values())
            path.write_text(json.dumps(results, indent=1))
            print(model, seed, runs[(model, seed)]["test"].get("mean_pearson"), flush=True)
    path.write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
