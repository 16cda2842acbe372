"""Regression targets standardised for training, the scaling folded into the model after.

Training on targets of unit variance puts every output on the scale the initialisation
and the optimiser expect (chemprop standardises its regression targets the same way).
:func:`standardise_targets` scales ``(N, T)`` targets by the training split's mean and
SD; after training, :func:`fold_output_scaling` rewrites the final linear layer so that
the model predicts ``sd * z + mean`` in the targets' own units, with nothing to undo at
prediction time (the saved model is a plain model).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from biodl.errors import ConfigError

__all__ = ["fold_output_scaling", "standardise_targets", "target_scaling"]


def target_scaling(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD of each output of training targets ``(N, T)`` (NaN: missing, left
    out); an output without spread (or without values) keeps SD 1 and mean 0.

    Examples
    --------
    >>> m, s = target_scaling(np.array([[1.0, 5.0], [3.0, np.nan], [5.0, 5.0]]))
    >>> m.tolist(), s.round(4).tolist()
    ([3.0, 5.0], [1.633, 1.0])
    """
    arr = np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN outputs
        mean = np.nanmean(arr, axis=0)
        sd = np.nanstd(arr, axis=0)
    bad = ~np.isfinite(mean)
    mean[bad] = 0.0
    sd[~np.isfinite(sd) | (sd <= 0) | bad] = 1.0
    return mean, sd


def standardise_targets(y: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``(y - mean) / sd`` as float32 (NaN stays NaN)."""
    return ((np.asarray(y, dtype=np.float64) - mean) / sd).astype(np.float32)


def fold_output_scaling(
    model: nn.Module,
    mean: Sequence[float] | np.ndarray,
    sd: Sequence[float] | np.ndarray,
    *,
    probe: torch.Tensor,
) -> None:
    """Make ``model`` output ``sd * z + mean`` where it output ``z``, by rewriting its last
    linear layer of ``T = len(mean)`` outputs (``W <- sd W``, ``b <- sd b + mean``).

    The fold is checked on ``probe`` (a few real inputs): the model's outputs after must
    equal ``sd * before + mean``; otherwise the layer is restored and a
    :class:`~biodl.errors.ConfigError` says the model's outputs are not that layer's
    (so ``train.scale_targets`` cannot be used with it).

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> x = torch.randn(5, 3)
    >>> before = net(x).detach()
    >>> fold_output_scaling(net, [1.0, -2.0], [10.0, 0.5], probe=x)
    >>> bool(torch.allclose(net(x), before * torch.tensor([10.0, 0.5]) + torch.tensor([1.0, -2.0]), atol=1e-5))
    True
    """  # noqa: E501
    m = torch.as_tensor(np.asarray(mean, dtype=np.float64))
    s = torch.as_tensor(np.asarray(sd, dtype=np.float64))
    last = [
        module
        for module in model.modules()
        if isinstance(module, nn.Linear) and module.out_features == len(m)
    ]
    if not last:
        raise ConfigError(
            f"train.scale_targets: {type(model).__name__} has no linear output layer of "
            f"{len(m)} outputs to fold the scaling into; set train.scale_targets: false"
        )
    layer = last[-1]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        before = model(probe).double()
        saved_w, saved_b = layer.weight.detach().clone(), None
        layer.weight.mul_(s.to(layer.weight.dtype)[:, None])
        if layer.bias is not None:
            saved_b = layer.bias.detach().clone()
            layer.bias.mul_(s.to(layer.bias.dtype)).add_(m.to(layer.bias.dtype))
        after = model(probe).double()
        want = before * s + m
        ok = layer.bias is not None and torch.allclose(
            after, want, rtol=1e-4, atol=1e-4 * float(s.max())
        )
        if not ok:
            layer.weight.copy_(saved_w)
            if saved_b is not None and layer.bias is not None:
                layer.bias.copy_(saved_b)
    model.train(was_training)
    if not ok:
        raise ConfigError(
            f"train.scale_targets: the outputs of {type(model).__name__} are not its last "
            "linear layer's, so the scaling cannot be folded in; set train.scale_targets: false"
        )
