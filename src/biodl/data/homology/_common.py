"""Shared pieces of the homology package: input checks, distinct sequences, cluster
labels and a union-find."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io.alphabet import validate_sequence

__all__: list[str] = []

_IntArray = npt.NDArray[np.int64]
_FloatArray = npt.NDArray[np.float64]


def _check_fraction(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        msg = f"{name} must lie in [0, 1], not {value}"
        raise InputError(msg)
    return float(value)


def _clean(sequences: Sequence[str], what: str = "sequence") -> list[str]:
    """Upper-cased proteins, checked against the protein alphabet; none may be empty."""
    if isinstance(sequences, str):
        msg = f"expected a list of {what}s, not one string"
        raise InputError(msg)
    out: list[str] = []
    for i, seq in enumerate(sequences):
        if not seq:
            msg = f"{what} {i} is empty"
            raise InputError(msg)
        out.append(validate_sequence(seq, "protein", record=f"{what} {i}"))
    return out


def _unique(sequences: list[str]) -> tuple[list[str], _IntArray]:
    """Distinct sequences in order of first appearance, and the index of each input."""
    first: dict[str, int] = {}
    inverse = np.empty(len(sequences), dtype=np.int64)
    for i, seq in enumerate(sequences):
        inverse[i] = first.setdefault(seq, len(first))
    return list(first), inverse


def _first_appearance(labels: npt.ArrayLike) -> _IntArray:
    """Relabel cluster labels ``0..K-1`` in order of first appearance.

    Examples
    --------
    >>> _first_appearance([7, 3, 7, 5]).tolist()
    [0, 1, 0, 2]
    """
    arr = np.asarray(labels)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(arr, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.reshape(-1)]


class _UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving and union by size."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return True

    def labels(self) -> _IntArray:
        return _first_appearance([self.find(i) for i in range(len(self.parent))])
