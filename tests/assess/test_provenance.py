"""The provenance item: checksums, splits, versions, DOME checklist and model card."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from biodl.assess import AssessInputs, Item, SplitView, load_inputs, provenance
from biodl.assess.provenance import DOME_FIELDS, MODEL_CARD_SECTIONS
from biodl.testing.assess_runs import tiny_run

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def run_inputs(tmp_path_factory: pytest.TempPathFactory) -> AssessInputs:
    return load_inputs(tiny_run(tmp_path_factory.mktemp("prov")))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_fresh_run_is_green_with_its_checksums(run_inputs: AssessInputs) -> None:
    item = provenance(run_inputs)
    assert item.key == "provenance"
    assert item.flag == "green"
    run = run_inputs.run_dir
    assert run is not None
    meta = json.loads((run / "model.json").read_text())
    values = item.values
    assert [f["sha256"] for f in values["data_files"]] == [
        f["sha256"] for f in meta["data"]["files"]
    ]
    assert {f["status"] for f in values["data_files"]} == {"unchanged"}
    assert values["splits"]["sha256"] == _sha(run / "splits.tsv.gz")
    assert values["config_sha256"] == _sha(run / "config.yaml")
    assert values["model_sha256"] == _sha(run / "model.safetensors")
    assert values["splits"]["counts"] == {k: len(v) for k, v in run_inputs.splits.items()}
    assert values["seed"] == 1
    assert values["created"] == meta["created"]
    assert values["biodl_version"] == meta["versions"]["biodl"]
    assert all(values[k] not in ("", "not provided") for k in ("user", "host", "command"))


def test_dome_and_model_card_have_every_field(run_inputs: AssessInputs) -> None:
    clean = {"n_all": 40, "n_clean": 37, "clean": {"auroc": {"value": 0.5, "ci": [0.4, 0.6]}}}
    leak = Item(
        "leakage", "red", "r", "3 test sequences are in the training set.", {"clean_metrics": clean}
    )
    item = provenance(run_inputs, items=[leak])
    dome = item.values["dome"]
    expected = [(s, f) for s, fields in DOME_FIELDS.items() for f in fields]
    assert [(r["section"], r["field"]) for r in dome] == expected
    by_field = {(r["section"], r["field"]): r["value"] for r in dome}
    assert by_field[("Data", "redundancy")] == "[red] 3 test sequences are in the training set."
    assert by_field[("Evaluation", "comparison")] == "not provided"
    assert by_field[("Model", "interpretability")] == "not provided"
    assert "deepbind" in by_field[("Optimization", "algorithm")]
    assert "valid: random fraction 0.25" in by_field[("Data", "splits")]
    card = item.values["model_card"]
    assert tuple(card) == MODEL_CARD_SECTIONS
    assert "leakage: 3 test sequences" in card["caveats_and_recommendations"]
    assert card["metrics"].endswith("on the 37 leak-free test examples: auroc 0.500 [0.400, 0.600]")


def test_a_changed_data_file_is_red_and_a_missing_one_amber(tmp_path: Path) -> None:
    data = tmp_path / "data.fa"
    data.write_text(">a\nACGT\n")
    entry = {"path": str(data), "bytes": 8, "sha256": _sha(data)}
    view = SplitView(ids=("a",), sequences=("ACGT",), y=np.ones((1, 1)))
    meta = {"data": {"files": [entry]}, "seed": 0}
    inputs = AssessInputs("binary", "dna", ("1",), {"train": view}, meta=meta)
    assert provenance(inputs).values["data_files"][0]["status"] == "unchanged"
    data.write_text(">a\nACGA\n")
    changed = provenance(inputs)
    assert changed.flag == "red"
    assert "data.fa" in changed.summary
    data.unlink()
    missing = provenance(inputs)
    assert missing.flag == "amber"
    assert missing.values["data_files"][0]["status"] == "missing"
