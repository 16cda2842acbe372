"""Provenance of a trained model: data, splits, seed, versions, who/what/when.

:func:`provenance` returns the ``provenance`` item of an assessment. Besides the
checksums and versions it fills two standard checklists from what the run recorded and
from the other items' results:

* DOME (Walsh et al. 2021, *Nature Methods* 18:1122): Data, Optimization, Model,
  Evaluation, each with its fields; "not provided" where nothing is known.
* A Model Card (Mitchell et al. 2019, FAT* '19): model details, intended use, factors,
  metrics, evaluation data, training data, quantitative analyses, ethical
  considerations, caveats and recommendations.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from biodl.assess.types import AssessInputs, Flag, Item

__all__ = ["DOME_FIELDS", "MODEL_CARD_SECTIONS", "provenance"]

NOT_PROVIDED = "not provided"

#: The DOME recommendations: section -> fields, in order.
DOME_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Data": ("provenance", "splits", "redundancy", "availability"),
    "Optimization": (
        "algorithm",
        "meta-parameters",
        "features",
        "fitting",
        "regularisation",
        "availability",
    ),
    "Model": ("interpretability", "output", "execution time", "availability"),
    "Evaluation": ("method", "measures", "comparison", "confidence", "availability"),
}

#: Model Card sections (Mitchell et al. 2019), in order.
MODEL_CARD_SECTIONS: tuple[str, ...] = (
    "model_details",
    "intended_use",
    "factors",
    "metrics",
    "evaluation_data",
    "training_data",
    "quantitative_analyses",
    "ethical_considerations",
    "caveats_and_recommendations",
)

RULE = (
    "red when a recorded training data file no longer matches its SHA-256; amber when the "
    "data checksums, the configuration, the split list or the seed are not recorded, or a "
    "data file can no longer be found or was not re-checked; green otherwise"
)

#: Files larger than this are not re-hashed (their recorded checksum is reported as is).
MAX_REHASH_BYTES = 256 * 2**20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_status(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded ``{path, bytes, sha256}`` with ``status``: unchanged/changed/missing/..."""
    path = Path(str(entry.get("path", "")))
    out = {k: entry.get(k) for k in ("path", "bytes", "sha256")}
    if not path.is_file():
        out["status"] = "missing"
    elif path.stat().st_size > MAX_REHASH_BYTES:
        out["status"] = "not re-checked (large file)"
    else:
        out["status"] = "unchanged" if _sha256(path) == entry.get("sha256") else "changed"
    return out


def _optional_file(run_dir: Path | None, name: str) -> dict[str, Any] | None:
    if run_dir is None or not (run_dir / name).is_file():
        return None
    return {"path": os.fspath((run_dir / name).resolve()), "sha256": _sha256(run_dir / name)}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _summaries(items: Sequence[Item]) -> dict[str, Item]:
    return {item.key: item for item in items}


def _item_text(items: Mapping[str, Item], key: str) -> str:
    item = items.get(key)
    if item is None or item.flag == "not_assessed":
        return NOT_PROVIDED if item is None else f"not assessed: {item.summary}"
    return f"[{item.flag}] {item.summary}"


def _clean_metrics_text(items: Mapping[str, Item]) -> str:
    """``; on the N leak-free test examples: ...`` when leakage removed test examples."""
    leak = items.get("leakage")
    clean = (leak.values.get("clean_metrics") if leak is not None else None) or {}
    if not isinstance(clean, Mapping) or clean.get("n_clean") == clean.get("n_all"):
        return ""
    metrics = clean.get("clean")
    if not isinstance(metrics, Mapping):
        return ""
    text = _fmt_metrics(_test_metrics({"test": metrics}))
    return f"; on the {clean.get('n_clean')} leak-free test examples: {text}"


def _test_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    test = metrics.get("test") or metrics.get("valid") or {}
    keys = (
        "auroc",
        "auprc",
        "accuracy",
        "mcc",
        "f1",
        "macro_f1",
        "macro_auroc",
        "macro_auprc",
        "fmax",
        "mean_pearson",
        "mean_spearman",
        "mean_r2",
        "mean_rmse",
    )
    out: dict[str, Any] = {}
    for key in keys:
        entry = test.get(key)
        if isinstance(entry, Mapping) and "value" in entry:
            out[key] = {"value": entry.get("value"), "ci": entry.get("ci")}
    return out


def _fmt_metrics(metrics: Mapping[str, Any]) -> str:
    parts = []
    for key, entry in metrics.items():
        value, ci = entry.get("value"), entry.get("ci")
        if isinstance(value, int | float):
            text = f"{key} {value:.3f}"
            if isinstance(ci, list | tuple) and len(ci) == 2 and None not in ci:
                text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
            parts.append(text)
    return "; ".join(parts) if parts else NOT_PROVIDED


def _split_rule(name: str, spec: Any) -> str:
    """How a held-out split was made, from the configuration as run."""
    if not isinstance(spec, Mapping):
        return f"{name}: none"
    if "fraction" in spec:
        return f"{name}: random fraction {spec['fraction']} (stratified)"
    if "chromosomes" in spec:
        return f"{name}: chromosomes " + ", ".join(str(c) for c in spec["chromosomes"] or [])
    return f"{name}: separate file(s)"


def _features_text(meta: Mapping[str, Any]) -> str:
    """What the model reads, in a few words (DOME's "features")."""
    if meta.get("alphabet") in ("molecule", "fingerprint"):
        block = meta.get("molecule") or {}
        featurizer = block.get("featurizer", "graph")
        if featurizer == "graph":
            return "molecules (SMILES) as molecular graphs (atoms and bonds)"
        if featurizer == "morgan":
            return (
                f"molecules (SMILES) as Morgan fingerprints (radius {block.get('radius', 2)}, "
                f"{block.get('n_bits', 2048)} bits{', counts' if block.get('counts') else ''})"
            )
        return "molecules (SMILES) as RDKit 2-D descriptors"
    return (
        f"{meta.get('alphabet', '?')} sequence, {meta.get('encoding', 'onehot')} encoding, "
        f"{meta.get('input_length', '?')} positions"
    )


def _dome(
    inputs: AssessInputs,
    items: Mapping[str, Item],
    *,
    config: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    counts: Mapping[str, int],
    metrics: Mapping[str, Any],
) -> list[dict[str, str]]:
    meta = inputs.meta
    probabilistic = inputs.task_kind.probabilistic
    arch = meta.get("architecture") or {}
    training = meta.get("training") or {}
    train_cfg = config.get("train") or {}
    split_text = ", ".join(f"{k} {v}" for k, v in counts.items()) or NOT_PROVIDED
    data_cfg = config.get("data") or {}
    split_rule = "; ".join(_split_rule(name, data_cfg.get(name)) for name in ("valid", "test"))
    meta_params = {
        k: train_cfg.get(k)
        for k in (
            "max_epochs",
            "batch_size",
            "learning_rate",
            "weight_decay",
            "patience",
            "lr_schedule",
            "class_weight",
            "sampler",
        )
        if k in train_cfg
    }
    regular = [f"weight decay {train_cfg.get('weight_decay', NOT_PROVIDED)}"]
    if training.get("best_epoch") is not None:
        regular.append(
            f"early stopping on {training.get('monitor')} (best epoch {training['best_epoch']} "
            f"of {training.get('epochs')})"
        )
    dropout = {k: v for k, v in (arch.get("params") or {}).items() if "dropout" in k}
    if dropout:
        regular.append("dropout " + ", ".join(f"{k}={v}" for k, v in dropout.items()))
    augment = meta.get("augment") or {}
    if any(augment.values()):
        regular.append("augmentation " + ", ".join(f"{k}={v}" for k, v in augment.items()))
    have_predictions = inputs.run_dir is not None and (inputs.run_dir / "predictions.tsv").is_file()
    rows = {
        ("Data", "provenance"): (
            "; ".join(
                f"{Path(str(f.get('path'))).name} (sha256 {str(f.get('sha256'))[:12]}…)"
                for f in files
            )
            or NOT_PROVIDED
        ),
        ("Data", "splits"): f"{split_text}" + (f" ({split_rule})" if split_rule else ""),
        ("Data", "redundancy"): _item_text(items, "leakage"),
        ("Data", "availability"): (
            "data files listed with SHA-256 in model.json; public availability not provided"
            if files
            else NOT_PROVIDED
        ),
        ("Optimization", "algorithm"): (
            f"{arch.get('name', NOT_PROVIDED)} neural network, AdamW, {inputs.task} loss"
            if arch
            else NOT_PROVIDED
        ),
        ("Optimization", "meta-parameters"): (
            ", ".join(f"{k}={v}" for k, v in meta_params.items()) or NOT_PROVIDED
        ),
        ("Optimization", "features"): _features_text(meta),
        ("Optimization", "fitting"): _item_text(items, "data_quantity"),
        ("Optimization", "regularisation"): "; ".join(regular),
        ("Optimization", "availability"): (
            "config.yaml in the run directory (sha256 recorded here)" if config else NOT_PROVIDED
        ),
        ("Model", "interpretability"): NOT_PROVIDED,
        ("Model", "output"): (
            f"{inputs.task}: "
            + ", ".join(inputs.outputs)
            + (" (logits; probabilities by sigmoid/softmax)" if probabilistic else "")
        ),
        ("Model", "execution time"): _item_text(items, "compute"),
        ("Model", "availability"): (
            "model.safetensors + model.json in the run directory (biodl load_run)"
            if inputs.run_dir is not None
            else NOT_PROVIDED
        ),
        ("Evaluation", "method"): (
            f"held-out test split of {counts.get('test')} examples"
            if counts.get("test")
            else "validation split only"
            if counts.get("valid")
            else NOT_PROVIDED
        ),
        ("Evaluation", "measures"): _fmt_metrics(metrics) + _clean_metrics_text(items),
        ("Evaluation", "comparison"): _item_text(items, "baseline"),
        ("Evaluation", "confidence"): (
            "percentile-bootstrap 95 % confidence intervals over examples"
            if metrics
            else NOT_PROVIDED
        ),
        ("Evaluation", "availability"): (
            "predictions.tsv in the run directory" if have_predictions else NOT_PROVIDED
        ),
    }
    return [
        {"section": section, "field": name, "value": rows.get((section, name), NOT_PROVIDED)}
        for section, names in DOME_FIELDS.items()
        for name in names
    ]


def _config_paths(value: Any) -> set[str]:
    """Every string in a block of config.yaml (the file names of one split's source)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, Mapping):
        return set().union(*(_config_paths(v) for v in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(_config_paths(v) for v in value))
    return set()


def _files_by_role(
    recorded: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    config: Mapping[str, Any],
) -> tuple[list[str], list[str]]:
    """File names of the training (and validation) data and of the test data.

    From model.json's ``model_card`` (``training_data``, ``evaluation_data``) when it
    records both; for older runs, a file named in config.yaml's ``data.test`` block is
    test data and every other file training data."""

    def names(entries: Any) -> list[str]:
        return [Path(str(f.get("path"))).name for f in entries if isinstance(f, Mapping)]

    if isinstance(recorded.get("evaluation_data"), list):
        return names(recorded.get("training_data") or []), names(recorded["evaluation_data"])
    data = config.get("data") if isinstance(config, Mapping) else None
    test = _config_paths(data.get("test")) if isinstance(data, Mapping) else set()
    test_names = {Path(t).name for t in test}
    evaluation = [f for f in files if Path(str(f.get("path"))).name in test_names]
    training = [f for f in files if f not in evaluation]
    return names(training), names(evaluation)


def _model_card(
    inputs: AssessInputs,
    items: Mapping[str, Item],
    *,
    files: Sequence[Mapping[str, Any]],
    counts: Mapping[str, int],
    metrics: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    meta = inputs.meta
    recorded = meta.get("model_card") or {}
    arch = meta.get("architecture") or {}
    versions = meta.get("versions") or {}
    groups = sorted({g for view in inputs.splits.values() for g in view.groups})
    caveats = [
        f"{item.key}: {item.summary}" for item in items.values() if item.flag in ("amber", "red")
    ]
    caveats += [str(c) for c in recorded.get("caveats", [])]
    test = inputs.splits.get("test")
    sources: list[str] = []
    if test is not None and "source" in test.groups:
        sources = sorted({str(s) for s in test.groups["source"].tolist()})
    training_files, evaluation_files = _files_by_role(recorded, files, config or {})
    evaluation_files_text = (
        "; data files: " + ", ".join(evaluation_files) if evaluation_files else ""
    )
    held_out = recorded.get("evaluation_split")
    return {
        "model_details": (
            f"{arch.get('name', '?')} ({meta.get('n_parameters', '?')} trainable parameters), "
            f"trained {meta.get('created', '(date not recorded)')} with biodl "
            f"{versions.get('biodl', '?')}, torch {versions.get('torch', '?')}, seed "
            f"{meta.get('seed', '?')}."
        ),
        "intended_use": str(recorded.get("intended_use", NOT_PROVIDED)),
        "factors": (
            "Groups available for per-group evaluation: "
            + ", ".join(groups)
            + ". "
            + _item_text(items, "subgroups")
            if groups
            else NOT_PROVIDED
        ),
        "metrics": _fmt_metrics(metrics) + _clean_metrics_text(items),
        "evaluation_data": (
            f"{counts.get('test', 0)} test examples"
            + (f" from {', '.join(sources)}" if sources else "")
            + evaluation_files_text
            + (f" ({held_out})" if held_out else "")
            + "."
            if counts.get("test")
            else NOT_PROVIDED
        ),
        "training_data": (
            f"{counts.get('train', 0)} training examples (and {counts.get('valid', 0)} for "
            "validation); data files: " + ", ".join(training_files) + "."
            if training_files
            else NOT_PROVIDED
        ),
        "quantitative_analyses": " ".join(
            f"{k}: {_item_text(items, k).rstrip('.')}."
            for k in ("baseline", "calibration", "subgroups")
        ),
        "ethical_considerations": NOT_PROVIDED,
        "caveats_and_recommendations": " ".join(caveats) if caveats else NOT_PROVIDED,
    }


def provenance(inputs: AssessInputs, *, items: Sequence[Item] = ()) -> Item:
    """Where the model and its data come from, with a DOME checklist and a model card.

    Parameters
    ----------
    inputs
        From :func:`biodl.assess.load_inputs`; reads ``meta`` (``model.json``) and the
        run directory's ``config.yaml``, ``splits.tsv.gz`` and ``metrics.json``.
    items
        The other items of the assessment, used to fill the DOME fields (redundancy,
        fitting, comparison, execution time) and the model card.

    Returns
    -------
    Item
        Key ``provenance``; values ``data_files`` (path, bytes, sha256, status:
        unchanged/changed/missing/not re-checked), ``splits`` (counts and the sha256 of
        ``splits.tsv.gz``), ``seed``, ``config_sha256``, ``versions`` (training) and
        ``assessed_with`` (now), ``created``, ``user``, ``host``, ``command``,
        ``biodl_version``, ``dome`` (rows of section, field, value) and ``model_card``
        (section -> text).

    Examples
    --------
    >>> import numpy as np
    >>> from biodl.assess.types import SplitView
    >>> view = SplitView(ids=("a",), sequences=("ACGT",), y=np.zeros((1, 1)))
    >>> item = provenance(AssessInputs("binary", "dna", ("1",), {"test": view}))
    >>> item.flag, item.values["splits"]["counts"]
    ('amber', {'test': 1})
    """
    from biodl.runs import software_versions

    meta = inputs.meta
    run_dir = inputs.run_dir
    by_key = _summaries(items)
    recorded_files = list((meta.get("data") or {}).get("files") or [])
    files = [_file_status(f) for f in recorded_files]
    counts = {name: len(view) for name, view in inputs.splits.items()}
    config = _read_yaml(run_dir / "config.yaml") if run_dir is not None else {}
    metrics = _read_json(run_dir / "metrics.json") if run_dir is not None else {}
    config_file = _optional_file(run_dir, "config.yaml")
    splits_file = _optional_file(run_dir, "splits.tsv.gz")
    weights_file = _optional_file(run_dir, "model.safetensors")
    versions = dict(meta.get("versions") or {})
    seed = meta.get("seed")
    missing = [
        name
        for name, known in (
            ("data checksums", bool(files)),
            ("configuration", config_file is not None),
            ("split list", splits_file is not None),
            ("seed", seed is not None),
        )
        if not known
    ]
    changed = [f["path"] for f in files if f["status"] == "changed"]
    unsure = [f["path"] for f in files if f["status"] != "unchanged" and f["status"] != "changed"]
    flag: Flag
    if changed:
        flag = "red"
        summary = (
            f"{len(changed)} training data file(s) changed since training "
            f"({Path(str(changed[0])).name}): the model can no longer be traced to its data."
        )
    elif missing or unsure:
        flag = "amber"
        what = missing + [f"{len(unsure)} data file(s) missing or not re-checked"] * bool(unsure)
        summary = "Provenance is incomplete: " + ", ".join(what) + "."
    else:
        flag = "green"
        summary = (
            f"{len(files)} data file(s) match their recorded SHA-256; configuration, splits, "
            f"seed {seed} and software versions are recorded."
        )
    test_metrics = _test_metrics(metrics)
    values: dict[str, Any] = {
        "data_files": files,
        "splits": {
            "counts": counts,
            "sha256": None if splits_file is None else splits_file["sha256"],
        },
        "seed": seed,
        "assessment_seed": inputs.seed,
        "config_sha256": None if config_file is None else config_file["sha256"],
        "model_sha256": None if weights_file is None else weights_file["sha256"],
        "created": meta.get("created", NOT_PROVIDED),
        "user": meta.get("user", NOT_PROVIDED),
        "host": meta.get("host", NOT_PROVIDED),
        "command": meta.get("command", NOT_PROVIDED),
        "biodl_version": versions.get("biodl", NOT_PROVIDED),
        "versions": versions,
        "assessed_with": software_versions(),
        "dome": _dome(
            inputs, by_key, config=config, files=files, counts=counts, metrics=test_metrics
        ),
        "model_card": _model_card(
            inputs, by_key, files=files, counts=counts, metrics=test_metrics, config=config
        ),
    }
    return Item(key="provenance", flag=flag, rule=RULE, summary=summary, values=values)
