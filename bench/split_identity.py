"""Largest train-to-held-out protein identity of a finished run, at two coverages.

Rebuilds the run's splits from its ``config.yaml`` (the same seed gives the same
splits; checked against ``splits.tsv.gz``) and measures, on the proteins as read, the
best identity of every held-out protein to any training protein: with the clustering
coverage and at coverage 0 (where a fragment or single-domain relative counts).

    .venv/bin/python bench/split_identity.py bench/out/signals_deepgoplus
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np

from biodl.config import load_config
from biodl.data import build_splits
from biodl.data.homology import nearest_identities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run directory of a homology-aware run")
    args = parser.parse_args()
    config = load_config(args.run / "config.yaml")
    homology = config.data.homology
    if homology is None:
        raise SystemExit(f"{args.run}: data.homology is not set")
    splits = build_splits(config)
    with gzip.open(args.run / "splits.tsv.gz", "rt") as handle:
        recorded = [tuple(line.split("\t")[:2]) for line in handle.read().splitlines()[1:]]
    rebuilt = [(i, name) for name, ex in splits.items() for i in ex.ids]
    if sorted(recorded) != sorted(rebuilt):
        raise SystemExit("rebuilt splits differ from splits.tsv.gz")
    train = splits.train.as_read
    result: dict[str, dict[str, float | int]] = {}
    for name, ex in splits.items():
        if name == "train":
            continue
        row: dict[str, float | int] = {"n": len(ex)}
        for label, coverage in (("clustering", homology.coverage), ("any", 0.0)):
            best, _ = nearest_identities(
                ex.as_read, train, identity=homology.identity, coverage=coverage
            )
            row[f"max_identity_coverage_{label}"] = round(float(best.max()), 3)
            row[f"n_at_least_{homology.identity}_coverage_{label}"] = int(
                np.sum(best >= homology.identity)
            )
            row[f"n_at_least_0.5_coverage_{label}"] = int(np.sum(best >= 0.5))
        result[name] = row
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
