"""Synthetic DNA, planted motifs and small test files.

Generators of sequences whose answer is known — random or human-like background with a
transcription-factor-like motif planted at a known place — and writers of the files the
rest of biodl reads (FASTA, tables, genome + narrowPeak). They are used by the test suite,
by ``make demo`` and by benchmarks; every function is deterministic given its ``seed``.

Examples
--------
>>> seqs, labels = planted_motif_dataset(4, 4, length=50, seed=0)
>>> len(seqs), labels.tolist().count(1), len(seqs[0])
(8, 4, 50)
>>> background = markov_background(2, 30, seed=1)
>>> [len(s) for s in background]
[30, 30]
"""

from __future__ import annotations

import gzip as gzip_module
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from biodl.data.shuffle import dinucleotide_shuffle_all
from biodl.errors import InputError
from biodl.io.atomic import atomic_write_bytes

__all__ = [
    "CTCF_LIKE_PWM",
    "GATA_LIKE_PWM",
    "HUMAN_DINUCLEOTIDE_FREQUENCIES",
    "HUMAN_TRANSITIONS",
    "MOTIFS",
    "NegativeKind",
    "consensus",
    "markov_background",
    "plant_motif",
    "planted_motif_dataset",
    "random_dna",
    "reverse_complement",
    "sample_from_pwm",
    "write_fasta_file",
    "write_genome_and_bed",
    "write_table_file",
]

NegativeKind = Literal["background", "shuffle"]
"""Negatives of :func:`planted_motif_dataset`: fresh background or shuffled positives."""

_FloatArray = npt.NDArray[np.float64]
_ALPHABET = "ACGT"
_LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def _frozen(rows: npt.ArrayLike) -> _FloatArray:
    array = np.array(rows, dtype=np.float64)
    array /= array.sum(axis=-1, keepdims=True)
    array.setflags(write=False)
    return array


def _normalised_table(rows: Sequence[Sequence[float]]) -> _FloatArray:
    array = np.array(rows, dtype=np.float64)
    array /= array.sum()
    array.setflags(write=False)
    return array


HUMAN_DINUCLEOTIDE_FREQUENCIES: _FloatArray = _normalised_table(
    [
        # next: A    C    G    T      previous
        [9.7, 5.0, 7.0, 7.7],  # A
        [7.3, 5.2, 1.0, 7.0],  # C
        [5.9, 4.4, 5.2, 5.0],  # G
        [6.5, 5.9, 7.3, 9.7],  # T
    ]
)
"""Frequencies of the 16 dinucleotides, shape ``(4, 4)``, ``[previous, next]``, ACGT order.

Percentages rounded from the human genome (GRCh38, both strands), made exactly
strand-symmetric (``f(XY) = f(rc(Y) rc(X))``) and balanced (row sums equal column sums,
so the letter frequencies are the stationary distribution of :data:`HUMAN_TRANSITIONS`),
then scaled to sum to 1. GC content is 41.1 % and the CpG observed/expected ratio
``f(CG) / (f(C) f(G))`` is 0.24, as in the human genome.
"""

HUMAN_TRANSITIONS: _FloatArray = _frozen(HUMAN_DINUCLEOTIDE_FREQUENCIES)
"""First-order Markov transition matrix of human-like DNA, shape ``(4, 4)``.

``HUMAN_TRANSITIONS[a, b]`` is P(next letter is ``b`` | letter is ``a``), ACGT order;
rows sum to 1. Derived from :data:`HUMAN_DINUCLEOTIDE_FREQUENCIES`::

          A      C      G      T
    A  0.330  0.170  0.238  0.262
    C  0.356  0.254  0.049  0.341
    G  0.288  0.215  0.254  0.244
    T  0.221  0.201  0.248  0.330

Its stationary distribution is A = T = 0.295, C = G = 0.205 (GC 41 %), and C -> G is
about a quarter as likely as in an independent sequence (CpG depletion).
"""

CTCF_LIKE_PWM: _FloatArray = _frozen(
    [
        # A     C     G     T        consensus
        (0.10, 0.30, 0.15, 0.45),  # T
        (0.15, 0.10, 0.60, 0.15),  # G
        (0.10, 0.30, 0.50, 0.10),  # G
        (0.05, 0.85, 0.05, 0.05),  # C
        (0.03, 0.91, 0.03, 0.03),  # C
        (0.80, 0.05, 0.10, 0.05),  # A
        (0.05, 0.55, 0.35, 0.05),  # C (C/G)
        (0.10, 0.45, 0.05, 0.40),  # C (C/T)
        (0.90, 0.02, 0.06, 0.02),  # A
        (0.02, 0.02, 0.94, 0.02),  # G
        (0.40, 0.02, 0.56, 0.02),  # G (G/A)
        (0.03, 0.02, 0.60, 0.35),  # G (G/T)
        (0.02, 0.02, 0.94, 0.02),  # G
        (0.03, 0.02, 0.92, 0.03),  # G
        (0.05, 0.85, 0.05, 0.05),  # C
        (0.35, 0.02, 0.60, 0.03),  # G (G/A)
        (0.05, 0.50, 0.40, 0.05),  # C (C/G)
        (0.10, 0.35, 0.10, 0.45),  # T (T/C)
        (0.40, 0.20, 0.25, 0.15),  # A
    ]
)
"""A CTCF-like 19-bp core motif, shape ``(19, 4)``, ACGT order, rows summing to 1.

Consensus ``TGGCCACCAGGGGGCGCTA`` (that of JASPAR MA0139.1) with the degeneracy and the
information profile of the CTCF core (``CCAsyAGrkGGCr`` well conserved, the flanks
weakly); the probabilities are made up, not JASPAR's.
"""

GATA_LIKE_PWM: _FloatArray = _frozen(
    [
        # A     C     G     T        consensus
        (0.55, 0.05, 0.05, 0.35),  # A (A/T)
        (0.02, 0.02, 0.94, 0.02),  # G
        (0.94, 0.02, 0.02, 0.02),  # A
        (0.02, 0.02, 0.02, 0.94),  # T
        (0.94, 0.02, 0.02, 0.02),  # A
        (0.60, 0.05, 0.30, 0.05),  # A (A/G)
        (0.25, 0.15, 0.45, 0.15),  # G
    ]
)
"""A short GATA-like motif (``WGATAR``), shape ``(7, 4)``, consensus ``AGATAAG``."""

MOTIFS: Mapping[str, _FloatArray] = {"CTCF": CTCF_LIKE_PWM, "GATA": GATA_LIKE_PWM}
"""The built-in motifs by name."""


# ------------------------------------------------------------------------- sequences


def reverse_complement(sequence: str) -> str:
    """Reverse complement of a DNA sequence (``ACGTN``, either case).

    Examples
    --------
    >>> reverse_complement("AACGTn")
    'nACGTT'
    """
    return sequence.translate(_COMPLEMENT)[::-1]


def consensus(pwm: npt.ArrayLike) -> str:
    """Most probable letter at each position of a ``(L, 4)`` ACGT matrix.

    Examples
    --------
    >>> consensus(CTCF_LIKE_PWM), consensus(GATA_LIKE_PWM)
    ('TGGCCACCAGGGGGCGCTA', 'AGATAAG')
    """
    matrix = _check_pwm(pwm)
    return "".join(_ALPHABET[i] for i in matrix.argmax(axis=1))


def random_dna(n: int, length: int, *, seed: int = 0, gc: float = 0.41) -> list[str]:
    """Independent, identically distributed random DNA.

    Parameters
    ----------
    n
        Number of sequences.
    length
        Length of each sequence.
    seed
        Random seed.
    gc
        Probability of ``G`` or ``C`` at each position (split equally between them).

    Returns
    -------
    list of str
        ``n`` uppercase sequences of ``length`` letters from ``ACGT``.

    Examples
    --------
    >>> seqs = random_dna(2, 8, seed=0)
    >>> [len(s) for s in seqs], set("".join(seqs)) <= set("ACGT")
    ([8, 8], True)
    >>> random_dna(2, 8, seed=0) == seqs
    True
    """
    _check_count(n, "n")
    _check_count(length, "length")
    if not 0.0 <= gc <= 1.0:
        raise InputError(f"gc must be between 0 and 1, got {gc}")
    rng = np.random.default_rng(seed)
    p = np.array([1.0 - gc, gc, gc, 1.0 - gc]) / 2.0
    codes = rng.choice(4, size=(n, length), p=p)
    return _to_strings(codes)


def markov_background(
    n: int, length: int, *, seed: int = 0, transitions: npt.ArrayLike | None = None
) -> list[str]:
    """Human-like background DNA from a first-order Markov chain.

    Parameters
    ----------
    n
        Number of sequences.
    length
        Length of each sequence.
    seed
        Random seed.
    transitions
        Transition matrix, shape ``(4, 4)``, ``[previous, next]`` in ACGT order, rows
        summing to 1. Defaults to :data:`HUMAN_TRANSITIONS` (GC 41 %, CpG
        observed/expected 0.24). The first letter is drawn from the chain's stationary
        distribution.

    Returns
    -------
    list of str
        ``n`` uppercase sequences of ``length`` letters.

    Examples
    --------
    >>> seqs = markov_background(100, 200, seed=0)
    >>> text = "".join(seqs)
    >>> 0.38 < (text.count("G") + text.count("C")) / len(text) < 0.44
    True
    """
    _check_count(n, "n")
    _check_count(length, "length")
    matrix = (
        HUMAN_TRANSITIONS if transitions is None else _check_pwm(transitions, name="transitions")
    )
    if matrix.shape != (4, 4):
        raise InputError(f"transitions must have shape (4, 4), got {matrix.shape}")
    rng = np.random.default_rng(seed)
    codes = np.zeros((n, length), dtype=np.int64)
    if n == 0 or length == 0:
        return _to_strings(codes)
    uniforms = rng.random((length, n))
    stationary = _stationary(matrix)
    codes[:, 0] = np.searchsorted(np.cumsum(stationary)[:3], uniforms[0], side="right")
    thresholds = np.cumsum(matrix, axis=1)[:, :3]
    state = codes[:, 0]
    for t in range(1, length):
        state = (uniforms[t][:, None] >= thresholds[state]).sum(axis=1)
        codes[:, t] = state
    return _to_strings(codes)


def sample_from_pwm(pwm: npt.ArrayLike, n: int, *, seed: int = 0) -> list[str]:
    """Draw ``n`` motif instances, each position independently from a ``(L, 4)`` matrix.

    Examples
    --------
    >>> instances = sample_from_pwm(GATA_LIKE_PWM, 1000, seed=0)
    >>> sum(s == consensus(GATA_LIKE_PWM) for s in instances) > 100
    True
    """
    matrix = _check_pwm(pwm)
    _check_count(n, "n")
    return _sample(matrix, n, np.random.default_rng(seed))


def plant_motif(
    sequences: Sequence[str],
    motif: npt.ArrayLike | None = None,
    *,
    seed: int = 0,
    both_strands: bool = True,
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    """Overwrite one random window of each sequence with a motif instance.

    Parameters
    ----------
    sequences
        ``N`` sequences, each at least as long as the motif.
    motif
        Position probability matrix, shape ``(L, 4)``, ACGT order. Defaults to
        :data:`CTCF_LIKE_PWM`.
    seed
        Random seed.
    both_strands
        Plant the reverse complement of the instance with probability 1/2.

    Returns
    -------
    sequences : list of str
        The ``N`` sequences with a planted instance.
    starts : numpy.ndarray
        0-based start of each instance, shape ``(N,)``.
    strands : numpy.ndarray
        ``+1`` where the instance reads on the forward strand, ``-1`` where it is
        reverse-complemented, shape ``(N,)``.

    Examples
    --------
    >>> seqs, starts, strands = plant_motif(["A" * 12], GATA_LIKE_PWM, seed=1)
    >>> seqs[0][starts[0]: starts[0] + 7] in ("AGATAAG", "CTTATCT"), len(seqs[0])
    (True, 12)
    """
    matrix = CTCF_LIKE_PWM if motif is None else _check_pwm(motif)
    rng = np.random.default_rng(seed)
    return _plant(list(sequences), matrix, rng, both_strands=both_strands)


def planted_motif_dataset(
    n_positive: int,
    n_negative: int,
    *,
    length: int = 101,
    motif: npt.ArrayLike | None = None,
    seed: int = 0,
    positive_fraction_with_motif: float = 1.0,
    both_strands: bool = True,
    negatives: NegativeKind = "background",
    weak_motif_fraction: float = 0.0,
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """A binary classification set: a motif planted in human-like background.

    Positives are :func:`markov_background` sequences with one instance sampled from
    ``motif`` planted at a uniformly random position (on a random strand if
    ``both_strands``); negatives are background only.

    Parameters
    ----------
    n_positive, n_negative
        Numbers of positives (label 1) and negatives (label 0).
    length
        Length of every sequence; at least the motif's length.
    motif
        Position probability matrix, shape ``(L, 4)``, ACGT order. Defaults to
        :data:`CTCF_LIKE_PWM`.
    seed
        Random seed; the output is a deterministic function of all arguments.
    positive_fraction_with_motif
        Fraction of the positives that get a motif; the others are background labelled
        1 (label noise).
    both_strands
        Plant the reverse complement of an instance with probability 1/2.
    negatives
        ``"background"``: fresh Markov background. ``"shuffle"``: dinucleotide
        shuffles (:func:`biodl.data.shuffle.dinucleotide_shuffle_all`) of the positives,
        negative ``i`` being a shuffle of positive ``i mod n_positive``; this keeps the
        composition of the positives, so only the motif tells the classes apart.
    weak_motif_fraction
        Fraction of the motif-bearing positives whose instance is drawn from a weakened
        motif (half the PWM, half uniform), so that the task is not trivially perfect.

    Returns
    -------
    sequences : list of str
        ``n_positive + n_negative`` sequences of ``length`` letters, in random order.
    labels : numpy.ndarray
        0/1 labels, shape ``(n_positive + n_negative,)``, dtype int64.

    Raises
    ------
    InputError
        On negative counts, fractions outside ``[0, 1]``, a motif longer than
        ``length``, a bad matrix, or ``negatives="shuffle"`` with no positives.

    Examples
    --------
    >>> seqs, y = planted_motif_dataset(50, 50, length=60, negatives="shuffle", seed=2)
    >>> len(seqs), int(y.sum()), {len(s) for s in seqs}
    (100, 50, {60})
    """
    _check_count(n_positive, "n_positive")
    _check_count(n_negative, "n_negative")
    _check_count(length, "length")
    _check_fraction(positive_fraction_with_motif, "positive_fraction_with_motif")
    _check_fraction(weak_motif_fraction, "weak_motif_fraction")
    if negatives not in ("background", "shuffle"):
        raise InputError(f"negatives must be 'background' or 'shuffle', got {negatives!r}")
    if negatives == "shuffle" and n_negative > 0 and n_positive == 0:
        raise InputError("negatives='shuffle' needs at least one positive")
    matrix = CTCF_LIKE_PWM if motif is None else _check_pwm(motif)
    if matrix.shape[0] > length:
        raise InputError(f"the motif ({matrix.shape[0]} bp) is longer than length={length}")
    rng = np.random.default_rng(seed)
    positives = _planted_positives(
        n_positive,
        length,
        matrix,
        rng,
        fraction_with_motif=positive_fraction_with_motif,
        weak_fraction=weak_motif_fraction,
        both_strands=both_strands,
    )
    if negatives == "background":
        negative_seqs = markov_background(n_negative, length, seed=_child_seed(rng))
    else:
        sources = [positives[i % n_positive] for i in range(n_negative)]
        negative_seqs = dinucleotide_shuffle_all(sources, seed=_child_seed(rng))
    sequences = positives + negative_seqs
    labels = np.concatenate(
        [np.ones(n_positive, dtype=np.int64), np.zeros(n_negative, dtype=np.int64)]
    )
    order = rng.permutation(len(sequences))
    return [sequences[i] for i in order], labels[order]


# --------------------------------------------------------------------------- writers


def write_fasta_file(
    path: str | os.PathLike[str],
    sequences: Sequence[str],
    ids: Sequence[str] | None = None,
    *,
    line_width: int | None = 60,
) -> Path:
    """Write sequences as FASTA, atomically.

    Parameters
    ----------
    path
        Output file; written through a temporary file and :func:`os.replace`.
    sequences
        The ``N`` sequences.
    ids
        ``N`` record names; default ``seq0``, ``seq1``, ...
    line_width
        Letters per line; ``None`` writes each sequence on one line.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = write_fasta_file(pathlib.Path(tempfile.mkdtemp()) / "x.fa", ["ACGTAC"], ["r1"],
    ...                        line_width=4)
    >>> out.read_text()
    '>r1\\nACGT\\nAC\\n'
    """
    names = _ids(ids, len(sequences), prefix="seq")
    if line_width is not None and line_width < 1:
        raise InputError(f"line_width must be positive, got {line_width}")
    parts: list[str] = []
    for name, seq in zip(names, sequences, strict=True):
        parts.append(f">{name}\n")
        if line_width is None:
            parts.append(seq + "\n")
        else:
            parts.extend(seq[i : i + line_width] + "\n" for i in range(0, len(seq), line_width))
    return _atomic_write(path, "".join(parts).encode("utf-8"))


def write_table_file(
    path: str | os.PathLike[str],
    sequences: Sequence[str],
    labels: npt.ArrayLike,
    *,
    ids: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    sep: str = "\t",
    gzip: bool = False,
    sequence_column: str = "seq",
    label_column: str | Sequence[str] = "Bound",
    id_column: str = "id",
    group_column: str = "group",
) -> Path:
    """Write a delimited table of sequences and labels, atomically.

    Columns are, in order: ``id_column`` (if ``ids``), ``sequence_column``, the label
    column(s), ``group_column`` (if ``groups``). The defaults give DeepBind-like files
    (``seq`` and ``Bound``).

    Parameters
    ----------
    path
        Output file; written through a temporary file and :func:`os.replace`.
    sequences
        The ``N`` sequences.
    labels
        Shape ``(N,)``, or ``(N, T)`` with ``label_column`` naming the ``T`` columns.
        Integer labels are written as integers, others with 6 significant digits.
    ids, groups
        Optional ``N`` record names and group names (e.g. chromosomes).
    sep
        Column separator.
    gzip
        Compress with gzip (reproducibly: the gzip header has no time stamp).
    sequence_column, label_column, id_column, group_column
        Column names.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
    >>> _ = write_table_file(out, ["ACG", "TTA"], [1, 0], ids=["a", "b"])
    >>> print(out.read_text().replace("\\t", " | "), end="")
    id | seq | Bound
    a | ACG | 1
    b | TTA | 0
    """
    n = len(sequences)
    values = np.asarray(labels)
    names = [label_column] if isinstance(label_column, str) else list(label_column)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != n or values.shape[1] != len(names):
        raise InputError(
            f"labels of shape {np.asarray(labels).shape} do not match {n} sequences and "
            f"{len(names)} label column(s)"
        )
    for column, what in ((ids, "ids"), (groups, "groups")):
        if column is not None and len(column) != n:
            raise InputError(f"{what} has {len(column)} entries for {n} sequences")
    integer = np.issubdtype(values.dtype, np.integer) or values.dtype == np.bool_
    header = ([id_column] if ids is not None else []) + [sequence_column] + names
    header += [group_column] if groups is not None else []
    lines = [sep.join(header)]
    for i in range(n):
        cells = [ids[i]] if ids is not None else []
        cells.append(sequences[i])
        cells.extend(str(int(v)) if integer else f"{float(v):.6g}" for v in values[i])
        if groups is not None:
            cells.append(groups[i])
        lines.append(sep.join(cells))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if gzip:
        data = gzip_module.compress(data, compresslevel=6, mtime=0)
    return _atomic_write(path, data)


def write_genome_and_bed(
    folder: str | os.PathLike[str],
    *,
    n_chroms: int = 2,
    chrom_length: int = 5000,
    n_peaks: int = 20,
    length: int = 101,
    motif: npt.ArrayLike | None = None,
    seed: int = 0,
    leading_n: int = 0,
) -> tuple[Path, Path]:
    """Write a random genome with planted motifs and a narrowPeak file of those peaks.

    The genome (``genome.fa``, 60 letters per line, chromosomes ``chr1``, ``chr2``, ...)
    is :func:`markov_background` sequence. ``n_peaks`` non-overlapping peaks of
    ``length`` bp are spread at random over the chromosomes; each peak's summit is at a
    random offset away from its edges and a motif instance (random strand) is centred on
    it. ``peaks.narrowPeak`` lists them sorted by chromosome and start, in the ten
    ENCODE narrowPeak columns (chrom, start, end, name, score, strand ``.``, signalValue,
    pValue, qValue, summit offset from start).

    Parameters
    ----------
    folder
        Output folder, created if missing.
    n_chroms, chrom_length
        Number and length of the chromosomes.
    n_peaks, length
        Number and width of the peaks.
    motif
        Position probability matrix, shape ``(L, 4)``; default :data:`CTCF_LIKE_PWM`.
    seed
        Random seed.
    leading_n
        Number of ``N`` at the start of each chromosome (like a telomere); no peak
        overlaps them.

    Returns
    -------
    genome_path, bed_path : pathlib.Path
        The FASTA and narrowPeak files.

    Raises
    ------
    InputError
        If the peaks do not fit in the chromosomes or are narrower than the motif.

    Examples
    --------
    >>> import tempfile
    >>> fa, bed = write_genome_and_bed(tempfile.mkdtemp(), n_peaks=3, seed=0)
    >>> fa.name, bed.name, len(bed.read_text().splitlines())
    ('genome.fa', 'peaks.narrowPeak', 3)
    """
    _check_count(n_chroms, "n_chroms")
    _check_count(chrom_length, "chrom_length")
    _check_count(n_peaks, "n_peaks")
    _check_count(leading_n, "leading_n")
    matrix = CTCF_LIKE_PWM if motif is None else _check_pwm(motif)
    width = matrix.shape[0]
    if length < width + 2:
        raise InputError(f"peaks of {length} bp cannot hold the {width}-bp motif")
    usable = chrom_length - leading_n
    slots_per_chrom = max(usable // length, 0)
    if n_peaks > slots_per_chrom * n_chroms:
        raise InputError(
            f"{n_peaks} peaks of {length} bp do not fit in {n_chroms} chromosome(s) of "
            f"{chrom_length} bp"
        )
    rng = np.random.default_rng(seed)
    chroms = markov_background(n_chroms, chrom_length, seed=_child_seed(rng))
    chroms = [
        "N" * min(leading_n, chrom_length) + seq[min(leading_n, chrom_length) :] for seq in chroms
    ]
    # Non-overlapping peaks: choose distinct slots, then jitter inside each slot's slack.
    slots = np.sort(rng.choice(slots_per_chrom * n_chroms, size=n_peaks, replace=False))
    spare = usable - slots_per_chrom * length
    gaps = rng.multinomial(spare, np.full(slots_per_chrom + 1, 1.0 / (slots_per_chrom + 1)))
    instances = _sample(matrix, n_peaks, rng)
    strands = rng.random(n_peaks) < 0.5
    half = width // 2
    summits = rng.integers(half + 1, length - (width - half), size=n_peaks, endpoint=False)
    lines: list[str] = []
    chars = [list(seq) for seq in chroms]
    for k, slot in enumerate(slots.tolist()):
        c, j = divmod(slot, slots_per_chrom)
        start = leading_n + j * length + int(gaps[: j + 1].sum())
        end = start + length
        summit = int(summits[k])
        instance = reverse_complement(instances[k]) if strands[k] else instances[k]
        at = start + summit - half
        chars[c][at : at + width] = instance
        score = int(rng.integers(200, 1001))
        signal = float(rng.uniform(5.0, 50.0))
        p_value = float(rng.uniform(5.0, 100.0))
        q_value = p_value * 0.9
        lines.append(
            f"chr{c + 1}\t{start}\t{end}\tpeak_{k + 1}\t{score}\t.\t"
            f"{signal:.3f}\t{p_value:.3f}\t{q_value:.3f}\t{summit}"
        )
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    genome = write_fasta_file(
        target / "genome.fa", ["".join(c) for c in chars], [f"chr{i + 1}" for i in range(n_chroms)]
    )
    bed = _atomic_write(target / "peaks.narrowPeak", "".join(f"{x}\n" for x in lines).encode())
    return genome, bed


# --------------------------------------------------------------------------- helpers


def _check_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InputError(f"{name} must be a non-negative integer, got {value!r}")


def _check_fraction(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{name} must be between 0 and 1, got {value}")


def _check_pwm(pwm: npt.ArrayLike, *, name: str = "motif") -> _FloatArray:
    matrix = np.asarray(pwm, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != 4 or matrix.shape[0] == 0:
        raise InputError(f"{name} must have shape (L, 4) in ACGT order, got {matrix.shape}")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise InputError(f"{name} must hold non-negative probabilities")
    if not np.allclose(matrix.sum(axis=1), 1.0, atol=1e-3):
        raise InputError(f"every row of {name} must sum to 1")
    result: _FloatArray = matrix / matrix.sum(axis=1, keepdims=True)
    return result


def _stationary(transitions: _FloatArray) -> _FloatArray:
    values, vectors = np.linalg.eig(transitions.T)
    vector = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
    result: _FloatArray = np.abs(vector) / np.abs(vector).sum()
    return result


def _to_strings(codes: npt.NDArray[np.int64]) -> list[str]:
    n, length = codes.shape
    text = _LETTERS[codes].tobytes().decode("ascii")
    return [text[i * length : (i + 1) * length] for i in range(n)]


def _sample(matrix: _FloatArray, n: int, rng: np.random.Generator) -> list[str]:
    thresholds = np.cumsum(matrix, axis=1)[:, :3]  # (L, 3)
    uniforms = rng.random((n, matrix.shape[0]))
    codes = (uniforms[:, :, None] >= thresholds[None, :, :]).sum(axis=2)
    return _to_strings(codes.astype(np.int64))


def _child_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**63 - 1))


def _plant(
    sequences: list[str],
    matrix: _FloatArray,
    rng: np.random.Generator,
    *,
    both_strands: bool,
    weak: npt.NDArray[np.bool_] | None = None,
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    width = matrix.shape[0]
    n = len(sequences)
    for i, seq in enumerate(sequences):
        if len(seq) < width:
            raise InputError(f"sequence {i} ({len(seq)} bp) is shorter than the {width}-bp motif")
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    starts = np.floor(rng.random(n) * (lengths - width + 1)).astype(np.int64)
    reverse = (rng.random(n) < 0.5) if both_strands else np.zeros(n, dtype=bool)
    instances = _sample(matrix, n, rng)
    if weak is not None and weak.any():
        softened = 0.5 * matrix + 0.125
        weak_instances = _sample(softened, int(weak.sum()), rng)
        for i, instance in zip(np.flatnonzero(weak).tolist(), weak_instances, strict=True):
            instances[i] = instance
    out: list[str] = []
    for seq, start, rev, instance in zip(
        sequences, starts.tolist(), reverse.tolist(), instances, strict=True
    ):
        site = reverse_complement(instance) if rev else instance
        out.append(seq[:start] + site + seq[start + width :])
    strands = np.where(reverse, -1, 1).astype(np.int8)
    return out, starts, strands


def _planted_positives(
    n: int,
    length: int,
    matrix: _FloatArray,
    rng: np.random.Generator,
    *,
    fraction_with_motif: float,
    weak_fraction: float,
    both_strands: bool,
) -> list[str]:
    background = markov_background(n, length, seed=_child_seed(rng))
    n_with = round(fraction_with_motif * n)
    chosen = np.sort(rng.permutation(n)[:n_with])
    weak = np.zeros(n_with, dtype=bool)
    weak[rng.permutation(n_with)[: round(weak_fraction * n_with)]] = True
    planted, _, _ = _plant(
        [background[i] for i in chosen], matrix, rng, both_strands=both_strands, weak=weak
    )
    for i, seq in zip(chosen.tolist(), planted, strict=True):
        background[i] = seq
    return background


def _ids(ids: Sequence[str] | None, n: int, *, prefix: str) -> list[str]:
    if ids is None:
        return [f"{prefix}{i}" for i in range(n)]
    if len(ids) != n:
        raise InputError(f"ids has {len(ids)} entries for {n} sequences")
    return list(ids)


def _atomic_write(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(target, data)
