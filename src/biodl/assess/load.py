"""Rebuild what a trained model saw, split by split, as :class:`AssessInputs`.

:func:`load_inputs` reads a run directory (``model.json``, ``model.safetensors``,
``config.yaml``, ``splits.tsv.gz``), re-reads the data with the run's configuration (or
another one) through :func:`biodl.data.build_splits` exactly as training did (same seed,
same generated negatives), checks that the rebuilt split ids are those recorded in
``splits.tsv.gz``, and scores every split with the one batched prediction path
(:func:`biodl.models.predict`).

What each :class:`SplitView` holds:

* ``sequences``: the sequences *as read*, before cropping/padding to the model input.
  Molecule runs (``molecules:`` sources): the canonical SMILES (RDKit's), as training
  read them; the model input is the run's :class:`~biodl.data.kinds.MoleculeKind`
  encoding of them (packed graphs, or fingerprints/descriptors). For
  ``data.encoding: cpg`` the model input is a CpG neighbourhood, not a sequence: every
  sequence is then the empty string, and data checks see no sequence content.
* ``y``: ``(N, T)`` float: binary 0/1 (one column), multi-class the class index (one
  column), multi-label/regression the values with NaN where missing. Per-position
  targets are summarised per sequence (NaN-mean over positions) and ``logits`` is then
  None, because the checks compare one value per example.
* ``groups``: ``chrom`` (empty when unknown), ``source`` (the file name), ``group`` (a
  table's ``group:`` column, or DeepLoc's membrane flag) when the source has one, and
  the ``--group`` annotation under its column name (``group`` for an ``id<TAB>group``
  file). Generated negatives take the group of the positive they were made from. For
  matrix runs the ``--group`` column is a sample annotation (labels table, matrix text
  column or h5ad ``obs``) read for the run's samples.
* ``intervals``: for BED sources, the window cut from the genome (0-based half-open);
  examples that are not genomic (generated negatives, other sources) get ``("", 0, 0)``,
  which overlaps nothing.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from biodl.assess.types import AssessInputs, SplitView
from biodl.config import (
    BedSource,
    Config,
    MatrixSource,
    MoleculeSource,
    TableSource,
    load_config,
)
from biodl.data import DataSplits, Examples
from biodl.errors import ConfigError, InputError
from biodl.runs import Run, load_run

__all__ = ["load_inputs", "read_new_data", "read_new_molecules", "read_split_ids"]

_SHUFFLE_SUFFIX = re.compile(r"_shuf\d+$")
_TABLE_SUFFIXES = (".tsv", ".csv", ".tsv.gz", ".csv.gz", ".tab", ".tab.gz")


def read_split_ids(path: str | os.PathLike[str]) -> dict[str, list[str]]:
    """``{split: [id, ...]}`` in file order from a run's ``splits.tsv.gz``.

    Raises
    ------
    InputError
        If the file is missing or has no ``id`` and ``split`` columns.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "splits.tsv.gz")
    >>> with gzip.open(p, "wt") as f:
    ...     _ = f.write("id\\tsplit\\tlabel\\n a\\ttrain\\t1\\nb\\ttest\\t0\\n")
    >>> read_split_ids(p)
    {'train': [' a'], 'test': ['b']}
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("splits.tsv.gz is missing from the run directory", path=p)
    out: dict[str, list[str]] = {}
    try:
        with gzip.open(p, "rt", encoding="utf-8") as handle:
            header = handle.readline().rstrip("\n").split("\t")
            if "id" not in header or "split" not in header:
                raise InputError("expected 'id' and 'split' columns", path=p, line=1)
            i_id, i_split = header.index("id"), header.index("split")
            for line in handle:
                fields = line.rstrip("\n").split("\t")
                out.setdefault(fields[i_split], []).append(fields[i_id])
    except (OSError, EOFError, UnicodeDecodeError, IndexError) as exc:
        raise InputError(f"unreadable splits file: {exc}", path=p) from None
    return out


def _cv_fold(run_path: Path) -> tuple[int, bool, bool, str] | None:
    """``(k, dedupe, reverse_complements, fold)`` of a ``biodl cv`` fold directory."""
    import json

    cv_json = run_path.resolve().parent / "cv.json"
    if not run_path.name.startswith("fold_") or not cv_json.is_file():
        return None
    try:
        cv = json.loads(cv_json.read_text(encoding="utf-8"))
        dedup = cv.get("deduplication", {})
        return (
            int(cv["folds"]),
            bool(dedup.get("enabled", True)),
            bool(dedup.get("reverse_complements", True)),
            run_path.name.removeprefix("fold_"),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError("unreadable cross-validation summary", path=cv_json) from None


def _build(config: Config, run: Run) -> DataSplits:
    """The splits as training built them (``Examples.as_read`` keeps the sequences as read).

    A fold directory of ``biodl cv`` (``fold_<k>`` next to ``cv.json``) is rebuilt with
    :func:`biodl.data.cross_validation_splits`, as ``biodl cv`` made it.
    """
    from biodl.data import build_splits, cross_validation_splits

    fold = _cv_fold(run.path)
    if fold is None:
        if run.is_matrix:  # the run's fitted preprocessing, never refitted
            return build_splits(config, preprocess=run.preprocess.to_json())
        if run.is_molecule:  # molecules are not cropped: no input length to force
            return build_splits(config)
        return build_splits(config, input_length=run.input_length)
    k, dedupe, rc, wanted = fold
    _, names, splits_iter = cross_validation_splits(
        config, k, dedupe=dedupe, reverse_complements=rc
    )
    for name in names:
        splits = next(splits_iter)
        if name == wanted:
            return splits
    raise InputError(f"cross-validation of the configuration has no fold '{wanted}'", path=run.path)


def _config_files(config: Config) -> Iterator[tuple[tuple[str, ...], str]]:
    """``(key path, file as written)`` of every data file a configuration names."""
    for split in ("train", "valid", "test"):
        spec = getattr(config.data, split)
        keys = ("table", "fasta", "labels", "bed", "genome", "cpg", "residues", "matrix")
        for key in (*keys, "molecules", "split_file"):
            value = getattr(spec, key, None)
            if isinstance(value, str):
                yield ("data", split, key), value
            elif isinstance(value, Mapping):
                for label, name in value.items():
                    yield ("data", split, key, str(label)), str(name)


def _check_recorded_files(config: Config, run: Run, config_path: Path) -> None:
    """Refuse data files of a run's own ``config.yaml`` that the run did not record.

    ``assess`` reads the data files the run's configuration names. That file lives in the
    run directory, which may come from someone else: it must not make ``assess`` read
    (and quote in an error) any other file, such as ``../../secret``. With the run's own
    configuration, every data file must be one that training recorded in ``model.json``
    (``data.files``; compared as resolved paths). Other data need ``--config``.
    """
    data = run.meta.get("data")
    files = data.get("files") if isinstance(data, Mapping) else None
    if not isinstance(files, list) or not files:
        return  # nothing recorded (an older run): nothing to compare with
    allowed = {
        os.path.realpath(f["path"])
        for f in files
        if isinstance(f, Mapping) and isinstance(f.get("path"), str)
    }
    for key, name in _config_files(config):
        if os.path.realpath(config.resolve(name)) not in allowed:
            from biodl.config import config_line

            raise ConfigError(
                f"'{'.'.join(key)}' names a file that is not one of the data files this run "
                "recorded in model.json; assess reads only those with the run's own "
                "configuration (give --config to assess other data)",
                path=config_path,
                line=config_line(config_path, key),
            )


def _check_compatible(config: Config, run: Run, config_path: Path) -> None:
    from biodl.config import MatrixSource

    molecule = isinstance(config.data.train, MoleculeSource)
    if molecule != run.is_molecule:
        reads = (
            "molecules"
            if run.is_molecule
            else "expression matrices"
            if run.is_matrix
            else "sequences"
        )
        gives = "molecules" if molecule else "no molecules ('molecules:' source)"
        raise InputError(
            f"the model reads {reads} but the configuration gives {gives}", path=config_path
        )
    if molecule:
        trained = str((run.meta.get("molecule") or {}).get("featurizer", "graph"))
        if config.data.featurizer != trained:
            raise InputError(
                f"the model reads {trained} molecule features but the configuration gives "
                f"data.featurizer {config.data.featurizer}",
                path=config_path,
            )
    matrix = isinstance(config.data.train, MatrixSource)
    if matrix != run.is_matrix:
        reads = "expression matrices" if run.is_matrix else "sequences"
        gives = "an expression matrix" if matrix else "sequences"
        raise InputError(
            f"the model reads {reads} but the configuration gives {gives}", path=config_path
        )
    checks = (
        (config.data.alphabet, run.alphabet, "reads"),
        (config.data.encoding, run.encoding, "was trained on the encoding"),
        (config.data.crop, run.crop, "crops inputs"),
    )
    for given, expected, what in checks:
        if matrix or molecule:
            break  # a matrix or molecules have no alphabet, encoding or crop
        if given != expected:
            raise InputError(
                f"the model {what} '{expected}' but the configuration gives '{given}'",
                path=config_path,
            )
    task = str(run.meta.get("task", "binary"))
    if config.task != task:
        raise InputError(
            f"the model is a {task} model but the configuration's task is {config.task}",
            path=config_path,
        )


def _check_ids(data: DataSplits, recorded: Mapping[str, list[str]], path: Path) -> None:
    rebuilt = {name: list(ex.ids) for name, ex in data.items()}
    for name in sorted(set(rebuilt) | set(recorded)):
        got, want = rebuilt.get(name, []), recorded.get(name, [])
        if got == want:
            continue
        first = next(
            (i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
            min(len(got), len(want)),
        )
        detail = (
            f"example {first + 1} is '{got[first]}' here but '{want[first]}' there"
            if first < min(len(got), len(want))
            else f"{len(got)} examples here, {len(want)} there"
        )
        raise InputError(
            f"the data have changed since training: the rebuilt '{name}' split does not match "
            f"the run's splits ({detail}); assess with the data the model was trained on",
            path=path,
        )


def _targets(data: DataSplits, ex: Examples) -> np.ndarray:
    """``(N, T)`` float targets (NaN missing); per-position ones NaN-averaged."""
    if data.numeric:
        if not ex.values:
            return np.zeros((0, len(data.classes)))
        y = np.stack(ex.values).astype(np.float64)
        if y.ndim == 3:
            with np.errstate(invalid="ignore"), _quiet_nanmean():
                y = np.nanmean(y, axis=2)
        return y
    if data.task == "multiclass":
        index = {c: i for i, c in enumerate(data.classes)}
        return np.array([[index[lab]] for lab in ex.labels], dtype=np.float64).reshape(-1, 1)
    return np.array([[lab == data.positive] for lab in ex.labels], dtype=np.float64).reshape(-1, 1)


@contextmanager
def _quiet_nanmean() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _table_sources(config: Config) -> list[TableSource]:
    specs = (config.data.train, config.data.valid, config.data.test)
    return [s for s in specs if isinstance(s, TableSource)]


def _column_by_origin(config: Config, column: str) -> dict[tuple[str, int], str]:
    """``{(table path, line): value}`` of ``column`` in the table sources that have it.

    Raises
    ------
    InputError
        If no table source has ``column`` (the message lists the columns there are).
    """
    from biodl.io import read_table

    out: dict[tuple[str, int], str] = {}
    first_error: InputError | None = None
    for source in _table_sources(config):
        path = config.resolve(source.table)
        try:
            table = read_table(
                path,
                sequence=source.sequence,
                sep=source.sep,
                alphabet=None,
                extra_columns=(column,),
                column_names=source.columns,
            )
        except InputError as exc:  # this table lacks the column: its examples get ""
            first_error = first_error or exc
            continue
        for line, value in zip(table.lines, table.extra[column], strict=True):
            out[(os.fspath(path), int(line))] = str(value)
    if not out and first_error is not None:
        raise first_error
    return out


def _read_group_file(path: Path) -> dict[str, str]:
    """``{id: group}`` from a two-column TSV (a header ``id<TAB>...`` is skipped)."""
    from biodl.io import read_lines

    out: dict[str, str] = {}
    for lineno, line in read_lines(path):
        text = line.rstrip("\r\n")
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("\t")
        if len(fields) < 2:
            raise InputError(
                "expected two tab-separated columns (id, group)", path=path, line=lineno
            )
        if lineno == 1 and fields[0].strip().lower() == "id":
            continue
        out[fields[0].strip()] = fields[1].strip()
    if not out:
        raise InputError("empty group file: no id/group rows", path=path)
    return out


def _user_groups(
    config: Config, group: str, splits: Sequence[tuple[str, Examples]]
) -> tuple[str, dict[str, np.ndarray]]:
    """The ``--group`` annotation of every example: ``(name, {split: values})``."""
    as_file = Path(group)
    if as_file.is_file():
        by_id = _read_group_file(as_file)
        name = "group"
        out: dict[str, np.ndarray] = {}
        for split, ex in splits:
            values = [by_id.get(i, by_id.get(_SHUFFLE_SUFFIX.sub("", i), "")) for i in ex.ids]
            out[split] = np.array(values, dtype=str)
        if not any(v.size and (v != "").any() for v in out.values()):
            raise InputError("no example id of the run is in the group file", path=as_file)
        return name, out
    if _matrix_sources(config):
        return group, _matrix_column(config, group, splits)
    if isinstance(config.data.train, MoleculeSource):
        return group, _molecule_column(config, group, splits)
    if not _table_sources(config):
        raise InputError(
            f"--group {group!r}: the data have no table source to take a column from and no "
            "such file exists; give a column of a table source or a TSV file id<TAB>group"
        )
    by_origin = _column_by_origin(config, group)
    out = {}
    for split, ex in splits:
        positives: dict[str, str] = {}
        values = []
        for seq_id, (path, line) in zip(ex.ids, ex.origins, strict=True):
            value = by_origin.get((path, line), "") if line else ""
            if line:
                positives[seq_id] = value
            else:  # a generated negative: the group of its positive
                value = positives.get(_SHUFFLE_SUFFIX.sub("", seq_id), "")
            values.append(value)
        out[split] = np.array(values, dtype=str)
    return group, out


def _molecule_column(
    config: Config, column: str, splits: Sequence[tuple[str, Examples]]
) -> dict[str, np.ndarray]:
    """``{split: values}`` of a text column of the molecule tables (e.g. ``series``),
    matched to each molecule by its file and line ("" where a table lacks the column).

    Raises
    ------
    InputError
        If no molecule table has ``column``, or no molecule of the run has a value.
    """
    from biodl.io.molecules import read_text_column

    by_origin: dict[tuple[str, int], str] = {}
    first_error: InputError | None = None
    for spec in (config.data.train, config.data.valid, config.data.test):
        if not isinstance(spec, MoleculeSource):
            continue
        path = config.resolve(spec.molecules)
        try:
            cells = read_text_column(path, column, sep=spec.sep)
        except InputError as exc:  # this file lacks the column (or is SDF)
            first_error = first_error or exc
            continue
        real = os.path.realpath(path)
        by_origin.update({(real, line): value for line, value in cells.items()})
    if not by_origin:
        if first_error is not None:
            raise InputError(f"--group {column!r}: {first_error}") from None
        raise InputError(f"--group {column!r}: no molecule table has that column")
    out: dict[str, np.ndarray] = {}
    for split, ex in splits:
        values = [by_origin.get((os.path.realpath(p), line), "") for p, line in ex.origins]
        out[split] = np.array(values, dtype=str)
    if not any(v.size and (v != "").any() for v in out.values()):
        raise InputError(f"--group {column!r}: no molecule of the run has a value in it")
    return out


def _matrix_sources(config: Config) -> list[MatrixSource]:
    specs = (config.data.train, config.data.valid, config.data.test)
    return [s for s in specs if isinstance(s, MatrixSource)]


def _matrix_column_values(config: Config, source: MatrixSource, column: str) -> dict[str, str]:
    """``{sample: value}`` of ``column`` for one matrix source: a column of its labels
    table, else a text column of the matrix file (``skip_columns`` names it, so training
    did not read it as a feature) or an ``obs`` column of an h5ad file; ``{}`` when none
    has it."""
    from biodl.io.matrix import read_matrix, read_sample_table

    if source.labels is not None:
        header, table, _ = read_sample_table(
            config.resolve(source.labels), id_column=source.label_id
        )
        if column in header:
            return {sample: row[column] for sample, row in table.items()}
    matrix = read_matrix(
        config.resolve(source.matrix),
        format=source.format,
        orientation=source.orientation,
        sep=source.sep,
        sample_id=source.sample_id,
        feature_id=source.feature_id,
        skip_columns=source.skip_columns,
        skip_rows=source.skip_rows,
        annotations=[column],
    )
    if column in matrix.annotations:
        return dict(zip(matrix.samples, matrix.annotations[column], strict=True))
    return {}


def _matrix_columns(config: Config, source: MatrixSource) -> list[str]:
    """The sample-annotation columns a ``--group`` may name for one matrix source."""
    from biodl.io.matrix import read_matrix, read_sample_table

    names: list[str] = []
    if source.labels is not None:
        header, _, _ = read_sample_table(config.resolve(source.labels), id_column=source.label_id)
        names += header
    names += list(source.skip_columns)
    if (source.format or "").lower() == "h5ad" or source.matrix.lower().endswith(".h5ad"):
        names += list(read_matrix(config.resolve(source.matrix), format="h5ad").annotations)
    return list(dict.fromkeys(names))


def _matrix_column(
    config: Config, column: str, splits: Sequence[tuple[str, Examples]]
) -> dict[str, np.ndarray]:
    """``{split: values}`` of the sample-annotation ``column`` (e.g. ``batch``) of a
    matrix run, read for the run's samples ("" for a sample without a value).

    Raises
    ------
    InputError
        If no matrix source has ``column`` (the message lists the columns there are), or
        no sample of the run has a value in it.
    """
    by_source: dict[tuple[str, str], str] = {}
    by_sample: dict[str, str] = {}
    sources = _matrix_sources(config)
    for source in sources:
        values = _matrix_column_values(config, source, column)
        path = os.fspath(config.resolve(source.matrix))
        for sample, value in values.items():
            by_source[(path, sample)] = value
            by_sample.setdefault(sample, value)
    if not by_sample:
        known = sorted({c for s in sources for c in _matrix_columns(config, s)})
        raise InputError(
            f"--group {column!r} is not a column of the labels table, a text column of the "
            f"matrix (list it under skip_columns) or an h5ad obs column (columns: "
            f"{', '.join(known) or 'none'}); or give a TSV file id<TAB>group"
        )
    out: dict[str, np.ndarray] = {}
    for split, ex in splits:
        cells = [
            by_source.get((path, sample), by_sample.get(sample, "")).strip()
            for sample, (path, _) in zip(ex.ids, ex.origins, strict=True)
        ]
        out[split] = np.array(cells, dtype=str)
    if not any(v.size and (v != "").any() for v in out.values()):
        raise InputError(f"--group {column!r}: no sample of the run has a value in that column")
    return out


def _bed_windows(config: Config) -> dict[tuple[str, int], tuple[str, int, int]]:
    """``{(BED path, line): (chrom, start, end)}`` of the windows cut from the genome."""
    from biodl.io import fixed_window, read_bed

    out: dict[tuple[str, int], tuple[str, int, int]] = {}
    for spec in (config.data.train, config.data.valid, config.data.test):
        if not isinstance(spec, BedSource):
            continue
        for bed_file in spec.bed.values():
            path = config.resolve(bed_file)
            for iv in read_bed(path):
                start, end = fixed_window(iv, spec.length, centre=spec.centre)
                out[(os.fspath(path), iv.line)] = (iv.chrom, start, end)
    return out


def _logits(run: Run, config: Config, ex: Examples, *, batch_size: int) -> np.ndarray:
    from biodl.data.inputs import encode_inputs as _encode
    from biodl.models import predict

    X = _encode(ex, alphabet=config.data.alphabet, unknown=run.unknown, encoding=run.encoding)
    if len(ex) == 0:
        return np.zeros((0, len(run.meta["outputs"])))
    return predict(run.model, X, batch_size=batch_size).numpy().astype(np.float64)


def _molecule_logits(run: Run, ex: Examples, *, batch_size: int) -> np.ndarray:
    """Raw outputs on molecules (or read pileups), encoded as training did (the run's
    input kind)."""
    from biodl.models import predict

    if len(ex) == 0:
        return np.zeros((0, len(run.meta["outputs"])))
    X = run.input_kind.encode(ex)
    return predict(run.model, X, batch_size=batch_size).numpy().astype(np.float64)


def read_new_molecules(
    run: Run, paths: Sequence[str | os.PathLike[str]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(ids, canonical SMILES)`` of new molecule files (CSV/TSV with the training SMILES
    column, else one named ``smiles``; or SDF), read and checked with the run's input
    kind as ``biodl predict`` reads them (ids prefixed by the file name when several
    files are given).

    Raises
    ------
    InputError
        A missing file, or a molecule RDKit rejects or the run's graphs cannot hold
        (naming the file and line).
    """
    import dataclasses

    from biodl.data.kinds import MoleculeKind

    kind = run.input_kind
    if not isinstance(kind, MoleculeKind):  # pragma: no cover - callers check is_molecule
        raise InputError("not a molecule run", path=run.path)
    reader = dataclasses.replace(kind, target_columns=())
    ids: list[str] = []
    smiles: list[str] = []
    for item in paths:
        path = Path(item)
        if not path.is_file():
            raise InputError("--data file not found", path=path)
        examples = reader.validate(reader.read(path))
        ids += [f"{path.name}:{i}" if len(paths) > 1 else i for i in examples.ids]
        smiles += list(examples.sequences)
    return tuple(ids), tuple(smiles)


def _matrix_features(ex: Examples) -> np.ndarray:
    """The preprocessed ``(N, F)`` float32 model input of matrix examples."""
    if not ex.features:
        return np.zeros((0, len(ex.feature_names or [])), dtype=np.float32)
    X = np.stack([np.asarray(r, dtype=np.float32).reshape(-1) for r in ex.features])
    return X


def _matrix_logits(run: Run, features: np.ndarray, *, batch_size: int) -> np.ndarray:
    from biodl.models import predict

    if len(features) == 0:
        return np.zeros((0, len(run.meta["outputs"])))
    X = np.ascontiguousarray(features[:, :, None], dtype=np.float32)
    return predict(run.model, X, batch_size=batch_size).numpy().astype(np.float64)


def _read_new_matrices(
    run: Run, paths: Sequence[str | os.PathLike[str]]
) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], np.ndarray]:
    """``((ids, empty sequences), (M, F) preprocessed values)`` of new matrix files, read
    as the training matrix was and preprocessed by the run's fitted pipeline."""
    from biodl.io.matrix import read_matrix

    block = run.meta.get("matrix") or {}
    pipeline = run.preprocess
    ids: list[str] = []
    parts: list[np.ndarray] = []
    for item in paths:
        path = Path(item)
        if not path.is_file():
            raise InputError("--data file not found", path=path)
        matrix = read_matrix(
            path,
            format=block.get("format"),
            orientation=(
                "features_by_samples"
                if block.get("orientation") == "features_by_samples"
                else "samples_by_features"
            ),
            sample_id=block.get("sample_id"),
            feature_id=block.get("feature_id"),
            skip_columns=block.get("skip_columns") or (),
            skip_rows=int(block.get("skip_rows") or 0),
            annotations=_annotation_columns(run),
        )
        ids += [f"{path.name}:{s}" if len(paths) > 1 else s for s in matrix.samples]
        parts.append(pipeline.transform(matrix.values, matrix.features, path=matrix.path))
    X = np.concatenate(parts) if parts else np.zeros((0, len(pipeline.features_out)))
    return (tuple(ids), ("",) * len(ids)), X.astype(np.float32)


def _annotation_columns(run: Run) -> list[str]:
    """The label and split columns of the run's configuration (text, not features)."""
    try:
        cfg = load_config(run.path / "config.yaml")
    except (InputError, OSError):
        return []
    source = cfg.data.train
    return [c for c in (getattr(source, "label", None), getattr(source, "split", None)) if c]


def read_new_data(
    paths: Sequence[str | os.PathLike[str]], *, alphabet: str, sequence_column: str = "sequence"
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(ids, sequences)`` of FASTA/FASTQ/plain files and tables (``.tsv``/``.csv``).

    Tables are read with ``sequence_column`` (and an ``id`` column if present).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "new.fa")
    >>> _ = open(p, "w").write(">a\\nACGT\\n>b\\nGGCC\\n")
    >>> read_new_data([p], alphabet="dna")
    (('a', 'b'), ('ACGT', 'GGCC'))
    """
    from biodl.io import read_sequences, read_table

    ids: list[str] = []
    seqs: list[str] = []
    for item in paths:
        path = Path(item)
        if not path.is_file():
            raise InputError("--data file not found", path=path)
        if path.name.lower().endswith(_TABLE_SUFFIXES):
            table = read_table(path, sequence=sequence_column, alphabet=alphabet)  # type: ignore[arg-type]
            ids += list(table.ids)
            seqs += list(table.sequences)
        else:
            for rec in read_sequences(path, alphabet=alphabet):  # type: ignore[arg-type]
                ids.append(rec.id)
                seqs.append(rec.sequence)
    return tuple(ids), tuple(seqs)


def load_inputs(
    run_dir: str | os.PathLike[str],
    *,
    config: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] = (),
    group: str | None = None,
    seed: int = 0,
    batch_size: int = 512,
) -> AssessInputs:
    """Everything the checks read, rebuilt from a run directory.

    Parameters
    ----------
    run_dir
        A run directory written by ``biodl train``.
    config
        Configuration to read the data with; default the run's own ``config.yaml``.
        It must give the same split ids as training (checked against
        ``splits.tsv.gz``).
    data
        New inputs (FASTA/FASTQ/plain, or ``.tsv``/``.csv`` tables with the training
        table's sequence column, else ``sequence``) for the applicability-domain check;
        for a molecule run, molecule files (CSV/TSV with a SMILES column, or SDF) read
        as ``biodl predict`` reads them (:func:`read_new_molecules`).
    group
        A column of the table source(s) to group examples by, or a TSV file
        ``id<TAB>group``; it becomes ``SplitView.groups[group]`` (``"group"`` for a file).
        For a matrix run: a column of the labels table, a text column of the matrix file
        (one of its ``skip_columns``) or an h5ad ``obs`` column, e.g. ``batch``.
    seed
        Seed for every random choice a check makes.
    batch_size
        Examples per forward pass when computing the logits.

    Returns
    -------
    AssessInputs
        One :class:`SplitView` per split of the run (see the module docstring).

    Raises
    ------
    InputError
        Not a run directory; a bad or incompatible configuration; data that no longer
        give the recorded splits (the message names ``splits.tsv.gz``); a bad
        ``--group`` or ``--data``.
    """
    run = load_run(run_dir)
    run_path = Path(run_dir)
    config_path = Path(config) if config is not None else run_path / "config.yaml"
    if not config_path.is_file():
        raise ConfigError("configuration file not found", path=config_path)
    cfg = load_config(config_path)
    if config is None:
        _check_recorded_files(cfg, run, config_path)
    _check_compatible(cfg, run, config_path)
    recorded = read_split_ids(run_path / "splits.tsv.gz")
    data_splits = _build(cfg, run)
    _check_ids(data_splits, recorded, run_path / "splits.tsv.gz")
    items = data_splits.items()
    user_name, user_groups = "", dict[str, np.ndarray]()
    if group is not None:
        user_name, user_groups = _user_groups(cfg, group, items)
    windows = _bed_windows(cfg)
    views: dict[str, SplitView] = {}
    for name, ex in items:
        features = None
        if run.is_matrix:
            sequences: tuple[str, ...] = ("",) * len(ex)
            features = _matrix_features(ex)
        elif run.is_molecule:
            sequences = tuple(ex.sequences)  # canonical SMILES
        elif run.encoding == "cpg":
            sequences = ("",) * len(ex)
        else:
            sequences = tuple(ex.as_read)
        groups: dict[str, np.ndarray] = {
            "chrom": np.array(ex.chroms if ex.chroms is not None else [""] * len(ex), dtype=str),
            "source": np.array([Path(p).name for p, _ in ex.origins], dtype=str),
        }
        if ex.groups is not None:
            groups["group"] = np.array(ex.groups, dtype=str)
        if user_name:
            groups[user_name] = user_groups[name]
        intervals = None
        if windows:
            intervals = tuple(windows.get(origin, ("", 0, 0)) for origin in ex.origins)
        logits = None
        if features is not None:
            logits = _matrix_logits(run, features, batch_size=batch_size)
        elif run.is_molecule or run.is_pileup:
            logits = _molecule_logits(run, ex, batch_size=batch_size)
        elif not data_splits.per_position:
            logits = _logits(run, cfg, ex, batch_size=batch_size)
        views[name] = SplitView(
            ids=tuple(ex.ids),
            sequences=sequences,
            y=_targets(data_splits, ex),
            groups=groups,
            logits=logits,
            intervals=intervals,
            features=features,
        )
    new_data = None
    new_features = None
    feature_names: tuple[str, ...] = ()
    if run.is_matrix:
        feature_names = tuple(run.preprocess.features_out)
        if data:
            new_data, new_features = _read_new_matrices(run, data)
    elif run.is_molecule:
        if data:
            new_data = read_new_molecules(run, data)
    elif data:
        column = cfg.data.train.sequence if isinstance(cfg.data.train, TableSource) else "sequence"
        new_data = read_new_data(data, alphabet=run.alphabet, sequence_column=column)
    outputs = tuple(str(o) for o in run.meta["outputs"])
    if data_splits.task == "multiclass":
        outputs = tuple(data_splits.classes)
    return AssessInputs(
        task=data_splits.task,
        alphabet=(
            "matrix"
            if run.is_matrix
            else str(run.meta["alphabet"])
            if run.is_molecule or run.is_pileup
            else run.alphabet
        ),
        outputs=outputs,
        splits=views,
        model=run.model,
        meta=run.meta,
        run_dir=run_path,
        new_data=new_data,
        seed=seed,
        feature_names=feature_names,
        new_features=new_features,
    )
