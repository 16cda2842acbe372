"""Reading VCF/TSV, splitting multi-allelic records, and vt-style normalisation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.errors import InputError
from biodl.io import Genome
from biodl.testing.variants import write_genome, write_vcf
from biodl.variants import (
    Variant,
    check_alleles,
    iter_records,
    normalize,
    read_variants,
    sniff_variant_format,
    vcf_header,
)

# 0-based:  0123456789012345678 9
CHR_A = "TTGACCACACAGTGGATCCA"


class StrGenome:
    """A genome held in a dict, N outside the chromosome (as biodl.io.Genome)."""

    def __init__(self, chroms: dict[str, str]) -> None:
        self.chroms = chroms
        self.chrom_sizes = {k: len(v) for k, v in chroms.items()}

    def fetch(self, chrom: str, start: int, end: int) -> str:
        seq = self.chroms[chrom]
        inner = seq[max(start, 0) : max(min(end, len(seq)), 0)]
        return "N" * max(0, -start) + inner + "N" * max(0, end - max(len(seq), start))


@pytest.fixture
def genome(tmp_path: Path) -> Genome:
    g = Genome(write_genome(tmp_path / "g.fa", {"chrA": CHR_A}))
    yield g
    g.close()


def test_vcf_records_split_and_kept_verbatim(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path / "v.vcf.gz",
        [("chrA", 9, "rs1", "A", "G,T"), ("chrA", 17, ".", "T", "TAA")],
        contigs={"chrA": 20},
        bgzip=True,
        info="X=1;Y=a,b",
    )
    assert sniff_variant_format(path) == "vcf"
    records = list(iter_records(path))
    assert [len(v) for _, v in records] == [2, 1]
    line, (g, t) = records[0]
    assert line == "chrA\t9\trs1\tA\tG,T\t.\tPASS\tX=1;Y=a,b"
    assert (g.alt, g.allele, t.alt, t.allele, t.record, g.id) == ("G", 1, "T", 2, 0, "rs1")
    assert vcf_header(path)[-1].startswith("#CHROM")


def test_bcf_read_with_pysam(tmp_path: Path) -> None:
    import pysam

    vcf = write_vcf(tmp_path / "v.vcf", [("chrA", 9, "rs1", "A", "G,T")], contigs={"chrA": 20})
    bcf = tmp_path / "v.bcf"
    with (
        pysam.VariantFile(str(vcf)) as src,
        pysam.VariantFile(str(bcf), "wb", header=src.header) as dst,
    ):
        for rec in src:
            dst.write(rec)
    assert sniff_variant_format(bcf) == "bcf"
    assert [str(v) for v in read_variants(bcf)] == ["chrA:9:A>G", "chrA:9:A>T"]
    assert vcf_header(bcf)[-1].startswith("#CHROM")


def test_tsv_with_and_without_header(tmp_path: Path) -> None:
    a = tmp_path / "a.tsv"
    a.write_text("chrom\tpos\tref\talt\nchrA\t9\ta\tg,T\n")
    b = tmp_path / "b.tsv"
    b.write_text("# comment\nchrA\t9\tA\tG\tmyid\n")
    assert [str(v) for v in read_variants(a)] == ["chrA:9:A>G", "chrA:9:A>T"]
    assert [v.id for v in read_variants(b)] == ["myid"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chrA\t0\tA\tG\n", "1-based"),
        ("chrA\tx\tA\tG\n", "1-based"),
        ("chrA\t5\tA\n", "4 tab-separated"),
    ],
)
def test_bad_tsv_names_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "v.tsv"
    path.write_text("chrom\tpos\tref\talt\n" + text)
    with pytest.raises(InputError, match=rf"v.tsv:2: .*{message}"):
        list(read_variants(path))


def test_bad_vcf_names_line(tmp_path: Path) -> None:
    path = tmp_path / "v.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchrA\t5\t.\tA\n"
    )
    with pytest.raises(InputError, match=r"v.vcf:3: VCF record has 4 .* columns"):
        list(read_variants(path))


def test_missing_file() -> None:
    with pytest.raises(InputError, match="file not found"):
        list(read_variants("/nonexistent/v.vcf"))


@pytest.mark.parametrize(
    ("alt", "reason"),
    [
        ("<DEL>", "symbolic_allele"),
        ("<NON_REF>", "symbolic_allele"),
        ("*", "spanning_deletion"),
        (".", "no_alt"),
        ("G]chrA:3]", "breakend"),
        ("[chrA:3[G", "breakend"),
        ("G.", "breakend"),
        (".G", "breakend"),
        ("GRT", "invalid_allele"),
        ("A", "ref_equals_alt"),
        ("G", None),
    ],
)
def test_check_alleles(alt: str, reason: str | None) -> None:
    assert check_alleles(Variant("chrA", 9, "A", alt)) == reason


@pytest.mark.parametrize(
    ("pos", "ref", "alt", "expected"),
    [
        # deletion of one CA unit of the CACACA run (0-based 5-10), three spellings
        (9, "ACA", "A", (5, "CCA", "C")),
        (8, "CACA", "CA", (5, "CCA", "C")),
        (5, "CCA", "C", (5, "CCA", "C")),
        # deletion of GT/TG at 0-based 11-13
        (12, "GTG", "G", (11, "AGT", "A")),
        (10, "CAGT", "CA", (11, "AGT", "A")),
        # untrimmed SNV and MNP-like spellings
        (8, "CAC", "CGC", (9, "A", "G")),
        (9, "AC", "GC", (9, "A", "G")),
        # insertion of AC in the run, written right-shifted, becomes left-most
        (11, "A", "ACA", (5, "C", "CCA")),
        # insertion already normalised
        (17, "T", "TAA", (17, "T", "TAA")),
    ],
)
def test_normalize_by_hand(
    genome: Genome, pos: int, ref: str, alt: str, expected: tuple[int, str, str]
) -> None:
    assert genome.fetch("chrA", pos - 1, pos - 1 + len(ref)) == ref
    v = normalize(Variant("chrA", pos, ref, alt), genome)
    assert (v.pos, v.ref, v.alt) == expected


def test_normalize_at_chromosome_start() -> None:
    g = StrGenome({"c": "AAAATTTT"})
    assert normalize(Variant("c", 3, "AAT", "AT"), g) == Variant("c", 1, "AA", "A")
    assert normalize(Variant("c", 2, "AA", "A"), g) == Variant("c", 1, "AA", "A")


def _haplotype(seq: str, v: Variant) -> str:
    return seq[: v.start] + v.alt + seq[v.start + len(v.ref) :]


@settings(max_examples=300, deadline=None)
@given(
    seq=st.text(alphabet="AC", min_size=12, max_size=30),
    start=st.integers(0, 29),
    ref_len=st.integers(1, 5),
    alt=st.text(alphabet="ACG", min_size=1, max_size=5),
)
def test_normalize_keeps_haplotype_and_is_parsimonious(
    seq: str, start: int, ref_len: int, alt: str
) -> None:
    start = min(start, len(seq) - 1)
    ref = seq[start : start + ref_len]
    if ref == alt:
        return
    g = StrGenome({"c": seq})
    v = Variant("c", start + 1, ref, alt)
    n = normalize(v, g)
    assert _haplotype(seq, n) == _haplotype(seq, v)
    assert seq[n.start : n.start + len(n.ref)] == n.ref
    assert normalize(n, g) == n  # idempotent
    assert n.ref
    assert n.alt
    assert not (len(n.ref) > 1 and len(n.alt) > 1 and n.ref[0] == n.alt[0])
    if n.start > 0:
        assert n.ref[-1] != n.alt[-1]  # cannot shift further left
