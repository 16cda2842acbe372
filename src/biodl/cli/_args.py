"""Argument types shared by the ``biodl`` verbs, and the parser that prints one line.

A bad option value is an argparse error: one line on stderr, exit status 2, no usage
block and no traceback, like every other bad input. Nothing here imports torch unless
a CUDA or MPS device is named, so ``biodl --help`` stays fast.

Examples
--------
>>> positive_int("3")
3
>>> positive_int("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: 0: must be at least 1
>>> fraction("0.3")
0.3
>>> device("cpu")
'cpu'
>>> device("gpu")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: gpu: not a device; use cpu, cuda, cuda:N or mps
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import NoReturn, TypeAlias

__all__ = [
    "OneLineParser",
    "Subparsers",
    "device",
    "fraction",
    "int_at_least",
    "non_negative_int",
    "positive_int",
]


class OneLineParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose errors are one line on stderr (exit 2).

    ``argument --batch-size: 0: must be at least 1`` is printed as
    ``biodl predict: error: --batch-size 0: must be at least 1``; the usage block is
    left out (``biodl VERB --help`` shows it).
    """

    def error(self, message: str) -> NoReturn:
        text = re.sub(r"^argument ([^:]+): ", r"\1 ", message)
        text = " ".join(text.split())
        self.exit(2, f"{self.prog}: error: {text}\n")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argument type: an integer that is at least ``minimum``.

    Examples
    --------
    >>> int_at_least(2)("5")
    5
    >>> int_at_least(2)("1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 1: must be at least 2
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            msg = f"{text}: not an integer"
            raise argparse.ArgumentTypeError(msg) from None
        if value < minimum:
            msg = f"{value}: must be at least {minimum}"
            raise argparse.ArgumentTypeError(msg)
        return value

    parse.__name__ = f"int_at_least_{minimum}"
    return parse


#: an integer of at least 1 (batch sizes, counts)
positive_int = int_at_least(1)
#: an integer of at least 0 (seeds, worker threads, window sizes)
non_negative_int = int_at_least(0)


def fraction(text: str) -> float:
    """An argument type: a number in ``(0, 1]`` (an identity, a fraction of the data).

    Examples
    --------
    >>> fraction("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 0: must be in (0, 1]
    """
    try:
        value = float(text)
    except ValueError:
        msg = f"{text}: not a number"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0.0 < value <= 1.0:
        msg = f"{text}: must be in (0, 1]"
        raise argparse.ArgumentTypeError(msg)
    return value


_DEVICE = re.compile(r"(cpu|mps|cuda)(?::(\d+))?")


def device(text: str) -> str:
    """An argument type: a torch device name that exists on this machine.

    ``cpu``, ``cuda``, ``cuda:N`` or ``mps``. torch is imported only to check that a
    named CUDA GPU (or the MPS backend) is there.

    Raises
    ------
    argparse.ArgumentTypeError
        For an unknown name, a CUDA device on a machine without CUDA GPU (or with too
        few) or MPS where it is not available.
    """
    name = text.strip().lower()
    match = _DEVICE.fullmatch(name)
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        msg = f"{text}: not a device; use cpu, cuda, cuda:N or mps"
        raise argparse.ArgumentTypeError(msg)
    kind, index = match.group(1), match.group(2)
    if kind == "cuda":
        import torch

        if not torch.cuda.is_available():
            msg = f"{text}: no CUDA GPU is available on this machine"
            raise argparse.ArgumentTypeError(msg)
        count = torch.cuda.device_count()
        if index is not None and int(index) >= count:
            msg = f"{text}: this machine has {count} CUDA GPU(s), numbered from 0"
            raise argparse.ArgumentTypeError(msg)
    elif kind == "mps":
        import torch

        if not torch.backends.mps.is_available():
            msg = f"{text}: the MPS backend is not available on this machine"
            raise argparse.ArgumentTypeError(msg)
    return name


#: the object ``ArgumentParser.add_subparsers`` returns, which each verb's ``register``
#: adds its parser to
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
