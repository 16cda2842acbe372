"""Does the model work equally well on every kind of input? (key ``subgroups``)

:func:`subgroups` scores the test split per group, with a percentile-bootstrap interval
of the headline metric for each group, and reports pairs of groups whose intervals do
not overlap. Groupings: a named one (a key of ``SplitView.groups``, e.g. the user's
``--group`` column) or, by default, GC-content tertiles (DNA/RNA), length tertiles
(when lengths vary), and every annotation the split carries (chromosome, source file,
species, ...). Molecule runs group by heavy-atom tertiles and by whether a molecule's
Bemis-Murcko scaffold occurs in training (training scaffold, new scaffold, acyclic)
instead of GC and length.

Expression-matrix runs group samples by a sample annotation (``biodl assess --group
batch``: a column of the labels table, a text column of the matrix or an h5ad ``obs``
column). A grouping named like a batch (a word ``batch``, ``plate``, ``lane``, ``site``,
``center`` or ``centre`` in its name, e.g. ``batch`` or ``seq_batch``) also gets the
**batch-adversarial check** (:func:`batch_effect`), reported here under
``groupings[name]["batch_effect"]``: the cross-validated AUROC of a logistic regression
telling each batch from the others on the model's preprocessed features, over every
split. About 0.5 when the batches look alike; near 1 when the model can see the batch.

Examples
--------
>>> gc_content(["GGCC", "ATGC", "AANN"]).tolist()
[1.0, 0.5, 0.0]
>>> tertile_labels(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), "GC").tolist()
['GC 1-2.67', 'GC 1-2.67', 'GC 2.67-4.33', 'GC 2.67-4.33', 'GC 4.33-6', 'GC 4.33-6']
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.assess._encode import split_logits
from biodl.assess._scoring import metric_value, paired_bootstrap, summarise
from biodl.assess.types import AssessInputs, Flag, Item
from biodl.errors import InputError
from biodl.tasks import Binary, Multiclass, Task

__all__ = [
    "batch_effect",
    "gc_content",
    "group_table",
    "is_batch_column",
    "subgroups",
    "tertile_labels",
]

_BATCH_WORDS = frozenset({"batch", "plate", "lane", "site", "center", "centre"})


def gc_content(sequences: Sequence[str]) -> npt.NDArray[np.float64]:
    """Fraction of G and C (also S) among the known letters (A, C, G, T, U, S, W) of each
    sequence; 0 for a sequence of unknown letters only."""
    out = np.zeros(len(sequences))
    for i, seq in enumerate(sequences):
        s = seq.upper()
        gc = s.count("G") + s.count("C") + s.count("S")
        known = gc + s.count("A") + s.count("T") + s.count("U") + s.count("W")
        out[i] = gc / known if known else 0.0
    return out


def tertile_labels(values: npt.NDArray[np.float64], name: str) -> npt.NDArray[np.str_]:
    """Label each value with its tertile bin ``"<name> lo-hi"`` (edges at the 1/3 and 2/3
    quantiles; equal edges merge bins, so constant values give one bin)."""
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        return np.full(len(values), f"{name} {lo:.3g}")
    edges = sorted({lo, *np.quantile(values, [1 / 3, 2 / 3]).tolist(), hi})
    idx = np.searchsorted(np.asarray(edges[1:-1]), values, side="right")
    names = [f"{name} {edges[i]:.3g}-{edges[i + 1]:.3g}" for i in range(len(edges) - 1)]
    return np.asarray([names[int(i)] for i in idx])


def _groupings(
    inputs: AssessInputs,
    sequences: Sequence[str],
    groups: Mapping[str, np.ndarray],
    group: str | None,
) -> dict[str, np.ndarray]:
    if group is not None:
        if group not in groups:
            known = ", ".join(sorted(groups)) or "none"
            raise InputError(f"no group '{group}' in the test split (groups: {known})")
        return {group: np.asarray(groups[group]).astype(str)}
    out: dict[str, np.ndarray] = {}
    if inputs.is_molecule:
        out.update(_molecule_groupings(inputs, sequences))
    elif inputs.alphabet in ("dna", "rna") and any(sequences):
        out["gc"] = tertile_labels(gc_content(sequences), "GC")
    lengths = np.array([len(s) for s in sequences], dtype=np.float64)
    if not inputs.is_molecule and lengths.size and lengths.min() < lengths.max():
        out["length"] = tertile_labels(lengths, "length")
    for name, labels in groups.items():
        arr = np.asarray(labels).astype(str)
        if len(set(arr.tolist()) - {""}) >= 2:
            out[name] = arr
    return out


def _molecule_groupings(inputs: AssessInputs, smiles: Sequence[str]) -> dict[str, np.ndarray]:
    """Molecules: heavy-atom tertiles (``atoms``) and whether each molecule's
    Bemis-Murcko scaffold occurs in training (``scaffold``: ``training scaffold``,
    ``new scaffold`` or ``acyclic``), the question a scaffold split asks."""
    from biodl.assess.molecules import scaffolds_of
    from biodl.encode.molecules import n_atoms

    out: dict[str, np.ndarray] = {}
    if not len(smiles):
        return out
    atoms = n_atoms(list(smiles)).astype(np.float64)
    if atoms.min() < atoms.max():
        out["atoms"] = tertile_labels(atoms, "atoms")
    train = inputs.splits.get("train")
    if train is not None and len(train):
        known = {sc for sc in scaffolds_of(train.sequences) if sc}
        out["scaffold"] = np.asarray(
            [
                "acyclic" if not sc else "training scaffold" if sc in known else "new scaffold"
                for sc in scaffolds_of(smiles)
            ]
        )
    return out


def _assessable(task: Task, y: np.ndarray, min_size: int) -> str | None:
    """Why a group cannot be scored (too small, one class), or None."""
    if len(y) < min_size:
        return f"fewer than {min_size} examples"
    if isinstance(task, Multiclass):
        if len(np.unique(y[~np.isnan(y)])) < 2:
            return "a single class"
    elif task.probabilistic:  # 0/1 per output: some output needs both classes
        ok = [len(np.unique(c[~np.isnan(c)])) == 2 for c in y.T]
        if not any(ok):
            return "a single class"
    return None


def group_table(
    task: Task,
    y: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    n_boot: int = 1000,
    min_size: int = 20,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """One row per group: ``group``, ``n``, ``n_positive`` (binary), ``value``, ``ci``
    (the ``task``'s headline metric, percentile bootstrap) and ``note`` (why a group is
    not scored).

    Examples
    --------
    >>> y = np.array([[0.0], [1.0]] * 20)
    >>> task = Binary(positive="1", negative="0")
    >>> rows = group_table(task, y, y, np.array(["a"] * 30 + ["b"] * 10), n_boot=10)
    >>> [(r["group"], r["n"], r["value"], r["note"]) for r in rows]
    [('a', 30, 1.0, None), ('b', 10, None, 'fewer than 20 examples')]
    """
    rows: list[dict[str, Any]] = []
    for g in sorted(set(labels.tolist())):
        idx = np.flatnonzero(labels == g)
        yg, sg = y[idx], scores[idx]
        row: dict[str, Any] = {"group": g or "(unknown)", "n": len(idx)}
        if isinstance(task, Binary):
            row["n_positive"] = int(np.nansum(yg[:, 0]))
        why = _assessable(task, yg, min_size)
        row.update({"value": None, "ci": None, "note": why})
        if why is None:
            (samples,) = paired_bootstrap(task, yg, [sg], n_boot=n_boot, seed=seed)
            row.update(summarise(metric_value(task, yg, sg), samples))
        rows.append(row)
    return rows


def is_batch_column(name: str) -> bool:
    """Whether a grouping is named like a technical batch (a word of its name is
    ``batch``, ``plate``, ``lane``, ``site``, ``center`` or ``centre``).

    Examples
    --------
    >>> [is_batch_column(n) for n in ("batch", "Seq_Batch", "sex", "batches")]
    [True, True, False, False]
    """
    import re

    return any(w in _BATCH_WORDS for w in re.split(r"[^a-z0-9]+", name.lower()))


def batch_effect(
    inputs: AssessInputs,
    name: str,
    *,
    amber_auroc: float = 0.75,
    n_bootstrap: int = 200,
    min_size: int = 5,
) -> dict[str, Any]:
    """Batch-adversarial check of a matrix run: can the preprocessed features tell a batch
    from the others?

    Pools the samples of every split with a known value of grouping ``name`` and, for
    each batch of at least ``min_size`` samples, computes the cross-validated AUROC of
    :func:`biodl.assess.representation.adversarial_auroc` (logistic regression on the
    model's preprocessed features) telling it from the other batches (with two batches,
    one comparison).

    Returns
    -------
    dict
        ``batches`` (``batch``, ``n``, ``auroc``, ``ci`` each), ``auroc`` (the largest),
        ``features``, ``flag`` (amber when ``auroc`` > ``amber_auroc``, green otherwise,
        ``not_assessed`` without two batches of ``min_size``) and ``rule``.
    """
    from biodl.assess.representation import adversarial_auroc

    rule = (
        f"amber when a batch is told from the others with cross-validated AUROC > "
        f"{amber_auroc:g} on the preprocessed features (the model can see the batch)"
    )
    out: dict[str, Any] = {"rule": rule, "batches": [], "auroc": None, "flag": "not_assessed"}
    parts_x, parts_g = [], []
    for view in inputs.splits.values():
        if view.features is None or name not in view.groups or not len(view):
            continue
        parts_x.append(np.asarray(view.features, dtype=np.float64))
        parts_g.append(np.asarray(view.groups[name]).astype(str))
    if not parts_x:
        out["reason"] = "needs the preprocessed features of a matrix run"
        return out
    X, g = np.concatenate(parts_x), np.concatenate(parts_g)
    known = g != ""
    X, g = X[known], g[known]
    names, counts = np.unique(g, return_counts=True)
    batches = [str(b) for b, c in zip(names, counts, strict=True) if c >= min_size]
    if len(batches) < 2:
        out["reason"] = f"needs two batches of at least {min_size} samples"
        return out
    if len(batches) == 2 and len(names) == 2:
        batches = batches[:1]  # batch A vs B is B vs A
    for b in batches:
        r = adversarial_auroc(
            X[g != b], X[g == b], alphabet="matrix", seed=inputs.seed, n_bootstrap=n_bootstrap
        )
        out["batches"].append(
            {"batch": b, "n": int((g == b).sum()), "auroc": r["auroc"], "ci": r["ci"]}
        )
        out["features"] = r["features"]
    scored = [r["auroc"] for r in out["batches"] if r["auroc"] is not None]
    if scored:
        out["auroc"] = float(max(scored))
        out["flag"] = "amber" if out["auroc"] > amber_auroc else "green"
    return out


def _separated_pairs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scored = [r for r in rows if r["ci"] is not None]
    pairs = []
    for a, b in itertools.combinations(scored, 2):
        (alo, ahi), (blo, bhi) = a["ci"], b["ci"]
        if ahi < blo or bhi < alo:
            hi, lo = (a, b) if a["value"] > b["value"] else (b, a)
            pairs.append(
                {"better": hi["group"], "worse": lo["group"], "gap": hi["value"] - lo["value"]}
            )
    return sorted(pairs, key=lambda p: -p["gap"])


def subgroups(
    inputs: AssessInputs,
    *,
    group: str | None = None,
    n_boot: int = 1000,
    min_size: int = 20,
    red_gap: float = 0.1,
    batch_auroc: float = 0.75,
) -> Item:
    """Headline metric per subgroup of the test split, with bootstrap intervals.

    Parameters
    ----------
    inputs
        Needs the ``test`` split (``valid`` when there is no test) and the model's
        outputs on it.
    group
        Score only this grouping (a key of ``SplitView.groups``); default: GC tertiles
        (DNA/RNA), length tertiles, and every annotation with two or more values.
    n_boot
        Bootstrap resamples per group.
    min_size
        Groups with fewer examples (or with a single class) are listed as too small.
    red_gap
        Red when two groups with non-overlapping intervals differ by more than this.
    batch_auroc
        Matrix runs: amber when a grouping named like a batch (:func:`is_batch_column`)
        is told apart with a batch-adversarial AUROC above this (:func:`batch_effect`).

    Returns
    -------
    Item
        Key ``subgroups``; values ``metric``, ``split`` and ``groupings``:
        ``{name: {"groups": [rows of group_table], "separated": [{"better", "worse",
        "gap"}]}}``; matrix runs add ``"batch_effect"`` (:func:`batch_effect`) to a
        grouping named like a batch.

    Raises
    ------
    InputError
        If ``group`` names no annotation of the split.
    """
    kind = inputs.task_kind
    metric = kind.headline
    rule = (
        f"amber when two groups' 95 % bootstrap intervals of {metric} do not overlap; red "
        f"when such a pair differs by more than {red_gap:g}; groups of fewer than "
        f"{min_size} examples or a single class are not scored"
    )
    if inputs.is_matrix:
        rule += (
            f"; matrices: amber when a batch column's batch-adversarial AUROC on the "
            f"preprocessed features exceeds {batch_auroc:g}"
        )
    split = "test" if "test" in inputs.splits else "valid"
    view = inputs.splits.get(split)
    logits = split_logits(inputs, split)
    if view is None or logits is None or logits.ndim != 2 or len(view) == 0:
        why = "needs the model's outputs on a test (or valid) split"
        return Item("subgroups", "not_assessed", rule, f"Not assessed: {why}.", {})
    y = np.asarray(view.y, dtype=np.float64)
    scores = inputs.scores(logits)
    groupings = _groupings(inputs, view.sequences, view.groups, group)
    result: dict[str, Any] = {}
    flags: list[Flag] = []
    worst: dict[str, Any] | None = None
    batch: dict[str, Any] | None = None
    for name, labels in groupings.items():
        rows = group_table(
            kind, y, scores, labels, n_boot=n_boot, min_size=min_size, seed=inputs.seed
        )
        pairs = _separated_pairs(rows)
        result[name] = {"groups": rows, "separated": pairs}
        if pairs:
            flags.append("red" if pairs[0]["gap"] > red_gap else "amber")
            if worst is None or pairs[0]["gap"] > worst["gap"]:
                worst = {**pairs[0], "grouping": name}
        elif any(r["ci"] is not None for r in rows):
            flags.append("green")
        if inputs.is_matrix and is_batch_column(name):
            effect = batch_effect(inputs, name, amber_auroc=batch_auroc)
            result[name]["batch_effect"] = effect
            if effect["flag"] != "not_assessed":
                flags.append(effect["flag"])
                if batch is None or effect["auroc"] > batch["auroc"]:
                    batch = {**effect, "grouping": name}
    values = {"metric": metric, "split": split, "n_boot": n_boot, "groupings": result}
    if not flags:
        summary = "Not assessed: no grouping has two groups large enough to score."
        return Item("subgroups", "not_assessed", rule, summary, values)
    flag: Flag = "red" if "red" in flags else "amber" if "amber" in flags else "green"
    if worst is None:
        summary = f"No two groups differ beyond their intervals ({', '.join(result)})."
    else:
        summary = (
            f"{metric} differs by {worst['gap']:.3f} between {worst['better']} and "
            f"{worst['worse']} ({worst['grouping']}), beyond their 95 % intervals."
        )
    if batch is not None:
        seen = "the model can see the batch" if batch["flag"] == "amber" else "batches alike"
        summary += f" Batch-adversarial AUROC {batch['auroc']:.3f} ({batch['grouping']}; {seen})."
    return Item("subgroups", flag, rule, summary, values)
