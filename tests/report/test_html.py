"""Tests of biodl.report.html: self-contained, escaped, with metrics and inlined images."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from biodl.errors import InputError
from biodl.metrics import binary_metrics
from biodl.report import plot_binary_curves, write_run_report

Y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
S = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.7, 0.55, 0.3]


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    paths = plot_binary_curves({"test": Y}, {"test": S}, tmp_path / "figs")
    return {"ROC curve": paths["roc"], "Precision-recall curve": paths["pr"]}


def test_report_contents(tmp_path: Path, images: dict[str, Path]) -> None:
    metrics: dict[str, dict[str, Any]] = {
        "valid": binary_metrics(Y, S, n_bootstrap=0),
        "test": {"auroc": {"value": 0.9531, "ci": [0.9412, 0.9648]}, "custom": {"value": 7}},
    }
    out = write_run_report(
        tmp_path / "report.html",
        title="<script>alert('x')</script> run",
        summary={"model": "DeepBind", "seed": "0", "versions": "torch 2 & numpy 2"},
        metrics=metrics,
        images=images,
        notes=["trained on <chr1>", "ok"],
    )
    assert out == tmp_path / "report.html"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; run" in text
    assert "torch 2 &amp; numpy 2" in text
    assert "trained on &lt;chr1&gt;" in text
    assert "0.953 [0.941, 0.965]" in text
    assert "AUROC" in text
    assert "custom" in text
    assert "—" in text  # custom metric missing for "valid"
    assert '<th scope="col">valid</th><th scope="col">test</th>' in text
    assert text.count("data:image/png;base64,") == 2
    encoded = base64.b64encode(images["ROC curve"].read_bytes()).decode("ascii")
    assert encoded in text
    assert "http://" not in text
    assert "https://" not in text
    assert "<link" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figs", "report.html"]


def test_report_metric_values_from_binary_metrics(tmp_path: Path) -> None:
    m = binary_metrics(Y, S, n_bootstrap=100, seed=1)
    text = write_run_report(
        tmp_path / "r.html", title="t", summary={}, metrics={"test": m}, images={}
    ).read_text(encoding="utf-8")
    lo, hi = m["auroc"]["ci"]
    assert f"{m['auroc']['value']:.3f} [{lo:.3f}, {hi:.3f}]" in text
    assert ">10<" in text  # n
    assert "Figures" not in text
    assert "Notes" not in text


def test_report_is_deterministic(tmp_path: Path, images: dict[str, Path]) -> None:
    kwargs: dict[str, Any] = {"title": "t", "summary": {"a": "b"}, "metrics": {}, "images": images}
    a = write_run_report(tmp_path / "a.html", **kwargs).read_bytes()
    b = write_run_report(tmp_path / "b.html", **kwargs).read_bytes()
    assert a == b


def test_bad_images(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read image"):
        write_run_report(
            tmp_path / "r.html",
            title="t",
            summary={},
            metrics={},
            images={"x": tmp_path / "missing.png"},
        )
    (tmp_path / "x.bmp").write_bytes(b"BM")
    with pytest.raises(InputError, match="unsupported"):
        write_run_report(
            tmp_path / "r.html", title="t", summary={}, metrics={}, images={"x": tmp_path / "x.bmp"}
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bmp"]


def test_bad_metric_entry(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="value"):
        write_run_report(
            tmp_path / "r.html",
            title="t",
            summary={},
            metrics={"test": {"auroc": {"value": "high"}}},
            images={},
        )
