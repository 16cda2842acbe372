"""Pieces shared by the jobs: encoding, label handling, scoring and reporting."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from biodl.config import Config, load_config
from biodl.data import DataSplits, Examples, fit_sequence
from biodl.data.inputs import encode_inputs, structure_cache_dir
from biodl.errors import ConfigError, InputError
from biodl.io import ALPHABETS, AlphabetName
from biodl.metrics import (
    binary_metrics,
    multiclass_metrics,
    multilabel_metrics,
    regression_metrics,
)
from biodl.models import WithMembrane, has_membrane_head, predict, validate_params
from biodl.report import plot_binary_curves, plot_confusion, write_run_report
from biodl.train import Run, atomic_write_text, write_json
from biodl.train.module import bin_targets

# the shared encoder lives in the data layer; these names are kept for the workflows
_encode = encode_inputs
_structure_cache = structure_cache_dir


def _fit_input(seq_id: str, seq: str, line: int, *, run: Run, path: Path, pad_short: bool) -> str:
    """A user's sequence cropped or padded to ``run``'s input as in training; a sequence
    shorter than the input is an error naming its file and line unless ``pad_short``."""
    length = run.input_length
    unknown_char = "X" if run.alphabet == "protein" else "N"
    if len(seq) < length and not pad_short:
        raise InputError(
            f"sequence '{seq_id}' is {len(seq)} long, shorter than the model input "
            f"({length}); use --pad to pad it with {unknown_char}",
            path=path,
            line=line,
        )
    return fit_sequence(seq, length, pad=unknown_char, crop=run.crop)


#: DeepLoc's membrane flags (the group of each protein read with ``header_label: deeploc``)
#: as training targets: membrane-bound 1, soluble 0; any other group (``U``) is unknown.
MEMBRANE_FLAGS: Mapping[str, float] = {"M": 1.0, "S": 0.0}


def _membrane_flags(examples: Examples) -> np.ndarray:
    """Float32 ``(N,)`` membrane targets of ``examples``: 1 (M), 0 (S), NaN otherwise."""
    if examples.groups is None:
        return np.full(len(examples), np.nan, dtype=np.float32)
    return np.array([MEMBRANE_FLAGS.get(g, np.nan) for g in examples.groups], dtype=np.float32)


def _membrane_counts(examples: Examples) -> dict[str, int]:
    """``{"M": .., "S": .., "unknown": ..}``: the membrane flags of ``examples``."""
    flags = _membrane_flags(examples)
    known = ~np.isnan(flags)
    n_m = int((flags[known] == 1).sum())
    return {"M": n_m, "S": int(known.sum()) - n_m, "unknown": int((~known).sum())}


def _predict_outputs(
    model: torch.nn.Module,
    X: np.ndarray,
    *,
    batch_size: int = 512,
    device: str | torch.device | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Logits of ``model`` and, for a model with a membrane head, its membrane logits
    ``(N,)`` (else ``None``), from one batched pass (:func:`biodl.models.predict`)."""
    if not has_membrane_head(model):
        return predict(model, X, batch_size=batch_size, device=device), None
    joined = predict(WithMembrane(model), X, batch_size=batch_size, device=device)
    if joined.numel() == 0:
        return joined, joined.reshape(-1)
    return joined[:, :-1], joined[:, -1]


def _membrane_metrics(
    flags: np.ndarray, probs: np.ndarray, *, n_bootstrap: int, ci: float, seed: int
) -> dict[str, Any]:
    """``membrane_accuracy``, ``membrane_mcc``, ``membrane_auroc`` (threshold 0.5) and
    ``membrane_n`` over the examples with a known flag; empty without any."""
    known = ~np.isnan(flags)
    if not known.any():
        return {}
    scored = binary_metrics(
        flags[known].astype(np.int64),
        probs[known],
        threshold=0.5,
        n_bootstrap=n_bootstrap,
        ci=ci,
        seed=seed,
    )
    out = {f"membrane_{k}": scored[k] for k in ("accuracy", "mcc", "auroc")}
    out["membrane_n"] = scored["n"]
    return out


def _channels(alphabet: AlphabetName, encoding: str, length: int = 0) -> int:
    if encoding == "structure":
        return 8 + length
    return 16 if encoding == "dinucleotide" else len(ALPHABETS[alphabet])


@dataclass(frozen=True)
class _Labels:
    """What a model's outputs mean.

    Binary (one logit for ``positive``), multi-class (``classes``), or numeric outputs
    (multi-label, regression: ``classes`` names the outputs), possibly per position.
    """

    task: str
    classes: tuple[str, ...]
    positive: str
    per_position: bool = False
    loss: str = "auto"

    @property
    def numeric(self) -> bool:
        return self.task in ("multilabel", "regression")

    @staticmethod
    def of_splits(splits: DataSplits, *, loss: str = "auto") -> _Labels:
        return _Labels(
            splits.task, tuple(splits.classes), splits.positive, splits.per_position, loss
        )

    @staticmethod
    def of_run(meta: Mapping[str, Any]) -> _Labels:
        labels = meta["labels"]
        task = meta.get("task", "binary")
        if task in ("multilabel", "regression"):
            return _Labels(
                task,
                tuple(labels["outputs"]),
                "",
                bool(meta.get("per_position", False)),
                str(meta.get("loss", "auto")),
            )
        if task == "multiclass":
            return _Labels("multiclass", tuple(labels["classes"]), "")
        return _Labels("binary", (labels["negative"], labels["positive"]), labels["positive"])

    def probabilities(self, logits: torch.Tensor) -> np.ndarray:
        """``(N,)`` positive-class probability, ``(N, K)`` class probabilities, or the
        outputs ``(N, T)`` / ``(N, T, L)`` of a multi-label (probabilities) or regression
        model (values; ``exp`` of the log rate for a Poisson model)."""
        z = logits.float()
        if self.task == "multiclass":
            return torch.softmax(z, dim=-1).numpy().astype(np.float64)
        if self.task == "multilabel":
            return torch.sigmoid(z).numpy().astype(np.float64)
        if self.task == "regression":
            return (torch.exp(z) if self.loss == "poisson" else z).numpy().astype(np.float64)
        return torch.sigmoid(z[:, 0]).numpy().astype(np.float64)

    def truth(self, examples: Examples) -> np.ndarray:
        """``(N,)`` 0/1 (binary), class index (multi-class), or the output values."""
        if self.numeric:
            if not examples.values:
                return np.zeros((0, len(self.classes)))
            return np.stack(examples.values).astype(np.float64)
        if self.task == "multiclass":
            index = {c: i for i, c in enumerate(self.classes)}
            return np.array([index[lab] for lab in examples.labels], dtype=np.int64)
        return np.array([lab == self.positive for lab in examples.labels], dtype=np.int64)

    def header(self) -> str:
        """Column names of the per-example predictions (after id and split)."""
        if self.numeric:
            return "\t".join(f"true_{c}\tpred_{c}" for c in self.classes)
        if self.task == "multiclass":
            return "label\tpredicted\t" + "\t".join(f"prob_{c}" for c in self.classes)
        return "label\ttarget\tscore"


def _cell(values: np.ndarray) -> str:
    """One value, or per-position values comma-separated; NaN as NA."""
    flat = np.atleast_1d(values)
    text = ["NA" if np.isnan(v) else f"{v:.6g}" for v in flat.tolist()]
    return ",".join(text)


def _numeric_row(truth: np.ndarray | None, pred: np.ndarray) -> str:
    cells = []
    for t in range(pred.shape[0]):
        true_cell = "" if truth is None else _cell(truth[t])
        cells += [true_cell, _cell(pred[t])]
    return "\t".join(cells)


def _bin_truth(truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-position truth averaged into the model's output bins (NaN-aware)."""
    if truth.ndim != 3 or truth.shape[-1] == scores.shape[-1]:
        return truth
    return bin_targets(torch.from_numpy(truth), scores.shape[-1]).numpy().astype(np.float64)


def _write_predictions(
    path: Path,
    rows: Sequence[tuple[str, Examples, np.ndarray]],
    labels: _Labels,
    *,
    membrane: Mapping[str, np.ndarray] | None = None,
) -> None:
    """One line per example; with ``membrane`` (``{split: (N,) probabilities}``, models
    with a membrane head) a last column ``membrane``, the probability of membrane-bound."""
    lines = ["id\tsplit\t" + labels.header()]
    if labels.numeric:
        for split, ex, scores in rows:
            truth = _bin_truth(labels.truth(ex), scores)
            for seq_id, t, p in zip(ex.ids, truth, scores, strict=True):
                lines.append(f"{seq_id}\t{split}\t{_numeric_row(t, p)}")
    elif labels.task == "multiclass":
        for split, ex, probs in rows:
            for seq_id, lab, p in zip(ex.ids, ex.labels, probs, strict=True):
                cells = "\t".join(f"{v:.6g}" for v in p)
                pred = labels.classes[int(np.argmax(p))]
                lines.append(f"{seq_id}\t{split}\t{lab}\t{pred}\t{cells}")
    else:
        for split, ex, scores in rows:
            for seq_id, lab, sc in zip(ex.ids, ex.labels, scores, strict=True):
                target = int(lab == labels.positive)
                lines.append(f"{seq_id}\t{split}\t{lab}\t{target}\t{sc:.6g}")
    if membrane is not None:
        lines[0] += "\tmembrane"
        chained = [p for split, _, _ in rows for p in membrane[split].tolist()]
        lines[1:] = [f"{line}\t{p:.6g}" for line, p in zip(lines[1:], chained, strict=True)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def _score_and_report(
    out: Path,
    model: torch.nn.Module,
    splits: Sequence[tuple[str, Examples]],
    *,
    config: Config,
    labels: _Labels,
    title: str,
    summary: Mapping[str, str],
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """Predict every split, write metrics.json, predictions.tsv, plots and report.html.

    For a model with a membrane head (:func:`biodl.models.has_membrane_head`) each
    split's metrics also get ``membrane_accuracy``, ``membrane_mcc``, ``membrane_auroc``
    and ``membrane_n`` over its examples with a known M/S flag (when it has any), and
    predictions.tsv a ``membrane`` column.
    """
    metrics: dict[str, Any] = {}
    y_true: dict[str, np.ndarray] = {}
    y_score: dict[str, np.ndarray] = {}
    rows = []
    with_membrane = has_membrane_head(model)
    membrane: dict[str, np.ndarray] = {}
    n_boot, ci, seed = config.evaluate.n_bootstrap, config.evaluate.ci, config.train.seed
    for name, ex in splits:
        X = _encode(
            ex,
            alphabet=config.data.alphabet,
            unknown=config.data.unknown,
            encoding=config.data.encoding,
        )
        logits, membrane_logits = _predict_outputs(model, X, batch_size=512)
        scores = labels.probabilities(logits)
        target = labels.truth(ex)
        if labels.numeric:
            target = _bin_truth(target, scores)
            score_fn = multilabel_metrics if labels.task == "multilabel" else regression_metrics
            options: dict[str, Any] = {"n_bootstrap": n_boot, "ci": ci, "seed": seed}
            if labels.task == "multilabel":
                options["threshold"] = config.evaluate.threshold
            metrics[name] = score_fn(target, scores, outputs=labels.classes, **options)
        elif labels.task == "multiclass":
            metrics[name] = multiclass_metrics(
                target, scores, classes=labels.classes, n_bootstrap=n_boot, ci=ci, seed=seed
            )
        else:
            metrics[name] = binary_metrics(
                target,
                scores,
                threshold=config.evaluate.threshold,
                n_bootstrap=n_boot,
                ci=ci,
                seed=seed,
            )
        if membrane_logits is not None:
            membrane[name] = torch.sigmoid(membrane_logits.float()).numpy().astype(np.float64)
            metrics[name].update(
                _membrane_metrics(
                    _membrane_flags(ex), membrane[name], n_bootstrap=n_boot, ci=ci, seed=seed
                )
            )
        y_true[name], y_score[name] = target, scores
        rows.append((name, ex, scores))
    write_json(out / "metrics.json", metrics)
    _write_predictions(
        out / "predictions.tsv", rows, labels, membrane=membrane if with_membrane else None
    )
    images: dict[str, Path] = {}
    if labels.task == "multiclass":
        for name in metrics:
            images[f"Confusion matrix ({name})"] = plot_confusion(
                np.asarray(metrics[name]["confusion"]["value"]),
                labels.classes,
                out / f"confusion_{name}.png",
                title=f"Confusion matrix, {name}",
            )
    elif labels.task == "multilabel" and not labels.per_position:
        last = list(y_true)[-1]  # test if there is one
        truth, score = y_true[last], y_score[last]
        curves_true, curves_score = {}, {}
        for t, out_name in enumerate(labels.classes[:8]):
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
    elif labels.numeric:
        pass  # per-position and regression outputs: metrics tables only
    elif any(len(set(t.tolist())) == 2 for t in y_true.values()):
        curves = plot_binary_curves(y_true, y_score, out)
        images = {"ROC curve": curves["roc"], "Precision-recall curve": curves["pr"]}
    write_run_report(
        out / "report.html",
        title=title,
        summary=summary,
        metrics=metrics,
        images=images,
        notes=notes,
    )
    return metrics


def _load_checked(config_path: str | os.PathLike[str]) -> Config:
    """Load a configuration and check the model options against the architecture."""
    config = load_config(config_path)
    try:
        validate_params(config.model.name, config.model.params)
    except ConfigError as exc:
        raise ConfigError(exc.message, path=config_path) from None
    return config


def _is_rank_zero() -> bool:
    """Whether this process writes outputs (rank 0 of torchrun, SLURM or Lightning's launcher)."""
    keys = ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK")
    return all(os.environ.get(k, "0") == "0" for k in keys)
