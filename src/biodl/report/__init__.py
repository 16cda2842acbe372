"""Run reports: learning curves, ROC and precision-recall figures, confusion matrices,
the run's findings (:func:`run_flags`) and a self-contained HTML page.

Examples
--------
>>> import os, tempfile
>>> from biodl.metrics import binary_metrics
>>> out = tempfile.mkdtemp()
>>> y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
>>> images = plot_binary_curves({"test": y}, {"test": s}, out)
>>> page = write_run_report(
...     os.path.join(out, "report.html"),
...     title="demo",
...     summary={"model": "logistic"},
...     metrics={"test": binary_metrics(y, s, n_bootstrap=100)},
...     images={"ROC": images["roc"], "Precision-recall": images["pr"]},
... )
>>> page.name
'report.html'
"""

from __future__ import annotations

from biodl.report.assessment import write_assessment
from biodl.report.findings import Finding, run_flags
from biodl.report.html import CLASS_METRIC_LABELS, METRIC_LABELS, write_run_report
from biodl.report.plots import (
    plot_binary_curves,
    plot_confusion,
    plot_learning_curves,
    plot_pr,
    plot_roc,
)

__all__ = [
    "CLASS_METRIC_LABELS",
    "METRIC_LABELS",
    "Finding",
    "plot_binary_curves",
    "plot_confusion",
    "plot_learning_curves",
    "plot_pr",
    "plot_roc",
    "run_flags",
    "write_assessment",
    "write_run_report",
]
