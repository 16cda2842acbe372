"""Do a pre-miRNA model's attributions fall on the hairpin stem? (issue #6 check)

For every positive test hairpin of a trained pre-miRNA run (``bench/premirna.py``),
attributes the model's score with :func:`biodl.interpret.attribute` and sums the
absolute attribution per sequence position: the per-position channels (nucleotide,
MFE structure, paired probability) plus, for the structure input, half of each
pair-probability entry ``(i, j)`` to position ``i`` and half to ``j``. The MFE
structure of the hairpin (ViennaRNA) says which positions are in the stem (paired).

Stem enrichment of a sequence = (share of its attribution on paired positions) /
(share of its positions that are paired), over the real (unpadded) positions; 1 means
no preference. Reported for the trained model and for the same architecture with
re-initialised weights (the control of Adebayo et al.).

    .venv/bin/python bench/explain_stem.py --run bench/out/premirna/human_structure
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from biodl.config import load_config
from biodl.data import build_splits
from biodl.encode.structure import fold
from biodl.interpret import attribute
from biodl.interpret.checks import reinitialised
from biodl.runs import load_run


def per_position(attr: np.ndarray, structure: bool) -> np.ndarray:
    """``(N, L)`` absolute attribution per position."""
    a = np.abs(attr.astype(np.float64))
    if not structure:
        return a.sum(axis=1)
    pos = a[:, :8, :].sum(axis=1)
    matrix = a[:, 8:, :]  # (N, L, L): entry (i, j) about the pair i-j
    return pos + 0.5 * matrix.sum(axis=2) + 0.5 * matrix.sum(axis=1)


def enrichment(importance: np.ndarray, sequences: list[str]) -> np.ndarray:
    """Stem enrichment of each sequence (NaN when it has no stem)."""
    out = np.full(len(sequences), np.nan)
    for n, seq in enumerate(sequences):
        core = seq.strip("N")
        start = seq.index(core[0]) if core else 0
        (f,) = fold([core])
        paired = f.pairs >= 0
        imp = importance[n, start : start + len(core)]
        if paired.any() and imp.sum() > 0 and not paired.all():
            out[n] = (imp[paired].sum() / imp.sum()) / paired.mean()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--method", default="integrated_gradients")
    parser.add_argument("--max", type=int, default=200, help="positive test hairpins to use")
    parser.add_argument("--out", type=Path, default=Path("bench/out/explain_stem"))
    args = parser.parse_args()
    t0 = time.time()
    run = load_run(args.run)
    config = load_config(args.run / "config.yaml")
    splits = build_splits(config, input_length=run.input_length)
    test = splits.test
    if test is None:
        raise SystemExit("the run has no test split")
    keep = [i for i, lab in enumerate(test.labels) if lab == splits.positive][: args.max]
    sequences = [test.sequences[i] for i in keep]
    X = run.input_kind.encode(sequences)
    X = X.astype(np.float32)
    structure = run.encoding == "structure"
    result: dict[str, object] = {
        "run": str(args.run),
        "method": args.method,
        "n": len(sequences),
        "encoding": run.encoding,
    }
    for name, model in (
        ("trained", run.model),
        ("reinitialised", reinitialised(run.model, seed=0)),
    ):
        attr = attribute(model, X, method=args.method, target=0)
        enr = enrichment(per_position(attr.values, structure), sequences)
        result[name] = {
            "median_enrichment": float(np.nanmedian(enr)),
            "mean_enrichment": float(np.nanmean(enr)),
            "fraction_above_1": float(np.nanmean(enr > 1)),
            "max_abs_delta": None if attr.delta is None else float(np.nanmax(np.abs(attr.delta))),
        }
        print(name, json.dumps(result[name]))
    result["wall_s"] = round(time.time() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    name = args.run.name
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
