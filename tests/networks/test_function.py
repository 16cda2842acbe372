"""Function prediction on held-out genes (biodl.networks.function)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.networks.function import concatenate, gene_folds, pca_reduce, predict_function

N = 60
GENES = [f"g{i:02d}" for i in range(N)]


def _data(seed: int = 0) -> tuple[np.ndarray, dict[str, list[str]]]:
    rng = np.random.default_rng(seed)
    group = np.arange(N) % 3
    x = rng.normal(size=(N, 5))
    x[np.arange(N), group] += 2.5  # label k shifts feature k
    labels = {g: [f"L{group[i]}"] + (["extra"] if i % 5 == 0 else []) for i, g in enumerate(GENES)}
    return x, labels


def test_folds_disjoint_covering_deterministic() -> None:
    folds = gene_folds(GENES + GENES[:3], n_folds=5, seed=3)
    flat = [g for f in folds for g in f]
    assert sorted(flat) == GENES
    assert len(flat) == len(set(flat))
    assert {len(f) for f in folds} == {12}
    assert folds == gene_folds(list(reversed(GENES)), n_folds=5, seed=3)
    assert folds != gene_folds(GENES, n_folds=5, seed=4)
    with pytest.raises(InputError):
        gene_folds(GENES[:3], n_folds=5)
    with pytest.raises(InputError):
        gene_folds(GENES, n_folds=1)


def test_scores_and_metrics() -> None:
    x, labels = _data()
    folds = gene_folds(GENES, n_folds=5, seed=0)
    s = predict_function(x, GENES, labels, folds=folds, name="toy")
    assert s.name == "toy"
    assert s.labels == ["L0", "L1", "L2", "extra"]
    assert s.per_label["L0"] > 0.8
    assert s.macro_aupr > 0.6
    assert 0 < s.micro_aupr <= 1
    assert 0 < s.accuracy <= 1
    assert 0 < s.macro_f1 <= 1
    assert 0 < s.micro_f1 <= 1
    assert s.scores.shape == (N, 4)
    assert np.isfinite(s.scores).all()
    assert len(s.chosen_c) == 5
    d = s.to_dict()
    json.dumps(d)
    assert d["n_genes"] == N
    assert d["folds"] == folds
    svm = predict_function(x, GENES, labels, folds=folds, classifier="svm", c_grid=(1.0,))
    assert svm.per_label["L1"] > 0.8


def test_held_out_labels_are_never_used() -> None:
    """Shuffling the held-out fold's labels leaves that fold's predictions unchanged."""
    x, labels = _data()
    folds = gene_folds(GENES, n_folds=5, seed=0)
    base = predict_function(x, GENES, labels, folds=folds)
    rng = np.random.default_rng(7)
    held = folds[0]
    shuffled = dict(labels)
    for g, new in zip(held, rng.permutation(len(held)), strict=True):
        shuffled[g] = labels[held[new]]
    assert any(shuffled[g] != labels[g] for g in held)
    other = predict_function(x, GENES, shuffled, folds=folds)
    rows = [base.genes.index(g) for g in held]
    np.testing.assert_array_equal(base.scores[rows], other.scores[rows])
    assert base.chosen_c[0] == other.chosen_c[0]
    # ... while the other folds, which train on them, do see the change
    rest = [base.genes.index(g) for g in folds[1]]
    assert not np.array_equal(base.scores[rest], other.scores[rest])


def test_held_out_features_do_not_change_the_fit() -> None:
    """Standardisation and PCA are fitted on training genes: changing one held-out gene's
    features changes only its own scores."""
    x, labels = _data()
    folds = gene_folds(GENES, n_folds=5, seed=0)
    base = predict_function(x, GENES, labels, folds=folds, pca=3)
    y = x.copy()
    gene = folds[0][0]
    y[GENES.index(gene)] += 100.0
    other = predict_function(y, GENES, labels, folds=folds, pca=3)
    rows = [base.genes.index(g) for g in folds[0][1:]]
    np.testing.assert_allclose(base.scores[rows], other.scores[rows])


def test_rare_labels_skipped_and_unlabelled_genes_ignored() -> None:
    x, labels = _data()
    labels = dict(labels)
    labels[GENES[1]] = [*labels[GENES[1]], "rare"]
    extra_genes = [*GENES, "unlabelled"]
    extra_x = np.vstack([x, np.zeros((1, 5))])
    folds = gene_folds(GENES, n_folds=5, seed=0)
    s = predict_function(extra_x, extra_genes, labels, folds=folds, min_positives=3)
    assert "rare" in s.skipped
    assert "rare" not in s.per_label
    assert "unlabelled" not in s.genes


def test_bad_input() -> None:
    x, labels = _data()
    folds = gene_folds(GENES, n_folds=5, seed=0)
    with pytest.raises(InputError, match="folds 0 and 1"):
        predict_function(x, GENES, labels, folds=[folds[0], folds[0]])
    with pytest.raises(InputError, match="no features"):
        predict_function(x, GENES, labels, folds=[*folds[:-1], [*folds[-1], "nope"]])
    with pytest.raises(InputError, match="no labels"):
        predict_function(x, GENES, {}, folds=folds)
    with pytest.raises(InputError, match="shape"):
        predict_function(x[:5], GENES, labels, folds=folds)
    with pytest.raises(InputError, match="NaN"):
        predict_function(np.full_like(x, np.nan), GENES, labels, folds=folds)
    with pytest.raises(InputError, match="min_positives"):
        predict_function(x, GENES, labels, folds=folds, min_positives=1000)


def test_helpers() -> None:
    a = np.ones((4, 2), dtype=np.float32)
    assert concatenate([a, 2 * a]).shape == (4, 4)
    with pytest.raises(InputError):
        concatenate([a, np.ones((3, 2))])
    r = pca_reduce(np.random.default_rng(0).random((30, 20)), n_components=5)
    assert r.shape == (30, 5)
    assert r.dtype == np.float32
    assert pca_reduce(a, n_components=5).shape == (4, 2)
