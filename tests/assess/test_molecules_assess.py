"""Leakage and applicability checks of molecule sets (biodl.assess.molecules)."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")

from biodl.assess.molecules import (
    molecule_applicability,
    molecule_leakage,
    tanimoto_nearest,
)
from biodl.data.scaffold import random_split, scaffold_split
from biodl.errors import InputError

#: six chemical series (ring system with two substituent positions), 28 analogues each
CORES = (
    "{X}c1ccc({Y})cc1",
    "{X}C1CCC({Y})CC1",
    "{X}c1ccc({Y})nc1",
    "{X}c1ccc({Y})s1",
    "{X}C1CCN(C{Y})CC1",
    "{X}c1ccc2cc({Y})ccc2c1",
)
SUBS = ("C", "CC", "O", "N", "F", "Cl", "OC", "C(=O)O")
SERIES = [c.format(X=x, Y=y) for c in CORES for x, y in itertools.combinations(SUBS, 2)]
UNRELATED = [
    "OCC(O)C(O)C(O)C(O)CO",
    "CCCCCCCCCCCCCCCC(=O)O",
    "FC(F)(F)C(F)(F)C(F)(F)F",
    "O=P(O)(O)OP(=O)(O)O",
    "CC(C)(C)OC(=O)NCC(=O)O",
    "C1CC2CCC1C2",
    "N#Cc1nnn[nH]1",
]


def _by_split(smiles: list[str], split: np.ndarray) -> dict[str, list[str]]:
    return {
        k: [s for s, x in zip(smiles, split, strict=True) if x == k]
        for k in ("train", "valid", "test")
    }


def _direct(q: np.ndarray, r: np.ndarray, exclude_self: bool = False) -> np.ndarray:
    out = np.full(len(q), np.nan)
    for i, a in enumerate(q):
        best = -1.0
        for j, b in enumerate(r):
            if exclude_self and i == j:
                continue
            inter = int(np.sum(a & b))
            union = int(np.sum(a | b))
            best = max(best, inter / union if union else 0.0)
        if best >= 0:
            out[i] = best
    return out


# ------------------------------------------------------------------ tanimoto_nearest


def test_tanimoto_hand_made() -> None:
    q = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]], dtype=np.uint8)
    r = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0], [0, 0, 0, 0, 0]], dtype=np.uint8)
    # 2/3 and 3/4 -> 0.75; {4} shares nothing; the empty query has 0 with everything
    assert tanimoto_nearest(q, r).tolist() == [0.75, 0.0, 0.0]
    assert tanimoto_nearest(q.astype(bool), r.astype(np.float32)).tolist() == [0.75, 0.0, 0.0]


@pytest.mark.parametrize("block", [1, 3, 7, 2048])
@pytest.mark.parametrize("exclude_self", [False, True])
def test_tanimoto_matches_direct_loop(block: int, exclude_self: bool) -> None:
    rng = np.random.default_rng(block)
    q = (rng.random((23, 40)) < 0.2).astype(np.uint8)
    r = q.copy() if exclude_self else (rng.random((17, 40)) < 0.3).astype(np.uint8)
    q[5] = 0  # an empty fingerprint
    if exclude_self:
        r = q.copy()
        q[7] = q[3]  # a duplicate finds its copy
        r[7] = r[3]
    got = tanimoto_nearest(q, r, block=block, exclude_self=exclude_self)
    np.testing.assert_array_equal(got, _direct(q, r, exclude_self))
    if exclude_self:
        assert got[7] == 1.0
        assert got[3] == 1.0


def test_tanimoto_edge_cases() -> None:
    one = np.array([[1, 0, 1]])
    assert np.isnan(tanimoto_nearest(one, one, exclude_self=True)).all()
    assert np.isnan(tanimoto_nearest(one, np.zeros((0, 3)))).all()
    assert tanimoto_nearest(np.zeros((0, 3)), one).shape == (0,)
    with pytest.raises(ValueError, match="0/1"):
        tanimoto_nearest(np.array([[2, 0, 1]]), one)
    with pytest.raises(ValueError, match="lengths"):
        tanimoto_nearest(one, np.array([[1, 0]]))
    with pytest.raises(ValueError, match="same set"):
        tanimoto_nearest(one, np.vstack([one, one]), exclude_self=True)


# ------------------------------------------------------------------ leakage


def test_leakage_random_split_of_analogues_is_flagged() -> None:
    item = molecule_leakage(_by_split(SERIES, random_split(len(SERIES), seed=0)))
    assert item.key == "leakage"
    assert item.flag in ("amber", "red")
    assert item.values["shared_scaffold"]["flag"] == "amber"
    pair = item.values["pairs"]["test_vs_train"]
    assert pair["fraction_sharing_scaffold"] > 0.5
    assert item.values["shared_scaffold"]["examples"]
    assert "50%" in item.rule
    assert "0.8" in item.rule
    json.dumps(item.to_json())  # serialisable


def test_leakage_scaffold_split_is_green() -> None:
    split = scaffold_split(SERIES, fractions=(4 / 6, 1 / 6, 1 / 6))
    item = molecule_leakage(_by_split(SERIES, split))
    assert item.flag == "green"
    for key in ("test_vs_train", "valid_vs_train", "test_vs_valid"):
        assert item.values["pairs"][key]["shared_scaffolds"] == 0
        assert item.values["pairs"][key]["identical"] == 0
    hist = item.values["nearest_neighbour"]["pairs"]["test_vs_train"]["histogram"]
    assert len(hist["edges"]) == 11
    assert sum(hist["counts"]) == (split == "test").sum()
    assert "0% share a training scaffold" in item.summary


def test_leakage_identical_molecule_is_red_even_written_differently() -> None:
    item = molecule_leakage({"train": ["OCC", "c1ccccc1N"], "test": ["CCO", "C1CCCCC1"]})
    assert item.flag == "red"
    ident = item.values["identical"]
    assert ident["count"] == 1
    assert ident["flag"] == "red"
    assert ident["examples"][0]["smiles"] == "CCO"
    assert ident["examples"][0]["other_smiles"] == "OCC"
    # identical between test and valid also counts
    item = molecule_leakage({"train": ["c1ccccc1N"], "valid": ["CCO"], "test": ["OCC"]})
    assert item.flag == "red"
    assert item.values["pairs"]["test_vs_valid"]["identical"] == 1


def test_leakage_near_neighbours_alone_give_amber() -> None:
    train = ["CCCCCCCCCCCCCCCCCC(=O)O", "c1ccccc1"]
    test = ["CCCCCCCCCCCCCCCCCCC(=O)O", "CCCCCCCCCCCCCCCCCCCC(=O)O"]  # acyclic: no scaffold
    item = molecule_leakage({"train": train, "test": test})
    assert item.values["shared_scaffold"]["flag"] == "green"
    assert item.values["pairs"]["test_vs_train"]["acyclic"] == 2
    assert item.values["nearest_neighbour"]["flag"] == "amber"
    assert item.flag == "amber"


def test_leakage_not_assessed_and_errors() -> None:
    assert molecule_leakage({"train": ["CCO"]}).flag == "not_assessed"
    assert molecule_leakage({"train": [], "test": ["CCO"]}).flag == "not_assessed"
    with pytest.raises(InputError, match="C1CC"):
        molecule_leakage({"train": ["CCO"], "test": ["C1CC"]})


# ------------------------------------------------------------------ applicability


def test_applicability_same_series_is_green_unrelated_is_red() -> None:
    train, new = SERIES[::2], SERIES[1::2]
    item = molecule_applicability(train, new)
    assert item.key == "applicability"
    assert item.flag == "green"
    assert item.values["fraction_in_domain"] >= 0.8
    assert item.values["n_at_or_above_fixed_threshold"] == len(new)
    item = molecule_applicability(train, UNRELATED, ids=[f"u{i}" for i in range(7)])
    assert item.flag == "red"
    assert item.values["n_in_domain"] == 0
    assert [r["id"] for r in item.values["rows"]] == [f"u{i}" for i in range(7)]
    json.dumps(item.to_json())


def test_applicability_flag_follows_fraction() -> None:
    train = SERIES[::2]
    new = SERIES[1:40:2] + UNRELATED[:3]  # ~20 analogues, 3 unrelated
    item = molecule_applicability(train, new)
    frac = item.values["fraction_in_domain"]
    assert frac == item.values["n_in_domain"] / len(new)
    assert item.flag == ("red" if frac < 0.5 else "amber" if frac < 0.8 else "green")
    mixed = molecule_applicability(train, SERIES[1:13:2] + UNRELATED[:6])
    assert mixed.flag == "red"  # at most half inside
    amber = molecule_applicability(train, SERIES[1::2], amber=0.99)
    assert amber.flag == "amber"  # some analogues fall below the 5 % quantile


def test_applicability_rows_capped_and_reference() -> None:
    train = SERIES[::2]
    item = molecule_applicability(train, SERIES, max_rows=10)
    assert len(item.values["rows"]) == 10
    assert item.values["rows_omitted"] == len(SERIES) - 10
    row = item.values["rows"][0]
    assert set(row) == {
        "id",
        "smiles",
        "similarity",
        "nearest_train",
        "inside",
        "above_fixed_threshold",
    }
    assert item.values["n_in_training"] == len(train)
    ref = item.values["reference"]
    assert ref["n_train"] == len(train)
    assert ref["leave_one_out"]["q5"] == pytest.approx(item.values["similarity_threshold"])


def test_applicability_not_assessed() -> None:
    assert molecule_applicability(["CCO"], ["CCN"]).flag == "not_assessed"
    assert molecule_applicability(["CCO", "CCN"], []).flag == "not_assessed"


# ------------------------------------------------------------------ real data (slow)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "moleculenet" / "chemprop_format"


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found at {DATA}")
@pytest.mark.parametrize("name", ["bbbp.csv", "bace.csv"])
def test_real_random_vs_scaffold_leakage(name: str) -> None:
    with (DATA / name).open() as fh:
        reader = csv.reader(fh)
        next(reader)
        smiles = [row[0] for row in reader]
    rand = molecule_leakage(_by_split(smiles, random_split(len(smiles), seed=0)))
    scaf = molecule_leakage(_by_split(smiles, scaffold_split(smiles)))
    r, s = rand.values["pairs"]["test_vs_train"], scaf.values["pairs"]["test_vs_train"]
    assert rand.flag in ("amber", "red")
    assert r["fraction_sharing_scaffold"] > 0.5
    assert s["fraction_sharing_scaffold"] == 0.0
    assert scaf.values["identical"]["count"] == 0
    assert s["median_nearest_similarity"] < r["median_nearest_similarity"] - 0.1
