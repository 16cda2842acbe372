"""``biodl predict``: score sequences with a trained model, or predict along a genome."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, cast

from biodl.cli._args import Subparsers, device, one_line_warnings, positive_int

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``predict`` to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "predict",
        help="score sequences with a trained model, or predict along a genome",
        description=(
            "Score the sequences of INPUT (FASTA/FASTQ or a table) and write a TSV, or, "
            "with --genome and --regions or --tile, predict along a reference genome and "
            "write the values as a bigWig, bedGraph or TSV track (--out's ending)."
        ),
    )
    p.add_argument("--model", type=Path, required=True, help="run directory")
    p.add_argument(
        "input",
        type=Path,
        nargs="?",
        help="FASTA/FASTQ (gzip ok), or a table with --sequence-column (not with --genome)",
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="TSV to write (id, score, logit); with --genome a track: .bw, .bigwig, "
        ".bedgraph, .bg, .bdg (.gz ok) or .tsv (one bigWig/bedGraph per output: OUT.<name>.bw)",
    )
    p.add_argument("--sequence-column", help="read INPUT as a TSV/CSV table with this column")
    p.add_argument("--id-column", help="id column of the table")
    p.add_argument(
        "--pad", action="store_true", help="pad sequences shorter than the model input with N"
    )
    genome = p.add_argument_group("predicting along a genome")
    genome.add_argument("--genome", type=Path, help="reference FASTA to predict along")
    genome.add_argument(
        "--regions",
        type=Path,
        help="BED file of the regions to predict on (a scalar model: one window per region, "
        "or with --tile the regions tiled)",
    )
    genome.add_argument(
        "--tile",
        type=positive_int,
        metavar="W",
        help="tile whole chromosomes (or the --regions): a scalar model's window every W bp "
        "(its value over those W bp); a track model's windows step by its output span",
    )
    genome.add_argument("--chroms", help="comma-separated chromosomes to predict on (default: all)")
    genome.add_argument(
        "--untransform",
        action="store_true",
        help="a track run trained on log1p or sqrt targets: write the predictions back in "
        "the tracks' units (expm1 or square)",
    )
    genome.add_argument(
        "--chrom-sizes",
        type=Path,
        help="the assembly's .chrom.sizes (or .fai) for the bigWig header (default: the "
        "genome's; an excerpt genome knows only its last excerpt's end)",
    )
    genome.add_argument(
        "--strands",
        choices=("forward", "both"),
        help="both: average with the reverse complement (default both for a run trained "
        "with reverse-complement augmentation)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="(512; --genome: about 4 Mb of input, at most 1,024 windows)",
    )
    p.add_argument(
        "--device", type=device, help="cpu, cuda, cuda:1 ... (default: cuda when available)"
    )
    p.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    """One-line errors for combinations argparse cannot express."""
    from biodl.errors import InputError

    genome_only = [
        name
        for name, value in (
            ("--regions", args.regions),
            ("--tile", args.tile),
            ("--chroms", args.chroms),
            ("--strands", args.strands),
            ("--chrom-sizes", args.chrom_sizes),
            ("--untransform", args.untransform or None),
        )
        if value is not None
    ]
    if args.genome is None:
        if args.input is None:
            raise InputError("predict needs INPUT (sequences to score) or --genome REF.fa")
        if genome_only:
            raise InputError(f"{genome_only[0]} needs --genome (predicting along a genome)")
        return
    if args.input is not None:
        raise InputError("give INPUT (sequences) or --genome, not both")
    for name, value in (
        ("--sequence-column", args.sequence_column),
        ("--id-column", args.id_column),
    ):
        if value is not None:
            raise InputError(f"{name} reads a table of sequences: not with --genome")
    if args.regions is None and args.tile is None:
        raise InputError("--genome needs --regions BED or --tile W")


def run(args: argparse.Namespace) -> int:
    """Score the input (or the genome) and print where the predictions are; returns the
    exit status."""
    _check(args)
    if args.genome is not None:
        from biodl.workflows import predict_genome

        chroms = [c for c in args.chroms.split(",") if c] if args.chroms else None
        with one_line_warnings():
            done = predict_genome(
                args.model,
                args.genome,
                args.out,
                regions=args.regions,
                tile=args.tile,
                chroms=chroms,
                batch_size=args.batch_size,
                device=args.device,
                strands=cast(Any, args.strands),
                chrom_sizes=args.chrom_sizes,
                untransform=args.untransform,
            )
        print(done.text())
        return 0
    from biodl.workflows import predict_file

    result = predict_file(
        args.model,
        args.input,
        args.out,
        sequence_column=args.sequence_column,
        id_column=args.id_column,
        pad_short=args.pad,
        batch_size=args.batch_size or 512,
        device=args.device,
    )
    print(f"predictions: {result.out} ({result.n_sequences} rows)")
    return 0
