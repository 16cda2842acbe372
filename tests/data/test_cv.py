from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.config import parse_config
from biodl.data import Examples, assign_folds, cross_validation_splits, deduplicate
from biodl.encode import reverse_complement
from biodl.errors import InputError
from biodl.testing import write_table_file
from tests.conftest import base_config


def _examples(seqs: list[str], labels: list[str]) -> Examples:
    n = len(seqs)
    return Examples(seqs, labels, [f"s{i}" for i in range(n)], [("f", i + 1) for i in range(n)])


def test_deduplicate_exact_and_reverse_complement() -> None:
    seqs = ["AACCG", "AACCG", reverse_complement("AACCG"), "TTTTT", "aaccg"]
    d = deduplicate(_examples(seqs, ["1", "1", "0", "1", "1"]))
    assert d.examples.ids == ["s0", "s3"]
    assert (d.n_removed, d.n_conflicting) == (3, 1)
    plain = deduplicate(_examples(seqs, ["1"] * 5), reverse_complements=False)
    assert plain.examples.ids == ["s0", "s2", "s3"]


@given(st.lists(st.sampled_from(["a", "b"]), min_size=4, max_size=100), st.integers(2, 5))
@settings(max_examples=40, deadline=None)
def test_assign_folds_is_stratified(labels: list[str], k: int) -> None:
    folds = assign_folds(labels, k, seed=1)
    assert set(folds.tolist()) <= set(range(k))
    for cls in set(labels):
        counts = Counter(folds[np.asarray(labels) == cls].tolist())
        sizes = [counts.get(f, 0) for f in range(k)]
        assert max(sizes) - min(sizes) <= 1
    with pytest.raises(InputError, match="at least 2 folds"):
        assign_folds(labels, 1, seed=0)


def test_cross_validation_splits_cover_every_example_once(motif_tables: Path) -> None:
    config = parse_config(base_config(), base_dir=motif_tables)
    dedup, names, splits = cross_validation_splits(config, 3)
    assert names == ["1", "2", "3"]
    tested: list[str] = []
    for split in splits:
        assert split.test is not None
        assert split.valid is not None
        positives = [
            i for i, lab in zip(split.test.ids, split.test.labels, strict=True) if lab == "1"
        ]
        tested += positives
        train_ids = set(split.train.ids) | set(split.valid.ids)
        assert not set(positives) & train_ids
        assert Counter(split.test.labels)["0"] == len(positives)  # shuffles made per split
    assert sorted(tested) == sorted(dedup.examples.ids)


def test_given_fold_column(tmp_path: Path) -> None:
    seqs = [s * 15 for s in ("ACGT", "AGCT", "TTGA", "GGCA", "CATG", "AAGC")]
    write_table_file(
        tmp_path / "f.tsv", seqs, np.ones(6, dtype=int), groups=["x", "x", "y", "y", "z", "z"],
        group_column="fold",
    )  # fmt: skip
    config = base_config()
    config["data"]["train"] = {
        "table": "f.tsv", "sequence": "seq", "label": "Bound", "fold": "fold",
        "negatives": {"shuffle": "dinucleotide"},
    }  # fmt: skip
    config["data"]["valid"] = {"fraction": 0.5}
    _, names, splits = cross_validation_splits(parse_config(config, base_dir=tmp_path), 99)
    assert names == ["x", "y", "z"]
    assert [len(s.test or []) for s in splits] == [4, 4, 4]
