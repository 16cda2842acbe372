"""Turning sequences into arrays: one-hot, dinucleotide one-hot, k-mer counts, RNA
secondary structure, padding and cropping.

The structure functions need the optional ViennaRNA package (``pip install
'biodl[rna]'``), which is imported only when one of them is called.
"""

from __future__ import annotations

from typing import Literal, get_args

from biodl.encode.blosum import BLOSUM62, blosum62_encode
from biodl.encode.dinucleotide import dinucleotide_one_hot, dinucleotide_reverse_complement
from biodl.encode.kmer import kmer_counts, kmer_names
from biodl.encode.onehot import (
    one_hot,
    one_hot_decode,
    pad_or_crop,
    pad_or_crop_all,
    reverse_complement,
    reverse_complement_one_hot,
)
from biodl.encode.structure import (
    Fold,
    fold,
    pair_probabilities,
    paired_probability,
    sequence_and_structure,
    structure_one_hot,
    structure_tensor,
)

__all__ = [
    "BLOSUM62",
    "ENCODINGS",
    "EncodingName",
    "Fold",
    "blosum62_encode",
    "dinucleotide_one_hot",
    "dinucleotide_reverse_complement",
    "fold",
    "kmer_counts",
    "kmer_names",
    "one_hot",
    "one_hot_decode",
    "pad_or_crop",
    "pad_or_crop_all",
    "pair_probabilities",
    "paired_probability",
    "reverse_complement",
    "reverse_complement_one_hot",
    "sequence_and_structure",
    "structure_one_hot",
    "structure_tensor",
]

EncodingName = Literal[
    "onehot",
    "dinucleotide",
    "structure",
    "cpg",
    "blosum62",
    "unirep",
    "unirep_mean",
    "unirep256",
    "unirep256_mean",
    "unirep64",
    "unirep64_mean",
]
"""The input encodings a configuration may name (``data.encoding``) and a run records."""

ENCODINGS: tuple[EncodingName, ...] = get_args(EncodingName)
