"""Write the demo data set: a CTCF-like motif planted in human-like background.

``python -m biodl.testing.demo DIR`` writes, deterministically and in about a second:

``train.tsv.gz``
    4,000 positives of 101 bp (columns ``id``, ``seq``, ``label``, ``chrom``; every label
    is 1), like the DeepBind ENCODE training files: a motif instance sampled from
    :data:`~biodl.testing.synthetic.CTCF_LIKE_PWM` planted at a random position and
    strand of :func:`~biodl.testing.synthetic.markov_background` sequence; 10 % of the
    instances come from a weakened motif so that the task is not trivially perfect. The
    trainer makes the negatives (one dinucleotide shuffle per positive).
``test.tsv.gz``
    500 held-out positives made the same way and one dinucleotide shuffle of each
    (label 0), in random order.
``config.yaml``
    The biodl configuration that trains DeepBind on them.

Examples
--------
>>> import tempfile
>>> paths = write_demo(tempfile.mkdtemp())
>>> sorted(paths)
['config', 'test', 'train']
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from biodl.data.shuffle import dinucleotide_shuffle_all
from biodl.testing.synthetic import (
    CTCF_LIKE_PWM,
    _atomic_write,
    planted_motif_dataset,
    write_table_file,
)

__all__ = ["CONFIG_YAML", "main", "write_demo"]

CONFIG_YAML = """\
# biodl demo: DeepBind on a planted CTCF-like motif in a human-like Markov background
task: binary
data:
  train:
    table: train.tsv.gz
    sequence: seq
    label: label
    id: id
    negatives: {shuffle: dinucleotide, per_positive: 1}
  valid: {fraction: 0.1}
  test:
    table: test.tsv.gz
    sequence: seq
    label: label
    id: id
model: {name: deepbind}
train: {max_epochs: 15, seed: 1}
"""
"""The demo's ``config.yaml``, verbatim."""

_N_TRAIN = 4000
_N_TEST = 500
_LENGTH = 101
_WEAK_FRACTION = 0.1
_CHROMS = tuple(f"chr{i}" for i in range(1, 23))


def write_demo(folder: str | os.PathLike[str], *, seed: int = 2015) -> dict[str, Path]:
    """Write ``train.tsv.gz``, ``test.tsv.gz`` and ``config.yaml`` into ``folder``.

    Parameters
    ----------
    folder
        Output folder, created if missing; existing demo files are replaced atomically.
    seed
        Random seed; the files are byte-for-byte reproducible for a given seed.

    Returns
    -------
    dict of str to pathlib.Path
        The written files under the keys ``"train"``, ``"test"`` and ``"config"``.

    Examples
    --------
    >>> import gzip, tempfile
    >>> paths = write_demo(tempfile.mkdtemp())
    >>> with gzip.open(paths["train"], "rt") as f:
    ...     f.readline().split()
    ['id', 'seq', 'label', 'chrom']
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    positives, _ = planted_motif_dataset(
        _N_TRAIN + _N_TEST,
        0,
        length=_LENGTH,
        motif=CTCF_LIKE_PWM,
        seed=int(rng.integers(2**63 - 1)),
        weak_motif_fraction=_WEAK_FRACTION,
    )
    train = positives[:_N_TRAIN]
    held_out = positives[_N_TRAIN:]
    chroms = [_CHROMS[i] for i in rng.integers(len(_CHROMS), size=_N_TRAIN + _N_TEST)]

    train_path = write_table_file(
        target / "train.tsv.gz",
        train,
        np.ones(_N_TRAIN, dtype=np.int64),
        ids=[f"train_{i + 1:05d}" for i in range(_N_TRAIN)],
        groups=chroms[:_N_TRAIN],
        gzip=True,
        label_column="label",
        group_column="chrom",
    )

    shuffled = dinucleotide_shuffle_all(held_out, seed=int(rng.integers(2**63 - 1)))
    test_seqs = held_out + shuffled
    test_labels = np.concatenate(
        [np.ones(_N_TEST, dtype=np.int64), np.zeros(_N_TEST, dtype=np.int64)]
    )
    test_ids = [f"test_{i + 1:04d}" for i in range(_N_TEST)]
    test_ids += [f"test_{i + 1:04d}_shuffled" for i in range(_N_TEST)]
    test_chroms = chroms[_N_TRAIN:] * 2
    order = rng.permutation(2 * _N_TEST).tolist()
    test_path = write_table_file(
        target / "test.tsv.gz",
        [test_seqs[i] for i in order],
        test_labels[order],
        ids=[test_ids[i] for i in order],
        groups=[test_chroms[i] for i in order],
        gzip=True,
        label_column="label",
        group_column="chrom",
    )

    config_path = _atomic_write(target / "config.yaml", CONFIG_YAML.encode("utf-8"))
    return {"train": train_path, "test": test_path, "config": config_path}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m biodl.testing.demo DIR [--seed N]``.

    Parameters
    ----------
    argv
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status, 0 on success.

    Examples
    --------
    >>> import tempfile
    >>> main([tempfile.mkdtemp(), "--quiet"])
    0
    """
    parser = argparse.ArgumentParser(
        prog="python -m biodl.testing.demo",
        description="Write the biodl demo data set (planted CTCF-like motif) into DIR.",
    )
    parser.add_argument("folder", metavar="DIR", help="output folder (created if missing)")
    parser.add_argument("--seed", type=int, default=2015, help="random seed (default 2015)")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    paths = write_demo(args.folder, seed=args.seed)
    if not args.quiet:
        for path in paths.values():
            sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
