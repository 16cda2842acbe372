"""Render run reports (report.html) in headless Chromium at 1280 px and check overflow.

Usage::

    python bench/report_screenshots.py RUN/report.html [...] [--out docs/screenshots]
    python bench/report_screenshots.py --make bench/out/report_runs [--out docs/screenshots]

``--make DIR`` first writes three pages into DIR: a binary run (iEnhancer layer 1, 3
epochs, ``../shared/data/enhancer_ienhancer2l``), a multi-class run (UCI primate splice
junctions, 3 classes, 3 epochs, ``../shared/data/splice_uci_primate``, 20 % test held
out) and an 11-class page built from synthetic scores (the size of the issue's
"unreadable" confusion matrices), then renders them.

Each page is screenshot with ``--window-size=1280,HEIGHT --screenshot`` and saved as
``run_<name>.png`` under ``--out`` (PNG colours reduced to a palette with Pillow when
available, so that each file stays under 500 KB). The horizontal overflow check renders a
temporary copy of the page with a small script appended that writes
``document.documentElement.scrollWidth`` into the DOM; ``chromium --dump-dom`` prints
it. A page overflows when that width exceeds 1280. Chromium runs with no network, as in
``bench/assess_screenshot.py``. Writes ``result.json`` under ``--out`` (or
``--json``) and prints one line per page; exits 1 when a page overflows or fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assess_screenshot import FLAGS, WIDTH, _measure  # one chromium set-up and probe


def _chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def measure(browser: str, report: Path, tmp: Path) -> tuple[int | None, int | None]:
    """``(scrollWidth, scrollHeight)`` of ``report`` in a 1280 px wide window."""
    found = _measure(browser, report, tmp)
    return found.get("width"), found.get("height")


def _shrink(png: Path, limit: int = 500_000) -> None:
    """Quantise a screenshot to a 256-colour palette (text and plots survive), and crop
    its height until it is under ``limit`` bytes."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return
    with Image.open(png) as opened:
        image = opened.convert("RGB")
    while True:
        small = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(png, optimize=True)
        if png.stat().st_size < limit or image.height < 600:
            return
        image = image.crop((0, 0, image.width, int(image.height * 0.85)))


def shoot(browser: str, report: Path, png: Path, tmp: Path, height: int) -> dict[str, Any]:
    width, full_height = measure(browser, report, tmp)
    shot_height = min(height, full_height or height)
    png.unlink(missing_ok=True)
    proc = _chromium(
        browser,
        tmp / "profile",
        f"--window-size={WIDTH},{shot_height}",
        f"--screenshot={png.resolve()}",
        report.resolve().as_uri(),
    )
    if png.is_file():
        _shrink(png)
    return {
        "report": str(report),
        "png": str(png),
        "png_bytes": png.stat().st_size if png.is_file() else 0,
        "window": f"{WIDTH}x{shot_height}",
        "scroll_width": width,
        "page_height": full_height,
        "overflow": None if width is None else width > WIDTH,
        "exit_code": proc.returncode,
    }


# --------------------------------------------------------------------------- example pages


def _train(config: dict[str, Any], out: Path) -> Path:
    import yaml

    from biodl.workflows import train_run

    path = out.with_suffix(".yaml")
    path.write_text(yaml.safe_dump(config))
    train_run(path, out, force=True)
    return out / "report.html"


def make_pages(folder: Path, shared: Path) -> dict[str, Path]:
    """Write the example pages (see the module docstring) into ``folder``."""
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).resolve().parent))
    from enhancer import config_for as enhancer_config
    from splice import config_for as splice_config

    folder.mkdir(parents=True, exist_ok=True)
    pages = {}
    enhancer = enhancer_config((shared / "enhancer_ienhancer2l").resolve(), "deepbind", 1, 3, "mcc")
    pages["binary"] = _train(enhancer, folder / "binary")
    splice = splice_config((shared / "splice_uci_primate").resolve(), "deepbind", 1, 3)
    splice["data"]["test"] = {"fraction": 0.2}
    pages["multiclass"] = _train(splice, folder / "multiclass")
    pages["multiclass11"] = _eleven_classes(folder / "multiclass11")
    return pages


def _eleven_classes(out: Path) -> Path:
    """A run report of 11 classes from synthetic scores (no training): the page layout
    at the class count of the issue (DeepLoc-like compartments)."""
    import numpy as np

    from biodl.metrics import multiclass_metrics
    from biodl.report import plot_confusion, plot_learning_curves, run_flags, write_run_report

    classes = [
        "Nucleus",
        "Cytoplasm",
        "Extracellular",
        "Mitochondrion",
        "Cell_membrane",
        "Endoplasmic_reticulum",
        "Plastid",
        "Golgi_apparatus",
        "Lysosome/Vacuole",
        "Peroxisome",
        "Other",
    ]
    rng = np.random.default_rng(3)
    out.mkdir(parents=True, exist_ok=True)
    metrics = {}
    images: dict[str, Path] = {}
    sizes = np.array([300, 250, 180, 150, 120, 90, 60, 40, 30, 15, 8])
    for split, scale in (("valid", 0.6), ("test", 1.0)):
        y = np.repeat(np.arange(len(classes)), (sizes * scale).astype(int))
        logits = rng.normal(size=(len(y), len(classes)))
        logits[np.arange(len(y)), y] += 2.2
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        metrics[split] = multiclass_metrics(y, p, classes=classes, n_bootstrap=200)
    curves = {
        "train_loss": [2.1, 1.5, 1.2, 1.0, 0.85, 0.74, 0.66, 0.6],
        "valid_loss": [2.0, 1.6, 1.4, 1.33, 1.31, 1.34, 1.38, 1.45],
        "valid_auroc": [0.7, 0.8, 0.84, 0.86, 0.865, 0.862, 0.858, 0.85],
    }
    images["Learning curves (dashed: the epoch whose weights were kept)"] = plot_learning_curves(
        curves,
        out / "learning_curves.png",
        best_epoch=4,
        metric_label="Validation macro AUROC",
    )
    for split in metrics:
        images[f"Confusion matrix ({split})"] = plot_confusion(
            np.asarray(metrics[split]["confusion"]["value"]),
            classes,
            out / f"confusion_{split}.png",
            title=f"Confusion matrix, {split}",
        )
    meta = {
        "task": "multiclass",
        "labels": {"classes": classes},
        "training": {"epochs": 8, "best_epoch": 4, "monitor": "valid_loss"},
    }
    return write_run_report(
        out / "report.html",
        title="biodl run: 11 classes (synthetic scores)",
        summary={"model": "synthetic", "task": "multiclass, 11 classes"},
        metrics=metrics,
        images=images,
        notes=["Scores are synthetic: this page shows the layout at 11 classes."],
        findings=run_flags(meta, metrics),
        headline="accuracy",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="*", type=Path, help="report.html files to render")
    parser.add_argument("--make", type=Path, help="first write the example pages here")
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument(
        "--json", type=Path, default=Path("bench/out/report_screenshots.json"), help="result file"
    )
    parser.add_argument("--height", type=int, default=4000, help="largest window height")
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 1
    pages = {p.parent.name or p.stem: p for p in args.reports}
    if args.make is not None:
        pages.update(make_pages(args.make, args.shared))
    if not pages:
        parser.error("give report.html files or --make DIR")
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="biodl-shot-") as tmp:
        for name, report in pages.items():
            png = args.out / f"run_{name}.png"
            results.append({"name": name, **shoot(browser, report, png, Path(tmp), args.height)})
    target = args.json
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n")
    failed = False
    for r in results:
        state = {None: "not measured", True: "OVERFLOWS", False: "no overflow"}[r["overflow"]]
        print(
            f"{r['name']}: {state} (scrollWidth {r['scroll_width']} at {WIDTH} px), "
            f"{r['png']} {r['png_bytes']} bytes, window {r['window']}, "
            f"page height {r['page_height']}"
        )
        failed |= r["overflow"] is not False or r["exit_code"] != 0 or r["png_bytes"] == 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
