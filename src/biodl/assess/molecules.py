"""Fitness-for-use checks of molecule models: leakage between splits, applicability domain.

Molecules are compared by the **Tanimoto similarity** of their Morgan fingerprints
(ECFP4: radius 2, 2048 bits, RDKit ``rdFingerprintGenerator``), ``|a AND b| / |a OR b|``
of the bit sets, and by their **Bemis-Murcko scaffolds**
(:func:`biodl.data.scaffold.murcko_scaffold`).

- :func:`tanimoto_nearest`: each query's highest Tanimoto similarity to a reference
  set, computed in blocks with matrix products (``|a AND b| = a . b`` on 0/1 vectors);
- :func:`molecule_leakage` (key ``leakage``): identical molecules, shared scaffolds and
  nearest-neighbour similarity of the test and valid molecules to the training ones.
  Random splits of a medicinal-chemistry set put analogues of one series on both sides
  (most test molecules share a training scaffold); a scaffold split shares none;
- :func:`molecule_applicability` (key ``applicability``): are new molecules like the
  training molecules, judged against the training set's own nearest-neighbour
  similarities?

RDKit is imported only inside the functions that parse SMILES; without it they raise
:class:`~biodl.errors.InputError` with the install command.

Examples
--------
>>> a = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=np.uint8)
>>> tanimoto_nearest(np.array([[1, 1, 1, 0]], dtype=np.uint8), a).tolist()
[0.6666666666666666]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.assess.types import Flag, Item
from biodl.errors import InputError

__all__ = [
    "DESCRIPTOR_NAMES",
    "FP_BITS",
    "FP_DESCRIPTION",
    "FP_RADIUS",
    "fingerprint_features",
    "molecule_applicability",
    "molecule_descriptors",
    "molecule_leakage",
    "scaffolds_of",
    "tanimoto_nearest",
]

FP_RADIUS = 2
"""Morgan radius of the fingerprints compared (ECFP4)."""
FP_BITS = 2048
"""Fingerprint length."""
FP_DESCRIPTION = f"ECFP4 fingerprints ({FP_BITS} bits)"
"""How the checks name the fingerprints they compare (Morgan radius 2, 0/1 bits)."""
DESCRIPTOR_NAMES: tuple[str, ...] = (
    "heavy_atoms",
    "rings",
    "aromatic_rings",
    "fraction_sp3",
    "fraction_heteroatoms",
    "fraction_N",
    "fraction_O",
    "fraction_S",
    "fraction_halogen",
    "h_bond_donors",
    "h_bond_acceptors",
    "rotatable_bonds",
    "tpsa",
    "logp",
)
"""The size and composition descriptors of :func:`molecule_descriptors`."""
MAX_ROWS = 1000
"""At most this many per-molecule rows are kept in the applicability item."""
_EXAMPLES = 10
_RDKIT_MISSING = "molecule checks need RDKit: pip install 'biodl[chem]'"
_BINS = np.round(np.linspace(0.0, 1.0, 11), 1)
#: held-out molecules sharing a training scaffold above this share: amber
SCAFFOLD_AMBER = 0.5
#: held-out molecules with a training neighbour at or above the threshold above this share: amber
NEIGHBOUR_AMBER = 0.2


# --------------------------------------------------------------------------- molecules


@dataclass(frozen=True)
class _Mols:
    """Parsed molecules: canonical SMILES, scaffolds and fingerprints ``(N, FP_BITS)``."""

    smiles: tuple[str, ...]
    canonical: tuple[str, ...]
    scaffolds: tuple[str, ...]
    fps: npt.NDArray[np.uint8]


def _molecules(smiles: Sequence[str], *, scaffolds: bool = True) -> _Mols:
    """Parse each distinct SMILES once; an unparsable one is an InputError naming it."""
    try:
        from rdkit import Chem, rdBase
        from rdkit.Chem import rdFingerprintGenerator
        from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(_RDKIT_MISSING) from None
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)
    seen: dict[str, int] = {}
    canon: list[str] = []
    scaf: list[str] = []
    fps = np.zeros((len(smiles), FP_BITS), dtype=np.uint8)
    rows: list[int] = []
    with rdBase.BlockLogs():
        for smi in smiles:
            text = str(smi).strip()
            if text not in seen:
                mol = Chem.MolFromSmiles(text) if text else None
                if mol is None:
                    why = "empty SMILES" if not text else "RDKit cannot parse this SMILES"
                    raise InputError(why, record=str(smi))
                seen[text] = len(canon)
                canon.append(Chem.MolToSmiles(mol))
                scaf.append(MurckoScaffoldSmiles(mol=mol) if scaffolds else "")
                fps[len(canon) - 1] = generator.GetFingerprintAsNumPy(mol)
            rows.append(seen[text])
    index = np.asarray(rows, dtype=np.int64)
    return _Mols(
        smiles=tuple(str(s) for s in smiles),
        canonical=tuple(canon[i] for i in rows),
        scaffolds=tuple(scaf[i] for i in rows),
        fps=fps[: len(canon)][index] if len(rows) else fps[:0],
    )


def fingerprint_features(smiles: Sequence[str]) -> npt.NDArray[np.float32]:
    """ECFP4 fingerprints (Morgan radius 2, 2048 bits, 0/1) of each SMILES, ``(N, 2048)``
    float32: the features of the molecule baselines (the k-mers of chemistry).

    Raises
    ------
    InputError
        An unparsable SMILES, or no RDKit.

    Examples
    --------
    >>> fingerprint_features(["CCO", "c1ccccc1"]).shape
    (2, 2048)
    """
    from biodl.encode.molecules import morgan_fingerprints

    if not len(smiles):
        return np.zeros((0, FP_BITS), dtype=np.float32)
    bits = morgan_fingerprints(list(smiles), radius=FP_RADIUS, n_bits=FP_BITS)
    return np.asarray(bits, dtype=np.float32)


def scaffolds_of(smiles: Sequence[str]) -> list[str]:
    """The Bemis-Murcko scaffold of each SMILES (``""`` for an acyclic molecule), each
    distinct SMILES parsed once.

    Examples
    --------
    >>> scaffolds_of(["Cc1ccccc1", "CCO", "Cc1ccccc1"])
    ['c1ccccc1', '', 'c1ccccc1']
    """
    return list(_molecules(list(smiles)).scaffolds) if len(smiles) else []


def molecule_descriptors(smiles: Sequence[str]) -> npt.NDArray[np.float64]:
    """Size and composition of each molecule, ``(N, len(DESCRIPTOR_NAMES))`` float64:
    heavy atoms, rings, aromatic rings, the fraction of sp3 carbons, of heteroatoms and
    of N, O, S and halogen atoms among the heavy atoms, H-bond donors and acceptors
    (Lipinski), rotatable bonds, topological polar surface area and Crippen logP.

    Raises
    ------
    InputError
        An unparsable SMILES, or no RDKit.

    Examples
    --------
    >>> d = molecule_descriptors(["c1ccccc1O"])
    >>> dict(zip(DESCRIPTOR_NAMES[:3], d[0, :3].tolist()))
    {'heavy_atoms': 7.0, 'rings': 1.0, 'aromatic_rings': 1.0}
    """
    try:
        from rdkit.Chem import rdMolDescriptors
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(_RDKIT_MISSING) from None
    from biodl.encode.molecules import iter_molecules

    out = np.zeros((len(smiles), len(DESCRIPTOR_NAMES)), dtype=np.float64)
    cache: dict[str, list[float]] = {}
    todo = list(dict.fromkeys(str(x) for x in smiles))
    for text, mol in zip(todo, iter_molecules(todo), strict=True):
        symbols = [a.GetSymbol() for a in mol.GetAtoms()]
        n = max(len(symbols), 1)
        cache[text] = [
            float(len(symbols)),
            float(rdMolDescriptors.CalcNumRings(mol)),
            float(rdMolDescriptors.CalcNumAromaticRings(mol)),
            float(rdMolDescriptors.CalcFractionCSP3(mol)),
            sum(1 for a in symbols if a not in ("C", "H")) / n,
            symbols.count("N") / n,
            symbols.count("O") / n,
            symbols.count("S") / n,
            sum(1 for a in symbols if a in ("F", "Cl", "Br", "I")) / n,
            float(rdMolDescriptors.CalcNumHBD(mol)),
            float(rdMolDescriptors.CalcNumHBA(mol)),
            float(rdMolDescriptors.CalcNumRotatableBonds(mol)),
            float(rdMolDescriptors.CalcTPSA(mol)),
            float(rdMolDescriptors.CalcCrippenDescriptors(mol)[0]),
        ]
    for i, text in enumerate(smiles):
        out[i] = cache[str(text)]
    return out


# --------------------------------------------------------------------------- similarity


def _bits(x: npt.ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N, bits), not shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(f"{name} must hold 0/1 fingerprint bits (unpacked)")
    return arr


def _nearest(
    query: npt.ArrayLike, reference: npt.ArrayLike, *, block: int, exclude_self: bool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Highest Tanimoto similarity of each query and the reference row reaching it
    (NaN and -1 without any reference row)."""
    from scipy.sparse import csr_matrix

    q = _bits(query, "query_fps")
    r = _bits(reference, "reference_fps")
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"fingerprint lengths differ: {q.shape[1]} and {r.shape[1]}")
    if exclude_self and q.shape[0] != r.shape[0]:
        raise ValueError("exclude_self needs the query and the reference to be the same set")
    if block < 1:
        raise ValueError(f"block must be at least 1, not {block}")
    nq, nr = q.shape[0], r.shape[0]
    best = np.full(nq, -1.0, dtype=np.float64)
    arg = np.full(nq, -1, dtype=np.int64)
    r_count = r.sum(axis=1, dtype=np.float64)
    for i0 in range(0, nq, block):
        # fingerprints are sparse (ECFP4: ~40 of 2048 bits on), so a sparse block times
        # a dense one does ~1/50 of the dense product's work (about 3 times faster)
        qb = csr_matrix(q[i0 : i0 + block], dtype=np.float32)
        q_count = np.asarray(qb.sum(axis=1), dtype=np.float64).ravel()
        rows = np.arange(i0, i0 + qb.shape[0])
        for j0 in range(0, nr, block):
            rb = np.ascontiguousarray(r[j0 : j0 + block].T, dtype=np.float32)
            # |a AND b|: exact in float32 for fewer than 2**24 bits; divided in float64
            inter = np.asarray(qb @ rb, dtype=np.float64)
            union = q_count[:, None] + r_count[None, j0 : j0 + rb.shape[1]] - inter
            sim = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
            if exclude_self:
                cols = rows - j0
                hit = (cols >= 0) & (cols < rb.shape[1])
                sim[rows[hit] - i0, cols[hit]] = -1.0
            j = np.argmax(sim, axis=1)
            val = sim[np.arange(len(rows)), j]
            better = val > best[i0 : i0 + len(rows)]
            best[i0 : i0 + len(rows)][better] = val[better]
            arg[i0 : i0 + len(rows)][better] = j[better] + j0
    missing = arg < 0
    best[missing] = np.nan
    return best, arg


def tanimoto_nearest(
    query_fps: npt.ArrayLike,
    reference_fps: npt.ArrayLike,
    *,
    block: int = 2048,
    exclude_self: bool = False,
) -> npt.NDArray[np.float64]:
    """Each query's highest Tanimoto similarity to any reference fingerprint.

    Parameters
    ----------
    query_fps
        ``(Nq, bits)`` 0/1 fingerprints (bool, integer or float), e.g. Morgan ECFP4 of
        2048 bits.
    reference_fps
        ``(Nr, bits)`` 0/1 fingerprints.
    block
        Rows of each side per matrix product: memory stays at a few ``block x block``
        arrays (about 100 MiB for 2048) whatever ``Nq`` and ``Nr``.
    exclude_self
        The query set *is* the reference set (same rows, same order): leave each row's
        own column out (leave-one-out nearest neighbour). Duplicated molecules still
        find each other (similarity 1).

    Returns
    -------
    numpy.ndarray
        ``(Nq,)`` float64 in ``[0, 1]``; NaN where there is no reference row (an empty
        reference, or one row with ``exclude_self``). Two empty fingerprints have
        similarity 0 (as RDKit's ``TanimotoSimilarity``).

    Raises
    ------
    ValueError
        Shapes that do not fit, values other than 0/1, or ``exclude_self`` with sets of
        different sizes.

    Notes
    -----
    For 0/1 vectors, ``|a AND b| = a . b`` and ``|a OR b| = |a| + |b| - a . b``, so a
    block of similarities is one float32 matrix product (a sparse query block times a
    dense reference block, SciPy), exact for integer counts. The time grows as
    ``Nq x Nr x`` (bits on per query): about a minute for 41,127 x 32,900 ECFP4
    fingerprints (HIV) on one CPU thread.

    Examples
    --------
    >>> fps = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1]])
    >>> tanimoto_nearest(fps, fps, exclude_self=True).round(3).tolist()
    [0.667, 0.667, 0.0]
    """
    return _nearest(query_fps, reference_fps, block=block, exclude_self=exclude_self)[0]


def _histogram(values: np.ndarray) -> dict[str, list[float] | list[int]]:
    finite = values[np.isfinite(values)]
    counts, _ = np.histogram(finite, bins=_BINS)
    return {"edges": [float(e) for e in _BINS], "counts": [int(c) for c in counts]}


def _quantiles(values: np.ndarray) -> dict[str, float | None]:
    finite = values[np.isfinite(values)]
    qs = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
    if not finite.size:
        return {f"q{round(q * 100)}": None for q in qs}
    return {
        f"q{round(q * 100)}": float(v) for q, v in zip(qs, np.quantile(finite, qs), strict=True)
    }


# --------------------------------------------------------------------------- leakage

_LEAK_PAIRS: tuple[tuple[str, str], ...] = (
    ("test", "train"),
    ("valid", "train"),
    ("test", "valid"),
)


def _leak_rule(threshold: float) -> str:
    return (
        "red when a molecule (canonical SMILES) occurs in two splits; amber when more than "
        f"{SCAFFOLD_AMBER:.0%} of the test or valid molecules have a Bemis-Murcko scaffold "
        "that occurs in train (acyclic molecules never count), or more than "
        f"{NEIGHBOUR_AMBER:.0%} have a training molecule at Tanimoto >= {threshold:g} "
        f"(Morgan radius {FP_RADIUS}, {FP_BITS} bits); green otherwise"
    )


def _pair_stats(
    held: _Mols, ref: _Mols, *, threshold: float, block: int
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Values of one (held-out, reference) pair and its examples per sub-check."""
    ref_canon: dict[str, int] = {}
    for j, c in enumerate(ref.canonical):
        ref_canon.setdefault(c, j)
    identical = [(i, ref_canon[c]) for i, c in enumerate(held.canonical) if c in ref_canon]
    ref_scaffolds = {s for s in ref.scaffolds if s}
    held_scaffolds = {s for s in held.scaffolds if s}
    sharing = [i for i, s in enumerate(held.scaffolds) if s and s in ref_scaffolds]
    n = len(held.smiles)
    sim, nearest = _nearest(held.fps, ref.fps, block=block, exclude_self=False)
    close = np.flatnonzero(sim >= threshold)
    values: dict[str, Any] = {
        "n": n,
        "n_reference": len(ref.smiles),
        "identical": len(identical),
        "shared_scaffolds": len(held_scaffolds & ref_scaffolds),
        "held_out_scaffolds": len(held_scaffolds),
        "acyclic": sum(1 for s in held.scaffolds if not s),
        "molecules_sharing_scaffold": len(sharing),
        "fraction_sharing_scaffold": len(sharing) / n if n else None,
        "median_nearest_similarity": float(np.median(sim)) if n and len(ref.smiles) else None,
        "nearest_similarity": _quantiles(sim),
        "n_at_or_above_threshold": int(close.size),
        "fraction_at_or_above_threshold": close.size / n if n else None,
        "histogram": _histogram(sim),
    }
    ident_ex = [
        {"smiles": held.smiles[i], "other_smiles": ref.smiles[j], "canonical": held.canonical[i]}
        for i, j in identical[:_EXAMPLES]
    ]
    by_scaffold: dict[str, int] = {}
    for i in sharing:
        by_scaffold[held.scaffolds[i]] = by_scaffold.get(held.scaffolds[i], 0) + 1
    top = sorted(by_scaffold.items(), key=lambda kv: (-kv[1], kv[0]))[:_EXAMPLES]
    scaf_ex = [{"scaffold": s, "held_out_molecules": k} for s, k in top]
    order = close[np.argsort(-sim[close], kind="stable")][:_EXAMPLES]
    sim_ex = [
        {
            "smiles": held.smiles[i],
            "nearest_smiles": ref.smiles[int(nearest[i])],
            "similarity": round(float(sim[i]), 4),
        }
        for i in order
    ]
    return values, ident_ex, scaf_ex, sim_ex


def molecule_leakage(
    split_smiles: Mapping[str, Sequence[str]], *, threshold: float = 0.8, block: int = 2048
) -> Item:
    """Do the held-out molecules repeat, or closely resemble, the training molecules?

    Parameters
    ----------
    split_smiles
        ``{"train": [...], "valid": [...], "test": [...]}`` SMILES per split; valid or
        test may be absent.
    threshold
        Tanimoto similarity from which a training neighbour counts as a near copy
        (0.8 on ECFP4 is a close analogue).
    block
        See :func:`tanimoto_nearest`.

    Returns
    -------
    Item
        Key ``leakage``, with three sub-checks, each ``{"flag", "count", "examples",
        "pairs"}`` where ``pairs`` holds the values per compared pair
        (``test_vs_train``, ``valid_vs_train``, ``test_vs_valid``):

        ``identical``
            Held-out molecules whose canonical SMILES (stereo kept) occurs in the other
            split; red for any, over all three pairs.
        ``shared_scaffold``
            Held-out molecules whose Bemis-Murcko scaffold occurs in the reference split
            (acyclic molecules, scaffold ``""``, excluded), with the distinct shared
            scaffolds; amber when more than half of the test or valid molecules share a
            training scaffold.
        ``nearest_neighbour``
            Each held-out molecule's highest Tanimoto similarity to the reference split:
            median, quantiles, the count and share at or above ``threshold``, and a
            histogram (bins of 0.1 from 0 to 1); amber when more than 20 % of the test or
            valid molecules reach ``threshold`` against train.

        Every pair's values are also in ``pairs`` at the top level
        (``{"test_vs_train": {"n", "identical", "shared_scaffolds",
        "fraction_sharing_scaffold", "median_nearest_similarity", ...}}``).

    Raises
    ------
    InputError
        An unparsable SMILES (the record names it), or no RDKit.

    Examples
    --------
    >>> item = molecule_leakage({"train": ["c1ccccc1CC", "C1CCCCC1N"],
    ...                          "test": ["c1ccccc1CC", "c1ccncc1"]})
    >>> item.flag, item.values["identical"]["count"]
    ('red', 1)
    """
    rule = _leak_rule(threshold)
    present = [name for name in ("train", "valid", "test") if split_smiles.get(name)]
    if "train" not in present or len(present) < 2:
        return Item(
            "leakage",
            "not_assessed",
            rule,
            "Needs molecules in train and in a test or valid split: nothing to compare.",
            {"threshold": threshold},
        )
    mols = {name: _molecules(list(split_smiles[name])) for name in present}
    pairs: dict[str, dict[str, Any]] = {}
    examples: dict[str, list[dict[str, Any]]] = {"identical": [], "scaffold": [], "nn": []}
    for held_name, ref_name in _LEAK_PAIRS:
        if held_name not in mols or ref_name not in mols:
            continue
        key = f"{held_name}_vs_{ref_name}"
        stats, ident, scaf, near = _pair_stats(
            mols[held_name], mols[ref_name], threshold=threshold, block=block
        )
        pairs[key] = stats
        for name, rows in (("identical", ident), ("scaffold", scaf), ("nn", near)):
            examples[name].extend({"pair": key, **row} for row in rows)
    vs_train = {k: v for k, v in pairs.items() if k.endswith("_vs_train")}
    n_identical = sum(v["identical"] for v in pairs.values())
    scaffold_share = max((v["fraction_sharing_scaffold"] or 0.0) for v in vs_train.values())
    near_share = max((v["fraction_at_or_above_threshold"] or 0.0) for v in vs_train.values())
    ident_flag: Flag = "red" if n_identical else "green"
    scaf_flag: Flag = "amber" if scaffold_share > SCAFFOLD_AMBER else "green"
    nn_flag: Flag = "amber" if near_share > NEIGHBOUR_AMBER else "green"
    flag: Flag = (
        "red" if ident_flag == "red" else "amber" if "amber" in (scaf_flag, nn_flag) else "green"
    )

    def sub(field: str) -> dict[str, Any]:
        return {k: v[field] for k, v in pairs.items()}

    values: dict[str, Any] = {
        "threshold": threshold,
        "fingerprint": f"Morgan radius {FP_RADIUS}, {FP_BITS} bits (ECFP4)",
        "n": {name: len(m.smiles) for name, m in mols.items()},
        "identical": {
            "flag": ident_flag,
            "count": n_identical,
            "examples": examples["identical"][:_EXAMPLES],
            "pairs": sub("identical"),
        },
        "shared_scaffold": {
            "flag": scaf_flag,
            "count": sum(v["molecules_sharing_scaffold"] for v in vs_train.values()),
            "max_fraction_vs_train": scaffold_share,
            "examples": examples["scaffold"][:_EXAMPLES],
            "pairs": {
                k: {
                    "molecules": v["molecules_sharing_scaffold"],
                    "fraction": v["fraction_sharing_scaffold"],
                    "shared_scaffolds": v["shared_scaffolds"],
                    "held_out_scaffolds": v["held_out_scaffolds"],
                    "acyclic": v["acyclic"],
                }
                for k, v in pairs.items()
            },
        },
        "nearest_neighbour": {
            "flag": nn_flag,
            "count": sum(v["n_at_or_above_threshold"] for v in vs_train.values()),
            "max_fraction_vs_train": near_share,
            "examples": examples["nn"][:_EXAMPLES],
            "pairs": {
                k: {
                    "median": v["median_nearest_similarity"],
                    "quantiles": v["nearest_similarity"],
                    "at_or_above_threshold": v["n_at_or_above_threshold"],
                    "fraction_at_or_above_threshold": v["fraction_at_or_above_threshold"],
                    "histogram": v["histogram"],
                }
                for k, v in pairs.items()
            },
        },
        "pairs": pairs,
    }
    main = "test_vs_train" if "test_vs_train" in pairs else "valid_vs_train"
    p = pairs[main]
    median = p["median_nearest_similarity"]
    summary = (
        f"{main.replace('_vs_', ' vs ').capitalize()}: {p['identical']:,} identical "
        f"molecule(s), {p['fraction_sharing_scaffold']:.0%} share a training scaffold, "
        f"median nearest-neighbour Tanimoto {median:.2f} "
        f"({p['fraction_at_or_above_threshold']:.0%} at or above {threshold:g})"
    )
    if n_identical and p["identical"] != n_identical:
        summary += f"; {n_identical:,} identical over all pairs"
    return Item("leakage", flag, rule, summary + ".", values)


# --------------------------------------------------------------------------- applicability


def molecule_applicability(
    train_smiles: Sequence[str],
    new_smiles: Sequence[str],
    *,
    threshold: float = 0.4,
    ids: Sequence[str] | None = None,
    quantile: float = 0.05,
    red: float = 0.5,
    amber: float = 0.8,
    max_rows: int = MAX_ROWS,
    block: int = 2048,
    what: str = "new molecules",
) -> Item:
    """Are new molecules inside the chemical space the model was trained on?

    Each new molecule's highest Tanimoto similarity to the training molecules is
    compared with the training molecules' own: each training molecule held out in turn
    and matched to its nearest *other* training molecule. A new molecule is **inside**
    when its similarity is at least the ``quantile`` (5 %) quantile of those, so about
    5 % of molecules drawn like the training set fall outside. The count at or above
    the fixed ``threshold`` (0.4 on ECFP4, a common "similar series" cut) is reported
    beside it.

    Parameters
    ----------
    train_smiles
        The training molecules (two or more).
    new_smiles
        The molecules to predict.
    threshold
        Fixed Tanimoto threshold reported alongside.
    ids
        Identifiers of the new molecules (default: their SMILES).
    quantile
        Quantile of the training leave-one-out similarities that sets the threshold.
    red, amber
        Red when fewer than ``red`` of the new molecules are inside, amber below
        ``amber``.
    max_rows
        Per-molecule rows kept in the item (the first ones, in input order).
    block
        See :func:`tanimoto_nearest`.
    what
        What the new molecules are, in the rule and summary (e.g. ``"test molecules"``
        when a held-out split stands in for new data).

    Returns
    -------
    Item
        Key ``applicability``; values ``fraction_in_domain``, ``n``, ``n_in_domain``,
        ``similarity_threshold`` (the calibrated one), ``quantile``,
        ``fixed_threshold``, ``n_at_or_above_fixed_threshold``, ``n_in_training``
        (identical to a training molecule), ``reference`` (the training leave-one-out
        similarities' quantiles and histogram), ``new_similarity`` (quantiles and
        histogram), ``notes``, ``rows`` (``id``, ``smiles``, ``similarity``,
        ``nearest_train``, ``inside``, ``above_fixed_threshold``; at most ``max_rows``)
        and ``rows_omitted``.

    Raises
    ------
    InputError
        An unparsable SMILES, or no RDKit.

    Examples
    --------
    >>> train = ["c1ccccc1C", "c1ccccc1CC", "c1ccccc1CCC", "c1ccccc1CCCC"]
    >>> item = molecule_applicability(train, ["c1ccccc1CCCCC", "O=C(O)CCCCCCCCC(=O)O"])
    >>> item.flag, [r["inside"] for r in item.values["rows"]]
    ('amber', [True, False])
    """
    rule = (
        f"red when fewer than {red:.0%} of the {what} are inside the training "
        f"domain, amber when fewer than {amber:.0%}; inside = highest Tanimoto similarity "
        f"(Morgan radius {FP_RADIUS}, {FP_BITS} bits) to a training molecule at least the "
        f"{quantile:g} quantile of the training molecules' own (leave-one-out) "
        "nearest-neighbour similarities"
    )
    if len(train_smiles) < 2:
        why = "needs two or more training molecules"
        return Item("applicability", "not_assessed", rule, f"Not assessed: {why}.", {})
    if not len(new_smiles):
        return Item("applicability", "not_assessed", rule, f"Not assessed: no {what}.", {})
    names = [str(s) for s in (new_smiles if ids is None else ids)]
    if len(names) != len(new_smiles):
        raise ValueError(f"{len(names)} ids for {len(new_smiles)} molecules")
    train = _molecules(list(train_smiles), scaffolds=False)
    new = _molecules(list(new_smiles), scaffolds=False)
    loo, _ = _nearest(train.fps, train.fps, block=block, exclude_self=True)
    sim, nearest = _nearest(new.fps, train.fps, block=block, exclude_self=False)
    cut = float(np.quantile(loo, quantile))
    inside = sim >= cut
    fixed = sim >= threshold
    train_canon = set(train.canonical)
    n = len(new.smiles)
    n_in = int(inside.sum())
    frac = n_in / n
    rows = [
        {
            "id": names[i],
            "smiles": new.smiles[i],
            "similarity": round(float(sim[i]), 4),
            "nearest_train": train.smiles[int(nearest[i])],
            "inside": bool(inside[i]),
            "above_fixed_threshold": bool(fixed[i]),
        }
        for i in range(min(n, max_rows))
    ]
    notes = [
        (
            f"Reference: {len(train.smiles):,} training molecules, each matched to its "
            "nearest other training molecule (leave-one-out)."
        ),
        f"Inside: similarity >= {cut:.3f}, the {quantile:g} quantile of those.",
    ]
    if n > max_rows:
        notes.append(f"Rows: the first {max_rows:,} of {n:,} new molecules.")
    values: dict[str, Any] = {
        "fraction_in_domain": frac,
        "n": n,
        "n_in_domain": n_in,
        "similarity_threshold": cut,
        "quantile": quantile,
        "fixed_threshold": threshold,
        "n_at_or_above_fixed_threshold": int(fixed.sum()),
        "fraction_at_or_above_fixed_threshold": float(fixed.mean()),
        "n_in_training": sum(1 for c in new.canonical if c in train_canon),
        "fingerprint": f"Morgan radius {FP_RADIUS}, {FP_BITS} bits (ECFP4)",
        "reference": {
            "n_train": len(train.smiles),
            "leave_one_out": _quantiles(loo),
            "histogram": _histogram(loo),
        },
        "new_similarity": {"quantiles": _quantiles(sim), "histogram": _histogram(sim)},
        "notes": notes,
        "rows": rows,
        "rows_omitted": max(0, n - max_rows),
    }
    flag: Flag = "red" if frac < red else "amber" if frac < amber else "green"
    summary = (
        f"{n_in:,} of {n:,} {what} ({frac:.0%}) are inside the training domain "
        f"(nearest training Tanimoto >= {cut:.2f}); {int(fixed.sum()):,} reach "
        f"{threshold:g}."
    )
    return Item("applicability", flag, rule, summary, values)
