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

GENES = ("G0", "G1", "G2", "G3", "G4", "G5")
TRUE = {("G0", "G1"), ("G0", "G2"), ("G3", "G4")}
FAST_TREES = TreeOptions(n_trees=30)
# every input seen by every model (the default input_fraction 0.3 needs many models)
FAST_NEURAL = NeuralOptions(n_models=2, epochs=150, hidden=8, input_fraction=1.0)


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
def chain() -> Expression:
    """G0 drives G1 (linearly) and G2 (nonlinearly); G3 drives G4; G5 is noise."""
    rng = np.random.default_rng(0)
    n = 120
    g0, g3, g5 = rng.normal(size=(3, n))
    g1 = 1.5 * g0 + 0.2 * rng.normal(size=n)
    g2 = np.tanh(2 * g0) + 0.1 * rng.normal(size=n)
    g4 = -g3 + 0.2 * rng.normal(size=n)
    return _steady(np.c_[g0, g1, g2, g3, g4, g5])


COMPONENT = {"G0": 0, "G1": 0, "G2": 0, "G3": 1, "G4": 1, "G5": 2}


def _margin(edges: EdgeScores) -> float:
    """Smallest true-edge score over the largest score of an unrelated regulator (one
    of another connected component) of the same driven targets G1, G2, G4."""
    true_scores, false_scores = [], []
    for r, t, s in edges.ranked():
        if (r, t) in TRUE:
            true_scores.append(s)
        elif t in ("G1", "G2", "G4") and COMPONENT[r] != COMPONENT[t]:
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


def test_trees_rank_true_edges_first(chain: Expression) -> None:
    edges = infer_trees(chain, options=FAST_TREES, seed=1)
    _check_shape(edges)
    assert edges.method == "trees"
    assert _margin(edges) > 3
    # per-target normalisation: importances sum to 1 per target
    np.testing.assert_allclose(np.nansum(edges.scores, axis=0), 1.0)
    again = infer_trees(chain, options=FAST_TREES, seed=1)
    np.testing.assert_array_equal(edges.scores, again.scores)


def test_neural_ranks_true_edges_first_and_repeats(chain: Expression) -> None:
    edges = infer_neural(chain, options=FAST_NEURAL, seed=2)
    _check_shape(edges)
    assert edges.method == "neural"
    assert _margin(edges) > 3
    again = infer_neural(chain, options=FAST_NEURAL, seed=2)
    np.testing.assert_array_equal(edges.scores, again.scores)
    other = infer_neural(chain, options=FAST_NEURAL, seed=3)
    assert not np.array_equal(np.nan_to_num(edges.scores), np.nan_to_num(other.scores))


@pytest.mark.parametrize(
    "options",
    [
        NeuralOptions(n_models=2, epochs=150, hidden=8, attribution="weights", input_fraction=1),
        NeuralOptions(n_models=4, epochs=150, hidden=8, input_fraction=0.6, target_batch=4),
        NeuralOptions(
            n_models=2, epochs=150, hidden=8, activation="tanh", bootstrap=False, input_fraction=1
        ),
        # the default feature bagging (input_fraction 0.3) over the default 20 models
        NeuralOptions(epochs=150, hidden=8),
    ],
)
def test_neural_variants(chain: Expression, options: NeuralOptions) -> None:
    edges = infer_neural(chain, options=options, seed=0)
    _check_shape(edges)
    assert _margin(edges) > 1  # every true edge above every unrelated one


def test_regulators_restriction(chain: Expression) -> None:
    regs = ("G3", "G0")
    for edges in (
        infer_trees(chain, regulators=regs, options=FAST_TREES),
        infer_neural(chain, regulators=regs, options=FAST_NEURAL),
    ):
        _check_shape(edges, regs)
        assert {r for r, _, _ in edges.ranked()} == set(regs)
        assert len(edges.ranked()) == 2 * 6 - 2
    with pytest.raises(InputError, match="regulator 'X' is not a gene"):
        infer_trees(chain, regulators=["X"])


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


def test_infer_components(chain: Expression) -> None:
    out = infer(chain, trees=FAST_TREES, neural=FAST_NEURAL)
    assert set(out) == {"trees", "neural", "ensemble"}
    assert _margin(out["ensemble"]) > 1
    expected = combine_ranks(
        [out["trees"], out["neural"]],
        weights=[ENSEMBLE_WEIGHTS["trees"], ENSEMBLE_WEIGHTS["neural"]],
    )
    np.testing.assert_allclose(out["ensemble"].scores, expected.scores)
    equal = infer(chain, trees=FAST_TREES, neural=FAST_NEURAL, ensemble_weights={"neural": 1.0})
    plain = combine_ranks([equal["trees"], equal["neural"]])
    np.testing.assert_allclose(equal["ensemble"].scores, plain.scores)
    only = infer(chain, method="trees", trees=FAST_TREES, all_components=False)
    assert set(only) == {"trees"}
    with pytest.raises(InputError, match="unknown GRN method"):
        infer(chain, method="magic")


def test_too_few_samples() -> None:
    with pytest.raises(InputError, match="1 samples"):
        infer_trees(_steady(np.ones((1, 6))))
