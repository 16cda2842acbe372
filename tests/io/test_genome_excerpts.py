"""Excerpt genomes: a FASTA of ``chrom:start-end`` records read as the genome it was cut from.

The pieces below come from one made-up chromosome ``chr1`` (``REF``, 60 bp)::

    bedtools naming (0-based, half-open)    samtools naming (1-based, inclusive)
    chr1:10-20  REF[10:20]                  chr1:11-20  REF[10:20]
    chr1:20-25  REF[20:25] (adjacent)       chr1:21-25  REF[20:25]
    chr1:40-50  REF[40:50]                  chr1:41-50  REF[40:50]
    chr2:5-9    ACGT                        chr2:6-9    ACGT
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io import Genome, Interval, intervals_to_sequences, reverse_complement

REF = "ACGTACGTAA" + "CCGGTTAACC" + "GATCGATCGA" + "TTTTAAAACC" + "GGCCAATTGG" + "ACACACACAC"
PIECES = [("chr1", 10, 20), ("chr1", 40, 50), ("chr2", 5, 9), ("chr1", 20, 25)]


def piece(chrom: str, start: int, end: int) -> str:
    return REF[start:end] if chrom == "chr1" else "ACGT"


def write_excerpts(path: Path, *, one_based: bool = False, extra: str = "") -> Path:
    lines = []
    for chrom, start, end in PIECES:
        name = f"{chrom}:{start + 1}-{end}" if one_based else f"{chrom}:{start}-{end}"
        lines.append(f">{name} w split=train\n{piece(chrom, start, end)}\n")
    path.write_text("".join(lines) + extra)
    return path


@pytest.fixture(params=["bedtools", "samtools"])
def genome(request: pytest.FixtureRequest, tmp_path: Path) -> Genome:
    return Genome(write_excerpts(tmp_path / "x.fa", one_based=request.param == "samtools"))


def test_sizes_and_excerpts(genome: Genome) -> None:
    assert dict(genome.chrom_sizes) == {"chr1": 50, "chr2": 9}
    assert genome.excerpts == (("chr1", 10, 20), ("chr1", 20, 25), ("chr1", 40, 50), ("chr2", 5, 9))
    assert genome.covered("chr1") == [(10, 25), (40, 50)]
    assert genome.covered("chr2") == [(5, 9)]
    assert "chr1" in genome
    assert "chr1:10-20" not in genome
    assert "4 excerpts of 2 sequences" in repr(genome)


def test_fetch_inside_outside_and_across(genome: Genome) -> None:
    assert genome.fetch("chr1", 12, 18) == REF[12:18]  # inside one excerpt
    assert genome.fetch("chr1", 0, 8) == "N" * 8  # before every excerpt
    assert genome.fetch("chr1", 28, 36) == "N" * 8  # between two
    assert genome.fetch("chr1", 17, 23) == REF[17:23]  # across two adjacent excerpts
    assert genome.fetch("chr1", 5, 55) == (
        "N" * 5 + REF[10:25] + "N" * 15 + REF[40:50] + "N" * 5
    )  # across everything, past the last excerpt's end
    assert genome.fetch("chr1", -3, 12) == "N" * 13 + REF[10:12]
    assert genome.fetch("chr1", 38, 42, strand="-") == reverse_complement("NN" + REF[40:42])
    assert genome.fetch("chr2", 0, 12) == "NNNNNACGTNNN"
    assert genome.fetch("chr1", 30, 30) == ""
    with pytest.raises(InputError, match="not in genome"):
        genome.fetch("chr3", 0, 5)
    with pytest.raises(InputError, match="not in genome"):
        genome.covered("chr3")


def test_intervals_to_sequences(genome: Genome) -> None:
    ivs = [Interval("chr1", 18, 22), Interval("chr1", 45, 50, strand="-")]
    got = intervals_to_sequences(ivs, genome, length=None)
    assert got == [REF[18:22], reverse_complement(REF[45:50])]


def test_overlapping_excerpts_that_agree(tmp_path: Path) -> None:
    path = write_excerpts(tmp_path / "x.fa", extra=f">chr1:15-42\n{REF[15:42]}\n")
    with Genome(path) as genome:
        assert genome.covered("chr1") == [(10, 50)]
        assert genome.fetch("chr1", 8, 52) == "NN" + REF[10:50] + "NN"
        assert genome.excerpts is not None
        assert genome.excerpts[:3] == (("chr1", 10, 20), ("chr1", 15, 42), ("chr1", 20, 25))


def test_overlapping_excerpts_that_differ(tmp_path: Path) -> None:
    wrong = REF[18:24].replace("T", "A")
    path = write_excerpts(tmp_path / "x.fa", extra=f">chr1:18-24\n{wrong}\n")
    with pytest.raises(InputError) as err:
        Genome(path)
    text = str(err.value)
    assert text.startswith(f"{path}: records ")
    assert "'chr1:18-24'" in text
    assert "hold different bases" in text


def test_mixed_or_mismatched_names_are_ordinary(tmp_path: Path) -> None:
    mixed = write_excerpts(tmp_path / "m.fa", extra=">chrUn\nACGT\n")
    with Genome(mixed) as genome:
        assert genome.excerpts is None
        assert genome.chrom_sizes["chr1:10-20"] == 10
        assert genome.fetch("chr1:10-20", 0, 3) == REF[10:13]
        assert genome.covered("chrUn") == [(0, 4)]
    wrong_length = tmp_path / "w.fa"
    wrong_length.write_text(">chr1:10-20\nACGT\n")
    with Genome(wrong_length) as genome:
        assert genome.excerpts is None
        assert dict(genome.chrom_sizes) == {"chr1:10-20": 4}
    commas = tmp_path / "c.fa"
    commas.write_text(">chr1:1,000-1,004\nACGT\n")
    with Genome(commas) as genome:
        assert genome.excerpts is None


def test_ordinary_genome_has_no_excerpts(tmp_path: Path) -> None:
    path = tmp_path / "g.fa"
    path.write_text(">chr1\nACGTACGT\n")
    with Genome(path) as genome:
        assert genome.excerpts is None
        assert genome.covered("chr1") == [(0, 8)]


def test_many_excerpts_fetch_matches_reference(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    ref = "".join(rng.choice(list("ACGT"), size=5000))
    starts = np.sort(rng.choice(4900, size=60, replace=False))
    lines = []
    for s in starts:
        e = int(s) + int(rng.integers(1, 100))
        lines.append(f">c:{s}-{e}\n{ref[s:e]}\n")
    path = tmp_path / "many.fa"
    path.write_text("".join(lines))
    covered = np.zeros(5100, dtype=bool)
    for line in lines:
        s, e = (int(x) for x in line[3:].split("\n")[0].split("-"))
        covered[s:e] = True
    with Genome(path) as genome:
        for _ in range(50):
            a = int(rng.integers(-20, 5000))
            b = a + int(rng.integers(0, 400))
            want = "".join(ref[i] if 0 <= i < len(ref) and covered[i] else "N" for i in range(a, b))
            assert genome.fetch("c", a, b) == want


REAL = Path("/work/shared/data/seq2signal_basenji_cage/windows.fa.gz")


@pytest.mark.slow
@pytest.mark.skipif(not REAL.exists(), reason="the Basenji CAGE windows are not here")
def test_real_basenji_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIODL_CACHE_DIR", os.fspath(tmp_path))  # the folder is read-only
    with Genome(REAL) as genome:
        assert genome.excerpts is not None
        assert len(genome.excerpts) == 20
        assert genome.chrom_sizes["chr8"] == 115910387
        assert genome.covered("chr8")[6] == (85927490, 86451778)  # two adjacent windows
        across = genome.fetch("chr8", 86189634 - 5, 86189634 + 5)
        left = genome.fetch("chr8", 85927490, 86189634)
        right = genome.fetch("chr8", 86189634, 86451778)
        assert across == left[-5:] + right[:5]
        assert set(across) <= set("ACGT")
        assert genome.fetch("chr8", 85927490 - 3, 85927490 + 3)[:3] == "NNN"
