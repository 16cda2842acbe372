"""Write MultiLoc's sorting-signal annotations as a multi-label table (issue #4).

Each header of ``shared/data/multiloc`` may name an N-terminal sorting signal: ``SP``
(signal peptide), ``mTP`` (mitochondrial transit peptide), ``cTP`` (chloroplast transit
peptide) or ``SA`` (signal anchor). The table has one 0/1 column per signal (all four 0
for a protein without annotation), plus the localisation, for a multi-label model such as
``deepgoplus_cnn`` (``examples/multiloc_signals_deepgoplus.yaml``).

Usage::

    .venv/bin/python bench/multiloc_signals.py --out bench/out/multiloc_signals.tsv
"""

from __future__ import annotations

import argparse
from pathlib import Path

from biodl.io import read_fasta

SIGNALS = ("SP", "mTP", "cTP", "SA")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/multiloc"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/multiloc_signals.tsv"))
    args = parser.parse_args()
    lines = ["id\tsequence\tlocation\t" + "\t".join(SIGNALS)]
    for path in sorted(args.data.glob("*.fasta")):
        for rec in read_fasta(path, alphabet=None):
            words = rec.description.split()
            flags = ["1" if words and words[0] == s else "0" for s in SIGNALS]
            lines.append(f"{rec.id}\t{rec.sequence}\t{path.stem}\t" + "\t".join(flags))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(args.out)
    print(f"{len(lines) - 1} proteins -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
