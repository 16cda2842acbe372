"""``biodl evaluate``: score a trained model on a configuration's valid/test data."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from biodl.config import MATRIX_SOURCES, MoleculeSource, load_config
from biodl.data import build_splits
from biodl.errors import InputError
from biodl.io.atomic import check_output_dir, staged_dir
from biodl.metrics import format_metric
from biodl.runs import load_run
from biodl.tasks import task_from_meta
from biodl.workflows.common import score_and_report, threshold_note
from biodl.workflows.results import EvaluationResult
from biodl.workflows.training import _source_files

__all__ = ["auxiliary_metric_names", "evaluate_run", "metrics_table"]

_AUX_SUFFIXES = ("_accuracy", "_mcc", "_auroc", "_n")
_TASK_PREFIXES = ("macro_", "micro_", "mean_")


def auxiliary_metric_names(metrics: Mapping[str, Any]) -> list[str]:
    """Metric keys of auxiliary heads (``<head>_accuracy``, ``_mcc``, ``_auroc``, ``_n``;
    :mod:`biodl.models.auxiliary`) in ``{split: {metric: ...}}``, in order of appearance.

    Examples
    --------
    >>> auxiliary_metric_names({"test": {"accuracy": 1, "macro_auroc": 1, "membrane_mcc": 0}})
    ['membrane_mcc']
    """
    out: list[str] = []
    for split, values in metrics.items():
        if split.startswith("_") or not isinstance(values, Mapping):
            continue
        for key in values:
            aux = key.endswith(_AUX_SUFFIXES) and not key.startswith(_TASK_PREFIXES)
            if aux and "[" not in key and key not in out:
                out.append(key)
    return out


def evaluate_run(
    model_dir: str | os.PathLike[str],
    config_path: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    splits: Sequence[Literal["valid", "test"]] = ("valid", "test"),
) -> EvaluationResult:
    """Evaluate a trained model on the valid/test data of a configuration.

    The configuration's data are read, split and given negatives exactly as in training
    (same seed), and cut to the model's input length. Metrics with bootstrap CIs, the
    predictions, ROC/PR curves and an HTML page are written to ``out`` (default
    ``MODEL_DIR/evaluation``).

    Binary and multi-label runs are judged at the decision threshold the run recorded
    (``model.json`` ``threshold``; 0.5 for runs that recorded none), unless the
    configuration fixes a number (``train.threshold: 0.3``, or its older spelling
    ``evaluate.threshold``): a rule such as ``mcc`` is not re-applied, the run's choice
    stands.

    Returns
    -------
    EvaluationResult
        ``out`` (path-like) and ``metrics``, ``{split: {metric: {"value": v, "ci": [lo,
        hi]}}}`` as written to ``metrics.json``.
    """
    config = load_config(config_path)
    out_path = Path(out) if out is not None else Path(model_dir) / "evaluation"
    # the run, the configuration and its data must survive: checked before any work
    inputs = [Path(model_dir), Path(config_path), *_source_files(config)]
    check_output_dir(out_path, force=True, inputs=inputs)
    run = load_run(model_dir)
    molecule = isinstance(config.data.train, MoleculeSource)
    if molecule != run.is_molecule:
        reads = "molecules" if run.is_molecule else "sequences or matrices"
        gives = "molecules" if molecule else "no molecules"
        raise InputError(
            f"the model reads {reads} but the configuration gives {gives}", path=config_path
        )
    matrix = isinstance(config.data.train, MATRIX_SOURCES)
    if matrix != run.is_matrix:
        reads = "expression matrices" if run.is_matrix else "sequences"
        gives = "an expression matrix" if matrix else "sequences"
        raise InputError(
            f"the model reads {reads} but the configuration gives {gives}", path=config_path
        )
    if matrix:
        # the run's fitted preprocessing, never refitted on the configuration's training data
        data = build_splits(config, preprocess=run.preprocess.to_json())
    elif molecule:
        trained = str((run.meta.get("molecule") or {}).get("featurizer", "graph"))
        if config.data.featurizer != trained:
            raise InputError(
                f"the model reads {trained} molecule features but the configuration gives "
                f"{config.data.featurizer}",
                path=config_path,
            )
        data = build_splits(config)
    elif config.data.alphabet != run.alphabet:
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
    run.input_kind  # noqa: B018 - checks the run's pretrained encoder weights are the ones here
    if not matrix and not molecule:
        data = build_splits(config, input_length=run.input_length)
    fixed = config.train.threshold if isinstance(config.train.threshold, float) else None
    task = task_from_meta(run.meta, threshold=fixed)
    given = data.as_task(loss=task.to_meta().get("loss", "auto"), threshold=task.threshold or 0.5)
    if given.name != task.name or given.outputs != task.outputs:
        raise InputError(
            f"the configuration's {given.name} outputs ({', '.join(given.outputs)}) differ "
            f"from the model's {task.name} outputs ({', '.join(task.outputs)})",
            path=config_path,
        )
    chosen = [(n, e) for n, e in data.items() if n in splits]
    if not chosen:
        raise InputError(
            "the configuration has no valid or test data to evaluate", path=config_path
        )
    with staged_dir(out_path, force=True, inputs=inputs) as partial:
        metrics = score_and_report(
            partial,
            run.model,
            chosen,
            config=config,
            task=task,
            title=(
                f"biodl evaluation: {run.meta['architecture']['name']} on {Path(config_path).name}"
            ),
            flags_meta=run.meta,
            layout=tuple((str(k), int(v)) for k, v in (run.meta.get("layout") or {}).items()),
            summary={
                "model": os.fspath(Path(model_dir).resolve()),
                "configuration": os.fspath(Path(config_path).resolve()),
                "data": "; ".join(f"{n}: {len(e)}" for n, e in chosen),
            },
            notes=threshold_note(
                task, "set by the configuration" if fixed is not None else "recorded by the run"
            ),
        )
    return EvaluationResult(out=out_path, metrics=metrics)


def metrics_table(metrics: Mapping[str, Any]) -> str:
    """Plain-text table of metrics with CIs, one row per metric, one column per split."""
    splits = [s for s in metrics if not s.startswith("_")]
    first_split = metrics[splits[0]] if splits else {}
    if "fmax" in first_split:
        names = ["macro_auroc", "macro_auprc", "micro_auroc", "micro_auprc", "fmax"]
        names += [k for k in first_split if k.startswith(("auroc[", "auprc[", "threshold["))]
    elif "mean_jsd" in first_split:  # coverage tracks (biodl.metrics.track_metrics)
        names = ["mean_pearson", "mean_spearman", "mean_window_pearson", "mean_log_pearson"]
        names += ["mean_jsd", "mean_count_pearson"]
        names += [k for k in first_split if k.startswith("pearson[")]
    elif "mean_pearson" in first_split:
        names = ["mean_pearson", "mean_spearman", "mean_r2", "mean_rmse"]
        names += [k for k in first_split if k.startswith(("pearson[", "spearman[", "rmse["))]
    elif splits and "macro_f1" in metrics[splits[0]]:
        first = metrics[splits[0]]
        names = ["accuracy", "mcc", "macro_f1", "macro_auroc"]
        names += [k for k in first if k.startswith(("error[", "f1["))]
    else:
        names = ["auroc", "auprc", "accuracy", "mcc", "f1", "sensitivity", "specificity"]
        names.append("precision")
        if "threshold" in first_split:  # the decision threshold the others use
            names.insert(2, "threshold")
    # the metrics of auxiliary heads (e.g. DeepLoc's membrane head) last
    names += [k for k in auxiliary_metric_names(metrics) if k not in names]
    width = max(13, *(len(n) + 2 for n in names))
    lines = ["metric".ljust(width) + "".join(f"{s:>26}" for s in splits)]
    for name in names:
        cells = "".join(f"{format_metric(metrics[s].get(name, {})):>26}" for s in splits)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)
