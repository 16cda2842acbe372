"""MinHash sketches and LSH banding (biodl.data.homology.minhash)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.data.homology.minhash import (
    EMPTY,
    estimate_jaccard,
    exact_jaccard,
    kmer_set,
    lsh_parameters,
    near_pairs,
    reverse_complement,
    sketch,
)
from biodl.errors import InputError
from biodl.testing.assess_data import mutate, random_sequences


def test_identical_and_reverse_complement_sequences_have_equal_signatures() -> None:
    (a,) = random_sequences(1, 300, seed=0)
    s = sketch([a, a.lower(), reverse_complement(a)], k=8)
    assert (s.signatures[0] == s.signatures[1]).all()
    assert (s.signatures[0] == s.signatures[2]).all()
    stranded = sketch([a, reverse_complement(a)], k=8, canonical=False)
    assert estimate_jaccard(stranded.signatures[0], stranded.signatures[1]) < 0.2


def test_kmers_with_unknown_letters_are_skipped() -> None:
    assert len(kmer_set("ACGNCGT", k=3)) == 2  # ACG, CGT; the k-mers over N are skipped
    assert len(kmer_set("ACGNCGT", k=3, canonical=True)) == 1  # CGT is ACG's complement
    assert kmer_set("NNNN", k=3).size == 0
    s = sketch(["NNNN", "AC", "ACGTTGCA"], k=3, num_perm=8)
    assert s.has_kmers.tolist() == [False, False, True]
    assert (s.signatures[0] == EMPTY).all()


def test_sketch_does_not_depend_on_chunking() -> None:
    seqs = [*random_sequences(50, 120, seed=1), "ACGTRYACGT", "AC"]
    big = sketch(seqs, k=6)
    small = sketch(seqs, k=6, chunk_bases=100)
    assert (big.signatures == small.signatures).all()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    length=st.integers(60, 800),
    rate=st.floats(0.0, 0.3),
    k=st.sampled_from([5, 8, 12]),
)
def test_minhash_estimate_is_close_to_exact_jaccard(
    seed: int, length: int, rate: float, k: int
) -> None:
    (a,) = random_sequences(1, length, seed=seed)
    b = mutate(a, rate, seed=seed + 1)
    s = sketch([a, b], k=k, seed=seed)
    exact = exact_jaccard(s.kmers(0), s.kmers(1))
    estimate = float(estimate_jaccard(s.signatures[0], s.signatures[1]))
    # one-permutation MinHash with 128 bins: SD <= 0.5 / sqrt(128) = 0.044
    assert abs(estimate - exact) <= 0.2


def test_minhash_estimate_is_unbiased_on_average() -> None:
    errors = []
    for seed in range(60):
        (a,) = random_sequences(1, 400, seed=seed)
        b = mutate(a, 0.03, seed=1000 + seed)
        s = sketch([a, b], k=8, seed=seed)
        exact = exact_jaccard(s.kmers(0), s.kmers(1))
        errors.append(float(estimate_jaccard(s.signatures[0], s.signatures[1])) - exact)
    assert abs(np.mean(errors)) < 0.02
    assert np.std(errors) < 0.07


def test_lsh_parameters() -> None:
    assert lsh_parameters(0.5, 128) == (42, 3)
    assert lsh_parameters(0.8, 128) == (21, 6)
    with pytest.raises(InputError):
        lsh_parameters(0.0, 128)
    with pytest.raises(InputError):
        sketch(["ACGT"], k=4, num_perm=100)


def test_lsh_recall_at_the_threshold() -> None:
    # mutation rate 4.5 % gives 8-mer Jaccard around 0.5-0.6, at the default threshold
    targets = random_sequences(400, 500, seed=7)
    planted = [mutate(t, 0.045, seed=i) for i, t in enumerate(targets[:200])]
    queries = planted + random_sequences(200, 500, seed=8)
    qs, ts = sketch(queries, k=8), sketch(targets, k=8)
    pairs = near_pairs(qs, ts, threshold=0.5)
    found = set(zip(pairs.query.tolist(), pairs.target.tolist(), strict=True))
    due = [i for i in range(200) if exact_jaccard(qs.kmers(i), ts.kmers(i)) >= 0.5]
    assert len(due) > 100
    recall = np.mean([(i, i) in found for i in due])
    assert recall >= 0.95
    assert found <= {(i, i) for i in range(200)}  # nothing else is that similar
    assert (pairs.jaccard >= 0.5).all()


def test_self_join_lists_each_pair_once() -> None:
    seqs = random_sequences(30, 200, seed=2)
    seqs += [seqs[0], reverse_complement(mutate(seqs[1], 0.01, seed=0))]
    p = near_pairs(sketch(seqs, k=8), threshold=0.5)
    assert list(zip(p.query.tolist(), p.target.tolist(), strict=True)) == [(0, 30), (1, 31)]
    assert p.jaccard[0] == 1.0


def test_sketches_with_different_options_are_not_compared() -> None:
    with pytest.raises(InputError):
        near_pairs(sketch(["ACGTACGT"], k=4), sketch(["ACGTACGT"], k=5), threshold=0.5)


def test_protein_sketch() -> None:
    (a,) = random_sequences(1, 300, seed=3, alphabet="protein")
    b = mutate(a, 0.05, seed=4, alphabet="protein")
    s = sketch([a, b], k=3, alphabet="protein")
    assert exact_jaccard(s.kmers(0), s.kmers(1)) > 0.7
    with pytest.raises(InputError):
        sketch([a], k=3, alphabet="protein", canonical=True)
