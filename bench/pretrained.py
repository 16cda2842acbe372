"""Build the offline pretrained zoo (``biodl pretrained``) from benchmark runs.

Run by the maintainers, never at run time: copies the chosen run directories of the
benchmark scripts into the package data folder ``src/biodl/pretrained/models/<name>/``
and writes ``src/biodl/pretrained/index.json``. Each copy keeps only what a user needs:

- ``model.safetensors``, ``model.json`` (absolute data paths rewritten to
  ``<dataset>/<file>``, sizes and SHA-256 kept), ``config.yaml`` (same rewrite),
  ``metrics.json``;
- ``assessment.json``: the flags and one-line summaries of ``biodl assess`` when an
  assessment of the run exists (``--assess``: ``bench/assess_runs.py``'s folders, or
  ``assessment.json`` in the run);
- ``MODEL_CARD.md``: task, data, split, licence (from the data set's ``SOURCE.md``),
  metrics with CIs, the command that trained it, versions, SHA-256 of the weights.

No predictions, checkpoints, plots, reports or split lists. Runs that are absent are
skipped with a message (e.g. the pre-miRNA run while it is being trained).

``--train-splice`` first trains the UCI splice model (``bench/splice.py``'s
configuration with a small Basset, on all of ``splice.data`` after exact deduplication,
10 % test, 10 % validation) into ``bench/out/pretrained_splice/basset`` when absent.

Usage (assess the runs first, so every card carries its findings; an assessment older
than its run's weights is ignored)::

    nice -n 10 .venv/bin/python bench/assess_runs.py --out bench/out/assess_runs \\
        --only $(.venv/bin/python bench/pretrained.py --print-runs)
    .venv/bin/python bench/pretrained.py [--runs bench/out] [--data ../shared/data] \\
        [--assess bench/out/assess_runs] [--train-splice]

The total size is printed; the build fails above 5 MiB.
"""

from __future__ import annotations

import argparse
import copy
import csv
import hashlib
import json
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from biodl.io.atomic import staged_dir
from biodl.runs import load_run
from biodl.tasks import task_class

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "src" / "biodl" / "pretrained"
#: the zoo must stay small: it ships inside the wheel
MAX_TOTAL_BYTES = 5 * 1024 * 1024
SPLICE_RUN = "pretrained_splice/basset"
#: from assessment.json, what the card and index keep (the rest can be large)
ASSESS_KEYS = ("flag", "summary")
#: the licence of each data set in a few words, for ``biodl pretrained list`` (the full
#: statement of its SOURCE.md goes into the index and the model card)
LICENCE_SHORT = {
    "tfbind_deepbind_encode": "not stated; ENCODE data public, unrestricted",
    "premirna_deepmirgene": "not stated",
    "enhancer_ienhancer2l": "not stated",
    "promoter_deepromoter_epd_tata": "not stated (repository code MIT)",
    "splice_uci_primate": "not stated (UCI lists CC BY 4.0, unchecked)",
}


@dataclass(frozen=True)
class Spec:
    """One model of the zoo: where its run is and what it is."""

    name: str
    run: str  # relative to --runs
    dataset: str  # folder under --data (holds SOURCE.md)
    description: str
    benchmark: str  # the BENCHMARKS.md section with its figures
    notes: tuple[str, ...] = ()


TFS = {
    "ARID3A": "ARID3A (K562, Stanford)",
    "CTCFL": "CTCFL (K562, HudsonAlpha)",
    "ELK1": "ELK1 (GM12878, Stanford)",
    "FOXA1": "FOXA1 (HepG2, HudsonAlpha)",
    "GABPA": "GABPA (GM12878, HudsonAlpha)",
    "MYC": "c-Myc (H1-hESC, Stanford)",
    "REST": "REST/NRSF (GM12878, HudsonAlpha)",
    "SP1": "SP1 (GM12878, HudsonAlpha)",
    "USF1": "USF-1 (HepG2, HudsonAlpha)",
    "ZBTB7A": "ZBTB7A (HepG2, HudsonAlpha)",
}

SPECS: tuple[Spec, ...] = (
    *(
        Spec(
            name=f"deepbind-encode-{tf.lower()}",
            run=f"deepbind_encode/{tf}",
            dataset="tfbind_deepbind_encode",
            description=f"DeepBind: {label} ChIP-seq peak vs dinucleotide shuffle, 101 bp DNA",
            benchmark="DeepBind on the 10 ENCODE ChIP-seq experiments",
        )
        for tf, label in TFS.items()
    ),
    Spec(
        name="ienhancer2l-deepbind-ensemble",
        run="enhancer_tuned/deepbind_tuned_ensemble",
        dataset="enhancer_ienhancer2l",
        description="Enhancer vs non-enhancer (iEnhancer-2L layer 1), 200 bp DNA; "
        "tuned DeepBind, 5 seeds",
        benchmark="iEnhancer-2L layer 1, tuned DeepBind and a 5-seed ensemble of it",
        notes=(
            (
                "100 of the 400 independent test sequences are exact copies of training "
                "enhancers (SOURCE.md, `biodl assess`): the test figures are optimistic."
            ),
        ),
    ),
    Spec(
        name="promoter-tata-human-deepbind",
        run="promoter_thr/human_deepbind",
        dataset="promoter_deepromoter_epd_tata",
        description="Human TATA promoter (EPDnew) vs DeePromoter segment-substituted "
        "negatives, 300 bp DNA",
        benchmark="DeePromoter TATA promoters, human and mouse (DeePromoter's negatives)",
        notes=(
            (
                "Negatives are positives with 12 of 20 segments replaced at random "
                "(DeePromoter): not genomic non-promoters."
            ),
        ),
    ),
    Spec(
        name="promoter-tata-mouse-deepbind",
        run="promoter_thr/mouse_deepbind",
        dataset="promoter_deepromoter_epd_tata",
        description="Mouse TATA promoter (EPDnew) vs DeePromoter segment-substituted "
        "negatives, 300 bp DNA",
        benchmark="DeePromoter TATA promoters, human and mouse (DeePromoter's negatives)",
        notes=(
            (
                "Negatives are positives with 12 of 20 segments replaced at random "
                "(DeePromoter): not genomic non-promoters."
            ),
        ),
    ),
    Spec(
        name="premirna-human-deepmir",
        run="premirna15/human_structure_mcc",
        dataset="premirna_deepmirgene",
        description="Human pre-miRNA hairpin vs pseudo hairpin (deepMiRGene), RNA up to "
        "200 nt; deepmir on sequence + ViennaRNA structure",
        benchmark="Pre-miRNA vs pseudo-hairpins (deepMiRGene's sets)",
        notes=(
            (
                "Needs ViennaRNA at prediction time (`pip install biodl[rna]`): the input "
                "encoding is the MFE structure and base-pair probabilities."
            ),
        ),
    ),
    Spec(
        name="splice-primate-basset",
        run=SPLICE_RUN,
        dataset="splice_uci_primate",
        description="Splice junction class EI / IE / N (UCI primate), 60 bp DNA; small Basset",
        benchmark="UCI primate splice junctions: EI / IE / N (multi-class)",
        notes=(
            (
                "Trained once on all of splice.data after removing its 185 exact copies "
                "(first label kept), 80/10/10 split (seed 1); the benchmark figures are "
                "10-fold cross-validation of the full-size Basset."
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------
# Splice: the one model that no benchmark run provides
# ---------------------------------------------------------------------------

SPLICE_MODEL: dict[str, Any] = {
    "name": "basset",
    "strands": "single",
    "conv1_filters": 64,
    "conv2_filters": 64,
    "conv3_filters": 64,
    "hidden": 128,
}


def train_splice(data: Path, out: Path, *, epochs: int = 10, seed: int = 1) -> Path:
    """Train the splice model on all of ``splice.data`` (deduplicated as
    ``bench/splice.py``'s ``biodl cv``: one copy per exact sequence, first label kept;
    reverse complements are not merged, a splice site has an orientation).

    The deduplicated table (``splice.dedup.tsv``) and the configuration
    (``basset.yaml``) are written beside ``out``, so the run records, and ``biodl
    assess`` reads, a real file.
    """
    from biodl.workflows import train_run

    rows: dict[str, tuple[str, str, str]] = {}
    with (data / "splice.data").open(newline="") as handle:
        for row in csv.reader(handle):
            label, name, seq = (field.strip() for field in row)
            rows.setdefault(seq.upper(), (label, name, seq))
    out.parent.mkdir(parents=True, exist_ok=True)
    table = out.parent / "splice.dedup.tsv"
    table.write_text(
        "class\tname\tsequence\n" + "".join("\t".join(r) + "\n" for r in rows.values())
    )
    config = {
        "task": "multiclass",
        "classes": ["EI", "IE", "N"],
        "data": {
            "train": {"table": table.name, "sequence": "sequence", "label": "class", "id": "name"},
            "valid": {"fraction": 0.1},
            "test": {"fraction": 0.1},
            "ambiguous": "unknown",
        },
        "model": dict(SPLICE_MODEL),
        "train": {"max_epochs": epochs, "seed": seed, "progress_bar": False},
    }
    config_path = out.parent / f"{out.name}.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    start = time.perf_counter()
    train_run(config_path, out, force=True)
    print(
        f"splice: trained {out} on {len(rows)} deduplicated sequences "
        f"in {time.perf_counter() - start:.0f} s"
    )
    return out


# ---------------------------------------------------------------------------
# Copying a run
# ---------------------------------------------------------------------------


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relocate(value: Any, roots: list[str], rewritten: list[str]) -> Any:
    """``value`` with every string under one of ``roots`` made relative to it."""
    if isinstance(value, dict):
        return {k: _relocate(v, roots, rewritten) for k, v in value.items()}
    if isinstance(value, list):
        return [_relocate(v, roots, rewritten) for v in value]
    if isinstance(value, str):
        for root in roots:
            if value.startswith(root):
                new = value[len(root) :]
                rewritten.append(f"{value} -> {new}")
                return new
    return value


def licence_of(source_md: Path) -> str:
    """The ``- License:`` bullet of a data set's SOURCE.md, as one line."""
    text = source_md.read_text(encoding="utf-8")
    match = re.search(r"^- Licen[cs]e:(.*?)(?=^- |^#|^\s*$)", text, flags=re.M | re.S)
    if match is None:
        return "not stated in SOURCE.md"
    return " ".join(match.group(1).replace("**", "").split())


def _fmt(entry: Any) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("value"), (int, float)):
        return "-"
    value = entry["value"]
    if isinstance(value, int) and not isinstance(value, bool) and "ci" not in entry:
        return str(value)
    ci = entry.get("ci")
    if isinstance(ci, list) and len(ci) == 2 and all(isinstance(c, (int, float)) for c in ci):
        return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"
    return f"{value:.3f}"


def _split_text(config: dict[str, Any]) -> list[str]:
    """One line per split of a (rewritten) configuration."""
    lines = []
    data = config.get("data") or {}
    for split in ("train", "valid", "test"):
        spec = data.get(split)
        if spec is None:
            lines.append(f"- {split}: none")
            continue
        if "fraction" in spec:
            text = f"a stratified random {spec['fraction']:.0%} of the training source"
        else:
            files = []
            for key in ("table", "fasta", "bed"):
                value = spec.get(key)
                if isinstance(value, dict):
                    files += [f"`{v}` (label {k})" for k, v in value.items()]
                elif value is not None:
                    files.append(f"`{value}`")
            text = ", ".join(files) or "rows given in memory (see Caveats; SHA-256 below)"
            if spec.get("negatives"):
                neg = dict(spec["negatives"])
                if neg.get("shuffle") != "segments":  # segments/replaced unused
                    neg = {k: v for k, v in neg.items() if k not in ("segments", "replaced")}
                text += f"; negatives generated: {json.dumps(neg, sort_keys=True)}"
        lines.append(f"- {split}: {text}")
    return lines


def _size_text(name: str, split: dict[str, Any]) -> str:
    if split.get("n_positive") is not None:
        return f"{name} {split.get('n')} ({split['n_positive']} positive)"
    if isinstance(split.get("per_class"), dict):
        per = ", ".join(f"{k} {v}" for k, v in split["per_class"].items())
        return f"{name} {split.get('n')} ({per})"
    return f"{name} {split.get('n')}"


def _assessment(run: Path, assess_root: Path | None, runs_root: Path) -> dict[str, Any] | None:
    """Flags and one-line summaries of the run's ``biodl assess``, if one exists."""
    candidates = [run / "assessment.json", run / "assessment" / "assessment.json"]
    if assess_root is not None:
        candidates.append(assess_root / run.relative_to(runs_root) / "assessment.json")
    weights_time = (run / "model.safetensors").stat().st_mtime
    for path in candidates:
        if path.is_file():
            if path.stat().st_mtime < weights_time:
                print(f"  ignored {path}: older than the run's weights (re-run biodl assess)")
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            items = {}
            for key in data.get("order") or [k for k, v in data.items() if isinstance(v, dict)]:
                entry = data.get(key)
                if isinstance(entry, dict) and "flag" in entry:
                    items[key] = {k: entry[k] for k in ASSESS_KEYS if k in entry}
            return {"overall": data.get("overall"), "items": items}
    return None


def model_card(
    spec: Spec,
    meta: dict[str, Any],
    config: dict[str, Any],
    metrics: dict[str, Any],
    licence: str,
    weights_sha: str,
    assessment: dict[str, Any] | None,
    rewritten: bool,
) -> str:
    task = str(meta.get("task", "binary"))
    arch = meta["architecture"]
    labels = meta.get("labels") or {}
    versions = meta.get("versions") or {}
    splits = (meta.get("data") or {}).get("splits") or {}
    lines = [
        f"# {spec.name}",
        "",
        spec.description + ".",
        "",
        (
            "A copy of a biodl benchmark run (figures in BENCHMARKS.md, section "
            f'"{spec.benchmark}"), shipped with biodl: `biodl pretrained get {spec.name} '
            "--out RUN_DIR`, then `biodl predict --model RUN_DIR ...`."
        ),
        "",
        "## Model",
        "",
        (
            f"- task: {task}; outputs: {', '.join(meta['outputs'])}; labels: "
            f"{json.dumps(labels, sort_keys=True)}"
        ),
        "- decision threshold: "
        + (
            "0.5 (the default)"
            if meta.get("threshold") is None
            else f"{meta['threshold']} (rule {meta.get('threshold_rule')}, chosen on "
            f"{meta.get('threshold_chosen_on') or '-'})"
        ),
        (
            f"- architecture: `{arch['name']}` "
            f"{json.dumps(arch.get('params') or {}, sort_keys=True)}; "
            f"{meta.get('n_parameters')} parameters"
        ),
        (
            f"- input: {meta['alphabet']}, {meta['input_length']} positions "
            f"(crop: {meta.get('crop', 'centre')}), encoding {meta.get('encoding', 'onehot')}"
        ),
    ]
    if meta.get("ensemble"):
        ens = meta["ensemble"]
        lines.append(
            f"- ensemble of {ens.get('members')} members (seeds {ens.get('seeds')}, "
            f"combine {ens.get('combine')})"
        )
    lines += [
        f"- model.safetensors SHA-256: `{weights_sha}`",
        "",
        "## Data",
        "",
        (
            f"- data set: `{spec.dataset}` (biodl's shared data folder; its SOURCE.md gives "
            "the origin)"
        ),
        f"- licence of the training data (SOURCE.md): {licence}",
        "- split:",
        *[f"  {line}" for line in _split_text(config)],
        "- sizes: " + "; ".join(_size_text(k, v) for k, v in splits.items() if isinstance(v, dict)),
    ]
    files = (meta.get("data") or {}).get("files") or []
    if files:
        lines.append("- files (SHA-256):")
        lines += [f"  - `{f['path']}` {f.get('bytes')} bytes, `{f.get('sha256')}`" for f in files]
    if rewritten:
        lines.append(
            "- Absolute data paths of config.yaml and model.json were rewritten to "
            "`<dataset>/<file>` when the zoo was built (bench/pretrained.py); point them at "
            "your copy of the data to retrain or assess."
        )
    lines += ["", "## Metrics (95 % bootstrap CIs)", ""]
    names = [
        k
        for k in (metrics.get("test") or metrics.get("valid") or {})
        if k not in ("n", "n_positive")
    ]
    lines.append("| metric | " + " | ".join(s for s in ("valid", "test") if s in metrics) + " |")
    lines.append("|---|" + "---|" * sum(s in metrics for s in ("valid", "test")))
    for name in names:
        cells = [_fmt((metrics.get(s) or {}).get(name)) for s in ("valid", "test") if s in metrics]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(f"\nHeadline metric: {task_class(task).headline} on test.")
    if assessment is not None:
        lines += ["", f"## Assessment (`biodl assess`): {assessment['overall']}", ""]
        lines += [
            f"- {k}: {v.get('flag')}: {v.get('summary', '')}"
            for k, v in assessment["items"].items()
        ]
    else:
        lines += ["", "## Assessment", "", "Not assessed (`biodl assess` was not run on it)."]
    caveats = [*spec.notes, *((meta.get("model_card") or {}).get("caveats") or [])]
    lines += ["", "## Caveats", "", *[f"- {c}" for c in dict.fromkeys(caveats)]]
    lines += [
        "",
        "## Provenance",
        "",
        (
            f"- trained by: `{meta.get('command')}` on {meta.get('created')} (seed "
            f"{meta.get('seed')}, {meta.get('threads')} threads)"
        ),
        (
            f"- versions: biodl {versions.get('biodl')}, torch {versions.get('torch')}, "
            f"lightning {versions.get('lightning')}, python {versions.get('python')}"
        ),
        "",
    ]
    return "\n".join(lines)


def copy_run(
    spec: Spec, run: Path, dest: Path, data_root: Path, assess_root: Path | None, runs_root: Path
) -> dict[str, Any]:
    """Copy ``run`` into ``dest`` (a new folder); its ``index.json`` entry."""
    load_run(run)  # refuse a broken run before copying it
    # data set files -> <dataset>/<file>; files made here (the deduplicated splice
    # table) -> their path in the repository
    roots = [str(data_root.resolve()) + "/", str(data_root) + "/", str(ROOT) + "/"]
    rewritten: list[str] = []
    dest.mkdir(parents=True)
    shutil.copyfile(run / "model.safetensors", dest / "model.safetensors")
    meta = json.loads((run / "model.json").read_text(encoding="utf-8"))
    meta = _relocate(meta, roots, rewritten)
    (dest / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    config: dict[str, Any] = {}
    if (run / "config.yaml").is_file():
        config = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8")) or {}
        config = _relocate(config, roots, rewritten)
        (dest / "config.yaml").write_text(
            yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    (dest / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    assessment = _assessment(run, assess_root, runs_root)
    if assessment is not None:
        (dest / "assessment.json").write_text(
            json.dumps(assessment, indent=2) + "\n", encoding="utf-8"
        )
    licence = licence_of(data_root / spec.dataset / "SOURCE.md")
    weights_sha = sha256(dest / "model.safetensors")
    card = model_card(
        spec, meta, config, metrics, licence, weights_sha, assessment, bool(rewritten)
    )
    (dest / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    load_run(dest)  # the copy loads as the original
    task = str(meta.get("task", "binary"))
    headline = task_class(task).headline
    test = copy.deepcopy((metrics.get("test") or {}).get(headline) or {})
    files = {
        p.name: {"bytes": p.stat().st_size, "sha256": sha256(p)}
        for p in sorted(dest.iterdir())
        if p.is_file()
    }
    return {
        "name": spec.name,
        "description": spec.description,
        "task": task,
        "architecture": meta["architecture"]["name"],
        "ensemble": int((meta.get("ensemble") or {}).get("members", 1)),
        "alphabet": meta["alphabet"],
        "input_length": meta["input_length"],
        "encoding": meta.get("encoding", "onehot"),
        "outputs": meta["outputs"],
        "dataset": spec.dataset,
        "licence": LICENCE_SHORT.get(spec.dataset, "see MODEL_CARD.md"),
        "licence_source": licence,
        "metric": {
            "name": headline,
            "split": "test",
            "value": test.get("value"),
            "ci": test.get("ci"),
            "n": ((metrics.get("test") or {}).get("n") or {}).get("value"),
        },
        "assessment": None if assessment is None else assessment["overall"],
        "benchmark": spec.benchmark,
        "source_run": f"bench/out/{spec.run}",
        "trained_by": meta.get("command"),
        "paths_rewritten": len(rewritten),
        "bytes": sum(f["bytes"] for f in files.values()),
        "files": files,
    }


def build(
    runs_root: Path, data_root: Path, assess_root: Path | None, out: Path = PACKAGE_DIR
) -> dict[str, Any]:
    """Rebuild ``out`` (``index.json`` + ``models/``) from the runs found; the index."""
    entries = []
    with staged_dir(out, force=True) as stage:
        for spec in SPECS:
            run = runs_root / spec.run
            if not (run / "model.json").is_file() or not (run / "model.safetensors").is_file():
                print(f"skipped {spec.name}: no finished run at {run}")
                continue
            entry = copy_run(
                spec, run, stage / "models" / spec.name, data_root, assess_root, runs_root
            )
            entries.append(entry)
            print(f"{spec.name:<32} {entry['bytes']:>9,} bytes  {spec.run}")
        total = sum(e["bytes"] for e in entries)
        index = {
            "format": "biodl-pretrained",
            "format_version": 1,
            "built_by": "bench/pretrained.py",
            "total_bytes": total,
            "models": entries,
        }
        (stage / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
        total += (stage / "index.json").stat().st_size
        if total > MAX_TOTAL_BYTES:
            msg = f"the zoo is {total:,} bytes, more than the {MAX_TOTAL_BYTES:,} allowed"
            raise SystemExit(msg)
    print(f"{len(entries)} models, {total:,} bytes in all ({total / 1024 / 1024:.2f} MiB): {out}")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--assess",
        type=Path,
        default=ROOT / "bench" / "out" / "assess_runs",
        help="folder of bench/assess_runs.py (OUT/<run>/assessment.json)",
    )
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR)
    parser.add_argument(
        "--train-splice",
        action="store_true",
        help=f"train the splice model into RUNS/{SPLICE_RUN} when it is absent",
    )
    parser.add_argument(
        "--print-runs", action="store_true", help="print the run folders used, and stop"
    )
    args = parser.parse_args(argv)
    if args.print_runs:
        print(" ".join(spec.run for spec in SPECS))
        return 0
    splice = args.runs / SPLICE_RUN
    if args.train_splice and not (splice / "model.json").is_file():
        train_splice(args.data / "splice_uci_primate", splice)
    build(args.runs, args.data, args.assess if args.assess.is_dir() else None, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
