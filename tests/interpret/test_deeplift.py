"""biodl's DeepLIFT/DeepSHAP: summation on every zoo model, hand values, captum side by side."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from biodl.interpret import deeplift, deepshap, make_references
from biodl.interpret._deeplift import DeepLiftError
from tests.interpret.zoo import PADDING, ZOO, build, inputs

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("name", ZOO)
def test_summation_holds_on_every_zoo_model_in_double(name: str) -> None:
    """sum over (C, L) of the attributions == f(x) - mean f(ref), within 1e-5 (float64)."""
    model = build(name, n_outputs=2)
    x = inputs(name, 3).numpy()
    a = deepshap(model, x, target=1, n_references=3, dtype="float64", device="cpu", seed=2)
    assert a.values.shape == x.shape
    assert a.delta is not None
    assert a.reference_outputs is not None
    assert np.abs(a.outputs - a.reference_outputs).max() > 1e-6  # a non-trivial check
    total = a.values.astype(np.float64).sum(axis=(1, 2))
    np.testing.assert_allclose(total, a.outputs - a.reference_outputs, rtol=0, atol=1e-5)
    assert np.abs(a.delta).max() < 1e-5
    # the model is left as it was found: float32, eval mode
    assert next(model.parameters()).dtype == torch.float32
    assert all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("name", ["basset", "danq", "deeploc", "deepcpg"])
def test_summation_in_float32_is_close(name: str) -> None:
    model = build(name)
    a = deeplift(model, inputs(name, 4), target=0, device="cpu")
    assert a.delta is not None
    assert np.abs(a.delta).max() < 1e-4


def test_rules_cover_functional_ops_and_recurrent_blocks() -> None:
    a = deeplift(build("danq"), inputs("danq", 2), device="cpu")
    rules = a.info["rules"]
    assert rules["block:lstm"] >= 1
    assert rules["max:max_pool1d"] >= 1
    assert rules["max:maximum"] == 1  # strands "max": torch.maximum inside forward
    b = deeplift(build("deeploc"), inputs("deeploc", 2), device="cpu")
    assert {"block:lstm", "block:softmax", "product:einsum", "rescale:tanh"} <= set(b.info["rules"])


def test_relu_net_matches_hand_computed_values() -> None:
    """h = relu(x0 - x1 + 0.5), y = 2h; x = (1, 2), r = (0, 0).

    The unit is off at x (gradient 0) and on at r: the rescale multiplier is
    (0 - 0.5) / (-0.5 - 0.5) = 0.5, so the attributions are 2 * 0.5 * (1, -1) * (1, 2).
    """
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 1), nn.ReLU(), nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0, -1.0]]))
        net[1].bias.fill_(0.5)
        net[3].weight.fill_(2.0)
    x = np.array([[[1.0], [2.0]]], dtype=np.float32)
    a = deeplift(net, x, references=np.zeros_like(x), device="cpu")
    np.testing.assert_allclose(a.values[0, :, 0], [1.0, -2.0], atol=1e-6)
    np.testing.assert_allclose(a.outputs - a.reference_outputs, [-1.0], atol=1e-6)


@pytest.mark.parametrize(
    ("x", "r", "expected"),
    [
        ([3.0, 1.0], [0.0, 2.0], [1.0, 0.0]),  # y - y0 = 3 - 2, all to the input's argmax
        ([1.0, 0.0], [0.0, 2.0], [0.0, -1.0]),  # y - y0 = 1 - 2, all to the reference's
        ([2.0, 5.0], [1.0, 4.0], [0.0, 1.0]),  # same argmax: plain gradient
    ],
)
def test_max_pool_rule_matches_hand_computed_values(
    x: list[float], r: list[float], expected: list[float]
) -> None:
    net = nn.Sequential(nn.MaxPool1d(2), nn.Flatten())
    a = deeplift(net, np.array([[x]]), references=np.array([[r]]), device="cpu")
    np.testing.assert_allclose(a.values[0, 0], expected, atol=1e-6)


class _Functional(nn.Module):
    """Functional ops inside forward (silent failures of hook-based DeepLIFT)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 5, 3)
        self.out = nn.Linear(10, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv(x))
        h = torch.sigmoid(h) * torch.tanh(h)  # a product of two input-dependent tensors
        pooled = torch.cat([h.amax(dim=-1), F.softmax(h, dim=-1).mean(-1)], dim=-1)
        return self.out(F.elu(pooled))


def test_functional_operations_are_handled() -> None:
    torch.manual_seed(3)
    x = inputs("basset", 3)[:, :, :12]
    a = deeplift(_Functional(), x, dtype="float64", device="cpu", n_references=2)
    assert a.delta is not None
    assert np.abs(a.delta).max() < 1e-8
    for rule in ("rescale:relu", "rescale:elu", "product:mul", "max:amax", "block:softmax"):
        assert rule in a.info["rules"]


def _captum_deeplift(
    model: nn.Module, x: torch.Tensor, r: torch.Tensor
) -> tuple[np.ndarray, np.ndarray]:
    from captum.attr import DeepLift

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        attr, delta = DeepLift(model).attribute(
            x, baselines=r, target=0, return_convergence_delta=True
        )
    return attr.detach().numpy(), delta.detach().numpy()


def test_agrees_with_captum_without_max_pooling() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv1d(4, 6, 5), nn.ReLU(), nn.Conv1d(6, 3, 3), nn.Sigmoid(), nn.Flatten(),
        nn.Linear(3 * 14, 2),
    ).eval()  # fmt: skip
    x = inputs("basset", 4)[:, :, :20]
    r = torch.as_tensor(make_references(x, n=1, seed=1)[:, 0])
    ours = deeplift(model, x, references=r.numpy(), device="cpu")
    theirs, delta = _captum_deeplift(model, x, r)
    np.testing.assert_allclose(ours.values, theirs, atol=1e-5)
    assert np.abs(delta).max() < 1e-4


def test_captum_breaks_summation_on_max_pooling_where_biodl_does_not() -> None:
    """captum 0.9.0's DeepLift max-pool rule is wrong in a batch (captum issue #1276).

    This documents the failure that made biodl write its own: if captum is fixed, the
    first assertion fails and this test should be turned around.
    """
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv1d(4, 8, 5), nn.ReLU(), nn.MaxPool1d(4), nn.Flatten(), nn.Linear(8 * 9, 1),
    ).eval()  # fmt: skip
    x = inputs("basset", 8, seed=4)[:, :, :40]
    r = torch.as_tensor(make_references(x, n=1, seed=1)[:, 0])
    ours = deeplift(model, x, references=r.numpy(), device="cpu")
    _, captum_delta = _captum_deeplift(model, x, r)
    signal = np.abs(ours.outputs - ours.reference_outputs).max()
    assert np.abs(captum_delta).max() > 0.01 * signal  # captum: wrong
    assert ours.delta is not None
    assert np.abs(ours.delta).max() < 1e-6 * max(1.0, signal)


@settings(max_examples=8, deadline=None)
@given(batch_size=st.integers(1, 7))
def test_batch_size_does_not_change_the_result(batch_size: int) -> None:
    model = build("danq")
    x = inputs("danq", 3)
    full = deepshap(model, x, n_references=2, batch_size=64, device="cpu")
    part = deepshap(model, x, n_references=2, batch_size=batch_size, device="cpu")
    np.testing.assert_allclose(part.values, full.values, atol=2e-6)
    np.testing.assert_allclose(part.outputs, full.outputs, atol=1e-6)


def test_references_are_deterministic_and_keep_composition() -> None:
    x = inputs("basset", 3).numpy()
    a = make_references(x, n=4, seed=7)
    b = make_references(x[1:2], n=4, seed=7)
    assert a.shape == (3, 4, 4, 60)
    # reference i depends on X[i] and i only: recomputed alone (index 0) it differs in
    # seed stream, so compare counts rather than values
    np.testing.assert_array_equal(a[1].sum(axis=-1), np.repeat(x[1].sum(-1)[None], 4, 0))
    np.testing.assert_array_equal(b[0].sum(axis=-1), np.repeat(x[1].sum(-1)[None], 4, 0))
    np.testing.assert_array_equal(make_references(x, n=4, seed=7), a)
    # dinucleotide counts are kept
    for k in range(4):
        seq = x[0].argmax(0)
        ref = a[0, k].argmax(0)
        pairs = lambda s: sorted(zip(s[:-1].tolist(), s[1:].tolist(), strict=True))  # noqa: E731
        assert pairs(seq) == pairs(ref)


def test_protein_references_keep_the_padding() -> None:
    x = inputs("deeploc", 2).numpy()
    refs = make_references(x, n=3, seed=0)
    assert (refs[..., -PADDING:] == 0).all()
    assert (np.abs(refs[..., :-PADDING]).sum(axis=2) == 1).all()


def test_hypothetical_contributions_project_to_the_attributions() -> None:
    model = build("basset")
    x = inputs("basset", 2).numpy()
    a = deepshap(model, x, n_references=3, device="cpu", dtype="float64")
    assert a.hypothetical is not None
    # for the observed letter, the hypothetical contribution is the actual one summed
    # over channels at that position
    projected = (a.hypothetical * x).sum(axis=1)
    np.testing.assert_allclose(projected, a.values.sum(axis=1), atol=1e-6)


def test_a_batch_axis_that_moves_is_refused() -> None:
    class Moves(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x.transpose(0, 1)).sum(dim=(0, 2))[:, None].T.T

    with pytest.raises(DeepLiftError, match="cannot pair"):
        deeplift(Moves(), np.ones((2, 3, 4)), references="zeros", device="cpu")
