"""Train/valid/test sets from a configuration: splits, generated negatives, lengths.

Order of operations (documented because it decides what can leak):

1. Each source is read (:func:`biodl.data.sources.load_source`).
2. ``valid``/``test`` given as ``{fraction: F}`` or ``{chromosomes: [...]}`` are taken out
   of the training source *before* negatives are generated, so the shuffled copy of a
   positive always lands in the same split as the positive. Chromosome splits are taken
   first, so a fraction never draws from a held-out chromosome. With ``data.homology``
   a fraction is made of whole homology clusters (:func:`biodl.data.homology.homology_split`).
   Molecules: ``{scaffold: F}`` holds out whole Bemis-Murcko scaffold sets, valid and
   test assigned together (:func:`biodl.data.scaffold.scaffold_split`).
3. Labels are checked: a binary task has exactly one positive and one negative class.
4. Negatives are generated per split from that split's positives.
5. Every sequence is brought to the model's input length: longer ones are cropped
   around their centre, shorter ones are an error (or padded with N on request).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from biodl.config import (
    BlockSplit,
    ChromosomeSplit,
    Config,
    CpgSource,
    FractionSplit,
    MatrixSource,
    MoleculeSource,
    MultiViewSource,
    NegativesConfig,
    PileupSource,
    RegionSplit,
    ScaffoldSplit,
    TrackSource,
)
from biodl.data.cpg import CpgPacking
from biodl.data.examples import Examples, normalise_label
from biodl.data.homology import cluster_sequences, homology_split
from biodl.data.kinds import MoleculeKind
from biodl.data.negatives import make_negative_sequences
from biodl.data.pileup import GENOTYPE_CLASSES, load_pileup_source
from biodl.data.scaffold import scaffold_split
from biodl.data.sources import (
    default_positive,
    load_matrix_source,
    load_molecule_source,
    load_multiview_source,
    load_source,
    output_names,
)
from biodl.data.tracks import check_disjoint_windows
from biodl.encode import pad_or_crop
from biodl.encode.matrix import FittedPipeline, MultiViewPipeline, fit_pipeline, fit_views
from biodl.encode.molecules import MAX_NEIGHBOURS, graph_sizes
from biodl.errors import InputError
from biodl.tasks import Multiclass, Task, make_task, task_class

__all__ = [
    "DataSplits",
    "build_splits",
    "check_stratifiable",
    "chromosome_split",
    "class_weights",
    "default_positive",
    "drop_rare_classes",
    "finish_splits",
    "fit_length",
    "fit_sequence",
    "matrix_values",
    "molecule_kind",
    "molecule_layout",
    "resolve_classes",
    "resolve_multiclass",
    "scaffold_assignment",
    "stratified_split",
]


@dataclass(frozen=True)
class DataSplits:
    """The three sets of a run and what was decided about them."""

    train: Examples
    valid: Examples | None
    test: Examples | None
    positive: str
    negative: str
    input_length: int
    classes: tuple[str, ...] = ()
    task: str = "binary"
    per_position: bool = False
    layout: tuple[tuple[str, int], ...] = ()
    dropped: tuple[tuple[str, int], ...] = ()
    """Classes dropped by ``data.min_class_size``, with their training-source counts."""
    preprocess: dict[str, Any] | None = None
    """Expression matrices: the fitted preprocessing state
    (:meth:`biodl.encode.matrix.FittedPipeline.to_json`), fitted on ``train`` alone."""

    @property
    def numeric(self) -> bool:
        """Whether the outputs are numbers (multi-label, regression), not class labels."""
        return self.as_task().numeric

    def as_task(
        self, *, loss: str = "auto", threshold: float = 0.5, count_weight: float | None = None
    ) -> Task:
        """The :class:`~biodl.tasks.Task` of these splits (``loss``: the regression loss;
        ``threshold``: the decision threshold of a binary or multi-label task;
        ``count_weight``: of the count term of the ``multinomial`` loss)."""
        return make_task(
            self.task,
            classes=self.classes,
            positive=self.positive,
            negative=self.negative,
            per_position=self.per_position,
            loss=loss,
            threshold=threshold,
            count_weight=count_weight,
        )

    def targets(self, examples: Examples) -> np.ndarray:
        """Training targets: ``(N, 1)`` float 0/1 (binary), ``(N,)`` int class index
        (multi-class), or ``(N, T)`` / ``(N, T, L)`` float32 with NaN where missing
        (multi-label, regression; ``classes`` then names the ``T`` outputs)."""
        if self.numeric:
            if examples.values is None:  # pragma: no cover - numeric sources set values
                raise InputError("no output values for a multilabel/regression task")
            if not examples.values:
                shape = (0, len(self.classes)) + ((self.input_length,) if self.per_position else ())
                return np.zeros(shape, dtype=np.float32)
            return np.stack(examples.values).astype(np.float32, copy=False)
        task = self.as_task()
        return task.training_targets(task.truth(examples))

    def items(self) -> list[tuple[str, Examples]]:
        """``(name, examples)`` for each split that exists."""
        out = [("train", self.train)]
        if self.valid is not None:
            out.append(("valid", self.valid))
        if self.test is not None:
            out.append(("test", self.test))
        return out


def stratified_split(
    labels: Sequence[str], fraction: float, *, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices so each class keeps its share; returns ``(kept, held_out)``.

    Each class contributes ``round(fraction * n_class)`` examples to the held-out part,
    chosen by a generator seeded with ``seed``.

    Examples
    --------
    >>> keep, held = stratified_split(["a"] * 8 + ["b"] * 2, 0.5, seed=0)
    >>> len(keep), len(held)
    (5, 5)
    """
    rng = np.random.default_rng(seed)
    labels_arr = np.asarray(labels)
    held: list[np.ndarray] = []
    for cls in sorted(set(labels)):
        idx = np.flatnonzero(labels_arr == cls)
        n_held = round(fraction * len(idx))
        held.append(rng.permutation(idx)[:n_held])
    held_idx = np.sort(np.concatenate(held)) if held else np.empty(0, dtype=np.int64)
    mask = np.ones(len(labels_arr), dtype=bool)
    mask[held_idx] = False
    return np.flatnonzero(mask), held_idx


def drop_rare_classes(
    examples: Examples, min_size: int
) -> tuple[Examples, tuple[tuple[str, int], ...]]:
    """The examples without the classes that have fewer than ``min_size`` of them.

    Returns
    -------
    tuple
        The kept examples and the dropped ``(class, count)`` pairs, sorted by class.

    Examples
    --------
    >>> ex = Examples(sequences=["AC", "GT", "AA", "CC"], labels=["a", "a", "b", "a"],
    ...               ids=["1", "2", "3", "4"], origins=[("t.tsv", i) for i in range(2, 6)])
    >>> kept, dropped = drop_rare_classes(ex, 2)
    >>> kept.ids, dropped
    (['1', '2', '4'], (('b', 1),))
    """
    counts = Counter(examples.labels)
    rare = tuple((c, n) for c, n in sorted(counts.items()) if n < min_size)
    if not rare:
        return examples, ()
    names = {c for c, _ in rare}
    keep = [i for i, label in enumerate(examples.labels) if label not in names]
    return examples.subset(keep), rare


def check_stratifiable(examples: Examples, *, what: str) -> None:
    """Raise if a class has a single example, which ``what`` cannot stratify.

    A stratified split or fold assignment puts the lone example on one side only: either
    the model never trains on its class or the class is never evaluated. The error names
    the record and the two ways out (merge the class, or ``data.min_class_size``).

    Raises
    ------
    InputError
        Naming the file, line and record of the first single-example class.

    Examples
    --------
    >>> ex = Examples(sequences=["AC", "GT", "AA"], labels=["a", "a", "b"],
    ...               ids=["p1", "p2", "p3"], origins=[("t.tsv", i) for i in range(2, 5)])
    >>> check_stratifiable(ex, what="a stratified split")
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: t.tsv:4: record 'p3': class 'b' has a single example, ...
    """
    counts = Counter(examples.labels)
    single = sorted(c for c, n in counts.items() if n == 1)
    if not single:
        return
    i = examples.labels.index(single[0])
    path, line = examples.origins[i]
    k = len(single) - 1
    others = f" (and {k} other class{'es' if k > 1 else ''})" if k else ""
    raise InputError(
        f"class '{single[0]}'{others} has a single example, which {what} cannot place on "
        "both sides; merge it into another class (label_map) or drop rare classes with "
        "data.min_class_size: 2",
        path=path,
        line=line or None,
        record=examples.ids[i],
    )


def chromosome_split(
    examples: Examples, chromosomes: Sequence[str], *, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of examples not on / on ``chromosomes``; ``(kept, held_out)``."""
    if examples.chroms is None:
        path = examples.origins[0][0] if examples.origins else None
        raise InputError(
            f"{what}: split by chromosome needs the chromosome of each example "
            "(a BED source, a 'chrom' column, or ids written chrom:start-end)",
            path=path,
        )
    wanted = set(chromosomes)
    on = np.array([c in wanted for c in examples.chroms], dtype=bool)
    if not on.any():
        seen = ", ".join(sorted(set(examples.chroms))[:10])
        raise InputError(f"{what}: no example on {sorted(wanted)}; chromosomes seen: {seen}")
    return np.flatnonzero(~on), np.flatnonzero(on)


def class_weights(labels: Sequence[str], classes: Sequence[str]) -> dict[str, float]:
    """Balanced class weights, ``n / (k * n_c)``, as scikit-learn's ``"balanced"``.

    Examples
    --------
    >>> class_weights(["0", "0", "0", "1"], ["0", "1"])
    {'0': 0.6666666666666666, '1': 2.0}
    """
    counts = Counter(labels)
    n, k = len(labels), len(classes)
    return {c: (n / (k * counts[c]) if counts[c] else 0.0) for c in classes}


def resolve_classes(
    parts: Sequence[Examples], *, positive: str | None, generated_negatives: bool
) -> tuple[str, str]:
    """The positive and negative class of a binary task, checking every label.

    The positive class is ``positive`` if given, else ``1``. At most one other label may
    occur; a third distinct label is an error that names the file and line where it
    first occurs.
    """
    pos = positive if positive is not None else "1"
    seen: dict[str, tuple[str, int]] = {}
    for part in parts:
        for label, origin in zip(part.labels, part.origins, strict=True):
            if label not in seen:
                seen[label] = origin
    if pos not in seen:
        first = next(iter(seen.values()), ("", 0))
        labels = ", ".join(sorted(seen)[:10])
        raise InputError(
            f"the positive class '{pos}' is not among the labels ({labels}); "
            "set 'positive:' in the configuration",
            path=first[0] or None,
        )
    others = [k for k in seen if k != pos]
    if len(others) > 1:
        counts = Counter(label for part in parts for label in part.labels)
        # the negative class is the most frequent other label; name the rarest stray one
        negative = max(others, key=lambda k: (counts[k], -others.index(k)))
        label = min(
            (k for k in others if k != negative), key=lambda k: (counts[k], -others.index(k))
        )
        path, line = seen[label]
        n = counts[label]
        raise InputError(
            f"unexpected label '{label}' ({n} example{'s' if n > 1 else ''}): a binary task "
            f"has the positive class '{pos}' and one negative class, here '{negative}'; "
            "fix the label, map it with label_map, or use task: multiclass",
            path=path,
            line=line or None,
        )
    negatives = [k for k in seen if k != pos]
    if negatives:
        return pos, negatives[0]
    if not generated_negatives:
        raise InputError(
            f"only the positive class '{pos}' occurs and no negatives are generated; "
            "add 'negatives: {shuffle: dinucleotide}' to the training source",
            path=next(iter(seen.values()))[0] or None,
        )
    return pos, ("0" if pos == "1" else f"not_{pos}")


def resolve_multiclass(
    parts: Sequence[Examples], *, classes: Sequence[str] | None
) -> tuple[str, ...]:
    """The classes of a multi-class task: ``classes`` if given (every label must be one of
    them; the first unknown label is an error naming its file and line), else the sorted
    labels seen. At least two classes are needed."""
    if classes is not None:
        classes = [normalise_label(c) for c in classes]
        allowed = set(classes)
        for part in parts:
            for label, (path, line) in zip(part.labels, part.origins, strict=True):
                if label not in allowed:
                    raise InputError(
                        f"unexpected label '{label}'; the configuration's classes are "
                        f"{', '.join(classes)}",
                        path=path,
                        line=line or None,
                    )
        return tuple(classes)
    seen = sorted({label for part in parts for label in part.labels})
    if len(seen) < 2:
        first = parts[0].origins[0][0] if parts and parts[0].origins else None
        raise InputError(f"a multi-class task needs at least 2 labels, found {seen}", path=first)
    return tuple(seen)


def _make_negatives(
    examples: Examples, spec: NegativesConfig, *, positive: str, negative: str, seed: int
) -> Examples:
    idx = [i for i, lab in enumerate(examples.labels) if lab == positive]
    shuffled = make_negative_sequences([examples.sequences[i] for i in idx], spec, seed=seed)
    k = spec.per_positive
    src = [i for i in idx for _ in range(k)]
    made = Examples(
        sequences=shuffled,
        labels=[negative] * len(shuffled),
        ids=[f"{examples.ids[i]}_shuf{j + 1}" for i in idx for j in range(k)],
        origins=[(examples.origins[i][0], 0) for i in src],
        chroms=None if examples.chroms is None else [examples.chroms[i] for i in src],
        groups=None if examples.groups is None else [examples.groups[i] for i in src],
        folds=None if examples.folds is None else [examples.folds[i] for i in src],
    )
    return Examples.concat([examples, made])


def fit_sequence(seq: str, length: int, *, pad: str = "N", crop: str = "centre") -> str:
    """One sequence cut or padded to ``length`` as :func:`fit_length` does it.

    Examples
    --------
    >>> fit_sequence("ABCDEFGH", 5, crop="ends"), fit_sequence("ACG", 5)
    ('ABFGH', 'NACGN')
    """
    if len(seq) == length:
        return seq
    if len(seq) > length and crop == "ends":
        return _crop_ends(seq, length)
    return pad_or_crop(seq, length, pad=pad)


def _crop_ends(seq: str, length: int) -> str:
    """The first ``length // 2`` and last ``length - length // 2`` letters (DeepLoc).

    Examples
    --------
    >>> _crop_ends("ABCDEFGH", 5)
    'ABFGH'
    """
    head = length // 2
    return seq[:head] + seq[len(seq) - (length - head) :]


def fit_length(
    examples: Examples,
    length: int,
    *,
    pad_short: bool,
    unknown: str = "N",
    crop: str = "centre",
) -> Examples:
    """Crop longer sequences around their centre (or keep both ends, ``crop="ends"``);
    pad or reject shorter ones.

    Raises
    ------
    InputError
        For the first sequence shorter than ``length`` when ``pad_short`` is false,
        naming its file and line.
    """
    out: list[str] = []
    values = examples.values
    if values is not None and values and values[0].ndim == 2:  # per-position tracks
        values = [_fit_track(v, length, crop=crop) for v in values]
    for seq, (path, line), seq_id in zip(
        examples.sequences, examples.origins, examples.ids, strict=True
    ):
        if len(seq) < length and not pad_short:
            raise InputError(
                f"sequence '{seq_id}' is {len(seq)} long, shorter than the model input "
                f"({length}); set data.pad_short: true to pad it with {unknown}",
                path=path,
                line=line or None,
            )
        out.append(fit_sequence(seq, length, pad=unknown, crop=crop))
    return Examples(
        sequences=out,
        labels=examples.labels,
        ids=examples.ids,
        origins=examples.origins,
        chroms=examples.chroms,
        groups=examples.groups,
        folds=examples.folds,
        values=values,
        unfitted=examples.as_read,
    )


def _fit_track(values: np.ndarray, length: int, *, crop: str = "centre") -> np.ndarray:
    """Crop or pad ``(T, n)`` per-position values to ``(T, length)`` exactly as
    :func:`~biodl.encode.pad_or_crop` does the sequence (centred, the odd position on the
    right); padded positions are NaN, so they never count in the loss or the metrics.

    Examples
    --------
    >>> _fit_track(np.array([[1.0, 2.0, 3.0]]), 6).tolist()
    [[nan, 1.0, 2.0, 3.0, nan, nan]]
    >>> _fit_track(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), 2).tolist()
    [[2.0, 3.0]]
    """
    n = values.shape[-1]
    if n == length:
        return values
    if n > length and crop == "ends":
        head = length // 2
        return np.concatenate([values[:, :head], values[:, n - (length - head) :]], axis=1)
    if n > length:
        left = (n - length) // 2
        return values[:, left : left + length]
    left = (length - n) // 2
    out = np.full((values.shape[0], length), np.nan, dtype=np.float32)
    out[:, left : left + n] = values
    return out


def build_splits(
    config: Config,
    *,
    input_length: int | None = None,
    preprocess: dict[str, Any] | None = None,
) -> DataSplits:
    """Read, split, label-check, add negatives and fit lengths for a configuration.

    Parameters
    ----------
    config
        The validated configuration.
    input_length
        Force the model input length (used when evaluating a trained model); else
        ``config.data.length``, else the most common training sequence length.
    preprocess
        Expression matrices: a fitted preprocessing state (a trained run's) applied to
        every split instead of fitting one on the training split.
    """
    seed = config.train.seed
    train_src = config.data.train
    by_column: dict[str, Examples] = {}
    if isinstance(train_src, PileupSource):
        train, column, _ = load_pileup_source(train_src, config)
        if column is not None:
            for name in ("valid", "test"):
                rows = [i for i, v in enumerate(column) if v == name]
                if getattr(config.data, name) is not None and not rows:
                    raise InputError(
                        f"data.{name} holds no labelled candidate (too few blocks, or no "
                        "candidate inside its regions)",
                        path=config.resolve(train_src.reads),
                    )
                if rows:
                    by_column[name] = train.subset(rows)
            train = train.subset([i for i, v in enumerate(column) if v == "train"])
    elif isinstance(train_src, MatrixSource | MultiViewSource | MoleculeSource):
        train, column = (
            load_matrix_source(train_src, config)
            if isinstance(train_src, MatrixSource)
            else load_molecule_source(train_src, config)
            if isinstance(train_src, MoleculeSource)
            else load_multiview_source(train_src, config)
        )
        if column is not None:
            for name in ("valid", "test"):
                rows = [i for i, v in enumerate(column) if v == name]
                if rows:
                    by_column[name] = train.subset(rows)
            train = train.subset([i for i, v in enumerate(column) if v == "train"])
    else:
        train = load_source(train_src, config)
    if len(train) == 0:
        raise InputError(
            "the training source has no examples",
            path=train.origins[0][0] if train.origins else None,
        )
    held: dict[str, Examples | None] = {"valid": None, "test": None, **by_column}
    specs = [("valid", config.data.valid), ("test", config.data.test)]
    classified = task_class(config.task).classification
    dropped: tuple[tuple[str, int], ...] = ()
    if classified and config.data.min_class_size is not None:
        train, dropped = drop_rare_classes(train, config.data.min_class_size)
    if config.task == "binary" and len(set(train.labels)) > 2:
        # a stray third label is named as such, not as a class too rare to stratify
        resolve_classes([train], positive=default_positive(config), generated_negatives=True)
    if classified and any(isinstance(spec, FractionSplit) for _, spec in specs):
        check_stratifiable(train, what="a stratified split")
    n_source = len(train)
    # chromosome splits first, so that a fraction never takes examples of a held-out
    # chromosome (a validation set drawn before "test: chromosomes" would)
    specs.sort(key=lambda item: not isinstance(item[1], ChromosomeSplit))
    homology = config.data.homology
    clusters = None  # cluster of each remaining training example, computed once
    if homology is not None and any(isinstance(spec, FractionSplit) for _, spec in specs):
        clusters = cluster_sequences(
            train.sequences,
            identity=homology.identity,
            coverage=homology.coverage,
            method=homology.method,
        )
    scaffold_specs = {name: spec for name, spec in specs if isinstance(spec, ScaffoldSplit)}
    if scaffold_specs:  # valid and test together: MoleculeNet's rule fills them in turn
        assigned = scaffold_assignment(train, scaffold_specs, seed=seed)
        for name in scaffold_specs:
            held[name] = train.subset(np.flatnonzero(assigned == name))
        train = train.subset(np.flatnonzero(assigned == "train"))
        n_source = len(train) + sum(len(held[name] or ()) for name in scaffold_specs)
    for name, spec in specs:
        if spec is None or isinstance(spec, ScaffoldSplit | BlockSplit | RegionSplit):
            continue
        if isinstance(spec, FractionSplit):
            # fractions are of the whole source, also when valid was taken out first
            fraction = min(spec.fraction * n_source / len(train), 0.99)
            split_seed = seed + (name == "test")
            if clusters is not None:
                keep, out = homology_split(
                    train.sequences,
                    train.labels,
                    fraction=fraction,
                    seed=split_seed,
                    clusters=clusters,
                )
            else:
                keep, out = stratified_split(train.labels, fraction, seed=split_seed)
        elif isinstance(spec, ChromosomeSplit):
            keep, out = chromosome_split(train, spec.chromosomes, what=f"data.{name}")
        else:
            source = load_source(spec, config)
            if dropped:  # a class dropped from training has no output to be scored by
                gone = {c for c, _ in dropped}
                source = source.subset(
                    [i for i, label in enumerate(source.labels) if label not in gone]
                )
            held[name] = source
            continue
        held[name] = train.subset(out)
        train = train.subset(keep)
        if clusters is not None:
            clusters = clusters[keep]
    train_neg = getattr(train_src, "negatives", None)
    negatives: dict[str, NegativesConfig | None] = {"train": train_neg}
    for name in ("valid", "test"):
        spec = getattr(config.data, name)
        if isinstance(spec, FractionSplit | ChromosomeSplit):
            negatives[name] = train_neg
        else:
            negatives[name] = getattr(spec, "negatives", None)
    splits = finish_splits(
        config,
        {"train": train, **held},
        negatives,
        input_length=input_length,
        preprocess=preprocess,
    )
    return replace(splits, dropped=dropped) if dropped else splits


def scaffold_assignment(
    train: Examples, specs: dict[str, ScaffoldSplit], *, seed: int
) -> np.ndarray:
    """``(N,)`` ``train``/``valid``/``test`` of the training molecules by Bemis-Murcko
    scaffold, the held-out shares of ``specs`` assigned together."""
    valid, test = (specs[name].scaffold if name in specs else 0.0 for name in ("valid", "test"))
    balanced = any(spec.balanced for spec in specs.values())
    assigned = scaffold_split(
        train.sequences,
        fractions=(1.0 - valid - test, valid, test),
        seed=seed if balanced else None,
        balanced=balanced,
    )
    for name in specs:
        if not (assigned == name).any():
            raise InputError(
                f"the scaffold split leaves data.{name} empty: {len(train)} molecules are "
                "too few for its fraction",
                path=train.origins[0][0] if train.origins else None,
            )
    return np.asarray(assigned)


def finish_splits(
    config: Config,
    sets: dict[str, Examples | None],
    negatives: dict[str, NegativesConfig | None],
    *,
    input_length: int | None = None,
    preprocess: dict[str, Any] | None = None,
) -> DataSplits:
    """Check labels, generate negatives per split and fit lengths (steps 3-5 above);
    expression matrices get their preprocessing fitted on ``train`` alone (or the given
    ``preprocess`` state) and applied to every split."""
    seed = config.train.seed
    train = sets["train"]
    if train is None:  # pragma: no cover - callers always give a training set
        raise InputError("no training data")
    held = {k: v for k, v in sets.items() if k != "train"}
    parts = [train] + [e for e in held.values() if e is not None]
    kind = task_class(config.task)
    if not kind.classification:
        return _fit_all(config, dict(sets), input_length, classes=output_names(config))
    if kind is Multiclass:
        if any(v is not None for v in negatives.values()):
            raise InputError("generated negatives are for binary tasks, not multiclass")
        given = GENOTYPE_CLASSES if isinstance(config.data.train, PileupSource) else config.classes
        classes = resolve_multiclass(parts, classes=None if given is None else tuple(given))
        return _fit_all(config, dict(sets), input_length, classes=classes, preprocess=preprocess)
    positive, negative = resolve_classes(
        parts,
        positive=default_positive(config),
        generated_negatives=any(v is not None for v in negatives.values()),
    )
    sets = dict(sets)
    for offset, name in enumerate(("train", "valid", "test")):
        ex, spec_neg = sets.get(name), negatives.get(name)
        if ex is not None and spec_neg is not None:
            sets[name] = _make_negatives(
                ex, spec_neg, positive=positive, negative=negative, seed=seed * 7919 + offset
            )
    return _fit_all(
        config,
        sets,
        input_length,
        classes=(negative, positive),
        positive=positive,
        preprocess=preprocess,
    )


def _fit_all(
    config: Config,
    sets: dict[str, Examples | None],
    input_length: int | None,
    *,
    classes: tuple[str, ...],
    positive: str | None = None,
    preprocess: dict[str, Any] | None = None,
) -> DataSplits:
    train = sets["train"]
    if train is None:  # pragma: no cover - callers always give a training set
        raise InputError("no training data")
    layout: tuple[tuple[str, int], ...] = ()
    source = config.data.train
    state: dict[str, Any] | None = None
    if isinstance(source, MatrixSource | MultiViewSource):
        fitted, state, pipeline = _preprocess_matrices(config, sets, preprocess)
        length = 1
        layout = (("matrix_features", len(state["features_out"])),)
        if isinstance(pipeline, MultiViewPipeline):  # the view boundaries, for the models
            layout += pipeline.layout()
    elif isinstance(source, PileupSource):  # pileups of a fixed shape: nothing to fit
        fitted = dict(sets)
        layout = (("pileup_height", source.height), ("pileup_width", source.width))
        length = source.height * source.width
    elif isinstance(source, MoleculeSource):  # graphs and fingerprints: nothing to fit
        fitted = dict(sets)
        layout, length = molecule_layout(config, [e for e in sets.values() if e is not None])
    elif isinstance(source, TrackSource):  # windows cut to the input length: nothing to fit
        check_disjoint_windows(sets)
        fitted = dict(sets)
        length = source.length
    elif isinstance(source, CpgSource):  # packed inputs of a fixed shape: nothing to fit
        packing = CpgPacking(len(source.cpg), source.window, source.dna_length)
        layout, length = packing.layout, packing.length
        fitted = dict(sets)
    else:
        length = input_length or config.data.length or _typical_length(train)
        unknown = "X" if config.data.alphabet == "protein" else "N"
        fitted = {
            name: None
            if ex is None
            else fit_length(
                ex,
                length,
                pad_short=config.data.pad_short,
                unknown=unknown,
                crop=config.data.crop,
            )
            for name, ex in sets.items()
        }
    train_fit = fitted["train"]
    if train_fit is None:  # pragma: no cover - train is always set
        raise InputError("no training data")
    return DataSplits(
        train=train_fit,
        valid=fitted.get("valid"),
        test=fitted.get("test"),
        positive=positive if positive is not None else classes[-1],
        negative=classes[0] if positive is not None else "",
        input_length=length,
        classes=classes,
        task=config.task,
        per_position=config.per_position,
        layout=layout,
        preprocess=state,
    )


def molecule_kind(
    config: Config, layout: Sequence[tuple[str, int]] | Mapping[str, int] = ()
) -> MoleculeKind:
    """The input kind of a molecule configuration; ``layout`` (the splits' or a run's)
    gives the neighbour slots of packed graphs. Graphs are ragged
    (:class:`~biodl.encode.molecules.PackedGraphs`): each batch is padded to its own
    largest molecule."""
    data = config.data
    sizes = dict(layout)
    return MoleculeKind(
        featurizer=data.featurizer,
        radius=data.fingerprint.radius,
        n_bits=data.fingerprint.bits,
        counts=data.fingerprint.counts,
        max_neighbours=int(sizes.get("max_neighbours", MAX_NEIGHBOURS)),
        invalid=data.invalid,
        ragged=True,
    )


def molecule_layout(
    config: Config, sets: Sequence[Examples]
) -> tuple[tuple[tuple[str, int], ...], int]:
    """``(layout, input_length)`` of molecule splits: packed graphs get
    ``max_neighbours`` = the most bonded atoms of any atom in ``sets`` (at least
    :data:`~biodl.encode.molecules.MAX_NEIGHBOURS`) and the largest molecule as the
    input length; fingerprints and descriptors have no layout and length 1."""
    if config.data.featurizer != "graph":
        return (), 1
    smiles = [s for ex in sets for s in ex.sequences]
    sizes, degrees = graph_sizes(smiles)
    degree = int(degrees.max()) if smiles else 0
    atoms = int(sizes.max()) if smiles else 1
    kind = molecule_kind(config, {"max_neighbours": max(MAX_NEIGHBOURS, degree)})
    return kind.layout(), max(atoms, 1)


def matrix_values(examples: Examples) -> np.ndarray:
    """The raw ``(N, F)`` values of matrix examples (their ``features``)."""
    if examples.features is None or examples.feature_names is None:
        raise InputError("these examples are not rows of an expression matrix")
    if not examples.features:
        return np.zeros((0, len(examples.feature_names)), dtype=np.float32)
    return np.stack(examples.features)


def _preprocess_matrices(
    config: Config, sets: dict[str, Examples | None], given: dict[str, Any] | None
) -> tuple[dict[str, Examples | None], dict[str, Any], FittedPipeline]:
    """Every split's matrix preprocessed by a pipeline fitted on the training split alone
    (or by the ``given`` fitted state): features become ``(F', 1)`` float32."""
    train = sets["train"]
    assert train is not None
    assert train.feature_names is not None
    source = config.data.train
    if given is not None:
        pipeline = FittedPipeline.from_json(given)
    elif isinstance(source, MultiViewSource):  # each view's steps on its own columns
        default = [step.as_spec() for step in config.data.preprocess]
        pipeline = fit_views(
            matrix_values(train),
            train.feature_names,
            {
                name: default
                if view.preprocess is None
                else [step.as_spec() for step in view.preprocess]
                for name, view in source.views.items()
            },
            labels=list(train.labels),  # the training split's labels, nothing else
        )
    else:
        steps = [step.as_spec() for step in config.data.preprocess]
        pipeline = fit_pipeline(
            matrix_values(train),
            train.feature_names,
            steps,
            labels=list(train.labels),  # the training split's labels, nothing else
        )
    out: dict[str, Examples | None] = {}
    for name, ex in sets.items():
        if ex is None:
            out[name] = None
            continue
        where = ex.origins[0][0] if ex.origins else None
        assert ex.feature_names is not None
        X = pipeline.transform(matrix_values(ex), ex.feature_names, path=where)
        out[name] = replace(
            ex, features=list(X[:, :, None]), feature_names=list(pipeline.features_out)
        )
    return out, pipeline.to_json(), pipeline


def _typical_length(examples: Examples) -> int:
    counts = Counter(len(s) for s in examples.sequences)
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
