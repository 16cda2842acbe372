"""Synthetic inputs for the data checks of ``biodl.assess`` (leakage, representation, noise).

Examples
--------
>>> seqs = random_sequences(3, 10, seed=0)
>>> [len(s) for s in seqs], set("".join(seqs)) <= set("ACGT")
([10, 10, 10], True)
>>> mutate("AAAAAAAAAA", 0.3, seed=1).count("A")
7
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from biodl.assess.types import AssessInputs, SplitView
from biodl.io.alphabet import ALPHABETS

__all__ = ["inputs_from_splits", "mutate", "random_sequences", "split_view"]


def random_sequences(
    n: int,
    length: int,
    *,
    seed: int,
    alphabet: str = "dna",
    gc: float = 0.5,
) -> list[str]:
    """``n`` random sequences of ``length`` letters (i.i.d.; DNA/RNA with GC fraction ``gc``).

    Examples
    --------
    >>> random_sequences(2, 5, seed=3, alphabet="protein")[0].isalpha()
    True
    """
    letters = ALPHABETS[alphabet]
    rng = np.random.default_rng(seed)
    if alphabet == "protein":
        p = np.full(len(letters), 1.0 / len(letters))
    else:
        p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    table = np.frombuffer(letters.encode("ascii"), dtype=np.uint8)
    codes = rng.choice(len(letters), size=(n, length), p=p)
    return [row.tobytes().decode("ascii") for row in table[codes]]


def mutate(sequence: str, rate: float, *, seed: int, alphabet: str = "dna") -> str:
    """``sequence`` with exactly ``round(rate * len)`` positions substituted by another letter.

    Examples
    --------
    >>> s = mutate("ACGTACGTAC", 0.2, seed=0)
    >>> sum(a != b for a, b in zip(s, "ACGTACGTAC"))
    2
    """
    letters = ALPHABETS[alphabet]
    rng = np.random.default_rng(seed)
    chars = list(sequence)
    n = round(rate * len(chars))
    for pos in rng.choice(len(chars), size=n, replace=False).tolist():
        others = [c for c in letters if c != chars[pos]]
        chars[pos] = others[int(rng.integers(len(others)))]
    return "".join(chars)


def split_view(
    sequences: Sequence[str],
    y: npt.ArrayLike,
    *,
    prefix: str,
    groups: Mapping[str, Sequence[str]] | None = None,
    logits: npt.ArrayLike | None = None,
    intervals: Sequence[tuple[str, int, int]] | None = None,
) -> SplitView:
    """A :class:`SplitView` with ids ``prefix0, prefix1, ...`` and ``y`` as ``(N, T)`` float.

    Examples
    --------
    >>> v = split_view(["AC", "GT"], [1, 0], prefix="t")
    >>> v.ids, v.y.shape
    (('t0', 't1'), (2, 1))
    """
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    return SplitView(
        ids=tuple(f"{prefix}{i}" for i in range(len(sequences))),
        sequences=tuple(s.upper() for s in sequences),
        y=arr,
        groups={k: np.asarray(v, dtype=str) for k, v in (groups or {}).items()},
        logits=None if logits is None else np.asarray(logits, dtype=np.float64),
        intervals=None if intervals is None else tuple(intervals),
    )


def inputs_from_splits(
    splits: Mapping[str, SplitView],
    *,
    task: str = "binary",
    alphabet: str = "dna",
    outputs: Sequence[str] = ("label",),
    seed: int = 0,
) -> AssessInputs:
    """Data-only :class:`AssessInputs` (no model) over ``splits``.

    Examples
    --------
    >>> inp = inputs_from_splits({"train": split_view(["ACGT"], [1], prefix="r")})
    >>> inp.task, len(inp.splits["train"])
    ('binary', 1)
    """
    return AssessInputs(
        task=task, alphabet=alphabet, outputs=tuple(outputs), splits=dict(splits), seed=seed
    )
