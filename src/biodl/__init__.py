"""biodl: deep learning for bioinformatics on real files.

Read sequences (:mod:`biodl.io`), encode them (:mod:`biodl.encode`), build labelled
splits (:mod:`biodl.data`), pick an architecture from the zoo (:mod:`biodl.models`),
train it (:mod:`biodl.train`) and evaluate it (:mod:`biodl.metrics`). The jobs the
command line runs are in :mod:`biodl.workflows`; in a notebook,
``biodl.train_run(config_dict, "run", data=df)``, ``biodl.predict_frame(run, seqs)`` and
``biodl.score_variants_frame(run, genome, variants_df)`` run them on objects in memory.
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("biodl")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "load_run",
    "predict_frame",
    "score_variants_frame",
    "train_run",
]

_EXPORTS = {
    "load_run": "biodl.runs",
    "predict_frame": "biodl.workflows",
    "score_variants_frame": "biodl.workflows",
    "train_run": "biodl.workflows",
}


def __getattr__(name: str) -> object:
    """The notebook entry points (``biodl.train_run``...), imported on first use so that
    ``import biodl`` stays light."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'biodl' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
