"""Multi-class training end to end: three classes of generated sequences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from biodl.cli import main
from biodl.testing import (
    CTCF_LIKE_PWM,
    GATA_LIKE_PWM,
    markov_background,
    planted_motif_dataset,
    write_fasta_file,
)


@pytest.fixture(scope="module")
def three_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("multi")
    ctcf, _ = planted_motif_dataset(60, 0, length=60, motif=CTCF_LIKE_PWM, seed=1)
    gata, _ = planted_motif_dataset(60, 0, length=60, motif=GATA_LIKE_PWM, seed=2)
    background = markov_background(60, 60, seed=3)
    seqs = ctcf + gata + background
    labels = ["ctcf"] * 60 + ["gata"] * 60 + ["none"] * 60
    rows = "".join(f"{s}\t{lab}\n" for s, lab in zip(seqs, labels, strict=True))
    (folder / "train.tsv").write_text("seq\tclass\n" + rows)
    return folder


def config(**train: Any) -> dict[str, Any]:
    return {
        "task": "multiclass",
        "data": {
            "train": {"table": "train.tsv", "sequence": "seq", "label": "class"},
            "valid": {"fraction": 0.2},
            "test": {"fraction": 0.2},
        },
        "model": {"name": "deepbind", "n_filters": 8, "filter_width": 12, "hidden": 8},
        "train": {"max_epochs": 3, "seed": 1, "batch_size": 32, **train},
        "evaluate": {"n_bootstrap": 50},
    }


def test_multiclass_train_predict_evaluate(three_classes: Path, tmp_path: Path) -> None:
    path = three_classes / "multi.yaml"
    path.write_text(yaml.safe_dump(config()))
    out = tmp_path / "run"
    assert main(["train", str(path), "--out", str(out)]) == 0
    meta = json.loads((out / "model.json").read_text())
    assert meta["labels"] == {"classes": ["ctcf", "gata", "none"]}
    assert meta["outputs"] == ["ctcf", "gata", "none"]
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("accuracy", "mcc", "macro_f1", "error[ctcf]", "f1[none]"):
        assert key in metrics["test"]
    assert (out / "confusion_test.png").is_file()
    head = (out / "predictions.tsv").read_text().splitlines()[0].split("\t")
    assert head == ["id", "split", "label", "predicted", "prob_ctcf", "prob_gata", "prob_none"]
    fasta = write_fasta_file(tmp_path / "x.fa", ["ACGT" * 15, "TTGA" * 15])
    pred = tmp_path / "pred.tsv"
    assert main(["predict", "--model", str(out), str(fasta), "--out", str(pred)]) == 0
    rows = [line.split("\t") for line in pred.read_text().splitlines()]
    assert rows[0] == ["id", "predicted", "prob_ctcf", "prob_gata", "prob_none"]
    assert all(abs(sum(map(float, r[2:])) - 1) < 1e-4 for r in rows[1:])
    assert main(["evaluate", "--model", str(out), str(path), "--out", str(tmp_path / "ev")]) == 0
    again = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert again["test"]["accuracy"]["value"] == metrics["test"]["accuracy"]["value"]


def test_multiclass_cv_and_balanced_weights(three_classes: Path, tmp_path: Path) -> None:
    path = three_classes / "multi_cv.yaml"
    path.write_text(
        yaml.safe_dump(config(max_epochs=1, class_weight="balanced", sampler="balanced"))
    )
    assert main(["cv", str(path), "--folds", "2", "--out", str(tmp_path / "cv")]) == 0
    result = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert set(result["summary"]["accuracy"]) == {"mean", "sd"}
    assert "error[gata]" in result["summary"]


def test_multiclass_bad_inputs(
    three_classes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = config()
    bad["classes"] = ["ctcf", "gata"]
    path = three_classes / "bad_classes.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert main(["train", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "train.tsv:" in err
    assert "unexpected label 'none'" in err
    neg = config()
    neg["data"]["train"]["negatives"] = {"shuffle": "dinucleotide"}
    path.write_text(yaml.safe_dump(neg))
    assert main(["train", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "not multiclass" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
