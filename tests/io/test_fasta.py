"""FASTA and FASTQ reading and writing."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.errors import InputError
from biodl.io import (
    FastqRecord,
    SeqRecord,
    read_fasta,
    read_fastq,
    read_sequences,
    sniff_sequence_format,
    write_fasta,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def truncated_gzip(path: Path, text: str, keep: float = 0.6) -> Path:
    data = gzip.compress(text.encode())
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def error_of(path: Path, **options: object) -> InputError:
    with pytest.raises(InputError) as info:
        list(read_fasta(path, **options))  # type: ignore[arg-type]
    return info.value


# --- reading ------------------------------------------------------------------------


def test_read_multiline_records(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.fa",
        ">chr1:100-110 first peak\nACGTA\ncgtNN\n\n>s2\nGG\n>s3\tdesc  with  tabs\nA\r\n",
    )
    assert list(read_fasta(path)) == [
        SeqRecord("chr1:100-110", "first peak", "ACGTACGTNN", 1),
        SeqRecord("s2", "", "GG", 5),
        SeqRecord("s3", "desc  with  tabs", "A", 7),
    ]


def test_alphabet_none_keeps_letters(tmp_path: Path) -> None:
    path = write(tmp_path / "x.fa", ">a\nacgtRYJ*\n")
    assert next(read_fasta(path, alphabet=None)).sequence == "acgtRYJ*"


def test_protein_and_gzip(tmp_path: Path) -> None:
    path = tmp_path / "p.fa.gz"
    path.write_bytes(gzip.compress(b">P1 kinase\nmkvlAAX\nBZ\n"))
    (rec,) = read_fasta(path, alphabet="protein")
    assert rec == SeqRecord("P1", "kinase", "MKVLAAXBZ", 1)


def test_streaming_is_lazy(tmp_path: Path) -> None:
    path = write(tmp_path / "x.fa", ">a\nAC\n>b\nAJ\n")
    records = read_fasta(path)
    assert next(records).id == "a"  # the bad second record is not read yet
    with pytest.raises(InputError):
        next(records)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.fa", "")
    err = error_of(path)
    assert str(err) == f"{path}:1: empty file: no FASTA records"


def test_blank_lines_only_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "blank.fa", "\n\n  \n")
    assert "empty file" in str(error_of(path))


def test_sequence_before_header(tmp_path: Path) -> None:
    path = write(tmp_path / "nohead.fa", "\nACGT\n>a\nAC\n")
    err = error_of(path)
    assert str(err).startswith(f"{path}:2: sequence line before any '>' header")


def test_header_without_sequence(tmp_path: Path) -> None:
    path = write(tmp_path / "x.fa", ">a\nAC\n>lonely one\n>c\nGG\n")
    err = error_of(path)
    assert str(err) == f"{path}:3: record 'lonely' has no sequence"


def test_header_without_name(tmp_path: Path) -> None:
    path = write(tmp_path / "x.fa", ">a\nAC\n>  \nGG\n")
    assert str(error_of(path)) == f"{path}:3: header line has no name"


def test_illegal_character_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "peaks.fa", ">ok\nACGT\n>chr1:100-200\nACGTA\nACGTA\nACJTA\n")
    err = error_of(path)
    assert str(err) == (
        f"{path}:6: illegal character 'J' at column 3 of record 'chr1:100-200' "
        "(alphabet dna: ACGT and N)"
    )


def test_illegal_character_after_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "gaps.fa", ">r\nACGT\n\nAC\n\n\nGGX\n")
    err = error_of(path)
    assert err.line == 7
    assert "illegal character 'X' at column 3" in str(err)


def test_rna_rejects_t(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fa", ">r\nACGU\nACGT\n")
    err = error_of(path, alphabet="rna")
    assert err.line == 3
    assert "'T' at column 4" in str(err)


def test_truncated_gzip(tmp_path: Path) -> None:
    text = "".join(f">s{i}\n" + "ACGT" * 30 + "\n" for i in range(3000))
    path = truncated_gzip(tmp_path / "cut.fa.gz", text)
    err = error_of(path)
    assert str(err).startswith(f"{path}:")
    assert "truncated or corrupt gzip" in str(err)
    assert err.line is not None
    assert err.line > 100


def test_missing_file(tmp_path: Path) -> None:
    assert "file not found" in str(error_of(tmp_path / "absent.fa"))


# --- writing ------------------------------------------------------------------------


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    records = [
        SeqRecord("a", "first", "ACGT" * 40, 0),
        SeqRecord("b", "", "N", 0),
    ]
    path = tmp_path / "out.fa"
    assert write_fasta(records, path, line_width=50) == 2
    lines = path.read_text().splitlines()
    assert lines[:2] == [">a first", "ACGT" * 12 + "AC"]
    assert max(len(line) for line in lines) == 50
    assert [(r.id, r.description, r.sequence) for r in read_fasta(path)] == [
        ("a", "first", "ACGT" * 40),
        ("b", "", "N"),
    ]


def test_write_gzip_and_pairs(tmp_path: Path) -> None:
    path = tmp_path / "out.fa.gz"
    write_fasta([("x", "ACGT"), ("y", "GG")], path, line_width=0)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert [r.sequence for r in read_fasta(path)] == ["ACGT", "GG"]


def test_write_is_atomic(tmp_path: Path) -> None:
    path = write(tmp_path / "keep.fa", ">old\nAAAA\n")

    def broken() -> Iterator[tuple[str, str]]:
        yield ("new", "CCCC")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_fasta(broken(), path)
    assert path.read_text() == ">old\nAAAA\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.fa"]
    write_fasta([("new", "CCCC")], path)
    assert path.read_text() == ">new\nCCCC\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.fa"]


def test_write_rejects_bad_id_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="one word"):
        write_fasta([("two words", "AC")], tmp_path / "x.fa")
    with pytest.raises(InputError, match="folder does not exist"):
        write_fasta([("a", "AC")], tmp_path / "no" / "x.fa")
    assert list(tmp_path.iterdir()) == []


_IDS = st.text(alphabet="abcXYZ019_:-.|", min_size=1, max_size=12)
_DESCRIPTIONS = st.text(alphabet="abc XYZ=;", max_size=15).map(str.strip)
_SEQS = st.text(alphabet="ACGTN", min_size=1, max_size=150)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(_IDS, _DESCRIPTIONS, _SEQS), min_size=1, max_size=6),
    st.integers(min_value=0, max_value=70),
)
def test_round_trip_property(
    tmp_path_factory: pytest.TempPathFactory,
    records: list[tuple[str, str, str]],
    width: int,
) -> None:
    path = tmp_path_factory.mktemp("rt") / "r.fa"
    write_fasta([SeqRecord(i, d, s, 0) for i, d, s in records], path, line_width=width)
    assert [(r.id, r.description, r.sequence) for r in read_fasta(path)] == records


# --- FASTQ --------------------------------------------------------------------------


def test_read_fastq(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", "@r1 lane 1\nACgn\n+\nII#I\n\n@r2\nG\n+r2\n!\n")
    assert list(read_fastq(path)) == [
        FastqRecord("r1", "lane 1", "ACGN", "II#I", 1),
        FastqRecord("r2", "", "G", "!", 6),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty file: no FASTQ records"),
        ("r1\nACGT\n+\nIIII\n", 1, "expected a FASTQ header starting with '@'"),
        ("@r1\nACGT\n-\nIIII\n", 3, "expected the '+' separator line of record 'r1'"),
        (
            "@r1\nACGT\n+\nIII\n",
            4,
            "quality of record 'r1' has 3 characters but its sequence has 4",
        ),
        ("@r1\nACGT\n+r2\nIIII\n", 3, "separator line names 'r2'"),
        ("@r1\nACJT\n+\nIIII\n", 2, "illegal character 'J' at column 3 of record 'r1'"),
        ("@r1\nACGT\n+\nII I\n", 4, "illegal quality character ' ' at column 3"),
        ("@r1\nACGT\n+\nIIII\n@r2\nAC\n", 7, "incomplete FASTQ record"),
    ],
)
def test_fastq_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path / "bad.fq", text)
    with pytest.raises(InputError) as info:
        list(read_fastq(path))
    assert str(info.value).startswith(f"{path}:{line}: {message}")


def test_read_sequences_dispatches_on_content(tmp_path: Path) -> None:
    fasta = write(tmp_path / "a.txt", "\n>a\nAC\n")
    fastq = write(tmp_path / "b.txt", "@b\nGT\n+\nII\n")
    assert sniff_sequence_format(fasta) == "fasta"
    assert sniff_sequence_format(fastq) == "fastq"
    assert list(read_sequences(fasta)) == [SeqRecord("a", "", "AC", 2)]
    assert list(read_sequences(fastq)) == [SeqRecord("b", "", "GT", 1)]


def test_read_sequences_errors(tmp_path: Path) -> None:
    other = write(tmp_path / "c.txt", "\nid\tseq\n")
    with pytest.raises(InputError) as info:
        list(read_sequences(other))
    assert str(info.value).startswith(f"{other}:2: neither FASTA nor FASTQ")
    empty = write(tmp_path / "d.txt", "")
    with pytest.raises(InputError, match=r"d\.txt:1: empty file"):
        list(read_sequences(empty))


def test_one_sequence_per_line_files(tmp_path: Path) -> None:
    from biodl.io import read_plain_sequences, sniff_sequence_format

    plain = write(tmp_path / "p.txt", "ACGT\nacgn\n\nTTTT\n")
    assert sniff_sequence_format(plain) == "lines"
    records = list(read_sequences(plain))
    assert [(r.id, r.sequence, r.line) for r in records] == [
        ("p:1", "ACGT", 1),
        ("p:2", "ACGN", 2),
        ("p:4", "TTTT", 4),
    ]
    bad = write(tmp_path / "bad.txt", "ACGT\nACJT\n")
    with pytest.raises(InputError, match=r"bad\.txt:2: illegal character 'J'"):
        list(read_plain_sequences(bad))
    broken_fasta = write(tmp_path / "broken.fa", "ACGT\n>s1\nACGT\n")
    assert sniff_sequence_format(broken_fasta) == "fasta"
