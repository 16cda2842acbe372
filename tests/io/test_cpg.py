"""Reading single-cell CpG methylation profiles (DeepCpG's chromosome/position/state TSV)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io.cpg import CpgProfile, normalise_chrom, read_cpg_profile

REAL = Path("/work/shared/data/methylation_deepcpg_mini/cpg_profiles")


def write(path: Path, text: str, *, compress: bool = False) -> Path:
    if compress:
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


TEXT = "19\t300\t1.0\n18\t500\t0.0\n18\t100\t1\n"


@pytest.mark.parametrize("compress", [False, True])
def test_reads_plain_and_gzip_sorted(tmp_path: Path, compress: bool) -> None:
    # gzip is detected from the content, so a gzip file named .tsv reads as well
    profile = read_cpg_profile(write(tmp_path / "cell.tsv", TEXT, compress=compress))
    assert profile.chroms.tolist() == ["18", "18", "19"]
    assert profile.positions.tolist() == [100, 500, 300]
    assert profile.states.tolist() == [1.0, 0.0, 1.0]
    assert profile.positions.dtype == np.int64
    assert profile.states.dtype == np.float32
    assert len(profile) == 3
    assert profile.chromosomes == ["18", "19"]


def test_chr_prefix_is_dropped_and_lookups_accept_either(tmp_path: Path) -> None:
    path = write(tmp_path / "c.tsv", "chr18\t5\t1\nChr18\t7\t0\nCHRX\t9\t1\nchr\t1\t0\n")
    profile = read_cpg_profile(path)
    assert profile.chroms.tolist() == ["18", "18", "X", "chr"]
    positions, states = profile.on("chr18")
    assert positions.tolist() == [5, 7]
    assert states.tolist() == [1.0, 0.0]
    assert profile.on("18")[0].tolist() == [5, 7]
    assert profile.on("19")[0].tolist() == []
    assert normalise_chrom(" chr2 ") == "2"


def test_chromosomes_sort_as_strings(tmp_path: Path) -> None:
    profile = read_cpg_profile(write(tmp_path / "c.tsv", "2\t1\t1\n10\t1\t1\n1\t1\t0\n"))
    assert profile.chroms.tolist() == ["1", "10", "2"]


def test_comments_blank_lines_and_space_separated_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "c.tsv", "# cell A\n\n1 10 1\n1\t20\t0\r\n   \n")
    profile = read_cpg_profile(path)
    assert profile.positions.tolist() == [10, 20]


def test_binarise_rounds_like_deepcpg_and_can_be_turned_off(tmp_path: Path) -> None:
    path = write(tmp_path / "c.tsv", "1\t1\t0.49\n1\t2\t0.5\n1\t3\t0.51\n1\t4\t1e-3\n")
    assert read_cpg_profile(path).states.tolist() == [0.0, 0.0, 1.0, 0.0]
    rates = read_cpg_profile(path, binarise=False).states
    np.testing.assert_allclose(rates, [0.49, 0.5, 0.51, 0.001], rtol=1e-6)
    # numpy's round (what DeepCpG uses for its outputs) agrees on [0, 1]
    values = np.linspace(0, 1, 101)
    assert np.array_equal(np.round(values), (values > 0.5).astype(float))


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("1\t10\t1\n1\t20\n", 2, "expected 3 tab-separated columns .* found 2"),
        ("1\t10\t1\t5\n", 1, "found 4"),
        ("1\t10\t1\n1\tabc\t0\n", 2, "position 'abc' .* not an integer"),
        ("1\t1.5\t0\n", 1, "position '1.5'"),
        ("1\t-3\t0\n", 1, "position -3 .* negative"),
        ("1\t10\tyes\n", 1, "state 'yes' .* not a number"),
        ("1\t10\t1\n1\t11\t1.5\n", 2, r"state 1.5 .* outside \[0, 1\]"),
        ("1\t10\t-0.1\n", 1, "outside"),
        ("1\t10\tnan\n", 1, "outside"),
        ("\t10\t1\n", 1, "empty chromosome name"),
        ("1\t10\t1\n2\t10\t0\n1\t10\t0\n", 3, r"duplicate site 1:10 \(also on line 1\)"),
        ("chr1\t10\t1\n1\t10\t0\n", 2, "duplicate site 1:10"),
    ],
)
def test_errors_name_the_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path / "bad.tsv", text)
    with pytest.raises(InputError, match=message) as info:
        read_cpg_profile(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert info.value.line == line


def test_errors_in_gzip_files_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.tsv.gz", "1\t1\t0\n1\t2\t0\n1\t3\t2\n", compress=True)
    with pytest.raises(InputError, match=re.escape(f"{path}:3: methylation state 2")):
        read_cpg_profile(path)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.tsv", "# nothing\n")
    with pytest.raises(InputError, match="no CpG sites"):
        read_cpg_profile(empty)
    with pytest.raises(InputError, match="file not found"):
        read_cpg_profile(tmp_path / "missing.tsv")


def test_profile_checks_its_arrays() -> None:
    with pytest.raises(ValueError, match="sorted"):
        CpgProfile(np.array(["1", "1"]), np.array([5, 3]), np.array([0, 1]))
    with pytest.raises(ValueError, match="sorted"):
        CpgProfile(np.array(["1", "1"]), np.array([5, 5]), np.array([0, 1]))
    with pytest.raises(ValueError, match="differ in length"):
        CpgProfile(np.array(["1"]), np.array([5, 6]), np.array([0, 1]))
    with pytest.raises(ValueError, match="more than once"):
        CpgProfile.from_arrays(["chr1", "1"], [5, 5], [0, 1])
    profile = CpgProfile.from_arrays(["2", "chr1", "1"], [1, 9, 3], [1, 0, 1])
    assert profile.chroms.tolist() == ["1", "1", "2"]
    assert profile.positions.tolist() == [3, 9, 1]
    assert profile.states.tolist() == [1.0, 0.0, 1.0]


@pytest.mark.skipif(not REAL.is_dir(), reason="the DeepCpG test profiles are not here")
def test_reads_the_deepcpg_test_profiles() -> None:
    profile = read_cpg_profile(REAL / "BS27_4_SER.bed.gz")
    assert len(profile) == 10_000
    assert profile.chromosomes == ["18", "19"]
    assert set(np.unique(profile.states).tolist()) == {0.0, 1.0}
    assert abs(float(profile.states.mean()) - 0.407) < 0.001
