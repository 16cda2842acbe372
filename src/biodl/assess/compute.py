"""What does it cost to run the model? (``assessment.json`` key ``compute``)

:func:`compute` reports the parameters, floating-point operations per sequence
(:class:`torch.utils.flop_counter.FlopCounterMode`, which counts ``2 x`` the
multiply-accumulates of matrix products and convolutions), peak memory of inference
(a batch of ``batch_size``) and of one training step, measured throughput, the model's
and training data's size on disk, and the time to score a genome at that throughput.

How memory is measured: the bytes of the weights plus the peak of tensors allocated
during the call (activations; for the training step also gradients and Adam's state):
on a GPU ``torch.cuda.max_memory_allocated`` after resetting the peak; on the CPU the
largest total of live tensor storages, tracked by a ``TorchDispatchMode`` (Python's
``tracemalloc`` does not see torch's allocations, and the process's resident set size
hides reuse by the allocator). Interpreter and library overhead is not included.

Examples
--------
>>> import torch
>>> flops_per_sequence(torch.nn.Conv1d(4, 8, 5), (4, 20))
5120
"""

from __future__ import annotations

import copy
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from biodl.assess._encode import encode_for_model
from biodl.assess.types import AssessInputs, Flag, Item
from biodl.errors import InputError
from biodl.models import default_device, predict
from biodl.tasks import Task

__all__ = [
    "compute",
    "flops_per_sequence",
    "peak_memory",
    "throughput",
]

_GB = 1024**3


def flops_per_sequence(model: nn.Module, shape: tuple[int, int]) -> int:
    """Floating-point operations of one forward pass of one ``(C, L)`` input.

    Counted by :class:`~torch.utils.flop_counter.FlopCounterMode` during
    :func:`biodl.models.predict` on the CPU (``2 x`` multiply-accumulates of matrix
    products and convolutions; element-wise operations are not counted).
    """
    return _flops_of(model, np.zeros((1, *shape), dtype=np.float32))


def _flops_of(model: nn.Module, X: np.ndarray) -> int:
    """Floating-point operations of one forward pass of the one input ``X`` ``(1, C, L)``."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        predict(model, X, batch_size=1, device="cpu")
    return int(counter.get_total_flops())


class _TensorPeak(TorchDispatchMode):
    """Peak bytes of CPU tensor storages created by the operations run under it.

    Each new storage adds its size when an operation returns it and subtracts it when it
    is freed (a weak-reference finaliser), so ``peak`` is the largest total alive at any
    time: activations, gradients, optimiser state and workspaces, not tensors that
    existed before (weights).
    """

    def __init__(self) -> None:
        super().__init__()
        self.live = 0
        self.peak = 0
        self._seen: dict[int, int] = {}

    def _free(self, key: int, size: int) -> None:
        self.live -= size
        self._seen.pop(key, None)

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        returns = getattr(getattr(func, "_schema", None), "returns", ())
        if any(r.alias_info is not None for r in returns):
            return out  # a view or an in-place result: no new storage
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor) or t.device.type != "cpu":
                continue
            storage = t.untyped_storage()
            key, size = storage.data_ptr(), storage.nbytes()
            if size == 0 or key in self._seen:
                continue
            self._seen[key] = size
            self.live += size
            self.peak = max(self.peak, self.live)
            weakref.finalize(storage, self._free, key, size)
        return out


def peak_memory(run: Callable[[], object], *, device: torch.device) -> int:
    """Peak bytes of tensors that ``run()`` allocates (weights and inputs made before
    are not counted): ``torch.cuda.max_memory_allocated`` growth on a GPU, the largest
    total of live CPU tensor storages (:class:`_TensorPeak`) on the CPU.

    Examples
    --------
    >>> layer = torch.nn.Linear(10, 1000)
    >>> peak_memory(lambda: layer(torch.ones(5, 10)), device=torch.device("cpu"))  # in + out
    20200
    """
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        run()
        torch.cuda.synchronize(device)
        return int(torch.cuda.max_memory_allocated(device) - base)
    tracker = _TensorPeak()
    with tracker:
        run()
    return tracker.peak


def throughput(
    model: nn.Module,
    X: np.ndarray,
    *,
    device: torch.device,
    batch_size: int = 256,
    min_seconds: float = 1.0,
) -> float:
    """Sequences per second of :func:`biodl.models.predict` on ``X`` (repeated until
    ``min_seconds`` have passed, after one warm-up pass)."""
    predict(model, X[:batch_size], batch_size=batch_size, device=device)
    n, start = 0, time.perf_counter()
    while True:
        predict(model, X, batch_size=batch_size, device=device)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        n += X.shape[0]
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return n / elapsed


def _loss(task: Task, out: torch.Tensor) -> torch.Tensor:
    """The task's training loss of ``out`` against all-zero targets (class 0)."""
    shape = tuple(out.shape) if task.numeric else (out.shape[0],)
    target = torch.as_tensor(task.training_targets(np.zeros(shape)), device=out.device)
    return task.loss(out, target)


def _training_step(trainee: nn.Module, X: np.ndarray, task: Task, device: torch.device) -> None:
    """One forward, backward and Adam step of ``trainee`` (a copy of the model)."""
    params = [p for p in trainee.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3)
    batch = torch.as_tensor(X).to(device, dtype=torch.float32)
    loss = _loss(task, trainee(batch))
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)


def _file_bytes(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _data_bytes(meta: dict[str, Any]) -> int | None:
    files = (meta.get("data") or {}).get("files") or []
    sizes = [f.get("bytes") for f in files if isinstance(f, dict)]
    known = [int(s) for s in sizes if isinstance(s, int)]
    return sum(known) if known and len(known) == len(sizes) else None


def _inputs_for(inputs: AssessInputs, n: int) -> np.ndarray:
    """``n`` model inputs: training (else any) sequences repeated, else zeros. Molecules:
    training (else any) molecules repeated, encoded by the run's input kind (graphs as one
    array padded to the largest of them)."""
    if inputs.is_molecule:
        from biodl.assess._encode import molecule_kind

        for name in ("train", "test", "valid"):
            view = inputs.splits.get(name)
            if view is not None and len(view):
                smiles = [view.sequences[i % len(view)] for i in range(n)]
                return np.asarray(molecule_kind(inputs.meta).encode(smiles), dtype=np.float32)
        raise InputError("no molecule to measure the model on")
    for name in ("train", "test", "valid"):
        view = inputs.splits.get(name)
        if view is not None and len(view) and all(view.sequences[: min(n, len(view))]):
            seqs = [view.sequences[i % len(view)] for i in range(n)]
            return encode_for_model(inputs.meta, seqs)
    c, length = int(inputs.meta["n_channels"]), int(inputs.meta["input_length"])
    return np.zeros((n, c, length), dtype=np.float32)


def compute(
    inputs: AssessInputs,
    *,
    workload_bp: float = 3.1e9,
    window: int | None = None,
    batch_size: int = 64,
    min_seconds: float = 1.0,
    memory_amber_gb: float = 16.0,
    device: str | torch.device | None = None,
) -> Item:
    """Parameters, FLOPs, memory, throughput, sizes on disk and genome-scale time.

    Parameters
    ----------
    inputs
        Needs the model; ``meta`` (``input_length``, ``n_channels``, ``data.files``),
        ``run_dir`` for the size of ``model.safetensors``.
    workload_bp
        Base pairs to score (default a human genome, 3.1 Gb).
    window
        Window length for the tiled estimate (stride = window); default the model's
        input length.
    batch_size
        Batch of the inference and training-step memory measurements.
    min_seconds
        Throughput is measured for at least this long.
    memory_amber_gb
        Amber when inference needs more than this many GB.
    device
        Where to measure; default CUDA when available, else CPU.

    Returns
    -------
    Item
        Key ``compute``; values ``n_parameters_trainable``, ``n_parameters_total``,
        ``flops_per_sequence``, ``device``, ``threads``, ``inference_peak_bytes``,
        ``training_step_peak_bytes``, ``memory_method``, ``sequences_per_s``,
        ``model_bytes``, ``training_data_bytes``, ``workload_bp``, ``window``,
        ``tiled_windows``, ``tiled_hours``, ``sliding_hours`` (one window per base).
    """
    rule = (
        f"informational: green unless inference on a batch of {batch_size} needs more than "
        f"{memory_amber_gb:g} GB (amber)"
    )
    model = inputs.model
    molecule = inputs.is_molecule
    if model is None or ("input_length" not in inputs.meta and not molecule):
        return Item("compute", "not_assessed", rule, "Not assessed: no model.", {})
    dev = torch.device(device) if device is not None else default_device()
    length = int(inputs.meta.get("input_length") or 1)
    win = int(window) if window is not None else length
    X = _inputs_for(inputs, max(batch_size, 256))
    params = list(model.parameters())
    if molecule:  # a real molecule: an all-zero graph is no molecule
        flops = _flops_of(model, X[:1])
    else:
        flops = flops_per_sequence(model, (int(X.shape[1]), int(X.shape[2])))
    batch = X[:batch_size]
    infer = peak_memory(
        lambda: predict(model, batch, batch_size=batch_size, device=dev), device=dev
    )
    trainee = copy.deepcopy(model).to(dev).train()
    kind = inputs.task_kind
    train = peak_memory(lambda: _training_step(trainee, batch, kind, dev), device=dev)
    weight_bytes = sum(p.numel() * p.element_size() for p in params)
    speed = throughput(model, X, device=dev, batch_size=256, min_seconds=min_seconds)
    n_windows = workload_bp / win
    values: dict[str, Any] = {
        "n_parameters_trainable": sum(p.numel() for p in params if p.requires_grad),
        "n_parameters_total": sum(p.numel() for p in params),
        "flops_per_sequence": flops,
        "input_shape": [int(X.shape[1]), int(X.shape[2])],
        "device": str(dev) if dev.type != "cuda" else torch.cuda.get_device_name(dev),
        "threads": torch.get_num_threads(),
        "batch_size": batch_size,
        "weight_bytes": weight_bytes,
        "inference_peak_bytes": weight_bytes + infer,
        "training_step_peak_bytes": weight_bytes + train,
        "memory_method": (
            "weights + peak of torch.cuda.max_memory_allocated during the call"
            if dev.type == "cuda"
            else "weights + peak of live CPU tensor storages during the call"
        ),
        "sequences_per_s": speed,
        "model_bytes": (
            _file_bytes(inputs.run_dir / "model.safetensors") if inputs.run_dir else None
        ),
        "training_data_bytes": _data_bytes(dict(inputs.meta)),
        "workload_bp": workload_bp,
        "window": win,
        "tiled_windows": n_windows,
        "tiled_hours": n_windows / speed / 3600.0,
        "sliding_hours": workload_bp / speed / 3600.0,
        "tiled_flops": flops * n_windows,
    }
    flag: Flag = "amber" if weight_bytes + infer > memory_amber_gb * _GB else "green"
    if molecule:  # no genome to tile: the time to score a million molecules instead
        for key in ("workload_bp", "window", "tiled_windows", "tiled_hours", "sliding_hours"):
            values.pop(key)
        values.pop("tiled_flops")
        values["input_shape_note"] = "the training molecules, padded to the largest of them"
        values["hours_per_million_molecules"] = 1e6 / speed / 3600.0
        summary = (
            f"{values['n_parameters_trainable']:,} trainable parameters, {flops / 1e6:.3g} "
            f"MFLOP per molecule, {values['inference_peak_bytes'] / 2**20:.3g} MiB to score a "
            f"batch of {batch_size}, {speed:,.0f} molecules/s on {values['device']}: "
            f"{values['hours_per_million_molecules']:.3g} h per million molecules."
        )
        return Item("compute", flag, rule, summary, values)
    summary = (
        f"{values['n_parameters_trainable']:,} trainable parameters, {flops / 1e6:.3g} MFLOP "
        f"per sequence, {values['inference_peak_bytes'] / 2**20:.3g} MiB to score a batch of "
        f"{batch_size}, {speed:,.0f} sequences/s on {values['device']}: "
        f"{values['tiled_hours']:.3g} h to tile {workload_bp / 1e9:.3g} Gb in {win} bp windows, "
        f"{values['sliding_hours']:.3g} h sliding base by base."
    )
    return Item("compute", flag, rule, summary, values)
