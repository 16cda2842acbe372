"""Every configuration shipped in examples/ validates (paths are not required to exist)."""

from __future__ import annotations

from pathlib import Path

import pytest

from biodl.config import load_config
from biodl.models import validate_params

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_config_validates(path: Path) -> None:
    config = load_config(path)
    validate_params(config.model.name, config.model.params)


def test_every_zoo_model_has_an_example() -> None:
    from biodl.models import list_models

    names = {load_config(p).model.name for p in EXAMPLES}
    assert {s.name for s in list_models()} <= names
