"""Render an assessment's report.html in headless Chromium and check the screenshot.

Usage::

    python bench/assess_screenshot.py [REPORT.html] [--out bench/out/assess_screenshot]

Without REPORT, a tiny run is trained and assessed first (a few seconds). Chromium runs
with no network (``--disable-background-networking``, ``--disable-component-update``);
the page must load without it because it is self-contained. Passes when chromium exits
0 and writes a non-empty PNG. Writes ``result.json`` and ``report.png`` under ``--out``.
Needs Debian's ``chromium`` (``apt-get install -y chromium``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def _make_report(folder: Path) -> Path:
    from biodl.assess import assess, load_inputs
    from biodl.report import write_assessment
    from biodl.testing.assess_runs import tiny_run

    run = tiny_run(folder)
    out = write_assessment(assess(load_inputs(run)), folder / "assessment")
    return out / "report.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, help="report.html to render")
    parser.add_argument("--out", type=Path, default=Path("bench/out/assess_screenshot"))
    parser.add_argument("--height", type=int, default=6000, help="window height in pixels")
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="biodl-shot-") as tmp:
        report = args.report if args.report is not None else _make_report(Path(tmp))
        png = args.out / "report.png"
        png.unlink(missing_ok=True)
        profile = Path(tmp) / "profile"
        command = [
            browser,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size=1100,{args.height}",
            f"--screenshot={png.resolve()}",
            report.resolve().as_uri(),
        ]
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        wall = time.perf_counter() - start
        size = png.stat().st_size if png.is_file() else 0
        result = {
            "report": str(report),
            "report_bytes": report.stat().st_size,
            "chromium": subprocess.run(
                [browser, "--version"], capture_output=True, text=True, check=False
            ).stdout.strip(),
            "exit_code": proc.returncode,
            "png": str(png),
            "png_bytes": size,
            "wall_s": round(wall, 2),
            "passed": proc.returncode == 0 and size > 0,
        }
    (args.out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:>13}: {value}")
    if not result["passed"]:
        print(proc.stderr[-2000:], file=sys.stderr)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
