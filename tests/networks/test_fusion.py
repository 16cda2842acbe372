"""deepNF-style multimodal autoencoder fusion (biodl.networks.fusion)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from biodl.encode.network import network_features
from biodl.errors import InputError
from biodl.io.network import EdgeList
from biodl.networks.function import gene_folds, predict_function
from biodl.networks.fusion import FusionOptions, MultimodalAutoencoder, fuse

N = 48
GENES = [f"g{i:02d}" for i in range(N)]
SMALL = FusionOptions(hidden=32, embedding=8, epochs=60, batch_size=16, learning_rate=3e-3)


def _network(group: np.ndarray, rng: np.random.Generator, absent: int = 0) -> EdgeList:
    """Dense edges within groups, few across; the last ``absent`` genes have no edge."""
    src, dst = [], []
    for i in range(N - absent):
        for j in range(i + 1, N - absent):
            p = 0.5 if group[i] == group[j] else 0.02
            if rng.random() < p:
                src.append(i)
                dst.append(j)
    return EdgeList("net", tuple(GENES), np.array(src), np.array(dst), np.ones(len(src)),
                    False, 0, 0)  # fmt: skip


@pytest.fixture(scope="module")
def data() -> tuple[list[np.ndarray], dict[str, list[str]]]:
    rng = np.random.default_rng(0)
    first = (np.arange(N) < N // 2).astype(int)  # split seen by network 1
    second = np.arange(N) % 2  # split seen by network 2
    xs = [
        network_features(_network(first, rng), GENES),
        network_features(_network(second, rng, absent=6), GENES),  # 6 genes absent
    ]
    labels = {g: [f"one{first[i]}", f"two{second[i]}"] for i, g in enumerate(GENES)}
    return xs, labels


@pytest.fixture(scope="module")
def fused(data: tuple[list[np.ndarray], dict[str, list[str]]]) -> np.ndarray:
    return fuse(data[0], options=SMALL, seed=0).embedding


def _macro(x: np.ndarray, labels: dict[str, list[str]]) -> float:
    folds = gene_folds(GENES, n_folds=4, seed=0)
    return predict_function(x, GENES, labels, folds=folds, c_grid=(1.0,)).macro_aupr


def test_fused_embedding_separates_both_splits(
    data: tuple[list[np.ndarray], dict[str, list[str]]], fused: np.ndarray
) -> None:
    xs, labels = data
    assert fused.shape == (N, SMALL.embedding)
    assert fused.dtype == np.float32
    assert np.isfinite(fused).all()
    random = np.random.default_rng(1).normal(size=fused.shape)
    with torch.random.fork_rng():
        untrained = MultimodalAutoencoder.from_options([N, N], SMALL)
    with torch.no_grad():
        untrained_x = untrained.encode([torch.from_numpy(x) for x in xs]).numpy()
    fused_score = _macro(fused, labels)
    assert fused_score > 0.9
    assert fused_score > _macro(random, labels) + 0.25
    # a random projection of the features keeps much of their structure: a smaller margin
    assert fused_score > _macro(untrained_x, labels) + 0.05
    # each network alone sees one split only
    assert fused_score > max(_macro(x, labels) for x in xs)


def test_same_seed_same_embedding_and_global_rng_untouched(
    data: tuple[list[np.ndarray], dict[str, list[str]]],
) -> None:
    xs = data[0]
    opts = FusionOptions(hidden=8, embedding=4, epochs=2, batch_size=16)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = fuse(xs, options=opts, seed=5)
    after = torch.rand(1)
    assert torch.equal(before, after)
    b = fuse(xs, options=opts, seed=5)
    c = fuse(xs, options=opts, seed=6)
    np.testing.assert_array_equal(a.embedding, b.embedding)
    assert not np.array_equal(a.embedding, c.embedding)
    assert [h["epoch"] for h in a.history] == [1.0, 2.0]
    assert all(np.isfinite(h["loss"]) and h["loss"] > 0 for h in a.history)


def test_loss_goes_down(data: tuple[list[np.ndarray], dict[str, list[str]]]) -> None:
    opts = FusionOptions(hidden=16, embedding=4, epochs=15, batch_size=8, learning_rate=3e-3)
    history = fuse(data[0], options=opts).history
    assert history[-1]["loss"] < 0.8 * history[0]["loss"]


def test_safetensors_round_trip(
    data: tuple[list[np.ndarray], dict[str, list[str]]], tmp_path: Path
) -> None:
    xs = data[0]
    opts = FusionOptions(hidden=8, embedding=4, epochs=1, batch_size=16)
    result = fuse(xs, options=opts, seed=0)
    path = tmp_path / "fusion.safetensors"
    save_file(result.model.state_dict(), str(path))
    fresh = MultimodalAutoencoder.from_options([x.shape[1] for x in xs], opts)
    fresh.load_state_dict(load_file(str(path)))
    fresh.eval()
    with torch.no_grad():
        again = fresh.encode([torch.from_numpy(x) for x in xs]).numpy()
    np.testing.assert_allclose(again, result.embedding, rtol=1e-6, atol=1e-7)


def test_reconstructions_and_skip_absent_option(
    data: tuple[list[np.ndarray], dict[str, list[str]]],
) -> None:
    xs = data[0]
    model = MultimodalAutoencoder([N, N], hidden=4, embedding=2, activation="relu")
    outs = model([torch.from_numpy(x[:5]) for x in xs])
    assert [tuple(o.shape) for o in outs] == [(5, N), (5, N)]
    assert all(((o >= 0) & (o <= 1)).all() for o in outs)
    opts = FusionOptions(hidden=8, embedding=4, epochs=1, skip_absent=False)
    assert fuse(xs, options=opts).embedding.shape == (N, 4)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="rows"):
        fuse([np.zeros((4, 4), np.float32), np.zeros((5, 5), np.float32)])
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        fuse([np.full((4, 4), 2.0, np.float32)])
    with pytest.raises(InputError, match="noise"):
        FusionOptions(noise=1.0)
    with pytest.raises(InputError, match="hidden"):
        FusionOptions(hidden=0)
    with pytest.raises(InputError, match="expected"):
        MultimodalAutoencoder([3], hidden=2, embedding=2).encode([torch.zeros(2, 4)])
