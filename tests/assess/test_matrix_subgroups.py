"""``biodl assess`` on matrix runs: subgroups by a sample annotation (batch), the
batch-adversarial AUROC, calibration and the applicability of new samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from biodl.assess import applicability, calibration, load_inputs, subgroups
from biodl.errors import InputError

N, F = 120, 12


def _samples(n: int, seed: int, *, shift_b: float = 2.5, offset: float = 0.0):
    """``(X, y, batch)``: label signal in g0..g2; batch B shifted on every feature."""
    rng = np.random.default_rng(seed)
    y = np.array([i % 2 for i in range(n)])
    batch = np.array(["B" if (i // 2) % 2 else "A" for i in range(n)])  # balanced labels
    X = rng.normal(size=(n, F))
    X[:, :3] += 2.0 * y[:, None]
    X[batch == "B"] += shift_b
    return X + offset, y, batch


def _write_matrix(path: Path, X: np.ndarray, prefix: str, site: list[str] | None = None) -> Path:
    head = ["id", *(f"g{j}" for j in range(F))] + (["site"] if site else [])
    lines = ["\t".join(head)]
    for i, row in enumerate(X):
        cells = [f"{prefix}{i}", *(f"{v:.5f}" for v in row)] + ([site[i]] if site else [])
        lines.append("\t".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from biodl.workflows import train_run

    tmp = tmp_path_factory.mktemp("matrix_run")
    X, y, batch = _samples(N, seed=0)
    site = ["north" if i < N // 2 else "south" for i in range(N)]
    _write_matrix(tmp / "m.tsv", X, "s", site)
    split = ["test" if i >= 80 else ("valid" if i % 5 == 0 else "train") for i in range(N)]
    (tmp / "labels.tsv").write_text(
        "id\ty\tsplit\tbatch\n"
        + "".join(f"s{i}\t{'up' if y[i] else 'down'}\t{split[i]}\t{batch[i]}\n" for i in range(N))
    )
    cfg = tmp / "c.yaml"
    cfg.write_text(
        f"""task: binary
positive: up
data:
  train: {{matrix: {tmp / "m.tsv"}, sample_id: id, skip_columns: [site],
           labels: {tmp / "labels.tsv"}, label: y, split: split}}
  preprocess:
    - standardize
    - select: {{method: t_test, k: 4}}
model: {{name: mlp, hidden: 8, dropout: 0.1, norm: layer}}
train: {{max_epochs: 15, batch_size: 8, learning_rate: 0.01, seed: 0, progress_bar: false}}
evaluate: {{n_bootstrap: 0}}
"""
    )
    near, _, _ = _samples(40, seed=7)
    _write_matrix(tmp / "near.tsv", near, "n")
    far, _, _ = _samples(40, seed=8, offset=8.0)
    _write_matrix(tmp / "far.tsv", far, "f")
    return train_run(cfg, tmp / "run").out


def test_subgroups_per_batch_and_the_batch_adversarial_auroc(matrix_run: Path) -> None:
    inputs = load_inputs(matrix_run, group="batch")
    assert set(inputs.splits["test"].groups["batch"].tolist()) == {"A", "B"}
    item = subgroups(inputs, group="batch", n_boot=200)
    assert item.flag != "not_assessed"
    entry = item.values["groupings"]["batch"]
    rows = {r["group"]: r for r in entry["groups"]}
    assert rows["A"]["n"] == rows["B"]["n"] == 20
    for r in rows.values():
        assert r["value"] is not None
        assert r["ci"] is not None
    effect = entry["batch_effect"]
    assert effect["auroc"] > 0.9  # batch B is shifted on every feature, by construction
    assert effect["batches"][0]["ci"] is not None
    assert effect["flag"] == "amber"
    assert item.flag in ("amber", "red")
    assert "Batch-adversarial AUROC" in item.summary
    assert "batch-adversarial" in item.rule


def test_a_text_column_of_the_matrix_is_a_grouping(matrix_run: Path) -> None:
    inputs = load_inputs(matrix_run, group="site")
    test = inputs.splits["test"].groups["site"]
    assert set(test.tolist()) == {"south"}
    train = inputs.splits["train"].groups["site"]
    assert {"north", "south"} <= set(train.tolist())
    item = subgroups(inputs, group="site", n_boot=50)
    assert "batch_effect" in item.values["groupings"]["site"]  # "site" reads as a batch


def test_an_unknown_group_column_lists_the_columns(matrix_run: Path) -> None:
    with pytest.raises(InputError, match=r"'tissue'.*batch.*site"):
        load_inputs(matrix_run, group="tissue")


def test_h5ad_obs_column_is_a_grouping(tmp_path: Path) -> None:
    anndata = pytest.importorskip("anndata")
    import pandas as pd

    from biodl.assess.load import _matrix_column
    from biodl.config import load_config
    from biodl.data.sources import load_matrix_source

    adata = anndata.AnnData(
        X=np.arange(12, dtype=np.float32).reshape(4, 3),
        obs=pd.DataFrame(
            {"y": ["a", "b", "a", "b"], "batch": ["x", "x", "z", "z"]},
            index=["c1", "c2", "c3", "c4"],
        ),
        var=pd.DataFrame(index=["g1", "g2", "g3"]),
    )
    adata.write_h5ad(tmp_path / "m.h5ad")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"task: binary\npositive: a\ndata:\n  train: {{matrix: {tmp_path / 'm.h5ad'}, label: y}}\n"
        "model: {name: mlp}\n"
    )
    config = load_config(cfg)
    ex, _ = load_matrix_source(config.data.train, config)
    out = _matrix_column(config, "batch", [("train", ex)])
    assert out["train"].tolist() == ["x", "x", "z", "z"]


def test_calibration_runs_on_a_matrix_run(matrix_run: Path) -> None:
    item = calibration(load_inputs(matrix_run))
    assert item.flag in ("green", "amber", "red")
    assert 0.0 <= item.values["ece"] <= 1.0
    assert item.values["temperature_fitted_on"] == "valid"


def test_applicability_flags_far_samples_and_passes_like_ones(matrix_run: Path) -> None:
    run_dir = matrix_run.parent
    near = applicability(load_inputs(matrix_run, data=[run_dir / "near.tsv"]))
    assert near.flag == "green", near.summary
    assert near.values["n"] == 40
    assert near.values["fraction_in_domain"] >= 0.8
    assert near.values["reference"]["held_out"]["split"] == "test"
    far = applicability(load_inputs(matrix_run, data=[run_dir / "far.tsv"]))
    assert far.flag == "red"
    assert far.values["fraction_outside"] == 1.0
    assert far.values["rows"][0]["feature_distance"] > far.values["distance_threshold"]
    assert "new samples" in far.summary


def test_assess_run_with_group_and_data(matrix_run: Path, tmp_path: Path) -> None:
    from biodl.workflows.assessment import assess_run

    out = tmp_path / "assess"
    assess_run(matrix_run, out, group="batch", data=[matrix_run.parent / "far.tsv"])
    doc = json.loads((out / "assessment.json").read_text())
    assert doc["subgroups"]["groupings"]["batch"]["batch_effect"]["auroc"] > 0.9
    assert doc["applicability"]["flag"] == "red"
    assert doc["calibration"]["flag"] != "not_assessed"
    tsv = (out / "applicability.tsv").read_text().splitlines()
    assert tsv[0].split("\t") == ["id", "feature_distance", "in_domain"]
    assert len(tsv) == 41
