"""``load_inputs``: a run directory rebuilt split by split, for every task."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from biodl.assess import AssessInputs, load_inputs
from biodl.errors import InputError
from biodl.testing.assess_runs import tiny_run

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_run(tmp_path_factory.mktemp("binary"), task="binary")


def _splits_tsv(run: Path) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    with gzip.open(run / "splits.tsv.gz", "rt") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            out.setdefault(row["split"], []).append(row)
    return out


def _predictions(run: Path) -> dict[str, dict[str, str]]:
    with (run / "predictions.tsv").open() as handle:
        return {row["id"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_binary_round_trip_matches_the_run_files(binary_run: Path) -> None:
    inputs = load_inputs(binary_run)
    assert isinstance(inputs, AssessInputs)
    assert inputs.task == "binary"
    assert inputs.alphabet == "dna"
    assert inputs.outputs == ("1",)
    recorded = _splits_tsv(binary_run)
    assert set(inputs.splits) == set(recorded) == {"train", "valid", "test"}
    predictions = _predictions(binary_run)
    for name, view in inputs.splits.items():
        assert list(view.ids) == [r["id"] for r in recorded[name]]
        assert view.y.shape == (len(view), 1)
        labels = np.array([float(r["label"] == "1") for r in recorded[name]])
        np.testing.assert_array_equal(view.y[:, 0], labels)
        assert view.logits is not None
        assert view.logits.shape == (len(view), 1)
        if name == "train":
            continue
        score = 1.0 / (1.0 + np.exp(-view.logits[:, 0]))
        expected = np.array([float(predictions[i]["score"]) for i in view.ids])
        np.testing.assert_allclose(score, expected, rtol=1e-5, atol=1e-6)


def test_sequences_are_kept_as_read_and_groups_are_named(binary_run: Path) -> None:
    inputs = load_inputs(binary_run, group="tissue")
    train = inputs.splits["train"]
    lengths = {len(s) for s in train.sequences}
    assert lengths == {50, 60}  # the 60-letter ones are not cropped to the input (50)
    table = (binary_run.parent / "train.tsv").read_text().splitlines()[1:]
    by_id = {line.split("\t")[0]: line.split("\t") for line in table}
    for seq_id, seq, chrom, tissue, source in zip(
        train.ids,
        train.sequences,
        train.groups["chrom"],
        train.groups["tissue"],
        train.groups["source"],
        strict=True,
    ):
        parent = by_id[seq_id.split("_shuf")[0]]
        assert chrom == parent[3]
        assert tissue == parent[4]
        assert source == "train.tsv"
        if "_shuf" not in seq_id:
            assert seq == parent[1]
        else:  # a dinucleotide shuffle of its positive, as long as the positive
            assert sorted(seq) == sorted(parent[1])
    assert inputs.splits["test"].intervals is None


def test_group_file_and_new_data(binary_run: Path, tmp_path: Path) -> None:
    groups = tmp_path / "groups.tsv"
    groups.write_text("id\tgroup\np1\tx\np2\ty\n")
    new = tmp_path / "new.fa"
    new.write_text(">n1\nACGTACGTAC\n>n2\nGGGGCCCCAA\n")
    inputs = load_inputs(binary_run, group=str(groups), data=[new], seed=3)
    assert inputs.new_data == (("n1", "n2"), ("ACGTACGTAC", "GGGGCCCCAA"))
    assert inputs.seed == 3
    values = {v for view in inputs.splits.values() for v in view.groups["group"].tolist()}
    assert values <= {"x", "y", ""}
    assert "x" in values


def test_changed_data_are_an_error_naming_splits_file(binary_run: Path, tmp_path: Path) -> None:
    config = yaml.safe_load((binary_run / "config.yaml").read_text())
    config["train"]["seed"] = 99  # another valid split
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(InputError, match=r"splits\.tsv\.gz.*data have changed"):
        load_inputs(binary_run, config=path)


def test_bad_inputs_are_input_errors(binary_run: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a biodl run directory"):
        load_inputs(tmp_path / "missing")
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: binary\ndata: {train: {tabel: x}}\n")
    with pytest.raises(InputError, match=r"bad\.yaml"):
        load_inputs(binary_run, config=bad)
    with pytest.raises(InputError, match="nope"):
        load_inputs(binary_run, group="nope")
    with pytest.raises(InputError, match="not found"):
        load_inputs(binary_run, data=[tmp_path / "absent.fa"])


@pytest.mark.parametrize("task", ["multiclass", "multilabel", "regression"])
def test_every_task_loads_with_matching_ids_and_shapes(tmp_path: Path, task: str) -> None:
    run = tiny_run(tmp_path, task=task)  # type: ignore[arg-type]
    inputs = load_inputs(run)
    recorded = _splits_tsv(run)
    n_out = 3 if task == "multiclass" else 2
    assert len(inputs.outputs) == n_out
    for name, view in inputs.splits.items():
        assert list(view.ids) == [r["id"] for r in recorded[name]]
        assert view.logits is not None
        assert view.logits.shape == (len(view), n_out)
        assert view.y.shape == (len(view), 1 if task == "multiclass" else 2)
    predictions = _predictions(run)
    test = inputs.splits["test"]
    assert test.logits is not None
    if task == "multiclass":
        probs = torch.softmax(torch.from_numpy(test.logits), dim=1).numpy()
        expected = np.array([[float(predictions[i][f"prob_{c}"]) for c in "ABC"] for i in test.ids])
        np.testing.assert_allclose(probs, expected, rtol=1e-4, atol=1e-5)
        classes = np.array([["A", "B", "C"].index(predictions[i]["label"]) for i in test.ids])
        np.testing.assert_array_equal(test.y[:, 0], classes)
    else:
        out = test.logits if task == "regression" else 1 / (1 + np.exp(-test.logits))
        expected = np.array(
            [[float(predictions[i][f"pred_{c}"]) for c in ("ctcf", "gata")] for i in test.ids]
        )
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
        truth = [[predictions[i][f"true_{c}"] for c in ("ctcf", "gata")] for i in test.ids]
        want = np.array([[float(v) if v not in ("", "NA") else np.nan for v in r] for r in truth])
        np.testing.assert_allclose(test.y, want, rtol=1e-4, equal_nan=True)
