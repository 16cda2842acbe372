"""Shared by the benchmark scripts: tune a configuration, return it with the best options.

A benchmark that tunes runs ``biodl tune`` (:func:`biodl.workflows.tune_run`: TPE +
median pruner, the validation split only, the test split removed before the search) on
a copy of its configuration whose trials may be capped at fewer epochs, then trains the
best model options and optimiser settings with the benchmark's own epoch budget.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from biodl.workflows import tune_run

OPTIMISER_KEYS = ("learning_rate", "weight_decay", "batch_size")


def tuned_config(
    config: dict[str, Any],
    out: Path,
    *,
    trials: int,
    timeout: float | None = None,
    trial_epochs: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Search ``config``'s space in ``out`` (``out.yaml`` and the ``out`` folder); return
    ``config`` with the best trial's model options and optimiser settings, and the
    ``tuning`` block (trials, best value and options) that the tune run recorded."""
    search = copy.deepcopy(config)
    if trial_epochs:
        search["train"]["max_epochs"] = trial_epochs
    search_cfg = out.with_suffix(".yaml")
    search_cfg.write_text(yaml.safe_dump(search))
    result = tune_run(search_cfg, out, trials=trials, timeout=timeout, force=True)
    best = yaml.safe_load((result.out / "best_config.yaml").read_text())
    tuned = copy.deepcopy(config)
    tuned["model"] = best["model"]
    for key in OPTIMISER_KEYS:
        tuned["train"][key] = best["train"][key]
    return tuned, dict(result.tuning)
