"""Reading expression matrices: samples x features values with sample annotations.

Four formats:

- ``csv`` / ``tsv`` (plain or gzip): a header line, then one line per sample
  (``samples_by_features``) or per feature (``features_by_samples``). Columns named in
  ``skip_columns`` (every column of that name, e.g. Golub's repeated ``call`` columns)
  and ``skip_rows`` lines after the header (Orange ``.tab``'s type and flag rows) are
  ignored. In ``samples_by_features`` orientation the non-numeric annotation columns
  ``annotations`` (label, split, ...) are kept as text, not as features.
- ``gct`` (Broad): ``#1.2``, a dimensions line, a header ``Name  Description  s1 s2 ...``,
  then one line per feature.
- ``h5ad`` (AnnData; needs ``pip install 'biodl[anndata]'``): ``X`` is samples x
  features, ``obs_names`` the sample ids, ``var_names`` the feature ids and every ``obs``
  column an annotation.
- ``maf`` (Mutation Annotation Format, plain or gzip): somatic mutations, one line per
  mutation, turned into a samples x genes mutation matrix (DeepGene's input); see
  :func:`read_maf`.

Every problem raises :class:`~biodl.errors.InputError` naming the file and the line (or
the record): a value that is not a number, a duplicate sample or feature id, a row of
the wrong width.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "m.tsv")
>>> _ = open(path, "w").write("id\\tg1\\tg2\\ny\\ns1\\t1\\t2\\tA\\n")
>>> read_matrix(path, sample_id="id")
Traceback (most recent call last):
...
biodl.errors.InputError: ...m.tsv:2: 1 cells where the header has 3
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from biodl.errors import InputError
from biodl.io._open import read_lines

__all__ = [
    "MAF_NONSILENT",
    "MAF_REQUIRED",
    "MATRIX_FORMATS",
    "ExpressionMatrix",
    "MatrixFormat",
    "Orientation",
    "matrix_format",
    "read_maf",
    "read_matrix",
    "read_sample_table",
]

MatrixFormat = Literal["csv", "tsv", "gct", "h5ad", "maf"]
Orientation = Literal["samples_by_features", "features_by_samples"]
MATRIX_FORMATS: tuple[str, ...] = ("csv", "tsv", "gct", "h5ad", "maf")

MAF_REQUIRED: tuple[str, ...] = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification")
"""Columns a MAF file must have for :func:`read_maf`."""

MAF_NONSILENT: tuple[str, ...] = (
    "Missense_Mutation",
    "Nonsense_Mutation",
    "Frame_Shift_Del",
    "Frame_Shift_Ins",
    "In_Frame_Del",
    "In_Frame_Ins",
    "Splice_Site",
    "Translation_Start_Site",
    "Nonstop_Mutation",
)
"""The ``Variant_Classification`` values :func:`read_maf` counts by default: the
non-silent, protein-changing classes (DeepGene's and TCGA's practice)."""

_MAF_VARIANT_KEY = ("Chromosome", "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2")

_MISSING = frozenset({"", "na", "nan", "n/a", "null"})

ANNDATA_MISSING = (
    "reading .h5ad files needs anndata: pip install 'biodl[anndata]' (or pip install anndata)"
)


@dataclass(frozen=True)
class ExpressionMatrix:
    """Values of ``samples`` (rows) by ``features`` (columns), as read.

    Attributes
    ----------
    values
        ``(N, F)`` float32; NaN marks a missing value (an empty cell or ``NA``).
    samples, features
        Unique ids of the rows and of the columns.
    records
        ``(line, where)`` of each sample: the line of its row (``samples_by_features``,
        1-based) or ``0`` with ``where`` naming its column (``features_by_samples``,
        h5ad: ``obs`` row).
    annotations
        Text columns about the samples (``{column: [value per sample]}``): the kept
        annotation columns of a table, or every ``obs`` column of an h5ad file.
    """

    path: str
    values: np.ndarray
    samples: list[str]
    features: list[str]
    records: list[tuple[int, str]]
    annotations: dict[str, list[str]] = field(default_factory=dict)

    def where(self, i: int) -> tuple[str, int | None, str | None]:
        """``(path, line, record)`` naming sample ``i`` in an error message."""
        line, what = self.records[i]
        return self.path, (line or None), (what or None)


def matrix_format(path: str | os.PathLike[str], given: str | None = None) -> str:
    """``given``, or the format the file name implies: ``.gct``, ``.h5ad``, ``.maf``,
    ``.csv`` (else ``tsv``), ignoring a ``.gz`` ending.

    Examples
    --------
    >>> matrix_format("a.gct.gz"), matrix_format("b.csv"), matrix_format("c.tab.gz")
    ('gct', 'csv', 'tsv')
    >>> matrix_format("tcga_brca.maf.gz"), matrix_format("x.MAF")
    ('maf', 'maf')
    """
    if given:
        return given
    name = os.fspath(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for ext in ("gct", "h5ad", "maf", "csv"):
        if name.endswith("." + ext):
            return ext
    return "tsv"


def _number(cell: str, *, path: str, line: int, column: str) -> float:
    text = cell.strip()
    if text.lower() in _MISSING:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"column {column!r}: {text!r} is not a number", path=path, line=line
        ) from None
    if math.isinf(value):
        raise InputError(f"column {column!r}: value {text!r} is not finite", path=path, line=line)
    return value


def _unique(ids: Sequence[str], *, what: str, path: str, lines: Sequence[int | None]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(ids):
        if name in seen:
            first = lines[seen[name]]
            where = f" (first on line {first})" if first else ""
            raise InputError(
                f"duplicate {what} id {name!r}{where}", path=path, line=lines[i] or None
            )
        seen[name] = i


def _rows(path: Path, sep: str) -> list[tuple[int, list[str]]]:
    out = []
    for lineno, text in read_lines(path):
        stripped = text.rstrip("\r\n")
        if not stripped.strip():
            continue
        out.append((lineno, next(csv.reader([stripped], delimiter=sep))))
    return out


def read_matrix(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    orientation: Orientation = "samples_by_features",
    sep: str | None = None,
    sample_id: str | None = None,
    feature_id: str | None = None,
    skip_columns: Sequence[str] = (),
    skip_rows: int = 0,
    annotations: Sequence[str] = (),
    maf_value: Literal["binary", "count"] = "binary",
    maf_classes: Sequence[str] | None = None,
    maf_sample_chars: int | None = None,
) -> ExpressionMatrix:
    """Read an expression matrix (see the module docstring for the formats).

    Parameters
    ----------
    format
        ``csv``, ``tsv``, ``gct``, ``h5ad`` or ``maf``; by default from the file name
        (:func:`matrix_format`).
    orientation
        ``samples_by_features`` (one line per sample) or ``features_by_samples`` (one
        line per feature, the samples in the header). Tables only; GCT files are
        features by samples and h5ad samples by features.
    sep
        Column separator of a table (default: ``,`` for csv, tab otherwise).
    sample_id
        ``samples_by_features``: the column of sample ids (default: the samples are
        numbered ``1``, ``2``... in file order).
    feature_id
        ``features_by_samples``: the column of feature ids (default: the first column).
    skip_columns
        Columns that are neither features nor samples (every column of each name).
    skip_rows
        Lines after the header to ignore.
    annotations
        ``samples_by_features``: text columns about the samples to keep (label, split),
        not features. A name that is no column is ignored (it may be in a label table).
    maf_value, maf_classes, maf_sample_chars
        ``maf`` only: see :func:`read_maf` (the table options do not apply to it).
    """
    p = Path(path)
    where = os.fspath(p)
    if not p.is_file():
        raise InputError("matrix file not found", path=where)
    fmt = matrix_format(p, format)
    if fmt == "h5ad":
        return _read_h5ad(p)
    if fmt == "maf":
        return read_maf(p, value=maf_value, classes=maf_classes, sample_chars=maf_sample_chars)
    if fmt == "gct":
        rows = _rows(p, "\t")
        if len(rows) < 3 or not rows[0][1] or not rows[0][1][0].startswith("#1."):
            raise InputError("not a GCT file: the first line must be '#1.2'", path=where, line=1)
        header = rows[2][1]
        if len(header) < 3 or header[0].strip().lower() != "name":
            raise InputError(
                "GCT header must start with 'Name', 'Description'", path=where, line=rows[2][0]
            )
        return _features_by_samples(where, rows[2:], feature_col=0, skip={1}, skip_rows=0)
    delimiter = sep if sep is not None else ("," if fmt == "csv" else "\t")
    rows = _rows(p, delimiter)
    if not rows:
        raise InputError("empty matrix file", path=where)
    header = [h.strip() for h in rows[0][1]]
    skipped = {i for i, h in enumerate(header) if h in set(skip_columns)}
    if orientation == "features_by_samples":
        if feature_id is None:
            feature_col = 0
        elif feature_id in header:
            feature_col = header.index(feature_id)
        else:
            raise InputError(
                f"feature id column {feature_id!r} not found; columns are: {', '.join(header)}",
                path=where,
                line=rows[0][0],
            )
        return _features_by_samples(
            where, rows, feature_col=feature_col, skip=skipped, skip_rows=skip_rows
        )
    return _samples_by_features(
        where,
        rows,
        sample_id=sample_id,
        skip=skipped,
        skip_rows=skip_rows,
        annotations=annotations,
    )


def _check_width(cells: list[str], width: int, *, path: str, line: int) -> list[str]:
    if len(cells) == width + 1 and not cells[-1].strip():  # a trailing separator
        cells = cells[:-1]
    if len(cells) != width:
        raise InputError(f"{len(cells)} cells where the header has {width}", path=path, line=line)
    return cells


def _samples_by_features(
    path: str,
    rows: list[tuple[int, list[str]]],
    *,
    sample_id: str | None,
    skip: set[int],
    skip_rows: int,
    annotations: Sequence[str],
) -> ExpressionMatrix:
    header_line, header = rows[0][0], [h.strip() for h in rows[0][1]]
    if header and header[-1] == "" and not any(i == len(header) - 1 for i in skip):
        # a trailing separator on the header line
        pass
    id_col = None
    if sample_id is not None:
        if sample_id not in header:
            raise InputError(
                f"sample id column {sample_id!r} not found; columns are: {', '.join(header)}",
                path=path,
                line=header_line,
            )
        id_col = header.index(sample_id)
    kept = {name: header.index(name) for name in annotations if name in header}
    drop = skip | set(kept.values()) | ({id_col} if id_col is not None else set())
    feat_cols = [i for i in range(len(header)) if i not in drop]
    features = [header[i] for i in feat_cols]
    if not features:
        raise InputError("no feature columns", path=path, line=header_line)
    _unique(features, what="feature", path=path, lines=[header_line] * len(features))
    body = rows[1 + skip_rows :]
    if not body:
        raise InputError("no sample rows", path=path)
    values = np.empty((len(body), len(feat_cols)), dtype=np.float32)
    samples: list[str] = []
    records: list[tuple[int, str]] = []
    notes: dict[str, list[str]] = {name: [] for name in kept}
    for r, (line, raw) in enumerate(body):
        cells = _check_width(raw, len(header), path=path, line=line)
        samples.append(cells[id_col].strip() if id_col is not None else str(r + 1))
        records.append((line, ""))
        for name, col in kept.items():
            notes[name].append(cells[col].strip())
        values[r] = [_number(cells[c], path=path, line=line, column=header[c]) for c in feat_cols]
    _unique(samples, what="sample", path=path, lines=[line for line, _ in records])
    return ExpressionMatrix(path, values, samples, features, records, notes)


def _features_by_samples(
    path: str,
    rows: list[tuple[int, list[str]]],
    *,
    feature_col: int,
    skip: set[int],
    skip_rows: int,
) -> ExpressionMatrix:
    header_line, header = rows[0][0], [h.strip() for h in rows[0][1]]
    sample_cols = [i for i in range(len(header)) if i != feature_col and i not in skip]
    samples = [header[i] for i in sample_cols]
    if not samples:
        raise InputError("no sample columns", path=path, line=header_line)
    _unique(samples, what="sample", path=path, lines=[header_line] * len(samples))
    body = rows[1 + skip_rows :]
    if not body:
        raise InputError("no feature rows", path=path)
    values = np.empty((len(samples), len(body)), dtype=np.float32)
    features: list[str] = []
    lines: list[int] = []
    for r, (line, raw) in enumerate(body):
        cells = _check_width(raw, len(header), path=path, line=line)
        features.append(cells[feature_col].strip())
        lines.append(line)
        values[:, r] = [
            _number(cells[c], path=path, line=line, column=header[c]) for c in sample_cols
        ]
    _unique(features, what="feature", path=path, lines=lines)
    records = [(0, f"column {name!r}") for name in samples]
    return ExpressionMatrix(path, values, samples, features, records, {})


def _read_h5ad(path: Path) -> ExpressionMatrix:
    try:
        import anndata  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        raise InputError(ANNDATA_MISSING, path=path) from None
    try:
        adata = anndata.read_h5ad(path)
    except Exception as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise InputError(f"not a readable h5ad file: {first}", path=path) from None
    X: Any = adata.X
    if hasattr(X, "toarray"):
        X = X.toarray()
    values = np.asarray(X, dtype=np.float32)
    where = os.fspath(path)
    if np.isinf(values).any():
        i, j = (int(v) for v in np.argwhere(np.isinf(values))[0])
        raise InputError(f"X[{i}, {j}] is not finite", path=where, record=str(adata.obs_names[i]))
    samples = [str(s) for s in adata.obs_names]
    features = [str(f) for f in adata.var_names]
    _unique(samples, what="sample (obs)", path=where, lines=[None] * len(samples))
    _unique(features, what="feature (var)", path=where, lines=[None] * len(features))
    notes = {
        str(c): ["" if _is_missing(v) else str(v) for v in adata.obs[c].tolist()]
        for c in adata.obs.columns
    }
    records = [(0, f"obs {s!r}") for s in samples]
    return ExpressionMatrix(where, values, samples, features, records, notes)


def read_maf(
    path: str | os.PathLike[str],
    *,
    value: Literal["binary", "count"] = "binary",
    classes: Sequence[str] | None = None,
    sample_chars: int | None = None,
) -> ExpressionMatrix:
    """A samples x genes mutation matrix from a MAF file (plain or gzip).

    The file is tab-separated; ``#`` lines (``#version 2.4``) and blank lines are
    skipped; the header names at least ``Hugo_Symbol``, ``Tumor_Sample_Barcode`` and
    ``Variant_Classification`` (other columns are allowed and ignored, every line has the
    header's width). Each line is one mutation of one sample.

    Parameters
    ----------
    value
        ``binary`` (default): 1 where the sample has at least one counted mutation in the
        gene, else 0. ``count``: the number of counted mutations.
    classes
        The ``Variant_Classification`` values that count. Default: the non-silent ones,
        :data:`MAF_NONSILENT` (``Missense_Mutation``, ``Nonsense_Mutation``,
        ``Frame_Shift_Del``, ``Frame_Shift_Ins``, ``In_Frame_Del``, ``In_Frame_Ins``,
        ``Splice_Site``, ``Translation_Start_Site``, ``Nonstop_Mutation``), as DeepGene
        and TCGA analyses do; ``Silent``, UTR, intron, intergenic... do not count.
    sample_chars
        Cut each ``Tumor_Sample_Barcode`` to its first ``sample_chars`` characters (TCGA:
        ``12`` the patient, ``15`` the sample) so that ids match clinical tables; the
        mutations of barcodes that become equal are pooled.

    Returns
    -------
    ExpressionMatrix
        Samples (rows) in order of first appearance, every sample of the file included
        (all zeros where none of its mutations counts); genes (columns) sorted by name,
        those with at least one counted mutation. ``Hugo_Symbol`` ``Unknown`` or empty
        (MAF's mark of a region outside any gene) is no gene and is skipped. Where the
        file has ``Chromosome``, ``Start_Position``, ``Reference_Allele`` and
        ``Tumor_Seq_Allele2``, the same variant listed twice for a sample (two callers,
        two aliquots pooled by ``sample_chars``) counts once. ``records`` hold each
        sample's first line.

    Raises
    ------
    InputError
        A required column is missing (the header line), a line has fewer or more fields
        than the header, a line has an empty ``Tumor_Sample_Barcode``, the file has no
        mutation lines or no mutation of the counted classes; each names the file and
        line.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.maf")
    >>> _ = open(path, "w").write(
    ...     "#version 2.4\\n"
    ...     "Hugo_Symbol\\tTumor_Sample_Barcode\\tVariant_Classification\\n"
    ...     "TP53\\tTCGA-A1-0001-01A\\tMissense_Mutation\\n"
    ...     "KRAS\\tTCGA-A1-0002-01A\\tSilent\\n")
    >>> m = read_maf(path, sample_chars=12)
    >>> m.samples, m.features, m.values.tolist()
    (['TCGA-A1-0001', 'TCGA-A1-0002'], ['TP53'], [[1.0], [0.0]])
    """
    if value not in ("binary", "count"):
        raise ValueError(f"value must be 'binary' or 'count', not {value!r}")
    if sample_chars is not None and sample_chars < 1:
        raise ValueError(f"sample_chars must be at least 1, not {sample_chars}")
    counted = frozenset(MAF_NONSILENT if classes is None else classes)
    p = Path(path)
    where = os.fspath(p)
    if not p.is_file():
        raise InputError("MAF file not found", path=where)
    header: list[str] | None = None
    header_line = 0
    cols: dict[str, int] = {}
    key_cols: list[int] | None = None
    samples: dict[str, int] = {}  # sample -> its row
    records: list[tuple[int, str]] = []
    seen: set[tuple[Any, ...]] = set()
    counts: dict[tuple[int, str], int] = {}
    for lineno, text in read_lines(p):
        stripped = text.rstrip("\r\n")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        cells = stripped.split("\t")
        if header is None:
            header, header_line = [c.strip() for c in cells], lineno
            missing = [c for c in MAF_REQUIRED if c not in header]
            if missing:
                raise InputError(
                    f"not a MAF header: missing column(s) {', '.join(missing)} "
                    f"(needs {', '.join(MAF_REQUIRED)})",
                    path=where,
                    line=lineno,
                )
            cols = {c: header.index(c) for c in MAF_REQUIRED}
            if all(c in header for c in _MAF_VARIANT_KEY):
                key_cols = [header.index(c) for c in _MAF_VARIANT_KEY]
            continue
        if len(cells) < len(header):
            raise InputError(
                f"{len(cells)} fields where the header has {len(header)} (too few)",
                path=where,
                line=lineno,
            )
        cells = _check_width(cells, len(header), path=where, line=lineno)
        sample = cells[cols["Tumor_Sample_Barcode"]].strip()
        if not sample:
            raise InputError("empty Tumor_Sample_Barcode", path=where, line=lineno)
        if sample_chars is not None:
            sample = sample[:sample_chars]
        row = samples.get(sample)
        if row is None:
            row = samples[sample] = len(samples)
            records.append((lineno, ""))
        gene = cells[cols["Hugo_Symbol"]].strip()
        if not gene or gene == "Unknown":
            continue
        if cells[cols["Variant_Classification"]].strip() not in counted:
            continue
        if key_cols is not None:
            key = (row, gene, *(cells[c].strip() for c in key_cols))
            if key in seen:
                continue
            seen.add(key)
        counts[(row, gene)] = counts.get((row, gene), 0) + 1
    if header is None:
        raise InputError("empty MAF file: no header line", path=where)
    if not samples:
        raise InputError("the MAF file has no mutation lines", path=where, line=header_line)
    genes = sorted({gene for _, gene in counts})
    if not genes:
        shown = ", ".join(sorted(counted)) or "none"
        raise InputError(f"no mutation of the counted classes ({shown}) in any gene", path=where)
    column = {gene: j for j, gene in enumerate(genes)}
    values = np.zeros((len(samples), len(genes)), dtype=np.float32)
    for (row, gene), n in counts.items():
        values[row, column[gene]] = 1.0 if value == "binary" else float(n)
    return ExpressionMatrix(where, values, list(samples), genes, records, {})


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def read_sample_table(
    path: str | os.PathLike[str], *, id_column: str | None = None, sep: str | None = None
) -> tuple[list[str], dict[str, dict[str, str]], dict[str, int]]:
    """A table about samples (labels, splits): ``(columns, {sample: {column: value}},
    {sample: line})``. The id column is ``id_column`` (default: the first).

    Raises
    ------
    InputError
        The id column is missing, a sample is listed twice, a row has the wrong width.
    """
    p = Path(path)
    where = os.fspath(p)
    if not p.is_file():
        raise InputError("sample table not found", path=where)
    delimiter = sep
    rows: list[tuple[int, list[str]]] = []
    for lineno, text in read_lines(p):
        stripped = text.rstrip("\r\n")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        if delimiter is None:
            delimiter = "\t" if "\t" in stripped else ","
        rows.append((lineno, next(csv.reader([stripped], delimiter=delimiter))))
    if len(rows) < 2:
        raise InputError("the sample table has no rows after its header", path=where)
    header = [h.strip() for h in rows[0][1]]
    col = 0
    if id_column is not None:
        if id_column not in header:
            raise InputError(
                f"id column {id_column!r} not found; columns are: {', '.join(header)}",
                path=where,
                line=rows[0][0],
            )
        col = header.index(id_column)
    table: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    for line, raw in rows[1:]:
        cells = _check_width(raw, len(header), path=where, line=line)
        sample = cells[col].strip()
        if sample in table:
            raise InputError(
                f"duplicate sample id {sample!r} (first on line {lines[sample]})",
                path=where,
                line=line,
            )
        table[sample] = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        lines[sample] = line
    return header, table, lines
