"""The self-contained HTML page of ``biodl explain``, and attribution logos.

The page leads with the result: the motifs found (TF-MoDISco patterns, or seqlets), each
with its logo beside the logo of its best JASPAR match and the match statistics (a
pattern with no significant match says so); then the attribution logos of the top
sequences; then the checks as one verdict line each, their details and ``checks.json``
collapsed. It needs no network: inline CSS, images embedded as base64 ``data:`` URIs, no
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
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from biodl.io.atomic import atomic_open, atomic_write_text
from biodl.report.html import BASE_CSS

if TYPE_CHECKING:
    from biodl.interpret.motifs import Motif

__all__ = [
    "attribution_window",
    "plot_attribution_logo",
    "plot_gene_bars",
    "write_explain_report",
    "write_stability_report",
]

_CSS = (
    BASE_CSS
    + """
main { max-width: 1100px; }
.scroll { overflow-x: auto; max-width: 100%; }
td { overflow-wrap: anywhere; }
thead th { white-space: nowrap; }
td.num { font-family: ui-monospace, Menlo, Consolas, monospace; text-align: right;
         white-space: nowrap; }
img { max-width: 100%; height: auto; }
.meta { color: #555; font-size: 0.9rem; margin: 0 0 0.8rem; overflow-wrap: anywhere; }
.lead { font-size: 1.05rem; margin: 0.6rem 0; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #b42318; font-weight: 600; }
.motif { border: 1px solid #e4e4e4; border-radius: 6px; padding: 0.6rem 0.9rem;
         margin: 0.8rem 0; }
.motif h3 { margin: 0.2rem 0 0.5rem; font-size: 1.05rem; }
.logos { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; }
.logos figure { flex: 0 1 auto; margin: 0; min-width: 0; }
.nomatch { color: #8a5a00; font-weight: 600; }
figure { margin: 0.8rem 0; }
figure img { border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #555; }
details { margin: 0.5rem 0; }
details > summary { cursor: pointer; color: #444; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8rem; }
footer { margin-top: 2rem; font-size: 0.8rem; color: #888; }
""".strip()
)

#: A JASPAR match counts when its TOMTOM q-value is at most this.
MATCH_Q = 0.05


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


def plot_gene_bars(
    rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], *, title: str
) -> Path:
    """Save a horizontal bar plot of the genes of ``rows`` (``gene``, ``mean_abs``,
    ``signed_mean``; best first, drawn at the top) as PNG: bar length the mean absolute
    attribution, coloured by the sign of the mean attribution."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    genes = [str(r["gene"]) for r in rows][::-1]
    values = [float(r["mean_abs"]) for r in rows][::-1]
    colours = ["#b42318" if float(r["signed_mean"]) > 0 else "#1f5fa8" for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(6.0, 0.28 * max(len(genes), 1) + 1.2))
    ax.barh(range(len(genes)), values, color=colours)
    ax.set_yticks(range(len(genes)))
    ax.set_yticklabels(genes, fontsize=8)
    ax.set_xlabel("mean |attribution| (red: raises the output on average, blue: lowers it)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    out = Path(path)
    try:
        with atomic_open(out, "wb") as fh:
            fig.savefig(fh, format="png", dpi=90)
    finally:
        plt.close(fig)
    return out


def _genes_section(
    rows: Sequence[Mapping[str, Any]], plot: str | os.PathLike[str] | None, top: int
) -> str:
    """The ranked-gene table (the first ``max(top, 50)`` genes) and the bar plot."""
    shown = list(rows[: max(top, 50)])
    extra = [
        k
        for k in (shown[0] if shown else {})
        if k not in ("rank", "gene", "mean_abs", "signed_mean")
    ]
    header = ["rank", "gene", "mean |attr|", "signed mean", *extra]
    table = _table(
        [
            [r["rank"], r["gene"], r["mean_abs"], r["signed_mean"], *(r.get(k) for k in extra)]
            for r in shown
        ],
        header,
    )
    figure = (
        f'<figure><img alt="top genes" src="{_image(plot)}"><figcaption>The top '
        f"{min(top, len(rows))} genes by mean absolute attribution.</figcaption></figure>"
        if plot is not None and Path(plot).is_file()
        else ""
    )
    more = (
        f"<p>{len(rows) - len(shown)} more genes in genes.tsv.</p>"
        if len(rows) > len(shown)
        else ""
    )
    return f"""<section id="genes"><h2>Genes ranked by attribution</h2>
<p>Mean absolute attribution over the samples (per-class columns: over the samples
predicted as that class); the reference is the training mean of every gene, so each
value says how much the gene moves the output away from that of an average training
sample.</p>
{figure}
{table}{more}
</section>"""


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
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


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


def _checks_verdicts(checks: Mapping[str, Any]) -> str:
    """One row per check: its result and what it means."""
    rows = []
    completeness = checks.get("completeness")
    if completeness:
        rows.append(
            [
                "completeness",
                completeness.get("passed"),
                (
                    "attributions sum to the output minus the reference output "
                    f"(largest gap {_e(_fmt_plain(completeness.get('max_abs_delta')))})"
                ),
            ]
        )
    randomisation = checks.get("randomisation")
    if randomisation:
        rows.append(
            [
                "model randomisation",
                randomisation.get("passed"),
                (
                    "maps of a re-initialised model differ from the trained model's (mean "
                    f"Spearman {_e(_fmt_plain(randomisation.get('mean_spearman')))}, must stay "
                    f"below {_e(_fmt_plain(randomisation.get('threshold')))})"
                ),
            ]
        )
    pairs = (checks.get("agreement") or {}).get("pairs") or []
    if pairs:
        text = "; ".join(
            f"{p['a']} vs {p['b']} {_fmt_plain(p.get('mean_spearman'))}" for p in pairs[:4]
        )
        rows.append(["agreement between methods", None, f"mean Spearman of |attribution|: {text}"])
    if not rows:
        return "<p>No checks were run.</p>"
    body = "\n".join(
        f'<tr><th scope="row">{_e(name)}</th>'
        f"<td>{'—' if passed is None else _fmt(bool(passed))}</td><td>{_e(text)}</td></tr>"
        for name, passed, text in rows
    )
    return (
        '<div class="scroll"><table><thead><tr><th>check</th><th>result</th>'
        f"<th>what it means</th></tr></thead><tbody>{body}</tbody></table></div>"
    )


def _fmt_plain(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "n/a" if value is None else str(value)


def _logo_uri(motif: Motif, *, title: str) -> str:
    """A logo of ``motif`` (bits) as a PNG ``data:`` URI."""
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    from biodl.interpret.logos import plot_logo

    with warnings.catch_warnings():  # logomaker on an all-zero logo: singular ylim
        warnings.simplefilter("ignore", UserWarning)
        fig = plot_logo(motif, title=title, width_per_position=0.26)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _found_motifs(path: Path) -> list[Motif]:
    """The motifs written beside the page (``motifs.meme``), or none."""
    meme = path.parent / "motifs.meme"
    if not meme.is_file():
        return []
    try:
        from biodl.interpret.motifs import read_meme

        return read_meme(meme)
    except (ValueError, OSError):  # InputError is a ValueError
        return []


def _with_alignment(path: Path, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """``rows`` with ``strand`` and ``offset`` from ``motifs.tsv`` beside the page, where
    they lack them (the strand orients the JASPAR logo as TOMTOM aligned it)."""
    table = path.parent / "motifs.tsv"
    if not rows or all("strand" in r for r in rows) or not table.is_file():
        return list(rows)
    import csv

    aligned: dict[tuple[str, str], dict[str, str]] = {}
    try:
        with table.open(newline="", encoding="utf-8") as fh:
            for entry in csv.DictReader(fh, delimiter="\t"):
                key = (entry.get("motif", ""), entry.get("jaspar_id", ""))
                aligned.setdefault(key, entry)
    except (OSError, csv.Error, UnicodeDecodeError):
        return list(rows)
    out: list[Mapping[str, Any]] = []
    for row in rows:
        entry = aligned.get((str(row.get("motif")), str(row.get("jaspar_id"))), {})
        extra: dict[str, Any] = {
            k: entry[k] for k in ("strand", "offset") if k in entry and k not in row
        }
        out.append({**row, **extra})
    return out


def _jaspar_by_id(ids: Sequence[str]) -> dict[str, Motif]:
    """JASPAR matrices by id from pyjaspar's offline databases; none without pyjaspar."""
    if not ids:
        return {}
    try:
        from pyjaspar import jaspardb

        from biodl.interpret.jaspar import DEFAULT_RELEASE
        from biodl.interpret.motifs import Motif
    except ImportError:
        return {}
    db = jaspardb(release=DEFAULT_RELEASE)
    out: dict[str, Motif] = {}
    for matrix_id in dict.fromkeys(ids):
        try:
            m = db.fetch_motif_by_id(matrix_id)
        except Exception:
            continue
        if m is None:
            continue
        counts = np.array([m.counts[letter] for letter in "ACGT"], dtype=np.float64)
        n_sites = round(float(counts[:, 0].sum()))
        out[matrix_id] = Motif(matrix_id, counts, "ACGT", n_sites, DEFAULT_RELEASE, str(m.name))
    return out


def _motif_card(
    name: str,
    motif: Motif | None,
    match: Mapping[str, Any] | None,
    target: Motif | None,
) -> str:
    """One found motif: its logo, its best JASPAR match's logo and the statistics."""
    q = match.get("q_value") if match else None
    significant = isinstance(q, int | float) and float(q) <= MATCH_Q
    if match and significant:
        heading = f"{name}: {match.get('tf_name')} ({match.get('jaspar_id')})"
    else:
        heading = f"{name}: no JASPAR match"
    figures = []
    if motif is not None:
        sites = f", {motif.n_sites} seqlets" if motif.n_sites else ""
        caption = f"Found: {name} ({motif.width} positions{sites}), bits"
        uri = _logo_uri(motif, title=name)
        figures.append(
            f'<figure class="found"><img alt="logo of {_e(name)}" src="{uri}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    if match and target is not None:
        shown = target
        orientation = ""
        if match.get("strand") == "-":
            shown = target.reverse_complement()
            orientation = ", reverse complement (as aligned)"
        label = "JASPAR" if significant else "Closest JASPAR motif (not significant)"
        caption = f"{label} {match.get('jaspar_id')} {match.get('tf_name')}{orientation}, bits"
        uri = _logo_uri(shown, title=f"{match.get('jaspar_id')} {match.get('tf_name')}")
        figures.append(
            f'<figure class="jaspar"><img alt="JASPAR logo of {_e(match.get("jaspar_id"))}" '
            f'src="{uri}"><figcaption>{_e(caption)}</figcaption></figure>'
        )
    parts = [f'<div class="motif" id="motif-{_e(name)}">', f"<h3>{_e(heading)}</h3>"]
    if figures:
        parts.append('<div class="logos">' + "".join(figures) + "</div>")
    if match is None:
        parts.append(
            '<p class="nomatch">No JASPAR match: TOMTOM returned no target for this pattern.</p>'
        )
    else:
        if not significant:
            parts.append(
                f'<p class="nomatch">No significant JASPAR match (q &gt; {MATCH_Q}); '
                "the closest target is shown.</p>"
            )
        keys = [
            ("jaspar_id", "JASPAR ID"),
            ("tf_name", "factor"),
            ("p_value", "TOMTOM p-value"),
            ("q_value", "q-value (Benjamini-Hochberg)"),
            ("strand", "strand"),
            ("offset", "offset"),
        ]
        shown_keys = [(k, label) for k, label in keys if k in match]
        parts.append(_table([[match.get(k) for k, _ in shown_keys]], [h for _, h in shown_keys]))
    parts.append("</div>")
    return "\n".join(parts)


def _motifs_section(
    found: Sequence[Motif],
    rows: Sequence[Mapping[str, Any]],
    jaspar: Mapping[str, Motif],
    status: Mapping[str, Any] | None,
) -> tuple[str, str]:
    """The motif section and the lead sentence about it."""
    by_name: dict[str, Motif | None] = {m.name: m for m in found}
    matches: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        name = str(row.get("motif"))
        by_name.setdefault(name, None)
        matches.setdefault(name, row)  # the best (first) target of each motif
    if not by_name:
        why = ""
        if status and status.get("status") == "failed":
            why = f" (TF-MoDISco failed: {status.get('error')})"
        text = f"No motifs were found in the attributions{why}."
        return f'<section id="motifs"><h2>Motifs found</h2><p>{_e(text)}</p></section>', text
    cards = [
        _motif_card(
            name,
            motif,
            matches.get(name),
            jaspar.get(str(matches[name].get("jaspar_id"))) if name in matches else None,
        )
        for name, motif in by_name.items()
    ]
    hits = [
        f"{m.get('tf_name')} ({m.get('jaspar_id')}, q = {_fmt_plain(m.get('q_value'))})"
        for m in matches.values()
        if isinstance(m.get("q_value"), int | float) and float(m["q_value"]) <= MATCH_Q
    ]
    method = "seqlets" if status and status.get("fallback") == "seqlets" else "TF-MoDISco"
    lead = f"{len(by_name)} motif{'s' if len(by_name) != 1 else ''} found ({method}); "
    if hits:
        lead += f"{len(hits)} match{'es' if len(hits) != 1 else ''} JASPAR: " + ", ".join(hits)
    else:
        lead += "none matches a JASPAR motif (q ≤ 0.05)"
    section = (
        '<section id="motifs"><h2>Motifs found</h2>'
        "<p>Each pattern's logo beside its best JASPAR match (TOMTOM), letters in bits.</p>"
        + "\n".join(cards)
        + "</section>"
    )
    return section, lead + "."


def write_explain_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    summary: Mapping[str, str],
    checks: Mapping[str, Any],
    logos: Sequence[tuple[str, str | os.PathLike[str]]],
    motifs: Sequence[Mapping[str, Any]] = (),
    found_motifs: Sequence[Motif] | None = None,
    jaspar: Mapping[str, Motif] | None = None,
    genes: Sequence[Mapping[str, Any]] | None = None,
    genes_plot: str | os.PathLike[str] | None = None,
    top_genes: int = 20,
) -> Path:
    """Write the explain page: the motifs found, the logos of the top sequences, checks.

    Parameters
    ----------
    path
        HTML file to write (atomically).
    title
        Page title.
    summary
        Label to value, shown on one line under the title.
    checks
        As written to ``checks.json`` (``completeness``, ``randomisation``,
        ``agreement``, ``warnings``, ``motifs``).
    logos
        ``(caption, png path)`` pairs, embedded in order.
    motifs
        Rows of the JASPAR matches (``motif``, ``jaspar_id``, ``tf_name``, ``p_value``,
        ``q_value``; best target first).
    found_motifs
        The motifs found; default those of ``motifs.meme`` beside ``path`` (where
        ``biodl explain`` writes them).
    jaspar
        JASPAR matrices by id for the match logos; default read from pyjaspar's
        offline databases (no logo without pyjaspar).
    genes, genes_plot, top_genes
        An expression-matrix model: the ranked gene rows
        (:func:`biodl.interpret.genes.gene_table`) and their bar plot, shown first in
        place of motifs and logos (which do not apply to matrices).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    out = Path(path)
    meta = " · ".join(f"{k}: {v}" for k, v in summary.items())
    figures = "\n".join(
        f'<figure><img alt="{_e(caption)}" src="{_image(png)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
        for caption, png in logos
    )
    status = checks.get("motifs")
    found = (
        list(found_motifs)
        if found_motifs is not None
        else []
        if genes is not None
        else _found_motifs(out)
    )
    motif_html, lead = "", ""
    if genes is not None:
        motif_html = _genes_section(genes, genes_plot, top_genes)
        best = ", ".join(str(r["gene"]) for r in genes[:5])
        lead = f"Most influential genes: {best}." if best else "No genes."
    elif motifs or found or status:
        motifs = _with_alignment(out, motifs)
        if jaspar is None:
            jaspar = _jaspar_by_id([str(r.get("jaspar_id")) for r in motifs])
        motif_html, lead = _motifs_section(found, motifs, jaspar, status)
    verdicts = [
        f"{name} {'passed' if entry.get('passed') else 'FAILED'}"
        for name, entry in (
            ("completeness", checks.get("completeness")),
            ("model randomisation", checks.get("randomisation")),
        )
        if isinstance(entry, Mapping) and "passed" in entry
    ]
    checks_line = f"Checks: {', '.join(verdicts)}." if verdicts else ""
    warnings = checks.get("warnings") or []
    warning_html = ""
    if warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        warning_html = f'<p class="fail">Warnings</p><ul>{items}</ul>'
    raw = _e(json.dumps(checks, indent=1, default=str)[:20000])
    logo_html = (
        ""
        if genes is not None
        else f"""<section id="attributions"><h2>Attributions of the top sequences</h2>
<p>Letters scaled by their attribution to the output (negative below the axis), over the
60 positions of largest total attribution.</p>
{figures or "<p>No logos.</p>"}
</section>"""
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
<p class="meta">{_e(meta)}</p>
<section id="finding"><p class="lead">{_e(lead)} {_e(checks_line)}</p>{warning_html}</section>
{motif_html}
{logo_html}
<section id="checks"><h2>Checks</h2>
{_checks_verdicts(checks)}
<details><summary>Check details</summary>
{_checks_html(checks)}
</details>
<details><summary>checks.json</summary><pre>{raw}</pre></details>
</section>
<footer>Written by biodl explain.</footer>
</main></body></html>
"""
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(out, page)


def write_stability_report(
    path: str | os.PathLike[str],
    *,
    rows: Sequence[Mapping[str, Any]],
    summary: Mapping[str, str],
    show: int = 50,
) -> Path:
    """Write the page of ``biodl explain --cv``: how many folds have each gene among
    their top k (:func:`biodl.interpret.genes.gene_stability` rows, most stable first)."""
    out = Path(path)
    meta = " · ".join(f"{k}: {v}" for k, v in summary.items())
    k = summary.get("k", "k")
    table = _table(
        [
            [
                r["gene"],
                r["n_top"],
                r["fraction"],
                r["n_folds_selected"],
                r["mean_rank"],
                r["folds"],
            ]
            for r in rows[:show]
        ],
        ["gene", f"folds in top {k}", "fraction", "folds selecting it", "mean rank", "folds"],
    )
    stable = [str(r["gene"]) for r in rows if r["fraction"] == 1.0]
    lead = (
        f"{len(stable)} genes are in the top {k} of every fold: {', '.join(stable[:10])}"
        + (" ..." if len(stable) > 10 else ".")
        if stable
        else f"No gene is in the top {k} of every fold."
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gene stability across folds</title><style>{_CSS}</style></head>
<body><main>
<h1>Gene stability across folds</h1>
<p class="meta">{_e(meta)}</p>
<section id="finding"><p class="lead">{_e(lead)}</p></section>
<section id="stability"><h2>Folds with the gene in their top {_e(k)}</h2>
<p>Each fold model explains the same samples with its own preprocessing (a gene its
training part did not select has no attribution in that fold).</p>
{table}
</section>
<footer>Written by biodl explain --cv.</footer>
</main></body></html>
"""
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(out, page)
