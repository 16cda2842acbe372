"""Zoo models for molecules: graph networks over packed molecular graphs, and an MLP over
fingerprints.

Packed molecular graphs
-----------------------
A batch of molecules arrives as the pipeline's float32 ``(N, C, L)`` array: ``L`` heavy
atoms (padded with zeros), ``K`` neighbour slots per atom (layout key
``max_neighbours``, default 6), ``A`` atom features (``atom_features``) and ``B`` bond
features (``bond_features``), ``C = 1 + A + 2K + K * B`` channels:

* channel 0: atom mask (1 for a real atom, 0 for padding);
* the next ``A``: atom features;
* the next ``K``: the atom index ``j`` that slot ``k`` of atom ``i`` points to (-1: empty);
* the next ``K``: the reverse slot, the slot of ``j`` that points back at ``i`` (-1: empty);
* the last ``K * B``: bond features, slot-major (slot 0's ``B`` features, then slot 1's...).

:func:`unpack_graph` turns it into a :class:`GraphBatch`. Message passing gathers over
the neighbour indices with :func:`torch.gather` (no scatter library). The structure
channels (mask, neighbours, reverse slots) are read as constants (detached): gradients
and attributions flow to the atom and bond features only.

Two equivalent ways to run the same network
-------------------------------------------
A molecule has far fewer bonds than ``L * K`` slots (ESOL: ~13 heavy atoms and ~27
directed bonds of ``55 * 6 = 330`` slots), so the networks run on the real atoms and
bonds only, as rows picked out of the batch ("compact", ~10x faster), except while
tracing or exporting and under biodl's DeepLIFT, where they run on the whole padded
``(N, L, K, ...)`` arrays ("dense"), which keep the batch axis first and the shapes
fixed. Both compute the same function (tested to float rounding); gradients (saliency,
integrated gradients) flow through either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.layers import SequenceModel
from biodl.models.mlp import MLPParams, mlp
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = [
    "MOLECULE_MODELS",
    "DMPNNParams",
    "DMPNNTrunk",
    "FFNHead",
    "FingerprintMLPParams",
    "GINParams",
    "GINTrunk",
    "GraphBatch",
    "GraphLayout",
    "MaskedBatchNorm",
    "dmpnn",
    "fingerprint_mlp",
    "gin",
    "graph_channels",
    "unpack_graph",
]

DEFAULT_MAX_NEIGHBOURS = 6
"""``K`` when the layout does not name ``max_neighbours``."""


def graph_channels(atom_features: int, max_neighbours: int, bond_features: int) -> int:
    """``C = 1 + A + 2K + K * B`` of a packed molecular graph.

    Examples
    --------
    >>> graph_channels(45, 6, 12)
    130
    """
    return 1 + atom_features + 2 * max_neighbours + max_neighbours * bond_features


@dataclass(frozen=True)
class GraphLayout:
    """The sizes of a packed molecular graph: ``A`` atom features, ``K`` neighbour
    slots, ``B`` bond features."""

    atom_features: int
    max_neighbours: int
    bond_features: int

    @property
    def channels(self) -> int:
        """``C`` of the packed array."""
        return graph_channels(self.atom_features, self.max_neighbours, self.bond_features)

    @classmethod
    def from_io(cls, io: ModelIO, model: str) -> GraphLayout:
        """The layout named in ``io.layout``, checked against ``io.n_channels``.

        Raises
        ------
        ConfigError
            If ``atom_features`` or ``bond_features`` is missing, or ``C`` does not match.
        """
        atoms, bonds = io.get("atom_features"), io.get("bond_features")
        k = io.get("max_neighbours", DEFAULT_MAX_NEIGHBOURS)
        if atoms is None or bonds is None or k is None:
            raise ConfigError(
                f"model '{model}' reads packed molecular graphs: the input layout must name "
                f"atom_features and bond_features (got {dict(io.layout)})"
            )
        layout = cls(atoms, k, bonds)
        if layout.channels != io.n_channels:
            raise ConfigError(
                f"model '{model}': a molecular graph with {atoms} atom features, {k} "
                f"neighbour slots and {bonds} bond features has 1 + A + 2K + K*B = "
                f"{layout.channels} channels, not {io.n_channels}"
            )
        return layout


@dataclass(frozen=True)
class GraphBatch:
    """A batch of molecular graphs unpacked from ``(N, C, L)``.

    Attributes
    ----------
    mask
        ``(N, L)`` float, 1 for a real atom.
    atoms
        ``(N, L, A)`` atom features.
    neighbours
        ``(N, L, K)`` long, the atom slot ``k`` points to, -1 when empty.
    reverse
        ``(N, L, K)`` long, the slot of that neighbour pointing back, -1 when empty.
    bonds
        ``(N, L, K, B)`` bond features.
    valid
        ``(N, L, K)`` bool, slots holding a bond (of a real atom).
    """

    mask: torch.Tensor
    atoms: torch.Tensor
    neighbours: torch.Tensor
    reverse: torch.Tensor
    bonds: torch.Tensor
    valid: torch.Tensor


def unpack_graph(
    x: torch.Tensor, *, atom_features: int, max_neighbours: int, bond_features: int
) -> GraphBatch:
    """Split a packed batch ``(N, C, L)`` into its parts (see the module docstring).

    The mask, neighbour and reverse-slot channels are detached: they are structure, not
    features, and carry no gradient.

    Raises
    ------
    ValueError
        If ``x`` is not ``(N, 1 + A + 2K + K*B, L)``.
    """
    a, k, b = atom_features, max_neighbours, bond_features
    expected = graph_channels(a, k, b)
    if x.ndim != 3 or x.shape[1] != expected:
        msg = (
            f"a packed molecular graph with A={a}, K={k}, B={b} is (N, {expected}, L), "
            f"not {tuple(x.shape)}"
        )
        raise ValueError(msg)
    n, _, length = x.shape
    x = x if x.dtype.is_floating_point else x.float()
    structure = x[:, : 1 + a + 2 * k].detach()
    mask = structure[:, 0]
    atoms = x[:, 1 : 1 + a].transpose(1, 2)
    neighbours = structure[:, 1 + a : 1 + a + k].transpose(1, 2).round().long()
    reverse = structure[:, 1 + a + k : 1 + a + 2 * k].transpose(1, 2).round().long()
    bonds = x[:, 1 + a + 2 * k :].reshape(n, k, b, length).permute(0, 3, 1, 2)
    valid = (neighbours >= 0) & (reverse >= 0) & (mask > 0.5).unsqueeze(-1)
    return GraphBatch(mask, atoms, neighbours, reverse, bonds, valid)


# ---------------------------------------------------------------------------------------
# the two ways to run a network (module docstring): padded arrays or real rows


class _Dense:
    """Operations on the padded arrays: atoms ``(N, L, H)``, slots ``(N, L, K, H)``."""

    def __init__(self, g: GraphBatch) -> None:
        n, length, k = g.neighbours.shape
        self.n, self.length, self.k = n, length, k
        self.mask = g.mask.unsqueeze(-1)  # (N, L, 1)
        self.valid = g.valid.to(g.mask.dtype).unsqueeze(-1)  # (N, L, K, 1)
        self.target_index = (g.neighbours.clamp(min=0) * g.valid).reshape(n, length * k, 1)
        rev = (g.neighbours.clamp(min=0) * k + g.reverse.clamp(min=0)) * g.valid
        self.reverse_index = rev.reshape(n, length * k, 1)
        self.atoms = g.atoms * self.mask
        self.bonds = g.bonds * self.valid
        self.n_atoms = g.mask.sum(dim=1, keepdim=True)  # (N, 1)

    def mask_atoms(self, t: torch.Tensor) -> torch.Tensor:
        return t * self.mask

    def mask_slots(self, t: torch.Tensor) -> torch.Tensor:
        return t * self.valid

    def owner(self, t: torch.Tensor) -> torch.Tensor:
        """Per slot ``(i, k)``: the value of atom ``i``."""
        return t.unsqueeze(2).expand(-1, -1, self.k, -1)

    def target(self, t: torch.Tensor) -> torch.Tensor:
        """Per slot ``(i, k)``: the value of the atom ``j`` it points to (0 if empty)."""
        h = t.shape[-1]
        out = torch.gather(t, 1, self.target_index.expand(-1, -1, h))
        return out.reshape(self.n, self.length, self.k, h) * self.valid

    def reverse(self, t: torch.Tensor) -> torch.Tensor:
        """Per slot ``(i, k)`` (the bond ``i -> j``): the value of slot ``j -> i``."""
        h = t.shape[-1]
        flat = t.reshape(self.n, self.length * self.k, h)
        out = torch.gather(flat, 1, self.reverse_index.expand(-1, -1, h))
        return out.reshape(self.n, self.length, self.k, h) * self.valid

    def sum_slots(self, t: torch.Tensor) -> torch.Tensor:
        """Per atom: the sum over its (valid) slots."""
        return (t * self.valid).sum(dim=2)

    def pool(self, t: torch.Tensor, how: str, norm: float = 1.0) -> torch.Tensor:
        total = (t * self.mask).sum(dim=1)
        if how == "mean":
            return total / self.n_atoms.clamp(min=1.0)
        if how == "norm":
            return total / norm
        return total


class _Compact:
    """Operations on the real rows: atoms ``(M, H)``, directed bonds ``(E, H)``."""

    def __init__(self, g: GraphBatch) -> None:
        n, length, k = g.neighbours.shape
        self.n = n
        atom_real = (g.mask > 0.5).reshape(-1)
        slot_real = g.valid.reshape(-1)
        atom_id = atom_real.nonzero().squeeze(1)  # global atom rows n * L + i
        slot_id = slot_real.nonzero().squeeze(1)  # global slot rows (n * L + i) * K + k
        atom_row = torch.full((n * length,), -1, dtype=torch.long, device=atom_id.device)
        atom_row[atom_id] = torch.arange(atom_id.numel(), device=atom_id.device)
        slot_row = torch.full((n * length * k,), -1, dtype=torch.long, device=slot_id.device)
        slot_row[slot_id] = torch.arange(slot_id.numel(), device=slot_id.device)
        owner_global = slot_id // k
        molecule = owner_global // length
        nb = g.neighbours.reshape(-1)[slot_id]
        rev = g.reverse.reshape(-1)[slot_id]
        self.owner_row = atom_row[owner_global]
        self.target_row = atom_row[molecule * length + nb]
        self.reverse_row = slot_row[(molecule * length + nb) * k + rev]
        self.molecule = atom_id // length
        if bool((self.target_row < 0).any()) or bool((self.reverse_row < 0).any()):
            msg = (
                "a packed molecular graph has a bond to a padding atom or an empty reverse "
                "slot (neighbour and reverse-slot channels disagree)"
            )
            raise ValueError(msg)
        self.atoms = g.atoms.reshape(n * length, -1)[atom_id]
        self.bonds = g.bonds.reshape(n * length * k, -1)[slot_id]
        ones = torch.ones(atom_id.numel(), dtype=self.atoms.dtype, device=self.atoms.device)
        counts = torch.zeros(n, dtype=self.atoms.dtype, device=self.atoms.device)
        self.n_atoms = counts.index_add(0, self.molecule, ones).unsqueeze(1)  # (N, 1)

    def mask_atoms(self, t: torch.Tensor) -> torch.Tensor:
        return t

    def mask_slots(self, t: torch.Tensor) -> torch.Tensor:
        return t

    def owner(self, t: torch.Tensor) -> torch.Tensor:
        return t[self.owner_row]

    def target(self, t: torch.Tensor) -> torch.Tensor:
        return t[self.target_row]

    def reverse(self, t: torch.Tensor) -> torch.Tensor:
        return t[self.reverse_row]

    def sum_slots(self, t: torch.Tensor) -> torch.Tensor:
        out = t.new_zeros(self.atoms.shape[0], t.shape[-1])
        return out.index_add(0, self.owner_row, t)

    def pool(self, t: torch.Tensor, how: str, norm: float = 1.0) -> torch.Tensor:
        total = t.new_zeros(self.n, t.shape[-1]).index_add(0, self.molecule, t)
        if how == "mean":
            return total / self.n_atoms.clamp(min=1.0)
        if how == "norm":
            return total / norm
        return total


_Ops: TypeAlias = "_Dense | _Compact"


def _fixed_shapes_needed() -> bool:
    """Whether the forward pass must keep fixed shapes with the batch axis first: while
    tracing or compiling (export), and under a torch-function mode that watches every
    operation (biodl's DeepLIFT pairs each non-linearity's inputs by the batch axis).
    ``torch.device`` contexts (a function mode too) do not count."""
    if torch.jit.is_tracing() or torch.compiler.is_compiling():
        return True
    stack = getattr(torch.overrides, "_get_current_function_mode_stack", None)
    if stack is None:  # private API gone: assume a mode may be watching
        return bool(torch._C._is_torch_function_mode_enabled())
    return any(type(mode).__name__ != "DeviceContext" for mode in stack())


class _GraphTrunk(nn.Module):
    """Shared by the graph trunks: unpacking and the choice of dense or compact rows.

    ``compact`` None (the default) chooses by itself: compact rows, except dense arrays
    while tracing or exporting and under DeepLIFT (see :func:`_fixed_shapes_needed`);
    True/False force one (tests).
    """

    out_features: int

    def __init__(self, layout: GraphLayout) -> None:
        super().__init__()
        self.layout = layout
        self.compact: bool | None = None

    def _ops(self, x: torch.Tensor) -> _Ops:
        g = unpack_graph(
            x,
            atom_features=self.layout.atom_features,
            max_neighbours=self.layout.max_neighbours,
            bond_features=self.layout.bond_features,
        )
        compact = self.compact
        if compact is None:
            compact = not _fixed_shapes_needed()
        return _Compact(g) if compact else _Dense(g)

    def extra_repr(self) -> str:
        lay = self.layout
        return f"A={lay.atom_features}, K={lay.max_neighbours}, B={lay.bond_features}"


class MaskedBatchNorm(nn.BatchNorm1d):
    """Batch normalisation over real atoms only.

    On compact rows ``(M, H)`` it is :class:`torch.nn.BatchNorm1d`; on padded atoms
    ``(N, L, H)`` the statistics (training) come from the real atoms and padding stays 0.
    """

    def forward_masked(self, t: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Normalise ``t``: rows ``(M, H)`` (``mask`` None) or ``(N, L, H)`` with
        ``mask`` ``(N, L, 1)``."""
        if mask is None:
            if self.training and t.shape[0] < 2:  # one atom: running statistics only
                return F.batch_norm(
                    t,
                    self.running_mean,
                    self.running_var,
                    self.weight,
                    self.bias,
                    False,
                    0.0,
                    self.eps,
                )
            return super().forward(t)
        if self.training:
            real = mask.squeeze(-1) > 0.5
            out = torch.zeros_like(t)
            out[real] = self.forward_masked(t[real], None)
            return out
        h = t.shape[-1]
        return super().forward(t.reshape(-1, h)).reshape(t.shape) * mask


# ---------------------------------------------------------------------------------------
# heads


class FFNHead(nn.Module):
    """Molecule vector ``(N, D)`` to ``(N, n_outputs)``: ``layers`` hidden layers
    (dropout, linear, ReLU) then dropout and a linear output layer, as chemprop's FFN."""

    def __init__(
        self, in_features: int, n_outputs: int, *, layers: int, hidden: int, dropout: float
    ) -> None:
        super().__init__()
        modules: list[nn.Module] = []
        width = in_features
        for _ in range(layers):
            modules += [nn.Dropout(dropout), nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        modules += [nn.Dropout(dropout), nn.Linear(width, n_outputs)]
        self.net = nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _check_graph_io(name: str, io: ModelIO) -> GraphLayout:
    if io.per_position:
        raise ConfigError(
            f"model '{name}' gives one output per molecule (per_position is not supported)"
        )
    return GraphLayout.from_io(io, name)


# ---------------------------------------------------------------------------------------
# D-MPNN


class DMPNNParams(BaseModel):
    """Hyper-parameters of :func:`dmpnn` (defaults: chemprop's)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    hidden: int = Field(default=300, ge=1)
    depth: int = Field(default=3, ge=1, le=10)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    bias: bool = False
    aggregation: Literal["mean", "sum", "norm"] = "mean"
    aggregation_norm: float = Field(default=100.0, gt=0.0)
    ffn_layers: int = Field(default=1, ge=0, le=5)
    ffn_hidden: int = Field(default=300, ge=1)


class DMPNNTrunk(_GraphTrunk):
    """Directed message passing: packed graphs ``(N, C, L)`` to molecule vectors
    ``(N, hidden)``.

    Hidden states live on directed bonds: slot ``k`` of atom ``i`` holds ``h_{i->j}``
    for ``j = neighbours[i, k]``. With ``x_i`` the atom features and ``e_ij`` the bond
    features::

        z_{i->j} = W_i [x_i, e_ij]                  h^0 = ReLU(z)
        m_{i->j} = sum_{l in N(i)} h_{l->i} - h_{j->i}
        h_{i->j} = ReLU(z_{i->j} + W_h m_{i->j})    (depth - 1 times, dropout after each)
        a_i = ReLU(W_o [x_i, sum_{l in N(i)} h_{l->i}])   (dropout)
        molecule = mean / sum / sum / aggregation_norm of a_i over the real atoms
    """

    def __init__(self, layout: GraphLayout, params: DMPNNParams) -> None:
        super().__init__(layout)
        a, b, h = layout.atom_features, layout.bond_features, params.hidden
        self.depth = params.depth
        self.aggregation = params.aggregation
        self.aggregation_norm = params.aggregation_norm
        self.W_i = nn.Linear(a + b, h, bias=params.bias)
        self.W_h = nn.Linear(h, h, bias=params.bias)
        self.W_o = nn.Linear(a + h, h)
        self.act = nn.ReLU()
        self.dropout = nn.Dropout(params.dropout)
        self.out_features = h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ops = self._ops(x)
        z = self.W_i(torch.cat([ops.owner(ops.atoms), ops.bonds], dim=-1))
        h = ops.mask_slots(self.dropout(self.act(z)))
        for _ in range(self.depth - 1):
            incoming = ops.reverse(h)  # slot i->j holds h_{j->i}
            m = ops.owner(ops.sum_slots(incoming)) - incoming
            h = ops.mask_slots(self.dropout(self.act(z + self.W_h(m))))
        received = ops.sum_slots(ops.reverse(h))
        atoms = self.dropout(self.act(self.W_o(torch.cat([ops.atoms, received], dim=-1))))
        return ops.pool(ops.mask_atoms(atoms), self.aggregation, self.aggregation_norm)


def _with_ffn_head(
    trunk: DMPNNTrunk | GINTrunk, params: DMPNNParams | GINParams, io: ModelIO
) -> SequenceModel:
    """A graph trunk with the feed-forward head its ``ffn_*`` and ``dropout`` options give."""
    head = FFNHead(
        trunk.out_features,
        io.n_outputs,
        layers=params.ffn_layers,
        hidden=params.ffn_hidden,
        dropout=params.dropout,
    )
    return SequenceModel(trunk, head, strands="single")


def dmpnn(params: DMPNNParams, io: ModelIO) -> SequenceModel:
    """D-MPNN: directed message passing over bonds, then a feed-forward network.

    After chemprop: Yang K., Swanson K., Jin W., Coley C., Eiden P., Gao H.,
    Guzman-Perez A., Hopper T., Kelley B., Mathea M., Palmer A., Settels V., Jaakkola T.,
    Jensen K., Barzilay R. (2019) Analyzing learned molecular representations for
    property prediction. *J. Chem. Inf. Model.* 59:3370-3388. doi:10.1021/acs.jcim.9b00237

    Architecture (defaults in brackets; see :class:`DMPNNTrunk` for the equations):
    directed-bond states of ``hidden`` [300] units initialised from the source atom's and
    the bond's features, ``depth - 1`` [2] message-passing updates in which the message
    along ``i -> j`` excludes the reverse bond's own state (no "tottering"), an atom
    readout from the atom's features and its incoming messages, a molecule vector by
    ``aggregation`` [mean] over the real atoms (``norm``: the sum divided by
    ``aggregation_norm`` [100]), and a feed-forward head of ``ffn_layers`` [1] hidden
    layers of ``ffn_hidden`` [300] units; ``dropout`` [0] after every activation and
    before every head layer.

    Differences from chemprop: the update adds ``W_h m`` to the pre-activation
    ``W_i [x, e]`` as chemprop's code does (the paper writes the activated ``h^0``);
    ``depth`` counts as chemprop's (``depth`` 3: two updates); weights ``W_i``, ``W_h``
    are bias-free unless ``bias``; no extra molecule-level features, no atom
    descriptors, no undirected or atom-messages variants; the graph comes from biodl's
    packed layout with at most ``K`` neighbours per atom.
    """
    layout = _check_graph_io("dmpnn", io)
    return _with_ffn_head(DMPNNTrunk(layout, params), params, io)


# ---------------------------------------------------------------------------------------
# GIN


class GINParams(BaseModel):
    """Hyper-parameters of :func:`gin` (defaults: Hu et al.'s supervised GIN, narrower)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    hidden: int = Field(default=200, ge=1)
    layers: int = Field(default=5, ge=1, le=10)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    batch_norm: bool = True
    train_eps: bool = False
    pooling: Literal["mean", "sum"] = "mean"
    jk: Literal["last", "concat", "sum"] = "last"
    ffn_layers: int = Field(default=0, ge=0, le=5)
    ffn_hidden: int = Field(default=300, ge=1)


class _GINLayer(nn.Module):
    """One GINE layer: ``MLP((1 + eps) h_i + sum_j ReLU(h_j + W_e e_ij))``."""

    def __init__(self, hidden: int, bond_features: int, *, batch_norm: bool, train_eps: bool):
        super().__init__()
        self.edge = nn.Linear(bond_features, hidden)
        self.eps: torch.Tensor
        if train_eps:
            self.eps = nn.Parameter(torch.zeros(1))
        else:  # GIN-0: a constant, not a frozen parameter
            self.register_buffer("eps", torch.zeros(1))
        self.lin1 = nn.Linear(hidden, 2 * hidden)
        self.norm1: MaskedBatchNorm | None = MaskedBatchNorm(2 * hidden) if batch_norm else None
        self.lin2 = nn.Linear(2 * hidden, hidden)
        self.act = nn.ReLU()

    def forward(self, h: torch.Tensor, ops: _Ops, mask: torch.Tensor | None) -> torch.Tensor:
        messages = ops.mask_slots(self.act(ops.target(h) + self.edge(ops.bonds)))
        z = (1.0 + self.eps) * h + ops.sum_slots(messages)
        z = self.lin1(z)
        if self.norm1 is not None:
            z = self.norm1.forward_masked(z, mask)
        return self.lin2(self.act(z))


class GINTrunk(_GraphTrunk):
    """Graph isomorphism network with bond features: packed graphs ``(N, C, L)`` to
    molecule vectors ``(N, hidden)`` (``jk: concat``: ``(N, layers * hidden)``).

    Atoms are embedded by a linear layer, then each of ``layers`` GINE layers computes
    ``h_i' = MLP((1 + eps) h_i + sum_j ReLU(h_j + W_e e_ij))`` (MLP: linear to
    ``2 * hidden``, batch norm, ReLU, linear), batch norm, ReLU (not after the last
    layer), dropout; the atom representation is the last layer's (``jk``: or the
    concatenation / sum of every layer's), pooled over the real atoms.
    """

    def __init__(self, layout: GraphLayout, params: GINParams) -> None:
        super().__init__(layout)
        h = params.hidden
        self.embed = nn.Linear(layout.atom_features, h)
        self.convs = nn.ModuleList(
            _GINLayer(
                h, layout.bond_features, batch_norm=params.batch_norm, train_eps=params.train_eps
            )
            for _ in range(params.layers)
        )
        self.norms = nn.ModuleList(
            MaskedBatchNorm(h) if params.batch_norm else nn.Identity() for _ in range(params.layers)
        )
        self.act = nn.ReLU()
        self.dropout = nn.Dropout(params.dropout)
        self.pooling = params.pooling
        self.jk = params.jk
        self.out_features = h * params.layers if params.jk == "concat" else h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ops = self._ops(x)
        mask = ops.mask if isinstance(ops, _Dense) else None
        h = ops.mask_atoms(self.embed(ops.atoms))
        per_layer: list[torch.Tensor] = []
        last = len(self.convs) - 1
        for index, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            h = conv(h, ops, mask)
            if isinstance(norm, MaskedBatchNorm):
                h = norm.forward_masked(h, mask)
            if index < last:
                h = self.act(h)
            h = ops.mask_atoms(self.dropout(h))
            per_layer.append(h)
        if self.jk == "concat":
            h = torch.cat(per_layer, dim=-1)
        elif self.jk == "sum":
            h = torch.stack(per_layer, dim=0).sum(dim=0)
        return ops.pool(h, self.pooling)


def gin(params: GINParams, io: ModelIO) -> SequenceModel:
    """GIN: a graph isomorphism network with bond features (GINE), then a linear or
    feed-forward head.

    After Xu K., Hu W., Leskovec J., Jegelka S. (2019) How powerful are graph neural
    networks? *ICLR 2019*, arXiv:1810.00826, doi:10.48550/arXiv.1810.00826; bond
    features as in Hu W., Liu B., Gomes J., Zitnik M., Liang P., Pande V., Leskovec J.
    (2020) Strategies for pre-training graph neural networks. *ICLR 2020*,
    arXiv:1905.12265.

    Architecture (defaults in brackets; see :class:`GINTrunk`): a linear atom
    embedding of ``hidden`` [200] units; ``layers`` [5] GINE layers (``eps`` fixed at 0,
    GIN-0, unless ``train_eps``), each with an MLP of width ``2 * hidden``, batch norm
    (``batch_norm`` [on], over real atoms only), ReLU between layers and ``dropout``
    [0.5]; jumping knowledge ``jk`` [last]; ``pooling`` [mean] over the real atoms; a head
    of ``ffn_layers`` [0] hidden layers of ``ffn_hidden`` [300] units (0: one linear
    layer, as Hu et al.).

    Differences from the papers: Hu et al. embed categorical atom and bond types with
    lookup tables (here linear layers over biodl's 0/1 atom and bond features, which is
    the same for one-hot inputs, plus their overlap for multi-hot ones), add self-loops
    with their own edge embedding (here ``(1 + eps) h_i``, Xu et al.'s form), and
    pre-train; biodl trains from scratch. Hu et al. use 300 units: 200 here halves the
    cost (an ESOL-sized epoch on one CPU thread: ~8 s at 300, ~4 s at 200; ``biodl
    tune`` searches 64-512). Xu et al.'s GIN has no bond features and sums
    the read-outs of every layer (``jk: sum`` with ``pooling: sum`` comes closest).
    """
    layout = _check_graph_io("gin", io)
    return _with_ffn_head(GINTrunk(layout, params), params, io)


# ---------------------------------------------------------------------------------------
# fingerprint MLP


class FingerprintMLPParams(BaseModel):
    """Hyper-parameters of :func:`fingerprint_mlp` (defaults: DeepChem's multitask
    networks as used in MoleculeNet)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    hidden: int = Field(default=1000, ge=1)
    layers: int = Field(default=1, ge=0, le=8)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    input_dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    norm: Literal["batch", "layer", "none"] = "none"


def fingerprint_mlp(params: FingerprintMLPParams, io: ModelIO) -> SequenceModel:
    """A multilayer perceptron over a fingerprint or descriptor vector ``(N, F, 1)``.

    After the fully connected multitask networks on ECFP fingerprints of MoleculeNet:
    Wu Z., Ramsundar B., Feinberg E.N., Gomes J., Geniesse C., Pappu A.S., Leswing K.,
    Pande V. (2018) MoleculeNet: a benchmark for molecular machine learning. *Chem. Sci.*
    9:513-530. doi:10.1039/C7SC02664A; ECFP: Rogers D., Hahn M. (2010) Extended-
    connectivity fingerprints. *J. Chem. Inf. Model.* 50:742-754. doi:10.1021/ci100034j

    Architecture (defaults in brackets): optional ``input_dropout`` [0]; ``layers`` [1]
    hidden layers of ``hidden`` [1000] units, each linear, normalisation (``norm``
    [none]), ReLU, ``dropout`` [0.5]; a linear output layer with one output per task.
    The same network as ``mlp`` (:class:`biodl.models.mlp.MLPTrunk`) with defaults for
    2,048-bit fingerprints rather than expression matrices.

    Differences from MoleculeNet: no weight decay or per-task weighting inside the
    model (the training's masked, weighted losses handle missing labels); the input
    may also be RDKit descriptors or fingerprints and descriptors side by side.
    """
    if io.per_position:
        raise ConfigError("model 'fingerprint_mlp' gives one output per molecule")
    return mlp(MLPParams(**params.model_dump()), io)


# ---------------------------------------------------------------------------------------
# the registry

DMPNN_SPACE = space(
    hidden={"type": "int", "low": 100, "high": 600, "step": 50},
    depth={"type": "int", "low": 2, "high": 6},
    dropout={"type": "float", "low": 0.0, "high": 0.4},
    aggregation={"type": "categorical", "choices": ["mean", "sum", "norm"]},
    ffn_layers={"type": "int", "low": 1, "high": 3},
    ffn_hidden={"type": "int", "low": 100, "high": 600, "step": 50},
)

GIN_SPACE = space(
    hidden={"type": "int", "low": 64, "high": 512, "log": True},
    layers={"type": "int", "low": 2, "high": 6},
    dropout={"type": "float", "low": 0.0, "high": 0.5},
    pooling={"type": "categorical", "choices": ["mean", "sum"]},
    jk={"type": "categorical", "choices": ["last", "concat", "sum"]},
    ffn_layers={"type": "int", "low": 0, "high": 2},
)

FINGERPRINT_MLP_SPACE = space(
    hidden={"type": "int", "low": 128, "high": 2048, "log": True},
    layers={"type": "int", "low": 1, "high": 3},
    dropout={"type": "float", "low": 0.0, "high": 0.6},
    input_dropout={"type": "float", "low": 0.0, "high": 0.3},
    norm={"type": "categorical", "choices": ["batch", "layer", "none"]},
)

DMPNN = register_model(
    ModelSpec(
        name="dmpnn",
        summary="directed message passing network over molecular graphs (chemprop's D-MPNN)",
        citation=(
            "Yang et al. 2019, J Chem Inf Model 59:3370, doi:10.1021/acs.jcim.9b00237 "
            "(chemprop; biodl: packed graphs of at most K neighbours, no extra features)"
        ),
        params=DMPNNParams,
        space=DMPNN_SPACE,
        build=dmpnn,
        alphabets=("molecule",),
    )
)

GIN = register_model(
    ModelSpec(
        name="gin",
        summary="graph isomorphism network with bond features (GINE) over molecular graphs",
        citation=(
            "Xu et al. 2019, ICLR, doi:10.48550/arXiv.1810.00826; bond features as Hu et "
            "al. 2020, ICLR, arXiv:1905.12265 (biodl: no pre-training, linear embeddings)"
        ),
        params=GINParams,
        space=GIN_SPACE,
        build=gin,
        alphabets=("molecule",),
    )
)

FINGERPRINT_MLP = register_model(
    ModelSpec(
        name="fingerprint_mlp",
        summary="multilayer perceptron over molecular fingerprints or descriptors",
        citation=(
            "MoleculeNet, Wu et al. 2018, Chem Sci 9:513, doi:10.1039/C7SC02664A; ECFP, "
            "Rogers & Hahn 2010, J Chem Inf Model 50:742, doi:10.1021/ci100034j"
        ),
        params=FingerprintMLPParams,
        space=FINGERPRINT_MLP_SPACE,
        build=fingerprint_mlp,
        alphabets=("fingerprint",),
    )
)

#: The molecule models of the zoo (``molecules:`` data sources feed them).
MOLECULE_MODELS: tuple[ModelSpec, ...] = (DMPNN, GIN, FINGERPRINT_MLP)
