"""Scoring a ranked edge list against a gold standard, the DREAM way.

The protocol of the DREAM4 in-silico challenge (Marbach et al., J Comput Biol 16:229,
2009; Stolovitzky, Prill & Califano, Ann NY Acad Sci 1158:159, 2009):

- the prediction is a ranked list of directed edges, most confident first; self edges
  are ignored;
- a gold-standard pair missing from the prediction counts as ranked randomly at the end
  of the list (here: below every predicted pair, in a seeded random order);
- predicted pairs that the gold standard does not list are dropped;
- ties are broken in list order (:meth:`~biodl.networks.grn.EdgeScores.ranked`).

Because every position is distinct, precision at ``k`` is exactly correct/``k`` and the
areas are computed on the rank positions with :mod:`biodl.metrics`.

Examples
--------
>>> import numpy as np
>>> from biodl.io.grn import GoldStandard
>>> from biodl.networks.grn import EdgeScores
>>> gold = GoldStandard(("A", "A", "B"), ("B", "C", "C"), np.array([True, False, True]), "g")
>>> edges = EdgeScores(("A", "B"), ("A", "B", "C"),
...                    np.array([[np.nan, 0.9, 0.1], [0.0, np.nan, 0.5]]), "x")
>>> score_edges(edges, gold).aupr
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from biodl.io.grn import GoldStandard
from biodl.metrics import auroc, average_precision, precision_recall_curve, roc_curve
from biodl.networks.grn import EdgeScores

__all__ = ["GrnScore", "score_edges"]


@dataclass(frozen=True)
class GrnScore:
    """How well a ranked edge list recovers a gold standard.

    Attributes
    ----------
    aupr
        Area under the precision-recall curve as average precision, the step
        interpolation ``sum_k (R_k - R_{k-1}) P_k`` of
        :func:`biodl.metrics.average_precision` (scikit-learn's
        ``average_precision_score``), over the whole list.
    aupr_trapezoid
        The same curve's trapezoidal area (slightly lower; DREAM's own scripts may
        interpolate differently again).
    auroc
        Area under the ROC curve.
    n_true, n_pairs
        True edges and pairs in the gold standard (self pairs excluded).
    n_predicted
        Gold-standard pairs the prediction ranked (the rest were appended at random).
    precision, recall
        The precision-recall curve (:func:`biodl.metrics.precision_recall_curve`).
    fpr, tpr
        The ROC curve (:func:`biodl.metrics.roc_curve`).
    random_aupr
        ``n_true / n_pairs``: the expected AUPR of a random ranking.
    """

    aupr: float
    aupr_trapezoid: float
    auroc: float
    n_true: int
    n_pairs: int
    n_predicted: int
    precision: np.ndarray
    recall: np.ndarray
    fpr: np.ndarray
    tpr: np.ndarray
    random_aupr: float

    def to_dict(self) -> dict[str, Any]:
        """The numbers (no curves), JSON-ready.

        Examples
        --------
        >>> import numpy as np
        >>> s = GrnScore(0.5, 0.4, 0.7, 2, 10, 10, *(np.zeros(1),) * 4, 0.2)
        >>> s.to_dict()["aupr"], sorted(s.to_dict())[:3]
        (0.5, ['aupr', 'aupr_trapezoid', 'auroc'])
        """
        return {
            "aupr": float(self.aupr),
            "aupr_trapezoid": float(self.aupr_trapezoid),
            "auroc": float(self.auroc),
            "n_true": int(self.n_true),
            "n_pairs": int(self.n_pairs),
            "n_predicted": int(self.n_predicted),
            "random_aupr": float(self.random_aupr),
        }


def score_edges(edges: EdgeScores, gold: GoldStandard, *, seed: int = 0) -> GrnScore:
    """Score ``edges`` against ``gold`` by the DREAM protocol (see the module docstring).

    Parameters
    ----------
    edges
        The prediction; its :meth:`~biodl.networks.grn.EdgeScores.ranked` order is the
        list scored.
    gold
        The gold standard (every listed pair is scored).
    seed
        Seeds the random order of the gold pairs the prediction leaves out.

    Returns
    -------
    GrnScore
        NaN areas when the gold standard has no true edge (or no false one, for AUROC).

    Examples
    --------
    >>> import numpy as np
    >>> from biodl.io.grn import GoldStandard
    >>> from biodl.networks.grn import EdgeScores
    >>> gold = GoldStandard(("A", "B"), ("B", "A"), np.array([False, True]), "g")
    >>> edges = EdgeScores(("A", "B"), ("A", "B"), np.array([[0, 0.9], [0.2, 0]]), "x")
    >>> s = score_edges(edges, gold)
    >>> s.aupr, s.auroc, s.n_predicted
    (0.5, 0.0, 2)
    """
    pair_at = {
        (r, t): i
        for i, (r, t) in enumerate(zip(gold.regulators, gold.targets, strict=True))
        if r != t
    }
    keep = np.array([r != t for r, t in zip(gold.regulators, gold.targets, strict=True)])
    truth = np.asarray(gold.truth, dtype=bool)
    order: list[int] = []
    placed = np.zeros(len(truth), dtype=bool)
    for r, t, _ in edges.ranked():
        i = pair_at.get((r, t))
        if i is not None and not placed[i]:
            placed[i] = True
            order.append(i)
    n_predicted = len(order)
    rest = np.flatnonzero(keep & ~placed)
    rest = rest[np.random.default_rng(seed).permutation(rest.size)]
    ranked = np.r_[np.asarray(order, dtype=np.intp), rest.astype(np.intp)]
    y = truth[ranked]
    position_score = -np.arange(y.size, dtype=np.float64)  # distinct: ties are in order
    n_true = int(y.sum())
    n_pairs = int(y.size)
    if n_true == 0 or n_pairs == 0:
        nan = float("nan")
        empty = np.zeros(0)
        return GrnScore(
            nan,
            nan,
            nan,
            n_true,
            n_pairs,
            n_predicted,
            empty,
            empty,
            empty,
            empty,
            nan if n_pairs == 0 else 0.0,
        )
    precision, recall, _ = precision_recall_curve(y, position_score)
    fpr, tpr, _ = roc_curve(y, position_score)
    # recall decreases along the curve: the trapezoid area is the negative integral
    trapezoid = float(-np.sum(np.diff(recall) * (precision[1:] + precision[:-1]) / 2.0))
    return GrnScore(
        aupr=average_precision(y, position_score),
        aupr_trapezoid=trapezoid,
        auroc=auroc(y, position_score) if n_true < n_pairs else float("nan"),
        n_true=n_true,
        n_pairs=n_pairs,
        n_predicted=n_predicted,
        precision=precision,
        recall=recall,
        fpr=fpr,
        tpr=tpr,
        random_aupr=n_true / n_pairs,
    )
