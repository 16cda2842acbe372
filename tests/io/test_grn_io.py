"""Readers of GRN expression tables, gene lists and gold standards (biodl.io.grn)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io.grn import (
    combine_expression,
    expression_kind_from_name,
    read_expression,
    read_gene_list,
    read_gold_standard,
)

HEADER = '"G1"\t"G2"\t"G3"\n'


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_dream_knockouts_quoted_header_perturb_row_k(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "net_knockouts.tsv",
        HEADER + "0.0\t0.5\t0.6\n0.4\t0.0\t0.6\n0.4\t0.5\t0.0\n",
    )
    e = read_expression(path)
    assert e.genes == ("G1", "G2", "G3")
    assert e.values.dtype == np.float64
    assert e.values.shape == (3, 3)
    assert e.kinds == ("knockout",) * 3
    assert e.perturbed == ("G1", "G2", "G3")
    assert e.series.tolist() == [-1, -1, -1]
    assert np.isnan(e.times).all()
    assert e.sources == (str(path),) * 3


def test_sample_column_names_perturbed_gene(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.csv", "sample,G1,G2,G3\nG3,1,2,0\nG1,0,2,3\n")
    e = read_expression(path, kind="knockdown")
    assert e.perturbed == ("G3", "G1")
    assert e.samples == ("G3", "G1")
    assert e.values.tolist() == [[1, 2, 0], [0, 2, 3]]


def test_text_first_column_is_sample_ids_without_header_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.tsv", "cond\tA\tB\ns1\t1\t2\ns2\t3\t4\n")
    e = read_expression(path)
    assert e.genes == ("A", "B")
    assert e.samples == ("s1", "s2")
    assert e.kinds == ("steady",) * 2
    # R's write.table: no header cell above the row names
    path2 = _write(tmp_path / "r.tsv", "A\tB\ns1\t1\t2\ns2\t3\t4\n")
    assert read_expression(path2).genes == ("A", "B")


def test_timeseries_blank_lines_gzip(tmp_path: Path) -> None:
    text = '"Time"\t"G1"\t"G2"\n\n0\t1\t2\n50\t1\t3\n100\t1\t4\n\n0\t2\t2\n50\t2\t1\n100\t2\t0\n'
    path = tmp_path / "net_timeseries.tsv.gz"
    with gzip.open(path, "wt") as f:
        f.write(text)
    e = read_expression(path)
    assert e.kinds == ("timeseries",) * 6
    assert e.series.tolist() == [0, 0, 0, 1, 1, 1]
    assert e.times.tolist() == [0, 50, 100, 0, 50, 100]
    assert e.genes == ("G1", "G2")


def test_time_restart_without_blank_line_starts_new_series(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.tsv", "Time\tA\n0\t1\n10\t2\n0\t3\n")
    assert read_expression(path).series.tolist() == [0, 0, 1]


def test_bad_cell_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "x_multifactorial.tsv", HEADER + "0.1\t0.2\t0.3\n0.1\tabc\t0.3\n")
    with pytest.raises(InputError, match=r"x_multifactorial.tsv:3: column 'G2': 'abc'"):
        read_expression(path)


def test_missing_value_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.tsv", HEADER + "0.1\tNA\t0.3\n")
    with pytest.raises(InputError, match=r"x.tsv:2: .*missing value"):
        read_expression(path)


def test_duplicate_gene_and_wrong_width(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"dup.tsv:1: duplicate gene 'G1'"):
        read_expression(_write(tmp_path / "dup.tsv", "G1\tG1\n1\t2\n"))
    with pytest.raises(InputError, match=r"w.tsv:3: 2 cells where the header has 3"):
        read_expression(_write(tmp_path / "w.tsv", HEADER + "1\t2\t3\n1\t2\n"))


def test_kind_from_name() -> None:
    assert expression_kind_from_name("a/insilico_size100_1_knockdowns.tsv") == "knockdown"
    assert expression_kind_from_name("insilico_size100_1_multifactorial.tsv") == "steady"
    with pytest.raises(InputError, match="unknown expression kind"):
        read_expression("x.tsv", kind="bogus")


def test_combine_reorders_columns_and_series(tmp_path: Path) -> None:
    a = read_expression(_write(tmp_path / "a_timeseries.tsv", "Time\tA\tB\n0\t1\t2\n\n0\t3\t4\n"))
    b = read_expression(_write(tmp_path / "b_timeseries.tsv", "Time\tB\tA\n0\t20\t10\n"))
    w = read_expression(_write(tmp_path / "c_wildtype.tsv", "B\tA\n9\t8\n"))
    e = combine_expression([a, b, w])
    assert e.genes == ("A", "B")
    assert e.values.tolist() == [[1, 2], [3, 4], [10, 20], [8, 9]]
    assert e.series.tolist() == [0, 1, 2, -1]
    assert e.kinds == ("timeseries",) * 3 + ("wildtype",)
    assert e.subset(["wildtype"]).n_samples == 1


def test_combine_gene_mismatch_names_file(tmp_path: Path) -> None:
    a = read_expression(_write(tmp_path / "a.tsv", "A\tB\n1\t2\n"))
    c = read_expression(_write(tmp_path / "c.tsv", "A\tC\n1\t2\n"))
    with pytest.raises(InputError, match=r"c.tsv: its genes differ .*'C'.*'B'"):
        combine_expression([a, c])


def test_gene_list(tmp_path: Path) -> None:
    path = _write(tmp_path / "tfs.txt", "# TFs\nG1\tfirst\n\n G2 \n")
    assert read_gene_list(path) == ("G1", "G2")
    dup = _write(tmp_path / "dup.txt", "G1\nG2\nG1\n")
    with pytest.raises(InputError, match=r"dup.txt:3: duplicate gene 'G1' \(first on line 1\)"):
        read_gene_list(dup)
    with pytest.raises(InputError, match=r"tfs.txt:4: gene 'G2' is not in"):
        read_gene_list(path, genes=["G1"])


def test_gold_three_columns_drops_self_pairs(tmp_path: Path) -> None:
    path = _write(tmp_path / "gold.tsv", "G1\tG2\t1\nG2\tG1\t0\nG1\tG1\t1\nG3\tG1\t0\n")
    gold = read_gold_standard(path, genes=["G1", "G2", "G3"])
    assert gold.regulators == ("G1", "G2", "G3")
    assert gold.targets == ("G2", "G1", "G1")
    assert gold.truth.tolist() == [True, False, False]
    assert gold.n_true == 1
    assert gold.path == str(path)


def test_gold_two_columns_lists_true_edges(tmp_path: Path) -> None:
    path = _write(tmp_path / "edges.tsv", "G1 G2\nG2 G3\n")
    gold = read_gold_standard(path, genes=["G1", "G2", "G3"])
    assert gold.n_pairs == 6
    assert gold.n_true == 2
    assert set(gold.edges()) == {("G1", "G2"), ("G2", "G3")}
    assert read_gold_standard(path).n_pairs == 6  # the genes the file names


def test_gold_errors(tmp_path: Path) -> None:
    bad = _write(tmp_path / "g.tsv", "G1\tG2\t1\nG1\tG9\t0\n")
    with pytest.raises(InputError, match=r"g.tsv:2: gene 'G9' is not in"):
        read_gold_standard(bad, genes=["G1", "G2"])
    dup = _write(tmp_path / "d.tsv", "G1\tG2\t1\nG1\tG2\t0\n")
    with pytest.raises(InputError, match=r"d.tsv:2: duplicate pair G1 -> G2"):
        read_gold_standard(dup)
    label = _write(tmp_path / "l.tsv", "G1\tG2\tyes\n")
    with pytest.raises(InputError, match=r"l.tsv:1: label 'yes'"):
        read_gold_standard(label)
    mixed = _write(tmp_path / "m.tsv", "G1\tG2\t1\nG2\tG1\n")
    with pytest.raises(InputError, match=r"m.tsv:2: 2 fields where earlier lines have 3"):
        read_gold_standard(mixed)
