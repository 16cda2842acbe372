"""``biodl grn`` and ``biodl embed-networks`` end to end: the run folder, provenance,
assessment, bad input (one line, exit 2) and reloading the saved autoencoder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from biodl.cli import main
from biodl.runs import read_network_run
from biodl.testing.networks import write_grn_example, write_network_example
from biodl.workflows.networks import embed_networks, infer_grn, load_fusion_model


@pytest.fixture(scope="module")
def grn_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_grn_example(tmp_path_factory.mktemp("grn"), n_genes=10, n_samples=200)


def _read_edges(path: Path) -> list[list[str]]:
    lines = path.read_text().splitlines()
    assert lines[0] == "regulator\ttarget\tscore"
    return [line.split("\t") for line in lines[1:]]


def test_grn_cli_writes_a_scored_run(grn_files: tuple[Path, Path], tmp_path: Path) -> None:
    expr, gold = grn_files
    out = tmp_path / "run"
    code = main(
        ["grn", str(expr), "--gold", str(gold), "--out", str(out), "--trees", "30", "--quiet"]
    )
    assert code == 0
    rows = _read_edges(out / "edges.tsv")
    assert len(rows) == 10 * 9  # every ordered pair but self pairs
    assert all(a != b for a, b, _ in rows)
    scores = [float(s) for _, _, s in rows]
    assert scores == sorted(scores, reverse=True)
    assert sorted(p.name for p in (out / "methods").iterdir()) == ["neural.tsv", "trees.tsv"]
    meta = read_network_run(out)
    assert meta.verb == "grn"
    assert meta.genes == 10
    assert meta.seed == 0
    assert {i["role"] for i in meta.inputs} == {"expression:auto", "gold"}
    assert all(len(i["sha256"]) == 64 for i in meta.inputs)
    score = json.loads((out / "score.json").read_text())
    assert set(score["methods"]) == {"trees", "neural", "ensemble"}
    # every method far above a random ranking (measured on this data: AUROC 0.85-0.91,
    # AUPR 3.7-4.0 x random; a random ranking's AUROC has SD ~0.1 here), thresholds far
    # below, since co-regulated targets make some false edges score high by construction
    for values in score["methods"].values():
        assert values["auroc"] > 0.7
        assert values["aupr"] > 2 * values["random_aupr"]
    assessment = json.loads((out / "assessment" / "assessment.json").read_text())
    assert assessment["order"] == ["data_quantity", "agreement", "evaluation"]
    assert (out / "pr.png").stat().st_size > 0
    assert (out / "logs" / "grn.log").is_file()


def test_grn_is_reproducible_with_a_seed(grn_files: tuple[Path, Path], tmp_path: Path) -> None:
    expr, _ = grn_files
    a = infer_grn([expr], tmp_path / "a", method="trees", n_trees=20, seed=3)
    b = infer_grn([expr], tmp_path / "b", method="trees", n_trees=20, seed=3)
    assert (a.out / "edges.tsv").read_text() == (b.out / "edges.tsv").read_text()


def test_grn_regulators_and_top(grn_files: tuple[Path, Path], tmp_path: Path) -> None:
    expr, _ = grn_files
    regs = tmp_path / "tfs.txt"
    regs.write_text("# regulators\nG1\nG2\n")
    result = infer_grn(
        [f"steady:{expr}"], tmp_path / "r", regulators=regs, method="trees", n_trees=20, top=5
    )
    rows = _read_edges(result.out / "edges.tsv")
    assert len(rows) == 5
    assert {r[0] for r in rows} <= {"G1", "G2"}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('"G1"\t"G2"\n0.1\tx\n', ":2:"),
        ('"G1"\t"G1"\n0.1\t0.2\n', "G1"),
    ],
)
def test_grn_bad_table_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, needle: str
) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text(content)
    code = main(["grn", str(bad), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "\n" not in err
    assert "bad.tsv" in err
    assert needle in err
    assert not (tmp_path / "o").exists()
    assert not (tmp_path / "o.partial").exists()


def test_grn_gold_with_unknown_gene_fails_before_work(
    grn_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expr, _ = grn_files
    gold = tmp_path / "gold.tsv"
    gold.write_text("G1\tG2\t1\nG1\tNOPE\t0\n")
    code = main(["grn", str(expr), "--gold", str(gold), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "gold.tsv:2" in err
    assert not (tmp_path / "o").exists()


def test_grn_refuses_to_overwrite_an_input(
    grn_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expr, _ = grn_files
    code = main(["grn", str(expr), "--out", str(expr.parent), "--force", "--quiet"])
    assert code == 2
    assert expr.is_file()
    capsys.readouterr()


@pytest.fixture(scope="module")
def network_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    return write_network_example(tmp_path_factory.mktemp("nets"), n_genes=48)


def test_embed_networks_cli(network_files: tuple[list[Path], Path], tmp_path: Path) -> None:
    nets, labels = network_files
    out = tmp_path / "emb"
    args = ["embed-networks", *map(str, nets), "--labels", str(labels), "--out", str(out)]
    code = main([*args, "--dimensions", "8", "--hidden", "16", "--epochs", "30", "--folds", "3"])
    assert code == 0
    lines = (out / "embedding.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["gene"] + [f"dim_{i}" for i in range(1, 9)]
    assert len(lines) == 1 + 48
    meta = read_network_run(out)
    assert meta.verb == "embed-networks"
    assert meta.options["networks"] == ["net1", "net2"]
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert set(evaluation) == {"net1", "net2", "concatenation", "fused"}
    assessment = json.loads((out / "assessment" / "assessment.json").read_text())
    assert assessment["order"] == ["data_quantity", "leakage", "representation"]
    assert assessment["leakage"]["fold_overlap"] == 0
    anndata = pytest.importorskip("anndata")
    adata = anndata.read_h5ad(out / "embedding.h5ad")
    assert adata.shape == (48, 8)
    assert "degree_net1" in adata.obs


def test_fusion_model_reloads_to_the_same_embedding(
    network_files: tuple[list[Path], Path], tmp_path: Path
) -> None:
    import torch

    from biodl.data import GraphKind
    from biodl.networks.fusion import FusionOptions

    nets, _ = network_files
    opts = FusionOptions(hidden=8, embedding=4, epochs=3)
    result = embed_networks(nets, tmp_path / "e", options=opts, seed=1)
    model = load_fusion_model(result.out)
    kind = GraphKind()
    edges = [kind.read_edges(p) for p in nets]
    genes = tuple(sorted(set().union(*(e.genes for e in edges))))
    xs = [torch.from_numpy(kind.features(e, genes)) for e in edges]
    with torch.no_grad():
        again = model.encode(xs).numpy()
    saved = np.loadtxt(result.out / "embedding.tsv", skiprows=1, usecols=range(1, 5))
    np.testing.assert_allclose(again, saved, atol=1e-5)


def test_embed_networks_bad_edge_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("A B 1.0\nB C nope\n")
    code = main(["embed-networks", str(bad), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "bad.txt:2" in err
    assert "\n" not in err
