from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.config import parse_config
from biodl.data import (
    Examples,
    build_splits,
    class_weights,
    fit_length,
    normalise_label,
    resolve_classes,
    stratified_split,
)
from biodl.errors import InputError
from biodl.testing import write_table_file
from tests.conftest import base_config


def _config(folder: Path, **overrides: Any) -> Any:
    return parse_config(base_config(**overrides), base_dir=folder)


@given(
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=200),
    st.floats(0.05, 0.95),
    st.integers(0, 10),
)
@settings(max_examples=50, deadline=None)
def test_stratified_split_partitions_and_keeps_shares(
    labels: list[str], fraction: float, seed: int
) -> None:
    keep, held = stratified_split(labels, fraction, seed=seed)
    assert sorted(np.concatenate([keep, held]).tolist()) == list(range(len(labels)))
    counts, held_counts = Counter(labels), Counter(labels[i] for i in held)
    for cls, n in counts.items():
        assert held_counts[cls] == round(fraction * n)
    again = stratified_split(labels, fraction, seed=seed)
    assert np.array_equal(again[1], held)


def test_class_weights_balanced() -> None:
    assert class_weights(["0"] * 6 + ["1"] * 2, ["0", "1"]) == {"0": 8 / 12, "1": 2.0}


def test_normalise_label() -> None:
    assert [normalise_label(x) for x in ["1", "1.0", " 0 ", "TRUE", "bound"]] == [
        "1",
        "1",
        "0",
        "1",
        "bound",
    ]


def _examples(labels: list[str], path: str = "x.tsv") -> Examples:
    n = len(labels)
    return Examples(
        ["ACGT"] * n, labels, [f"s{i}" for i in range(n)], [(path, i + 2) for i in range(n)]
    )


def test_resolve_classes_rejects_a_third_label_naming_file_and_line() -> None:
    with pytest.raises(InputError) as info:
        resolve_classes([_examples(["1", "0", "1", "2"])], positive=None, generated_negatives=False)
    assert str(info.value).startswith("x.tsv:5: unexpected label '2'")


def test_resolve_classes_positive_missing_and_only_positives() -> None:
    with pytest.raises(InputError, match="positive class '1' is not among the labels"):
        resolve_classes([_examples(["yes", "no"])], positive=None, generated_negatives=False)
    assert resolve_classes(
        [_examples(["yes", "no"])], positive="yes", generated_negatives=False
    ) == (
        "yes",
        "no",
    )
    with pytest.raises(InputError, match="no negatives are generated"):
        resolve_classes([_examples(["1", "1"])], positive=None, generated_negatives=False)
    assert resolve_classes([_examples(["1"])], positive=None, generated_negatives=True) == (
        "1",
        "0",
    )


def test_fit_length_crops_centre_and_rejects_short() -> None:
    ex = Examples(["AACCGGTTAA", "ACG"], ["1", "1"], ["a", "b"], [("f.fa", 2), ("f.fa", 4)])
    with pytest.raises(InputError) as info:
        fit_length(ex, 6, pad_short=False)
    assert str(info.value).startswith(
        "f.fa:4: sequence 'b' is 3 long, shorter than the model input (6)"
    )
    fitted = fit_length(ex, 6, pad_short=True)
    assert [len(s) for s in fitted.sequences] == [6, 6]
    assert fitted.sequences[0] == "CCGGTT"
    # the sequences as read survive fitting, subsetting and joining
    assert fitted.unfitted == ["AACCGGTTAA", "ACG"]
    assert fitted.subset([1]).as_read == ["ACG"]
    assert Examples.concat([fitted, fitted.subset([0])]).as_read[-1] == "AACCGGTTAA"
    assert fit_length(fitted, 4, pad_short=True).as_read == ["AACCGGTTAA", "ACG"]
    assert ex.as_read is ex.sequences


def test_build_splits_generates_negatives_per_split(motif_tables: Path) -> None:
    splits = build_splits(_config(motif_tables))
    assert splits.positive == "1"
    assert splits.negative == "0"
    assert splits.input_length == 60
    assert splits.valid is not None
    assert splits.test is not None
    # 240 positives: 60 held out for validation; each split has one shuffle per positive
    assert Counter(splits.train.labels) == {"1": 180, "0": 180}
    assert Counter(splits.valid.labels) == {"1": 60, "0": 60}
    assert Counter(splits.test.labels) == {"1": 60, "0": 60}
    # the shuffled copy of a positive stays in the positive's split
    train_ids = set(splits.train.ids)
    for seq_id in splits.valid.ids:
        base = seq_id.split("_shuf")[0]
        assert base not in train_ids
    # dinucleotide shuffles keep composition
    pos = dict(zip(splits.train.ids, splits.train.sequences, strict=True))
    for seq_id, seq in zip(splits.train.ids, splits.train.sequences, strict=True):
        if "_shuf" in seq_id:
            orig = pos[seq_id.split("_shuf")[0]]
            assert Counter(itertools.pairwise(seq)) == Counter(itertools.pairwise(orig))
    assert build_splits(_config(motif_tables)).train.sequences == splits.train.sequences


def test_build_splits_by_chromosome(motif_tables: Path) -> None:
    config = base_config()
    config["data"]["valid"] = {"chromosomes": ["chr2"]}
    splits = build_splits(parse_config(config, base_dir=motif_tables))
    assert splits.valid is not None
    assert splits.valid.chroms is not None
    assert set(splits.valid.chroms) == {"chr2"}
    assert splits.train.chroms is not None
    assert "chr2" not in set(splits.train.chroms)


def test_split_by_chromosome_without_chromosomes_fails(motif_tables: Path) -> None:
    config = base_config()
    del config["data"]["train"]["chrom"]
    config["data"]["valid"] = {"chromosomes": ["chr2"]}
    with pytest.raises(InputError, match="split by chromosome needs the chromosome"):
        build_splits(parse_config(config, base_dir=motif_tables))


def test_unexpected_label_in_test_table(tmp_path: Path, motif_tables: Path) -> None:
    write_table_file(tmp_path / "bad.tsv", ["ACGT" * 15] * 3, np.array([1, 0, 2]))
    config = base_config()
    config["data"]["test"] = {
        "table": str(tmp_path / "bad.tsv"),
        "sequence": "seq",
        "label": "Bound",
    }
    with pytest.raises(InputError) as info:
        build_splits(parse_config(config, base_dir=motif_tables))
    assert str(info.value).startswith(f"{tmp_path / 'bad.tsv'}:4: unexpected label '2'")


def test_positive_defaults_to_first_label_of_a_fasta_mapping(tmp_path: Path) -> None:
    from biodl.testing import write_fasta_file

    a = write_fasta_file(tmp_path / "enh.fa", ["ACGT" * 10] * 4)
    b = write_fasta_file(tmp_path / "bg.fa", ["TTGA" * 10] * 4)
    config = base_config()
    config["data"] = {"train": {"fasta": {"enhancer": str(a), "background": str(b)}}}
    splits = build_splits(parse_config(config, base_dir=tmp_path))
    assert (splits.positive, splits.negative) == ("enhancer", "background")


def test_segment_substitution_negatives() -> None:
    from biodl.data import substitute_segments

    seq = "ACGT" * 75  # 300 bp, as DeePromoter's promoters
    out = substitute_segments([seq, seq], n_segments=20, n_replaced=12, n_per_sequence=2, seed=0)
    assert len(out) == 4
    for neg in out:
        assert len(neg) == 300
        kept = sum(neg[i * 15 : (i + 1) * 15] == seq[i * 15 : (i + 1) * 15] for i in range(20))
        assert kept >= 8  # 8 segments kept; a replaced one can match by chance only
        assert set(neg) <= set("ACGT")
    assert substitute_segments([seq], seed=3) == substitute_segments([seq], seed=3)
    with pytest.raises(InputError, match="replaced <= segments"):
        substitute_segments([seq], n_segments=4, n_replaced=5)
