"""Read molecules (SMILES or SDF) with their property labels.

Two formats, chosen by the file name:

- CSV/TSV (plain or gzip; ``,`` for ``*.csv``/``*.csv.gz``, else a tab, or ``sep``):
  a header line, a SMILES column and target columns, as MoleculeNet and chemprop ship
  them. Quoting follows the :mod:`csv` module. The SMILES column is the one named
  ``smiles``, ``mol`` or ``canonical_smiles`` (any case), else the first column if most
  of its first values parse. The targets are, unless named, every other column whose
  cells are all numbers (or missing) except the id column. An empty cell, ``NA``,
  ``NaN``, ``N/A`` or ``null`` is a missing label (NaN).
- SDF (``*.sdf``, ``*.sdf.gz``): one record per molecule, read by RDKit; the targets
  are the SD properties named in ``target_columns`` (a property a record lacks is a
  missing label) and the id is the record's name (its first line) or the property
  ``id_column``.

RDKit parses and sanitises every molecule and writes its canonical isomeric SMILES,
which the encoders (:mod:`biodl.encode.molecules`) read back. A molecule RDKit rejects
is an :class:`~biodl.errors.InputError` naming the file, the line and the SMILES, or,
with ``invalid="skip"``, is left out and listed in :attr:`Molecules.skipped`. RDKit
itself prints nothing: its log is blocked while parsing.

RDKit is an optional dependency (``pip install 'biodl[chem]'``); it is imported inside
the functions, through :func:`require_rdkit`.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "esol.csv")
>>> _ = open(path, "w").write("smiles,logS\\nOCC,1.1\\nc1ccccc1O,\\n")
>>> m = read_molecules(path)
>>> m.smiles, m.target_names, m.lines, m.ids
(('CCO', 'Oc1ccccc1'), ('logS',), (2, 3), ('line 2', 'line 3'))
>>> m.targets
array([[1.1],
       [nan]])
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from biodl.errors import InputError
from biodl.io._open import guard_lines, open_text
from biodl.io.table import _rows as _table_rows
from biodl.io.table import default_separator

if TYPE_CHECKING:
    from rdkit import Chem

__all__ = [
    "MISSING_LABELS",
    "RDKIT_MISSING",
    "SMILES_COLUMNS",
    "InvalidPolicy",
    "Molecules",
    "molecule_format",
    "parse_smiles",
    "quiet_rdkit",
    "read_molecules",
    "read_text_column",
    "require_rdkit",
    "smiles_problem",
]

_PathLike = str | os.PathLike[str]
InvalidPolicy = Literal["error", "skip"]

RDKIT_MISSING = "needs RDKit: pip install 'biodl[chem]' (or pip install rdkit)"
"""End of the message when RDKit is not installed."""

SMILES_COLUMNS: tuple[str, ...] = ("smiles", "mol", "canonical_smiles")
"""Names (any case) of the column read as SMILES when ``smiles_column`` is not given,
in order of preference."""

MISSING_LABELS = frozenset({"", "na", "nan", "n/a", "null"})
"""Target cells (lower-cased, stripped) read as a missing label."""

_SNIFF_ROWS = 10
"""First values of the first column tried when no column is named like SMILES."""


@dataclass(frozen=True)
class Molecules:
    """The molecules of one file that RDKit accepted, in file order.

    Attributes
    ----------
    path
        The file read.
    smiles
        Canonical isomeric SMILES (RDKit) of each molecule, ``N`` of them.
    ids
        The id column (or SDF property / record name) of each molecule, else
        ``"line N"`` (``"record N"`` in an SDF file without names).
    targets
        ``(N, T)`` float64; NaN marks a missing label. ``T`` may be 0.
    target_names
        The ``T`` target columns (or SD properties).
    lines
        1-based line of each molecule's row (the header is line 1), or of the first
        line of its SDF record.
    skipped
        ``(line, smiles, reason)`` of each molecule left out with ``invalid="skip"``
        (for an SDF record, ``smiles`` holds its name or ``"record N"``).
    """

    path: str
    smiles: tuple[str, ...]
    ids: tuple[str, ...]
    targets: np.ndarray
    target_names: tuple[str, ...]
    lines: tuple[int, ...]
    skipped: tuple[tuple[int, str, str], ...] = ()

    def __len__(self) -> int:
        return len(self.smiles)


# ---------------------------------------------------------------------------- RDKit


def require_rdkit(what: str = "reading molecules") -> None:
    """Raise an :class:`InputError` telling how to install RDKit if it is missing.

    Call it before ``from rdkit import Chem`` inside a function.

    Parameters
    ----------
    what
        What needs RDKit, the start of the message (``"reading molecules"``).

    Examples
    --------
    >>> require_rdkit()  # RDKit installed: nothing happens
    """
    try:
        import rdkit  # noqa: F401
    except ImportError:
        raise InputError(f"{what} {RDKIT_MISSING}") from None


@contextlib.contextmanager
def quiet_rdkit() -> Iterator[None]:
    """Block RDKit's own log (``rdApp.*`` errors and warnings on stderr) inside the
    ``with`` block; the previous logging state comes back afterwards.

    Examples
    --------
    >>> with quiet_rdkit():
    ...     parse_smiles("C1CC") is None  # prints no "SMILES Parse Error"
    True
    """
    require_rdkit()
    from rdkit import rdBase

    block = rdBase.BlockLogs()
    try:
        yield
    finally:
        del block


def parse_smiles(smiles: str) -> Chem.Mol | None:
    """The sanitised RDKit molecule of ``smiles``, or ``None`` if RDKit rejects it.

    Hydrogens stay implicit (RDKit's default), so the atoms are the heavy atoms plus
    the rare hydrogen RDKit keeps (an isotope such as ``[2H]``). An empty SMILES, or
    one of no atoms, is rejected too. Nothing is printed.

    Examples
    --------
    >>> parse_smiles("c1ccccc1O").GetNumAtoms()
    7
    >>> parse_smiles("C1CC") is None, parse_smiles("") is None
    (True, True)
    """
    require_rdkit()
    from rdkit import Chem, rdBase

    text = smiles.strip()
    if not text:
        return None
    _block = rdBase.BlockLogs()
    mol = Chem.MolFromSmiles(text)
    del _block
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    return mol


def smiles_problem(smiles: str) -> str | None:
    """Why RDKit rejects ``smiles`` (one line), or ``None`` if it parses.

    Examples
    --------
    >>> smiles_problem("CCO") is None
    True
    >>> smiles_problem("C1CC")  # doctest: +ELLIPSIS
    'SMILES syntax error...'
    >>> smiles_problem("N(C)(C)(C)(C)C")
    'Explicit valence for atom # 0 N, 5, is greater than permitted'
    >>> smiles_problem("c1cccc1")
    "Can't kekulize mol. Unkekulized atoms: 0 1 2 3 4"
    """
    if parse_smiles(smiles) is not None:
        return None
    from rdkit import Chem, rdBase

    text = smiles.strip()
    if not text:
        return "empty SMILES"
    capture = getattr(rdBase, "CaptureErrorLog", None)  # RDKit 2026+
    _block = rdBase.BlockLogs()
    with capture() if capture is not None else contextlib.nullcontext() as log:
        raw = Chem.MolFromSmiles(text, sanitize=False)
    if raw is None:
        said = [
            m.split("Error:", 1)[-1].split(" for input:")[0].strip()
            for m in str(getattr(log, "messages", "")).splitlines()
            if "Error:" in m
        ]
        return "SMILES syntax error" + (f" ({said[0]})" if said else "")
    if raw.GetNumAtoms() == 0:
        return "no atoms"
    try:
        Chem.SanitizeMol(raw)
    except Exception as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return "RDKit rejects it"


def _canonical(mol: Chem.Mol) -> str:
    from rdkit import Chem

    return str(Chem.MolToSmiles(mol))


# ---------------------------------------------------------------------------- reader


def molecule_format(path: _PathLike) -> Literal["sdf", "table"]:
    """``"sdf"`` for ``*.sdf`` / ``*.sdf.gz`` (any case), else ``"table"``.

    Examples
    --------
    >>> molecule_format("x.SDF.gz"), molecule_format("bbbp.csv")
    ('sdf', 'table')
    """
    name = os.fspath(path).lower().removesuffix(".gz")
    return "sdf" if name.endswith(".sdf") else "table"


def read_molecules(
    path: _PathLike,
    *,
    smiles_column: str | None = None,
    target_columns: Sequence[str] | None = None,
    id_column: str | None = None,
    invalid: InvalidPolicy = "error",
    sep: str | None = None,
) -> Molecules:
    """Read molecules and their labels from a CSV/TSV or SDF file.

    Parameters
    ----------
    path
        A CSV/TSV table (plain or gzip) or an SDF file (``.sdf``, ``.sdf.gz``).
    smiles_column
        The SMILES column of a table; default: the column named ``smiles``, ``mol`` or
        ``canonical_smiles`` (any case), else the first column if its values parse.
    target_columns
        Target columns (table) or SD properties (SDF, where they must be given; ``[]``
        for none). Default for a table: every other all-numeric column but the id.
    id_column
        Column (or SD property) of the molecule ids; default ``"line N"`` (table) or
        the record's name (SDF).
    invalid
        ``"error"``: a molecule RDKit rejects is an error; ``"skip"``: it is left out
        and listed in :attr:`Molecules.skipped`.
    sep
        Field separator of a table; default :func:`~biodl.io.table.default_separator`.

    Returns
    -------
    Molecules

    Raises
    ------
    InputError
        RDKit missing; empty file; no SMILES column; a named column missing; duplicate
        column names; a row of the wrong width; a target cell that is not a number
        (naming line and column); an unparsable SMILES (``invalid="error"``: naming
        the file, the line and the SMILES); no valid molecule at all.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(path, "w").write("mol,Class\\nC1CC,1\\nCCN,0\\n")
    >>> read_molecules(path)
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: ...x.csv:2: invalid SMILES 'C1CC' in column 'mol': SMILES syntax...
    >>> m = read_molecules(path, invalid="skip")
    >>> m.smiles, m.skipped[0][:2]
    (('CCN',), (2, 'C1CC'))
    """
    if invalid not in ("error", "skip"):
        raise InputError(f"invalid must be 'error' or 'skip', not {invalid!r}", path=path)
    require_rdkit()
    if isinstance(target_columns, str):  # one name, not its letters
        target_columns = (target_columns,)
    if molecule_format(path) == "sdf":
        if target_columns is None:
            raise InputError(
                "an SDF file needs target_columns: the SD properties holding the labels "
                "([] for none)",
                path=path,
            )
        return _read_sdf(path, tuple(target_columns), id_column, invalid)
    return _read_table(path, smiles_column, target_columns, id_column, invalid, sep)


def _number(cell: str, *, path: _PathLike, line: int, column: str, row: str | None) -> float:
    text = cell.strip()
    if text.lower() in MISSING_LABELS:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"target column {column!r}: {text!r} is not a number (missing labels are empty or NA)",
            path=path,
            line=line,
            record=row,
        ) from None
    if math.isinf(value):
        raise InputError(
            f"target column {column!r}: {text!r} is not finite", path=path, line=line, record=row
        )
    return value


def _is_number(cell: str) -> bool:
    text = cell.strip()
    if text.lower() in MISSING_LABELS:
        return True
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _find_column(header: list[str], name: str, role: str, path: _PathLike) -> int:
    if name not in header:
        raise InputError(
            f"{role} column {name!r} not found; columns are: {', '.join(header)}",
            path=path,
            line=1,
        )
    return header.index(name)


def _smiles_index(header: list[str], rows: list[tuple[int, list[str]]], path: _PathLike) -> int:
    lower = [h.lower() for h in header]
    for name in SMILES_COLUMNS:
        hits = [i for i, h in enumerate(lower) if h == name]
        if len(hits) > 1:
            names = ", ".join(repr(header[i]) for i in hits)
            raise InputError(
                f"several SMILES columns ({names}); name one with smiles_column",
                path=path,
                line=1,
            )
        if hits:
            return hits[0]
    firsts = [r[0].strip() for _, r in rows if r and r[0].strip()][:_SNIFF_ROWS]
    if firsts and 2 * sum(parse_smiles(s) is not None for s in firsts) > len(firsts):
        return 0
    raise InputError(
        "no SMILES column: none is named smiles, mol or canonical_smiles and the first "
        f"column's values are not SMILES; name it with smiles_column (columns are: "
        f"{', '.join(header)})",
        path=path,
        line=1,
    )


def _read_table(
    path: _PathLike,
    smiles_column: str | None,
    target_columns: Sequence[str] | None,
    id_column: str | None,
    invalid: InvalidPolicy,
    sep: str | None,
) -> Molecules:
    delimiter = sep if sep is not None else default_separator(path)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise InputError(
            f"separator must be one character other than a quote or newline, not {delimiter!r}"
        )
    reader = _table_rows(path, delimiter)
    try:
        rows = list(reader)
    finally:
        reader.close()
    if not rows:
        raise InputError("empty file: no header line", path=path, line=1)
    header_line, raw_header = rows[0]
    header = [h.strip() for h in raw_header]
    rows = rows[1:]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            raise InputError(
                f"duplicate column name {name!r} (columns {seen[name] + 1} and {i + 1})",
                path=path,
                line=header_line,
            )
        seen[name] = i
    if not rows:
        raise InputError("a header but no molecules", path=path, line=header_line + 1)
    for lineno, row in rows:
        if len(row) != len(header):
            raise InputError(
                f"row has {len(row)} fields but the header has {len(header)} "
                f"(separator {delimiter!r})",
                path=path,
                line=lineno,
            )
    s_col = (
        _find_column(header, smiles_column, "SMILES", path)
        if smiles_column is not None
        else _smiles_index(header, rows, path)
    )
    i_col = None if id_column is None else _find_column(header, id_column, "id", path)
    if target_columns is None:
        t_cols = [
            c
            for c in range(len(header))
            if c not in (s_col, i_col)
            and any(r[c].strip().lower() not in MISSING_LABELS for _, r in rows)
            and all(_is_number(r[c]) for _, r in rows)
        ]
    else:
        t_cols = [_find_column(header, name, "target", path) for name in target_columns]
        for c in t_cols:
            if c in (s_col, i_col):
                role = "SMILES" if c == s_col else "id"
                raise InputError(
                    f"target column {header[c]!r} is also the {role} column", path=path, line=1
                )
        if len(set(t_cols)) != len(t_cols):
            raise InputError("a target column is named twice", path=path, line=1)

    smiles: list[str] = []
    ids: list[str] = []
    lines: list[int] = []
    values: list[list[float]] = []
    skipped: list[tuple[int, str, str]] = []
    column = header[s_col]
    for lineno, row in rows:
        row_id = row[i_col].strip() if i_col is not None else None
        text = row[s_col].strip()
        targets = [
            _number(row[c], path=path, line=lineno, column=header[c], row=row_id) for c in t_cols
        ]
        canonical, reason = _canonical_or_reason(text)
        if canonical is None:
            if invalid == "error":
                raise InputError(
                    f"invalid SMILES {text!r} in column {column!r}: {reason}",
                    path=path,
                    line=lineno,
                    record=row_id,
                )
            skipped.append((lineno, text, reason))
            continue
        smiles.append(canonical)
        ids.append(row_id if row_id is not None else f"line {lineno}")
        lines.append(lineno)
        values.append(targets)
    return _result(path, smiles, ids, values, [header[c] for c in t_cols], lines, skipped)


def read_text_column(path: _PathLike, column: str, *, sep: str | None = None) -> dict[int, str]:
    """``{line: text}`` of one column of a molecule table (the header is line 1), e.g.
    a ``split`` column next to the SMILES; cells are stripped.

    Raises
    ------
    InputError
        An SDF file, an empty file, or no such column.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(path, "w").write("smiles,split\\nCCO,train\\nCCN, test\\n")
    >>> read_text_column(path, "split")
    {2: 'train', 3: 'test'}
    """
    if molecule_format(path) == "sdf":
        raise InputError(f"column {column!r}: an SDF file has no columns", path=path)
    delimiter = sep if sep is not None else default_separator(path)
    reader = _table_rows(path, delimiter)
    try:
        first = next(reader, None)
        if first is None:
            raise InputError("empty file: no header line", path=path, line=1)
        header = [h.strip() for h in first[1]]
        c = _find_column(header, column, "split", path)
        return {line: row[c].strip() if c < len(row) else "" for line, row in reader}
    finally:
        reader.close()


def _canonical_or_reason(text: str) -> tuple[str | None, str]:
    """``(canonical SMILES, "")`` or ``(None, why RDKit rejects it)``; a canonical
    SMILES that does not parse back is rejected too (the encoders read it back)."""
    mol = parse_smiles(text)
    if mol is None:
        return None, smiles_problem(text) or "RDKit rejects it"
    canonical = _canonical(mol)
    if parse_smiles(canonical) is None:
        return None, f"RDKit's canonical SMILES {canonical!r} of it does not parse back"
    return canonical, ""


def _result(
    path: _PathLike,
    smiles: list[str],
    ids: list[str],
    values: list[list[float]],
    names: list[str],
    lines: list[int],
    skipped: list[tuple[int, str, str]],
) -> Molecules:
    if not smiles:
        first = f"; the first, line {skipped[0][0]}: {skipped[0][2]}" if skipped else ""
        raise InputError(f"no valid molecule: RDKit rejected all {len(skipped)}{first}", path=path)
    targets = np.array(values, dtype=np.float64).reshape(len(smiles), len(names))
    return Molecules(
        path=os.fspath(path),
        smiles=tuple(smiles),
        ids=tuple(ids),
        targets=targets,
        target_names=tuple(names),
        lines=tuple(lines),
        skipped=tuple(skipped),
    )


# ---------------------------------------------------------------------------- SDF


def _sdf_records(path: _PathLike) -> Iterator[tuple[int, str]]:
    """``(first line, text)`` of each record (up to and with its ``$$$$`` line)."""
    with open_text(path) as handle:
        block: list[str] = []
        start = 1
        for lineno, line in enumerate(guard_lines(handle, path), start=1):
            if not block:
                start = lineno
            block.append(line)
            if line.rstrip("\r\n") == "$$$$":
                yield start, "".join(block)
                block = []
        if any(b.strip() for b in block):  # a last record without $$$$
            yield start, "".join(block)


def _sdf_problem(text: str) -> str:
    from rdkit import Chem, rdBase

    _block = rdBase.BlockLogs()
    raw = Chem.MolFromMolBlock(text, sanitize=False, removeHs=False)
    if raw is None:
        return "not a readable molfile record"
    try:
        Chem.SanitizeMol(raw)
    except Exception as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return "RDKit rejects it"


def _sdf_canonical(mol: Chem.Mol | None, text: str) -> tuple[str, str]:
    """``(canonical SMILES, "")`` of a record's molecule, or ``("", why it is invalid)``."""
    if mol is None:
        return "", _sdf_problem(text)
    if mol.GetNumAtoms() == 0:
        return "", "no atoms"
    canonical = _canonical(mol)
    if parse_smiles(canonical) is None:
        return "", f"RDKit's canonical SMILES {canonical!r} of it does not parse back"
    return canonical, ""


def _read_sdf(
    path: _PathLike, target_columns: tuple[str, ...], id_column: str | None, invalid: InvalidPolicy
) -> Molecules:
    from rdkit import Chem

    if len(set(target_columns)) != len(target_columns):
        raise InputError("a target property is named twice", path=path)
    smiles: list[str] = []
    ids: list[str] = []
    lines: list[int] = []
    values: list[list[float]] = []
    skipped: list[tuple[int, str, str]] = []
    number = 0
    for start, text in _sdf_records(path):
        number += 1
        first = text.split("\n", 1)[0].strip()
        name = first or f"record {number}"
        with quiet_rdkit():
            supplier = Chem.ForwardSDMolSupplier(io.BytesIO(text.encode()), sanitize=True)
            mol = next(iter(supplier), None)
        canonical, reason = _sdf_canonical(mol, text)
        if reason:
            if invalid == "error":
                raise InputError(
                    f"invalid molecule in SDF record {number} ({name!r}): {reason}",
                    path=path,
                    line=start,
                )
            skipped.append((start, name, reason))
            continue
        assert mol is not None  # for mypy: a molecule without a reason parsed
        if id_column is not None:
            if not mol.HasProp(id_column):
                raise InputError(
                    f"SDF record {number} ({name!r}) has no id property {id_column!r}",
                    path=path,
                    line=start,
                )
            ids.append(mol.GetProp(id_column).strip())
        else:
            ids.append(name)
        values.append(
            [
                _number(
                    mol.GetProp(t) if mol.HasProp(t) else "",
                    path=path,
                    line=start,
                    column=t,
                    row=name,
                )
                for t in target_columns
            ]
        )
        smiles.append(canonical)
        lines.append(start)
    if number == 0:
        raise InputError("empty file: no SDF record", path=path, line=1)
    return _result(path, smiles, ids, values, list(target_columns), lines, skipped)
