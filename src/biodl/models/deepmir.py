"""DeepMir: a pre-miRNA classifier over the sequence and its 2-D base-pairing map.

The input packs a 2-D map into the pipeline's ``(N, C, L)`` arrays: with ``inputs:
structure`` it is :func:`biodl.encode.structure_tensor`'s ``(N, 8 + L, L)`` (nucleotide
one-hot, MFE structure one-hot, probability of being paired, then the ``L`` rows of the
ViennaRNA base-pair probability matrix); with ``inputs: sequence`` it is the plain
one-hot ``(N, 4, L)``, and the only 2-D map is one the model computes from the sequence.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.layers import DenseHead, GlobalPool, SequenceModel
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["DeepMirParams", "DeepMirTrunk", "PairingPotential", "deepmir"]

STRUCTURE_ROWS = 8
"""Per-position rows in front of the matrix in ``inputs: structure`` (one-hot of the
bases, one-hot of the MFE dot-bracket, probability of being paired)."""

BASES = 4
"""Nucleotide one-hot rows (A, C, G, U/T), the first rows of either input."""


class DeepMirParams(BaseModel):
    """Hyper-parameters of :func:`deepmir` (defaults: a small network for 200-400 nt)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    inputs: Literal["structure", "sequence"] = "structure"
    conv2d_filters: int = Field(default=8, ge=1)
    conv2d_layers: int = Field(default=3, ge=1)
    conv2d_width: int = Field(default=3, ge=1)
    conv2d_stride: int = Field(default=2, ge=1)
    pool2d_width: int = Field(default=2, ge=1)
    conv1d_filters: int = Field(default=32, ge=1)
    conv1d_layers: int = Field(default=2, ge=1)
    conv1d_width: int = Field(default=7, ge=1)
    pool1d_width: int = Field(default=2, ge=1)
    min_hairpin_loop: int = Field(default=3, ge=0)
    hidden: int = Field(default=64, ge=0)
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)


class PairingPotential(nn.Module):
    """Which bases could pair: one-hot ``(N, 4, L)`` to a 0/1 map ``(N, 1, L, L)``.

    ``out[n, 0, i, j]`` is 1 when bases ``i`` and ``j`` form a canonical Watson-Crick
    (A-U, G-C) or G-U wobble pair and are more than ``min_hairpin_loop`` positions
    apart (a hairpin loop has at least three unpaired bases), else 0. Computed as
    ``s_i^T W s_j`` with a fixed symmetric 4 x 4 matrix ``W`` (an outer product of the
    one-hot with itself): no parameters, no folding. ``N`` and padding (all-zero
    columns) pair with nothing. DNA one-hot works the same (``T`` in the ``U`` row).
    """

    def __init__(self, min_hairpin_loop: int = 3) -> None:
        super().__init__()
        self.min_hairpin_loop = min_hairpin_loop
        a, c, g, u = range(BASES)
        rule = torch.zeros(BASES, BASES)
        for x, y in ((a, u), (g, c), (g, u)):
            rule[x, y] = rule[y, x] = 1.0
        self.rule: torch.Tensor
        self.register_buffer("rule", rule, persistent=False)  # fixed: not in the weights

    def forward(self, one_hot: torch.Tensor) -> torch.Tensor:
        pairs = torch.einsum("nai,ab,nbj->nij", one_hot, self.rule.to(one_hot.dtype), one_hot)
        position = torch.arange(one_hot.shape[-1], device=one_hot.device)
        apart = (position[:, None] - position[None, :]).abs() > self.min_hairpin_loop
        return (pairs * apart.to(pairs.dtype)).unsqueeze(1)

    def extra_repr(self) -> str:
        return f"min_hairpin_loop={self.min_hairpin_loop}"


def _conv2d_stack(in_channels: int, params: DeepMirParams) -> tuple[nn.Sequential, int]:
    """Conv2d + BatchNorm + ReLU + MaxPool2d blocks; filters double at each block."""
    layers: list[nn.Module] = []
    channels = in_channels
    for index in range(params.conv2d_layers):
        filters = params.conv2d_filters * 2**index
        stride = params.conv2d_stride if index == 0 else 1
        width = params.conv2d_width
        layers += [
            nn.Conv2d(channels, filters, width, stride, padding=width // 2, bias=False),
            nn.BatchNorm2d(filters),
            nn.ReLU(),
            # ceil_mode: a map smaller than the window still leaves one position
            nn.MaxPool2d(params.pool2d_width, ceil_mode=True),
        ]
        channels = filters
    return nn.Sequential(*layers), channels


def _conv1d_stack(in_channels: int, params: DeepMirParams) -> tuple[nn.Sequential, int]:
    """Conv1d + BatchNorm + ReLU + MaxPool1d blocks of ``conv1d_filters`` each."""
    layers: list[nn.Module] = []
    channels, filters, width = in_channels, params.conv1d_filters, params.conv1d_width
    for _ in range(params.conv1d_layers):
        layers += [
            nn.Conv1d(channels, filters, width, padding=width // 2, bias=False),
            nn.BatchNorm1d(filters),
            nn.ReLU(),
            nn.MaxPool1d(params.pool1d_width, ceil_mode=True),
        ]
        channels = filters
    return nn.Sequential(*layers), channels


class DeepMirTrunk(nn.Module):
    """The two branches: packed input to concatenated pooled features ``(N, D)``.

    Parameters
    ----------
    params
        Widths of both branches and the kind of input.

    Attributes
    ----------
    out_features
        ``D``: twice (max and mean) the channels of the last 2-D block plus twice those
        of the last 1-D block.
    """

    def __init__(self, params: DeepMirParams) -> None:
        super().__init__()
        self.inputs = params.inputs
        structure = params.inputs == "structure"
        self.pairing = PairingPotential(params.min_hairpin_loop)
        self.conv2d, maps_out = _conv2d_stack(2 if structure else 1, params)
        self.conv1d, rows_out = _conv1d_stack(STRUCTURE_ROWS if structure else BASES, params)
        self.pool = GlobalPool("max_avg")
        self.out_features = self.pool.expansion() * (maps_out + rows_out)

    def expected_channels(self, length: int) -> int:
        """``C`` of an input of length ``L``: ``8 + L`` (structure) or 4 (sequence)."""
        return STRUCTURE_ROWS + length if self.inputs == "structure" else BASES

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 3 or x.shape[1] != self.expected_channels(x.shape[-1]):
            layout = "(N, 8 + L, L)" if self.inputs == "structure" else "(N, 4, L)"
            msg = f"deepmir with inputs={self.inputs!r} takes {layout}, not {tuple(x.shape)}"
            raise ValueError(msg)
        x = x.to(self.pairing.rule.dtype)  # float16 arrays from structure_tensor
        potential = self.pairing(x[:, :BASES])
        if self.inputs == "structure":
            maps = torch.cat([x[:, STRUCTURE_ROWS:].unsqueeze(1), potential], dim=1)
            rows = x[:, :STRUCTURE_ROWS]
        else:
            maps, rows = potential, x
        features_2d = self.pool(self.conv2d(maps).flatten(2))
        features_1d = self.pool(self.conv1d(rows))
        return torch.cat([features_2d, features_1d], dim=1)


def _check_io(params: DeepMirParams, io: ModelIO) -> None:
    if io.per_position:
        raise ConfigError(
            "model 'deepmir' gives one output per sequence, not per position "
            "(per_position is not supported)"
        )
    if params.conv2d_stride > params.conv2d_width:
        raise ConfigError(
            f"model 'deepmir': conv2d_stride ({params.conv2d_stride}) is larger than "
            f"conv2d_width ({params.conv2d_width}), so the first 2-D convolution would "
            "skip base pairs; make the width at least the stride"
        )
    if params.inputs == "structure" and io.n_channels != STRUCTURE_ROWS + io.input_length:
        raise ConfigError(
            f"model 'deepmir' with inputs 'structure' takes {STRUCTURE_ROWS} + L = "
            f"{STRUCTURE_ROWS + io.input_length} channels for length L = "
            f"{io.input_length} (one-hot, MFE structure, paired probability, then the "
            f"L x L pair-probability matrix: biodl.encode.structure_tensor), not "
            f"{io.n_channels}; use model.inputs: sequence for plain one-hot input"
        )
    if params.inputs == "sequence" and io.n_channels != BASES:
        raise ConfigError(
            f"model 'deepmir' with inputs 'sequence' takes one-hot DNA/RNA input of "
            f"{BASES} channels, not {io.n_channels}"
        )


def deepmir(params: DeepMirParams, io: ModelIO) -> SequenceModel:
    """DeepMir: a 2-D CNN over a base-pairing map and a 1-D CNN over the sequence.

    A pre-miRNA is a hairpin: its stem is an anti-diagonal streak in the ``L x L`` map
    of which bases pair. This network reads that map with 2-D convolutions, next to a
    1-D convolutional branch over the per-position channels, for pre-miRNA versus
    other hairpin-like sequence (or any sequence-level RNA classification).

    Architecture (defaults in brackets):

    1. **Inputs** (``inputs`` [structure]).

       * ``structure``: ``(N, 8 + L, L)`` from :func:`biodl.encode.structure_tensor`.
         The 2-D branch gets two maps, the ViennaRNA base-pair probability matrix
         (McCaskill partition function, rows ``8 ..``) and the pairing-potential map
         (step 2); the 1-D branch gets the eight per-position rows (nucleotide one-hot,
         MFE dot-bracket one-hot, probability of being paired).
       * ``sequence``: plain one-hot ``(N, 4, L)``, no ViennaRNA information at all: the
         2-D branch gets only the pairing-potential map and the 1-D branch the one-hot.
         The sequence-only ablation of a structure benchmark.

    2. **Pairing potential** (:class:`PairingPotential`, no parameters): 1 where bases
       ``i`` and ``j`` could form an A-U, G-C or G-U pair and are more than
       ``min_hairpin_loop`` [3] positions apart, from outer products of the one-hot.
    3. **2-D branch**: ``conv2d_layers`` [3] blocks of a ``conv2d_width`` [3] square
       convolution (``conv2d_width // 2`` zeros of padding, no bias), batch norm, ReLU
       and max-pooling of ``pool2d_width`` [2]; the first block has ``conv2d_filters``
       [8] filters and a stride of ``conv2d_stride`` [2], each later block twice as
       many filters (8, 16, 32) and stride 1; then global max and mean pooling. The
       strided first convolution still sees every pair (width >= stride) and takes the
       full-resolution work (batch norm, ReLU, pooling of ``L x L`` maps) down four
       times: the branch's cost is dominated by memory traffic, not multiplications.
    4. **1-D branch**: ``conv1d_layers`` [2] blocks of ``conv1d_filters`` [32]
       convolutions of width ``conv1d_width`` [7] (``conv1d_width // 2`` zeros of
       padding, no bias), batch norm, ReLU and max-pooling of ``pool1d_width`` [2];
       then global max and mean pooling. (With odd widths the padding keeps the
       length; an even width adds one position per layer.)
    5. **Head**: the two feature vectors concatenated (``model.trunk`` returns them,
       ``(N, 2 * (32 + 32))`` by default), dropout ``dropout`` [0.3], a hidden ReLU
       layer of ``hidden`` [64] units (0: none), dropout, a linear layer to
       ``n_outputs`` logits.

    The default network has 23,425 parameters (``structure``; 22,457 for
    ``sequence``) whatever ``L``: global pooling makes every layer independent of the
    length, so the model runs on any ``L`` with ``C = 8 + L``, not only the length it
    was built for. Pooling windows wider than a map leave one position. The 2-D branch
    costs ``O(L**2)`` time and memory per sequence (on one CPU thread, a training step
    on 64 sequences takes about 0.3 s at ``L = 200`` and 1.6 s at ``L = 400``), and so
    does the input: :func:`~biodl.encode.structure_tensor` stores it in float16, and
    the model casts each batch to float32.

    Background and references. Convolutional and recurrent networks for pre-miRNA
    identification read the sequence, its predicted secondary structure, or a 2-D
    representation of possible pairs:

    * Zheng X., Xu S., Zhang Y., Huang X. (2019) Nucleotide-level convolutional neural
      networks for pre-miRNA classification. *Scientific Reports* 9:628.
      doi:10.1038/s41598-018-36946-4. Its abstract describes 1-D CNNs on padded
      one-hot sequences (canonical miRNAs versus mirtrons), not structure images; it
      is cited for the nucleotide-level 1-D branch.
    * Zheng X., Fu X., Wang K., Wang M. (2020) Deep neural networks for human microRNA
      precursor detection. *BMC Bioinformatics* 21. doi:10.1186/s12859-020-3339-7.
      CNNs and RNNs over the sequence combined with its predicted secondary structure.
    * Do B.T., Golkov V., Gürel G.E., Cremers D. (2018) Precursor microRNA
      identification using deep convolutional neural networks. *bioRxiv* 414656
      (cited from its title; the preprint's exact 2-D encoding was not checked for
      this implementation). A 2-D pairing-matrix input to a CNN.
    * Park S., Min S., Choi H., Yoon S. (2016) deepMiRGene: deep neural network based
      precursor microRNA prediction. arXiv:1605.00017; and (2017) Deep recurrent
      neural network-based identification of precursor microRNAs. *Advances in
      Neural Information Processing Systems* 30. LSTMs over the sequence and its
      structure.

    The name DeepMir is biodl's: this is not a re-implementation of one published
    network, and no published model of that name was checked against it. Differences
    from the work above:

    * Structure enters as numbers from ViennaRNA, not as drawings: the full
      base-pair probability matrix of the Boltzmann ensemble (not only the MFE
      structure) is a 2-D input, and the MFE dot-bracket one-hot and the paired
      probability are per-position inputs. Approaches that render a predicted
      structure as an image depend on the drawing layout; this input does not.
    * The sequence-only 2-D map is a fixed, parameter-free rule (canonical and wobble
      pairs, minimum hairpin loop), not learned, and carries no stacking energies.
    * Padding: sequences are centred and padded with ``N`` to one length, and only the
      unpadded core is folded (:func:`~biodl.encode.structure_tensor`); padding is zero
      in every input channel. Global pooling runs over the whole padded window,
      padding included (as for an image with a zero border).
    * Sizes, pooling, dropout and training (Adam(W), early stopping on a validation
      split, biodl's defaults) are biodl's own choices, not tuned per data set.
      Outputs are logits; the sigmoid or softmax is in the loss and at prediction time.

    Batch norm needs at least two examples per batch in training mode.

    Raises
    ------
    ConfigError
        ``io.n_channels`` is not ``8 + io.input_length`` (``inputs: structure``) or 4
        (``inputs: sequence``), ``io.per_position`` is set, or ``conv2d_stride`` is
        larger than ``conv2d_width``.
    """
    _check_io(params, io)
    trunk = DeepMirTrunk(params)
    head = DenseHead(trunk.out_features, io.n_outputs, hidden=params.hidden, dropout=params.dropout)
    return SequenceModel(trunk, head, strands="single")


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    hidden={"type": "int", "low": 16, "high": 256, "log": True},
    dropout={"type": "float", "low": 0.0, "high": 0.6},
)

DEEPMIR = register_model(
    ModelSpec(
        name="deepmir",
        summary="pre-miRNA CNN: 2-D conv over the ViennaRNA pair-probability and "
        "pairing-potential maps plus 1-D conv over sequence and MFE structure",
        citation="Zheng et al. 2019, Sci Rep 9:628, doi:10.1038/s41598-018-36946-4; "
        "Do et al. 2018, bioRxiv 414656; Park et al. 2016, arXiv:1605.00017",
        params=DeepMirParams,
        space=SEARCH_SPACE,
        build=deepmir,
        alphabets=("rna", "dna"),
    )
)
