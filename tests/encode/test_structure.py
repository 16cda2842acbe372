"""RNA secondary structure features, checked against ViennaRNA on known hairpins."""

from __future__ import annotations

import concurrent.futures
import doctest
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import biodl.encode.structure
from biodl.encode import (
    Fold,
    fold,
    one_hot,
    pair_probabilities,
    paired_probability,
    sequence_and_structure,
    structure_one_hot,
    structure_tensor,
)
from biodl.errors import InputError

needs_rna = pytest.mark.skipif(
    importlib.util.find_spec("RNA") is None, reason="ViennaRNA is not installed"
)

HAIRPIN = "GGGGAAACCCC"
LET7A1 = (  # hsa-let-7a-1 precursor (miRBase MI0000060)
    "UGGGAUGAGGUAGUAGGUUGUAUAGUUUUAGGGUCACACCCACCACUGGGAGAUAACUAUACAAUCUACUGUCUUUCC"
)
RANDOM = [  # fixed pseudo-random 40-mers, with a repeat and an N
    "".join(np.random.default_rng(seed).choice(list("ACGU"), 40)) for seed in range(10)
]
RANDOM[3] = RANDOM[3][:20] + "N" + RANDOM[3][21:]
RANDOM.append(RANDOM[0])


def partners(structure: str) -> list[int]:
    """Independent dot-bracket parser: partner of each position, -1 if unpaired."""
    out = [-1] * len(structure)
    stack: list[int] = []
    for i, char in enumerate(structure):
        if char == "(":
            stack.append(i)
        elif char == ")":
            j = stack.pop()
            out[i], out[j] = j, i
    assert not stack
    return out


def check_fold(f: Fold) -> None:
    assert len(f.structure) == len(f.sequence) == f.pairs.shape[0]
    assert f.pairs.dtype == np.int64
    assert f.pairs.tolist() == partners(f.structure)
    paired = np.flatnonzero(f.pairs >= 0)
    np.testing.assert_array_equal(f.pairs[f.pairs[paired]], paired)  # symmetric
    assert not f.pairs.flags.writeable


# ---------------------------------------------------------------------------------------
# MFE structure


@needs_rna
def test_gc_hairpin() -> None:
    (f,) = fold([HAIRPIN])
    assert f.structure == "((((...))))"
    assert f.mfe < 0
    assert f.mfe == pytest.approx(-4.5)
    assert f.pairs.tolist() == [10, 9, 8, 7, -1, -1, -1, 3, 2, 1, 0]
    check_fold(f)


@needs_rna
def test_let7a1_precursor_is_one_stem_loop() -> None:
    (f,) = fold(LET7A1)
    check_fold(f)
    # One hairpin loop: every '(' comes before every ')', around a run of dots.
    assert re.fullmatch(r"[(.]*\(\.+\)[).]*", f.structure), f.structure
    assert f.structure.rfind("(") < f.structure.find(")")
    assert f.structure.count("(") >= 25  # a long stem
    assert f.mfe < -25


@needs_rna
def test_dna_lower_case_n_and_empty() -> None:
    dna, lower, rna = fold(["GGGGTTTCCCC", "ggggtttcccc", "GGGGUUUCCCC"])
    assert dna == lower == rna
    assert dna.sequence == "GGGGUUUCCCC"
    (masked,) = fold(["GGGGNNNNNNN"])
    assert masked.structure == "." * 11
    assert masked.mfe == 0.0
    assert str(masked.mfe) == "0.0"  # never -0.0
    (empty,) = fold([""])
    assert empty.structure == ""
    assert empty.pairs.shape == (0,)
    assert fold([]) == []


@needs_rna
def test_temperature_melts_the_hairpin() -> None:
    cold, hot = fold(HAIRPIN)[0], fold(HAIRPIN, temperature=80.0)[0]
    assert hot.mfe > cold.mfe
    assert fold(HAIRPIN, temperature=37)[0] == cold


@needs_rna
def test_fold_equality_and_hash() -> None:
    a, b, c = fold([HAIRPIN, HAIRPIN, "GGGAAACCC"])
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert a != "((((...))))"


# ---------------------------------------------------------------------------------------
# Partition function


@needs_rna
def test_pair_probabilities_properties() -> None:
    seqs = [HAIRPIN + "A" * 67, LET7A1]
    P = pair_probabilities(seqs)
    assert P.shape == (2, 78, 78)
    assert P.dtype == np.float32
    np.testing.assert_array_equal(P, P.transpose(0, 2, 1))
    assert P.min() >= 0
    assert P.max() <= 1
    assert (P.sum(axis=2) <= 1 + 1e-5).all()
    np.testing.assert_array_equal(np.diagonal(P, axis1=1, axis2=2), 0)
    # The MFE pairs of the strong GC hairpin are the likely ones.
    (f,) = fold(HAIRPIN)
    (P1,) = pair_probabilities([HAIRPIN])
    for i, j in enumerate(f.pairs):
        if j >= 0:
            assert P1[i, j] > 0.5
    # paired_probability is the row sum.
    p = paired_probability(seqs)
    assert p.shape == (2, 1, 78)
    np.testing.assert_allclose(p[:, 0], np.clip(P.sum(axis=2), 0, 1), atol=1e-6)


@needs_rna
def test_pair_probabilities_match_viennarna() -> None:
    import RNA

    compound = RNA.fold_compound(LET7A1)
    _, mfe = compound.mfe()
    compound.exp_params_rescale(mfe)
    compound.pf()
    expected = np.asarray(compound.bpp())[1:, 1:]
    P = pair_probabilities([LET7A1.lower().replace("u", "t")])[0]
    np.testing.assert_allclose(np.triu(P, 1), expected, atol=1e-6)


@needs_rna
def test_input_errors() -> None:
    with pytest.raises(InputError, match=r"same length.*pad_or_crop_all"):
        pair_probabilities(["ACGU", "ACG"])
    with pytest.raises(InputError, match="same length"):
        structure_one_hot(["ACGU", "ACG"])
    with pytest.raises(InputError, match="max_length=3"):
        pair_probabilities(["ACGU"], max_length=3)
    with pytest.raises(InputError, match="illegal character 'R' at column 3 of sequence 1"):
        fold(["ACGU", "ACRU"])
    with pytest.raises(InputError, match="temperature"):
        fold(["ACGU"], temperature=float("nan"))
    with pytest.raises(InputError, match="temperature"):
        fold(["ACGU"], temperature=-300.0)
    with pytest.raises(InputError, match="n_jobs"):
        fold(["ACGU"], n_jobs=0)
    with pytest.raises(InputError, match="illegal character 'T'"):
        sequence_and_structure(["ACGT"], alphabet="rna")
    with pytest.raises(InputError, match="alphabet"):
        sequence_and_structure(["ACGT"], alphabet="protein")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Per-position channels


@needs_rna
def test_structure_one_hot_and_sequence_and_structure() -> None:
    seqs = [HAIRPIN + "AAAA", "GGGAAACCCAAAAAA", "NNNNNNNNNNNNNNN"]
    S = structure_one_hot(seqs)
    assert S.shape == (3, 3, 15)
    assert S.dtype == np.float32
    np.testing.assert_array_equal(S.sum(axis=1), 1)
    for row, f in zip(S, fold(seqs), strict=True):
        assert "".join("().."[int(c)] for c in row.argmax(axis=0)) == f.structure
    X = sequence_and_structure(seqs)
    assert X.shape == (3, 8, 15)
    np.testing.assert_array_equal(X[:, :4], one_hot(seqs, alphabet="rna"))
    np.testing.assert_array_equal(X[:, 4:7], S)
    np.testing.assert_allclose(X[:, 7:], paired_probability(seqs), atol=1e-7)
    assert not X[2, 7].any()  # N never pairs
    dna = sequence_and_structure([s.replace("U", "T") for s in seqs], alphabet="dna")
    np.testing.assert_array_equal(dna, X)
    assert sequence_and_structure([]).shape == (0, 8, 0)
    assert structure_one_hot(HAIRPIN).shape == (1, 3, 11)


# ---------------------------------------------------------------------------------------
# Cache, parallel runs, missing dependency


@needs_rna
def test_cache_is_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seqs = [HAIRPIN, LET7A1]
    folds = fold(seqs, cache_dir=tmp_path)
    P = pair_probabilities([LET7A1], cache_dir=tmp_path)
    files = sorted(tmp_path.glob("*/*.npz"))
    assert len(files) == 3  # mfe of both, bpp of LET7A1 (its mfe file was rewritten)
    for path in files:
        with np.load(path, allow_pickle=False) as stored:
            assert str(stored["sequence"]) in seqs
            assert all(stored[name].dtype != object for name in stored.files)

    def fail(task: Any) -> Any:
        raise AssertionError(f"folded {task[0]} again instead of reading the cache")

    monkeypatch.setattr(biodl.encode.structure, "_fold_one", fail)
    assert fold(seqs, cache_dir=tmp_path) == folds
    np.testing.assert_array_equal(pair_probabilities([LET7A1], cache_dir=tmp_path), P)
    with pytest.raises(AssertionError, match="folded"):  # other temperature: other key
        fold(seqs, cache_dir=tmp_path, temperature=40.0)
    with pytest.raises(AssertionError, match="folded"):  # no cache_dir: no disk cache
        fold(seqs)


@needs_rna
def test_corrupt_cache_file_is_recomputed(tmp_path: Path) -> None:
    (expected,) = fold([HAIRPIN], cache_dir=tmp_path)
    (path,) = tmp_path.glob("*/*.npz")
    path.write_bytes(b"not a zip file")
    assert fold([HAIRPIN], cache_dir=tmp_path) == [expected]
    with np.load(path, allow_pickle=False) as stored:
        assert str(stored["structure"]) == expected.structure
    assert not list(tmp_path.glob("*/.*.tmp"))


@needs_rna
def test_each_distinct_sequence_is_folded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = biodl.encode.structure._fold_one

    def counting(task: tuple[str, float, bool]) -> Any:
        calls.append(task[0])
        return real(task)

    monkeypatch.setattr(biodl.encode.structure, "_fold_one", counting)
    sequence_and_structure([HAIRPIN, HAIRPIN, HAIRPIN.lower()])
    assert calls == [HAIRPIN]


@needs_rna
def test_parallel_equals_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    serial_folds = fold(RANDOM, n_jobs=1)
    serial_probs = pair_probabilities(RANDOM, n_jobs=1)
    pools: list[int] = []

    class CountingPool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(biodl.encode.structure, "_PARALLEL_MIN_SECONDS", 0.0)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", CountingPool)
    assert fold(RANDOM, n_jobs=2) == serial_folds
    np.testing.assert_array_equal(pair_probabilities(RANDOM, n_jobs=2), serial_probs)
    assert len(pools) == 2


def test_missing_viennarna_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "RNA", None)
    message = re.escape("pip install 'biodl[rna]' (or pip install ViennaRNA)")
    for function in (fold, pair_probabilities, structure_one_hot, sequence_and_structure):
        with pytest.raises(ModuleNotFoundError, match=message):
            function(["GGGGAAACCCC"])


def test_importing_biodl_encode_does_not_import_viennarna() -> None:
    code = "import sys, biodl.encode; sys.exit('RNA' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@needs_rna
def test_docstring_examples() -> None:
    result = doctest.testmod(biodl.encode.structure, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# ---------------------------------------------------------------------------------------
# The packed (N, 8 + L, L) tensor


def dot_bracket(channels: np.ndarray) -> str:
    """Dot-bracket from the three structure rows; '-' where all three are zero."""
    return "".join(
        "().-"[k] if channels[:, i].any() else "-" for i, k in enumerate(channels.argmax(axis=0))
    )


@needs_rna
def test_structure_tensor_of_a_hairpin() -> None:
    X = structure_tensor([HAIRPIN, "GGGAAACCCAA"], dtype=np.float32)
    assert X.shape == (2, 8 + 11, 11)
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X[:, :4], one_hot([HAIRPIN, "GGGAAACCCAA"], alphabet="rna"))
    folds = fold([HAIRPIN, "GGGAAACCCAA"])
    assert [dot_bracket(x[4:7]) for x in X] == [f.structure for f in folds]
    np.testing.assert_array_equal(X[:, 8:], pair_probabilities([HAIRPIN, "GGGAAACCCAA"]))
    np.testing.assert_array_equal(X[:, 7:8], paired_probability([HAIRPIN, "GGGAAACCCAA"]))
    np.testing.assert_array_equal(X[:, 8:], X[:, 8:].transpose(0, 2, 1))
    np.testing.assert_allclose(X[:, 7], np.clip(X[:, 8:].sum(axis=2), 0, 1), atol=1e-6)
    assert X.min() >= 0
    assert X.max() <= 1


@needs_rna
def test_structure_tensor_folds_only_the_core_of_padded_sequences() -> None:
    core = structure_tensor(LET7A1, dtype=np.float32)[0]
    length = len(LET7A1)
    left, right = 7, 12
    padded = structure_tensor(
        ["N" * left + LET7A1 + "N" * right, "n" * (length + left + right)], dtype=np.float32
    )
    assert padded.shape == (2, 8 + length + left + right, length + left + right)
    x = padded[0]
    cols = slice(left, left + length)
    np.testing.assert_array_equal(x[:8, cols], core[:8])
    np.testing.assert_array_equal(x[8 + left : 8 + left + length, cols], core[8:])
    mask = np.zeros(x.shape, dtype=bool)
    mask[:8, cols] = True
    mask[8 + left : 8 + left + length, cols] = True
    assert not x[~mask].any()  # every row and column of a padding position is zero
    assert dot_bracket(x[4:7]) == "-" * left + fold(LET7A1)[0].structure + "-" * right
    assert not padded[1].any()  # all N: all zero


@needs_rna
def test_structure_tensor_keeps_inner_n_and_reads_dna_as_rna() -> None:
    seq = "NNGGGGANACCCCN"
    X = structure_tensor([seq, seq.replace("A", "T").lower()], dtype=np.float32)
    core = "GGGGANACCCC"
    np.testing.assert_array_equal(X[0, 8 + 2 : 8 + 13, 2:13], pair_probabilities(core)[0])
    assert dot_bracket(X[0, 4:7]) == "--" + fold(core)[0].structure + "-"
    assert not X[0, :4, 7].any()  # the inner N: no nucleotide, but it has a structure row
    assert X[0, 6, 7] == 1
    rna = structure_tensor("NNGGGGUNUCCCCN", dtype=np.float32)[0]
    np.testing.assert_array_equal(X[1], rna)  # DNA and lower case read as RNA
    assert X[1, 3, 6] == 1  # T in the U row


@needs_rna
def test_structure_tensor_dtype_errors_and_empty_batch() -> None:
    X16 = structure_tensor([HAIRPIN])
    assert X16.dtype == np.float16
    X32 = structure_tensor([HAIRPIN], dtype=np.float32)
    np.testing.assert_array_equal(X16, X32.astype(np.float16))
    np.testing.assert_allclose(X16, X32, atol=1e-3)
    assert structure_tensor([]).shape == (0, 8, 0)
    with pytest.raises(InputError, match=r"same length.*pad_or_crop_all"):
        structure_tensor([HAIRPIN, HAIRPIN + "N"])
    with pytest.raises(InputError, match="floating"):
        structure_tensor([HAIRPIN], dtype=np.int8)
    with pytest.raises(InputError, match="illegal character 'R'"):
        structure_tensor(["ACRU"])


@needs_rna
def test_structure_tensor_folds_each_distinct_core_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []
    real = biodl.encode.structure._fold_one

    def counting(task: tuple[str, float, bool]) -> Any:
        calls.append(task[0])
        return real(task)

    monkeypatch.setattr(biodl.encode.structure, "_fold_one", counting)
    seqs = ["NN" + HAIRPIN + "NN", "N" + HAIRPIN + "NNN", HAIRPIN.lower() + "NNNN", "N" * 15]
    X = structure_tensor(seqs, cache_dir=tmp_path)
    assert calls == [HAIRPIN]
    np.testing.assert_array_equal(X[1, 8 + 1 : 8 + 12, 1:12], X[0, 8 + 2 : 8 + 13, 2:13])
    np.testing.assert_array_equal(X[2, 8 : 8 + 11, :11], X[0, 8 + 2 : 8 + 13, 2:13])
    calls.clear()
    np.testing.assert_array_equal(structure_tensor(seqs, cache_dir=tmp_path), X)
    assert calls == []  # read back from the cache, shared with pair_probabilities
    np.testing.assert_array_equal(
        pair_probabilities(HAIRPIN, cache_dir=tmp_path)[0].astype(np.float16),
        X[0, 8 + 2 : 8 + 13, 2:13],
    )
    assert calls == []
