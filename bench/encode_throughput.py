"""One-hot encoding throughput of ``biodl.encode.one_hot`` on one CPU thread.

Encodes random DNA (one long sequence, and a batch of 101 bp sequences of the same
total size) and, when ``/work/shared/data/varcall_giab_chr20_mini/`` holds a FASTA
file, the real sequence of that hg19 chr20 fragment (its span between the first and
last non-N base, 1.1 Mb, soft-masked: mixed case). Reports input megabytes
(10**6 letters) per second, the median over ``--repeats`` timings, for float32 and
int8 output, next to a plain NumPy baseline: a (256, 4) lookup table indexed with the
sequence bytes, returning the transposed (4, L) view, as tangermeme does (its output
is an int8 transposed view too).

One thread: ``OMP_NUM_THREADS`` and friends are set to 1 before NumPy is imported
(``one_hot`` itself runs on one thread; this keeps NumPy's helpers there too).
Short inputs are encoded several times per timing so that each timing lasts at least
about 0.1 s.

Usage::

    .venv/bin/python bench/encode_throughput.py --mb 50 --repeats 5 --seed 0
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from biodl.encode import one_hot  # noqa: E402
from biodl.io import read_fasta  # noqa: E402

CHR20_FOLDER = Path("/work/shared/data/varcall_giab_chr20_mini")
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz")


def random_dna(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    return rng.choice(np.frombuffer(b"ACGT", np.uint8), n).tobytes().decode("ascii")


def real_chr20() -> tuple[str, str] | None:
    """Name and sequence of the real (non-N) part of the chr20 fragment, if present."""
    if not CHR20_FOLDER.is_dir():
        return None
    files = sorted(p for p in CHR20_FOLDER.iterdir() if p.name.lower().endswith(FASTA_SUFFIXES))
    if not files:
        return None
    record = next(read_fasta(files[0], alphabet=None))
    seq = record.sequence
    upper = seq.upper()
    start = len(upper) - len(upper.lstrip("N"))
    end = len(upper.rstrip("N"))
    return f"{files[0].name} {record.id}:{start + 1}-{end}", seq[start:end]


def numpy_lookup(dtype: type[np.generic]) -> Callable[[str], np.ndarray]:
    """Baseline: one fancy-index into a (256, 4) table, transposed view (4, L)."""
    table = np.zeros((256, 4), dtype=dtype)
    for i, letter in enumerate("ACGT"):
        table[ord(letter), i] = 1
        table[ord(letter.lower()), i] = 1

    def encode(seq: str) -> np.ndarray:
        return table[np.frombuffer(seq.encode("ascii"), np.uint8)].T

    return encode


def numpy_lookup_batch(dtype: type[np.generic]) -> Callable[[Sequence[str]], np.ndarray]:
    single = numpy_lookup(dtype)

    def encode(seqs: Sequence[str]) -> np.ndarray:
        flat = single("".join(seqs))  # (4, N * L)
        return flat.reshape(4, len(seqs), -1).transpose(1, 0, 2)

    return encode


def rate(fn: Callable[[], object], letters: int, repeats: int) -> float:
    """Median MB/s over ``repeats`` timings; each timing runs ``fn`` >= 0.1 s."""
    start = time.perf_counter()
    fn()  # warm-up, and size the inner loop
    once = max(time.perf_counter() - start, 1e-6)
    number = max(1, int(0.1 / once))
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        timings.append((time.perf_counter() - start) / number)
    return letters / statistics.median(timings) / 1e6


def measure(name: str, data: str | list[str], letters: int, repeats: int) -> str:
    if isinstance(data, str):
        base32, base8 = numpy_lookup(np.float32), numpy_lookup(np.int8)
        baseline32: Callable[[], object] = lambda: base32(data)  # noqa: E731
        baseline8: Callable[[], object] = lambda: base8(data)  # noqa: E731
    else:
        batch32, batch8 = numpy_lookup_batch(np.float32), numpy_lookup_batch(np.int8)
        baseline32 = lambda: batch32(data)  # noqa: E731
        baseline8 = lambda: batch8(data)  # noqa: E731
    figures = [
        rate(lambda: one_hot(data, dtype=np.float32), letters, repeats),
        rate(lambda: one_hot(data, dtype=np.int8), letters, repeats),
        rate(baseline32, letters, repeats),
        rate(baseline8, letters, repeats),
    ]
    cells = " | ".join(f"{f:,.0f}" for f in figures)
    return f"| {name} | {letters / 1e6:.1f} | {cells} |"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="random DNA, in 10**6 letters")
    parser.add_argument("--repeats", type=int, default=5, help="timings per figure (median)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    n = int(args.mb * 1e6)
    seq = random_dna(n, args.seed)
    short = [seq[i : i + 101] for i in range(0, n - 100, 101)]
    print(
        f"# one_hot throughput, 1 thread, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )
    print(
        "| input | Mb | biodl float32 MB/s | biodl int8 MB/s "
        "| numpy lookup float32 MB/s | numpy lookup int8 MB/s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    print(measure("random DNA, one sequence", seq, n, args.repeats), flush=True)
    print(
        measure(f"random DNA, {len(short):,} x 101 bp", short, 101 * len(short), args.repeats),
        flush=True,
    )
    del seq, short
    real = real_chr20()
    if real is not None:
        name, chrom = real
        print(measure(f"real hg19 ({name})", chrom, len(chrom), args.repeats))


if __name__ == "__main__":
    main()
