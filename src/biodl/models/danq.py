"""DanQ (Quang & Xie 2016), the convolutional + recurrent design also used by DeepGMAP."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.models.blocks import ConvLayer, ConvStack, FlattenDenseHead
from biodl.models.layers import SequenceModel
from biodl.models.locality import Link, NonLocal
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["DanQParams", "DanQTrunk", "danq"]


class DanQParams(BaseModel):
    """Hyper-parameters of :func:`danq` (defaults: the published DanQ network)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    n_filters: int = Field(default=320, ge=1)
    filter_width: int = Field(default=26, ge=1)
    pool_width: int = Field(default=13, ge=1)
    conv_dropout: float = Field(default=0.2, ge=0.0, lt=1.0)
    lstm_units: int = Field(default=320, ge=1)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    hidden: int = Field(default=925, ge=0)
    strands: Literal["single", "max", "mean"] = "mean"


class DanQTrunk(nn.Module):
    """Convolution, max-pooling, dropout, bidirectional LSTM, dropout.

    ``(N, C, L)`` to ``(N, 2 * lstm_units, L')``: the forward and backward LSTM outputs
    at each of the ``L'`` pooled positions, concatenated on the channel axis.

    Parameters
    ----------
    n_channels, input_length
        ``C`` and ``L`` of the input.
    n_filters, filter_width, pool_width, conv_dropout
        The convolutional layer (ReLU, 'valid', see :class:`~biodl.models.blocks.ConvBlock`).
    lstm_units
        Hidden units of each direction of the LSTM.
    dropout
        Dropout on the LSTM outputs.

    Attributes
    ----------
    out_channels, output_length
        ``2 * lstm_units`` and ``L'``.
    """

    def __init__(
        self,
        n_channels: int,
        input_length: int,
        *,
        n_filters: int,
        filter_width: int,
        pool_width: int,
        conv_dropout: float,
        lstm_units: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.conv = ConvStack(
            n_channels,
            input_length,
            [ConvLayer(n_filters, filter_width, pool_width, conv_dropout)],
        )
        self.lstm = nn.LSTM(n_filters, lstm_units, batch_first=True, bidirectional=True)
        self.dropout: nn.Module = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.out_channels = 2 * lstm_units
        self.output_length = self.conv.output_length

    @property
    def out_features(self) -> int:
        """``2 * lstm_units * L'``: the size of the flattened output."""
        return self.out_channels * self.output_length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.recurrent(self.conv(x))

    def recurrent(self, h: torch.Tensor) -> torch.Tensor:
        """The LSTM and its dropout on the convolutional features ``(N, F, L')``."""
        out, _ = self.lstm(h.transpose(1, 2))  # (N, L', 2H)
        return self.dropout(out).transpose(1, 2)

    def forward_chain(self) -> list[Link]:
        """The convolution, then the (not local) LSTM (:mod:`biodl.models.locality`)."""
        return [self.conv, NonLocal(self.recurrent)]


def danq(params: DanQParams, io: ModelIO) -> SequenceModel:
    """DanQ: a convolutional motif scanner followed by a bidirectional LSTM.

    Quang D., Xie X. (2016) DanQ: a hybrid convolutional and recurrent deep neural
    network for quantifying the function of DNA sequences. *Nucleic Acids Research*
    44:e107. doi:10.1093/nar/gkw226

    Architecture (input ``(N, C, L)`` one-hot; defaults in brackets):

    1. convolution of ``n_filters`` [320] filters of width ``filter_width`` [26], ReLU,
       max-pooling of width and stride ``pool_width`` [13], dropout ``conv_dropout``
       [0.2];
    2. a bidirectional LSTM of ``lstm_units`` [320] units per direction over the pooled
       positions, returning every position; dropout ``dropout`` [0.5];
    3. flatten, a dense ReLU layer of ``hidden`` [925] units (none if 0), a linear layer
       to ``n_outputs`` logits (DanQ: DeepSEA's 919 sigmoid outputs on 1,000 bp);
    4. with ``strands: mean`` [default] the logits of the sequence and of its reverse
       complement are averaged.

    The trunk (:class:`DanQTrunk`) returns ``(N, 2 * lstm_units, L')``; the flattened
    size is computed from ``io.input_length`` (640 x 75 = 48,000 for 1,000 bp; 640 x 5
    for 101 bp).

    DeepGMAP (Onimaru K., Nishimura O., Kuraku S. (2020) Predicting gene regulatory
    regions with a convolutional neural network for processing double-strand genome
    sequence information. *PLoS ONE* 15:e0235748. doi:10.1371/journal.pone.0235748)
    trains and compares models of this CNN+RNN design. This builder covers them, with
    these differences from the DeepGMAP code: its ``danq`` model pools with TensorFlow
    ``SAME`` padding (a ragged last window is kept: ``ceil`` rather than ``floor``),
    applies dropout inside the LSTM cells and after the dense layer, and trains with
    RMSprop; its strand-aware ``danqfrss`` variant replaces the single 26-wide
    convolution by two 13-wide convolutional layers (pooling 2, then 6) that scan the
    sequence with each filter and its reverse complement ("forward- and reverse-sequence
    scan", FRSS) and sums the two strands after the second convolution, before the
    LSTM, and trains with Adam and L2/L1 penalties. biodl has no FRSS layers:
    ``strands: mean``/``max`` combine the logits of the two strands at the output
    instead, which also makes the prediction strand-symmetric.

    Differences from the original DanQ:

    * Input length: the convolution is 'valid' and pooling drops a ragged last window
      as in DanQ; below 38 bp, where no full pooling window remains, the pooling width
      is capped at the length (and below 26 bp the input is zero-padded to the filter
      width), so one position remains (:mod:`biodl.models.blocks`).
    * Strands: DanQ averaged the *probabilities* of the forward and reverse-complement
      sequence when evaluating; ``strands: mean`` averages the *logits*, in training as
      well as in prediction.
    * Training: DanQ used RMSprop (Keras) and, for DanQ-JASPAR, 1,024 filters, half
      initialised from JASPAR motifs; biodl trains with Adam(W), and weights
      start from PyTorch's default initialisation (Keras' LSTM differs: orthogonal
      recurrent weights, forget-gate bias 1).
    * Parameters: PyTorch's LSTM has two bias vectors per gate where Keras has one, so
      the model for 919 outputs on 1,000 bp has 46,929,039 parameters, 2,560 more than
      DanQ's 46,926,479; the function is the same.
    * Outputs are logits; the sigmoid is in the loss and at prediction time.
    """
    trunk = DanQTrunk(
        io.n_channels,
        io.input_length,
        n_filters=params.n_filters,
        filter_width=params.filter_width,
        pool_width=params.pool_width,
        conv_dropout=params.conv_dropout,
        lstm_units=params.lstm_units,
        dropout=params.dropout,
    )
    hidden = (params.hidden,) if params.hidden > 0 else ()
    head = FlattenDenseHead(trunk.out_features, io.n_outputs, hidden=hidden)
    return SequenceModel(trunk, head, strands=params.strands)


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    n_filters={"type": "int", "low": 64, "high": 512, "log": True},
    lstm_units={"type": "int", "low": 64, "high": 512, "log": True},
    hidden={"type": "int", "low": 64, "high": 1024, "log": True},
    dropout={"type": "float", "low": 0.1, "high": 0.6},
)

DANQ = register_model(
    ModelSpec(
        name="danq",
        summary="conv 320x26, max-pool 13, bidirectional LSTM 320, dense 925 (CNN+RNN, as in "
        "DanQ and DeepGMAP); averages both strands",
        citation="Quang & Xie 2016, Nucleic Acids Res 44:e107, doi:10.1093/nar/gkw226; "
        "Onimaru et al. 2020, PLoS ONE 15:e0235748, doi:10.1371/journal.pone.0235748",
        params=DanQParams,
        space=SEARCH_SPACE,
        build=danq,
    )
)
