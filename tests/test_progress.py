"""Progress (:mod:`biodl.progress`): throttled lines with rate and ETA when stderr is not a
terminal, nothing when quiet, one line per training epoch (:mod:`biodl.train.epochs`)."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
import yaml

from biodl.config import TrainConfig
from biodl.models import ModelIO, create_model
from biodl.progress import note, progress, settings, step
from biodl.train import fit
from tests.conftest import base_config

LINE = re.compile(r"^work: \d+/200 it \(\d+%\) [\d.]+ it/s, ETA \d+:\d\d$")
EPOCH = re.compile(r"^epoch (\d+)/3  train_loss [\d.]+  valid_loss [\d.]+  .*best \d+  lr .*s$")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_long_loop_off_a_terminal_prints_rate_and_eta_every_interval() -> None:
    clock, out = FakeClock(), io.StringIO()
    with settings(stream=out, terminal=False, clock=clock, heartbeat=False, interval=10.0):
        for _ in progress(range(200), desc="work"):
            clock.now += 0.5  # 100 s in all
    lines = out.getvalue().splitlines()
    assert lines[-1] == "work: done, 200 it in 1:40 (2 it/s)"
    periodic = lines[:-1]
    assert len(periodic) == 10  # first at the 3 s delay, then every 10 s
    assert all(LINE.match(line) for line in periodic), periodic
    assert periodic[0].startswith("work: 6/200 it (3%) 2 it/s, ETA 1:37")


def test_a_short_loop_prints_nothing_and_quiet_prints_nothing() -> None:
    clock, out = FakeClock(), io.StringIO()
    with settings(stream=out, terminal=False, clock=clock, heartbeat=False):
        for _ in progress(range(10), desc="quick"):
            clock.now += 0.1  # 1 s: under the delay
    assert out.getvalue() == ""
    with settings(stream=out, terminal=False, clock=clock, heartbeat=False, quiet=True):
        for _ in progress(range(200), desc="work"):
            clock.now += 0.5
        note("epoch 1/3")
        with step("external program"):
            clock.now += 60
    assert out.getvalue() == ""


def test_quiet_still_logs(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    with (
        caplog.at_level(logging.INFO, logger="biodl"),
        settings(stream=io.StringIO(), clock=clock, heartbeat=False, quiet=True),
    ):
        for _ in progress(range(200), desc="work"):
            clock.now += 0.5
    logged = [r.getMessage() for r in caplog.records if r.name == "biodl"]
    assert len(logged) == 11
    assert logged[-1].startswith("work: done")


def test_a_step_without_count_has_heartbeat_lines() -> None:
    out = io.StringIO()
    # the real clock: heartbeat lines every 0.05 s
    with settings(stream=out, terminal=False, interval=0.05, delay=0.0), step("MMseqs2 run"):
        time.sleep(0.4)
    lines = out.getvalue().splitlines()
    running = [line for line in lines if line == "MMseqs2 run: running, 0:00 elapsed"]
    assert len(running) >= 2, lines
    assert lines[-1] == "MMseqs2 run: done in 0:00"


def _fail_after_5_s(clock: FakeClock) -> None:
    with progress(total=10, desc="work") as bar:
        clock.now += 5
        bar.update()
        raise ValueError("inside the loop")


def test_an_error_inside_a_shown_loop_says_stopped() -> None:
    clock, out = FakeClock(), io.StringIO()
    with (
        settings(stream=out, terminal=False, clock=clock, heartbeat=False),
        pytest.raises(ValueError, match="inside the loop"),
    ):
        _fail_after_5_s(clock)
    assert out.getvalue().splitlines()[-1] == "work: stopped after 0:05"


def test_on_a_terminal_a_tqdm_bar() -> None:
    out = io.StringIO()
    with settings(stream=out, terminal=True, delay=0.0, heartbeat=False):
        for _ in progress(range(5), desc="bar", unit="seq"):
            pass
    text = out.getvalue()
    assert "bar: 100%" in text
    assert "5/5" in text
    assert "ETA" not in text


# ---------------------------------------------------------------- training


def _tiny_fit(out_dir: Path, callbacks: list[L.Callback]) -> None:
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 4, (160, 40))
    x = np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy()
    y = (idx[:, 10:22] == 2).sum(axis=1, keepdims=True).astype(np.float32) >= 3
    L.seed_everything(1, verbose=False)
    io_ = ModelIO(n_channels=4, input_length=40, n_outputs=1, alphabet="dna")
    model = create_model("deepbind", {"n_filters": 6, "filter_width": 8, "hidden": 8}, io=io_)
    config = TrainConfig(max_epochs=3, seed=1, batch_size=16, accelerator="cpu", patience=5)
    y = y.astype(np.float32)
    fit(
        model,
        (x[:120], y[:120]),
        (x[120:], y[120:]),
        config=config,
        out_dir=out_dir,
        callbacks=callbacks,
    )


class _CsvRows(L.Callback):
    """Rows of logs/metrics.csv on disk when each epoch starts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[int] = []

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        text = self.path.read_text() if self.path.is_file() else ""
        self.rows.append(max(0, len(text.splitlines()) - 1))


def test_one_line_per_epoch_and_metrics_csv_written_every_epoch(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    out = io.StringIO()
    rows = _CsvRows(tmp_path / "run" / "logs" / "metrics.csv")
    with settings(stream=out, terminal=False):
        _tiny_fit(tmp_path / "run", [rows])
    lines = [line for line in out.getvalue().splitlines() if line.startswith("epoch")]
    numbers = [m.group(1) for m in map(EPOCH.match, lines) if m is not None]
    assert numbers == ["1", "2", "3"], lines
    assert len(lines) == 3, lines
    assert rows.rows[0] == 0
    assert rows.rows[1] > 0
    assert rows.rows[2] > rows.rows[1]


def test_biodl_train_writes_epoch_lines_to_a_redirected_stderr(
    motif_tables: Path, tmp_path: Path
) -> None:
    config = motif_tables / "progress.yaml"
    config.write_text(yaml.safe_dump(base_config()))
    log = tmp_path / "train.log"
    with log.open("w") as err:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "biodl.cli",
                "train",
                str(config),
                "--out",
                str(tmp_path / "run"),
                "--threads",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            check=False,
        )
    text = log.read_text()
    assert proc.returncode == 0, text
    epochs = [line for line in text.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 2, text
    assert epochs[0].startswith("epoch 1/2  train_loss ")
    assert "valid_loss" in epochs[0]
