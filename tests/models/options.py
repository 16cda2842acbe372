"""Shared by the model tests: a valid alternative value for each hyper-parameter."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

import torch
from pydantic.fields import FieldInfo
from torch import nn


def alternative(field: FieldInfo, current: Any) -> Any:
    """A valid value of ``field`` other than ``current`` (to check that an option acts)."""
    annotation = field.annotation
    if get_origin(annotation) is Literal:
        return next(choice for choice in get_args(annotation) if choice != current)
    if get_origin(annotation) is list:
        return [*current, current[-1] + 2]
    if annotation is bool:
        return not current
    if annotation is int:
        return current + 1
    if annotation is float:
        return current / 2 if current > 0 else 0.1
    raise AssertionError(f"no alternative value for a field of type {annotation}")


def fingerprint(model: nn.Module, x: torch.Tensor) -> tuple[Any, ...]:
    """What an option may change: the module tree, the parameter count, the output on ``x``."""
    model.eval()
    with torch.no_grad():
        out = model(x)
    n_params = sum(p.numel() for p in model.parameters())
    return repr(model), n_params, out.numpy().tobytes()
