"""Negatives made from positives: shuffles, or DeePromoter's segment substitution."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from biodl.config import NegativesConfig
from biodl.data.shuffle import shuffle_all
from biodl.errors import InputError

__all__ = ["make_negative_sequences", "substitute_segments"]

_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def substitute_segments(
    sequences: Sequence[str],
    *,
    n_segments: int = 20,
    n_replaced: int = 12,
    n_per_sequence: int = 1,
    seed: int = 0,
) -> list[str]:
    """DeePromoter's negatives: cut each sequence into segments, randomise some of them.

    Oubounyt et al. (2019) DeePromoter, *Front Genet* 10:286, doi:10.3389/fgene.2019.00286,
    build hard negatives from promoters themselves: each sequence is divided into
    ``n_segments`` near-equal parts (:func:`numpy.array_split` boundaries), ``n_replaced``
    of them, chosen at random, are replaced by uniformly random bases, and the others are
    kept, so a negative shares much of its positive's local sequence (and any motif that
    happens to fall in a kept segment).

    Returns
    -------
    list of str
        ``N * n_per_sequence`` sequences, the copies of ``sequences[0]`` first.

    Examples
    --------
    >>> out = substitute_segments(["A" * 40], n_segments=4, n_replaced=2, seed=0)
    >>> len(out[0]), sum(out[0][i * 10:(i + 1) * 10] == "A" * 10 for i in range(4)) >= 2
    (40, True)
    """
    if not 0 <= n_replaced <= n_segments or n_segments < 1:
        msg = f"need 0 <= replaced <= segments and segments >= 1, got {n_replaced}, {n_segments}"
        raise InputError(msg)
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for seq in sequences:
        raw = np.frombuffer(seq.encode("ascii"), dtype=np.uint8)
        bounds = np.array_split(np.arange(len(raw)), n_segments)
        for _ in range(n_per_sequence):
            new = raw.copy()
            for part in rng.choice(n_segments, size=n_replaced, replace=False):
                idx = bounds[part]
                new[idx] = _BASES[rng.integers(0, 4, size=len(idx))]
            out.append(new.tobytes().decode("ascii"))
    return out


def make_negative_sequences(
    positives: Sequence[str], spec: NegativesConfig, *, seed: int
) -> list[str]:
    """Negatives for ``positives`` as ``spec`` says (``per_positive`` of each, in order)."""
    if spec.shuffle == "segments":
        return substitute_segments(
            positives,
            n_segments=spec.segments,
            n_replaced=spec.replaced,
            n_per_sequence=spec.per_positive,
            seed=seed,
        )
    return shuffle_all(positives, method=spec.shuffle, n_per_sequence=spec.per_positive, seed=seed)
