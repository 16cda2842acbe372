"""A generated corpus of malformed inputs for the ``biodl`` command line (issue #14).

Every :class:`Case` is a small folder of files (valid inputs made with
:mod:`biodl.testing`, then mutated: truncated, corrupted, emptied, renamed ...) and a
``biodl`` command line run inside that folder. Each must exit with status 2 and print one
line on stderr that names the file and the line or record at fault, leave every input
byte-identical and write nothing.

A case that needs a trained run directory sets ``run=True``: the session's tiny run
(:func:`biodl.testing.assess_runs.tiny_run`) is copied to ``run/`` in the case folder
before ``edits`` (functions of the case folder) change it.

Examples
--------
>>> cases = build_cases()
>>> len(cases) >= 150
True
>>> len({c.name for c in cases}) == len(cases)
True
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import stat
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from biodl.testing import planted_motif_dataset, random_dna

__all__ = [
    "INPUT_LENGTH",
    "Case",
    "build_cases",
    "materialise",
    "snapshot",
]

INPUT_LENGTH = 50
"""Input length of the session's tiny run (``tiny_run``'s binary task)."""

Edit = Callable[[Path], None]
Fragment = str | tuple[str, ...]
"""A text the message must contain; a tuple: any one of them."""

RUN_FILES = ("model.json", "model.safetensors", "config.yaml", "splits.tsv.gz", "metrics.json")
"""The files of the session run copied into a case's ``run/`` folder."""


@dataclass(frozen=True)
class Case:
    """One malformed input and the command that must refuse it.

    Attributes
    ----------
    name
        Unique test id, ``<class>-<what>``.
    kind
        The class of fault (``fasta``, ``table``, ``bed``, ``vcf``, ``yaml``, ``run``,
        ``output``, ``option``, ``escape``).
    files
        Relative path to content, written into the case folder.
    argv
        The ``biodl`` arguments, relative to the case folder.
    fragments
        Texts the error line must contain (a tuple: any of them).
    forbidden
        Texts the error line must not contain (file content that must not be echoed).
    run
        Copy the session run directory to ``run/`` first.
    edits
        Functions of the case folder applied after the files are written.
    allowed_new
        Relative paths the command may create (none by default).
    subprocess
        Run ``biodl`` in a child process (a crash is possible).
    limit_file_size
        With ``subprocess``: ``RLIMIT_FSIZE`` in bytes (a full disk).
    needs_non_root
        Permissions do not bind root: skip when running as root.
    needs_no_cuda
        Skip when a CUDA device is present.
    pending
        The part of issue #14 still being fixed elsewhere (the test is an expected
        failure, not strict) or ``None``.
    code
        Expected exit status.
    """

    name: str
    kind: str
    files: dict[str, bytes]
    argv: tuple[str, ...]
    fragments: tuple[Fragment, ...]
    forbidden: tuple[str, ...] = ()
    run: bool = False
    edits: tuple[Edit, ...] = ()
    allowed_new: tuple[str, ...] = ()
    subprocess: bool = False
    limit_file_size: int | None = None
    needs_non_root: bool = False
    needs_no_cuda: bool = False
    pending: str | None = None
    code: int = 2
    readonly: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- valid inputs

_SEQS, _LABELS = planted_motif_dataset(6, 6, length=INPUT_LENGTH, seed=7, negatives="shuffle")
_IDS = [f"s{i}" for i in range(len(_SEQS))]


def _fasta(ids: Sequence[str] = _IDS, seqs: Sequence[str] = _SEQS) -> str:
    return "".join(f">{i}\n{s}\n" for i, s in zip(ids, seqs, strict=True))


def _fastq(ids: Sequence[str] = _IDS, seqs: Sequence[str] = _SEQS) -> str:
    return "".join(f"@{i}\n{s}\n+\n{'I' * len(s)}\n" for i, s in zip(ids, seqs, strict=True))


def _table(sep: str = "\t") -> str:
    rows = [f"id{sep}seq"] + [f"{i}{sep}{s}" for i, s in zip(_IDS, _SEQS, strict=True)]
    return "\n".join(rows) + "\n"


FASTA = _fasta()
"""12 DNA records of 50 letters: header of record ``k`` on line ``2k + 1``."""

# training data: 40 labelled rows, random fraction splits
_TSEQS, _TLABELS = planted_motif_dataset(20, 20, length=INPUT_LENGTH, seed=9, negatives="shuffle")
_TIDS = [f"t{i}" for i in range(len(_TSEQS))]
_TY = np.round(np.linspace(-1.0, 1.0, len(_TSEQS)), 3)


def _train_table(labels: Sequence[str] | None = None, *, sep: str = "\t") -> str:
    labs = labels if labels is not None else [str(int(v)) for v in _TLABELS]
    rows = [f"id{sep}seq{sep}Bound{sep}y"]
    rows += [
        f"{i}{sep}{s}{sep}{lab}{sep}{y}"
        for i, s, lab, y in zip(_TIDS, _TSEQS, labs, _TY, strict=True)
    ]
    return "\n".join(rows) + "\n"


TRAIN_TABLE = _train_table()
"""Header on line 1, row ``k`` (0-based) on line ``k + 2``."""

_MODEL_AND_TRAIN = """model:
  name: deepbind
  n_filters: 4
  filter_width: 8
  hidden: 4
train:
  max_epochs: 1
  seed: 1
  batch_size: 32
  progress_bar: false
"""

CONFIG = (
    """task: binary
data:
  train:
    table: train.tsv
    sequence: seq
    label: Bound
    id: id
  valid:
    fraction: 0.25
  test:
    fraction: 0.25
  length: 50
"""
    + _MODEL_AND_TRAIN
)
"""Lines: task 1, data 2, train 3, table 4, sequence 5, label 6, id 7, valid 8, ..., model 13,
name 14, n_filters 15, ..., train 18, max_epochs 19, seed 20, batch_size 21."""

REGRESSION_CONFIG = CONFIG.replace("task: binary", "task: regression").replace(
    "label: Bound", "label: y"
)

_CHROMS = {"chr1": random_dna(1, 3000, seed=21)[0], "chr2": random_dna(1, 3000, seed=22)[0]}


def _genome_text(chroms: dict[str, str] = _CHROMS, width: int = 60) -> str:
    return "".join(
        f">{n}\n" + "".join(s[i : i + width] + "\n" for i in range(0, len(s), width))
        for n, s in chroms.items()
    )


def _fai(chroms: dict[str, str] = _CHROMS, width: int = 60) -> str:
    lines, offset = [], 0
    for name, seq in chroms.items():
        offset += len(name) + 2
        lines.append(f"{name}\t{len(seq)}\t{offset}\t{width}\t{width + 1}")
        offset += len(seq) + -(-len(seq) // width)
    return "\n".join(lines) + "\n"


GENOME = _genome_text()
GENOME_FAI = _fai()


def _bed(chrom: str, first: int) -> str:
    return "".join(f"{chrom}\t{s}\t{s + 60}\tpk{s}\n" for s in range(first, 2800, 200))


POS_BED = _bed("chr1", 100)
NEG_BED = _bed("chr2", 150)
BED_CONFIG = (
    """task: binary
data:
  train:
    bed:
      "1": pos.bed
      "0": neg.bed
    genome: genome.fa
    length: 50
  valid:
    fraction: 0.25
  test:
    fraction: 0.25
"""
    + _MODEL_AND_TRAIN
)


def _vcf_records() -> list[tuple[str, int, str, str, str]]:
    seq = _CHROMS["chr1"]
    out = []
    for k, pos in enumerate(range(200, 2000, 200)):
        ref = seq[pos - 1]
        alt = "A" if ref != "A" else "C"
        out.append(("chr1", pos, f"v{k}", ref, alt))
    return out


VCF_RECORDS = _vcf_records()
_VCF_HEAD = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=3000>\n##contig=<ID=chr2,length=3000>\n"
_VCF_COLS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def _vcf_line(rec: tuple[str, int, str, str, str]) -> str:
    c, p, i, r, a = rec
    return f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t.\n"


VCF = _VCF_HEAD + _VCF_COLS + "".join(_vcf_line(r) for r in VCF_RECORDS)
"""Records start on line 5 (record ``k`` on line ``k + 5``)."""
VARIANTS_TSV = "chrom\tpos\tref\talt\tid\n" + "".join(
    f"{c}\t{p}\t{r}\t{a}\t{i}\n" for c, p, i, r, a in VCF_RECORDS
)


def _b(text: str) -> bytes:
    return text.encode("utf-8")


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


_GARBAGE = bytes(np.random.default_rng(5).integers(0, 256, 600, dtype=np.uint8))
_GARBAGE_GZ = b"\x1f\x8b\x08\x00" + _GARBAGE[:200]

PREDICT = ("predict", "--model", "run")
SCORE = ("score-variants", "--model", "run", "--genome", "genome.fa")

# --------------------------------------------------------------------------- helpers


def _replace_line(text: str, lineno: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines[lineno - 1] = new
    return "".join(lines)


def _insert_line(text: str, lineno: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines.insert(lineno - 1, new)
    return "".join(lines)


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --------------------------------------------------------------------------- FASTA / FASTQ


def _fasta_cases() -> Iterator[Case]:
    def case(
        name: str, data: bytes | str, frags: tuple[Fragment, ...], *, file: str = "in.fa"
    ) -> Case:
        content = data if isinstance(data, bytes) else _b(data)
        return Case(
            f"fasta-{name}",
            "fasta",
            {file: content},
            (*PREDICT, file, "--out", "out.tsv"),
            (file, *frags),
            run=True,
        )

    yield case("empty", b"", ())
    yield case("blank-lines", "\n\n\n", ())
    yield case("no-header", _SEQS[0] + "\n" + FASTA, (":1",))
    for col, bad in ((7, "J"), (20, "1"), (33, "*"), (49, "-"), (2, "\x00"), (12, "é")):
        seq = _SEQS[2][: col - 1] + bad + _SEQS[2][col:]
        name = f"bad-char-{ord(bad)}"
        yield case(name, _replace_line(FASTA, 6, seq + "\n"), (":6",))
    yield case("binary-garbage", _GARBAGE, ())
    yield case("empty-record", _replace_line(FASTA, 8, ""), (("s3", ":7"),))
    yield case("header-only-at-end", FASTA + ">s12\n", (("s12", ":25"),))
    yield case("empty-name", _replace_line(FASTA, 5, ">\n"), (":5",))
    yield case("nul-in-name", _replace_line(FASTA, 7, ">s3\x00x\n"), (":7",))
    yield case("escape-in-name", _replace_line(FASTA, 9, ">s4\x1b[31m\n"), (":9",))
    for frac in (0.1, 0.37, 0.55, 0.81):
        off = int(len(FASTA) * frac)
        line = _line_at(FASTA, off)
        rec = _IDS[(line - 1) // 2]
        # a cut in a sequence line leaves a record shorter than the model input; a cut in
        # a header line leaves a record with no sequence
        yield case(f"truncated-{int(frac * 100)}", FASTA[:off], ((f"'{rec}'", f":{line}"),))
    yield case("short-sequence", _replace_line(FASTA, 4, _SEQS[1][:20] + "\n"), (("'s1'", ":3"),))
    yield case("wrong-gzip", _GARBAGE_GZ, (), file="in.fa.gz")
    yield case("truncated-gzip", _gz(_b(FASTA))[:150], (), file="in.fa.gz")
    yield case("gzip-of-garbage", _gz(_GARBAGE), (), file="in.fa.gz")
    yield case("gzip-empty", _gz(b""), (), file="in.fa.gz")
    fq = _fastq()
    yield case(
        "fastq-quality-length", _replace_line(fq, 8, "III\n"), ((":8", ":5", "'s1'"),), file="in.fq"
    )
    yield case("fastq-missing-plus", _replace_line(fq, 7, "x\n"), ((":7", "'s1'"),), file="in.fq")
    yield case(
        "fastq-truncated-record", fq + "@s12\nACGT\n", ((":49", "line 49", "'s12'"),), file="in.fq"
    )
    yield case(
        "fastq-bad-char",
        _replace_line(fq, 10, "ACGTJ" + _SEQS[2][5:] + "\n"),
        (":10",),
        file="in.fq",
    )
    yield case("fastq-bad-header", _replace_line(fq, 5, "s1\n"), (":5",), file="in.fq")
    yield case("fastq-empty-quality", _replace_line(fq, 4, "\n"), ((":4", "'s0'"),), file="in.fq")


# --------------------------------------------------------------------------- tables


def _table_cases() -> Iterator[Case]:
    table = _table()

    def case(
        name: str,
        data: bytes | str,
        frags: tuple[Fragment, ...],
        *,
        file: str = "in.tsv",
        id_column: str | None = "id",
        forbidden: tuple[str, ...] = (),
    ) -> Case:
        content = data if isinstance(data, bytes) else _b(data)
        argv = (*PREDICT, file, "--out", "out.tsv", "--sequence-column", "seq")
        if id_column is not None:
            argv += ("--id-column", id_column)
        return Case(
            f"table-{name}",
            "table",
            {file: content},
            argv,
            (file, *frags),
            run=True,
            forbidden=forbidden,
        )

    yield case("empty", b"", ())
    yield case("header-only", "id\tseq\n", ())
    yield case("missing-sequence-column", table.replace("id\tseq", "id\tsequence", 1), (":1",))
    yield case("missing-id-column", table, (":1",), id_column="name")
    yield case("short-row", _replace_line(table, 4, "s2\n"), (":4",))
    yield case("long-row", _replace_line(table, 5, f"s3\t{_SEQS[3]}\textra\n"), (":5",))
    yield case(
        "bad-char", _replace_line(table, 6, f"s4\t{_SEQS[4][:9]}Z{_SEQS[4][10:]}\n"), (":6",)
    )
    yield case("empty-sequence", _replace_line(table, 7, "s5\t\n"), (":7",))
    yield case("binary-garbage", _GARBAGE, ())
    yield case("wrong-gzip", _GARBAGE_GZ, (), file="in.tsv.gz")
    yield case("truncated-gzip", _gz(_b(table))[:100], (), file="in.tsv.gz")
    csv = _table(",")
    yield case(
        "csv-unbalanced-quote", _replace_line(csv, 3, f'"s1,{_SEQS[1]}\n'), (":3",), file="in.csv"
    )
    yield case(
        "csv-id-with-tab", _replace_line(csv, 4, f'"s2\tx",{_SEQS[2]}\n'), (":4",), file="in.csv"
    )
    yield case(
        "csv-id-with-newline",
        _replace_line(csv, 5, f'"s3\nx",{_SEQS[3]}\n'),
        (":5",),
        file="in.csv",
    )
    yield case(
        "csv-id-with-cr", _replace_line(csv, 6, f'"s4\rx",{_SEQS[4]}\n'), (":6",), file="in.csv"
    )
    yield case("tsv-id-with-cr", _replace_line(table, 7, f"s5\rx\t{_SEQS[5]}\n"), (":7",))
    yield case(
        "short-sequence", _replace_line(table, 3, f"s1\t{_SEQS[1][:30]}\n"), ((":3", "'s1'"),)
    )
    for frac in (0.3, 0.66):
        off = int(len(table) * frac)
        line = _line_at(table, off)
        yield case(f"truncated-{int(frac * 100)}", table[:off], ((f":{line}", f"'s{line - 2}'"),))


def _train_cases() -> Iterator[Case]:
    """Bad training tables (``biodl train``)."""

    def case(
        name: str,
        table: bytes | str,
        frags: tuple[Fragment, ...],
        *,
        config: str = CONFIG,
        file: str = "train.tsv",
    ) -> Case:
        content = table if isinstance(table, bytes) else _b(table)
        return Case(
            f"train-{name}",
            "table",
            {
                "config.yaml": _b(config.replace("table: train.tsv", f"table: {file}")),
                file: content,
            },
            ("train", "config.yaml", "--out", "out"),
            (file, *frags),
        )

    labels = [str(int(v)) for v in _TLABELS]
    odd = list(labels)
    odd[7] = "2"
    yield case("single-odd-label", _train_table(odd), (":9", "'2'"))
    odd = list(labels)
    odd[11] = "yes"
    yield case("non-numeric-label", _train_table(odd), (":13", "'yes'"))
    odd = list(labels)
    odd[3] = ""
    yield case("empty-label", _train_table(odd), (":5",))
    odd = list(labels)
    odd[5] = "1.5"
    yield case("fractional-label", _train_table(odd), (":7",))
    yield case("missing-label-column", TRAIN_TABLE.replace("Bound", "bound", 1), (":1", "Bound"))
    yield case("short-row", _replace_line(TRAIN_TABLE, 10, "t8\tACGT\n"), (":10",))
    yield case(
        "bad-char", TRAIN_TABLE.replace(_TSEQS[4], _TSEQS[4][:5] + "U" + _TSEQS[4][6:]), (":6",)
    )
    yield case("empty", b"", ())
    yield case("header-only", "id\tseq\tBound\ty\n", ())
    yield case("binary-garbage", _GARBAGE, ())
    yield case("wrong-gzip", _GARBAGE_GZ, (), file="train.tsv.gz")
    for row in (9, 19, 38):  # cut inside the sequence of a row: too few fields
        off = len("".join(TRAIN_TABLE.splitlines(keepends=True)[: row + 1])) + 4 + 17
        yield case(f"truncated-row-{row}", TRAIN_TABLE[:off], (f":{row + 2}",))
    # (NaN and empty values are missing labels in a regression table, not faults)
    bad_values = (("inf", "inf"), ("minus-inf", "-inf"), ("overflow", "1e999"), ("text", "high"))
    for label, bad in bad_values:
        rows = TRAIN_TABLE.splitlines(keepends=True)
        parts = rows[14].rstrip("\n").split("\t")
        parts[3] = bad
        rows[14] = "\t".join(parts) + "\n"
        yield case(f"regression-{label}", "".join(rows), (":15",), config=REGRESSION_CONFIG)
    yield Case(
        "train-missing-file",
        "table",
        {"config.yaml": _b(CONFIG)},
        ("train", "config.yaml", "--out", "out"),
        ("train.tsv",),
    )
    yield case(
        "id-with-tab",
        _replace_line(_train_table(sep=","), 6, f'"t4\tx",{_TSEQS[4]},{int(_TLABELS[4])},0.1\n'),
        (":6",),
        file="train.csv",
    )
    yield case("short-sequence", TRAIN_TABLE.replace(_TSEQS[6], _TSEQS[6][:25]), ((":8", "'t6'"),))


# --------------------------------------------------------------------------- BED + genome


def _bed_cases() -> Iterator[Case]:
    base = {
        "config.yaml": _b(BED_CONFIG),
        "pos.bed": _b(POS_BED),
        "neg.bed": _b(NEG_BED),
        "genome.fa": _b(GENOME),
        "genome.fa.fai": _b(GENOME_FAI),
    }

    def case(name: str, changes: dict[str, bytes | None], frags: tuple[Fragment, ...]) -> Case:
        files = dict(base)
        for k, v in changes.items():
            if v is None:
                files.pop(k)
            else:
                files[k] = v
        return Case(f"bed-{name}", "bed", files, ("train", "config.yaml", "--out", "out"), frags)

    def line(text: str, k: int, new: str) -> bytes:
        return _b(_replace_line(text, k, new))

    yield case(
        "end-before-start", {"pos.bed": line(POS_BED, 3, "chr1\t600\t540\tx\n")}, ("pos.bed:3",)
    )
    yield case(
        "unknown-chrom", {"pos.bed": line(POS_BED, 2, "chrX\t100\t160\tx\n")}, ("pos.bed:2", "chrX")
    )
    yield case(
        "outside-chrom", {"pos.bed": line(POS_BED, 4, "chr1\t2990\t3050\tx\n")}, ("pos.bed:4",)
    )
    yield case(
        "negative-start", {"neg.bed": line(NEG_BED, 5, "chr2\t-10\t50\tx\n")}, ("neg.bed:5",)
    )
    yield case(
        "non-numeric-start", {"neg.bed": line(NEG_BED, 6, "chr2\tabc\t50\tx\n")}, ("neg.bed:6",)
    )
    yield case(
        "non-numeric-end", {"neg.bed": line(NEG_BED, 7, "chr2\t10\t5e\tx\n")}, ("neg.bed:7",)
    )
    yield case("too-few-columns", {"pos.bed": line(POS_BED, 5, "chr1\t900\n")}, ("pos.bed:5",))
    yield case(
        "fractional-end", {"pos.bed": line(POS_BED, 6, "chr1\t1100\t1160.5\tx\n")}, ("pos.bed:6",)
    )
    yield case("empty-bed", {"pos.bed": b""}, ("pos.bed",))
    yield case("garbage-bed", {"pos.bed": _GARBAGE}, ("pos.bed",))
    yield case("missing-bed", {"pos.bed": None}, ("pos.bed",))
    yield case(
        "bad-strand", {"pos.bed": line(POS_BED, 7, "chr1\t1300\t1360\tx\t0\t?\n")}, ("pos.bed:7",)
    )
    yield case(
        "bad-summit",
        {"pos.bed": line(POS_BED, 8, "chr1\t1500\t1560\tx\t0\t.\t1\t1\t1\t99\n")},
        ("pos.bed:8",),
    )
    stale = _fai({"chr1": _CHROMS["chr1"][:2000], "chr2": _CHROMS["chr2"]})
    yield case("stale-fai", {"genome.fa.fai": _b(stale)}, ("genome.fa", ".fai"))
    other = _fai(_CHROMS, width=80)
    yield case("stale-fai-offsets", {"genome.fa.fai": _b(other)}, ("genome.fa", ".fai"))
    yield case("garbage-fai", {"genome.fa.fai": _GARBAGE}, ("genome.fa.fai",))
    yield case("empty-genome", {"genome.fa": b"", "genome.fa.fai": None}, ("genome.fa",))
    yield case("garbage-genome", {"genome.fa": _GARBAGE, "genome.fa.fai": None}, ("genome.fa",))
    yield case("missing-genome", {"genome.fa": None, "genome.fa.fai": None}, ("genome.fa",))
    dup = GENOME + ">chr1\nACGT\n"
    yield case(
        "duplicate-chrom", {"genome.fa": _b(dup), "genome.fa.fai": None}, ("genome.fa", "chr1")
    )
    ragged = GENOME.replace(_CHROMS["chr1"][60:120] + "\n", _CHROMS["chr1"][60:100] + "\n", 1)
    yield case(
        "ragged-genome-lines", {"genome.fa": _b(ragged), "genome.fa.fai": None}, ("genome.fa",)
    )


# --------------------------------------------------------------------------- VCF


def _vcf_cases() -> Iterator[Case]:
    base = {"genome.fa": _b(GENOME), "genome.fa.fai": _b(GENOME_FAI)}

    def case(
        name: str,
        data: bytes | str,
        frags: tuple[Fragment, ...],
        *,
        file: str = "in.vcf",
        extra: dict[str, bytes | None] | None = None,
        names_file: bool = True,
    ) -> Case:
        files = dict(base)
        files[file] = data if isinstance(data, bytes) else _b(data)
        for k, v in (extra or {}).items():
            if v is None:
                files.pop(k)
            else:
                files[k] = v
        return Case(
            f"vcf-{name}",
            "vcf",
            files,
            (*SCORE, "--vcf", file, "--out", "out.vcf"),
            (file, *frags) if names_file else frags,
            run=True,
        )

    body = "".join(_vcf_line(r) for r in VCF_RECORDS)
    yield case("no-header", body, (":1",))
    yield case("no-chrom-line", _VCF_HEAD + body, ((":4", ":1"),))
    yield case("no-fileformat", _VCF_COLS + body, (":1",))
    yield case("bad-pos", _replace_line(VCF, 6, "chr1\tabc\tv1\tA\tC\t.\tPASS\t.\n"), (":6",))
    yield case("zero-pos", _replace_line(VCF, 7, "chr1\t0\tv2\tA\tC\t.\tPASS\t.\n"), (":7",))
    yield case("negative-pos", _replace_line(VCF, 8, "chr1\t-5\tv3\tA\tC\t.\tPASS\t.\n"), (":8",))
    c, p, i, r, _a = VCF_RECORDS[4]
    wrong = "A" if r != "A" else "C"
    yield case(
        "ref-mismatch",
        _replace_line(VCF, 9, f"{c}\t{p}\t{i}\t{wrong}\tG\t.\tPASS\t.\n"),
        ((":9", "'v4'", f"{c}:{p}"),),
    )
    yield case("too-few-columns", _replace_line(VCF, 10, f"chr1\t{p}\tv5\n"), (":10",))
    yield case("space-separated", _replace_line(VCF, 5, "chr1 200 v0 A C . PASS .\n"), (":5",))
    gt_head = VCF.replace("INFO\n", "INFO\tFORMAT\tNA1\n")
    gt = gt_head.replace("\t.\tPASS\t.\n", "\t.\tPASS\t.\tGT\t0/1\n")
    yield case("gt-extra-sample", _replace_line(gt, 6, gt.splitlines()[5] + "\t1/1\n"), (":6",))
    yield case(
        "gt-missing-sample",
        _replace_line(gt, 7, gt.splitlines()[6].rsplit("\t", 1)[0].rsplit("\t", 1)[0] + "\tGT\n"),
        (":7",),
    )
    # (REF or ALT letters other than ACGTN are a documented skip, 'invalid_allele')
    yield case("empty-ref", _replace_line(VCF, 12, "chr1\t400\tv7\t\tA\t.\tPASS\t.\n"), (":12",))
    yield case("empty", b"", ())
    yield case("binary-garbage", _GARBAGE, ())
    yield case("truncated-gzip", _gz(_b(VCF))[:120], (), file="in.vcf.gz")
    yield case("wrong-gzip", _GARBAGE_GZ, (), file="in.vcf.gz")
    for frac in (0.07, 0.5):
        off = int(len(VCF) * frac)
        yield case(f"truncated-{int(frac * 100)}", VCF[:off], (f":{_line_at(VCF, off)}",))
    yield case("missing-vcf", b"", (), extra={"in.vcf": None})
    yield case(
        "missing-genome",
        VCF,
        ("genome.fa",),
        extra={"genome.fa": None, "genome.fa.fai": None},
        names_file=False,
    )
    yield case(
        "stale-fai",
        VCF,
        ("genome.fa", ".fai"),
        names_file=False,
        extra={
            "genome.fa.fai": _b(_fai({"chr1": _CHROMS["chr1"][:1000], "chr2": _CHROMS["chr2"]}))
        },
    )
    tsv = VARIANTS_TSV
    yield case("tsv-bad-pos", _replace_line(tsv, 3, "chr1\tx\tA\tC\tv1\n"), (":3",), file="in.tsv")
    yield case("tsv-short-row", _replace_line(tsv, 4, "chr1\t600\n"), (":4",), file="in.tsv")
    yield case(
        "tsv-swapped-header", tsv.replace("chrom\tpos", "pos\tchrom", 1), (":1",), file="in.tsv"
    )
    # a lone CR is a line break to the text reader: either line is a fair answer
    yield case(
        "tsv-id-with-cr",
        _replace_line(tsv, 5, tsv.splitlines()[4] + "\rz\n"),
        ((":5", ":6"),),
        file="in.tsv",
    )
    yield case("records-as-tsv", "".join(_vcf_line(r) for r in VCF_RECORDS), (":1",), file="in.tsv")


# --------------------------------------------------------------------------- YAML


def _yaml_cases() -> Iterator[Case]:
    def case(
        name: str, text: bytes | str, frags: tuple[Fragment, ...], *, names_file: bool = True
    ) -> Case:
        content = text if isinstance(text, bytes) else _b(text)
        return Case(
            f"yaml-{name}",
            "yaml",
            {"config.yaml": content, "train.tsv": _b(TRAIN_TABLE)},
            ("train", "config.yaml", "--out", "out"),
            ("config.yaml", *frags) if names_file else frags,
        )

    yield case(
        "unclosed-bracket",
        _replace_line(CONFIG, 9, "    fraction: [0.25\n"),
        ((":9", ":10", ":11"),),
    )
    yield case("bad-indent", _replace_line(CONFIG, 5, "      sequence: seq\n"), ((":5", ":6"),))
    yield case("tab-indent", _replace_line(CONFIG, 6, "\tlabel: Bound\n"), (":6",))
    yield case(
        "unclosed-quote", _replace_line(CONFIG, 14, '  name: "deepbind\n'), ((":14", ":15", ":23"),)
    )
    yield case("duplicate-top-key", CONFIG + "task: regression\n", (":23", "task"))
    yield case(
        "duplicate-nested-key", _insert_line(CONFIG, 17, "  n_filters: 16\n"), (":17", "n_filters")
    )
    yield case(
        "duplicate-data-key",
        _insert_line(CONFIG, 12, "  valid:\n    fraction: 0.1\n"),
        (":12", "valid"),
    )
    yield case("unknown-top-key", CONFIG + "taks: binary\n", (":23", "taks"))
    yield case(
        "unknown-nested-key", CONFIG.replace("label: Bound", "lable: Bound"), (":6", "lable")
    )
    yield case(
        "wrong-type-epochs",
        CONFIG.replace("max_epochs: 1", "max_epochs: ten"),
        (":19", "max_epochs"),
    )
    yield case(
        "wrong-type-fraction",
        CONFIG.replace("fraction: 0.25", "fraction: lots", 1),
        (":9", "fraction"),
    )
    yield case(
        "zero-batch-size", CONFIG.replace("batch_size: 32", "batch_size: 0"), (":21", "batch_size")
    )
    yield case("negative-length", CONFIG.replace("length: 50", "length: -5"), (":12", "length"))
    yield case("bad-task", CONFIG.replace("task: binary", "task: binry"), (":1", "task"))
    yield case(
        "unknown-model", CONFIG.replace("name: deepbind", "name: deepbond"), (":14", "deepbond")
    )
    yield case("unknown-model-option", CONFIG.replace("hidden: 4", "hiden: 4"), (":17", "hiden"))
    yield case(
        "wrong-type-model-option", CONFIG.replace("hidden: 4", "hidden: many"), (":17", "hidden")
    )
    yield case("missing-data", "task: binary\n" + _MODEL_AND_TRAIN, ("data",))
    yield case("empty", b"", ())
    yield case("only-comments", "# nothing here\n", ())
    yield case("top-level-list", "- task: binary\n", (":1",))
    yield case("scalar", "binary\n", (":1",))
    yield case("binary-garbage", _GARBAGE, ())
    yield case("non-utf8", _b(CONFIG).replace(b"seq\n", b"s\xffq\n", 1), (":5",))
    yield case("two-documents", CONFIG + "---\ntask: binary\n", ((":23", ":24"),))
    yield case(
        "missing-table",
        CONFIG.replace("train.tsv", "nothere.tsv"),
        ("nothere.tsv",),
        names_file=False,
    )
    yield case(
        "sequence-column-absent",
        CONFIG.replace("sequence: seq", "sequence: dna"),
        ("train.tsv:1", "dna"),
        names_file=False,
    )
    for frac in (0.3, 0.6):
        off = int(len(CONFIG) * frac)
        yield case(f"truncated-{int(frac * 100)}", CONFIG[:off], ())


# --------------------------------------------------------------------------- run directories


def _run_cases() -> Iterator[Case]:
    def case(name: str, edit: Edit, frags: tuple[Fragment, ...]) -> Case:
        return Case(
            f"run-{name}",
            "run",
            {"in.fa": _b(FASTA)},
            (*PREDICT, "in.fa", "--out", "out.tsv"),
            frags,
            run=True,
            edits=(edit,),
        )

    def weights(fn: Callable[[bytes], bytes]) -> Edit:
        def edit(folder: Path) -> None:
            p = folder / "run" / "model.safetensors"
            p.write_bytes(fn(p.read_bytes()))

        return edit

    def meta(fn: Callable[[dict[str, object]], None]) -> Edit:
        def edit(folder: Path) -> None:
            p = folder / "run" / "model.json"
            data = json.loads(p.read_text())
            fn(data)
            p.write_text(json.dumps(data, indent=2))

        return edit

    def remove(name: str) -> Edit:
        def edit(folder: Path) -> None:
            (folder / "run" / name).unlink()

        return edit

    st = "model.safetensors"
    yield case("weights-empty", weights(lambda b: b""), (st,))
    for cut in (4, 8, 40, 200):
        yield case(f"weights-truncated-{cut}", weights(lambda b, c=cut: b[:c]), (st,))
    yield case("weights-truncated-half", weights(lambda b: b[: len(b) // 2]), (st,))
    yield case("weights-truncated-last-byte", weights(lambda b: b[:-1]), (st,))
    yield case("weights-corrupt-header", weights(lambda b: b[:8] + b"{garbage" + b[16:]), (st,))
    yield case("weights-huge-header", weights(lambda b: struct.pack("<Q", 2**60) + b[8:]), (st,))
    yield case("weights-garbage", weights(lambda b: _GARBAGE), (st,))
    yield case("weights-pickle", weights(lambda b: pickle.dumps({"weight": [1.0, 2.0]})), (st,))
    yield case("weights-zip", weights(lambda b: b"PK\x03\x04" + _GARBAGE[:100]), (st,))
    yield case("weights-missing", remove(st), (st,))
    yield case("weights-wrong-dtype", weights(lambda b: b.replace(b'"F32"', b'"I64"', 1)), (st,))
    mj = "model.json"
    yield case("json-no-architecture", meta(lambda d: d.pop("architecture")), (mj, "architecture"))
    yield case(
        "json-bad-format-version",
        meta(lambda d: d.update(format_version=99)),
        (mj, "99"),
    )
    yield case(
        "json-string-format-version",
        meta(lambda d: d.update(format_version="one")),
        (mj, "format_version"),
    )
    yield case(
        "json-wrong-shapes",
        meta(lambda d: d["architecture"]["params"].update(n_filters=6)),
        ((mj, st),),
    )  # type: ignore[index]
    yield case(
        "json-wrong-input-length", meta(lambda d: d.update(input_length=0)), (mj, "input_length")
    )
    yield case(
        "json-unknown-architecture",
        meta(lambda d: d["architecture"].update(name="nosuchnet")),
        (mj, "nosuchnet"),
    )  # type: ignore[union-attr]
    yield case(
        "json-unknown-option",
        meta(lambda d: d["architecture"]["params"].update(bogus=1)),
        (mj, "bogus"),
    )  # type: ignore[index]
    yield case("json-bad-task", meta(lambda d: d.update(task="clustering")), (mj, "task"))
    yield case("json-no-outputs", meta(lambda d: d.pop("outputs")), (mj, "outputs"))

    def raw(text: bytes) -> Edit:
        def edit(folder: Path) -> None:
            (folder / "run" / mj).write_bytes(text)

        return edit

    yield case(
        "json-invalid", raw(b'{"format": "biodl-run",\n "task": \n'), ((f"{mj}:2", f"{mj}:3"),)
    )
    yield case("json-empty", raw(b""), (mj,))
    yield case("json-list", raw(b"[1, 2]\n"), (mj,))
    yield case("json-missing", remove(mj), (mj,))

    def replace_run(folder: Path) -> None:
        for p in (folder / "run").iterdir():
            p.unlink()
        (folder / "run").rmdir()
        (folder / "run").write_bytes(b"not a folder\n")

    yield case("run-is-a-file", replace_run, ("run",))

    def empty_run(folder: Path) -> None:
        for p in (folder / "run").iterdir():
            p.unlink()

    yield case("run-empty-folder", empty_run, ("run",))


# --------------------------------------------------------------------------- output paths


def _chmod_readonly(rel: str) -> Edit:
    def edit(folder: Path) -> None:
        p = folder / rel
        p.mkdir(exist_ok=True)
        p.chmod(stat.S_IRUSR | stat.S_IXUSR)

    return edit


def _output_cases() -> Iterator[Case]:
    fa = {"in.fa": _b(FASTA)}
    vc = {"genome.fa": _b(GENOME), "genome.fa.fai": _b(GENOME_FAI), "in.vcf": _b(VCF)}

    def case(
        name: str,
        files: dict[str, bytes],
        argv: tuple[str, ...],
        frags: tuple[Fragment, ...],
        **kw: object,
    ) -> Case:
        return Case(f"output-{name}", "output", dict(files), argv, frags, run=True, **kw)  # type: ignore[arg-type]

    yield case(
        "predict-missing-folder", fa, (*PREDICT, "in.fa", "--out", "nodir/out.tsv"), ("nodir",)
    )
    yield case("predict-out-is-folder", fa, (*PREDICT, "in.fa", "--out", "run"), ("run",))
    yield case("predict-out-is-input", fa, (*PREDICT, "in.fa", "--out", "in.fa"), ("in.fa",))
    yield case(
        "predict-out-is-input-spelled",
        fa,
        (*PREDICT, "in.fa", "--out", "./sub/../in.fa"),
        ("in.fa",),
        edits=(lambda f: (f / "sub").mkdir(),),
    )
    yield case(
        "predict-out-is-weights",
        fa,
        (*PREDICT, "in.fa", "--out", "run/model.safetensors"),
        ("model.safetensors",),
    )
    yield case("score-out-is-vcf", vc, (*SCORE, "--vcf", "in.vcf", "--out", "in.vcf"), ("in.vcf",))
    yield case(
        "score-tsv-is-vcf",
        vc,
        (*SCORE, "--vcf", "in.vcf", "--out", "out.vcf", "--tsv", "in.vcf"),
        ("in.vcf",),
    )
    yield case(
        "score-tsv-is-out",
        vc,
        (*SCORE, "--vcf", "in.vcf", "--out", "out.vcf", "--tsv", "out.vcf"),
        ("out.vcf",),
    )
    yield case(
        "score-out-is-genome", vc, (*SCORE, "--vcf", "in.vcf", "--out", "genome.fa"), ("genome.fa",)
    )
    yield case(
        "score-missing-folder", vc, (*SCORE, "--vcf", "in.vcf", "--out", "no/out.vcf"), ("no",)
    )
    yield case("score-out-is-folder", vc, (*SCORE, "--vcf", "in.vcf", "--out", "run"), ("run",))
    yield case(
        "evaluate-out-is-run",
        {},
        ("evaluate", "--model", "run", "run/config.yaml", "--out", "run"),
        ("run",),
    )
    yield case(
        "assess-out-is-run", {}, ("assess", "--model", "run", "--out", "run", "--force"), ("run",)
    )
    yield case(
        "explain-out-is-run",
        fa,
        ("explain", "--model", "run", "in.fa", "--out", "run", "--force"),
        ("run",),
    )
    yield case(
        "explain-out-is-input",
        fa,
        ("explain", "--model", "run", "in.fa", "--out", "in.fa", "--force"),
        ("in.fa",),
    )
    train = {"config.yaml": _b(CONFIG), "train.tsv": _b(TRAIN_TABLE)}
    yield Case(
        "output-train-out-holds-config",
        "output",
        train,
        ("train", "config.yaml", "--out", ".", "--force"),
        ((".", "config.yaml"),),
    )
    data = {
        "config.yaml": _b(CONFIG.replace("table: train.tsv", "table: data/train.tsv")),
        "data/train.tsv": _b(TRAIN_TABLE),
    }
    yield Case(
        "output-train-out-holds-data",
        "output",
        data,
        ("train", "config.yaml", "--out", "data", "--force"),
        (("data", "train.tsv"),),
    )
    yield case(
        "predict-readonly-folder",
        fa,
        (*PREDICT, "in.fa", "--out", "ro/out.tsv"),
        ("ro",),
        edits=(_chmod_readonly("ro"),),
        needs_non_root=True,
        subprocess=True,
    )
    yield case(
        "score-readonly-folder",
        vc,
        (*SCORE, "--vcf", "in.vcf", "--out", "ro/out.vcf", "--tsv", "ro/out.tsv"),
        ("ro",),
        edits=(_chmod_readonly("ro"),),
        needs_non_root=True,
        subprocess=True,
    )
    many = {"in.fa": _b(_fasta([f"r{k}" for k in range(400)], _SEQS * 33 + _SEQS[:4]))}
    yield case(
        "predict-disk-full",
        many,
        (*PREDICT, "in.fa", "--out", "out.tsv"),
        ("out.tsv",),
        subprocess=True,
        limit_file_size=4096,
    )
    yield case(
        "score-disk-full",
        vc,
        (*SCORE, "--vcf", "in.vcf", "--out", "out.vcf", "--tsv", "out.tsv"),
        (("out.vcf", "out.tsv"),),
        subprocess=True,
        limit_file_size=1024,
    )


# --------------------------------------------------------------------------- CLI options


def _option_cases() -> Iterator[Case]:
    fa = {"in.fa": _b(FASTA)}
    vc = {"genome.fa": _b(GENOME), "genome.fa.fai": _b(GENOME_FAI), "in.vcf": _b(VCF)}
    pred = (*PREDICT, "in.fa", "--out", "out.tsv")
    expl = ("explain", "--model", "run", "in.fa", "--out", "expl")
    score = (*SCORE, "--vcf", "in.vcf", "--out", "out.vcf")

    def case(
        name: str,
        files: dict[str, bytes],
        argv: tuple[str, ...],
        frags: tuple[Fragment, ...],
        *,
        no_cuda: bool = False,
    ) -> Case:
        return Case(
            f"option-{name}", "option", dict(files), argv, frags, run=True, needs_no_cuda=no_cuda
        )

    yield case("predict-batch-size-0", fa, (*pred, "--batch-size", "0"), ("--batch-size",))
    yield case("predict-batch-size-negative", fa, (*pred, "--batch-size", "-3"), ("--batch-size",))
    yield case(
        "predict-device-cuda", fa, (*pred, "--device", "cuda"), ("--device", "cuda"), no_cuda=True
    )
    yield case("predict-device-unknown", fa, (*pred, "--device", "tpu9"), ("--device", "tpu9"))
    yield case("predict-device-bad-index", fa, (*pred, "--device", "cuda:x"), ("--device",))
    yield case("explain-max-sequences-0", fa, (*expl, "--max-sequences", "0"), ("--max-sequences",))
    yield case(
        "explain-max-sequences-negative", fa, (*expl, "--max-sequences", "-1"), ("--max-sequences",)
    )
    yield case("explain-batch-size-0", fa, (*expl, "--batch-size", "0"), ("--batch-size",))
    yield case("explain-device-unknown", fa, (*expl, "--device", "gpu-please"), ("--device",))
    yield case("explain-unknown-target", fa, (*expl, "--target", "nope"), ("nope",))
    yield case("score-batch-size-0", vc, (*score, "--batch-size", "0"), ("--batch-size",))
    yield case("score-device-unknown", vc, (*score, "--device", "quantum"), ("--device",))
    yield case(
        "score-device-cuda", vc, (*score, "--device", "cuda"), ("--device", "cuda"), no_cuda=True
    )
    yield case("score-ism-window-negative", vc, (*score, "--ism-window", "-2"), ("--ism-window",))
    yield case("score-chunk-size-0", vc, (*score, "--chunk-size", "0"), ("--chunk-size",))
    yield case(
        "score-bad-ref-mismatch", vc, (*score, "--ref-mismatch", "ignore"), ("--ref-mismatch",)
    )
    train = {"config.yaml": _b(CONFIG), "train.tsv": _b(TRAIN_TABLE)}
    for name, extra, fragment in (
        ("option-cv-folds-1", ("--folds", "1"), "--folds"),
        ("option-cv-folds-0", ("--folds", "0"), "--folds"),
        ("option-cv-homology-2", ("--folds", "2", "--homology", "2"), "homology"),
    ):
        argv = ("cv", "config.yaml", *extra, "--out", "cv")
        yield Case(name, "option", train, argv, (fragment,))
    yield case("predict-batch-size-text", fa, (*pred, "--batch-size", "many"), ("--batch-size",))


# --------------------------------------------------------------------------- escaping, assess


SECRET = "TOP-SECRET-CONTENT-4242"


def _escape_cases() -> Iterator[Case]:
    secret = f"{SECRET}\tnot a table\n{SECRET}\n"

    def point_config(rel: str) -> Edit:
        def edit(folder: Path) -> None:
            p = folder / "run" / "config.yaml"
            text = p.read_text()
            lines = [
                f"    table: {rel}" if ln.strip().startswith("table:") and "train" in ln else ln
                for ln in text.splitlines()
            ]
            p.write_text("\n".join(lines) + "\n")

        return edit

    for name, files, edit in (
        ("escape-assess-dotdot-secret", {"secret.txt": _b(secret)}, point_config("../secret.txt")),
        (
            "escape-assess-absolute-secret",
            {"secret.txt": _b(secret)},
            lambda f: point_config(os.fspath(f / "secret.txt"))(f),
        ),
        (
            "escape-assess-binary-data",
            {"secret.bin": _GARBAGE + _b(SECRET)},
            point_config("../secret.bin"),
        ),
    ):
        argv = ("assess", "--model", "run", "--out", "assessment")
        yield Case(
            name,
            "escape",
            files,
            argv,
            ("config.yaml",),
            forbidden=(SECRET,),
            run=True,
            edits=(edit,),
        )
    yield Case(
        "escape-predict-secret-as-input",
        "escape",
        {"secret.txt": _b(secret)},
        (*PREDICT, "secret.txt", "--out", "out.tsv"),
        ("secret.txt:1",),
        run=True,
    )
    yield Case(
        "escape-config-secret-key",
        "escape",
        {"config.yaml": _b(CONFIG + f"{SECRET}: 1\n"), "train.tsv": _b(TRAIN_TABLE)},
        ("train", "config.yaml", "--out", "out"),
        ("config.yaml:23",),
    )


def build_cases() -> list[Case]:
    """Every case of the corpus, in a fixed order."""
    out: list[Case] = []
    for gen in (
        _fasta_cases,
        _table_cases,
        _train_cases,
        _bed_cases,
        _vcf_cases,
        _yaml_cases,
        _run_cases,
        _output_cases,
        _option_cases,
        _escape_cases,
    ):
        out.extend(gen())
    return out


def materialise(case: Case, folder: Path, run_dir: Path | None) -> None:
    """Write ``case``'s files into ``folder`` (and copy ``run_dir`` to ``run/``)."""
    folder.mkdir(parents=True, exist_ok=True)
    if case.run:
        if run_dir is None:
            msg = f"case {case.name} needs a run directory"
            raise ValueError(msg)
        (folder / "run").mkdir()
        for name in RUN_FILES:
            src = run_dir / name
            if src.is_file():
                (folder / "run" / name).write_bytes(src.read_bytes())
    for rel, data in case.files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for edit in case.edits:
        edit(folder)


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path to SHA-256 of every file under ``folder`` (``dir/`` for folders)."""
    import hashlib

    out: dict[str, str] = {}
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), folder) + "/"] = "dir"
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, folder)
            if os.path.islink(p):
                out[rel] = "link:" + os.readlink(p)
                continue
            with open(p, "rb") as handle:
                out[rel] = hashlib.sha256(handle.read()).hexdigest()
    return out
