"""``assess`` and ``write_assessment``: order, flags, JSON schema, atomic output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import biodl.report.assessment as report_module
from biodl.assess import (
    FLAGS,
    ITEM_ORDER,
    AssessInputs,
    Assessment,
    Item,
    SplitView,
    assess,
    load_inputs,
)
from biodl.assess.core import available_checks
from biodl.errors import InputError
from biodl.report import write_assessment
from biodl.testing.assess_runs import tiny_run

ITEM_FIELDS = {"flag", "rule", "summary"}
LEAKAGE_KEYS = {"exact", "reverse_complement", "near_duplicate", "homology", "intervals"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _inputs() -> AssessInputs:
    view = SplitView(
        ids=("a", "b", "c"),
        sequences=("ACGT", "GGCCA", "TTTT"),
        y=np.array([[1.0], [0.0], [1.0]]),
        logits=np.array([[2.0], [-1.0], [0.5]]),
    )
    return AssessInputs("binary", "dna", ("1",), {"train": view, "test": view})


def _stub(flag: str, key: str = "x") -> Any:
    return lambda inputs: Item(key, flag, f"rule {flag}", f"summary {flag}", {"n": 1})  # type: ignore[arg-type]


def test_items_come_in_the_fixed_order_and_missing_checks_are_not_assessed() -> None:
    result = assess(_inputs(), checks={"calibration": _stub("amber", "calib")})
    assert tuple(item.key for item in result.items) == ITEM_ORDER
    assert result.item("calibration").flag == "amber"  # re-keyed to its slot
    assert result.item("leakage").flag == "not_assessed"
    assert "not available" in result.item("leakage").summary
    assert result.overall == "amber"


def test_a_crashing_check_is_reported_not_raised() -> None:
    def boom(inputs: AssessInputs) -> Item:
        raise ZeroDivisionError("division by zero")

    def bad_input(inputs: AssessInputs) -> Item:
        raise InputError("no test split")

    result = assess(_inputs(), checks={"baseline": boom, "noise": bad_input})
    assert result.item("baseline").flag == "not_assessed"
    assert "ZeroDivisionError" in result.item("baseline").summary
    assert result.item("noise").summary.endswith("no test split")


def test_sequence_checks_are_not_assessed_without_sequences() -> None:
    view = SplitView(ids=("a", "b"), sequences=("", ""), y=np.array([[1.0], [0.0]]))
    inputs = AssessInputs("multilabel", "dna", ("c1",), {"train": view, "test": view})
    green = {key: _stub("green") for key in ITEM_ORDER}
    result = assess(inputs, checks=green)
    for key in ("leakage", "noise"):
        assert result.item(key).flag == "not_assessed"
        assert "not sequences" in result.item(key).summary
    assert result.item("calibration").flag == "green"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(FLAGS), min_size=len(ITEM_ORDER) - 1, max_size=len(ITEM_ORDER) - 1))
def test_overall_is_the_worst_flag(flags: list[str]) -> None:
    checks = {key: _stub(flag) for key, flag in zip(ITEM_ORDER[:-1], flags, strict=True)}
    checks["provenance"] = _stub("green")
    result = assess(_inputs(), checks=checks)
    severity = {"not_assessed": 0, "green": 1, "amber": 2, "red": 3}
    assert severity[result.overall] == max(severity[f] for f in [*flags, "green"])


def test_json_has_every_item_and_the_documented_fields() -> None:
    odd = Item("compute", "green", "r", "s", {"nan": float("nan"), "arr": np.arange(3)})
    result = assess(_inputs(), checks={"compute": lambda i: odd})
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert {"schema_version", "biodl_version", "model", "created", "overall"} <= set(data)
    assert data["order"] == list(ITEM_ORDER)
    for key in ITEM_ORDER:
        assert set(data[key]) >= ITEM_FIELDS
        assert data[key]["flag"] in FLAGS
    assert data["compute"]["nan"] is None
    assert data["compute"]["arr"] == [0, 1, 2]
    assert data["overview"]["classes"]["test"] == {"0": 1, "1": 2}


def test_long_applicability_rows_are_cut_in_json_not_in_tsv(tmp_path: Path) -> None:
    rows = [{"id": f"n{i}", "in_domain": True} for i in range(1005)]
    item = Item("applicability", "green", "r", "s", {"rows": rows})
    result = assess(_inputs(), checks={"applicability": lambda i: item})
    data = result.to_json()["applicability"]
    assert len(data["rows"]) == 1000
    assert data["rows_total"] == 1005
    out = write_assessment(result, tmp_path / "a")
    assert (out / "applicability.tsv").read_text().count("\n") == 1006


def test_write_assessment_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = assess(_inputs(), checks={})
    out = tmp_path / "a"

    def fail(assessment: Assessment) -> str:
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(report_module, "render_html", fail)
    with pytest.raises(RuntimeError, match="renderer broke"):
        write_assessment(result, out)
    assert not out.exists()
    assert not list(tmp_path.iterdir())
    monkeypatch.undo()
    write_assessment(result, out)
    assert {p.name for p in out.iterdir()} == {"assessment.json", "report.html", "model_card.md"}
    with pytest.raises(InputError, match="--force"):
        write_assessment(result, out)
    write_assessment(result, out, force=True)


def test_every_check_of_the_issue_is_installed() -> None:
    assert set(available_checks()) == set(ITEM_ORDER) - {"provenance"}


@pytest.fixture(scope="module")
def tiny_assessment(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("core")
    run = tiny_run(folder)
    new = folder / "new.fa"
    new.write_text(">gc_rich\n" + "GC" * 25 + "\n>at_rich\n" + "AT" * 25 + "\n")
    result = assess(load_inputs(run, data=[new]))
    out = write_assessment(result, folder / "assessment")
    return out, json.loads((out / "assessment.json").read_text())


def test_a_real_run_gets_all_ten_items(tiny_assessment: tuple[Path, dict[str, Any]]) -> None:
    out, data = tiny_assessment
    for key in ITEM_ORDER:
        assert data[key]["flag"] in FLAGS
        assert data[key]["summary"]
    assert set(data["leakage"]) >= LEAKAGE_KEYS
    for key in LEAKAGE_KEYS:
        assert {"flag", "count", "examples"} <= set(data["leakage"][key])
    # the three training sequences copied into the test table
    assert data["leakage"]["exact"]["count"] >= 3
    assert len(data["leakage"]["clean_test_ids"]) <= 37
    assert data["provenance"]["flag"] == "green"
    assert data["applicability"]["flag"] != "not_assessed"
    assert (out / "applicability.tsv").read_text().count("\n") == 3
