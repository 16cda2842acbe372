"""Opening BAMs: index check, contig-name reconciliation, read filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from biodl.errors import InputError
from biodl.io.reads import ReadFilter, contig_aliases, contig_mapping, open_alignments
from tests.bam_helpers import REF, matching, write_bam


def test_contig_aliases_both_ways() -> None:
    assert contig_aliases("20") == ("chr20",)
    assert contig_aliases("chr20") == ("20",)
    assert contig_aliases("chrM") == ("chrMT", "MT", "M")
    assert contig_aliases("M") == ("chrM", "chrMT", "MT")


def test_mapping_keeps_exact_names_and_drops_unmatched() -> None:
    got = contig_mapping(["20", "chr21", "MT", "GL000192.1"], ["chr20", "chr21", "chrM", "21"])
    assert got == {"20": "chr20", "chr21": "chr21", "MT": "chrM"}


def test_mapping_error_names_both_files_and_examples() -> None:
    with pytest.raises(InputError) as err:
        contig_mapping(["1", "2", "3", "4", "5"], {"chrX": 10}, source="r.bam", target="g.fa")
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("r.bam: contig names cannot be reconciled with g.fa")
    assert "r.bam has 1, 2, 3, 4, ...; g.fa has chrX" in text


def test_mapping_length_mismatch_is_another_assembly() -> None:
    with pytest.raises(InputError, match=r"length 100 but 'chr1' in g\.fa has length 300"):
        contig_mapping(["1"], {"chr1": 300}, source="r.bam", target="g.fa", lengths={"1": 100})


def _reads() -> list:
    return [
        matching("ok", 10),
        matching("rev", 12, flag=16),
        matching("dup", 14, flag=1024),
        matching("secondary", 16, flag=256),
        matching("supplementary", 18, flag=2048),
        matching("qcfail", 20, flag=512),
        matching("mapq4", 22, mapq=4),
        matching("mapq5", 24, mapq=5),
        matching("unmapped_flag", 26, flag=4),
    ]


def test_default_filter_and_renamed_fetch(tmp_path: Path) -> None:
    bam = write_bam(tmp_path / "r.bam", _reads(), contigs={"1": len(REF)})
    with open_alignments(bam, genome_contigs={"chr1": len(REF)}) as reads:
        assert dict(reads.contigs) == {"chr1": "1"}
        names = [r.query_name for r in reads.fetch("chr1", 0, 300)]
        assert names == ["ok", "rev", "mapq5"]
        assert list(reads.fetch("chr2", 0, 300)) == []  # a contig the reads lack
        assert [r.query_name for r in reads.fetch("chr1", 49, 50)] == ["ok", "rev", "mapq5"]
        assert [r.query_name for r in reads.fetch("chr1", 50, 52)] == ["rev", "mapq5"]
        assert list(reads.fetch("chr1", 70, 300)) == []


def test_filter_switches(tmp_path: Path) -> None:
    bam = write_bam(tmp_path / "r.bam", _reads())
    keep_all = ReadFilter(
        min_mapping_quality=0,
        keep_duplicates=True,
        keep_secondary=True,
        keep_supplementary=True,
        keep_qc_fail=True,
    )
    with open_alignments(bam, genome_contigs=["1"], read_filter=keep_all) as reads:
        names = {r.query_name for r in reads.fetch("1", 0, 300)}
    assert names == {r.name for r in _reads()} - {"unmapped_flag"}
    with pytest.raises(InputError, match="min_mapping_quality must be >= 0"):
        ReadFilter(min_mapping_quality=-1)


def test_missing_index(tmp_path: Path) -> None:
    bam = write_bam(tmp_path / "r.bam", _reads(), index=False)
    with pytest.raises(InputError, match=r"r\.bam: no index found .*samtools index"):
        open_alignments(bam, genome_contigs=["1"])


def test_unreconcilable_contigs(tmp_path: Path) -> None:
    bam = write_bam(tmp_path / "r.bam", _reads(), contigs={"1": len(REF), "2": 50})
    with pytest.raises(InputError) as err:
        open_alignments(bam, genome_contigs={"chrX": 10}, genome_name="hg19.fa")
    assert "cannot be reconciled with hg19.fa" in str(err.value)
    assert "has 1, 2; hg19.fa has chrX" in str(err.value)


def test_not_a_bam_and_missing(tmp_path: Path) -> None:
    text = tmp_path / "x.bam"
    text.write_text("hello\n")
    with pytest.raises(InputError, match="cannot read as BAM/CRAM"):
        open_alignments(text, genome_contigs=["1"])
    with pytest.raises(InputError, match="file not found"):
        open_alignments(tmp_path / "none.bam", genome_contigs=["1"])
