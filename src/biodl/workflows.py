"""The jobs behind the command line: train, predict and evaluate on real files.

Each function takes paths and options, does one whole job and returns what it wrote.
The CLI (:mod:`biodl.cli`) only parses arguments and calls these.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import io
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
import yaml

from biodl.config import BedSource, Config, FastaSource, TableSource, config_to_dict, load_config
from biodl.data import (
    DataSplits,
    Examples,
    build_splits,
    class_weights,
    cross_validation_splits,
)
from biodl.encode import dinucleotide_one_hot, one_hot, pad_or_crop
from biodl.errors import ConfigError, InputError
from biodl.io import ALPHABETS, AlphabetName, read_sequences, read_table
from biodl.metrics import binary_metrics, format_metric, multiclass_metrics
from biodl.models import ModelIO, create_model, predict, validate_params
from biodl.report import plot_binary_curves, plot_confusion, write_run_report
from biodl.train import (
    RUN_FORMAT,
    atomic_write_text,
    file_checksum,
    finish_run_dir,
    fit,
    initialise_from_run,
    load_run,
    prepare_run_dir,
    save_weights,
    software_versions,
    write_json,
)
from biodl.train.rundir import RUN_FORMAT_VERSION

__all__ = [
    "cross_validate",
    "cv_table",
    "evaluate_run",
    "metrics_table",
    "predict_file",
    "train_on_splits",
    "train_run",
]


def _encode(
    examples: Sequence[str] | Examples,
    *,
    alphabet: AlphabetName,
    unknown: Literal["zero", "uniform"],
    encoding: Literal["onehot", "dinucleotide"] = "onehot",
) -> np.ndarray:
    """One-hot ``(N, C, L)``: int8 (a quarter of float32's memory) unless N is uniform.

    Models cast each batch to float32, so the storage type does not change results.
    ``encoding="dinucleotide"`` gives the 16-channel dinucleotide one-hot (DNA/RNA).
    """
    seqs = examples.sequences if isinstance(examples, Examples) else examples
    if encoding == "dinucleotide":
        if alphabet == "protein":
            raise InputError("data.encoding: dinucleotide is for DNA or RNA, not protein")
        return dinucleotide_one_hot(seqs, alphabet=alphabet, dtype=np.int8)
    dtype = np.int8 if unknown == "zero" else np.float32
    return one_hot(seqs, alphabet=alphabet, unknown=unknown, dtype=dtype)


def _channels(alphabet: AlphabetName, encoding: str) -> int:
    return 16 if encoding == "dinucleotide" else len(ALPHABETS[alphabet])


@dataclass(frozen=True)
class _Labels:
    """What a model's outputs mean: binary (one logit for ``positive``) or multi-class."""

    task: str
    classes: tuple[str, ...]
    positive: str

    @staticmethod
    def of_splits(splits: DataSplits) -> _Labels:
        return _Labels(splits.task, tuple(splits.classes), splits.positive)

    @staticmethod
    def of_run(meta: Mapping[str, Any]) -> _Labels:
        labels = meta["labels"]
        if meta.get("task") == "multiclass":
            return _Labels("multiclass", tuple(labels["classes"]), "")
        return _Labels("binary", (labels["negative"], labels["positive"]), labels["positive"])

    def probabilities(self, logits: torch.Tensor) -> np.ndarray:
        """``(N,)`` positive-class probability, or ``(N, K)`` class probabilities."""
        if self.task == "multiclass":
            return torch.softmax(logits.float(), dim=-1).numpy().astype(np.float64)
        return torch.sigmoid(logits[:, 0].float()).numpy().astype(np.float64)

    def truth(self, examples: Examples) -> np.ndarray:
        """``(N,)`` 0/1 (binary) or class index (multi-class)."""
        if self.task == "multiclass":
            index = {c: i for i, c in enumerate(self.classes)}
            return np.array([index[lab] for lab in examples.labels], dtype=np.int64)
        return np.array([lab == self.positive for lab in examples.labels], dtype=np.int64)


def _source_files(config: Config) -> list[Path]:
    files: list[Path] = []
    for spec in (config.data.train, config.data.valid, config.data.test):
        if isinstance(spec, TableSource):
            files.append(config.resolve(spec.table))
        elif isinstance(spec, FastaSource):
            fasta = spec.fasta.values() if isinstance(spec.fasta, dict) else [spec.fasta]
            files += [config.resolve(f) for f in fasta]
            if spec.labels is not None:
                files.append(config.resolve(spec.labels))
        elif isinstance(spec, BedSource):
            files += [config.resolve(f) for f in spec.bed.values()]
            files.append(config.resolve(spec.genome))
    return files


def _split_summary(splits: DataSplits) -> dict[str, dict[str, Any]]:
    if splits.task == "multiclass":
        return {
            name: {"n": len(ex), "per_class": {c: ex.labels.count(c) for c in splits.classes}}
            for name, ex in splits.items()
        }
    return {
        name: {"n": len(ex), "n_positive": sum(lab == splits.positive for lab in ex.labels)}
        for name, ex in splits.items()
    }


def _write_splits(path: Path, splits: DataSplits) -> None:
    buf = io.StringIO()
    buf.write("id\tsplit\tlabel\tchrom\tsource\tline\n")
    for name, ex in splits.items():
        chroms = ex.chroms if ex.chroms is not None else [""] * len(ex)
        for i in range(len(ex)):
            src, line = ex.origins[i]
            buf.write(f"{ex.ids[i]}\t{name}\t{ex.labels[i]}\t{chroms[i]}\t{src}\t{line}\n")
    tmp = path.with_name(f".{path.name}.tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as handle:
        handle.write(buf.getvalue())
    os.replace(tmp, path)


def _write_predictions(
    path: Path, rows: Sequence[tuple[str, Examples, np.ndarray]], labels: _Labels
) -> None:
    if labels.task == "multiclass":
        head = "id\tsplit\tlabel\tpredicted\t" + "\t".join(f"prob_{c}" for c in labels.classes)
        lines = [head]
        for split, ex, probs in rows:
            for seq_id, lab, p in zip(ex.ids, ex.labels, probs, strict=True):
                cells = "\t".join(f"{v:.6g}" for v in p)
                pred = labels.classes[int(np.argmax(p))]
                lines.append(f"{seq_id}\t{split}\t{lab}\t{pred}\t{cells}")
    else:
        lines = ["id\tsplit\tlabel\ttarget\tscore"]
        for split, ex, scores in rows:
            for seq_id, lab, sc in zip(ex.ids, ex.labels, scores, strict=True):
                target = int(lab == labels.positive)
                lines.append(f"{seq_id}\t{split}\t{lab}\t{target}\t{sc:.6g}")
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
    """Predict every split, write metrics.json, predictions.tsv, plots and report.html."""
    metrics: dict[str, Any] = {}
    y_true: dict[str, np.ndarray] = {}
    y_score: dict[str, np.ndarray] = {}
    rows = []
    n_boot, ci, seed = config.evaluate.n_bootstrap, config.evaluate.ci, config.train.seed
    for name, ex in splits:
        X = _encode(
            ex,
            alphabet=config.data.alphabet,
            unknown=config.data.unknown,
            encoding=config.data.encoding,
        )
        scores = labels.probabilities(predict(model, X, batch_size=512))
        target = labels.truth(ex)
        if labels.task == "multiclass":
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
        y_true[name], y_score[name] = target, scores
        rows.append((name, ex, scores))
    write_json(out / "metrics.json", metrics)
    _write_predictions(out / "predictions.tsv", rows, labels)
    images: dict[str, Path] = {}
    if labels.task == "multiclass":
        for name in metrics:
            images[f"Confusion matrix ({name})"] = plot_confusion(
                np.asarray(metrics[name]["confusion"]["value"]),
                labels.classes,
                out / f"confusion_{name}.png",
                title=f"Confusion matrix, {name}",
            )
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


def train_run(
    config_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    force: bool = False,
) -> Path:
    """Train the model a configuration describes and write a complete run directory.

    Parameters
    ----------
    config_path
        YAML configuration (see :mod:`biodl.config`).
    out
        Run directory to create. It is written as ``OUT.partial`` and renamed when
        complete, so a failed run leaves no half-written ``OUT``.
    force
        Replace ``out`` if it exists.

    Returns
    -------
    pathlib.Path
        The run directory: ``model.safetensors``, ``model.json``, ``config.yaml``,
        ``metrics.json``, ``predictions.tsv``, ``splits.tsv.gz``, ``roc.png``, ``pr.png``,
        ``report.html``, ``checkpoints/``, ``logs/metrics.csv``.
    """
    config = _load_checked(config_path)
    out_path = Path(out)
    if _is_rank_zero() and out_path.exists() and any(out_path.iterdir()) and not force:
        raise InputError(
            "output folder exists and is not empty; use --force to replace it", path=out_path
        )
    return train_on_splits(config, build_splits(config), out_path, force=force)


def train_on_splits(config: Config, splits: DataSplits, out: Path, *, force: bool = False) -> Path:
    """Train on splits already built and write the run directory ``out`` (rank 0 only)."""
    out_path = out
    rank_zero = _is_rank_zero()
    X_train = _encode(
        splits.train,
        alphabet=config.data.alphabet,
        unknown=config.data.unknown,
        encoding=config.data.encoding,
    )
    y_train = splits.targets(splits.train)
    valid = None
    if splits.valid is not None:
        valid = (
            _encode(
                splits.valid,
                alphabet=config.data.alphabet,
                unknown=config.data.unknown,
                encoding=config.data.encoding,
            ),
            splits.targets(splits.valid),
        )
    multiclass = splits.task == "multiclass"
    weights = class_weights(splits.train.labels, list(splits.classes))
    pos_weight = None
    per_class: list[float] | None = None
    if config.train.class_weight == "balanced":
        if multiclass:
            per_class = [weights[c] for c in splits.classes]
        elif weights[splits.positive] > 0:
            pos_weight = weights[splits.positive] / weights[splits.negative]
    io_spec = ModelIO(
        n_channels=_channels(config.data.alphabet, config.data.encoding),
        input_length=splits.input_length,
        n_outputs=len(splits.classes) if multiclass else 1,
        alphabet=config.data.alphabet,
    )
    partial = prepare_run_dir(out_path, force=force) if rank_zero else None
    try:
        L.seed_everything(config.train.seed, workers=True, verbose=False)
        model = create_model(config.model.name, config.model.params, io=io_spec)
        provenance = None
        if config.train.init_from is not None:
            provenance = initialise_from_run(
                model,
                config.resolve(config.train.init_from),
                architecture=config.model.name,
                params=validate_params(config.model.name, config.model.params).model_dump(
                    mode="json"
                ),
                replace_head=config.train.replace_head,
                freeze_trunk=config.train.freeze_trunk,
            )
        result = fit(
            model,
            (X_train, y_train),
            valid,
            config=config.train,
            out_dir=partial,
            pos_weight=pos_weight,
            frozen_trunk=provenance is not None and config.train.freeze_trunk,
            n_classes=len(splits.classes) if multiclass else None,
            class_weight=per_class,
        )
        if not result.is_rank_zero or partial is None:
            return out_path
        model.load_state_dict(result.state_dict)
        _write_run_files(partial, model, config, splits, io_spec, result, pos_weight, provenance)
    except BaseException:
        if partial is not None and partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
        raise
    return finish_run_dir(partial, out_path)


def _write_run_files(
    partial: Path,
    model: torch.nn.Module,
    config: Config,
    splits: DataSplits,
    io_spec: ModelIO,
    result: Any,
    pos_weight: float | None,
    init_from: dict[str, Any] | None = None,
) -> None:
    multiclass = splits.task == "multiclass"
    arch_params = validate_params(config.model.name, config.model.params).model_dump(mode="json")
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    save_weights(partial / "model.safetensors", model)
    atomic_write_text(
        partial / "config.yaml", yaml.safe_dump(config_to_dict(config), sort_keys=False)
    )
    _write_splits(partial / "splits.tsv.gz", splits)
    summary = _split_summary(splits)
    meta: dict[str, Any] = {
        "format": RUN_FORMAT,
        "format_version": RUN_FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "task": config.task,
        "architecture": {"name": config.model.name, "params": arch_params},
        "alphabet": config.data.alphabet,
        "unknown": config.data.unknown,
        "encoding": config.data.encoding,
        "n_channels": io_spec.n_channels,
        "input_length": io_spec.input_length,
        "labels": (
            {"classes": list(splits.classes)}
            if multiclass
            else {"positive": splits.positive, "negative": splits.negative}
        ),
        "outputs": list(splits.classes) if multiclass else [splits.positive],
        "n_parameters": n_params,
        "seed": config.train.seed,
        "class_weight": config.train.class_weight,
        "pos_weight": pos_weight,
        "init_from": init_from,
        "augment": config.train.augment.model_dump(),
        "training": {
            "epochs": result.epochs,
            "best_epoch": result.best_epoch,
            "monitor": config.train.monitor if splits.valid is not None else None,
            "history": result.history,
            "wall_s": round(result.wall_s, 3),
            "train_seq_per_s": round(result.train_seq_per_s, 1),
            "world_size": result.world_size,
            "precision": result.precision,
        },
        "data": {
            "files": [file_checksum(f) for f in _source_files(config)],
            "splits": summary,
        },
        "versions": software_versions(),
    }
    eval_splits = [(n, e) for n, e in splits.items() if n != "train"]
    ratio = summary["train"]["n"] / max(n_params, 1)
    notes = [
        (
            f"{summary['train']['n']} training examples for {n_params} trainable parameters "
            f"(ratio {ratio:.2f}; a common rule asks for 10)."
        ),
        "Metrics are point estimates with percentile-bootstrap 95 % confidence intervals.",
    ]
    metrics = _score_and_report(
        partial,
        model,
        eval_splits,
        config=config,
        labels=_Labels.of_splits(splits),
        title=f"biodl run: {config.model.name}",
        summary=_report_summary(meta),
        notes=notes,
    )
    meta["model_card"] = _model_card(meta, metrics)
    write_json(partial / "model.json", meta)


def _report_summary(meta: Mapping[str, Any]) -> dict[str, str]:
    data = meta["data"]["splits"]
    labels = meta["labels"]
    if "classes" in labels:
        task = f"{meta['task']}, classes {', '.join(labels['classes'])}"
        sizes = "; ".join(
            f"{k}: {v['n']} (" + ", ".join(f"{c} {n}" for c, n in v["per_class"].items()) + ")"
            for k, v in data.items()
        )
    else:
        task = f"{meta['task']}, positive class '{labels['positive']}'"
        sizes = "; ".join(f"{k}: {v['n']} ({v['n_positive']} positive)" for k, v in data.items())
    return {
        "model": f"{meta['architecture']['name']} ({meta['n_parameters']} parameters)",
        "task": task,
        "input": f"{meta['alphabet']}, {meta['input_length']} positions, {meta['encoding']}",
        "data": sizes,
        "training": (
            f"{meta['training']['epochs']} epochs, best epoch {meta['training']['best_epoch']}, "
            f"{meta['training']['wall_s']} s, {meta['training']['world_size']} process(es), "
            f"precision {meta['training']['precision']}"
        ),
        "seed": str(meta["seed"]),
        "versions": ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if k != "platform"),
    }


def _model_card(meta: Mapping[str, Any], metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "model_details": (
            f"{meta['architecture']['name']} trained by biodl {meta['versions']['biodl']}"
        ),
        "intended_use": (
            f"Scores {meta['alphabet'].upper()} sequences of {meta['input_length']} positions: "
            + (
                f"class '{meta['labels']['positive']}' versus '{meta['labels']['negative']}'."
                if "positive" in meta["labels"]
                else f"one of {', '.join(meta['labels']['classes'])}."
            )
        ),
        "training_data": meta["data"]["files"],
        "split_sizes": meta["data"]["splits"],
        "metrics": {
            split: {
                k: v
                for k, v in vals.items()
                if k in ("auroc", "auprc", "mcc", "accuracy", "macro_f1", "macro_auroc")
            }
            for split, vals in metrics.items()
        },
        "caveats": [
            "Inputs longer than the model input are cropped around their centre.",
            "Generated negatives (shuffles) measure motif content, not genomic background.",
        ],
    }


def _iter_inputs(
    path: Path, *, sequence_column: str | None, id_column: str | None, alphabet: AlphabetName
) -> Iterator[tuple[str, str, int]]:
    """``(id, sequence, line)`` of each input record, streamed."""
    if sequence_column is not None:
        table = read_table(path, sequence=sequence_column, id=id_column, alphabet=alphabet)
        yield from zip(table.ids, table.sequences, table.lines, strict=True)
        return
    for rec in read_sequences(path, alphabet=alphabet):
        yield rec.id, rec.sequence, rec.line


def _batched(
    items: Iterator[tuple[str, str, int]], size: int
) -> Iterator[list[tuple[str, str, int]]]:
    batch: list[tuple[str, str, int]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def predict_file(
    model_dir: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    sequence_column: str | None = None,
    id_column: str | None = None,
    pad_short: bool = False,
    batch_size: int = 512,
    device: str | None = None,
    chunk_size: int = 20000,
) -> Path:
    """Score every sequence of a FASTA/FASTQ file (or a table) with a trained model.

    FASTA/FASTQ input is streamed in chunks of ``chunk_size`` records, so memory does
    not grow with the file.

    Parameters
    ----------
    model_dir
        A run directory written by :func:`train_run`.
    input_path
        FASTA or FASTQ (plain or gzip), or a TSV/CSV table when ``sequence_column`` is set.
    out
        TSV written atomically with columns ``id``, ``score`` (probability of the positive
        class) and ``logit`` for a binary model; ``id``, ``predicted`` and ``prob_<class>``
        for each class for a multi-class model.
    pad_short
        Pad sequences shorter than the model input with N instead of failing.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    run = load_run(model_dir)
    length = run.input_length
    unknown_char = "X" if run.alphabet == "protein" else "N"
    path = Path(input_path)
    records = _iter_inputs(
        path, sequence_column=sequence_column, id_column=id_column, alphabet=run.alphabet
    )
    labels = _Labels.of_run(run.meta)
    out_path = Path(out)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    n = 0
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            if labels.task == "multiclass":
                probs_head = "\t".join(f"prob_{c}" for c in labels.classes)
                handle.write(f"id\tpredicted\t{probs_head}\n")
            else:
                handle.write("id\tscore\tlogit\n")
            for chunk in _batched(records, chunk_size):
                fitted = []
                for seq_id, seq, line in chunk:
                    if len(seq) < length and not pad_short:
                        raise InputError(
                            f"sequence '{seq_id}' is {len(seq)} long, shorter than the model "
                            f"input ({length}); use --pad to pad it with {unknown_char}",
                            path=path,
                            line=line,
                        )
                    fitted.append(
                        seq if len(seq) == length else pad_or_crop(seq, length, pad=unknown_char)
                    )
                X = _encode(
                    fitted, alphabet=run.alphabet, unknown=run.unknown, encoding=run.encoding
                )
                logits = predict(run.model, X, batch_size=batch_size, device=device)
                probs = labels.probabilities(logits)
                if labels.task == "multiclass":
                    for (seq_id, _, _), row in zip(chunk, probs, strict=True):
                        cells = "\t".join(f"{v:.6g}" for v in row)
                        pred = labels.classes[int(np.argmax(row))]
                        handle.write(f"{seq_id}\t{pred}\t{cells}\n")
                else:
                    for (seq_id, _, _), p, z in zip(
                        chunk, probs.tolist(), logits[:, 0].tolist(), strict=True
                    ):
                        handle.write(f"{seq_id}\t{p:.6g}\t{z:.6g}\n")
                n += len(chunk)
        if n == 0:
            raise InputError("no sequences to score", path=path)
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out_path


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


def cross_validate(
    config_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    folds: int = 5,
    dedupe: bool = True,
    force: bool = False,
) -> dict[str, Any]:
    """K-fold cross-validation of the configured model over its training source.

    Identical sequences (and reverse complements, for DNA) are removed before the folds
    are made (see :func:`biodl.data.cross_validation_splits`). Each fold trains a full
    run directory ``OUT/fold_<name>`` with its own early-stopping split; ``OUT/cv.json``
    holds per-fold test metrics and their mean and sample standard deviation.

    Returns
    -------
    dict
        The content of ``cv.json``.
    """
    config = _load_checked(config_path)
    out_path = Path(out)
    if out_path.exists() and any(out_path.iterdir()) and not force:
        raise InputError(
            "output folder exists and is not empty; use --force to replace it", path=out_path
        )
    # a model that scores both strands sees a sequence and its reverse complement as one
    params = validate_params(config.model.name, config.model.params).model_dump()
    rc = params.get("strands", "single") != "single"
    dedup, names, fold_splits = cross_validation_splits(
        config, folds, dedupe=dedupe, reverse_complements=rc
    )
    partial = prepare_run_dir(out_path, force=force)
    try:
        per_fold: list[dict[str, Any]] = []
        for name, splits in zip(names, fold_splits, strict=True):
            run = train_on_splits(config, splits, partial / f"fold_{name}", force=True)
            test = json.loads((run / "metrics.json").read_text())["test"]
            per_fold.append({"fold": name, **{k: v["value"] for k, v in test.items()}})
        summary: dict[str, dict[str, float | None]] = {}
        for key in per_fold[0]:
            if key == "fold" or not all(isinstance(f[key], int | float | None) for f in per_fold):
                continue
            values = [f[key] for f in per_fold if f[key] is not None]
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
            "per_fold": per_fold,
            "summary": summary,
        }
        write_json(partial / "cv.json", result)
        atomic_write_text(
            partial / "config.yaml", yaml.safe_dump(config_to_dict(config), sort_keys=False)
        )
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finish_run_dir(partial, out_path)
    return result


def cv_table(result: Mapping[str, Any]) -> str:
    """Plain-text table of cross-validation results: mean +- sd per metric."""
    d = result["deduplication"]
    lines = [
        f"{result['folds']}-fold cross-validation",
        f"deduplication: {d['removed']} copies removed, {d['kept']} kept",
    ]
    names = ["auroc", "auprc", "accuracy", "mcc", "f1", "sensitivity", "specificity"]
    names += ["macro_f1", "macro_auroc"]
    names += [k for k in result["summary"] if k.startswith("error[")]
    for name in names:
        entry = result["summary"].get(name, {})
        if entry.get("mean") is None:
            continue
        sd = "" if entry.get("sd") is None else f" +- {entry['sd']:.3f}"
        lines.append(f"{name:<13}{entry['mean']:.3f}{sd}")
    return "\n".join(lines)


def metrics_table(metrics: Mapping[str, Any]) -> str:
    """Plain-text table of metrics with CIs, one row per metric, one column per split."""
    splits = [s for s in metrics if not s.startswith("_")]
    if splits and "macro_f1" in metrics[splits[0]]:
        first = metrics[splits[0]]
        names = ["accuracy", "mcc", "macro_f1", "macro_auroc"]
        names += [k for k in first if k.startswith(("error[", "f1["))]
    else:
        names = ["auroc", "auprc", "accuracy", "mcc", "f1", "sensitivity", "specificity"]
        names.append("precision")
    width = max(13, *(len(n) + 2 for n in names))
    lines = ["metric".ljust(width) + "".join(f"{s:>26}" for s in splits)]
    for name in names:
        cells = "".join(f"{format_metric(metrics[s].get(name, {})):>26}" for s in splits)
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)
