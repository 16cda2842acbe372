"""Unit checks of the input-side fixes of issue #14 that the CLI corpus does not show.

A current ``.fai`` must never be refused (CRLF files, no final newline, exact multiples of
the line width, empty records); model cards escape names; a duplicate YAML key names the
line of its second occurrence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from biodl.config import load_config
from biodl.errors import ConfigError, InputError
from biodl.io import Genome


def _genome(path: Path, chroms: dict[str, str], *, width: int, eol: str, last_eol: bool) -> None:
    parts = []
    for name, seq in chroms.items():
        parts.append(f">{name} some description{eol}")
        parts += [seq[i : i + width] + eol for i in range(0, len(seq), width)]
    text = "".join(parts)
    if not last_eol:
        text = text[: -len(eol)]
    path.write_bytes(text.encode("ascii"))


@pytest.mark.parametrize(
    ("width", "eol", "last_eol"),
    [(60, "\n", True), (60, "\r\n", True), (7, "\n", False), (10, "\n", True), (5, "\r\n", False)],
)
def test_a_current_index_is_accepted(tmp_path: Path, width: int, eol: str, last_eol: bool) -> None:
    chroms = {"c1": "ACGTACGTAC" * 3, "c2": "GGCCA" * 7, "c3": "T" * 10}
    fasta = tmp_path / "g.fa"
    _genome(fasta, chroms, width=width, eol=eol, last_eol=last_eol)
    with Genome(fasta) as g:  # builds the index
        assert dict(g.chrom_sizes) == {k: len(v) for k, v in chroms.items()}
    assert (tmp_path / "g.fa.fai").is_file()
    with Genome(fasta) as g:  # checks the existing index
        for name, seq in chroms.items():
            assert g.fetch(name, 0, len(seq)) == seq


def test_a_stale_index_names_the_fasta_and_the_index(tmp_path: Path) -> None:
    fasta = tmp_path / "g.fa"
    _genome(fasta, {"c1": "ACGT" * 30}, width=60, eol="\n", last_eol=True)
    Genome(fasta).close()
    index = (tmp_path / "g.fa.fai").read_bytes()
    _genome(fasta, {"c1": "ACGT" * 20, "c2": "A" * 50}, width=60, eol="\n", last_eol=True)
    (tmp_path / "g.fa.fai").write_bytes(index)  # newer than the FASTA: pyfaidx trusts it
    with pytest.raises(InputError, match=r"g\.fa: the index .*g\.fa\.fai does not match"):
        Genome(fasta)
    assert (tmp_path / "g.fa.fai").read_bytes() == index  # left for the user to delete


def test_a_failed_index_is_not_left_half_written(tmp_path: Path) -> None:
    fasta = tmp_path / "g.fa"
    fasta.write_text(">a\nACGT\n>a\nACGT\n")
    with pytest.raises(InputError, match="duplicate sequence name"):
        Genome(fasta)
    assert not (tmp_path / "g.fa.fai").exists()


def test_duplicate_yaml_key_names_the_second_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("task: binary\nmodel:\n  name: deepbind\n  name: basset\n")
    with pytest.raises(
        ConfigError, match=r"c\.yaml:4: duplicate key 'name' \(first given on line 3\)"
    ):
        load_config(path)


def test_model_card_escapes_names() -> None:
    from biodl.assess.core import Assessment
    from biodl.assess.types import Item
    from biodl.report.assessment import render_model_card

    hostile = "runs/<script>alert(1)</script>|`x`[a](http://e)*b*"
    item = Item(
        "provenance",
        "green",
        "r",
        "ok",
        values={"model_card": {"training_data": [{"path": f"/d/{hostile}.tsv", "bytes": 1}]}},
    )
    card = render_model_card(
        Assessment(items=(item,), model={"run_dir": hostile, "architecture": "deep|bind"})
    )
    assert "<script>" not in card
    assert "&lt;script&gt;" in card
    assert "[a](http" not in card
    assert "`x`" not in card
    assert "# Model card: deep\\|bind" in card
    assert all("\n" not in line for line in card.splitlines())
