"""Is there enough training data for the model's size? (``assessment.json`` key ``quantity``)

:func:`data_quantity` compares the number of distinct training sequences with the number
of trainable parameters; :func:`learning_curve` retrains on growing fractions of the
training set and reports the test metric of each, so the user sees whether more data
would still help.

Examples
--------
>>> import numpy as np
>>> from biodl.assess.types import AssessInputs, SplitView
>>> train = SplitView(ids=("a", "b", "c"), sequences=("AC", "AC", "GT"), y=np.zeros((3, 1)))
>>> item = data_quantity(AssessInputs("binary", "dna", ("1",), {"train": train},
...                                   meta={"n_parameters": 1}))
>>> item.flag, item.values["n_train_unique"], item.values["ratio"]
('amber', 2, 2.0)
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from biodl.assess.types import AssessInputs, Flag, Item

__all__ = ["data_quantity", "learning_curve", "trainable_parameters"]


def trainable_parameters(inputs: AssessInputs) -> tuple[int | None, int | None]:
    """``(trainable, total)`` parameters: ``meta["n_parameters"]`` (trainable, as
    training recorded it) or counted from the model; None where unknown."""
    total = None
    trainable = inputs.meta.get("n_parameters")
    if inputs.model is not None:
        params = list(inputs.model.parameters())
        total = sum(p.numel() for p in params)
        if trainable is None:
            trainable = sum(p.numel() for p in params if p.requires_grad)
    return (None if trainable is None else int(trainable)), total


def data_quantity(
    inputs: AssessInputs,
    *,
    ratio_red: float = 1.0,
    ratio_amber: float = 10.0,
    learning_curve: Mapping[str, Any] | None = None,
) -> Item:
    """Training examples (raw and distinct) per trainable parameter.

    Parameters
    ----------
    inputs
        Needs the ``train`` split and ``meta["n_parameters"]`` or the model.
    ratio_red, ratio_amber
        Red when distinct examples / parameters is below ``ratio_red``, amber below
        ``ratio_amber`` (a common rule: ten times more examples than parameters).
    learning_curve
        The result of :func:`learning_curve`, reported as it is (optional).

    Returns
    -------
    Item
        Key ``quantity``; values ``n_train``, ``n_train_unique`` (distinct sequences),
        ``n_parameters``, ``n_parameters_total``, ``ratio``, ``ratio_raw`` and, if given,
        ``learning_curve``. Clusters of homologous sequences are not counted here (the
        leakage check reports them).
    """
    rule = (
        f"red when distinct training sequences / trainable parameters < {ratio_red:g}, "
        f"amber when < {ratio_amber:g} (a common rule: ten times more examples than "
        "parameters), green otherwise"
    )
    train = inputs.splits.get("train")
    trainable, total = trainable_parameters(inputs)
    if train is None or trainable is None or trainable == 0:
        why = "no training split" if train is None else "the number of parameters is unknown"
        return Item("quantity", "not_assessed", rule, f"Not assessed: {why}.", {})
    n_raw = len(train)
    n_unique = len(set(train.sequences))
    ratio = n_unique / trainable
    flag: Flag = "red" if ratio < ratio_red else "amber" if ratio < ratio_amber else "green"
    values: dict[str, Any] = {
        "n_train": n_raw,
        "n_train_unique": n_unique,
        "n_duplicates": n_raw - n_unique,
        "n_parameters": trainable,
        "n_parameters_total": total,
        "ratio": ratio,
        "ratio_raw": n_raw / trainable,
    }
    if learning_curve is not None:
        values["learning_curve"] = dict(learning_curve)
    summary = (
        f"{n_unique:,} distinct training sequences ({n_raw:,} in all) for {trainable:,} "
        f"trainable parameters: {ratio:.3g} examples per parameter."
    )
    return Item("quantity", flag, rule, summary, values)


def learning_curve(
    config_path: str | os.PathLike[str],
    fractions: Sequence[float] = (0.25, 0.5, 1.0),
    *,
    max_epochs: int | None = None,
    n_bootstrap: int = 200,
) -> dict[str, Any]:
    """Retrain on fractions of the training split; the test (else valid) metric of each.

    The splits are built once as training builds them (:func:`biodl.data.build_splits`);
    each fraction keeps a stratified, seeded subset of the training examples (valid and
    test unchanged) and trains in a temporary folder
    (:func:`biodl.workflows.training.train_on_splits`), which is deleted afterwards.

    Parameters
    ----------
    config_path
        The run's ``config.yaml`` (or any training configuration).
    fractions
        Fractions of the training split in ``(0, 1]``.
    max_epochs
        Override ``train.max_epochs`` (quicker curves); default the configuration's.
    n_bootstrap
        Bootstrap resamples for the metric's interval.

    Returns
    -------
    dict
        ``{"metric", "split", "fractions", "n_train", "value", "ci"}``, lists in the
        order of ``fractions`` (plot-ready).

    Raises
    ------
    InputError
        A fraction outside ``(0, 1]``, or a configuration without valid or test data.
    """
    from biodl.data import build_splits, stratified_split
    from biodl.errors import InputError
    from biodl.workflows._common import _load_checked
    from biodl.workflows.training import train_on_splits

    for f in fractions:
        if not 0.0 < f <= 1.0:
            raise InputError(f"learning-curve fractions must be in (0, 1], not {f}")
    config = _load_checked(config_path)
    train_cfg = config.train.model_copy(
        update={"progress_bar": False}
        | ({"max_epochs": int(max_epochs)} if max_epochs is not None else {})
    )
    evaluate_cfg = config.evaluate.model_copy(update={"n_bootstrap": n_bootstrap})
    config = config.model_copy(update={"train": train_cfg, "evaluate": evaluate_cfg})
    splits = build_splits(config)
    split = "test" if splits.test is not None else "valid" if splits.valid is not None else None
    if split is None:
        raise InputError("a learning curve needs valid or test data", path=config_path)
    metric = {"multilabel": "macro_auroc", "regression": "mean_pearson"}.get(
        splits.task, "accuracy" if splits.task == "multiclass" else "auroc"
    )
    out: dict[str, Any] = {
        "metric": metric,
        "split": split,
        "fractions": [],
        "n_train": [],
        "value": [],
        "ci": [],
    }
    with tempfile.TemporaryDirectory(prefix="biodl-lc-") as tmp:
        for i, f in enumerate(fractions):
            if f < 1.0:
                _, keep = stratified_split(splits.train.labels, f, seed=config.train.seed + i)
                subset = dataclasses.replace(splits, train=splits.train.subset(keep))
            else:
                subset = splits
            run = train_on_splits(config, subset, Path(tmp) / f"fraction_{i}")
            entry = _read_metric(run / "metrics.json", split, metric)
            out["fractions"].append(float(f))
            out["n_train"].append(len(subset.train))
            out["value"].append(entry.get("value"))
            out["ci"].append(entry.get("ci"))
    return out


def _read_metric(path: Path, split: str, metric: str) -> dict[str, Any]:
    metrics = json.loads(path.read_text(encoding="utf-8"))
    entry = metrics.get(split, {}).get(metric, {})
    return dict(entry) if isinstance(entry, Mapping) else {}
