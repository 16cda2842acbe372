"""``biodl predict --genome``: track and scalar models tiled along a small genome."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from biodl.cli import main
from biodl.encode import one_hot
from biodl.errors import InputError
from biodl.io import Genome
from biodl.runs import RUN_FORMAT, RUN_FORMAT_VERSION, load_run, save_weights
from biodl.testing.variants import write_genome, write_tiny_run
from biodl.workflows import predict_genome

pybigwig = pytest.importorskip("pyBigWig")

LENGTH, BIN = 64, 8  # track model: 8 bins of 8 bp


def write_track_run(
    folder: Path,
    *,
    length: int = LENGTH,
    bin_size: int = BIN,
    outputs: Sequence[str] = ("signal",),
    loss: str = "mse",
    augment_rc: bool = False,
    seed: int = 0,
) -> Path:
    """A seeded, untrained per-position dilated ResNet run (profile head)."""
    from biodl.models import ModelIO, create_model

    folder.mkdir(parents=True, exist_ok=True)
    params: dict[str, Any] = {"n_filters": 8, "n_blocks": 2, "head": "profile"}
    params["bin_size"] = bin_size
    io = ModelIO(4, length, len(outputs), alphabet="dna", per_position=True)
    torch.manual_seed(seed)
    model = create_model("dilated_resnet", params, io=io)
    with torch.no_grad():  # a non-trivial residual tower and batch norm
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.3 if "weight" in name else 0.1))
    save_weights(folder / "model.safetensors", model)
    meta = {
        "format": RUN_FORMAT,
        "format_version": RUN_FORMAT_VERSION,
        "task": "regression",
        "loss": loss,
        "architecture": {"name": "dilated_resnet", "params": params},
        "alphabet": "dna",
        "n_channels": 4,
        "input_length": length,
        "per_position": True,
        "labels": {"outputs": list(outputs)},
        "outputs": list(outputs),
        "augment": {"reverse_complement": augment_rc},
    }
    (folder / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def _random_dna(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list("ACGT"), size=n))


@pytest.fixture(scope="module")
def genome(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("genome")
    chrom2 = "N" * 130 + _random_dna(1104, 2)  # 1234 bp, the first two windows all N
    return write_genome(d / "g.fa", {"chr1": _random_dna(5000, 1), "chr2": chrom2})


@pytest.fixture(scope="module")
def track_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_track_run(tmp_path_factory.mktemp("run") / "run", loss="poisson")


def _direct(run_dir: Path, genome: Path, chrom: str, start: int, *, both: bool = False) -> Any:
    """The run's scores ``(T, B)`` (or ``(T,)``) of one window, computed by hand."""
    run = load_run(run_dir)
    with Genome(genome) as g:
        seq = g.fetch(chrom, start, start + run.input_length)
    x = torch.from_numpy(one_hot([seq], alphabet="dna", dtype=np.float32))
    with torch.no_grad():
        z = run.model(x)
        if both:
            rc = run.model(x.flip((-2, -1)))
            z = 0.5 * (z + (rc.flip(-1) if rc.ndim == 3 else rc))
    z = z[0].double().numpy()
    return np.exp(z) if run.meta.get("loss") == "poisson" else z


def _intervals(path: Path, chrom: str) -> list[tuple[int, int, float]]:
    bw = pybigwig.open(str(path))
    try:
        return list(bw.intervals(chrom) or ())
    finally:
        bw.close()


def test_track_model_tiles_every_bin_once(genome: Path, track_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "pred.bw"
    done = predict_genome(track_run, genome, out, tile=1, batch_size=7, device="cpu")
    assert done.paths == (out,)
    assert done.kind == "track"
    assert done.bin_size == BIN
    chr1 = _intervals(out, "chr1")
    starts = [s for s, _, _ in chr1]
    assert starts == list(range(0, 5000, BIN))
    assert all(e == min(s + BIN, 5000) for s, e, _ in chr1)
    values = np.array([v for *_, v in chr1])
    # windows at 0 and 64: eight bins each, equal to the model run by hand
    for start in (0, 64 * 10):
        expected = _direct(track_run, genome, "chr1", start)[0]
        np.testing.assert_allclose(values[start // BIN : start // BIN + 8], expected, rtol=1e-5)
    # the last window is shifted back to end at the bin holding base 4999: [4936, 5000)
    last = _direct(track_run, genome, "chr1", 4936)[0]
    np.testing.assert_allclose(values[-1], last[-1], rtol=1e-5)
    # chr2: the first two windows are all N (nothing written), the last bin is cut at 1234
    chr2 = _intervals(out, "chr2")
    assert chr2[0][0] == 128
    assert chr2[-1][:2] == (1232, 1234)
    assert [s for s, _, _ in chr2] == list(range(128, 1234, BIN))
    shifted = _direct(track_run, genome, "chr2", 1176)[0]  # runs 6 bp past the end
    np.testing.assert_allclose(chr2[-1][2], shifted[-1], rtol=1e-5)
    assert done.n_bases == 5000 + 1234 - 128
    assert done.n_windows == -(-5000 // 64) + -(-1234 // 64) - 2


def test_several_tracks_and_chroms(genome: Path, tmp_path: Path) -> None:
    run = write_track_run(tmp_path / "run", outputs=("a", "b"), seed=3)
    out = tmp_path / "pred.bw"
    done = predict_genome(run, genome, out, tile=5, chroms=["chr1"], device="cpu")
    assert [p.name for p in done.paths] == ["pred.a.bw", "pred.b.bw"]
    expected = _direct(run, genome, "chr1", 0)
    for path, row in zip(done.paths, expected, strict=True):
        got = [v for *_, v in _intervals(path, "chr1")[:8]]
        np.testing.assert_allclose(got, row, rtol=1e-5, atol=1e-6)
        assert _intervals(path, "chr2") == []


def test_both_strands_average_with_the_bins_flipped(
    genome: Path, track_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "both.bw"
    done = predict_genome(track_run, genome, out, tile=1, strands="both", device="cpu")
    assert done.strands == "both"
    got = [v for *_, v in _intervals(out, "chr1")[8:16]]
    np.testing.assert_allclose(got, _direct(track_run, genome, "chr1", 64, both=True)[0], rtol=1e-5)
    # the default follows the run's reverse-complement augmentation
    rc_run = write_track_run(tmp_path / "rc", augment_rc=True, loss="poisson")
    assert predict_genome(rc_run, genome, tmp_path / "d.tsv", tile=1).strands == "both"


def test_track_regions_short_and_overlapping(genome: Path, track_run: Path, tmp_path: Path) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t1050\t1200\nchr2\t300\t330\nchr1\t1000\t1100\n")
    out = tmp_path / "r.bedgraph"
    predict_genome(track_run, genome, out, regions=bed, device="cpu")
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    chr1 = [(int(s), int(e)) for c, s, e, _ in rows if c == "chr1"]
    # merged to [1000, 1200): 25 bins, the last window shifted back to [1136, 1200)
    assert chr1 == [(s, s + 8) for s in range(1000, 1200, 8)]
    # chr2:300-330 (30 bp): the window centred on it, [283, 347), bins overlapping it, cut
    chr2 = [(int(s), int(e), float(v)) for c, s, e, v in rows if c == "chr2"]
    assert [(s, e) for s, e, _ in chr2] == [(300, 307), (307, 315), (315, 323), (323, 330)]
    expected = _direct(track_run, genome, "chr2", 283)[0][2:6]
    np.testing.assert_allclose([v for *_, v in chr2], expected, rtol=1e-5)


def test_scalar_model_tiles_and_regions(genome: Path, tmp_path: Path) -> None:
    run = write_tiny_run(tmp_path / "run", length=11, task="regression", outputs=["v"])
    out = tmp_path / "tile.tsv"
    done = predict_genome(run, genome, out, tile=100, chroms=["chr1"], device="cpu")
    rows = [line.split("\t") for line in out.read_text().splitlines()[1:]]
    assert [(int(r[1]), int(r[2])) for r in rows] == [(s, s + 100) for s in range(0, 5000, 100)]
    assert done.kind == "scalar"
    assert done.n_windows == 50
    # interval [200, 300): the window centred on base 250, [245, 256)
    assert float(rows[2][3]) == pytest.approx(_direct(run, genome, "chr1", 245)[0], rel=1e-5)
    bw = tmp_path / "tile.bw"
    predict_genome(run, genome, bw, tile=100, chroms=["chr1"], device="cpu")
    got = _intervals(bw, "chr1")
    assert got[2][:2] == (200, 300)
    assert got[2][2] == pytest.approx(_direct(run, genome, "chr1", 245)[0], rel=1e-5)
    # regions: one window centred on each interval, the value over the interval
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t100\t120\nchr1\t110\t140\n")
    tsv = tmp_path / "r.tsv"
    predict_genome(run, genome, tsv, regions=bed)
    rows = [line.split("\t") for line in tsv.read_text().splitlines()[1:]]
    assert [(r[1], r[2]) for r in rows] == [("100", "120"), ("110", "140")]
    assert float(rows[1][3]) == pytest.approx(_direct(run, genome, "chr1", 120)[0], rel=1e-5)
    with pytest.raises(InputError, match=r"overlap \(lines 1 and 2\).*write \.tsv"):
        predict_genome(run, genome, tmp_path / "r.bw", regions=bed)
    assert not (tmp_path / "r.bw").exists()


@pytest.mark.parametrize(
    ("bed_text", "out_name", "message"),
    [
        ("chr1\t0\t10\nchrZ\t0\t10\n", "o.bw", r"r\.bed:2: chromosome 'chrZ' not in genome"),
        ("# nothing\n", "o.bw", r"r\.bed: no regions to predict"),
        ("chr1\t0\t10\n", "o.txt", r"o\.txt: cannot tell the track format"),
        ("chr2\t0\t2000\n", "o.bw", r"r\.bed:1: interval chr2:0-2000 ends past the end"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    genome: Path, track_run: Path, tmp_path: Path, bed_text: str, out_name: str, message: str
) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text(bed_text)
    with pytest.raises(InputError, match=message):
        predict_genome(track_run, genome, tmp_path / out_name, regions=bed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.bed"]


def test_cli(
    genome: Path, track_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.bw"
    argv = ["predict", "--model", str(track_run), "--genome", str(genome), "--out", str(out)]
    assert main([*argv, "--tile", "1", "--chroms", "chr2", "--device", "cpu"]) == 0
    assert capsys.readouterr().out.startswith(f"predictions: {out} (")
    assert _intervals(out, "chr2")[0][0] == 128
    assert main(argv) == 2
    assert "--genome needs --regions BED or --tile W" in capsys.readouterr().err
    assert main([*argv, "--tile", "5", "x.fa"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["predict", "--model", "m", "--out", "o.tsv", "--tile", "5", "x.fa"]) == 2
    assert "--tile needs --genome" in capsys.readouterr().err


class _Excerpts(Genome):
    """A genome that lists what it covers (as an excerpt genome does)."""

    @property
    def excerpts(self) -> tuple[tuple[str, int, int], ...]:
        return (("chr2", 600, 700), ("chr1", 1000, 1100), ("chr1", 1050, 1300))


def test_excerpt_genome_tiles_its_excerpts_only(
    genome: Path, track_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "e.tsv"
    with _Excerpts(genome) as g:
        done = predict_genome(track_run, g, out, tile=1, device="cpu")
    rows = [line.split("\t") for line in out.read_text().splitlines()[1:]]
    spans = [(r[0], int(r[1]), int(r[2])) for r in rows]
    assert spans == [("chr1", s, min(s + 8, 1300)) for s in range(1000, 1300, 8)] + [
        ("chr2", s, min(s + 8, 700)) for s in range(600, 700, 8)
    ]
    assert done.n_bases == 300 + 100


def test_real_excerpt_genome(track_run: Path, tmp_path: Path) -> None:
    seq = _random_dna(200, 5)
    fasta = tmp_path / "x.fa"
    fasta.write_text(f">chr1:100-300\n{seq}\n")
    out = tmp_path / "x.bw"
    predict_genome(track_run, fasta, out, tile=1, device="cpu")
    got = _intervals(out, "chr1")
    assert [(s, e) for s, e, _ in got] == [(s, s + 8) for s in range(100, 300, 8)]
    # the window at 100 holds the excerpt's first 64 bases
    np.testing.assert_allclose(
        [v for *_, v in got[:8]], _direct(track_run, fasta, "chr1", 100)[0], rtol=1e-5
    )
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t280\t400\nchr1\t500\t600\n")
    with pytest.warns(UserWarning, match=r"1 of 2 regions lie outside .* \(line 2\)"):
        predict_genome(track_run, fasta, tmp_path / "r.tsv", regions=bed, device="cpu")
    rows = (tmp_path / "r.tsv").read_text().splitlines()[1:]
    assert rows[0].split("\t")[1] == "280"
    assert rows[-1].split("\t")[2] == "300"
