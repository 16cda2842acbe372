"""Weight averaging (``train.weight_average: ema | swa``): the averages equal their closed
forms, validation and the saved run see the averaged weights, the options are checked."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import pytest
import torch
import yaml
from lightning.pytorch.callbacks import Callback
from safetensors.torch import load_file
from torch import nn

from biodl.config import TrainConfig, config_to_dict, load_config, parse_config
from biodl.encode import one_hot
from biodl.errors import ConfigError, InputError
from biodl.runs import load_run
from biodl.tasks import Binary
from biodl.testing import planted_motif_dataset
from biodl.testing.assess_runs import write_assess_data
from biodl.train import fit
from biodl.train.averaging import WeightAverage, WeightAveraging
from biodl.train.checkpoint import STATE_JSON
from biodl.train.module import SequenceTask

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _copy(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


# -- the averages on hand-made weights -------------------------------------------------


def test_ema_and_swa_equal_their_closed_forms() -> None:
    ws = [1.0, -2.0, 4.0, 0.5, 3.0]
    states = [
        {"w": torch.tensor([w, 2 * w], dtype=torch.float64), "count": torch.tensor(i)}
        for i, w in enumerate(ws, start=1)
    ]
    d = 0.8
    ema, swa = WeightAverage("ema", decay=d), WeightAverage("swa")
    for n, state in enumerate(states, start=1):
        ema.update(state)
        swa.update(state)
        # EMA started at the first weights: d^(n-1) w_1 + (1 - d) sum_{k=2..n} d^(n-k) w_k
        closed = d ** (n - 1) * ws[0] + (1 - d) * sum(
            d ** (n - k) * ws[k - 1] for k in range(2, n + 1)
        )
        assert ema.tensors["w"].tolist() == pytest.approx([closed, 2 * closed], abs=1e-12)
        mean = sum(ws[:n]) / n
        assert swa.tensors["w"].tolist() == pytest.approx([mean, 2 * mean], abs=1e-12)
        # integer buffers (batch norm's num_batches_tracked) take the current value
        assert int(ema.tensors["count"]) == int(swa.tensors["count"]) == n
        assert ema.n_averaged == swa.n_averaged == n
    # the average holds copies: changing the given weights changes nothing
    states[-1]["w"].fill_(100.0)
    assert swa.tensors["w"][0].item() == pytest.approx(sum(ws) / len(ws))


def test_bad_average_arguments() -> None:
    with pytest.raises(ValueError, match="'ema' or 'swa'"):
        WeightAverage("none")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="decay"):
        WeightAverage("ema", decay=1.0)


# -- the options -----------------------------------------------------------------------

CONFIG = """\
task: binary
data:
  train: {table: t.tsv, sequence: seq, label: Bound}
model: {name: deepbind}
"""


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return load_config(path)


def test_defaults_and_round_trip(tmp_path: Path) -> None:
    plain = _load(tmp_path, CONFIG).train
    assert (plain.weight_average, plain.ema_decay, plain.swa_start) == ("none", None, None)
    assert plain.ema_decay_value == 0.999
    assert plain.swa_start_epoch == 1
    assert (
        TrainConfig(weight_average="swa", warmup_epochs=3, lr_schedule="cosine").swa_start_epoch
        == 3
    )
    assert TrainConfig(weight_average="swa", max_epochs=1).swa_start_epoch == 0
    for extra in (
        "weight_average: ema",
        "weight_average: ema\n  ema_decay: 0.99",
        "weight_average: swa",
        "weight_average: swa\n  swa_start: 0",
        "weight_average: none",
    ):
        config = _load(tmp_path, CONFIG + f"train:\n  {extra}\n")
        # the run's config.yaml records the option and loads again
        again = parse_config(config_to_dict(config), base_dir=tmp_path)
        assert again.train == config.train
        assert config_to_dict(config)["train"]["weight_average"] == config.train.weight_average


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        (
            "ema_decay: 0.99",
            7,
            "'train.ema_decay': value error, goes with weight_average: ema only",
        ),
        (
            "weight_average: swa\n  ema_decay: 0.99",
            8,
            "'train.ema_decay': value error, goes with weight_average: ema only",
        ),
        ("swa_start: 2", 7, "'train.swa_start': value error, goes with weight_average: swa only"),
        (
            "weight_average: ema\n  swa_start: 2",
            8,
            "'train.swa_start': value error, goes with weight_average: swa only",
        ),
        (
            "max_epochs: 5\n  weight_average: swa\n  swa_start: 5",
            9,
            "'train.swa_start': value error, must be below max_epochs (5)",
        ),
        (
            "weight_average: ema\n  ema_decay: 1.0",
            8,
            "'train.ema_decay': input should be less than 1",
        ),
        (
            "weight_average: ema\n  ema_decay: 0",
            8,
            "'train.ema_decay': input should be greater than 0",
        ),
        ("weight_average: swa\n  swa_start: -1", 8, "'train.swa_start'"),
        ("weight_average: polyak", 7, "'train.weight_average'"),
    ],
)
def test_options_that_do_not_apply_are_errors(
    tmp_path: Path, extra: str, line: int, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, CONFIG + f"train:\n  seed: 1\n  {extra}\n")
    text = str(info.value)
    assert "\n" not in text
    assert message in text
    assert info.value.line == line


# -- fit: the averages of a real trajectory, and what validation sees ------------------


class GcModel(nn.Module):
    """One weight times the batch-normalised GC fraction: 3 parameters (``w`` and the
    batch norm's affine pair) and the batch norm's running statistics."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(1)
        self.w = nn.Parameter(torch.tensor([0.5]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gc = x[:, 1:3].mean(dim=(1, 2))[:, None]
        return self.w * self.norm(gc)


class Recorder(Callback):
    """The raw weights after every optimiser step and the model's weights at every
    epoch end (registered after biodl's callbacks: the averaged weights by then)."""

    def __init__(self) -> None:
        self.steps: list[dict[str, torch.Tensor]] = []
        self.evaluated: list[dict[str, torch.Tensor]] = []

    def on_train_batch_end(self, trainer: Any, pl_module: Any, *args: Any) -> None:
        self.steps.append(_copy(pl_module.model))

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self.evaluated.append(_copy(pl_module.model))


def _gc_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    seqs, labels = planted_motif_dataset(40, 40, length=30, seed=5)
    x = one_hot(seqs)
    y = np.asarray(labels, dtype=np.float32)[:, None]
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:64], y[:64]), (x[64:], y[64:])  # 4 steps of 16 per epoch; one valid batch


def _gc_fit(kind: Literal["none", "ema", "swa"], **options: Any) -> tuple[Any, Recorder, Any]:
    config = TrainConfig(
        max_epochs=4,
        seed=0,
        batch_size=16,
        learning_rate=0.05,
        lr_schedule="none",
        patience=10,
        accelerator="cpu",
        progress_bar=False,
        weight_average=kind,
        **options,
    )
    L.seed_everything(0, verbose=False)
    train, valid = _gc_data()
    recorder = Recorder()
    result = fit(GcModel(), train, valid, config=config, callbacks=[recorder])
    return result, recorder, valid


def _closed_form(
    kind: str, steps: list[dict[str, torch.Tensor]], epochs: int, *, decay: float = 0.9
) -> list[Any]:
    """Per epoch: the expected averaged weights (float64), from the raw trajectory."""
    per_epoch = len(steps) // epochs
    out = []
    for e in range(epochs):
        if kind == "ema":
            d = decay
            seen = steps[: (e + 1) * per_epoch]
            n = len(seen)
            expected = {
                k: d ** (n - 1) * seen[0][k].double()
                + sum((1 - d) * d ** (n - j) * seen[j - 1][k].double() for j in range(2, n + 1))
                for k in seen[0]
                if seen[0][k].is_floating_point()
            }
        else:  # swa from epoch 1 (the default: max(warmup_epochs, 1))
            ends = [steps[(i + 1) * per_epoch - 1] for i in range(e + 1)]
            used = ends[1:] if e >= 1 else ends  # before swa_start: the raw weights
            expected = {
                k: torch.stack([w[k].double() for w in used]).mean(dim=0)
                for k in used[0]
                if used[0][k].is_floating_point()
            }
        out.append(expected)
    return out


@pytest.mark.parametrize("kind", ["ema", "swa"])
def test_fit_validates_and_returns_the_average(kind: Literal["ema", "swa"]) -> None:
    options = {"ema_decay": 0.9} if kind == "ema" else {}
    result, recorder, valid = _gc_fit(kind, **options)
    epochs = len(recorder.evaluated)
    assert epochs == result.epochs == 4
    assert len(recorder.steps) == 16
    expected = _closed_form(kind, recorder.steps, epochs)
    for e in range(epochs):
        got = recorder.evaluated[e]
        for k, value in expected[e].items():
            torch.testing.assert_close(got[k].double(), value, atol=1e-6, rtol=0)
        # integer buffers: the raw count at the epoch's end
        raw_end = recorder.steps[(e + 1) * 4 - 1]
        assert torch.equal(got["norm.num_batches_tracked"], raw_end["norm.num_batches_tracked"])
    # the average is not the raw weights (the test is not vacuous), BN statistics included
    last_raw = recorder.steps[-1]
    for k in ("w", "norm.running_mean", "norm.running_var"):
        assert not torch.allclose(recorder.evaluated[-1][k], last_raw[k], atol=1e-6), k
    # validation (hence early stopping and the best epoch) saw the averaged weights
    x, y = (torch.from_numpy(a) for a in valid)
    for e in range(epochs):
        model = GcModel()
        model.load_state_dict(recorder.evaluated[e])
        model.eval()
        with torch.no_grad():
            loss, _ = SequenceTask(model, Binary(positive="1", negative="0"))._loss((x, y))
        assert result.history[e] == pytest.approx(float(loss), rel=1e-5, abs=1e-6)
    best = int(np.argmin(result.history))
    assert result.best_epoch == best
    for k, v in recorder.evaluated[best].items():
        assert torch.equal(result.state_dict[k], v), k


@pytest.mark.parametrize("kind", ["ema", "swa"])
def test_without_validation_the_last_average_is_returned(kind: Literal["ema", "swa"]) -> None:
    config = TrainConfig(
        max_epochs=3, seed=0, batch_size=16, learning_rate=0.05, lr_schedule="none",
        accelerator="cpu", progress_bar=False, weight_average=kind,
    )  # fmt: skip
    L.seed_everything(0, verbose=False)
    train, _ = _gc_data()
    recorder = Recorder()
    result = fit(GcModel(), train, None, config=config, callbacks=[recorder])
    assert result.best_epoch == 2
    expected = _closed_form(kind, recorder.steps, 3, decay=0.999)[-1]
    for k, value in expected.items():
        torch.testing.assert_close(result.state_dict[k].double(), value, atol=1e-6, rtol=0)
    assert not torch.equal(result.state_dict["w"], recorder.steps[-1]["w"])


def test_training_goes_on_from_the_raw_weights() -> None:
    """The optimiser steps the raw weights: the first step of an epoch starts from the
    last raw step of the one before, not from the average swapped in for validation."""
    _, with_average, _ = _gc_fit("ema", ema_decay=0.9)
    _, without, _ = _gc_fit("none")
    assert len(with_average.steps) == len(without.steps)
    for a, b in zip(with_average.steps, without.steps, strict=True):
        for k in a:
            assert torch.equal(a[k], b[k]), k


def test_a_state_without_its_average_is_refused(tmp_path: Path) -> None:
    config = TrainConfig(
        max_epochs=2, seed=0, batch_size=16, accelerator="cpu", progress_bar=False,
        weight_average="swa", swa_start=0,
    )  # fmt: skip
    train, valid = _gc_data()
    L.seed_everything(0, verbose=False)
    fit(GcModel(), train, valid, config=config, out_dir=tmp_path / "run")
    path = tmp_path / "run" / "checkpoints" / STATE_JSON
    state = json.loads(path.read_text())
    assert state["averaging"]["kind"] == "swa"
    assert state["averaging"]["n_averaged"] == 2
    state["averaging"] = None
    path.write_text(json.dumps(state))
    L.seed_everything(0, verbose=False)
    with pytest.raises(InputError, match="no weight-averaging state") as info:
        fit(GcModel(), train, valid, config=config, out_dir=tmp_path / "run", resume=True)
    assert str(info.value).startswith(f"{path}: ")


# -- a run, end to end -------------------------------------------------------------------


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The raw and the validated weights at every epoch end of the runs trained."""
    seen: list[dict[str, Any]] = []
    original = WeightAveraging.on_train_epoch_end

    def record(self: WeightAveraging, trainer: Any, pl_module: Any) -> None:
        original(self, trainer, pl_module)
        raw = self.training_weights(pl_module.model)
        seen.append(
            {
                "raw": {k: v.detach().cpu().clone() for k, v in raw.items()},
                "evaluated": _copy(pl_module.model),
            }
        )

    monkeypatch.setattr(WeightAveraging, "on_train_epoch_end", record)
    return seen


@pytest.mark.parametrize(
    "options",
    [{"weight_average": "ema", "ema_decay": 0.5}, {"weight_average": "swa", "swa_start": 0}],
)
def test_a_run_saves_the_averaged_weights_and_predicts(
    tmp_path: Path, options: dict[str, Any], evaluated: list[dict[str, Any]]
) -> None:
    from biodl.workflows import predict_file, train_run

    path = write_assess_data(tmp_path, task="binary", seed=0)
    config = yaml.safe_load(path.read_text())
    config["train"].update({"max_epochs": 3, **options})
    path.write_text(yaml.safe_dump(config))
    run = train_run(path, tmp_path / "run").out
    assert len(evaluated) == 3
    meta = json.loads((run / "model.json").read_text())
    best = meta["training"]["best_epoch"]
    saved = load_file(run / "model.safetensors")
    assert saved.keys() == evaluated[best]["evaluated"].keys()
    for k, v in evaluated[best]["evaluated"].items():
        assert torch.equal(saved[k], v), k
    # the average differs from the raw weights by the last epoch
    last = evaluated[-1]
    assert any(not torch.equal(last["raw"][k], last["evaluated"][k]) for k in last["raw"])
    # the option is recorded with the run
    recorded = yaml.safe_load((run / "config.yaml").read_text())["train"]
    assert {k: recorded[k] for k in options} == options
    load_run(run)
    out = predict_file(run, tmp_path / "test.tsv", tmp_path / "pred.tsv", sequence_column="seq").out
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == 40
    assert all(0.0 <= float(r["score"]) <= 1.0 and math.isfinite(float(r["logit"])) for r in rows)
