"""Standardised regression targets and the scaling folded into the output layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from biodl.errors import ConfigError
from biodl.models.scaling import fold_output_scaling, standardise_targets, target_scaling


def test_scaling_of_targets_with_missing_values() -> None:
    y = np.array([[1.0, 2.0, np.nan], [3.0, 2.0, np.nan], [5.0, np.nan, np.nan]])
    mean, sd = target_scaling(y)
    np.testing.assert_allclose(mean, [3.0, 2.0, 0.0])
    np.testing.assert_allclose(sd, [np.sqrt(8 / 3), 1.0, 1.0])  # no spread, no values: 1
    z = standardise_targets(y, mean, sd)
    assert z.dtype == np.float32
    np.testing.assert_allclose(np.nanmean(z[:, 0]), 0.0, atol=1e-7)
    assert np.isnan(z[2, 1])


def test_fold_is_exact_on_a_linear_head() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).double()
    x = torch.randn(6, 4, dtype=torch.float64)
    before = net(x).detach()
    mean, sd = np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.25, 10.0])
    fold_output_scaling(net, mean, sd, probe=x)
    after = net(torch.randn(1, 4, dtype=torch.float64) * 0 + x[:1]).detach()
    torch.testing.assert_close(after, before[:1] * torch.from_numpy(sd) + torch.from_numpy(mean))


def test_fold_refuses_outputs_that_are_not_the_linear_layer() -> None:
    net = nn.Sequential(nn.Linear(4, 2), nn.Softplus())
    x = torch.randn(5, 4)
    weight = net[0].weight.detach().clone()
    with pytest.raises(ConfigError, match="scale_targets: false"):
        fold_output_scaling(net, [0.0, 1.0], [2.0, 3.0], probe=x)
    torch.testing.assert_close(net[0].weight, weight)  # restored
    with pytest.raises(ConfigError, match="no linear output layer of 5"):
        fold_output_scaling(net, [0.0] * 5, [1.0] * 5, probe=x)
