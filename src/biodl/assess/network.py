"""Fitness-for-use checks of the network jobs (``biodl grn``, ``biodl embed-networks``).

Each check returns one :class:`~biodl.assess.types.Item` with a stated rule, like the
checks of a trained model, so the same report renders them:

- :func:`grn_quantity`: samples per candidate regulator, constant genes;
- :func:`grn_agreement`: do the inference methods agree on the top edges?
- :func:`grn_evaluation`: the ranked list against a gold standard (DREAM AUPR/AUROC);
- :func:`network_quantity`: genes and edges per network, labelled genes without edges;
- :func:`heldout_leakage`: held-out genes of the function-prediction folds;
- :func:`degree_representation`: are the labelled (evaluated) genes hubs?

Examples
--------
>>> import numpy as np
>>> grn_quantity(n_samples=100, n_genes=100, n_regulators=100, constant=[]).flag
'green'
>>> degree_representation({"ppi": np.array([1, 1, 2, 8])}, labelled=np.array([3])).flag
'amber'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from biodl.assess.types import Flag, Item

__all__ = [
    "degree_representation",
    "grn_agreement",
    "grn_evaluation",
    "grn_quantity",
    "heldout_leakage",
    "network_quantity",
]

#: labelled genes' median degree above this multiple of the network's: amber
HUB_RATIO = 2.0


def grn_quantity(
    *,
    n_samples: int,
    n_genes: int,
    n_regulators: int,
    constant: Sequence[str],
    kinds: Mapping[str, int] | None = None,
) -> Item:
    """Enough samples to tell the candidate regulators of each target apart?

    Each target gene is regressed on its candidate regulators (all regulators but
    itself), so fewer samples than candidates make the problem under-determined and
    the ranking rests on the model's prior (tree randomisation, weight penalty).

    Parameters
    ----------
    n_samples, n_genes, n_regulators
        Expression samples, genes (targets) and candidate regulators.
    constant
        Genes with one value in every sample (no information as target or regulator).
    kinds
        Samples per kind (``steady``, ``knockout``, ``timeseries`` ...).
    """
    candidates = max(n_regulators - 1, 1)
    ratio = n_samples / candidates
    flag: Flag = "green" if ratio >= 1 else "amber" if ratio >= 0.25 else "red"
    if constant and flag == "green":
        flag = "amber"
    summary = (
        f"{n_samples} samples for {candidates} candidate regulators per target "
        f"({ratio:.2f} samples per candidate)"
    )
    if constant:
        summary += f"; {len(constant)} gene(s) never change and cannot be scored"
    return Item(
        key="data_quantity",
        flag=flag,
        rule=(
            "green when there are at least as many samples as candidate regulators per "
            "target and no constant gene; amber when there are at least a quarter as many "
            "or a gene is constant; red below a quarter"
        ),
        summary=summary + ".",
        values={
            "n_samples": n_samples,
            "n_genes": n_genes,
            "n_regulators": n_regulators,
            "samples_per_candidate": round(ratio, 4),
            "constant_genes": list(constant)[:50],
            "n_constant_genes": len(constant),
            "samples_by_kind": dict(kinds or {}),
        },
    )


def _top_pairs(scores: np.ndarray, k: int) -> set[int]:
    flat = np.where(np.isfinite(scores), scores, -np.inf).ravel()
    order = np.argsort(-flat, kind="stable")[:k]
    return {int(i) for i in order if np.isfinite(flat[i])}


def grn_agreement(components: Mapping[str, np.ndarray], *, top: int) -> Item:
    """How much do the inference methods agree?

    Parameters
    ----------
    components
        ``{method: scores}``, each ``(n_regulators, n_targets)`` on the same regulator
        and target order, NaN where not scored.
    top
        Edges compared (the ``top`` best of each method).

    Notes
    -----
    Methods built on different assumptions that share few of their best edges signal a
    ranking that depends on the method more than on the data: read the top of the list
    with care. The Spearman correlation is over the pairs every method scored.

    Examples
    --------
    >>> a = np.array([[np.nan, 3.0], [1.0, np.nan]])
    >>> grn_agreement({"trees": a, "neural": a}, top=1).values["top_overlap"]["trees|neural"]
    1.0
    """
    names = list(components)
    if len(names) < 2:
        return Item(
            key="agreement",
            flag="not_assessed",
            rule="needs two inference methods",
            summary="Only one method ran, so there is nothing to compare.",
            values={"methods": names},
        )
    overlap: dict[str, float] = {}
    spearman: dict[str, float] = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            sa, sb = components[a], components[b]
            ta, tb = _top_pairs(sa, top), _top_pairs(sb, top)
            overlap[f"{a}|{b}"] = round(len(ta & tb) / max(min(len(ta), len(tb)), 1), 4)
            both = np.isfinite(sa) & np.isfinite(sb)
            if both.sum() > 2:
                ra = np.argsort(np.argsort(sa[both]))
                rb = np.argsort(np.argsort(sb[both]))
                spearman[f"{a}|{b}"] = round(float(np.corrcoef(ra, rb)[0, 1]), 4)
    lowest = min(overlap.values())
    flag: Flag = "green" if lowest >= 0.2 else "amber"
    worst = min(overlap, key=lambda k: overlap[k])
    return Item(
        key="agreement",
        flag=flag,
        rule=(
            f"amber when two methods share fewer than 20 % of their {top} best edges; "
            "green otherwise"
        ),
        summary=(
            f"The methods share {lowest:.0%} or more of their {top} best edges "
            f"(lowest: {worst.replace('|', ' vs ')})."
        ),
        values={"top": top, "top_overlap": overlap, "spearman": spearman},
    )


def grn_evaluation(score: Mapping[str, Any]) -> Item:
    """The ranked edge list scored against a gold standard.

    Parameters
    ----------
    score
        ``{"aupr", "auroc", "random_aupr", ...}`` of the method written to
        ``edges.tsv`` (:meth:`biodl.networks.dream.GrnScore.to_dict`), plus optionally
        ``"methods": {method: {...}}`` for every method.

    Examples
    --------
    >>> grn_evaluation({"aupr": 0.2, "auroc": 0.75, "random_aupr": 0.02}).flag
    'green'
    """
    aupr, auroc, rand = float(score["aupr"]), float(score["auroc"]), float(score["random_aupr"])
    fold = aupr / rand if rand > 0 else float("inf")
    flag: Flag = "red" if auroc <= 0.55 else "amber" if fold < 3 else "green"
    return Item(
        key="evaluation",
        flag=flag,
        rule=(
            "red when the AUROC is 0.55 or less (no better than a random ranking); amber "
            "when the AUPR is below 3 times that of a random ranking; green otherwise"
        ),
        summary=(
            f"AUPR {aupr:.3f} ({fold:.1f} times a random ranking's {rand:.4f}), "
            f"AUROC {auroc:.3f} against the gold standard."
        ),
        values=dict(score),
    )


def network_quantity(
    networks: Mapping[str, Mapping[str, Any]],
    *,
    n_genes: int,
    labelled: Sequence[str] = (),
    unconnected_labelled: Sequence[str] = (),
) -> Item:
    """Genes and edges of each network, and labelled genes no network connects.

    Parameters
    ----------
    networks
        ``{name: {"n_genes", "n_edges", ...}}`` per network.
    n_genes
        Genes in the union of the networks (rows of the embedding).
    labelled
        Genes with a function label that are in the union.
    unconnected_labelled
        Labelled genes with no edge in any network (their features are all zero).
    """
    share = len(unconnected_labelled) / len(labelled) if labelled else 0.0
    flag: Flag = "red" if share > 0.5 else "amber" if share > 0.1 else "green"
    for info in networks.values():
        info_genes = int(info.get("n_genes", 0))
        if info_genes < 0.1 * n_genes and flag == "green":
            flag = "amber"
    rows = [{"network": name, **dict(info)} for name, info in networks.items()]
    summary = f"{len(networks)} networks over {n_genes} genes"
    if labelled:
        summary += f"; {len(unconnected_labelled)} of {len(labelled)} labelled genes have no edge"
    return Item(
        key="data_quantity",
        flag=flag,
        rule=(
            "red when more than half of the labelled genes have no edge in any network, "
            "amber when more than 10 % do or a network covers under 10 % of the genes, "
            "green otherwise"
        ),
        summary=summary + ".",
        values={
            "n_genes": n_genes,
            "networks": rows,
            "n_labelled": len(labelled),
            "unconnected_labelled": list(unconnected_labelled)[:50],
            "n_unconnected_labelled": len(unconnected_labelled),
        },
    )


def heldout_leakage(
    folds: Sequence[Sequence[str]],
    *,
    genes: Sequence[str],
    features: np.ndarray,
    supervised_embedding: bool = False,
) -> Item:
    """Are the held-out genes of the function prediction really held out?

    Checks that the folds are disjoint, that the embedding never saw a label
    (``supervised_embedding``), that no gene id occurs twice up to letter case (the same
    gene under two spellings would sit on both sides of a split), and counts held-out
    genes whose feature vector equals a training gene's (genes no network connects all
    have the zero vector: they are predicted from the label frequencies alone).

    Parameters
    ----------
    folds
        Held-out genes of each fold.
    genes, features
        Row ids and ``(G, D)`` feature matrix the predictions used.
    supervised_embedding
        Whether labels were used to build ``features`` (then every fold leaks).

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    >>> item = heldout_leakage([["a"], ["b", "c"]], genes=["a", "b", "c"], features=X)
    >>> item.flag, item.values["shared_rows"]["count"]
    ('amber', 2)
    """
    seen: dict[str, int] = {}
    overlap = 0
    for i, fold in enumerate(folds):
        for g in fold:
            if g in seen and seen[g] != i:
                overlap += 1
            seen[g] = i
    lower: dict[str, str] = {}
    case_twins: list[str] = []
    for g in genes:
        other = lower.setdefault(g.lower(), g)
        if other != g:
            case_twins.append(f"{other}/{g}")
    index = {g: i for i, g in enumerate(genes)}
    keys = [features[index[g]].tobytes() if g in index else b"" for g in seen]
    fold_of = list(seen.values())
    by_row: dict[bytes, set[int]] = {}
    for key, fold_i in zip(keys, fold_of, strict=True):
        by_row.setdefault(key, set()).add(fold_i)
    shared = [
        g
        for g, key in zip(seen, keys, strict=True)
        if len(by_row[key]) > 1  # the same vector in another fold: seen in training
    ]
    share = len(shared) / len(seen) if seen else 0.0
    flag: Flag
    if overlap or supervised_embedding or case_twins:
        flag = "red"
    elif share > 0.1:
        flag = "amber"
    else:
        flag = "green"
    return Item(
        key="leakage",
        flag=flag,
        rule=(
            "red when a gene is held out in two folds, the embedding saw labels, or two "
            "gene ids differ only by case; amber when more than 10 % of the evaluated genes "
            "share their feature vector with a gene of another fold; green otherwise"
        ),
        summary=(
            f"{len(folds)} folds over {len(seen)} genes, {overlap} overlapping; "
            f"{len(shared)} genes share their feature vector across folds."
        ),
        values={
            "n_folds": len(folds),
            "n_genes": len(seen),
            "fold_overlap": overlap,
            "supervised_embedding": supervised_embedding,
            "case_twins": {"count": len(case_twins), "examples": case_twins[:20]},
            "shared_rows": {"count": len(shared), "examples": shared[:20]},
        },
    )


def degree_representation(degrees: Mapping[str, np.ndarray], *, labelled: np.ndarray) -> Item:
    """Do the labelled genes (the ones evaluated) look like the network's genes?

    Function standards favour well-studied genes, which tend to be hubs; a score
    measured on hubs overstates how well a typical gene is predicted.

    Parameters
    ----------
    degrees
        ``{network: (G,) degree of every gene of the union}`` (0 where absent).
    labelled
        Indices of the labelled genes into the union.

    Examples
    --------
    >>> deg = {"ppi": np.array([1, 1, 2, 2])}
    >>> degree_representation(deg, labelled=np.array([0, 2])).flag
    'green'
    """
    rows: list[dict[str, Any]] = []
    flag: Flag = "green"
    for name, deg in degrees.items():
        deg = np.asarray(deg, dtype=np.float64)
        present = deg > 0
        lab = deg[labelled]
        lab_present = lab[lab > 0]
        med_all = float(np.median(deg[present])) if present.any() else 0.0
        med_lab = float(np.median(lab_present)) if lab_present.size else 0.0
        ratio = med_lab / med_all if med_all > 0 else float("nan")
        top = np.quantile(deg[present], 0.9) if present.any() else 0.0
        rows.append(
            {
                "network": name,
                "median_degree_all": med_all,
                "median_degree_labelled": med_lab,
                "ratio": round(ratio, 3) if np.isfinite(ratio) else None,
                "labelled_in_network": int(lab_present.size),
                "labelled_in_top_decile": round(float((lab_present >= top).mean()), 3)
                if lab_present.size
                else None,
            }
        )
        if np.isfinite(ratio) and ratio > HUB_RATIO:
            flag = "amber"
    worst = max(rows, key=lambda r: float(r["ratio"] or 0.0)) if rows else None
    summary = (
        f"Labelled genes have {worst['ratio']} times the median degree of all genes in "
        f"{worst['network']} (the most skewed network)."
        if worst and worst["ratio"] is not None
        else "No labelled gene has an edge."
    )
    return Item(
        key="representation",
        flag=flag,
        rule=(
            f"amber when the labelled genes' median degree is more than {HUB_RATIO:g} times "
            "the network's in any network (scores measured on hubs); green otherwise"
        ),
        summary=summary,
        values={"networks": rows},
    )
