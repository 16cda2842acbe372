"""Per-gene attributions of expression-matrix models: ranked gene tables and stability.

A matrix model's input is ``(N, F, 1)``: one channel per (preprocessed, selected) gene.
Any attribution method of :mod:`biodl.interpret.attribution` gives ``(N, F, 1)``
values; this module turns them into per-gene summaries:

* :func:`attribute_rows` explains each sample for its own output (e.g. the class it is
  predicted as), one pass per output, and returns one :class:`Attribution` in sample
  order (its ``target`` is the first sample's; ``info["targets"]`` has them all);
* :func:`gene_table` ranks the genes by mean absolute attribution over the samples,
  with the signed mean and, per class, the mean absolute attribution over the samples
  of that class;
* :func:`gene_stability` counts, over the folds of a cross-validation, how often each
  gene is among a fold model's top ``k``.

The reference (baseline) of a matrix model is the training mean of every input feature
(``FittedPipeline.fill``): zeros after ``standardize``. Attributions therefore explain
``f(x) - f(training mean)``.

Examples
--------
>>> values = np.array([[[2.0], [0.1]], [[-1.0], [0.3]]])
>>> rows = gene_table(values, ["g1", "g2"], groups=["A", "B"], classes=["A", "B"])
>>> [(r["rank"], r["gene"], r["mean_abs"], r["mean_abs[A]"]) for r in rows]
[(1, 'g1', 1.5, 2.0), (2, 'g2', 0.2, 0.1)]
>>> gene_stability({"1": ["g1", "g2"], "2": ["g2", "g3"]}, k=1)[0]["gene"]
'g1'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from torch import nn

from biodl.interpret.attribution import Attribution, Method, attribute

__all__ = [
    "GENE_COLUMNS",
    "attribute_rows",
    "gene_stability",
    "gene_table",
    "read_gene_ranking",
    "write_gene_table",
    "write_stability_table",
]

#: the leading columns of ``genes.tsv`` (per-class columns ``mean_abs[<class>]`` follow)
GENE_COLUMNS: tuple[str, ...] = ("rank", "gene", "mean_abs", "signed_mean")


def attribute_rows(
    model: nn.Module,
    X: npt.ArrayLike,
    targets: Sequence[int],
    *,
    method: Method,
    **options: Any,
) -> Attribution:
    """Attributions of each sample ``i`` of ``X`` to output ``targets[i]``.

    One :func:`~biodl.interpret.attribution.attribute` call per distinct target on the
    samples that have it, merged back in sample order. ``delta``, ``reference_outputs``
    and ``hypothetical`` are kept where every call has them.
    """
    arr = np.asarray(X, dtype=np.float32)
    t = np.asarray(targets, dtype=np.int64)
    if t.shape != (arr.shape[0],):
        raise ValueError(f"{t.size} targets for {arr.shape[0]} samples")
    parts: dict[int, tuple[np.ndarray, Attribution]] = {}
    for target in sorted(set(t.tolist())):
        rows = np.flatnonzero(t == target)
        parts[target] = (rows, attribute(model, arr[rows], method=method, target=target, **options))
    first = next(iter(parts.values()))[1]
    values = np.zeros((arr.shape[0], *first.values.shape[1:]), dtype=np.float32)
    outputs = np.zeros(arr.shape[0], dtype=np.float64)

    def merged(name: str, dtype: type) -> np.ndarray | None:
        if any(getattr(a, name) is None for _, a in parts.values()):
            return None
        shape = getattr(first, name).shape[1:]
        out = np.zeros((arr.shape[0], *shape), dtype=dtype)
        for rows, a in parts.values():
            out[rows] = getattr(a, name)
        return out

    for rows, a in parts.values():
        values[rows] = a.values
        outputs[rows] = a.outputs
    info = dict(first.info)
    info["targets"] = t.tolist()
    return Attribution(
        first.method,
        values,
        int(t[0]),
        outputs,
        merged("delta", np.float64),
        merged("reference_outputs", np.float64),
        merged("hypothetical", np.float32),
        info=info,
    )


def gene_table(
    values: npt.ArrayLike,
    genes: Sequence[str],
    *,
    groups: Sequence[str] | None = None,
    classes: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Genes ranked by mean absolute attribution over the samples.

    Parameters
    ----------
    values
        ``(N, F)`` or ``(N, F, 1)`` attributions.
    genes
        The F feature names.
    groups, classes
        The class of each sample (e.g. its predicted class) and the classes to report:
        column ``mean_abs[<class>]`` is the mean absolute attribution over the samples
        of that class (empty when none).

    Returns
    -------
    list of dict
        ``rank`` (1 = largest ``mean_abs``; ties by gene order), ``gene``, ``mean_abs``,
        ``signed_mean`` and the per-class columns.
    """
    A = np.asarray(values, dtype=np.float64)
    A = A.reshape(A.shape[0], -1)
    if A.shape[1] != len(genes):
        raise ValueError(f"{A.shape[1]} attribution columns for {len(genes)} genes")
    mean_abs = np.abs(A).mean(axis=0) if len(A) else np.zeros(len(genes))
    signed = A.mean(axis=0) if len(A) else np.zeros(len(genes))
    per_class: dict[str, np.ndarray | None] = {}
    if groups is not None:
        g = np.asarray(list(groups), dtype=object)
        for c in classes:
            rows = g == c
            per_class[c] = np.abs(A[rows]).mean(axis=0) if rows.any() else None
    order = np.argsort(-mean_abs, kind="stable")
    out = []
    for rank, j in enumerate(order.tolist(), start=1):
        row: dict[str, Any] = {
            "rank": rank,
            "gene": str(genes[j]),
            "mean_abs": float(mean_abs[j]),
            "signed_mean": float(signed[j]),
        }
        for c, v in per_class.items():
            row[f"mean_abs[{c}]"] = None if v is None else float(v[j])
        out.append(row)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace("\t", " ").replace("\n", " ")


def write_gene_table(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write :func:`gene_table`'s rows as a TSV (header first), atomically."""
    from biodl.io.atomic import atomic_open

    columns = list(GENE_COLUMNS) + [k for k in (rows[0] if rows else {}) if k not in GENE_COLUMNS]
    with atomic_open(Path(path)) as handle:
        handle.write("\t".join(columns) + "\n")
        for row in rows:
            handle.write("\t".join(_cell(row.get(c)) for c in columns) + "\n")
    return Path(path)


def read_gene_ranking(path: str | os.PathLike[str]) -> list[str]:
    """The genes of a ``genes.tsv`` in rank order."""
    from biodl.errors import InputError

    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read the gene table: {exc}", path=p) from None
    if not lines or "gene" not in lines[0].split("\t"):
        raise InputError("not a gene table (no 'gene' column)", path=p, line=1)
    header = lines[0].split("\t")
    i_gene = header.index("gene")
    i_rank = header.index("rank") if "rank" in header else None
    rows = [line.split("\t") for line in lines[1:] if line.strip()]
    if i_rank is not None:
        rows.sort(key=lambda r: int(r[i_rank]))
    return [r[i_gene] for r in rows]


def gene_stability(rankings: Mapping[str, Sequence[str]], k: int) -> list[dict[str, Any]]:
    """How many folds have each gene among their top ``k``.

    Parameters
    ----------
    rankings
        ``{fold: genes in rank order}`` (a fold's genes are those its model reads: a
        gene its preprocessing did not select is simply absent).
    k
        Size of each fold's top list.

    Returns
    -------
    list of dict
        ``gene``, ``n_top`` (folds with the gene in their top ``k``), ``fraction``
        (``n_top`` / folds), ``n_folds_selected`` (folds whose model reads the gene),
        ``mean_rank`` (over the folds that read it) and ``folds`` (comma-separated fold
        names with the gene in their top ``k``); most stable first (then by mean rank).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    n_folds = len(rankings)
    top: dict[str, list[str]] = {}
    ranks: dict[str, list[int]] = {}
    for fold, genes in rankings.items():
        for r, gene in enumerate(genes, start=1):
            ranks.setdefault(gene, []).append(r)
            if r <= k:
                top.setdefault(gene, []).append(str(fold))
    rows: list[dict[str, Any]] = [
        {
            "gene": gene,
            "n_top": len(top.get(gene, [])),
            "fraction": len(top.get(gene, [])) / max(n_folds, 1),
            "n_folds_selected": len(r),
            "mean_rank": float(np.mean(r)),
            "folds": ",".join(top.get(gene, [])),
        }
        for gene, r in ranks.items()
    ]
    rows.sort(key=lambda row: (-int(row["n_top"]), float(row["mean_rank"]), str(row["gene"])))
    return rows


def write_stability_table(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write :func:`gene_stability`'s rows as a TSV, atomically."""
    from biodl.io.atomic import atomic_open

    columns = ["gene", "n_top", "fraction", "n_folds_selected", "mean_rank", "folds"]
    with atomic_open(Path(path)) as handle:
        handle.write("\t".join(columns) + "\n")
        for row in rows:
            handle.write("\t".join(_cell(row.get(c)) for c in columns) + "\n")
    return Path(path)
