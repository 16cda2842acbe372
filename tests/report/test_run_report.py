"""The run report people read: findings first, learning curves, compact per-class tables,
no horizontal overflow; the run's flags in model.json and the model card's data sections."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from biodl.metrics import binary_metrics, multiclass_metrics
from biodl.report import plot_learning_curves, run_flags, write_run_report
from biodl.report.findings import GAP_THRESHOLD, Finding
from biodl.report.plots import read_epoch_log

ELEVEN = [f"class_{i}" for i in range(11)]


def _entry(value: float, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"value": value, "ci": None if lo is None else [lo, hi]}


def _binary_meta(epochs: int = 10, best: int = 5, monitor: str | None = "valid_loss") -> dict:
    return {
        "task": "binary",
        "labels": {"positive": "1", "negative": "0"},
        "training": {"epochs": epochs, "best_epoch": best, "monitor": monitor},
    }


def _eleven_metrics(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(11), 20)
    logits = rng.normal(size=(len(y), 11))
    logits[np.arange(len(y)), y] += 3.0
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return multiclass_metrics(y, p, classes=ELEVEN, n_bootstrap=20)


# --------------------------------------------------------------------------- run_flags


def test_a_gap_outside_the_test_interval_is_flagged() -> None:
    metrics = {
        "valid": {"auroc": _entry(0.87, 0.84, 0.90)},
        "test": {"auroc": _entry(0.996, 0.99, 1.0)},
    }
    flags = run_flags(_binary_meta(), metrics)
    assert [f.level for f in flags] == ["amber"]
    assert "0.126 above validation" in flags[0].message
    assert "easier" in flags[0].message


def test_a_gap_inside_the_interval_or_below_the_threshold_is_not() -> None:
    wide = {"valid": {"auroc": _entry(0.80)}, "test": {"auroc": _entry(0.88, 0.70, 0.89)}}
    assert run_flags(_binary_meta(), wide) == []
    small = 0.9 + GAP_THRESHOLD * 0.9
    close = {"valid": {"auroc": _entry(0.9)}, "test": {"auroc": _entry(small, 0.94, 0.95)}}
    assert run_flags(_binary_meta(), close) == []
    below = {"valid": {"auroc": _entry(0.95)}, "test": {"auroc": _entry(0.85, 0.83, 0.87)}}
    (flag,) = run_flags(_binary_meta(), below)
    assert "below validation" in flag.message


def test_single_class_predictions_binary_and_multiclass() -> None:
    y = np.array([0, 1] * 20)
    m = binary_metrics(y, np.full(40, 0.2), threshold=0.5, n_bootstrap=0)
    flags = run_flags(_binary_meta(), {"test": m})
    assert any(f.level == "red" and "predicted '0'" in f.message for f in flags), flags
    all_positive = binary_metrics(y, np.full(40, 0.9), threshold=0.5, n_bootstrap=0)
    assert any(
        "predicted '1'" in f.message for f in run_flags(_binary_meta(), {"valid": all_positive})
    )
    varied = binary_metrics(y, np.linspace(0.1, 0.9, 40), threshold=0.5, n_bootstrap=0)
    assert not any("predicted" in f.message for f in run_flags(_binary_meta(), {"test": varied}))

    meta = {"task": "multiclass", "labels": {"classes": ["EI", "IE", "N"]}}
    conf = {"value": [[0, 0, 10], [0, 0, 12], [0, 0, 30]]}
    flags = run_flags(meta, {"test": {"confusion": conf}})
    expected = (
        "Every test example (52) is predicted 'N' (at the largest score): the model has not "
        "learned to tell the classes apart."
    )
    assert [f.message for f in flags if f.level == "red"] == [expected]


def test_classes_never_predicted_are_amber() -> None:
    meta = {"task": "multiclass", "labels": {"classes": ["a", "b", "c"]}}
    split = {
        "confusion": {"value": [[8, 2, 0], [1, 9, 0], [3, 2, 0]]},
        "n_per_class": {"value": {"a": 10, "b": 10, "c": 5}},
    }
    (flag,) = run_flags(meta, {"test": split})
    assert flag == Finding(
        "amber",
        "1 of 3 classes are never predicted on test although present (test examples): c (5).",
    )


def test_epoch_flags() -> None:
    last = run_flags(_binary_meta(epochs=30, best=29), {})
    assert [f.message.split(":")[0] for f in last] == [
        "Best validation loss at the last epoch (30 of 30)"
    ]
    assert "more epochs may help" in last[0].message
    first = run_flags(_binary_meta(epochs=6, best=0, monitor="valid_auroc"), {})
    assert first[0].message.startswith("Best validation AUROC at epoch 1 of 6")
    assert "memorisation" in first[0].message
    assert run_flags(_binary_meta(epochs=3, best=0), {}) == []  # too few epochs to tell
    assert run_flags(_binary_meta(epochs=10, best=5), {}) == []
    assert run_flags(_binary_meta(epochs=10, best=9, monitor=None), {}) == []  # no validation


def test_chance_undefined_and_wide_intervals() -> None:
    flags = run_flags(_binary_meta(), {"test": {"auroc": _entry(0.55, 0.45, 0.66)}})
    assert [f.level for f in flags] == ["red", "amber"]
    assert "no better than chance (0.5)" in flags[0].message
    assert "too small" in flags[1].message
    (undefined,) = run_flags(_binary_meta(), {"test": {"auroc": {"value": None, "ci": None}}})
    assert "undefined" in undefined.message
    meta = {"task": "multiclass", "labels": {"classes": ["a", "b"]}}
    split = {"accuracy": _entry(0.6, 0.58, 0.62), "n_per_class": {"value": {"a": 70, "b": 30}}}
    (chance,) = run_flags(meta, {"test": split})
    assert "always predicting 'a'" in chance.message


# --------------------------------------------------------------------------- figures


def test_learning_curves_from_the_lightning_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "metrics.csv"
    log.parent.mkdir()
    log.write_text(
        "epoch,step,train_loss,valid_auroc,valid_loss\n"
        "0,9,,0.61,0.69\n0,9,0.70,,\n1,19,,0.72,0.62\n1,19,0.55,,\n2,29,,0.70,0.64\n2,29,0.45,,\n"
    )
    curves = read_epoch_log(log)
    assert curves == {
        "train_loss": [0.70, 0.55, 0.45],
        "valid_auroc": [0.61, 0.72, 0.70],
        "valid_loss": [0.69, 0.62, 0.64],
    }
    png = plot_learning_curves(curves, tmp_path / "lc.png", best_epoch=1)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert read_epoch_log(tmp_path / "missing.csv") == {}
    with pytest.raises(ValueError, match="needs"):
        plot_learning_curves({"lr": [0.1]}, tmp_path / "x.png")

    from biodl.workflows.common import learning_curve_image

    meta: dict[str, Any] = {
        "task": "binary",
        "training": {"best_epoch": 1, "monitor": "valid_loss"},
    }
    (caption, path), *_ = learning_curve_image(tmp_path, meta).items()
    assert caption.startswith("Learning curves")
    assert path == tmp_path / "learning_curves.png"
    assert path.is_file()
    # no log: the monitored history of model.json
    other = tmp_path / "other"
    other.mkdir()
    meta["training"]["history"] = [0.7, 0.6, 0.65]
    assert (other / "learning_curves.png") in learning_curve_image(other, meta).values()
    assert learning_curve_image(tmp_path / "none", {"training": {}}) == {}


# --------------------------------------------------------------------------- the page


def _page(tmp_path: Path, **kwargs: Any) -> str:
    defaults: dict[str, Any] = {"title": "t", "summary": {"model": "m"}, "images": {}}
    return write_run_report(tmp_path / "report.html", **{**defaults, **kwargs}).read_text(
        encoding="utf-8"
    )


def test_the_page_leads_with_the_headline_and_the_flags(tmp_path: Path) -> None:
    metrics = {
        "valid": {"auroc": _entry(0.87, 0.84, 0.90), "n": {"value": 100}},
        "test": {"auroc": _entry(0.996, 0.99, 1.0), "n": {"value": 200}},
    }
    flags = run_flags(_binary_meta(epochs=5, best=4), metrics)
    png = plot_learning_curves({"valid_loss": [0.7, 0.6]}, tmp_path / "lc.png", best_epoch=1)
    text = _page(
        tmp_path,
        metrics=metrics,
        findings=flags,
        headline="auroc",
        images={"Learning curves": png},
        notes=["a note"],
    )
    lead = text.index('<p class="lead">')
    assert "Test AUROC: <strong>0.996</strong> [0.990, 1.000] (95 % CI) on 200 examples" in text
    assert "valid 0.870" in text
    assert text.count('class="flag flag-amber"') == 2
    figures, metrics_at = text.index("<h2>Figures</h2>"), text.index("<h2>Metrics</h2>")
    raw = text.index("<summary>Raw values")
    assert lead < figures < metrics_at < text.index("<h2>Notes</h2>") < raw
    assert "chance a positive scores above a negative" in text  # meaning of the row
    assert text.index("</details>") > text.index("0.996 [0.990, 1.000]</td>")  # raw collapsed
    green = _page(tmp_path, metrics=metrics, findings=[])
    assert 'class="flag flag-green"' in green
    unchecked = _page(tmp_path, metrics=metrics)  # findings=None: no flag block at all
    assert '<p class="flag' not in unchecked
    assert '<li class="flag' not in unchecked


def test_per_class_metrics_are_one_compact_table_for_eleven_classes(tmp_path: Path) -> None:
    metrics = {"valid": _eleven_metrics(0), "test": _eleven_metrics(1)}
    text = _page(tmp_path, metrics=metrics, headline="accuracy")
    tables = re.findall(r'<table class="per-class">.*?</table>', text, flags=re.DOTALL)
    assert len(tables) == 2  # test shown, valid collapsed
    test_table = tables[0]
    assert test_table.count("<tr>") == 1 + 11  # header + one row per class
    assert re.findall(r'<th scope="col">([^<]+)</th>', test_table) == [
        "Class",
        "Precision",
        "Recall",
        "F1",
        "Error %",
        "AUROC (one-vs-rest)",
        "Examples",
    ]
    assert '<th scope="row">class_10</th>' in test_table
    assert text.index("<h3>Per class (test)</h3>") < text.index("<summary>Per class (valid)")
    readable = re.search(r'<table class="readable">.*?</table>', text, flags=re.DOTALL)
    assert readable is not None
    assert "class_" not in readable.group(0)
    assert readable.group(0).count("<tr>") < 12


def test_no_horizontal_overflow_by_construction(tmp_path: Path) -> None:
    metrics = {"valid": _eleven_metrics(0), "test": _eleven_metrics(1)}
    curves = {"valid_loss": [0.7, 0.6], "valid_auroc": [0.6, 0.7]}  # two panels
    png = plot_learning_curves(curves, tmp_path / "lc.png")
    text = _page(
        tmp_path,
        metrics=metrics,
        images={"Learning curves": png},
        summary={"versions": "x" * 400},
    )
    n_tables = text.count("<table")
    assert n_tables >= 4
    # every table sits directly in its own horizontally scrolling box
    assert text.count('<div class="scroll">\n<table') == n_tables
    assert ".scroll { overflow-x: auto; max-width: 100%; }" in text
    assert "img { max-width: 100%; height: auto; }" in text
    assert "overflow-wrap: anywhere" in text  # long unbroken values wrap
    # a wide figure (the learning curves, 1104 px) is never wider than the page
    assert 'class="wide" style="max-width: min(100%, 1104px)"' in text


# --------------------------------------------------------------------------- a trained run


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from biodl.testing.assess_runs import tiny_run

    return tiny_run(tmp_path_factory.mktemp("run"), task="regression")


@pytest.mark.usefixtures("one_torch_thread")
def test_a_trained_run_records_its_flags_and_card(regression_run: Path) -> None:
    from biodl.runs import load_run

    meta = json.loads((regression_run / "model.json").read_text())
    assert isinstance(meta["flags"], list)
    assert all(set(f) == {"level", "message"} for f in meta["flags"])
    card = meta["model_card"]
    assert [Path(f["path"]).name for f in card["training_data"]] == ["train.tsv"]
    assert [Path(f["path"]).name for f in card["evaluation_data"]] == ["test.tsv"]
    assert card["evaluation_split"] == "separate test files"
    for flag in meta["flags"]:
        assert f"[{flag['level']}] {flag['message']}" in card["caveats"]
    info = load_run(regression_run).info
    assert info is not None
    assert info.flags == meta["flags"]
    html = (regression_run / "report.html").read_text()
    assert "Learning curves" in html
    assert (regression_run / "learning_curves.png").is_file()
    assert '<section class="finding">' in html


@pytest.mark.usefixtures("one_torch_thread")
def test_the_assessment_card_puts_test_files_under_evaluation(regression_run: Path) -> None:
    from biodl.assess import load_inputs, provenance

    card = provenance(load_inputs(regression_run)).values["model_card"]
    assert "test.tsv" in card["evaluation_data"]
    assert "test.tsv" not in card["training_data"]
    assert "train.tsv" in card["training_data"]


def test_an_old_run_card_reads_the_test_files_from_config_yaml() -> None:
    from biodl.assess.provenance import _files_by_role

    files = [{"path": "/d/train.tsv"}, {"path": "/d/test.fa"}, {"path": "/d/labels.tsv"}]
    config = {"data": {"train": {"table": "/d/train.tsv"}, "test": {"fasta": "/d/test.fa"}}}
    assert _files_by_role({}, files, config) == (["train.tsv", "labels.tsv"], ["test.fa"])
    recorded = {"training_data": [files[0]], "evaluation_data": [files[1]]}
    assert _files_by_role(recorded, files, {}) == (["train.tsv"], ["test.fa"])
