"""The molecule zoo: D-MPNN and GIN over packed molecular graphs, the fingerprint MLP.

Packed inputs are built here by hand from small adjacency lists (no RDKit, no
featuriser), in the layout of :mod:`biodl.models.molecules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from biodl.errors import ConfigError
from biodl.models import ModelIO, SequenceModel, create_model, get_model_spec, validate_params
from biodl.models.molecules import (
    DMPNNTrunk,
    GINTrunk,
    graph_channels,
    unpack_graph,
)
from tests.models.options import alternative, fingerprint

pytestmark = pytest.mark.usefixtures("one_torch_thread")


A, B, K = 5, 3, 4  # atom features, bond features, neighbour slots
GRAPH_MODELS = ["dmpnn", "gin"]
SMALL: dict[str, dict[str, Any]] = {
    "dmpnn": {"hidden": 16, "ffn_hidden": 16},
    "gin": {"hidden": 16, "layers": 3, "dropout": 0.0, "ffn_hidden": 16},
}


@dataclass
class Graph:
    """Atom features ``(n, A)`` and bonds ``(i, j, features (B,))``."""

    atoms: np.ndarray
    bonds: list[tuple[int, int, np.ndarray]] = field(default_factory=list)

    def permuted(self, order: list[int]) -> Graph:
        """The same molecule with atom ``order[p]`` at position ``p``."""
        new_index = {old: new for new, old in enumerate(order)}
        return Graph(
            self.atoms[order],
            [(new_index[i], new_index[j], e) for i, j, e in self.bonds],
        )


def pack(graphs: list[Graph], length: int, k: int = K) -> torch.Tensor:
    """``(N, 1 + A + 2K + K*B, length)`` float32, slots filled in bond order."""
    a, b = graphs[0].atoms.shape[1], (len(graphs[0].bonds[0][2]) if graphs[0].bonds else B)
    x = np.zeros((len(graphs), graph_channels(a, k, b), length), dtype=np.float32)
    nb0, rev0, bond0 = 1 + a, 1 + a + k, 1 + a + 2 * k
    for n, g in enumerate(graphs):
        x[n, 0, : len(g.atoms)] = 1.0
        x[n, 1 : 1 + a, : len(g.atoms)] = g.atoms.T
        x[n, nb0 : nb0 + 2 * k] = -1.0
        used = [0] * length
        for i, j, e in g.bonds:
            si, sj = used[i], used[j]
            used[i], used[j] = si + 1, sj + 1
            assert max(si, sj) < k
            x[n, nb0 + si, i], x[n, nb0 + sj, j] = j, i
            x[n, rev0 + si, i], x[n, rev0 + sj, j] = sj, si
            x[n, bond0 + si * b : bond0 + (si + 1) * b, i] = e
            x[n, bond0 + sj * b : bond0 + (sj + 1) * b, j] = e
    return torch.from_numpy(x)


def random_graph(rng: np.random.Generator, n_atoms: int, *, rings: int = 1) -> Graph:
    """A random tree (degree at most 3) plus up to ``rings`` ring-closing bonds."""
    atoms = np.zeros((n_atoms, A), dtype=np.float32)
    atoms[np.arange(n_atoms), rng.integers(0, A, n_atoms)] = 1.0
    atoms[:, -1] = rng.integers(0, 2, n_atoms)  # a second, multi-hot feature
    degree = [0] * n_atoms
    bonds: list[tuple[int, int, np.ndarray]] = []

    def bond() -> np.ndarray:
        return np.eye(B, dtype=np.float32)[rng.integers(0, B)]

    for j in range(1, n_atoms):
        free = [i for i in range(j) if degree[i] < 3]
        i = int(rng.choice(free))
        bonds.append((i, j, bond()))
        degree[i] += 1
        degree[j] += 1
    pairs = {(min(i, j), max(i, j)) for i, j, _ in bonds}
    for _ in range(rings):
        i, j = (
            sorted(int(v) for v in rng.choice(n_atoms, 2, replace=False)) if n_atoms > 2 else (0, 0)
        )
        if i != j and (i, j) not in pairs and degree[i] < K and degree[j] < K:
            bonds.append((i, j, bond()))
            degree[i] += 1
            degree[j] += 1
    return Graph(atoms, bonds)


def graph_io(length: int, n_outputs: int = 2, k: int = K) -> ModelIO:
    layout = (("atom_features", A), ("max_neighbours", k), ("bond_features", B))
    return ModelIO(graph_channels(A, k, B), length, n_outputs, alphabet="molecule", layout=layout)


def build(name: str, length: int = 12, n_outputs: int = 2, **overrides: Any) -> SequenceModel:
    torch.manual_seed(0)
    model = create_model(name, {**SMALL[name], **overrides}, io=graph_io(length, n_outputs))
    assert isinstance(model, SequenceModel)
    return model


def warm(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """Move batch-norm running statistics off their defaults, then eval mode."""
    model.train()
    with torch.no_grad():
        model(x)
    return model.eval()


@pytest.fixture(scope="module")
def molecules() -> list[Graph]:
    rng = np.random.default_rng(0)
    return [random_graph(rng, int(n)) for n in (2, 3, 5, 8, 9, 10)]


def run(model: nn.Module, x: torch.Tensor, compact: bool | None = None) -> torch.Tensor:
    trunk: Any = model.trunk
    trunk.compact = compact
    try:
        with torch.no_grad():
            return model(x)
    finally:
        trunk.compact = None


# ---------------------------------------------------------------------------------- unpacking


def test_unpack_graph_reads_the_layout() -> None:
    e = np.array([1.0, 0.0, 0.5], dtype=np.float32)
    g = Graph(np.eye(3, A, dtype=np.float32), [(0, 1, e), (1, 2, 2 * e)])
    x = pack([g], length=5)
    batch = unpack_graph(x, atom_features=A, max_neighbours=K, bond_features=B)
    assert batch.mask.tolist() == [[1, 1, 1, 0, 0]]
    assert batch.neighbours[0, :3, :2].tolist() == [[1, -1], [0, 2], [1, -1]]
    assert batch.reverse[0, :3, :2].tolist() == [[0, -1], [0, 0], [1, -1]]
    assert batch.valid[0].sum() == 4
    torch.testing.assert_close(batch.bonds[0, 1, 1], torch.from_numpy(2 * e))
    torch.testing.assert_close(batch.atoms[0, :3], torch.eye(3, A))
    with pytest.raises(ValueError, match=r"\(N, "):
        unpack_graph(x[:, 1:], atom_features=A, max_neighbours=K, bond_features=B)


# ---------------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_output_shape_and_training_mode(name: str, molecules: list[Graph]) -> None:
    model = build(name, 12, 3)
    x = pack(molecules, 12)
    out = model(x)
    assert out.shape == (len(molecules), 3)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    assert torch.isfinite(model(x)).all()


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_padding_does_not_change_the_output(
    name: str, compact: bool, molecules: list[Graph]
) -> None:
    model = warm(build(name, 10), pack(molecules, 10))
    short = run(model, pack(molecules, 10), compact)
    long = run(model, pack(molecules, 23), compact)
    torch.testing.assert_close(long, short, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_relabelling_the_atoms_does_not_change_the_output(
    name: str, compact: bool, molecules: list[Graph]
) -> None:
    model = warm(build(name, 10), pack(molecules, 10))
    rng = np.random.default_rng(3)
    shuffled = [g.permuted([int(i) for i in rng.permutation(len(g.atoms))]) for g in molecules]
    reordered = [Graph(g.atoms, list(reversed(g.bonds))) for g in shuffled]  # other slots too
    want = run(model, pack(molecules, 10), compact)
    torch.testing.assert_close(run(model, pack(shuffled, 10), compact), want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(run(model, pack(reordered, 10), compact), want, rtol=1e-5, atol=1e-5)


class Watching(TorchFunctionMode):
    """A function mode that runs every operation unchanged (as DeepLIFT's does)."""

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_dense_and_compact_rows_compute_the_same_function(
    name: str, molecules: list[Graph]
) -> None:
    x = pack(molecules, 12)
    model = warm(build(name, 12), x)
    torch.testing.assert_close(run(model, x, False), run(model, x, True), rtol=1e-5, atol=1e-6)
    # the automatic choice: compact, but dense under a function mode (DeepLIFT's)
    trunk: Any = model.trunk
    with torch.enable_grad():
        assert type(trunk._ops(x)).__name__ == "_Compact"
    with torch.device("cpu"):
        assert type(trunk._ops(x)).__name__ == "_Compact"
    with Watching():
        assert type(trunk._ops(x)).__name__ == "_Dense"
    model.train()
    assert type(trunk._ops(x)).__name__ == "_Compact"


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_one_atom_molecules_and_empty_rows(name: str, molecules: list[Graph]) -> None:
    one = Graph(np.eye(1, A, dtype=np.float32))
    x = pack([one, molecules[2], one], 6)
    model = build(name, 6)
    assert torch.isfinite(model(x)).all()  # training mode, including batch norm
    model(x[:1])  # a batch of a single one-atom molecule
    model.eval()
    for compact in (True, False):
        out = run(model, x, compact)
        assert torch.isfinite(out).all()
        torch.testing.assert_close(out[0], out[2])
    empty = torch.zeros_like(x[:1])
    empty[:, 1 + A : 1 + A + 2 * K] = -1.0
    assert torch.isfinite(run(model, empty, True)).all()
    torch.testing.assert_close(run(model, empty, True), run(model, empty, False))


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_a_batch_gives_each_molecules_own_output(
    name: str, compact: bool, molecules: list[Graph]
) -> None:
    x = pack(molecules, 12)
    model = warm(build(name, 12), x)
    batch = run(model, x, compact)
    for n in range(len(molecules)):
        torch.testing.assert_close(
            run(model, x[n : n + 1], compact), batch[n : n + 1], rtol=1e-5, atol=1e-6
        )


def test_structure_channels_carry_no_gradient(molecules: list[Graph]) -> None:
    x = pack(molecules, 12).requires_grad_(True)
    for name in GRAPH_MODELS:
        model = warm(build(name, 12), x.detach())
        model(x)[:, 0].sum().backward()
        assert x.grad is not None
        structure = x.grad[:, [0, *range(1 + A, 1 + A + 2 * K)]]
        assert structure.abs().max() == 0
        assert x.grad[:, 1 : 1 + A].abs().max() > 0
        assert x.grad[:, 1 + A + 2 * K :].abs().max() > 0
        x.grad = None


def test_inconsistent_reverse_slots_are_an_error(molecules: list[Graph]) -> None:
    x = pack(molecules[:1], 6)
    x[0, 1 + A + K, 0] = -1.0  # atom 0's reverse slot removed, its neighbour's kept
    x[0, 1 + A, 1] = 5.0  # atom 1 points at padding
    model = build("dmpnn", 6)
    with pytest.raises(ValueError, match="reverse"):
        model(x)


# ---------------------------------------------------------------------------------- D-MPNN


def _relu(v: np.ndarray) -> np.ndarray:
    return np.maximum(v, 0.0)


def dmpnn_by_hand(trunk: DMPNNTrunk, g: Graph) -> np.ndarray:
    """Chemprop's equations with a dictionary of directed bonds (no vectorisation)."""
    w_i, w_h = (
        trunk.W_i.weight.detach().double().numpy(),
        trunk.W_h.weight.detach().double().numpy(),
    )
    w_o, b_o = trunk.W_o.weight.detach().double().numpy(), trunk.W_o.bias.detach().double().numpy()
    x = g.atoms.astype(np.float64)
    edges = {(i, j): e for i, j, e in g.bonds} | {(j, i): e for i, j, e in g.bonds}
    z = {(i, j): w_i @ np.concatenate([x[i], e]) for (i, j), e in edges.items()}
    h = {d: _relu(v) for d, v in z.items()}
    for _ in range(trunk.depth - 1):
        into = {
            i: sum((h[(l, m)] for (l, m) in h if m == i), np.zeros(len(b_o))) for i in range(len(x))
        }
        h = {(i, j): _relu(z[(i, j)] + w_h @ (into[i] - h[(j, i)])) for (i, j) in h}
    into = {
        i: sum((h[(l, m)] for (l, m) in h if m == i), np.zeros(len(b_o))) for i in range(len(x))
    }
    atoms = [_relu(w_o @ np.concatenate([x[i], into[i]]) + b_o) for i in range(len(x))]
    return np.mean(atoms, axis=0)


def test_two_atoms_one_update_excludes_the_reverse_message() -> None:
    """x0 = e_0, x1 = e_1, bond e = (1, 0, 0), hidden 2, W_i = [I_2 | 0 ...], W_h = I.

    h^0_{0->1} = relu(W_i [x0, e]) = (1, 0), h^0_{1->0} = (0, 1). The message into
    0 -> 1 is (sum of messages into 0) - h_{1->0} = 0, so h^1 = h^0; without the
    subtraction it would be h^0_{0->1} + h^0_{1->0} = (1, 1). Then each atom receives
    the other's state: a_0 = relu(W_o [x0, h_{1->0}]) with W_o = [0 | I_2]: (0, 1), a_1 =
    (1, 0), and the mean is (0.5, 0.5).
    """
    torch.manual_seed(0)
    model = create_model(
        "dmpnn", {"hidden": 2, "depth": 2, "ffn_layers": 0}, io=graph_io(3, 1)
    ).eval()
    assert isinstance(model, SequenceModel)
    trunk = model.trunk
    assert isinstance(trunk, DMPNNTrunk)
    with torch.no_grad():
        trunk.W_i.weight.zero_()
        trunk.W_i.weight[0, 0] = trunk.W_i.weight[1, 1] = 1.0
        trunk.W_h.weight.copy_(torch.eye(2))
        trunk.W_o.weight.zero_()
        trunk.W_o.weight[:, A:] = torch.eye(2)
        trunk.W_o.bias.zero_()
    g = Graph(np.eye(2, A, dtype=np.float32), [(0, 1, np.eye(1, B, dtype=np.float32)[0])])
    x = pack([g], 3)
    for compact in (True, False):
        trunk.compact = compact
        with torch.no_grad():
            torch.testing.assert_close(model.embed(x), torch.tensor([[0.5, 0.5]]))
    # without the subtraction, the message 0 -> 1 after one update would be (1, 1): W_o's
    # input of atom 1 would be (1, 1) and the mean (1, 1); check the test can tell
    assert not np.allclose(dmpnn_by_hand(trunk, g), [1.0, 1.0])
    np.testing.assert_allclose(dmpnn_by_hand(trunk, g), [0.5, 0.5])


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_dmpnn_matches_a_loop_over_directed_bonds(depth: int, molecules: list[Graph]) -> None:
    torch.manual_seed(depth)
    model = create_model("dmpnn", {"hidden": 7, "depth": depth}, io=graph_io(12)).eval()
    assert isinstance(model, SequenceModel)
    trunk = model.trunk
    assert isinstance(trunk, DMPNNTrunk)
    x = pack(molecules, 12)
    for compact in (True, False):
        trunk.compact = compact
        with torch.no_grad():
            got = model.embed(x).double().numpy()
        for n, g in enumerate(molecules):
            np.testing.assert_allclose(got[n], dmpnn_by_hand(trunk, g), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("aggregation", "scale"), [("sum", 1.0), ("norm", 1 / 100)])
def test_dmpnn_aggregations(aggregation: str, scale: float, molecules: list[Graph]) -> None:
    x = pack(molecules, 12)
    model = build("dmpnn", 12, aggregation=aggregation).eval()
    reference = build("dmpnn", 12).eval()
    with torch.no_grad():
        counts = x[:, 0].sum(1, keepdim=True)
        torch.testing.assert_close(
            model.embed(x), reference.embed(x) * counts * scale, rtol=1e-5, atol=1e-6
        )


# ---------------------------------------------------------------------------------- GIN


def test_gin_layer_is_gine_by_hand() -> None:
    """One layer, no batch norm: h' = MLP(h_i + sum_j relu(h_j + W_e e_ij))."""
    torch.manual_seed(1)
    model = create_model(
        "gin", {"hidden": 4, "layers": 1, "batch_norm": False, "dropout": 0.0}, io=graph_io(4)
    ).eval()
    assert isinstance(model, SequenceModel)
    trunk = model.trunk
    assert isinstance(trunk, GINTrunk)
    e = np.eye(B, dtype=np.float32)
    g = Graph(np.eye(3, A, dtype=np.float32), [(0, 1, e[0]), (1, 2, e[2])])
    with torch.no_grad():
        h = trunk.embed(torch.from_numpy(g.atoms))
        conv: Any = trunk.convs[0]
        edge = conv.edge(torch.from_numpy(e))
        agg = torch.stack(
            [
                torch.relu(h[1] + edge[0]),
                torch.relu(h[0] + edge[0]) + torch.relu(h[2] + edge[2]),
                torch.relu(h[1] + edge[2]),
            ]
        )
        want = conv.lin2(torch.relu(conv.lin1(h + agg))).mean(0)
        for compact in (True, False):
            trunk.compact = compact
            torch.testing.assert_close(model.embed(pack([g], 4))[0], want)


@pytest.mark.parametrize("jk", ["concat", "sum"])
def test_gin_jumping_knowledge_widths(jk: str, molecules: list[Graph]) -> None:
    model = build("gin", 12, jk=jk).eval()
    width = 16 * 3 if jk == "concat" else 16
    assert model.embed(pack(molecules, 12)).shape == (len(molecules), width)


# ---------------------------------------------------------------------------------- training


def count_task(n: int, seed: int, length: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Random graphs of 2-10 atoms; targets: the number of atoms of type 0, and of type-1
    atoms bonded to a type-2 atom (needs one round of messages)."""
    rng = np.random.default_rng(seed)
    graphs = [random_graph(rng, int(rng.integers(2, length + 1))) for _ in range(n)]
    y = []
    for g in graphs:
        kind = g.atoms[:, :3].argmax(1) * (g.atoms[:, :3].max(1) > 0) - (g.atoms[:, :3].max(1) == 0)
        pairs = {(i, j) for i, j, _ in g.bonds} | {(j, i) for i, j, _ in g.bonds}
        y.append([(kind == 0).sum(), sum(kind[i] == 1 and kind[j] == 2 for i, j in pairs)])
    return pack(graphs, length), torch.tensor(y, dtype=torch.float32)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_a_short_training_run_learns_to_count_atoms(name: str) -> None:
    x, y = count_task(256, seed=0)
    x_test, y_test = count_task(128, seed=1)
    overrides = {"aggregation": "sum"} if name == "dmpnn" else {"pooling": "sum"}
    model = build(name, 10, 2, **overrides)
    loss_fn = nn.MSELoss()
    model.eval()
    with torch.no_grad():
        before = loss_fn(model(x_test), y_test).item()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(40):
        model.train()
        for idx in torch.randperm(len(x), generator=g).split(32):
            optimizer.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        after = loss_fn(model(x_test), y_test).item()
    variance = y_test.var(0).mean().item()
    assert after < 0.1 * variance < before, (name, before, after, variance)


def test_fingerprint_mlp_learns_a_bit_count() -> None:
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(512, 64, 1, generator=g) < 0.2).float()
    y = x[:, :8, 0].sum(1, keepdim=True)
    io = ModelIO(64, 1, 1, alphabet="fingerprint")
    torch.manual_seed(0)
    model = create_model("fingerprint_mlp", {"hidden": 64, "dropout": 0.0}, io=io)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    with torch.no_grad():
        before = nn.functional.mse_loss(model(x[400:]), y[400:]).item()
    for _ in range(60):
        for idx in torch.arange(400).split(50):
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x[idx]), y[idx]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        after = nn.functional.mse_loss(model(x[400:]), y[400:]).item()
    assert after < 0.05 * y.var().item() < before


# ---------------------------------------------------------------------------------- the registry


def test_registered_with_alphabets_spaces_and_citations() -> None:
    for name, alphabet in (
        ("dmpnn", "molecule"),
        ("gin", "molecule"),
        ("fingerprint_mlp", "fingerprint"),
    ):
        spec = get_model_spec(name)
        assert spec.alphabets == (alphabet,)
        assert "doi:10." in spec.citation
        assert spec.space
        assert set(spec.space) <= set(spec.params.model_fields)


def test_layout_and_alphabet_errors() -> None:
    with pytest.raises(ConfigError, match="for molecule input"):
        create_model("dmpnn", {}, io=ModelIO(4, 100, 1))
    with pytest.raises(ConfigError, match="atom_features and bond_features"):
        create_model("gin", {}, io=ModelIO(40, 10, 1, alphabet="molecule"))
    io = graph_io(10)
    bad = ModelIO(io.n_channels + 1, 10, 1, alphabet="molecule", layout=io.layout)
    with pytest.raises(ConfigError, match="channels"):
        create_model("dmpnn", {}, io=bad)
    with pytest.raises(ConfigError, match="for fingerprint input"):
        create_model("fingerprint_mlp", {}, io=ModelIO(40, 1, 1, alphabet="matrix"))
    with pytest.raises(ConfigError, match=r"unknown key 'model\.depht'"):
        validate_params("dmpnn", {"depht": 3})


def test_the_default_layout_has_six_neighbours() -> None:
    io = ModelIO(
        graph_channels(A, 6, B),
        8,
        1,
        alphabet="molecule",
        layout=(("atom_features", A), ("bond_features", B)),
    )
    rng = np.random.default_rng(0)
    model = create_model("dmpnn", {"hidden": 8}, io=io).eval()
    assert model(pack([random_graph(rng, 6)], 8, k=6)).shape == (1, 1)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_every_option_takes_effect(name: str, molecules: list[Graph]) -> None:
    spec = get_model_spec(name)
    base = spec.params.model_validate(SMALL[name])
    x = pack(molecules, 12)
    reference = fingerprint(warm(build(name, 12), x), x)
    for key, info in spec.params.model_fields.items():
        value = alternative(info, getattr(base, key))
        needs: dict[str, dict[str, Any]] = {
            "aggregation_norm": {"aggregation": "norm"},
            "ffn_hidden": {"ffn_layers": 1},
        }
        if key in needs:  # acts only together with another option
            ref = fingerprint(warm(build(name, 12, **needs[key]), x), x)
            other = fingerprint(warm(build(name, 12, **needs[key], **{key: value}), x), x)
            assert other != ref, key
            continue
        if key == "bias" or key == "train_eps":  # more parameters, the same function at init
            assert fingerprint(build(name, 12, **{key: value}), x)[1] != reference[1]
            continue
        if key == "dropout" and name == "gin":
            value = 0.3
        assert fingerprint(warm(build(name, 12, **{key: value}), x), x) != reference, key


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_traced_model_runs_other_molecules(name: str, molecules: list[Graph]) -> None:
    """Tracing (TorchScript export) takes the dense path, so shapes are not baked in."""
    x = pack(molecules, 12)
    model = warm(build(name, 12), x)
    with torch.no_grad():
        traced = torch.jit.trace(model, x[:2], check_trace=False)
        torch.testing.assert_close(traced(x), model(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_deeplift_summation_with_structure_kept(name: str, molecules: list[Graph]) -> None:
    """References that keep the graph and zero the features: attributions sum to
    f(x) - f(r) (the dense path has the batch first for every non-linearity)."""
    from biodl.interpret import deeplift

    x = pack(molecules, 12)
    model = warm(build(name, 12), x)
    ref = x.clone()
    ref[:, 1 : 1 + A] = 0.0
    ref[:, 1 + A + 2 * K :] = 0.0
    a = deeplift(model, x.numpy(), references=ref.numpy(), target=1, device="cpu", dtype="float64")
    assert a.reference_outputs is not None
    total = a.values.astype(np.float64).sum(axis=(1, 2))
    np.testing.assert_allclose(total, a.outputs - a.reference_outputs, rtol=0, atol=1e-5)
    assert np.abs(a.values[:, [0, *range(1 + A, 1 + A + 2 * K)]]).max() == 0


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_integrated_gradients_complete_with_the_graph_kept(
    name: str, molecules: list[Graph]
) -> None:
    """A baseline with the same graph and zero atom/bond features: the path never changes
    the structure, so attributions sum to f(x) - f(baseline) (compact rows, autograd; many
    steps: the quadrature of a ReLU network is only piecewise exact)."""
    from biodl.interpret import integrated_gradients

    x = pack(molecules, 12)
    model = warm(build(name, 12), x)
    base = x.clone()
    base[:, 1 : 1 + A] = 0.0
    base[:, 1 + A + 2 * K :] = 0.0
    a = integrated_gradients(
        model,
        x.numpy(),
        baseline=base.numpy(),
        target=0,
        n_steps=400,
        device="cpu",
        dtype="float64",
    )
    with torch.no_grad():
        gap = (model(x) - model(base))[:, 0].double().numpy()
    np.testing.assert_allclose(a.values.astype(np.float64).sum(axis=(1, 2)), gap, atol=1e-4)
