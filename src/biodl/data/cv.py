"""Cross-validation folds, after removing duplicate sequences so none straddles folds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from biodl.config import (
    Config,
    FractionSplit,
    MoleculeSource,
    NegativesConfig,
    PileupSource,
    ScaffoldSplit,
    TrackSource,
)
from biodl.data.examples import Examples
from biodl.data.homology import cluster_sequences, homology_folds, homology_split
from biodl.data.scaffold import scaffold_folds
from biodl.data.sources import load_source
from biodl.data.splits import (
    DataSplits,
    check_stratifiable,
    drop_rare_classes,
    finish_splits,
    scaffold_assignment,
    stratified_split,
)
from biodl.encode import reverse_complement
from biodl.errors import InputError
from biodl.tasks import task_class

__all__ = ["Deduplicated", "assign_folds", "cross_validation_splits", "deduplicate"]


@dataclass(frozen=True)
class Deduplicated:
    """Result of :func:`deduplicate`.

    Attributes
    ----------
    examples
        The first occurrence of each distinct sequence, in input order.
    n_removed
        Copies dropped.
    n_conflicting
        Distinct sequences whose copies carry different labels (the first label is kept).
    """

    examples: Examples
    n_removed: int
    n_conflicting: int


def deduplicate(examples: Examples, *, reverse_complements: bool = True) -> Deduplicated:
    """Keep one copy of each sequence (and of each reverse-complement pair, for DNA).

    Examples
    --------
    >>> ex = Examples(["ACGT", "ACGT", "AACC", "GGTT"], ["1", "0", "1", "1"],
    ...               ["a", "b", "c", "d"], [("f", 1), ("f", 2), ("f", 3), ("f", 4)])
    >>> d = deduplicate(ex)
    >>> d.examples.ids, d.n_removed, d.n_conflicting
    (['a', 'c'], 2, 1)
    """
    first: dict[str, int] = {}
    conflicting: set[str] = set()
    keep: list[int] = []
    for i, seq in enumerate(examples.sequences):
        key = seq.upper()
        if reverse_complements:
            key = min(key, reverse_complement(key))
        j = first.get(key)
        if j is None:
            first[key] = i
            keep.append(i)
        elif examples.labels[j] != examples.labels[i] or (
            examples.values is not None
            and not np.array_equal(examples.values[j], examples.values[i], equal_nan=True)
        ):
            conflicting.add(key)
    return Deduplicated(
        examples=examples.subset(keep),
        n_removed=len(examples) - len(keep),
        n_conflicting=len(conflicting),
    )


def assign_folds(labels: list[str], k: int, *, seed: int) -> np.ndarray:
    """Stratified fold index ``0..k-1`` of each example, seeded.

    Each class is shuffled and dealt round-robin over the folds, so fold sizes differ by
    at most one per class.

    Examples
    --------
    >>> assign_folds(["a"] * 4 + ["b"] * 2, 2, seed=0).tolist().count(0)
    3
    """
    if k < 2:
        msg = f"cross-validation needs at least 2 folds, not {k}"
        raise InputError(msg)
    rng = np.random.default_rng(seed)
    folds = np.empty(len(labels), dtype=np.int64)
    arr = np.asarray(labels)
    offset = 0
    for cls in sorted(set(labels)):
        idx = rng.permutation(np.flatnonzero(arr == cls))
        folds[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)
    return folds


def chromosome_folds(
    chroms: Sequence[str], k: int, *, seed: int, share: float | None = None
) -> np.ndarray:
    """Fold ``0..k-1`` of each example such that every chromosome is in one fold only.

    Chromosomes are dealt largest first (by examples), each to the fold that holds the
    fewest examples so far (ties broken by a seeded shuffle). With ``share`` (and
    ``k == 2``) fold 1 instead gets whole chromosomes, smallest first in a seeded order,
    until it holds about ``share`` of the examples (at least one chromosome): the
    validation part of a training fold.

    Raises
    ------
    InputError
        Fewer chromosomes than folds.

    Examples
    --------
    >>> chromosome_folds(["a", "a", "b", "c", "c", "c"], 2, seed=0).tolist()
    [1, 1, 1, 0, 0, 0]
    """
    names, counts = np.unique(np.asarray(chroms, dtype=object), return_counts=True)
    if len(names) < k:
        raise InputError(
            f"{k} folds of whole chromosomes need at least {k} chromosomes; the windows "
            f"lie on {len(names)} ({', '.join(map(str, names[:5]))})"
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(names))
    fold_of_chrom = np.zeros(len(names), dtype=np.int64)
    if share is not None:
        held, target = 0, share * len(chroms)
        for i in sorted(order, key=lambda j: counts[j]):
            if held >= target:
                break
            if held + counts[i] >= len(chroms) or (held and held + counts[i] > 1.5 * target):
                continue  # keep training windows; do not overshoot the share
            fold_of_chrom[i], held = 1, held + int(counts[i])
    else:
        sizes = np.zeros(k, dtype=np.int64)
        for i in sorted(order, key=lambda j: -counts[j]):
            f = int(np.argmin(sizes))
            fold_of_chrom[i] = f
            sizes[f] += counts[i]
    index = {str(c): f for c, f in zip(names, fold_of_chrom, strict=True)}
    return np.array([index[str(c)] for c in chroms], dtype=np.int64)


def cross_validation_splits(
    config: Config, k: int, *, dedupe: bool = True, reverse_complements: bool = True
) -> tuple[Deduplicated, list[str], Iterator[DataSplits]]:
    """The ``k`` train/valid/test splits of cross-validation over the training source.

    The training source is read and (by default) deduplicated first, so identical
    sequences cannot sit on both sides of a fold; with ``reverse_complements`` (for
    DNA/RNA) a sequence and its reverse complement count as copies too, which is right for
    a strand-symmetric model and wrong for strand-specific labels such as splice sites.
    Folds come from the source's ``fold:`` column when it has one (``k`` is then the
    number of distinct values), else they are stratified and seeded by ``train.seed``;
    molecules whose ``data.test`` is a scaffold split get folds of whole Bemis-Murcko
    scaffold sets (:func:`biodl.data.scaffold.scaffold_folds`), and a scaffold
    ``data.valid`` holds out whole scaffolds of each training part; genome windows
    (``tracks:`` sources) get folds of whole chromosomes and validate on whole
    chromosomes of each training part (:func:`chromosome_folds`).
    Within each training part, ``data.valid`` (a fraction; default 0.1) is held out for
    early stopping. Negatives are generated per split as in :func:`build_splits`.
    ``data.valid``/``data.test`` sources are not used.

    Returns
    -------
    tuple
        The deduplication summary, the fold names, and an iterator of the splits.
    """
    source = config.data.train
    if isinstance(source, PileupSource):
        raise InputError(
            "cross-validation over read pileups needs folds of genomic blocks, which biodl "
            "does not make yet: use data.valid/test {blocks: F} or {regions: BED}",
            path=config.resolve(source.reads),
        )
    raw = load_source(source, config)
    molecules = isinstance(source, MoleculeSource)
    tracks = isinstance(source, TrackSource)  # genome windows: folds of whole chromosomes
    rc = reverse_complements and config.data.alphabet in ("dna", "rna") and not molecules
    # CpG sites are unique by position and have no sequence of their own to compare
    dedupe = dedupe and raw.features is None
    dedup = deduplicate(raw, reverse_complements=rc) if dedupe else Deduplicated(raw, 0, 0)
    examples = dedup.examples
    classified = task_class(config.task).classification
    dropped: tuple[tuple[str, int], ...] = ()
    if classified and config.data.min_class_size is not None:
        examples, dropped = drop_rare_classes(examples, config.data.min_class_size)
    if classified and examples.folds is None:
        check_stratifiable(examples, what="stratified folds")
    if examples.folds is not None:
        names = sorted(set(examples.folds))
        if len(names) < 2:
            raise InputError(
                "the fold column has fewer than 2 distinct values", path=examples.origins[0][0]
            )
        fold_of = np.array([names.index(f) for f in examples.folds])
    homology = config.data.homology
    clusters = None
    if homology is not None:
        clusters = cluster_sequences(
            examples.sequences,
            identity=homology.identity,
            coverage=homology.coverage,
            method=homology.method,
        )
    if examples.folds is None:
        names = [str(i + 1) for i in range(k)]
        if clusters is not None:
            fold_of = homology_folds(
                examples.sequences, examples.labels, k, seed=config.train.seed, clusters=clusters
            )
        elif molecules and isinstance(config.data.test, ScaffoldSplit):
            fold_of = scaffold_folds(examples.sequences, n_folds=k, seed=config.train.seed)
        elif tracks:
            fold_of = chromosome_folds(examples.chroms or [], k, seed=config.train.seed)
        else:
            fold_of = assign_folds(examples.labels, k, seed=config.train.seed)
    fraction = config.data.valid.fraction if isinstance(config.data.valid, FractionSplit) else 0.1
    inner_scaffold = config.data.valid if isinstance(config.data.valid, ScaffoldSplit) else None

    def splits() -> Iterator[DataSplits]:
        for index in range(len(names)):
            rest_idx = np.flatnonzero(fold_of != index)
            test = examples.subset(np.flatnonzero(fold_of == index))
            rest = examples.subset(rest_idx)
            if clusters is not None:
                keep, held = homology_split(
                    rest.sequences,
                    rest.labels,
                    fraction=fraction,
                    seed=config.train.seed,
                    clusters=clusters[rest_idx],
                )
            elif tracks:
                inner = chromosome_folds(
                    rest.chroms or [], 2, seed=config.train.seed, share=fraction
                )
                keep, held = np.flatnonzero(inner == 0), np.flatnonzero(inner == 1)
            elif inner_scaffold is not None:
                side = scaffold_assignment(rest, {"valid": inner_scaffold}, seed=config.train.seed)
                keep, held = np.flatnonzero(side == "train"), np.flatnonzero(side == "valid")
            else:
                keep, held = stratified_split(rest.labels, fraction, seed=config.train.seed)
            sets: dict[str, Examples | None] = {
                "train": rest.subset(keep),
                "valid": rest.subset(held),
                "test": test,
            }
            negatives: dict[str, NegativesConfig | None] = dict.fromkeys(
                sets, getattr(source, "negatives", None)
            )
            done = finish_splits(config, sets, negatives)
            yield replace(done, dropped=dropped) if dropped else done

    return dedup, names, splits()
