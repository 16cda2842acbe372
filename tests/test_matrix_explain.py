"""``biodl explain`` on expression-matrix models: per-gene attributions, genes.tsv,
the stability of the ranking across folds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from biodl.interpret.genes import gene_stability, gene_table, read_gene_ranking
from biodl.workflows import explain_file, train_run
from tests.test_matrix import _config, _matrix


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small MLP on 60 samples x 30 genes, the signal planted in g0..g2; it reads the
    10 genes of largest training t (g0..g2 and seven noise genes)."""
    tmp = tmp_path_factory.mktemp("matrix_explain")
    mpath, lpath = _matrix(tmp)
    run = train_run(_config(tmp, mpath, lpath, k=10, epochs=40), tmp / "run")
    return Path(run.out), mpath


@pytest.mark.parametrize("method", ["integrated_gradients", "deepshap"])
def test_planted_genes_rank_first_and_completeness_holds(
    planted_run: tuple[Path, Path], tmp_path: Path, method: str
) -> None:
    run_dir, mpath = planted_run
    result = explain_file(
        run_dir, mpath, tmp_path / "ex", method=method, compare=(), randomisation=False
    )
    assert result.checks["completeness"]["passed"]
    header, *rows = (tmp_path / "ex" / "genes.tsv").read_text().splitlines()
    assert header.split("\t") == ["rank", "gene", "mean_abs", "signed_mean"]
    genes = [r.split("\t")[1] for r in rows]
    assert len(genes) == 10
    assert set(genes[:3]) == {"g0", "g1", "g2"}
    assert (tmp_path / "ex" / "genes.png").stat().st_size > 0
    page = (tmp_path / "ex" / "explain.html").read_text()
    assert "Genes ranked by attribution" in page
    assert "top sequences" not in page
    with np.load(tmp_path / "ex" / "attributions.npz") as npz:
        A, X = npz["attributions"], npz["X"]
        assert A.shape == X.shape == (60, 10)
        # g0 raises the 'up' output: above its training mean it pushes the output up
        j = list(npz["genes"]).index("g0")
        assert np.mean(np.sign(A[:, j]) == np.sign(X[:, j])) > 0.9
    checks = json.loads((tmp_path / "ex" / "checks.json").read_text())
    assert checks["reference"].startswith("training mean")


def test_sequence_only_methods_are_refused(planted_run: tuple[Path, Path], tmp_path: Path) -> None:
    from biodl.errors import InputError

    run_dir, mpath = planted_run
    with pytest.raises(InputError, match="does not apply to expression matrices"):
        explain_file(run_dir, mpath, tmp_path / "ex", method="ism")


def test_gene_table_per_class_columns() -> None:
    values = np.array([[[3.0], [0.0], [1.0]], [[-1.0], [2.0], [0.0]], [[1.0], [0.0], [0.0]]])
    rows = gene_table(values, ["a", "b", "c"], groups=["X", "Y", "X"], classes=["X", "Y", "Z"])
    assert [r["gene"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["mean_abs"] == pytest.approx(5 / 3)
    assert rows[0]["signed_mean"] == pytest.approx(1.0)
    assert rows[0]["mean_abs[X]"] == pytest.approx(2.0)
    assert rows[0]["mean_abs[Y]"] == pytest.approx(1.0)
    assert rows[0]["mean_abs[Z]"] is None


def test_stability_counts_folds_with_the_gene_in_their_top_k(tmp_path: Path) -> None:
    rankings = {
        "1": ["g1", "g2", "g3", "g4"],
        "2": ["g2", "g1", "g4", "g3"],
        "3": ["g2", "g5", "g1"],  # this fold did not select g3, g4
    }
    rows = {r["gene"]: r for r in gene_stability(rankings, k=2)}
    assert rows["g2"]["n_top"] == 3
    assert rows["g2"]["fraction"] == 1.0
    assert rows["g1"]["n_top"] == 2
    assert rows["g1"]["folds"] == "1,2"
    assert rows["g5"]["n_top"] == 1
    assert rows["g3"]["n_top"] == 0
    assert rows["g3"]["n_folds_selected"] == 2
    assert [r["gene"] for r in gene_stability(rankings, k=2)][:2] == ["g2", "g1"]
    from biodl.interpret.genes import write_gene_table

    table = [
        {"rank": 2, "gene": "b", "mean_abs": 1.0, "signed_mean": 0.0},
        {"rank": 1, "gene": "a", "mean_abs": 2.0, "signed_mean": 0.0},
    ]
    write_gene_table(table, tmp_path / "genes.tsv")
    assert read_gene_ranking(tmp_path / "genes.tsv") == ["a", "b"]
