"""``train.ensemble: K``: K seeds in one run directory, averaged on the scale of the
task's scores, used by every consumer through the loaded model."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from biodl.cli import main
from biodl.errors import ConfigError
from biodl.interpret import ism
from biodl.models import Ensemble
from biodl.runs import load_run
from biodl.tasks import task_from_meta
from biodl.workflows import predict_file, train_run
from tests.conftest import base_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class _Constant(nn.Module):
    def __init__(self, value: list[float]) -> None:
        super().__init__()
        self.value = torch.tensor([value])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.value.expand(len(x), -1)


def _combined(combine: str, outputs: list[list[float]]) -> torch.Tensor:
    model = Ensemble([_Constant(v) for v in outputs], combine=combine)  # type: ignore[arg-type]
    return model(torch.zeros(1, 4, 3))[0]


def test_each_combine_averages_on_its_scale() -> None:
    a, b = [0.0, 2.0], [2.0, -1.0]
    assert _combined("mean", [a, b]).tolist() == [1.0, 0.5]
    rate = _combined("rate", [a, b]).exp()
    assert rate.tolist() == pytest.approx([(1 + math.e**2) / 2, (math.e**2 + math.e**-1) / 2])
    sig = torch.sigmoid(_combined("probability", [a, b]))
    want = (torch.sigmoid(torch.tensor(a)) + torch.sigmoid(torch.tensor(b))) / 2
    assert torch.allclose(sig, want, atol=1e-7)
    soft = torch.softmax(_combined("softmax", [a, b]), dim=-1)
    want = (torch.softmax(torch.tensor(a), -1) + torch.softmax(torch.tensor(b), -1)) / 2
    assert torch.allclose(soft, want, atol=1e-7)
    # one member: the ensemble is that member (up to rounding)
    assert torch.allclose(_combined("probability", [a]), torch.tensor(a), atol=1e-6)
    with pytest.raises(ValueError, match="combine"):
        Ensemble([_Constant(a)], combine="median")  # type: ignore[arg-type]


def _write(tmp_path: Path, motif_tables: Path, **train: Any) -> Path:
    config = base_config()
    config["data"]["train"]["table"] = str(motif_tables / "train.tsv")
    config["data"]["test"]["table"] = str(motif_tables / "test.tsv.gz")
    config["train"].update({"max_epochs": 2, **train})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_an_ensemble_run_trains_k_seeds_and_every_consumer_uses_them(
    tmp_path: Path, motif_tables: Path
) -> None:
    run = train_run(_write(tmp_path, motif_tables, ensemble=3), tmp_path / "run").out
    meta = json.loads((run / "model.json").read_text())
    seed = meta["seed"]
    assert meta["ensemble"]["members"] == 3
    assert meta["ensemble"]["combine"] == "probability"
    assert meta["ensemble"]["seeds"] == [seed, seed + 1, seed + 2]
    assert [m["seed"] for m in meta["ensemble"]["training"]] == meta["ensemble"]["seeds"]
    loaded = load_run(run)
    model = loaded.model
    assert isinstance(model, Ensemble)
    assert len(model.members) == 3
    first = dict(model.members[0].named_parameters())
    second = dict(model.members[1].named_parameters())
    assert any(not torch.equal(first[k], second[k]) for k in first)  # different seeds
    # the run's output is the members' combined on the probability scale, exactly
    x = torch.from_numpy(loaded.input_kind.encode(["ACGT" * 15, "TTGACA" * 10])).float()
    with torch.no_grad():
        z = model(x)
        members = torch.stack([torch.sigmoid(m(x)) for m in model.members]).mean(0)
    assert torch.allclose(torch.sigmoid(z), members, atol=1e-6)
    # predict scores with the ensemble
    fasta = tmp_path / "q.fa"
    fasta.write_text(">a\n" + "ACGT" * 15 + "\n>b\n" + "TTGACA" * 10 + "\n")
    rows = predict_file(run, fasta, tmp_path / "p.tsv").out.read_text().splitlines()
    task = task_from_meta(meta)
    scores = [float(r.split("\t")[1]) for r in rows[1:]]
    assert scores == pytest.approx(task.scores(z).tolist(), rel=1e-5)
    # explain-side tools take it like any model (ISM runs naive on an ensemble)
    maps = ism(model, x.numpy(), device="cpu")
    assert np.isfinite(np.asarray(maps)).all()
    assert not (run / "members" / "1" / "checkpoints" / "state.json").exists()


def test_ensemble_options_are_checked(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, motif_tables, ensemble=0)
    assert main(["train", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "config.yaml:" in err[0]
    assert "ensemble" in err[0]
    with pytest.raises(ConfigError, match="init_from"):
        train_run(
            _write(tmp_path, motif_tables, ensemble=2, init_from=str(tmp_path)),
            tmp_path / "r2",
        )
