"""Resumable training state, as safetensors + JSON (never a pickle).

After every epoch :func:`biodl.train.fit` writes the complete state of training into
``RUN/checkpoints/``:

``state.json``
    Everything that is not a tensor: ``format`` (``biodl-training-state``),
    ``format_version``, ``epoch`` (epochs completed), ``global_step``, ``fingerprint``
    (hashes of the configuration and of the data the run was started with), ``tensors``
    and ``tensors_sha256`` (the safetensors file below), ``loop`` (Lightning's fit-loop
    progress counters), ``should_stop``, ``optimizers`` (per optimiser: its
    ``param_groups`` and the non-tensor entries of its per-parameter state),
    ``lr_schedulers`` (their ``state_dict``), ``precision`` (the precision plugin's
    state, e.g. a gradient scaler's), ``early_stopping`` (wait count, best score),
    ``best_weights`` (best score, best epoch, history), ``averaging`` (with
    ``train.weight_average``: kind, number of updates, last step and epoch averaged;
    ``null`` otherwise), ``rng`` (numpy and Python
    generators; the tensors are below), ``wall_s`` (training time so far) and
    ``num_threads``.
``state-epoch{N}.safetensors``
    The tensors: ``model.<name>`` (weights and buffers), ``optimizer.<i>.<param>.<key>``
    (e.g. AdamW's ``exp_avg``, ``exp_avg_sq``, ``step``), ``average.<name>`` (the
    averaged weights and buffers of ``train.weight_average``), ``rng.torch`` (the CPU
    generator state, ``uint8``), ``rng.cuda.<device>`` (when CUDA was used) and
    ``rng.numpy`` (the Mersenne-Twister keys).

Each file is written atomically (:func:`biodl.io.atomic.atomic_path`), the tensors first
under a new name, then the JSON that names them (with their SHA-256), then older tensor
files are removed: whenever the process is killed, ``state.json`` names a complete,
matching tensor file.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = save_training_state(folder, {"epoch": 1, "fingerprint": {}}, {"w": torch.ones(2)})
>>> state = load_training_state(folder, fingerprint={})
>>> state.meta["epoch"], state.tensors["w"].tolist()
(1, [1.0, 1.0])
"""

from __future__ import annotations

import csv
import enum
import hashlib
import json
import os
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping
from lightning.pytorch.loggers import CSVLogger
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from biodl.encode.molecules import ModelInput, PackedGraphs
from biodl.errors import InputError
from biodl.io.atomic import atomic_path, atomic_write_text

__all__ = [
    "STATE_FORMAT",
    "STATE_FORMAT_VERSION",
    "STATE_JSON",
    "AveragingTracker",
    "BestTracker",
    "ResumableTraining",
    "TrainingState",
    "arrays_sha256",
    "check_resumable",
    "discard_training_state",
    "from_jsonable",
    "get_rng_state",
    "load_optimizer_state",
    "load_training_state",
    "optimizer_state",
    "run_fingerprint",
    "save_training_state",
    "set_rng_state",
    "to_jsonable",
]

STATE_FORMAT = "biodl-training-state"
STATE_FORMAT_VERSION = 1
#: the JSON half of the training state, in ``RUN/checkpoints/``
STATE_JSON = "state.json"
_TENSORS_PREFIX = "state-epoch"
_RESUME_HINT = "run without --resume"


@dataclass(frozen=True)
class TrainingState:
    """A training state read back by :func:`load_training_state`.

    Attributes
    ----------
    meta
        The content of ``state.json``.
    tensors
        The tensors of the safetensors file it names, on the CPU.
    folder
        The ``checkpoints/`` folder they were read from.
    """

    meta: dict[str, Any]
    tensors: dict[str, torch.Tensor]
    folder: Path

    def prefixed(self, prefix: str) -> dict[str, torch.Tensor]:
        """The tensors whose name starts with ``prefix``, with the prefix removed."""
        return {k[len(prefix) :]: v for k, v in self.tensors.items() if k.startswith(prefix)}


# ---------------------------------------------------------------------------
# JSON values
# ---------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """``value`` with tensors, tuples, enums and NumPy scalars made JSON-ready.

    A tensor becomes ``{"__tensor__": values, "dtype": name}``, which
    :func:`from_jsonable` turns back into the same tensor (exactly: JSON numbers keep
    every bit of a float32 or float64).

    Examples
    --------
    >>> to_jsonable({"best": torch.tensor(0.5), "betas": (0.9, 0.999)})
    {'best': {'__tensor__': 0.5, 'dtype': 'float32'}, 'betas': [0.9, 0.999]}
    >>> from_jsonable(to_jsonable(torch.tensor([1, 2])))
    tensor([1, 2])
    """
    if isinstance(value, torch.Tensor):
        return {"__tensor__": value.detach().cpu().tolist(), "dtype": str(value.dtype)[6:]}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_jsonable(value: Any) -> Any:
    """Undo :func:`to_jsonable` for tensors (lists stay lists)."""
    if isinstance(value, dict):
        if "__tensor__" in value and "dtype" in value:
            return torch.tensor(value["__tensor__"], dtype=getattr(torch, value["dtype"]))
        return {k: from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------------------
# Optimisers and random generators
# ---------------------------------------------------------------------------


def optimizer_state(
    optimizer: torch.optim.Optimizer, prefix: str
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """An optimiser's ``state_dict`` split into JSON and flat tensors.

    Returns
    -------
    (dict, dict)
        ``{"param_groups": [...], "state": {param: {key: value}}}`` with the non-tensor
        values, and ``{prefix + "<param>.<key>": tensor}``.
    """
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for param, entries in sd["state"].items():
        plain: dict[str, Any] = {}
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}{param}.{key}"] = value.detach().cpu().clone().contiguous()
            else:
                plain[key] = to_jsonable(value)
        scalars[str(param)] = plain
    return {"param_groups": to_jsonable(sd["param_groups"]), "state": scalars}, tensors


def load_optimizer_state(
    optimizer: torch.optim.Optimizer,
    meta: Mapping[str, Any],
    tensors: Mapping[str, torch.Tensor],
) -> None:
    """Give ``optimizer`` the state :func:`optimizer_state` split (``tensors`` unprefixed)."""
    state: dict[int, dict[str, Any]] = {
        int(param): dict(entries) for param, entries in meta["state"].items()
    }
    for name, tensor in tensors.items():
        param, _, key = name.partition(".")
        state.setdefault(int(param), {})[key] = tensor
    groups = []
    for group in meta["param_groups"]:
        restored = dict(group)
        if isinstance(restored.get("betas"), list):
            restored["betas"] = tuple(restored["betas"])
        groups.append(restored)
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def get_rng_state() -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The states of torch's CPU (and CUDA) generators, NumPy's and Python's.

    Returns
    -------
    (dict, dict)
        JSON (``numpy``: position and Gaussian cache, ``python``: ``random.getstate()``,
        ``cuda_devices``) and tensors (``rng.torch``, ``rng.cuda.<i>``, ``rng.numpy``).
    """
    tensors = {"rng.torch": torch.get_rng_state()}
    cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
    n_cuda = 0
    if cuda:
        states = torch.cuda.get_rng_state_all()
        n_cuda = len(states)
        for i, s in enumerate(states):
            tensors[f"rng.cuda.{i}"] = s.cpu()
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    tensors["rng.numpy"] = torch.from_numpy(np.asarray(keys, dtype=np.int64))
    meta = {
        "numpy": {
            "kind": kind,
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": to_jsonable(random.getstate()),
        "cuda_devices": n_cuda,
    }
    return meta, tensors


def set_rng_state(meta: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> None:
    """Restore what :func:`get_rng_state` returned."""
    torch.set_rng_state(tensors["rng.torch"])
    n_cuda = int(meta.get("cuda_devices", 0))
    if n_cuda and torch.cuda.is_available():
        states = [tensors[f"rng.cuda.{i}"] for i in range(min(n_cuda, torch.cuda.device_count()))]
        torch.cuda.set_rng_state_all(states)
    np_meta = meta["numpy"]
    keys = tensors["rng.numpy"].numpy().astype(np.uint32)
    np.random.set_state(
        (
            np_meta["kind"],
            keys,
            int(np_meta["pos"]),
            int(np_meta["has_gauss"]),
            float(np_meta["cached_gaussian"]),
        )
    )
    version, internal, gauss = meta["python"]
    random.setstate((int(version), tuple(int(v) for v in internal), gauss))


# ---------------------------------------------------------------------------
# Fingerprints
# ---------------------------------------------------------------------------


def arrays_sha256(arrays: Iterable[ModelInput | None]) -> str:
    """SHA-256 of arrays' dtypes, shapes and bytes (``None`` entries count as absent;
    packed graphs by :meth:`~biodl.encode.molecules.PackedGraphs.digest`).

    Examples
    --------
    >>> arrays_sha256([np.zeros(2)]) == arrays_sha256([np.zeros(2)])
    True
    >>> arrays_sha256([np.zeros(2)]) == arrays_sha256([np.zeros(3)])
    False
    """
    digest = hashlib.sha256()
    for a in arrays:
        if a is None:
            digest.update(b"none;")
            continue
        if isinstance(a, PackedGraphs):
            digest.update(a.digest())
            continue
        c = np.ascontiguousarray(a)
        digest.update(f"{c.dtype.str}{c.shape};".encode("ascii"))
        digest.update(c.data)
    return digest.hexdigest()


def run_fingerprint(
    config: Mapping[str, Any], data_files: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """What identifies a run for ``--resume``: the configuration's hash and the data's.

    Parameters
    ----------
    config
        The configuration as a plain mapping (e.g. :func:`biodl.config.config_to_dict`).
    data_files
        ``{"sha256": ...}`` per data file (e.g. :func:`biodl.runs.file_checksum`).

    Examples
    --------
    >>> run_fingerprint({"task": "binary"}, [{"path": "a.fa", "sha256": "ab"}])["data_sha256"]
    ['ab']
    """
    text = json.dumps(to_jsonable(config), sort_keys=True, default=str)
    return {
        "config_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "data_sha256": [str(f["sha256"]) for f in data_files],
    }


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_training_state(
    folder: Path, meta: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]
) -> Path:
    """Write ``state.json`` and its tensor file into ``folder`` (see the module docstring).

    ``meta`` needs ``epoch``; ``format``, ``format_version``, ``tensors`` and
    ``tensors_sha256`` are added. Returns the path of ``state.json``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    epoch = int(meta["epoch"])
    name = f"{_TENSORS_PREFIX}{epoch}.safetensors"
    target = folder / name
    flat = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    with atomic_path(target) as tmp:
        save_file(flat, os.fspath(tmp), metadata={"format": STATE_FORMAT, "epoch": str(epoch)})
    document = {
        "format": STATE_FORMAT,
        "format_version": STATE_FORMAT_VERSION,
        **{k: v for k, v in meta.items() if k not in ("format", "format_version")},
        "tensors": name,
        "tensors_sha256": _sha256_file(target),
    }
    path = folder / STATE_JSON
    atomic_write_text(path, json.dumps(to_jsonable(document), indent=1) + "\n")
    for old in folder.glob(f"{_TENSORS_PREFIX}*.safetensors"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return path


def _read_meta(folder: Path, run_dir: Path) -> dict[str, Any]:
    path = folder / STATE_JSON
    if not path.is_file():
        raise InputError(f"no checkpoint to resume; {_RESUME_HINT}", path=run_dir)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"unreadable training checkpoint (truncated or damaged: {exc}); {_RESUME_HINT}",
            path=path,
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != STATE_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise InputError(
            f"not a biodl training checkpoint (format {found!r}, expected {STATE_FORMAT!r}); "
            f"{_RESUME_HINT}",
            path=path,
        )
    version = meta.get("format_version")
    if version != STATE_FORMAT_VERSION:
        raise InputError(
            f"training checkpoint of format version {version!r}; this biodl reads version "
            f"{STATE_FORMAT_VERSION}; {_RESUME_HINT}",
            path=path,
        )
    for key in ("epoch", "tensors", "tensors_sha256", "fingerprint"):
        if key not in meta:
            raise InputError(
                f"training checkpoint lacks '{key}' (truncated or damaged); {_RESUME_HINT}",
                path=path,
            )
    return meta


def _compare(stored: Mapping[str, Any], expected: Mapping[str, Any] | None, path: Path) -> None:
    if expected is None:
        return
    for key, value in to_jsonable(expected).items():
        if key not in stored:
            raise InputError(
                f"training checkpoint has no '{key}' to compare; it is from another biodl; "
                f"{_RESUME_HINT}",
                path=path,
            )
        if stored[key] != value:
            what = "other data" if "data" in key or "arrays" in key else "another configuration"
            raise InputError(
                f"training checkpoint is from {what} ({key} differs); {_RESUME_HINT} "
                "or restore the original",
                path=path,
            )


def check_resumable(
    run_dir: str | os.PathLike[str], *, fingerprint: Mapping[str, Any] | None = None
) -> Path:
    """Check, without loading tensors, that ``run_dir`` holds a training state to resume.

    Parameters
    ----------
    run_dir
        The run folder being written (``OUT.partial``).
    fingerprint
        Keys that must equal the stored ``fingerprint``'s (e.g. :func:`run_fingerprint`).

    Returns
    -------
    Path
        ``run_dir/checkpoints/state.json``.

    Raises
    ------
    InputError
        One line naming the file: no checkpoint (``OUT.partial: no checkpoint to resume;
        run without --resume``), an unreadable or truncated one, one of another format, or
        one from another configuration or other data.
    """
    run = Path(run_dir)
    folder = run / "checkpoints"
    meta = _read_meta(folder, run)
    _compare(meta["fingerprint"], fingerprint, folder / STATE_JSON)
    tensors = folder / str(meta["tensors"])
    if not tensors.is_file():
        raise InputError(f"training checkpoint file is missing; {_RESUME_HINT}", path=tensors)
    return folder / STATE_JSON


def load_training_state(
    folder: Path,
    *,
    fingerprint: Mapping[str, Any] | None = None,
    run_dir: Path | None = None,
) -> TrainingState:
    """Read and check the training state in the ``checkpoints/`` folder ``folder``.

    Raises
    ------
    InputError
        As :func:`check_resumable`, and when the tensor file is truncated or does not
        match ``state.json``.
    """
    meta = _read_meta(folder, run_dir if run_dir is not None else folder.parent)
    _compare(meta["fingerprint"], fingerprint, folder / STATE_JSON)
    path = folder / str(meta["tensors"])
    if not path.is_file():
        raise InputError(f"training checkpoint file is missing; {_RESUME_HINT}", path=path)
    if _sha256_file(path) != meta["tensors_sha256"]:
        raise InputError(
            f"training checkpoint does not match {STATE_JSON} (truncated or changed); "
            f"{_RESUME_HINT}",
            path=path,
        )
    try:
        tensors = load_file(os.fspath(path))
    except (SafetensorError, OSError) as exc:
        raise InputError(
            f"unreadable training checkpoint ({exc}); {_RESUME_HINT}", path=path
        ) from None
    return TrainingState(meta=meta, tensors=tensors, folder=folder)


def discard_training_state(folder: Path) -> None:
    """Remove ``state.json`` and its tensor files from the ``checkpoints/`` folder
    ``folder`` (a finished run no longer needs them)."""
    (folder / STATE_JSON).unlink(missing_ok=True)
    for old in folder.glob(f"{_TENSORS_PREFIX}*.safetensors"):
        old.unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# The Lightning callback
# ---------------------------------------------------------------------------


class BestTracker(Protocol):
    """What :class:`ResumableTraining` needs of :class:`biodl.train.fit.BestWeights`."""

    best_epoch: int
    last_epoch: int

    def write(self, trainer: L.Trainer) -> None: ...

    def state(self) -> dict[str, Any]: ...

    def restore(
        self,
        state: dict[str, Any],
        *,
        best: dict[str, torch.Tensor] | None,
        last: dict[str, torch.Tensor],
    ) -> None: ...


class AveragingTracker(Protocol):
    """What :class:`ResumableTraining` needs of
    :class:`biodl.train.averaging.WeightAveraging`."""

    def training_weights(self, model: torch.nn.Module) -> dict[str, torch.Tensor]: ...

    def evaluated_weights(self, raw: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]: ...

    def state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]: ...

    def restore(
        self,
        meta: Mapping[str, Any],
        tensors: Mapping[str, torch.Tensor],
        model: torch.nn.Module,
    ) -> None: ...


def _model_of(pl_module: L.LightningModule) -> torch.nn.Module:
    model = pl_module.model
    if not isinstance(model, torch.nn.Module):  # pragma: no cover - SequenceTask has one
        msg = "the LightningModule has no .model"
        raise TypeError(msg)
    return model


def _load_loop_state(loop: Any, state: Mapping[str, Any]) -> None:
    """Set the progress counters of Lightning's fit loop (and its child loops) from
    ``loop.state_dict()`` output, through each progress object's ``load_state_dict``.

    Unlike ``FitLoop.load_state_dict`` this does not mark the loop as restarting or
    resuming: the state is taken at an epoch boundary, and the next epoch must run
    exactly as in an uninterrupted run (its data iterator created at its start).
    """
    for key, value in state.items():
        *path, last = key.split(".")
        owner = loop
        for name in path:
            owner = getattr(owner, name)
        if last == "state_dict":
            owner.on_load_checkpoint(value)
        else:
            getattr(owner, last).load_state_dict(value)


class ResumableTraining(Callback):
    """Save the complete training state after every epoch; restore it on resume.

    The state after epoch ``k`` is written when epoch ``k + 1`` starts (by then the
    learning-rate scheduler has stepped and early stopping has decided) and after the
    last epoch; the best and last weights follow it (``best.write``). On resume,
    weights, optimiser, schedulers, precision plugin, early stopping, best weights and
    the loop's counters are restored at ``on_fit_start``, and the random generators at
    the start of the first resumed epoch, where they were saved; the run then goes on
    exactly as the uninterrupted one (same thread count).

    Parameters
    ----------
    folder
        ``RUN/checkpoints``; ``None`` writes nothing.
    best
        The best-weights callback.
    early_stopping
        The early-stopping callback, if any.
    fingerprint
        Stored in the state and compared on resume.
    resume
        The state to continue from, or ``None``.
    averaging
        The weight-averaging callback (``train.weight_average``), if any: the state
        holds the raw training weights as ``model.<name>`` and the average as
        ``average.<name>``; the last weights handed to ``best`` on resume are the
        averaged ones, as validation saw them.
    """

    def __init__(
        self,
        folder: Path | None,
        *,
        best: BestTracker,
        early_stopping: EarlyStopping | None,
        fingerprint: Mapping[str, Any],
        resume: TrainingState | None = None,
        averaging: AveragingTracker | None = None,
    ) -> None:
        self.folder = folder
        self.best = best
        self.averaging = averaging
        self.early_stopping = early_stopping
        self.fingerprint = dict(fingerprint)
        self.resume = resume
        self.wall_before = 0.0 if resume is None else float(resume.meta.get("wall_s", 0.0))
        self._started = time.perf_counter()
        self._rng_pending = False
        self._log_rows: list[dict[str, str]] = []
        if resume is not None and folder is not None:
            self._log_rows = _old_log_rows(folder.parent, int(resume.meta["epoch"]))

    @property
    def wall_s(self) -> float:
        """Training time so far, including the runs this one resumes."""
        return self.wall_before + time.perf_counter() - self._started

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._started = time.perf_counter()
        if self.resume is not None:
            self._restore(trainer, pl_module)

    # -- saving ---------------------------------------------------------------

    def _save(self, trainer: L.Trainer, pl_module: L.LightningModule, *, epoch_start: bool) -> None:
        if self.folder is None:
            return
        if trainer.is_global_zero:
            for logger in trainer.loggers:  # logs/metrics.csv up to this epoch, for resume
                logger.save()
            loop = trainer.fit_loop.state_dict()
            if epoch_start:  # the next epoch is only 'ready': record the boundary
                for part in ("total", "current"):
                    counters = loop["epoch_progress"][part]
                    counters["ready"] = counters["started"]
            model = _model_of(pl_module)
            raw = model.state_dict()
            averaging: dict[str, Any] | None = None
            averaged: dict[str, torch.Tensor] = {}
            if self.averaging is not None:
                raw = self.averaging.training_weights(model)
                averaging, averaged = self.averaging.state()
            tensors = {f"model.{k}": v for k, v in raw.items()}
            tensors.update(averaged)
            optimizers = []
            for i, optimizer in enumerate(trainer.optimizers):
                meta, flat = optimizer_state(optimizer, f"optimizer.{i}.")
                optimizers.append(meta)
                tensors.update(flat)
            rng_meta, rng_tensors = get_rng_state()
            tensors.update(rng_tensors)
            early = None
            if self.early_stopping is not None:
                early = self.early_stopping.state_dict()
            save_training_state(
                self.folder,
                {
                    "epoch": int(trainer.fit_loop.epoch_progress.current.completed),
                    "global_step": int(trainer.global_step),
                    "fingerprint": self.fingerprint,
                    "loop": loop,
                    "should_stop": bool(trainer.should_stop),
                    "optimizers": optimizers,
                    "lr_schedulers": [
                        c.scheduler.state_dict() for c in trainer.lr_scheduler_configs
                    ],
                    "precision": trainer.precision_plugin.state_dict(),
                    "early_stopping": early,
                    "best_weights": self.best.state(),
                    "averaging": averaging,
                    "rng": rng_meta,
                    "wall_s": self.wall_s,
                    "num_threads": torch.get_num_threads(),
                },
                tensors,
            )
        self.best.write(trainer)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._rng_pending and self.resume is not None:
            set_rng_state(self.resume.meta["rng"], self.resume.tensors)
            self._rng_pending = False
            return
        if trainer.current_epoch > 0:
            self._save(trainer, pl_module, epoch_start=True)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._save(trainer, pl_module, epoch_start=False)

    # -- restoring ------------------------------------------------------------

    def _restore(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        state = self.resume
        assert state is not None
        meta = state.meta
        json_path = state.folder / STATE_JSON
        try:
            model = _model_of(pl_module)
            model.load_state_dict(state.prefixed("model."))
            if self.averaging is not None:
                if meta.get("averaging") is None:
                    raise ValueError("no weight-averaging state")
                self.averaging.restore(meta["averaging"], state.prefixed("average."), model)
            if len(meta["optimizers"]) != len(trainer.optimizers):
                raise ValueError("another number of optimisers")
            for i, optimizer in enumerate(trainer.optimizers):
                load_optimizer_state(
                    optimizer, meta["optimizers"][i], state.prefixed(f"optimizer.{i}.")
                )
            configs = trainer.lr_scheduler_configs
            if len(meta["lr_schedulers"]) != len(configs):
                raise ValueError("another learning-rate schedule")
            for config, sd in zip(configs, meta["lr_schedulers"], strict=True):
                config.scheduler.load_state_dict(from_jsonable(sd))
            if meta.get("precision"):
                trainer.precision_plugin.load_state_dict(from_jsonable(meta["precision"]))
            if self.early_stopping is not None:
                if meta.get("early_stopping") is None:
                    raise ValueError("no early-stopping state")
                self.early_stopping.load_state_dict(from_jsonable(meta["early_stopping"]))
            _load_loop_state(trainer.fit_loop, meta["loop"])
        except (KeyError, ValueError, RuntimeError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(
                f"training checkpoint does not fit this run ({first}); {_RESUME_HINT}",
                path=json_path,
            ) from None
        trainer.should_stop = bool(meta["should_stop"])
        last = {k: v.clone() for k, v in state.prefixed("model.").items()}
        if self.averaging is not None:  # what validation saw at the end of the last epoch
            last = self.averaging.evaluated_weights(last)
        self.best.restore(meta["best_weights"], best=self._best_weights(meta, last), last=last)
        self._rng_pending = True
        if self._log_rows and isinstance(trainer.logger, CSVLogger):
            trainer.logger.experiment.metrics[:0] = self._log_rows

    def _best_weights(
        self, meta: Mapping[str, Any], last: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor] | None:
        best_epoch = int(meta["best_weights"]["best_epoch"])
        if best_epoch < 0:
            return None
        if best_epoch == int(meta["best_weights"]["last_epoch"]):
            return {k: v.clone() for k, v in last.items()}
        assert self.resume is not None
        path = self.resume.folder / "best.safetensors"
        try:
            with safe_open(os.fspath(path), framework="pt") as handle:
                written = (handle.metadata() or {}).get("epoch")
            weights = load_file(os.fspath(path))
        except (SafetensorError, OSError) as exc:
            raise InputError(
                f"unreadable best weights ({exc}); {_RESUME_HINT}", path=path
            ) from None
        if written != str(best_epoch):
            raise InputError(
                f"best weights are of epoch {written}, the training checkpoint expects "
                f"{best_epoch}; {_RESUME_HINT}",
                path=path,
            )
        return weights


def _old_log_rows(run_dir: Path, epochs: int) -> list[dict[str, str]]:
    """Rows of ``logs/metrics.csv`` for the first ``epochs`` epochs (Lightning's CSV
    logger starts the file afresh; a resumed run puts them back)."""
    path = run_dir / "logs" / "metrics.csv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    kept = []
    for row in rows:
        try:
            epoch = int(float(row.get("epoch") or "nan"))
        except ValueError:
            continue
        if epoch < epochs:
            kept.append({k: v for k, v in row.items() if v not in ("", None)})
    return kept
