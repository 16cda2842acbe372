"""One-hot encoding throughput, side by side: biodl vs tangermeme (vs gReLU), one thread.

Runs in the separate peer environment made by ``bench/peers/setup_peers.sh`` (the
peers are never dependencies of biodl)::

    bash bench/peers/setup_peers.sh [--with-grelu]
    bench/.venv-peers/bin/python bench/peers/onehot_peers.py --mb 50 --repeats 5

Inputs (the same strings go to every tool):

(a) ``random``: one random DNA sequence of ``--mb`` x 10**6 letters, ``ACGT`` upper
    case, seeded (the same as ``bench/encode_throughput.py``);
(b) ``random 101 bp``: the same sequence cut into 101 bp pieces (495,049 for 50 Mb),
    a Python list of strings;
(c) ``chr20 upper`` / ``chr20 mixed``: the real part of the hg19 chr20 fragment in
    ``/work/shared/data/varcall_giab_chr20_mini/`` (chr20:9,995,001-11,095,000, the
    span between the first and last non-N base, 1.1 Mb, as ``bench/encode_throughput.py``
    takes it), upper-cased, and as in the file (soft-masked: mixed case).

What each timed call does (one call = the whole input; MB = 10**6 input letters):

- biodl: ``one_hot(x, dtype=np.int8)`` and ``one_hot(x, dtype=np.float32)``, ``x`` the
  string or the list. Output ``(4, L)`` or ``(N, 4, L)``, C-contiguous NumPy array.
- tangermeme 1.6.0: ``one_hot_encode(x)`` (defaults: alphabet ACGT, ``dtype=torch.int8``,
  ``ignore=['N']``, ``n_jobs=1``), which returns a torch int8 ``(4, L)`` tensor that is
  the transposed view of an ``(L, 4)`` array. For the list (b):
  ``torch.stack([one_hot_encode(s) for s in x])``, a Python loop over the sequences
  then one stack into a contiguous ``(N, 4, L)`` tensor; an extra row,
  ``tangermeme joined``, times ``one_hot_encode("".join(x))`` reshaped to an
  ``(N, 4, L)`` view (no per-sequence call; a trick, not the documented API).
  tangermeme rejects lower case (ValueError), so for the mixed-case input the timed
  call is ``one_hot_encode(x.upper())``.
- gReLU 1.1.0 (only if installed): ``strings_to_one_hot(x)``, float32 torch tensor
  ``(4, L)`` / ``(N, 4, L)``. It is a per-letter Python dict lookup plus a 64-bit
  ``torch.nn.functional.one_hot`` of 5 classes, far slower and memory hungry (50 Mb
  would take several GB), so it is timed on the first ``--grelu-mb`` Mb of the input
  only (the first ``--grelu-mb * 10**6 // 101`` sequences for (b); the whole 1.1 Mb
  for (c)); its MB/s is over the letters it was given. It does not take lower case
  either (KeyError), so the mixed-case call is ``strings_to_one_hot(x.upper())``.

Timing: every call is timed with ``time.perf_counter``; a call that takes under
``--min-time`` seconds is repeated in a loop of fixed length (sized from the warm-up
call) and the loop's time divided. Each tool gets one warm-up call (numba compiling,
caches), then ``--repeats`` timings, interleaved: repeat 1 times every tool once, then
repeat 2, ..., with the order of tools rotated each repeat, so that load from other
processes falls on all tools alike. The table gives the median MB/s. Output arrays
are freed after each call.

One thread: ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``NUMEXPR_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` are set to 1 before NumPy, torch or
numba are imported, and ``torch.set_num_threads(1)``.

Memory: this machine is a VM whose free memory goes back to the host (virtio-balloon
free page reporting) a few seconds after a process frees it; touching such memory
again costs about 2 ms per MB, more under load: 0.3-2 s for one 200 MB output, whole
seconds on top of the encoding, falling on whichever call comes after a long one (the
tangermeme loop). So by default the script re-executes itself with
``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2**40`` (glibc: large blocks from the heap,
heap never trimmed): after the warm-up call, every call reuses memory the process
already holds, and the figures are encoding work plus writing the output, for every
tool alike. ``--fresh-memory`` keeps the default allocator (each large output mapped
afresh, figures then depend on the VM's page reporting).

Agreement: before timing, every tool encodes a small input (random DNA with N, in
both cases, single and a batch of 101 bp), and the outputs are compared, as int8
``(4, L)`` / ``(N, 4, L)`` arrays, with biodl's; then, on every benchmark input, the
warm-up output of every tool is compared with biodl's int8 output. Both are printed.
"""

from __future__ import annotations

import os
import sys

# Freed memory stays in the process (see "Memory" in the docstring): glibc is told,
# before it starts, never to use mmap for large blocks and never to trim the heap, so
# the script re-executes itself once with those settings.
_HEAP_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 40)}
if "--fresh-memory" not in sys.argv and any(os.environ.get(k) != v for k, v in _HEAP_ENV.items()):
    os.environ.update(_HEAP_ENV)
    os.execv(sys.executable, [sys.executable, *sys.argv])

for _var in (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from importlib.metadata import PackageNotFoundError, version  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
with contextlib.suppress(RuntimeError):  # already set
    torch.set_num_interop_threads(1)

from tangermeme.utils import one_hot_encode  # noqa: E402

from biodl.encode import one_hot  # noqa: E402
from biodl.io import read_fasta  # noqa: E402

try:
    from grelu.sequence.format import strings_to_one_hot
except ImportError:  # gReLU is optional (setup_peers.sh --with-grelu)
    strings_to_one_hot = None

CHR20_FOLDER = Path("/work/shared/data/varcall_giab_chr20_mini")
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz")
PIECE = 101


def random_dna(n: int, seed: int) -> str:
    """The same random sequence as bench/encode_throughput.py."""
    rng = np.random.default_rng(seed)
    return rng.choice(np.frombuffer(b"ACGT", np.uint8), n).tobytes().decode("ascii")


def real_chr20() -> tuple[str, str] | None:
    """Name and sequence (case as in the file) of the non-N span of the chr20 fragment."""
    if not CHR20_FOLDER.is_dir():
        return None
    files = sorted(p for p in CHR20_FOLDER.iterdir() if p.name.lower().endswith(FASTA_SUFFIXES))
    if not files:
        return None
    record = next(read_fasta(files[0], alphabet=None))
    upper = record.sequence.upper()
    start = len(upper) - len(upper.lstrip("N"))
    end = len(upper.rstrip("N"))
    return f"{record.id}:{start + 1:,}-{end:,}", record.sequence[start:end]


def as_int8(x: Any) -> np.ndarray:
    """Any tool's output as an int8 NumPy array, same shape."""
    if isinstance(x, torch.Tensor):
        x = x.numpy()
    return np.asarray(x).astype(np.int8)


def layout(x: Any) -> str:
    shape = "(N, 4, L)" if x.ndim == 3 else "(4, L)"
    kind = "torch" if isinstance(x, torch.Tensor) else "numpy"
    contiguous = x.is_contiguous() if isinstance(x, torch.Tensor) else x.flags.c_contiguous
    if contiguous:
        return f"{shape} {kind}, contiguous"
    strides = (
        x.stride() if isinstance(x, torch.Tensor) else tuple(s // x.itemsize for s in x.strides)
    )
    return f"{shape} {kind}, strided view {strides}"


def dtype_name(x: Any) -> str:
    return str(x.dtype).replace("torch.", "")


@dataclass
class Case:
    tool: str
    fn: Callable[[], Any]
    letters: int
    note: str = ""
    dtype: str = ""
    layout: str = ""
    number: int = 1
    timings: list[float] = field(default_factory=list)
    agrees: bool | None = None

    def mbps(self) -> float:
        return self.letters / statistics.median(self.timings) / 1e6


def encoders(data: str | list[str], upper_first: bool, grelu_mb: float) -> list[Case]:
    """The timed calls for one input."""
    batch = not isinstance(data, str)
    letters = len(data) * len(data[0]) if batch else len(data)
    cases = [
        Case("biodl", lambda: one_hot(data, dtype=np.int8), letters),
        Case("biodl", lambda: one_hot(data, dtype=np.float32), letters),
    ]
    up = (lambda s: s.upper()) if upper_first else (lambda s: s)
    up_note = " on `.upper()`" if upper_first else ""
    if batch:
        n, length = len(data), len(data[0])
        cases.append(
            Case(
                "tangermeme",
                lambda: torch.stack([one_hot_encode(up(s)) for s in data]),
                letters,
                f"loop + `torch.stack`{up_note}",
            )
        )
        cases.append(
            Case(
                "tangermeme joined",
                lambda: one_hot_encode(up("".join(data))).reshape(4, n, length).transpose(0, 1),
                letters,
                f"one call on `''.join(list)`{up_note}",
            )
        )
    else:
        cases.append(Case("tangermeme", lambda: one_hot_encode(up(data)), letters, up_note.strip()))
    if strings_to_one_hot is not None:
        if batch:
            part: str | list[str] = data[: max(1, int(grelu_mb * 1e6) // len(data[0]))]
            part_letters = len(part) * len(part[0])
        else:
            part = data[: int(grelu_mb * 1e6)]
            part_letters = len(part)
        if upper_first:
            prepared = part if isinstance(part, str) else list(part)
            fn = (
                (lambda: strings_to_one_hot(prepared.upper()))
                if isinstance(prepared, str)
                else (lambda: strings_to_one_hot([s.upper() for s in prepared]))
            )
        else:
            fn = lambda: strings_to_one_hot(part)  # noqa: E731
        note = f"first {part_letters / 1e6:.2f} Mb" if part_letters < letters else ""
        note = ", ".join(x for x in (note, up_note.strip()) if x)
        cases.append(Case("gReLU", fn, part_letters, note))
    return cases


def reference_for(case: Case, ref: np.ndarray, data: str | list[str]) -> np.ndarray:
    """biodl's int8 output restricted to what the case encoded (gReLU: a prefix)."""
    if case.letters == ref.size // 4:
        return ref
    if ref.ndim == 3:
        return ref[: case.letters // ref.shape[2]]
    return ref[:, : case.letters]


def run_input(
    name: str, data: str | list[str], upper_first: bool, args: argparse.Namespace
) -> list[Case]:
    cases = encoders(data, upper_first, args.grelu_mb)
    ref: np.ndarray | None = None
    for case in cases:  # warm-up, layout, agreement, loop size
        start = time.perf_counter()
        out = case.fn()
        once = max(time.perf_counter() - start, 1e-6)
        case.number = max(1, int(args.min_time / once))
        case.dtype, case.layout = dtype_name(out), layout(out)
        if ref is None:
            ref = as_int8(out)  # biodl int8 comes first
        case.agrees = bool(np.array_equal(as_int8(out), reference_for(case, ref, data)))
        del out
        gc.collect()
    del ref
    for rep in range(args.repeats):
        shift = rep % len(cases)
        for case in cases[shift:] + cases[:shift]:
            start = time.perf_counter()
            for _ in range(case.number):
                case.fn()
            case.timings.append((time.perf_counter() - start) / case.number)
    print(f"  measured {name}: load average {os.getloadavg()[0]:.2f}", flush=True)
    return cases


def agreement_check(seed: int) -> None:
    """Small inputs, every tool against biodl int8: same one-hot up to layout/dtype."""
    rng = np.random.default_rng(seed + 1)
    upper = rng.choice(np.frombuffer(b"ACGTN", np.uint8), 1000, p=[0.24] * 4 + [0.04])
    mixed = np.where(rng.random(1000) < 0.5, upper, upper + 32)  # lower-case half
    single_upper = upper.tobytes().decode()
    single_mixed = mixed.tobytes().decode()
    batch_mixed = [single_mixed[i : i + PIECE] for i in range(0, 909, PIECE)]  # 9 x 101
    print("Agreement check (small inputs; outputs as int8 arrays, compared with biodl int8):")
    for label, x in (
        ("1,000 bp, upper case, 4% N", single_upper),
        ("1,000 bp, mixed case, 4% N", single_mixed),
        ("9 x 101 bp, mixed case", batch_mixed),
    ):
        ref = one_hot(x, dtype=np.int8)
        xu = x.upper() if isinstance(x, str) else [s.upper() for s in x]
        results = {"biodl float32": as_int8(one_hot(x, dtype=np.float32))}
        if isinstance(x, str):
            results["tangermeme"] = as_int8(one_hot_encode(xu))
        else:
            results["tangermeme"] = as_int8(torch.stack([one_hot_encode(s) for s in xu]))
        if strings_to_one_hot is not None:
            results["gReLU"] = as_int8(strings_to_one_hot(xu))
        cells = ", ".join(
            f"{tool} {'==' if np.array_equal(out, ref) else '!='} biodl int8"
            for tool, out in results.items()
        )
        zeros = int((ref.sum(axis=-2) == 0).sum())
        print(f"- {label}, shape {ref.shape}, {zeros} all-zero (N) columns: {cells}")
    lower_raises = []
    try:
        one_hot_encode("acgt")
    except ValueError:
        lower_raises.append("tangermeme (ValueError)")
    if strings_to_one_hot is not None:
        try:
            strings_to_one_hot("acgt")
        except KeyError:
            lower_raises.append("gReLU (KeyError)")
    if lower_raises:
        print(f"- lower case is rejected by: {', '.join(lower_raises)}; they get `.upper()` input")
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="random DNA, in 10**6 letters")
    parser.add_argument("--repeats", type=int, default=5, help="timings per figure (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--grelu-mb", type=float, default=2.0, help="gReLU is timed on this many Mb at most"
    )
    parser.add_argument(
        "--min-time", type=float, default=0.1, help="shorter calls are looped to this (s)"
    )
    parser.add_argument(
        "--fresh-memory",
        action="store_true",
        help="keep glibc's default allocator (large outputs mapped afresh; see docstring)",
    )
    args = parser.parse_args(argv)

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    load_start = os.getloadavg()
    print(
        f"# One-hot throughput, 1 thread: biodl {ver('biodl')}, tangermeme {ver('tangermeme')}, "
        f"grelu {ver('grelu')}, numpy {np.__version__}, torch {torch.__version__} "
        f"(threads {torch.get_num_threads()}), Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs"
    )
    heap = (
        "default glibc allocator (--fresh-memory)"
        if args.fresh_memory
        else "freed memory kept in the process (MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=2**40)"
    )
    print(f"Memory: {heap}")
    print(f"Load average before (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load_start)}")
    print()
    agreement_check(args.seed)

    n = int(args.mb * 1e6)
    seq = random_dna(n, args.seed)
    pieces = [seq[i : i + PIECE] for i in range(0, n - PIECE + 1, PIECE)]
    inputs: list[tuple[str, str | list[str], bool]] = [
        (f"random, 1 x {n / 1e6:g} Mb", seq, False),
        (f"random, {len(pieces):,} x {PIECE} bp", pieces, False),
    ]
    real = real_chr20()
    if real is None:
        print(f"(no FASTA in {CHR20_FOLDER}: real-sequence rows skipped)")
    else:
        region, chrom = real
        lower = sum(c.islower() for c in chrom) / len(chrom)
        n_count = chrom.upper().count("N")
        inputs.append((f"hg19 {region} upper", chrom.upper(), False))
        inputs.append((f"hg19 {region} mixed ({lower:.0%} lower)", chrom, True))
        print(f"Real input: hg19 {region}, {len(chrom):,} bp, {lower:.1%} lower case, {n_count} N")

    rows = []
    for name, data, upper_first in inputs:
        rows.append((name, run_input(name, data, upper_first, args)))
    load_end = os.getloadavg()

    print()
    print("| input | tool | dtype | output layout | MB/s |")
    print("|---|---|---|---|---:|")
    for name, cases in rows:
        for case in cases:
            tool = f"{case.tool} ({case.note})" if case.note else case.tool
            print(f"| {name} | {tool} | {case.dtype} | {case.layout} | {case.mbps():,.0f} |")
    print()
    mismatches = [
        f"{case.tool} {case.dtype} on {name}"
        for name, cases in rows
        for case in cases
        if not case.agrees
    ]
    print(
        "Outputs on the benchmark inputs equal biodl int8 (as int8): "
        + ("all agree" if not mismatches else "MISMATCH: " + "; ".join(mismatches))
    )
    print(
        f"Load average before: {', '.join(f'{x:.2f}' for x in load_start)}; "
        f"after: {', '.join(f'{x:.2f}' for x in load_end)} (1, 5, 15 min), "
        f"{os.cpu_count()} CPUs; median of {args.repeats} interleaved repeats"
    )


if __name__ == "__main__":
    main()
