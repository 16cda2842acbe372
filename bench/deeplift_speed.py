"""DeepLIFT/SHAP speed and exactness: biodl vs tangermeme 1.6 (and captum 0.9) on zoo models.

For a Basset (600 bp, zoo defaults, 164 outputs) and a DeepBind (101 bp, the trained
REST model of ``bench/out/deepbind_encode/REST`` when present, else zoo defaults) model,
the same random one-hot sequences and the same dinucleotide-shuffled references (20 per
sequence) are explained by

* biodl's ``deepshap`` (this package),
* tangermeme 1.6.0's ``deep_lift_shap`` (run in ``bench/.venv-peers`` on the same
  ``nn.Module`` code and the same weights, loaded from safetensors), and
* captum 0.9.0's ``DeepLiftShap`` (biodl's venv),

on the CPU with 2 threads. Figures: sequences per second (each with 20 references;
the best of ``--repeats`` timings, as the machine may be shared), the largest
convergence delta |sum(attr) - (f(x) - mean f(ref))|, and the largest
difference to biodl's attributions.

Usage::

    python bench/deeplift_speed.py [--n-basset 8] [--n-deepbind 200] [--threads 2] [--repeats 3]

Writes ``bench/out/deeplift_speed/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".venv-peers" / "bin" / "python"
REST = ROOT / "bench" / "out" / "deepbind_encode" / "REST"
N_REFERENCES = 20


def _build(spec: dict[str, Any]) -> Any:
    """The model of ``spec`` (name, params, io) with the weights of ``spec['weights']``."""
    sys.path.insert(0, str(ROOT / "src"))
    from safetensors.torch import load_file

    from biodl.models import ModelIO, create_model

    model = create_model(spec["name"], spec["params"], io=ModelIO(**spec["io"]))
    model.load_state_dict(load_file(spec["weights"]))
    return model.eval()


def _delta(model: Any, X: Any, refs: Any, attr: Any, target: int) -> float:
    import torch

    with torch.no_grad():
        fx = model(X)[:, target].double()
        n, k = refs.shape[:2]
        fr = model(refs.reshape(n * k, *refs.shape[2:]))[:, target].double().reshape(n, k)
    return float((attr.double().sum(dim=(1, 2)) - (fx - fr.mean(1))).abs().max())


def _peer(spec_path: str) -> None:
    """Run tangermeme on the spec's model, inputs and references (in the peers venv)."""
    import numpy as np
    import torch
    from tangermeme.deep_lift_shap import deep_lift_shap

    spec = json.loads(Path(spec_path).read_text())
    torch.set_num_threads(spec["threads"])
    model = _build(spec)
    data = np.load(spec["data"])
    X, refs = torch.as_tensor(data["X"]), torch.as_tensor(data["refs"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deep_lift_shap(model, X[:2], references=refs[:2], target=spec["target"], batch_size=64)
        times = []
        for _ in range(spec["repeats"]):
            start = time.perf_counter()
            attr = deep_lift_shap(
                model, X, references=refs, target=spec["target"], batch_size=spec["batch_size"]
            )
            times.append(time.perf_counter() - start)
        seconds = min(times)
    np.save(spec["out"], attr.detach().numpy())
    result = {
        "seconds": seconds,
        "max_delta": _delta(model, X, refs, attr, spec["target"]),
    }
    print(json.dumps(result))


def _captum(
    model: Any, X: Any, refs: Any, target: int, batch: int, repeats: int
) -> tuple[float, Any]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = _captum_once(model, X, refs, target, batch)
        times.append(time.perf_counter() - start)
    return min(times), out


def _captum_once(model: Any, X: Any, refs: Any, target: int, batch: int) -> Any:
    import torch
    from captum.attr import DeepLift

    explainer = DeepLift(model)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per = max(1, batch // refs.shape[1])
        for i in range(0, X.shape[0], per):
            x = X[i : i + per]
            r = refs[i : i + per]
            k = r.shape[1]
            xx = x.repeat_interleave(k, dim=0)
            a = explainer.attribute(xx, baselines=r.reshape(-1, *x.shape[1:]), target=target)
            out.append(a.reshape(x.shape[0], k, *x.shape[1:]).mean(1).detach())
    return torch.cat(out)


def _run_peer(spec: dict[str, Any], folder: Path, label: str) -> dict[str, Any]:
    """One tangermeme timing in the peers venv (repeats=1); its seconds and delta."""
    spec_path = folder / f"{label}_spec.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "OMP_NUM_THREADS": str(spec["threads"])}
    proc = subprocess.run(
        [str(PEERS), __file__, "--peer", str(spec_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": " ".join(proc.stderr.strip().splitlines()[-1:])}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _case(
    label: str,
    spec: dict[str, Any],
    n: int,
    threads: int,
    batch: int,
    folder: Path,
    repeats: int,
) -> dict[str, Any]:
    """Time the tools in interleaved rounds (biodl, captum, tangermeme) x ``repeats``."""
    import numpy as np
    import torch

    from biodl.interpret import deepshap, make_references

    model = _build(spec)
    length = spec["io"]["input_length"]
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))].transpose(0, 2, 1)
    refs = make_references(X, n=N_REFERENCES, seed=1)
    data = folder / f"{label}.npz"
    np.savez(data, X=X, refs=refs)
    target = spec["target"]
    Xt, rt = torch.as_tensor(X), torch.as_tensor(refs)
    peer_spec = {
        **spec,
        "data": str(data),
        "threads": threads,
        "batch_size": batch,
        "repeats": 1,
        "out": str(folder / f"{label}_tangermeme.npy"),
    }
    deepshap(model, X[:2], references=refs[:2], target=target, device="cpu")  # warm up
    times: dict[str, list[float]] = {"biodl": [], "captum_0.9": [], "tangermeme_1.6": []}
    errors: dict[str, str] = {}
    peer: dict[str, Any] = {}
    cap = None
    for _ in range(repeats):
        start = time.perf_counter()
        ours = deepshap(model, X, references=refs, target=target, batch_size=batch, device="cpu")
        times["biodl"].append(time.perf_counter() - start)
        if "captum_0.9" not in errors:
            try:
                cap_s, cap = _captum(model, Xt, rt, target, batch, 1)
                times["captum_0.9"].append(cap_s)
            except RuntimeError as exc:  # e.g. a module used twice (both strands)
                errors["captum_0.9"] = str(exc).split(".")[0]
        if PEERS.exists() and "tangermeme_1.6" not in errors:
            peer = _run_peer(peer_spec, folder, label)
            if "error" in peer:
                errors["tangermeme_1.6"] = peer["error"]
            else:
                times["tangermeme_1.6"].append(peer["seconds"])
    result: dict[str, Any] = {
        "model": label,
        "length": length,
        "sequences": n,
        "references": N_REFERENCES,
        "threads": threads,
        "batch_pairs": batch,
        "repeats": repeats,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    deltas = {"biodl": float(np.abs(ours.delta).max())}
    diffs: dict[str, float | None] = {"biodl": None}
    if cap is not None:
        deltas["captum_0.9"] = _delta(model, Xt, rt, cap, target)
        diffs["captum_0.9"] = float(np.abs(cap.numpy() - ours.values).max())
    if times["tangermeme_1.6"]:
        deltas["tangermeme_1.6"] = float(peer["max_delta"])
        # tangermeme returns the per-position total on the observed letter
        projected = ours.values.sum(axis=1, keepdims=True) * X
        theirs = np.load(peer_spec["out"])
        diffs["tangermeme_1.6"] = float(np.abs(theirs - projected).max())
    for tool, ts in times.items():
        if tool in errors:
            result[tool] = {"error": errors[tool]}
        elif ts:
            result[tool] = {
                "seconds": min(ts),
                "all_seconds": ts,
                "seq_per_s": n / min(ts),
                "max_delta": deltas[tool],
                "max_abs_diff_to_biodl": diffs[tool],
            }
    return result


def _specs(folder: Path) -> dict[str, dict[str, Any]]:
    import torch
    from safetensors.torch import save_file

    from biodl.models import ModelIO, create_model

    specs: dict[str, dict[str, Any]] = {}
    torch.manual_seed(0)
    io = {"n_channels": 4, "input_length": 600, "n_outputs": 164}
    basset = create_model("basset", {}, io=ModelIO(**io))
    # random weights, but batch-norm statistics that are not the identity
    for m in basset.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    save_file({k: v.contiguous() for k, v in basset.state_dict().items()}, folder / "basset.st")
    specs["basset"] = {
        "name": "basset",
        "params": {},
        "io": io,
        "weights": str(folder / "basset.st"),
        "target": 0,
    }
    if (REST / "model.safetensors").exists():
        meta = json.loads((REST / "model.json").read_text())
        specs["deepbind"] = {
            "name": "deepbind",
            "params": meta["architecture"]["params"],
            "io": {"n_channels": 4, "input_length": 101, "n_outputs": 1},
            "weights": str(REST / "model.safetensors"),
            "target": 0,
            "source": "bench/out/deepbind_encode/REST (trained)",
        }
    else:
        io = {"n_channels": 4, "input_length": 101, "n_outputs": 1}
        deepbind = create_model("deepbind", {}, io=ModelIO(**io))
        save_file({k: v.contiguous() for k, v in deepbind.state_dict().items()}, folder / "db.st")
        specs["deepbind"] = {
            "name": "deepbind",
            "params": {},
            "io": io,
            "weights": str(folder / "db.st"),
            "target": 0,
        }
    return specs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-basset", type=int, default=8)
    parser.add_argument("--n-deepbind", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="timings per tool (best kept)")
    parser.add_argument("--batch", type=int, default=320, help="input-reference pairs per pass")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "deeplift_speed")
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer:
        _peer(args.peer)
        return 0
    import torch

    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        specs = _specs(folder)
        for label, n in (("basset", args.n_basset), ("deepbind", args.n_deepbind)):
            r = _case(label, specs[label], n, args.threads, args.batch, folder, args.repeats)
            r["weights"] = specs[label].get("source", "random (zoo defaults, seed 0)")
            results.append(r)
            print(json.dumps(r, indent=1), flush=True)
    payload = {"torch": torch.__version__, "results": results}
    (args.out / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    print("\n| model | length | tool | seq/s (20 refs) | max delta | max diff to biodl |")
    print("|---|---|---|---|---|---|")
    for r in results:
        for tool in ("biodl", "tangermeme_1.6", "captum_0.9"):
            t = r.get(tool)
            if not t:
                continue
            if "error" in t:
                print(f"| {r['model']} | {r['length']} | {tool} | fails: {t['error']} | | |")
                continue
            diff = t.get("max_abs_diff_to_biodl")
            print(
                f"| {r['model']} | {r['length']} | {tool} | {t['seq_per_s']:.1f} | "
                f"{t['max_delta']:.2g} | {'-' if diff is None else f'{diff:.2g}'} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
