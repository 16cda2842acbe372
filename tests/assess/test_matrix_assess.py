"""``biodl assess`` on expression-matrix models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torch import nn

from biodl.assess import AssessInputs, SplitView, data_quantity, leakage, representation


def _view(X: np.ndarray, y: list[int], prefix: str) -> SplitView:
    n = len(X)
    return SplitView(
        ids=tuple(f"{prefix}{i}" for i in range(n)),
        sequences=("",) * n,
        y=np.asarray(y, dtype=np.float64).reshape(-1, 1),
        features=np.asarray(X, dtype=np.float32),
    )


def test_7000_gene_mlp_on_38_samples_is_red() -> None:
    rng = np.random.default_rng(0)
    train = _view(rng.normal(size=(38, 7000)), [i % 2 for i in range(38)], "s")
    model = nn.Sequential(nn.Flatten(), nn.Linear(7000, 32), nn.ReLU(), nn.Linear(32, 1))
    inputs = AssessInputs("binary", "matrix", ("AML",), {"train": train}, model=model)
    item = data_quantity(inputs)
    assert item.flag == "red"
    assert item.values["n_train_unique"] == 38
    assert item.values["n_features"] == 7000
    assert item.values["n_parameters"] == 7000 * 32 + 32 + 32 + 1
    assert "samples" in item.summary


def test_duplicate_samples_across_splits_are_flagged() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 5))
    T = rng.normal(size=(6, 5))
    T[2] = X[7]  # a test sample that is a training sample
    meta = {"matrix": {"fitted_on": "train split (20 samples)", "steps": [{"select": {}}]}}
    inputs = AssessInputs(
        "binary",
        "matrix",
        ("1",),
        {"train": _view(X, [i % 2 for i in range(20)], "r"), "test": _view(T, [0, 1] * 3, "t")},
        meta=meta,
    )
    item = leakage(inputs, metrics_bootstrap=0)
    assert item.flag == "red"
    assert item.values["exact"]["test_count"] == 1
    assert item.values["exact"]["examples"][0]["test_id"] == "t2"
    assert item.values["exact"]["examples"][0]["train_id"] == "r7"
    assert item.values["selection"]["flag"] == "green"
    assert item.values["homology"]["reason"] == "not applicable to matrices"
    assert "t2" not in item.values["clean_test_ids"]
    # selection fitted on more samples than the training split: red
    wrong = AssessInputs(
        "binary",
        "matrix",
        ("1",),
        {"train": _view(X, [i % 2 for i in range(20)], "r")},
        meta={"matrix": {"fitted_on": "all samples (26 samples)", "steps": [{"select": {}}]}},
    )
    assert leakage(wrong).values["selection"]["flag"] == "red"


def test_adversarial_auroc_on_features_sees_a_batch_shift() -> None:
    rng = np.random.default_rng(2)
    train = _view(rng.normal(size=(60, 8)), [i % 2 for i in range(60)], "r")
    shifted = rng.normal(size=(60, 8))
    shifted[:, 0] += 3.0
    test = _view(shifted, [i % 2 for i in range(60)], "t")
    inputs = AssessInputs("binary", "matrix", ("1",), {"train": train, "test": test})
    item = representation(inputs, n_bootstrap=50)
    assert item.flag == "red"
    assert item.values["shift"]["auroc"] > 0.9
    assert item.values["shift"]["ci"] is not None
    assert item.values["composition"]["not_applicable"].startswith("not applicable")


def test_assess_runs_end_to_end_on_a_tiny_matrix_run(tmp_path: Path) -> None:
    from biodl.workflows import train_run
    from biodl.workflows.assessment import assess_run
    from tests.test_matrix import _config, _matrix

    mpath, lpath = _matrix(tmp_path)
    run = train_run(_config(tmp_path, mpath, lpath, epochs=5), tmp_path / "run")
    result = assess_run(run.out, tmp_path / "assess", data=[mpath])
    a = result.assessment
    assert a.item("data_quantity").flag in ("red", "amber", "green")
    assert "samples" in a.item("data_quantity").summary
    leak = a.item("leakage")
    assert leak.flag != "not_assessed"
    assert leak.values["selection"]["flag"] == "green"
    assert a.item("representation").values["shift"]["auroc"] is not None
    assert "not applicable to matrices" in a.item("noise").summary.lower()
    base = a.item("baseline")
    assert base.flag != "not_assessed"
    assert set(base.values["baselines"]) == {"logistic_regression", "linear_svm"}
    for item in a.items:  # nothing crashed into not_assessed
        assert "check failed" not in item.summary, (item.key, item.summary)
    assert (tmp_path / "assess" / "assessment.json").is_file()
