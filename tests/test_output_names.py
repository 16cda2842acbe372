"""Output names for people (``Task.names``): the configuration's ``outputs:``, the rule
without it, ``model.json``'s ``output_names``, and old runs keeping their names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from biodl.config import load_config
from biodl.errors import ConfigError, InputError
from biodl.tasks import Binary, Multiclass, Multilabel, Regression, task_from_meta
from biodl.workflows import train_run
from biodl.workflows.explain import explain_file
from tests.conftest import base_config
from tests.test_config import ISSUE_CONFIG, write

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# -- the rule ---------------------------------------------------------------------------


def test_binary_name_rule() -> None:
    zero_one = Binary(positive="1", negative="0")
    assert zero_one.named(column="Bound").names == ("Bound",)  # 0/1 labels: the column
    assert zero_one.named().names == ("1",)  # no column (FASTA, BED): as before
    worded = Binary(positive="bound", negative="unbound")
    assert worded.named(column="label").names == ("bound",)  # a word: the positive label
    assert zero_one.named(["open"], column="Bound").names == ("open",)  # outputs: wins
    assert zero_one.named(column="Bound").outputs == ("1",)  # identity unchanged
    assert zero_one.named(column="Bound").prediction_columns() == ["score", "logit", "predicted"]


def test_names_survive_thresholds_and_model_json() -> None:
    tasks = [
        Binary(positive="1", negative="0").named(["bound"]).with_threshold(0.3),
        Multilabel(["a", "b"]).named(["CTCF", "GATA1"]).with_threshold([0.2, 0.7]),
        Regression(["x"], loss="poisson").named(["counts"]),
        Multiclass(classes=("a", "b")),
    ]
    for task in tasks:
        again = task_from_meta(task.to_meta())
        assert again == task
        assert again.names == task.names
    assert tasks[1].names == ("CTCF", "GATA1")
    assert tasks[1].outputs == ("a", "b")
    assert tasks[1].prediction_columns() == ["pred_a", "pred_b"]
    assert "output_names" not in Binary(positive="1", negative="0").to_meta()


def test_old_model_json_keeps_its_names() -> None:
    old = {"task": "binary", "labels": {"positive": "1", "negative": "0"}, "outputs": ["1"]}
    assert task_from_meta(old).names == ("1",)
    with pytest.raises(InputError, match="output_names"):
        task_from_meta({**old, "output_names": ["a", "b"]})


def test_names_must_fit_the_outputs() -> None:
    with pytest.raises(InputError, match="2 names given for 1 output"):
        Binary(positive="1", negative="0").named(["a", "b"])
    with pytest.raises(InputError, match="given twice"):
        Multilabel(["a", "b"]).named(["x", "x"])


# -- configuration ------------------------------------------------------------------------


def test_config_outputs_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "outputs: [bound]\n" + ISSUE_CONFIG))
    assert config.outputs == ["bound"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("outputs: [bound, open]\n" + ISSUE_CONFIG, "2 names given for 1 output"),
        ("outputs: bound\n" + ISSUE_CONFIG, "'outputs'"),
        (
            ISSUE_CONFIG.replace("task: binary", "task: multiclass\noutputs: [a, b]"),
            "a multiclass task's outputs are its classes",
        ),
    ],
)
def test_config_outputs_validated(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(write(tmp_path, text))
    assert ":1" in str(info.value) or ":2" in str(info.value)  # names the line


def test_config_outputs_count_label_columns(tmp_path: Path) -> None:
    text = """\
task: regression
outputs: [one]
data:
  train: {table: t.tsv, sequence: seq, label: [a, b]}
  valid: {fraction: 0.1}
model: {name: deepbind}
"""
    with pytest.raises(ConfigError, match="1 name given for 2 outputs"):
        load_config(write(tmp_path, text))
    config = load_config(write(tmp_path, text.replace("[one]", "[one, two]")))
    assert config.outputs == ["one", "two"]


# -- a trained run ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def named_run(motif_tables: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = base_config(outputs=["bound"])
    config["train"]["max_epochs"] = 1
    path = motif_tables / "named.yaml"
    path.write_text(yaml.safe_dump(config))
    return Path(train_run(path, tmp_path_factory.mktemp("named") / "run").out)


def test_trained_run_records_and_uses_the_name(named_run: Path, motif_tables: Path) -> None:
    meta = json.loads((named_run / "model.json").read_text())
    assert meta["output_names"] == ["bound"]
    assert meta["outputs"] == ["1"]  # the label, as before
    header = (named_run / "predictions.tsv").read_text().splitlines()[0].split("\t")
    assert header == ["id", "split", "label", "target", "score"]  # unchanged
    assert "ROC curve (bound)" in (named_run / "report.html").read_text()
    assert yaml.safe_load((named_run / "config.yaml").read_text())["outputs"] == ["bound"]


def test_explain_title_uses_the_name(named_run: Path, tmp_path: Path) -> None:
    fasta = tmp_path / "in.fa"
    fasta.write_text(">q0\n" + "ACGT" * 15 + "\n>q1\n" + "TTGACGTCAA" * 6 + "\n")
    result = explain_file(
        named_run,
        fasta,
        tmp_path / "ex",
        method="deepshap",
        n_references=2,
        top=0,
        randomisation=False,
        compare=(),
    )
    assert result.target == "bound"
    assert "deepshap attributions: bound" in (result.out / "explain.html").read_text()
    # an old run (model.json without output_names) keeps the raw label, "1"
    old = tmp_path / "old"
    shutil.copytree(named_run, old)
    meta = json.loads((old / "model.json").read_text())
    del meta["output_names"]
    (old / "model.json").write_text(json.dumps(meta))
    again = explain_file(old, fasta, tmp_path / "ex_old", method="saliency", target="1", top=0)
    assert again.target == "1"
    assert "saliency attributions: 1" in (again.out / "explain.html").read_text()
    # the label still selects the output of a named run
    by_label = explain_file(
        named_run, fasta, tmp_path / "ex_label", method="saliency", target="1", top=0
    )
    assert by_label.target == "bound"
