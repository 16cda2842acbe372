"""Progress of long steps: one mechanism for every loop or step that can take a while.

:func:`progress` wraps a loop (or is updated by hand), :func:`step` a step with no count
(an external program, one long library call), :func:`note` prints one line (a training
epoch's metrics). Where the output goes depends on standard error:

- **A terminal**: a tqdm bar on stderr (none for a loop shorter than ``delay``).
- **Anything else** (a SLURM or ``nohup`` log, a pipe, a file): plain lines, at most one
  every ``interval`` seconds (10 by default) while the loop advances, and a heartbeat
  line when nothing at all was written for ``interval`` seconds (a step with no count, a
  slow item)::

      homology clustering: 1200/5000 seq (24%) 118 seq/s, ETA 0:32
      MMseqs2 easy-search: running, 0:40 elapsed
      homology clustering: done, 5000 seq in 0:43 (116 seq/s)

  A step that ends within ``delay`` seconds (3 by default) prints nothing; a longer one
  prints its first line at ``delay`` seconds and a done line (with the elapsed time) at
  the end.

The same lines go to the :mod:`logging` logger ``biodl`` (level INFO, terminal or not),
so a file handler attached to it keeps them; nothing is logged unless that logger is
enabled for INFO. Quiet mode (``biodl --quiet``) silences bars and lines on stderr, not
errors, warnings or the log. The settings live in a :class:`contextvars.ContextVar`
(:func:`settings` sets them for a block; the command line sets them once per run),
not in module state: a thread started without a copy of the context (a worker thread
of a pool) gets the defaults.

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> with settings(stream=out, terminal=False, delay=0.0, heartbeat=False):
...     total = sum(progress(range(3), desc="adding", unit="number"))
>>> print(out.getvalue().splitlines()[-1].split(" in ")[0])
adding: done, 3 number
"""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TextIO, TypeVar

import tqdm  # type: ignore[import-untyped]  # no stubs; types-tqdm is not a dependency

__all__ = [
    "LOGGER",
    "Progress",
    "Settings",
    "is_quiet",
    "log_file",
    "note",
    "progress",
    "settings",
    "step",
]

#: the logger every progress line also goes to (level INFO)
LOGGER = logging.getLogger("biodl")


@contextmanager
def log_file(path: str | Path | None) -> Iterator[None]:
    """Copy every progress and epoch line of the block into ``path`` (appended, one
    time-stamped line each; the folder is created); ``None``: do nothing.

    The logger ``biodl`` is enabled for INFO for the block and restored after it.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "logs", "train.log")
    >>> with log_file(path), settings(quiet=True):
    ...     note("epoch 1/1  train_loss 0.5")
    >>> open(path).read().rstrip().endswith("epoch 1/1  train_loss 0.5")
    True
    """
    if path is None:
        yield
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(target, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    level = LOGGER.level
    LOGGER.addHandler(handler)
    if not LOGGER.isEnabledFor(logging.INFO):
        LOGGER.setLevel(logging.INFO)
    try:
        yield
    finally:
        LOGGER.removeHandler(handler)
        LOGGER.setLevel(level)
        handler.close()


T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """How progress is shown.

    Attributes
    ----------
    quiet
        Nothing on stderr (the log still gets the lines).
    interval
        Seconds between two lines of one loop when stderr is not a terminal.
    delay
        A loop or step that ends sooner prints nothing (no bar, no line).
    stream
        Where bars and lines go; ``None``: :data:`sys.stderr` at the time of writing.
    terminal
        Whether ``stream`` is a terminal; ``None``: ask it (``isatty()``).
    clock
        Seconds, monotonic (tests pass a fake one).
    heartbeat
        Whether a thread writes a line when nothing was written for ``interval``
        seconds while a loop or step runs.
    """

    quiet: bool = False
    interval: float = 10.0
    delay: float = 3.0
    stream: TextIO | None = None
    terminal: bool | None = None
    clock: Callable[[], float] = time.monotonic
    heartbeat: bool = True

    def output(self) -> TextIO:
        """The stream bars and lines go to."""
        return sys.stderr if self.stream is None else self.stream

    def is_terminal(self) -> bool:
        """Whether :meth:`output` is a terminal."""
        if self.terminal is not None:
            return self.terminal
        try:
            return bool(self.output().isatty())
        except (AttributeError, ValueError):  # no isatty, or a closed stream
            return False


_DEFAULTS = Settings()  # frozen: safe as the ContextVar's default
_SETTINGS: contextvars.ContextVar[Settings] = contextvars.ContextVar(
    "biodl_progress_settings", default=_DEFAULTS
)

# when the last line was written to stderr (any loop's): a heartbeat line is only
# needed after ``interval`` seconds of silence
_last_line = [float("-inf")]
_write_lock = threading.Lock()


@contextmanager
def settings(**changes: Any) -> Iterator[Settings]:
    """Change the :class:`Settings` (``quiet=True``, ``interval=30`` ...) for a block.

    Examples
    --------
    >>> with settings(quiet=True):
    ...     is_quiet()
    True
    >>> is_quiet()
    False
    """
    token = _SETTINGS.set(replace(_SETTINGS.get(), **changes))
    try:
        yield _SETTINGS.get()
    finally:
        _SETTINGS.reset(token)


def current() -> Settings:
    """The settings in effect here."""
    return _SETTINGS.get()


def is_quiet() -> bool:
    """Whether progress on stderr is silenced (``biodl --quiet``)."""
    return _SETTINGS.get().quiet


def _clock_text(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour).

    Examples
    --------
    >>> _clock_text(5.2), _clock_text(754), _clock_text(3725)
    ('0:05', '12:34', '1:02:05')
    """
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _rate_text(n: float, seconds: float, unit: str) -> str:
    """``118 seq/s``, or ``4.2 s/batch`` when slower than one a second.

    Examples
    --------
    >>> _rate_text(39000, 10, "pair"), _rate_text(5, 2, "seq"), _rate_text(2, 9, "batch")
    ('3900 pair/s', '2.5 seq/s', '4.5 s/batch')
    """
    if seconds <= 0 or n <= 0:
        return f"? {unit}/s"
    rate = n / seconds
    if rate >= 100.0:
        return f"{rate:.0f} {unit}/s"
    if rate >= 1.0:
        return f"{rate:.3g} {unit}/s"
    return f"{1.0 / rate:.3g} s/{unit}"


def _emit(line: str, conf: Settings, *, to_stream: bool) -> None:
    """Write ``line`` to stderr (when asked and not quiet) and to the log."""
    if to_stream and not conf.quiet:
        stream = conf.output()
        with _write_lock:
            try:
                if conf.is_terminal():
                    tqdm.tqdm.write(line, file=stream)  # above any active bar
                else:
                    stream.write(line + "\n")
                stream.flush()
            except (OSError, ValueError):  # a closed or broken stream: progress is optional
                pass
            _last_line[0] = conf.clock()
    LOGGER.info(line)


def note(message: str) -> None:
    """Print one line on stderr (unless quiet; above any bar on a terminal) and log it."""
    _emit(message, _SETTINGS.get(), to_stream=True)


class Progress(Generic[T]):
    """A loop's progress: a bar on a terminal, throttled lines elsewhere.

    Made by :func:`progress` and :func:`step`. Iterate over it (the wrapped iterable),
    or call :meth:`update`; use it as a context manager (or iterate to the end) so that
    it closes, printing the done line.
    """

    def __init__(
        self,
        iterable: Iterable[T] | None,
        *,
        total: int | None,
        desc: str,
        unit: str,
        bar: bool,
        counted: bool = True,
    ) -> None:
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.total = total
        self.desc = desc
        self.unit = unit
        self.counted = counted
        self.n = 0
        self.conf = _SETTINGS.get()
        self._start = self.conf.clock()
        self._last = self._start  # last line of this loop
        self._next = self._start + self.conf.delay  # when the next line is due
        self._written = False  # a line of this loop was written (stderr or log)
        self._shown = False  # a line of this loop went to stderr
        self._closed = False
        self._lock = threading.RLock()
        terminal = self.conf.is_terminal()
        self._lines = not terminal and not self.conf.quiet  # plain lines on stderr
        self._log = LOGGER.isEnabledFor(logging.INFO)
        self._bar: Any = None  # a tqdm bar
        if terminal and bar and not self.conf.quiet:
            self._bar = tqdm.tqdm(
                total=total,
                desc=desc,
                unit=unit,
                file=self.conf.output(),
                delay=self.conf.delay,
                leave=None,
                dynamic_ncols=True,
                bar_format=None if counted else "{desc}: {elapsed}",
            )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.conf.heartbeat and (
            self._lines or self._log or (self._bar is not None and not counted)
        ):
            self._thread = threading.Thread(
                target=self._beat, name=f"biodl-progress {desc}", daemon=True
            )
            self._thread.start()

    # -- the line -------------------------------------------------------------------

    def line(self, now: float | None = None) -> str:
        """The progress line at ``now`` (default: the clock's time)."""
        now = self.conf.clock() if now is None else now
        elapsed = now - self._start
        if not self.counted:
            return f"{self.desc}: running, {_clock_text(elapsed)} elapsed"
        rate = _rate_text(self.n, elapsed, self.unit)
        if self.total:
            pct = 100.0 * self.n / self.total
            head = f"{self.desc}: {self.n}/{self.total} {self.unit} ({pct:.0f}%)"
            if self.n <= 0:
                return f"{head}, {_clock_text(elapsed)} elapsed"
            eta = elapsed / self.n * max(self.total - self.n, 0)
            return f"{head} {rate}, ETA {_clock_text(eta)}"
        return f"{self.desc}: {self.n} {self.unit}, {rate}, {_clock_text(elapsed)} elapsed"

    def _due(self, now: float) -> bool:
        return now >= self._next

    def _write(self, now: float) -> None:
        self._last = now
        self._next = now + self.conf.interval
        self._written = True
        self._shown = self._shown or self._lines
        _emit(self.line(now), self.conf, to_stream=self._lines)

    def _beat(self) -> None:
        conf = self.conf
        period = max(0.01, min(1.0, conf.interval / 2, conf.delay or 1.0))
        while not self._stop.wait(period):
            with self._lock:
                if self._closed:
                    return
                if self._bar is not None and not self.counted:
                    self._bar.refresh()
                now = conf.clock()
                # stderr silent (any loop's lines) for an interval, or the first line
                last = max(self._last, _last_line[0]) if self._lines else self._last
                if self._due(now) and (not self._written or now - last >= conf.interval):
                    self._write(now)

    # -- updating -------------------------------------------------------------------

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done."""
        self.n += n  # the fast path takes no lock: a loop may count millions of items
        if self._bar is not None:
            self._bar.update(n)
        if (self._lines or self._log) and self.conf.clock() >= self._next:
            with self._lock:
                now = self.conf.clock()
                if self._due(now) and not self._closed:
                    self._write(now)

    def __iter__(self) -> Iterator[T]:
        if self.iterable is None:
            raise TypeError("this progress wraps no iterable: call update()")
        try:
            for item in self.iterable:
                yield item
                self.update()
        finally:
            self.close()

    def close(self, *, report: bool = True) -> None:
        """End the loop: the bar closed and, when the loop wrote a line (it ran longer
        than ``delay``), the done line. ``report=False`` leaves the done line out."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            if self._bar is not None:
                self._bar.close()
            if not report or not self._written:  # quicker than ``delay``: nothing to close
                return
            now = self.conf.clock()
            elapsed = now - self._start
            if self.counted and self.n:
                rate = _rate_text(self.n, elapsed, self.unit)
                text = f"{self.desc}: done, {self.n} {self.unit} in {_clock_text(elapsed)} ({rate})"
            else:
                text = f"{self.desc}: done in {_clock_text(elapsed)}"
            _emit(text, self.conf, to_stream=self._shown)

    def __enter__(self) -> Progress[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        with self._lock:  # stopped: say so where the loop was shown, no done line
            shown, written = self._shown, self._written
            self.close(report=False)
        if written:
            elapsed = self.conf.clock() - self._start
            _emit(f"{self.desc}: stopped after {_clock_text(elapsed)}", self.conf, to_stream=shown)


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str,
    unit: str = "it",
    bar: bool = True,
) -> Progress[T]:
    """Show the progress of a loop: iterate over the result, or ``update()`` it.

    Parameters
    ----------
    iterable
        What the loop runs over (``None``: call :meth:`Progress.update`).
    total
        Number of items (default ``len(iterable)`` when it has one); ``None``: unknown.
    desc, unit
        What is done (``"homology clustering"``) and what is counted (``"seq"``).
    bar
        Show a bar on a terminal (``False``: only the lines elsewhere, e.g. where
        Lightning draws its own bar).

    Examples
    --------
    >>> with progress(total=2, desc="folding", unit="seq") as bar:
    ...     bar.update(2)
    >>> bar.n
    2
    """
    return Progress(iterable, total=total, desc=desc, unit=unit, bar=bar)


def step(desc: str) -> Progress[Any]:
    """A step with no count, as a context manager: ``running, 1:30 elapsed`` lines while
    it runs (when stderr is not a terminal), elapsed time on a terminal, a done line.

    Examples
    --------
    >>> with step("MMseqs2 easy-search"):
    ...     pass
    """
    return Progress(None, total=None, desc=desc, unit="", bar=True, counted=False)
