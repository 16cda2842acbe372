"""Data checks of ``biodl assess`` (leakage, noise, representation) on real benchmark data.

Builds :class:`biodl.assess.AssessInputs` directly from the files in
``/work/shared/data`` (no trained model) and runs the three data checks:

* ``enhancer``: iEnhancer-2L, train = the 1,484 + 1,484 training sequences, test = the
  200 + 200 independent set (SOURCE.md: the 100 strong independent enhancers are
  copies of training enhancers);
* ``premirna``: deepMiRGene cross-species ("whole") set, train = ``cv/whole/*_all``,
  test = ``test/whole/*`` (SOURCE.md: 23 sequences are labelled both ways);
* ``deeploc_multiloc``: train = the DeepLoc 1.0 training subset (union file), test =
  MultiLoc mapped to DeepLoc's 10 classes;
* ``splice``: UCI primate splice junctions, a seeded stratified 80/10/10 split
  (SOURCE.md: 185 duplicate rows and one conflicting sequence).

Prints the figures and writes ``bench/out/assess_findings/<name>.json``.

    nice -n 10 .venv/bin/python bench/assess_findings.py [--only enhancer premirna ...]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from biodl.assess.leakage import leakage
from biodl.assess.noise import noise
from biodl.assess.representation import representation
from biodl.assess.types import AssessInputs, Item, SplitView

DATA = Path("/work/shared/data")
OUT = Path(__file__).parent / "out" / "assess_findings"

DEEPLOC_CLASSES = (
    "Cell.membrane",
    "Cytoplasm",
    "Endoplasmic.reticulum",
    "Extracellular",
    "Golgi.apparatus",
    "Lysosome/Vacuole",
    "Mitochondrion",
    "Nucleus",
    "Peroxisome",
    "Plastid",
)
MULTILOC_TO_DEEPLOC = {
    "cytoplasmic": "Cytoplasm",
    "nuclear": "Nucleus",
    "extracellular": "Extracellular",
    "mitochondrial": "Mitochondrion",
    "plasma_membrane": "Cell.membrane",
    "ER": "Endoplasmic.reticulum",
    "chloroplast": "Plastid",
    "Golgi": "Golgi.apparatus",
    "peroxisomal": "Peroxisome",
    "lysosomal": "Lysosome/Vacuole",
    "vacuolar": "Lysosome/Vacuole",
}


def read_fasta(path: Path) -> Iterator[tuple[str, str]]:
    """(first header word, sequence) of each record; gzip by suffix."""
    opener = gzip.open if path.suffix == ".gz" else open
    name: str | None = None
    parts: list[str] = []
    with opener(path, "rt") as handle:
        for line in handle:
            line = line.strip()
            if line.startswith(">"):
                if name is not None:
                    yield name, "".join(parts).upper()
                name, parts = line[1:].split()[0], []
            elif line:
                parts.append(line)
    if name is not None:
        yield name, "".join(parts).upper()


def view(records: list[tuple[str, str, float]]) -> SplitView:
    return SplitView(
        ids=tuple(r[0] for r in records),
        sequences=tuple(r[1] for r in records),
        y=np.array([[r[2]] for r in records], dtype=np.float64),
    )


def labelled(path: Path, prefix: str, label: float) -> list[tuple[str, str, float]]:
    return [(f"{prefix}:{name}", seq, label) for name, seq in read_fasta(path)]


def two_fasta_pairs(
    folder: Path, files: tuple[str, str, str, str], *, alphabet: str, output: str
) -> AssessInputs:
    """A binary set from FASTA files: train positives, train negatives, test ditto."""
    train_pos, train_neg, test_pos, test_neg = files
    train = labelled(folder / train_pos, "pos", 1.0) + labelled(folder / train_neg, "neg", 0.0)
    test = labelled(folder / test_pos, "pos", 1.0) + labelled(folder / test_neg, "neg", 0.0)
    return AssessInputs(
        task="binary",
        alphabet=alphabet,
        outputs=(output,),
        splits={"train": view(train), "test": view(test)},
    )


def enhancer() -> AssessInputs:
    files = (
        "original_enhancer_train.txt",
        "original_non_enhancer_train.txt",
        "original_enhancer_ind.txt",
        "original_non_enhancer_ind.txt",
    )
    return two_fasta_pairs(DATA / "enhancer_ienhancer2l", files, alphabet="dna", output="enhancer")


def premirna() -> AssessInputs:
    files = (
        "cv/whole/whole_pos_all.fa.gz",
        "cv/whole/whole_neg_all.fa.gz",
        "test/whole/whole_pos_test.fa.gz",
        "test/whole/whole_neg_test.fa.gz",
    )
    return two_fasta_pairs(DATA / "premirna_deepmirgene", files, alphabet="rna", output="pre-miRNA")


def deeploc_multiloc() -> AssessInputs:
    index = {c: float(i) for i, c in enumerate(DEEPLOC_CLASSES)}
    train: list[tuple[str, str, float]] = []
    with gzip.open(DATA / "deeploc1_trainsubset/deeploc1_train_union.tsv.gz", "rt") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["location"] in index:
                name = row["accession"] or row["mz_id"]
                train.append((f"deeploc:{name}", row["sequence"].upper(), index[row["location"]]))
    test: list[tuple[str, str, float]] = []
    for path in sorted((DATA / "multiloc").glob("*.fasta")):
        cls = index[MULTILOC_TO_DEEPLOC[path.stem]]
        test += labelled(path, "multiloc", cls)
    return AssessInputs(
        task="multiclass",
        alphabet="protein",
        outputs=DEEPLOC_CLASSES,
        splits={"train": view(train), "test": view(test)},
    )


def splice(seed: int = 0) -> AssessInputs:
    from sklearn.model_selection import train_test_split

    classes = ("EI", "IE", "N")
    rows = []
    with open(DATA / "splice_uci_primate/splice.data") as handle:
        for fields in csv.reader(handle):
            label, name, seq = (f.strip() for f in fields)
            rows.append((name, seq.upper(), float(classes.index(label))))
    y = [r[2] for r in rows]
    idx = np.arange(len(rows))
    train_idx, rest = train_test_split(idx, test_size=0.2, stratify=y, random_state=seed)
    valid_idx, test_idx = train_test_split(
        rest, test_size=0.5, stratify=[y[i] for i in rest], random_state=seed
    )
    return AssessInputs(
        task="multiclass",
        alphabet="dna",
        outputs=classes,
        splits={
            "train": view([rows[i] for i in sorted(train_idx)]),
            "valid": view([rows[i] for i in sorted(valid_idx)]),
            "test": view([rows[i] for i in sorted(test_idx)]),
        },
    )


DATASETS: dict[str, Callable[[], AssessInputs]] = {
    "enhancer": enhancer,
    "premirna": premirna,
    "deeploc_multiloc": deeploc_multiloc,
    "splice": splice,
}


def _figures(name: str, result: dict[str, Any]) -> list[str]:
    lk, nz, rp = result["leakage"], result["noise"], result["representation"]
    lines = [
        f"== {name}: " + ", ".join(f"{s} {n}" for s, n in rp["n"].items()),
        f"  leakage {lk['flag']} ({result['seconds']['leakage']:.1f} s wall, "
        f"{result['cpu_seconds']['leakage']:.1f} s CPU of this process): "
        + ", ".join(
            f"{k} {lk[k].get('test_count', '-')} test ({lk[k]['flag']})"
            for k in ("exact", "reverse_complement", "near_duplicate", "homology", "intervals")
        ),
        f"  by pair, exact: {json.dumps(lk['exact'].get('by_pair', {}))}",
        (
            f"  clean test subset {len(lk['clean_test_ids'])} of {lk['n_test']}; redundancy: "
            f"{lk['redundancy']['count']} copy rows ({lk['redundancy']['exact_copies']} exact, "
            f"{lk['redundancy']['reverse_complement_copies']} reverse complement), within "
            f"{lk['redundancy']['within_split']}"
        ),
    ]
    if lk["homology"]["flag"] != "not_assessed":
        lines.append(f"  homology max identity {lk['homology']['max_identity']}")
    c = nz["conflicting_labels"]
    li = nz["label_issues"]
    lines.append(
        f"  noise {nz['flag']} ({result['seconds']['noise']:.1f} s): conflicting {c.get('count')} "
        f"(identical {c.get('identical_count')}, reverse complement "
        f"{c.get('reverse_complement_count')}; {c.get('rows')} rows), near-identical "
        f"conflicting pairs {c.get('near', {}).get('count')}; label issues {li.get('count')} of "
        f"{li.get('n')} (k-mer model accuracy {li.get('model_accuracy', float('nan')):.3f})"
    )
    shift = rp["shift"]
    lines.append(
        f"  representation {rp['flag']} ({result['seconds']['representation']:.1f} s): "
        f"adversarial AUROC {shift.get('auroc')} CI {shift.get('ci')}, minority "
        f"{rp['minority_fraction']}"
    )
    return lines


def run(name: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    inputs = DATASETS[name]()
    result: dict[str, Any] = {"seconds": {"load": time.perf_counter() - t0}, "cpu_seconds": {}}
    checks: list[tuple[str, Callable[[], Item]]] = [
        ("leakage", lambda: leakage(inputs, max_examples=200)),
        ("noise", lambda: noise(inputs, max_examples=100)),
        ("representation", lambda: representation(inputs)),
    ]
    for key, check in checks:
        t = time.perf_counter()
        c = time.process_time()
        item = check()
        result["seconds"][key] = time.perf_counter() - t
        result["cpu_seconds"][key] = time.process_time() - c
        result[key] = item.to_json()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(DATASETS), default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(DATASETS):
        result = run(name)
        for line in _figures(name, result):
            print(line, flush=True)
        (args.out / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
