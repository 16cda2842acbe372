"""Tests of biodl.report.plots: PNG files written atomically, bad input rejected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from biodl.metrics import precision_recall_curve, roc_curve
from biodl.report.plots import plot_binary_curves, plot_pr, plot_roc

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _split_data(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    return y, s


def _assert_png(path: Path) -> None:
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert path.stat().st_size > 2000


def _no_leftovers(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name] == []


def test_plot_roc_and_pr(tmp_path: Path) -> None:
    roc = {}
    pr = {}
    for split, seed in (("valid", 0), ("test", 1)):
        y, s = _split_data(seed)
        fpr, tpr, _ = roc_curve(y, s)
        precision, recall, _ = precision_recall_curve(y, s)
        roc[split] = (fpr, tpr, 0.8)
        pr[split] = (precision, recall, None)
    out = plot_roc(roc, tmp_path / "roc.png")
    assert out == tmp_path / "roc.png"
    _assert_png(out)
    out = plot_pr(pr, str(tmp_path / "sub" / "pr.png"), baseline={"valid": 0.5, "test": 0.4})
    assert out == tmp_path / "sub" / "pr.png"
    _assert_png(out)
    _no_leftovers(tmp_path)
    _no_leftovers(tmp_path / "sub")


def test_plot_binary_curves(tmp_path: Path) -> None:
    ys, ss = zip(*(_split_data(seed) for seed in (2, 3)), strict=True)
    paths = plot_binary_curves(
        {"valid": ys[0], "test": ys[1]}, {"valid": ss[0], "test": ss[1]}, tmp_path / "figs"
    )
    assert paths == {"roc": tmp_path / "figs" / "roc.png", "pr": tmp_path / "figs" / "pr.png"}
    for path in paths.values():
        _assert_png(path)
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["pr.png", "roc.png"]


def test_overwrites_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "roc.png"
    target.write_bytes(b"old")
    plot_roc({"test": ([0.0, 0.5, 1.0], [0.0, 0.8, 1.0], 0.65)}, target)
    _assert_png(target)
    _no_leftovers(tmp_path)


def test_one_class_split_still_plots(tmp_path: Path) -> None:
    paths = plot_binary_curves(
        {"valid": [1, 1, 1], "test": [0, 1, 1]},
        {"valid": [0.2, 0.5, 0.9], "test": [0.1, 0.7, 0.4]},
        tmp_path,
    )
    for path in paths.values():
        _assert_png(path)


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="same splits"):
        plot_binary_curves({"a": [0, 1]}, {"b": [0.1, 0.2]}, tmp_path)
    with pytest.raises(ValueError, match="split 'a'"):
        plot_binary_curves({"a": [0, 1]}, {"a": [0.1]}, tmp_path)
    with pytest.raises(ValueError, match="at least one"):
        plot_roc({}, tmp_path / "roc.png")
    with pytest.raises(ValueError, match="equal length"):
        plot_roc({"a": ([0.0, 1.0], [0.0], 0.5)}, tmp_path / "roc.png")
    with pytest.raises(ValueError, match="prevalence"):
        plot_pr({"a": ([1.0, 0.5], [0.0, 1.0], 0.5)}, tmp_path / "pr.png", baseline={"a": 2.0})
    with pytest.raises(ValueError, match="dpi"):
        plot_roc({"a": ([0.0, 1.0], [0.0, 1.0], 0.5)}, tmp_path / "roc.png", dpi=0)
    _no_leftovers(tmp_path)


def test_no_global_matplotlib_state(tmp_path: Path) -> None:
    """Plotting neither imports pyplot nor changes the backend (checked in a fresh process)."""
    code = (
        "import sys, matplotlib\n"
        "before = dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "from biodl.report import plot_roc\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        f"plot_roc({{'a': ([0.0, 1.0], [0.0, 1.0], 0.5)}}, {str(tmp_path / 'roc.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert dict.__getitem__(matplotlib.rcParams, 'backend') == before, 'backend changed'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    _assert_png(tmp_path / "roc.png")
