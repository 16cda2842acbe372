"""Label noise: copies that disagree, and labels a simple model finds implausible.

:func:`noise` has two parts.

``conflicting_labels``
    Over all splits pooled, identical sequences (case-insensitive) whose labels differ
    (the whole target row, NaN equal to NaN); for DNA also a sequence and its reverse
    complement with different labels (counted apart: for stranded tasks such as splice
    sites the two strands may rightly differ); and near-identical pairs with different
    labels: k-mer Jaccard at least ``near_threshold`` (0.8 by default, about 98-99 %
    identity for 8-mers), found with MinHash/LSH (:mod:`biodl.data.homology.minhash`).
    Not assessed for regression (replicates of a continuous target differ anyway).
``label_issues``
    Binary and multi-class tasks: confident learning (``cleanlab.filter.find_label_issues``,
    Northcutt et al. 2021) on out-of-fold class probabilities of a k-mer logistic
    regression (4-mers for DNA/RNA, 1- and 2-mers for proteins; stratified 5-fold
    ``cross_val_predict``) over the training split (at most ``max_train`` examples,
    seeded). The examples whose given label the model finds least likely are listed.
    A k-mer model is weak, so its disagreement is a pointer for a second look, not a
    verdict; ``model_accuracy`` (out of fold) says how weak. Needs the optional
    ``cleanlab`` (``pip install 'biodl[assess]'``).

Molecule runs: identical molecules are identical canonical SMILES (case kept: ``c`` is
aromatic); near-identical pairs with different labels are not counted (close analogues
that differ in activity, "activity cliffs", are common in real structure-activity data,
not noise); confident learning uses a logistic regression on ECFP4 fingerprints.

Examples
--------
>>> from biodl.testing.assess_data import inputs_from_splits, split_view
>>> train = split_view(["ACGTAC", "GTACGT", "TTTTAA"], [1, 0, 1], prefix="r")
>>> test = split_view(["TTTTAA"], [0], prefix="t")
>>> item = noise(inputs_from_splits({"train": train, "test": test}), label_model=False)
>>> c = item.values["conflicting_labels"]  # r0/r1 are reverse complements
>>> c["count"], c["examples"][0]["ids"]
(2, ['r0', 'r1'])
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.assess.types import AssessInputs, Flag, Item, worst_flag
from biodl.data.homology.minhash import default_k, near_pairs, reverse_complement, sketch
from biodl.tasks import Binary, Multiclass, Task

__all__ = ["conflicting_labels", "label_issues", "noise"]

_SPLITS = ("train", "valid", "test")
_RULE = (
    "red when at least {pct:g} % of all examples are identical copies with conflicting "
    "labels; amber when any identical or near-identical copies conflict, or when confident "
    "learning flags at least {issues:g} % of the training labels while its k-mer model is "
    "right on at least {acc:g} % of them out of fold; green otherwise"
)


def _label_key(row: npt.NDArray[np.float64]) -> tuple[float | None, ...]:
    return tuple(None if np.isnan(v) else float(v) for v in row.tolist())


def _label_text(row: tuple[float | None, ...], task: Task, outputs: Sequence[str]) -> str:
    if isinstance(task, Multiclass) and row and row[0] is not None:
        i = int(row[0])
        return outputs[i] if 0 <= i < len(outputs) else str(i)
    return ",".join("NA" if v is None else f"{v:g}" for v in row)


def conflicting_labels(
    inputs: AssessInputs,
    *,
    near_threshold: float = 0.8,
    k: int | None = None,
    max_examples: int = 50,
    red_fraction: float = 0.01,
) -> dict[str, Any]:
    """Identical (and near-identical) sequences with different labels, over all splits.

    Returns
    -------
    dict
        ``flag``, ``count`` (distinct sequences whose copies disagree: ``identical_count``
        where copies of one strand disagree, ``reverse_complement_count`` where the two
        strands of DNA carry different labels), ``rows`` (examples in those groups),
        ``examples`` (per sequence: ``kind``, ``sequence``, ``ids``, ``splits``,
        ``labels``), ``near`` (``count`` of near-identical pairs with different labels and
        their ``examples``: ``id_a``, ``id_b``, ``jaccard``, ``label_a``, ``label_b``).
    """
    task = inputs.task_kind
    if not task.probabilistic:  # the targets are values, not classes
        return {
            "flag": "not_assessed",
            "count": 0,
            "examples": [],
            "reason": "continuous targets: copies are expected to differ",
        }
    dna = inputs.alphabet == "dna"
    molecule = inputs.is_molecule
    ids: list[str] = []
    splits: list[str] = []
    seqs: list[str] = []
    labels: list[tuple[float | None, ...]] = []
    for name in _SPLITS:
        view = inputs.splits.get(name)
        if view is None:
            continue
        y = np.asarray(view.y, dtype=np.float64).reshape(len(view), -1)
        for i in range(len(view)):
            ids.append(view.ids[i])
            splits.append(name)
            # canonical SMILES are compared as written (upper case would de-aromatise)
            seqs.append(view.sequences[i] if molecule else view.sequences[i].upper())
            labels.append(_label_key(y[i]))
    keys = [min(s, reverse_complement(s)) if dna else s for s in seqs]
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    conflicts: list[tuple[str, list[int]]] = []
    for key, rows in groups.items():
        forward = {labels[i] for i in rows if seqs[i] == key}
        reverse = {labels[i] for i in rows if seqs[i] != key}
        if len(forward) > 1 or len(reverse) > 1:
            conflicts.append(("identical", rows))
        elif forward and reverse and forward != reverse:
            conflicts.append(("reverse_complement", rows))
    n_rows = sum(len(rows) for _, rows in conflicts)
    examples = [
        {
            "kind": kind,
            "sequence": seqs[rows[0]],
            "ids": [ids[i] for i in rows],
            "splits": [splits[i] for i in rows],
            "labels": [_label_text(labels[i], task, inputs.outputs) for i in rows],
        }
        for kind, rows in conflicts[:max_examples]
    ]
    near_examples: list[dict[str, Any]] = []
    n_near = 0
    if len(seqs) > 1 and not molecule:
        kk = default_k(inputs.alphabet) if k is None else k
        sk = sketch(seqs, k=kk, alphabet=inputs.alphabet, seed=inputs.seed)  # type: ignore[arg-type]
        pairs = near_pairs(sk, threshold=near_threshold)
        for a, b, j in zip(
            pairs.query.tolist(), pairs.target.tolist(), pairs.jaccard.tolist(), strict=True
        ):
            if keys[a] == keys[b] or labels[a] == labels[b]:
                continue
            n_near += 1
            if len(near_examples) < max_examples:
                near_examples.append(
                    {
                        "id_a": ids[a],
                        "id_b": ids[b],
                        "split_a": splits[a],
                        "split_b": splits[b],
                        "jaccard": round(j, 4),
                        "label_a": _label_text(labels[a], task, inputs.outputs),
                        "label_b": _label_text(labels[b], task, inputs.outputs),
                    }
                )
    flag: Flag = "green"
    if n_rows and n_rows >= red_fraction * max(len(seqs), 1):
        flag = "red"
    elif conflicts or n_near:
        flag = "amber"
    return {
        "flag": flag,
        "count": len(conflicts),
        "identical_count": sum(kind == "identical" for kind, _ in conflicts),
        "reverse_complement_count": sum(kind == "reverse_complement" for kind, _ in conflicts),
        "rows": n_rows,
        "n_examples": len(seqs),
        "examples": examples,
        "near": (
            {
                "count": None,
                "examples": [],
                "reason": (
                    "not counted for molecules: close analogues with different labels "
                    "(activity cliffs) are common in real structure-activity data"
                ),
            }
            if molecule
            else {"count": n_near, "threshold": near_threshold, "examples": near_examples}
        ),
    }


def label_issues(
    inputs: AssessInputs,
    *,
    folds: int = 5,
    max_train: int = 20000,
    max_examples: int = 20,
    amber_fraction: float = 0.05,
    min_accuracy: float = 0.9,
) -> dict[str, Any]:
    """Likely label errors in the training split by confident learning (see module docs).

    Returns
    -------
    dict
        ``flag`` (amber when at least ``amber_fraction`` of the labels are flagged and
        the model is right on at least ``min_accuracy`` out of fold: a weak model
        disagrees with many labels for its own reasons), ``count`` (flagged examples),
        ``fraction``, ``n`` (examples checked),
        ``model_accuracy`` (out of fold), ``examples`` (most likely errors first:
        ``id``, ``given``, ``predicted``, ``p_given``, ``p_predicted``); or
        ``flag="not_assessed"`` with a ``reason``.
    """

    def skipped(reason: str) -> dict[str, Any]:
        return {"flag": "not_assessed", "count": 0, "examples": [], "reason": reason}

    task = inputs.task_kind
    if not task.classification:
        return skipped(
            f"confident learning is run for binary and multi-class tasks, not {task.name}"
        )
    train = inputs.splits.get("train")
    if train is None or len(train) == 0:
        return skipped("no training split")
    try:
        cl_filter = importlib.import_module("cleanlab.filter")
    except ImportError:
        return skipped("install biodl[assess]")
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from biodl.assess.representation import kmer_features

    y_all = np.asarray(train.y, dtype=np.float64)[:, 0]
    rows = np.flatnonzero(~np.isnan(y_all))
    rng = np.random.default_rng(inputs.seed)
    if len(rows) > max_train:
        rows = np.sort(rng.choice(rows, size=max_train, replace=False))
    if isinstance(task, Binary):
        labels = (y_all[rows] > 0.5).astype(np.int64)
        names = ["0", "1"]
    else:
        labels = y_all[rows].astype(np.int64)
        names = list(inputs.outputs)
    present, labels = np.unique(labels, return_inverse=True)
    counts = np.bincount(labels)
    n_folds = int(min(folds, counts.min())) if len(counts) > 1 else 0
    if n_folds < 2:
        return skipped("fewer than two classes with two examples each in the training split")
    ks = (1, 2) if inputs.alphabet == "protein" else (4,)
    if inputs.is_molecule:
        from biodl.assess.molecules import FP_DESCRIPTION, fingerprint_features

        X: np.ndarray = fingerprint_features([train.sequences[i] for i in rows])
        features = FP_DESCRIPTION
    else:
        X = kmer_features([train.sequences[i] for i in rows], inputs.alphabet, ks=ks)
        features = f"{'+'.join(map(str, ks))}-mer"
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=inputs.seed)
    probs = cross_val_predict(model, X, labels, cv=cv, method="predict_proba")
    # n_jobs=1: no worker processes (a forked pool can hang on locks held by the
    # parent's threads; the ranking is cheap at max_train examples)
    ranked = cl_filter.find_label_issues(
        labels, probs, return_indices_ranked_by="self_confidence", n_jobs=1
    )
    ranked = np.asarray(ranked, dtype=np.int64)
    predicted = probs.argmax(axis=1)
    examples = []
    for i in ranked[:max_examples].tolist():
        examples.append(
            {
                "id": train.ids[int(rows[i])],
                "given": names[int(present[labels[i]])]
                if isinstance(task, Multiclass)
                else str(int(present[labels[i]])),
                "predicted": names[int(present[predicted[i]])]
                if isinstance(task, Multiclass)
                else str(int(present[predicted[i]])),
                "p_given": round(float(probs[i, labels[i]]), 4),
                "p_predicted": round(float(probs[i, predicted[i]]), 4),
            }
        )
    fraction = len(ranked) / len(rows)
    accuracy = float((predicted == labels).mean())
    return {
        "flag": "amber" if fraction >= amber_fraction and accuracy >= min_accuracy else "green",
        "count": len(ranked),
        "fraction": fraction,
        "n": len(rows),
        "model": f"{features} logistic regression, {n_folds}-fold out of fold",
        "model_accuracy": accuracy,
        "examples": examples,
    }


def noise(
    inputs: AssessInputs,
    *,
    near_threshold: float = 0.8,
    k: int | None = None,
    max_examples: int = 50,
    red_fraction: float = 0.01,
    label_model: bool = True,
    folds: int = 5,
    max_train: int = 20000,
    amber_issue_fraction: float = 0.05,
    min_model_accuracy: float = 0.9,
) -> Item:
    """Conflicting labels among copies and likely label errors (see the module docs).

    Parameters
    ----------
    inputs
        The splits.
    near_threshold, k
        k-mer Jaccard threshold (and k) of the near-identical conflicts.
    max_examples
        Examples listed per part.
    red_fraction
        Fraction of examples in conflicting copies that makes the flag red.
    label_model
        Run the confident-learning part (False: ``label_issues`` is not assessed).
    folds, max_train
        Folds and training-example cap of the confident-learning model.
    amber_issue_fraction, min_model_accuracy
        ``label_issues`` is amber when at least this fraction of the training labels
        is flagged and the k-mer model's out-of-fold accuracy is at least this.

    Returns
    -------
    Item
        ``key="noise"``; values ``conflicting_labels`` and ``label_issues``.
    """
    rule = _RULE.format(
        pct=100 * red_fraction, issues=100 * amber_issue_fraction, acc=100 * min_model_accuracy
    )
    if inputs.is_molecule:
        rule = rule.replace("identical or near-identical copies", "identical molecules")
        rule = rule.replace("its k-mer model", "its ECFP4-fingerprint model")
    conflicts = conflicting_labels(
        inputs,
        near_threshold=near_threshold,
        k=k,
        max_examples=max_examples,
        red_fraction=red_fraction,
    )
    issues: dict[str, Any] = (
        label_issues(
            inputs,
            folds=folds,
            max_train=max_train,
            max_examples=max_examples,
            amber_fraction=amber_issue_fraction,
            min_accuracy=min_model_accuracy,
        )
        if label_model
        else {"flag": "not_assessed", "count": 0, "examples": [], "reason": "not requested"}
    )
    flag = worst_flag([conflicts["flag"], issues["flag"]])
    parts = []
    if conflicts["flag"] != "not_assessed" and inputs.is_molecule:
        parts.append(
            f"{conflicts['count']} identical molecules (canonical SMILES) with conflicting labels"
        )
    elif conflicts["flag"] != "not_assessed":
        parts.append(
            f"{conflicts['count']} identical sequences with conflicting labels, "
            f"{conflicts['near']['count']} near-identical pairs with different labels"
        )
    if issues["flag"] != "not_assessed":
        parts.append(
            f"{issues['count']} of {issues['n']} training labels flagged by confident learning"
        )
    summary = ("; ".join(parts) or "Label noise not assessed") + "."
    return Item(
        "noise", flag, rule, summary, {"conflicting_labels": conflicts, "label_issues": issues}
    )
