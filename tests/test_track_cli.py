"""``biodl predict/explain --genome`` and track reading tried as a new user would: bad
inputs give one line and exit status 2, with nothing written (regressions of QA of #21)."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from biodl.cli import main
from biodl.errors import InputError
from biodl.io.bed import Genome, Interval
from biodl.io.track_writer import TrackWriter
from biodl.io.tracks import open_track
from biodl.testing.variants import write_genome, write_tiny_run
from biodl.workflows import explain_regions, predict_genome
from tests.test_genome_predict import write_track_run

pybigwig = pytest.importorskip("pyBigWig")


def _dna(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list("ACGT"), size=n))


@pytest.fixture(scope="module")
def excerpts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An excerpt genome: chr1:1000-1300 and chr1:2000-2200 (records ``chrom:start-end``)."""
    d = tmp_path_factory.mktemp("excerpts")
    records = {"chr1:1000-1300": _dna(300, 1), "chr1:2000-2200": _dna(200, 2)}
    return write_genome(d / "ex.fa", records)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("plain")
    return write_genome(d / "g.fa", {"chr1": _dna(400, 3), "chr2": _dna(300, 4)})


@pytest.fixture(scope="module")
def track_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_track_run(tmp_path_factory.mktemp("run") / "run", outputs=("a", "b"))


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main([*argv, "--quiet"]) if argv[0] != "predict" else main([*argv])
    return code, capsys.readouterr().err


def test_bed_names_without_chr_are_read_with_the_genome_names(
    plain: Path, track_run: Path, tmp_path: Path
) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("1\t64\t192\n")
    done = predict_genome(track_run, plain, tmp_path / "p.tsv", regions=bed)
    lines = done.paths[0].read_text().splitlines()
    assert lines[0].split("\t") == ["chrom", "start", "end", "a", "b"]
    assert {line.split("\t")[0] for line in lines[1:]} == {"chr1"}
    assert (lines[1].split("\t")[1], lines[-1].split("\t")[2]) == ("64", "192")
    # and --chroms 2 picks chr2 when tiling
    tiled = predict_genome(track_run, plain, tmp_path / "t.tsv", tile=1, chroms=["2"])
    rows = tiled.paths[0].read_text().splitlines()[1:]
    assert {r.split("\t")[0] for r in rows} == {"chr2"}
    assert rows[-1].split("\t")[2] == "300"


def test_unknown_chromosome_names_the_bed_line(
    plain: Path, track_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t0\t10\nchrZ\t0\t10\n")
    out = tmp_path / "p.bw"
    code, err = _cli(capsys, "predict", "--model", str(track_run), "--genome", str(plain),
                     "--regions", str(bed), "--out", str(out))  # fmt: skip
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "r.bed:2" in err
    assert "chrZ" in err
    assert list(tmp_path.iterdir()) == [bed]


def test_regions_outside_every_excerpt(
    excerpts: Path, track_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bed = tmp_path / "out.bed"
    bed.write_text("chr1\t10\t50\nchr1\t1500\t1600\n")
    code, err = _cli(capsys, "predict", "--model", str(track_run), "--genome", str(excerpts),
                     "--regions", str(bed), "--out", str(tmp_path / "p.bw"))  # fmt: skip
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "out.bed" in err
    assert "no region overlaps an excerpt" in err
    assert "line 1" in err
    code, err = _cli(capsys, "explain", "--model", str(track_run), "--genome", str(excerpts),
                     "--regions", str(bed), "--out", str(tmp_path / "ex"))  # fmt: skip
    assert code == 2
    assert "no region overlaps an excerpt" in err
    assert list(tmp_path.iterdir()) == [bed]
    # one region inside: it is predicted, the other left out with a one-line warning
    bed.write_text("chr1\t10\t50\nchr1\t1100\t1164\n")
    code, err = _cli(capsys, "predict", "--model", str(track_run), "--genome", str(excerpts),
                     "--regions", str(bed), "--out", str(tmp_path / "p.tsv"))  # fmt: skip
    assert code == 0
    assert err.startswith("biodl: warning: ")
    assert "1 of 2 regions" in err
    assert "(line 1)" in err
    rows = (tmp_path / "p.tsv").read_text().splitlines()[1:]
    assert rows[0].split("\t")[1] == "1100"
    assert rows[-1].split("\t")[2] == "1164"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--tile", "0"], "--tile"),
        (["--regions", "r.bed", "--out", "p.wig"], "track format"),
        (["--regions", "r.bed", "--out", "nowhere/p.bw"], "does not exist"),
    ],
)
def test_bad_options_give_one_line(
    plain: Path,
    track_run: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    words: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("r.bed").write_text("chr1\t0\t100\n")
    argv = ["predict", "--model", str(track_run), "--genome", str(plain), *extra]
    if "--out" not in extra:
        argv += ["--out", "p.bw"]
    code, err = _cli(capsys, *argv)
    assert code == 2
    assert err.strip().count("\n") == 0
    assert words in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.bed"]


def test_scalar_model_overlapping_regions_to_bigwig(
    plain: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_tiny_run(tmp_path / "scalar", length=21, task="regression", outputs=["y"])
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t0\t100\nchr1\t50\t150\n")
    code, err = _cli(capsys, "predict", "--model", str(run), "--genome", str(plain),
                     "--regions", str(bed), "--out", str(tmp_path / "p.bw"))  # fmt: skip
    assert code == 2
    assert "overlap (lines 1 and 2)" in err
    assert ".tsv" in err
    assert not (tmp_path / "p.bw").exists()


def test_corrupt_bigwig_is_one_line_and_quiet(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.bw"
    writer = TrackWriter(good, {"chr1": 10_000}, names=["x"])
    writer.add("chr1", 0, np.arange(500, dtype=float), span=10)
    writer.close()
    bad = tmp_path / "bad.bw"
    bad.write_bytes(good.read_bytes()[:300])
    with pytest.raises(InputError, match="cannot open the bigWig") as caught:
        open_track(bad)
    assert str(caught.value).startswith(str(bad))
    # libBigWig's own stderr lines are not shown
    assert capfd.readouterr().err == ""
    with open_track(good) as track:  # stderr works again afterwards
        assert track.values("chr1", 0, 20).tolist() == [0.0] * 10 + [1.0] * 10
    print("still here", file=sys.stderr)
    assert "still here" in capfd.readouterr().err


def test_missing_pybigwig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "t.bw"
    with TrackWriter(good, {"chr1": 100}, names=["x"]) as writer:
        writer.add("chr1", 0, np.ones(10), span=10)
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyBigWig":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "pyBigWig", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(InputError, match=r"pyBigWig: pip install 'biodl\[tracks\]'"):
        TrackWriter(tmp_path / "o.bw", {"chr1": 100}, names=["x"])
    with pytest.raises(InputError, match=r"pyBigWig: pip install 'biodl\[tracks\]'"):
        open_track(good)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.bw"]
    # bedGraph and TSV need no pyBigWig
    with TrackWriter(tmp_path / "o.tsv", {"chr1": 100}, names=["x"]) as writer:
        writer.add("chr1", 0, np.ones(2), span=10)
    assert (tmp_path / "o.tsv").read_text().splitlines()[1] == "chr1\t0\t10\t1"


def test_ism_mutates_the_region_only(plain: Path, track_run: Path, tmp_path: Path) -> None:
    import torch

    from biodl.encode import one_hot
    from biodl.runs import load_run

    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t100\t110\n")
    done = explain_regions(track_run, plain, bed, tmp_path / "ism", method="ism", target="b")
    data = np.load(done.npz)
    start = int(data["start"][0])
    assert start == 100 + 5 - 32  # a 64-bp window centred on the region
    hyp, obs = data["hypothetical"][0], data["observed"][0]
    inside = slice(100 - start, 110 - start)
    assert np.isfinite(obs[inside]).all()
    assert np.isnan(np.delete(obs, np.arange(100 - start, 110 - start))).all()
    # each substitution's change of the bin sum of track b, by direct calls
    model = load_run(track_run).model.eval()
    first, last = (int(v) for v in data["bins"][0])  # the bins overlapping the region
    n_bins = int(model(torch.zeros(1, 4, 64)).shape[-1])
    size = 64 // n_bins
    assert first * size <= 100 - start < (first + 1) * size
    assert (last - 1) * size < 110 - start <= last * size
    with Genome(plain) as g:
        x = one_hot([g.fetch("chr1", start, start + 64)], alphabet="dna", dtype=np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x))[0, 1, first:last].sum().item()
        for p in (100 - start, 109 - start):
            for c in range(4):
                y = x.copy()
                y[0, :, p] = 0
                y[0, c, p] = 1
                want = model(torch.from_numpy(y))[0, 1, first:last].sum().item() - ref
                assert hyp[c, p] == pytest.approx(want, abs=1e-4)
            # observed: the mean loss when the base present is substituted
            assert obs[p] == pytest.approx(-hyp[:, p].sum() / 3, abs=1e-6)
    bw = pybigwig.open(str(done.bigwig))
    try:
        got = bw.intervals("chr1")
    finally:
        bw.close()
    assert [(a, b) for a, b, _ in got] == [(i, i + 1) for i in range(100, 110)]
    np.testing.assert_allclose([v for *_, v in got], obs[inside], rtol=1e-5)


def test_chrom_sizes_set_the_bigwig_header(plain: Path, track_run: Path, tmp_path: Path) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t0\t64\n")
    sizes = tmp_path / "hg.sizes"
    sizes.write_text("chr1\t5000000\nchr2\t6000000\nchr9\t7\n")
    out = tmp_path / "p.bw"
    predict_genome(track_run, plain, out, regions=bed, chrom_sizes=sizes)
    written = sorted(tmp_path.glob("p.*.bw"))
    assert written
    bw = pybigwig.open(str(written[0]))
    try:
        assert bw.chroms("chr1") == 5_000_000
    finally:
        bw.close()
    sizes.write_text("chr1\t10\n")
    with pytest.raises(InputError, match="is 10 long here"):
        predict_genome(track_run, plain, tmp_path / "q.bw", regions=bed, chrom_sizes=sizes)
    assert not list(tmp_path.glob("q*"))


def test_scalar_model_tiles_inside_regions(plain: Path, tmp_path: Path) -> None:
    run = write_tiny_run(tmp_path / "run", length=11, task="regression", outputs=["signal"])
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t10\t45\nchr1\t40\t60\nchr2\t100\t107\n")
    done = predict_genome(run, plain, tmp_path / "t.tsv", regions=bed, tile=10, batch_size=3)
    rows = [line.split("\t") for line in done.paths[0].read_text().splitlines()[1:]]
    spans = [(c, int(a), int(b)) for c, a, b, _ in rows]
    assert spans == [
        ("chr1", 10, 20), ("chr1", 20, 30), ("chr1", 30, 40), ("chr1", 40, 50),
        ("chr1", 50, 60), ("chr2", 100, 107),
    ]  # fmt: skip
    # each interval holds the score of the window centred on it, as one window per region
    one = predict_genome(run, plain, tmp_path / "o.tsv", regions=[Interval("chr1", 30, 40)])
    single = one.paths[0].read_text().splitlines()[1].split("\t")
    assert rows[2][3] == single[3]


def test_explain_regions_of_different_lengths_and_log_rate_runs(
    plain: Path, track_run: Path, tmp_path: Path
) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t100\t300\nchr1\t150\t160\nchr2\t40\t50\n")  # windows not in start order
    done = explain_regions(track_run, plain, bed, tmp_path / "x", method="deeplift", target="a")
    data = np.load(done.npz)
    assert data["start"].tolist() == [168, 123, 13]  # 64-bp windows centred on each region
    bw = pybigwig.open(str(done.bigwig))
    try:
        got = np.array(bw.values("chr1", 123, 232))
    finally:
        bw.close()
    # where two windows overlap, the bigWig holds their mean
    both = (data["observed"][0][: 187 - 168] + data["observed"][1][168 - 123 : 187 - 123]) / 2
    np.testing.assert_allclose(got[168 - 123 : 187 - 123], both, rtol=1e-5, atol=1e-7)


def test_untransform_writes_the_tracks_units(plain: Path, track_run: Path, tmp_path: Path) -> None:
    from biodl.runs import load_run

    run = load_run(track_run)
    run.meta["tracks"] = {"transform": "log1p", "bin_size": 4}
    bed = [Interval("chr1", 0, 128)]
    raw = predict_genome(run, plain, tmp_path / "raw.tsv", regions=bed)
    back = predict_genome(run, plain, tmp_path / "back.tsv", regions=bed, untransform=True)
    a = np.loadtxt(raw.paths[0], skiprows=1, usecols=(3, 4))
    b = np.loadtxt(back.paths[0], skiprows=1, usecols=(3, 4))
    np.testing.assert_allclose(b, np.expm1(np.maximum(a, 0.0)), rtol=1e-4, atol=1e-5)  # TSV cells
    assert main(["predict", "--model", str(track_run), "x.fa", "--out", "y", "--untransform"]) == 2
