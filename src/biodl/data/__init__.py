"""Data sources, generated negatives, splits and class weights.

The data layer turns the ``data:`` section of a configuration into train, valid and
test :class:`Examples`; :func:`build_splits` is the entry point.
"""

from __future__ import annotations

from biodl.data.cv import Deduplicated, assign_folds, cross_validation_splits, deduplicate
from biodl.data.examples import Examples, normalise_label
from biodl.data.inputs import encode_inputs
from biodl.data.kinds import (
    INPUT_KINDS,
    GraphKind,
    InputKind,
    MatrixKind,
    MoleculeKind,
    PileupKind,
    SequenceKind,
    TrackKind,
    input_kind,
    structure_cache_dir,
)
from biodl.data.negatives import make_negative_sequences, substitute_segments
from biodl.data.shuffle import dinucleotide_shuffle, dinucleotide_shuffle_all, shuffle_all
from biodl.data.sources import load_source, parse_region_id
from biodl.data.splits import (
    DataSplits,
    build_splits,
    chromosome_split,
    class_weights,
    finish_splits,
    fit_length,
    fit_sequence,
    resolve_classes,
    stratified_split,
)
from biodl.data.tracks import load_track_source, track_windows

__all__ = [
    "INPUT_KINDS",
    "DataSplits",
    "Deduplicated",
    "Examples",
    "GraphKind",
    "InputKind",
    "MatrixKind",
    "MoleculeKind",
    "PileupKind",
    "SequenceKind",
    "TrackKind",
    "assign_folds",
    "build_splits",
    "chromosome_split",
    "class_weights",
    "cross_validation_splits",
    "deduplicate",
    "dinucleotide_shuffle",
    "dinucleotide_shuffle_all",
    "encode_inputs",
    "finish_splits",
    "fit_length",
    "fit_sequence",
    "input_kind",
    "load_source",
    "load_track_source",
    "make_negative_sequences",
    "normalise_label",
    "parse_region_id",
    "resolve_classes",
    "shuffle_all",
    "stratified_split",
    "structure_cache_dir",
    "substitute_segments",
    "track_windows",
]
