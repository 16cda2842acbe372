"""The Examples sections of the docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "biodl.config",
    "biodl.data.cv",
    "biodl.data.examples",
    "biodl.data.negatives",
    "biodl.data.sources",
    "biodl.data.splits",
    "biodl.errors",
    "biodl.models.predict",
    "biodl.train.augment",
    "biodl.train.module",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
