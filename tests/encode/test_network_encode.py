"""deepNF's network features: adjacency, random walk with restart, PPMI, scaling."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from biodl.encode.network import (
    adjacency,
    network_features,
    ppmi,
    random_walk_with_restart,
    sparse_adjacency,
)
from biodl.errors import InputError
from biodl.io.network import EdgeList

PATH3 = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=np.float32)


def _net(pairs: list[tuple[str, str, float]], *, directed: bool = False) -> EdgeList:
    genes = tuple(dict.fromkeys(g for a, b, _ in pairs for g in (a, b)))
    idx = {g: i for i, g in enumerate(genes)}
    return EdgeList(
        path="net.txt",
        genes=genes,
        source=np.array([idx[a] for a, _, _ in pairs]),
        target=np.array([idx[b] for _, b, _ in pairs]),
        weight=np.array([w for _, _, w in pairs]),
        weighted=True,
        n_self_loops=0,
        n_duplicates=0,
        directed=directed,
    )


def test_adjacency_union_order_symmetric_zero_rows() -> None:
    net = _net([("a", "b", 0.5), ("b", "c", 2.0)])
    A = adjacency(net, ["c", "x", "b", "a"])
    assert A.dtype == np.float32
    assert A.shape == (4, 4)
    np.testing.assert_array_equal(A, A.T)
    assert A[2, 3] == 0.5
    assert A[0, 2] == 2.0
    assert not A[1].any()
    assert not A[:, 1].any()
    np.testing.assert_array_equal(sparse_adjacency(net, ["c", "x", "b", "a"]).toarray(), A)


def test_adjacency_directed_is_not_symmetrised() -> None:
    A = adjacency(_net([("a", "b", 1.0)], directed=True), ["a", "b"])
    assert A.tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_adjacency_errors() -> None:
    net = _net([("a", "b", 1.0)])
    with pytest.raises(InputError, match="not in the gene list") as err:
        adjacency(net, ["a"])
    assert err.value.path == "net.txt"
    with pytest.raises(InputError, match="twice"):
        adjacency(net, ["a", "b", "a"])


def test_rwr_path_graph_by_hand() -> None:
    # T = [[0,1,0],[.5,0,.5],[0,1,0]]; alpha .5: P1 = .5 T + .5 I, P2 = .5 P1 T + .5 I
    P1 = np.array([[0.5, 0.5, 0], [0.25, 0.5, 0.25], [0, 0.5, 0.5]])
    P2 = np.array([[0.625, 0.25, 0.125], [0.125, 0.75, 0.125], [0.125, 0.25, 0.625]])
    M = random_walk_with_restart(PATH3, steps=2, alpha=0.5)
    assert M.dtype == np.float32
    np.testing.assert_allclose(M, P1 + P2, rtol=1e-6)
    # sparse input, a diagonal (ignored, as deepNF) and weights scaled give the same
    scaled = sp.csr_matrix(3 * PATH3 + np.eye(3, dtype=np.float32))
    np.testing.assert_allclose(random_walk_with_restart(scaled, steps=2, alpha=0.5), M, rtol=1e-6)


def test_rwr_default_matches_dense_recursion() -> None:
    rng = np.random.default_rng(1)
    A = rng.random((6, 6)) * (rng.random((6, 6)) < 0.5)
    A = np.triu(A, 1) + np.triu(A, 1).T
    T = A / np.maximum(A.sum(axis=1, keepdims=True), 1e-300)
    P, M = np.eye(6), np.zeros((6, 6))
    for _ in range(3):
        P = 0.98 * P @ T + 0.02 * np.eye(6)
        M += P
    np.testing.assert_allclose(random_walk_with_restart(A), M, rtol=1e-5, atol=1e-7)


def test_ppmi_path_graph_by_hand() -> None:
    M = np.array([[1.125, 0.75, 0.125], [0.375, 1.25, 0.375], [0.125, 0.75, 1.125]])
    # diagonal removed, rows normalised: [0,6/7,1/7], [1/2,0,1/2], [1/7,6/7,0];
    # column sums 9/14, 12/7, 9/14; D = 3 rows
    expected = np.array(
        [
            [0, np.log(1.5), 0],  # log(3 (1/7) / (9/14)) < 0 -> 0
            [np.log(7 / 3), 0, np.log(7 / 3)],
            [0, np.log(1.5), 0],
        ]
    )
    out = ppmi(M.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-7)


def test_ppmi_invariants_and_isolated_genes() -> None:
    rng = np.random.default_rng(0)
    A = (rng.random((30, 30)) < 0.15).astype(np.float32)
    A = np.triu(A, 1) + np.triu(A, 1).T
    A[[3, 17]] = 0
    A[:, [3, 17]] = 0
    out = ppmi(random_walk_with_restart(A))
    assert np.isfinite(out).all()
    assert (out >= 0).all()
    assert not out[[3, 17]].any()
    assert not out[:, [3, 17]].any()
    assert ppmi(np.zeros((4, 4), dtype=np.float32)).tolist() == np.zeros((4, 4)).tolist()
    with pytest.raises(InputError, match="non-negative"):
        ppmi(-np.ones((2, 2), dtype=np.float32))


def test_network_features_range_and_absent_genes() -> None:
    net = _net([("a", "b", 1.0), ("b", "c", 0.5), ("c", "d", 0.2), ("a", "c", 1.0)])
    x = network_features(net, ["a", "b", "z", "c", "d"])
    assert x.shape == (5, 5)
    assert x.dtype == np.float32
    assert float(x.min()) == 0.0
    assert float(x.max()) == 1.0
    assert np.isclose(x.max(axis=0)[x.max(axis=0) > 0], 1.0).all()
    assert not x[2].any()
    assert not x[:, 2].any()


def test_rwr_rejects_bad_options() -> None:
    with pytest.raises(InputError, match="steps"):
        random_walk_with_restart(PATH3, steps=0)
    with pytest.raises(InputError, match="alpha"):
        random_walk_with_restart(PATH3, alpha=1.5)
    with pytest.raises(InputError, match="square"):
        random_walk_with_restart(np.ones((2, 3)))
