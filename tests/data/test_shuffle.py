"""Tests of biodl.data.shuffle: exactness and uniformity of the Altschul-Erickson shuffle."""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.data import shuffle as shuffle_module
from biodl.data.shuffle import (
    dinucleotide_shuffle,
    dinucleotide_shuffle_all,
    mononucleotide_shuffle,
    shuffle_all,
)
from biodl.errors import InputError

ALPHABET = "ACGTNacgt"
sequences = st.text(alphabet=ALPHABET, min_size=0, max_size=150)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def doublets(s: str) -> Counter[tuple[str, str]]:
    return Counter(itertools.pairwise(s))


def assert_dinucleotide_equivalent(original: str, shuffled: str) -> None:
    assert len(shuffled) == len(original)
    assert doublets(shuffled) == doublets(original)
    assert Counter(shuffled) == Counter(original)
    assert shuffled[:1] == original[:1]
    assert shuffled[-1:] == original[-1:]


def equivalents(s: str) -> list[str]:
    """Every sequence with the first letter, last letter and doublet counts of ``s``."""
    remaining = doublets(s)
    found: list[str] = []

    def extend(prefix: str) -> None:
        if len(prefix) == len(s):
            if prefix[-1] == s[-1]:
                found.append(prefix)
            return
        for (a, b), count in list(remaining.items()):
            if a == prefix[-1] and count > 0:
                remaining[(a, b)] -= 1
                extend(prefix + b)
                remaining[(a, b)] += 1

    extend(s[0])
    return found


def chi_square_p_value(observed: list[int]) -> float:
    """P-value of Pearson's chi-square test of uniformity (regularised gamma series)."""
    n = sum(observed)
    expected = n / len(observed)
    statistic = sum((o - expected) ** 2 / expected for o in observed)
    a = (len(observed) - 1) / 2.0
    x = statistic / 2.0
    # lower regularised gamma P(a, x) by its series; p = 1 - P
    term = 1.0 / a
    total = term
    k = 1
    while term > total * 1e-15:
        term *= x / (a + k)
        total += term
        k += 1
    lower = math.exp(-x + a * math.log(x) - math.lgamma(a)) * total if x > 0 else 0.0
    return max(0.0, 1.0 - lower)


# ------------------------------------------------------------------ exactness (properties)


@settings(max_examples=150, deadline=None)
@given(sequence=sequences, seed=seeds)
def test_single_shuffle_keeps_doublets_ends_and_letters(sequence: str, seed: int) -> None:
    shuffled = dinucleotide_shuffle(sequence, rng=np.random.default_rng(seed))
    assert_dinucleotide_equivalent(sequence, shuffled)


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(sequences, max_size=60), n=st.integers(1, 3), seed=seeds)
def test_batch_shuffle_keeps_doublets_and_order(batch: list[str], n: int, seed: int) -> None:
    out = dinucleotide_shuffle_all(batch, n_per_sequence=n, seed=seed)
    assert len(out) == n * len(batch)
    for i, original in enumerate(batch):
        for shuffled in out[i * n : (i + 1) * n]:
            assert_dinucleotide_equivalent(original, shuffled)


@settings(max_examples=40, deadline=None)
@given(batch=st.lists(sequences, min_size=1, max_size=40), seed=seeds)
def test_shuffles_are_deterministic_given_seed(batch: list[str], seed: int) -> None:
    assert dinucleotide_shuffle_all(batch, seed=seed) == dinucleotide_shuffle_all(batch, seed=seed)
    one = dinucleotide_shuffle(batch[0], rng=np.random.default_rng(seed))
    assert one == dinucleotide_shuffle(batch[0], rng=np.random.default_rng(seed))
    mono = shuffle_all(batch, method="mononucleotide", seed=seed)
    assert mono == shuffle_all(batch, method="mononucleotide", seed=seed)


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(sequences, max_size=30), seed=seeds)
def test_mononucleotide_shuffle_keeps_letters(batch: list[str], seed: int) -> None:
    out = shuffle_all(batch, method="mononucleotide", n_per_sequence=2, seed=seed)
    for i, original in enumerate(batch):
        for shuffled in out[2 * i : 2 * i + 2]:
            assert Counter(shuffled) == Counter(original)
    if batch:
        single = mononucleotide_shuffle(batch[0], rng=np.random.default_rng(seed))
        assert Counter(single) == Counter(batch[0])


def test_short_sequences_are_returned_unchanged() -> None:
    rng = np.random.default_rng(0)
    for s in ["", "A", "AC", "gN"]:
        assert dinucleotide_shuffle(s, rng=rng) == s
    assert dinucleotide_shuffle_all(["", "A", "TG"], n_per_sequence=2) == [
        "",
        "",
        "A",
        "A",
        "TG",
        "TG",
    ]
    assert dinucleotide_shuffle_all([]) == []


def test_any_characters_are_letters() -> None:
    s = "ÄBÄCÄBßxß-ÄN" * 4
    out = dinucleotide_shuffle_all([s, s.lower()], n_per_sequence=5, seed=1)
    for shuffled in out[:5]:
        assert_dinucleotide_equivalent(s, shuffled)
    for shuffled in out[5:]:
        assert_dinucleotide_equivalent(s.lower(), shuffled)
    wide = "αβαγδβ🧬αNγ" * 4  # code points above 255
    for shuffled in dinucleotide_shuffle_all([wide, "ACGTTGCA"], n_per_sequence=3, seed=2)[:3]:
        assert_dinucleotide_equivalent(wide, shuffled)


def test_shuffles_actually_move_letters() -> None:
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 101)) for _ in range(200)]
    out = dinucleotide_shuffle_all(seqs, seed=0)
    assert sum(a != b for a, b in zip(seqs, out, strict=True)) >= 199
    differing = np.mean(
        [sum(x != y for x, y in zip(a, b, strict=True)) for a, b in zip(seqs, out, strict=True)]
    )
    assert differing > 50  # a random pair of sequences differs at about 75 of 101 places


def test_order_is_each_sequence_then_its_shuffles() -> None:
    seqs = ["AAAAAAAAAC", "CCCCCCCCCG", "GGGGGTGGGGT"]
    out = shuffle_all(seqs, method="mononucleotide", n_per_sequence=3, seed=5)
    assert [Counter(s) for s in out] == [Counter(s) for s in seqs for _ in range(3)]


def test_pathological_repeats_finish_and_stay_exact() -> None:
    # Long dinucleotide repeats make independent last-exit choices rarely form a tree,
    # which exercises the Wilson fallback.
    s = "AC" * 400 + "GT" * 400 + "CA" * 300 + "TG" * 300 + "A"
    out = dinucleotide_shuffle_all([s], n_per_sequence=40, seed=3)
    for shuffled in out:
        assert_dinucleotide_equivalent(s, shuffled)


def test_chunking_of_mixed_lengths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shuffle_module, "_CHUNK_CELLS", 500)
    rng = np.random.default_rng(4)
    seqs = ["".join(rng.choice(list("ACGTN"), int(rng.integers(0, 120)))) for _ in range(150)]
    out = dinucleotide_shuffle_all(seqs, n_per_sequence=2, seed=9)
    for i, original in enumerate(seqs):
        assert_dinucleotide_equivalent(original, out[2 * i])
        assert_dinucleotide_equivalent(original, out[2 * i + 1])


def test_python_and_numpy_walks_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    seqs = ["".join(rng.choice(list("ACGTN"), int(rng.integers(3, 90)))) for _ in range(50)]
    monkeypatch.setattr(shuffle_module, "_PYTHON_WALK_ROWS", 0)
    with_numpy = dinucleotide_shuffle_all(seqs, n_per_sequence=2, seed=8)
    monkeypatch.setattr(shuffle_module, "_PYTHON_WALK_ROWS", 10**9)
    with_python = dinucleotide_shuffle_all(seqs, n_per_sequence=2, seed=8)
    assert with_numpy == with_python


@pytest.mark.parametrize(
    "bad",
    [
        {"n_per_sequence": 0},
        {"n_per_sequence": 1.5},
        {"method": "trinucleotide"},
    ],
)
def test_bad_options_raise_input_error(bad: dict[str, object]) -> None:
    with pytest.raises(InputError):
        shuffle_all(["ACGTACGT"], **bad)  # type: ignore[arg-type]


def test_non_strings_raise_type_error() -> None:
    with pytest.raises(TypeError):
        dinucleotide_shuffle_all([b"ACGT"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        dinucleotide_shuffle_all("ACGT")


# -------------------------------------------------------------------------- uniformity


def sampled_distribution(sequence: str, draws: list[str]) -> list[int]:
    space = equivalents(sequence)
    counts = Counter(draws)
    assert set(counts) <= set(space), "a draw is not dinucleotide-equivalent"
    return [counts[s] for s in space]


@pytest.mark.parametrize(("sequence", "n_equivalent"), [("AACGTTGCAAGT", 36), ("ACAGTCATGCAT", 30)])
def test_batch_shuffle_is_uniform(sequence: str, n_equivalent: int) -> None:
    draws = dinucleotide_shuffle_all([sequence], n_per_sequence=5000, seed=11)
    observed = sampled_distribution(sequence, draws)
    assert len(observed) == n_equivalent
    assert min(observed) > 0
    assert chi_square_p_value(observed) > 1e-3


def test_wilson_fallback_is_uniform() -> None:
    sequence = "ACGTACGTAACCGGTT"  # 81 equivalents
    rng = np.random.default_rng(12)
    draws = shuffle_module._shuffle_same_chunk(
        [sequence] * 6000, rng, method="dinucleotide", rejection_rounds=0
    )
    observed = sampled_distribution(sequence, draws)
    assert len(observed) == 81
    assert chi_square_p_value(observed) > 1e-3


def test_single_shuffle_is_uniform() -> None:
    sequence = "ANNACGTTNGCA"  # 16 equivalents; one at a time uses the pure-Python walk
    rng = np.random.default_rng(13)
    draws = [dinucleotide_shuffle(sequence, rng=rng) for _ in range(1600)]
    observed = sampled_distribution(sequence, draws)
    assert len(observed) == 16
    assert chi_square_p_value(observed) > 1e-3


def test_mononucleotide_shuffle_is_uniform() -> None:
    draws = shuffle_all(["AACGT"], method="mononucleotide", n_per_sequence=3000, seed=2)
    counts = Counter(draws)
    assert len(counts) == 60  # 5! / 2!
    assert chi_square_p_value(list(counts.values())) > 1e-3


def test_chi_square_helper() -> None:
    assert chi_square_p_value([100, 100, 100, 100]) == pytest.approx(1.0)
    assert chi_square_p_value([60, 40]) == pytest.approx(0.0455003, rel=1e-5)  # 1 df, x=4
    assert chi_square_p_value([10, 10, 10, 370]) < 1e-6


# ------------------------------------------------------------------------------- speed


def test_batch_speed() -> None:
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 101)) for _ in range(5000)]
    start = time.perf_counter()
    dinucleotide_shuffle_all(seqs, seed=0)
    assert time.perf_counter() - start < 5.0  # about 0.1 s on one core
