"""Findings on a finished run: what a reader should know before trusting its metrics.

:func:`run_flags` is a pure function of a run's ``model.json`` content and its
``metrics.json``: it reads nothing and writes nothing. Its findings lead the run report
(:func:`biodl.report.write_run_report`), are stored in ``model.json`` (``flags``), go
into the model card's caveats and are printed at the end of ``biodl train``.

Each finding is ``(level, message)``; ``red`` means the metrics cannot be trusted as
they stand, ``amber`` that they need a second look. The thresholds:

- **validation/test gap** (amber): the headline metric differs by more than
  :data:`GAP_THRESHOLD` (0.05) between validation and test *and* the validation value
  lies outside the test value's bootstrap interval. 0.05 is about the spread between
  published models on one benchmark (AUROC, accuracy), so a larger gap changes a
  ranking; requiring the interval keeps small test sets, whose own noise is that large,
  from raising it. Early stopping picks the epoch on validation, so validation is
  expected to be slightly *above* test; a test value well above validation points to a
  test set easier than the validation one (overlap with training, another source).
- **single-class predictions** (red): every example of a split gets the same class at the
  run's decision threshold (multi-class: the largest score). Counts come from the
  confusion matrix (multi-class) or from sensitivity and specificity (binary).
- **classes never predicted** (amber): multi-class, present in the test split, never
  predicted there.
- **best epoch = last epoch** (amber): early stopping never stopped the run, so it ended
  at ``train.max_epochs`` while still improving; more epochs may help.
- **best epoch in the first two of** :data:`MANY_EPOCHS` **or more** (amber): validation
  got worse almost from the start; the model memorises the training set.
- **no better than chance** (red): the test interval of AUROC includes 0.5, of a Pearson
  correlation 0; a multi-class accuracy not above the most frequent class's share.
- **undefined headline** (amber): the test headline metric could not be computed.
- **wide interval** (amber): the test headline interval is wider than
  :data:`WIDE_CI` (0.2): the test set is too small to rank models.

Examples
--------
>>> meta = {"task": "binary", "training": {"epochs": 10, "best_epoch": 9,
...         "monitor": "valid_loss"}}
>>> metrics = {"valid": {"auroc": {"value": 0.87, "ci": [0.84, 0.90]}},
...            "test": {"auroc": {"value": 0.996, "ci": [0.99, 1.0]}}}
>>> for level, message in run_flags(meta, metrics):
...     print(level, message.split(":")[0])
amber Test AUROC 0.996 is 0.126 above validation (0.870), outside the test interval
amber Best validation loss at the last epoch (10 of 10)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

__all__ = ["GAP_THRESHOLD", "MANY_EPOCHS", "WIDE_CI", "Finding", "headline_of", "run_flags"]

#: Absolute difference of the headline metric between validation and test above which
#: (and outside the test interval) the gap is flagged.
GAP_THRESHOLD = 0.05

#: A run of at least this many epochs whose best epoch is its first or second is flagged.
MANY_EPOCHS = 5

#: Width of the test headline interval above which the test set is called too small.
WIDE_CI = 0.2

#: Headline metric of each task kind (:attr:`biodl.tasks.Task.headline`), in the order
#: tried for an unknown kind.
_HEADLINES = {
    "binary": "auroc",
    "multiclass": "accuracy",
    "multilabel": "macro_auroc",
    "regression": "mean_pearson",
}

#: Display names of headline metrics and monitored values.
_NAMES = {
    "auroc": "AUROC",
    "accuracy": "accuracy",
    "macro_auroc": "macro AUROC",
    "mean_pearson": "mean Pearson r",
    "valid_loss": "validation loss",
    "valid_auroc": "validation AUROC",
}

#: Value of a headline metric for a model without skill (accuracy: the majority share).
_CHANCE = {"auroc": 0.5, "macro_auroc": 0.5, "mean_pearson": 0.0}

Level = Literal["red", "amber"]


class Finding(NamedTuple):
    """One finding: ``level`` (``red`` or ``amber``) and a one-line ``message``."""

    level: Level
    message: str


def headline_of(meta: Mapping[str, Any], metrics: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The headline metric of a run: its task's (:attr:`biodl.tasks.Task.headline`), else
    the first of the known headlines present in ``metrics``.

    Examples
    --------
    >>> headline_of({"task": "multiclass"}, {})
    'accuracy'
    >>> headline_of({}, {"test": {"mean_pearson": {"value": 0.3}}})
    'mean_pearson'
    """
    name = _HEADLINES.get(str(meta.get("task")))
    if name is not None:
        return name
    for candidate in _HEADLINES.values():
        if any(candidate in split for split in metrics.values()):
            return candidate
    return None


def _value(entry: Any) -> float | None:
    if not isinstance(entry, Mapping):
        return None
    value = entry.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _ci(entry: Any) -> tuple[float, float] | None:
    ci = entry.get("ci") if isinstance(entry, Mapping) else None
    if not isinstance(ci, Sequence) or len(ci) != 2 or any(v is None for v in ci):
        return None
    return float(ci[0]), float(ci[1])


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _label(name: str) -> str:
    return _NAMES.get(name, name)


def _gap(headline: str, metrics: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    valid = _value(metrics.get("valid", {}).get(headline))
    entry = metrics.get("test", {}).get(headline)
    test = _value(entry)
    if valid is None or test is None or abs(test - valid) <= GAP_THRESHOLD:
        return []
    ci = _ci(entry)
    if ci is not None and ci[0] <= valid <= ci[1]:
        return []
    where = "outside the test interval" if ci is not None else "no test interval"
    name = _label(headline)
    if test > valid:
        why = (
            "the test set looks easier than the validation set: check it for overlap with "
            "the training data (duplicates, homologs) or a different source"
        )
        side = "above"
    else:
        why = (
            "the options or the epoch may be fitted to the validation set, or the test set "
            "comes from another distribution"
        )
        side = "below"
    return [
        Finding(
            "amber",
            f"Test {name} {_fmt(test)} is {_fmt(abs(test - valid))} {side} validation "
            f"({_fmt(valid)}), {where}: {why}.",
        )
    ]


def _predicted_counts(meta: Mapping[str, Any], split: Mapping[str, Any]) -> dict[str, int] | None:
    """``{class: examples predicted}`` of one split, from its metrics; None if unknown."""
    labels = meta.get("labels") or {}
    confusion = (split.get("confusion") or {}).get("value")
    classes = labels.get("classes")
    if isinstance(confusion, Sequence) and classes and len(confusion) == len(classes):
        columns = [sum(int(row[j]) for row in confusion) for j in range(len(classes))]
        return dict(zip((str(c) for c in classes), columns, strict=True))
    if "positive" not in labels:
        return None
    n = _value(split.get("n"))
    n_pos = _value(split.get("n_positive"))
    if n is None or n_pos is None or n <= 0:
        return None
    sens, spec = _value(split.get("sensitivity")), _value(split.get("specificity"))
    n_neg = n - n_pos
    if (n_pos > 0 and sens is None) or (n_neg > 0 and spec is None):
        return None
    predicted = (sens or 0.0) * n_pos + (1.0 - (spec if spec is not None else 1.0)) * n_neg
    positive = round(predicted)
    return {
        str(labels["positive"]): positive,
        str(labels.get("negative", "0")): round(n) - positive,
    }


def _single_class(
    meta: Mapping[str, Any],
    metrics: Mapping[str, Mapping[str, Any]],
    predicted: Mapping[str, Mapping[str, int]] | None,
) -> list[Finding]:
    found = []
    for name in ("valid", "test"):
        if name not in metrics:
            continue
        counts = (predicted or {}).get(name) or _predicted_counts(meta, metrics[name])
        if not counts:
            continue
        total = sum(counts.values())
        used = [c for c, k in counts.items() if k > 0]
        how = "the largest score" if "classes" in (meta.get("labels") or {}) else "the threshold"
        if total > 1 and len(used) == 1:
            found.append(
                Finding(
                    "red",
                    f"Every {name} example ({total}) is predicted '{used[0]}' (at {how}): the "
                    "model has not learned to tell the classes apart.",
                )
            )
        elif name == "test" and len(counts) > 2 and len(used) > 1:
            present = (metrics[name].get("n_per_class") or {}).get("value") or {}
            never = [c for c, k in counts.items() if k == 0 and present.get(c, 0) > 0]
            if never:
                shown = ", ".join(f"{c} ({present[c]})" for c in never[:6])
                more = f" and {len(never) - 6} more" if len(never) > 6 else ""
                found.append(
                    Finding(
                        "amber",
                        f"{len(never)} of {len(counts)} classes are never predicted on test "
                        f"although present (test examples): {shown}{more}.",
                    )
                )
    return found


def _epochs(meta: Mapping[str, Any]) -> list[Finding]:
    training = meta.get("training") or {}
    monitor = training.get("monitor")
    epochs, best = training.get("epochs"), training.get("best_epoch")
    if not monitor or not isinstance(epochs, int) or not isinstance(best, int) or epochs < 2:
        return []  # without validation the last epoch is the best by definition
    name = _label(str(monitor))
    if best == epochs - 1:
        return [
            Finding(
                "amber",
                f"Best {name} at the last epoch ({epochs} of {epochs}): the model was still "
                "improving when training stopped at train.max_epochs; more epochs may help.",
            )
        ]
    if epochs >= MANY_EPOCHS and best <= 1:
        return [
            Finding(
                "amber",
                f"Best {name} at epoch {best + 1} of {epochs}: validation got worse almost "
                "from the start, a sign of memorisation (a model too large for the data, or "
                "a learning rate too high).",
            )
        ]
    return []


def _test_headline(headline: str, metrics: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    split = metrics.get("test")
    if split is None or headline not in split:
        return []
    entry = split[headline]
    value, ci = _value(entry), _ci(entry)
    name = _label(headline)
    if value is None:
        return [Finding("amber", f"Test {name} is undefined (e.g. one class in the test split).")]
    found = []
    chance = _CHANCE.get(headline)
    chance_text = "" if chance is None else f"{chance:g}"
    if chance is None and headline == "accuracy":
        per_class = (split.get("n_per_class") or {}).get("value") or {}
        total = sum(per_class.values()) if per_class else 0
        if total:
            top = max(per_class, key=lambda c: per_class[c])
            chance = per_class[top] / total
            chance_text = f"{_fmt(chance)}, always predicting '{top}'"
    if chance is not None:
        low = ci[0] if ci is not None else value
        if low <= chance:
            shown = _fmt(value) + (f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "")
            found.append(
                Finding(
                    "red",
                    f"Test {name} {shown} is no better than chance ({chance_text}).",
                )
            )
    if ci is not None and ci[1] - ci[0] > WIDE_CI:
        found.append(
            Finding(
                "amber",
                f"Test {name} interval [{_fmt(ci[0])}, {_fmt(ci[1])}] is wider than "
                f"{WIDE_CI:g}: the test set is too small to rank models.",
            )
        )
    return found


def run_flags(
    meta: Mapping[str, Any],
    metrics: Mapping[str, Mapping[str, Any]],
    predicted: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Finding]:
    """The findings on a run, red ones first.

    Parameters
    ----------
    meta
        ``model.json`` content (``task``, ``labels``, ``training`` with ``epochs``,
        ``best_epoch``, ``monitor``); missing parts skip their checks.
    metrics
        ``{split: {metric: {"value", "ci"}}}`` as in ``metrics.json`` (``valid`` and
        ``test`` are the splits checked).
    predicted
        ``{split: {class: examples predicted}}``, overriding the counts derived from
        ``metrics`` (confusion matrix; sensitivity and specificity).

    Returns
    -------
    list of Finding
        Empty when nothing deserves a warning.

    Examples
    --------
    >>> meta = {"task": "multiclass", "labels": {"classes": ["a", "b"]}}
    >>> m = {"test": {"confusion": {"value": [[5, 0], [4, 0]]},
    ...               "n_per_class": {"value": {"a": 5, "b": 4}},
    ...               "accuracy": {"value": 0.556, "ci": [0.3, 0.8]}}}
    >>> [f.level for f in run_flags(meta, m)]
    ['red', 'red', 'amber']
    """
    headline = headline_of(meta, metrics)
    found: list[Finding] = []
    if headline is not None:
        found += _test_headline(headline, metrics)
        found += _gap(headline, metrics)
    found += _single_class(meta, metrics, predicted)
    found += _epochs(meta)
    return sorted(found, key=lambda f: f.level != "red")
