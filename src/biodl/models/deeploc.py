"""DeepLoc (Almagro Armenteros et al. 2017): protein subcellular localisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, cast

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.auxiliary import AuxiliaryOutput
from biodl.models.layers import SequenceModel
from biodl.models.locality import Link, NonLocal
from biodl.models.masking import MultiWidthConv, masked_lstm, masked_softmax, padding_mask
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = [
    "MEMBRANE",
    "AdditiveAttention",
    "DeepLocHead",
    "DeepLocModel",
    "DeepLocParams",
    "DeepLocTrunk",
    "deeploc",
]

Width = Annotated[int, Field(ge=1)]

MEMBRANE = AuxiliaryOutput(
    "membrane",
    positive="M",
    negative="S",
    description="membrane-bound (vs soluble)",
    hint="DeepLoc-style -M/-S membrane flags: FASTA headers '>ACC Location-M' read with "
    "'header_label: deeploc', or a table 'group:' column of M/S/U",
)
"""DeepLoc's membrane head: the protein's group ``M`` (membrane-bound) is 1, ``S``
(soluble) 0, ``U`` unknown (DeepLoc FASTA headers read with ``header_label: deeploc``)."""


class DeepLocParams(BaseModel):
    """Hyper-parameters of :func:`deeploc` (defaults: DeepLoc's sizes)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    conv_filters: int = Field(default=20, ge=1)
    conv_widths: list[Width] = Field(default=[1, 3, 5, 9, 15, 21], min_length=1)
    conv2_filters: int = Field(default=128, ge=1)
    conv2_width: int = Field(default=3, ge=1)
    lstm_units: int = Field(default=256, ge=1)
    attention_units: int = Field(default=256, ge=1)
    hidden: int = Field(default=512, ge=0)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    membrane_head: bool = False


class AdditiveAttention(nn.Module):
    """Single-head additive attention pooling over the real positions.

    ``(N, L, D)`` states and a ``(N, L)`` mask to weights ``(N, L)``:
    ``softmax_t(v . tanh(W h_t + b))`` over the real positions (:func:`masked_softmax`:
    exactly 0 at padding, summing to 1), and the context ``sum_t a_t h_t``, ``(N, D)``.
    """

    def __init__(self, in_features: int, units: int) -> None:
        super().__init__()
        self.project = nn.Linear(in_features, units)
        self.score = nn.Linear(units, 1, bias=False)

    def weights(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Attention weights ``(N, L)``."""
        scores = self.score(torch.tanh(self.project(states))).squeeze(-1)
        return masked_softmax(scores, mask)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nl,nld->nd", self.weights(states, mask), states)


class DeepLocTrunk(nn.Module):
    """Multi-width convolutions, a second convolution, a masked BiLSTM, attention pooling.

    ``(N, C, L)`` to the attention context ``(N, 2 * lstm_units)``.

    Parameters
    ----------
    n_channels
        ``C``.
    conv_filters, conv_widths
        Filters per width and the widths of the first (multi-width) convolution.
    conv2_filters, conv2_width
        The second convolution.
    lstm_units
        Units of each LSTM direction.
    attention_units
        Width of the attention's hidden layer.
    dropout
        Dropout on the second convolution's output.

    Attributes
    ----------
    out_features
        ``2 * lstm_units``.
    """

    def __init__(
        self,
        n_channels: int,
        *,
        conv_filters: int,
        conv_widths: Sequence[int],
        conv2_filters: int,
        conv2_width: int,
        lstm_units: int,
        attention_units: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.conv1 = MultiWidthConv(n_channels, conv_filters, conv_widths)
        self.conv2 = MultiWidthConv(self.conv1.out_channels, conv2_filters, [conv2_width])
        self.dropout: nn.Module = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.lstm = nn.LSTM(conv2_filters, lstm_units, batch_first=True, bidirectional=True)
        self.attention = AdditiveAttention(2 * lstm_units, attention_units)
        self.out_features = 2 * lstm_units

    def states(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """BiLSTM states ``(N, L, 2 * lstm_units)`` (zero outside the protein) and the mask."""
        mask = padding_mask(x)
        h = self.dropout(self.conv2(self.conv1(x, mask), mask))
        return masked_lstm(self.lstm, h.transpose(1, 2), mask), mask

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights ``(N, L)``: exactly 0 at padding, summing to 1 per protein."""
        states, mask = self.states(x)
        return self.attention.weights(states, mask)

    def forward_chain(self) -> list[Link]:
        """Not local for fast ISM: padding columns change the mask, so a substitution
        can change every position (:mod:`biodl.models.locality`)."""
        return [NonLocal(self.forward)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, mask = self.states(x)
        return self.attention(states, mask)


class DeepLocHead(nn.Module):
    """Dropout, a dense ReLU layer and dropout shared by the localisation and membrane outputs.

    ``forward`` gives the localisation logits ``(N, n_outputs)``; :meth:`membrane`
    the membrane-bound logit ``(N,)`` when built with ``membrane=True``, and :meth:`both`
    the two from one pass through the shared layers (one dropout draw in training).
    """

    def __init__(
        self, in_features: int, n_outputs: int, *, hidden: int, dropout: float, membrane: bool
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Dropout(dropout)] if dropout > 0 else []
        width = in_features
        if hidden > 0:
            layers += [nn.Linear(in_features, hidden), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = hidden
        self.shared = nn.Sequential(*layers)
        self.localisation = nn.Linear(width, n_outputs)
        self.membrane_out: nn.Linear | None = nn.Linear(width, 1) if membrane else None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.localisation(self.shared(features))

    def _membrane_out(self) -> nn.Linear:
        if self.membrane_out is None:
            raise ConfigError("this deeploc model has no membrane head (model.membrane_head)")
        return self.membrane_out

    def membrane(self, features: torch.Tensor) -> torch.Tensor:
        """Membrane-bound (vs soluble) logit ``(N,)``."""
        return self._membrane_out()(self.shared(features)).squeeze(-1)

    def both(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Localisation logits ``(N, n_outputs)`` and membrane logit ``(N,)``."""
        membrane_out = self._membrane_out()
        shared = self.shared(features)
        return self.localisation(shared), membrane_out(shared).squeeze(-1)


class DeepLocModel(SequenceModel):
    """:class:`~biodl.models.layers.SequenceModel` with DeepLoc's attention and membrane outputs."""

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights ``(N, L)`` over the positions of ``x``.

        Exactly 0 at padded positions; they sum to 1 over each protein's real positions
        (all 0 for an input without any).
        """
        return cast(DeepLocTrunk, self.trunk).attention_weights(x)

    def membrane_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Membrane-bound (vs soluble) logit ``(N,)``.

        Raises
        ------
        ConfigError
            If the model was built with ``membrane_head: false``.
        """
        return cast(DeepLocHead, self.head).membrane(self.trunk(x))

    def auxiliary_outputs(self) -> tuple[AuxiliaryOutput, ...]:
        """``(MEMBRANE,)`` when built with ``membrane_head: true``, else ``()``
        (:mod:`biodl.models.auxiliary`)."""
        return (MEMBRANE,) if self.has_membrane else ()

    def forward_with_auxiliary(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Localisation logits ``(N, n_outputs)`` and ``{"membrane": (N,) logits}``.

        One pass through the trunk and the shared dense layer (in training, one dropout
        draw for both outputs, as DeepLoc); in eval mode equal to
        ``(model(x), {"membrane": model.membrane_logits(x)})``.

        Raises
        ------
        ConfigError
            If the model was built with ``membrane_head: false``.
        """
        logits, membrane = cast(DeepLocHead, self.head).both(self.trunk(x))
        return logits, {MEMBRANE.name: membrane}

    @property
    def has_membrane(self) -> bool:
        """Whether the model was built with ``membrane_head: true``."""
        return cast(DeepLocHead, self.head).membrane_out is not None


def deeploc(params: DeepLocParams, io: ModelIO) -> DeepLocModel:
    """DeepLoc: multi-width convolutions, a bidirectional LSTM and attention pooling.

    Almagro Armenteros J.J., Sønderby C.K., Sønderby S.K., Nielsen H., Winther O.
    (2017) DeepLoc: prediction of protein subcellular localization using deep learning.
    *Bioinformatics* 33:3387-3395. doi:10.1093/bioinformatics/btx431

    Input: proteins ``(N, C, L)``, one-hot or BLOSUM62 (any ``C``), padded with
    all-zero columns anywhere (see :mod:`biodl.models.masking`). Architecture
    (defaults in brackets):

    1. for each width in ``conv_widths`` [1, 3, 5, 9, 15, 21], ``conv_filters`` [20]
       filters, length-preserving ('same', zero-padded), ReLU; concatenated (120
       channels); outputs zeroed at padded positions;
    2. a second convolution of ``conv2_filters`` [128] filters of width
       ``conv2_width`` [3], 'same', ReLU, zeroed at padding; dropout ``dropout`` [0.5];
    3. a bidirectional LSTM of ``lstm_units`` [256] per direction over each protein's
       span of real positions (:func:`~biodl.models.masking.masked_lstm`: each
       protein is run as a packed sequence from its first to its last residue, so
       neither direction starts in, or reads, the padding);
    4. additive attention pooling (:class:`AdditiveAttention`, ``attention_units``
       [256]) over the real positions: the context vector ``(N, 2 * lstm_units)``,
       which is the trunk's output (``model.embed``); ``model.attention(x)`` gives the
       weights ``(N, L)`` (0 at padding, summing to 1);
    5. dropout, a dense ReLU layer of ``hidden`` [512] units (none if 0), dropout,
       and a linear layer to ``n_outputs`` localisation logits (DeepLoc: 10
       compartments, softmax);
    6. ``membrane_head`` [false]: a second linear output on the same dense layer,
       the membrane-bound vs soluble logit, read with ``model.membrane_logits(x)``
       ``(N,)`` (or both outputs from one pass, ``model.forward_with_membrane(x)``);
       it is not part of ``model(x)``, which stays the localisation logits.

    Because convolutions see zeros at padding (as their own zero padding) and their
    outputs are zeroed there, the LSTM reads only the protein, and pooling skips the
    padding, a protein's outputs do not depend on how much padding it was given or on
    which side. At the defaults the model has 1,252,696 + 513 ``n_outputs``
    parameters for 20 input channels (1,257,826 for 10 compartments; 513 more with
    the membrane head), whatever ``L``.

    Differences from the original:

    * Attention: DeepLoc's decoder is an LSTM (template code: 2 x ``lstm_units``
      units) that attends over the BiLSTM states for 10 decoding steps, each step's
      alignment conditioned on the decoder state, and passes the last step's output
      on. Here one additive attention step with a learned, input-independent query
      (one head, no decoder LSTM).
    * Masking: DeepLoc gives its LSTMs and attention an explicit sequence mask; here
      the mask is derived from the input (non-zero columns), which also masks unknown
      residues encoded as all-zero columns (see :mod:`biodl.models.masking`), and the
      convolutions' outputs are zeroed at padding (DeepLoc's second convolution saw
      the first one's ``ReLU(bias)`` values there).
    * Membrane head: DeepLoc trains localisation (softmax) and membrane-bound/soluble
      (sigmoid) outputs jointly. Here the membrane output is optional
      (``membrane_head: true``) and outside ``forward``. ``biodl train`` then trains
      both jointly as DeepLoc does: the task loss plus the binary cross-entropy of the
      membrane logit over the proteins with a known flag (DeepLoc headers
      ``>ACC Location-M``/``-S``; ``-U``, unknown, adds nothing), with
      ``SequenceTask(membrane=True)`` and batches ``(x, y, m)``. The two losses are
      added with equal weight. Evaluation adds ``membrane_accuracy``/``_mcc``/
      ``_auroc`` (threshold 0.5, known flags only) and predictions a ``membrane``
      column, the probability ``sigmoid(membrane_logits(x))`` of being
      membrane-bound. A caller that trains ``model(x)`` alone leaves the membrane
      weights untrained.
    * Input: DeepLoc reads 1,000 residues (the first and last 500 of longer
      proteins) encoded as PSI-BLAST profiles (its best model) or BLOSUM62; biodl
      gives one-hot or BLOSUM62 and the data pipeline decides how long proteins are
      cut. DeepLoc's template code also drops 20 % of the input positions in
      training; that is not done here.
    * Sizes: DeepLoc's convolutions and LSTM (20 filters per width, 128 second-layer
      filters, 256 LSTM units); the dense layer's 512 units and the 0.5 dropout follow
      DeepLoc's published template code (lasagne4bio ``subcellular_localization``).
    * Training: DeepLoc's template code uses Adam with gradient-norm clipping,
      orthogonal initialisation, and averages four models trained on different
      partitions; biodl uses its trainer's settings and PyTorch's default
      initialisation, one model. PyTorch's LSTM has two bias vectors per gate (Lasagne:
      one), 2,048 more parameters at the defaults.
    * Outputs are logits; the softmax (or sigmoid) is in the loss and at prediction
      time.
    """
    trunk = DeepLocTrunk(
        io.n_channels,
        conv_filters=params.conv_filters,
        conv_widths=params.conv_widths,
        conv2_filters=params.conv2_filters,
        conv2_width=params.conv2_width,
        lstm_units=params.lstm_units,
        attention_units=params.attention_units,
        dropout=params.dropout,
    )
    head = DeepLocHead(
        trunk.out_features,
        io.n_outputs,
        hidden=params.hidden,
        dropout=params.dropout,
        membrane=params.membrane_head,
    )
    return DeepLocModel(trunk, head, strands="single")


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    conv_filters={"type": "int", "low": 10, "high": 80, "log": True},
    lstm_units={"type": "int", "low": 64, "high": 512, "log": True},
    attention_units={"type": "int", "low": 64, "high": 512, "log": True},
    hidden={"type": "int", "low": 64, "high": 1024, "log": True},
    dropout={"type": "float", "low": 0.1, "high": 0.6},
)

DEEPLOC = register_model(
    ModelSpec(
        name="deeploc",
        summary="DeepLoc: multi-width protein convs (1-21, 20 each), conv 128x3, masked "
        "BiLSTM 256, attention pooling, dense 512; optional membrane head",
        citation="Almagro Armenteros et al. 2017, Bioinformatics 33:3387, "
        "doi:10.1093/bioinformatics/btx431",
        params=DeepLocParams,
        space=SEARCH_SPACE,
        build=deeploc,
        alphabets=("protein",),
    )
)
