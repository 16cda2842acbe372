"""Command-line verbs that live in their own module.

Each module here defines ``register(sub)``, which adds one sub-command to the
``biodl`` parser (``sub`` is the object ``ArgumentParser.add_subparsers`` returns)
and sets ``func`` to a handler ``(argparse.Namespace) -> int``. The handler parses
nothing itself: it calls one typed library function and returns the exit status.
:func:`biodl.cli.main` discovers the modules, so a verb is added by adding a file.
Modules import their heavy dependencies inside the handler, so ``biodl --help``
stays fast.
"""

from __future__ import annotations

__all__: list[str] = []
