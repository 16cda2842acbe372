from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from biodl.errors import ConfigError
from biodl.models import (
    ConvBlock,
    ConvStack,
    DilatedResidualBlock,
    DilatedResNetTrunk,
    ModelIO,
    create_model,
)
from tests.models.test_zoo import build, random_one_hot

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _trunk(model: nn.Module) -> DilatedResNetTrunk:
    trunk = model.trunk
    assert isinstance(trunk, DilatedResNetTrunk)
    return trunk


def measured_receptive_field(trunk: DilatedResNetTrunk, length: int) -> int:
    """Input positions whose change changes the features of the middle bin.

    With every weight and batch-norm parameter positive (eval mode) and a constant
    positive input, every layer is strictly increasing in each input it sees, so raising
    one input position raises exactly the bins whose receptive field contains it.
    """
    trunk = trunk.double().eval()
    with torch.no_grad():
        for parameter in trunk.parameters():
            parameter.uniform_(0.5, 1.0)
        base = torch.full((1, 4, length), 0.25, dtype=torch.float64)
        perturbed = base.repeat(length, 1, 1)
        perturbed[torch.arange(length), 0, torch.arange(length)] += 1.0
        middle = trunk.output_length // 2
        reference = trunk(base)[0, :, middle]
        changed = (trunk(perturbed)[:, :, middle] != reference).any(dim=1)
    positions = changed.nonzero().flatten().tolist()
    assert positions == list(range(positions[0], positions[-1] + 1))  # contiguous
    assert positions[0] > 0  # clear of the padded ends
    assert positions[-1] < length - 1
    return len(positions)


@pytest.mark.parametrize(
    "options",
    [
        {"n_filters": 4, "n_blocks": 3},  # stem 15, bins of 8, dilations 1 2 4
        {"n_filters": 4, "n_blocks": 4, "stem_width": 8, "bin_size": 3, "kernel_size": 4},
        {"n_filters": 3, "n_blocks": 5, "dilation_rate": 1.5, "activation": "relu"},
        {"n_filters": 4, "n_blocks": 0, "bin_size": 1},
        {"n_filters": 2, "n_blocks": 6, "bin_size": 2, "stem_width": 5},
    ],
)
def test_receptive_field_matches_a_measurement(options: dict[str, Any]) -> None:
    trunk = _trunk(create_model("dilated_resnet", options, io=ModelIO(4, 400, 1)))
    assert measured_receptive_field(trunk, 400) == trunk.receptive_field


def test_receptive_field_formula_and_default() -> None:
    trunk = _trunk(create_model("dilated_resnet", {}, io=ModelIO(4, 1000, 1)))
    assert trunk.dilations == (1, 2, 4, 8, 16, 32)
    assert trunk.receptive_field == 15 + (8 - 1) + 8 * (3 - 1) * (1 + 2 + 4 + 8 + 16 + 32) == 1030
    rates = _trunk(build("dilated_resnet", 101, n_blocks=6, dilation_rate=1.5)).dilations
    assert rates == (1, 2, 2, 3, 5, 8)
    modules = _trunk(build("dilated_resnet", 101)).modules()
    dilations = [m.conv.dilation[0] for m in modules if isinstance(m, DilatedResidualBlock)]
    assert dilations == [1, 2, 4]


def _profile(length: int, n_outputs: int = 1, **params: Any) -> nn.Module:
    io = ModelIO(4, length, n_outputs, per_position=True)
    return create_model(
        "dilated_resnet", {"n_filters": 16, "n_blocks": 3, "head": "profile", **params}, io=io
    ).eval()


@pytest.mark.parametrize("length", [101, 300])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_profile_head_gives_one_output_per_bin(length: int, n_outputs: int) -> None:
    model = _profile(length, n_outputs)
    x = random_one_hot(4, length)
    assert model(x).shape == (4, n_outputs, length // 8)
    assert model.embed(x).shape == (4, 16, length // 8)  # type: ignore[operator]
    coarse = _profile(length, n_outputs, bin_size=32)
    assert coarse(x).shape == (4, n_outputs, length // 32)


def test_profile_head_needs_a_single_strand() -> None:
    with pytest.raises(ConfigError, match="strands: single"):
        _profile(101, strands="mean")


def test_profile_head_and_per_position_outputs_go_together() -> None:
    with pytest.raises(ConfigError, match="set per_position: true"):
        build("dilated_resnet", 101, head="profile")
    with pytest.raises(ConfigError, match=r"per-position outputs need model\.head: profile"):
        create_model("dilated_resnet", {}, io=ModelIO(4, 101, 1, per_position=True))
    with pytest.raises(ConfigError, match="no per-position head"):
        create_model("deepbind", {}, io=ModelIO(4, 101, 1, per_position=True))


def test_pooling_is_capped_so_one_bin_remains() -> None:
    model = build("dilated_resnet", 5, 2, bin_size=8).eval()
    assert _trunk(model).output_length == 1
    assert model(random_one_hot(2, 5)).shape == (2, 2)


def test_residual_blocks_start_as_the_identity() -> None:
    model = build("dilated_resnet", 101).eval()
    trunk = _trunk(model)
    x = random_one_hot(2, 101)
    with torch.no_grad():
        stem = trunk.stem(x)
        torch.testing.assert_close(trunk.tower(stem), stem, rtol=0, atol=0)


@pytest.mark.parametrize("n_outputs", [1, 10])
def test_conv_tower_pools_gradually_into_128_bp_bins(n_outputs: int) -> None:
    model = _profile(1024, n_outputs, stem="tower", bin_size=128)
    trunk = _trunk(model)
    stem = trunk.stem
    assert isinstance(stem, ConvStack)
    # the stem convolution, then 6 width-5 convolutions: 7 poolings by 2
    blocks = [b for b in stem.blocks if isinstance(b, ConvBlock)]
    assert [b.conv.kernel_size for b in blocks] == [(15,)] + [(5,)] * 6
    assert [b.pool_width for b in blocks] == [2] * 7
    assert [b.output_length for b in blocks] == [512, 256, 128, 64, 32, 16, 8]
    x = random_one_hot(2, 1024)
    z = model(x)
    assert z.shape == (2, n_outputs, 8)
    assert trunk.output_length == 8
    # log rates: no final activation, so outputs of either sign
    with torch.no_grad():
        nn.init.constant_(model.head.conv.bias, -3.0)  # type: ignore[union-attr, arg-type]
        assert (model(x) < 0).any()
    z.exp().sum().backward()  # a Poisson rate is differentiable everywhere


@pytest.mark.parametrize(("length", "bin_size", "bins"), [(1000, 8, 125), (300, 32, 9), (5, 8, 1)])
def test_conv_tower_gives_as_many_bins_as_the_single_stem(
    length: int, bin_size: int, bins: int
) -> None:
    for stem in ("single", "tower"):
        model = _profile(length, 2, stem=stem, bin_size=bin_size)
        assert model(random_one_hot(2, length)).shape == (2, 2, bins)
    pooled = build("dilated_resnet", length, 3, stem="tower", bin_size=bin_size).eval()
    assert pooled(random_one_hot(2, length)).shape == (2, 3)


def test_conv_tower_with_bins_of_one_is_a_stem_convolution() -> None:
    model = _profile(50, 1, stem="tower", bin_size=1)
    stem = _trunk(model).stem
    assert isinstance(stem, ConvStack)
    assert len(stem.blocks) == 1
    assert model(random_one_hot(1, 50)).shape == (1, 1, 50)


def test_conv_tower_needs_a_power_of_two_bin_size() -> None:
    with pytest.raises(ConfigError, match=r"power of two \(got 96\)"):
        _profile(1024, 1, stem="tower", bin_size=96)
    with pytest.raises(ConfigError, match="power of two"):
        build("dilated_resnet", 101, stem="tower", bin_size=12)


def test_conv_tower_receptive_field_matches_a_measurement() -> None:
    options = {"n_filters": 3, "n_blocks": 3, "stem": "tower", "bin_size": 8, "stem_width": 7}
    trunk = _trunk(create_model("dilated_resnet", options, io=ModelIO(4, 400, 1)))
    # stem 7, pools of 2 with width-5 convolutions at jumps 2 and 4, then the tower at 8
    expected = 7 + 1 + 2 * 4 + 2 * 1 + 4 * 4 + 4 * 1 + 8 * 2 * (1 + 2 + 4)
    assert measured_receptive_field(trunk, 400) == trunk.receptive_field == expected
