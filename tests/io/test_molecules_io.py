"""Reading molecules: CSV/TSV and SDF, missing labels, invalid SMILES, real MoleculeNet files."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")

from rdkit import Chem

from biodl.errors import InputError
from biodl.io.molecules import (
    molecule_format,
    parse_smiles,
    read_molecules,
    require_rdkit,
    smiles_problem,
)

MOLECULENET = Path(__file__).resolve().parents[3] / "shared" / "data" / "moleculenet"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_csv_with_quotes_missing_labels_and_default_targets(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "x.csv",
        'name,smiles,"tox, liver",NR-AR,note\n'
        '"ethanol, absolute",OCC,1,NA,text\n'
        'phenol,"c1ccccc1O",,0,more text\n'
        "benzene, c1ccccc1 ,0.5,null,x\n",
    )
    m = read_molecules(p, id_column="name")
    assert m.smiles == ("CCO", "Oc1ccccc1", "c1ccccc1")  # canonical, stripped
    assert m.ids == ("ethanol, absolute", "phenol", "benzene")
    assert m.target_names == ("tox, liver", "NR-AR")  # the text column is not a target
    assert m.targets.dtype == np.float64
    assert m.targets.shape == (3, 2)
    np.testing.assert_array_equal(m.targets, [[1.0, np.nan], [np.nan, 0.0], [0.5, np.nan]])
    assert m.lines == (2, 3, 4)
    assert m.skipped == ()
    assert len(m) == 3


def test_named_targets_tsv_gzip_and_line_ids(tmp_path: Path) -> None:
    p = tmp_path / "x.tsv.gz"
    with gzip.open(p, "wt") as f:
        f.write("SMILES\ta\tb\n\nCC\t1\t2\nC[C@H](N)O\t3\t4\n")
    m = read_molecules(p, target_columns="b")  # one name
    assert m.smiles == ("CC", "C[C@H](N)O")  # isomeric
    assert m.ids == ("line 3", "line 4")  # the blank line 2 is skipped
    assert m.target_names == ("b",)
    assert m.targets[:, 0].tolist() == [2.0, 4.0]


def test_smiles_column_detection(tmp_path: Path) -> None:
    bace = read_molecules(_write(tmp_path / "b.csv", "mol,Class\nCCN,1\n"))
    assert bace.smiles == ("CCN",)
    assert bace.target_names == ("Class",)
    first = read_molecules(_write(tmp_path / "f.csv", "structure,y\nCCN,1\nc1ccccc1,0\n"))
    assert first.smiles == ("CCN", "c1ccccc1")
    named = read_molecules(_write(tmp_path / "n.csv", "a,b\n1,CCO\n"), smiles_column="b")
    assert named.smiles == ("CCO",)
    assert named.target_names == ("a",)
    with pytest.raises(InputError, match=r"n\.csv:1: no SMILES column.*columns are: a, b"):
        read_molecules(_write(tmp_path / "n.csv", "a,b\n1,CCO\n"))
    with pytest.raises(InputError, match="several SMILES columns"):
        read_molecules(_write(tmp_path / "two.csv", "smiles,SMILES\nC,C\n"))


def test_table_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"e\.csv:1: empty file"):
        read_molecules(_write(tmp_path / "e.csv", ""))
    with pytest.raises(InputError, match=r"h\.csv:2: a header but no molecules"):
        read_molecules(_write(tmp_path / "h.csv", "smiles,y\n"))
    with pytest.raises(
        InputError, match=r"d\.csv:1: duplicate column name 'y' \(columns 2 and 3\)"
    ):
        read_molecules(_write(tmp_path / "d.csv", "smiles,y,y\nC,1,2\n"))
    with pytest.raises(InputError, match=r"w\.csv:3: row has 3 fields but the header has 2"):
        read_molecules(_write(tmp_path / "w.csv", "smiles,y\nC,1\nCC,1,2\n"))
    with pytest.raises(InputError, match=r"t\.csv:3: target column 'y': 'active' is not a number"):
        read_molecules(
            _write(tmp_path / "t.csv", "smiles,y\nC,1\nCC,active\n"), target_columns=["y"]
        )
    with pytest.raises(InputError, match=r"target column 'z' not found; columns are: smiles, y"):
        read_molecules(_write(tmp_path / "z.csv", "smiles,y\nC,1\n"), target_columns=["z"])
    with pytest.raises(InputError, match="is also the SMILES column"):
        read_molecules(_write(tmp_path / "s.csv", "smiles,y\nC,1\n"), target_columns=["smiles"])
    with pytest.raises(InputError, match="invalid must be 'error' or 'skip'"):
        read_molecules(tmp_path / "s.csv", invalid="drop")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="file not found"):
        read_molecules(tmp_path / "missing.csv")


def test_invalid_smiles_error_names_file_line_and_smiles(tmp_path: Path) -> None:
    p = _write(tmp_path / "bad.csv", "smiles,y\nCCO,1\nN(C)(C)(C)(C)C,0\nC1CC,1\n")
    with pytest.raises(InputError) as info:
        read_molecules(p)
    message = str(info.value)
    assert message == (
        f"{p}:3: invalid SMILES 'N(C)(C)(C)(C)C' in column 'smiles': Explicit valence for "
        "atom # 0 N, 5, is greater than permitted"
    )
    assert "\n" not in message


def test_skip_mode_lists_the_skipped(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path / "bad.csv", "smiles,y\nCCO,1\nN(C)(C)(C)(C)C,0\nC1CC,1\n,0\nCN,1\n")
    m = read_molecules(p, invalid="skip")
    assert m.smiles == ("CCO", "CN")
    assert m.lines == (2, 6)
    assert m.targets[:, 0].tolist() == [1.0, 1.0]
    assert [(line, smi) for line, smi, _ in m.skipped] == [
        (3, "N(C)(C)(C)(C)C"),
        (4, "C1CC"),
        (5, ""),
    ]
    reasons = [r for _, _, r in m.skipped]
    assert reasons[0].startswith("Explicit valence")
    assert reasons[1].startswith("SMILES syntax error")
    assert reasons[2] == "empty SMILES"
    captured = capfd.readouterr()
    assert captured.err == ""  # RDKit's own log is blocked
    with pytest.raises(
        InputError, match=r"no valid molecule: RDKit rejected all 1; the first, line 2"
    ):
        read_molecules(_write(tmp_path / "all.csv", "smiles\nC1CC\n"), invalid="skip")


def test_parse_smiles_and_problem() -> None:
    assert parse_smiles("CCO") is not None
    assert parse_smiles(" ") is None
    assert parse_smiles("C1CC") is None
    assert smiles_problem("CCO") is None
    assert smiles_problem("") == "empty SMILES"
    assert "kekulize" in (smiles_problem("c1cccc1") or "")


def test_require_rdkit_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "rdkit", None)  # import rdkit now raises ImportError
    with pytest.raises(
        InputError, match=r"reading molecules needs RDKit: pip install 'biodl\[chem\]'"
    ):
        require_rdkit()
    with pytest.raises(InputError, match="needs RDKit"):
        read_molecules(_write(tmp_path / "x.csv", "smiles\nC\n"))


def _sdf(path: Path, records: list[tuple[str, str, dict[str, str]]]) -> Path:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt") as handle:
        writer = Chem.SDWriter(handle)
        for smi, name, props in records:
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("_Name", name)
            for key, value in props.items():
                mol.SetProp(key, value)
            writer.write(mol)
        writer.close()
    return path


@pytest.mark.parametrize("name", ["m.sdf", "m.sdf.gz"])
def test_sdf_with_properties(tmp_path: Path, name: str) -> None:
    p = _sdf(
        tmp_path / name,
        [
            ("OCC", "ethanol", {"logS": "1.1", "tox": "0", "cid": "702"}),
            ("c1ccccc1O", "phenol", {"logS": "0.5", "cid": "996"}),
            ("C", "", {"logS": "NA", "tox": "1", "cid": "297"}),
        ],
    )
    assert molecule_format(p) == "sdf"
    m = read_molecules(p, target_columns=["logS", "tox"])
    assert m.smiles == ("CCO", "Oc1ccccc1", "C")
    assert m.ids == ("ethanol", "phenol", "record 3")
    np.testing.assert_array_equal(m.targets, [[1.1, 0.0], [0.5, np.nan], [np.nan, 1.0]])
    assert m.target_names == ("logS", "tox")
    assert m.lines[0] == 1
    assert m.lines[1] > m.lines[0]
    by_cid = read_molecules(p, target_columns=[], id_column="cid")
    assert by_cid.ids == ("702", "996", "297")
    assert by_cid.targets.shape == (3, 0)
    with pytest.raises(InputError, match="an SDF file needs target_columns"):
        read_molecules(p)


def test_sdf_invalid_record(tmp_path: Path) -> None:
    good = Chem.MolToMolBlock(Chem.MolFromSmiles("CC"))
    bad_mol = Chem.MolFromSmiles("N(C)(C)(C)(C)C", sanitize=False)
    bad = Chem.MolToMolBlock(bad_mol, kekulize=False)
    p = _write(tmp_path / "b.sdf", f"{good}$$$$\n{bad}>  <y>\n1\n\n$$$$\n")
    good_lines = good.count("\n") + 2
    with pytest.raises(
        InputError, match=rf"b\.sdf:{good_lines}: invalid molecule in SDF record 2 .*valence"
    ):
        read_molecules(p, target_columns=["y"])
    m = read_molecules(p, target_columns=["y"], invalid="skip")
    assert m.smiles == ("CC",)
    assert np.isnan(m.targets[0, 0])
    assert len(m.skipped) == 1
    assert m.skipped[0][0] == good_lines
    with pytest.raises(InputError, match=r"e\.sdf:1: empty file"):
        read_molecules(_write(tmp_path / "e.sdf", ""), target_columns=[])


# ------------------------------------------------------------------ the real files (slow)

# molecules RDKit 2026.09 rejects (hypervalent Al, B, Ge): the files parse otherwise
REAL = {
    "chemprop_format/bace.csv": (1513, 0),
    "chemprop_format/bbbp.csv": (2039, 0),
    "chemprop_format/clintox.csv": (1478, 0),
    "chemprop_format/delaney.csv": (1128, 0),
    "chemprop_format/freesolv.csv": (642, 0),
    "chemprop_format/lipo.csv": (4200, 0),
    "chemprop_format/sider.csv": (1427, 0),
    "chemprop_format/tox21.csv": (7831, 8),
    "chemprop_format/hiv.csv.gz": (41127, 7),
    "delaney-processed.csv": (1128, 0),
    "SAMPL.csv": (642, 0),
}


@pytest.mark.slow
@pytest.mark.skipif(not MOLECULENET.is_dir(), reason=f"real data not found at {MOLECULENET}")
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_moleculenet_files_parse(name: str) -> None:
    rows, at_most_skipped = REAL[name]
    m = read_molecules(MOLECULENET / name, invalid="skip")
    assert len(m) + len(m.skipped) == rows
    assert len(m.skipped) <= at_most_skipped
    assert all(reason for _, _, reason in m.skipped)
    assert m.targets.shape[0] == len(m)
    assert m.targets.shape[1] >= 1
    if name == "chemprop_format/bbbp.csv":
        with_errors = read_molecules(MOLECULENET / name)  # none invalid: no error
        assert len(with_errors) == 2039
