"""``biodl predict``: score a sequence file with a trained model, streamed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from biodl.errors import InputError
from biodl.io import AlphabetName, read_sequences, read_table
from biodl.models import has_membrane_head
from biodl.train import load_run
from biodl.workflows._common import _cell, _encode, _fit_input, _Labels, _predict_outputs

__all__ = ["predict_file"]


def _iter_inputs(
    path: Path, *, sequence_column: str | None, id_column: str | None, alphabet: AlphabetName
) -> Iterator[tuple[str, str, int]]:
    """``(id, sequence, line)`` of each input record, streamed."""
    if sequence_column is not None:
        table = read_table(path, sequence=sequence_column, id=id_column, alphabet=alphabet)
        yield from zip(table.ids, table.sequences, table.lines, strict=True)
        return
    for rec in read_sequences(path, alphabet=alphabet):
        yield rec.id, rec.sequence, rec.line


def _batched(
    items: Iterator[tuple[str, str, int]], size: int
) -> Iterator[list[tuple[str, str, int]]]:
    batch: list[tuple[str, str, int]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def predict_file(
    model_dir: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    sequence_column: str | None = None,
    id_column: str | None = None,
    pad_short: bool = False,
    batch_size: int = 512,
    device: str | None = None,
    chunk_size: int = 20000,
) -> Path:
    """Score every sequence of a FASTA/FASTQ file (or a table) with a trained model.

    FASTA/FASTQ input is streamed in chunks of ``chunk_size`` records, so memory does
    not grow with the file.

    Parameters
    ----------
    model_dir
        A run directory written by :func:`train_run`.
    input_path
        FASTA or FASTQ (plain or gzip), or a TSV/CSV table when ``sequence_column`` is set.
    out
        TSV written atomically with columns ``id``, ``score`` (probability of the positive
        class) and ``logit`` for a binary model; ``id``, ``predicted`` and ``prob_<class>``
        for each class for a multi-class model; ``id`` and ``pred_<output>`` for each
        output of a multi-label (probability) or regression (value) model, per-position
        outputs as comma-separated values (one per position or bin). A ``deeploc``
        model with a membrane head (``membrane_head: true``) adds a last column
        ``membrane``, the probability that the protein is membrane-bound (not soluble).
    pad_short
        Pad sequences shorter than the model input with N instead of failing.

    When the run directory holds a calibration temperature ``T`` (``temperature.json``,
    written by ``biodl assess --save-temperature``), the logits of a classification
    model are divided by ``T`` before the probabilities are taken, and the ``logit``
    column holds the scaled logit.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    run = load_run(model_dir)
    if run.meta.get("encoding") == "cpg":
        raise InputError(
            "this model scores CpG sites from methylation profiles, not sequences: "
            "use 'biodl evaluate' with a configuration that lists the profiles",
            path=Path(model_dir) / "model.json",
        )
    path = Path(input_path)
    records = _iter_inputs(
        path, sequence_column=sequence_column, id_column=id_column, alphabet=run.alphabet
    )
    labels = _Labels.of_run(run.meta)
    # a calibration temperature saved by `biodl assess --save-temperature` rescales the
    # logits of classification models (regression outputs are values, not logits)
    temperature = run.temperature if labels.task != "regression" else 1.0
    with_membrane = has_membrane_head(run.model)
    extra_head = "\tmembrane" if with_membrane else ""
    out_path = Path(out)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    n = 0
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            if labels.numeric:
                pred_head = "\t".join(f"pred_{c}" for c in labels.classes)
                handle.write(f"id\t{pred_head}{extra_head}\n")
            elif labels.task == "multiclass":
                probs_head = "\t".join(f"prob_{c}" for c in labels.classes)
                handle.write(f"id\tpredicted\t{probs_head}{extra_head}\n")
            else:
                handle.write(f"id\tscore\tlogit{extra_head}\n")
            for chunk in _batched(records, chunk_size):
                fitted = [
                    _fit_input(i, seq, line, run=run, path=path, pad_short=pad_short)
                    for i, seq, line in chunk
                ]
                X = _encode(
                    fitted, alphabet=run.alphabet, unknown=run.unknown, encoding=run.encoding
                )
                logits, membrane_logits = _predict_outputs(
                    run.model, X, batch_size=batch_size, device=device
                )
                if temperature != 1.0:
                    logits = logits / temperature
                probs = labels.probabilities(logits)
                # the membrane probability (not temperature-scaled), else nothing
                extra = [""] * len(chunk)
                if membrane_logits is not None:
                    membrane = torch.sigmoid(membrane_logits.float()).tolist()
                    extra = [f"\t{m:.6g}" for m in membrane]
                if labels.numeric:
                    for (seq_id, _, _), row, more in zip(chunk, probs, extra, strict=True):
                        cells = "\t".join(_cell(v) for v in row)
                        handle.write(f"{seq_id}\t{cells}{more}\n")
                elif labels.task == "multiclass":
                    for (seq_id, _, _), row, more in zip(chunk, probs, extra, strict=True):
                        cells = "\t".join(f"{v:.6g}" for v in row)
                        pred = labels.classes[int(np.argmax(row))]
                        handle.write(f"{seq_id}\t{pred}\t{cells}{more}\n")
                else:
                    for (seq_id, _, _), p, z, more in zip(
                        chunk, probs.tolist(), logits[:, 0].tolist(), extra, strict=True
                    ):
                        handle.write(f"{seq_id}\t{p:.6g}\t{z:.6g}{more}\n")
                n += len(chunk)
        if n == 0:
            raise InputError("no sequences to score", path=path)
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out_path
