"""Molecule features from SMILES: Morgan fingerprints, RDKit descriptors, packed graphs.

Every function takes SMILES (as :func:`biodl.io.molecules.read_molecules` writes them)
and parses them with :func:`biodl.io.molecules.parse_smiles`; a SMILES RDKit rejects is
an :class:`~biodl.errors.InputError` naming it. RDKit is needed
(``pip install 'biodl[chem]'``).

Packed graphs
-------------
:func:`molecule_graphs` returns one float32 array ``(N, C, L)`` that holds whole
molecular graphs, so that graphs batch, pad and travel like one-hot sequences. ``L`` is
the number of atom positions: the atoms of each molecule in RDKit's order (hydrogens are
implicit, so these are the heavy atoms), then zero padding. With ``K`` =
``max_neighbours`` (default :data:`MAX_NEIGHBOURS`), ``A`` = ``len(ATOM_FEATURES)`` and
``B`` = ``len(BOND_FEATURES)``, the channels are:

====================  =====================================================================
channels              content, per atom position
====================  =====================================================================
``0``                 atom mask: 1.0 for a real atom, 0.0 for padding
``1 .. A``            the atom's features (:data:`ATOM_FEATURES`, 0/1), zero on padding
``1+A .. A+K``        neighbour index of slot ``k`` (float); -1.0 for an empty slot/padding
``1+A+K .. A+2K``     reverse slot: for slot ``k`` of atom ``i`` pointing at ``j``, the slot
                      of ``j`` that points back at ``i``; -1.0 when empty
``1+A+2K .. C-1``     bond features (:data:`BOND_FEATURES`) of each slot, slot-major (slot
                      0's ``B`` features, then slot 1's, ...); zero when empty
====================  =====================================================================

so ``C = 1 + A + 2K + K*B`` (:func:`graph_channels`). An atom's neighbours fill its
slots in increasing neighbour index. Each filled slot's bond features have exactly one
stereo bit set, so a filled slot never has all-zero bond features.
:func:`unpack_graphs` turns the array back into NumPy arrays (for tests and as the
reference of the layout).

Examples
--------
>>> x = molecule_graphs(["CCO", "C"])
>>> x.shape == (2, graph_channels(), 3)
True
>>> mask, atoms, nbr, rev, bonds = unpack_graphs(x)
>>> mask.astype(int).tolist()
[[1, 1, 1], [1, 0, 0]]
>>> nbr[0, :, :2].tolist()  # C0-C1, C1-C0 and C1-O2, O2-C1
[[1, -1], [0, 2], [1, -1]]
>>> morgan_fingerprints(["CCO"], n_bits=64).sum()
np.float32(6.0)
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.molecules import parse_smiles, quiet_rdkit, require_rdkit

if TYPE_CHECKING:
    from rdkit import Chem

__all__ = [
    "ATOM_FEATURES",
    "BOND_FEATURES",
    "ELEMENTS",
    "MAX_NEIGHBOURS",
    "ModelInput",
    "PackedGraphs",
    "descriptor_names",
    "graph_channels",
    "graph_sizes",
    "iter_molecules",
    "max_degrees",
    "molecule_graphs",
    "morgan_fingerprints",
    "n_atoms",
    "rdkit_descriptors",
    "unpack_graphs",
]

MAX_NEIGHBOURS = 6
"""Default neighbour slots per atom (no organic atom has more than 6 bonded atoms)."""

ELEMENTS: tuple[str, ...] = (
    "H", "B", "C", "N", "O", "F", "Na", "Si", "P", "S", "Cl", "K", "Se", "Br", "I",
)  # fmt: skip
"""Elements with their own atom-feature channel (by atomic number); others are
``element=other``. The organic subset of SMILES, plus H, Na, K, Si and Se."""

_DEGREES = ("0", "1", "2", "3", "4", "5+")
_CHARGES = ("-2-", "-1", "0", "+1", "+2+")
_HYBRIDS = ("S", "SP", "SP2", "SP3", "SP3D", "SP3D2", "other")
_HS = ("0", "1", "2", "3", "4+")
_CHIRAL = ("none", "CW", "CCW", "other")

ATOM_FEATURES: tuple[str, ...] = (
    *(f"element={e}" for e in ELEMENTS),
    "element=other",
    *(f"degree={d}" for d in _DEGREES),
    *(f"charge={c}" for c in _CHARGES),
    *(f"hybridisation={h}" for h in _HYBRIDS),
    "aromatic",
    *(f"total_h={h}" for h in _HS),
    "in_ring",
    *(f"chirality={c}" for c in _CHIRAL),
)
"""Names of the atom feature channels, in channel order. One-hot groups: ``element``
(:data:`ELEMENTS` and ``other``), ``degree`` (bonded atoms, 0 to 5 and more),
``charge`` (formal charge, -2 or less to +2 or more), ``hybridisation`` (RDKit's; an
unspecified or unusual one is ``other``), ``total_h`` (hydrogens, implicit and
explicit, 0 to 4 and more), ``chirality`` (RDKit's tag: none, tetrahedral clockwise /
counter-clockwise, other); and the flags ``aromatic`` and ``in_ring``."""

_STEREO = ("none", "any", "Z", "E", "cis", "trans")

BOND_FEATURES: tuple[str, ...] = (
    "single",
    "double",
    "triple",
    "aromatic",
    "conjugated",
    "in_ring",
    *(f"stereo={s}" for s in _STEREO),
)
"""Names of the bond feature channels of one neighbour slot. Bond type (one-hot;
all four zero for a rare other type, such as dative), the flags ``conjugated`` and
``in_ring``, and the stereo one-hot (an atropisomer's is ``any``)."""

_A = len(ATOM_FEATURES)
_B = len(BOND_FEATURES)


def _offsets(names: tuple[str, ...], prefix: str) -> dict[str, int]:
    return {n[len(prefix) :]: i for i, n in enumerate(names) if n.startswith(prefix)}


def graph_channels(max_neighbours: int = MAX_NEIGHBOURS) -> int:
    """Channels ``C = 1 + A + 2K + K*B`` of a packed graph with ``K`` neighbour slots.

    Examples
    --------
    >>> graph_channels(6) == 1 + len(ATOM_FEATURES) + 12 + 6 * len(BOND_FEATURES)
    True
    """
    _check_neighbours(max_neighbours)
    return 1 + _A + 2 * max_neighbours + max_neighbours * _B


def _check_neighbours(max_neighbours: int) -> None:
    if int(max_neighbours) != max_neighbours or max_neighbours < 1:
        raise InputError(f"max_neighbours must be a positive integer, not {max_neighbours!r}")


def iter_molecules(smiles: Sequence[str]) -> Iterator[Chem.Mol]:
    """The RDKit molecule of each SMILES, one at a time (a generator: a large set is
    never held as RDKit molecules all at once).

    Raises
    ------
    InputError
        For a SMILES RDKit rejects, naming it (``record``), its position and why.

    Examples
    --------
    >>> [m.GetNumAtoms() for m in iter_molecules(["CCO", "c1ccccc1"])]
    [3, 6]
    >>> list(iter_molecules(["CCO", "C1CC"]))
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: record 'C1CC': molecule 2: invalid SMILES: SMILES syntax error...
    """
    require_rdkit("featurising molecules")
    from biodl.io.molecules import smiles_problem

    if isinstance(smiles, str):
        raise InputError("expected a sequence of SMILES, not one string")
    for i, text in enumerate(smiles):
        mol = parse_smiles(text)
        if mol is None:
            why = smiles_problem(text) or "RDKit rejects it"
            raise InputError(f"molecule {i + 1}: invalid SMILES: {why}", record=text)
        yield mol


def n_atoms(smiles: Sequence[str]) -> np.ndarray:
    """Atoms (heavy atoms; hydrogens are implicit) of each molecule, ``(N,)`` int64:
    the ``L`` a packed graph needs.

    Examples
    --------
    >>> n_atoms(["CCO", "c1ccccc1O", "[Na+].[Cl-]"]).tolist()
    [3, 7, 2]
    """
    return np.array([m.GetNumAtoms() for m in iter_molecules(smiles)], dtype=np.int64)


def max_degrees(smiles: Sequence[str]) -> np.ndarray:
    """Most bonded atoms of any atom of each molecule, ``(N,)`` int64: the
    ``max_neighbours`` a packed graph needs (at most 6 in organic molecules; up to 10 in
    the metal complexes of MoleculeNet's HIV set).

    Examples
    --------
    >>> max_degrees(["CCO", "C", "CC(C)(C)C", "FS(F)(F)(F)(F)F"]).tolist()
    [2, 0, 4, 6]
    """
    return np.array(
        [max((a.GetDegree() for a in m.GetAtoms()), default=0) for m in iter_molecules(smiles)],
        dtype=np.int64,
    )


def graph_sizes(smiles: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`n_atoms` and :func:`max_degrees` of each molecule from one parse,
    ``(N,)`` int64 each.

    Examples
    --------
    >>> atoms, degrees = graph_sizes(["CCO", "CC(C)(C)C"])
    >>> atoms.tolist(), degrees.tolist()
    ([3, 5], [2, 4])
    """
    atoms: list[int] = []
    degrees: list[int] = []
    for m in iter_molecules(smiles):
        atoms.append(m.GetNumAtoms())
        degrees.append(max((a.GetDegree() for a in m.GetAtoms()), default=0))
    return np.array(atoms, dtype=np.int64), np.array(degrees, dtype=np.int64)


# ---------------------------------------------------------------------------- fingerprints


def morgan_fingerprints(
    smiles: Sequence[str],
    *,
    radius: int = 2,
    n_bits: int = 2048,
    counts: bool = False,
    chirality: bool = False,
) -> np.ndarray:
    """Morgan (ECFP-like) fingerprints, ``(N, n_bits)`` float32.

    Parameters
    ----------
    smiles
        ``N`` SMILES.
    radius
        Morgan radius; 2 gives ECFP4, 3 ECFP6.
    n_bits
        Fingerprint length (bits are folded onto it).
    counts
        Count how often each bit is set, instead of 0/1.
    chirality
        Include chirality in the atom invariants.

    Returns
    -------
    numpy.ndarray
        ``(N, n_bits)`` float32: 0/1 bits, or counts.

    Examples
    --------
    >>> fp = morgan_fingerprints(["CCO", "c1ccccc1O"], radius=2, n_bits=1024)
    >>> fp.shape, fp.dtype, fp.sum(axis=1).tolist()
    ((2, 1024), dtype('float32'), [6.0, 11.0])
    >>> ethane = ["CC"]  # two identical methyl environments: one bit, counted twice
    >>> morgan_fingerprints(ethane).sum(), morgan_fingerprints(ethane, counts=True).sum()
    (np.float32(2.0), np.float32(3.0))
    """
    if int(radius) != radius or radius < 0:
        raise InputError(f"radius must be a non-negative integer, not {radius!r}")
    if int(n_bits) != n_bits or n_bits < 1:
        raise InputError(f"n_bits must be a positive integer, not {n_bits!r}")
    require_rdkit("Morgan fingerprints")
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(
        radius=int(radius), fpSize=int(n_bits), includeChirality=bool(chirality)
    )
    out = np.zeros((len(smiles), int(n_bits)), dtype=np.float32)
    make = generator.GetCountFingerprintAsNumPy if counts else generator.GetFingerprintAsNumPy
    with quiet_rdkit():
        for i, mol in enumerate(iter_molecules(smiles)):
            out[i] = make(mol)
    return out


# ---------------------------------------------------------------------------- descriptors


def descriptor_names() -> tuple[str, ...]:
    """Names of RDKit's 2-D descriptors (``Descriptors._descList``), in RDKit's order.

    The order is fixed for one RDKit version; a model should store the names it used.

    Examples
    --------
    >>> names = descriptor_names()
    >>> "MolWt" in names and "TPSA" in names and len(names) > 200
    True
    """
    require_rdkit("RDKit descriptors")
    from rdkit.Chem import Descriptors

    return tuple(name for name, _ in Descriptors._descList)


def rdkit_descriptors(
    smiles: Sequence[str], *, names: Sequence[str] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """RDKit's 2-D descriptors of each molecule.

    Parameters
    ----------
    smiles
        ``N`` SMILES.
    names
        Descriptors to compute, in this order; default :func:`descriptor_names` (all
        2-D descriptors, 217 in RDKit 2026.09).

    Returns
    -------
    values
        ``(N, D)`` float64. A descriptor RDKit cannot compute for a molecule (it raises,
        or gives an infinite or NaN value) is NaN. Values are not scaled; some (``Ipc``)
        span many orders of magnitude.
    names
        The ``D`` descriptor names.

    Raises
    ------
    InputError
        An unknown descriptor name, or an invalid SMILES.

    Examples
    --------
    >>> values, names = rdkit_descriptors(["CCO", "c1ccccc1O"], names=["MolWt", "NumHDonors"])
    >>> names, values.round(2).tolist()
    (('MolWt', 'NumHDonors'), [[46.07, 1.0], [94.11, 1.0]])
    """
    all_names = descriptor_names()
    chosen = all_names if names is None else tuple(names)
    if isinstance(names, str):
        raise InputError("names must be a sequence of descriptor names, not one string")
    from rdkit.Chem import Descriptors

    functions = dict(Descriptors._descList)
    unknown = [n for n in chosen if n not in functions]
    if unknown:
        raise InputError(
            f"unknown RDKit descriptor(s) {', '.join(map(repr, unknown))}; see "
            "biodl.encode.molecules.descriptor_names()"
        )
    calls = [functions[n] for n in chosen]
    out = np.full((len(smiles), len(chosen)), np.nan, dtype=np.float64)
    with quiet_rdkit():
        for i, mol in enumerate(iter_molecules(smiles)):
            for j, function in enumerate(calls):
                try:
                    out[i, j] = float(function(mol))
                except Exception:  # RDKit raises many kinds; the value is missing
                    continue
    out[~np.isfinite(out)] = np.nan
    return out, chosen


# ---------------------------------------------------------------------------- graphs


_ELEMENT = {e: i for i, e in enumerate(ELEMENTS)}
_OTHER_ELEMENT = len(ELEMENTS)
_DEGREE0 = ATOM_FEATURES.index("degree=0")
_CHARGE0 = ATOM_FEATURES.index("charge=0")
_HYBRID = _offsets(ATOM_FEATURES, "hybridisation=")
_AROMATIC = ATOM_FEATURES.index("aromatic")
_H0 = ATOM_FEATURES.index("total_h=0")
_IN_RING = ATOM_FEATURES.index("in_ring")
_CHIRAL_AT = _offsets(ATOM_FEATURES, "chirality=")
_BOND_TYPE = {"SINGLE": 0, "DOUBLE": 1, "TRIPLE": 2, "AROMATIC": 3}
_CONJUGATED = BOND_FEATURES.index("conjugated")
_BOND_RING = BOND_FEATURES.index("in_ring")
_STEREO_AT = _offsets(BOND_FEATURES, "stereo=")
_STEREO_NAMES = {
    "STEREONONE": "none",
    "STEREOANY": "any",
    "STEREOZ": "Z",
    "STEREOE": "E",
    "STEREOCIS": "cis",
    "STEREOTRANS": "trans",
}
_CHIRAL_NAMES = {
    "CHI_UNSPECIFIED": "none",
    "CHI_TETRAHEDRAL_CW": "CW",
    "CHI_TETRAHEDRAL_CCW": "CCW",
}


@functools.cache
def _enum_channels() -> tuple[dict[int, int], ...]:
    """RDKit enum value -> feature index: element (atomic number), hybridisation,
    chirality tag, bond stereo, bond type (types without a channel are absent)."""
    from rdkit import Chem

    table = Chem.GetPeriodicTable()
    element = {table.GetAtomicNumber(e): i for e, i in _ELEMENT.items()}
    hybrid = {
        int(v): _HYBRID.get(str(v), _HYBRID["other"])
        for v in Chem.HybridizationType.values.values()
    }
    chiral = {
        int(v): _CHIRAL_AT[_CHIRAL_NAMES.get(str(v), "other")]
        for v in Chem.ChiralType.values.values()
    }
    stereo = {
        int(v): _STEREO_AT[_STEREO_NAMES.get(str(v), "any")]
        for v in Chem.BondStereo.values.values()
    }
    kind = {
        int(v): _BOND_TYPE[str(v)] for v in Chem.BondType.values.values() if str(v) in _BOND_TYPE
    }
    return element, hybrid, chiral, stereo, kind


def _atom_channels(atom: Chem.Atom) -> list[int]:
    """Indices into :data:`ATOM_FEATURES` of the atom's set features."""
    element, hybrid, chiral, _, _ = _enum_channels()
    on = [
        element.get(atom.GetAtomicNum(), _OTHER_ELEMENT),
        _DEGREE0 + min(atom.GetDegree(), 5),
        _CHARGE0 + max(-2, min(2, atom.GetFormalCharge())),
        hybrid.get(atom.GetHybridization(), _HYBRID["other"]),
        _H0 + min(atom.GetTotalNumHs(), 4),
        chiral.get(atom.GetChiralTag(), _CHIRAL_AT["other"]),
    ]
    if atom.GetIsAromatic():
        on.append(_AROMATIC)
    if atom.IsInRing():
        on.append(_IN_RING)
    return on


def _bond_channels(bond: Chem.Bond) -> list[int]:
    """Indices into :data:`BOND_FEATURES` of the bond's set features."""
    _, _, _, stereo, kind = _enum_channels()
    on = [stereo.get(bond.GetStereo(), _STEREO_AT["any"])]
    k = kind.get(bond.GetBondType())
    if k is not None:
        on.append(k)
    if bond.GetIsConjugated():
        on.append(_CONJUGATED)
    if bond.IsInRing():
        on.append(_BOND_RING)
    return on


def molecule_graphs(
    smiles: Sequence[str],
    *,
    length: int | None = None,
    max_neighbours: int = MAX_NEIGHBOURS,
) -> np.ndarray:
    """Packed molecular graphs (layout in the module docstring), ``(N, C, L)`` float32.

    Parameters
    ----------
    smiles
        ``N`` SMILES.
    length
        ``L``, the atom positions of every graph; default: the largest molecule's atoms.
    max_neighbours
        ``K``, neighbour slots per atom.

    Returns
    -------
    numpy.ndarray
        ``(N, C, L)`` float32 with ``C = graph_channels(max_neighbours)``.

    Raises
    ------
    InputError
        An invalid SMILES; a molecule of more atoms than ``length``; an atom with more
        than ``max_neighbours`` bonded atoms (each names the molecule as ``record``).

    Examples
    --------
    >>> x = molecule_graphs(["CCO"], length=4)
    >>> x.shape, x[0, 0].tolist()
    ((1, 130, 4), [1.0, 1.0, 1.0, 0.0])
    >>> molecule_graphs(["CCO"], length=2)
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: record 'CCO': molecule 1 has 3 atoms, more than length 2
    """
    if length is not None and (int(length) != length or length < 1):
        raise InputError(f"length must be a positive integer, not {length!r}")
    graphs = PackedGraphs.from_smiles(smiles, max_neighbours=max_neighbours)
    if length is not None:
        too_long = np.flatnonzero(graphs.atoms > length)
        if too_long.size:
            m = int(too_long[0])
            raise InputError(
                f"molecule {m + 1} has {int(graphs.atoms[m])} atoms, more than length {length}",
                record=smiles[m],
            )
    return graphs.dense(np.arange(len(graphs)), length=length)


class PackedGraphs:
    """Packed graphs of ``N`` molecules kept without padding; batches are padded only to
    their own largest molecule.

    The graphs of :func:`molecule_graphs` held as one ``(C, sum of atoms)`` int16 array
    (every value of the layout is a small integer) and the offsets of each molecule's
    atoms: MoleculeNet's HIV set (41,120 molecules RDKit accepts, up to 222 atoms, ``K``
    = 10) takes 372 MiB this way, against 6.3 GiB as one float32 array padded to the
    largest molecule. It
    stands in for that array where biodl batches inputs (training, prediction):
    ``len``, :attr:`shape` (``L`` the largest molecule), and indexing by an integer
    array or a slice, which returns the float32 ``(n, C, L')`` array of those graphs
    padded to their own largest molecule ``L'``. Graph models give the same outputs on
    a graph however far it is padded, so batches padded this way score as the full
    array would. ``numpy.asarray`` gives the full padded array.

    Examples
    --------
    >>> g = PackedGraphs.from_smiles(["CCO", "C", "c1ccccc1"])
    >>> len(g), g.shape == (3, graph_channels(), 6), g.atoms.tolist()
    (3, True, [3, 1, 6])
    >>> g[[0, 1]].shape == (2, graph_channels(), 3)
    True
    >>> bool((g[[1]] == molecule_graphs(["C"])).all())
    True
    >>> bool((np.asarray(g) == molecule_graphs(["CCO", "C", "c1ccccc1"])).all())
    True
    """

    ndim = 3
    dtype = np.dtype(np.float32)

    def __init__(self, values: np.ndarray, offsets: np.ndarray, *, max_neighbours: int) -> None:
        _check_neighbours(max_neighbours)
        values = np.asarray(values)
        offsets = np.asarray(offsets, dtype=np.int64)
        if values.ndim != 2 or values.shape[0] != graph_channels(max_neighbours):
            raise InputError(
                f"packed graph values must be (C={graph_channels(max_neighbours)}, atoms), "
                f"not {values.shape}"
            )
        if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != values.shape[1]:
            raise InputError("offsets must start at 0 and end at the number of atoms")
        if (np.diff(offsets) < 0).any():
            raise InputError("offsets must not decrease")
        self.values = values
        self.offsets = offsets
        self.max_neighbours = int(max_neighbours)

    @classmethod
    def from_smiles(
        cls, smiles: Sequence[str], *, max_neighbours: int = MAX_NEIGHBOURS
    ) -> PackedGraphs:
        """The graphs of ``smiles`` (errors as :func:`molecule_graphs`)."""
        _check_neighbours(max_neighbours)
        if isinstance(smiles, str):
            raise InputError("expected a sequence of SMILES, not one string")
        K = int(max_neighbours)
        parts: list[tuple[int, np.ndarray, np.ndarray]] = []
        for m, mol in enumerate(iter_molecules(smiles)):
            parts.append((mol.GetNumAtoms(), *_pack(mol, K, m + 1, smiles[m])))
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([p[0] for p in parts], dtype=np.int64)
        values = np.zeros((graph_channels(K), int(offsets[-1])), dtype=np.int16)
        values[1 + _A : 1 + _A + 2 * K] = -1
        for m, (n, ones, slots) in enumerate(parts):
            start = int(offsets[m])
            values[0, start : start + n] = 1
            values[ones[0], ones[1] + start] = 1
            values[slots[0], slots[1] + start] = slots[2]
        return cls(values, offsets, max_neighbours=K)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def atoms(self) -> np.ndarray:
        """``(N,)`` int64 atoms of each molecule."""
        return np.diff(self.offsets)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(N, C, L)`` of the full padded array (``L``: the largest molecule)."""
        longest = int(self.atoms.max()) if len(self) else 0
        return (len(self), int(self.values.shape[0]), longest)

    def dense(self, index: npt.ArrayLike, *, length: int | None = None) -> np.ndarray:
        """The graphs at ``index`` as float32 ``(n, C, L')``, padded to ``length`` (default:
        their largest molecule)."""
        idx = np.asarray(index, dtype=np.int64).reshape(-1)
        sizes = self.atoms[idx] if len(idx) else np.zeros(0, dtype=np.int64)
        longest = int(sizes.max()) if len(idx) else 0
        L = longest if length is None else int(length)
        if longest > L:
            raise InputError(f"a molecule has {longest} atoms, more than length {L}")
        K = self.max_neighbours
        out = np.zeros((len(idx), self.values.shape[0], L), dtype=np.float32)
        out[:, 1 + _A : 1 + _A + 2 * K] = -1.0
        for row, m in enumerate(idx.tolist()):
            start, stop = int(self.offsets[m]), int(self.offsets[m + 1])
            out[row, :, : stop - start] = self.values[:, start:stop]
        return out

    def subset(self, index: npt.ArrayLike) -> PackedGraphs:
        """The graphs at ``index``, in that order, still packed."""
        idx = np.asarray(index, dtype=np.int64).reshape(-1)
        sizes = self.atoms[idx]
        offsets = np.zeros(len(idx) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(sizes)
        pieces = [self.values[:, self.offsets[m] : self.offsets[m + 1]] for m in idx.tolist()]
        values = (
            np.concatenate(pieces, axis=1)
            if pieces
            else np.zeros((self.values.shape[0], 0), dtype=self.values.dtype)
        )
        return PackedGraphs(values, offsets, max_neighbours=self.max_neighbours)

    def __getitem__(self, index: int | slice | npt.ArrayLike) -> np.ndarray:
        if isinstance(index, slice):
            return self.dense(np.arange(len(self))[index])
        if isinstance(index, int | np.integer):
            return self.dense([int(np.arange(len(self))[index])])[0]
        return self.dense(np.arange(len(self))[np.asarray(index)])

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        full = self.dense(np.arange(len(self)))
        return full if dtype is None else full.astype(dtype, copy=False)

    def digest(self) -> bytes:
        """Bytes that identify the graphs (for checksums of training data)."""
        head = f"packed{self.values.shape};{self.max_neighbours};".encode("ascii")
        return head + np.ascontiguousarray(self.offsets).tobytes() + self.values.tobytes()


def _pack(mol: Chem.Mol, K: int, number: int, smiles: str) -> tuple[np.ndarray, np.ndarray]:
    """One molecule's graph as ``(ones, slots)``: ``ones`` ``(2, P)`` (channel, atom)
    of the cells that are 1 (atom and bond features), ``slots`` ``(3, Q)`` (channel,
    atom, value) of the neighbour and reverse-slot cells that are filled."""
    nbr0, rev0, bond0 = 1 + _A, 1 + _A + K, 1 + _A + 2 * K
    n = mol.GetNumAtoms()
    rows: list[int] = []
    cols: list[int] = []
    for i in range(n):  # by index: faster than RDKit's Python iterators
        on = _atom_channels(mol.GetAtomWithIdx(i))
        rows += [1 + c for c in on]  # channel 0 is the mask
        cols += [i] * len(on)
    adjacent: list[list[tuple[int, list[int]]]] = [[] for _ in range(n)]
    for b in range(mol.GetNumBonds()):
        bond = mol.GetBondWithIdx(b)
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        features = _bond_channels(bond)
        adjacent[i].append((j, features))
        adjacent[j].append((i, features))
    slot_of: list[dict[int, int]] = []
    for i, pairs in enumerate(adjacent):
        if len(pairs) > K:
            raise InputError(
                f"molecule {number}: atom {i} ({mol.GetAtomWithIdx(i).GetSymbol()}) has "
                f"{len(pairs)} bonded atoms, more than max_neighbours {K}",
                record=smiles,
            )
        pairs.sort(key=lambda p: p[0])
        slot_of.append({j: k for k, (j, _) in enumerate(pairs)})
    s_rows: list[int] = []
    s_cols: list[int] = []
    s_vals: list[int] = []
    for i, pairs in enumerate(adjacent):
        for k, (j, features) in enumerate(pairs):
            s_rows += (nbr0 + k, rev0 + k)
            s_cols += (i, i)
            s_vals += (j, slot_of[j][i])
            rows += [bond0 + k * _B + c for c in features]
            cols += [i] * len(features)
    ones = np.array([rows, cols], dtype=np.intp)
    slots = np.array([s_rows, s_cols, s_vals], dtype=np.intp).reshape(3, -1)
    return ones, slots


def unpack_graphs(
    x: np.ndarray, *, max_neighbours: int = MAX_NEIGHBOURS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split packed graphs ``(N, C, L)`` into their parts (the layout's reference).

    Parameters
    ----------
    x
        ``(N, C, L)`` from :func:`molecule_graphs`.
    max_neighbours
        The ``K`` it was packed with.

    Returns
    -------
    mask
        ``(N, L)`` bool, real atoms.
    atoms
        ``(N, L, A)`` float32 atom features.
    neighbours
        ``(N, L, K)`` int64 neighbour index of each slot, -1 when empty.
    reverse
        ``(N, L, K)`` int64 slot of the neighbour pointing back, -1 when empty.
    bonds
        ``(N, L, K, B)`` float32 bond features of each slot.

    Examples
    --------
    >>> mask, atoms, nbr, rev, bonds = unpack_graphs(molecule_graphs(["C=O"]))
    >>> atoms.shape, nbr.shape, bonds.shape
    ((1, 2, 45), (1, 2, 6), (1, 2, 6, 12))
    >>> [BOND_FEATURES[b] for b in np.flatnonzero(bonds[0, 0, 0])]
    ['double', 'stereo=none']
    """
    _check_neighbours(max_neighbours)
    K = int(max_neighbours)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[1] != graph_channels(K):
        raise InputError(
            f"packed graphs must be (N, {graph_channels(K)}, L) for max_neighbours {K}, "
            f"not {x.shape}"
        )
    N, _, L = x.shape
    nbr0, rev0, bond0 = 1 + _A, 1 + _A + K, 1 + _A + 2 * K
    mask = x[:, 0] > 0.5
    atoms = np.ascontiguousarray(x[:, 1 : 1 + _A].transpose(0, 2, 1), dtype=np.float32)
    neighbours = np.rint(x[:, nbr0:rev0]).astype(np.int64).transpose(0, 2, 1)
    reverse = np.rint(x[:, rev0:bond0]).astype(np.int64).transpose(0, 2, 1)
    bonds = x[:, bond0:].reshape(N, K, _B, L).transpose(0, 3, 1, 2).astype(np.float32)
    return mask, atoms, np.ascontiguousarray(neighbours), np.ascontiguousarray(reverse), bonds


ModelInput = np.ndarray | PackedGraphs
"""What an input kind encodes examples into: one array ``(N, C, L)``, or packed graphs
that are padded batch by batch (:class:`PackedGraphs`)."""
