"""Tests of the synthetic data generators and file writers in biodl.testing."""

from __future__ import annotations

import gzip
import itertools
import time
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from biodl.errors import InputError
from biodl.testing import (
    CTCF_LIKE_PWM,
    GATA_LIKE_PWM,
    HUMAN_DINUCLEOTIDE_FREQUENCIES,
    HUMAN_TRANSITIONS,
    MOTIFS,
    consensus,
    markov_background,
    plant_motif,
    planted_motif_dataset,
    random_dna,
    reverse_complement,
    sample_from_pwm,
    write_fasta_file,
    write_genome_and_bed,
    write_table_file,
)
from biodl.testing.demo import CONFIG_YAML, main, write_demo

INDEX = {letter: i for i, letter in enumerate("ACGT")}


def best_pwm_score(sequence: str, pwm: npt.NDArray[np.float64]) -> float:
    """Highest log2-odds score (uniform background) of any window on either strand."""
    log_odds = np.log2(pwm / 0.25)
    width = pwm.shape[0]
    codes = np.array([INDEX[c] for c in sequence])
    windows = np.lib.stride_tricks.sliding_window_view(codes, width)
    forward = log_odds[np.arange(width), windows].sum(axis=1)
    reverse = log_odds[::-1, ::-1][np.arange(width), windows].sum(axis=1)
    return float(max(forward.max(), reverse.max()))


def consensus_mismatches(sequence: str, motif: str) -> int:
    """Fewest mismatches between the consensus and any window, on either strand."""
    width = len(motif)
    targets = (motif, reverse_complement(motif))
    return min(
        sum(a != b for a, b in zip(sequence[i : i + width], target, strict=True))
        for i in range(len(sequence) - width + 1)
        for target in targets
    )


def read_fasta(path: Path) -> dict[str, str]:
    records: dict[str, list[str]] = {}
    name = ""
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:]
            records[name] = []
        else:
            records[name].append(line)
    return {k: "".join(v) for k, v in records.items()}


# ---------------------------------------------------------------------------- motifs


@pytest.mark.parametrize("pwm", [CTCF_LIKE_PWM, GATA_LIKE_PWM, *MOTIFS.values()])
def test_motifs_are_probability_matrices(pwm: npt.NDArray[np.float64]) -> None:
    assert pwm.ndim == 2
    assert pwm.shape[1] == 4
    assert np.allclose(pwm.sum(axis=1), 1.0)
    assert np.all(pwm > 0)
    assert not pwm.flags.writeable


def test_motif_shapes_and_consensus() -> None:
    assert CTCF_LIKE_PWM.shape == (19, 4)
    assert consensus(CTCF_LIKE_PWM) == "TGGCCACCAGGGGGCGCTA"
    assert consensus(GATA_LIKE_PWM) == "AGATAAG"
    assert set(MOTIFS) == {"CTCF", "GATA"}


def test_sample_from_pwm_follows_the_matrix() -> None:
    instances = sample_from_pwm(GATA_LIKE_PWM, 4000, seed=3)
    assert {len(s) for s in instances} == {7}
    for position in range(7):
        counts = Counter(s[position] for s in instances)
        frequencies = np.array([counts[c] for c in "ACGT"]) / 4000
        assert np.allclose(frequencies, GATA_LIKE_PWM[position], atol=0.03)


def test_reverse_complement() -> None:
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("acgT") == "Acgt"


# ------------------------------------------------------------------------ background


def test_random_dna_is_deterministic_and_has_requested_gc() -> None:
    seqs = random_dna(50, 400, seed=7, gc=0.6)
    assert seqs == random_dna(50, 400, seed=7, gc=0.6)
    assert seqs != random_dna(50, 400, seed=8, gc=0.6)
    assert {len(s) for s in seqs} == {400}
    text = "".join(seqs)
    assert set(text) <= set("ACGT")
    assert abs((text.count("G") + text.count("C")) / len(text) - 0.6) < 0.02


def test_markov_background_is_human_like() -> None:
    seqs = markov_background(200, 1000, seed=0)
    assert seqs == markov_background(200, 1000, seed=0)
    assert seqs != markov_background(200, 1000, seed=1)
    assert {len(s) for s in seqs} == {1000}
    text = "".join(seqs)
    n = len(text)
    gc = (text.count("G") + text.count("C")) / n
    assert 0.38 <= gc <= 0.44
    cpg = sum(s.count("CG") for s in seqs) / sum(len(s) - 1 for s in seqs)
    observed_expected = cpg / ((text.count("C") / n) * (text.count("G") / n))
    assert observed_expected < 0.4
    gpc = sum(s.count("GC") for s in seqs) / sum(len(s) - 1 for s in seqs)
    assert gpc / ((text.count("C") / n) * (text.count("G") / n)) > 0.8  # only CpG depleted


def test_transition_matrix_constants() -> None:
    assert HUMAN_TRANSITIONS.shape == (4, 4)
    assert np.allclose(HUMAN_TRANSITIONS.sum(axis=1), 1.0)
    assert HUMAN_DINUCLEOTIDE_FREQUENCIES.sum() == pytest.approx(1.0)
    letters = HUMAN_DINUCLEOTIDE_FREQUENCIES.sum(axis=1)
    assert np.allclose(letters, HUMAN_DINUCLEOTIDE_FREQUENCIES.sum(axis=0))
    assert np.allclose(letters @ HUMAN_TRANSITIONS, letters)  # stationary
    cg = HUMAN_DINUCLEOTIDE_FREQUENCIES[1, 2] / (letters[1] * letters[2])
    assert 0.2 < cg < 0.3


def test_markov_background_custom_transitions() -> None:
    always_next = np.roll(np.eye(4), 1, axis=1)  # A->C->G->T->A
    seqs = markov_background(3, 12, seed=0, transitions=always_next)
    for s in seqs:
        assert all((INDEX[b] - INDEX[a]) % 4 == 1 for a, b in itertools.pairwise(s))
    with pytest.raises(InputError):
        markov_background(1, 5, transitions=np.ones((3, 4)) / 4)


# ------------------------------------------------------------------- planted motifs


def test_planted_dataset_is_deterministic_and_balanced() -> None:
    seqs, labels = planted_motif_dataset(300, 300, seed=4)
    again, labels_again = planted_motif_dataset(300, 300, seed=4)
    assert seqs == again
    assert np.array_equal(labels, labels_again)
    other, _ = planted_motif_dataset(300, 300, seed=5)
    assert seqs != other
    assert len(seqs) == 600
    assert labels.dtype == np.int64
    assert sorted(Counter(labels.tolist()).items()) == [(0, 300), (1, 300)]
    assert {len(s) for s in seqs} == {101}
    assert 100 < int(labels[:300].sum()) < 200  # positives and negatives are mixed


def test_positives_carry_the_motif() -> None:
    seqs, labels = planted_motif_dataset(300, 300, seed=1)
    scores = np.array([best_pwm_score(s, CTCF_LIKE_PWM) for s in seqs])
    assert np.mean(scores[labels == 1] > 6.0) > 0.9
    assert np.mean(scores[labels == 0] > 6.0) < 0.1
    motif = consensus(CTCF_LIKE_PWM)
    mismatches = np.array([consensus_mismatches(s, motif) for s in seqs])
    assert np.mean(mismatches[labels == 1] <= 7) > 0.6
    assert np.mean(mismatches[labels == 0] <= 7) < 0.15


def test_forward_strand_only_and_other_motif() -> None:
    seqs, labels = planted_motif_dataset(
        200, 0, length=40, motif=GATA_LIKE_PWM, both_strands=False, seed=2
    )
    assert labels.tolist() == [1] * 200
    assert sum("GATA" in s for s in seqs) > 0.65 * 200  # 0.94 ** 4 = 0.78 from the motif
    assert sum("TATC" in s for s in seqs) < 0.4 * 200  # never planted reverse-complemented
    assert sum("GATA" in s for s in markov_background(200, 40, seed=2)) < 0.4 * 200


def test_shuffled_negatives_keep_composition() -> None:
    seqs, labels = planted_motif_dataset(40, 80, negatives="shuffle", seed=3)
    positives = {
        frozenset(Counter(itertools.pairwise(s)).items())
        for s, y in zip(seqs, labels, strict=True)
        if y
    }
    for s, y in zip(seqs, labels, strict=True):
        if not y:
            assert frozenset(Counter(itertools.pairwise(s)).items()) in positives
    scores = np.array([best_pwm_score(s, CTCF_LIKE_PWM) for s in seqs])
    assert scores[labels == 1].mean() > scores[labels == 0].mean() + 4


def test_fraction_with_motif_and_weak_motifs() -> None:
    seqs, _ = planted_motif_dataset(400, 0, positive_fraction_with_motif=0.0, seed=6)
    background_scores = [best_pwm_score(s, CTCF_LIKE_PWM) for s in seqs]
    assert np.mean(np.array(background_scores) > 6.0) < 0.1
    strong, _ = planted_motif_dataset(400, 0, seed=6)
    weak, _ = planted_motif_dataset(400, 0, weak_motif_fraction=1.0, seed=6)
    strong_scores = np.array([best_pwm_score(s, CTCF_LIKE_PWM) for s in strong])
    weak_scores = np.array([best_pwm_score(s, CTCF_LIKE_PWM) for s in weak])
    assert weak_scores.mean() < strong_scores.mean() - 3


def test_plant_motif_reports_positions_and_strands() -> None:
    background = markov_background(50, 60, seed=0)
    seqs, starts, strands = plant_motif(background, GATA_LIKE_PWM, seed=1)
    assert set(strands.tolist()) == {-1, 1}
    mismatches = []
    for original, s, start, strand in zip(background, seqs, starts, strands, strict=True):
        assert s[:start] == original[:start]
        assert s[start + 7 :] == original[start + 7 :]
        site = s[start : start + 7]
        instance = site if strand == 1 else reverse_complement(site)
        mismatches.append(sum(a != b for a, b in zip(instance, "AGATAAG", strict=True)))
    assert np.mean(mismatches) < 1.5  # a random 7-mer has about 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_positive": -1, "n_negative": 1},
        {"n_positive": 1, "n_negative": 1, "length": 10},
        {"n_positive": 1, "n_negative": 1, "positive_fraction_with_motif": 1.5},
        {"n_positive": 0, "n_negative": 5, "negatives": "shuffle"},
        {"n_positive": 1, "n_negative": 1, "negatives": "random"},
        {"n_positive": 1, "n_negative": 1, "motif": np.ones((5, 4))},
        {"n_positive": 1, "n_negative": 1, "motif": np.ones((5, 3)) / 3},
    ],
)
def test_bad_arguments_raise_input_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        planted_motif_dataset(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- writers


def test_write_fasta_file(tmp_path: Path) -> None:
    seqs = random_dna(3, 130, seed=0)
    path = write_fasta_file(tmp_path / "sub" / "x.fa", seqs, ["a", "b", "c"])
    assert read_fasta(path) == dict(zip("abc", seqs, strict=True))
    assert max(len(line) for line in path.read_text().splitlines()) == 60
    default = write_fasta_file(tmp_path / "y.fa", seqs, line_width=None)
    assert list(read_fasta(default)) == ["seq0", "seq1", "seq2"]
    assert len(default.read_text().splitlines()) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "y.fa"]  # no temp files
    with pytest.raises(InputError):
        write_fasta_file(tmp_path / "z.fa", seqs, ["a"])


def test_write_table_file(tmp_path: Path) -> None:
    path = write_table_file(
        tmp_path / "t.tsv.gz",
        ["ACGT", "GGCA"],
        np.array([1, 0]),
        ids=["r1", "r2"],
        groups=["chr1", "chr2"],
        gzip=True,
        group_column="chrom",
    )
    with gzip.open(path, "rt") as stream:
        rows = [line.rstrip("\n").split("\t") for line in stream]
    assert rows == [
        ["id", "seq", "Bound", "chrom"],
        ["r1", "ACGT", "1", "chr1"],
        ["r2", "GGCA", "0", "chr2"],
    ]
    first = path.read_bytes()
    write_table_file(
        path,
        ["ACGT", "GGCA"],
        np.array([1, 0]),
        ids=["r1", "r2"],
        groups=["chr1", "chr2"],
        gzip=True,
        group_column="chrom",
    )
    assert path.read_bytes() == first  # reproducible gzip

    csv = write_table_file(
        tmp_path / "m.csv",
        ["AC", "GT"],
        np.array([[0.5, 1.25], [2.0, -1.0]]),
        sep=",",
        sequence_column="sequence",
        label_column=["a", "b"],
    )
    assert csv.read_text().splitlines() == ["sequence,a,b", "AC,0.5,1.25", "GT,2,-1"]
    with pytest.raises(InputError):
        write_table_file(tmp_path / "bad.tsv", ["AC"], [1, 0])
    with pytest.raises(InputError):
        write_table_file(tmp_path / "bad.tsv", ["AC"], [1], groups=["a", "b"])


def test_write_genome_and_bed(tmp_path: Path) -> None:
    genome_path, bed_path = write_genome_and_bed(
        tmp_path, n_chroms=3, chrom_length=3000, n_peaks=24, length=101, seed=5, leading_n=40
    )
    genome = read_fasta(genome_path)
    assert list(genome) == ["chr1", "chr2", "chr3"]
    assert all(len(s) == 3000 and s.startswith("N" * 40) for s in genome.values())
    assert all(set(s[40:]) <= set("ACGT") for s in genome.values())
    lines = genome_path.read_text().splitlines()
    assert {len(line) for line in lines if not line.startswith(">")} <= {60, 3000 % 60}
    peaks = [line.split("\t") for line in bed_path.read_text().splitlines()]
    assert len(peaks) == 24
    assert all(len(p) == 10 for p in peaks)
    keys = [(p[0], int(p[1])) for p in peaks]
    assert keys == sorted(keys)
    summit_scores = []
    for chrom, group in itertools.groupby(peaks, key=lambda p: p[0]):
        previous_end = 0
        for p in group:
            start, end, summit = int(p[1]), int(p[2]), int(p[9])
            assert end - start == 101
            assert start >= max(previous_end, 40)
            assert end <= 3000
            assert 0 < summit < 101
            previous_end = end
            centre = start + summit
            summit_scores.append(
                best_pwm_score(genome[chrom][centre - 12 : centre + 12], CTCF_LIKE_PWM)
            )
    assert np.mean(np.array(summit_scores) > 6.0) > 0.85
    again = write_genome_and_bed(
        tmp_path / "again", n_chroms=3, chrom_length=3000, n_peaks=24, seed=5, leading_n=40
    )
    assert again[0].read_bytes() == genome_path.read_bytes()
    assert again[1].read_bytes() == bed_path.read_bytes()
    with pytest.raises(InputError):
        write_genome_and_bed(tmp_path / "full", n_chroms=1, chrom_length=500, n_peaks=10)


# ------------------------------------------------------------------------------- demo


def test_demo(tmp_path: Path) -> None:
    start = time.perf_counter()
    assert main([str(tmp_path / "demo"), "--quiet"]) == 0
    assert time.perf_counter() - start < 5.0
    folder = tmp_path / "demo"
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.yaml",
        "test.tsv.gz",
        "train.tsv.gz",
    ]
    assert (folder / "config.yaml").read_text() == CONFIG_YAML
    assert CONFIG_YAML.startswith("# biodl demo: DeepBind on a planted CTCF-like motif")
    assert "negatives: {shuffle: dinucleotide, per_positive: 1}" in CONFIG_YAML

    with gzip.open(folder / "train.tsv.gz", "rt") as stream:
        train = [line.rstrip("\n").split("\t") for line in stream]
    assert train[0] == ["id", "seq", "label", "chrom"]
    assert len(train) == 4001
    assert {row[2] for row in train[1:]} == {"1"}
    assert {len(row[1]) for row in train[1:]} == {101}
    assert len({row[0] for row in train[1:]}) == 4000

    with gzip.open(folder / "test.tsv.gz", "rt") as stream:
        test = [line.rstrip("\n").split("\t") for line in stream]
    assert test[0] == ["id", "seq", "label", "chrom"]
    assert Counter(row[2] for row in test[1:]) == {"1": 500, "0": 500}
    train_seqs = {row[1] for row in train[1:]}
    assert not train_seqs & {row[1] for row in test[1:]}
    scores = np.array([best_pwm_score(row[1], CTCF_LIKE_PWM) for row in test[1:]])
    is_positive = np.array([row[2] == "1" for row in test[1:]])
    assert 0.85 < np.mean(scores[is_positive] > 6.0) < 0.99  # 10 % weakened motifs
    assert np.mean(scores[~is_positive] > 6.0) < 0.15

    again = write_demo(tmp_path / "again")
    for name in ("train", "test", "config"):
        assert again[name].read_bytes() == (folder / again[name].name).read_bytes()
