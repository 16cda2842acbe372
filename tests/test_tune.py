"""``biodl tune``: Optuna search on the validation split, the best model as a run."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from biodl.cli import main
from biodl.config import load_config
from biodl.errors import ConfigError
from biodl.runs import read_run_meta
from biodl.workflows import tuning
from biodl.workflows.tuning import tune_run
from tests.conftest import base_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")

optuna = pytest.importorskip("optuna")


def tune_config(**tune: Any) -> dict[str, Any]:
    """The small motif configuration with a tiny search space (fast trials)."""
    config = base_config()
    config["train"]["max_epochs"] = 2
    config["evaluate"] = {"n_bootstrap": 0}
    config["tune"] = {
        "trials": 3,
        "space": {
            "n_filters": {"type": "int", "low": 4, "high": 8},
            "hidden": {"type": "categorical", "choices": [0, 8]},
            "learning_rate": {"type": "float", "low": 0.001, "high": 0.01, "log": True},
        },
        **tune,
    }
    return config


def trial_rows(out: Path) -> list[dict[str, str]]:
    with (out / "trials.tsv").open() as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def searched(motif_tables: Path) -> tuple[Path, Path]:
    """One search of 3 trials through the command line: ``(config, out)``."""
    config = motif_tables / "tune.yaml"
    config.write_text(yaml.safe_dump(tune_config()))
    out = motif_tables / "search"
    assert main(["tune", str(config), "--out", str(out)]) == 0
    return config, out


def test_search_writes_its_folder_and_the_best_run(searched: tuple[Path, Path]) -> None:
    _, out = searched
    assert not out.with_name(out.name + ".partial").exists()
    for name in ("study.db", "trials.tsv", "trials.png", "best_config.yaml", "best/model.json"):
        assert (out / name).is_file(), name
    rows = trial_rows(out)
    assert [int(r["number"]) for r in rows] == [0, 1, 2]
    assert {r["state"] for r in rows} <= {"complete", "pruned"}
    meta, _ = read_run_meta(out / "best" / "model.json")
    tuning_block = meta.tuning
    assert tuning_block is not None
    assert tuning_block["n_trials"] == 3
    assert tuning_block["storage"] == f"sqlite:///{(out / 'study.db').resolve()}"
    assert set(tuning_block["space"]) >= {"n_filters", "hidden", "learning_rate", "dropout"}
    best = tuning_block["best_params"]
    assert meta.architecture.params["n_filters"] == best["n_filters"]
    assert 4 <= best["n_filters"] <= 8
    # the database moved with the folder and still holds the study
    study = optuna.load_study(
        study_name=tuning_block["study_name"], storage=tuning_block["storage"]
    )
    assert len(study.trials) == 3
    assert study.best_trial.number == tuning_block["best_trial"]
    # the best run was scored on the real test split
    metrics = json.loads((out / "best" / "metrics.json").read_text())
    assert "test" in metrics


def test_best_config_trains_with_biodl_train(searched: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = searched
    best = yaml.safe_load((out / "best_config.yaml").read_text())
    assert "tune" not in best
    assert main(["train", str(out / "best_config.yaml"), "--out", str(tmp_path / "run")]) == 0
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    tuned = json.loads((out / "best" / "model.json").read_text())
    assert meta["architecture"] == tuned["architecture"]


def test_same_seed_samples_the_same_options(searched: tuple[Path, Path], tmp_path: Path) -> None:
    config, out = searched
    again = tune_run(config, tmp_path / "again", trials=3)
    assert [r["params"] for r in again.trials] == [json.loads(r["params"]) for r in trial_rows(out)]
    other = config.with_name("tune_other_seed.yaml")
    other.write_text(yaml.safe_dump(tune_config(seed=12345, trials=1)))
    first = tune_run(other, tmp_path / "other", trials=1)
    assert first.trials[0]["params"] != again.trials[0]["params"]


def test_search_never_reads_the_test_split(
    motif_tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    touched: list[str] = []

    class Guard:
        """Stands for the test examples during the search: any use is recorded."""

        def __getattr__(self, name: str) -> Any:
            touched.append(name)
            raise AssertionError(f"the search read the test split ({name})")

        def __len__(self) -> int:
            touched.append("__len__")
            raise AssertionError("the search read the test split (len)")

        def __iter__(self) -> Any:
            touched.append("__iter__")
            raise AssertionError("the search read the test split (iter)")

    real: dict[str, Any] = {}
    build = tuning.build_splits
    retrain = tuning.train_on_splits

    def guarded_build(config: Any) -> Any:
        splits = build(config)
        real["test"] = splits.test
        assert splits.test is not None
        return dataclasses.replace(splits, test=Guard())  # type: ignore[arg-type]

    def unguarded_retrain(config: Any, splits: Any, out: Path, **kw: Any) -> Any:
        assert isinstance(splits.test, Guard)  # the search is over; give back the test split
        real["retrained"] = True
        return retrain(config, dataclasses.replace(splits, test=real["test"]), out, **kw)

    monkeypatch.setattr(tuning, "build_splits", guarded_build)
    monkeypatch.setattr(tuning, "train_on_splits", unguarded_retrain)
    config = motif_tables / "tune_guard.yaml"
    config.write_text(yaml.safe_dump(tune_config(trials=2)))
    result = tune_run(config, tmp_path / "out")
    assert touched == []
    assert real["retrained"]
    assert result.best is not None
    assert "test" in result.best.metrics


@pytest.mark.parametrize(
    ("space", "needle"),
    [
        ({"n_filterz": {"type": "int", "low": 4, "high": 8}}, "tune.space.n_filterz"),
        ({"dropout": {"type": "float", "low": 0.5, "high": 0.1}}, "must be below"),
        ({"dropout": {"type": "float", "low": 0.1, "high": 1.5}}, "tune.space.dropout: 1.5"),
        ({"hidden": {"type": "int", "low": 4.5, "high": 8}}, "integer"),
        ({"dropout": {"type": "float", "low": 0.1, "high": 0.2, "size": 3}}, "size"),
    ],
)
def test_a_bad_space_is_one_line_naming_its_line(
    write_config: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], space: Any, needle: str
) -> None:
    config = base_config()
    config["tune"] = {"trials": 2, "space": space}
    text = yaml.safe_dump(config, sort_keys=False)
    path = write_config(text=text)
    name = "size" if needle == "size" else next(iter(space))
    rows = text.splitlines()
    start = rows.index("  space:")
    line = next(i for i, row in enumerate(rows, 1) if i > start and row.strip().startswith(name))
    assert main(["tune", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert needle in err
    assert f"line {line}" in err or f":{line}:" in err
    assert not (tmp_path / "out").exists()


def test_unknown_tune_key_is_a_config_error(write_config: Any) -> None:
    config = base_config()
    config["tune"] = {"trails": 3}
    with pytest.raises(ConfigError, match=r"tune\.trails"):
        load_config(write_config(config))


def test_models_lists_each_search_space(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    zoo = {"deepbind", "deepsea", "basset", "danq", "dilated_resnet", "deepmir", "deepcpg"}
    zoo |= {"deepcpg_cpg", "deeploc", "deepfam", "deepgoplus_cnn", "residue_tagger"}
    assert all(row["space"] for row in rows if row["name"] in zoo)
    deepbind = next(r for r in rows if r["name"] == "deepbind")
    assert deepbind["space"]["dropout"]["type"] == "float"
    assert set(deepbind["space"]) <= set(deepbind["params"])


def test_two_processes_share_one_study(motif_tables: Path, tmp_path: Path) -> None:
    config = tmp_path / "shared.yaml"
    raw = tune_config()
    for split in ("train", "test"):
        raw["data"][split]["table"] = str(motif_tables / raw["data"][split]["table"])
    config.write_text(yaml.safe_dump(raw))
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    # the database exists before the workers start, as on a cluster where one job creates
    # it; two workers creating its tables at the same instant are retried by biodl, a
    # race this test does not need to win
    optuna.storages.RDBStorage(url).engine.dispose()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "biodl.cli",
                "tune",
                str(config),
                "--out",
                str(tmp_path / f"w{i}"),
                "--trials",
                "2",
                "--storage",
                url,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for w in workers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
    names = optuna.study.get_all_study_names(url)
    assert len(names) == 1
    study = optuna.load_study(study_name=names[0], storage=url)
    assert len(study.trials) == 4
    assert sorted(t.number for t in study.trials) == [0, 1, 2, 3]
    for i in range(2):
        assert (tmp_path / f"w{i}" / "best" / "model.json").is_file()
        assert not (tmp_path / f"w{i}" / "study.db").exists()


def test_nested_cv_tunes_each_fold_without_its_test_fold(
    motif_tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``biodl cv --tune-trials``: each fold's search sees only that fold's training and
    early-stopping examples; the options chosen are recorded per fold."""
    import biodl.workflows.crossval as crossval

    seen: list[set[str]] = []
    real = crossval.tune_on_splits

    def recording(config: Any, splits: Any, space: Any, **kw: Any) -> Any:
        assert splits.test is None
        seen.append(set(splits.train.ids) | set(splits.valid.ids))
        return real(config, splits, space, **kw)

    monkeypatch.setattr(crossval, "tune_on_splits", recording)
    config = tmp_path / "cv.yaml"
    raw = tune_config()
    raw["data"]["train"]["table"] = str(motif_tables / raw["data"]["train"]["table"])
    raw["data"].pop("test")
    config.write_text(yaml.safe_dump(raw))
    out = tmp_path / "cv"
    argv = ["cv", str(config), "--folds", "2", "--out", str(out), "--tune-trials", "2"]
    assert main(argv) == 0
    cv = json.loads((out / "cv.json").read_text())
    folds = cv["tuning"]["folds"]
    assert cv["tuning"]["trials_per_fold"] == 2
    assert len(folds) == 2 == len(seen)
    for (name, entry), ids in zip(folds.items(), seen, strict=True):
        assert entry["n_trials"] == 2
        assert {"n_filters", "hidden", "learning_rate"} <= set(entry["best_params"])
        with gzip.open(out / f"fold_{name}" / "splits.tsv.gz", "rt") as fh:
            rows = [line.split("\t") for line in fh.read().splitlines()[1:]]
        test_ids = {r[0] for r in rows if r[1] == "test"}
        assert test_ids
        assert not test_ids & ids  # the fold's test examples chose nothing
        fold_config = yaml.safe_load((out / f"fold_{name}" / "config.yaml").read_text())
        assert fold_config["model"]["n_filters"] == entry["best_params"]["n_filters"]
