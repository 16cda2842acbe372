"""Gene function (complex) prediction from gene features, on held-out genes.

The supervised check of network features (deepNF's and BIONIC's "gene function
prediction"): can a classifier trained on some genes' labels predict the labels of
other genes from their features? Protocol of :func:`predict_function`:

- Only genes that have labels *and* features are used. They are split into ``K``
  folds of genes (:func:`gene_folds`); each fold is held out once.
- Everything is fitted on the training genes of the fold only: standardisation, the
  optional PCA, the classifier and its regularisation ``C``, chosen by an inner
  cross-validation over the training genes (the mean AUPR over the fold's labels).
  The held-out genes' labels are never read while fitting, so a fold's predictions do
  not change when the held-out labels do (tested). The features themselves must not
  have seen labels either: an unsupervised embedding (:func:`biodl.networks.fusion.fuse`)
  or PCA over all genes without labels (:func:`pca_reduce`) is leak-free.
- Multi-label, one-vs-rest: one binary classifier per label. A label with fewer than
  ``min_positives`` training genes in some fold is not trained in that fold and is
  left out of the metrics (listed in :attr:`FunctionScore.skipped`).
- Scores of the held-out genes are pooled over the folds (each gene is scored once),
  then AUPR (average precision) is computed per label (macro: their mean) and over all
  gene-label pairs (micro).
- Thresholded predictions: a gene gets each label whose classifier decides positive
  (decision function > 0), and at least its single highest-scoring label (every
  labelled gene has one). ``accuracy`` is the sample-averaged F1 of these label sets
  (BIONIC reports sample-averaged F1 as "accuracy"), over genes with at least one
  evaluated label; ``macro_f1`` / ``micro_f1`` are the per-label F1 averaged / pooled.

Differences from BIONIC-evals (read in the data set's SOURCE.md): BIONIC fits PCA and
standardisation on all genes before its 90/10 split, grids an RBF SVM's ``C`` and
``gamma`` and repeats 10 random splits; here ``K``-fold over genes with a logistic
regression (or RBF SVM) whose ``C`` is chosen on the training genes, so numbers are
comparable between feature sets here, not with the paper. Use the same folds for every
feature set (single networks, concatenation, fused) to compare them fairly.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> genes = [f"g{i}" for i in range(40)]
>>> labels = {g: ["A"] if i < 20 else ["B"] for i, g in enumerate(genes)}
>>> x = rng.normal(size=(40, 3)) + np.array([[2.0, 0, 0]]) * (np.arange(40) < 20)[:, None]
>>> folds = gene_folds(genes, n_folds=4, seed=0)
>>> score = predict_function(x, genes, labels, folds=folds, name="toy")
>>> score.macro_aupr > 0.8, sorted(score.per_label)
(True, ['A', 'B'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from biodl.errors import InputError
from biodl.metrics import average_precision
from biodl.progress import progress

__all__ = [
    "DEFAULT_C_GRID",
    "FunctionScore",
    "concatenate",
    "gene_folds",
    "pca_reduce",
    "predict_function",
]

Classifier = Literal["logistic", "svm"]

DEFAULT_C_GRID: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0)
"""Regularisation strengths the inner cross-validation chooses from."""


@dataclass(frozen=True)
class FunctionScore:
    """Cross-validated function prediction from one feature set.

    Attributes
    ----------
    name
        The feature set (``"Krogan-2006"``, ``"concatenation"``, ``"fused"``).
    per_label
        AUPR of each evaluated label on the held-out genes, pooled over folds.
    macro_aupr, micro_aupr
        Mean of ``per_label``; AUPR over all (gene, evaluated label) pairs.
    accuracy
        Sample-averaged F1 of the predicted label sets (BIONIC's "accuracy").
    macro_f1, micro_f1
        F1 of the thresholded predictions, averaged over labels / pooled.
    folds
        Held-out genes of each fold.
    skipped
        Labels left out: fewer than ``min_positives`` training genes in some fold.
    genes, labels
        Rows and columns of ``scores``: the labelled genes used, the evaluated labels.
    scores
        ``(n_genes, n_labels)`` decision values of each gene when held out.
    chosen_c
        The ``C`` the inner cross-validation chose, per fold.
    classifier
        ``logistic`` or ``svm``.
    """

    name: str
    per_label: dict[str, float]
    macro_aupr: float
    micro_aupr: float
    accuracy: float
    macro_f1: float
    micro_f1: float
    folds: list[list[str]]
    skipped: list[str] = field(default_factory=list)
    genes: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float64))
    chosen_c: list[float] = field(default_factory=list)
    classifier: str = "logistic"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the score matrix).

        Examples
        --------
        >>> s = FunctionScore("x", {"A": 1.0}, 1.0, 1.0, 1.0, 1.0, 1.0, [["g1"], ["g2"]])
        >>> sorted(s.to_dict())[:4]
        ['accuracy', 'chosen_c', 'classifier', 'folds']
        """
        return {
            "name": self.name,
            "macro_aupr": self.macro_aupr,
            "micro_aupr": self.micro_aupr,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "micro_f1": self.micro_f1,
            "n_genes": len(self.genes),
            "n_labels": len(self.per_label),
            "per_label": dict(self.per_label),
            "skipped": list(self.skipped),
            "classifier": self.classifier,
            "chosen_c": list(self.chosen_c),
            "folds": [list(f) for f in self.folds],
        }


def gene_folds(
    genes_with_labels: Sequence[str], *, n_folds: int = 5, seed: int = 0
) -> list[list[str]]:
    """Split genes into ``n_folds`` disjoint folds covering them all (held-out genes).

    The genes are de-duplicated and sorted, shuffled with ``seed`` and dealt round-robin,
    so the folds depend only on the set of genes and the seed; each fold is sorted.

    Examples
    --------
    >>> gene_folds(["d", "a", "c", "b", "e"], n_folds=2, seed=0)
    [['b', 'c', 'd'], ['a', 'e']]
    """
    unique = sorted(set(genes_with_labels))
    if n_folds < 2:
        raise InputError(f"n_folds must be >= 2, got {n_folds}")
    if len(unique) < n_folds:
        raise InputError(f"{len(unique)} labelled genes cannot be split into {n_folds} folds")
    order = np.random.default_rng(seed).permutation(len(unique))
    return [sorted(unique[i] for i in order[k::n_folds]) for k in range(n_folds)]


def concatenate(features: Sequence[np.ndarray]) -> np.ndarray:
    """Feature matrices side by side: ``(G, sum F_k)`` float32 (same gene rows).

    Examples
    --------
    >>> import numpy as np
    >>> concatenate([np.ones((2, 1)), np.zeros((2, 2))]).tolist()
    [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """
    if not features:
        raise InputError("nothing to concatenate")
    n = features[0].shape[0]
    if any(f.ndim != 2 or f.shape[0] != n for f in features):
        raise InputError(f"feature matrices must all have {n} rows (one per gene)")
    return np.hstack([np.asarray(f, dtype=np.float32) for f in features])


def pca_reduce(features: np.ndarray, *, n_components: int = 128, seed: int = 0) -> np.ndarray:
    """Unsupervised PCA of all rows (no labels): ``(G, min(n_components, G, F))`` float32.

    Fitting on every gene (labelled or not, as BIONIC-evals does) uses no label, so it
    does not leak held-out labels; it does see the held-out genes' features.

    Examples
    --------
    >>> import numpy as np
    >>> pca_reduce(np.random.default_rng(0).random((10, 6)), n_components=3).shape
    (10, 3)
    """
    from sklearn.decomposition import PCA

    k = min(n_components, features.shape[0], features.shape[1])
    if k >= features.shape[1]:
        return np.asarray(features, dtype=np.float32)
    solver = "randomized" if k < 0.8 * min(features.shape) else "full"
    out = PCA(n_components=k, svd_solver=solver, random_state=seed).fit_transform(features)
    return np.asarray(out, dtype=np.float32)


def _make_classifier(kind: Classifier, c: float, seed: int) -> Any:
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=c, max_iter=1000)
    from sklearn.svm import SVC

    return SVC(C=c, kernel="rbf", gamma="scale", random_state=seed)


def _fit_scores(
    kind: Classifier,
    c: float,
    X_train: np.ndarray,
    Y_train: np.ndarray,
    X_test: np.ndarray,
    columns: np.ndarray,
    seed: int,
) -> np.ndarray:
    """Decision values ``(n_test, len(columns))``; NaN where a label had one class."""
    out = np.full((X_test.shape[0], len(columns)), np.nan)
    for j, col in enumerate(columns):
        y = Y_train[:, col]
        if y.all() or not y.any():
            continue
        model = _make_classifier(kind, c, seed).fit(X_train, y)
        out[:, j] = model.decision_function(X_test)
    return out


def _transform(
    X_train: np.ndarray, X_test: np.ndarray, pca: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Standardise (and PCA) fitted on the training rows only."""
    mean = X_train.mean(axis=0)
    sd = X_train.std(axis=0)
    sd[sd == 0] = 1.0
    a, b = (X_train - mean) / sd, (X_test - mean) / sd
    if pca is not None and pca < a.shape[1]:
        from sklearn.decomposition import PCA

        k = min(pca, a.shape[0] - 1)
        model = PCA(n_components=k, svd_solver="full", random_state=seed).fit(a)
        a, b = model.transform(a), model.transform(b)
    return a, b


def _choose_c(
    kind: Classifier,
    X: np.ndarray,
    Y: np.ndarray,
    columns: np.ndarray,
    grid: Sequence[float],
    inner_folds: int,
    pca: int | None,
    seed: int,
) -> float:
    """The ``C`` of ``grid`` with the best mean inner-CV AUPR over ``columns``."""
    if len(grid) == 1:
        return float(grid[0])
    order = np.random.default_rng(seed).permutation(X.shape[0])
    parts = [order[k::inner_folds] for k in range(inner_folds)]
    best, best_c = -np.inf, float(grid[0])
    for c in grid:
        aps: list[float] = []
        for k in range(inner_folds):
            val = parts[k]
            tr = np.concatenate([parts[i] for i in range(inner_folds) if i != k])
            a, b = _transform(X[tr], X[val], pca, seed)
            s = _fit_scores(kind, c, a, Y[tr], b, columns, seed)
            for j, col in enumerate(columns):
                y = Y[val, col]
                if y.any() and not np.isnan(s[:, j]).any():
                    aps.append(average_precision(y, s[:, j]))
        mean = float(np.mean(aps)) if aps else -np.inf
        if mean > best:
            best, best_c = mean, float(c)
    return best_c


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    den = 2 * tp + fp + fn
    return np.divide(2 * tp, den, out=np.zeros(tp.shape, dtype=np.float64), where=den > 0)


def predict_function(
    features: np.ndarray,
    genes: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    *,
    folds: list[list[str]],
    name: str = "features",
    classifier: Classifier = "logistic",
    min_positives: int = 3,
    c_grid: Sequence[float] = DEFAULT_C_GRID,
    inner_folds: int = 3,
    pca: int | None = None,
    seed: int = 0,
) -> FunctionScore:
    """Cross-validated one-vs-rest label prediction from gene features (see the module).

    Parameters
    ----------
    features
        ``(G, F)`` features, row ``i`` of gene ``genes[i]``.
    genes
        Row names of ``features``.
    labels
        ``{gene: labels}`` (:func:`biodl.io.network.read_gene_labels`).
    folds
        Held-out genes of each fold (:func:`gene_folds`): disjoint, each gene labelled
        and in ``genes``. Pass the same folds for every feature set.
    name
        The feature set's name in the result.
    classifier
        ``logistic`` (L2 logistic regression) or ``svm`` (RBF SVM, ``gamma="scale"``).
    min_positives
        Least training genes a label needs in every fold to be trained and evaluated.
    c_grid, inner_folds
        ``C`` values and the inner cross-validation (over training genes) choosing one.
    pca
        Components of a PCA fitted on each fold's standardised training rows (None:
        no PCA).
    seed
        Inner folds and PCA.

    Returns
    -------
    FunctionScore

    Raises
    ------
    InputError
        Folds that overlap, a fold gene without labels or features, a shape mismatch,
        no label with enough positives.
    """
    X = np.asarray(features)
    if X.ndim != 2 or X.shape[0] != len(genes):
        raise InputError(f"features of shape {X.shape} for {len(genes)} genes")
    if not np.isfinite(X).all():
        raise InputError(f"features {name!r} hold NaN or infinite values")
    if len(folds) < 2:
        raise InputError(f"at least 2 folds are needed, got {len(folds)}")
    if inner_folds < 2 or not c_grid:
        raise InputError("inner_folds must be >= 2 and c_grid non-empty")
    row = {g: i for i, g in enumerate(genes)}
    fold_of: dict[str, int] = {}
    for k, fold in enumerate(folds):
        for g in fold:
            if g in fold_of:
                raise InputError(f"gene {g!r} is in folds {fold_of[g]} and {k}")
            if g not in row:
                raise InputError(f"fold gene {g!r} has no features (not in the gene list)")
            if not labels.get(g):
                raise InputError(f"fold gene {g!r} has no labels")
            fold_of[g] = k
    used = sorted(fold_of)
    names = sorted({lab for g in used for lab in labels[g]})
    col = {lab: j for j, lab in enumerate(names)}
    Y = np.zeros((len(used), len(names)), dtype=bool)
    for i, g in enumerate(used):
        Y[i, [col[lab] for lab in labels[g]]] = True
    Xu = X[[row[g] for g in used]].astype(np.float64)
    fold_idx = np.array([fold_of[g] for g in used])

    scores = np.full(Y.shape, np.nan)
    trained = np.ones(len(names), dtype=bool)
    chosen: list[float] = []
    with progress(range(len(folds)), desc=f"function prediction ({name})", unit="fold") as bar:
        for k in bar:
            test, train = fold_idx == k, fold_idx != k
            # labels trainable in this fold: decided from training labels only
            columns = np.flatnonzero(Y[train].sum(axis=0) >= min_positives)
            trained[np.setdiff1d(np.arange(len(names)), columns)] = False
            if columns.size == 0:
                continue
            c = _choose_c(
                classifier, Xu[train], Y[train], columns, c_grid, inner_folds, pca, seed + k
            )
            chosen.append(c)
            a, b = _transform(Xu[train], Xu[test], pca, seed + k)
            s = _fit_scores(classifier, c, a, Y[train], b, columns, seed + k)
            scores[np.ix_(np.flatnonzero(test), columns)] = s
    keep = np.flatnonzero(trained & ~np.isnan(scores).any(axis=0))
    if keep.size == 0:
        raise InputError(
            f"no label has {min_positives} training genes in every fold; lower min_positives"
        )
    skipped = [names[j] for j in range(len(names)) if j not in set(keep.tolist())]
    Yk, Sk = Y[:, keep], scores[:, keep]
    per_label = {
        names[j]: average_precision(Yk[:, i], Sk[:, i]) for i, j in enumerate(keep.tolist())
    }
    micro = average_precision(Yk.ravel(), Sk.ravel())
    pred = Sk > 0
    top = np.argmax(Sk, axis=1)
    pred[np.arange(len(used)), top] = True  # at least one label per gene
    tp = (pred & Yk).sum(axis=0).astype(np.float64)
    fp = (pred & ~Yk).sum(axis=0).astype(np.float64)
    fn = (~pred & Yk).sum(axis=0).astype(np.float64)
    has = Yk.any(axis=1)
    g_tp = (pred & Yk).sum(axis=1)[has].astype(np.float64)
    g_fp = (pred & ~Yk).sum(axis=1)[has].astype(np.float64)
    g_fn = (~pred & Yk).sum(axis=1)[has].astype(np.float64)
    return FunctionScore(
        name=name,
        per_label=per_label,
        macro_aupr=float(np.mean(list(per_label.values()))),
        micro_aupr=float(micro),
        accuracy=float(_f1(g_tp, g_fp, g_fn).mean()),
        macro_f1=float(_f1(tp, fp, fn).mean()),
        micro_f1=float(_f1(tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True))[0]),
        folds=[list(f) for f in folds],
        skipped=skipped,
        genes=used,
        labels=[names[j] for j in keep.tolist()],
        scores=Sk,
        chosen_c=chosen,
        classifier=classifier,
    )
