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
