"""The decision threshold: chosen on validation, recorded with the run, used everywhere."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from biodl.assess import load_inputs
from biodl.config import config_to_dict, load_config, parse_config
from biodl.errors import ConfigError
from biodl.metrics import binary_metrics, multilabel_metrics
from biodl.runs import load_run
from biodl.tasks import (
    Binary,
    Multilabel,
    Regression,
    choose_threshold,
    task_from_meta,
    threshold_problem,
)
from biodl.testing import planted_motif_dataset, write_table_file
from biodl.testing.assess_runs import write_assess_data
from biodl.workflows import evaluate_run, metrics_table, predict_file, train_run
from tests.conftest import base_config

# -- choose_threshold on analytic vectors ----------------------------------------------

Y = [0, 0, 1, 1]
S = [0.1, 0.4, 0.35, 0.8]


def test_analytic_cuts_for_each_rule() -> None:
    # cuts (lowest score called positive): 0.8 -> TP 1 FP 0: MCC 1/sqrt(3), F1 2/3, J 1/2
    # 0.4 -> TP 1 FP 1: MCC 0, F1 1/2, J 0; 0.35 -> TP 2 FP 1: MCC 1/sqrt(3), F1 4/5,
    # J 1/2; 0.1 -> all positive: MCC 0, F1 2/3, J 0.
    # MCC and J tie 0.8 (gap (0.4, 0.8], holds 0.5) with 0.35 (gap (0.1, 0.35]): 0.5.
    assert choose_threshold(Y, S, rule="mcc") == 0.5
    assert choose_threshold(Y, S, rule="youden") == 0.5
    # F1 is best at 0.35: shortest decimals of (0.1, 0.35] are 0.2, 0.3; nearest 0.5: 0.3
    assert choose_threshold(Y, S, rule="f1") == 0.3


def test_threshold_sits_in_the_best_gap_as_a_short_decimal() -> None:
    # separable at a gap (0.2, 0.25]: every rule picks it, as its shortest decimal
    y, s = [0, 0, 1, 1], [0.1, 0.2, 0.25, 0.9]
    for rule in ("mcc", "f1", "youden"):
        assert choose_threshold(y, s, rule=rule) == 0.25
    # the gap (0.123, 0.1234] holds no 3-digit decimal above 0.123: 0.1234
    assert choose_threshold([0, 1], [0.123, 0.1234], rule="mcc") == 0.1234


def test_imbalanced_scores_below_one_half_get_a_low_threshold() -> None:
    # 1:3 and every score below 0.5: at 0.5 everything is negative (MCC 0)
    y = [0, 0, 0, 1, 0, 0, 0, 1]
    s = [0.05, 0.1, 0.2, 0.3, 0.12, 0.15, 0.22, 0.35]
    t = choose_threshold(y, s, rule="mcc")
    assert 0.22 < t <= 0.3
    m = binary_metrics(y, s, threshold=t, n_bootstrap=0)
    assert m["mcc"]["value"] == 1.0
    assert binary_metrics(y, s, threshold=0.5, n_bootstrap=0)["mcc"]["value"] == 0.0


def test_ties_in_scores_form_one_cut_and_unknown_truth_is_left_out() -> None:
    y = [0, 1, 1, float("nan"), 0]
    s = [0.3, 0.3, 0.9, 0.0, 0.1]
    # the NaN at 0.0 is left out; the tied 0.3s are one cut. Youden's J: cut 0.9 ->
    # 1/2 - 0; cut 0.3 -> 1 - 1/2; cut 0.1 -> 0. The tie's gap (0.3, 0.9] holds 0.5
    assert choose_threshold(y, s, rule="youden") == 0.5
    # F1: cut 0.9 -> 2/3, cut 0.3 -> 4/5, cut 0.1 -> 2/3: gap (0.1, 0.3] -> 0.2, 0.3
    assert choose_threshold(y, s, rule="f1") == 0.3


@pytest.mark.parametrize(
    ("truth", "reason"),
    [
        ([], "there are no validation data"),
        ([0, 0], "the validation data have negatives only"),
        ([1, float("nan")], "the validation data have positives only"),
    ],
)
def test_degenerate_validation_keeps_one_half(truth: list[float], reason: str) -> None:
    assert threshold_problem(truth) == reason
    assert choose_threshold(truth, [0.9] * len(truth), rule="mcc") == 0.5


@pytest.mark.parametrize("rule", ["mcc", "f1", "youden"])
def test_chosen_threshold_is_best_over_every_cut(rule: Any) -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        n = int(rng.integers(2, 12))
        y = rng.integers(0, 2, n)
        if y.min() == y.max():
            continue
        s = np.round(rng.random(n), 1)  # many ties
        t = choose_threshold(y, s, rule=rule)
        assert 0.0 <= t <= 1.0

        def value(cut: float, y: np.ndarray = y, s: np.ndarray = s) -> float:
            called = s >= cut
            tp, fp = (called & (y == 1)).sum(), (called & (y == 0)).sum()
            fn, tn = ((~called) & (y == 1)).sum(), ((~called) & (y == 0)).sum()
            if rule == "f1":
                return 2 * tp / (2 * tp + fp + fn)
            if rule == "youden":
                return tp / (tp + fn) - fp / (fp + tn)
            d = np.sqrt(float((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
            return 0.0 if d == 0 else float(tp * tn - fp * fn) / d

        best = max(value(c) for c in np.unique(s))
        assert value(t) == pytest.approx(best, abs=1e-12)


def test_unknown_rule_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown threshold rule"):
        choose_threshold(Y, S, rule="best")  # type: ignore[arg-type]


# -- tasks -----------------------------------------------------------------------------


def test_binary_threshold_round_trips_and_old_runs_load_at_one_half() -> None:
    task = Binary(positive="1", negative="0").with_threshold(0.37)
    meta = task.to_meta()
    assert meta["threshold"] == 0.37
    assert task_from_meta(meta) == task
    old = {k: v for k, v in meta.items() if k != "threshold"}
    assert task_from_meta(old).threshold == 0.5
    assert task_from_meta(meta, threshold=0.2).threshold == 0.2
    chosen, notes = Binary(positive="1", negative="0").choose_threshold(
        np.array(Y), np.array(S), rule="f1"
    )
    assert (chosen.threshold, notes) == (0.3, ())
    assert chosen.metrics(np.array(Y), np.array(S), n_bootstrap=0, ci=0.95, seed=0)[
        "threshold"
    ] == {"value": 0.3, "ci": None}


def test_multilabel_has_one_threshold_per_output() -> None:
    task = Multilabel(["a", "b"])
    assert task.thresholds == (0.5, 0.5)
    assert task.threshold == 0.5
    truth = np.array([[0, 0], [0, 1], [1, float("nan")], [1, 1]], dtype=np.float64)
    scores = np.array([[0.1, 0.6], [0.4, 0.7], [0.35, 0.2], [0.8, 0.9]])
    chosen, notes = task.choose_threshold(truth, scores, rule="f1")
    # a: as Y/S above; b: known (0, 1, 1) at (0.6, 0.7, 0.9): gap (0.6, 0.7] -> 0.7
    assert chosen.thresholds == (0.3, 0.7)
    assert chosen.threshold is None
    assert notes == ()
    meta = chosen.to_meta()
    assert meta["threshold"] == [0.3, 0.7]
    assert task_from_meta(meta) == chosen
    assert task_from_meta({k: v for k, v in meta.items() if k != "threshold"}) == task
    m = chosen.metrics(truth, scores, n_bootstrap=0, ci=0.95, seed=0)
    want_b = multilabel_metrics(truth, scores, outputs=["a", "b"], threshold=0.7, n_bootstrap=0)
    assert m["threshold[b]"]["value"] == 0.7
    assert m["accuracy[b]"]["value"] == want_b["accuracy[b]"]["value"] == 1.0
    one_class = np.array([[0, 1], [1, 1]], dtype=np.float64)
    _, notes = task.choose_threshold(one_class, np.array([[0.2, 0.3], [0.7, 0.9]]), rule="mcc")
    assert notes == ("output b: the validation data have positives only: threshold 0.5",)


def test_per_position_outputs_pool_positions() -> None:
    task = Multilabel(["a"], per_position=True)
    truth = np.array([[[0, 1, float("nan")]], [[0, 1, 1]]])
    scores = np.array([[[0.1, 0.6, 0.0]], [[0.2, 0.8, 0.9]]])
    chosen, _ = task.choose_threshold(truth, scores, rule="mcc")
    assert chosen.thresholds == (0.5,)  # gap (0.2, 0.6] holds 0.5


def test_tasks_without_threshold_ignore_it() -> None:
    task = Regression(["y"])
    assert task.thresholds is None
    assert task.with_threshold(0.3) == task
    assert task.choose_threshold(np.zeros((2, 1)), np.zeros((2, 1)), rule="mcc") == (task, ())


# -- configuration ---------------------------------------------------------------------


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return load_config(path)


CONFIG = """\
task: binary
data:
  train: {table: t.tsv, sequence: seq, label: Bound}
model: {name: deepbind}
"""


def test_default_is_mcc_and_values_round_trip(tmp_path: Path) -> None:
    assert _load(tmp_path, CONFIG).train.threshold == "mcc"
    for value in ("0.3", "f1", "youden", "mcc"):
        config = _load(tmp_path, CONFIG + f"train:\n  threshold: {value}\n")
        again = parse_config(config_to_dict(config), base_dir=tmp_path)
        assert again.train.threshold == config.train.threshold
        assert str(config.train.threshold) == value


@pytest.mark.parametrize("value", ["1.5", "0", "best", "'0.5'", "true"])
def test_bad_threshold_is_one_line_naming_the_line(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, CONFIG + f"train:\n  seed: 1\n  threshold: {value}\n")
    assert info.value.line == 7
    assert "train.threshold" in str(info.value)
    assert "\n" not in str(info.value)
    assert "mcc, f1, youden" in str(info.value)


def test_evaluate_threshold_is_the_older_spelling(tmp_path: Path) -> None:
    config = _load(tmp_path, CONFIG + "evaluate:\n  threshold: 0.3\n")
    assert config.train.threshold == 0.3
    assert config.evaluate.threshold is None
    assert config_to_dict(config)["train"]["threshold"] == 0.3
    with pytest.raises(ConfigError, match="given twice") as info:
        _load(tmp_path, CONFIG + "train:\n  threshold: f1\nevaluate:\n  threshold: 0.3\n")
    assert info.value.line == 8


def test_threshold_is_for_binary_outputs(tmp_path: Path) -> None:
    text = CONFIG.replace("binary", "regression").replace("Bound}", "[y]}")
    config = _load(tmp_path, text)
    assert "threshold" not in config_to_dict(config)["train"]
    with pytest.raises(ConfigError, match="binary and multilabel") as info:
        _load(tmp_path, text + "train:\n  threshold: mcc\n")
    assert info.value.line == 6


# -- a run, end to end -----------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _accuracy(rows: list[dict[str, str]], threshold: float) -> float:
    right = [(float(r["score"]) >= threshold) == (r["target"] == "1") for r in rows]
    return sum(right) / len(right)


@pytest.fixture(scope="module")
def imbalanced_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A run on a 1:4 planted-motif set, its threshold chosen by MCC on validation."""
    folder = tmp_path_factory.mktemp("imbalanced")
    seqs, labels = planted_motif_dataset(48, 192, length=50, seed=11)
    write_table_file(folder / "train.tsv", seqs, labels)
    tseqs, tlabels = planted_motif_dataset(16, 64, length=50, seed=12)
    write_table_file(folder / "test.tsv", tseqs, tlabels, ids=[f"t{i}" for i in range(80)])
    config = base_config()
    config["data"]["train"] = {"table": "train.tsv", "sequence": "seq", "label": "Bound"}
    config["data"]["test"] = {"table": "test.tsv", "sequence": "seq", "label": "Bound", "id": "id"}
    config["train"]["max_epochs"] = 3
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return train_run(path, folder / "run").out, path


def test_run_records_and_uses_its_threshold(imbalanced_run: tuple[Path, Path]) -> None:
    run, config_path = imbalanced_run
    meta = json.loads((run / "model.json").read_text())
    t = meta["threshold"]
    assert isinstance(t, float)
    assert 0.0 <= t <= 1.0
    assert (meta["threshold_rule"], meta["threshold_chosen_on"]) == ("mcc", "valid")
    assert load_run(run).meta["threshold"] == t
    metrics = json.loads((run / "metrics.json").read_text())
    rows = _rows(run / "predictions.tsv")
    for split in ("valid", "test"):
        assert metrics[split]["threshold"]["value"] == t
        split_rows = [r for r in rows if r["split"] == split]
        assert metrics[split]["accuracy"]["value"] == _accuracy(split_rows, t)
    # the validation MCC at the chosen threshold is at least that at 0.5
    valid = [r for r in rows if r["split"] == "valid"]
    y = [int(r["target"]) for r in valid]
    s = [float(r["score"]) for r in valid]
    at_half = binary_metrics(y, s, threshold=0.5, n_bootstrap=0)["mcc"]["value"]
    assert metrics["valid"]["mcc"]["value"] >= at_half - 1e-9
    assert "Decision threshold" in (run / "report.html").read_text()
    assert metrics_table(metrics).splitlines()[3].startswith("threshold")
    # assess scores through the run's task, at the recorded threshold
    assert load_inputs(run).task_kind.threshold == t

    # predict: `predicted` is the positive label exactly where score >= threshold
    test = load_config(config_path).resolve("test.tsv")
    out = predict_file(run, test, run.parent / "pred.tsv", sequence_column="seq").out
    predicted = _rows(out)
    assert len(predicted) == 80
    for r in predicted:
        assert r["predicted"] == ("1" if float(r["score"]) >= t else "0")

    # evaluate: the run's threshold; metrics agree with predictions.tsv exactly
    ev = evaluate_run(run, config_path, out=run.parent / "ev").out
    ev_metrics = json.loads((ev / "metrics.json").read_text())
    ev_rows = _rows(ev / "predictions.tsv")
    for split in ("valid", "test"):
        assert ev_metrics[split]["threshold"]["value"] == t
        split_rows = [r for r in ev_rows if r["split"] == split]
        assert ev_metrics[split]["accuracy"]["value"] == _accuracy(split_rows, t)
    # a number in the configuration overrides the run's threshold
    fixed = yaml.safe_load(config_path.read_text())
    fixed["train"]["threshold"] = 0.5
    fixed_path = config_path.with_name("fixed.yaml")
    fixed_path.write_text(yaml.safe_dump(fixed))
    ev2 = evaluate_run(run, fixed_path, out=run.parent / "ev2", splits=("test",)).out
    ev2_metrics = json.loads((ev2 / "metrics.json").read_text())["test"]
    assert ev2_metrics["threshold"]["value"] == 0.5
    test_rows = [r for r in _rows(ev2 / "predictions.tsv") if r["split"] == "test"]
    assert ev2_metrics["accuracy"]["value"] == _accuracy(test_rows, 0.5)


def test_old_run_without_threshold_loads_at_one_half(
    imbalanced_run: tuple[Path, Path], tmp_path: Path
) -> None:
    run, config_path = imbalanced_run
    old = tmp_path / "old"
    shutil.copytree(run, old)
    meta = json.loads((old / "model.json").read_text())
    for key in ("threshold", "threshold_rule", "threshold_chosen_on"):
        del meta[key]
    (old / "model.json").write_text(json.dumps(meta))
    loaded = load_run(old)
    assert "threshold" not in loaded.meta
    assert task_from_meta(loaded.meta).threshold == 0.5
    test = load_config(config_path).resolve("test.tsv")
    out = predict_file(old, test, tmp_path / "p.tsv", sequence_column="seq").out
    for r in _rows(out):
        assert r["predicted"] == ("1" if float(r["score"]) >= 0.5 else "0")


def test_multilabel_run_records_one_threshold_per_output(tmp_path: Path) -> None:
    config_path = write_assess_data(tmp_path, task="multilabel", seed=3)
    config = yaml.safe_load(config_path.read_text())
    config["train"].update(max_epochs=2, threshold="f1")
    config_path.write_text(yaml.safe_dump(config))
    run = train_run(config_path, tmp_path / "run").out
    meta = json.loads((run / "model.json").read_text())
    task = task_from_meta(meta)
    assert isinstance(task, Multilabel)
    assert meta["threshold"] == list(task.thresholds)
    assert len(meta["threshold"]) == len(task.outputs)
    assert meta["threshold_rule"] == "f1"
    ev = evaluate_run(run, config_path, out=tmp_path / "ev").out
    metrics = json.loads((ev / "metrics.json").read_text())
    rows = [r for r in _rows(ev / "predictions.tsv") if r["split"] == "test"]
    for o, t in zip(task.outputs, task.thresholds, strict=True):
        assert metrics["test"][f"threshold[{o}]"]["value"] == t
        known = [r for r in rows if r[f"true_{o}"] != "NA"]
        right = [(float(r[f"pred_{o}"]) >= t) == (r[f"true_{o}"] == "1") for r in known]
        assert metrics["test"][f"accuracy[{o}]"]["value"] == sum(right) / len(right)
