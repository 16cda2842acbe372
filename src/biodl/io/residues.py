"""Per-residue labels in ScanNet's text format.

A record is a header ``>ID`` (ScanNet: ``>PDBID_CHAIN``) followed by one line per residue,
``chain residue_number amino_acid label`` separated by white space, for example::

    >1mv0_B
    B 402 G 0
    B 403 R 1

The amino-acid column gives the sequence, so sequence-only models can be trained from
these files (Tubiana et al. 2022, *Nat Methods* 19:730). Labels are numbers (ScanNet's
are 0/1); ``NA``/``nan`` marks a residue without a label.

Examples
--------
>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "labels.txt")
>>> _ = open(path, "w").write(">1abc_A\\nA 1 M 0\\nA 2 K 1\\n")
>>> (rec,) = read_residue_labels(path)
>>> rec.id, rec.sequence, rec.labels.tolist(), rec.line
('1abc_A', 'MK', [0.0, 1.0], 1)
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.io._open import read_lines
from biodl.io.alphabet import validate_sequence

__all__ = ["ResidueRecord", "read_residue_labels"]


class ResidueRecord(NamedTuple):
    """One chain: its id, sequence, per-residue labels ``(L,)`` and header line."""

    id: str
    sequence: str
    labels: npt.NDArray[np.float32]
    line: int


def read_residue_labels(path: str | os.PathLike[str]) -> list[ResidueRecord]:
    """Read a ScanNet-style per-residue label file (plain or gzip).

    Raises
    ------
    InputError
        A residue line before any header, a line without four fields, a label that is
        not a number, an amino acid that is not a protein letter, a chain with no
        residues, or an empty file; the message names the file and line.
    """
    records: list[ResidueRecord] = []
    current: tuple[str, int] | None = None
    letters: list[str] = []
    labels: list[float] = []

    def close() -> None:
        if current is None:
            return
        seq_id, line = current
        if not letters:
            raise InputError(f"chain '{seq_id}' has no residues", path=path, line=line)
        seq = validate_sequence("".join(letters), "protein", path=path, line=line, record=seq_id)
        records.append(ResidueRecord(seq_id, seq, np.array(labels, dtype=np.float32), line))

    for lineno, raw in read_lines(path):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith(">"):
            close()
            name = text[1:].split()
            if not name:
                raise InputError("empty header", path=path, line=lineno)
            current, letters, labels = (name[0], lineno), [], []
            continue
        if current is None:
            raise InputError("a residue line before the first '>' header", path=path, line=lineno)
        fields = text.split()
        if len(fields) != 4:
            raise InputError(
                f"expected 4 fields (chain, number, amino acid, label), found {len(fields)}",
                path=path,
                line=lineno,
            )
        if len(fields[2]) != 1:
            raise InputError(f"amino acid '{fields[2]}' is not one letter", path=path, line=lineno)
        try:
            value = math.nan if fields[3].lower() in ("na", "nan", ".") else float(fields[3])
        except ValueError:
            raise InputError(
                f"label '{fields[3]}' is not a number", path=path, line=lineno
            ) from None
        if math.isinf(value):
            raise InputError(f"label '{fields[3]}' is not finite", path=path, line=lineno)
        letters.append(fields[2])
        labels.append(value)
    close()
    if not records:
        raise InputError("empty file: no '>' records", path=path)
    return records
