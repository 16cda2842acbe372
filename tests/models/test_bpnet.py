from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

from biodl.errors import ConfigError
from biodl.models import ModelIO, SequenceModel, create_model, get_model_spec, validate_params
from biodl.models.bpnet import BPNetHead, BPNetTrunk, bin_log_rates
from tests.models.options import alternative, fingerprint
from tests.models.test_dilated_resnet import measured_receptive_field
from tests.models.test_zoo import random_one_hot

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL: dict[str, Any] = {"n_filters": 8, "n_layers": 3, "stem_width": 7, "profile_width": 9}


def _bpnet(length: int = 64, n_outputs: int = 2, **params: Any) -> SequenceModel:
    torch.manual_seed(0)
    io = ModelIO(4, length, n_outputs, per_position=True)
    model = create_model("bpnet", {**SMALL, **params}, io=io)
    assert isinstance(model, SequenceModel)
    return model.eval()


def _parts(model: SequenceModel) -> tuple[BPNetTrunk, BPNetHead]:
    assert isinstance(model.trunk, BPNetTrunk)
    assert isinstance(model.head, BPNetHead)
    return model.trunk, model.head


@pytest.mark.parametrize("bin_size", [1, 4])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_one_log_rate_per_bin_and_track(bin_size: int, n_outputs: int) -> None:
    model = _bpnet(64, n_outputs, bin_size=bin_size)
    x = random_one_hot(5, 64)
    z = model(x)
    assert z.shape == (5, n_outputs, 64 // bin_size)
    assert torch.isfinite(z).all()
    assert model.embed(x).shape == (5, 8, 64)
    assert model.train()(x).shape == z.shape


def test_defaults_are_bpnets() -> None:
    model = create_model("bpnet", {}, io=ModelIO(4, 2114, 2, per_position=True))
    assert isinstance(model, SequenceModel)
    trunk, head = _parts(model)
    assert trunk.dilations == (2, 4, 8, 16, 32, 64, 128, 256)
    assert trunk.receptive_field == 21 + 2 * 510 == 1041
    assert head.profile.kernel_size == (75,)
    assert trunk.stem.out_channels == 64
    # stem, 8 residual convolutions, profile convolution and count layer
    conv = 64 * 4 * 21 + 64 + 8 * (64 * 64 * 3 + 64) + 2 * 64 * 75 + 2
    assert sum(p.numel() for p in model.parameters()) == conv + 64 * 2 + 2


def test_receptive_field_matches_a_measurement() -> None:
    trunk, _ = _parts(_bpnet(120))
    measured = measured_receptive_field(trunk, 120)  # type: ignore[arg-type]
    assert measured == trunk.receptive_field == 7 + 2 * 14


def test_total_is_the_count_head_and_the_profile_sums_to_one() -> None:
    """logsumexp(z) is the count head's output and softmax(z) a distribution per track."""
    model = _bpnet(64, 3, bin_size=4).double()
    trunk, head = _parts(model)
    x = random_one_hot(4, 64).double()
    with torch.no_grad():
        z = model(x)
        counts = head.log_counts(trunk(x))
    torch.testing.assert_close(torch.logsumexp(z, dim=-1), counts, rtol=0, atol=1e-12)
    total = torch.softmax(z, dim=-1).sum(dim=-1)
    torch.testing.assert_close(total, torch.ones_like(total), rtol=0, atol=1e-12)
    # the normalised profile is the profile head's alone: changing the count layer's
    # bias moves every bin's log rate by the same amount
    with torch.no_grad():
        head.count.bias.add_(1.5)
        shifted = model(x)
    torch.testing.assert_close(shifted, z + 1.5, rtol=0, atol=1e-12)


def test_bins_hold_the_summed_per_base_rates() -> None:
    """Bin b of a model with bins of 4 has rate = the sum of the per-base rates of the
    same weights at bins of 1 over its 4 positions."""
    per_base = _bpnet(64, 2, bin_size=1).double()
    binned = _bpnet(64, 2, bin_size=4).double()
    binned.load_state_dict(per_base.state_dict())
    x = random_one_hot(3, 64, seed=4).double()
    with torch.no_grad():
        rates = per_base(x).exp().reshape(3, 2, 16, 4).sum(dim=-1)
        torch.testing.assert_close(binned(x), rates.log(), rtol=0, atol=1e-12)


def test_bin_log_rates_is_exact_on_a_small_case() -> None:
    z = torch.tensor([[[0.0, 0.0, 1000.0, 1000.0, -3.0, 2.0]]], dtype=torch.float64)
    got = bin_log_rates(z, 2)[0, 0].tolist()
    want = [math.log(2.0), 1000.0 + math.log(2.0), math.log(math.exp(-3.0) + math.exp(2.0))]
    assert got == pytest.approx(want, rel=0, abs=1e-12)  # no overflow at exp(1000)
    assert bin_log_rates(z, 1) is z


def test_needs_per_position_outputs() -> None:
    with pytest.raises(ConfigError, match="set per_position: true"):
        create_model("bpnet", {}, io=ModelIO(4, 100, 1))


def test_input_length_must_be_a_multiple_of_the_bin_size() -> None:
    with pytest.raises(ConfigError, match=r"multiple of model\.bin_size \(8\), got 100"):
        create_model("bpnet", {"bin_size": 8}, io=ModelIO(4, 100, 1, per_position=True))
    assert _bpnet(96, 1, bin_size=8)(random_one_hot(1, 96)).shape == (1, 1, 12)


def test_options_are_checked() -> None:
    io = ModelIO(4, 64, 1, per_position=True)
    with pytest.raises(ConfigError, match=r"unknown key 'model\.strands'"):
        create_model("bpnet", {"strands": "mean"}, io=io)
    with pytest.raises(ConfigError, match="n_layers"):
        create_model("bpnet", {"n_layers": "8"}, io=io)
    with pytest.raises(ConfigError, match="bin_size"):
        create_model("bpnet", {"bin_size": 0}, io=io)
    with pytest.raises(ConfigError, match="for dna, rna input"):
        create_model("bpnet", {}, io=ModelIO(20, 64, 1, alphabet="protein", per_position=True))


def test_every_option_can_be_set_and_takes_effect() -> None:
    spec = get_model_spec("bpnet")
    base = spec.params.model_validate(SMALL)
    x = random_one_hot(2, 60, seed=9)

    def probe(params: dict[str, Any]) -> tuple[Any, ...]:
        torch.manual_seed(0)
        io = ModelIO(4, 60, 2, per_position=True)
        model = create_model("bpnet", params, io=io)
        return fingerprint(model, x)

    reference = probe(SMALL)
    for key, field in spec.params.model_fields.items():
        value = alternative(field, getattr(base, key))
        params = {**SMALL, key: value}
        assert getattr(validate_params("bpnet", params), key) == value
        assert probe(params) != reference, f"option {key}={value!r} had no effect"
    assert set(spec.space) <= set(spec.params.model_fields)


def test_a_short_training_run_learns_a_planted_profile() -> None:
    """Reads pile up on a planted GATA: with a Poisson loss, the predicted profile peaks
    at the motif. The target rate is 20 over the motif and 0.05 elsewhere, so the
    motif's 4 positions hold 0.94 of each window's expected reads."""
    g = torch.Generator().manual_seed(0)
    n, length = 48, 48
    idx = torch.randint(0, 4, (n, length), generator=g)
    starts = torch.randint(4, length - 8, (n,), generator=g)
    motif = torch.tensor([2, 0, 3, 0])  # GATA
    rate = torch.full((n, 1, length), 0.05)
    for i, s in enumerate(starts.tolist()):
        idx[i, s : s + 4] = motif
        rate[i, 0, s : s + 4] = 20.0
    x = nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()
    model = _bpnet(length, 1, n_filters=16, n_layers=2).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        optimizer.zero_grad()
        z = model(x)
        loss = (z.exp() - rate * z).mean()  # Poisson NLL of log rates, up to a constant
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        profile = torch.softmax(model.eval()(x), dim=-1)[:, 0]
    on_motif = torch.stack([profile[i, s : s + 4].sum() for i, s in enumerate(starts.tolist())])
    assert on_motif.min().item() > 0.5  # 4 of 48 positions: 0.083 if uniform
