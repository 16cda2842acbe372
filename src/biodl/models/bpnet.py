"""BPNet (Avsec et al. 2021): base-resolution profiles and total counts from sequence."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.blocks import receptive_field
from biodl.models.layers import SequenceModel
from biodl.models.locality import Link, NonLocal, Residual
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = [
    "BPNetHead",
    "BPNetParams",
    "BPNetResidual",
    "BPNetTrunk",
    "bin_log_rates",
    "bpnet",
]


class BPNetParams(BaseModel):
    """Hyper-parameters of :func:`bpnet` (defaults: BPNet's)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    n_filters: int = Field(default=64, ge=1)
    n_layers: int = Field(default=8, ge=0)
    stem_width: int = Field(default=21, ge=1)
    profile_width: int = Field(default=75, ge=1)
    bin_size: int = Field(default=1, ge=1)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)


def _same(width: int, dilation: int = 1) -> tuple[int, int]:
    """Zero columns ``(left, right)`` that keep the length of a convolution."""
    total = (width - 1) * dilation
    return total // 2, total - total // 2


def bin_log_rates(z: torch.Tensor, bin_size: int) -> torch.Tensor:
    """Per-base log rates ``(N, T, L)`` to per-bin log rates ``(N, T, L // bin_size)``.

    The rate of a bin is the sum of the rates of its positions, so its log rate is the
    ``logsumexp`` of theirs (exact, and stable for any magnitude). ``L`` must be a
    multiple of ``bin_size``.

    Examples
    --------
    >>> z = torch.log(torch.tensor([[[1.0, 3.0, 2.0, 2.0]]]))
    >>> bin_log_rates(z, 2).exp()
    tensor([[[4., 4.]]])
    """
    if bin_size == 1:
        return z
    return torch.logsumexp(z.reshape(z.shape[0], z.shape[1], -1, bin_size), dim=-1)


class BPNetResidual(nn.Module):
    """``x + Dropout(ReLU(DilatedConv(x)))``: one residual layer of the BPNet tower.

    The convolution has width 3, ``channels`` filters and dilation ``dilation``, zero
    padded so the length is kept.
    """

    def __init__(self, channels: int, *, dilation: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.padding = _same(3, dilation)
        self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation)
        self.act = nn.ReLU()
        self.dropout: nn.Module = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.dropout(self.act(self.conv(F.pad(x, self.padding))))

    def forward_chain(self) -> list[Link]:
        """One residual branch (:mod:`biodl.models.locality`)."""
        pad = nn.ConstantPad1d(self.padding, 0.0)
        return [Residual((pad, self.conv, self.act, self.dropout))]


class BPNetTrunk(nn.Module):
    """A wide stem convolution, then residual dilated convolutions.

    ``(N, C, L)`` to per-base features ``(N, n_filters, L)`` (every layer keeps the
    length: 'same' zero padding).

    Parameters
    ----------
    n_channels
        ``C``.
    input_length
        ``L``.
    n_filters
        Channels of every layer.
    stem_width
        Width of the stem convolution (followed by a ReLU).
    n_layers
        Residual layers (:class:`BPNetResidual`); layer ``i`` (1-based) has dilation
        ``2 ** i``.
    dropout
        On each residual branch; 0 for none.

    Attributes
    ----------
    dilations
        Dilation of each residual layer.
    out_channels, output_length
        ``n_filters`` and ``L``.
    """

    def __init__(
        self,
        n_channels: int,
        input_length: int,
        *,
        n_filters: int,
        stem_width: int,
        n_layers: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.padding = _same(stem_width)
        self.stem = nn.Conv1d(n_channels, n_filters, stem_width)
        self.act = nn.ReLU()
        self.dilations = tuple(2**i for i in range(1, n_layers + 1))
        self.tower = nn.Sequential(
            *(BPNetResidual(n_filters, dilation=d, dropout=dropout) for d in self.dilations)
        )
        self.out_channels = n_filters
        self.output_length = input_length

    @property
    def receptive_field(self) -> int:
        """Input positions that can change the features of one position (away from the
        ends): ``stem_width + 2 * sum(dilations)`` (1,041 at the defaults)."""
        return receptive_field(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tower(self.act(self.stem(F.pad(x, self.padding))))

    def forward_chain(self) -> list[Link]:
        """Padding, stem, ReLU, residual layers (:mod:`biodl.models.locality`)."""
        return [nn.ConstantPad1d(self.padding, 0.0), self.stem, self.act, self.tower]


class BPNetHead(nn.Module):
    """Profile and count heads combined into per-bin log rates ``(N, T, n_bins)``.

    * profile: a convolution of width ``profile_width`` ('same' zero padding) to ``T``
      per-base logits, summed into bins as rates (:func:`bin_log_rates`) and
      normalised over the bins of each track (``log_softmax``);
    * count: the trunk features averaged over positions and a linear layer: the log
      total count of each track ``(N, T)``;
    * output: the normalised profile plus the log total count, so that
      ``softmax(z, -1)`` is the profile and ``logsumexp(z, -1)`` the log total count.

    Parameters
    ----------
    in_channels
        Channels of the trunk's features.
    n_outputs
        ``T``, the number of tracks.
    profile_width
        Width of the profile convolution.
    bin_size
        Positions per output bin; the input length must be a multiple of it.
    """

    def __init__(
        self, in_channels: int, n_outputs: int, *, profile_width: int, bin_size: int
    ) -> None:
        super().__init__()
        self.padding = _same(profile_width)
        self.profile = nn.Conv1d(in_channels, n_outputs, profile_width)
        self.count = nn.Linear(in_channels, n_outputs)
        self.bin_size = bin_size

    def profile_logits(self, h: torch.Tensor) -> torch.Tensor:
        """Per-bin profile logits ``(N, T, n_bins)`` (before normalisation)."""
        return bin_log_rates(self.profile(F.pad(h, self.padding)), self.bin_size)

    def log_counts(self, h: torch.Tensor) -> torch.Tensor:
        """Log total count of each track ``(N, T)``."""
        out: torch.Tensor = self.count(h.mean(dim=-1))
        return out

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        profile = torch.log_softmax(self.profile_logits(h), dim=-1)
        return profile + self.log_counts(h).unsqueeze(-1)

    def forward_chain(self) -> list[Link]:
        """The count head pools over every position: not local
        (:mod:`biodl.models.locality`)."""
        return [NonLocal(self.forward)]


def bpnet(params: BPNetParams, io: ModelIO) -> SequenceModel:
    """BPNet: a dilated residual tower, a profile head and a total-count head.

    Avsec Ž., Weilert M., Shrikumar A., Krueger S., Alexandari A., Dalal K., Fropf R.,
    McAnany C., Gagneur J., Kundaje A., Zeitlinger J. (2021) Base-resolution models of
    transcription-factor binding reveal soft motif syntax. *Nature Genetics*
    53:354-366. doi:10.1038/s41588-021-00782-6

    Architecture (input ``(N, C, L)`` one-hot; defaults in brackets):

    1. a convolution of ``n_filters`` [64] filters of width ``stem_width`` [21], ReLU;
    2. ``n_layers`` [8] residual layers ``x + ReLU(conv(x))``, each a convolution of
       width 3 with ``n_filters`` filters and dilation ``2 ** i`` (``i = 1 ..
       n_layers``: 2, 4, ..., 256), optional ``dropout`` [0] on the branch; every layer
       is zero padded ('same'), so the features stay ``(N, n_filters, L)``;
       ``model.trunk.receptive_field`` is 1,041 bp at the defaults, and the profile
       convolution adds ``profile_width - 1`` (1,115 bp: a 1,000 bp output window
       needs 2,114 bp of input, BPNet's window sizes);
    3. profile head: a convolution of width ``profile_width`` [75] to one per-base
       logit per track ``(N, T, L)``; with ``bin_size`` [1] above 1 the per-base rates
       are summed into ``B = L // bin_size`` bins (``logsumexp`` of the log rates,
       exact);
    4. count head: the features averaged over positions and a linear layer: the log
       total count of each track ``(N, T)``;
    5. output: ``z = log_softmax(profile, dim=-1) + log_count[..., None]``, ``(N, T,
       B)``: a log rate per bin for every track. ``softmax(z, -1)`` is the predicted
       profile and ``logsumexp(z, -1)`` the predicted log total count (exactly the
       count head), so the same output serves a Poisson loss on the rates ``exp(z)``
       and BPNet's multinomial profile loss plus a total-count loss.

    Use with ``per_position: true``, ``task: regression`` and coverage targets binned at
    ``bin_size`` (sum per bin); the input length must be a multiple of ``bin_size``.

    Differences from the original (and from bpnet-lite, Schreiber's PyTorch
    reimplementation):

    * One output tensor instead of two: BPNet returns the profile logits and the log
      counts separately; biodl combines them into per-bin log rates (above), which
      loses nothing (both are recovered exactly: ``log_softmax(z)`` and
      ``logsumexp(z)``) and keeps prediction, export, variant scoring and attribution
      the same as for every other per-position model. Attribution of ``z`` explains
      the rate of a bin (profile and count together) rather than one of the two heads.
    * No cropping: BPNet predicts the central 1,000 bp of a 2,114 bp input (its
      convolutions are unpadded, bpnet-lite trims a padded output); biodl predicts
      every position of the input with zero-padded ('same') convolutions, as the
      targets cover the whole window. Outputs near the ends see zero padding.
    * No control (bias) track input and no strand-specific output pairs: each track
      is one output channel (stranded data are two tracks), each with its own
      softmax and total count (bpnet-lite normalises the two strands jointly).
    * The count head predicts the log of the total rate; BPNet's predicts
      ``log(1 + count)`` with a mean squared error.
    * Binning (``bin_size``) and dropout are additions (BPNet is base-resolution,
      without dropout).

    Raises
    ------
    ConfigError
        If ``io.per_position`` is false or the input length is not a multiple of
        ``bin_size``.

    Examples
    --------
    >>> io = ModelIO(4, 16, 2, per_position=True)
    >>> model = bpnet(BPNetParams(n_filters=4, n_layers=2, bin_size=4), io)
    >>> tuple(model(torch.zeros(3, 4, 16)).shape)
    (3, 2, 4)
    """
    if not io.per_position:
        raise ConfigError(
            "model 'bpnet' gives per-position outputs (a profile per track): set per_position: true"
        )
    if io.input_length % params.bin_size:
        raise ConfigError(
            f"model 'bpnet' needs an input length that is a multiple of model.bin_size "
            f"({params.bin_size}), got {io.input_length}"
        )
    trunk = BPNetTrunk(
        io.n_channels,
        io.input_length,
        n_filters=params.n_filters,
        stem_width=params.stem_width,
        n_layers=params.n_layers,
        dropout=params.dropout,
    )
    head = BPNetHead(
        trunk.out_channels,
        io.n_outputs,
        profile_width=params.profile_width,
        bin_size=params.bin_size,
    )
    return SequenceModel(trunk, head)


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    n_filters={"type": "int", "low": 16, "high": 128, "log": True},
    n_layers={"type": "int", "low": 4, "high": 10},
    dropout={"type": "float", "low": 0.0, "high": 0.3},
)

BPNET = register_model(
    ModelSpec(
        name="bpnet",
        summary="BPNet: wide stem conv, residual dilated convs (dilation 2^i), profile and "
        "total-count heads combined into per-bin log rates",
        citation="Avsec et al. 2021, Nat Genet 53:354, doi:10.1038/s41588-021-00782-6",
        params=BPNetParams,
        space=SEARCH_SPACE,
        build=bpnet,
        per_position=True,
    )
)
