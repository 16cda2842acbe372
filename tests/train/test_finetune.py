from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from safetensors.numpy import load_file

from biodl.cli import main
from tests.conftest import base_config


@pytest.fixture(scope="module")
def source_run(tmp_path_factory: pytest.TempPathFactory, motif_tables: Path) -> Path:
    config = motif_tables / "finetune_source.yaml"
    config.write_text(yaml.safe_dump(base_config()))
    out = tmp_path_factory.mktemp("ft") / "source"
    assert main(["train", str(config), "--out", str(out)]) == 0
    return out


def _finetune(motif_tables: Path, out: Path, **train: object) -> int:
    config = base_config()
    config["train"].update(train)  # type: ignore[union-attr]
    path = motif_tables / f"ft_{out.name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return main(["train", str(path), "--out", str(out)])


def test_frozen_trunk_keeps_source_weights(
    source_run: Path, motif_tables: Path, tmp_path: Path
) -> None:
    out = tmp_path / "frozen"
    assert (
        _finetune(
            motif_tables, out, init_from=str(source_run), freeze_trunk=True, replace_head=True
        )
        == 0
    )
    src = load_file(str(source_run / "model.safetensors"))
    new = load_file(str(out / "model.safetensors"))
    for key in src:
        if key.startswith("trunk."):
            np.testing.assert_array_equal(new[key], src[key])
    assert any(not np.array_equal(new[k], src[k]) for k in src if k.startswith("head."))
    meta = yaml.safe_load((out / "model.json").read_text())
    assert meta["init_from"]["freeze_trunk"] is True
    assert meta["init_from"]["tensors_copied"] == 2  # conv weight and bias


def test_init_from_a_different_architecture_fails(
    source_run: Path, motif_tables: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = base_config()
    config["model"]["n_filters"] = 4  # type: ignore[index]
    config["train"]["init_from"] = str(source_run)  # type: ignore[index]
    path = motif_tables / "ft_bad.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["train", str(path), "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "init_from: weight 'trunk.conv.weight' has shape" in err
    assert not (tmp_path / "bad").exists()
