"""The multinomial + total-count loss of profile models (BPNet) and its regression task."""

from __future__ import annotations

import math
from typing import Any, Literal, cast

import numpy as np
import pytest
import torch

from biodl.errors import InputError
from biodl.tasks import (
    Regression,
    bpnet_count_weight,
    make_task,
    masked_loss,
    multinomial_loss,
    task_from_meta,
)


def _numpy_loss(z: np.ndarray, y: np.ndarray, weight: float) -> float:
    """The loss by hand: a loop over windows and tracks over their observed bins."""
    per = []
    for i in range(z.shape[0]):
        for t in range(z.shape[1]):
            seen = ~np.isnan(y[i, t])
            if not seen.any():
                continue
            zi, yi = z[i, t, seen], y[i, t, seen]
            lse = math.log(sum(math.exp(v) for v in zi))
            profile = -sum(yv * (zv - lse) for yv, zv in zip(yi, zi, strict=True))
            count = (math.log(1 + yi.sum()) - math.log(1 + math.exp(lse))) ** 2
            per.append(profile + weight * count)
    return float(np.mean(per))


def _case() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 2, 5))
    y = rng.poisson(3.0, size=(3, 2, 5)).astype(np.float64)
    return z, y


def test_the_loss_equals_a_hand_computation() -> None:
    z, y = _case()
    for weight in (0.0, 1.0, 2.5):
        got = multinomial_loss(torch.from_numpy(z), torch.from_numpy(y), count_weight=weight)
        assert got.dtype == torch.float64
        assert float(got) == pytest.approx(_numpy_loss(z, y, weight), rel=1e-12)


def test_a_flat_prediction_of_the_right_total_costs_the_profile_term_only() -> None:
    y = torch.tensor([[[1.0, 2.0, 0.0, 1.0]]], dtype=torch.float64)
    z = torch.full((1, 1, 4), math.log(1.0), dtype=torch.float64)  # rates 1, total 4
    loss = multinomial_loss(z, y, count_weight=10.0)
    assert float(loss) == pytest.approx(4 * math.log(4), rel=1e-14)


def test_a_constant_added_to_the_outputs_changes_the_count_term_only() -> None:
    z, y = _case()
    zt, yt = torch.from_numpy(z), torch.from_numpy(y)
    c = 1.75
    profile = multinomial_loss(zt, yt, count_weight=0.0)
    shifted = multinomial_loss(zt + c, yt, count_weight=0.0)
    assert float(shifted) == pytest.approx(float(profile), rel=1e-13)
    # with the count term: the difference is exactly the change in the count term
    lse = np.log(np.exp(z).sum(-1))
    total = np.log1p(y.sum(-1))
    count = ((total - np.log1p(np.exp(lse))) ** 2).mean()
    count_c = ((total - np.log1p(np.exp(lse + c))) ** 2).mean()
    both = multinomial_loss(zt, yt, count_weight=3.0)
    both_c = multinomial_loss(zt + c, yt, count_weight=3.0)
    assert float(both_c - both) == pytest.approx(3.0 * (count_c - count), rel=1e-10)


def test_missing_bins_and_windows_are_left_out() -> None:
    z, y = _case()
    y[0, 1, 2] = np.nan  # one bin of window 0, track 1
    y[2, 0, :] = np.nan  # all of window 2, track 0: left out of the mean
    got = multinomial_loss(torch.from_numpy(z), torch.from_numpy(y), count_weight=1.5)
    assert float(got) == pytest.approx(_numpy_loss(z, y, 1.5), rel=1e-12)
    # the missing bin is out of the softmax and the total: its output does not matter
    z2 = z.copy()
    z2[0, 1, 2] = 50.0
    z2[2, 0, :] = -30.0
    again = multinomial_loss(torch.from_numpy(z2), torch.from_numpy(y), count_weight=1.5)
    assert float(again) == pytest.approx(float(got), rel=1e-12)
    nothing = torch.full((1, 1, 3), float("nan"), dtype=torch.float64)
    assert float(multinomial_loss(torch.zeros(1, 1, 3), nothing, count_weight=1.0)) == 0.0


def test_gradients_flow_and_stay_finite_with_missing_values() -> None:
    z, y = _case()
    y[1, 0, :] = np.nan
    y[0, 0, 3] = np.nan
    zt = torch.from_numpy(z).float().requires_grad_()
    loss = multinomial_loss(zt, torch.from_numpy(y).float(), count_weight=1.0)
    assert loss.dtype == torch.float32
    loss.backward()
    grad = zt.grad
    assert grad is not None
    assert torch.isfinite(grad).all()
    assert (grad[1, 0] == 0).all()  # the window with no observed bin
    assert grad[0, 0, 3] == 0  # the missing bin
    assert (grad[0, 1] != 0).all()


def test_fitting_free_outputs_recovers_the_profile_and_the_total() -> None:
    y = torch.tensor([[[4.0, 1.0, 0.0, 3.0]]])
    z = torch.zeros(1, 1, 4, requires_grad=True)
    opt = torch.optim.Adam([z], lr=0.1)
    for _ in range(600):
        opt.zero_grad()
        multinomial_loss(z, y, count_weight=4.0).backward()
        opt.step()
    rates = torch.exp(z.detach())[0, 0]
    assert float(rates.sum()) == pytest.approx(8.0, rel=1e-3)
    p = rates / rates.sum()
    assert p[[0, 1, 3]].tolist() == pytest.approx([0.5, 0.125, 0.375], abs=2e-2)


def test_longer_targets_are_averaged_into_the_output_bins() -> None:
    z, _ = _case()
    fine = np.random.default_rng(1).poisson(2.0, size=(3, 2, 10)).astype(np.float64)
    binned = fine.reshape(3, 2, 5, 2).mean(-1)
    got = multinomial_loss(torch.from_numpy(z), torch.from_numpy(fine), count_weight=1.0)
    assert float(got) == pytest.approx(_numpy_loss(z, binned, 1.0), rel=1e-12)


def test_the_loss_needs_per_position_outputs_and_a_valid_weight() -> None:
    with pytest.raises(ValueError, match="per-position outputs"):
        multinomial_loss(torch.zeros(2, 3), torch.zeros(2, 3), count_weight=1.0)
    with pytest.raises(ValueError, match="count_weight"):
        multinomial_loss(torch.zeros(1, 1, 3), torch.zeros(1, 1, 3), count_weight=-1.0)


def test_the_task_trains_with_the_multinomial_loss_and_scores_rates() -> None:
    z, y = _case()
    task = Regression(["a", "b"], per_position=True, loss="multinomial", count_weight=2.0)
    got = task.loss(torch.from_numpy(z), torch.from_numpy(y))
    assert float(got) == pytest.approx(_numpy_loss(z, y, 2.0), rel=1e-12)
    np.testing.assert_allclose(task.scores(np.log(np.array([[[1.0, 4.0]]]))), [[[1.0, 4.0]]])
    assert task.ensemble_combine == "rate"
    assert Regression(["a"], per_position=True, loss="multinomial").count_weight == 1.0


def test_the_other_losses_are_unchanged() -> None:
    z, y = _case()
    zt, yt = torch.from_numpy(z).float(), torch.from_numpy(y).float()
    kinds: tuple[Literal["mse", "poisson"], ...] = ("mse", "poisson")
    for kind in kinds:
        task = Regression(["a", "b"], per_position=True, loss=kind)
        assert torch.equal(task.loss(zt, yt), masked_loss(zt, yt, kind=kind))
        assert task.count_weight is None
        assert "count_weight" not in task.to_meta()
    assert Regression(["a"], loss="poisson").ensemble_combine == "rate"
    assert Regression(["a"]).ensemble_combine == "mean"


def test_bad_combinations_are_refused() -> None:
    with pytest.raises(ValueError, match="needs per_position: true"):
        Regression(["a"], loss="multinomial")
    with pytest.raises(ValueError, match="needs per_position: true"):
        make_task("regression", classes=["a"], loss="multinomial")
    with pytest.raises(ValueError, match="count_weight is for loss multinomial"):
        make_task("regression", classes=["a"], loss="poisson", count_weight=1.0)
    with pytest.raises(ValueError, match="count_weight must be"):
        Regression(["a"], per_position=True, loss="multinomial", count_weight=-0.5)
    with pytest.raises(ValueError, match="count_weight must be"):
        Regression(["a"], per_position=True, loss="multinomial", count_weight=math.inf)
    with pytest.raises(ValueError, match="unknown regression loss"):
        Regression(["a"], loss=cast(Any, "huber"))


def test_make_task_and_the_meta_round_trip() -> None:
    task = make_task(
        "regression",
        classes=["cage", "dnase"],
        per_position=True,
        loss="multinomial",
        count_weight=12.5,
    )
    assert isinstance(task, Regression)
    assert (task.loss_name, task.count_weight) == ("multinomial", 12.5)
    meta = task.to_meta()
    assert meta["loss"] == "multinomial"
    assert meta["count_weight"] == 12.5
    assert task_from_meta(meta) == task
    named = task.named(["CAGE", "DNase"])
    assert task_from_meta(named.to_meta()) == named
    older = {k: v for k, v in meta.items() if k != "count_weight"}
    assert task_from_meta(older) == make_task(
        "regression",
        classes=["cage", "dnase"],
        per_position=True,
        loss="multinomial",
        count_weight=1.0,
    )
    poisson = make_task("regression", classes=["a"], per_position=True, loss="poisson")
    assert task_from_meta(poisson.to_meta()) == poisson


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"count_weight": -1.0}, "'count_weight' must be a number >= 0"),
        ({"count_weight": "big"}, "'count_weight' must be a number >= 0"),
        ({"count_weight": True}, "'count_weight' must be a number >= 0"),
        ({"per_position": False}, "loss multinomial needs per_position: true"),
    ],
)
def test_bad_meta_is_an_input_error(change: dict[str, object], message: str) -> None:
    meta = Regression(["a"], per_position=True, loss="multinomial").to_meta()
    with pytest.raises(InputError, match=message):
        task_from_meta({**meta, **change})


def test_bpnet_count_weight_is_half_the_mean_total() -> None:
    y = np.array(
        [
            [[1.0, 3.0], [2.0, 4.0]],
            [[8.0, 0.0], [np.nan, np.nan]],
            [[np.nan, 2.0], [0.0, 0.0]],
        ]
    )
    # totals: 4, 6, 8, 2, 0 (the all-missing one is left out) -> mean 4, half 2
    assert bpnet_count_weight(y) == 2.0
    assert bpnet_count_weight(np.zeros((2, 1, 3))) == 1e-3
    with pytest.raises(ValueError, match="no observed value"):
        bpnet_count_weight(np.full((1, 1, 2), np.nan))
    with pytest.raises(ValueError, match=r"\(N, T, B\)"):
        bpnet_count_weight(np.ones((2, 3)))


def test_metrics_of_tracks_and_of_values() -> None:
    task = Regression(["a"], per_position=True, loss="multinomial")
    truth = np.array([[[0.0, 1.0, 3.0]], [[2.0, 2.0, 0.0]]])
    m = task.metrics(truth, truth * 2, n_bootstrap=10, ci=0.95, seed=0)
    assert m["window_pearson[a]"]["value"] == pytest.approx(1.0)
    assert m["jsd[a]"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert m["mean_pearson"]["value"] == pytest.approx(1.0)
    flat = Regression(["a"]).metrics(truth[:, :, 0], truth[:, :, 0], n_bootstrap=0, ci=0.95, seed=0)
    assert "jsd[a]" not in flat
    assert flat["n[a]"]["value"] == 2
