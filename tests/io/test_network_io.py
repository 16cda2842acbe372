"""Reading edge lists and gene labels (biodl.io.network)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io.network import read_edge_list, read_gene_labels


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_two_columns_binary(tmp_path: Path) -> None:
    net = read_edge_list(_write(tmp_path / "n.txt", "# comment\n\na b\nb\tc\n"))
    assert net.genes == ("a", "b", "c")
    assert not net.weighted
    assert net.weight.tolist() == [1.0, 1.0]
    assert net.n_genes == 3
    assert net.n_edges == 2
    assert net.degree().tolist() == [1.0, 2.0, 1.0]


def test_gzip_weighted(tmp_path: Path) -> None:
    path = tmp_path / "n.txt.gz"
    with gzip.open(path, "wt") as f:
        f.write("a b 0.5\nb c 0.25\n")
    net = read_edge_list(path)
    assert net.weighted
    assert net.weight.dtype == np.float64
    assert net.weight.tolist() == [0.5, 0.25]
    assert net.degree(weighted=True).tolist() == [0.5, 0.75, 0.25]


def test_self_loops_and_duplicates_counted(tmp_path: Path) -> None:
    text = "a b 0.2\nb a 0.7\na b 0.1\nc c 1\nb c 0.3\n"
    net = read_edge_list(_write(tmp_path / "n.txt", text))
    assert net.n_self_loops == 1
    assert net.n_duplicates == 2
    assert net.n_edges == 2
    assert net.weight.tolist() == [0.7, 0.3]  # the larger weight kept
    assert "c" in net.genes  # a self-loop still names its gene


def test_directed_keeps_reverse_edges(tmp_path: Path) -> None:
    net = read_edge_list(_write(tmp_path / "n.txt", "a b 1\nb a 2\na b 3\n"), directed=True)
    assert net.n_edges == 2
    assert net.n_duplicates == 1
    assert net.weight.tolist() == [3.0, 2.0]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a b 1\nb c x\n", 2, "not a number"),
        ("a b 1\nb c nan\n", 2, "not a finite number"),
        ("a b 1\n\nb c inf\n", 3, "not a finite number"),
        ("a b 1\nb c -0.5\n", 2, "negative"),
        ("a b 1\nb c 1 2\n", 2, "4 columns"),
        ("a b 1\nb\n", 2, "1 columns"),
        ("a b 1\nb c\n", 2, "first edge (line 1) has 3"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _write(tmp_path / "bad.txt", text)
    with pytest.raises(InputError) as err:
        read_edge_list(path)
    assert err.value.path == str(path)
    assert err.value.line == line
    assert message in str(err.value)


def test_header_rejected_unless_asked(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.tsv", "geneA\tgeneB\tweight\na\tb\t0.5\n")
    with pytest.raises(InputError, match="looks like a header") as err:
        read_edge_list(path)
    assert err.value.line == 1
    net = read_edge_list(path, header=True)
    assert net.genes == ("a", "b")
    assert net.weight.tolist() == [0.5]


@pytest.mark.parametrize("text", ["", "# only a comment\n\n", "a a\n"])
def test_empty_network_is_an_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError, match=r"no edge line|only self-loops"):
        read_edge_list(_write(tmp_path / "e.txt", text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_edge_list(tmp_path / "absent.txt")


def test_labels_json_and_text(tmp_path: Path) -> None:
    js = _write(tmp_path / "l.json", '{"g1": ["A", "B", "A"], "g2": ["B"], "g3": []}')
    assert read_gene_labels(js) == {"g1": ("A", "B"), "g2": ("B",), "g3": ()}
    txt = _write(tmp_path / "l.tsv", "# gene label\ng1\tA\ng2 B\ng1\tB\n\n")
    assert read_gene_labels(txt) == {"g1": ("A", "B"), "g2": ("B",)}
    gz = tmp_path / "l.tsv.gz"
    with gzip.open(gz, "wt") as f:
        f.write("g1\tA\n")
    assert read_gene_labels(gz) == {"g1": ("A",)}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"g1": "A"}', "list of strings"),
        ('{"g1": [1, 2]}', "list of strings"),
        ('["g1"]', "must be an object"),
        ('{"g1": ["A"],\n "g2": }', "not valid JSON"),
        ("{}", "no gene labels"),
    ],
)
def test_labels_json_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_gene_labels(_write(tmp_path / "l.json", text))


def test_labels_json_error_names_gene_or_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_gene_labels(_write(tmp_path / "l.json", '{"g1": ["A"], "g2": "B"}'))
    assert err.value.record == "g2"
    with pytest.raises(InputError) as err:
        read_gene_labels(_write(tmp_path / "l.json", '{"g1": ["A"],\n "g2": }'))
    assert err.value.line == 2


def test_labels_text_wrong_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="3 columns") as err:
        read_gene_labels(_write(tmp_path / "l.tsv", "g1 A\ng2 B C\n"))
    assert err.value.line == 2


REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "networks_bionic_yeast"


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason=f"real data not found at {REAL}")
def test_real_bionic_yeast_networks_match_source_md() -> None:
    counts = {"Krogan-2006.txt": (7075, 2674), "Hu-2007.txt.gz": (14826, 1101)}
    counts["Costanzo-2016.txt.gz"] = (33056, 4529)
    nets = [read_edge_list(REAL / name) for name in counts]
    for net, (edges, genes) in zip(nets, counts.values(), strict=True):
        assert (net.n_edges, net.n_genes) == (edges, genes)
        assert net.n_self_loops == 0
        assert net.n_duplicates == 0
    assert not nets[0].weighted
    assert nets[1].weighted
    union = set().union(*(net.genes for net in nets))
    assert len(union) == 5232
    labels = read_gene_labels(REAL / "yeast_IntAct_complex_labels.json")
    assert len(labels) == 567
    assert len({lab for labs in labels.values() for lab in labs}) == 48
    assert len(union & set(labels)) == 556
