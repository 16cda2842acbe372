"""Run directories: weights as safetensors, everything else as JSON/YAML/TSV.

A run directory holds ``model.safetensors`` (weights) and ``model.json`` (architecture,
alphabet, input length, labels, versions, data checksums, seed, model card). Loading
reads JSON and safetensors only: nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, cast

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from biodl.errors import InputError
from biodl.io import AlphabetName
from biodl.models import ModelIO, create_model

__all__ = [
    "RUN_FORMAT",
    "TEMPERATURE_FILE",
    "Run",
    "atomic_write_text",
    "check_out_dir",
    "file_checksum",
    "finish_run_dir",
    "load_run",
    "prepare_run_dir",
    "read_temperature",
    "save_temperature",
    "save_weights",
    "software_versions",
    "write_json",
]

RUN_FORMAT = "biodl-run"
RUN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Run:
    """A trained model loaded from its run directory."""

    path: Path
    model: nn.Module
    meta: dict[str, Any]

    @property
    def input_length(self) -> int:
        """Sequence length the model takes."""
        return int(self.meta["input_length"])

    @property
    def alphabet(self) -> AlphabetName:
        """``dna``, ``rna`` or ``protein``."""
        return cast(AlphabetName, str(self.meta["alphabet"]))

    @property
    def encoding(self) -> Literal["onehot", "dinucleotide", "structure", "cpg", "blosum62"]:
        """Input encoding the model was trained on."""
        value = self.meta.get("encoding")
        return value if value in ("dinucleotide", "structure", "cpg", "blosum62") else "onehot"

    @property
    def crop(self) -> Literal["centre", "ends"]:
        """How longer inputs were cropped in training."""
        return "ends" if self.meta.get("crop") == "ends" else "centre"

    @property
    def unknown(self) -> Literal["zero", "uniform"]:
        """How N (or X) was encoded in training."""
        return "uniform" if self.meta.get("unknown") == "uniform" else "zero"

    @property
    def temperature(self) -> float:
        """Calibration temperature saved with the run (``temperature.json``), else 1.

        Written by ``biodl assess --save-temperature`` (fitted on the validation split);
        ``biodl predict`` divides the logits of classification models by it.
        """
        return read_temperature(self.path)


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


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_json(path: Path, data: Mapping[str, Any]) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def save_weights(path: Path, model: nn.Module | Mapping[str, torch.Tensor]) -> Path:
    """Save a model's (or a state dict's) tensors as safetensors, atomically."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, os.fspath(tmp), metadata={"format": RUN_FORMAT})
    os.replace(tmp, path)
    return path


def check_out_dir(out: Path, *, force: bool) -> None:
    """Fail early if ``out`` exists and is not an empty folder, unless ``force``.

    Raises
    ------
    InputError
        If ``out`` exists and is not empty and ``force`` is false.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise InputError(
            "output folder exists and is not empty; use --force to replace it", path=out
        )


def prepare_run_dir(out: Path, *, force: bool) -> Path:
    """Make an empty ``OUT.partial`` folder to fill; :func:`finish_run_dir` renames it.

    Raises
    ------
    InputError
        If ``out`` exists and is not empty and ``force`` is false.
    """
    check_out_dir(out, force=force)
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    return partial


def finish_run_dir(partial: Path, out: Path) -> Path:
    """Replace ``out`` by the completed ``partial`` folder."""
    if out.exists():
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    os.replace(partial, out)
    return out


def _read_meta(path: Path) -> dict[str, Any]:
    if not path.is_dir():
        raise InputError("not a biodl run directory (not a folder)", path=path)
    meta_path = path / "model.json"
    if not meta_path.is_file() or not (path / "model.safetensors").is_file():
        raise InputError(
            "not a biodl run directory (model.json and model.safetensors are missing)", path=path
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"unreadable model.json: {exc}", path=meta_path) from None
    if not isinstance(meta, dict) or meta.get("format") != RUN_FORMAT:
        raise InputError("model.json is not a biodl run description", path=meta_path)
    if int(meta.get("format_version", 0)) > RUN_FORMAT_VERSION:
        raise InputError(
            f"run format version {meta['format_version']} is newer than this biodl reads "
            f"({RUN_FORMAT_VERSION}); upgrade biodl",
            path=meta_path,
        )
    return meta


def load_run(path: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> Run:
    """Load a trained model from a run directory (JSON + safetensors, no pickle).

    Raises
    ------
    InputError
        If ``path`` is not a biodl run directory or its weights do not fit the model.
    """
    p = Path(path)
    meta = _read_meta(p)
    arch = meta["architecture"]
    io = ModelIO(
        n_channels=int(meta["n_channels"]),
        input_length=int(meta["input_length"]),
        n_outputs=len(meta["outputs"]),
        alphabet=str(meta["alphabet"]),
        layout=tuple((str(k), int(v)) for k, v in dict(meta.get("layout") or {}).items()),
        per_position=bool(meta.get("per_position", False)),
    )
    model = create_model(arch["name"], arch["params"], io=io)
    try:
        state = load_file(os.fspath(p / "model.safetensors"), device=str(device))
        model.load_state_dict(state, strict=True)
    except (RuntimeError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise InputError(
            f"weights do not fit the model: {first}", path=p / "model.safetensors"
        ) from None
    model.eval()
    return Run(path=p, model=model, meta=meta)
