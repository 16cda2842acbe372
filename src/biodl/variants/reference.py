"""The reference genome of variant scoring: a FASTA path, or a FASTA already open.

The code lives in :mod:`biodl.io.reference` (the io layer, so that the data layer can use
it); this module re-exports it unchanged, so ``biodl.variants.reference`` keeps working.
"""

from __future__ import annotations

from biodl.io.reference import FastaReference, open_reference

__all__ = ["FastaReference", "open_reference"]
