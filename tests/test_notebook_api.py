"""The notebook API: configurations as mappings or Config objects, examples, predictions
and variants in memory, sharing the file routes' code (GitHub issue #16)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyfaidx
import pysam
import pytest
import yaml
from safetensors.numpy import load_file

from biodl.config import parse_config
from biodl.errors import ConfigError, InputError
from biodl.runs import load_run
from biodl.testing import planted_motif_dataset
from biodl.testing.variants import write_genome, write_tiny_run
from biodl.variants import score_variants
from biodl.workflows import predict_file, predict_frame, score_variants_frame, score_vcf, train_run
from tests.conftest import base_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _frames(motif_tables: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = pd.read_csv(motif_tables / "train.tsv", sep="\t", dtype={"Bound": int})
    test = pd.read_csv(motif_tables / "test.tsv.gz", sep="\t")
    return train, test


def _memory_config() -> dict[str, Any]:
    config = base_config()
    del config["data"]["train"]["table"]
    del config["data"]["test"]["table"]
    return config


def _weights(run: Path) -> dict[str, np.ndarray]:
    return load_file(run / "model.safetensors")


def test_dataframe_route_matches_the_yaml_route(
    write_config: Any, motif_tables: Path, tmp_path: Path
) -> None:
    by_file = train_run(write_config(base_config()), tmp_path / "file")
    train, test = _frames(motif_tables)
    in_memory = train_run(_memory_config(), tmp_path / "memory", data=train, test=test)
    assert in_memory.metrics == by_file.metrics
    a, b = _weights(tmp_path / "file"), _weights(tmp_path / "memory")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    files = in_memory.meta["data"]["files"]
    assert [f["path"] for f in files] == ["<in memory: train>", "<in memory: test>"]
    assert all(len(f["sha256"]) == 64 and f["rows"] > 0 for f in files)
    written = yaml.safe_load((tmp_path / "memory" / "config.yaml").read_text())
    assert written["data"]["train"]["table"] == "<in memory>"


def test_mapping_and_config_object_train_as_the_file(
    motif_tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(motif_tables)  # a mapping's relative paths resolve here
    config = base_config(train={"max_epochs": 1, "seed": 1, "progress_bar": False})
    from_dict = train_run(config, tmp_path / "dict")
    from_object = train_run(parse_config(config, base_dir=motif_tables), tmp_path / "object")
    assert from_dict.metrics == from_object.metrics
    for key, value in _weights(tmp_path / "dict").items():
        np.testing.assert_array_equal(value, _weights(tmp_path / "object")[key])


def test_mapping_is_validated_strictly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key 'trian'"):
        train_run({**base_config(), "trian": {}}, tmp_path / "x")
    with pytest.raises(ConfigError, match=r"'model\.nfilters'"):
        train_run(base_config(model={"name": "deepbind", "nfilters": 3}), tmp_path / "x")
    with pytest.raises(ConfigError, match="not int"):
        train_run(42, tmp_path / "x")  # type: ignore[arg-type]


def test_sequences_and_labels_with_a_split_column(tmp_path: Path) -> None:
    seqs, labels = planted_motif_dataset(40, 40, length=40, seed=2)
    config = {
        "task": "binary",
        "model": {"name": "deepbind", "n_filters": 4, "filter_width": 8, "hidden": 4},
        "train": {"max_epochs": 1, "seed": 0, "progress_bar": False},
        "evaluate": {"n_bootstrap": 0},
    }
    run = train_run(config, tmp_path / "pair", data=(seqs, labels))
    assert run.meta["data"]["splits"]["train"]["n"] == 80
    split = ["valid" if i % 4 == 0 else "test" if i % 4 == 1 else "train" for i in range(80)]
    frame = pd.DataFrame({"sequence": seqs, "label": labels, "split": split})
    config["data"] = {"train": {"label": "label"}}
    run = train_run(config, tmp_path / "split", data=frame)
    sizes = {k: v["n"] for k, v in run.meta["data"]["splits"].items()}
    assert sizes == {"train": 40, "valid": 20, "test": 20}


def test_a_missing_column_is_one_clear_error(motif_tables: Path, tmp_path: Path) -> None:
    train, test = _frames(motif_tables)
    with pytest.raises(InputError) as info:
        train_run(_memory_config(), tmp_path / "x", data=train.drop(columns=["Bound"]), test=test)
    assert str(info.value) == (
        "in-memory train data: label column 'Bound' not found; columns are: id, seq, chrom"
    )
    assert not (tmp_path / "x").exists()
    bad = train.copy()
    bad.loc[2, "seq"] = "ACXT" + bad.loc[2, "seq"]
    with pytest.raises(InputError, match="row 3: illegal character 'X'"):
        train_run(_memory_config(), tmp_path / "x", data=bad, test=test)


def test_predict_frame_equals_predict_file(
    write_config: Any, motif_tables: Path, tmp_path: Path
) -> None:
    run = train_run(write_config(base_config()), tmp_path / "run")
    written = predict_file(
        run.out, motif_tables / "test.tsv.gz", tmp_path / "p.tsv", sequence_column="seq"
    )
    with open(written.out, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    _, test = _frames(motif_tables)
    for data in (test, test["seq"].tolist()):
        frame = predict_frame(load_run(run.out), data, sequence_column="seq")
        assert list(frame.columns) == ["id", "score", "logit", "predicted"]
        assert frame["score"].dtype == np.float64
        assert frame["score"].tolist() == [float(r["score"]) for r in rows]
        assert frame["logit"].tolist() == [float(r["logit"]) for r in rows]
        assert frame["predicted"].tolist() == [r["predicted"] for r in rows]
    from_path = predict_frame(run.out, motif_tables / "test.tsv.gz", sequence_column="seq")
    assert from_path["id"].tolist() == [r["id"] for r in rows]


GENOME = "ACGTTGCAACGGTACCATGGCATCGATCGGATCCAAGCTTGCA" * 3


def _variant_inputs(tmp_path: Path) -> tuple[Path, Path, pd.DataFrame]:
    run = write_tiny_run(tmp_path / "run", length=11)
    genome = write_genome(tmp_path / "g.fa", {"c1": GENOME})
    table = pd.DataFrame(
        {
            "chrom": ["c1", "c1", "c1"],
            "pos": [5, 20, 30],
            "ref": [GENOME[4], GENOME[19], GENOME[29]],
            "alt": ["A" if GENOME[4] != "A" else "C", "G,T", "<DEL>"],
            "id": ["v1", "v2", "v3"],
        }
    )
    return run, genome, table


def test_variants_frame_from_path_pyfaidx_and_pysam_agree_with_the_tsv(tmp_path: Path) -> None:
    run, genome, table = _variant_inputs(tmp_path)
    tsv = tmp_path / "v.tsv"
    table[["chrom", "pos", "ref", "alt", "id"]].to_csv(tsv, sep="\t", index=False)
    score_vcf(run, genome, tsv, tmp_path / "out.vcf", tsv=tmp_path / "scores.tsv")
    expected = pd.read_csv(tmp_path / "scores.tsv", sep="\t", keep_default_na=False)
    by_path = score_variants_frame(run, genome, table)
    assert list(by_path.columns) == list(expected.columns)
    assert by_path["status"].tolist() == expected["status"].tolist()
    assert by_path["status"].tolist()[-1] == "skipped"  # the symbolic <DEL>
    assert by_path["id"].tolist() == expected["id"].tolist()
    np.testing.assert_array_equal(
        by_path["diff_1"].to_numpy(),
        pd.to_numeric(expected["diff_1"].replace("NA", np.nan)).to_numpy(),
    )
    with pyfaidx.Fasta(str(genome)) as fasta:
        by_pyfaidx = score_variants_frame(run, fasta, table)
    fasta_file = pysam.FastaFile(str(genome))
    try:
        by_pysam = score_variants_frame(load_run(run), fasta_file, table)
    finally:
        fasta_file.close()
    pd.testing.assert_frame_equal(by_pyfaidx, by_path)
    pd.testing.assert_frame_equal(by_pysam, by_path)


def test_score_variants_takes_a_dataframe_and_an_open_fasta(tmp_path: Path) -> None:
    # was: AttributeError ('str' object has no attribute ...) iterating the column names
    run, genome, table = _variant_inputs(tmp_path)
    loaded = load_run(run)
    with pyfaidx.Fasta(str(genome)) as fasta:
        scores = list(score_variants(loaded.model, fasta, table, length=loaded.input_length))
    assert [s.variant.id for s in scores] == ["v1", "v2", "v2", "v3"]
    with pytest.raises(InputError, match="column 'alt' not found"):
        score_variants_frame(run, genome, table.drop(columns=["alt"]))


def test_explain_in_memory_in_two_lines(tmp_path: Path) -> None:
    from biodl import interpret

    run = load_run(write_tiny_run(tmp_path / "run", length=11))
    X = run.input_kind.encode([run.fit_input(s, record="s") for s in ["ACGTACGTACGTA", "G" * 11]])
    result = interpret.attribute(run.model, X, method="saliency")
    assert result.values.shape == (2, 4, 11)
