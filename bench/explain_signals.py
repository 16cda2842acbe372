"""Do attributions of a sorting-signal model point at the N-terminus? (issue #6 check)

The multi-label model of ``examples/multiloc_signals_deepgoplus.yaml`` (run directory
``bench/out/signals_deepgoplus``) predicts MultiLoc's sorting-signal flags SP (signal
peptide), mTP (mitochondrial) and cTP (chloroplast transit peptide): all three are
N-terminal presequences. For each output, the held-out test proteins with that flag are
attributed with DeepLIFT (:func:`biodl.interpret.deeplift`, references: residue
shuffles that keep the padding), absolute attributions summed over channels, and the
N-terminal enrichment is (share of attribution on the first ``--window`` residues) /
(share of the protein's modelled residues they are). 1 = no preference. Controls: the
same proteins under a re-initialised model, and test proteins without the flag.

    .venv/bin/python bench/explain_signals.py --run bench/out/signals_deepgoplus \\
        --table bench/out/multiloc_signals.tsv

With ``--method attention`` and a DeepLoc run (``--run bench/out/protein/deeploc_...``),
the same enrichment is measured on DeepLoc's attention weights (which do not depend on the
output), on the same held-out MultiLoc proteins (``--split-run``) minus any whose sequence
is in the DeepLoc training table (``--exclude``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import time
from pathlib import Path

import numpy as np

from biodl.data import fit_sequence
from biodl.interpret import attention, deeplift
from biodl.interpret.checks import reinitialised
from biodl.runs import load_run


def enrichment(attr: np.ndarray, spans: list[tuple[int, int]], window: int) -> np.ndarray:
    """N-terminal enrichment per protein; ``spans`` are the ``(start, end)`` of the
    protein's residues in the model input (padding excluded; ``crop: ends`` keeps the
    N-terminus at ``start``)."""
    imp = np.abs(attr.astype(np.float64)).sum(axis=1)
    out = np.full(len(spans), np.nan)
    for n, (start, end) in enumerate(spans):
        if end - start <= window:
            continue
        row = imp[n, start:end]
        if row.sum() > 0:
            out[n] = (row[:window].sum() / row.sum()) / (window / (end - start))
    return out


def span(seq: str, fitted: str) -> tuple[int, int]:
    """Where the protein's residues sit in its fitted model input."""
    if len(seq) >= len(fitted):  # cropped: first and last residues kept, no padding
        return 0, len(fitted)
    start = fitted.index(seq)
    return start, start + len(seq)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("bench/out/signals_deepgoplus"))
    parser.add_argument("--table", type=Path, default=Path("bench/out/multiloc_signals.tsv"))
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--max", type=int, default=60, help="proteins per group")
    parser.add_argument("--out", type=Path, default=Path("bench/out/explain_signals"))
    parser.add_argument("--method", choices=["deeplift", "attention"], default="deeplift")
    parser.add_argument(
        "--split-run", type=Path, help="run whose test split lists the proteins (default --run)"
    )
    parser.add_argument(
        "--exclude", type=Path, help="gzip TSV whose 'sequence' column to leave out"
    )
    args = parser.parse_args()
    t0 = time.time()
    run = load_run(args.run)
    split_run = args.split_run or args.run
    excluded: set[str] = set()
    if args.exclude is not None:
        with gzip.open(args.exclude, "rt", encoding="utf-8") as handle:
            excluded = {r["sequence"].upper() for r in csv.DictReader(handle, delimiter="\t")}
    with args.table.open(encoding="utf-8") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle, delimiter="\t")}
    with gzip.open(split_run / "splits.tsv.gz", "rt", encoding="utf-8") as handle:
        test = [r["id"] for r in csv.DictReader(handle, delimiter="\t") if r["split"] == "test"]
    test = [i for i in test if rows[i]["sequence"].upper() not in excluded]
    outputs = ["SP", "mTP", "cTP"]
    L = run.input_length
    control = reinitialised(run.model, seed=0)
    result: dict[str, object] = {
        "run": str(args.run),
        "method": args.method,
        "window": args.window,
        "n_excluded": len(excluded),
        "outputs": {},
    }
    model_outputs = list(run.meta["outputs"])
    for name in outputs:
        target = model_outputs.index(name) if args.method == "deeplift" else 0
        groups = {
            "with": [i for i in test if rows[i][name] == "1"][: args.max],
            "without": [i for i in test if rows[i][name] == "0"][: args.max],
        }
        entry: dict[str, object] = {}
        for group, ids in groups.items():
            seqs = [rows[i]["sequence"].upper() for i in ids]
            fitted = [fit_sequence(s, L, pad="X", crop=run.crop) for s in seqs]
            X = run.input_kind.encode(fitted)
            X = X.astype(np.float32)
            spans = [span(s, f) for s, f in zip(seqs, fitted, strict=True)]
            models = [("trained", run.model)]
            if group == "with":
                models.append(("reinitialised", control))
            for label, model in models:
                if args.method == "attention":
                    attr = attention(model, X)
                else:
                    attr = deeplift(model, X, target=target, n_references=5, seed=0)
                enr = enrichment(attr.values, spans, args.window)
                enr = enr[~np.isnan(enr)]
                entry[f"{group}_{label}"] = {
                    "n": len(enr),
                    "median_enrichment": round(float(np.nanmedian(enr)), 3),
                    "fraction_above_1": round(float(np.nanmean(enr > 1)), 3),
                    "max_abs_delta": float(np.nanmax(np.abs(attr.delta)))
                    if attr.delta is not None
                    else None,
                }
                print(name, group, label, json.dumps(entry[f"{group}_{label}"]), flush=True)
        result["outputs"][name] = entry  # type: ignore[index]
    result["wall_s"] = round(time.time() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.run.name}_{args.method}.json").write_text(
        json.dumps(result, indent=2) + "\n"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
