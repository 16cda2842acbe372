"""TrackWriter: bigWig, bedGraph and TSV tracks, staged, in genome order."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io.track_writer import TrackWriter, track_format, track_paths

pybigwig = pytest.importorskip("pyBigWig")

SIZES = {"chr1": 100, "chr2": 45}


def _intervals(path: Path, chrom: str) -> list[tuple[int, int, float]]:
    bw = pybigwig.open(str(path))
    try:
        return list(bw.intervals(chrom) or ())
    finally:
        bw.close()


def test_bigwig_round_trip_exact_values(tmp_path: Path) -> None:
    out = tmp_path / "x.bw"
    values = np.array([0.1, 2.5, -3.25, 1e-3], dtype=np.float32)
    with TrackWriter(out, SIZES, names=["signal"]) as writer:
        writer.add("chr1", 20, values[None, :], span=10)
        writer.add("chr2", 0, np.array([[7.0, 8.0, 9.0, 10.0, 11.0]]), span=10)
    assert writer.paths == [out]
    got = _intervals(out, "chr1")
    assert [(s, e) for s, e, _ in got] == [(20, 30), (30, 40), (40, 50), (50, 60)]
    assert np.array_equal(np.array([v for *_, v in got], dtype=np.float32), values)
    bw = pybigwig.open(str(out))
    assert bw.chroms() == SIZES
    bw.close()
    # the last bin is cut at the chromosome end (45)
    assert _intervals(out, "chr2")[-1] == (40, 45, 11.0)


def test_nan_values_are_skipped(tmp_path: Path) -> None:
    out = tmp_path / "x.bw"
    with TrackWriter(out, SIZES, names=["a"]) as writer:
        writer.add("chr1", 0, np.array([1.0, np.nan, np.nan, 4.0]), span=5)
        writer.add_intervals("chr1", [30, 40], [35, 50], np.array([[np.nan, 2.0]]))
    assert _intervals(out, "chr1") == [(0, 5, 1.0), (15, 20, 4.0), (40, 50, 2.0)]


def test_several_tracks_one_bigwig_each(tmp_path: Path) -> None:
    out = tmp_path / "pred.bw"
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with TrackWriter(out, SIZES, names=["DNase", "CTCF ChIP", "DNase"]) as writer:
        writer.add("chr1", 0, values, span=8)
    names = [p.name for p in writer.paths]
    assert names == ["pred.DNase.bw", "pred.CTCF_ChIP.bw", "pred.DNase_2.bw"]
    for path, row in zip(writer.paths, values, strict=True):
        assert [v for *_, v in _intervals(path, "chr1")] == row.tolist()
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_tsv_holds_every_track_as_a_column(tmp_path: Path) -> None:
    out = tmp_path / "pred.tsv"
    with TrackWriter(out, SIZES, names=["a", "b"]) as writer:
        writer.add_intervals("chr1", [0, 5], [20, 10], np.array([[1.0, 2.0], [3.0, np.nan]]))
    lines = out.read_text().splitlines()
    assert lines == ["chrom\tstart\tend\ta\tb", "chr1\t0\t20\t1\t3", "chr1\t5\t10\t2\tNaN"]


def test_bedgraph_gz_one_file_per_track(tmp_path: Path) -> None:
    out = tmp_path / "pred.bedgraph.gz"
    with TrackWriter(out, SIZES, names=["a", "b"]) as writer:
        writer.add("chr2", 40, np.array([[1.5], [2.5]]), span=10)
    assert [p.name for p in writer.paths] == ["pred.a.bedgraph.gz", "pred.b.bedgraph.gz"]
    with gzip.open(writer.paths[1], "rt") as handle:
        assert handle.read() == "chr2\t40\t45\t2.5\n"


def test_out_of_order_entries_are_refused(tmp_path: Path) -> None:
    with TrackWriter(tmp_path / "x.bw", SIZES, names=["a"]) as writer:
        writer.add("chr1", 10, np.ones(2), span=10)
        with pytest.raises(ValueError, match="out of order"):
            writer.add("chr1", 20, np.ones(1), span=10)  # overlaps [10, 30)
        writer.add("chr2", 0, np.ones(1), span=10)
        with pytest.raises(ValueError, match="out of order"):
            writer.add("chr1", 90, np.ones(1), span=10)  # chr1 comes before chr2
        with pytest.raises(ValueError, match="overlapping"):
            writer.add_intervals("chr2", [10, 15], [20, 25], np.ones((1, 2)))
        with pytest.raises(ValueError, match="not among"):
            writer.add("chrZ", 0, np.ones(1), span=10)


def test_an_exception_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "x.bw"
    with pytest.raises(RuntimeError, match="boom"), TrackWriter(out, SIZES, names=["a", "b"]):
        raise RuntimeError("boom")
    writer = TrackWriter(tmp_path / "y.tsv", SIZES, names=["a"])
    writer.add("chr1", 0, np.ones(3), span=1)
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_unknown_ending_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot tell the track format"):
        TrackWriter(tmp_path / "x.txt", SIZES, names=["a"])
    assert track_format(tmp_path / "x.TSV") == "tsv"
    assert track_paths("o.bigwig", ["a", "b"])[0].name == "o.a.bigwig"
    assert list(tmp_path.iterdir()) == []
