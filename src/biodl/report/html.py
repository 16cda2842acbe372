"""A short, self-contained HTML report of one run.

The page leads with the finding (the headline metric on test with its interval, then the
run's flags in colour, :mod:`biodl.report.findings`), then the figures (learning curves,
ROC/PR, confusion matrices), then a readable metrics table (meaning and scale per row),
per-class metrics as one class x metric table, the notes and the run's details; every
value with its interval is kept in a collapsed "Raw values" table. Wide tables scroll
inside their own box and images shrink to the page, so nothing overflows a 1280 px
window.

The page needs no network: the CSS is inline, images are embedded as base64 ``data:``
URIs and there is no JavaScript. Every piece of text is escaped with :func:`html.escape`.
The output depends only on the arguments (no time stamp), so equal runs give equal files.

Examples
--------
>>> import os, tempfile
>>> out = os.path.join(tempfile.mkdtemp(), "report.html")
>>> path = write_run_report(
...     out,
...     title="DeepBind on CTCF",
...     summary={"model": "deepbind", "seed": "0"},
...     metrics={"test": {"auroc": {"value": 0.95, "ci": [0.94, 0.96]}}},
...     images={},
... )
>>> "0.950 [0.940, 0.960]" in path.read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import base64
import html
import os
import re
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from biodl.errors import InputError
from biodl.io.atomic import atomic_write_text
from biodl.metrics import format_metric

__all__ = ["CLASS_METRIC_LABELS", "METRIC_LABELS", "METRIC_MEANINGS", "write_run_report"]

#: Row labels of the metrics table for the keys of :func:`biodl.metrics.binary_metrics`
#: and the scalar keys of :func:`biodl.metrics.multiclass_metrics`, in the order the rows
#: are shown (the per-class rows ``name[class]`` of :data:`CLASS_METRIC_LABELS` come just
#: before ``n``); other keys follow in order of appearance, as they are (the ``membrane_*``
#: keys of a DeepLoc membrane head with labels of their own).
METRIC_LABELS: Mapping[str, str] = {
    "auroc": "AUROC",
    "auprc": "AUPRC (average precision)",
    "accuracy": "Accuracy",
    "mcc": "MCC",
    "f1": "F1",
    "sensitivity": "Sensitivity (recall)",
    "specificity": "Specificity",
    "precision": "Precision (PPV)",
    "macro_f1": "Macro F1",
    "macro_auroc": "Macro AUROC (one-vs-rest)",
    "log_loss": "Log loss",
    "threshold": "Decision threshold",
    "n": "Examples",
    "n_positive": "Positives",
}

#: What each metric of the readable table means, with its scale.
METRIC_MEANINGS: Mapping[str, str] = {
    "auroc": "chance a positive scores above a negative; 0.5 chance, 1 perfect",
    "auprc": "precision averaged over recall; chance = share of positives, 1 perfect",
    "accuracy": "share of examples predicted right (0-1)",
    "mcc": "correlation of calls and truth; 0 chance, 1 perfect, fair under imbalance",
    "f1": "harmonic mean of precision and recall (0-1)",
    "sensitivity": "share of positives called positive (0-1)",
    "specificity": "share of negatives called negative (0-1)",
    "precision": "share of positive calls that are right (0-1)",
    "macro_f1": "F1 averaged over classes, each class counted once (0-1)",
    "macro_auroc": "one-vs-rest AUROC averaged over classes; 0.5 chance",
    "macro_auprc": "AUPRC averaged over outputs (0-1)",
    "micro_auprc": "AUPRC over all outputs pooled (0-1)",
    "log_loss": "mean -log probability of the true class, nats; lower is better",
    "mean_pearson": "Pearson r of predicted and true values, averaged over outputs (-1 to 1)",
    "mean_spearman": "Spearman rank correlation, averaged over outputs (-1 to 1)",
    "mean_r2": "share of variance explained, averaged over outputs (1 perfect)",
    "mean_rmse": "root mean squared error, averaged over outputs (in the outputs' units)",
    "mean_window_pearson": "Pearson r across the bins of each window, averaged over windows "
    "and tracks (-1 to 1)",
    "mean_log_pearson": "Pearson r of log(1 + value) over all bins, averaged over tracks",
    "mean_jsd": "Jensen-Shannon divergence of observed and predicted profiles per window "
    "(0 same shape, 1 disjoint)",
    "mean_count_pearson": "Pearson r of log(1 + total) per window, averaged over tracks",
    "threshold": "score at or above which an example is called positive",
    "n": "examples in the split (count)",
    "n_positive": "positive examples (count)",
}

#: Labels of the per-class keys ``name[class]`` of :func:`biodl.metrics.multiclass_metrics`;
#: the row of ``f1[EI]`` reads "F1 — EI".
CLASS_METRIC_LABELS: Mapping[str, str] = {
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "error": "Error %",
    "auroc": "AUROC (one-vs-rest)",
}

#: Keys of counts, shown after the other known metrics.
_COUNT_KEYS = ("n", "n_positive")

#: Row labels of keys shown, unlike those of :data:`METRIC_LABELS`, after the counts in
#: order of appearance: the membrane-bound/soluble metrics of a DeepLoc membrane head.
_TRAILING_LABELS: Mapping[str, str] = {
    "membrane_accuracy": "Membrane-bound/soluble accuracy",
    "membrane_mcc": "Membrane-bound/soluble MCC",
    "membrane_auroc": "Membrane-bound/soluble AUROC",
    "membrane_n": "Proteins with a membrane flag",
}

#: PNGs wider than this many pixels (learning curves, large confusion matrices) get a row
#: of their own instead of sharing it.
_WIDE_FIGURE = 700

_PER_CLASS_KEY = re.compile(r"(?P<metric>[A-Za-z_]\w*)\[(?P<cls>.+)\]", re.DOTALL)

_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}

BASE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #222; background: #fff; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 1.5rem; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 0.6rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.4rem 0; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #eee; text-align: left;
         vertical-align: top; }
th { background: #f6f6f6; }
img { max-width: 100%; height: auto; }
.scroll { overflow-x: auto; max-width: 100%; }
"""
"""Styles the run and explanation reports share."""

_CSS = (
    BASE_CSS
    + """
table.metrics td { font-family: ui-monospace, Menlo, Consolas, monospace;
                   text-align: right; white-space: nowrap; }
table.metrics td.name { font-family: inherit; text-align: left; }
caption { caption-side: bottom; font-size: 0.85rem; color: #666; padding-top: 0.3rem;
          text-align: left; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; flex: 1 1 380px; max-width: min(100%, 600px); }
figure.wide { flex-basis: 100%; }
figure img { width: 100%; max-width: 100%; height: auto; border: 1px solid #eee; }
.lead { font-size: 1.15rem; margin: 0.4rem 0 0.8rem; }
.lead strong { font-size: 1.3rem; }
ul.flags { list-style: none; padding: 0; margin: 0.4rem 0; }
.flag { padding: 0.45rem 0.7rem; margin: 0.3rem 0; border-left: 5px solid; border-radius: 3px; }
.flag-red { background: #fdecea; border-color: #c62828; }
.flag-amber { background: #fff6e0; border-color: #e0a000; }
.flag-green { background: #e9f6ec; border-color: #2e7d32; }
.flag .level { font-weight: 600; text-transform: uppercase; font-size: 0.8rem;
               margin-right: 0.4rem; }
table.readable td.meaning { color: #555; font-size: 0.9rem; }
table.readable td.value, table.per-class td { font-family: ui-monospace, Menlo, Consolas,
                   monospace; text-align: right; white-space: nowrap; }
table.per-class th[scope="row"], table.summary th, table.readable th[scope="row"] {
  overflow-wrap: normal; }
table.summary th { white-space: nowrap; }
details { margin: 0.8rem 0; }
summary { cursor: pointer; color: #333; }
figcaption { font-size: 0.9rem; color: #555; text-align: center; }
footer { margin-top: 2rem; font-size: 0.8rem; color: #888; }
""".strip()
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _data_uri(caption: str, image: str | os.PathLike[str]) -> str:
    path = Path(image)
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise InputError(
            f"image {caption!r} has an unsupported type; use one of {sorted(_MIME)}", path=path
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read image {caption!r}: {exc.strerror}", path=path) from exc
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _summary_table(summary: Mapping[str, str]) -> str:
    rows = "\n".join(
        f'<tr><th scope="row">{_e(key)}</th><td>{_e(value)}</td></tr>'
        for key, value in summary.items()
    )
    return f'<table class="summary">\n{rows}\n</table>'


def _per_class(name: str) -> tuple[str, str] | None:
    """``(metric, class)`` of a per-class key such as ``f1[EI]``, else None."""
    match = _PER_CLASS_KEY.fullmatch(name)
    if match is None or match["metric"] not in CLASS_METRIC_LABELS:
        return None
    return match["metric"], match["cls"]


def _metric_label(name: str) -> str:
    if name in METRIC_LABELS:
        return METRIC_LABELS[name]
    if name in _TRAILING_LABELS:
        return _TRAILING_LABELS[name]
    per_class = _per_class(name)
    if per_class is None:
        return name
    return f"{CLASS_METRIC_LABELS[per_class[0]]} — {per_class[1]}"


def _is_structured(entry: object) -> bool:
    """True for an entry whose value is a table, not one number (``n_per_class``, ``confusion``)."""
    if not isinstance(entry, Mapping):
        return False
    value = entry.get("value")
    return isinstance(value, (Mapping, list, tuple)) or getattr(value, "ndim", 0) > 0


def _metric_names(metrics: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    seen: dict[str, None] = {}
    for per_split in metrics.values():
        seen.update(dict.fromkeys(k for k, v in per_split.items() if not _is_structured(v)))
    known = [name for name in METRIC_LABELS if name in seen and name not in _COUNT_KEYS]
    unknown = [name for name in seen if name not in METRIC_LABELS]
    per_class = [name for name in unknown if _per_class(name) is not None]
    counts = [name for name in _COUNT_KEYS if name in seen]
    rest = [name for name in unknown if _per_class(name) is None]
    return known + per_class + counts + rest


def _metrics_table(metrics: Mapping[str, Mapping[str, Mapping[str, Any]]], ci_level: float) -> str:
    splits = list(metrics)
    head = "".join(f'<th scope="col">{_e(split)}</th>' for split in splits)
    rows = []
    for name in _metric_names(metrics):
        cells = []
        for split in splits:
            entry = metrics[split].get(name)
            text = "—" if entry is None or _is_structured(entry) else format_metric(entry)
            cells.append(f"<td>{_e(text)}</td>")
        label = _metric_label(name)
        rows.append(f'<tr><td class="name">{_e(label)}</td>{"".join(cells)}</tr>')
    caption = (
        f"Point estimate [{ci_level * 100:g} % confidence interval, percentile bootstrap "
        "over examples]; n/a: undefined (e.g. a single class)."
    )
    body = "\n".join(rows)
    return (
        f'<table class="metrics">\n<caption>{_e(caption)}</caption>\n'
        f'<thead><tr><th scope="col">Metric</th>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table>"
    )


def _scroll(table: str) -> str:
    """A table in its own horizontally scrolling box (the page never gets wider)."""
    return f'<div class="scroll">\n{table}\n</div>'


def _ci_text(entry: Mapping[str, Any]) -> str:
    ci = entry.get("ci")
    if not ci or len(ci) != 2 or ci[0] is None:
        return ""
    return f" [{float(ci[0]):.3f}, {float(ci[1]):.3f}]"


def _lead(
    metrics: Mapping[str, Mapping[str, Mapping[str, Any]]], headline: str | None, ci_level: float
) -> str:
    """The first line of the page: the headline metric on test (or the last split)."""
    if not metrics:
        return ""
    names = [headline] if headline else []
    names += [n for n in ("auroc", "accuracy", "macro_auroc", "mean_pearson") if n not in names]
    split = "test" if "test" in metrics else list(metrics)[-1]
    name = next((n for n in names if n in metrics[split]), None)
    if name is None or _is_structured(metrics[split][name]):
        return ""
    entry = metrics[split][name]
    label = _metric_label(name)
    point = format_metric({"value": entry.get("value")})
    text = f"{split.capitalize()} {label}: <strong>{_e(point)}</strong>"
    if _ci_text(entry):
        text += f"{_e(_ci_text(entry))} ({ci_level * 100:g} % CI)"
    n = metrics[split].get("n")
    if isinstance(n, Mapping) and isinstance(n.get("value"), int):
        text += f" on {n['value']} examples"
    others = [
        f"{_e(other)} {_e(format_metric({'value': metrics[other][name].get('value')}))}"
        for other in metrics
        if other != split and name in metrics[other] and not _is_structured(metrics[other][name])
    ]
    if others:
        text += "; " + ", ".join(others)
    return f'<p class="lead">{text}.</p>'


def _flags(findings: Sequence[tuple[str, str]]) -> str:
    if not findings:
        return (
            '<p class="flag flag-green"><span class="level">ok</span>No warnings: no '
            "validation/test gap, no single-class predictions, no last-epoch or first-epoch "
            "best, better than chance.</p>"
        )
    items = "\n".join(
        f'<li class="flag flag-{_e(level)}"><span class="level">{_e(level)}</span>'
        f"{_e(message)}</li>"
        for level, message in findings
    )
    return f'<ul class="flags">\n{items}\n</ul>'


def _readable_table(metrics: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """Scalar metrics (no per-class keys), one row each with its meaning and scale."""
    splits = list(metrics)
    names = [n for n in _metric_names(metrics) if _per_class(n) is None]
    if not names:
        return ""
    head = "".join(f'<th scope="col">{_e(split)}</th>' for split in splits)
    rows = []
    for name in names:
        cells = []
        for split in splits:
            entry = metrics[split].get(name)
            text = "—" if entry is None or _is_structured(entry) else format_metric(entry)
            cells.append(f'<td class="value">{_e(text)}</td>')
        meaning = METRIC_MEANINGS.get(name, "")
        rows.append(
            f'<tr><th scope="row">{_e(_metric_label(name))}</th>'
            f'<td class="meaning">{_e(meaning)}</td>{"".join(cells)}</tr>'
        )
    body = "\n".join(rows)
    return (
        '<table class="readable">\n'
        f'<thead><tr><th scope="col">Metric</th><th scope="col">Meaning (scale)</th>{head}'
        f"</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
    )


def _per_class_tables(metrics: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    """One class x metric table per split (``f1[EI]`` -> row EI, column F1), point values
    with the interval in the cell's tooltip; the last split (test) first."""
    tables = []
    for split in reversed(list(metrics)):
        grid: dict[str, dict[str, Mapping[str, Any]]] = {}
        for key, entry in metrics[split].items():
            parsed = _per_class(key)
            if parsed is not None and not _is_structured(entry):
                grid.setdefault(parsed[1], {})[parsed[0]] = entry
        if not grid:
            continue
        columns = [m for m in CLASS_METRIC_LABELS if any(m in row for row in grid.values())]
        counts = metrics[split].get("n_per_class", {})
        per_class = counts.get("value") if isinstance(counts, Mapping) else None
        per_class = per_class if isinstance(per_class, Mapping) else {}
        head = "".join(f'<th scope="col">{_e(CLASS_METRIC_LABELS[m])}</th>' for m in columns)
        head += '<th scope="col">Examples</th>' if per_class else ""
        rows = []
        for cls, row in grid.items():
            cells = []
            for m in columns:
                cell = row.get(m)
                if cell is None:
                    cells.append("<td>—</td>")
                    continue
                digits = 1 if m == "error" else 3  # a percentage
                point = format_metric({"value": cell.get("value")}, digits=digits)
                tip = _ci_text(cell).strip()
                title = f' title="{_e(tip)}"' if tip else ""
                cells.append(f"<td{title}>{_e(point)}</td>")
            if per_class:
                cells.append(f"<td>{_e(per_class.get(cls, '—'))}</td>")
            rows.append(f'<tr><th scope="row">{_e(cls)}</th>{"".join(cells)}</tr>')
        body = "\n".join(rows)
        table = (
            f'<table class="per-class">\n<caption>{_e(split)}: per class, point values '
            "(intervals in Raw values).</caption>\n"
            f'<thead><tr><th scope="col">Class</th>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table>"
        )
        tables.append((split, _scroll(table)))
    if not tables:
        return []
    out = [f"<h3>Per class ({_e(tables[0][0])})</h3>\n{tables[0][1]}"]
    out += [
        f"<details>\n<summary>Per class ({_e(split)})</summary>\n{table}\n</details>"
        for split, table in tables[1:]
    ]
    return out


def _png_width(data: bytes) -> int | None:
    """Pixel width of a PNG (from its IHDR chunk), else None."""
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int(struct.unpack(">I", data[16:20])[0])
    return None


def _figures(images: Mapping[str, str | os.PathLike[str]]) -> str:
    """Figures side by side where they fit; a PNG is never shown wider than its pixels
    (a 12-class confusion matrix gets the page's width, a ROC curve half of it)."""
    figures = []
    for caption, image in images.items():
        uri = _data_uri(caption, image)
        width = _png_width(Path(image).read_bytes()) if uri.startswith("data:image/png") else None
        wide = width is not None and width > _WIDE_FIGURE
        style = f' class="wide" style="max-width: min(100%, {width}px)"' if wide else ""
        figures.append(
            f'<figure{style}><img src="{uri}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    return '<div class="figures">\n' + "\n".join(figures) + "\n</div>"


def write_run_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    summary: Mapping[str, str],
    metrics: Mapping[str, Mapping[str, Mapping[str, Any]]],
    images: Mapping[str, str | os.PathLike[str]],
    notes: Sequence[str] = (),
    ci_level: float = 0.95,
    findings: Sequence[tuple[str, str]] | None = None,
    headline: str | None = None,
) -> Path:
    """Write a self-contained HTML page summarising a run.

    Parameters
    ----------
    path
        Output ``.html`` file, written atomically; its folder is created if missing.
    title
        Page title and heading.
    summary
        ``{field: text}`` shown as a two-column table (model, data, seed, parameters,
        versions, ...); values are converted with ``str``.
    metrics
        ``{split: {metric: entry}}`` with entries as returned by
        :func:`biodl.metrics.binary_metrics` or :func:`biodl.metrics.multiclass_metrics`;
        one column per split, one row per metric, cells formatted with
        :func:`biodl.metrics.format_metric` (``—`` if missing). The readable table shows
        the scalar metrics with their meaning; per-class keys such as ``f1[EI]`` form a
        class x metric table per split (examples per class from ``n_per_class``); the
        collapsed raw table lists every entry, ``f1[EI]`` labelled "F1 — EI". Entries
        whose value is a table rather than a number (``confusion``) are left out.
    images
        ``{caption: image file}`` (PNG, JPEG, GIF, SVG or WebP), embedded as base64
        ``data:`` URIs.
    notes
        Free-text remarks shown as a list at the end.
    ci_level
        Confidence level of the intervals, for the table caption.
    findings
        ``(level, message)`` pairs (``red``, ``amber``; :func:`biodl.report.findings.run_flags`)
        shown in colour under the headline; ``[]`` shows a green "no warnings" line,
        None (the default) neither.
    headline
        The metric of the page's first line (test value and interval, the other splits'
        values); None: the first of AUROC, accuracy, macro AUROC, mean Pearson r present.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        An image is missing, unreadable or of an unsupported type.
    ValueError
        A metric entry is malformed.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "report.html")
    >>> text = write_run_report(
    ...     out, title="a <b>", summary={}, metrics={}, images={}, notes=["ok"]
    ... ).read_text(encoding="utf-8")
    >>> "<title>a &lt;b&gt;</title>" in text
    True
    """
    sections = [f"<h1>{_e(title)}</h1>"]
    lead = _lead(metrics, headline, ci_level)
    if lead or findings is not None:
        flags = "" if findings is None else _flags(findings)
        sections.append(f'<section class="finding">\n{lead}\n{flags}\n</section>')
    if images:
        sections.append(f"<section>\n<h2>Figures</h2>\n{_figures(images)}\n</section>")
    if metrics:
        parts = [_scroll(_readable_table(metrics)), *_per_class_tables(metrics)]
        parts = [p for p in parts if p and p != _scroll("")]
        sections.append("<section>\n<h2>Metrics</h2>\n" + "\n".join(parts) + "\n</section>")
    if notes:
        items = "\n".join(f"<li>{_e(note)}</li>" for note in notes)
        sections.append(f"<section>\n<h2>Notes</h2>\n<ul>\n{items}\n</ul>\n</section>")
    if summary:
        sections.append(f"<section>\n<h2>Run</h2>\n{_scroll(_summary_table(summary))}\n</section>")
    if metrics:
        table = _scroll(_metrics_table(metrics, ci_level))
        sections.append(
            "<section>\n<details>\n<summary>Raw values: every metric with its interval"
            f"</summary>\n{table}\n</details>\n</section>"
        )
    body = "\n".join(sections)
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n<footer>Written by biodl.</footer>\n</main>\n"
        "</body>\n</html>\n"
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, page)
    return target
