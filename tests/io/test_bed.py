"""BED/narrowPeak reading, the genome wrapper and windows cut from it.

The genome below is small enough that every expected window is written out by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io import Genome, Interval, fixed_window, intervals_to_sequences, read_bed
from biodl.io import bed as bed_module

CHR1 = "ACGTTGCAAC" + "GATTACAGGC" + "TTAACCGGTA"  # 30 bp
CHR2 = "GGGGGAAAAA" + "CCCCCTTTTT"  # 20 bp
GENOME_TEXT = (
    ">chr1 first\nACGTTGCAAC\nGATTACAGGC\nTTAACCGGTA\n"
    ">chr2\nGGGGGAAAAA\nCCCCCTTTTT\n"
    ">chr3\nacgtnACGTR\n"
)


@pytest.fixture
def genome(tmp_path: Path) -> Genome:
    path = tmp_path / "genome.fa"
    path.write_text(GENOME_TEXT)
    return Genome(path)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- read_bed -----------------------------------------------------------------------


def test_read_bed_variants(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.bed",
        "browser position chr1:1-10\ntrack name=peaks\n# comment\n\n"
        "chr1\t2\t8\n"
        "chr2\t3\t8\tpeak2\t900\t-\n"
        "chr1\t10\t20\tp3\t.\t+\t5.1\t3.2\t1.5\t3\n"
        "chr2 0 5 spaced\n",
    )
    assert read_bed(path) == [
        Interval("chr1", 2, 8, line=5),
        Interval("chr2", 3, 8, "peak2", 900.0, "-", line=6),
        Interval("chr1", 10, 20, "p3", None, "+", summit=3, line=7),
        Interval("chr2", 0, 5, "spaced", line=8),
    ]


def test_narrowpeak_without_summit(tmp_path: Path) -> None:
    path = write(tmp_path / "p.narrowPeak", "chr1\t10\t20\t.\t0\t.\t1\t1\t1\t-1\n")
    assert read_bed(path)[0].summit is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("chr1\t10", "expected at least 3 tab-separated columns (chrom, start, end), found 2"),
        ("chr1\tten\t20", "start 'ten' is not an integer"),
        ("chr1\t10\t2e3", "end '2e3' is not an integer"),
        ("chr1\t-5\t20", "start -5 is negative"),
        ("chr1\t20\t20", "start 20 is not less than end 20"),
        ("chr1\t30\t20", "start 30 is not less than end 20"),
        ("chr1\t10\t20\tp\t0\tplus", "strand 'plus' must be '+', '-' or '.'"),
        ("chr1\t10\t20\tp\thigh", "score 'high' is not a number"),
        ("chr1\t10\t20\tp\t0\t+\t1\t1\t1\t10", "summit offset 10 (column 10) is outside"),
    ],
)
def test_read_bed_errors(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path / "bad.bed", f"track x\nchr1\t0\t5\n{line}\n")
    with pytest.raises(InputError) as info:
        read_bed(path)
    assert str(info.value).startswith(f"{path}:3: {message}")


# --- Genome -------------------------------------------------------------------------


def test_genome_sizes_and_fetch(genome: Genome) -> None:
    assert dict(genome.chrom_sizes) == {"chr1": 30, "chr2": 20, "chr3": 10}
    assert "chr2" in genome
    assert "chrZ" not in genome
    assert genome.fetch("chr1", 8, 13) == "ACGAT"
    assert genome.fetch("chr2", -3, 2) == "NNNGG"
    assert genome.fetch("chr2", 18, 23) == "TTNNN"
    assert genome.fetch("chr2", 25, 28) == "NNN"
    assert genome.fetch("chr2", -5, -2) == "NNN"
    assert genome.fetch("chr2", 3, 8, strand="-") == "TTTCC"
    assert genome.fetch("chr3", 0, 10) == "ACGTNACGTN"  # lower case up, IUPAC R -> N
    assert genome.fetch("chr1", 0, 30) == CHR1
    genome.close()


def test_genome_errors(genome: Genome, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"chromosome 'chrZ' not in genome genome\.fa"):
        genome.fetch("chrZ", 0, 5)
    with pytest.raises(InputError, match="file not found"):
        Genome(tmp_path / "absent.fa")
    ragged = write(tmp_path / "ragged.fa", ">a\nACGT\nAC\nACGT\n")
    with pytest.raises(InputError, match="cannot index genome"):
        Genome(ragged)


def test_index_goes_to_cache_when_folder_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    fasta = write(folder / "g.fa", GENOME_TEXT)
    cache = tmp_path / "cache"
    monkeypatch.setenv("BIODL_CACHE_DIR", str(cache))
    real_access = os.access

    def no_write_in_folder(path: object, mode: int, **kwargs: object) -> bool:
        target = Path(str(path))
        if mode == os.W_OK and folder in (target, target.parent):
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(bed_module.os, "access", no_write_in_folder)
    with Genome(fasta) as genome:
        assert genome.fetch("chr2", 0, 3) == "GGG"
    assert not (folder / "g.fa.fai").exists()
    assert len(list((cache / "biodl" / "faidx").glob("g.fa.*.fai"))) == 1


def test_existing_index_is_used(tmp_path: Path) -> None:
    fasta = write(tmp_path / "g.fa", GENOME_TEXT)
    Genome(fasta).close()
    index = tmp_path / "g.fa.fai"
    assert index.read_text().splitlines()[0].split("\t")[:2] == ["chr1", "30"]


# --- windows ------------------------------------------------------------------------


def test_fixed_window_convention() -> None:
    assert fixed_window(Interval("c", 10, 20), 4) == (13, 17)
    assert fixed_window(Interval("c", 10, 20), 5) == (13, 18)
    assert fixed_window(Interval("c", 10, 21), 5) == (13, 18)
    assert fixed_window(Interval("c", 10, 20, summit=3), 5) == (11, 16)
    assert fixed_window(Interval("c", 10, 20, summit=3), 5, centre="midpoint") == (13, 18)
    with pytest.raises(InputError, match="at least 1"):
        fixed_window(Interval("c", 10, 20), 0)


def test_intervals_to_sequences_by_hand(genome: Genome) -> None:
    intervals = [
        Interval("chr1", 2, 8),  # plain interval
        Interval("chr2", 3, 8, strand="-"),  # minus strand
        Interval("chr1", 0, 4),  # window runs past the chromosome start
        Interval("chr2", 15, 20),  # window runs past the chromosome end
        Interval("chr2", 15, 20, strand="-"),
        Interval("chr1", 10, 20, summit=3),  # narrowPeak summit
        Interval("chr3", 0, 10),
    ]
    assert intervals_to_sequences(intervals, genome, length=None) == [
        "GTTGCA",
        "TTTCC",
        "ACGT",
        "TTTTT",
        "AAAAA",
        "GATTACAGGC",
        "ACGTNACGTN",
    ]
    assert intervals_to_sequences(intervals, genome, length=8) == [
        # centre 5, window 1..9
        "CGTTGCAA",
        # chr2 centre 5, window 1..9 = GGGGAAAA, reverse complement
        "TTTTCCCC",
        # centre 2, window -2..6
        "NNACGTTG",
        # centre 17, window 13..21
        "CCTTTTTN",
        "NAAAAAGG",
        # summit 13, window 9..17
        "CGATTACA",
        # centre 5, window 1..9
        "CGTNACGT",
    ]
    assert intervals_to_sequences(intervals[5:6], genome, length=5) == ["ATTAC"]
    assert intervals_to_sequences(intervals[5:6], genome, length=5, centre="midpoint") == ["TACAG"]
    assert CHR2[13:20] == "CCTTTTT"


def test_chromosome_not_in_genome(genome: Genome, tmp_path: Path) -> None:
    bed = write(tmp_path / "peaks.bed", "chr1\t0\t5\nchrZ\t0\t5\n")
    with pytest.raises(InputError) as info:
        intervals_to_sequences(read_bed(bed), genome, length=4, path=bed)
    assert str(info.value).startswith(f"{bed}:2: chromosome 'chrZ' not in genome genome.fa")


def test_interval_past_chromosome_end(genome: Genome, tmp_path: Path) -> None:
    bed = write(tmp_path / "peaks.bed", "chr2\t0\t5\nchr2\t15\t25\n")
    with pytest.raises(InputError) as info:
        intervals_to_sequences(read_bed(bed), genome, length=None, path=bed)
    assert str(info.value) == (
        f"{bed}:2: interval chr2:15-25 ends at 25, past the end of chromosome 'chr2' "
        "(length 20) in genome genome.fa"
    )


def test_bgzip_fetch_at_a_block_start(tmp_path: Path) -> None:
    """pyfaidx 0.9.2 fails when a fetch starts on a BGZF block's first byte: read around it."""
    bgzf = pytest.importorskip("Bio.bgzf")
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), size=140_000))
    lines = [seq[i : i + 60] for i in range(0, len(seq), 60)]
    text = ">chrA\n" + "\n".join(lines) + "\n"
    path = tmp_path / "g.fa.gz"
    with bgzf.BgzfWriter(str(path), "wb") as fh:
        fh.write(text.encode())
    with Genome(path) as genome:
        # every start around the first two block boundaries (bytes 65,536 and 131,072)
        for boundary in (65_536, 131_072):
            base = (boundary - len(">chrA\n")) // 61 * 60
            for start in range(base - 70, base + 70):
                assert genome.fetch("chrA", start, start + 30) == seq[start : start + 30]
