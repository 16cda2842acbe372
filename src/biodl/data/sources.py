"""Turn the data sources of a configuration into :class:`~biodl.data.examples.Examples`.

Three forms are read (see :mod:`biodl.config`): a table with named columns, FASTA files
(one per class, or one file plus a two-column id/label table), and BED intervals cut
from an indexed reference genome.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from biodl.config import (
    BedSource,
    Config,
    CpgSource,
    FastaSource,
    MatrixSource,
    MatrixView,
    MoleculeSource,
    MultiViewSource,
    PileupSource,
    ResidueSource,
    TableSource,
    TrackSource,
)
from biodl.data.cpg import cpg_sites_and_targets, pack_cpg_inputs
from biodl.data.examples import Examples, normalise_label
from biodl.data.kinds import MoleculeKind
from biodl.data.pileup import load_pileup_source
from biodl.data.scaffold import read_split_file
from biodl.data.tracks import load_track_source
from biodl.encode import one_hot
from biodl.errors import InputError
from biodl.io import (
    Genome,
    Interval,
    SeqRecord,
    ambiguous_to_unknown,
    fixed_window,
    intervals_to_sequences,
    read_bed,
    read_cpg_profile,
    read_lines,
    read_residue_labels,
    read_sequences,
    read_table,
    region_of_id,
    validate_sequence,
)
from biodl.io.matrix import ExpressionMatrix, read_matrix, read_sample_table
from biodl.io.molecules import read_molecules, read_text_column
from biodl.io.table import SequenceTable, _read_rows
from biodl.tasks import Multilabel, task_class

__all__ = [
    "MemoryTable",
    "default_positive",
    "join_views",
    "load_matrix_source",
    "load_molecule_source",
    "load_multiview_source",
    "load_source",
    "memory_table",
    "output_names",
    "parse_region_id",
    "parse_value",
    "read_memory_table",
    "read_view_matrix",
]


def parse_region_id(text: str) -> str | None:
    """Chromosome of an id written ``chrom:start-end`` (as ``bedtools getfasta`` writes;
    :func:`biodl.io.region_of_id`).

    Examples
    --------
    >>> parse_region_id("chr2:100-201(+)"), parse_region_id("seq_0001")
    ('chr2', None)
    """
    region = region_of_id(text, whole=False)
    return None if region is None else region[0]


@dataclasses.dataclass(frozen=True)
class MemoryTable:
    """A table of examples given in memory (a DataFrame, a mapping of columns, or
    sequences with labels), read as a ``table:`` source is read from a file.

    Attributes
    ----------
    split
        ``train``, ``valid`` or ``test``: named in error messages and provenance.
    header
        Column names.
    rows
        The cells of each row as text, as a table file would hold them (a missing value,
        ``None`` or NaN, is an empty cell).
    """

    split: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def name(self) -> str:
        """How errors name the table (``in-memory train data``)."""
        return f"in-memory {self.split} data"

    def checksum(self) -> dict[str, Any]:
        """Provenance in place of a file's checksum: ``path`` (``<in memory: SPLIT>``),
        ``rows``, ``bytes`` and ``sha256`` of the table written as TSV text (header and
        cells: the sequences, labels and every other column).

        Examples
        --------
        >>> t = memory_table({"seq": ["ACGT"], "y": [1]}, split="train")
        >>> c = t.checksum(); c["path"], c["rows"], c["sha256"][:12]
        ('<in memory: train>', 1, '3b6ed12ad212')
        """
        digest = hashlib.sha256()
        size = 0
        for cells in (self.header, *self.rows):
            line = ("\t".join(cells) + "\n").encode("utf-8")
            digest.update(line)
            size += len(line)
        return {
            "path": f"<in memory: {self.split}>",
            "source": "memory",
            "rows": len(self.rows),
            "bytes": size,
            "sha256": digest.hexdigest(),
        }


def _text(value: Any) -> str:
    """One cell as a table file would hold it: ``None``/NaN/NA empty, ``True`` ``1``,
    a float's shortest round-trip text."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return "" if math.isnan(number) else repr(number)
    return str(value)


def _column_values(values: Any) -> list[Any]:
    tolist = getattr(values, "tolist", None)
    return list(tolist() if callable(tolist) else values)


def memory_table(
    data: Any,
    *,
    split: str = "train",
    sequence: str = "sequence",
    label: str | list[str] | None = None,
) -> MemoryTable:
    """Examples given in memory, as the rows of a table.

    Parameters
    ----------
    data
        A pandas DataFrame (anything with ``columns`` whose items are columns; pandas is
        not imported), a mapping of column name to values, or a pair ``(sequences,
        labels)``: a list of sequences and an array of labels, ``(N,)``, or ``(N, T)``
        with ``label`` naming the ``T`` outputs.
    split
        Which split the rows are (for messages and provenance).
    sequence, label
        The column names a pair ``(sequences, labels)`` gets (the configuration's
        ``sequence:`` and ``label:``; ``label`` defaults to ``label``).

    Raises
    ------
    InputError
        Columns of different lengths, a pair whose parts differ in length, labels with
        more outputs than names, or data of another type.

    Examples
    --------
    >>> t = memory_table((["acgt", "GGCC"], [1, 0]), sequence="seq", label="y")
    >>> t.header, t.rows
    (('seq', 'y'), (('acgt', '1'), ('GGCC', '0')))
    >>> memory_table({"seq": ["ACGT"], "y": [0.5, float("nan")]}).rows
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: in-memory train data: column 'y' has 2 values, column 'seq' has 1
    """
    name = f"in-memory {split} data"
    columns: dict[str, list[Any]]
    if isinstance(data, tuple) and len(data) == 2:
        seqs, labels = data
        seqs = _column_values(seqs)
        values = np.asarray(labels, dtype=object)
        if values.ndim == 0 or len(values) != len(seqs):
            n = 1 if values.ndim == 0 else len(values)
            raise InputError(f"{len(seqs)} sequences but {n} labels", path=name)
        names = [label] if isinstance(label, str) else list(label or ["label"])
        if values.ndim == 1:
            if len(names) != 1:
                raise InputError(
                    f"one label per sequence for {len(names)} label columns {names}", path=name
                )
            columns = {sequence: seqs, names[0]: values.tolist()}
        else:
            flat = values.reshape(len(seqs), -1)
            if flat.shape[1] != len(names):
                raise InputError(
                    f"labels have {flat.shape[1]} outputs; name them in the configuration's "
                    f"'label:' list (it has {len(names)}: {names})",
                    path=name,
                )
            columns = {sequence: seqs, **{n: flat[:, t].tolist() for t, n in enumerate(names)}}
    elif hasattr(data, "columns") and not isinstance(data, Mapping):
        columns = {str(c): _column_values(data[c]) for c in data.columns}
    elif isinstance(data, Mapping):
        columns = {str(c): _column_values(v) for c, v in data.items()}
    else:
        raise InputError(
            "in-memory data must be a DataFrame, a mapping of columns or a pair "
            f"(sequences, labels), not {type(data).__name__}",
            path=name,
        )
    if not columns:
        raise InputError("no columns", path=name)
    lengths = {c: len(v) for c, v in columns.items()}
    first = next(iter(lengths))
    for c, n in lengths.items():
        if n != lengths[first]:
            raise InputError(
                f"column {c!r} has {n} values, column {first!r} has {lengths[first]}", path=name
            )
    header = tuple(columns)
    rows = tuple(zip(*([_text(v) for v in columns[c]] for c in header), strict=True))
    return MemoryTable(split=split, header=header, rows=rows)


def read_memory_table(
    table: MemoryTable,
    *,
    sequence: str,
    label: str | None = None,
    id: str | None = None,
    group: str | None = None,
    alphabet: Any = "dna",
    extra_columns: Sequence[str] = (),
) -> SequenceTable:
    """:func:`biodl.io.read_table` of an in-memory table: the same columns, checks and
    messages, with rows numbered from 1 in place of file lines."""
    roles = {"sequence": sequence, "label": label, "id": id, "group": group}
    wanted = {role: name for role, name in roles.items() if name is not None}
    wanted.update({f"extra:{name}": name for name in extra_columns})
    header = list(table.header)
    for role, column in wanted.items():
        if column not in header:
            raise InputError(
                f"{role.split(':')[0]} column {column!r} not found; columns are: "
                f"{', '.join(header)}",
                path=table.name,
            )
    if not table.rows:
        raise InputError("no rows", path=table.name)
    index = {role: header.index(column) for role, column in wanted.items()}
    rows = ((i, list(cells)) for i, cells in enumerate(table.rows, start=1))
    try:
        read = _read_rows(rows, header, index, "\t", table.name, alphabet)
    except InputError as exc:
        raise InputError(exc.message, path=f"{table.name}, row {exc.line}") from None
    if id is None:
        ids = [f"{table.split}:{n}" for n in range(1, len(read) + 1)]
        read = dataclasses.replace(read, ids=ids)
    return read


def load_source(
    source: TableSource
    | FastaSource
    | BedSource
    | CpgSource
    | ResidueSource
    | MatrixSource
    | MultiViewSource
    | MoleculeSource
    | PileupSource
    | TrackSource,
    config: Config,
) -> Examples:
    """Read one data source of ``config`` (paths resolve against the config's folder).

    Parameters
    ----------
    source
        The validated source section.
    config
        The whole configuration (alphabet, base folder).

    Returns
    -------
    Examples
        Sequences with labels (raw label text, normalised) and provenance. A source
        without labels gives every example the positive label (``config.positive`` or
        ``1``).
    """
    if isinstance(source, TableSource):
        return _mapped(_load_table(source, config), source.label_map)
    if isinstance(source, FastaSource):
        return _mapped(_load_fasta(source, config), source.label_map)
    if isinstance(source, CpgSource):
        return load_cpg(source, config)
    if isinstance(source, ResidueSource):
        return _load_residues(source, config)
    if isinstance(source, MatrixSource):
        return load_matrix_source(source, config)[0]
    if isinstance(source, MultiViewSource):
        return load_multiview_source(source, config)[0]
    if isinstance(source, MoleculeSource):
        return load_molecule_source(source, config)[0]
    if isinstance(source, PileupSource):
        return load_pileup_source(source, config)[0]
    if isinstance(source, TrackSource):
        return load_track_source(source, config)
    return _load_bed(source, config)


def _mapped(examples: Examples, label_map: dict[str, str] | None) -> Examples:
    """Rename labels by ``label_map`` (keys and values normalised as labels are)."""
    if not label_map:
        return examples
    table = {normalise_label(str(k)): normalise_label(str(v)) for k, v in label_map.items()}
    return dataclasses.replace(examples, labels=[table.get(lab, lab) for lab in examples.labels])


def _header_label(rec: SeqRecord, kind: str, path: Path) -> tuple[str, str]:
    """``(label, group)`` from a FASTA header (see ``FastaSource.header_label``)."""
    words = rec.description.split()
    if not words:
        raise InputError(
            f"record '{rec.id}' has no label after its id in the header", path=path, line=rec.line
        )
    if kind == "second_word":
        return normalise_label(words[0]), ""
    label, dash, flag = words[0].rpartition("-")
    if not dash or not label:
        raise InputError(
            f"record '{rec.id}': expected DeepLoc's 'Location-M|S|U' after the id, "
            f"got '{words[0]}'",
            path=path,
            line=rec.line,
        )
    return normalise_label(label), flag


def default_positive(config: Config) -> str:
    """The positive class: ``positive:`` if set, else ``1``.

    For a ``fasta:``/``bed:`` mapping without a label ``1`` it is the mapping's first label.
    """
    if config.positive is not None:
        return config.positive
    source = config.data.train
    mapping = source.bed if isinstance(source, BedSource) else None
    if isinstance(source, FastaSource) and isinstance(source.fasta, dict):
        mapping = source.fasta
    if mapping:
        labels = [normalise_label(str(k)) for k in mapping]
        return "1" if "1" in labels else labels[0]
    return "1"


_MISSING = frozenset({"", "na", "nan", "n/a", "none", "."})


def parse_value(text: str, *, binary: bool, path: Path, line: int, column: str) -> float:
    """One numeric output value; an empty cell or ``NA``/``NaN``/``.`` is missing (NaN).

    Examples
    --------
    >>> from pathlib import Path
    >>> parse_value(" 2.5", binary=False, path=Path("t.tsv"), line=2, column="y")
    2.5
    >>> parse_value("NA", binary=True, path=Path("t.tsv"), line=2, column="y")
    nan
    """
    cell = text.strip()
    if cell.lower() in _MISSING:
        return float("nan")
    try:
        value = float(cell)
    except ValueError:
        raise InputError(
            f"column '{column}': '{cell}' is not a number", path=path, line=line
        ) from None
    if not np.isfinite(value):
        raise InputError(f"column '{column}': value '{cell}' is not finite", path=path, line=line)
    if binary and value not in (0.0, 1.0):
        raise InputError(
            f"column '{column}': a multilabel output must be 0 or 1, got '{cell}'",
            path=path,
            line=line,
        )
    return value


def _table_values(
    columns: list[str],
    cells: dict[str, list[str]],
    sequences: list[str],
    lines: list[int],
    *,
    path: Path,
    binary: bool,
    per_position: bool,
) -> list[np.ndarray]:
    """``(T,)`` (or ``(T, len(seq))`` per position) float32 outputs of each row."""
    out: list[np.ndarray] = []
    for i, (seq, line) in enumerate(zip(sequences, lines, strict=True)):
        if not per_position:
            row = [
                parse_value(cells[c][i], binary=binary, path=path, line=line, column=c)
                for c in columns
            ]
            out.append(np.array(row, dtype=np.float32))
            continue
        tracks = []
        for c in columns:
            if cells[c][i].strip().lower() in _MISSING:  # the whole track is missing
                tracks.append([float("nan")] * len(seq))
                continue
            parts = cells[c][i].split(",")
            if len(parts) != len(seq):
                raise InputError(
                    f"column '{c}': {len(parts)} comma-separated values for a sequence of "
                    f"{len(seq)} positions (per_position: true needs one per position)",
                    path=path,
                    line=line,
                )
            tracks.append(
                [parse_value(v, binary=binary, path=path, line=line, column=c) for v in parts]
            )
        out.append(np.array(tracks, dtype=np.float32).reshape(len(columns), len(seq)))
    return out


def output_names(config: Config) -> tuple[str, ...]:
    """Names of the outputs of a multilabel/regression task (label columns or BED keys).

    Examples
    --------
    >>> from biodl.config import parse_config
    >>> cfg = parse_config({"task": "regression", "model": {"name": "deepbind"},
    ...     "data": {"train": {"table": "t.tsv", "label": ["a", "b"]}}})
    >>> output_names(cfg)
    ('a', 'b')
    """
    source = config.data.train
    if isinstance(source, TableSource | MoleculeSource):
        label = source.label
        return tuple(label) if isinstance(label, list) else (label or "1",)
    if isinstance(source, BedSource):
        return tuple(normalise_label(str(k)) for k in source.bed)
    if isinstance(source, CpgSource):
        return tuple(source.cpg)
    if isinstance(source, ResidueSource):
        return (source.output,)
    if isinstance(source, TrackSource):
        return tuple(source.track_files())
    return ()


def _load_table(source: TableSource, config: Config) -> Examples:
    memory: MemoryTable | None = source.memory
    path = Path(memory.name) if memory is not None else config.resolve(source.table)
    numeric = not task_class(config.task).classification
    label_columns = (
        list(source.label)
        if isinstance(source.label, list)
        else ([source.label] if numeric and source.label is not None else [])
    )
    if numeric and tuple(label_columns) != output_names(config):
        raise InputError(
            f"label columns {label_columns} differ from the training table's "
            f"{list(output_names(config))}: every table must give the same outputs",
            path=path,
        )
    extra = tuple(c for c in (source.chrom, source.fold) if c is not None)
    extra += tuple(c for c in label_columns if c not in extra)
    lenient = config.data.ambiguous == "unknown"
    if memory is not None:
        table = read_memory_table(
            memory,
            sequence=source.sequence,
            label=None if numeric else source.label,  # type: ignore[arg-type]
            id=source.id,
            group=source.group,
            alphabet=None if lenient else config.data.alphabet,
            extra_columns=extra,
        )
    else:
        table = read_table(
            path,
            sequence=source.sequence,
            label=None if numeric else source.label,  # type: ignore[arg-type]
            id=source.id,
            group=source.group,
            sep=source.sep,
            alphabet=None if lenient else config.data.alphabet,
            extra_columns=extra,
            column_names=source.columns,
        )
    n = len(table.sequences)
    values = None
    if numeric:
        labels = [""] * n
        values = _table_values(
            label_columns,
            {c: list(table.extra[c]) for c in label_columns},
            list(table.sequences),
            list(table.lines),
            path=path,
            binary=task_class(config.task).binary_outputs,
            per_position=config.per_position,
        )
    elif table.labels is None:
        labels = [default_positive(config)] * n
    else:
        labels = [normalise_label(v) for v in table.labels]
    chroms = None
    if source.chrom is not None:
        chroms = list(table.extra[source.chrom])
    else:
        chroms = _chroms_from_ids(table.ids)
    sequences = list(table.sequences)
    if lenient:
        sequences = [
            _lenient(seq, config, path=path, line=line, record=seq_id)
            for seq, line, seq_id in zip(sequences, table.lines, table.ids, strict=True)
        ]
    return Examples(
        sequences=sequences,
        labels=labels,
        ids=list(table.ids),
        origins=[(os.fspath(path), line) for line in table.lines],
        chroms=chroms,
        groups=None if table.groups is None else list(table.groups),
        folds=None if source.fold is None else list(table.extra[source.fold]),
        values=values,
    )


def _lenient(seq: str, config: Config, *, path: Path, line: int, record: str) -> str:
    """``data.ambiguous: unknown``: IUPAC ambiguity codes become N, then validate."""
    if config.data.alphabet in ("dna", "rna"):
        seq = ambiguous_to_unknown(seq)
    return validate_sequence(seq, config.data.alphabet, path=path, line=line, record=record)


def _chroms_from_ids(ids: list[str]) -> list[str] | None:
    chroms = [parse_region_id(i) for i in ids]
    if not chroms or any(c is None for c in chroms):
        return None
    return [c for c in chroms if c is not None]


def _read_fasta_examples(
    path: Path, label: str | None, config: Config, *, header_label: str | None = None
) -> Examples:
    seqs: list[str] = []
    ids: list[str] = []
    origins: list[tuple[str, int]] = []
    labels: list[str] = []
    groups: list[str] = []
    lenient = config.data.ambiguous == "unknown"
    lab = label if label is not None else default_positive(config)
    for rec in read_sequences(path, alphabet=None if lenient else config.data.alphabet):
        seq = rec.sequence
        if lenient:
            seq = _lenient(seq, config, path=path, line=rec.line, record=rec.id)
        seqs.append(seq)
        ids.append(rec.id)
        origins.append((os.fspath(path), rec.line))
        if header_label is not None:
            if not isinstance(rec, SeqRecord):
                raise InputError("header_label needs FASTA headers", path=path, line=rec.line)
            found, group = _header_label(rec, header_label, path)
            labels.append(found)
            groups.append(group)
        else:
            labels.append(lab)
    return Examples(
        sequences=seqs,
        labels=labels,
        ids=ids,
        origins=origins,
        chroms=_chroms_from_ids(ids),
        groups=groups if header_label == "deeploc" else None,
    )


def _load_fasta(source: FastaSource, config: Config) -> Examples:
    if isinstance(source.fasta, dict):
        if source.header_label is not None:
            raise InputError(
                "'header_label' is for a single 'fasta' file, not a label-to-file mapping"
            )
        if source.labels is not None:
            raise InputError(
                "'labels' is only used with a single 'fasta' file, not a label-to-file mapping"
            )
        parts = [
            _read_fasta_examples(config.resolve(f), normalise_label(str(lab)), config)
            for lab, f in source.fasta.items()
        ]
        return Examples.concat(parts)
    path = config.resolve(source.fasta)
    if source.header_label is not None and source.labels is not None:
        raise InputError("use either 'labels' or 'header_label', not both", path=path)
    examples = _read_fasta_examples(path, None, config, header_label=source.header_label)
    if source.labels is None:
        return examples
    table = _read_label_table(config.resolve(source.labels))
    labels = []
    for seq_id, (p, line) in zip(examples.ids, examples.origins, strict=True):
        if seq_id not in table:
            raise InputError(
                f"record '{seq_id}' has no label in {config.resolve(source.labels)}",
                path=p,
                line=line,
            )
        labels.append(table[seq_id])
    return Examples(
        sequences=examples.sequences,
        labels=labels,
        ids=examples.ids,
        origins=examples.origins,
        chroms=examples.chroms,
    )


def _read_label_table(path: Path) -> dict[str, str]:
    """Two columns, id and label, tab or comma separated; a header line is allowed."""
    out: dict[str, str] = {}
    for lineno, line in read_lines(path):
        text = line.rstrip("\r\n")
        if not text.strip() or text.startswith("#"):
            continue
        sep = "\t" if "\t" in text else ","
        fields = next(csv.reader([text], delimiter=sep))
        if len(fields) < 2:
            raise InputError("expected two columns (id, label)", path=path, line=lineno)
        if lineno == 1 and fields[0].strip().lower() in ("id", "name", "sequence_id"):
            continue
        out[fields[0].strip()] = normalise_label(fields[1])
    if not out:
        raise InputError("empty file: no id/label rows", path=path)
    return out


def _load_bed(source: BedSource, config: Config) -> Examples:
    if task_class(config.task) is Multilabel:
        return _load_bed_multilabel(source, config)
    genome = Genome(config.resolve(source.genome))
    parts = []
    for label, bed_file in source.bed.items():
        path = config.resolve(bed_file)
        intervals = read_bed(path)
        if not intervals:
            raise InputError("empty file: no BED intervals", path=path)
        seqs = intervals_to_sequences(
            intervals, genome, length=source.length, centre=source.centre, path=path
        )
        parts.append(
            Examples(
                sequences=seqs,
                labels=[normalise_label(str(label))] * len(seqs),
                ids=[f"{iv.chrom}:{iv.start}-{iv.end}({iv.strand})" for iv in intervals],
                origins=[(os.fspath(path), iv.line) for iv in intervals],
                chroms=[iv.chrom for iv in intervals],
            )
        )
    return Examples.concat(parts)


def _load_bed_multilabel(source: BedSource, config: Config) -> Examples:
    """One example per distinct interval of all BED files; output ``t`` is 1 when the
    central ``bin`` of the example (``min(200, length)`` positions, DeepSEA's rule) overlaps
    an interval of BED file ``t`` by at least half of the bin, else 0.

    Intervals listed in several files (the same chrom, start, end and strand) are one
    example, so a region bound by two factors is one sequence with two positive outputs.
    """
    genome = Genome(config.resolve(source.genome))
    names = [normalise_label(str(k)) for k in source.bed]
    per_file = []
    for bed_file in source.bed.values():
        path = config.resolve(bed_file)
        intervals = read_bed(path)
        if not intervals:
            raise InputError("empty file: no BED intervals", path=path)
        per_file.append((path, intervals))
    seen: dict[tuple[str, int, int, str], int] = {}
    chosen: list[tuple[Path, Interval]] = []
    for path, intervals in per_file:
        for iv in intervals:
            key = (iv.chrom, iv.start, iv.end, iv.strand)
            if key not in seen:
                seen[key] = len(chosen)
                chosen.append((path, iv))
    bin_size = min(200, source.length)
    centres = []
    for _, iv in chosen:
        seq_start = fixed_window(iv, source.length, centre=source.centre)[0]
        centres.append(seq_start + (source.length - bin_size) // 2)
    values = np.zeros((len(chosen), len(names)), dtype=np.float32)
    for t, (_, intervals) in enumerate(per_file):
        by_chrom: dict[str, list[tuple[int, int]]] = {}
        for iv in intervals:
            by_chrom.setdefault(iv.chrom, []).append((iv.start, iv.end))
        index = {}
        for c, v in by_chrom.items():
            arr = np.array(sorted(v), dtype=np.int64)
            index[c] = (arr[:, 0], arr[:, 1], int((arr[:, 1] - arr[:, 0]).max()))
        for i, (_, iv) in enumerate(chosen):
            if iv.chrom not in index:
                continue
            s_all, e_all, longest = index[iv.chrom]
            lo, hi = centres[i], centres[i] + bin_size
            # only intervals starting in [lo - longest, hi) can overlap [lo, hi)
            a = int(np.searchsorted(s_all, lo - longest, side="left"))
            b = int(np.searchsorted(s_all, hi, side="left"))
            if a >= b:
                continue
            s0, e0 = s_all[a:b], e_all[a:b]
            overlap = np.clip(np.minimum(e0, hi) - np.maximum(s0, lo), 0, None)
            if overlap.max() * 2 >= bin_size:
                values[i, t] = 1.0
    by_path: dict[Path, list[int]] = {}
    for i, (path, _) in enumerate(chosen):
        by_path.setdefault(path, []).append(i)
    seqs: list[str] = [""] * len(chosen)
    for path, idx in by_path.items():
        cut = intervals_to_sequences(
            [chosen[i][1] for i in idx],
            genome,
            length=source.length,
            centre=source.centre,
            path=path,
        )
        for i, seq in zip(idx, cut, strict=True):
            seqs[i] = seq
    return Examples(
        sequences=seqs,
        labels=[""] * len(chosen),
        ids=[f"{iv.chrom}:{iv.start}-{iv.end}({iv.strand})" for _, iv in chosen],
        origins=[(os.fspath(path), iv.line) for path, iv in chosen],
        chroms=[iv.chrom for _, iv in chosen],
        values=list(values),
    )


def load_cpg(source: CpgSource, config: Config) -> Examples:
    """Every CpG site observed in at least one cell, with its packed input (see
    :class:`~biodl.config.CpgSource` and :func:`biodl.data.cpg.pack_cpg_inputs`).

    With a ``genome``, the DNA window of ``dna_length`` bases is centred on the site's
    C: 1-based position ``p`` is the 0-based base ``p - 1`` and the window is
    ``[p - 1 - dna_length // 2, p - 1 - dna_length // 2 + dna_length)``, padded with N
    past a chromosome end. Chromosome names match with or without a ``chr`` prefix.
    """
    paths = {cell: config.resolve(f) for cell, f in source.cpg.items()}
    profiles = {cell: read_cpg_profile(p) for cell, p in paths.items()}
    chroms, positions, targets = cpg_sites_and_targets(profiles)
    n = len(positions)
    seqs = [""] * n
    dna = None
    if source.genome is not None and source.dna_length > 0:
        genome = Genome(config.resolve(source.genome))
        names = set(genome.chrom_sizes)
        intervals = []
        for i, (c, pos) in enumerate(zip(chroms.tolist(), positions.tolist(), strict=True)):
            name = c if c in names else f"chr{c}"
            if name not in names:
                raise InputError(
                    f"chromosome '{c}' of the CpG profiles is not in the genome",
                    path=config.resolve(source.genome),
                )
            intervals.append(Interval(name, int(pos) - 1, int(pos), line=i + 1))
        seqs = intervals_to_sequences(
            intervals, genome, length=source.dna_length, centre="midpoint"
        )
        dna = one_hot(seqs, alphabet="dna")
    features = pack_cpg_inputs(
        profiles,
        chroms,
        positions,
        window=source.window,
        dna=dna,
        max_distance=source.max_distance,
    )
    first = os.fspath(next(iter(paths.values())))
    return Examples(
        sequences=seqs,
        labels=[""] * n,
        ids=[f"{c}:{p}" for c, p in zip(chroms.tolist(), positions.tolist(), strict=True)],
        origins=[(first, 0)] * n,
        chroms=[str(c) for c in chroms.tolist()],
        values=list(targets),
        features=list(features),
    )


def _load_residues(source: ResidueSource, config: Config) -> Examples:
    """Chains with per-residue labels; ``{fold: file}`` keys become the folds."""
    files = source.residues if isinstance(source.residues, dict) else {"": source.residues}
    parts = []
    for fold, name in files.items():
        path = config.resolve(name)
        records = read_residue_labels(path)
        if task_class(config.task).binary_outputs:
            for rec in records:
                bad = rec.labels[~np.isnan(rec.labels) & (rec.labels != 0) & (rec.labels != 1)]
                if bad.size:
                    raise InputError(
                        f"chain '{rec.id}': a multilabel residue label must be 0 or 1, "
                        f"got {bad[0]:g}",
                        path=path,
                        line=rec.line,
                    )
        parts.append(
            Examples(
                sequences=[r.sequence for r in records],
                labels=[""] * len(records),
                ids=[r.id for r in records],
                origins=[(os.fspath(path), r.line) for r in records],
                folds=[str(fold)] * len(records) if isinstance(source.residues, dict) else None,
                values=[r.labels[None, :] for r in records],
            )
        )
    return Examples.concat(parts)


_SPLIT_VALUES = ("train", "valid", "test")


def read_source_matrix(source: MatrixSource, config: Config) -> ExpressionMatrix:
    """The matrix file of a ``matrix:`` source, read with its options; the label and
    split columns are kept as text (not features) when they are columns of the matrix."""
    return read_matrix(
        config.resolve(source.matrix),
        format=source.format,
        orientation=source.orientation,
        sep=source.sep,
        sample_id=source.sample_id,
        feature_id=source.feature_id,
        skip_columns=source.skip_columns,
        skip_rows=source.skip_rows,
        annotations=[c for c in (source.label, source.split) if c is not None],
        maf_value=source.maf_value or "binary",
        maf_classes=source.maf_classes,
        maf_sample_chars=source.maf_sample_chars,
    )


def load_matrix_source(source: MatrixSource, config: Config) -> tuple[Examples, list[str] | None]:
    """The samples of a ``matrix:`` source with their labels, and the value of its
    ``split`` column for each (``train``/``valid``/``test``; ``None`` without one).

    Each example's ``features`` are its raw values ``(F,)`` (float32, NaN where missing),
    ``feature_names`` the matrix's features; ``sequences`` are empty.

    Raises
    ------
    InputError
        A sample without a label, a labelled sample missing from the matrix (unless
        ``unmatched_labels: ignore``), a label or split column that is nowhere, a split
        value other than train/valid/test.
    """
    matrix = read_source_matrix(source, config)
    table: dict[str, dict[str, str]] = {}
    table_path: Path | None = None
    columns: list[str] = []
    lines: dict[str, int] = {}
    if source.labels is not None:
        table_path = config.resolve(source.labels)
        columns, table, lines = read_sample_table(table_path, id_column=source.label_id)

    def column(name: str, what: str) -> list[tuple[str, str, int | None]]:
        """``(value, path, line)`` of column ``name`` for every sample of the matrix."""
        if table_path is not None and name in columns:
            out: list[tuple[str, str, int | None]] = []
            for i, sample in enumerate(matrix.samples):
                if sample not in table:
                    path, line, record = matrix.where(i)
                    raise InputError(
                        f"sample {sample!r} has no row in the sample table {table_path}",
                        path=path,
                        line=line,
                        record=record,
                    )
                out.append((table[sample][name], os.fspath(table_path), lines[sample]))
            return out
        if name in matrix.annotations:
            return [
                (value, matrix.path, matrix.where(i)[1])
                for i, value in enumerate(matrix.annotations[name])
            ]
        places = f"the sample table {table_path} or " if table_path is not None else ""
        raise InputError(
            f"{what} column {name!r} is not a column of {places}the matrix", path=matrix.path
        )

    assert source.label is not None  # checked with the configuration
    labels = _sample_labels(source.label, matrix.samples, column(source.label, "label"))
    if table_path is not None and source.unmatched_labels == "error":
        present = set(matrix.samples)
        for sample, row in table.items():
            if sample not in present and row.get(source.label, "").strip():
                raise InputError(
                    f"labelled sample {sample!r} is not in the matrix {matrix.path} (set "
                    "unmatched_labels: ignore when one table labels several files)",
                    path=table_path,
                    line=lines[sample],
                )
    split = None
    if source.split is not None:
        split = _sample_splits(source.split, column(source.split, "split"))
    origins = []
    for i in range(len(matrix.samples)):
        path, line, _ = matrix.where(i)
        origins.append((path, line or 0))
    examples = Examples(
        sequences=[""] * len(matrix.samples),
        labels=labels,
        ids=list(matrix.samples),
        origins=origins,
        features=list(matrix.values),
        feature_names=list(matrix.features),
    )
    return _mapped(examples, source.label_map), split


def read_view_matrix(
    view: MatrixView, path: str | os.PathLike[str], annotations: Sequence[str] = ()
) -> ExpressionMatrix:
    """The matrix file of one view, read with the view's options."""
    return read_matrix(
        path,
        format=view.format,
        orientation=view.orientation,
        sep=view.sep,
        sample_id=view.sample_id,
        feature_id=view.feature_id,
        skip_columns=view.skip_columns,
        skip_rows=view.skip_rows,
        annotations=annotations,
    )


def join_views(
    matrices: Sequence[tuple[str, ExpressionMatrix]], *, missing: str = "error"
) -> tuple[list[str], np.ndarray, list[str], list[tuple[str, int]]]:
    """Join the views' matrices by sample id: ``(samples, values, features, origins)``.

    Samples are in the order of the first view; ``values`` is ``(N, sum F_v)`` float32,
    the views' columns side by side, named ``view:feature``; ``origins`` are the first
    view's (file, line).

    Raises
    ------
    InputError
        ``missing="error"``: a sample that is in one view and not in another, naming the
        sample and the view it is missing from (one line). ``missing="drop"`` keeps the
        samples present in every view (an error if none is).
    """
    first = matrices[0][1]
    order = list(first.samples)
    seen = set(order)
    for _, m in matrices[1:]:
        for sample in m.samples:
            if sample not in seen:
                seen.add(sample)
                order.append(sample)
    index = [(name, m, {s: i for i, s in enumerate(m.samples)}) for name, m in matrices]
    if missing == "error":
        for sample in order:
            for name, m, rows in index:
                if sample not in rows:
                    have = next(n for n, _, r in index if sample in r)
                    raise InputError(
                        f"sample {sample!r} of view {have!r} is missing from view {name!r} "
                        "(set missing_samples: drop to keep only the samples in every view)",
                        path=m.path,
                    )
    kept = [s for s in order if all(s in rows for _, _, rows in index)]
    if not kept:
        raise InputError(
            f"no sample is in every view ({', '.join(n for n, _ in matrices)})",
            path=first.path,
        )
    values = np.concatenate(
        [m.values[[rows[s] for s in kept]] for _, m, rows in index], axis=1
    ).astype(np.float32, copy=False)
    features = [f"{name}:{f}" for name, m in matrices for f in m.features]
    first_rows = index[0][2]
    origins = []
    for s in kept:
        path, line, _ = first.where(first_rows[s])
        origins.append((path, line or 0))
    return kept, values, features, origins


def load_multiview_source(
    source: MultiViewSource, config: Config
) -> tuple[Examples, list[str] | None]:
    """The samples of a ``views:`` source (several matrices joined by sample id) with
    their labels, and the value of its ``split`` column for each (``None`` without one).

    Each example's ``features`` are its raw values of every view side by side, named
    ``view:feature`` (:func:`join_views`); preprocessing is fitted per view later
    (:func:`biodl.encode.matrix.fit_views`).

    Raises
    ------
    InputError
        A sample missing from a view (unless ``missing_samples: drop``), a sample without
        a label, a labelled sample in no view (unless ``unmatched_labels: ignore``), a
        label or split column that is nowhere, a split value other than train/valid/test.
    """
    wanted = [c for c in (source.label, source.split) if c is not None]
    matrices = [
        (name, read_view_matrix(view, config.resolve(view.matrix), wanted))
        for name, view in source.views.items()
    ]
    samples, values, features, origins = join_views(matrices, missing=source.missing_samples)
    table: dict[str, dict[str, str]] = {}
    table_path: Path | None = None
    columns: list[str] = []
    lines: dict[str, int] = {}
    if source.labels is not None:
        table_path = config.resolve(source.labels)
        columns, table, lines = read_sample_table(table_path, id_column=source.label_id)

    def column(name: str, what: str) -> list[tuple[str, str, int | None]]:
        if table_path is not None and name in columns:
            out: list[tuple[str, str, int | None]] = []
            for sample, (path, line) in zip(samples, origins, strict=True):
                if sample not in table:
                    raise InputError(
                        f"sample {sample!r} has no row in the sample table {table_path}",
                        path=path,
                        line=line or None,
                    )
                out.append((table[sample][name], os.fspath(table_path), lines[sample]))
            return out
        for _, m in matrices:
            if name in m.annotations:
                rows = {s: i for i, s in enumerate(m.samples)}
                return [
                    (m.annotations[name][rows[s]], m.path, m.where(rows[s])[1]) for s in samples
                ]
        places = f"the sample table {table_path} or " if table_path is not None else ""
        raise InputError(
            f"{what} column {name!r} is not a column of {places}any view's matrix",
            path=matrices[0][1].path,
        )

    assert source.label is not None  # checked with the configuration
    labels = _sample_labels(source.label, samples, column(source.label, "label"))
    if table_path is not None and source.unmatched_labels == "error":
        present = {s for _, m in matrices for s in m.samples}
        for sample, row in table.items():
            if sample not in present and row.get(source.label, "").strip():
                raise InputError(
                    f"labelled sample {sample!r} is in no view (set unmatched_labels: ignore "
                    "when one table labels several sources)",
                    path=table_path,
                    line=lines[sample],
                )
    split = None
    if source.split is not None:
        split = _sample_splits(source.split, column(source.split, "split"))
    examples = Examples(
        sequences=[""] * len(samples),
        labels=labels,
        ids=list(samples),
        origins=origins,
        features=list(values),
        feature_names=features,
    )
    return _mapped(examples, source.label_map), split


def _sample_labels(
    name: str, samples: Sequence[str], cells: Iterable[tuple[str, str | None, int | None]]
) -> list[str]:
    """Each sample's label from ``cells`` (``(value, path, line)`` of column ``name``, in
    sample order); a missing one is an error naming the sample and where it was read."""
    labels = []
    for sample, (value, path, line) in zip(samples, cells, strict=True):
        if not value.strip() or value.strip().lower() in _MISSING:
            raise InputError(
                f"sample {sample!r} has no label in column {name!r}", path=path, line=line
            )
        labels.append(normalise_label(value))
    return labels


def _sample_splits(name: str, cells: Iterable[tuple[str, str | None, int | None]]) -> list[str]:
    """Each sample's split (``train``, ``valid`` or ``test``) from column ``name``."""
    split = []
    for value, path, line in cells:
        v = value.strip().lower()
        if v not in _SPLIT_VALUES:
            raise InputError(
                f"column {name!r}: {value!r} is not one of train, valid, test",
                path=path,
                line=line,
            )
        split.append(v)
    return split


def load_molecule_source(
    source: MoleculeSource, config: Config
) -> tuple[Examples, list[str] | None]:
    """The molecules of a ``molecules:`` source with their labels, and the split of each
    (``train``/``valid``/``test``, from its ``split`` column or ``split_file``; ``None``
    without one).

    ``sequences`` are RDKit's canonical SMILES. Binary and multi-class tasks take the
    label text of the one label column (a number: ``1.0`` is ``1``); multi-label and
    regression tasks take ``values``, ``(T,)`` float32 per molecule with NaN where a
    label is missing.

    Raises
    ------
    InputError
        Reading errors of :func:`biodl.io.molecules.read_molecules`; a missing label of
        a binary or multi-class task, a binary label other than 0/1, a split value other
        than train/valid/test, or a molecule missing from the split file (each naming
        the file and line).
    """
    path = config.resolve(source.molecules)
    columns = [source.label] if isinstance(source.label, str) else list(source.label or [])
    kind = MoleculeKind(
        smiles_column=source.smiles,
        target_columns=tuple(columns),
        id_column=source.id,
        invalid=config.data.invalid,
    )
    molecules = read_molecules(
        path,
        smiles_column=source.smiles,
        target_columns=columns,
        id_column=source.id,
        invalid=config.data.invalid,
        sep=source.sep,
    )
    examples = kind.examples(molecules)
    task = task_class(config.task)
    where = [(molecules.path, line) for line in molecules.lines]
    if task.classification:
        labels = []
        for value, (p, line) in zip(molecules.targets[:, 0].tolist(), where, strict=True):
            if math.isnan(value):
                raise InputError(f"no label in column {columns[0]!r}", path=p, line=line)
            if config.task == "binary" and value not in (0.0, 1.0):
                raise InputError(
                    f"column {columns[0]!r}: label {value:g} is not 0 or 1", path=p, line=line
                )
            labels.append(normalise_label(repr(float(value))))
        examples = dataclasses.replace(examples, labels=labels)
        examples = _mapped(examples, source.label_map)
    else:
        values = molecules.targets.astype(np.float32)
        examples = dataclasses.replace(examples, values=list(values))
    split: list[str] | None = None
    if source.split is not None:
        cells = read_text_column(path, source.split, sep=source.sep)
        split = _sample_splits(
            source.split, ((cells[line], molecules.path, line) for line in molecules.lines)
        )
    elif source.split_file is not None:
        split_path = config.resolve(source.split_file)
        ids, names = read_split_file(split_path)
        by_id = dict(zip(ids, names.tolist(), strict=True))
        split = []
        for mol_id, (p, line) in zip(molecules.ids, where, strict=True):
            if mol_id not in by_id:
                raise InputError(
                    f"molecule {mol_id!r} is not in the split file {split_path}",
                    path=p,
                    line=line,
                )
            split.append(by_id[mol_id])
    return examples, split
