"""``biodl train`` stopped by SIGTERM exits 143, by Ctrl-C (SIGINT) 130, leaving no run
directory and no temporary file; Lightning must not turn either into a success."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import base_config


def _long_training_config(motif_tables: Path, name: str) -> Path:
    config = base_config()
    config["train"].update(max_epochs=100_000, patience=100_000)
    path = motif_tables / name  # next to the tables its relative paths name
    path.write_text(yaml.safe_dump(config))
    return path


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop_training(
    config: Path, out: Path, signum: signal.Signals
) -> subprocess.CompletedProcess[str]:
    """Start ``biodl train``, send ``signum`` once it trains, wait for it to end."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "biodl.cli", "train", str(config), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # a test suite started in the background (`make test &`, nohup) inherits SIGINT
        # ignored, and a child keeps that: give the child the default disposition, as a
        # command typed at a terminal has
        preexec_fn=_default_sigint,
    )
    partial = out.with_name(out.name + ".partial")
    deadline = time.monotonic() + 300
    try:
        # the Trainer's CSV log folder appears once fit() has started
        while not (partial / "logs").is_dir():
            if proc.poll() is not None:
                stdout, stderr = proc.communicate()
                pytest.fail(f"biodl train ended before the signal:\n{stdout}\n{stderr}")
            if time.monotonic() > deadline:
                pytest.fail("biodl train did not start training")
            time.sleep(0.05)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp")


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [
        (signal.SIGTERM, 143, "biodl: terminated"),
        (signal.SIGINT, 130, "biodl: interrupted"),
    ],
)
def test_a_stopped_training_exits_with_the_signal_status(
    signum: signal.Signals, code: int, line: str, motif_tables: Path, tmp_path: Path
) -> None:
    config = _long_training_config(motif_tables, f"long_{signum.name}.yaml")
    out = tmp_path / "run"
    proc = _stop_training(config, out, signum)
    assert proc.returncode == code, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    # one line: the signal, and what to do with the run kept in OUT.partial
    assert last.startswith(f"{line}; ")
    assert "--resume" in last or "run the same command again" in last
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert _leftovers(tmp_path) == []
