"""Input kinds (biodl.data.kinds): the sequence kind against the shared encoder, exact
descriptions for assess, and the registry."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from biodl.data import INPUT_KINDS, Examples, InputKind, SequenceKind, encode_inputs, input_kind
from biodl.encode import blosum62_encode, dinucleotide_one_hot, one_hot
from biodl.errors import InputError

DNA = ["ACGTNACGTA", "GGGCCCATAT", "acgtacgtac"]
PROTEIN = ["MKTAYIAKQR", "GSHMLEDPVX", "mktayiakqr"]


@pytest.mark.parametrize(
    ("alphabet", "encoding", "unknown", "seqs"),
    [
        ("dna", "onehot", "zero", DNA),
        ("dna", "onehot", "uniform", DNA),
        ("rna", "onehot", "zero", [s.upper().replace("T", "U") for s in DNA]),
        ("protein", "onehot", "zero", PROTEIN),
        ("dna", "dinucleotide", "zero", DNA),
        ("protein", "blosum62", "zero", PROTEIN),
    ],
)
def test_encode_equals_encode_inputs(
    alphabet: str, encoding: str, unknown: str, seqs: list[str]
) -> None:
    kind = input_kind("sequence", alphabet=alphabet, encoding=encoding, unknown=unknown)
    got = kind.encode(seqs)
    want = encode_inputs(seqs, alphabet=alphabet, unknown=unknown, encoding=encoding)  # type: ignore[arg-type]
    assert got.dtype == want.dtype
    assert got.shape == (len(seqs), *kind.input_shape(len(seqs[0])))
    np.testing.assert_array_equal(got, want)


def test_encode_is_the_encoder_it_names() -> None:
    """The kind's arrays are those of the biodl.encode functions, storage types included."""
    kind = SequenceKind(alphabet="dna")
    np.testing.assert_array_equal(
        kind.encode(DNA), one_hot(DNA, alphabet="dna", unknown="zero", dtype=np.int8)
    )
    assert kind.encode(DNA).dtype == np.int8
    assert SequenceKind(alphabet="dna", unknown="uniform").encode(DNA).dtype == np.float32
    np.testing.assert_array_equal(
        SequenceKind(alphabet="dna", encoding="dinucleotide").encode(DNA),
        dinucleotide_one_hot(DNA, alphabet="dna", dtype=np.int8),
    )
    blosum = SequenceKind(alphabet="protein", encoding="blosum62").encode(PROTEIN)
    assert blosum.dtype == np.float16
    np.testing.assert_array_equal(blosum, blosum62_encode(PROTEIN, dtype=np.float16))


@pytest.mark.skipif(importlib.util.find_spec("RNA") is None, reason="ViennaRNA is not installed")
def test_structure_encoding_equals_encode_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIODL_CACHE_DIR", str(tmp_path))
    seqs = ["GGGGAAACCCCAUAUA", "ACGUACGUACGUACGU"]
    kind = SequenceKind(alphabet="rna", encoding="structure")
    got = kind.encode(seqs)
    assert got.shape == (2, 8 + 16, 16) == (2, *kind.input_shape(16))
    np.testing.assert_array_equal(
        got, encode_inputs(seqs, alphabet="rna", unknown="zero", encoding="structure")
    )


def test_examples_and_features() -> None:
    ex = Examples(["ACGT", "GGCC"], ["1", "0"], ["a", "b"], [("x.fa", 2), ("x.fa", 4)])
    kind = SequenceKind(alphabet="dna")
    np.testing.assert_array_equal(kind.encode(ex), kind.encode(["ACGT", "GGCC"]))
    feats = [np.full((3, 5), i, dtype=np.float32) for i in range(2)]
    cpg = Examples(["ACGT", "GGCC"], ["1", "0"], ["a", "b"], [("x", 1), ("x", 2)], features=feats)
    cpg_kind = SequenceKind(alphabet="dna", encoding="cpg")
    np.testing.assert_array_equal(cpg_kind.encode(cpg), np.stack(feats))
    with pytest.raises(InputError, match="CpG"):
        cpg_kind.encode(["ACGT"])
    with pytest.raises(InputError, match="pre-computed features"):
        cpg_kind.n_channels()
    with pytest.raises(InputError, match="dinucleotide is for DNA or RNA"):
        SequenceKind(alphabet="protein", encoding="dinucleotide").encode(PROTEIN)


@pytest.mark.parametrize(
    ("alphabet", "encoding", "length", "channels"),
    [
        ("dna", "onehot", 0, 4),
        ("rna", "onehot", 7, 4),
        ("protein", "onehot", 0, 20),
        ("protein", "blosum62", 0, 20),
        ("dna", "dinucleotide", 0, 16),
        ("rna", "structure", 30, 38),
    ],
)
def test_n_channels(alphabet: str, encoding: str, length: int, channels: int) -> None:
    kind = input_kind("sequence", alphabet=alphabet, encoding=encoding)
    assert kind.n_channels(length) == channels
    assert kind.input_shape(length) == (channels, length)


def test_describe_dna_exact() -> None:
    d = SequenceKind(alphabet="dna").describe(["GGCC", "ATAT"])
    assert d["n"] == 2
    assert d["n_distinct"] == 2
    assert d["gc_fraction"] == 0.5
    assert d["gc"].tolist() == [1.0, 0.0]
    assert d["length"].tolist() == [4.0, 4.0]
    assert d["composition"] == {"letters": ["A", "C", "G", "T"], "fractions": [0.25] * 4}


def test_describe_counts_known_letters_only() -> None:
    d = SequenceKind(alphabet="dna").describe(["ggcN", "GGCN", "NNNN", "AT"])
    assert d["n_distinct"] == 4  # case is kept: "ggcN" and "GGCN" are two sequences
    gc = d["gc"]
    assert gc[:2].tolist() == [1.0, 1.0]
    assert np.isnan(gc[2])
    assert gc[3] == 0.0
    assert d["gc_fraction"] == 6 / 8
    assert d["composition"]["fractions"] == [1 / 8, 2 / 8, 4 / 8, 1 / 8]
    rna = SequenceKind(alphabet="rna").describe(["GCUU"])
    assert rna["gc_fraction"] == 0.5
    assert rna["composition"]["letters"] == list("ACGU")


def test_describe_protein_exact() -> None:
    d = SequenceKind(alphabet="protein").describe(["MKKX", "mkw"])
    assert "gc" not in d
    assert "gc_fraction" not in d
    fractions = dict(zip(d["composition"]["letters"], d["composition"]["fractions"], strict=True))
    assert fractions["M"] == 2 / 6
    assert fractions["K"] == 3 / 6
    assert fractions["W"] == 1 / 6
    assert sum(fractions.values()) == pytest.approx(1.0)
    assert d["length"].tolist() == [4.0, 3.0]


def test_describe_empty() -> None:
    d = SequenceKind(alphabet="dna").describe([])
    assert d["n"] == 0
    assert d["n_distinct"] == 0
    assert d["length"].shape == (0,)
    assert d["gc"].shape == (0,)
    assert d["gc_fraction"] is None
    assert d["composition"]["fractions"] == [0.0] * 4


def test_read_and_validate(tmp_path: Path) -> None:
    path = tmp_path / "in.fa"
    path.write_text(">a\nacgt\n>b\nGGNC\n")
    ex = SequenceKind(alphabet="dna").read(path)
    assert ex.ids == ["a", "b"]
    assert ex.sequences == ["ACGT", "GGNC"]
    assert ex.origins == [(str(path), 1), (str(path), 3)]
    path.write_text(">a\nacgt\n>b\nGGJC\n")
    with pytest.raises(InputError, match=r"in\.fa:4: illegal character 'J'"):
        SequenceKind(alphabet="dna").read(path)
    bad = Examples(["ACGU", "MK"], ["1", "0"], ["s1", "s2"], [("t.tsv", 2), ("t.tsv", 3)])
    with pytest.raises(InputError, match=r"t\.tsv:3: .*'M' at column 1 of record 's2'"):
        SequenceKind(alphabet="rna").validate(bad)
    lower = Examples(["acgu"], ["1"], ["s1"], [("t.tsv", 2)])
    assert SequenceKind(alphabet="rna").validate(lower).sequences == ["ACGU"]


def test_registry() -> None:
    assert set(INPUT_KINDS) == {"sequence", "matrix", "graph", "molecule", "pileup", "track"}
    kind = input_kind("sequence", alphabet="protein")
    assert isinstance(kind, InputKind)
    assert isinstance(kind, SequenceKind)
    assert kind.name == "sequence"
    assert kind == SequenceKind(alphabet="protein", encoding="onehot", unknown="zero")
    with pytest.raises(InputError, match=r"unknown input kind 'image' \(known kinds: "):
        input_kind("image")
    track = input_kind("track", bin_size=128)
    assert isinstance(track, SequenceKind)
    assert track.n_channels() == 4
    with pytest.raises(InputError, match="cut from a genome"):
        track.read("x.fa")
    with pytest.raises(InputError, match="input kind 'sequence'"):
        input_kind("sequence", alfabet="dna")
    with pytest.raises(InputError):
        SequenceKind(alphabet="klingon")  # type: ignore[arg-type]
