"""Compute profile: exact FLOPs of single layers, memory, throughput, genome estimate."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from biodl.assess.compute import compute, flops_per_sequence, peak_memory
from biodl.testing.assess_models import MotifScanner, motif_inputs


def test_flops_equal_the_hand_count_of_single_layers() -> None:
    # Conv1d: 2 * C_in * C_out * width * L_out
    assert flops_per_sequence(nn.Conv1d(4, 8, 5), (4, 20)) == 2 * 4 * 8 * 5 * 16
    # Linear on the flattened one-hot: 2 * in * out
    model = nn.Sequential(nn.Flatten(), nn.Linear(4 * 20, 3))
    assert flops_per_sequence(model, (4, 20)) == 2 * 80 * 3


def test_compute_reports_a_full_profile(tmp_path: Path) -> None:
    torch.manual_seed(0)
    (tmp_path / "model.safetensors").write_bytes(b"x" * 123)
    model = MotifScanner(seed=0)
    meta = {"data": {"files": [{"path": "a", "bytes": 10}, {"path": "b", "bytes": 5}]}}
    inputs = motif_inputs(20, length=60, logits=None, model=model, meta=meta)
    inputs = type(inputs)(**{**inputs.__dict__, "run_dir": tmp_path})
    item = compute(inputs, min_seconds=0.2, device="cpu")
    v = item.values
    conv = 2 * 4 * 8 * 8 * 53
    assert v["flops_per_sequence"] == conv + 2 * 8 * 8 + 2 * 8 * 1
    assert v["n_parameters_total"] == sum(p.numel() for p in model.parameters())
    assert v["sequences_per_s"] > 0
    assert v["model_bytes"] == 123
    assert v["training_data_bytes"] == 15
    assert v["window"] == 60
    assert v["tiled_hours"] == pytest.approx(3.1e9 / 60 / v["sequences_per_s"] / 3600)
    assert v["sliding_hours"] == pytest.approx(v["tiled_hours"] * 60)
    assert item.flag == "green"
    weights = 4 * v["n_parameters_total"]
    assert v["weight_bytes"] == weights
    # at least the float32 batch (64 x 4 x 60) and the conv output (64 x 8 x 53)
    assert v["inference_peak_bytes"] >= weights + 4 * 64 * (4 * 60 + 8 * 53)
    # training keeps the activations for backward and adds gradients and Adam state
    assert v["training_step_peak_bytes"] > v["inference_peak_bytes"] + 2 * weights


def test_peak_memory_counts_new_tensors_not_views() -> None:
    x = torch.ones(100, 10)  # made before: not counted
    assert peak_memory(lambda: x.t().contiguous(), device=torch.device("cpu")) == 4000
    assert peak_memory(lambda: x[:50].view(-1), device=torch.device("cpu")) == 0


def test_the_model_is_left_unchanged() -> None:
    model = MotifScanner(seed=1).eval()
    before = {k: t.clone() for k, t in model.state_dict().items()}
    compute(motif_inputs(10, logits=None, model=model), min_seconds=0.05, device="cpu")
    assert all(torch.equal(before[k], t) for k, t in model.state_dict().items())
    assert not model.training


def test_memory_above_the_limit_is_amber() -> None:
    inputs = motif_inputs(10, logits=None, model=MotifScanner(seed=1))
    item = compute(inputs, min_seconds=0.05, memory_amber_gb=0.0, device="cpu")
    assert item.flag == "amber"


def test_not_assessed_without_a_model() -> None:
    assert compute(motif_inputs(5, logits=None)).flag == "not_assessed"
