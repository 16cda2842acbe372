"""Building blocks shared by the zoo: trunks, heads and the strand wrapper."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from biodl.encode import dinucleotide_reverse_complement
from biodl.models.locality import Link, NonLocal, TwoStrands

__all__ = ["DenseHead", "GlobalPool", "SequenceModel", "reverse_complement_tensor"]


def reverse_complement_tensor(x: torch.Tensor) -> torch.Tensor:
    """Reverse complement of a one-hot DNA/RNA batch ``(N, C, L)``.

    ``C = 4`` (ACGT order): flip both axes. ``C = 16`` (dinucleotide one-hot, see
    :func:`biodl.encode.dinucleotide_one_hot`): the exact dinucleotide permutation.
    """
    if x.shape[-2] == 16:
        return dinucleotide_reverse_complement(x)
    return torch.flip(x, dims=(-2, -1))


class GlobalPool(nn.Module):
    """Pool ``(N, F, L)`` over positions to ``(N, F)`` or ``(N, 2F)``.

    ``"max_avg"`` concatenates the max and the mean, as DeepBind does for ChIP-seq.
    """

    def __init__(self, mode: Literal["max", "avg", "max_avg"] = "max") -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "max":
            return x.amax(dim=-1)
        if self.mode == "avg":
            return x.mean(dim=-1)
        return torch.cat([x.amax(dim=-1), x.mean(dim=-1)], dim=-1)

    def forward_chain(self) -> list[Link]:
        """Global pooling is not local (:mod:`biodl.models.locality`)."""
        return [NonLocal(self.forward)]

    def expansion(self) -> int:
        """How many features come out per input channel."""
        return 2 if self.mode == "max_avg" else 1


class DenseHead(nn.Module):
    """Features ``(N, D)`` to logits ``(N, n_outputs)``; an optional hidden ReLU layer."""

    def __init__(
        self, in_features: int, n_outputs: int, *, hidden: int = 0, dropout: float = 0.0
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Dropout(dropout)] if dropout > 0 else []
        if hidden > 0:
            layers += [nn.Linear(in_features, hidden), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            layers.append(nn.Linear(hidden, n_outputs))
        else:
            layers.append(nn.Linear(in_features, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def forward_chain(self) -> list[Link]:
        """The dense layers (:mod:`biodl.models.locality`)."""
        return [self.net]


class SequenceModel(nn.Module):
    """Trunk + head, optionally scoring both DNA strands.

    Parameters
    ----------
    trunk
        ``(N, C, L)`` to features.
    head
        Features to logits ``(N, n_outputs)``.
    strands
        ``"single"`` scores the given strand; ``"max"``/``"mean"`` also score the reverse
        complement and take the max/mean of the two logits, so the prediction is the
        same for a sequence and its reverse complement.
    """

    def __init__(
        self,
        trunk: nn.Module,
        head: nn.Module,
        *,
        strands: Literal["single", "max", "mean"] = "single",
    ) -> None:
        super().__init__()
        self.trunk = trunk
        self.head = head
        self.strands = strands

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Trunk features of the forward strand (the penultimate representation)."""
        return self.trunk(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fwd = self.head(self.trunk(x))
        if self.strands == "single":
            return fwd
        rev = self.head(self.trunk(reverse_complement_tensor(x)))
        if self.strands == "max":
            return torch.maximum(fwd, rev)
        return (fwd + rev) / 2

    def forward_chain(self) -> list[Link]:
        """Trunk then head, on both strands unless ``strands`` is ``single``.

        See :mod:`biodl.models.locality`.
        """
        if self.strands == "single":
            return [self.trunk, self.head]
        combine: Literal["max", "mean"] = "max" if self.strands == "max" else "mean"
        return [TwoStrands((self.trunk, self.head), combine, reverse_complement_tensor)]


def pad_positions(x: torch.Tensor, width: int, value: float) -> torch.Tensor:
    """Pad ``width`` positions on both ends of ``(N, C, L)`` with ``value``."""
    return F.pad(x, (width, width), mode="constant", value=value)
