"""Basset (Kelley, Snoek & Rinn 2016)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from biodl.models.blocks import ConvLayer, ConvStack, FlattenDenseHead
from biodl.models.layers import SequenceModel
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["BassetParams", "basset"]


class BassetParams(BaseModel):
    """Hyper-parameters of :func:`basset` (defaults: the published network)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    conv1_filters: int = Field(default=300, ge=1)
    conv1_width: int = Field(default=19, ge=1)
    pool1_width: int = Field(default=3, ge=1)
    conv2_filters: int = Field(default=200, ge=1)
    conv2_width: int = Field(default=11, ge=1)
    pool2_width: int = Field(default=4, ge=1)
    conv3_filters: int = Field(default=200, ge=1)
    conv3_width: int = Field(default=7, ge=1)
    pool3_width: int = Field(default=4, ge=1)
    hidden: int = Field(default=1000, ge=1)
    hidden_layers: int = Field(default=2, ge=0)
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)
    strands: Literal["single", "max", "mean"] = "single"


def basset(params: BassetParams, io: ModelIO) -> SequenceModel:
    """Basset: three convolutional layers with batch norm, two dense layers.

    Kelley D.R., Snoek J., Rinn J.L. (2016) Basset: learning the regulatory code of the
    accessible genome with deep convolutional neural networks. *Genome Research*
    26:990-999. doi:10.1101/gr.200535.115

    Architecture (input ``(N, C, L)`` one-hot; defaults in brackets):

    1. convolution of ``conv1_filters`` [300] filters of width ``conv1_width`` [19],
       batch norm, ReLU, max-pooling of width and stride ``pool1_width`` [3];
    2. the same with [200] filters of width [11], pooling [4];
    3. the same with [200] filters of width [7], pooling [4];
    4. flatten, then ``hidden_layers`` [2] dense layers of ``hidden`` [1000] units, each
       followed by batch norm, ReLU and dropout ``dropout`` [0.3];
    5. a linear layer to ``n_outputs`` logits (Basset: 164 cell types, sigmoid);
    6. ``strands`` [single] scores the given strand; ``mean``/``max`` also score the
       reverse complement and combine the logits.

    The trunk (``model.trunk``, :class:`~biodl.models.blocks.ConvStack`) returns
    ``(N, conv3_filters, L')``; the flattened size is computed from ``io.input_length``
    (200 x 10 = 2,000 for Basset's 600 bp).

    Differences from the original:

    * Input length: convolutions are 'valid' as in Basset and pooling drops a ragged
      last window (no window is ragged at Basset's 600 bp), but below 132 bp the third
      convolution would have fewer than 7 positions to scan, and below 168 bp the last
      pooling window would be wider than its input; there the layer input is
      zero-padded to the filter width and pooling widths are capped at the length, so
      one position remains (:mod:`biodl.models.blocks`). At 101 bp the flattened size
      is 200 x 1.
    * Training: Basset used RMSprop with hyper-parameters chosen by Bayesian
      optimisation; biodl trains with Adam(W) and its own defaults. Weights start from
      PyTorch's default initialisation.
    * Outputs are logits; the sigmoid is in the loss and at prediction time.
    * The two hidden layers share one width and one dropout rate here (they are equal in
      the published network).

    Batch norm (as in Basset) needs at least two examples per batch in training mode:
    PyTorch refuses a training batch of one example.
    """
    layers = [
        ConvLayer(params.conv1_filters, params.conv1_width, params.pool1_width),
        ConvLayer(params.conv2_filters, params.conv2_width, params.pool2_width),
        ConvLayer(params.conv3_filters, params.conv3_width, params.pool3_width),
    ]
    trunk = ConvStack(io.n_channels, io.input_length, layers, batch_norm=True)
    head = FlattenDenseHead(
        trunk.out_features,
        io.n_outputs,
        hidden=(params.hidden,) * params.hidden_layers,
        batch_norm=True,
        dropout=params.dropout,
    )
    return SequenceModel(trunk, head, strands=params.strands)


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    hidden={"type": "int", "low": 64, "high": 1024, "log": True},
    hidden_layers={"type": "int", "low": 1, "high": 3},
    dropout={"type": "float", "low": 0.1, "high": 0.6},
)

BASSET = register_model(
    ModelSpec(
        name="basset",
        summary="3 conv layers (300x19, 200x11, 200x7) with batch norm and max-pooling, "
        "2 dense layers of 1000",
        citation="Kelley et al. 2016, Genome Res 26:990, doi:10.1101/gr.200535.115",
        params=BassetParams,
        space=SEARCH_SPACE,
        build=basset,
    )
)
