"""Is there enough training data for the model's size? (``assessment.json`` key ``quantity``)

:func:`data_quantity` compares the number of distinct training sequences with the number
of trainable parameters; a learning curve (:func:`biodl.workflows.learning_curve`, which
retrains on growing fractions of the training set) can be shown with it, so the user
sees whether more data would still help.

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

from collections.abc import Mapping
from typing import Any

from biodl.assess._encode import describe_view
from biodl.assess.types import AssessInputs, Flag, Item

__all__ = ["data_quantity", "trainable_parameters"]


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
        f"red when distinct training sequences (samples) / trainable parameters < {ratio_red:g}, "
        f"amber when < {ratio_amber:g} (a common rule: ten times more examples than "
        "parameters), green otherwise"
    )
    train = inputs.splits.get("train")
    trainable, total = trainable_parameters(inputs)
    if train is None or trainable is None or trainable == 0:
        why = "no training split" if train is None else "the number of parameters is unknown"
        return Item("quantity", "not_assessed", rule, f"Not assessed: {why}.", {})
    described = (
        {"n_distinct": len(set(train.ids))} if inputs.is_pileup else describe_view(inputs, train)
    )
    n_raw = len(train)
    n_unique = described["n_distinct"]
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
    what = "molecules (canonical SMILES)" if inputs.is_molecule else "sequences"
    if inputs.is_pileup:
        what = "candidate variants (pileups)"
    if isinstance(inputs.meta.get("tracks"), Mapping):
        what = "genome windows"
    if inputs.is_matrix:  # samples of an expression matrix: also features per sample
        what = "samples"
        n_features = int(described["n_features"])
        values["n_features"] = n_features
        values["features_per_sample"] = n_features / max(n_unique, 1)
    summary = (
        f"{n_unique:,} distinct training {what} ({n_raw:,} in all) for {trainable:,} "
        f"trainable parameters: {ratio:.3g} examples per parameter."
    )
    if inputs.is_matrix:
        summary += f" The model reads {values['n_features']:,} features per sample."
    tracks = inputs.meta.get("tracks")
    if isinstance(tracks, Mapping) and inputs.meta.get("input_length"):
        # per-position targets: bins of tracks per window (model.json's tracks block)
        n_bins = int(inputs.meta["input_length"]) // int(tracks.get("bin_size") or 1)
        n_tracks = len(inputs.outputs)
        n_targets = n_raw * n_bins * n_tracks
        values["n_targets"] = n_targets
        values["targets_per_parameter"] = n_targets / trainable
        summary += (
            f" Each window has {n_tracks} x {n_bins:,} binned targets ({n_targets:,} in all, "
            f"{n_targets / trainable:.3g} per parameter; neighbouring bins are correlated, "
            "so the flag counts windows)."
        )
    return Item("quantity", flag, rule, summary, values)
