"""Does the model beat a k-mer baseline? (``assessment.json`` key ``baseline``)

A deep model that does no better than a linear model of k-mer frequencies has learnt
nothing the k-mer content does not already say. :func:`kmer_features` makes the
features (DNA/RNA: the 3-, 4- and 5-mer spectra; proteins: amino-acid and dipeptide
composition), :func:`fit_baseline` fits scikit-learn's logistic regression
(classification; one per output for multi-label) or ridge regression (regression) on
the training split, choosing the regularisation on the valid split, and
:func:`baseline` compares it with the model on the test split, with a paired bootstrap
interval of the difference in the headline metric.

Expression-matrix runs (:func:`matrix_baseline`, called by :func:`baseline`) have no
sequences: the baselines are a logistic regression (:func:`fit_baseline`) and a linear
SVM (scikit-learn's ``LinearSVC``, scores from its ``decision_function``; ridge and
``LinearSVR`` for regression) fitted on the run's *preprocessed* training features
(the model's own input, so a selection fitted on the training split is shared), each
compared with the model on the test split; the flag is the worse of the two.

Molecule runs (:func:`molecule_baseline`): a logistic regression (classification) or a
linear SVR (regression) on ECFP4 fingerprints (Morgan radius 2, 2048 bits) of the
training molecules, ``C`` chosen on valid, compared with the model on test.

Examples
--------
>>> kmer_features(["ACGT", "AAAA"], alphabet="dna", k=(1,)).tolist()
[[0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np

from biodl.assess._encode import split_logits
from biodl.assess._scoring import metric_value, paired_bootstrap, summarise
from biodl.assess.types import AssessInputs, Flag, Item
from biodl.encode import kmer_counts
from biodl.io import AlphabetName
from biodl.tasks import Multiclass, Task

__all__ = [
    "KmerBaseline",
    "LinearSvmBaseline",
    "baseline",
    "default_k",
    "fit_baseline",
    "fit_linear_svm",
    "kmer_features",
    "matrix_baseline",
    "molecule_baseline",
]

_C_GRID = (0.01, 0.1, 1.0)
_ALPHA_GRID = (1.0, 10.0, 100.0, 1000.0)


def default_k(alphabet: str) -> tuple[int, ...]:
    """``(3, 4, 5)`` for DNA/RNA, ``(1, 2)`` for proteins."""
    return (1, 2) if alphabet == "protein" else (3, 4, 5)


def kmer_features(
    sequences: Sequence[str], *, alphabet: str, k: Sequence[int] | None = None
) -> np.ndarray:
    """Concatenated k-mer frequency profiles, ``(N, sum_k C**k)`` float32.

    Each block sums to 1 per sequence (0 for a sequence without a whole k-mer of known
    letters); lower case accepted, ``N``/``X`` skipped.
    """
    ks = tuple(k) if k is not None else default_k(alphabet)
    name = cast(AlphabetName, alphabet)
    blocks = [kmer_counts(list(sequences), kk, alphabet=name) for kk in ks]
    return np.concatenate(blocks, axis=1).astype(np.float32)


def _sample(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


class KmerBaseline:
    """One fitted scikit-learn estimator per output (one in all for multi-class)."""

    def __init__(self, task: Task, n_out: int, models: list[Any], constants: list[float]) -> None:
        self.task, self.n_out, self.models, self.constants = task, n_out, models, constants

    def predict(self, X: np.ndarray) -> np.ndarray:
        if isinstance(self.task, Multiclass):
            return self._class_scores(self.models[0], X)
        cols = []
        for model, const in zip(self.models, self.constants, strict=True):
            if model is None:
                cols.append(np.full(X.shape[0], const))
            elif not self.task.probabilistic:
                cols.append(model.predict(X))
            else:
                cols.append(self._positive_scores(model, X))
        return np.stack(cols, axis=1)

    def _class_scores(self, model: Any, X: np.ndarray) -> np.ndarray:
        proba = np.zeros((X.shape[0], self.n_out))
        proba[:, model.classes_.astype(np.int64)] = model.predict_proba(X)
        return proba

    def _positive_scores(self, model: Any, X: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict_proba(X)[:, 1])


def _fit_one(task: Task, X: np.ndarray, y: np.ndarray, strength: float) -> Any:
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if not task.probabilistic:
        return make_pipeline(StandardScaler(), Ridge(alpha=strength)).fit(X, y)
    clf = LogisticRegression(C=strength, max_iter=300)
    return make_pipeline(StandardScaler(), clf).fit(X, y.astype(np.int64))


def _fit_outputs(
    task: Task, X: np.ndarray, y: np.ndarray, fit_one: Callable[[np.ndarray, np.ndarray], Any]
) -> tuple[list[Any], list[float]]:
    """One estimator per output (``fit_one(X, y)``; one in all for multi-class), and the
    constant score of an output whose training targets hold a single value."""
    if isinstance(task, Multiclass):
        keep = ~np.isnan(y[:, 0])
        return [fit_one(X[keep], y[keep, 0])], [0.0]
    models: list[Any] = []
    constants: list[float] = []
    for t in range(y.shape[1]):
        keep = ~np.isnan(y[:, t])
        yt = y[keep, t]
        single = yt.size == 0 or (task.probabilistic and len(np.unique(yt)) < 2)
        constants.append(float(yt.mean()) if yt.size else 0.0)
        models.append(None if single else fit_one(X[keep], yt))
    return models, constants


def _fit_all(task: Task, X: np.ndarray, y: np.ndarray, n_out: int, strength: float) -> KmerBaseline:
    return KmerBaseline(
        task, n_out, *_fit_outputs(task, X, y, lambda a, b: _fit_one(task, a, b, strength))
    )


def _choose(
    task: Task,
    valid: tuple[np.ndarray, np.ndarray],
    grid: Sequence[float],
    fit: Callable[[float], KmerBaseline],
) -> tuple[Any, float]:
    """The fit of ``grid``'s value with the best headline metric on ``valid``."""
    best: tuple[float, float, KmerBaseline] | None = None
    for value in grid:
        model = fit(value)
        score = metric_value(task, valid[1], model.predict(valid[0]))
        score = -np.inf if np.isnan(score) else score
        if best is None or score > best[0]:
            best = (score, value, model)
    assert best is not None  # the grid is not empty
    return best[2], best[1]


def fit_baseline(
    task: Task,
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    n_outputs: int,
    strength: float | None = None,
) -> tuple[KmerBaseline, float]:
    """Fit the baseline on ``(X, y)`` of the training split.

    Parameters
    ----------
    task
        The run's task: logistic regression for probabilities (one multinomial model
        for multi-class), ridge regression for values.
    train, valid
        Features ``(N, F)`` and targets ``(N, T)`` (NaN where missing).
    n_outputs
        Columns of the prediction (classes for multi-class).
    strength
        Logistic regression's ``C`` (ridge's ``alpha``); None chooses it on ``valid``
        from a small grid by the headline metric (``C = 1``, ``alpha = 10`` without valid).

    Returns
    -------
    model, strength
        An object with ``predict(X) -> (N, n_outputs)`` scores, and the strength used.
    """
    grid = _C_GRID if task.probabilistic else _ALPHA_GRID
    if strength is not None or valid is None or len(valid[1]) == 0:
        chosen = strength if strength is not None else (1.0 if task.probabilistic else 10.0)
        return _fit_all(task, *train, n_outputs, chosen), chosen
    return _choose(task, valid, grid, lambda v: _fit_all(task, *train, n_outputs, v))


class LinearSvmBaseline(KmerBaseline):
    """Fitted linear SVMs (one per output; one multi-class one-vs-rest SVM for
    multi-class) whose ``predict`` gives scores: the ``decision_function`` through a
    logistic (softmax for multi-class), a monotone map that keeps AUROC and the argmax;
    the values for regression (``LinearSVR``)."""

    def _class_scores(self, model: Any, X: np.ndarray) -> np.ndarray:
        d = np.asarray(model.decision_function(X), dtype=np.float64)
        classes = model.classes_.astype(np.int64)
        if d.ndim == 1:  # two classes seen in training: one decision value
            d = np.stack([-d, d], axis=1)
        z = np.full((X.shape[0], self.n_out), -np.inf)
        z[:, classes] = d
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def _positive_scores(self, model: Any, X: np.ndarray) -> np.ndarray:
        d = np.clip(np.asarray(model.decision_function(X), dtype=np.float64), -50, 50)
        return 1.0 / (1.0 + np.exp(-d))


def _svm_one(task: Task, X: np.ndarray, y: np.ndarray, C: float) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC, LinearSVR

    if not task.probabilistic:
        svr = LinearSVR(C=C, max_iter=5000, random_state=0)
        return make_pipeline(StandardScaler(), svr).fit(X, y)
    svc = LinearSVC(C=C, max_iter=5000, random_state=0)
    return make_pipeline(StandardScaler(), svc).fit(X, y.astype(np.int64))


def _svm_all(task: Task, X: np.ndarray, y: np.ndarray, n_out: int, C: float) -> LinearSvmBaseline:
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = _fit_outputs(task, X, y, lambda a, b: _svm_one(task, a, b, C))
    return LinearSvmBaseline(task, n_out, *fitted)


def fit_linear_svm(
    task: Task,
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    n_outputs: int,
    strength: float | None = None,
) -> tuple[LinearSvmBaseline, float]:
    """Fit standardised linear SVMs (``LinearSVC``; ``LinearSVR`` for regression) on
    ``(X, y)`` of the training split, choosing ``C`` on ``valid`` from a small grid by
    the headline metric (``C = 1`` without valid), as :func:`fit_baseline` does."""
    if strength is not None or valid is None or len(valid[1]) == 0:
        chosen = strength if strength is not None else 1.0
        return _svm_all(task, *train, n_outputs, chosen), chosen
    return _choose(task, valid, _C_GRID, lambda v: _svm_all(task, *train, n_outputs, v))


def baseline(
    inputs: AssessInputs,
    *,
    k: Sequence[int] | None = None,
    strength: float | None = None,
    margin: float = 0.02,
    n_boot: int = 1000,
    max_train: int = 20000,
) -> Item:
    """Compare the model with a k-mer linear baseline on the test split.

    Parameters
    ----------
    inputs
        Needs ``train`` and ``test`` splits (``valid`` to choose the regularisation) and
        the model's logits on ``test`` (or the model).
    k
        k-mer lengths; default ``(3, 4, 5)`` for DNA/RNA, ``(1, 2)`` for proteins.
    strength
        Fixed ``C`` (``alpha`` for ridge) instead of choosing it on valid.
    margin
        Amber when the model beats the baseline by less than this (headline metric).
    n_boot
        Paired bootstrap resamples of the test examples.
    max_train
        At most this many training examples (a seeded sample) fit the baseline.

    Returns
    -------
    Item
        Key ``baseline``; values ``metric``, ``model``, ``baseline`` and ``difference``
        (each ``{"value", "ci"}``, difference = model - baseline), ``features``,
        ``strength``, ``n_train``, ``n_test``.
    """
    kind = inputs.task_kind
    metric = kind.headline
    rule = (
        f"red when the 95 % paired-bootstrap interval of {metric}(model) - "
        f"{metric}(k-mer baseline) on test includes or is below 0; amber when the model is "
        f"better by less than {margin:g}; green otherwise"
    )
    train, test = inputs.splits.get("train"), inputs.splits.get("test")
    logits = split_logits(inputs, "test")
    if train is None or test is None or logits is None or len(test) == 0:
        why = "needs train and test splits and the model's test outputs"
        return Item("baseline", "not_assessed", rule, f"Not assessed: {why}.", {})
    if inputs.is_matrix and logits.ndim == 2:
        return matrix_baseline(
            inputs,
            strength=strength,
            margin=margin,
            n_boot=n_boot,
            max_train=max_train,
            logits=logits,
        )
    if inputs.is_molecule and logits.ndim == 2:
        return molecule_baseline(
            inputs,
            strength=strength,
            margin=margin,
            n_boot=n_boot,
            max_train=max_train,
            logits=logits,
        )
    if logits.ndim != 2 or not all(train.sequences) or len(train) < 2:
        why = "per-position outputs or inputs that are not sequences"
        return Item("baseline", "not_assessed", rule, f"Not assessed: {why}.", {})
    ks = tuple(k) if k is not None else default_k(inputs.alphabet)
    values, diff = _compare_with_linear(
        inputs,
        logits,
        lambda sequences: kmer_features(sequences, alphabet=inputs.alphabet, k=k),
        fit_baseline,
        features=f"k-mer frequencies, k = {', '.join(map(str, ks))}",
        estimator="logistic regression" if kind.probabilistic else "ridge regression",
        strength=strength,
        n_boot=n_boot,
        max_train=max_train,
    )
    summary = (
        f"Test {metric}: model {_fmt(values['model'])}, k-mer baseline "
        f"{_fmt(values['baseline'])}; difference {_fmt(diff)}."
    )
    return Item("baseline", _flag(diff, margin), rule, summary, values)


def _compare_with_linear(
    inputs: AssessInputs,
    logits: np.ndarray,
    featurise: Callable[[list[str]], np.ndarray],
    fit: Callable[..., tuple[Any, Any]],
    *,
    features: str,
    estimator: str,
    strength: float | None,
    n_boot: int,
    max_train: int,
    chosen_on: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit a linear baseline (``fit``, its strength chosen on valid unless given) on the
    ``featurise``d training sequences (a seeded sample of ``max_train``), score it and
    the model on test with a paired bootstrap; the item's values and the difference
    (model - baseline). ``chosen_on``: also record where the strength was chosen."""
    kind = inputs.task_kind
    train, test = inputs.splits["train"], inputs.splits["test"]
    keep = _sample(len(train), max_train, inputs.seed)
    X_train = featurise([train.sequences[i] for i in keep])
    y_train = np.asarray(train.y, dtype=np.float64)[keep]
    valid_view = inputs.splits.get("valid")
    valid = None
    if valid_view is not None and len(valid_view) > 0:
        valid = (featurise(list(valid_view.sequences)), np.asarray(valid_view.y, float))
    fitted, used = fit(
        kind, (X_train, y_train), valid, n_outputs=logits.shape[1], strength=strength
    )
    y_test = np.asarray(test.y, dtype=np.float64)
    model_scores = inputs.scores(logits)
    base_scores = fitted.predict(featurise(list(test.sequences)))
    model_b, base_b = paired_bootstrap(
        kind, y_test, [model_scores, base_scores], n_boot=n_boot, seed=inputs.seed
    )
    m_point = metric_value(kind, y_test, model_scores)
    b_point = metric_value(kind, y_test, base_scores)
    diff = summarise(m_point - b_point, model_b - base_b)
    values: dict[str, Any] = {
        "metric": kind.headline,
        "model": summarise(m_point, model_b),
        "baseline": summarise(b_point, base_b),
        "difference": diff,
        "features": features,
        "estimator": estimator,
        "strength": used,
    }
    if chosen_on:
        values["strength_chosen_on"] = "valid" if valid is not None and strength is None else None
    values.update(n_train=len(keep), n_test=len(test), n_boot=n_boot)
    if isinstance(kind, Multiclass):
        values["mcc"] = {
            "model": _multiclass_mcc(y_test, model_scores, inputs.outputs),
            "baseline": _multiclass_mcc(y_test, base_scores, inputs.outputs),
        }
    return values, diff


def matrix_baseline(
    inputs: AssessInputs,
    *,
    strength: float | None = None,
    margin: float = 0.02,
    n_boot: int = 1000,
    max_train: int = 20000,
    logits: np.ndarray | None = None,
) -> Item:
    """Compare an expression-matrix model with linear baselines on the test split.

    A logistic regression (ridge for regression) and a linear SVM (``LinearSVC``;
    ``LinearSVR`` for regression), each on standardised features with its ``C`` chosen
    on valid (see :func:`fit_baseline`, :func:`fit_linear_svm`), are fitted on the
    preprocessed features of the training split (``SplitView.features``: the model's
    input, as the run's fitted pipeline made it) and scored on test with the model's
    headline metric (AUROC for binary, the task's headline for multi-class).

    Returns
    -------
    Item
        Key ``baseline``; as :func:`baseline`, with ``baseline`` and ``difference``
        those of the stronger baseline (``best``), and ``baselines``: per baseline
        (``logistic_regression``, ``linear_svm``) its ``estimator``, ``baseline``,
        ``difference``, ``strength`` and ``flag``. The flag is the worse of the two:
        red when the paired-bootstrap interval of a difference includes or is below 0,
        amber when the model is better by less than ``margin``.
    """
    kind = inputs.task_kind
    metric = kind.headline
    rule = (
        f"red when the 95 % paired-bootstrap interval of {metric}(model) - "
        f"{metric}(linear baseline) on test includes or is below 0 for the logistic "
        f"regression or the linear SVM on the preprocessed features; amber when the model "
        f"is better than either by less than {margin:g}; green otherwise"
    )
    train, test = inputs.splits.get("train"), inputs.splits.get("test")
    if logits is None:
        logits = split_logits(inputs, "test")
    if train is None or test is None or logits is None or len(test) == 0:
        why = "needs train and test splits and the model's test outputs"
        return Item("baseline", "not_assessed", rule, f"Not assessed: {why}.", {})
    if train.features is None or test.features is None or len(train) < 2:
        why = "needs the preprocessed features of two training samples or more and of test"
        return Item("baseline", "not_assessed", rule, f"Not assessed: {why}.", {})
    keep = _sample(len(train), max_train, inputs.seed)
    X_train = np.asarray(train.features, dtype=np.float64)[keep]
    y_train = np.asarray(train.y, dtype=np.float64)[keep]
    valid_view = inputs.splits.get("valid")
    valid = None
    if valid_view is not None and len(valid_view) > 0 and valid_view.features is not None:
        valid = (
            np.asarray(valid_view.features, dtype=np.float64),
            np.asarray(valid_view.y, dtype=np.float64),
        )
    n_out = logits.shape[1]
    lr, lr_c = fit_baseline(kind, (X_train, y_train), valid, n_outputs=n_out, strength=strength)
    svm, svm_c = fit_linear_svm(kind, (X_train, y_train), valid, n_outputs=n_out, strength=strength)
    X_test = np.asarray(test.features, dtype=np.float64)
    y_test = np.asarray(test.y, dtype=np.float64)
    model_scores = inputs.scores(logits)
    lr_scores, svm_scores = lr.predict(X_test), svm.predict(X_test)
    model_b, lr_b, svm_b = paired_bootstrap(
        kind, y_test, [model_scores, lr_scores, svm_scores], n_boot=n_boot, seed=inputs.seed
    )
    m_point = metric_value(kind, y_test, model_scores)
    probabilistic = kind.probabilistic
    entries: dict[str, dict[str, Any]] = {}
    for name, estimator, scores, boot, used in (
        (
            "logistic_regression",
            "logistic regression" if probabilistic else "ridge regression",
            lr_scores,
            lr_b,
            lr_c,
        ),
        (
            "linear_svm",
            "linear SVM (LinearSVC)" if probabilistic else "LinearSVR",
            svm_scores,
            svm_b,
            svm_c,
        ),
    ):
        point = metric_value(kind, y_test, scores)
        diff = summarise(m_point - point, model_b - boot)
        entries[name] = {
            "estimator": estimator,
            "baseline": summarise(point, boot),
            "difference": diff,
            "strength": used,
            "flag": _flag(diff, margin),
        }
    assessed = [e["flag"] for e in entries.values() if e["flag"] != "not_assessed"]
    severity = ("green", "amber", "red")
    flag: Flag = max(assessed, key=severity.index) if assessed else "not_assessed"

    def _point(name: str) -> float:
        value = entries[name]["baseline"]["value"]
        return -np.inf if value is None else float(value)

    best = max(entries, key=_point)
    values: dict[str, Any] = {
        "metric": metric,
        "model": summarise(m_point, model_b),
        "baseline": entries[best]["baseline"],
        "difference": entries[best]["difference"],
        "best": best,
        "baselines": entries,
        "features": f"preprocessed matrix features ({X_train.shape[1]})",
        "estimator": entries[best]["estimator"],
        "strength": entries[best]["strength"],
        "n_train": len(keep),
        "n_test": len(test),
        "n_boot": n_boot,
    }
    if isinstance(kind, Multiclass):
        values["mcc"] = {
            "model": _multiclass_mcc(y_test, model_scores, inputs.outputs),
            "logistic_regression": _multiclass_mcc(y_test, lr_scores, inputs.outputs),
            "linear_svm": _multiclass_mcc(y_test, svm_scores, inputs.outputs),
        }
    summary = (
        f"Test {metric}: model {_fmt(values['model'])}; logistic regression "
        f"{_fmt(entries['logistic_regression']['baseline'])} (difference "
        f"{_fmt(entries['logistic_regression']['difference'])}); linear SVM "
        f"{_fmt(entries['linear_svm']['baseline'])} (difference "
        f"{_fmt(entries['linear_svm']['difference'])}), on the preprocessed features."
    )
    return Item("baseline", flag, rule, summary, values)


def molecule_baseline(
    inputs: AssessInputs,
    *,
    strength: float | None = None,
    margin: float = 0.02,
    n_boot: int = 1000,
    max_train: int = 20000,
    logits: np.ndarray | None = None,
) -> Item:
    """Compare a molecule model with a linear model on ECFP4 fingerprints on test.

    The baseline reads the training molecules' ECFP4 fingerprints (Morgan radius 2,
    2048 bits, :func:`biodl.assess.molecules.fingerprint_features`): a standardised
    logistic regression for classification (:func:`fit_baseline`), a linear SVR for
    regression (:func:`fit_linear_svm`), ``C`` chosen on valid by the headline metric.
    A graph model that does not beat it has learnt nothing a fingerprint does not
    already say; a fingerprint model is compared with the linear model on its own kind
    of input.

    Returns
    -------
    Item
        Key ``baseline``; as :func:`baseline` (``metric``, ``model``, ``baseline``,
        ``difference``, ``features``, ``estimator``, ``strength``, ``n_train``,
        ``n_test``, ``n_boot``), with the same flag rule.
    """
    from biodl.assess.molecules import FP_DESCRIPTION, fingerprint_features

    kind = inputs.task_kind
    metric = kind.headline
    estimator = "logistic regression" if kind.probabilistic else "linear SVR"
    rule = (
        f"red when the 95 % paired-bootstrap interval of {metric}(model) - "
        f"{metric}(baseline: {estimator} on {FP_DESCRIPTION}) on test includes or is "
        f"below 0; amber when the model is better by less than {margin:g}; green otherwise"
    )
    train, test = inputs.splits.get("train"), inputs.splits.get("test")
    if logits is None:
        logits = split_logits(inputs, "test")
    if train is None or test is None or logits is None or len(test) == 0 or logits.ndim != 2:
        why = "needs train and test splits and the model's test outputs"
        return Item("baseline", "not_assessed", rule, f"Not assessed: {why}.", {})
    if len(train) < 2:
        why = "needs two training molecules or more"
        return Item("baseline", "not_assessed", rule, f"Not assessed: {why}.", {})
    values, diff = _compare_with_linear(
        inputs,
        logits,
        fingerprint_features,
        fit_baseline if kind.probabilistic else fit_linear_svm,
        features=FP_DESCRIPTION,
        estimator=estimator,
        strength=strength,
        n_boot=n_boot,
        max_train=max_train,
        chosen_on=True,
    )
    summary = (
        f"Test {metric}: model {_fmt(values['model'])}, {estimator} on {FP_DESCRIPTION} "
        f"{_fmt(values['baseline'])}; difference {_fmt(diff)}."
    )
    return Item("baseline", _flag(diff, margin), rule, summary, values)


def _multiclass_mcc(y: np.ndarray, scores: np.ndarray, classes: Sequence[str]) -> float | None:
    """Gorodkin's multi-class MCC (:func:`biodl.metrics.multiclass_metrics`) of the
    examples with a target."""
    from biodl.metrics import multiclass_metrics

    keep = ~np.isnan(y[:, 0])
    prob = scores[keep] / scores[keep].sum(axis=1, keepdims=True)
    names = [str(c) for c in classes]
    m = multiclass_metrics(y[keep, 0].astype(np.int64), prob, classes=names, n_bootstrap=0)
    value = m["mcc"]["value"]
    return None if value is None else float(value)


def _flag(diff: Mapping[str, Any], margin: float) -> Flag:
    if diff["value"] is None:
        return "not_assessed"
    lower = diff["ci"][0] if diff["ci"] is not None else diff["value"]
    if lower <= 0.0:
        return "red"
    return "amber" if diff["value"] < margin else "green"


def _fmt(entry: Mapping[str, Any]) -> str:
    if entry["value"] is None:
        return "n/a"
    text = f"{entry['value']:.3f}"
    if entry["ci"] is not None:
        text += f" [{entry['ci'][0]:.3f}, {entry['ci'][1]:.3f}]"
    return text
