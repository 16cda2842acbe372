"""Training-time augmentation of one-hot batches: reverse complement and random shifts.

Both act on a batch ``(N, C, L)`` in place of the model's input and are drawn from
torch's global generator, which :func:`lightning.seed_everything` seeds, so a seed fixes
them. Neither changes the labels: a sequence and its reverse complement, and a motif a
few positions to either side, carry the same biology. Per-position targets ``(N, T, B)``
(coverage tracks, one value per bin of ``L // B`` positions) are not invariant: they
are reversed with their sequence and moved with it, by whole bins
(:func:`augment_with_targets`).
"""

from __future__ import annotations

import torch

from biodl.models import reverse_complement_tensor

__all__ = ["augment_batch", "augment_with_targets", "random_reverse_complement", "random_shift"]


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


def _shift_along(t: torch.Tensor, shifts: torch.Tensor, fill: float) -> torch.Tensor:
    """Move each row of ``t`` ``(N, C, L)`` right by ``shifts[i]`` positions, ``fill``
    moving in."""
    length = t.shape[-1]
    positions = torch.arange(length, device=t.device).unsqueeze(0) - shifts.unsqueeze(1)
    valid = (positions >= 0) & (positions < length)
    index = positions.clamp(0, length - 1).unsqueeze(1).expand(-1, t.shape[1], -1)
    moved = torch.gather(t, 2, index)
    return torch.where(valid.unsqueeze(1), moved, torch.full_like(moved, fill))


def augment_with_targets(
    x: torch.Tensor, y: torch.Tensor, *, reverse_complement: bool, max_shift: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment a batch and its per-position targets together.

    ``x`` ``(N, C, L)``; ``y`` ``(N, T, B)`` with ``L`` a multiple of ``B`` (one target
    per bin of ``f = L // B`` positions). A reverse-complemented sequence gets its
    targets in reverse bin order; a shift is a whole number of bins (``k * f`` positions
    with ``|k f| <= max_shift``), its targets move by ``k`` bins and the bins moved in
    are NaN (unknown: left out of the loss). Targets of any other shape are returned as
    they are, and ``x`` is augmented as :func:`augment_batch` does.

    Examples
    --------
    >>> x = torch.eye(4).unsqueeze(0)  # A C G T: its reverse complement is A C G T
    >>> y = torch.tensor([[[1.0, 2.0]]])
    >>> torch.manual_seed(0) and None
    >>> xs, ys = [], []
    >>> for _ in range(20):
    ...     _, out = augment_with_targets(x, y, reverse_complement=True, max_shift=0)
    ...     ys.append(out[0, 0].tolist())
    >>> sorted({tuple(v) for v in ys})
    [(1.0, 2.0), (2.0, 1.0)]
    """
    if y.dim() != 3 or x.dim() != 3 or x.shape[-1] % y.shape[-1]:
        return augment_batch(x, reverse_complement=reverse_complement, max_shift=max_shift), y
    factor = x.shape[-1] // y.shape[-1]
    if reverse_complement:
        flip = torch.rand(x.shape[0], device=x.device) < 0.5
        if bool(flip.any()):
            x, y = x.clone(), y.clone()
            x[flip] = reverse_complement_tensor(x[flip])
            y[flip] = torch.flip(y[flip], dims=(-1,))
    bins = max_shift // factor
    if bins > 0:
        k = torch.randint(-bins, bins + 1, (x.shape[0],), device=x.device)
        x = _shift_along(x, k * factor, 0.0)
        y = _shift_along(y, k, float("nan"))
    return x, y
