"""``tune.ensemble: K`` / ``biodl tune --ensemble K``: the K best trials, each retrained
with its own options, saved as one ensemble run that every consumer loads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from biodl.cli import main
from biodl.config import load_config
from biodl.data import build_splits
from biodl.errors import ConfigError, InputError
from biodl.interpret import ism
from biodl.models import Ensemble
from biodl.runs import load_run, read_run_meta
from biodl.tasks import task_from_meta
from biodl.workflows import tuning
from biodl.workflows.tuning import tune_run
from tests.test_tune import tune_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")

optuna = pytest.importorskip("optuna")


class _Guard:
    """Stands for the test examples during the search: any use is recorded."""

    def __init__(self, touched: list[str]) -> None:
        self._touched = touched

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probing the object
            raise AttributeError(name)
        self._touched.append(name)
        raise AssertionError(f"the search read the test split ({name})")

    def __len__(self) -> int:
        self._touched.append("__len__")
        raise AssertionError("the search read the test split (len)")

    def __iter__(self) -> Any:
        self._touched.append("__iter__")
        raise AssertionError("the search read the test split (iter)")


@pytest.fixture(scope="module")
def ensembled(motif_tables: Path) -> dict[str, Any]:
    """One search of 3 trials through the command line with ``--ensemble 2``, the test
    split hidden behind a guard until the members are retrained."""
    config = motif_tables / "tune_ensemble.yaml"
    config.write_text(yaml.safe_dump(tune_config()))
    out = motif_tables / "search_ensemble"
    touched: list[str] = []
    seen: dict[str, Any] = {}
    build = tuning.build_splits
    retrain = tuning.train_on_splits

    def guarded_build(cfg: Any) -> Any:
        splits = build(cfg)
        seen["test"] = splits.test
        assert splits.test is not None
        return dataclasses.replace(splits, test=_Guard(touched))  # type: ignore[arg-type]

    def unguarded_retrain(cfg: Any, splits: Any, where: Path, **kw: Any) -> Any:
        assert isinstance(splits.test, _Guard)  # the search is over; give back the test split
        seen["members"] = list(kw.get("members", ()))
        return retrain(cfg, dataclasses.replace(splits, test=seen["test"]), where, **kw)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(tuning, "build_splits", guarded_build)
            mp.setattr(tuning, "train_on_splits", unguarded_retrain)
            status = main(["tune", str(config), "--out", str(out), "--ensemble", "2"])
    finally:
        torch.set_num_threads(threads)
    assert status == 0
    return {"config": config, "out": out, "touched": touched, "members": seen["members"]}


def test_the_search_never_reads_the_test_split(ensembled: dict[str, Any]) -> None:
    assert ensembled["touched"] == []
    assert len(ensembled["members"]) == 1  # the second-best trial, passed to the retrain
    metrics = json.loads((ensembled["out"] / "best" / "metrics.json").read_text())
    assert "test" in metrics


def test_one_run_of_the_two_best_trials_with_their_own_options(
    ensembled: dict[str, Any],
) -> None:
    out: Path = ensembled["out"]
    runs = sorted(p.parent.name for p in out.rglob("model.json"))
    assert runs == ["best"]  # one run directory
    info, meta = read_run_meta(out / "best" / "model.json")
    tuning_block = info.tuning
    assert tuning_block is not None
    study = optuna.load_study(
        study_name=tuning_block["study_name"], storage=tuning_block["storage"]
    )
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    ranked = sorted(done, key=lambda t: (-float(t.value), t.number))  # auroc: maximised
    assert tuning_block["direction"] == "maximize"
    assert tuning_block["ensemble"]["trials"] == [t.number for t in ranked[:2]]
    assert tuning_block["ensemble"]["values"] == [t.value for t in ranked[:2]]
    assert tuning_block["ensemble"]["members"] == 2
    assert "note" not in tuning_block["ensemble"]
    assert tuning_block["best_trial"] == ranked[0].number
    block = meta["ensemble"]
    assert block["members"] == 2
    assert block["combine"] == "probability"
    assert [t["number"] for t in block["trials"]] == tuning_block["ensemble"]["trials"]
    archs = block["architectures"]
    assert len(archs) == 2
    for arch, trial in zip(archs, ranked[:2], strict=True):
        assert arch["name"] == "deepbind"
        for name in ("n_filters", "hidden"):
            assert arch["params"][name] == trial.params[name]
    # the members differ in their model options, not only in their weights
    assert archs[0]["params"] != archs[1]["params"]
    # the run's architecture and best_config.yaml are the single best trial's
    assert meta["architecture"] == archs[0]
    best = yaml.safe_load((out / "best_config.yaml").read_text())
    assert best["model"]["n_filters"] == ranked[0].params["n_filters"]
    assert best["train"]["ensemble"] == 1
    assert "tune" not in best


def test_load_run_rebuilds_both_members_and_predict_averages_them(
    ensembled: dict[str, Any], tmp_path: Path
) -> None:
    run_dir: Path = ensembled["out"] / "best"
    run = load_run(run_dir)
    model = run.model
    assert isinstance(model, Ensemble)
    assert len(model.members) == 2
    archs = run.meta["ensemble"]["architectures"]
    for member, arch in zip(model.members, archs, strict=True):
        conv = next(p for n, p in member.named_parameters() if p.dim() == 3)
        assert conv.shape[0] == arch["params"]["n_filters"]
    seqs = ["ACGT" * 15, "TTGACA" * 10, "GGGCCCATAT" * 6]
    x = torch.from_numpy(run.input_kind.encode(seqs)).float()
    with torch.no_grad():
        by_hand = torch.stack([torch.sigmoid(m(x)) for m in model.members]).mean(0)[:, 0]
        combined = torch.sigmoid(model(x))[:, 0]
    assert torch.allclose(combined, by_hand, atol=1e-6)
    fasta = tmp_path / "q.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    table = tmp_path / "p.tsv"
    assert main(["predict", "--model", str(run_dir), str(fasta), "--out", str(table)]) == 0
    rows = [r.split("\t") for r in table.read_text().splitlines()[1:]]
    assert [r[0] for r in rows] == ["s0", "s1", "s2"]
    assert [float(r[1]) for r in rows] == pytest.approx(by_hand.tolist(), abs=1e-6)
    # explain side: ISM takes the ensemble like any model
    maps = ism(model, x.numpy(), device="cpu")
    assert np.asarray(maps).shape[0] == len(seqs)
    assert np.isfinite(np.asarray(maps)).all()


def test_the_threshold_is_chosen_for_the_ensemble(ensembled: dict[str, Any]) -> None:
    out: Path = ensembled["out"]
    run = load_run(out / "best")
    assert run.meta["threshold_chosen_on"] == "valid"
    config = load_config(out / "best_config.yaml")
    splits = build_splits(config)
    assert splits.valid is not None
    x = torch.from_numpy(run.input_kind.encode(splits.valid)).float()
    with torch.no_grad():
        logits = run.model(x)
    task = task_from_meta(run.meta)
    scores = task.scores(logits)
    truth = task.evaluable_truth(task.truth(splits.valid), scores)
    assert run.meta["threshold_rule"] == "mcc"  # train.threshold's default
    chosen, _ = task.with_threshold(0.5).choose_threshold(truth, scores, rule="mcc")
    assert chosen.thresholds == pytest.approx((run.meta["threshold"],))


def test_more_members_than_complete_trials(motif_tables: Path, tmp_path: Path) -> None:
    config = tmp_path / "few.yaml"
    raw = tune_config(trials=2, ensemble=5)
    raw["train"]["max_epochs"] = 1
    for split in ("train", "test"):
        raw["data"][split]["table"] = str(motif_tables / raw["data"][split]["table"])
    config.write_text(yaml.safe_dump(raw))
    result = tune_run(config, tmp_path / "out")
    block = result.tuning["ensemble"]
    assert block["requested"] == 5
    assert block["members"] == 2
    assert len(block["trials"]) == 2
    assert "2 trial(s) completed" in block["note"]
    run = load_run(tmp_path / "out" / "best")
    assert isinstance(run.model, Ensemble)
    assert len(run.model.members) == 2


def _trial(number: int, value: float | None, state: Any) -> Any:
    return optuna.trial.create_trial(
        params={"x": float(number)},
        distributions={"x": optuna.distributions.FloatDistribution(0.0, 10.0)},
        value=value,
        state=state,
    )


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_top_trials_ranks_complete_trials_in_the_study_direction(direction: str) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction)
    complete = optuna.trial.TrialState.COMPLETE
    for number, value, state in [
        (0, 0.5, complete),
        (1, None, optuna.trial.TrialState.PRUNED),
        (2, 0.9, complete),
        (3, None, optuna.trial.TrialState.FAIL),
        (4, 0.7, complete),
    ]:
        study.add_trial(_trial(number, value, state))
    top = tuning._top_trials(study, 5)
    want = [2, 4, 0] if direction == "maximize" else [0, 4, 2]
    assert [t.number for t in top] == want
    assert [t.number for t in tuning._top_trials(study, 2)] == want[:2]
    summary = tuning._ensemble_summary(top, 5)
    assert summary["members"] == 3
    assert summary["trials"] == want
    assert "5 members requested" in summary["note"]


@pytest.mark.parametrize("value", ["0", "33", "two"])
def test_a_bad_ensemble_option_is_one_line(
    write_config: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    path = write_config(tune_config())
    argv = ["tune", str(path), "--out", str(tmp_path / "out"), "--ensemble", value]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--ensemble" in err[0]
    assert not (tmp_path / "out").exists()


def test_a_bad_tune_ensemble_key_names_its_line(
    write_config: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = yaml.safe_dump(tune_config(ensemble=0), sort_keys=False)
    path = write_config(text=text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "ensemble:" in row)
    with pytest.raises(ConfigError, match=r"tune\.ensemble"):
        load_config(path)
    assert main(["tune", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "ensemble" in err[0]
    assert f"line {line}" in err[0] or f":{line}:" in err[0]


def test_tune_ensemble_with_train_ensemble_is_refused(write_config: Any, tmp_path: Path) -> None:
    raw = tune_config(ensemble=2)
    raw["train"]["ensemble"] = 2
    with pytest.raises(ConfigError, match=r"tune\.ensemble does not go with train\.ensemble"):
        tune_run(write_config(raw), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_study_name_ignores_the_ensemble_size(write_config: Any) -> None:
    one = load_config(write_config(tune_config()))
    three = load_config(write_config(tune_config(ensemble=3)))
    assert tuning._study_name(one) == tuning._study_name(three)


def test_the_study_name_ignores_options_left_at_their_defaults(write_config: Any) -> None:
    """A training option added later with a default must not rename earlier studies."""
    plain = tune_config()
    spelled = tune_config()
    spelled["train"]["weight_average"] = "none"
    spelled["train"]["gradient_clip"] = None
    changed = tune_config()
    changed["train"]["weight_average"] = "ema"
    names = [tuning._study_name(load_config(write_config(c))) for c in (plain, spelled, changed)]
    assert names[0] == names[1] != names[2]


def test_bad_member_architectures_are_one_line_naming_model_json(
    ensembled: dict[str, Any], tmp_path: Path
) -> None:
    source: Path = ensembled["out"] / "best"
    for broken, needle in [
        (lambda e: e["architectures"].pop(), "must list 2"),
        (lambda e: e["architectures"][1].pop("name"), "ensemble.architectures.1.name"),
        (lambda e: e["architectures"][1]["params"].update(n_filters=999), "weights do not fit"),
    ]:
        run = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
        run.mkdir()
        (run / "model.safetensors").write_bytes((source / "model.safetensors").read_bytes())
        meta = json.loads((source / "model.json").read_text())
        broken(meta["ensemble"])
        (run / "model.json").write_text(json.dumps(meta))
        with pytest.raises(InputError, match=needle) as info:
            load_run(run)
        assert len(str(info.value).splitlines()) == 1


def test_an_old_ensemble_block_still_loads(ensembled: dict[str, Any], tmp_path: Path) -> None:
    """A ``train.ensemble`` run's block (``members``, ``combine``, ``seeds``): every member
    has the run's architecture."""
    source: Path = ensembled["out"] / "best"
    meta = json.loads((source / "model.json").read_text())
    from safetensors.torch import load_file, save_file

    first = meta["ensemble"]["architectures"][0]
    state = load_file(str(source / "model.safetensors"))
    doubled = {k: v for k, v in state.items() if k.startswith("members.0.")}
    doubled |= {k.replace("members.0.", "members.1.", 1): v.clone() for k, v in doubled.items()}
    meta["architecture"] = first
    meta["ensemble"] = {"members": 2, "combine": "probability", "seeds": [1, 2]}
    run = tmp_path / "old"
    run.mkdir()
    save_file(doubled, str(run / "model.safetensors"))
    (run / "model.json").write_text(json.dumps(meta))
    model = load_run(run).model
    assert isinstance(model, Ensemble)
    assert len(model.members) == 2
