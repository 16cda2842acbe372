"""Made-up inputs for the model checks of ``biodl assess``, with known answers.

* :func:`motif_view` — a :class:`~biodl.assess.types.SplitView` of sequences with a
  planted motif (label 1) or without (label 0);
* :func:`known_probability_logits` — logits whose true probability is known, optionally
  scaled to make a model over-confident by a known temperature;
* :func:`motif_inputs` — train/valid/test :class:`~biodl.assess.types.AssessInputs`
  with logits given by a function of the truth (perfect, random, ...);
* :class:`MotifScanner` — a tiny convolutional model (conv, global max, ``hidden``
  linear units, output linear) for checks that need an ``nn.Module``;
* :func:`overparameterised_model` — a dense model with far more parameters than a small
  data set has examples.

Examples
--------
>>> view = motif_view(10, length=30, seed=0)
>>> len(view), view.y.shape, len(view.sequences[0])
(20, (20, 1), 30)
>>> z, y = known_probability_logits(1000, scale=10.0, seed=0)
>>> z.shape, sorted(set(y[:, 0].tolist()))
((1000, 1), [0.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from torch import nn

from biodl.assess.types import AssessInputs, SplitView
from biodl.testing.synthetic import planted_motif_dataset

__all__ = [
    "MotifScanner",
    "known_probability_logits",
    "motif_inputs",
    "motif_view",
    "overparameterised_model",
    "perfect_logits",
    "random_logits",
]

LogitFn = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def motif_view(
    n_per_class: int,
    *,
    length: int = 60,
    seed: int = 0,
    prefix: str = "s",
    groups: Mapping[str, np.ndarray] | None = None,
) -> SplitView:
    """``2 * n_per_class`` sequences: half with a planted motif (y = 1), half
    background (y = 0); ``y`` of shape ``(N, 1)``, no logits."""
    seqs, labels = planted_motif_dataset(n_per_class, n_per_class, length=length, seed=seed)
    ids = tuple(f"{prefix}{i}" for i in range(len(seqs)))
    y = np.asarray(labels, dtype=np.float64).reshape(-1, 1)
    return SplitView(ids=ids, sequences=tuple(seqs), y=y, groups=dict(groups or {}))


def perfect_logits(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``+5`` for positives and ``-5`` for negatives: AUROC 1."""
    del rng
    return np.where(y > 0.5, 5.0, -5.0)


def random_logits(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Standard normal logits unrelated to ``y``: AUROC about 0.5."""
    return rng.normal(size=y.shape)


def motif_inputs(
    n_per_class: int = 100,
    *,
    length: int = 60,
    seed: int = 0,
    logits: LogitFn | None = perfect_logits,
    model: nn.Module | None = None,
    meta: Mapping[str, object] | None = None,
    new_data: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
) -> AssessInputs:
    """Binary DNA :class:`AssessInputs` with train, valid and test motif splits.

    ``logits(y, rng)`` gives each split's logits from its targets (None: no logits,
    the checks predict with ``model``). ``meta`` defaults to a one-hot DNA model of
    ``length`` positions.
    """
    rng = np.random.default_rng(seed)
    splits = {}
    for i, name in enumerate(("train", "valid", "test")):
        view = motif_view(n_per_class, length=length, seed=seed + 10 * i, prefix=name[:2])
        if logits is not None:
            view = SplitView(view.ids, view.sequences, view.y, view.groups, logits(view.y, rng))
        splits[name] = view
    base_meta: dict[str, object] = {
        "alphabet": "dna",
        "input_length": length,
        "n_channels": 4,
        "unknown": "zero",
    }
    base_meta.update(meta or {})
    return AssessInputs(
        task="binary",
        alphabet="dna",
        outputs=("1",),
        splits=splits,
        model=model,
        meta=base_meta,
        new_data=new_data,
        seed=seed,
    )


def known_probability_logits(
    n: int, *, scale: float = 1.0, spread: float = 2.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(scale * z, y)`` with ``z ~ N(0, spread)`` and ``y ~ Bernoulli(sigmoid(z))``.

    ``z`` is perfectly calibrated; ``scale * z`` is the output of a model over-confident
    by the temperature ``scale``. Both of shape ``(n, 1)``.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, spread, size=(n, 1))
    y = (rng.random((n, 1)) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return scale * z, y


class MotifScanner(nn.Module):
    """Conv1d (``filters`` x ``width``), ReLU, global max, Linear(``hidden``), ReLU,
    Linear(``n_outputs``): a small DeepBind-like model with a penultimate layer."""

    def __init__(
        self,
        *,
        channels: int = 4,
        filters: int = 8,
        width: int = 8,
        hidden: int = 8,
        n_outputs: int = 1,
        seed: int = 0,
    ) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.conv = nn.Conv1d(channels, filters, width)
        self.hidden = nn.Linear(filters, hidden)
        self.out = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv(x)).amax(dim=-1)
        return self.out(torch.relu(self.hidden(h)))


def overparameterised_model(length: int = 60, *, width: int = 512) -> nn.Module:
    """Flatten, Linear(4 * length, width), ReLU, Linear(width, 1): ``(4L + 2) * width + 1``
    parameters (123,905 for the defaults), far more than a toy data set's examples."""
    return nn.Sequential(nn.Flatten(), nn.Linear(4 * length, width), nn.ReLU(), nn.Linear(width, 1))
