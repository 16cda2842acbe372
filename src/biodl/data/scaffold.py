"""Splits of molecule sets: Bemis-Murcko scaffolds, random, stratified, scaffold folds.

A random split puts close analogues (same ring system, a changed substituent) on both
sides, so the test set measures how well the model interpolates within a chemical
series. MoleculeNet (Wu et al. 2018) therefore splits BBBP, BACE and HIV by
**Bemis-Murcko scaffold** (Bemis & Murcko 1996: the ring systems and the linkers between
them, side chains removed): every molecule of a scaffold goes to the same split.

* :func:`murcko_scaffold`: the scaffold SMILES of one molecule (RDKit
  ``MurckoScaffoldSmiles``); an acyclic molecule has the empty scaffold ``""``, and all
  acyclic molecules form one group, as in MoleculeNet/DeepChem.
* :func:`scaffold_split`: the deterministic MoleculeNet/DeepChem rule (largest scaffold
  groups to train first), or chemprop's seeded *balanced* scaffold split.
* :func:`random_split`, :func:`stratified_split`: seeded splits by row or by class.
* :func:`scaffold_folds`: cross-validation folds of whole scaffold groups.
* :func:`write_split_file` / :func:`read_split_file`: the split as a TSV (``id``,
  ``split``), so that other tools (DeepChem in the benchmark) get identical sets.

Splits are ``(N,)`` arrays of the strings ``"train"``, ``"valid"`` and ``"test"`` in
input order. RDKit is imported only when a scaffold is computed; without it a
:class:`~biodl.errors.InputError` says how to install it.

Examples
--------
>>> random_split(10, seed=0).tolist().count("train")
8
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.atomic import atomic_open

__all__ = [
    "SPLITS",
    "murcko_scaffold",
    "random_split",
    "read_split_file",
    "scaffold_folds",
    "scaffold_groups",
    "scaffold_split",
    "stratified_split",
    "write_split_file",
]

SPLITS: tuple[str, str, str] = ("train", "valid", "test")
"""The split names, in the order of ``fractions``."""

_RDKIT_MISSING = "scaffold splits need RDKit: pip install 'biodl[chem]'"


def _rdkit() -> Any:
    try:
        from rdkit import Chem
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(_RDKIT_MISSING) from None
    return Chem


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    if len(fractions) != 3:
        raise ValueError(f"fractions must be (train, valid, test), not {tuple(fractions)!r}")
    f = (float(fractions[0]), float(fractions[1]), float(fractions[2]))
    if any(not math.isfinite(x) or x < 0 for x in f) or not math.isclose(sum(f), 1.0):
        raise ValueError(f"fractions must be three numbers >= 0 summing to 1, not {f!r}")
    return f


def murcko_scaffold(smiles: str, *, include_chirality: bool = False) -> str:
    """The Bemis-Murcko scaffold of one molecule, as canonical SMILES.

    Parameters
    ----------
    smiles
        The molecule.
    include_chirality
        Keep stereo centres of the scaffold (MoleculeNet and chemprop do not).

    Returns
    -------
    str
        RDKit's ``MurckoScaffoldSmiles``: ring systems and linkers, side chains removed;
        ``""`` for an acyclic molecule.

    Raises
    ------
    InputError
        An empty or unparsable SMILES (the record names it), or RDKit is not installed.

    Examples
    --------
    >>> murcko_scaffold("CC(C)Cc1ccc(cc1)C(C)C(=O)O")  # ibuprofen
    'c1ccccc1'
    >>> murcko_scaffold("CCO")
    ''
    """
    mol = _parse(smiles)
    from rdkit import rdBase
    from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles

    with rdBase.BlockLogs():
        return str(MurckoScaffoldSmiles(mol=mol, includeChirality=include_chirality))


def _parse(smiles: str) -> Any:
    """The RDKit molecule of ``smiles``, or an InputError naming it."""
    chem = _rdkit()
    from rdkit import rdBase

    text = str(smiles).strip()
    if not text:
        raise InputError("empty SMILES", record=str(smiles))
    with rdBase.BlockLogs():
        mol = chem.MolFromSmiles(text)
    if mol is None:
        raise InputError("RDKit cannot parse this SMILES", record=text)
    return mol


def scaffold_groups(
    smiles: Sequence[str], *, include_chirality: bool = False
) -> dict[str, list[int]]:
    """Row indices of each scaffold, in order of first appearance.

    Each distinct SMILES string is parsed once.

    Examples
    --------
    >>> scaffold_groups(["c1ccccc1O", "CCO", "c1ccccc1N", "CCN"])
    {'c1ccccc1': [0, 2], '': [1, 3]}
    """
    cache: dict[str, str] = {}
    groups: dict[str, list[int]] = {}
    for i, smi in enumerate(smiles):
        scaffold = cache.get(smi)
        if scaffold is None:
            scaffold = cache[smi] = murcko_scaffold(smi, include_chirality=include_chirality)
        groups.setdefault(scaffold, []).append(i)
    return groups


def _labels(n: int, parts: Sequence[Sequence[int] | npt.NDArray[np.int64]]) -> npt.NDArray[np.str_]:
    out = np.empty(n, dtype="<U5")
    for name, rows in zip(SPLITS, parts, strict=True):
        out[np.asarray(rows, dtype=np.int64)] = name
    return out


def scaffold_split(
    smiles: Sequence[str],
    *,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int | None = None,
    balanced: bool = False,
) -> npt.NDArray[np.str_]:
    """Split molecules so that no Bemis-Murcko scaffold spans two splits.

    Parameters
    ----------
    smiles
        N molecules.
    fractions
        Target shares of ``(train, valid, test)``, summing to 1.
    seed
        Only with ``balanced=True`` (default 0 there): the order of the scaffold groups.
        The deterministic split takes no seed.
    balanced
        Use chemprop's balanced scaffold split (below) instead of MoleculeNet's.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` of ``"train"``, ``"valid"``, ``"test"``.

    Raises
    ------
    InputError
        An unparsable SMILES, or no RDKit.
    ValueError
        Bad ``fractions``, or a ``seed`` without ``balanced`` (the deterministic split
        would silently give the same split for every seed).

    Notes
    -----
    **Deterministic** (``balanced=False``; DeepChem 2.8 ``ScaffoldSplitter``, the
    MoleculeNet split): scaffold groups are sorted by size, largest first, ties by the
    group's first row index *descending* (DeepChem sorts ``(len, first index)`` in
    reverse). With ``train_cutoff = f_train * N`` and ``valid_cutoff = (f_train +
    f_valid) * N``, each group in turn goes to train unless ``len(train) + len(group) >
    train_cutoff``; then to valid unless ``len(train) + len(valid) + len(group) >
    valid_cutoff``; else to test. The largest series thus train the model and the test
    set holds the rare scaffolds (singletons), which is the hard, intended setting.

    **Balanced** (``balanced=True``; chemprop ``scaffold_split(balanced=True)``): groups
    larger than half the valid or test size (``f * N / 2``) come first, the rest after,
    each part shuffled with Python's ``random.Random(seed)`` (groups in order of first
    appearance before the shuffle, as chemprop). A group goes to train if
    ``len(train) + len(group) <= f_train * N``, else to valid if ``len(valid) +
    len(group) <= f_valid * N``, else to test. Different seeds give different splits,
    so a model can be trained on several scaffold splits (mean ± sd over seeds).

    Examples
    --------
    >>> smi = ["c1ccccc1C", "c1ccccc1CC", "c1ccccc1N", "C1CCCCC1O", "C1CCCCC1N", "c1ccncc1"]
    >>> scaffold_split(smi, fractions=(0.5, 0.34, 0.16)).tolist()
    ['train', 'train', 'train', 'valid', 'valid', 'test']
    """
    f_train, f_valid, f_test = _check_fractions(fractions)
    if seed is not None and not balanced:
        raise ValueError(
            "the deterministic scaffold split takes no seed; use balanced=True for a "
            "seeded scaffold split"
        )
    n = len(smiles)
    groups = list(scaffold_groups(smiles).values())
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    if not balanced:
        ordered = sorted(groups, key=lambda g: (len(g), g[0]), reverse=True)
        train_cutoff = f_train * n
        valid_cutoff = (f_train + f_valid) * n
        for group in ordered:
            if len(train) + len(group) > train_cutoff:
                if len(train) + len(valid) + len(group) > valid_cutoff:
                    test += group
                else:
                    valid += group
            else:
                train += group
        return _labels(n, (train, valid, test))
    train_size, valid_size, test_size = f_train * n, f_valid * n, f_test * n
    big = [g for g in groups if len(g) > valid_size / 2 or len(g) > test_size / 2]
    small = [g for g in groups if not (len(g) > valid_size / 2 or len(g) > test_size / 2)]
    rng = random.Random(0 if seed is None else seed)
    rng.shuffle(big)
    rng.shuffle(small)
    for group in big + small:
        if len(train) + len(group) <= train_size:
            train += group
        elif len(valid) + len(group) <= valid_size:
            valid += group
        else:
            test += group
    return _labels(n, (train, valid, test))


def random_split(
    n: int, *, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
) -> npt.NDArray[np.str_]:
    """A seeded random split of ``n`` rows.

    The rows are permuted by ``numpy.random.default_rng(seed)``; the first
    ``int(f_train * n)`` go to train, up to ``int((f_train + f_valid) * n)`` to valid,
    the rest to test (DeepChem's ``RandomSplitter`` cut-offs).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` of ``"train"``, ``"valid"``, ``"test"``.

    Examples
    --------
    >>> sorted(random_split(20, seed=1).tolist()).count("test")
    2
    """
    f_train, f_valid, _ = _check_fractions(fractions)
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    order = np.random.default_rng(seed).permutation(n)
    train_cut = int(f_train * n)
    valid_cut = int((f_train + f_valid) * n)
    return _labels(n, (order[:train_cut], order[train_cut:valid_cut], order[valid_cut:]))


def stratified_split(
    y: npt.ArrayLike, *, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
) -> npt.NDArray[np.str_]:
    """A seeded split that keeps each class's share in every split.

    Parameters
    ----------
    y
        Class labels ``(N,)`` (binary or multi-class, numbers or strings), or ``(N, T)``
        multi-task labels: the first task is stratified, and a missing label (NaN) is a
        stratum of its own. Regression targets belong in :func:`random_split`.
    fractions, seed
        As :func:`random_split`.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` of ``"train"``, ``"valid"``, ``"test"``.

    Notes
    -----
    Each stratum (in sorted order) is permuted by one generator seeded with ``seed``;
    ``round(f_valid * n_c)`` of its rows go to valid, ``round(f_test * n_c)`` to test
    (never more than the stratum holds), the rest to train.

    Examples
    --------
    >>> split = stratified_split([0] * 90 + [1] * 10, seed=0)
    >>> [int(((split == "test") & (np.arange(100) >= 90)).sum()), int((split == "test").sum())]
    [1, 10]
    """
    _, f_valid, f_test = _check_fractions(fractions)
    arr = np.asarray(y)
    if arr.ndim == 2:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"y must be (N,) or (N, T), not shape {np.asarray(y).shape}")
    if arr.dtype.kind in "fc":
        keys = np.array(["nan" if np.isnan(v) else repr(float(v)) for v in arr.real])
    else:
        keys = arr.astype(str)
    rng = np.random.default_rng(seed)
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    for key in sorted(set(keys.tolist())):
        rows = rng.permutation(np.flatnonzero(keys == key))
        n_c = len(rows)
        n_valid = min(round(f_valid * n_c), n_c)
        n_test = min(round(f_test * n_c), n_c - n_valid)
        n_train = n_c - n_valid - n_test
        parts[0].extend(rows[:n_train].tolist())
        parts[1].extend(rows[n_train : n_train + n_valid].tolist())
        parts[2].extend(rows[n_train + n_valid :].tolist())
    return _labels(len(arr), parts)


def scaffold_folds(
    smiles: Sequence[str], *, n_folds: int = 5, seed: int = 0
) -> npt.NDArray[np.int64]:
    """Cross-validation folds of whole scaffold groups, balanced by size.

    Groups are taken largest first (ties in the order of a permutation seeded with
    ``seed``), each into the fold with the fewest molecules so far (ties: the lowest
    fold number). The fold sizes then differ by at most the largest group's size; no
    scaffold spans two folds. All acyclic molecules (scaffold ``""``) are one group.

    Parameters
    ----------
    smiles
        N molecules.
    n_folds
        Number of folds, at least 2 and at most the number of scaffolds.
    seed
        Orders groups of equal size.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int fold index in ``0 .. n_folds - 1``.

    Raises
    ------
    InputError
        Fewer scaffolds than folds, an unparsable SMILES, or no RDKit.

    Examples
    --------
    >>> smi = ["c1ccccc1C", "c1ccccc1CC", "C1CCCCC1O", "c1ccncc1", "C1CC1N"]
    >>> folds = scaffold_folds(smi, n_folds=2)
    >>> folds[:2].tolist(), np.bincount(folds).tolist()  # the benzene pair stays together
    ([0, 0], [3, 2])
    """
    if n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, not {n_folds}")
    groups = list(scaffold_groups(smiles).values())
    if len(groups) < n_folds:
        raise InputError(f"{len(groups)} scaffold(s) cannot fill {n_folds} folds: use fewer folds")
    rank = np.empty(len(groups), dtype=np.int64)
    rank[np.random.default_rng(seed).permutation(len(groups))] = np.arange(len(groups))
    order = sorted(range(len(groups)), key=lambda g: (-len(groups[g]), int(rank[g])))
    sizes = [0] * n_folds
    folds = np.empty(len(smiles), dtype=np.int64)
    for g in order:
        k = min(range(n_folds), key=lambda j: (sizes[j], j))
        folds[groups[g]] = k
        sizes[k] += len(groups[g])
    return folds


def write_split_file(
    path: str | os.PathLike[str], ids: Sequence[str], split: npt.ArrayLike
) -> Path:
    """Write ``id<TAB>split`` lines (with the header ``id``, ``split``), atomically.

    The same file can be read by other tools (the DeepChem side of the benchmark) so
    that both train and test on identical sets; :func:`read_split_file` reads it back.

    Raises
    ------
    InputError
        An id holding a tab or a line break, or ids and split of different lengths.

    Examples
    --------
    >>> import tempfile
    >>> p = write_split_file(Path(tempfile.mkdtemp()) / "split.tsv", ["m1", "m2"],
    ...                      np.array(["train", "test"]))
    >>> p.read_text().splitlines()
    ['id\\tsplit', 'm1\\ttrain', 'm2\\ttest']
    >>> read_split_file(p)[1].tolist()
    ['train', 'test']
    """
    labels = np.asarray(split).astype(str)
    if labels.shape != (len(ids),):
        raise InputError(f"{len(ids)} ids but split of shape {labels.shape}", path=path)
    lines = ["id\tsplit\n"]
    for mol_id, name in zip(ids, labels.tolist(), strict=True):
        text = str(mol_id)
        if any(c in text for c in "\t\r\n"):
            raise InputError("an id holds a tab or a line break", path=path, record=text)
        lines.append(f"{text}\t{name}\n")
    with atomic_open(path) as fh:
        fh.writelines(lines)
    return Path(path)


def read_split_file(path: str | os.PathLike[str]) -> tuple[list[str], npt.NDArray[np.str_]]:
    """Read a file of :func:`write_split_file`: ``(ids, split)``.

    Raises
    ------
    InputError
        A missing header, a line without two fields, or a split name not in
        :data:`SPLITS` (the message names file and line).
    """
    ids: list[str] = []
    names: list[str] = []
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n")
        if header != "id\tsplit":
            raise InputError("expected the header 'id<TAB>split'", path=path, line=1)
        for number, line in enumerate(fh, start=2):
            text = line.rstrip("\r\n")
            if not text:
                continue
            fields = text.split("\t")
            if len(fields) != 2 or fields[1] not in SPLITS:
                raise InputError(
                    f"expected 'id<TAB>split' with split one of {', '.join(SPLITS)}",
                    path=path,
                    line=number,
                )
            ids.append(fields[0])
            names.append(fields[1])
    return ids, np.asarray(names, dtype="<U5")
