"""``python -m biodl.cli``: the ``biodl`` command line."""

from __future__ import annotations

from biodl.cli import main

raise SystemExit(main())
