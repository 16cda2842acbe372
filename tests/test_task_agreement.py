"""``predict``, ``evaluate``, ``assess`` and ``score-variants`` score a run the same way.

One trained run of each task kind (binary, multi-class, multi-label, regression with
squared error and with a Poisson loss); the same test sequences are scored by the four
paths and compared number for number. Outputs → scores has one home
(:mod:`biodl.tasks`); before it there were three copies that disagreed on a Poisson run
(``score-variants`` reported the log rate, the others the rate).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from biodl.assess import load_inputs
from biodl.tasks import Regression, task_from_meta
from biodl.testing.assess_runs import write_assess_data
from biodl.testing.variants import write_genome, write_vcf
from biodl.workflows import evaluate_run, predict_file, score_vcf, train_run

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

KINDS = ["binary", "multiclass", "multilabel", "regression", "poisson"]
RTOL = 2e-5  # tables print 6 significant digits


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _score_columns(row: dict[str, str], outputs: tuple[str, ...], kind: str) -> np.ndarray:
    """The scores of one predictions row, in output order."""
    if kind == "binary":
        return np.array([float(row["score"])])
    prefix = "prob_" if kind == "multiclass" else "pred_"
    return np.array([float(row[f"{prefix}{o}"]) for o in outputs])


@pytest.fixture(scope="module", params=KINDS)
def trained(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    kind: str = request.param
    folder = tmp_path_factory.mktemp(kind)
    config_path = write_assess_data(
        folder, task="regression" if kind == "poisson" else kind, seed=3
    )  # type: ignore[arg-type]
    config = yaml.safe_load(config_path.read_text())
    config["train"]["max_epochs"] = 2
    if kind == "poisson":
        config["train"]["loss"] = "poisson"
    config_path.write_text(yaml.safe_dump(config))
    run = train_run(config_path, folder / "run").out
    return kind, folder, config_path, run


def test_predict_evaluate_assess_and_score_variants_agree(trained: tuple) -> None:
    kind, folder, config_path, run = trained
    meta = yaml.safe_load((run / "model.json").read_text())
    task = task_from_meta(meta)
    if kind == "poisson":
        assert isinstance(task, Regression)
        assert task.loss_name == "poisson"
    length = int(meta["input_length"])

    # evaluate: the test split's predictions.tsv
    evaluation = evaluate_run(run, config_path, out=folder / "evaluation").out
    rows = [r for r in _read_tsv(evaluation / "predictions.tsv") if r["split"] == "test"]
    assert rows
    evaluated = {r["id"]: _score_columns(r, task.outputs, kind) for r in rows}

    # assess: the logits it computes, through the run's task
    inputs = load_inputs(run)
    test = inputs.splits["test"]
    assert test.logits is not None
    assessed = dict(zip(test.ids, inputs.scores(test.logits), strict=True))

    # predict: the same sequences (as the model saw them) from a FASTA
    sequences = {i: s[:length] for i, s in zip(test.ids, test.sequences, strict=True)}
    sequences = {i: s for i, s in sequences.items() if len(s) == length and "N" not in s}
    fasta = folder / "test.fa"
    fasta.write_text("".join(f">{i}\n{s}\n" for i, s in sequences.items()))
    predicted_rows = _read_tsv(predict_file(run, fasta, folder / "predicted.tsv").out)
    predicted = {r["id"]: _score_columns(r, task.outputs, kind) for r in predicted_rows}

    # score-variants: each sequence is its own chromosome; a SNV at the anchor (L // 2,
    # 0-based) has the sequence itself as its REF window
    chroms = {f"c{k}": s for k, s in enumerate(sequences.values())}
    genome = write_genome(folder / "genome.fa", chroms)
    anchor = length // 2
    records = []
    for chrom, seq in chroms.items():
        ref = seq[anchor]
        alt = "A" if ref != "A" else "C"
        records.append((chrom, anchor + 1, chrom, ref, alt))
    vcf = write_vcf(folder / "v.vcf", records, contigs=dict.fromkeys(chroms, length))
    score_vcf(
        run, genome, vcf, folder / "scored.vcf.gz", tsv=folder / "scored.tsv", strands="forward"
    )
    by_chrom = {r["id"]: r for r in _read_tsv(folder / "scored.tsv")}
    names = task.names  # the outputs' names for people (binary 0/1: the label column)
    for (seq_id, _), chrom in zip(sequences.items(), chroms, strict=True):
        want = predicted[seq_id]
        np.testing.assert_allclose(evaluated[seq_id], want, rtol=RTOL, atol=1e-6)
        np.testing.assert_allclose(assessed[seq_id], want, rtol=RTOL, atol=1e-6)
        row = by_chrom[chrom]
        assert row["status"] == "scored"
        variant_ref = np.array([float(row[f"ref_{o}"]) for o in names])
        np.testing.assert_allclose(variant_ref, want, rtol=1e-3, atol=1e-5)
