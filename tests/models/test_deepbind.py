from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.errors import ConfigError
from biodl.models import (
    ModelIO,
    create_model,
    get_model_spec,
    list_models,
    predict,
    reverse_complement_tensor,
)

IO = ModelIO(n_channels=4, input_length=40, n_outputs=1)


def one_hot_random(n: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 4, (n, length), generator=g)
    return torch.nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()


def test_registry_lists_deepbind() -> None:
    names = [s.name for s in list_models()]
    assert "deepbind" in names
    assert "Alipanahi" in get_model_spec("deepbind").citation


def test_parameter_count_matches_the_architecture() -> None:
    model = create_model("deepbind", {"n_filters": 16, "filter_width": 24, "hidden": 32}, io=IO)
    conv = 16 * 4 * 24 + 16
    hidden = (16 * 2) * 32 + 32
    out = 32 + 1
    assert sum(p.numel() for p in model.parameters()) == conv + hidden + out


def test_output_shape_and_strand_symmetry() -> None:
    torch.manual_seed(0)
    model = create_model("deepbind", {}, io=IO).eval()
    x = one_hot_random(7, 40)
    y = model(x)
    assert y.shape == (7, 1)
    torch.testing.assert_close(y, model(reverse_complement_tensor(x)), rtol=0, atol=1e-6)


def test_single_strand_is_not_symmetric() -> None:
    torch.manual_seed(0)
    model = create_model("deepbind", {"strands": "single"}, io=IO).eval()
    x = one_hot_random(7, 40)
    assert not torch.allclose(model(x), model(reverse_complement_tensor(x)))


def test_padding_lets_motifs_overhang_the_ends() -> None:
    """A detector matching the first base scores a motif cut off at the left edge."""
    model = create_model(
        "deepbind",
        {
            "n_filters": 1,
            "filter_width": 3,
            "hidden": 0,
            "dropout": 0.0,
            "pooling": "max",
            "strands": "single",
        },
        io=ModelIO(4, 5, 1),
    ).eval()
    trunk = model.trunk  # type: ignore[attr-defined]
    with torch.no_grad():
        trunk.conv.weight.zero_()
        trunk.conv.bias.zero_()
        trunk.conv.weight[0, 0, 2] = 1.0  # "A" at the last filter column
    x = torch.zeros(1, 4, 5)
    x[0, 0, 0] = 1.0  # A at position 0, rest all-zero
    # With padding of 2 uniform columns, windows start 2 before the sequence: the first
    # window sees pad, pad, A -> 1.0
    assert trunk(x).item() == pytest.approx(1.0)


def test_unknown_option_and_wrong_alphabet() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'model\.width'"):
        create_model("deepbind", {"width": 3}, io=IO)
    with pytest.raises(ConfigError, match="not protein"):
        create_model("deepbind", {}, io=ModelIO(20, 40, 1, alphabet="protein"))


@given(st.integers(1, 9))
@settings(max_examples=8, deadline=None)
def test_predict_is_batch_size_invariant(batch_size: int) -> None:
    torch.manual_seed(0)
    model = create_model("deepbind", {}, io=IO)
    x = one_hot_random(13, 40, seed=1).numpy()
    full = predict(model, x, batch_size=64, device="cpu")
    torch.testing.assert_close(predict(model, x, batch_size=batch_size, device="cpu"), full)


def test_predict_restores_training_mode_and_validates() -> None:
    model = create_model("deepbind", {}, io=IO).train()
    predict(model, np.zeros((2, 4, 40), dtype=np.float32), device="cpu")
    assert model.training
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, np.zeros((2, 4, 40), dtype=np.float32), batch_size=0)
    with pytest.raises(ValueError, match=r"shape \(N, C, L\)"):
        predict(model, np.zeros((4, 40), dtype=np.float32))
