"""Track models (per-position runs) in score-variants: SAD = sum over bins of ALT - REF."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pysam
import pytest
import torch
from torch import nn

from biodl.cli import main
from biodl.encode import one_hot
from biodl.errors import InputError
from biodl.io import Genome as BedGenome
from biodl.runs import load_run
from biodl.testing.variants import write_genome, write_vcf
from biodl.variants import Variant, sad_bins_slice, score_variants, variant_windows
from biodl.workflows.variants import score_variants_frame, score_vcf
from tests.test_genome_predict import write_track_run

CHROM = "ACGTTACGATCCAGTAGGCATTACAGTACCGATAGCTTAGCATCGATCGGATCGATTTACGAGCTAGCTACGGCAT" * 2


class BinnedCount(nn.Module):
    """Per bin: the number of G in it (``(N, 4, L)`` to ``(N, 1, L // bin)``)."""

    def __init__(self, bin_size: int) -> None:
        super().__init__()
        self.bin_size = bin_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = x[:, 2, :]
        return g.reshape(len(g), 1, -1, self.bin_size).sum(-1)


class Genome:
    chrom_sizes: ClassVar[dict[str, int]] = {"c": len(CHROM)}

    def fetch(self, chrom: str, start: int, end: int) -> str:
        pad = "N" * max(0, -start)
        return pad + CHROM[max(start, 0) : max(end, 0)] + "N" * max(0, end - len(CHROM))


def _one(model: nn.Module, v: Variant, **options: object) -> tuple[float, float, float]:
    [s] = score_variants(model, Genome(), [v], length=16, task="regression", **options)  # type: ignore[arg-type]
    assert s.status == "scored", s.reason
    assert s.ref is not None
    assert s.alt is not None
    assert s.diff is not None
    return float(s.ref[0]), float(s.alt[0]), float(s.diff[0])


def test_sad_of_a_counting_model_is_exact() -> None:
    # 1-based 10 is CHROM[9] = "T"; the 16-bp window [1, 17), CGTTACGA TCCAGTAG, has 4 G
    v = Variant("c", 10, "T", "G")
    ref_seq, _ = variant_windows(Genome(), v, 16)
    assert ref_seq.count("G") == 4
    assert _one(BinnedCount(4), v) == (4.0, 5.0, 1.0)
    # only the bin holding the variant (window bases 8-11, TCCA) changes
    assert _one(BinnedCount(4), v, sad_bins=1) == (0.0, 1.0, 1.0)
    # both strands: G on the other strand is C here; T>G gains a G, no C lost: 0.5
    assert _one(BinnedCount(4), v, strands="both")[2] == pytest.approx(0.5)
    assert _one(BinnedCount(4), Variant("c", 11, "C", "G"), strands="both")[2] == 0.0


def test_sad_bins_sums_the_bins_around_the_variant() -> None:
    v = Variant("c", 10, "TCCAG", "T")  # a deletion pulls 4 bases in from the right
    ref_seq, alt_seq = variant_windows(Genome(), v, 16)
    sel = sad_bins_slice(16, 4, 2)
    assert sel == slice(1, 3)
    want = [
        sum(s[b * 4 : b * 4 + 4].count("G") for b in range(sel.start, sel.stop))
        for s in (ref_seq, alt_seq)
    ]
    ref, alt, diff = _one(BinnedCount(4), v, sad_bins=2)
    assert (ref, alt, diff) == (want[0], want[1], want[1] - want[0])
    with pytest.raises(InputError, match="--sad-bins must be between 1"):
        _one(BinnedCount(4), v, sad_bins=5)
    with pytest.raises(InputError, match="--ism-window needs a model with one value"):
        _one(BinnedCount(4), v, ism_window=3)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("track")
    return {
        "genome": write_genome(d / "g.fa", {"c": CHROM}),
        "vcf": write_vcf(d / "in.vcf", [("c", 40, "v1", "G", "T,A")], contigs={"c": len(CHROM)}),
        "run": write_track_run(d / "run", length=64, bin_size=8, outputs=("DNase", "CAGE")),
    }


def test_vcf_fields_and_tsv_of_a_track_run(files: dict[str, Path], tmp_path: Path) -> None:
    out, tsv = tmp_path / "o.vcf", tmp_path / "o.tsv"
    result = score_vcf(files["run"], files["genome"], files["vcf"], out, tsv=tsv, sad_bins=3)
    assert result.scored == 2
    with pysam.VariantFile(str(out)) as vcf:
        info = vcf.header.info
        for key in ("BIODL_REF_DNase", "BIODL_ALT_CAGE", "BIODL_DIFF_CAGE"):
            assert key in info
        assert "BIODL_LOR_DNase" not in info
        assert "SAD for DIFF" in info["BIODL_DIFF_DNase"].description
        assert "sad_bins=3" in str(vcf.header)
        record = next(iter(vcf))
        diffs = record.info["BIODL_DIFF_DNase"]
    # the same numbers from the run's model by hand: sum over the 3 centred bins
    run = load_run(files["run"])
    with BedGenome(files["genome"]) as fasta:
        ref_seq, alt_seq = variant_windows(fasta, Variant("c", 40, "G", "T"), 64)
    with torch.no_grad():
        z = run.model(torch.from_numpy(one_hot([ref_seq, alt_seq], dtype=np.float32)))
    sel = sad_bins_slice(64, 8, 3)
    sums = z[:, 0, sel].double().sum(-1).numpy()
    assert diffs[0] == pytest.approx(sums[1] - sums[0], rel=1e-4, abs=1e-5)
    header = tsv.read_text().splitlines()[0].split("\t")
    assert header[-6:] == [
        "ref_DNase",
        "alt_DNase",
        "diff_DNase",
        "ref_CAGE",
        "alt_CAGE",
        "diff_CAGE",
    ]
    frame = score_variants_frame(files["run"], files["genome"], files["vcf"], sad_bins=3)
    assert frame["diff_DNase"].iloc[0] == pytest.approx(sums[1] - sums[0], rel=1e-4, abs=1e-5)


def test_cli_sad_bins_and_refusals(files: dict[str, Path], tmp_path: Path) -> None:
    argv = ["score-variants", "--model", str(files["run"]), "--genome", str(files["genome"])]
    argv += ["--vcf", str(files["vcf"])]
    assert main([*argv, "--out", str(tmp_path / "a.vcf"), "--strands", "both"]) == 0
    assert main([*argv, "--out", str(tmp_path / "b.vcf"), "--sad-bins", "9"]) == 2
    assert main([*argv, "--out", str(tmp_path / "c.vcf"), "--ism-window", "3", "--tsv",
                 str(tmp_path / "c.tsv")]) == 2  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.vcf"]
