"""Variant effect prediction: VCF/TSV alleles scored as ALT window minus REF window.

* :mod:`biodl.variants.records`: :class:`Variant`, reading VCF/BCF/TSV, splitting
  multi-allelic records, ``vt``-style normalisation;
* :mod:`biodl.variants.windows`: where the variant sits in the model input
  (first REF base at 0-based index ``L // 2``) and how indels fit;
* :mod:`biodl.variants.reference`: the genome, a path or an open ``pyfaidx.Fasta`` /
  ``pysam.FastaFile``;
* :mod:`biodl.variants.scoring`: :func:`score_variants`, streamed (alleles, or a
  DataFrame of chrom, pos, ref, alt[, id]); track models scored by SAD;
* :mod:`biodl.variants.writers`: VCF with ``BIODL_*`` (or ``--prefix``) INFO fields, TSV.
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
    variants_from_table,
    vcf_header,
)
from biodl.variants.reference import FastaReference, open_reference
from biodl.variants.scoring import (
    StrandMean,
    VariantScore,
    ism_positions,
    outputs_from_logits,
    sad_bins_slice,
    score_variants,
)
from biodl.variants.windows import (
    BlockCache,
    alt_window,
    anchor_index,
    ref_window,
    variant_windows,
)
from biodl.variants.writers import (
    DEFAULT_PREFIX,
    TsvWriter,
    VcfWriter,
    check_prefix,
    output_names,
    tsv_cells,
    tsv_header,
)

__all__ = [
    "DEFAULT_PREFIX",
    "SKIP_REASONS",
    "BlockCache",
    "FastaReference",
    "SequenceSource",
    "StrandMean",
    "TsvWriter",
    "Variant",
    "VariantScore",
    "VcfWriter",
    "alt_window",
    "anchor_index",
    "check_alleles",
    "check_prefix",
    "ism_positions",
    "iter_records",
    "normalize",
    "open_reference",
    "output_names",
    "outputs_from_logits",
    "read_variants",
    "ref_window",
    "sad_bins_slice",
    "score_variants",
    "sniff_variant_format",
    "tsv_cells",
    "tsv_header",
    "variant_windows",
    "variants_from_table",
    "vcf_header",
]
