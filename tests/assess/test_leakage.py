"""Leakage audit between splits (biodl.assess.leakage)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from biodl.assess.leakage import clean_metrics, leakage
from biodl.data.homology import mmseqs_available
from biodl.data.homology.minhash import reverse_complement
from biodl.errors import InputError
from biodl.testing.assess_data import inputs_from_splits, mutate, random_sequences, split_view


@pytest.fixture(scope="module")
def planted() -> dict[str, object]:
    """300 training sequences; a test set of 100 with 10 exact copies, 5 reverse-complement
    copies and 20 reverse-complement near copies with 3 % substitutions."""
    train = random_sequences(300, 500, seed=11)
    test = random_sequences(100, 500, seed=12)
    for i in range(10):
        test[i] = train[i]
    for i in range(10, 15):
        test[i] = reverse_complement(train[i])
    for i in range(15, 35):
        test[i] = reverse_complement(mutate(train[i], 0.03, seed=i))
    valid = random_sequences(50, 500, seed=13)
    valid[0] = train[100]
    y = [i % 2 for i in range(300)]
    inputs = inputs_from_splits(
        {
            "train": split_view(train, y, prefix="r"),
            "valid": split_view(valid, [0] * 50, prefix="v"),
            "test": split_view(test, [i % 2 for i in range(100)], prefix="t"),
        }
    )
    return {"inputs": inputs, "item": leakage(inputs)}


def test_reverse_complement_near_duplicates_with_3_percent_mutations_are_found(
    planted: dict[str, object],
) -> None:
    item = planted["item"]
    near = item.values["near_duplicate"]  # type: ignore[attr-defined]
    assert near["by_pair"]["test-train"]["count"] == 20
    found = {(e["test_id"], e["train_id"]) for e in near["examples"]}
    assert found == {(f"t{i}", f"r{i}") for i in range(15, 35)}
    assert all(0.5 <= e["similarity"] < 1 for e in near["examples"])
    assert all(e["identity"] > 0.9 for e in near["examples"])


def test_exact_and_reverse_complement_copies_are_counted_exactly(
    planted: dict[str, object],
) -> None:
    values = planted["item"].values  # type: ignore[attr-defined]
    assert values["exact"]["by_pair"] == {
        "test-train": {"count": 10, "fraction": 0.1},
        "valid-train": {"count": 1, "fraction": 0.02},
        "test-valid": {"count": 0, "fraction": 0.0},
    }
    assert values["exact"]["test_count"] == 10
    assert values["exact"]["flag"] == "red"
    assert values["reverse_complement"]["test_count"] == 5
    assert {e["test_id"] for e in values["reverse_complement"]["examples"]} == {
        f"t{i}" for i in range(10, 15)
    }
    assert values["clean_test_ids"] == [f"t{i}" for i in range(35, 100)]
    assert values["homology"]["flag"] == "not_assessed"
    assert values["intervals"]["flag"] == "not_assessed"
    assert planted["item"].flag == "red"  # type: ignore[attr-defined]
    json.dumps(planted["item"].to_json())  # type: ignore[attr-defined]


def test_clean_splits_are_green() -> None:
    splits = {
        name: split_view(random_sequences(60, 200, seed=s), [0, 1] * 30, prefix=name[0])
        for s, name in enumerate(("train", "valid", "test"))
    }
    item = leakage(inputs_from_splits(splits))
    assert item.flag == "green"
    assert len(item.values["clean_test_ids"]) == 60
    assert item.values["redundancy"]["count"] == 0


def test_valid_only_leak_is_amber_and_redundancy_is_counted() -> None:
    train = random_sequences(40, 100, seed=1)
    train += [train[0], train[1], reverse_complement(train[2])]
    valid = random_sequences(10, 100, seed=2)
    valid[3] = train[5]
    test = random_sequences(10, 100, seed=3)
    item = leakage(
        inputs_from_splits(
            {
                "train": split_view(train, [0] * 43, prefix="r"),
                "valid": split_view(valid, [0] * 10, prefix="v"),
                "test": split_view(test, [0] * 10, prefix="t"),
            }
        )
    )
    assert item.values["exact"]["flag"] == "amber"
    red = item.values["redundancy"]
    assert red["within_split"] == {"train": 3, "valid": 0, "test": 0}
    assert red["count"] == 4  # the valid copy of a training row too
    assert (red["exact_copies"], red["reverse_complement_copies"]) == (3, 1)
    assert item.flag == "amber"


def test_overlapping_intervals() -> None:
    train_iv = [("chr1", 100, 200), ("chr1", 1000, 1100), ("chr2", 0, 50)]
    test_iv = [("chr1", 199, 300), ("chr1", 200, 300), ("chr2", 60, 70), ("chr3", 0, 10)]
    seqs = random_sequences(7, 50, seed=4)
    item = leakage(
        inputs_from_splits(
            {
                "train": split_view(seqs[:3], [0, 1, 0], prefix="r", intervals=train_iv),
                "test": split_view(seqs[3:], [0, 1, 0, 1], prefix="t", intervals=test_iv),
            }
        )
    )
    iv = item.values["intervals"]
    assert iv["count"] == 1
    assert iv["examples"][0]["test_id"] == "t0"
    assert iv["examples"][0]["train_id"] == "r0"
    assert iv["flag"] == "red"  # 1 of 4 test examples
    assert item.values["clean_test_ids"] == ["t1", "t2", "t3"]


def test_protein_homology_on_a_tiny_set() -> None:
    train = random_sequences(6, 120, seed=5, alphabet="protein")
    homologue = mutate(train[2], 0.15, seed=6, alphabet="protein")
    test = [homologue, *random_sequences(3, 120, seed=7, alphabet="protein")]
    item = leakage(
        inputs_from_splits(
            {
                "train": split_view(train, [0, 1, 2, 0, 1, 2], prefix="r"),
                "test": split_view(test, [2, 0, 1, 2], prefix="t"),
            },
            task="multiclass",
            alphabet="protein",
            outputs=("a", "b", "c"),
        )
    )
    hom = item.values["homology"]
    assert hom["flag"] == "red"
    assert hom["test_count"] == 1
    assert hom["examples"][0]["test_id"] == "t0"
    assert hom["examples"][0]["train_id"] == "r2"
    assert 0.8 <= hom["max_identity"] <= 0.9
    assert item.values["reverse_complement"]["flag"] == "not_assessed"
    assert item.values["near_duplicate"]["test_count"] == 0  # 15 % changes: below 0.5
    assert item.values["clean_test_ids"] == ["t1", "t2", "t3"]


@pytest.mark.skipif(not mmseqs_available(), reason="MMseqs2 is not on PATH")
def test_protein_homology_failure_is_not_assessed(monkeypatch: pytest.MonkeyPatch) -> None:
    import biodl.data.homology as homology

    def broken(*args: object, **kwargs: object) -> object:
        raise InputError("too many sequences")

    monkeypatch.setattr(homology, "nearest_identities", broken)
    seqs = random_sequences(4, 50, seed=1, alphabet="protein")
    item = leakage(
        inputs_from_splits(
            {
                "train": split_view(seqs[:2], [0, 1], prefix="r"),
                "test": split_view(seqs[2:], [0, 1], prefix="t"),
            },
            alphabet="protein",
        )
    )
    assert item.values["homology"]["flag"] == "not_assessed"
    assert "too many" in item.values["homology"]["reason"]


def test_clean_metrics_on_the_leak_free_subset() -> None:
    seqs = random_sequences(8, 30, seed=0)
    logits = np.array([[3.0], [2.0], [-1.0], [-2.0], [1.0], [-1.5], [0.5], [0.2]])
    y = [1, 1, 0, 0, 0, 1, 1, 0]
    train = split_view(seqs[:2], [1, 1], prefix="r")
    test = split_view(seqs[:2] + seqs[2:], y, prefix="t", logits=logits)
    item = leakage(inputs_from_splits({"train": train, "test": test}), metrics_bootstrap=0)
    m = item.values["clean_metrics"]
    assert m["n_all"] == 8
    assert m["n_clean"] == 6
    assert m["clean"]["auroc"]["value"] == pytest.approx(
        0.5
    )  # positives -1.5, 0.5 over 4 negatives: 4 of 8
    multiclass = inputs_from_splits(
        {"test": split_view(seqs[:4], [0, 1, 2, 1], prefix="t", logits=np.eye(4, 3) * 5)},
        task="multiclass",
        outputs=("a", "b", "c"),
    )
    mc = clean_metrics(multiclass, ["t0", "t1", "t2", "t3"], n_bootstrap=0)
    assert mc is not None
    assert mc["clean"]["accuracy"]["value"] == pytest.approx(0.75)


def test_one_split_is_not_assessed() -> None:
    item = leakage(inputs_from_splits({"train": split_view(["ACGT"], [1], prefix="r")}))
    assert item.flag == "not_assessed"


def test_long_genome_windows_are_not_near_duplicates_by_chance() -> None:
    """At k = 8 two unrelated 65-kb windows share most 8-mers; k grows with length."""
    from biodl.data.homology.minhash import default_k

    rng = np.random.default_rng(0)
    windows = ["".join(rng.choice(list("ACGT"), size=65_536)) for _ in range(4)]
    from biodl.assess.types import AssessInputs, SplitView

    views = {
        name: SplitView(
            ids=(f"{name}0", f"{name}1"), sequences=tuple(windows[j : j + 2]), y=np.zeros((2, 1))
        )
        for name, j in (("train", 0), ("test", 2))
    }
    item = leakage(AssessInputs("regression", "dna", ("1",), views))
    assert item.values["k"] == default_k("dna", 65_536) == 11
    assert item.values["near_duplicate"]["count"] == 0
