"""Read sequences (and labels, ids, groups) from a delimited text table.

The first line is the header; columns are chosen by name. Tab-separated unless the
file name ends in ``.csv`` or ``.csv.gz`` (or ``sep`` is given); plain or gzip
(detected from the content). Quoting follows the :mod:`csv` module (``"`` quotes).

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "train.tsv")
>>> with open(path, "w") as f:
...     _ = f.write("FoldID\\tEventID\\tseq\\tBound\\nA\\tp1\\tacgt\\t1\\nB\\tp2\\tGGNC\\t0\\n")
>>> t = read_table(path, sequence="seq", label="Bound", id="EventID", group="FoldID")
>>> t.sequences, t.labels, t.ids, t.groups, t.lines
(['ACGT', 'GGNC'], ['1', '0'], ['p1', 'p2'], ['A', 'B'], [2, 3])
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import sys
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from biodl.errors import InputError
from biodl.io._open import guard_lines, open_text
from biodl.io.alphabet import AlphabetName, check_alphabet, describe_alphabet, find_illegal

__all__ = ["SequenceTable", "default_separator", "read_table", "tsv_cell"]

_PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class SequenceTable:
    """Columns of a table, one entry per data row, in file order.

    Attributes
    ----------
    sequences
        Sequences, upper-cased when an alphabet was checked.
    labels
        Raw label text (stripped), or ``None`` if no label column was asked for.
    ids
        From the id column, else ``"{file stem}:{row number}"`` (1-based data row; the
        stem drops ``.gz`` and one more suffix: ``a.seq.gz`` -> ``a``).
    groups
        Raw group text (e.g. cross-validation folds), or ``None``.
    lines
        1-based file line of each row (the header is line 1).
    path
        The file read.
    extra
        Raw text of each column named in ``extra_columns``.
    """

    sequences: list[str]
    labels: list[str] | None
    ids: list[str]
    groups: list[str] | None
    lines: list[int]
    path: str
    extra: Mapping[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sequences)


def default_separator(path: _PathLike) -> str:
    """``","`` for ``*.csv`` and ``*.csv.gz`` (any case), else a tab.

    Examples
    --------
    >>> default_separator("x.CSV.gz"), default_separator("x.seq.gz")
    (',', '\\t')
    """
    name = os.fspath(path).lower()
    return "," if name.endswith((".csv", ".csv.gz")) else "\t"


_UNSAFE = re.compile("[\t\n\r\x00]")
"""Characters a field written to a TSV (ids, labels, groups) must not hold."""


def _stem(path: _PathLike) -> str:
    name = Path(path).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return Path(name).stem or name


def _column_index(header: list[str], name: str, role: str, path: _PathLike) -> int:
    role = role.split(":")[0]
    hits = [i for i, h in enumerate(header) if h == name]
    if not hits:
        raise InputError(
            f"{role} column {name!r} not found; columns are: {', '.join(header)}",
            path=path,
            line=1,
        )
    if len(hits) > 1:
        raise InputError(
            f"{role} column {name!r} appears {len(hits)} times in the header", path=path, line=1
        )
    return hits[0]


def _rows(path: _PathLike, sep: str) -> Generator[tuple[int, list[str]], None, None]:
    """``(first line, fields)`` of each row, the header included; blank lines skipped."""
    # long sequences are fine; csv's limit is process-wide, so it is put back afterwards
    previous_limit = csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield from _csv_rows(path, sep)
    finally:
        csv.field_size_limit(previous_limit)


def _csv_rows(path: _PathLike, sep: str) -> Generator[tuple[int, list[str]], None, None]:
    with open_text(path) as handle:
        reader = csv.reader(guard_lines(handle, path), delimiter=sep, strict=True)
        previous = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start = previous + 1
                where = (
                    ""
                    if reader.line_num <= start
                    else f" (the row runs to line {reader.line_num}: an unclosed quote?)"
                )
                raise InputError(f"malformed row: {exc}{where}", path=path, line=start) from None
            start, previous = previous + 1, reader.line_num
            if row and not (len(row) == 1 and not row[0].strip()):
                yield start, row


def read_table(
    path: _PathLike,
    *,
    sequence: str,
    label: str | None = None,
    id: str | None = None,
    group: str | None = None,
    sep: str | None = None,
    alphabet: AlphabetName | None = "dna",
    extra_columns: Sequence[str] = (),
    column_names: Sequence[str] | None = None,
) -> SequenceTable:
    """Read the named columns of a delimited table, streaming the file.

    Parameters
    ----------
    path
        Table file, plain or gzip.
    sequence
        Name of the sequence column.
    label, id, group
        Names of the optional label, id and group columns.
    sep
        Field separator; default :func:`default_separator`.
    alphabet
        Alphabet the sequences must use (``None``: no check, case kept).
    extra_columns
        More columns to keep as raw text in :attr:`SequenceTable.extra`.
    column_names
        Names of the columns of a file without a header line (the first line is then
        data, as in the UCI splice set).

    Returns
    -------
    SequenceTable

    Raises
    ------
    InputError
        Empty file; a named column missing (``column 'Bound' not found; columns are:
        FoldID, EventID, seq``, line 1); a row with the wrong number of fields; an
        empty sequence; an illegal character (line and column); truncated gzip.
    """
    if alphabet is not None:
        alphabet = check_alphabet(alphabet)
    delimiter = sep if sep is not None else default_separator(path)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise InputError(
            f"separator must be one character other than a quote or newline, not {delimiter!r}"
        )
    rows = _rows(path, delimiter)
    try:
        first = next(rows, None)
        if first is None:
            raise InputError("empty file: no header line", path=path, line=1)
        data_rows: Iterator[tuple[int, list[str]]] = rows
        if column_names is not None:  # no header line: the first row is data
            header = [c.strip() for c in column_names]
            data_rows = itertools.chain([first], rows)
        else:
            header = [h.strip() for h in first[1]]
        roles = {"sequence": sequence, "label": label, "id": id, "group": group}
        wanted = {role: name for role, name in roles.items() if name is not None}
        wanted.update({f"extra:{name}": name for name in extra_columns})
        index = {role: _column_index(header, name, role, path) for role, name in wanted.items()}
        return _read_rows(data_rows, header, index, delimiter, path, alphabet)
    finally:
        rows.close()


def _read_rows(
    rows: Iterator[tuple[int, list[str]]],
    header: list[str],
    index: Mapping[str, int],
    sep: str,
    path: _PathLike,
    alphabet: AlphabetName | None,
) -> SequenceTable:
    stem = _stem(path)
    columns: dict[str, list[str]] = {role: [] for role in index}
    lines: list[int] = []
    seq_col = header[index["sequence"]]
    for lineno, row in rows:
        if len(row) != len(header):
            raise InputError(
                f"row has {len(row)} fields but the header has {len(header)} (separator {sep!r})",
                path=path,
                line=lineno,
            )
        row_id = row[index["id"]].strip() if "id" in index else f"{stem}:{len(lines) + 1}"
        seq = row[index["sequence"]].strip()
        if not seq:
            raise InputError(
                f"empty sequence in column {seq_col!r} of row {row_id!r}", path=path, line=lineno
            )
        if alphabet is not None:
            seq = _checked(seq, alphabet, seq_col, row_id, path, lineno)
        for role, i in index.items():
            value = row[i].strip()
            if role != "sequence" and _UNSAFE.search(value):
                raise InputError(
                    f"the {role.split(':')[-1]} column {header[i]!r} of row {row_id!r} holds a "
                    "tab, newline, carriage return or NUL character, which cannot be written "
                    "to a TSV output",
                    path=path,
                    line=lineno,
                )
            columns[role].append(value)
        columns["sequence"][-1] = seq
        lines.append(lineno)
    if not lines:
        raise InputError("empty table: a header but no data rows", path=path, line=2)
    return SequenceTable(
        sequences=columns["sequence"],
        labels=columns.get("label"),
        ids=columns["id"] if "id" in columns else [f"{stem}:{n}" for n in range(1, len(lines) + 1)],
        groups=columns.get("group"),
        lines=lines,
        path=os.fspath(path),
        extra={
            role[len("extra:") :]: v for role, v in columns.items() if role.startswith("extra:")
        },
    )


def _checked(
    seq: str, alphabet: AlphabetName, column: str, row_id: str, path: _PathLike, lineno: int
) -> str:
    bad = find_illegal(seq, alphabet)
    if bad >= 0:
        raise InputError(
            f"illegal character {seq[bad]!r} at column {bad + 1} of the sequence in column "
            f"{column!r} of row {row_id!r} ({describe_alphabet(alphabet)})",
            path=path,
            line=lineno,
        )
    return seq.upper()


def tsv_cell(text: str) -> str:
    r"""``text`` as one cell of a TSV output: backslash, TAB, CR and LF escaped as
    ``\\``, ``\t``, ``\r``, ``\n`` (the readers refuse such ids; outputs stay
    parseable whatever the caller passes).

    Examples
    --------
    >>> print(tsv_cell("a\tb"))
    a\tb
    """
    if not any(c in text for c in "\t\r\n\\"):
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
