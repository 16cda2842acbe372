"""Synthetic multi-output data: two motifs planted independently, known answers.

Each sequence of :func:`multitask_dataset` is human-like background with the
CTCF-like motif planted with probability 1/2 and, independently, the GATA-like motif with
probability 1/2, so the outputs are

- ``multilabel``: ``ctcf`` and ``gata``, 1 where the motif was planted;
- ``regression``: ``ctcf`` is ``2 + 3 * planted`` (+ Gaussian noise of SD 0.1) and
  ``gata`` a count, ``1 + 4 * planted`` Poisson-drawn (for ``train.loss: poisson``);
- ``per_position``: one 0/1 track per motif, 1 over the positions of the planted
  instance.

Examples
--------
>>> data = multitask_dataset(4, length=40, seed=0)
>>> data.multilabel.shape, data.per_position.shape
((4, 2), (4, 2, 40))
>>> bool((data.per_position.max(axis=2) == data.multilabel).all())
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from biodl.testing.synthetic import CTCF_LIKE_PWM, GATA_LIKE_PWM, markov_background, plant_motif

__all__ = [
    "MultitaskData",
    "hairpin_dataset",
    "membrane_protein_dataset",
    "multitask_dataset",
    "protein_motif_dataset",
    "tiny_deeploc_params",
    "write_cpg_profiles",
    "write_deeploc_fasta",
    "write_multitask_table",
]

OUTPUTS = ("ctcf", "gata")


@dataclass(frozen=True)
class MultitaskData:
    """Sequences and their three kinds of outputs (see the module documentation)."""

    sequences: list[str]
    multilabel: npt.NDArray[np.float32]  # (N, 2)
    regression: npt.NDArray[np.float32]  # (N, 2)
    per_position: npt.NDArray[np.float32]  # (N, 2, L)


def multitask_dataset(n: int, *, length: int = 60, seed: int = 0) -> MultitaskData:
    """``n`` sequences of ``length`` with independently planted CTCF- and GATA-like motifs.

    The two instances never overlap (the GATA-like one is planted in the half of the
    sequence the CTCF-like one does not touch, which needs ``length >= 2 * 19``).
    """
    if length < 2 * len(CTCF_LIKE_PWM):
        raise ValueError(f"length must be at least {2 * len(CTCF_LIKE_PWM)}")
    rng = np.random.default_rng(seed)
    seqs = markov_background(n, length, seed=seed)
    planted = rng.random((n, 2)) < 0.5
    tracks = np.zeros((n, 2, length), dtype=np.float32)
    half = length // 2
    for k, pwm in enumerate((CTCF_LIKE_PWM, GATA_LIKE_PWM)):
        idx = np.flatnonzero(planted[:, k])
        if not idx.size:
            continue
        # CTCF-like in the left half, GATA-like in the right half
        windows = [seqs[i][:half] if k == 0 else seqs[i][half:] for i in idx]
        new, starts, _ = plant_motif(windows, pwm, seed=seed + 17 * (k + 1))
        width = len(pwm)
        for i, window, start in zip(idx, new, starts, strict=True):
            offset = 0 if k == 0 else half
            seqs[i] = seqs[i][:half] + window if k == 1 else window + seqs[i][half:]
            tracks[i, k, offset + start : offset + start + width] = 1.0
    labels = planted.astype(np.float32)
    ctcf_value = 2.0 + 3.0 * labels[:, 0] + rng.normal(0.0, 0.1, n)
    gata_count = rng.poisson(1.0 + 4.0 * labels[:, 1])
    regression = np.stack([ctcf_value, gata_count], axis=1).astype(np.float32)
    return MultitaskData(seqs, labels, regression, tracks)


def write_multitask_table(
    path: str | os.PathLike[str],
    data: MultitaskData,
    *,
    kind: Literal["multilabel", "regression", "per_position"],
    missing: float = 0.0,
    seed: int = 0,
) -> Path:
    """Write ``data`` as a TSV with columns ``id``, ``seq``, ``ctcf``, ``gata``.

    ``missing`` is the fraction of output cells left empty (missing values; for
    ``per_position`` whole tracks). Per-position cells hold comma-separated values.
    """
    rng = np.random.default_rng(seed)
    out = Path(path)
    lines = ["id\tseq\t" + "\t".join(OUTPUTS)]
    for i, seq in enumerate(data.sequences):
        cells = []
        for k in range(len(OUTPUTS)):
            if rng.random() < missing:
                cells.append("")
            elif kind == "per_position":
                cells.append(",".join(str(int(v)) for v in data.per_position[i, k]))
            elif kind == "multilabel":
                cells.append(str(int(data.multilabel[i, k])))
            else:
                cells.append(f"{data.regression[i, k]:.4g}")
        lines.append(f"s{i}\t{seq}\t" + "\t".join(cells))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def hairpin_dataset(n: int, *, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` RNA stem-loops (stem 10-14 bp, loop 4-7 nt, 30-60 nt of flanks) and ``n``
    shuffles of them (same composition, no designed stem), as ``(positives, negatives)``.

    Examples
    --------
    >>> pos, neg = hairpin_dataset(2, seed=0)
    >>> sorted(pos[0]) == sorted(neg[0]), set("".join(pos)) <= set("ACGU")
    (True, True)
    """
    rng = np.random.default_rng(seed)
    complement = {"A": "U", "C": "G", "G": "C", "U": "A"}
    positives, negatives = [], []
    for _ in range(n):
        stem = "".join(rng.choice(list("ACGU"), int(rng.integers(10, 15))))
        loop = "".join(rng.choice(list("ACGU"), int(rng.integers(4, 8))))
        flank = "".join(rng.choice(list("ACGU"), int(rng.integers(30, 61))))
        cut = int(rng.integers(0, len(flank) + 1))
        hairpin = stem + loop + "".join(complement[b] for b in reversed(stem))
        seq = flank[:cut] + hairpin + flank[cut:]
        positives.append(seq)
        negatives.append("".join(rng.permutation(list(seq))))
    return positives, negatives


def write_cpg_profiles(
    folder: str | os.PathLike[str],
    *,
    n_cells: int = 2,
    n_sites: int = 600,
    chroms: tuple[str, ...] = ("1", "2"),
    seed: int = 0,
) -> dict[str, Path]:
    """Single-cell CpG profiles ``cell<i>.tsv`` where a site's state is its neighbours'.

    Cells share methylation domains (runs of about 15 CpGs of one state); each cell
    observes 60 % of the sites, with 3 % cell-specific flips. Columns: chromosome, 1-based
    position, state (0/1), as DeepCpG's ``.bed`` profiles. Returns ``{cell: path}``.
    """
    rng = np.random.default_rng(seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[str]] = {f"cell{c}": [] for c in range(n_cells)}
    for chrom in chroms:
        positions = np.cumsum(rng.integers(20, 300, n_sites)) + 100
        domain = np.cumsum(rng.random(n_sites) < 1 / 15)
        truth = (rng.random(int(domain.max()) + 1) < 0.5)[domain]
        for c in range(n_cells):
            state = truth ^ (rng.random(n_sites) < 0.03)
            seen = rng.random(n_sites) < 0.6
            rows[f"cell{c}"] += [
                f"{chrom}\t{p}\t{int(v)}" for p, v in zip(positions[seen], state[seen], strict=True)
            ]
    paths = {}
    for cell, lines in rows.items():
        paths[cell] = out / f"{cell}.tsv"
        paths[cell].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"


def protein_motif_dataset(
    n_per_class: int,
    *,
    motifs: tuple[str, ...] = ("KDEL", "WWPW"),
    lengths: tuple[int, int] = (60, 160),
    seed: int = 0,
) -> tuple[list[str], list[str], list[npt.NDArray[np.float32]]]:
    """Random proteins of varied length, class ``c`` carrying motif ``c`` at a random place.

    Returns the sequences, their class labels (``"class0"``, ...) and per-residue 0/1 labels
    (1 over the motif), shape ``(len(sequence),)`` each.

    Examples
    --------
    >>> seqs, labels, sites = protein_motif_dataset(2, seed=0)
    >>> labels, "KDEL" in seqs[0], int(sites[0].sum())
    (['class0', 'class0', 'class1', 'class1'], True, 4)
    """
    rng = np.random.default_rng(seed)
    seqs: list[str] = []
    labels: list[str] = []
    sites: list[npt.NDArray[np.float32]] = []
    for c, motif in enumerate(motifs):
        for _ in range(n_per_class):
            n = int(rng.integers(lengths[0], lengths[1] + 1))
            body = "".join(rng.choice(list(AMINO_ACIDS), n))
            start = int(rng.integers(0, n - len(motif) + 1))
            seqs.append(body[:start] + motif + body[start + len(motif) :])
            labels.append(f"class{c}")
            site = np.zeros(n, dtype=np.float32)
            site[start : start + len(motif)] = 1.0
            sites.append(site)
    return seqs, labels, sites


#: Residues of the hydrophobic, transmembrane-like stretch of :func:`membrane_protein_dataset`.
HYDROPHOBIC = "AILMFV"
#: A nuclear localisation signal (SV40 large T antigen).
NLS = "PKKKRKV"


def tiny_deeploc_params(*, membrane_head: bool = True, dropout: float = 0.1) -> dict[str, Any]:
    """Options of a ``deeploc`` small enough to train in seconds on
    :func:`membrane_protein_dataset` (a new dict on every call).

    >>> tiny_deeploc_params()["lstm_units"]
    8
    """
    return {
        "conv_filters": 4,
        "conv_widths": [3, 9],
        "conv2_filters": 16,
        "lstm_units": 8,
        "attention_units": 8,
        "hidden": 16,
        "dropout": dropout,
        "membrane_head": membrane_head,
    }


def membrane_protein_dataset(
    n: int,
    *,
    lengths: tuple[int, int] = (50, 90),
    stretch: int = 18,
    unknown: float = 0.25,
    seed: int = 0,
) -> tuple[list[str], list[str], list[str]]:
    """DeepLoc-like proteins with a location and a membrane flag whose answer is known.

    Each protein is random residues of a length in ``lengths``. With probability 1/2 it
    is membrane-bound and carries a stretch of ``stretch`` residues drawn from
    :data:`HYDROPHOBIC` (a transmembrane-helix-like segment) at a random place; soluble
    proteins have none (a random window of 18 residues is all hydrophobic with
    probability ``0.3 ** 18``). Independently, half are ``Nucleus`` (carrying
    :data:`NLS`) and half ``Cytoplasm``. A fraction ``unknown`` of the proteins, either
    kind, is flagged ``U``; the others ``M`` (membrane-bound) or ``S`` (soluble).

    Returns
    -------
    tuple
        Sequences, locations and flags (``M``/``S``/``U``), one each per protein; write
        them as DeepLoc FASTA with :func:`write_deeploc_fasta`.

    Examples
    --------
    >>> seqs, locations, flags = membrane_protein_dataset(6, seed=0)
    >>> len(seqs), sorted(set(locations)) <= ["Cytoplasm", "Nucleus"], set(flags) <= set("MSU")
    (6, True, True)
    >>> min(len(s) for s in seqs) >= 50
    True
    """
    if not 0.0 <= unknown <= 1.0:
        msg = f"unknown must be in [0, 1], not {unknown}"
        raise ValueError(msg)
    if lengths[0] < stretch + len(NLS):
        msg = f"proteins of {lengths[0]} residues cannot hold the stretch and the NLS"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    seqs: list[str] = []
    locations: list[str] = []
    flags: list[str] = []
    for _ in range(n):
        size = int(rng.integers(lengths[0], lengths[1] + 1))
        body = list(rng.choice(list(AMINO_ACIDS), size))
        bound = bool(rng.random() < 0.5)
        nucleus = bool(rng.random() < 0.5)
        free = list(range(size))  # the stretch and the NLS do not overlap
        if bound:
            at = int(rng.integers(0, size - stretch + 1))
            body[at : at + stretch] = list(rng.choice(list(HYDROPHOBIC), stretch))
            free = [i for i in free if not at - len(NLS) < i < at + stretch]
        if nucleus:
            starts = [i for i in free if i + len(NLS) <= size]
            at = int(rng.choice(starts))
            body[at : at + len(NLS)] = list(NLS)
        seqs.append("".join(body))
        locations.append("Nucleus" if nucleus else "Cytoplasm")
        flags.append("U" if rng.random() < unknown else ("M" if bound else "S"))
    return seqs, locations, flags


def write_deeploc_fasta(
    path: str | os.PathLike[str],
    seqs: list[str],
    locations: list[str],
    flags: list[str],
) -> Path:
    """Write DeepLoc-style FASTA, headers ``>P<i> <location>-<flag>`` (read them with
    ``header_label: deeploc``: the location is the label, the flag the group)."""
    out = Path(path)
    records = zip(seqs, locations, flags, strict=True)
    out.write_text(
        "".join(f">P{i} {loc}-{flag}\n{seq}\n" for i, (seq, loc, flag) in enumerate(records)),
        encoding="utf-8",
    )
    return out
