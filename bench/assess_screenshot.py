"""Render the assessment and explain pages in headless Chromium at 1280 px: measure, screenshot.

Usage::

    python bench/assess_screenshot.py [--assess DIR|REPORT.html] [--explain DIR|EXPLAIN.html]
        [--rerender] [--out bench/out/assess_screenshot] [--docs docs/screenshots]

Without ``--assess``, a tiny run is trained and assessed first (a few seconds); without
``--explain`` the explain page is skipped. A folder is a ``biodl assess`` output (with
``assessment.json``) or a ``biodl explain`` output (with ``checks.json``); with
``--rerender`` its page is rendered again by the current code from those files (the
explain page's run summary is then rebuilt from ``checks.json``), else its HTML file is
used as it is.

For each page, a temporary copy with a small script appended reports
``document.documentElement.scrollWidth``/``scrollHeight`` after load (read back with
``chromium --headless --dump-dom``); the page overflows when the width exceeds the
1280 px window. Then a screenshot 1280 px wide and at most ``--max-height`` high is taken
(palette-quantised when over ``--max-bytes``). Chromium runs with no network
(``--disable-background-networking``, ``--disable-component-update``): the pages must
load without it because they are self-contained. Passes when every page renders with no
horizontal overflow and a non-empty PNG under ``--max-bytes``. Writes ``result.json`` and
the PNGs under ``--out``, and copies the PNGs to ``--docs`` as ``assess.png`` and
``explain.png`` when given. Needs Debian's ``chromium`` (``apt-get install -y chromium``).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WIDTH = 1280

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

_PROBE = (
    "<script>window.addEventListener('load',function(){var d=document.documentElement;"
    "var p=document.createElement('pre');p.id='biodl-probe';p.textContent=JSON.stringify("
    "{width:d.scrollWidth,height:d.scrollHeight,wide:Array.from(document.querySelectorAll("
    "'main *')).filter(function(e){return e.getBoundingClientRect().right>"
    + str(WIDTH)
    + "+1;}).slice(0,5).map(function(e){return e.tagName+'.'+e.className;})});"
    "document.body.appendChild(p);});</script>"
)


def _make_report(folder: Path) -> Path:
    from biodl.assess import assess, load_inputs
    from biodl.report import write_assessment
    from biodl.testing.assess_runs import tiny_run

    run = tiny_run(folder)
    out = write_assessment(assess(load_inputs(run)), folder / "assessment")
    return out / "report.html"


def _rerender_assessment(folder: Path, tmp: Path) -> Path:
    """``report.html`` rendered again from ``folder/assessment.json``."""
    from biodl.assess.core import Assessment
    from biodl.assess.types import Item
    from biodl.report.assessment import render_html

    data = json.loads((folder / "assessment.json").read_text())
    items = []
    for key in data["order"]:
        entry = dict(data[key])
        flag, rule, summary = entry.pop("flag"), entry.pop("rule"), entry.pop("summary")
        items.append(Item(key, flag, rule, summary, entry))
    assessment = Assessment(
        items=tuple(items),
        model=data.get("model", {}),
        created=data.get("created", ""),
        biodl_version=data.get("biodl_version", ""),
        overview=data.get("overview", {}),
        timings=data.get("timings", {}),
    )
    out = tmp / "assess" / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(assessment), encoding="utf-8")
    return out


def _rerender_explain(folder: Path, tmp: Path) -> Path:
    """``explain.html`` rendered again from an explain folder (``checks.json``,
    ``motifs.tsv``, ``motifs.meme``, ``logos/``) into ``tmp/explain/``."""
    from biodl.report.explain import write_explain_report

    checks: dict[str, Any] = json.loads((folder / "checks.json").read_text())
    out = tmp / "explain"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("motifs.meme", "motifs.tsv"):  # read beside the page, as in `biodl explain`
        if (folder / name).is_file():
            shutil.copy(folder / name, out / name)
    rows: list[dict[str, Any]] = []
    if (folder / "motifs.tsv").is_file():
        with (folder / "motifs.tsv").open(newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                rows.append(
                    {
                        "motif": row["motif"],
                        "jaspar_id": row["jaspar_id"],
                        "tf_name": row["tf_name"],
                        "p_value": float(row["p_value"]),
                        "q_value": float(row["q_value"]),
                    }
                )
    logos = []
    for png in sorted((folder / "logos").glob("*.png")):
        logos.append((f"#{int(png.stem)} (positions of largest attribution)", png))
    n = len(checks.get("randomisation", {}).get("per_sequence", [])) or "?"
    summary = {
        "model": str(checks.get("model", "(from checks.json)")),
        "sequences": str(checks.get("n_sequences", n)),
        "method": str(checks.get("method", "?")),
        "target": str(checks.get("target", "?")),
    }
    title = f"{checks.get('method', '?')} attributions: {checks.get('target', '?')}"
    return write_explain_report(
        out / "explain.html", title=title, summary=summary, checks=checks, logos=logos, motifs=rows
    )


def _measure(browser: str, page: Path, tmp: Path) -> dict[str, Any]:
    """Width and height of ``page`` at 1280 px, from a copy with a probe script."""
    probe = tmp / f"probe-{page.stem}.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8"
    )
    command = [
        browser,
        *FLAGS,
        f"--user-data-dir={tmp / 'profile'}",
        f"--window-size={WIDTH},900",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probe.resolve().as_uri(),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    probe.unlink()
    found = re.search(r'<pre id="biodl-probe">([^<]*)</pre>', proc.stdout)
    if found is None:
        return {"exit_code": proc.returncode, "error": proc.stderr[-500:]}
    values = json.loads(found.group(1).replace("&quot;", '"'))
    return {"exit_code": proc.returncode, **values}


def _shrink(png: Path, max_bytes: int) -> None:
    """Palette-quantise ``png`` in place when it is larger than ``max_bytes``."""
    if png.stat().st_size <= max_bytes:
        return
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(png, optimize=True)


def _shoot(
    browser: str, page: Path, png: Path, tmp: Path, *, height: int, max_bytes: int
) -> dict[str, Any]:
    """Measure ``page`` and save a screenshot ``WIDTH`` wide, at most ``height`` high."""
    measured = _measure(browser, page, tmp)
    shot_height = min(int(measured.get("height") or height), height)
    png.unlink(missing_ok=True)
    command = [
        browser,
        *FLAGS,
        f"--user-data-dir={tmp / 'profile'}",
        f"--window-size={WIDTH},{shot_height}",
        f"--screenshot={png.resolve()}",
        page.resolve().as_uri(),
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - start
    if png.is_file():
        _shrink(png, max_bytes)
    size = png.stat().st_size if png.is_file() else 0
    width = measured.get("width")
    overflow = not isinstance(width, int) or width > WIDTH
    return {
        "page": str(page),
        "page_bytes": page.stat().st_size,
        "scroll_width": width,
        "scroll_height": measured.get("height"),
        "wider_than_window": measured.get("wide", []),
        "horizontal_overflow": overflow,
        "screenshot_height": shot_height,
        "png": str(png),
        "png_bytes": size,
        "exit_code": proc.returncode,
        "wall_s": round(wall, 2),
        "passed": proc.returncode == 0 and 0 < size <= max_bytes and not overflow,
    }


def _page(arg: Path, name: str, tmp: Path, *, rerender: bool) -> Path:
    if arg.is_file():
        return arg
    if rerender:
        return (_rerender_assessment if name == "assess" else _rerender_explain)(arg, tmp)
    return arg / ("report.html" if name == "assess" else "explain.html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assess", type=Path, help="assessment folder or report.html")
    parser.add_argument("--explain", type=Path, help="explain folder or explain.html")
    parser.add_argument("--rerender", action="store_true", help="render folders' pages again")
    parser.add_argument("--out", type=Path, default=Path("bench/out/assess_screenshot"))
    parser.add_argument("--docs", type=Path, help="copy the PNGs here (docs/screenshots)")
    parser.add_argument("--max-height", type=int, default=4000, help="screenshot height cap")
    parser.add_argument("--max-bytes", type=int, default=500_000, help="PNG size cap")
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    version = subprocess.run(
        [browser, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    result: dict[str, Any] = {"chromium": version, "window_width": WIDTH, "pages": {}}
    with tempfile.TemporaryDirectory(prefix="biodl-shot-") as tmp_name:
        tmp = Path(tmp_name)
        pages = {
            "assess": (
                _page(args.assess, "assess", tmp, rerender=args.rerender)
                if args.assess is not None
                else _make_report(tmp)
            )
        }
        if args.explain is not None:
            pages["explain"] = _page(args.explain, "explain", tmp, rerender=args.rerender)
        for name, page in pages.items():
            png = args.out / f"{name}.png"
            result["pages"][name] = _shoot(
                browser, page, png, tmp, height=args.max_height, max_bytes=args.max_bytes
            )
            if args.docs is not None and png.is_file():
                args.docs.mkdir(parents=True, exist_ok=True)
                shutil.copy(png, args.docs / f"{name}.png")
    result["passed"] = all(p["passed"] for p in result["pages"].values())
    (args.out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
