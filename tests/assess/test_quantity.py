"""Data quantity: distinct training examples per trainable parameter, learning curve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.assess.quantity import data_quantity, trainable_parameters
from biodl.assess.types import AssessInputs, SplitView
from biodl.errors import InputError
from biodl.testing.assess_models import motif_inputs, overparameterised_model
from biodl.workflows.learning_curve import learning_curve


def _inputs(sequences: list[str], n_parameters: int | None) -> AssessInputs:
    view = SplitView(
        ids=tuple(map(str, range(len(sequences)))),
        sequences=tuple(sequences),
        y=np.zeros((len(sequences), 1)),
    )
    meta = {} if n_parameters is None else {"n_parameters": n_parameters}
    return AssessInputs("binary", "dna", ("1",), {"train": view}, meta=meta)


def test_an_overparameterised_model_is_red() -> None:
    model = overparameterised_model(60)
    inputs = motif_inputs(100, model=model, logits=None)
    item = data_quantity(inputs)
    assert item.flag == "red"
    assert item.values["n_parameters"] == 123_905
    assert item.values["n_train"] == 200
    assert item.values["ratio"] == pytest.approx(200 / 123_905)


def test_duplicates_are_counted_once_and_thresholds_apply() -> None:
    seqs = ["ACGT"] * 5 + [f"A{i}" for i in range(15)]
    item = data_quantity(_inputs(seqs, 2))
    assert item.values["n_train"] == 20
    assert item.values["n_train_unique"] == 16
    assert item.values["n_duplicates"] == 4
    assert item.values["ratio"] == 8.0
    assert item.values["ratio_raw"] == 10.0
    assert item.flag == "amber"  # 8 distinct per parameter: below 10
    assert data_quantity(_inputs(seqs, 1)).flag == "green"
    assert data_quantity(_inputs(seqs, 17)).flag == "red"


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200), st.integers(1, 200))
def test_flag_follows_the_stated_rule(n: int, params: int) -> None:
    item = data_quantity(_inputs([f"A{i}" for i in range(n)], params))
    ratio = n / params
    assert item.flag == ("red" if ratio < 1 else "amber" if ratio < 10 else "green")


def test_parameters_are_counted_from_the_model_without_meta() -> None:
    inputs = motif_inputs(5, model=overparameterised_model(60, width=4), logits=None, meta={})
    assert trainable_parameters(inputs) == ((240 + 2) * 4 + 1, (240 + 2) * 4 + 1)


def test_not_assessed_without_parameters() -> None:
    item = data_quantity(_inputs(["ACGT"], None))
    assert item.flag == "not_assessed"
    assert "parameters" in item.summary


def test_a_learning_curve_is_reported_as_given() -> None:
    curve = {"metric": "auroc", "fractions": [0.5, 1.0], "value": [0.7, 0.8]}
    item = data_quantity(_inputs(["ACGT"], 1), learning_curve=curve)
    assert item.values["learning_curve"] == curve


def test_learning_curve_retrains_on_fractions(write_config: Callable[..., Path]) -> None:
    curve = learning_curve(write_config(), fractions=(0.5, 1.0), max_epochs=1, n_bootstrap=10)
    assert curve["metric"] == "auroc"
    assert curve["split"] == "test"
    assert curve["fractions"] == [0.5, 1.0]
    # 240 positives minus 25 % valid = 180, plus one shuffle each = 360 training examples
    assert curve["n_train"] == [180, 360]
    assert all(0.0 <= v <= 1.0 for v in curve["value"])


def test_learning_curve_rejects_bad_fractions(write_config: Callable[..., Path]) -> None:
    with pytest.raises(InputError, match="fractions"):
        learning_curve(write_config(), fractions=(0.0, 1.0))


def test_track_runs_also_count_binned_targets() -> None:
    view = SplitView(ids=("w1", "w2"), sequences=("ACGT" * 4, "GGCC" * 4), y=np.zeros((2, 3)))
    meta = {"n_parameters": 8, "input_length": 16, "tracks": {"bin_size": 4}}
    inputs = AssessInputs("regression", "dna", ("a", "b", "c"), {"train": view}, meta=meta)
    item = data_quantity(inputs)
    assert item.values["n_targets"] == 2 * 4 * 3
    assert item.values["targets_per_parameter"] == 3.0
    assert item.values["ratio"] == 0.25
    assert "2 distinct training genome windows" in item.summary
