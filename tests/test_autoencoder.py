"""The ``dae`` model: denoising pre-training, then supervised training end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from biodl.models import ModelIO, create_model, get_model_spec, pretrain_unsupervised
from biodl.models.autoencoder import DenoisingAutoencoder
from biodl.runs import load_run
from biodl.workflows import predict_file, train_run


def _planted(n: int = 64, f: int = 40, rank: int = 3, seed: int = 0) -> np.ndarray:
    """``(n, f, 1)`` standardised values of rank ``rank`` plus a little noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, f)) + 0.05 * rng.normal(size=(n, f))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X[:, :, None].astype(np.float32)


@pytest.mark.parametrize("noise", ["mask", "gaussian"])
def test_pretraining_cuts_the_reconstruction_error(noise: str) -> None:
    torch.manual_seed(0)
    X = _planted()
    io = ModelIO(n_channels=40, input_length=1, n_outputs=1, alphabet="matrix")
    model = create_model(
        "dae",
        {
            "hidden": 32,
            "bottleneck": 4,
            "noise": noise,
            "noise_level": 0.2,
            "pretrain_epochs": 150,
            "pretrain_learning_rate": 0.003,
        },
        io=io,
    )
    assert isinstance(model, DenoisingAutoencoder)
    summary = pretrain_unsupervised(model, X)
    assert summary is not None
    assert summary["epochs"] == 150
    # a rank-3 signal through a 4-unit code: the error falls by far more than half
    assert summary["loss_before"] > 0.5
    assert summary["loss_after"] < 0.2 * summary["loss_before"]
    assert model.reconstruction_loss(X) == pytest.approx(summary["loss_after"])
    # the forward pass is encoder + head only: one logit per sample
    assert model(torch.as_tensor(X)).shape == (64, 1)


def test_other_models_have_no_pretraining_and_dae_is_registered() -> None:
    io = ModelIO(n_channels=10, input_length=1, n_outputs=2, alphabet="matrix")
    assert pretrain_unsupervised(create_model("mlp", {}, io=io), np.zeros((3, 10, 1))) is None
    spec = get_model_spec("dae")
    assert "Vincent" in spec.citation
    assert "Yuan" in spec.citation
    assert "pretrain_epochs" not in spec.space  # tune trials are not pre-trained


def _data(tmp_path: Path, n: int = 60, f: int = 30, seed: int = 0) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    y = np.array([i % 2 for i in range(n)])
    X = rng.normal(size=(n, f))
    X[:, :4] += 2.0 * y[:, None]
    lines = ["id\t" + "\t".join(f"g{j}" for j in range(f))]
    lines += [f"s{i}\t" + "\t".join(f"{v:.5f}" for v in X[i]) for i in range(n)]
    mpath = tmp_path / "m.tsv"
    mpath.write_text("\n".join(lines) + "\n")
    split = ["test" if i >= n - 20 else ("valid" if i % 5 == 0 else "train") for i in range(n)]
    lpath = tmp_path / "labels.tsv"
    lpath.write_text(
        "id\ty\tsplit\n"
        + "".join(f"s{i}\t{'up' if y[i] else 'down'}\t{split[i]}\n" for i in range(n))
    )
    return mpath, lpath


def test_dae_trains_and_predicts_end_to_end(tmp_path: Path, monkeypatch) -> None:
    mpath, lpath = _data(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"""task: binary
positive: up
data:
  train: {{matrix: {mpath}, sample_id: id, labels: {lpath}, label: y, split: split}}
  preprocess:
    - center_samples
    - select: {{method: t_test, k: 10}}
    - standardize
model: {{name: dae, hidden: 16, bottleneck: 4, dropout: 0.1, pretrain_epochs: 30}}
train: {{max_epochs: 40, batch_size: 8, learning_rate: 0.01, seed: 0, progress_bar: false}}
evaluate: {{n_bootstrap: 0}}
"""
    )
    seen: list[int] = []
    original = DenoisingAutoencoder.pretrain

    def spy(self: DenoisingAutoencoder, X: np.ndarray) -> dict:
        seen.append(len(X))
        return original(self, X)

    monkeypatch.setattr(DenoisingAutoencoder, "pretrain", spy)
    run = train_run(cfg, tmp_path / "run")
    assert seen == [32]  # the 32 training samples only (not valid, not test)
    loaded = load_run(run.out)
    assert loaded.meta["architecture"]["name"] == "dae"
    assert run.metrics["test"]["accuracy"]["value"] >= 0.8
    pred = predict_file(run.out, mpath, tmp_path / "pred.tsv")
    assert pred.n_sequences == 60
