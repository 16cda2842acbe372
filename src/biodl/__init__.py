"""biodl: deep learning for bioinformatics on real files.

Read sequences (:mod:`biodl.io`), encode them (:mod:`biodl.encode`), build labelled
splits (:mod:`biodl.data`), pick an architecture from the zoo (:mod:`biodl.models`),
train it (:mod:`biodl.train`) and evaluate it (:mod:`biodl.metrics`). The jobs the
command line runs are in :mod:`biodl.workflows`.
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("biodl")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
