"""Sequence logos of motifs and attribution maps (logomaker, no pyplot state).

:func:`plot_logo` draws a :class:`~biodl.interpret.motifs.Motif` in bits (letter height =
probability x column information) and an attribution map ``(C, W)`` as it is (negative
values below the axis), on a new figure or on given axes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from biodl.errors import InputError
from biodl.interpret.motifs import Motif

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_logo"]

_INSTALL_MESSAGE = (
    "sequence logos need the logomaker package: pip install 'biodl[motifs]' "
    "(or pip install logomaker)"
)


def _heights(
    matrix: npt.NDArray[np.float64], kind: Literal["information", "probability", "raw"]
) -> npt.NDArray[np.float64]:
    """Letter heights ``(C, W)``: probability times column information for ``information``."""
    if kind == "raw":
        return matrix
    total = matrix.sum(axis=0, keepdims=True)
    if np.any(matrix < 0) or np.any(total <= 0):
        raise InputError("a probability logo needs non-negative columns with a positive sum")
    p = matrix / total
    if kind == "probability":
        return p
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=0)
    return np.asarray(p * (np.log2(p.shape[0]) - entropy))


def plot_logo(
    matrix: Motif | npt.ArrayLike,
    *,
    ax: Axes | None = None,
    alphabet: str | None = None,
    kind: Literal["auto", "information", "probability", "raw"] = "auto",
    title: str | None = None,
    width_per_position: float = 0.35,
) -> Figure:
    """Draw a sequence logo of a motif (PPM) or an attribution map.

    Parameters
    ----------
    matrix
        A :class:`~biodl.interpret.motifs.Motif`, or an array ``(C, W)``: a PPM
        (columns of non-negative values) or attributions (any sign).
    ax
        Axes to draw on; default a new figure (not registered with pyplot).
    alphabet
        Row letters; default the motif's, or ``ACGT`` / the 20 amino acids by ``C``.
    kind
        ``"information"``: letter height = probability x column information (bits);
        ``"probability"``: heights sum to 1; ``"raw"``: the values as they are (for
        attributions, negative ones below the axis). ``"auto"``: ``information`` for a
        Motif or a non-negative array, ``raw`` otherwise.
    title
        Axes title (default the motif name).
    width_per_position
        Figure width in inches per column of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the logo.

    Raises
    ------
    ModuleNotFoundError
        Without logomaker.
    InputError
        Not a 2-D array with one row per letter.

    Examples
    --------
    >>> fig = plot_logo(np.array([[0.5, -0.2], [0, 0], [0, 0.1], [0, 0]]))
    >>> fig.axes[0].get_ylabel()
    'attribution'
    """
    try:
        import logomaker

        pd = importlib.import_module("pandas")  # untyped; a logomaker dependency
    except ImportError as exc:
        raise ModuleNotFoundError(_INSTALL_MESSAGE) from exc
    from matplotlib.figure import Figure

    if isinstance(matrix, Motif):
        values = matrix.ppm
        letters = alphabet or matrix.alphabet
        title = matrix.name if title is None else title
    else:
        values = np.asarray(matrix, dtype=np.float64)
        letters = alphabet or {4: "ACGT", 20: "ACDEFGHIKLMNPQRSTVWY"}.get(values.shape[0], "")
    if values.ndim != 2 or values.shape[0] != len(letters) or not np.all(np.isfinite(values)):
        raise InputError(
            f"a logo needs a finite (C, W) matrix with one row per letter of {letters!r}, "
            f"not shape {values.shape}"
        )
    if kind == "auto":
        kind = "information" if isinstance(matrix, Motif) or np.all(values >= 0) else "raw"
    heights = _heights(values, kind)
    if ax is None:
        fig = Figure(figsize=(max(2.0, width_per_position * values.shape[1]), 1.8))
        ax = fig.add_subplot()
    frame = pd.DataFrame(heights.T, columns=list(letters))
    logomaker.Logo(frame, ax=ax, color_scheme="classic" if len(letters) == 4 else "chemistry")
    ax.set_ylabel({"information": "bits", "probability": "probability"}.get(kind, "attribution"))
    if kind == "information":
        ax.set_ylim(0, np.log2(len(letters)))
    if title:
        ax.set_title(title)
    figure = ax.get_figure()
    if not isinstance(figure, Figure):
        raise InputError("the axes do not belong to a matplotlib figure")
    return figure
