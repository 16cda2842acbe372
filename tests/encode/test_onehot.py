"""One-hot encoding, decoding, reverse complement and padding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import biodl.encode.onehot as onehot_module
from biodl.encode import (
    one_hot,
    one_hot_decode,
    pad_or_crop,
    pad_or_crop_all,
    reverse_complement,
    reverse_complement_one_hot,
)
from biodl.errors import InputError
from biodl.io import ALPHABETS


def naive_one_hot(seq: str, alphabet: str = "dna", uniform: bool = False) -> np.ndarray:
    """Reference implementation: a Python loop over the letters."""
    letters = ALPHABETS[alphabet]
    out = np.zeros((len(letters), len(seq)), dtype=np.float32)
    for j, char in enumerate(seq.upper()):
        if char in letters:
            out[letters.index(char), j] = 1
        elif uniform:
            out[:, j] = 1 / len(letters)
    return out


def test_acgtn_written_out() -> None:
    expected = np.array(
        [
            [1, 0, 0, 0, 0],
            [0, 1, 0, 0, 0],
            [0, 0, 1, 0, 0],
            [0, 0, 0, 1, 0],
        ],
        dtype=np.float32,
    )
    X = one_hot("ACGTN")
    assert X.dtype == np.float32
    assert X.shape == (4, 5)
    np.testing.assert_array_equal(X, expected)
    uniform = one_hot("ACGTN", unknown="uniform")
    np.testing.assert_array_equal(uniform[:, :4], expected[:, :4])
    np.testing.assert_array_equal(uniform[:, 4], [0.25, 0.25, 0.25, 0.25])


def test_batch_shape_dtype_and_layout() -> None:
    X = one_hot(["AAC", "gtn"], dtype=np.int8)
    assert X.shape == (2, 4, 3)
    assert X.dtype == np.int8
    assert X.flags.c_contiguous
    np.testing.assert_array_equal(X[1], [[0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 0]])
    assert one_hot(["AC"], dtype=bool).dtype == np.bool_
    assert one_hot(["AC"], dtype=np.float16).dtype == np.float16


def test_rna_and_protein() -> None:
    np.testing.assert_array_equal(one_hot("UA", alphabet="rna"), [[0, 1], [0, 0], [0, 0], [1, 0]])
    X = one_hot("ACYXbz", alphabet="protein")
    assert X.shape == (20, 6)
    assert X[0, 0] == X[1, 1] == X[19, 2] == 1
    assert X.sum() == 3  # X, B, Z are unknown: all zero
    np.testing.assert_allclose(one_hot("X", alphabet="protein", unknown="uniform"), 0.05)


def test_empty_inputs() -> None:
    assert one_hot([]).shape == (0, 4, 0)
    assert one_hot("").shape == (4, 0)
    assert one_hot(["", ""]).shape == (2, 4, 0)


def test_different_lengths_error() -> None:
    with pytest.raises(InputError) as info:
        one_hot(["ACGT", "ACGT", "ACG"])
    message = str(info.value)
    assert "sequence 0 has length 4, sequence 2 has length 3" in message
    assert "pad_or_crop" in message


@pytest.mark.parametrize(
    ("seqs", "message"),
    [
        ("ACGJ", "illegal character 'J' at column 4 of the sequence"),
        (["ACGT", "AC-T"], "illegal character '-' at column 3 of sequence 1"),
        (["ACGT", "ACG\u00e9"], "illegal character '\u00e9' at column 4 of sequence 1"),
        (["ACGT", "ACGU"], "illegal character 'U' at column 4 of sequence 1"),
    ],
)
def test_illegal_characters(seqs: str | list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        one_hot(seqs)


def test_bad_options() -> None:
    with pytest.raises(InputError, match="needs a floating dtype"):
        one_hot("ACGT", unknown="uniform", dtype=np.int8)
    with pytest.raises(InputError, match="unknown must be"):
        one_hot("ACGT", unknown="ones")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown alphabet"):
        one_hot("ACGT", alphabet="DNA")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="dtype must be"):
        one_hot("ACGT", dtype=np.complex64)


def test_many_blocks_match_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small blocks, so every code path (rows, columns, slow path) runs on tiny data."""
    monkeypatch.setattr(onehot_module, "_BLOCK_CELLS", 5 * 1024)
    rng = np.random.default_rng(1)
    letters = np.frombuffer(b"ACGTNacgtn", np.uint8)
    long = rng.choice(letters, 5000).tobytes().decode()
    upper = long.upper()
    np.testing.assert_array_equal(one_hot(long), naive_one_hot(long))
    np.testing.assert_array_equal(one_hot(upper, dtype=np.int8), naive_one_hot(upper))
    np.testing.assert_array_equal(one_hot(long, dtype=np.uint8), naive_one_hot(long))
    protein = rng.choice(np.frombuffer(b"ACDEFGHIKLMNPQRSTVWYXBacdx", np.uint8), 3000)
    protein_seq = protein.tobytes().decode()
    np.testing.assert_array_equal(
        one_hot(protein_seq, alphabet="protein", dtype=bool),
        naive_one_hot(protein_seq, "protein"),
    )
    np.testing.assert_array_equal(
        one_hot(long, unknown="uniform"), naive_one_hot(long, uniform=True)
    )
    short = [rng.choice(letters, 37).tobytes().decode() for _ in range(100)]
    np.testing.assert_array_equal(one_hot(short), np.stack([naive_one_hot(s) for s in short]))
    two_long = [upper, long]
    np.testing.assert_array_equal(one_hot(two_long)[1], naive_one_hot(long))
    bad = upper[:4321] + "J" + upper[4322:]
    with pytest.raises(InputError, match="'J' at column 4322 of sequence 1"):
        one_hot([upper, bad])


def test_decode() -> None:
    assert one_hot_decode(one_hot(["ACGTN", "ttaaN"])) == ["ACGTN", "TTAAN"]
    assert one_hot_decode(one_hot("ACGT")) == ["ACGT"]
    assert one_hot_decode(one_hot("ACGN", unknown="uniform")) == ["ACGN"]
    assert one_hot_decode(one_hot("MKVX", alphabet="protein"), alphabet="protein") == ["MKVX"]
    assert one_hot_decode(torch.from_numpy(one_hot(["GATC"]))) == ["GATC"]
    assert one_hot_decode(np.zeros((2, 4, 0))) == ["", ""]
    with pytest.raises(InputError, match=r"shape \(N, 4, L\)"):
        one_hot_decode(np.zeros((2, 5, 3)))


def test_reverse_complement_one_hot_numpy_and_torch() -> None:
    X = one_hot(["AACGN", "TTTTG"])
    rc = reverse_complement_one_hot(X)
    assert one_hot_decode(rc) == ["NCGTT", "CAAAA"]
    assert rc.flags.c_contiguous
    assert torch.from_numpy(rc).shape == (2, 4, 5)
    T = reverse_complement_one_hot(torch.from_numpy(X))
    assert isinstance(T, torch.Tensor)
    np.testing.assert_array_equal(T.numpy(), rc)
    with pytest.raises(InputError, match=r"\(\.\.\., 4, L\)"):
        reverse_complement_one_hot(np.zeros((2, 20, 5)))


def test_reverse_complement_reexported() -> None:
    assert reverse_complement("ACGTN") == "NACGT"


def test_pad_or_crop_conventions() -> None:
    assert pad_or_crop("ACGTA", 5) == "ACGTA"
    assert pad_or_crop("ACGTA", 2) == "CG"  # crop 1 left, 2 right
    assert pad_or_crop("ACGTA", 3) == "CGT"
    assert pad_or_crop("ACGTA", 8) == "NACGTANN"  # pad 1 left, 2 right
    assert pad_or_crop("ACGTA", 7) == "NACGTAN"
    assert pad_or_crop("ACGTA", 3, align="left") == "ACG"
    assert pad_or_crop("ACGTA", 7, align="left") == "ACGTANN"
    assert pad_or_crop("ACGTA", 3, align="right") == "GTA"
    assert pad_or_crop("ACGTA", 7, align="right") == "NNACGTA"
    assert pad_or_crop("ACGTA", 0, align="right") == ""
    assert pad_or_crop("MK", 4, pad="X") == "XMKX"


def test_pad_or_crop_errors() -> None:
    with pytest.raises(InputError, match="single character"):
        pad_or_crop("ACGT", 6, pad="NN")
    with pytest.raises(InputError, match="at least 0"):
        pad_or_crop("ACGT", -1)
    with pytest.raises(InputError, match="align must be"):
        pad_or_crop_all(["ACGT"], 6, align="middle")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="ACGTN", max_size=30), max_size=8),
    st.integers(min_value=0, max_value=40),
    st.sampled_from(["centre", "left", "right"]),
)
def test_pad_or_crop_all_matches_single(seqs: list[str], length: int, align: str) -> None:
    out = pad_or_crop_all(seqs, length, align=align)  # type: ignore[arg-type]
    assert out == [pad_or_crop(s, length, align=align) for s in seqs]  # type: ignore[arg-type]
    assert all(len(s) == length for s in out)
    for seq, padded in zip(seqs, out, strict=True):
        if len(seq) <= length:
            assert seq in padded
        else:
            assert padded in seq


_DNA = st.text(alphabet="ACGTNacgtn", max_size=120)


@settings(max_examples=80, deadline=None)
@given(_DNA)
def test_decode_inverts_encode(seq: str) -> None:
    assert one_hot_decode(one_hot(seq)) == [seq.upper()]


@settings(max_examples=80, deadline=None)
@given(_DNA)
def test_one_hot_of_reverse_complement(seq: str) -> None:
    np.testing.assert_array_equal(
        one_hot(reverse_complement(seq)), reverse_complement_one_hot(one_hot(seq))
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=50).flatmap(
        lambda n: st.lists(st.text(alphabet="ACGTNacgtn", min_size=n, max_size=n), max_size=10)
    )
)
def test_batch_equals_one_at_a_time(seqs: list[str]) -> None:
    X = one_hot(seqs)
    assert X.shape[0] == len(seqs)
    for i, seq in enumerate(seqs):
        np.testing.assert_array_equal(X[i], one_hot(seq))
        np.testing.assert_array_equal(X[i], naive_one_hot(seq))


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="ACDEFGHIKLMNPQRSTVWYXBZJUOacdxy", max_size=60))
def test_protein_matches_reference(seq: str) -> None:
    np.testing.assert_array_equal(one_hot(seq, alphabet="protein"), naive_one_hot(seq, "protein"))
