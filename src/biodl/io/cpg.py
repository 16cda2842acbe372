"""Single-cell CpG methylation profiles in DeepCpG's tab-separated format.

A profile file has one observed CpG site per line and three columns, no header::

    chromosome <TAB> position <TAB> methylation state

as read by DeepCpG's ``dcpg_data.py --cpg_profiles`` (Angermueller et al. 2017,
``deepcpg/data/utils.py::read_cpg_profile``). The file may be gzip-compressed
(detected from its first bytes, not its name). Blank lines and lines starting with
``#`` are skipped; a line without tabs is split at white space.

Conventions
    * **Chromosome names** lose a leading ``chr`` (any case): ``chr18``, ``Chr18`` and
      ``18`` are all ``18``. DeepCpG's ``format_chromo`` does the same and also
      upper-cases the name; biodl keeps the case of the rest (``chrUn_x`` is
      ``Un_x``). Use :func:`normalise_chrom` on any name compared with a profile's.
    * **Positions** are kept as written (DeepCpG: 1-based, the ``C`` of the CpG on the
      forward strand); they must be non-negative integers.
    * **States** must be numbers in ``[0, 1]`` (a methylation rate or a binary state).
      With ``binarise=True`` (the default) a state is 1 when it is above 0.5 and 0
      otherwise, which is what DeepCpG's ``value.round()`` gives its outputs for every
      value in ``[0, 1]`` (0.5 rounds to 0, half to even). ``binarise=False`` keeps
      the rates as they are.
    * **Order**: sites are sorted by chromosome name (as strings, so ``"10" < "2"``, as
      DeepCpG's ``sort_values``) and then by position. A site given twice is an error.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "cell.tsv")
>>> with open(path, "w") as f:
...     _ = f.write("chr19\\t300\\t1\\nchr18\\t500\\t0.2\\nchr18\\t100\\t0.9\\n")
>>> p = read_cpg_profile(path)
>>> p.chroms.tolist(), p.positions.tolist(), p.states.tolist()
(['18', '18', '19'], [100, 500, 300], [1.0, 0.0, 1.0])
>>> p.on("19")
(array([300]), array([1.], dtype=float32))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io._open import read_lines

__all__ = ["CpgProfile", "normalise_chrom", "read_cpg_profile"]

_PathLike = str | os.PathLike[str]


def normalise_chrom(name: str) -> str:
    """A chromosome name without a leading ``chr`` (any case) and surrounding space.

    Examples
    --------
    >>> normalise_chrom("chr18"), normalise_chrom("CHRX"), normalise_chrom("19")
    ('18', 'X', '19')
    >>> normalise_chrom("chr")
    'chr'
    """
    name = name.strip()
    if len(name) > 3 and name[:3].lower() == "chr":
        return name[3:]
    return name


@dataclass(frozen=True, eq=False)
class CpgProfile:
    """The observed CpG sites of one cell, sorted by chromosome, then position.

    Build one with :meth:`from_arrays` (which sorts) or :func:`read_cpg_profile`.

    Attributes
    ----------
    chroms
        ``(n,)`` chromosome names (NumPy ``str`` array), without ``chr`` prefix.
    positions
        ``(n,)`` int64 positions.
    states
        ``(n,)`` float32 methylation states (0/1) or rates in ``[0, 1]``.

    Raises
    ------
    ValueError
        If the arrays differ in length or are not sorted by chromosome and position
        with no site twice.
    """

    chroms: npt.NDArray[np.str_]
    positions: npt.NDArray[np.int64]
    states: npt.NDArray[np.float32]

    def __post_init__(self) -> None:
        chroms = np.asarray(self.chroms, dtype=str)
        positions = np.asarray(self.positions, dtype=np.int64)
        states = np.asarray(self.states, dtype=np.float32)
        if not chroms.ndim == positions.ndim == states.ndim == 1:
            msg = "chroms, positions and states must be 1-D arrays"
            raise ValueError(msg)
        if not len(chroms) == len(positions) == len(states):
            msg = (
                f"chroms, positions and states differ in length: {len(chroms)}, "
                f"{len(positions)}, {len(states)}"
            )
            raise ValueError(msg)
        if len(chroms) > 1:
            same = chroms[1:] == chroms[:-1]
            chrom_up = chroms[1:] > chroms[:-1]
            pos_up = positions[1:] > positions[:-1]
            if not np.all(chrom_up | (same & pos_up)):
                msg = "sites must be sorted by chromosome, then position, with no duplicates"
                raise ValueError(msg)
        object.__setattr__(self, "chroms", chroms)
        object.__setattr__(self, "positions", positions)
        object.__setattr__(self, "states", states)

    @classmethod
    def from_arrays(
        cls, chroms: npt.ArrayLike, positions: npt.ArrayLike, states: npt.ArrayLike
    ) -> CpgProfile:
        """A profile from unsorted arrays; chromosome names are normalised.

        Raises
        ------
        ValueError
            If a site (chromosome, position) occurs twice, or the lengths differ.

        Examples
        --------
        >>> p = CpgProfile.from_arrays(["chr2", "1", "2"], [5, 9, 1], [1, 0, 1])
        >>> p.chroms.tolist(), p.positions.tolist()
        (['1', '2', '2'], [9, 1, 5])
        """
        names = np.asarray([normalise_chrom(str(c)) for c in np.asarray(chroms).ravel()], dtype=str)
        pos = np.asarray(positions, dtype=np.int64).ravel()
        val = np.asarray(states, dtype=np.float32).ravel()
        if not len(names) == len(pos) == len(val):
            msg = (
                "chroms, positions and states differ in length: "
                f"{len(names)}, {len(pos)}, {len(val)}"
            )
            raise ValueError(msg)
        order = np.lexsort((pos, names))
        names, pos, val = names[order], pos[order], val[order]
        if len(names) > 1:
            dup = (names[1:] == names[:-1]) & (pos[1:] == pos[:-1])
            if dup.any():
                i = int(np.flatnonzero(dup)[0]) + 1
                msg = f"site {names[i]}:{pos[i]} occurs more than once"
                raise ValueError(msg)
        return cls(names.astype(str), pos, val)

    def __len__(self) -> int:
        return len(self.positions)

    @cached_property
    def _bounds(self) -> dict[str, tuple[int, int]]:
        if len(self.chroms) == 0:
            return {}
        starts = np.flatnonzero(np.r_[True, self.chroms[1:] != self.chroms[:-1]])
        ends = np.r_[starts[1:], len(self.chroms)]
        return {str(self.chroms[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}

    @property
    def chromosomes(self) -> list[str]:
        """The chromosome names, in the profile's (sorted) order."""
        return list(self._bounds)

    def on(self, chrom: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Sorted positions and their states on ``chrom`` (empty arrays if none).

        ``chrom`` is normalised with :func:`normalise_chrom` first. The arrays are views.
        """
        start, end = self._bounds.get(normalise_chrom(chrom), (0, 0))
        return self.positions[start:end], self.states[start:end]

    def __repr__(self) -> str:
        return f"CpgProfile({len(self)} sites on {len(self._bounds)} chromosomes)"


def _fields(line: str) -> list[str]:
    text = line.rstrip("\r\n")
    return text.split("\t") if "\t" in text else text.split()


def _parse_position(text: str, path: _PathLike, lineno: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(
            f"position {text.strip()!r} (column 2) is not an integer", path=path, line=lineno
        ) from None
    if value < 0:
        raise InputError(f"position {value} (column 2) is negative", path=path, line=lineno)
    return value


def _parse_state(text: str, path: _PathLike, lineno: int) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise InputError(
            f"methylation state {text.strip()!r} (column 3) is not a number",
            path=path,
            line=lineno,
        ) from None
    if not 0.0 <= value <= 1.0:  # also rejects nan
        raise InputError(
            f"methylation state {text.strip()} (column 3) is outside [0, 1]",
            path=path,
            line=lineno,
        )
    return value


def read_cpg_profile(path: _PathLike, *, binarise: bool = True) -> CpgProfile:
    """Read one cell's CpG methylation profile (DeepCpG format), plain or gzip.

    Parameters
    ----------
    path
        A tab-separated file with columns chromosome, position, methylation state and
        no header (see the module docstring for the conventions).
    binarise
        Map states above 0.5 to 1 and the others to 0 (as DeepCpG's rounding of its
        outputs). ``False`` keeps rates in ``[0, 1]`` as they are.

    Returns
    -------
    CpgProfile
        Sites sorted by chromosome (string order), then position; chromosome names
        without ``chr``.

    Raises
    ------
    InputError
        Missing or unreadable file; a line that does not have 3 columns; a position that
        is not a non-negative integer; a state that is not a number in ``[0, 1]``; a
        site given twice (the message names both lines); a file without sites. The
        message starts with ``path:line``.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "cell.tsv.gz")
    >>> with gzip.open(path, "wt") as f:
    ...     _ = f.write("# a comment\\n1\\t10\\t0.75\\n1\\t20\\t0.5\\n")
    >>> read_cpg_profile(path).states.tolist()
    [1.0, 0.0]
    >>> read_cpg_profile(path, binarise=False).states.tolist()
    [0.75, 0.5]
    """
    chroms: list[str] = []
    positions: list[int] = []
    states: list[float] = []
    lines: list[int] = []
    names: dict[str, str] = {}  # raw name -> normalised, parsed once per chromosome
    for lineno, line in read_lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        fields = _fields(line)
        if len(fields) != 3:
            raise InputError(
                f"expected 3 tab-separated columns (chromosome, position, methylation "
                f"state), found {len(fields)}",
                path=path,
                line=lineno,
            )
        raw = fields[0]
        name = names.get(raw)
        if name is None:
            name = names[raw] = normalise_chrom(raw)
            if not name:
                raise InputError("empty chromosome name (column 1)", path=path, line=lineno)
        chroms.append(name)
        positions.append(_parse_position(fields[1], path, lineno))
        states.append(_parse_state(fields[2], path, lineno))
        lines.append(lineno)
    if not positions:
        raise InputError("no CpG sites in the file", path=path)
    chrom_arr = np.asarray(chroms, dtype=str)
    pos_arr = np.asarray(positions, dtype=np.int64)
    order = np.lexsort((pos_arr, chrom_arr))
    chrom_arr, pos_arr = chrom_arr[order], pos_arr[order]
    line_arr = np.asarray(lines, dtype=np.int64)[order]
    dup = (chrom_arr[1:] == chrom_arr[:-1]) & (pos_arr[1:] == pos_arr[:-1])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first, second = sorted((int(line_arr[i]), int(line_arr[i + 1])))
        raise InputError(
            f"duplicate site {chrom_arr[i]}:{pos_arr[i]} (also on line {first})",
            path=path,
            line=second,
        )
    state_arr = np.asarray(states, dtype=np.float32)[order]
    if binarise:
        state_arr = (state_arr > 0.5).astype(np.float32)
    return CpgProfile(chrom_arr, pos_arr, state_arr)
