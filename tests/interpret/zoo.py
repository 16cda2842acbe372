"""Tiny configurations of every zoo model, and inputs of the right layout, for tests."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from biodl.data.cpg import CpgPacking
from biodl.models import ModelIO, create_model, get_model_spec, list_models

SMALL: dict[str, dict[str, Any]] = {
    "basset": {"conv1_filters": 8, "conv2_filters": 8, "conv3_filters": 8, "hidden": 8},
    "danq": {"n_filters": 8, "lstm_units": 4, "hidden": 8, "strands": "max"},
    "deepbind": {"n_filters": 6, "filter_width": 9, "hidden": 8, "pooling": "max_avg"},
    "deepsea": {"conv1_filters": 8, "conv2_filters": 8, "conv3_filters": 8, "hidden": 8},
    "dilated_resnet": {"n_filters": 8, "n_blocks": 2},
    "deeploc": {
        "conv_filters": 3,
        "conv_widths": [1, 3],
        "conv2_filters": 6,
        "lstm_units": 4,
        "attention_units": 4,
        "hidden": 8,
    },
    "deepfam": {"n_filters": 6, "widths": [4, 8], "hidden": 8},
    "residue_tagger": {"conv_filters": 6, "conv_width": 5, "lstm_units": 4, "hidden": 6},
    "light_attention": {"filters": 4, "width": 5, "hidden": 6},
    "residue_embedding": {"hidden": 6, "width": 5},
    "deepgoplus_cnn": {"n_filters": 6, "widths": [4, 8]},
    "deepmir": {"conv2d_filters": 2, "conv1d_filters": 4, "hidden": 8},
    "deepcpg_cpg": {"replicate_units": 6, "gru_units": 4},
    "mlp": {"hidden": 8},
    "dae": {"hidden": 8, "bottleneck": 4, "pretrain_epochs": 0},
    "multiview": {"hidden": 6},
    "deepcpg": {
        "conv1_filters": 4,
        "conv2_filters": 4,
        "dna_hidden": 6,
        "replicate_units": 6,
        "gru_units": 4,
        "joint_hidden": 6,
    },
}
ZOO = [spec.name for spec in list_models()]
PROTEIN_LENGTH, PADDING = 24, 4
MATRIX_FEATURES = 12


def model_io(name: str, n_outputs: int = 2) -> ModelIO:
    """The input layout of model ``name`` at a small size."""
    if name.startswith("deepcpg"):
        p = CpgPacking(n_outputs, 4, 24 if name == "deepcpg" else 0)
        return ModelIO(p.channels, p.length, n_outputs, layout=p.layout)
    if name == "deepmir":
        return ModelIO(8 + 20, 20, n_outputs, alphabet="rna")
    spec = get_model_spec(name)
    if spec.alphabets[0] == "matrix" or name == "mlp":  # samples x features, (N, F, 1)
        views = (("view:a", 5), ("view:b", 7)) if name == "multiview" else ()
        return ModelIO(MATRIX_FEATURES, 1, n_outputs, alphabet="matrix", layout=views)
    if "protein" in spec.alphabets:
        return ModelIO(
            20, PROTEIN_LENGTH, n_outputs, alphabet="protein", per_position=spec.per_position
        )
    return ModelIO(4, 60, n_outputs)


def build(name: str, n_outputs: int = 2, *, seed: int = 0) -> nn.Module:
    """Model ``name`` (small widths, random weights, eval mode)."""
    torch.manual_seed(seed)
    params = SMALL.get(name, {})
    return create_model(name, params, io=model_io(name, n_outputs)).eval()


def inputs(name: str, n: int = 3, *, seed: int = 1) -> torch.Tensor:
    """``n`` random inputs of model ``name``'s layout (float32)."""
    io = model_io(name)
    g = torch.Generator().manual_seed(seed)
    if io.alphabet == "protein":
        idx = torch.randint(0, 20, (n, io.input_length), generator=g)
        x = torch.nn.functional.one_hot(idx, 20).permute(0, 2, 1).float()
        x[:, :, -PADDING:] = 0.0  # padding at the end
        return x
    if io.alphabet == "matrix":
        return torch.randn(n, io.n_channels, 1, generator=g)
    if io.n_channels == 4:
        idx = torch.randint(0, 4, (n, io.input_length), generator=g)
        return torch.nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()
    return torch.rand(n, io.n_channels, io.input_length, generator=g)
