"""DeepSEA (Zhou & Troyanskaya 2015)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from biodl.models.blocks import ConvLayer, ConvStack, FlattenDenseHead
from biodl.models.layers import SequenceModel
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["DeepSEAParams", "deepsea"]


class DeepSEAParams(BaseModel):
    """Hyper-parameters of :func:`deepsea` (defaults: the published network)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    conv1_filters: int = Field(default=320, ge=1)
    conv2_filters: int = Field(default=480, ge=1)
    conv3_filters: int = Field(default=960, ge=1)
    filter_width: int = Field(default=8, ge=1)
    pool_width: int = Field(default=4, ge=1)
    conv_dropout: float = Field(default=0.2, ge=0.0, lt=1.0)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    hidden: int = Field(default=925, ge=0)
    strands: Literal["single", "max", "mean"] = "mean"


def deepsea(params: DeepSEAParams, io: ModelIO) -> SequenceModel:
    """DeepSEA: three convolutional layers and a dense layer, both strands averaged.

    Zhou J., Troyanskaya O.G. (2015) Predicting effects of noncoding variants with deep
    learning-based sequence model. *Nature Methods* 12:931-934. doi:10.1038/nmeth.3547

    Architecture (input ``(N, C, L)`` one-hot; defaults in brackets):

    1. convolution of ``conv1_filters`` [320] filters of width ``filter_width`` [8],
       ReLU, max-pooling of width and stride ``pool_width`` [4], dropout
       ``conv_dropout`` [0.2];
    2. the same with ``conv2_filters`` [480] filters;
    3. convolution of ``conv3_filters`` [960] filters, ReLU, dropout ``dropout`` [0.5];
    4. flatten, a dense ReLU layer of ``hidden`` [925] units (none if 0), a linear layer
       to ``n_outputs`` logits (DeepSEA: 919 sigmoid outputs);
    5. with ``strands: mean`` [default] the logits of the sequence and of its reverse
       complement are averaged.

    The trunk (``model.trunk``, :class:`~biodl.models.blocks.ConvStack`) returns
    ``(N, conv3_filters, L')``; the flattened size is computed from ``io.input_length``
    (960 x 53 = 50,880 for DeepSEA's 1,000 bp).

    Differences from the original:

    * Input length: convolutions are 'valid' and pooling drops a ragged last window as
      in DeepSEA, but below 163 bp the third convolution would have fewer than 8
      positions to scan; there (and wherever a layer would leave no position) the layer
      input is zero-padded to the filter width and pooling widths are capped at the
      length, so one position remains (:mod:`biodl.models.blocks`). At 101 bp the
      flattened size is 960 x 1.
    * Strands: DeepSEA averaged the *probabilities* of the forward and reverse-complement
      sequence when evaluating; ``strands: mean`` averages the *logits*, in training as
      well as in prediction, so the model is exactly strand-symmetric.
    * Training: DeepSEA used SGD with momentum, an L2 weight penalty (5e-7), an L1
      activity penalty (1e-8) and a max-norm constraint on the weights, for 919 binary
      tasks; biodl trains with Adam(W) and weight decay and does not constrain norms.
      Weights start from PyTorch's default initialisation.
    * Outputs are logits; the sigmoid is in the loss and at prediction time.
    """
    trunk = ConvStack(
        io.n_channels,
        io.input_length,
        [
            ConvLayer(
                params.conv1_filters, params.filter_width, params.pool_width, params.conv_dropout
            ),
            ConvLayer(
                params.conv2_filters, params.filter_width, params.pool_width, params.conv_dropout
            ),
            ConvLayer(params.conv3_filters, params.filter_width, 1, params.dropout),
        ],
    )
    hidden = (params.hidden,) if params.hidden > 0 else ()
    head = FlattenDenseHead(trunk.out_features, io.n_outputs, hidden=hidden)
    return SequenceModel(trunk, head, strands=params.strands)


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    hidden={"type": "int", "low": 64, "high": 1024, "log": True},
    conv_dropout={"type": "float", "low": 0.0, "high": 0.4},
    dropout={"type": "float", "low": 0.1, "high": 0.6},
)

DEEPSEA = register_model(
    ModelSpec(
        name="deepsea",
        summary="3 conv layers (320/480/960 filters of width 8), max-pooling, dense 925; "
        "averages both strands",
        citation="Zhou & Troyanskaya 2015, Nat Methods 12:931, doi:10.1038/nmeth.3547",
        params=DeepSEAParams,
        space=SEARCH_SPACE,
        build=deepsea,
    )
)
