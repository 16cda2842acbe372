"""Leakage between splits: copies, reverse complements, near copies, homologues, overlaps.

A held-out example that the model (nearly) saw in training measures memory, not
generalisation. :func:`leakage` compares three pairs of splits, *test vs train*,
*valid vs train* and *test vs valid*, with five sub-checks:

``exact``
    Identical sequences, compared case-insensitively (letters for unknown bases such as
    ``N`` count as letters: two sequences that differ only at an ``N`` are not exact
    copies, but they are near duplicates, since k-mers holding ``N`` are skipped).
``reverse_complement``
    DNA/RNA: a held-out sequence equal to the reverse complement of a reference one
    (and not an exact copy of another). ``not_assessed`` for proteins.
``near_duplicate``
    Jaccard similarity of the k-mer sets at least ``near_threshold`` (default 0.5 with
    8-mers for DNA/RNA, 3-mers for proteins; canonical k-mers for DNA/RNA, so reverse-
    complement near copies count), found by MinHash and LSH banding
    (:mod:`biodl.data.homology.minhash`) and verified exactly; pairs already counted as exact
    or reverse-complement copies are left out. For 8-mers, a Jaccard of 0.5 is reached
    by a copy with about 5 % substitutions or by two windows overlapping by two thirds.
    Each example also gives ``identity``, the Mash estimate ``1 + ln(2J / (1 + J)) / k``.
``homology``
    Proteins only: test (valid) proteins with a training (validation) protein at
    ``homology_identity`` or more over 80 % coverage, by
    :func:`biodl.data.homology.nearest_identities` (MMseqs2 when on ``PATH``, else the
    Biopython path for small sets); ``max_identity`` is the largest identity.
``intervals``
    When genomic intervals are known: held-out intervals overlapping a reference one
    by at least one base.

``clean_test_ids`` lists the test examples free of every leak, against train and
valid; with test logits, ``clean_metrics`` gives the metrics on all of the test set
and on that clean subset. ``redundancy`` counts rows that copy an earlier row (exact,
or reverse complement for DNA/RNA) within each split and over all splits together.

Examples
--------
>>> from biodl.testing.assess_data import inputs_from_splits, split_view
>>> train = split_view(["ACGTACGTTAGC", "GGGCCCAAATTT"], [1, 0], prefix="r")
>>> test = split_view(["acgtacgttagc", "TTTAAAGGGCCC"], [1, 0], prefix="t")
>>> item = leakage(inputs_from_splits({"train": train, "test": test}))
>>> item.flag, item.values["exact"]["count"], item.values["clean_test_ids"]
('red', 1, ['t1'])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.assess.types import AssessInputs, Flag, Item, SplitView, worst_flag
from biodl.data.homology import Method
from biodl.data.homology.minhash import Sketch, default_k, near_pairs, reverse_complement, sketch
from biodl.errors import BiodlError

__all__ = ["PAIRS", "clean_metrics", "leakage"]

PAIRS: tuple[tuple[str, str], ...] = (("test", "train"), ("valid", "train"), ("test", "valid"))
"""Pairs of splits compared: (held-out split, reference split)."""
_PYTHON_HOMOLOGY_MAX = 200

_RULE = (
    "red when any test example is an exact or reverse-complement copy of a train/valid "
    "example, or when at least {pct:g} % of test examples leak by any sub-check; amber when "
    "any example leaks (including valid vs train) or at least {pct:g} % of rows within the "
    "data are copies; green otherwise"
)


def _key(seq: str, rc: bool) -> str:
    s = seq.upper()
    return min(s, reverse_complement(s)) if rc else s


def _exact_matches(
    held: SplitView, ref: SplitView, *, rc: bool
) -> tuple[dict[int, int], dict[int, int]]:
    """Held-out rows with an identical (and, with ``rc``, a reverse-complement) reference row.

    Returns ``{held row: first reference row}`` for exact copies and for reverse-complement
    copies that are not exact copies.
    """
    first: dict[str, int] = {}
    for j, s in enumerate(ref.sequences):
        first.setdefault(s.upper(), j)
    exact: dict[int, int] = {}
    revcomp: dict[int, int] = {}
    for i, s in enumerate(held.sequences):
        u = s.upper()
        hit = first.get(u)
        if hit is not None:
            exact[i] = hit
        elif rc:
            hit = first.get(reverse_complement(u))
            if hit is not None:
                revcomp[i] = hit
    return exact, revcomp


def _interval_matches(held: SplitView, ref: SplitView) -> dict[int, int]:
    """Held-out rows whose interval overlaps a reference interval: ``{row: ref row}``."""
    if held.intervals is None or ref.intervals is None:
        return {}
    by_chrom: dict[str, list[tuple[int, int, int]]] = {}
    for j, (chrom, start, end) in enumerate(ref.intervals):
        by_chrom.setdefault(chrom, []).append((start, end, j))
    index: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[int]]] = {}
    for chrom, rows in by_chrom.items():
        rows.sort()
        starts = np.array([r[0] for r in rows], dtype=np.int64)
        ends = np.array([r[1] for r in rows], dtype=np.int64)
        index[chrom] = (starts, np.maximum.accumulate(ends), [r[2] for r in rows])
    out: dict[int, int] = {}
    for i, (chrom, start, end) in enumerate(held.intervals):
        if chrom not in index:
            continue
        starts, max_end, rows_j = index[chrom]
        n = int(np.searchsorted(starts, end, side="left"))  # reference starts < end
        if n and max_end[n - 1] > start:
            k = int(np.argmax(max_end[:n] > start))  # first one reaching past start
            out[i] = rows_j[k]
    return out


def _mash_identity(jaccard: float, k: int) -> float:
    if jaccard <= 0:
        return 0.0
    return max(0.0, 1.0 + math.log(2.0 * jaccard / (1.0 + jaccard)) / k)


def _sub_flag(
    n_test: int, n_other: int, n_test_total: int, *, fraction: float, strict: bool
) -> Flag:
    """Red for test leaks (any when ``strict``, else at least ``fraction``), amber for any."""
    if n_test and (strict or n_test >= fraction * max(n_test_total, 1)):
        return "red"
    if n_test or n_other:
        return "amber"
    return "green"


class _Collector:
    """Leaking rows and examples of one sub-check over the pairs of splits."""

    def __init__(self) -> None:
        self.rows: dict[str, set[int]] = {}
        self.examples: list[dict[str, Any]] = []
        self.by_pair: dict[str, dict[str, Any]] = {}

    def add(
        self,
        pair: tuple[str, str],
        held: SplitView,
        ref: SplitView,
        matches: Mapping[int, int],
        similarity: Mapping[int, float] | None = None,
        extra: Mapping[int, dict[str, Any]] | None = None,
    ) -> None:
        name = f"{pair[0]}-{pair[1]}"
        self.rows.setdefault(pair[0], set()).update(matches)
        self.by_pair[name] = {
            "count": len(matches),
            "fraction": len(matches) / max(len(held), 1),
        }
        for i in sorted(matches):
            entry: dict[str, Any] = {
                "pair": name,
                "test_id": held.ids[i],
                "train_id": ref.ids[matches[i]],
                "similarity": 1.0 if similarity is None else round(float(similarity[i]), 4),
            }
            if extra is not None and i in extra:
                entry.update(extra[i])
            self.examples.append(entry)

    def result(
        self, n_test: int, *, fraction: float, strict: bool, max_examples: int
    ) -> dict[str, Any]:
        test_rows = self.rows.get("test", set())
        other = sum(len(v) for k, v in self.rows.items() if k != "test")
        return {
            "flag": _sub_flag(len(test_rows), other, n_test, fraction=fraction, strict=strict),
            "count": sum(p["count"] for p in self.by_pair.values()),
            "test_count": len(test_rows),
            "test_fraction": len(test_rows) / max(n_test, 1),
            "by_pair": self.by_pair,
            "examples": sorted(self.examples, key=lambda e: -e["similarity"])[:max_examples],
        }


def _not_assessed(reason: str) -> dict[str, Any]:
    return {"flag": "not_assessed", "count": 0, "examples": [], "reason": reason}


def _redundancy(
    splits: Mapping[str, SplitView], *, rc: bool, fraction: float, max_examples: int
) -> dict[str, Any]:
    """Rows that copy an earlier row, within each split and over all splits."""
    within: dict[str, int] = {}
    seen_all: dict[str, tuple[str, str]] = {}
    seen_exact: set[str] = set()
    pooled = 0
    pooled_exact = 0
    examples: list[dict[str, Any]] = []
    total = 0
    for name in ("train", "valid", "test"):
        if name not in splits:
            continue
        view = splits[name]
        seen: set[str] = set()
        within[name] = 0
        for i, s in enumerate(view.sequences):
            key = _key(s, rc)
            upper = s.upper()
            total += 1
            if upper in seen_exact:
                pooled_exact += 1
            seen_exact.add(upper)
            if key in seen:
                within[name] += 1
            seen.add(key)
            if key in seen_all:
                pooled += 1
                if len(examples) < max_examples:
                    first_split, first_id = seen_all[key]
                    examples.append(
                        {
                            "id": view.ids[i],
                            "split": name,
                            "copy_of": first_id,
                            "copy_of_split": first_split,
                        }
                    )
            else:
                seen_all[key] = (name, view.ids[i])
    flag: Flag = "amber" if pooled and pooled >= fraction * max(total, 1) else "green"
    return {
        "flag": flag,
        "count": pooled,
        "exact_copies": pooled_exact,
        "reverse_complement_copies": pooled - pooled_exact,
        "fraction": pooled / max(total, 1),
        "within_split": within,
        "distinct": len(seen_all),
        "examples": examples,
    }


def clean_metrics(
    inputs: AssessInputs,
    clean_ids: Sequence[str],
    *,
    n_bootstrap: int = 200,
) -> dict[str, Any] | None:
    """Test metrics on all test examples and on the ``clean_ids`` subset (None without logits).

    Uses the task's metrics (:meth:`biodl.tasks.Task.metrics`); a subset on which a
    metric cannot be computed gets ``{"error": message}``.

    Examples
    --------
    >>> from biodl.testing.assess_data import inputs_from_splits, split_view
    >>> test = split_view(["AC", "GG", "TT", "CA"], [1, 0, 1, 0], prefix="t",
    ...                   logits=[[2.0], [-1.0], [-0.5], [0.5]])
    >>> m = clean_metrics(inputs_from_splits({"test": test}), ["t1", "t2", "t3"], n_bootstrap=0)
    >>> m["all"]["auroc"]["value"], m["clean"]["auroc"]["value"], m["n_clean"]
    (0.75, 0.5, 3)
    """
    test = inputs.splits.get("test")
    if test is None or test.logits is None:
        return None
    kind = inputs.task_kind
    scores = kind.scores(np.asarray(test.logits, dtype=np.float64))
    y = np.asarray(test.y, dtype=np.float64)
    # one class label per example (column 0), or the value matrix
    truth = y[:, 0] if kind.classification else y
    keep = {s: i for i, s in enumerate(test.ids)}
    clean_rows = np.array(sorted(keep[s] for s in clean_ids if s in keep), dtype=np.int64)

    def compute(rows: npt.NDArray[np.int64]) -> dict[str, Any]:
        yr, sr = truth[rows], scores[rows]
        if kind.classification:  # examples without a label are left out
            ok = ~np.isnan(yr)
            yr, sr = yr[ok].astype(np.int64), sr[ok]
        try:
            return kind.metrics(yr, sr, n_bootstrap=n_bootstrap, ci=0.95, seed=inputs.seed)
        except (BiodlError, ValueError) as exc:
            return {"error": str(exc)}

    return {
        "n_all": len(test),
        "n_clean": len(clean_rows),
        "all": compute(np.arange(len(test), dtype=np.int64)),
        "clean": compute(clean_rows),
    }


def _homology(
    inputs: AssessInputs,
    pairs: list[tuple[str, str]],
    *,
    identity: float,
    coverage: float,
    method: Method,
) -> tuple[_Collector, float] | str:
    """Homology collector and max identity, or the reason it could not run."""
    from biodl.data.homology import nearest_identities

    collector = _Collector()
    max_identity = 0.0
    for pair in pairs:
        held, ref = inputs.splits[pair[0]], inputs.splits[pair[1]]
        engine = method
        if engine == "auto" and len(held) + len(ref) <= _PYTHON_HOMOLOGY_MAX:
            engine = "python"  # faster than starting MMseqs2 on a handful of proteins
        try:
            best, which = nearest_identities(
                list(held.sequences),
                list(ref.sequences),
                identity=identity,
                coverage=coverage,
                method=engine,
            )
        except (BiodlError, ModuleNotFoundError, OSError) as exc:
            return f"homology search failed: {exc}"
        if len(best):
            max_identity = max(max_identity, float(best.max()))
        hit = np.flatnonzero((best >= identity) & (which >= 0))
        matches = {int(i): int(which[i]) for i in hit}
        collector.add(pair, held, ref, matches, similarity={int(i): float(best[i]) for i in hit})
    return collector, max_identity


def leakage(
    inputs: AssessInputs,
    *,
    k: int | None = None,
    near_threshold: float = 0.5,
    homology_identity: float = 0.3,
    homology_coverage: float = 0.8,
    homology_method: Method = "auto",
    max_examples: int = 20,
    num_perm: int = 128,
    red_fraction: float = 0.01,
    metrics_bootstrap: int = 200,
) -> Item:
    """Audit leakage between the splits of ``inputs`` (see the module documentation).

    Parameters
    ----------
    inputs
        The splits; at least two of train, valid, test are needed.
    k
        k-mer length of the near-duplicate search (default 8 for DNA/RNA, 3 for proteins,
        longer for long sequences: :func:`biodl.data.homology.minhash.default_k`).
    near_threshold
        k-mer Jaccard at and above which two sequences are near duplicates.
    homology_identity, homology_coverage
        Proteins: identity and coverage that make a training protein a homologue.
    homology_method
        Engine of :func:`biodl.data.homology.nearest_identities`; ``"auto"`` uses the
        Biopython path for up to 200 proteins (both splits together), else MMseqs2 when
        it is on ``PATH``.
    max_examples
        Examples listed per sub-check (the most similar first).
    num_perm
        MinHash signature length.
    red_fraction
        Fraction of leaking test examples that turns a sub-check red.
    metrics_bootstrap
        Bootstrap resamples of ``clean_metrics``.

    Returns
    -------
    Item
        ``key="leakage"``; values ``exact``, ``reverse_complement``, ``near_duplicate``,
        ``homology``, ``intervals`` (each ``{flag, count, test_count, test_fraction,
        by_pair, examples}``), ``redundancy``, ``clean_test_ids``, ``n_test``,
        ``clean_metrics`` (or None), ``k``, ``near_threshold``, ``pairs_checked``.
        Molecule runs: :func:`biodl.assess.molecules.molecule_leakage` of the splits'
        canonical SMILES (identical molecules, shared Bemis-Murcko scaffolds, Tanimoto
        nearest neighbours of valid/test in train).
    """
    splits = inputs.splits
    pairs = [p for p in PAIRS if p[0] in splits and p[1] in splits]
    rule = _RULE.format(pct=100 * red_fraction)
    if inputs.is_matrix:
        return _matrix_leakage(
            inputs,
            pairs,
            max_examples=max_examples,
            red_fraction=red_fraction,
            metrics_bootstrap=metrics_bootstrap,
        )
    if inputs.is_molecule:  # molecules: identity, scaffolds and Tanimoto similarity
        from biodl.assess.molecules import molecule_leakage

        return molecule_leakage({name: list(view.sequences) for name, view in splits.items()})
    if not pairs:
        return Item("leakage", "not_assessed", rule, "Fewer than two splits: nothing to compare.")
    nucleic = inputs.alphabet in ("dna", "rna")
    longest = max((len(q) for view in splits.values() for q in view.sequences), default=0)
    kk = default_k(inputs.alphabet, longest) if k is None else k
    n_test = len(splits["test"]) if "test" in splits else 0

    exact, revcomp, near, intervals = _Collector(), _Collector(), _Collector(), _Collector()
    sketches: dict[str, Sketch] = {}

    def get_sketch(name: str) -> Sketch:
        if name not in sketches:
            sketches[name] = sketch(
                splits[name].sequences,
                k=kk,
                num_perm=num_perm,
                alphabet=inputs.alphabet,  # type: ignore[arg-type]
                seed=inputs.seed,
            )
        return sketches[name]

    has_intervals = False
    for pair in pairs:
        held, ref = splits[pair[0]], splits[pair[1]]
        ex, rc = _exact_matches(held, ref, rc=nucleic)
        exact.add(pair, held, ref, ex)
        if nucleic:
            revcomp.add(pair, held, ref, rc)
        np_ = near_pairs(get_sketch(pair[0]), get_sketch(pair[1]), threshold=near_threshold)
        best: dict[int, tuple[int, float]] = {}
        ref_keys = [_key(s, nucleic) for s in ref.sequences] if len(np_.query) else []
        for q, t, j in zip(
            np_.query.tolist(), np_.target.tolist(), np_.jaccard.tolist(), strict=True
        ):
            if _key(held.sequences[q], nucleic) == ref_keys[t]:
                continue  # an exact or reverse-complement copy, counted above
            if q not in best or j > best[q][1]:
                best[q] = (t, j)
        near.add(
            pair,
            held,
            ref,
            {q: t for q, (t, _) in best.items()},
            similarity={q: j for q, (_, j) in best.items()},
            extra={q: {"identity": round(_mash_identity(j, kk), 4)} for q, (_, j) in best.items()},
        )
        if held.intervals is not None and ref.intervals is not None:
            has_intervals = True
            intervals.add(pair, held, ref, _interval_matches(held, ref))

    opts = {"fraction": red_fraction, "max_examples": max_examples}
    values: dict[str, Any] = {
        "exact": exact.result(n_test, strict=True, **opts),  # type: ignore[arg-type]
        "reverse_complement": (
            revcomp.result(n_test, strict=True, **opts)  # type: ignore[arg-type]
            if nucleic
            else _not_assessed("reverse complements apply to DNA/RNA only")
        ),
        "near_duplicate": near.result(n_test, strict=False, **opts),  # type: ignore[arg-type]
    }
    collectors = [exact, revcomp, near]
    if inputs.alphabet == "protein":
        hom = _homology(
            inputs,
            pairs,
            identity=homology_identity,
            coverage=homology_coverage,
            method=homology_method,
        )
        if isinstance(hom, str):
            values["homology"] = _not_assessed(hom)
        else:
            values["homology"] = hom[0].result(n_test, strict=False, **opts)  # type: ignore[arg-type]
            values["homology"]["max_identity"] = round(hom[1], 4)
            values["homology"]["identity_threshold"] = homology_identity
            collectors.append(hom[0])
    else:
        values["homology"] = _not_assessed("homology search applies to proteins only")
    if has_intervals:
        values["intervals"] = intervals.result(n_test, strict=False, **opts)  # type: ignore[arg-type]
        collectors.append(intervals)
    else:
        values["intervals"] = _not_assessed("no genomic intervals")
    values["redundancy"] = _redundancy(
        splits, rc=nucleic, fraction=red_fraction, max_examples=max_examples
    )

    leaking: set[int] = set()
    for c in collectors:
        leaking |= c.rows.get("test", set())
    clean = [s for i, s in enumerate(splits["test"].ids) if i not in leaking] if n_test else []
    values["clean_test_ids"] = clean
    values["n_test"] = n_test
    values["clean_metrics"] = (
        clean_metrics(inputs, clean, n_bootstrap=metrics_bootstrap) if n_test else None
    )
    values["k"] = kk
    values["near_threshold"] = near_threshold
    values["pairs_checked"] = [f"{a}-{b}" for a, b in pairs]

    flag = worst_flag(
        [
            values[name]["flag"]
            for name in (
                "exact",
                "reverse_complement",
                "near_duplicate",
                "homology",
                "intervals",
                "redundancy",
            )
        ]
    )
    summary = _summary(values, n_test)
    return Item("leakage", flag, rule, summary, values)


def _summary(values: Mapping[str, Any], n_test: int) -> str:
    parts = []
    for name, label in (
        ("exact", "exact copies"),
        ("reverse_complement", "reverse-complement copies"),
        ("near_duplicate", "near duplicates"),
        ("homology", "homologues"),
        ("intervals", "overlapping intervals"),
    ):
        sub = values[name]
        if sub["flag"] != "not_assessed" and sub.get("test_count"):
            parts.append(f"{sub['test_count']} {label}")
    if not parts:
        head = "No test example leaks from train or valid"
    else:
        head = "Test examples with a train/valid counterpart: " + ", ".join(parts)
    return f"{head}; {len(values['clean_test_ids'])} of {n_test} test examples are leak-free."


_MATRIX_RULE = (
    "red when any test sample duplicates a train/valid sample (identical values of every "
    "feature the model reads) or the feature selection was not fitted on the training "
    "split alone; amber when any sample leaks (including valid vs train) or at least "
    "{pct:g} % of rows are duplicates; green otherwise"
)
_NOT_MATRIX = "not applicable to matrices"


def _row_keys(view: SplitView) -> SplitView:
    """``view`` with each sample's values as its "sequence" (bytes as hex): identical
    rows have identical keys, so the sequence comparisons count duplicate samples."""
    import dataclasses

    X = np.ascontiguousarray(np.asarray(view.features, dtype=np.float32))
    X = np.where(X == 0, np.float32(0), X)  # -0.0 and 0.0 are the same value
    return dataclasses.replace(view, sequences=tuple(r.tobytes().hex() for r in X))


def _selection(inputs: AssessInputs) -> dict[str, Any]:
    """Where the preprocessing (feature selection, standardisation) was fitted."""
    block = inputs.meta.get("matrix") if isinstance(inputs.meta, Mapping) else None
    block = block if isinstance(block, Mapping) else {}
    fitted_on = block.get("fitted_on")
    steps = block.get("steps") or []
    names = [next(iter(s)) if isinstance(s, Mapping) else str(s) for s in steps]
    supervised = [n for n in names if n in ("select", "variance")]
    train = inputs.splits.get("train")
    n_fit = None
    if isinstance(fitted_on, str):
        digits = "".join(c if c.isdigit() else " " for c in fitted_on).split()
        n_fit = int(digits[0]) if digits else None
    inside = isinstance(fitted_on, str) and fitted_on.startswith("train")
    matches = train is not None and n_fit is not None and n_fit == len(train)
    flag: Flag = "green" if inside and matches else "red" if fitted_on else "amber"
    if not names:
        flag = "green"
    return {
        "flag": flag,
        "count": 0 if flag == "green" else 1,
        "examples": [],
        "fitted_on": fitted_on,
        "steps": names,
        "selection_steps": supervised,
        "n_train": None if train is None else len(train),
        "note": (
            "the preprocessing (selection and standardisation) was fitted inside the "
            f"training split ({fitted_on}); valid and test samples never chose features"
            if flag == "green"
            else "the preprocessing was not recorded as fitted on this training split alone: "
            f"fitted on {fitted_on or 'unknown'}"
        ),
    }


def _matrix_leakage(
    inputs: AssessInputs,
    pairs: Sequence[tuple[str, str]],
    *,
    max_examples: int,
    red_fraction: float,
    metrics_bootstrap: int,
) -> Item:
    """Leakage between the splits of an expression-matrix model: duplicate samples
    across splits (identical preprocessed rows), duplicates within the data, and where
    the preprocessing was fitted."""
    rule = _MATRIX_RULE.format(pct=100 * red_fraction)
    splits = {n: _row_keys(v) for n, v in inputs.splits.items() if v.features is not None}
    n_test = len(splits["test"]) if "test" in splits else 0
    exact = _Collector()
    for pair in pairs:
        held, ref = splits[pair[0]], splits[pair[1]]
        exact.add(pair, held, ref, _exact_matches(held, ref, rc=False)[0])
    opts = {"fraction": red_fraction, "max_examples": max_examples}
    values: dict[str, Any] = {
        "exact": (
            exact.result(n_test, strict=True, **opts)  # type: ignore[arg-type]
            if pairs
            else _not_assessed("fewer than two splits: nothing to compare")
        ),
        "reverse_complement": _not_assessed(_NOT_MATRIX),
        "near_duplicate": _not_assessed(_NOT_MATRIX + " (identical samples are exact copies)"),
        "homology": _not_assessed(_NOT_MATRIX),
        "intervals": _not_assessed(_NOT_MATRIX),
    }
    redundancy = _redundancy(splits, rc=False, fraction=red_fraction, max_examples=max_examples)
    redundancy.pop("reverse_complement_copies", None)
    values["redundancy"] = redundancy
    values["selection"] = _selection(inputs)
    leaking = exact.rows.get("test", set())
    clean = [s for i, s in enumerate(splits["test"].ids) if i not in leaking] if n_test else []
    values["clean_test_ids"] = clean
    values["n_test"] = n_test
    values["clean_metrics"] = (
        clean_metrics(inputs, clean, n_bootstrap=metrics_bootstrap) if n_test else None
    )
    values["pairs_checked"] = [f"{a}-{b}" for a, b in pairs]
    values["compared"] = "samples with identical values of every feature the model reads"
    flag = worst_flag([values[n]["flag"] for n in ("exact", "redundancy", "selection")])
    test_dups = values["exact"].get("test_count", 0)
    summary = (
        f"{test_dups} of {n_test} test samples duplicate a train/valid sample; "
        f"{redundancy['count']} duplicate rows over all splits; "
        + values["selection"]["note"]
        + "."
    )
    return Item("leakage", flag, rule, summary, values)
