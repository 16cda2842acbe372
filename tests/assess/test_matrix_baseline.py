"""The baseline item on expression-matrix runs: logistic regression and a linear SVM on
the preprocessed features."""

from __future__ import annotations

import numpy as np

from biodl.assess import AssessInputs, SplitView, baseline


def _planted(n: int, rng: np.random.Generator, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Linear planted signal in features 0..2 of 10."""
    y = np.arange(n) % classes
    X = rng.normal(size=(n, 10))
    X[:, :3] += 2.0 * (y[:, None] if classes == 2 else np.eye(3)[y] * 1.5)
    return X.astype(np.float32), y.astype(np.float64)


def _view(X: np.ndarray, y: np.ndarray, prefix: str, logits: np.ndarray | None = None) -> SplitView:
    return SplitView(
        ids=tuple(f"{prefix}{i}" for i in range(len(X))),
        sequences=("",) * len(X),
        y=y.reshape(-1, 1),
        features=X,
        logits=logits,
    )


def _inputs(test_logits, *, classes: int = 2, seed: int = 0) -> tuple[AssessInputs, np.ndarray]:
    rng = np.random.default_rng(seed)
    splits = {}
    for name, n in (("train", 80), ("valid", 30), ("test", 60)):
        X, y = _planted(n, rng, classes)
        logits = test_logits(X, rng) if name == "test" else None
        splits[name] = _view(X, y, name[0], logits)
    task = "binary" if classes == 2 else "multiclass"
    outputs = ("1",) if classes == 2 else ("a", "b", "c")
    return AssessInputs(task, "matrix", outputs, splits, seed=seed), splits["test"].y


def test_binary_matrix_run_reports_both_linear_baselines() -> None:
    # a model no better than chance: both linear baselines beat it, red
    inputs, _ = _inputs(lambda X, rng: rng.normal(size=(len(X), 1)))
    item = baseline(inputs, n_boot=200)
    assert item.key == "baseline"
    assert item.flag == "red"
    v = item.values
    assert v["metric"] == "auroc"
    assert set(v["baselines"]) == {"logistic_regression", "linear_svm"}
    for entry in v["baselines"].values():
        assert entry["baseline"]["value"] > 0.85
        assert entry["difference"]["value"] < 0
        assert entry["flag"] == "red"
        assert entry["strength"] in (0.01, 0.1, 1.0)
    assert v["baselines"]["linear_svm"]["estimator"].startswith("linear SVM")
    assert v["best"] in v["baselines"]
    assert v["baseline"] == v["baselines"][v["best"]]["baseline"]
    assert "logistic regression" in item.summary
    assert "linear SVM" in item.summary
    assert v["n_train"] == 80
    assert v["n_test"] == 60


def test_a_model_equal_to_the_linear_signal_is_not_better_than_the_baselines() -> None:
    # the model's logit is the planted linear score itself: no better than linear, red
    inputs, _ = _inputs(lambda X, rng: X[:, :3].sum(axis=1, keepdims=True).astype(np.float64))
    item = baseline(inputs, n_boot=200)
    assert item.flag in ("red", "amber")
    assert item.values["model"]["value"] > 0.9


def test_a_model_far_above_the_baselines_is_green() -> None:
    # the model "knows" the labels (a leak the linear baselines cannot see): green
    def oracle(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        y = np.arange(len(X)) % 2
        return (4.0 * y - 2.0 + 0.1 * rng.normal(size=len(X))).reshape(-1, 1)

    rng = np.random.default_rng(3)
    X, y = _planted(60, rng)
    Xn = rng.normal(size=X.shape).astype(np.float32)  # test features carry no signal
    inputs, _ = _inputs(oracle)
    splits = dict(inputs.splits)
    splits["test"] = _view(Xn, y, "t", oracle(Xn, rng))
    item = baseline(AssessInputs("binary", "matrix", ("1",), splits), n_boot=200)
    assert item.flag == "green"
    assert item.values["difference"]["ci"][0] > 0


def test_multiclass_matrix_run_scores_both_baselines() -> None:
    inputs, _ = _inputs(lambda X, rng: rng.normal(size=(len(X), 3)), classes=3)
    item = baseline(inputs, n_boot=100)
    assert item.flag == "red"
    v = item.values
    assert v["metric"] == inputs.task_kind.headline
    for entry in v["baselines"].values():
        assert entry["baseline"]["value"] is not None
    assert set(v["mcc"]) == {"model", "logistic_regression", "linear_svm"}
    # the SVM's decision values become scores that sum to 1 per sample
    svm_mcc = v["mcc"]["linear_svm"]
    assert svm_mcc is not None
    assert svm_mcc > 0.3


def test_deterministic() -> None:
    a = baseline(_inputs(lambda X, rng: rng.normal(size=(len(X), 1)))[0], n_boot=50)
    b = baseline(_inputs(lambda X, rng: rng.normal(size=(len(X), 1)))[0], n_boot=50)
    assert a.values == b.values


def test_without_features_it_is_not_assessed() -> None:
    inputs, _ = _inputs(lambda X, rng: rng.normal(size=(len(X), 1)))
    splits = dict(inputs.splits)
    t = splits["train"]
    splits["train"] = SplitView(ids=t.ids, sequences=t.sequences, y=t.y)
    item = baseline(AssessInputs("binary", "matrix", ("1",), splits), n_boot=10)
    assert item.flag == "not_assessed"
    assert "preprocessed features" in item.summary


def test_core_runs_the_baseline_item_for_matrices() -> None:
    from biodl.assess.core import MATRIX_NOT_APPLICABLE

    assert "baseline" not in MATRIX_NOT_APPLICABLE
