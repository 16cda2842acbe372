"""Homology-aware clustering and splitting of protein sets, and sequence similarity
sketches.

A random split of a protein set puts close homologues on both sides, so a model can
score well by recognising a relative it saw in training. This package clusters proteins
at a chosen sequence identity (30 % by default), keeps each cluster on one side of
every split or fold, and measures the largest identity left between a test and a
training protein, to be reported with the results.

The package is split at its seams:

:mod:`~biodl.data.homology.align`
    Pairwise local alignment (Biopython): :class:`PairAlignment`, :func:`align_pair`,
    :func:`pairwise_identity`, and the definitions of identity and coverage.
:mod:`~biodl.data.homology.prefilter`
    The k-mer prefilter of the Python path (:func:`prefilter_rho`) and its calibration.
:mod:`~biodl.data.homology.mmseqs`
    The MMseqs2 engine (:func:`mmseqs_available`).
:mod:`~biodl.data.homology.cluster`
    Clustering (:func:`cluster_sequences`), identities between sets
    (:func:`nearest_identities`, :func:`max_cross_identity`) and the splitters
    (:func:`homology_split`, :func:`homology_folds`).
:mod:`~biodl.data.homology.minhash`
    MinHash sketches and LSH banding of k-mer sets, for near-duplicate search in large
    nucleotide or protein sets.

Every public name of the submodules above except :mod:`~biodl.data.homology.minhash`
is importable from ``biodl.data.homology``.
"""

from __future__ import annotations

from biodl.data.homology.align import PairAlignment, align_pair, pairwise_identity
from biodl.data.homology.cluster import (
    PYTHON_MAX_SEQUENCES,
    Linkage,
    Method,
    cluster_sequences,
    homology_folds,
    homology_split,
    max_cross_identity,
    nearest_identities,
)
from biodl.data.homology.mmseqs import mmseqs_available
from biodl.data.homology.prefilter import prefilter_rho

__all__ = [
    "PYTHON_MAX_SEQUENCES",
    "Linkage",
    "Method",
    "PairAlignment",
    "align_pair",
    "cluster_sequences",
    "homology_folds",
    "homology_split",
    "max_cross_identity",
    "mmseqs_available",
    "nearest_identities",
    "pairwise_identity",
    "prefilter_rho",
]
