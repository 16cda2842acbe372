"""``biodl call-variants``: genotype candidate variants of a BAM with a pileup model."""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.cli._args import Subparsers, device, non_negative_int, positive_int

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``call-variants`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "call-variants",
        help="call SNVs and short indels from reads with a trained pileup model",
        description=(
            "Find candidate SNVs and indels in the reads (the thresholds the model was "
            "trained with), genotype each from its read pileup (hom-ref, het, hom-alt) and "
            "write the non-reference calls as a sorted VCF with GQ, QUAL, PL, DP, AD, VAF "
            "and provenance lines (.vcf.gz: bgzip + tabix index)."
        ),
    )
    p.add_argument("--model", type=Path, required=True, help="run directory (pileup model)")
    p.add_argument("--bam", type=Path, required=True, help="indexed BAM/CRAM of the sample")
    p.add_argument("--genome", type=Path, required=True, help="reference FASTA (bgzip ok)")
    p.add_argument("--out", type=Path, required=True, help="output VCF (.vcf.gz or .vcf)")
    p.add_argument(
        "--regions",
        nargs="+",
        help="BED file, or chrom:start-end regions (1-based, inclusive); default every contig",
    )
    p.add_argument("--sample", help="sample name in the VCF (default: the BAM's SM)")
    p.add_argument(
        "--min-qual",
        type=float,
        default=1.0,
        help="calls of lower QUAL are filtered LowQual (1, as DeepVariant's --qual_filter)",
    )
    p.add_argument("--batch-size", type=positive_int, default=256)
    p.add_argument(
        "--device", type=device, help="cpu, cuda, cuda:1 ... (default: cuda when available)"
    )
    p.add_argument("--seed", type=non_negative_int, default=0, help="read down-sampling seed")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Call the variants and print what was written; returns 0."""
    from biodl.workflows.calling import call_variants

    regions = args.regions
    if regions is not None and len(regions) == 1 and Path(regions[0]).exists():
        regions = regions[0]
    result = call_variants(
        args.model,
        args.bam,
        args.genome,
        args.out,
        regions=regions,
        sample=args.sample,
        batch_size=args.batch_size,
        device=args.device,
        seed=args.seed,
        min_qual=args.min_qual,
    )
    per_100kb = result.seconds / max(result.bases, 1) * 100_000
    genotypes = ", ".join(f"{k} {v}" for k, v in result.by_genotype.items())
    print(
        f"candidates: {result.candidates} ({genotypes}); calls written: {result.calls}; "
        f"{result.seconds:.1f} s ({per_100kb:.1f} s per 100 kb)"
    )
    print(f"calls: {result.out}")
    return 0
