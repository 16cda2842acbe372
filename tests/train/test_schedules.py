"""Learning-rate schedules (``train.lr_schedule``): the rate at every step is the
documented one, bad combinations are one-line errors, and a run with a step schedule
resumes bit for bit."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import Callback

from biodl.config import TrainConfig, parse_config
from biodl.errors import ConfigError
from biodl.models import ModelIO, create_model
from biodl.tasks import Binary
from biodl.train.checkpoint import STATE_JSON
from biodl.train.module import ArrayDataModule, Schedule, SequenceTask, cosine_factor
from tests.train.test_resume import _config, _data, _interrupt_in_epoch, _same_weights, _train

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class _Rates(Callback):
    """The learning rate used by each training step."""

    def __init__(self) -> None:
        self.rates: list[float] = []

    def on_train_batch_start(self, trainer: L.Trainer, *args: Any) -> None:
        self.rates.append(float(trainer.optimizers[0].param_groups[0]["lr"]))


def _rates(schedule: Schedule, *, epochs: int = 3, lr: float = 0.01) -> list[float]:
    """Train a tiny model for ``epochs`` (5 steps each) and record the rates."""
    L.seed_everything(0, verbose=False)
    io = ModelIO(n_channels=4, input_length=40, n_outputs=1, alphabet="dna")
    model = create_model("deepbind", {"n_filters": 2, "filter_width": 4, "hidden": 4}, io=io)
    task = SequenceTask(
        model, Binary(positive="1", negative="0"), learning_rate=lr, schedule=schedule
    )
    (x, y), _ = _data()
    data = ArrayDataModule((x[:80], y[:80]), None, batch_size=16, seed=0)
    rates = _Rates()
    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[rates],
    )
    trainer.fit(task, datamodule=data)
    return rates.rates


def test_cosine_with_warm_up_follows_the_formula_at_every_step() -> None:
    rates = _rates(Schedule("cosine", warmup_epochs=1))
    assert len(rates) == 15  # 3 epochs of 5 steps
    expected = [0.01 * cosine_factor(s, total=15, warmup=5) for s in range(15)]
    assert rates == pytest.approx(expected, rel=1e-12)
    assert rates[4] == pytest.approx(0.01)  # the peak ends the warm-up
    assert rates[5] == pytest.approx(0.01)  # cosine starts at the peak...
    assert rates[-1] == pytest.approx(0.01 * 0.5 * (1 + math.cos(math.pi * 9 / 10)))


def test_one_cycle_peaks_at_the_rate_after_the_warm_up() -> None:
    rates = _rates(Schedule("onecycle", warmup_epochs=1))
    assert len(rates) == 15
    peak = max(range(15), key=rates.__getitem__)
    assert peak == 4
    assert rates[peak] == pytest.approx(0.01)
    assert all(a < b for a, b in itertools.pairwise(rates[: peak + 1]))
    assert all(a > b for a, b in itertools.pairwise(rates[peak:]))
    assert rates[-1] < 1e-4  # annealed far below the start (max_lr / 25)


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ({"warmup_epochs": 2}, "warmup_epochs goes with lr_schedule: cosine or onecycle"),
        (
            {"lr_schedule": "cosine", "warmup_epochs": 5, "max_epochs": 5},
            "warmup_epochs (5) must be below max_epochs (5)",
        ),
        ({"lr_schedule": "linear"}, "lr_schedule"),
    ],
)
def test_bad_schedules_are_one_line_errors(train: dict[str, Any], message: str) -> None:
    raw = {
        "task": "binary",
        "data": {"train": {"fasta": {"1": "pos.fa", "0": "neg.fa"}}, "valid": {"fraction": 0.2}},
        "model": {"name": "deepbind"},
        "train": train,
    }
    with pytest.raises(ConfigError, match=None) as err:
        parse_config(raw, path="config.yaml")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_cosine_run_resumes_bit_for_bit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config: TrainConfig = _config(lr_schedule="cosine", warmup_epochs=1, max_epochs=4, patience=5)
    full = _train(tmp_path / "full", config)
    with monkeypatch.context() as m:
        _interrupt_in_epoch(m, 2)
        with pytest.raises(KeyboardInterrupt):
            _train(tmp_path / "cut", config)
    resumed = _train(tmp_path / "cut", config, resume=True)
    _same_weights(full.state_dict, resumed.state_dict)
    final = json.loads((tmp_path / "cut" / "checkpoints" / STATE_JSON).read_text())
    # the schedule really ran: the last rate is far below the peak
    assert final["optimizers"][0]["param_groups"][0]["lr"] < 0.2 * config.learning_rate
    assert torch.is_tensor(next(iter(resumed.state_dict.values())))
