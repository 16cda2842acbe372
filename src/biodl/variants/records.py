"""Variants: reading VCF/BCF and TSV files, splitting ALT alleles, normalising indels.

The code lives in :mod:`biodl.io.variants` (the io layer, so that the data layer can use
it); this module re-exports it unchanged, so ``biodl.variants.records`` keeps working.
"""

from __future__ import annotations

from biodl.io.variants import (
    SKIP_REASONS,
    SequenceSource,
    Variant,
    VariantFormat,
    check_alleles,
    iter_records,
    normalize,
    read_variants,
    sniff_variant_format,
    variants_from_table,
    vcf_header,
)

__all__ = [
    "SKIP_REASONS",
    "SequenceSource",
    "Variant",
    "VariantFormat",
    "check_alleles",
    "iter_records",
    "normalize",
    "read_variants",
    "sniff_variant_format",
    "variants_from_table",
    "vcf_header",
]
