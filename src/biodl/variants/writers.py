"""Writing variant scores: the input VCF with ``BIODL_*`` INFO fields, and a TSV.

INFO fields, one value per ALT allele (``Number=A``; ``.`` where an allele was
skipped), for each model output ``<o>`` (its name for people,
:attr:`biodl.tasks.Task.names`, sanitised: letters, digits and ``_``):
``BIODL_REF_<o>``, ``BIODL_ALT_<o>``, ``BIODL_DIFF_<o>`` and, for probability outputs,
``BIODL_LOR_<o>``; ``BIODL_SKIP`` holds each allele's skip reason (``.`` if scored).
``BIODL`` is the default prefix: another (``--prefix``, :func:`check_prefix`) lets a
second model's fields sit beside the first one's in the same VCF. Each field's
description names the model and the output.

Both writers write to a hidden temporary file beside the output and rename it when
``close`` is called after the last record; ``abort`` (after an error) removes it.

Examples
--------
>>> output_names(["1", "EI", "a-b", "a_b"])
['1', 'EI', 'a_b', 'a_b_2']
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import numpy as np

from biodl.errors import InputError
from biodl.io.atomic import atomic_path, check_output_path, output_error
from biodl.variants.records import SKIP_REASONS, SequenceSource
from biodl.variants.scoring import VariantScore

__all__ = [
    "DEFAULT_PREFIX",
    "TsvWriter",
    "VcfWriter",
    "check_prefix",
    "output_names",
    "tsv_cells",
    "tsv_header",
]

DEFAULT_PREFIX = "BIODL"
"""The INFO field prefix when none is given (``BIODL_DIFF_<o>``, ``BIODL_SKIP``)."""

_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_prefix(prefix: str) -> str:
    """``prefix`` when it can start VCF INFO keys: a letter or ``_``, then letters,
    digits and ``_``.

    Raises
    ------
    InputError
        For any other text.

    Examples
    --------
    >>> check_prefix("CTCF_v2")
    'CTCF_v2'
    >>> check_prefix("2nd")
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: --prefix '2nd' cannot start a VCF INFO key: ...
    """
    if not _PREFIX.fullmatch(prefix):
        raise InputError(
            f"--prefix {prefix!r} cannot start a VCF INFO key: use a letter or _, then "
            "letters, digits and _"
        )
    return prefix


def _description(text: str) -> str:
    """Text safe inside a VCF header's quoted ``Description``."""
    return text.replace("\\", "/").replace('"', "'")


def output_names(outputs: Sequence[str]) -> list[str]:
    """Model output names made safe for VCF INFO keys and TSV columns, unique."""
    names: list[str] = []
    for name in outputs:
        clean = re.sub(r"[^0-9A-Za-z_]", "_", str(name)) or "output"
        candidate, k = clean, 2
        while candidate in names:
            candidate, k = f"{clean}_{k}", k + 1
        names.append(candidate)
    return names


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def tsv_header(outputs: Sequence[str], *, probabilities: bool, ism: bool = False) -> list[str]:
    """Column names of the scores TSV.

    Examples
    --------
    >>> tsv_header(["1"], probabilities=True)[-4:]
    ['ref_1', 'alt_1', 'diff_1', 'lor_1']
    """
    cols = ["chrom", "pos", "id", "ref", "alt", "norm_pos", "norm_ref", "norm_alt"]
    cols += ["status", "reason"]
    for o in output_names(outputs):
        cols += [f"ref_{o}", f"alt_{o}", f"diff_{o}"] + ([f"lor_{o}"] if probabilities else [])
        if ism:
            cols.append(f"ism_{o}")
    return cols


def tsv_cells(
    score: VariantScore, n_outputs: int, *, probabilities: bool, ism: bool = False
) -> list[str]:
    """One allele's row under :func:`tsv_header` (``NA`` where it was not scored)."""
    v, norm = score.variant, score.normalized
    cells = [v.chrom, str(v.pos), v.id, v.ref, v.alt]
    cells += [str(norm.pos), norm.ref, norm.alt] if norm is not None else ["", "", ""]
    cells += [score.status, score.reason]
    per = 4 if probabilities else 3
    for t in range(n_outputs):
        if score.ref is None or score.alt is None or score.diff is None:
            cells += ["NA"] * (per + int(ism))
            continue
        cells += [_fmt(score.ref[t]), _fmt(score.alt[t]), _fmt(score.diff[t])]
        if probabilities:
            cells.append("NA" if score.lor is None else _fmt(score.lor[t]))
        if ism:
            maps = score.ism
            cells.append("NA" if maps is None else ",".join(f"{x:.4g}" for x in maps[t].ravel()))
    return cells


class _Atomic:
    """:func:`biodl.io.atomic.atomic_path` for a writer that is closed later: ``tmp`` is
    the temporary file, :meth:`commit` renames it (and its ``companions``, an index) to
    ``out``, :meth:`discard` removes them (as does the watcher if the process dies)."""

    def __init__(self, out: Path, *, companions: Sequence[str] = ()) -> None:
        self.out = check_output_path(out)  # e.g. pysam crashes on an unwritable folder
        self._pending = atomic_path(out, companions=companions)
        self.tmp = self._pending.__enter__()
        self._done = False

    def commit(self) -> Path:
        if not self._done:
            self._done = True
            self._pending.__exit__(None, None, None)
        return self.out

    def discard(self) -> None:
        if not self._done:
            self._done = True
            error = _DiscardedError()
            self._pending.__exit__(_DiscardedError, error, None)

    def failed(self, exc: BaseException) -> BaseException:
        """Discard the temporary file; the error to raise for ``exc`` (an
        :class:`~biodl.io.atomic.OutputError` naming ``out`` for a full disk or the like)."""
        self.discard()
        converted = output_error(exc, self.out) if isinstance(exc, OSError) else None
        return exc if converted is None else converted


class _DiscardedError(Exception):
    """Thrown into :func:`atomic_path` to discard its temporary file."""


class TsvWriter:
    """Streamed TSV of per-allele scores (columns: :func:`tsv_header`).

    Parameters
    ----------
    path
        Output file; written atomically (temporary file renamed by :meth:`close`).
    outputs
        Model output names.
    probabilities
        Whether outputs are probabilities (adds ``lor_<o>`` columns).
    ism
        Whether to write the ISM map (``ism_<o>``: ``W x 4`` values, position by
        position, bases A, C, G, T, comma-separated).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        outputs: Sequence[str],
        *,
        probabilities: bool,
        ism: bool = False,
    ) -> None:
        self.n_outputs = len(outputs)
        self.probabilities = probabilities
        self.ism = ism
        self._atomic = _Atomic(Path(path))
        try:
            self._handle: TextIO = self._atomic.tmp.open("x", encoding="utf-8")
        except BaseException:
            self._atomic.discard()
            raise
        header = tsv_header(outputs, probabilities=probabilities, ism=ism)
        self._handle.write("\t".join(header) + "\n")

    def write(self, score: VariantScore) -> None:
        """Write one allele's row."""
        cells = tsv_cells(score, self.n_outputs, probabilities=self.probabilities, ism=self.ism)
        try:
            self._handle.write("\t".join(cells) + "\n")
        except OSError as exc:
            self._close_quietly()
            raise self._atomic.failed(exc) from None

    def _close_quietly(self) -> None:
        with contextlib.suppress(OSError):
            self._handle.close()

    def close(self) -> Path:
        """Finish the file and move it into place."""
        try:
            self._handle.close()
        except OSError as exc:
            raise self._atomic.failed(exc) from None
        except BaseException:
            self._atomic.discard()
            raise
        return self._atomic.commit()

    def abort(self) -> None:
        """Drop the temporary file (after an error)."""
        try:
            self._handle.close()
        finally:
            self._atomic.discard()

    def __enter__(self) -> TsvWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _is_bgzip(path: Path) -> bool:
    return path.name.lower().endswith((".gz", ".bgz"))


_ID = re.compile(r"^##(INFO|contig)=<ID=([^,>]+)")


class VcfWriter:
    """Streamed VCF: the input records, unchanged, with ``<prefix>_*`` INFO fields added.

    Records are copied as text: only the INFO column gets ``;<prefix>_...`` appended (or
    replaced when it was ``.``), so nothing else of the input changes. A name ending in
    ``.gz`` or ``.bgz`` is written bgzip-compressed and then indexed with tabix (when
    the records are sorted); any other name is plain text.

    Parameters
    ----------
    path
        Output file (written atomically).
    header
        The input's header lines (``##...`` and ``#CHROM``, no newlines), or ``None``
        for TSV input (a minimal header is made).
    outputs
        Model output names.
    probabilities
        Whether to declare ``BIODL_LOR_<o>``.
    genome
        Its chromosomes are declared as contigs when the header lacks them.
    meta
        Extra ``##key=value`` provenance lines.
    drop_skipped
        Leave out records none of whose alleles was scored.
    prefix
        The INFO keys' prefix (:data:`DEFAULT_PREFIX`; see :func:`check_prefix`).
    model
        The model as the fields' descriptions name it (``deepbind run /path/to/run``).
    scale
        What the values are, for the descriptions (default ``probability`` or
        ``value``; a track model's ``sum over 8 bins of the values``: its DIFF is SAD).

    Raises
    ------
    InputError
        A bad ``prefix``, or the input already has INFO fields of the same names (it
        was scored with this prefix before): one line naming the first such field.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        header: Sequence[str] | None,
        outputs: Sequence[str],
        *,
        probabilities: bool,
        genome: SequenceSource,
        meta: Mapping[str, str] | None = None,
        drop_skipped: bool = False,
        prefix: str = DEFAULT_PREFIX,
        model: str | None = None,
        scale: str | None = None,
    ) -> None:
        out = Path(path)
        self.scale = scale
        self.prefix = check_prefix(prefix)
        self.model = model
        self.outputs = [str(o) for o in outputs]
        self.names = output_names(outputs)
        self.probabilities = probabilities
        self.drop_skipped = drop_skipped
        self.indexed: Path | None = None
        lines = list(header) if header is not None else [_MINIMAL_HEADER[0], _MINIMAL_HEADER[1]]
        if not lines or not lines[-1].startswith("#CHROM"):
            raise InputError("VCF header does not end with a '#CHROM' line")
        declared = {(m.group(1), m.group(2)) for m in map(_ID.match, lines) if m}
        extra = [
            f"##contig=<ID={chrom},length={size}>"
            for chrom, size in genome.chrom_sizes.items()
            if ("contig", chrom) not in declared
        ]
        extra += [f"##{key}={value}" for key, value in (meta or {}).items()]
        for key, number, kind, text in self._fields():
            if ("INFO", key) in declared:
                raise InputError(
                    f"the input VCF already has an INFO field {key} (scored before with "
                    f"prefix {self.prefix}?): give another --prefix"
                )
            text = _description(text)
            extra.append(f'##INFO=<ID={key},Number={number},Type={kind},Description="{text}">')
        text = "\n".join([*lines[:-1], *extra, lines[-1]]) + "\n"
        self._bgzip = _is_bgzip(out)
        self._atomic = _Atomic(out, companions=(".tbi", ".csi") if self._bgzip else ())
        self._handle: Any
        try:
            if self._bgzip:
                import pysam

                self._handle = pysam.BGZFile(os.fspath(self._atomic.tmp), "wb", None)
            else:
                self._handle = self._atomic.tmp.open("xb")
        except BaseException:
            self._atomic.discard()
            raise
        self._buffer: list[str] = [text]
        self._buffered = len(text)

    def _fields(self) -> list[tuple[str, str, str, str]]:
        fields = []
        p = self.prefix
        scale = self.scale or ("probability" if self.probabilities else "value")
        by = "biodl" if self.model is None else f"biodl {self.model}"
        for o, name in zip(self.names, self.outputs, strict=True):
            what = f"{scale} of output {name}"
            fields += [
                (f"{p}_REF_{o}", "A", "Float", f"{by}: {what} on the REF window"),
                (f"{p}_ALT_{o}", "A", "Float", f"{by}: {what} on the ALT window"),
                (f"{p}_DIFF_{o}", "A", "Float", f"{by}: ALT minus REF {what}"),
            ]
            if self.probabilities:
                text = f"{by}: log odds ratio logit(ALT) - logit(REF) of output {name}"
                fields.append((f"{p}_LOR_{o}", "A", "Float", text))
        reasons = ", ".join(SKIP_REASONS)
        text = f"{by}: why an allele was not scored ({reasons})"
        fields.append((f"{p}_SKIP", "A", "String", text))
        return fields

    def _emit(self, line: str) -> None:
        self._buffer.append(line)
        self._buffered += len(line)
        if self._buffered >= 1 << 16:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            try:
                self._handle.write("".join(self._buffer).encode("utf-8"))
            except OSError as exc:
                with contextlib.suppress(OSError, ValueError):
                    self._handle.close()
                raise self._atomic.failed(exc) from None
        self._buffer, self._buffered = [], 0

    def write(self, line: str | None, scores: Sequence[VariantScore]) -> None:
        """Write one input record (its VCF line; ``None`` for TSV input) with its scores."""
        if self.drop_skipped and all(s.status == "skipped" for s in scores):
            return
        if line is None:
            v = scores[0].variant
            alts = ",".join(s.variant.alt for s in scores)
            line = f"{v.chrom}\t{v.pos}\t{v.id}\t{v.ref}\t{alts}\t.\t.\t."
        fields = line.split("\t")
        added = self._info(scores) if fields[4] != "." else []
        if added:
            info = ";".join(added)
            fields[7] = info if fields[7] in ("", ".") else f"{fields[7]};{info}"
        self._emit("\t".join(fields) + "\n")

    def _info(self, scores: Sequence[VariantScore]) -> list[str]:
        added = []
        p = self.prefix
        if any(s.status == "scored" for s in scores):
            for t, o in enumerate(self.names):
                added.append(f"{p}_REF_{o}=" + _cells([s.ref for s in scores], t))
                added.append(f"{p}_ALT_{o}=" + _cells([s.alt for s in scores], t))
                added.append(f"{p}_DIFF_{o}=" + _cells([s.diff for s in scores], t))
                if self.probabilities:
                    added.append(f"{p}_LOR_{o}=" + _cells([s.lor for s in scores], t))
        if any(s.status == "skipped" for s in scores):
            reasons = ",".join(s.reason if s.status == "skipped" else "." for s in scores)
            added.append(f"{p}_SKIP={reasons}")
        return added

    def close(self) -> Path:
        """Finish the file, index a bgzipped VCF, move both into place."""
        try:
            self._flush()
            self._handle.close()
        except OSError as exc:
            with contextlib.suppress(OSError, ValueError):
                self._handle.close()
            raise self._atomic.failed(exc) from None
        except BaseException:
            self.abort()
            raise
        tmp = self._atomic.tmp
        indexed = False
        if self._bgzip:
            import pysam

            try:
                with contextlib.suppress(OSError, ValueError):  # unsorted records: no index
                    pysam.tabix_index(os.fspath(tmp), preset="vcf", force=True)
                indexed = Path(f"{tmp}.tbi").exists()
            except BaseException:
                self._atomic.discard()
                raise
        # the file and its new index are committed together; an index of an older file
        # is removed (it would be wrong)
        out = self._atomic.commit()
        self.indexed = Path(f"{out}.tbi") if indexed else None
        return out

    def abort(self) -> None:
        """Drop the temporary file (after an error)."""
        try:
            self._handle.close()
        finally:
            self._atomic.discard()


_MINIMAL_HEADER = ("##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")


def _cells(values: Sequence[np.ndarray | None], t: int) -> str:
    return ",".join("." if v is None else _fmt(float(v[t])) for v in values)
