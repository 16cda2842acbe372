"""``biodl tune``: hyper-parameter search with Optuna; the best model retrained as a run.

The search space is the model's declared space (:attr:`biodl.models.ModelSpec.space`,
shown by ``biodl models``) plus :data:`TRAIN_SPACE` (learning rate, weight decay, batch
size), with the configuration's ``tune.space`` replacing or adding dimensions. Each trial
trains on the training split with the sampled options and is scored on the validation
split only: the search runs on a copy of the splits without the test split, so the test
examples cannot influence it. Optuna's TPE sampler (seeded) proposes the options and a
median pruner stops a trial whose per-epoch validation metric trails the other trials.

The study lives in an Optuna storage: ``OUT/study.db`` (SQLite) by default, or any
Optuna RDB URL (``sqlite:///shared/disk/study.db``, ``postgresql://...``,
``mysql://...``) given as ``storage``, which lets several processes or machines run
trials of one study at the same time. Trials write no files; when the search ends the
best options are retrained on the same splits (with the test split) as the normal run
directory ``OUT/best``.

With ``tune.ensemble: K`` (or ``--ensemble K``) ``OUT/best`` is an ensemble of the ``K``
best complete trials (fewer when fewer completed): each is retrained with its own options
(model options may differ between members) like the single best, and the members are
saved as one :class:`~biodl.models.Ensemble` (``Task.ensemble_combine``) whose decision
threshold is chosen on the ensemble's validation scores. ``model.json``'s ``ensemble``
block lists each member's ``architectures`` entry and ``trials`` (number, value,
options); ``best_config.yaml`` stays the single best trial's configuration.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import lightning as L
import numpy as np
import yaml
from lightning.pytorch.callbacks import Callback

from biodl.config import (
    Config,
    EvaluateConfig,
    SearchParam,
    TrainConfig,
    TuneConfig,
    config_line,
    config_to_dict,
    parse_config,
)
from biodl.data import DataSplits, build_splits
from biodl.errors import ConfigError
from biodl.io.atomic import atomic_open, atomic_write_text, check_output_dir, staged_dir, write_json
from biodl.models import (
    ModelIO,
    create_model,
    get_model_spec,
    predict,
    pretrain_unsupervised,
    validate_params,
)
from biodl.models.scaling import fold_output_scaling, standardise_targets
from biodl.progress import step
from biodl.report.plots import plot_trials
from biodl.tasks import Task
from biodl.train import fit
from biodl.workflows.common import config_kind, input_alphabet, load_checked
from biodl.workflows.results import TuneResult
from biodl.workflows.training import (
    _source_files,
    count_weight_of,
    probe_inputs,
    target_scaling_of,
    train_on_splits,
)

if TYPE_CHECKING:
    import optuna

__all__ = [
    "TRAIN_SPACE",
    "sample_params",
    "search_space",
    "tune_on_splits",
    "tune_run",
]

#: the training options every search covers (a ``tune.space`` entry may replace them)
TRAIN_SPACE: dict[str, SearchParam] = {
    "learning_rate": SearchParam(type="float", low=1e-4, high=1e-2, log=True),
    "weight_decay": SearchParam(type="float", low=1e-8, high=1e-3, log=True),
    "batch_size": SearchParam(type="categorical", choices=[32, 64, 128]),
}

#: metric names (or name endings) for which lower is better
_LOWER_IS_BETTER = ("loss", "mse", "mae", "rmse", "brier", "ece")


def _direction(metric: str) -> Literal["minimize", "maximize"]:
    """``minimize`` for an error or a loss, ``maximize`` otherwise."""
    return "minimize" if metric.endswith(_LOWER_IS_BETTER) else "maximize"


def search_space(
    config: Config, config_path: str | os.PathLike[str] | None = None
) -> dict[str, SearchParam]:
    """The space a search of ``config`` samples: the model's, :data:`TRAIN_SPACE`, then
    the configuration's ``tune.space`` entries.

    Raises
    ------
    ConfigError
        A ``tune.space`` name that is neither an option of the model nor a training
        option of :data:`TRAIN_SPACE`, or a range that reaches values the option refuses
        (e.g. a dropout of 1); the message names the line.
    """
    spec = get_model_spec(config.model.name)
    space: dict[str, SearchParam] = {**spec.space, **TRAIN_SPACE}
    overrides = {} if config.tune is None else config.tune.space
    for name, param in overrides.items():
        line = None if config_path is None else config_line(config_path, ("tune", "space", name))
        if name not in spec.params.model_fields and name not in TRAIN_SPACE:
            known = ", ".join([*spec.params.model_fields, *TRAIN_SPACE])
            msg = (
                f"tune.space.{name}: not an option of model '{config.model.name}' nor a "
                f"tuned training option; choose from: {known}"
            )
            raise ConfigError(msg, path=config_path, line=line)
        ends = param.choices if param.choices is not None else [param.low, param.high]
        for value in ends:
            try:
                if name in TRAIN_SPACE:
                    TrainConfig.model_validate({**config.train.model_dump(), name: value})
                else:
                    validate_params(config.model.name, {**config.model.params, name: value})
            except (ConfigError, ValueError) as exc:
                reason = str(exc).splitlines()[0]
                if isinstance(exc, ValueError):
                    reason = "value refused by the option"
                msg = f"tune.space.{name}: {value!r} is not a valid value ({reason})"
                raise ConfigError(msg, path=config_path, line=line) from None
        space[name] = param
    return space


def sample_params(trial: optuna.Trial, space: Mapping[str, SearchParam]) -> dict[str, Any]:
    """Options drawn by ``trial`` from ``space`` (its order)."""
    out: dict[str, Any] = {}
    for name, p in space.items():
        if p.type == "categorical":
            out[name] = trial.suggest_categorical(name, list(p.choices or []))
        elif p.type == "int":
            low, high = int(p.low or 0), int(p.high or 0)  # set: SearchParam checks it
            out[name] = trial.suggest_int(name, low, high, step=p.step or 1, log=p.log)
        else:
            low_f, high_f = float(p.low or 0), float(p.high or 0)
            out[name] = trial.suggest_float(name, low_f, high_f, log=p.log)
    return out


def _with_options(config: Config, options: Mapping[str, Any]) -> Config:
    """``config`` with the model and training options replaced, without ``tune``."""
    raw = config_to_dict(config)
    raw.pop("tune", None)
    for name, value in options.items():
        if name in TRAIN_SPACE:
            raw["train"][name] = value
        else:
            raw["model"][name] = value
    new = parse_config(raw, base_dir=config.base_dir)
    return new.model_copy(
        update={"model": new.model.with_checked(validate_params(new.model.name, new.model.params))}
    )


class _Pruning(Callback):
    """Report the per-epoch validation metric to an Optuna trial; stop a pruned one.

    The value is ``valid_auroc`` (the task's validation metric, higher is better) when
    Lightning logged it, else the validation loss, negated when the study maximises,
    so that the pruner compares values in the study's direction.
    """

    def __init__(self, trial: optuna.Trial, *, maximize: bool) -> None:
        self.trial = trial
        self.maximize = maximize

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        import optuna

        logged = trainer.callback_metrics
        if self.maximize and "valid_auroc" in logged:
            value = float(logged["valid_auroc"])
        elif "valid_loss" in logged:
            value = float(logged["valid_loss"]) * (-1.0 if self.maximize else 1.0)
        else:
            return
        if not np.isfinite(value):
            return
        self.trial.report(value, step=trainer.current_epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at epoch {trainer.current_epoch}")


def _study_name(config: Config) -> str:
    """A name that identifies the search: a hash of the configuration without its
    budget (``tune.trials``, ``tune.timeout_s``), so that every worker of a shared
    search, on any machine, finds the same study."""
    raw = config_to_dict(config, absolute_paths=False)
    tune = dict(raw.get("tune", {}))
    tune.pop("trials", None)
    tune.pop("timeout_s", None)
    tune.pop("ensemble", None)  # chooses what is retrained, not what is searched
    raw["tune"] = tune
    # options left at their defaults are left out, so that a new option (with a default)
    # in a later biodl does not rename the studies of earlier configurations
    for key, defaults in (
        ("train", TrainConfig().model_dump(mode="json", exclude_none=True)),
        ("evaluate", EvaluateConfig().model_dump(mode="json", exclude_none=True)),
        ("tune", TuneConfig().model_dump(mode="json", exclude_none=True)),
    ):
        section = raw.get(key)
        if isinstance(section, dict):
            raw[key] = {k: v for k, v in section.items() if defaults.get(k, object()) != v}
    text = json.dumps(raw, sort_keys=True)
    return "biodl-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _storage(url: str) -> optuna.storages.RDBStorage:
    """An Optuna RDB storage; SQLite waits for locks held by other workers."""
    import optuna
    import sqlalchemy.exc

    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": 120}}
    for attempt in range(5):  # two workers creating one new database may collide
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
        except sqlalchemy.exc.SQLAlchemyError:  # e.g. both creating the tables
            if attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


class _Search:
    """Train and score one trial on the training and validation splits only."""

    def __init__(self, config: Config, splits: DataSplits, space: Mapping[str, SearchParam]):
        if splits.valid is None:
            raise ConfigError("biodl tune needs a validation split (data.valid)")
        if splits.test is not None:  # pragma: no cover - the caller drops it
            raise ValueError("the search must not see the test split")
        self.config, self.space = config, space
        # the decision threshold is the run's business (chosen when the best is
        # retrained); the search scores the default task
        kind = config_kind(config, splits.layout)
        self.train = (kind.encode(splits.train), splits.targets(splits.train))
        self.task: Task = splits.as_task(
            loss=config.train.loss, count_weight=count_weight_of(config, self.train[1])
        )
        self.valid = (kind.encode(splits.valid), splits.targets(splits.valid))
        self.truth = self.task.truth(splits.valid)
        # trials train as the final run will: on standardised targets when it does
        self.scaling = target_scaling_of(config, splits, self.train[1])
        if self.scaling is not None:
            self.train = (self.train[0], standardise_targets(self.train[1], *self.scaling))
            self.valid = (self.valid[0], standardise_targets(self.valid[1], *self.scaling))
        X = self.train[0]
        self.io = ModelIO(
            n_channels=int(X.shape[1]) if splits.layout else kind.n_channels(splits.input_length),
            input_length=splits.input_length,
            layout=splits.layout,
            n_outputs=self.task.n_outputs,
            alphabet=input_alphabet(config),
            per_position=splits.per_position,
        )
        self.metric = self._metric()
        self.direction = _direction(self.metric)

    def _metric(self) -> str:
        tune = self.config.tune
        return tune.metric if tune is not None and tune.metric else self.task.headline

    def __call__(self, trial: optuna.Trial) -> float:
        options = sample_params(trial, self.space)
        config = _with_options(self.config, options)
        pos_weight: float | list[float] | None = None
        per_class: list[float] | None = None
        if config.train.class_weight == "balanced":
            pos_weight, per_class = self.task.balanced_weights(self.train[1])
        L.seed_everything(config.train.seed, workers=True, verbose=False)
        assert config.model.checked is not None
        model = create_model(config.model.name, config.model.checked, io=self.io)
        pretrain_unsupervised(model, self.train[0])  # a no-op but for pre-trainable models
        result = fit(
            model,
            self.train,
            self.valid,
            config=config.train.model_copy(update={"progress_bar": False}),
            pos_weight=pos_weight,
            task=self.task,
            class_weight=per_class,
            callbacks=[_Pruning(trial, maximize=self.direction == "maximize")],
        )
        model.load_state_dict(result.state_dict)
        if self.scaling is not None:
            fold_output_scaling(model, *self.scaling, probe=probe_inputs(self.train[0]))
        scores = self.task.scores(predict(model, self.valid[0], batch_size=512))
        truth = self.task.evaluable_truth(self.truth, scores)
        metrics = self.task.metrics(truth, scores, n_bootstrap=0, ci=0.95, seed=0)
        if self.metric not in metrics:
            known = ", ".join(k for k, v in metrics.items() if isinstance(v, Mapping))
            raise ConfigError(
                f"tune.metric '{self.metric}' is not a validation metric of task "
                f"{self.task.name}; choose from: {known}"
            )
        value = metrics[self.metric]
        return float(value["value"] if isinstance(value, Mapping) else value)


def _trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    rows = []
    for t in study.get_trials(deepcopy=False):
        duration = t.duration.total_seconds() if t.duration is not None else None
        rows.append(
            {
                "number": t.number,
                "state": t.state.name.lower(),
                "value": t.value,
                "params": dict(t.params),
                "duration_s": None if duration is None else round(duration, 3),
            }
        )
    return rows


def _write_trials(path: Path, rows: list[dict[str, Any]]) -> None:
    with atomic_open(path) as fh:
        fh.write("number\tstate\tvalue\tparams\tduration_s\n")
        for r in rows:
            value = "" if r["value"] is None else f"{r['value']:.6g}"
            duration = "" if r["duration_s"] is None else f"{r['duration_s']:.3f}"
            params = json.dumps(r["params"], sort_keys=True)
            fh.write(f"{r['number']}\t{r['state']}\t{value}\t{params}\t{duration}\n")


def tune_on_splits(
    config: Config,
    splits: DataSplits,
    space: Mapping[str, SearchParam],
    *,
    trials: int,
    seed: int,
) -> tuple[Config, dict[str, Any]]:
    """Search ``space`` on ``splits``' training and validation examples (an in-memory
    study, no pruning); return ``config`` with the best options and a summary.

    For nested cross-validation: ``splits`` must hold no test split, so the outer
    fold's test examples never choose the options that are then judged on them.

    Raises
    ------
    ValueError
        If ``splits`` has a test split.
    ConfigError
        If no validation split, or no trial completed.
    """
    import optuna

    if splits.test is not None:
        raise ValueError("tune_on_splits must not see a test split")
    search = _Search(config, splits, space)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction=search.direction,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.NopPruner(),
    )
    study.optimize(search, n_trials=trials, gc_after_trial=True)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise ConfigError("no tuning trial completed")
    best = study.best_trial
    summary = {
        "metric": search.metric,
        "direction": search.direction,
        "split": "valid",
        "n_trials": len(study.trials),
        "best_value": best.value,
        "best_params": dict(best.params),
    }
    return _with_options(config, best.params), summary


def _top_trials(study: optuna.Study, k: int) -> list[optuna.trial.FrozenTrial]:
    """The ``k`` best complete trials of ``study`` (fewer if fewer completed), best first
    (the study's best trial first; ties kept in trial order)."""
    import optuna

    complete = [
        t
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if t.value is not None
    ]
    sign = -1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else 1.0
    ranked = sorted(complete, key=lambda t: (sign * float(t.value or 0.0), t.number))
    best = study.best_trial
    ranked = [best, *(t for t in ranked if t.number != best.number)]
    return ranked[:k]


def _ensemble_summary(chosen: list[optuna.trial.FrozenTrial], requested: int) -> dict[str, Any]:
    """The ``tuning`` block's ``ensemble``: the members' trial numbers and values."""
    summary: dict[str, Any] = {
        "requested": requested,
        "members": len(chosen),
        "trials": [t.number for t in chosen],
        "values": [t.value for t in chosen],
    }
    if len(chosen) < requested:
        summary["note"] = (
            f"{requested} members requested, {len(chosen)} trial(s) completed: the "
            f"ensemble has {len(chosen)} member(s)"
        )
    return summary


def tune_run(
    config_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    trials: int | None = None,
    timeout: float | None = None,
    storage: str | None = None,
    metric: str | None = None,
    study_name: str | None = None,
    force: bool = False,
    ensemble: int | None = None,
) -> TuneResult:
    """Search the hyper-parameters a configuration's model and training declare.

    Parameters
    ----------
    config_path
        YAML configuration (see :mod:`biodl.config`), with an optional ``tune:`` block.
    out
        Folder to create (written as ``OUT.partial``, renamed when complete):
        ``study.db``, ``trials.tsv``, ``trials.png``, ``best_config.yaml``, ``best/``.
    trials
        Trials this process runs (default ``tune.trials``, 20); several processes
        sharing one ``storage`` each run this many.
    timeout
        Stop starting trials after this many seconds (default ``tune.timeout_s``).
    storage
        An Optuna RDB URL holding the study (default ``sqlite:///OUT/study.db``);
        workers given the same URL and configuration share one study.
    metric
        Validation metric to optimise (default ``tune.metric``, else the task's
        headline metric); lower is better for losses and errors.
    study_name
        The study's name in ``storage`` (default: ``biodl-`` and a hash of the
        configuration without its trial budget).
    force
        Replace ``out`` if it exists.
    ensemble
        Members of the final model (default ``tune.ensemble``, 1): the ``K`` best
        complete trials, each retrained with its own options, saved as one ensemble run
        ``OUT/best`` (fewer members when fewer trials completed; the ``tuning`` block's
        ``ensemble`` says so).

    Returns
    -------
    TuneResult
        The folder, the metric and direction, the best run, the ``tuning`` block and
        one row per trial.
    """
    import optuna

    config = load_checked(config_path)
    if config.train.init_from is not None:
        raise ConfigError(
            "biodl tune does not start trials from train.init_from; remove it",
            path=config_path,
            line=config_line(config_path, ("train", "init_from")),
        )
    if metric is not None:
        tune = (config.tune or TuneConfig()).model_copy(update={"metric": metric})
        config = config.model_copy(update={"tune": tune})
    if ensemble is not None:
        if not 1 <= ensemble <= 32:
            raise ConfigError(f"--ensemble {ensemble}: must be between 1 and 32")
        tune = (config.tune or TuneConfig()).model_copy(update={"ensemble": ensemble})
        config = config.model_copy(update={"tune": tune})
    space = search_space(config, config_path)
    tune_cfg = config.tune
    n_members = tune_cfg.ensemble if tune_cfg is not None else 1
    if n_members > 1 and config.train.ensemble > 1:
        raise ConfigError(
            "tune.ensemble does not go with train.ensemble; use one of them",
            path=config_path,
            line=config_line(config_path, ("train", "ensemble")),
        )
    n_trials = trials or (tune_cfg.trials if tune_cfg is not None else 20)
    timeout = timeout or (tune_cfg.timeout_s if tune_cfg is not None else None)
    seed = tune_cfg.seed if tune_cfg is not None and tune_cfg.seed is not None else None
    seed = config.train.seed if seed is None else seed
    pruner_name = tune_cfg.pruner if tune_cfg is not None else "median"
    out_path = Path(out)
    inputs = [Path(config_path), *_source_files(config)]
    check_output_dir(out_path, force=force, inputs=inputs)
    with step("reading, encoding and splitting the data"):
        splits = build_splits(config)
    # the search never sees the test split: trials run on a copy without it
    search = _Search(config, dataclasses.replace(splits, test=None), space)
    name = study_name or _study_name(config)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with staged_dir(out_path, force=force, inputs=inputs) as partial:
        url = storage or f"sqlite:///{(partial / 'study.db').resolve()}"
        shown_url = storage or f"sqlite:///{(out_path / 'study.db').resolve()}"
        rdb = _storage(url)
        pruner: optuna.pruners.BasePruner = (
            optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
            if pruner_name == "median"
            else optuna.pruners.NopPruner()
        )
        study = optuna.create_study(
            storage=rdb,
            study_name=name,
            direction=search.direction,
            sampler=optuna.samplers.TPESampler(seed=seed),
            pruner=pruner,
            load_if_exists=True,
        )
        if study.direction.name.lower() != search.direction:
            raise ConfigError(
                f"study '{name}' in {shown_url} {study.direction.name.lower()}s its "
                f"metric; this search would {search.direction} {search.metric}"
            )
        study.set_user_attr("metric", search.metric)
        study.optimize(search, n_trials=n_trials, timeout=timeout, gc_after_trial=True)
        rows = _trial_rows(study)
        complete = [r for r in rows if r["state"] == "complete"]
        if not complete:
            raise ConfigError(f"no trial of study '{name}' completed; see {shown_url}")
        best_trial = study.best_trial
        chosen = _top_trials(study, n_members)
        _write_trials(partial / "trials.tsv", rows)
        plot_trials(
            [r["number"] for r in rows],
            [r["value"] if r["state"] == "complete" else None for r in rows],
            partial / "trials.png",
            metric=search.metric,
            maximize=search.direction == "maximize",
        )
        best_config = _with_options(config, best_trial.params)
        best_raw = config_to_dict(best_config)
        atomic_write_text(partial / "best_config.yaml", yaml.safe_dump(best_raw, sort_keys=False))
        tuning = {
            "study_name": name,
            "storage": shown_url,
            "sampler": f"TPE (seed {seed})",
            "pruner": pruner_name,
            "metric": search.metric,
            "direction": search.direction,
            "split": "valid",
            "n_trials": len(rows),
            "n_complete": len(complete),
            "n_pruned": sum(r["state"] == "pruned" for r in rows),
            "best_trial": best_trial.number,
            "best_value": best_trial.value,
            "best_params": dict(best_trial.params),
            "space": {k: v.model_dump(exclude_none=True) for k, v in space.items()},
        }
        if n_members > 1:
            tuning["ensemble"] = _ensemble_summary(chosen, n_members)
        if storage is None:
            rdb.engine.dispose()  # the file moves with the folder
        best = train_on_splits(
            best_config,
            splits,
            partial / "best",
            config_path=partial / "best_config.yaml",
            members=[_with_options(config, t.params) for t in chosen[1:]],
        )
        meta = {**best.meta, "tuning": tuning}
        if len(chosen) > 1:
            meta["ensemble"] = {
                **meta["ensemble"],
                "trials": [
                    {"number": t.number, "value": t.value, "params": dict(t.params)} for t in chosen
                ],
            }
        write_json(partial / "best" / "model.json", meta)
    best = dataclasses.replace(best, out=out_path / "best", meta=meta)
    return TuneResult(
        out=out_path,
        metric=search.metric,
        direction=search.direction,
        best=best,
        tuning=tuning,
        trials=tuple(rows),
    )
