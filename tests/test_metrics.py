"""Tests of biodl.metrics against scikit-learn, hand examples and degenerate inputs."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from biodl import metrics as bm

TOL = 1e-12


def _data(
    seed: int, n: int = 300, *, levels: int = 20, weights: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Labels, scores with many ties (``levels`` distinct values) and optional weights."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.round(np.clip(rng.normal(0.4 + 0.2 * y, 0.25), 0, 1) * levels) / levels
    w = rng.uniform(0.0, 3.0, n) if weights else None
    if w is not None:
        w[rng.random(n) < 0.1] = 0.0  # zero weights are ignored by scikit-learn's curves
    return y, s, w


CASES = [
    pytest.param(seed, levels, weights, id=f"seed{seed}-levels{levels}-w{int(weights)}")
    for seed, levels, weights in [
        (0, 20, False),
        (1, 5, False),
        (2, 1000000, False),
        (3, 20, True),
        (4, 3, True),
        (5, 1000000, True),
    ]
]


# --------------------------------------------------------------------------- vs sklearn


@pytest.mark.parametrize(("seed", "levels", "weights"), CASES)
def test_rank_metrics_match_sklearn(seed: int, levels: int, weights: bool) -> None:
    y, s, w = _data(seed, levels=levels, weights=weights)
    assert bm.auroc(y, s, w) == pytest.approx(skm.roc_auc_score(y, s, sample_weight=w), abs=TOL)
    expected_ap = skm.average_precision_score(y, s, sample_weight=w)
    assert bm.average_precision(y, s, w) == pytest.approx(expected_ap, abs=TOL)


@pytest.mark.parametrize(("seed", "levels", "weights"), CASES)
@pytest.mark.parametrize("drop", [True, False])
def test_roc_curve_matches_sklearn(seed: int, levels: int, weights: bool, drop: bool) -> None:
    y, s, w = _data(seed, levels=levels, weights=weights)
    got = bm.roc_curve(y, s, w, drop_intermediate=drop)
    expected = skm.roc_curve(y, s, sample_weight=w, drop_intermediate=drop)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL)


@pytest.mark.parametrize(("seed", "levels", "weights"), CASES)
@pytest.mark.parametrize("drop", [True, False])
def test_pr_curve_matches_sklearn(seed: int, levels: int, weights: bool, drop: bool) -> None:
    y, s, w = _data(seed, levels=levels, weights=weights)
    got = bm.precision_recall_curve(y, s, w, drop_intermediate=drop)
    expected = skm.precision_recall_curve(y, s, sample_weight=w, drop_intermediate=drop)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL)


@pytest.mark.parametrize(("seed", "levels", "weights"), CASES)
def test_confusion_and_mcc_match_sklearn(seed: int, levels: int, weights: bool) -> None:
    y, s, w = _data(seed, levels=levels, weights=weights)
    pred = (s >= 0.5).astype(int)
    counts = bm.confusion_counts(y, pred, w)
    expected = skm.confusion_matrix(y, pred, labels=[0, 1], sample_weight=w).ravel()
    np.testing.assert_allclose(tuple(counts), expected, rtol=0, atol=TOL)
    assert bm.mcc(y, pred, w) == pytest.approx(
        skm.matthews_corrcoef(y, pred, sample_weight=w), abs=TOL
    )


def test_mcc_zero_when_undefined() -> None:
    y = [0, 1, 0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = skm.matthews_corrcoef(y, [1, 1, 1, 1])
    assert bm.mcc(y, [1, 1, 1, 1]) == expected == 0.0
    assert bm.mcc([1, 1], [1, 1]) == 0.0


@pytest.mark.parametrize(("seed", "levels"), [(0, 20), (1, 2), (2, 1000000)])
def test_binary_metrics_point_values_match_sklearn(seed: int, levels: int) -> None:
    y, s, _ = _data(seed, levels=levels)
    m = bm.binary_metrics(y, s, threshold=0.5, n_bootstrap=0)
    pred = (s >= 0.5).astype(int)
    expected = {
        "auroc": skm.roc_auc_score(y, s),
        "auprc": skm.average_precision_score(y, s),
        "accuracy": skm.accuracy_score(y, pred),
        "mcc": skm.matthews_corrcoef(y, pred),
        "f1": skm.f1_score(y, pred),
        "sensitivity": skm.recall_score(y, pred),
        "specificity": skm.recall_score(y, pred, pos_label=0),
    }
    for name, value in expected.items():
        assert m[name]["value"] == pytest.approx(value, abs=TOL), name
        assert m[name]["ci"] is None
    assert m["n"] == {"value": len(y)}
    assert m["n_positive"] == {"value": int(np.sum(y))}


def test_bootstrap_resamples_match_sklearn() -> None:
    """Each bootstrap value equals scikit-learn on the resampled data set itself."""
    y, s, _ = _data(7, n=40, levels=8)
    yb = y.astype(bool)
    kernel = bm._ResampleKernel(yb, s, 0.5)
    n_boot = 25
    got = bm._bootstrap(kernel, len(y), n_bootstrap=n_boot, seed=3)
    # Same draws as _bootstrap (one chunk for small n): rank r is the r-th example when
    # ordered by cell, i.e. positives by decreasing score, then negatives by increasing score.
    draws = np.random.default_rng(3).integers(0, len(y), size=(n_boot, len(y)))
    pos, neg = np.flatnonzero(yb), np.flatnonzero(~yb)
    order = np.r_[pos[np.argsort(-s[pos], kind="stable")], neg[np.argsort(s[neg], kind="stable")]]
    for i in range(n_boot):
        idx = order[draws[i]]
        yi, si = y[idx], s[idx]
        pred = (si >= 0.5).astype(int)
        if 0 < yi.sum() < len(yi):
            assert got["auroc"][i] == pytest.approx(skm.roc_auc_score(yi, si), abs=TOL)
            assert got["auprc"][i] == pytest.approx(skm.average_precision_score(yi, si), abs=TOL)
        else:
            assert np.isnan(got["auroc"][i])
            assert np.isnan(got["auprc"][i])
        assert got["accuracy"][i] == pytest.approx(skm.accuracy_score(yi, pred), abs=TOL)
        assert got["mcc"][i] == pytest.approx(skm.matthews_corrcoef(yi, pred), abs=TOL)


# --------------------------------------------------------------------------- hand examples


def test_hand_example() -> None:
    y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    assert bm.auroc(y, s) == 0.75
    assert bm.average_precision(y, s) == pytest.approx(5 / 6, abs=TOL)
    m = bm.binary_metrics(y, s, n_bootstrap=0)
    assert m["auroc"] == {"value": 0.75, "ci": None}
    assert m["auprc"]["value"] == pytest.approx(5 / 6, abs=TOL)
    # threshold 0.5: only 0.8 is called positive -> TP=1, FP=0, FN=1, TN=2
    assert m["accuracy"]["value"] == 0.75
    assert m["sensitivity"]["value"] == 0.5
    assert m["specificity"]["value"] == 1.0
    assert m["f1"]["value"] == pytest.approx(2 / 3, abs=TOL)
    assert m["mcc"]["value"] == pytest.approx(1 / np.sqrt(3), abs=TOL)


def test_ties_count_one_half() -> None:
    assert bm.auroc([0, 1], [0.5, 0.5]) == 0.5
    assert bm.auroc([0, 0, 1, 1], [0.2, 0.6, 0.6, 0.9]) == pytest.approx(0.875)
    # all tied: one threshold step, precision = prevalence
    assert bm.average_precision([0, 1, 1, 0], [0.3] * 4) == 0.5


def test_threshold_is_inclusive() -> None:
    m = bm.binary_metrics([0, 1], [0.2, 0.5], threshold=0.5, n_bootstrap=0)
    assert m["sensitivity"]["value"] == 1.0
    assert m["accuracy"]["value"] == 1.0


def test_result_is_json_serialisable_with_python_types() -> None:
    y, s, _ = _data(11, n=200)
    m = bm.binary_metrics(y, s, n_bootstrap=50)
    assert list(m) == [
        "auroc",
        "auprc",
        "accuracy",
        "mcc",
        "f1",
        "sensitivity",
        "specificity",
        "precision",
        "n",
        "n_positive",
    ]
    json.dumps(m)
    for name, entry in m.items():
        if name in ("n", "n_positive"):
            assert set(entry) == {"value"}
            assert type(entry["value"]) is int
        else:
            assert set(entry) == {"value", "ci"}
            assert type(entry["value"]) is float
            assert all(type(x) is float for x in entry["ci"])


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_ci_contains_estimate_and_is_reproducible() -> None:
    y, s, _ = _data(12, n=500)
    a = bm.binary_metrics(y, s, n_bootstrap=300, seed=5)
    b = bm.binary_metrics(y, s, n_bootstrap=300, seed=5)
    c = bm.binary_metrics(y, s, n_bootstrap=300, seed=6)
    assert a == b
    assert a["auroc"]["ci"] != c["auroc"]["ci"]
    for name in ("auroc", "auprc", "accuracy", "mcc", "f1", "sensitivity", "specificity"):
        lo, hi = a[name]["ci"]
        assert lo <= a[name]["value"] <= hi, name
        assert lo < hi, name


def test_bootstrap_ci_narrows_with_level() -> None:
    y, s, _ = _data(13, n=400)
    wide = bm.binary_metrics(y, s, n_bootstrap=200, ci=0.99)["auroc"]["ci"]
    narrow = bm.binary_metrics(y, s, n_bootstrap=200, ci=0.5)["auroc"]["ci"]
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_bootstrap_skips_one_class_resamples() -> None:
    # One positive among 20: ~36 % of resamples lack it and are skipped -> CI still given.
    y = np.zeros(20, dtype=int)
    y[0] = 1
    s = np.linspace(0.0, 1.0, 20)
    m = bm.binary_metrics(y, s, n_bootstrap=400)
    assert m["auroc"]["value"] == 0.0
    assert m["auroc"]["ci"] == [0.0, 0.0]
    assert m["sensitivity"]["ci"] is not None
    kernel = bm._ResampleKernel(y.astype(bool), s, 0.5)
    samples = bm._bootstrap(kernel, 20, n_bootstrap=400, seed=0)
    skipped = np.isnan(samples["auroc"]).mean()
    assert 0.25 < skipped < 0.5
    assert np.array_equal(np.isnan(samples["auprc"]), np.isnan(samples["auroc"]))


def test_ci_none_when_more_than_half_skipped() -> None:
    nan = float("nan")
    assert bm._ci(np.array([nan] * 6 + [1.0] * 4), 0.95) is None
    assert bm._ci(np.array([nan] * 5 + [1.0, 2.0, 3.0, 4.0, 5.0]), 0.5) == [2.0, 4.0]


def test_one_class_gives_none() -> None:
    m = bm.binary_metrics([1, 1, 1], [0.2, 0.7, 0.9], n_bootstrap=20)
    for name in ("auroc", "auprc", "specificity"):
        assert m[name] == {"value": None, "ci": None}, name
    assert m["sensitivity"]["value"] == pytest.approx(2 / 3)
    assert m["mcc"]["value"] == 0.0
    m = bm.binary_metrics([0, 0], [0.2, 0.7], n_bootstrap=20)
    assert m["auroc"] == {"value": None, "ci": None}
    assert m["sensitivity"] == {"value": None, "ci": None}
    assert m["specificity"]["value"] == 0.5
    assert np.isnan(bm.auroc([0, 0], [0.1, 0.2]))
    assert np.isnan(bm.average_precision([0, 0], [0.1, 0.2]))
    assert bm.average_precision([1, 1], [0.1, 0.2]) == 1.0


def test_f1_undefined_without_positives_or_calls() -> None:
    m = bm.binary_metrics([0, 0, 0], [0.1, 0.2, 0.3], n_bootstrap=0)
    assert m["f1"] == {"value": None, "ci": None}
    assert m["accuracy"]["value"] == 1.0


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([0, 1, 1], [0.1, 0.2], "differ in length"),
        ([[0, 1]], [[0.1, 0.2]], "1-D"),
        ([], [], "empty"),
        ([0, 2], [0.1, 0.2], "only 0 and 1"),
        ([0, np.nan], [0.1, 0.2], "only 0 and 1"),
        (["a", "b"], [0.1, 0.2], "numeric"),
        ([0, 1], [0.1, np.nan], "finite"),
        ([0, 1], [0.1, np.inf], "finite"),
        ([0, 1], [0.1, 1.5], r"\[0, 1\]"),
        ([0, 1], [-0.1, 0.5], r"\[0, 1\]"),
    ],
)
def test_bad_input_raises(y: object, s: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bm.binary_metrics(y, s)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": 1.5}, {"threshold": "0.5"}, {"n_bootstrap": -1}, {"ci": 1.0}, {"ci": 0}],
)
def test_bad_options_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"threshold|n_bootstrap|ci"):
        bm.binary_metrics([0, 1], [0.2, 0.8], **kwargs)  # type: ignore[arg-type]


def test_bad_weights_raise() -> None:
    with pytest.raises(ValueError, match="expected 2"):
        bm.auroc([0, 1], [0.2, 0.8], [1.0])
    with pytest.raises(ValueError, match=">= 0"):
        bm.auroc([0, 1], [0.2, 0.8], [1.0, -1.0])
    with pytest.raises(ValueError, match="zero everywhere"):
        bm.roc_curve([0, 1], [0.2, 0.8], [0.0, 0.0])
    with pytest.raises(ValueError, match="y_pred"):
        bm.mcc([0, 1], [0.2, 0.8])


def test_accepts_bool_and_float_labels() -> None:
    s = [0.1, 0.4, 0.35, 0.8]
    assert bm.auroc(np.array([False, False, True, True]), s) == 0.75
    assert bm.auroc(np.array([0.0, 0.0, 1.0, 1.0]), s) == 0.75


# --------------------------------------------------------------------------- formatting


def test_format_metric() -> None:
    assert bm.format_metric({"value": 0.9531, "ci": [0.9412, 0.9648]}) == "0.953 [0.941, 0.965]"
    assert bm.format_metric({"value": 0.9531, "ci": None}) == "0.953"
    assert bm.format_metric({"value": 0.5}, digits=2) == "0.50"
    assert bm.format_metric({"value": 1234}) == "1234"
    assert bm.format_metric({"value": None, "ci": None}) == "n/a"
    assert bm.format_metric({}) == "n/a"
    with pytest.raises(ValueError, match="number or None"):
        bm.format_metric({"value": "high"})
    with pytest.raises(ValueError, match="mapping"):
        bm.format_metric([0.5])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[lo, hi\]"):
        bm.format_metric({"value": 0.5, "ci": [0.1]})


def test_importable_without_torch_and_matplotlib() -> None:
    code = (
        "import sys, biodl.metrics; "
        "bad = [m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_precision_matches_scikit_learn() -> None:
    y, s, _ = _data(5, n=300)
    m = bm.binary_metrics(y, s, n_bootstrap=0, threshold=0.5)
    expected = skm.precision_score(y, (s >= 0.5).astype(int))
    assert m["precision"]["value"] == pytest.approx(expected, abs=TOL)


# --------------------------------------------------------------------------- multi-class

SPLICE = ["EI", "IE", "N"]


def _mc_data(
    seed: int, n: int = 300, n_classes: int = 3, *, levels: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Class indices and softmax probabilities, informative; ``levels``: integer logits
    in ``[0, levels)`` (many ties in the scores and in the argmax)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    if levels is None:
        logits = rng.normal(size=(n, n_classes))
    else:
        logits = rng.integers(0, levels, size=(n, n_classes)).astype(float)
    logits[np.arange(n), y] += 1.0
    p = np.exp(logits)
    return y, p / p.sum(axis=1, keepdims=True)


def _sk_log_loss(y: np.ndarray, p: np.ndarray) -> float:
    with warnings.catch_warnings():  # scikit-learn 1.9 renamed y_pred to y_proba
        warnings.simplefilter("ignore", FutureWarning)
        return float(skm.log_loss(y, p, labels=list(range(p.shape[1]))))


def _value(entry: dict[str, object]) -> float:
    value = entry["value"]
    return np.nan if value is None else float(value)  # type: ignore[arg-type]


MC_CASES = [
    pytest.param(seed, k, levels, id=f"seed{seed}-k{k}-levels{levels}")
    for seed, k, levels in [(0, 3, None), (1, 4, None), (2, 3, 3), (3, 5, 2), (4, 2, None)]
]


@pytest.mark.parametrize(("seed", "n_classes", "levels"), MC_CASES)
def test_multiclass_matches_sklearn(seed: int, n_classes: int, levels: int | None) -> None:
    y, p = _mc_data(seed, n_classes=n_classes, levels=levels)
    classes = [f"c{i}" for i in range(n_classes)]
    m = bm.multiclass_metrics(y, p, classes=classes, n_bootstrap=0)
    pred = p.argmax(axis=1)
    labels = list(range(n_classes))
    assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, pred), abs=TOL)
    assert m["mcc"]["value"] == pytest.approx(skm.matthews_corrcoef(y, pred), abs=TOL)
    expected_f1 = skm.f1_score(y, pred, average="macro")
    assert m["macro_f1"]["value"] == pytest.approx(expected_f1, abs=TOL)
    assert m["log_loss"]["value"] == pytest.approx(_sk_log_loss(y, p), abs=TOL)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y, pred, labels=labels, zero_division=np.nan
    )
    aucs = [skm.roc_auc_score(y == k, p[:, k]) for k in labels]
    for k, name in enumerate(classes):
        np.testing.assert_allclose(_value(m[f"precision[{name}]"]), precision[k], atol=TOL)
        assert m[f"recall[{name}]"]["value"] == pytest.approx(recall[k], abs=TOL)
        assert m[f"f1[{name}]"]["value"] == pytest.approx(f1[k], abs=TOL)
        assert m[f"error[{name}]"]["value"] == pytest.approx(100 * (1 - recall[k]), abs=1e-10)
        assert m[f"auroc[{name}]"]["value"] == pytest.approx(aucs[k], abs=TOL)
    assert m["macro_auroc"]["value"] == pytest.approx(np.mean(aucs), abs=TOL)
    if n_classes > 2:
        expected_auc = skm.roc_auc_score(y, p, multi_class="ovr", average="macro")
        assert m["macro_auroc"]["value"] == pytest.approx(expected_auc, abs=TOL)
    expected_conf = skm.confusion_matrix(y, pred, labels=labels)
    assert m["confusion"]["value"] == expected_conf.tolist()
    assert m["n_per_class"]["value"] == dict(zip(classes, support.tolist(), strict=True))
    assert m["n"] == {"value": len(y)}


def test_multiclass_hand_example() -> None:
    y = [0, 0, 1, 1, 2, 2]
    p = [
        [0.7, 0.2, 0.1],
        [0.3, 0.6, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.8, 0.1],
        [0.2, 0.2, 0.6],
        [0.5, 0.1, 0.4],
    ]
    m = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=0)
    # predictions 0, 1, 1, 1, 2, 0
    assert m["confusion"] == {"value": [[1, 1, 0], [0, 2, 0], [1, 0, 1]]}
    assert m["accuracy"] == {"value": pytest.approx(4 / 6, abs=TOL), "ci": None}
    # t = (2, 2, 2), p = (2, 3, 1), 4 correct of 6: (4*6 - 12) / sqrt((36 - 14) (36 - 12))
    assert m["mcc"]["value"] == pytest.approx(12 / np.sqrt(22 * 24), abs=TOL)
    expected = {
        "EI": (1 / 2, 1 / 2, 1 / 2, 50.0, 7 / 8),
        "IE": (2 / 3, 1.0, 4 / 5, 0.0, 7 / 8),
        "N": (1.0, 1 / 2, 2 / 3, 50.0, 1.0),
    }
    metrics = ("precision", "recall", "f1", "error", "auroc")
    for name, values in expected.items():
        for metric, value in zip(metrics, values, strict=True):
            assert m[f"{metric}[{name}]"] == {"value": pytest.approx(value, abs=TOL), "ci": None}
    assert m["macro_f1"]["value"] == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3, abs=TOL)
    assert m["macro_auroc"]["value"] == pytest.approx(11 / 12, abs=TOL)
    expected_loss = -np.mean(np.log([0.7, 0.3, 0.5, 0.8, 0.6, 0.4]))
    assert m["log_loss"]["value"] == pytest.approx(expected_loss, abs=TOL)
    assert m["n"] == {"value": 6}
    assert m["n_per_class"] == {"value": {"EI": 2, "IE": 2, "N": 2}}


def test_multiclass_key_order_and_types() -> None:
    y, p = _mc_data(20, n=150)
    m = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=50)
    per_class = [
        f"{metric}[{name}]"
        for name in SPLICE
        for metric in ("precision", "recall", "f1", "error", "auroc")
    ]
    assert list(m) == [
        "accuracy",
        "mcc",
        "macro_f1",
        "macro_auroc",
        "log_loss",
        *per_class,
        "n",
        "n_per_class",
        "confusion",
    ]
    json.dumps(m)
    for name, entry in m.items():
        if name in ("n", "n_per_class", "confusion"):
            assert set(entry) == {"value"}
        else:
            assert set(entry) == {"value", "ci"}, name
            assert type(entry["value"]) is float, name
            assert len(entry["ci"]) == 2
            assert all(type(x) is float for x in entry["ci"]), name
    assert type(m["n"]["value"]) is int
    assert all(type(v) is int for v in m["n_per_class"]["value"].values())
    assert all(type(v) is int for row in m["confusion"]["value"] for v in row)


def test_multiclass_absent_and_never_predicted_classes() -> None:
    # Class "N" never occurs and is never predicted; "IE" occurs but is never predicted.
    y = np.array([0, 0, 0, 1, 1, 0])
    p = np.array([[0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.4, 0.35, 0.25]] * 2)
    m = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=100)
    pred = p.argmax(axis=1)
    assert m["precision[IE]"] == {"value": None, "ci": None}
    assert m["f1[IE]"]["value"] == 0.0
    assert m["recall[IE]"]["value"] == 0.0
    assert m["error[IE]"]["value"] == 100.0
    for metric in ("precision", "recall", "f1", "error", "auroc"):
        assert m[f"{metric}[N]"] == {"value": None, "ci": None}, metric
    assert m["n_per_class"]["value"] == {"EI": 4, "IE": 2, "N": 0}
    # macro F1 over the classes present in y_true or the predictions, as scikit-learn does
    expected = skm.f1_score(y, pred, average="macro")
    assert m["macro_f1"]["value"] == pytest.approx(expected, abs=TOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nan_convention = skm.f1_score(
            y, pred, labels=[0, 1, 2], average="macro", zero_division=np.nan
        )
    assert m["macro_f1"]["value"] == pytest.approx(nan_convention, abs=TOL)
    aucs = [skm.roc_auc_score(y == k, p[:, k]) for k in (0, 1)]
    assert m["macro_auroc"]["value"] == pytest.approx(np.mean(aucs), abs=TOL)
    assert m["mcc"]["value"] == pytest.approx(skm.matthews_corrcoef(y, pred), abs=TOL)


def test_multiclass_one_class() -> None:
    y = [1, 1, 1]
    p = [[0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]
    m = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=20)
    assert m["macro_auroc"] == {"value": None, "ci": None}
    for name in SPLICE:
        assert m[f"auroc[{name}]"] == {"value": None, "ci": None}
    assert m["mcc"]["value"] == 0.0  # one true class: undefined, 0 as scikit-learn
    assert m["accuracy"]["value"] == pytest.approx(1 / 3)
    assert m["recall[IE]"]["value"] == pytest.approx(1 / 3)
    assert m["precision[EI]"]["value"] == 0.0


def test_multiclass_bootstrap_resamples_match_sklearn() -> None:
    """Each bootstrap value equals scikit-learn on the resampled data set itself."""
    y, p = _mc_data(21, n=40, n_classes=3, levels=4)
    pred = p.argmax(axis=1)
    loss = -np.log(p[np.arange(len(y)), y])
    n_boot = 25
    got = bm._multiclass_bootstrap(y, pred, p, loss, n_bootstrap=n_boot, seed=3)
    draws = np.random.default_rng(3).integers(0, len(y), size=(n_boot, len(y)))
    for i in range(n_boot):
        yi, pi, predi = y[draws[i]], p[draws[i]], pred[draws[i]]
        assert got["accuracy"][i] == pytest.approx(skm.accuracy_score(yi, predi), abs=TOL)
        assert got["mcc"][i] == pytest.approx(skm.matthews_corrcoef(yi, predi), abs=TOL)
        expected_f1 = skm.f1_score(yi, predi, average="macro")
        assert got["macro_f1"][i] == pytest.approx(expected_f1, abs=TOL)
        assert got["log_loss"][i] == pytest.approx(_sk_log_loss(yi, pi), abs=TOL)
        precision, recall, f1, _ = skm.precision_recall_fscore_support(
            yi, predi, labels=[0, 1, 2], zero_division=np.nan
        )
        np.testing.assert_allclose(got["precision"][i], precision, atol=TOL)
        np.testing.assert_allclose(got["recall"][i], recall, atol=TOL)
        np.testing.assert_allclose(got["f1"][i], f1, atol=TOL)
        np.testing.assert_allclose(got["error"][i], 100 * (1 - recall), atol=1e-10)
        aucs = [
            skm.roc_auc_score(yi == k, pi[:, k]) if 0 < np.sum(yi == k) < len(yi) else np.nan
            for k in range(3)
        ]
        np.testing.assert_allclose(got["auroc"][i], aucs, atol=TOL)
        assert got["macro_auroc"][i] == pytest.approx(np.nanmean(aucs), abs=TOL)


def test_multiclass_bootstrap_skips_undefined_resamples() -> None:
    # One example of class 2 among 20: ~36 % of resamples lack it and are skipped.
    y = np.zeros(20, dtype=int)
    y[10:] = 1
    y[0] = 2
    p = np.full((20, 3), 0.1)
    p[np.arange(20), y] = 0.8
    m = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=400)
    assert m["recall[N]"] == {"value": 1.0, "ci": [1.0, 1.0]}
    loss = -np.log(p[np.arange(20), y])
    samples = bm._multiclass_bootstrap(y, y, p, loss, n_bootstrap=400, seed=0)
    skipped = np.isnan(samples["recall"][:, 2]).mean()
    assert 0.25 < skipped < 0.5
    assert np.array_equal(np.isnan(samples["auroc"][:, 2]), np.isnan(samples["recall"][:, 2]))
    assert not np.isnan(samples["macro_auroc"]).any()


def test_multiclass_ci_contains_estimate_and_is_reproducible() -> None:
    y, p = _mc_data(22, n=400)
    a = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=200, seed=5)
    b = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=200, seed=5)
    c = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=200, seed=6)
    assert a == b
    assert a["mcc"]["ci"] != c["mcc"]["ci"]
    for name, entry in a.items():
        if "ci" in entry:
            lo, hi = entry["ci"]
            assert lo <= entry["value"] <= hi, name
            assert lo < hi, name
    wide = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=200, ci=0.99)["mcc"]["ci"]
    narrow = bm.multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=200, ci=0.5)["mcc"]["ci"]
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_multiclass_accepts_float_indices_and_clips_log_loss() -> None:
    y = np.array([0.0, 1.0, 1.0])
    p = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    m = bm.multiclass_metrics(y, p, classes=["a", "b"], n_bootstrap=0)
    assert m["accuracy"]["value"] == pytest.approx(2 / 3)
    assert m["log_loss"]["value"] == pytest.approx(-np.log(1e-15) / 3, abs=TOL)
    # ties in the probabilities: the first class wins, as numpy.argmax
    m = bm.multiclass_metrics([1, 1], [[0.5, 0.5], [0.5, 0.5]], classes=["a", "b"], n_bootstrap=0)
    assert m["confusion"]["value"] == [[0, 0], [2, 0]]


@pytest.mark.parametrize(
    ("y", "p", "classes", "match"),
    [
        ([[0, 1]], [[0.5, 0.5]], ["a", "b"], "1-D"),
        ([], np.zeros((0, 2)), ["a", "b"], "empty"),
        ([0, 2], [[0.5, 0.5], [0.5, 0.5]], ["a", "b"], r"\[0, 2\)"),
        ([0, -1], [[0.5, 0.5], [0.5, 0.5]], ["a", "b"], r"\[0, 2\)"),
        ([0, 0.5], [[0.5, 0.5], [0.5, 0.5]], ["a", "b"], "integer class indices"),
        ([0, np.nan], [[0.5, 0.5], [0.5, 0.5]], ["a", "b"], "integer class indices"),
        (["a", "b"], [[0.5, 0.5], [0.5, 0.5]], ["a", "b"], "numeric"),
        ([0, 1], [0.5, 0.5], ["a", "b"], "2-D"),
        ([0, 1], [[0.5, 0.5]], ["a", "b"], r"expected \(2, 2\)"),
        ([0, 1], [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]], ["a", "b"], r"expected \(2, 2\)"),
        ([0, 1], [["x", "y"], ["z", "w"]], ["a", "b"], "numeric"),
        ([0, 1], [[0.5, np.nan], [0.5, 0.5]], ["a", "b"], "finite"),
        ([0, 1], [[0.5, 0.5], [np.inf, 0.5]], ["a", "b"], "finite"),
        ([0, 1], [[1.5, -0.5], [0.5, 0.5]], ["a", "b"], r"\[0, 1\]"),
        ([0, 1], [[0.5, 0.5], [0.6, 0.6]], ["a", "b"], "sum to 1"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], "ab", "sequence of class names"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], ["a", "a"], "unique"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], ["a", 1], "non-empty strings"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], ["a", ""], "non-empty strings"),
        ([0, 0], [[1.0], [1.0]], ["a"], "at least 2"),
    ],
)
def test_multiclass_bad_input_raises(y: object, p: object, classes: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bm.multiclass_metrics(y, p, classes=classes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"n_bootstrap": -1}, {"n_bootstrap": 1.5}, {"ci": 1.0}, {"ci": True}, {"seed": "0"}],
)
def test_multiclass_bad_options_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"n_bootstrap|ci|seed"):
        bm.multiclass_metrics(
            [0, 1],
            [[0.8, 0.2], [0.3, 0.7]],
            classes=["a", "b"],
            **kwargs,  # type: ignore[arg-type]
        )
