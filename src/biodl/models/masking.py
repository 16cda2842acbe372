"""Padding masks for variable-length proteins, and layers that respect them.

Proteins of different lengths are padded to one length ``L`` with all-zero columns (the
one-hot and the BLOSUM62 encodings both leave padding at zero, and no real residue has an
all-zero BLOSUM62 column). A position is *real* when any channel is non-zero
(:func:`padding_mask`); the functions and layers here make sure that padded positions
never contribute to pooling (:func:`masked_max`, :func:`masked_mean`), attention
(:func:`masked_softmax`), convolutions (:class:`MultiWidthConv`) or recurrent states
(:func:`masked_lstm`), so a protein's prediction does not depend on how much padding it
was given, nor where (left, right or both ends).

Caveat: an unknown residue (``X``, and in one-hot also ``B Z J U O``) encoded as an
all-zero column cannot be told from padding: it is masked like padding. Inside a protein
it is skipped by pooling and attention and reads as zero features to the convolutions
(exactly as a padded column would); :func:`masked_lstm` still steps through it, since it
lies between the first and the last real residue. Encode unknown residues as non-zero
columns (``unknown="uniform"`` one-hot) where that matters.

Examples
--------
>>> x = torch.zeros(1, 20, 5)
>>> x[0, 3, 1] = x[0, 7, 2] = 1.0  # two residues at positions 1-2, padding around them
>>> padding_mask(x)
tensor([[False,  True,  True, False, False]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = [
    "MultiWidthConv",
    "masked_lstm",
    "masked_max",
    "masked_mean",
    "masked_softmax",
    "padding_mask",
    "same_padding",
    "sequence_spans",
]


def padding_mask(x: torch.Tensor) -> torch.Tensor:
    """Which positions of ``x`` are real: ``(N, C, L)`` to ``(N, L)`` bool.

    True where any channel is non-zero, False at all-zero (padding) columns. An unknown
    residue encoded as an all-zero column is False too (see the module docstring).

    Examples
    --------
    >>> x = torch.tensor([[[0.0, 1.0, 0.0], [0.0, 0.0, -2.0]]])  # (1, 2, 3)
    >>> padding_mask(x)
    tensor([[False,  True,  True]])
    """
    return (x != 0).any(dim=1)


def masked_max(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Maximum over the real positions: ``(N, F, L)`` and ``(N, L)`` to ``(N, F)``.

    Padded positions never contribute, whatever their values. A row without any real
    position gives 0 (and zero gradients).

    Examples
    --------
    >>> f = torch.tensor([[[1.0, 5.0, -2.0]], [[3.0, 9.0, 9.0]]])
    >>> masked_max(f, torch.tensor([[True, False, True], [False, False, False]]))
    tensor([[1.],
            [0.]])
    """
    filled = features.masked_fill(~mask[:, None, :], float("-inf"))
    best = filled.amax(dim=-1)
    return torch.where(mask.any(dim=-1, keepdim=True), best, torch.zeros_like(best))


def masked_mean(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the real positions: ``(N, F, L)`` and ``(N, L)`` to ``(N, F)``.

    The sum over real positions divided by their number; padded positions never
    contribute. A row without any real position gives 0.

    Examples
    --------
    >>> f = torch.tensor([[[1.0, 5.0, -2.0]]])
    >>> masked_mean(f, torch.tensor([[True, False, True]]))
    tensor([[-0.5000]])
    """
    weights = mask[:, None, :].to(features.dtype)
    count = weights.sum(dim=-1).clamp(min=1.0)
    return (features * weights).sum(dim=-1) / count


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis restricted to the real positions.

    ``scores`` and ``mask`` have the same shape ``(..., L)``. The weights are exactly 0
    at masked positions and sum to 1 (up to rounding) over the real ones; a row
    without any real position gets all-zero weights (not NaN), with zero gradients.

    Examples
    --------
    >>> s = torch.tensor([[0.0, 50.0, 0.0], [1.0, 2.0, 3.0]])
    >>> masked_softmax(s, torch.tensor([[True, False, True], [False, False, False]]))
    tensor([[0.5000, 0.0000, 0.5000],
            [0.0000, 0.0000, 0.0000]])
    """
    # the smallest finite value, not -inf: a fully masked row then gives a uniform
    # softmax (finite, so gradients stay finite) that the final product zeroes
    low = torch.finfo(scores.dtype).min
    weights = torch.softmax(scores.masked_fill(~mask, low), dim=-1)
    return weights * mask.to(weights.dtype)


def sequence_spans(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """First real position and span length of each row of a ``(N, L)`` mask.

    The span runs from the first to the last real position (inclusive), so it includes
    masked positions between them (unknown residues). A row without any real
    position has start 0 and length 0.

    Examples
    --------
    >>> sequence_spans(torch.tensor([[False, True, False, True, False], [False] * 5]))
    (tensor([1, 0]), tensor([3, 0]))
    """
    length = mask.shape[-1]
    any_real = mask.any(dim=-1)
    as_int = mask.to(torch.int8)
    first = as_int.argmax(dim=-1)  # argmax returns the first maximal index
    last = length - 1 - as_int.flip(-1).argmax(dim=-1)
    span = torch.where(any_real, last - first + 1, torch.zeros_like(first))
    return first, span


def masked_lstm(lstm: nn.LSTM, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Run a ``batch_first`` LSTM over the span of real positions of each sequence.

    Each sequence's span (first to last real position, :func:`sequence_spans`) is moved
    to the start of the row and run as a packed sequence
    (:func:`torch.nn.utils.rnn.pack_padded_sequence`), so the forward direction starts
    at the first residue and the reverse direction at the last one, never in the
    padding, wherever the padding is; the outputs are moved back to their positions.

    Parameters
    ----------
    lstm
        An ``nn.LSTM`` (or ``nn.GRU``) built with ``batch_first=True``.
    features
        ``(N, L, F)``.
    mask
        ``(N, L)``, True at real positions.

    Returns
    -------
    torch.Tensor
        ``(N, L, D * hidden)``: the LSTM outputs inside each span (masked positions
        inside it included), zero outside it (and everywhere for a row without any
        real position).
    """
    n, length, width = features.shape
    first, span = sequence_spans(mask)
    positions = torch.arange(length, device=features.device)
    gather = (positions[None, :] + first[:, None]).clamp(max=length - 1)
    aligned = features.gather(1, gather[:, :, None].expand(n, length, width))
    packed = pack_padded_sequence(
        aligned, span.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
    )
    out, _ = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=length)
    back = positions[None, :] - first[:, None]
    inside = (back >= 0) & (back < span[:, None])
    back = back.clamp(min=0, max=length - 1)
    restored = out.gather(1, back[:, :, None].expand(n, length, out.shape[-1]))
    return restored * inside[:, :, None].to(restored.dtype)


def same_padding(width: int) -> tuple[int, int]:
    """Zero columns ``(left, right)`` that keep the length of a width-``width`` convolution.

    ``width - 1`` columns in all, the extra one on the right for even widths, so output
    position ``i`` sees input positions ``i - left`` to ``i + right``.

    Examples
    --------
    >>> same_padding(3), same_padding(8)
    ((1, 1), (3, 4))
    """
    left = (width - 1) // 2
    return left, width - 1 - left


class MultiWidthConv(nn.Module):
    """Convolutions of several widths side by side, length-preserving and masked.

    ``(N, C, L)`` and a mask ``(N, L)`` to ``(N, len(widths) * filters, L)``: for each
    width, ``filters`` filters with 'same' zero padding (:func:`same_padding`), then the
    activation; the outputs are concatenated on the channel axis and set to zero at
    masked positions. Because the input is zero at padded positions too (the input
    encoding's padding, or a previous masked layer's output), each real position's
    output is the same whatever padding surrounds the sequence.

    Parameters
    ----------
    in_channels
        ``C``.
    filters
        Filters per width.
    widths
        Filter widths.
    activation
        ``"relu"`` or ``"none"`` (linear, as DeepGOPlus).

    Attributes
    ----------
    out_channels
        ``len(widths) * filters``.
    """

    def __init__(
        self,
        in_channels: int,
        filters: int,
        widths: Sequence[int],
        *,
        activation: Literal["relu", "none"] = "relu",
    ) -> None:
        super().__init__()
        if not widths or min(widths) < 1 or filters < 1:
            msg = f"need at least one width >= 1 and filters >= 1, not {widths}, {filters}"
            raise ValueError(msg)
        self.widths = tuple(widths)
        self.convs = nn.ModuleList(nn.Conv1d(in_channels, filters, w) for w in self.widths)
        self.act: nn.Module = nn.ReLU() if activation == "relu" else nn.Identity()
        self.out_channels = filters * len(self.widths)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        outs = [
            conv(F.pad(x, same_padding(w))) for w, conv in zip(self.widths, self.convs, strict=True)
        ]
        h = self.act(torch.cat(outs, dim=1))
        return h * mask[:, None, :].to(h.dtype)

    def extra_repr(self) -> str:
        return f"widths={list(self.widths)}"
