"""The model zoo: plain ``nn.Module`` architectures built from a trunk and a head.

Use :func:`create_model` with a registered name (:func:`list_models`). Every model maps
a one-hot tensor ``(N, C, L)`` to logits ``(N, n_outputs)``.
"""

from __future__ import annotations

from biodl.models.deepbind import DeepBindParams, DeepBindTrunk, deepbind
from biodl.models.layers import DenseHead, GlobalPool, SequenceModel, reverse_complement_tensor
from biodl.models.predict import default_device, predict
from biodl.models.registry import (
    ModelIO,
    ModelSpec,
    create_model,
    get_model_spec,
    list_models,
    register_model,
    validate_params,
)

__all__ = [
    "DeepBindParams",
    "DeepBindTrunk",
    "DenseHead",
    "GlobalPool",
    "ModelIO",
    "ModelSpec",
    "SequenceModel",
    "create_model",
    "deepbind",
    "default_device",
    "get_model_spec",
    "list_models",
    "predict",
    "register_model",
    "reverse_complement_tensor",
    "validate_params",
]
