"""Alphabets, sequence validation and reverse complement."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.errors import InputError
from biodl.io import (
    ALPHABETS,
    UNKNOWN_SYMBOLS,
    check_alphabet,
    code_table,
    describe_alphabet,
    find_illegal,
    reverse_complement,
    validate_sequence,
)


def test_alphabets_are_fixed() -> None:
    assert dict(ALPHABETS) == {
        "dna": "ACGT",
        "rna": "ACGU",
        "protein": "ACDEFGHIKLMNPQRSTVWY",
    }
    assert UNKNOWN_SYMBOLS["dna"] == "N"
    assert UNKNOWN_SYMBOLS["protein"][0] == "X"
    assert describe_alphabet("protein") == (
        "alphabet protein: ACDEFGHIKLMNPQRSTVWY and X, B, Z, J, U, O"
    )


def test_validate_upper_cases_soft_masked_sequence() -> None:
    assert validate_sequence("acgtNNacgt", "dna") == "ACGTNNACGT"
    assert validate_sequence("acgu", "rna") == "ACGU"
    assert validate_sequence("mkvXbzjuo", "protein") == "MKVXBZJUO"


def test_validate_error_names_file_line_column_and_record() -> None:
    with pytest.raises(InputError) as info:
        validate_sequence("ACGTAAJ", "dna", path="peaks.fa", line=12, record="chr1:100-200")
    assert str(info.value) == (
        "peaks.fa:12: illegal character 'J' at column 7 of record 'chr1:100-200' "
        "(alphabet dna: ACGT and N)"
    )


@pytest.mark.parametrize(
    ("seq", "alphabet", "column"),
    [
        ("ACGT", "rna", 4),
        ("ACGU", "dna", 4),
        ("ACRT", "dna", 3),
        ("AC GT", "dna", 3),
        ("MKV*", "protein", 4),
        ("ACG\u00e9T", "dna", 4),
        ("N-N", "dna", 2),
    ],
)
def test_validate_rejects(seq: str, alphabet: str, column: int) -> None:
    name = check_alphabet(alphabet)
    assert find_illegal(seq, name) == column - 1
    with pytest.raises(InputError, match=f"at column {column} "):
        validate_sequence(seq, name, path="x.fa", line=3)


def test_unknown_alphabet() -> None:
    with pytest.raises(InputError, match="unknown alphabet 'DNA'"):
        check_alphabet("DNA")


def test_code_table() -> None:
    assert list(b"ACGTacgtNnX".translate(code_table("dna"))) == [0, 1, 2, 3, 0, 1, 2, 3, 4, 4, 255]
    assert list(b"YXBo".translate(code_table("protein"))) == [19, 20, 20, 20]


def test_reverse_complement_examples() -> None:
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("aaCg") == "cGtt"
    assert reverse_complement("RYKMBVDHSWN") == "NWSDHBVKMRY"
    assert reverse_complement("AC-G.") == ".C-GT"
    assert reverse_complement("AUGC", alphabet="rna") == "GCAU"
    assert reverse_complement("") == ""


@pytest.mark.parametrize(("seq", "alphabet"), [("ACXT", "dna"), ("ACU", "dna"), ("ACT", "rna")])
def test_reverse_complement_rejects(seq: str, alphabet: str) -> None:
    with pytest.raises(InputError, match="has no complement"):
        reverse_complement(seq, alphabet="rna" if alphabet == "rna" else "dna")


_IUPAC = "ACGTNRYKMSWBDHVacgtnrykmswbdhv-."


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=_IUPAC, max_size=200))
def test_reverse_complement_is_an_involution(seq: str) -> None:
    assert reverse_complement(reverse_complement(seq)) == seq


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="ACGUNacgun", max_size=100))
def test_rna_reverse_complement_is_an_involution(seq: str) -> None:
    assert reverse_complement(reverse_complement(seq, alphabet="rna"), alphabet="rna") == seq
