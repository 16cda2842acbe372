"""Variant scoring on real data: GIAB NA12878 calls on hg19 chr20 with ENCODE DeepBind models.

Scores the 221 GIAB/NIST truth records of ``test_nist.b37_chr20_100kbp_at_10mb.vcf.gz``
(chr20:10.0-10.1 Mb) against ``ucsc.hg19.chr20.unittest.fasta.gz`` with DeepBind models
trained on ENCODE ChIP-seq (``bench/out/deepbind_encode/<TF>``, 101 bp, hg19) through
``biodl.workflows.variants.score_vcf_summary`` (the ``biodl score-variants`` path), and
checks the result independently of the scoring code:

* every record is either scored or skipped (with its reason), none lost;
* REF of every record equals the genome (read again with ``pysam.FastaFile``);
* the windows are rebuilt from ``pysam.FastaFile`` by the written convention (first REF
  base of the normalised allele at index 50; ALT haplotype cut to 101 bp), scored with
  a plain forward pass, and compared with the reported ALT - REF probabilities;
* ``--strands both`` equals ``forward`` for DeepBind (it takes the max over both
  strands itself, so it is strand-symmetric).

Writes ``bench/out/variants_giab/<TF>.vcf.gz`` (+ ``.tbi``), ``<TF>.tsv`` and
``results.json``.

Usage::

    .venv/bin/python bench/variants_giab.py            # CTCFL and the other 9 TFs
    .venv/bin/python bench/variants_giab.py --tfs CTCFL
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
import torch

from biodl.encode import one_hot
from biodl.runs import load_run
from biodl.workflows.variants import score_vcf_summary

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("/work/shared/data/varcall_giab_chr20_mini")
VCF = DATA / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz"
GENOME = DATA / "ucsc.hg19.chr20.unittest.fasta.gz"
MODELS = ROOT / "bench/out/deepbind_encode"
OUT = ROOT / "bench/out/variants_giab"


def ref_check() -> dict[str, int]:
    """REF of every VCF record against the genome, read with pysam (not biodl)."""
    import pysam

    match = mismatch = 0
    with pysam.VariantFile(str(VCF)) as vf, pysam.FastaFile(str(GENOME)) as fa:
        for rec in vf:
            seq = fa.fetch(rec.contig, rec.pos - 1, rec.pos - 1 + len(rec.ref)).upper()
            if seq == rec.ref.upper():
                match += 1
            else:
                mismatch += 1
    return {"ref_match": match, "ref_mismatch": mismatch}


def independent_diffs(run_dir: Path, rows: list[dict[str, str]]) -> np.ndarray:
    """ALT - REF probability per scored row, windows rebuilt with pysam, one forward pass."""
    import pysam

    run = load_run(run_dir)
    length = run.input_length
    a = length // 2
    refs, alts = [], []
    with pysam.FastaFile(str(GENOME)) as fa:
        for row in rows:
            s = int(row["norm_pos"]) - 1
            ref, alt = row["norm_ref"], row["norm_alt"]
            refs.append(fa.fetch(row["chrom"], s - a, s - a + length).upper())
            right = fa.fetch(row["chrom"], s + len(ref), s + len(ref) + length).upper()
            left = fa.fetch(row["chrom"], s - a, s).upper()
            alts.append((left + alt + right)[:length])
    X = torch.from_numpy(one_hot(refs + alts, dtype=np.float32))
    with torch.inference_mode():
        p = torch.sigmoid(run.model.eval()(X)[:, 0]).double().numpy()
    n = len(rows)
    return p[n:] - p[:n]


def score_tf(tf: str, *, strands: str | None = None, suffix: str = "") -> dict[str, object]:
    OUT.mkdir(parents=True, exist_ok=True)
    out, tsv = OUT / f"{tf}{suffix}.vcf.gz", OUT / f"{tf}{suffix}.tsv"
    t0 = time.perf_counter()
    summary = score_vcf_summary(
        MODELS / tf,
        GENOME,
        VCF,
        out,
        tsv=tsv,
        device="cpu",
        strands=strands,  # type: ignore[arg-type]
        command=f"bench/variants_giab.py --tfs {tf}",
    )
    wall = time.perf_counter() - t0
    with tsv.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {
        "summary": summary,
        "rows": rows,
        "wall_s": round(wall, 2),
    }


def _name(row: dict[str, str]) -> str:
    return f"{row['chrom']}:{row['pos']} {row['ref']}>{row['alt']}"


def _line(tf: str, e: dict[str, object]) -> str:
    return (
        f"{tf:7s} records {e['records']} alleles {e['alleles']} scored {e['scored']} "
        f"(indels {e['indels_scored']}, re-normalised {e['renormalised']}) "
        f"skipped {e['skipped'] or 0}; independent check max |d| "
        f"{e['independent_max_abs_diff']:.1e}; both-vs-forward "
        f"{e['strands_both_max_abs_diff']:.1e}; |LOR|>0.5: {e['n_abs_lor_gt_0.5']}; "
        f"max |LOR| {e['max_abs_lor']:.2f}; {e['wall_s']} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tfs", nargs="+", default=None, help="default: every model folder")
    args = parser.parse_args()
    tfs = args.tfs or sorted(p.name for p in MODELS.iterdir() if (p / "model.json").is_file())
    torch.set_num_threads(1)
    report: dict[str, object] = {"vcf": str(VCF), "genome": str(GENOME), **ref_check()}
    print(f"REF vs genome (pysam): {report['ref_match']} match, {report['ref_mismatch']} mismatch")
    per_tf = {}
    for tf in tfs:
        res = score_tf(tf)
        summary, rows = res["summary"], res["rows"]
        scored = [r for r in rows if r["status"] == "scored"]
        diffs = np.array([float(r["diff_1"]) for r in scored])
        lors = np.array([float(r["lor_1"]) for r in scored])
        check = independent_diffs(MODELS / tf, scored)
        both = score_tf(tf, strands="both", suffix=".both")
        both_diffs = np.array([float(r["diff_1"]) for r in both["rows"] if r["status"] == "scored"])
        order = np.argsort(-np.abs(lors))[:5]
        top = [
            {
                "variant": _name(scored[i]),
                "ref_p": float(scored[i]["ref_1"]),
                "alt_p": float(scored[i]["alt_1"]),
                "diff": float(diffs[i]),
                "lor": float(lors[i]),
            }
            for i in order
        ]
        entry = {
            "records": summary.records,  # type: ignore[attr-defined]
            "alleles": summary.alleles,  # type: ignore[attr-defined]
            "scored": summary.scored,  # type: ignore[attr-defined]
            "skipped": dict(summary.skipped),  # type: ignore[attr-defined]
            "indels_scored": sum(len(r["ref"]) != len(r["alt"]) for r in scored),
            "renormalised": sum(
                r["pos"] != r["norm_pos"] or r["ref"] != r["norm_ref"] for r in scored
            ),
            "independent_max_abs_diff": float(np.max(np.abs(check - diffs))),
            "strands_both_max_abs_diff": float(np.max(np.abs(both_diffs - diffs))),
            "n_abs_lor_gt_0.5": int(np.sum(np.abs(lors) > 0.5)),
            "max_abs_lor": float(np.max(np.abs(lors))),
            "wall_s": res["wall_s"],
            "top": top,
        }
        per_tf[tf] = entry
        (OUT / f"{tf}.both.vcf.gz").unlink(missing_ok=True)
        (OUT / f"{tf}.both.vcf.gz.tbi").unlink(missing_ok=True)
        (OUT / f"{tf}.both.tsv").unlink(missing_ok=True)
        print(_line(tf, entry))
        for t in top[:3]:
            print(f"        {t['variant']:28s} p {t['ref_p']:.3f} -> {t['alt_p']:.3f}", end="")
            print(f"  LOR {t['lor']:+.2f}")
    report["models"] = per_tf
    (OUT / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
