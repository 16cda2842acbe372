"""In-silico mutagenesis: exact values on analytic models, fast == naive on the whole zoo."""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from biodl.models import ModelIO, create_model, get_model_spec, list_models
from biodl.models.locality import Link, NonLocal, Residual, forward_chain, run_chain
from tests.interpret import zoo

ism_module = importlib.import_module("biodl.interpret.ism")
fast_module = importlib.import_module("biodl.interpret._fast_ism")
ism = ism_module.ism

# tiny widths: every call below runs in well under a second
SMALL: dict[str, dict[str, Any]] = {
    "basset": {"conv1_filters": 6, "conv2_filters": 5, "conv3_filters": 4, "hidden": 6},
    "danq": {"n_filters": 6, "lstm_units": 3, "hidden": 5},
    "deepbind": {"n_filters": 5, "filter_width": 7, "hidden": 4},
    "deepsea": {
        "conv1_filters": 6,
        "conv2_filters": 5,
        "conv3_filters": 4,
        "hidden": 6,
        "filter_width": 5,
    },
    "dilated_resnet": {"n_filters": 6, "n_blocks": 3, "bin_size": 4},
    "deepfam": {"n_filters": 4, "widths": [3, 5], "hidden": 6},
    "deepgoplus_cnn": {"n_filters": 4, "widths": [3, 6]},
    "deeploc": {
        "conv_filters": 3,
        "conv_widths": [1, 3],
        "conv2_filters": 4,
        "lstm_units": 3,
        "attention_units": 3,
        "hidden": 5,
    },
}
DNA = ["basset", "danq", "deepbind", "deepsea", "dilated_resnet"]
# protein models mask all-zero (padding) columns, so a substitution is not local: naive only
PROTEIN = ["deepfam", "deepgoplus_cnn", "deeploc", "light_attention"]
# packed inputs (deepmir: sequence + structure; deepcpg*: CpG neighbourhoods) are not
# one-hot, and residue_tagger, residue_embedding and bpnet have per-position outputs: ism
# refuses them (tested below)
NOT_ONE_HOT = {
    "deepmir",
    "deepcpg",
    "deepcpg_cpg",
    "residue_tagger",
    "residue_embedding",
    "bpnet",  # per-base profiles of DNA
    "mlp",  # expression matrices (it also flattens one-hot input, but it is not local)
    "dae",
    "multiview",
    # molecules: packed graphs (mask, atom features, neighbour indices, reverse slots,
    # bond features) and fingerprints (N, n_bits, 1) hold no one-hot letters to substitute
    "dmpnn",
    "gin",
    "fingerprint_mlp",
    "pileup_cnn",  # read pileups: six real-valued channels per read and column
}
RTOL, ATOL = 1e-4, 1e-5


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def no_naive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if ism falls back to the naive path."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the naive path ran")

    monkeypatch.setattr(ism_module, "_naive", refuse)


def one_hot(n: int, length: int, channels: int = 4, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, channels, (n, length), generator=g)
    return nn.functional.one_hot(idx, channels).permute(0, 2, 1).float()


def randomise_norms(model: nn.Module, seed: int = 0) -> nn.Module:
    """Non-trivial batch-norm statistics (fresh ones are the identity)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                assert m.running_mean is not None
                assert m.running_var is not None
                m.running_mean.copy_(torch.rand(m.num_features, generator=g) - 0.5)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.rand(m.num_features, generator=g) - 0.5)
    return model.eval()


def zoo_model(name: str, length: int, n_outputs: int = 2, **options: Any) -> nn.Module:
    torch.manual_seed(0)
    alphabet = "protein" if name in PROTEIN else "dna"
    io = ModelIO(20 if name in PROTEIN else 4, length, n_outputs, alphabet=alphabet)
    return randomise_norms(create_model(name, {**SMALL.get(name, {}), **options}, io=io))


def assert_fast_equals_naive(model: nn.Module, x: torch.Tensor, **kwargs: Any) -> np.ndarray:
    fast = ism(model, x, target=None, device="cpu", **kwargs)
    naive = ism(model, x, target=None, device="cpu", method="naive", **kwargs)
    np.testing.assert_allclose(fast, naive, rtol=RTOL, atol=ATOL)
    return fast


# ------------------------------------------------------------------ exact values


def linear_model(weights: torch.Tensor, readout: torch.Tensor) -> nn.Module:
    """Width-1 convolution (one filter, weights per letter) and a linear read-out."""
    conv = nn.Conv1d(4, 1, 1, bias=False)
    linear = nn.Linear(readout.numel(), 1, bias=True)
    with torch.no_grad():
        conv.weight.copy_(weights.reshape(1, 4, 1))
        linear.weight.copy_(readout.reshape(1, -1))
        linear.bias.fill_(0.5)
    return nn.Sequential(conv, nn.Flatten(), linear).eval()


@pytest.mark.parametrize("method", ["fast", "naive"])
def test_exact_values_on_an_additive_model(method: str) -> None:
    weights = torch.tensor([1.0, 2.0, 4.0, 8.0])
    readout = torch.tensor([1.0, -1.0, 0.5, 2.0, 0.0])
    x = one_hot(1, 5, seed=3)
    ref = x[0].argmax(0)
    scores = ism(linear_model(weights, readout), x, device="cpu", method=method)  # type: ignore[arg-type]
    expected = readout[None, :] * (weights[:, None] - weights[ref][None, :])
    np.testing.assert_array_equal(scores[0], expected.numpy())
    assert scores.dtype == np.float32


def test_exact_values_through_a_relu_and_max_pool() -> None:
    # one filter scoring A=1 C=0 G=0 T=0 at width 2, ReLU, max over 2 windows of 2
    conv = nn.Conv1d(4, 1, 2)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, :] = 1.0
        conv.bias.fill_(-1.0)
    model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool1d(2), nn.Flatten()).eval()
    x = torch.tensor(np.eye(4, dtype=np.float32)[[0, 0, 1, 2, 3]].T[None])  # AACGT
    # reference: conv = [1, 0, -1, -1] -> relu [1, 0, 0, 0] -> pool [1, 0]
    scores = ism(model, x, target=None, device="cpu")
    assert scores.shape == (1, 2, 4, 5)
    # output 0 = max(relu(conv0), relu(conv1)) drops to 0 when either of the two As changes
    np.testing.assert_array_equal(scores[0, 0, 1:, 0], [-1, -1, -1])
    np.testing.assert_array_equal(scores[0, 0, 1:, 1], [-1, -1, -1])
    # an A at position 2 makes conv1 = 1 (no change to output 0) and conv2 = 0 (none to 1)
    np.testing.assert_array_equal(scores[0, :, 0, 2], [0, 0])
    # an A at position 3 makes conv2 = 0 and conv3 = 0; AA at 3-4 would be needed for 1
    np.testing.assert_array_equal(scores[0, 1, 0, 3:], [0, 0])


def test_reference_letters_score_exactly_zero_and_unknown_columns_all_letters() -> None:
    model = zoo_model("basset", 60)
    x = one_hot(2, 60, seed=1)
    x[1, :, 7] = 0.0  # an N (all zero)
    scores = ism(model, x, device="cpu")
    assert np.all(scores[x.numpy() == 1] == 0)
    assert np.count_nonzero(scores[1, :, 7]) == 4  # every letter substitutes an N
    naive = ism(model, x, device="cpu", method="naive")
    np.testing.assert_allclose(scores, naive, rtol=RTOL, atol=ATOL)


def test_uniform_unknown_columns_are_accepted() -> None:
    model = zoo_model("deepbind", 40)
    x = one_hot(1, 40, seed=2)
    x[0, :, 3] = 0.25
    assert_fast_equals_naive(model, x)


# ------------------------------------------------------------------ the zoo


def test_every_one_hot_zoo_model_is_covered() -> None:
    names = {spec.name for spec in list_models()}
    assert names == set(DNA) | set(PROTEIN) | NOT_ONE_HOT


@pytest.mark.parametrize("length", [9, 47, 130])
@pytest.mark.parametrize("name", DNA)
def test_fast_equals_naive_on_the_dna_zoo(name: str, length: int, no_naive: None) -> None:
    model = zoo_model(name, length, n_outputs=3)
    x = one_hot(2, length, seed=length)
    fast = ism(model, x, target=None, device="cpu")
    with torch.inference_mode():
        ref = model(x)
    for n in range(2):  # a few mutants by hand, through the model itself
        for pos in (0, length // 2, length - 1):
            c = (int(x[n, :, pos].argmax()) + 1) % 4
            mutant = x[n : n + 1].clone()
            mutant[0, :, pos] = 0.0
            mutant[0, c, pos] = 1.0
            with torch.inference_mode():
                want = (model(mutant) - ref[n : n + 1])[0].numpy()
            np.testing.assert_allclose(fast[n, :, c, pos], want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("length", [9, 47, 130])
@pytest.mark.parametrize("name", DNA)
def test_fast_equals_naive_ism(name: str, length: int) -> None:
    assert_fast_equals_naive(zoo_model(name, length, n_outputs=2), one_hot(2, length, seed=5))


@pytest.mark.parametrize("strands", ["single", "max", "mean"])
@pytest.mark.parametrize("name", ["deepbind", "deepsea", "danq"])
def test_fast_equals_naive_for_each_strand_mode(name: str, strands: str, no_naive: None) -> None:
    model = zoo_model(name, 64, strands=strands)
    x = one_hot(2, 64, seed=7)
    fast = ism(model, x, target=None, device="cpu")
    with torch.inference_mode():
        ref = model(x)
        mutant = x.clone()
        mutant[:, :, 20] = torch.roll(x[:, :, 20], 1, dims=1)
        want = (model(mutant) - ref).numpy()
    got = np.stack([fast[n, :, int(mutant[n, :, 20].argmax()), 20] for n in range(2)])
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def assert_matches_model(model: nn.Module, x: torch.Tensor, scores: np.ndarray) -> None:
    """``scores`` (N, T, C, L) against the model's own outputs, every position, one letter."""
    with torch.inference_mode():
        ref = model(x)
        for pos in range(x.shape[-1]):
            mutant = x.clone()
            mutant[:, :, pos] = torch.roll(x[:, :, pos], 2, dims=1)
            want = (model(mutant) - ref).numpy()
            c = mutant[:, :, pos].argmax(1)
            got = np.stack([scores[n, :, int(c[n]), pos] for n in range(x.shape[0])])
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "options",
    [
        {"activation": "relu"},
        {"dilation_rate": 1.5, "kernel_size": 5},
        {"stem_width": 4, "bin_size": 3, "pooling": "max_avg"},
    ],
)
def test_fast_dilated_resnets_match_the_model(options: dict[str, Any], no_naive: None) -> None:
    model = zoo_model("dilated_resnet", 150, **options)
    x = one_hot(1, 150, seed=8)
    assert_matches_model(model, x, ism(model, x, target=None, device="cpu"))


@pytest.mark.parametrize("name", PROTEIN)
def test_protein_models_run_naive_and_agree(name: str) -> None:
    model = zoo_model(name, 12)
    x = one_hot(2, 12, channels=20, seed=4)
    x[:, :, -3:] = 0.0  # padding at the end
    assert_fast_equals_naive(model, x)


@pytest.mark.parametrize("name", sorted(NOT_ONE_HOT))
def test_packed_and_per_position_models_are_refused(name: str) -> None:
    spec = get_model_spec(name)
    if spec.per_position:
        channels = 20 if "protein" in spec.alphabets else 4
        io = ModelIO(channels, 12, 2, alphabet=spec.alphabets[0], per_position=True)
        model = create_model(name, {}, io=io)
        with pytest.raises(ValueError, match=r"one output vector per sequence"):
            ism(model, one_hot(1, 12, channels=channels), device="cpu")
    elif {"molecule", "fingerprint"} & set(spec.alphabets):  # real molecules, the model
        with pytest.raises(ValueError, match="not one-hot"):
            ism(zoo.build(name), zoo.inputs(name, 2), device="cpu")
    else:
        with pytest.raises(ValueError, match="not one-hot"):
            ism(nn.Identity(), torch.rand(1, 8, 12), device="cpu")


# ------------------------------------------------------------------ layers


def conv_net(*layers: nn.Module, length: int, channels: int = 4) -> nn.Module:
    """``layers`` then Flatten + Linear, sized by a dry run, with random batch norms."""
    torch.manual_seed(1)
    trunk = nn.Sequential(*layers)
    with torch.no_grad():
        features = trunk.eval()(torch.zeros(1, channels, length)).numel()
    return randomise_norms(nn.Sequential(trunk, nn.Flatten(), nn.Linear(features, 3)))


LAYERS = {
    "same_dilated": lambda: [
        nn.Conv1d(4, 5, 5, padding="same", dilation=2),
        nn.BatchNorm1d(5),
        nn.GELU(),
        nn.Conv1d(5, 4, 3, dilation=3),
        nn.ReLU(),
    ],
    "padded_strided": lambda: [
        nn.Conv1d(4, 5, 4, padding=3),
        nn.ELU(),
        nn.Conv1d(5, 3, 3, stride=2, padding=1),
        nn.Tanh(),
        nn.MaxPool1d(3, stride=2),
    ],
    "pools": lambda: [
        nn.Conv1d(4, 6, 3),
        nn.ReLU(),
        nn.AvgPool1d(2),
        nn.Dropout(0.5),
        nn.Conv1d(6, 4, 2, dilation=2, padding=1),
        nn.MaxPool1d(2, dilation=2),
        nn.Identity(),
    ],
    "wide_kernel": lambda: [nn.Conv1d(4, 3, 11, padding=5), nn.Sigmoid()],
    "overlapping_pools": lambda: [
        nn.Conv1d(4, 5, 4, padding=2, dilation=2),
        nn.BatchNorm1d(5),
        nn.ReLU(),
        nn.MaxPool1d(5, stride=2),
        nn.Conv1d(5, 4, 3, padding="same"),
        nn.ELU(),
        nn.MaxPool1d(2, stride=3),
    ],
}


@pytest.mark.parametrize("length", [16, 33, 70])
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_padding_dilation_stride_and_pooling(kind: str, length: int, no_naive: None) -> None:
    model = conv_net(*LAYERS[kind](), length=length)
    x = one_hot(2, length, seed=length)
    assert_matches_model(model, x, ism(model, x, target=None, device="cpu"))


def test_convolutions_compute_the_region_their_pooling_reads() -> None:
    model = conv_net(*LAYERS["overlapping_pools"](), length=40).eval()
    x = torch.as_tensor(one_hot(1, 40, seed=2))
    plan = fast_module._plan(model, 4)
    fast = fast_module._FastISM(model, plan, x, torch.device("cpu"))
    convs = [op for op in plan.ops if isinstance(op, fast_module._Conv)]
    pools = [op for op in plan.ops if isinstance(op, fast_module._Pool)]
    assert fast.n_local == len(fast.layout)
    assert [conv.pool for conv in convs] == pools


def test_a_non_local_layer_after_the_convolutions() -> None:
    model = nn.Sequential(
        nn.Conv1d(4, 5, 3), nn.ReLU(), nn.AdaptiveMaxPool1d(2), nn.Flatten(), nn.Linear(10, 2)
    ).eval()
    assert_fast_equals_naive(model, one_hot(2, 30, seed=3))


def test_a_model_the_plan_does_not_reproduce_warns_and_runs_naive() -> None:
    model = nn.Sequential(nn.Conv1d(4, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 18, 1))
    model[0].register_forward_hook(lambda module, args, out: out * 2.0)
    x = one_hot(1, 20, seed=1)
    with pytest.warns(RuntimeWarning, match="naive path"):
        fast = ism(model, x, device="cpu")
    np.testing.assert_allclose(fast, ism(model, x, device="cpu", method="naive"), atol=1e-6)


# ------------------------------------------------------------------ options


def test_target_none_stacks_every_target() -> None:
    model = zoo_model("deepsea", 40, n_outputs=3)
    x = one_hot(2, 40, seed=2)
    every = ism(model, x, target=None, device="cpu")
    assert every.shape == (2, 3, 4, 40)
    for t in range(3):
        np.testing.assert_array_equal(ism(model, x, target=t, device="cpu"), every[:, t])


@pytest.mark.parametrize("method", ["fast", "naive"])
def test_positions_restrict_the_mutated_positions(method: str) -> None:
    model = zoo_model("basset", 50)
    x = one_hot(2, 50, seed=6)
    whole = ism(model, x, device="cpu", method=method)  # type: ignore[arg-type]
    for window in (slice(10, 21), slice(None, 5), slice(45, None), slice(3, 40, 7)):
        part = ism(model, x, device="cpu", method=method, positions=window)  # type: ignore[arg-type]
        assert part.shape == (2, 4, len(range(50)[window]))
        np.testing.assert_allclose(part, whole[:, :, window], rtol=RTOL, atol=ATOL)
    empty = ism(model, x, device="cpu", method=method, positions=slice(5, 5))  # type: ignore[arg-type]
    assert empty.shape == (2, 4, 0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch_size=st.integers(1, 40),
    memory_limit=st.one_of(st.none(), st.integers(2_000, 400_000)),
    method=st.sampled_from(["fast", "naive"]),
)
def test_batch_size_and_memory_limit_do_not_change_the_result(
    batch_size: int, memory_limit: int | None, method: str
) -> None:
    model = _INVARIANCE_MODEL
    got = ism(
        model,
        _INVARIANCE_X,
        target=None,
        device="cpu",
        batch_size=batch_size,
        memory_limit=memory_limit,
        method=method,  # type: ignore[arg-type]
    )
    np.testing.assert_allclose(got, _INVARIANCE_REF, rtol=RTOL, atol=ATOL)


_INVARIANCE_MODEL = zoo_model("deepsea", 33, strands="mean")
_INVARIANCE_X = one_hot(3, 33, seed=11)
_INVARIANCE_REF = ism(_INVARIANCE_MODEL, _INVARIANCE_X, target=None, device="cpu")


def test_no_sequences_and_model_state_restored() -> None:
    model = zoo_model("basset", 30).train()
    assert ism(model, torch.zeros(0, 4, 30), device="cpu").shape == (0, 4, 30)
    ism(model, one_hot(1, 30), device="cpu")
    assert model.training


def test_numpy_int8_input() -> None:
    model = zoo_model("deepbind", 30)
    x = one_hot(2, 30, seed=3)
    np.testing.assert_array_equal(
        ism(model, x.numpy().astype(np.int8), device="cpu"), ism(model, x, device="cpu")
    )


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.full((1, 4, 5), 0.5, dtype=np.float32), r"not one-hot: sequence 0, position 0"),
        (np.zeros((4, 5), dtype=np.float32), r"shape \(N, C, L\), not \(4, 5\)"),
        (np.zeros((1, 1, 5), dtype=np.float32), "at least 2 channels"),
        ([[[1.0]]], "NumPy array or a torch tensor"),
    ],
)
def test_bad_inputs_are_value_errors(X: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ism(nn.Flatten(), X, device="cpu")


def test_a_two_in_a_column_is_not_one_hot() -> None:
    x = one_hot(2, 6)
    x[1, :, 4] = torch.tensor([1.0, 1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"sequence 1, position 4 holds \[1, 1, 0, 0\]"):
        ism(nn.Flatten(), x, device="cpu")


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"target": 3}, r"target must be an output index in \[0, 2\)"),
        ({"target": -1}, "target must be"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"method": "slow"}, "method must be 'fast' or 'naive'"),
        ({"memory_limit": 0}, "memory_limit must be a positive number"),
        ({"positions": [1, 2]}, "positions must be a slice"),
    ],
)
def test_bad_options_are_value_errors(options: dict[str, Any], match: str) -> None:
    model = zoo_model("deepbind", 12)
    with pytest.raises(ValueError, match=match):
        ism(model, one_hot(1, 12), device="cpu", **options)


# ------------------------------------------------------------------ self-description


class DescribedNet(nn.Module):
    """A user's model that describes its layers: padded conv, residual block, LSTM head."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 5, 5)
        self.act = nn.ReLU()
        self.inner = nn.Conv1d(5, 5, 3, padding=1)
        self.pool = nn.MaxPool1d(2)
        self.lstm = nn.LSTM(5, 3, batch_first=True)
        self.out = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.conv(nn.functional.pad(x, (2, 2), value=0.25)))
        h = self.pool(h + self.act(self.inner(h)))
        return self.head(h)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(h.transpose(1, 2))
        return self.out(out[:, -1])

    def forward_chain(self) -> list[Link]:
        return [
            nn.ConstantPad1d((2, 2), 0.25),
            self.conv,
            self.act,
            Residual((self.inner, self.act)),
            self.pool,
            NonLocal(self.head),
        ]


class UndescribedNet(DescribedNet):
    """Overrides ``forward`` without describing it again: not described."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) * 2.0


def test_a_model_that_describes_itself_gets_the_fast_path(no_naive: None) -> None:
    torch.manual_seed(3)
    model = DescribedNet().eval()
    x = one_hot(2, 30, seed=4)
    chain = forward_chain(model)
    assert chain is not None
    with torch.inference_mode():
        torch.testing.assert_close(run_chain(chain, x), model(x))
    plan = fast_module._plan(model, 4)
    assert [type(op).__name__ for op in plan.ops] == ["_Conv", "_Pointwise", "_Residual", "_Pool"]
    assert_matches_model(model, x, ism(model, x, target=None, device="cpu", method="fast"))


def test_fast_equals_naive_on_a_model_that_describes_itself() -> None:
    torch.manual_seed(3)
    model = DescribedNet().eval()
    x = one_hot(2, 30, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = ism(model, x, target=None, device="cpu", method="fast")
    naive = ism(model, x, target=None, device="cpu", method="naive")
    np.testing.assert_allclose(fast, naive, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("wrap", [False, True])
def test_a_model_that_does_not_describe_itself_warns_and_runs_naive(wrap: bool) -> None:
    torch.manual_seed(3)
    inner = UndescribedNet().eval()
    model = nn.Sequential(inner) if wrap else inner
    assert forward_chain(inner) is None
    x = one_hot(2, 20, seed=6)
    with pytest.warns(RuntimeWarning, match=r"UndescribedNet.*running naive ISM") as record:
        fast = ism(model, x, target=None, device="cpu", method="fast")
    assert len(record) == 1
    message = str(record[0].message)
    assert type(model).__name__ in message
    assert "forward_chain" in message
    naive = ism(model, x, target=None, device="cpu", method="naive")
    np.testing.assert_array_equal(fast, naive)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "auto" falls back quietly
        np.testing.assert_array_equal(ism(model, x, target=None, device="cpu"), naive)


def test_a_model_described_as_not_local_runs_naive_quietly() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(4 * 10, 2)).eval()
    x = one_hot(1, 10, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = ism(model, x, target=None, device="cpu", method="fast")
    naive = ism(model, x, target=None, device="cpu", method="naive")
    np.testing.assert_allclose(fast, naive, rtol=RTOL, atol=ATOL)


def test_interpret_imports_no_concrete_zoo_model_module() -> None:
    # only the protocol, the prediction path and the validators of the models layer
    allowed = {"biodl.models.locality", "biodl.models.predict", "biodl.models.validate"}
    package = Path(ism_module.__file__).parent
    seen = set()
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            else:
                continue
            for module in modules:
                if module == "biodl.models" or module.startswith("biodl.models."):
                    assert module in allowed, f"{path.name} imports {module}"
                    seen.add(module)
    assert "biodl.models.locality" in seen
