"""Atom attributions for graph models of molecules: which atoms (and bonds) drive a
prediction, and a drawing of them.

Graph models (:mod:`biodl.models.molecules`: ``dmpnn``, ``gin``) read packed molecular
graphs ``(N, C, L)`` (:mod:`biodl.encode.molecules`): channel 0 the atom mask, ``A``
atom-feature channels, ``K`` neighbour-index and ``K`` reverse-slot channels, then
``K * B`` bond-feature channels (slot-major). :func:`atom_attributions` explains a
model by integrated gradients (Gauss-Legendre nodes, as
:func:`biodl.interpret.integrated_gradients`) along the straight path from a baseline
that is the input with its atom-feature and bond-feature channels zeroed: the mask,
neighbour and reverse-slot channels stay those of the input at every point of the
path, so every point is the same graph with weaker features. Attributions land on
atom features and bond features only, and sum to ``f(x) - f(baseline)`` up to the
quadrature error (``delta``).

:func:`atom_scores` turns them into one score per atom of a molecule (bond
contributions split half and half between the bond's two atoms) and
:func:`draw_atom_attributions` draws the molecule with its atoms coloured by score
(red positive, blue negative).

Examples
--------
A model that counts the atom features set (one-hot groups: 6 per atom here) is explained
exactly:

>>> import torch
>>> from biodl.encode.molecules import ATOM_FEATURES, molecule_graphs
>>> class AtomSum(torch.nn.Module):
...     def forward(self, x):
...         return x[:, 1 : 1 + len(ATOM_FEATURES)].sum(dim=(1, 2))[:, None]
>>> x = molecule_graphs(["CCO"])
>>> attr = atom_attributions(AtomSum(), x, device="cpu")
>>> attr.outputs.tolist(), attr.baseline_outputs.tolist()
([18.0], [0.0])
>>> atom_scores(attr, 0).tolist()  # bonds do not move it
[6.0, 6.0, 6.0]
>>> attr.is_complete()
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from biodl.errors import InputError
from biodl.interpret.attribution import (
    _as_array,
    _resolve,
    _torch_dtype,
    path_integral,
)
from biodl.io.atomic import atomic_write_bytes
from biodl.models.validate import check_positive_int

if TYPE_CHECKING:
    from os import PathLike

__all__ = [
    "AtomAttributions",
    "GraphSizes",
    "atom_attributions",
    "atom_scores",
    "draw_atom_attributions",
]

Dtype = Literal["float32", "float64"]


@dataclass(frozen=True)
class AtomAttributions:
    """Integrated gradients of a graph model over atoms and bonds, for a batch of
    packed molecular graphs ``(N, C, L)`` with ``A`` atom features, ``K`` neighbour
    slots and ``B`` bond features.

    Attributes
    ----------
    atoms
        ``(N, L)`` float64: the attribution of each atom position, summed over its atom
        features (0 on padding).
    bonds
        ``(N, L, K)`` float64: the attribution of the bond features of slot ``k`` of atom
        ``i`` (the directed bond ``i -> neighbours[n, i, k]``), summed over its ``B``
        features (0 on empty slots and padding). A bond appears twice, once per
        direction, and each copy has its own attribution.
    features
        ``(N, A, L)`` float64: the attribution of each atom feature at each atom.
    bond_features
        ``(N, L, K, B)`` float64: the attribution of each bond feature of each slot.
    outputs
        ``(N,)`` the explained output ``f(x)``.
    baseline_outputs
        ``(N,)`` the output at the baseline (features zeroed, structure kept).
    delta
        ``(N,)`` the completeness error
        ``atoms.sum() + bonds.sum() - (outputs - baseline_outputs)`` of each molecule;
        it shrinks as ``steps`` grows.
    mask
        ``(N, L)`` bool: real atoms.
    neighbours
        ``(N, L, K)`` int64: the atom each slot points to, -1 for an empty slot.
    target
        The output explained.
    steps
        Quadrature nodes of the integral.
    """

    atoms: npt.NDArray[np.float64]
    bonds: npt.NDArray[np.float64]
    features: npt.NDArray[np.float64]
    bond_features: npt.NDArray[np.float64]
    outputs: npt.NDArray[np.float64]
    baseline_outputs: npt.NDArray[np.float64]
    delta: npt.NDArray[np.float64]
    mask: npt.NDArray[np.bool_]
    neighbours: npt.NDArray[np.int64]
    target: int
    steps: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_atoms(self) -> npt.NDArray[np.int64]:
        """``(N,)`` real atoms of each molecule."""
        return self.mask.sum(axis=1).astype(np.int64)

    @property
    def relative_delta(self) -> npt.NDArray[np.float64]:
        """``(N,)`` ``|delta| / |outputs - baseline_outputs|`` (``inf`` where the
        difference is 0 and ``delta`` is not, 0 where both are)."""
        diff = np.abs(self.outputs - self.baseline_outputs)
        err = np.abs(self.delta)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(diff > 0, err / np.where(diff > 0, diff, 1.0), np.inf)
        return np.where(err == 0, 0.0, rel)

    def is_complete(self, *, rtol: float = 0.05, atol: float = 1e-5) -> bool:
        """Whether every molecule's attributions sum to ``f(x) - f(baseline)``:
        ``|delta| <= atol + rtol * |outputs - baseline_outputs|``.

        Parameters
        ----------
        rtol
            Tolerance relative to ``|f(x) - f(baseline)|``.
        atol
            Absolute tolerance (for molecules whose output hardly moves).
        """
        if rtol < 0 or atol < 0:
            raise InputError(f"rtol and atol must be >= 0, not {rtol} and {atol}")
        diff = np.abs(self.outputs - self.baseline_outputs)
        return bool((np.abs(self.delta) <= atol + rtol * diff).all())


class GraphSizes(Protocol):
    """The sizes of a packed molecular graph: ``A`` atom features, ``K`` neighbour slots,
    ``B`` bond features (as :class:`biodl.models.molecules.GraphLayout` has them)."""

    @property
    def atom_features(self) -> int: ...

    @property
    def max_neighbours(self) -> int: ...

    @property
    def bond_features(self) -> int: ...


def _sizes(layout: object) -> tuple[int, int, int] | None:
    """``(A, K, B)`` of an object with the :class:`GraphSizes` attributes, else None."""
    a, k, b = (
        getattr(layout, n, None) for n in ("atom_features", "max_neighbours", "bond_features")
    )
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (a, k, b)):
        return None
    return int(a), int(k), int(b)  # type: ignore[arg-type]


def _layout(model: nn.Module, channels: int, layout: GraphSizes | None) -> tuple[int, int, int]:
    """``(A, K, B)`` of the input: ``layout``, else the ``layout`` of a graph trunk of
    ``model`` (the zoo's graph models keep one), else biodl's featuriser's (``A``, ``B``
    of :mod:`biodl.encode.molecules`, ``K`` from ``C``)."""
    from biodl.encode.molecules import ATOM_FEATURES, BOND_FEATURES

    if layout is not None:
        sizes = _sizes(layout)
        if sizes is None:
            raise InputError(
                "layout must have integer atom_features, max_neighbours and bond_features, "
                f"not {layout!r}"
            )
    else:
        found = (_sizes(getattr(m, "layout", None)) for m in model.modules())
        sizes = next((f for f in found if f is not None), None)
    if sizes is None:
        a, b = len(ATOM_FEATURES), len(BOND_FEATURES)
        k, rest = divmod(channels - 1 - a, 2 + b)
        if rest or k < 1:
            raise InputError(
                f"X has {channels} channels: not a packed molecular graph of biodl's "
                f"featuriser (1 + {a} + K * {2 + b}); pass layout="
            )
        sizes = (a, k, b)
    a, k, b = sizes
    if 1 + a + 2 * k + k * b != channels:
        raise InputError(
            f"X has {channels} channels, not the {1 + a + 2 * k + k * b} of a packed "
            f"molecular graph with A={a}, K={k}, B={b}"
        )
    return sizes


def _integrated_gradients(
    model: nn.Module,
    X: np.ndarray,
    features_at: npt.NDArray[np.bool_],
    *,
    target: int,
    steps: int,
    batch_size: int,
    device: torch.device,
    dtype: torch.dtype,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Integrated gradients from ``X`` with the channels ``features_at`` zeroed.

    As :func:`biodl.interpret.integrated_gradients` (Gauss-Legendre nodes on ``[0, 1]``)
    with that baseline, kept in ``dtype`` to the end: ``(N, C, L)`` attributions
    (float64), ``(N,)`` ``f(x)`` and ``(N,)`` ``f(baseline)``.
    """
    base = np.where(features_at[None, :, None], 0, X)  # X on the structure channels
    values, outs, refs = path_integral(
        model,
        X,
        base,
        target=target,
        n_steps=steps,
        batch_size=batch_size,
        device=device,
        dtype=dtype,
        desc="atom attributions",
    )
    return values.double().numpy(), outs, refs


def atom_attributions(
    model: nn.Module,
    X: npt.ArrayLike | torch.Tensor,
    *,
    target: int = 0,
    steps: int = 50,
    batch_size: int = 1024,
    device: str | torch.device | None = None,
    dtype: Dtype = "float32",
    layout: GraphSizes | None = None,
) -> AtomAttributions:
    """Integrated gradients of a graph model over the atom and bond features.

    The baseline of each molecule is the molecule itself with its atom-feature and
    bond-feature channels set to 0; the atom mask, neighbour and reverse-slot channels
    are never moved (the path stays on the molecule's graph). The integral uses
    ``steps`` Gauss-Legendre nodes, as :func:`biodl.interpret.integrated_gradients`.

    Parameters
    ----------
    model
        Maps packed graphs ``(N, C, L)`` to ``(N, T)`` (``dmpnn``, ``gin``...).
    X
        Packed molecular graphs ``(N, C, L)``
        (:func:`biodl.encode.molecules.molecule_graphs`).
    target
        Output to explain.
    steps
        Quadrature nodes; more nodes, smaller ``delta``.
    batch_size
        Inputs per forward pass, path points included (``batch_size // steps``
        molecules at a time); the result does not depend on it beyond float rounding.
    device
        Torch device; default :func:`biodl.models.predict.default_device`.
    dtype
        Compute in ``float32`` or ``float64``.
    layout
        ``A``, ``K``, ``B`` of ``X``: a :class:`biodl.models.molecules.GraphLayout` or
        any object with its three attributes (:class:`GraphSizes`); default: the
        ``layout`` of the model's graph trunk (the zoo's ``dmpnn`` and ``gin`` keep
        one), else biodl's featuriser's (:mod:`biodl.encode.molecules`) with ``K`` from
        ``C``.

    Returns
    -------
    AtomAttributions
        Per atom, per slot, per feature attributions with ``outputs``,
        ``baseline_outputs`` and the completeness error ``delta``.

    Raises
    ------
    InputError
        ``X`` is not ``(N, C, L)`` of finite numbers, ``C`` does not match the layout,
        channel 0 is not a 0/1 mask, ``target`` is out of range, ``steps`` or
        ``batch_size`` is not a positive integer.

    Examples
    --------
    >>> from biodl.encode.molecules import ATOM_FEATURES, molecule_graphs
    >>> class BondSum(torch.nn.Module):  # 1 per bond feature set, either direction
    ...     def forward(self, x):
    ...         return x[:, 1 + len(ATOM_FEATURES) + 12 :].sum(dim=(1, 2))[:, None]
    >>> attr = atom_attributions(BondSum(), molecule_graphs(["C=O"]), steps=4, device="cpu")
    >>> attr.bonds[0, :, 0].tolist(), attr.atoms[0].tolist()
    ([2.0, 2.0], [0.0, 0.0])
    >>> atom_scores(attr, 0).tolist()  # the bond's 4 split between C and O
    [2.0, 2.0]
    """
    arr = _as_array(X)
    check_positive_int("steps", steps)
    check_positive_int("batch_size", batch_size)
    n, c, length = arr.shape
    a, k, b = _layout(model, c, layout)
    if not np.isin(arr[:, 0], (0.0, 1.0)).all():
        raise InputError("channel 0 of X (the atom mask) must be 0 or 1")
    bond0 = 1 + a + 2 * k
    features_at = np.zeros(c, dtype=bool)
    features_at[1 : 1 + a] = features_at[bond0:] = True
    values, fx, fb = _integrated_gradients(
        model, arr, features_at, target=target, steps=steps, batch_size=batch_size,
        device=_resolve(device), dtype=_torch_dtype(dtype),
    )  # fmt: skip
    features = values[:, 1 : 1 + a]
    bond_features = values[:, bond0:].reshape(n, k, b, length).transpose(0, 3, 1, 2)
    atoms = features.sum(axis=1)
    bonds = bond_features.sum(axis=3)
    delta = atoms.sum(axis=1) + bonds.sum(axis=(1, 2)) - (fx - fb)
    neighbours = np.rint(arr[:, 1 + a : 1 + a + k]).astype(np.int64).transpose(0, 2, 1)
    return AtomAttributions(
        atoms=atoms,
        bonds=np.ascontiguousarray(bonds),
        features=np.ascontiguousarray(features),
        bond_features=np.ascontiguousarray(bond_features),
        outputs=fx,
        baseline_outputs=fb,
        delta=delta,
        mask=arr[:, 0] > 0.5,
        neighbours=np.ascontiguousarray(neighbours),
        target=target,
        steps=steps,
        info={"method": "integrated_gradients", "dtype": dtype, "layout": (a, k, b)},
    )


def atom_scores(attr: AtomAttributions, i: int, *, bonds: bool = True) -> npt.NDArray[np.float64]:
    """One score per real atom of molecule ``i``, in RDKit's atom order.

    The score of an atom is the attribution of its atom features plus, with ``bonds``,
    half of every attribution on its bonds: the attribution of slot ``k`` of atom ``p``
    (the directed copy ``p -> q`` of bond ``p-q``) goes half to ``p`` and half to ``q``.
    A bond has two slots (``p -> q`` and ``q -> p``), so each of its atoms gets half of
    the bond's total (the two slots' sum); each slot is shared out once, never counted
    twice, and the scores sum to ``atoms.sum() + bonds.sum()`` of the molecule, that is
    ``outputs - baseline_outputs`` up to ``delta``.

    Parameters
    ----------
    attr
        From :func:`atom_attributions`.
    i
        The molecule (row of the batch).
    bonds
        Add the bond shares (default); ``False``: atom features only.

    Returns
    -------
    numpy.ndarray
        ``(n_atoms,)`` float64, the atoms of the molecule in their packed (RDKit) order.

    Raises
    ------
    InputError
        ``i`` is not a molecule of the batch.

    Examples
    --------
    See :func:`atom_attributions`.
    """
    n = attr.atoms.shape[0]
    if isinstance(i, bool) or not isinstance(i, int | np.integer) or not -n <= i < n:
        raise InputError(f"molecule {i!r} is not in a batch of {n}")
    total = attr.atoms[i].copy()
    if bonds:
        share = attr.bonds[i] / 2.0
        nbr = attr.neighbours[i]
        filled = (nbr >= 0) & attr.mask[i][:, None]
        total += np.where(filled, share, 0.0).sum(axis=1)
        np.add.at(total, nbr[filled], share[filled])
    return total[attr.mask[i]]


def _colour(score: float, scale: float) -> tuple[float, float, float]:
    """White at 0, to red (positive) or blue (negative) at ``|score| == scale``."""
    t = min(abs(score) / scale, 1.0) if scale > 0 else 0.0
    fade = 1.0 - 0.75 * t
    return (1.0, fade, fade) if score >= 0 else (fade, fade, 1.0)


def draw_atom_attributions(
    smiles: str,
    scores: npt.ArrayLike,
    *,
    path: str | PathLike[str] | None = None,
    size: tuple[int, int] = (400, 300),
    scale: float | None = None,
    labels: bool = False,
) -> bytes:
    """Draw the 2-D structure of ``smiles`` with each atom coloured by its score.

    Atoms are highlighted from white (0) to red (positive) or blue (negative), full
    colour at ``|score| == scale``. The atoms are those of the packed graph:
    ``smiles`` is parsed by :func:`biodl.io.molecules.parse_smiles` as
    :func:`biodl.encode.molecules.molecule_graphs` parses it, so ``scores`` from
    :func:`atom_scores` line up.

    Parameters
    ----------
    smiles
        The molecule.
    scores
        ``(n_atoms,)`` one score per (heavy) atom, in RDKit's order.
    path
        Also write the PNG here (atomically).
    size
        ``(width, height)`` in pixels.
    scale
        The ``|score|`` drawn in full colour; default the largest ``|score|``.
    labels
        Write each atom's score next to it.

    Returns
    -------
    bytes
        The PNG.

    Raises
    ------
    InputError
        RDKit is missing; ``smiles`` is invalid; ``scores`` do not have one finite value
        per atom (naming the SMILES); ``size`` or ``scale`` is not positive.

    Examples
    --------
    >>> png = draw_atom_attributions("CCO", [0.5, 0.0, -1.0])
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from biodl.io.molecules import parse_smiles, require_rdkit

    require_rdkit("drawing molecules")
    from rdkit.Chem.Draw import rdMolDraw2D

    width, height = size
    check_positive_int("width", width)
    check_positive_int("height", height)
    mol = parse_smiles(smiles)
    if mol is None:
        raise InputError("invalid SMILES", record=smiles)
    values = np.asarray(scores, dtype=np.float64)
    n = mol.GetNumAtoms()
    if values.shape != (n,):
        raise InputError(
            f"{values.shape[0] if values.ndim == 1 else values.shape} scores for a molecule "
            f"of {n} atoms",
            record=smiles,
        )
    if not np.isfinite(values).all():
        raise InputError("scores has NaN or infinite values", record=smiles)
    if scale is not None and not scale > 0:
        raise InputError(f"scale must be positive, not {scale}")
    top = float(np.abs(values).max()) if scale is None else float(scale)
    colours = {j: _colour(float(v), top) for j, v in enumerate(values)}
    if labels:
        for j, v in enumerate(values):
            mol.GetAtomWithIdx(j).SetProp("atomNote", f"{v:.2g}")
    drawer = rdMolDraw2D.MolDraw2DCairo(width, height)
    rdMolDraw2D.PrepareAndDrawMolecule(
        drawer,
        mol,
        highlightAtoms=list(colours),
        highlightAtomColors=colours,
        highlightBonds=[],
    )
    drawer.FinishDrawing()
    png = bytes(drawer.GetDrawingText())
    if path is not None:
        atomic_write_bytes(path, png)
    return png
