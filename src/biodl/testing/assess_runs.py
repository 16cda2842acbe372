"""Tiny trained run directories for the tests of ``biodl assess``.

:func:`write_assess_data` writes a small data set and configuration for one task;
:func:`tiny_run` also trains it (one epoch of a tiny DeepBind, a few seconds on a CPU).
The binary set has sequences of different lengths (some longer than the model input,
so they are cropped), a ``chrom`` column, a ``tissue`` column for ``--group``, generated
negatives and a test table that repeats a few training sequences (known leaks).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from biodl.tasks import TaskName
from biodl.testing.multitask import multitask_dataset, write_multitask_table
from biodl.testing.synthetic import planted_motif_dataset, random_dna, write_table_file

__all__ = ["AssessTask", "tiny_run", "write_assess_data"]

AssessTask = TaskName

_MODEL = {"name": "deepbind", "n_filters": 4, "filter_width": 8, "hidden": 4}
_TRAIN = {"max_epochs": 1, "seed": 1, "batch_size": 32, "progress_bar": False}


def _binary(folder: Path, *, seed: int) -> dict[str, Any]:
    seqs, _ = planted_motif_dataset(80, 0, length=50, seed=seed)
    flanks = random_dna(len(seqs), 10, seed=seed + 1)
    # every third sequence is 10 letters longer: cropped to the input length of 50
    seqs = [s + f if i % 3 == 0 else s for i, (s, f) in enumerate(zip(seqs, flanks, strict=True))]
    n = len(seqs)
    ids = [f"p{i}" for i in range(n)]
    lines = ["id\tseq\tBound\tchrom\ttissue"]
    lines += [
        f"{ids[i]}\t{seqs[i]}\t1\tchr{1 + i % 3}\t{'liver' if i % 2 else 'brain'}" for i in range(n)
    ]
    (folder / "train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tseqs, tlabels = planted_motif_dataset(20, 20, length=50, seed=seed + 2, negatives="shuffle")
    tseqs[:3] = [seqs[1], seqs[2], seqs[4]]  # three exact leaks of 50-letter training sequences
    write_table_file(folder / "test.tsv", tseqs, tlabels, ids=[f"t{i}" for i in range(40)])
    source = {"sequence": "seq", "label": "Bound", "id": "id"}
    return {
        "task": "binary",
        "data": {
            "train": {
                "table": "train.tsv",
                **source,
                "chrom": "chrom",
                "negatives": {"shuffle": "dinucleotide", "per_positive": 1},
            },
            "valid": {"fraction": 0.25},
            "test": {"table": "test.tsv", **source},
            "length": 50,
        },
    }


def _multiclass(folder: Path, *, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    seqs = random_dna(150, 40, seed=seed)
    labels = rng.choice(np.array(["A", "B", "C"]), size=len(seqs))
    rows = [f"s{i}\t{seq}\t{lab}" for i, (seq, lab) in enumerate(zip(seqs, labels, strict=True))]
    (folder / "data.tsv").write_text("id\tseq\tBound\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return {
        "task": "multiclass",
        "data": {
            "train": {"table": "data.tsv", "sequence": "seq", "label": "Bound", "id": "id"},
            "valid": {"fraction": 0.2},
            "test": {"fraction": 0.2},
        },
    }


def _numeric(
    folder: Path, kind: Literal["multilabel", "regression"], *, seed: int
) -> dict[str, Any]:
    write_multitask_table(
        folder / "train.tsv", multitask_dataset(120, length=40, seed=seed), kind=kind, missing=0.1
    )
    write_multitask_table(
        folder / "test.tsv", multitask_dataset(40, length=40, seed=seed + 1), kind=kind
    )
    table = {"sequence": "seq", "id": "id", "label": ["ctcf", "gata"]}
    return {
        "task": kind,
        "data": {
            "train": {"table": "train.tsv", **table},
            "valid": {"fraction": 0.2},
            "test": {"table": "test.tsv", **table},
        },
    }


def write_assess_data(
    folder: str | os.PathLike[str], *, task: AssessTask = "binary", seed: int = 0
) -> Path:
    """Write a tiny data set and ``config.yaml`` for ``task`` into ``folder``.

    Returns
    -------
    pathlib.Path
        The configuration file.

    Examples
    --------
    >>> import tempfile
    >>> path = write_assess_data(tempfile.mkdtemp(), task="multiclass")
    >>> path.name
    'config.yaml'
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    if task == "binary":
        config = _binary(out, seed=seed)
    elif task == "multiclass":
        config = _multiclass(out, seed=seed)
    else:
        config = _numeric(out, task, seed=seed)
    config["model"] = dict(_MODEL)
    config["train"] = dict(_TRAIN)
    config["evaluate"] = {"n_bootstrap": 20}
    path = out / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def tiny_run(folder: str | os.PathLike[str], *, task: AssessTask = "binary", seed: int = 0) -> Path:
    """Write the data of :func:`write_assess_data` into ``folder`` and train
    ``folder/run`` (one epoch); returns the run directory."""
    from biodl.workflows import train_run

    config = write_assess_data(folder, task=task, seed=seed)
    return train_run(config, Path(folder) / "run").out
