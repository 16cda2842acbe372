"""MoleculeNet side by side: identical split files, DeepChem 2.8.0 on them (issue #19).

Two steps, both from the repository root with biodl's venv::

    .venv/bin/python bench/moleculenet.py --make-splits [OUTDIR]
    OMP_NUM_THREADS=1 .venv/bin/python bench/moleculenet.py --peer deepchem \\
        [--splits OUTDIR] [--datasets esol,freesolv,bbbp,bace,lipo,tox21] \\
        [--max-epochs 100] [--patience 20]
    OMP_NUM_THREADS=1 .venv/bin/python bench/moleculenet.py --biodl \\
        [--datasets freesolv,esol] [--threads 1]
    .venv/bin/python bench/moleculenet.py --table   # the table of the JSON again

``--make-splits`` writes one split file per dataset and seed with biodl's
:func:`biodl.data.scaffold.write_split_file` (``id<TAB>split``, header ``id split``)
into OUTDIR (default ``bench/out/moleculenet_splits/``, git-ignored). The id is the
0-based data row of the molecule in the source CSV (the header is not a row; row ``i``
is line ``i + 2``). Molecules RDKit rejects (read by
:func:`biodl.io.molecules.read_molecules` with ``invalid="skip"``) are in no split
file; they are listed in ``<dataset>.skipped.tsv`` and in ``manifest.json``, which also
records each file's SHA-256, the counts per split and the rule that made it.

================  ===================================  ===========  ========================
dataset           file (``../shared/data/moleculenet``)  target(s)    splits (80/10/10)
================  ===================================  ===========  ========================
esol              ``chemprop_format/delaney.csv``        ``logp``     random, seeds 0, 1, 2
freesolv          ``chemprop_format/freesolv.csv``       ``freesolv`` random, seeds 0, 1, 2
lipo              ``chemprop_format/lipo.csv``           ``lipo``     random, seeds 0, 1, 2
bbbp              ``chemprop_format/bbbp.csv``           ``p_np``     scaffold: balanced seeds
                                                                      0, 1, 2 + deterministic
bace              ``chemprop_format/bace.csv`` (``mol``)  ``Class``    as bbbp
tox21             ``chemprop_format/tox21.csv``          12 tasks     random, seeds 0, 1, 2
================  ===================================  ===========  ========================

Random: :func:`biodl.data.scaffold.random_split` (``numpy.random.default_rng(seed)``
permutation, DeepChem's cut-offs). Scaffold, seeds 0-2: chemprop's balanced
Bemis-Murcko scaffold split, ``scaffold_split(..., seed=s, balanced=True)``, so the
three seeds differ. Scaffold, ``det``: the deterministic MoleculeNet/DeepChem rule
(``scaffold_split(...)``, largest scaffold groups to train), one split, reported apart.
File names: ``<dataset>_random_s<seed>.tsv``, ``<dataset>_scaffold_s<seed>.tsv``,
``<dataset>_scaffold_det.tsv``.

``--peer deepchem`` makes (or reuses) DeepChem's own venv with
``bench/peers/setup_deepchem.sh`` (``bench/out/venv-deepchem``: deepchem==2.8.0, torch
pinned by ``constraints.txt``; DeepChem is never a dependency of biodl) and runs
``bench/peers/deepchem_moleculenet.py`` there, once per dataset, with
``OMP_NUM_THREADS=1``. That runner builds DeepChem ``NumpyDataset`` s from the rows the
split files name (nothing is downloaded; the MoleculeNet loaders are not used), trains
DeepChem's ``GraphConvModel`` and an ECFP random forest and scores the test split (see
its docstring for the exact protocol). Every figure goes to
``bench/out/moleculenet_deepchem.json`` (a list of ``{dataset, split, seed, model,
metric, value, seconds, ...}``; a rerun replaces the rows of the datasets it ran), and
this script prints a markdown table, dataset x model, mean ± sd over the three seeds,
the deterministic scaffold split apart, next to MoleculeNet's recalled best figures
(``../shared/data/moleculenet/SOURCE.md``, marked there as recalled, not re-read).

``--biodl`` trains biodl's candidates (``dmpnn``, ``gin``, ``fingerprint_mlp`` on ECFP4)
on the same split files with :func:`biodl.workflows.train_run` (``biodl train``'s
function), picks biodl's best model per dataset by the mean VALIDATION figure over the
three seeds, and writes ``bench/out/moleculenet_biodl_<dataset>.json``; see
``bench/moleculenet_biodl.py`` for the protocol and the sizes. ``--table`` then prints
the side-by-side table (biodl's chosen model next to DeepChem's GraphConv and random
forest and MoleculeNet's recalled figure, the split on every row) and every candidate's
validation and test figures, all from the JSON files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "moleculenet"
OUT = ROOT / "bench" / "out"
SPLITS_DIR = OUT / "moleculenet_splits"
RESULTS = OUT / "moleculenet_deepchem.json"
VENV = OUT / "venv-deepchem"
RUNNER = ROOT / "bench" / "peers" / "deepchem_moleculenet.py"
SETUP = ROOT / "bench" / "peers" / "setup_deepchem.sh"

TOX21_TASKS = (
    "NR-AR",
    "NR-AR-LBD",
    "NR-AhR",
    "NR-Aromatase",
    "NR-ER",
    "NR-ER-LBD",
    "NR-PPAR-gamma",
    "SR-ARE",
    "SR-ATAD5",
    "SR-HSE",
    "SR-MMP",
    "SR-p53",
)

# name -> file, SMILES column, targets, task kind, split kind
DATASETS: dict[str, dict[str, Any]] = {
    "esol": {
        "file": "chemprop_format/delaney.csv",
        "smiles": "smiles",
        "targets": ["logp"],
        "task": "regression",
        "split": "random",
    },
    "freesolv": {
        "file": "chemprop_format/freesolv.csv",
        "smiles": "smiles",
        "targets": ["freesolv"],
        "task": "regression",
        "split": "random",
    },
    "lipo": {
        "file": "chemprop_format/lipo.csv",
        "smiles": "smiles",
        "targets": ["lipo"],
        "task": "regression",
        "split": "random",
    },
    "bbbp": {
        "file": "chemprop_format/bbbp.csv",
        "smiles": "smiles",
        "targets": ["p_np"],
        "task": "classification",
        "split": "scaffold",
    },
    "bace": {
        "file": "chemprop_format/bace.csv",
        "smiles": "mol",
        "targets": ["Class"],
        "task": "classification",
        "split": "scaffold",
    },
    "tox21": {
        "file": "chemprop_format/tox21.csv",
        "smiles": "smiles",
        "targets": list(TOX21_TASKS),
        "task": "classification",
        "split": "random",
    },
}
ORDER = ("esol", "freesolv", "bbbp", "bace", "lipo", "tox21")  # smallest first
SEEDS = (0, 1, 2)
FRACTIONS = (0.8, 0.1, 0.1)

# MoleculeNet (Wu et al. 2018) best model per dataset, test set, as RECALLED in SOURCE.md
# ("verify against the paper before quoting").
MOLECULENET_BEST = {
    "esol": ("RMSE", 0.58, "MPNN, random"),
    "freesolv": ("RMSE", 1.15, "MPNN, random"),
    "lipo": ("RMSE", 0.655, "GraphConv, random"),
    "bbbp": ("ROC-AUC", 0.729, "KernelSVM, scaffold"),
    "bace": ("ROC-AUC", 0.867, "RF, scaffold"),
    "tox21": ("ROC-AUC", 0.829, "GraphConv, random"),
}


def split_files(dataset: str) -> list[tuple[str, str]]:
    """``(split label, file name)`` of every split of ``dataset``, seeds first."""
    kind = DATASETS[dataset]["split"]
    names = [(f"{kind} s{s}", f"{dataset}_{kind}_s{s}.tsv") for s in SEEDS]
    if kind == "scaffold":
        names.append(("scaffold det", f"{dataset}_scaffold_det.tsv"))
    return names


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_splits(outdir: Path) -> dict[str, Any]:
    """Write every split file (and the skipped lists and manifest.json) into ``outdir``."""
    from biodl.data.scaffold import random_split, scaffold_split, write_split_file
    from biodl.io.molecules import read_molecules

    outdir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"fractions": list(FRACTIONS), "data": str(DATA), "datasets": {}}
    for name in ORDER:
        spec = DATASETS[name]
        path = DATA / spec["file"]
        mols = read_molecules(
            path, smiles_column=spec["smiles"], target_columns=spec["targets"], invalid="skip"
        )
        ids = [str(line - 2) for line in mols.lines]  # 0-based data row of the CSV
        skipped_path = outdir / f"{name}.skipped.tsv"
        with open(skipped_path, "w", encoding="utf-8") as fh:
            fh.write("id\tline\tsmiles\treason\n")
            for line, smi, reason in mols.skipped:
                fh.write(f"{line - 2}\t{line}\t{smi}\t{reason}\n")
        entry: dict[str, Any] = {
            "file": spec["file"],
            "source_sha256": _sha256(path),
            "smiles_column": spec["smiles"],
            "targets": spec["targets"],
            "task": spec["task"],
            "molecules": len(mols),
            "skipped": [{"id": line - 2, "smiles": s, "reason": r} for line, s, r in mols.skipped],
            "splits": {},
        }
        for label, fname in split_files(name):
            if label.startswith("random"):
                seed = int(label.split("s")[-1])
                split = random_split(len(mols), fractions=FRACTIONS, seed=seed)
                rule = f"biodl random_split(n, fractions=(0.8, 0.1, 0.1), seed={seed})"
            elif label == "scaffold det":
                split = scaffold_split(mols.smiles, fractions=FRACTIONS)
                rule = "biodl scaffold_split(smiles, fractions=(0.8, 0.1, 0.1)) (DeepChem rule)"
            else:
                seed = int(label.split("s")[-1])
                split = scaffold_split(mols.smiles, fractions=FRACTIONS, seed=seed, balanced=True)
                rule = (
                    f"biodl scaffold_split(smiles, fractions=(0.8, 0.1, 0.1), seed={seed}, "
                    "balanced=True) (chemprop balanced scaffold split)"
                )
            fpath = write_split_file(outdir / fname, ids, split)
            counts = {k: int((split == k).sum()) for k in ("train", "valid", "test")}
            entry["splits"][fname] = {"rule": rule, "counts": counts, "sha256": _sha256(fpath)}
            print(f"{fname:28s} {counts}")
        if mols.skipped:
            print(f"{name}: {len(mols.skipped)} invalid SMILES skipped -> {skipped_path.name}")
        manifest["datasets"][name] = entry
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def run_deepchem(splits: Path, datasets: list[str], max_epochs: int, patience: int) -> int:
    """Set up DeepChem's venv, run the runner per dataset; the exit status."""
    subprocess.run(["bash", str(SETUP)], check=True)
    python = VENV / "bin" / "python"
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "1")
    env["PYTHONNOUSERSITE"] = "1"
    rows: list[dict[str, Any]] = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    status = 0
    for name in datasets:
        spec = DATASETS[name]
        part = OUT / f"moleculenet_deepchem_{name}.json"
        cmd = [
            str(python),
            str(RUNNER),
            "--csv",
            str(DATA / spec["file"]),
            "--dataset",
            name,
            "--smiles-column",
            spec["smiles"],
            "--targets",
            ",".join(spec["targets"]),
            "--task",
            spec["task"],
            "--max-epochs",
            str(max_epochs),
            "--patience",
            str(patience),
            "--out",
            str(part),
        ]
        for label, fname in split_files(name):
            cmd += ["--split", f"{label}={splits / fname}"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env)
        print(f"# {name}: runner exit {proc.returncode}, {time.perf_counter() - start:.0f} s")
        if proc.returncode != 0:
            status = proc.returncode
        if part.exists():
            new = json.loads(part.read_text())
            rows = [r for r in rows if r["dataset"] != name] + new
            RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
    return status


def _fmt(values: list[float]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f} (n={len(values)})"


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: dataset x model, mean ± sd over seeds, det. scaffold apart, MoleculeNet best."""
    head = (
        "| dataset | split | metric | DeepChem GraphConv | DeepChem RF (ECFP4 1024) | "
        "GraphConv best epoch | s per run (GC / RF) | MoleculeNet best (recalled) |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for name in ORDER:
        mine = [r for r in rows if r["dataset"] == name]
        if not mine:
            continue
        metric, best, how = MOLECULENET_BEST[name]
        groups = [("seeds 0-2", lambda r: r["seed"] is not None)]
        if DATASETS[name]["split"] == "scaffold":
            groups.append(("det.", lambda r: r["seed"] is None))
        for tag, keep in groups:
            sel = [r for r in mine if keep(r)]
            if not sel:
                continue
            kind = DATASETS[name]["split"]
            split = f"{kind} 80/10/10, {tag}"
            if kind == "scaffold" and tag != "det.":
                split = "scaffold (balanced) 80/10/10, seeds 0-2"
            if tag == "det.":
                split = "scaffold (DeepChem det.) 80/10/10"
            gc = [r["value"] for r in sel if r["model"] == "GraphConv"]
            rf = [r["value"] for r in sel if r["model"] == "RF"]
            epochs = [f"{r['best_epoch']}/{r['epochs']}" for r in sel if r["model"] == "GraphConv"]
            secs = [
                f"{statistics.mean(t):.0f}" if t else "—"
                for t in (
                    [r["seconds"] for r in sel if r["model"] == m] for m in ("GraphConv", "RF")
                )
            ]
            lines.append(
                f"| {name} | {split} | {metric} | {_fmt(gc)} | {_fmt(rf)} | "
                f"{', '.join(epochs) or '—'} | {' / '.join(secs)} | {best} ({how}) |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--make-splits", nargs="?", const=str(SPLITS_DIR), metavar="OUTDIR")
    parser.add_argument("--peer", choices=["deepchem"])
    parser.add_argument("--splits", default=str(SPLITS_DIR), help="split files (of --make-splits)")
    parser.add_argument("--datasets", default=",".join(ORDER), help="comma list, run in order")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--biodl", action="store_true", help="train biodl's side")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (--biodl)")
    parser.add_argument("--table", action="store_true", help="only print the table of the JSON")
    args = parser.parse_args(argv)
    if not (args.make_splits or args.peer or args.table or args.biodl):
        parser.error("give --make-splits, --peer deepchem, --biodl or --table")
    status = 0
    if args.make_splits:
        make_splits(Path(args.make_splits))
    if args.peer == "deepchem":
        names = [d.strip() for d in args.datasets.split(",") if d.strip()]
        unknown = sorted(set(names) - set(DATASETS))
        if unknown:
            parser.error(f"unknown dataset(s): {', '.join(unknown)}")
        splits = Path(args.splits)
        missing = [f for n in names for _, f in split_files(n) if not (splits / f).exists()]
        if missing:
            parser.error(f"split files missing in {splits} (run --make-splits): {missing[:3]}")
        status = run_deepchem(splits, names, args.max_epochs, args.patience)
    if args.biodl:
        import moleculenet_biodl

        names = [d.strip() for d in args.datasets.split(",") if d.strip()]
        unknown = sorted(set(names) - set(DATASETS))
        if unknown:
            parser.error(f"unknown dataset(s): {', '.join(unknown)}")
        status = moleculenet_biodl.run_biodl(Path(args.splits), names, args.threads) or status
    if args.biodl or args.table:
        import moleculenet_biodl

        print("\n## biodl vs DeepChem (side by side)\n")
        moleculenet_biodl.print_tables()
    if (args.peer or args.table) and RESULTS.exists():
        print("\n## DeepChem alone\n")
        print(table(json.loads(RESULTS.read_text())))
    return status


if __name__ == "__main__":
    sys.exit(main())
