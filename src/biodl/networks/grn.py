"""Gene-regulatory network inference: ranked regulator -> target edges from expression.

Four methods, each returning an :class:`EdgeScores` matrix (regulators by targets):

- ``trees`` (:func:`infer_trees`): GENIE3 (Huynh-Thu, Irrthum, Wehenkel & Geurts,
  PLoS ONE 5:e12776, 2010). One random forest (or extra-trees) regression per target
  gene on the candidate regulators, the edge score the impurity-decrease importance.
- ``neural`` (:func:`infer_neural`): one small multilayer perceptron per target, all
  trained at once as a single batched module, with a group-lasso penalty on each
  input's first-layer weights (the component-wise MLP, cMLP, of Tank, Covert, Foti,
  Shojaie & Fox, "Neural Granger Causality", IEEE TPAMI 44:4267, 2021, applied to
  steady states), averaged over bootstrap resamples; the edge score is the mean
  absolute input-gradient x input attribution.
- ``knockout`` (:func:`infer_knockout`): the knockout z-score of Prill, Marbach,
  Saez-Rodriguez et al. (PLoS ONE 5:e9202, 2010), ``|x_kj - wt_j| / sd_j`` for the
  sample where regulator ``k`` is knocked out (or down); needs perturbation samples.
- ``ensemble`` (:func:`combine_ranks`): the weighted mean normalised rank of the
  methods' scores per pair (weights :data:`ENSEMBLE_WEIGHTS`), the "wisdom of crowds"
  of Marbach et al. (Nat Methods 9:796, 2012).

:func:`infer` runs them all. Scores are comparable within one method's matrix only;
compare methods by rank (:meth:`EdgeScores.ranked`, :func:`combine_ranks`).

Examples
--------
>>> import numpy as np
>>> from biodl.io.grn import Expression
>>> rng = np.random.default_rng(0)
>>> x0 = rng.normal(size=60)
>>> values = np.c_[x0, 2 * x0 + 0.1 * rng.normal(size=60), rng.normal(size=60)]
>>> expr = Expression(genes=("A", "B", "C"), values=values, kinds=("steady",) * 60,
...                   perturbed=(None,) * 60, series=np.full(60, -1),
...                   times=np.full(60, np.nan), sources=("x",) * 60)
>>> edges = infer_trees(expr, options=TreeOptions(n_trees=20))
>>> sorted(edges.ranked()[:2])[0][:2]
('A', 'B')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from biodl.errors import InputError
from biodl.io.grn import Expression
from biodl.progress import progress

__all__ = [
    "ENSEMBLE_WEIGHTS",
    "GRN_METHODS",
    "EdgeScores",
    "NeuralOptions",
    "TreeOptions",
    "combine_ranks",
    "infer",
    "infer_knockout",
    "infer_neural",
    "infer_trees",
]

GRN_METHODS: tuple[str, ...] = ("trees", "neural", "ensemble")
"""Methods :func:`infer` accepts (``knockout`` is a component, not a choice: it joins the
ensemble whenever the data has knockout or knockdown samples)."""

ENSEMBLE_WEIGHTS: Mapping[str, float] = {"trees": 1.0, "neural": 0.1, "knockout": 1.0}
"""Default weights of :func:`infer`'s ensemble (a weighted Borda count,
:func:`combine_ranks` with ``rule="rank"``).

Chosen once on the development data, DREAM4 In Silico Size100 networks 1-3, by the mean
AUPR over the three networks averaged over both settings (multifactorial data; all data
types, where the knockout z-scores join), never per network; networks 4-5 were not
looked at. Neural weights tried (20 bagged models, ``input_fraction`` 1; mean AUPR
multifactorial / all data): 1 (the plain Borda count) 0.172 / 0.328, 0.5 0.176 / 0.361,
0.33 0.180 / 0.376, 0.2 0.181 / 0.388, 0.1 0.183 / 0.397, 0 (no neural part) 0.184 /
0.394; the trees alone score 0.184 on the multifactorial data, the knockout z-scores
alone 0.364 on all data. The neural ranking is weaker than both (0.144 / 0.083), so it
is kept as a small tie-breaking vote. With the default ``input_fraction`` 0.3 the neural
ranking reaches 0.151 on multifactorial data and the weight-0.1 ensemble 0.186 (per
network 0.167, 0.154, 0.237 against the trees' 0.163, 0.151, 0.237). Summing each
method's per-target normalised scores (``rule="score"``) did as well on multifactorial
data (0.185 at weight 0.1) but lost the knockout z-scores' lead on all data (0.285); the
rank product was below the rank mean in both settings."""


@dataclass(frozen=True)
class EdgeScores:
    """Confidence of each regulator -> target edge.

    Attributes
    ----------
    regulators, targets
        Gene names of the rows and the columns.
    scores
        ``(n_regulators, n_targets)`` float64; higher means a more likely edge. NaN for
        self pairs (a regulator that is the target) and pairs not scored.
    method
        The method that made them (``trees``, ``neural``, ``knockout``, ``ensemble``).

    Examples
    --------
    >>> import numpy as np
    >>> e = EdgeScores(("A", "B"), ("A", "B", "C"),
    ...                np.array([[np.nan, 0.5, 0.5], [0.9, np.nan, 0.1]]), "x")
    >>> e.ranked()
    [('B', 'A', 0.9), ('A', 'B', 0.5), ('A', 'C', 0.5), ('B', 'C', 0.1)]
    >>> e.top(1)
    [('B', 'A', 0.9)]
    """

    regulators: tuple[str, ...]
    targets: tuple[str, ...]
    scores: np.ndarray
    method: str

    def __post_init__(self) -> None:
        scores = np.array(self.scores, dtype=np.float64)
        shape = (len(self.regulators), len(self.targets))
        if scores.shape != shape:
            raise ValueError(f"scores must have shape {shape}, got {scores.shape}")
        scores[self.self_mask()] = np.nan
        object.__setattr__(self, "scores", scores)

    def self_mask(self) -> np.ndarray:
        """``(n_regulators, n_targets)`` bool: the self pairs."""
        return (
            np.asarray(self.regulators, dtype=object)[:, None]
            == np.asarray(self.targets, dtype=object)[None, :]
        )

    def order(self) -> np.ndarray:
        """Flat indices (row-major) of the finite scores, best first; ties broken by
        (regulator index, target index)."""
        flat = self.scores.ravel()
        idx = np.flatnonzero(np.isfinite(flat))
        return idx[np.lexsort((idx, -flat[idx]))]

    def ranked(self) -> list[tuple[str, str, float]]:
        """``(regulator, target, score)`` of every scored pair, most confident first.

        Self pairs and NaN scores are never listed; ties keep the order (regulator
        index, target index).
        """
        n_t = len(self.targets)
        flat = self.scores.ravel()
        return [
            (self.regulators[i // n_t], self.targets[i % n_t], float(flat[i])) for i in self.order()
        ]

    def top(self, k: int) -> list[tuple[str, str, float]]:
        """The ``k`` most confident edges (fewer when fewer are scored)."""
        return self.ranked()[: max(0, k)]

    @property
    def n_scored(self) -> int:
        """Number of pairs with a finite score."""
        return int(np.count_nonzero(np.isfinite(self.scores)))


@dataclass(frozen=True, kw_only=True)
class TreeOptions:
    """Settings of the GENIE3 tree ensembles (:func:`infer_trees`).

    Attributes
    ----------
    n_trees
        Trees per target (GENIE3: 1000; 500 changes little).
    max_features
        Candidate regulators tried per split: ``"sqrt"`` (GENIE3's default), ``"all"``
        / ``1.0``, or a fraction.
    ensemble
        ``random_forest`` (bootstrap samples, best split) or ``extra_trees`` (all
        samples, random cut points).
    min_samples_leaf
        Smallest leaf.
    """

    n_trees: int = 500
    max_features: str | float = "sqrt"
    ensemble: Literal["random_forest", "extra_trees"] = "random_forest"
    min_samples_leaf: int = 1


@dataclass(frozen=True, kw_only=True)
class NeuralOptions:
    """Settings of the per-target neural regressors (:func:`infer_neural`).

    Attributes
    ----------
    hidden
        Hidden units of each target's MLP.
    epochs
        Full-batch Adam steps.
    learning_rate
        Adam's step size.
    penalty
        Group-lasso weight: ``penalty * sum_r ||W1[t, r, :]||_2`` per target, summed
        with the per-target mean squared error (expression scaled to unit variance).
    weight_decay
        L2 weight on the output layer.
    n_models
        Models averaged (each on its own bootstrap resample and initialisation). On the
        DREAM4 Size100 multifactorial development networks 1-3 (``input_fraction``
        1) the mean AUPR of the average rose from 0.132 (5 models) to 0.144 (10 and
        20) and no further (0.141 with 50); 20 sits on that plateau.
    bootstrap
        Resample the samples with replacement for each model (else all samples).
    attribution
        ``gradient_input``: mean over samples of ``|dy_t/dx_r * x_r|``; ``weights``:
        the group norm ``||W1[t, r, :]||_2``.
    input_fraction
        Fraction of each target's candidate regulators one model sees (a random subset
        per model and target, as a random forest's feature bagging); 1: all. Each pair
        is scored by the mean over the models that saw it (with 20 models at 0.3, a
        pair goes unseen, score 0, with probability ``0.7**20``, under 0.1%). On the
        DREAM4 Size100 multifactorial development networks 1-3 (20 models), 0.3 raised
        the mean AUPR from 0.144 (1.0) to 0.151 and the AUROC from 0.625 to 0.668;
        it was the only value tried, by analogy with the forests' ``sqrt`` features.
    activation
        Hidden-layer nonlinearity, ``relu`` or ``tanh``.
    input_noise
        Standard deviation of Gaussian noise added to the (unit-variance) inputs, drawn
        afresh at every training step (noise injection, a Tikhonov-like smoothing
        regulariser); 0: none. The attributions use the clean inputs.
    target_batch
        Targets trained together; bounds memory (``None``: all at once).
    """

    hidden: int = 16
    epochs: int = 400
    learning_rate: float = 0.01
    penalty: float = 0.002
    weight_decay: float = 1e-3
    n_models: int = 20
    bootstrap: bool = True
    attribution: Literal["gradient_input", "weights"] = "gradient_input"
    input_fraction: float = 0.3
    activation: Literal["relu", "tanh"] = "relu"
    input_noise: float = 0.0
    target_batch: int | None = None


# ------------------------------------------------------------------------------ helpers


def _regulator_indices(expr: Expression, regulators: Sequence[str] | None) -> list[int]:
    index = expr.gene_index()
    if regulators is None:
        return list(range(expr.n_genes))
    out: list[int] = []
    seen: set[str] = set()
    for r in regulators:
        if r not in index:
            raise InputError(f"regulator {r!r} is not a gene of the expression data")
        if r in seen:
            raise InputError(f"regulator {r!r} is listed twice")
        seen.add(r)
        out.append(index[r])
    if not out:
        raise InputError("no regulators")
    return out


def _check_samples(expr: Expression, minimum: int = 2) -> None:
    if expr.n_samples < minimum:
        raise InputError(f"{expr.n_samples} samples; network inference needs at least {minimum}")
    if not np.isfinite(expr.values).all():
        raise InputError("the expression data has missing or infinite values")


def _standardise(values: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit variance (constant columns: zeros)."""
    sd = values.std(axis=0)
    sd[sd == 0] = 1.0
    return (values - values.mean(axis=0)) / sd


def _target_seed(seed: int, j: int) -> int:
    return int(np.random.SeedSequence([seed, j]).generate_state(1)[0])


def _normalise_columns(scores: np.ndarray) -> np.ndarray:
    """Each target's (column's) finite scores divided by their sum (GENIE3's
    per-target normalisation); a column summing to 0 stays 0."""
    total = np.nansum(scores, axis=0, keepdims=True)
    total[total == 0] = 1.0
    return scores / total


# ------------------------------------------------------------------------------- trees


def infer_trees(
    expr: Expression,
    *,
    regulators: Sequence[str] | None = None,
    options: TreeOptions = TreeOptions(),
    seed: int = 0,
    n_jobs: int = 1,
) -> EdgeScores:
    """GENIE3: a tree ensemble per target, importance = impurity decrease.

    Every gene is a target; its candidate regulators are ``regulators`` (default every
    gene) other than itself. Expression is scaled to unit variance first. scikit-learn's
    ``feature_importances_`` sum to 1 per target, GENIE3's per-target normalisation.
    Each target's forest has its own ``random_state`` derived from ``seed`` and the
    target's index, so results repeat at a given thread count.

    Parameters
    ----------
    expr
        ``(n_samples, n_genes)`` expression; every sample is used.
    regulators
        Candidate regulators (genes of ``expr``); default every gene.
    options
        Forest settings (:class:`TreeOptions`).
    seed
        Base random seed.
    n_jobs
        Threads per forest (scikit-learn's ``n_jobs``).

    Returns
    -------
    EdgeScores
        ``(n_regulators, n_genes)``; NaN for self pairs.

    Cost: ``n_genes`` forests of ``n_trees`` trees on ``n_samples`` rows, about
    ``O(n_genes * n_trees * sqrt(n_regulators) * n_samples log n_samples)``.
    """
    from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

    _check_samples(expr)
    if options.n_trees < 1:
        raise InputError(f"n_trees must be at least 1, got {options.n_trees}")
    reg_idx = _regulator_indices(expr, regulators)
    x = _standardise(expr.values)
    n_genes = expr.n_genes
    scores = np.full((len(reg_idx), n_genes), np.nan)
    max_features: str | float | None = options.max_features
    if max_features == "all":
        max_features = 1.0
    cls = RandomForestRegressor if options.ensemble == "random_forest" else ExtraTreesRegressor
    for j in progress(range(n_genes), desc="GENIE3 trees", unit="target"):
        rows = [k for k, g in enumerate(reg_idx) if g != j]
        if not rows:
            continue
        y = x[:, j]
        if np.ptp(y) == 0:  # a constant target: nothing explains it
            scores[rows, j] = 0.0
            continue
        model = cls(
            n_estimators=options.n_trees,
            max_features=max_features,
            min_samples_leaf=options.min_samples_leaf,
            random_state=_target_seed(seed, j),
            n_jobs=n_jobs,
        )
        model.fit(x[:, [reg_idx[k] for k in rows]], y)
        scores[rows, j] = model.feature_importances_
    return EdgeScores(tuple(expr.genes[i] for i in reg_idx), expr.genes, scores, "trees")


# ------------------------------------------------------------------------------ neural


def _fit_mlps(
    x_reg: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    options: NeuralOptions,
    seed: int,
) -> np.ndarray:
    """Train one MLP per target column of ``y`` at once; return ``(n_reg, n_targets)``
    attributions."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    X = torch.as_tensor(x_reg, dtype=torch.float32)
    Y = torch.as_tensor(y, dtype=torch.float32)
    M = torch.as_tensor(mask.T[:, :, None], dtype=torch.float32)  # (T, R, 1)
    n_t, n_r, h = Y.shape[1], X.shape[1], options.hidden
    bound1 = 1.0 / math.sqrt(n_r)
    bound2 = 1.0 / math.sqrt(h)
    W1 = ((torch.rand((n_t, n_r, h), generator=gen) * 2 - 1) * bound1).requires_grad_()
    b1 = ((torch.rand((n_t, h), generator=gen) * 2 - 1) * bound1).requires_grad_()
    W2 = ((torch.rand((n_t, h), generator=gen) * 2 - 1) * bound2).requires_grad_()
    b2 = torch.zeros(n_t).requires_grad_()
    opt = torch.optim.Adam([W1, b1, W2, b2], lr=options.learning_rate)

    act = torch.relu if options.activation == "relu" else torch.tanh

    def forward(inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pre = torch.einsum("nr,trh->nth", inputs, W1 * M) + b1
        return torch.einsum("nth,th->nt", act(pre), W2) + b2, pre

    for _ in range(options.epochs):
        opt.zero_grad()
        noisy = X
        if options.input_noise > 0:
            noisy = X + options.input_noise * torch.randn(X.shape, generator=gen)
        pred, _ = forward(noisy)
        mse = ((pred - Y) ** 2).mean(dim=0).sum()
        group = torch.sqrt(((W1 * M) ** 2).sum(dim=2) + 1e-12).sum()
        loss = mse + options.penalty * group + options.weight_decay * (W2**2).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        W = W1 * M
        if options.attribution == "weights":
            return np.asarray(torch.sqrt((W**2).sum(dim=2)).T.numpy(), dtype=np.float64)
        _, pre = forward(X)
        # act'(pre), (N, T, H)
        active = (pre > 0).float() if options.activation == "relu" else 1 - torch.tanh(pre) ** 2
        # d y_t / d x_r = sum_h W2[t, h] * act'(pre[n, t, h]) * W1[t, r, h]
        grad = torch.einsum("nth,th,trh->ntr", active, W2, W)
        attr = (grad * X[:, None, :]).abs().mean(dim=0)  # (T, R)
        return np.asarray(attr.T.numpy(), dtype=np.float64)


def infer_neural(
    expr: Expression,
    *,
    regulators: Sequence[str] | None = None,
    options: NeuralOptions = NeuralOptions(),
    seed: int = 0,
) -> EdgeScores:
    """Neural per-target regression with group-sparse inputs (cMLP, Tank et al. 2021).

    For each target gene ``t`` a one-hidden-layer ReLU MLP predicts ``x_t`` from the
    candidate regulators (its own input masked out). All targets' MLPs form one batched
    module with first-layer weights ``W1`` of shape ``(n_targets, n_regulators,
    hidden)``, trained full-batch with Adam on the per-target mean squared error plus
    ``penalty * sum_{t,r} ||W1[t, r, :]||_2`` (the group lasso of the component-wise MLP
    of Tank et al., "Neural Granger Causality", IEEE TPAMI 2021, here on steady states
    instead of lags), which drives the weights of unused regulators towards zero.
    ``n_models`` models, each on a bootstrap resample with its own initialisation, are
    averaged. The edge score is the mean absolute input-gradient x input of the
    regulator (or the group norm of its weights), normalised to sum 1 per target as in
    GENIE3.

    Parameters
    ----------
    expr
        ``(n_samples, n_genes)`` expression (every sample used, scaled to unit
        variance).
    regulators
        Candidate regulators; default every gene.
    options
        :class:`NeuralOptions`.
    seed
        Seeds the initialisations (a :class:`torch.Generator`) and the resamples; the
        result repeats at a given thread count.

    Returns
    -------
    EdgeScores
        ``(n_regulators, n_genes)``; NaN for self pairs.

    Memory and time scale with ``n_targets * n_regulators * hidden`` (the weights,
    times about four with Adam's state and gradients) plus ``n_samples * n_targets *
    n_regulators`` for the attribution: 100 genes take well under a megabyte and a few
    seconds per model on one CPU thread; 5,000 targets with 300 regulators and 16 hidden
    units about 100 MB of weights (``target_batch`` trains fewer targets at a time).
    """
    import torch

    _check_samples(expr, minimum=3)
    for name in ("hidden", "epochs", "n_models"):
        if getattr(options, name) < 1:
            raise InputError(f"neural {name} must be at least 1, got {getattr(options, name)}")
    if not options.input_noise >= 0:
        raise InputError(f"neural input_noise must be non-negative, got {options.input_noise}")
    reg_idx = _regulator_indices(expr, regulators)
    x = _standardise(expr.values)
    n = expr.n_samples
    n_genes = expr.n_genes
    mask = np.asarray(reg_idx)[:, None] != np.arange(n_genes)[None, :]  # (R, T)
    batch = options.target_batch or n_genes
    chunks = [np.arange(s, min(s + batch, n_genes)) for s in range(0, n_genes, batch)]
    total = np.zeros((len(reg_idx), n_genes))
    hits = np.zeros((len(reg_idx), n_genes))
    rng = np.random.default_rng(seed)
    runs = [(m, c) for m in range(options.n_models) for c in range(len(chunks))]
    samples = [
        rng.integers(0, n, size=n) if options.bootstrap else np.arange(n)
        for _ in range(options.n_models)
    ]
    with torch.inference_mode(False):
        for m, c in progress(runs, desc="neural GRN", unit="model"):
            cols = chunks[c]
            rows = samples[m]
            xs = x[rows]
            # re-standardise the resample (a bootstrap may change the scale a little)
            xs = _standardise(xs)
            seen = mask[:, cols]
            if options.input_fraction < 1.0:
                seen = seen & (rng.random(seen.shape) < options.input_fraction)
            attr = _fit_mlps(xs[:, reg_idx], xs[:, cols], seen, options, seed * 1000 + m * 97 + c)
            attr[~mask[:, cols]] = np.nan
            total[:, cols] += _normalise_columns(attr)
            hits[:, cols] += seen
    # average over the models that saw the pair (all of them when input_fraction is 1)
    scores = total / np.maximum(hits, 1)
    scores[~mask] = np.nan
    return EdgeScores(tuple(expr.genes[i] for i in reg_idx), expr.genes, scores, "neural")


# ---------------------------------------------------------------------------- knockout


def infer_knockout(
    expr: Expression, *, regulators: Sequence[str] | None = None
) -> EdgeScores | None:
    """Knockout / knockdown z-scores (Prill et al., PLoS ONE 5:e9202, 2010).

    For the sample(s) where regulator ``k`` is knocked out, the score of ``k -> j`` is
    ``|x_kj - wt_j| / sd_j``: ``wt`` the mean of the wild-type samples (else the median
    over that kind's samples), ``sd`` the standard deviation of gene ``j`` over that
    kind's samples. Knockouts and knockdowns are scored apart and averaged where a
    regulator has both. Regulators never perturbed get NaN (not scored).

    Returns
    -------
    EdgeScores or None
        ``(n_regulators, n_genes)``, ``None`` when ``expr`` has no knockout or knockdown
        sample that names its perturbed gene.
    """
    reg_idx = _regulator_indices(expr, regulators)
    index = expr.gene_index()
    reg_row = {expr.genes[g]: k for k, g in enumerate(reg_idx)}
    wild = expr.mask(["wildtype"])
    total = np.zeros((len(reg_idx), expr.n_genes))
    count = np.zeros(len(reg_idx))
    for kind in ("knockout", "knockdown"):
        rows = [
            i
            for i in range(expr.n_samples)
            if expr.kinds[i] == kind and expr.perturbed[i] is not None
        ]
        if not rows:
            continue
        block = expr.values[rows]
        wt = expr.values[wild].mean(axis=0) if wild.any() else np.median(block, axis=0)
        sd = block.std(axis=0)
        sd[sd == 0] = np.inf  # a constant gene: no evidence
        z = np.abs(block - wt) / sd
        per_reg = np.zeros((len(reg_idx), expr.n_genes))
        hits = np.zeros(len(reg_idx))
        for r, i in enumerate(rows):
            gene = expr.perturbed[i]
            if gene is None or gene not in reg_row or gene not in index:
                continue
            per_reg[reg_row[gene]] += z[r]
            hits[reg_row[gene]] += 1
        seen = hits > 0
        total[seen] += per_reg[seen] / hits[seen, None]
        count[seen] += 1
    if not count.any():
        return None
    scores = np.full_like(total, np.nan)
    seen = count > 0
    scores[seen] = total[seen] / count[seen, None]
    return EdgeScores(tuple(expr.genes[i] for i in reg_idx), expr.genes, scores, "knockout")


# ---------------------------------------------------------------------------- ensemble


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values`` in descending order, ties given their mean rank.

    Examples
    --------
    >>> _average_ranks(np.array([0.5, 0.9, 0.5, 0.1])).tolist()
    [2.5, 1.0, 2.5, 4.0]
    """
    order = np.argsort(-values, kind="mergesort")
    sorted_v = -values[order]
    ranks = np.empty(values.shape[0])
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_v)) + 1]
    ends = np.r_[starts[1:], values.shape[0]]
    for s, e in zip(starts, ends, strict=True):
        ranks[order[s:e]] = (s + e + 1) / 2.0
    return ranks


def combine_ranks(
    parts: Sequence[EdgeScores],
    *,
    method: str = "ensemble",
    weights: Sequence[float] | None = None,
    rule: Literal["rank", "score", "rank_product"] = "rank",
) -> EdgeScores:
    """Combine several methods' edge scores pair by pair (the "wisdom of crowds" of
    Marbach et al., Nat Methods 9:796, 2012).

    ``rule`` gives each part's value of a pair, then the result is the (weighted) mean
    over the parts:

    * ``rank`` (Borda count): in a part with ``m`` scored pairs, the pair of (average,
      for ties) rank ``r`` (1 = best) gets ``1 - (r - 1) / m``, in ``(0, 1]``;
    * ``score``: the part's scores divided by their sum over each target (column), as
      GENIE3 normalises its importances, so a method's confident edges keep their
      margin instead of being flattened to ranks (scores must be non-negative);
    * ``rank_product``: the weighted geometric mean of the ``rank`` values.

    A pair that a part does not score gets 0 (ranked below all it scores; for
    ``rank_product`` ``1 / (2 m)``, half the lowest rank value). Regulators and targets
    are the union of the parts' (in first-seen order); a pair no part scores, and every
    self pair, is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> a = EdgeScores(("A", "B"), ("A", "B"), np.array([[0, 3.0], [1.0, 0]]), "a")
    >>> b = EdgeScores(("A", "B"), ("A", "B"), np.array([[0, 1.0], [5.0, 0]]), "b")
    >>> combine_ranks([a, b]).scores.tolist()
    [[nan, 0.75], [0.75, nan]]
    """
    if not parts:
        raise ValueError("combine_ranks needs at least one EdgeScores")
    w = np.ones(len(parts)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(parts),) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be one non-negative number per part, not all zero")
    if rule not in ("rank", "score", "rank_product"):
        raise ValueError(f"unknown combination rule {rule!r}")
    regs = list(dict.fromkeys(r for p in parts for r in p.regulators))
    tgts = list(dict.fromkeys(t for p in parts for t in p.targets))
    r_at = {r: i for i, r in enumerate(regs)}
    t_at = {t: i for i, t in enumerate(tgts)}
    total = np.zeros((len(regs), len(tgts)))
    scored = np.zeros((len(regs), len(tgts)), dtype=bool)
    for part, weight in zip(parts, w, strict=True):
        ok = np.isfinite(part.scores)
        m = int(ok.sum())
        if m == 0:
            continue
        value = np.zeros(part.scores.shape)
        if rule == "score":
            if (part.scores[ok] < 0).any():
                raise ValueError(f"rule 'score' needs non-negative scores ({part.method})")
            value[ok] = part.scores[ok]
            value = _normalise_columns(value)
        else:
            value[ok] = 1.0 - (_average_ranks(part.scores[ok]) - 1.0) / m
        if rule == "rank_product":
            value[~ok] = 0.5 / m
            value = np.log(value)
        ri = np.array([r_at[r] for r in part.regulators], dtype=np.intp)
        ti = np.array([t_at[t] for t in part.targets], dtype=np.intp)
        if rule == "rank_product":
            # a pair outside this part's rows/columns: the same floor as an unscored one
            block = np.full((len(regs), len(tgts)), np.log(0.5 / m))
            block[np.ix_(ri, ti)] = value
            total += weight * block
        else:
            total[np.ix_(ri, ti)] += weight * value
        scored[np.ix_(ri, ti)] |= ok
    scores = total / w.sum()
    if rule == "rank_product":
        scores = np.exp(scores)
    scores[~scored] = np.nan
    return EdgeScores(tuple(regs), tuple(tgts), scores, method)


def infer(
    expr: Expression,
    *,
    method: str = "ensemble",
    regulators: Sequence[str] | None = None,
    trees: TreeOptions = TreeOptions(),
    neural: NeuralOptions = NeuralOptions(),
    seed: int = 0,
    n_jobs: int = 1,
    all_components: bool = True,
    ensemble_weights: Mapping[str, float] | None = None,
) -> dict[str, EdgeScores]:
    """Run the methods and their ensemble.

    Parameters
    ----------
    method
        One of :data:`GRN_METHODS`.
    all_components
        Compute every component (``trees``, ``neural`` and, when the data has knockout
        or knockdown samples, ``knockout``) whatever ``method`` is; ``False`` computes
        only what ``method`` needs.
    ensemble_weights
        Weight of each component in the ensemble, by name (a component not named gets
        weight 1); default :data:`ENSEMBLE_WEIGHTS`.

    Returns
    -------
    dict
        ``{"trees": ..., "neural": ..., "knockout": ... (when present), method: ...}``;
        ``ensemble`` is the weighted :func:`combine_ranks` (Borda count) of the
        components.
    """
    if method not in GRN_METHODS:
        raise InputError(f"unknown GRN method {method!r}; use one of {', '.join(GRN_METHODS)}")
    need = set(GRN_METHODS[:2]) if all_components or method == "ensemble" else {method}
    out: dict[str, EdgeScores] = {}
    if "trees" in need:
        out["trees"] = infer_trees(
            expr, regulators=regulators, options=trees, seed=seed, n_jobs=n_jobs
        )
    if "neural" in need:
        out["neural"] = infer_neural(expr, regulators=regulators, options=neural, seed=seed)
    if all_components or method == "ensemble":
        knock = infer_knockout(expr, regulators=regulators)
        if knock is not None:
            out["knockout"] = knock
    if method == "ensemble":
        weights = ENSEMBLE_WEIGHTS if ensemble_weights is None else ensemble_weights
        out["ensemble"] = combine_ranks(
            list(out.values()),
            method="ensemble",
            weights=[weights.get(name, 1.0) for name in out],
        )
    return out
