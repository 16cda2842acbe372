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
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeAlias

__all__ = [
    "THREAD_VARIABLES",
    "OneLineParser",
    "Subparsers",
    "add_common_options",
    "common_options_applied",
    "device",
    "fraction",
    "int_at_least",
    "non_negative_int",
    "one_line_warnings",
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


# ---------------------------------------------------------------------------------------
# Options of every verb

#: environment variables that cap the threads of BLAS/OpenMP libraries and of the
#: programs biodl runs (MMseqs2 reads ``OMP_NUM_THREADS``)
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def add_common_options(parser: argparse.ArgumentParser, *, verb: bool = True) -> None:
    """Add ``--quiet`` and ``--threads N`` to ``parser``.

    On a verb's parser (``verb=True``) they default to "not given", so that
    ``biodl --quiet train ...`` and ``biodl train ... --quiet`` both work (argparse would
    otherwise let the verb's default overwrite the value given before the verb).

    Examples
    --------
    >>> p = OneLineParser(prog="biodl")
    >>> add_common_options(p, verb=False)
    >>> p.parse_args(["--quiet", "--threads", "2"])
    Namespace(quiet=True, threads=2)
    """
    parser.add_argument(
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS if verb else False,
        help="no progress bars or progress lines on stderr (errors and warnings still)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=argparse.SUPPRESS if verb else None,
        metavar="N",
        help="CPU threads for torch, BLAS/OpenMP and MMseqs2 (default: all cores)",
    )


@contextmanager
def common_options_applied(args: argparse.Namespace) -> Iterator[None]:
    """Apply ``--quiet`` and ``--threads`` for the duration of one command.

    ``--quiet`` silences :mod:`biodl.progress` (a context variable, reset afterwards).
    ``--threads N`` sets :data:`THREAD_VARIABLES` (read by libraries loaded later and by
    child processes) and ``torch.set_num_threads(N)``; both are restored afterwards, so
    that calling :func:`biodl.cli.main` in a process changes nothing in it.
    """
    from biodl.progress import settings

    threads: int | None = getattr(args, "threads", None)
    with settings(quiet=bool(getattr(args, "quiet", False))):
        if threads is None:
            yield
            return
        saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
        os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@contextmanager
def one_line_warnings() -> Iterator[None]:
    """Warnings printed on one line of stderr (``biodl: warning: ...``), as errors are."""
    import sys
    import warnings

    def show(message: Warning | str, *_: object, **__: object) -> None:
        print(f"biodl: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = show
        yield
