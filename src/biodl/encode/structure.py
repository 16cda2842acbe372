"""RNA secondary structure features from ViennaRNA, channels first.

Structure is predicted with the ViennaRNA package (Lorenz et al. 2011, *Algorithms Mol
Biol* 6:26; the optional extra ``pip install 'biodl[rna]'``), with its default energy
model (Turner 2004 parameters) at ``temperature`` degrees Celsius:

- :func:`fold`: the minimum free energy (MFE) structure of each sequence, as
  :class:`Fold` records (dot-bracket, MFE in kcal/mol, partner index of each base).
- :func:`pair_probabilities`: base-pair probabilities from the partition function
  (McCaskill), an ``(N, L, L)`` symmetric matrix per batch.
- :func:`structure_one_hot`, :func:`paired_probability` and
  :func:`sequence_and_structure`: per-position channels for a 1-D CNN.
- :func:`structure_tensor`: those channels and the pair-probability matrix packed in
  one ``(N, 8 + L, L)`` array, for a model with a 2-D branch
  (:mod:`biodl.models.deepmir`); ``N`` padding at the ends is not folded.

**Sequences.** DNA is folded as RNA: ``T`` is read as ``U`` (so a DNA sequence gets the
RNA energy model, not DNA parameters). Lower case is accepted; ``N`` never pairs. Any
other letter raises :class:`~biodl.errors.InputError`.

**Speed.** Each sequence is folded once per call even if it occurs many times. Above
about a second of estimated work (``L**2`` microseconds per sequence for the MFE, three
times that with the partition function) the sequences are spread over ``n_jobs``
worker processes (:class:`concurrent.futures.ProcessPoolExecutor`); results come back
in input order and are identical to a serial run. Workers are started with the
``"spawn"`` method, which is safe in a process that already runs torch threads or CUDA
(``"fork"`` is not), so a script that calls these functions at its top level must guard
it with ``if __name__ == "__main__":`` as :mod:`multiprocessing` requires.

**Cache.** With ``cache_dir``, each result is stored in a small ``.npz`` file named by
the SHA-256 of the sequence, temperature, ViennaRNA version and the kind of result
(``mfe`` or ``bpp``), and read back (with ``allow_pickle=False``) on later calls instead
of folding again. Files are written atomically, so several processes may share a
cache; an unreadable file is recomputed and replaced. Without ``cache_dir`` nothing is
written to disk.

Examples
--------
>>> (hairpin,) = fold(["GGGGAAACCCC"])
>>> hairpin.structure, hairpin.mfe
('((((...))))', -4.5)
>>> hairpin.pairs.tolist()
[10, 9, 8, 7, -1, -1, -1, 3, 2, 1, 0]
>>> structure_one_hot(["GGGGAAACCCC"]).shape
(1, 3, 11)
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import math
import multiprocessing
import os
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from biodl.encode.onehot import one_hot
from biodl.errors import InputError
from biodl.io.alphabet import find_illegal
from biodl.io.atomic import atomic_open
from biodl.progress import progress

__all__ = [
    "Fold",
    "fold",
    "pair_probabilities",
    "paired_probability",
    "sequence_and_structure",
    "structure_one_hot",
    "structure_tensor",
]

_INSTALL_MESSAGE = (
    "RNA secondary structure needs the ViennaRNA package: pip install 'biodl[rna]' "
    "(or pip install ViennaRNA)"
)

_CACHE_FORMAT = "biodl.encode.structure/1"
"""Part of every cache key: bump it when the stored arrays change."""

_SECONDS_PER_NT2 = 1e-6
"""Rough MFE folding time per squared nucleotide (100 nt: about 10 ms on one core)."""

_PARALLEL_MIN_SECONDS = 1.0
"""Estimated serial time above which folding goes to worker processes (each one takes a
few tenths of a second to start)."""

_Kind = Literal["mfe", "bpp"]


@dataclass(frozen=True, eq=False)
class Fold:
    """The minimum free energy structure of one sequence.

    Attributes
    ----------
    sequence
        The RNA that was folded: upper case, with ``T`` written as ``U``.
    structure
        Dot-bracket string of length ``L``: ``(`` pairs with a later ``)``, ``.`` is
        unpaired. No pseudoknots.
    mfe
        Minimum free energy in kcal/mol (``<= 0``; 0 for an unfolded sequence), to
        ViennaRNA's resolution of 0.01 kcal/mol.
    pairs
        Shape ``(L,)``, int64, read-only: 0-based index of each base's partner, or -1
        when unpaired, so ``pairs[pairs[i]] == i`` for every paired ``i``.

    Two folds are equal when all four fields are equal.

    Examples
    --------
    >>> f = fold(["GGGAAACCC"])[0]
    >>> f.structure, f.pairs[0], f.pairs[4]
    ('(((...)))', np.int64(8), np.int64(-1))
    """

    sequence: str
    structure: str
    mfe: float
    pairs: npt.NDArray[np.int64]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fold):
            return NotImplemented
        return (
            self.sequence == other.sequence
            and self.structure == other.structure
            and self.mfe == other.mfe
            and np.array_equal(self.pairs, other.pairs)
        )

    def __hash__(self) -> int:
        return hash((self.sequence, self.structure, self.mfe))


# ---------------------------------------------------------------------------------------
# ViennaRNA calls (these run in worker processes too)


def _import_rna() -> ModuleType:
    """The ``RNA`` module, or the install-this error."""
    try:
        import RNA
    except ImportError as exc:
        raise ModuleNotFoundError(_INSTALL_MESSAGE) from exc
    return RNA


@lru_cache(maxsize=8)
def _upper_indices(length: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Row and column of each stored pair probability (``i < j``, row-major)."""
    rows, cols = np.triu_indices(length, 1)
    rows.setflags(write=False)
    cols.setflags(write=False)
    return rows, cols


@dataclass(frozen=True)
class _Result:
    """What one folding gives: the MFE structure, and pair probabilities if asked."""

    structure: str
    mfe: float
    pairs: npt.NDArray[np.int64]
    upper: npt.NDArray[np.float32] | None  # (L (L - 1) / 2,) p_ij for i < j, row-major


def _fold_one(task: tuple[str, float, bool]) -> _Result:
    """Fold one upper-case RNA sequence with ViennaRNA (in this process)."""
    seq, temperature, want_bpp = task
    length = len(seq)
    if length == 0:
        empty = np.zeros(0, dtype=np.float32) if want_bpp else None
        return _Result("", 0.0, np.zeros(0, dtype=np.int64), empty)
    RNA = _import_rna()
    model = RNA.md()
    model.temperature = temperature
    compound = RNA.fold_compound(seq, model)
    structure, mfe = compound.mfe()
    table = np.asarray(list(RNA.ptable(structure))[1:], dtype=np.int64)  # 1-based, 0 = unpaired
    upper = None
    if want_bpp:
        compound.exp_params_rescale(mfe)  # scale Boltzmann factors: no overflow on long RNAs
        compound.pf()
        probs = np.asarray(compound.bpp(), dtype=np.float64)  # (L+1, L+1), 1-based, i < j
        upper = probs[1:, 1:][_upper_indices(length)].astype(np.float32)
    # ViennaRNA's energies are whole dcal/mol returned as float32: round off the float32
    # noise (-31.600000381 -> -31.6); + 0.0 turns -0.0 into 0.0.
    return _Result(structure, round(float(mfe), 2) + 0.0, table - 1, upper)


# ---------------------------------------------------------------------------------------
# The content-addressed cache


def _cache_path(cache_dir: Path, kind: _Kind, seq: str, temperature: float, version: str) -> Path:
    text = f"{_CACHE_FORMAT}\0{kind}\0{version}\0{temperature.hex()}\0{seq}"
    key = hashlib.sha256(text.encode("ascii")).hexdigest()
    return cache_dir / key[:2] / f"{key}.npz"


def _cache_load(path: Path, seq: str) -> dict[str, npt.NDArray[Any]] | None:
    """The arrays stored for ``seq`` at ``path``; None if absent, unreadable or foreign."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None  # a truncated or foreign file: recompute and overwrite it
    if "sequence" not in arrays or str(arrays["sequence"]) != seq:
        return None
    return arrays


def _cache_save(path: Path, arrays: dict[str, Any]) -> None:
    """Write ``arrays`` to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _from_cache(
    seq: str, temperature: float, want_bpp: bool, cache_dir: Path, version: str
) -> _Result | None:
    mfe = _cache_load(_cache_path(cache_dir, "mfe", seq, temperature, version), seq)
    if mfe is None or not {"structure", "mfe", "pairs"} <= mfe.keys():
        return None
    upper = None
    if want_bpp:
        bpp = _cache_load(_cache_path(cache_dir, "bpp", seq, temperature, version), seq)
        if bpp is None or "upper" not in bpp:
            return None
        upper = bpp["upper"].astype(np.float32, copy=False)
        if upper.shape != (len(seq) * (len(seq) - 1) // 2,):
            return None
    pairs = mfe["pairs"].astype(np.int64)
    structure = str(mfe["structure"])
    if pairs.shape != (len(seq),) or len(structure) != len(seq):
        return None
    return _Result(structure, float(mfe["mfe"]), pairs, upper)


def _to_cache(seq: str, temperature: float, result: _Result, cache_dir: Path, version: str) -> None:
    name = np.array(seq)
    _cache_save(
        _cache_path(cache_dir, "mfe", seq, temperature, version),
        {
            "sequence": name,
            "structure": np.array(result.structure),
            "mfe": np.array(result.mfe, dtype=np.float64),
            "pairs": result.pairs.astype(np.int32),
        },
    )
    if result.upper is not None:
        _cache_save(
            _cache_path(cache_dir, "bpp", seq, temperature, version),
            {"sequence": name, "upper": result.upper},
        )


# ---------------------------------------------------------------------------------------
# Input checks and the folding driver


def _to_rna(sequences: str | Sequence[str]) -> list[str]:
    """Upper-case RNA (``T`` -> ``U``) of each sequence; InputError on illegal letters."""
    seqs = [sequences] if isinstance(sequences, str) else list(sequences)
    out = []
    for index, seq in enumerate(seqs):
        if not isinstance(seq, str):
            raise InputError(f"sequence {index} is a {type(seq).__name__}, not a string")
        rna = seq.replace("T", "U").replace("t", "u")
        bad = find_illegal(rna, "rna")
        if bad >= 0:
            raise InputError(
                f"illegal character {seq[bad]!r} at column {bad + 1} of sequence {index} "
                "(RNA structure accepts A, C, G, U, T and N)"
            )
        out.append(rna.upper())
    return out


def _check_temperature(temperature: float) -> float:
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= -273.15:
        raise InputError(
            f"temperature must be a finite number of degrees Celsius above -273.15, "
            f"not {temperature!r}"
        )
    return value


def _workers(n_jobs: int | None) -> int:
    if n_jobs is None:
        return os.cpu_count() or 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise InputError(f"n_jobs must be a positive integer or None, not {n_jobs!r}")
    return n_jobs


def _common_length(seqs: Sequence[str]) -> int:
    if not seqs:
        return 0
    length = len(seqs[0])
    for index, seq in enumerate(seqs):
        if len(seq) != length:
            raise InputError(
                f"sequences must all have the same length to be stacked into one array: "
                f"sequence 0 has length {length}, sequence {index} has length {len(seq)}; "
                "use biodl.encode.pad_or_crop_all to bring them to one length"
            )
    return length


def _compute(
    seqs: Iterable[str],
    *,
    temperature: float,
    n_jobs: int | None,
    cache_dir: str | os.PathLike[str] | None,
    want_bpp: bool,
) -> dict[str, _Result]:
    """Fold every distinct sequence once: from the cache, serially or in parallel."""
    temperature = _check_temperature(temperature)
    workers = _workers(n_jobs)
    RNA = _import_rna()
    version = str(RNA.__version__)
    folder = None if cache_dir is None else Path(cache_dir)
    results: dict[str, _Result] = {}
    missing: list[str] = []
    for seq in dict.fromkeys(seqs):
        cached = (
            None if folder is None else _from_cache(seq, temperature, want_bpp, folder, version)
        )
        if cached is None:
            missing.append(seq)
        else:
            results[seq] = cached
    tasks = [(seq, temperature, want_bpp) for seq in missing]
    workers = min(workers, len(tasks))
    seconds = _SECONDS_PER_NT2 * (3 if want_bpp else 1) * sum(len(s) ** 2 for s in missing)

    def keep(seq: str, result: _Result) -> None:
        results[seq] = result
        if folder is not None:  # cached as results arrive: an interrupted run keeps its work
            _to_cache(seq, temperature, result, folder, version)

    desc = f"ViennaRNA folding ({'partition function' if want_bpp else 'MFE'})"
    if workers > 1 and seconds >= _PARALLEL_MIN_SECONDS:
        context = multiprocessing.get_context("spawn")
        chunk = max(1, len(tasks) // (8 * workers))
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            computed = pool.map(_fold_one, tasks, chunksize=chunk)  # in input order
            pairs = zip(tasks, computed, strict=True)
            for task, result in progress(pairs, total=len(tasks), desc=desc, unit="seq"):
                keep(task[0], result)
    else:
        for task in progress(tasks, desc=desc, unit="seq"):
            keep(task[0], _fold_one(task))
    return results


def _probability_matrix(result: _Result, length: int) -> npt.NDArray[np.float32]:
    """The symmetric ``(L, L)`` pair-probability matrix of one result."""
    matrix = np.zeros((length, length), dtype=np.float32)
    if result.upper is not None and length > 1:
        rows, cols = _upper_indices(length)
        matrix[rows, cols] = result.upper
        matrix[cols, rows] = result.upper
    return matrix


def _paired(result: _Result, length: int) -> npt.NDArray[np.float32]:
    """Probability that each base is paired (with anything), shape ``(L,)``."""
    if result.upper is None or length < 2:
        return np.zeros(length, dtype=np.float32)
    rows, cols = _upper_indices(length)
    weights = result.upper.astype(np.float64)
    total = np.bincount(rows, weights, length) + np.bincount(cols, weights, length)
    return np.clip(total, 0.0, 1.0).astype(np.float32)


def _structure_channels(structures: Sequence[str], length: int) -> npt.NDArray[np.float32]:
    """``(N, 3, L)`` indicators of ``(``, ``)`` and ``.``, vectorised over the batch."""
    text = np.frombuffer("".join(structures).encode("ascii"), dtype=np.uint8)
    text = text.reshape(len(structures), length)
    symbols = np.frombuffer(b"().", dtype=np.uint8)
    return (text[:, None, :] == symbols[None, :, None]).astype(np.float32)


# ---------------------------------------------------------------------------------------
# Public functions


def fold(
    sequences: str | Sequence[str],
    *,
    temperature: float = 37.0,
    n_jobs: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> list[Fold]:
    """Minimum free energy secondary structure of each sequence (ViennaRNA).

    Parameters
    ----------
    sequences
        RNA or DNA sequences of any lengths (``T`` is folded as ``U``; ``N`` never
        pairs). A single string is folded as a batch of one.
    temperature
        Folding temperature in degrees Celsius.
    n_jobs
        Worker processes for large batches; ``None``: :func:`os.cpu_count`, ``1``:
        fold in this process.
    cache_dir
        Folder of the on-disk cache (created if needed); ``None``: no disk cache.

    Returns
    -------
    list[Fold]
        One :class:`Fold` per input sequence, in input order.

    Raises
    ------
    InputError
        A letter outside ``ACGUTN`` (either case), a bad temperature or ``n_jobs``.
    ModuleNotFoundError
        ViennaRNA is not installed (``pip install 'biodl[rna]'``).

    Examples
    --------
    >>> [f.structure for f in fold(["GGGGAAACCCC", "gggaaaccc", "AAAA"])]
    ['((((...))))', '(((...)))', '....']
    >>> fold("GGGGTTTCCCC")[0].sequence  # DNA is folded as RNA
    'GGGGUUUCCCC'
    >>> fold("GGGGAAACCCC", temperature=70.0)[0].mfe > fold("GGGGAAACCCC")[0].mfe
    True
    """
    seqs = _to_rna(sequences)
    results = _compute(
        seqs, temperature=temperature, n_jobs=n_jobs, cache_dir=cache_dir, want_bpp=False
    )
    folds: dict[str, Fold] = {}
    for seq in results:
        pairs = results[seq].pairs.copy()
        pairs.setflags(write=False)
        folds[seq] = Fold(seq, results[seq].structure, results[seq].mfe, pairs)
    return [folds[seq] for seq in seqs]


def pair_probabilities(
    sequences: str | Sequence[str],
    *,
    temperature: float = 37.0,
    n_jobs: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    max_length: int | None = None,
) -> npt.NDArray[np.float32]:
    """Base-pair probability matrices from the partition function (ViennaRNA).

    ``P[n, i, j]`` is the probability, over the Boltzmann ensemble of structures of
    sequence ``n``, that bases ``i`` and ``j`` pair. ViennaRNA gives the upper triangle
    (1-based); this returns the full symmetric matrix, 0-based, with a zero diagonal.
    Row sums are the probabilities that each base is paired (:func:`paired_probability`).

    Parameters
    ----------
    sequences
        Sequences all of length ``L`` (see :func:`fold`). A single string is a batch of
        one.
    temperature, n_jobs, cache_dir
        As in :func:`fold`.
    max_length
        Refuse sequences longer than this, before any folding: the output takes
        ``4 N L**2`` bytes and the partition function ``O(L**3)`` time. ``None``: no
        limit.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, L, L)``, float32, symmetric, values in ``[0, 1]``.

    Raises
    ------
    InputError
        Sequences of different lengths (bring them to one with
        :func:`biodl.encode.pad_or_crop_all`), longer than ``max_length``, or as in
        :func:`fold`.
    ModuleNotFoundError
        ViennaRNA is not installed.

    Examples
    --------
    >>> P = pair_probabilities(["GGGGAAACCCC"])
    >>> P.shape, bool((P == P.transpose(0, 2, 1)).all())
    ((1, 11, 11), True)
    >>> bool(P[0, 0, 10] > 0.5)  # the outer G-C pair of the hairpin
    True
    """
    seqs = _to_rna(sequences)
    length = _common_length(seqs)
    if max_length is not None and length > max_length:
        raise InputError(
            f"sequences have length {length}, more than max_length={max_length}; crop them "
            "with biodl.encode.pad_or_crop_all or raise max_length"
        )
    results = _compute(
        seqs, temperature=temperature, n_jobs=n_jobs, cache_dir=cache_dir, want_bpp=True
    )
    out = np.empty((len(seqs), length, length), dtype=np.float32)
    for index, seq in enumerate(seqs):
        out[index] = _probability_matrix(results[seq], length)
    return out


def structure_one_hot(
    sequences: str | Sequence[str],
    *,
    temperature: float = 37.0,
    n_jobs: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> npt.NDArray[np.float32]:
    """One-hot of the MFE structure: paired upstream, paired downstream, unpaired.

    Parameters
    ----------
    sequences
        Sequences all of length ``L`` (see :func:`fold`).
    temperature, n_jobs, cache_dir
        As in :func:`fold`.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 3, L)``, float32. Channel 0 is 1 where the MFE structure has ``(``
        (the base pairs with a later one), channel 1 where it has ``)`` (pairs with an
        earlier one), channel 2 where it has ``.`` (unpaired); every position has
        exactly one 1.

    Raises
    ------
    InputError
        Sequences of different lengths, or as in :func:`fold`.
    ModuleNotFoundError
        ViennaRNA is not installed.

    Examples
    --------
    >>> structure_one_hot(["GGGAAACCC"])[0].astype(int)
    array([[1, 1, 1, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 1, 1, 1],
           [0, 0, 0, 1, 1, 1, 0, 0, 0]])
    """
    seqs = _to_rna(sequences)
    length = _common_length(seqs)
    results = _compute(
        seqs, temperature=temperature, n_jobs=n_jobs, cache_dir=cache_dir, want_bpp=False
    )
    return _structure_channels([results[seq].structure for seq in seqs], length)


def paired_probability(
    sequences: str | Sequence[str],
    *,
    temperature: float = 37.0,
    n_jobs: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> npt.NDArray[np.float32]:
    """Probability that each base is paired, from the partition function.

    The row sums of :func:`pair_probabilities` (1 minus the probability of being
    unpaired), computed without building the ``(N, L, L)`` array.

    Parameters
    ----------
    sequences
        Sequences all of length ``L`` (see :func:`fold`).
    temperature, n_jobs, cache_dir
        As in :func:`fold` (the cache is shared with :func:`pair_probabilities`).

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 1, L)``, float32, values in ``[0, 1]``.

    Raises
    ------
    InputError
        Sequences of different lengths, or as in :func:`fold`.
    ModuleNotFoundError
        ViennaRNA is not installed.

    Examples
    --------
    >>> p = paired_probability(["GGGGAAACCCC"])[0, 0]
    >>> bool(p[0] > 0.5), bool(p[5] < 0.1)  # stem paired, loop unpaired
    (True, True)
    """
    seqs = _to_rna(sequences)
    length = _common_length(seqs)
    results = _compute(
        seqs, temperature=temperature, n_jobs=n_jobs, cache_dir=cache_dir, want_bpp=True
    )
    out = np.empty((len(seqs), 1, length), dtype=np.float32)
    for index, seq in enumerate(seqs):
        out[index, 0] = _paired(results[seq], length)
    return out


def sequence_and_structure(
    sequences: str | Sequence[str],
    *,
    alphabet: Literal["dna", "rna"] = "rna",
    temperature: float = 37.0,
    n_jobs: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> npt.NDArray[np.float32]:
    """Sequence one-hot and structure channels stacked: an input for a 1-D CNN.

    Each sequence is folded once, for both the MFE structure and the partition
    function.

    Parameters
    ----------
    sequences
        Sequences all of length ``L``, in ``alphabet``.
    alphabet
        ``"rna"`` (letters ``ACGUN``) or ``"dna"`` (``ACGTN``): the letters accepted
        and the names of the first four channels. The structure is folded as RNA in
        both cases.
    temperature, n_jobs, cache_dir
        As in :func:`fold`.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 8, L)``, float32. Channels 0-3: :func:`biodl.encode.one_hot`
        (``A, C, G, U``/``T``; ``N`` all zero); 4-6: :func:`structure_one_hot`
        (``(``, ``)``, ``.``); 7: :func:`paired_probability`.

    Raises
    ------
    InputError
        Sequences of different lengths, a letter outside ``alphabet``, or as in
        :func:`fold`.
    ModuleNotFoundError
        ViennaRNA is not installed.

    Examples
    --------
    >>> X = sequence_and_structure(["GGGGAAACCCC"])
    >>> X.shape
    (1, 8, 11)
    >>> X[0, :7, 0].astype(int).tolist()  # G, paired upstream
    [0, 0, 1, 0, 1, 0, 0]
    """
    if alphabet not in ("dna", "rna"):
        raise InputError(f"alphabet must be 'dna' or 'rna', not {alphabet!r}")
    seqs = [sequences] if isinstance(sequences, str) else list(sequences)
    sequence_channels = one_hot(seqs, alphabet=alphabet, dtype=np.float32)
    rna = _to_rna(seqs)
    length = sequence_channels.shape[2]
    results = _compute(
        rna, temperature=temperature, n_jobs=n_jobs, cache_dir=cache_dir, want_bpp=True
    )
    out = np.empty((len(seqs), 8, length), dtype=np.float32)
    out[:, :4] = sequence_channels
    out[:, 4:7] = _structure_channels([results[seq].structure for seq in rna], length)
    for index, seq in enumerate(rna):
        out[index, 7] = _paired(results[seq], length)
    return out


def structure_tensor(
    sequences: str | Sequence[str],
    *,
    temperature: float = 37.0,
    n_jobs: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    dtype: npt.DTypeLike = np.float16,
) -> npt.NDArray[np.floating[Any]]:
    """Sequence, MFE structure and pair-probability matrix packed in one ``(N, 8 + L, L)`` array.

    The input of :func:`biodl.models.deepmir.deepmir`: a 2-D base-pair probability map
    travels through the training pipeline's ``(N, C, L)`` arrays by stacking its ``L``
    rows under eight per-position channels. For sequence ``n`` and position ``j``:

    ====================  ==============================================================
    ``X[n, 0:4, j]``      nucleotide one-hot, ``A, C, G, U`` (``T`` counts as ``U``;
                          ``N`` all zero)
    ``X[n, 4:7, j]``      MFE structure one-hot, ``(``, ``)``, ``.``
                          (:func:`structure_one_hot`)
    ``X[n, 7, j]``        probability that base ``j`` is paired (:func:`paired_probability`)
    ``X[n, 8 + i, j]``    probability that bases ``i`` and ``j`` pair
                          (:func:`pair_probabilities`): symmetric, zero diagonal
    ====================  ==============================================================

    **Padding.** Leading and trailing ``N`` are taken as the padding that centres a
    sequence in a fixed-length window (:func:`biodl.encode.pad_or_crop_all`): only the
    core, from the first to the last letter other than ``N``, is folded, and its
    features are placed at its offset. Every row and column of a padding position is
    zero (all eight channels and the matrix); ``N`` inside the core is folded as
    ``N`` (it never pairs). A sequence of only ``N`` gives all zeros. So a padded
    sequence gives exactly the features of its core, shifted.

    Each distinct core is folded once (MFE and partition function), with the caching
    and worker processes of :func:`fold`; the cache entries are those of the core, so
    they are shared with :func:`fold` and :func:`pair_probabilities` calls on it.

    Parameters
    ----------
    sequences
        RNA or DNA sequences all of length ``L`` (lower case accepted). A single string
        is a batch of one.
    temperature, n_jobs, cache_dir
        As in :func:`fold`.
    dtype
        Floating dtype of the result. The default float16 halves the memory of float32
        (every value is in ``[0, 1]``; probabilities keep about three significant
        digits, the indicator channels stay exact). The array takes
        ``N (8 + L) L`` values: 2.6 MB per thousand sequences of 40 nt, 330 MB per
        thousand of 400 nt in float16.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 8 + L, L)``, ``dtype``, values in ``[0, 1]``.

    Raises
    ------
    InputError
        Sequences of different lengths (bring them to one with
        :func:`biodl.encode.pad_or_crop_all`), a dtype that is not floating, or as in
        :func:`fold`.
    ModuleNotFoundError
        ViennaRNA is not installed.

    Examples
    --------
    >>> X = structure_tensor(["NNGGGGAAACCCCNN"])
    >>> X.shape, X.dtype
    ((1, 23, 15), dtype('float16'))
    >>> "".join("().."[k] for k in X[0, 4:7, 2:13].argmax(0))  # the core's MFE structure
    '((((...))))'
    >>> bool(X[0, 8 + 2, 12] > 0.5)  # its outer G-C pair
    True
    >>> bool((X[0, 8:] == X[0, 8:].T).all())  # the matrix is symmetric
    True
    >>> bool(X[0, :, [0, 1, 13, 14]].any() or X[0, [8, 9, 21, 22]].any())  # padding
    False
    """
    out_dtype = np.dtype(dtype)
    if out_dtype.kind != "f":
        raise InputError(f"dtype must be a floating-point type, not {out_dtype}")
    seqs = _to_rna(sequences)
    length = _common_length(seqs)
    out = np.zeros((len(seqs), 8 + length, length), dtype=out_dtype)
    if not seqs:
        return out
    out[:, :4] = one_hot(seqs, alphabet="rna", dtype=out_dtype)
    spans: list[tuple[int, str]] = []
    for seq in seqs:
        core = seq.strip("N")  # the N padding of pad_or_crop_all stays unfolded
        spans.append((len(seq) - len(seq.lstrip("N")), core))
    results = _compute(
        (core for _, core in spans if core),
        temperature=temperature,
        n_jobs=n_jobs,
        cache_dir=cache_dir,
        want_bpp=True,
    )
    blocks: dict[str, npt.NDArray[np.float32]] = {}
    for index, (start, core) in enumerate(spans):
        if not core:
            continue
        block = blocks.get(core)
        if block is None:
            size = len(core)
            block = np.empty((4 + size, size), dtype=np.float32)
            block[:3] = _structure_channels([results[core].structure], size)[0]
            block[3] = _paired(results[core], size)
            block[4:] = _probability_matrix(results[core], size)
            blocks[core] = block
        stop = start + len(core)
        out[index, 4:8, start:stop] = block[:4]
        out[index, 8 + start : 8 + stop, start:stop] = block[4:]
    return out
