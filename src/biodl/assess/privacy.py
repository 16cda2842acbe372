"""Does the model give away which examples it was trained on? (``assessment.json`` key
``privacy``)

Two parts, each with its own flag; the item's flag is the worse of the two.

**Membership-inference audit** (``membership``). A model that fits its training examples
better than unseen ones lets anyone holding it guess whether a given example was in the
training set. The audit plays that attacker with the model's own outputs:

* *members*: training examples; *non-members*: held-out examples the model never
  trained on, from the ``test`` split (else ``valid``, which said when to stop training
  and chose the decision threshold, so it is not entirely unseen: the item says so).
  Held-out examples whose sequence occurs verbatim in training are left out (they *are*
  members). The larger group is subsampled at random (``inputs.seed``) to the size of the
  smaller one (at most ``max_examples`` each), so that 0.5 is the chance level of every
  measure below;
* *loss attack* (Yeom et al. 2018): the per-example loss of the run's Task (its own
  ``Task.loss``, on the logits of the run's one prediction path): lower loss, member.
  For binary and multi-class cross-entropy the loss is ``-log`` of the probability of
  the true class, so the "true-class confidence" attack is this one;
* *confidence attack* (Shokri et al. 2017; Salem et al. 2019): the probability of the
  predicted (top) class, averaged over the outputs of a multi-label model: higher
  confidence, member. It needs no label, so anyone who can query the model can run it.
  Not defined for regression (the model gives values, not probabilities).

Each attack is scored by the AUROC of telling members from non-members (0.5: no better
than a coin; 1: perfect), with a percentile-bootstrap 95 % interval (resampling the
pooled examples, :mod:`biodl.assess._scoring`), and by the *membership advantage*
``max over thresholds (TPR - FPR)`` (Yeom et al. 2018: 0 for no leak, 1 for a perfect
attack). The better attack (higher AUROC) is the headline; taking the better of two
biases it slightly upwards, on the side of caution.

Thresholds on the headline AUROC: **red >= 0.65**; **amber >= 0.55, or a 95 % interval
whose lower bound is above 0.5** (a leak too small to matter on average but
statistically real); green otherwise. Why these: a loss-threshold attack's advantage is
bounded by the generalisation gap (Yeom et al. 2018), and well-regularised models sit
close to 0.5, while the over-fitted models of Shokri et al. (2017) reach 0.7-0.9; 0.55
is a gap clearly beyond sampling noise on a few hundred held-out examples, 0.65 one
where an attacker is right about two times in three. These average-case attacks
*understate* the risk: Carlini et al. (2022, "LiRA") show that attacks calibrated per
example with shadow models identify some members with high confidence at very low
false-positive rates even when the average AUROC is near 0.5. A green flag therefore
means "no leak visible to a simple attack", not "private"; only training with
differential privacy bounds the risk. When the held-out split comes from another
distribution (another source, chromosome or species), part of the AUROC is shift
rather than memorisation: the representation item says whether the splits look alike.

**What the run directory stores** (``storage``). Every file of the run directory is
listed and classed from its name (weights, metadata and provenance, configuration,
per-example tables, aggregate reports, logs, checkpoints) with a plain statement of
what it holds; a sample of training sequences is then searched for, verbatim, in every
file that is not weights or an image. biodl writes no sequence into a run directory
(``model.json`` holds data file paths with their sizes and SHA-256 checksums, not the
data), but ``splits.tsv.gz`` lists the id, label and source line of every example by
split (so it *says* which examples were trained on, no attack needed) and
``predictions.tsv`` holds an id, label and score per held-out example: per-example
information to keep with the data if the examples' identities are private. Amber when
a training sequence is found in a file; green otherwise.

Examples
--------
Members' losses all below non-members' (the attack scores ``-loss``: higher, member):

>>> attack_auroc(-np.array([0.1, 0.2]), -np.array([0.3, 0.4]), n_boot=0)["value"]
1.0
>>> attack_auroc(-np.array([0.1, 0.2]), -np.array([0.1, 0.2]), n_boot=0)["value"]
0.5
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from biodl.assess._encode import split_logits
from biodl.assess._scoring import bootstrap_counts, metric_from_counts, summarise
from biodl.assess.types import AssessInputs, Flag, Item, SplitView, worst_flag
from biodl.metrics import roc_curve
from biodl.tasks import Binary, Multiclass, Task

__all__ = [
    "AMBER",
    "RED",
    "attack_auroc",
    "classify_file",
    "per_example_loss",
    "privacy",
    "run_storage",
    "top_confidence",
]

#: Headline membership AUROC at or above which the audit is amber (also amber: a 95 %
#: interval above 0.5).
AMBER = 0.55
#: Headline membership AUROC at or above which the audit is red.
RED = 0.65

_SEQUENCE_SAMPLE = 300
_MIN_SEARCH_LENGTH = 20
_MAX_SEARCH_BYTES = 64 * 2**20
_BINARY_SUFFIXES = (".safetensors", ".png", ".jpg", ".jpeg", ".pdf", ".svg", ".onnx", ".pt")

_REFERENCES = (
    "Yeom et al. 2018 (loss attack, membership advantage); Shokri et al. 2017 and Salem "
    "et al. 2019 (confidence attacks); Carlini et al. 2022 (LiRA: average-case AUROC "
    "understates the risk to individual examples)"
)


# --- the attacks -------------------------------------------------------------------


def per_example_loss(task: Task, logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The run's training loss of each example, ``(N,)``; NaN where no target is observed.

    Each row goes through :meth:`biodl.tasks.Task.loss` on its own (no class or positive
    weights), so the value is exactly what training minimised for that example.

    Parameters
    ----------
    task
        The run's task.
    logits
        Raw outputs ``(N, T)`` (``(N, K)`` for multi-class).
    y
        Targets as :class:`biodl.assess.SplitView` holds them, ``(N, T)`` (multi-class:
        ``(N, 1)`` class index), NaN where missing.

    Examples
    --------
    >>> task = Binary(positive="1", negative="0")
    >>> loss = per_example_loss(task, np.array([[0.0], [2.0]]), np.array([[1.0], [0.0]]))
    >>> [round(float(v), 4) for v in loss]
    [0.6931, 2.1269]
    """
    z = np.asarray(logits, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    out = np.full(len(z), np.nan)
    first_only = isinstance(task, Binary | Multiclass)
    missing = np.isnan(target[:, 0]) if first_only else np.isnan(target).all(axis=1)
    rows = np.flatnonzero(~missing)
    if rows.size == 0:
        return out
    targets = torch.as_tensor(task.training_targets(target[rows]))
    zt = torch.as_tensor(z[rows], dtype=torch.float32)
    with torch.no_grad():
        for j, i in enumerate(rows.tolist()):
            out[i] = float(task.loss(zt[j : j + 1], targets[j : j + 1]))
    return out


def top_confidence(task: Task, logits: np.ndarray) -> np.ndarray | None:
    """The probability of the predicted class of each example, ``(N,)`` (multi-label: the
    mean over outputs of ``max(p, 1 - p)``); None for a regression task.

    Examples
    --------
    >>> task = Binary(positive="1", negative="0")
    >>> top_confidence(task, np.array([[0.0], [-np.log(3.0)]])).round(3).tolist()
    [0.5, 0.75]
    """
    if not task.probabilistic:
        return None
    p = task.score_matrix(np.asarray(logits, dtype=np.float64))
    if isinstance(task, Multiclass):
        return np.asarray(p.max(axis=1), dtype=np.float64)
    return np.asarray(np.maximum(p, 1.0 - p).mean(axis=1), dtype=np.float64)


def attack_auroc(
    member: np.ndarray, non_member: np.ndarray, *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """How well a score tells members from non-members; *higher score, member*.

    Returns
    -------
    dict
        ``value`` (AUROC, Mann-Whitney, ties count one half), ``ci`` (percentile 95 %
        bootstrap interval over resamples of the pooled examples; None without
        resamples) and ``advantage`` (``max(TPR - FPR)`` over thresholds, Yeom et al.
        2018).

    Examples
    --------
    >>> r = attack_auroc(np.array([3.0, 2.0, 1.0]), np.array([0.0, 1.0, 2.0]), n_boot=0)
    >>> round(r["value"], 4), round(r["advantage"], 4)
    (0.7778, 0.3333)
    """
    a = np.asarray(member, dtype=np.float64)
    b = np.asarray(non_member, dtype=np.float64)
    s = np.r_[a, b]
    y = np.r_[np.ones(a.size), np.zeros(b.size)]
    task = Binary(positive="1", negative="0")
    point = float(metric_from_counts(task, y[:, None], s[:, None], np.ones((1, s.size)))[0])
    samples = [
        metric_from_counts(task, y[:, None], s[:, None], counts)
        for counts in bootstrap_counts(s.size, n_boot, seed=seed)
    ]
    summary = summarise(point, np.concatenate(samples) if samples else np.empty(0))
    advantage = None
    if a.size and b.size:
        fpr, tpr, _ = roc_curve(y.astype(np.int64), s, drop_intermediate=False)
        advantage = float(np.max(tpr - fpr))
    return {"value": summary["value"], "ci": summary["ci"], "advantage": advantage}


def _membership_flag(auroc: float, ci: Sequence[float] | None, amber: float, red: float) -> Flag:
    if auroc >= red:
        return "red"
    if auroc >= amber or (ci is not None and ci[0] > 0.5):
        return "amber"
    return "green"


def _held_out(inputs: AssessInputs) -> tuple[str, SplitView] | None:
    for name in ("test", "valid"):
        view = inputs.splits.get(name)
        if view is not None and len(view):
            return name, view
    return None


def _pick(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    if k >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, size=k, replace=False))


def membership(
    inputs: AssessInputs,
    *,
    amber: float = AMBER,
    red: float = RED,
    n_boot: int = 1000,
    max_examples: int = 10_000,
) -> dict[str, Any]:
    """The membership-inference audit as a sub-check: ``flag``, ``count`` (pairs
    compared), ``summary`` and the values (see the module docstring)."""
    rule = (
        f"red when the better attack's AUROC >= {red:g}; amber when >= {amber:g} or its "
        "95 % interval lies above 0.5; green otherwise"
    )

    def not_assessed(why: str, **extra: Any) -> dict[str, Any]:
        return {
            "flag": "not_assessed",
            "count": 0,
            "examples": [],
            "rule": rule,
            "reason": why,
            **extra,
        }

    kind = inputs.task_kind
    train = inputs.splits.get("train")
    held = _held_out(inputs)
    if train is None or not len(train) or held is None:
        return not_assessed("needs a training split and a held-out (test or valid) split")
    split, other = held
    z_train, z_other = split_logits(inputs, "train"), split_logits(inputs, split)
    if z_train is None or z_other is None:
        return not_assessed("needs the model's outputs on the training and held-out splits")
    if z_train.ndim != 2 or z_other.ndim != 2:
        return not_assessed(
            "the model predicts per position and assess summarises per-position targets "
            "per sequence, so the per-example training loss cannot be recomputed"
        )
    note = ""
    if split == "valid":
        note = (
            "no test split: the non-members are the validation examples, which chose the "
            "best epoch (early stopping) and the decision threshold, so they are not "
            "entirely unseen and the leak may be understated"
        )
    loss_train = per_example_loss(kind, z_train, train.y)
    loss_other = per_example_loss(kind, z_other, other.y)
    keep_train = np.flatnonzero(~np.isnan(loss_train))
    keep_other = ~np.isnan(loss_other)
    copies = 0
    trained = {s for s in train.sequences if s}
    if trained:
        is_copy = np.array([s in trained for s in other.sequences], dtype=bool)
        copies = int((is_copy & keep_other).sum())
        keep_other &= ~is_copy
    keep_other_idx = np.flatnonzero(keep_other)
    n = min(keep_train.size, keep_other_idx.size, max_examples)
    if n == 0:
        return not_assessed(
            "no labelled held-out example that is not a copy of a training sequence",
            non_member_split=split,
        )
    rng = np.random.default_rng(inputs.seed)
    members = keep_train[_pick(keep_train.size, n, rng)]
    non_members = keep_other_idx[_pick(keep_other_idx.size, n, rng)]
    attacks: dict[str, Any] = {}
    loss = attack_auroc(
        -loss_train[members], -loss_other[non_members], n_boot=n_boot, seed=inputs.seed
    )
    attacks["loss"] = {
        "auroc": {"value": loss["value"], "ci": loss["ci"]},
        "advantage": loss["advantage"],
        "mean_member": float(np.mean(loss_train[members])),
        "mean_non_member": float(np.mean(loss_other[non_members])),
        "score": f"per-example training loss ({kind.name} task); lower loss: member",
    }
    conf_train, conf_other = top_confidence(kind, z_train), top_confidence(kind, z_other)
    if conf_train is not None and conf_other is not None:
        conf = attack_auroc(
            conf_train[members], conf_other[non_members], n_boot=n_boot, seed=inputs.seed
        )
        attacks["confidence"] = {
            "auroc": {"value": conf["value"], "ci": conf["ci"]},
            "advantage": conf["advantage"],
            "mean_member": float(np.mean(conf_train[members])),
            "mean_non_member": float(np.mean(conf_other[non_members])),
            "score": "probability of the predicted class (no label needed); higher: member",
        }
    defined = {k: v for k, v in attacks.items() if v["auroc"]["value"] is not None}
    values: dict[str, Any] = {
        "non_member_split": split,
        "non_member_note": note,
        "n_train": len(train),
        "n_held_out": len(other),
        "n_copies_dropped": copies,
        "n_members": n,
        "n_non_members": n,
        "attacks": attacks,
        "thresholds": {"amber": amber, "red": red},
        "references": _REFERENCES,
    }
    if not defined:
        return not_assessed("the attack AUROC is undefined on these examples", **values)
    head = max(defined, key=lambda k: defined[k]["auroc"]["value"])
    auroc = defined[head]["auroc"]
    flag = _membership_flag(float(auroc["value"]), auroc["ci"], amber, red)
    ci = auroc["ci"]
    ci_text = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
    summary = (
        f"The {head} attack tells {n} training examples from {n} {split} examples with "
        f"AUROC {auroc['value']:.3f}{ci_text} (0.5 = chance; advantage "
        f"{defined[head]['advantage']:.3f})."
    )
    return {
        "flag": flag,
        "count": n,
        "examples": [],
        "rule": rule,
        "summary": summary,
        "headline_attack": head,
        "auroc": auroc,
        "advantage": defined[head]["advantage"],
        **values,
    }


# --- what the run directory stores ---------------------------------------------------

#: ``(class, what it holds, per-example?)`` by file name; folders by their first part.
_BY_NAME: Mapping[str, tuple[str, str, bool]] = {
    "model.json": (
        "metadata",
        (
            "architecture, task, outputs, seed, software versions; the data files' paths, "
            "sizes and SHA-256 checksums and the split counts (no sequence, no label); "
            "the user, host and command line that trained it"
        ),
        False,
    ),
    "config.yaml": ("configuration", "the training options and the data files' paths", False),
    "splits.tsv.gz": (
        "per-example",
        (
            "one row per example: id, split, label and source file and line (no "
            "sequence); it says which examples were trained on"
        ),
        True,
    ),
    "predictions.tsv": (
        "per-example",
        "id, split, label and the model's score of each held-out example (no sequence)",
        True,
    ),
    "metrics.json": ("aggregate", "test and validation metrics with confidence intervals", False),
    "temperature.json": ("aggregate", "the fitted calibration temperature", False),
    "report.html": ("aggregate", "the training report: metrics and curves", False),
    "applicability.tsv": (
        "per-example",
        "one row per --data sequence of an assessment: id and its domain measures",
        True,
    ),
}


def classify_file(relative: str) -> tuple[str, str, bool]:
    """``(class, what it holds, holds per-example information)`` of one file of a run
    directory, from its path relative to the run directory.

    Examples
    --------
    >>> classify_file("model.safetensors")[0], classify_file("splits.tsv.gz")[2]
    ('weights', True)
    >>> classify_file("notes.txt")[0]
    'other'
    """
    path = Path(relative)
    name = path.name
    top = path.parts[0] if len(path.parts) > 1 else ""
    if name.endswith(".safetensors"):
        if top == "checkpoints":
            return (
                "checkpoint",
                "weights of the best/last epoch, kept to resume training (numbers only)",
                False,
            )
        return (
            "weights",
            (
                "the model's parameters (numbers only; they can memorise training "
                "examples, which the audit measures)"
            ),
            False,
        )
    if top == "checkpoints":
        return ("checkpoint", "training state to resume: optimiser, schedules, counters", False)
    if top == "logs":
        return ("log", "per-epoch losses and metrics, progress lines", False)
    if name in _BY_NAME:
        return _BY_NAME[name]
    if top == "assessment":
        return ("aggregate", "an assessment of the run: flags and summary numbers", False)
    if name.endswith((".png", ".html", ".md")):
        return ("aggregate", "a report or figure of summary numbers", False)
    return ("other", "not a file biodl writes into a run; not classified", False)


def _text_of(path: Path) -> str | None:
    """A file's text (a ``.gz`` file decompressed), None when too large or unreadable."""
    try:
        if path.stat().st_size > _MAX_SEARCH_BYTES:
            return None
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)[:_MAX_SEARCH_BYTES]
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    return data.decode("utf-8", errors="replace").upper()


def run_storage(
    run_dir: str | os.PathLike[str], sequences: Sequence[str] = (), *, seed: int = 0
) -> dict[str, Any]:
    """List and class every file of ``run_dir`` and search it for training sequences.

    Parameters
    ----------
    run_dir
        The run directory.
    sequences
        Training sequences (as read); up to 300 of at least 20 letters, drawn at random
        (``seed``), are searched for verbatim in every file that is not weights or an
        image (``.gz`` files decompressed).

    Returns
    -------
    dict
        A sub-check: ``flag`` (amber when a sequence is found, else green), ``count``
        (files), ``examples`` (files holding per-example information), ``files`` (one
        record per file: ``path``, ``class``, ``bytes``, ``per_example``, ``holds``,
        ``sequences_found``), ``n_searched`` and a plain ``statement``.
    """
    root = Path(run_dir)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    pool = sorted({s.upper() for s in sequences if len(s) >= _MIN_SEARCH_LENGTH})
    if len(pool) > _SEQUENCE_SAMPLE:
        rng = np.random.default_rng(seed)
        pool = [pool[i] for i in np.sort(rng.choice(len(pool), _SEQUENCE_SAMPLE, replace=False))]
    records: list[dict[str, Any]] = []
    not_searched: list[str] = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        cls, holds, per_example = classify_file(rel)
        found: int | None = None
        if pool and not path.name.lower().endswith(_BINARY_SUFFIXES):
            text = _text_of(path)
            if text is None:
                not_searched.append(rel)
            else:
                found = sum(1 for s in pool if s in text)
        records.append(
            {
                "path": rel,
                "class": cls,
                "bytes": path.stat().st_size,
                "per_example": per_example,
                "holds": holds,
                "sequences_found": found,
            }
        )
    with_sequences = [r["path"] for r in records if r["sequences_found"]]
    per_example_files = [r["path"] for r in records if r["per_example"]]
    flag: Flag = "amber" if with_sequences else "green"
    classes = sorted({r["class"] for r in records})
    statement = (
        f"The run directory holds {len(records)} files ({', '.join(classes)}). "
        "The weights are numbers only; model.json records the data files by path, size "
        "and SHA-256 checksum, not their content."
    )
    if per_example_files:
        statement += (
            f" {', '.join(per_example_files)} hold per-example information (ids, labels, "
            "splits, scores; no sequence): splits.tsv.gz states which examples were "
            "trained on, so share the weights and model.json alone if that is private."
        )
    if pool:
        if with_sequences:
            statement += (
                f" Training sequences were found verbatim in {', '.join(with_sequences)}: "
                "the run directory carries raw training data."
            )
        else:
            statement += f" None of {len(pool)} training sequences searched for is in any file."
    else:
        statement += " No training sequence was searched for (none of 20 letters or more)."
    if not_searched:
        statement += f" Not searched (too large or unreadable): {', '.join(not_searched)}."
    return {
        "flag": flag,
        "count": len(records),
        "examples": per_example_files,
        "rule": "amber when a training sequence occurs verbatim in a file of the run "
        "directory; green otherwise (per-example ids and scores are stated, not flagged)",
        "summary": statement,
        "files": records,
        "n_searched": len(pool),
        "with_sequences": with_sequences,
        "not_searched": not_searched,
    }


# --- the check -----------------------------------------------------------------------


def privacy(
    inputs: AssessInputs,
    *,
    amber: float = AMBER,
    red: float = RED,
    n_boot: int = 1000,
    max_examples: int = 10_000,
) -> Item:
    """Membership-inference audit and what the run directory stores.

    Parameters
    ----------
    inputs
        Needs the ``train`` split and a held-out split (``test``, else ``valid``) with
        the model's logits (or the model); ``run_dir`` for the storage statement.
    amber, red
        Thresholds on the headline attack AUROC (see the module docstring).
    n_boot
        Bootstrap resamples for the intervals.
    max_examples
        At most this many members and as many non-members are compared.

    Returns
    -------
    Item
        Key ``privacy``; values ``membership`` (sub-check: ``auroc``, ``advantage``,
        ``headline_attack``, ``attacks.loss`` / ``attacks.confidence`` each with
        ``auroc`` {value, ci}, ``advantage`` and the mean score of members and
        non-members, ``non_member_split``, ``n_members``, ``n_non_members``,
        ``n_copies_dropped``) and ``storage`` (sub-check: ``files``, ``examples`` (the
        files with per-example information), the plain statement as ``summary``).
    """
    rule = (
        f"the worse of two: membership inference red when the better attack's AUROC "
        f">= {red:g}, amber when >= {amber:g} or its 95 % interval lies above 0.5; "
        "storage amber when a training sequence is found in the run directory"
    )
    audit = membership(inputs, amber=amber, red=red, n_boot=n_boot, max_examples=max_examples)
    if inputs.run_dir is not None and Path(inputs.run_dir).is_dir():
        train = inputs.splits.get("train")
        storage = run_storage(
            inputs.run_dir, train.sequences if train is not None else (), seed=inputs.seed
        )
    else:
        storage = {
            "flag": "not_assessed",
            "count": 0,
            "examples": [],
            "reason": "no run directory to list",
        }
    values: dict[str, Any] = {"membership": audit, "storage": storage}
    flag = worst_flag([audit["flag"], storage["flag"]])
    parts = []
    if audit["flag"] == "not_assessed":
        parts.append(f"Membership inference not assessed: {audit['reason']}.")
    else:
        parts.append(str(audit["summary"]))
        if audit.get("non_member_note"):
            parts.append(f"Note: {audit['non_member_note']}.")
    if storage["flag"] == "not_assessed":
        parts.append(f"Storage not assessed: {storage['reason']}.")
    elif storage["with_sequences"]:
        parts.append(f"Training sequences found in {', '.join(storage['with_sequences'])}.")
    else:
        parts.append(
            f"The run directory stores no training sequence ({storage['count']} files; "
            "data recorded by SHA-256 checksum only)."
        )
    summary = " ".join(parts)
    if inputs.is_molecule:  # the searched "sequences" are canonical SMILES
        summary, rule = (_as_molecules(text) for text in (summary, rule))
        if isinstance(storage.get("summary"), str):
            storage["summary"] = _as_molecules(storage["summary"])
    return Item("privacy", flag, rule, summary, values)


def _as_molecules(text: str) -> str:
    """``text`` about training sequences, said of training molecules (SMILES)."""
    for old, new in (
        ("training sequences", "training molecules (SMILES)"),
        ("training sequence", "training molecule (SMILES)"),
        ("no sequence)", "no SMILES)"),
        ("20 letters", "20 characters"),
    ):
        text = text.replace(old, new)
    return text
