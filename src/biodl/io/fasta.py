"""Read and write FASTA, read FASTQ; streamed, plain or gzip-compressed.

Readers are generators: they hold one record at a time, whatever the file size. Every
problem raises :class:`~biodl.errors.InputError` naming the file and the 1-based line
(and, for an illegal letter, its column in that line).

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "two.fa")
>>> write_fasta([("s1", "ACGT"), SeqRecord("s2", "a note", "ggcc", 0)], path)
2
>>> for rec in read_fasta(path):
...     print(rec)
SeqRecord(id='s1', description='', sequence='ACGT', line=1)
SeqRecord(id='s2', description='a note', sequence='GGCC', line=3)
"""

from __future__ import annotations

import gzip
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal, NamedTuple, TextIO

from biodl.errors import InputError
from biodl.io._open import read_lines
from biodl.io.alphabet import (
    AlphabetName,
    check_alphabet,
    describe_alphabet,
    find_illegal,
    validate_sequence,
)

__all__ = [
    "FastqRecord",
    "SeqRecord",
    "read_fasta",
    "read_fastq",
    "read_sequences",
    "sniff_sequence_format",
    "write_fasta",
]

_PathLike = str | os.PathLike[str]


class SeqRecord(NamedTuple):
    """One FASTA record.

    Attributes
    ----------
    id
        First word of the header, without the ``>``.
    description
        Rest of the header after the id (may be empty).
    sequence
        Sequence lines joined, upper-cased when an alphabet was checked.
    line
        1-based line of the header in the file (0 for records not read from a file).
    """

    id: str
    description: str
    sequence: str
    line: int


class FastqRecord(NamedTuple):
    """One FASTQ record; ``quality`` is the raw quality string (same length as
    ``sequence``), ``line`` the 1-based line of the ``@`` header."""

    id: str
    description: str
    sequence: str
    quality: str
    line: int


def _parse_header(text: str, lineno: int, path: _PathLike) -> tuple[str, str]:
    """``(id, description)`` of a header line without its leading ``>`` or ``@``."""
    parts = text.strip().split(None, 1)
    if not parts:
        raise InputError("header line has no name", path=path, line=lineno)
    if not parts[0].isprintable():  # a NUL or other control character: unsafe in a TSV
        raise InputError(
            f"record name {parts[0]!r} holds a control character", path=path, line=lineno
        )
    return parts[0], parts[1] if len(parts) > 1 else ""


class _FastaRecordBuilder:
    """Collects the sequence lines of one record; remembers their line numbers cheaply.

    Only the line numbers where numbering jumps (blank lines in between) are stored, so a
    chromosome of millions of lines costs no per-line bookkeeping.
    """

    def __init__(self, name: str, description: str, lineno: int) -> None:
        self.name = name
        self.description = description
        self.lineno = lineno
        self.chunks: list[str] = []
        self.jumps: list[tuple[int, int]] = []  # (chunk index, line number)
        self.last_line = lineno

    def add(self, text: str, lineno: int) -> None:
        if lineno != self.last_line + 1:
            self.jumps.append((len(self.chunks), lineno))
        self.chunks.append(text)
        self.last_line = lineno

    def line_of_chunk(self, k: int) -> int:
        line = self.lineno + 1 + k
        for index, jump_line in self.jumps:
            if index <= k:
                line = jump_line + (k - index)
        return line

    def locate(self, index: int) -> tuple[int, int]:
        """``(line, 1-based column)`` of character ``index`` of the joined sequence."""
        offset = 0
        for k, chunk in enumerate(self.chunks):
            if index < offset + len(chunk):
                return self.line_of_chunk(k), index - offset + 1
            offset += len(chunk)
        raise IndexError(index)  # pragma: no cover - index always inside

    def finish(self, path: _PathLike, alphabet: AlphabetName | None) -> SeqRecord:
        seq = "".join(self.chunks)
        if not seq:
            raise InputError(f"record {self.name!r} has no sequence", path=path, line=self.lineno)
        if alphabet is not None:
            bad = find_illegal(seq, alphabet)
            if bad >= 0:
                line, column = self.locate(bad)
                raise InputError(
                    f"illegal character {seq[bad]!r} at column {column} of record "
                    f"{self.name!r} ({describe_alphabet(alphabet)})",
                    path=path,
                    line=line,
                )
            seq = seq.upper()
        return SeqRecord(self.name, self.description, seq, self.lineno)


def read_fasta(path: _PathLike, *, alphabet: AlphabetName | None = "dna") -> Iterator[SeqRecord]:
    """Stream the records of a FASTA file (plain or gzip).

    Multi-line sequences are joined; blank lines are ignored. Letters are checked
    against ``alphabet`` and upper-cased (``alphabet=None``: no check, case kept).

    Parameters
    ----------
    path
        FASTA file, plain or gzip-compressed (detected from its content).
    alphabet
        ``"dna"``, ``"rna"``, ``"protein"`` or ``None``.

    Yields
    ------
    SeqRecord
        ``(id, description, sequence, line)``, in file order.

    Raises
    ------
    InputError
        Missing or empty file, sequence before the first ``>`` header, header without a
        name, record without sequence, illegal character (line and column), truncated
        or corrupt gzip.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "x.fa")
    >>> with open(path, "w") as f:
    ...     _ = f.write(">chr1:1-9 peak\\nACGTA\\ncgtN\\n")
    >>> list(read_fasta(path))
    [SeqRecord(id='chr1:1-9', description='peak', sequence='ACGTACGTN', line=1)]
    """
    if alphabet is not None:
        alphabet = check_alphabet(alphabet)
    record: _FastaRecordBuilder | None = None
    count = 0
    for lineno, line in read_lines(path):
        if line.startswith(">"):
            if record is not None:
                yield record.finish(path, alphabet)
                count += 1
            name, description = _parse_header(line[1:], lineno, path)
            record = _FastaRecordBuilder(name, description, lineno)
            continue
        text = line.rstrip()
        if not text:
            continue
        if record is None:
            raise InputError(
                "sequence line before any '>' header (is this a FASTA file?)",
                path=path,
                line=lineno,
            )
        record.add(text, lineno)
    if record is not None:
        yield record.finish(path, alphabet)
        count += 1
    if count == 0:
        raise InputError("empty file: no FASTA records", path=path, line=1)


def _check_quality(quality: str, seq: str, name: str, path: _PathLike, lineno: int) -> None:
    if len(quality) != len(seq):
        raise InputError(
            f"quality of record {name!r} has {len(quality)} characters but its sequence "
            f"has {len(seq)}",
            path=path,
            line=lineno,
        )
    bad = _first_outside(quality, _QUALITY_CHARS)
    if bad >= 0:
        raise InputError(
            f"illegal quality character {quality[bad]!r} at column {bad + 1} of record "
            f"{name!r} (Phred characters are '!' to '~')",
            path=path,
            line=lineno,
        )


def _first_outside(text: str, allowed: bytes) -> int:
    """0-based index of the first character of ``text`` whose byte is not in ``allowed``."""
    try:
        data = text.encode("ascii")
        end = -1
    except UnicodeEncodeError as exc:
        data = text[: exc.start].encode("ascii")
        end = exc.start
    rest = data.translate(None, allowed)
    return data.index(rest[0]) if rest else end


_QUALITY_CHARS = bytes(range(33, 127))


def _fastq_record(
    lines: list[tuple[int, str]], path: _PathLike, alphabet: AlphabetName | None
) -> FastqRecord:
    (h_line, header), (s_line, seq), (p_line, plus), (q_line, quality) = lines
    if not header.startswith("@"):
        raise InputError(
            f"expected a FASTQ header starting with '@', found {header[:20]!r}",
            path=path,
            line=h_line,
        )
    name, description = _parse_header(header[1:], h_line, path)
    if not plus.startswith("+"):
        raise InputError(
            f"expected the '+' separator line of record {name!r}, found {plus[:20]!r}",
            path=path,
            line=p_line,
        )
    repeated = plus[1:].split(None, 1)
    if repeated and repeated[0] != name:
        raise InputError(
            f"separator line names {repeated[0]!r} but the record is {name!r}",
            path=path,
            line=p_line,
        )
    if alphabet is not None:
        bad = find_illegal(seq, alphabet)
        if bad >= 0:
            raise InputError(
                f"illegal character {seq[bad]!r} at column {bad + 1} of record {name!r} "
                f"({describe_alphabet(alphabet)})",
                path=path,
                line=s_line,
            )
        seq = seq.upper()
    _check_quality(quality, seq, name, path, q_line)
    return FastqRecord(name, description, seq, quality, h_line)


def read_fastq(path: _PathLike, *, alphabet: AlphabetName | None = "dna") -> Iterator[FastqRecord]:
    """Stream the records of a FASTQ file (plain or gzip), four lines per record.

    Blank lines are ignored. The ``+`` line may repeat the record name. Quality
    characters must be ``!`` to ``~`` (any Phred offset) and as many as the bases.

    Yields
    ------
    FastqRecord
        ``(id, description, sequence, quality, line)``; ``sequence`` upper-cased when
        ``alphabet`` is not ``None``.

    Raises
    ------
    InputError
        Empty file, missing ``@`` header or ``+`` separator, quality length different
        from the sequence length, incomplete last record, illegal character.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "r.fq")
    >>> with open(path, "w") as f:
    ...     _ = f.write("@r1 lane1\\nACGn\\n+\\nIIII\\n")
    >>> list(read_fastq(path))
    [FastqRecord(id='r1', description='lane1', sequence='ACGN', quality='IIII', line=1)]
    """
    if alphabet is not None:
        alphabet = check_alphabet(alphabet)
    pending: list[tuple[int, str]] = []
    count = 0
    last = 0
    for lineno, line in read_lines(path):
        last = lineno
        text = line.rstrip()
        if not text:
            continue
        pending.append((lineno, text))
        if len(pending) == 4:
            yield _fastq_record(pending, path, alphabet)
            count += 1
            pending = []
    if pending:
        raise InputError(
            f"incomplete FASTQ record: the file ends after {len(pending)} of its 4 lines "
            f"(record starts at line {pending[0][0]})",
            path=path,
            line=last + 1,
        )
    if count == 0:
        raise InputError("empty file: no FASTQ records", path=path, line=1)


_SNIFF_LINES = 1000


def sniff_sequence_format(path: _PathLike) -> Literal["fasta", "fastq", "lines"]:
    """The format of a sequence file, from its first non-blank lines.

    ``"fasta"`` or ``"fastq"`` when the first non-blank character is ``>`` or ``@``;
    ``"lines"`` (one bare sequence per line, as DeePromoter's and many benchmark files
    are) when it is a letter and no ``>`` header follows in the first 1,000 lines
    (a FASTA file missing its first header is reported as FASTA, so that
    :func:`read_fasta` names the line).

    Raises
    ------
    InputError
        Empty file, or a file that starts with anything else.
    """
    lines = read_lines(path)
    try:
        for lineno, line in lines:
            text = line.strip()
            if not text:
                continue
            if text[0] == ">":
                return "fasta"
            if text[0] == "@":
                return "fastq"
            if not text.isalpha():
                raise InputError(
                    "neither FASTA nor FASTQ nor one sequence per line: the first line "
                    f"starts with {text[:12]!r}; expected '>', '@' or a bare sequence",
                    path=path,
                    line=lineno,
                )
            for n, (_, later) in enumerate(lines):
                if later.startswith(">"):
                    return "fasta"
                if n >= _SNIFF_LINES:
                    break
            return "lines"
    finally:
        lines.close()
    raise InputError("empty file: no sequence records", path=path, line=1)


def read_plain_sequences(
    path: _PathLike, *, alphabet: AlphabetName | None = "dna"
) -> Iterator[SeqRecord]:
    """Stream a file of bare sequences, one per line (blank lines skipped).

    Each record's id is ``"{file stem}:{line}"``.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "promoters.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("ACGT\\n\\nacgn\\n")
    >>> [(r.id, r.sequence) for r in read_plain_sequences(path)]
    [('promoters:1', 'ACGT'), ('promoters:3', 'ACGN')]
    """
    stem = Path(os.fspath(path)).name
    for suffix in (".gz", ".txt", ".seq", ".fa", ".fasta"):
        stem = stem.removesuffix(suffix)
    n = 0
    for lineno, line in read_lines(path):
        text = line.strip()
        if not text:
            continue
        seq = (
            text if alphabet is None else validate_sequence(text, alphabet, path=path, line=lineno)
        )
        n += 1
        yield SeqRecord(f"{stem}:{lineno}", "", seq, lineno)
    if n == 0:
        raise InputError("empty file: no sequences", path=path, line=1)


def read_sequences(
    path: _PathLike, *, alphabet: AlphabetName | None = "dna"
) -> Iterator[SeqRecord]:
    """Stream a FASTA, FASTQ or one-sequence-per-line file (decided from its content).

    FASTQ records are returned as :class:`SeqRecord` (the quality string is dropped;
    use :func:`read_fastq` to keep it). Record ids must be unique: outputs are keyed
    by them.

    Raises
    ------
    InputError
        As the readers of each format. Ids given twice are allowed (real data sets have
        them; ``biodl assess`` reports duplicates): outputs keep one row per record.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "reads.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("@r1\\nACGT\\n+r1\\nIIII\\n")
    >>> [r.sequence for r in read_sequences(path)]
    ['ACGT']
    """
    kind = sniff_sequence_format(path)
    records: Iterator[SeqRecord]
    if kind == "fasta":
        records = read_fasta(path, alphabet=alphabet)
    elif kind == "lines":
        records = read_plain_sequences(path, alphabet=alphabet)
    else:
        records = (
            SeqRecord(r.id, r.description, r.sequence, r.line)
            for r in read_fastq(path, alphabet=alphabet)
        )
    yield from records


def _record_fields(record: SeqRecord | FastqRecord | tuple[str, str]) -> tuple[str, str, str]:
    if isinstance(record, SeqRecord | FastqRecord):
        return record.id, record.description, record.sequence
    name, seq = record
    return name, "", seq


def _write_records(
    handle: TextIO,
    records: Iterable[SeqRecord | FastqRecord | tuple[str, str]],
    line_width: int,
    path: _PathLike,
) -> int:
    count = 0
    for record in records:
        name, description, seq = _record_fields(record)
        if not name or len(name.split()) != 1 or name != name.strip():
            raise InputError(
                f"cannot write record {name!r}: an id must be one word without spaces",
                path=path,
            )
        handle.write(f">{name} {description}\n" if description else f">{name}\n")
        if line_width > 0:
            for start in range(0, len(seq), line_width):
                handle.write(seq[start : start + line_width])
                handle.write("\n")
        else:
            handle.write(seq + "\n")
        count += 1
    return count


def write_fasta(
    records: Iterable[SeqRecord | FastqRecord | tuple[str, str]],
    path: _PathLike,
    *,
    line_width: int = 60,
) -> int:
    """Write records to a FASTA file atomically.

    The file is written to a temporary file in the same folder and moved into place
    with :func:`os.replace`, so readers never see a half-written file and a failure
    leaves any previous file untouched. A name ending in ``.gz`` is gzip-compressed.

    Parameters
    ----------
    records
        :class:`SeqRecord`, :class:`FastqRecord` or ``(id, sequence)`` pairs.
    path
        Output file.
    line_width
        Letters per sequence line; ``0`` writes each sequence on one line.

    Returns
    -------
    int
        Number of records written.

    Raises
    ------
    InputError
        If the folder does not exist, or an id is empty or holds white space.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError("cannot write: the folder does not exist", path=target)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        if target.name.endswith(".gz"):
            with gzip.open(tmp, "xt", encoding="utf-8") as handle:
                count = _write_records(handle, records, line_width, target)
        else:
            with open(tmp, "x", encoding="utf-8") as handle:
                count = _write_records(handle, records, line_width, target)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
