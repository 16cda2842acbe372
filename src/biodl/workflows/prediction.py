"""``biodl predict``: score a sequence file with a trained model, streamed; and
:func:`predict_frame`, the same scores of sequences in memory as a pandas DataFrame."""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from biodl.config import MatrixView
from biodl.data.examples import Examples
from biodl.data.kinds import MoleculeKind
from biodl.data.sources import join_views, memory_table, read_memory_table, read_view_matrix
from biodl.errors import InputError
from biodl.io import AlphabetName, read_sequences, read_table, tsv_cell
from biodl.io.atomic import atomic_open, check_output_path
from biodl.io.matrix import matrix_format, read_matrix
from biodl.models import auxiliary_outputs, predict_with_auxiliary
from biodl.runs import TEMPERATURE_FILE, Run, load_run
from biodl.tasks import task_from_meta
from biodl.workflows.results import PredictionResult

__all__ = ["predict_file", "predict_frame"]


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
) -> PredictionResult:
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
        class), ``logit`` and ``predicted`` (the positive label where ``score`` reaches the
        run's decision threshold, ``model.json`` ``threshold``, else the negative label)
        for a binary model; ``id``, ``predicted`` and ``prob_<class>``
        for each class for a multi-class model; ``id`` and ``pred_<output>`` for each
        output of a multi-label (probability; the run records one decision threshold per
        output in ``model.json``) or regression (value) model, per-position
        outputs as comma-separated values (one per position or bin)
        (:meth:`biodl.tasks.Task.prediction_columns`). A model with auxiliary heads
        (:mod:`biodl.models.auxiliary`; a ``deeploc`` model with ``membrane_head: true``)
        adds one column per head, its probability (``membrane``: membrane-bound).
    pad_short
        Pad sequences shorter than the model input with N instead of failing.

    When the run directory holds a calibration temperature ``T`` (``temperature.json``,
    written by ``biodl assess --save-temperature``), the logits of a classification
    model are divided by ``T`` before the probabilities are taken, and the ``logit``
    column holds the scaled logit.

    Returns
    -------
    PredictionResult
        ``out`` (path-like) and the number of sequences scored; ``.table()`` reads the
        predictions back as columns.
    """
    # checked before any work: never over an input (the sequences, the run's files)
    out_path = check_output_path(out, inputs=_run_files(model_dir, input_path), what="--out")
    run = load_run(model_dir)
    path = Path(input_path)
    if run.is_matrix:
        return _predict_matrix(
            run, path, out_path, id_column=id_column, batch_size=batch_size, device=device
        )
    if run.is_molecule:
        return _predict_molecules(
            run,
            path,
            out_path,
            smiles_column=sequence_column,
            id_column=id_column,
            batch_size=batch_size,
            device=device,
        )
    records = _iter_inputs(
        path, sequence_column=sequence_column, id_column=id_column, alphabet=run.alphabet
    )
    n = 0
    with atomic_open(out_path) as handle:
        for row in _prediction_rows(
            run,
            records,
            path=path,
            pad_short=pad_short,
            batch_size=batch_size,
            device=device,
            chunk_size=chunk_size,
        ):
            handle.write("\t".join(row) + "\n")
            n += 1
        n -= 1  # the header
        if n == 0:  # nothing is committed: the temporary file is removed
            raise InputError("no sequences to score", path=path)
    return PredictionResult(out=out_path, n_sequences=n)


def _prediction_rows(
    run: Run,
    records: Iterator[tuple[str, str, int]],
    *,
    path: str | os.PathLike[str] | None,
    pad_short: bool,
    batch_size: int,
    device: str | None,
    chunk_size: int,
) -> Iterator[list[str]]:
    """The header and then one row of cells per record (``(id, sequence, line)``): what
    :func:`predict_file` writes and :func:`predict_frame` returns."""
    if run.meta.get("encoding") == "cpg":
        raise InputError(
            "this model scores CpG sites from methylation profiles, not sequences: "
            "use 'biodl evaluate' with a configuration that lists the profiles",
            path=Path(run.path) / "model.json",
        )
    task = task_from_meta(run.meta)
    # a calibration temperature saved by `biodl assess --save-temperature` rescales the
    # logits of probability models (regression outputs are values, not logits)
    temperature = run.temperature if task.probabilistic else 1.0
    heads = [h.name for h in auxiliary_outputs(run.model)]
    kind = run.input_kind
    yield ["id", *task.prediction_columns(), *heads]
    for chunk in _batched(records, chunk_size):
        fitted = [
            run.fit_input(seq, record=i, path=path, line=line, pad_short=pad_short)
            for i, seq, line in chunk
        ]
        X = kind.encode(fitted)
        logits, extra = predict_with_auxiliary(run.model, X, batch_size=batch_size, device=device)
        if temperature != 1.0:
            logits = logits / temperature
        scores = task.scores(logits)
        raw = logits.float().numpy()
        # auxiliary heads' probabilities (not temperature-scaled)
        for i, (seq_id, _, _) in enumerate(chunk):
            cells = task.prediction_cells(scores[i], raw[i])
            cells += [f"{extra[h][i]:.6g}" for h in heads]
            yield [tsv_cell(seq_id), *cells]


def _predict_matrix(
    run: Run,
    path: Path,
    out_path: Path,
    *,
    id_column: str | None,
    batch_size: int,
    device: str | None,
) -> PredictionResult:
    """Score every sample of an expression matrix with a matrix run: the file is read as
    the training matrix was (``model.json``'s ``matrix`` block; the format from the file
    name unless training named one; ``id_column`` overrides the sample id column), its
    features matched by name and preprocessed by the run's fitted pipeline
    (``preprocess.json``), never refitted."""
    block = run.meta.get("matrix") or {}
    if block.get("views"):
        samples, (values, features) = _read_views(block, path, id_column=id_column)
        joined = run.preprocess.transform(values, features, path=os.fspath(path))[:, :, None]
        return _score_matrix(run, joined, samples, out_path, batch_size=batch_size, device=device)
    orientation = block.get("orientation", "samples_by_features")
    matrix = read_matrix(
        path,
        format=block.get("format"),
        orientation=(
            "features_by_samples" if orientation == "features_by_samples" else "samples_by_features"
        ),
        sep=block.get("sep"),
        sample_id=id_column if id_column is not None else block.get("sample_id"),
        feature_id=block.get("feature_id"),
        skip_columns=block.get("skip_columns") or (),
        skip_rows=int(block.get("skip_rows") or 0),
        annotations=block.get("annotations") or (),
        maf_value=block.get("maf_value") or "binary",
        maf_classes=block.get("maf_classes"),
        maf_sample_chars=block.get("maf_sample_chars"),
    )
    pipeline = run.preprocess
    values, features = matrix.values, list(matrix.features)
    if matrix_format(path, block.get("format")) == "maf":
        # a gene absent from a MAF has no counted mutation in any of its samples: 0
        absent = [f for f in pipeline.features_needed() if f not in set(features)]
        if absent:
            values = np.concatenate([values, np.zeros((len(values), len(absent)))], axis=1)
            features += absent
    X = pipeline.transform(values, features, path=matrix.path)[:, :, None]
    return _score_matrix(
        run, X, list(matrix.samples), out_path, batch_size=batch_size, device=device
    )


def _read_views(
    block: dict[str, Any], path: Path, *, id_column: str | None
) -> tuple[list[str], tuple[Any, list[str]]]:
    """A multi-view run's input: ``path`` is a YAML mapping of each view's name to its
    matrix file (relative to the YAML file's folder), read as training read that view and
    joined by sample id (``missing_samples`` as in training)."""
    try:
        listing = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise InputError(
            f"a multi-view run reads a YAML file of view: matrix lines ({first})", path=path
        ) from None
    views = dict(block["views"])
    if not isinstance(listing, dict) or sorted(map(str, listing)) != sorted(views):
        raise InputError(
            f"a multi-view run reads a YAML mapping of its views ({', '.join(views)}) to "
            "matrix files",
            path=path,
        )
    matrices = []
    for name, opts in views.items():
        given = Path(os.path.expanduser(str(listing[name])))
        file = given if given.is_absolute() else path.parent / given
        view = MatrixView(
            matrix=os.fspath(file),
            format=opts.get("format"),
            orientation=opts.get("orientation", "samples_by_features"),
            sep=opts.get("sep"),
            sample_id=id_column if id_column is not None else opts.get("sample_id"),
            feature_id=opts.get("feature_id"),
            skip_columns=list(opts.get("skip_columns") or []),
            skip_rows=int(opts.get("skip_rows") or 0),
        )
        matrices.append((name, read_view_matrix(view, file)))
    samples, values, features, _ = join_views(
        matrices, missing=str(block.get("missing_samples", "error"))
    )
    return samples, (values, features)


def _molecule_reader(run: Run, smiles_column: str | None, id_column: str | None) -> MoleculeKind:
    """The run's molecule kind, reading ``smiles_column`` (else the training's, else one
    found by name) and ``id_column`` of a new file, no targets."""
    kind = run.input_kind
    if not isinstance(kind, MoleculeKind):  # pragma: no cover - is_molecule says it is
        raise InputError("not a molecule run", path=run.path)
    return dataclasses.replace(
        kind,
        smiles_column=smiles_column if smiles_column is not None else kind.smiles_column,
        id_column=id_column,
        target_columns=(),
    )


def _predict_molecules(
    run: Run,
    path: Path,
    out_path: Path,
    *,
    smiles_column: str | None,
    id_column: str | None,
    batch_size: int,
    device: str | None,
) -> PredictionResult:
    """Score every molecule of a CSV/TSV (a SMILES column: ``smiles_column``, else the
    training's, else found by name) or SDF file with a molecule run, featurised as in
    training (``model.json``'s ``molecule`` block and layout). A molecule RDKit rejects,
    or one the run's graphs cannot hold (an atom of more bonded atoms than its
    ``max_neighbours``), is an error naming the file and line."""
    reader = _molecule_reader(run, smiles_column, id_column)
    examples = reader.validate(reader.read(path))
    X = reader.encode(examples)
    return _score_matrix(run, X, examples.ids, out_path, batch_size=batch_size, device=device)


def _scored_rows(
    run: Run, X: Any, ids: Sequence[str], *, batch_size: int, device: str | None
) -> Iterator[list[str]]:
    """The header and one row of cells per example of the encoded input ``X``."""
    task = task_from_meta(run.meta)
    temperature = run.temperature if task.probabilistic else 1.0
    heads = [h.name for h in auxiliary_outputs(run.model)]
    logits, extra = predict_with_auxiliary(run.model, X, batch_size=batch_size, device=device)
    if temperature != 1.0:
        logits = logits / temperature
    scores = task.scores(logits)
    raw = logits.float().numpy()
    yield ["id", *task.prediction_columns(), *heads]
    for i, sample in enumerate(ids):
        cells = task.prediction_cells(scores[i], raw[i])
        cells += [f"{extra[h][i]:.6g}" for h in heads]
        yield [tsv_cell(sample), *cells]


def _score_matrix(
    run: Run,
    X: Any,
    samples: list[str],
    out_path: Path,
    *,
    batch_size: int,
    device: str | None,
) -> PredictionResult:
    """Write the scores of the encoded input ``X`` of ``samples`` (a preprocessed
    ``(N, F, 1)`` matrix, or molecules)."""
    with atomic_open(out_path) as handle:
        for row in _scored_rows(run, X, samples, batch_size=batch_size, device=device):
            handle.write("\t".join(row) + "\n")
    return PredictionResult(out=out_path, n_sequences=len(samples))


def _molecule_frame_rows(
    run: Run,
    data: Any,
    *,
    smiles_column: str | None,
    id_column: str | None,
    batch_size: int,
    device: str | None,
) -> Iterator[list[str]]:
    """:func:`predict_frame`'s rows for a molecule run: a file, a list of SMILES, or
    columns (SMILES in ``smiles_column``, default ``smiles``)."""
    reader = _molecule_reader(run, smiles_column, id_column)
    if isinstance(data, str | os.PathLike):
        examples = reader.read(data)
    else:
        column = smiles_column or "smiles"
        if isinstance(data, list | tuple) and all(isinstance(x, str) for x in data):
            data = {column: list(data)}
        table = memory_table(data, split="input")
        if column not in table.header:
            raise InputError(
                f"no SMILES column {column!r} (columns: {', '.join(table.header)})",
                path=table.name,
            )
        smiles = [row[table.header.index(column)] for row in table.rows]
        ids_col = id_column if id_column is not None else ("id" if "id" in table.header else None)
        if ids_col is not None and ids_col not in table.header:
            raise InputError(f"no id column {ids_col!r}", path=table.name)
        ids = (
            [row[table.header.index(ids_col)] for row in table.rows]
            if ids_col is not None
            else [f"input:{i}" for i in range(1, len(smiles) + 1)]
        )
        examples = Examples(
            smiles, [""] * len(smiles), ids, [(table.name, i + 2) for i in range(len(smiles))]
        )
    examples = reader.validate(examples)
    yield from _scored_rows(
        run, reader.encode(examples), examples.ids, batch_size=batch_size, device=device
    )


def predict_frame(
    run: str | os.PathLike[str] | Run,
    data: Any,
    *,
    sequence_column: str | None = None,
    id_column: str | None = None,
    pad_short: bool = False,
    batch_size: int = 512,
    device: str | None = None,
) -> Any:
    """Score sequences in memory (or a file) with a trained model; a pandas DataFrame.

    The rows and columns are :func:`predict_file`'s, computed by the same code: ``id``
    and the task's columns (binary: ``score``, ``logit`` and ``predicted``, the label at
    the run's decision threshold; multi-class: ``predicted`` and ``prob_<class>``;
    multi-label and regression: ``pred_<output>``), numbers as ``float64`` with the
    6 significant digits the TSV has.

    Parameters
    ----------
    run
        A run directory (:func:`~biodl.workflows.train_run`'s ``out``) or a loaded
        :class:`~biodl.runs.Run` (:func:`biodl.runs.load_run`).
    data
        A pandas DataFrame or a mapping of columns (sequences in ``sequence_column``,
        default ``sequence``; ids in ``id_column``, default the ``id`` column if there
        is one, else ``input:1``, ``input:2``...), a list of sequences, or the path of a
        FASTA/FASTQ file (a table with ``sequence_column``).
    pad_short, batch_size, device
        As :func:`predict_file`.

    Returns
    -------
    pandas.DataFrame
        One row per sequence, in input order.

    Raises
    ------
    InputError
        A named column missing, an illegal character, a sequence shorter than the model
        input (without ``pad_short``), no sequences.

    Examples
    --------
    >>> import tempfile
    >>> from biodl.testing import planted_motif_dataset
    >>> from biodl.workflows import train_run
    >>> seqs, labels = planted_motif_dataset(30, 30, length=30, seed=0)
    >>> config = {"task": "binary", "data": {"valid": {"fraction": 0.2}},
    ...           "model": {"name": "deepbind", "n_filters": 4, "filter_width": 8, "hidden": 4},
    ...           "train": {"max_epochs": 1, "progress_bar": False}}
    >>> run = train_run(config, tempfile.mkdtemp() + "/run", data=(seqs, labels))
    >>> table = predict_frame(run.out, ["ACGT" * 10, "GGCC" * 10])
    >>> list(table.columns), list(table["id"])
    (['id', 'score', 'logit', 'predicted'], ['input:1', 'input:2'])
    """
    pd = _pandas()
    loaded = run if isinstance(run, Run) else load_run(run)
    path: str | os.PathLike[str] | None
    if loaded.is_molecule:
        rows = _molecule_frame_rows(
            loaded,
            data,
            smiles_column=sequence_column,
            id_column=id_column,
            batch_size=batch_size,
            device=device,
        )
        return _frame(pd, rows, path=data if isinstance(data, str | os.PathLike) else None)
    if isinstance(data, str | os.PathLike):
        path = data
        records = _iter_inputs(
            Path(data),
            sequence_column=sequence_column,
            id_column=id_column,
            alphabet=loaded.alphabet,
        )
    else:
        if isinstance(data, list | tuple) and all(isinstance(x, str) for x in data):
            data = {sequence_column or "sequence": list(data)}
        table = memory_table(data, split="input")
        ids = id_column
        if ids is None and "id" in table.header:
            ids = "id"
        read = read_memory_table(
            table, sequence=sequence_column or "sequence", id=ids, alphabet=loaded.alphabet
        )
        path = table.name
        records = zip(read.ids, read.sequences, read.lines, strict=True)
    rows = _prediction_rows(
        loaded,
        iter(records),
        path=path,
        pad_short=pad_short,
        batch_size=batch_size,
        device=device,
        chunk_size=20000,
    )
    return _frame(pd, rows, path=path)


def _frame(pd: Any, rows: Iterator[list[str]], *, path: str | os.PathLike[str] | None) -> Any:
    """The DataFrame of prediction rows (the header first), numbers as float64."""
    header = next(rows)
    body = list(rows)
    if not body:
        raise InputError("no sequences to score", path=path)
    frame = pd.DataFrame(body, columns=header)
    for column in header[1:]:
        if column == "predicted":  # a label, kept as text
            continue
        converted = pd.to_numeric(frame[column], errors="coerce")
        if not converted.isna().any():
            frame[column] = converted.astype("float64")
    return frame


def _pandas() -> Any:
    """pandas, imported when a DataFrame is asked for (it is no dependency of the CLI)."""
    try:
        return importlib.import_module("pandas")
    except ImportError:  # pragma: no cover - pandas comes with the test and notebook extras
        raise InputError(
            "DataFrames need pandas: pip install 'biodl[notebook]' (or pip install pandas)"
        ) from None


def _run_files(model_dir: str | os.PathLike[str], *others: str | os.PathLike[str]) -> list[Path]:
    """The files of a run directory a job reads, and ``others``: an output must be none."""
    run = Path(model_dir)
    files = [run, run / "model.json", run / "model.safetensors", run / TEMPERATURE_FILE]
    return files + [Path(o) for o in others]
