"""``biodl train``: train the model a configuration describes; write the run directory."""

from __future__ import annotations

import contextlib
import datetime as _dt
import gzip
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
import yaml

from biodl.config import (
    BedSource,
    BlockSplit,
    ChromosomeSplit,
    Config,
    CpgSource,
    FastaSource,
    FractionSplit,
    HomologyConfig,
    MatrixSource,
    MoleculeSource,
    MultiViewSource,
    PileupSource,
    RegionSplit,
    ResidueSource,
    ScaffoldSplit,
    TableSource,
    TrackSource,
    config_from,
    config_line,
    config_to_dict,
)
from biodl.data import DataSplits, build_splits
from biodl.data.homology import max_cross_identity
from biodl.data.sources import MemoryTable, memory_table
from biodl.data.tracks import track_files, track_meta
from biodl.encode.molecules import ModelInput
from biodl.errors import ConfigError, InputError
from biodl.io.atomic import (
    atomic_open,
    atomic_write_text,
    check_output_dir,
    partial_dir,
    staged_dir,
    write_json,
)
from biodl.models import (
    Ensemble,
    ModelIO,
    auxiliary_outputs,
    auxiliary_targets,
    create_model,
    predict_with_auxiliary,
    pretrain_unsupervised,
)
from biodl.models.scaling import fold_output_scaling, standardise_targets, target_scaling
from biodl.progress import log_file, step
from biodl.report.findings import run_flags
from biodl.runs import (
    RUN_FORMAT,
    RUN_FORMAT_VERSION,
    file_checksum,
    save_weights,
    software_versions,
)
from biodl.tasks import Multiclass, Task, bpnet_count_weight
from biodl.train import fit, initialise_from_run, is_rank_zero
from biodl.train.checkpoint import check_resumable, discard_training_state, run_fingerprint
from biodl.workflows.common import (
    config_kind,
    input_alphabet,
    load_checked,
    model_params,
    score_and_report,
    threshold_note,
)
from biodl.workflows.results import TrainResult

__all__ = [
    "ConfigLike",
    "TableLike",
    "checked_config",
    "dropped_line",
    "homology_line",
    "run_notes",
    "train_on_splits",
    "train_run",
]

ConfigLike = str | os.PathLike[str] | Mapping[str, Any] | Config
"""A configuration: a YAML file, a mapping with the YAML's schema, or a :class:`Config`."""

TableLike = Any
"""Examples in memory: a pandas DataFrame, a mapping of column name to values, or a pair
``(sequences, labels)`` (see :func:`biodl.data.sources.memory_table`)."""

_SPLITS = ("train", "valid", "test")


def checked_config(config: ConfigLike, *, memory_splits: tuple[str, ...] = ()) -> Config:
    """A configuration loaded from any of its forms (:func:`biodl.config.config_from`)
    with its model options checked against the architecture, once (a file's errors name
    the line, as :func:`~biodl.workflows.common.load_checked`'s)."""
    if isinstance(config, str | os.PathLike):
        return load_checked(config)
    loaded = config_from(config, memory_splits=memory_splits)
    if loaded.model.checked is not None:
        return loaded
    return loaded.model_copy(update={"model": loaded.model.with_checked(model_params(loaded))})


def _with_memory(
    config: Config,
    data: TableLike,
    valid: TableLike | None,
    test: TableLike | None,
) -> Config:
    """``config`` reading its ``train`` (and ``valid``/``test``) rows from memory.

    The training rows are read with the configuration's ``data.train`` options
    (``sequence``, ``label``, ``id``, ``group``, ``chrom``, ``fold``, ``negatives``,
    ``label_map``). A ``split`` column in ``data`` (values ``train``, ``valid``,
    ``test``) divides its rows; the held-out parts are read with the training options,
    as a held-out fraction is. ``valid`` and ``test`` tables are read with their own
    ``data.valid``/``data.test`` options when the configuration gives them, else with
    the training options without ``negatives``.
    """
    train = config.data.train
    if not isinstance(train, TableSource):
        raise ConfigError(
            "in-memory data need data.train to be table options (sequence:, label:, id:), "
            f"not a {type(train).__name__}"
        )
    if isinstance(data, tuple) and train.label is None:
        train = train.model_copy(update={"label": "label"})
    seq, label = train.sequence, train.label
    tables = {"train": memory_table(data, split="train", sequence=seq, label=label)}
    from_train: set[str] = set()
    if "split" in tables["train"].header and "split" not in (train.fold, train.group):
        tables = _by_split_column(tables["train"])
        from_train = set(tables) - {"train"}
    for name, frame in (("valid", valid), ("test", test)):
        if frame is None:
            continue
        if name in from_train:
            raise ConfigError(
                f"{name} data are given twice: by the 'split' column and as the {name} table"
            )
        tables[name] = memory_table(frame, split=name, sequence=seq, label=label)
    updates: dict[str, Any] = {}
    for name, table in tables.items():
        spec = getattr(config.data, name)
        if name == "train" or name in from_train:
            if name != "train" and spec is not None:
                raise ConfigError(
                    f"{name} data are given twice: by the 'split' column and by data.{name}"
                )
            options = train
        elif isinstance(spec, TableSource):
            options = spec
        elif spec is not None:
            raise ConfigError(
                f"{name} data are given twice: as a table in memory and by data.{name}"
            )
        else:
            options = train.model_copy(update={"negatives": None})
        updates[name] = options.with_memory(table)
    return config.model_copy(update={"data": config.data.model_copy(update=updates)})


def _by_split_column(table: MemoryTable) -> dict[str, MemoryTable]:
    """The parts of ``table`` by its ``split`` column: ``train``, ``valid``, ``test``."""
    col = table.header.index("split")
    parts: dict[str, list[tuple[str, ...]]] = {name: [] for name in _SPLITS}
    for i, row in enumerate(table.rows, start=1):
        value = row[col].strip().lower()
        if value not in parts:
            raise InputError(
                f"column 'split': {row[col]!r} is not one of train, valid, test",
                path=f"{table.name}, row {i}",
            )
        parts[value].append(row)
    if not parts["train"]:
        raise InputError("column 'split' names no 'train' row", path=table.name)
    return {
        name: MemoryTable(split=name, header=table.header, rows=tuple(rows))
        for name, rows in parts.items()
        if rows
    }


def _source_files(config: Config) -> list[Path]:
    files: list[Path] = []
    for spec in (config.data.train, config.data.valid, config.data.test):
        files += _spec_files(config, spec)
    return files


def _spec_files(config: Config, spec: Any) -> list[Path]:
    """The data files one split's source names (none for rows given in memory)."""
    files: list[Path] = []
    if isinstance(spec, TableSource) and spec.memory is not None:
        return files  # rows given in memory: see _data_checksums
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
    elif isinstance(spec, ResidueSource):
        names = spec.residues.values() if isinstance(spec.residues, dict) else [spec.residues]
        files += [config.resolve(f) for f in names]
    elif isinstance(spec, CpgSource):
        files += [config.resolve(f) for f in spec.cpg.values()]
        if spec.genome is not None:
            files.append(config.resolve(spec.genome))
    elif isinstance(spec, MatrixSource):
        files.append(config.resolve(spec.matrix))
        if spec.labels is not None:
            files.append(config.resolve(spec.labels))
    elif isinstance(spec, MultiViewSource):
        files += [config.resolve(view.matrix) for view in spec.views.values()]
        if spec.labels is not None:
            files.append(config.resolve(spec.labels))
    elif isinstance(spec, PileupSource):
        files += [config.resolve(spec.reads), config.resolve(spec.genome)]
        files += [config.resolve(f) for f in (spec.truth, spec.confident) if f is not None]
        if isinstance(spec.candidate_regions, str):
            files.append(config.resolve(spec.candidate_regions))
    elif isinstance(spec, RegionSplit):
        files.append(config.resolve(spec.regions))
    elif isinstance(spec, TrackSource):
        files += track_files(spec, config)
    elif isinstance(spec, MoleculeSource):
        files.append(config.resolve(spec.molecules))
        if spec.split_file is not None:
            files.append(config.resolve(spec.split_file))
    return files


PREPROCESS_FILE = "preprocess.json"
"""The fitted preprocessing of an expression-matrix run (:mod:`biodl.encode.matrix`)."""


def _matrix_meta(config: Config, splits: DataSplits) -> dict[str, Any] | None:
    """model.json's ``matrix`` block: how a new matrix is read and preprocessed."""
    source = config.data.train
    if isinstance(source, MultiViewSource) and splits.preprocess is not None:
        state = splits.preprocess
        return {  # how each view is read; preprocess.json holds every view's pipeline
            "preprocess": PREPROCESS_FILE,
            "views": {
                name: {
                    "format": view.format,
                    "orientation": view.orientation,
                    "sep": view.sep,
                    "sample_id": view.sample_id,
                    "feature_id": view.feature_id,
                    "skip_columns": list(view.skip_columns),
                    "skip_rows": view.skip_rows,
                    "n_features": width,
                }
                for (name, view), (_, width) in zip(
                    source.views.items(), splits.layout[1:], strict=True
                )
            },
            "missing_samples": source.missing_samples,
            "n_features_in": len(state["features_in"]),
            "n_features": len(state["features_out"]),
            "fitted_on": f"train split ({state['n_train']} samples), each view alone",
        }
    if not isinstance(source, MatrixSource) or splits.preprocess is None:
        return None
    state = splits.preprocess
    return {
        "preprocess": PREPROCESS_FILE,
        "format": source.format,
        "orientation": source.orientation,
        "sep": source.sep,
        "sample_id": source.sample_id,
        "feature_id": source.feature_id,
        "skip_columns": list(source.skip_columns),
        "skip_rows": source.skip_rows,
        # text columns about the samples (label, split): not features of a new matrix
        "annotations": [c for c in (source.label, source.split) if c is not None],
        # MAF files: which mutations count, and how (a new MAF is read the same way)
        "maf_value": source.maf_value,
        "maf_classes": source.maf_classes,
        "maf_sample_chars": source.maf_sample_chars,
        "steps": [step.as_spec() for step in config.data.preprocess],
        "n_features_in": len(state["features_in"]),
        "n_features": len(state["features_out"]),
        "fitted_on": f"train split ({state['n_train']} samples)",
    }


def _split_summary(splits: DataSplits) -> dict[str, dict[str, Any]]:
    task = splits.as_task()
    if task.numeric:
        out: dict[str, dict[str, Any]] = {}
        for name, ex in splits.items():
            y = splits.targets(ex)
            per_output: dict[str, dict[str, float | int]] = {}
            for t, o in enumerate(splits.classes):
                col = y[:, t]
                seen = col[~np.isnan(col)]
                entry: dict[str, float | int] = {"n_observed": int(seen.size)}
                if task.binary_outputs:
                    entry["n_positive"] = int(seen.sum())
                else:
                    entry["mean"] = float(seen.mean()) if seen.size else float("nan")
                per_output[o] = entry
            out[name] = {"n": len(ex), "per_output": per_output}
        return out
    if isinstance(task, Multiclass):
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
    with (
        atomic_open(path, "wb") as raw,
        gzip.open(raw, "wt", encoding="utf-8", compresslevel=6) as handle,
    ):
        handle.write(buf.getvalue())


def homology_line(homology: Mapping[str, Any]) -> str:
    """One line on the homology-aware splits of a run or of all folds of a CV.

    ``homology`` is ``model.json``'s (or ``cv.json``'s) ``homology`` block: the
    clustering ``identity`` and ``coverage`` and, per held-out split, the largest
    identity of a held-out protein to a training protein, with that coverage
    (``max_train_identity``) and at any coverage (``max_train_identity_any_coverage``).

    Examples
    --------
    >>> homology_line({"identity": 0.3, "coverage": 0.8,
    ...                "max_train_identity": {"valid": 0.29, "test": 0.288},
    ...                "max_train_identity_any_coverage": {"valid": 0.98, "test": 0.936}})
    'Homology-aware splits at 30% identity and 80% coverage; largest identity of a \
held-out protein to a training protein with that coverage: valid 0.290, test 0.288; at any \
coverage (a fragment of a training protein counts): valid 0.980, test 0.936'
    """

    def listed(values: Mapping[str, float]) -> str:
        return ", ".join(f"{k} {v:.3f}" for k, v in values.items())

    return (
        f"Homology-aware splits at {homology['identity']:.0%} identity and "
        f"{homology['coverage']:.0%} coverage; largest identity of a held-out protein to a "
        f"training protein with that coverage: {listed(homology['max_train_identity'])}; "
        "at any coverage (a fragment of a training protein counts): "
        f"{listed(homology['max_train_identity_any_coverage'])}"
    )


def run_notes(run: str | os.PathLike[str]) -> list[str]:
    """Lines about how a finished run's data were split, for the terminal.

    The largest identity of a held-out protein to a training protein (homology-aware
    splits) and the classes dropped by ``data.min_class_size``, from ``model.json``.
    """
    return notes_of(json.loads((Path(run) / "model.json").read_text()))


def notes_of(meta: Mapping[str, Any]) -> list[str]:
    """The lines of :func:`run_notes` from a run's metadata (``model.json``)."""
    lines = []
    if meta.get("homology"):
        lines.append(homology_line(meta["homology"]))
    if meta["data"].get("dropped_classes"):
        lines.append(dropped_line(meta["data"]["dropped_classes"]))
    return lines


def dropped_line(dropped: Mapping[str, int]) -> str:
    """The classes dropped by ``data.min_class_size``, with their counts, in one line.

    Examples
    --------
    >>> dropped_line({"C": 1, "D": 1})
    'dropped classes (data.min_class_size): C (1), D (1)'
    """
    listed = ", ".join(f"{c} ({n})" for c, n in dropped.items())
    return f"dropped classes (data.min_class_size): {listed}"


def _who_and_how() -> dict[str, str]:
    """``user``, ``host`` and ``command`` of this training run, for provenance."""
    import getpass
    import platform
    import shlex
    import sys

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        user = "unknown"
    return {"user": user, "host": platform.node(), "command": shlex.join(sys.argv)}


def _held_out_identity(splits: DataSplits, homology: HomologyConfig) -> dict[str, Any]:
    """Largest identity of each held-out split to the training proteins, as clustered.

    Measured on the sequences as read (the ones the clustering saw), not on the cropped
    or padded model inputs: cropping changes lengths, so pairs the coverage rule kept
    apart can look linked after it. Reported at the clustering coverage and at coverage
    0, where a held-out protein that is mostly a fragment of a training protein counts.
    """
    train = splits.train.as_read
    held = [(name, ex.as_read) for name, ex in splits.items() if name != "train"]

    def best(coverage: float) -> dict[str, float]:
        return {
            name: max_cross_identity(
                train,
                seqs,
                identity=homology.identity,
                coverage=coverage,
                method=homology.method,
            )
            for name, seqs in held
        }

    with step("largest identity of held-out to training proteins"):
        at_coverage, any_coverage = best(homology.coverage), best(0.0)
    return {
        "max_train_identity": at_coverage,
        "max_train_identity_any_coverage": any_coverage,
        "note": "largest identity (identical residues / length of the shorter protein) of a "
        "held-out protein to a training protein, on the sequences as read; first with the "
        "clustering coverage, then at any coverage; pairs the search examines (a value below "
        "the threshold is a lower bound)",
    }


def train_run(
    config: ConfigLike,
    out: str | os.PathLike[str],
    *,
    data: TableLike | None = None,
    valid: TableLike | None = None,
    test: TableLike | None = None,
    force: bool = False,
    resume: bool = False,
) -> TrainResult:
    """Train the model a configuration describes and write a complete run directory.

    ``biodl train CONFIG --out OUT`` calls ``train_run(CONFIG, OUT)``. In a notebook the
    configuration may be a mapping (or a :class:`~biodl.config.Config`) and the examples
    a DataFrame: ``train_run(config_dict, "run", data=df)`` trains exactly as the YAML
    route on the same rows (same splits, weights and metrics for the same seed).

    Parameters
    ----------
    config
        A YAML file (relative paths in it resolve against its folder), a mapping with
        the same schema, validated as strictly with the same messages (relative paths
        resolve against the current folder), or a :class:`~biodl.config.Config`.
    out
        Run directory to create. It is written as ``OUT.partial`` and renamed when
        complete, so a failed run leaves no half-written ``OUT``.
    data
        Training examples in memory, read in place of ``data.train``'s file with its
        column options (``sequence:``, ``label:``, ``id:``, ``group:``, ``chrom:``,
        ``negatives:``...; ``table:`` may be left out): a pandas DataFrame or a mapping
        of columns, or a pair ``(sequences, labels)`` (then named by ``sequence:`` and
        ``label:``, by default ``sequence`` and ``label``). A ``split`` column with
        ``train``/``valid``/``test`` divides the rows; else ``data.valid``/``data.test``
        split them as usual (``{fraction: F}``, ``{chromosomes: [...]}``, a file).
    valid, test
        Held-out examples in memory, in the same forms, read with the configuration's
        ``data.valid``/``data.test`` table options if it gives them, else with the
        training options without ``negatives``.
    force
        Replace ``out`` if it exists (refused when it holds the configuration or a data
        file: checked before anything is read or written).
    resume
        Continue in the ``OUT.partial`` folder an interrupted run left (Ctrl-C, SIGTERM
        or a kill keep it, with its checkpoints) instead of starting afresh.

    Returns
    -------
    TrainResult
        ``out``, the run directory (path-like): ``model.safetensors``, ``model.json``,
        ``config.yaml``, ``metrics.json``, ``predictions.tsv``, ``splits.tsv.gz``,
        ``roc.png``, ``pr.png``, ``report.html``, ``checkpoints/``, ``logs/metrics.csv``;
        the ``metrics``, the ``notes`` on the splits and ``meta`` (``model.json``). For
        data given in memory, ``model.json``'s ``data.files`` records each table's
        rows and SHA-256 (``path`` ``<in memory: train>``) in place of a file checksum,
        and ``config.yaml`` has ``table: <in memory>``.

    Raises
    ------
    ConfigError
        The configuration does not validate (or in-memory data with a non-table
        ``data.train``, or held-out data given twice).
    InputError
        Bad data: a named column missing (``in-memory train data: label column 'y' not
        found; columns are: seq, id``), an illegal character, a bad label...

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from biodl.testing import planted_motif_dataset
    >>> seqs, labels = planted_motif_dataset(40, 40, length=30, seed=0)
    >>> frame = pd.DataFrame({"seq": seqs, "bound": labels})
    >>> config = {"task": "binary", "data": {"train": {"sequence": "seq", "label": "bound"},
    ...           "valid": {"fraction": 0.25}},
    ...           "model": {"name": "deepbind", "n_filters": 4, "filter_width": 8, "hidden": 4},
    ...           "train": {"max_epochs": 1, "seed": 0, "progress_bar": False},
    ...           "evaluate": {"n_bootstrap": 0}}
    >>> run = train_run(config, tempfile.mkdtemp() + "/run", data=frame)
    >>> sorted(run.metrics), run.meta["data"]["files"][0]["path"]
    (['valid'], '<in memory: train>')
    """
    given = {"train": data, "valid": valid, "test": test}
    memory = tuple(name for name, frame in given.items() if frame is not None)
    if memory and "train" not in memory:
        raise ConfigError("valid/test data in memory need the training data in memory (data=)")
    loaded = checked_config(config, memory_splits=memory)
    if data is not None:
        loaded = _with_memory(loaded, data, valid, test)
    out_path = Path(out)
    config_path = config if isinstance(config, str | os.PathLike) else None
    inputs = [*([Path(config_path)] if config_path is not None else []), *_source_files(loaded)]
    if loaded.train.init_from is not None:
        inputs.append(loaded.resolve(loaded.train.init_from))
    if is_rank_zero():  # fail before reading the data; other ranks write nothing
        check_output_dir(out_path, force=force, inputs=inputs)
        if resume:  # before the data are read, and before OUT.partial could be touched
            check_resumable(partial_dir(out_path), fingerprint=_run_fingerprint(loaded))
    with step("reading, encoding and splitting the data"):
        splits = build_splits(loaded)
    return train_on_splits(
        loaded,
        splits,
        out_path,
        force=force,
        config_path=config_path,
        inputs=inputs,
        resume=resume,
    )


def _data_checksums(config: Config) -> list[dict[str, Any]]:
    """Path, size and SHA-256 of each data file the configuration names (read once per
    training: the resume fingerprint and model.json share them); a table given in
    memory gives its rows and SHA-256 (:meth:`~biodl.data.sources.MemoryTable.checksum`)."""
    memory = [
        spec.memory.checksum()
        for spec in (config.data.train, config.data.valid, config.data.test)
        if isinstance(spec, TableSource) and spec.memory is not None
    ]
    return [file_checksum(f) for f in _source_files(config)] + memory


def _run_fingerprint(config: Config, files: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The configuration's and the data files' hashes a resumed run must match."""
    checksums = _data_checksums(config) if files is None else files
    return run_fingerprint(config_to_dict(config), checksums)


def _auxiliary_targets(
    model: torch.nn.Module, splits: DataSplits, config_path: str | os.PathLike[str] | None
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Targets ``(train, valid)`` of ``model``'s auxiliary heads (``(N, A)``, NaN where
    unknown; :mod:`biodl.models.auxiliary`), or ``None`` for a model without any.

    Raises
    ------
    ConfigError
        A head has no known target in the training split.
    """
    heads = auxiliary_outputs(model)
    if not heads:
        return None
    train = auxiliary_targets(model, splits.train.groups, len(splits.train))
    for i, head in enumerate(heads):
        if np.isnan(train[:, i]).all():
            raise ConfigError(
                f"the model's {head.name} head needs {head.positive}/{head.negative} groups "
                f"on the training examples ({head.hint}); the training data have none",
                path=config_path,
            )
    valid = (
        None
        if splits.valid is None
        else auxiliary_targets(model, splits.valid.groups, len(splits.valid))
    )
    return train, valid


def train_on_splits(
    config: Config,
    splits: DataSplits,
    out: Path,
    *,
    force: bool = False,
    config_path: str | os.PathLike[str] | None = None,
    inputs: Sequence[str | os.PathLike[str]] = (),
    resume: bool = False,
    members: Sequence[Config] = (),
) -> TrainResult:
    """Train on splits already built and write the run directory ``out`` (rank 0 only).

    ``out`` is filled as ``OUT.partial`` (:func:`biodl.io.atomic.staged_dir`; refused if
    it would destroy one of ``inputs``), which an interruption keeps, with its
    checkpoints, so that ``resume`` can continue in it; renamed to ``out`` when complete.

    A model with auxiliary heads (:mod:`biodl.models.auxiliary`; a ``deeploc`` model with
    ``membrane_head: true``) trains them jointly (:func:`biodl.train.fit`
    ``auxiliary``), with targets from each split's groups (DeepLoc headers read with
    ``header_label: deeploc``: ``M`` 1, ``S`` 0, any other group unknown);
    ``config_path`` names the configuration in the error raised when the training split
    has no known target.

    ``members``: further ensemble members, each a configuration with its own model and
    training options (``biodl tune``'s ``tune.ensemble``: the next-best trials), trained
    after ``config``'s model on the same splits and saved with it as one
    :class:`~biodl.models.Ensemble`; ``model.json``'s ``ensemble`` block then lists each
    member's ``architectures`` entry. Not with ``train.ensemble`` > 1 nor ``resume``.
    """
    if members and (config.train.ensemble > 1 or resume):
        raise ConfigError("ensemble members are not trained with train.ensemble or --resume")
    out_path = out
    rank_zero = is_rank_zero()
    fixed = config.train.threshold
    y_train = splits.targets(splits.train)
    task = splits.as_task(
        loss=config.train.loss,
        threshold=fixed if isinstance(fixed, float) else 0.5,
        count_weight=count_weight_of(config, y_train),
    ).named(config.outputs, column=getattr(config.data.train, "label", None))  # Task.names
    kind = config_kind(config, splits.layout)
    X_train = kind.encode(splits.train)
    valid = None
    if splits.valid is not None:
        valid = (
            kind.encode(splits.valid),
            splits.targets(splits.valid),
        )
    scaling = target_scaling_of(config, splits, y_train)
    if scaling is not None:  # trained on standardised targets, folded back after fit
        y_train = standardise_targets(y_train, *scaling)
        if valid is not None:
            valid = (valid[0], standardise_targets(valid[1], *scaling))
    pos_weight: float | list[float] | None = None
    per_class: list[float] | None = None
    if config.train.class_weight == "balanced":
        pos_weight, per_class = task.balanced_weights(y_train)
    io_spec = ModelIO(
        n_channels=(
            int(X_train.shape[1]) if splits.layout else kind.n_channels(splits.input_length)
        ),
        input_length=splits.input_length,
        layout=splits.layout,
        n_outputs=task.n_outputs,
        alphabet=input_alphabet(config),
        per_position=splits.per_position,
    )
    staged: contextlib.AbstractContextManager[Path | None] = (
        staged_dir(out_path, force=force, inputs=inputs, keep_on_interrupt=True, reuse=resume)
        if rank_zero
        else contextlib.nullcontext()
    )
    with staged as partial, log_file(None if partial is None else partial / "logs" / "train.log"):
        L.seed_everything(config.train.seed, workers=True, verbose=False)
        model = create_model(config.model.name, model_params(config), io=io_spec)
        if config.train.init_from is None and not resume:  # dae: unsupervised stage
            pretrain_unsupervised(model, X_train)
        provenance = None
        if config.train.init_from is not None:
            provenance = initialise_from_run(
                model,
                config.resolve(config.train.init_from),
                architecture=config.model.name,
                params=model_params(config).model_dump(mode="json"),
                replace_head=config.train.replace_head,
                freeze_trunk=config.train.freeze_trunk,
            )
        _check_track_bins(model, config, X_train, y_train)
        auxiliary = _auxiliary_targets(model, splits, config_path)
        data_files = _data_checksums(config)
        if (config.train.ensemble > 1 or members) and auxiliary is not None:
            key = "train.ensemble" if config.train.ensemble > 1 else "an ensemble"
            line = None
            if config_path and config.train.ensemble > 1:
                line = config_line(config_path, ("train", "ensemble"))
            raise ConfigError(
                f"{key} does not support models with auxiliary heads yet "
                "(e.g. deeploc's membrane_head)",
                path=config_path,
                line=line,
            )
        result = fit(
            model,
            (X_train, y_train),
            valid,
            config=config.train,
            out_dir=partial,
            pos_weight=pos_weight,
            frozen_trunk=provenance is not None and config.train.freeze_trunk,
            task=task,
            class_weight=per_class,
            auxiliary=auxiliary,
            resume=resume,
            fingerprint=_run_fingerprint(config, data_files),
        )
        if not result.is_rank_zero or partial is None:
            return TrainResult(out=out_path)
        model.load_state_dict(result.state_dict)
        if scaling is not None:
            fold_output_scaling(model, *scaling, probe=probe_inputs(X_train))
        heterogeneous = bool(members)
        others = list(members) or [
            config.model_copy(
                update={"train": config.train.model_copy(update={"seed": config.train.seed + k})}
            )
            for k in range(1, config.train.ensemble)
        ]
        ensemble = None
        if others:
            model, summaries = _train_members(
                model,
                result,
                config,
                others,
                io_spec=io_spec,
                train=(X_train, y_train),
                valid=valid,
                out=partial,
                task=task,
                pos_weight=pos_weight,
                class_weight=per_class,
                scaling=scaling,
            )
            everyone = [config, *others]
            ensemble = {
                "members": len(everyone),
                "combine": task.ensemble_combine,
                "seeds": [c.train.seed for c in everyone],
                "training": summaries,
            }
            if heterogeneous:
                ensemble["architectures"] = [
                    {"name": c.model.name, "params": model_params(c).model_dump(mode="json")}
                    for c in everyone
                ]
        metrics, meta = _write_run_files(
            partial,
            model,
            config,
            splits,
            io_spec,
            result,
            pos_weight,
            provenance,
            task=task,
            data_files=data_files,
            ensemble=ensemble,
            scaling=scaling,
        )
        for k in range(1, len(others) + 1):
            discard_training_state(partial / "members" / str(k) / "checkpoints")
        # a finished run needs no resumable state (about 3x the model's size)
        discard_training_state(partial / "checkpoints")
    return TrainResult(
        out=out_path,
        metrics=metrics,
        notes=tuple(notes_of(meta)),
        meta=meta,
    )


def count_weight_of(config: Config, targets: np.ndarray) -> float | None:
    """The weight of the count term of the ``multinomial`` loss: ``train.count_weight``,
    else BPNet's rule on the training ``targets`` (:func:`biodl.tasks.bpnet_count_weight`);
    ``None`` for other losses."""
    if config.train.loss != "multinomial":
        return None
    if config.train.count_weight is not None:
        return config.train.count_weight
    return bpnet_count_weight(targets)


def _check_track_bins(model: torch.nn.Module, config: Config, X: ModelInput, y: np.ndarray) -> None:
    """A track model must give one output per target bin (targets are sums or means
    over ``bin_size`` bases: averaging them again would change what they mean)."""
    source = config.data.train
    if not isinstance(source, TrackSource) or not len(y):
        return
    model.eval()
    with torch.no_grad():
        out = model(probe_inputs(X[:1]))
    model.train()
    bins = int(y.shape[-1])
    if out.dim() != 3 or int(out.shape[-1]) != bins:
        got = tuple(out.shape[1:])
        raise ConfigError(
            f"model {config.model.name} gives outputs of shape {got} per window; the tracks "
            f"have {bins} bins of {source.bin_size} bp ({source.length} bp windows): give the "
            f"model bin_size: {source.bin_size} (a per-bin head)"
        )


def _train_members(
    first: torch.nn.Module,
    first_result: Any,
    config: Config,
    others: Sequence[Config],
    *,
    io_spec: ModelIO,
    train: tuple[ModelInput, np.ndarray],
    valid: tuple[ModelInput, np.ndarray] | None,
    out: Path,
    task: Task,
    pos_weight: float | list[float] | None,
    class_weight: list[float] | None,
    scaling: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Ensemble, list[dict[str, Any]]]:
    """Train ensemble members 1..K-1 (member 0 is ``first``, trained with ``config``), one
    per configuration of ``others`` (its model options and its training options and seed:
    ``train.ensemble: K`` gives ``config`` with seeds ``seed + k``, ``tune.ensemble`` the
    next-best trials' options), and return all as one :class:`~biodl.models.Ensemble`, with
    a summary of each member's training. Their logs go to ``OUT/members/<k>/``."""
    trained, summaries = [first], [_member_summary(config.train.seed, first_result)]
    for k, member_config in enumerate(others, start=1):
        seed = member_config.train.seed
        L.seed_everything(seed, workers=True, verbose=False)
        member = create_model(member_config.model.name, model_params(member_config), io=io_spec)
        pretrain_unsupervised(member, train[0])
        result = fit(
            member,
            train,
            valid,
            config=member_config.train,
            out_dir=out / "members" / str(k),
            pos_weight=pos_weight,
            task=task,
            class_weight=class_weight,
        )
        member.load_state_dict(result.state_dict)
        if scaling is not None:  # ``train`` holds standardised targets, as for ``first``
            fold_output_scaling(member, *scaling, probe=probe_inputs(train[0]))
        trained.append(member)
        summaries.append(_member_summary(seed, result))
    ensemble = Ensemble(trained, combine=task.ensemble_combine)
    ensemble.eval()
    return ensemble, summaries


def target_scaling_of(
    config: Config, splits: DataSplits, y_train: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean and SD of each output when the run trains on standardised targets
    (``train.scale_targets``; default on for molecules' regression), else ``None``."""
    wanted = config.train.scale_targets
    if wanted is None:
        wanted = isinstance(config.data.train, MoleculeSource)
    task = splits.as_task(loss=config.train.loss)
    if not wanted or task.name != "regression" or splits.per_position:
        return None
    if task.to_meta().get("loss") == "poisson":
        return None
    return target_scaling(y_train)


def probe_inputs(X: ModelInput) -> torch.Tensor:
    """A few training inputs, to check a folded scaling on."""
    return torch.from_numpy(np.asarray(X[:8], dtype=np.float32))


def _member_summary(seed: int, result: Any) -> dict[str, Any]:
    return {
        "seed": seed,
        "epochs": result.epochs,
        "best_epoch": result.best_epoch,
        "wall_s": round(result.wall_s, 3),
    }


def _write_run_files(
    partial: Path,
    model: torch.nn.Module,
    config: Config,
    splits: DataSplits,
    io_spec: ModelIO,
    result: Any,
    pos_weight: float | list[float] | None,
    init_from: dict[str, Any] | None = None,
    *,
    task: Task,
    data_files: list[dict[str, Any]],
    ensemble: dict[str, Any] | None = None,
    scaling: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write the run files into ``partial``; returns ``(metrics, meta)``. ``data_files``:
    the data's checksums (:func:`_data_checksums`); ``ensemble``: model.json's
    ``ensemble`` block of a ``train.ensemble`` run; ``scaling``: the mean and SD the
    targets were standardised by (already folded into the model)."""
    task, threshold_meta, threshold_notes = _decision_threshold(model, config, splits, task)
    heads = auxiliary_outputs(model)
    arch_params = model_params(config).model_dump(mode="json")
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
        **_who_and_how(),
        "task": task.name,
        "architecture": {"name": config.model.name, "params": arch_params},
        "alphabet": input_alphabet(config),
        "unknown": config.data.unknown,
        "encoding": config.data.encoding,
        "crop": config.data.crop,
        "n_channels": io_spec.n_channels,
        "input_length": io_spec.input_length,
        "layout": dict(io_spec.layout),
        "per_position": splits.per_position,
        "loss": None,
        **task.to_meta(),
        **threshold_meta,
        "n_parameters": n_params,
        "seed": config.train.seed,
        "threads": torch.get_num_threads(),
        "class_weight": config.train.class_weight,
        "pos_weight": pos_weight,
        "init_from": init_from,
        "augment": config.train.augment.model_dump(),
        "input_weights": config_kind(config).weights() or None,
        "training": {
            "epochs": result.epochs,
            "best_epoch": result.best_epoch,
            "monitor": config.train.monitor if splits.valid is not None else None,
            "history": result.history,
            "wall_s": round(result.wall_s, 3),
            "train_seq_per_s": round(result.train_seq_per_s, 1),
            "world_size": result.world_size,
            "precision": result.precision,
            "weight_average": config.train.weight_average,
        },
        "data": {
            "files": data_files,
            "splits": summary,
            "dropped_classes": dict(splits.dropped),
            # what reading left out and said so (molecules RDKit rejects, invalid: skip)
            "notes": dict(splits.train.notes),
        },
        "versions": software_versions(),
    }
    if scaling is not None:  # folded into the output layer: recorded, nothing to undo
        meta["target_scaling"] = {
            "mean": [float(v) for v in scaling[0]],
            "sd": [float(v) for v in scaling[1]],
            "folded_into_model": True,
        }
    if isinstance(config.data.train, TrackSource):  # how the targets were made
        meta["tracks"] = track_meta(config.data.train).to_meta()
    if isinstance(config.data.train, MoleculeSource):
        fp = config.data.fingerprint
        meta["molecule"] = {
            "featurizer": config.data.featurizer,
            "radius": fp.radius,
            "n_bits": fp.bits,
            "counts": fp.counts,
            "smiles": config.data.train.smiles,
        }
    if isinstance(config.data.train, PileupSource):
        source = config.data.train
        meta["pileup"] = {
            key: getattr(source, key)
            for key in (
                "min_alt_reads",
                "min_snv_fraction",
                "min_indel_fraction",
                "min_base_quality",
                "min_mapping_quality",
                "max_indel_length",
                "height",
                "width",
            )
        }
    matrix = _matrix_meta(config, splits)
    if matrix is not None and splits.preprocess is not None:
        write_json(partial / PREPROCESS_FILE, splits.preprocess)
        meta["matrix"] = matrix
    if heads:
        meta["auxiliary"] = [
            {
                "name": head.name,
                "positive": head.positive,
                "negative": head.negative,
                "loss": f"binary cross-entropy over the known {head.positive}/{head.negative} "
                "groups, added to the task loss",
                "n_train": head.counts(splits.train.groups),
                "n_valid": None if splits.valid is None else head.counts(splits.valid.groups),
            }
            for head in heads
        ]
    if ensemble is not None:
        meta["ensemble"] = ensemble
    homology = config.data.homology
    if homology is not None:
        meta["homology"] = {**homology.model_dump(), **_held_out_identity(splits, homology)}
    eval_splits = [(n, e) for n, e in splits.items() if n != "train"]
    ratio = summary["train"]["n"] / max(n_params, 1)
    notes = [
        (
            f"{summary['train']['n']} training examples for {n_params} trainable parameters "
            f"(ratio {ratio:.2f}; a common rule asks for 10)."
        ),
        "Metrics are point estimates with percentile-bootstrap 95 % confidence intervals.",
        *threshold_notes,
    ]
    for head, info in zip(heads, meta.get("auxiliary", []), strict=True):
        counts = info["n_train"]
        notes.append(
            f"{head.description.capitalize() or head.name} head trained jointly on "
            f"{counts[head.positive]} {head.positive} and {counts[head.negative]} "
            f"{head.negative} examples ({counts['unknown']} unknown, no loss); the "
            f"{head.name}_* metrics use the examples with a known group, threshold 0.5."
        )
    if homology is not None:
        notes.append(f"{homology_line(meta['homology'])}.")
    metrics = score_and_report(
        partial,
        model,
        eval_splits,
        config=config,
        task=task,
        title=f"biodl run: {config.model.name}",
        summary=_report_summary(meta),
        notes=notes,
        meta=meta,
        layout=splits.layout,
    )
    meta["flags"] = [{"level": f.level, "message": f.message} for f in run_flags(meta, metrics)]
    meta["model_card"] = _model_card(meta, metrics, _files_by_role(config, data_files))
    write_json(partial / "model.json", meta)
    return metrics, meta


def _decision_threshold(
    model: torch.nn.Module, config: Config, splits: DataSplits, task: Task
) -> tuple[Task, dict[str, Any], list[str]]:
    """The task at the run's decision threshold (``train.threshold``: a number, or a rule
    applied to the validation scores), its ``model.json`` fields (``threshold_rule``,
    ``threshold_chosen_on``) and the report's notes."""
    if task.thresholds is None:
        return task, {}, []
    rule = config.train.threshold
    notes: list[str] = []
    chosen_on = None
    if isinstance(rule, float):
        task = task.with_threshold(rule)
        how = "fixed by train.threshold"
    elif splits.valid is None or len(splits.valid) == 0:
        task = task.with_threshold(0.5)
        how = f"no validation split to choose it on by {rule}"
    else:
        logits, _ = predict_with_auxiliary(
            model, config_kind(config, splits.layout).encode(splits.valid)
        )
        scores = task.scores(logits)
        truth = task.evaluable_truth(task.truth(splits.valid), scores)
        task, problems = task.choose_threshold(truth, scores, rule=rule)
        chosen_on = "valid"
        how = f"best validation {rule}"
        notes += [f"Decision threshold: {p}." for p in problems]
    notes = threshold_note(task, how) + notes
    meta = {
        "threshold_rule": "fixed" if isinstance(rule, float) else rule,
        "threshold_chosen_on": chosen_on,
    }
    return task, meta, notes


def _report_summary(meta: Mapping[str, Any]) -> dict[str, str]:
    data = meta["data"]["splits"]
    labels = meta["labels"]
    if "outputs" in labels:
        where = " per position" if meta.get("per_position") else ""
        task = f"{meta['task']}{where}, outputs {', '.join(labels['outputs'])}"
        sizes = "; ".join(f"{k}: {v['n']}" for k, v in data.items())
    elif "classes" in labels:
        task = f"{meta['task']}, classes {', '.join(labels['classes'])}"
        sizes = "; ".join(
            f"{k}: {v['n']} (" + ", ".join(f"{c} {n}" for c, n in v["per_class"].items()) + ")"
            for k, v in data.items()
        )
    else:
        names = meta.get("output_names") or []
        shown = f" ({names[0]})" if names and names[0] != labels["positive"] else ""
        task = f"{meta['task']}, positive class '{labels['positive']}'{shown}"
        sizes = "; ".join(f"{k}: {v['n']} ({v['n_positive']} positive)" for k, v in data.items())
    return {
        "model": f"{meta['architecture']['name']} ({meta['n_parameters']} parameters)",
        "task": task,
        "input": f"{meta['alphabet']}, {meta['input_length']} positions, {meta['encoding']}",
        "data": sizes,
        "training": (
            f"{meta['training']['epochs']} epochs, best epoch {meta['training']['best_epoch'] + 1} "
            "(counted from 1), "
            f"{meta['training']['wall_s']} s, {meta['training']['world_size']} process(es), "
            f"precision {meta['training']['precision']}"
        ),
        "seed": str(meta["seed"]),
        "versions": ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if k != "platform"),
    }


def _files_by_role(config: Config, files: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The data files (``files``: :func:`_data_checksums`) of the training and validation
    splits (``training``) and of the test split (``evaluation``); a test split held out
    of the training files lists those files under both, and ``evaluation_split`` says so."""
    paths: dict[str, set[str]] = {"training": set(), "evaluation": set()}
    for role, spec in (
        ("training", config.data.train),
        ("training", config.data.valid),
        ("evaluation", config.data.test),
    ):
        if spec is not None:
            paths[role].update(os.fspath(p.resolve()) for p in _spec_files(config, spec))
    for split, role in (("train", "training"), ("valid", "training"), ("test", "evaluation")):
        paths[role].add(f"<in memory: {split}>")  # MemoryTable.checksum's path
    # no test source of its own: the test examples come out of the training files
    held_out = config.data.test is None or isinstance(
        config.data.test,
        FractionSplit | ChromosomeSplit | ScaffoldSplit | BlockSplit | RegionSplit,
    )
    training = [dict(f) for f in files if str(f.get("path")) in paths["training"]]
    evaluation = [
        dict(f)
        for f in files
        if str(f.get("path")) in (paths["training"] if held_out else paths["evaluation"])
    ]
    return {
        "training_data": training,
        "evaluation_data": evaluation,
        "evaluation_split": (
            "test examples held out of the training files (splits.tsv.gz lists them)"
            if held_out
            else "separate test files"
        ),
    }


def _model_card(
    meta: Mapping[str, Any], metrics: Mapping[str, Any], data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """model.json's ``model_card``: ``training_data`` (training and validation files) and
    ``evaluation_data`` (test files) from ``data`` (:func:`_files_by_role`; None: every
    file under training data), ``caveats`` ending with the run's ``flags``."""
    data = data or {"training_data": meta["data"]["files"]}
    return {
        "model_details": (
            f"{meta['architecture']['name']} trained by biodl {meta['versions']['biodl']}"
        ),
        "intended_use": (
            (
                f"Scores samples of an expression matrix ({meta['n_channels']} features): "
                if meta["alphabet"] == "matrix"
                else f"Scores {meta['alphabet'].upper()} sequences of {meta['input_length']} "
                "positions: "
            )
            + (
                f"class '{meta['labels']['positive']}' versus '{meta['labels']['negative']}'."
                if "positive" in meta["labels"]
                else (
                    f"one of {', '.join(meta['labels']['classes'])}."
                    if "classes" in meta["labels"]
                    else f"{meta['task']} outputs {', '.join(meta['labels']['outputs'])}."
                )
            )
        ),
        **data,
        "split_sizes": meta["data"]["splits"],
        "metrics": {
            split: {
                k: v
                for k, v in vals.items()
                if k
                in (
                    "auroc",
                    "auprc",
                    "mcc",
                    "accuracy",
                    "macro_f1",
                    "macro_auroc",
                    "macro_auprc",
                    "micro_auprc",
                    "fmax",
                    "mean_pearson",
                    "mean_spearman",
                    "mean_r2",
                    "mean_rmse",
                    "membrane_accuracy",
                    "membrane_mcc",
                    "membrane_auroc",
                )
            }
            for split, vals in metrics.items()
        },
        "caveats": [
            "Inputs longer than the model input are cropped around their centre.",
            "Generated negatives (shuffles) measure motif content, not genomic background.",
            *(f"[{f['level']}] {f['message']}" for f in meta.get("flags") or []),
        ],
    }
