"""Do DeepBind's learned filters recover the ChIP'd factor's JASPAR motif?

For each of the 10 DeepBind models trained on ENCODE ChIP-seq (``bench/deepbind_encode.py``,
run directories ``bench/out/deepbind_encode/<TF>/``), the first-layer filters are turned
into PPMs from the positive test sequences (``<TF>_B.seq.gz``, label 1;
:func:`biodl.interpret.motifs.filter_motifs`, both strands, windows above half of each
filter's maximum activation), trimmed of uninformative end columns, and compared by
TOMTOM (memelite) with JASPAR CORE vertebrates. For each TF the script reports the best
rank, over filters, at which a JASPAR matrix of the factor or its paralog family
(:data:`FAMILIES`) appears in the filter's TOMTOM hit list, with its p- and q-value
(Benjamini-Hochberg over all JASPAR targets of that filter). The issue's target: rank
<= 3 for CTCFL, REST, GABPA, ELK1, USF1 and FOXA1.

Writes ``<out>/results.json``, ``<out>/<TF>_motifs.tsv`` (top 5 matches per filter),
``<out>/<TF>_filters.meme`` and ``<out>/<TF>_best_filter.png`` (logo of the best filter
next to the matched JASPAR logo), and prints a Markdown table.

Usage::

    nice -n 10 .venv/bin/python bench/jaspar_recovery.py \
        --runs bench/out/deepbind_encode --out bench/out/jaspar_recovery [--tfs CTCFL REST]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from matplotlib.figure import Figure

from biodl.encode import one_hot
from biodl.interpret.jaspar import DEFAULT_RELEASE, jaspar_motifs, match_motifs, write_motif_table
from biodl.interpret.logos import plot_logo
from biodl.interpret.motifs import Motif, filter_motifs, modisco, write_meme
from biodl.io import read_table
from biodl.runs import load_run

TFS = ["ARID3A", "CTCFL", "ELK1", "FOXA1", "GABPA", "MYC", "REST", "SP1", "USF1", "ZBTB7A"]
TARGET_TFS = {"CTCFL", "REST", "GABPA", "ELK1", "USF1", "FOXA1"}
TARGET_RANK = 3

# JASPAR factor names (upper case; each part of a dimer "A::B" is tested) that count as
# the ChIP'd factor's motif: the factor itself or its paralog family.
_ETS = r"ELK\d|ETS\d|ETV\d|GABPA|ELF\d|ERG|FLI1|FEV|ERF|EHF|SPDEF|SPI1|SPIB|SPIC|ETV\d::.*"
_EBOX = r"USF\d|MYC|MYCN|MAX|MNT|MLX|MLXIP|MLXIPL|TFE3|TFEB|TFEC|MITF|SREBF\d|MXI1"
FAMILIES: dict[str, str] = {
    "ARID3A": r"ARID3A",
    "CTCFL": r"CTCFL|CTCF",
    "ELK1": _ETS,
    "FOXA1": r"FOX[A-S]\d*",
    "GABPA": _ETS,
    "MYC": _EBOX,
    "REST": r"REST",
    "SP1": r"SP\d|KLF\d+",
    "USF1": _EBOX,
    "ZBTB7A": r"ZBTB7A",
}
FAMILY_LABEL = {
    "ARID3A": "ARID3A",
    "CTCFL": "CTCF/CTCFL",
    "ELK1": "ETS",
    "FOXA1": "FOX",
    "GABPA": "ETS",
    "MYC": "E-box bHLH-ZIP",
    "REST": "REST",
    "SP1": "SP/KLF",
    "USF1": "E-box bHLH-ZIP",
    "ZBTB7A": "ZBTB7A",
}


def in_family(tf: str, jaspar_name: str) -> bool:
    """Whether a JASPAR factor name (or one part of a dimer) is in ``tf``'s family."""
    pattern = re.compile(FAMILIES[tf])
    return any(pattern.fullmatch(part.strip()) for part in jaspar_name.upper().split("::"))


def positives(run_dir: Path, split: str) -> list[str]:
    """The bound sequences of the run's test (or train) table."""
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    spec = config["data"][split]
    table = read_table(spec["table"], sequence=spec["sequence"], label=spec["label"])
    labels = np.asarray([str(v) for v in table.labels])
    return [s for s, y in zip(table.sequences, labels, strict=True) if y == "1"]


def gradient_x_input(model: Any, X: np.ndarray, *, batch_size: int = 128) -> np.ndarray:
    """Hypothetical contributions: the logit's input gradient, centred over the 4 letters.

    Plain autograd (no DeepLIFT): TF-MoDISco multiplies it by the one-hot input.
    """
    model.eval()
    grads = []
    for start in range(0, len(X), batch_size):
        x = torch.tensor(X[start : start + batch_size], requires_grad=True)
        model(x)[:, 0].sum().backward()
        assert x.grad is not None
        g = x.grad.numpy()
        grads.append(g - g.mean(axis=1, keepdims=True))
    return np.concatenate(grads)


def rank_family(
    tf: str, motifs: list[Motif], database: list[Motif], out: Path, tag: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Match ``motifs`` with TOMTOM; the best rank of a family motif over motifs."""
    write_meme(motifs, out / f"{tf}_{tag}.meme")
    matches = match_motifs(motifs, database, top=None)
    write_motif_table([m for m in matches if m.rank <= 5], out / f"{tf}_{tag}_motifs.tsv")
    by_query: dict[str, list[Any]] = {}
    for m in matches:
        by_query.setdefault(m.query, []).append(m)
    best: dict[str, Any] | None = None
    rows = []
    for name, hits in by_query.items():
        fam = next((h for h in hits if in_family(tf, h.target_name)), None)
        top = hits[0]
        rows.append(
            {
                "motif": name,
                "n_sites": next(m.n_sites for m in motifs if m.name == name),
                "top_match": [top.target_id, top.target_name, top.p_value, top.q_value],
                "family_rank": fam.rank if fam else None,
                "family_match": (
                    [fam.target_id, fam.target_name, fam.p_value, fam.q_value] if fam else None
                ),
            }
        )
        if fam and (best is None or (fam.rank, fam.p_value) < (best["rank"], best["p_value"])):
            best = {
                "motif": name,
                "rank": fam.rank,
                "jaspar_id": fam.target_id,
                "tf_name": fam.target_name,
                "p_value": fam.p_value,
                "q_value": fam.q_value,
                "top_id": top.target_id,
                "top_name": top.target_name,
                "top_p": top.p_value,
                "top_q": top.q_value,
            }
    if best is not None:
        motif = next(m for m in motifs if m.name == best["motif"])
        target = next(d for d in database if d.name == best["jaspar_id"])
        fig = Figure(figsize=(10, 3.6))
        ax1, ax2 = fig.subplots(2, 1)
        plot_logo(motif, ax=ax1, title=f"{tf} DeepBind {motif.name} ({motif.n_sites} sites)")
        plot_logo(target, ax=ax2, title=f"JASPAR {target.name} {target.alt_name}")
        fig.tight_layout()
        fig.savefig(out / f"{tf}_best_{tag}.png", dpi=100)
    return best, rows


def summarise(tf: str, best: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {
        "tf": tf,
        "family": FAMILY_LABEL[tf],
        "best": best,
        "target": tf in TARGET_TFS,
        "target_met": None if tf not in TARGET_TFS else bool(best and best["rank"] <= TARGET_RANK),
        **extra,
    }


def recover(
    tf: str, runs: Path, out: Path, database: list[Motif], args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Filter motifs (and, with ``--seqlets``, TF-MoDISco motifs) of one TF, ranked."""
    t0 = time.perf_counter()
    run = load_run(runs / tf)
    seqs = positives(runs / tf, args.split)
    X = one_hot(seqs, alphabet="dna", unknown=run.unknown, dtype=np.float32)
    motifs = filter_motifs(
        run.model, X, threshold=args.threshold, min_sites=args.min_sites, device="cpu"
    )
    motifs = [m.trimmed(min_ic=args.trim_ic) for m in motifs]
    best, rows = rank_family(tf, motifs, database, out, "filters")
    filters = summarise(
        tf,
        best,
        n_positive_sequences=len(seqs),
        n_motifs=len(motifs),
        motifs=rows,
        wall_s=round(time.perf_counter() - t0, 1),
    )
    if not args.seqlets:
        return filters, None
    t1 = time.perf_counter()
    hyp = gradient_x_input(run.model, X)
    patterns = [
        m for m in modisco(hyp, X, n_leiden_runs=args.leiden_runs) if m.name.startswith("pos")
    ]
    if patterns:
        best, rows = rank_family(tf, patterns, database, out, "modisco")
    else:
        best, rows = None, []
    seqlet_result = summarise(
        tf, best, n_motifs=len(patterns), motifs=rows, wall_s=round(time.perf_counter() - t1, 1)
    )
    return filters, seqlet_result


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        (
            "| TF | family | top JASPAR match of best motif (id, name) | rank of factor/family "
            "motif | family match (id, name) | p | q | target (top 3) met? |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        b = r["best"]
        met = "—" if r["target_met"] is None else ("yes" if r["target_met"] else "**no**")
        if b is None:
            lines.append(f"| {r['tf']} | {r['family']} | — | not found | — | — | — | {met} |")
            continue
        lines.append(
            f"| {r['tf']} | {r['family']} | {b['top_id']} {b['top_name']} | {b['rank']} | "
            f"{b['jaspar_id']} {b['tf_name']} | {b['p_value']:.2g} | {b['q_value']:.2g} | {met} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, default=Path("bench/out/deepbind_encode"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/jaspar_recovery"))
    parser.add_argument("--tfs", nargs="*", default=TFS)
    parser.add_argument("--split", choices=["test", "train"], default="test")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--min-sites", type=int, default=10)
    parser.add_argument("--trim-ic", type=float, default=0.3)
    parser.add_argument("--release", default=DEFAULT_RELEASE)
    parser.add_argument(
        "--seqlets",
        action="store_true",
        help="also TF-MoDISco motifs from gradient x input seqlets (slow: ~1-2 min per TF)",
    )
    parser.add_argument("--leiden-runs", type=int, default=10)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    database = jaspar_motifs(release=args.release, collection="CORE", tax_group="vertebrates")
    print(f"{len(database)} JASPAR {args.release} CORE vertebrate matrices", flush=True)
    results, seqlet_results = [], []
    for tf in args.tfs:
        r, s = recover(tf, args.runs, args.out, database, args)
        for kind, res in (("filters", r), ("modisco", s)):
            if res is None:
                continue
            b = res["best"]
            print(
                f"{tf} {kind}: {res['n_motifs']} motifs, best family rank "
                f"{b['rank'] if b else None} "
                f"({b['jaspar_id'] + ' ' + b['tf_name'] if b else '-'}) in {res['wall_s']} s",
                flush=True,
            )
        results.append(r)
        if s is not None:
            seqlet_results.append(s)
    summary = {
        "release": args.release,
        "collection": "CORE",
        "tax_group": "vertebrates",
        "n_targets": len(database),
        "split": args.split,
        "threshold": args.threshold,
        "min_sites": args.min_sites,
        "trim_ic": args.trim_ic,
        "families": FAMILIES,
        "results": results,
        "targets_met": sum(bool(r["target_met"]) for r in results if r["target"]),
        "n_targets_tfs": sum(r["target"] for r in results),
        "seqlet_results": seqlet_results,
        "seqlet_targets_met": sum(bool(r["target_met"]) for r in seqlet_results if r["target"]),
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    (args.out / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("\nFirst-layer filters:\n")
    print(markdown(results))
    met = f"{summary['targets_met']}/{summary['n_targets_tfs']}"
    print(f"\ntarget met for {met}")
    if seqlet_results:
        print("\nTF-MoDISco on gradient x input:\n")
        print(markdown(seqlet_results))
        print(f"\ntarget met for {summary['seqlet_targets_met']}/{summary['n_targets_tfs']}")
    print(f"wall {summary['wall_s']} s")


if __name__ == "__main__":
    main()
