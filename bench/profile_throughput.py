"""Training throughput of the profile (coverage-track) models: bpnet and dilated_resnet.

Two configurations, each a forward pass, a Poisson loss on log rates, a backward pass
and an AdamW step on random one-hot windows with random Poisson targets (throughput
does not depend on the values):

* ``bpnet``: zoo defaults (64 filters, 8 residual layers), 2,114 bp windows, per-base
  output (bins of 1), 2 tracks: BPNet's shapes (its profile is the central 1,000 bp;
  biodl predicts every base);
* ``dilated_resnet``: ``stem: tower``, 131,072 bp windows in 128-bp bins (1,024 bins),
  10 tracks, 64 filters, 6 residual blocks, ``head: profile``: Basenji's input and bin
  sizes at a small width.

Each model is timed in its own process (so that the peak resident memory is its own):
``--warmup`` steps, then ``--steps`` timed steps; the figures are windows and bases
per second of training and the peak RSS of the process (on CUDA also the peak memory
allocated on the device). The default run takes about 1 to 2 minutes on one CPU
thread.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python bench/profile_throughput.py --threads 1
    .venv/bin/python bench/profile_throughput.py --device cuda --steps 50

Writes ``bench/out/profile_throughput/results.json`` (``--out``) and prints one markdown
table line per model.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: name -> (model options, input length, bin size, tracks, default batch size)
CASES: dict[str, tuple[dict[str, Any], int, int, int, int]] = {
    "bpnet": ({}, 2114, 1, 2, 16),
    "dilated_resnet": (
        {"head": "profile", "stem": "tower", "bin_size": 128, "n_filters": 64, "n_blocks": 6},
        131_072,
        128,
        10,
        2,
    ),
}


def measure(
    name: str, *, device: str, threads: int, batch_size: int, warmup: int, steps: int
) -> dict[str, Any]:
    """Train ``name`` for ``warmup + steps`` steps; the speed of the last ``steps``."""
    import torch

    from biodl.models import ModelIO, create_model

    torch.set_num_threads(threads)
    params, length, bin_size, tracks, _ = CASES[name]
    torch.manual_seed(0)
    io = ModelIO(4, length, tracks, per_position=True)
    model = create_model(name, params, io=io).to(device).train()
    n_params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-6)
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, 4, (batch_size, length), generator=g)
    x = torch.nn.functional.one_hot(idx, 4).permute(0, 2, 1).float().contiguous().to(device)
    rate = torch.full((batch_size, tracks, length // bin_size), 0.5 * bin_size)
    y = torch.poisson(rate, generator=g).to(device)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        z = model(x)
        loss = torch.nn.functional.poisson_nll_loss(z, y, log_input=True, full=False)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    for _ in range(warmup):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        last = step()  # float() synchronises with the device
    seconds = time.perf_counter() - start
    windows = batch_size * steps / seconds
    result: dict[str, Any] = {
        "model": name,
        "params": params,
        "n_parameters": n_params,
        "input_length": length,
        "bin_size": bin_size,
        "tracks": tracks,
        "batch_size": batch_size,
        "warmup_steps": warmup,
        "timed_steps": steps,
        "seconds": seconds,
        "seconds_per_step": seconds / steps,
        "windows_per_s": windows,
        "bases_per_s": windows * length,
        "final_loss": last,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "device": device,
        "threads": threads,
        "torch": torch.__version__,
    }
    if device == "cuda":
        result["peak_cuda_mib"] = torch.cuda.max_memory_allocated() / 2**20
        result["gpu"] = torch.cuda.get_device_name()
    return result


def _in_subprocess(name: str, args: argparse.Namespace, batch_size: int) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--one",
        name,
        "--device",
        args.device,
        "--threads",
        str(args.threads),
        "--batch-size",
        str(batch_size),
        "--warmup",
        str(args.warmup),
        "--steps",
        str(args.steps if name == "bpnet" else args.long_steps),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table_line(r: dict[str, Any]) -> str:
    """One markdown table row of a result."""
    memory = f"{r['peak_rss_mib']:,.0f}"
    if "peak_cuda_mib" in r:
        memory += f" (GPU {r['peak_cuda_mib']:,.0f})"
    return (
        f"| {r['model']} | {r['input_length']:,} | {r['bin_size']} | {r['tracks']} | "
        f"{r['batch_size']} | {r['windows_per_s']:,.2f} | {r['bases_per_s']:,.0f} | "
        f"{memory} | {r['device']}, {r['threads']} thread(s) |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(CASES), help="comma-separated")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=0, help="0: per-model default")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30, help="timed steps of bpnet")
    parser.add_argument(
        "--long-steps", type=int, default=15, help="timed steps of the 131 kb dilated_resnet"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "profile_throughput")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.one:  # the child process: one model, JSON on the last line of stdout
        batch = args.batch_size or CASES[args.one][4]
        result = measure(
            args.one,
            device=args.device,
            threads=args.threads,
            batch_size=batch,
            warmup=args.warmup,
            steps=args.steps,
        )
        print(json.dumps(result))
        return 0
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {sorted(CASES)}")
    header = "| model | input (bp) | bin | tracks | batch | windows/s | bases/s | peak RSS (MiB) |"
    print(header + " on |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    results = []
    for name in names:
        r = _in_subprocess(name, args, args.batch_size or CASES[name][4])
        results.append(r)
        print(table_line(r), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"machine": platform.processor() or platform.machine(), "results": results}
    (args.out / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
