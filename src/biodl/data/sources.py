"""Turn the data sources of a configuration into :class:`~biodl.data.examples.Examples`.

Three forms are read (see :mod:`biodl.config`): a table with named columns, FASTA files
(one per class, or one file plus a two-column id/label table), and BED intervals cut
from an indexed reference genome.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

from biodl.config import BedSource, Config, FastaSource, TableSource
from biodl.data.examples import Examples, normalise_label
from biodl.errors import InputError
from biodl.io import (
    Genome,
    ambiguous_to_unknown,
    intervals_to_sequences,
    read_bed,
    read_lines,
    read_sequences,
    read_table,
    validate_sequence,
)

__all__ = ["default_positive", "load_source", "parse_region_id"]

_REGION = re.compile(r"^(?P<chrom>[^:\s]+):(?P<start>\d+)-(?P<end>\d+)")


def parse_region_id(text: str) -> str | None:
    """Chromosome of an id written ``chrom:start-end`` (as ``bedtools getfasta`` writes).

    Examples
    --------
    >>> parse_region_id("chr2:100-201(+)"), parse_region_id("seq_0001")
    ('chr2', None)
    """
    match = _REGION.match(text)
    return None if match is None else match.group("chrom")


def load_source(source: TableSource | FastaSource | BedSource, config: Config) -> Examples:
    """Read one data source of ``config`` (paths resolve against the config's folder).

    Parameters
    ----------
    source
        The validated source section.
    config
        The whole configuration (alphabet, base folder).

    Returns
    -------
    Examples
        Sequences with labels (raw label text, normalised) and provenance. A source
        without labels gives every example the positive label (``config.positive`` or
        ``1``).
    """
    if isinstance(source, TableSource):
        return _load_table(source, config)
    if isinstance(source, FastaSource):
        return _load_fasta(source, config)
    return _load_bed(source, config)


def default_positive(config: Config) -> str:
    """The positive class: ``positive:`` if set, else ``1``.

    For a ``fasta:``/``bed:`` mapping without a label ``1`` it is the mapping's first label.
    """
    if config.positive is not None:
        return config.positive
    source = config.data.train
    mapping = source.bed if isinstance(source, BedSource) else None
    if isinstance(source, FastaSource) and isinstance(source.fasta, dict):
        mapping = source.fasta
    if mapping:
        labels = [normalise_label(str(k)) for k in mapping]
        return "1" if "1" in labels else labels[0]
    return "1"


def _load_table(source: TableSource, config: Config) -> Examples:
    path = config.resolve(source.table)
    extra = tuple(c for c in (source.chrom, source.fold) if c is not None)
    lenient = config.data.ambiguous == "unknown"
    table = read_table(
        path,
        sequence=source.sequence,
        label=source.label,
        id=source.id,
        group=source.group,
        sep=source.sep,
        alphabet=None if lenient else config.data.alphabet,
        extra_columns=extra,
        column_names=source.columns,
    )
    n = len(table.sequences)
    if table.labels is None:
        labels = [default_positive(config)] * n
    else:
        labels = [normalise_label(v) for v in table.labels]
    chroms = None
    if source.chrom is not None:
        chroms = list(table.extra[source.chrom])
    else:
        chroms = _chroms_from_ids(table.ids)
    sequences = list(table.sequences)
    if lenient:
        sequences = [
            _lenient(seq, config, path=path, line=line, record=seq_id)
            for seq, line, seq_id in zip(sequences, table.lines, table.ids, strict=True)
        ]
    return Examples(
        sequences=sequences,
        labels=labels,
        ids=list(table.ids),
        origins=[(os.fspath(path), line) for line in table.lines],
        chroms=chroms,
        groups=None if table.groups is None else list(table.groups),
        folds=None if source.fold is None else list(table.extra[source.fold]),
    )


def _lenient(seq: str, config: Config, *, path: Path, line: int, record: str) -> str:
    """``data.ambiguous: unknown``: IUPAC ambiguity codes become N, then validate."""
    if config.data.alphabet in ("dna", "rna"):
        seq = ambiguous_to_unknown(seq)
    return validate_sequence(seq, config.data.alphabet, path=path, line=line, record=record)


def _chroms_from_ids(ids: list[str]) -> list[str] | None:
    chroms = [parse_region_id(i) for i in ids]
    if not chroms or any(c is None for c in chroms):
        return None
    return [c for c in chroms if c is not None]


def _read_fasta_examples(path: Path, label: str | None, config: Config) -> Examples:
    seqs: list[str] = []
    ids: list[str] = []
    origins: list[tuple[str, int]] = []
    lenient = config.data.ambiguous == "unknown"
    for rec in read_sequences(path, alphabet=None if lenient else config.data.alphabet):
        seq = rec.sequence
        if lenient:
            seq = _lenient(seq, config, path=path, line=rec.line, record=rec.id)
        seqs.append(seq)
        ids.append(rec.id)
        origins.append((os.fspath(path), rec.line))
    lab = label if label is not None else default_positive(config)
    return Examples(
        sequences=seqs,
        labels=[lab] * len(seqs),
        ids=ids,
        origins=origins,
        chroms=_chroms_from_ids(ids),
    )


def _load_fasta(source: FastaSource, config: Config) -> Examples:
    if isinstance(source.fasta, dict):
        if source.labels is not None:
            raise InputError(
                "'labels' is only used with a single 'fasta' file, not a label-to-file mapping"
            )
        parts = [
            _read_fasta_examples(config.resolve(f), normalise_label(str(lab)), config)
            for lab, f in source.fasta.items()
        ]
        return Examples.concat(parts)
    path = config.resolve(source.fasta)
    examples = _read_fasta_examples(path, None, config)
    if source.labels is None:
        return examples
    table = _read_label_table(config.resolve(source.labels))
    labels = []
    for seq_id, (p, line) in zip(examples.ids, examples.origins, strict=True):
        if seq_id not in table:
            raise InputError(
                f"record '{seq_id}' has no label in {config.resolve(source.labels)}",
                path=p,
                line=line,
            )
        labels.append(table[seq_id])
    return Examples(
        sequences=examples.sequences,
        labels=labels,
        ids=examples.ids,
        origins=examples.origins,
        chroms=examples.chroms,
    )


def _read_label_table(path: Path) -> dict[str, str]:
    """Two columns, id and label, tab or comma separated; a header line is allowed."""
    out: dict[str, str] = {}
    for lineno, line in read_lines(path):
        text = line.rstrip("\r\n")
        if not text.strip() or text.startswith("#"):
            continue
        sep = "\t" if "\t" in text else ","
        fields = next(csv.reader([text], delimiter=sep))
        if len(fields) < 2:
            raise InputError("expected two columns (id, label)", path=path, line=lineno)
        if lineno == 1 and fields[0].strip().lower() in ("id", "name", "sequence_id"):
            continue
        out[fields[0].strip()] = normalise_label(fields[1])
    if not out:
        raise InputError("empty file: no id/label rows", path=path)
    return out


def _load_bed(source: BedSource, config: Config) -> Examples:
    genome = Genome(config.resolve(source.genome))
    parts = []
    for label, bed_file in source.bed.items():
        path = config.resolve(bed_file)
        intervals = read_bed(path)
        if not intervals:
            raise InputError("empty file: no BED intervals", path=path)
        seqs = intervals_to_sequences(
            intervals, genome, length=source.length, centre=source.centre, path=path
        )
        parts.append(
            Examples(
                sequences=seqs,
                labels=[normalise_label(str(label))] * len(seqs),
                ids=[f"{iv.chrom}:{iv.start}-{iv.end}({iv.strand})" for iv in intervals],
                origins=[(os.fspath(path), iv.line) for iv in intervals],
                chroms=[iv.chrom for iv in intervals],
            )
        )
    return Examples.concat(parts)
