"""report.html and model_card.md of an assessment: self-contained, parseable, complete."""

from __future__ import annotations

import functools
from html.parser import HTMLParser

import numpy as np

from biodl.assess import ITEM_ORDER, AssessInputs, Item, SplitView, assess
from biodl.report.assessment import render_html, render_model_card


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.urls: list[str] = []
        self.images = 0
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("meta", "img", "br", "hr", "link", "input"):
            self.stack.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)
            if name == "id" and value is not None:
                self.ids.append(value)
        self.images += tag == "img"

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"unbalanced </{tag}>"
        assert self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()


@functools.cache
def _rich_assessment() -> tuple[str, str]:
    rng = np.random.default_rng(0)
    seqs = tuple("".join(rng.choice(list("ACGT"), size=20 + i % 7)) for i in range(30))
    y = (np.arange(30) % 2).astype(float)[:, None]
    view = SplitView(ids=tuple(f"s{i}" for i in range(30)), sequences=seqs, y=y)
    inputs = AssessInputs("binary", "dna", ("1",), {"train": view, "test": view})
    reliability = {
        "lower": [0.0, 0.5],
        "upper": [0.5, 1.0],
        "count": [10, 20],
        "confidence": [0.3, 0.8],
        "accuracy": [0.2, 0.9],
    }
    items = {
        "leakage": Item(
            "leakage",
            "red",
            "red when any test example is a copy",
            "2 exact copies <script>",
            {
                "exact": {
                    "flag": "red",
                    "count": 2,
                    "test_count": 2,
                    "examples": [
                        {"test_id": "t1", "train_id": "s1", "similarity": 1.0},
                        {"test_id": "t2", "train_id": "s2", "similarity": 1.0},
                    ],
                },
                "clean_test_ids": [f"s{i}" for i in range(28)],
            },
        ),
        "calibration": Item(
            "calibration",
            "amber",
            "r",
            "ECE 0.07",
            {"reliability": {"1": reliability}, "after": {"reliability": {"1": reliability}}},
        ),
        "subgroups": Item(
            "subgroups",
            "green",
            "r",
            "no gap",
            {
                "metric": "auroc",
                "groupings": {
                    "gc": {
                        "groups": [
                            {"group": "low", "n": 40, "value": 0.8, "ci": [0.7, 0.9]},
                            {"group": "high", "n": 40, "value": 0.75, "ci": [0.6, 0.85]},
                        ]
                    }
                },
            },
        ),
        "data_quantity": Item(
            "data_quantity",
            "amber",
            "r",
            "few",
            {
                "learning_curve": {
                    "metric": "auroc",
                    "split": "test",
                    "n_train": [10, 20, 40],
                    "value": [0.6, 0.7, 0.75],
                    "ci": [[0.5, 0.7], [0.6, 0.8], [0.7, 0.8]],
                }
            },
        ),
    }
    checks = {k: (lambda i, it=v: it) for k, v in items.items()}
    result = assess(inputs, checks=checks)
    return render_html(result), render_model_card(result)


def test_html_is_self_contained_and_well_formed() -> None:
    page, _ = _rich_assessment()
    assert "http" not in page
    assert 'src="//' not in page
    parser = _Collector()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert all(url.startswith(("data:image/png;base64,", "#")) for url in parser.urls)
    assert set(ITEM_ORDER) <= set(parser.ids)
    # class balance, length, GC, reliability, forest plot, learning curve
    assert parser.images == 6
    assert "&lt;script&gt;" in page
    assert "<script" not in page


def test_html_has_a_traffic_light_row_per_item_and_the_leak_table() -> None:
    page, _ = _rich_assessment()
    table = page.split('<table class="lights">')[1].split("</table>")[0]
    assert table.count("<tr>") == len(ITEM_ORDER) + 1
    assert "Leakage between splits" in table
    assert "background:#c62828" in table
    assert "t1" in page
    assert "s2" in page
    assert "DOME checklist" in page
    assert "Model card" in page


def test_model_card_has_the_sections_and_flags() -> None:
    _, card = _rich_assessment()
    for heading in (
        "## Model details",
        "## Intended use",
        "## Factors",
        "## Metrics",
        "## Evaluation data",
        "## Training data",
        "## Quantitative analyses",
        "## Ethical considerations",
        "## Caveats and recommendations",
        "## Fitness-for-use checks",
        "## DOME checklist",
    ):
        assert heading in card
    assert "| Leakage between splits | red | 2 exact copies &lt;script&gt; |" in card


def _section_html(page: str, key: str) -> str:
    start = page.index(f'<section id="{key}" class="check">')
    return page[start : page.index("</section>", start)]


def test_the_summary_comes_first_then_one_section_per_check() -> None:
    page, _ = _rich_assessment()
    summary = page.index('<section id="summary">')
    lights = page.index('<table class="lights">')
    first_check = page.index('class="check"')
    assert summary < lights < first_check
    positions = [page.index(f'<section id="{key}" class="check">') for key in ITEM_ORDER]
    assert positions == sorted(positions)


def test_each_check_has_its_raw_values_collapsed() -> None:
    page, _ = _rich_assessment()
    for key in ITEM_ORDER:
        section = _section_html(page, key)
        assert section.count('<details class="raw">') == 1, key
        assert "<details open" not in section, key
        # the verdict, its finding and what the check asks come before the raw values
        raw = section.index('<details class="raw">')
        assert section.index('class="flag"') < section.index('class="summary"') < raw
        assert section.index('class="meaning"') < raw


def test_key_numbers_have_units_and_meaning() -> None:
    page, _ = _rich_assessment()
    leakage = _section_html(page, "leakage")
    table = leakage.split('<table class="key">')[1].split("</table>")[0]
    row = table.split("exact copies between train/valid and test")[1].split("</tr>")[0]
    assert '<td class="value">2</td>' in row
    assert '<td class="unit">rows</td>' in row
    assert "test examples identical to a training or validation example" in row
    # the key table comes before the raw values; the leak examples stay in the raw part
    raw = leakage.index('<details class="raw">')
    assert leakage.index('<table class="key">') < raw < leakage.index("t1")


def test_tables_scroll_and_images_shrink_instead_of_overflowing() -> None:
    page, _ = _rich_assessment()
    assert page.count("<table") == page.count('<div class="scroll"><table')
    css = page.split("<style>")[1].split("</style>")[0]
    assert ".scroll { overflow-x: auto;" in css
    assert "img { max-width: 100%;" in css
    assert "overflow-wrap: anywhere" in css
