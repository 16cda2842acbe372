"""Checks every registered architecture passes (loops over ``list_models()``).

The models of plain one-hot DNA run them on random sequences; the molecule models
(``dmpnn``, ``gin``: packed molecular graphs; ``fingerprint_mlp``: Morgan fingerprints)
on real molecules, where ``length`` is the number of atom positions of a graph (the
molecules padded to it) or the number of fingerprint bits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from biodl.data import MoleculeKind
from biodl.encode import one_hot
from biodl.encode.molecules import n_atoms
from biodl.errors import ConfigError
from biodl.models import (
    ModelIO,
    SequenceModel,
    create_model,
    get_model_spec,
    list_models,
    predict,
    reverse_complement_tensor,
    validate_params,
)
from biodl.runs import save_weights
from biodl.testing import planted_motif_dataset
from biodl.testing.molecules import molecule_rows
from tests.models.options import alternative as _alternative
from tests.models.options import fingerprint

# Small widths so that every test of a model runs in well under a second; a model not
# listed here is tested at its defaults.
SMALL: dict[str, dict[str, Any]] = {
    "basset": {"conv1_filters": 16, "conv2_filters": 16, "conv3_filters": 16, "hidden": 16},
    "danq": {"n_filters": 16, "lstm_units": 8, "hidden": 16},
    "deepbind": {},
    "deepsea": {"conv1_filters": 16, "conv2_filters": 16, "conv3_filters": 16, "hidden": 16},
    "dilated_resnet": {"n_filters": 16, "n_blocks": 3},
}
ZOO = ["basset", "danq", "deepbind", "deepsea", "dilated_resnet"]
# models of plain one-hot input; those of other packed inputs (deepmir, deepcpg) have own
# tests
DNA_NAMES = [spec.name for spec in list_models() if spec.name in ZOO]
MOLECULE_NAMES = [
    spec.name for spec in list_models() if {"molecule", "fingerprint"} & set(spec.alphabets)
]
NAMES = DNA_NAMES + MOLECULE_NAMES
SMALL |= {
    "dmpnn": {"hidden": 16, "ffn_hidden": 16},
    "gin": {"hidden": 16, "layers": 3, "dropout": 0.0, "ffn_hidden": 16},
    "fingerprint_mlp": {"hidden": 16, "dropout": 0.0},
}
# real molecules of 1 to 15 heavy atoms (the 1-atom ones fit graphs of one position)
MOLECULES = (
    "C",
    "O",
    "CCO",
    "ClC(Cl)Cl",
    "C[C@@H](N)C(=O)O",
    "c1ccccc1O",
    "C[N+](C)(C)CC(=O)[O-]",
    "c1ccc2ccccc2c1",
    "CC(=O)Nc1ccc(O)cc1",
    "OC(=O)c1ccccc1OC(C)=O",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
)
_SIZES = dict(zip(MOLECULES, n_atoms(MOLECULES).tolist(), strict=True))
# options that act only together with another one (the molecule models)
NEEDS: dict[str, dict[str, Any]] = {
    "aggregation_norm": {"aggregation": "norm"},
    "ffn_hidden": {"ffn_layers": 1},
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _alphabet(name: str) -> str:
    return get_model_spec(name).alphabets[0]


def _kind(name: str, length: int) -> MoleculeKind:
    """How a molecule model of input size ``length`` reads SMILES."""
    if _alphabet(name) == "molecule":
        return MoleculeKind(length=length)
    return MoleculeKind(featurizer="morgan", n_bits=length)


def model_io(name: str, length: int = 101, n_outputs: int = 1, **options: Any) -> ModelIO:
    """The input of model ``name``: ``length`` positions of DNA, atom positions of a
    packed graph, or fingerprint bits."""
    if name not in MOLECULE_NAMES:
        return ModelIO(4, length, n_outputs, **options)
    kind = _kind(name, length)
    if kind.featurizer == "graph":
        return ModelIO(
            kind.n_channels(), length, n_outputs, alphabet="molecule", layout=kind.layout()
        )
    return ModelIO(length, 1, n_outputs, alphabet="fingerprint")


def build(name: str, length: int = 101, n_outputs: int = 1, **overrides: Any) -> SequenceModel:
    """Model ``name`` with the small widths of ``SMALL`` and ``overrides``."""
    params = {**SMALL.get(name, {}), **overrides}
    model = create_model(name, params, io=model_io(name, length, n_outputs))
    assert isinstance(model, SequenceModel)
    return model


def random_one_hot(n: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 4, (n, length), generator=g)
    return torch.nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()


def encode_molecules(name: str, smiles: list[str], length: int) -> torch.Tensor:
    """``smiles`` as model ``name`` reads them at input size ``length``."""
    return torch.from_numpy(np.asarray(_kind(name, length).encode(smiles), dtype=np.float32))


def random_inputs(name: str, n: int, length: int, seed: int = 0) -> torch.Tensor:
    """``n`` inputs of model ``name``: random one-hot DNA, or molecules of
    :data:`MOLECULES` drawn with ``seed`` (for graphs, those of at most ``length``
    atoms)."""
    if name not in MOLECULE_NAMES:
        return random_one_hot(n, length, seed)
    fits = _alphabet(name) != "molecule"
    pool = [s for s in MOLECULES if fits or _SIZES[s] <= length]
    pick = np.random.default_rng(seed).integers(0, len(pool), n)
    return encode_molecules(name, [pool[i] for i in pick], length)


def has_option(name: str, key: str) -> bool:
    return key in get_model_spec(name).params.model_fields


def test_the_zoo_is_registered_with_summaries_and_citations() -> None:
    assert set(ZOO) <= set(NAMES)
    assert {"dmpnn", "gin", "fingerprint_mlp"} <= set(MOLECULE_NAMES)
    for spec in list_models():
        assert spec.summary.strip()
        assert "\n" not in spec.summary
        assert "doi:10." in spec.citation


@pytest.mark.parametrize("length", [101, 300])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("name", NAMES)
def test_output_shape(name: str, n_outputs: int, length: int) -> None:
    torch.manual_seed(0)
    model = build(name, length, n_outputs)
    x = random_inputs(name, 5, length)
    assert model(x).shape == (5, n_outputs)  # train mode (batch norm on batch statistics)
    model.eval()
    y = model(x)
    assert y.shape == (5, n_outputs)
    assert torch.isfinite(y).all()
    assert model.embed(x).shape[0] == 5


@pytest.mark.parametrize("length", [1, 7, 26, 162, 1001])
@pytest.mark.parametrize("name", NAMES)
def test_any_input_length_builds_and_runs(name: str, length: int) -> None:
    """Lengths where the papers' pooling would leave no position still give an output
    (molecules: graphs of one to 1001 atom positions, fingerprints of 1 to 1001 bits)."""
    model = build(name, length, 2).eval()
    x = random_inputs(name, 2, length)
    assert model(x).shape == (2, 2)
    trunk: Any = model.trunk
    if hasattr(trunk, "output_length"):
        # the dense layers were sized from ModelIO.input_length, not from a dummy pass
        assert model.embed(x).shape == (2, trunk.out_channels, trunk.output_length)
        assert trunk.output_length >= 1


@pytest.mark.parametrize("strands", ["mean", "max"])
@pytest.mark.parametrize("name", NAMES)
def test_both_strand_models_ignore_the_strand(name: str, strands: str) -> None:
    if not has_option(name, "strands"):
        pytest.skip(f"{name} has no strands option")
    torch.manual_seed(0)
    model = build(name, 101, 3, strands=strands).eval()
    x = random_one_hot(6, 101, seed=2)
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(reverse_complement_tensor(x)), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_single_strand_models_see_the_strand(name: str) -> None:
    if not has_option(name, "strands"):
        pytest.skip(f"{name} has no strands option")
    torch.manual_seed(0)
    model = build(name, 101, 1, strands="single").eval()
    x = random_one_hot(6, 101, seed=2)
    with torch.no_grad():
        assert not torch.allclose(model(x), model(reverse_complement_tensor(x)))


@pytest.fixture(scope="module")
def motif_set() -> tuple[torch.Tensor, torch.Tensor]:
    """64 sequences of 101 bp, half with a planted CTCF-like motif on either strand."""
    seqs, labels = planted_motif_dataset(32, 32, length=101, seed=0)
    return torch.from_numpy(one_hot(seqs)), torch.from_numpy(labels).float()[:, None]


@pytest.fixture(scope="module")
def molecule_set() -> tuple[list[str], torch.Tensor]:
    """64 molecules, labelled 1 when they hold a halogen (about half of them)."""
    rows = molecule_rows(64, task="binary", seed=0)
    labels = [float(row["label"]) for row in rows]
    return [str(row["smiles"]) for row in rows], torch.tensor(labels)[:, None]


@pytest.mark.parametrize("name", NAMES)
def test_a_short_training_run_fits_a_planted_signal(
    name: str,
    motif_set: tuple[torch.Tensor, torch.Tensor],
    molecule_set: tuple[list[str], torch.Tensor],
) -> None:
    """DNA: a planted motif; molecules: whether a halogen was planted."""
    if name in MOLECULE_NAMES:
        smiles, y = molecule_set
        length = 128 if _alphabet(name) == "fingerprint" else int(n_atoms(smiles).max())
        x = encode_molecules(name, smiles, length)
    else:
        (x, y), length = motif_set, 101
    torch.manual_seed(0)
    model = build(name, length, 1).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    with torch.no_grad():
        first = loss_fn(model(x), y).item()
    accuracy = 0.0
    for step in range(150):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 10 == 9:
            with torch.no_grad():
                accuracy = (
                    ((predict(model, x, device="cpu") > 0).float() == y).float().mean().item()
                )
            if accuracy >= 0.95:
                break
    assert accuracy >= 0.95, f"{name}: training accuracy {accuracy:.2f} after {step + 1} steps"
    assert loss.item() < first


@pytest.mark.parametrize("name", NAMES)
def test_weights_round_trip_through_safetensors(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build(name, 101, 3).train()
    with torch.no_grad():
        for seed in range(3):  # move batch-norm running statistics off their defaults
            model(random_inputs(name, 8, 101, seed=seed))
    path = save_weights(tmp_path / "model.safetensors", model)
    torch.manual_seed(1)
    fresh = build(name, 101, 3)
    fresh.load_state_dict(load_file(str(path)), strict=True)
    x = random_inputs(name, 7, 101, seed=5)
    model.eval()
    fresh.eval()
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)


def _fingerprint(name: str, model: nn.Module) -> tuple[Any, ...]:
    x = random_inputs(name, 2, 300, seed=9)
    text, n_params, out = fingerprint(model, x)
    with torch.no_grad():
        shape = tuple(model(x).shape)
    return text, n_params, getattr(model, "strands", None), shape, out


def _with_options(name: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """The fingerprint of model ``name`` with ``params`` (batch norm warmed up on a
    batch, so that its statistics are not the identity)."""
    torch.manual_seed(0)
    per_position = params.get("head") == "profile"
    io = model_io(name, 300, 2, **({"per_position": True} if per_position else {}))
    model = create_model(name, params, io=io)
    with torch.no_grad():
        model.train()(random_inputs(name, 8, 300, seed=4))
    return _fingerprint(name, model)


@pytest.mark.parametrize("name", NAMES)
def test_every_option_can_be_set_and_takes_effect(name: str) -> None:
    spec = get_model_spec(name)
    base_params = SMALL.get(name, {})
    base = spec.params.model_validate(base_params)
    reference = _with_options(name, base_params)
    for key, field in spec.params.model_fields.items():
        value = _alternative(field, getattr(base, key))
        params = {**base_params, key: value}
        assert getattr(validate_params(name, params), key) == value
        if key in NEEDS and name in MOLECULE_NAMES:  # acts only with another option
            other = {**base_params, **NEEDS[key]}
            assert _with_options(name, {**other, key: value}) != _with_options(name, other), (
                f"{name}: option {key}={value!r} had no effect"
            )
            continue
        assert _with_options(name, params) != reference, (
            f"{name}: option {key}={value!r} had no effect"
        )


@pytest.mark.parametrize("name", NAMES)
def test_unknown_or_mistyped_options_are_config_errors(name: str) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'model\.no_such_option'"):
        build(name, no_such_option=1)
    fields = get_model_spec(name).params.model_fields
    int_keys = [k for k, f in fields.items() if f.annotation is int]
    if int_keys:
        with pytest.raises(ConfigError, match=int_keys[0]):
            create_model(name, {int_keys[0]: "8"}, io=model_io(name, 101, 1))


@pytest.mark.parametrize("batch_size", [1, 2, 5, 13])
@pytest.mark.parametrize("name", ["basset", "gin"])  # gin: batch norm over real atoms
def test_predict_is_batch_size_invariant_with_batch_norm(name: str, batch_size: int) -> None:
    torch.manual_seed(0)
    model = build(name, 101, 2).train()
    with torch.no_grad():
        model(random_inputs(name, 16, 101, seed=3))  # non-trivial running statistics
    x = random_inputs(name, 13, 101, seed=1)
    full = predict(model, x, batch_size=64, device="cpu")
    torch.testing.assert_close(predict(model, x, batch_size=batch_size, device="cpu"), full)
    assert model.training  # predict restores the mode
