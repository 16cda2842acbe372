"""Writing outputs so that nothing is ever half-written: the one home of atomic files,
staged output folders and output-path checks.

Every file biodl writes goes through :func:`atomic_path` (or the helpers built on it):
the content is written to a hidden temporary file beside the target and renamed into
place only when complete. Every output folder goes through :func:`staged_dir`: it is
filled as ``OUT.partial`` and renamed to ``OUT`` when complete. On an error, Ctrl-C or
SIGTERM the temporary file or folder is removed; even after SIGKILL (or a crash) it is
removed by a small watcher process that deletes whatever the dead process had not
committed (the idea of :mod:`multiprocessing.resource_tracker`). New files honour the
umask like any other file (no 0600 temporary files).

Before anything is written, :func:`check_output_path` and :func:`check_output_dir`
refuse an output that would destroy an input (``predict X.fa --out X.fa``), a missing
or unwritable folder, or a file where a folder is expected, with one line naming the
path (:class:`biodl.errors.InputError`, exit status 2 through the CLI).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = atomic_write_text(d / "a.txt", "hello\\n")
>>> (d / "a.txt").read_text()
'hello\\n'
>>> with atomic_path(d / "b.txt") as tmp:
...     _ = tmp.write_text("x")
...     (d / "b.txt").exists()
False
>>> sorted(p.name for p in d.iterdir())
['a.txt', 'b.txt']
>>> with staged_dir(d / "run") as partial:
...     _ = (partial / "f.txt").write_text("y")
>>> sorted(p.name for p in (d / "run").iterdir())
['f.txt']
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

from biodl.errors import InputError

__all__ = [
    "OutputError",
    "atomic_open",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_dir",
    "check_output_path",
    "output_error",
    "partial_dir",
    "staged_dir",
    "write_json",
]

PathLike = str | os.PathLike[str]

#: errno values that mean "this output cannot be written here" (a user's problem, exit 2)
_OUTPUT_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large (a file-size limit or the file system's)",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOENT: "folder does not exist",
    errno.ENOTDIR: "a parent is not a folder",
    errno.EISDIR: "is a folder",
}


class OutputError(InputError):
    """An output cannot be written where the user asked (full disk, read-only folder,
    an input in the way); exit status 2 through the CLI, like any input error."""


#: errno values that are about the output even when raised by the caller's own code in a
#: ``with`` block (which may also read inputs: a missing input is not an output problem)
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def output_error(exc: OSError, path: PathLike) -> OutputError | None:
    """``exc``, raised while writing the output ``path``, as an :class:`OutputError`
    naming ``path`` when it means the output cannot be written (full disk, quota,
    read-only file system, file-size limit); ``None`` for any other error.

    For writers that stream into a temporary file themselves (pysam's BGZF).
    """
    return _as_output_error(exc, Path(path), own=False)


def _as_output_error(exc: OSError, path: Path, *, own: bool = True) -> OutputError | None:
    """``exc`` as an :class:`OutputError` naming ``path``, or ``None`` if it is not about
    writing the output; ``own``: raised by this module's own step (mkdir, rename)."""
    reason = _OUTPUT_ERRNOS.get(exc.errno or 0)
    if reason is None or (not own and exc.errno not in _FULL_ERRNOS):
        return None
    return OutputError(f"cannot write the output: {reason}", path=path)


# ---------------------------------------------------------------------------
# The watcher: removes what a killed process left uncommitted
# ---------------------------------------------------------------------------

_WATCHER_CODE = r"""
import os, shutil, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
paths = set()
for line in sys.stdin.buffer:
    op, _, hexpath = line.strip().partition(b" ")
    try:
        p = bytes.fromhex(hexpath.decode("ascii"))
    except ValueError:
        continue
    if op == b"+":
        paths.add(p)
    else:
        paths.discard(p)
for p in paths:
    try:
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            os.unlink(p)
    except OSError:
        pass
"""


class _Watcher:
    """A child process that deletes registered paths once this process has gone.

    Paths are registered before they are created and released once committed or
    removed; when this process ends in any way (even SIGKILL) the child reads end of
    file on its stdin and deletes what is still registered. Started on first use, one
    per process (a forked child starts its own).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pid = -1

    def _send(self, op: str, path: Path) -> None:
        if os.environ.get("BIODL_NO_WATCHER"):
            return
        with self._lock:
            if self._proc is None or self._pid != os.getpid() or self._proc.poll() is not None:
                try:
                    self._proc = subprocess.Popen(
                        [sys.executable, "-c", _WATCHER_CODE],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,  # a Ctrl-C to our group does not reach it
                    )
                except OSError:  # no process could be started: clean-up stays best effort
                    self._proc = None
                    return
                self._pid = os.getpid()
                atexit.register(self._stop, self._proc)
            stdin = self._proc.stdin
            if stdin is None:
                return
            try:
                stdin.write(f"{op} {os.fsencode(path.absolute()).hex()}\n".encode("ascii"))
                stdin.flush()
            except OSError:  # the watcher died: clean-up stays best effort
                self._proc = None

    @staticmethod
    def _stop(proc: subprocess.Popen[bytes]) -> None:
        """At a normal exit: end the watcher (it removes what is still registered)."""
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def register(self, path: Path) -> None:
        self._send("+", path)

    def release(self, path: Path) -> None:
        self._send("-", path)


_WATCHER = _Watcher()


# ---------------------------------------------------------------------------
# Output checks
# ---------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _is_within(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


def check_output_path(
    path: PathLike,
    *,
    inputs: Iterable[PathLike | None] = (),
    what: str = "output",
) -> Path:
    """Check that the file ``path`` can be written without harm, before any work.

    Parameters
    ----------
    path
        The output file.
    inputs
        Files the job reads (``None`` entries are ignored): the output must not be one
        of them (same path or same file through a link).
    what
        How the option is called in messages (e.g. ``"--tsv"``).

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputError
        If ``path`` is a folder, its folder is missing or not writable, or it is one of
        ``inputs``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "x.fa").write_text(">a\\nACGT\\n")
    >>> check_output_path(d / "x.fa", inputs=[d / "x.fa"], what="--out")
    Traceback (most recent call last):
    ...
    biodl.io.atomic.OutputError: ...x.fa: --out is an input of this job; ...
    """
    p = Path(path)
    for source in inputs:
        if source is None:
            continue
        src = Path(source)
        if p.absolute() == src.absolute() or _same_file(p, src):
            raise OutputError(f"{what} is an input of this job; choose another output path", path=p)
    if p.is_dir():
        raise OutputError(f"{what} is a folder; give a file name", path=p)
    parent = p.absolute().parent
    if not parent.is_dir():
        why = "is not a folder" if parent.exists() else "does not exist"
        raise OutputError(f"the folder of {what} {why}: {parent}", path=p)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"the folder of {what} is not writable: {parent}", path=p)
    if p.exists() and not os.access(p, os.W_OK) and not os.access(parent, os.W_OK):
        raise OutputError(f"{what} is not writable", path=p)
    return p


def check_output_dir(
    out: PathLike,
    *,
    force: bool = False,
    inputs: Iterable[PathLike | None] = (),
    what: str = "--out",
) -> Path:
    """Check that the output folder ``out`` can be (re)written without harm.

    ``out`` must not exist, be an empty folder, or (with ``force``) a folder that holds
    none of ``inputs`` (a config, a data file, the run being evaluated) and is not inside
    one of them; its parent must be a writable folder (created if missing).

    Raises
    ------
    OutputError
        With one line naming ``out`` when any of this fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "config.yaml").write_text("task: binary\\n")
    >>> check_output_dir(d, force=True, inputs=[d / "config.yaml"])
    Traceback (most recent call last):
    ...
    biodl.io.atomic.OutputError: ...: --out holds an input of this job (config.yaml); ...
    """
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{what} exists and is not a folder", path=p)
    for source in inputs:
        if source is None:
            continue
        src = Path(source)
        if p.exists() and (_is_within(src, p) or _same_file(src, p)):
            inner = src.name if src.absolute() != p.absolute() else src.name + "/"
            raise OutputError(
                f"{what} holds an input of this job ({inner}); writing it would destroy "
                "the input; choose another folder",
                path=p,
            )
    if p.is_dir() and any(p.iterdir()) and not force:
        raise OutputError(
            "output folder exists and is not empty; use --force to replace it", path=p
        )
    parent = p.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder of {what}: {exc.strerror}", path=p) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"the folder of {what} is not writable: {parent}", path=p)
    return p


# ---------------------------------------------------------------------------
# Atomic files
# ---------------------------------------------------------------------------


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextmanager
def atomic_path(
    path: PathLike, *, mode: int | None = None, companions: Sequence[str] = ()
) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed to ``path`` when the block succeeds.

    For writers that need a path (pysam, safetensors, matplotlib). The temporary file
    is removed if the block fails, is interrupted, or this process is killed. On a full
    disk or an unwritable folder the error is an :class:`OutputError` naming ``path``.

    Parameters
    ----------
    path
        The final file.
    mode
        Permission bits to give the file (before the umask); default 0o666, as any new
        file (whatever mode the writer used: safetensors, for one, writes 0600).
    companions
        Suffixes of files a writer may add beside the temporary file (an index:
        ``(".tbi", ".csi")``): each ``TMP + suffix`` is committed with it as
        ``path + suffix``, and an older ``path + suffix`` that was not rewritten is
        removed (it would describe the old file). Discarded with it on failure.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "v.vcf.gz", companions=(".tbi",)) as tmp:
    ...     _ = tmp.write_bytes(b"data")
    ...     _ = pathlib.Path(f"{tmp}.tbi").write_bytes(b"index")
    >>> sorted(p.name for p in d.iterdir())
    ['v.vcf.gz', 'v.vcf.gz.tbi']
    """
    target = Path(path)
    tmp = _temp_name(target)
    extra = [(Path(f"{tmp}{s}"), Path(f"{target}{s}")) for s in companions]
    for p in (tmp, *(t for t, _ in extra)):
        _WATCHER.register(p)
    committing = False
    try:
        yield tmp
        committing = True
        # as a new file (some writers, e.g. safetensors, create 0600 files)
        os.chmod(tmp, (0o666 if mode is None else mode) & ~_umask())
        for written, final in extra:  # no stale index beside the new file, ever
            if not written.exists() and final.exists():
                final.unlink()
        os.replace(tmp, target)
        for written, final in extra:
            if written.exists():
                os.replace(written, final)
    except OSError as exc:
        _discard(tmp, [t for t, _ in extra])
        converted = _as_output_error(exc, target, own=committing)
        if converted is None:
            raise
        raise converted from None
    except BaseException:
        _discard(tmp, [t for t, _ in extra])
        raise
    finally:
        for p in (tmp, *(t for t, _ in extra)):
            _WATCHER.release(p)


def _discard(tmp: Path, extra: Iterable[Path] = ()) -> None:
    for p in (tmp, Path(f"{tmp}.tbi"), Path(f"{tmp}.csi"), *extra):
        with contextlib.suppress(OSError):
            p.unlink()


def _umask() -> int:
    """The process umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


@contextmanager
def atomic_open(
    path: PathLike,
    mode: Literal["w", "wb"] = "w",
    *,
    encoding: str = "utf-8",
    newline: str | None = "\n",
) -> Iterator[IO[Any]]:
    """Open ``path`` for writing through a temporary file (see :func:`atomic_path`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
    >>> with atomic_open(p) as fh:
    ...     _ = fh.write("a\\tb\\n")
    >>> p.read_text()
    'a\\tb\\n'
    """
    with atomic_path(path) as tmp:
        try:
            if mode == "wb":
                fh: IO[Any] = open(tmp, "xb")  # noqa: SIM115 - closed below
            else:
                fh = open(tmp, "x", encoding=encoding, newline=newline)  # noqa: SIM115
        except OSError as exc:
            converted = _as_output_error(exc, Path(path))
            if converted is None:
                raise
            raise converted from None
        with fh:
            yield fh


def atomic_write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    with atomic_open(path) as fh:
        fh.write(text)
    return Path(path)


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_json(path: PathLike, data: Mapping[str, Any] | list[Any]) -> Path:
    """Write ``data`` as indented JSON (NaN written as ``NaN``), atomically."""
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


# ---------------------------------------------------------------------------
# Staged folders
# ---------------------------------------------------------------------------


def partial_dir(out: PathLike) -> Path:
    """The folder :func:`staged_dir` fills for ``out``: ``OUT.partial``."""
    p = Path(out)
    return p.with_name(p.name + ".partial")


@contextmanager
def staged_dir(
    out: PathLike,
    *,
    force: bool = False,
    inputs: Iterable[PathLike | None] = (),
    keep_on_interrupt: bool = False,
    reuse: bool = False,
) -> Iterator[Path]:
    """Fill ``OUT.partial``, then replace ``out`` by it when the block succeeds.

    Parameters
    ----------
    out
        The output folder. Checked first by :func:`check_output_dir` (with ``force`` and
        ``inputs``), so nothing is touched when it would destroy an input.
    force
        Replace an existing non-empty ``out``.
    inputs
        Files the job reads, which ``out`` must not hold.
    keep_on_interrupt
        Keep ``OUT.partial`` after Ctrl-C, SIGTERM or SIGKILL (a run that can be
        resumed from its checkpoints); it is still removed after an error.
    reuse
        Continue in an existing ``OUT.partial`` instead of starting afresh (resume).

    Yields
    ------
    Path
        The ``OUT.partial`` folder to write into.
    """
    target = check_output_dir(out, force=force, inputs=inputs)
    partial = partial_dir(target)
    if partial.exists() and not reuse:
        shutil.rmtree(partial) if partial.is_dir() else partial.unlink()
    tracked = not keep_on_interrupt
    committing = False
    if tracked:
        _WATCHER.register(partial)
    try:
        try:
            partial.mkdir(parents=True, exist_ok=reuse)
        except OSError as exc:
            converted = _as_output_error(exc, target)
            if converted is None:
                raise
            raise converted from None
        yield partial
        committing = True
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        os.replace(partial, target)
    except (KeyboardInterrupt, SystemExit):
        if not keep_on_interrupt:
            shutil.rmtree(partial, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        converted = _as_output_error(exc, target, own=committing)
        if converted is None:
            raise
        raise converted from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        if tracked:
            _WATCHER.release(partial)
