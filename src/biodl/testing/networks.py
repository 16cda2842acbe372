"""Small network data with a known answer, for tests and examples.

- :func:`grn_dataset` / :func:`write_grn_example`: expression of a random sparse
  regulatory network simulated to steady state (each target a saturating function of
  its regulators plus noise), written as a DREAM-style table with its gold standard.
- :func:`grn_pairs`: independent regulator -> target pairs, every gene a regulator or
  the target of exactly one strong regulator, for tests that need every true edge to
  outscore every unrelated one by a wide margin.
- :func:`network_dataset` / :func:`write_network_example`: two interaction networks
  over the same genes, each showing part of a community structure, and the
  communities as gene labels.

Examples
--------
>>> data = grn_dataset(n_genes=10, n_samples=30, seed=0)
>>> data.values.shape, len(data.edges) > 0
((30, 10), True)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "GrnData",
    "grn_dataset",
    "grn_pairs",
    "network_dataset",
    "write_grn_example",
    "write_network_example",
]


@dataclass(frozen=True)
class GrnData:
    """Simulated expression and the network behind it.

    Attributes
    ----------
    genes
        Gene names (``G1`` ... ``Gn`` from :func:`grn_dataset`).
    values
        ``(n_samples, n_genes)`` expression (in [0, 1] from :func:`grn_dataset`).
    edges
        True ``(regulator, target)`` pairs.
    """

    genes: tuple[str, ...]
    values: np.ndarray
    edges: tuple[tuple[str, str], ...]


def grn_dataset(
    *, n_genes: int = 12, n_samples: int = 60, n_regulators: int = 3, seed: int = 0
) -> GrnData:
    """Expression of a random network: the first ``n_regulators`` genes regulate the rest.

    Regulators vary at random (multifactorial perturbations); every other gene is a
    Hill-type function of one or two regulators (activation or repression) plus 5 %
    noise, so each target's parents explain most of its variance.
    """
    rng = np.random.default_rng(seed)
    genes = tuple(f"G{i + 1}" for i in range(n_genes))
    X = np.zeros((n_samples, n_genes))
    X[:, :n_regulators] = rng.uniform(0.05, 1.0, size=(n_samples, n_regulators))
    edges: list[tuple[str, str]] = []
    for t in range(n_regulators, n_genes):
        k = 1 + int(rng.integers(0, 2))
        parents = rng.choice(n_regulators, size=k, replace=False)
        level = np.ones(n_samples)
        for p in parents:
            hill = X[:, p] ** 2 / (0.25 + X[:, p] ** 2)
            level *= hill if rng.random() < 0.6 else 1.0 - hill
            edges.append((genes[p], genes[t]))
        X[:, t] = level
    X += rng.normal(0.0, 0.05, size=X.shape)
    X = np.clip(X, 0.0, None)
    X /= X.max()
    return GrnData(genes=genes, values=X, edges=tuple(edges))


PAIR_LINKS: tuple[str, ...] = ("linear", "saturating", "repression")
"""How :func:`grn_pairs` makes target ``T<i>`` from its regulator ``R<i>``, in turn."""


def grn_pairs(
    *, n_pairs: int = 6, n_samples: int = 150, noise: float = 0.1, seed: int = 0
) -> GrnData:
    """Expression of ``n_pairs`` independent regulator -> target pairs ``R<i> -> T<i>``.

    Each regulator is an independent standard normal; its target is, in turn
    (:data:`PAIR_LINKS`), ``1.5 R`` (linear), ``2 tanh(R)`` (saturating) or ``-R``
    (repression), plus ``noise`` times an independent standard normal. Every gene is
    thus a regulator or the target of exactly one strong regulator (no pure-noise
    gene, no two targets sharing a regulator), so each target's only informative
    candidate is its regulator (and each regulator's only one its target), and every
    other pair is independent: with per-target normalised scores a true edge takes most
    of its target's score and an unrelated one a small share of the rest.

    Genes are ordered ``R1, T1, R2, T2, ...``; ``edges`` lists ``(R<i>, T<i>)``.

    Examples
    --------
    >>> data = grn_pairs(n_pairs=3, n_samples=20)
    >>> data.genes, data.edges[0], data.values.shape
    (('R1', 'T1', 'R2', 'T2', 'R3', 'T3'), ('R1', 'T1'), (20, 6))
    """
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be at least 1, got {n_pairs}")
    rng = np.random.default_rng(seed)
    reg = rng.normal(size=(n_samples, n_pairs))
    links = {
        "linear": lambda r: 1.5 * r,
        "saturating": lambda r: 2.0 * np.tanh(r),
        "repression": lambda r: -r,
    }
    target = np.column_stack(
        [links[PAIR_LINKS[i % len(PAIR_LINKS)]](reg[:, i]) for i in range(n_pairs)]
    )
    target += noise * rng.normal(size=target.shape)
    values = np.empty((n_samples, 2 * n_pairs))
    values[:, 0::2] = reg
    values[:, 1::2] = target
    genes = tuple(g for i in range(1, n_pairs + 1) for g in (f"R{i}", f"T{i}"))
    edges = tuple((f"R{i}", f"T{i}") for i in range(1, n_pairs + 1))
    return GrnData(genes=genes, values=values, edges=edges)


def write_grn_example(
    folder: str | os.PathLike[str], *, n_genes: int = 12, n_samples: int = 60, seed: int = 0
) -> tuple[Path, Path]:
    """Write ``expression.tsv`` (DREAM layout: quoted gene header, one row per sample)
    and ``gold.tsv`` (every ordered pair, ``A<TAB>B<TAB>1|0``) into ``folder``.

    Returns
    -------
    tuple
        ``(expression path, gold path)``.
    """
    data = grn_dataset(n_genes=n_genes, n_samples=n_samples, seed=seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    expr = out / "expression.tsv"
    lines = ["\t".join(f'"{g}"' for g in data.genes)]
    lines += ["\t".join(f"{v:.6f}" for v in row) for row in data.values]
    expr.write_text("\n".join(lines) + "\n", encoding="utf-8")
    true = set(data.edges)
    gold = out / "gold.tsv"
    rows = [f"{a}\t{b}\t{int((a, b) in true)}" for a in data.genes for b in data.genes if a != b]
    gold.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return expr, gold


def network_dataset(
    *, n_genes: int = 60, n_groups: int = 4, p_in: float = 0.3, p_out: float = 0.01, seed: int = 0
) -> tuple[list[list[tuple[str, str, float]]], dict[str, list[str]]]:
    """Two networks and gene labels: ``n_groups`` communities; network 1 shows the
    first half of them (dense inside), network 2 the second half, both sparse noise.

    Returns
    -------
    tuple
        ``([edges of network 1, edges of network 2], {gene: [label]})`` with edges
        ``(gene, gene, weight)``.
    """
    rng = np.random.default_rng(seed)
    genes = [f"Y{i:03d}" for i in range(n_genes)]
    group = np.arange(n_genes) % n_groups
    shown = [set(range(n_groups // 2)), set(range(n_groups // 2, n_groups))]
    networks: list[list[tuple[str, str, float]]] = []
    for visible in shown:
        edges = []
        for i in range(n_genes):
            for j in range(i + 1, n_genes):
                same = group[i] == group[j] and group[i] in visible
                if rng.random() < (p_in if same else p_out):
                    edges.append((genes[i], genes[j], round(float(rng.uniform(0.5, 1.0)), 3)))
        networks.append(edges)
    labels = {g: [f"C{group[i]}"] for i, g in enumerate(genes)}
    return networks, labels


def write_network_example(
    folder: str | os.PathLike[str], *, n_genes: int = 60, seed: int = 0
) -> tuple[list[Path], Path]:
    """Write ``net1.txt``, ``net2.txt`` (``geneA geneB weight``) and ``labels.json``
    (``{gene: [label]}``) into ``folder``; returns ``([network paths], labels path)``."""
    networks, labels = network_dataset(n_genes=n_genes, seed=seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, edges in enumerate(networks, start=1):
        path = out / f"net{k}.txt"
        path.write_text("".join(f"{a} {b} {w}\n" for a, b, w in edges), encoding="utf-8")
        paths.append(path)
    label_path = out / "labels.json"
    label_path.write_text(json.dumps(labels, indent=1), encoding="utf-8")
    return paths, label_path
