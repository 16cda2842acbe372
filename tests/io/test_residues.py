"""ScanNet-style per-residue label files, and the 'residues:' source built on them."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from biodl.config import parse_config
from biodl.data import build_splits
from biodl.errors import ConfigError, InputError
from biodl.io import read_residue_labels

TEXT = ">1abc_A\nA 1 M 0\nA 2 K 1\nA 3 L 0\n>2xyz_B\nB -3 G 1\nB -2 W NA\n"


def test_records_keep_sequence_labels_and_header_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(TEXT)
    first, second = read_residue_labels(path)
    assert (first.id, first.sequence, first.labels.tolist(), first.line) == (
        "1abc_A",
        "MKL",
        [0.0, 1.0, 0.0],
        1,
    )
    assert second.sequence == "GW"
    assert np.isnan(second.labels[1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A 1 M 0\n", r"x\.txt:1: a residue line before the first '>' header"),
        (">c\nA 1 M\n", r"x\.txt:2: expected 4 fields"),
        (">c\nA 1 M yes\n", r"x\.txt:2: label 'yes' is not a number"),
        (">c\nA 1 MK 0\n", r"x\.txt:2: amino acid 'MK' is not one letter"),
        (">c\n>d\nA 1 M 0\n", r"x\.txt:1: chain 'c' has no residues"),
        ("", r"x\.txt: empty file"),
    ],
)
def test_bad_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_residue_labels(path)


def _config(tmp_path: Path) -> dict[str, object]:
    (tmp_path / "f0.txt").write_text(TEXT)
    (tmp_path / "f1.txt").write_text(">3abc_C\nC 1 A 1\nC 2 C 0\nC 3 D 0\nC 4 E 1\n")
    return {
        "task": "multilabel",
        "per_position": True,
        "data": {
            "train": {"residues": {"0": "f0.txt", "1": "f1.txt"}},
            "alphabet": "protein",
            "length": 4,
            "pad_short": True,
        },
        "model": {"name": "dilated_resnet", "head": "profile"},
    }


def test_a_residue_source_gives_per_position_targets_and_folds(tmp_path: Path) -> None:
    splits = build_splits(parse_config(_config(tmp_path), base_dir=tmp_path))
    assert splits.classes == ("site",)
    assert splits.train.folds == ["0", "0", "1"]
    y = splits.targets(splits.train)
    assert y.shape == (3, 1, 4)
    # MKL padded to 4 (one X on the right): the padding is missing
    assert splits.train.sequences[0] == "MKLX"
    assert y[0, 0, :3].tolist() == [0.0, 1.0, 0.0]
    assert np.isnan(y[0, 0, 3])


def test_residue_sources_need_per_position_numeric_tasks(tmp_path: Path) -> None:
    config = _config(tmp_path)
    config["per_position"] = False
    with pytest.raises(ConfigError, match="need per_position: true"):
        parse_config(config, base_dir=tmp_path)
