"""k-mer baseline: features, fitting, paired bootstrap, flags; the shared scoring helper."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from biodl.assess._scoring import metric_from_counts, metric_value, paired_bootstrap
from biodl.assess.baseline import baseline, kmer_features
from biodl.assess.types import AssessInputs, SplitView
from biodl.metrics import auroc, multiclass_metrics, regression_metrics
from biodl.tasks import Binary, make_task
from biodl.testing.assess_models import motif_inputs, perfect_logits, random_logits

BINARY = Binary(positive="1", negative="0")


def test_kmer_features_are_concatenated_frequency_blocks() -> None:
    X = kmer_features(["ACGTA", "AAAAA"], alphabet="dna", k=(1, 2))
    assert X.shape == (2, 4 + 16)
    assert X[:, :4].sum(axis=1) == pytest.approx([1.0, 1.0])
    assert X[1, 4] == 1.0  # AA
    assert kmer_features(["MKV"], alphabet="protein").shape == (1, 20 + 400)


def test_a_random_model_does_not_beat_the_baseline() -> None:
    item = baseline(motif_inputs(150, logits=random_logits, seed=1), n_boot=300)
    assert item.flag == "red"
    assert item.values["baseline"]["value"] > 0.7  # k-mers see the planted motif
    assert item.values["difference"]["ci"][0] < 0


def test_perfect_logits_beat_the_baseline() -> None:
    item = baseline(motif_inputs(150, logits=perfect_logits, seed=1), n_boot=300)
    assert item.flag == "green"
    assert item.values["model"]["value"] == 1.0
    assert item.values["difference"]["ci"][0] > 0.02
    assert item.values["strength"] in (0.01, 0.1, 1.0)


def test_a_small_margin_is_amber() -> None:
    inputs = motif_inputs(150, logits=perfect_logits, seed=1)
    item = baseline(inputs, n_boot=300, margin=1.0)
    assert item.flag == "amber"


def test_not_assessed_without_test_outputs() -> None:
    item = baseline(motif_inputs(20, logits=None, seed=1))
    assert item.flag == "not_assessed"


def _numeric_inputs(
    task: str,
    y_fn: Callable[[np.ndarray], np.ndarray],
    logit_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    outputs: tuple[str, ...],
) -> AssessInputs:
    rng = np.random.default_rng(0)
    splits = {}
    for name, n in (("train", 300), ("valid", 100), ("test", 200)):
        seqs = ["".join(rng.choice(list("ACGT"), size=40)) for _ in range(n)]
        gc = np.array([(s.count("G") + s.count("C")) / 40 for s in seqs])
        y = y_fn(gc)
        splits[name] = SplitView(tuple(map(str, range(n))), tuple(seqs), y, logits=logit_fn(y, gc))
    return AssessInputs(task, "dna", outputs, splits)


def test_regression_uses_ridge_and_pearson() -> None:
    inputs = _numeric_inputs(
        "regression",
        lambda gc: gc[:, None] * 10,
        lambda y, gc: np.random.default_rng(1).normal(size=y.shape),
        ("gc",),
    )
    item = baseline(inputs, k=(1,), n_boot=200)
    assert item.values["estimator"] == "ridge regression"
    assert item.values["baseline"]["value"] > 0.95  # GC is a linear function of 1-mers
    assert item.flag == "red"


def test_multiclass_compares_accuracy() -> None:
    inputs = _numeric_inputs(
        "multiclass",
        lambda gc: np.random.default_rng(len(gc)).integers(0, 3, size=(len(gc), 1)).astype(float),
        lambda y, gc: np.eye(3)[y[:, 0].astype(int)] * 5,
        ("lo", "mid", "hi"),
    )
    item = baseline(inputs, k=(1,), n_boot=200)
    assert item.values["metric"] == "accuracy"
    assert item.values["model"]["value"] == 1.0
    assert item.values["baseline"]["value"] < 0.6  # labels unrelated to the sequence
    assert item.values["mcc"]["model"] == 1.0
    assert item.flag == "green"


# ---------------------------------------------------------------- shared scoring helper


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(2, 40), elements=st.sampled_from([0.1, 0.3, 0.5, 0.9])))
def test_count_weighted_auroc_equals_biodl_metrics(scores: np.ndarray) -> None:
    y = (np.arange(len(scores)) % 2).astype(float)
    value = metric_value(BINARY, y[:, None], scores[:, None])
    assert value == pytest.approx(auroc(y, scores))
    # counts are weights: doubling an example equals repeating it
    counts = np.ones((1, len(y)), dtype=np.int64)
    counts[0, 0] = 2
    repeated = np.r_[scores, scores[:1]]
    weighted = metric_from_counts(BINARY, y[:, None], scores[:, None], counts)[0]
    assert weighted == pytest.approx(auroc(np.r_[y, y[:1]], repeated))


def test_multiclass_and_regression_points_equal_biodl_metrics() -> None:
    rng = np.random.default_rng(0)
    p = rng.dirichlet([1, 1, 1], size=50)
    y = rng.integers(0, 3, size=50)
    expected = multiclass_metrics(y, p, classes=["a", "b", "c"], n_bootstrap=0)["accuracy"]
    multiclass = make_task("multiclass", classes=["a", "b", "c"])
    assert metric_value(multiclass, y[:, None].astype(float), p) == pytest.approx(expected["value"])
    t = rng.normal(size=(50, 2))
    s = t + rng.normal(size=(50, 2))
    reg = regression_metrics(t, s, outputs=["a", "b"], n_bootstrap=0)
    assert metric_value(make_task("regression", classes=["a", "b"]), t, s) == pytest.approx(
        reg["mean_pearson"]["value"]
    )


def test_paired_bootstrap_is_seeded_and_paired() -> None:
    y = np.array([[0.0], [1.0]] * 30)
    s = np.linspace(0, 1, 60)[:, None]
    a1, b1 = paired_bootstrap(BINARY, y, [s, s], n_boot=50, seed=3)
    a2, _ = paired_bootstrap(BINARY, y, [s, s], n_boot=50, seed=3)
    assert np.array_equal(a1, a2)
    assert np.array_equal(a1, b1)  # same scores, same resamples: zero difference
