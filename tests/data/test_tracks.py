"""Signal-track sources: configuration checks, windows, binned targets, augmentation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from biodl.config import TrackSource, config_from
from biodl.data import build_splits
from biodl.data.tracks import load_track_source, track_windows, transform_targets
from biodl.errors import ConfigError, InputError
from biodl.io.tracks import open_track
from biodl.testing.tracks import write_track_dataset
from biodl.train.augment import augment_with_targets

pytest.importorskip("pyBigWig")


def _config(data: Any, **source: Any) -> dict[str, Any]:
    train = {
        "tracks": [str(p) for p in data.tracks],
        "genome": str(data.genome),
        "length": 1000,
        "bin_size": 10,
        **source,
    }
    return {
        "task": "regression",
        "per_position": True,
        "data": {"train": train, "test": {"chromosomes": ["chr3"]}},
        "model": {"name": "dilated_resnet", "head": "profile", "bin_size": 10},
        "train": {"loss": "poisson", "max_epochs": 1},
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_track_dataset(tmp_path_factory.mktemp("tracks"), seed=3)


def test_windows_tile_regions_at_stride() -> None:
    got = track_windows([("c", 0, 1000), ("c", 2000, 2100)], length=400, stride=300)
    assert [(w.start, w.end) for w in got] == [(0, 400), (300, 700), (600, 1000), (1850, 2250)]


def test_transform_order_is_clip_then_transform() -> None:
    got = transform_targets(np.array([0.0, 3.0, 100.0, np.nan]), clip=8.0, transform="log1p")
    assert np.allclose(got[:3], np.log1p([0.0, 3.0, 8.0]))
    assert np.isnan(got[3])


def test_source_reads_windows_and_bins_exactly(data: Any) -> None:
    cfg = config_from(_config(data))
    assert isinstance(cfg.data.train, TrackSource)
    ex = load_track_source(cfg.data.train, cfg)
    n_chroms = len(data.chrom_sizes)
    assert len(ex) == n_chroms * (20_000 // 1000)
    assert all(len(s) == 1000 for s in ex.sequences)
    assert ex.values is not None
    assert ex.values[0].shape == (2, 100)
    chrom, span = ex.ids[7].split(":")
    start, end = (int(v) for v in span.split("-"))
    with open_track(data.tracks[1]) as track:
        want = track.bins(chrom, start, end, bin_size=10, aggregate="sum")
    assert np.array_equal(ex.values[7][1], want)
    assert ex.chroms is not None
    assert ex.chroms[7] == chrom


def test_regions_blacklist_and_mask(data: Any) -> None:
    cfg = config_from(_config(data, regions=str(data.regions), blacklist=str(data.blacklist)))
    assert isinstance(cfg.data.train, TrackSource)
    dropped = load_track_source(cfg.data.train, cfg)
    cfg = config_from(
        _config(
            data,
            regions=str(data.regions),
            blacklist=str(data.blacklist),
            blacklist_action="mask",
        )
    )
    assert isinstance(cfg.data.train, TrackSource)
    masked = load_track_source(cfg.data.train, cfg)
    assert len(masked) > len(dropped)
    assert "blacklisted_windows" in dropped.notes
    assert masked.values is not None
    assert any(np.isnan(v).any() for v in masked.values)
    assert not any(np.isnan(v).any() for v in dropped.values or [])


def test_chromosome_split_and_targets_shape(data: Any) -> None:
    splits = build_splits(config_from(_config(data)))
    assert splits.test is not None
    assert set(splits.test.chroms or []) == {"chr3"}
    assert "chr3" not in set(splits.train.chroms or [])
    y = splits.targets(splits.train)
    assert y.shape == (len(splits.train), 2, 100)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"task": "binary"}, "need task: regression and per_position: true"),
        ({"per_position": False}, "need task: regression and per_position: true"),
        ({"length_bins": (1000, 7)}, "must be a multiple of bin_size"),
        ({"valid": {"fraction": 0.1}, "stride": 500}, "leaks sequence between splits"),
        ({"data_length": 500}, "differs from the tracks' window length"),
    ],
)
def test_configuration_errors(data: Any, change: dict[str, Any], message: str) -> None:
    raw = _config(data)
    if "task" in change:
        raw["task"] = change["task"]
    if "per_position" in change:
        raw["per_position"] = change["per_position"]
    if "length_bins" in change:
        raw["data"]["train"]["length"], raw["data"]["train"]["bin_size"] = change["length_bins"]
    if "valid" in change:
        raw["data"]["valid"] = change["valid"]
        raw["data"]["train"]["stride"] = change["stride"]
    if "data_length" in change:
        raw["data"]["length"] = change["data_length"]
    with pytest.raises(ConfigError, match=message):
        config_from(raw)


def test_unmatched_chromosomes_are_one_line(data: Any, tmp_path: Path) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("chrZ\t0\t1000\n")
    cfg = config_from(_config(data, regions=str(bed)))
    assert isinstance(cfg.data.train, TrackSource)
    with pytest.raises(InputError, match="chrZ"):
        load_track_source(cfg.data.train, cfg)


def test_reverse_complement_flips_targets_with_the_sequence() -> None:
    torch.manual_seed(0)
    x = torch.zeros(64, 4, 8)
    x[:, 0, :4] = 1.0  # A in the first half, unknown in the second
    y = torch.arange(4.0).repeat(64, 1, 1)  # (64, 1, 4): bins of 2 positions
    xa, ya = augment_with_targets(x, y, reverse_complement=True, max_shift=0)
    flipped = ya[:, 0, 0] == 3.0
    assert 0 < int(flipped.sum()) < 64
    # a flipped example has T (the complement of A) in its second half, and reversed bins
    assert torch.equal(xa[flipped][:, 3, 4:], torch.ones(int(flipped.sum()), 4))
    assert torch.equal(ya[flipped][0, 0], torch.tensor([3.0, 2.0, 1.0, 0.0]))
    assert torch.equal(ya[~flipped][0, 0], torch.arange(4.0))


def test_shift_moves_targets_by_whole_bins() -> None:
    torch.manual_seed(1)
    x = torch.zeros(200, 4, 8)
    x[:, 0, :] = torch.arange(8.0)  # position index in channel 0
    y = torch.arange(4.0).repeat(200, 1, 1)
    xs, ys = augment_with_targets(x, y, reverse_complement=False, max_shift=2)
    for i in range(200):
        k = None
        for shift in (-1, 0, 1):
            want = torch.tensor(
                [float(b - shift) if 0 <= b - shift < 4 else float("nan") for b in range(4)]
            )
            if torch.allclose(ys[i, 0], want, equal_nan=True):
                k = shift
        assert k is not None
        pos = torch.tensor([float(p - 2 * k) if 0 <= p - 2 * k < 8 else 0.0 for p in range(8)])
        assert torch.equal(xs[i, 0], pos)


def test_model_must_give_one_output_per_bin(data: Any, tmp_path: Path) -> None:
    raw = _config(data)
    raw["model"] = {"name": "dilated_resnet", "head": "profile", "bin_size": 20}
    from biodl.workflows import train_run

    with pytest.raises(ConfigError, match="give the model bin_size: 10"):
        train_run(config_from(raw), tmp_path / "run")


def test_chromosome_folds_keep_each_chromosome_whole() -> None:
    from biodl.data.cv import chromosome_folds

    chroms = [f"chr{i % 5}" for i in range(50)] + ["chr9"] * 25
    folds = chromosome_folds(chroms, 3, seed=2)
    for c in set(chroms):
        assert len({int(f) for f, x in zip(folds, chroms, strict=True) if x == c}) == 1
    assert len(set(folds.tolist())) == 3
    inner = chromosome_folds(chroms, 2, seed=0, share=0.1)
    assert 0 < int((inner == 1).sum()) <= 15
    with pytest.raises(InputError, match="at least 3 chromosomes"):
        chromosome_folds(["a", "b"], 3, seed=0)


def test_cross_validation_of_windows_folds_by_chromosome(data: Any) -> None:
    from biodl.data.cv import cross_validation_splits

    raw = _config(data)
    raw["data"].pop("test")
    _, _, splits = cross_validation_splits(config_from(raw), 3)
    seen = []
    for split in splits:
        test = set(split.test.chroms or []) if split.test is not None else set()
        train = set(split.train.chroms or [])
        valid = set(split.valid.chroms or []) if split.valid is not None else set()
        assert len(test) == 1
        assert not test & train
        assert not valid & train
        seen += sorted(test)
    assert sorted(seen) == ["chr1", "chr2", "chr3"]


def test_held_out_windows_must_not_overlap_training_windows(data: Any, tmp_path: Path) -> None:
    bed = tmp_path / "held.bed"
    bed.write_text("chr1\t500\t1500\n")
    raw = _config(data)
    raw["data"]["test"] = {**raw["data"]["train"], "regions": str(bed)}
    with pytest.raises(InputError, match=r"held\.bed:1: the test window chr1:500-1500 overlaps"):
        build_splits(config_from(raw))


def test_empty_or_foreign_tracks_are_refused(data: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.bedgraph"
    empty.write_text("track type=bedGraph\n")
    cfg = config_from(_config(data, tracks=[str(data.tracks[0]), str(empty)]))
    assert isinstance(cfg.data.train, TrackSource)
    with pytest.raises(InputError, match="holds no data"):
        load_track_source(cfg.data.train, cfg)
    pybigwig = pytest.importorskip("pyBigWig")
    other = tmp_path / "hg.bw"
    bw = pybigwig.open(str(other), "w")
    bw.addHeader([("chr1", 250_000_000), ("chr2", 240_000_000), ("chr3", 200_000_000)])
    bw.addEntries(["chr1"], [0], ends=[10], values=[1.0])
    bw.close()
    cfg = config_from(_config(data, tracks=[str(other)]))
    assert isinstance(cfg.data.train, TrackSource)
    with pytest.raises(InputError, match="chr1"):
        load_track_source(cfg.data.train, cfg)
