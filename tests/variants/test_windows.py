"""Window conventions, written out by hand: anchor L // 2, indels, N padding."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.io import Genome
from biodl.testing.variants import write_genome
from biodl.variants import (
    BlockCache,
    Variant,
    alt_window,
    anchor_index,
    normalize,
    ref_window,
    variant_windows,
)

#         0-based: 01234567890123456789
CHR_A = "TTGACCACACAGTGGATCCA"
CHR_B = "GGGCCCAAAT"


@pytest.fixture(params=[False, True], ids=["plain", "bgzip"])
def genome(request: pytest.FixtureRequest, tmp_path: Path) -> Genome:
    name = "g.fa.gz" if request.param else "g.fa"
    path = write_genome(tmp_path / name, {"chrA": CHR_A, "chrB": CHR_B}, bgzip=request.param)
    g = Genome(path)
    yield g
    g.close()


# (chrom, pos, ref, alt, L, expected ref window, expected alt window)
CASES = [
    # SNV A>G at 1-based 9 (0-based 8): odd L=7 -> anchor index 3
    ("chrA", 9, "A", "G", 7, "CACACAG", "CACGCAG"),
    # even L=6 -> anchor index 3 (the right one of the two middle positions)
    ("chrA", 9, "A", "G", 6, "CACACA", "CACGCA"),
    # deletion of TG, normalised form 0-based 10 AGT>A: ALT pulls in GGA from the right
    ("chrA", 11, "AGT", "A", 7, "CACAGTG", "CACAGGA"),
    ("chrA", 11, "AGT", "A", 6, "CACAGT", "CACAGG"),
    # deletion of CA in a repeat at the chromosome start: N padding on the left
    ("chrA", 5, "CCA", "C", 11, "NTTGACCACAC", "NTTGACCACAG"),
    # insertion T>TAA at 0-based 16: pushes the right flank out
    ("chrA", 17, "T", "TAA", 7, "GGATCCA", "GGATAAC"),
    ("chrA", 17, "T", "TAA", 6, "GGATCC", "GGATAA"),
    # chromosome end (last base, 0-based 9 of chrB): N padding on the right
    ("chrB", 10, "T", "C", 7, "AAATNNN", "AAACNNN"),
    ("chrB", 10, "T", "TGG", 7, "AAATNNN", "AAATGGN"),
    # chromosome start (first base)
    ("chrB", 1, "G", "A", 6, "NNNGGG", "NNNAGG"),
    ("chrB", 1, "G", "A", 1, "G", "A"),
]


@pytest.mark.parametrize(("chrom", "pos", "ref", "alt", "length", "ref_win", "alt_win"), CASES)
def test_windows_by_hand(
    genome: Genome,
    chrom: str,
    pos: int,
    ref: str,
    alt: str,
    length: int,
    ref_win: str,
    alt_win: str,
) -> None:
    v = Variant(chrom, pos, ref, alt)
    assert normalize(v, genome) == v
    assert ref_window(genome, v, length) == ref_win
    assert alt_window(genome, v, length) == alt_win
    cached = BlockCache(genome, block=3, max_blocks=2)
    assert ref_window(cached, v, length) == ref_win
    assert alt_window(cached, v, length) == alt_win
    assert variant_windows(cached, v, length) == (ref_win, alt_win)


def test_anchor_index() -> None:
    assert [anchor_index(n) for n in (1, 2, 3, 4, 5, 101, 1000)] == [0, 1, 1, 2, 2, 50, 500]


def test_long_insertion_cropped_on_the_right(genome: Genome) -> None:
    v = Variant("chrA", 9, "A", "ATTTTTTTT")
    assert alt_window(genome, v, 7) == "CACATTT"


@settings(max_examples=200, deadline=None)
@given(
    seq=st.text(alphabet="ACGT", min_size=1, max_size=40),
    start=st.integers(0, 39),
    ref_len=st.integers(1, 6),
    alt=st.text(alphabet="ACGT", min_size=1, max_size=8),
    length=st.integers(1, 24),
    block=st.integers(1, 9),
)
def test_alt_window_is_the_haplotype_around_the_anchor(
    seq: str, start: int, ref_len: int, alt: str, length: int, block: int
) -> None:
    class G:
        def __init__(self) -> None:
            self.chrom_sizes = {"c": len(seq)}

        def fetch(self, chrom: str, lo: int, hi: int) -> str:
            return seq[lo:hi]

    start = min(start, len(seq) - 1)
    ref = seq[start : start + ref_len]
    v = Variant("c", start + 1, ref, alt)
    pad = "N" * (length + 10)
    a = length // 2
    hap = pad + seq[:start] + alt + seq[start + len(ref) :] + pad
    ref_padded = pad + seq + pad
    g = BlockCache(G(), block=block, max_blocks=2)
    lo = len(pad) + start - a
    assert ref_window(g, v, length) == ref_padded[lo : lo + length]
    assert alt_window(g, v, length) == hap[lo : lo + length]
    assert variant_windows(g, v, length) == (ref_window(g, v, length), alt_window(g, v, length))
    assert ref_window(g, v, length)[a] == ref[0]
    assert alt_window(g, v, length)[a] == alt[0]
