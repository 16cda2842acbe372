"""Former home of run directories, kept so that old imports work: see :mod:`biodl.runs`
(run directories) and :mod:`biodl.io.atomic` (atomic files)."""

from __future__ import annotations

from biodl.io.atomic import atomic_write_text, write_json
from biodl.runs import (
    RUN_FORMAT,
    RUN_FORMAT_VERSION,
    TEMPERATURE_FILE,
    Run,
    RunMeta,
    file_checksum,
    load_run,
    read_temperature,
    save_temperature,
    save_weights,
    software_versions,
)

__all__ = [
    "RUN_FORMAT",
    "RUN_FORMAT_VERSION",
    "TEMPERATURE_FILE",
    "Run",
    "RunMeta",
    "atomic_write_text",
    "file_checksum",
    "load_run",
    "read_temperature",
    "save_temperature",
    "save_weights",
    "software_versions",
    "write_json",
]
