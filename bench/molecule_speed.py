"""Time per epoch and memory of the molecule models on MoleculeNet's HIV set (issue #19).

Reads the HIV set (invalid SMILES skipped), then, each configuration in its own
subprocess (so the peak RSS of one is not another's), featurises the molecules and trains
ONE epoch in a plain torch loop (Adam, lr 1e-3, batch 50, BCE-with-logits on
HIV_active, one torch thread):

* ``dmpnn`` and ``gin`` (default parameters) on packed graphs (``max_neighbours`` 10, so
  the metal complexes of degree 7-10 fit), in two padding modes:

  - ``full``: every molecule padded to the largest (L = 222 atoms), one ``(N, C, L)``
    array, random batches;
  - ``bucket``: molecules sorted by atom count (ties in random order), cut into batches
    of 50, each batch featurised padded to its own longest molecule; the order of the
    batches is shuffled (the composition of a batch is fixed);

* ``fingerprint_mlp`` on 2048-bit Morgan fingerprints (radius 2).

An epoch that would take longer than ``--budget`` seconds of training is stopped there
and extrapolated from the batches done (random batch order: a fair sample); the table
says so. Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the subprocess.

Usage (about 12 minutes on one CPU core)::

    OMP_NUM_THREADS=1 .venv/bin/python bench/molecule_speed.py \\
        --data ../shared/data/moleculenet/chemprop_format/hiv.csv.gz --budget 90
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CONFIGS = (
    ("dmpnn", "full"),
    ("dmpnn", "bucket"),
    ("gin", "full"),
    ("gin", "bucket"),
    ("fingerprint_mlp", "fingerprint"),
)
MAX_NEIGHBOURS = 10
BATCH = 50
LR = 1e-3
N_BITS = 2048


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read(path: str) -> dict:
    """Read the HIV set with invalid molecules skipped."""
    from biodl.io.molecules import read_molecules

    start = time.perf_counter()
    mols = read_molecules(path, target_columns=["HIV_active"], invalid="skip")
    seconds = time.perf_counter() - start
    return {
        "smiles": list(mols.smiles),
        "y": mols.targets[:, 0].astype(np.float32),
        "skipped": len(mols.skipped),
        "read_s": seconds,
    }


def featurise(model: str, mode: str, smiles: list[str], y: np.ndarray, seed: int) -> dict:
    """Arrays and batches of one configuration, with the time and bytes they took."""
    from biodl.encode.molecules import molecule_graphs, morgan_fingerprints, n_atoms

    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    if mode == "fingerprint":
        X = morgan_fingerprints(smiles, radius=2, n_bits=N_BITS)[:, :, None]
        out = {"X": X, "nbytes": X.nbytes, "length": 1, "cells": X.size, "real": X.size}
    elif mode == "full":
        X = molecule_graphs(smiles, max_neighbours=MAX_NEIGHBOURS)
        atoms = X[:, 0].sum(axis=1)
        out = {
            "X": X,
            "nbytes": X.nbytes,
            "length": X.shape[2],
            "cells": X.shape[0] * X.shape[2],
            "real": float(atoms.sum()),
        }
    else:  # bucket: sorted by atom count, each batch padded to its own longest molecule
        sizes = n_atoms(smiles)
        shuffled = rng.permutation(len(smiles))
        order = shuffled[np.argsort(sizes[shuffled], kind="stable")]
        batches = []
        for first in range(0, len(order), BATCH):
            idx = order[first : first + BATCH]
            xb = molecule_graphs([smiles[i] for i in idx], max_neighbours=MAX_NEIGHBOURS)
            batches.append((xb, y[idx]))
        out = {
            "batches": batches,
            "nbytes": sum(b[0].nbytes for b in batches),
            "length": max(b[0].shape[2] for b in batches),
            "cells": sum(b[0].shape[0] * b[0].shape[2] for b in batches),
            "real": float(sizes.sum()),
        }
    out["featurise_s"] = time.perf_counter() - start
    return out


def build(model: str, n_channels: int, length: int):
    """The model from its registry spec with default parameters."""
    from biodl.encode.molecules import ATOM_FEATURES, BOND_FEATURES
    from biodl.models.molecules import MOLECULE_MODELS
    from biodl.models.registry import ModelIO

    spec = next(s for s in MOLECULE_MODELS if s.name == model)
    if model == "fingerprint_mlp":
        io = ModelIO(n_channels, 1, 1, alphabet="fingerprint")
    else:
        layout = (
            ("atom_features", len(ATOM_FEATURES)),
            ("max_neighbours", MAX_NEIGHBOURS),
            ("bond_features", len(BOND_FEATURES)),
        )
        io = ModelIO(n_channels, length, 1, alphabet="molecule", layout=layout)
    return spec.build(spec.params(), io)


def worker(model: str, mode: str, cache: str, budget: float, seed: int) -> dict:
    """Featurise and train one epoch of one configuration; a JSON-able result."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    with open(cache, "rb") as fh:
        data = pickle.load(fh)
    smiles, y = data["smiles"], data["y"]
    rss_before = peak_rss_mib()
    feats = featurise(model, mode, smiles, y, seed)
    rss_featurised = peak_rss_mib()
    rng = np.random.default_rng(seed + 1)
    if "batches" in feats:
        batches = feats["batches"]
        plan = [batches[i] for i in rng.permutation(len(batches))]
        n_channels = batches[0][0].shape[1]

        def get(b):
            return b
    else:
        X = feats["X"]
        perm = rng.permutation(len(X))
        plan = [perm[i : i + BATCH] for i in range(0, len(perm), BATCH)]
        n_channels = X.shape[1]

        def get(idx):
            return X[idx], y[idx]

    net = build(model, n_channels, feats["length"])
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.BCEWithLogitsLoss()
    done = molecules = 0
    start = time.perf_counter()
    for item in plan:
        xb, yb = get(item)
        x = torch.from_numpy(np.ascontiguousarray(xb))
        t = torch.from_numpy(np.ascontiguousarray(yb)).reshape(-1, 1)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x).reshape(-1, 1), t)
        loss.backward()
        opt.step()
        done += 1
        molecules += len(t)
        if time.perf_counter() - start > budget and done < len(plan):
            break
    seconds = time.perf_counter() - start
    total = len(smiles)
    return {
        "model": model,
        "mode": mode,
        "n": total,
        "length": feats["length"],
        "featurise_s": feats["featurise_s"],
        "array_mib": feats["nbytes"] / 2**20,
        "padding": 1 - feats["real"] / feats["cells"] if mode != "fingerprint" else 0.0,
        "batches_timed": done,
        "batches": len(plan),
        "train_s": seconds,
        "epoch_s": seconds * total / molecules,
        "extrapolated": done < len(plan),
        "rss_start_mib": rss_before,
        "rss_featurised_mib": rss_featurised,
        "peak_rss_mib": peak_rss_mib(),
        "loss": float(loss.detach()),
        "threads": torch.get_num_threads(),
    }


def table(info: dict, rows: list[dict]) -> str:
    lines = [
        (
            f"HIV: {info['n']} molecules read ({info['skipped']} invalid skipped) in "
            f"{info['read_s']:.1f} s; batch {BATCH}, Adam lr {LR}, 1 torch thread."
        ),
        "",
        (
            "| model | padding | L | featurise s | array MiB | padded cells | epoch s "
            "| timed | peak RSS MiB |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['mode']} | failed: {r['error']} |||||||")
            continue
        timed = (
            f"{r['batches_timed']}/{r['batches']} batches, extrapolated"
            if r["extrapolated"]
            else f"all {r['batches']} batches"
        )
        padded = f"{100 * r['padding']:.0f} %" if r["mode"] != "fingerprint" else "-"
        length = "per batch (max 222)" if r["mode"] == "bucket" else str(r["length"])
        lines.append(
            f"| {r['model']} | {r['mode']} | {length} | {r['featurise_s']:.1f} "
            f"| {r['array_mib']:.0f} | {padded} | {r['epoch_s']:.0f} | {timed} "
            f"| {r['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/moleculenet/chemprop_format/hiv.csv.gz")
    parser.add_argument(
        "--budget", type=float, default=90.0, help="training seconds per configuration"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--only", nargs="*", default=None, help="configurations as model:mode (default: all)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        model, mode = args.worker.split(":")
        print(json.dumps(worker(model, mode, args.cache, args.budget, args.seed)), flush=True)
        return

    info = read(args.data)
    info["n"] = len(info["smiles"])
    print(
        f"read {info['n']} molecules, {info['skipped']} skipped, {info['read_s']:.1f} s",
        flush=True,
    )
    configs = [c for c in CONFIGS if args.only is None or f"{c[0]}:{c[1]}" in args.only]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "hiv.pkl")
        with open(cache, "wb") as fh:
            pickle.dump({"smiles": info["smiles"], "y": info["y"]}, fh)
        for model, mode in configs:
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                f"{model}:{mode}",
                "--cache",
                cache,
                "--budget",
                str(args.budget),
                "--seed",
                str(args.seed),
            ]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                row = {"model": model, "mode": mode, "error": proc.stderr.strip()[-300:]}
            else:
                row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"read": {k: info[k] for k in ("n", "skipped", "read_s")}, "rows": rows}, indent=1
            )
        )
    print()
    print(table(info, rows))


if __name__ == "__main__":
    main()
