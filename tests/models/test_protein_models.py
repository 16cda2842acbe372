"""Protein models (deeploc, deepfam, residue_tagger, deepgoplus_cnn) and their padding masks."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_origin

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

import biodl.models.deepfam
import biodl.models.deepgoplus
import biodl.models.deeploc
import biodl.models.residue_tagger  # noqa: F401 (registers the models)
from biodl.errors import ConfigError
from biodl.models import (
    MEMBRANE,
    ModelIO,
    SequenceModel,
    WithAuxiliary,
    auxiliary_outputs,
    create_model,
    forward_with_auxiliary,
    get_model_spec,
    split_auxiliary,
    validate_params,
)
from biodl.models.deeploc import DeepLocHead, DeepLocModel
from biodl.models.masking import (
    MultiWidthConv,
    masked_lstm,
    masked_max,
    masked_mean,
    masked_softmax,
    padding_mask,
    sequence_spans,
)
from biodl.runs import save_weights
from tests.models.options import alternative as _alternative
from tests.models.options import fingerprint

NAMES = ["deeploc", "deepfam", "residue_tagger", "deepgoplus_cnn"]
POOLED = ["deeploc", "deepfam", "deepgoplus_cnn"]
SMALL: dict[str, dict[str, Any]] = {
    "deeploc": {
        "conv_filters": 4,
        "conv_widths": [1, 3, 5],
        "conv2_filters": 8,
        "lstm_units": 8,
        "attention_units": 8,
        "hidden": 16,
        "dropout": 0.1,
    },
    "deepfam": {"n_filters": 8, "widths": [4, 8, 12], "hidden": 16},
    "residue_tagger": {"conv_filters": 8, "conv_width": 5, "lstm_units": 8, "hidden": 8},
    "deepgoplus_cnn": {"n_filters": 8, "widths": [4, 8, 16]},
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def protein_io(name: str, length: int, n_outputs: int, n_channels: int = 20) -> ModelIO:
    return ModelIO(
        n_channels,
        length,
        n_outputs,
        alphabet="protein",
        per_position=get_model_spec(name).per_position,
    )


def build(
    name: str, length: int = 64, n_outputs: int = 1, n_channels: int = 20, **overrides: Any
) -> SequenceModel:
    params = {**SMALL[name], **overrides}
    model = create_model(name, params, io=protein_io(name, length, n_outputs, n_channels))
    assert isinstance(model, SequenceModel)
    return model


BLOSUM_LIKE = torch.randint(-4, 12, (20, 20), generator=torch.Generator().manual_seed(7)).float()
BLOSUM_LIKE[BLOSUM_LIKE == 0] = 1.0  # dense real columns, as BLOSUM62 rows (never all zero)


def encode(residues: torch.Tensor, encoding: str = "onehot", n_channels: int = 20) -> torch.Tensor:
    """``(N, L)`` residue indices 0-19 to ``(N, C, L)``: one-hot or BLOSUM-like rows."""
    x = F.one_hot(residues, 20).float()
    if encoding == "blosum":
        x = x @ BLOSUM_LIKE
    x = x.permute(0, 2, 1)
    if n_channels > 20:
        x = torch.cat([x, torch.zeros(x.shape[0], n_channels - 20, x.shape[2])], dim=1)
    return x


def random_residues(n: int, length: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 20, (n, length), generator=torch.Generator().manual_seed(seed))


def random_proteins(n: int, length: int, seed: int = 0) -> torch.Tensor:
    return encode(random_residues(n, length, seed))


def padded(x: torch.Tensor, left: int, right: int) -> torch.Tensor:
    return F.pad(x, (left, right))


# --- masking -----------------------------------------------------------------------------


def test_padding_mask_marks_nonzero_columns() -> None:
    x = padded(encode(random_residues(2, 5), "blosum"), 2, 3)
    x[1, :, 4] = 0.0  # an unknown residue encoded as all-zero reads as padding
    mask = padding_mask(x)
    assert mask.dtype == torch.bool
    assert mask.shape == (2, 10)
    assert mask[0].tolist() == [False] * 2 + [True] * 5 + [False] * 3
    assert mask[1].tolist() == [False] * 2 + [True, True, False, True, True] + [False] * 3


def test_masked_pooling_ignores_padding_values() -> None:
    g = torch.Generator().manual_seed(0)
    f = torch.randn(3, 4, 9, generator=g, requires_grad=True)
    mask = torch.zeros(3, 9, dtype=torch.bool)
    mask[0, 2:5] = True
    mask[1, :] = True
    # row 2: no real position
    noisy = f.detach().clone()
    noisy[~mask[:, None, :].expand_as(noisy)] = 1e6
    for pool in (masked_max, masked_mean):
        torch.testing.assert_close(pool(noisy, mask), pool(f, mask).detach())
    torch.testing.assert_close(masked_max(f, mask)[0], f[0, :, 2:5].amax(-1))
    torch.testing.assert_close(masked_mean(f, mask)[1], f[1].mean(-1))
    assert (masked_max(f, mask)[2] == 0).all()
    assert (masked_mean(f, mask)[2] == 0).all()
    (masked_max(f, mask).sum() + masked_mean(f, mask).sum()).backward()
    assert f.grad is not None
    assert torch.isfinite(f.grad).all()
    assert (f.grad[~mask[:, None, :].expand_as(f)] == 0).all()


def test_masked_softmax_is_zero_on_padding_and_sums_to_one() -> None:
    scores = torch.tensor([[3.0, 1e4, -2.0, 0.5], [1.0, 2.0, 3.0, 4.0]], requires_grad=True)
    mask = torch.tensor([[True, False, True, True], [False, False, False, False]])
    w = masked_softmax(scores, mask)
    assert (w[~mask] == 0).all()
    torch.testing.assert_close(w[0].sum(), torch.tensor(1.0))
    torch.testing.assert_close(w[0, mask[0]], torch.softmax(scores[0, mask[0]], -1))
    assert (w[1] == 0).all()
    (w * torch.arange(4.0)).sum().backward()
    assert scores.grad is not None
    assert torch.isfinite(scores.grad).all()


def test_sequence_spans_cover_first_to_last_real_position() -> None:
    mask = torch.tensor([[0, 1, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]]).bool()
    first, span = sequence_spans(mask)
    assert first.tolist() == [1, 0, 0]
    assert span.tolist() == [4, 6, 0]


def test_masked_lstm_reads_only_the_protein_in_both_directions() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True).double()
    g = torch.Generator().manual_seed(1)
    seq = torch.randn(1, 7, 3, generator=g, dtype=torch.float64)
    alone, _ = lstm(seq)  # no padding at all
    x = torch.zeros(2, 20, 3, dtype=torch.float64)
    x[0, 5:12] = seq[0]  # padding on both sides
    x[1, 13:20] = seq[0]  # padding on the left only
    mask = torch.zeros(2, 20, dtype=torch.bool)
    mask[0, 5:12] = mask[1, 13:20] = True
    out = masked_lstm(lstm, x, mask)
    assert out.shape == (2, 20, 8)
    torch.testing.assert_close(out[0, 5:12], alone[0])
    torch.testing.assert_close(out[1, 13:20], alone[0])
    assert (out[0, :5] == 0).all()
    assert (out[0, 12:] == 0).all()
    assert (out[1, :13] == 0).all()
    empty = masked_lstm(lstm, x, torch.zeros_like(mask))
    assert (empty == 0).all()


def test_multi_width_conv_sees_padding_as_its_own_zero_padding() -> None:
    torch.manual_seed(0)
    conv = MultiWidthConv(20, 3, [1, 4, 7]).double()
    x = random_proteins(1, 12).double()
    ref = conv(x, padding_mask(x))
    assert ref.shape == (1, 9, 12)
    big = padded(x, 9, 4)
    out = conv(big, padding_mask(big))
    torch.testing.assert_close(out[..., 9:21], ref, rtol=0, atol=1e-12)
    assert (out[..., :9] == 0).all()
    assert (out[..., 21:] == 0).all()
    with pytest.raises(ValueError, match="at least one width"):
        MultiWidthConv(20, 3, [])


# --- registration, shapes, options -------------------------------------------------------


def test_protein_models_are_registered_for_protein_input() -> None:
    for name in NAMES:
        spec = get_model_spec(name)
        assert spec.alphabets == ("protein",)
        assert spec.per_position == (name == "residue_tagger")
        assert "doi:10." in spec.citation
        assert spec.summary.strip()
        assert "\n" not in spec.summary
        spec.params.model_validate({})  # the defaults validate


@pytest.mark.parametrize("length", [9, 120])
@pytest.mark.parametrize("n_outputs", [1, 5])
@pytest.mark.parametrize("name", NAMES)
def test_output_shapes(name: str, n_outputs: int, length: int) -> None:
    torch.manual_seed(0)
    model = build(name, length, n_outputs)
    x = padded(random_proteins(4, length - 4), 1, 3)
    expected = (4, n_outputs, length) if name == "residue_tagger" else (4, n_outputs)
    assert model(x).shape == expected  # train mode (batch norm on batch statistics)
    model.eval()
    y = model(x)
    assert y.shape == expected
    assert torch.isfinite(y).all()
    trunk: Any = model.trunk
    features = model.embed(x)
    if name == "residue_tagger":
        assert features.shape == (4, trunk.out_channels, length)
    else:
        assert features.shape == (4, trunk.out_features)
    assert model.strands == "single"


@pytest.mark.parametrize("n_channels", [21, 24])
@pytest.mark.parametrize("name", NAMES)
def test_any_number_of_channels(name: str, n_channels: int) -> None:
    model = build(name, 30, 2, n_channels=n_channels).eval()
    x = encode(random_residues(3, 30), n_channels=n_channels)
    assert model(x).shape[:2] == (3, 2)


@pytest.mark.parametrize("name", NAMES)
def test_all_padding_input_gives_finite_outputs(name: str) -> None:
    model = build(name, 30, 2).eval()
    with torch.no_grad():
        assert torch.isfinite(model(torch.zeros(2, 20, 30))).all()


def test_deeploc_attention_is_zero_on_padding_and_sums_to_one() -> None:
    torch.manual_seed(0)
    model = build("deeploc", 50, 4).eval()
    assert isinstance(model, DeepLocModel)
    x = torch.zeros(3, 20, 50)
    x[0, :, 10:30] = random_proteins(1, 20)[0]
    x[1, :, :50] = random_proteins(1, 50, seed=1)[0]
    x[2, :, 45:] = encode(random_residues(1, 5, seed=2), "blosum")[0]
    with torch.no_grad():
        w = model.attention(x)
    mask = padding_mask(x)
    assert w.shape == (3, 50)
    assert (w[~mask] == 0).all()
    assert (w[mask] > 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(3))
    with torch.no_grad():
        assert (model.attention(torch.zeros(1, 20, 50)) == 0).all()


def test_deeploc_membrane_head() -> None:
    x = random_proteins(3, 40)
    torch.manual_seed(0)
    plain = build("deeploc", 40, 10).eval()
    assert isinstance(plain, DeepLocModel)
    with pytest.raises(ConfigError, match="no membrane head"):
        plain.membrane_logits(x)
    torch.manual_seed(0)
    model = build("deeploc", 40, 10, membrane_head=True).eval()
    assert isinstance(model, DeepLocModel)
    with torch.no_grad():
        membrane = model.membrane_logits(x)
        assert membrane.shape == (3,)
        assert torch.isfinite(membrane).all()
        # the localisation output is the same function with or without the extra head
        torch.testing.assert_close(model(x), plain(x), rtol=0, atol=0)
    extra = sum(p.numel() for p in model.parameters()) - sum(p.numel() for p in plain.parameters())
    assert extra == SMALL["deeploc"]["hidden"] + 1


def test_deeploc_forward_with_auxiliary_is_model_and_membrane_logits_in_one_pass() -> None:
    x = padded(random_proteins(4, 30, seed=2), 3, 7)
    torch.manual_seed(0)
    model = build("deeploc", 40, 5, membrane_head=True).eval()
    assert isinstance(model, DeepLocModel)
    with torch.no_grad():
        logits, aux = forward_with_auxiliary(model, x)
        membrane = aux["membrane"]
        torch.testing.assert_close(logits, model(x), rtol=0, atol=0)
        torch.testing.assert_close(membrane, model.membrane_logits(x), rtol=0, atol=0)
        # the prediction wrapper: localisation logits, then the membrane logit
        joined = WithAuxiliary(model)(x)
    assert joined.shape == (4, 6)
    torch.testing.assert_close(joined, torch.cat([logits, membrane[:, None]], -1), rtol=0, atol=0)
    main, split = split_auxiliary(joined, auxiliary_outputs(model))
    assert torch.equal(main, logits)
    assert torch.equal(split["membrane"], membrane)
    # in training both outputs come from one dropout draw and both get gradients
    model.train()
    logits, aux = forward_with_auxiliary(model, x)
    (logits.sum() + aux["membrane"].sum()).backward()
    head = model.head
    assert isinstance(head, DeepLocHead)
    assert head.membrane_out is not None
    assert head.membrane_out.weight.grad is not None
    assert head.localisation.weight.grad is not None


def test_auxiliary_outputs_only_for_deeploc_built_with_a_membrane_head() -> None:
    with_head = build("deeploc", 40, 3, membrane_head=True)
    plain = build("deeploc", 40, 3)
    assert auxiliary_outputs(with_head) == (MEMBRANE,)
    assert auxiliary_outputs(plain) == ()
    assert auxiliary_outputs(build("deepfam", 40, 3)) == ()
    assert auxiliary_outputs(nn.Linear(2, 1)) == ()
    assert isinstance(plain, DeepLocModel)
    with pytest.raises(ConfigError, match="no membrane head"):
        plain.forward_with_auxiliary(random_proteins(2, 40))
    with pytest.raises(ConfigError, match="no auxiliary output"):
        WithAuxiliary(plain)


def test_default_sizes() -> None:
    """Parameter counts of the defaults (20 channels, 10 outputs), as the docstrings say."""
    counts = {
        "deeploc": 1_252_696 + 513 * 10,
        "deepfam": 358_656 + 257 * 10,
        "residue_tagger": 123_328 + 65 * 10,
        "deepgoplus_cnn": 184_576 + 257 * 10,
    }
    for name, count in counts.items():
        with torch.device("meta"):
            model = create_model(name, {}, io=protein_io(name, 1000, 10))
        assert sum(p.numel() for p in model.parameters()) == count, name
    with torch.device("meta"):
        trunk: Any = create_model("deepgoplus_cnn", {}, io=protein_io("deepgoplus_cnn", 1000, 1))
    kernels = [m.kernel_size[0] for m in trunk.modules() if isinstance(m, nn.Conv1d)]
    assert kernels == [8, 16, 24, 32, 40, 48, 56, 64]


# --- padding invariance ------------------------------------------------------------------


def _real(out: torch.Tensor, name: str, start: int, length: int) -> torch.Tensor:
    return out[..., start : start + length] if name == "residue_tagger" else out


@pytest.mark.parametrize("encoding", ["onehot", "blosum"])
@pytest.mark.parametrize("name", NAMES)
def test_outputs_do_not_depend_on_the_padding(name: str, encoding: str) -> None:
    torch.manual_seed(0)
    model = build(name, 64, 3).double().eval()
    lengths = [23, 5, 40]  # 5 is shorter than most filters
    proteins = [encode(random_residues(1, n, seed=n), encoding).double() for n in lengths]
    with torch.no_grad():
        for protein, n in zip(proteins, lengths, strict=True):
            ref = model(protein)  # no padding at all
            for left, right in [(0, 10), (10, 0), (4, 6), (0, 100), (37, 63)]:
                out = model(padded(protein, left, right))
                torch.testing.assert_close(
                    _real(out, name, left, n), ref, rtol=0, atol=1e-10, msg=f"{left}+{right}"
                )
            if name == "deeploc":
                assert isinstance(model, DeepLocModel)
                w = model.attention(padded(protein, 37, 63))
                assert (w[0, :37] == 0).all()
                assert (w[0, 37 + n :] == 0).all()
                torch.testing.assert_close(w.sum(), torch.tensor(1.0, dtype=torch.float64))
        # a batch of proteins of different lengths and paddings: each as if alone
        batch = torch.cat(
            [
                padded(p, 3 * i, 100 - n - 3 * i)
                for i, (p, n) in enumerate(zip(proteins, lengths, strict=True))
            ]
        )
        out = model(batch)
        for i, (protein, n) in enumerate(zip(proteins, lengths, strict=True)):
            torch.testing.assert_close(
                _real(out[i : i + 1], name, 3 * i, n), model(protein), rtol=0, atol=1e-10
            )


def test_float32_padding_invariance() -> None:
    """The same in float32, to a float32 tolerance."""
    torch.manual_seed(0)
    for name in NAMES:
        model = build(name, 64, 2).eval()
        protein = random_proteins(1, 30, seed=3)
        with torch.no_grad():
            a = _real(model(padded(protein, 0, 10)), name, 0, 30)
            b = _real(model(padded(protein, 50, 50)), name, 50, 30)
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_deepfam_batch_norm_in_training_does_not_see_padding() -> None:
    """Batch norm normalises pooled features, so even batch statistics ignore padding."""
    torch.manual_seed(0)
    model = build("deepfam", 64, 2, dropout=0.0).double().train()
    x = random_proteins(4, 20).double()
    torch.testing.assert_close(
        model(padded(x, 0, 10)), model(padded(x, 60, 40)), rtol=0, atol=1e-10
    )


# --- learning ----------------------------------------------------------------------------

MOTIF_A = torch.tensor([4, 18, 6, 17, 4])  # residues of "FWHVF" (channel order ACDEFGHIK...)
MOTIF_B = torch.tensor([1, 10, 13, 1, 10])


def motif_proteins(
    n: int, length: int = 48, seed: int = 0, n_classes: int = 2
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random proteins of 24-44 residues padded to ``length`` at random sides; class 1 (and
    2) carry motif A (B) at a random place. Returns the one-hot batch, the class of each
    protein and per-position labels (1 on motif residues, 0 elsewhere, NaN on padding)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 20, length)
    labels = torch.arange(n) % n_classes
    per_position = torch.full((n, length), float("nan"))
    for i in range(n):
        size = int(torch.randint(24, 45, (1,), generator=g))
        residues = torch.randint(0, 20, (1, size), generator=g)
        if labels[i] > 0:
            motif = MOTIF_A if labels[i] == 1 else MOTIF_B
            at = int(torch.randint(0, size - len(motif) + 1, (1,), generator=g))
            residues[0, at : at + len(motif)] = motif
        left = int(torch.randint(0, length - size + 1, (1,), generator=g))
        x[i, :, left : left + size] = encode(residues)[0]
        per_position[i, left : left + size] = 0.0
        if labels[i] > 0:
            per_position[i, left + at : left + at + len(motif)] = 1.0
    return x, labels, per_position


def _fit(model: nn.Module, loss_fn: Any, x: torch.Tensor, steps: int, lr: float) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(x)).backward()
        optimizer.step()
    model.eval()


@pytest.mark.parametrize("name", POOLED)
def test_a_short_training_run_fits_a_planted_motif(name: str) -> None:
    n_classes = 3 if name == "deeploc" else 2  # deeploc: multi-class localisation
    x, labels, _ = motif_proteins(60, n_classes=n_classes)
    torch.manual_seed(0)
    if n_classes == 2:
        model = build(name, 48, 1)
        target = labels.float()[:, None]

        def loss(out: torch.Tensor) -> torch.Tensor:
            return F.binary_cross_entropy_with_logits(out, target)
    else:
        model = build(name, 48, n_classes, dropout=0.0)

        def loss(out: torch.Tensor) -> torch.Tensor:
            return F.cross_entropy(out, labels)

    _fit(model, loss, x, steps=80, lr=1e-2)
    with torch.no_grad():
        out = model(x)
    predicted = (out[:, 0] > 0).long() if n_classes == 2 else out.argmax(-1)
    accuracy = (predicted == labels).float().mean().item()
    assert accuracy > 0.9, f"{name}: training accuracy {accuracy:.2f}"


def test_residue_tagger_fits_planted_motif_positions() -> None:
    x, _, target = motif_proteins(60)
    seen = ~torch.isnan(target)
    torch.manual_seed(0)
    model = build("residue_tagger", 48, 1)

    def loss(out: torch.Tensor) -> torch.Tensor:  # masked as biodl's per-position loss
        # motif residues are ~7 % of the residues: weigh them up
        return F.binary_cross_entropy_with_logits(
            out[:, 0][seen], target[seen], pos_weight=torch.tensor(5.0)
        )

    _fit(model, loss, x, steps=80, lr=1e-2)
    with torch.no_grad():
        predicted = (model(x)[:, 0] > 0).float()
    positives = seen & (target == 1)
    negatives = seen & (target == 0)
    recall = (predicted[positives] == 1).float().mean().item()
    specificity = (predicted[negatives] == 0).float().mean().item()
    assert recall > 0.9, f"motif residues found: {recall:.2f}"
    assert specificity > 0.9, f"other residues rejected: {specificity:.2f}"


# --- persistence and options -------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_weights_round_trip_through_safetensors(name: str, tmp_path: Path) -> None:
    overrides = {"membrane_head": True} if name == "deeploc" else {}
    torch.manual_seed(0)
    model = build(name, 40, 3, **overrides).train()
    with torch.no_grad():
        for seed in range(3):  # move batch-norm running statistics off their defaults
            model(padded(random_proteins(8, 30, seed=seed), 4, 6))
    path = save_weights(tmp_path / "model.safetensors", model)
    torch.manual_seed(1)
    fresh = build(name, 40, 3, **overrides)
    fresh.load_state_dict(load_file(str(path)), strict=True)
    model.eval()
    fresh.eval()
    x = padded(random_proteins(5, 30, seed=5), 6, 4)
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)
        if isinstance(model, DeepLocModel):
            assert isinstance(fresh, DeepLocModel)
            torch.testing.assert_close(
                fresh.membrane_logits(x), model.membrane_logits(x), rtol=0, atol=0
            )
            torch.testing.assert_close(fresh.attention(x), model.attention(x), rtol=0, atol=0)


def _fingerprint(model: nn.Module) -> tuple[Any, ...]:
    return fingerprint(model, padded(random_proteins(2, 40, seed=9), 3, 7))


@pytest.mark.parametrize("name", NAMES)
def test_every_option_can_be_set_and_takes_effect(name: str) -> None:
    spec = get_model_spec(name)
    base = spec.params.model_validate(SMALL[name])
    torch.manual_seed(0)
    reference = _fingerprint(build(name, 50, 2))
    for key, field in spec.params.model_fields.items():
        value = _alternative(field, getattr(base, key))
        params = {**SMALL[name], key: value}
        assert getattr(validate_params(name, params), key) == value
        torch.manual_seed(0)
        model = create_model(name, params, io=protein_io(name, 50, 2))
        assert _fingerprint(model) != reference, f"{name}: option {key}={value!r} had no effect"


@pytest.mark.parametrize("name", NAMES)
def test_params_survive_a_json_round_trip(name: str) -> None:
    """Run folders store ``model_dump(mode="json")`` (lists) and validate it again."""
    params = validate_params(name, SMALL[name])
    assert validate_params(name, params.model_dump(mode="json")) == params


@pytest.mark.parametrize("name", NAMES)
def test_unknown_or_mistyped_options_are_config_errors(name: str) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'model\.no_such_option'"):
        validate_params(name, {"no_such_option": 1})
    with pytest.raises(ConfigError, match=r"unknown key 'model\.no_such_option'"):
        build(name, no_such_option=1)
    with pytest.raises(ConfigError, match="dropout"):
        validate_params(name, {"dropout": 1.0})
    fields = get_model_spec(name).params.model_fields
    int_key = next(k for k, f in fields.items() if f.annotation is int)
    with pytest.raises(ConfigError, match=int_key):
        validate_params(name, {int_key: "8"})
    list_keys = [k for k, f in fields.items() if get_origin(f.annotation) is list]
    for key in list_keys:
        for bad in ([], [0, 3], "8,16", [8.0]):
            with pytest.raises(ConfigError, match=key):
                validate_params(name, {key: bad})


@pytest.mark.parametrize("alphabet", ["dna", "rna"])
@pytest.mark.parametrize("name", NAMES)
def test_wrong_alphabet_is_a_config_error(name: str, alphabet: str) -> None:
    io = ModelIO(4, 50, 1, alphabet=alphabet, per_position=name == "residue_tagger")
    with pytest.raises(ConfigError, match=f"is for protein input, not {alphabet}"):
        create_model(name, SMALL[name], io=io)


def test_per_position_mismatches_are_config_errors() -> None:
    io = ModelIO(20, 50, 1, alphabet="protein", per_position=False)
    with pytest.raises(ConfigError, match="set per_position: true"):
        create_model("residue_tagger", {}, io=io)
    for name in POOLED:
        io = ModelIO(20, 50, 1, alphabet="protein", per_position=True)
        with pytest.raises(ConfigError, match="has no per-position head"):
            create_model(name, SMALL[name], io=io)
