"""DREAM scoring of ranked edge lists (biodl.networks.dream)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from biodl.io.grn import GoldStandard, combine_expression, read_expression, read_gold_standard
from biodl.metrics import average_precision
from biodl.networks.dream import score_edges
from biodl.networks.grn import EdgeScores, infer_knockout

GENES = ("A", "B", "C")


def _gold(truth: dict[tuple[str, str], bool]) -> GoldStandard:
    pairs = list(truth)
    return GoldStandard(
        tuple(r for r, _ in pairs),
        tuple(t for _, t in pairs),
        np.array([truth[p] for p in pairs], dtype=bool),
        "gold.tsv",
    )


def _edges(order: list[tuple[str, str]]) -> EdgeScores:
    """Edges scored so that ``order`` is the ranking (first = best)."""
    scores = np.full((3, 3), np.nan)
    for k, (r, t) in enumerate(order):
        scores[GENES.index(r), GENES.index(t)] = len(order) - k
    return EdgeScores(GENES, GENES, scores, "test")


ALL = [(r, t) for r in GENES for t in GENES if r != t]  # 6 ordered pairs


def test_perfect_and_reversed_ranking() -> None:
    true = {("A", "B"), ("B", "C")}
    gold = _gold({p: p in true for p in ALL})
    perfect = [p for p in ALL if p in true] + [p for p in ALL if p not in true]
    s = score_edges(_edges(perfect), gold)
    assert s.aupr == 1.0
    assert s.auroc == 1.0
    assert s.aupr_trapezoid == pytest.approx(1.0)
    assert (s.n_true, s.n_pairs, s.n_predicted) == (2, 6, 6)
    assert s.random_aupr == pytest.approx(2 / 6)
    r = score_edges(_edges(perfect[::-1]), gold)
    # true edges at positions 5 and 6: AP = (1/5 + 2/6) / 2
    assert r.aupr == pytest.approx((1 / 5 + 2 / 6) / 2)
    assert r.auroc == 0.0


def test_hand_computed_five_pairs() -> None:
    pairs = [("A", "B"), ("A", "C"), ("B", "A"), ("B", "C"), ("C", "A")]
    truth = {("A", "C"): True, ("C", "A"): True}
    gold = _gold({p: truth.get(p, False) for p in pairs})
    ranking = [("A", "C"), ("A", "B"), ("B", "A"), ("C", "A"), ("B", "C")]
    s = score_edges(_edges(ranking), gold)
    # hits at ranks 1 and 4: AP = (1/1 + 2/4) / 2 = 0.75
    assert s.aupr == pytest.approx(0.75)
    # 2 positives x 3 negatives: positive 1 beats 3 negatives, positive 4 beats 1
    assert s.auroc == pytest.approx(4 / 6)
    # trapezoid over (recall, precision): points (0,1) (.5,1) (.5,.5) (.5,1/3) (1,.5) (1,.4)
    assert s.aupr_trapezoid == pytest.approx(0.5 * 1 + 0.5 * (1 / 3 + 0.5) / 2)


def test_ties_broken_in_list_order() -> None:
    gold = _gold({("A", "B"): False, ("B", "A"): True})
    scores = np.array([[np.nan, 1.0, np.nan], [1.0, np.nan, np.nan], [np.nan] * 3])
    s = score_edges(EdgeScores(GENES, GENES, scores, "tie"), gold)
    assert s.aupr == pytest.approx(0.5)  # (A, B) comes first: regulator index order


def test_missing_gold_pairs_ranked_randomly_at_the_end() -> None:
    true = {("C", "A")}
    gold = _gold({p: p in true for p in ALL})
    only_a = np.full((1, 3), np.nan)
    only_a[0, 1:] = [2.0, 1.0]  # regulators = (A,): C -> A is never predicted
    edges = EdgeScores(("A",), GENES, only_a, "partial")
    scores = [score_edges(edges, gold, seed=s) for s in range(20)]
    assert all(s.n_predicted == 2 and s.n_pairs == 6 for s in scores)
    # the true pair lands at position 3..6 depending on the seed, never in the top 2
    assert {round(s.aupr, 6) for s in scores} <= {round(1 / k, 6) for k in (3, 4, 5, 6)}
    assert len({s.aupr for s in scores}) > 1
    assert score_edges(edges, gold, seed=3).aupr == score_edges(edges, gold, seed=3).aupr


def test_extra_predictions_and_self_pairs_ignored() -> None:
    gold = _gold({("A", "B"): True, ("B", "A"): False})
    scores = np.array([[9.0, 1.0, 8.0], [0.5, 9.0, 7.0], [6.0, 5.0, 9.0]])
    s = score_edges(EdgeScores(GENES, GENES, scores, "x"), gold)
    assert s.aupr == 1.0
    assert s.n_pairs == 2
    assert s.n_predicted == 2


def test_matches_metrics_and_serialises() -> None:
    rng = np.random.default_rng(1)
    genes = tuple(f"G{i}" for i in range(8))
    regs, tgts = zip(*[(r, t) for r in genes for t in genes if r != t], strict=True)
    truth = rng.random(len(regs)) < 0.2
    gold = GoldStandard(regs, tgts, truth, "g")
    scores = rng.random((8, 8))
    s = score_edges(EdgeScores(genes, genes, scores, "x"), gold)
    flat = np.array(
        [scores[genes.index(r), genes.index(t)] for r, t in zip(regs, tgts, strict=False)]
    )
    assert s.aupr == pytest.approx(average_precision(truth, flat))  # no ties: same value
    assert 0 <= s.aupr_trapezoid <= 1
    assert s.precision.shape == s.recall.shape
    assert s.fpr[0] == 0
    assert s.tpr[-1] == 1
    d = json.loads(json.dumps(s.to_dict()))
    assert set(d) == {
        "aupr",
        "aupr_trapezoid",
        "auroc",
        "n_true",
        "n_pairs",
        "n_predicted",
        "random_aupr",
    }


DREAM4 = Path(__file__).resolve().parents[3] / "shared" / "data" / "grn_dream4"


@pytest.mark.slow
@pytest.mark.skipif(not DREAM4.is_dir(), reason=f"real data not found at {DREAM4}")
def test_dream4_network1_files_and_knockout_baseline() -> None:
    folder = DREAM4 / "size100" / "insilico_size100_1"
    parts = [
        read_expression(folder / f"insilico_size100_1_{name}")
        for name in ("knockouts.tsv", "knockdowns.tsv", "timeseries.tsv.gz", "wildtype.tsv")
    ]
    expr = combine_expression(parts)
    assert expr.values.shape == (100 + 100 + 210 + 1, 100)
    assert int(expr.series.max()) == 9
    assert expr.perturbed[:2] == ("G1", "G2")
    gold = read_gold_standard(
        DREAM4 / "gold" / "DREAM4_GoldStandard_InSilico_Size100_1.tsv", genes=expr.genes
    )
    assert (gold.n_pairs, gold.n_true) == (9900, 176)
    knock = infer_knockout(expr)
    assert knock is not None
    score = score_edges(knock, gold)
    assert score.n_predicted == 9900
    assert score.aupr > 5 * score.random_aupr  # the knockout z-score is a strong baseline
    multi = read_expression(DREAM4 / "multifactorial" / "insilico_size100_1_multifactorial.tsv")
    assert multi.values.shape == (100, 100)
    assert multi.kinds == ("steady",) * 100
