"""Training-time augmentation of one-hot batches: reverse complement and random shifts.

Both act on a batch ``(N, C, L)`` in place of the model's input and are drawn from
torch's global generator, which :func:`lightning.seed_everything` seeds, so a seed fixes
them. Neither changes the labels: a sequence and its reverse complement, and a motif a
few positions to either side, carry the same biology.
"""

from __future__ import annotations

import torch

from biodl.models import reverse_complement_tensor

__all__ = ["augment_batch", "random_reverse_complement", "random_shift"]


def random_reverse_complement(x: torch.Tensor, *, p: float = 0.5) -> torch.Tensor:
    """Replace each sequence of a DNA/RNA batch ``(N, 4, L)`` (or dinucleotide one-hot
    ``(N, 16, L)``) by its reverse complement with probability ``p``.

    Examples
    --------
    >>> x = torch.eye(4).unsqueeze(0)  # A C G T
    >>> random_reverse_complement(x, p=1.0)[0].argmax(0).tolist()  # A C G T again
    [0, 1, 2, 3]
    """
    flip = torch.rand(x.shape[0], device=x.device) < p
    if not bool(flip.any()):
        return x
    out = x.clone()
    out[flip] = reverse_complement_tensor(x[flip])
    return out


def random_shift(x: torch.Tensor, max_shift: int) -> torch.Tensor:
    """Shift each sequence by a random offset in ``[-max_shift, max_shift]``.

    Positions moved in from outside are all-zero (unknown base, N); the length is kept.

    Examples
    --------
    >>> x = torch.ones(3, 4, 10)
    >>> y = random_shift(x, 2)
    >>> y.shape, bool((y.sum(dim=(1, 2)) >= 32).all())
    (torch.Size([3, 4, 10]), True)
    """
    if max_shift <= 0:
        return x
    n, _, length = x.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (n,), device=x.device)
    positions = torch.arange(length, device=x.device).unsqueeze(0) - shifts.unsqueeze(1)
    valid = (positions >= 0) & (positions < length)
    index = positions.clamp(0, length - 1).unsqueeze(1).expand(-1, x.shape[1], -1)
    return torch.gather(x, 2, index) * valid.unsqueeze(1).to(x.dtype)


def augment_batch(x: torch.Tensor, *, reverse_complement: bool, max_shift: int) -> torch.Tensor:
    """Apply the configured augmentations to a float batch ``(N, C, L)``."""
    if reverse_complement:
        x = random_reverse_complement(x)
    if max_shift > 0:
        x = random_shift(x, max_shift)
    return x
