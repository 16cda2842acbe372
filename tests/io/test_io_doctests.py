"""The Examples sections of the biodl.io docstrings run as tests."""

from __future__ import annotations

import doctest
import types

import pytest

import biodl.io._open
import biodl.io.alphabet
import biodl.io.bed
import biodl.io.fasta
import biodl.io.table

MODULES = [biodl.io._open, biodl.io.alphabet, biodl.io.bed, biodl.io.fasta, biodl.io.table]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: types.ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
