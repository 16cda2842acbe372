"""``biodl evaluate``: score a trained model on a configuration's valid/test data."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from biodl.config import load_config
from biodl.data import build_splits
from biodl.errors import InputError
from biodl.metrics import format_metric
from biodl.train import finish_run_dir, load_run, prepare_run_dir
from biodl.workflows._common import _Labels, _score_and_report

__all__ = ["evaluate_run", "metrics_table"]


def evaluate_run(
    model_dir: str | os.PathLike[str],
    config_path: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    splits: Sequence[Literal["valid", "test"]] = ("valid", "test"),
) -> dict[str, Any]:
    """Evaluate a trained model on the valid/test data of a configuration.

    The configuration's data are read, split and given negatives exactly as in training
    (same seed), and cut to the model's input length. Metrics with bootstrap CIs, the
    predictions, ROC/PR curves and an HTML page are written to ``out`` (default
    ``MODEL_DIR/evaluation``).

    Returns
    -------
    dict
        ``{split: {metric: {"value": v, "ci": [lo, hi]}}}`` as written to ``metrics.json``.
    """
    run = load_run(model_dir)
    config = load_config(config_path)
    if config.data.alphabet != run.alphabet:
        raise InputError(
            f"the model reads {run.alphabet} but the configuration gives {config.data.alphabet}",
            path=config_path,
        )
    if config.data.encoding != run.encoding:
        raise InputError(
            f"the model reads {run.encoding} input but the configuration gives "
            f"{config.data.encoding}",
            path=config_path,
        )
    if config.data.crop != run.crop:
        raise InputError(
            f"the model was trained on inputs cropped '{run.crop}' but the configuration "
            f"crops '{config.data.crop}'",
            path=config_path,
        )
    data = build_splits(config, input_length=run.input_length)
    labels = _Labels.of_run(run.meta)
    if data.task != labels.task or tuple(data.classes) != labels.classes:
        raise InputError(
            f"the configuration's {data.task} classes ({', '.join(data.classes)}) differ from "
            f"the model's {labels.task} classes ({', '.join(labels.classes)})",
            path=config_path,
        )
    chosen = [(n, e) for n, e in data.items() if n in splits]
    if not chosen:
        raise InputError(
            "the configuration has no valid or test data to evaluate", path=config_path
        )
    out_path = Path(out) if out is not None else Path(model_dir) / "evaluation"
    partial = prepare_run_dir(out_path, force=True)
    try:
        metrics = _score_and_report(
            partial,
            run.model,
            chosen,
            config=config,
            labels=labels,
            title=(
                f"biodl evaluation: {run.meta['architecture']['name']} on {Path(config_path).name}"
            ),
            summary={
                "model": os.fspath(Path(model_dir).resolve()),
                "configuration": os.fspath(Path(config_path).resolve()),
                "data": "; ".join(f"{n}: {len(e)}" for n, e in chosen),
            },
        )
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finish_run_dir(partial, out_path)
    return metrics


def metrics_table(metrics: Mapping[str, Any]) -> str:
    """Plain-text table of metrics with CIs, one row per metric, one column per split."""
    splits = [s for s in metrics if not s.startswith("_")]
    first_split = metrics[splits[0]] if splits else {}
    if "fmax" in first_split:
        names = ["macro_auroc", "macro_auprc", "micro_auroc", "micro_auprc", "fmax"]
        names += [k for k in first_split if k.startswith(("auroc[", "auprc["))]
    elif "mean_pearson" in first_split:
        names = ["mean_pearson", "mean_spearman", "mean_r2"]
        names += [k for k in first_split if k.startswith(("pearson[", "spearman[", "mse["))]
    elif splits and "macro_f1" in metrics[splits[0]]:
        first = metrics[splits[0]]
        names = ["accuracy", "mcc", "macro_f1", "macro_auroc"]
        names += [k for k in first if k.startswith(("error[", "f1["))]
    else:
        names = ["auroc", "auprc", "accuracy", "mcc", "f1", "sensitivity", "specificity"]
        names.append("precision")
    # a model with a DeepLoc membrane head: its membrane-bound/soluble metrics last
    membrane = ("membrane_accuracy", "membrane_mcc", "membrane_auroc", "membrane_n")
    names += [k for k in membrane if any(k in metrics[s] for s in splits)]
    width = max(13, *(len(n) + 2 for n in names))
    lines = ["metric".ljust(width) + "".join(f"{s:>26}" for s in splits)]
    for name in names:
        cells = "".join(f"{format_metric(metrics[s].get(name, {})):>26}" for s in splits)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)
