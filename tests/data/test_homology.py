"""Homology clustering, homology-aware splits and folds, and train-test identity."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from biodl.data.homology import (
    align,
    align_pair,
    cluster,
    cluster_sequences,
    homology_folds,
    homology_split,
    max_cross_identity,
    nearest_identities,
    pairwise_identity,
)
from biodl.errors import InputError

AMINO = np.array(list("ACDEFGHIKLMNPQRSTVWY"))

needs_bio = pytest.mark.skipif(
    importlib.util.find_spec("Bio") is None, reason="Biopython is not installed"
)
needs_mmseqs = pytest.mark.skipif(shutil.which("mmseqs") is None, reason="mmseqs not on PATH")


def random_protein(rng: np.random.Generator, length: int) -> str:
    return "M" + "".join(rng.choice(AMINO, length - 1))


def other_residue(rng: np.random.Generator, residue: str) -> str:
    return str(rng.choice([x for x in AMINO if x != residue]))


def mutate(rng: np.random.Generator, seq: str, fraction: float) -> str:
    """Substitute ``fraction`` of the positions (never the start) by another residue."""
    out = list(seq)
    for i in rng.choice(np.arange(1, len(seq)), round(fraction * len(seq)), replace=False):
        out[i] = other_residue(rng, seq[i])
    return "".join(out)


def planted_set(
    seed: int, n_families: int = 6, members: int = 4, n_unrelated: int = 12, length: int = 120
) -> tuple[list[str], np.ndarray]:
    """Families (a root and its copies mutated at 10-40 % of positions) and unrelated
    proteins, shuffled; returns the sequences and the true family (-1: unrelated)."""
    rng = np.random.default_rng(seed)
    seqs: list[str] = []
    family: list[int] = []
    for f in range(n_families):
        root = random_protein(rng, length + int(rng.integers(-10, 10)))
        seqs.append(root)
        family.append(f)
        for _ in range(members - 1):
            seqs.append(mutate(rng, root, float(rng.uniform(0.1, 0.4))))
            family.append(f)
    for _ in range(n_unrelated):
        seqs.append(random_protein(rng, length + int(rng.integers(-10, 10))))
        family.append(-1)
    order = rng.permutation(len(seqs))
    return [seqs[i] for i in order], np.array(family)[order]


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def assert_clusters_respected(clusters: np.ndarray, groups: np.ndarray) -> None:
    """Each cluster lies in one group (split side or fold)."""
    for c in np.unique(clusters):
        assert len(np.unique(groups[clusters == c])) == 1


# ---------------------------------------------------------------------------------------
# identity


@needs_bio
def test_pairwise_identity_hand_computed() -> None:
    a = "MKTAYIAKQR"
    assert pairwise_identity(a, a) == 1.0
    assert pairwise_identity(a, "MKTEYIAKQR") == 0.9  # one substitution in 10
    assert pairwise_identity("MKTEYIAKQR", a + "GGGGG") == 0.9  # shorter length counts
    assert pairwise_identity(a, "GG" + a + "GG") == 1.0  # contained
    assert pairwise_identity("AAAA", "WWWW") == 0.0  # no positive local alignment
    # unknown residues (X, and J U O read as X) never count as identical
    assert pairwise_identity("MKTAYXAKQR", "MKTAYXAKQR") == 0.9
    assert pairwise_identity("MKTAYUAKQR", "MKTAYJAKQR") == 0.9
    # one inserted residue: a gap (-12) is worth bridging two strong halves (80 each)
    half = "WCWCWCWC"
    r = align_pair(half + half, half + "G" + half)
    assert r.identity == 1.0
    assert r.n_identical == 16
    assert r.span_a == (0, 16)
    assert r.span_b == (0, 17)
    assert r.coverage == pytest.approx(16 / 17)


@needs_bio
def test_identity_is_symmetric_and_case_insensitive() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = random_protein(rng, 60)
        b = mutate(rng, a, 0.5)[:50]
        assert pairwise_identity(a, b) == pairwise_identity(b.lower(), a)
        ra, rb = align_pair(a, b), align_pair(b, a)
        assert ra.span_a == rb.span_b
        assert ra.coverage == rb.coverage


@needs_bio
def test_coverage_counts_length_ratio_and_span() -> None:
    rng = np.random.default_rng(1)
    long = random_protein(rng, 200)
    fragment = long[50:110]
    r = align_pair(long, fragment)
    assert r.identity == 1.0
    assert r.coverage == pytest.approx(60 / 200)
    assert r.span_a == (50, 110)
    # linked without a coverage requirement, not at 0.8
    assert cluster_sequences([long, fragment], coverage=0.0, method="python").tolist() == [0, 0]
    assert cluster_sequences([long, fragment], method="python").tolist() == [0, 1]


def test_bad_sequences_raise() -> None:
    with pytest.raises(InputError, match="illegal character '1'"):
        cluster_sequences(["MKV", "MK1"], method="python")
    with pytest.raises(InputError, match="sequence 1 is empty"):
        cluster_sequences(["MKV", ""], method="python")
    with pytest.raises(InputError, match="not one string"):
        cluster_sequences("MKVLA", method="python")
    with pytest.raises(InputError, match="identity"):
        cluster_sequences(["MKV"], identity=30)
    with pytest.raises(InputError, match="method"):
        cluster_sequences(["MKV"], method="blast")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# clustering


@needs_bio
@pytest.mark.parametrize("seed", [0, 1])
def test_planted_families_cluster_together(seed: int) -> None:
    seqs, family = planted_set(seed)
    clusters = cluster_sequences(seqs, method="python")
    assert clusters.dtype == np.int64
    truth = np.where(family >= 0, family, 100 + np.arange(len(family)))
    assert same_partition(clusters, truth)
    # numbered 0..K-1 in order of first appearance
    firsts = [int(np.flatnonzero(clusters == c)[0]) for c in range(clusters.max() + 1)]
    assert firsts == sorted(firsts)


@needs_bio
def test_clustering_is_deterministic_and_merges_duplicates() -> None:
    seqs, _ = planted_set(2, n_families=3, n_unrelated=4)
    seqs = [*seqs, seqs[0].lower(), seqs[3]]
    a = cluster_sequences(seqs, method="python")
    b = cluster_sequences(seqs, method="python")
    np.testing.assert_array_equal(a, b)
    assert a[-2] == a[0]
    assert a[-1] == a[3]
    assert cluster_sequences([], method="python").shape == (0,)
    assert cluster_sequences(["MKV"], method="python").tolist() == [0]


@needs_bio
def test_exhaustive_agrees_with_prefilter_on_planted_set() -> None:
    seqs, _ = planted_set(3, n_families=4, n_unrelated=6)
    fast = cluster_sequences(seqs, method="python")
    exact = cluster_sequences(seqs, method="python", exhaustive=True)
    np.testing.assert_array_equal(fast, exact)


@needs_bio
def test_single_linkage_chains_and_greedy_does_not() -> None:
    # B is A with a random half of its positions changed, C is B with the other half
    # changed: A-B and B-C are linked (50 % identity all along), A-C is not.
    rng = np.random.default_rng(4)
    a = random_protein(rng, 100)
    half = rng.permutation(np.arange(1, 100))
    first, second = half[:50], half[50:]
    b = list(a)
    for i in first:
        b[i] = other_residue(rng, a[i])
    c = list(b)
    for i in second:
        c[i] = other_residue(rng, a[i])
    b_s, c_s = "".join(b), "".join(c)
    assert pairwise_identity(a, b_s) >= 0.3
    assert pairwise_identity(b_s, c_s) >= 0.3
    assert pairwise_identity(a, c_s) < 0.3
    seqs = [a, c_s, b_s]
    assert cluster_sequences(seqs, method="python").tolist() == [0, 0, 0]
    assert cluster_sequences(seqs, method="python", exhaustive=True).tolist() == [0, 0, 0]
    # greedy (equal lengths: input order): A represents, C does not match A, B joins A
    assert cluster_sequences(seqs, method="python", linkage="greedy").tolist() == [0, 1, 0]


@needs_bio
def test_exhaustive_finds_identities_without_runs() -> None:
    # every other residue changed: 50 % identity but not one conserved dipeptide, which
    # the k-mer prefilter cannot see; exhaustive mode aligns the pair anyway
    rng = np.random.default_rng(4)
    a = random_protein(rng, 100)
    b = "".join(other_residue(rng, x) if i % 2 else x for i, x in enumerate(a))
    assert pairwise_identity(a, b) >= 0.45
    assert cluster_sequences([a, b], method="python").tolist() == [0, 1]
    assert cluster_sequences([a, b], method="python", exhaustive=True).tolist() == [0, 0]


@needs_bio
def test_greedy_keeps_planted_families() -> None:
    seqs, family = planted_set(5)
    greedy = cluster_sequences(seqs, method="python", linkage="greedy")
    truth = np.where(family >= 0, family, 100 + np.arange(len(family)))
    assert same_partition(greedy, truth)


def test_method_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(InputError, match="needs the MMseqs2 executable"):
        cluster_sequences(["MKVL", "MKVA"], method="mmseqs")
    with pytest.raises(InputError, match="exhaustive"):
        cluster_sequences(["MKVL", "MKVA"], method="mmseqs", exhaustive=True)
    monkeypatch.setattr(cluster, "PYTHON_MAX_SEQUENCES", 2)
    with pytest.raises(InputError, match="install MMseqs2"):
        cluster_sequences(["MKVL", "MKVA", "WWWW"], method="auto")


@needs_bio
def test_python_path_warns_above_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "PYTHON_MAX_SEQUENCES", 2)
    with pytest.warns(UserWarning, match="more than the Python homology path"):
        cluster_sequences(["MKVLA", "MKVAA", "WWWWW"], method="python")


def test_missing_biopython_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    align._aligner.cache_clear()
    monkeypatch.setitem(sys.modules, "Bio.Align", None)  # import fails
    monkeypatch.setattr(shutil, "which", lambda name: None)
    try:
        with pytest.raises(ModuleNotFoundError, match=r"biodl\[protein\]"):
            cluster_sequences(["MKVLA", "MKVAA"])
    finally:
        align._aligner.cache_clear()


# ---------------------------------------------------------------------------------------
# splits and folds


def toy_clusters(seed: int, n_clusters: int = 60) -> tuple[np.ndarray, list[str]]:
    """Cluster ids (sizes 1-8) and labels that follow the clusters loosely."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 9, n_clusters)
    clusters = rng.permutation(np.repeat(np.arange(n_clusters), sizes))
    cls = rng.choice(np.array(["a", "b", "c"]), n_clusters, p=[0.5, 0.3, 0.2])
    labels = [str(cls[c]) if rng.random() < 0.9 else "a" for c in clusters]
    return clusters, labels


def test_homology_split_keeps_clusters_whole_and_stratifies() -> None:
    clusters, labels = toy_clusters(0)
    seqs = ["MKV"] * len(clusters)
    kept, held = homology_split(seqs, labels, fraction=0.2, seed=1, clusters=clusters)
    assert kept.dtype == held.dtype == np.int64
    np.testing.assert_array_equal(np.sort(np.concatenate([kept, held])), np.arange(len(seqs)))
    side = np.zeros(len(seqs), dtype=np.int64)
    side[held] = 1
    assert_clusters_respected(clusters, side)
    assert abs(len(held) / len(seqs) - 0.2) < 0.05
    lab = np.array(labels)
    for c in "abc":
        n = (lab == c).sum()
        assert abs((lab[held] == c).sum() - 0.2 * n) <= max(4, 0.1 * n)


def test_homology_split_is_seeded() -> None:
    clusters, labels = toy_clusters(1)
    seqs = ["MKV"] * len(clusters)
    one = homology_split(seqs, labels, fraction=0.25, seed=3, clusters=clusters)
    two = homology_split(seqs, labels, fraction=0.25, seed=3, clusters=clusters)
    other = homology_split(seqs, labels, fraction=0.25, seed=4, clusters=clusters)
    np.testing.assert_array_equal(one[1], two[1])
    assert not np.array_equal(one[1], other[1])


def test_homology_split_leaves_a_giant_cluster_in_training() -> None:
    clusters = np.array([0] * 60 + list(range(1, 41)))
    kept, held = homology_split(["MKV"] * 100, None, fraction=0.2, seed=0, clusters=clusters)
    assert set(range(60)) <= set(kept.tolist())
    assert len(held) == 20


def test_homology_split_errors() -> None:
    with pytest.raises(InputError, match="fraction"):
        homology_split(["MKV"] * 3, None, fraction=1.0, seed=0, clusters=[0, 1, 2])
    with pytest.raises(InputError, match="cannot hold out"):
        homology_split(["MKV"] * 3, None, fraction=0.2, seed=0, clusters=[0, 0, 0])
    with pytest.raises(InputError, match="labels"):
        homology_split(["MKV"] * 3, ["a"], fraction=0.2, seed=0, clusters=[0, 1, 2])
    with pytest.raises(InputError, match="cluster ids"):
        homology_split(["MKV"] * 3, None, fraction=0.2, seed=0, clusters=[0, 1])


def test_homology_folds_balanced_whole_clusters_and_seeded() -> None:
    clusters, labels = toy_clusters(2, n_clusters=80)
    seqs = ["MKV"] * len(clusters)
    folds = homology_folds(seqs, labels, 5, seed=0, clusters=clusters)
    assert folds.dtype == np.int64
    assert set(folds.tolist()) == set(range(5))
    assert_clusters_respected(clusters, folds)
    sizes = np.bincount(folds)
    assert sizes.max() - sizes.min() <= 8  # at most one largest cluster apart
    lab = np.array(labels)
    for c in "abc":
        per_fold = np.bincount(folds[lab == c], minlength=5)
        assert per_fold.max() - per_fold.min() <= 10
    np.testing.assert_array_equal(folds, homology_folds(seqs, labels, 5, seed=0, clusters=clusters))
    assert not np.array_equal(folds, homology_folds(seqs, labels, 5, seed=1, clusters=clusters))


def test_homology_folds_errors() -> None:
    with pytest.raises(InputError, match="at least 2 folds"):
        homology_folds(["MKV"] * 4, None, 1, seed=0, clusters=[0, 1, 2, 3])
    with pytest.raises(InputError, match="too few"):
        homology_folds(["MKV"] * 4, None, 3, seed=0, clusters=[0, 0, 1, 1])


@needs_bio
def test_split_and_folds_cluster_the_sequences_themselves() -> None:
    seqs, family = planted_set(6, n_families=8, members=4, n_unrelated=8)
    labels = ["x" if f % 2 else "y" for f in family]
    _, held = homology_split(seqs, labels, fraction=0.25, seed=0, method="python")
    side = np.zeros(len(seqs), dtype=np.int64)
    side[held] = 1
    fam = np.where(family >= 0, family, 100 + np.arange(len(family)))
    assert_clusters_respected(fam, side)
    folds = homology_folds(seqs, labels, 4, seed=0, method="python")
    assert_clusters_respected(fam, folds)


# ---------------------------------------------------------------------------------------
# train-test identity


@needs_bio
def test_max_cross_identity_low_after_homology_split_high_after_random_split() -> None:
    seqs, _ = planted_set(7, n_families=10, members=4, n_unrelated=10)
    kept, held = homology_split(seqs, None, fraction=0.25, seed=0, method="python")
    train = [seqs[i] for i in kept]
    test = [seqs[i] for i in held]
    assert max_cross_identity(train, test, method="python") < 0.3
    assert max_cross_identity(train, test, method="python", exhaustive=True) < 0.3
    order = np.random.default_rng(0).permutation(len(seqs))
    cut = len(seqs) // 4
    rand_test = [seqs[i] for i in order[:cut]]
    rand_train = [seqs[i] for i in order[cut:]]
    assert max_cross_identity(rand_train, rand_test, method="python") > 0.55


@needs_bio
def test_nearest_identities_names_the_partner() -> None:
    rng = np.random.default_rng(8)
    train = [random_protein(rng, 100) for _ in range(5)]
    near = mutate(rng, train[3], 0.2)
    alone = random_protein(rng, 100)
    best, which = nearest_identities([alone, near, train[1]], [*train, train[1]], method="python")
    assert which.tolist() == [-1, 3, 1]  # the first of two identical targets
    assert best[0] == 0.0
    assert best[1] == pytest.approx(pairwise_identity(near, train[3]))
    assert best[2] == 1.0
    assert max_cross_identity([], ["MKV"], method="python") == 0.0


# ---------------------------------------------------------------------------------------
# MMseqs2 (only where it is installed)


@needs_mmseqs
@needs_bio
def test_mmseqs_agrees_with_python_on_planted_families(tmp_path: Path) -> None:
    seqs, family = planted_set(9, n_families=5, members=4, n_unrelated=8, length=150)
    py = cluster_sequences(seqs, method="python")
    mm = cluster_sequences(seqs, method="mmseqs", threads=1, tmp_dir=str(tmp_path))
    truth = np.where(family >= 0, family, 100 + np.arange(len(family)))
    assert same_partition(mm, truth)
    np.testing.assert_array_equal(py, mm)
    assert list(tmp_path.iterdir()) == []  # the temporary folder is removed


@pytest.mark.slow
@needs_mmseqs
def test_mmseqs_greedy_keeps_planted_families() -> None:
    seqs, family = planted_set(9, n_families=5, members=4, n_unrelated=8, length=150)
    greedy = cluster_sequences(seqs, method="mmseqs", linkage="greedy", threads=1)
    truth = np.where(family >= 0, family, 100 + np.arange(len(family)))
    assert same_partition(greedy, truth)


@needs_mmseqs
@needs_bio
def test_mmseqs_cross_identity_matches_python() -> None:
    seqs, _ = planted_set(10, n_families=4, members=3, n_unrelated=4, length=150)
    train, test = seqs[::2], seqs[1::2]
    b_py, w_py = nearest_identities(test, train, method="python")
    b_mm, w_mm = nearest_identities(test, train, method="mmseqs", threads=1)
    found = b_py >= 0.3
    np.testing.assert_array_equal(w_py[found], w_mm[found])
    np.testing.assert_allclose(b_py[found], b_mm[found], atol=0.03)
    assert np.all(b_mm[~found] < 0.3)
