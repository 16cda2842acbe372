"""``biodl explain`` end to end on a small trained run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from biodl.cli import main
from biodl.interpret import Attribution
from biodl.testing import planted_motif_dataset, write_fasta_file
from biodl.workflows import train_run
from biodl.workflows.explain import explain_file, resolve_target
from tests.conftest import base_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def run_dir(motif_tables: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = base_config()
    config["train"]["max_epochs"] = 1
    path = motif_tables / "explain.yaml"
    path.write_text(yaml.safe_dump(config))
    return train_run(path, tmp_path_factory.mktemp("explain") / "run")


@pytest.fixture(scope="module")
def fasta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seqs, _ = planted_motif_dataset(6, 0, length=70, seed=9)  # longer: cropped to 60
    path = tmp_path_factory.mktemp("fa") / "in.fa"
    write_fasta_file(path, seqs, ids=[f"q{i}" for i in range(len(seqs))])
    return path


def test_explain_writes_every_output(run_dir: Path, fasta: Path, tmp_path: Path) -> None:
    result = explain_file(run_dir, fasta, tmp_path / "ex", method="deepshap", n_references=3, top=2)
    assert result.method == "deepshap"
    assert result.checks["method"] == "deepshap"
    out = result.out
    assert sorted(p.name for p in out.iterdir()) == [
        "attributions.npz",
        "checks.json",
        "explain.html",
        "logos",
    ]
    data = np.load(out / "attributions.npz")
    assert list(data["ids"]) == [f"q{i}" for i in range(6)]
    assert data["X"].shape == data["attributions"].shape == (6, 4, 60)
    assert data["predictions"].shape == (6, 1)
    assert data["hypothetical"].shape == (6, 4, 60)
    np.testing.assert_allclose(data["outputs"], data["predictions"][:, 0], atol=1e-5)
    checks = json.loads((out / "checks.json").read_text())
    assert checks["completeness"]["passed"] is True
    assert checks["completeness"]["max_abs_delta"] < 1e-4
    assert {"randomisation", "agreement", "warnings"} <= set(checks)
    assert len(list((out / "logos").glob("*.png"))) == 2
    page = (out / "explain.html").read_text()
    assert "deepshap attributions: Bound" in page  # 0/1 labels: named by the label column
    assert result.target == "Bound"
    assert "data:image/png;base64," in page
    assert "http" not in page.split("<main>")[1]
    assert not (tmp_path / "ex.partial").exists()


@pytest.mark.parametrize(
    "method", ["saliency", "input_x_gradient", "integrated_gradients", "ism", "lime", "kernel_shap"]
)
def test_explain_runs_every_method_from_the_cli(
    run_dir: Path, fasta: Path, tmp_path: Path, method: str
) -> None:
    from biodl.cli import main

    out = tmp_path / method
    argv = ["explain", "--model", str(run_dir), str(fasta), "--out", str(out)]
    argv += ["--method", method, "--top", "2", "--no-randomisation"]
    assert main(argv) == 0
    data = np.load(out / "attributions.npz")
    assert data["attributions"].shape == (6, 4, 60)
    assert np.isfinite(data["attributions"]).all()
    assert len(list((out / "logos").glob("*.png"))) == 2


def test_explain_refuses_to_overwrite_without_force(
    run_dir: Path, fasta: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ex"
    out.mkdir()
    (out / "keep").write_text("x")
    code = main(
        ["explain", "--model", str(run_dir), str(fasta), "--out", str(out), "--method", "saliency"]
    )
    assert code == 2
    assert (out / "keep").exists()
    code = main(
        [
            "explain",
            "--model",
            str(run_dir),
            str(fasta),
            "--out",
            str(out),
            "--method",
            "saliency",
            "--top",
            "1",
            "--compare",
            "",
            "--force",
        ]
    )
    assert code == 0
    assert not (out / "keep").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nope"], "unknown target"),
        (["--target", "3"], "out of range"),
        (["--method", "attention"], "no attention"),
    ],
)
def test_explain_reports_bad_arguments_on_one_line(
    run_dir: Path,
    fasta: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code = main(
        ["explain", "--model", str(run_dir), str(fasta), "--out", str(tmp_path / "o"), *args]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_short_sequences_need_pad(run_dir: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.fa"
    short.write_text(">a\nACGTACGT\n")
    code = main(["explain", "--model", str(run_dir), str(short), "--out", str(tmp_path / "o")])
    assert code == 2
    out = explain_file(
        run_dir, short, tmp_path / "o", method="integrated_gradients", pad_short=True, top=1
    )
    assert np.load(out / "attributions.npz")["X"][0, :, :26].sum() == 0  # N padding


def test_strict_turns_a_failed_check_into_an_error(
    run_dir: Path,
    fasta: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Attributions that do not add up: reported without --strict, exit 2 with it."""
    import dataclasses

    import biodl.workflows.explain as workflow

    real = workflow.attribute

    def broken(*args: Any, **kwargs: Any) -> Attribution:
        result = real(*args, **kwargs)
        assert result.delta is not None
        return dataclasses.replace(result, delta=result.delta + 1.0)

    monkeypatch.setattr(workflow, "attribute", broken)
    base = ["explain", "--model", str(run_dir), str(fasta), "--method", "deeplift"]
    fast = ["--compare", "", "--no-randomisation", "--top", "0"]
    assert main([*base, "--out", str(tmp_path / "a"), *fast]) == 0
    assert "do not add up" in capsys.readouterr().out
    checks = json.loads((tmp_path / "a" / "checks.json").read_text())
    assert checks["completeness"]["passed"] is False
    assert checks["warnings"]
    assert main([*base, "--out", str(tmp_path / "b"), *fast, "--strict"]) == 2
    assert "do not add up" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_resolve_target_by_name_and_index() -> None:
    assert resolve_target(None, ["a"]) == 0
    assert resolve_target("b", ["a", "b"]) == 1
    assert resolve_target(1, ["a", "b"]) == 1


def test_cli_method_choices_are_the_library_methods() -> None:
    from biodl.cli.explain import METHODS as CLI_METHODS  # literal: `biodl --help` is fast
    from biodl.interpret import METHODS

    assert METHODS == CLI_METHODS


def _no_jaspar(monkeypatch: pytest.MonkeyPatch) -> None:
    """JASPAR matching replaced by an empty database (no download, no TOMTOM)."""
    import biodl.interpret.jaspar as jaspar

    monkeypatch.setattr(jaspar, "jaspar_motifs", lambda **kwargs: [])
    monkeypatch.setattr(jaspar, "match_motifs", lambda motifs, database, **kwargs: [])


def test_a_failed_modisco_run_is_reported_not_silent(
    run_dir: Path, fasta: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import biodl.interpret.motifs as motifs_module

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("leiden clustering\nexploded")

    monkeypatch.setattr(motifs_module, "modisco", fail)
    _no_jaspar(monkeypatch)
    with pytest.warns(RuntimeWarning, match=r"TF-MoDISco failed \(RuntimeError: leiden"):
        out = explain_file(
            run_dir,
            fasta,
            tmp_path / "ex",
            method="saliency",
            top=1,
            motifs=True,
            randomisation=False,
        )
    checks = json.loads((out / "checks.json").read_text())
    assert checks["motifs"] == {
        "method": "modisco",
        "status": "failed",
        "error": "RuntimeError: leiden clustering exploded",
        "fallback": "seqlets",
    }
    assert "TF-MoDISco failed: RuntimeError: leiden clustering exploded" in checks["warnings"]


def test_a_modisco_run_that_works_is_recorded(
    run_dir: Path, fasta: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import biodl.interpret.motifs as motifs_module

    motif = motifs_module.Motif("pattern_0", np.full((4, 6), 0.25))
    monkeypatch.setattr(motifs_module, "modisco", lambda *args, **kwargs: [motif])
    _no_jaspar(monkeypatch)
    out = explain_file(
        run_dir,
        fasta,
        tmp_path / "ex",
        method="saliency",
        top=1,
        motifs=True,
        randomisation=False,
    )
    checks = json.loads((out / "checks.json").read_text())
    assert checks["motifs"] == {"method": "modisco", "status": "ok", "n_patterns": 1}
