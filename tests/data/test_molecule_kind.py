"""The molecule input kind (biodl.data.kinds.MoleculeKind): reading, checking, the three
featurizers, the layout the graph models read, descriptions for assess, and a forward
pass of the (not yet registered) molecule models on its arrays."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")

from biodl.data import INPUT_KINDS, Examples, InputKind, MoleculeKind, input_kind
from biodl.encode.molecules import (
    ATOM_FEATURES,
    BOND_FEATURES,
    MAX_NEIGHBOURS,
    descriptor_names,
    graph_channels,
    molecule_graphs,
    morgan_fingerprints,
    rdkit_descriptors,
)
from biodl.errors import InputError
from biodl.io.molecules import RDKIT_MISSING

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]  # ethanol, phenol, paracetamol


def test_registry_and_options() -> None:
    assert INPUT_KINDS["molecule"] is MoleculeKind
    kind = input_kind("molecule", featurizer="morgan")
    assert isinstance(kind, InputKind)
    assert isinstance(kind, MoleculeKind)
    assert kind.name == "molecule"
    assert kind == MoleculeKind(featurizer="morgan", radius=2, n_bits=2048)
    with pytest.raises(InputError, match="input kind 'molecule'"):
        input_kind("molecule", alphabet="dna")
    with pytest.raises(InputError, match="featurizer must be one of graph, morgan, descriptors"):
        MoleculeKind(featurizer="ecfp")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="n_bits must be an integer >= 1"):
        MoleculeKind(n_bits=0)
    with pytest.raises(InputError, match="length must be a positive integer"):
        MoleculeKind(length=0)
    with pytest.raises(InputError, match="invalid must be 'error' or 'skip'"):
        MoleculeKind(invalid="drop")  # type: ignore[arg-type]
    # a configuration's list of target columns becomes a tuple (the kind stays hashable)
    listed = MoleculeKind(target_columns=["a", "b"])  # type: ignore[arg-type]
    assert listed.target_columns == ("a", "b")
    assert hash(listed) == hash(MoleculeKind(target_columns=("a", "b")))


def test_graph_encoding() -> None:
    kind = MoleculeKind()
    x = kind.encode(SMILES)
    assert x.dtype == np.float32
    assert x.shape == (3, kind.n_channels(), 11)  # paracetamol: 11 heavy atoms
    assert kind.n_channels() == graph_channels(MAX_NEIGHBOURS) == x.shape[1]
    assert kind.input_shape(11) == (kind.n_channels(), 11)
    np.testing.assert_array_equal(x, molecule_graphs(SMILES))
    # Examples encode as their SMILES
    ex = Examples(SMILES, [""] * 3, ["a", "b", "c"], [("m.csv", i + 2) for i in range(3)])
    np.testing.assert_array_equal(kind.encode(ex), x)
    # a run's length pads every batch alike; too few positions name the molecule
    padded = MoleculeKind(length=20).encode(SMILES)
    assert padded.shape == (3, kind.n_channels(), 20)
    np.testing.assert_array_equal(padded[:, :, :11], x)
    assert padded[:, 0, 11:].sum() == 0  # the atom mask is 0 on padding
    with pytest.raises(InputError, match=r"record 'CC\(=O\)Nc1ccc\(O\)cc1'.*more than length 8"):
        MoleculeKind(length=8).encode(SMILES)
    # fewer neighbour slots: fewer channels, and a too-branched atom is an error
    small = MoleculeKind(max_neighbours=3)
    assert small.encode(SMILES).shape[1] == small.n_channels() == graph_channels(3)
    with pytest.raises(InputError, match="more than max_neighbours 3"):
        small.encode(["CC(C)(C)C"])


def test_layout_and_model_alphabet() -> None:
    assert MoleculeKind().layout() == (
        ("atom_features", len(ATOM_FEATURES)),
        ("bond_features", len(BOND_FEATURES)),
        ("max_neighbours", MAX_NEIGHBOURS),
    )
    assert dict(MoleculeKind(max_neighbours=4).layout())["max_neighbours"] == 4
    assert MoleculeKind().model_alphabet == "molecule"
    for featurizer in ("morgan", "descriptors"):
        kind = MoleculeKind(featurizer=featurizer)
        assert kind.layout() == ()
        assert kind.model_alphabet == "fingerprint"
    assert MoleculeKind().weights() == {}


def test_morgan_encoding() -> None:
    kind = MoleculeKind(featurizer="morgan", n_bits=512, radius=3, counts=True)
    x = kind.encode(SMILES)
    assert x.shape == (3, 512, 1) == (3, *kind.input_shape(1))
    assert x.dtype == np.float32
    want = morgan_fingerprints(SMILES, radius=3, n_bits=512, counts=True)
    np.testing.assert_array_equal(x[:, :, 0], want)
    assert MoleculeKind(featurizer="morgan").encode([]).shape == (0, 2048, 1)


def test_descriptor_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    kind = MoleculeKind(featurizer="descriptors")
    x = kind.encode(SMILES)
    assert x.shape == (3, len(descriptor_names()), 1) == (3, kind.n_channels(), 1)
    assert x.dtype == np.float32
    assert np.isfinite(x).all()
    values, _ = rdkit_descriptors(SMILES)
    finite = np.isfinite(values)
    # asinh-compressed: descriptors span many orders of magnitude
    np.testing.assert_allclose(
        x[:, :, 0][finite], np.arcsinh(values[finite]).astype(np.float32), rtol=1e-6
    )
    # a value RDKit cannot compute becomes 0, and says so
    import biodl.data.kinds as kinds

    names = descriptor_names()
    with_nan = values.copy()
    with_nan[1, 0] = np.nan
    monkeypatch.setattr(kinds, "rdkit_descriptors", lambda smiles: (with_nan, names))
    notes: list[str] = []
    monkeypatch.setattr(kinds, "note", notes.append)
    y = kind.encode(SMILES)
    assert y[1, 0, 0] == 0.0
    assert len(notes) == 1
    assert "1 value(s)" in notes[0]
    assert "set to 0" in notes[0]
    assert names[0] in notes[0]


def test_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "bbbp.csv"
    path.write_text("name,smiles,p_np\nethanol,OCC,1\nphenol,c1ccccc1O,0\n")
    ex = MoleculeKind().read(path)
    assert ex.sequences == ["CCO", "Oc1ccccc1"]  # canonical
    assert ex.labels == ["", ""]
    assert ex.ids == ["line 2", "line 3"]
    assert ex.origins == [(str(path), 2), (str(path), 3)]
    assert ex.notes == {}
    named = MoleculeKind(id_column="name").read(path)
    assert named.ids == ["ethanol", "phenol"]
    assert MoleculeKind().validate(ex) is ex  # canonical SMILES pass unchanged
    # the full reader keeps the targets, for the data source
    molecules = MoleculeKind(id_column="name").read_molecules(path)
    assert molecules.target_names == ("p_np",)
    assert molecules.targets[:, 0].tolist() == [1.0, 0.0]


def test_read_invalid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.csv"
    rows = ["CCO", "C1CC", "N(C)(C)(C)(C)C", "c1ccccc1", "c1cccc1", "CC(", "CCN"]
    path.write_text("smiles\n" + "".join(f"{s}\n" for s in rows))
    with pytest.raises(InputError, match=r"x\.csv:3: invalid SMILES 'C1CC'"):
        MoleculeKind().read(path)
    import biodl.data.kinds as kinds

    notes: list[str] = []
    monkeypatch.setattr(kinds, "note", notes.append)
    ex = MoleculeKind(invalid="skip").read(path)
    assert ex.sequences == ["CCO", "c1ccccc1", "CCN"]
    assert [line for _, line in ex.origins] == [2, 5, 8]
    assert len(notes) == 1
    text = notes[0]
    assert "skipped 4 molecule(s)" in text
    assert "line 3 'C1CC'" in text
    assert "line 4 'N(C)(C)(C)(C)C'" in text
    assert "; and 1 more" in text  # the first three are named
    assert "CC(" not in text
    assert ex.notes["skipped"] == text


def test_read_sdf_without_targets(tmp_path: Path) -> None:
    from rdkit import Chem

    path = tmp_path / "m.sdf"
    with Chem.SDWriter(str(path)) as writer:
        for name, smi in (("eth", "CCO"), ("phe", "c1ccccc1O")):
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("_Name", name)
            writer.write(mol)
    ex = MoleculeKind().read(path)  # unlabelled: no SD property needed
    assert ex.sequences == ["CCO", "Oc1ccccc1"]
    assert ex.ids == ["eth", "phe"]
    assert ex.labels == ["", ""]


def test_validate() -> None:
    ex = Examples(["OCC", "C1CC"], ["", ""], ["m1", "m2"], [("in.csv", 2), ("in.csv", 3)])
    with pytest.raises(InputError, match=r"in\.csv:3: record 'm2': invalid SMILES 'C1CC'"):
        MoleculeKind().validate(ex)
    assert MoleculeKind().validate(ex.subset([0])).sequences == ["CCO"]
    big = Examples(["CCCCCC"], [""], ["hexane"], [("in.csv", 4)])
    with pytest.raises(InputError, match=r"in\.csv:4: record 'hexane': .*6 atoms, more than"):
        MoleculeKind(length=5).validate(big)
    # fingerprints have no length or neighbour limit
    assert MoleculeKind(featurizer="morgan", length=5).validate(big) is big
    branched = Examples(["CC(C)(C)C"], [""], ["neopentane"], [("in.csv", 5)])
    with pytest.raises(InputError, match="4 bonded atoms, more than max_neighbours 3"):
        MoleculeKind(max_neighbours=3).validate(branched)


def test_describe() -> None:
    # benzene and toluene share the scaffold c1ccccc1; ethanol is acyclic (scaffold "")
    d = MoleculeKind().describe(["c1ccccc1", "Cc1ccccc1", "CCO", "OCC"])
    assert d["n"] == 4
    assert d["n_distinct"] == 3  # OCC is CCO
    assert d["atoms"].dtype == np.float64
    assert d["atoms"].tolist() == [6.0, 7.0, 3.0, 3.0]
    assert d["n_scaffolds"] == 2
    assert d["acyclic"] == 2
    assert d["max_degree"] == 3  # toluene's ring carbon bearing the methyl
    ex = Examples(["C", "CC(C)(C)C"], ["", ""], ["a", "b"], [("m", 2), ("m", 3)])
    d = MoleculeKind(featurizer="morgan").describe(ex)
    assert (d["n"], d["n_scaffolds"], d["acyclic"], d["max_degree"]) == (2, 1, 2, 4)
    empty = MoleculeKind().describe([])
    assert (empty["n"], empty["n_distinct"], empty["n_scaffolds"], empty["max_degree"]) == (
        0,
        0,
        0,
        0,
    )
    assert empty["atoms"].shape == (0,)


def test_rdkit_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("smiles\nCCO\n")
    monkeypatch.setitem(sys.modules, "rdkit", None)  # import rdkit raises ImportError
    kind = MoleculeKind()
    ex = Examples(["CCO"], [""], ["m1"], [("m.csv", 2)])
    for call in (
        lambda: kind.read(path),
        lambda: kind.validate(ex),
        lambda: kind.encode(["CCO"]),
        lambda: kind.describe(["CCO"]),
        lambda: MoleculeKind(featurizer="descriptors").n_channels(),
    ):
        with pytest.raises(InputError, match=r"pip install 'biodl\[chem\]'") as info:
            call()
        assert RDKIT_MISSING in str(info.value)
    assert kind.n_channels() == graph_channels()  # the graph's channels need no RDKit


def test_models_read_the_kinds_arrays() -> None:
    """The graph models unpack the kind's arrays with its layout, the fingerprint MLP
    reads its fingerprints (specs built directly: the models are not in the zoo yet)."""
    torch = pytest.importorskip("torch")
    from biodl.models.molecules import MOLECULE_MODELS
    from biodl.models.registry import ModelIO

    specs = {spec.name: spec for spec in MOLECULE_MODELS}
    graphs = MoleculeKind()
    fingerprints = MoleculeKind(featurizer="morgan", n_bits=256)
    torch.manual_seed(0)
    for name, kind, params in (
        ("dmpnn", graphs, {"hidden": 16, "depth": 2, "ffn_hidden": 16}),
        ("gin", graphs, {"hidden": 16, "layers": 2}),
        ("fingerprint_mlp", fingerprints, {"hidden": 16}),
    ):
        spec = specs[name]
        assert kind.model_alphabet in spec.alphabets
        x = kind.encode(SMILES)
        io = ModelIO(
            n_channels=kind.n_channels(),
            input_length=x.shape[2],
            n_outputs=1,
            alphabet=kind.model_alphabet,
            layout=kind.layout(),
        )
        model = spec.build(spec.params(**params), io)
        model.eval()
        with torch.no_grad():
            out = model(torch.from_numpy(x))
        assert out.shape == (3, 1), name
        assert torch.isfinite(out).all(), name
