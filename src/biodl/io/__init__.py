"""Reading user files: FASTA/FASTQ, sequence tables, BED/narrowPeak and genomes.

Every problem with a file raises :class:`biodl.errors.InputError`, whose message names
the file and the line (and, for a bad letter, its column).
"""

from __future__ import annotations

from biodl.io._open import guard_lines, is_gzip, open_text, read_lines
from biodl.io.alphabet import (
    ALPHABETS,
    ILLEGAL_CODE,
    UNKNOWN_SYMBOLS,
    AlphabetName,
    ambiguous_to_unknown,
    check_alphabet,
    code_table,
    describe_alphabet,
    find_illegal,
    reverse_complement,
    validate_sequence,
)
from biodl.io.bed import (
    Genome,
    Interval,
    fixed_window,
    intervals_to_sequences,
    read_bed,
    region_of_id,
)
from biodl.io.cpg import CpgProfile, read_cpg_profile
from biodl.io.fasta import (
    FastqRecord,
    SeqRecord,
    read_fasta,
    read_fastq,
    read_plain_sequences,
    read_sequences,
    sniff_sequence_format,
    write_fasta,
)
from biodl.io.residues import ResidueRecord, read_residue_labels
from biodl.io.table import SequenceTable, default_separator, read_table, tsv_cell
from biodl.io.track_writer import TrackWriter, track_format
from biodl.io.tracks import TrackFile as TrackFile
from biodl.io.tracks import open_track as open_track
from biodl.io.tracks import read_chrom_sizes as read_chrom_sizes
from biodl.io.tracks import reconcile_chroms as reconcile_chroms

__all__ = [
    "ALPHABETS",
    "ILLEGAL_CODE",
    "UNKNOWN_SYMBOLS",
    "AlphabetName",
    "CpgProfile",
    "FastqRecord",
    "Genome",
    "Interval",
    "ResidueRecord",
    "SeqRecord",
    "SequenceTable",
    "TrackWriter",
    "ambiguous_to_unknown",
    "check_alphabet",
    "code_table",
    "default_separator",
    "describe_alphabet",
    "find_illegal",
    "fixed_window",
    "guard_lines",
    "intervals_to_sequences",
    "is_gzip",
    "open_text",
    "read_bed",
    "read_cpg_profile",
    "read_fasta",
    "read_fastq",
    "read_lines",
    "read_plain_sequences",
    "read_residue_labels",
    "read_sequences",
    "read_table",
    "region_of_id",
    "reverse_complement",
    "sniff_sequence_format",
    "track_format",
    "tsv_cell",
    "validate_sequence",
    "write_fasta",
]
