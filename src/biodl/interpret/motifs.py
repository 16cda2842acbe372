"""Motifs from models: first-layer filters to PPMs, seqlets, TF-MoDISco, MEME files.

A :class:`Motif` is a position probability matrix ``(C, W)`` (channels first, as the
models take their input) with a name, an alphabet and the number of sites it was
counted from. :func:`filter_motifs` turns the first convolution of a model into motifs
the DeepBind/Basset way (the input windows that activate each filter most, counted);
:func:`seqlets` finds windows of high attribution; :func:`modisco` clusters them into
motifs with TF-MoDISco (``modisco-lite``); :func:`write_meme` and :func:`read_meme`
write and read the MEME minimal motif format that TOMTOM and most motif tools read.

Examples
--------
>>> ppm = np.array([[0.7, 0.1], [0.1, 0.1], [0.1, 0.1], [0.1, 0.7]])
>>> m = Motif("m1", ppm, n_sites=20)
>>> m.width, m.consensus()
(2, 'AT')
>>> m.reverse_complement().consensus()
'AT'
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from biodl.encode import reverse_complement_one_hot
from biodl.errors import InputError
from biodl.io.atomic import atomic_write_text
from biodl.models.predict import _eval_on, default_device
from biodl.models.validate import check_positive_int
from biodl.progress import step

__all__ = [
    "Motif",
    "Seqlet",
    "filter_motifs",
    "first_conv",
    "modisco",
    "read_meme",
    "seqlet_motif",
    "seqlets",
    "write_meme",
]

_DNA = "ACGT"
_PROTEIN = "ACDEFGHIKLMNPQRSTVWY"
_COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", "U": "A"}

_INSTALL_MESSAGE = (
    "TF-MoDISco needs the modisco-lite package: pip install 'biodl[motifs]' "
    "(or pip install modisco-lite)"
)


def _default_alphabet(n_channels: int) -> str:
    if n_channels == 4:
        return _DNA
    if n_channels == 20:
        return _PROTEIN
    raise InputError(
        f"motifs need one channel per letter (4 for DNA/RNA, 20 for protein), not {n_channels}"
    )


@dataclass(frozen=True, eq=False)
class Motif:
    """A motif as a position probability matrix.

    Parameters
    ----------
    name
        Identifier (a JASPAR matrix id, ``filter3``, ``pattern_0``).
    ppm
        Letter probabilities, shape ``(C, W)``: one row per letter of ``alphabet``, one
        column per position; each column sums to 1 (it is normalised on creation).
    alphabet
        The letters of the rows, default ``"ACGT"`` (``C = 4``) or the 20 amino acids.
    n_sites
        How many sites the matrix was counted from (0 if unknown).
    source
        Where it comes from (``"filters"``, ``"JASPAR2024"``, ``"modisco"``).
    alt_name
        A second name, e.g. the transcription factor of a JASPAR matrix.

    Raises
    ------
    InputError
        If ``ppm`` is not a 2-D non-negative array with one row per letter.
    """

    name: str
    ppm: npt.NDArray[np.float64] = field(repr=False)
    alphabet: str = _DNA
    n_sites: int = 0
    source: str = ""
    alt_name: str = ""

    def __post_init__(self) -> None:
        ppm = np.array(self.ppm, dtype=np.float64)
        if ppm.ndim != 2 or ppm.shape[0] != len(self.alphabet) or ppm.shape[1] < 1:
            raise InputError(
                f"motif {self.name!r}: matrix shape {ppm.shape} is not "
                f"(len(alphabet) = {len(self.alphabet)}, width >= 1)"
            )
        if not np.all(np.isfinite(ppm)) or np.any(ppm < 0):
            raise InputError(f"motif {self.name!r}: probabilities must be finite and >= 0")
        total = ppm.sum(axis=0, keepdims=True)
        ppm = np.where(total > 0, ppm / np.where(total > 0, total, 1.0), 1.0 / ppm.shape[0])
        ppm.setflags(write=False)
        object.__setattr__(self, "ppm", ppm)

    @property
    def width(self) -> int:
        """Number of positions ``W``."""
        return int(self.ppm.shape[1])

    def pwm(self, *, background: npt.ArrayLike | None = None, pseudocount: float = 0.01) -> Any:
        """Log2-odds position weight matrix ``(C, W)`` against ``background`` (uniform)."""
        bg = (
            np.full(self.ppm.shape[0], 1.0 / self.ppm.shape[0])
            if background is None
            else np.asarray(background, dtype=np.float64)
        )
        p = (self.ppm + pseudocount) / (1.0 + pseudocount * self.ppm.shape[0])
        return np.log2(p / bg[:, None])

    def information_content(self) -> Any:
        """Information content of each column in bits, shape ``(W,)`` (uniform background)."""
        p = self.ppm
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=0)
        return math.log2(p.shape[0]) - entropy

    def consensus(self) -> str:
        """The most probable letter at each position."""
        return "".join(self.alphabet[i] for i in self.ppm.argmax(axis=0))

    def reverse_complement(self) -> Motif:
        """The motif read on the other strand (DNA/RNA only).

        Raises
        ------
        InputError
            For a protein motif.
        """
        if len(self.alphabet) != 4:
            raise InputError(f"motif {self.name!r}: only DNA/RNA motifs have a reverse complement")
        return Motif(
            self.name, self.ppm[::-1, ::-1], self.alphabet, self.n_sites, self.source, self.alt_name
        )

    def trimmed(self, *, min_ic: float = 0.3) -> Motif:
        """The motif without the end columns whose information content is below ``min_ic``.

        A motif with no column above ``min_ic`` is returned unchanged.
        """
        keep = np.flatnonzero(self.information_content() >= min_ic)
        if keep.size == 0:
            return self
        ppm = self.ppm[:, keep[0] : keep[-1] + 1]
        return Motif(self.name, ppm, self.alphabet, self.n_sites, self.source, self.alt_name)


# ----------------------------------------------------------------------------- MEME


def write_meme(
    motifs: Sequence[Motif],
    path: str | os.PathLike[str],
    *,
    background: npt.ArrayLike | None = None,
) -> Path:
    """Write motifs in the MEME minimal motif format (atomically).

    Parameters
    ----------
    motifs
        Motifs of one alphabet.
    path
        Output file (``.meme``/``.txt``).
    background
        Letter frequencies for the ``Background letter frequencies`` line (uniform).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        If ``motifs`` mix alphabets.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "m.meme"
    >>> _ = write_meme([Motif("m1", np.eye(4))], out)
    >>> [m.consensus() for m in read_meme(out)]
    ['ACGT']
    """
    alphabets = {m.alphabet for m in motifs}
    if len(alphabets) > 1:
        raise InputError(f"motifs of different alphabets cannot share a MEME file: {alphabets}")
    alphabet = alphabets.pop() if alphabets else _DNA
    bg = (
        np.full(len(alphabet), 1.0 / len(alphabet))
        if background is None
        else np.asarray(background, dtype=np.float64)
    )
    lines = ["MEME version 4", ""]
    if alphabet == _DNA:
        lines += ["ALPHABET= ACGT", "", "strands: + -", ""]
    else:
        lines += [f"ALPHABET= {alphabet}", ""]
    lines += ["Background letter frequencies"]
    lines += [" ".join(f"{a} {f:.6g}" for a, f in zip(alphabet, bg, strict=True)), ""]
    for m in motifs:
        lines.append(f"MOTIF {m.name} {m.alt_name}".rstrip())
        lines.append(
            f"letter-probability matrix: alength= {len(alphabet)} w= {m.width} "
            f"nsites= {m.n_sites} E= 0"
        )
        lines += [" ".join(f"{v:.6f}" for v in col) for col in m.ppm.T]
        lines.append("")
    out = Path(path)
    return atomic_write_text(out, "\n".join(lines))


_MATRIX_RE = re.compile(r"letter-probability matrix:(.*)", re.IGNORECASE)


def read_meme(path: str | os.PathLike[str], *, source: str = "") -> list[Motif]:
    """Read the motifs of a MEME (minimal or full) motif file.

    Parameters
    ----------
    path
        MEME file.
    source
        Stored in each :attr:`Motif.source` (default: the file name).

    Returns
    -------
    list of Motif

    Raises
    ------
    InputError
        On a malformed matrix (with the line number), or a file without motifs.
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read MEME file: {exc}", path=p) from None
    alphabet = _DNA
    motifs: list[Motif] = []
    name, alt = "", ""
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("ALPHABET="):
            alphabet = line.split("=", 1)[1].strip() or _DNA
        elif line.startswith("MOTIF"):
            parts = line.split()
            if len(parts) < 2:
                raise InputError("MOTIF line without a name", path=p, line=i + 1)
            name, alt = parts[1], " ".join(parts[2:])
        else:
            match = _MATRIX_RE.match(line)
            if match:
                fields = dict(re.findall(r"(\w+)=\s*(\S+)", match.group(1)))
                width = int(fields.get("w", 0))
                nsites = int(float(fields.get("nsites", 0)))
                rows: list[list[float]] = []
                j = i + 1
                while j < len(lines) and len(rows) < (width or 10**9):
                    text = lines[j].strip()
                    if not text:
                        if width:
                            j += 1
                            continue
                        break
                    try:
                        rows.append([float(v) for v in text.split()])
                    except ValueError:
                        if width:
                            raise InputError(
                                f"motif {name!r}: not a row of numbers", path=p, line=j + 1
                            ) from None
                        break
                    if len(rows[-1]) != len(alphabet):
                        raise InputError(
                            f"motif {name!r}: {len(rows[-1])} values, alphabet has "
                            f"{len(alphabet)} letters",
                            path=p,
                            line=j + 1,
                        )
                    j += 1
                if not rows or (width and len(rows) != width):
                    raise InputError(f"motif {name!r}: expected {width} rows", path=p, line=i + 1)
                motifs.append(
                    Motif(name, np.array(rows).T, alphabet, nsites, source or p.name, alt)
                )
                i = j
                continue
        i += 1
    if not motifs:
        raise InputError("no letter-probability matrix found", path=p)
    return motifs


# -------------------------------------------------------------------- filter motifs


class _CapturedError(Exception):
    """Raised by the hook to stop the forward pass once the first layer has run."""


def first_conv(model: nn.Module) -> nn.Conv1d:
    """The first ``Conv1d`` of ``model`` in registration order (its motif detectors).

    Raises
    ------
    InputError
        If the model has no ``Conv1d``.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv1d(4, 3, 5), nn.ReLU(), nn.Conv1d(3, 2, 3))
    >>> first_conv(net).out_channels
    3
    """
    for module in model.modules():
        if isinstance(module, nn.Conv1d):
            return module
    raise InputError("the model has no Conv1d layer to read motifs from")


def _following_norm(model: nn.Module, conv: nn.Conv1d) -> nn.Module | None:
    """The ``BatchNorm1d`` registered right after ``conv`` (as in a conv block), if any."""
    modules = list(model.modules())
    index = next(i for i, m in enumerate(modules) if m is conv)
    if index + 1 < len(modules):
        nxt = modules[index + 1]
        if isinstance(nxt, nn.BatchNorm1d) and nxt.num_features == conv.out_channels:
            return nxt
    return None


@contextmanager
def _capture(conv: nn.Conv1d) -> Iterator[dict[str, torch.Tensor]]:
    store: dict[str, torch.Tensor] = {}

    def hook(_m: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        store["input"] = inputs[0]
        store["output"] = output
        raise _CapturedError

    handle = conv.register_forward_hook(hook)
    try:
        yield store
    finally:
        handle.remove()


def _layer_io(
    model: nn.Module,
    conv: nn.Conv1d,
    norm: nn.Module | None,
    x: torch.Tensor,
    store: dict[str, torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(windows (B, C, L', W), activations (B, F, L'))`` of the first layer for ``x``."""
    with suppress(_CapturedError):
        model(x)
    if "input" not in store:
        raise InputError("the model's forward pass never reached its first Conv1d")
    xin, out = store.pop("input"), store.pop("output")
    if norm is not None:
        out = norm(out)
    (width,), (dilation,), (stride,) = conv.kernel_size, conv.dilation, conv.stride
    pad = list(getattr(conv, "_reversed_padding_repeated_twice", [0, 0]))
    if any(pad):
        mode = "constant" if conv.padding_mode == "zeros" else conv.padding_mode
        xin = torch.nn.functional.pad(xin, pad, mode=mode)
    span = dilation * (width - 1) + 1
    windows = xin.unfold(2, span, stride)[..., ::dilation]
    if windows.shape[2] != out.shape[2]:
        raise InputError("could not line up the first layer's windows with its outputs")
    return windows, out


def filter_motifs(
    model: nn.Module,
    X: np.ndarray | torch.Tensor,
    *,
    layer: nn.Conv1d | str | None = None,
    threshold: float = 0.5,
    weighting: Literal["count", "activation"] = "count",
    strands: Literal["auto", "single", "both"] = "auto",
    min_sites: int = 1,
    alphabet: str | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
) -> list[Motif]:
    """First-layer convolution filters as motifs (DeepBind/Basset style).

    For each filter, the input windows whose activation exceeds ``threshold`` times the
    filter's largest activation over ``X`` are counted letter by letter (Alipanahi et
    al. 2015; Kelley et al. 2016). The windows are read from the layer's actual input,
    so DeepBind's uniform padding columns and zero padding count as they were seen.
    The activation is the convolution's output, passed through the ``BatchNorm1d``
    registered right after it if there is one (Basset, DeepSEA, DanQ blocks, the
    dilated ResNet stem); a monotone activation function after it does not change
    which windows pass.

    Parameters
    ----------
    model
        Any model whose first ``Conv1d`` (registration order) reads the one-hot input,
        e.g. the zoo's ``deepbind``, ``basset``, ``deepsea``, ``danq``, ``dilated_resnet``.
    X
        One-hot inputs, shape ``(N, C, L)``.
    layer
        The ``Conv1d`` (or its name in ``model.named_modules()``); default
        :func:`first_conv`.
    threshold
        Fraction of the filter's maximum activation a window must exceed, in ``(0, 1]``.
    weighting
        ``"count"``: each passing window counts once (Basset); ``"activation"``: it is
        weighted by its activation.
    strands
        ``"both"`` also scans the reverse complement of ``X`` (DeepBind scores both
        strands); ``"auto"``: both when ``model.strands`` is ``"max"`` or ``"mean"``
        and ``C = 4``.
    min_sites
        Filters with fewer passing windows (dead filters have none) are left out.
    alphabet
        Row letters of the motifs (default ``ACGT`` for 4 channels, amino acids for 20).
    batch_size, device
        As in :func:`biodl.models.predict`; the model's mode and device are restored.

    Returns
    -------
    list of Motif
        One per kept filter, named ``filter<i>`` (``i`` = output channel), in filter
        order, with ``n_sites`` passing windows and ``source="filters"``.

    Raises
    ------
    InputError
        Bad ``threshold``, ``X`` not ``(N, C, L)`` with the layer's channels, or a
        ``layer`` name that is not a ``Conv1d``.

    Examples
    --------
    >>> conv = nn.Conv1d(4, 1, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = conv.weight.copy_(torch.tensor([[[1.0, 0], [0, 0], [0, 0], [0, 1]]]))
    >>> X = np.eye(4, dtype=np.float32)[[[0, 3, 1, 2]]].transpose(0, 2, 1)
    >>> [m.consensus() for m in filter_motifs(conv, X, device="cpu")]
    ['AT']
    """
    if not 0 < threshold <= 1:
        raise InputError(f"threshold must be in (0, 1], not {threshold}")
    check_positive_int("min_sites", min_sites)
    check_positive_int("batch_size", batch_size)
    conv = _resolve_layer(model, layer)
    tensor = torch.as_tensor(X)
    if tensor.ndim != 3 or tensor.shape[1] != conv.in_channels:
        raise InputError(
            f"X must have shape (N, {conv.in_channels}, L) for this layer, not "
            f"{tuple(tensor.shape)}"
        )
    letters = alphabet if alphabet is not None else _default_alphabet(conv.in_channels)
    if len(letters) != conv.in_channels:
        raise InputError(f"alphabet {letters!r} does not have {conv.in_channels} letters")
    both = strands == "both" or (
        strands == "auto"
        and getattr(model, "strands", "single") in ("max", "mean")
        and conv.in_channels == 4
    )
    norm = _following_norm(model, conv)
    dev = torch.device(device) if device is not None else default_device()

    def batches(store: dict[str, torch.Tensor]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for start in range(0, tensor.shape[0], batch_size):
            x = tensor[start : start + batch_size].to(dev, dtype=torch.float32)
            views = (x, reverse_complement_one_hot(x)) if both else (x,)
            for view in views:
                yield _layer_io(model, conv, norm, view, store)

    n_filters = conv.out_channels
    with _eval_on(model, dev), torch.inference_mode(), _capture(conv) as store:
        top = torch.full((n_filters,), -torch.inf, device=dev)
        for _, act in batches(store):
            top = torch.maximum(top, act.amax(dim=(0, 2)))
        cut = torch.where(top > 0, threshold * top, torch.inf)[None, :, None]
        counts = torch.zeros((n_filters, conv.in_channels, conv.kernel_size[0]), device=dev)
        sites = torch.zeros(n_filters, device=dev)
        for windows, act in batches(store):
            passing = act >= cut
            weight = passing.float() if weighting == "count" else torch.where(passing, act, 0.0)
            counts += torch.einsum("nfp,ncpw->fcw", weight, windows.float())
            sites += passing.sum(dim=(0, 2))
    counts_np = counts.double().cpu().numpy()
    sites_np = sites.cpu().numpy().astype(int)
    return [
        Motif(f"filter{f}", counts_np[f], letters, int(sites_np[f]), "filters")
        for f in range(n_filters)
        if sites_np[f] >= min_sites
    ]


def _resolve_layer(model: nn.Module, layer: nn.Conv1d | str | None) -> nn.Conv1d:
    if layer is None:
        return first_conv(model)
    if isinstance(layer, str):
        try:
            module = model.get_submodule(layer)
        except AttributeError:
            raise InputError(f"the model has no layer named {layer!r}") from None
    else:
        module = layer
    if not isinstance(module, nn.Conv1d) or module.groups != 1:
        raise InputError(f"layer {layer!r} is not an ungrouped Conv1d")
    return module


# ------------------------------------------------------------------------ seqlets


@dataclass(frozen=True)
class Seqlet:
    """A window of high attribution in one example.

    Attributes
    ----------
    example
        Index of the example (row of ``X``).
    start, end
        0-based half-open span, flanks included, clipped to the sequence.
    score
        Sum of the contributions over the core window (signed).
    """

    example: int
    start: int
    end: int
    score: float


def _contributions(attributions: npt.ArrayLike, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
    attr = np.asarray(attributions, dtype=np.float64)
    x = np.asarray(X, dtype=np.float64)
    if attr.ndim != 3 or attr.shape != x.shape:
        raise InputError(
            f"attributions {attr.shape} and X {x.shape} must both have shape (N, C, L)"
        )
    return np.asarray((attr * x).sum(axis=1))


def seqlets(
    attributions: npt.ArrayLike,
    X: npt.ArrayLike,
    *,
    window: int = 21,
    flank: int = 10,
    threshold: float | None = None,
    z: float = 4.0,
    max_per_example: int | None = None,
) -> list[Seqlet]:
    """Non-overlapping windows of high absolute contribution (TF-MoDISco style).

    The per-position contribution is ``sum_c attributions * X`` (so hypothetical and
    actual attributions give the same); its absolute value is summed over sliding
    windows of ``window`` positions (smoothing). Windows above the threshold are taken
    greedily, best first, and each taken window, widened by ``flank`` on both sides,
    blocks the windows that would overlap it.

    Parameters
    ----------
    attributions
        Attribution map, shape ``(N, C, L)``.
    X
        One-hot inputs, shape ``(N, C, L)``.
    window
        Core width in positions.
    flank
        Positions added on each side of a seqlet.
    threshold
        Smallest windowed sum of absolute contributions; default ``median + z *
        1.4826 * MAD`` over every window in the data set (a robust z-score).
    z
        Robust z-score of the default threshold.
    max_per_example
        Keep at most this many seqlets per example (best first); default all.

    Returns
    -------
    list of Seqlet
        Sorted by example, then start.

    Raises
    ------
    InputError
        Shapes that disagree, or a window longer than the sequences.

    Examples
    --------
    >>> X = np.zeros((1, 4, 30)); X[0, 0] = 1
    >>> attr = np.zeros((1, 4, 30)); attr[0, 0, 12:17] = 1.0
    >>> seqlets(attr, X, window=5, flank=2, threshold=2.0)
    [Seqlet(example=0, start=10, end=19, score=5.0)]
    """
    contrib = _contributions(attributions, X)
    n, length = contrib.shape
    if not 1 <= window <= length:
        raise InputError(f"window must be between 1 and the length {length}, not {window}")
    if flank < 0:
        raise InputError(f"flank must be >= 0, not {flank}")
    if max_per_example is not None:
        check_positive_int("max_per_example", max_per_example)
    cumabs = np.concatenate([np.zeros((n, 1)), np.cumsum(np.abs(contrib), axis=1)], axis=1)
    cumsig = np.concatenate([np.zeros((n, 1)), np.cumsum(contrib, axis=1)], axis=1)
    smooth = cumabs[:, window:] - cumabs[:, :-window]  # (N, L - window + 1)
    if threshold is None:
        median = float(np.median(smooth))
        mad = float(np.median(np.abs(smooth - median)))
        threshold = median + z * 1.4826 * mad
    out: list[Seqlet] = []
    for i in range(n):
        candidates = np.flatnonzero(smooth[i] > threshold)
        if candidates.size == 0:
            continue
        order = candidates[np.argsort(-smooth[i, candidates], kind="stable")]
        taken: list[Seqlet] = []
        free = np.ones(length, dtype=bool)
        for p in order:
            start, end = max(0, p - flank), min(length, p + window + flank)
            if not free[start:end].all():
                continue
            free[start:end] = False
            score = float(cumsig[i, p + window] - cumsig[i, p])
            taken.append(Seqlet(i, int(start), int(end), score))
            if max_per_example is not None and len(taken) >= max_per_example:
                break
        out += sorted(taken, key=lambda s: s.start)
    return out


def seqlet_motif(
    found: Sequence[Seqlet],
    X: npt.ArrayLike,
    *,
    name: str = "seqlets",
    alphabet: str | None = None,
) -> Motif:
    """Letter frequencies of equally long seqlets stacked as they are (no alignment).

    Seqlets clipped at a sequence end (shorter than the longest) are left out. For
    clustering and alignment use :func:`modisco`.

    Raises
    ------
    InputError
        If there is no seqlet.

    Examples
    --------
    >>> X = np.eye(4)[None, :, [0, 1, 2, 3, 0, 1]]
    >>> seqlet_motif([Seqlet(0, 0, 2, 1.0), Seqlet(0, 4, 6, 1.0)], X).consensus()
    'AC'
    """
    if not found:
        raise InputError("no seqlets to make a motif from")
    x = np.asarray(X, dtype=np.float64)
    width = max(s.end - s.start for s in found)
    full = [s for s in found if s.end - s.start == width]
    counts = sum(x[s.example, :, s.start : s.end] for s in full)
    letters = alphabet if alphabet is not None else _default_alphabet(x.shape[1])
    return Motif(name, np.asarray(counts), letters, len(full), "seqlets")


def modisco(
    attributions: npt.ArrayLike,
    X: npt.ArrayLike,
    *,
    window: int = 21,
    flank: int = 10,
    max_seqlets: int = 20000,
    min_cluster_size: int = 20,
    n_leiden_runs: int = 50,
    trim_ic: float | None = 0.3,
    verbose: bool = False,
) -> list[Motif]:
    """Cluster seqlets into motifs with TF-MoDISco (the ``modisco-lite`` package).

    Parameters
    ----------
    attributions
        Hypothetical (or actual) attributions, shape ``(N, 4, L)``.
    X
        One-hot DNA, shape ``(N, 4, L)``.
    window, flank
        Seqlet core width and flank (``sliding_window_size``, ``flank_size``).
    max_seqlets
        At most this many seqlets per sign (``max_seqlets_per_metacluster``).
    min_cluster_size
        Smallest number of seqlets behind a reported pattern.
    n_leiden_runs
        Leiden clustering restarts (fewer is faster, less stable).
    trim_ic
        Trim end columns below this information content (bits); ``None`` keeps the
        full pattern.
    verbose
        Let modisco-lite print its progress.

    Returns
    -------
    list of Motif
        Positive patterns first (``pos_pattern_<i>``), then negative ones
        (``neg_pattern_<i>``); ``n_sites`` is the number of seqlets, ``source="modisco"``.

    Raises
    ------
    ModuleNotFoundError
        Without modisco-lite (install ``biodl[motifs]``).
    InputError
        Shapes that disagree or not 4 channels.
    """
    try:
        from modiscolite.tfmodisco import TFMoDISco
    except ImportError as exc:
        raise ModuleNotFoundError(_INSTALL_MESSAGE) from exc
    _contributions(attributions, X)  # shape checks
    attr = np.asarray(attributions, dtype=np.float32)
    x = np.asarray(X, dtype=np.float32)
    if x.shape[1] != 4:
        raise InputError(f"TF-MoDISco works on DNA (4 channels), not {x.shape[1]}")
    with step(f"TF-MoDISco on {x.shape[0]} sequences"):
        pos, neg = TFMoDISco(
            one_hot=x.transpose(0, 2, 1).copy(),
            hypothetical_contribs=attr.transpose(0, 2, 1).copy(),
            sliding_window_size=window,
            flank_size=flank,
            max_seqlets_per_metacluster=max_seqlets,
            final_min_cluster_size=min_cluster_size,
            n_leiden_runs=n_leiden_runs,
            verbose=verbose,
        )
    motifs: list[Motif] = []
    for sign, patterns in (("pos", pos), ("neg", neg)):
        for i, pattern in enumerate(patterns or []):
            m = Motif(
                f"{sign}_pattern_{i}",
                np.asarray(pattern.sequence).T,
                _DNA,
                len(pattern.seqlets),
                "modisco",
            )
            motifs.append(m.trimmed(min_ic=trim_ic) if trim_ic is not None else m)
    return motifs
