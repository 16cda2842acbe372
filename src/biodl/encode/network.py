"""Network features for deepNF-style fusion: random walk with restart, then PPMI.

deepNF (Gligorijevic, Barot & Bonneau, *Bioinformatics* 34:3873, 2018) turns each
network into a dense gene x gene matrix that a denoising autoencoder can read:

1. :func:`random_walk_with_restart`: the co-occurrence of genes in short random walks
   with restart, ``M = sum_{t=1..K} P_t`` with ``P_0 = I`` and
   ``P_t = alpha P_{t-1} T + (1 - alpha) I`` on the row-normalised adjacency ``T``
   (deepNF: ``K = 3``, ``alpha = 0.98``).
2. :func:`ppmi`: positive pointwise mutual information of that co-occurrence matrix,
   the diagonal removed and rows normalised first (as deepNF's code does).
3. Scaling: each column divided by its maximum, so every entry lies in ``[0, 1]`` (the
   range of the autoencoder's sigmoid outputs). deepNF min-max scales each column
   (``sklearn.preprocessing.minmax_scale``); as PPMI is >= 0 with a minimum of 0 in
   every column holding a zero, the two agree on every network here, and dividing by
   the maximum keeps the rows of genes absent from a network at exactly zero.

One difference from deepNF's code: a gene with no edge (in particular a gene of the
union gene list absent from this network) gets a row and column of zeros everywhere,
not a self-loop. Its features then say "no information" rather than "a walk that
never leaves the gene", and the fused model treats it as missing.

Memory: the matrices are dense ``(G, G)`` float32 (a 6,000-gene network: 144 MB per
matrix); the adjacency and transition matrices stay sparse. :func:`network_features`
holds about three dense matrices at its peak.

Examples
--------
>>> import numpy as np
>>> path = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=np.float32)
>>> np.round(random_walk_with_restart(path, steps=1, alpha=0.5), 3)
array([[0.5 , 0.5 , 0.  ],
       [0.25, 0.5 , 0.25],
       [0.  , 0.5 , 0.5 ]], dtype=float32)
>>> (ppmi(random_walk_with_restart(path)) >= 0).all()
np.True_
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from biodl.errors import InputError
from biodl.io.network import EdgeList

__all__ = [
    "adjacency",
    "network_features",
    "ppmi",
    "random_walk_with_restart",
    "scale_columns",
    "sparse_adjacency",
]

_CHUNK = 1024  # rows per block in the element-wise passes (bounds the temporaries)


def _gene_index(edges: EdgeList, genes: Sequence[str]) -> np.ndarray:
    where = {g: i for i, g in enumerate(genes)}
    if len(where) != len(genes):
        seen: set[str] = set()
        dup = next(g for g in genes if g in seen or seen.add(g))  # type: ignore[func-returns-value]
        raise InputError(f"gene {dup!r} is twice in the gene list", path=edges.path)
    missing = [g for g in edges.genes if g not in where]
    if missing:
        raise InputError(
            f"{len(missing)} genes of the network are not in the gene list "
            f"(first: {', '.join(missing[:3])}); use the union of all networks' genes",
            path=edges.path,
        )
    return np.asarray([where[g] for g in edges.genes], dtype=np.int64)


def sparse_adjacency(edges: EdgeList, genes: Sequence[str]) -> Any:
    """The weighted adjacency of ``edges`` on the gene order ``genes``, as a SciPy CSR
    matrix ``(G, G)`` float32: symmetric for an undirected network, ``A[i, j]`` the
    weight of ``i -> j`` for a directed one.

    Raises
    ------
    InputError
        A gene of the network is not in ``genes``, or ``genes`` repeats a gene.
    """
    idx = _gene_index(edges, genes)
    i, j, w = idx[edges.source], idx[edges.target], edges.weight.astype(np.float32)
    if not edges.directed:
        i, j, w = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([w, w])
    n = len(genes)
    return sp.csr_matrix((w, (i, j)), shape=(n, n), dtype=np.float32)


def adjacency(edges: EdgeList, genes: Sequence[str]) -> np.ndarray:
    """The dense weighted adjacency ``(G, G)`` float32 of ``edges`` on ``genes``.

    Genes of ``genes`` that are not in the network get rows and columns of zeros.
    Symmetric for an undirected network.

    Parameters
    ----------
    edges
        A network (:func:`biodl.io.network.read_edge_list`).
    genes
        The gene order of the rows and columns, usually the union of all networks'
        genes; it must hold every gene of ``edges``.

    Raises
    ------
    InputError
        A gene of the network is not in ``genes``, or ``genes`` repeats a gene.

    Examples
    --------
    >>> import numpy as np
    >>> net = EdgeList("n.txt", ("a", "b"), np.array([0]), np.array([1]),
    ...                np.array([0.5]), True, 0, 0)
    >>> adjacency(net, ["b", "x", "a"])
    array([[0. , 0. , 0.5],
           [0. , 0. , 0. ],
           [0.5, 0. , 0. ]], dtype=float32)
    """
    return np.asarray(sparse_adjacency(edges, genes).toarray(), dtype=np.float32)


def _row_normalised(adj: Any) -> Any:
    """``adj`` as a CSR matrix with every non-zero row summing to 1 (zero rows kept),
    the diagonal removed."""
    a = sp.csr_matrix(adj, dtype=np.float32)
    a.setdiag(0)
    a.eliminate_zeros()
    if a.nnz and a.data.min() < 0:
        raise InputError("the adjacency matrix has negative weights")
    rows = np.asarray(a.sum(axis=1), dtype=np.float64).ravel()
    inv = np.divide(1.0, rows, out=np.zeros_like(rows), where=rows > 0)
    return sp.csr_matrix(sp.diags(inv.astype(np.float32)) @ a, dtype=np.float32)


def random_walk_with_restart(adj: Any, *, steps: int = 3, alpha: float = 0.98) -> np.ndarray:
    """deepNF's random walk with restart: ``M = sum_{t=1..steps} P_t``.

    ``T`` is ``adj`` with the diagonal removed and each row divided by its sum;
    ``P_0 = I`` and ``P_t = alpha P_{t-1} T + (1 - alpha) I``. Row ``i`` of ``M`` is the
    expected visits of a walker from gene ``i`` that restarts with probability
    ``1 - alpha`` at each step, summed over the first ``steps`` steps. ``P_t`` is a
    polynomial in ``T`` and commutes with it, so ``T P_{t-1}`` (sparse times dense) is
    computed instead of ``P_{t-1} T``.

    Parameters
    ----------
    adj
        ``(G, G)`` non-negative adjacency: a NumPy array or a SciPy sparse matrix.
    steps
        Number of walk steps ``K`` (deepNF: 3).
    alpha
        Probability of continuing the walk (deepNF: 0.98).

    Returns
    -------
    np.ndarray
        ``(G, G)`` float32. A gene with no edge has ``steps (1 - alpha)`` on the
        diagonal and zeros elsewhere in its row and column.

    Examples
    --------
    >>> import numpy as np
    >>> path = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    >>> random_walk_with_restart(path, steps=2, alpha=0.5)
    array([[1.125, 0.75 , 0.125],
           [0.375, 1.25 , 0.375],
           [0.125, 0.75 , 1.125]], dtype=float32)
    """
    if steps < 1:
        raise InputError(f"steps must be >= 1, got {steps}")
    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"alpha must be in [0, 1], got {alpha}")
    shape = adj.shape
    if len(shape) != 2 or shape[0] != shape[1]:
        raise InputError(f"the adjacency must be square, got shape {tuple(shape)}")
    T = _row_normalised(adj)
    n = shape[0]
    restart = np.float32(1.0 - alpha)
    P = np.eye(n, dtype=np.float32)
    M = np.zeros((n, n), dtype=np.float32)
    diag = np.arange(n)
    for _ in range(steps):
        P = np.asarray(T @ P, dtype=np.float32)
        P *= np.float32(alpha)
        P[diag, diag] += restart
        M += P
    return M


def ppmi(m: np.ndarray, *, keep_diagonal: bool = False) -> np.ndarray:
    """Positive pointwise mutual information of a co-occurrence matrix.

    As deepNF: the diagonal is removed (``keep_diagonal=False``) and each row divided
    by its sum, giving a joint distribution ``p(i, j) = M_ij / D`` over the ``D``
    non-zero rows; then ``PPMI_ij = max(0, log(D M_ij / (r_i c_j)))`` with row sums
    ``r`` and column sums ``c``. Entries with ``M_ij = 0`` and zero rows or columns
    are 0; the result has no NaN or infinity.

    Parameters
    ----------
    m
        ``(G, G)`` non-negative co-occurrence (:func:`random_walk_with_restart`).
    keep_diagonal
        Keep the diagonal (deepNF removes it).

    Returns
    -------
    np.ndarray
        ``(G, G)`` float32, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.array([[0, 3, 1], [1, 0, 1], [1, 3, 0]], dtype=np.float32)
    >>> np.round(ppmi(m), 4)
    array([[0.    , 0.4055, 0.    ],
           [0.6931, 0.    , 0.6931],
           [0.    , 0.4055, 0.    ]], dtype=float32)
    >>> bool(np.isclose(ppmi(m)[1, 0], np.log(3 * 0.5 / 0.75)))  # log(D p(0|1) / c_0)
    True
    """
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InputError(f"the co-occurrence matrix must be square, got shape {m.shape}")
    out = np.array(m, dtype=np.float32, copy=True)
    _ppmi_inplace(out, keep_diagonal=keep_diagonal)
    return out


def _ppmi_inplace(out: np.ndarray, *, keep_diagonal: bool) -> None:
    n = out.shape[0]
    if not np.isfinite(out).all() or (out < 0).any():
        raise InputError("the co-occurrence matrix must be finite and non-negative")
    if not keep_diagonal:
        out[np.arange(n), np.arange(n)] = 0.0
    rows = out.sum(axis=1, dtype=np.float64)
    inv_rows = np.divide(1.0, rows, out=np.zeros_like(rows), where=rows > 0)
    out *= inv_rows.astype(np.float32)[:, None]  # row-normalised: p(j | i)
    total = float((rows > 0).sum())  # D: each non-zero row now sums to 1
    cols = out.sum(axis=0, dtype=np.float64)
    factor = np.divide(total, cols, out=np.zeros_like(cols), where=cols > 0)
    factor32 = factor.astype(np.float32)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, n, _CHUNK):
            block = out[start : start + _CHUNK]  # a view: updated in place
            block *= factor32  # D p(j|i) / c_j  (r_i = 1 after normalising)
            positive = block > 1.0
            np.log(block, out=block, where=positive)
            block[~positive] = 0.0


def scale_columns(x: np.ndarray) -> np.ndarray:
    """Divide each column of a non-negative matrix by its maximum, in place (all-zero
    columns stay zero); returns ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> scale_columns(np.array([[1.0, 0.0], [4.0, 0.0]], dtype=np.float32))
    array([[0.25, 0.  ],
           [1.  , 0.  ]], dtype=float32)
    """
    top = x.max(axis=0)
    inv = np.divide(1.0, top, out=np.zeros_like(top), where=top > 0)
    for start in range(0, x.shape[0], _CHUNK):
        x[start : start + _CHUNK] *= inv[None, :]
    return x


def network_features(
    edges: EdgeList,
    genes: Sequence[str],
    *,
    steps: int = 3,
    alpha: float = 0.98,
) -> np.ndarray:
    """deepNF's input for one network: random walk with restart, PPMI, column scaling.

    Parameters
    ----------
    edges
        The network.
    genes
        Gene order of rows and columns (the union of all networks' genes); genes absent
        from the network get rows (and columns) of zeros.
    steps, alpha
        :func:`random_walk_with_restart`'s options (deepNF: 3 and 0.98).

    Returns
    -------
    np.ndarray
        ``(G, G)`` float32 in ``[0, 1]``; row ``i`` describes gene ``i``.

    Examples
    --------
    >>> import numpy as np
    >>> net = EdgeList("n.txt", ("a", "b", "c"), np.array([0, 1]), np.array([1, 2]),
    ...                np.ones(2), False, 0, 0)
    >>> x = network_features(net, ["a", "b", "c", "d"])
    >>> x.shape, float(x.min()), float(x.max()), x[3].tolist()
    ((4, 4), 0.0, 1.0, [0.0, 0.0, 0.0, 0.0])
    """
    M = random_walk_with_restart(sparse_adjacency(edges, genes), steps=steps, alpha=alpha)
    _ppmi_inplace(M, keep_diagonal=False)
    return scale_columns(M)
