"""The model input windows of a variant: where the variant sits, and how indels fit.

Conventions (``L`` is the model's input length):

* **Anchor.** The variant's first REF base (0-based genome index ``s = pos - 1``) sits
  at 0-based window index ``a = L // 2``: the centre when ``L`` is odd, the right one of
  the two middle positions when ``L`` is even (``L = 4``: index 2). The REF window is
  ``genome[s - a, s - a + L)``.
* **ALT window.** The ALT haplotype is the genome with ``ref`` (``genome[s, s +
  len(ref))``) replaced by ``alt``. The ALT window is the ``L`` bases of that haplotype
  that start ``a`` bases before the variant: the same ``a`` left-flank bases as the REF
  window, then ``alt``, then the genome after the REF allele, cut to ``L``. A deletion
  pulls more of the right flank into the window, an insertion pushes it out; both
  windows have exactly ``L`` letters and the variant at the same index ``a``.
* **Chromosome ends.** Positions before the chromosome start or past its end are ``N``
  (encoded as the model's ``unknown``: all-zero or uniform).

Examples
--------
>>> class G:
...     chrom_sizes = {"c": 10}
...     def fetch(self, chrom, start, end):
...         seq = "ACGTACGTAC"
...         return "N" * max(0, -start) + seq[max(start, 0):max(end, 0)] + "N" * max(0, end - 10)
>>> from biodl.variants.records import Variant
>>> v = Variant("c", 5, "A", "G")   # 1-based 5 = 0-based 4
>>> ref_window(G(), v, 5), alt_window(G(), v, 5)
('GTACG', 'GTGCG')
>>> ref_window(G(), v, 4), alt_window(G(), v, 4)   # even L: anchor at index 2
('GTAC', 'GTGC')
>>> alt_window(G(), Variant("c", 5, "A", "ATT"), 5), alt_window(G(), Variant("c", 5, "ACG", "A"), 5)
('GTATT', 'GTATA')
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from biodl.errors import InputError
from biodl.variants.records import SequenceSource, Variant

__all__ = ["BlockCache", "alt_window", "anchor_index", "ref_window", "variant_windows"]


def anchor_index(length: int) -> int:
    """0-based window index of the variant's first REF base: ``length // 2``.

    Examples
    --------
    >>> anchor_index(101), anchor_index(100), anchor_index(1)
    (50, 50, 0)
    """
    if length < 1:
        msg = f"window length must be at least 1, not {length}"
        raise InputError(msg)
    return length // 2


def ref_window(genome: SequenceSource, variant: Variant, length: int) -> str:
    """The ``length`` reference bases with ``variant.ref``'s first base at ``length // 2``."""
    left = variant.start - anchor_index(length)
    return genome.fetch(variant.chrom, left, left + length)


def alt_window(genome: SequenceSource, variant: Variant, length: int) -> str:
    """The ``length`` bases of the ALT haplotype with ``variant.alt`` at ``length // 2``.

    Left flank from the genome (``length // 2`` bases), then ``alt``, then the genome
    after the REF allele; cut to ``length`` (a long insertion runs off the right end).
    """
    a = anchor_index(length)
    start, chrom = variant.start, variant.chrom
    left = genome.fetch(chrom, start - a, start)
    need = max(length - a - len(variant.alt), 0)
    after = start + len(variant.ref)
    right = genome.fetch(chrom, after, after + need)
    return (left + variant.alt + right)[:length]


def variant_windows(genome: SequenceSource, variant: Variant, length: int) -> tuple[str, str]:
    """``(ref_window, alt_window)`` from one genome read (what scoring uses).

    Equal to :func:`ref_window` and :func:`alt_window`: reads
    ``genome[s - a, s + len(ref) + L - a)``, which holds both windows.

    Examples
    --------
    >>> class G:
    ...     chrom_sizes = {"c": 10}
    ...     def fetch(self, chrom, start, end): return "ACGTACGTAC"[start:end]
    >>> from biodl.variants.records import Variant
    >>> variant_windows(G(), Variant("c", 5, "ACG", "A"), 5)
    ('GTACG', 'GTATA')
    """
    a = anchor_index(length)
    n_ref = len(variant.ref)
    region = genome.fetch(variant.chrom, variant.start - a, variant.start + n_ref + length - a)
    alt = region[:a] + variant.alt + region[a + n_ref :]
    return region[:length], alt[:length]


class BlockCache:
    """A genome read in fixed blocks, the last few kept in memory.

    Sorted (or locally clustered) variants then cost one genome read per block
    instead of several per variant; memory stays at ``max_blocks * block`` bases.
    ``fetch`` pads with ``N`` outside the chromosome, like :class:`biodl.io.Genome`.

    Parameters
    ----------
    genome
        Anything with ``chrom_sizes`` and ``fetch(chrom, start, end)``.
    block
        Bases per block.
    max_blocks
        Blocks kept (least recently used dropped first).

    Examples
    --------
    >>> class G:
    ...     chrom_sizes = {"c": 10}
    ...     def fetch(self, chrom, start, end): return "ACGTACGTAC"[start:end]
    >>> BlockCache(G(), block=4).fetch("c", -2, 12)
    'NNACGTACGTACNN'
    """

    def __init__(
        self, genome: SequenceSource, *, block: int = 1 << 20, max_blocks: int = 4
    ) -> None:
        if block < 1 or max_blocks < 1:
            msg = "block and max_blocks must be at least 1"
            raise ValueError(msg)
        self.genome = genome
        self.block = block
        self.max_blocks = max_blocks
        self._blocks: OrderedDict[tuple[str, int], str] = OrderedDict()

    @property
    def chrom_sizes(self) -> Mapping[str, int]:
        """Chromosome name to length."""
        return self.genome.chrom_sizes

    def _get(self, chrom: str, index: int, size: int) -> str:
        key = (chrom, index)
        seq = self._blocks.get(key)
        if seq is None:
            lo = index * self.block
            seq = self.genome.fetch(chrom, lo, min(lo + self.block, size))
            self._blocks[key] = seq
            if len(self._blocks) > self.max_blocks:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(key)
        return seq

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases ``chrom[start:end]`` (0-based, half-open), ``N`` outside the chromosome."""
        size = self.genome.chrom_sizes.get(chrom)
        if size is None:
            return self.genome.fetch(chrom, start, end)  # the genome's own error
        lo, hi = max(start, 0), min(end, size)
        if hi <= lo:
            return "N" * max(end - start, 0)
        parts = ["N" * (lo - start)]
        pos = lo
        while pos < hi:
            index = pos // self.block
            offset = index * self.block
            seq = self._get(chrom, index, size)
            take = min(hi, offset + self.block)
            parts.append(seq[pos - offset : take - offset])
            pos = take
        parts.append("N" * (end - hi))
        return "".join(parts)
