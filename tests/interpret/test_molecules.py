"""Atom attributions of graph models (biodl.interpret.molecules): exact values on
analytic models, invariants on the zoo's D-MPNN and GIN, drawings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("rdkit")

from biodl.data import MoleculeKind
from biodl.encode.molecules import (
    ATOM_FEATURES,
    BOND_FEATURES,
    MAX_NEIGHBOURS,
    molecule_graphs,
    unpack_graphs,
)
from biodl.errors import InputError
from biodl.interpret import (
    AtomAttributions,
    atom_attributions,
    atom_scores,
    draw_atom_attributions,
)
from biodl.models.molecules import MOLECULE_MODELS, GraphLayout
from biodl.models.registry import ModelIO

pytestmark = pytest.mark.usefixtures("one_torch_thread")

A, B, K = len(ATOM_FEATURES), len(BOND_FEATURES), MAX_NEIGHBOURS
BOND0 = 1 + A + 2 * K
SMILES = [
    "CCO",
    "c1ccccc1O",
    "CC(=O)Nc1ccc(O)cc1",
    "C",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "[NH3+]CC(=O)[O-]",
]
PNG = b"\x89PNG\r\n\x1a\n"


def split(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mask ``(N, L)``, atom features ``(N, A, L)``, bond features ``(N, K, B, L)``."""
    n, _, length = x.shape
    return x[:, 0], x[:, 1 : 1 + A], x[:, BOND0:].reshape(n, K, B, length)


class Linear(nn.Module):
    """``sum_i mask_i (w . atom_i) + sum_{i,k} v_k . bond_{i,k}``: IG is ``x * weight``."""

    def __init__(self, w: np.ndarray, v: np.ndarray) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(w, dtype=torch.float32))  # (A,)
        self.v = nn.Parameter(torch.as_tensor(v, dtype=torch.float32))  # (K, B)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask, atoms, bonds = split(x)
        atom_term = (mask[:, None] * atoms * self.w[None, :, None]).sum(dim=(1, 2))
        bond_term = (bonds * self.v[None, :, :, None]).sum(dim=(1, 2, 3))
        return torch.stack([atom_term + bond_term, -atom_term], dim=1)


class Quadratic(nn.Module):
    """``(w . atoms)^2 + (w . atoms)(v . bonds)``, all sums over the molecule."""

    def __init__(self, w: np.ndarray, v: np.ndarray) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(w, dtype=torch.float32))
        self.v = nn.Parameter(torch.as_tensor(v, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, atoms, bonds = split(x)
        s = (atoms * self.w[None, :, None]).sum(dim=(1, 2))
        t = (bonds * self.v[None, :, :, None]).sum(dim=(1, 2, 3))
        return (s * s + s * t)[:, None]


class Recorder(nn.Module):
    """A smooth non-linear model that keeps every input it is called on."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.1))
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.detach().clone())
        _, atoms, bonds = split(x)
        return torch.tanh(self.scale * (atoms.sum(dim=(1, 2)) - bonds.sum(dim=(1, 2, 3))))[:, None]


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return molecule_graphs(SMILES)


@pytest.fixture(scope="module")
def weights() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=A), rng.normal(size=(K, B))


# ---------------------------------------------------------------------------------------
# analytic models


def test_linear_model_is_explained_exactly(
    x: np.ndarray, weights: tuple[np.ndarray, np.ndarray]
) -> None:
    w, v = weights
    model = Linear(w, v)
    attr = atom_attributions(model, x, steps=8, device="cpu")
    assert isinstance(attr, AtomAttributions)
    w32, v32 = w.astype(np.float32).astype(np.float64), v.astype(np.float32).astype(np.float64)
    mask, atoms, _, _, bonds = unpack_graphs(x)
    np.testing.assert_allclose(attr.features, x[:, 1 : 1 + A] * w32[None, :, None], atol=1e-5)
    np.testing.assert_allclose(attr.atoms, (atoms * w32).sum(axis=2), atol=1e-5)
    np.testing.assert_allclose(attr.bond_features, bonds * v32[None, None], atol=1e-5)
    np.testing.assert_allclose(attr.bonds, (bonds * v32[None, None]).sum(axis=3), atol=1e-5)
    np.testing.assert_array_equal(attr.mask, mask)
    np.testing.assert_allclose(attr.baseline_outputs, 0.0, atol=1e-6)
    assert np.abs(attr.delta).max() < 1e-5
    assert attr.is_complete(rtol=0.0, atol=1e-5)
    assert attr.atoms.shape == (len(SMILES), x.shape[2])
    assert attr.bonds.shape == (len(SMILES), x.shape[2], K)
    assert attr.features.shape == (len(SMILES), A, x.shape[2])

    other = atom_attributions(model, x, target=1, steps=8, device="cpu")
    np.testing.assert_allclose(other.atoms, -attr.atoms, atol=1e-5)
    np.testing.assert_allclose(other.bonds, 0.0, atol=1e-7)


def test_quadratic_model_meets_completeness(
    x: np.ndarray, weights: tuple[np.ndarray, np.ndarray]
) -> None:
    """The gradient is linear along the path, so Gauss-Legendre integrates it exactly:
    IG of an atom feature is ``x w (2s + t) / 2 + x w t / 2 = x w (s + t)``."""
    w, v = weights
    attr = atom_attributions(Quadratic(w, v), x, steps=4, device="cpu", dtype="float64")
    _, atoms, _, _, bonds = unpack_graphs(x.astype(np.float64))
    w32, v32 = w.astype(np.float32).astype(np.float64), v.astype(np.float32).astype(np.float64)
    s = (atoms * w32).sum(axis=(1, 2))
    t = (bonds * v32[None, None]).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(attr.outputs, s * s + s * t, rtol=1e-9)
    expected = x[:, 1 : 1 + A] * w32[None, :, None] * (s + t / 2)[:, None, None]
    np.testing.assert_allclose(attr.features, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        attr.bonds, (bonds * v32[None, None]).sum(axis=3) * (s / 2)[:, None, None], atol=1e-9
    )
    assert np.abs(attr.delta).max() < 1e-6 * np.abs(attr.outputs).max()
    assert attr.is_complete(rtol=1e-6, atol=0.0)


def test_structure_channels_never_move(x: np.ndarray) -> None:
    """Every point of the path keeps the input's mask, neighbour and reverse channels;
    the baseline has zero features."""
    model = Recorder()
    attr = atom_attributions(model, x, steps=5, batch_size=7, device="cpu")
    structure = x[:, :BOND0].copy()
    structure[:, 1 : 1 + A] = 0.0
    rows = torch.cat(model.seen).numpy()
    assert rows.shape[0] > len(SMILES) * 5
    for row in rows:
        kept = row[:BOND0].copy()
        kept[1 : 1 + A] = 0.0
        assert (kept[None] == structure).all(axis=(1, 2)).any()
    zeroed = (rows[:, 1 : 1 + A] == 0).all(axis=(1, 2)) & (rows[:, BOND0:] == 0).all(axis=(1, 2))
    assert zeroed.sum() >= len(SMILES)  # f(baseline) on zeroed features, structure kept
    assert attr.is_complete(rtol=0.01)


def test_smooth_model_delta_shrinks_with_steps(x: np.ndarray) -> None:
    errors = [
        np.abs(atom_attributions(Recorder(), x, steps=s, device="cpu", dtype="float64").delta)
        for s in (1, 2, 8)
    ]
    assert errors[0].max() > errors[1].max() > errors[2].max()
    assert errors[2].max() < 1e-8


# ---------------------------------------------------------------------------------------
# atom scores


def test_atom_scores_split_each_bond_half_and_half() -> None:
    """A model whose bond weight depends on the slot's owner atom: slot ``p -> q`` has
    attribution ``c_p * (features set)``; atom ``p`` gets half of its own slots and
    half of the slots pointing at it."""
    x = molecule_graphs(["CC=O"])  # bonds 0-1 (single), 1-2 (double): 2 features each

    class OwnerWeighted(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            c = torch.tensor([1.0, 10.0, 100.0])
            return (split(x)[2].sum(dim=(1, 2)) * c).sum(dim=1, keepdim=True)

    attr = atom_attributions(OwnerWeighted(), x, steps=2, device="cpu")
    np.testing.assert_allclose(attr.bonds[0], [[2, 0, 0, 0, 0, 0], [20, 20, 0, 0, 0, 0],
                                               [200, 0, 0, 0, 0, 0]], atol=1e-4)  # fmt: skip
    np.testing.assert_array_equal(attr.neighbours[0, :, :2], [[1, -1], [0, 2], [1, -1]])
    # bond 0-1: slots 2 + 20 -> 11 each; bond 1-2: slots 20 + 200 -> 110 each
    np.testing.assert_allclose(atom_scores(attr, 0), [11.0, 121.0, 110.0], rtol=1e-6)
    np.testing.assert_allclose(atom_scores(attr, 0, bonds=False), [0.0, 0.0, 0.0], atol=1e-6)
    assert atom_scores(attr, 0).sum() == pytest.approx(attr.outputs[0], rel=1e-6)


def test_atom_scores_lengths_and_errors(x: np.ndarray, weights: tuple[np.ndarray, ...]) -> None:
    attr = atom_attributions(Linear(*weights), x, steps=2, device="cpu")
    for i in range(len(SMILES)):
        scores = atom_scores(attr, i)
        assert scores.shape == (int(attr.mask[i].sum()),)
        assert scores.sum() == pytest.approx(attr.atoms[i].sum() + attr.bonds[i].sum(), abs=1e-9)
    np.testing.assert_array_equal(atom_scores(attr, -1), atom_scores(attr, len(SMILES) - 1))
    with pytest.raises(InputError, match="not in a batch of 6"):
        atom_scores(attr, len(SMILES))
    with pytest.raises(InputError, match="not in a batch"):
        atom_scores(attr, True)


# ---------------------------------------------------------------------------------------
# zoo models

MODEL_PARAMS: dict[str, dict[str, Any]] = {
    "dmpnn": {"hidden": 32, "ffn_hidden": 32},
    "gin": {"hidden": 32, "layers": 3, "dropout": 0.0},
}


def zoo_model(name: str, x: np.ndarray) -> nn.Module:
    """A randomly initialised (seeded) graph model for ``x``'s layout, batch-norm
    statistics moved off their defaults by one training pass."""
    kind = MoleculeKind()
    spec = {s.name: s for s in MOLECULE_MODELS}[name]
    io = ModelIO(
        n_channels=kind.n_channels(),
        input_length=x.shape[2],
        n_outputs=2,
        alphabet=kind.model_alphabet,
        layout=kind.layout(),
    )
    torch.manual_seed(0)
    model = spec.build(spec.params(**MODEL_PARAMS[name]), io)
    model.train()
    with torch.no_grad():
        model(torch.from_numpy(x))
    return model.eval()


@pytest.mark.parametrize("name", ["dmpnn", "gin"])
def test_zoo_models_invariants(name: str, x: np.ndarray) -> None:
    model = zoo_model(name, x)
    attr = atom_attributions(model, x, target=1, steps=64, device="cpu")
    with torch.no_grad():
        out = model(torch.from_numpy(x))[:, 1].double().numpy()
    np.testing.assert_allclose(attr.outputs, out, rtol=1e-5, atol=1e-6)
    assert model.training is False  # mode restored
    # padding atoms and empty slots get nothing
    pad = ~attr.mask
    assert (attr.atoms[pad] == 0).all()
    assert (attr.features.transpose(0, 2, 1)[pad] == 0).all()
    assert (attr.bonds[attr.neighbours < 0] == 0).all()
    assert (attr.bond_features[attr.neighbours < 0] == 0).all()
    assert np.abs(attr.atoms[attr.mask]).sum() > 0
    assert np.abs(attr.bonds).sum() > 0
    # completeness: measured |delta| / |f(x) - f(b)| <= 0.02 at 64 nodes (ReLU kinks)
    diff = np.abs(attr.outputs - attr.baseline_outputs)
    assert (diff > 1e-4).all()
    assert attr.is_complete(rtol=0.05, atol=1e-5), attr.relative_delta
    assert not attr.is_complete(rtol=0.0, atol=0.0)  # the check can fail
    np.testing.assert_allclose(attr.relative_delta, np.abs(attr.delta) / diff)
    with pytest.raises(InputError, match="rtol and atol"):
        attr.is_complete(rtol=-1.0)
    for i in range(len(SMILES)):
        scores = atom_scores(attr, i)
        assert scores.sum() == pytest.approx(
            attr.outputs[i] - attr.baseline_outputs[i] + attr.delta[i], abs=1e-9
        )
        assert abs(scores.sum() - (attr.outputs[i] - attr.baseline_outputs[i])) <= (
            1e-5 + 0.05 * diff[i]
        )


@pytest.mark.parametrize("name", ["dmpnn", "gin"])
def test_zoo_models_alone_or_padded_in_a_batch(name: str) -> None:
    """A molecule's attributions do not depend on its batch or on padding."""
    big = molecule_graphs(["CCO", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"])
    alone = molecule_graphs(["CCO"])
    model = zoo_model(name, big)
    together = atom_attributions(model, big, steps=16, device="cpu")
    single = atom_attributions(model, alone, steps=16, device="cpu")
    np.testing.assert_allclose(
        atom_scores(together, 0), atom_scores(single, 0), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(together.atoms[0, :3], single.atoms[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(together.bonds[0, :3], single.bonds[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(together.outputs[:1], single.outputs, rtol=1e-5)
    np.testing.assert_allclose(together.delta[:1], single.delta, atol=1e-5)
    assert (together.atoms[0, 3:] == 0).all()
    # nor on the batch size
    small_batches = atom_attributions(model, big, steps=16, batch_size=16, device="cpu")
    np.testing.assert_allclose(small_batches.atoms, together.atoms, rtol=1e-4, atol=1e-6)


def test_layout_from_model_argument_or_channels() -> None:
    x4 = molecule_graphs(["CCO", "CC(C)(C)C"], max_neighbours=4)
    rng = np.random.default_rng(1)

    class Plain(nn.Module):  # no layout of its own: K from C
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return (
                x[:, 1 : 1 + A].sum(dim=(1, 2))[:, None]
                + x[:, 1 + A + 8 :].sum(dim=(1, 2))[:, None]
            )

    attr = atom_attributions(Plain(), x4, steps=2, device="cpu")
    assert attr.bonds.shape == (2, 5, 4)
    assert attr.info["layout"] == (A, 4, B)
    assert attr.is_complete(rtol=0.0, atol=1e-4)
    given = atom_attributions(Plain(), x4, steps=2, device="cpu", layout=GraphLayout(A, 4, B))
    np.testing.assert_array_equal(given.atoms, attr.atoms)
    with pytest.raises(InputError, match="layout must have integer"):
        atom_attributions(Plain(), x4, device="cpu", layout=(A, 4, B))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="102 channels, not the 130"):
        atom_attributions(Plain(), x4, device="cpu", layout=GraphLayout(A, 6, B))
    with pytest.raises(InputError, match="not a packed molecular graph"):
        atom_attributions(Plain(), rng.normal(size=(1, 7, 3)), device="cpu")
    bad = x4.copy()
    bad[0, 0, 0] = 0.5
    with pytest.raises(InputError, match="atom mask"):
        atom_attributions(Plain(), bad, device="cpu")
    with pytest.raises(InputError):
        atom_attributions(Plain(), x4, target=3, device="cpu")
    with pytest.raises(InputError, match="steps"):
        atom_attributions(Plain(), x4, steps=0, device="cpu")


# ---------------------------------------------------------------------------------------
# drawings


def test_draw_png_and_file(tmp_path: Path, x: np.ndarray, weights: tuple[np.ndarray, ...]) -> None:
    attr = atom_attributions(Linear(*weights), x, steps=2, device="cpu")
    for i, smiles in enumerate(SMILES):
        png = draw_atom_attributions(smiles, atom_scores(attr, i), size=(200, 150))
        assert png.startswith(PNG)
    out = tmp_path / "sub.png"
    png = draw_atom_attributions(SMILES[2], atom_scores(attr, 2), path=out, labels=True)
    assert png.startswith(PNG)
    assert out.read_bytes() == png
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left
    assert draw_atom_attributions("CCO", np.zeros(3)).startswith(PNG)  # all zero: white
    assert draw_atom_attributions("CCO", [1.0, -1.0, 0.0], scale=2.0).startswith(PNG)


def test_draw_errors() -> None:
    with pytest.raises(InputError, match="2 scores for a molecule of 3 atoms") as info:
        draw_atom_attributions("CCO", [1.0, 2.0])
    assert info.value.record == "CCO"
    assert "CCO" in str(info.value)
    with pytest.raises(InputError, match="c1ccccc1O"):
        draw_atom_attributions("c1ccccc1O", np.zeros((7, 1)))
    with pytest.raises(InputError, match="NaN"):
        draw_atom_attributions("CCO", [1.0, np.nan, 0.0])
    with pytest.raises(InputError, match="C1CC"):
        draw_atom_attributions("C1CC", [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="scale"):
        draw_atom_attributions("CCO", [1.0, 2.0, 3.0], scale=0.0)


@pytest.mark.parametrize("name", ["dmpnn", "gin"])
def test_generic_methods_keep_the_graph_by_default(name: str, x: np.ndarray) -> None:
    """The generic methods' default baselines and references of a graph model are the
    same graph without its features (an all-zero array is no graph): they run, sum to
    f(x) - f(baseline), and agree with :func:`atom_attributions`."""
    from biodl.interpret.attribution import (
        deepshap,
        graph_feature_channels,
        integrated_gradients,
    )

    model = zoo_model(name, x).double()
    channels = graph_feature_channels(model, x.shape[1])
    assert channels is not None
    assert not channels[0]
    assert graph_feature_channels(nn.Linear(2, 1), x.shape[1]) is None
    ig = integrated_gradients(model, x, target=0, n_steps=64, dtype="float64", device="cpu")
    assert ig.delta is not None
    assert np.abs(ig.delta).max() < 0.05 * np.abs(ig.outputs).max() + 1e-4
    assert np.abs(ig.values[:, ~channels]).max() == 0.0  # nothing on the structure
    ours = atom_attributions(model, x, target=0, steps=64, dtype="float64", device="cpu")
    np.testing.assert_allclose(ig.values[:, 1 : 1 + ours.features.shape[1]], ours.features,
                               atol=1e-6)  # fmt: skip
    shap = deepshap(model, x, target=0, n_references=2, dtype="float64", device="cpu")
    assert shap.delta is not None
    assert np.abs(shap.delta).max() < 1e-8
