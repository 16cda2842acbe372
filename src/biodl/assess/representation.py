"""Representation: what each split holds, and whether test looks like train.

:func:`representation` reports, per split, the class balance (counts and fractions per
output or class; value summaries for regression), the length distribution, the GC
content (DNA/RNA) or amino-acid composition (protein), and the counts of each group
(chromosome, source file, species, user groups). Histograms share their bin edges
across splits so they can be drawn on one axis.

Train-vs-test shift is measured by *adversarial validation*: a logistic regression on
k-mer frequencies (3-mers for DNA/RNA, 1- and 2-mers for proteins; standardised) is
asked to tell train from test examples, and its cross-validated AUROC (out-of-fold
scores over stratified folds, with a percentile-bootstrap 95 % interval and the spread
over folds) says how separable they are: about 0.5 when test is drawn like train.
Each split is subsampled to at most ``max_per_split`` examples (seeded).

Molecule runs (:func:`_molecule_representation`) describe each split by heavy atoms per
molecule, Bemis-Murcko scaffolds (distinct, acyclic, shared with train) and the Tanimoto
similarity (ECFP4) of held-out molecules to their nearest training molecule beside that
of training molecules to each other; the adversarial AUROC is computed on size and
composition descriptors (:data:`biodl.assess.molecules.DESCRIPTOR_NAMES`), not on the
fingerprints: a scaffold split holds out whole chemotypes by design, which fingerprints
would always tell apart, while a shift in size or polarity is worth a flag.

Examples
--------
>>> from biodl.testing.assess_data import inputs_from_splits, random_sequences, split_view
>>> train = split_view(random_sequences(60, 40, seed=1), [0, 1] * 30, prefix="r")
>>> test = split_view(random_sequences(60, 40, seed=2, gc=0.8), [0, 1] * 30, prefix="t")
>>> inputs = inputs_from_splits({"train": train, "test": test})
>>> item = representation(inputs, seed=0, n_bootstrap=0)
>>> item.flag, item.values["shift"]["auroc"] > 0.9
('red', True)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.assess._encode import input_kind_of
from biodl.assess.types import AssessInputs, Flag, Item, SplitView, worst_flag
from biodl.io.alphabet import ALPHABETS
from biodl.tasks import Binary, Multiclass

__all__ = ["adversarial_auroc", "kmer_features", "representation"]

_SPLITS = ("train", "valid", "test")
_RULE = (
    "red when the train-vs-test adversarial AUROC exceeds {red:g}; amber when it exceeds "
    "{amber:g} or when the smallest class holds less than {minority:g} % of the training "
    "examples; green otherwise"
)
_FloatArray = npt.NDArray[np.float64]


def _sanitise(sequences: Sequence[str], alphabet: str) -> list[str]:
    """Upper-case, with every letter outside the alphabet turned into N (X for proteins)."""
    unknown = "X" if alphabet == "protein" else "N"
    pattern = re.compile(f"[^{ALPHABETS[alphabet]}]")
    return [pattern.sub(unknown, s.upper()) for s in sequences]


def kmer_features(sequences: Sequence[str], alphabet: str, *, ks: Sequence[int]) -> _FloatArray:
    """k-mer frequencies of each sequence for each k in ``ks``, side by side.

    Letters outside the alphabet are treated as unknown (skipped).

    Returns
    -------
    numpy.ndarray
        ``(N, sum_k C**k)`` float64, each k's block summing to 1 per row (0 for a row
        without a whole k-mer).

    Examples
    --------
    >>> kmer_features(["ACGR", "AAAA"], "dna", ks=[1]).tolist()
    [[0.3333333432674408, 0.3333333432674408, 0.3333333432674408, 0.0], [1.0, 0.0, 0.0, 0.0]]
    """
    from biodl.encode.kmer import kmer_counts

    clean = _sanitise(sequences, alphabet)
    blocks = [
        np.asarray(kmer_counts(clean, k, alphabet=alphabet), dtype=np.float64)  # type: ignore[arg-type]
        for k in ks
    ]
    return np.hstack(blocks) if blocks else np.zeros((len(clean), 0))


def _feature_ks(alphabet: str) -> tuple[int, ...]:
    return (1, 2) if alphabet == "protein" else (3,)


def _subsample(n: int, limit: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    return np.sort(rng.choice(n, size=limit, replace=False)).astype(np.int64)


def adversarial_auroc(
    a: Sequence[str] | npt.NDArray[Any],
    b: Sequence[str] | npt.NDArray[Any],
    *,
    alphabet: str,
    seed: int,
    folds: int = 5,
    max_per_split: int = 5000,
    n_bootstrap: int = 200,
) -> dict[str, Any]:
    """Cross-validated AUROC of a k-mer logistic regression telling ``b`` from ``a``.

    Returns
    -------
    dict
        ``auroc``, ``ci`` (bootstrap 95 %), ``fold_auroc`` (per fold), ``fold_sd``,
        ``n_a``, ``n_b``, ``features``; ``auroc`` None when a side has fewer than
        ``folds`` examples.

    Examples
    --------
    >>> from biodl.testing.assess_data import random_sequences
    >>> r = adversarial_auroc(random_sequences(60, 40, seed=0), random_sequences(60, 40, seed=1),
    ...                       alphabet="dna", seed=0, n_bootstrap=0)
    >>> 0.3 < r["auroc"] < 0.7
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from biodl import metrics

    rng = np.random.default_rng(seed)
    ia = _subsample(len(a), max_per_split, rng)
    ib = _subsample(len(b), max_per_split, rng)
    ks = _feature_ks(alphabet) if alphabet != "matrix" else ()
    out: dict[str, Any] = {
        "auroc": None,
        "ci": None,
        "fold_auroc": [],
        "fold_sd": None,
        "n_a": len(ia),
        "n_b": len(ib),
        "features": (
            "the model's preprocessed features, logistic regression"
            if alphabet == "matrix"
            else f"{'+'.join(map(str, ks))}-mer frequencies, logistic regression"
        ),
    }
    if len(ia) < folds or len(ib) < folds:
        return out
    if alphabet == "matrix":  # rows of features (N, F): the model's own input
        X = np.concatenate(
            [np.asarray(a, dtype=np.float64)[ia], np.asarray(b, dtype=np.float64)[ib]]
        )
    else:
        X = kmer_features([str(a[i]) for i in ia] + [str(b[i]) for i in ib], alphabet, ks=ks)
    y = np.r_[np.zeros(len(ia)), np.ones(len(ib))]
    oof = np.zeros(len(y))
    fold_auc: list[float] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(X, y):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
        model.fit(X[train_idx], y[train_idx])
        oof[test_idx] = model.predict_proba(X[test_idx])[:, 1]
        fold_auc.append(float(metrics.auroc(y[test_idx], oof[test_idx])))
    m = metrics.binary_metrics(y, oof, n_bootstrap=n_bootstrap, seed=seed)["auroc"]
    out.update(
        auroc=m["value"],
        ci=m["ci"],
        fold_auroc=[round(v, 4) for v in fold_auc],
        fold_sd=float(np.std(fold_auc, ddof=1)),
    )
    return out


def _edges(
    values: list[_FloatArray], bins: int, *, lo: float | None = None, hi: float | None = None
) -> _FloatArray:
    pooled = np.concatenate(values) if values else np.zeros(0)
    pooled = pooled[np.isfinite(pooled)]
    a = float(pooled.min()) if lo is None and len(pooled) else (lo or 0.0)
    b = float(pooled.max()) if hi is None and len(pooled) else (hi if hi is not None else 1.0)
    if b <= a:
        b = a + 1.0
    return np.linspace(a, b, bins + 1)


def _histograms(per_split: dict[str, _FloatArray], edges: _FloatArray) -> dict[str, Any]:
    return {
        "edges": [round(float(e), 6) for e in edges],
        "counts": {
            name: np.histogram(v[np.isfinite(v)], bins=edges)[0].tolist()
            for name, v in per_split.items()
        },
    }


def _summary_stats(v: _FloatArray) -> dict[str, float | None]:
    v = v[np.isfinite(v)]
    if not len(v):
        return {"min": None, "median": None, "max": None, "mean": None}
    return {
        "min": float(v.min()),
        "median": float(np.median(v)),
        "max": float(v.max()),
        "mean": float(v.mean()),
    }


def _labels(inputs: AssessInputs, view: SplitView) -> dict[str, Any]:
    task = inputs.task_kind
    y = np.asarray(view.y, dtype=np.float64)
    if isinstance(task, Multiclass):
        col = y[:, 0]
        ok = col[~np.isnan(col)].astype(np.int64)
        counts = np.bincount(ok, minlength=len(inputs.outputs))
        return {
            "counts": {c: int(n) for c, n in zip(inputs.outputs, counts.tolist(), strict=False)},
            "fractions": {
                c: float(n) / max(len(ok), 1)
                for c, n in zip(inputs.outputs, counts.tolist(), strict=False)
            },
            "missing": int(np.isnan(col).sum()),
        }
    if not task.probabilistic:  # values
        return {
            o: {**_summary_stats(y[:, t]), "sd": float(np.nanstd(y[:, t])) if len(y) else None}
            for t, o in enumerate(inputs.outputs)
        }
    out: dict[str, Any] = {}
    for t, o in enumerate(inputs.outputs):
        column = y[:, t]
        known = column[~np.isnan(column)]
        out[o] = {
            "positive": int((known > 0.5).sum()),
            "negative": int((known <= 0.5).sum()),
            "fraction_positive": float((known > 0.5).mean()) if len(known) else None,
            "missing": int(np.isnan(column).sum()),
        }
    return out


def _minority_fraction(inputs: AssessInputs, view: SplitView) -> float | None:
    """Smallest class fraction of a binary/multi-class split (None otherwise)."""
    task = inputs.task_kind
    y = np.asarray(view.y, dtype=np.float64)
    if not task.classification or not len(y):
        return None
    col = y[:, 0]
    col = col[~np.isnan(col)]
    if not len(col):
        return None
    if isinstance(task, Binary):
        p = float((col > 0.5).mean())
        return min(p, 1.0 - p)
    counts = np.bincount(col.astype(np.int64), minlength=len(inputs.outputs))
    return float(counts.min() / counts.sum())


def _composition(inputs: AssessInputs, facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Amino-acid composition (protein) or GC content (DNA/RNA) per split, from the
    input kind's :meth:`~biodl.data.kinds.InputKind.describe` of each split."""
    if inputs.alphabet == "protein":
        letters = ALPHABETS["protein"]
        out: dict[str, Any] = {"letters": list(letters), "per_split": {}}
        for name, described in facts.items():
            out["per_split"][name] = described["composition"]["fractions"]
        return out
    gc: dict[str, _FloatArray] = {name: described["gc"] for name, described in facts.items()}
    return {
        "gc": {name: _summary_stats(v) for name, v in gc.items()},
        "gc_histogram": _histograms(gc, np.linspace(0.0, 1.0, 21)),
    }


def _groups(views: dict[str, SplitView], top: int) -> dict[str, Any]:
    names = sorted({g for v in views.values() for g in v.groups})
    out: dict[str, Any] = {}
    for g in names:
        out[g] = {}
        for split, view in views.items():
            if g not in view.groups:
                continue
            counts = Counter(str(x) for x in np.asarray(view.groups[g]).tolist())
            out[g][split] = {
                "distinct": len(counts),
                "counts": dict(counts.most_common(top)),
            }
    return out


def representation(
    inputs: AssessInputs,
    *,
    seed: int | None = None,
    bins: int = 20,
    max_per_split: int = 5000,
    amber_auroc: float = 0.6,
    red_auroc: float = 0.75,
    minority: float = 0.05,
    top_groups: int = 50,
    n_bootstrap: int = 200,
) -> Item:
    """Class balance, lengths, composition, groups per split, and train-vs-test shift.

    Parameters
    ----------
    inputs
        The splits.
    seed
        Seed of the subsampling, folds and bootstrap (default ``inputs.seed``).
    bins
        Histogram bins of lengths (and regression targets).
    max_per_split
        Examples per split used by the adversarial validation.
    amber_auroc, red_auroc
        Adversarial AUROC above which the flag is amber / red.
    minority
        Smallest class fraction (training split) below which the flag is amber.
    top_groups
        Most frequent values listed per group.
    n_bootstrap
        Bootstrap resamples of the AUROC interval.

    Returns
    -------
    Item
        ``key="representation"``; values ``n``, ``labels``, ``length``
        (``stats`` and ``histogram`` with ``edges`` and per-split ``counts``),
        ``composition``, ``groups``, ``shift`` (:func:`adversarial_auroc` plus ``flag``),
        ``minority_fraction``.
    """
    rng_seed = inputs.seed if seed is None else seed
    views = {name: inputs.splits[name] for name in _SPLITS if name in inputs.splits}
    rule = _RULE.format(red=red_auroc, amber=amber_auroc, minority=100 * minority)
    if not views:
        return Item("representation", "not_assessed", rule, "No split to describe.")
    if inputs.is_matrix:
        return _matrix_representation(
            inputs,
            views,
            rule,
            seed=rng_seed,
            max_per_split=max_per_split,
            amber_auroc=amber_auroc,
            red_auroc=red_auroc,
            minority=minority,
            top_groups=top_groups,
            n_bootstrap=n_bootstrap,
        )
    if inputs.is_molecule:
        return _molecule_representation(
            inputs,
            views,
            rule,
            seed=rng_seed,
            bins=bins,
            max_per_split=max_per_split,
            amber_auroc=amber_auroc,
            red_auroc=red_auroc,
            minority=minority,
            top_groups=top_groups,
            n_bootstrap=n_bootstrap,
        )
    kind = input_kind_of(inputs)
    facts = {n: kind.describe(v.sequences) for n, v in views.items()}
    lengths: dict[str, _FloatArray] = {n: d["length"] for n, d in facts.items()}
    values: dict[str, Any] = {
        "n": {n: len(v) for n, v in views.items()},
        "labels": {n: _labels(inputs, v) for n, v in views.items()},
        "length": {
            "stats": {n: _summary_stats(v) for n, v in lengths.items()},
            "histogram": _histograms(lengths, _edges(list(lengths.values()), bins)),
        },
        "composition": _composition(inputs, facts),
        "groups": _groups(views, top_groups),
    }
    _value_histograms(inputs, views, values, bins)
    flags: list[Flag] = []
    notes: list[str] = []
    if "train" in views and "test" in views:
        shift = adversarial_auroc(
            views["train"].sequences,
            views["test"].sequences,
            alphabet=inputs.alphabet,
            seed=rng_seed,
            max_per_split=max_per_split,
            n_bootstrap=n_bootstrap,
        )
        auc = shift["auroc"]
        sflag = _shift_flag(auc, red_auroc, amber_auroc)
        shift["flag"] = sflag
        flags.append(sflag)
        if auc is not None:
            notes.append(f"train-vs-test adversarial AUROC {auc:.3f}")
    else:
        shift = {"flag": "not_assessed", "reason": "needs a train and a test split"}
    values["shift"] = shift
    _class_balance(inputs, views, values, minority, flags, notes)
    flag = worst_flag(flags)
    sizes = ", ".join(f"{n} {len(v)}" for n, v in views.items())
    summary = f"Examples per split: {sizes}" + ("; " + "; ".join(notes) if notes else "") + "."
    return Item("representation", flag, rule, summary, values)


def _matrix_representation(
    inputs: AssessInputs,
    views: dict[str, SplitView],
    rule: str,
    *,
    seed: int,
    max_per_split: int,
    amber_auroc: float,
    red_auroc: float,
    minority: float,
    top_groups: int,
    n_bootstrap: int,
) -> Item:
    """Representation of an expression-matrix model: class balance, samples, features,
    missing values and value ranges per split (:meth:`MatrixKind.describe
    <biodl.data.kinds.MatrixKind.describe>`), groups (e.g. batch) and the train-vs-test
    adversarial AUROC on the preprocessed features."""
    from biodl.assess._encode import describe_view

    facts = {n: describe_view(inputs, v) for n, v in views.items()}
    means = {n: np.asarray(d["mean"], dtype=np.float64) for n, d in facts.items()}
    values: dict[str, Any] = {
        "n": {n: len(v) for n, v in views.items()},
        "labels": {n: _labels(inputs, v) for n, v in views.items()},
        "features": {
            n: {
                "n_features": d["n_features"],
                "n_distinct": d["n_distinct"],
                "value_range": d["value_range"],
                "sample_mean": _summary_stats(means[n]),
            }
            for n, d in facts.items()
        },
        "length": {"not_applicable": _NOT_MATRIX},
        "composition": {"not_applicable": _NOT_MATRIX + " (no GC or letter composition)"},
        "groups": _groups(views, top_groups),
    }
    flags: list[Flag] = []
    notes: list[str] = []
    if "train" in views and "test" in views:
        shift = adversarial_auroc(
            np.asarray(views["train"].features),
            np.asarray(views["test"].features),
            alphabet="matrix",
            seed=seed,
            max_per_split=max_per_split,
            n_bootstrap=n_bootstrap,
        )
        auc = shift["auroc"]
        sflag = _shift_flag(auc, red_auroc, amber_auroc)
        shift["flag"] = sflag
        flags.append(sflag)
        if auc is not None:
            ci = shift.get("ci")
            interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
            notes.append(f"train-vs-test adversarial AUROC {auc:.3f}{interval}")
    else:
        shift = {"flag": "not_assessed", "reason": "needs a train and a test split"}
    values["shift"] = shift
    _class_balance(inputs, views, values, minority, flags, notes)
    sizes = ", ".join(f"{n} {len(v)}" for n, v in views.items())
    summary = f"Samples per split: {sizes}" + ("; " + "; ".join(notes) if notes else "") + "."
    return Item("representation", worst_flag(flags), rule, summary, values)


_NOT_MATRIX = "not applicable to matrices"
_NOT_MOLECULE = "not applicable to molecules"


def _molecule_representation(
    inputs: AssessInputs,
    views: dict[str, SplitView],
    rule: str,
    *,
    seed: int,
    bins: int,
    max_per_split: int,
    amber_auroc: float,
    red_auroc: float,
    minority: float,
    top_groups: int,
    n_bootstrap: int,
) -> Item:
    """Representation of a molecule model: class balance, heavy atoms per molecule,
    scaffolds and Tanimoto similarity to train per split, groups, and the train-vs-test
    adversarial AUROC on size and composition descriptors (see the module docs)."""
    from biodl.assess._encode import describe_view
    from biodl.assess.molecules import (
        DESCRIPTOR_NAMES,
        FP_DESCRIPTION,
        fingerprint_features,
        molecule_descriptors,
        scaffolds_of,
        tanimoto_nearest,
    )

    facts = {n: describe_view(inputs, v) for n, v in views.items()}
    atoms: dict[str, _FloatArray] = {n: np.asarray(d["atoms"], float) for n, d in facts.items()}
    scaffolds = {n: scaffolds_of(v.sequences) for n, v in views.items()}
    train_scaffolds = {s for s in scaffolds.get("train", []) if s}
    per_split: dict[str, Any] = {}
    for name, d in facts.items():
        entry: dict[str, Any] = {
            "n_distinct_molecules": d["n_distinct"],
            "n_scaffolds": d["n_scaffolds"],
            "acyclic": d["acyclic"],
            "max_degree": d["max_degree"],
        }
        if name != "train" and "train" in views:
            held = scaffolds[name]
            sharing = sum(1 for sc in held if sc and sc in train_scaffolds)
            entry["sharing_train_scaffold"] = sharing
            entry["fraction_sharing_train_scaffold"] = sharing / len(held) if held else None
        per_split[name] = entry
    rng = np.random.default_rng(seed)
    similarity: dict[str, Any] = {"fingerprint": FP_DESCRIPTION, "nearest_train": {}}
    if "train" in views and len(views["train"]) >= 2:
        train_idx = _subsample(len(views["train"]), max_per_split, rng)
        train_fp = fingerprint_features([views["train"].sequences[i] for i in train_idx])
        loo = tanimoto_nearest(train_fp, train_fp, exclude_self=True)
        similarity["nearest_train"]["train"] = _summary_stats(loo)
        for name, view in views.items():
            if name == "train" or not len(view):
                continue
            idx = _subsample(len(view), max_per_split, rng)
            held_fp = fingerprint_features([view.sequences[i] for i in idx])
            similarity["nearest_train"][name] = _summary_stats(tanimoto_nearest(held_fp, train_fp))
        similarity["note"] = (
            "median highest Tanimoto similarity to a training molecule; for train, to "
            "another training molecule (leave-one-out)"
        )
    values: dict[str, Any] = {
        "n": {n: len(v) for n, v in views.items()},
        "labels": {n: _labels(inputs, v) for n, v in views.items()},
        "atoms": {
            "unit": "heavy atoms per molecule",
            "stats": {n: _summary_stats(v) for n, v in atoms.items()},
            "histogram": _histograms(atoms, _edges(list(atoms.values()), bins)),
        },
        "scaffolds": per_split,
        "similarity": similarity,
        "length": {"not_applicable": _NOT_MOLECULE + " (see atoms)"},
        "composition": {"not_applicable": _NOT_MOLECULE + " (see scaffolds and similarity)"},
        "groups": _groups(views, top_groups),
    }
    _value_histograms(inputs, views, values, bins)
    flags: list[Flag] = []
    notes: list[str] = []
    if "train" in views and "test" in views:
        shift = adversarial_auroc(
            molecule_descriptors(views["train"].sequences),
            molecule_descriptors(views["test"].sequences),
            alphabet="matrix",
            seed=seed,
            max_per_split=max_per_split,
            n_bootstrap=n_bootstrap,
        )
        shift["features"] = (
            f"{len(DESCRIPTOR_NAMES)} size and composition descriptors (heavy atoms, "
            "rings, heteroatom fractions, H-bond donors/acceptors, TPSA, logP, ...), "
            "logistic regression"
        )
        shift["descriptors"] = list(DESCRIPTOR_NAMES)
        auc = shift["auroc"]
        sflag = _shift_flag(auc, red_auroc, amber_auroc)
        shift["flag"] = sflag
        flags.append(sflag)
        if auc is not None:
            notes.append(f"train-vs-test adversarial AUROC {auc:.3f} on molecule descriptors")
        med = {n: values["atoms"]["stats"][n]["median"] for n in ("train", "test")}
        if med["train"] is not None and med["test"] is not None:
            notes.append(f"median heavy atoms train {med['train']:g}, test {med['test']:g}")
        share = per_split["test"].get("fraction_sharing_train_scaffold")
        if share is not None:
            notes.append(f"{share:.0%} of test molecules share a training scaffold")
        near = similarity["nearest_train"]
        if near.get("test", {}).get("median") is not None:
            notes.append(
                f"median nearest-training Tanimoto: test {near['test']['median']:.2f}, "
                f"train among itself {near['train']['median']:.2f}"
            )
    else:
        shift = {"flag": "not_assessed", "reason": "needs a train and a test split"}
    values["shift"] = shift
    _class_balance(inputs, views, values, minority, flags, notes)
    sizes = ", ".join(f"{n} {len(v)}" for n, v in views.items())
    summary = f"Molecules per split: {sizes}" + ("; " + "; ".join(notes) if notes else "") + "."
    rule += (
        "; molecules: the adversarial AUROC is on size and composition descriptors "
        "(scaffold overlap and Tanimoto similarity are reported; the leakage item flags them)"
    )
    return Item("representation", worst_flag(flags), rule, summary, values)


def _value_histograms(
    inputs: AssessInputs, views: dict[str, SplitView], values: dict[str, Any], bins: int
) -> None:
    """Per-output histograms of the values of a regression or count task (shared bins
    across the splits), under ``values["labels"]["histograms"]``."""
    if inputs.task_kind.probabilistic:
        return
    for t, o in enumerate(inputs.outputs):
        per = {n: np.asarray(v.y, dtype=np.float64)[:, t] for n, v in views.items()}
        values["labels"].setdefault("histograms", {})[o] = _histograms(
            per, _edges(list(per.values()), bins)
        )


def _class_balance(
    inputs: AssessInputs,
    views: dict[str, SplitView],
    values: dict[str, Any],
    minority: float,
    flags: list[Flag],
    notes: list[str],
) -> None:
    """The smallest training class's share: recorded, flagged amber below ``minority``."""
    minor = _minority_fraction(inputs, views["train"]) if "train" in views else None
    values["minority_fraction"] = minor
    if minor is not None:
        flags.append("amber" if minor < minority else "green")
        notes.append(f"smallest training class {100 * minor:.1f} %")


def _shift_flag(auc: float | None, red_auroc: float, amber_auroc: float) -> Flag:
    """The flag of a train-vs-test adversarial AUROC (``None``: not assessed)."""
    if auc is None:
        return "not_assessed"
    return "red" if auc > red_auroc else "amber" if auc > amber_auroc else "green"
