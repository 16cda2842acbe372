"""Label noise: conflicting copies and confident learning (biodl.assess.noise)."""

from __future__ import annotations

import importlib
import json

import pytest

from biodl.assess.noise import conflicting_labels, label_issues, noise
from biodl.data.homology.minhash import reverse_complement
from biodl.testing.assess_data import inputs_from_splits, mutate, random_sequences, split_view


def test_conflicting_labels_are_counted_exactly() -> None:
    base = random_sequences(40, 300, seed=1)
    train = list(base[:30])
    y_train = [i % 2 for i in range(30)]
    # copies inside train: 0 and 1 conflict, 2 agrees
    train += [base[0], base[1], base[2]]
    y_train += [1 - y_train[0], 1 - y_train[1], y_train[2]]
    # a reverse-complement copy in test that conflicts, and an agreeing copy
    test = [reverse_complement(base[3]), base[4], *base[30:40]]
    y_test = [1 - y_train[3], y_train[4], *([0] * 10)]
    inputs = inputs_from_splits(
        {
            "train": split_view(train, y_train, prefix="r"),
            "test": split_view(test, y_test, prefix="t"),
        }
    )
    c = conflicting_labels(inputs)
    assert c["count"] == 3
    assert (c["identical_count"], c["reverse_complement_count"]) == (2, 1)
    assert c["rows"] == 6
    assert [e["ids"] for e in c["examples"]] == [["r0", "r30"], ["r1", "r31"], ["r3", "t0"]]
    assert c["examples"][2]["splits"] == ["train", "test"]
    assert c["examples"][2]["kind"] == "reverse_complement"
    assert c["examples"][0]["labels"] == ["0", "1"]
    assert c["flag"] == "red"  # 6 of 45 rows
    assert c["near"]["count"] == 0
    proteins = inputs_from_splits(
        {"train": split_view(["MKV", "MKV", "VKM"], [0, 1, 2], prefix="p")},
        task="multiclass",
        alphabet="protein",
        outputs=("a", "b", "c"),
    )
    pc = conflicting_labels(proteins)
    assert pc["count"] == 1
    assert pc["examples"][0]["labels"] == ["a", "b"]


def test_near_identical_conflicts() -> None:
    seqs = random_sequences(20, 400, seed=2)
    seqs.append(mutate(seqs[0], 0.0025, seed=0))  # one substitution
    seqs.append(mutate(seqs[1], 0.0025, seed=1))
    y = [0] * 20 + [1, 0]
    inputs = inputs_from_splits({"train": split_view(seqs, y, prefix="r")})
    c = conflicting_labels(inputs)
    assert c["count"] == 0
    assert c["near"]["count"] == 1
    e = c["near"]["examples"][0]
    assert (e["id_a"], e["id_b"], e["label_a"], e["label_b"]) == ("r0", "r20", "0", "1")
    assert e["jaccard"] > 0.9
    assert c["flag"] == "amber"


def test_regression_conflicts_are_not_assessed() -> None:
    inputs = inputs_from_splits(
        {"train": split_view(["ACGT", "ACGT"], [0.5, 0.7], prefix="r")}, task="regression"
    )
    item = noise(inputs)
    assert item.values["conflicting_labels"]["flag"] == "not_assessed"
    assert item.values["label_issues"]["flag"] == "not_assessed"
    assert item.flag == "not_assessed"


def _gc_task(n: int, flips: int) -> tuple[list[str], list[int], list[int]]:
    """GC-rich sequences are class 1, AT-rich class 0; ``flips`` labels flipped."""
    rich = random_sequences(n // 2, 100, seed=3, gc=0.7)
    poor = random_sequences(n // 2, 100, seed=4, gc=0.3)
    seqs = [s for pair in zip(rich, poor, strict=True) for s in pair]
    y = [1, 0] * (n // 2)
    flipped = list(range(0, 4 * flips, 4))
    for i in flipped:
        y[i] = 1 - y[i]
    return seqs, y, flipped


def test_label_issues_find_flipped_labels() -> None:
    seqs, y, flipped = _gc_task(400, 12)
    inputs = inputs_from_splits({"train": split_view(seqs, y, prefix="r")})
    issues = label_issues(inputs, max_examples=50)
    found = {e["id"] for e in issues["examples"]}
    truth = {f"r{i}" for i in flipped}
    # confident learning is conservative: what it flags is right, it misses some
    assert len(found & truth) >= 0.8 * len(found)
    assert len(found & truth) >= 0.5 * len(truth)
    assert issues["count"] == len(found)
    assert issues["model_accuracy"] > 0.9
    first = issues["examples"][0]
    assert first["given"] != first["predicted"]
    assert first["p_given"] < 0.5
    item = noise(inputs)
    json.dumps(item.to_json())


def test_label_issues_multiclass_names_and_missing_cleanlab(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seqs = random_sequences(60, 50, seed=5)
    inputs = inputs_from_splits(
        {"train": split_view(seqs, [i % 3 for i in range(60)], prefix="r")},
        task="multiclass",
        outputs=("x", "y", "z"),
    )
    issues = label_issues(inputs, folds=3)
    assert issues["flag"] in ("green", "amber")
    assert all(e["given"] in ("x", "y", "z") for e in issues["examples"])

    real = importlib.import_module

    def no_cleanlab(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("cleanlab"):
            raise ImportError(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib, "import_module", no_cleanlab)
    missing = label_issues(inputs)
    assert missing["flag"] == "not_assessed"
    assert missing["reason"] == "install biodl[assess]"


def test_label_issues_need_two_classes() -> None:
    inputs = inputs_from_splits({"train": split_view(["ACGT"] * 5, [1] * 5, prefix="r")})
    assert label_issues(inputs)["flag"] == "not_assessed"
    ml = inputs_from_splits(
        {"train": split_view(["ACGT"], [[1, 0]], prefix="r")}, task="multilabel", outputs=("a", "b")
    )
    assert label_issues(ml)["flag"] == "not_assessed"
