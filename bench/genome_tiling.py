"""Issue #21 benchmark: ``biodl predict --genome --tile`` throughput and memory in length.

A DeepBind ENCODE model (CTCFL, ``examples/ctcfl_deepbind.yaml`` with ``max_epochs``
capped; one output per 101-bp window) tiled over the real hg19 chr20 fragment of
``../shared/data/varcall_giab_chr20_mini`` (chr20:9,995,001-11,095,000, 1.1 Mb; the rest
of that chr20 is ``N``, see its SOURCE.md), writing bigWig, at 1x, 4x and 16x length:

* ``1x``: ``--regions`` a BED of the 1.1 Mb cut into W-bp intervals (one window per BED
  interval; written before ``--regions`` with ``--tile`` existed), on a plain copy of
  the shared chr20 (same coordinates; pyfaidx 0.9.2.2 failed on the bgzipped one where a
  window starts on a BGZF block, which ``biodl.io.Genome`` now reads around:
  ``bgzip_check``);
* ``1x_plain``, ``4x``, ``16x``: plain FASTAs written here whose one chromosome ``chr20``
  is the 1.1 Mb repeated 1, 4 and 16 times (1.1, 4.4, 17.6 Mb), tiled whole (``--tile``);
* ``startup``: a ``--regions`` run on a 1-kb BED (one window), median of 3: biodl's fixed
  cost (imports, model and genome loading, bigWig writing), subtracted from the 1x figures.

Every ``biodl predict`` is its own process under ``/usr/bin/time -v`` (wall clock, peak
RSS), with ``OMP_NUM_THREADS=1``; the same ``--tile W`` for every length. Checks of the
1x bigWig, read back with pyBigWig: every base of the region covered exactly once, and
sampled intervals equal to a direct Python-API scoring (``load_run``, ``one_hot``,
``task.scores``) of the 101-bp window centred on them (``|diff| <= 1e-4``). With
``--track-model`` (default: ``bench/out/seq2signal/runs/dilated_resnet_s0`` when it
exists, a 65,536-bp-input, 128-bp-bin CAGE model) the 1x tiling is timed with it too.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python bench/genome_tiling.py --tile 10
    OMP_NUM_THREADS=1 .venv/bin/python bench/genome_tiling.py --tile 1 --lengths 1  # pilot
    OMP_NUM_THREADS=1 .venv/bin/python bench/genome_tiling.py --model RUN --tile 10
    .venv/bin/python bench/genome_tiling.py --table

Outputs (cached; ``--force`` redoes the timings, ``--retrain`` the training):
``bench/out/genome_tiling/`` (results_tile<W>.json, configs/, runs/, genomes/, tracks/, logs/).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "genome_tiling"
BIODL = ROOT / ".venv" / "bin" / "biodl"
SHARED = ROOT.parent / "shared"
MINI = SHARED / "data" / "varcall_giab_chr20_mini"
FASTA = MINI / "ucsc.hg19.chr20.unittest.fasta.gz"
CONFIG = ROOT / "examples" / "ctcfl_deepbind.yaml"
TRACK_RUN = ROOT / "bench" / "out" / "seq2signal" / "runs" / "dilated_resnet_s0"
CHROM = "chr20"
REAL_START, REAL_END = 9_995_000, 11_095_000  # 0-based, half-open (SOURCE.md)
FULL_LENGTH = 63_025_520  # the shared chr20
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def log(msg: str) -> None:
    print(f"[genome_tiling {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rel(p: Path) -> str:
    try:
        return str(Path(p).relative_to(ROOT))
    except ValueError:
        return str(p)


def timed(cmd: list[str], logfile: Path) -> dict[str, Any]:
    """Run ``cmd`` under ``/usr/bin/time -v`` (stdout+stderr to ``logfile``): wall, RSS."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with logfile.open("w") as fh:
        fh.write("$ OMP_NUM_THREADS=1 " + " ".join(map(str, cmd)) + "\n")
        fh.flush()
        if Path("/usr/bin/time").exists():
            proc = subprocess.run(
                ["/usr/bin/time", "-v", *cmd], stdout=fh, stderr=subprocess.STDOUT, env=ENV
            )
        else:  # fallback: rusage of children (peak RSS is the max over all children)
            import resource

            t0 = time.perf_counter()
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=ENV)
            ru = resource.getrusage(resource.RUSAGE_CHILDREN)
            fh.write(f"\nElapsed (wall clock) time (h:mm:ss or m:ss): {time.perf_counter() - t0}")
            fh.write(f"\nMaximum resident set size (kbytes): {ru.ru_maxrss}\n")
    text = logfile.read_text()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}), see {logfile}:\n{text[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    user = re.search(r"User time \(seconds\): (\S+)", text)
    system = re.search(r"System time \(seconds\): (\S+)", text)
    secs = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            secs = secs * 60 + float(part)
    out: dict[str, Any] = {
        "wall_s": round(secs, 2),
        "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "log": rel(logfile),
    }
    if user and system:
        out["cpu_s"] = round(float(user.group(1)) + float(system.group(1)), 2)
    done = re.search(r"\((\d+) windows, (\d+) bp", text)
    if done:
        out["windows"], out["bases_written"] = int(done.group(1)), int(done.group(2))
    inner = re.search(r"model[^)]*, ([\d.]+) s\)", text)
    if inner:
        out["biodl_job_s"] = float(inner.group(1))  # predict_genome's own clock
    return out


# ----------------------------------------------------------------------------- model
def train_model(epochs: int, *, force: bool) -> dict[str, Any]:
    """``biodl train`` of the CTCFL DeepBind example with ``max_epochs`` capped."""
    run = OUT / "runs" / f"ctcfl_deepbind_e{epochs}"
    cache = OUT / "runs" / f"ctcfl_deepbind_e{epochs}.json"
    if cache.exists() and (run / "model.json").exists() and not force:
        cached: dict[str, Any] = json.loads(cache.read_text())
        return cached
    text = CONFIG.read_text().replace("../../shared/", f"{SHARED}/")
    text, n = re.subn(r"max_epochs: \d+", f"max_epochs: {epochs}", text)
    if n != 1:
        raise SystemExit(f"no max_epochs in {CONFIG}")
    config = OUT / "configs" / f"ctcfl_deepbind_e{epochs}.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    cmd = [str(BIODL), "train", str(config), "--out", str(run), "--force", "--threads", "1"]
    log("training: " + " ".join(cmd))
    res = timed(cmd, OUT / "logs" / f"train_e{epochs}.log")
    out = {"run": rel(run), "trained_here": True, "train_wall_s": res["wall_s"]}
    out.update(describe_run(run))
    cache.write_text(json.dumps(out, indent=1))
    return out


def describe_run(run: Path) -> dict[str, Any]:
    meta = json.loads((run / "model.json").read_text())
    out: dict[str, Any] = {
        "architecture": meta["architecture"]["name"],
        "input_length": meta["input_length"],
        "n_parameters": meta.get("n_parameters"),
        "epochs": (meta.get("training") or {}).get("epochs"),
        "augment": meta.get("augment"),
    }
    metrics_path = run / "metrics.json"
    if metrics_path.exists():
        test = json.loads(metrics_path.read_text()).get("test", {})
        if "auroc" in test:
            out["test_auroc"] = round(float(test["auroc"]["value"]), 4)
    return out


# ----------------------------------------------------------------------------- genomes
def shared_chr20() -> str:
    """The whole shared chr20 (63 Mb, ``N`` outside the real fragment), upper case."""
    parts: list[str] = []
    with gzip.open(FASTA, "rt") as fh:
        header = fh.readline()
        if not header.startswith(f">{CHROM}"):
            raise SystemExit(f"unexpected first record in {FASTA}: {header!r}")
        for line in fh:
            if line.startswith(">"):
                break
            parts.append(line.strip())
    return "".join(parts).upper()


def real_sequence(seq: str | None = None) -> str:
    """The real 1.1 Mb of the shared chr20 (checked: ``N`` just outside, none at its ends)."""
    seq = seq if seq is not None else shared_chr20()
    real = seq[REAL_START:REAL_END]
    outside = seq[:REAL_START] + seq[REAL_END:]
    if set(outside) != {"N"} or real[0] == "N" or real[-1] == "N":
        raise SystemExit("the real sequence is not where SOURCE.md puts it")
    return real


def _write_fasta(path: Path, length: int, make: Callable[[], str]) -> None:
    """A plain FASTA ``>chr20`` of ``make()`` (60 bases a line; written once, staged),
    then indexed, so that no timed run builds the ``.fai``."""
    from biodl.io import Genome

    if not path.exists():
        seq = make()
        tmp = path.with_name(path.name + ".partial")
        with tmp.open("w") as fh:
            fh.write(f">{CHROM}\n")
            for i in range(0, len(seq), 60):
                fh.write(seq[i : i + 60] + "\n")
        tmp.rename(path)
    with Genome(path) as genome:
        if genome.chrom_sizes[CHROM] != length:
            raise SystemExit(f"{path}: {CHROM} has {genome.chrom_sizes[CHROM]} bases")


def bgzip_check() -> dict[str, Any]:
    """biodl's Genome on the shared bgzipped FASTA, at a window whose first base begins a
    BGZF block (pyfaidx 0.9.2.2 fails there: ``within_block_offset`` 65536)."""
    import pyfaidx

    from biodl.io import Genome

    out: dict[str, Any] = {"pyfaidx": pyfaidx.__version__, "window": [CHROM, 10_023_147]}
    with Genome(FASTA) as genome:
        try:
            genome.fetch(CHROM, 10_023_147, 10_023_147 + 101)
            out["ok"] = True
        except Exception as exc:  # the failure is what this records
            out["ok"] = False
            out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def _repeat(full_seq: Callable[[], str], k: int) -> str:
    return real_sequence(full_seq()) * k


def write_genomes(copies: list[int]) -> dict[str, Any]:
    """Plain FASTAs: ``chr20_full.fa`` (the shared chr20 decompressed: same coordinates)
    and ``chr20_{k}x.fa`` (the real 1.1 Mb ``k`` times); the BEDs."""
    folder = OUT / "genomes"
    folder.mkdir(parents=True, exist_ok=True)
    cache: dict[str, str] = {}

    def full_seq() -> str:
        if "full" not in cache:
            cache["full"] = shared_chr20()
        return cache["full"]

    full = folder / "chr20_full.fa"
    _write_fasta(full, FULL_LENGTH, full_seq)
    out: dict[str, Any] = {"full": {"fasta": rel(full), "length": FULL_LENGTH}}
    real_len = REAL_END - REAL_START
    for k in copies:
        path = folder / f"chr20_{k}x.fa"
        _write_fasta(path, real_len * k, partial(_repeat, full_seq, k))
        out[f"{k}x"] = {"fasta": rel(path), "length": real_len * k}
    bed = folder / "real_1x.bed"
    bed.write_text(f"{CHROM}\t{REAL_START}\t{REAL_END}\n")
    small = folder / "startup_1kb.bed"
    small.write_text(f"{CHROM}\t10000000\t10001000\n")
    out["real"] = {"bed": rel(bed)}
    return out


# ----------------------------------------------------------------------------- runs
def predict(
    model: Path, label: str, genome: Path, where: list[str], *, force: bool
) -> dict[str, Any]:
    """One ``biodl predict --genome`` process, timed; cached by label."""
    track = OUT / "tracks" / f"{label}.bw"
    cache = OUT / "tracks" / f"{label}.json"
    cmd = [str(BIODL), "predict", "--model", str(model), "--genome", str(genome), *where]
    cmd += ["--out", str(track), "--device", "cpu"]
    if cache.exists() and not force:
        cached: dict[str, Any] = json.loads(cache.read_text())
        if cached.get("cmd") == " ".join(cmd[1:]):
            return cached
    track.parent.mkdir(parents=True, exist_ok=True)
    for old in track.parent.glob(f"{label}*.bw"):
        old.unlink()
    log(f"{label}: " + " ".join(cmd))
    res = timed(cmd, OUT / "logs" / f"{label}.log")
    paths = sorted(track.parent.glob(f"{label}*.bw"))
    res["bigwig_bytes"] = sum(p.stat().st_size for p in paths)
    res["bigwigs"] = [rel(p) for p in paths]
    res["cmd"] = " ".join(cmd[1:])
    cache.write_text(json.dumps(res, indent=1))
    log(f"{label}: {res['wall_s']} s, {res['peak_rss_mib']} MiB")
    return res


def rates(res: dict[str, Any], length: int, startup_s: float | None = None) -> dict[str, Any]:
    wall = res["wall_s"] - (startup_s or 0.0)
    out = {
        "length_bp": length,
        "bases_per_s": round(length / wall) if wall > 0 else None,
        "windows_per_s": round(res.get("windows", 0) / wall) if wall > 0 else None,
    }
    if startup_s is not None:
        out["wall_minus_startup_s"] = round(wall, 2)
    return out


# ----------------------------------------------------------------------------- checks
def verify(model: Path, bigwig: Path, tile: int, *, n_samples: int = 40) -> dict[str, Any]:
    """Coverage of the 1x region and sampled values against a direct scoring."""
    import pyBigWig
    import torch

    from biodl.encode import one_hot
    from biodl.runs import load_run
    from biodl.tasks import task_from_meta

    bw = pyBigWig.open(str(bigwig))
    try:
        chroms = bw.chroms()
        ivs = bw.intervals(CHROM) or []
    finally:
        bw.close()
    starts = np.array([s for s, _, _ in ivs], dtype=np.int64)
    ends = np.array([e for _, e, _ in ivs], dtype=np.int64)
    vals = np.array([v for _, _, v in ivs], dtype=np.float64)
    coverage = {
        "chroms_in_header": {str(k): int(v) for k, v in chroms.items()},
        "n_intervals": len(ivs),
        "expected_intervals": -(-(REAL_END - REAL_START) // tile),
        "first_start": int(starts[0]) if len(ivs) else None,
        "last_end": int(ends[-1]) if len(ivs) else None,
        "bases_covered": int((ends - starts).sum()),
        "gaps_or_overlaps": int(np.count_nonzero(starts[1:] != ends[:-1])),
        "nan_values": int(np.isnan(vals).sum()),
    }
    covered_once = (
        coverage["first_start"] == REAL_START
        and coverage["last_end"] == REAL_END
        and coverage["gaps_or_overlaps"] == 0
        and coverage["bases_covered"] == REAL_END - REAL_START
        and coverage["nan_values"] == 0
    )
    # direct scoring: window of L bases starting at lo + (hi - lo) // 2 - L // 2 (the
    # documented centre), bases from the real sequence read here, N outside it
    run = load_run(model)
    task = task_from_meta(run.meta)
    length = run.input_length
    real = real_sequence()  # read here from the shared bgzipped FASTA with gzip
    rng = np.random.default_rng(0)
    picks = sorted({0, len(ivs) - 1, *rng.choice(len(ivs), n_samples, replace=False).tolist()})
    seqs = []
    for i in picks:
        lo, hi = int(starts[i]), int(ends[i])
        s = lo + (hi - lo) // 2 - length // 2
        seq = "".join(
            real[p - REAL_START] if REAL_START <= p < REAL_END else "N"
            for p in range(s, s + length)
        )
        seqs.append(seq)
    X = torch.from_numpy(one_hot(seqs, alphabet="dna", unknown=run.unknown, dtype=np.float32))
    model_ = run.model.eval()
    with torch.no_grad():
        z = model_(X).numpy().astype(np.float64)
    temperature = run.temperature if task.probabilistic else 1.0
    direct = np.asarray(task.score_matrix(z / temperature), dtype=np.float64)[:, 0]
    diff = np.abs(direct - vals[picks])
    return {
        "coverage": coverage,
        "covered_exactly_once": bool(covered_once),
        "n_sampled": len(picks),
        "max_abs_diff": float(diff.max()),
        "values_match_1e-4": bool(diff.max() <= 1e-4),
        "temperature": float(temperature),
        "sampled_value_range": [float(direct.min()), float(direct.max())],
        "passed": bool(covered_once and diff.max() <= 1e-4),
    }


# ----------------------------------------------------------------------------- table
def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "omp_num_threads": ENV["OMP_NUM_THREADS"],
    }


def table(results: dict[str, Any]) -> str:
    tile = results["tile"]
    lines = [
        (
            f"Model: {results['model']['architecture']} ({results['model']['run']}, "
            f"test AUROC {results['model'].get('test_auroc', 'n/a')}), `--tile {tile}`, "
            "biodl's default batch (about 4 Mb of input: 1,024 windows of 101 bp), CPU, "
            "OMP_NUM_THREADS=1, "
            f"{results['machine']['cores']} cores shared."
        ),
        "",
        (
            "| run | length scored | windows | wall s | biodl job s | bases/s | windows/s | "
            "peak RSS MiB | bigWig MiB |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    startup = results.get("startup")
    if startup:
        lines.append(
            f"| start-up (1-kb BED, 1 window; median of "
            f"{', '.join(map(str, startup.get('trials_wall_s', [])))} s) | 1,000 | "
            f"{startup.get('windows', '')} | {startup['wall_s']} | "
            f"{startup.get('biodl_job_s', '')} | | | {startup['peak_rss_mib']} | "
            f"{startup['bigwig_bytes'] / 2**20:.3f} |"
        )
    for row in results.get("runs", []):
        lines.append(
            f"| {row['label']} | {row['length_bp']:,} | {row.get('windows', 0):,} | "
            f"{row['wall_s']} | {row.get('biodl_job_s', '')} | {row['bases_per_s']:,} | "
            f"{row['windows_per_s']:,} | {row['peak_rss_mib']} | "
            f"{row['bigwig_bytes'] / 2**20:.2f} |"
        )
        if "net" in row:
            net = row["net"]
            lines.append(
                f"| {row['label']} minus start-up | {row['length_bp']:,} | "
                f"{row.get('windows', 0):,} | {net['wall_minus_startup_s']} | | "
                f"{net['bases_per_s']:,} | {net['windows_per_s']:,} | | |"
            )
    track = results.get("track")
    if track:
        lines.append(
            f"| track model {track['architecture']} ({track['bin_size']}-bp bins), 1x "
            f"`--regions` | {track['length_bp']:,} | {track.get('windows', 0):,} | "
            f"{track['wall_s']} | {track.get('biodl_job_s', '')} | {track['bases_per_s']:,} | "
            f"{track['windows_per_s']:,} | "
            f"{track['peak_rss_mib']} | {track['bigwig_bytes'] / 2**20:.2f} |"
        )
    flat = results.get("rss_flat")
    if flat:
        lines += ["", flat["text"]]
    check = results.get("verify")
    if check:
        cov = check["coverage"]
        lines += [
            "",
            (
                f"1x bigWig check: {cov['n_intervals']:,} intervals, {cov['bases_covered']:,} bp "
                f"from {cov['first_start']:,} to {cov['last_end']:,}, {cov['gaps_or_overlaps']} "
                f"gaps/overlaps (covered exactly once: {check['covered_exactly_once']}); "
                f"{check['n_sampled']} sampled intervals vs direct Python-API scoring: max |diff| "
                f"{check['max_abs_diff']:.2e} (<= 1e-4: {check['values_match_1e-4']})."
            ),
        ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tile", type=int, default=10, help="--tile W for every length")
    ap.add_argument("--lengths", type=int, nargs="*", default=[1, 4, 16], help="copies")
    ap.add_argument("--model", type=Path, help="an existing DeepBind run (default: train)")
    ap.add_argument("--epochs", type=int, default=5, help="max_epochs when training")
    ap.add_argument("--track-model", type=Path, default=TRACK_RUN)
    ap.add_argument("--no-track", action="store_true", help="skip the track model")
    ap.add_argument("--no-regions-1x", action="store_true", help="skip the 1x BED run")
    ap.add_argument("--no-plain-1x", action="store_true", help="skip the 1x plain FASTA run")
    ap.add_argument("--table", action="store_true", help="print the table of results.json")
    ap.add_argument("--force", action="store_true", help="redo the timings")
    ap.add_argument("--retrain", action="store_true", help="train the model again")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"results_tile{args.tile}.json"
    if args.table:
        print(table(json.loads(path.read_text())))
        return
    if not FASTA.exists():
        sys.exit(f"missing {FASTA}")
    results: dict[str, Any] = {
        "command": " ".join(
            ["OMP_NUM_THREADS=" + os.environ.get("OMP_NUM_THREADS", ""), *sys.argv]
        ),
        "machine": machine(),
        "tile": args.tile,
    }
    if args.model is not None:
        model_dir = args.model.resolve()
        results["model"] = {"run": rel(model_dir), "trained_here": False}
        results["model"].update(describe_run(model_dir))
    else:
        results["model"] = train_model(args.epochs, force=args.retrain)
        model_dir = ROOT / results["model"]["run"]
    log(f"model: {results['model']}")
    copies = sorted({k for k in args.lengths if k > 1} | ({1} if not args.no_plain_1x else set()))
    results["genomes"] = write_genomes(copies)
    g = results["genomes"]
    full = ROOT / g["full"]["fasta"]
    results["bgzip_check"] = bgzip_check()
    log(f"bgzip check: {results['bgzip_check']}")
    real_len = REAL_END - REAL_START
    tag = f"w{args.tile}"
    # the fixed cost, measured afresh in every invocation (median of 3: the CPU is shared)
    trials = [
        predict(
            model_dir,
            f"startup_{i}",
            full,
            ["--regions", str(ROOT / "bench/out/genome_tiling/genomes/startup_1kb.bed")],
            force=True,
        )
        for i in range(3)
    ]
    startup = sorted(trials, key=lambda r: r["wall_s"])[1]
    startup["trials_wall_s"] = [r["wall_s"] for r in trials]
    results["startup"] = startup
    runs: list[dict[str, Any]] = []
    startup_s = float(startup["wall_s"])
    for k in sorted(set(args.lengths)):
        if k == 1 and not args.no_regions_1x:
            # --regions and --tile do not combine: the 1x BED holds the W-bp tiles
            bed = tiles_bed(args.tile)
            label = f"1x_regions_{tag}"
            res = predict(model_dir, label, full, ["--regions", str(bed)], force=args.force)
            row = {"label": "1x (chr20 copy, BED of W-bp tiles)", "name": label, **res}
            row.update(rates(res, real_len))
            row["net"] = rates(res, real_len, startup_s)
            runs.append(row)
            results["runs"] = runs
            results["verify"] = verify(model_dir, OUT / "tracks" / f"{label}.bw", args.tile)
            log(f"verify: {results['verify']}")
            if args.no_plain_1x:
                continue
        label = f"{k}x_tile_{tag}"
        res = predict(
            model_dir,
            label,
            ROOT / g[f"{k}x"]["fasta"],
            ["--tile", str(args.tile)],
            force=args.force,
        )
        row = {"label": f"{k}x (plain FASTA, --tile)", "name": label, **res}
        row.update(rates(res, real_len * k))
        if k == 1:
            row["net"] = rates(res, real_len, startup_s)
        runs.append(row)
        results["runs"] = runs
        path.write_text(json.dumps(results, indent=1))
    tiled = [r for r in runs if r["name"].endswith(f"_tile_{tag}")]
    if len(tiled) >= 2:
        lo, hi = tiled[0], tiled[-1]
        ratio = hi["peak_rss_mib"] / lo["peak_rss_mib"]
        flat = abs(hi["peak_rss_mib"] - lo["peak_rss_mib"]) <= max(0.05 * lo["peak_rss_mib"], 20)
        results["rss_flat"] = {
            "ratio": round(ratio, 3),
            "flat": bool(flat),
            "text": (
                f"Peak RSS {lo['peak_rss_mib']} MiB at {lo['length_bp']:,} bp and "
                f"{hi['peak_rss_mib']} MiB at {hi['length_bp']:,} bp (x{ratio:.3f} for "
                f"x{hi['length_bp'] / lo['length_bp']:.0f} length): "
                + ("flat" if flat else "NOT flat")
                + " (flat = within 5 % or 20 MiB)."
            ),
        }
    if not args.no_track and (args.track_model / "model.json").exists():
        res = predict(
            args.track_model.resolve(),
            "track_1x",
            full,
            ["--regions", str(ROOT / g["real"]["bed"])],
            force=args.force,
        )
        meta = json.loads((args.track_model / "model.json").read_text())
        bins = re.search(r"(\d+)-bp bins", Path(ROOT / res["log"]).read_text())
        results["track"] = {
            "run": rel(args.track_model),
            "architecture": meta["architecture"]["name"],
            "input_length": meta["input_length"],
            "bin_size": int(bins.group(1)) if bins else None,
            **res,
            **rates(res, real_len),
        }
    elif not args.no_track:
        results["track"] = None
        log(f"no track model at {args.track_model}: skipped")
    path.write_text(json.dumps(results, indent=1))
    print(table(results))


def tiles_bed(tile: int) -> Path:
    """A BED of the real 1.1 Mb cut into ``tile``-bp intervals (the last one shorter)."""
    bed = OUT / "genomes" / f"real_1x_tiles_{tile}.bed"
    if not bed.exists():
        tmp = bed.with_suffix(".partial")
        with tmp.open("w") as fh:
            for lo in range(REAL_START, REAL_END, tile):
                fh.write(f"{CHROM}\t{lo}\t{min(lo + tile, REAL_END)}\n")
        tmp.rename(bed)
    return bed


if __name__ == "__main__":
    main()
