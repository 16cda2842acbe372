"""Sequence tables (TSV/CSV, plain or gzip)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from biodl.errors import InputError
from biodl.io import SequenceTable, read_table

DEEPBIND = Path(
    "/work/shared/data/tfbind_deepbind_encode/CTCFL_K562_CTCFL_(SC-98982)_HudsonAlpha_B.seq.gz"
)

TSV = "FoldID\tEventID\tseq\tBound\nA\tp1\tacgtN\t1\nB\tp2\tGGCCA\t0\n"


def write(path: Path, text: str) -> Path:
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def error_of(path: Path, **options: object) -> InputError:
    options.setdefault("sequence", "seq")
    with pytest.raises(InputError) as info:
        read_table(path, **options)  # type: ignore[arg-type]
    return info.value


def test_read_all_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "t.seq.gz", TSV)
    table = read_table(path, sequence="seq", label="Bound", id="EventID", group="FoldID")
    assert table == SequenceTable(
        sequences=["ACGTN", "GGCCA"],
        labels=["1", "0"],
        ids=["p1", "p2"],
        groups=["A", "B"],
        lines=[2, 3],
        path=str(path),
    )
    assert len(table) == 2


def test_default_ids_and_optional_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "train.seq.gz", TSV)
    table = read_table(path, sequence="seq")
    assert table.ids == ["train:1", "train:2"]
    assert table.labels is None
    assert table.groups is None


def test_csv_by_extension_with_quotes_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", 'id,seq,label\n"a,1",ACGT,pos\n\nb,GGGG,"neg"\n')
    table = read_table(path, sequence="seq", label="label", id="id")
    assert table.ids == ["a,1", "b"]
    assert table.labels == ["pos", "neg"]
    assert table.lines == [2, 4]


def test_explicit_separator_and_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", "seq;chrom;y\nACGT;chr1;1\nAAAA;chr2;0\n")
    table = read_table(path, sequence="seq", sep=";", extra_columns=("chrom",))
    assert table.extra == {"chrom": ["chr1", "chr2"]}


def test_bad_separator(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", TSV)
    with pytest.raises(InputError, match="separator must be one character"):
        read_table(path, sequence="seq", sep="::")


def test_protein_and_no_alphabet(tmp_path: Path) -> None:
    path = write(tmp_path / "p.tsv", "seq\nmkvX\n")
    assert read_table(path, sequence="seq", alphabet="protein").sequences == ["MKVX"]
    assert read_table(path, sequence="seq", alphabet=None).sequences == ["mkvX"]


def test_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "FoldID\tEventID\tseq\nA\tp1\tACGT\n")
    err = error_of(path, label="Bound")
    assert str(err) == (
        f"{path}:1: label column 'Bound' not found; columns are: FoldID, EventID, seq"
    )
    assert "column 'sequence' not found" in str(error_of(path, sequence="sequence"))


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.tsv", "")
    assert str(error_of(path)) == f"{path}:1: empty file: no header line"


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path / "h.tsv", "seq\tBound\n")
    assert str(error_of(path)).startswith(f"{path}:2: empty table")


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "seq\tBound\nACGT\t1\nACGT\t1\textra\n")
    err = error_of(path)
    assert str(err) == f"{path}:3: row has 3 fields but the header has 2 (separator '\\t')"


def test_empty_sequence(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "id\tseq\nr1\tACGT\nr2\t \n")
    err = error_of(path, id="id")
    assert str(err) == f"{path}:3: empty sequence in column 'seq' of row 'r2'"


def test_illegal_character(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "seq,y\nACGT,1\nAACGTJ,0\n")
    err = error_of(path)
    assert str(err) == (
        f"{path}:3: illegal character 'J' at column 6 of the sequence in column 'seq' of row "
        "'t:2' (alphabet dna: ACGT and N)"
    )


def test_malformed_quoting(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", 'seq,y\n"ACGT"x,1\n')
    assert error_of(path).line == 2


def test_truncated_gzip(tmp_path: Path) -> None:
    text = "seq\tBound\n" + "".join("ACGT" * 25 + "\t1\n" for _ in range(5000))
    data = gzip.compress(text.encode())
    path = tmp_path / "cut.tsv.gz"
    path.write_bytes(data[: len(data) // 2])
    err = error_of(path)
    assert str(err).startswith(f"{path}:")
    assert "truncated or corrupt gzip" in str(err)
    assert err.line is not None
    assert err.line > 2


@pytest.mark.slow
@pytest.mark.skipif(not DEEPBIND.exists(), reason="DeepBind ENCODE data not available")
def test_real_deepbind_table() -> None:
    table = read_table(DEEPBIND, sequence="seq", label="Bound", id="EventID", group="FoldID")
    assert len(table) == 1000
    assert {len(s) for s in table.sequences} == {101}
    assert set(table.labels or []) <= {"0", "1"}
    assert table.lines[0] == 2
    assert table.lines[-1] == 1001
    assert table.ids[0] == "seq_00002_peak"


def test_headerless_table_with_column_names(tmp_path: Path) -> None:
    path = tmp_path / "splice.data"
    path.write_text("EI,  A-1,  ACGTACGT\nN,   B-2,  TTTTAAAA\n")
    table = read_table(
        path, sequence="seq", label="class", id="name", sep=",",
        column_names=["class", "name", "seq"],
    )  # fmt: skip
    assert table.sequences == ["ACGTACGT", "TTTTAAAA"]
    assert table.labels == ["EI", "N"]
    assert table.ids == ["A-1", "B-2"]
    assert table.lines == [1, 2]
