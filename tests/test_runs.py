"""Run directories (:mod:`biodl.runs`): format versions, validation, clear load errors."""

from __future__ import annotations

import json
import os
import pickle
import stat
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from biodl.errors import InputError
from biodl.runs import (
    RUN_FORMAT_VERSION,
    RunMeta,
    load_run,
    read_run_meta,
    save_weights,
)
from biodl.testing.variants import write_tiny_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_tiny_run(tmp_path / "run")


def _meta(run: Path) -> dict[str, Any]:
    return dict(json.loads((run / "model.json").read_text()))


def _write_meta(run: Path, meta: Any) -> None:
    (run / "model.json").write_text(json.dumps(meta))


def _error(run: Path) -> str:
    with pytest.raises(InputError) as info:
        load_run(run)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_format_version_is_2() -> None:
    assert RUN_FORMAT_VERSION == 2


def test_current_run_loads_with_typed_meta(run_dir: Path) -> None:
    run = load_run(run_dir)
    assert isinstance(run.info, RunMeta)
    assert run.info.architecture.name == "deepbind"
    assert run.info.input_length == 11
    assert run.meta["labels"] == {"positive": "1", "negative": "0"}
    assert not run.model.training


@pytest.mark.parametrize("version", [1, None])
def test_runs_of_older_versions_load(run_dir: Path, version: int | None) -> None:
    """A model.json written the old way: format_version 1, or none at all (pre-1)."""
    meta = _meta(run_dir)
    if version is None:
        del meta["format_version"]
    else:
        meta["format_version"] = version
    meta.pop("threads", None)
    _write_meta(run_dir, meta)
    run = load_run(run_dir)
    assert run.info is not None
    assert run.info.format_version == 1
    assert run.info.threads is None
    x = torch.zeros(2, 4, 11)
    assert run.model(x).shape == (2, 1)


def test_unknown_top_level_keys_are_dropped(run_dir: Path) -> None:
    meta = _meta(run_dir)
    meta["not_a_field"] = 1
    _write_meta(run_dir, meta)
    run = load_run(run_dir)
    assert "not_a_field" not in run.meta
    assert run.meta["alphabet"] == "dna"


def test_newer_version_fails_naming_the_version(run_dir: Path) -> None:
    meta = _meta(run_dir)
    meta["format_version"] = RUN_FORMAT_VERSION + 1
    _write_meta(run_dir, meta)
    text = _error(run_dir)
    assert f"run format version {RUN_FORMAT_VERSION + 1} is newer" in text
    assert text.startswith(os.fspath(run_dir / "model.json"))


@pytest.mark.parametrize("bad", ["1", 1.5, True, None])
def test_bad_format_version(run_dir: Path, bad: Any) -> None:
    meta = _meta(run_dir)
    meta["format_version"] = bad
    _write_meta(run_dir, meta)
    assert f"format_version must be an integer, not {bad!r}" in _error(run_dir)


def test_missing_architecture(run_dir: Path) -> None:
    meta = _meta(run_dir)
    del meta["architecture"]
    _write_meta(run_dir, meta)
    text = _error(run_dir)
    assert text == f"{run_dir / 'model.json'}: missing key 'architecture'"


def test_wrong_type_names_the_key(run_dir: Path) -> None:
    meta = _meta(run_dir)
    meta["input_length"] = "11"
    _write_meta(run_dir, meta)
    assert "bad 'input_length'" in _error(run_dir)


def test_unknown_architecture(run_dir: Path) -> None:
    meta = _meta(run_dir)
    meta["architecture"]["name"] = "no_such_net"
    _write_meta(run_dir, meta)
    text = _error(run_dir)
    assert text.startswith(f"{run_dir / 'model.json'}: unknown model 'no_such_net'")


@pytest.mark.parametrize(
    ("content", "expected"),
    [("{not json", "model.json is not valid JSON"), ("[1, 2]", "model.json is not a JSON object")],
)
def test_model_json_not_an_object(run_dir: Path, content: str, expected: str) -> None:
    (run_dir / "model.json").write_text(content)
    text = _error(run_dir)
    assert text.startswith(f"{run_dir / 'model.json'}:")
    assert expected in text


def test_empty_weights(run_dir: Path) -> None:
    (run_dir / "model.safetensors").write_bytes(b"")
    weights = run_dir / "model.safetensors"
    assert _error(run_dir) == f"{weights}: the weights file is empty (0 bytes)"


def test_truncated_weights(run_dir: Path) -> None:
    weights = run_dir / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-40])
    text = _error(run_dir)
    assert text.startswith(f"{weights}: not a readable safetensors file")


def test_corrupt_header(run_dir: Path) -> None:
    weights = run_dir / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[8:16] = b"{garbage"
    weights.write_bytes(bytes(data))
    assert _error(run_dir).startswith(f"{weights}: not a readable safetensors file")


class _Boom:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("touch PWNED",))


def test_pickle_is_never_unpickled(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pickle renamed model.safetensors fails the header check; nothing is unpickled."""
    monkeypatch.chdir(run_dir)
    weights = run_dir / "model.safetensors"
    weights.write_bytes(pickle.dumps({"w": _Boom()}))
    torch.save({"w": torch.zeros(3)}, run_dir / "other.pt")
    assert _error(run_dir).startswith(f"{weights}: not a readable safetensors file")
    weights.write_bytes((run_dir / "other.pt").read_bytes())
    assert _error(run_dir).startswith(f"{weights}: not a readable safetensors file")
    assert not (run_dir / "PWNED").exists()


def test_weights_of_the_wrong_shapes(run_dir: Path) -> None:
    weights = run_dir / "model.safetensors"
    state = load_file(os.fspath(weights))
    name = next(iter(state))
    state[name] = torch.zeros(*(s + 1 for s in state[name].shape))
    save_weights(weights, state)
    text = _error(run_dir)
    assert text.startswith(f"{weights}: weights do not fit the model: ")
    assert name in text


def test_read_run_meta_returns_listed_keys(run_dir: Path) -> None:
    info, listed = read_run_meta(run_dir / "model.json")
    assert info.format_version == RUN_FORMAT_VERSION
    assert set(listed) <= set(RunMeta.model_fields)


def test_weights_honour_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = save_weights(tmp_path / "m.safetensors", {"w": torch.ones(2)})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary left
    assert torch.equal(load_file(os.fspath(path))["w"], torch.ones(2))


def test_old_import_paths_still_work() -> None:
    import biodl.runs
    from biodl.train import Run
    from biodl.train import load_run as train_load_run
    from biodl.train.rundir import save_weights as old_save_weights

    assert train_load_run is biodl.runs.load_run
    assert Run is biodl.runs.Run
    assert old_save_weights is biodl.runs.save_weights


def test_trained_run_records_threads_and_is_readable_by_others(
    tmp_path: Path, write_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real (1-epoch) training: model.json v2 with ``threads``; weights and checkpoints
    honour the umask (not 0600); nothing temporary is left; the model options are
    validated once, where the configuration is loaded."""
    import yaml

    import biodl.workflows.common as common
    from biodl.cli import main
    from tests.conftest import base_config

    calls: list[str] = []
    real = common.validate_params

    def counting(name: str, params: Any) -> Any:
        calls.append(name)
        return real(name, params)

    monkeypatch.setattr(common, "validate_params", counting)

    config = base_config()
    config["train"]["max_epochs"] = 1
    path = write_config(config)
    out = tmp_path / "run"
    old = os.umask(0o022)
    try:
        assert main(["train", str(path), "--out", str(out)]) == 0
    finally:
        os.umask(old)
    meta = _meta(out)
    assert meta["format_version"] == RUN_FORMAT_VERSION
    assert meta["threads"] == torch.get_num_threads()
    assert meta["seed"] == 1
    assert calls == ["deepbind"]
    assert load_run(out).info is not None
    for rel in ("model.safetensors", "checkpoints/best.safetensors", "model.json"):
        assert stat.S_IMODE((out / rel).stat().st_mode) == 0o644, rel
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert yaml.safe_load((out / "config.yaml").read_text())["model"]["name"] == "deepbind"
