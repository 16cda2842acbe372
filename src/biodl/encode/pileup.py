"""Pileup tensors of variant candidates, in the manner of DeepVariant (Poplin et al. 2018).

Layout
------
One candidate is a float32 array ``(C, H, W)`` = ``(6, height, width)``, default
``(6, 100, 61)`` (:data:`PILEUP_HEIGHT`, :data:`PILEUP_WIDTH`). A batch is
``(N, 6, H, W)``; :func:`flatten_pileups` gives the pipeline's ``(N, 6, H*W)`` (row-major:
flat index ``h * W + w``) with the layout ``(("pileup_height", H), ("pileup_width", W))``.

Columns are reference positions: column ``w`` is the 0-based position
``centre - W // 2 + w``, so column ``W // 2`` is the candidate's first REF base (for an
insertion or a deletion, the VCF anchor base before the event). Rows:

* rows ``0 .. 4`` (:data:`REFERENCE_ROWS`): the reference, five identical rows: channel 0
  the reference base, channels 1 and 2 at 1.0 (maximal quality), channels 3, 4 and 5 at 0;
  a reference ``N`` (or a column beyond the contig) has base 0;
* rows ``5 .. H-1``: one row per read overlapping the candidate, sorted by alignment start,
  then read name, then SAM flag. When there are more than ``H - 5`` reads, ``H - 5`` are
  drawn without replacement with a seeded generator (the same reads every time for the
  same seed) and kept in that order; when fewer, the remaining rows are all zero
  (padding).

Channels, values in ``[0, 1]`` (:data:`PILEUP_CHANNELS`):

=====  ===================  =============================================================
index  name                 value in a read row, at a column the read covers
=====  ===================  =============================================================
0      ``base``             A 0.25, C 0.5, G 0.75, T 1.0; N and deleted bases 0
1      ``base_quality``     ``min(q, 40) / 40``; a deleted base takes the quality of the
                            aligned base before the deletion
2      ``mapping_quality``  ``min(MAPQ, 60) / 60``
3      ``strand``           1.0 forward, 0.5 reverse (0 only on padding and reference rows)
4      ``supports_alt``     1.0 on every covered column when the read carries the
                            candidate's ALT allele, else 0
5      ``differs_from_ref`` 1.0 where the read's base is not the reference base, on deleted
                            bases, and on the base just before an insertion; else 0
=====  ===================  =============================================================

A column the read does not cover (before its start, after its end, a spliced ``N``
skip, soft clips) is 0 in every channel. Insertions take no column: as in DeepVariant they
are shown on the aligned base just before them, which keeps its base and quality and gets
``differs_from_ref`` 1.

Examples
--------
>>> import pysam
>>> header = pysam.AlignmentHeader.from_dict({"SQ": [{"SN": "c", "LN": 20}]})
>>> r = pysam.AlignedSegment(header)
>>> r.query_name, r.reference_id, r.reference_start, r.mapping_quality = "r", 0, 2, 30
>>> r.query_sequence, r.cigarstring = "ACGGAC", "2M1I1M1D2M"
>>> r.query_qualities = pysam.qualitystring_to_array("III5II")  # Q 40 40 40 20 40 40
>>> x = pileup_tensor([r], [True], reference="AAACGTACG", window_start=0, height=6)
>>> x.shape
(6, 6, 9)
>>> x[0, 5].tolist()  # A at 2, C at 3 (then the insertion G), G at 4, deleted T, A, C
[0.0, 0.0, 0.25, 0.5, 0.75, 0.0, 0.25, 0.5, 0.0]
>>> x[5, 5].tolist()  # differs: the base before the insertion, the deleted base
[0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
>>> x[1, 5].tolist()  # the deleted base has the quality of the base before it
[0.0, 0.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 0.0]
>>> float(x[2, 5, 2]), float(x[3, 5, 5]), float(x[4, 5, 7]), float(x[4, 5, 8])
(0.5, 1.0, 1.0, 0.0)
>>> x[0, 0].tolist() == x[0, 4].tolist() == [0.25, 0.25, 0.25, 0.5, 0.75, 1.0, 0.25, 0.5, 0.75]
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pysam

from biodl.errors import InputError

__all__ = [
    "BASE_VALUES",
    "MAX_BASE_QUALITY",
    "MAX_MAPPING_QUALITY",
    "PILEUP_CHANNELS",
    "PILEUP_HEIGHT",
    "PILEUP_WIDTH",
    "REFERENCE_ROWS",
    "REVERSE_STRAND",
    "flatten_pileups",
    "pileup_layout",
    "pileup_tensor",
    "read_row",
    "reference_row",
    "unflatten_pileups",
]

PILEUP_CHANNELS: Final = (
    "base",
    "base_quality",
    "mapping_quality",
    "strand",
    "supports_alt",
    "differs_from_ref",
)
"""Channel names, in order."""
PILEUP_HEIGHT: Final = 100
"""Default rows (DeepVariant's ``pileup_image_height`` for short reads)."""
PILEUP_WIDTH: Final = 61
"""Default columns; the candidate sits in column ``PILEUP_WIDTH // 2`` = 30."""
REFERENCE_ROWS: Final = 5
"""Reference rows at the top (DeepVariant's ``reference_band_height``)."""
MAX_BASE_QUALITY: Final = 40
"""Base qualities are capped here and divided by it."""
MAX_MAPPING_QUALITY: Final = 60
"""Mapping qualities are capped here and divided by it."""
REVERSE_STRAND: Final = 0.5
"""Strand channel value of a reverse-strand read (forward: 1.0)."""
BASE_VALUES: Final = {"A": 0.25, "C": 0.5, "G": 0.75, "T": 1.0}
"""Base channel values; any other letter (N) and deleted bases are 0."""

_BASE_LUT = np.zeros(256, dtype=np.float32)
for _letter, _value in BASE_VALUES.items():
    _BASE_LUT[ord(_letter)] = _value
    _BASE_LUT[ord(_letter.lower())] = _value
_QUAL_LUT = (np.minimum(np.arange(256), MAX_BASE_QUALITY) / MAX_BASE_QUALITY).astype(np.float32)
_ALIGNED = frozenset((0, 7, 8))  # M, =, X
_INS, _DEL, _SKIP, _SOFT = 1, 2, 3, 4

FloatArray = npt.NDArray[np.float32]


def reference_row(reference: str) -> FloatArray:
    """One reference row ``(6, W)`` for the reference bases of the window.

    Examples
    --------
    >>> reference_row("ACN")[:, :].tolist()[:3]
    [[0.25, 0.5, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    row = np.zeros((len(PILEUP_CHANNELS), len(reference)), dtype=np.float32)
    row[0] = _BASE_LUT[np.frombuffer(reference.encode("ascii"), dtype=np.uint8)]
    row[1] = 1.0
    row[2] = 1.0
    return row


def _qualities(read: pysam.AlignedSegment, n: int) -> npt.NDArray[np.uint8]:
    quals = read.query_qualities
    if quals is None:  # '*' in SAM: unknown, read as the maximum
        return np.full(n, 255, dtype=np.uint8)
    return np.frombuffer(quals, dtype=np.uint8)


def read_row(
    read: pysam.AlignedSegment,
    *,
    reference: str,
    window_start: int,
    supports: bool,
    out: FloatArray | None = None,
) -> FloatArray:
    """The row ``(6, W)`` of one read (see the module docstring for the values).

    Parameters
    ----------
    read
        A mapped read with a CIGAR and a sequence.
    reference
        The reference bases of the window's ``W`` columns (upper case, ``N`` outside the
        contig).
    window_start
        0-based reference position of column 0.
    supports
        Whether the read carries the candidate's ALT allele (channel 4).
    out
        A zeroed ``(6, W)`` array to fill (a row of a larger tensor).
    """
    width = len(reference)
    row = np.zeros((len(PILEUP_CHANNELS), width), dtype=np.float32) if out is None else out
    seq_text = read.query_sequence
    cigar = read.cigartuples
    if seq_text is None or cigar is None:
        return row
    seq = np.frombuffer(seq_text.encode("ascii"), dtype=np.uint8)
    qual = _qualities(read, len(seq))
    ref = np.frombuffer(reference.encode("ascii"), dtype=np.uint8)
    window_end = window_start + width
    r, q = read.reference_start, 0
    covered = np.zeros(width, dtype=np.bool_)
    prev_op = -1
    for op, n in cigar:
        if op in _ALIGNED:
            lo, hi = max(r, window_start), min(r + n, window_end)
            if lo < hi:
                c0, c1 = lo - window_start, hi - window_start
                qs = q + lo - r
                bases = seq[qs : qs + hi - lo]
                row[0, c0:c1] = _BASE_LUT[bases]
                row[1, c0:c1] = _QUAL_LUT[qual[qs : qs + hi - lo]]
                row[5, c0:c1] = bases != ref[c0:c1]
                covered[c0:c1] = True
            r += n
            q += n
        elif op == _DEL:
            lo, hi = max(r, window_start), min(r + n, window_end)
            if lo < hi:
                c0, c1 = lo - window_start, hi - window_start
                row[0, c0:c1] = 0.0
                row[1, c0:c1] = _QUAL_LUT[qual[q - 1]] if q > 0 else 0.0
                row[5, c0:c1] = 1.0
                covered[c0:c1] = True
            r += n
        elif op == _INS:
            anchor = r - 1 - window_start
            if prev_op in _ALIGNED and 0 <= anchor < width:
                row[5, anchor] = 1.0
            q += n
        elif op == _SKIP:
            r += n
        elif op == _SOFT:
            q += n
        prev_op = op
    # mapping quality, strand and support on the covered columns (aligned or deleted)
    row[2, covered] = min(read.mapping_quality, MAX_MAPPING_QUALITY) / MAX_MAPPING_QUALITY
    row[3, covered] = REVERSE_STRAND if read.is_reverse else 1.0
    if supports:
        row[4, covered] = 1.0
    return row


def pileup_tensor(
    reads: Sequence[pysam.AlignedSegment],
    supports: Sequence[bool],
    *,
    reference: str,
    window_start: int,
    height: int = PILEUP_HEIGHT,
    seed: int | Sequence[int] = 0,
) -> FloatArray:
    """The pileup ``(6, height, W)`` of one candidate, ``W = len(reference)``.

    Parameters
    ----------
    reads
        The reads overlapping the candidate (any order; they are sorted here).
    supports
        For each read, whether it carries the candidate's ALT allele.
    reference
        Reference bases of the ``W`` columns.
    window_start
        0-based position of column 0 (the candidate's position minus ``W // 2``).
    height
        Rows, the 5 reference rows included (at least 6).
    seed
        Seed of the down-sampling generator (``numpy.random.default_rng``); give each
        candidate its own, derived from its position, for reproducible tensors.

    Returns
    -------
    numpy.ndarray
        float32 ``(6, height, W)``.

    Raises
    ------
    InputError
        ``height`` below 6, or ``supports`` not one flag per read.
    """
    if height <= REFERENCE_ROWS:
        raise InputError(f"pileup height must be more than {REFERENCE_ROWS}, not {height}")
    if len(supports) != len(reads):
        raise InputError(f"{len(supports)} support flags for {len(reads)} reads")
    width = len(reference)
    out = np.zeros((height, len(PILEUP_CHANNELS), width), dtype=np.float32)
    out[:REFERENCE_ROWS] = reference_row(reference)
    order = sorted(
        range(len(reads)),
        key=lambda i: (reads[i].reference_start, reads[i].query_name or "", reads[i].flag),
    )
    room = height - REFERENCE_ROWS
    if len(order) > room:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(order), size=room, replace=False))
        order = [order[int(k)] for k in keep]
    for row, i in enumerate(order, start=REFERENCE_ROWS):
        read_row(
            reads[i],
            reference=reference,
            window_start=window_start,
            supports=bool(supports[i]),
            out=out[row],
        )
    return np.ascontiguousarray(out.transpose(1, 0, 2))


def pileup_layout(
    height: int = PILEUP_HEIGHT, width: int = PILEUP_WIDTH
) -> tuple[tuple[str, int], tuple[str, int]]:
    """The layout tuple that goes with flattened pileups.

    Examples
    --------
    >>> pileup_layout()
    (('pileup_height', 100), ('pileup_width', 61))
    """
    return (("pileup_height", int(height)), ("pileup_width", int(width)))


def flatten_pileups(
    pileups: npt.NDArray[np.float32],
) -> tuple[FloatArray, tuple[tuple[str, int], tuple[str, int]]]:
    """``(N, 6, H, W)`` -> ``(N, 6, H*W)`` (row-major) and its layout tuple.

    Examples
    --------
    >>> flat, layout = flatten_pileups(np.zeros((2, 6, 100, 61), dtype=np.float32))
    >>> flat.shape, layout
    ((2, 6, 6100), (('pileup_height', 100), ('pileup_width', 61)))
    """
    if pileups.ndim != 4 or pileups.shape[1] != len(PILEUP_CHANNELS):
        raise InputError(f"pileups must be (N, 6, H, W), not {tuple(pileups.shape)}")
    n, c, h, w = pileups.shape
    flat = np.ascontiguousarray(pileups, dtype=np.float32).reshape(n, c, h * w)
    return flat, pileup_layout(h, w)


def unflatten_pileups(
    flat: npt.NDArray[np.float32], layout: Sequence[tuple[str, int]]
) -> FloatArray:
    """``(N, 6, H*W)`` back to ``(N, 6, H, W)`` using the layout tuple.

    Examples
    --------
    >>> x = np.arange(2 * 6 * 6, dtype=np.float32).reshape(2, 6, 2, 3)
    >>> bool((unflatten_pileups(*flatten_pileups(x)) == x).all())
    True
    """
    sizes = dict(layout)
    if set(sizes) != {"pileup_height", "pileup_width"}:
        raise InputError(f"not a pileup layout: {tuple(layout)}")
    h, w = sizes["pileup_height"], sizes["pileup_width"]
    if flat.ndim != 3 or flat.shape[2] != h * w:
        raise InputError(f"flattened pileups {tuple(flat.shape)} do not match {h} x {w}")
    return np.asarray(flat, dtype=np.float32).reshape(flat.shape[0], flat.shape[1], h, w)
