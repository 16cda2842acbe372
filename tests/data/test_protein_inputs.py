"""Protein inputs: DeepLoc-style header labels, label maps, end cropping, BLOSUM62."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from biodl.config import parse_config
from biodl.data import build_splits, fit_sequence
from biodl.encode import BLOSUM62, blosum62_encode, one_hot
from biodl.errors import ConfigError, InputError

PROTEINS = {
    "P1 Nucleus-S": "MKV" + "A" * 30 + "LLR",
    "P2 Cell.membrane-M": "MSS" + "G" * 30 + "WWY",
    "P3 Cytoplasm-Nucleus-U": "MPP" + "K" * 30 + "EED",
    "P4 Nucleus-U": "MAA" + "C" * 30 + "HHH",
}


def _config(folder: Path, **source: Any) -> dict[str, Any]:
    (folder / "p.fa").write_text("".join(f">{h}\n{s}\n" for h, s in PROTEINS.items()))
    return {
        "task": "multiclass",
        "data": {
            "train": {"fasta": "p.fa", "header_label": "deeploc", **source},
            "alphabet": "protein",
            "length": 10,
            "crop": "ends",
        },
        "model": {"name": "deepbind"},
    }


def test_deeploc_headers_give_location_labels_and_membrane_groups(tmp_path: Path) -> None:
    splits = build_splits(parse_config(_config(tmp_path), base_dir=tmp_path))
    ex = splits.train
    assert ex.labels == ["Nucleus", "Cell.membrane", "Cytoplasm-Nucleus", "Nucleus"]
    assert ex.groups == ["S", "M", "U", "U"]
    assert ex.sequences[0] == "MKVAA" + "AALLR"  # first 5 and last 5 residues


def test_a_label_map_merges_classes(tmp_path: Path) -> None:
    config = _config(tmp_path, label_map={"Cytoplasm-Nucleus": "Cytoplasm"})
    splits = build_splits(parse_config(config, base_dir=tmp_path))
    assert splits.classes == ("Cell.membrane", "Cytoplasm", "Nucleus")


def test_a_header_without_a_deeploc_label_names_its_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (tmp_path / "p.fa").write_text(">P1 Nucleus-S\nMKV\n>P2 nolabel\nMSS\n")
    with pytest.raises(InputError, match=r"p\.fa:3: record 'P2': expected DeepLoc's"):
        build_splits(parse_config(config, base_dir=tmp_path))


def test_crop_ends_keeps_the_first_and_last_halves() -> None:
    assert fit_sequence("ABCDEFGHIJ", 4, crop="ends") == "ABIJ"
    assert fit_sequence("ABCDEFGHIJ", 5, crop="ends") == "ABHIJ"
    assert fit_sequence("ABCDEFGHIJ", 4) == "DEFG"
    assert fit_sequence("AB", 4, pad="X", crop="ends") == "XABX"  # padding is centred


def test_blosum62_is_the_ncbi_matrix() -> None:
    assert (BLOSUM62 == BLOSUM62.T).all()
    assert BLOSUM62.diagonal().tolist() == [
        4,
        5,
        6,
        6,
        9,
        5,
        5,
        6,
        8,
        4,
        4,
        5,
        5,
        6,
        7,
        4,
        5,
        11,
        7,
        4,
    ]
    if importlib.util.find_spec("Bio") is not None:
        from Bio.Align import substitution_matrices

        ref = substitution_matrices.load("BLOSUM62")
        order = "ARNDCQEGHILKMFPSTWYV"
        for i, a in enumerate(order):
            for j, b in enumerate(order):
                assert BLOSUM62[i, j] == ref[a][b]


def test_blosum62_columns_follow_the_one_hot_channel_order() -> None:
    x = blosum62_encode(["WC"])
    hot = one_hot(["WC"], alphabet="protein")
    # the score of W against itself sits in W's one-hot channel
    assert x[0, :, 0][hot[0, :, 0].argmax()] == 11
    assert x[0, :, 1][hot[0, :, 1].argmax()] == 9
    ambiguous = blosum62_encode(["BX"])
    both = blosum62_encode(["ND"])
    assert np.allclose(ambiguous[0, :, 0], both[0].mean(axis=1))
    assert not ambiguous[0, :, 1].any()  # X and padding are zero columns
    with pytest.raises(InputError, match="illegal character"):
        blosum62_encode(["AC1"])


def test_blosum62_needs_a_protein_alphabet(tmp_path: Path) -> None:
    config = _config(tmp_path)
    config["data"]["alphabet"] = "dna"
    config["data"]["encoding"] = "blosum62"
    with pytest.raises(ConfigError, match=r"blosum62 does not fit data\.alphabet: dna"):
        parse_config(config, base_dir=tmp_path)
