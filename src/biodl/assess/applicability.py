"""Are the user's new sequences like the training data? (key ``applicability``)

A model is trusted only inside the domain it was trained and tested on. For each new
sequence (``biodl assess --data``) :func:`domain_table` measures two distances to the
training set:

* **k-mer similarity**: the cosine similarity of its k-mer frequency profile to the
  nearest training sequence's (scikit-learn ``NearestNeighbors``; at most
  ``max_reference`` training sequences, a seeded sample);
* **embedding distance**: the Euclidean distance of the model's penultimate
  representation (the input of its last ``nn.Linear``, captured with a forward hook
  during :func:`biodl.models.predict`) to the nearest training sequence's. Models
  without an ``nn.Linear`` (per-position heads) are judged on k-mers only, and say so.

Each threshold is calibrated on held-out data the model was tested on: the
``1 - quantile`` quantile of the test (else valid) set's k-mer similarity to training,
and the ``quantile`` quantile of its embedding distance. A sequence is in domain when
it passes both; with ``quantile = 0.99`` about 98 % of held-out sequences do.

Expression-matrix runs (:func:`matrix_domain_table`): each new sample (``--data`` matrix,
preprocessed by the run's fitted pipeline) is placed in the model's preprocessed feature
space, standardised by the training samples' means and standard deviations, and its
Euclidean distance to the nearest training sample is compared with the same distance
of each training sample held out in turn (its nearest *other* training sample). A new
sample is in domain when its distance is within the ``matrix_quantile`` (0.95) quantile
of those held-out training distances, so about 5 % of samples drawn like training fall
outside. The test (else valid) split's distances are reported beside them as a check.

Examples
--------
>>> profiles = kmer_profiles(["ACGTACGT", "GGGGCCCC"], alphabet="dna", k=2)
>>> profiles.shape
(2, 16)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from biodl.assess._encode import encode_for_model, penultimate
from biodl.assess.types import AssessInputs, Flag, Item, SplitView
from biodl.encode import kmer_counts
from biodl.io import AlphabetName

__all__ = [
    "DomainTable",
    "applicability",
    "default_k",
    "domain_table",
    "kmer_profiles",
    "matrix_domain_table",
    "write_domain_tsv",
]

COLUMNS = ("id", "kmer_similarity", "embedding_distance", "in_domain")
#: The columns of a matrix run's rows.
MATRIX_COLUMNS = ("id", "feature_distance", "in_domain")
#: The columns of a molecule run's rows (:func:`biodl.assess.molecules.molecule_applicability`).
MOLECULE_COLUMNS = (
    "id",
    "smiles",
    "similarity",
    "nearest_train",
    "inside",
    "above_fixed_threshold",
)


def default_k(alphabet: str, lengths: Sequence[int]) -> int:
    """The largest k (1 to 6) whose ``C**k`` k-mers fit in the median sequence length,
    so that profiles are not mostly empty (DNA: 3 for 101 bp, 4 for 300 bp; proteins:
    1 below 400 residues, else 2).

    Examples
    --------
    >>> default_k("dna", [101, 101]), default_k("dna", [1000]), default_k("protein", [500])
    (3, 4, 2)
    """
    letters = 20 if alphabet == "protein" else 4
    median = float(np.median(lengths)) if len(lengths) else 0.0
    k = 1
    while k < 6 and letters ** (k + 1) <= median:
        k += 1
    return k


def kmer_profiles(sequences: Sequence[str], *, alphabet: str, k: int) -> npt.NDArray[np.float32]:
    """k-mer frequency profiles ``(N, C**k)``, each row summing to 1 (0 without a k-mer)."""
    return kmer_counts(list(sequences), k, alphabet=cast(AlphabetName, alphabet))


@dataclass(frozen=True)
class DomainTable:
    """Per-sequence applicability of new data, and the thresholds used.

    Attributes
    ----------
    rows
        One dict per new sequence with :data:`COLUMNS` (``embedding_distance`` None
        when the embedding is not used).
    kmer_threshold
        Least k-mer similarity of an in-domain sequence.
    embedding_threshold
        Largest embedding distance of an in-domain sequence, or None.
    reference
        ``{"split", "n", "n_train_reference", "kmer_similarity", "embedding_distance"}``:
        the held-out set that set the thresholds and its distributions (quantiles 0, 1,
        5, 25, 50, 75, 95, 99, 100 %).
    notes
        Plain sentences on what was and was not measured.
    """

    rows: tuple[dict[str, Any], ...]
    kmer_threshold: float
    embedding_threshold: float | None
    reference: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def fraction_in_domain(self) -> float:
        """Share of rows in domain (NaN for no row)."""
        if not self.rows:
            return float("nan")
        return sum(bool(r["in_domain"]) for r in self.rows) / len(self.rows)


_QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)


def _quantiles(values: np.ndarray) -> dict[str, float]:
    qs = np.quantile(values, _QUANTILES) if values.size else [float("nan")] * len(_QUANTILES)
    return {f"q{round(q * 100)}": float(v) for q, v in zip(_QUANTILES, qs, strict=True)}


def _nearest(reference: np.ndarray, query: np.ndarray, metric: str) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    nn_index = NearestNeighbors(n_neighbors=1, metric=metric, algorithm="brute")
    nn_index.fit(reference)
    dist, _ = nn_index.kneighbors(query, return_distance=True)
    return np.asarray(dist[:, 0], dtype=np.float64)


def domain_table(
    inputs: AssessInputs,
    *,
    k: int | None = None,
    quantile: float = 0.99,
    max_reference: int = 20000,
    embedding: bool = True,
) -> DomainTable:
    """Applicability of ``inputs.new_data`` to the training set, sequence by sequence.

    Parameters
    ----------
    inputs
        Needs ``new_data``, the ``train`` split and a ``test`` or ``valid`` split; the
        model for the embedding distance.
    k
        k-mer length; default :func:`default_k` of the training sequences' lengths.
    quantile
        Held-out quantile that sets each threshold (see the module docstring).
    max_reference
        At most this many training sequences (a seeded sample) are the reference.
    embedding
        Also use the model's penultimate-layer embedding.

    Raises
    ------
    ValueError
        If ``new_data``, ``train`` or a held-out split is missing.
    InputError
        A new sequence with a letter outside the model's alphabet.
    """
    train = inputs.splits.get("train")
    held_name = "test" if "test" in inputs.splits else "valid"
    held = inputs.splits.get(held_name)
    if inputs.new_data is None or train is None or held is None or not len(train):
        msg = "domain_table needs new_data, a train split and a test or valid split"
        raise ValueError(msg)
    ids, new_seqs = inputs.new_data
    rng = np.random.default_rng(inputs.seed)
    ref_idx = np.arange(len(train))
    if len(train) > max_reference:
        ref_idx = np.sort(rng.choice(len(train), size=max_reference, replace=False))
    ref_seqs = [train.sequences[i] for i in ref_idx]
    if k is None:
        k = default_k(inputs.alphabet, [len(s) for s in ref_seqs])
    prof = {
        name: kmer_profiles(seqs, alphabet=inputs.alphabet, k=k)
        for name, seqs in (("ref", ref_seqs), ("held", held.sequences), ("new", new_seqs))
    }
    held_sim = 1.0 - _nearest(prof["ref"], prof["held"], "cosine")
    new_sim = 1.0 - _nearest(prof["ref"], prof["new"], "cosine")
    kmer_threshold = float(np.quantile(held_sim, 1.0 - quantile))
    notes = [f"{k}-mer profiles of {len(ref_seqs):,} training sequences are the reference."]
    new_dist: np.ndarray | None = None
    emb_threshold: float | None = None
    held_dist = np.empty(0)
    emb = None
    if embedding and inputs.model is not None:
        emb = {
            name: penultimate(inputs.model, encode_for_model(inputs.meta, seqs))
            for name, seqs in (("ref", ref_seqs), ("held", held.sequences), ("new", new_seqs))
        }
    if emb is not None and all(v is not None for v in emb.values()):
        ref_e, held_e, new_e = (cast(np.ndarray, emb[n]) for n in ("ref", "held", "new"))
        held_dist = _nearest(ref_e, held_e, "euclidean")
        new_dist = _nearest(ref_e, new_e, "euclidean")
        emb_threshold = float(np.quantile(held_dist, quantile))
        notes.append("Embedding: the input of the model's last linear layer.")
    else:
        why = "no model" if inputs.model is None else "the model has no linear output layer"
        if not embedding:
            why = "not requested"
        notes.append(f"Embedding distance not measured ({why}): k-mer similarity only.")
    rows = []
    for i, (seq_id, sim) in enumerate(zip(ids, new_sim, strict=True)):
        dist = None if new_dist is None else float(new_dist[i])
        inside = sim >= kmer_threshold and (
            emb_threshold is None or (dist is not None and dist <= emb_threshold)
        )
        rows.append(
            {
                "id": seq_id,
                "kmer_similarity": float(sim),
                "embedding_distance": dist,
                "in_domain": bool(inside),
            }
        )
    reference = {
        "split": held_name,
        "n": len(held),
        "n_train_reference": len(ref_seqs),
        "kmer_similarity": _quantiles(held_sim),
        "embedding_distance": _quantiles(held_dist) if held_dist.size else None,
    }
    return DomainTable(tuple(rows), kmer_threshold, emb_threshold, reference, tuple(notes))


def matrix_domain_table(
    inputs: AssessInputs, *, quantile: float = 0.95, max_reference: int = 20000
) -> dict[str, Any]:
    """Applicability of a matrix run's new samples (``inputs.new_features``), sample by
    sample (see the module docstring).

    Returns
    -------
    dict
        ``rows`` (``id``, ``feature_distance``, ``in_domain`` per new sample),
        ``distance_threshold``, ``reference`` (``n_train_reference``, the held-out
        training distances' quantiles ``train_leave_one_out``, and ``held_out``: the test
        or valid split's distances and the share of it inside the threshold) and ``notes``.

    Raises
    ------
    ValueError
        Without ``new_features`` or a train split of two samples with features.

    Examples
    --------
    >>> from biodl.assess.types import SplitView
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 4)).astype(np.float32)
    >>> train = SplitView(tuple(f"s{i}" for i in range(50)), ("",) * 50, np.zeros((50, 1)),
    ...                   features=X)
    >>> new = np.array([[0.0] * 4, [9.0] * 4], dtype=np.float32)
    >>> inputs = AssessInputs("binary", "matrix", ("1",), {"train": train},
    ...                       new_data=(("near", "far"), ("", "")), new_features=new)
    >>> [r["in_domain"] for r in matrix_domain_table(inputs)["rows"]]
    [True, False]
    """
    train = inputs.splits.get("train")
    if inputs.new_features is None or inputs.new_data is None:
        raise ValueError("matrix_domain_table needs new_features")
    if train is None or train.features is None or len(train) < 2:
        raise ValueError("matrix_domain_table needs a train split of two samples or more")
    rng = np.random.default_rng(inputs.seed)
    ref = np.asarray(train.features, dtype=np.float64)
    if len(ref) > max_reference:
        ref = ref[np.sort(rng.choice(len(ref), size=max_reference, replace=False))]
    mean = ref.mean(axis=0)
    sd = ref.std(axis=0)
    sd[~(sd > 0)] = 1.0

    def scaled(x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - mean) / sd

    from sklearn.neighbors import NearestNeighbors

    z_ref = scaled(ref)
    index = NearestNeighbors(n_neighbors=2, algorithm="brute").fit(z_ref)
    loo = index.kneighbors(z_ref, return_distance=True)[0][:, 1]  # the nearest other sample
    threshold = float(np.quantile(loo, quantile))
    new = np.asarray(inputs.new_features, dtype=np.float64)
    new_dist = index.kneighbors(scaled(new), n_neighbors=1)[0][:, 0] if len(new) else np.empty(0)
    held_name = "test" if "test" in inputs.splits else "valid"
    held = inputs.splits.get(held_name)
    held_out: dict[str, Any] | None = None
    if held is not None and held.features is not None and len(held):
        hd = index.kneighbors(scaled(np.asarray(held.features)), n_neighbors=1)[0][:, 0]
        held_out = {
            "split": held_name,
            "n": len(held),
            "feature_distance": _quantiles(hd),
            "fraction_in_domain": float(np.mean(hd <= threshold)),
        }
    ids = inputs.new_data[0]
    rows = [
        {"id": i, "feature_distance": float(d), "in_domain": bool(d <= threshold)}
        for i, d in zip(ids, new_dist, strict=True)
    ]
    reference_note = (
        f"Reference: {len(ref):,} training samples in the model's {ref.shape[1]:,} "
        "preprocessed features, standardised by the training means and standard deviations."
    )
    domain_note = (
        f"In domain: Euclidean distance to the nearest training sample within the "
        f"{quantile:g} quantile of the training samples' own nearest-neighbour distances "
        "(each held out in turn)."
    )
    notes = [reference_note, domain_note]
    return {
        "rows": rows,
        "distance_threshold": threshold,
        "reference": {
            "n_train_reference": len(ref),
            "train_leave_one_out": _quantiles(loo),
            "held_out": held_out,
        },
        "notes": notes,
    }


def _matrix_applicability(
    inputs: AssessInputs, *, quantile: float, max_reference: int, red: float, amber: float
) -> Item:
    rule = (
        f"red when fewer than {red:.0%} of the new samples are in domain, amber when fewer "
        f"than {amber:.0%}; in domain = Euclidean distance to the nearest training sample "
        f"(standardised preprocessed features) within the {quantile:g} quantile of the "
        "training samples' own nearest-neighbour distances (held out in turn)"
    )
    train = inputs.splits.get("train")
    if inputs.new_features is None or inputs.new_data is None:
        why = "no new data given (--data)"
        return Item("applicability", "not_assessed", rule, f"Not assessed: {why}.", {})
    if train is None or train.features is None or len(train) < 2:
        why = "needs a train split of two samples or more"
        return Item("applicability", "not_assessed", rule, f"Not assessed: {why}.", {})
    table = matrix_domain_table(inputs, quantile=quantile, max_reference=max_reference)
    rows = table["rows"]
    n = len(rows)
    n_in = sum(bool(r["in_domain"]) for r in rows)
    values: dict[str, Any] = {
        "fraction_in_domain": n_in / n if n else None,
        "fraction_outside": (n - n_in) / n if n else None,
        "n": n,
        "n_in_domain": n_in,
        "distance_threshold": table["distance_threshold"],
        "quantile": quantile,
        "reference": table["reference"],
        "notes": table["notes"],
        "rows": rows,
    }
    if n == 0:
        return Item("applicability", "not_assessed", rule, "Not assessed: no new sample.", values)
    frac = n_in / n
    flag: Flag = "red" if frac < red else "amber" if frac < amber else "green"
    summary = (
        f"{n_in:,} of {n:,} new samples ({frac:.0%}) are inside the training domain "
        f"(nearest-training-sample distance within the {quantile:g} quantile of training)."
    )
    return Item("applicability", flag, rule, summary, values)


def applicability(
    inputs: AssessInputs,
    *,
    k: int | None = None,
    quantile: float = 0.99,
    max_reference: int = 20000,
    red: float = 0.5,
    amber: float = 0.9,
    matrix_quantile: float = 0.95,
    matrix_amber: float = 0.8,
) -> Item:
    """Share of the new sequences inside the training domain.

    Parameters
    ----------
    inputs
        See :func:`domain_table`; not assessed without ``new_data``.
    k, quantile, max_reference
        See :func:`domain_table`.
    red, amber
        Red when fewer than ``red`` of the new sequences are in domain, amber below
        ``amber``.

    Returns
    -------
    Item
        Key ``applicability``; values ``fraction_in_domain``, ``n``, ``n_in_domain``,
        ``kmer_threshold``, ``embedding_threshold``, ``quantile``, ``reference``,
        ``notes`` and ``rows`` (one per new sequence: ``id``, ``kmer_similarity``,
        ``embedding_distance``, ``in_domain``; :func:`write_domain_tsv` writes them).
        Matrix runs (:func:`matrix_domain_table`): ``fraction_in_domain``,
        ``fraction_outside``, ``n``, ``n_in_domain``, ``distance_threshold``,
        ``quantile``, ``reference``, ``notes`` and ``rows`` (``id``,
        ``feature_distance``, ``in_domain``); red below ``red`` in domain, amber below
        ``matrix_amber`` (about 5 % of samples drawn like training fall outside the
        ``matrix_quantile`` 0.95 quantile).
    """
    if inputs.is_matrix:
        return _matrix_applicability(
            inputs,
            quantile=matrix_quantile,
            max_reference=max_reference,
            red=red,
            amber=matrix_amber,
        )
    if inputs.is_molecule:
        return _molecule_applicability(inputs)
    rule = (
        f"red when fewer than {red:.0%} of the new sequences are in domain, amber when "
        f"fewer than {amber:.0%}; in domain = k-mer similarity and embedding distance to "
        f"the nearest training sequence within the {quantile:g} quantile of held-out data"
    )
    if inputs.new_data is None:
        return Item(
            "applicability",
            "not_assessed",
            rule,
            "Not assessed: no new data given (--data).",
            {},
        )
    have_held = "test" in inputs.splits or "valid" in inputs.splits
    if "train" not in inputs.splits or not have_held or not len(inputs.splits["train"]):
        why = "needs a train split and a test or valid split"
        return Item("applicability", "not_assessed", rule, f"Not assessed: {why}.", {})
    table = domain_table(inputs, k=k, quantile=quantile, max_reference=max_reference)
    n = len(table.rows)
    n_in = sum(bool(r["in_domain"]) for r in table.rows)
    frac = table.fraction_in_domain
    values: dict[str, Any] = {
        "fraction_in_domain": None if n == 0 else frac,
        "n": n,
        "n_in_domain": n_in,
        "kmer_threshold": table.kmer_threshold,
        "embedding_threshold": table.embedding_threshold,
        "quantile": quantile,
        "reference": dict(table.reference),
        "notes": list(table.notes),
        "rows": list(table.rows),
    }
    if n == 0:
        return Item("applicability", "not_assessed", rule, "Not assessed: no new sequence.", values)
    flag: Flag = "red" if frac < red else "amber" if frac < amber else "green"
    summary = f"{n_in:,} of {n:,} new sequences ({frac:.0%}) are inside the training domain."
    return Item("applicability", flag, rule, summary, values)


def _molecule_applicability(inputs: AssessInputs) -> Item:
    """:func:`~biodl.assess.molecules.molecule_applicability` of a molecule run: the
    ``--data`` molecules against the training molecules, else the test molecules (valid
    when there is no test), so that a run's own held-out chemistry is placed in (or
    outside) its training domain."""
    from biodl.assess.molecules import molecule_applicability

    train = inputs.splits.get("train")
    train_smiles = list(train.sequences) if train is not None else []
    if inputs.new_data is not None:
        ids, smiles = inputs.new_data
        return molecule_applicability(train_smiles, list(smiles), ids=list(ids))
    split = "test" if "test" in inputs.splits else "valid"
    view = inputs.splits.get(split)
    if view is None:
        view = SplitView(ids=(), sequences=(), y=np.zeros((0, 1)))
    item = molecule_applicability(
        train_smiles, list(view.sequences), ids=list(view.ids), what=f"{split} molecules"
    )
    if item.flag == "not_assessed":
        return item
    return Item(
        item.key,
        item.flag,
        item.rule,
        item.summary + " No --data given: the held-out split stands in for new molecules.",
        {**item.values, "compared": split},
    )


def write_domain_tsv(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write the rows of :func:`domain_table` (or :func:`matrix_domain_table`: ``id``,
    ``feature_distance``, ``in_domain``; or of molecules: :data:`MOLECULE_COLUMNS`) as
    a TSV (``NA`` for None), atomically.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "applicability.tsv"
    >>> row = {"id": "s1", "kmer_similarity": 0.91, "embedding_distance": None, "in_domain": True}
    >>> [line.split("\\t") for line in write_domain_tsv([row], p).read_text().splitlines()]
    [['id', 'kmer_similarity', 'embedding_distance', 'in_domain'], ['s1', '0.91', 'NA', 'true']]
    """
    from biodl.io.atomic import atomic_write_text

    def cell(value: Any) -> str:
        if value is None:
            return "NA"
        if isinstance(value, bool | np.bool_):
            return "true" if value else "false"
        if isinstance(value, float):
            return f"{value:.6g}"
        return str(value)

    columns = (
        MATRIX_COLUMNS
        if rows and "feature_distance" in rows[0]
        else MOLECULE_COLUMNS
        if rows and "nearest_train" in rows[0]
        else COLUMNS
    )
    lines = ["\t".join(columns)]
    lines += ["\t".join(cell(r.get(c)) for c in columns) for r in rows]
    return atomic_write_text(Path(path), "\n".join(lines) + "\n")
