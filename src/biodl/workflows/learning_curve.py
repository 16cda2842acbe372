"""Learning curve: retrain on growing fractions of the training data (``biodl assess
--learning-curve``), for the data-quantity item of an assessment."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from biodl.data import build_splits, stratified_split
from biodl.errors import InputError
from biodl.workflows.common import load_checked
from biodl.workflows.training import train_on_splits

__all__ = ["learning_curve"]


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
    (:func:`biodl.workflows.train_on_splits`), which is deleted afterwards.

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
    for f in fractions:
        if not 0.0 < f <= 1.0:
            raise InputError(f"learning-curve fractions must be in (0, 1], not {f}")
    config = load_checked(config_path)
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
    metric = splits.as_task().headline
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
            run = train_on_splits(
                config, subset, Path(tmp) / f"fraction_{i}", config_path=config_path
            )
            found = run.metrics.get(split, {}).get(metric, {})
            entry = dict(found) if isinstance(found, Mapping) else {}
            out["fractions"].append(float(f))
            out["n_train"].append(len(subset.train))
            out["value"].append(entry.get("value"))
            out["ci"].append(entry.get("ci"))
    return out
