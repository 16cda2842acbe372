"""``biodl cv``: k-fold cross-validation after deduplication."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from biodl.config import Config, HomologyConfig, config_to_dict
from biodl.data import cross_validation_splits
from biodl.errors import InputError
from biodl.io.atomic import atomic_write_text, check_output_dir, staged_dir, write_json
from biodl.workflows.common import load_checked, model_params
from biodl.workflows.results import CrossValidationResult
from biodl.workflows.training import (
    _source_files,
    dropped_line,
    homology_line,
    train_on_splits,
)
from biodl.workflows.tuning import search_space, tune_on_splits

__all__ = ["cross_validate", "cv_table"]


def _with_homology(config: Config, identity: float, config_path: str | os.PathLike[str]) -> Config:
    """``config`` with ``data.homology.identity`` set (other homology options kept)."""
    if config.data.alphabet != "protein":
        raise InputError("homology-aware folds are for proteins", path=config_path)
    if not 0.0 < identity <= 1.0:
        raise InputError(f"homology identity must be in (0, 1], not {identity}")
    current = config.data.homology or HomologyConfig()
    data = config.data.model_copy(
        update={"homology": current.model_copy(update={"identity": float(identity)})}
    )
    return config.model_copy(update={"data": data})


def _homology_over_folds(per_fold: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """The folds' ``homology`` blocks in one: the largest identities over the folds, and
    each fold's."""
    if not per_fold:
        return None
    first = next(iter(per_fold.values()))
    out: dict[str, Any] = {"identity": first["identity"], "coverage": first["coverage"]}
    for key in ("max_train_identity", "max_train_identity_any_coverage"):
        splits = dict.fromkeys(s for h in per_fold.values() for s in h[key])
        out[key] = {s: max(h[key][s] for h in per_fold.values() if s in h[key]) for s in splits}
        out[f"{key}_per_fold"] = {fold: dict(h[key]) for fold, h in per_fold.items()}
    return out


def cross_validate(
    config_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    folds: int = 5,
    dedupe: bool = True,
    homology: float | None = None,
    tune_trials: int | None = None,
    force: bool = False,
) -> CrossValidationResult:
    """K-fold cross-validation of the configured model over its training source.

    Identical sequences (and reverse complements, for DNA) are removed before the folds
    are made (see :func:`biodl.data.cross_validation_splits`). Each fold trains a full
    run directory ``OUT/fold_<name>`` with its own early-stopping split; ``OUT/cv.json``
    holds per-fold test metrics and their mean and sample standard deviation.

    ``homology`` (an identity in ``(0, 1]``, e.g. 0.3) makes the folds homology-aware as
    ``data.homology: {identity: ...}`` in the configuration does (proteins); the fold
    run directories record it in their ``config.yaml``.

    ``tune_trials`` (nested cross-validation): in each fold, first search the
    hyper-parameters (:func:`biodl.workflows.tuning.tune_on_splits`, the model's search
    space and ``tune:`` block) for that many trials on the fold's training and
    early-stopping examples only, then train the fold with the best options; the fold's
    test examples never choose the options they judge. ``cv.json`` records each fold's
    options and validation value under ``tuning``.

    Returns
    -------
    CrossValidationResult
        ``out`` (path-like) and ``cv``, the content of ``cv.json``.
    """
    config = load_checked(config_path)
    if homology is not None:
        config = _with_homology(config, homology, config_path)
    out_path = Path(out)
    inputs = [Path(config_path), *_source_files(config)]
    check_output_dir(out_path, force=force, inputs=inputs)  # fail before reading the data
    # a model that scores both strands sees a sequence and its reverse complement as one
    params = model_params(config).model_dump()
    rc = params.get("strands", "single") != "single"
    dedup, names, fold_splits = cross_validation_splits(
        config, folds, dedupe=dedupe, reverse_complements=rc
    )
    with staged_dir(out_path, force=force, inputs=inputs) as partial:
        per_fold: list[dict[str, Any]] = []
        dropped: tuple[tuple[str, int], ...] = ()
        identities: dict[str, dict[str, Any]] = {}
        tuning: dict[str, Any] = {}
        space = search_space(config, config_path) if tune_trials else {}
        for name, splits in zip(names, fold_splits, strict=True):
            dropped = splits.dropped
            fold_config = config
            if tune_trials:
                fold_config, tuning[name] = tune_on_splits(
                    config,
                    dataclasses.replace(splits, test=None),
                    space,
                    trials=tune_trials,
                    seed=config.train.seed,
                )
            run = train_on_splits(
                fold_config, splits, partial / f"fold_{name}", force=True, config_path=config_path
            )
            test = run.metrics["test"]
            per_fold.append({"fold": name, **{k: v["value"] for k, v in test.items()}})
            fold_homology = run.meta.get("homology")
            if fold_homology is not None:
                identities[name] = fold_homology
        summary: dict[str, dict[str, float | None]] = {}
        for key in dict.fromkeys(k for f in per_fold for k in f):
            # a key some folds lack (membrane_* where a fold's test has no M/S flag) is
            # averaged over the folds that have it
            if key == "fold" or not all(
                isinstance(f.get(key), int | float | None) for f in per_fold
            ):
                continue
            values = [f[key] for f in per_fold if f.get(key) is not None]
            summary[key] = {
                "mean": float(np.mean(values)) if values else None,
                "sd": float(np.std(values, ddof=1)) if len(values) > 1 else None,
            }
        result: dict[str, Any] = {
            "folds": len(names),
            "deduplication": {
                "enabled": dedupe,
                "reverse_complements": rc,
                "removed": dedup.n_removed,
                "conflicting_labels": dedup.n_conflicting,
                "kept": len(dedup.examples),
            },
            "dropped_classes": dict(dropped),
            "tuning": {"trials_per_fold": tune_trials, "folds": tuning} if tune_trials else None,
            "homology": _homology_over_folds(identities),
            "per_fold": per_fold,
            "summary": summary,
        }
        write_json(partial / "cv.json", result)
        atomic_write_text(
            partial / "config.yaml", yaml.safe_dump(config_to_dict(config), sort_keys=False)
        )
    return CrossValidationResult(out=out_path, cv=result)


def cv_table(result: Mapping[str, Any]) -> str:
    """Plain-text table of cross-validation results: mean +- sd per metric."""
    d = result["deduplication"]
    lines = [
        f"{result['folds']}-fold cross-validation",
        f"deduplication: {d['removed']} copies removed, {d['kept']} kept",
    ]
    if result.get("homology"):
        lines.append(f"{homology_line(result['homology'])} (largest over the folds)")
    if result.get("dropped_classes"):
        lines.append(dropped_line(result["dropped_classes"]))
    names = ["auroc", "auprc", "accuracy", "mcc", "f1", "sensitivity", "specificity"]
    names += ["macro_f1", "macro_auroc", "macro_auprc", "micro_auprc", "fmax"]
    names += ["mean_pearson", "mean_spearman", "mean_r2", "mean_rmse"]
    names += ["membrane_accuracy", "membrane_mcc", "membrane_auroc"]
    prefixes = ("error[", "auroc[", "pearson[")
    names += [k for k in result["summary"] if k.startswith(prefixes)]
    shown = [n for n in names if result["summary"].get(n, {}).get("mean") is not None]
    width = max([13, *(len(n) + 1 for n in shown)])
    for name in shown:
        entry = result["summary"][name]
        sd = "" if entry.get("sd") is None else f" +- {entry['sd']:.3f}"
        lines.append(f"{name:<{width}}{entry['mean']:.3f}{sd}")
    return "\n".join(lines)
