"""Speed, memory and recall of the leakage audit (``biodl.assess.leakage``) at scale.

Builds ``--train`` random training sequences and ``--test`` test sequences of
``--length`` bases (i.i.d., GC 41 %), plants in the test set exact copies, reverse-
complement copies, and near copies (``--rate`` substitutions) on either strand of
training sequences, runs the audit, and prints the wall and CPU time (the CPU time is
the fairer figure on a shared machine), the peak RSS and the recall of each planted
kind. Writes ``bench/out/leakage_speed/results.json``.

    nice -n 10 .venv/bin/python bench/leakage_speed.py            # 100,000 vs 10,000 of 1 kb
    .venv/bin/python bench/leakage_speed.py --train 10000 --test 1000   # quick
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from biodl.assess.leakage import leakage
from biodl.data.homology.minhash import reverse_complement
from biodl.testing.assess_data import inputs_from_splits, random_sequences, split_view

OUT = Path(__file__).parent / "out" / "leakage_speed"


def _mutate_fast(seq: str, rate: float, rng: np.random.Generator) -> str:
    codes = np.frombuffer(seq.encode("ascii"), dtype=np.uint8).copy()
    n = round(rate * len(codes))
    pos = rng.choice(len(codes), size=n, replace=False)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    for p in pos.tolist():
        others = letters[letters != codes[p]]
        codes[p] = others[rng.integers(3)]
    return codes.tobytes().decode("ascii")


def _random(n: int, length: int, *, seed: int, chunk: int = 2000) -> list[str]:
    """Random sequences made a few thousand at a time, so the generator's int64 codes do
    not set the peak RSS."""
    out: list[str] = []
    for i, start in enumerate(range(0, n, chunk)):
        out += random_sequences(min(chunk, n - start), length, seed=seed * 100_003 + i, gc=0.41)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--test", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--plant", type=int, default=500, help="planted leaks of each kind")
    parser.add_argument("--rate", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    train = _random(args.train, args.length, seed=args.seed)
    test = _random(args.test, args.length, seed=args.seed + 1)
    rng = np.random.default_rng(args.seed + 2)
    sources = rng.choice(args.train, size=4 * args.plant, replace=False)
    slots = rng.choice(args.test, size=4 * args.plant, replace=False)
    kinds = ["exact", "reverse_complement", "near_same_strand", "near_reverse_complement"]
    planted: dict[str, list[tuple[int, int]]] = {k: [] for k in kinds}
    for n, (src, slot) in enumerate(zip(sources.tolist(), slots.tolist(), strict=True)):
        kind = kinds[n // args.plant]
        seq = train[src]
        if kind == "reverse_complement":
            seq = reverse_complement(seq)
        elif kind.startswith("near"):
            seq = _mutate_fast(seq, args.rate, rng)
            if kind == "near_reverse_complement":
                seq = reverse_complement(seq)
        test[slot] = seq
        planted[kind].append((slot, src))
    inputs = inputs_from_splits(
        {
            "train": split_view(train, np.zeros(args.train), prefix="r"),
            "test": split_view(test, np.zeros(args.test), prefix="t"),
        }
    )
    t_make = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t1 = time.perf_counter()
    c1 = time.process_time()
    item = leakage(inputs, max_examples=10 * args.plant)
    wall = time.perf_counter() - t1
    cpu = time.process_time() - c1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    found = {
        name: {(e["test_id"], e["train_id"]) for e in item.values[name]["examples"]}
        for name in ("exact", "reverse_complement", "near_duplicate")
    }
    where = {
        "exact": "exact",
        "reverse_complement": "reverse_complement",
        "near_same_strand": "near_duplicate",
        "near_reverse_complement": "near_duplicate",
    }
    recall = {
        kind: float(np.mean([(f"t{slot}", f"r{src}") in found[where[kind]] for slot, src in pairs]))
        for kind, pairs in planted.items()
    }
    result = {
        "train": args.train,
        "test": args.test,
        "length": args.length,
        "planted_per_kind": args.plant,
        "mutation_rate": args.rate,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "make_data_s": round(t_make, 1),
        "peak_rss_mb": round(peak, 0),
        "rss_before_audit_mb": round(rss_before, 0),
        "recall": recall,
        "counts": {
            name: item.values[name]["test_count"]
            for name in ("exact", "reverse_complement", "near_duplicate")
        },
        "clean_test": len(item.values["clean_test_ids"]),
        "flag": item.flag,
    }
    print(json.dumps(result, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
