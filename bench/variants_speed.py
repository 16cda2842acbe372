"""Variant scoring speed and memory: synthetic SNVs on the real part of hg19 chr20.

Writes N sorted synthetic SNVs (uniform positions in chr20:9,995,001-11,095,000, the
real sequence of the GIAB fragment; REF from the genome, ALT one of the three other
bases) as a plain VCF in a temporary folder, then scores them with
``biodl.workflows.variants.score_vcf`` (the code path of ``biodl score-variants``) and a
DeepBind model trained on ENCODE ChIP-seq (``bench/out/deepbind_encode/CTCFL``, 101 bp),
on the CPU. Each size runs in its own subprocess, so its peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own: a flat peak RSS across
sizes shows that memory does not grow with the number of variants.

Usage::

    nice -n 10 .venv/bin/python bench/variants_speed.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("/work/shared/data/varcall_giab_chr20_mini")
GENOME = DATA / "ucsc.hg19.chr20.unittest.fasta.gz"
MODEL = ROOT / "bench/out/deepbind_encode/CTCFL"
OUT = ROOT / "bench/out/variants_speed"
REAL = (9_995_001, 11_095_000)  # 1-based, inclusive: the real sequence of the fragment


def write_snvs(path: Path, n: int, *, seed: int) -> None:
    """``n`` sorted SNVs with REF from the genome (positions with N are redrawn)."""
    import pysam

    with pysam.FastaFile(str(GENOME)) as fa:
        seq = fa.fetch("chr20", REAL[0] - 1, REAL[1]).upper()
    rng = np.random.default_rng(seed)
    codes = np.frombuffer(seq.encode("ascii"), np.uint8)
    ok = np.flatnonzero(np.isin(codes, np.frombuffer(b"ACGT", np.uint8)))
    offsets = np.sort(rng.choice(ok, size=n, replace=True))
    shift = rng.integers(1, 4, size=n)
    bases = "ACGT"
    with path.open("w") as handle:
        handle.write("##fileformat=VCFv4.2\n##contig=<ID=chr20,length=63025520>\n")
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        lines = []
        for off, s in zip(offsets.tolist(), shift.tolist(), strict=True):
            ref = seq[off]
            alt = bases[(bases.index(ref) + s) % 4]
            lines.append(f"chr20\t{REAL[0] + off}\t.\t{ref}\t{alt}\t.\t.\t.\n")
            if len(lines) == 100_000:
                handle.write("".join(lines))
                lines = []
        handle.write("".join(lines))


def child(args: argparse.Namespace) -> None:
    """Score one VCF in this process; print one JSON line."""
    import torch

    torch.set_num_threads(args.threads)
    from biodl.workflows.variants import score_vcf_summary

    start = time.perf_counter()
    summary = score_vcf_summary(
        MODEL,
        GENOME,
        args.vcf,
        args.out,
        batch_size=args.batch_size,
        chunk_size=args.chunk_size,
        device="cpu",
        workers=args.workers,
    )
    wall = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "alleles": summary.alleles,
                "scored": summary.scored,
                "skipped": dict(summary.skipped),
                "wall_s": round(wall, 2),
                "variants_per_s": round(summary.alleles / wall, 1),
                "peak_rss_mb": round(rss_mb, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--workers", type=int, default=1, help="encoding threads")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--chunk-size", type=int, default=8192)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--vcf", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            vcf = Path(tmp) / f"snv_{n}.vcf"
            t0 = time.perf_counter()
            write_snvs(vcf, n, seed=args.seed)
            write_s = time.perf_counter() - t0
            cmd = [
                sys.executable,
                __file__,
                "--child",
                "--vcf",
                str(vcf),
                "--out",
                str(Path(tmp) / f"out_{n}.vcf.gz"),
                "--threads",
                str(args.threads),
                "--workers",
                str(args.workers),
                "--batch-size",
                str(args.batch_size),
                "--chunk-size",
                str(args.chunk_size),
            ]
            env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            if proc.returncode != 0:
                sys.exit(f"size {n} failed:\n{proc.stderr}")
            row = {
                "n": n,
                "vcf_write_s": round(write_s, 2),
                **json.loads(proc.stdout.splitlines()[-1]),
            }
            results.append(row)
            print(
                f"{n:>9,} SNVs: {row['wall_s']:8.1f} s, {row['variants_per_s']:9,.0f} variants/s, "
                f"peak RSS {row['peak_rss_mb']:7.1f} MB (scored {row['scored']:,})",
                flush=True,
            )
            vcf.unlink()
    report = {
        "model": str(MODEL.relative_to(ROOT)),
        "genome": str(GENOME),
        "settings": vars(args) | {"vcf": None, "out": None},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "results": results,
    }
    (OUT / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
