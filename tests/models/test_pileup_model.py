"""The pileup CNN (DeepVariant-style genotyping): layout checks, determinism, gradients,
a planted genotype rule, DeepLIFT summation and export.

Pileups are synthesised here: ``(6, H, W)`` images with the first 5 rows the reference
and the candidate at column ``W // 2`` (see :mod:`biodl.models.pileup`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from biodl.errors import ConfigError
from biodl.interpret import deeplift, deepshap
from biodl.models import ModelIO, SequenceModel, create_model, validate_params
from biodl.models import registry as registry_module
from biodl.models.pileup import (
    PILEUP_CNN,
    PILEUP_MODELS,
    PileupCNNParams,
    pileup_cnn,
    pileup_io,
)
from biodl.workflows.export import ExportFormat, export_model, load_exported

pytestmark = pytest.mark.usefixtures("one_torch_thread", "registered")

REF_ROWS = 5
GENOTYPES = ("hom-ref", "het", "hom-alt")


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The zoo with ``pileup_cnn`` registered again (checks its space), for this test."""
    monkeypatch.setattr(registry_module, "_REGISTRY", dict(registry_module._REGISTRY))
    registry_module.register_model(PILEUP_CNN, replace=True)  # also checks the space


def build(
    rows: int = 100, columns: int = 61, n_outputs: int = 3, seed: int = 0, **params: Any
) -> SequenceModel:
    torch.manual_seed(seed)
    model = create_model("pileup_cnn", params, io=pileup_io(rows, columns, n_outputs))
    assert isinstance(model, SequenceModel)
    return model


def pileups(
    genotypes: np.ndarray, height: int, width: int, rng: np.random.Generator
) -> torch.Tensor:
    """Synthetic pileups ``(N, 6, H * W)`` of ``genotypes`` (0, 1, 2).

    Each read row covers a random span; reads support the candidate with probability
    0.02 (hom-ref: errors), 0.5 (het) or 0.98 (hom-alt). A supporting read has the
    alternative base at the candidate column and 'supports' set along its span;
    sequencing errors set 'differs' elsewhere at 2%.
    """
    n = len(genotypes)
    x = np.zeros((n, 6, height, width), dtype=np.float32)
    centre = width // 2
    ref_base = rng.integers(1, 5, (n, width)) / 4.0
    x[:, 0, :REF_ROWS] = ref_base[:, None, :]
    x[:, 1:3, :REF_ROWS] = 1.0
    p_support = np.array([0.02, 0.5, 0.98])[genotypes]
    for i in range(n):
        for row in range(REF_ROWS, height):
            if rng.random() < 0.1:  # no read in this row
                continue
            start = int(rng.integers(0, centre + 1))
            stop = int(rng.integers(centre + 1, width + 1))
            span = slice(start, stop)
            base = ref_base[i, span].copy()
            differs = (rng.random(stop - start) < 0.02).astype(np.float32)
            supports = rng.random() < p_support[i]
            if supports:
                differs[centre - start] = 1.0
            base = np.where(differs > 0, (base * 4 % 4 + 1) / 4.0, base)
            x[i, 0, row, span] = base
            x[i, 1, row, span] = rng.uniform(0.5, 1.0, stop - start)
            x[i, 2, row, span] = rng.uniform(0.6, 1.0)
            x[i, 3, row, span] = float(rng.random() < 0.5)
            x[i, 4, row, span] = float(supports)
            x[i, 5, row, span] = differs
    return torch.from_numpy(x.reshape(n, 6, height * width))


def random_batch(n: int, height: int = 100, width: int = 61, seed: int = 1) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return pileups(rng.integers(0, 3, n), height, width, rng)


def warm(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """Move batch-norm running statistics off their defaults, then eval mode."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(x)
    return model.eval()


# ---------------------------------------------------------------------------------------
# the spec and the layout


def test_spec_is_complete_and_not_registered_by_default() -> None:
    assert PILEUP_MODELS == (PILEUP_CNN,)
    assert PILEUP_CNN.alphabets == ("pileup",)
    assert "doi:10.1038/nbt.4235" in PILEUP_CNN.citation
    assert set(PILEUP_CNN.space) <= set(PileupCNNParams.model_fields)
    for name, param in PILEUP_CNN.space.items():  # every choice validates
        for choice in param.choices or [param.low, param.high]:
            PileupCNNParams.model_validate({name: choice})
    assert "pileup_cnn" in registry_module._REGISTRY


def test_output_shape_and_parameter_count() -> None:
    model = build().eval()
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 324_611  # the docstring's count
    assert n_params < 1_000_000
    with torch.no_grad():
        out = model(random_batch(4))
    assert out.shape == (4, 3)
    assert torch.isfinite(out).all()
    assert model.embed(random_batch(2)).shape == (2, 256)


@pytest.mark.parametrize(
    ("height", "width", "params"),
    [(100, 221, {}), (20, 11, {"stages": 2, "center_column": False, "hidden": 0}), (7, 1, {})],
)
def test_other_sizes_and_options(height: int, width: int, params: dict[str, Any]) -> None:
    model = build(height, width, n_outputs=2, **params).eval()
    with torch.no_grad():
        out = model(torch.rand(3, 6, height * width))
    assert out.shape == (3, 2)


def test_layout_errors_are_clear() -> None:
    layout = (("pileup_height", 10), ("pileup_width", 5))
    good = ModelIO(6, 50, 3, alphabet="pileup", layout=layout)
    cases: list[tuple[ModelIO, str]] = [
        (ModelIO(4, 50, 3, alphabet="dna", layout=layout), "for pileup input, not dna"),
        (ModelIO(5, 50, 3, alphabet="pileup", layout=layout), "6 channels"),
        (ModelIO(6, 50, 3, alphabet="pileup"), "must name pileup_height and pileup_width"),
        (ModelIO(6, 50, 3, alphabet="pileup", layout=layout[:1]), "pileup_width"),
        (ModelIO(6, 60, 3, alphabet="pileup", layout=layout), "50 positions, not input_length"),
        (
            ModelIO(6, 0, 3, alphabet="pileup", layout=(("pileup_height", 0), layout[1])),
            "cannot be 0 x 5",
        ),
        (
            ModelIO(6, 50, 3, alphabet="pileup", layout=layout, per_position=True),
            "per_position",
        ),
    ]
    for io, message in cases:
        with pytest.raises(ConfigError, match=message):
            pileup_cnn(PileupCNNParams(), io)
    with pytest.raises(ConfigError, match="is for pileup"):  # through the zoo
        create_model("pileup_cnn", {}, io=ModelIO(4, 50, 3, alphabet="dna"))
    with pytest.raises(ConfigError, match=r"unknown key 'model\.depth'"):
        validate_params("pileup_cnn", {"depth": 3})
    with pytest.raises(ConfigError, match=r"'model\.width'"):
        validate_params("pileup_cnn", {"width": "16"})  # strict
    model = create_model("pileup_cnn", {}, io=good)
    for shape in [(2, 6, 49), (2, 5, 50), (6, 50)]:
        with pytest.raises(ValueError, match=r"10 x 5 pileups is \(N, 6, 50\)"):
            model(torch.zeros(shape))


# ---------------------------------------------------------------------------------------
# behaviour


def test_deterministic_for_a_seed() -> None:
    x = random_batch(3)
    a, b, c = build(seed=5).eval(), build(seed=5).eval(), build(seed=6).eval()
    with torch.no_grad():
        ya, yb, yc = a(x), b(x), c(x)
        again = a(x)
    assert torch.equal(ya, yb)
    assert torch.equal(ya, again)
    assert not torch.allclose(ya, yc)


def test_integer_input_is_cast() -> None:
    model = build(20, 11).eval()
    x = (torch.rand(2, 6, 220) > 0.5).to(torch.uint8)
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(x.float()))


def test_gradient_reaches_every_channel_of_the_input() -> None:
    model = warm(build(), random_batch(4))
    x = random_batch(2).requires_grad_(True)
    model(x)[:, 1].sum().backward()
    assert x.grad is not None
    per_channel = x.grad.abs().sum(dim=(0, 2))
    assert (per_channel > 0).all(), per_channel


def test_batch_of_one() -> None:
    model = warm(build(), random_batch(4))
    x = random_batch(3)
    with torch.no_grad():
        full = model(x)
        ones = torch.cat([model(x[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(ones, full, atol=1e-5, rtol=1e-5)
    model.train()  # batch norm over H x W positions: a training batch of one works
    model(x[:1]).sum().backward()


@pytest.fixture(scope="module")
def trained() -> tuple[nn.Module, torch.Tensor, np.ndarray]:
    """A small pileup CNN trained on 480 planted 30 x 15 pileups (about 2 s), with 300
    held-out pileups and their genotypes."""
    rows, columns = 30, 15
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 3, 480), rng.integers(0, 3, 300)
    x_train = pileups(y_train, rows, columns, rng)
    x_test = pileups(y_test, rows, columns, rng)
    torch.manual_seed(0)
    model = pileup_cnn(PileupCNNParams(width=8, stages=3), pileup_io(rows, columns))
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    target = torch.from_numpy(y_train)
    for _epoch in range(6):
        model.train()
        order = torch.from_numpy(rng.permutation(len(y_train)))
        for batch in order.split(32):
            optimiser.zero_grad()
            loss_fn(model(x_train[batch]), target[batch]).backward()
            optimiser.step()
    return model.eval(), x_test, y_test


def test_learns_a_planted_genotype_rule(
    trained: tuple[nn.Module, torch.Tensor, np.ndarray],
) -> None:
    """het: about half the reads support the candidate, hom-alt: all; chance is 1/3."""
    model, x_test, y_test = trained
    with torch.no_grad():
        predicted = model(x_test).argmax(dim=1).numpy()
    accuracy = float((predicted == y_test).mean())
    assert accuracy > 0.85, accuracy  # 0.98 with these seeds


# ---------------------------------------------------------------------------------------
# interpretation and export


def _check_summation(model: nn.Module, x: np.ndarray, target: int) -> np.ndarray:
    a = deepshap(model, x, target=target, n_references=2, dtype="float64", device="cpu", seed=2)
    assert a.values.shape == x.shape
    assert a.delta is not None
    assert a.reference_outputs is not None
    change = a.outputs - a.reference_outputs
    total = a.values.astype(np.float64).sum(axis=(1, 2))
    # the attributions come back in float32: relative error ~1e-7 of the change
    np.testing.assert_allclose(total, change, rtol=1e-6, atol=1e-8)
    assert np.abs(a.delta).max() < 1e-8 * max(1.0, float(np.abs(change).max()))
    assert next(model.parameters()).dtype == torch.float32  # left as found
    return change


def test_deepshap_summation_holds_in_double() -> None:
    model = warm(build(), random_batch(8))
    x = random_batch(3, seed=4).numpy()
    change = _check_summation(model, x, target=1)
    assert np.abs(change).max() > 1e-4  # an untrained network: small, not trivial
    # every operation has an exact rule: no block integrated gradients
    b = deeplift(model, x, target=2, dtype="float64", device="cpu")
    assert b.delta is not None
    assert np.abs(b.delta).max() < 1e-8
    rules = b.info["rules"]
    assert rules.get("rescale:relu", 0) >= 1
    assert not [r for r in rules if r.startswith(("block:", "discrete:"))], rules


def test_deepshap_summation_holds_on_a_trained_network(
    trained: tuple[nn.Module, torch.Tensor, np.ndarray],
) -> None:
    model, x_test, y_test = trained
    hom_alt = x_test[torch.from_numpy(y_test == 2)][:3].numpy()
    change = _check_summation(model, hom_alt, target=2)
    assert np.abs(change).min() > 0.1


def test_deeplift_in_float32_is_close() -> None:
    model = warm(build(), random_batch(8))
    a = deeplift(model, random_batch(3, seed=4).numpy(), target=0, device="cpu")
    assert a.delta is not None
    assert np.abs(a.delta).max() < 1e-4


@pytest.mark.parametrize(
    "format",
    [
        "torchscript",
        pytest.param(
            "onnx",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("onnxruntime") is None, reason="no onnxruntime"
            ),
        ),
    ],
)
def test_export_matches_eager(format: ExportFormat, tmp_path: Path) -> None:
    model = warm(build(), random_batch(8))
    x = random_batch(5, seed=7).numpy()
    path = tmp_path / f"m.{'pt' if format == 'torchscript' else 'onnx'}"
    export_model(model, path, format=format, example=x[:2])
    run = load_exported(path, format=format)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    assert np.abs(run(x) - want).max() <= 1e-5
    assert np.abs(run(x[:1]) - want[:1]).max() <= 1e-5  # batch of one
