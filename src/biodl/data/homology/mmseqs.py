"""The MMseqs2 engine: linked pairs and clusters from the ``mmseqs`` executable.

`MMseqs2 <https://github.com/soedinglab/MMseqs2>`_ on ``PATH``. Single linkage runs
an all-against-all ``mmseqs easy-search`` (``-s 7.5`` for the most sensitive
prefilter, since 30 % identity is below what the default sensitivity finds
reliably; ``--alignment-mode 3`` for real identities; ``--seq-id-mode 1``;
``-c coverage --cov-mode 0``; ``--min-seq-id identity - 0.05`` so that borderline
pairs are re-checked rather than lost to rounding; ``-e inf`` so that only identity
and coverage decide; ``--max-seqs 1000``). Identity and coverage are then recomputed
from the reported alignments with the definitions of
:mod:`biodl.data.homology.align`, and the components taken
here, which is exact single linkage over the pairs MMseqs2 reports (its own
``--cluster-mode 1`` runs on a cascade of representatives and can miss links
between members). Greedy linkage runs ``mmseqs easy-cluster --cluster-mode 2
--cluster-reassign 1`` with the same identity, coverage and sensitivity options.

Examples
--------
>>> isinstance(mmseqs_available(), bool)
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from biodl.data.homology._common import _first_appearance, _FloatArray, _IntArray, _UnionFind
from biodl.data.homology.align import _ALIGN_ALPHABET
from biodl.errors import InputError
from biodl.progress import step

__all__ = ["mmseqs_available"]

_MMSEQS_SENSITIVITY = 7.5
_MMSEQS_MAX_SEQS = 1000
_MMSEQS_ID_SLACK = 0.05
"""MMseqs2 is asked for pairs down to ``identity - 0.05``; the exact threshold is then
applied to identities recomputed from the reported alignments."""


def mmseqs_available() -> bool:
    """Whether an ``mmseqs`` executable is on ``PATH``.

    Examples
    --------
    >>> isinstance(mmseqs_available(), bool)
    True
    """
    return shutil.which("mmseqs") is not None


def _mmseqs_exe() -> str:
    exe = shutil.which("mmseqs")
    if exe is None:
        msg = (
            "method 'mmseqs' needs the MMseqs2 executable 'mmseqs' on PATH (e.g. apt-get "
            "install mmseqs2 or conda install -c bioconda mmseqs2); method 'python' "
            "works without it on small sets"
        )
        raise InputError(msg)
    return exe


def _write_fasta(path: Path, sequences: Iterable[str], prefix: str) -> None:
    with path.open("w", encoding="ascii") as handle:
        for i, seq in enumerate(sequences):
            handle.write(f">{prefix}{i}\n{seq.translate(_ALIGN_ALPHABET)}\n")


def _run(args: list[str], work: Path) -> None:
    with step(f"MMseqs2 {args[1]}"):
        proc = subprocess.run(args, cwd=work, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        msg = f"{' '.join(args[:2])} failed with exit status {proc.returncode}:\n{tail}"
        raise RuntimeError(msg)


def _common_options(identity: float | None, coverage: float, threads: int | None) -> list[str]:
    opts = [
        "-s",
        str(_MMSEQS_SENSITIVITY),
        "--alignment-mode",
        "3",
        "--seq-id-mode",
        "1",
        "-c",
        str(coverage),
        "--cov-mode",
        "0",
        "-e",
        "inf",
        "-v",
        "1",
    ]
    if identity is not None:
        opts += ["--min-seq-id", str(max(0.0, identity - _MMSEQS_ID_SLACK))]
    if threads is not None:
        opts += ["--threads", str(max(1, int(threads)))]
    return opts


_SEARCH_COLUMNS = "query,target,qstart,qend,qlen,tstart,tend,tlen,qaln,taln"


def _mmseqs_search(
    queries: list[str],
    targets: list[str] | None,
    *,
    identity: float | None,
    coverage: float,
    threads: int | None,
    tmp_dir: str | os.PathLike[str] | None,
) -> tuple[_IntArray, _IntArray, _FloatArray, _FloatArray]:
    """``mmseqs easy-search``: query index, target index, identity and coverage (our
    definitions, recomputed from the alignments) of each reported hit."""
    exe = _mmseqs_exe()
    with tempfile.TemporaryDirectory(prefix="biodl-mmseqs-", dir=tmp_dir) as tmp:
        work = Path(tmp)
        _write_fasta(work / "q.fasta", queries, "q")
        target_fasta = "q.fasta"
        if targets is not None:
            _write_fasta(work / "t.fasta", targets, "t")
            target_fasta = "t.fasta"
        args = [exe, "easy-search", "q.fasta", target_fasta, "hits.tsv", "tmp"]
        args += _common_options(identity, coverage, threads)
        args += ["--max-seqs", str(_MMSEQS_MAX_SEQS), "--format-output", _SEARCH_COLUMNS]
        _run(args, work)
        lines = (work / "hits.tsv").read_text(encoding="ascii").splitlines()
    qs: list[int] = []
    ts: list[int] = []
    ids: list[float] = []
    covs: list[float] = []
    for line in lines:
        f = line.split("\t")
        if len(f) < 10:
            continue
        q, t = int(f[0][1:]), int(f[1][1:])
        qstart, qend, qlen, tstart, tend, tlen = (int(v) for v in f[2:8])
        same = sum(1 for x, y in zip(f[8], f[9], strict=False) if x == y and x not in "-X")
        shorter, longer = min(qlen, tlen), max(qlen, tlen)
        cov = min((qend - qstart + 1) / qlen, (tend - tstart + 1) / tlen, shorter / longer)
        qs.append(q)
        ts.append(t)
        ids.append(same / shorter)
        covs.append(cov)
    return (
        np.array(qs, dtype=np.int64),
        np.array(ts, dtype=np.int64),
        np.array(ids, dtype=np.float64),
        np.array(covs, dtype=np.float64),
    )


def _mmseqs_single(
    seqs: list[str],
    identity: float,
    coverage: float,
    threads: int | None,
    tmp_dir: str | os.PathLike[str] | None,
) -> _IntArray:
    qi, ti, ident, cov = _mmseqs_search(
        seqs, None, identity=identity, coverage=coverage, threads=threads, tmp_dir=tmp_dir
    )
    uf = _UnionFind(len(seqs))
    linked = (ident >= identity) & (cov >= coverage) & (qi != ti)
    for a, b in zip(qi[linked].tolist(), ti[linked].tolist(), strict=True):
        uf.union(a, b)
    return uf.labels()


def _mmseqs_greedy(
    seqs: list[str],
    identity: float,
    coverage: float,
    threads: int | None,
    tmp_dir: str | os.PathLike[str] | None,
) -> _IntArray:
    exe = _mmseqs_exe()
    with tempfile.TemporaryDirectory(prefix="biodl-mmseqs-", dir=tmp_dir) as tmp:
        work = Path(tmp)
        _write_fasta(work / "in.fasta", seqs, "q")
        args = [exe, "easy-cluster", "in.fasta", "out", "tmp"]
        args += _common_options(identity, coverage, threads)
        args += ["--cluster-mode", "2", "--cluster-reassign", "1"]
        # the slack of --min-seq-id is for searches; here the threshold is the criterion
        args[args.index("--min-seq-id") + 1] = str(identity)
        _run(args, work)
        lines = (work / "out_cluster.tsv").read_text(encoding="ascii").splitlines()
    rep_of = np.arange(len(seqs), dtype=np.int64)
    for line in lines:
        rep, member = line.split("\t")[:2]
        rep_of[int(member[1:])] = int(rep[1:])
    return _first_appearance(rep_of)
