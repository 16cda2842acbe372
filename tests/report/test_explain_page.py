"""The explain page leads with the motifs found, their logos and JASPAR matches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biodl.interpret.motifs import Motif, write_meme
from biodl.report.explain import write_explain_report

pytest.importorskip("logomaker")

_CHECKS = {
    "completeness": {"passed": True, "max_abs_delta": 1e-7},
    "randomisation": {"passed": True, "mean_spearman": 0.1, "threshold": 0.5},
    "warnings": [],
    "motifs": {"method": "modisco", "status": "ok", "n_patterns": 2},
}


def _motif(name: str, letters: str) -> Motif:
    ppm = np.full((4, len(letters)), 0.02)
    for j, letter in enumerate(letters):
        ppm["ACGT".index(letter), j] = 0.94
    return Motif(name, ppm)


def _logo(tmp_path: Path) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1])
    path = tmp_path / "001.png"
    fig.savefig(path)
    return path


def _card(page: str, name: str) -> str:
    start = page.index(f'<div class="motif" id="motif-{name}">')
    ends = [page.find(mark, start + 1) for mark in ('<div class="motif"', "</section>")]
    return page[start : min(e for e in ends if e > 0)]


def _page(tmp_path: Path, **kwargs: object) -> str:
    out = write_explain_report(
        tmp_path / "ex" / "explain.html",
        title="deepshap attributions: bound",
        summary={"model": "deepbind", "sequences": "3"},
        checks=_CHECKS,
        logos=[("#1 s0", _logo(tmp_path))],
        **kwargs,  # type: ignore[arg-type]
    )
    return out.read_text(encoding="utf-8")


def test_motifs_lead_with_their_logos_and_jaspar_match(tmp_path: Path) -> None:
    match = {
        "motif": "pattern_0",
        "jaspar_id": "MA0139.2",
        "tf_name": "CTCF",
        "p_value": 1e-9,
        "q_value": 2e-7,
    }
    page = _page(
        tmp_path,
        motifs=[match],
        found_motifs=[_motif("pattern_0", "CCGCGAGG"), _motif("pattern_1", "TTTAAA")],
        jaspar={"MA0139.2": _motif("MA0139.2", "CCGCGAGGGG")},
    )
    finding = page.index('id="finding"')
    motifs = page.index('id="motifs"')
    assert finding < motifs < page.index('id="attributions"') < page.index('id="checks"')
    assert "2 motifs found (TF-MoDISco); 1 match JASPAR: CTCF (MA0139.2" in page
    matched = _card(page, "pattern_0")
    assert "pattern_0: CTCF (MA0139.2)" in matched
    assert matched.count("<img") == 2
    assert 'alt="logo of pattern_0"' in matched
    assert 'alt="JASPAR logo of MA0139.2"' in matched
    assert "2e-07" in matched
    assert "1e-09" in matched
    unmatched = _card(page, "pattern_1")
    assert "pattern_1: no JASPAR match" in unmatched
    assert "No JASPAR match: TOMTOM returned no target" in unmatched
    assert unmatched.count("<img") == 1
    assert page.count("<table") == page.count('<div class="scroll"><table')
    assert "http" not in page.split("<main>")[1]


def test_a_match_above_the_q_threshold_is_not_called_a_match(tmp_path: Path) -> None:
    match = {
        "motif": "pattern_0",
        "jaspar_id": "MA0001.1",
        "tf_name": "X",
        "p_value": 0.2,
        "q_value": 0.6,
    }
    page = _page(
        tmp_path,
        motifs=[match],
        found_motifs=[_motif("pattern_0", "ACGTAC")],
        jaspar={"MA0001.1": _motif("MA0001.1", "ACGTAC")},
    )
    assert "1 motif found (TF-MoDISco); none matches a JASPAR motif" in page
    assert "pattern_0: no JASPAR match" in page
    assert "No significant JASPAR match" in page
    assert "Closest JASPAR motif (not significant)" in page


def test_patterns_are_read_beside_the_page_when_not_given(tmp_path: Path) -> None:
    (tmp_path / "ex").mkdir()
    write_meme([_motif("pattern_0", "GGGCCC")], tmp_path / "ex" / "motifs.meme")
    page = _page(tmp_path, motifs=[], jaspar={})
    assert "1 motif found (TF-MoDISco); none matches" in page
    assert "No JASPAR match: TOMTOM returned no target" in page
    assert 'alt="logo of pattern_0"' in page


def test_without_motifs_the_page_has_no_motif_section(tmp_path: Path) -> None:
    checks = {k: v for k, v in _CHECKS.items() if k != "motifs"}
    out = write_explain_report(
        tmp_path / "explain.html", title="t", summary={}, checks=checks, logos=[]
    )
    page = out.read_text(encoding="utf-8")
    assert 'id="motifs"' not in page
    assert "Checks: completeness passed, model randomisation passed." in page
