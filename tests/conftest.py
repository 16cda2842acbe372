"""Shared fixtures: small data sets written by biodl.testing, and a config writer."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from biodl.testing import planted_motif_dataset, write_table_file


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny models run faster on one thread, and do not fight a concurrent job for cores.

    ``BIODL_TEST_THREADS=2`` runs these tests with 2 threads instead (``make test-threads``
    runs the whole suite that way: results must not depend on the thread count).
    Use with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get("BIODL_TEST_THREADS", "1")))
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def motif_tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DeepBind-like folder: train.tsv (positives only) and test.tsv.gz (pos + neg)."""
    folder = tmp_path_factory.mktemp("motif")
    seqs, labels = planted_motif_dataset(240, 0, length=60, seed=3)
    chroms = [f"chr{1 + i % 3}" for i in range(len(seqs))]
    write_table_file(
        folder / "train.tsv",
        seqs,
        labels,
        ids=[f"p{i}" for i in range(len(seqs))],
        groups=chroms,
        group_column="chrom",
    )
    tseqs, tlabels = planted_motif_dataset(60, 60, length=60, seed=4, negatives="shuffle")
    write_table_file(folder / "test.tsv.gz", tseqs, tlabels, gzip=True)
    return folder


def base_config(**overrides: Any) -> dict[str, Any]:
    """A small, fast configuration over the ``motif_tables`` files."""
    config: dict[str, Any] = {
        "task": "binary",
        "data": {
            "train": {
                "table": "train.tsv",
                "sequence": "seq",
                "label": "Bound",
                "id": "id",
                "chrom": "chrom",
                "negatives": {"shuffle": "dinucleotide", "per_positive": 1},
            },
            "valid": {"fraction": 0.25},
            "test": {"table": "test.tsv.gz", "sequence": "seq", "label": "Bound"},
        },
        "model": {"name": "deepbind", "n_filters": 8, "filter_width": 12, "hidden": 8},
        "train": {"max_epochs": 2, "seed": 1, "batch_size": 32, "progress_bar": False},
        "evaluate": {"n_bootstrap": 50},
    }
    for key, value in overrides.items():
        config[key] = value
    return config


@pytest.fixture
def write_config(motif_tables: Path) -> Callable[..., Path]:
    """Write a configuration next to the motif tables; returns its path."""
    counter = {"n": 0}

    def _write(config: dict[str, Any] | None = None, *, text: str | None = None) -> Path:
        counter["n"] += 1
        path = motif_tables / f"config{counter['n']}.yaml"
        path.write_text(text if text is not None else yaml.safe_dump(config or base_config()))
        return path

    return _write
