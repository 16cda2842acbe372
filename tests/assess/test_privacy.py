"""Privacy: membership-inference AUROC by construction, flags, the run directory's files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from biodl.assess import ITEM_ORDER, AssessInputs, SplitView, load_inputs
from biodl.assess.privacy import (
    _membership_flag,
    attack_auroc,
    classify_file,
    per_example_loss,
    privacy,
    run_storage,
    top_confidence,
)
from biodl.cli import main
from biodl.tasks import Binary, Multiclass, make_task
from biodl.testing.assess_runs import tiny_run
from biodl.testing.synthetic import random_dna

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _view(prefix: str, logits: np.ndarray, y: np.ndarray, *, seed: int) -> SplitView:
    n = len(y)
    return SplitView(
        ids=tuple(f"{prefix}{i}" for i in range(n)),
        sequences=tuple(random_dna(n, 30, seed=seed)),
        y=y,
        logits=logits,
    )


def _binary_inputs(
    train_logits: np.ndarray, test_logits: np.ndarray, *, split: str = "test"
) -> AssessInputs:
    y_train = np.ones((len(train_logits), 1))
    y_test = np.ones((len(test_logits), 1))
    splits = {
        "train": _view("m", train_logits[:, None], y_train, seed=1),
        split: _view("h", test_logits[:, None], y_test, seed=2),
    }
    return AssessInputs("binary", "dna", ("1",), splits)


def test_members_with_lower_losses_give_auroc_one_and_red() -> None:
    members = np.linspace(3.0, 5.0, 40)  # positives with large logits: low loss
    non_members = np.linspace(-2.0, 1.0, 40)  # higher loss throughout
    item = privacy(_binary_inputs(members, non_members), n_boot=200)
    audit = item.values["membership"]
    assert audit["attacks"]["loss"]["auroc"]["value"] == 1.0
    assert audit["attacks"]["loss"]["advantage"] == 1.0
    assert audit["auroc"]["value"] == 1.0
    assert audit["flag"] == "red"
    assert item.flag == "red"
    assert audit["n_members"] == audit["n_non_members"] == 40
    assert audit["non_member_split"] == "test"
    assert set(audit["attacks"]) == {"loss", "confidence"}


def test_identical_score_lists_give_exactly_one_half_and_green() -> None:
    logits = np.linspace(-2.0, 2.0, 50)
    item = privacy(_binary_inputs(logits, logits.copy()), n_boot=200)
    audit = item.values["membership"]
    for attack in ("loss", "confidence"):
        auroc = audit["attacks"][attack]["auroc"]
        assert auroc["value"] == 0.5
        assert auroc["ci"][0] <= 0.5 <= auroc["ci"][1]
        assert audit["attacks"][attack]["advantage"] == 0.0
    assert audit["flag"] == "green"


def test_attack_auroc_counts_ties_one_half_and_higher_means_member() -> None:
    assert attack_auroc(np.array([2.0, 1.0]), np.array([1.0, 0.0]), n_boot=0)["value"] == 0.875
    assert attack_auroc(np.array([0.0, 0.0]), np.array([1.0, 1.0]), n_boot=0)["value"] == 0.0
    rng = np.random.default_rng(0)
    same = attack_auroc(rng.normal(size=4000), rng.normal(size=4000), n_boot=200, seed=1)
    assert abs(same["value"] - 0.5) < 0.03
    assert same["ci"][0] < 0.5 < same["ci"][1]


@pytest.mark.parametrize(
    ("auroc", "ci", "flag"),
    [
        (0.50, [0.45, 0.55], "green"),
        (0.549, [0.49, 0.60], "green"),
        (0.53, [0.51, 0.55], "amber"),  # small but statistically real
        (0.55, [0.45, 0.65], "amber"),
        (0.649, None, "amber"),
        (0.65, [0.6, 0.7], "red"),
        (0.95, None, "red"),
    ],
)
def test_flag_thresholds(auroc: float, ci: list[float] | None, flag: str) -> None:
    assert _membership_flag(auroc, ci, 0.55, 0.65) == flag


def test_per_example_loss_is_the_tasks_own_loss() -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(size=(12, 1))
    y = (rng.random((12, 1)) < 0.5).astype(float)
    binary = Binary(positive="1", negative="0")
    loss = per_example_loss(binary, z, y)
    whole = binary.loss(torch.as_tensor(z), torch.as_tensor(y))
    assert loss.mean() == pytest.approx(float(whole), rel=1e-5)
    zc = rng.normal(size=(9, 3))
    yc = rng.integers(0, 3, size=(9, 1)).astype(float)
    multiclass = Multiclass(classes=("a", "b", "c"))
    lc = per_example_loss(multiclass, zc, yc)
    expected = -np.log(multiclass.score_matrix(zc)[np.arange(9), yc[:, 0].astype(int)])
    np.testing.assert_allclose(lc, expected, rtol=1e-5)
    regression = make_task("regression", classes=("a", "b"))
    yr = np.array([[1.0, np.nan], [np.nan, np.nan], [0.0, 2.0]])
    zr = np.array([[0.0, 5.0], [1.0, 1.0], [1.0, 1.0]])
    lr = per_example_loss(regression, zr, yr)
    assert lr[0] == pytest.approx(1.0)  # NaN target skipped
    assert np.isnan(lr[1])  # nothing observed
    assert lr[2] == pytest.approx(1.0)
    assert top_confidence(regression, zr) is None


def test_regression_has_the_loss_attack_only() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(size=(30, 1))
    splits = {
        "train": _view("m", y + 0.01, y, seed=1),  # fitted closely
        "test": _view("h", y[::-1] + 0.0, y, seed=2),
    }
    item = privacy(AssessInputs("regression", "dna", ("y",), splits), n_boot=50)
    audit = item.values["membership"]
    assert set(audit["attacks"]) == {"loss"}
    assert audit["headline_attack"] == "loss"
    assert audit["auroc"]["value"] > 0.9


def test_copies_of_training_sequences_are_not_non_members() -> None:
    inputs = _binary_inputs(np.zeros(20), np.zeros(20))
    train, test = inputs.splits["train"], inputs.splits["test"]
    leaked = SplitView(
        ids=test.ids,
        sequences=train.sequences[:5] + test.sequences[5:],
        y=test.y,
        logits=test.logits,
    )
    splits = {"train": train, "test": leaked}
    audit = privacy(AssessInputs("binary", "dna", ("1",), splits), n_boot=0).values["membership"]
    assert audit["n_copies_dropped"] == 5
    assert audit["n_non_members"] == audit["n_members"] == 15


def test_without_test_the_validation_split_is_used_and_said() -> None:
    item = privacy(_binary_inputs(np.zeros(10), np.ones(10), split="valid"), n_boot=0)
    audit = item.values["membership"]
    assert audit["non_member_split"] == "valid"
    assert "early stopping" in audit["non_member_note"]
    assert "early stopping" in item.summary


def test_no_held_out_split_is_not_assessed() -> None:
    view = _view("m", np.zeros((4, 1)), np.ones((4, 1)), seed=1)
    item = privacy(AssessInputs("binary", "dna", ("1",), {"train": view}))
    assert item.values["membership"]["flag"] == "not_assessed"
    assert item.values["storage"]["flag"] == "not_assessed"  # no run directory
    assert item.flag == "not_assessed"


def test_classify_file() -> None:
    assert classify_file("model.safetensors")[0] == "weights"
    assert classify_file("checkpoints/best.safetensors")[0] == "checkpoint"
    assert classify_file("model.json")[0] == "metadata"
    assert classify_file("splits.tsv.gz")[2] is True
    assert classify_file("predictions.tsv")[2] is True
    assert classify_file("metrics.json")[0] == "aggregate"
    assert classify_file("logs/train.log")[0] == "log"
    assert classify_file("mystery.bin")[0] == "other"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_run(tmp_path_factory.mktemp("privacy"))


def test_storage_lists_the_real_files_of_a_run(run: Path, tmp_path: Path) -> None:
    inputs = load_inputs(run)
    train = inputs.splits["train"].sequences
    storage = run_storage(run, train)
    on_disk = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}
    listed = {f["path"]: f for f in storage["files"]}
    assert set(listed) == on_disk
    assert storage["count"] == len(on_disk)
    assert listed["model.safetensors"]["class"] == "weights"
    assert listed["model.json"]["class"] == "metadata"
    assert listed["model.json"]["bytes"] == (run / "model.json").stat().st_size
    assert listed["splits.tsv.gz"]["per_example"]
    assert listed["predictions.tsv"]["per_example"]
    assert set(storage["examples"]) == {"splits.tsv.gz", "predictions.tsv"}
    assert storage["flag"] == "green"
    assert storage["n_searched"] > 0
    assert not storage["with_sequences"]
    assert "SHA-256" in storage["summary"]
    assert "splits.tsv.gz" in storage["summary"]
    # a copy of the run with a training sequence written into it is amber
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    long = max(train, key=len)
    (copy / "notes.txt").write_text(f"example\t{long}\n")
    planted = run_storage(copy, train)
    assert planted["flag"] == "amber"
    assert planted["with_sequences"] == ["notes.txt"]


def test_biodl_assess_includes_the_privacy_item(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "privacy" in ITEM_ORDER
    out = tmp_path / "assessment"
    assert main(["assess", "--model", str(run), "--out", str(out)]) == 0
    printed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line]
    assert "privacy" in printed
    data = json.loads((out / "assessment.json").read_text())
    assert data["order"].index("privacy") == len(ITEM_ORDER) - 2  # before provenance
    entry = data["privacy"]
    assert entry["flag"] in ("green", "amber", "red")
    audit = entry["membership"]
    assert audit["non_member_split"] == "test"
    assert audit["n_copies_dropped"] == 3  # the tiny run's three known leaks
    assert 0.0 <= audit["attacks"]["loss"]["auroc"]["value"] <= 1.0
    assert {f["path"] for f in entry["storage"]["files"]} >= {"model.json", "model.safetensors"}
    page = (out / "report.html").read_text()
    assert '<section id="privacy" class="check">' in page
    assert "loss-attack AUROC" in page
    assert "What the run directory stores" in page
    assert "Carlini" in page
    card = (out / "model_card.md").read_text()
    assert "| Privacy |" in card
