"""Progress lines of a long job run as in a pipeline: stderr to a file, no terminal.

Runs a command with stdin, stdout and stderr away from any terminal (as ``nohup`` or a
SLURM job does), timestamps every line the job writes as it arrives, sends SIGTERM
after ``--kill-after`` seconds, and reports the largest silence between two lines, the
number of lines and the exit status (issue #16: "a ``make``/shell driver run under
``nohup`` shows progress lines at least every 30 s during a 5-minute job; SIGTERM gives
a non-zero exit").

Usage::

    .venv/bin/python bench/progress_gaps.py --kill-after 300 --log bench/out/progress_gaps.log \
        -- .venv/bin/biodl train CONFIG.yaml --out RUN --force
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-after", type=float, default=300.0)
    parser.add_argument("--log", type=Path, default=Path("bench/out/progress_gaps.log"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command after --")
    args.log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    stamps: list[float] = []
    job = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )

    def kill() -> None:
        if job.poll() is None:
            job.send_signal(signal.SIGTERM)

    timer = threading.Timer(args.kill_after, kill)
    timer.start()
    assert job.stdout is not None
    with args.log.open("w") as log:
        for line in job.stdout:
            t = time.monotonic() - start
            stamps.append(t)
            log.write(f"{t:8.1f}  {line}")
            log.flush()
    code = job.wait()
    timer.cancel()
    end = time.monotonic() - start
    edges = [0.0, *stamps, end]
    gaps = [b - a for a, b in itertools.pairwise(edges)]
    result = {
        "command": command,
        "seconds": round(end, 1),
        "lines": len(stamps),
        "max_gap_s": round(max(gaps), 1),
        "exit_status": code,
        "terminated": end >= args.kill_after,
        "log": str(args.log),
    }
    print(json.dumps(result, indent=2))
    return 0 if result["max_gap_s"] <= 30 and (not result["terminated"] or code != 0) else 1


if __name__ == "__main__":
    sys.exit(main())
