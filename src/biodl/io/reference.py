"""The reference genome of variant scoring: a FASTA path, or a FASTA already open.

:func:`open_reference` accepts a path (read as :class:`biodl.io.Genome`), a
:class:`biodl.io.Genome`, an open ``pyfaidx.Fasta`` or ``pysam.FastaFile`` (wrapped in
:class:`FastaReference`), or anything with ``chrom_sizes`` and ``fetch``.

Examples
--------
>>> import os, tempfile, pyfaidx
>>> path = os.path.join(tempfile.mkdtemp(), "g.fa")
>>> with open(path, "w") as f:
...     _ = f.write(">chrA\\nACGTRCGTAC\\n")
>>> with open_reference(pyfaidx.Fasta(path)) as ref:
...     dict(ref.chrom_sizes), ref.fetch("chrA", -2, 6)
({'chrA': 10}, 'NNACGTNC')
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from biodl.errors import InputError
from biodl.io.alphabet import ambiguous_to_unknown
from biodl.io.bed import Genome
from biodl.io.variants import SequenceSource

__all__ = ["FastaReference", "open_reference"]


class FastaReference:
    """An open ``pyfaidx.Fasta`` or ``pysam.FastaFile`` read as :class:`biodl.io.Genome`
    reads its file: upper case, IUPAC ambiguity codes as ``N``, ``N`` outside a
    chromosome. The caller keeps the object open and closes it.

    Raises
    ------
    InputError
        ``fasta`` is neither; a chromosome not in it (from :meth:`fetch`).
    """

    def __init__(self, fasta: Any) -> None:
        if hasattr(fasta, "faidx") and hasattr(fasta.faidx, "index"):  # pyfaidx.Fasta
            sizes = {name: int(rec.rlen) for name, rec in fasta.faidx.index.items()}

            def raw(chrom: str, start: int, end: int) -> str:
                return str(fasta.faidx.fetch(chrom, start + 1, end))

        elif hasattr(fasta, "references") and hasattr(fasta, "lengths"):  # pysam.FastaFile
            sizes = dict(zip(fasta.references, (int(n) for n in fasta.lengths), strict=True))

            def raw(chrom: str, start: int, end: int) -> str:
                return str(fasta.fetch(chrom, start, end))

        else:
            raise InputError(
                "the genome must be a FASTA path, a biodl.io.Genome, a pyfaidx.Fasta or a "
                f"pysam.FastaFile, not {type(fasta).__name__}"
            )
        self.name = str(getattr(fasta, "filename", "genome"))
        self._sizes: Mapping[str, int] = sizes
        self._raw = raw

    @property
    def chrom_sizes(self) -> Mapping[str, int]:
        """Chromosome name to length, in file order."""
        return self._sizes

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases ``chrom[start:end]`` (0-based, half-open), ``N`` beyond the ends."""
        size = self._sizes.get(chrom)
        if size is None:
            names = ", ".join(list(self._sizes)[:5])
            raise InputError(f"chromosome {chrom!r} not in genome {self.name} (it has {names})")
        lo, hi = max(start, 0), min(end, size)
        if hi <= lo:
            return "N" * max(end - start, 0)
        inner = ambiguous_to_unknown(self._raw(chrom, lo, hi).upper())
        return "N" * (lo - start) + inner + "N" * (end - hi)


@contextlib.contextmanager
def open_reference(genome: Any) -> Iterator[SequenceSource]:
    """The reference ``genome`` as a :class:`~biodl.io.variants.SequenceSource`;
    closed on exit only when it was opened here (from a path)."""
    if isinstance(genome, str | os.PathLike):
        with Genome(genome, read_ahead=None) as opened:
            yield opened
        return
    if isinstance(genome, Genome) or (
        hasattr(genome, "chrom_sizes") and callable(getattr(genome, "fetch", None))
    ):
        yield genome
        return
    yield FastaReference(genome)
