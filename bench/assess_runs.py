"""Run ``biodl assess`` on every run directory the benchmarks produced.

Usage::

    nice -n 10 python bench/assess_runs.py [--root bench/out] [--out bench/out/assess_runs]
                                          [--budget-min 25] [--timeout-s 300]

Every folder under ``--root`` with a ``model.json`` is assessed, except the folds of a
cross-validation beyond the first (``fold_<k>`` next to ``cv.json``). iEnhancer-2L
(``enhancer/deepbind``) goes first; the others follow from the smallest training set
up, until ``--budget-min`` minutes are spent. Each run is one ``biodl assess``
process (so one failure cannot stop the others), timed. Prints one flags table per run
and the iEnhancer-2L leakage findings, and writes ``OUT/<run>/`` assessment folders and
``OUT/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from biodl.assess import ITEM_ORDER

SHORT = {"green": "G", "amber": "A", "red": "R", "not_assessed": "-"}
FIRST = "enhancer/deepbind"


def _fold_number(name: str) -> int | None:
    match = re.fullmatch(r"fold_(\d+)", name)
    return None if match is None else int(match.group(1))


def find_runs(root: Path) -> list[Path]:
    """Run directories under ``root``; of a cross-validation only the first fold."""
    runs = sorted(p.parent for p in root.rglob("model.json"))
    out = []
    for run in runs:
        k = _fold_number(run.name)
        if k is not None and (run.parent / "cv.json").is_file():
            siblings = [_fold_number(p.name) for p in run.parent.iterdir() if p.is_dir()]
            if k != min(n for n in siblings if n is not None):
                continue
        out.append(run)
    return out


def _train_size(run: Path) -> int:
    try:
        meta = json.loads((run / "model.json").read_text())
        return int(meta["data"]["splits"]["train"]["n"])
    except (OSError, ValueError, KeyError, TypeError):
        return 10**9


def _assess(run: Path, out: Path, timeout: float) -> dict[str, Any]:
    biodl = Path(sys.executable).with_name("biodl")
    command = [os.fspath(biodl), "assess", "--model", os.fspath(run), "--out", os.fspath(out)]
    command.append("--force")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, env=env
        )
        code, err = proc.returncode, proc.stderr.strip().splitlines()
    except subprocess.TimeoutExpired:
        code, err = 124, [f"timed out after {timeout:.0f} s"]
    wall = time.perf_counter() - start
    result: dict[str, Any] = {"exit_code": code, "wall_s": round(wall, 1)}
    if code == 0:
        data = json.loads((out / "assessment.json").read_text())
        result["flags"] = {k: data[k]["flag"] for k in ITEM_ORDER}
        result["overall"] = data["overall"]
        result["summaries"] = {k: data[k]["summary"] for k in ITEM_ORDER}
        result["timings"] = data.get("timings", {})
    else:
        result["error"] = err[-1] if err else "no message"
    return result


def enhancer_findings(folder: Path) -> dict[str, Any]:
    """The leakage findings on iEnhancer-2L: copies, clean test set, clean metrics."""
    data = json.loads((folder / "assessment.json").read_text())
    leak = data["leakage"]
    exact = leak.get("exact", {})
    out: dict[str, Any] = {
        "flag": leak["flag"],
        "summary": leak["summary"],
        "exact_test_copies": exact.get("test_count", exact.get("count")),
        "exact_pairs": exact.get("count"),
        "reverse_complement_test_copies": leak.get("reverse_complement", {}).get("test_count"),
        "near_duplicate_test": leak.get("near_duplicate", {}).get("test_count"),
        "n_test": leak.get("n_test"),
        "clean_test": len(leak.get("clean_test_ids", [])),
    }
    clean = leak.get("clean_metrics") or {}
    for part in ("all", "clean"):
        for metric in ("auroc", "auprc", "accuracy", "mcc"):
            entry = (clean.get(part) or {}).get(metric)
            if isinstance(entry, dict):
                out[f"{metric}_{part}"] = {"value": entry.get("value"), "ci": entry.get("ci")}
    return out


def _table(results: dict[str, dict[str, Any]]) -> str:
    head = "run".ljust(58) + " ".join(k[:5].rjust(5) for k in ITEM_ORDER) + "  overall   wall_s"
    lines = [head]
    for name, r in results.items():
        if "flags" in r:
            cells = " ".join(SHORT[r["flags"][k]].rjust(5) for k in ITEM_ORDER)
            lines.append(f"{name:<58}{cells}  {r['overall']:<8} {r['wall_s']:>7}")
        else:
            lines.append(f"{name:<58}failed (exit {r['exit_code']}): {r['error'][:80]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("bench/out"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/assess_runs"))
    parser.add_argument("--budget-min", type=float, default=25.0)
    parser.add_argument("--timeout-s", type=float, default=300.0)
    parser.add_argument("--only", nargs="*", help="run paths (relative to --root) to assess")
    args = parser.parse_args(argv)
    runs = [r for r in find_runs(args.root) if args.out not in r.parents]
    if args.only:
        runs = [r for r in runs if os.fspath(r.relative_to(args.root)) in args.only]
    runs.sort(key=lambda r: (os.fspath(r.relative_to(args.root)) != FIRST, _train_size(r)))
    deadline = time.monotonic() + args.budget_min * 60
    results: dict[str, dict[str, Any]] = {}
    skipped = []
    for run in runs:
        name = os.fspath(run.relative_to(args.root))
        left = deadline - time.monotonic()
        if left < 10:
            skipped.append(name)
            continue
        result = _assess(run, args.out / name, min(args.timeout_s, left))
        result["n_train"] = _train_size(run)
        results[name] = result
        print(
            f"[{len(results)}/{len(runs)}] {name}: exit {result['exit_code']}, "
            f"{result['wall_s']} s, {result.get('overall', result.get('error'))}",
            flush=True,
        )
    summary: dict[str, Any] = {"runs": results, "skipped_for_time": skipped}
    if FIRST in results and results[FIRST]["exit_code"] == 0:
        summary["enhancer_findings"] = enhancer_findings(args.out / FIRST)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print()
    print("flags: G green, A amber, R red, - not assessed")
    print(_table(results))
    if skipped:
        print(f"not run (time budget): {', '.join(skipped)}")
    if "enhancer_findings" in summary:
        print()
        print("iEnhancer-2L (enhancer/deepbind) leakage findings:")
        for key, value in summary["enhancer_findings"].items():
            print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
