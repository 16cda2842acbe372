"""Open plain or gzip-compressed text files, turning read failures into InputError.

Compression is detected from the first two bytes (the gzip magic number ``1f 8b``), not
from the file name, so ``peaks.bed`` that is really gzip-compressed, or ``x.gz`` that is
not, both read correctly. BGZF files (``bgzip``) are gzip files and read the same way.

Examples
--------
>>> import gzip, os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "x.txt")
>>> with gzip.open(path, "wt") as f:
...     _ = f.write("first\\nsecond\\n")
>>> [(n, line.rstrip()) for n, line in read_lines(path)]
[(1, 'first'), (2, 'second')]
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Generator, Iterator
from typing import TextIO

from biodl.errors import InputError

__all__ = ["GZIP_MAGIC", "guard_lines", "is_gzip", "open_text", "read_lines"]

GZIP_MAGIC = b"\x1f\x8b"
"""First two bytes of every gzip (and BGZF) file."""

_PathLike = str | os.PathLike[str]


def _first_bytes(path: _PathLike, n: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(n)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path) from None
    except PermissionError:
        raise InputError("permission denied: cannot read the file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot open the file: {exc.strerror or exc}", path=path) from None


def is_gzip(path: _PathLike) -> bool:
    """Whether ``path`` starts with the gzip magic bytes.

    Raises
    ------
    InputError
        If the file does not exist or cannot be read.
    """
    return _first_bytes(path, 2) == GZIP_MAGIC


def open_text(path: _PathLike) -> TextIO:
    """Open a plain or gzip-compressed UTF-8 text file for reading.

    A byte-order mark at the start is dropped and ``\\r\\n`` line ends read as ``\\n``.
    Iterate the handle through :func:`guard_lines` (or use :func:`read_lines`) to get
    an :class:`InputError` instead of a traceback for a truncated gzip file.

    Raises
    ------
    InputError
        If the file does not exist, is a folder or cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("hello\\n")
    >>> with open_text(path) as f:
    ...     f.read()
    'hello\\n'
    """
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig")


def guard_lines(handle: TextIO, path: _PathLike) -> Iterator[str]:
    """Yield the lines of ``handle``, converting read failures into InputError.

    A truncated or corrupt gzip stream (``EOFError``, ``gzip.BadGzipFile``,
    ``zlib.error``) or undecodable bytes (``UnicodeDecodeError``) raise
    :class:`InputError` naming ``path`` and the line after the last one read.
    Text is decoded in blocks, so for undecodable bytes the line named is the first
    line of the block that holds them.
    """
    count = 0
    try:
        for line in handle:
            count += 1
            yield line
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(
            f"truncated or corrupt gzip file ({exc}); the file ends or breaks after "
            f"{count} complete lines",
            path=path,
            line=count + 1,
        ) from None
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex()
        raise InputError(
            f"not UTF-8 text: byte 0x{bad} cannot be decoded (a binary or corrupt file?)",
            path=path,
            line=count + 1,
        ) from None


def read_lines(path: _PathLike) -> Generator[tuple[int, str], None, None]:
    """Yield ``(line number, line)`` for each line of a plain or gzip text file.

    Line numbers are 1-based; lines keep their ``\\n``. The file is closed when the
    iteration ends or the generator is closed.

    Raises
    ------
    InputError
        Missing file, truncated or corrupt gzip, or bytes that are not UTF-8.
    """
    with open_text(path) as handle:
        yield from enumerate(guard_lines(handle, path), start=1)
