"""A short, self-contained HTML report of one run.

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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from biodl.errors import InputError
from biodl.io.atomic import atomic_write_text
from biodl.metrics import format_metric

__all__ = ["CLASS_METRIC_LABELS", "METRIC_LABELS", "write_run_report"]

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
    "n": "Examples",
    "n_positive": "Positives",
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
main { max-width: 960px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.8rem 0 0.6rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.4rem 0; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #eee; text-align: left;
         vertical-align: top; }
th { background: #f6f6f6; }
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
figure { margin: 0; flex: 1 1 380px; max-width: 600px; }
figure img { width: 100%; height: auto; border: 1px solid #eee; }
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


def _figures(images: Mapping[str, str | os.PathLike[str]]) -> str:
    figures = [
        f'<figure><img src="{_data_uri(caption, image)}" alt="{_e(caption)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
        for caption, image in images.items()
    ]
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
        :func:`biodl.metrics.format_metric` (``—`` if missing). Per-class keys such as
        ``f1[EI]`` are labelled "F1 — EI"; entries whose value is a table rather than a
        number (``n_per_class``, ``confusion``) are left out.
    images
        ``{caption: image file}`` (PNG, JPEG, GIF, SVG or WebP), embedded as base64
        ``data:`` URIs.
    notes
        Free-text remarks shown as a list at the end.
    ci_level
        Confidence level of the intervals, for the table caption.

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
    if summary:
        sections.append(f"<section>\n<h2>Run</h2>\n{_summary_table(summary)}\n</section>")
    if metrics:
        table = _metrics_table(metrics, ci_level)
        sections.append(f"<section>\n<h2>Metrics</h2>\n{table}\n</section>")
    if images:
        sections.append(f"<section>\n<h2>Figures</h2>\n{_figures(images)}\n</section>")
    if notes:
        items = "\n".join(f"<li>{_e(note)}</li>" for note in notes)
        sections.append(f"<section>\n<h2>Notes</h2>\n<ul>\n{items}\n</ul>\n</section>")
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
