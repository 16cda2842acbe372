#!/usr/bin/env bash
# Separate virtual environment for the DeepChem side of bench/moleculenet.py:
# deepchem==2.8.0 with torch pinned by constraints.txt (torch==2.13.0, the local CPU
# wheel), scikit-learn, RDKit, and tensorflow 2.21 + tf-keras: DeepChem 2.8's
# GraphConvModel exists only in TensorFlow (Keras 2), so the runner sets
# TF_USE_LEGACY_KERAS=1 (tf.keras = tf_keras). Checked here 2026: deepchem 2.8.0 with
# numpy 2.4, tensorflow 2.21.0 and tf-keras 2.21.0 imports and trains GraphConvModel.
# DeepChem is never a dependency of biodl; it lives only in bench/out/venv-deepchem
# (git-ignored, under bench/out/).
#
# Usage (from anywhere):
#     bash bench/peers/setup_deepchem.sh [--force]
#
# Every pip call runs with PIP_CONSTRAINT set, so no CUDA wheels are downloaded.
# Idempotent: if the venv exists and its imports work, nothing is installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${DEEPCHEM_VENV:-$ROOT/bench/out/venv-deepchem}"
PY="$VENV/bin/python"

force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
done

export PIP_CONSTRAINT="$ROOT/constraints.txt"
if ! grep -q '^torch==2.13.0' "$PIP_CONSTRAINT"; then
    echo "constraints.txt does not pin torch==2.13.0; refusing to install torch" >&2
    exit 1
fi

deepchem_ok() {
    [ -x "$PY" ] && TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2 "$PY" - <<'PYEOF' >/dev/null 2>&1
from importlib.metadata import version
import torch, sklearn, rdkit, deepchem, tensorflow, tf_keras
from deepchem.models import GraphConvModel
assert version("deepchem") == "2.8.0"
assert torch.__version__.startswith("2.13.0"), torch.__version__
PYEOF
}

if [ "$force" = 1 ] && [ -d "$VENV" ]; then
    echo "removing $VENV (--force)"
    rm -rf "$VENV"
fi

if deepchem_ok; then
    echo "$VENV is ready (imports work); nothing to do"
else
    if [ ! -x "$PY" ]; then
        echo "creating $VENV"
        python3 -m venv "$VENV"
    fi
    PIP=("$PY" -m pip install --disable-pip-version-check)
    # 1. torch first, alone, so the constraint picks the local CPU wheel.
    "${PIP[@]}" "torch==2.13.0"
    # 2. deepchem and what its GraphConv (torch) and RF (scikit-learn) paths need.
    "${PIP[@]}" "deepchem==2.8.0" "rdkit" "scikit-learn"
    # 3. TensorFlow with Keras 2 (tf-keras) for GraphConvModel.
    "${PIP[@]}" "tensorflow==2.21.0" "tf-keras==2.21.0"
    if ! deepchem_ok; then
        echo "deepchem imports fail in $VENV; the error:" >&2
        TF_USE_LEGACY_KERAS=1 "$PY" -c "from deepchem.models import GraphConvModel" >&2 || true
        exit 1
    fi
fi

"$PY" - <<'PYEOF'
from importlib.metadata import version
for name in ("deepchem", "torch", "tensorflow", "tf-keras", "numpy", "scikit-learn", "rdkit"):
    try:
        print(name, version(name))
    except Exception as exc:  # noqa: BLE001
        print(name, "?", exc)
PYEOF
