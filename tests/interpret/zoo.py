"""Tiny configurations of every zoo model, and inputs of the right layout, for tests.

Molecule models get real molecules: packed graphs (``dmpnn``, ``gin``) and Morgan
fingerprints (``fingerprint_mlp``) of :data:`MOLECULES`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from biodl.data import MoleculeKind
from biodl.data.cpg import CpgPacking
from biodl.models import ModelIO, create_model, get_model_spec, list_models

SMALL: dict[str, dict[str, Any]] = {
    "basset": {"conv1_filters": 8, "conv2_filters": 8, "conv3_filters": 8, "hidden": 8},
    "danq": {"n_filters": 8, "lstm_units": 4, "hidden": 8, "strands": "max"},
    "deepbind": {"n_filters": 6, "filter_width": 9, "hidden": 8, "pooling": "max_avg"},
    "deepsea": {"conv1_filters": 8, "conv2_filters": 8, "conv3_filters": 8, "hidden": 8},
    "dilated_resnet": {"n_filters": 8, "n_blocks": 2},
    "bpnet": {"n_filters": 6, "n_layers": 3, "stem_width": 7, "profile_width": 9, "bin_size": 4},
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
    "dmpnn": {"hidden": 8, "depth": 3, "ffn_hidden": 8},
    "gin": {"hidden": 8, "layers": 2, "dropout": 0.0, "ffn_layers": 1, "ffn_hidden": 8},
    "fingerprint_mlp": {"hidden": 8, "dropout": 0.0},
    "pileup_cnn": {"width": 4, "stages": 2, "hidden": 8, "dropout": 0.0},
}
ZOO = [spec.name for spec in list_models()]
PROTEIN_LENGTH, PADDING = 24, 4
MATRIX_FEATURES = 12
# a few real molecules (3 to 13 heavy atoms: chains, rings, halogens, charges, stereo)
MOLECULES = (
    "CCO",
    "c1ccccc1O",
    "CC(=O)Nc1ccc(O)cc1",
    "ClC(Cl)Cl",
    "C[C@@H](N)C(=O)O",
    "c1ccc2ccccc2c1",
    "C[N+](C)(C)CC(=O)[O-]",
    "OC(=O)c1ccccc1OC(C)=O",
)
PILEUP_HEIGHT, PILEUP_WIDTH = 12, 9  # small read pileups: 5 reference rows, 7 reads
GRAPH_LENGTH = 15  # atom positions: every molecule above fits, with padding after it
FINGERPRINT_BITS = 64
GRAPH_KIND = MoleculeKind(length=GRAPH_LENGTH)
FINGERPRINT_KIND = MoleculeKind(featurizer="morgan", n_bits=FINGERPRINT_BITS)


def model_io(name: str, n_outputs: int = 2) -> ModelIO:
    """The input layout of model ``name`` at a small size."""
    if name.startswith("deepcpg"):
        p = CpgPacking(n_outputs, 4, 24 if name == "deepcpg" else 0)
        return ModelIO(p.channels, p.length, n_outputs, layout=p.layout)
    if name == "deepmir":
        return ModelIO(8 + 20, 20, n_outputs, alphabet="rna")
    spec = get_model_spec(name)
    if "pileup" in spec.alphabets:  # read pileups (6, H, W) flattened to (6, H*W)
        return ModelIO(
            6,
            PILEUP_HEIGHT * PILEUP_WIDTH,
            n_outputs,
            alphabet="pileup",
            layout=(("pileup_height", PILEUP_HEIGHT), ("pileup_width", PILEUP_WIDTH)),
        )
    if "molecule" in spec.alphabets:  # packed molecular graphs
        kind = GRAPH_KIND
        return ModelIO(
            kind.n_channels(), GRAPH_LENGTH, n_outputs, alphabet="molecule", layout=kind.layout()
        )
    if "fingerprint" in spec.alphabets:  # (N, n_bits, 1)
        return ModelIO(FINGERPRINT_BITS, 1, n_outputs, alphabet="fingerprint")
    if spec.alphabets[0] == "matrix" or name == "mlp":  # samples x features, (N, F, 1)
        views = (("view:a", 5), ("view:b", 7)) if name == "multiview" else ()
        return ModelIO(MATRIX_FEATURES, 1, n_outputs, alphabet="matrix", layout=views)
    if "protein" in spec.alphabets:
        return ModelIO(
            20, PROTEIN_LENGTH, n_outputs, alphabet="protein", per_position=spec.per_position
        )
    # bpnet has only a per-position (profile) head; 60 positions in bins of 4
    return ModelIO(4, 60, n_outputs, per_position=name == "bpnet")


def build(name: str, n_outputs: int = 2, *, seed: int = 0) -> nn.Module:
    """Model ``name`` (small widths, random weights, eval mode)."""
    torch.manual_seed(seed)
    params = SMALL.get(name, {})
    return create_model(name, params, io=model_io(name, n_outputs)).eval()


def inputs(name: str, n: int = 3, *, seed: int = 1) -> torch.Tensor:
    """``n`` random inputs of model ``name``'s layout (float32); for molecule models,
    ``n`` of :data:`MOLECULES` (from the ``seed``-th on, cyclically) encoded."""
    io = model_io(name)
    g = torch.Generator().manual_seed(seed)
    if io.alphabet in ("molecule", "fingerprint"):
        return torch.from_numpy(molecule_inputs(io.alphabet, molecules(n, seed=seed)))
    if io.alphabet == "protein":
        idx = torch.randint(0, 20, (n, io.input_length), generator=g)
        x = torch.nn.functional.one_hot(idx, 20).permute(0, 2, 1).float()
        x[:, :, -PADDING:] = 0.0  # padding at the end
        return x
    if io.alphabet == "matrix":
        return torch.randn(n, io.n_channels, 1, generator=g)
    if io.alphabet == "pileup":  # channel values in [0, 1]
        return torch.rand(n, io.n_channels, io.input_length, generator=g)
    if io.n_channels == 4:
        idx = torch.randint(0, 4, (n, io.input_length), generator=g)
        return torch.nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()
    return torch.rand(n, io.n_channels, io.input_length, generator=g)


def molecules(n: int, *, seed: int = 1) -> list[str]:
    """``n`` SMILES of :data:`MOLECULES`, from the ``seed``-th on, cyclically."""
    return [MOLECULES[(seed + i) % len(MOLECULES)] for i in range(n)]


def molecule_inputs(alphabet: str, smiles: list[str]) -> np.ndarray:
    """``smiles`` as packed graphs (``alphabet`` ``"molecule"``, ``GRAPH_LENGTH`` atom
    positions) or Morgan fingerprints (``"fingerprint"``), float32 ``(N, C, L)``."""
    kind = GRAPH_KIND if alphabet == "molecule" else FINGERPRINT_KIND
    return np.asarray(kind.encode(smiles), dtype=np.float32)


def graph_baseline(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """The baseline of packed graphs ``x`` that keeps their structure: the atom-feature
    and bond-feature channels zeroed, the mask, neighbour and reverse-slot channels
    kept (as :func:`biodl.interpret.atom_attributions` does). Interpolating towards it
    changes features only, never the graph."""
    layout = dict(GRAPH_KIND.layout())
    a, k = layout["atom_features"], layout["max_neighbours"]
    base = torch.as_tensor(x).detach().to(torch.float32).numpy().copy()
    base[:, 1 : 1 + a] = 0.0
    base[:, 1 + a + 2 * k :] = 0.0
    return base


def is_graph(name: str) -> bool:
    """Whether model ``name`` reads packed molecular graphs."""
    return "molecule" in get_model_spec(name).alphabets
