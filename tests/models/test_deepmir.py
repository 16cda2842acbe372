"""The deepmir model: packed structure input, the sequence-only ablation, training."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

import biodl.models.deepmir  # registers "deepmir"
from biodl.encode import one_hot
from biodl.errors import ConfigError
from biodl.models import ModelIO, SequenceModel, create_model, get_model_spec, predict
from biodl.models.deepmir import DeepMirParams, DeepMirTrunk, PairingPotential
from biodl.models.registry import validate_params
from biodl.runs import save_weights
from tests.models.options import alternative as _alternative
from tests.models.options import fingerprint

needs_rna = pytest.mark.skipif(
    importlib.util.find_spec("RNA") is None, reason="ViennaRNA is not installed"
)

LENGTH = 40
SMALL = {"conv2d_filters": 4, "conv1d_filters": 8, "hidden": 16}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def model_io(inputs: str, length: int = LENGTH, n_outputs: int = 1) -> ModelIO:
    channels = 8 + length if inputs == "structure" else 4
    return ModelIO(channels, length, n_outputs, alphabet="rna")


def build(
    inputs: str = "structure", length: int = LENGTH, n_outputs: int = 1, **overrides: Any
) -> SequenceModel:
    params = {**SMALL, "inputs": inputs, **overrides}
    model = create_model("deepmir", params, io=model_io(inputs, length, n_outputs))
    assert isinstance(model, SequenceModel)
    return model


def random_input(inputs: str, n: int, length: int = LENGTH, seed: int = 0) -> torch.Tensor:
    """One-hot bases; for "structure", made-up structure rows and a symmetric matrix."""
    g = torch.Generator().manual_seed(seed)
    bases = torch.nn.functional.one_hot(torch.randint(0, 4, (n, length), generator=g), 4)
    bases = bases.permute(0, 2, 1).float()
    if inputs == "sequence":
        return bases
    dots = torch.nn.functional.one_hot(torch.randint(0, 3, (n, length), generator=g), 3)
    matrix = torch.rand(n, length, length, generator=g) / length
    matrix = (matrix + matrix.transpose(1, 2)) * (1 - torch.eye(length))
    paired = matrix.sum(dim=2, keepdim=True).transpose(1, 2)
    return torch.cat([bases, dots.permute(0, 2, 1).float(), paired, matrix], dim=1)


# ---------------------------------------------------------------------------------------
# Registration, shapes, configuration errors


def test_deepmir_is_registered_for_rna_and_dna() -> None:
    spec = get_model_spec("deepmir")
    assert spec.params is DeepMirParams
    assert spec.alphabets == ("rna", "dna")
    assert "doi:10." in spec.citation
    assert "\n" not in spec.summary
    assert biodl.models.deepmir.DEEPMIR is spec


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("inputs", ["structure", "sequence"])
def test_output_shape(inputs: str, n_outputs: int) -> None:
    torch.manual_seed(0)
    model = build(inputs, n_outputs=n_outputs)
    x = random_input(inputs, 5)
    assert model(x).shape == (5, n_outputs)  # train mode: batch statistics
    model.eval()
    y = model(x)
    assert y.shape == (5, n_outputs)
    assert torch.isfinite(y).all()
    trunk = model.trunk
    assert isinstance(trunk, DeepMirTrunk)
    assert model.embed(x).shape == (5, trunk.out_features)
    assert trunk.out_features == 2 * (4 * 4 + 8)  # max+mean of 16 (2-D) and 8 (1-D) filters


def test_default_size_does_not_depend_on_the_length() -> None:
    counts = {}
    for inputs in ("structure", "sequence"):
        for length in (200, 400):
            model = create_model("deepmir", {"inputs": inputs}, io=model_io(inputs, length))
            counts[inputs, length] = sum(p.numel() for p in model.parameters())
    assert counts["structure", 200] == counts["structure", 400] == 23_425
    assert counts["sequence", 200] == counts["sequence", 400] == 22_457


@pytest.mark.parametrize("inputs", ["structure", "sequence"])
@pytest.mark.parametrize("length", [1, 2, 5, 23])
def test_short_and_other_lengths_run(inputs: str, length: int) -> None:
    """Pooling windows wider than a map leave one position; any L works at run time."""
    torch.manual_seed(0)
    model = build(inputs, length, 2).eval()
    with torch.no_grad():
        assert model(random_input(inputs, 3, length)).shape == (3, 2)
        assert model(random_input(inputs, 3, length + 7)).shape == (3, 2)


def test_wrong_channel_count_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"8 \+ L = 48 channels.*not 4.*inputs: sequence"):
        create_model("deepmir", {}, io=ModelIO(4, LENGTH, 1, alphabet="rna"))
    with pytest.raises(ConfigError, match="structure_tensor"):
        create_model("deepmir", {}, io=ModelIO(8 + LENGTH + 1, LENGTH, 1, alphabet="rna"))
    with pytest.raises(ConfigError, match="4 channels, not 48"):
        create_model("deepmir", {"inputs": "sequence"}, io=model_io("structure"))
    per_position = ModelIO(8 + LENGTH, LENGTH, 1, alphabet="rna", per_position=True)
    with pytest.raises(ConfigError, match=r"per.position"):
        create_model("deepmir", {}, io=per_position)
    with pytest.raises(ConfigError, match="per_position is not supported"):
        biodl.models.deepmir.deepmir(DeepMirParams(), per_position)
    with pytest.raises(ConfigError, match="protein"):
        create_model("deepmir", {}, io=ModelIO(8 + LENGTH, LENGTH, 1, alphabet="protein"))


def test_wrong_tensor_shape_at_run_time_is_a_value_error() -> None:
    model = build("structure").eval()
    with pytest.raises(ValueError, match=r"takes \(N, 8 \+ L, L\), not \(2, 4, 40\)"):
        model(random_input("sequence", 2))
    with pytest.raises(ValueError, match=r"takes \(N, 4, L\)"):
        build("sequence")(random_input("structure", 2))


def test_unknown_or_mistyped_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'model\.no_such_option'.*conv2d_filters"):
        validate_params("deepmir", {"no_such_option": 1})
    with pytest.raises(ConfigError, match=r"unknown key 'model\.kernel'"):
        build(kernel=3)
    with pytest.raises(ConfigError, match="conv2d_filters"):
        validate_params("deepmir", {"conv2d_filters": "8"})  # strict: no str -> int
    with pytest.raises(ConfigError, match="inputs"):
        validate_params("deepmir", {"inputs": "image"})
    with pytest.raises(ConfigError, match="dropout"):
        validate_params("deepmir", {"dropout": 1.0})
    with pytest.raises(ConfigError, match="would skip base pairs"):
        build(conv2d_width=1, conv2d_stride=2)


def _fingerprint(model: nn.Module, inputs: str) -> tuple[Any, ...]:
    return fingerprint(model, random_input(inputs, 2, LENGTH, seed=9))


def test_every_option_can_be_set_and_takes_effect() -> None:
    base = DeepMirParams.model_validate(SMALL)
    torch.manual_seed(0)
    reference = _fingerprint(build("structure", 2), "structure")
    assert set(DeepMirParams.model_fields) >= {"inputs", "conv2d_stride", "min_hairpin_loop"}
    for key, field in DeepMirParams.model_fields.items():
        value = _alternative(field, getattr(base, key))
        params = {**SMALL, key: value}
        assert getattr(validate_params("deepmir", params), key) == value
        inputs = params.get("inputs", "structure")
        torch.manual_seed(0)
        model = create_model("deepmir", params, io=model_io(inputs, n_outputs=2))
        assert _fingerprint(model, inputs) != reference, f"option {key}={value!r} had no effect"


# ---------------------------------------------------------------------------------------
# What the model reads


def test_pairing_potential_marks_canonical_and_wobble_pairs() -> None:
    seq = "GAAAACUUNG"  # G-C, A-U, G-U; N pairs with nothing
    x = torch.from_numpy(one_hot([seq], alphabet="rna"))
    potential = PairingPotential(min_hairpin_loop=3)(x)
    assert potential.shape == (1, 1, 10, 10)
    m = potential[0, 0]
    torch.testing.assert_close(m, m.T)
    can_pair = {frozenset(p) for p in ("AU", "GC", "GU")}
    for i in range(10):
        for j in range(10):
            expected = frozenset(seq[i] + seq[j]) in can_pair and abs(i - j) > 3
            assert m[i, j] == float(expected), (i, j)
    assert m[0, 5] == 1  # G-C four apart
    assert m[4, 6] == 0  # A-U two apart: no room for a hairpin loop
    assert not m[8].any()
    assert m[6, 9] == 0  # U-G three apart
    no_loop = PairingPotential(min_hairpin_loop=0)(x)[0, 0]
    assert no_loop[6, 9] == 1
    assert no_loop[4, 6] == 1
    assert no_loop[6, 7] == 0  # U-U
    assert not no_loop.diagonal().any()
    dna = torch.from_numpy(one_hot([seq.replace("U", "T")], alphabet="dna"))
    torch.testing.assert_close(PairingPotential()(dna), potential)


def test_structure_mode_reads_the_matrix_and_sequence_mode_ignores_vienna_rows() -> None:
    torch.manual_seed(0)
    model = build("structure").eval()
    x = random_input("structure", 4, seed=1)
    changed = x.clone()
    changed[:, 8:] = changed[:, 8:].flip(-1).flip(-2)  # another symmetric matrix
    with torch.no_grad():
        assert not torch.allclose(model(x), model(changed))
        # float16 input (structure_tensor's default) is cast to the weights' dtype
        torch.testing.assert_close(model(x.half()), model(x.half().float()))
    sequence = build("sequence").eval()
    with torch.no_grad():
        assert sequence(x[:, :4]).shape == (4, 1)


@needs_rna
def test_padding_gives_finite_outputs() -> None:
    from biodl.encode import structure_tensor

    core = "GGGCUAGCAUCGAAAGAUGCUAGCCC"
    seqs = [core.center(LENGTH, "N"), core.ljust(LENGTH, "N"), "N" * LENGTH]
    x = torch.from_numpy(structure_tensor(seqs))
    assert x.dtype == torch.float16
    assert not x[2].any()
    torch.manual_seed(0)
    for model in (build("structure"), build("sequence")):
        model.eval()
        inputs = x if model.trunk.inputs == "structure" else x[:, :4]  # type: ignore[union-attr]
        out = predict(model, inputs, device="cpu")
        assert torch.isfinite(out).all()
        assert torch.isfinite(model.embed(inputs.float())).all()
    zeros = torch.zeros(2, 8 + LENGTH, LENGTH)
    assert torch.isfinite(build("structure").eval()(zeros)).all()


# ---------------------------------------------------------------------------------------
# Training and saving


def hairpin_set(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` stem-loops (stem 10-14 bp, loop 4-7 nt) and ``n`` shuffles of them, N-padded."""
    rng = np.random.default_rng(seed)
    complement = {"A": "U", "C": "G", "G": "C", "U": "A"}
    positives, negatives = [], []
    for _ in range(n):
        stem = "".join(rng.choice(list("ACGU"), rng.integers(10, 15)))
        loop = "".join(rng.choice(list("ACGU"), rng.integers(4, 8)))
        hairpin = stem + loop + "".join(complement[b] for b in reversed(stem))
        left = int(rng.integers(0, LENGTH - len(hairpin) + 1))
        positives.append(("N" * left + hairpin).ljust(LENGTH, "N"))
        shuffled = "".join(rng.permutation(list(hairpin)))
        negatives.append(("N" * left + shuffled).ljust(LENGTH, "N"))
    labels = np.array([1.0] * n + [0.0] * n, dtype=np.float32)
    return positives + negatives, labels


@needs_rna
@pytest.mark.parametrize("inputs", ["structure", "sequence"])
def test_a_short_training_run_separates_hairpins_from_shuffles(inputs: str) -> None:
    from biodl.encode import structure_tensor

    seqs, labels = hairpin_set(32)
    x = torch.from_numpy(structure_tensor(seqs, n_jobs=1)).float()
    if inputs == "sequence":
        x = x[:, :4]
    y = torch.from_numpy(labels)[:, None]
    torch.manual_seed(0)
    model = build(inputs, LENGTH, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    with torch.no_grad():
        first = loss_fn(model(x), y).item()
    accuracy = 0.0
    for step in range(200):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 10 == 9:
            accuracy = ((predict(model, x, device="cpu") > 0).float() == y).float().mean().item()
            if accuracy >= 0.95:
                break
    assert accuracy > 0.9, f"training accuracy {accuracy:.2f} after {step + 1} steps"
    assert loss.item() < first


@pytest.mark.parametrize("inputs", ["structure", "sequence"])
def test_weights_round_trip_through_safetensors(inputs: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = build(inputs, LENGTH, 3).train()
    with torch.no_grad():
        for seed in range(3):  # move batch-norm running statistics off their defaults
            model(random_input(inputs, 8, seed=seed))
    path = save_weights(tmp_path / "model.safetensors", model)
    state = load_file(str(path))
    assert not any("rule" in key for key in state)  # the fixed pairing rule is not saved
    torch.manual_seed(1)
    fresh = build(inputs, LENGTH, 3)
    fresh.load_state_dict(state, strict=True)
    x = random_input(inputs, 7, seed=5)
    model.eval()
    fresh.eval()
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)
