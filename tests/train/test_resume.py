"""Resumable training: a run stopped after an epoch and resumed ends, bit for bit, where
an uninterrupted run ends (same seed, one thread)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from biodl.config import TrainConfig
from biodl.errors import InputError, Terminated
from biodl.models import ModelIO, create_model
from biodl.train import fit
from biodl.train.checkpoint import STATE_JSON, check_resumable, run_fingerprint
from biodl.train.module import SequenceTask


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _data(seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, (160, 40))
    x = np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy()
    gc = (idx[:, 10:22] >= 1) & (idx[:, 10:22] <= 2)  # C or G near the start
    y = ((gc.sum(axis=1, keepdims=True) >= 6) ^ (rng.random((160, 1)) < 0.1)).astype(np.float32)
    return (x[:120], y[:120]), (x[120:], y[120:])


def _config(**overrides: Any) -> TrainConfig:
    options: dict[str, Any] = {
        "max_epochs": 8,
        "seed": 3,
        "batch_size": 16,
        "learning_rate": 0.01,
        "patience": 2,
        "lr_patience": 1,
        "lr_schedule": "plateau",
        "accelerator": "cpu",
        "progress_bar": False,
        "augment": {"reverse_complement": True, "shift": 2},
    }
    options.update(overrides)
    return TrainConfig(**options)


def _train(out: Path | None, config: TrainConfig, *, resume: bool = False) -> Any:
    L.seed_everything(config.seed, verbose=False)
    io = ModelIO(n_channels=4, input_length=40, n_outputs=1, alphabet="dna")
    # DeepBind with dropout (0.5 by default) in its hidden layer: the global generator
    # drives dropout and the reverse-complement/shift augmentation
    model = create_model("deepbind", {"n_filters": 6, "filter_width": 8, "hidden": 8}, io=io)
    train, valid = _data()
    return fit(model, train, valid, config=config, out_dir=out, resume=resume)


def _interrupt_in_epoch(
    monkeypatch: pytest.MonkeyPatch, epoch: int, exc: type[BaseException] = KeyboardInterrupt
) -> None:
    original = SequenceTask.training_step

    def step(self: SequenceTask, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.current_epoch == epoch and batch_idx == 2:
            raise exc()
        return original(self, batch, batch_idx)

    monkeypatch.setattr(SequenceTask, "training_step", step)


def _epoch_of(path: Path) -> str | None:
    with safe_open(str(path), framework="pt") as handle:
        return (handle.metadata() or {}).get("epoch")


def _same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_resume_after_interrupt_is_bit_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config()
    full = _train(tmp_path / "full", config)
    with monkeypatch.context() as m:
        _interrupt_in_epoch(m, 3)
        with pytest.raises(KeyboardInterrupt):
            _train(tmp_path / "cut", config)
    state = json.loads((tmp_path / "cut" / "checkpoints" / STATE_JSON).read_text())
    assert state["epoch"] == 3  # epochs 0, 1, 2 complete
    resumed = _train(tmp_path / "cut", config, resume=True)
    _same_weights(full.state_dict, resumed.state_dict)
    assert (resumed.epochs, resumed.best_epoch, resumed.history) == (
        full.epochs,
        full.best_epoch,
        full.history,
    )
    for name in ("best.safetensors", "last.safetensors"):
        a, b = (tmp_path / run / "checkpoints" / name for run in ("full", "cut"))
        _same_weights(load_file(a), load_file(b))
        assert _epoch_of(a) == _epoch_of(b)
    full_log = (tmp_path / "full" / "logs" / "metrics.csv").read_text()
    assert (tmp_path / "cut" / "logs" / "metrics.csv").read_text() == full_log
