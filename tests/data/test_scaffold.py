"""Scaffold, random and stratified splits of molecules (biodl.data.scaffold)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("rdkit")

from biodl.data.scaffold import (
    murcko_scaffold,
    random_split,
    read_split_file,
    scaffold_folds,
    scaffold_groups,
    scaffold_split,
    stratified_split,
    write_split_file,
)
from biodl.errors import InputError

IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
#: a few series: five substituents on each of nine ring systems, plus acyclic molecules
RINGS = (
    "c1ccccc1",
    "C1CCCCC1",
    "c1ccncc1",
    "c1ccsc1",
    "c1ccc2ccccc2c1",
    "C1CCNCC1",
    "c1ccoc1",
    "C1CCCC1",
    "c1ccc(cc1)-c1ccccc1",
)
CHAINS = ("C", "CC", "CCC", "CCO", "CCN")
SERIES = [ring + chain for ring in RINGS for chain in CHAINS]
POOL = [*SERIES, "CCO", "CCCN", "CC(=O)O", "OCC(O)CO"]


@pytest.mark.parametrize(
    ("smiles", "scaffold"),
    [
        ("c1ccccc1", "c1ccccc1"),
        ("CCO", ""),
        (IBUPROFEN, "c1ccccc1"),
        ("CC(=O)Oc1ccccc1C(=O)O", "c1ccccc1"),  # aspirin
        ("CN1CCC[C@H]1c1cccnc1", "c1cncc(C2CCCN2)c1"),  # nicotine
        ("O=C(O)c1ccccc1C1CC1", "c1ccc(C2CC2)cc1"),
        ("[Cl].CC(C)NCC(O)COc1cccc2ccccc12", "c1ccc2ccccc2c1"),  # BBBP's first row
    ],
)
def test_murcko_scaffold(smiles: str, scaffold: str) -> None:
    assert murcko_scaffold(smiles) == scaffold


def test_murcko_scaffold_chirality() -> None:
    smi = "C[C@@H]1CC[C@H]2CCCC[C@@H]2C1"  # trans-decalin with a methyl
    assert murcko_scaffold(smi) == "C1CCC2CCCCC2C1"
    assert murcko_scaffold(smi, include_chirality=True) == "C1CC[C@H]2CCCC[C@@H]2C1"


@pytest.mark.parametrize("bad", ["C1CC", "not a smiles", "", "  "])
def test_invalid_smiles_is_an_input_error(bad: str) -> None:
    with pytest.raises(InputError) as err:
        murcko_scaffold(bad)
    assert repr(bad.strip() or bad) in str(err.value)
    with pytest.raises(InputError):
        scaffold_split(["CCO", bad])


def test_scaffold_groups_in_order_of_first_appearance() -> None:
    groups = scaffold_groups(["c1ccccc1O", "CCO", "C1CCCCC1", "c1ccccc1N", "CCN"])
    assert groups == {"c1ccccc1": [0, 3], "": [1, 4], "C1CCCCC1": [2]}


# rows:      0 A          1 B          2 A           3 A          4 C
HAND = ["c1ccccc1C", "C1CCCCC1N", "c1ccccc1CC", "c1ccccc1O", "c1ccncc1C",
        # 5 B       6 C            7 D               8 E    9 E
        "C1CCCCC1O", "c1ccncc1CC", "c1ccc2ccccc2c1", "CCO", "CCCN"]  # fmt: skip


def test_deterministic_scaffold_split_follows_deepchem() -> None:
    # groups: A [0,2,3] (3), then the pairs by first index descending (DeepChem sorts
    # (len, first index) in reverse): E [8,9], C [4,6], B [1,5]; then D [7].
    # cut-offs 0.5 * 10 = 5 and 0.7 * 10 = 7: A, E -> train (5); C -> valid (7);
    # B (5 + 2 + 2 > 7) and D (5 + 2 + 1 > 7) -> test
    split = scaffold_split(HAND, fractions=(0.5, 0.2, 0.3))
    assert np.flatnonzero(split == "train").tolist() == [0, 2, 3, 8, 9]
    assert np.flatnonzero(split == "valid").tolist() == [4, 6]
    assert np.flatnonzero(split == "test").tolist() == [1, 5, 7]
    assert split.shape == (10,)
    # deterministic: same input, same split
    assert (scaffold_split(HAND, fractions=(0.5, 0.2, 0.3)) == split).all()


def _deepchem_reference(smiles: list[str], fractions: tuple[float, float, float]) -> np.ndarray:
    """DeepChem 2.8 ScaffoldSplitter.split + generate_scaffolds, transcribed."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles

    scaffolds: dict[str, list[int]] = {}
    for ind, smi in enumerate(smiles):
        scaffold = MurckoScaffoldSmiles(mol=Chem.MolFromSmiles(smi), includeChirality=False)
        scaffolds.setdefault(scaffold, []).append(ind)
    sets = [
        s for (_, s) in sorted(scaffolds.items(), key=lambda x: (len(x[1]), x[1][0]), reverse=True)
    ]
    train_cutoff = fractions[0] * len(smiles)
    valid_cutoff = (fractions[0] + fractions[1]) * len(smiles)
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for s in sets:
        if len(train) + len(s) > train_cutoff:
            if len(train) + len(valid) + len(s) > valid_cutoff:
                test += s
            else:
                valid += s
        else:
            train += s
    out = np.empty(len(smiles), dtype="<U5")
    out[train], out[valid], out[test] = "train", "valid", "test"
    return out


@given(st.lists(st.sampled_from(POOL), min_size=3, max_size=80), st.integers(0, 5))
@settings(max_examples=40, deadline=None)
def test_no_scaffold_spans_two_splits(smiles: list[str], seed: int) -> None:
    groups = scaffold_groups(smiles)
    for split in (
        scaffold_split(smiles),
        scaffold_split(smiles, seed=seed, balanced=True),
    ):
        assert set(split.tolist()) <= {"train", "valid", "test"}
        for rows in groups.values():
            assert len(set(split[rows].tolist())) == 1
    assert (
        scaffold_split(smiles, fractions=(0.7, 0.2, 0.1))
        == _deepchem_reference(smiles, (0.7, 0.2, 0.1))
    ).all()
    folds = scaffold_folds(smiles, n_folds=2, seed=seed) if len(groups) >= 2 else None
    if folds is not None:
        for rows in groups.values():
            assert len(set(folds[rows].tolist())) == 1


def test_scaffold_split_fractions_roughly_respected() -> None:
    smiles = SERIES * 2 + ["C" * k + "O" for k in range(1, 11)]  # 100 molecules
    split = scaffold_split(smiles)
    counts = {k: int((split == k).sum()) for k in ("train", "valid", "test")}
    assert sum(counts.values()) == 100
    assert counts["train"] <= 80
    assert counts["train"] >= 70
    assert counts["valid"] >= 5
    assert counts["test"] >= 5


def test_balanced_scaffold_split_depends_on_seed() -> None:
    smiles = [f"{ring}{'C' * k}" for ring in RINGS for k in range(1, 4)]
    smiles += [f"c1ccc(cc1){'C' * k}c1ccncc1" for k in range(1, 12)]  # 11 distinct scaffolds
    splits = [scaffold_split(smiles, seed=s, balanced=True) for s in range(5)]
    assert len({tuple(s.tolist()) for s in splits}) > 1
    assert (scaffold_split(smiles, seed=3, balanced=True) == splits[3]).all()
    # seed None means seed 0 there
    assert (scaffold_split(smiles, balanced=True) == splits[0]).all()
    n = len(smiles)
    for split in splits:
        assert (split == "train").sum() <= 0.8 * n
        assert (split == "valid").sum() <= 0.1 * n + 1e-9


def test_balanced_puts_big_groups_first() -> None:
    # a group larger than half the test size must land in train (first in the order)
    big = [f"c1ccccc1{'C' * k}" for k in range(1, 9)]  # 8 molecules, one scaffold
    rest = [f"c1ccc(cc1){'C' * k}c1ccncc1" for k in range(1, 17)]  # 32 singletons
    rest += [f"C1CCC(CC1){'C' * k}c1ccncc1" for k in range(1, 17)]
    smiles = big + rest  # 40: valid/test size 4, half 2
    for seed in range(5):
        split = scaffold_split(smiles, seed=seed, balanced=True)
        assert set(split[:8].tolist()) == {"train"}


def test_seed_without_balanced_is_refused() -> None:
    with pytest.raises(ValueError, match="balanced=True"):
        scaffold_split(HAND, seed=1)


@pytest.mark.parametrize("fractions", [(0.8, 0.1), (0.5, 0.5, 0.5), (1.2, -0.1, -0.1)])
def test_bad_fractions(fractions: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="fractions"):
        random_split(10, fractions=fractions)  # type: ignore[arg-type]


def test_random_split_sizes_and_seeds() -> None:
    split = random_split(1000, seed=0)
    assert [(split == k).sum() for k in ("train", "valid", "test")] == [800, 100, 100]
    assert (random_split(1000, seed=0) == split).all()
    assert (random_split(1000, seed=1) != split).any()
    assert random_split(0).shape == (0,)


def test_stratified_split_keeps_class_shares() -> None:
    y = np.array([0] * 900 + [1] * 100)
    split = stratified_split(y, seed=0)
    for cls, n in ((0, 900), (1, 100)):
        rows = y == cls
        assert (split[rows] == "test").sum() == round(0.1 * n)
        assert (split[rows] == "valid").sum() == round(0.1 * n)
    assert (stratified_split(y, seed=1) != split).any()
    letters = stratified_split(np.array(["a"] * 10 + ["b"] * 10), fractions=(0.6, 0.2, 0.2))
    assert (letters[:10] == "test").sum() == 2
    assert (letters[10:] == "test").sum() == 2


def test_stratified_split_multitask_uses_first_task_with_nan_stratum() -> None:
    first = np.array([1.0] * 20 + [0.0] * 60 + [np.nan] * 20)
    y = np.stack([first, np.zeros(100)], axis=1)
    split = stratified_split(y, seed=0)
    for rows in (slice(0, 20), slice(20, 80), slice(80, 100)):
        part = split[rows]
        assert (part == "test").sum() == round(0.1 * len(part))
        assert (part == "train").sum() == len(part) - 2 * round(0.1 * len(part))


def test_scaffold_folds_balanced_and_seeded() -> None:
    smiles = [
        f"{ring}{'C' * k}" for ring in RINGS for k in range(1, 1 + (RINGS.index(ring) % 3) + 1)
    ]
    folds = scaffold_folds(smiles, n_folds=3, seed=0)
    sizes = np.bincount(folds, minlength=3)
    assert sizes.sum() == len(smiles)
    assert sizes.max() - sizes.min() <= 3  # at most the largest group
    assert {tuple(scaffold_folds(smiles, n_folds=3, seed=s).tolist()) for s in range(6)} != {
        tuple(folds.tolist())
    }
    with pytest.raises(InputError, match="folds"):
        scaffold_folds(["c1ccccc1C", "c1ccccc1CC"], n_folds=2)


def test_split_file_round_trip(tmp_path: Path) -> None:
    ids = ["mol1", "CCO", "c1ccccc1"]
    split = np.array(["train", "valid", "test"])
    path = write_split_file(tmp_path / "split.tsv", ids, split)
    with path.open() as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    assert rows == [["id", "split"], *([i, s] for i, s in zip(ids, split, strict=True))]
    back_ids, back = read_split_file(path)
    assert back_ids == ids
    assert back.tolist() == split.tolist()
    assert not [p for p in tmp_path.iterdir() if p.name != "split.tsv"]  # no temporary left
    with pytest.raises(InputError, match="tab"):
        write_split_file(tmp_path / "bad.tsv", ["a\tb"], np.array(["train"]))
    (tmp_path / "odd.tsv").write_text("id\tsplit\nm1\ttraining\n")
    with pytest.raises(InputError, match=r"odd.tsv:2"):
        read_split_file(tmp_path / "odd.tsv")


# ------------------------------------------------------------------ real data (slow)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "moleculenet" / "chemprop_format"


def _read_smiles(name: str) -> list[str]:
    with (DATA / name).open() as fh:
        reader = csv.reader(fh)
        next(reader)
        return [row[0] for row in reader]


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found at {DATA}")
@pytest.mark.parametrize(
    ("name", "n", "n_scaffolds", "sizes"),
    [
        ("bbbp.csv", 2039, 1025, (1631, 204, 204)),
        ("bace.csv", 1513, 671, (1210, 151, 152)),
    ],
)
def test_real_scaffold_split(
    name: str, n: int, n_scaffolds: int, sizes: tuple[int, int, int]
) -> None:
    smiles = _read_smiles(name)
    assert len(smiles) == n
    assert len(scaffold_groups(smiles)) == n_scaffolds
    split = scaffold_split(smiles)
    assert tuple(int((split == k).sum()) for k in ("train", "valid", "test")) == sizes
    assert (split == _deepchem_reference(smiles, (0.8, 0.1, 0.1))).all()
