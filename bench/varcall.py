"""Issue #20 benchmark: variant calling from reads (NA12878, GIAB chr20 window).

Callers, all on the same reads and regions, scored with ``biodl evaluate-calls``:

* ``biodl`` (``pileup_cnn``), trained with ``biodl train`` on the real ~8x reads outside the
  GIAB confident regions (the example config, 3 training seeds), and on simulated reads only
  (:func:`biodl.testing.reads.simulate_sample`, 200 kb at 8x and at 30x, data seed 0,
  3 training seeds each);
* ``bcftools mpileup | bcftools call -mv`` (the bcftools bundled with pysam);
* ``afcaller``: a non-learned allele-fraction caller on biodl's own candidates (same
  thresholds): AF < 0.2 ref, 0.2-0.8 het, >= 0.8 hom-alt; genotype probabilities from a
  binomial likelihood (P(alt read | 0/0, 0/1, 1/1) = err, 0.5, 1 - err; flat prior), GQ
  from those.

Tests:

* ``8x_confident``: the ~8x real reads, the 11 GIAB confident intervals (49 truth variants);
* ``49x_slice_confident``: NA12878_small.bam (~49x, chr20:9,999,912-10,001,997), inside the
  confident BED intersected with that span;
* ``49x_slice_span``: the same reads over chr20:10,000,001-10,001,997 (their span clipped to
  the truth VCF's window), the truth VCF's records as truth
  (outside the BED GIAB has no confident negatives: precision there is indicative only);
* timing: every caller on the 100 kb chr20:10,000,001-10,100,000 of the 8x reads, under
  ``/usr/bin/time -v`` (wall, peak RSS); biodl's own "s per 100 kb" line is kept too.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python bench/varcall.py            # everything (cached)
    .venv/bin/python bench/varcall.py --table                      # markdown table
    .venv/bin/python bench/varcall.py --force                      # redo every step

Worker modes (used by the driver under ``/usr/bin/time -v``)::

    bench/varcall.py bcftools REF BAM OUT.vcf.gz (--region R | --regions-file BED)
    bench/varcall.py afcall REF BAM OUT.vcf.gz (--region R | --regions-file BED)

Outputs: ``bench/out/varcall/`` (results.json, table.md, calls/, eval/, runs/, sim/, data/).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "varcall"
PY = ROOT / ".venv" / "bin" / "python"
BIODL = ROOT / ".venv" / "bin" / "biodl"
SHARED = Path("/work/shared/data")
MINI = SHARED / "varcall_giab_chr20_mini"
BAM8 = SHARED / "varcall_guacamole_na12878" / "gatk_mini_bundle_extract.bam"
BAM49 = MINI / "NA12878_small.bam"
GENOME = MINI / "ucsc.hg19.chr20.unittest.fasta.gz"
TRUTH = MINI / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz"
CONFIDENT = MINI / "test_nist.b37_chr20_100kbp_at_10mb.bed"
WINDOW = "chr20:10000001-10100000"  # the truth VCF's 100 kb (1-based, inclusive)
SLICE = ("chr20", 10_000_000, 10_001_997)  # 0-based half-open: NA12878_small.bam's reads
# (chr20:9,999,912-10,001,997) clipped to the truth VCF's window, which starts at 10,000,001
SEEDS = (0, 1, 2)
SIMS = {"sim8x": {"depth": 8}, "sim30x": {"depth": 30}}
SIM_ARGS = {"length": 200_000, "n_variants": 450, "error_sites": 150, "seed": 0}
AF_ERR = 0.01  # per-read error rate in the allele-fraction caller's binomial likelihood
AF_MIN_QUAL = 1.0  # LowQual below, as biodl call-variants' default --min-qual

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


# ----------------------------------------------------------------------------- helpers
def log(msg: str) -> None:
    print(f"[varcall {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def timed(cmd: list[str], logfile: Path) -> dict:
    """Run ``cmd`` under ``/usr/bin/time -v``; its stdout+stderr go to ``logfile``."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    full = ["/usr/bin/time", "-v", *map(str, cmd)]
    with logfile.open("w") as fh:
        fh.write("$ " + " ".join(map(str, cmd)) + "\n")
        fh.flush()
        proc = subprocess.run(full, stdout=fh, stderr=subprocess.STDOUT, env=ENV, cwd=ROOT)
    text = logfile.read_text()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}), see {logfile}:\n{text[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    secs = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            secs = secs * 60 + float(part)
    return {
        "wall_s": round(secs, 2),
        "peak_rss_mb": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "log": str(logfile.relative_to(ROOT)),
    }


def rel(p: Path) -> str:
    try:
        return str(Path(p).relative_to(ROOT))
    except ValueError:
        return str(p)


def write_bed(path: Path, rows: list[tuple[str, int, int]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in rows))
    return path


# ----------------------------------------------------------------------------- prepare
def prepare(force: bool) -> dict:
    import pysam

    data = OUT / "data"
    data.mkdir(parents=True, exist_ok=True)
    # bcftools needs the BAM's contig names to be the reference's: the 8x BAM says "20".
    bam8c = data / "gatk_mini_bundle_extract.chr20.bam"
    if force or not bam8c.exists():
        with pysam.AlignmentFile(str(BAM8)) as fh:
            header = fh.header.to_dict()
        header["SQ"] = [{**sq, "SN": "chr20"} if sq["SN"] == "20" else sq for sq in header["SQ"]]
        tmp = bam8c.with_suffix(".tmp.bam")
        with (
            pysam.AlignmentFile(str(BAM8)) as src,
            pysam.AlignmentFile(str(tmp), "wb", header=header) as dst,
        ):
            for read in src.fetch(until_eof=True):
                dst.write(read)  # same reference ids: only the name of contig "20" changes
        tmp.replace(bam8c)
        pysam.index(str(bam8c))
    # the 49x slice: confident BED clipped to the reads' span, and the span itself
    chrom, lo, hi = SLICE
    clipped = []
    for line in CONFIDENT.read_text().splitlines():
        c, s, e = line.split("\t")[:3]
        s, e = max(int(s), lo), min(int(e), hi)
        if c == chrom and s < e:
            clipped.append((c, s, e))
    slice_bed = write_bed(data / "slice_confident.bed", clipped)
    span_bed = write_bed(data / "slice_span.bed", [SLICE])
    c, s, e = re.match(r"(\w+):(\d+)-(\d+)", WINDOW).groups()
    window_bed = write_bed(data / "window_100kb.bed", [(c, int(s) - 1, int(e))])

    def truth_in(bed_rows):
        n = {"SNV": 0, "INDEL": 0}
        with pysam.VariantFile(str(TRUTH)) as vf:
            for rec in vf:
                for c2, s2, e2 in bed_rows:
                    if rec.chrom == c2 and s2 <= rec.start and rec.stop <= e2:
                        kind = (
                            "SNV" if all(len(a) == len(rec.ref) == 1 for a in rec.alts) else "INDEL"
                        )
                        n[kind] += 1
                        break
        return n

    bed_rows = [
        (f[0], int(f[1]), int(f[2]))
        for f in (ln.split("\t") for ln in CONFIDENT.read_text().splitlines())
        if len(f) >= 3
    ]
    info = {
        "bam8_chr20": rel(bam8c),
        "slice_confident_bed": rel(slice_bed),
        "slice_confident_intervals": clipped,
        "slice_span_bed": rel(span_bed),
        "window_bed": rel(window_bed),
        "truth_counts": {
            "8x_confident": truth_in(bed_rows),
            "49x_slice_confident": truth_in(clipped),
            "49x_slice_span": truth_in([SLICE]),
        },
    }
    # simulated training samples (documented as simulated)
    from biodl.testing.reads import simulate_sample

    for name, extra in SIMS.items():
        folder = OUT / "sim" / name
        if force or not (folder / "reads.bam.bai").exists():
            log(f"simulating {name}")
            t0 = time.perf_counter()
            sim = simulate_sample(folder, contig=name, **SIM_ARGS, **extra)
            log(f"  {len(sim.variants)} planted variants, {time.perf_counter() - t0:.0f} s")
    return info


# ----------------------------------------------------------------------------- training
def real_config(seed: int) -> Path:
    text = (ROOT / "examples" / "na12878_pileup_cnn.yaml").read_text()
    text = text.replace("../../shared/data", str(SHARED))
    text = re.sub(r"seed: \d+", f"seed: {seed}", text)
    path = OUT / "configs" / f"real_seed{seed}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# generated by bench/varcall.py from examples/na12878_pileup_cnn.yaml\n" + text
    )
    return path


def sim_config(name: str, seed: int) -> Path:
    folder = OUT / "sim" / name
    text = f"""# generated by bench/varcall.py: simulated reads only (simulate_sample)
task: multiclass
data:
  train:
    reads: {folder / "reads.bam"}
    genome: {folder / "ref.fa"}
    truth: {folder / "truth.vcf.gz"}
    confident: {folder / "confident.bed"}
  valid: {{blocks: 0.15, block_size: 5000}}
  test: {{blocks: 0.1, block_size: 5000}}
model: {{name: pileup_cnn}}
train: {{max_epochs: 30, patience: 8, batch_size: 32, learning_rate: 0.001, seed: {seed}}}
"""
    path = OUT / "configs" / f"{name}_seed{seed}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def train_all(force: bool) -> dict:
    runs = {}
    jobs = [(f"real_seed{s}", real_config(s)) for s in SEEDS]
    jobs += [(f"{n}_seed{s}", sim_config(n, s)) for n in SIMS for s in SEEDS]
    for name, cfg in jobs:
        run = OUT / "runs" / name
        info_path = OUT / "runs" / f"{name}.train.json"
        if not force and (run / "model.safetensors").exists() and info_path.exists():
            runs[name] = json.loads(info_path.read_text())
            continue
        log(f"training {name}")
        t = timed(
            [BIODL, "train", cfg, "--out", run, "--force", "--threads", "1", "--quiet"],
            OUT / "runs" / f"{name}.train.log",
        )
        metrics = json.loads((run / "metrics.json").read_text())
        n_split = {}
        try:
            import gzip

            with gzip.open(run / "splits.tsv.gz", "rt") as fh:
                next(fh)
                for line in fh:
                    sp = line.rstrip("\n").split("\t")[1]
                    n_split[sp] = n_split.get(sp, 0) + 1
        except OSError:
            pass
        info = {
            "config": rel(cfg),
            "run": rel(run),
            **t,
            "examples": n_split,
            "test_macro_auroc": (metrics.get("test", {}).get("macro_auroc") or {}).get("value"),
        }
        info_path.write_text(json.dumps(info, indent=1))
        runs[name] = info
    return runs


# ----------------------------------------------------------------------------- workers
def _regions_arg(args) -> list[str]:
    return ["-R", args.regions_file] if args.regions_file else ["-r", args.region]


def worker_bcftools(args) -> None:
    """``bcftools mpileup -f REF -a AD,DP ... | bcftools call -mv -Oz`` (pysam's bcftools)."""
    import pysam
    import pysam.bcftools

    out = Path(args.out)
    tmp = out.with_suffix(".mpileup.bcf")
    t0 = time.perf_counter()
    mp = ["-f", args.ref, *_regions_arg(args), "-a", "AD,DP", "-Ob", "-o", str(tmp), args.bam]
    call = ["-mv", "-Oz", "-o", str(out), str(tmp)]
    print("bcftools mpileup " + " ".join(mp), flush=True)
    pysam.bcftools.mpileup(*mp, catch_stdout=False)
    print("bcftools call " + " ".join(call), flush=True)
    pysam.bcftools.call(*call, catch_stdout=False)
    pysam.tabix_index(str(out), preset="vcf", force=True)
    tmp.unlink()
    print(f"internal_seconds {time.perf_counter() - t0:.3f}", flush=True)


def _binomial_probs(k: int, n: int, err: float = AF_ERR) -> list[float]:
    n = max(n, k)
    logs = [k * math.log(p) + (n - k) * math.log(1 - p) for p in (err, 0.5, 1 - err)]
    top = max(logs)
    w = [math.exp(v - top) for v in logs]
    s = sum(w)
    return [v / s for v in w]


def worker_afcall(args) -> None:
    """Allele-fraction genotyping of biodl's candidates (default thresholds)."""
    from biodl.data.pileup import CandidateOptions, find_candidates, parse_region
    from biodl.io.reads import open_alignments
    from biodl.io.reference import open_reference
    from biodl.variants.calls import GenotypeCall, write_calls

    t0 = time.perf_counter()
    regions = args.regions_file if args.regions_file else [parse_region(args.region)]
    calls = []
    n_cand = 0
    with open_reference(args.ref) as genome:
        with open_alignments(
            args.bam, genome_contigs=genome.chrom_sizes, genome_name=args.ref
        ) as reads:
            cands = find_candidates(reads, genome, regions=regions, options=CandidateOptions())
        n_cand = len(cands)
        for c in cands:
            n = max(c.depth, c.alt_reads)
            af = c.alt_reads / max(n, 1)
            gt = (0, 0) if af < 0.2 else (0, 1) if af < 0.8 else (1, 1)
            calls.append(
                GenotypeCall(
                    c.chrom,
                    c.pos,
                    c.ref,
                    (c.alt,),
                    gt,
                    tuple(_binomial_probs(c.alt_reads, n)),
                    depth=n,
                    allele_depths=(n - c.alt_reads, c.alt_reads),
                )
            )
        # min_qual 1: biodl call-variants' default (write_calls' own default is 20)
        written = write_calls(
            args.out,
            calls,
            reference=args.ref,
            sample="NA12878",
            min_qual=AF_MIN_QUAL,
            command="bench/varcall.py afcall",
            settings={
                "caller": "allele fraction",
                "ref_below": 0.2,
                "hom_alt_from": 0.8,
                "err": AF_ERR,
            },
        )
    print(f"candidates {n_cand}; calls written {written.records}", flush=True)
    print(f"internal_seconds {time.perf_counter() - t0:.3f}", flush=True)


# ----------------------------------------------------------------------------- calling
TESTS = {
    # name: (bam for biodl/afcall, bam for bcftools, regions kind, confident BED for scoring)
    "8x_confident": ("bam8", "bam8c", "confident", "confident"),
    "49x_slice_confident": ("bam49", "bam49", "slice_confident", "slice_confident"),
    "49x_slice_span": ("bam49", "bam49", "slice_span", "slice_span"),
    "8x_100kb_timing": ("bam8", "bam8c", "window", "confident"),
}


def callers(runs: dict) -> list[str]:
    return [*runs, "bcftools", "afcaller"]


def call_one(caller: str, test: str, paths: dict, force: bool) -> dict:
    bam_key, bcf_bam_key, reg_key, _ = TESTS[test]
    out = OUT / "calls" / caller / f"{test}.vcf.gz"
    meta = OUT / "calls" / caller / f"{test}.json"
    if not force and out.exists() and meta.exists():
        info = json.loads(meta.read_text())
        info.setdefault("calls", _count_records(out))
        return info
    out.parent.mkdir(parents=True, exist_ok=True)
    region_file = paths[reg_key] if reg_key != "window" else None
    logf = OUT / "calls" / caller / f"{test}.log"
    if caller == "bcftools":
        reg = ["--regions-file", region_file] if region_file else ["--region", WINDOW]
        cmd = [PY, Path(__file__), "bcftools", GENOME, paths[bcf_bam_key], out, *reg]
    elif caller == "afcaller":
        reg = ["--regions-file", region_file] if region_file else ["--region", WINDOW]
        cmd = [PY, Path(__file__), "afcall", GENOME, paths[bam_key], out, *reg]
    else:
        cmd = [
            BIODL,
            "call-variants",
            "--model",
            OUT / "runs" / caller,
            "--bam",
            paths[bam_key],
            "--genome",
            GENOME,
            "--out",
            out,
            "--regions",
            region_file or WINDOW,
            "--device",
            "cpu",
            "--threads",
            "1",
            "--quiet",
        ]
    t = timed(cmd, logf)
    text = logf.read_text()
    m = re.search(r"internal_seconds (\S+)", text)
    info = {
        **t,
        "command": " ".join(
            rel(Path(str(x))) if str(x).startswith(str(ROOT)) else str(x) for x in cmd
        ),
    }
    if m:
        info["internal_s"] = float(m.group(1))
    m = re.search(
        r"candidates: (\d+) \(([^)]*)\); calls written: (\d+); (\S+) s \((\S+) s per 100 kb\)", text
    )
    if m:
        info.update(
            candidates=int(m.group(1)),
            by_genotype=m.group(2),
            calls=int(m.group(3)),
            internal_s=float(m.group(4)),
            biodl_s_per_100kb=float(m.group(5)),
        )
    m = re.search(r"candidates (\d+); calls written (\d+)", text)
    if m:
        info.update(candidates=int(m.group(1)), calls=int(m.group(2)))
    info.setdefault("calls", _count_records(out))
    meta.write_text(json.dumps(info, indent=1))
    return info


def _count_records(vcf: Path) -> int:
    """Records in a VCF (all FILTERs)."""
    import gzip

    with gzip.open(vcf, "rt") as fh:
        return sum(1 for line in fh if not line.startswith("#"))


def evaluate_one(caller: str, test: str, paths: dict, force: bool) -> dict:
    conf_key = TESTS[test][3]
    calls = OUT / "calls" / caller / f"{test}.vcf.gz"
    folder = OUT / "eval" / caller / test
    if force or not (folder / "evaluation.json").exists():
        timed(
            [
                BIODL,
                "evaluate-calls",
                calls,
                "--truth",
                TRUTH,
                "--genome",
                GENOME,
                "--confident",
                paths[conf_key],
                "--out",
                folder,
                "--force",
                "--threads",
                "1",
                "--quiet",
                "--seed",
                "0",
            ],
            OUT / "eval" / caller / f"{test}.log",
        )
    data = json.loads((folder / "evaluation.json").read_text())
    out = {}
    for m in data["metrics"]:
        out[f"{m['type']}/{m['level']}"] = {
            k: m[k]
            for k in (
                "truth_total",
                "query_total",
                "tp",
                "fn",
                "fp",
                "gt_mismatch",
                "precision",
                "recall",
                "f1",
                "precision_ci",
                "recall_ci",
                "f1_ci",
            )
        }
    return out


# ----------------------------------------------------------------------------- table
def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _ci(ci) -> str:
    return "" if not ci or None in ci else f" [{ci[0]:.2f}, {ci[1]:.2f}]"


def _group(caller: str) -> str:
    return re.sub(r"_seed\d+$", "", caller)


LABELS = {
    "real": "biodl pileup_cnn, trained on real 8x reads outside the BED",
    "sim8x": "biodl pileup_cnn, trained on simulated 8x reads only",
    "sim30x": "biodl pileup_cnn, trained on simulated 30x reads only",
    "bcftools": "bcftools 1.24 mpileup + call -mv",
    "afcaller": "allele-fraction caller (biodl candidates)",
}


def _pr(m: dict, what: str) -> str:
    return f"{_fmt(m[what])}{_ci(m[what + '_ci'])}"


def _summary(results: dict, test: str) -> list[str]:
    keys = ("SNV/allele", "SNV/genotype", "INDEL/allele", "INDEL/genotype")
    lines = [
        "| caller | runs | SNV F1 allele | SNV F1 genotype | INDEL F1 allele | INDEL F1 genotype |",
        "|---|---|---|---|---|---|",
    ]
    for group, members in results["groups"].items():
        cells = []
        for key in keys:
            vals = [results["evaluations"][m][test][key]["f1"] for m in members]
            vals = [v if v is not None else 0.0 for v in vals]  # no call at all: F1 taken as 0
            if len(vals) > 1:
                cells.append(f"{statistics.mean(vals):.3f} ± {statistics.stdev(vals):.3f}")
            else:
                cells.append(f"{vals[0]:.3f}")
        runs = f"{len(members)} seeds" if len(members) > 1 else "1"
        lines.append(f"| {LABELS.get(group, group)} | {runs} | " + " | ".join(cells) + " |")
    return lines


def table(
    results: dict,
    detail: tuple[str, ...] = ("8x_confident", "49x_slice_confident", "49x_slice_span"),
) -> str:
    lines = []
    counts = results["prepare"]["truth_counts"]
    for test in ("8x_confident", "49x_slice_confident", "49x_slice_span"):
        c = counts[test]
        lines += [
            f"### {test}: truth {c['SNV']} SNVs, {c['INDEL']} indels",
            "",
            "Summary (F1; biodl: mean ± sd over 3 training seeds, an F1 with no call counted 0):",
            "",
        ]
        lines += _summary(results, test)
        lines.append("")
        if test not in detail:
            continue
        lines += [
            (
                "| caller | type | level | TP | FP | FN | precision [95% CI] | recall [95% CI] | "
                "F1 [95% CI] |"
            ),
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for caller in results["callers"]:
            ev = results["evaluations"].get(caller, {}).get(test)
            if not ev:
                continue
            for key in ("SNV/allele", "SNV/genotype", "INDEL/allele", "INDEL/genotype"):
                m = ev[key]
                typ, level = key.split("/")
                lines.append(
                    f"| {caller} | {typ} | {level} | {m['tp']} | {m['fp']} | {m['fn']} | "
                    f"{_pr(m, 'precision')} | {_pr(m, 'recall')} | {_pr(m, 'f1')} |"
                )
        lines.append("")
    lines += [
        "### Time and memory: chr20:10,000,001-10,100,000 (100 kb) of the 8x reads, 1 thread",
        "",
        (
            "| caller | wall s (whole process) | in-process s (candidates + pileups + "
            "genotyping) | peak RSS MB | candidates | calls written |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for caller in results["callers"]:
        t = results["calls"].get(caller, {}).get("8x_100kb_timing")
        if not t:
            continue
        lines.append(
            f"| {caller} | {t['wall_s']:.1f} | {t.get('internal_s', float('nan')):.2f} | "
            f"{t['peak_rss_mb']:.0f} | {t.get('candidates', '')} | {t.get('calls', '')} |"
        )
    lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--table", action="store_true", help="print the markdown table of results.json")
    ap.add_argument("--force", action="store_true", help="redo every step")
    sub = ap.add_subparsers(dest="worker")
    for name in ("bcftools", "afcall"):
        w = sub.add_parser(name)
        w.add_argument("ref")
        w.add_argument("bam")
        w.add_argument("out")
        g = w.add_mutually_exclusive_group(required=True)
        g.add_argument("--region")
        g.add_argument("--regions-file")
    args = ap.parse_args()
    if args.worker == "bcftools":
        return worker_bcftools(args)
    if args.worker == "afcall":
        return worker_afcall(args)
    results_path = OUT / "results.json"
    if args.table:
        print(table(json.loads(results_path.read_text())))
        return None

    OUT.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    prep = prepare(args.force)
    paths = {
        "bam8": BAM8,
        "bam8c": ROOT / prep["bam8_chr20"],
        "bam49": BAM49,
        "confident": CONFIDENT,
        "slice_confident": ROOT / prep["slice_confident_bed"],
        "slice_span": ROOT / prep["slice_span_bed"],
    }
    runs = train_all(args.force)
    names = callers(runs)
    calls: dict = {}
    evals: dict = {}
    for caller in names:
        for test in TESTS:
            log(f"calling {caller} {test}")
            calls.setdefault(caller, {})[test] = call_one(caller, test, paths, args.force)
            evals.setdefault(caller, {})[test] = evaluate_one(caller, test, paths, args.force)
    groups: dict = {}
    for caller in names:
        groups.setdefault(_group(caller), []).append(caller)
    import pysam
    import pysam.version

    results = {
        "issue": 20,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
        "versions": {
            "pysam": pysam.__version__,
            "bcftools": pysam.version.__bcftools_version__,
            "python": sys.version.split()[0],
        },
        "hardware": {"cpus": os.cpu_count(), "threads_used": 1},
        "inputs": {
            "bam8": str(BAM8),
            "bam49": str(BAM49),
            "genome": str(GENOME),
            "truth": str(TRUTH),
            "confident": str(CONFIDENT),
            "window": WINDOW,
        },
        "simulated": {"args": SIM_ARGS, "depths": SIMS},
        "af_caller": {"thresholds": [0.2, 0.8], "err": AF_ERR, "min_qual": AF_MIN_QUAL},
        "prepare": prep,
        "training": runs,
        "callers": names,
        "groups": groups,
        "calls": calls,
        "evaluations": evals,
        "driver_wall_s_this_invocation_cached_steps_skipped": round(
            time.perf_counter() - t_start, 1
        ),
    }
    results_path.write_text(json.dumps(results, indent=1))
    md = table(results)
    (OUT / "table.md").write_text(md + "\n")
    print(md)
    return None


if __name__ == "__main__":
    main()
