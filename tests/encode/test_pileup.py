"""Pileup tensor layout: exact cells of hand-made reads, ordering, down-sampling, flattening."""

from __future__ import annotations

import numpy as np
import pysam
import pytest

from biodl.encode.pileup import (
    PILEUP_CHANNELS,
    REFERENCE_ROWS,
    flatten_pileups,
    pileup_layout,
    pileup_tensor,
    read_row,
    reference_row,
    unflatten_pileups,
)
from biodl.errors import InputError

HEADER = pysam.AlignmentHeader.from_dict({"SQ": [{"SN": "c", "LN": 1000}]})


def make_read(
    name: str,
    start: int,
    seq: str,
    cigar: str,
    *,
    quals: list[int] | None = None,
    mapq: int = 60,
    reverse: bool = False,
) -> pysam.AlignedSegment:
    r = pysam.AlignedSegment(HEADER)
    r.query_name, r.reference_id, r.reference_start = name, 0, start
    r.query_sequence, r.cigarstring, r.mapping_quality = seq, cigar, mapq
    r.flag = 16 if reverse else 0
    r.query_qualities = pysam.qualitystring_to_array(
        "".join(chr(33 + q) for q in (quals or [40] * len(seq)))
    )
    return r


def test_channel_names_and_layout() -> None:
    assert PILEUP_CHANNELS == (
        "base",
        "base_quality",
        "mapping_quality",
        "strand",
        "supports_alt",
        "differs_from_ref",
    )
    assert pileup_layout(100, 61) == (("pileup_height", 100), ("pileup_width", 61))


def test_reference_rows() -> None:
    row = reference_row("ACGTN")
    assert row.dtype == np.float32
    assert row.tolist() == [
        [0.25, 0.5, 0.75, 1.0, 0.0],
        [1.0] * 5,
        [1.0] * 5,
        [0.0] * 5,
        [0.0] * 5,
        [0.0] * 5,
    ]


def test_read_row_every_channel_exactly() -> None:
    # reference columns 10..20; the read: 2 soft-clipped bases, then 3M at 12..14
    # (mismatch at 13: ref G, read T, Q20), 2D at 15..16, 1N skip at 17, 2M at 18..19
    ref = "AACGGTTACGA"  # positions 10..20
    r = make_read(
        "r", 12, "GGCTGAC", "2S3M2D1N2M", quals=[5, 5, 40, 20, 30, 10, 50], mapq=30, reverse=True
    )
    row = read_row(r, reference=ref, window_start=10, supports=False)
    base, bq, mq, strand, supports, differs = row.tolist()
    assert base == [0, 0, 0.5, 1.0, 0.75, 0, 0, 0, 0.25, 0.5, 0]
    # the deletion takes the anchor base's quality (Q30 -> 0.75)
    assert bq == [0, 0, 1.0, 0.5, 0.75, 0.75, 0.75, 0, 0.25, 1.0, 0]
    assert mq == [0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0]
    assert strand == [0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0]
    assert supports == [0.0] * 11
    # ref at 12..14 is C G G: read C T G; deletion at 15,16; at 18..19 ref C G, read A C
    assert differs == [0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0]


def test_insertion_flags_the_base_before_it_only() -> None:
    ref = "ACGTACGTAC"
    r = make_read("r", 0, "ACGGGTA", "3M2I2M")
    row = read_row(r, reference=ref, window_start=0, supports=True)
    assert row[0].tolist() == [0.25, 0.5, 0.75, 1.0, 0.25, 0, 0, 0, 0, 0]
    assert row[5].tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert row[4].tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    # read starting before the window and insertion anchored outside it: clipped
    row = read_row(r, reference="TAC", window_start=3, supports=False)
    assert row[0].tolist() == [1.0, 0.25, 0]
    assert row[5].tolist() == [0, 0, 0]


def test_rows_sorted_and_padded() -> None:
    ref = "ACGTACGTA"
    reads = [
        make_read("b", 2, "GTA", "3M"),
        make_read("a", 2, "GTA", "3M", reverse=True),
        make_read("z", 0, "ACGTA", "5M"),
    ]
    x = pileup_tensor(reads, [False, True, False], reference=ref, window_start=0, height=10)
    assert x.shape == (6, 10, 9)
    assert x.dtype == np.float32
    # z (start 0) first, then a and b (start 2, by name)
    assert x[4, REFERENCE_ROWS:8, 2].tolist() == [0, 1, 0]
    assert x[3, REFERENCE_ROWS:8, 2].tolist() == [1.0, 0.5, 1.0]
    assert not x[:, 8:].any()  # padding rows
    for row in range(REFERENCE_ROWS):
        np.testing.assert_array_equal(x[:, row], reference_row(ref))


def test_down_sampling_is_seeded_and_keeps_order() -> None:
    ref = "A" * 21
    reads = [make_read(f"r{i:02d}", i % 7, "A" * 5, "5M", mapq=i) for i in range(40)]
    sup = [i % 3 == 0 for i in range(40)]
    a = pileup_tensor(reads, sup, reference=ref, window_start=0, height=15, seed=7)
    b = pileup_tensor(
        list(reversed(reads)), list(reversed(sup)), reference=ref, window_start=0, height=15, seed=7
    )
    np.testing.assert_array_equal(a, b)  # input order does not matter
    c = pileup_tensor(reads, sup, reference=ref, window_start=0, height=15, seed=8)
    assert not np.array_equal(a, c)
    # 10 read rows, all full, in non-decreasing start order
    starts = [int(np.flatnonzero(a[2, row])[0]) for row in range(REFERENCE_ROWS, 15)]
    assert starts == sorted(starts)
    # each chosen row is one of the reads (its MAPQ identifies it), none twice
    mapqs = [round(float(a[2, row, s]) * 60) for row, s in zip(range(5, 15), starts, strict=True)]
    assert len(set(mapqs)) == 10


def test_errors() -> None:
    with pytest.raises(InputError, match="more than 5"):
        pileup_tensor([], [], reference="A", window_start=0, height=5)
    with pytest.raises(InputError, match="1 support flags for 0 reads"):
        pileup_tensor([], [True], reference="A", window_start=0)
    with pytest.raises(InputError, match=r"must be \(N, 6, H, W\)"):
        flatten_pileups(np.zeros((2, 5, 3, 3), dtype=np.float32))
    with pytest.raises(InputError, match="do not match"):
        unflatten_pileups(np.zeros((1, 6, 10), dtype=np.float32), pileup_layout(3, 3))


def test_flatten_round_trip_row_major() -> None:
    x = np.random.default_rng(0).random((3, 6, 4, 5), dtype=np.float32)
    flat, layout = flatten_pileups(x)
    assert flat.shape == (3, 6, 20)
    assert layout == pileup_layout(4, 5)
    assert flat[1, 2, 2 * 5 + 3] == x[1, 2, 2, 3]
    np.testing.assert_array_equal(unflatten_pileups(flat, layout), x)
