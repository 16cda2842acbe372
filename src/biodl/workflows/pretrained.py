"""``biodl pretrained``: the offline zoo of models biodl trained on public data sets.

The models ship inside the package (``biodl/pretrained/``: ``index.json`` and one run
directory per model under ``models/``), read through :mod:`importlib.resources`, so
they work from an installed wheel with no network: nothing is ever downloaded. They are
copies of benchmark runs (``bench/pretrained.py`` builds the folder; figures in
BENCHMARKS.md), each with ``metrics.json``, a ``MODEL_CARD.md`` (data, split, licence
of the training data, metrics with CIs, how it was trained) and, when the run was
assessed, ``assessment.json``.

:func:`get_pretrained` copies one model into a run directory, checking every file
against the SHA-256 in ``index.json``, and loads it with :func:`biodl.runs.load_run`
before committing the folder; ``biodl predict --model RUN_DIR`` then scores with it.

Examples
--------
>>> import tempfile, pathlib
>>> names = [m.name for m in list_pretrained()]
>>> "deepbind-encode-ctcfl" in names
True
>>> out = get_pretrained("deepbind-encode-ctcfl", pathlib.Path(tempfile.mkdtemp()) / "ctcfl")
>>> from biodl.runs import load_run
>>> load_run(out).input_length
101
>>> get_pretrained("deepbind-encode-ctcf", out)
Traceback (most recent call last):
...
biodl.errors.InputError: unknown pretrained model 'deepbind-encode-ctcf'; close names: ...
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from biodl.errors import InputError
from biodl.io.atomic import staged_dir
from biodl.runs import load_run

if TYPE_CHECKING:  # importlib.resources.abc is new in Python 3.11
    from importlib.resources.abc import Traversable

__all__ = [
    "PRETRAINED_FORMAT",
    "PretrainedModel",
    "find_pretrained",
    "get_pretrained",
    "list_pretrained",
    "pretrained_total_bytes",
]

PRETRAINED_FORMAT = "biodl-pretrained"
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class PretrainedModel:
    """One entry of the zoo's ``index.json``.

    Attributes
    ----------
    name
        What ``biodl pretrained get`` takes.
    description, task, architecture, dataset
        What it predicts, the task kind, the registered model, the data set it was
        trained on (a folder of biodl's shared data, with its ``SOURCE.md``).
    licence, licence_source
        The training data's licence in a few words, and as its ``SOURCE.md`` states it.
    metric
        The headline metric on the test split: ``{"name", "split", "value", "ci", "n"}``.
    bytes
        Size of the run directory.
    files
        ``{file name: {"bytes", "sha256"}}`` of each file of the run directory.
    entry
        The whole ``index.json`` entry (ensemble size, input, provenance, ...).
    """

    name: str
    description: str
    task: str
    architecture: str
    dataset: str
    licence: str
    licence_source: str
    metric: dict[str, Any]
    bytes: int
    files: dict[str, dict[str, Any]]
    entry: dict[str, Any]

    def metric_text(self) -> str:
        """``auroc 0.979 [0.971, 0.986]``: the headline test metric, short."""
        value = self.metric.get("value")
        if not isinstance(value, (int, float)):
            return "-"
        ci = self.metric.get("ci")
        text = f"{self.metric.get('name')} {value:.3f}"
        if isinstance(ci, list) and len(ci) == 2:
            text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
        return text


def _zoo() -> Traversable:
    return resources.files("biodl").joinpath("pretrained")


def _index() -> dict[str, Any]:
    path = _zoo().joinpath("index.json")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            "no pretrained models are installed (biodl/pretrained/index.json is missing)"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"the pretrained index is unreadable: {exc}", path=str(path)) from None
    if not isinstance(raw, dict) or raw.get("format") != PRETRAINED_FORMAT:
        raise InputError("not a biodl pretrained index", path=str(path))
    if int(raw.get("format_version", 0)) > _FORMAT_VERSION:
        raise InputError(
            f"pretrained index version {raw.get('format_version')} is newer than this biodl "
            "reads; upgrade biodl",
            path=str(path),
        )
    return raw


def _entry(raw: dict[str, Any]) -> PretrainedModel:
    return PretrainedModel(
        name=str(raw["name"]),
        description=str(raw.get("description", "")),
        task=str(raw.get("task", "")),
        architecture=str(raw.get("architecture", "")),
        dataset=str(raw.get("dataset", "")),
        licence=str(raw.get("licence", "")),
        licence_source=str(raw.get("licence_source", "")),
        metric=dict(raw.get("metric") or {}),
        bytes=int(raw.get("bytes", 0)),
        files={str(k): dict(v) for k, v in (raw.get("files") or {}).items()},
        entry=dict(raw),
    )


def list_pretrained() -> list[PretrainedModel]:
    """The models of the zoo, in the order of ``index.json``.

    Raises
    ------
    InputError
        If the package holds no (or an unreadable) ``pretrained/index.json``.
    """
    return [_entry(m) for m in _index().get("models", [])]


def pretrained_total_bytes() -> int:
    """Size of the installed zoo: every model's files plus ``index.json``."""
    index_bytes = len(_zoo().joinpath("index.json").read_bytes())
    return index_bytes + sum(m.bytes for m in list_pretrained())


def find_pretrained(name: str) -> PretrainedModel:
    """The zoo entry called ``name`` (case does not matter).

    Raises
    ------
    InputError
        One line naming the closest names when there is no such model.
    """
    models = list_pretrained()
    by_name = {m.name.lower(): m for m in models}
    found = by_name.get(name.strip().lower())
    if found is not None:
        return found
    lowered = name.strip().lower()
    close = difflib.get_close_matches(lowered, list(by_name), n=3, cutoff=0.5)
    close += [n for n in by_name if lowered and lowered in n and n not in close][:3]
    hint = f"close names: {', '.join(close[:3])}" if close else "no close name"
    raise InputError(
        f"unknown pretrained model '{name}'; {hint} ('biodl pretrained list' shows all "
        f"{len(models)})"
    )


def _checked_bytes(model: PretrainedModel, file_name: str, info: dict[str, Any]) -> bytes:
    if Path(file_name).name != file_name or file_name in ("", ".", ".."):
        raise InputError(f"pretrained index: bad file name '{file_name}' in {model.name}")
    source = _zoo().joinpath("models", model.name, file_name)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InputError(
            f"pretrained model {model.name}: cannot read {file_name} ({exc.strerror or exc}); "
            "reinstall biodl",
            path=str(source),
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != int(info.get("bytes", -1)) or digest != info.get("sha256"):
        raise InputError(
            f"pretrained model {model.name}: {file_name} does not match its size and SHA-256 "
            "in index.json (the installed package is damaged); reinstall biodl",
            path=str(source),
        )
    return data


def get_pretrained(name: str, out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Install the zoo model ``name`` as the run directory ``out``.

    Every file is checked against its size and SHA-256 in ``index.json``; the folder is
    filled as ``OUT.partial``, loaded with :func:`~biodl.runs.load_run`, and renamed to
    ``out`` only then. Nothing is downloaded.

    Raises
    ------
    InputError
        One line: an unknown name (with the closest names), ``out`` exists and is not
        empty (without ``force``) or cannot be written, a file of the package does not
        match its checksum, or the copy does not load.
    """
    model = find_pretrained(name)
    if not model.files:
        raise InputError(f"pretrained index: {model.name} lists no files")
    with staged_dir(out, force=force) as stage:
        for file_name, info in model.files.items():
            (stage / file_name).write_bytes(_checked_bytes(model, file_name, info))
        load_run(stage)
    return Path(out)
