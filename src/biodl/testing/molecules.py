"""Small molecule tables with planted properties, for tests and examples.

Each molecule is ``left + ring + right``: a ring system (benzene, pyridine, cyclohexane,
naphthalene, tetrahydrofuran, or none) with a substituent on each side, all written so
that the concatenation is a valid SMILES. The outputs depend only on the substituents,
so a model that reads the atoms learns them and an untrained one does not:

- ``regression``: ``halogens - 0.5 * oxygens + ring offset`` plus Gaussian noise;
- ``binary``: 1 when the molecule has a halogen;
- ``multilabel``: (has a halogen, has a nitrogen, has an oxygen), with a share of the
  labels missing (empty cells).

Examples
--------
>>> rows = molecule_rows(6, task="binary", seed=0)
>>> len(rows), sorted(rows[0])
(6, ['id', 'label', 'smiles'])
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = ["RINGS", "SUBSTITUENTS", "molecule_rows", "write_molecule_table"]

RINGS: tuple[tuple[str, float], ...] = (
    ("c1ccccc1", 0.0),
    ("c1ccncc1", -0.3),
    ("C1CCCCC1", 0.4),
    ("c1ccc2ccccc2c1", 0.8),
    ("C1CCOC1", -0.6),
    ("CCC", 0.2),  # no ring: an acyclic linker (scaffold "")
)
"""Ring systems (SMILES written to sit between two substituents) and their offsets."""

SUBSTITUENTS: tuple[str, ...] = (
    "C", "CC", "O", "N", "Cl", "F", "Br", "OC", "C#N", "C(=O)O", "CN", "S",
)  # fmt: skip
"""Substituents put on each side of the ring."""

_HALOGENS = ("Cl", "F", "Br")


def _counts(sub: str) -> tuple[int, int, int]:
    """(halogens, nitrogens, oxygens) of one substituent."""
    halogens = sum(sub.count(h) for h in _HALOGENS)
    nitrogens = sub.count("N")
    oxygens = sub.count("O")
    return halogens, nitrogens, oxygens


def molecule_rows(
    n: int,
    *,
    task: Literal["regression", "binary", "multilabel"] = "regression",
    seed: int = 0,
    noise: float = 0.1,
    missing: float = 0.2,
) -> list[dict[str, Any]]:
    """``n`` molecules with planted outputs (module docstring): dicts with ``id``,
    ``smiles`` and ``label`` (regression, binary) or ``halogen``, ``nitrogen``,
    ``oxygen`` (multilabel; ``""`` where missing)."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        ring, offset = RINGS[int(rng.integers(len(RINGS)))]
        left, right = (SUBSTITUENTS[int(k)] for k in rng.integers(len(SUBSTITUENTS), size=2))
        # a substituent written first must start with its attaching atom: C(=O)O -> OC(=O)
        first = {"C(=O)O": "OC(=O)", "OC": "CO", "C#N": "N#C", "CN": "NC"}.get(left, left)
        smiles = f"{first}{ring}{right}"
        h, nn, o = (a + b for a, b in zip(_counts(left), _counts(right), strict=True))
        o += ring.count("O")
        nn += ring.count("n")
        row: dict[str, Any] = {"id": f"mol{i + 1}", "smiles": smiles}
        if task == "regression":
            row["label"] = round(h - 0.5 * o + offset + float(rng.normal(0, noise)), 4)
        elif task == "binary":
            row["label"] = int(h > 0)
        else:
            for name, value in (("halogen", h > 0), ("nitrogen", nn > 0), ("oxygen", o > 0)):
                row[name] = "" if rng.random() < missing else int(value)
        rows.append(row)
    return rows


def write_molecule_table(
    path: str | os.PathLike[str],
    n: int = 300,
    *,
    task: Literal["regression", "binary", "multilabel"] = "regression",
    seed: int = 0,
    sep: str = ",",
) -> Path:
    """Write :func:`molecule_rows` as a CSV (or ``sep``-separated) table; returns the path.

    Examples
    --------
    >>> import tempfile
    >>> p = write_molecule_table(Path(tempfile.mkdtemp()) / "m.csv", 3, task="multilabel")
    >>> p.read_text().splitlines()[0]
    'id,smiles,halogen,nitrogen,oxygen'
    """
    rows = molecule_rows(n, task=task, seed=seed)
    out = Path(path)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=sep)
        writer.writeheader()
        writer.writerows(rows)
    return out
