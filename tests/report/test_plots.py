"""Tests of biodl.report.plots: PNG files written atomically, bad input rejected.

Also the multi-class run report: :func:`plot_confusion` with the metrics of
:func:`biodl.metrics.multiclass_metrics` in :func:`biodl.report.write_run_report`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from biodl.metrics import binary_metrics, multiclass_metrics, precision_recall_curve, roc_curve
from biodl.report import write_run_report
from biodl.report.plots import (
    plot_binary_curves,
    plot_confusion,
    plot_pr,
    plot_roc,
    plot_tracks,
)

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


# --------------------------------------------------------------------------- multi-class

SPLICE = ["EI", "IE", "N"]


def _multiclass_data(seed: int, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), y] += 1.5
    p = np.exp(logits)
    return y, p / p.sum(axis=1, keepdims=True)


def test_plot_confusion(tmp_path: Path) -> None:
    conf = [[50, 3, 2], [4, 40, 6], [1, 5, 90]]
    out = plot_confusion(conf, SPLICE, tmp_path / "confusion.png", title="Splice junctions")
    assert out == tmp_path / "confusion.png"
    _assert_png(out)
    # counts only; a class without examples (empty row); a folder that does not exist yet
    conf4 = np.array([[5, 1, 0, 0], [2, 7, 1, 0], [0, 0, 9, 0], [0, 0, 0, 0]])
    out = plot_confusion(conf4, ("a", "b", "c", "d"), str(tmp_path / "sub" / "c.png"))
    _assert_png(out)
    out = plot_confusion(conf4, ("a", "b", "c", "d"), tmp_path / "raw.png", normalise=False)
    _assert_png(out)
    # weighted (non-integer) counts and many classes
    rng = np.random.default_rng(0)
    _assert_png(plot_confusion(rng.uniform(0, 9, (8, 8)), list("abcdefgh"), tmp_path / "w.png"))
    _no_leftovers(tmp_path)
    _no_leftovers(tmp_path / "sub")


def test_plot_confusion_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="square"):
        plot_confusion([[1, 2, 3], [4, 5, 6]], ["a", "b"], tmp_path / "c.png")
    with pytest.raises(ValueError, match="square"):
        plot_confusion([1, 2], ["a", "b"], tmp_path / "c.png")
    with pytest.raises(ValueError, match="3 class names"):
        plot_confusion([[1, 2], [3, 4]], SPLICE, tmp_path / "c.png")
    with pytest.raises(ValueError, match="sequence of class names"):
        plot_confusion([[1, 2], [3, 4]], "ab", tmp_path / "c.png")
    with pytest.raises(ValueError, match="non-negative"):
        plot_confusion([[1, -2], [3, 4]], ["a", "b"], tmp_path / "c.png")
    with pytest.raises(ValueError, match="finite"):
        plot_confusion([[1, np.nan], [3, 4]], ["a", "b"], tmp_path / "c.png")
    with pytest.raises(ValueError, match="dpi"):
        plot_confusion([[1, 2], [3, 4]], ["a", "b"], tmp_path / "c.png", dpi=-1)
    assert list(tmp_path.iterdir()) == []


def test_multiclass_report(tmp_path: Path) -> None:
    metrics = {}
    images = {}
    for split, seed in (("valid", 0), ("test", 1)):
        y, p = _multiclass_data(seed)
        metrics[split] = multiclass_metrics(y, p, classes=SPLICE, n_bootstrap=100)
        conf = np.asarray(metrics[split]["confusion"]["value"])
        images[f"Confusion matrix ({split})"] = plot_confusion(
            conf, SPLICE, tmp_path / f"confusion_{split}.png"
        )
    text = write_run_report(
        tmp_path / "report.html", title="splice", summary={}, metrics=metrics, images=images
    ).read_text(encoding="utf-8")
    for label in ("Accuracy", "MCC", "Macro F1", "Macro AUROC (one-vs-rest)", "Log loss"):
        assert f'<td class="name">{label}</td>' in text, label
    for name in SPLICE:
        for label in ("Precision", "Recall", "F1", "Error %", "AUROC (one-vs-rest)"):
            assert f'<td class="name">{label} — {name}</td>' in text, (label, name)
    entry = metrics["test"]["f1[EI]"]
    lo, hi = entry["ci"]
    row = f'<td class="name">F1 — EI</td><td>{metrics["valid"]["f1[EI]"]["value"]:.3f}'
    assert row in text
    assert f"{entry['value']:.3f} [{lo:.3f}, {hi:.3f}]" in text
    # the tables (n_per_class, confusion) are not rows of the metrics table
    assert "n_per_class" not in text
    assert "confusion</td>" not in text
    assert '<td class="name">Examples</td><td>120</td><td>120</td>' in text
    assert text.count("data:image/png;base64,") == 2
    # rows: scalar metrics, per-class metrics class by class, then the counts
    order = [
        text.index(f'<td class="name">{label}</td>')
        for label in (
            "Accuracy",
            "Log loss",
            "Precision — EI",
            "AUROC (one-vs-rest) — N",
            "Examples",
        )
    ]
    assert order == sorted(order)


def test_report_mixes_binary_and_multiclass_entries(tmp_path: Path) -> None:
    """Unknown per-class keys keep their name; a table in one split shows as a dash."""
    y, s = _split_data(4, n=50)
    metrics = {
        "binary": {**binary_metrics(y, s, n_bootstrap=0), "foo[bar]": {"value": 1}},
        "other": {"n": {"value": [1, 2]}, "f1[a b]": {"value": 0.5, "ci": None}},
    }
    text = write_run_report(
        tmp_path / "r.html", title="t", summary={}, metrics=metrics, images={}
    ).read_text(encoding="utf-8")
    assert '<td class="name">foo[bar]</td>' in text
    assert '<td class="name">F1 — a b</td><td>—</td><td>0.500</td>' in text
    assert '<td class="name">Examples</td><td>50</td><td>—</td>' in text


# --------------------------------------------------------------------------- tracks


def test_plot_tracks_draws_one_panel_per_track_on_genomic_coordinates(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    observed = rng.poisson(3.0, size=(3, 16)).astype(np.float64)
    observed[1, 4:6] = np.nan  # missing bins are left blank
    predicted = observed + 0.5
    predicted[1] = 2.0
    fig = plot_tracks(
        observed, predicted, names=["a", "b", "c"], bin_size=128, chrom="chr2", start=5000
    )
    assert len(fig.axes) == 3
    assert [ax.get_ylabel() for ax in fig.axes] == ["a", "b", "c"]
    assert fig.axes[0].get_xlim() == (5000.0, 5000.0 + 16 * 128)
    assert fig.axes[-1].get_xlabel() == "chr2 position (bp)"
    line = fig.axes[0].get_lines()[0]
    assert line.get_xdata()[0] == 5000
    assert fig.get_suptitle() == "chr2:5,000-7,048"
    fig.savefig(tmp_path / "tracks.png", format="png")
    _assert_png(tmp_path / "tracks.png")
    one = plot_tracks([[1.0, 2.0]], [[1.0, 2.0]], names=["x"], bin_size=1, chrom="1", start=0)
    assert len(one.axes) == 1


def test_plot_tracks_shows_at_most_ten_tracks() -> None:
    y = np.ones((12, 4))
    fig = plot_tracks(
        y, y, names=[f"t{i}" for i in range(12)], bin_size=10, chrom="c", start=0, title="window 1"
    )
    assert len(fig.axes) == 10
    assert fig.get_suptitle() == "window 1 (first 10 of 12 tracks)"


def test_plot_tracks_bad_input() -> None:
    y = np.ones((2, 4))
    with pytest.raises(ValueError, match="equal shape"):
        plot_tracks(y, np.ones((2, 3)), names=["a", "b"], bin_size=1, chrom="c", start=0)
    with pytest.raises(ValueError, match="1 names given for 2 tracks"):
        plot_tracks(y, y, names=["a"], bin_size=1, chrom="c", start=0)
    with pytest.raises(ValueError, match="bin_size must be an integer >= 1"):
        plot_tracks(y, y, names=["a", "b"], bin_size=0, chrom="c", start=0)
    with pytest.raises(ValueError, match="start must be an integer >= 0"):
        plot_tracks(y, y, names=["a", "b"], bin_size=1, chrom="c", start=-5)
