"""Reading interaction networks (edge lists) and gene label sets.

Edge lists are BIONIC's (and most network tools') format: one edge per line,
``geneA geneB`` or ``geneA geneB weight``, fields separated by any whitespace (spaces
or tabs), plain or gzip. ``#`` comment lines and blank lines are skipped. Every edge
line of a file has the same number of columns (2: a binary network, every weight 1.0;
3: a weighted one). Weights must be finite and non-negative.

A header line is not part of the format. A first edge line whose third column is not a
number (``geneA geneB weight``) is almost surely one, and is reported as such; pass
``header=True`` to skip the first non-comment line of a file that has one (the only way
to skip a header of a two-column file, which cannot be told apart from an edge).

Networks are undirected by default: ``A B`` and ``B A`` are the same edge. Self-loops
(``A A``) are dropped and duplicate edges merged, keeping the largest weight; both are
counted in the :class:`EdgeList` so that a report can say so.

Gene labels (function or complex annotations, BIONIC's
``yeast_IntAct_complex_labels.json``) are read by :func:`read_gene_labels`.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "net.txt")
>>> _ = open(path, "w").write("a b 0.5\\nb a 0.9\\nb c 0.2\\nc c 1\\n")
>>> net = read_edge_list(path)
>>> net.genes, net.n_edges, net.n_duplicates, net.n_self_loops
(('a', 'b', 'c'), 2, 1, 1)
>>> net.weight.tolist()
[0.9, 0.2]
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np

from biodl.errors import InputError
from biodl.io._open import open_text, read_lines

__all__ = ["EdgeList", "read_edge_list", "read_gene_labels"]

_PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class EdgeList:
    """A network as read from an edge-list file.

    Attributes
    ----------
    path
        The file read.
    genes
        Node ids in order of first appearance (``G`` of them).
    source, target
        ``(E,)`` int64 indices into ``genes`` of each edge's ends, in order of first
        appearance of the edge. For an undirected network each edge appears once.
    weight
        ``(E,)`` float64 weights (1.0 for a two-column file).
    weighted
        Whether the file had a weight column.
    directed
        Whether ``A B`` and ``B A`` were kept as different edges.
    n_self_loops
        Self-loop lines dropped.
    n_duplicates
        Lines merged into an earlier edge (same pair, or reversed pair when
        undirected); the edge keeps the largest weight.
    """

    path: str
    genes: tuple[str, ...]
    source: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    weighted: bool
    n_self_loops: int
    n_duplicates: int
    directed: bool = False

    @property
    def n_genes(self) -> int:
        """Number of distinct nodes."""
        return len(self.genes)

    @property
    def n_edges(self) -> int:
        """Number of distinct edges (after dropping self-loops and merging duplicates)."""
        return int(self.source.shape[0])

    def degree(self, *, weighted: bool = False) -> np.ndarray:
        """``(G,)`` float64 degree of each gene (in + out for a directed network);
        ``weighted=True``: the sum of its edges' weights (the strength).

        Examples
        --------
        >>> import numpy as np
        >>> net = EdgeList("x", ("a", "b", "c"), np.array([0, 1]), np.array([1, 2]),
        ...                np.array([0.5, 2.0]), True, 0, 0)
        >>> net.degree().tolist(), net.degree(weighted=True).tolist()
        ([1.0, 2.0, 1.0], [0.5, 2.5, 2.0])
        """
        w = self.weight if weighted else np.ones(self.n_edges)
        out = np.zeros(self.n_genes, dtype=np.float64)
        np.add.at(out, self.source, w)
        np.add.at(out, self.target, w)
        return out


def _weight(text: str, *, path: _PathLike, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"weight {text!r} is not a number", path=path, line=line) from None
    if math.isnan(value) or math.isinf(value):
        raise InputError(f"weight {text!r} is not a finite number", path=path, line=line)
    if value < 0:
        raise InputError(
            f"weight {text!r} is negative; edge weights must be >= 0", path=path, line=line
        )
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_edge_list(path: _PathLike, *, directed: bool = False, header: bool = False) -> EdgeList:
    """Read a network from an edge-list file (``geneA geneB [weight]`` per line).

    Parameters
    ----------
    path
        Plain or gzip text file.
    directed
        Keep ``A B`` and ``B A`` as two edges (default: undirected, merged).
    header
        Skip the first line that is not blank or a ``#`` comment.

    Returns
    -------
    EdgeList

    Raises
    ------
    InputError
        Naming the file and line: a line of 1 or more than 3 columns, a line whose
        column count differs from the first edge's, a weight that is not a finite
        number >= 0, a header line found without ``header=True``; a file with no edge.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "net.tsv")
    >>> _ = open(path, "w").write("# PPI\\na\\tb\\nb\\tc\\n")
    >>> net = read_edge_list(path)
    >>> net.weighted, net.n_genes, net.source.tolist(), net.target.tolist()
    (False, 3, [0, 1], [1, 2])
    >>> _ = open(path, "w").write("a b -1\\n")
    >>> read_edge_list(path)
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: ...net.tsv:1: weight '-1' is negative; edge weights must be >= 0
    """
    index: dict[str, int] = {}
    edges: dict[tuple[int, int], int] = {}  # (i, j) -> position in the lists
    source: list[int] = []
    target: list[int] = []
    weight: list[float] = []
    n_self = n_dup = 0
    columns = 0  # of the first edge line
    first_line = 0
    skip_header = header
    for number, raw in read_lines(path):
        fields = raw.split()
        if not fields or fields[0].startswith("#"):
            continue
        if skip_header:
            skip_header = False
            continue
        n = len(fields)
        if n not in (2, 3):
            raise InputError(
                f"{n} columns; an edge line is 'geneA geneB' or 'geneA geneB weight' "
                "separated by spaces or tabs",
                path=path,
                line=number,
            )
        if columns == 0:
            columns, first_line = n, number
            if n == 3 and not _is_number(fields[2]):
                raise InputError(
                    f"the first line looks like a header ({' '.join(fields)!r}): its weight "
                    f"column {fields[2]!r} is not a number. Remove it, comment it out with "
                    "'#', or read with header=True",
                    path=path,
                    line=number,
                )
        elif n != columns:
            raise InputError(
                f"{n} columns where the first edge (line {first_line}) has {columns}; every "
                "line of a network must have the same columns",
                path=path,
                line=number,
            )
        w = _weight(fields[2], path=path, line=number) if n == 3 else 1.0
        a, b = fields[0], fields[1]
        i = index.setdefault(a, len(index))
        j = index.setdefault(b, len(index))
        if i == j:
            n_self += 1
            continue
        key = (i, j) if directed or i < j else (j, i)
        at = edges.get(key)
        if at is not None:
            n_dup += 1
            weight[at] = max(weight[at], w)
            continue
        edges[key] = len(source)
        source.append(i)
        target.append(j)
        weight.append(w)
    if not source:
        what = "only self-loops" if n_self else "no edge line"
        raise InputError(
            f"the network file has {what}; expected 'geneA geneB [weight]' lines", path=path
        )
    return EdgeList(
        path=os.fspath(path),
        genes=tuple(index),
        source=np.asarray(source, dtype=np.int64),
        target=np.asarray(target, dtype=np.int64),
        weight=np.asarray(weight, dtype=np.float64),
        weighted=columns == 3,
        n_self_loops=n_self,
        n_duplicates=n_dup,
        directed=directed,
    )


def _labels_json(path: _PathLike, text: str) -> dict[str, tuple[str, ...]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError(
            "a JSON labels file must be an object {gene: [label, ...]}, "
            f"not a {type(data).__name__}",
            path=path,
        )
    out: dict[str, tuple[str, ...]] = {}
    for gene, labels in data.items():
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise InputError(
                "the labels of a gene must be a list of strings "
                f"(got {type(labels).__name__}: {str(labels)[:60]})",
                path=path,
                record=gene,
            )
        out[gene] = tuple(dict.fromkeys(labels))
    return out


def read_gene_labels(path: _PathLike) -> dict[str, tuple[str, ...]]:
    """Read gene labels (functions, complexes): ``{gene: (label, ...)}``.

    Two formats, told apart by the first non-blank character (``{`` or ``[``: JSON):

    - JSON ``{gene: [label, ...]}`` (BIONIC's ``*_labels.json``); an empty list is kept.
    - Text (plain or gzip): ``gene label`` per line, whitespace-separated, a gene may
      repeat; ``#`` comments and blank lines are skipped.

    A label repeated for a gene is kept once; labels keep their order of first
    appearance.

    Raises
    ------
    InputError
        Naming the file and line (text, JSON syntax) or gene (JSON values): invalid
        JSON, a value that is not a list of strings, a text line without exactly two
        columns, no gene at all.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.json")
    >>> _ = open(path, "w").write('{"YAL001C": ["CPX-1", "CPX-2"], "YBR123C": ["CPX-1"]}')
    >>> read_gene_labels(path)
    {'YAL001C': ('CPX-1', 'CPX-2'), 'YBR123C': ('CPX-1',)}
    >>> _ = open(path, "w").write("g1\\tCPX-1\\ng1\\tCPX-2\\ng2 CPX-1\\n")
    >>> read_gene_labels(path)
    {'g1': ('CPX-1', 'CPX-2'), 'g2': ('CPX-1',)}
    """
    with open_text(path) as handle:
        head = handle.read(4096).lstrip()
    if head.startswith(("{", "[")):
        with open_text(path) as handle:
            out = _labels_json(path, handle.read())
    else:
        lists: dict[str, dict[str, None]] = {}
        for number, raw in read_lines(path):
            fields = raw.split()
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) != 2:
                raise InputError(
                    f"{len(fields)} columns; a labels line is 'gene label' (tab or space)",
                    path=path,
                    line=number,
                )
            lists.setdefault(fields[0], {})[fields[1]] = None
        out = {gene: tuple(labels) for gene, labels in lists.items()}
    if not out:
        raise InputError("no gene labels in the file", path=path)
    return out
