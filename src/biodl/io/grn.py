"""Reading expression data and gold standards for gene-regulatory network inference.

Expression tables are samples (rows) by genes (columns), tab- or comma-separated, plain
or gzip-compressed, with a header of gene names (quotes, as DREAM writes them, are
removed). Two optional columns are recognised:

- a **sample column** first: its header cell is empty or a name such as ``sample`` /
  ``id``, or its values are not numbers. In a knockout or knockdown table whose sample
  ids are gene names, the id names the perturbed gene;
- a **time column** named ``Time`` (any case): the table is a time series; blank lines
  (or a time that does not increase) separate one series from the next, as in DREAM4's
  ``*_timeseries.tsv``.

In a DREAM knockout or knockdown table (as many rows as genes, no sample column) row
``k`` perturbs the ``k``-th gene of the header. ``.h5ad`` and ``.gct`` files are read
with :func:`biodl.io.matrix.read_matrix` (samples by genes). Network inference needs
complete data, so a missing value (empty, ``NA``) is an error, as are a cell that is not
a number and a duplicate gene name; each :class:`~biodl.errors.InputError` names the
file and the line.

Gold standards (:func:`read_gold_standard`) are DREAM edge lists ``A<TAB>B<TAB>1|0``
(every listed pair, true or not) or two-column lists of the true edges only.

Examples
--------
>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "net_knockouts.tsv")
>>> _ = open(path, "w").write('"G1"\\t"G2"\\n0.0\\t0.5\\n0.7\\t0.0\\n')
>>> expr = read_expression(path)
>>> expr.genes, expr.kinds, expr.perturbed
(('G1', 'G2'), ('knockout', 'knockout'), ('G1', 'G2'))
>>> expr.values.shape
(2, 2)
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from biodl.errors import InputError
from biodl.io._open import read_lines
from biodl.io.matrix import _number

__all__ = [
    "EXPRESSION_KINDS",
    "Expression",
    "GoldStandard",
    "combine_expression",
    "expression_kind_from_name",
    "read_expression",
    "read_gene_list",
    "read_gold_standard",
]

EXPRESSION_KINDS: tuple[str, ...] = ("steady", "knockout", "knockdown", "timeseries", "wildtype")
"""What a sample measures: a steady state (multifactorial, observational), a steady
state after a gene's knockout or knockdown, a time-series point, or the unperturbed
wild type."""

_SAMPLE_HEADERS = frozenset(
    {"", "sample", "samples", "sample_id", "sampleid", "sample id", "id", "name", "condition"}
)
_PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Expression:
    """Expression of ``genes`` (columns) in samples (rows), with what each sample is.

    Attributes
    ----------
    genes
        Unique gene names, in column order.
    values
        ``(n_samples, n_genes)`` float64, complete (no NaN).
    kinds
        Per sample, one of :data:`EXPRESSION_KINDS`.
    perturbed
        Per sample, the gene knocked out or down in it (``None`` when none or unknown).
    series
        ``(n_samples,)`` int: the time series a sample belongs to (0, 1, ...), ``-1``
        when it is not a time-series point.
    times
        ``(n_samples,)`` float: the time of a time-series point, NaN otherwise.
    sources
        Per sample, the file it came from.
    samples
        Per sample, an id: the sample column's value, else ``file:line``.

    Examples
    --------
    >>> import numpy as np
    >>> e = Expression(
    ...     genes=("A", "B"), values=np.zeros((2, 2)), kinds=("steady", "wildtype"),
    ...     perturbed=(None, None), series=np.array([-1, -1]),
    ...     times=np.array([np.nan, np.nan]), sources=("x", "y"))
    >>> e.n_samples, e.n_genes, e.subset(["wildtype"]).sources
    (2, 2, ('y',))
    """

    genes: tuple[str, ...]
    values: np.ndarray
    kinds: tuple[str, ...]
    perturbed: tuple[str | None, ...]
    series: np.ndarray
    times: np.ndarray
    sources: tuple[str, ...]
    samples: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.genes):
            raise ValueError(
                f"values must be (n_samples, {len(self.genes)}), got shape {values.shape}"
            )
        n = values.shape[0]
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "series", np.asarray(self.series, dtype=np.int64))
        object.__setattr__(self, "times", np.asarray(self.times, dtype=np.float64))
        if not self.samples:
            object.__setattr__(
                self, "samples", tuple(f"{s}#{i + 1}" for i, s in enumerate(self.sources))
            )
        for name in ("kinds", "perturbed", "series", "times", "sources", "samples"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} must have one entry per sample ({n})")
        bad = sorted(set(self.kinds) - set(EXPRESSION_KINDS))
        if bad:
            raise ValueError(f"unknown sample kinds {bad}; known: {EXPRESSION_KINDS}")

    @property
    def n_samples(self) -> int:
        """Number of samples (rows)."""
        return int(self.values.shape[0])

    @property
    def n_genes(self) -> int:
        """Number of genes (columns)."""
        return len(self.genes)

    def gene_index(self) -> dict[str, int]:
        """``{gene: column}``."""
        return {g: i for i, g in enumerate(self.genes)}

    def mask(self, kinds: Sequence[str]) -> np.ndarray:
        """``(n_samples,)`` bool: the samples whose kind is in ``kinds``."""
        wanted = set(kinds)
        return np.array([k in wanted for k in self.kinds], dtype=bool)

    def select(self, rows: np.ndarray) -> Expression:
        """The samples picked by a boolean mask or an index array, in that order."""
        idx = np.arange(self.n_samples)[rows]
        return Expression(
            genes=self.genes,
            values=self.values[idx],
            kinds=tuple(self.kinds[i] for i in idx),
            perturbed=tuple(self.perturbed[i] for i in idx),
            series=self.series[idx],
            times=self.times[idx],
            sources=tuple(self.sources[i] for i in idx),
            samples=tuple(self.samples[i] for i in idx),
        )

    def subset(self, kinds: Sequence[str]) -> Expression:
        """The samples of the given kinds (file order kept); may be empty."""
        return self.select(self.mask(kinds))


def expression_kind_from_name(path: _PathLike) -> str:
    """The kind of samples a DREAM-style file name implies.

    Examples
    --------
    >>> [expression_kind_from_name(n) for n in (
    ...     "insilico_size100_1_knockouts.tsv", "x_knockdowns.tsv",
    ...     "insilico_size100_1_timeseries.tsv.gz", "a_wildtype.tsv", "multifactorial.tsv")]
    ['knockout', 'knockdown', 'timeseries', 'wildtype', 'steady']
    """
    name = os.path.basename(os.fspath(path)).lower()
    if "knockout" in name:
        return "knockout"
    if "knockdown" in name:
        return "knockdown"
    if "timeseries" in name or "time_series" in name or "time-series" in name:
        return "timeseries"
    if "wildtype" in name or "wild_type" in name:
        return "wildtype"
    return "steady"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _delimiter(path: Path, first: str) -> str:
    name = path.name.lower().removesuffix(".gz")
    preferred = "," if name.endswith(".csv") else "\t"
    other = "\t" if preferred == "," else ","
    if preferred not in first and other in first:
        return other
    return preferred


def _value(cell: str, *, path: str, line: int, column: str) -> float:
    value = _number(cell, path=path, line=line, column=column)
    if math.isnan(value):
        raise InputError(
            f"column {column!r}: missing value; network inference needs complete data "
            "(remove or impute the gene or sample)",
            path=path,
            line=line,
        )
    return value


def _check_genes(genes: Sequence[str], *, path: str, line: int | None) -> None:
    seen: set[str] = set()
    for g in genes:
        if not g:
            raise InputError("empty gene name in the header", path=path, line=line)
        if g in seen:
            raise InputError(f"duplicate gene {g!r} in the header", path=path, line=line)
        seen.add(g)


def _from_matrix(path: Path, kind: str) -> Expression:
    from biodl.io.matrix import read_matrix

    where = os.fspath(path)
    m = read_matrix(path)
    values = np.asarray(m.values, dtype=np.float64)
    if np.isnan(values).any():
        i, j = (int(v) for v in np.argwhere(np.isnan(values))[0])
        src, line, record = m.where(i)
        raise InputError(
            f"gene {m.features[j]!r}: missing value; network inference needs complete data",
            path=src,
            line=line,
            record=record,
        )
    _check_genes(m.features, path=where, line=None)
    n = values.shape[0]
    gene_set = set(m.features)
    perturbed: tuple[str | None, ...] = (None,) * n
    if kind in ("knockout", "knockdown"):
        perturbed = tuple(s if s in gene_set else None for s in m.samples)
    return Expression(
        genes=tuple(m.features),
        values=values,
        kinds=(kind,) * n,
        perturbed=perturbed,
        series=np.full(n, -1 if kind != "timeseries" else 0),
        times=np.full(n, np.nan),
        sources=(where,) * n,
        samples=tuple(m.samples),
    )


def read_expression(path: _PathLike, *, kind: str | None = None) -> Expression:
    """Read an expression table (see the module docstring for the layout).

    Parameters
    ----------
    path
        ``.tsv`` / ``.csv`` / ``.txt`` (optionally ``.gz``), ``.h5ad`` or ``.gct``.
    kind
        What the samples are, one of :data:`EXPRESSION_KINDS`; default from the file
        name (:func:`expression_kind_from_name`), or ``timeseries`` when the table has a
        ``Time`` column.

    Returns
    -------
    Expression
        ``values`` of shape ``(n_samples, n_genes)``.

    Raises
    ------
    InputError
        Missing file, missing value, a cell that is not a number, a row of the wrong
        width, a duplicate gene, no samples.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x_timeseries.tsv")
    >>> _ = open(path, "w").write(
    ...     '"Time"\\t"G1"\\t"G2"\\n\\n0\\t1\\t2\\n50\\t1\\t3\\n\\n0\\t2\\t2\\n50\\t2\\t1\\n')
    >>> e = read_expression(path)
    >>> e.kinds[0], e.series.tolist(), e.times.tolist()
    ('timeseries', [0, 0, 1, 1], [0.0, 50.0, 0.0, 50.0])
    >>> read_expression(path.replace("x_", "missing_"))
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: ...missing_timeseries.tsv: file not found
    """
    p = Path(path)
    where = os.fspath(p)
    if kind is not None and kind not in EXPRESSION_KINDS:
        raise InputError(f"unknown expression kind {kind!r}; use one of {EXPRESSION_KINDS}")
    name = p.name.lower().removesuffix(".gz")
    if name.endswith((".h5ad", ".gct")):
        return _from_matrix(p, kind or expression_kind_from_name(p))

    # lines, with None marking a blank line (a series break)
    lines: list[tuple[int, str | None]] = []
    for lineno, text in read_lines(p):
        stripped = text.rstrip("\r\n")
        if not stripped.strip():
            lines.append((lineno, None))
        elif stripped.lstrip().startswith("#") and not lines:
            continue  # comment lines before the header
        else:
            lines.append((lineno, stripped))
    while lines and lines[0][1] is None:
        lines.pop(0)
    if not lines:
        raise InputError("empty expression file", path=where)
    header_line, header_text = lines[0][0], lines[0][1] or ""
    sep = _delimiter(p, header_text)
    header = [
        h.strip().strip('"').strip("'") for h in next(csv.reader([header_text], delimiter=sep))
    ]
    if len(header) > 1 and header[-1] == "":
        header = header[:-1]  # a trailing separator
    body: list[tuple[int, list[str] | None]] = []
    for lineno, row_text in lines[1:]:
        if row_text is None:
            body.append((lineno, None))
            continue
        cells = [
            c.strip().strip('"').strip("'") for c in next(csv.reader([row_text], delimiter=sep))
        ]
        if len(cells) > 1 and cells[-1] == "" and len(cells) == len(header) + 1:
            cells = cells[:-1]
        body.append((lineno, cells))
    data = [(ln, cells) for ln, cells in body if cells is not None]
    if not data:
        raise InputError("no sample rows after the header", path=where, line=header_line)

    # a sample column: a header cell that names one, a row-name column without a header
    # cell (R's write.table), or a first column of text
    width = len(header)
    if len(data[0][1]) == width + 1:
        header = ["", *header]
        width += 1
    sample_col: int | None = None
    if (
        width > 1
        and (
            header[0].lower() in _SAMPLE_HEADERS
            or not all(_is_number(cells[0]) for _, cells in data if len(cells) == width)
        )
        and header[0].lower() != "time"
    ):
        sample_col = 0
    time_cols = [i for i, h in enumerate(header) if h.lower() == "time"]
    time_col = time_cols[0] if time_cols else None
    gene_cols = [i for i in range(width) if i not in (sample_col, time_col)]
    genes = [header[i] for i in gene_cols]
    if not genes:
        raise InputError("no gene columns in the header", path=where, line=header_line)
    _check_genes(genes, path=where, line=header_line)
    if kind is None:
        kind = "timeseries" if time_col is not None else expression_kind_from_name(p)

    values = np.empty((len(data), len(genes)), dtype=np.float64)
    sample_ids: list[str] = []
    series: list[int] = []
    times: list[float] = []
    current, last_time, broke = 0, -math.inf, False
    r = 0
    for lineno, row in body:
        if row is None:
            broke = r > 0
            continue
        cells = row
        if len(cells) != width:
            raise InputError(
                f"{len(cells)} cells where the header has {width}", path=where, line=lineno
            )
        values[r] = [_value(cells[c], path=where, line=lineno, column=header[c]) for c in gene_cols]
        sample_ids.append(cells[sample_col] if sample_col is not None else f"{p.name}:{lineno}")
        if time_col is not None:
            t = _value(cells[time_col], path=where, line=lineno, column=header[time_col])
            if r > 0 and (broke or t <= last_time):
                current += 1
            last_time = t
            times.append(t)
        elif kind == "timeseries":
            if r > 0 and broke:
                current += 1
            times.append(math.nan)
        series.append(current)
        broke = False
        r += 1
    n = len(data)
    if sample_col is not None and len(set(sample_ids)) != n:
        seen: dict[str, int] = {}
        for (lineno, _), s in zip(data, sample_ids, strict=True):
            if s in seen:
                raise InputError(
                    f"duplicate sample id {s!r} (first on line {seen[s]})", path=where, line=lineno
                )
            seen[s] = lineno

    perturbed: list[str | None] = [None] * n
    if kind in ("knockout", "knockdown"):
        gene_set = set(genes)
        if sample_col is not None and any(s in gene_set for s in sample_ids):
            perturbed = [s if s in gene_set else None for s in sample_ids]
        elif sample_col is None and n == len(genes):
            perturbed = list(genes)  # DREAM layout: row k perturbs the k-th gene
    is_series = kind == "timeseries"
    return Expression(
        genes=tuple(genes),
        values=values,
        kinds=(kind,) * n,
        perturbed=tuple(perturbed),
        series=np.asarray(series if is_series else [-1] * n, dtype=np.int64),
        times=np.asarray(times if time_col is not None else [math.nan] * n, dtype=np.float64),
        sources=(where,) * n,
        samples=tuple(sample_ids),
    )


def combine_expression(parts: Sequence[Expression]) -> Expression:
    """Stack the samples of several tables of the same genes (columns in the first's order).

    Time-series indices are renumbered so that series of different files stay apart.

    Raises
    ------
    InputError
        No parts, or a part whose gene set differs from the first's (naming its file and
        a few of the differing genes).

    Examples
    --------
    >>> import numpy as np
    >>> def part(genes, kind):
    ...     return Expression(genes=genes, values=np.arange(len(genes))[None, :] * 1.0,
    ...                       kinds=(kind,), perturbed=(None,), series=np.array([-1]),
    ...                       times=np.array([np.nan]), sources=(kind + ".tsv",))
    >>> both = combine_expression([part(("A", "B"), "steady"), part(("B", "A"), "wildtype")])
    >>> both.values.tolist(), both.kinds
    ([[0.0, 1.0], [1.0, 0.0]], ('steady', 'wildtype'))
    """
    if not parts:
        raise InputError("no expression files to combine")
    first = parts[0]
    genes = first.genes
    values, series = [], []
    offset = 0
    for part in parts:
        if set(part.genes) != set(genes):
            extra = sorted(set(part.genes) - set(genes))[:5]
            missing = sorted(set(genes) - set(part.genes))[:5]
            src = part.sources[0] if part.sources else None
            ref = first.sources[0] if first.sources else "the first file"
            raise InputError(
                f"its genes differ from those of {ref}: not there {extra}, missing here {missing}",
                path=src,
            )
        order = np.array([part.gene_index()[g] for g in genes], dtype=np.intp)
        values.append(part.values[:, order] if order.size else part.values)
        s = part.series.copy()
        if (s >= 0).any():
            s[s >= 0] += offset
            offset = int(s.max()) + 1
        series.append(s)
    return Expression(
        genes=genes,
        values=np.concatenate(values, axis=0),
        kinds=tuple(k for p in parts for k in p.kinds),
        perturbed=tuple(x for p in parts for x in p.perturbed),
        series=np.concatenate(series),
        times=np.concatenate([p.times for p in parts]),
        sources=tuple(s for p in parts for s in p.sources),
        samples=tuple(s for p in parts for s in p.samples),
    )


def read_gene_list(path: _PathLike, *, genes: Sequence[str] | None = None) -> tuple[str, ...]:
    """Read one gene id per line (the first whitespace-separated field).

    Blank lines and lines starting with ``#`` are skipped; quotes are removed.

    Parameters
    ----------
    genes
        When given, every listed id must be one of these.

    Raises
    ------
    InputError
        A duplicate id, an id not in ``genes``, or no ids at all.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "tfs.txt")
    >>> _ = open(path, "w").write("# regulators\\nG1 a TF\\n\\nG3\\n")
    >>> read_gene_list(path)
    ('G1', 'G3')
    >>> read_gene_list(path, genes=["G1", "G2"])
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: ...tfs.txt:4: gene 'G3' is not in the expression data
    """
    where = os.fspath(path)
    known = None if genes is None else set(genes)
    out: list[str] = []
    seen: dict[str, int] = {}
    for lineno, text in read_lines(path):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        gene = stripped.split()[0].strip('"').strip("'")
        if gene in seen:
            raise InputError(
                f"duplicate gene {gene!r} (first on line {seen[gene]})", path=where, line=lineno
            )
        if known is not None and gene not in known:
            raise InputError(
                f"gene {gene!r} is not in the expression data", path=where, line=lineno
            )
        seen[gene] = lineno
        out.append(gene)
    if not out:
        raise InputError("no gene ids in the file", path=where)
    return tuple(out)


@dataclass(frozen=True)
class GoldStandard:
    """The known regulator -> target pairs of a network, true or not.

    Attributes
    ----------
    regulators, targets
        One entry per pair (``n_pairs``), never a self pair.
    truth
        ``(n_pairs,)`` bool: whether the pair is a true edge.
    path
        The file read.
    """

    regulators: tuple[str, ...]
    targets: tuple[str, ...]
    truth: np.ndarray
    path: str

    @property
    def n_pairs(self) -> int:
        """Number of listed pairs."""
        return len(self.regulators)

    @property
    def n_true(self) -> int:
        """Number of true edges."""
        return int(np.count_nonzero(self.truth))

    def edges(self) -> list[tuple[str, str]]:
        """The true edges, in file order."""
        return [
            (r, t) for r, t, ok in zip(self.regulators, self.targets, self.truth, strict=True) if ok
        ]


def read_gold_standard(path: _PathLike, *, genes: Sequence[str] | None = None) -> GoldStandard:
    """Read a gold standard: DREAM's ``A<TAB>B<TAB>1|0`` lines, or only the true edges.

    Fields are separated by tabs or spaces; blank and ``#`` lines are skipped; self pairs
    (``A`` regulating ``A``) are dropped, as DREAM's scoring ignores them.

    - **Three columns**: every listed pair is scored, true (``1``) or not (``0``).
    - **Two columns**: the true edges only; every other ordered pair of ``genes`` (or,
      without ``genes``, of the genes the file names) is a non-edge.

    Parameters
    ----------
    genes
        The genes of the expression data: an edge naming another gene is an error.

    Raises
    ------
    InputError
        A line of the wrong width, a label other than 0/1, an unknown gene, a duplicate
        pair, two-column and three-column lines mixed, or no pairs.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "gold.tsv")
    >>> _ = open(path, "w").write("G1\\tG2\\n G2\\tG3\\n")
    >>> gold = read_gold_standard(path, genes=["G1", "G2", "G3"])
    >>> gold.n_pairs, gold.n_true, gold.edges()
    (6, 2, [('G1', 'G2'), ('G2', 'G3')])
    """
    where = os.fspath(path)
    known = None if genes is None else set(genes)
    regs: list[str] = []
    tgts: list[str] = []
    truth: list[bool] = []
    seen: dict[tuple[str, str], int] = {}
    width: int | None = None
    for lineno, text in read_lines(path):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = [c.strip('"').strip("'") for c in stripped.split()]
        if len(cells) not in (2, 3):
            raise InputError(
                f"{len(cells)} fields; expected 'regulator target [1|0]'", path=where, line=lineno
            )
        if width is None:
            width = len(cells)
        elif len(cells) != width:
            raise InputError(
                f"{len(cells)} fields where earlier lines have {width}", path=where, line=lineno
            )
        a, b = cells[0], cells[1]
        if known is not None:
            for g in (a, b):
                if g not in known:
                    raise InputError(
                        f"gene {g!r} is not in the expression data", path=where, line=lineno
                    )
        label = True
        if len(cells) == 3:
            try:
                number = float(cells[2])
            except ValueError:
                number = math.nan
            if number not in (0.0, 1.0):
                raise InputError(
                    f"label {cells[2]!r} is not 1 (edge) or 0 (no edge)", path=where, line=lineno
                )
            label = number == 1.0
        if (a, b) in seen:
            raise InputError(
                f"duplicate pair {a} -> {b} (first on line {seen[a, b]})", path=where, line=lineno
            )
        seen[a, b] = lineno
        if a == b:
            continue
        regs.append(a)
        tgts.append(b)
        truth.append(label)
    if width is None:
        raise InputError("no edges in the gold standard", path=where)
    if width == 2:
        if genes is not None:
            universe = list(dict.fromkeys(genes))
        else:
            universe = list(dict.fromkeys([g for pair in seen for g in pair]))
        true_pairs = set(zip(regs, tgts, strict=True))
        regs, tgts, truth = [], [], []
        for a in universe:
            for b in universe:
                if a != b:
                    regs.append(a)
                    tgts.append(b)
                    truth.append((a, b) in true_pairs)
    if not regs:
        raise InputError("no pairs other than self pairs in the gold standard", path=where)
    return GoldStandard(
        regulators=tuple(regs),
        targets=tuple(tgts),
        truth=np.asarray(truth, dtype=bool),
        path=where,
    )
