"""``score-variants --prefix``: output names and model prefixes in the VCF's INFO fields,
two models scored into one VCF, the clash error, and old runs keeping their names."""

from __future__ import annotations

import json
from pathlib import Path

import pysam
import pytest

from biodl.cli import main
from biodl.testing.variants import write_genome, write_tiny_run, write_vcf
from biodl.workflows.variants import score_variants_frame, score_vcf

CHR_A = "TTGACCACACAGTGGATCCA" * 3
RECORDS = [("chrA", 9, "rs1", "A", "G,T"), ("chrA", 30, ".", "C", "G")]


def _named(run: Path, names: list[str]) -> Path:
    """Record ``output_names`` in a run's model.json (as training writes them)."""
    meta = json.loads((run / "model.json").read_text())
    meta["output_names"] = names
    (run / "model.json").write_text(json.dumps(meta))
    return run


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("prefix")
    return {
        "genome": write_genome(d / "g.fa", {"chrA": CHR_A}),
        "vcf": write_vcf(d / "in.vcf", RECORDS, contigs={"chrA": 60}),
        "old": write_tiny_run(d / "old"),  # model.json without output_names
        "a": _named(write_tiny_run(d / "ctcf", seed=1), ["bound"]),
        "b": _named(
            write_tiny_run(d / "gata", task="regression", outputs=("x", "y"), seed=2),
            ["GATA1", "GATA2"],
        ),
    }


def _args(inputs: dict[str, Path], model: str, vcf: Path, out: Path, *extra: str) -> list[str]:
    return [
        "score-variants",
        "--model",
        str(inputs[model]),
        "--genome",
        str(inputs["genome"]),
        "--vcf",
        str(vcf),
        "--out",
        str(out),
        *extra,
    ]


def test_old_run_keeps_its_field_names(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "old.vcf"
    assert main(_args(inputs, "old", inputs["vcf"], out)) == 0
    with pysam.VariantFile(str(out)) as vf:
        assert {"BIODL_REF_1", "BIODL_DIFF_1", "BIODL_LOR_1", "BIODL_SKIP"} <= set(vf.header.info)
        description = str(vf.header.info["BIODL_DIFF_1"].description)
    assert "deepbind run" in description
    assert str(inputs["old"].resolve()) in description
    assert "output 1" in description


def test_output_names_and_prefix_name_the_fields(inputs: dict[str, Path], tmp_path: Path) -> None:
    out, tsv = tmp_path / "a.vcf", tmp_path / "a.tsv"
    assert main(_args(inputs, "a", inputs["vcf"], out, "--prefix", "CTCF", "--tsv", str(tsv))) == 0
    with pysam.VariantFile(str(out)) as vf:
        info = set(vf.header.info)
        description = str(vf.header.info["CTCF_DIFF_bound"].description)
        records = list(vf)
    assert {"CTCF_REF_bound", "CTCF_ALT_bound", "CTCF_DIFF_bound", "CTCF_LOR_bound"} <= info
    assert "CTCF_SKIP" in info
    assert not any(key.startswith("BIODL_") for key in info)
    assert "output bound" in description
    assert str(inputs["a"].resolve()) in description
    assert len(records[0].info["CTCF_DIFF_bound"]) == 2
    assert "info_prefix=CTCF" in out.read_text()
    assert tsv.read_text().splitlines()[0].split("\t")[-4:] == [
        "ref_bound",
        "alt_bound",
        "diff_bound",
        "lor_bound",
    ]


def test_two_models_score_one_vcf(inputs: dict[str, Path], tmp_path: Path) -> None:
    first, both = tmp_path / "first.vcf", tmp_path / "both.vcf.gz"
    score_vcf(inputs["a"], inputs["genome"], inputs["vcf"], first, prefix="CTCF")
    assert main(_args(inputs, "b", first, both, "--prefix", "GATA")) == 0
    with pysam.VariantFile(str(both)) as vf:
        info = set(vf.header.info)
        records = list(vf)
    assert {"CTCF_DIFF_bound", "CTCF_SKIP", "GATA_DIFF_GATA1", "GATA_DIFF_GATA2"} <= info
    assert "GATA_LOR_GATA1" not in info  # values, not probabilities
    assert "GATA_SKIP" in info
    for rec in records:
        assert rec.info["CTCF_DIFF_bound"][0] is not None
        assert rec.info["GATA_DIFF_GATA2"][0] is not None
    frame = score_variants_frame(inputs["b"], inputs["genome"], inputs["vcf"])
    assert {"diff_GATA1", "diff_GATA2"} <= set(frame.columns)


def test_same_prefix_twice_is_one_clear_error(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, again = tmp_path / "first.vcf", tmp_path / "again.vcf"
    score_vcf(inputs["a"], inputs["genome"], inputs["vcf"], first, prefix="M")
    capsys.readouterr()
    assert main(_args(inputs, "a", first, again, "--prefix", "M")) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("biodl: error:")
    assert "INFO field M_REF_bound" in err
    assert "--prefix" in err
    assert not again.exists()
    assert not list(tmp_path.glob(".tmp.*"))


@pytest.mark.parametrize("prefix", ["2nd", "a-b", ""])
def test_bad_prefix_exits_2(
    inputs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    prefix: str,
) -> None:
    out = tmp_path / "o.vcf"
    assert main(_args(inputs, "a", inputs["vcf"], out, "--prefix", prefix)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "INFO key" in err
    assert not out.exists()
