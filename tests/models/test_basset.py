from __future__ import annotations

import pytest
import torch
from torch import nn

from biodl.models import ConvBlock, ConvStack, ModelIO, create_model
from tests.models.test_zoo import build, random_one_hot

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def conv_blocks(length: int) -> list[ConvBlock]:
    trunk = build("basset", length).trunk
    assert isinstance(trunk, ConvStack)
    return [block for block in trunk.blocks if isinstance(block, ConvBlock)]


def test_published_size_on_600_bp() -> None:
    with torch.device("meta"):
        model = create_model("basset", {}, io=ModelIO(4, 600, 164))
    trunk = model.trunk
    assert isinstance(trunk, ConvStack)
    # 600 -> 582 -> 194 -> 184 -> 46 -> 40 -> 10 positions of 200 filters
    assert (trunk.out_channels, trunk.output_length, trunk.out_features) == (200, 10, 2000)
    conv = (4 * 19 * 300 + 300) + (300 * 11 * 200 + 200) + (200 * 7 * 200 + 200)
    batch_norm = 2 * (300 + 200 + 200 + 1000 + 1000)
    dense = (2000 * 1000 + 1000) + (1000 * 1000 + 1000) + (1000 * 164 + 164)
    assert sum(p.numel() for p in model.parameters()) == conv + batch_norm + dense == 4_135_064
    assert model.strands == "single"


def test_layers_follow_the_paper() -> None:
    model = build("basset", 600)
    blocks = conv_blocks(600)
    assert [b.conv.kernel_size[0] for b in blocks] == [19, 11, 7]
    assert [b.pool_width for b in blocks] == [3, 4, 4]
    assert all(isinstance(b.norm, nn.BatchNorm1d) for b in blocks)
    head = list(model.head.modules())
    assert sum(isinstance(m, nn.BatchNorm1d) for m in head) == 2
    assert [m.p for m in head if isinstance(m, nn.Dropout)] == [0.3, 0.3]


def test_short_inputs_pad_and_cap_pooling() -> None:
    """101 -> 83 -> 27 -> 17 -> 4 positions: the width-7 conv is padded, its pool capped."""
    blocks = conv_blocks(101)
    assert [b.output_length for b in blocks] == [27, 4, 1]
    assert blocks[2].padding == (1, 2)
    assert blocks[2].pool_width == 1


def test_hidden_layers_option() -> None:
    model = build("basset", 101, 2, hidden_layers=0).eval()
    assert [type(m) for m in model.head.modules()][-2:] == [nn.Flatten, nn.Linear]
    assert sum(isinstance(m, nn.Linear) for m in model.head.modules()) == 1
    assert model(random_one_hot(3, 101)).shape == (3, 2)
    three = build("basset", 101, 2, hidden_layers=3)
    assert sum(isinstance(m, nn.Linear) for m in three.head.modules()) == 4
