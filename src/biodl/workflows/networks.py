"""The network jobs: ``biodl grn`` (regulator -> target edges from expression) and
``biodl embed-networks`` (one deepNF-style embedding per gene from several networks).

Both write a run folder the way every biodl job does: staged as ``OUT.partial`` and
renamed when complete, with ``run.json`` (options, seed, thread count, software
versions, SHA-256 of every input, timings, peak memory, headline results;
:class:`biodl.runs.NetworkRunMeta`), ``logs/<verb>.log`` and an ``assessment/`` folder
(``assessment.json`` + ``report.html``) of the fitness-for-use checks that apply
(:mod:`biodl.assess.network`).

Examples
--------
>>> import tempfile, pathlib
>>> from biodl.testing.networks import write_grn_example
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> expr, gold = write_grn_example(d)
>>> result = infer_grn([expr], d / "grn", gold=gold, method="trees", n_trees=20)
>>> sorted(p.name for p in result.out.iterdir())
['assessment', 'edges.tsv', 'logs', 'pr.png', 'roc.png', 'run.json', 'score.json', 'score.tsv']
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from biodl.assess.core import Assessment
from biodl.assess.network import (
    degree_representation,
    grn_agreement,
    grn_evaluation,
    grn_quantity,
    heldout_leakage,
    network_quantity,
)
from biodl.assess.types import Item
from biodl.data.kinds import GraphKind
from biodl.errors import InputError
from biodl.io.atomic import atomic_open, check_output_dir, staged_dir, write_json
from biodl.io.grn import (
    EXPRESSION_KINDS,
    Expression,
    combine_expression,
    read_expression,
    read_gene_list,
    read_gold_standard,
)
from biodl.io.network import EdgeList, read_gene_labels
from biodl.networks.dream import GrnScore, score_edges
from biodl.networks.function import (
    FunctionScore,
    concatenate,
    gene_folds,
    pca_reduce,
    predict_function,
)
from biodl.networks.fusion import FusionOptions, MultimodalAutoencoder, fuse
from biodl.networks.grn import GRN_METHODS, EdgeScores, NeuralOptions, TreeOptions, infer
from biodl.progress import log_file, note, step
from biodl.report import write_assessment
from biodl.report.plots import plot_pr, plot_roc
from biodl.runs import (
    NetworkRunMeta,
    file_checksum,
    read_network_run,
    save_weights,
    software_versions,
    write_network_run,
)

__all__ = [
    "EmbeddingResult",
    "GrnResult",
    "embed_networks",
    "infer_grn",
    "load_fusion_model",
    "parse_expression_argument",
]

_PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class GrnResult:
    """What :func:`infer_grn` wrote and measured.

    Attributes
    ----------
    out
        The run folder.
    method
        The method whose ranking is ``edges.tsv``.
    n_edges
        Edges written to ``edges.tsv``.
    scores
        ``{method: GrnScore.to_dict()}`` against the gold standard (empty without one).
    flags
        ``{check: flag}`` of the assessment.
    """

    out: Path
    method: str
    n_edges: int
    scores: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    flags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbeddingResult:
    """What :func:`embed_networks` wrote and measured.

    Attributes
    ----------
    out
        The run folder.
    n_genes, dimensions
        Rows and columns of the embedding.
    evaluation
        ``{features: FunctionScore.to_dict()}`` of the function prediction (empty
        without labels): every single network, their concatenation and the fusion.
    flags
        ``{check: flag}`` of the assessment.
    """

    out: Path
    n_genes: int
    dimensions: int
    evaluation: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    flags: Mapping[str, str] = field(default_factory=dict)


def parse_expression_argument(text: _PathLike) -> tuple[str | None, Path]:
    """``KIND:PATH`` or ``PATH`` -> ``(kind or None, path)``.

    Examples
    --------
    >>> parse_expression_argument("knockout:ko.tsv")
    ('knockout', PosixPath('ko.tsv'))
    >>> parse_expression_argument("data/expr.tsv")
    (None, PosixPath('data/expr.tsv'))
    """
    value = os.fspath(text)
    head, sep, tail = value.partition(":")
    if sep and head in EXPRESSION_KINDS:
        return head, Path(tail)
    return None, Path(value)


def _peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux: ``ru_maxrss`` KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def _checksum(path: Path, role: str) -> dict[str, Any]:
    return {"role": role, **file_checksum(path)}


def _write_edges(path: Path, edges: EdgeScores, top: int | None) -> int:
    ranked = edges.ranked()
    if top is not None:
        ranked = ranked[:top]
    with atomic_open(path, "w") as handle:
        handle.write("regulator\ttarget\tscore\n")
        for reg, tgt, score in ranked:
            handle.write(f"{reg}\t{tgt}\t{score:.6g}\n")
    return len(ranked)


def _flags(items: Sequence[Item]) -> dict[str, str]:
    return {item.key: item.flag for item in items}


def _write_assessment(folder: Path, items: Sequence[Item], model: Mapping[str, Any]) -> None:
    from biodl import __version__

    assessment = Assessment(
        items=tuple(items),
        model=dict(model),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        biodl_version=__version__,
    )
    write_assessment(assessment, folder)


def _meta(
    verb: Literal["grn", "embed-networks"],
    *,
    started: float,
    seed: int,
    options: Mapping[str, Any],
    inputs: list[dict[str, Any]],
    genes: int,
    outputs: Mapping[str, str],
    timings: Mapping[str, float],
    results: Mapping[str, Any],
) -> NetworkRunMeta:
    return NetworkRunMeta(
        format="biodl-network-run",
        verb=verb,
        created=datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        command=" ".join(sys.argv) if sys.argv and sys.argv[0].endswith("biodl") else None,
        seed=seed,
        threads=torch.get_num_threads(),
        options=json.loads(json.dumps(dict(options), default=str)),
        inputs=inputs,
        genes=genes,
        outputs=dict(outputs),
        versions=software_versions(),
        timings={k: round(float(v), 3) for k, v in timings.items()},
        peak_memory_mib=_peak_mib(),
        results=json.loads(json.dumps(dict(results), default=str)),
    )


def infer_grn(
    expression: Sequence[_PathLike | tuple[str | None, _PathLike]],
    out: _PathLike,
    *,
    regulators: _PathLike | None = None,
    method: str = "ensemble",
    gold: _PathLike | None = None,
    n_trees: int = 500,
    tree_ensemble: Literal["random_forest", "extra_trees"] = "random_forest",
    neural: NeuralOptions | None = None,
    top: int | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    force: bool = False,
) -> GrnResult:
    """Infer a ranked, directed regulator -> target edge list from expression tables.

    Parameters
    ----------
    expression
        Expression tables (samples x genes: steady states, knockouts, knockdowns, time
        series, wild type; :func:`biodl.io.grn.read_expression`), each a path or
        ``(kind, path)``; a path written ``KIND:PATH`` names its kind, otherwise the
        kind comes from the file name (DREAM's ``_knockouts``, ``_timeseries`` ...).
        All tables must have the same genes; their samples are pooled.
    out
        Run folder to write: ``edges.tsv`` (regulator, target, score; best first),
        ``methods/<method>.tsv`` for every other method that ran, ``run.json``,
        ``logs/grn.log``, ``assessment/``; with ``gold`` also ``score.json``,
        ``score.tsv``, ``pr.png`` and ``roc.png``.
    regulators
        File of candidate regulators (one gene per line; e.g. transcription factors).
        Default: every gene.
    method
        ``trees`` (GENIE3), ``neural`` or ``ensemble`` (rank average of every method
        that ran, with the knockout z-scores when knockouts are given).
    gold
        Gold standard (``A<TAB>B<TAB>1|0``, DREAM format, or the true edges only) to
        score every method against, as DREAM does (AUPR, AUROC, self-edges excluded).
    n_trees, tree_ensemble
        Trees per target and the tree ensemble of the GENIE3 method.
    neural
        Options of the neural method (default :class:`~biodl.networks.grn.NeuralOptions`).
    top
        Write only the ``top`` best edges (default: every scored pair).
    seed
        Seed of every random choice.
    n_jobs
        Processes for the tree ensembles.
    force
        Replace ``out`` if it exists.

    Raises
    ------
    InputError
        A bad table, gene list or gold standard (naming the file and line), an unknown
        method, or an ``out`` that exists (without ``force``) or holds an input.
    """
    if method not in GRN_METHODS:
        raise InputError(f"unknown GRN method {method!r} (choose from {', '.join(GRN_METHODS)})")
    if not expression:
        raise InputError("grn needs at least one expression table")
    started = time.time()
    parsed = [
        (item[0], Path(item[1])) if isinstance(item, tuple) else parse_expression_argument(item)
        for item in expression
    ]
    paths = [p for _, p in parsed]
    extra = [Path(p) for p in (regulators, gold) if p is not None]
    target = check_output_dir(out, force=force, inputs=[*paths, *extra])
    timings: dict[str, float] = {}
    with step("grn: reading the expression tables"):
        t0 = time.perf_counter()
        expr = combine_expression([read_expression(p, kind=k) for k, p in parsed])
        regs = read_gene_list(regulators, genes=expr.genes) if regulators is not None else None
        gold_standard = read_gold_standard(gold, genes=expr.genes) if gold is not None else None
        timings["read"] = time.perf_counter() - t0
    trees = TreeOptions(n_trees=n_trees, ensemble=tree_ensemble)
    neural = neural or NeuralOptions()
    with (
        staged_dir(target, force=force, inputs=[*paths, *extra]) as partial,
        log_file(partial / "logs" / "grn.log"),
    ):
        note(
            f"grn: {expr.values.shape[0]} samples x {len(expr.genes)} genes, "
            f"{len(regs) if regs is not None else len(expr.genes)} candidate regulators, "
            f"method {method}"
        )
        t0 = time.perf_counter()
        components = infer(
            expr,
            method=method,
            regulators=regs,
            trees=trees,
            neural=neural,
            seed=seed,
            n_jobs=n_jobs,
            all_components=method == "ensemble",
        )
        timings["infer"] = time.perf_counter() - t0
        chosen = components[method]
        n_edges = _write_edges(partial / "edges.tsv", chosen, top)
        outputs = {"edges": "edges.tsv"}
        for name, edges in components.items():
            if name != method:
                (partial / "methods").mkdir(exist_ok=True)
                _write_edges(partial / "methods" / f"{name}.tsv", edges, top)
                outputs[f"edges_{name}"] = f"methods/{name}.tsv"
        scores: dict[str, GrnScore] = {}
        if gold_standard is not None:
            with step("grn: scoring against the gold standard"):
                scores = {
                    name: score_edges(edges, gold_standard, seed=seed)
                    for name, edges in components.items()
                }
                _write_scores(partial, scores, method)
            outputs |= {"score": "score.json", "pr": "pr.png", "roc": "roc.png"}
        items = _grn_items(expr, regs, components, method, scores)
        _write_assessment(
            partial / "assessment",
            items,
            {
                "architecture": f"biodl grn ({method})",
                "run_dir": os.fspath(target),
                "task": "gene-regulatory network inference",
                "outputs": ["edges.tsv"],
                "genes": len(expr.genes),
            },
        )
        outputs["assessment"] = "assessment/report.html"
        inputs = [_checksum(p, f"expression:{k or 'auto'}") for k, p in parsed]
        if regulators is not None:
            inputs.append(_checksum(Path(regulators), "regulators"))
        if gold is not None:
            inputs.append(_checksum(Path(gold), "gold"))
        options = {
            "method": method,
            "trees": asdict(trees),
            "neural": asdict(neural),
            "top": top,
            "n_jobs": n_jobs,
            "samples_by_kind": _kind_counts(expr),
        }
        results = {name: s.to_dict() for name, s in scores.items()}
        write_network_run(
            partial,
            _meta(
                "grn",
                started=started,
                seed=seed,
                options=options,
                inputs=inputs,
                genes=len(expr.genes),
                outputs=outputs,
                timings=timings,
                results=results,
            ),
        )
    return GrnResult(
        out=target,
        method=method,
        n_edges=n_edges,
        scores={name: s.to_dict() for name, s in scores.items()},
        flags=_flags(items),
    )


def _kind_counts(expr: Expression) -> dict[str, int]:
    kinds, counts = np.unique(np.asarray(expr.kinds), return_counts=True)
    return {str(k): int(c) for k, c in zip(kinds, counts, strict=True)}


def _write_scores(folder: Path, scores: Mapping[str, GrnScore], method: str) -> None:
    data = {"method": method, "methods": {name: s.to_dict() for name, s in scores.items()}}
    write_json(folder / "score.json", data)
    with atomic_open(folder / "score.tsv", "w") as handle:
        handle.write("method\taupr\taupr_trapezoid\tauroc\trandom_aupr\tn_true\tn_pairs\n")
        for name, s in scores.items():
            handle.write(
                f"{name}\t{s.aupr:.4f}\t{s.aupr_trapezoid:.4f}\t{s.auroc:.4f}\t"
                f"{s.random_aupr:.4f}\t{s.n_true}\t{s.n_pairs}\n"
            )
    first = next(iter(scores.values()))
    plot_pr(
        {name: (s.precision, s.recall, s.aupr) for name, s in scores.items()},
        folder / "pr.png",
        baseline={"random": first.random_aupr},
        title="Regulator -> target edges: precision-recall",
    )
    plot_roc(
        {name: (s.fpr, s.tpr, s.auroc) for name, s in scores.items()},
        folder / "roc.png",
        title="Regulator -> target edges: ROC",
    )


def _grn_items(
    expr: Expression,
    regs: Sequence[str] | None,
    components: Mapping[str, EdgeScores],
    method: str,
    scores: Mapping[str, GrnScore],
) -> list[Item]:
    values = expr.values
    constant = [g for g, sd in zip(expr.genes, values.std(axis=0), strict=True) if sd == 0]
    items = [
        grn_quantity(
            n_samples=values.shape[0],
            n_genes=len(expr.genes),
            n_regulators=len(regs) if regs is not None else len(expr.genes),
            constant=constant,
            kinds=_kind_counts(expr),
        ),
        grn_agreement(
            {name: e.scores for name, e in components.items() if name != "ensemble"},
            top=len(expr.genes),
        ),
    ]
    if scores:
        chosen = dict(scores[method].to_dict())
        chosen["methods"] = {name: s.to_dict() for name, s in scores.items()}
        items.append(grn_evaluation(chosen))
    return items


def _network_names(paths: Sequence[Path]) -> list[str]:
    names: list[str] = []
    for p in paths:
        name = p.name
        for suffix in (".gz", ".txt", ".tsv", ".csv", ".edges", ".edgelist"):
            name = name.removesuffix(suffix)
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return names


def embed_networks(
    networks: Sequence[_PathLike],
    out: _PathLike,
    *,
    labels: _PathLike | None = None,
    folds: int = 5,
    options: FusionOptions | None = None,
    steps: int = 3,
    alpha: float = 0.98,
    classifier: Literal["logistic", "svm"] = "logistic",
    seed: int = 0,
    device: str = "cpu",
    force: bool = False,
) -> EmbeddingResult:
    """Fuse several interaction networks into one embedding per gene (deepNF).

    Each network (a weighted edge list, :func:`biodl.io.network.read_edge_list`) is
    turned into a random-walk-with-restart + PPMI matrix over the union of the genes
    (:class:`biodl.data.kinds.GraphKind`); a multimodal denoising autoencoder
    (:mod:`biodl.networks.fusion`) compresses them into one vector per gene. The
    embedding never sees a label.

    Parameters
    ----------
    networks
        Two or more edge lists (``geneA geneB [weight]``, optional ``.gz``).
    out
        Run folder: ``embedding.tsv`` (gene, dim_1 ...), ``embedding.h5ad`` (with
        anndata installed), ``fusion.safetensors`` (the autoencoder), ``run.json``,
        ``logs/embed.log``, ``assessment/``; with ``labels`` also ``evaluation.json``
        and ``evaluation.tsv``.
    labels
        Gene function labels (JSON ``{gene: [labels]}`` or ``gene<TAB>label`` lines):
        evaluated by ``folds``-fold cross-validation over genes, predicting each label
        of the held-out genes from every single network, their concatenation and the
        fused embedding (same folds for all).
    folds
        Folds of the function prediction.
    options
        Autoencoder options (default :class:`~biodl.networks.fusion.FusionOptions`).
    steps, alpha
        Random-walk steps and continuation probability of the network features.
    classifier
        ``logistic`` or ``svm`` for the function prediction.
    seed
        Seed of the autoencoder, the folds and the classifiers.
    device
        Torch device of the autoencoder (``cpu``, ``cuda``).
    force
        Replace ``out`` if it exists.
    """
    if len(networks) < 1:
        raise InputError("embed-networks needs at least one network")
    started = time.time()
    paths = [Path(p) for p in networks]
    extra = [Path(labels)] if labels is not None else []
    target = check_output_dir(out, force=force, inputs=[*paths, *extra])
    names = _network_names(paths)
    options = options or FusionOptions()
    timings: dict[str, float] = {}
    kind = GraphKind(steps=steps, alpha=alpha)
    with step("embed-networks: reading the networks"):
        t0 = time.perf_counter()
        edge_lists = [kind.read_edges(p) for p in paths]
        genes = tuple(sorted(set().union(*(e.genes for e in edge_lists))))
        gene_labels = read_gene_labels(labels) if labels is not None else None
        timings["read"] = time.perf_counter() - t0
    with (
        staged_dir(target, force=force, inputs=[*paths, *extra]) as partial,
        log_file(partial / "logs" / "embed.log"),
    ):
        note(f"embed-networks: {len(paths)} networks over {len(genes)} genes")
        t0 = time.perf_counter()
        features = []
        for name, edges in zip(names, edge_lists, strict=True):
            with step(f"embed-networks: random walks + PPMI of {name}"):
                features.append(kind.features(edges, genes))
        timings["features"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with step("embed-networks: training the multimodal autoencoder"):
            fused = fuse(features, options=options, seed=seed, device=device)
        timings["fusion"] = time.perf_counter() - t0
        embedding = fused.embedding
        save_weights(partial / "fusion.safetensors", fused.model)
        _write_embedding(partial, genes, embedding, names, edge_lists)
        outputs = {"embedding": "embedding.tsv", "model": "fusion.safetensors"}
        if (partial / "embedding.h5ad").exists():
            outputs["embedding_h5ad"] = "embedding.h5ad"
        degrees = {n: _degrees(e, genes) for n, e in zip(names, edge_lists, strict=True)}
        evaluation: dict[str, FunctionScore] = {}
        fold_genes: list[list[str]] = []
        labelled: list[str] = []
        if gene_labels is not None:
            labelled = [g for g in genes if gene_labels.get(g)]
            if len(labelled) < folds:
                raise InputError(
                    f"only {len(labelled)} labelled genes are in the networks "
                    f"(need at least {folds})",
                    path=labels,
                )
            fold_genes = gene_folds(labelled, n_folds=folds, seed=seed)
            t0 = time.perf_counter()
            # the raw features (one column per gene) reduced, without labels, to the
            # embedding's size by PCA over all genes, as BIONIC-evals does
            size = int(embedding.shape[1])
            named = {
                n: pca_reduce(f, n_components=size, seed=seed)
                for n, f in zip(names, features, strict=True)
            }
            if len(features) > 1:
                named["concatenation"] = pca_reduce(
                    concatenate(features), n_components=size, seed=seed
                )
            named["fused"] = embedding
            for name, X in named.items():
                with step(f"embed-networks: function prediction from {name}"):
                    evaluation[name] = predict_function(
                        X,
                        genes,
                        gene_labels,
                        folds=fold_genes,
                        name=name,
                        classifier=classifier,
                    )
            timings["evaluation"] = time.perf_counter() - t0
            _write_evaluation(partial, evaluation)
            outputs |= {"evaluation": "evaluation.json", "evaluation_table": "evaluation.tsv"}
        index = {g: i for i, g in enumerate(genes)}
        unconnected = [g for g in labelled if all(d[index[g]] == 0 for d in degrees.values())]
        items = [
            network_quantity(
                {n: kind.describe_edges(e) for n, e in zip(names, edge_lists, strict=True)},
                n_genes=len(genes),
                labelled=labelled,
                unconnected_labelled=unconnected,
            )
        ]
        if fold_genes:
            items.append(heldout_leakage(fold_genes, genes=genes, features=embedding))
            items.append(
                degree_representation(
                    degrees, labelled=np.array([index[g] for g in labelled], dtype=np.intp)
                )
            )
        _write_assessment(
            partial / "assessment",
            items,
            {
                "architecture": "biodl embed-networks (multimodal autoencoder)",
                "run_dir": os.fspath(target),
                "task": "network fusion (unsupervised)",
                "outputs": ["embedding.tsv"],
                "networks": names,
                "genes": len(genes),
            },
        )
        outputs["assessment"] = "assessment/report.html"
        inputs = [_checksum(p, f"network:{n}") for n, p in zip(names, paths, strict=True)]
        if labels is not None:
            inputs.append(_checksum(Path(labels), "labels"))
        run_options = {
            "networks": names,
            "fusion": asdict(options),
            "steps": steps,
            "alpha": alpha,
            "folds": folds if labels is not None else None,
            "classifier": classifier,
            "device": device,
            "history": fused.history,
        }
        results = {n: s.to_dict() for n, s in evaluation.items()}
        for name in results:
            results[name].pop("folds", None)
        write_network_run(
            partial,
            _meta(
                "embed-networks",
                started=started,
                seed=seed,
                options=run_options,
                inputs=inputs,
                genes=len(genes),
                outputs=outputs,
                timings=timings,
                results=results,
            ),
        )
    return EmbeddingResult(
        out=target,
        n_genes=len(genes),
        dimensions=int(embedding.shape[1]),
        evaluation={n: s.to_dict() for n, s in evaluation.items()},
        flags=_flags(items),
    )


def _degrees(edges: EdgeList, genes: Sequence[str]) -> np.ndarray:
    index = {g: i for i, g in enumerate(genes)}
    deg = np.zeros(len(genes), dtype=np.int64)
    deg[[index[g] for g in edges.genes]] = edges.degree()
    return deg


def _write_embedding(
    folder: Path,
    genes: Sequence[str],
    embedding: np.ndarray,
    names: Sequence[str],
    edge_lists: Sequence[EdgeList],
) -> None:
    dims = [f"dim_{i + 1}" for i in range(embedding.shape[1])]
    with atomic_open(folder / "embedding.tsv", "w") as handle:
        handle.write("gene\t" + "\t".join(dims) + "\n")
        for gene, row in zip(genes, embedding, strict=True):
            handle.write(gene + "\t" + "\t".join(f"{v:.6g}" for v in row) + "\n")
    try:
        import anndata  # type: ignore[import-not-found, import-untyped, unused-ignore]
        import pandas as pd  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        note("embed-networks: embedding.h5ad not written (needs pip install 'biodl[anndata]')")
        return
    obs = pd.DataFrame(
        {f"degree_{n}": _degrees(e, genes) for n, e in zip(names, edge_lists, strict=True)},
        index=pd.Index(list(genes), name="gene"),
    )
    adata = anndata.AnnData(
        X=np.asarray(embedding, dtype=np.float32),
        obs=obs,
        var=pd.DataFrame(index=pd.Index(dims, name="dimension")),
    )
    adata.uns["networks"] = list(names)
    from biodl.io.atomic import atomic_path

    with atomic_path(folder / "embedding.h5ad") as tmp:
        adata.write_h5ad(tmp)


def _write_evaluation(folder: Path, evaluation: Mapping[str, FunctionScore]) -> None:
    data = {name: s.to_dict() for name, s in evaluation.items()}
    write_json(folder / "evaluation.json", data)
    with atomic_open(folder / "evaluation.tsv", "w") as handle:
        handle.write("features\tmacro_aupr\tmicro_aupr\taccuracy\tmacro_f1\tmicro_f1\n")
        for name, s in evaluation.items():
            handle.write(
                f"{name}\t{s.macro_aupr:.4f}\t{s.micro_aupr:.4f}\t{s.accuracy:.4f}\t"
                f"{s.macro_f1:.4f}\t{s.micro_f1:.4f}\n"
            )


def load_fusion_model(run_dir: _PathLike) -> MultimodalAutoencoder:
    """The trained autoencoder of an ``embed-networks`` run (safetensors + run.json).

    Raises
    ------
    InputError
        Not an ``embed-networks`` run, or weights that do not fit its options.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    meta = read_network_run(run_dir)
    if meta.verb != "embed-networks":
        raise InputError(f"a {meta.verb} run has no fusion model", path=run_dir)
    fusion = FusionOptions(**dict(meta.options.get("fusion", {})))
    sizes = [meta.genes] * len(meta.options.get("networks", []))
    path = Path(run_dir) / "fusion.safetensors"
    try:
        weights = load_file(os.fspath(path))
    except (OSError, SafetensorError) as exc:
        raise InputError(f"cannot read the fusion model: {exc}", path=path) from None
    model = MultimodalAutoencoder.from_options(sizes, fusion)
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"weights do not fit run.json's options: {first}", path=path) from None
    model.eval()
    return model
