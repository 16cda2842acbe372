"""Exceptions that biodl raises for bad user input.

Every error caused by a user's file or configuration is a :class:`InputError`. Its
message is one line that names the file and, where known, the line or record, so that
the command-line interface can print it as it is and exit with status 2, with no
traceback.

Examples
--------
>>> raise InputError("illegal character 'X' at column 7", path="peaks.fa", line=12)
Traceback (most recent call last):
...
biodl.errors.InputError: peaks.fa:12: illegal character 'X' at column 7
"""

from __future__ import annotations

import os

__all__ = ["BiodlError", "ConfigError", "InputError", "Terminated"]


class BiodlError(Exception):
    """Base class of every exception biodl raises on purpose."""


class InputError(BiodlError, ValueError):
    """A user's file or argument is not usable.

    Parameters
    ----------
    message
        What is wrong, in one sentence, without the location.
    path
        The file at fault, if any.
    line
        1-based line number in ``path``, if known.
    record
        Record identifier (FASTA id, VCF record, table row id) if no line is known or
        as extra context.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        record: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.record = record
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
        elif self.line is not None:
            where = f"line {self.line}"
        if self.record is not None:
            where += (": " if where else "") + f"record {self.record!r}"
        text = " ".join(self.message.split())  # one line, always
        return f"{where}: {text}" if where else text


class ConfigError(InputError):
    """A configuration file has an unknown key, a wrong type or a bad value."""


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM (a pipeline manager or ``kill`` stopped it).

    Raised by the command line's SIGTERM handler so that clean-up runs as for Ctrl-C
    (temporary files removed, a resumable run folder kept); ``biodl`` then exits 143.
    A subclass of :class:`KeyboardInterrupt`, so code that handles an interrupt handles
    this too.
    """
