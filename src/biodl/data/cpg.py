"""DeepCpG inputs: neighbouring CpG states and distances, targets, and the packed tensor.

DeepCpG (Angermueller C., Lee H.J., Reik W., Stegle O. (2017) DeepCpG: accurate
prediction of single-cell DNA methylation states using deep learning. *Genome Biology*
18:67. doi:10.1186/s13059-017-1189-z) predicts the methylation state of a CpG site in
each of several cells from the DNA around it and from the states of the nearest
*observed* CpG sites of every cell. This module computes those inputs from
:class:`~biodl.io.cpg.CpgProfile` objects and packs them into the one float tensor
``(N, C, L)`` that biodl models take.

Neighbours (:func:`cpg_neighbours`), following DeepCpG's ``KnnCpgFeatureExtractor``
(``deepcpg/data/feature_extractor.py``) and ``DataReader._prepro_cpg``
(``deepcpg/models/utils.py``):

* For a query site and one cell, the ``K`` nearest observed sites of that cell strictly
  upstream (smaller position) and the ``K`` nearest strictly downstream on the same
  chromosome. The query site itself is **never** a neighbour, even when the cell
  observes it (its state is the label). Neighbours never cross a chromosome.
* Columns are in genomic order, as in DeepCpG: columns ``0 .. K-1`` hold the upstream
  sites from the farthest to the nearest (column ``K-1`` is the nearest upstream), and
  columns ``K .. 2K-1`` the downstream sites from the nearest to the farthest. So the
  query site sits between columns ``K-1`` and ``K``.
* States are the cell's states (0/1, or rates). Distances are
  ``min(|neighbour - site|, max_distance) / max_distance``, in ``(0, 1]`` (DeepCpG's
  ``cpg_max_dist``, 25,000 bp by default). A neighbour farther away than
  ``max_distance`` is kept with its state and distance 1, as in DeepCpG.
* A missing neighbour (fewer than ``K`` observed sites on that side of the chromosome)
  gets state :data:`MISSING_STATE` (0.5) and distance 1, as in DeepCpG 1.0's
  ``_prepro_cpg`` (older DeepCpG versions drew a random state instead).

Targets (:func:`cpg_sites_and_targets`) follow ``dcpg_data.py``: the sites are the
union of the sites observed in any cell (DeepCpG's default without ``--pos_file``,
``--cpg_cov 1``); a cell that does not observe a site has target NaN there (DeepCpG
writes ``-1`` and masks it in the loss).

Packed layout (:func:`pack_cpg_inputs`, described by :class:`CpgPacking`) for ``n``
cells, ``K`` neighbours per side and a DNA window of ``D`` bases (``D = 0``: no DNA):

* ``L = max(2K, D)`` positions and ``C = 4 * (D > 0) + 2n`` channels;
* channels ``0..3`` (only when ``D > 0``): one-hot DNA (A, C, G, T) of the ``D``-base
  window centred on the site, in positions ``0 .. D-1``;
* then for cell ``c`` (in the order of the profiles mapping) channel ``off + 2c``
  holds its neighbour states and channel ``off + 2c + 1`` its neighbour distances, in
  positions ``0 .. 2K-1`` (``off`` is 4 with DNA, else 0);
* every other entry is 0.

A model learns the layout from :attr:`biodl.models.ModelIO.layout`, the pairs of
:func:`cpg_layout` (keys :data:`CPG_CELLS`, :data:`CPG_WINDOW`, :data:`DNA_LENGTH`).
DeepCpG's ``--cpg_wlen 50`` is ``K = 25``.

Examples
--------
>>> from biodl.io.cpg import CpgProfile
>>> cell = CpgProfile.from_arrays(["1"] * 4, [100, 200, 300, 400], [1, 0, 1, 1])
>>> states, dists = cpg_neighbours(cell, ["1"], [300], window=2, max_distance=1000)
>>> states.tolist()  # 2 upstream (far, near), 2 downstream (near, far)
[[1.0, 0.0, 1.0, 0.5]]
>>> dists.astype(float).round(3).tolist()  # |distance| / max_distance; 1 where missing
[[0.2, 0.1, 0.1, 1.0]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from biodl.io.cpg import CpgProfile, normalise_chrom

__all__ = [
    "CPG_CELLS",
    "CPG_WINDOW",
    "DEFAULT_MAX_DISTANCE",
    "DNA_CHANNELS",
    "DNA_LENGTH",
    "MISSING_STATE",
    "CpgPacking",
    "cpg_channels",
    "cpg_layout",
    "cpg_neighbours",
    "cpg_sites_and_targets",
    "pack_cpg_inputs",
]

CPG_CELLS = "cpg_cells"
"""Layout key: number of cells ``n`` (one output per cell)."""
CPG_WINDOW = "cpg_window"
"""Layout key: neighbours ``K`` on *each* side (DeepCpG's ``cpg_wlen // 2``)."""
DNA_LENGTH = "dna_length"
"""Layout key: length ``D`` of the DNA window; 0 when the input has no DNA."""
DNA_CHANNELS = 4
"""One-hot DNA channels (A, C, G, T) at the start of a packed input with DNA."""
MISSING_STATE = 0.5
"""State of a neighbour that does not exist (DeepCpG 1.0); its distance is 1."""
DEFAULT_MAX_DISTANCE = 25_000
"""DeepCpG's ``cpg_max_dist``: distances are clipped here and divided by it."""

_CHUNK = 1 << 16  # query sites per block in cpg_neighbours (bounds temporary memory)
_POS_BITS = 40  # positions below 2**40 pack with a chromosome code into one int64


@dataclass(frozen=True)
class CpgPacking:
    """Where everything is in a packed DeepCpG input ``(N, C, L)``.

    Parameters
    ----------
    n_cells
        ``n``, the cells (at least 1).
    window
        ``K``, neighbours on each side (at least 1).
    dna_length
        ``D``, the DNA window (0 for none).

    Raises
    ------
    ValueError
        If a value is out of range.

    Examples
    --------
    >>> p = CpgPacking(n_cells=2, window=25, dna_length=501)
    >>> p.channels, p.length, p.state_channels, p.distance_channels
    (8, 501, slice(4, 8, 2), slice(5, 8, 2))
    >>> CpgPacking.from_layout(p.layout) == p
    True
    >>> CpgPacking(3, 5, 0).channels, CpgPacking(3, 5, 0).length
    (6, 10)
    """

    n_cells: int
    window: int
    dna_length: int = 0

    def __post_init__(self) -> None:
        if self.n_cells < 1 or self.window < 1 or self.dna_length < 0:
            msg = (
                "need n_cells >= 1, window >= 1 and dna_length >= 0, got "
                f"{self.n_cells}, {self.window}, {self.dna_length}"
            )
            raise ValueError(msg)

    @classmethod
    def from_layout(cls, layout: Sequence[tuple[str, int]]) -> CpgPacking:
        """The packing described by ``ModelIO.layout`` pairs.

        Raises
        ------
        KeyError
            If :data:`CPG_CELLS` or :data:`CPG_WINDOW` is missing (a missing
            :data:`DNA_LENGTH` means 0).
        """
        values = dict(layout)
        return cls(values[CPG_CELLS], values[CPG_WINDOW], values.get(DNA_LENGTH, 0))

    @property
    def has_dna(self) -> bool:
        """Whether channels 0..3 hold DNA."""
        return self.dna_length > 0

    @property
    def dna_channels(self) -> int:
        """4 with DNA, else 0: the offset of the first CpG channel."""
        return DNA_CHANNELS if self.has_dna else 0

    @property
    def channels(self) -> int:
        """``C = 4 * (D > 0) + 2n``."""
        return self.dna_channels + 2 * self.n_cells

    @property
    def length(self) -> int:
        """``L = max(2K, D)``."""
        return max(2 * self.window, self.dna_length)

    @property
    def state_channels(self) -> slice:
        """Channels of the neighbour states, cell by cell (use with ``[:, s, :2K]``)."""
        start = self.dna_channels
        return slice(start, start + 2 * self.n_cells, 2)

    @property
    def distance_channels(self) -> slice:
        """Channels of the neighbour distances, cell by cell."""
        start = self.dna_channels + 1
        return slice(start, start - 1 + 2 * self.n_cells, 2)

    @property
    def layout(self) -> tuple[tuple[str, int], ...]:
        """The ``ModelIO.layout`` pairs."""
        return ((CPG_CELLS, self.n_cells), (CPG_WINDOW, self.window), (DNA_LENGTH, self.dna_length))


def cpg_layout(n_cells: int, window: int, dna_length: int = 0) -> tuple[tuple[str, int], ...]:
    """The ``ModelIO.layout`` of a packed input (see :class:`CpgPacking`).

    Examples
    --------
    >>> cpg_layout(2, 25, 0)
    (('cpg_cells', 2), ('cpg_window', 25), ('dna_length', 0))
    """
    return CpgPacking(n_cells, window, dna_length).layout


def cpg_channels(n_cells: int, dna_length: int = 0) -> int:
    """``C``: 4 DNA channels when ``dna_length > 0``, plus 2 per cell.

    Examples
    --------
    >>> cpg_channels(2, 0), cpg_channels(2, 1001)
    (4, 8)
    """
    return CpgPacking(n_cells, 1, dna_length).channels


def _queries(
    chroms: Sequence[str] | npt.ArrayLike, positions: npt.ArrayLike
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.int64]]:
    names = np.asarray([normalise_chrom(str(c)) for c in np.asarray(chroms).ravel()], dtype=str)
    pos = np.asarray(positions, dtype=np.int64)
    if pos.ndim != 1 or len(names) != len(pos):
        msg = f"chroms and positions must be 1-D of one length, not {len(names)} and {pos.shape}"
        raise ValueError(msg)
    return names, pos


def _group_by_chrom(names: npt.NDArray[np.str_]) -> list[tuple[str, npt.NDArray[np.intp]]]:
    """``(chromosome, row indices)`` for every chromosome in ``names``."""
    if len(names) == 0:
        return []
    uniq, inverse = np.unique(names, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    ends = np.cumsum(np.bincount(inverse, minlength=len(uniq)))
    starts = ends - np.bincount(inverse, minlength=len(uniq))
    return [(str(u), order[s:e]) for u, s, e in zip(uniq, starts, ends, strict=True)]


def cpg_neighbours(
    profile: CpgProfile,
    chroms: Sequence[str] | npt.ArrayLike,
    positions: npt.ArrayLike,
    *,
    window: int,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """States and distances of the ``window`` nearest observed sites on each side.

    Parameters
    ----------
    profile
        One cell's observed sites.
    chroms, positions
        ``(N,)`` query sites (any order; chromosome names are normalised with
        :func:`~biodl.io.cpg.normalise_chrom`). A query on a chromosome the cell does
        not observe gets only missing neighbours.
    window
        ``K``, neighbours on each side (DeepCpG's ``cpg_wlen // 2``).
    max_distance
        Distances are clipped at this many bases and divided by it.

    Returns
    -------
    states : numpy.ndarray
        ``(N, 2K)`` float32: upstream farthest to nearest, then downstream nearest to
        farthest (see the module docstring); :data:`MISSING_STATE` where a neighbour
        does not exist.
    distances : numpy.ndarray
        ``(N, 2K)`` float32 in ``(0, 1]``; 1 where a neighbour does not exist.

    Raises
    ------
    ValueError
        If ``window`` or ``max_distance`` is below 1 or the query arrays do not match.

    Examples
    --------
    The site at 20 is observed but is not its own neighbour; chromosome 2 has none:

    >>> from biodl.io.cpg import CpgProfile
    >>> cell = CpgProfile.from_arrays(["1", "1", "1", "2"], [10, 20, 40, 5], [0, 1, 1, 1])
    >>> s, d = cpg_neighbours(cell, ["1", "chr1"], [20, 25], window=1, max_distance=100)
    >>> s.tolist(), d.astype(float).round(3).tolist()
    ([[0.0, 1.0], [1.0, 1.0]], [[0.1, 0.2], [0.05, 0.15]])
    >>> cpg_neighbours(cell, ["2"], [5], window=1)[0].tolist()
    [[0.5, 0.5]]
    """
    if window < 1 or max_distance < 1:
        msg = f"window and max_distance must be at least 1, not {window} and {max_distance}"
        raise ValueError(msg)
    names, pos = _queries(chroms, positions)
    n, k = len(pos), window
    states = np.full((n, 2 * k), MISSING_STATE, dtype=np.float32)
    dists = np.ones((n, 2 * k), dtype=np.float32)
    steps = np.arange(k, dtype=np.int64)
    scale = np.float32(max_distance)
    for chrom, rows in _group_by_chrom(names):
        ref_pos, ref_state = profile.on(chrom)
        m = len(ref_pos)
        if m == 0:
            continue
        for start in range(0, len(rows), _CHUNK):
            block = rows[start : start + _CHUNK]
            query = pos[block][:, None]
            below = np.searchsorted(ref_pos, pos[block], side="left")[:, None]
            above = np.searchsorted(ref_pos, pos[block], side="right")[:, None]
            # upstream, nearest first: indices below-1, below-2, ...; stored reversed
            up = below - 1 - steps
            ok = up >= 0
            idx = np.where(ok, up, 0)
            gap = np.minimum(query - ref_pos[idx], max_distance).astype(np.float32) / scale
            states[block, :k] = np.where(ok, ref_state[idx], MISSING_STATE)[:, ::-1]
            dists[block, :k] = np.where(ok, gap, 1.0)[:, ::-1]
            # downstream, nearest first: indices above, above+1, ...
            down = above + steps
            ok = down < m
            idx = np.where(ok, down, 0)
            gap = np.minimum(ref_pos[idx] - query, max_distance).astype(np.float32) / scale
            states[block, k:] = np.where(ok, ref_state[idx], MISSING_STATE)
            dists[block, k:] = np.where(ok, gap, 1.0)
    return states, dists


def _site_keys(
    codes: npt.NDArray[np.int64], positions: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    if len(positions) and int(positions.max()) >= 1 << _POS_BITS:
        msg = f"positions must be below 2**{_POS_BITS}"
        raise ValueError(msg)
    return (codes << _POS_BITS) | positions


def cpg_sites_and_targets(
    profiles: Mapping[str, CpgProfile], chroms: Sequence[str] | None = None
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The union of the cells' sites and each cell's state there (NaN: not observed).

    Parameters
    ----------
    profiles
        Cell name to profile; the mapping's order is the order of the target columns
        (and of the cells in :func:`pack_cpg_inputs`).
    chroms
        Keep only sites on these chromosomes (names are normalised); all if None.

    Returns
    -------
    chroms : numpy.ndarray
        ``(N,)`` chromosome names of the sites.
    positions : numpy.ndarray
        ``(N,)`` int64 positions, sorted by chromosome (string order), then position.
    targets : numpy.ndarray
        ``(N, n_cells)`` float32 states; NaN where a cell has no observation.

    Raises
    ------
    ValueError
        If ``profiles`` is empty.

    Examples
    --------
    >>> from biodl.io.cpg import CpgProfile
    >>> a = CpgProfile.from_arrays(["1", "1", "2"], [10, 30, 5], [1, 0, 1])
    >>> b = CpgProfile.from_arrays(["1", "1"], [10, 20], [0, 1])
    >>> c, p, y = cpg_sites_and_targets({"a": a, "b": b})
    >>> c.tolist(), p.tolist()
    (['1', '1', '1', '2'], [10, 20, 30, 5])
    >>> y.tolist()
    [[1.0, 0.0], [nan, 1.0], [0.0, nan], [1.0, nan]]
    >>> cpg_sites_and_targets({"a": a, "b": b}, chroms=["chr2"])[1].tolist()
    [5]
    """
    cells = list(profiles.values())
    if not cells:
        msg = "no profiles given"
        raise ValueError(msg)
    all_names = np.concatenate([p.chroms.astype(str) for p in cells])
    uniq, inverse = np.unique(all_names, return_inverse=True)
    codes = inverse.astype(np.int64)
    keys = _site_keys(codes, np.concatenate([p.positions for p in cells]))
    sites = np.unique(keys)
    if chroms is not None:
        wanted = np.isin(uniq, [normalise_chrom(c) for c in chroms])
        sites = sites[wanted[sites >> _POS_BITS]]
    targets = np.full((len(sites), len(cells)), np.nan, dtype=np.float32)
    offset = 0
    for column, profile in enumerate(cells):
        cell_keys = keys[offset : offset + len(profile)]
        offset += len(profile)
        rows = np.searchsorted(sites, cell_keys)
        found = rows < len(sites)
        found[found] = sites[rows[found]] == cell_keys[found]
        targets[rows[found], column] = profile.states[found]
    site_chroms = uniq[sites >> _POS_BITS] if len(sites) else np.asarray([], dtype=str)
    return site_chroms.astype(str), sites & ((1 << _POS_BITS) - 1), targets


def pack_cpg_inputs(
    profiles: Mapping[str, CpgProfile],
    chroms: Sequence[str] | npt.ArrayLike,
    positions: npt.ArrayLike,
    *,
    window: int,
    dna: npt.ArrayLike | None = None,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> npt.NDArray[np.float32]:
    """The packed model input ``(N, C, L)`` for query sites (layout in the module docs).

    Parameters
    ----------
    profiles
        Cell name to profile, in output order (as for :func:`cpg_sites_and_targets`).
    chroms, positions
        ``(N,)`` query sites.
    window
        ``K``, neighbours on each side.
    dna
        ``(N, 4, D)`` one-hot DNA windows centred on the sites (for example
        :func:`biodl.encode.one_hot` of the sequences), or None for no DNA.
    max_distance
        As in :func:`cpg_neighbours`.

    Returns
    -------
    numpy.ndarray
        ``(N, C, L)`` float32 with ``C = 4 * (D > 0) + 2 n_cells`` and
        ``L = max(2K, D)``; describe it to a model with
        ``ModelIO(C, L, n_cells, layout=cpg_layout(n_cells, window, D))``.

    Raises
    ------
    ValueError
        If ``profiles`` is empty or ``dna`` does not have shape ``(N, 4, D)``.

    Examples
    --------
    >>> from biodl.io.cpg import CpgProfile
    >>> a = CpgProfile.from_arrays(["1", "1"], [10, 20], [1, 0])
    >>> b = CpgProfile.from_arrays(["1"], [30], [1])
    >>> x = pack_cpg_inputs({"a": a, "b": b}, ["1"], [20], window=1, max_distance=100)
    >>> x.shape  # 2 cells x (states, distances), 2K = 2 positions
    (1, 4, 2)
    >>> x[0].astype(float).round(3).tolist()  # a: states, distances; b: states, distances
    [[1.0, 0.5], [0.1, 1.0], [0.5, 1.0], [1.0, 0.1]]
    >>> import numpy as np
    >>> dna = np.zeros((1, 4, 5), dtype=np.float32)
    >>> pack_cpg_inputs({"a": a, "b": b}, ["1"], [20], window=1, dna=dna).shape
    (1, 8, 5)
    """
    if not profiles:
        msg = "no profiles given"
        raise ValueError(msg)
    names, pos = _queries(chroms, positions)
    n = len(pos)
    dna_arr = None if dna is None else np.asarray(dna, dtype=np.float32)
    dna_length = 0
    if dna_arr is not None:
        if dna_arr.ndim != 3 or dna_arr.shape[0] != n or dna_arr.shape[1] != DNA_CHANNELS:
            msg = f"dna must have shape (N={n}, 4, D), not {dna_arr.shape}"
            raise ValueError(msg)
        dna_length = dna_arr.shape[2]
    packing = CpgPacking(len(profiles), window, dna_length)
    x = np.zeros((n, packing.channels, packing.length), dtype=np.float32)
    if dna_arr is not None and dna_length > 0:
        x[:, :DNA_CHANNELS, :dna_length] = dna_arr
    first = packing.dna_channels
    for cell, profile in enumerate(profiles.values()):
        states, dists = cpg_neighbours(
            profile, names, pos, window=window, max_distance=max_distance
        )
        x[:, first + 2 * cell, : 2 * window] = states
        x[:, first + 2 * cell + 1, : 2 * window] = dists
    return x
