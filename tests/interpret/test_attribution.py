"""Attribution methods: exact values on analytic models, input checks, the entry point."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from biodl.errors import InputError
from biodl.interpret import (
    METHODS,
    attention,
    attribute,
    input_x_gradient,
    integrated_gradients,
    kernel_shap,
    lime,
    saliency,
)
from tests.interpret.zoo import (
    PADDING,
    ZOO,
    build,
    graph_baseline,
    inputs,
    is_graph,
    model_io,
)

C, L = 4, 5
W = np.arange(C * L, dtype=np.float32).reshape(C, L) / 10 - 0.8


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def linear(n_outputs: int = 1) -> nn.Module:
    """f_t(x) = (t + 1) * sum(W * x) + t."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(C * L, n_outputs))
    with torch.no_grad():
        net[1].weight.copy_(
            torch.stack([torch.as_tensor(W).flatten() * (t + 1) for t in range(n_outputs)])
        )
        net[1].bias.copy_(torch.arange(n_outputs, dtype=torch.float32))
    return net


finite = st.floats(-3, 3, allow_nan=False, width=32)


@settings(max_examples=20, deadline=None)
@given(x=arrays(np.float32, (3, C, L), elements=finite))
def test_linear_model_values_are_exact(x: np.ndarray) -> None:
    model = linear(2)
    s = saliency(model, x, target=1, device="cpu")
    np.testing.assert_allclose(s.values, np.broadcast_to(2 * W, x.shape), rtol=1e-6)
    g = input_x_gradient(model, x, target=1, device="cpu")
    np.testing.assert_allclose(g.values, 2 * W * x, rtol=1e-5, atol=1e-6)
    base = np.full((C, L), 0.25, dtype=np.float32)
    ig = integrated_gradients(model, x, target=1, baseline=base, n_steps=3, device="cpu")
    np.testing.assert_allclose(ig.values, 2 * W * (x - base), rtol=1e-5, atol=1e-5)
    assert ig.delta is not None
    assert np.abs(ig.delta).max() < 1e-4
    np.testing.assert_allclose(s.outputs, 2 * (W * x).sum(axis=(1, 2)) + 1, rtol=1e-5, atol=1e-4)


@settings(max_examples=10, deadline=None)
@given(batch_size=st.integers(1, 6), method=st.sampled_from(["saliency", "integrated_gradients"]))
def test_gradient_methods_do_not_depend_on_batch_size(batch_size: int, method: str) -> None:
    model = build("basset")
    x = inputs("basset", 5)
    full = attribute(model, x, method=method, device="cpu", batch_size=64)  # type: ignore[arg-type]
    part = attribute(model, x, method=method, device="cpu", batch_size=batch_size)  # type: ignore[arg-type]
    np.testing.assert_allclose(part.values, full.values, atol=1e-6)


def test_integrated_gradients_agrees_with_captum() -> None:
    from captum.attr import IntegratedGradients

    model = build("deepsea")
    x = inputs("deepsea", 3)
    ours = integrated_gradients(model, x, target=1, n_steps=20, device="cpu")
    theirs = IntegratedGradients(model).attribute(x, target=1, n_steps=20, method="gausslegendre")
    np.testing.assert_allclose(ours.values, theirs.detach().numpy(), atol=1e-5)


def test_integrated_gradients_delta_shrinks_with_steps() -> None:
    model = build("basset")
    x = inputs("basset", 3)
    few = integrated_gradients(model, x, n_steps=2, device="cpu", dtype="float64")
    many = integrated_gradients(model, x, n_steps=64, device="cpu", dtype="float64")
    assert few.delta is not None
    assert many.delta is not None
    assert np.abs(many.delta).max() < np.abs(few.delta).max()


def test_kernel_shap_on_a_linear_model_is_exact_per_position() -> None:
    """For a linear model and a zero baseline, the SHAP value of position l is f's term."""
    x = inputs("basset", 2)[:, :, :L].numpy()
    model = linear()
    a = kernel_shap(model, x, n_samples=200, device="cpu", seed=0)
    expected = W * x  # one observed letter per position: its weight
    np.testing.assert_allclose(a.values, expected, atol=1e-4)
    assert a.delta is not None
    assert np.abs(a.delta).max() < 1e-4


def test_lime_ranks_positions_of_a_linear_model_and_is_seeded() -> None:
    x = inputs("basset", 1)[:, :, :L].numpy()
    model = linear()
    a = lime(model, x, n_samples=300, device="cpu", seed=1)
    b = lime(model, x, n_samples=300, device="cpu", seed=1)
    np.testing.assert_array_equal(a.values, b.values)
    truth = (W * x[0]).sum(axis=0)
    got = a.values[0].sum(axis=0)
    assert np.corrcoef(truth, got)[0, 1] > 0.9


def test_perturbation_methods_take_two_dimensional_input_and_windows() -> None:
    model = nn.Linear(6, 1)
    x = np.random.default_rng(0).normal(size=(2, 6)).astype(np.float32)
    a = kernel_shap(model, x, window=2, n_samples=50, device="cpu")
    assert a.values.shape == (2, 6)
    with torch.no_grad():
        w = model.weight[0].numpy()
    pair_sums = (a.values.reshape(2, 3, 2)).sum(-1)
    np.testing.assert_allclose(pair_sums, (w * x).reshape(2, 3, 2).sum(-1), atol=1e-4)


def test_attention_weights_sit_on_the_residues_and_sum_to_one() -> None:
    model = build("deeploc")
    x = inputs("deeploc", 3)
    a = attention(model, x, device="cpu")
    np.testing.assert_allclose(a.values.sum(axis=(1, 2)), 1.0, atol=1e-5)
    assert (a.values[..., -PADDING:] == 0).all()
    assert (a.values[x.numpy() == 0] == 0).all()
    with pytest.raises(InputError, match="no attention"):
        attention(build("basset"), inputs("basset", 1), device="cpu")


@pytest.mark.parametrize(
    ("X", "options", "message"),
    [
        (np.zeros((4, 60)), {}, "shape"),
        (np.zeros((0, 4, 60)), {}, "no examples"),
        (np.full((1, 4, 60), np.nan), {}, "NaN"),
        (np.array([[["a"] * 60] * 4]), {}, "numeric"),
        (np.zeros((1, 4, 60)), {"target": 2}, "out of range"),
        (np.zeros((1, 4, 60)), {"target": -1}, "out of range"),
        (np.zeros((1, 4, 60)), {"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_input_is_refused_with_an_input_error(
    X: np.ndarray, options: dict[str, int], message: str
) -> None:
    model = build("basset", n_outputs=2)
    for method in ("saliency", "deeplift", "integrated_gradients"):
        with pytest.raises(InputError, match=message):
            attribute(model, X, method=method, device="cpu", **options)  # type: ignore[arg-type]


def test_unknown_method_and_references_are_refused() -> None:
    with pytest.raises(InputError, match="unknown attribution method"):
        attribute(build("basset"), inputs("basset", 1), method="magic", device="cpu")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="dinucleotide"):
        attribute(
            build("deeploc"), inputs("deeploc", 1), method="deeplift", references="dinucleotide"
        )


def test_int8_one_hot_input_is_accepted() -> None:
    x = inputs("basset", 2)
    a = attribute(build("basset"), x.numpy().astype(np.int8), method="saliency", device="cpu")
    b = attribute(build("basset"), x, method="saliency", device="cpu")
    np.testing.assert_array_equal(a.values, b.values)


@pytest.mark.parametrize("method", [m for m in METHODS if m not in ("attention", "ism")])
def test_every_method_gives_n_c_l_float32(method: str) -> None:
    model = build("deepbind", n_outputs=2)
    x = inputs("deepbind", 2)
    options = {"n_samples": 20} if method in ("lime", "kernel_shap") else {}
    a = attribute(model, x, method=method, target=1, device="cpu", **options)  # type: ignore[arg-type]
    assert a.values.shape == x.shape
    assert a.values.dtype == np.float32
    assert a.outputs.shape == (2,)
    assert a.target == 1
    assert a.method == method
    assert a.importance().shape == (2, x.shape[-1])


def test_ism_goes_through_the_ism_module() -> None:
    ism_module = pytest.importorskip("biodl.interpret.ism")
    model = build("basset", n_outputs=2)
    x = inputs("basset", 2)
    a = attribute(model, x, method="ism", target=1, device="cpu")
    expected = ism_module.ism(model, x, target=1, device="cpu")
    np.testing.assert_allclose(a.values, expected, atol=1e-6)
    assert a.method == "ism"
    assert a.values.shape == x.shape


# Methods defined on packed molecular graphs (dmpnn, gin). The structure channels (mask,
# neighbour indices, reverse slots) are detached inside the models, so gradients land on
# atom and bond features only. Methods that compare the input with a baseline or
# reference get the graph's own structure with its features zeroed (zoo.graph_baseline):
# a zero baseline would interpolate the neighbour indices and the mask too (the points
# on the path are no graphs: the models refuse them), and DeepLIFT's summation only holds
# when input and reference share the graph (the message-passing gathers differ
# otherwise).
GRAPH_METHODS = {
    "saliency",
    "input_x_gradient",
    "integrated_gradients",
    "deeplift",
    "deepshap",
}
_GRAPH_SKIPS = {
    "lime": "LIME turns whole atom positions off (all channels, the neighbour indices and "
    "the mask too): the perturbed inputs are no graphs",
    "kernel_shap": "KernelSHAP turns whole atom positions off (all channels, the "
    "neighbour indices and the mask too): the perturbed inputs are no graphs",
    "ism": "ISM substitutes one-hot letters; a packed graph is no one-hot sequence",
    "attention": "the graph models have no attention weights",
}


def _not_applicable(name: str, method: str) -> str | None:
    """Why ``method`` is not defined for model ``name`` (None: it is). Attention needs an
    attention model, ISM one-hot sequence input and one value per output (per-position
    heads are summed by the gradient methods, not by ISM); LIME and KernelSHAP perturb
    positions, which matrix samples and fingerprints ``(N, F, 1)`` have one of, and
    packed molecular graphs cannot lose (see ``GRAPH_METHODS``)."""
    io = model_io(name)
    if io.alphabet == "molecule" and method not in GRAPH_METHODS:
        why = _GRAPH_SKIPS.get(method, "it is not known to keep the graph")
        return f"{method} is not defined for packed molecular graphs ({name}): {why}"
    if io.alphabet == "pileup" and method in ("ism", "attention"):
        return f"{method} is not defined for read pileups ({name}): no one-hot letters"
    if io.alphabet in ("matrix", "fingerprint") and method in ("lime", "kernel_shap", "ism"):
        # they perturb positions; a matrix sample or a fingerprint is one position of F
        # features
        return f"{method} is not defined for {name}: its input is one position of F features"
    if method == "attention":
        return None if name == "deeploc" else f"attention is not defined for {name}"
    if method == "ism":  # one-hot sequences only, not packed CpG/structure inputs
        if io.per_position and io.n_channels == 4:  # bpnet: per-base profiles of DNA
            return f"ism is not defined for {name}: it has per-position outputs"
        if not io.layout and io.n_channels in (4, 20) and not io.per_position:
            return None
        return f"ism is not defined for {name}: its input is not one-hot sequences"
    return None


def _options(name: str, method: str, x: torch.Tensor) -> dict[str, Any]:
    """Cheap options of ``method``; graphs' baselines and references keep the graph."""
    options: dict[str, Any] = {"n_samples": 8} if method in ("lime", "kernel_shap") else {}
    if method in ("deeplift", "deepshap"):
        options = {"n_references": 2}
    if is_graph(name) and method == "integrated_gradients":
        options["baseline"] = graph_baseline(x)
    if is_graph(name) and method in ("deeplift", "deepshap"):
        options = {"references": graph_baseline(x)[:, None]}
    return options


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ZOO)
def test_every_method_runs_on_every_zoo_model(name: str, method: str) -> None:
    reason = _not_applicable(name, method)
    if reason is not None:
        pytest.skip(reason)
    model = build(name, n_outputs=2)
    x = inputs(name, 2)
    options = _options(name, method, x)
    a = attribute(model, x, method=method, target=1, device="cpu", **options)  # type: ignore[arg-type]
    assert a.values.shape == tuple(x.shape)
    assert np.isfinite(a.values).all()


@pytest.mark.parametrize("method", sorted(GRAPH_METHODS))
@pytest.mark.parametrize("name", [n for n in ZOO if is_graph(n)])
def test_graph_attributions_land_on_features_and_sum_up(name: str, method: str) -> None:
    """On real molecules: nothing on the structure channels or on padding atoms, and
    the methods with a baseline are complete (they sum to f(x) - f(baseline))."""
    model = build(name, n_outputs=2)
    x = inputs(name, 4)
    a = attribute(model, x, method=method, target=1, device="cpu", **_options(name, method, x))
    layout = dict(model_io(name).layout)
    n_atom, k = layout["atom_features"], layout["max_neighbours"]
    structure = np.r_[0, 1 + n_atom : 1 + n_atom + 2 * k]
    assert (a.values[:, structure] == 0).all()
    padding = x.numpy()[:, 0] == 0
    assert (a.values.transpose(0, 2, 1)[padding] == 0).all()
    assert np.abs(a.values).max() > 0
    if method in ("integrated_gradients", "deeplift", "deepshap"):
        assert a.delta is not None
        assert np.abs(a.delta).max() < (1e-3 if method == "integrated_gradients" else 1e-5)
