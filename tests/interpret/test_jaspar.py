"""JASPAR motifs, TOMTOM matching (slow: memelite compiles on first use) and motifs.tsv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import false_discovery_control

from biodl.errors import InputError
from biodl.interpret.jaspar import (
    MotifMatch,
    benjamini_hochberg,
    jaspar_motifs,
    match_motifs,
    rank_matches,
    write_motif_table,
)
from biodl.interpret.motifs import Motif


@given(st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=60))
def test_benjamini_hochberg_matches_scipy(p: list[float]) -> None:
    np.testing.assert_allclose(benjamini_hochberg(p), false_discovery_control(p), rtol=1e-12)


def test_benjamini_hochberg_exact() -> None:
    np.testing.assert_allclose(
        benjamini_hochberg([0.01, 0.04, 0.03, 0.5]), [0.04, 0.16 / 3, 0.16 / 3, 0.5]
    )
    assert benjamini_hochberg([]).shape == (0,)


def test_rank_matches_orders_by_p_value_with_q_values() -> None:
    queries = [Motif("q0", np.eye(4)), Motif("q1", np.eye(4))]
    targets = [Motif(f"MA{i}", np.eye(4), alt_name=f"TF{i}") for i in range(3)]
    p = np.array([[0.3, 0.01, 0.02], [0.5, 0.5, 0.001]])
    strands = np.array([[0, 1, 0], [0, 0, 1]])
    out = rank_matches(queries, targets, p, strands=strands, top=2)
    assert [(m.query, m.rank, m.target_id, m.strand) for m in out] == [
        ("q0", 1, "MA1", "-"),
        ("q0", 2, "MA2", "+"),
        ("q1", 1, "MA2", "-"),
        ("q1", 2, "MA0", "+"),  # ties keep the target order
    ]
    assert out[0].q_value == pytest.approx(0.03)
    assert out[0].target_name == "TF1"
    assert len(rank_matches(queries, targets, p, top=None)) == 6
    with pytest.raises(InputError, match="expected"):
        rank_matches(queries, targets, p[:1])


def test_write_motif_table(tmp_path: Path) -> None:
    matches = [
        MotifMatch("filter0", 1, "MA0139.2", "CTCF", 1.5e-10, 1.2e-7, -2, "-", 15, 30.0),
        MotifMatch("filter0", 2, "MA1102.3", "CTCFL", 3e-4, 0.1, 0, "+", 12, 10.0),
    ]
    path = write_motif_table(matches, tmp_path / "motifs.tsv")
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    assert rows[0][:6] == ["motif", "rank", "jaspar_id", "tf_name", "p_value", "q_value"]
    assert rows[1] == ["filter0", "1", "MA0139.2", "CTCF", "1.5e-10", "1.2e-07", "-2", "-"]
    assert len(rows) == 3
    assert not list(tmp_path.glob(".*tmp"))


def test_jaspar_motifs_reads_the_offline_database() -> None:
    motifs = jaspar_motifs(tf_name="REST")
    assert [m.name for m in motifs] == ["MA0138.3"]
    rest = motifs[0]
    assert (rest.alt_name, rest.source, rest.alphabet) == ("REST", "JASPAR2024", "ACGT")
    assert rest.width == 20
    assert rest.n_sites == 1597
    np.testing.assert_allclose(rest.ppm.sum(axis=0), 1.0)
    with pytest.raises(InputError, match="unknown JASPAR release"):
        jaspar_motifs(release="JASPAR1999")


def test_match_motifs_checks_its_input() -> None:
    with pytest.raises(InputError, match="empty"):
        match_motifs([Motif("q", np.eye(4))], [])
    with pytest.raises(InputError, match="different alphabets"):
        match_motifs(
            [Motif("q", np.ones((20, 3)), "ACDEFGHIKLMNPQRSTVWY")], [Motif("t", np.eye(4))]
        )
    assert match_motifs([], [Motif("t", np.eye(4))]) == []


@pytest.fixture(scope="module")
def vertebrates() -> list[Motif]:
    return jaspar_motifs()


@pytest.mark.slow
@pytest.mark.parametrize("tf", ["CTCF", "REST", "GABPA", "FOXA1"])
def test_tomtom_ranks_a_jaspar_motif_first_against_jaspar(tf: str, vertebrates: Any) -> None:
    query = next(m for m in vertebrates if m.alt_name == tf)
    matches = match_motifs([query], vertebrates, top=3)
    assert [m.rank for m in matches] == [1, 2, 3]
    assert matches[0].target_id == query.name
    assert matches[0].strand == "+"
    assert matches[0].p_value < 1e-6
    assert matches[0].q_value < 1e-3
    # the reverse complement matches itself too, on the other strand
    rc = match_motifs([query.reverse_complement()], vertebrates, top=1)[0]
    assert (rc.target_id, rc.strand) == (query.name, "-")
