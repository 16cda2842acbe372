"""Homology clustering of proteins, homology-aware splits and folds, and the largest
train-test identity.

Clustering
----------
The default ``linkage="single"`` takes the connected components of the graph of linked
pairs (union-find): every linked pair that was examined lies inside one cluster, so no
such pair can straddle a split. Chaining can make large clusters; the splitters below
cope with that. ``linkage="greedy"`` is CD-HIT's greedy incremental clustering
(longest first, each sequence joins the first representative it is linked to, else
becomes one): smaller clusters, but two members of different clusters can still be
linked, i.e. leak.

Two engines compute the links: ``"mmseqs"``
(:mod:`biodl.data.homology.mmseqs`) and ``"python"``, Biopython's aligner
(:mod:`biodl.data.homology.align`) on candidate pairs chosen by a k-mer prefilter
(:mod:`biodl.data.homology.prefilter`); for small sets (:data:`PYTHON_MAX_SEQUENCES`).
``exhaustive=True`` aligns every pair that the length ratio allows instead, which is
exact but quadratic: about 2.5 ms per pair of 300-residue proteins, 10 ms per pair of
500-residue ones. Identical sequences are merged before any alignment; in single
linkage a candidate pair whose sequences are already in one cluster is not aligned
(strongest candidates first), which does not change the result.

Splits and the reported identity
--------------------------------
:func:`homology_split` and :func:`homology_folds` place whole clusters;
:func:`max_cross_identity` (and :func:`nearest_identities`) measure the largest
identity between any test and any training protein, under the same coverage rule.

Examples
--------
>>> base = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
>>> homologue = base[:20] + "W" + base[21:40] + "C" + base[41:]
>>> other = "GSHMLEDPVDAFQLGPPLRSGTVAVCEMGNNIWDNCGPQYHRSLRLRDTVLEGAPLSVQWVR"
>>> cluster_sequences([base, other, homologue], method="python").tolist()
[0, 1, 0]
>>> from biodl.data.homology import pairwise_identity
>>> pairwise_identity(base, homologue) == 64 / 66  # two substitutions in 66
True
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from biodl.data.homology._common import (
    _check_fraction,
    _clean,
    _first_appearance,
    _FloatArray,
    _IntArray,
    _UnionFind,
    _unique,
)
from biodl.data.homology.align import _align_clean, _aligner
from biodl.data.homology.mmseqs import (
    _mmseqs_exe,
    _mmseqs_greedy,
    _mmseqs_search,
    _mmseqs_single,
    mmseqs_available,
)
from biodl.data.homology.prefilter import _candidate_pairs
from biodl.errors import InputError
from biodl.progress import progress

__all__ = [
    "PYTHON_MAX_SEQUENCES",
    "Linkage",
    "Method",
    "cluster_sequences",
    "homology_folds",
    "homology_split",
    "max_cross_identity",
    "nearest_identities",
]

Method = Literal["auto", "mmseqs", "python"]
"""Which engine finds the linked pairs: MMseqs2 if on ``PATH`` (``"auto"``), MMseqs2,
or the Biopython fallback."""

Linkage = Literal["single", "greedy"]
"""Connected components of linked pairs, or CD-HIT-like greedy representatives."""

PYTHON_MAX_SEQUENCES = 3000
"""Largest set (distinct sequences; both sets together for cross comparisons) that
``method="auto"`` hands to the Python path: above it, ``"auto"`` without MMseqs2 raises
:class:`~biodl.errors.InputError`, and an explicit ``method="python"`` warns and runs.
Single-core times of the Python path (``bench/homology.py``): 500 proteins of about 300
residues 13 s, 2,000 of them 3.5 min (random sequences; 2,000 DeepLoc proteins 2.6 min);
MMseqs2 ``-s 7.5`` on one thread 12 s and 45-60 s. The time grows with the square of
the set size."""

# ---------------------------------------------------------------------------------------
# Python engine


def _python_links_single(
    seqs: list[str], identity: float, coverage: float, exhaustive: bool
) -> _IntArray:
    uf = _UnionFind(len(seqs))
    qi, ti, score = _candidate_pairs(
        seqs, None, identity=identity, coverage=coverage, exhaustive=exhaustive
    )
    # strongest candidates first, so that weaker pairs inside a component are skipped
    order = np.lexsort((ti, qi, -score)).tolist()
    for k in progress(order, desc="homology clustering: candidate pairs", unit="pair"):
        a, b = int(qi[k]), int(ti[k])
        if uf.find(a) == uf.find(b):
            continue
        r = _align_clean(seqs[a], seqs[b])
        if r.identity >= identity and r.coverage >= coverage:
            uf.union(a, b)
    return uf.labels()


def _greedy_order(seqs: Sequence[str]) -> list[int]:
    """Longest first, then input order."""
    return sorted(range(len(seqs)), key=lambda i: (-len(seqs[i]), i))


def _python_links_greedy(
    seqs: list[str], identity: float, coverage: float, exhaustive: bool
) -> _IntArray:
    qi, ti, _ = _candidate_pairs(
        seqs, None, identity=identity, coverage=coverage, exhaustive=exhaustive
    )
    partners: dict[int, set[int]] = {}
    for a, b in zip(qi.tolist(), ti.tolist(), strict=True):
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    rep_of = np.full(len(seqs), -1, dtype=np.int64)
    rep_rank: dict[int, int] = {}
    for i in progress(_greedy_order(seqs), desc="homology clustering (greedy)", unit="seq"):
        options = sorted((rep_rank[p], p) for p in partners.get(i, ()) if p in rep_rank)
        for _, rep in options:
            r = _align_clean(seqs[rep], seqs[i])
            if r.identity >= identity and r.coverage >= coverage:
                rep_of[i] = rep
                break
        else:
            rep_rank[i] = len(rep_rank)
            rep_of[i] = i
    return _first_appearance(rep_of)


def _python_nearest(
    queries: list[str],
    targets: list[str],
    identity: float,
    coverage: float,
    exhaustive: bool,
) -> tuple[_FloatArray, _IntArray]:
    best = np.zeros(len(queries), dtype=np.float64)
    which = np.full(len(queries), -1, dtype=np.int64)
    qi, ti, _ = _candidate_pairs(
        queries, targets, identity=identity, coverage=coverage, exhaustive=exhaustive
    )
    order = np.lexsort((ti, qi)).tolist()
    for k in progress(order, desc="homology search: candidate pairs", unit="pair"):
        q, t = int(qi[k]), int(ti[k])
        r = _align_clean(queries[q], targets[t])
        if r.coverage >= coverage and r.identity > best[q]:
            best[q], which[q] = r.identity, t
    return best, which


# ---------------------------------------------------------------------------------------
# Engine choice


def _choose(method: str, exhaustive: bool, n: int) -> Literal["mmseqs", "python"]:
    if method not in ("auto", "mmseqs", "python"):
        msg = f"method must be 'auto', 'mmseqs' or 'python', not {method!r}"
        raise InputError(msg)
    if method == "mmseqs":
        if exhaustive:
            msg = "exhaustive=True applies to method 'python' only"
            raise InputError(msg)
        _mmseqs_exe()
        return "mmseqs"
    if method == "auto" and not exhaustive and mmseqs_available():
        return "mmseqs"
    if n > PYTHON_MAX_SEQUENCES:
        text = (
            f"{n} sequences are more than the Python homology path is meant for "
            f"({PYTHON_MAX_SEQUENCES}); install MMseqs2 (apt-get install mmseqs2 or "
            "conda install -c bioconda mmseqs2)"
        )
        if method == "auto":
            msg = text + ", or pass method='python' to run it anyway"
            raise InputError(msg)
        warnings.warn(text + "; this may take hours", UserWarning, stacklevel=3)
    _aligner()  # fail early if Biopython is missing
    return "python"


def cluster_sequences(
    sequences: Sequence[str],
    *,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    linkage: Linkage = "single",
    exhaustive: bool = False,
    threads: int | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> _IntArray:
    """Cluster proteins so that linked pairs (``identity``, ``coverage``) share a cluster.

    Parameters
    ----------
    sequences
        ``N`` protein sequences (protein alphabet, any case; none empty).
    identity
        Identity threshold in ``[0, 1]``: identical aligned columns over the shorter
        length (:mod:`biodl.data.homology.align`).
    coverage
        Coverage threshold in ``[0, 1]`` (span of the alignment on each sequence and
        length ratio; MMseqs2's ``-c`` with ``--cov-mode 0``). ``0`` links any pair whose
        local alignment reaches ``identity`` of the shorter sequence, fragments included.
    method
        ``"mmseqs"``, ``"python"`` (Biopython; up to :data:`PYTHON_MAX_SEQUENCES`), or
        ``"auto"``: MMseqs2 if ``mmseqs`` is on ``PATH``, else Python.
    linkage
        ``"single"`` (connected components: no examined linked pair crosses clusters;
        the default, for leak-free splits) or ``"greedy"`` (CD-HIT-like).
    exhaustive
        Python path only: align every pair the length ratio allows instead of
        prefiltering (exact, quadratic).
    threads
        MMseqs2 threads (default: MMseqs2's, all cores). Ignored by the Python path.
    tmp_dir
        Where MMseqs2's temporary folder goes (default: the system's); it is removed.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int64 cluster id ``0..K-1`` of each sequence, numbered in order of
        first appearance. Identical sequences always share a cluster.

    Raises
    ------
    InputError
        Bad thresholds, method or sequence; ``method="mmseqs"`` without ``mmseqs`` on
        ``PATH``; more than :data:`PYTHON_MAX_SEQUENCES` distinct sequences with
        ``method="auto"`` and no MMseqs2.
    RuntimeError
        MMseqs2 failed (its last output lines are in the message).
    ModuleNotFoundError
        The Python path is needed and Biopython is not installed.

    Examples
    --------
    >>> a = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
    >>> b = "GSHMLEDPVDAFQLGPPLRSGTVAVCEMGNNIWDNCGPQYHRSLRLRDTVLEGAPLSVQWVR"
    >>> cluster_sequences([b, a, a[:30] + "WW" + a[32:], b.lower()], method="python")
    array([0, 1, 1, 0])
    """
    identity = _check_fraction("identity", identity)
    coverage = _check_fraction("coverage", coverage)
    if linkage not in ("single", "greedy"):
        msg = f"linkage must be 'single' or 'greedy', not {linkage!r}"
        raise InputError(msg)
    seqs = _clean(sequences)
    if not seqs:
        return np.zeros(0, dtype=np.int64)
    distinct, inverse = _unique(seqs)
    engine = _choose(method, exhaustive, len(distinct))
    if len(distinct) == 1:
        labels = np.zeros(1, dtype=np.int64)
    elif engine == "mmseqs":
        run = _mmseqs_single if linkage == "single" else _mmseqs_greedy
        labels = run(distinct, identity, coverage, threads, tmp_dir)
    else:
        run_py = _python_links_single if linkage == "single" else _python_links_greedy
        labels = run_py(distinct, identity, coverage, exhaustive)
    return _first_appearance(labels[inverse])


def nearest_identities(
    queries: Sequence[str],
    targets: Sequence[str],
    *,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    exhaustive: bool = False,
    threads: int | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> tuple[_FloatArray, _IntArray]:
    """Highest identity of each query to any target, among alignments with ``coverage``.

    Parameters
    ----------
    queries, targets
        Protein sequences, e.g. test and training proteins.
    identity
        Identity level the search is tuned for: the Python prefilter (and the MMseqs2
        prefilter's sensitivity) finds pairs at or above it as reliably as clustering
        does; a value reported below it is a lower bound of the true best identity.
        ``exhaustive=True`` makes the Python path exact at every level.
    coverage, method, exhaustive, threads, tmp_dir
        As in :func:`cluster_sequences`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(Q,)`` float64 best identity (``0.0`` where no alignment with the coverage was
        found) and ``(Q,)`` int64 index of the target reaching it (``-1`` where none;
        the lowest index on ties).

    Examples
    --------
    >>> a = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
    >>> b = "GSHMLEDPVDAFQLGPPLRSGTVAVCEMGNNIWDNCGPQYHRSLRLRDTVLEGAPLSVQWVR"
    >>> best, which = nearest_identities([a[:40] + "W" + a[41:], b], [b[:30], a],
    ...                                 method="python")
    >>> best.round(3).tolist(), which.tolist()
    ([0.985, 0.0], [1, -1])
    """
    identity = _check_fraction("identity", identity)
    coverage = _check_fraction("coverage", coverage)
    qs = _clean(queries, "query")
    ts = _clean(targets, "target")
    best = np.zeros(len(qs), dtype=np.float64)
    which = np.full(len(qs), -1, dtype=np.int64)
    if not qs or not ts:
        return best, which
    q_distinct, q_inv = _unique(qs)
    t_distinct, t_inv = _unique(ts)
    first_target = np.full(len(t_distinct), len(ts), dtype=np.int64)
    np.minimum.at(first_target, t_inv, np.arange(len(ts)))
    engine = _choose(method, exhaustive, len(q_distinct) + len(t_distinct))
    if engine == "python":
        d_best, d_which = _python_nearest(q_distinct, t_distinct, identity, coverage, exhaustive)
    else:
        qi, ti, ident, cov = _mmseqs_search(
            q_distinct,
            t_distinct,
            identity=None,
            coverage=coverage,
            threads=threads,
            tmp_dir=tmp_dir,
        )
        d_best = np.zeros(len(q_distinct), dtype=np.float64)
        d_which = np.full(len(q_distinct), -1, dtype=np.int64)
        for k in np.lexsort((ti, qi)).tolist():
            q = int(qi[k])
            if cov[k] >= coverage and ident[k] > d_best[q]:
                d_best[q], d_which[q] = ident[k], ti[k]
    best = d_best[q_inv]
    found = d_which[q_inv]
    which = np.where(found >= 0, first_target[np.maximum(found, 0)], -1).astype(np.int64)
    return best, which


def max_cross_identity(
    train_sequences: Sequence[str],
    test_sequences: Sequence[str],
    *,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    exhaustive: bool = False,
    threads: int | None = None,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> float:
    """Largest identity between any test protein and any training protein.

    The number to report next to the results of a homology-aware split: below the
    clustering threshold, no test protein has a training relative at that identity (with
    the coverage; among the pairs the search examines). Use :func:`nearest_identities`
    for the per-protein values and the pair that reaches the maximum.

    Parameters
    ----------
    train_sequences, test_sequences
        Protein sequences.
    identity, coverage, method, exhaustive, threads, tmp_dir
        As in :func:`nearest_identities`; a result below ``identity`` is a lower bound
        (exact with ``exhaustive=True``).

    Returns
    -------
    float
        In ``[0, 1]``; ``0.0`` for an empty set or when no pair is aligned.

    Examples
    --------
    >>> a = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
    >>> b = "GSHMLEDPVDAFQLGPPLRSGTVAVCEMGNNIWDNCGPQYHRSLRLRDTVLEGAPLSVQWVR"
    >>> max_cross_identity([a], [b], method="python")
    0.0
    >>> max_cross_identity([a, b], [b], method="python")
    1.0
    """
    best, _ = nearest_identities(
        test_sequences,
        train_sequences,
        identity=identity,
        coverage=coverage,
        method=method,
        exhaustive=exhaustive,
        threads=threads,
        tmp_dir=tmp_dir,
    )
    return float(best.max()) if len(best) else 0.0


# ---------------------------------------------------------------------------------------
# Splits


def _cluster_table(
    sequences: Sequence[str],
    labels: Sequence[str] | None,
    clusters: npt.ArrayLike | None,
    cluster_kwargs: dict[str, Any],
) -> tuple[_IntArray, npt.NDArray[np.float64], _FloatArray]:
    """Cluster ids, ``(K, C)`` members of each class per cluster, ``(C,)`` class sizes."""
    n = len(sequences)
    if clusters is None:
        ids = cluster_sequences(sequences, **cluster_kwargs)
    else:
        raw = np.asarray(clusters)
        if raw.shape != (n,) or (n and not np.issubdtype(raw.dtype, np.integer)):
            msg = f"clusters must be {n} integer cluster ids, one per sequence"
            raise InputError(msg)
        ids = _first_appearance(raw)
    if labels is None:
        classes = np.zeros(n, dtype=np.int64)
    else:
        if len(labels) != n:
            msg = f"{len(labels)} labels for {n} sequences"
            raise InputError(msg)
        _, classes = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
        classes = classes.reshape(-1).astype(np.int64)
    n_clusters = int(ids.max()) + 1 if n else 0
    n_classes = int(classes.max()) + 1 if n else 0
    table = np.zeros((n_clusters, n_classes), dtype=np.float64)
    np.add.at(table, (ids, classes), 1.0)
    return ids, table, table.sum(axis=0)


def homology_split(
    sequences: Sequence[str],
    labels: Sequence[str] | None,
    *,
    fraction: float,
    seed: int,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    linkage: Linkage = "single",
    clusters: npt.ArrayLike | None = None,
    threads: int | None = None,
) -> tuple[_IntArray, _IntArray]:
    """Hold out about ``fraction`` of the proteins, whole homology clusters at a time.

    Clusters are visited in a seeded random order; each goes to the held-out part if
    that brings the held-out class counts closer to ``fraction`` of each class (sum
    over classes of the squared miss, each divided by the class size), else it stays.
    The random order keeps the held-out part representative (large and small families
    alike), and a cluster larger than about twice what is still missing is never taken,
    so a giant single-linkage cluster stays on the kept side.

    Parameters
    ----------
    sequences
        ``N`` protein sequences.
    labels
        ``N`` class labels to stratify by, or ``None``.
    fraction
        Target held-out fraction, in ``(0, 1)``.
    seed
        Seed of the visiting order; the split is a function of the inputs and the seed.
    identity, coverage, method, linkage, threads
        Passed to :func:`cluster_sequences`.
    clusters
        ``(N,)`` precomputed cluster ids (skips the clustering).

    Returns
    -------
    tuple of numpy.ndarray
        Sorted int64 indices of the kept and of the held-out proteins.

    Raises
    ------
    InputError
        ``fraction`` outside ``(0, 1)``, mismatched lengths, or nothing could be held
        out (one cluster holds nearly everything).

    Examples
    --------
    >>> seqs = ["M" + "ACDEFGHIKLNPQRSTVWY"[i % 19] * 20 for i in range(10)]
    >>> kept, held = homology_split(seqs, None, fraction=0.3, seed=0,
    ...                             clusters=[0, 0, 1, 1, 2, 3, 4, 5, 6, 7])
    >>> len(held), sorted(set(kept) | set(held)) == list(range(10))
    (3, True)
    """
    if not 0.0 < fraction < 1.0:
        msg = f"fraction must lie in (0, 1), not {fraction}"
        raise InputError(msg)
    ids, table, class_sizes = _cluster_table(
        sequences,
        labels,
        clusters,
        {
            "identity": identity,
            "coverage": coverage,
            "method": method,
            "linkage": linkage,
            "threads": threads,
        },
    )
    if len(ids) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    target = fraction * class_sizes
    weight = 1.0 / np.maximum(class_sizes, 1.0)
    held_counts = np.zeros_like(target)
    held_cluster = np.zeros(len(table), dtype=bool)
    rng = np.random.default_rng(seed)
    for k in rng.permutation(len(table)).tolist():
        m = table[k]
        change = float(np.sum(weight * m * (2.0 * (held_counts - target) + m)))
        if change < 0.0:
            held_cluster[k] = True
            held_counts += m
    held_mask = held_cluster[ids]
    if not held_mask.any() or held_mask.all():
        msg = (
            f"cannot hold out {fraction:g} of {len(ids)} sequences in whole clusters: "
            f"the largest of the {len(table)} clusters has {int(table.sum(axis=1).max())} "
            "members"
        )
        raise InputError(msg)
    return np.flatnonzero(~held_mask), np.flatnonzero(held_mask)


def homology_folds(
    sequences: Sequence[str],
    labels: Sequence[str] | None,
    k: int,
    *,
    seed: int,
    identity: float = 0.3,
    coverage: float = 0.8,
    method: Method = "auto",
    linkage: Linkage = "single",
    clusters: npt.ArrayLike | None = None,
    threads: int | None = None,
) -> _IntArray:
    """Fold index of each protein for ``k``-fold cross-validation, whole clusters per fold.

    Clusters are placed largest first (ties in a seeded random order), each into the fold
    whose counts of the cluster's classes are furthest below their share (``1/k`` of each
    class; classes weighted by ``1 / class size``); ties go to the smallest fold, then
    to a seeded random one. This balances fold sizes and roughly stratifies labels.

    Parameters
    ----------
    sequences
        ``N`` protein sequences.
    labels
        ``N`` class labels to stratify by, or ``None``.
    k
        Number of folds, at least 2 and at most the number of clusters.
    seed
        Seed of the tie-breaking.
    identity, coverage, method, linkage, threads
        Passed to :func:`cluster_sequences`.
    clusters
        ``(N,)`` precomputed cluster ids (skips the clustering).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int64 fold ``0..k-1`` of each protein.

    Examples
    --------
    >>> seqs = ["MKV"] * 8
    >>> folds = homology_folds(seqs, None, 2, seed=0, clusters=[0, 0, 1, 2, 3, 4, 5, 5])
    >>> folds[0] == folds[1], folds[6] == folds[7], sorted(np.bincount(folds).tolist())
    (np.True_, np.True_, [4, 4])
    """
    if k < 2:
        msg = f"cross-validation needs at least 2 folds, not {k}"
        raise InputError(msg)
    ids, table, class_sizes = _cluster_table(
        sequences,
        labels,
        clusters,
        {
            "identity": identity,
            "coverage": coverage,
            "method": method,
            "linkage": linkage,
            "threads": threads,
        },
    )
    if len(table) < k:
        msg = f"only {len(table)} homology clusters, too few for {k} folds"
        raise InputError(msg)
    rng = np.random.default_rng(seed)
    sizes = table.sum(axis=1)
    order = np.lexsort((rng.random(len(table)), -sizes))
    fold_rank = rng.permutation(k)  # random tie-break between folds
    share = class_sizes / k
    weight = 1.0 / np.maximum(class_sizes, 1.0)
    counts = np.zeros((k, table.shape[1]), dtype=np.float64)
    totals = np.zeros(k, dtype=np.float64)
    fold_of = np.empty(len(table), dtype=np.int64)
    for c in order.tolist():
        m = table[c]
        need = (counts - share) @ (weight * m)  # lower: further below the share
        f = int(np.lexsort((fold_rank, totals, np.round(need, 12)))[0])
        fold_of[c] = f
        counts[f] += m
        totals[f] += sizes[c]
    return fold_of[ids]
