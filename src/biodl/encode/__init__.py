"""Turning sequences into arrays: one-hot, k-mer counts, padding and cropping."""

from __future__ import annotations

from biodl.encode.kmer import kmer_counts, kmer_names
from biodl.encode.onehot import (
    one_hot,
    one_hot_decode,
    pad_or_crop,
    pad_or_crop_all,
    reverse_complement,
    reverse_complement_one_hot,
)

__all__ = [
    "kmer_counts",
    "kmer_names",
    "one_hot",
    "one_hot_decode",
    "pad_or_crop",
    "pad_or_crop_all",
    "reverse_complement",
    "reverse_complement_one_hot",
]
