"""ROC and precision-recall figures (one line per data split), confusion matrices and
observed vs predicted signal tracks, as PNG.

The figures are drawn on a :class:`matplotlib.figure.Figure` with an explicit Agg canvas:
nothing here selects a backend, touches ``pyplot`` or changes ``rcParams``, and matplotlib
is imported only when a figure is drawn. Files are written atomically (a temporary file in
the same folder, then :func:`os.replace`).

Examples
--------
>>> import tempfile
>>> out = tempfile.mkdtemp()
>>> paths = plot_binary_curves(
...     {"valid": [0, 0, 1, 1], "test": [0, 1, 0, 1]},
...     {"valid": [0.1, 0.4, 0.35, 0.8], "test": [0.2, 0.9, 0.6, 0.7]},
...     out,
... )
>>> sorted(p.name for p in paths.values())
['pr.png', 'roc.png']
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from biodl.io.atomic import atomic_open
from biodl.metrics import auroc, average_precision, precision_recall_curve, roc_curve

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_binary_curves",
    "plot_confusion",
    "plot_learning_curves",
    "plot_pr",
    "plot_roc",
    "plot_tracks",
    "plot_trials",
    "read_epoch_log",
    "save_png",
]

#: Default resolution of saved figures, dots per inch.
DEFAULT_DPI = 120
_FIGSIZE = (5.0, 4.6)


def _curve_xy(
    x: npt.ArrayLike, y: npt.ArrayLike, split: str, what: tuple[str, str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if xa.ndim != 1 or ya.ndim != 1 or xa.shape != ya.shape or xa.size == 0:
        raise ValueError(
            f"curve {split!r}: {what[0]} and {what[1]} must be non-empty 1-D arrays of equal "
            f"length, got shapes {xa.shape} and {ya.shape}"
        )
    return xa, ya


def _auc_text(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.3f}"


def _new_axes() -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_FIGSIZE)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.grid(True, color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _save_png(fig: Figure, path: str | os.PathLike[str], dpi: int) -> Path:
    """Save ``fig`` as PNG at ``path`` atomically; create the parent folder if needed."""
    if isinstance(dpi, bool) or not isinstance(dpi, int) or dpi <= 0:
        raise ValueError(f"dpi must be a positive integer, got {dpi!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(target, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return target


def save_png(fig: Figure, path: str | os.PathLike[str], *, dpi: int = DEFAULT_DPI) -> Path:
    """Save a figure of this module (e.g. :func:`plot_tracks`) as PNG at ``path``,
    atomically; returns the path."""
    return _save_png(fig, path, dpi)


def plot_roc(
    curves: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike, float | None]],
    path: str | os.PathLike[str],
    *,
    title: str = "ROC curve",
    dpi: int = DEFAULT_DPI,
) -> Path:
    """Plot ROC curves, one line per split, with the chance diagonal.

    Parameters
    ----------
    curves
        ``{split: (fpr, tpr, auroc)}``; ``fpr`` and ``tpr`` of shape ``(K,)`` as from
        :func:`biodl.metrics.roc_curve`, ``auroc`` shown in the legend (None or NaN:
        "n/a").
    path
        Output PNG file; its folder is created if missing.
    title
        Figure title.
    dpi
        Resolution in dots per inch.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, os
    >>> from biodl.metrics import roc_curve
    >>> fpr, tpr, _ = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> plot_roc({"test": (fpr, tpr, 0.75)}, os.path.join(tempfile.mkdtemp(), "roc.png")).name
    'roc.png'
    """
    if not curves:
        raise ValueError("plot_roc needs at least one curve")
    fig, ax = _new_axes()
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.6", linewidth=1.0, label="chance")
    for i, (split, (fpr, tpr, auc)) in enumerate(curves.items()):
        x, y = _curve_xy(fpr, tpr, split, ("fpr", "tpr"))
        ax.plot(x, y, color=f"C{i}", linewidth=1.8, label=f"{split} (AUROC = {_auc_text(auc)})")
    ax.set_xlabel("False positive rate (1 - specificity)")
    ax.set_ylabel("True positive rate (sensitivity)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return _save_png(fig, path, dpi)


def plot_pr(
    curves: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike, float | None]],
    path: str | os.PathLike[str],
    *,
    baseline: Mapping[str, float] | None = None,
    title: str = "Precision-recall curve",
    dpi: int = DEFAULT_DPI,
) -> Path:
    """Plot precision-recall curves, one step line per split, with prevalence baselines.

    Parameters
    ----------
    curves
        ``{split: (precision, recall, auprc)}``; ``precision`` and ``recall`` of shape
        ``(K,)`` as from :func:`biodl.metrics.precision_recall_curve` (drawn as steps, the
        shape whose area is the average precision), ``auprc`` shown in the legend.
    path
        Output PNG file; its folder is created if missing.
    baseline
        ``{split: prevalence}``: the precision of a random classifier, drawn as a dashed
        horizontal line in the split's colour. None draws no baseline.
    title
        Figure title.
    dpi
        Resolution in dots per inch.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, os
    >>> from biodl.metrics import precision_recall_curve
    >>> p, r, _ = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> out = os.path.join(tempfile.mkdtemp(), "pr.png")
    >>> plot_pr({"test": (p, r, 0.833)}, out, baseline={"test": 0.5}).name
    'pr.png'
    """
    if not curves:
        raise ValueError("plot_pr needs at least one curve")
    baseline = {} if baseline is None else baseline
    colours = {split: f"C{i}" for i, split in enumerate(curves)}
    fig, ax = _new_axes()
    for split, (precision, recall, ap) in curves.items():
        x, y = _curve_xy(recall, precision, split, ("recall", "precision"))
        ax.plot(
            x,
            y,
            color=colours[split],
            linewidth=1.8,
            drawstyle="steps-post",
            label=f"{split} (AUPRC = {_auc_text(ap)})",
        )
    for split, prevalence in baseline.items():
        value = float(prevalence)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"baseline {split!r} must be a prevalence in [0, 1], got {value!r}")
        ax.axhline(
            value,
            color=colours.get(split, "0.5"),
            linestyle="--",
            linewidth=1.0,
            label=f"{split} prevalence = {value:.3f}",
        )
    ax.set_xlabel("Recall (sensitivity)")
    ax.set_ylabel("Precision (positive predictive value)")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    return _save_png(fig, path, dpi)


def plot_binary_curves(
    y_true_by_split: Mapping[str, npt.ArrayLike],
    y_score_by_split: Mapping[str, npt.ArrayLike],
    out_dir: str | os.PathLike[str],
    *,
    dpi: int = DEFAULT_DPI,
) -> dict[str, Path]:
    """Write ``roc.png`` and ``pr.png`` for labels and scores of several splits.

    Parameters
    ----------
    y_true_by_split
        ``{split: labels}``, labels 0/1 of shape ``(N_split,)``; the order of the splits
        is the order of the lines.
    y_score_by_split
        ``{split: scores}`` with the same splits, scores of shape ``(N_split,)``.
    out_dir
        Output folder, created if missing.
    dpi
        Resolution in dots per inch.

    Returns
    -------
    dict
        ``{"roc": out_dir / "roc.png", "pr": out_dir / "pr.png"}``.

    Examples
    --------
    >>> import tempfile
    >>> paths = plot_binary_curves({"test": [0, 1, 1]}, {"test": [0.2, 0.7, 0.4]},
    ...                            tempfile.mkdtemp())
    >>> paths["roc"].name, paths["pr"].name
    ('roc.png', 'pr.png')
    """
    if set(y_true_by_split) != set(y_score_by_split):
        raise ValueError(
            "y_true_by_split and y_score_by_split must have the same splits, got "
            f"{sorted(y_true_by_split)} and {sorted(y_score_by_split)}"
        )
    roc: dict[str, tuple[npt.ArrayLike, npt.ArrayLike, float | None]] = {}
    pr: dict[str, tuple[npt.ArrayLike, npt.ArrayLike, float | None]] = {}
    prevalence: dict[str, float] = {}
    for split, y_true in y_true_by_split.items():
        y_score = y_score_by_split[split]
        try:
            fpr, tpr, _ = roc_curve(y_true, y_score)
            precision, recall, _ = precision_recall_curve(y_true, y_score, drop_intermediate=True)
            roc[split] = (fpr, tpr, auroc(y_true, y_score))
            pr[split] = (precision, recall, average_precision(y_true, y_score))
        except ValueError as exc:
            raise ValueError(f"split {split!r}: {exc}") from exc
        prevalence[split] = float(np.mean(np.asarray(y_true, dtype=np.float64)))
    directory = Path(out_dir)
    return {
        "roc": plot_roc(roc, directory / "roc.png", dpi=dpi),
        "pr": plot_pr(pr, directory / "pr.png", baseline=prevalence, dpi=dpi),
    }


def _cell_text(count: float, fraction: float | None) -> str:
    text = f"{int(count)}" if float(count).is_integer() else f"{count:.3g}"
    if fraction is not None:
        text += f"\n{100.0 * fraction:.1f} %"
    return text


def plot_confusion(
    confusion: npt.ArrayLike,
    classes: Sequence[str],
    path: str | os.PathLike[str],
    *,
    title: str = "Confusion matrix",
    normalise: bool = True,
    dpi: int = DEFAULT_DPI,
) -> Path:
    """Plot a confusion matrix as an annotated heat map.

    Parameters
    ----------
    confusion
        Counts of shape ``(K, K)``, rows the true classes and columns the predicted ones,
        as ``multiclass_metrics(...)["confusion"]["value"]``; non-negative and finite
        (weighted counts need not be integers).
    classes
        The ``K`` class names, in the order of the rows and columns.
    path
        Output PNG file; its folder is created if missing.
    title
        Figure title.
    normalise
        Colour each cell by its fraction of the row (the recall of the class on the
        diagonal) and, up to 6 classes, print the fraction under the count; a row
        without examples is left blank. False colours by the counts. Cells always show
        the counts; the font shrinks with the number of classes (readable for 12).
    dpi
        Resolution in dots per inch.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        ``confusion`` not square, not matching ``classes``, negative or not finite;
        bad ``dpi``.

    Examples
    --------
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "confusion.png")
    >>> plot_confusion([[50, 3, 2], [4, 40, 6], [1, 5, 90]], ["EI", "IE", "N"], out).name
    'confusion.png'
    """
    counts = np.asarray(confusion, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.size == 0:
        raise ValueError(f"confusion must be a non-empty square (K, K) array, got {counts.shape}")
    if isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence):
        raise ValueError(f"classes must be a sequence of class names, got {classes!r}")
    names = [str(name) for name in classes]
    k = counts.shape[0]
    if len(names) != k:
        raise ValueError(f"confusion is {k} x {k} but {len(names)} class names were given")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("confusion must hold finite, non-negative counts")

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    row_totals = counts.sum(axis=1, keepdims=True)
    fractions = np.divide(
        counts, row_totals, out=np.full(counts.shape, np.nan), where=row_totals > 0
    )
    shown = fractions if normalise else counts
    vmax = 1.0 if normalise else max(float(counts.max()), 1.0)
    # readable up to a dozen classes: cells of about 0.55 in, the fraction printed only
    # while there is room for a second line, the font shrinking with the class count
    side = max(_FIGSIZE[0], 2.4 + 0.55 * k)
    fontsize = 10.0 if k <= 6 else max(7.0, 12.0 - 0.3 * k)
    two_lines = normalise and k <= 6
    fig = Figure(figsize=(side + 1.0, side))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest")
    colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colorbar.set_label("Fraction of the true class (colour)" if normalise else "Examples")
    for i in range(k):
        for j in range(k):
            fraction = None if math.isnan(fractions[i, j]) else float(fractions[i, j])
            level = (shown[i, j] / vmax) if math.isfinite(shown[i, j]) else 0.0
            ax.text(
                j,
                i,
                _cell_text(counts[i, j], fraction if two_lines else None),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if level > 0.6 else "black",
            )
    ticks = np.arange(k)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    tick_size = 10.0 if k <= 6 else max(8.0, 11.0 - 0.2 * k)
    ax.set_xticklabels(
        names,
        rotation=45 if k > 4 else 0,
        ha="right" if k > 4 else "center",
        rotation_mode="anchor",
        fontsize=tick_size,
    )
    ax.set_yticklabels(names, fontsize=tick_size)
    ax.set_xlabel("Predicted class (cells: examples)" if not two_lines else "Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(title)
    fig.tight_layout()
    return _save_png(fig, path, dpi)


def plot_trials(
    numbers: Sequence[int],
    values: Sequence[float | None],
    path: str | os.PathLike[str],
    *,
    metric: str,
    maximize: bool,
    dpi: int = 150,
) -> Path:
    """A hyper-parameter search (``biodl tune``): each trial's value and the best so far.

    ``values[i]`` is trial ``numbers[i]``'s validation value, ``None`` for a trial that
    did not complete (pruned, failed); those are left out of the points and the line.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    done = [(n, v) for n, v in zip(numbers, values, strict=True) if v is not None]
    if done:
        xs = [n for n, _ in done]
        ys = [v for _, v in done]
        pick = max if maximize else min
        best = [pick(ys[: i + 1]) for i in range(len(ys))]
        ax.scatter(xs, ys, s=18, color="#4c72b0", label="trial")
        ax.step(xs, best, where="post", color="#c44e52", label="best so far")
        ax.legend(loc="best", frameon=False)
    ax.set_xlabel("trial")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # trials are numbered 0, 1, ...
    ax.set_ylabel(f"validation {metric}")
    ax.grid(True, color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    fig.tight_layout()
    return _save_png(fig, path, dpi)


#: Columns of ``logs/metrics.csv`` that are not per-epoch values.
_LOG_INDEX = ("epoch", "step")


def read_epoch_log(path: str | os.PathLike[str]) -> dict[str, list[float | None]]:
    """Per-epoch values of a run's ``logs/metrics.csv`` (Lightning's CSV logger).

    Lightning writes the training and the validation values of an epoch on separate
    rows; they are merged by ``epoch`` (the last value of each column wins). A missing
    or unreadable file gives ``{}``.

    Returns
    -------
    dict
        ``{column: [value of epoch 0, 1, ...]}`` (``train_loss``, ``valid_loss``,
        ``valid_auroc``, ...), None where an epoch has no value.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "metrics.csv")
    >>> _ = open(path, "w").write(
    ...     "epoch,step,train_loss,valid_loss\\n0,9,,0.7\\n0,9,0.8,\\n1,19,,0.6\\n1,19,0.5,\\n")
    >>> read_epoch_log(path)
    {'train_loss': [0.8, 0.5], 'valid_loss': [0.7, 0.6]}
    """
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    by_epoch: dict[int, dict[str, float]] = {}
    columns: dict[str, None] = {}
    for row in rows:
        try:
            epoch = int(float(row.get("epoch") or "nan"))
        except ValueError:
            continue
        for key, text in row.items():
            if key is None or key in _LOG_INDEX or text in (None, ""):
                continue
            try:
                value = float(text)
            except ValueError:
                continue
            if math.isfinite(value):
                columns.setdefault(key, None)
                by_epoch.setdefault(epoch, {})[key] = value
    if not by_epoch:
        return {}
    last = max(by_epoch)
    return {key: [by_epoch.get(e, {}).get(key) for e in range(last + 1)] for key in sorted(columns)}


def _epoch_line(ax: Axes, values: Sequence[float | None], **style: Any) -> None:
    xs = [i + 1 for i, v in enumerate(values) if v is not None]
    ys = [float(v) for v in values if v is not None]
    if xs:
        ax.plot(xs, ys, marker="o" if len(xs) <= 30 else None, markersize=3, **style)


def plot_learning_curves(
    curves: Mapping[str, Sequence[float | None]],
    path: str | os.PathLike[str],
    *,
    best_epoch: int | None = None,
    metric_label: str = "Validation AUROC",
    dpi: int = DEFAULT_DPI,
) -> Path:
    """Learning curves: the losses (left) and the validation metric (right) per epoch.

    Parameters
    ----------
    curves
        ``{column: values per epoch}`` as from :func:`read_epoch_log`: ``train_loss``
        and ``valid_loss`` go to the left panel, ``valid_auroc`` to the right one (left
        out when absent); None where an epoch has no value. Epochs are numbered from 1.
    path
        Output PNG file; its folder is created if missing.
    best_epoch
        0-based epoch of the saved weights, marked by a dashed vertical line.
    metric_label
        Axis label of the validation metric.
    dpi
        Resolution in dots per inch.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        ``curves`` has no loss and no validation metric.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "learning_curves.png")
    >>> plot_learning_curves(
    ...     {"train_loss": [0.7, 0.5, 0.4], "valid_loss": [0.69, 0.6, 0.62],
    ...      "valid_auroc": [0.6, 0.7, 0.69]}, out, best_epoch=1).name
    'learning_curves.png'
    """
    losses = {
        name: list(curves[name])
        for name in ("train_loss", "valid_loss")
        if name in curves and any(v is not None for v in curves[name])
    }
    metric = list(curves.get("valid_auroc", []))
    has_metric = any(v is not None for v in metric)
    if not losses and not has_metric:
        raise ValueError(
            "plot_learning_curves needs train_loss, valid_loss or valid_auroc; got "
            f"{sorted(curves)}"
        )
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    panels = int(bool(losses)) + int(has_metric)
    fig = Figure(figsize=(4.6 * panels, 3.6))
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
    labels = {"train_loss": "training", "valid_loss": "validation"}
    colours = {"train_loss": "C0", "valid_loss": "C1"}
    if losses:
        ax = axes[0]
        for name, values in losses.items():
            _epoch_line(ax, values, color=colours[name], linewidth=1.6, label=labels[name])
        ax.set_ylabel("Loss (lower is better)")
        ax.set_title("Loss per epoch")
    if has_metric:
        ax = axes[-1]
        _epoch_line(ax, metric, color="C2", linewidth=1.6, label="validation")
        ax.set_ylabel(f"{metric_label} (higher is better)")
        ax.set_title(metric_label)
    for ax in axes:
        if best_epoch is not None and best_epoch >= 0:
            ax.axvline(
                best_epoch + 1,
                color="0.35",
                linestyle="--",
                linewidth=1.0,
                label=f"best epoch ({best_epoch + 1})",
            )
        ax.set_xlabel("Epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, color="0.9", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="best", fontsize="small", frameon=False)
    fig.tight_layout()
    return _save_png(fig, path, dpi)


#: At most this many tracks are drawn by :func:`plot_tracks` (one panel each).
MAX_TRACK_PANELS = 10


def plot_tracks(
    observed: npt.ArrayLike,
    predicted: npt.ArrayLike,
    *,
    names: Sequence[str],
    bin_size: int,
    chrom: str,
    start: int,
    title: str | None = None,
) -> Figure:
    """Observed and predicted signal tracks of one genomic window, one panel per track.

    The observed signal is a filled area, the prediction a line, both drawn as steps
    over their bins; missing (NaN) observed bins are left blank. The x axis is the
    genomic coordinate of ``chrom`` (bin ``b`` covers ``start + b * bin_size`` to
    ``start + (b + 1) * bin_size``). At most the first 10 tracks are drawn (the title
    says so when there are more).

    Parameters
    ----------
    observed
        Observed values ``(T, B)``: ``T`` tracks of ``B`` bins, NaN where missing.
    predicted
        Predictions of the same shape.
    names
        The ``T`` tracks' names (panel labels).
    bin_size
        Bases per bin (positive).
    chrom, start
        The window's chromosome and 0-based start.
    title
        Figure title (default: the window as ``chrom:start-end``).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, on an Agg canvas (save it with ``fig.savefig``).

    Raises
    ------
    ValueError
        For arrays that are not ``(T, B)`` of equal shape, ``names`` not one per track,
        or a bin size or start that is not a non-negative integer (positive for the bin
        size).

    Examples
    --------
    >>> fig = plot_tracks([[0.0, 2.0, 5.0, 1.0], [1.0, 1.0, 0.0, 0.0]],
    ...                   [[0.5, 2.5, 4.0, 1.0], [1.0, 0.8, 0.2, 0.1]],
    ...                   names=["CAGE", "DNase"], bin_size=128, chrom="chr1", start=1000)
    >>> len(fig.axes), fig.axes[-1].get_xlabel()
    (2, 'chr1 position (bp)')
    """
    obs = np.asarray(observed, dtype=np.float64)
    pred = np.asarray(predicted, dtype=np.float64)
    if obs.ndim != 2 or obs.size == 0 or pred.shape != obs.shape:
        raise ValueError(
            f"observed and predicted must be non-empty (tracks, bins) arrays of equal shape, "
            f"got {obs.shape} and {pred.shape}"
        )
    if isinstance(names, (str, bytes)) or len(names) != obs.shape[0]:
        given = 1 if isinstance(names, (str, bytes)) else len(names)
        raise ValueError(f"{given} names given for {obs.shape[0]} tracks")
    for what, value, low in (("bin_size", bin_size, 1), ("start", start, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{what} must be an integer >= {low}, got {value!r}")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n_tracks, n_bins = obs.shape
    shown = min(n_tracks, MAX_TRACK_PANELS)
    end = start + n_bins * bin_size
    edges = start + bin_size * np.arange(n_bins + 1)
    fig = Figure(figsize=(8.0, 0.4 + 1.5 * shown))
    FigureCanvasAgg(fig)
    axes = fig.subplots(shown, 1, sharex=True, squeeze=False)[:, 0]
    for t, ax in enumerate(axes):
        o = np.r_[obs[t], obs[t, -1]]  # steps: the last bin's value to its end
        p = np.r_[pred[t], pred[t, -1]]
        seen = ~np.isnan(o)
        ax.fill_between(
            edges,
            np.where(seen, o, 0.0),
            step="post",
            where=seen,
            color="0.6",
            linewidth=0,
            label="observed",
        )
        ax.step(edges, p, where="post", color="C3", linewidth=1.2, label="predicted")
        ax.set_ylabel(str(names[t]), rotation=0, ha="right", va="center")
        ax.set_xlim(start, end)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(True, axis="y", color="0.9", linewidth=0.6)
        ax.set_axisbelow(True)
    axes[0].legend(loc="upper right", fontsize="small", frameon=False, ncol=2)
    axes[-1].set_xlabel(f"{chrom} position (bp)")
    axes[-1].ticklabel_format(axis="x", style="plain", useOffset=False)
    heading = title if title is not None else f"{chrom}:{start:,}-{end:,}"
    if n_tracks > shown:
        heading += f" (first {shown} of {n_tracks} tracks)"
    fig.suptitle(heading)
    fig.tight_layout()
    return fig
