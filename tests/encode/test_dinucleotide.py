"""Dinucleotide one-hot encoding and its reverse complement."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import biodl.encode.dinucleotide
from biodl.encode import (
    dinucleotide_one_hot,
    dinucleotide_reverse_complement,
    kmer_names,
    reverse_complement,
)
from biodl.encode.dinucleotide import DINUCLEOTIDE_RC_PERMUTATION
from biodl.errors import InputError

DNA = "ACGT"


def naive_dinucleotide(seqs: list[str]) -> np.ndarray:
    """Reference implementation: a Python loop over positions."""
    length = len(seqs[0]) if seqs else 0
    out = np.zeros((len(seqs), 16, length), dtype=np.float32)
    for n, seq in enumerate(seqs):
        seq = seq.upper().replace("U", "T")
        for i in range(length - 1):
            a, b = seq[i], seq[i + 1]
            if a in DNA and b in DNA:
                out[n, 4 * DNA.index(a) + DNA.index(b), i] = 1
    return out


def test_hand_written_example() -> None:
    X = dinucleotide_one_hot(["ACGTA", "GGNAT"])
    assert X.shape == (2, 16, 5)
    assert X.dtype == np.float32
    expected = np.zeros((2, 16, 5), dtype=np.float32)
    # ACGTA: AC (0*4+1=1) at 0, CG (1*4+2=6) at 1, GT (2*4+3=11) at 2, TA (3*4+0=12) at 3.
    expected[0, 1, 0] = expected[0, 6, 1] = expected[0, 11, 2] = expected[0, 12, 3] = 1
    # GGNAT: GG (10) at 0; GN and NA are all zero; AT (3) at 3.
    expected[1, 10, 0] = expected[1, 3, 3] = 1
    np.testing.assert_array_equal(X, expected)


def test_channel_order_is_kmer_names() -> None:
    names = kmer_names(2)
    X = dinucleotide_one_hot(["".join(name) + "A" for name in names])
    assert [int(c) for c in X[:, :, 0].argmax(axis=1)] == list(range(16))


def test_last_position_is_all_zero_and_length_is_kept() -> None:
    X = dinucleotide_one_hot(["AC", "GT", "TT"])
    assert X.shape == (3, 16, 2)
    assert not X[:, :, -1].any()
    np.testing.assert_array_equal(X[:, :, 0].sum(axis=1), [1, 1, 1])


def test_n_handling() -> None:
    X = dinucleotide_one_hot(["NNNN", "ANAA", "AANn"])
    assert not X[0].any()
    np.testing.assert_array_equal(X[1].sum(axis=0), [0, 0, 1, 0])  # AN, NA zero; AA at 2
    np.testing.assert_array_equal(X[2].sum(axis=0), [1, 0, 0, 0])  # AA at 0; AN, Nn zero


def test_single_string_rna_lower_case_and_dtypes() -> None:
    X = dinucleotide_one_hot("acgu", alphabet="rna", dtype=np.int8)
    assert X.shape == (16, 4)
    assert X.dtype == np.int8
    np.testing.assert_array_equal(X, dinucleotide_one_hot(["ACGT"], dtype=np.int8)[0])
    assert dinucleotide_one_hot(["AC"], dtype=bool).dtype == np.bool_
    assert dinucleotide_one_hot([]).shape == (0, 16, 0)
    assert dinucleotide_one_hot(["A", "C"]).shape == (2, 16, 1)
    assert dinucleotide_one_hot([""]).shape == (1, 16, 0)


def test_errors() -> None:
    with pytest.raises(InputError, match=r"same length.*pad_or_crop_all"):
        dinucleotide_one_hot(["ACG", "AC"])
    with pytest.raises(InputError, match="illegal character 'U' at column 2 of sequence 1"):
        dinucleotide_one_hot(["ACG", "AUG"])
    with pytest.raises(InputError, match="'dna' or 'rna'"):
        dinucleotide_one_hot(["ACG"], alphabet="protein")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="dtype"):
        dinucleotide_one_hot(["ACG"], dtype=np.str_)
    with pytest.raises(InputError, match=r"\(\.\.\., 16, L\)"):
        dinucleotide_reverse_complement(np.zeros((2, 4, 5)))


def test_permutation() -> None:
    names = kmer_names(2)
    for c, name in enumerate(names):
        assert names[DINUCLEOTIDE_RC_PERMUTATION[c]] == reverse_complement(name)
    np.testing.assert_array_equal(
        DINUCLEOTIDE_RC_PERMUTATION[DINUCLEOTIDE_RC_PERMUTATION], range(16)
    )
    assert not DINUCLEOTIDE_RC_PERMUTATION.flags.writeable


def test_reverse_complement_hand_example() -> None:
    # AACG -> reverse complement CGTT: CG at 0, GT at 1, TT at 2, last column zero.
    Y = dinucleotide_reverse_complement(dinucleotide_one_hot(["AACG"]))
    names = kmer_names(2)
    assert [names[int(c)] for c in Y[0, :, :3].argmax(axis=0)] == ["CG", "GT", "TT"]
    assert not Y[0, :, 3].any()
    assert Y.flags.c_contiguous


sequences = st.integers(0, 24).flatmap(
    lambda length: st.lists(
        st.text(alphabet="ACGTNacgtn", min_size=length, max_size=length), min_size=1, max_size=4
    )
)


@settings(max_examples=200, deadline=None)
@given(sequences)
def test_matches_naive_loop(seqs: list[str]) -> None:
    np.testing.assert_array_equal(dinucleotide_one_hot(seqs), naive_dinucleotide(seqs))


@settings(max_examples=200, deadline=None)
@given(sequences)
def test_reverse_complement_property(seqs: list[str]) -> None:
    X = dinucleotide_one_hot(seqs)
    expected = dinucleotide_one_hot([reverse_complement(s) for s in seqs])
    Y = dinucleotide_reverse_complement(X)
    np.testing.assert_array_equal(Y, expected)
    np.testing.assert_array_equal(dinucleotide_reverse_complement(torch.from_numpy(X)), expected)
    np.testing.assert_array_equal(dinucleotide_reverse_complement(Y), X)


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=4, max_side=7).map(
            lambda shape: (*shape[:-2], 16, shape[-1])
        ),
    )
)
def test_involution_on_any_array(X: np.ndarray) -> None:
    Y = dinucleotide_reverse_complement(X)
    assert Y.shape == X.shape
    np.testing.assert_array_equal(dinucleotide_reverse_complement(Y), X)


def test_torch_is_differentiable_and_keeps_dtype() -> None:
    X = torch.tensor(dinucleotide_one_hot(["ACGTTA", "GGNCAT"]), requires_grad=True)
    Y = dinucleotide_reverse_complement(X)
    assert Y.dtype == X.dtype
    (Y * torch.arange(6.0)).sum().backward()
    assert X.grad is not None
    assert X.grad.shape == X.shape


def test_docstring_examples() -> None:
    result = doctest.testmod(biodl.encode.dinucleotide, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
