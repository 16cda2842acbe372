"""``biodl assess`` on molecule runs: every item reads molecules, never SMILES as DNA."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

pytest.importorskip("rdkit")

from biodl.assess import AssessInputs, SplitView, assess, load_inputs
from biodl.assess._encode import describe_view, input_kind_of, model_input
from biodl.assess.molecules import DESCRIPTOR_NAMES, molecule_descriptors
from biodl.assess.noise import conflicting_labels
from biodl.data.kinds import MoleculeKind
from biodl.errors import InputError
from biodl.report import write_assessment
from biodl.testing.molecules import write_molecule_table

pytestmark = pytest.mark.usefixtures("one_torch_thread")

#: three chemical series of analogues (a ring system with two substituents)
CORES = ("{X}c1ccc({Y})cc1", "{X}C1CCC({Y})CC1", "{X}c1ccc({Y})nc1")
SUBS = ("C", "CC", "O", "N", "F", "Cl", "OC", "C(=O)O")
ANALOGUES = [c.format(X=x, Y=y) for c in CORES for x, y in itertools.combinations(SUBS, 2)]


def _config(csv_path: Path, *, model: str = "dmpnn", test: dict[str, Any] | None = None) -> dict:
    config: dict[str, Any] = {
        "task": "binary",
        "data": {
            "train": {"molecules": str(csv_path), "smiles": "smiles", "label": "label"},
            "valid": {"fraction": 0.15},
            "test": test if test is not None else {"scaffold": 0.2},
        },
        "model": {"name": model, "hidden": 32},
        "train": {"max_epochs": 3, "batch_size": 32, "seed": 0},
    }
    if model == "fingerprint_mlp":
        config["data"]["featurizer"] = "morgan"
    return config


def _train(root: Path, name: str, config: dict) -> tuple[Path, Path]:
    from biodl.workflows import train_run

    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    run = root / f"run_{name}"
    train_run(path, run)
    return path, run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """A graph run (scaffold test split) and a fingerprint run (random test split)."""
    root = tmp_path_factory.mktemp("molecule_runs")
    table = root / "mol.csv"
    write_molecule_table(table, 200, task="binary", seed=0)
    return {
        "graph": _train(root, "graph", _config(table)),
        "fp": _train(root, "fp", _config(table, model="fingerprint_mlp", test={"fraction": 0.2})),
        "table": (table, table),
    }


@pytest.fixture(scope="module")
def graph_result(runs: dict[str, tuple[Path, Path]]) -> tuple[AssessInputs, Any]:
    _, run = runs["graph"]
    inputs = load_inputs(run)  # the run's own config.yaml
    return inputs, assess(inputs)


@pytest.fixture(scope="module")
def fp_result(runs: dict[str, tuple[Path, Path]]) -> tuple[AssessInputs, Any]:
    table, _ = runs["table"]
    config, run = runs["fp"]
    # the configuration given (--config), --data the whole training file
    inputs = load_inputs(run, config=config, data=[table])
    return inputs, assess(inputs)


# ------------------------------------------------------------------ loading


def test_load_inputs_reads_molecules(graph_result: tuple[AssessInputs, Any]) -> None:
    inputs, _ = graph_result
    assert inputs.is_molecule
    assert inputs.alphabet == "molecule"
    train = inputs.splits["train"]
    assert any("c" in s for s in train.sequences)  # canonical SMILES, aromatic case kept
    assert all(
        v.logits is not None and v.logits.shape == (len(v), 1) for v in inputs.splits.values()
    )
    kind = input_kind_of(inputs)
    assert isinstance(kind, MoleculeKind)
    assert kind.featurizer == "graph"
    described = describe_view(inputs, train)
    assert described["n"] == len(train)
    assert described["max_degree"] <= 4
    assert set(described) >= {"atoms", "n_scaffolds", "acyclic", "n_distinct"}
    X = model_input(inputs, train)
    assert len(X) == len(train)


def test_fingerprint_run_input(fp_result: tuple[AssessInputs, Any]) -> None:
    inputs, _ = fp_result
    assert inputs.alphabet == "fingerprint"
    assert inputs.is_molecule
    X = model_input(inputs, inputs.splits["test"])
    assert isinstance(X, np.ndarray)
    assert X.shape == (len(inputs.splits["test"]), 2048, 1)
    assert inputs.new_data is not None
    assert len(inputs.new_data[0]) == 200


def test_incompatible_configurations_are_one_line_errors(
    runs: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    from biodl.testing.assess_runs import tiny_run

    config, graph_run = runs["graph"]
    seq_run = tiny_run(tmp_path / "seq")
    # a sequence configuration for a molecule model
    with pytest.raises(InputError) as info:
        load_inputs(graph_run, config=seq_run / "config.yaml")
    text = str(info.value)
    assert "\n" not in text
    assert "config.yaml" in text
    assert "the model reads molecules" in text
    # a molecule configuration for a sequence model
    with pytest.raises(InputError) as info:
        load_inputs(seq_run, config=config)
    text = str(info.value)
    assert "\n" not in text
    assert config.name in text
    assert "reads sequences but the configuration gives molecules" in text
    # a featurizer other than the run's
    other = yaml.safe_load(config.read_text(encoding="utf-8"))
    other["data"]["featurizer"] = "morgan"
    other_path = tmp_path / "morgan.yaml"
    other_path.write_text(yaml.safe_dump(other), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_inputs(graph_run, config=other_path)
    assert "\n" not in str(info.value)
    assert "morgan" in str(info.value)


# ------------------------------------------------------------------ the items


def _items(result: Any) -> dict[str, Any]:
    return {item.key: item for item in result.items}


def test_every_item_runs(graph_result: tuple[AssessInputs, Any]) -> None:
    _, result = graph_result
    items = _items(result)
    for key, item in items.items():
        assert "failed" not in item.summary, (key, item.summary)
        assert "could not run" not in item.summary, (key, item.summary)
    assert all(items[k].flag != "not_assessed" for k in items), {
        k: v.summary for k, v in items.items() if v.flag == "not_assessed"
    }


def test_scaffold_split_shares_no_scaffold(graph_result: tuple[AssessInputs, Any]) -> None:
    _, result = graph_result
    leak = result.item("leakage")
    assert leak.values["pairs"]["test_vs_train"]["molecules_sharing_scaffold"] == 0
    assert leak.values["shared_scaffold"]["pairs"]["test_vs_train"]["fraction"] == 0.0
    assert "Tanimoto" in leak.summary


def test_random_split_of_analogues_shares_scaffolds(
    fp_result: tuple[AssessInputs, Any],
) -> None:
    _, result = fp_result
    leak = result.item("leakage")
    assert leak.flag in ("amber", "red")
    assert leak.values["shared_scaffold"]["pairs"]["test_vs_train"]["fraction"] > 0.5


def test_representation_compares_molecules(graph_result: tuple[AssessInputs, Any]) -> None:
    _, result = graph_result
    rep = result.item("representation")
    values = rep.values
    assert values["atoms"]["stats"]["train"]["median"] > 3
    assert values["scaffolds"]["test"]["fraction_sharing_train_scaffold"] == 0.0
    assert "descriptors" in values["shift"]["features"]
    assert values["shift"]["auroc"] is not None
    assert values["similarity"]["nearest_train"]["test"]["median"] is not None
    assert "not_applicable" in values["length"]  # no SMILES lengths or GC content
    assert "gc" not in values["composition"]
    assert "Molecules per split" in rep.summary


def test_baseline_names_fingerprints(
    graph_result: tuple[AssessInputs, Any], fp_result: tuple[AssessInputs, Any]
) -> None:
    for _, result in (graph_result, fp_result):
        item = result.item("baseline")
        assert item.flag != "not_assessed"
        assert "ECFP4 fingerprints (2048 bits)" in item.summary
        assert item.values["features"] == "ECFP4 fingerprints (2048 bits)"
        assert item.values["estimator"] == "logistic regression"
        assert item.values["strength"] in (0.01, 0.1, 1.0)  # chosen on valid
        assert "k-mer" not in item.summary + item.rule


def test_applicability_of_training_molecules_is_inside(
    fp_result: tuple[AssessInputs, Any],
) -> None:
    _, result = fp_result
    item = result.item("applicability")
    assert item.values["n"] == 200
    assert item.values["fraction_in_domain"] > 0.9
    assert item.flag == "green"
    assert item.values["n_in_training"] > 100  # the file also holds valid and test


def test_applicability_without_data_uses_test(graph_result: tuple[AssessInputs, Any]) -> None:
    inputs, result = graph_result
    item = result.item("applicability")
    assert item.values["compared"] == "test"
    assert item.values["n"] == len(inputs.splits["test"])
    assert "test molecules" in item.summary


def test_noise_subgroups_compute_privacy_quantity(
    graph_result: tuple[AssessInputs, Any],
) -> None:
    _, result = graph_result
    noise = result.item("noise").values
    assert noise["conflicting_labels"]["flag"] in ("green", "amber", "red")
    assert "fingerprints" in noise["label_issues"]["model"]
    groupings = result.item("subgroups").values["groupings"]
    assert "gc" not in groupings
    assert "length" not in groupings
    assert set(groupings) & {"atoms", "scaffold"}
    compute = result.item("compute")
    assert "molecules/s" in compute.summary
    assert "tiled_hours" not in compute.values
    assert compute.values["flops_per_sequence"] > 0
    assert "molecule" in result.item("privacy").summary
    assert "molecules" in result.item("data_quantity").summary
    assert "atoms" in result.overview
    assert "gc" not in result.overview


def test_report_is_written(graph_result: tuple[AssessInputs, Any], tmp_path: Path) -> None:
    _, result = graph_result
    out = write_assessment(result, tmp_path / "assessment")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "ECFP4" in html
    assert "Heavy atoms per molecule" in html
    assert "sharing a training scaffold" in html
    data = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    assert data["model"]["alphabet"] == "molecule"
    rows = list(csv.reader((out / "applicability.tsv").open(encoding="utf-8"), delimiter="\t"))
    assert rows[0][:3] == ["id", "smiles", "similarity"]


# ------------------------------------------------------------------ without training


def _view(smiles: list[str], labels: list[float], prefix: str) -> SplitView:
    return SplitView(
        ids=tuple(f"{prefix}{i}" for i in range(len(smiles))),
        sequences=tuple(smiles),
        y=np.asarray(labels, dtype=np.float64).reshape(-1, 1),
    )


def test_conflicting_labels_keep_aromatic_case() -> None:
    # benzene and cyclohexane differ only by case: never one molecule
    train = _view(["c1ccccc1", "C1CCCCC1", "CCO", "CCO"], [1, 0, 1, 0], "r")
    inputs = AssessInputs("binary", "molecule", ("1",), {"train": train})
    found = conflicting_labels(inputs)
    assert found["count"] == 1
    assert found["examples"][0]["sequence"] == "CCO"
    assert found["near"]["count"] is None  # activity cliffs are not noise


def test_leakage_random_vs_scaffold_split_of_analogues() -> None:
    from biodl.assess.leakage import leakage
    from biodl.data.scaffold import random_split, scaffold_split

    y = [float(i % 2) for i in range(len(ANALOGUES))]

    def leak(split: np.ndarray) -> Any:
        views = {
            name: _view(
                [s for s, k in zip(ANALOGUES, split, strict=True) if k == name],
                [v for v, k in zip(y, split, strict=True) if k == name],
                name,
            )
            for name in ("train", "valid", "test")
        }
        return leakage(AssessInputs("binary", "fingerprint", ("1",), views))

    rand = leak(np.asarray(random_split(len(ANALOGUES), fractions=(0.7, 0.1, 0.2), seed=0)))
    assert rand.values["shared_scaffold"]["flag"] == "amber"
    assert rand.values["pairs"]["test_vs_train"]["fraction_sharing_scaffold"] > 0.9
    scaf = leak(np.asarray(scaffold_split(ANALOGUES, fractions=(0.6, 0.1, 0.3))))
    assert scaf.values["pairs"]["test_vs_train"]["molecules_sharing_scaffold"] == 0
    assert scaf.values["shared_scaffold"]["flag"] == "green"


def test_molecule_descriptors() -> None:
    d = molecule_descriptors(["c1ccccc1Cl", "CCO", "c1ccccc1Cl"])
    assert d.shape == (3, len(DESCRIPTOR_NAMES))
    named = dict(zip(DESCRIPTOR_NAMES, d[0].tolist(), strict=True))
    assert named["heavy_atoms"] == 7
    assert named["aromatic_rings"] == 1
    assert named["fraction_halogen"] == pytest.approx(1 / 7)
    assert (d[0] == d[2]).all()
    with pytest.raises(InputError):
        molecule_descriptors(["C1CC"])
