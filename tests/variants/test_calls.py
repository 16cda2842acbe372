"""Genotype calls: GQ/QUAL/PL arithmetic, FILTER, and the bgzipped, indexed VCF."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pysam
import pytest

from biodl import __version__
from biodl.errors import InputError
from biodl.io.atomic import OutputError
from biodl.testing.variants import write_genome
from biodl.variants.calls import (
    GenotypeCall,
    call_filter,
    genotype_index,
    genotypes,
    phred,
    write_calls,
)

CHR1 = "GATTACACGTCCAAAAAAGTACGTTGCATGCATGCAGTCA"
CHR2 = "ACGTACGTACGTACGTACGT"


def test_phred_and_genotype_order() -> None:
    assert phred(0.001) == pytest.approx(30.0)
    assert phred(0.0) == 1000.0
    assert genotypes(1) == [(0, 0), (0, 1), (1, 1)]
    assert [genotype_index(*g) for g in genotypes(3)] == list(range(10))


def test_quality_arithmetic_on_exact_probabilities() -> None:
    call = GenotypeCall("chr1", 3, "T", ("C",), (0, 1), (0.001, 0.99, 0.009))
    assert (call.gq, call.qual, call.pl) == (20, 30.0, (30, 0, 20))
    hom = GenotypeCall("chr1", 3, "T", ("C",), (1, 1), (0.0001, 0.0009, 0.999))
    assert (hom.gq, hom.qual, hom.pl) == (30, 40.0, (40, 30, 0))
    sure = GenotypeCall("chr1", 3, "T", ("C",), (1, 1), (0.0, 0.0, 1.0))
    assert (sure.gq, sure.qual, sure.pl) == (99, 1000.0, (1000, 1000, 0))  # GQ capped
    ref = GenotypeCall.from_probabilities("chr1", 3, "T", ("C",), (0.5, 0.25, 0.25))
    assert (ref.genotype, ref.is_reference, ref.gq, ref.qual) == ((0, 0), True, 3, 3.01)
    assert call_filter(ref) == "RefCall"
    two = GenotypeCall.from_probabilities(
        "chr1", 3, "T", ("C", "G"), (0.01, 0.01, 0.01, 0.01, 0.95, 0.01)
    )
    assert (two.genotype_text, two.gq, two.qual) == ("1/2", 13, 20.0)


def test_filters_and_ties() -> None:
    low = GenotypeCall("chr1", 3, "T", ("C",), (0, 1), (0.85, 0.1, 0.05))
    assert (round(low.qual, 2), call_filter(low), call_filter(low, min_qual=0.5)) == (
        0.71,
        "LowQual",  # below the default QUAL 1 (DeepVariant's --qual_filter)
        "PASS",
    )
    own = GenotypeCall("chr1", 3, "T", ("C",), (0, 1), (0.1, 0.8, 0.1), filters=("lowDP",))
    assert call_filter(own) == "lowDP"
    tie = GenotypeCall.from_probabilities("chr1", 3, "T", ("C",), (0.2, 0.4, 0.4))
    assert tie.genotype == (0, 1)


@pytest.mark.parametrize(
    ("alts", "gt", "probs", "message"),
    [
        ((), (0, 1), (1.0,), "no ALT"),
        (("C",), (0, 2), (0.1, 0.8, 0.1), "not diploid"),
        (("C",), (0, 1), (0.5, 0.5), "2 genotype probabilities"),
        (("C",), (0, 1), (0.5, 0.6, 0.1), "sum to 1"),
    ],
)
def test_bad_calls(
    alts: tuple[str, ...], gt: tuple[int, int], probs: tuple[float, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        GenotypeCall("chr1", 3, "T", alts, gt, probs)


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    ref = write_genome(tmp_path / "ref.fa", {"chr1": CHR1, "chr2": CHR2})
    pysam.faidx(str(ref))
    return ref


def test_vcf_round_trip(tmp_path: Path, reference: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.safetensors").write_bytes(b"weights")
    calls = [
        GenotypeCall(
            "chr2", 5, "A", ("G",), (1, 1), (0.0, 0.01, 0.99), depth=10, allele_depths=(1, 9)
        ),
        GenotypeCall(
            "chr1", 12, "CA", ("C",), (0, 1), (0.001, 0.99, 0.009), depth=20, allele_depths=(11, 8)
        ),
        GenotypeCall("chr1", 3, "T", ("C", "G"), (1, 2), (0.0, 0.0, 0.0, 0.0, 1.0, 0.0)),
        GenotypeCall("chr1", 20, "T", ("C",), (0, 0), (0.9, 0.09, 0.01)),
    ]
    out = tmp_path / "calls.vcf.gz"
    written = write_calls(
        out,
        calls,
        reference=reference,
        sample="NA12878",
        command="biodl call reads.bam",
        model=run,
        settings={"min_qual": 20, "window": 221},
    )
    assert (written.vcf, written.index) == (out, Path(f"{out}.tbi"))
    assert (written.records, written.reference_calls_left_out) == (3, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "calls.vcf.gz",
        "calls.vcf.gz.tbi",
        "ref.fa",
        "ref.fa.fai",
        "run",
    ]
    with pysam.VariantFile(str(out)) as vcf:
        assert list(vcf.header.samples) == ["NA12878"]
        assert dict(vcf.header.contigs.items()).keys() == {"chr1", "chr2"}
        assert vcf.header.contigs["chr1"].length == len(CHR1)
        assert {"GT", "GQ", "DP", "AD", "VAF", "PL"} <= set(vcf.header.formats)
        assert {"PASS", "RefCall", "LowQual"} <= set(vcf.header.filters)
        records = list(vcf)
        assert [(r.chrom, r.pos) for r in records] == [("chr1", 3), ("chr1", 12), ("chr2", 5)]
        mid = records[1].samples["NA12878"]
        assert (mid["GT"], mid["GQ"], mid["DP"], mid["AD"], mid["PL"]) == (
            (0, 1),
            20,
            20,
            (11, 8),
            (30, 0, 20),
        )
        assert mid["VAF"] == (pytest.approx(0.4),)
        assert records[1].qual == pytest.approx(30.0)
        assert list(records[1].filter) == ["PASS"]
        assert records[0].samples["NA12878"]["GT"] == (1, 2)
        assert [r.pos for r in vcf.fetch("chr2", 0, 10)] == [5]  # the index works
        meta = {r.key: r.value for r in vcf.header.records if r.value is not None}
    digest = hashlib.sha256(b"weights").hexdigest()
    assert meta["source"] == f"biodl {__version__}"
    assert meta["reference"] == reference.resolve().as_uri()
    assert meta["biodl_version"] == __version__
    assert meta["biodl_command"] == "biodl call reads.bam"
    assert meta["biodl_model"] == f"{run.resolve()};sha256={digest}"
    assert meta["biodl_genome"] == str(reference.resolve())
    assert meta["biodl_calling"] == "min_qual=20;window=221"
    assert len(meta["fileDate"]) == 8


def test_reference_calls_on_request_and_plain_text(tmp_path: Path) -> None:
    calls = [GenotypeCall("c", 2, "A", ("G",), (0, 0), (0.9, 0.09, 0.01))]
    out = write_calls(tmp_path / "c.vcf", calls, contigs={"c": 10}, include_reference=True)
    assert out.index is None
    lines = out.vcf.read_text().splitlines()
    assert "##contig=<ID=c,length=10>" in lines
    assert lines[-1] == "c\t2\t.\tA\tG\t0.46\tRefCall\t.\tGT:GQ:DP:AD:VAF:PL\t0/0:10:.:.:.:0,10,20"


def test_write_errors_leave_nothing(tmp_path: Path, reference: Path) -> None:
    bad = [GenotypeCall("chrX", 2, "A", ("G",), (0, 1), (0.0, 1.0, 0.0))]
    with pytest.raises(InputError, match="record 'chrX:2:A>G': call on contig 'chrX'"):
        write_calls(tmp_path / "x.vcf.gz", bad, reference=reference)
    with pytest.raises(InputError, match="needs the contigs"):
        write_calls(tmp_path / "x.vcf.gz", [])
    with pytest.raises(InputError, match="sample name"):
        write_calls(tmp_path / "x.vcf.gz", [], contigs={"c": 1}, sample="a\tb")
    with pytest.raises(OutputError, match="is an input"):
        write_calls(reference, [], reference=reference)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.fa", "ref.fa.fai"]
