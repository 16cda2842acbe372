"""Training leaves no process-wide state behind."""

from __future__ import annotations

from pathlib import Path

import torch

from biodl.testing.assess_runs import tiny_run


def test_training_restores_torch_determinism_setting(tmp_path: Path) -> None:
    before = torch.are_deterministic_algorithms_enabled()
    tiny_run(tmp_path)  # trains with train.deterministic (true by default)
    assert torch.are_deterministic_algorithms_enabled() == before
