"""``biodl score-variants``: effect of each VCF allele on a trained DNA model's outputs."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

from biodl.cli._args import (
    Subparsers,
    device,
    non_negative_int,
    one_line_warnings,
    positive_int,
)

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``score-variants`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "score-variants",
        help="score the effect of VCF variants with a trained DNA model",
        description=(
            "Score each ALT allele: model output on the ALT window minus the REF window "
            "(variant's first REF base at 0-based window index L//2). Writes the VCF with "
            "BIODL_* INFO fields (PREFIX_* with --prefix) and, with --tsv, one row per allele."
        ),
    )
    p.add_argument("--model", type=Path, required=True, help="run directory (DNA, one-hot)")
    p.add_argument("--genome", type=Path, required=True, help="reference FASTA (bgzip ok)")
    p.add_argument(
        "--vcf", type=Path, required=True, help="VCF/BCF (plain or bgzip) or TSV chrom/pos/ref/alt"
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output VCF (.vcf.gz: bgzip + tabix index; else plain text)",
    )
    p.add_argument("--tsv", type=Path, help="also write one row per allele to this TSV")
    p.add_argument(
        "--ref-mismatch",
        choices=("error", "skip", "warn"),
        default="error",
        help="REF differs from the genome: stop (default), skip the allele, or warn and score",
    )
    p.add_argument(
        "--strands",
        choices=("forward", "both"),
        help="average outputs over both strands (default: both if the run was trained "
        "with reverse-complement augmentation, else forward)",
    )
    p.add_argument("--batch-size", type=positive_int, default=256, help="windows per forward pass")
    p.add_argument(
        "--chunk-size", type=positive_int, default=4096, help="alleles read and scored together"
    )
    p.add_argument(
        "--device", type=device, help="cpu, cuda, cuda:1 ... (default: cuda when available)"
    )
    p.add_argument(
        "--workers", type=non_negative_int, default=0, help="threads that one-hot encode ahead"
    )
    p.add_argument(
        "--ism-window",
        type=non_negative_int,
        default=0,
        help="in-silico mutagenesis map of W positions around the site (written to --tsv)",
    )
    p.add_argument(
        "--sad-bins",
        type=positive_int,
        metavar="K",
        help="track models (per-position runs): sum the SAD (ALT minus REF, summed over "
        "bins) over the K bins centred on the variant (default all bins)",
    )
    p.add_argument(
        "--prefix",
        type=_prefix,
        default="BIODL",
        help="prefix of the INFO fields (default BIODL: BIODL_DIFF_<output>, ...); give each "
        "model its own to score one VCF with several (a field already there is an error)",
    )
    p.add_argument(
        "--drop-skipped",
        action="store_true",
        help="leave out records none of whose alleles was scored",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Score the variants and print the counts; returns the exit status."""
    from biodl.workflows import score_vcf

    with one_line_warnings():
        result = score_vcf(
            args.model,
            args.genome,
            args.vcf,
            args.out,
            tsv=args.tsv,
            ref_mismatch=args.ref_mismatch,
            strands=args.strands,
            batch_size=args.batch_size,
            chunk_size=args.chunk_size,
            device=args.device,
            workers=args.workers,
            ism_window=args.ism_window,
            drop_skipped=args.drop_skipped,
            command=_command(args),
            prefix=args.prefix,
            sad_bins=args.sad_bins,
        )
    print(result.text())
    return 0


def _prefix(text: str) -> str:
    """``--prefix``: text that can start a VCF INFO key (as
    :func:`biodl.variants.check_prefix` checks it, without importing it)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise argparse.ArgumentTypeError(
            f"{text}: cannot start a VCF INFO key; use a letter or _, then letters, digits and _"
        )
    return text


def _command(args: argparse.Namespace) -> str:
    """The command line as parsed (for ``##biodl_command``)."""
    words = ["biodl", "score-variants"]
    for name in ("model", "genome", "vcf", "out", "tsv", "ref_mismatch", "strands", "prefix"):
        value = getattr(args, name)
        if value is not None:
            words += [f"--{name.replace('_', '-')}", str(value)]
    for name in ("batch_size", "chunk_size", "device", "workers", "ism_window", "sad_bins"):
        value = getattr(args, name)
        if value is not None:
            words += [f"--{name.replace('_', '-')}", str(value)]
    if args.drop_skipped:
        words.append("--drop-skipped")
    return " ".join(shlex.quote(w) for w in words)
