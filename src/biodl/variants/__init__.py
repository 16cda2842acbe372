"""Variant effect prediction: VCF/TSV alleles scored as ALT window minus REF window.

* :mod:`biodl.variants.records`: :class:`Variant`, reading VCF/BCF/TSV, splitting
  multi-allelic records, ``vt``-style normalisation;
* :mod:`biodl.variants.windows`: where the variant sits in the model input
  (first REF base at 0-based index ``L // 2``) and how indels fit;
* :mod:`biodl.variants.scoring`: :func:`score_variants`, streamed;
* :mod:`biodl.variants.writers`: VCF with ``BIODL_*`` INFO fields, TSV.
"""

from __future__ import annotations

from biodl.variants.records import (
    SKIP_REASONS,
    SequenceSource,
    Variant,
    check_alleles,
    iter_records,
    normalize,
    read_variants,
    sniff_variant_format,
    vcf_header,
)
from biodl.variants.scoring import (
    VariantScore,
    ism_positions,
    outputs_from_logits,
    score_variants,
)
from biodl.variants.windows import (
    BlockCache,
    alt_window,
    anchor_index,
    ref_window,
    variant_windows,
)
from biodl.variants.writers import TsvWriter, VcfWriter, output_names, tsv_header

__all__ = [
    "SKIP_REASONS",
    "BlockCache",
    "SequenceSource",
    "TsvWriter",
    "Variant",
    "VariantScore",
    "VcfWriter",
    "alt_window",
    "anchor_index",
    "check_alleles",
    "ism_positions",
    "iter_records",
    "normalize",
    "output_names",
    "outputs_from_logits",
    "read_variants",
    "ref_window",
    "score_variants",
    "sniff_variant_format",
    "tsv_header",
    "variant_windows",
    "vcf_header",
]
