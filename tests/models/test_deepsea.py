from __future__ import annotations

import pytest
import torch
from torch import nn

from biodl.models import ConvBlock, ConvStack, ModelIO, create_model
from tests.models.test_zoo import build, random_one_hot

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def conv_blocks(length: int) -> list[ConvBlock]:
    trunk = build("deepsea", length).trunk
    assert isinstance(trunk, ConvStack)
    return [block for block in trunk.blocks if isinstance(block, ConvBlock)]


def test_published_size_on_1000_bp() -> None:
    with torch.device("meta"):  # no memory, no initialisation
        model = create_model("deepsea", {}, io=ModelIO(4, 1000, 919))
    trunk = model.trunk
    assert isinstance(trunk, ConvStack)
    assert (trunk.out_channels, trunk.output_length) == (960, 53)
    conv = 4 * 8 * 320 + 320 + 320 * 8 * 480 + 480 + 480 * 8 * 960 + 960
    dense = 960 * 53 * 925 + 925 + 925 * 919 + 919
    assert sum(p.numel() for p in model.parameters()) == conv + dense == 52_843_119
    assert trunk.receptive_field == 8 + 3 + 4 * (7 + 3 + 4 * 7)
    assert model.strands == "mean"


def test_layers_follow_the_paper() -> None:
    model = build("deepsea", 1000)
    blocks = conv_blocks(1000)
    assert [b.conv.kernel_size[0] for b in blocks] == [8, 8, 8]
    assert [b.pool_width for b in blocks] == [4, 4, 1]
    assert [b.dropout.p for b in blocks] == [0.2, 0.2, 0.5]
    assert not any(isinstance(m, nn.BatchNorm1d) for m in model.modules())
    assert [b.padding for b in blocks] == [(0, 0)] * 3  # 'valid', as published


def test_short_inputs_pad_the_third_convolution() -> None:
    """101 -> 94 -> 23 -> 16 -> 4 positions: the width-8 conv needs 4 zero columns."""
    blocks = conv_blocks(101)
    assert [b.output_length for b in blocks] == [23, 4, 1]
    assert blocks[2].padding == (2, 2)
    # 163 bp is the shortest input the published layers handle unchanged
    blocks = conv_blocks(163)
    assert [b.padding for b in blocks] == [(0, 0)] * 3
    assert blocks[2].output_length == 1
    blocks = conv_blocks(162)
    assert blocks[2].padding == (0, 1)


def test_no_hidden_layer() -> None:
    model = build("deepsea", 101, 2, hidden=0).eval()
    linears = [m for m in model.head.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 1
    assert model(random_one_hot(3, 101)).shape == (3, 2)
