"""k-mer count features."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.encode import kmer_counts, kmer_names, reverse_complement
from biodl.errors import InputError


def naive_counts(seq: str, k: int, names: list[str], canonical: bool = False) -> np.ndarray:
    """Reference implementation: a Python loop over the k-mers."""
    out = np.zeros(len(names), dtype=np.int64)
    seq = seq.upper()
    for i in range(len(seq) - k + 1):
        kmer = seq[i : i + k]
        if "N" in kmer:
            continue
        if canonical:
            kmer = min(kmer, reverse_complement(kmer))
        out[names.index(kmer)] += 1
    return out


def test_names() -> None:
    assert kmer_names(1) == ["A", "C", "G", "T"]
    assert kmer_names(2)[:6] == ["AA", "AC", "AG", "AT", "CA", "CC"]
    assert len(kmer_names(3)) == 64
    assert kmer_names(2, canonical=True) == [
        "AA", "AC", "AG", "AT", "CA", "CC", "CG", "GA", "GC", "TA",
    ]  # fmt: skip
    assert len(kmer_names(3, canonical=True)) == 32
    assert len(kmer_names(4, canonical=True)) == 136
    assert kmer_names(1, alphabet="protein") == list("ACDEFGHIKLMNPQRSTVWY")


def test_exact_counts() -> None:
    counts = kmer_counts("ACGTNacg", 2, normalise=False)
    names = kmer_names(2)
    assert counts.dtype == np.int64
    assert {names[i]: int(c) for i, c in enumerate(counts) if c} == {"AC": 2, "CG": 2, "GT": 1}
    freqs = kmer_counts("ACGTNacg", 2)
    assert freqs.dtype == np.float32
    assert freqs[names.index("AC")] == pytest.approx(0.4)


def test_sequences_do_not_run_into_each_other() -> None:
    counts = kmer_counts(["AC", "GT", "A", ""], 2, normalise=False)
    names = kmer_names(2)
    assert counts.shape == (4, 16)
    assert counts[0, names.index("AC")] == 1
    assert counts[1, names.index("GT")] == 1
    assert counts.sum() == 2
    np.testing.assert_array_equal(kmer_counts(["A", ""], 2), np.zeros((2, 16)))


def test_canonical_counts() -> None:
    counts = kmer_counts(["AAAC", "GTTT"], 2, canonical=True, normalise=False)
    names = kmer_names(2, canonical=True)
    for row in counts:
        assert {names[i]: int(c) for i, c in enumerate(row) if c} == {"AA": 2, "AC": 1}


def test_errors() -> None:
    with pytest.raises(InputError, match="at least 1"):
        kmer_counts("ACGT", 0)
    with pytest.raises(InputError, match="canonical"):
        kmer_counts("MKV", 2, alphabet="protein", canonical=True)
    with pytest.raises(InputError, match="'J' at column 3 of sequence 1"):
        kmer_counts(["ACGT", "ACJT"], 2)
    with pytest.raises(InputError, match="'\u00e9' at column 2 of the sequence"):
        kmer_counts("A\u00e9", 2)
    with pytest.raises(InputError, match="smaller k"):
        kmer_counts("ACGT", 13)


_DNA = st.text(alphabet="ACGTNacgt", max_size=60)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ACGTacgt", max_size=80), st.integers(min_value=1, max_value=5))
def test_counts_sum_to_number_of_kmers(seq: str, k: int) -> None:
    counts = kmer_counts(seq, k, normalise=False)
    assert counts.sum() == max(0, len(seq) - k + 1)
    freqs = kmer_counts(seq, k)
    assert freqs.sum() == pytest.approx(1.0 if len(seq) >= k else 0.0, abs=1e-5)


@settings(max_examples=60, deadline=None)
@given(st.lists(_DNA, max_size=6), st.integers(min_value=1, max_value=4), st.booleans())
def test_batch_matches_reference(seqs: list[str], k: int, canonical: bool) -> None:
    names = kmer_names(k, canonical=canonical)
    counts = kmer_counts(seqs, k, canonical=canonical, normalise=False)
    assert counts.shape == (len(seqs), len(names))
    for i, seq in enumerate(seqs):
        np.testing.assert_array_equal(counts[i], naive_counts(seq, k, names, canonical))


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet="ACDEFGHIKLMNPQRSTVWYX", max_size=40))
def test_protein_dipeptides(seq: str) -> None:
    names = ["".join(p) for p in itertools.product("ACDEFGHIKLMNPQRSTVWY", repeat=2)]
    counts = kmer_counts(seq, 2, alphabet="protein", normalise=False)
    expected = np.zeros(400, dtype=np.int64)
    for i in range(len(seq) - 1):
        if "X" not in seq[i : i + 2]:
            expected[names.index(seq[i : i + 2])] += 1
    np.testing.assert_array_equal(counts, expected)
