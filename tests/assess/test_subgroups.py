"""Subgroups: per-group metrics with intervals; a planted bias is found."""

from __future__ import annotations

import numpy as np
import pytest

from biodl.assess.subgroups import gc_content, group_table, subgroups, tertile_labels
from biodl.assess.types import AssessInputs, SplitView
from biodl.errors import InputError
from biodl.tasks import Binary
from biodl.testing.assess_models import motif_view


def _biased_inputs(seed: int = 0) -> AssessInputs:
    """Perfect logits on chr1, random logits on chr2 (a planted bias)."""
    view = motif_view(150, length=50, seed=seed)
    n = len(view)
    chrom = np.array(["chr1", "chr2"] * (n // 2))
    rng = np.random.default_rng(seed)
    logits = np.where(view.y > 0.5, 4.0, -4.0)
    bad = chrom == "chr2"
    logits[bad] = rng.normal(size=(int(bad.sum()), 1))
    test = SplitView(view.ids, view.sequences, view.y, {"chrom": chrom}, logits)
    return AssessInputs("binary", "dna", ("1",), {"test": test}, seed=seed)


def test_a_planted_bias_is_red_and_names_the_pair() -> None:
    item = subgroups(_biased_inputs(), n_boot=300)
    assert item.flag == "red"
    chrom = item.values["groupings"]["chrom"]
    assert [r["group"] for r in chrom["groups"]] == ["chr1", "chr2"]
    assert chrom["groups"][0]["value"] == 1.0
    pair = chrom["separated"][0]
    assert (pair["better"], pair["worse"]) == ("chr1", "chr2")
    assert pair["gap"] > 0.3
    assert "chr1" in item.summary
    assert "chr2" in item.summary


def test_a_group_column_can_be_chosen_and_unknown_names_are_errors() -> None:
    item = subgroups(_biased_inputs(), group="chrom", n_boot=100)
    assert list(item.values["groupings"]) == ["chrom"]
    with pytest.raises(InputError, match="no group 'species'"):
        subgroups(_biased_inputs(), group="species")


def test_without_bias_the_flag_is_green_and_gc_bins_are_automatic() -> None:
    view = motif_view(150, length=50, seed=2)
    logits = np.where(view.y > 0.5, 4.0, -4.0)
    test = SplitView(view.ids, view.sequences, view.y, {}, logits)
    item = subgroups(AssessInputs("binary", "dna", ("1",), {"test": test}), n_boot=100)
    assert item.flag == "green"
    assert list(item.values["groupings"]) == ["gc"]  # lengths are all equal
    assert len(item.values["groupings"]["gc"]["groups"]) == 3


def test_small_and_single_class_groups_are_not_scored() -> None:
    y = np.array([[0.0], [1.0]] * 20 + [[1.0]] * 25)
    labels = np.array(["big"] * 40 + ["one_class"] * 25)
    rows = group_table(Binary(positive="1", negative="0"), y, y, labels, n_boot=20, min_size=20)
    assert rows[0]["value"] == 1.0
    assert rows[0]["n_positive"] == 20
    assert rows[1]["note"] == "a single class"
    assert rows[1]["value"] is None


def test_gc_and_tertiles() -> None:
    assert gc_content(["GC", "AT", "GA", "NN"]).tolist() == [1.0, 0.0, 0.5, 0.0]
    labels = tertile_labels(np.array([1.0, 1.0, 1.0]), "len")
    assert set(labels.tolist()) == {"len 1"}
    labels = tertile_labels(np.arange(9, dtype=float), "x")
    assert len(set(labels.tolist())) == 3
