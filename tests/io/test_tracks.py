"""Signal tracks: bigWig and bedGraph read as exact per-base and binned values, chromosome
name reconciliation, errors naming file and line, and the synthetic track generator.

The hand-made track below is small enough that every expected bin is worked out by hand:

=========  =====  ==========================================
interval   value  note
=========  =====  ==========================================
2-7        1.0    inside bin 0
7-8        3.0    inside bin 0
10-25      0.5    spans the edge between bins 1 and 2
30-32      NaN    counts as 0
40-42      -2.0   bin 4: sum -4, max 0 (the gaps count as 0)
95-100     2.0    runs to the chromosome end (100)
=========  =====  ==========================================
"""

from __future__ import annotations

import gzip
import math
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io import Genome, TrackFile, open_track, read_chrom_sizes, reconcile_chroms
from biodl.io import tracks as tracks_module
from biodl.testing import TrackDataset, write_track_dataset

pybigwig = pytest.importorskip("pyBigWig")

CHR1 = [(2, 7, 1.0), (7, 8, 3.0), (10, 25, 0.5), (30, 32, math.nan), (40, 42, -2.0)]
CHR1 += [(95, 100, 2.0)]
CHR2 = [(0, 50, 1.0)]
SIZES = {"chr1": 100, "chr2": 50}


def write_bigwig(
    path: Path,
    data: dict[str, list[tuple[int, int, float]]] | None = None,
    sizes: dict[str, int] = SIZES,
) -> Path:
    data = {"chr1": CHR1, "chr2": CHR2} if data is None else data
    bw = pybigwig.open(str(path), "w")
    bw.addHeader(list(sizes.items()))
    for chrom, rows in data.items():
        bw.addEntries(
            [chrom] * len(rows),
            [r[0] for r in rows],
            ends=[r[1] for r in rows],
            values=[float(r[2]) for r in rows],
        )
    bw.close()
    return path


def bedgraph_text(data: dict[str, list[tuple[int, int, float]]] | None = None) -> str:
    data = {"chr1": CHR1, "chr2": CHR2} if data is None else data
    lines = ["track type=bedGraph name=x", "browser position chr1:1-100", "# comment"]
    for chrom, rows in data.items():
        lines.extend(f"{chrom}\t{s}\t{e}\t{v}" for s, e, v in rows)
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["bigwig", "bedgraph", "bedgraph.gz"])
def track_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "bigwig":
        return write_bigwig(tmp_path / "sig.bw")
    if request.param == "bedgraph":
        path = tmp_path / "sig.bedgraph"
        path.write_text(bedgraph_text())
        return path
    path = tmp_path / "sig.bedgraph.gz"
    path.write_bytes(gzip.compress(bedgraph_text().encode()))
    return path


# --- exact values -------------------------------------------------------------------


def test_bins_sum_mean_max_exact(track_path: Path) -> None:
    with open_track(track_path) as track:
        assert track.name == "sig"
        total = track.bins("chr1", 0, 50, bin_size=10)
        assert total.dtype == np.float32
        assert total.tolist() == [8.0, 5.0, 2.5, 0.0, -4.0]
        mean = track.bins("chr1", 0, 50, bin_size=10, aggregate="mean")
        assert mean.tolist() == pytest.approx([0.8, 0.5, 0.25, 0.0, -0.4])
        top = track.bins("chr1", 0, 50, bin_size=10, aggregate="max")
        assert top.tolist() == [3.0, 0.5, 0.5, 0.0, 0.0]
        assert track.bins("chr1", 0, 50, bin_size=25).tolist() == [15.5, -4.0]
        per_base = track.values("chr1", 0, 50).tolist()
        assert track.bins("chr1", 0, 50, bin_size=1).tolist() == per_base
        assert track.bins("chr2", 0, 50, bin_size=50, aggregate="mean").tolist() == [1.0]


def test_values_nan_and_gaps_are_zero(track_path: Path) -> None:
    with open_track(track_path) as track:
        assert track.values("chr1", 0, 12).tolist() == [0, 0, 1, 1, 1, 1, 1, 3, 0, 0, 0.5, 0.5]
        assert track.values("chr1", 29, 33).tolist() == [0, 0, 0, 0]
        assert track.values("chr1", 5, 5).shape == (0,)


def test_beyond_chromosome_ends_is_zero(track_path: Path) -> None:
    with open_track(track_path) as track:
        assert track.bins("chr1", 90, 120, bin_size=10).tolist() == [10.0, 0.0, 0.0]
        assert track.bins("chr1", -10, 10, bin_size=10).tolist() == [0.0, 8.0]
        assert track.bins("chr1", 200, 220, bin_size=10).tolist() == [0.0, 0.0]
        assert track.values("chr1", 98, 102).tolist() == [2, 2, 0, 0]
        assert track.bins("chrZ", 0, 20, bin_size=10).tolist() == [0.0, 0.0]


def test_bigwig_and_bedgraph_agree(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    pos = 0
    while pos < 480:
        gap, width = (int(x) for x in rng.integers(0, 7, size=2))
        if pos + gap + width + 1 > 500:
            break
        start = pos + gap
        rows.append((start, start + width + 1, float(np.float32(rng.normal()))))
        pos = start + width + 1
    data = {"chr1": rows}
    bw = write_bigwig(tmp_path / "a.bw", data, sizes={"chr1": 500})
    bg = tmp_path / "a.bedgraph"
    bg.write_text(bedgraph_text(data))
    with open_track(bw) as a, open_track(bg) as b:
        for agg in ("sum", "mean", "max"):
            got_a = a.bins("chr1", -7, 513, bin_size=13, aggregate=agg)  # type: ignore[arg-type]
            got_b = b.bins("chr1", -7, 513, bin_size=13, aggregate=agg)  # type: ignore[arg-type]
            assert np.array_equal(got_a, got_b)
        assert np.array_equal(a.values("chr1", 0, 500), b.values("chr1", 0, 500))


def test_long_regions_read_in_chunks(track_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_track(track_path) as track:
        whole = track.bins("chr1", -20, 120, bin_size=4, aggregate="max")
        monkeypatch.setattr(tracks_module, "_CHUNK_BASES", 8)
        assert np.array_equal(track.bins("chr1", -20, 120, bin_size=4, aggregate="max"), whole)
        monkeypatch.setattr(tracks_module, "_CHUNK_BASES", 1)
        assert np.array_equal(track.bins("chr1", -20, 120, bin_size=4, aggregate="max"), whole)


def test_bad_bin_arguments(track_path: Path) -> None:
    with open_track(track_path) as track:
        with pytest.raises(ValueError, match="not a multiple of bin_size 10"):
            track.bins("chr1", 0, 25, bin_size=10)
        with pytest.raises(ValueError, match="bin_size"):
            track.bins("chr1", 0, 10, bin_size=0)
        with pytest.raises(ValueError, match="ends before it starts"):
            track.bins("chr1", 10, 0, bin_size=5)
        with pytest.raises(ValueError, match="aggregate"):
            track.bins("chr1", 0, 10, bin_size=5, aggregate="median")  # type: ignore[arg-type]
        assert track.bins("chr1", 10, 10, bin_size=5).shape == (0,)


def test_chrom_sizes_and_format(tmp_path: Path) -> None:
    bw = open_track(write_bigwig(tmp_path / "s.bigwig"))
    assert (bw.format, dict(bw.chrom_sizes), bw.sizes_exact) == ("bigwig", SIZES, True)
    bg_path = tmp_path / "s.bg"
    bg_path.write_text(bedgraph_text())
    bg = open_track(bg_path)
    assert (bg.format, dict(bg.chrom_sizes), bg.sizes_exact) == ("bedgraph", SIZES, False)
    assert isinstance(bw, TrackFile)
    assert "bigwig" in repr(bw)
    bw.close()
    bg.close()


def test_chrom_names_map(tmp_path: Path) -> None:
    path = write_bigwig(tmp_path / "e.bw")
    with open_track(path, chrom_names={"1": "chr1", "X": "chrX"}) as track:
        assert track.bins("1", 0, 10, bin_size=10).tolist() == [8.0]
        assert track.bins("X", 0, 10, bin_size=10).tolist() == [0.0]  # the track lacks it
        assert track.bins("chr1", 0, 10, bin_size=10).tolist() == [0.0]  # not the caller's
        assert dict(track.chrom_sizes) == SIZES  # the file's own names


def test_open_with_genome_reconciles(tmp_path: Path) -> None:
    fasta = tmp_path / "g.fa"
    fasta.write_text(">1\n" + "A" * 100 + "\n>2\n" + "C" * 50 + "\n>MT\nACGT\n")
    with Genome(fasta) as genome, open_track(write_bigwig(tmp_path / "t.bw"), genome=genome) as t:
        assert dict(t.chrom_names or {}) == {"1": "chr1", "2": "chr2"}
        assert t.bins("1", 0, 10, bin_size=5).tolist() == [3.0, 5.0]
        assert t.bins("MT", 0, 4, bin_size=2).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="not both"):
        open_track(tmp_path / "t.bw", genome=genome, chrom_names={})


def test_bigwig_survives_pickling(tmp_path: Path) -> None:
    with open_track(write_bigwig(tmp_path / "p.bw"), chrom_names={"1": "chr1"}) as track:
        copy = pickle.loads(pickle.dumps(track))
        assert copy.bins("1", 0, 50, bin_size=10).tolist() == [8.0, 5.0, 2.5, 0.0, -4.0]
        copy.close()


# --- reconciliation -----------------------------------------------------------------


def test_reconcile_chr_prefix_and_mitochondria() -> None:
    kw = {"what": "track", "path": "t.bw", "against": "genome g.fa"}
    got = reconcile_chroms(["chr1", "chr2", "chrX", "chrM"], ["1", "2", "MT"], **kw)
    assert got == {"chr1": "1", "chr2": "2", "chrM": "MT"}
    assert reconcile_chroms(["1", "MT"], ["chr1", "chrM"], **kw) == {"1": "chr1", "MT": "chrM"}
    assert reconcile_chroms(["M"], ["chrM"], **kw) == {"M": "chrM"}
    # identical names win over aliases, and no file name is used twice
    assert reconcile_chroms(["1", "chr1"], ["chr1"], **kw) == {"chr1": "chr1"}
    assert reconcile_chroms(["chr1"], ["chr1", "1"], **kw) == {"chr1": "chr1"}


def test_reconcile_no_match_names_both_files() -> None:
    with pytest.raises(InputError) as err:
        reconcile_chroms(
            [f"chr{i}" for i in range(1, 9)],
            ["scaffold_1", "scaffold_2"],
            what="track",
            path="/data/T.bw",
            against="genome G.fa",
        )
    text = str(err.value)
    assert text.startswith("/data/T.bw: no chromosome of genome G.fa (chr1, chr2, chr3")
    assert "..." in text
    assert "is in track T.bw (scaffold_1, scaffold_2)" in text


def test_reconcile_length_checks() -> None:
    kw = {"what": "track", "path": "t.bw", "against": "genome g.fa"}
    assert reconcile_chroms({"chr1": 100}, {"1": 100}, **kw) == {"chr1": "1"}
    with pytest.raises(InputError, match=r"'chr1' has length 100 in genome g.fa but has length 90"):
        reconcile_chroms({"chr1": 100}, {"1": 90}, **kw)
    # an excerpt genome knows only a lower bound: a longer track chromosome is fine
    assert reconcile_chroms({"chr1": 80}, {"chr1": 100}, names_lower_bound=True, **kw)
    with pytest.raises(InputError, match="100 or more"):
        reconcile_chroms({"chr1": 100}, {"chr1": 80}, names_lower_bound=True, **kw)
    # a bedGraph knows only its last base: past the genome's end is an error
    assert reconcile_chroms({"chr1": 100}, {"chr1": 60}, available_lower_bound=True, **kw)
    with pytest.raises(InputError, match="ends at 120"):
        reconcile_chroms({"chr1": 100}, {"chr1": 120}, available_lower_bound=True, **kw)
    both = {"names_lower_bound": True, "available_lower_bound": True}
    assert reconcile_chroms({"chr1": 100}, {"chr1": 120}, **both, **kw)  # type: ignore[arg-type]
    # names without lengths are not checked
    assert reconcile_chroms(["chr1"], {"chr1": 5}, **kw) == {"chr1": "chr1"}


def test_open_track_length_mismatch(tmp_path: Path) -> None:
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chr1\n" + "A" * 99 + "\n")
    with Genome(fasta) as genome, pytest.raises(InputError, match="another assembly"):
        open_track(write_bigwig(tmp_path / "t.bw"), genome=genome)


# --- bad files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("chr1\t1\t5", "expected 4 columns"),
        ("chr1\t1\t5\t2\textra", "expected 4 columns"),
        ("chr1\tx\t5\t2", "not an integer"),
        ("chr1\t1\t5.5\t2", "not an integer"),
        ("chr1\t5\t5\t2", "not 0 <= start < end"),
        ("chr1\t-1\t5\t2", "not 0 <= start < end"),
        ("chr1\t1\t5\tabc", "value 'abc' is not a number"),
        ("chr1\t1\t5\tinf", "infinite"),
    ],
)
def test_bedgraph_bad_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.bedgraph"
    path.write_text(f"track type=bedGraph\nchr1\t10\t20\t1\n{line}\n")
    with pytest.raises(InputError, match=re.escape(message)) as err:
        open_track(path)
    assert str(err.value).startswith(f"{path}:3: ")


def test_bedgraph_overlap_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "o.bedgraph"
    path.write_text("chr1\t30\t40\t1\nchr2\t0\t10\t1\nchr1\t10\t20\t1\nchr1\t15\t31\t2\n")
    with pytest.raises(InputError, match="overlaps chr1:10-20") as err:
        open_track(path)
    assert str(err.value).startswith(f"{path}:4: interval chr1:15-31")


def test_bedgraph_unsorted_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "u.bedgraph"
    path.write_text("chr1\t30\t40\t1\nchr1\t10\t20\t2\n")
    with open_track(path) as track:
        assert track.bins("chr1", 0, 40, bin_size=10).tolist() == [0, 20, 0, 10]


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        open_track(tmp_path / "missing.bw")
    fake = tmp_path / "fake.bw"
    fake.write_text("chr1\t0\t10\t1\n")
    with pytest.raises(InputError, match="not a bigWig"):
        open_track(fake)
    bigbed = tmp_path / "peaks.bb"
    bigbed.write_bytes((0x8789F2EB).to_bytes(4, "little") + b"\0" * 60)
    with pytest.raises(InputError, match="bigBed"):
        open_track(bigbed)
    good = write_bigwig(tmp_path / "good.bw").read_bytes()
    truncated = tmp_path / "cut.bw"
    truncated.write_bytes(good[:300])
    with pytest.raises(InputError, match=r"cut\.bw"):
        open_track(truncated).bins("chr1", 0, 100, bin_size=10)


def test_read_chrom_sizes(tmp_path: Path) -> None:
    path = tmp_path / "hg.chrom.sizes"
    path.write_text("# sizes\nchr1\t1000\n\nchr2 500\nchrM\t16571\t7\t60\t61\n")
    assert read_chrom_sizes(path) == {"chr1": 1000, "chr2": 500, "chrM": 16571}
    for text, message in [
        ("chr1\n", "two columns"),
        ("chr1\tx\n", "not a positive integer"),
        ("chr1\t0\n", "not a positive integer"),
        ("chr1\t5\nchr1\t5\n", "listed twice"),
    ]:
        path.write_text(text)
        with pytest.raises(InputError, match=message) as err:
            read_chrom_sizes(path)
        assert str(err.value).startswith(f"{path}:")


# --- the synthetic generator --------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> TrackDataset:
    return write_track_dataset(tmp_path_factory.mktemp("tracks"))


def test_generator_files(dataset: TrackDataset) -> None:
    assert dataset.names == ("track_0", "track_1")
    assert dataset.chrom_sizes == {"chr1": 20_000, "chr2": 20_000, "chr3": 20_000}
    assert len(dataset.sites) == 3 * 40
    total = sum(p.stat().st_size for p in dataset.genome.parent.iterdir())
    assert total < 1_000_000
    regions = dataset.regions.read_text().splitlines()
    assert len(regions) == 30
    assert regions[0] == "chr1\t0\t2000"
    assert regions[-1] == "chr3\t18000\t20000"
    chrom, start, end = dataset.blacklist.read_text().split()
    assert (chrom, int(end) - int(start)) == ("chr1", 500)


def test_generator_peaks_sit_on_motif_sites(dataset: TrackDataset) -> None:
    width = len(dataset.motif)
    with Genome(dataset.genome) as genome:
        for chrom in dataset.chrom_sizes:
            seq = genome.fetch(chrom, 0, genome.chrom_sizes[chrom])
            found = [m.start() for m in re.finditer(f"(?={dataset.motif})", seq)]
            assert found == [s for c, s in dataset.sites if c == chrom]
            assert "TGAGTCA" not in seq  # nor on the reverse strand
        tracks = [open_track(p, genome=genome) for p in dataset.tracks]
        for t, track in enumerate(tracks):
            signal = track.values("chr2", 0, 20_000)
            centres = [s + width // 2 + 10 * t for c, s in dataset.sites if c == "chr2"]
            assert signal[centres].tolist() == [10.0 * (t + 1)] * len(centres)
            assert float(signal.max()) == 10.0 * (t + 1)
            for c in centres:  # each peak is a Gaussian centred there
                window = signal[c - 80 : c + 81]
                assert int(window.argmax()) == 80
                assert window[60] == pytest.approx(10.0 * (t + 1) * math.exp(-0.5))
            mask = np.ones(20_000, dtype=bool)
            for c in centres:
                mask[c - 80 : c + 81] = False
            assert not signal[mask].any()
            track.close()


def test_generator_bedgraph_matches_bigwig(dataset: TrackDataset, tmp_path: Path) -> None:
    other = write_track_dataset(tmp_path, fmt="bedgraph", chrom_prefix="")
    assert other.tracks[0].name == "track_0.bedgraph.gz"
    assert other.genome.read_text().replace(">", ">chr") == dataset.genome.read_text()
    for bw_path, bg_path in zip(dataset.tracks, other.tracks, strict=True):
        with open_track(bw_path) as bw, open_track(bg_path, chrom_names={"chr1": "1"}) as bg:
            a = bw.bins("chr1", 0, 20_000, bin_size=100, aggregate="mean")
            b = bg.bins("chr1", 0, 20_000, bin_size=100, aggregate="mean")
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_generator_is_deterministic(dataset: TrackDataset, tmp_path: Path) -> None:
    again = write_track_dataset(tmp_path)
    assert again.sites == dataset.sites
    assert again.genome.read_bytes() == dataset.genome.read_bytes()
    other = write_track_dataset(tmp_path / "s1", seed=1, n_chroms=1, n_tracks=3)
    assert other.sites != dataset.sites[:40]
    assert len(other.tracks) == 3


def test_generator_refuses_what_does_not_fit(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="do not fit"):
        write_track_dataset(tmp_path, chrom_length=1000, n_sites=40)
    with pytest.raises(InputError, match="ACGT"):
        write_track_dataset(tmp_path, motif="TGANTCA")


REAL = Path("/work/shared/data/seq2signal_basenji_cage")


@pytest.mark.slow
@pytest.mark.skipif(not (REAL / "track_0.bw").exists(), reason="the Basenji CAGE data are not here")
def test_real_basenji_tracks_match_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bigWigs hold 128-bp fixed-step entries: bin means equal the decoded targets."""
    monkeypatch.setenv("BIODL_CACHE_DIR", str(tmp_path))
    targets = np.load(REAL / "targets.npz")
    with Genome(REAL / "windows.fa.gz") as genome:
        for k in (0, 9):
            with open_track(REAL / f"track_{k}.bw", genome=genome) as track:
                assert len(track.chrom_names or {}) == 9
                for w in range(20):
                    chrom = str(targets["chroms"][w])
                    start, end = int(targets["window_starts"][w]), int(targets["window_ends"][w])
                    got = track.bins(chrom, start, end, bin_size=128, aggregate="mean")
                    assert np.array_equal(got, targets["targets"][w, :, k])
