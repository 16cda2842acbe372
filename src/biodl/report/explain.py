"""The self-contained HTML page of ``biodl explain``, and attribution logos.

The page needs no network: inline CSS, images embedded as base64 ``data:`` URIs, no
JavaScript; every piece of text is escaped.

Examples
--------
>>> import os, tempfile
>>> out = os.path.join(tempfile.mkdtemp(), "explain.html")
>>> page = write_explain_report(
...     out,
...     title="deepshap on CTCF",
...     summary={"method": "deepshap", "sequences": "3"},
...     checks={"completeness": {"passed": True, "max_abs_delta": 1e-7}},
...     logos=[],
... )
>>> "deepshap on CTCF" in page.read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from biodl.io.atomic import atomic_open, atomic_write_text
from biodl.report.html import BASE_CSS

__all__ = ["attribution_window", "plot_attribution_logo", "write_explain_report"]

_CSS = (
    BASE_CSS
    + """
main { max-width: 1100px; }
td.num { font-family: ui-monospace, Menlo, Consolas, monospace; text-align: right; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #b42318; font-weight: 600; }
figure { margin: 0.8rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #555; }
footer { margin-top: 2rem; font-size: 0.8rem; color: #888; }
""".strip()
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return '<span class="pass">pass</span>' if value else '<span class="fail">FAIL</span>'
    if isinstance(value, float):
        return _e(f"{value:.4g}")
    return _e(value)


def attribution_window(importance: npt.ArrayLike, width: int) -> tuple[int, int]:
    """The ``width`` consecutive positions with the largest summed importance.

    Examples
    --------
    >>> attribution_window([0, 0, 5, 6, 0, 1], 2)
    (2, 4)
    """
    values = np.asarray(importance, dtype=np.float64)
    if values.size <= width:
        return 0, int(values.size)
    sums = np.convolve(values, np.ones(width), mode="valid")
    start = int(np.argmax(sums))
    return start, start + width


def plot_attribution_logo(
    values: npt.ArrayLike,
    path: str | os.PathLike[str],
    *,
    title: str,
    start: int = 0,
    alphabet: str | None = None,
) -> Path:
    """Save a logo of an attribution map ``(C, W)`` (letters scaled by their value) as PNG.

    Uses :func:`biodl.interpret.logos.plot_logo` (logomaker), negative values below the
    axis. ``start`` is the position of the first column in the sequence (for the axis).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from biodl.interpret.logos import plot_logo

    matrix = np.asarray(values, dtype=np.float64)
    fig = plot_logo(matrix, kind="raw", title=title, alphabet=alphabet)
    ax = fig.axes[0]
    width = matrix.shape[1]
    step = 10 if width > 20 else 1
    ticks = [j for j in range(width) if (start + j) % step == 0]
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(start + j) for j in ticks])
    out = Path(path)
    with atomic_open(out, "wb") as fh:
        fig.savefig(fh, format="png", dpi=90, bbox_inches="tight")
    return out


def _image(path: str | os.PathLike[str]) -> str:
    data = Path(path).read_bytes()
    return f"data:image/png;base64,{base64.b64encode(data).decode('ascii')}"


def _table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "\n".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_fmt(v)}</td>' if isinstance(v, float) else f"<td>{_fmt(v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _checks_html(checks: Mapping[str, Any]) -> str:
    parts = []
    completeness = checks.get("completeness")
    if completeness:
        rows = [
            [key, completeness.get(key)]
            for key in ("passed", "max_abs_delta", "mean_abs_delta", "n_failed", "atol", "rtol")
            if key in completeness
        ]
        parts.append("<h3>Completeness (convergence delta)</h3>" + _table(rows, ["", ""]))
    randomisation = checks.get("randomisation")
    if randomisation:
        rows = [
            [key, randomisation.get(key)]
            for key in ("passed", "mean_spearman", "threshold", "n_sequences")
            if key in randomisation
        ]
        parts.append(
            "<h3>Model randomisation (Adebayo et al. 2018)</h3>"
            "<p>Spearman correlation of per-position importance between the trained model "
            "and a re-initialised copy; it must be low.</p>" + _table(rows, ["", ""])
        )
    pairs = (checks.get("agreement") or {}).get("pairs") or []
    if pairs:
        rows = [[p["a"], p["b"], p.get("mean_spearman")] for p in pairs]
        parts.append(
            "<h3>Agreement between methods</h3>"
            + _table(rows, ["method", "method", "mean Spearman of |attribution|"])
        )
    warnings = checks.get("warnings") or []
    if warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        parts.append(f'<h3 class="fail">Warnings</h3><ul>{items}</ul>')
    return "\n".join(parts)


def write_explain_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    summary: Mapping[str, str],
    checks: Mapping[str, Any],
    logos: Sequence[tuple[str, str | os.PathLike[str]]],
    motifs: Sequence[Mapping[str, Any]] = (),
) -> Path:
    """Write the explain page: summary, checks, logos of the top sequences, motifs.

    Parameters
    ----------
    path
        HTML file to write (atomically).
    title
        Page title.
    summary
        Label to value, shown as a table.
    checks
        As written to ``checks.json`` (``completeness``, ``randomisation``,
        ``agreement``, ``warnings``).
    logos
        ``(caption, png path)`` pairs, embedded in order.
    motifs
        Rows of ``motifs.tsv`` (dicts), shown as a table.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    summary_rows = "".join(
        f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in summary.items()
    )
    figures = "\n".join(
        f'<figure><img alt="{_e(caption)}" src="{_image(png)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
        for caption, png in logos
    )
    motif_html = ""
    if motifs:
        header = list(motifs[0].keys())
        motif_html = "<h2>Motifs</h2>" + _table(
            [[row.get(h) for h in header] for row in motifs], header
        )
    raw = _e(json.dumps(checks, indent=1, default=str)[:20000])
    page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{_e(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
<table>{summary_rows}</table>
<h2>Checks</h2>
{_checks_html(checks)}
<h2>Top sequences</h2>
{figures or "<p>No logos.</p>"}
{motif_html}
<details><summary>checks.json</summary><pre>{raw}</pre></details>
<footer>Written by biodl explain.</footer>
</main></body></html>
"""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(out, page)
