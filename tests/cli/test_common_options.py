"""``--quiet`` and ``--threads N`` on every verb (and before it), applied for one command."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
import torch
import yaml

import biodl.cli.models
from biodl.cli import build_parser, main
from biodl.cli._args import THREAD_VARIABLES
from biodl.progress import is_quiet, note
from tests.conftest import base_config


def _verbs() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("verb", sorted(_verbs()))
def test_every_verb_accepts_quiet_and_threads(verb: str) -> None:
    options = {s for a in _verbs()[verb]._actions for s in a.option_strings}
    assert {"--quiet", "--threads"} <= options


@pytest.mark.parametrize(
    ("argv", "quiet", "threads"),
    [
        (["models"], False, None),
        (["models", "--quiet", "--threads", "2"], True, 2),
        (["--quiet", "--threads", "3", "models"], True, 3),
        (["--threads", "3", "models", "--threads", "2"], False, 2),
    ],
)
def test_common_options_before_or_after_the_verb(
    argv: list[str], quiet: bool, threads: int | None
) -> None:
    args = build_parser().parse_args(argv)
    assert (args.quiet, args.threads) == (quiet, threads)


def test_threads_zero_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--threads", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["biodl models: error: --threads 0: must be at least 1"]


def test_options_apply_during_the_verb_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(args: argparse.Namespace) -> int:
        seen.update(
            quiet=is_quiet(),
            torch=torch.get_num_threads(),
            env={name: os.environ.get(name) for name in THREAD_VARIABLES},
        )
        return 0

    monkeypatch.setattr(biodl.cli.models, "run", fake_run)
    before_env = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    before = torch.get_num_threads()
    assert main(["models", "--quiet", "--threads", "1"]) == 0
    assert seen == {"quiet": True, "torch": 1, "env": dict.fromkeys(THREAD_VARIABLES, "1")}
    assert not is_quiet()
    assert torch.get_num_threads() == before
    assert {name: os.environ.get(name) for name in THREAD_VARIABLES} == before_env


def test_quiet_silences_progress_not_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def noisy_run(args: argparse.Namespace) -> int:
        note("epoch 1/1  train_loss 0.5")
        return 0

    monkeypatch.setattr(biodl.cli.models, "run", noisy_run)
    assert main(["models"]) == 0
    assert capsys.readouterr().err == "epoch 1/1  train_loss 0.5\n"
    assert main(["models", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["--quiet", "models", "--threads", "0"]) == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_quiet_training_prints_no_epoch_lines(
    motif_tables: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = motif_tables / "quiet.yaml"
    config.write_text(yaml.safe_dump(base_config()))
    assert main(["train", str(config), "--out", str(tmp_path / "a"), "--threads", "1"]) == 0
    assert "epoch 2/2  train_loss" in capsys.readouterr().err
    argv = ["train", str(config), "--out", str(tmp_path / "b"), "--quiet", "--threads", "1"]
    assert main(argv) == 0
    assert "epoch" not in capsys.readouterr().err
