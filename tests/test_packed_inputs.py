"""Packed inputs through the whole pipeline: CpG neighbourhoods and RNA structure."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from biodl.cli import main
from biodl.config import parse_config
from biodl.data import build_splits
from biodl.errors import ConfigError
from biodl.testing import hairpin_dataset, write_cpg_profiles, write_fasta_file
from biodl.workflows import evaluate_run, predict_file, train_run

needs_rna = pytest.mark.skipif(
    importlib.util.find_spec("RNA") is None, reason="ViennaRNA is not installed"
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _cpg_config(folder: Path, **data: Any) -> dict[str, Any]:
    paths = write_cpg_profiles(folder, n_cells=2, n_sites=500, seed=1)
    return {
        "task": "multilabel",
        "data": {
            "train": {"cpg": {c: str(p) for c, p in paths.items()}, "window": 5, **data},
            "valid": {"fraction": 0.15},
            "test": {"chromosomes": ["2"]},
            "encoding": "cpg",
        },
        "model": {"name": "deepcpg_cpg", "replicate_units": 16, "gru_units": 8},
        "train": {"max_epochs": 6, "seed": 1, "progress_bar": False, "learning_rate": 0.003},
        "evaluate": {"n_bootstrap": 20},
    }


def _write(folder: Path, config: dict[str, Any]) -> Path:
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_cpg_sites_become_examples_with_one_output_per_cell(tmp_path: Path) -> None:
    splits = build_splits(parse_config(_cpg_config(tmp_path), base_dir=tmp_path))
    assert splits.classes == ("cell0", "cell1")
    assert dict(splits.layout) == {"cpg_cells": 2, "cpg_window": 5, "dna_length": 0}
    assert splits.test is not None
    assert set(splits.test.chroms or []) == {"2"}
    assert "2" not in set(splits.train.chroms or []) | set(splits.valid.chroms or [])  # type: ignore[union-attr]
    y = splits.targets(splits.train)
    assert np.isnan(y).any()  # a site seen in one cell only is missing in the other
    assert (~np.isnan(y)).any(axis=1).all()  # but every site is seen somewhere


def test_a_cpg_model_trains_evaluates_and_refuses_sequences(tmp_path: Path) -> None:
    config = _cpg_config(tmp_path)
    run = train_run(_write(tmp_path, config), tmp_path / "run")
    meta = json.loads((run / "model.json").read_text())
    assert meta["encoding"] == "cpg"
    assert meta["layout"] == {"cpg_cells": 2, "cpg_window": 5, "dna_length": 0}
    test = json.loads((run / "metrics.json").read_text())["test"]
    assert test["auroc[cell0]"]["value"] > 0.8  # neighbours predict the state
    evaluated = evaluate_run(run, _write(tmp_path, config), out=tmp_path / "eval")
    assert evaluated.metrics["test"] == test
    fasta = write_fasta_file(tmp_path / "x.fa", ["ACGT" * 5])
    assert main(["predict", "--model", str(run), str(fasta), "--out", str(tmp_path / "p")]) == 2
    assert not (tmp_path / "p").exists()


def test_the_joint_model_reads_dna_windows_centred_on_the_site(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    genome = {c: "".join(rng.choice(list("ACGT"), 200_000)) for c in ("chr1", "chr2")}
    (tmp_path / "g.fa").write_text("".join(f">{c}\n{s}\n" for c, s in genome.items()))
    config = _cpg_config(tmp_path, genome="g.fa", dna_length=11)
    splits = build_splits(parse_config(config, base_dir=tmp_path))
    chrom, pos = splits.train.ids[0].split(":")
    # 1-based position p: the window is bases p-1-5 .. p-1+5 (0-based), C in the middle
    assert splits.train.sequences[0] == genome[f"chr{chrom}"][int(pos) - 6 : int(pos) + 5]
    x = np.stack(splits.train.features or [])
    assert x.shape[1:] == (4 + 2 * 2, 11)
    config["model"] = {"name": "deepcpg", "conv1_filters": 4, "conv2_filters": 4,
                       "dna_hidden": 4, "replicate_units": 8, "gru_units": 4,
                       "joint_hidden": 8}  # fmt: skip
    config["train"]["max_epochs"] = 1
    run = train_run(_write(tmp_path, config), tmp_path / "run")
    assert json.loads((run / "model.json").read_text())["layout"]["dna_length"] == 11


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"task": "binary"}, "need task: multilabel"),
        ({"data.encoding": "onehot"}, "go with data.encoding: cpg"),
        ({"data.train.dna_length": 101}, "dna_length needs a 'genome'"),
    ],
)
def test_cpg_options_are_checked(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    config = _cpg_config(tmp_path)
    for key, value in change.items():
        node = config
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    with pytest.raises(ConfigError, match=message):
        parse_config(config, base_dir=tmp_path)


@needs_rna
def test_a_structure_model_trains_and_predicts_from_fasta(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIODL_CACHE_DIR", str(tmp_path / "cache"))
    pos, neg = hairpin_dataset(60, seed=2)
    write_fasta_file(tmp_path / "pos.fa", pos)
    write_fasta_file(tmp_path / "neg.fa", neg)
    config = {
        "task": "binary",
        "data": {
            "train": {"fasta": {"1": "pos.fa", "0": "neg.fa"}},
            "valid": {"fraction": 0.2},
            "test": {"fraction": 0.2},
            "alphabet": "rna",
            "length": 100,
            "pad_short": True,
            "encoding": "structure",
        },
        "model": {"name": "deepmir", "conv2d_filters": 4, "conv1d_filters": 8, "hidden": 8},
        "train": {"max_epochs": 4, "seed": 1, "progress_bar": False, "learning_rate": 0.01},
        "evaluate": {"n_bootstrap": 20},
    }
    run = train_run(_write(tmp_path, config), tmp_path / "run")
    meta = json.loads((run / "model.json").read_text())
    assert meta["encoding"] == "structure"
    assert meta["n_channels"] == 108
    assert any((tmp_path / "cache" / "structure").rglob("*.npz"))  # folds are cached
    out = predict_file(run, tmp_path / "pos.fa", tmp_path / "pred.tsv", pad_short=True).out
    assert len(out.read_text().splitlines()) == 61
    config["train"]["augment"] = {"reverse_complement": True}
    with pytest.raises(ConfigError, match=r"does not apply to data\.encoding: structure"):
        parse_config(config, base_dir=tmp_path)
