from __future__ import annotations

import pytest
import torch
from torch import nn

from biodl.models import DanQTrunk, ModelIO, create_model
from tests.models.test_zoo import build, random_one_hot

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_published_size_on_1000_bp() -> None:
    with torch.device("meta"):
        model = create_model("danq", {}, io=ModelIO(4, 1000, 919))
    trunk = model.trunk
    assert isinstance(trunk, DanQTrunk)
    # 1000 -> 975 -> 75 positions; 2 x 320 LSTM outputs each
    assert (trunk.out_channels, trunk.output_length, trunk.out_features) == (640, 75, 48_000)
    conv = 4 * 26 * 320 + 320
    lstm = 2 * (4 * 320 * (320 + 320) + 2 * 4 * 320)  # PyTorch: two bias vectors per gate
    dense = 48_000 * 925 + 925 + 925 * 919 + 919
    total = sum(p.numel() for p in model.parameters())
    assert total == conv + lstm + dense == 46_929_039
    assert total - 2 * 4 * 320 == 46_926_479  # DanQ's Keras count (one bias per gate)
    assert trunk.lstm.bidirectional
    assert trunk.lstm.hidden_size == 320
    assert model.strands == "mean"


def test_trunk_returns_lstm_outputs_per_position() -> None:
    model = build("danq", 101).eval()
    trunk = model.trunk
    assert isinstance(trunk, DanQTrunk)
    x = random_one_hot(3, 101)
    features = model.embed(x)
    assert features.shape == (3, 16, 5)  # 2 x 8 units, (101 - 25) // 13 positions
    conv = trunk.conv(x).transpose(1, 2)
    out, _ = trunk.lstm(conv)
    torch.testing.assert_close(features, out.transpose(1, 2))


def test_dropout_placement() -> None:
    model = build("danq", 101)
    trunk = model.trunk
    assert isinstance(trunk, DanQTrunk)
    dropouts = [m.p for m in trunk.modules() if isinstance(m, nn.Dropout)]
    assert dropouts == [0.2, 0.5]  # after the pooling, after the LSTM
    assert not any(isinstance(m, nn.Dropout) for m in model.head.modules())


def test_very_short_inputs_cap_the_pooling() -> None:
    trunk = build("danq", 30).trunk
    assert isinstance(trunk, DanQTrunk)
    assert trunk.conv.blocks[0].pool_width == 5
    assert trunk.output_length == 1
