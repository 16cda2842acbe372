"""Memory and time of a TF-MoDISco run on 10,000 sequences (issue #6 benchmark).

DeepSHAP hypothetical attributions of the trained REST DeepBind model
(``bench/out/deepbind_encode/REST``) on its ENCODE sequences (the bound training and
test peaks, topped up with dinucleotide shuffles of them to ``--n`` sequences), then
:func:`biodl.interpret.modisco` (modisco-lite). Prints wall time and peak resident
memory (``ru_maxrss``) before and after the TF-MoDISco step (and of the largest child
process it started), and the patterns with
their best JASPAR match.

    .venv/bin/python bench/modisco_memory.py --n 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from biodl.data.shuffle import dinucleotide_shuffle_all
from biodl.encode import one_hot
from biodl.interpret import deepshap, jaspar_motifs, match_motifs, modisco
from biodl.io import read_table
from biodl.runs import load_run

DATA = Path("/work/shared/data/tfbind_deepbind_encode")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    """Largest peak RSS of a finished child process (modisco-lite starts workers)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("bench/out/deepbind_encode/REST"))
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--n-references", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("bench/out/modisco_memory"))
    args = parser.parse_args()
    run = load_run(args.run)
    seqs: list[str] = []
    for suffix in ("AC", "B"):
        (path,) = DATA.glob(f"REST_*_{suffix}.seq.gz")
        table = read_table(path, sequence="seq", label="Bound")
        seqs += [s for s, lab in zip(table.sequences, table.labels, strict=True) if lab == "1"]
    n_bound = len(seqs)
    seed = 0
    while len(seqs) < args.n:
        seqs += dinucleotide_shuffle_all(seqs[: args.n - len(seqs)], seed=seed)
        seed += 1
    seqs = seqs[: args.n]
    X = one_hot(seqs, alphabet="dna", dtype=np.float32)
    t0 = time.time()
    attr = deepshap(run.model, X, target=0, n_references=args.n_references, seed=0)
    t_attr = time.time() - t0
    before = peak_mb()
    print(
        f"DeepSHAP: {len(seqs)} sequences in {t_attr:.0f} s, peak RSS {before:.0f} MB", flush=True
    )
    t1 = time.time()
    motifs = modisco(attr.hypothetical, X)
    t_modisco = time.time() - t1
    after = peak_mb()
    child = children_peak_mb()
    print(
        f"TF-MoDISco: {len(motifs)} patterns in {t_modisco:.0f} s, peak RSS {after:.0f} MB "
        f"(largest child process {child:.0f} MB)"
    )
    matches = match_motifs(motifs, jaspar_motifs(), top=1) if motifs else []
    best = {m.query: f"{m.target_id} {m.target_name} q={m.q_value:.2g}" for m in matches}
    result = {
        "n": len(seqs),
        "n_bound": n_bound,
        "n_references": args.n_references,
        "deepshap_s": round(t_attr, 1),
        "peak_rss_mb_before_modisco": round(before),
        "modisco_s": round(t_modisco, 1),
        "peak_rss_mb_after_modisco": round(after),
        "peak_rss_mb_largest_child": round(child),
        "patterns": {
            m.name: {"n_sites": m.n_sites, "best_jaspar": best.get(m.name)} for m in motifs
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
