"""A multilayer perceptron for feature vectors (expression matrices)."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.models.layers import SequenceModel
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["MLPParams", "MLPTrunk", "mlp"]


class MLPParams(BaseModel):
    """Hyper-parameters of :func:`mlp`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    hidden: int = Field(default=64, ge=1)
    layers: int = Field(default=1, ge=0, le=8)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    input_dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    norm: Literal["batch", "layer", "none"] = "batch"


class MLPTrunk(nn.Module):
    """Flatten ``(N, C, L)`` to ``(N, C * L)`` (a matrix input is ``(N, F, 1)``), then for
    each hidden width: linear, normalisation, ReLU, dropout."""

    def __init__(
        self,
        in_features: int,
        *,
        hidden: list[int],
        dropout: float,
        input_dropout: float,
        norm: Literal["batch", "layer", "none"],
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten(), nn.Dropout(input_dropout)]
        width = in_features
        for units in hidden:
            layers.append(nn.Linear(width, units))
            if norm == "batch":
                layers.append(nn.BatchNorm1d(units))
            elif norm == "layer":
                layers.append(nn.LayerNorm(units))
            layers += [nn.ReLU(), nn.Dropout(dropout)]
            width = units
        self.net = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x if x.dtype.is_floating_point else x.float())


def mlp(params: MLPParams, io: ModelIO) -> SequenceModel:
    """A multilayer perceptron over the features of each sample (trunk) and a linear
    output layer (head).

    After DeepGene: Yuan Y., Shi Y., Li C., Kim J., Cai W., Han Z., Feng D.D. (2016)
    DeepGene: an advanced cancer type classifier based on deep learning and somatic point
    mutations. *BMC Bioinformatics* 17(Suppl 17):476. doi:10.1186/s12859-016-1334-9

    Architecture (input ``(N, F, 1)``: ``F`` preprocessed features, or any ``(N, C, L)``
    flattened): optional input dropout; ``layers`` hidden layers of ``hidden`` units, each a
    linear layer, batch or layer normalisation (``norm``), ReLU and dropout; a linear
    output layer (``layers: 0``: logistic or softmax regression).

    Differences from the original: DeepGene's input is a clustered, indexed sparse
    vector of somatic point mutations per gene fed to a fully connected network; biodl's
    input is a (log-transformed, filtered, standardised, selected) expression vector from
    ``data.preprocess``, with normalisation and dropout between layers and Adam with
    early stopping on a validation split. Defaults (one hidden layer of 64 units, dropout
    0.5, batch norm) suit the small-n microarray sets (tens of samples), not DeepGene's
    thousands of tumours.
    """
    in_features = io.n_channels * io.input_length
    trunk = MLPTrunk(
        in_features,
        hidden=[params.hidden] * params.layers,
        dropout=params.dropout,
        input_dropout=params.input_dropout,
        norm=params.norm,
    )
    head = nn.Linear(trunk.out_features, io.n_outputs)
    return SequenceModel(trunk, head, strands="single")


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    hidden={"type": "int", "low": 16, "high": 256, "log": True},
    layers={"type": "int", "low": 1, "high": 3},
    dropout={"type": "float", "low": 0.0, "high": 0.7},
    input_dropout={"type": "float", "low": 0.0, "high": 0.5},
    norm={"type": "categorical", "choices": ["batch", "layer", "none"]},
)

MLP = register_model(
    ModelSpec(
        name="mlp",
        summary="multilayer perceptron over feature vectors (expression matrices)",
        citation=(
            "after DeepGene, Yuan et al. 2016, BMC Bioinformatics 17:476, "
            "doi:10.1186/s12859-016-1334-9 (expression input, normalisation, dropout)"
        ),
        params=MLPParams,
        space=SEARCH_SPACE,
        build=mlp,
        alphabets=("matrix", "dna", "rna", "protein"),
    )
)
