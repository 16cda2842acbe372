"""``biodl explain --genome --regions``: attributions of windows centred on BED regions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from biodl.cli import main
from biodl.errors import InputError
from biodl.io import Interval
from biodl.runs import Run
from biodl.testing.variants import PositionWeights, write_genome
from biodl.workflows import explain_regions
from tests.test_genome_predict import write_track_run

pybigwig = pytest.importorskip("pyBigWig")

L = 16
CHR1 = "ACGTTACGATCCAGTAGGCATTACAGTACCGATAGCTTAGCATCGATCGGATCGATTTACGAGCTAGCTACGGCAT"
INDEX = {"A": 0, "C": 1, "G": 2, "T": 3}


class BinnedLinear(nn.Module):
    """Track model: per bin of 4 bp, ``sum W[t] * x`` over the bin: ``(N, T, L // 4)``."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.float(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        per = torch.einsum("bcl,tcl->btl", x, self.weight)
        return per.reshape(per.shape[0], per.shape[1], -1, 4).sum(-1)


def _run(tmp_path: Path, model: nn.Module, outputs: list[str], per_position: bool) -> Run:
    meta = {
        "task": "regression",
        "alphabet": "dna",
        "n_channels": 4,
        "input_length": L,
        "per_position": per_position,
        "labels": {"outputs": outputs},
        "outputs": outputs,
    }
    return Run(path=tmp_path / "run", model=model.eval(), meta=meta)


@pytest.fixture
def genome(tmp_path: Path) -> Path:
    return write_genome(tmp_path / "g.fa", {"chr1": CHR1, "chr2": "ACGT" * 5})


def _bw(path: Path, chrom: str, start: int, end: int) -> np.ndarray:
    bw = pybigwig.open(str(path))
    try:
        return np.array(bw.values(chrom, start, end))
    finally:
        bw.close()


def test_linear_model_attributions_are_exact(genome: Path, tmp_path: Path) -> None:
    weight = torch.randn(1, 4, L, generator=torch.Generator().manual_seed(0))
    run = _run(tmp_path, PositionWeights(weight), ["y"], per_position=False)
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t40\t42\nchr1\t10\t20\nchr2\t0\t4\n")
    done = explain_regions(run, genome, bed, tmp_path / "out", method="input_x_gradient")
    assert (done.n_regions, done.method, done.target) == (3, "input_x_gradient", "y")
    data = np.load(done.npz)
    # genome order; windows of 16 centred on each region (chr2's starts before 0: N)
    assert data["chrom"].tolist() == ["chr1", "chr1", "chr2"]
    assert data["start"].tolist() == [7, 33, -6]
    assert (data["end"] - data["start"]).tolist() == [L, L, L]
    assert data["hypothetical"].shape == (3, 4, L)
    assert data["observed"].shape == (3, L)
    # attribution x input of a linear model: the weight of the base present, 0 for N
    for row, (chrom, start) in enumerate([("chr1", 7), ("chr1", 33), ("chr2", -6)]):
        seq = (CHR1 if chrom == "chr1" else "ACGT" * 5)[max(start, 0) : start + L]
        seq = "N" * (L - len(seq)) + seq
        want = [0.0 if b == "N" else float(weight[0, INDEX[b], i]) for i, b in enumerate(seq)]
        np.testing.assert_allclose(data["observed"][row], want, rtol=1e-6, atol=1e-7)
    # the bigWig holds the same per-base values (chr2: from base 0)
    np.testing.assert_allclose(_bw(done.bigwig, "chr1", 7, 23), data["observed"][0], rtol=1e-6)
    np.testing.assert_allclose(_bw(done.bigwig, "chr2", 0, 10), data["observed"][2][6:], rtol=1e-6)


def test_overlapping_windows_are_averaged(genome: Path, tmp_path: Path) -> None:
    weight = torch.randn(1, 4, L, generator=torch.Generator().manual_seed(1))
    run = _run(tmp_path, PositionWeights(weight), ["y"], per_position=False)
    done = explain_regions(
        run,
        genome,
        [Interval("chr1", 20, 22), Interval("chr1", 26, 28)],
        tmp_path / "out",
        method="input_x_gradient",
    )
    data = np.load(done.npz)
    assert data["start"].tolist() == [13, 19]
    obs = data["observed"]
    got = _bw(done.bigwig, "chr1", 13, 35)
    np.testing.assert_allclose(got[:6], obs[0][:6], rtol=1e-6)
    np.testing.assert_allclose(got[6:16], (obs[0][6:] + obs[1][:10]) / 2, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got[16:], obs[1][10:], rtol=1e-6)


def test_track_model_sums_the_target_track_over_the_regions_bins(
    genome: Path, tmp_path: Path
) -> None:
    weight = torch.randn(2, 4, L, generator=torch.Generator().manual_seed(2))
    run = _run(tmp_path, BinnedLinear(weight), ["a", "b"], per_position=True)
    # region 30-31 in the window 22-38: position 8 of the window, output bin 2 (8-11)
    bed = [Interval("chr1", 30, 31)]
    done = explain_regions(run, genome, bed, tmp_path / "x", method="input_x_gradient", target="b")
    seq = CHR1[22:38]
    want = [float(weight[1, INDEX[b], i]) if 8 <= i < 12 else 0.0 for i, b in enumerate(seq)]
    np.testing.assert_allclose(np.load(done.npz)["observed"][0], want, rtol=1e-6)
    assert np.load(done.npz)["bins"].tolist() == [[2, 3]]
    # a region covering the window explains every bin
    whole = explain_regions(
        run, genome, [Interval("chr1", 22, 38)], tmp_path / "w", method="input_x_gradient",
        target="b",
    )  # fmt: skip
    want = [float(weight[1, INDEX[b], i]) for i, b in enumerate(seq)]
    np.testing.assert_allclose(np.load(whole.npz)["observed"][0], want, rtol=1e-6)
    # DeepSHAP through the bin sum: hypothetical x one-hot gives the observed values
    shap = explain_regions(run, genome, bed, tmp_path / "s", target=1, n_references=3)
    data = np.load(shap.npz)
    x = np.eye(4)[[INDEX[b] for b in seq]].T
    np.testing.assert_allclose(
        (data["hypothetical"][0] * x).sum(0), data["observed"][0], rtol=1e-4, atol=1e-5
    )


def test_errors_and_cli(genome: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_track_run(tmp_path / "run", length=L, bin_size=4)
    bed = tmp_path / "r.bed"
    bed.write_text("chrZ\t0\t5\n")
    with pytest.raises(InputError, match=r"r\.bed:1: chromosome 'chrZ' not in genome"):
        explain_regions(run, genome, bed, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    bed.write_text("chr1\t10\t20\n")
    out = tmp_path / "cli"
    argv = ["explain", "--model", str(run), "--genome", str(genome), "--out", str(out)]
    assert main([*argv, "--regions", str(bed), "--method", "saliency"]) == 0
    assert capsys.readouterr().out.startswith(f"explanations: {out} (1 regions")
    assert sorted(p.name for p in out.iterdir()) == ["attributions.bw", "attributions.npz"]
    assert main(argv) == 2
    assert "needs --model, --genome and --regions" in capsys.readouterr().err
