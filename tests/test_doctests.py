"""The Examples sections of every biodl module's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import biodl

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(biodl.__path__, prefix="biodl.")
    if not m.ispkg and not m.name.endswith(".__main__")  # importing runs the program
)


def test_every_module_is_found() -> None:
    expected = {"biodl.metrics", "biodl.data.homology.cluster", "biodl.encode.structure"}
    assert expected <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
