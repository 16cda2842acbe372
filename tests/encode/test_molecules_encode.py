"""Molecule featurisers: packed graphs (exact values and invariants), fingerprints, descriptors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")

from rdkit import Chem
from rdkit.Chem import Descriptors, rdFingerprintGenerator

from biodl.encode.molecules import (
    ATOM_FEATURES,
    BOND_FEATURES,
    MAX_NEIGHBOURS,
    descriptor_names,
    graph_channels,
    max_degrees,
    molecule_graphs,
    morgan_fingerprints,
    n_atoms,
    rdkit_descriptors,
    unpack_graphs,
)
from biodl.errors import InputError

MOLECULENET = Path(__file__).resolve().parents[3] / "shared" / "data" / "moleculenet"

A, B, K = len(ATOM_FEATURES), len(BOND_FEATURES), MAX_NEIGHBOURS
NBR, REV, BOND = 1 + A, 1 + A + K, 1 + A + 2 * K

GROUPS = ("element=", "degree=", "charge=", "hybridisation=", "total_h=", "chirality=")


def _atom(*names: str) -> np.ndarray:
    v = np.zeros(A, dtype=np.float32)
    for n in names:
        v[ATOM_FEATURES.index(n)] = 1.0
    return v


def _bond(*names: str) -> np.ndarray:
    v = np.zeros(B, dtype=np.float32)
    for n in names:
        v[BOND_FEATURES.index(n)] = 1.0
    return v


def test_layout_constants() -> None:
    assert (A, B, K) == (45, 12, 6)
    assert graph_channels() == 1 + 45 + 12 + 72 == 130
    assert graph_channels(10) == 1 + 45 + 20 + 120
    assert len(set(ATOM_FEATURES)) == A
    assert len(set(BOND_FEATURES)) == B
    for group in GROUPS:
        assert any(n.startswith(group) for n in ATOM_FEATURES)


def test_ethanol_exact() -> None:
    x = molecule_graphs(["CCO"], length=4)
    assert x.shape == (1, 130, 4)
    assert x.dtype == np.float32
    expected = np.zeros((130, 4), dtype=np.float32)
    expected[0] = [1, 1, 1, 0]
    sp3 = ("charge=0", "hybridisation=SP3", "chirality=none")
    expected[1 : 1 + A, 0] = _atom("element=C", "degree=1", "total_h=3", *sp3)
    expected[1 : 1 + A, 1] = _atom("element=C", "degree=2", "total_h=2", *sp3)
    expected[1 : 1 + A, 2] = _atom("element=O", "degree=1", "total_h=1", *sp3)
    expected[NBR:BOND] = -1.0
    # atom 0: slot 0 -> atom 1; atom 1: slot 0 -> atom 0, slot 1 -> atom 2; atom 2: slot 0 -> 1
    expected[NBR + 0, :3] = [1, 0, 1]
    expected[NBR + 1, 1] = 2
    # reverse: 0->1 is slot 0 of atom 1; 1->0 is slot 0 of atom 0; 1->2 is slot 0 of atom 2;
    # 2->1 is slot 1 of atom 1
    expected[REV + 0, :3] = [0, 0, 1]
    expected[REV + 1, 1] = 0
    single = _bond("single", "stereo=none")
    expected[BOND : BOND + B, 0] = single
    expected[BOND : BOND + B, 1] = single
    expected[BOND + B : BOND + 2 * B, 1] = single
    expected[BOND : BOND + B, 2] = single
    np.testing.assert_array_equal(x[0], expected)


def test_phenol_by_hand() -> None:
    # RDKit order for c1ccccc1O: ring atoms 0..5 (0-1, 1-2, 2-3, 3-4, 4-5, 5-0), O is 6 (5-6)
    x = molecule_graphs(["c1ccccc1O"])
    mask, atoms, nbr, rev, bonds = unpack_graphs(x)
    assert mask.tolist() == [[True] * 7]
    assert nbr[0, :, :3].tolist() == [
        [1, 5, -1],
        [0, 2, -1],
        [1, 3, -1],
        [2, 4, -1],
        [3, 5, -1],
        [0, 4, 6],
        [5, -1, -1],
    ]
    assert rev[0, :, :3].tolist() == [
        [0, 0, -1],  # 1's slot 0 is 0; 5's slot 0 is 0
        [0, 0, -1],  # 0's slot 0 is 1; 2's slot 0 is 1
        [1, 0, -1],
        [1, 0, -1],
        [1, 1, -1],  # 3's slot 1 is 4; 5's slot 1 is 4
        [1, 1, 0],  # 0's slot 1 is 5; 4's slot 1 is 5; 6's slot 0 is 5
        [2, -1, -1],  # 5's slot 2 is 6
    ]
    assert (nbr[0, :, 3:] == -1).all()
    aromatic_bond = _bond("aromatic", "conjugated", "in_ring", "stereo=none")
    for i in range(6):
        for k in range(2):
            np.testing.assert_array_equal(bonds[0, i, k], aromatic_bond)
    np.testing.assert_array_equal(bonds[0, 5, 2], _bond("single", "conjugated", "stereo=none"))
    np.testing.assert_array_equal(bonds[0, 6, 0], _bond("single", "conjugated", "stereo=none"))
    np.testing.assert_array_equal(
        atoms[0, 5],
        _atom(
            "element=C",
            "degree=3",
            "charge=0",
            "hybridisation=SP2",
            "aromatic",
            "total_h=0",
            "in_ring",
            "chirality=none",
        ),
    )
    np.testing.assert_array_equal(
        atoms[0, 6],
        _atom("element=O", "degree=1", "charge=0", "hybridisation=SP2", "total_h=1")
        + _atom("chirality=none"),
    )


def test_features_of_charges_chirality_stereo_and_other_elements() -> None:
    mask, atoms, _, _, bonds = unpack_graphs(
        molecule_graphs(["C[C@H](N)O", "[NH4+].[O-]C(=O)C", "F/C=C/F", "[Zr]", "[2H]C"])
    )
    named = lambda m, i: {ATOM_FEATURES[c] for c in np.flatnonzero(atoms[m, i])}  # noqa: E731
    assert "chirality=CCW" in named(0, 1) or "chirality=CW" in named(0, 1)
    assert {"charge=+1", "total_h=4+", "degree=0"} <= named(1, 0)
    assert "charge=-1" in named(1, 1)
    trans = {BOND_FEATURES[c] for c in np.flatnonzero(bonds[2, 1, 1])}  # C1=C2
    assert trans == {"double", "stereo=E"}  # RDKit perceives F/C=C/F as E
    assert "element=other" in named(3, 0)
    assert "element=H" in named(4, 0)  # RDKit keeps an isotope hydrogen as an atom
    assert mask.sum(axis=1).tolist() == [4, 5, 4, 1, 2]


def check_invariants(x: np.ndarray, smiles: list[str], k: int = K) -> None:
    """What every packed graph must satisfy, whatever the molecule."""
    mask, atoms, nbr, rev, bonds = unpack_graphs(x, max_neighbours=k)
    sizes = n_atoms(smiles)
    L = x.shape[2]
    assert x.dtype == np.float32
    assert sizes.max() == L
    positions = np.arange(L)
    np.testing.assert_array_equal(mask, positions[None, :] < sizes[:, None])
    assert np.isin(x[:, : 1 + A], [0.0, 1.0]).all()
    assert np.isin(bonds, [0.0, 1.0]).all()
    # padding: zero features, no neighbours
    assert not atoms[~mask].any()
    assert (nbr[~mask] == -1).all()
    assert (rev[~mask] == -1).all()
    assert not bonds[~mask].any()
    # each one-hot group has exactly one channel set on each real atom
    for group in GROUPS:
        cols = [i for i, n in enumerate(ATOM_FEATURES) if n.startswith(group)]
        assert (atoms[mask][:, cols].sum(axis=1) == 1).all(), group
    filled = nbr >= 0
    assert ((rev >= 0) == filled).all()
    # filled slots come first, in increasing neighbour index
    assert (filled[..., :-1] >= filled[..., 1:]).all()
    assert ((np.diff(nbr, axis=-1) > 0) | ~filled[..., 1:]).all()
    # degree one-hot = number of filled slots (capped at 5+)
    degree = filled.sum(axis=-1)
    deg_col = ATOM_FEATURES.index("degree=0")
    got = atoms[..., deg_col : deg_col + 6].argmax(axis=-1)
    np.testing.assert_array_equal(got[mask], np.minimum(degree, 5)[mask])
    # the reverse slot points back, and both directions carry the same bond features
    n_idx, i_idx, k_idx = np.nonzero(filled)
    j = nbr[n_idx, i_idx, k_idx]
    r = rev[n_idx, i_idx, k_idx]
    assert mask[n_idx, j].all()
    np.testing.assert_array_equal(nbr[n_idx, j, r], i_idx)
    np.testing.assert_array_equal(rev[n_idx, j, r], k_idx)
    np.testing.assert_array_equal(bonds[n_idx, j, r], bonds[n_idx, i_idx, k_idx])
    # a filled slot has exactly one stereo bit; an empty slot none at all
    stereo = [i for i, n in enumerate(BOND_FEATURES) if n.startswith("stereo=")]
    assert (bonds[filled][:, stereo].sum(axis=1) == 1).all()
    assert not bonds[~filled].any()
    # bonds counted twice = the molecule's bonds
    expected_bonds = [Chem.MolFromSmiles(s).GetNumBonds() for s in smiles]
    np.testing.assert_array_equal(filled.sum(axis=(1, 2)), 2 * np.array(expected_bonds))


def test_invariants_on_a_mixed_set() -> None:
    smiles = [
        "CCO",
        "c1ccccc1O",
        "C",
        "[Na+].[Cl-]",
        "FS(F)(F)(F)(F)F",
        "C[C@H](N)C(=O)O",
        "F/C=C/F",
        "c1ccc2c(c1)[nH]c1ccccc12",
        "CC(C)(C)c1ccc(cc1)S(=O)(=O)N",
    ]
    check_invariants(molecule_graphs(smiles), smiles)


def test_padding_length_and_errors() -> None:
    x = molecule_graphs(["C", "CC"], length=5)
    assert x.shape == (2, 130, 5)
    assert (x[0, NBR:BOND] == -1).all()  # one atom: no neighbours
    assert x[0, 0].tolist() == [1, 0, 0, 0, 0]
    with pytest.raises(
        InputError, match=r"record 'CCO': molecule 2 has 3 atoms, more than length 2"
    ):
        molecule_graphs(["C", "CCO"], length=2)
    with pytest.raises(
        InputError, match=r"atom 1 \(S\) has 6 bonded atoms, more than max_neighbours 5"
    ):
        molecule_graphs(["FS(F)(F)(F)(F)F"], max_neighbours=5)
    assert molecule_graphs(["FS(F)(F)(F)(F)F"], max_neighbours=5 + 1).shape[1] == 130
    with pytest.raises(InputError, match=r"record 'C1CC': molecule 2: invalid SMILES"):
        molecule_graphs(["C", "C1CC"])
    with pytest.raises(InputError, match="not one string"):
        molecule_graphs("CCO")
    with pytest.raises(InputError, match="packed graphs must be"):
        unpack_graphs(np.zeros((1, 10, 3), dtype=np.float32))
    assert molecule_graphs([]).shape == (0, 130, 0)


def test_larger_neighbour_count_layout() -> None:
    smiles = [
        "CC1=[O+][Zr]234([O+]=C(C)C1)([O+]=C(C)CC(C)=[O+]2)([O+]=C(C)CC(C)=[O+]3)[O+]=C(C)CC(C)=[O+]4"
    ]
    assert max_degrees(smiles).tolist() == [8]
    with pytest.raises(InputError, match="more than max_neighbours 6"):
        molecule_graphs(smiles)
    x = molecule_graphs(smiles, max_neighbours=8)
    assert x.shape[1] == graph_channels(8)
    check_invariants(x, smiles, k=8)


def test_morgan_matches_rdkit() -> None:
    smiles = ["CCO", "c1ccccc1O", "C[C@H](N)C(=O)O", "CC(=O)Oc1ccccc1C(=O)O"]
    for radius, n_bits in [(2, 2048), (3, 1024), (1, 64)]:
        fp = morgan_fingerprints(smiles, radius=radius, n_bits=n_bits)
        assert fp.shape == (4, n_bits)
        assert fp.dtype == np.float32
        gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
        for row, smi in zip(fp, smiles, strict=True):
            bits = gen.GetFingerprint(Chem.MolFromSmiles(smi))
            assert row.sum() == bits.GetNumOnBits()
            assert np.flatnonzero(row).tolist() == list(bits.GetOnBits())
    counts = morgan_fingerprints(smiles, counts=True)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    for row, smi in zip(counts, smiles, strict=True):
        expected = gen.GetCountFingerprint(Chem.MolFromSmiles(smi)).GetNonzeroElements()
        assert {int(i): int(row[i]) for i in np.flatnonzero(row)} == expected
    chiral = ["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O"]
    plain = morgan_fingerprints(chiral)
    assert (plain[0] == plain[1]).all()
    with_chirality = morgan_fingerprints(chiral, chirality=True)
    assert (with_chirality[0] != with_chirality[1]).any()
    with pytest.raises(InputError, match="n_bits must be"):
        morgan_fingerprints(smiles, n_bits=0)


def test_descriptors_shape_names_and_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    smiles = ["CCO", "c1ccccc1O"]
    values, names = rdkit_descriptors(smiles)
    assert names == descriptor_names() == tuple(n for n, _ in Descriptors._descList)
    assert values.shape == (2, len(names))
    assert values.dtype == np.float64
    mw = names.index("MolWt")
    assert values[:, mw] == pytest.approx([46.069, 94.113], abs=1e-3)
    some, some_names = rdkit_descriptors(smiles, names=["TPSA", "MolWt"])
    assert some_names == ("TPSA", "MolWt")
    np.testing.assert_array_equal(some[:, 1], values[:, mw])

    def fails(mol: Chem.Mol) -> float:
        raise ValueError("no")

    extra = [("Infinite", lambda mol: float("inf")), ("Fails", fails), ("Nan", lambda m: np.nan)]
    monkeypatch.setattr(Descriptors, "_descList", [*Descriptors._descList[:2], *extra])
    values, names = rdkit_descriptors(smiles)
    assert names[2:] == ("Infinite", "Fails", "Nan")
    assert np.isfinite(values[:, :2]).all()
    assert np.isnan(values[:, 2:]).all()
    with pytest.raises(InputError, match="unknown RDKit descriptor"):
        rdkit_descriptors(smiles, names=["NoSuchThing"])


def test_n_atoms_and_invalid() -> None:
    assert n_atoms(["CCO", "[Na+].[Cl-]"]).tolist() == [3, 2]
    with pytest.raises(InputError, match=r"record 'XYZ'"):
        n_atoms(["XYZ"])
    with pytest.raises(InputError, match=r"record 'C1CC'"):
        morgan_fingerprints(["C1CC"])


def test_missing_rdkit_is_an_install_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rdkit", None)  # import rdkit now raises ImportError
    for call in (
        lambda: morgan_fingerprints(["C"]),
        lambda: rdkit_descriptors(["C"]),
        lambda: molecule_graphs(["C"]),
        lambda: n_atoms(["C"]),
    ):
        with pytest.raises(InputError, match=r"needs RDKit: pip install 'biodl\[chem\]'"):
            call()


@pytest.mark.slow
@pytest.mark.skipif(not MOLECULENET.is_dir(), reason=f"real data not found at {MOLECULENET}")
def test_invariants_on_bbbp() -> None:
    from biodl.io.molecules import read_molecules

    smiles = list(read_molecules(MOLECULENET / "chemprop_format" / "bbbp.csv").smiles)
    x = molecule_graphs(smiles)
    assert x.shape == (2039, 130, n_atoms(smiles).max())
    check_invariants(x, smiles)
    fp = morgan_fingerprints(smiles)
    assert (fp.sum(axis=1) > 0).all()
