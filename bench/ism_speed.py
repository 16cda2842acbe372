"""In-silico mutagenesis speed: biodl naive vs biodl fast vs tangermeme 1.6, same model.

For each model (zoo defaults, ``--length`` bp, random weights from ``--seed``; batch norm
statistics randomised so they are not the identity) and the same random one-hot
sequences:

* ``naive``: ``biodl.interpret.ism.ism(..., method="naive")``, one full forward pass per
  mutant through :func:`biodl.models.predict`. At 1 kb that is 3,000 passes per
  sequence, so it is timed on the first ``--naive-positions`` positions of the first
  sequence and scaled to a whole sequence (the cost is the same at every position);
* ``fast``: ``ism(..., method="fast")`` on ``--n`` whole sequences;
* ``tangermeme``: tangermeme 1.6's ``saturation_mutagenesis(model, X, raw_outputs=True,
  batch_size=--tm-batch, device="cpu")`` (its fastISM path, ``fast=True``, the default)
  on the same sequences, run by ``bench/.venv-peers/bin/python`` in a subprocess that
  builds the same model from ``src/`` and loads the same safetensors weights.

All on CPU with ``torch.set_num_threads(--threads)``. The values are compared: fast
against naive on the naive positions, and tangermeme's ``y_hat - y0`` against fast on
every substitution.

    .venv/bin/python bench/ism_speed.py --models basset deepsea --n 2

Writes ``bench/out/ism_speed/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

from biodl.interpret.ism import ism
from biodl.models import ModelIO, create_model

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".venv-peers" / "bin" / "python"
OUTPUTS = {"basset": 164, "deepsea": 919}

PEER_SCRIPT = """
import sys, time, json
sys.path.insert(0, {src!r})
import numpy as np, torch
torch.set_num_threads({threads})
from safetensors.torch import load_file
from biodl.models import ModelIO, create_model
from tangermeme.saturation_mutagenesis import saturation_mutagenesis
model = create_model({name!r}, {{}}, io=ModelIO(4, {length}, {outputs}))
model.load_state_dict(load_file({weights!r}))
model.eval()
X = torch.from_numpy(np.load({inputs!r}))
start = time.perf_counter()
y0, y_hat = saturation_mutagenesis(model, X, raw_outputs=True, batch_size={batch},
                                   device="cpu")
seconds = time.perf_counter() - start
# (N, C, L, T) - (N, T): the change of output {target} of every substitution
change = (y_hat[..., {target}] - y0[:, None, None, {target}]).numpy()
np.save({out!r}, change.astype(np.float32))
print(json.dumps({{"seconds": seconds, "torch": torch.__version__}}))
"""


def random_one_hot(n: int, length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))].transpose(0, 2, 1)


def build(name: str, length: int, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = create_model(name, {}, io=ModelIO(4, length, OUTPUTS.get(name, 1)))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                assert m.running_mean is not None
                assert m.running_var is not None
                m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g))
    return model.eval()


def run_peer(
    name: str, length: int, weights: Path, inputs: Path, args: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    out = tmp / f"{name}_tangermeme.npy"
    script = PEER_SCRIPT.format(
        src=str(ROOT / "src"),
        threads=args.threads,
        name=name,
        length=length,
        outputs=OUTPUTS.get(name, 1),
        weights=str(weights),
        inputs=str(inputs),
        batch=args.tm_batch,
        target=args.target,
        out=str(out),
    )
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    done = subprocess.run(
        [str(PEERS), "-c", script], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    info: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    info["change"] = np.load(out)
    info["warnings"] = [line for line in done.stderr.splitlines() if "Warning" in line]
    return info


def bench_model(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    length, n = args.length, args.n
    model = build(name, length, args.seed)
    X = random_one_hot(n, length, args.seed + 1)
    weights, inputs = tmp / f"{name}.safetensors", tmp / f"{name}_X.npy"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    np.save(inputs, X)
    row: dict[str, Any] = {"model": name, "length": length, "n_sequences": n}

    window = slice(0, args.naive_positions)
    start = time.perf_counter()
    naive = ism(model, X[:1], target=args.target, device="cpu", method="naive", positions=window)
    naive_s = (time.perf_counter() - start) * length / args.naive_positions
    row["naive_s_per_seq"] = naive_s
    row["naive_forward_passes_timed"] = 3 * args.naive_positions

    start = time.perf_counter()
    fast = ism(model, X, target=args.target, device="cpu")
    fast_s = (time.perf_counter() - start) / n
    row["fast_s_per_seq"] = fast_s
    row["fast_vs_naive_max_abs_diff"] = float(np.abs(fast[:1, :, window] - naive).max())
    row["speedup_fast_vs_naive"] = naive_s / fast_s

    if PEERS.exists() and not args.no_peer:
        peer = run_peer(name, length, weights, inputs, args, tmp)
        if "error" in peer:
            row["tangermeme_error"] = peer["error"]
        else:
            tm_s = peer["seconds"] / n
            change = peer["change"]
            mask = X != 1  # tangermeme also re-scores the reference letter: skip it
            diff = np.abs(change[mask] - fast[mask])
            row["tangermeme_s_per_seq"] = tm_s
            row["tangermeme_vs_fast_max_abs_diff"] = float(diff.max())
            row["tangermeme_vs_fast_max_abs_value"] = float(np.abs(fast).max())
            row["speedup_fast_vs_tangermeme"] = tm_s / fast_s
            row["speedup_tangermeme_vs_naive"] = naive_s / tm_s
            row["tangermeme_warnings"] = peer["warnings"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["basset", "deepsea"])
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--n", type=int, default=2, help="sequences for fast and tangermeme")
    parser.add_argument("--naive-positions", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--target", type=int, default=0)
    parser.add_argument("--tm-batch", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ism_speed")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models:
            row = bench_model(name, args, Path(folder))
            print(json.dumps(row), flush=True)
            rows.append(row)
    print()
    print("| model | naive s/seq | fast s/seq | tangermeme s/seq | fast/naive | fast/tangermeme |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        tm = r.get("tangermeme_s_per_seq")
        print(
            f"| {r['model']} | {r['naive_s_per_seq']:.1f} | {r['fast_s_per_seq']:.2f} | "
            f"{tm:.2f} | {r['speedup_fast_vs_naive']:.1f}x | "
            f"{r['speedup_fast_vs_tangermeme']:.2f}x |"
            if tm is not None
            else f"| {r['model']} | {r['naive_s_per_seq']:.1f} | {r['fast_s_per_seq']:.2f} | "
            f"- | {r['speedup_fast_vs_naive']:.1f}x | - |"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "argv": sys.argv,
        "torch": torch.__version__,
        "threads": args.threads,
        "load_average_at_end": os.getloadavg(),
        "rows": rows,
    }
    tmp_path = args.out / "results.json.tmp"
    tmp_path.write_text(json.dumps(meta, indent=2) + "\n")
    tmp_path.replace(args.out / "results.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
