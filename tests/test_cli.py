"""End-to-end tests of the command line on small generated files, and every bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from biodl.cli import main
from biodl.testing import (
    membrane_protein_dataset,
    write_deeploc_fasta,
    write_fasta_file,
    write_genome_and_bed,
    write_table_file,
)
from tests.conftest import base_config

RUN_FILES = {
    "model.safetensors",
    "model.json",
    "config.yaml",
    "metrics.json",
    "predictions.tsv",
    "splits.tsv.gz",
    "roc.png",
    "pr.png",
    "report.html",
    "checkpoints",
    "logs",
}


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory, motif_tables: Path) -> Path:
    config = motif_tables / "trained.yaml"
    config.write_text(yaml.safe_dump(base_config()))
    out = tmp_path_factory.mktemp("runs") / "run"
    assert main(["train", str(config), "--out", str(out)]) == 0
    return out


def test_train_writes_a_complete_run_directory(trained_run: Path) -> None:
    assert {p.name for p in trained_run.iterdir()} >= RUN_FILES
    assert (trained_run / "checkpoints" / "best.safetensors").is_file()
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert set(metrics) == {"valid", "test"}
    for split in metrics.values():
        for name in ("auroc", "auprc", "accuracy", "mcc", "f1", "sensitivity", "specificity"):
            assert set(split[name]) >= {"value", "ci"}
    meta = json.loads((trained_run / "model.json").read_text())
    assert meta["architecture"]["name"] == "deepbind"
    assert meta["input_length"] == 60
    assert meta["alphabet"] == "dna"
    assert meta["labels"] == {"positive": "1", "negative": "0"}
    assert meta["seed"] == 1
    assert all(meta[k] for k in ("user", "host", "command"))  # who, where, how
    assert all(len(f["sha256"]) == 64 for f in meta["data"]["files"])
    assert meta["data"]["splits"]["train"] == {"n": 360, "n_positive": 180}
    html = (trained_run / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "auroc" in html.lower()
    config = yaml.safe_load((trained_run / "config.yaml").read_text())
    assert Path(config["data"]["train"]["table"]).is_absolute()
    assert not list(trained_run.parent.glob("*.partial"))


def test_training_is_deterministic(trained_run: Path, motif_tables: Path, tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    config = motif_tables / "trained.yaml"
    assert main(["train", str(config), "--out", str(tmp_path / "again")]) == 0
    a = load_file(str(trained_run / "model.safetensors"))
    b = load_file(str(tmp_path / "again" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_predict_fasta_and_table(trained_run: Path, tmp_path: Path, motif_tables: Path) -> None:
    seqs = ["ACGT" * 15, "TTGCA" * 14]  # 60 and 70 bp (cropped to 60)
    fasta = write_fasta_file(tmp_path / "in.fa.gz", seqs, ids=["a", "b"])
    out = tmp_path / "pred.tsv"
    assert main(["predict", "--model", str(trained_run), str(fasta), "--out", str(out)]) == 0
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert rows[0] == ["id", "score", "logit", "predicted"]
    assert [r[0] for r in rows[1:]] == ["a", "b"]
    assert all(0.0 <= float(r[1]) <= 1.0 for r in rows[1:])
    out2 = tmp_path / "pred2.tsv"
    table = motif_tables / "test.tsv.gz"
    assert (
        main(
            [
                "predict",
                "--model",
                str(trained_run),
                str(table),
                "--out",
                str(out2),
                "--sequence-column",
                "seq",
            ]
        )
        == 0
    )
    assert len(out2.read_text().splitlines()) == 121


def test_evaluate_reproduces_the_test_metrics(
    trained_run: Path, motif_tables: Path, tmp_path: Path
) -> None:
    out = tmp_path / "eval"
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(trained_run),
                str(motif_tables / "trained.yaml"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    evaluated = json.loads((out / "metrics.json").read_text())
    trained = json.loads((trained_run / "metrics.json").read_text())
    assert evaluated["test"]["auroc"]["value"] == pytest.approx(
        trained["test"]["auroc"]["value"], abs=1e-9
    )
    assert (out / "report.html").is_file()


def test_models_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    assert "deepbind" in capsys.readouterr().out
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"deepbind", "deepsea", "basset", "danq", "dilated_resnet"} <= {r["name"] for r in rows}


# ---------------------------------------------------------------- bad input


def run_bad(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def train_with(
    config: dict[str, object], folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    path = folder / "bad_config.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    message = run_bad(["train", str(path), "--out", str(out)], capsys)
    assert not out.exists(), "no partial output"
    assert not (tmp_path / "out.partial").exists()
    return message


def with_train_table(table: Path) -> dict[str, object]:
    config = base_config()
    config["data"]["train"]["table"] = str(table)  # type: ignore[index]
    return config


def test_bad_empty_file(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    msg = train_with(with_train_table(empty), motif_tables, tmp_path, capsys)
    assert str(empty) in msg
    assert "empty" in msg


def test_bad_truncated_gzip(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (motif_tables / "test.tsv.gz").read_bytes()
    cut = tmp_path / "cut.tsv.gz"
    cut.write_bytes(data[: len(data) // 2])
    config = base_config()
    config["data"]["test"]["table"] = str(cut)  # type: ignore[index]
    msg = train_with(config, motif_tables, tmp_path, capsys)
    assert str(cut) in msg
    assert "truncated" in msg or "corrupt" in msg


def fasta_config(fasta: Path) -> dict[str, object]:
    config = base_config()
    config["data"]["train"] = {  # type: ignore[index]
        "fasta": str(fasta),
        "negatives": {"shuffle": "dinucleotide"},
    }
    return config


def test_bad_fasta_without_header(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = tmp_path / "noheader.fa"
    fasta.write_text("ACGTACGT\n>s1\nACGT\n")
    msg = train_with(fasta_config(fasta), motif_tables, tmp_path, capsys)
    assert msg.startswith(f"biodl: error: {fasta}:1:")


def test_bad_illegal_character(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = tmp_path / "illegal.fa"
    fasta.write_text(">s1\nACGTACGT\n>s2\nACGJACGT\n")
    msg = train_with(fasta_config(fasta), motif_tables, tmp_path, capsys)
    assert f"{fasta}:4:" in msg
    assert "'J'" in msg


def test_bad_sequence_shorter_than_input(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_table_file(tmp_path / "short.tsv", ["ACGT" * 15, "ACGT" * 5], np.array([1, 0]))
    config = base_config()
    config["data"]["test"]["table"] = str(tmp_path / "short.tsv")  # type: ignore[index]
    msg = train_with(config, motif_tables, tmp_path, capsys)
    assert f"{tmp_path / 'short.tsv'}:3:" in msg
    assert "shorter than the model input" in msg


def test_bad_missing_column(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = base_config()
    config["data"]["train"]["label"] = "bound"  # type: ignore[index]
    msg = train_with(config, motif_tables, tmp_path, capsys)
    assert f"{motif_tables / 'train.tsv'}:1:" in msg
    assert "'bound'" in msg


def test_bad_label_values(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_table_file(tmp_path / "labels.tsv", ["ACGT" * 15] * 3, np.array([1, 0, 7]))
    config = base_config()
    config["data"]["test"]["table"] = str(tmp_path / "labels.tsv")  # type: ignore[index]
    msg = train_with(config, motif_tables, tmp_path, capsys)
    assert f"{tmp_path / 'labels.tsv'}:4:" in msg
    assert "unexpected label '7'" in msg


def bed_config(genome: Path, bed: Path) -> dict[str, object]:
    config = base_config()
    config["data"]["train"] = {  # type: ignore[index]
        "bed": {"1": str(bed)},
        "genome": str(genome),
        "length": 60,
        "negatives": {"shuffle": "dinucleotide"},
    }
    config["data"]["test"] = None  # type: ignore[index]
    return config


def test_bad_bed_past_chromosome_end(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    genome, bed = write_genome_and_bed(tmp_path, n_chroms=1, chrom_length=2000, n_peaks=5)
    with bed.open("a") as handle:
        handle.write("chr1\t1950\t2050\tpast\t0\t.\t0\t0\t0\t-1\n")
    msg = train_with(bed_config(genome, bed), motif_tables, tmp_path, capsys)
    assert f"{bed}:6:" in msg
    assert "2050" in msg


def test_bad_bed_unknown_chromosome(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    genome, bed = write_genome_and_bed(tmp_path, n_chroms=1, chrom_length=2000, n_peaks=5)
    with bed.open("a") as handle:
        handle.write("chrZ\t10\t110\tz\t0\t.\t0\t0\t0\t-1\n")
    msg = train_with(bed_config(genome, bed), motif_tables, tmp_path, capsys)
    assert f"{bed}:6:" in msg
    assert "chrZ" in msg


def test_bad_config_unknown_key(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = base_config()
    config["trian"] = {"max_epochs": 1}
    msg = train_with(config, motif_tables, tmp_path, capsys)
    assert "unknown key 'trian'" in msg
    assert "bad_config.yaml:" in msg


def test_bad_config_wrong_type(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = base_config()
    config["train"]["max_epochs"] = "many"  # type: ignore[index]
    msg = train_with(config, motif_tables, tmp_path, capsys)
    assert "'train.max_epochs'" in msg


def test_bad_membrane_head_without_membrane_flags(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seqs, locations, _ = membrane_protein_dataset(20, seed=0)
    fasta = write_deeploc_fasta(tmp_path / "unknown.fa", seqs, locations, ["U"] * len(seqs))
    config = {
        "task": "multiclass",
        "data": {
            "train": {"fasta": str(fasta), "header_label": "deeploc"},
            "valid": {"fraction": 0.2},
            "alphabet": "protein",
            "length": 60,
            "pad_short": True,
        },
        "model": {"name": "deeploc", "conv_filters": 4, "lstm_units": 8, "membrane_head": True},
        "train": {"max_epochs": 1, "progress_bar": False},
    }
    msg = train_with(config, motif_tables, tmp_path, capsys)
    assert msg.startswith(f"biodl: error: {motif_tables / 'bad_config.yaml'}: ")
    assert "membrane" in msg
    assert "M/S" in msg
    assert "header_label: deeploc" in msg


def test_bad_model_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fasta = write_fasta_file(tmp_path / "in.fa", ["ACGT" * 15])
    out = tmp_path / "pred.tsv"
    msg = run_bad(["predict", "--model", str(tmp_path), str(fasta), "--out", str(out)], capsys)
    assert str(tmp_path) in msg
    assert "not a biodl run directory" in msg
    assert not out.exists()


def test_bad_existing_output(
    trained_run: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msg = run_bad(["train", str(motif_tables / "trained.yaml"), "--out", str(trained_run)], capsys)
    assert "--force" in msg


def test_console_script_exit_status(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("task: binary\nbogus: 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "biodl.cli", "train", str(config), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown key 'bogus'" in proc.stderr


def test_cv_reports_mean_and_sd(
    motif_tables: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = base_config()
    config["train"]["max_epochs"] = 1  # type: ignore[index]
    path = motif_tables / "cv.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "cv"
    assert main(["cv", str(path), "--folds", "2", "--out", str(out)]) == 0
    result = json.loads((out / "cv.json").read_text())
    assert result["folds"] == 2
    assert len(result["per_fold"]) == 2
    assert set(result["summary"]["auroc"]) == {"mean", "sd"}
    assert (out / "fold_1" / "model.safetensors").is_file()
    assert "2-fold cross-validation" in capsys.readouterr().out


def test_bad_model_option_names_the_config(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = base_config()
    config["model"]["nfilters"] = 3  # type: ignore[index]
    msg = train_with(config, motif_tables, tmp_path, capsys)
    # the line of the option in the configuration is named too
    assert re.search(
        r"bad_config\.yaml:\d+: unknown key 'model\.nfilters' for model 'deepbind'", msg
    )


def test_dinucleotide_encoding_end_to_end(motif_tables: Path, tmp_path: Path) -> None:
    config = base_config()
    config["data"]["encoding"] = "dinucleotide"  # type: ignore[index]
    config["train"]["max_epochs"] = 1  # type: ignore[index]
    path = motif_tables / "dinuc.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "dinuc"
    assert main(["train", str(path), "--out", str(out)]) == 0
    meta = json.loads((out / "model.json").read_text())
    assert (meta["encoding"], meta["n_channels"]) == ("dinucleotide", 16)
    fasta = write_fasta_file(tmp_path / "in.fa", ["ACGT" * 15])
    assert main(["predict", "--model", str(out), str(fasta), "--out", str(tmp_path / "p.tsv")]) == 0


def test_strand_symmetry_with_dinucleotide_input() -> None:
    import torch

    from biodl.encode import dinucleotide_one_hot, reverse_complement
    from biodl.models import ModelIO, create_model

    torch.manual_seed(0)
    model = create_model("deepbind", {}, io=ModelIO(16, 40, 1)).eval()
    seqs = ["ACGTTGCAAGGCTTAACCGTACGTAGGCTAGCTAGGATCC"[:40]] * 2
    x = torch.from_numpy(dinucleotide_one_hot(seqs))
    x_rc = torch.from_numpy(dinucleotide_one_hot([reverse_complement(s) for s in seqs]))
    torch.testing.assert_close(model(x), model(x_rc), rtol=0, atol=1e-6)
