"""Model inputs from examples: the one encoder that training, prediction,
interpretation and assessment share.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from biodl.data.examples import Examples
from biodl.encode import blosum62_encode, dinucleotide_one_hot, one_hot, structure_tensor
from biodl.errors import InputError
from biodl.io import AlphabetName

__all__ = ["encode_inputs", "structure_cache_dir"]


def encode_inputs(
    examples: Sequence[str] | Examples,
    *,
    alphabet: AlphabetName,
    unknown: Literal["zero", "uniform"],
    encoding: str = "onehot",
) -> np.ndarray:
    """The model input of each example.

    ``onehot``: ``(N, C, L)`` int8 (a quarter of float32's memory) unless N is uniform;
    ``dinucleotide``: the 16-channel dinucleotide one-hot (DNA/RNA); ``structure``: the
    packed ``(N, 8 + L, L)`` float16 sequence + ViennaRNA structure tensor
    (:func:`biodl.encode.structure_tensor`; folds are cached, see :func:`structure_cache_dir`);
    ``cpg``: the pre-computed ``Examples.features`` (CpG neighbourhoods, DNA);
    ``blosum62``: ``(N, 20, L)`` BLOSUM62 rows of proteins (float16, exact).
    Models cast each batch to float32, so the storage type does not change results.
    """
    if isinstance(examples, Examples) and examples.features is not None:
        if not examples.features:
            return np.zeros((0, 0, 0), dtype=np.float32)
        return np.stack(examples.features)
    if encoding == "cpg":
        raise InputError("a CpG model scores CpG sites from profiles, not sequences")
    seqs = examples.sequences if isinstance(examples, Examples) else examples
    if encoding == "dinucleotide":
        if alphabet == "protein":
            raise InputError("data.encoding: dinucleotide is for DNA or RNA, not protein")
        return dinucleotide_one_hot(seqs, alphabet=alphabet, dtype=np.int8)
    if encoding == "blosum62":
        return blosum62_encode(seqs, dtype=np.float16)
    if encoding == "structure":
        return structure_tensor(seqs, cache_dir=structure_cache_dir(), dtype=np.float16)
    dtype = np.int8 if unknown == "zero" else np.float32
    return one_hot(seqs, alphabet=alphabet, unknown=unknown, dtype=dtype)


def structure_cache_dir() -> Path | None:
    """Folder of cached ViennaRNA folds: ``$BIODL_CACHE_DIR/structure`` or
    ``~/.cache/biodl/structure``; ``None`` (no cache) if it cannot be written."""
    base = os.environ.get("BIODL_CACHE_DIR")
    folder = (Path(base) if base else Path.home() / ".cache" / "biodl") / "structure"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
