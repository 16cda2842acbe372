"""Data-parallel training through Lightning's DDP strategy on CPU (gloo)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from safetensors.numpy import load_file

from tests.conftest import base_config


def _train(folder: Path, out: Path, **train: object) -> None:
    config = base_config()
    config["model"]["dropout"] = 0.0  # type: ignore[index]  # dropout masks differ per process
    config["train"].update(train)  # type: ignore[union-attr]
    path = folder / f"ddp_{out.name}.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "biodl.cli", "train", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.timeout(600)
def test_two_process_ddp_matches_one_process(motif_tables: Path, tmp_path: Path) -> None:
    _train(motif_tables, tmp_path / "single", accelerator="cpu", devices=1)
    _train(motif_tables, tmp_path / "ddp", accelerator="cpu", devices=2, strategy="ddp")
    single = load_file(str(tmp_path / "single" / "model.safetensors"))
    ddp = load_file(str(tmp_path / "ddp" / "model.safetensors"))
    assert single.keys() == ddp.keys()
    for key in single:
        np.testing.assert_allclose(ddp[key], single[key], rtol=1e-4, atol=1e-5, err_msg=key)
    meta = yaml.safe_load((tmp_path / "ddp" / "model.json").read_text())
    assert meta["training"]["world_size"] == 2
    assert not (tmp_path / "ddp.partial").exists()
