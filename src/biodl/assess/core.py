"""Run the fitness-for-use checks and write the assessment folder.

:func:`assess` runs every check on one :class:`AssessInputs` and returns an
:class:`Assessment`; :func:`biodl.report.write_assessment` writes it as a folder, atomically
(``OUT.partial`` first, renamed when complete).

``assessment.json`` schema (``schema_version`` 1)
--------------------------------------------------

One JSON object::

    {
      "schema_version": 1,
      "biodl_version": "0.1.0",
      "created": "2026-11-21T08:15:00+00:00",     # when the assessment was made (UTC)
      "model": {"run_dir": ..., "architecture": ..., "task": ..., "alphabet": ...,
                "outputs": [...], "n_parameters": ..., "trained": ...},
      "overall": "amber",                         # the worst flag of the items
      "order": ["data_quantity", ..., "provenance"],
      "data_quantity": {ITEM}, "leakage": {ITEM}, "representation": {ITEM},
      "noise": {ITEM}, "baseline": {ITEM}, "calibration": {ITEM},
      "subgroups": {ITEM}, "applicability": {ITEM}, "compute": {ITEM},
      "privacy": {ITEM}, "provenance": {ITEM},
      "overview": {...},                          # per-split counts, lengths, GC (plots);
                                                  # molecules: heavy atoms ("atoms")
      "timings": {"leakage": 1.2, ...}            # seconds per check
    }

where every ``{ITEM}`` is ``{"flag": "green"|"amber"|"red"|"not_assessed", "rule": the
stated rule that turns the values into the flag, "summary": one plain sentence, ...values}``
(:meth:`biodl.assess.Item.to_json`). A sub-check with its own flag (``leakage.exact``,
``leakage.reverse_complement``, ``leakage.near_duplicate``, ``leakage.homology``,
``leakage.intervals``, ``noise.conflicting_labels``, ``noise.label_issues``,
``privacy.membership``, ``privacy.storage``) is a nested
object with at least ``flag``, ``count`` and ``examples``. A check that could not run is
``not_assessed`` and its ``summary`` says why; no value is ever made up. Without sequence
content (``data.encoding: cpg``) the sequence checks (:data:`SEQUENCE_CHECKS`) are
``not_assessed``. ``applicability.rows`` holds at most :data:`MAX_JSON_ROWS` rows
(``rows_total`` then gives the count; ``applicability.tsv`` has every row).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from biodl.assess.types import AssessInputs, Flag, Item, worst_flag
from biodl.progress import note, step
from biodl.tasks import Binary, Multiclass, Multilabel

__all__ = [
    "ITEM_ORDER",
    "MATRIX_NOT_APPLICABLE",
    "MAX_JSON_ROWS",
    "SCHEMA_VERSION",
    "SEQUENCE_CHECKS",
    "Assessment",
    "Check",
    "assess",
    "available_checks",
]

SCHEMA_VERSION = 1

#: ``applicability.rows`` beyond this many are left out of ``assessment.json``
#: (``rows_total`` says how many there are; ``applicability.tsv`` has them all).
MAX_JSON_ROWS = 1000

#: The items of an assessment, in the order they are reported.
ITEM_ORDER: tuple[str, ...] = (
    "data_quantity",
    "leakage",
    "representation",
    "noise",
    "baseline",
    "calibration",
    "subgroups",
    "applicability",
    "compute",
    "privacy",
    "provenance",
)

#: Checks that compare sequence content; without sequences (``data.encoding: cpg``,
#: whose inputs are CpG neighbourhoods) they are ``not_assessed``.
SEQUENCE_CHECKS: tuple[str, ...] = ("leakage", "noise")

#: Checks that do not apply to expression-matrix models, and why (``not_assessed``).
MATRIX_NOT_APPLICABLE: Mapping[str, str] = {
    "noise": (
        "Not applicable to matrices: label conflicts are counted between identical "
        "sequences (duplicate samples are reported by the leakage item)."
    ),
}

#: A check bound to its options: ``check(inputs) -> Item``.
Check = Callable[[AssessInputs], Item]

#: Where each check lives: ``(module, function)`` under ``biodl.assess``.
_CHECK_SOURCES: Mapping[str, tuple[str, str]] = {
    "data_quantity": ("quantity", "data_quantity"),
    "leakage": ("leakage", "leakage"),
    "representation": ("representation", "representation"),
    "noise": ("noise", "noise"),
    "baseline": ("baseline", "baseline"),
    "calibration": ("calibration", "calibration"),
    "subgroups": ("subgroups", "subgroups"),
    "applicability": ("applicability", "applicability"),
    "compute": ("compute", "compute"),
    "privacy": ("privacy", "privacy"),
}


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`assess`: one :class:`Item` per check, in :data:`ITEM_ORDER`.

    Attributes
    ----------
    items
        The eleven items, in :data:`ITEM_ORDER`.
    model
        What was assessed (run directory, architecture, task, outputs, ...).
    created
        ISO 8601 UTC time of the assessment.
    biodl_version
        Version of biodl that made it.
    overview
        Per-split data for the report's plots: counts per class/output, sequence
        lengths and GC histograms.
    timings
        Seconds each check took.
    """

    items: tuple[Item, ...]
    model: Mapping[str, Any] = field(default_factory=dict)
    created: str = ""
    biodl_version: str = ""
    overview: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def overall(self) -> Flag:
        """The most severe flag of the items (red > amber > green > not_assessed)."""
        return worst_flag([item.flag for item in self.items])

    def item(self, key: str) -> Item:
        """The item called ``key``.

        Raises
        ------
        KeyError
            If there is no such item.
        """
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def to_json(self) -> dict[str, Any]:
        """The content of ``assessment.json`` (see the module docstring)."""
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "biodl_version": self.biodl_version,
            "created": self.created,
            "model": dict(self.model),
            "overall": self.overall,
            "order": [item.key for item in self.items],
        }
        for item in self.items:
            entry = item.to_json()
            rows = entry.get("rows")
            if (
                item.key == "applicability"
                and isinstance(rows, list | tuple)
                and len(rows) > MAX_JSON_ROWS
            ):  # all the rows are in applicability.tsv
                entry = {**entry, "rows": list(rows[:MAX_JSON_ROWS]), "rows_total": len(rows)}
            out[item.key] = _jsonable(entry)
        out["overview"] = _jsonable(dict(self.overview))
        out["timings"] = {k: round(float(v), 3) for k, v in self.timings.items()}
        return out


def _jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars/arrays, tuples and paths made JSON-serialisable."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _not_assessed(key: str, why: str) -> Item:
    return Item(key=key, flag="not_assessed", rule="not assessed", summary=why, values={})


def available_checks(
    *,
    group: str | None = None,
    learning_curve: Mapping[str, Any] | None = None,
) -> dict[str, Check]:
    """The checks of this installation, bound to their options; provenance excluded.

    A check whose module is missing is left out (:func:`assess` then reports it as
    ``not_assessed``).

    Parameters
    ----------
    group
        Group name for the subgroup check (a key of ``SplitView.groups``).
    learning_curve
        A learning curve already computed (``biodl.assess.quantity.learning_curve``),
        shown by the data-quantity item.

    Examples
    --------
    >>> "provenance" in available_checks()
    False
    """
    import importlib

    out: dict[str, Check] = {}
    for key, (module_name, func_name) in _CHECK_SOURCES.items():
        try:
            module = importlib.import_module(f"biodl.assess.{module_name}")
        except ImportError:
            continue
        func = getattr(module, func_name, None)
        if func is None:
            continue
        if key == "subgroups" and group is not None:
            func = functools.partial(func, group=group)
        if key == "data_quantity" and learning_curve is not None:
            func = functools.partial(func, learning_curve=learning_curve)
        out[key] = func
    return out


def _run_check(key: str, check: Check, inputs: AssessInputs) -> Item:
    """Run one check; a crash becomes a ``not_assessed`` item that says what failed."""
    from biodl.errors import InputError

    try:
        item = check(inputs)
    except InputError as exc:
        return _not_assessed(key, f"The check could not run on these data: {exc}")
    except Exception as exc:  # one failing check must not sink the whole report
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        why = f"The check failed ({type(exc).__name__} at {where}: {exc})."
        return _not_assessed(key, " ".join(why.split()))
    if not isinstance(item, Item):
        return _not_assessed(key, f"The check returned {type(item).__name__}, not an Item.")
    if item.key != key:
        item = dataclasses.replace(item, key=key)
    return item


def _announced(key: str, check: Check, inputs: AssessInputs, position: str) -> Item:
    """:func:`_run_check`, announced: heartbeat lines while it runs (stderr not a
    terminal), then one line with its flag and time (``assess 3/11: leakage green, 4.2 s``)."""
    start = time.perf_counter()
    running = step(f"assess {position}: {key}")
    try:
        item = _run_check(key, check, inputs)
    finally:
        running.close(report=False)
    note(f"assess {position}: {key} {item.flag}, {time.perf_counter() - start:.1f} s")
    return item


def _histogram(values: Mapping[str, np.ndarray], *, bins: int | np.ndarray) -> dict[str, Any]:
    """Shared-bin histograms of several splits: ``{"edges", "counts": {split: [...]}}``."""
    present = [v for v in values.values() if v.size]
    if not present:
        return {"edges": [], "counts": {}}
    edges = np.histogram_bin_edges(np.concatenate(present), bins=bins)
    return {
        "edges": edges.tolist(),
        "counts": {k: np.histogram(v, bins=edges)[0].tolist() for k, v in values.items()},
    }


def _gc(sequences: Sequence[str]) -> np.ndarray:
    out = np.empty(len(sequences))
    for i, seq in enumerate(sequences):
        acgt = sum(seq.count(c) for c in "ACGTU")
        out[i] = (seq.count("G") + seq.count("C")) / acgt if acgt else np.nan
    return out[~np.isnan(out)]


def overview(inputs: AssessInputs) -> dict[str, Any]:
    """Per-split counts per class/output, length and GC histograms (the report's plots).

    Examples
    --------
    >>> from biodl.assess.types import SplitView
    >>> v = SplitView(("a", "b"), ("ACGG", "AT"), np.array([[1.0], [0.0]]))
    >>> ov = overview(AssessInputs("binary", "dna", ("1",), {"train": v}))
    >>> ov["classes"]["train"], ov["n"]
    ({'0': 1, '1': 1}, {'train': 2})
    """
    kind = inputs.task_kind
    classes: dict[str, dict[str, int]] = {}
    for name, view in inputs.splits.items():
        y = np.asarray(view.y, dtype=np.float64)
        if isinstance(kind, Binary):
            pos = int(np.nansum(y[:, 0] == 1)) if y.size else 0
            classes[name] = {"0": len(view) - pos, "1": pos}
        elif isinstance(kind, Multiclass):
            idx = y[:, 0] if y.size else np.zeros(0)
            classes[name] = {c: int(np.sum(idx == i)) for i, c in enumerate(inputs.outputs)}
        elif isinstance(kind, Multilabel):
            classes[name] = {
                o: int(np.nansum(y[:, t] == 1)) if y.size else 0
                for t, o in enumerate(inputs.outputs)
            }
    has_sequences = any(s for view in inputs.splits.values() for s in view.sequences[:50])
    out: dict[str, Any] = {
        "n": {name: len(view) for name, view in inputs.splits.items()},
        "classes": classes,
        "class_labels": "positive class = 1" if isinstance(kind, Binary) else "",
        "sequences": bool(has_sequences),
    }
    if has_sequences and inputs.is_molecule:  # SMILES: heavy atoms, not letters
        from biodl.encode.molecules import n_atoms

        atoms = {n: n_atoms(list(v.sequences)).astype(np.float64) for n, v in inputs.splits.items()}
        out["atoms"] = _histogram(atoms, bins=30)
    elif has_sequences:
        lengths = {
            n: np.array([len(s) for s in v.sequences], dtype=np.float64)
            for n, v in inputs.splits.items()
        }
        out["lengths"] = _histogram(lengths, bins=30)
        if inputs.alphabet in ("dna", "rna"):
            gc = {n: _gc(v.sequences) for n, v in inputs.splits.items()}
            out["gc"] = _histogram(gc, bins=np.linspace(0.0, 1.0, 26))
    return out


def _model_summary(inputs: AssessInputs) -> dict[str, Any]:
    meta = inputs.meta
    arch = meta.get("architecture") or {}
    return {
        "run_dir": None if inputs.run_dir is None else os.fspath(inputs.run_dir.resolve()),
        "architecture": arch.get("name"),
        "task": inputs.task,
        "alphabet": inputs.alphabet,
        "outputs": list(inputs.outputs),
        "input_length": meta.get("input_length"),
        "encoding": meta.get("encoding", "onehot"),
        "n_parameters": meta.get("n_parameters"),
        "trained": meta.get("created"),
        # the decision threshold(s) every thresholded metric of the checks uses
        "decision_threshold": (
            None if inputs.task_kind.thresholds is None else list(inputs.task_kind.thresholds)
        ),
    }


def assess(
    inputs: AssessInputs,
    *,
    checks: Mapping[str, Check] | None = None,
    group: str | None = None,
    learning_curve: Mapping[str, Any] | None = None,
    timings: Mapping[str, float] | None = None,
) -> Assessment:
    """Run the fitness-for-use checks on one model and its data.

    Parameters
    ----------
    inputs
        From :func:`biodl.assess.load_inputs`.
    checks
        ``{item key: check(inputs) -> Item}`` to run instead of
        :func:`available_checks`; a key of :data:`ITEM_ORDER` without a check is reported
        ``not_assessed``. Provenance always runs last, on the other items.
    group
        Group for the subgroup check (a key of ``SplitView.groups``).
    learning_curve
        A learning curve to show in the data-quantity item, as
        :func:`biodl.workflows.learning_curve` computes it (retraining is a job, not a
        check: ``biodl assess --learning-curve`` runs it first).
    timings
        Seconds of work done before, reported with the items' timings.

    Returns
    -------
    Assessment
        Eleven items in :data:`ITEM_ORDER`; ``overall`` is the worst flag.

    Examples
    --------
    >>> from biodl.assess.types import SplitView
    >>> v = SplitView(("a", "b"), ("ACGT", "GGCC"), np.array([[1.0], [0.0]]))
    >>> inputs = AssessInputs("binary", "dna", ("1",), {"train": v})
    >>> stub = {"leakage": lambda i: Item("leakage", "green", "r", "no leaks")}
    >>> result = assess(inputs, checks=stub)
    >>> [it.key for it in result.items][:3], result.item("leakage").flag
    (['data_quantity', 'leakage', 'representation'], 'green')
    """
    from biodl import __version__
    from biodl.assess.provenance import provenance

    curve = learning_curve
    times: dict[str, float] = dict(timings or {})
    registry = (
        dict(checks) if checks is not None else available_checks(group=group, learning_curve=curve)
    )
    items: list[Item] = []
    no_sequences = any(len(v) for v in inputs.splits.values()) and not any(
        s for v in inputs.splits.values() for s in v.sequences
    )
    for number, key in enumerate(ITEM_ORDER[:-1], start=1):
        check = registry.get(key)
        start = time.perf_counter()
        if inputs.is_matrix and key in MATRIX_NOT_APPLICABLE:
            items.append(_not_assessed(key, MATRIX_NOT_APPLICABLE[key]))
        elif no_sequences and key in SEQUENCE_CHECKS and not inputs.is_matrix:
            items.append(
                _not_assessed(
                    key,
                    "The model's inputs are not sequences (e.g. CpG neighbourhoods): "
                    "sequence copies and label conflicts cannot be compared.",
                )
            )
        elif check is None:
            items.append(
                _not_assessed(key, "This check is not available in this installation of biodl.")
            )
        else:
            items.append(_announced(key, check, inputs, f"{number}/{len(ITEM_ORDER)}"))
        times[key] = time.perf_counter() - start
    start = time.perf_counter()
    prov_check = registry.get("provenance", functools.partial(provenance, items=tuple(items)))
    position = f"{len(ITEM_ORDER)}/{len(ITEM_ORDER)}"
    items.append(_announced("provenance", prov_check, inputs, position))
    times["provenance"] = time.perf_counter() - start
    return Assessment(
        items=tuple(items),
        model=_model_summary(inputs),
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        biodl_version=__version__,
        overview=overview(inputs),
        timings=times,
    )
