"""Representation per split and adversarial train-vs-test shift (biodl.assess.representation)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from biodl.assess.representation import adversarial_auroc, kmer_features, representation
from biodl.testing.assess_data import inputs_from_splits, random_sequences, split_view


def test_same_distribution_gives_auroc_near_half_and_green() -> None:
    train = split_view(random_sequences(300, 80, seed=1), [0, 1] * 150, prefix="r")
    test = split_view(random_sequences(300, 80, seed=2), [0, 1] * 150, prefix="t")
    item = representation(inputs_from_splits({"train": train, "test": test}), seed=0)
    shift = item.values["shift"]
    assert 0.4 < shift["auroc"] < 0.6
    assert shift["ci"][0] < 0.5 < shift["ci"][1]
    assert len(shift["fold_auroc"]) == 5
    assert shift["flag"] == "green"
    assert item.flag == "green"


def test_gc_rich_test_split_is_red() -> None:
    train = split_view(random_sequences(200, 80, seed=1), [0, 1] * 100, prefix="r")
    test = split_view(random_sequences(200, 80, seed=2, gc=0.7), [0, 1] * 100, prefix="t")
    item = representation(inputs_from_splits({"train": train, "test": test}), seed=0)
    assert item.values["shift"]["auroc"] > 0.9
    assert item.flag == "red"
    gc = item.values["composition"]["gc"]
    assert gc["train"]["mean"] == pytest.approx(0.5, abs=0.02)
    assert gc["test"]["mean"] == pytest.approx(0.7, abs=0.02)


def test_counts_lengths_groups_and_histograms() -> None:
    seqs = ["ACGT" * 5, "ACG", "GGCCN" * 2, "AT"]
    train = split_view(
        seqs, [1, 0, 0, 0], prefix="r", groups={"chrom": ["chr1", "chr1", "chr2", ""]}
    )
    test = split_view(["ACGTACGTAC"], [1], prefix="t", groups={"chrom": ["chr3"]})
    item = representation(inputs_from_splits({"train": train, "test": test}), seed=0, bins=4)
    v = item.values
    assert v["n"] == {"train": 4, "test": 1}
    assert v["labels"]["train"]["label"] == {
        "positive": 1,
        "negative": 3,
        "fraction_positive": 0.25,
        "missing": 0,
    }
    assert v["length"]["stats"]["train"] == {"min": 2.0, "median": 6.5, "max": 20.0, "mean": 8.75}
    hist = v["length"]["histogram"]
    assert hist["edges"] == [2.0, 6.5, 11.0, 15.5, 20.0]
    assert hist["counts"] == {"train": [2, 1, 0, 1], "test": [0, 1, 0, 0]}
    assert sum(v["composition"]["gc_histogram"]["counts"]["train"]) == 4
    assert v["groups"]["chrom"]["train"] == {"distinct": 3, "counts": {"chr1": 2, "chr2": 1, "": 1}}
    assert v["shift"]["auroc"] is None  # one test example: too few for 5 folds
    assert v["shift"]["flag"] == "not_assessed"
    assert v["minority_fraction"] == 0.25
    json.dumps(item.to_json())


def test_minority_class_below_5_percent_is_amber() -> None:
    y = [1] * 3 + [0] * 97
    train = split_view(random_sequences(100, 40, seed=3), y, prefix="r")
    item = representation(inputs_from_splits({"train": train}), seed=0)
    assert item.values["minority_fraction"] == pytest.approx(0.03)
    assert item.values["shift"]["flag"] == "not_assessed"
    assert item.flag == "amber"


def test_multiclass_regression_and_protein_summaries() -> None:
    prots = random_sequences(30, 60, seed=4, alphabet="protein")
    mc = inputs_from_splits(
        {"train": split_view(prots, [i % 3 for i in range(30)], prefix="r")},
        task="multiclass",
        alphabet="protein",
        outputs=("a", "b", "c"),
    )
    v = representation(mc, seed=0).values
    assert v["labels"]["train"]["counts"] == {"a": 10, "b": 10, "c": 10}
    comp = v["composition"]["per_split"]["train"]
    assert len(comp) == 20
    assert sum(comp) == pytest.approx(1.0)
    reg = inputs_from_splits(
        {
            "train": split_view(
                ["ACGT"] * 4, [[1.0, 2.0], [3.0, np.nan], [5.0, 0.0], [7.0, 1.0]], prefix="r"
            )
        },
        task="regression",
        outputs=("u", "w"),
    )
    rv = representation(reg, seed=0).values
    assert rv["labels"]["train"]["u"]["mean"] == 4.0
    assert rv["labels"]["train"]["w"]["median"] == 1.0
    assert sum(rv["labels"]["histograms"]["w"]["counts"]["train"]) == 3


def test_kmer_features_and_small_adversarial() -> None:
    X = kmer_features(["ACGTN", "SSSS"], "dna", ks=[1, 2])
    assert X.shape == (2, 20)
    assert X[0, :4].sum() == pytest.approx(1.0)
    assert X[1].sum() == 0.0
    r = adversarial_auroc(["ACGT"] * 3, ["ACGT"] * 3, alphabet="dna", seed=0)
    assert r["auroc"] is None
