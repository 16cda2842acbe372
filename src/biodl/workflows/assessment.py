"""``biodl assess``: write the fitness-for-use assessment of a trained model."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from biodl.errors import InputError
from biodl.io.atomic import check_output_dir
from biodl.runs import save_temperature as _save_run_temperature
from biodl.workflows.results import AssessmentResult

__all__ = ["assess_run", "flags_table"]


def assess_run(
    model_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    config: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] = (),
    group: str | None = None,
    learning_curve: bool = False,
    save_temperature: bool = False,
    force: bool = False,
    seed: int = 0,
) -> AssessmentResult:
    """Assess a run directory and write ``out`` (``assessment.json``, ``report.html``,
    ``model_card.md``, and ``applicability.tsv`` when ``data`` is given).

    Parameters
    ----------
    model_dir
        Run directory written by ``biodl train``.
    out
        Folder to write; written as ``OUT.partial`` and renamed when complete.
    config
        Configuration to re-read the data with (default the run's ``config.yaml``).
    data
        New inputs (FASTA/FASTQ or tables; matrix files for a matrix model) for the
        applicability-domain check.
    group
        Table column (or ``id<TAB>group`` TSV file) for the subgroup check; for a matrix
        model a sample annotation (labels-table column, matrix text column, h5ad ``obs``
        column) such as ``batch``, which also gets the batch-adversarial AUROC.
    learning_curve
        Retrain on 25 %, 50 % and 100 % of the training data (slow) for the
        data-quantity item.
    save_temperature
        Save the calibration temperature fitted on the validation split with the model
        (``MODEL_DIR/temperature.json``), so that ``biodl predict`` applies it. Needs a
        classification model and a validation split.
    force
        Replace ``out`` if it exists.
    seed
        Seed of every random choice of the checks.

    Returns
    -------
    AssessmentResult
        ``out`` (path-like), the :class:`~biodl.assess.Assessment`, and the saved
        temperature file (with ``save_temperature``).

    Raises
    ------
    InputError
        Bad run directory, configuration, data or group, or ``out`` exists (without
        ``force``).
    """
    from biodl.assess import assess, load_inputs
    from biodl.progress import step
    from biodl.report import write_assessment

    out_path = Path(out)
    # fail before the slow part, and never into a folder that holds an input
    check_output_dir(out_path, force=force, inputs=_inputs(model_dir, config, data, group))
    with step("assess: reading the run and its data"):
        inputs = load_inputs(model_dir, config=config, data=data, group=group, seed=seed)
    group_key = None
    if group is not None:
        group_key = "group" if Path(group).is_file() else group
    curve = None
    timings: dict[str, float] = {}
    if learning_curve:
        from biodl.workflows.learning_curve import learning_curve as compute_curve

        start = time.perf_counter()
        with step("assess: learning curve (retraining on 25/50/100 %)"):
            curve = compute_curve(config if config is not None else Path(model_dir) / "config.yaml")
        timings["learning_curve"] = time.perf_counter() - start
    assessment = assess(inputs, group=group_key, learning_curve=curve, timings=timings)
    with step("assess: writing the report"):
        written = write_assessment(assessment, out_path, force=force)
    if save_temperature:
        _save_temperature(Path(model_dir), assessment.item("calibration").values, out_path)
    return AssessmentResult(
        out=written,
        assessment=assessment,
        temperature=Path(model_dir) / "temperature.json" if save_temperature else None,
    )


def _inputs(
    model_dir: str | os.PathLike[str],
    config: str | os.PathLike[str] | None,
    data: Sequence[str | os.PathLike[str]],
    group: str | None,
) -> list[Path]:
    """What ``biodl assess`` reads: the run, the configuration and its data files, the
    new data and a group file (an unreadable configuration is reported later)."""
    from biodl.config import load_config
    from biodl.workflows.training import _source_files

    config_file = Path(config) if config is not None else Path(model_dir) / "config.yaml"
    found = [Path(model_dir), config_file, *map(Path, data)]
    if group is not None and Path(group).is_file():
        found.append(Path(group))
    if config_file.is_file():
        with contextlib.suppress(InputError):
            found += _source_files(load_config(config_file))
    return found


def _save_temperature(model_dir: Path, values: Mapping[str, Any], out: Path) -> None:
    """Save the temperature the calibration check fitted on the validation split."""
    temperature = values.get("temperature")
    if not isinstance(temperature, int | float) or values.get("temperature_fitted_on") != "valid":
        raise InputError(
            "no temperature was fitted (it needs a classification model and a validation "
            "split); the assessment was written but no temperature saved",
            path=model_dir,
        )
    after = values.get("after") if isinstance(values.get("after"), Mapping) else {}
    _save_run_temperature(
        model_dir,
        float(temperature),
        fitted_on="valid",
        test_ece_before=values.get("ece"),
        test_ece_after=after.get("ece") if isinstance(after, Mapping) else None,
        assessment=str(out),
    )


def flags_table(assessment_json: dict[str, object]) -> str:
    """One line per item: name, flag and summary (what ``biodl assess`` prints).

    Examples
    --------
    >>> print(flags_table({"order": ["leakage"], "overall": "red",
    ...     "leakage": {"flag": "red", "summary": "3 leaks."}}))
    leakage          RED           3 leaks.
    overall          RED
    """
    order = assessment_json.get("order")
    keys = [str(k) for k in order] if isinstance(order, list) else []
    lines = []
    for key in keys:
        entry = assessment_json.get(key)
        if not isinstance(entry, dict):
            continue
        flag = str(entry.get("flag", "")).replace("_", " ").upper()
        lines.append(f"{key:<16} {flag:<13} {entry.get('summary', '')}")
    lines.append(f"{'overall':<16} {str(assessment_json.get('overall', '')).upper()}")
    return "\n".join(lines)
