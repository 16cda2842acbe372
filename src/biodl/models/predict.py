"""The one batched prediction path used by evaluation, interpretation and variant scoring."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from biodl.encode.molecules import ModelInput, PackedGraphs
from biodl.models.validate import check_array, check_positive_int

__all__ = ["default_device", "predict"]


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextmanager
def _eval_on(model: nn.Module, device: torch.device) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode on ``device``; restore its mode and device afterwards."""
    was_training = model.training
    try:
        first = next(model.parameters())
        old_device = first.device
    except StopIteration:
        old_device = device
    model.to(device).eval()
    try:
        yield model
    finally:
        model.train(was_training)
        model.to(old_device)


def predict(
    model: nn.Module,
    X: ModelInput | torch.Tensor,
    *,
    batch_size: int = 256,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Model outputs for ``X`` computed in batches, without gradients.

    Parameters
    ----------
    model
        Maps ``(B, C, L)`` to ``(B, T)``.
    X
        Inputs, shape ``(N, C, L)``; cast to float32 batch by batch. Packed graphs
        (:class:`~biodl.encode.molecules.PackedGraphs`) are padded batch by batch.
    batch_size
        Examples per forward pass. The result does not depend on it.
    device
        Where to compute; default CUDA when available. The model's device and
        train/eval mode are restored afterwards.

    Returns
    -------
    torch.Tensor
        Raw outputs (logits), shape ``(N, T)``, float32 on the CPU.

    Raises
    ------
    biodl.errors.InputError
        If ``batch_size`` is not a positive integer or ``X`` is not an array or tensor
        of shape ``(N, C, L)`` (:mod:`biodl.models.validate`).

    Examples
    --------
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 1))
    >>> predict(model, torch.zeros((3, 4, 2))).shape
    torch.Size([3, 1])
    """
    check_positive_int("batch_size", batch_size)
    dev = torch.device(device) if device is not None else default_device()
    outputs: list[torch.Tensor] = []
    if isinstance(X, PackedGraphs):
        with _eval_on(model, dev), torch.inference_mode():
            for start in range(0, len(X), batch_size):
                batch = torch.from_numpy(X[start : start + batch_size]).to(dev)
                outputs.append(model(batch).float().cpu())
        return torch.cat(outputs) if outputs else torch.empty((0, 0))
    check_array(X)
    tensor = torch.as_tensor(X)
    with _eval_on(model, dev), torch.inference_mode():
        for start in range(0, tensor.shape[0], batch_size):
            batch = tensor[start : start + batch_size].to(dev, dtype=torch.float32)
            outputs.append(model(batch).float().cpu())
    if not outputs:
        return torch.empty((0, 0))
    return torch.cat(outputs)
