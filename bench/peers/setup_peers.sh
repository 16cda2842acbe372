#!/usr/bin/env bash
# Separate virtual environment for the peer benchmarks (bench/peers/): tangermeme and,
# with --with-grelu, gReLU, next to biodl (editable, no deps). The peers are never
# dependencies of biodl; they live only in bench/.venv-peers (git-ignored).
#
# Usage (from anywhere):
#     bash bench/peers/setup_peers.sh [--with-grelu] [--force]
#
# torch is pinned by constraints.txt (torch==2.13.0, the local CPU wheel); every pip
# call here runs with PIP_CONSTRAINT set, so no CUDA wheels are ever downloaded.
# Idempotent: if the venv exists and its imports work, nothing is installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/bench/.venv-peers"
PY="$VENV/bin/python"
GRELU_TIMEOUT="${GRELU_TIMEOUT:-300}"  # seconds; gReLU is skipped past this

with_grelu=0
force=0
for arg in "$@"; do
    case "$arg" in
        --with-grelu) with_grelu=1 ;;
        --force) force=1 ;;
        -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
done

export PIP_CONSTRAINT="$ROOT/constraints.txt"
if ! grep -q '^torch==2.13.0' "$PIP_CONSTRAINT"; then
    echo "constraints.txt does not pin torch==2.13.0; refusing to install torch" >&2
    exit 1
fi

base_ok() {
    [ -x "$PY" ] && "$PY" - <<'EOF' >/dev/null 2>&1
import numpy, torch, tangermeme
from importlib.metadata import version
from tangermeme.utils import one_hot_encode
from biodl.encode import one_hot
assert torch.__version__.startswith("2.13.0"), torch.__version__
assert version("tangermeme") == "1.6.0"
EOF
}

grelu_ok() {
    [ -x "$PY" ] && "$PY" -c "import grelu.sequence.format" >/dev/null 2>&1
}

if [ "$force" = 1 ] && [ -d "$VENV" ]; then
    echo "removing $VENV (--force)"
    rm -rf "$VENV"
fi

if base_ok && { [ "$with_grelu" = 0 ] || grelu_ok; }; then
    echo "$VENV is ready (imports work); nothing to do"
    "$PY" -c "import torch, tangermeme, numpy; print('torch', torch.__version__, '| numpy', numpy.__version__)"
    exit 0
fi

if [ ! -x "$PY" ]; then
    echo "creating $VENV"
    python3 -m venv "$VENV"
fi
PIP=("$PY" -m pip install --disable-pip-version-check)

if ! base_ok; then
    # 1. torch first, alone, so the constraint decides which wheel (the local CPU one).
    "${PIP[@]}" "torch==2.13.0"
    # 2. tangermeme (its torch requirement is already satisfied by the pinned torch).
    "${PIP[@]}" "tangermeme==1.6.0"
    # 3. biodl, editable, without its heavy deps; biodl.encode needs only numpy.
    "${PIP[@]}" -e "$ROOT" --no-deps
    "${PIP[@]}" "numpy>=1.24"
    base_ok || { echo "imports still fail in $VENV" >&2; exit 1; }
fi

if [ "$with_grelu" = 1 ] && ! grelu_ok; then
    echo "installing grelu==1.1.0 (skipped if it fails or takes over ${GRELU_TIMEOUT}s)"
    if timeout "$GRELU_TIMEOUT" "${PIP[@]}" "grelu==1.1.0" && grelu_ok; then
        echo "grelu installed"
    else
        echo "WARNING: grelu==1.1.0 did not install (failed or timed out); benchmark runs without it" >&2
    fi
    base_ok || { echo "grelu install broke the base environment; rerun with --force" >&2; exit 1; }
fi

"$PY" - <<'EOF'
import numpy, torch
from importlib.metadata import version, PackageNotFoundError
print("torch", torch.__version__, "| numpy", numpy.__version__, "| tangermeme", version("tangermeme"))
try:
    print("grelu", version("grelu"))
except PackageNotFoundError:
    print("grelu not installed")
EOF
