"""Molecules end to end: configuration, splits, training, prediction, evaluation, explain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

pytest.importorskip("rdkit")

from biodl.cli import main
from biodl.config import parse_config
from biodl.data import (
    MoleculeKind,
    build_splits,
    cross_validation_splits,
)
from biodl.data.scaffold import murcko_scaffold, write_split_file
from biodl.encode.molecules import PackedGraphs, molecule_graphs
from biodl.errors import ConfigError, InputError
from biodl.models import create_model, predict
from biodl.models.registry import ModelIO
from biodl.testing.molecules import write_molecule_table
from biodl.train.module import ArrayDataModule

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _config(data: dict[str, Any], *, task: str = "regression", **extra: Any) -> Any:
    raw = {"task": task, "data": data, "model": {"name": "dmpnn", "hidden": 16}, **extra}
    return parse_config(raw, base_dir=".")


def _write(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


# ------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("data", "task", "match"),
    [
        ({"train": {"table": "t.tsv", "label": "y"}, "test": {"scaffold": 0.2}}, "binary",
         "scaffold split needs a 'molecules:'"),
        ({"train": {"table": "t.tsv", "label": "y"}, "featurizer": "morgan"}, "binary",
         "data.featurizer is for molecules"),
        ({"train": {"molecules": "m.csv", "label": ["a", "b"]}}, "binary",
         "list of label columns is for multilabel or regression"),
        ({"train": {"molecules": "m.csv"}}, "regression", "needs 'label'"),
        ({"train": {"molecules": "m.csv", "label": "y", "split": "s"},
          "test": {"fraction": 0.1}}, "regression", "given twice"),
        ({"train": {"molecules": "m.csv", "label": "y"}, "valid": {"scaffold": 0.5},
          "test": {"scaffold": 0.5}}, "regression", "sum below 1"),
        ({"train": {"molecules": "m.csv", "label": "y"}, "valid": {"chromosomes": ["chr1"]}},
         "regression", "must be a 'molecules:' source"),
        ({"train": {"molecules": "m.csv", "label": "y"}, "fingerprint": {"bits": 512}},
         "regression", "goes with data.featurizer: morgan"),
        ({"train": {"molecules": "m.csv", "label": "y", "split": "s", "split_file": "f"}},
         "regression", "not both"),
    ],
)  # fmt: skip
def test_configuration_errors(data: dict[str, Any], task: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _config(data, task=task)


def test_scale_targets_is_for_regression() -> None:
    with pytest.raises(ConfigError, match="scale_targets is for task regression"):
        _config({"train": {"molecules": "m.csv", "label": "y"}}, task="binary",
                train={"scale_targets": True})  # fmt: skip


def test_molecule_configuration_is_accepted() -> None:
    config = _config(
        {
            "train": {"molecules": "m.csv", "label": ["a", "b"]},
            "valid": {"scaffold": 0.1},
            "test": {"scaffold": 0.1, "balanced": False},
            "featurizer": "graph",
            "invalid": "skip",
        }
    )
    assert config.data.invalid == "skip"


# -------------------------------------------------------------------------------- splits


def test_scaffold_split_keeps_scaffolds_apart(tmp_path: Path) -> None:
    csv = write_molecule_table(tmp_path / "m.csv", 300, task="regression")
    config = _config(
        {
            "train": {"molecules": str(csv), "label": "label"},
            "valid": {"scaffold": 0.15},
            "test": {"scaffold": 0.15},
        }
    )
    splits = build_splits(config)
    assert splits.valid is not None
    assert splits.test is not None
    sides = {
        name: {murcko_scaffold(s) for s in ex.sequences}
        for name, ex in (("train", splits.train), ("valid", splits.valid), ("test", splits.test))
    }
    assert not sides["train"] & sides["test"]
    assert not sides["train"] & sides["valid"]
    assert not sides["valid"] & sides["test"]
    assert len(splits.train) + len(splits.valid) + len(splits.test) == 300
    assert dict(splits.layout)["max_neighbours"] >= 6
    assert splits.input_length == max(len(PackedGraphs.from_smiles([s]).values[0]) for s in
                                      splits.train.sequences + splits.valid.sequences
                                      + splits.test.sequences)  # fmt: skip


def test_random_fraction_split_shares_scaffolds(tmp_path: Path) -> None:
    csv = write_molecule_table(tmp_path / "m.csv", 300, task="binary")
    config = _config(
        {"train": {"molecules": str(csv), "label": "label"}, "test": {"fraction": 0.2}},
        task="binary",
    )
    splits = build_splits(config)
    assert splits.test is not None
    train = {murcko_scaffold(s) for s in splits.train.sequences}
    assert {murcko_scaffold(s) for s in splits.test.sequences} & train  # six ring systems


def test_split_file_and_split_column(tmp_path: Path) -> None:
    csv = write_molecule_table(tmp_path / "m.csv", 40, task="regression")
    lines = csv.read_text().splitlines()
    names = np.array(["train"] * 30 + ["valid"] * 5 + ["test"] * 5)
    ids = [f"mol{i + 1}" for i in range(40)]
    split = write_split_file(tmp_path / "split.tsv", ids, names)
    config = _config(
        {"train": {"molecules": str(csv), "label": "label", "id": "id", "split_file": str(split)}}
    )
    splits = build_splits(config)
    assert splits.test is not None
    assert splits.valid is not None
    assert splits.test.ids == ids[35:]
    assert splits.valid.ids == ids[30:35]
    # the same split as a column of the table
    with_column = tmp_path / "c.csv"
    with_column.write_text(
        "\n".join(
            [lines[0] + ",part"] + [f"{r},{s}" for r, s in zip(lines[1:], names, strict=True)]
        )
        + "\n"
    )
    config = _config({"train": {"molecules": str(with_column), "label": "label", "split": "part"}})
    again = build_splits(config)
    assert again.test is not None
    assert list(again.test.ids) == [f"line {n}" for n in range(37, 42)]
    # a molecule missing from the split file names the file and line
    write_split_file(split, ids[:-1], names[:-1])
    config = _config(
        {"train": {"molecules": str(csv), "label": "label", "id": "id", "split_file": str(split)}}
    )
    with pytest.raises(InputError, match=r"m\.csv:41.*'mol40' is not in the split file"):
        build_splits(config)


def test_label_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("smiles,y\nCCO,1\nCCN,2\n")
    config = _config({"train": {"molecules": str(path), "label": "y"}}, task="binary")
    with pytest.raises(InputError, match=r"m\.csv:3.*not 0 or 1"):
        build_splits(config)
    path.write_text("smiles,y\nCCO,1\nCCN,\n")
    with pytest.raises(InputError, match=r"m\.csv:3.*no label"):
        build_splits(config)


def test_multilabel_missing_values_are_nan(tmp_path: Path) -> None:
    csv = write_molecule_table(tmp_path / "m.csv", 60, task="multilabel")
    config = _config(
        {"train": {"molecules": str(csv), "label": ["halogen", "nitrogen", "oxygen"]}},
        task="multilabel",
    )
    splits = build_splits(config)
    y = splits.targets(splits.train)
    assert y.shape == (60, 3)
    assert np.isnan(y).any()
    assert set(np.unique(y[~np.isnan(y)])) <= {0.0, 1.0}


def test_scaffold_cross_validation_folds(tmp_path: Path) -> None:
    csv = write_molecule_table(tmp_path / "m.csv", 200, task="regression")
    config = _config(
        {
            "train": {"molecules": str(csv), "label": "label"},
            "valid": {"scaffold": 0.1},
            "test": {"scaffold": 0.2},
        }
    )
    _, names, folds = cross_validation_splits(config, 3)
    assert len(names) == 3
    for fold in folds:
        assert fold.test is not None
        assert fold.valid is not None
        test = {murcko_scaffold(s) for s in fold.test.sequences}
        assert not test & {murcko_scaffold(s) for s in fold.train.sequences}
        assert not {murcko_scaffold(s) for s in fold.valid.sequences} & {
            murcko_scaffold(s) for s in fold.train.sequences
        }


# ------------------------------------------------------------------ batching packed graphs


def test_packed_batches_score_as_the_padded_array() -> None:
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C", "ClCCl"]
    kind = MoleculeKind()
    io = ModelIO(
        n_channels=kind.n_channels(), input_length=10, layout=kind.layout(), n_outputs=2,
        alphabet="molecule",
    )  # fmt: skip
    torch.manual_seed(0)
    model = create_model("dmpnn", {"hidden": 16}, io=io)
    packed = PackedGraphs.from_smiles(smiles)
    dense = molecule_graphs(smiles)
    np.testing.assert_array_equal(np.asarray(packed), dense)
    a = predict(model, packed, batch_size=2, device="cpu")
    b = predict(model, dense, batch_size=5, device="cpu")
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    module = ArrayDataModule((packed, np.zeros((5, 2), np.float32)), None, batch_size=3, seed=0)
    batches = list(module.train_dataloader())
    assert sum(len(x) for x, _ in batches) == 5
    assert all(x.dtype == torch.float32 and x.shape[1] == kind.n_channels() for x, _ in batches)


# ---------------------------------------------------------------- training and the verbs


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A dmpnn trained on 300 planted molecules, and an untrained copy (0 epochs)."""
    from biodl.workflows import train_run

    root = tmp_path_factory.mktemp("molecules")
    csv = write_molecule_table(root / "m.csv", 300, task="regression", seed=1)
    raw = {
        "task": "regression",
        "data": {
            "train": {"molecules": "m.csv", "smiles": "smiles", "label": "label", "id": "id"},
            "valid": {"fraction": 0.15},
            "test": {"fraction": 0.15},
        },
        "model": {"name": "dmpnn", "hidden": 32, "depth": 3},
        "train": {"max_epochs": 25, "batch_size": 32, "learning_rate": 0.003, "seed": 0},
    }
    config = _write(root / "config.yaml", raw)
    train_run(config, root / "run")
    return root, config, csv


def test_training_learns_the_planted_property(regression_run: tuple[Path, Path, Path]) -> None:
    root, _, _ = regression_run
    metrics = json.loads((root / "run" / "metrics.json").read_text())
    meta = json.loads((root / "run" / "model.json").read_text())
    assert meta["alphabet"] == "molecule"
    assert meta["molecule"]["featurizer"] == "graph"
    assert meta["layout"]["max_neighbours"] >= 6
    # molecules train on standardised targets, the scaling folded into the output layer
    assert meta["target_scaling"]["folded_into_model"] is True
    # the outputs are sums of per-substituent and ring terms (noise sd 0.1, outputs sd
    # about 1): a trained network explains nearly all the variance (R^2 0.97 measured),
    # an untrained one none of it
    assert metrics["test"]["mean_r2"]["value"] > 0.7
    assert metrics["test"]["rmse[label]"]["value"] == pytest.approx(
        metrics["test"]["mse[label]"]["value"] ** 0.5
    )


def test_predict_evaluate_explain(regression_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root, config, csv = regression_run
    run = root / "run"
    out = tmp_path / "pred.tsv"
    assert main(["predict", "--model", str(run), str(csv), "--out", str(out), "--quiet"]) == 0
    rows = out.read_text().splitlines()
    assert rows[0] == "id\tpred_label"
    assert rows[1].startswith("line 2\t")
    assert len(rows) == 301
    from biodl.workflows import predict_frame

    frame = predict_frame(run, ["Clc1ccccc1Br", "OCC"])
    assert list(frame.columns) == ["id", "pred_label"]
    assert list(frame["id"]) == ["input:1", "input:2"]
    with pytest.raises(InputError, match="invalid SMILES"):
        predict_frame(run, {"smiles": ["CCO", "C1CC"]})
    out2 = tmp_path / "pred2.tsv"
    main(["predict", "--model", str(run), str(csv), "--out", str(out2), "--id-column", "id"])
    assert out2.read_text().splitlines()[1].startswith("mol1\t")
    assert (
        main(["evaluate", "--model", str(run), str(config), "--out", str(tmp_path / "ev"),
              "--quiet"])
        == 0
    )  # fmt: skip
    assert "rmse[label]" in json.loads((tmp_path / "ev" / "metrics.json").read_text())["test"]
    small = tmp_path / "few.csv"
    small.write_text("smiles,name\nClc1ccccc1Br,a\nOCC1CCCCC1O,b\nCCO,c\n")
    expl = tmp_path / "expl"
    assert main(["explain", "--model", str(run), str(small), "--out", str(expl), "--top", "2",
                 "--id-column", "name", "--quiet"]) == 0  # fmt: skip
    checks = json.loads((expl / "checks.json").read_text())
    assert checks["completeness"]["passed"]
    assert checks["method"] == "integrated_gradients"
    atoms = (expl / "atoms.tsv").read_text().splitlines()
    assert atoms[0] == "id\tsmiles\tatom\telement\tscore"
    assert len(atoms) == 1 + 8 + 9 + 3
    assert (expl / "molecules" / "001.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (expl / "explain.html").read_text()
    assert "data:image/png;base64" in html
    data = np.load(expl / "attributions.npz")
    sums = np.add.reduceat(data["atom_scores"], data["offsets"][:-1])
    np.testing.assert_allclose(
        sums, data["outputs"] - data["baseline_outputs"], atol=0.05 * np.abs(sums).max() + 1e-3
    )


def test_bad_molecule_is_one_line_exit_2(
    regression_run: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _, _ = regression_run
    bad = tmp_path / "bad.csv"
    bad.write_text("smiles\nCCO\nC1CC\n")
    out = tmp_path / "p.tsv"
    assert main(["predict", "--model", str(root / "run"), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "bad.csv:3" in err[0]
    assert "C1CC" in err[0]
    assert not out.exists()
    assert main(["explain", "--model", str(root / "run"), str(bad), "--out",
                 str(tmp_path / "e"), "--method", "deepshap"]) == 2  # fmt: skip


@pytest.mark.parametrize(
    ("model", "featurizer", "task"),
    [("gin", "graph", "multilabel"), ("fingerprint_mlp", "morgan", "binary")],
)
def test_other_models_and_tasks_train(
    tmp_path: Path, model: str, featurizer: str, task: str
) -> None:
    from biodl.workflows import train_run

    csv = write_molecule_table(tmp_path / "m.csv", 120, task=task)  # type: ignore[arg-type]
    label: Any = ["halogen", "nitrogen", "oxygen"] if task == "multilabel" else "label"
    raw = {
        "task": task,
        "data": {
            "train": {"molecules": str(csv), "label": label},
            "valid": {"fraction": 0.2},
            "test": {"scaffold": 0.2},
            "featurizer": featurizer,
        },
        "model": {"name": model, "hidden": 16},
        "train": {"max_epochs": 2, "batch_size": 32, "seed": 0},
    }
    with_bad = tmp_path / "with_bad.csv"  # one molecule RDKit rejects: left out, recorded
    bad_row = "bad,C1CC" + (",,," if task == "multilabel" else ",1")
    with_bad.write_text(csv.read_text() + bad_row + "\n")
    raw["data"]["train"]["molecules"] = str(with_bad)  # type: ignore[index]
    raw["data"]["invalid"] = "skip"  # type: ignore[index]
    train_run(_write(tmp_path / "c.yaml", raw), tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert "skipped 1 molecule" in meta["data"]["notes"]["skipped"]
    assert meta["alphabet"] == ("molecule" if featurizer == "graph" else "fingerprint")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert ("macro_auroc" if task == "multilabel" else "auroc") in metrics["test"]
    out = tmp_path / "p.tsv"
    assert main(["predict", "--model", str(tmp_path / "run"), str(csv), "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 121


def test_configuration_round_trips(tmp_path: Path) -> None:
    from biodl.config import config_to_dict

    config = _config(
        {
            "train": {"molecules": "m.csv", "label": "y", "split_file": "s.tsv"},
            "featurizer": "morgan",
            "fingerprint": {"bits": 1024},
        },
        task="binary",
    )
    data = config_to_dict(config)
    assert Path(data["data"]["train"]["molecules"]).is_absolute()
    assert Path(data["data"]["train"]["split_file"]).is_absolute()
    again = parse_config(data, base_dir=tmp_path)
    assert again.data.fingerprint.bits == 1024
    assert again.data.featurizer == "morgan"
    sequences = parse_config(
        {"task": "binary", "data": {"train": {"table": "t.tsv"}}, "model": {"name": "deepbind"}},
        base_dir=".",
    )
    assert not {"featurizer", "fingerprint", "invalid"} & set(config_to_dict(sequences)["data"])
