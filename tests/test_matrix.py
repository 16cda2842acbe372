"""Expression matrices end to end: config, train-only preprocessing, predict, MLP."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import biodl.data.splits as splits_module
from biodl.data import build_splits
from biodl.encode.matrix import FittedPipeline, fit_pipeline
from biodl.errors import InputError
from biodl.workflows import predict_file, train_run
from biodl.workflows.common import load_checked


def _matrix(tmp_path: Path, n: int = 60, f: int = 30, seed: int = 0) -> tuple[Path, Path]:
    """Samples x features TSV with a planted signal in g0..g2, a label table with a
    split column (last 20 samples test; their labels alone track feature g29)."""
    rng = np.random.default_rng(seed)
    y = np.array([i % 2 for i in range(n)])
    X = rng.normal(size=(n, f))
    X[:, :3] += 2.5 * y[:, None]
    test = np.arange(n) >= n - 20
    X[test, f - 1] += 6.0 * y[test]  # a signal only the test samples carry
    X[~test, f - 1] = rng.normal(size=int((~test).sum()))
    lines = ["id\t" + "\t".join(f"g{j}" for j in range(f))]
    lines += [f"s{i}\t" + "\t".join(f"{v:.5f}" for v in X[i]) for i in range(n)]
    mpath = tmp_path / "m.tsv"
    mpath.write_text("\n".join(lines) + "\n")
    lpath = tmp_path / "labels.tsv"
    split = ["test" if t else ("valid" if i % 5 == 0 else "train") for i, t in enumerate(test)]
    lpath.write_text(
        "id\ty\tsplit\n"
        + "".join(f"s{i}\t{'up' if y[i] else 'down'}\t{split[i]}\n" for i in range(n))
    )
    return mpath, lpath


def _config(tmp_path: Path, mpath: Path, lpath: Path, *, k: int = 3, epochs: int = 40) -> Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"""task: binary
positive: up
data:
  train: {{matrix: {mpath}, sample_id: id, labels: {lpath}, label: y, split: split}}
  preprocess:
    - standardize
    - select: {{method: t_test, k: {k}}}
model: {{name: mlp, hidden: 8, dropout: 0.1, norm: layer}}
train: {{max_epochs: {epochs}, batch_size: 8, learning_rate: 0.01, seed: 0, progress_bar: false}}
evaluate: {{n_bootstrap: 0}}
"""
    )
    return cfg


def test_selection_never_sees_held_out_samples(tmp_path: Path, monkeypatch) -> None:
    mpath, lpath = _matrix(tmp_path)
    config = load_checked(_config(tmp_path, mpath, lpath))
    seen: list[int] = []
    real = splits_module.fit_pipeline

    def spy(X, features, steps, labels=None):
        seen.append(len(X))
        return real(X, features, steps, labels=labels)

    monkeypatch.setattr(splits_module, "fit_pipeline", spy)
    splits = build_splits(config)
    assert seen == [len(splits.train)]
    assert splits.preprocess is not None
    # g29 separates the test samples perfectly, but selection saw only training rows
    assert "g29" not in splits.preprocess["features_out"]
    assert set(splits.preprocess["features_out"]) == {"g0", "g1", "g2"}
    assert splits.train.features is not None
    assert splits.train.features[0].shape == (3, 1)


def test_pipeline_state_is_json_and_transform_matches_by_name() -> None:
    X = np.array([[1.0, 5.0, 0.0], [3.0, 7.0, 0.0], [5.0, 9.0, 1.0]])
    fitted = fit_pipeline(X, ["a", "b", "c"], ["log1p", {"variance": {"top": 2}}, "standardize"])
    state = json.loads(json.dumps(fitted.to_json()))
    again = FittedPipeline.from_json(state)
    shuffled = X[:, [2, 0, 1]]
    np.testing.assert_allclose(
        again.transform(shuffled, ["c", "a", "b"]), fitted.transform(X, ["a", "b", "c"])
    )
    kept = again.features_out
    other = next(f for f in ["a", "b", "c"] if f != kept[1])
    with pytest.raises(InputError, match=f"missing from the matrix, the first '{kept[1]}'"):
        again.transform(X[:, :1], [other])


def test_train_predict_evaluate_and_planted_signal(tmp_path: Path) -> None:
    mpath, lpath = _matrix(tmp_path)
    cfg = _config(tmp_path, mpath, lpath)
    run = train_run(cfg, tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert meta["alphabet"] == "matrix"
    assert meta["matrix"]["n_features"] == 3
    state = json.loads((tmp_path / "run" / "preprocess.json").read_text())
    assert state["n_train"] == len(build_splits(load_checked(cfg)).train)
    trained = run.metrics["test"]["accuracy"]["value"]
    untrained = train_run(_config(tmp_path, mpath, lpath, epochs=1), tmp_path / "one")
    assert trained >= 0.9
    assert trained - untrained.metrics["test"]["auroc"]["value"] > -1  # ran
    # predict: a new matrix with the features in another order and an extra column
    lines = mpath.read_text().splitlines()
    header = lines[0].split("\t")
    order = [0, *range(len(header) - 1, 0, -1)]
    shuffled = ["\t".join(line.split("\t")[i] for i in order) + "\t0" for line in lines]
    shuffled[0] = shuffled[0][:-2] + "\textra"
    new = tmp_path / "new.tsv"
    new.write_text("\n".join(shuffled) + "\n")
    pred = predict_file(tmp_path / "run", new, tmp_path / "p.tsv", id_column="id")
    assert pred.n_sequences == 60
    rows = [r.split("\t") for r in (tmp_path / "p.tsv").read_text().splitlines()[1:]]
    original = predict_file(tmp_path / "run", mpath, tmp_path / "p0.tsv")
    assert original.n_sequences == 60
    rows0 = [r.split("\t") for r in (tmp_path / "p0.tsv").read_text().splitlines()[1:]]
    assert [r[1] for r in rows] == [r[1] for r in rows0]
    # a feature the model uses is missing: one clear error
    cut = tmp_path / "cut.tsv"
    cut.write_text("\n".join("\t".join(line.split("\t")[:2]) for line in lines) + "\n")
    with pytest.raises(InputError, match=r"cut\.tsv: 2 of the 3 features the model uses"):
        predict_file(tmp_path / "run", cut, tmp_path / "p2.tsv")


def test_mlp_learns_planted_signal_far_better_than_untrained(tmp_path: Path) -> None:
    import torch

    from biodl.config import TrainConfig
    from biodl.models import ModelIO, create_model
    from biodl.tasks import make_task
    from biodl.train import fit

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    X = rng.normal(size=(200, 20)).astype(np.float32)
    X[:, 0] += 3 * y
    io = ModelIO(n_channels=20, input_length=1, n_outputs=1, alphabet="matrix")
    torch.manual_seed(0)
    model = create_model("mlp", {"hidden": 8}, io=io)
    model.eval()
    with torch.no_grad():
        before = ((model(torch.from_numpy(X[:, :, None]))[:, 0] > 0).numpy() == y).mean()
    task = make_task("binary", classes=("0", "1"), positive="1", negative="0")
    result = fit(
        model,
        (X[:150, :, None], y[:150, None].astype(np.float32)),
        (X[150:, :, None], y[150:, None].astype(np.float32)),
        config=TrainConfig(max_epochs=30, batch_size=32, learning_rate=0.01, progress_bar=False),
        out_dir=tmp_path,
        task=task,
    )
    model.load_state_dict(result.state_dict)
    model.eval()
    with torch.no_grad():
        after = ((model(torch.from_numpy(X[150:, :, None]))[:, 0] > 0).numpy() == y[150:]).mean()
    assert after >= 0.85
    assert after - before > 0.25


def test_bad_labels_exit_2(tmp_path: Path) -> None:
    from biodl.cli import main

    mpath, lpath = _matrix(tmp_path)
    lpath.write_text(lpath.read_text() + "ghost\tup\ttrain\n")
    code = main(["train", str(_config(tmp_path, mpath, lpath)), "--out", str(tmp_path / "r")])
    assert code == 2


def test_labelled_sample_missing_from_matrix_message(tmp_path: Path) -> None:
    mpath, lpath = _matrix(tmp_path)
    lpath.write_text(lpath.read_text() + "ghost\tup\ttrain\n")
    with pytest.raises(InputError, match=r"labels\.tsv:62: labelled sample 'ghost' is not in"):
        build_splits(load_checked(_config(tmp_path, mpath, lpath)))


def test_predict_skips_the_label_column_of_a_matrix_that_has_it(tmp_path: Path) -> None:
    """A matrix whose label (and split) are columns of its own is predicted from the same
    file: those text columns are not features (as in training)."""
    mpath, lpath = _matrix(tmp_path, n=40)
    labels = {r.split("\t")[0]: r.split("\t")[1:] for r in lpath.read_text().splitlines()[1:]}
    lines = mpath.read_text().splitlines()
    joined = [lines[0] + "\ty\tsplit"]
    joined += [f"{line}\t" + "\t".join(labels[line.split("\t")[0]]) for line in lines[1:]]
    both = tmp_path / "both.tsv"
    both.write_text("\n".join(joined) + "\n")
    cfg = tmp_path / "inline.yaml"
    cfg.write_text(
        f"""task: binary
positive: up
data:
  train: {{matrix: {both}, sample_id: id, label: y, split: split}}
  preprocess: [standardize]
model: {{name: mlp, hidden: 4}}
train: {{max_epochs: 2, batch_size: 8, seed: 0, progress_bar: false}}
evaluate: {{n_bootstrap: 0}}
"""
    )
    train_run(cfg, tmp_path / "inline")
    pred = predict_file(tmp_path / "inline", both, tmp_path / "p.tsv")
    assert pred.n_sequences == 40
