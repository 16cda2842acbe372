"""Quality checks fire on broken models and pass on sound ones."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from biodl.interpret import (
    Attribution,
    AttributionCheckError,
    AttributionWarning,
    agreement,
    attribute,
    check_completeness,
    deeplift,
    randomisation_check,
    rank_correlation,
    reinitialised,
)
from tests.interpret.zoo import build, inputs

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class _LeavesAutograd(nn.Module):
    """Half of the output goes through NumPy: no gradient, no multiplier reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 3, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x).relu().mean(dim=(1, 2))
        hidden = torch.from_numpy(np.square(x.detach().cpu().numpy())).sum(dim=(1, 2))
        return (h + hidden.to(h.dtype))[:, None]


class _DiscreteGate(nn.Module):
    """A mask computed from the input multiplies it: a step function with no gradient."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = (x.amax(dim=1, keepdim=True) > 0.5).to(x.dtype)
        return (x * gate).sum(dim=(1, 2))[:, None]


@pytest.mark.parametrize("model", [_LeavesAutograd(), _DiscreteGate()])
def test_completeness_check_fires_on_a_broken_model(model: nn.Module) -> None:
    torch.manual_seed(0)
    x = inputs("basset", 3)
    a = deeplift(model, x, references="uniform", device="cpu")
    with pytest.warns(AttributionWarning, match="do not add up"):
        report = check_completeness(a)
    assert not report.passed
    assert report.n_failed > 0
    with pytest.raises(AttributionCheckError, match="do not add up"):
        check_completeness(a, strict=True)


def test_completeness_check_passes_on_a_sound_model() -> None:
    a = deeplift(build("danq"), inputs("danq", 3), device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_completeness(a, strict=True)
    assert report.passed
    assert report.max_abs_delta is not None
    assert report.max_abs_delta < 1e-4
    assert check_completeness(attribute(build("basset"), inputs("basset", 1), method="saliency"))


class _FunctionalRelu(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 5)
        self.out = nn.Linear(6 * 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.conv(x)).flatten(1))


def test_the_check_catches_captums_silent_failure_on_functional_relu() -> None:
    """captum's DeepLift only rewrites nn.ReLU modules: F.relu keeps its gradient."""
    from captum.attr import DeepLift

    torch.manual_seed(1)
    model = _FunctionalRelu().eval()
    x = inputs("basset", 4)[:, :, :20]
    r = torch.zeros_like(x)
    ours = deeplift(model, x, references="zeros", device="cpu")
    assert check_completeness(ours, strict=True).passed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = DeepLift(model).attribute(x, baselines=r, target=0).detach().numpy()
    with torch.no_grad():
        fx, fr = model(x)[:, 0].double().numpy(), model(r)[:, 0].double().numpy()
    delta = values.sum(axis=(1, 2)) - (fx - fr)
    theirs = Attribution("deeplift", values, 0, fx, delta, fr)
    with pytest.raises(AttributionCheckError):
        check_completeness(theirs, strict=True)


class _NoParameters(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.linspace(-1, 1, x.shape[-1], dtype=x.dtype)
        return (x * weights).sum(dim=(1, 2))[:, None]


def test_randomisation_check_fires_when_the_maps_ignore_the_weights() -> None:
    x = inputs("basset", 3)
    with pytest.warns(AttributionWarning, match="randomisation"):
        result = randomisation_check(_NoParameters(), x, method="saliency")
    assert result["passed"] is False
    assert result["unchanged"] is True
    with pytest.raises(AttributionCheckError):
        randomisation_check(_NoParameters(), x, method="input_x_gradient", strict=True)


def test_randomisation_check_passes_when_the_maps_follow_the_weights() -> None:
    """A "trained" model that reads positions 20-30 only; re-initialised, it reads all."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(4, 4, 1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 60, 1))
    with torch.no_grad():
        weight = model[3].weight.view(4, 60)
        weight[:, :20] = 0.0
        weight[:, 30:] = 0.0
    x = inputs("basset", 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = randomisation_check(model, x, method="deeplift", seed=11, device="cpu")
    assert result["passed"] is True
    assert result["mean_spearman"] < 0.5
    assert len(result["per_sequence"]) == 4


def test_reinitialised_copies_and_keeps_the_original() -> None:
    model = build("basset")
    before = [p.clone() for p in model.parameters()]
    fresh = reinitialised(model, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(before, fresh.parameters(), strict=True))
    again = reinitialised(model, seed=1)
    assert all(
        torch.equal(a, b) for a, b in zip(fresh.parameters(), again.parameters(), strict=True)
    )


def test_agreement_reports_rank_correlation_per_pair_and_sequence() -> None:
    model = build("deepsea")
    x = inputs("deepsea", 3)
    maps = {m: attribute(model, x, method=m, device="cpu") for m in ("saliency", "deeplift")}  # type: ignore[arg-type]
    maps["same"] = maps["deeplift"]
    result = agreement(maps)
    assert [(p["a"], p["b"]) for p in result["pairs"]] == [
        ("saliency", "deeplift"),
        ("saliency", "same"),
        ("deeplift", "same"),
    ]
    assert result["pairs"][2]["mean_spearman"] == pytest.approx(1.0)
    assert len(result["pairs"][0]["per_sequence"]) == 3


def test_rank_correlation_handles_constant_rows() -> None:
    rho = rank_correlation([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]])
    assert np.isnan(rho[0])
    assert rho[1] == pytest.approx(-0.5)
