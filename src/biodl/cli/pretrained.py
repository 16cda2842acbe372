"""``biodl pretrained``: list the models shipped with biodl, or install one as a run
directory (offline: nothing is downloaded)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from biodl.cli._args import Subparsers

__all__ = ["register", "run"]


def register(subparsers: Subparsers) -> None:
    """Add ``pretrained`` (``list``, ``get``) to the ``biodl`` sub-command parsers."""
    p = subparsers.add_parser(
        "pretrained",
        help="list or install the pretrained models shipped with biodl (offline)",
        description=(
            "Models biodl trained on public data sets, shipped inside the package: "
            "'list' shows them, 'get NAME --out RUN_DIR' installs one as a run directory "
            "for biodl predict, evaluate, explain, ... Nothing is downloaded."
        ),
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the pretrained models")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    get = actions.add_parser("get", help="install a pretrained model as a run directory")
    get.add_argument("name", metavar="NAME", help="model name (see 'biodl pretrained list')")
    get.add_argument("--out", type=Path, required=True, help="run directory to create")
    get.add_argument("--force", action="store_true", help="replace RUN_DIR if it exists")
    p.set_defaults(run=run)


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _list(as_json: bool) -> int:
    from biodl.workflows.pretrained import list_pretrained, pretrained_total_bytes

    models = list_pretrained()
    total = pretrained_total_bytes()
    if as_json:
        print(json.dumps({"total_bytes": total, "models": [m.entry for m in models]}, indent=2))
        return 0
    header = ("name", "task", "dataset", "test metric [95% CI]", "size", "data licence")
    rows = [(m.name, m.task, m.dataset, m.metric_text(), _size(m.bytes), m.licence) for m in models]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [f"{c:<{w}}" for c, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]))
    print(
        f"{len(models)} models, {_size(total)} in all, shipped with biodl (no download). "
        "Install one: biodl pretrained get NAME --out RUN_DIR; its MODEL_CARD.md gives "
        "the data, split, licence and metrics."
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """List the zoo or install one model; returns the exit status."""
    if args.action == "list":
        return _list(args.json)
    from biodl.workflows.pretrained import find_pretrained, get_pretrained

    model = find_pretrained(args.name)
    out = get_pretrained(model.name, args.out, force=args.force)
    print(
        f"installed: {out} ({model.name}: {model.description}; {model.metric_text()} on "
        f"test; {len(model.files)} files, {_size(model.bytes)}, checksums verified)"
    )
    print(f"model card: {out / 'MODEL_CARD.md'}")
    print(f"predict with: biodl predict --model {out} SEQUENCES.fa --out predictions.tsv")
    return 0
