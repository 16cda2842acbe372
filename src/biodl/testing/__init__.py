"""Test-data generators shipped with biodl.

Synthetic sequences with a known answer (a motif planted in human-like background), exact
shuffles and writers of small FASTA, table, genome and narrowPeak files. The test suite,
``make demo`` (``python -m biodl.testing.demo DIR``) and the benchmarks use them.

Examples
--------
>>> from biodl.testing import planted_motif_dataset
>>> seqs, labels = planted_motif_dataset(10, 10, seed=0)
>>> len(seqs), int(labels.sum())
(20, 10)
"""

from __future__ import annotations

from biodl.testing.multitask import (
    MultitaskData,
    hairpin_dataset,
    membrane_protein_dataset,
    multitask_dataset,
    protein_motif_dataset,
    tiny_deeploc_params,
    write_cpg_profiles,
    write_deeploc_fasta,
    write_multitask_table,
)
from biodl.testing.synthetic import (
    CTCF_LIKE_PWM,
    GATA_LIKE_PWM,
    HUMAN_DINUCLEOTIDE_FREQUENCIES,
    HUMAN_TRANSITIONS,
    MOTIFS,
    NegativeKind,
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
from biodl.testing.tracks import TrackDataset, write_track_dataset

__all__ = [
    "CTCF_LIKE_PWM",
    "GATA_LIKE_PWM",
    "HUMAN_DINUCLEOTIDE_FREQUENCIES",
    "HUMAN_TRANSITIONS",
    "MOTIFS",
    "MultitaskData",
    "NegativeKind",
    "TrackDataset",
    "consensus",
    "hairpin_dataset",
    "markov_background",
    "membrane_protein_dataset",
    "multitask_dataset",
    "plant_motif",
    "planted_motif_dataset",
    "protein_motif_dataset",
    "random_dna",
    "reverse_complement",
    "sample_from_pwm",
    "tiny_deeploc_params",
    "write_cpg_profiles",
    "write_deeploc_fasta",
    "write_fasta_file",
    "write_genome_and_bed",
    "write_multitask_table",
    "write_table_file",
    "write_track_dataset",
]
