"""JASPAR motifs (offline, via pyjaspar) and TOMTOM matching of learned motifs.

:func:`jaspar_motifs` reads a JASPAR release from the SQLite databases that
``pyjaspar`` ships (no network). :func:`match_motifs` compares query motifs with a
database using TOMTOM (the ``memelite`` implementation) and ranks, per query, the
targets by p-value, with Benjamini-Hochberg q-values over all targets.
:func:`write_motif_table` writes the matches as ``motifs.tsv``.

Note: the first TOMTOM call in a process compiles memelite's numba kernels (about a
minute); later calls take about a second for a few hundred targets.

Examples
--------
>>> benjamini_hochberg([0.01, 0.04, 0.03, 0.5]).round(3).tolist()
[0.04, 0.053, 0.053, 0.5]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.interpret.motifs import Motif
from biodl.io.atomic import atomic_write_text

__all__ = [
    "DEFAULT_RELEASE",
    "MotifMatch",
    "benjamini_hochberg",
    "jaspar_motifs",
    "match_motifs",
    "rank_matches",
    "write_motif_table",
]

DEFAULT_RELEASE = "JASPAR2024"
"""The JASPAR release used unless another is named."""

_INSTALL_MESSAGE = (
    "{what} needs the {package} package: pip install 'biodl[motifs]' (or pip install {package})"
)

TaxGroup = Literal[
    "vertebrates", "plants", "insects", "nematodes", "fungi", "urochordates", "trematodes"
]


def jaspar_motifs(
    *,
    release: str = DEFAULT_RELEASE,
    collection: str = "CORE",
    tax_group: TaxGroup | None = "vertebrates",
    tf_name: str | None = None,
    all_versions: bool = False,
) -> list[Motif]:
    """The motifs of a JASPAR release, read offline from pyjaspar's databases.

    Parameters
    ----------
    release
        ``JASPAR2014`` ... ``JASPAR2026`` (those pyjaspar ships); default
        :data:`DEFAULT_RELEASE`.
    collection
        ``CORE`` (default), ``UNVALIDATED``, ``CNE``, ``PHYLOFACTS``, ...
    tax_group
        Taxonomic group, default ``vertebrates``; ``None`` for all.
    tf_name
        Only the matrices of this factor (case as in JASPAR, e.g. ``"CTCF"``).
    all_versions
        Every version of each matrix instead of the latest.

    Returns
    -------
    list of Motif
        ``name`` is the matrix id (``MA0139.2``), ``alt_name`` the factor name,
        ``source`` the release, ``n_sites`` the sites behind the counts.

    Raises
    ------
    ModuleNotFoundError
        Without pyjaspar.
    InputError
        For a release pyjaspar does not ship.

    Examples
    --------
    >>> ctcf = jaspar_motifs(tf_name="CTCF")
    >>> [m.name for m in ctcf][:1], ctcf[0].alt_name, ctcf[0].ppm.shape[0]
    (['MA0139.2'], 'CTCF', 4)
    """
    try:
        from pyjaspar import jaspardb
    except ImportError as exc:
        raise ModuleNotFoundError(
            _INSTALL_MESSAGE.format(what="JASPAR", package="pyjaspar")
        ) from exc
    db = jaspardb(release=release)
    if release not in db.get_releases():
        raise InputError(f"unknown JASPAR release {release!r}; pyjaspar has {db.get_releases()}")
    found = db.fetch_motifs(
        collection=collection,
        tax_group=None if tax_group is None else [tax_group],
        tf_name=tf_name,
        all_versions=all_versions,
    )
    motifs: list[Motif] = []
    for m in found:
        counts = np.array([m.counts[letter] for letter in "ACGT"], dtype=np.float64)
        n_sites = round(float(counts[:, 0].sum()))
        motifs.append(Motif(m.matrix_id, counts, "ACGT", n_sites, release, str(m.name)))
    return motifs


@dataclass(frozen=True)
class MotifMatch:
    """One target of a query motif's TOMTOM hit list.

    Attributes
    ----------
    query
        Query motif name.
    rank
        1 for the best target (smallest p-value).
    target_id, target_name
        Target motif name (JASPAR matrix id) and alternative name (factor).
    p_value
        TOMTOM p-value of the best alignment over both strands.
    q_value
        Benjamini-Hochberg q-value over all targets of this query.
    offset
        Alignment offset as memelite reports it.
    strand
        ``"+"``: aligned to the target as given; ``"-"``: to its reverse complement.
    overlap
        Aligned columns.
    score
        TOMTOM alignment score.
    """

    query: str
    rank: int
    target_id: str
    target_name: str
    p_value: float
    q_value: float
    offset: int
    strand: Literal["+", "-"]
    overlap: int
    score: float


def benjamini_hochberg(p_values: npt.ArrayLike) -> Any:
    """Benjamini-Hochberg q-values of a vector of p-values (same order, capped at 1).

    Examples
    --------
    >>> benjamini_hochberg([0.5, 0.01]).tolist()
    [0.5, 0.02]
    """
    p = np.asarray(p_values, dtype=np.float64).ravel()
    n = p.size
    if n == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def rank_matches(
    queries: Sequence[Motif],
    targets: Sequence[Motif],
    p_values: npt.ArrayLike,
    *,
    scores: npt.ArrayLike | None = None,
    offsets: npt.ArrayLike | None = None,
    overlaps: npt.ArrayLike | None = None,
    strands: npt.ArrayLike | None = None,
    top: int | None = 5,
) -> list[MotifMatch]:
    """Rank the targets of each query by p-value (ties: target order) and add q-values.

    The pure-NumPy half of :func:`match_motifs`; the arrays are ``(n_queries,
    n_targets)`` as TOMTOM returns them (strand 1 = reverse complement of the target).

    Examples
    --------
    >>> q = [Motif("q", np.eye(4))]
    >>> t = [Motif("t1", np.eye(4), alt_name="A"), Motif("t2", np.eye(4), alt_name="B")]
    >>> [(m.rank, m.target_id, m.q_value) for m in rank_matches(q, t, [[0.2, 0.01]])]
    [(1, 't2', 0.02), (2, 't1', 0.2)]
    """
    p = np.asarray(p_values, dtype=np.float64)
    shape = (len(queries), len(targets))
    if p.shape != shape:
        raise InputError(f"p_values has shape {p.shape}, expected {shape}")

    def arr(values: npt.ArrayLike | None) -> npt.NDArray[np.float64]:
        return np.zeros(shape) if values is None else np.asarray(values, dtype=np.float64)

    sc, off, ov, st = arr(scores), arr(offsets), arr(overlaps), arr(strands)
    keep = len(targets) if top is None else min(top, len(targets))
    out: list[MotifMatch] = []
    for i, query in enumerate(queries):
        q = benjamini_hochberg(p[i])
        order = np.argsort(p[i], kind="stable")[:keep]
        for rank, j in enumerate(order, start=1):
            out.append(
                MotifMatch(
                    query.name,
                    rank,
                    targets[j].name,
                    targets[j].alt_name,
                    float(p[i, j]),
                    float(q[j]),
                    int(off[i, j]),
                    "-" if st[i, j] == 1 else "+",
                    int(ov[i, j]),
                    float(sc[i, j]),
                )
            )
    return out


def match_motifs(
    motifs: Sequence[Motif],
    database: Sequence[Motif],
    *,
    top: int | None = 5,
    reverse_complement: bool = True,
    n_jobs: int = -1,
) -> list[MotifMatch]:
    """Compare motifs with a database by TOMTOM and rank the targets of each.

    Parameters
    ----------
    motifs
        Query motifs (e.g. from :func:`~biodl.interpret.motifs.filter_motifs`).
    database
        Target motifs (e.g. :func:`jaspar_motifs`); same alphabet as the queries.
        TOMTOM's p-values depend on the set of targets: use a whole database, not a
        handful (memelite warns below 25 targets).
    top
        Targets kept per query (best first); ``None`` keeps them all.
    reverse_complement
        Also align each query to the reverse complement of each target (DNA).
    n_jobs
        numba threads (``-1``: all).

    Returns
    -------
    list of MotifMatch
        Query by query (input order), rank by rank.

    Raises
    ------
    ModuleNotFoundError
        Without memelite.
    InputError
        An empty database, or alphabets that differ.
    """
    if not database:
        raise InputError("the motif database is empty")
    alphabets = {m.alphabet for m in motifs} | {m.alphabet for m in database}
    if len(alphabets) > 1:
        raise InputError(f"queries and targets use different alphabets: {sorted(alphabets)}")
    if not motifs:
        return []
    try:
        from memelite import tomtom
    except ImportError as exc:
        raise ModuleNotFoundError(
            _INSTALL_MESSAGE.format(what="TOMTOM", package="memelite")
        ) from exc
    p, scores, offsets, overlaps, strands = tomtom(
        [m.ppm for m in motifs],
        [m.ppm for m in database],
        reverse_complement=reverse_complement and len(next(iter(alphabets))) == 4,
        n_jobs=n_jobs,
    )[:5]
    return rank_matches(
        motifs,
        database,
        p,
        scores=scores,
        offsets=offsets,
        overlaps=overlaps,
        strands=strands,
        top=top,
    )


def write_motif_table(matches: Sequence[MotifMatch], path: str | os.PathLike[str]) -> Path:
    """Write matches as a TSV (``motifs.tsv``), atomically.

    Columns: ``motif, rank, jaspar_id, tf_name, p_value, q_value, offset, strand``.

    Examples
    --------
    >>> import tempfile
    >>> m = MotifMatch("filter0", 1, "MA0139.2", "CTCF", 1e-9, 2e-7, 0, "+", 19, 30.0)
    >>> out = write_motif_table([m], Path(tempfile.mkdtemp()) / "motifs.tsv")
    >>> out.read_text().splitlines()[1]
    'filter0\\t1\\tMA0139.2\\tCTCF\\t1e-09\\t2e-07\\t0\\t+'
    """
    header = "motif\trank\tjaspar_id\ttf_name\tp_value\tq_value\toffset\tstrand"
    rows = [
        f"{m.query}\t{m.rank}\t{m.target_id}\t{m.target_name}\t{m.p_value:.6g}\t"
        f"{m.q_value:.6g}\t{m.offset}\t{m.strand}"
        for m in matches
    ]
    return atomic_write_text(Path(path), "\n".join([header, *rows]) + "\n")
