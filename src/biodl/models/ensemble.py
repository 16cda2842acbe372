"""Ensembles: several trained copies of one architecture scored as one model.

DeepBind won by averaging models; ``train.ensemble: K`` trains ``K`` copies with seeds
``seed, seed + 1, ...`` and saves them in one run directory as an :class:`Ensemble`, a
plain ``nn.Module`` whose output is the members' outputs combined on the scale of the
task's scores, returned as raw outputs again, so every consumer (``predict``,
``evaluate``, ``explain``, ISM, ``score-variants``, ``assess``) works on it unchanged:

=============  =================================================  ==================
combine        output                                             task
=============  =================================================  ==================
``probability``  logit of the mean sigmoid probability            binary, multi-label
``softmax``    log of the mean class probabilities (logits)       multi-class
``rate``       log of the mean rate ``exp(z)``                    Poisson regression
``mean``       mean of the values                                 regression
=============  =================================================  ==================

Examples
--------
>>> import torch
>>> a, b = torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)
>>> for m, w in ((a, 0.0), (b, 2.0)):
...     _ = m.weight.data.fill_(w), m.bias.data.fill_(0.0)
>>> e = Ensemble([a, b], combine="mean")
>>> e(torch.tensor([[1.0]])).item()
1.0
>>> p = Ensemble([a, b], combine="probability")(torch.tensor([[1.0]]))
>>> mean = (0.5 + torch.sigmoid(torch.tensor(2.0)).item()) / 2
>>> abs(torch.sigmoid(p).item() - mean) < 1e-6
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import get_args

import torch
import torch.nn.functional as F
from torch import nn

from biodl.tasks import Combine

__all__ = ["COMBINES", "Ensemble"]

COMBINES: tuple[Combine, ...] = get_args(Combine)


class Ensemble(nn.Module):
    """The members' raw outputs combined on the scale of their scores (module docstring).

    Parameters
    ----------
    members
        Models with the same input and output shapes.
    combine
        How outputs are averaged: ``probability``, ``softmax``, ``rate`` or ``mean``.
    """

    def __init__(self, members: Sequence[nn.Module], *, combine: Combine) -> None:
        super().__init__()
        if len(members) < 1:
            raise ValueError("an ensemble needs at least one member")
        if combine not in COMBINES:
            raise ValueError(f"combine must be one of {', '.join(COMBINES)}, not {combine!r}")
        self.members = nn.ModuleList(members)
        self.combine = combine

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.stack([m(x) for m in self.members])  # (K, N, ...)
        log_k = math.log(z.shape[0])
        if self.combine == "mean":
            return z.mean(dim=0)
        if self.combine == "rate":
            return torch.logsumexp(z, dim=0) - log_k
        if self.combine == "softmax":
            return torch.logsumexp(F.log_softmax(z, dim=-1), dim=0) - log_k
        # logit of the mean probability, from log-sigmoids (stable at saturation)
        log_p = torch.logsumexp(F.logsigmoid(z), dim=0)
        log_q = torch.logsumexp(F.logsigmoid(-z), dim=0)
        return log_p - log_q
