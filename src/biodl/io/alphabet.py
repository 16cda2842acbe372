"""Sequence alphabets: which letters a DNA, RNA or protein sequence may hold.

An alphabet has *channel* letters (one one-hot channel each, in a fixed order) and
*unknown* letters, which are accepted but carry no information (one-hot all zero, or
uniform). Lower case is accepted everywhere and upper-cased, so that soft-masked
genomes read as they are.

============  ==========================  =========================================
alphabet      channels (in order)         unknown letters
============  ==========================  =========================================
``dna``       ``ACGT``                    ``N``
``rna``       ``ACGU``                    ``N``
``protein``   ``ACDEFGHIKLMNPQRSTVWY``    ``X``, and ``B Z J U O`` (ambiguous Asx,
                                          Glx, Xle, selenocysteine, pyrrolysine)
============  ==========================  =========================================

Any other character (IUPAC ambiguity codes such as ``R`` in DNA, gaps, ``*``, digits,
spaces) is illegal and raises :class:`~biodl.errors.InputError`.

Examples
--------
>>> ALPHABETS["dna"]
'ACGT'
>>> validate_sequence("acgtN", "dna")
'ACGTN'
>>> reverse_complement("AACGN")
'NCGTT'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, cast, get_args

from biodl.errors import InputError

__all__ = [
    "ALPHABETS",
    "ILLEGAL_CODE",
    "UNKNOWN_SYMBOLS",
    "AlphabetName",
    "ambiguous_to_unknown",
    "check_alphabet",
    "code_table",
    "describe_alphabet",
    "find_illegal",
    "reverse_complement",
    "validate_sequence",
]

AlphabetName = Literal["dna", "rna", "protein"]
"""Name of a supported alphabet."""

_NAMES: tuple[str, ...] = get_args(AlphabetName)

ALPHABETS: Mapping[str, str] = MappingProxyType(
    {"dna": "ACGT", "rna": "ACGU", "protein": "ACDEFGHIKLMNPQRSTVWY"}
)
"""Channel letters of each alphabet, in one-hot channel order."""

UNKNOWN_SYMBOLS: Mapping[str, str] = MappingProxyType({"dna": "N", "rna": "N", "protein": "XBZJUO"})
"""Letters accepted as 'unknown' in each alphabet; the first one is the canonical one
(used for padding and when decoding an all-zero one-hot column)."""

ILLEGAL_CODE = 255
"""Code that :func:`code_table` gives to a byte outside the alphabet."""

_PathLike = str | os.PathLike[str]


def check_alphabet(alphabet: str) -> AlphabetName:
    """Return ``alphabet`` if it names a supported alphabet, else raise InputError.

    Examples
    --------
    >>> check_alphabet("rna")
    'rna'
    """
    if alphabet in _NAMES:
        return cast(AlphabetName, alphabet)
    raise InputError(f"unknown alphabet {alphabet!r}; choose one of: dna, rna, protein")


def describe_alphabet(alphabet: AlphabetName) -> str:
    """One-line description of the letters ``alphabet`` accepts, for error messages.

    Examples
    --------
    >>> describe_alphabet("dna")
    'alphabet dna: ACGT and N'
    """
    unknown = ", ".join(UNKNOWN_SYMBOLS[check_alphabet(alphabet)])
    return f"alphabet {alphabet}: {ALPHABETS[alphabet]} and {unknown}"


def _build_code_table(alphabet: str) -> bytes:
    table = bytearray([ILLEGAL_CODE] * 256)
    letters = ALPHABETS[alphabet]
    for code, letter in enumerate(letters):
        table[ord(letter)] = code
        table[ord(letter.lower())] = code
    for letter in UNKNOWN_SYMBOLS[alphabet]:
        table[ord(letter)] = len(letters)
        table[ord(letter.lower())] = len(letters)
    return bytes(table)


_CODE_TABLES: Mapping[str, bytes] = MappingProxyType(
    {name: _build_code_table(name) for name in ALPHABETS}
)
_ALLOWED: Mapping[str, bytes] = MappingProxyType(
    {
        name: bytes(b for b in range(256) if _CODE_TABLES[name][b] != ILLEGAL_CODE)
        for name in ALPHABETS
    }
)


def code_table(alphabet: AlphabetName) -> bytes:
    """Byte translation table from ASCII letters to channel codes.

    Returns
    -------
    bytes
        256 bytes, for use with :meth:`bytes.translate`. A channel letter (either case)
        maps to its channel index ``0 .. C-1``, an unknown letter to ``C`` (the number of
        channels), and every other byte to ``255``.

    Examples
    --------
    >>> list(b"ACGTNn-".translate(code_table("dna")))
    [0, 1, 2, 3, 4, 4, 255]
    """
    return _CODE_TABLES[check_alphabet(alphabet)]


def find_illegal(seq: str, alphabet: AlphabetName) -> int:
    """0-based index of the first character of ``seq`` outside ``alphabet``, or -1.

    Runs at C speed (:meth:`bytes.translate`); no Python loop over the characters.

    Examples
    --------
    >>> find_illegal("ACGTN", "dna"), find_illegal("ACRT", "dna"), find_illegal("AC\u00e9", "dna")
    (-1, 2, 2)
    """
    allowed = _ALLOWED[check_alphabet(alphabet)]
    try:
        data = seq.encode("ascii")
    except UnicodeEncodeError as exc:
        data = seq[: exc.start].encode("ascii")
        rest = data.translate(None, allowed)
        return data.index(rest[0]) if rest else exc.start
    rest = data.translate(None, allowed)
    return data.index(rest[0]) if rest else -1


def validate_sequence(
    seq: str,
    alphabet: AlphabetName,
    *,
    path: _PathLike | None = None,
    line: int | None = None,
    record: str | None = None,
) -> str:
    """Check that ``seq`` only holds letters of ``alphabet``; return it upper-cased.

    Parameters
    ----------
    seq
        The sequence, any case.
    alphabet
        ``"dna"``, ``"rna"`` or ``"protein"``.
    path, line, record
        Where the sequence comes from, for the error message.

    Returns
    -------
    str
        ``seq.upper()``.

    Raises
    ------
    InputError
        Naming the first illegal character and its 1-based column, for example
        ``peaks.fa:12: illegal character 'J' at column 7 of record 'chr1:100-200'
        (alphabet dna: ACGT and N)``.

    Examples
    --------
    >>> validate_sequence("acgtn", "dna")
    'ACGTN'
    >>> validate_sequence("ACGTAAJ", "dna", path="peaks.fa", line=12, record="chr1:100-200")
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: peaks.fa:12: illegal character 'J' at column 7 of record 'chr1:100-200' (alphabet dna: ACGT and N)
    """  # noqa: E501
    index = find_illegal(seq, alphabet)
    if index >= 0:
        where = "" if record is None else f" of record {record!r}"
        raise InputError(
            f"illegal character {seq[index]!r} at column {index + 1}{where} "
            f"({describe_alphabet(alphabet)})",
            path=path,
            line=line,
        )
    return seq.upper()


def _build_complement_table(pairs: str) -> bytes:
    table = bytearray([ILLEGAL_CODE] * 256)
    for a, b in zip(pairs[0::2], pairs[1::2], strict=True):
        for x, y in ((a, b), (b, a)):
            table[ord(x)] = ord(y)
            table[ord(x.lower())] = ord(y.lower())
    for gap in "-.":
        table[ord(gap)] = ord(gap)
    return bytes(table)


# Pairs of complementary letters; IUPAC codes: R=AG/Y=CT, K=GT/M=AC, B=CGT/V=ACG,
# D=AGT/H=ACT, and S=CG, W=AT, N=any are their own complement.
_COMPLEMENT: Mapping[str, bytes] = MappingProxyType(
    {
        "dna": _build_complement_table("ATCGRYKMBVDHSSWWNN"),
        "rna": _build_complement_table("AUCGRYKMBVDHSSWWNN"),
    }
)


def reverse_complement(seq: str, *, alphabet: Literal["dna", "rna"] = "dna") -> str:
    """Reverse complement of a DNA or RNA sequence, keeping the case of each letter.

    IUPAC ambiguity codes are complemented (``R``<->``Y``, ``K``<->``M``, ``B``<->``V``,
    ``D``<->``H``; ``N``, ``S``, ``W`` stay), and gaps ``-`` and ``.`` are kept, so that
    ``reverse_complement(reverse_complement(s)) == s``. In RNA, ``A`` pairs with ``U``.

    Raises
    ------
    InputError
        For a character that has no complement (``T`` in RNA, ``U`` in DNA, ``X``).

    Examples
    --------
    >>> reverse_complement("ACGTNacgtn")
    'nacgtNACGT'
    >>> reverse_complement("AUGGCR", alphabet="rna")
    'YGCCAU'
    """
    if alphabet not in _COMPLEMENT:
        raise InputError(f"reverse complement needs alphabet 'dna' or 'rna', not {alphabet!r}")
    table = _COMPLEMENT[alphabet]
    try:
        data = seq.encode("ascii")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"character {seq[exc.start]!r} at column {exc.start + 1} has no complement"
        ) from None
    out = data.translate(table)
    bad = out.find(ILLEGAL_CODE)
    if bad >= 0:
        raise InputError(
            f"character {seq[bad]!r} at column {bad + 1} has no complement in alphabet {alphabet}"
        )
    return out[::-1].decode("ascii")


_IUPAC_AMBIGUOUS = "RYSWKMBDHVrysWkmbdhv"
_TO_UNKNOWN = str.maketrans(_IUPAC_AMBIGUOUS, "N" * len(_IUPAC_AMBIGUOUS))


def ambiguous_to_unknown(seq: str) -> str:
    """Replace IUPAC ambiguity codes (R Y S W K M B D H V, any case) of DNA/RNA by ``N``.

    For data sets such as the UCI splice set, whose few ambiguous bases would otherwise
    be illegal characters; ``N`` is then encoded as the chosen unknown (all-zero or
    uniform).

    Examples
    --------
    >>> ambiguous_to_unknown("ACGTRYsn")
    'ACGTNNNn'
    """
    return seq.translate(_TO_UNKNOWN)
