"""What the jobs share: the checked configuration, scoring a model on splits, reports.

Task-specific work is asked of the run's :class:`~biodl.tasks.Task`; inputs are
encoded by their :mod:`input kind <biodl.data.kinds>`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "config_kind",
    "input_alphabet",
    "learning_curve_image",
    "load_checked",
    "model_params",
    "report_images",
    "score_and_report",
    "threshold_note",
    "write_predictions",
]

import numpy as np
import torch
from pydantic import BaseModel

from biodl.config import (
    Config,
    MatrixSource,
    MoleculeSource,
    MultiViewSource,
    PileupSource,
    TrackSource,
    config_line,
    load_config,
)
from biodl.data import Examples, MatrixKind, MoleculeKind, PileupKind, SequenceKind, TrackKind
from biodl.data.splits import molecule_kind
from biodl.errors import ConfigError
from biodl.io import region_of_id, tsv_cell
from biodl.io.atomic import atomic_write_text, write_json
from biodl.models import auxiliary_outputs, predict_with_auxiliary, validate_params
from biodl.report import plot_binary_curves, plot_confusion, write_run_report
from biodl.report.findings import run_flags
from biodl.report.plots import plot_learning_curves, plot_tracks, read_epoch_log, save_png
from biodl.tasks import Binary, Multiclass, Multilabel, Regression, Task


def config_kind(
    config: Config, layout: Sequence[tuple[str, int]] = ()
) -> SequenceKind | MatrixKind | MoleculeKind | PileupKind | TrackKind:
    """The input kind (reading, encoding, channels) a configuration's data have;
    ``layout``: the splits' (:attr:`biodl.data.DataSplits.layout`), which fixes the
    neighbour slots of molecular graphs."""
    data = config.data
    if isinstance(data.train, MoleculeSource):
        return molecule_kind(config, layout)
    if isinstance(data.train, PileupSource):
        return PileupKind(height=data.train.height, width=data.train.width)
    if isinstance(data.train, MatrixSource):
        return MatrixKind(format=data.train.format, orientation=data.train.orientation)
    if isinstance(data.train, MultiViewSource):  # views joined into one matrix
        return MatrixKind()
    if isinstance(data.train, TrackSource):
        return TrackKind(unknown=data.unknown, bin_size=data.train.bin_size)
    return SequenceKind(alphabet=data.alphabet, encoding=data.encoding, unknown=data.unknown)


def input_alphabet(config: Config) -> str:
    """``model.json``'s ``alphabet`` (what the zoo's models list as their inputs):
    ``matrix`` for expression matrices, ``molecule`` for molecular graphs,
    ``fingerprint`` for fingerprints and descriptors, else the sequences' alphabet."""
    train = config.data.train
    if isinstance(train, MoleculeSource):
        return "molecule" if config.data.featurizer == "graph" else "fingerprint"
    if isinstance(train, PileupSource):
        return "pileup"
    if isinstance(train, MatrixSource | MultiViewSource):
        return "matrix"
    return config.data.alphabet


def write_predictions(
    path: Path,
    rows: Sequence[tuple[str, Examples, np.ndarray]],
    task: Task,
    *,
    aux: Mapping[str, Mapping[str, np.ndarray]] | None = None,
) -> None:
    """One line per example: ``id``, ``split``, the task's columns
    (:meth:`~biodl.tasks.Task.columns`) and, for a model with auxiliary heads (``aux``:
    ``{split: {name: (N,) probability}}``), one column per head."""
    heads = [] if not aux else sorted({name for per in aux.values() for name in per})
    lines = ["\t".join(["id", "split", *task.columns(), *heads])]
    for split, ex, scores in rows:
        truth = task.evaluable_truth(task.truth(ex), scores)
        extra = [aux[split][h] for h in heads] if aux else []
        for i, seq_id in enumerate(ex.ids):
            label = ex.labels[i] if task.classification else None
            cells = task.cells(label, None if task.classification else truth[i], scores[i])
            cells += [f"{column[i]:.6g}" for column in extra]
            lines.append("\t".join([tsv_cell(seq_id), split, *cells]))
    atomic_write_text(path, "\n".join(lines) + "\n")


def threshold_note(task: Task, how: str) -> list[str]:
    """The report's line naming the decision threshold(s) of ``task`` and ``how`` they
    were set; none for tasks without a threshold.

    Examples
    --------
    >>> threshold_note(Binary(positive="1", negative="0", decision_threshold=0.3), "fixed")[0]
    'Decision threshold 0.3 (fixed): accuracy, MCC, F1, ...'
    """
    values = task.thresholds
    if values is None:
        return []
    shown = ", ".join(
        f"{o} {v:.6g}" if len(values) > 1 else f"{v:.6g}"
        for o, v in zip(task.names, values, strict=True)
    )
    text = (
        f"Decision threshold {shown} ({how}): accuracy, MCC, F1, sensitivity, specificity "
        "and precision use it (score >= threshold is positive); AUROC and AUPRC need none."
    )
    return [text]


def report_images(
    out: Path,
    task: Task,
    metrics: Mapping[str, Any],
    y_true: Mapping[str, np.ndarray],
    y_score: Mapping[str, np.ndarray],
) -> dict[str, Path]:
    """The figures of a run report: confusion matrices (multi-class), ROC and PR curves
    (binary; multi-label per output on the last split); none for values."""
    images: dict[str, Path] = {}
    if isinstance(task, Multiclass):
        for name, split_metrics in metrics.items():
            images[f"Confusion matrix ({name})"] = plot_confusion(
                np.asarray(split_metrics["confusion"]["value"]),
                task.classes,
                out / f"confusion_{name}.png",
                title=f"Confusion matrix, {name}",
            )
    elif isinstance(task, Multilabel) and not task.per_position and y_true:
        last = list(y_true)[-1]  # test if there is one
        truth, score = y_true[last], y_score[last]
        curves_true, curves_score = {}, {}
        for t, out_name in enumerate(task.names[:8]):
            keep = ~np.isnan(truth[:, t])
            if len(set(truth[keep, t].tolist())) == 2:
                curves_true[out_name] = truth[keep, t].astype(np.int64)
                curves_score[out_name] = score[keep, t]
        if curves_true:
            curves = plot_binary_curves(curves_true, curves_score, out)
            images = {
                f"ROC curves ({last})": curves["roc"],
                f"Precision-recall curves ({last})": curves["pr"],
            }
    elif isinstance(task, Binary) and any(len(set(t.tolist())) == 2 for t in y_true.values()):
        curves = plot_binary_curves(dict(y_true), dict(y_score), out)
        name = task.names[0]  # the output's name for people (Task.names)
        images = {
            f"ROC curve ({name})": curves["roc"],
            f"Precision-recall curve ({name})": curves["pr"],
        }
    return images


def score_and_report(
    out: Path,
    model: torch.nn.Module,
    splits: Sequence[tuple[str, Examples]],
    *,
    config: Config,
    task: Task,
    title: str,
    summary: Mapping[str, str],
    notes: Sequence[str] = (),
    meta: Mapping[str, Any] | None = None,
    flags_meta: Mapping[str, Any] | None = None,
    layout: Sequence[tuple[str, int]] = (),
) -> dict[str, Any]:
    """Predict every split, write metrics.json, predictions.tsv, plots and report.html.

    ``layout``: the model input's (:attr:`biodl.data.DataSplits.layout`), for inputs
    whose encoding depends on it (molecular graphs).

    ``meta``: the ``model.json`` of a run being trained in ``out``; the report then leads
    with its findings (:func:`biodl.report.findings.run_flags`) and shows its learning
    curves (``learning_curves.png``, from ``out/logs/metrics.csv``). ``flags_meta``: the
    ``model.json`` of a finished run scored again elsewhere (``biodl evaluate``): its
    findings on these metrics lead the report, without learning curves.

    Scores and metrics come from ``task`` (:mod:`biodl.tasks`). For a model with
    auxiliary heads (:mod:`biodl.models.auxiliary`, e.g. DeepLoc's membrane head) each
    split's metrics also get ``<head>_accuracy``, ``_mcc``, ``_auroc`` and ``_n`` over its
    examples with a known target (when it has any), and predictions.tsv one column per
    head.
    """
    metrics: dict[str, Any] = {}
    y_true: dict[str, np.ndarray] = {}
    y_score: dict[str, np.ndarray] = {}
    rows = []
    heads = auxiliary_outputs(model)
    aux_scores: dict[str, dict[str, np.ndarray]] = {}
    n_boot, ci, seed = config.evaluate.n_bootstrap, config.evaluate.ci, config.train.seed
    kind = config_kind(config, layout)
    for name, ex in splits:
        X = kind.encode(ex)
        logits, aux = predict_with_auxiliary(model, X, batch_size=512)
        scores = task.scores(logits)
        target = task.evaluable_truth(task.truth(ex), scores)
        metrics[name] = task.metrics(target, scores, n_bootstrap=n_boot, ci=ci, seed=seed)
        if heads:
            aux_scores[name] = aux
            for head in heads:
                metrics[name].update(
                    head.metrics(
                        head.targets(ex.groups, len(ex)),
                        aux_scores[name][head.name],
                        n_bootstrap=n_boot,
                        ci=ci,
                        seed=seed,
                    )
                )
        y_true[name], y_score[name] = target, scores
        rows.append((name, ex, scores))
    write_json(out / "metrics.json", metrics)
    write_predictions(out / "predictions.tsv", rows, task, aux=aux_scores if heads else None)
    images = {} if meta is None else learning_curve_image(out, meta)
    write_run_report(
        out / "report.html",
        title=title,
        summary=summary,
        metrics=metrics,
        images={
            **images,
            **report_images(out, task, metrics, y_true, y_score),
            **track_images(out, task, rows),
        },
        notes=notes,
        findings=(
            run_flags(meta, metrics)
            if meta is not None
            else None
            if flags_meta is None
            else run_flags(flags_meta, metrics)
        ),
        headline=task.headline,
    )
    return metrics


def track_images(
    out: Path, task: Task, rows: Sequence[tuple[str, Examples, np.ndarray]]
) -> dict[str, Path]:
    """Observed and predicted tracks of the window with the most signal in the last split
    (test if there is one), for per-position regression of windows named
    ``chrom:start-end``; ``{}`` otherwise."""
    if not isinstance(task, Regression) or not task.per_position or not rows:
        return {}
    name, ex, scores = rows[-1]
    if not len(ex) or ex.values is None or np.ndim(scores) != 3:
        return {}
    truth = np.stack(ex.values).astype(np.float64)
    if truth.shape != np.shape(scores):
        return {}
    best = int(np.argmax(np.nansum(truth, axis=(1, 2))))
    chrom, start, end = region_of_id(ex.ids[best]) or (ex.ids[best], 0, truth.shape[-1])
    fig = plot_tracks(
        truth[best],
        scores[best],
        names=task.names,
        bin_size=max((end - start) // truth.shape[-1], 1),
        chrom=chrom,
        start=start,
        title=f"{ex.ids[best]} ({name}): observed and predicted",
    )
    path = out / f"tracks_{name}.png"
    save_png(fig, path)
    return {f"Tracks, the {name} window with the most signal": path}


def learning_curve_image(out: Path, meta: Mapping[str, Any]) -> dict[str, Path]:
    """``{caption: out/learning_curves.png}`` from ``out/logs/metrics.csv`` (else the
    monitored history of ``meta``), the best epoch marked; ``{}`` with nothing to draw."""
    training = meta.get("training") or {}
    curves = read_epoch_log(out / "logs" / "metrics.csv")
    monitor, history = training.get("monitor"), training.get("history")
    if not curves and monitor and history:
        curves = {str(monitor): list(history)}
    if not any(k in curves for k in ("train_loss", "valid_loss", "valid_auroc")):
        return {}
    label = {
        "multiclass": "Validation macro AUROC",
        "multilabel": "Validation mean AUROC",
    }.get(str(meta.get("task")), "Validation AUROC")
    best = training.get("best_epoch")
    path = plot_learning_curves(
        curves,
        out / "learning_curves.png",
        best_epoch=best if isinstance(best, int) else None,
        metric_label=label,
    )
    return {"Learning curves (dashed: the epoch whose weights were kept)": path}


_MODEL_KEY = re.compile(r"'model\.(\w+)")
"""The option a model-option error names (``'model.hidden': ...``)."""


def load_checked(config_path: str | os.PathLike[str]) -> Config:
    """Load a configuration and check the model options against the architecture, once:
    the validated options ride on ``config.model.checked`` (see :func:`model_params`)."""
    config = load_config(config_path)
    try:
        params = validate_params(config.model.name, config.model.params)
    except ConfigError as exc:
        found = _MODEL_KEY.search(exc.message)
        key = ("model", found.group(1)) if found else ("model", "name")
        line = config_line(config_path, key)
        raise ConfigError(exc.message, path=config_path, line=line) from None
    return config.model_copy(update={"model": config.model.with_checked(params)})


def model_params(config: Config) -> BaseModel:
    """The model options of ``config`` as validated by :func:`load_checked`; validated
    here only for a configuration built otherwise (e.g. by :func:`parse_config`)."""
    checked = config.model.checked
    if checked is not None:
        return checked
    return validate_params(config.model.name, config.model.params)
