"""Calls against a truth VCF: normalised allele matching, genotype level, regions, CIs."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from biodl.errors import InputError
from biodl.testing.variants import write_genome
from biodl.variants.calls import GenotypeCall, write_calls
from biodl.variants.evaluation import CallEvaluation, evaluate_calls, variant_type, write_evaluation

# 1-based:      1         11        21        31        41        51
#               |         |         |         |         |         |
CHR1 = "GATTACACGTCCAAAAAAGTACGTTGCATGCATGCAGTCAGGCTAGCTAATCGATCGGAT"
CHR2 = "ACGTACGTACGTACGTACGT"
COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]

Record = tuple[str, int, str, str, str, str]  # chrom, pos, ref, alt, filter, GT


def write_vcf(path: Path, records: Sequence[Record], *, samples: Sequence[str] = ("S",)) -> Path:
    lines = ["##fileformat=VCFv4.2", "\t".join([*COLUMNS, *samples])]
    for chrom, pos, ref, alt, filt, gt in records:
        cells = "\t".join([gt] * len(samples))
        lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t50\t{filt}\t.\tGT\t{cells}")
    path.write_text("\n".join(lines) + "\n")
    return path


TRUTH: list[Record] = [
    ("chr1", 3, "T", "C", "PASS", "0/1"),  # TP
    ("chr1", 6, "CA", "TG", "PASS", "0|1"),  # MNP: two SNVs, called as SNVs
    ("chr1", 12, "CA", "C", "PASS", "1/1"),  # one A of AAAAAA deleted, left-aligned
    ("chr1", 22, "C", "G,T", "PASS", "1/2"),  # multi-allelic, called as two records
    ("chr1", 26, "G", "A", "PASS", "0/1"),  # called 1/2 with an extra allele C
    ("chr1", 30, "G", "A", "PASS", "1/1"),  # called 0/1: genotype mismatch
    ("chr1", 35, "C", "T", "PASS", "0/1"),  # missed: FN
    ("chr1", 44, "T", "TGG", "PASS", "0/1"),  # insertion, TP
    ("chr1", 49, "AAT", "A", "PASS", "0/1"),  # straddles the region's end: ignored
    ("chr1", 55, "T", "A", "PASS", "1/1"),  # outside: ignored
]
CALLS: list[Record] = [
    ("chr1", 3, "T", "C", "PASS", "0/1"),
    ("chr1", 6, "C", "T", "PASS", "0/1"),
    ("chr1", 7, "A", "G", "PASS", "1/0"),
    ("chr1", 13, "A", "C", "PASS", "0/0"),  # reference call: ignored
    ("chr1", 14, "A", "G", "PASS", "./."),  # no-call: ignored
    ("chr1", 18, "AG", "G", "PASS", "1/1"),  # the same deletion, right-shifted
    ("chr1", 22, "C", "G", "PASS", "0/1"),
    ("chr1", 22, "C", "T", "PASS", "0/1"),
    ("chr1", 26, "G", "A,C", ".", "1/2"),
    ("chr1", 30, "G", "A", "PASS", "0/1"),
    ("chr1", 40, "A", "G", "PASS", "0/1"),  # FP
    ("chr1", 44, "T", "TGG", "PASS", "0/1"),
    ("chr1", 45, "A", "C", "LowQual", "0/1"),  # filtered: ignored
    ("chr1", 57, "G", "C", "PASS", "0/1"),  # outside: ignored
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    bed = tmp_path / "conf.bed"
    bed.write_text("chr1\t0\t30\nchr1\t25\t50\nchr2\t0\t10\n")  # merged: chr1 [0, 50)
    return {
        "ref": write_genome(tmp_path / "ref.fa", {"chr1": CHR1, "chr2": CHR2}),
        "bed": bed,
        "truth": write_vcf(tmp_path / "truth.vcf", TRUTH),
        "calls": write_vcf(tmp_path / "calls.vcf", CALLS),
    }


def counts(result: CallEvaluation, kind: str, level: str) -> tuple[int, int, int]:
    m = result.metric(kind, level)
    return m.tp, m.fp, m.fn


def test_exact_counts_at_allele_and_genotype_level(files: dict[str, Path]) -> None:
    r = evaluate_calls(files["calls"], files["truth"], files["bed"], files["ref"], n_bootstrap=0)
    assert counts(r, "SNV", "allele") == (7, 2, 1)
    assert counts(r, "SNV", "genotype") == (6, 3, 2)
    assert counts(r, "INDEL", "allele") == (2, 0, 0)
    assert counts(r, "INDEL", "genotype") == (2, 0, 0)
    assert counts(r, "ALL", "allele") == (9, 2, 1)
    assert counts(r, "ALL", "genotype") == (8, 3, 2)
    snv = r.metric("SNV", "allele")
    assert (snv.truth_total, snv.query_total, snv.gt_mismatch) == (8, 9, 1)
    assert snv.precision == pytest.approx(7 / 9)
    assert snv.recall == pytest.approx(7 / 8)
    assert snv.f1 == pytest.approx(2 * 7 / (2 * 7 + 2 + 1))
    assert r.counts["truth"] == {"records": 10, "outside": 2, "alleles": 10}
    assert r.counts["query"] == {
        "records": 14,
        "non_variant": 2,
        "filtered": 1,
        "outside": 1,
        "alleles": 11,
    }


def test_discrepancy_lists(files: dict[str, Path]) -> None:
    r = evaluate_calls(files["calls"], files["truth"], files["bed"], files["ref"], n_bootstrap=0)
    fps = [(d.pos, d.ref, d.alt, d.reason, d.truth_gt, d.query_gt) for d in r.false_positives]
    assert fps == [
        (26, "G", "C", "allele", "", "1/2"),
        (30, "G", "A", "genotype", "1/1", "0/1"),
        (40, "A", "G", "allele", "", "0/1"),
    ]
    fns = [(d.pos, d.ref, d.alt, d.reason, d.source) for d in r.false_negatives]
    assert fns == [
        (30, "G", "A", "genotype", "truth.vcf:8"),
        (35, "C", "T", "allele", "truth.vcf:9"),
    ]


def test_shifted_deletion_matches_after_normalisation(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    # every spelling of "one A of AAAAAA (13-18) deleted" is the same variant
    for pos, ref, alt in [(12, "CA", "C"), (15, "AA", "A"), (18, "AG", "G"), (16, "AAAG", "AAG")]:
        calls = write_vcf(tmp_path / "c.vcf", [("chr1", pos, ref, alt, "PASS", "1/1")])
        truth = write_vcf(tmp_path / "t.vcf", [("chr1", 18, "AG", "G", "PASS", "1/1")])
        r = evaluate_calls(calls, truth, files["bed"], files["ref"], n_bootstrap=0)
        assert counts(r, "INDEL", "genotype") == (1, 0, 0), (pos, ref, alt)


def test_contigs_renamed_and_unknown_contig(tmp_path: Path, files: dict[str, Path]) -> None:
    renamed = [(c.removeprefix("chr"), p, r, a, f, g) for c, p, r, a, f, g in CALLS]
    calls = write_vcf(tmp_path / "c1.vcf", renamed)
    bed = tmp_path / "b.bed"
    bed.write_text("1\t0\t50\n")
    r = evaluate_calls(calls, files["truth"], bed, files["ref"], n_bootstrap=0)
    assert counts(r, "ALL", "allele") == (9, 2, 1)
    bad = write_vcf(tmp_path / "bad.vcf", [*CALLS[:2], ("chrZ", 5, "A", "G", "PASS", "0/1")])
    with pytest.raises(InputError, match=r"bad\.vcf:5: contig 'chrZ' is not in the reference"):
        evaluate_calls(bad, files["truth"], files["bed"], files["ref"])


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("chr1\tx\t.\tA\tG\t.\tPASS\t.\tGT\t0/1", r"calls\.vcf:4: POS 'x'"),
        ("chr1\t5\t.\tA\tG\t.\tPASS\t.\tGT\t0/2", r"calls\.vcf:4: GT '0/2' is not a genotype"),
        ("chr1\t5\t.\tA\tG\t.\tPASS", r"calls\.vcf:4: VCF record has 7 tab-separated columns"),
        ("chr1\t5\t.\tT\tG\t.\tPASS\t.\tGT\t0/1", r"calls\.vcf:4: REF 'T' does not match .* 'A'"),
    ],
)
def test_bad_record_names_its_line(
    tmp_path: Path, files: dict[str, Path], record: str, message: str
) -> None:
    calls = write_vcf(tmp_path / "calls.vcf", CALLS[:1])
    calls.write_text(calls.read_text() + record + "\n")
    with pytest.raises(InputError, match=message):
        evaluate_calls(calls, files["truth"], files["bed"], files["ref"])


def test_sample_choice_and_unknown_sample(tmp_path: Path, files: dict[str, Path]) -> None:
    lines = ["##fileformat=VCFv4.2", "\t".join([*COLUMNS, "A", "B"])]
    lines.append("chr1\t3\t.\tT\tC\t.\tPASS\t.\tGT\t0/0\t0/1")
    calls = tmp_path / "two.vcf"
    calls.write_text("\n".join(lines) + "\n")
    truth = write_vcf(tmp_path / "t.vcf", [TRUTH[0]])
    first = evaluate_calls(calls, truth, None, files["ref"], n_bootstrap=0)
    second = evaluate_calls(calls, truth, None, files["ref"], sample="B", n_bootstrap=0)
    assert counts(first, "SNV", "allele") == (0, 0, 1)
    assert counts(second, "SNV", "genotype") == (1, 0, 0)
    assert second.settings["sample"] == "B"
    with pytest.raises(InputError, match=r"sample 'C' is not in the VCF \(its samples: A, B\)"):
        evaluate_calls(calls, truth, None, files["ref"], sample="C")


def test_bootstrap_intervals(files: dict[str, Path]) -> None:
    r1 = evaluate_calls(files["calls"], files["truth"], files["bed"], files["ref"], seed=3)
    r2 = evaluate_calls(files["calls"], files["truth"], files["bed"], files["ref"], seed=3)
    assert r1.metrics == r2.metrics
    for m in r1.metrics:
        for value, (lo, hi) in [
            (m.precision, m.precision_ci),
            (m.recall, m.recall_ci),
            (m.f1, m.f1_ci),
        ]:
            assert 0 <= lo <= value <= hi <= 1
    perfect = evaluate_calls(files["truth"], files["truth"], files["bed"], files["ref"])
    assert perfect.metric("ALL", "genotype").f1_ci == (1.0, 1.0)
    snv = r1.metric("SNV", "genotype")
    assert snv.f1_ci[0] < snv.f1 < snv.f1_ci[1]


def test_empty_calls_give_nan_precision(tmp_path: Path, files: dict[str, Path]) -> None:
    calls = write_vcf(tmp_path / "none.vcf", [])
    r = evaluate_calls(calls, files["truth"], files["bed"], files["ref"])
    m = r.metric("ALL", "allele")
    assert (m.tp, m.fp, m.fn) == (0, 0, 10)
    assert math.isnan(m.precision)
    assert m.recall == 0.0
    assert r.to_json()["metrics"][4]["precision"] is None


def test_write_evaluation(tmp_path: Path, files: dict[str, Path]) -> None:
    r = evaluate_calls(files["calls"], files["truth"], files["bed"], files["ref"], n_bootstrap=50)
    paths = write_evaluation(r, tmp_path / "eval")
    assert sorted(p.name for p in (tmp_path / "eval").iterdir()) == [
        "evaluation.json",
        "evaluation.tsv",
        "fn.tsv",
        "fp.tsv",
    ]
    data = json.loads(paths["json"].read_text())
    assert data["metrics"][0]["type"] == "SNV"
    assert data["metrics"][0]["tp"] == 7
    assert data["settings"]["n_bootstrap"] == 50
    table = [line.split("\t") for line in paths["tsv"].read_text().splitlines()]
    assert len(table) == 7
    assert table[0][:7] == [
        "type",
        "level",
        "truth_total",
        "query_total",
        "tp",
        "fn",
        "fp",
    ]
    assert table[2][:7] == ["SNV", "genotype", "8", "9", "6", "2", "3"]
    assert len(paths["fp"].read_text().splitlines()) == 4
    assert paths["fn"].read_text().splitlines()[2].startswith("FN\tallele\tchr1\t35\tC\tT\tSNV")


def test_bgzipped_calls_from_the_writer(tmp_path: Path, files: dict[str, Path]) -> None:
    calls = [
        GenotypeCall("chr1", 3, "T", ("C",), (0, 1), (0.001, 0.99, 0.009)),
        GenotypeCall("chr1", 18, "AG", ("G",), (1, 1), (0.0, 0.01, 0.99)),
        GenotypeCall("chr1", 40, "A", ("G",), (0, 1), (0.85, 0.1, 0.05)),  # LowQual: QUAL 0.7
    ]
    out = write_calls(tmp_path / "calls.vcf.gz", calls, reference=files["ref"], sample="NA1")
    r = evaluate_calls(out.vcf, files["truth"], files["bed"], files["ref"], n_bootstrap=0)
    assert counts(r, "ALL", "genotype") == (2, 0, 8)
    assert r.counts["query"]["filtered"] == 1
    assert r.settings["sample"] == "NA1"


def test_variant_type_rules() -> None:
    assert [
        variant_type(r, a) for r, a in [("A", "C"), ("A", "AC"), ("AC", "T"), ("AC", "GT")]
    ] == [
        "SNV",
        "INDEL",
        "INDEL",
        "MNP",
    ]


GIAB = Path("/work/shared/data/varcall_giab_chr20_mini")


@pytest.mark.slow
@pytest.mark.skipif(not GIAB.is_dir(), reason="the GIAB chr20 mini set is not here")
def test_giab_truth_against_itself() -> None:
    truth = GIAB / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz"
    r = evaluate_calls(
        truth,
        truth,
        GIAB / "test_nist.b37_chr20_100kbp_at_10mb.bed",
        GIAB / "ucsc.hg19.chr20.unittest.fasta.gz",
    )
    for level in ("allele", "genotype"):
        assert counts(r, "SNV", level) == (45, 0, 0)
        assert counts(r, "INDEL", level) == (4, 0, 0)
        assert r.metric("ALL", level).f1 == 1.0
        assert r.metric("ALL", level).f1_ci == (1.0, 1.0)
    assert r.counts["truth"]["records"] == 221
    assert r.counts["truth"]["alleles"] == 49
