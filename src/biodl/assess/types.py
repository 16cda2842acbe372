"""The shared types of ``biodl.assess``: what every check reads and what it returns.

Every fitness-for-use check is a function ``check(inputs: AssessInputs, *, ...) -> Item``.
:class:`AssessInputs` holds the model's data split by split (sequences, labels, groups,
model outputs) and the trained model; :class:`Item` is one section of
``assessment.json``: a flag with its stated rule, one plain sentence, and the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from torch import nn

from biodl.tasks import Task, make_task, task_from_meta

__all__ = ["FLAGS", "AssessInputs", "Flag", "Item", "SplitView", "worst_flag"]

Flag = Literal["green", "amber", "red", "not_assessed"]
FLAGS: tuple[Flag, ...] = ("green", "amber", "red", "not_assessed")
_SEVERITY: Mapping[str, int] = {"not_assessed": 0, "green": 1, "amber": 2, "red": 3}


def worst_flag(flags: list[Flag]) -> Flag:
    """The most severe of ``flags`` (red > amber > green > not_assessed).

    Examples
    --------
    >>> worst_flag(["green", "amber", "not_assessed"])
    'amber'
    >>> worst_flag([])
    'not_assessed'
    """
    if not flags:
        return "not_assessed"
    return max(flags, key=lambda f: _SEVERITY[f])


@dataclass(frozen=True)
class Item:
    """One section of an assessment.

    Attributes
    ----------
    key
        Top-level key in ``assessment.json`` (``"leakage"``, ``"calibration"``, ...).
    flag
        ``green`` / ``amber`` / ``red``, or ``not_assessed`` when the check could not
        run (``summary`` then says why).
    rule
        The stated rule that turns the values into the flag, in one sentence.
    summary
        One plain sentence for the user.
    values
        Everything measured, JSON-serialisable (numbers, strings, lists, dicts).
        Sub-checks with their own flag (``leakage.exact``, ...) are nested dicts
        with at least ``flag``, ``count`` and ``examples``.
    """

    key: str
    flag: Flag
    rule: str
    summary: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.flag not in FLAGS:
            msg = f"flag must be one of {FLAGS}, not {self.flag!r}"
            raise ValueError(msg)

    def to_json(self) -> dict[str, Any]:
        """``{"flag", "rule", "summary", **values}``, as written to ``assessment.json``."""
        return {"flag": self.flag, "rule": self.rule, "summary": self.summary, **self.values}


@dataclass(frozen=True)
class SplitView:
    """The examples of one split (``train``, ``valid`` or ``test``) as the model saw them.

    Attributes
    ----------
    ids
        Example identifiers, length N.
    sequences
        The sequences as read (before padding/cropping to the model input), length N;
        upper-case, alphabet of :attr:`AssessInputs.alphabet`. Molecule runs: the
        canonical SMILES (case matters: ``c`` is an aromatic carbon).
    y
        Targets, shape ``(N, T)`` float; NaN where missing. Binary/multi-label 0/1,
        multi-class one column holding the class index, regression the values.
    groups
        Named per-example annotations, each an array of N strings: ``"chrom"``,
        ``"source"`` (the file), ``"species"``, or a user's ``--group`` column.
        Empty strings mean unknown.
    logits
        The model's raw outputs on these examples, shape ``(N, T)`` (``(N, K)`` for
        K classes), or None when not computed.
    intervals
        Genomic intervals ``(chrom, start, end)`` (0-based half-open) per example when
        the data came from BED files, else None.
    features
        Expression matrices: the model input ``(N, F)`` float32, preprocessed by the
        run's fitted pipeline (``sequences`` are then empty strings); else None.
    """

    ids: tuple[str, ...]
    sequences: tuple[str, ...]
    y: np.ndarray
    groups: Mapping[str, np.ndarray] = field(default_factory=dict)
    logits: np.ndarray | None = None
    intervals: tuple[tuple[str, int, int], ...] | None = None
    features: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class AssessInputs:
    """Everything a check may read. Build it with ``biodl.assess.load_inputs``.

    Attributes
    ----------
    task
        ``binary``, ``multiclass``, ``multilabel`` or ``regression``.
    alphabet
        ``dna``, ``rna`` or ``protein``; ``matrix`` (expression matrices); ``molecule``
        (packed molecular graphs) or ``fingerprint`` (Morgan fingerprints or RDKit
        descriptors), whose ``sequences`` are canonical SMILES.
    outputs
        Output (or class) names, length T (K for multi-class).
    splits
        ``{"train": ..., "valid": ..., "test": ...}``; a split may be absent.
    model
        The trained model in eval mode on the CPU, or None (data-only checks).
    meta
        The run's ``model.json`` (architecture, parameters, seed, data checksums ...).
    run_dir
        The run directory, or None.
    new_data
        The user's ``--data`` sequences for the applicability-domain check
        (``(ids, sequences)``), or None.
    seed
        Seed for every random choice a check makes.
    feature_names
        Expression matrices (``alphabet == "matrix"``): the F features the model reads.
    new_features
        Expression matrices: the ``--data`` samples preprocessed ``(M, F)``, with their
        ids in ``new_data[0]``.
    """

    task: str
    alphabet: str
    outputs: tuple[str, ...]
    splits: Mapping[str, SplitView]
    model: nn.Module | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    run_dir: Path | None = None
    new_data: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    seed: int = 0
    feature_names: tuple[str, ...] = ()
    new_features: np.ndarray | None = None

    @property
    def is_matrix(self) -> bool:
        """Whether the model reads samples of an expression matrix (not sequences)."""
        return self.alphabet == "matrix"

    @property
    def is_molecule(self) -> bool:
        """Whether the model reads molecules (``alphabet`` ``molecule`` or
        ``fingerprint``): ``SplitView.sequences`` then hold canonical SMILES.

        Examples
        --------
        >>> AssessInputs("binary", "fingerprint", ("1",), {}).is_molecule
        True
        """
        return self.alphabet in ("molecule", "fingerprint")

    @property
    def is_pileup(self) -> bool:
        """Whether the model genotypes read pileups of candidate variants (``alphabet``
        ``pileup``): examples are candidates, named by their ids (``chrom:pos:REF>ALT``),
        with no sequence.

        Examples
        --------
        >>> AssessInputs("multiclass", "pileup", ("het",), {}).is_pileup
        True
        """
        return self.alphabet == "pileup"

    @property
    def task_kind(self) -> Task:
        """The :class:`biodl.tasks.Task` that scores these outputs: the run's own (from
        ``meta``, as ``predict`` and ``score-variants`` read it) when ``meta`` describes
        one, else the task named :attr:`task` over :attr:`outputs`.

        Examples
        --------
        >>> inputs = AssessInputs("regression", "dna", ("y",), {})
        >>> inputs.task_kind.headline
        'mean_pearson'
        """
        if isinstance(self.meta.get("labels"), Mapping):
            return task_from_meta(self.meta)
        first = self.outputs[0] if self.outputs else "1"
        return make_task(self.task, classes=self.outputs, positive=first, negative="")

    def scores(self, logits: np.ndarray) -> np.ndarray:
        """Scores from raw outputs ``(N, T)`` by :attr:`task_kind`, shaped ``(N, T)``
        (probabilities; the values of a regression, the rate of a Poisson model)."""
        return self.task_kind.score_matrix(np.asarray(logits, dtype=np.float64))
