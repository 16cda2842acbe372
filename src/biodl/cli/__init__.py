"""``biodl``: the command line. Each verb parses, calls one workflow, prints its result.

The verbs are the modules listed in :data:`VERBS`, in the order ``biodl --help`` shows
them; each has ``register(subparsers)``, which adds its parser, and ``run(args)``, which
calls one function of :mod:`biodl.workflows` and prints the result object it returns.
Shared argument types are in :mod:`biodl.cli._args`. Modules import their heavy
dependencies inside ``run``, so ``biodl --help`` does not import torch.

Exit status: 0 on success; 2 on bad input, a bad option or an output that cannot be
written (one line on stderr naming the file and the line or record, no traceback); 130
after Ctrl-C (``biodl: interrupted``); 143 after SIGTERM (``biodl: terminated``); 1 on
an unexpected internal error (with its traceback).
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from biodl.cli import (
    assess,
    call_variants,
    cv,
    embed_networks,
    evaluate,
    evaluate_calls,
    explain,
    export,
    grn,
    models,
    predict,
    pretrained,
    score_variants,
    train,
    tune,
)
from biodl.cli._args import OneLineParser, add_common_options, common_options_applied
from biodl.errors import BiodlError, Terminated

__all__ = ["VERBS", "build_parser", "main"]

#: the verb modules, in the order of ``biodl --help``
VERBS = (
    train,
    tune,
    predict,
    evaluate,
    cv,
    models,
    explain,
    assess,
    score_variants,
    call_variants,
    evaluate_calls,
    grn,
    embed_networks,
    export,
    pretrained,
)

#: errno values of an ``OSError`` that mean "the output cannot be written here": a
#: user's problem (exit 2), not a bug
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT, errno.EFBIG})

_TERMINATED = 128 + signal.SIGTERM  # 143, what a shell reports for a SIGTERM death
_INTERRUPTED = 128 + signal.SIGINT  # 130


def build_parser() -> argparse.ArgumentParser:
    """The ``biodl`` argument parser with every verb of :data:`VERBS`."""
    from biodl import __version__

    parser = OneLineParser(
        prog="biodl",
        description=(
            "Deep learning for bioinformatics: train, evaluate and apply models of "
            "sequences, expression matrices and networks."
        ),
    )
    parser.add_argument("--version", action="version", version=f"biodl {__version__}")
    add_common_options(parser, verb=False)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for verb in VERBS:
        verb.register(subparsers)
    for verb_parser in subparsers.choices.values():  # --quiet, --threads on every verb
        add_common_options(verb_parser)
    return parser


@contextmanager
def _sigterm_raises_terminated() -> Iterator[Callable[[], bool]]:
    """Make SIGTERM raise :class:`~biodl.errors.Terminated` in the block (main thread).

    The previous handler is restored afterwards. A second SIGTERM while the first is
    being handled (clean-up running) is ignored. Yields a function telling whether a
    SIGTERM arrived.
    """
    received = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield received.is_set  # signals can only be handled in the main thread
        return

    owner = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:  # a forked worker (multiprocessing): die as by default
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if not received.is_set():
            received.set()
            raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield received.is_set
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(exc: BaseException) -> int:
    """Print one line for Ctrl-C or SIGTERM (with the verb's hint, e.g. how to resume a
    training run, when it attached one as ``exc.biodl_hint``); the exit status."""
    hint = getattr(exc, "biodl_hint", "")
    tail = f"; {hint}" if hint else ""
    if isinstance(exc, Terminated):
        print(f"biodl: terminated{tail}", file=sys.stderr)
        return _TERMINATED
    print(f"biodl: interrupted{tail}", file=sys.stderr)
    return _INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``biodl`` command line; returns the exit status.

    Parameters
    ----------
    argv
        The arguments after ``biodl`` (default ``sys.argv[1:]``).
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, a bad option (one line, status 2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    run: Callable[[argparse.Namespace], int] = args.run
    with _sigterm_raises_terminated() as got_sigterm, common_options_applied(args):
        try:
            return run(args)
        except BiodlError as exc:
            print(f"biodl: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
            return _interrupted(exc)
        except SystemExit as exc:
            # Lightning's Trainer.fit turns a KeyboardInterrupt into sys.exit(1) (and a
            # SIGTERM it handles itself into a SystemExit with status 0): report the
            # interrupt, not a failure or a success
            if got_sigterm():
                return _interrupted(Terminated())
            if isinstance(exc.__context__, KeyboardInterrupt):
                return _interrupted(exc.__context__)
            raise
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRNOS:
                raise
            where = f"{exc.filename}: " if exc.filename is not None else ""
            reason = exc.strerror or str(exc)
            print(f"biodl: error: {where}cannot write the output: {reason}", file=sys.stderr)
            return 2
