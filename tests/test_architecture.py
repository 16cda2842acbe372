"""The layer map of docs/architecture.md holds: no module imports a layer above its own.

Every ``import``/``from ... import`` in ``src/biodl`` (also the ones inside functions) is
read with :mod:`ast`; a module may import its own package and the layers below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "biodl"

#: Layers from the bottom; a module may import its own layer's package and lower layers.
LAYERS: dict[str, int] = {
    "errors": 0,
    "metrics": 0,
    "progress": 0,  # bars and progress lines: every layer may report progress
    "io": 1,
    "encode": 2,
    "tasks": 3,
    "config": 4,
    "data": 5,
    "models": 6,
    "runs": 7,
    "train": 8,
    "networks": 8,  # network inference and fusion: beside train, never importing it
    "interpret": 9,
    "variants": 10,
    "assess": 11,
    "report": 12,
    "workflows": 13,
    "cli": 14,
    "testing": 15,  # generators for tests and demos: may use everything, used by nothing
}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "biodl" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] != "__init__.py")


def test_every_package_has_a_layer() -> None:
    tops = {p.relative_to(SRC).parts[0].removesuffix(".py") for p in _modules()}
    tops -= {"__main__", "_version"}
    assert tops <= set(LAYERS), sorted(tops - set(LAYERS))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_upward_import(path: Path) -> None:
    own = path.relative_to(SRC).parts[0].removesuffix(".py")
    if own not in LAYERS:
        return
    upward = []
    for line, module in _imports(path):
        other = _layer_of(module)
        if other is None or other == own or other not in LAYERS:
            continue
        if LAYERS[other] >= LAYERS[own]:
            upward.append(f"line {line}: {module} ({other}, layer {LAYERS[other]})")
    assert not upward, f"{own} (layer {LAYERS[own]}) imports upward: {upward}"


def test_nothing_imports_testing() -> None:
    users = [
        str(p.relative_to(SRC))
        for p in _modules()
        if p.relative_to(SRC).parts[0] != "testing"
        and any(_layer_of(m) == "testing" for _, m in _imports(p))
    ]
    assert users == []
