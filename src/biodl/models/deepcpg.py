"""DeepCpG (Angermueller et al. 2017): the CpG module alone, and DNA + CpG + joint modules.

Both models take the packed tensor of :func:`biodl.data.cpg.pack_cpg_inputs` and read
its layout from ``ModelIO.layout`` (keys ``cpg_cells``, ``cpg_window``, ``dna_length``;
see :class:`biodl.data.cpg.CpgPacking`). They return one logit per cell.
"""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.data.cpg import CPG_CELLS, CPG_WINDOW, DNA_CHANNELS, DNA_LENGTH, CpgPacking
from biodl.errors import ConfigError
from biodl.models.blocks import ConvLayer, ConvStack
from biodl.models.layers import DenseHead, SequenceModel
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = [
    "CpgModule",
    "DeepCpGCpgParams",
    "DeepCpGParams",
    "DeepCpGTrunk",
    "DnaModule",
    "cpg_packing",
    "deepcpg",
    "deepcpg_cpg",
]


def cpg_packing(io: ModelIO, model: str, *, need_dna: bool = False) -> CpgPacking:
    """The packed-input layout of ``io``, checked against its channels, length and outputs.

    Raises
    ------
    ConfigError
        If a layout key is missing or out of range, or ``io`` disagrees with the layout
        (channels, length, one output per cell), or ``need_dna`` and there is no DNA.
    """
    keys = (CPG_CELLS, CPG_WINDOW, DNA_LENGTH)
    missing = [k for k in keys if io.get(k) is None]
    if missing:
        raise ConfigError(
            f"model '{model}' needs a packed CpG input (biodl.data.cpg): ModelIO.layout "
            f"must give {', '.join(keys)}; missing: {', '.join(missing)}"
        )
    values = dict(io.layout)
    try:
        packing = CpgPacking(values[CPG_CELLS], values[CPG_WINDOW], values[DNA_LENGTH])
    except ValueError as exc:
        raise ConfigError(f"model '{model}': bad CpG layout: {exc}") from None
    problems = []
    if io.n_channels != packing.channels:
        problems.append(
            f"{io.n_channels} input channels where the layout needs {packing.channels} "
            f"({DNA_CHANNELS if packing.has_dna else 0} DNA + 2 x {packing.n_cells} cells)"
        )
    if io.input_length != packing.length:
        problems.append(
            f"input length {io.input_length} where the layout needs {packing.length} "
            f"(max of 2 x {packing.window} neighbours and {packing.dna_length} DNA bases)"
        )
    if io.n_outputs != packing.n_cells:
        problems.append(f"{io.n_outputs} outputs for {packing.n_cells} cells (one per cell)")
    if io.per_position:
        problems.append("per-position outputs are not supported")
    if need_dna and not packing.has_dna:
        problems.append(f"{DNA_LENGTH} is 0 but this model needs a DNA window")
    if problems:
        raise ConfigError(f"model '{model}': " + "; ".join(problems))
    return packing


class CpgModule(nn.Module):
    """DeepCpG's CpG module ``RnnL1``: ``(N, C, L)`` packed input to ``(N, 2 * gru_units)``.

    For every cell, the ``2K`` neighbour states and ``2K`` distances (concatenated,
    states first, as DeepCpG's ``concatenate(axis=2)``) go through one dense ReLU layer
    shared by all cells (Keras ``TimeDistributed(Dense)``); a bidirectional GRU then
    reads the cells in order and its last forward and backward states are
    concatenated; then dropout.

    Parameters
    ----------
    packing
        Where the states and distances are in the input.
    replicate_units
        Units of the per-cell dense layer (DeepCpG: 256).
    gru_units
        Units of each GRU direction (DeepCpG: 256).
    dropout
        Dropout on the output.

    Attributes
    ----------
    out_features
        ``2 * gru_units``.
    """

    def __init__(
        self, packing: CpgPacking, *, replicate_units: int, gru_units: int, dropout: float
    ) -> None:
        super().__init__()
        self.packing = packing
        self.replicate = nn.Sequential(nn.Linear(4 * packing.window, replicate_units), nn.ReLU())
        self.gru = nn.GRU(replicate_units, gru_units, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.out_features = 2 * gru_units

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        width = 2 * self.packing.window
        states = x[:, self.packing.state_channels, :width]  # (N, cells, 2K)
        dists = x[:, self.packing.distance_channels, :width]
        h = self.replicate(torch.cat([states, dists], dim=-1))  # (N, cells, units)
        _, last = self.gru(h)  # (2, N, gru_units): forward, backward
        return self.dropout(torch.cat([last[0], last[1]], dim=-1))


class DnaModule(nn.Module):
    """DeepCpG's DNA module ``CnnL2h128``: ``(N, C, L)`` packed input to ``(N, hidden)``.

    Convolution (``conv1_filters`` x ``conv1_width``), ReLU, max-pooling ``pool1``;
    convolution (``conv2_filters`` x ``conv2_width``), ReLU, max-pooling ``pool2``;
    flatten; dense ``hidden`` units, ReLU, dropout. Convolutions are 'valid' and pooling
    floors, as Keras' defaults in DeepCpG; windows too short for a layer are handled by
    :class:`~biodl.models.blocks.ConvStack` (zero padding up to the kernel, pooling
    capped at the length).
    """

    def __init__(
        self,
        packing: CpgPacking,
        *,
        conv1_filters: int,
        conv1_width: int,
        pool1: int,
        conv2_filters: int,
        conv2_width: int,
        pool2: int,
        hidden: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.dna_length = packing.dna_length
        self.conv = ConvStack(
            DNA_CHANNELS,
            packing.dna_length,
            [
                ConvLayer(conv1_filters, conv1_width, pool1),
                ConvLayer(conv2_filters, conv2_width, pool2),
            ],
        )
        self.dense = nn.Sequential(
            nn.Flatten(),
            nn.Linear(self.conv.out_features, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.out_features = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.conv(x[:, :DNA_CHANNELS, : self.dna_length]))


class DeepCpGTrunk(nn.Module):
    """DNA module and CpG module, concatenated, then the joint dense layers.

    ``(N, C, L)`` to ``(N, out_features)``: the joint features (``joint_hidden``, or the
    concatenation ``dna_hidden + 2 * gru_units`` with ``joint_layers = 0``).
    """

    def __init__(
        self,
        dna: DnaModule,
        cpg: CpgModule,
        *,
        joint_hidden: int,
        joint_layers: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.dna = dna
        self.cpg = cpg
        layers: list[nn.Module] = []
        width = dna.out_features + cpg.out_features
        for _ in range(joint_layers):
            layers += [nn.Linear(width, joint_hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = joint_hidden
        self.joint = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.joint(torch.cat([self.dna(x), self.cpg(x)], dim=-1))


class DeepCpGCpgParams(BaseModel):
    """Hyper-parameters of :func:`deepcpg_cpg` (defaults: DeepCpG's ``RnnL1``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    replicate_units: int = Field(default=256, ge=1)
    gru_units: int = Field(default=256, ge=1)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)


class DeepCpGParams(BaseModel):
    """Hyper-parameters of :func:`deepcpg` (defaults: CnnL2h128 + RnnL1 + JointL2h512)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    conv1_filters: int = Field(default=128, ge=1)
    conv1_width: int = Field(default=11, ge=1)
    pool1_width: int = Field(default=4, ge=1)
    conv2_filters: int = Field(default=256, ge=1)
    conv2_width: int = Field(default=3, ge=1)
    pool2_width: int = Field(default=2, ge=1)
    dna_hidden: int = Field(default=128, ge=1)
    replicate_units: int = Field(default=256, ge=1)
    gru_units: int = Field(default=256, ge=1)
    joint_hidden: int = Field(default=512, ge=1)
    joint_layers: int = Field(default=2, ge=0)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)


def deepcpg_cpg(params: DeepCpGCpgParams, io: ModelIO) -> SequenceModel:
    """DeepCpG's CpG module (``RnnL1``) with one logit per cell.

    Angermueller C., Lee H.J., Reik W., Stegle O. (2017) DeepCpG: accurate prediction
    of single-cell DNA methylation states using deep learning. *Genome Biology* 18:67.
    doi:10.1186/s13059-017-1189-z. Architecture as in ``deepcpg/models/cpg.py::RnnL1``
    of the DeepCpG code (``fc[256]_bgru[256]_do``).

    Input: the packed tensor of :func:`biodl.data.cpg.pack_cpg_inputs`; ``io.layout``
    must give ``cpg_cells`` (``n``), ``cpg_window`` (``K`` per side) and
    ``dna_length`` (DNA channels, if any, are ignored), and ``io.n_outputs`` must be
    ``n``. Architecture (defaults in brackets):

    1. per cell, the ``2K`` neighbour states and the ``2K`` scaled distances,
       concatenated (``4K`` values), through one dense layer of ``replicate_units``
       [256] units with ReLU, shared by all cells;
    2. a bidirectional GRU of ``gru_units`` [256] units per direction that reads the
       ``n`` cells in order; the last forward and backward states are concatenated
       (``2 * gru_units`` features, what ``model.embed`` returns);
    3. dropout ``dropout`` [0.0, DeepCpG's default ``--dropout``];
    4. a linear layer to ``n`` logits, one per cell.

    With DeepCpG's ``cpg_wlen = 50`` (``K = 25``) and the defaults the model has
    815,360 + 513 n parameters (816,386 for 2 cells; Keras' ``RnnL1``: 813,824 + 513 n,
    "810,000" in its docstring). The GRU reads the cells in the order of the packed
    channels, so that order matters, as in DeepCpG.

    Differences from the original:

    * Training (not part of the model): DeepCpG trains with Adam (learning rate 1e-4,
      decayed by 0.975 per epoch), L1 and L2 kernel penalties of 1e-4 each and
      per-cell class weights, and leaves cells without an observation (label ``-1``)
      out of the loss. In biodl the trainer supplies optimiser and weight decay;
      targets are NaN where a cell has no observation
      (:func:`biodl.data.cpg.cpg_sites_and_targets`) and the loss must mask them.
    * Initialisation: DeepCpG uses Keras' Glorot-uniform kernels and orthogonal GRU
      recurrent weights; here PyTorch's defaults.
    * GRU: PyTorch's GRU applies the reset gate after the recurrent product (Keras
      ``reset_after=True``; Keras 2, which DeepCpG uses, defaults to
      ``reset_after=False``) and has two bias vectors per gate: 394,752 instead of
      393,984 parameters per direction of 256 units on 256 inputs.
    * Outputs are logits; DeepCpG's per-cell ``Dense(1, sigmoid)`` layers are one
      ``Linear(features, n)`` here (the same function), with the sigmoid in the loss
      and at prediction time.
    * Missing neighbours (state 0.5, distance 1, as DeepCpG 1.0) and the distance
      scaling (``min(d, 25,000) / 25,000``) are done by :mod:`biodl.data.cpg`, as
      DeepCpG does them in its data reader, not in the model.
    """
    packing = cpg_packing(io, "deepcpg_cpg")
    trunk = CpgModule(
        packing,
        replicate_units=params.replicate_units,
        gru_units=params.gru_units,
        dropout=params.dropout,
    )
    head = DenseHead(trunk.out_features, io.n_outputs)
    return SequenceModel(trunk, head, strands="single")


def deepcpg(params: DeepCpGParams, io: ModelIO) -> SequenceModel:
    """DeepCpG: DNA module, CpG module and joint module, one logit per cell.

    Angermueller C., Lee H.J., Reik W., Stegle O. (2017) DeepCpG: accurate prediction
    of single-cell DNA methylation states using deep learning. *Genome Biology* 18:67.
    doi:10.1186/s13059-017-1189-z. Architecture as the DeepCpG code's defaults
    ``--dna_model CnnL2h128 --cpg_model RnnL1 --joint_model JointL2h512``
    (``deepcpg/models/{dna,cpg,joint}.py``).

    Input: the packed tensor of :func:`biodl.data.cpg.pack_cpg_inputs` with DNA;
    ``io.layout`` must give ``cpg_cells`` (``n``), ``cpg_window`` (``K``) and
    ``dna_length`` (``D > 0``). Architecture (defaults in brackets):

    1. DNA module (``CnnL2h128``) on the one-hot ``D``-base window: convolution of
       ``conv1_filters`` [128] filters of width ``conv1_width`` [11], ReLU, max-pooling
       ``pool1_width`` [4]; convolution of ``conv2_filters`` [256] x ``conv2_width`` [3],
       ReLU, max-pooling ``pool2_width`` [2]; flatten; dense ``dna_hidden`` [128],
       ReLU, dropout;
    2. CpG module (``RnnL1``), as in :func:`deepcpg_cpg`: per-cell dense
       ``replicate_units`` [256] with ReLU, bidirectional GRU ``gru_units`` [256] over
       the cells, dropout;
    3. joint module (``JointL2h512``): the two feature vectors concatenated, then
       ``joint_layers`` [2] dense layers of ``joint_hidden`` [512] units, each with ReLU
       and dropout (``joint_layers: 0`` is DeepCpG's ``JointL0``); this is the trunk's
       output (``model.embed``);
    4. a linear layer to ``n`` logits, one per cell.

    One ``dropout`` [0.0] rate is used everywhere, as DeepCpG's single ``--dropout``.
    With DeepCpG's windows (``D = 1001``, ``K = 25``) and the defaults the model has
    5,508,352 + 513 n parameters: DNA module 4,102,144 (``256 x 122`` flattened
    features; DeepCpG's docstring: "4,100,000"), CpG module 815,360, joint module
    590,848. With ``D = 501``: 3,476,736 + 513 n.

    Differences from the original:

    * DeepCpG trains the DNA and CpG modules separately and then the joint module
      (optionally freezing the others, ``--train_models joint``), or all at once; here
      the model is one network trained end to end unless the caller freezes parts
      (``model.trunk.dna``, ``model.trunk.cpg``, ``model.trunk.joint``).
    * DeepCpG fills the ``N`` bases of a window with random bases; biodl's one-hot
      leaves them all zero unless the caller does otherwise.
    * Windows shorter than the convolutions and pools need are padded / pooled as
      :class:`~biodl.models.blocks.ConvStack` does (DeepCpG would fail).
    * Training (not part of the model): DeepCpG trains with Adam (learning rate 1e-4,
      decayed by 0.975 per epoch), L1 and L2 kernel penalties of 1e-4 each and
      per-cell class weights, and leaves cells without an observation (label ``-1``)
      out of the loss. In biodl the trainer supplies optimiser and weight decay;
      targets are NaN where a cell has no observation
      (:func:`biodl.data.cpg.cpg_sites_and_targets`) and the loss must mask them.
    * Initialisation: DeepCpG uses Keras' Glorot-uniform kernels and orthogonal GRU
      recurrent weights; here PyTorch's defaults.
    * GRU: PyTorch's GRU applies the reset gate after the recurrent product (Keras
      ``reset_after=True``; Keras 2, which DeepCpG uses, defaults to
      ``reset_after=False``) and has two bias vectors per gate: 394,752 instead of
      393,984 parameters per direction of 256 units on 256 inputs.
    * Outputs are logits; DeepCpG's per-cell ``Dense(1, sigmoid)`` layers are one
      ``Linear(features, n)`` here (the same function), with the sigmoid in the loss
      and at prediction time.
    * Missing neighbours (state 0.5, distance 1, as DeepCpG 1.0) and the distance
      scaling (``min(d, 25,000) / 25,000``) are done by :mod:`biodl.data.cpg`, as
      DeepCpG does them in its data reader, not in the model.
    """
    packing = cpg_packing(io, "deepcpg", need_dna=True)
    dna = DnaModule(
        packing,
        conv1_filters=params.conv1_filters,
        conv1_width=params.conv1_width,
        pool1=params.pool1_width,
        conv2_filters=params.conv2_filters,
        conv2_width=params.conv2_width,
        pool2=params.pool2_width,
        hidden=params.dna_hidden,
        dropout=params.dropout,
    )
    cpg = CpgModule(
        packing,
        replicate_units=params.replicate_units,
        gru_units=params.gru_units,
        dropout=params.dropout,
    )
    trunk = DeepCpGTrunk(
        dna,
        cpg,
        joint_hidden=params.joint_hidden,
        joint_layers=params.joint_layers,
        dropout=params.dropout,
    )
    head = DenseHead(trunk.out_features, io.n_outputs)
    return SequenceModel(trunk, head, strands="single")


#: the search space of ``biodl tune`` (``biodl models`` prints it)
CPG_SEARCH_SPACE = space(
    replicate_units={"type": "int", "low": 32, "high": 512, "log": True},
    gru_units={"type": "int", "low": 32, "high": 512, "log": True},
    dropout={"type": "float", "low": 0.0, "high": 0.5},
)

DEEPCPG_CPG = register_model(
    ModelSpec(
        name="deepcpg_cpg",
        summary="DeepCpG CpG module: per-cell dense layer on neighbour states and distances, "
        "bidirectional GRU over cells, one logit per cell",
        citation="Angermueller et al. 2017, Genome Biol 18:67, doi:10.1186/s13059-017-1189-z",
        params=DeepCpGCpgParams,
        space=CPG_SEARCH_SPACE,
        build=deepcpg_cpg,
        alphabets=("dna",),
    )
)

#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    dna_hidden={"type": "int", "low": 32, "high": 512, "log": True},
    gru_units={"type": "int", "low": 32, "high": 512, "log": True},
    joint_hidden={"type": "int", "low": 64, "high": 1024, "log": True},
    dropout={"type": "float", "low": 0.0, "high": 0.5},
)

DEEPCPG = register_model(
    ModelSpec(
        name="deepcpg",
        summary="DeepCpG: DNA CNN (128x11, 256x3) + CpG bidirectional GRU + 2 joint dense "
        "layers of 512, one logit per cell",
        citation="Angermueller et al. 2017, Genome Biol 18:67, doi:10.1186/s13059-017-1189-z",
        params=DeepCpGParams,
        space=SEARCH_SPACE,
        build=deepcpg,
        alphabets=("dna",),
    )
)
