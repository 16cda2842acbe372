"""Kill tests: SIGKILL and SIGTERM during ``biodl train``, ``predict`` and
``score-variants`` leave no temporary file and no final output; a killed training run
keeps ``OUT.partial`` and ``--resume`` finishes it with the weights of an uninterrupted
run, bit for bit (one thread).

Each command runs as ``python -m biodl.cli`` in a subprocess; the signal is sent once a
file shows that the work is under way (the first training-state checkpoint, the
temporary output file), never after a fixed sleep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import load_file

from biodl.testing.variants import write_genome, write_tiny_run, write_vcf
from tests.conftest import base_config

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

_ENV = {
    **{k: v for k, v in os.environ.items() if k != "BIODL_NO_WATCHER"},
    "OMP_NUM_THREADS": "1",  # one torch thread: the resumed run is bit-identical
}
_DEADLINE_S = 240.0


def _cli(*argv: str | os.PathLike[str]) -> list[str]:
    return [sys.executable, "-m", "biodl.cli", *(os.fspath(a) for a in argv)]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, env=_ENV, timeout=_DEADLINE_S, check=False
    )


def _temporaries(folder: Path) -> list[str]:
    """Temporary files (``.NAME.PID.HEX.tmp`` and their companions) under ``folder``."""
    return sorted(
        os.fspath(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.endswith(".tmp") or ".tmp." in p.name
    )


def _no_temporaries_soon(folder: Path) -> list[str]:
    """Wait (up to 20 s) for the watcher of a killed process to remove its temporaries."""
    deadline = time.monotonic() + 20
    left = _temporaries(folder)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _temporaries(folder)
    return left


def _kill_when(
    argv: list[str], ready: Callable[[], bool], signum: signal.Signals
) -> subprocess.CompletedProcess[str]:
    """Start ``argv``; once ``ready()`` holds, send ``signum``; wait for the end."""
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_ENV
    )
    deadline = time.monotonic() + _DEADLINE_S
    try:
        while not ready():
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"ended before the signal (status {proc.returncode}):\n{out}\n{err}")
            if time.monotonic() > deadline:
                pytest.fail("the work did not start")
            time.sleep(0.01)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=_DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _check_status(proc: subprocess.CompletedProcess[str], signum: signal.Signals) -> None:
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert any(line.startswith("biodl: terminated") for line in lines), proc.stderr


# ---------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def train_config(motif_tables: Path) -> Path:
    """Enough epochs to be stopped mid-run; no early stopping (it could end it first)."""
    config = base_config()
    config["model"]["dropout"] = 0.3  # dropout and augmentation draw from the generator
    config["train"].update(
        max_epochs=10, patience=1000, augment={"reverse_complement": True, "shift": 1}
    )
    config["evaluate"]["n_bootstrap"] = 10
    path = motif_tables / "kill_train.yaml"  # next to the tables its paths name
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def reference_run(train_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "run"
    proc = _run(_cli("train", train_config, "--out", out))
    assert proc.returncode == 0, proc.stderr
    return out


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(run / "model.safetensors")


@pytest.mark.slow  # three trainings in subprocesses: about 40 s on 2 busy cores
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_training_resumes_to_the_uninterrupted_weights(
    signum: signal.Signals, train_config: Path, reference_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    partial = tmp_path / "run.partial"
    state = partial / "checkpoints" / "state.json"
    proc = _kill_when(_cli("train", train_config, "--out", out), state.is_file, signum)
    _check_status(proc, signum)
    assert not out.exists()
    assert state.is_file()  # the resume point is kept
    assert _no_temporaries_soon(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.partial"]

    resumed = _run(_cli("train", train_config, "--out", out, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    assert not partial.exists()
    assert _temporaries(tmp_path) == []
    ref, got = _weights(reference_run), _weights(out)
    assert ref.keys() == got.keys()
    for name in ref:
        assert torch.equal(ref[name], got[name]), name
    best_ref = load_file(reference_run / "checkpoints" / "best.safetensors")
    best_got = load_file(out / "checkpoints" / "best.safetensors")
    assert all(torch.equal(best_ref[k], best_got[k]) for k in best_ref)


def test_resume_without_a_partial_run_is_one_line(
    train_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from biodl.cli import main

    assert (
        main(["train", os.fspath(train_config), "--out", os.fspath(tmp_path / "run"), "--resume"])
        == 2
    )
    line = f"{tmp_path / 'run.partial'}: no checkpoint to resume; run without --resume"
    assert capsys.readouterr().err.strip() == f"biodl: error: {line}"
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# predict and score-variants
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_run(tmp_path_factory.mktemp("model") / "run", length=11)


@pytest.fixture(scope="module")
def big_fasta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough sequences that predicting them takes a while after the output opens."""
    rng = np.random.default_rng(0)
    letters = np.array(list("ACGT"))[rng.integers(0, 4, (400_000, 11))]
    path = tmp_path_factory.mktemp("fasta") / "many.fa"
    with path.open("w") as handle:
        for i, row in enumerate(letters):
            handle.write(f">s{i}\n{''.join(row)}\n")
    return path


@pytest.fixture(scope="module")
def many_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("variants")
    rng = np.random.default_rng(1)
    chrom = "".join(np.array(list("ACGT"))[rng.integers(0, 4, 400_000)])
    genome = write_genome(folder / "genome.fa", {"chr1": chrom})
    records = []
    for pos in range(20, len(chrom) - 20, 4):
        ref = chrom[pos - 1]
        records.append(("chr1", pos, f"v{pos}", ref, "T" if ref != "T" else "A"))
    vcf = write_vcf(folder / "in.vcf", records)
    return {"genome": genome, "vcf": vcf}


def _temporary_appeared(folder: Path) -> Callable[[], bool]:
    return lambda: bool(_temporaries(folder))


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_predict_leaves_nothing(
    signum: signal.Signals, tiny_run: Path, big_fasta: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pred.tsv"
    argv = _cli("predict", "--model", tiny_run, big_fasta, "--out", out)
    proc = _kill_when(argv, _temporary_appeared(tmp_path), signum)
    _check_status(proc, signum)
    assert _no_temporaries_soon(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_score_variants_leaves_nothing(
    signum: signal.Signals, tiny_run: Path, many_variants: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "scored.vcf.gz"
    argv = _cli(
        "score-variants",
        "--model",
        tiny_run,
        "--genome",
        many_variants["genome"],
        "--vcf",
        many_variants["vcf"],
        "--out",
        out,
        "--tsv",
        tmp_path / "scored.tsv",
    )
    proc = _kill_when(argv, _temporary_appeared(tmp_path), signum)
    _check_status(proc, signum)
    assert _no_temporaries_soon(tmp_path) == []
    assert list(tmp_path.iterdir()) == []
