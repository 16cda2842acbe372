"""GRN inference methods (biodl.networks.grn) on small synthetic networks."""

from __future__ import annotations

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io.grn import Expression
from biodl.networks.grn import (
    ENSEMBLE_WEIGHTS,
    EdgeScores,
    NeuralOptions,
    TreeOptions,
    combine_ranks,
    infer,
    infer_knockout,
    infer_neural,
    infer_trees,
)
from biodl.testing.networks import grn_pairs

# Sixteen independent regulator -> target pairs R<i> -> T<i> (32 genes, 150 samples):
# linear, saturating and repressive links, noise 0.1 (biodl.testing.networks.grn_pairs).
PLANTED = grn_pairs(n_pairs=16, n_samples=150, seed=0)
GENES = PLANTED.genes
TRUE = set(PLANTED.edges)
TARGETS = {t for _, t in PLANTED.edges}
COMPONENT = {g: i for i, pair in enumerate(PLANTED.edges) for g in pair}
FAST_TREES = TreeOptions(n_trees=30)
# every input seen by every model (the default input_fraction 0.3 needs many models);
# a group lasso 10x the default (0.002) so that 150 epochs shrink the unused inputs'
# weights: a true edge then keeps about 0.9 of its target's score, not about 0.3
FAST_NEURAL = NeuralOptions(n_models=2, epochs=150, hidden=8, input_fraction=1.0, penalty=0.02)


def _steady(values: np.ndarray, genes: tuple[str, ...] = GENES) -> Expression:
    n = values.shape[0]
    return Expression(
        genes=genes,
        values=values,
        kinds=("steady",) * n,
        perturbed=(None,) * n,
        series=np.full(n, -1),
        times=np.full(n, np.nan),
        sources=("synthetic",) * n,
    )


@pytest.fixture(scope="module")
def planted() -> Expression:
    """The :data:`PLANTED` pairs as steady-state expression."""
    return _steady(PLANTED.values)


def _margin(edges: EdgeScores) -> float:
    """Smallest true-edge score over the largest score of an unrelated edge into a
    planted target: ``min_{R<i> -> T<i>} s / max_{g -> T<i>, g not in {R<i>, T<i>}} s``.

    Why this is large by construction for per-target normalised scores (GENIE3-style,
    each target's scores summing to 1): every gene of :data:`PLANTED` is a regulator or
    the target of exactly one strong regulator, so each target's only informative
    candidate is its regulator and the other 30 are independent of it. A true edge
    thus takes most of its target's score (about 0.9), each unrelated one a small share
    of the rest; no pure-noise target, whose score would be spread evenly over
    unrelated regulators, is compared. Pairs of one component (the reverse edge
    T<i> -> R<i>) are neither true nor unrelated. A margin above 1 means every true edge
    ranks above every unrelated one.
    """
    true_scores, false_scores = [], []
    for r, t, s in edges.ranked():
        if (r, t) in TRUE:
            true_scores.append(s)
        elif t in TARGETS and COMPONENT[r] != COMPONENT[t]:
            false_scores.append(s)
    assert len(true_scores) == len(TRUE)
    return min(true_scores) / max(false_scores)


def _check_shape(edges: EdgeScores, regulators: tuple[str, ...] = GENES) -> None:
    assert edges.regulators == regulators
    assert edges.targets == GENES
    assert edges.scores.shape == (len(regulators), len(GENES))
    for r, t, _ in edges.ranked():
        assert r != t
    for i, r in enumerate(regulators):
        assert np.isnan(edges.scores[i, GENES.index(r)])


def test_trees_rank_true_edges_first(planted: Expression) -> None:
    edges = infer_trees(planted, options=FAST_TREES, seed=1)
    _check_shape(edges)
    assert edges.method == "trees"
    assert _margin(edges) > 3
    # per-target normalisation: importances sum to 1 per target
    np.testing.assert_allclose(np.nansum(edges.scores, axis=0), 1.0)
    again = infer_trees(planted, options=FAST_TREES, seed=1)
    np.testing.assert_array_equal(edges.scores, again.scores)


def test_neural_ranks_true_edges_first_and_repeats(planted: Expression) -> None:
    edges = infer_neural(planted, options=FAST_NEURAL, seed=2)
    _check_shape(edges)
    assert edges.method == "neural"
    assert _margin(edges) > 3
    again = infer_neural(planted, options=FAST_NEURAL, seed=2)
    np.testing.assert_array_equal(edges.scores, again.scores)
    other = infer_neural(planted, options=FAST_NEURAL, seed=3)
    assert not np.array_equal(np.nan_to_num(edges.scores), np.nan_to_num(other.scores))


@pytest.mark.parametrize(
    "options",
    [
        # the group norm of the first-layer weights: the group lasso must have shrunk the
        # unused inputs' weights from their initial size, hence the stronger penalty
        NeuralOptions(
            n_models=2, epochs=150, hidden=8, attribution="weights", input_fraction=1, penalty=0.02
        ),
        # feature bagging and target batches (two of 16 targets); 8 models so that each
        # pair is seen by some model (an unseen pair scores 0; 0.4**8 < 0.1 %)
        NeuralOptions(
            n_models=8, epochs=150, hidden=8, input_fraction=0.6, target_batch=16, penalty=0.02
        ),
        # tanh units on all samples, the default group lasso
        NeuralOptions(
            n_models=2, epochs=150, hidden=8, activation="tanh", bootstrap=False, input_fraction=1
        ),
        # the default feature bagging (input_fraction 0.3) over the default 20 models: a
        # model that misses a target's regulator (probability 0.7) spreads that target's
        # score over the unrelated inputs it sees, about 9 of 30, so each unrelated edge
        # keeps about 0.7 / 9 of its target's score against about 0.9 for a true one
        NeuralOptions(epochs=100, hidden=8, penalty=0.02),
    ],
    ids=["weights", "bagging-batches", "tanh", "default-bagging"],
)
def test_neural_variants(planted: Expression, options: NeuralOptions) -> None:
    edges = infer_neural(planted, options=options, seed=0)
    _check_shape(edges)
    # every true edge above every unrelated one, by a factor of 2 (measured over data and
    # model seeds: 3.2 to 5 for the default bagging, 5.7 or more for the others)
    assert _margin(edges) > 2


def test_regulators_restriction(planted: Expression) -> None:
    regs = ("R2", "R1")
    for edges in (
        infer_trees(planted, regulators=regs, options=FAST_TREES),
        infer_neural(planted, regulators=regs, options=FAST_NEURAL),
    ):
        _check_shape(edges, regs)
        assert {r for r, _, _ in edges.ranked()} == set(regs)
        assert len(edges.ranked()) == 2 * len(GENES) - 2
    with pytest.raises(InputError, match="regulator 'X' is not a gene"):
        infer_trees(planted, regulators=["X"])


def test_knockout_zscores() -> None:
    rng = np.random.default_rng(0)
    wt = np.full(4, 1.0)
    ko = wt + 0.01 * rng.normal(size=(4, 4))
    ko[0, 0] = 0.0
    ko[0, 2] = 3.0  # knocking out g0 moves g2
    ko[3, 3] = 0.0
    ko[3, 1] = 0.2  # knocking out g3 moves g1
    genes = ("a", "b", "c", "d")
    expr = Expression(
        genes=genes,
        values=np.r_[ko, wt[None, :]],
        kinds=("knockout",) * 4 + ("wildtype",),
        perturbed=(*genes, None),
        series=np.full(5, -1),
        times=np.full(5, np.nan),
        sources=("ko",) * 4 + ("wt",),
    )
    edges = infer_knockout(expr)
    assert edges is not None
    assert edges.method == "knockout"
    assert {(r, t) for r, t, _ in edges.top(2)} == {("a", "c"), ("d", "b")}
    assert np.isnan(np.diag(edges.scores)).all()
    assert infer_knockout(expr.subset(["wildtype"])) is None
    only = infer_knockout(expr, regulators=["d"])
    assert only is not None
    assert only.top(1)[0][:2] == ("d", "b")


def test_ranked_ties_and_top() -> None:
    e = EdgeScores(("A", "B"), ("A", "B"), np.array([[5.0, 1.0], [1.0, 7.0]]), "x")
    assert e.ranked() == [("A", "B", 1.0), ("B", "A", 1.0)]  # diagonal dropped, ties in order
    assert e.top(1) == [("A", "B", 1.0)]
    assert e.n_scored == 2


def test_combine_ranks_exact() -> None:
    genes = ("A", "B", "C")
    a = EdgeScores(genes, genes, np.array([[0, 6, 5], [4, 0, 3], [2, 1, 0.0]]), "a")
    b = EdgeScores(genes, genes, np.array([[0, 1, 2], [3, 0, 4], [5, 6, 0.0]]), "b")
    c = combine_ranks([a, b])
    # 6 pairs each: a ranks A>B first (u = 1), b ranks it last (u = 1/6)
    assert c.scores[0, 1] == pytest.approx((1 + 1 / 6) / 2)
    assert c.scores[2, 1] == pytest.approx((1 / 6 + 1) / 2)
    assert c.method == "ensemble"
    assert np.isnan(np.diag(c.scores)).all()
    # ties take their mean rank; an unscored pair counts 0
    t = EdgeScores(("A",), genes, np.array([[np.nan, 1.0, 1.0]]), "t")
    u = combine_ranks([t, a], method="mix")
    assert u.regulators == genes
    assert u.method == "mix"
    assert u.scores[0, 1] == pytest.approx((0.75 + 1.0) / 2)
    assert u.scores[1, 0] == pytest.approx((0 + 4 / 6) / 2)
    w = combine_ranks([a, b], weights=[1, 0])
    assert w.scores[0, 1] == pytest.approx(1.0)


def test_combine_rules() -> None:
    genes = ("A", "B", "C")
    a = EdgeScores(genes, genes, np.array([[0, 6, 5], [4, 0, 3], [2, 1, 0.0]]), "a")
    t = EdgeScores(("A",), genes, np.array([[np.nan, 1.0, 3.0]]), "t")
    # per-target normalised scores: column B of a is (6, -, 1) / 7, of t (1) / 1
    s = combine_ranks([a, t], rule="score")
    assert s.scores[0, 1] == pytest.approx((6 / 7 + 1.0) / 2)
    assert s.scores[2, 1] == pytest.approx((1 / 7 + 0.0) / 2)
    # rank product: geometric mean; a pair t does not score gets 1 / (2 m), m = 2
    r = combine_ranks([a, t], rule="rank_product", weights=[1, 3])
    assert r.scores[0, 1] == pytest.approx((1.0 * 0.5**3) ** 0.25)
    assert r.scores[1, 0] == pytest.approx((4 / 6 * 0.25**3) ** 0.25)
    assert np.isnan(np.diag(r.scores)).all()
    with pytest.raises(ValueError, match="rule"):
        combine_ranks([a], rule="magic")  # type: ignore[arg-type]
    neg = EdgeScores(genes, genes, -a.scores, "neg")
    with pytest.raises(ValueError, match="non-negative"):
        combine_ranks([neg], rule="score")


def test_infer_components(planted: Expression) -> None:
    out = infer(planted, trees=FAST_TREES, neural=FAST_NEURAL)
    assert set(out) == {"trees", "neural", "ensemble"}
    # The ensemble is a weighted mean of each component's rank value 1 - (r - 1) / m, so
    # its own ratio is near 1 whatever the evidence (the best unrelated edge ranks just
    # below the 32 true and reverse edges); its margin lives in the components. Each
    # component ranks every true edge above every unrelated one by a wide score margin,
    # and a positive-weighted mean of rank values keeps an order that all parts share,
    # so the ensemble order below follows from these two margins.
    assert _margin(out["trees"]) > 3
    assert _margin(out["neural"]) > 3
    assert _margin(out["ensemble"]) > 1  # every true edge above every unrelated one
    expected = combine_ranks(
        [out["trees"], out["neural"]],
        weights=[ENSEMBLE_WEIGHTS["trees"], ENSEMBLE_WEIGHTS["neural"]],
    )
    np.testing.assert_allclose(out["ensemble"].scores, expected.scores)
    # the weights and the components chosen (no margins asserted: fewer trees will do)
    few = TreeOptions(n_trees=5)
    equal = infer(planted, trees=few, neural=FAST_NEURAL, ensemble_weights={"neural": 1.0})
    plain = combine_ranks([equal["trees"], equal["neural"]])
    np.testing.assert_allclose(equal["ensemble"].scores, plain.scores)
    only = infer(planted, method="trees", trees=few, all_components=False)
    assert set(only) == {"trees"}
    with pytest.raises(InputError, match="unknown GRN method"):
        infer(planted, method="magic")


def test_too_few_samples() -> None:
    with pytest.raises(InputError, match="1 samples"):
        infer_trees(_steady(np.ones((1, len(GENES)))))
