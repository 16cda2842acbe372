"""The assessment as a self-contained HTML page and a Markdown model card.

:func:`render_html` returns one page with no network access: inline CSS, figures as
base64 PNG ``data:`` URIs, no JavaScript, every text escaped. It leads with the finding,
the traffic-light table of all items; then one section per item: its verdict, its
summary sentence, what the check asks and its rule, its figures (class balance, length
and GC histograms, reliability diagram, subgroup forest plot, learning curve), a small
table of the numbers that matter with their units and meaning (and per-split, per-group,
per-sub-check or per-file tables where the item has them), and every raw value, as in
``assessment.json``, in a collapsed ``<details>``. Tables sit in containers that scroll
sideways and long values wrap, so the page never overflows its width.
:func:`render_model_card` writes the model card (Mitchell et al. 2019) and the DOME
checklist (Walsh et al. 2021) from the provenance item.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from biodl.io.atomic import atomic_write_text, staged_dir

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from biodl.assess.core import Assessment
    from biodl.assess.types import Item

__all__ = ["FLAG_COLOURS", "render_html", "render_model_card", "write_assessment"]

#: Colour of each flag in the report.
FLAG_COLOURS: Mapping[str, str] = {
    "green": "#2e7d32",
    "amber": "#ef8f00",
    "red": "#c62828",
    "not_assessed": "#8a8a8a",
}

_TITLES: Mapping[str, str] = {
    "data_quantity": "Data quantity",
    "leakage": "Leakage between splits",
    "representation": "Representation and shift",
    "noise": "Label noise",
    "baseline": "Baseline comparison",
    "calibration": "Calibration",
    "subgroups": "Subgroup performance",
    "applicability": "Applicability domain",
    "compute": "Compute",
    "privacy": "Privacy",
    "provenance": "Provenance",
    "agreement": "Agreement of the inference methods",
    "evaluation": "Evaluation against the gold standard",
}

_SPLIT_COLOURS = {"train": "#1f77b4", "valid": "#ff7f0e", "test": "#2ca02c"}
_MAX_ROWS = 20
_MAX_LIST = 12

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #222; background: #fff; margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.4rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1rem; margin: 1rem 0 0.4rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.4rem 0; }
caption { caption-side: top; text-align: left; font-size: 0.85rem; color: #555; }
th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #eee; text-align: left;
         vertical-align: top; font-size: 0.92rem; }
td { overflow-wrap: anywhere; }
th { background: #f6f6f6; }
thead th { white-space: nowrap; }
td.num { font-family: ui-monospace, Menlo, Consolas, monospace; }
table.key td.value { font-family: ui-monospace, Menlo, Consolas, monospace;
                     text-align: right; white-space: nowrap; }
table.key td.long { white-space: normal; text-align: left; min-width: 12em; }
table.key td.unit { color: #555; white-space: nowrap; }
table.key td.meaning { color: #444; font-size: 0.86rem; }
table.lights td:nth-child(-n+2) { white-space: nowrap; }
.flag { display: inline-block; min-width: 6.5em; white-space: nowrap;
        padding: 0.1rem 0.5rem; border-radius: 0.8rem; color: #fff; font-weight: 600;
        text-align: center; font-size: 0.85rem; }
.meaning { margin: 0.2rem 0; color: #333; }
.rule { color: #666; font-style: italic; margin: 0.2rem 0; font-size: 0.86rem; }
.summary { margin: 0.4rem 0 0.6rem; font-weight: 500; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; flex: 1 1 290px; max-width: 480px; min-width: 0; }
img { max-width: 100%; height: auto; }
figure img { width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #555; text-align: center; }
details { margin: 0.5rem 0; }
details > summary { cursor: pointer; color: #444; font-size: 0.92rem; }
details.raw { border-left: 3px solid #eee; padding-left: 0.6rem; }
details.raw table th { font-weight: normal; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
footer { margin-top: 2rem; font-size: 0.8rem; color: #888; }
""".strip()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _scroll(table: str) -> str:
    """``table`` inside a container that scrolls sideways instead of widening the page."""
    return f'<div class="scroll">{table}</div>'


def _badge(flag: str) -> str:
    colour = FLAG_COLOURS.get(flag, "#8a8a8a")
    return f'<span class="flag" style="background:{colour}">{_e(flag.replace("_", " "))}</span>'


def _fmt(value: Any) -> str:
    """A cell's text: numbers to 4 significant digits, short lists inline."""
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "—"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.4g}"
    if isinstance(value, list | tuple):
        shown = ", ".join(_fmt(v) for v in value[:_MAX_LIST])
        more = f", … ({len(value)} in all)" if len(value) > _MAX_LIST else ""
        return f"[{shown}{more}]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in list(value.items())[:_MAX_LIST]) + "}"
    return str(value)


def _is_records(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) > 0
        and all(isinstance(v, Mapping) for v in value)
    )


def _records_table(rows: Sequence[Mapping[str, Any]], *, caption: str = "") -> str:
    columns: list[str] = []
    for row in rows[:_MAX_ROWS]:
        columns += [str(k) for k in row if str(k) not in columns]
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "\n".join(
        "<tr>" + "".join(f'<td class="num">{_e(_fmt(row.get(c)))}</td>' for c in columns) + "</tr>"
        for row in rows[:_MAX_ROWS]
    )
    more = f" (first {_MAX_ROWS} of {len(rows)})" if len(rows) > _MAX_ROWS else ""
    cap = f"<caption>{_e(caption + more)}</caption>" if caption or more else ""
    return _scroll(f"<table>{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>")


def _is_metric(value: Any) -> bool:
    """A ``{"value": v, "ci": [lo, hi]}`` entry (as :mod:`biodl.metrics` returns)."""
    return isinstance(value, Mapping) and "value" in value and set(value) <= {"value", "ci"}


def _metric_text(entry: Mapping[str, Any]) -> str:
    ci = entry.get("ci")
    if isinstance(ci, list | tuple) and len(ci) == 2 and None not in ci:
        return f"{_fmt(entry['value'])} [{_fmt(ci[0])}, {_fmt(ci[1])}]"
    return _fmt(entry.get("value"))


def _collect(
    values: Mapping[str, Any], prefix: str, scalars: list[tuple[str, str]], blocks: list[str]
) -> None:
    """Split ``values`` into ``(dotted key, text)`` rows and HTML blocks: record lists
    become tables, flagged sub-checks sub-sections; other mappings are flattened."""
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and "flag" in value:
            inner = {k: v for k, v in value.items() if k not in ("flag", "rule", "summary")}
            head = f"<h3>{_e(name)} {_badge(str(value['flag']))}</h3>"
            if "summary" in value:
                head += f'<p class="summary">{_e(value["summary"])}</p>'
            if "rule" in value:
                head += f'<p class="rule">Rule: {_e(value["rule"])}</p>'
            blocks.append(head + _values_html(inner, prefix=f"{name}."))
        elif _is_metric(value):
            scalars.append((name, _metric_text(value)))
        elif _is_records(value):
            blocks.append(_records_table(value, caption=name))
        elif isinstance(value, Mapping) and value:
            _collect(value, f"{name}.", scalars, blocks)
        else:
            scalars.append((name, _fmt(value)))


def _values_html(values: Mapping[str, Any], *, prefix: str = "") -> str:
    """One two-column table of every scalar (nested keys dotted, metrics as
    ``value [lo, hi]``), then the record tables and flagged sub-checks."""
    scalars: list[tuple[str, str]] = []
    blocks: list[str] = []
    _collect(values, prefix, scalars, blocks)
    table = ""
    if scalars:
        rows = "\n".join(
            f'<tr><th scope="row">{_e(k)}</th><td class="num">{_e(v)}</td></tr>' for k, v in scalars
        )
        table = _scroll(f"<table>\n{rows}\n</table>")
    return table + "\n".join(blocks)


# --- the numbers that matter, per check ----------------------------------------------

#: What each check asks, in one sentence (shown under its verdict).
_MEANING: Mapping[str, str] = {
    "data_quantity": "Are there enough distinct training examples for the number of weights "
    "the model fits?",
    "leakage": "Do test examples (or their reverse complements, near-copies, homologues or "
    "overlapping intervals) also occur in training? Leaks inflate every test metric.",
    "representation": "Do the splits look alike (size, class balance, length, composition), "
    "so that the test set measures what training learned?",
    "noise": "Do labels contradict each other, or look wrong to an independent k-mer model?",
    "baseline": "Does the model beat a simple k-mer logistic regression on the same test set?",
    "calibration": "Do predicted probabilities match observed frequencies (is a score of 0.8 "
    "right 80 % of the time)?",
    "subgroups": "Does performance differ between groups of test examples (GC bins, "
    "chromosomes, sources, --group)?",
    "applicability": "Do new sequences resemble the training data closely enough for their "
    "predictions to be trusted?",
    "compute": "What does it cost to run the model: size, memory and throughput?",
    "privacy": "Can someone holding the model tell which examples it was trained on "
    "(membership inference), and what does the run directory store? A simple attack's "
    "average AUROC understates the risk to single examples (Carlini et al. 2022): green "
    "means no leak visible to this attack, not private.",
    "provenance": "Are the data, configuration, seed and software behind the model recorded "
    "and unchanged?",
    "agreement": "Do inference methods built on different assumptions find the same best "
    "edges, or does the ranking depend mostly on the method?",
    "evaluation": "How well does the ranked edge list recover a gold standard, against a "
    "random ranking?",
}

#: ``(dotted path, measure, unit, meaning, scale)`` of the few numbers shown per check;
#: ``{dotted.path}`` in the texts is filled from the item's values. ``scale``: ``pct``
#: (fraction shown in %), ``mib`` (bytes in MiB), ``mflop`` (FLOP in millions),
#: ``short`` (a long hash cut to 12 characters), ``ci`` (a value with the ``ci`` beside it).
_KEY_NUMBERS: Mapping[str, Sequence[tuple[str, str, str, str, str]]] = {
    "data_quantity": (
        ("n_train", "training examples", "rows", "examples the model was trained on", ""),
        (
            "n_train_unique",
            "distinct training sequences",
            "sequences",
            "training rows left after merging identical sequences",
            "",
        ),
        (
            "n_duplicates",
            "repeated training rows",
            "rows",
            "rows whose sequence already occurs in training",
            "",
        ),
        ("n_parameters", "trainable parameters", "weights", "numbers the optimiser fits", ""),
        (
            "ratio",
            "examples per parameter",
            "ratio",
            "distinct training sequences / trainable parameters; green needs at least 10",
            "",
        ),
    ),
    "leakage": (
        ("n_test", "test examples", "rows", "examples the test metrics are computed on", ""),
        (
            "exact.test_count",
            "exact copies between train/valid and test",
            "rows",
            "test examples identical to a training or validation example",
            "",
        ),
        (
            "reverse_complement.test_count",
            "reverse-complement copies in test",
            "rows",
            "test examples whose reverse complement is a training or validation example",
            "",
        ),
        (
            "near_duplicate.test_count",
            "near-duplicates in test",
            "rows",
            (
                "test examples with a near-identical training or validation example "
                "(k-mer similarity at least {near_threshold})"
            ),
            "",
        ),
        (
            "homology.count",
            "homologous pairs",
            "pairs",
            "train/test pairs above the sequence-identity threshold",
            "",
        ),
        (
            "intervals.count",
            "overlapping genomic intervals",
            "pairs",
            "train/test intervals that overlap",
            "",
        ),
        (
            "redundancy.count",
            "copies within the data",
            "rows",
            "rows that copy another row in any split ({redundancy.distinct} distinct)",
            "",
        ),
        (
            "clean_metrics.n_clean",
            "leak-free test examples",
            "rows",
            "test examples with no counterpart in train/valid",
            "",
        ),
    ),
    "representation": (
        (
            "shift.auroc",
            "train-vs-test adversarial AUROC",
            "AUROC [95 % CI]",
            (
                "how well {shift.features} tells train from test: 0.5 means "
                "indistinguishable; amber above 0.6, red above 0.75"
            ),
            "ci",
        ),
        (
            "minority_fraction",
            "smallest training class",
            "% of training",
            "share of the rarest class; amber below 5 %",
            "pct",
        ),
    ),
    "noise": (
        (
            "conflicting_labels.count",
            "identical sequences with conflicting labels",
            "sequences",
            "the same sequence given different labels",
            "",
        ),
        (
            "conflicting_labels.rows",
            "rows carrying them",
            "rows",
            "rows of those sequences, in all splits",
            "",
        ),
        (
            "conflicting_labels.near.count",
            "near-identical pairs with different labels",
            "pairs",
            "k-mer similarity at least {conflicting_labels.near.threshold}",
            "",
        ),
        (
            "label_issues.count",
            "labels flagged by confident learning",
            "rows",
            "training labels that an out-of-fold {label_issues.model} confidently disputes",
            "",
        ),
        (
            "label_issues.fraction",
            "flagged share",
            "% of training",
            "flagged labels / {label_issues.n} training labels",
            "pct",
        ),
        (
            "label_issues.model_accuracy",
            "accuracy of the flagging model",
            "%",
            "out of fold; flags count towards amber only when it is at least 90 %",
            "pct",
        ),
    ),
    "baseline": (
        ("model", "model", "{metric} [95 % CI]", "the trained model on test", ""),
        (
            "baseline",
            "k-mer baseline",
            "{metric} [95 % CI]",
            "{estimator} on {features}",
            "",
        ),
        (
            "difference",
            "model − baseline",
            "{metric} [95 % CI]",
            "paired bootstrap ({n_boot} resamples); the interval must lie above 0",
            "",
        ),
        ("n_test", "test examples", "rows", "examples both are scored on", ""),
    ),
    "calibration": (
        ("n", "examples", "rows", "{split} examples the calibration is measured on", ""),
        (
            "ece",
            "expected calibration error (ECE)",
            "probability",
            (
                "mean gap between predicted probability and observed frequency over "
                "{n_bins} bins; amber above 0.05, red above 0.1"
            ),
            "",
        ),
        (
            "brier",
            "Brier score",
            "probability²",
            "mean squared error of the probabilities: 0 is perfect, 0.25 a constant 0.5",
            "",
        ),
        (
            "temperature",
            "fitted temperature",
            "factor",
            "logits divided by it calibrate best on {temperature_fitted_on}",
            "",
        ),
        (
            "after.ece",
            "ECE after temperature scaling",
            "probability",
            "what --save-temperature would give",
            "",
        ),
    ),
    "subgroups": (
        ("metric", "metric", "", "scored per group on {split}, with a bootstrap 95 % CI", ""),
    ),
    "applicability": (
        ("n", "new sequences", "sequences", "sequences given with --data", ""),
        (
            "n_in_domain",
            "inside the training domain",
            "sequences",
            "both k-mer similarity and embedding distance within the thresholds below",
            "",
        ),
        (
            "fraction_in_domain",
            "share inside the domain",
            "%",
            "amber below 90 %, red below 50 %",
            "pct",
        ),
        (
            "kmer_threshold",
            "k-mer similarity threshold",
            "cosine",
            "the {quantile} quantile of held-out data's similarity to training",
            "",
        ),
        (
            "embedding_threshold",
            "embedding distance threshold",
            "distance",
            "the {quantile} quantile of held-out data's distance to training",
            "",
        ),
    ),
    "compute": (
        (
            "n_parameters_trainable",
            "trainable parameters",
            "weights",
            "{n_parameters_total} in all",
            "",
        ),
        (
            "flops_per_sequence",
            "compute per sequence",
            "MFLOP",
            "one forward pass over an input of shape {input_shape}",
            "mflop",
        ),
        ("weight_bytes", "weights", "MiB", "the parameters in memory", "mib"),
        (
            "inference_peak_bytes",
            "memory to score a batch",
            "MiB",
            "peak for a batch of {batch_size} ({memory_method})",
            "mib",
        ),
        (
            "training_step_peak_bytes",
            "memory for a training step",
            "MiB",
            "peak for one batch of {batch_size} with gradients",
            "mib",
        ),
        (
            "sequences_per_s",
            "throughput",
            "sequences/s",
            "measured on {device} with {threads} thread(s)",
            "",
        ),
        (
            "tiled_hours",
            "time to tile a genome",
            "hours",
            "{workload_bp} bp in windows of {window} bp",
            "",
        ),
        (
            "sliding_hours",
            "time to slide base by base",
            "hours",
            "one window per position of {workload_bp} bp",
            "",
        ),
    ),
    "privacy": (
        (
            "membership.n_members",
            "examples compared",
            "per side",
            (
                "training examples (random, seed-fixed) against as many "
                "{membership.non_member_split} examples never trained on; "
                "{membership.n_copies_dropped} held-out copies of training sequences left out"
            ),
            "",
        ),
        (
            "membership.attacks.loss.auroc",
            "loss-attack AUROC",
            "AUROC [95 % CI]",
            "lower per-example training loss means member (Yeom et al. 2018); 0.5 is chance",
            "",
        ),
        (
            "membership.attacks.confidence.auroc",
            "confidence-attack AUROC",
            "AUROC [95 % CI]",
            "higher top-class probability means member, no label needed (Salem et al. 2019)",
            "",
        ),
        (
            "membership.advantage",
            "membership advantage",
            "TPR − FPR",
            (
                "best threshold of the {membership.headline_attack} attack; amber from AUROC "
                "{membership.thresholds.amber} (or a CI above 0.5), red from "
                "{membership.thresholds.red}"
            ),
            "",
        ),
        (
            "storage.count",
            "files in the run directory",
            "files",
            (
                "{storage.n_searched} training sequences searched for verbatim; files with "
                "per-example ids/scores: {storage.examples}"
            ),
            "",
        ),
    ),
    "provenance": (
        ("seed", "training seed", "", "the assessment used seed {assessment_seed}", ""),
        ("splits.counts", "split sizes", "rows", "the split list is recorded with a SHA-256", ""),
        ("created", "trained", "date", "by {user} on {host}", ""),
        ("command", "command", "", "the command line that trained the model", ""),
        ("config_sha256", "configuration", "SHA-256", "of the training configuration", "short"),
        ("model_sha256", "weights", "SHA-256", "of model.safetensors", "short"),
        ("biodl_version", "biodl", "version", "that trained the model", ""),
    ),
}

#: What a check asks of a molecule model, where it differs from :data:`_MEANING`.
_MOLECULE_MEANING: Mapping[str, str] = {
    "leakage": "Do test molecules also occur in training, share its Bemis-Murcko scaffolds, "
    "or closely resemble training molecules (Tanimoto on ECFP4)? Leaks inflate every test "
    "metric.",
    "representation": "Do the splits look alike (size, class balance, molecule size, "
    "scaffolds, similarity to training), so that the test set measures what training "
    "learned?",
    "noise": "Do identical molecules carry contradicting labels, or do labels look wrong to "
    "an independent fingerprint model?",
    "baseline": "Does the model beat a linear model on ECFP4 fingerprints on the same test set?",
    "subgroups": "Does performance differ between groups of test molecules (size, scaffolds "
    "seen or not seen in training, sources, --group)?",
    "applicability": "Do new (or test) molecules resemble the training molecules closely "
    "enough for their predictions to be trusted?",
}

#: Key numbers of molecule items, where they differ from :data:`_KEY_NUMBERS`.
_MOLECULE_KEY_NUMBERS: Mapping[str, Sequence[tuple[str, str, str, str, str]]] = {
    "leakage": (
        (
            "identical.count",
            "identical molecules across splits",
            "molecules",
            "held-out molecules whose canonical SMILES occurs in another split",
            "",
        ),
        (
            "shared_scaffold.max_fraction_vs_train",
            "sharing a training scaffold",
            "% of held-out",
            "test or valid molecules whose Bemis-Murcko scaffold occurs in train; amber above 50 %",
            "pct",
        ),
        (
            "nearest_neighbour.max_fraction_vs_train",
            "close training analogue",
            "% of held-out",
            (
                "test or valid molecules with a training molecule at Tanimoto >= {threshold} "
                "({fingerprint}); amber above 20 %"
            ),
            "pct",
        ),
    ),
    "noise": (
        (
            "conflicting_labels.count",
            "identical molecules with conflicting labels",
            "molecules",
            "the same canonical SMILES given different labels",
            "",
        ),
        (
            "conflicting_labels.rows",
            "rows carrying them",
            "rows",
            "rows of those molecules, in all splits",
            "",
        ),
        *_KEY_NUMBERS["noise"][3:],
    ),
    "baseline": (
        ("model", "model", "{metric} [95 % CI]", "the trained model on test", ""),
        (
            "baseline",
            "fingerprint baseline",
            "{metric} [95 % CI]",
            "{estimator} on {features}, C chosen on valid",
            "",
        ),
        (
            "difference",
            "model − baseline",
            "{metric} [95 % CI]",
            "paired bootstrap ({n_boot} resamples); the interval must lie above 0",
            "",
        ),
        ("n_test", "test molecules", "molecules", "molecules both are scored on", ""),
    ),
    "applicability": (
        ("n", "molecules compared", "molecules", "--data molecules, else the test split", ""),
        (
            "n_in_domain",
            "inside the training domain",
            "molecules",
            "nearest training Tanimoto at least the threshold below",
            "",
        ),
        (
            "fraction_in_domain",
            "share inside the domain",
            "%",
            "amber below 80 %, red below 50 %",
            "pct",
        ),
        (
            "similarity_threshold",
            "Tanimoto threshold",
            "similarity",
            (
                "the {quantile} quantile of the training molecules' own nearest-neighbour "
                "similarities ({fingerprint})"
            ),
            "",
        ),
    ),
}


def _is_molecular(item: Item) -> bool:
    """Whether ``item`` was made for a molecule model (by the values it holds)."""
    values = item.values
    return (
        "fingerprint" in values
        or "ECFP4" in str(values.get("features", ""))
        or isinstance(values.get("atoms"), Mapping)
        or "molecules" in str(_get(values, "conflicting_labels.near.reason") or "")
        or (item.key == "data_quantity" and "molecules" in item.summary)
    )


_Row = tuple[str, str, str, str]
"""``(measure, value, unit, meaning)`` of one row of a check's key-number table."""

_FIELD = re.compile(r"\{([\w.]+)\}")


def _get(values: Any, path: str) -> Any:
    """``values[a][b]`` for ``path`` ``"a.b"``; None where a key is missing."""
    for part in path.split("."):
        if not isinstance(values, Mapping) or part not in values:
            return None
        values = values[part]
    return values


def _fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each ``{dotted.path}`` replaced by that value (``?`` when missing)."""

    def one(match: re.Match[str]) -> str:
        value = _get(values, match.group(1))
        return "?" if value is None else _scaled(value, "")

    return _FIELD.sub(one, text)


def _scaled(value: Any, scale: str) -> str:
    """The text of one key number."""
    if _is_metric(value):
        return _metric_text(value)
    if isinstance(value, Mapping) and all(
        not isinstance(v, Mapping | list) for v in value.values()
    ):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            return "n/a"
        if scale == "pct":
            return f"{100 * number:.1f}"
        if scale == "mib":
            return f"{number / 2**20:.3g}"
        if scale == "mflop":
            return f"{number / 1e6:.3g}"
        if isinstance(value, float) and abs(number) >= 1000:
            return f"{number:,.0f}"
    if scale == "short" and isinstance(value, str) and len(value) > 12:
        return value[:12] + "…"
    return _fmt(value)


def _key_rows(item: Item) -> list[_Row]:
    """The few numbers of ``item`` that matter, with units and meaning; sub-checks that
    were not assessed say why."""
    values = item.values
    rows: list[_Row] = []
    table = _KEY_NUMBERS.get(item.key, ())
    if _is_molecular(item):
        table = _MOLECULE_KEY_NUMBERS.get(item.key, table)
    for path, measure, unit, meaning, scale in table:
        head = _get(values, path.split(".")[0])
        if "." in path and isinstance(head, Mapping) and head.get("flag") == "not_assessed":
            reason = str(head.get("reason") or "")
            rows.append((_fill(measure, values), "not assessed", "", reason))
            continue
        value = _get(values, path)
        if value is None:
            continue
        text = _scaled(value, scale)
        if scale == "ci":
            ci = _get(values, path.rsplit(".", 1)[0] + ".ci" if "." in path else "ci")
            text = _metric_text({"value": value, "ci": ci})
        rows.append((_fill(measure, values), text, _fill(unit, values), _fill(meaning, values)))
    if item.key == "leakage":
        rows += _leak_metric_rows(values)
    return rows


def _leak_metric_rows(values: Mapping[str, Any]) -> list[_Row]:
    """The first test metric on all test examples and on the leak-free ones."""
    every, clean = _get(values, "clean_metrics.all"), _get(values, "clean_metrics.clean")
    if not isinstance(every, Mapping) or not isinstance(clean, Mapping):
        return []
    names = [k for k in every if k not in ("threshold", "n", "n_positive") and k in clean]
    if not names:
        return []
    name = names[0]
    return [
        (f"test {name}, all examples", _scaled(every[name], ""), f"{name} [95 % CI]", ""),
        (
            f"test {name}, leak-free examples",
            _scaled(clean[name], ""),
            f"{name} [95 % CI]",
            "a large drop means the leaks inflate the test metric",
        ),
    ]


def _key_table(rows: Sequence[_Row]) -> str:
    body = "\n".join(
        f'<tr><th scope="row">{_e(m)}</th>'
        f'<td class="{"value long" if len(v) > 28 else "value"}">{_e(v)}</td>'
        f'<td class="unit">{_e(u)}</td><td class="meaning">{_e(t)}</td></tr>'
        for m, v, u, t in rows
    )
    return _scroll(
        '<table class="key"><thead><tr><th>measure</th><th>value</th><th>unit</th>'
        f"<th>what it means</th></tr></thead>\n<tbody>\n{body}\n</tbody></table>"
    )


def _humanise(key: str) -> str:
    return key.replace("_", " ")


def _subcheck_table(values: Mapping[str, Any]) -> str:
    """One row per sub-check that has its own flag (leakage, noise)."""
    rows = []
    for key, value in values.items():
        if not (isinstance(value, Mapping) and "flag" in value):
            continue
        note = value.get("summary") or value.get("reason") or ""
        count = value.get("count")
        rows.append(
            f'<tr><th scope="row">{_e(_humanise(str(key)))}</th>'
            f"<td>{_badge(str(value['flag']))}</td>"
            f'<td class="num">{_e(_fmt(count))}</td><td>{_e(note)}</td></tr>'
        )
    if not rows:
        return ""
    return "<h3>Sub-checks</h3>" + _scroll(
        "<table><thead><tr><th>sub-check</th><th>verdict</th><th>count</th><th>note</th>"
        "</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _split_table(values: Mapping[str, Any]) -> str:
    """Representation per split: examples, positive share, median length, mean GC."""
    counts = values.get("n")
    if not isinstance(counts, Mapping) or not counts:
        return ""
    columns: list[tuple[str, Any]] = [("examples (rows)", lambda s: _fmt(counts.get(s)))]
    labels = values.get("labels")
    if isinstance(labels, Mapping):
        outputs = [o for per in labels.values() if isinstance(per, Mapping) for o in per]
        first = outputs[0] if outputs else None
        if (
            first is not None
            and _get(labels, f"{next(iter(labels))}.{first}.fraction_positive") is not None
        ):
            columns.append(
                (
                    f"positive share of {first} (%)",
                    lambda s: _scaled(_get(labels, f"{s}.{first}.fraction_positive"), "pct"),
                )
            )
    if isinstance(_get(values, "length.stats"), Mapping):
        columns.append(
            (
                "median length (letters)",
                lambda s: _scaled(_get(values, f"length.stats.{s}.median"), ""),
            )
        )
    if isinstance(_get(values, "atoms.stats"), Mapping):
        columns.append(
            ("median heavy atoms", lambda s: _scaled(_get(values, f"atoms.stats.{s}.median"), ""))
        )
    if isinstance(_get(values, "scaffolds"), Mapping):
        columns.append(
            ("scaffolds", lambda s: _scaled(_get(values, f"scaffolds.{s}.n_scaffolds"), ""))
        )
        columns.append(
            (
                "sharing a training scaffold (%)",
                lambda s: _scaled(
                    _get(values, f"scaffolds.{s}.fraction_sharing_train_scaffold"), "pct"
                ),
            )
        )
    if isinstance(_get(values, "similarity.nearest_train"), Mapping):
        columns.append(
            (
                "median nearest-training Tanimoto",
                lambda s: _scaled(_get(values, f"similarity.nearest_train.{s}.median"), ""),
            )
        )
    if isinstance(_get(values, "composition.gc"), Mapping):
        columns.append(
            ("mean GC (%)", lambda s: _scaled(_get(values, f"composition.gc.{s}.mean"), "pct"))
        )
    head = "<th>split</th>" + "".join(f"<th>{_e(name)}</th>" for name, _ in columns)
    body = "\n".join(
        f'<tr><th scope="row">{_e(split)}</th>'
        + "".join(f'<td class="num">{_e(get(split))}</td>' for _, get in columns)
        + "</tr>"
        for split in counts
    )
    return "<h3>Per split</h3>" + _scroll(
        f"<table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"
    )


def _groups_table(values: Mapping[str, Any]) -> str:
    """Subgroups: one row per group with its size and metric (first rows only)."""
    groupings = values.get("groupings")
    if not isinstance(groupings, Mapping):
        return ""
    metric = str(values.get("metric") or "metric")
    rows = []
    for name, entry in groupings.items():
        records = entry.get("groups") if isinstance(entry, Mapping) else None
        if records is None or not _is_records(records):
            continue
        for r in records:
            value = r.get("value")
            text = "—" if value is None else _metric_text({"value": value, "ci": r.get("ci")})
            rows.append(
                f"<tr><td>{_e(name)}</td><td>{_e(r.get('group', '?'))}</td>"
                f'<td class="num">{_e(_fmt(r.get("n")))}</td>'
                f'<td class="num">{_e(_fmt(r.get("n_positive")))}</td>'
                f'<td class="num">{_e(text)}</td><td>{_e(r.get("note") or "")}</td></tr>'
            )
    if not rows:
        return ""
    more = f" (first {_MAX_ROWS} of {len(rows)})" if len(rows) > _MAX_ROWS else ""
    return f"<h3>Groups{_e(more)}</h3>" + _scroll(
        "<table><thead><tr><th>grouping</th><th>group</th><th>examples</th>"
        f"<th>positives</th><th>{_e(metric)} [95 % CI]</th><th>note</th></tr></thead>\n"
        "<tbody>\n" + "\n".join(rows[:_MAX_ROWS]) + "\n</tbody></table>"
    )


def _files_table(values: Mapping[str, Any]) -> str:
    """Provenance: each recorded data file with its status, size and checksum."""
    files = values.get("data_files")
    if files is None or not _is_records(files):
        return ""
    rows = "\n".join(
        f"<tr><td>{_e(f.get('path', '?'))}</td><td>{_e(f.get('status', ''))}</td>"
        f'<td class="num">{_e(_scaled(f.get("bytes"), "mib"))}</td>'
        f'<td class="num">{_e(_scaled(f.get("sha256"), "short"))}</td></tr>'
        for f in files
    )
    return "<h3>Data files</h3>" + _scroll(
        "<table><thead><tr><th>file</th><th>status</th><th>size (MiB)</th>"
        f"<th>SHA-256</th></tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
    )


def _stored_files_table(values: Mapping[str, Any]) -> str:
    """Privacy: each file of the run directory, its class and what it holds."""
    files = _get(values, "storage.files")
    if files is None or not _is_records(files):
        return ""
    rows = "\n".join(
        f"<tr><td>{_e(f.get('path', '?'))}</td><td>{_e(f.get('class', ''))}</td>"
        f'<td class="num">{_e(_scaled(f.get("bytes"), "mib"))}</td>'
        f"<td>{_e('yes' if f.get('per_example') else 'no')}</td>"
        f'<td class="num">{_e(_fmt(f.get("sequences_found")))}</td>'
        f"<td>{_e(f.get('holds', ''))}</td></tr>"
        for f in files[: 2 * _MAX_ROWS]
    )
    return "<h3>What the run directory stores</h3>" + _scroll(
        "<table><thead><tr><th>file</th><th>class</th><th>size (MiB)</th>"
        "<th>per-example</th><th>training sequences found</th><th>holds</th></tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody></table>"
    )


def _readable_tables(item: Item) -> str:
    """The key numbers of ``item`` and its per-item tables, each in a scroll container."""
    parts = []
    rows = _key_rows(item)
    if rows:
        parts.append(_key_table(rows))
    if item.key in ("leakage", "noise"):
        parts.append(_subcheck_table(item.values))
    elif item.key == "privacy":
        parts += [_subcheck_table(item.values), _stored_files_table(item.values)]
    elif item.key == "representation":
        parts.append(_split_table(item.values))
    elif item.key == "subgroups":
        parts.append(_groups_table(item.values))
    elif item.key == "provenance":
        parts.append(_files_table(item.values))
    return "\n".join(p for p in parts if p)


# --- figures -------------------------------------------------------------------------


def _new_figure(width: float = 5.4, height: float = 3.6) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.grid(True, color="0.92", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _png_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _class_balance(ov: Mapping[str, Any]) -> str | None:
    classes: Mapping[str, Mapping[str, int]] = ov.get("classes") or {}
    if not classes:
        return None
    splits = list(classes)
    names = list(dict.fromkeys(c for per in classes.values() for c in per))[:30]
    fig, ax = _new_figure()
    width = 0.8 / max(len(splits), 1)
    x = np.arange(len(names))
    for i, split in enumerate(splits):
        total = max(int((ov.get("n") or {}).get(split, 0)), 1)
        heights = [classes[split].get(c, 0) / total for c in names]
        ax.bar(x + i * width, heights, width, label=split, color=_SPLIT_COLOURS.get(split))
    ax.set_xticks(x + width * (len(splits) - 1) / 2, names, rotation=45 if len(names) > 6 else 0)
    ax.set_ylim(0, 1.05 if len(names) <= 2 else None)
    ax.set_ylabel("fraction of examples")
    ax.set_title("Class balance per split")
    ax.legend(frameon=False, loc="upper right", ncols=len(splits))
    return _png_uri(fig)


def _histogram(hist: Mapping[str, Any], *, xlabel: str, title: str) -> str | None:
    edges = np.asarray(hist.get("edges") or [], dtype=np.float64)
    counts: Mapping[str, Sequence[int]] = hist.get("counts") or {}
    if edges.size < 2 or not counts:
        return None
    fig, ax = _new_figure()
    for split, c in counts.items():
        c_arr = np.asarray(c, dtype=np.float64)
        if c_arr.sum() == 0:
            continue
        ax.stairs(c_arr / c_arr.sum(), edges, label=split, color=_SPLIT_COLOURS.get(split))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of examples")
    ax.set_title(title)
    ax.legend(frameon=False)
    return _png_uri(fig)


def _find(values: Any, keys: Sequence[str]) -> Any:
    """The first value found under any of ``keys``, searching nested mappings."""
    if isinstance(values, Mapping):
        for key in keys:
            if key in values:
                return values[key]
        for value in values.values():
            found = _find(value, keys)
            if found is not None:
                return found
    return None


def _curve_points(data: Any) -> list[tuple[float, float]]:
    """``(confidence, accuracy)`` points of one reliability curve, given as parallel
    lists (``confidence``/``mean_predicted``, ``accuracy``/``fraction_positive``) or as
    records; empty bins (None) are skipped."""
    if _is_records(data):
        xs = [r.get("confidence", r.get("mean_predicted")) for r in data]
        ys = [r.get("accuracy", r.get("fraction_positive")) for r in data]
    elif isinstance(data, Mapping):
        xs = list(data.get("confidence") or data.get("mean_predicted") or [])
        ys = list(data.get("accuracy") or data.get("fraction_positive") or [])
    else:
        return []
    return [
        (float(x), float(y))
        for x, y in zip(xs, ys, strict=False)
        if isinstance(x, int | float) and isinstance(y, int | float)
    ]


def _curves(data: Any) -> dict[str, list[tuple[float, float]]]:
    """One curve, or ``{output: curve}``."""
    direct = _curve_points(data)
    if direct:
        return {"": direct}
    if isinstance(data, Mapping):
        out = {str(k): _curve_points(v) for k, v in data.items()}
        return {k: v for k, v in out.items() if v}
    return {}


def _reliability(values: Mapping[str, Any]) -> str | None:
    """Reliability diagram of the calibration item's ``reliability`` (per output, or
    one curve), with the temperature-scaled curve of ``after.reliability`` dashed."""
    before = _curves(values.get("reliability"))
    after_values = values.get("after")
    after = _curves(after_values.get("reliability")) if isinstance(after_values, Mapping) else {}
    if not before:
        return None
    fig, ax = _new_figure(4.8, 4.4)
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1, label="perfect")
    colours = ["#1f77b4", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    for i, (name, points) in enumerate(list(before.items())[:6]):
        colour = colours[i % len(colours)]
        xs, ys = zip(*points, strict=True)
        ax.plot(xs, ys, marker="o", color=colour, label=f"{name} model".strip())
        if name in after:
            xs2, ys2 = zip(*after[name], strict=True)
            ax.plot(
                xs2,
                ys2,
                marker=".",
                linestyle="--",
                color=colour,
                label=f"{name} temperature-scaled".strip(),
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted probability (bin)")
    ax.set_ylabel("observed frequency")
    ax.set_title("Reliability diagram (test)")
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    return _png_uri(fig)


def _group_rows(values: Mapping[str, Any]) -> list[tuple[str, float, Any, Any]]:
    """``(label, value, lo, hi)`` of every scored group of the subgroup item
    (``groupings: {name: {groups: [{group, value, ci}]}}``, or one ``groups`` list)."""
    groupings = values.get("groupings")
    if not isinstance(groupings, Mapping):
        groupings = {"": {"groups": values.get("groups")}}
    rows = []
    for name, entry in groupings.items():
        records = entry.get("groups") if isinstance(entry, Mapping) else None
        if records is None or not _is_records(records):
            continue
        for r in records:
            value, ci = r.get("value"), r.get("ci")
            if not isinstance(value, int | float) or not math.isfinite(float(value)):
                continue
            lo, hi = ci if isinstance(ci, list | tuple) and len(ci) == 2 else (None, None)
            label = f"{name}: {r.get('group', '?')}" if name else str(r.get("group", "?"))
            rows.append((label, float(value), lo, hi))
    return rows


def _forest(values: Mapping[str, Any]) -> str | None:
    """Forest plot of the per-group test metric with its bootstrap CI."""
    rows = _group_rows(values)[:40]
    if not rows:
        return None
    fig, ax = _new_figure(6.0, 1.2 + 0.3 * len(rows))
    y = np.arange(len(rows))[::-1]
    for yi, (_, v, lo, hi) in zip(y, rows, strict=True):
        if isinstance(lo, int | float) and isinstance(hi, int | float):
            ax.plot([lo, hi], [yi, yi], color="#555", linewidth=1.2)
        ax.plot([v], [yi], marker="s", color="#1f77b4")
    ax.set_yticks(y, [r[0] for r in rows])
    metric = values.get("metric")
    ax.set_xlabel(f"{metric if isinstance(metric, str) else 'metric'} (95 % CI)")
    ax.set_title("Test metric per group")
    return _png_uri(fig)


def _learning_curve(values: Mapping[str, Any]) -> str | None:
    curve = _find(values, ("learning_curve",))
    if not isinstance(curve, Mapping):
        return None
    n = curve.get("n_train") or curve.get("fractions")
    v = curve.get("value")
    if not isinstance(n, list) or not isinstance(v, list) or not n:
        return None
    pts = [(float(a), float(b)) for a, b in zip(n, v, strict=False) if isinstance(b, int | float)]
    if not pts:
        return None
    fig, ax = _new_figure()
    xs, ys = zip(*pts, strict=True)
    ax.plot(xs, ys, marker="o", color="#1f77b4")
    cis = curve.get("ci") or []
    for x, ci in zip(n, cis, strict=False):
        if isinstance(ci, list | tuple) and len(ci) == 2 and None not in ci:
            ax.plot([x, x], ci, color="#555", linewidth=1.2)
    ax.set_xlabel("training examples")
    ax.set_ylabel(f"{curve.get('metric', 'metric')} ({curve.get('split', 'test')})")
    ax.set_title("Learning curve")
    return _png_uri(fig)


def _figures_for(item: Item, overview: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(caption, data URI)`` of the figures of one item."""
    makers: list[tuple[str, str | None]] = []
    if item.key == "representation":
        makers.append(("Class balance per split", _class_balance(overview)))
        if overview.get("lengths"):
            makers.append(
                (
                    "Sequence length (as read)",
                    _histogram(overview["lengths"], xlabel="length", title="Sequence length"),
                )
            )
        if overview.get("atoms"):
            makers.append(
                (
                    "Heavy atoms per molecule",
                    _histogram(overview["atoms"], xlabel="heavy atoms", title="Molecule size"),
                )
            )
        if overview.get("gc"):
            makers.append(
                ("GC content", _histogram(overview["gc"], xlabel="GC fraction", title="GC content"))
            )
    elif item.key == "calibration":
        makers.append(("Reliability diagram", _reliability(item.values)))
    elif item.key == "subgroups":
        makers.append(("Subgroup forest plot", _forest(item.values)))
    elif item.key == "data_quantity":
        makers.append(("Learning curve", _learning_curve(item.values)))
    out = []
    for caption, uri in makers:
        if uri is not None:
            out.append((caption, uri))
    return out


def _section(item: Item, overview: Mapping[str, Any]) -> str:
    """One check: verdict and finding, what it asks, its figures, a small table of the
    numbers that matter, then every raw value in a collapsed ``<details>``."""
    title = _TITLES.get(item.key, item.key)
    parts = [
        f'<section id="{_e(item.key)}" class="check">',
        f"<h2>{_e(title)} {_badge(item.flag)}</h2>",
        f'<p class="summary">{_e(item.summary)}</p>',
    ]
    meaning = _MEANING.get(item.key)
    if _is_molecular(item) or overview.get("atoms"):
        meaning = _MOLECULE_MEANING.get(item.key, meaning)
    if meaning is not None:
        parts.append(f'<p class="meaning">{_e(meaning)}</p>')
    parts.append(f'<p class="rule">Rule: {_e(item.rule)}</p>')
    try:
        figures = _figures_for(item, overview)
    except (ValueError, TypeError, KeyError, IndexError):  # a malformed value: no figure
        figures = []
    if figures:
        parts.append('<div class="figures">')
        parts += [
            f'<figure><img src="{uri}" alt="{_e(cap)}"><figcaption>{_e(cap)}</figcaption></figure>'
            for cap, uri in figures
        ]
        parts.append("</div>")
    with contextlib.suppress(ValueError, TypeError, KeyError, IndexError, AttributeError):
        parts.append(_readable_tables(item))  # a malformed value: no readable tables
    values = dict(item.values)
    if item.key == "provenance":
        dome = values.pop("dome", None)
        card = values.pop("model_card", None)
        if _is_records(dome):
            parts.append(
                "<details><summary>DOME checklist (Walsh et al. 2021)</summary>\n"
                f"{_records_table(dome)}\n</details>"
            )
        if isinstance(card, Mapping):
            rows = "\n".join(
                f'<tr><th scope="row">{_e(k.replace("_", " "))}</th><td>{_e(v)}</td></tr>'
                for k, v in card.items()
            )
            parts.append(
                "<details><summary>Model card (Mitchell et al. 2019)</summary>\n"
                f"{_scroll(f'<table>{rows}</table>')}\n</details>"
            )
    raw = _values_html(values) if values else "<p>No values.</p>"
    parts.append(
        f'<details class="raw"><summary>All values of this check ({len(values)} keys, '
        f"as in assessment.json)</summary>\n{raw}\n</details>"
    )
    parts.append("</section>")
    return "\n".join(parts)


def render_html(assessment: Assessment) -> str:
    """The assessment as one self-contained HTML page (no network, no JavaScript).

    Examples
    --------
    >>> from biodl.assess.core import Assessment
    >>> from biodl.assess.types import Item
    >>> page = render_html(Assessment(items=(Item("leakage", "red", "r", "3 leaks <b>"),)))
    >>> "3 leaks &lt;b&gt;" in page and "http" not in page
    True
    """
    model = assessment.model
    title = f"biodl assessment: {model.get('architecture') or 'model'}"
    rows = "\n".join(
        f'<tr><td><a href="#{_e(it.key)}">{_e(_TITLES.get(it.key, it.key))}</a></td>'
        f"<td>{_badge(it.flag)}</td><td>{_e(it.summary)}</td></tr>"
        for it in assessment.items
    )
    about = {
        "run directory": model.get("run_dir"),
        "task": model.get("task"),
        "outputs": ", ".join(str(o) for o in model.get("outputs") or []),
        "alphabet / input": f"{model.get('alphabet')}, {model.get('input_length')} positions, "
        f"{model.get('encoding')}",
        "parameters": model.get("n_parameters"),
        "decision threshold": ", ".join(f"{t:.6g}" for t in model.get("decision_threshold") or [])
        or "none",
        "trained": model.get("trained"),
        "assessed": assessment.created,
        "examples": ", ".join(f"{k} {v}" for k, v in (assessment.overview.get("n") or {}).items()),
    }
    about_rows = "\n".join(
        f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in about.items()
    )
    sections = "\n".join(_section(item, assessment.overview) for item in assessment.items)
    body = (
        f"<h1>{_e(title)}</h1>\n"
        f"<p>Overall: {_badge(assessment.overall)}</p>\n"
        '<section id="summary">\n<h2>Summary</h2>\n'
        + _scroll(
            '<table class="lights"><thead><tr><th>item</th><th>flag</th><th>finding</th>'
            f"</tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
        )
        + "\n<details><summary>Model and data</summary>\n"
        + _scroll(f"<table>\n{about_rows}\n</table>")
        + "\n</details>\n</section>\n"
        f"{sections}"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n"
        f"<footer>Written by biodl {_e(assessment.biodl_version)}.</footer>\n</main>\n"
        "</body>\n</html>\n"
    )


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~!])")
"""Markdown punctuation escaped in text: code, emphasis, links and images, table cells."""


def _md(text: object) -> str:
    r"""``text`` on one line, safe inside Markdown (and the HTML a renderer makes of it).

    HTML is escaped (``<script>`` shows as text), Markdown's punctuation is
    backslash-escaped (no links, code spans, emphasis or table cells from a file name),
    control characters and line breaks become spaces.

    Examples
    --------
    >>> print(_md("a|b <i>x</i> [l](u) *d*"))
    a\|b &lt;i&gt;x&lt;/i&gt; \[l\](u) \*d\*
    """
    one_line = "".join(" " if (ord(c) < 32 or ord(c) == 127) else c for c in str(text))
    return _MD_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


def _md_block(value: object) -> list[str]:
    """Markdown lines for a model-card section: a list or mapping as bullets."""
    if isinstance(value, Mapping):
        return [f"- {_md(k)}: {_md(_plain(v))}" for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [f"- {_md(_plain(v))}" for v in value]
    return [_md(value)]


def _plain(value: object) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def render_model_card(assessment: Assessment) -> str:
    """A Markdown model card: details, the Mitchell et al. sections, the flags table and
    the DOME checklist.

    Examples
    --------
    >>> from biodl.assess.core import Assessment
    >>> from biodl.assess.types import Item
    >>> card = render_model_card(Assessment(items=(Item("compute", "green", "r", "fast"),)))
    >>> card.splitlines()[0]
    '# Model card: model'
    """
    model = assessment.model
    lines = [f"# Model card: {_md(model.get('architecture') or 'model')}", ""]
    lines += [
        (
            f"Run directory: {_md(model.get('run_dir'))}; task {_md(model.get('task'))}; "
            f"outputs {_md(', '.join(str(o) for o in model.get('outputs') or []))}; assessed "
            f"{_md(assessment.created)} with biodl {_md(assessment.biodl_version)}. "
            f"Overall flag: **{_md(assessment.overall)}**."
        ),
        "",
    ]
    card: Mapping[str, Any] = {}
    dome: Any = None
    for item in assessment.items:
        if item.key == "provenance":
            card = item.values.get("model_card") or {}
            dome = item.values.get("dome")
    for key, text in card.items():
        lines += [f"## {_md(str(key).replace('_', ' ').capitalize())}", "", *_md_block(text), ""]
    lines += ["## Fitness-for-use checks", "", "| item | flag | finding |", "|---|---|---|"]
    lines += [
        f"| {_md(_TITLES.get(it.key, it.key))} | {_md(it.flag)} | {_md(it.summary)} |"
        for it in assessment.items
    ]
    lines.append("")
    if _is_records(dome):
        lines += ["## DOME checklist", "", "| section | field | value |", "|---|---|---|"]
        lines += [f"| {_md(r['section'])} | {_md(r['field'])} | {_md(r['value'])} |" for r in dome]
        lines.append("")
    return "\n".join(lines)


def _domain_rows(assessment: Assessment) -> list[Mapping[str, Any]] | None:
    try:
        item = assessment.item("applicability")
    except KeyError:
        return None
    rows = item.values.get("rows")
    return list(rows) if isinstance(rows, list | tuple) and rows else None


def write_assessment(
    assessment: Assessment, out_dir: str | os.PathLike[str], *, force: bool = False
) -> Path:
    """Write ``assessment.json``, ``report.html``, ``model_card.md`` (and
    ``applicability.tsv`` when new data were assessed) to ``out_dir``.

    The folder is written as ``OUT.partial`` and renamed when complete, so a failure
    leaves no half-written ``OUT``.

    Raises
    ------
    InputError
        If ``out_dir`` exists and is not empty and ``force`` is false.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from biodl.assess import AssessInputs, SplitView, assess
    >>> v = SplitView(("a",), ("ACGT",), np.array([[1.0]]))
    >>> result = assess(AssessInputs("binary", "dna", ("1",), {"train": v}), checks={})
    >>> out = write_assessment(result, os.path.join(tempfile.mkdtemp(), "a"))
    >>> sorted(p.name for p in out.iterdir())
    ['assessment.json', 'model_card.md', 'report.html']
    """
    from biodl.assess.applicability import write_domain_tsv

    out = Path(out_dir)
    with staged_dir(out, force=force) as partial:
        data = assessment.to_json()
        atomic_write_text(
            partial / "assessment.json", json.dumps(data, indent=2, allow_nan=False) + "\n"
        )
        atomic_write_text(partial / "report.html", render_html(assessment))
        atomic_write_text(partial / "model_card.md", render_model_card(assessment))
        rows = _domain_rows(assessment)
        if rows:
            write_domain_tsv(rows, partial / "applicability.tsv")
    return out
