"""Multi-omics: several matrices joined by sample id, per-view preprocessing, fusion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from biodl.data import build_splits
from biodl.encode.matrix import FittedPipeline, MultiViewPipeline
from biodl.errors import ConfigError, InputError
from biodl.models import ModelIO, create_model
from biodl.workflows import predict_file, train_run
from biodl.workflows.common import load_checked


def _view(path: Path, ids: list[str], X: np.ndarray, prefix: str) -> Path:
    lines = ["id\t" + "\t".join(f"{prefix}{j}" for j in range(X.shape[1]))]
    lines += [f"{s}\t" + "\t".join(f"{v:.5f}" for v in row) for s, row in zip(ids, X, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _data(tmp_path: Path, n: int = 60, seed: int = 0) -> tuple[Path, Path, Path, np.ndarray]:
    """Two views (a: 6 features, signal in a0 and a2; b: 4 features on another scale, signal in
    b1), written in different sample orders; labels with a split column."""
    rng = np.random.default_rng(seed)
    y = np.array([i % 2 for i in range(n)])
    A = rng.normal(size=(n, 6))
    A[:, 0] += 3.0 * y
    A[:, 2] += 3.0 * y
    B = rng.normal(size=(n, 4)) * 10 + 100
    B[:, 1] += 30 * y
    ids = [f"s{i}" for i in range(n)]
    a = _view(tmp_path / "a.tsv", ids, A, "g")
    rev = list(range(n))[::-1]  # view b lists the samples in reverse order
    b = _view(tmp_path / "b.tsv", [ids[i] for i in rev], B[rev], "m")
    labels = tmp_path / "labels.tsv"
    split = ["test" if i >= n - 16 else ("valid" if i % 5 == 0 else "train") for i in range(n)]
    labels.write_text(
        "id\ty\tsplit\n"
        + "".join(f"s{i}\t{'up' if y[i] else 'down'}\t{split[i]}\n" for i in range(n))
    )
    return a, b, labels, np.hstack([A, B])


def _config(
    tmp_path: Path,
    a: Path,
    b: Path,
    labels: Path,
    *,
    missing: str = "error",
    model: str = "{name: multiview, fusion: attention, hidden: 8, dropout: 0.1, norm: layer}",
    epochs: int = 30,
) -> Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"""task: binary
positive: up
data:
  train:
    views:
      a: {{matrix: {a}, sample_id: id}}
      b:
        matrix: {b}
        sample_id: id
        preprocess: [standardize, {{select: {{method: t_test, k: 2}}}}]
    labels: {labels}
    label: y
    split: split
    missing_samples: {missing}
  preprocess: [standardize]
model: {model}
train: {{max_epochs: {epochs}, batch_size: 8, learning_rate: 0.01, seed: 0, progress_bar: false}}
evaluate: {{n_bootstrap: 0}}
"""
    )
    return cfg


def test_views_are_joined_by_sample_id_not_by_row_order(tmp_path: Path) -> None:
    a, b, labels, X = _data(tmp_path)
    splits = build_splits(load_checked(_config(tmp_path, a, b, labels)))
    assert splits.layout[1:] == (("view:a", 6), ("view:b", 2))
    state = FittedPipeline.from_json(splits.preprocess or {})
    assert isinstance(state, MultiViewPipeline)
    # view b's kept features are its own, selected on b alone, and named view:feature
    assert len(state.features_out) == 8
    assert "b:m1" in state.features_out[6:]
    # a training sample's raw values: a from row i of a.tsv, b from its own row of b.tsv
    train = splits.train
    i = train.ids.index("s3")
    b_pipe = dict(state.views)["b"]
    j = b_pipe.features_in.index("m1")
    sd = b_pipe.steps[0]["sd"][j]
    mean = b_pipe.steps[0]["mean"][j]
    col = 6 + b_pipe.features_out.index("m1")
    assert train.features is not None
    assert float(train.features[i][col, 0]) == pytest.approx((X[3, 6 + 1] - mean) / sd, abs=1e-3)


def test_sample_missing_from_a_view_is_one_line_naming_it(tmp_path: Path) -> None:
    a, b, labels, _ = _data(tmp_path)
    lines = b.read_text().splitlines()
    b.write_text("\n".join(line for line in lines if not line.startswith("s7\t")) + "\n")
    with pytest.raises(InputError) as err:
        build_splits(load_checked(_config(tmp_path, a, b, labels)))
    message = str(err.value)
    assert "\n" not in message
    assert "'s7'" in message
    assert "view 'b'" in message
    assert "b.tsv" in message
    # drop: s7 is left out, everything else is kept
    splits = build_splits(
        load_checked(_config(tmp_path, a, b, labels, missing="drop")), preprocess=None
    )
    ids = splits.train.ids + (splits.valid.ids if splits.valid else [])
    ids += splits.test.ids if splits.test else []
    assert "s7" not in ids
    assert len(ids) == 59


def test_per_view_preprocessing_is_fitted_on_training_samples_only(tmp_path: Path) -> None:
    a, b, labels, X = _data(tmp_path)
    splits = build_splits(load_checked(_config(tmp_path, a, b, labels)))
    state = FittedPipeline.from_json(splits.preprocess or {})
    assert isinstance(state, MultiViewPipeline)
    train_rows = [int(s[1:]) for s in splits.train.ids]
    assert state.n_train == len(train_rows) < 60
    for name, cols in (("a", slice(0, 6)), ("b", slice(6, 10))):
        pipe = dict(state.views)[name]
        expected = X[train_rows][:, cols].mean(axis=0)
        assert np.allclose(pipe.steps[0]["mean"], expected, atol=1e-3), name
        assert pipe.n_train == len(train_rows)
    # view a used data.preprocess (standardize), view b its own steps (standardize, select)
    assert [s["step"] for s in dict(state.views)["a"].steps] == ["standardize"]
    assert [s["step"] for s in dict(state.views)["b"].steps] == ["standardize", "select"]


def test_model_splits_the_input_at_the_recorded_boundaries() -> None:
    io = ModelIO(5, 1, 1, alphabet="matrix", layout=(("view:a", 2), ("view:b", 3)))
    model = create_model(
        "multiview", {"fusion": "late", "layers": 0, "dropout": 0.0, "norm": "none"}, io=io
    )
    trunk = model.trunk
    assert trunk.offsets == [0, 2]
    assert trunk.widths == [2, 3]
    with torch.no_grad():
        clf_a, clf_b = trunk.classifiers
        clf_a.weight.copy_(torch.tensor([[1.0, 2.0]]))
        clf_a.bias.fill_(0.5)
        clf_b.weight.copy_(torch.tensor([[0.0, 0.0, 3.0]]))
        clf_b.bias.fill_(-1.0)
    model.eval()
    x = torch.tensor([[1.0, 1.0, 7.0, 7.0, 2.0], [0.0, 2.0, 0.0, 0.0, -1.0]])[:, :, None]
    out = model(x)
    # mean of a: w.x[0:2]+b and b: w.x[2:5]+b
    expected = [((1 + 2 + 0.5) + (6 - 1)) / 2, ((0 + 4 + 0.5) + (-3 - 1)) / 2]
    assert out[:, 0].tolist() == pytest.approx(expected)
    # the other fusions build and give one logit per sample; the attention weights
    # across the two views sum to 1
    for fusion in ("early", "attention"):
        m = create_model("multiview", {"fusion": fusion, "hidden": 4}, io=io).eval()
        assert tuple(m(x).shape) == (2, 1)
    att = create_model("multiview", {"fusion": "attention", "hidden": 4}, io=io).eval()
    att(x)
    assert att.trunk.last_attention.sum(dim=1).tolist() == pytest.approx([1.0, 1.0])
    vcdn = create_model("multiview", {"fusion": "late", "combine": "vcdn"}, io=io).eval()
    assert tuple(vcdn(x).shape) == (2, 1)
    with pytest.raises(ConfigError, match="do not add up"):
        create_model("multiview", {"views": [2, 2]}, io=io)


@pytest.mark.parametrize("fusion", ["late"])
def test_train_and_predict_end_to_end_on_two_views(tmp_path: Path, fusion: str) -> None:
    a, b, labels, _ = _data(tmp_path)
    model = f"{{name: multiview, fusion: {fusion}, hidden: 8, dropout: 0.1, norm: layer}}"
    run = train_run(_config(tmp_path, a, b, labels, model=model), tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert meta["layout"] == {"matrix_features": 8, "view:a": 6, "view:b": 2}
    assert list(meta["matrix"]["views"]) == ["a", "b"]
    assert run.metrics["test"]["accuracy"]["value"] >= 0.8
    listing = tmp_path / "views.yaml"
    listing.write_text(f"a: {a.name}\nb: {b}\n")
    pred = predict_file(tmp_path / "run", listing, tmp_path / "p.tsv")
    assert pred.n_sequences == 60
    rows = (tmp_path / "p.tsv").read_text().splitlines()
    assert rows[1].split("\t")[0] == "s0"  # in the first view's order
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"a: {a}\n")
    with pytest.raises(InputError, match="views"):
        predict_file(tmp_path / "run", bad, tmp_path / "p2.tsv")


def test_single_view_and_plain_matrix_configs_unchanged(tmp_path: Path) -> None:
    a, _, labels, _ = _data(tmp_path)
    cfg = tmp_path / "one.yaml"
    cfg.write_text(
        f"""task: binary
positive: up
data:
  train: {{matrix: {a}, sample_id: id, labels: {labels}, label: y, split: split}}
  preprocess: [standardize]
model: {{name: mlp}}
"""
    )
    splits = build_splits(load_checked(cfg))
    assert splits.layout == (("matrix_features", 6),)
