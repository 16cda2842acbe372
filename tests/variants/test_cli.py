"""``biodl score-variants`` end to end on a hand-built genome, VCF and tiny run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pysam
import pytest

from biodl.cli import main
from biodl.errors import InputError
from biodl.io import Genome
from biodl.runs import load_run
from biodl.testing.variants import write_genome, write_tiny_run, write_vcf
from biodl.variants import Variant, score_variants
from biodl.workflows.variants import score_vcf

CHR_A = "TTGACCACACAGTGGATCCA" * 3
CHR_B = "GGGCCCAAAT"
RECORDS = [
    ("chrA", 9, "rs1", "A", "G,T"),  # multi-allelic
    ("chrA", 12, "rs2", "GTG", "G"),  # deletion, not left-aligned
    ("chrA", 17, ".", "T", "TAA"),  # insertion
    ("chrA", 20, "sv1", "A", "<DEL>"),  # symbolic
    ("chrA", 30, ".", "C", "G,*"),  # one scored, one spanning deletion
    ("chrB", 1, ".", "G", "A"),  # chromosome start
    ("chrB", 10, ".", "T", "C"),  # chromosome end
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sv")
    genome = write_genome(d / "g.fa.gz", {"chrA": CHR_A, "chrB": CHR_B}, bgzip=True)
    vcf = write_vcf(d / "in.vcf.gz", RECORDS, contigs={"chrA": 60, "chrB": 10}, bgzip=True)
    run = write_tiny_run(d / "run", length=11)
    return {"dir": d, "genome": genome, "vcf": vcf, "run": run}


def _args(inputs: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "score-variants",
        "--model",
        str(inputs["run"]),
        "--genome",
        str(inputs["genome"]),
        "--vcf",
        str(inputs["vcf"]),
        "--out",
        str(out),
        *extra,
    ]


def test_end_to_end(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, tsv = tmp_path / "out.vcf.gz", tmp_path / "out.tsv"
    assert main(_args(inputs, out, "--tsv", str(tsv))) == 0
    printed = capsys.readouterr().out
    assert "records: 7, alleles: 9, scored: 7, skipped: 2" in printed
    assert (tmp_path / "out.vcf.gz.tbi").is_file()
    assert not list(tmp_path.glob(".tmp.*"))

    run = load_run(inputs["run"])
    with Genome(inputs["genome"]) as g:
        variants = [
            Variant(c, p, r, a, i, record=k, allele=j + 1)
            for k, (c, p, i, r, alts) in enumerate(RECORDS)
            for j, a in enumerate(alts.split(","))
        ]
        expected = list(score_variants(run.model, g, variants, length=11, device="cpu"))

    with pysam.VariantFile(str(out)) as vf:
        for key in ("BIODL_REF_1", "BIODL_ALT_1", "BIODL_DIFF_1", "BIODL_LOR_1", "BIODL_SKIP"):
            assert key in vf.header.info
            assert vf.header.info[key].number == "A"
        meta = {r.key: r.value for r in vf.header.records if r.key.startswith("biodl")}
        records = list(vf)
    digest = hashlib.sha256((inputs["run"] / "model.safetensors").read_bytes()).hexdigest()
    assert meta["biodl_model"].endswith(f";sha256={digest}")
    assert meta["biodl_command"].startswith("biodl score-variants --model")
    assert "biodl_version" in meta
    assert [r.pos for r in records] == [r[1] for r in RECORDS]  # records kept, in order
    k = 0
    for rec in records:
        for j in range(len(rec.alts)):
            e = expected[k]
            if e.status == "scored":
                assert rec.info["BIODL_DIFF_1"][j] == pytest.approx(float(e.diff[0]), abs=1e-6)
                assert rec.info["BIODL_LOR_1"][j] == pytest.approx(float(e.lor[0]), rel=1e-5)
            else:
                assert rec.info["BIODL_SKIP"][j] == e.reason
            k += 1
    assert records[3].info["BIODL_SKIP"] == ("symbolic_allele",)
    assert records[4].info["BIODL_SKIP"] == (".", "spanning_deletion")
    assert records[4].info["BIODL_DIFF_1"][1] is None

    rows = [line.split("\t") for line in tsv.read_text().splitlines()]
    header = rows[0]
    assert header[:10] == [
        "chrom",
        "pos",
        "id",
        "ref",
        "alt",
        "norm_pos",
        "norm_ref",
        "norm_alt",
        "status",
        "reason",
    ]
    assert header[10:] == ["ref_1", "alt_1", "diff_1", "lor_1"]
    assert len(rows) == 10
    deletion = dict(zip(header, rows[3], strict=True))
    assert (deletion["pos"], deletion["norm_pos"], deletion["norm_ref"]) == ("12", "11", "AGT")
    np.testing.assert_allclose(float(deletion["diff_1"]), expected[2].diff[0], rtol=1e-5, atol=1e-9)


def test_tsv_input_plain_vcf_output_and_drop_skipped(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    table = tmp_path / "v.tsv"
    table.write_text("chrom\tpos\tref\talt\nchrA\t9\tA\tG,T\nchrA\t20\tA\t<DEL>\nchrB\t10\tT\tC\n")
    out = tmp_path / "o.vcf"
    args = _args(inputs, out, "--drop-skipped")
    args[args.index("--vcf") + 1] = str(table)
    assert main(args) == 0
    with pysam.VariantFile(str(out)) as vf:
        recs = [(r.contig, r.pos, r.ref, r.alts) for r in vf]
        assert "chrA" in vf.header.contigs
    assert recs == [("chrA", 9, "A", ("G", "T")), ("chrB", 10, "T", ("C",))]


def test_strand_default_follows_augmentation(inputs: dict[str, Path], tmp_path: Path) -> None:
    run = write_tiny_run(tmp_path / "rc_run", length=11, augment_rc=True)
    out = tmp_path / "o.vcf"
    score_vcf(run, inputs["genome"], inputs["vcf"], out)
    assert "strands=both" in out.read_text()


def test_ref_mismatch_error_exits_2(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vcf = write_vcf(tmp_path / "bad.vcf", [("chrA", 9, "rsX", "C", "G")])
    args = _args(inputs, tmp_path / "o.vcf.gz")
    args[args.index("--vcf") + 1] = str(vcf)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "bad.vcf: record 'chrA:9:C>G rsX'" in err
    assert "genome 'A'" in err
    assert not (tmp_path / "o.vcf.gz").exists()
    assert not list(tmp_path.glob(".tmp.*"))
    assert main([*args, "--ref-mismatch", "warn"]) == 0
    assert "biodl: warning:" in capsys.readouterr().err


@pytest.mark.parametrize("what", ["bad_vcf", "missing_genome", "ism_without_tsv"])
def test_bad_input_exits_2_with_one_line(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    args = _args(inputs, tmp_path / "o.vcf.gz")
    if what == "bad_vcf":
        bad = tmp_path / "bad.vcf"
        bad.write_text(
            "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchrA\t9\n"
        )
        args[args.index("--vcf") + 1] = str(bad)
        message = "bad.vcf:3: VCF record has 2"
    elif what == "missing_genome":
        args[args.index("--genome") + 1] = str(tmp_path / "nope.fa")
        message = "nope.fa: file not found"
    else:
        args += ["--ism-window", "3"]
        message = "--tsv"
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("biodl: error:")
    assert message in err


def test_unsorted_vcf_written_without_index(inputs: dict[str, Path], tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "u.vcf", [("chrA", 17, ".", "T", "C"), ("chrA", 9, ".", "A", "G")])
    out = tmp_path / "u.out.vcf.gz"
    (tmp_path / "u.out.vcf.gz.tbi").write_text("stale")
    score_vcf(inputs["run"], inputs["genome"], vcf, out)
    assert not (tmp_path / "u.out.vcf.gz.tbi").exists()
    with pysam.VariantFile(str(out)) as vf:
        assert [r.pos for r in vf] == [17, 9]


def test_ism_column(inputs: dict[str, Path], tmp_path: Path) -> None:
    tsv = tmp_path / "o.tsv"
    assert main([*_args(inputs, tmp_path / "o.vcf"), "--tsv", str(tsv), "--ism-window", "3"]) == 0
    rows = [line.split("\t") for line in tsv.read_text().splitlines()]
    assert rows[0][-1] == "ism_1"
    assert len(rows[1][-1].split(",")) == 12
    assert rows[5][-1] == "NA"  # the skipped <DEL>


def test_no_alt_record_kept_unchanged(inputs: dict[str, Path], tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "n.vcf", [("chrA", 9, "r0", "A", "."), ("chrA", 9, "r1", "A", "G")])
    out, tsv = tmp_path / "n.out.vcf", tmp_path / "n.tsv"
    score_vcf(inputs["run"], inputs["genome"], vcf, out, tsv=tsv)
    body = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    assert body[0] == "chrA\t9\tr0\tA\t.\t.\tPASS\t."
    assert "BIODL_DIFF_1=" in body[1]
    assert tsv.read_text().splitlines()[1].split("\t")[8:10] == ["skipped", "no_alt"]
    score_vcf(inputs["run"], inputs["genome"], vcf, out, drop_skipped=True)
    assert [ln.split("\t")[2] for ln in out.read_text().splitlines() if ln[0] != "#"] == ["r1"]


def test_header_only_vcf_gives_header_only_output(inputs: dict[str, Path], tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "e.vcf", [])
    out = tmp_path / "e.out.vcf"
    score_vcf(inputs["run"], inputs["genome"], vcf, out)
    lines = out.read_text().splitlines()
    assert lines[-1].startswith("#CHROM")
    assert any(line.startswith("##INFO=<ID=BIODL_DIFF_1,") for line in lines)
    empty = tmp_path / "e.tsv"
    empty.write_text("chrom\tpos\tref\talt\n")
    with pytest.raises(InputError, match="no variant records"):
        score_vcf(inputs["run"], inputs["genome"], empty, tmp_path / "e2.vcf")
    assert not (tmp_path / "e2.vcf").exists()
