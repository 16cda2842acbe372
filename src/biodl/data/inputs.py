"""Model inputs from examples: the one encoder that training, prediction,
interpretation and assessment share.

The encoder lives in the sequence input kind (:class:`biodl.data.kinds.SequenceKind`);
:func:`encode_inputs` is its call by keyword options, kept for existing callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from biodl.data.examples import Examples
from biodl.data.kinds import SequenceKind, structure_cache_dir
from biodl.io import AlphabetName

__all__ = ["encode_inputs", "structure_cache_dir"]


def encode_inputs(
    examples: Sequence[str] | Examples,
    *,
    alphabet: AlphabetName,
    unknown: Literal["zero", "uniform"],
    encoding: str = "onehot",
) -> np.ndarray:
    """The model input of each example: :meth:`SequenceKind.encode
    <biodl.data.kinds.SequenceKind.encode>` of the kind with these options.

    ``onehot``: ``(N, C, L)`` int8 unless ``unknown`` is ``"uniform"``;
    ``dinucleotide``: ``(N, 16, L)``; ``structure``: ``(N, 8 + L, L)`` float16;
    ``cpg``: the stacked ``Examples.features``; ``blosum62``: ``(N, 20, L)`` float16.

    Examples
    --------
    >>> encode_inputs(["ACGT", "AAAA"], alphabet="dna", unknown="zero").shape
    (2, 4, 4)
    """
    kind = SequenceKind(alphabet=alphabet, unknown=unknown, encoding=encoding)
    return kind.encode(examples)
