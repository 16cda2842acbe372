"""Protein benchmarks of issue #4: DeepLoc localisation, MultiLoc CV, DeepFam GPCR families.

- ``deeploc``: ``shared/data/deeploc1_trainsubset`` (7,317 proteins of DeepLoc's training
  partition; ``Cytoplasm-Nucleus`` mapped to ``Cytoplasm``, 10 classes). Homology-aware
  splits at 30 % identity: 10 % for early stopping and 10 % as the evaluation split;
  proteins longer than ``--length`` keep their first and last halves (DeepLoc: 1,000).
  Reports accuracy, Gorodkin MCC and per-class F1 on the evaluation split.
- ``multiloc``: ``shared/data/multiloc`` (5,959 proteins, 11 classes), homology-aware
  5-fold CV at 30 %, mean +- SD accuracy.
- ``deepfam``: ``shared/data/deepfam_gpcr_fold`` (832 GPCRs of one test fold; the training
  files are missing, SOURCE.md), within-fold 5-fold CV at class, family and subfamily
  level (stratified folds; the set is too small and uneven for homology folds at 86
  subfamilies); a (sub)family with a single distinct sequence is dropped
  (``data.min_class_size: 2``) and listed.

Usage::

    .venv/bin/python bench/protein.py deeploc --model deeploc --out bench/out/protein
    .venv/bin/python bench/protein.py multiloc --model deeploc --out bench/out/protein
    .venv/bin/python bench/protein.py deepfam --model deepfam --out bench/out/protein

``--membrane`` (deeploc) adds DeepLoc's membrane-bound/soluble head, trained jointly on the
table's ``membrane`` flags (M/S; the rows without one count only for localisation).

``--params '{"lstm_units": 64}'`` overrides model options (a CPU-sized run); the table
says which options were used.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import time
from pathlib import Path
from typing import Any

import yaml

from biodl.encode import ENCODINGS
from biodl.workflows import cross_validate, train_run

MULTILOC = [
    "cytoplasmic", "plasma_membrane", "extracellular", "nuclear", "mitochondrial",
    "chloroplast", "ER", "peroxisomal", "Golgi", "lysosomal", "vacuolar",
]  # fmt: skip


UNIREP = [e for e in ENCODINGS if e.startswith("unirep")]


def base(args: argparse.Namespace, model: dict[str, Any]) -> dict[str, Any]:
    return {
        "alphabet": "protein",
        "length": args.length,
        "pad_short": True,
        "crop": "ends",
        "ambiguous": "unknown",
        "encoding": args.encoding,
        "model": model,
        "train": {
            "max_epochs": args.epochs,
            "seed": args.seed,
            "batch_size": 32,
            "progress_bar": False,
            "class_weight": "balanced",
        },
    }


def config_deeploc(args: argparse.Namespace, model: dict[str, Any]) -> dict[str, Any]:
    b = base(args, model)
    return {
        "task": "multiclass",
        "data": {
            "train": {
                "table": str(args.data / "deeploc1_trainsubset" / "deeploc1_train_union.tsv.gz"),
                "sequence": "sequence",
                "label": "location",
                "id": "accession",
                "label_map": {"Cytoplasm-Nucleus": "Cytoplasm"},
                # DeepLoc's membrane flag (M/S; empty = unknown) for the membrane head
                **({"group": "membrane"} if args.membrane else {}),
            },
            "valid": {"fraction": 0.1},
            "test": {"fraction": 0.1},
            "homology": {"identity": 0.3},
            **{
                k: b[k]
                for k in ("alphabet", "length", "pad_short", "crop", "ambiguous", "encoding")
            },
        },
        "model": b["model"],
        "train": b["train"],
    }


def config_multiloc(args: argparse.Namespace, model: dict[str, Any]) -> dict[str, Any]:
    b = base(args, model)
    folder = args.data / "multiloc"
    return {
        "task": "multiclass",
        "data": {
            "train": {"fasta": {c: str(folder / f"{c}.fasta") for c in MULTILOC}},
            "valid": {"fraction": 0.1},
            "homology": {"identity": 0.3},
            **{
                k: b[k]
                for k in ("alphabet", "length", "pad_short", "crop", "ambiguous", "encoding")
            },
        },
        "model": b["model"],
        "train": b["train"],
    }


def deepfam_table(args: argparse.Namespace, level: str) -> Path:
    """The GPCR file without its '_' padding, as a TSV under --out (a derived file)."""
    out = args.out / f"gpcr_{level}.tsv"
    src = args.data / "deepfam_gpcr_fold" / f"{level}_test.txt.gz"
    with gzip.open(src, "rt") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    out.write_text("label\tseq\n" + "".join(f"{lab}\t{seq.rstrip('_')}\n" for lab, seq in rows))
    return out


def config_deepfam(args: argparse.Namespace, model: dict[str, Any], level: str) -> dict[str, Any]:
    b = base(args, model)
    return {
        "task": "multiclass",
        "data": {
            "train": {
                "table": str(deepfam_table(args, level).resolve()),
                "sequence": "seq",
                "label": "label",
            },
            "valid": {"fraction": 0.1},
            # a (sub)family with one distinct sequence cannot be in a training and a test
            # fold: it is dropped (and listed in cv.json) rather than tested unseen
            "min_class_size": 2,
            **{
                k: b[k]
                for k in ("alphabet", "length", "pad_short", "crop", "ambiguous", "encoding")
            },
        },
        "model": b["model"],
        "train": b["train"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmark", choices=["deeploc", "multiloc", "deepfam"])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/protein"))
    parser.add_argument("--model", default="deeploc")
    parser.add_argument("--params", default="{}", help="model options as JSON")
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--encoding", choices=["onehot", "blosum62", *UNIREP], default="onehot")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--levels", nargs="*", default=["class", "family", "subfamily"])
    parser.add_argument(
        "--membrane",
        action="store_true",
        help="deeploc: also train the membrane-bound/soluble head on the table's flags",
    )
    args = parser.parse_args()
    args.data = args.data.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    model = {"name": args.model, **json.loads(args.params)}
    tag = f"{args.benchmark}_{args.model}_{args.encoding}_{args.length}"
    if args.membrane:
        model["membrane_head"] = True
        tag += "_membrane"
    start = time.perf_counter()
    if args.benchmark == "deeploc":
        cfg = args.out / f"{tag}.yaml"
        cfg.write_text(yaml.safe_dump(config_deeploc(args, model)))
        run = train_run(cfg, args.out / tag, force=True)
        metrics = json.loads((run / "metrics.json").read_text())["test"]
        meta = json.loads((run / "model.json").read_text())
        result: dict[str, Any] = {
            "accuracy": metrics["accuracy"],
            "mcc": metrics["mcc"],
            "macro_f1": metrics["macro_f1"],
            "f1": {k[3:-1]: v["value"] for k, v in metrics.items() if k.startswith("f1[")},
            "n_test": metrics["n"]["value"],
            "max_train_identity": meta.get("homology", {}).get("max_train_identity"),
            "epochs": meta["training"]["epochs"],
            "best_epoch": meta["training"]["best_epoch"],
            "n_parameters": meta["n_parameters"],
            **{k: v for k, v in metrics.items() if k.startswith("membrane_")},
        }
    elif args.benchmark == "multiloc":
        cfg = args.out / f"{tag}.yaml"
        cfg.write_text(yaml.safe_dump(config_multiloc(args, model)))
        cv = cross_validate(cfg, args.out / tag, folds=5, force=True).cv
        result = {k: cv["summary"][k] for k in ("accuracy", "mcc", "macro_f1")}
    else:
        result = {}
        for level in args.levels:
            cfg = args.out / f"{tag}_{level}.yaml"
            cfg.write_text(yaml.safe_dump(config_deepfam(args, model, level)))
            cv = cross_validate(cfg, args.out / f"{tag}_{level}", folds=5, force=True).cv
            result[level] = {k: cv["summary"][k] for k in ("accuracy", "mcc", "macro_f1")}
            result[level]["dropped_classes"] = cv["dropped_classes"]
            result[level]["n_classes"] = len(
                json.loads((args.out / f"{tag}_{level}" / "fold_1" / "model.json").read_text())[
                    "outputs"
                ]
            )
    result["model"] = model
    result["wall_s"] = round(time.perf_counter() - start, 1)
    # peak resident memory of this process and of its largest finished child (MMseqs2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["peak_child_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    (args.out / f"{tag}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
