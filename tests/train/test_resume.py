"""Resumable training: a run stopped after an epoch and resumed ends, bit for bit, where
an uninterrupted run ends (same seed, one thread)."""

from __future__ import annotations

import json
import shutil
import signal
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


def _train(
    out: Path | None, config: TrainConfig, *, resume: bool = False, data_seed: int = 0
) -> Any:
    L.seed_everything(config.seed, verbose=False)
    io = ModelIO(n_channels=4, input_length=40, n_outputs=1, alphabet="dna")
    # DeepBind with dropout (0.5 by default) in its hidden layer: the global generator
    # drives dropout and the reverse-complement/shift augmentation
    model = create_model("deepbind", {"n_filters": 6, "filter_width": 8, "hidden": 8}, io=io)
    train, valid = _data(data_seed)
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
    # precondition: the plateau schedule and early stopping acted after the resume point
    assert state["epoch"] < full.epochs < config.max_epochs
    final = json.loads((tmp_path / "cut" / "checkpoints" / STATE_JSON).read_text())
    assert final["optimizers"][0]["param_groups"][0]["lr"] < config.learning_rate
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


@pytest.mark.parametrize(
    "options",
    [{"weight_average": "ema", "ema_decay": 0.9}, {"weight_average": "swa"}],
    ids=["ema", "swa"],
)
def test_resume_with_weight_averaging_is_bit_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    """The averaged weights (SWA from epoch 1: epochs 1 and 2 averaged before the cut)
    are saved with the state and restored: the resumed run validates, stops and saves
    exactly as the uninterrupted one."""
    config = _config(**options)
    full = _train(tmp_path / "full", config)
    with monkeypatch.context() as m:
        _interrupt_in_epoch(m, 3)
        with pytest.raises(KeyboardInterrupt):
            _train(tmp_path / "cut", config)
    folder = tmp_path / "cut" / "checkpoints"
    state = json.loads((folder / STATE_JSON).read_text())
    assert state["epoch"] == 3
    assert state["averaging"]["kind"] == options["weight_average"]
    assert state["averaging"]["n_averaged"] == (3 * 8 if options["weight_average"] == "ema" else 2)
    tensors = load_file(folder / state["tensors"])
    raw = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    average = {k[len("average.") :]: v for k, v in tensors.items() if k.startswith("average.")}
    assert raw.keys() == average.keys()
    # the state keeps the raw weights to train on; last.safetensors the validated average
    _same_weights(average, load_file(folder / "last.safetensors"))
    assert any(not torch.equal(raw[k], average[k]) for k in raw)
    resumed = _train(tmp_path / "cut", config, resume=True)
    assert full.epochs > state["epoch"]
    _same_weights(full.state_dict, resumed.state_dict)
    assert (resumed.epochs, resumed.best_epoch, resumed.history) == (
        full.epochs,
        full.best_epoch,
        full.history,
    )
    for name in ("best.safetensors", "last.safetensors", STATE_JSON):
        a, b = (tmp_path / run / "checkpoints" / name for run in ("full", "cut"))
        if name == STATE_JSON:
            left, right = (json.loads(p.read_text()) for p in (a, b))
            for key in ("averaging", "best_weights", "epoch", "global_step"):
                assert left[key] == right[key], key
            # tensor by tensor (the files' metadata may be written in another order)
            _same_weights(
                load_file(a.parent / left["tensors"]), load_file(b.parent / right["tensors"])
            )
        else:
            _same_weights(load_file(a), load_file(b))
            assert _epoch_of(a) == _epoch_of(b)


def test_sigterm_during_fit_raises_terminated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lightning turns an interrupt into ``SystemExit(1)`` and its own SIGTERM handling
    into ``SIGTERMException`` (status 0): ``fit`` gives the caller the interrupt."""
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    before = signal.getsignal(signal.SIGINT)
    for raised, expected in ((Terminated, Terminated), (SIGTERMException, Terminated)):
        with monkeypatch.context() as m:
            _interrupt_in_epoch(m, 1, raised)
            with pytest.raises(expected):
                _train(tmp_path / raised.__name__, _config(max_epochs=3))
        assert signal.getsignal(signal.SIGINT) == before  # Lightning set it to SIG_IGN
        assert (tmp_path / raised.__name__ / "checkpoints" / STATE_JSON).is_file()


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A run trained to its end (3 epochs), with its training state."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = tmp_path_factory.mktemp("finished") / "run"
        return out, _train(out, _config(max_epochs=3))
    finally:
        torch.set_num_threads(before)


def test_the_state_is_one_json_and_one_tensor_file(finished: tuple[Path, Any]) -> None:
    out, result = finished
    folder = out / "checkpoints"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["best.safetensors", "last.safetensors", "state-epoch3.safetensors", STATE_JSON]
    state = json.loads((folder / STATE_JSON).read_text())
    assert state["format"] == "biodl-training-state"
    assert state["epoch"] == 3
    assert state["global_step"] == 3 * 8  # 120 examples, batches of 16
    assert state["best_weights"]["history"] == result.history
    assert set(state["fingerprint"]) == {"train_config_sha256", "model_sha256", "arrays_sha256"}
    tensors = load_file(folder / state["tensors"])
    assert tensors["rng.torch"].dtype == torch.uint8
    assert {k for k in tensors if k.startswith("optimizer.0.")} >= {
        "optimizer.0.0.exp_avg",
        "optimizer.0.0.exp_avg_sq",
        "optimizer.0.0.step",
    }
    _same_weights(
        {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")},
        load_file(folder / "last.safetensors"),
    )


def test_resuming_a_finished_run_trains_no_more(finished: tuple[Path, Any], tmp_path: Path) -> None:
    out, result = finished
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    again = _train(copy, _config(max_epochs=3), resume=True)
    _same_weights(result.state_dict, again.state_dict)
    assert (again.epochs, again.best_epoch, again.history) == (
        result.epochs,
        result.best_epoch,
        result.history,
    )


def _broken(out: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    return copy


def test_resume_without_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    with pytest.raises(InputError) as err:
        _train(tmp_path / "run", _config(max_epochs=3), resume=True)
    assert str(err.value) == f"{tmp_path / 'run'}: no checkpoint to resume; run without --resume"
    with pytest.raises(InputError, match="no checkpoint to resume"):
        check_resumable(tmp_path / "absent.partial")


@pytest.mark.parametrize(
    ("damage", "message", "names"),
    [
        ("truncate_json", "unreadable training checkpoint", STATE_JSON),
        ("truncate_tensors", "does not match state.json", "state-epoch3.safetensors"),
        ("other_format", "not a biodl training checkpoint", STATE_JSON),
        ("newer_version", "format version 99", STATE_JSON),
        ("other_config", "from another configuration (train_config_sha256 differs)", STATE_JSON),
        ("other_data", "from other data (arrays_sha256 differs)", STATE_JSON),
        ("no_tensors", "training checkpoint file is missing", "state-epoch3.safetensors"),
    ],
)
def test_a_bad_checkpoint_is_one_line_naming_the_file(
    damage: str, message: str, names: str, finished: tuple[Path, Any], tmp_path: Path
) -> None:
    run = _broken(finished[0], tmp_path)
    folder = run / "checkpoints"
    state_json = folder / STATE_JSON
    tensors = folder / "state-epoch3.safetensors"
    config = _config(max_epochs=3)
    if damage == "truncate_json":
        state_json.write_bytes(state_json.read_bytes()[:100])
    elif damage == "truncate_tensors":
        tensors.write_bytes(tensors.read_bytes()[:-50])
    elif damage in ("other_format", "newer_version"):
        meta = json.loads(state_json.read_text())
        meta.update({"format": "biodl-run"} if damage == "other_format" else {"format_version": 99})
        state_json.write_text(json.dumps(meta))
    elif damage == "other_config":
        config = _config(max_epochs=3, learning_rate=0.02)
    elif damage == "no_tensors":
        tensors.unlink()
    with pytest.raises(InputError) as err:
        _train(run, config, resume=True, data_seed=1 if damage == "other_data" else 0)
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(f"{folder / names}: ")
    assert message in text
    assert text.endswith("run without --resume") or "restore the original" in text


def test_run_fingerprint_is_compared(finished: tuple[Path, Any], tmp_path: Path) -> None:
    run = _broken(finished[0], tmp_path)
    expected = run_fingerprint({"task": "binary"}, [{"sha256": "00"}])
    with pytest.raises(InputError, match=r"no 'config_sha256' to compare"):
        check_resumable(run, fingerprint=expected)
