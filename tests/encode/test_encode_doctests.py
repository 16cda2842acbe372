"""The Examples sections of the biodl.encode docstrings run as tests."""

from __future__ import annotations

import doctest
import types

import pytest

import biodl.encode.kmer
import biodl.encode.onehot

MODULES = [biodl.encode.kmer, biodl.encode.onehot]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: types.ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
