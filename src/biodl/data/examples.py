"""A labelled set of sequences that remembers where each example came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Examples", "normalise_label"]


def normalise_label(value: str) -> str:
    """Canonical text of a label: trimmed, and ``1.0`` written as ``1``.

    Examples
    --------
    >>> normalise_label(" 1.0 "), normalise_label("Bound"), normalise_label("true")
    ('1', 'Bound', '1')
    """
    text = value.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return "1" if lowered == "true" else "0"
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


@dataclass(frozen=True)
class Examples:
    """Sequences with labels, ids and provenance, all of the same length ``n``.

    Attributes
    ----------
    sequences
        Upper-case sequences, validated against the alphabet.
    labels
        Normalised label text of each example (see :func:`normalise_label`).
    ids
        Identifier of each example (unique within its source).
    origins
        ``(path, line)`` of each example; generated negatives carry the origin of the
        positive they were made from and line ``0``.
    chroms
        Chromosome of each example when known (BED sources, a ``chrom`` column, or ids
        written ``chrom:start-end``), else ``None``.
    groups
        User-given group of each example when known, else ``None``.
    folds
        User-given cross-validation fold of each example (a ``fold`` column), else ``None``.
    values
        Numeric outputs of multi-label and regression tasks, one float32 array per
        example: ``(T,)``, or ``(T, len(sequence))`` for per-position outputs; ``NaN``
        marks a missing value. ``None`` for binary and multi-class tasks, whose outputs
        are the ``labels``.
    features
        Pre-computed model input of each example, ``(C, L)`` float32, for inputs that are
        not a sequence alone (CpG neighbourhoods); ``None`` when the input is encoded
        from ``sequences``.
    feature_names
        Names of the columns of :attr:`features` when each example is a vector of named
        features (expression matrices: ``(F,)`` raw values as read, ``(F, 1)`` once
        preprocessed), else ``None``. Shared by all examples, not one per example.
    unfitted
        The sequences as read, before :func:`biodl.data.fit_length` cropped or padded
        them to the model input; ``None`` when ``sequences`` were not fitted. Homology
        and duplicate checks compare these, not the model inputs.
    """

    sequences: list[str]
    labels: list[str]
    ids: list[str]
    origins: list[tuple[str, int]]
    chroms: list[str] | None = None
    groups: list[str] | None = None
    folds: list[str] | None = None
    notes: dict[str, str] = field(default_factory=dict)
    values: list[np.ndarray] | None = None
    features: list[np.ndarray] | None = None
    unfitted: list[str] | None = None
    feature_names: list[str] | None = None

    def __post_init__(self) -> None:
        n = len(self.sequences)
        for name in (
            "labels",
            "ids",
            "origins",
            "chroms",
            "groups",
            "folds",
            "values",
            "features",
            "unfitted",
        ):
            values = getattr(self, name)
            if values is not None and len(values) != n:
                msg = f"Examples.{name} has {len(values)} entries for {n} sequences"
                raise ValueError(msg)

    def __len__(self) -> int:
        return len(self.sequences)

    def subset(self, index: Sequence[int] | np.ndarray) -> Examples:
        """The examples at ``index``, in that order."""
        idx = [int(i) for i in index]
        return Examples(
            sequences=[self.sequences[i] for i in idx],
            labels=[self.labels[i] for i in idx],
            ids=[self.ids[i] for i in idx],
            origins=[self.origins[i] for i in idx],
            chroms=None if self.chroms is None else [self.chroms[i] for i in idx],
            groups=None if self.groups is None else [self.groups[i] for i in idx],
            folds=None if self.folds is None else [self.folds[i] for i in idx],
            notes=dict(self.notes),
            values=None if self.values is None else [self.values[i] for i in idx],
            features=None if self.features is None else [self.features[i] for i in idx],
            unfitted=None if self.unfitted is None else [self.unfitted[i] for i in idx],
            feature_names=self.feature_names,
        )

    @property
    def as_read(self) -> list[str]:
        """The sequences as read: :attr:`unfitted` when set, else :attr:`sequences`."""
        return self.sequences if self.unfitted is None else self.unfitted

    @staticmethod
    def concat(parts: Sequence[Examples]) -> Examples:
        """Join several sets; ``chroms``/``groups`` survive only if every part has them."""
        if not parts:
            return Examples([], [], [], [])
        chroms: list[str] | None = []
        groups: list[str] | None = []
        folds: list[str] | None = []
        values: list[np.ndarray] | None = []
        features: list[np.ndarray] | None = []
        unfitted: list[str] | None = []
        for p in parts:
            chroms = None if chroms is None or p.chroms is None else chroms + p.chroms
            groups = None if groups is None or p.groups is None else groups + p.groups
            folds = None if folds is None or p.folds is None else folds + p.folds
            values = None if values is None or p.values is None else values + p.values
            features = None if features is None or p.features is None else features + p.features
            unfitted = None if unfitted is None or p.unfitted is None else unfitted + p.unfitted
        return Examples(
            sequences=[s for p in parts for s in p.sequences],
            labels=[s for p in parts for s in p.labels],
            ids=[s for p in parts for s in p.ids],
            origins=[s for p in parts for s in p.origins],
            chroms=chroms,
            groups=groups,
            folds=folds,
            values=values,
            features=features,
            unfitted=unfitted,
            feature_names=(
                parts[0].feature_names
                if all(p.feature_names == parts[0].feature_names for p in parts)
                else None
            ),
        )
