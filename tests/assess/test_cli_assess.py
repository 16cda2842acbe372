"""``biodl assess`` and ``biodl train --assess`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from biodl.assess import ITEM_ORDER
from biodl.cli import main
from biodl.testing.assess_runs import tiny_run, write_assess_data

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_run(tmp_path_factory.mktemp("cli"))


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("biodl: error: "), err
    return err


def test_assess_writes_the_folder_and_prints_one_line_per_item(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "assessment"
    code = main(["assess", "--model", str(run), "--out", str(out), "--group", "tissue"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[: len(ITEM_ORDER) + 1]] == [*ITEM_ORDER, "overall"]
    assert {p.name for p in out.iterdir()} == {"assessment.json", "report.html", "model_card.md"}
    data = json.loads((out / "assessment.json").read_text())
    assert data["overall"] in ("green", "amber", "red")
    groups = json.dumps(data["subgroups"])
    assert "tissue" in groups or data["subgroups"]["flag"] == "not_assessed"


def test_bad_inputs_exit_2_with_one_line(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a"
    assert main(["assess", "--model", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert "not a biodl run directory" in _error_line(capsys)
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: binary\ndata: {train: {tabel: x}}\n")
    assert main(["assess", "--model", str(run), "--config", str(bad), "--out", str(out)]) == 2
    assert "bad.yaml" in _error_line(capsys)
    assert main(["assess", "--model", str(run), "--group", "nope", "--out", str(out)]) == 2
    assert "'nope' not found" in _error_line(capsys)
    assert not out.exists()
    assert not list(tmp_path.glob("*.partial"))
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["assess", "--model", str(run), "--out", str(out)]) == 2
    assert "--force" in _error_line(capsys)
    assert (out / "keep.txt").is_file()


def test_train_with_assess_writes_run_assessment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_assess_data(tmp_path, task="regression")
    out = tmp_path / "run"
    assert main(["train", str(config), "--out", str(out), "--assess"]) == 0
    data = json.loads((out / "assessment" / "assessment.json").read_text())
    assert data["order"] == list(ITEM_ORDER)
    assert data["model"]["task"] == "regression"
    assert "overall" in capsys.readouterr().out


def test_learning_curve_is_drawn_in_the_data_quantity_item(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lc"
    assert main(["assess", "--model", str(run), "--out", str(out), "--learning-curve"]) == 0
    data = json.loads((out / "assessment.json").read_text())
    curve = data["data_quantity"]["learning_curve"]
    assert curve["fractions"] == [0.25, 0.5, 1.0]
    assert curve["n_train"] == sorted(curve["n_train"])
    assert "Learning curve" in (out / "report.html").read_text()
    assert "learning_curve" in data["timings"]


def test_saved_temperature_is_applied_by_predict(tmp_path: Path) -> None:
    import shutil

    import numpy as np

    from biodl.runs import load_run

    base = tiny_run(tmp_path / "data")
    run = tmp_path / "run_copy"  # the module's run is shared: work on a copy
    shutil.copytree(base, run)
    fasta = tmp_path / "new.fa"
    lines = (tmp_path / "data" / "test.tsv").read_text().splitlines()
    column = lines[0].split("\t").index("seq")
    seqs = [line.split("\t")[column] for line in lines[1:6]]
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    assert main(["predict", "--model", str(run), str(fasta), "--out", str(tmp_path / "a.tsv")]) == 0
    argv = ["assess", "--model", str(run), "--out", str(tmp_path / "as"), "--save-temperature"]
    assert main(argv) == 0
    saved = json.loads((run / "temperature.json").read_text())
    assert saved["fitted_on"] == "valid"
    temperature = load_run(run).temperature
    assert temperature == saved["temperature"] > 0
    calibration = json.loads((tmp_path / "as" / "assessment.json").read_text())["calibration"]
    assert calibration["temperature"] == pytest.approx(temperature)
    assert main(["predict", "--model", str(run), str(fasta), "--out", str(tmp_path / "b.tsv")]) == 0
    raw = np.loadtxt(tmp_path / "a.tsv", skiprows=1, usecols=(1, 2))
    scaled = np.loadtxt(tmp_path / "b.tsv", skiprows=1, usecols=(1, 2))
    np.testing.assert_allclose(scaled[:, 1], raw[:, 1] / temperature, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scaled[:, 0], 1 / (1 + np.exp(-scaled[:, 1])), rtol=1e-4)
