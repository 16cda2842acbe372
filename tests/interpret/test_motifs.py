"""Motifs from models: Motif, MEME files, filter motifs, seqlets, TF-MoDISco, logos."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from biodl.encode import one_hot
from biodl.errors import InputError
from biodl.interpret.logos import plot_logo
from biodl.interpret.motifs import (
    Motif,
    Seqlet,
    filter_motifs,
    first_conv,
    modisco,
    read_meme,
    seqlet_motif,
    seqlets,
    write_meme,
)
from biodl.models import ModelIO, create_model
from biodl.testing.synthetic import (
    CTCF_LIKE_PWM,
    GATA_LIKE_PWM,
    consensus,
    plant_motif,
    random_dna,
    reverse_complement,
)

# ---------------------------------------------------------------------------- Motif

ppms = arrays(
    np.float64,
    st.tuples(st.just(4), st.integers(1, 12)),
    elements=st.floats(0.0, 1.0, allow_nan=False),
)


def test_motif_normalises_columns_and_fills_empty_ones() -> None:
    m = Motif("m", np.array([[2.0, 0.0], [2.0, 0.0], [0.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_allclose(m.ppm[:, 0], [0.5, 0.5, 0, 0])
    np.testing.assert_allclose(m.ppm[:, 1], [0.25] * 4)
    assert not m.ppm.flags.writeable


def test_motif_information_content_and_consensus() -> None:
    m = Motif("m", np.array([[1.0, 0.25], [0.0, 0.25], [0.0, 0.25], [0.0, 0.25]]))
    np.testing.assert_allclose(m.information_content(), [2.0, 0.0])
    assert m.consensus() == "AA"
    assert m.trimmed(min_ic=0.5).width == 1


@pytest.mark.parametrize(
    "bad", [np.ones((3, 5)), np.ones(4), -np.ones((4, 2)), np.full((4, 2), np.nan)]
)
def test_motif_rejects_bad_matrices(bad: Any) -> None:
    with pytest.raises(InputError, match="motif 'x'"):
        Motif("x", bad)


@given(ppms)
def test_reverse_complement_is_an_involution(ppm: Any) -> None:
    m = Motif("m", ppm)
    np.testing.assert_allclose(m.reverse_complement().reverse_complement().ppm, m.ppm)
    assert m.reverse_complement().consensus() == reverse_complement(m.consensus()) or np.any(
        np.sort(m.ppm, axis=0)[-1] == np.sort(m.ppm, axis=0)[-2]  # ties in argmax
    )


def test_protein_motif_has_no_reverse_complement() -> None:
    with pytest.raises(InputError, match="DNA/RNA"):
        Motif("p", np.ones((20, 3)), "ACDEFGHIKLMNPQRSTVWY").reverse_complement()


# ----------------------------------------------------------------------------- MEME


@settings(max_examples=25, deadline=None)
@given(st.lists(ppms, min_size=1, max_size=4))
def test_meme_round_trip(tmp_path_factory: pytest.TempPathFactory, matrices: list[Any]) -> None:
    motifs = [
        Motif(f"m{i}", p, n_sites=i * 3, alt_name="TF" if i % 2 else "")
        for i, p in enumerate(matrices)
    ]
    path = tmp_path_factory.mktemp("meme") / "m.meme"
    write_meme(motifs, path)
    back = read_meme(path)
    assert [(m.name, m.alt_name, m.n_sites) for m in back] == [
        (m.name, m.alt_name, m.n_sites) for m in motifs
    ]
    for a, b in zip(motifs, back, strict=True):
        np.testing.assert_allclose(a.ppm, b.ppm, atol=5e-6)


def test_meme_round_trip_protein(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    m = Motif("p", rng.random((20, 5)), "ACDEFGHIKLMNPQRSTVWY")
    back = read_meme(write_meme([m], tmp_path / "p.meme"))[0]
    assert back.alphabet == m.alphabet
    np.testing.assert_allclose(back.ppm, m.ppm, atol=5e-6)


def test_read_meme_reports_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.meme"
    path.write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nMOTIF m1\n"
        "letter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 0.25\n0.5 0.5\n"
    )
    with pytest.raises(InputError, match=r"bad.meme:8: motif 'm1': 2 values"):
        read_meme(path)
    empty = tmp_path / "empty.meme"
    empty.write_text("MEME version 4\n")
    with pytest.raises(InputError, match="no letter-probability matrix"):
        read_meme(empty)


def test_write_meme_refuses_mixed_alphabets(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="different alphabets"):
        write_meme(
            [Motif("a", np.eye(4)), Motif("p", np.ones((20, 1)), "ACDEFGHIKLMNPQRSTVWY")],
            tmp_path / "x.meme",
        )


# -------------------------------------------------------------------- filter motifs


def _pwm_conv(pwm_rows: np.ndarray, *, n_filters: int = 1) -> nn.Conv1d:
    """A conv whose filter 0 is the log-odds PWM of ``pwm_rows`` ``(W, 4)``, bias 0."""
    width = pwm_rows.shape[0]
    conv = nn.Conv1d(4, n_filters, width, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0] = torch.tensor(np.log2(pwm_rows.T / 0.25), dtype=torch.float32)
    return conv


def _planted(
    pwm_rows: np.ndarray, n: int, length: int, *, seed: int, both_strands: bool = True
) -> tuple[Any, Any, Any]:
    seqs, starts, strands = plant_motif(
        random_dna(n, length, seed=seed, gc=0.5),
        pwm_rows,
        seed=seed + 1,
        both_strands=both_strands,
    )
    return one_hot(seqs, dtype=np.float32), starts, strands


def test_filter_motifs_exact_counts() -> None:
    # filter = "A then T": windows AT score 2, others at most 1; threshold 0.75 keeps AT only
    conv = _pwm_conv(np.array([[0.97, 0.01, 0.01, 0.01], [0.01, 0.01, 0.01, 0.97]]))
    X = one_hot(["ATCAT", "GGATA"], dtype=np.float32)
    (m,) = filter_motifs(conv, X, threshold=0.75, device="cpu")
    assert (m.name, m.n_sites, m.source, m.consensus()) == ("filter0", 3, "filters", "AT")
    np.testing.assert_allclose(m.ppm, [[1, 0], [0, 0], [0, 0], [0, 1]])


def test_filter_motifs_recovers_a_planted_motif() -> None:
    X, _, _ = _planted(CTCF_LIKE_PWM, 300, 60, seed=1)
    model = nn.Sequential(_pwm_conv(CTCF_LIKE_PWM, n_filters=2), nn.ReLU())
    motifs = filter_motifs(model, X, threshold=0.5, strands="both", device="cpu")
    assert [m.name for m in motifs] == ["filter0"]  # filter 1 is all zero: dead
    (m,) = motifs
    assert m.consensus() == consensus(CTCF_LIKE_PWM)
    r = np.corrcoef(m.ppm.ravel(), CTCF_LIKE_PWM.T.ravel())[0, 1]
    assert r > 0.9
    assert 150 <= m.n_sites <= 700  # the stronger planted instances (+ a few chance hits)


def test_filter_motifs_batch_size_does_not_matter() -> None:
    X, _, _ = _planted(GATA_LIKE_PWM, 50, 30, seed=2)
    conv = _pwm_conv(GATA_LIKE_PWM)
    a = filter_motifs(conv, X, batch_size=7, device="cpu")[0]
    b = filter_motifs(conv, X, batch_size=500, device="cpu")[0]
    np.testing.assert_allclose(a.ppm, b.ppm, atol=1e-6)
    assert a.n_sites == b.n_sites


def test_filter_motifs_reads_deepbind_both_strands() -> None:
    io = ModelIO(n_channels=4, input_length=40, n_outputs=1)
    model = create_model("deepbind", {"n_filters": 2, "filter_width": 7, "hidden": 0}, io=io)
    conv = first_conv(model)
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
        conv.weight[0] = torch.tensor(np.log2(GATA_LIKE_PWM.T / 0.25), dtype=torch.float32)
    # plant the motif on the reverse strand only
    seqs = random_dna(200, 40, seed=5, gc=0.5)
    motif_seqs = [reverse_complement(consensus(GATA_LIKE_PWM))] * len(seqs)
    seqs = [s[:10] + m + s[17:] for s, m in zip(seqs, motif_seqs, strict=True)]
    X = one_hot(seqs, dtype=np.float32)
    both = filter_motifs(model, X, threshold=0.9, device="cpu")  # auto: DeepBind scores both
    assert both[0].consensus() == consensus(GATA_LIKE_PWM)
    assert both[0].n_sites >= 200
    single = filter_motifs(model, X, threshold=0.9, strands="single", device="cpu")
    assert single[0].n_sites < 200  # the forward strand has no full instance


def test_filter_motifs_applies_the_following_batch_norm() -> None:
    conv = _pwm_conv(np.array([[0.97, 0.01, 0.01, 0.01], [0.01, 0.01, 0.01, 0.97]]))
    norm = nn.BatchNorm1d(1)
    with torch.no_grad():
        norm.weight.fill_(-1.0)  # flips the activation: the lowest-scoring windows pass
    model = nn.Sequential(conv, norm, nn.ReLU())
    X = one_hot(["ATCGG", "GGCCC"], dtype=np.float32)
    (m,) = filter_motifs(model, X, threshold=1.0, device="cpu")
    assert "A" not in m.consensus()[0]
    assert "T" not in m.consensus()[1]


def test_filter_motifs_counts_zero_padding_as_seen() -> None:
    conv = nn.Conv1d(4, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 1] = 1.0  # centre column: A
    X = one_hot(["AC"], dtype=np.float32)
    (m,) = filter_motifs(conv, X, threshold=1.0, device="cpu")
    # only the window centred on A passes: (pad, A, C) -> first column is empty (uniform)
    np.testing.assert_allclose(m.ppm[:, 0], [0.25] * 4)
    assert m.consensus()[1:] == "AC"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("deepbind", {"n_filters": 4, "filter_width": 6, "hidden": 0}),
        (
            "basset",
            {"conv1_filters": 4, "conv2_filters": 4, "conv3_filters": 4, "hidden": 8},
        ),
        ("deepsea", {"conv1_filters": 4, "conv2_filters": 4, "conv3_filters": 4, "hidden": 8}),
        ("danq", {"n_filters": 4, "lstm_units": 4, "hidden": 8}),
        ("dilated_resnet", {"n_filters": 4, "n_blocks": 2}),
    ],
)
def test_filter_motifs_works_for_zoo_models(name: str, params: dict[str, Any]) -> None:
    torch.manual_seed(0)
    model = create_model(name, params, io=ModelIO(n_channels=4, input_length=101, n_outputs=2))
    X = one_hot(random_dna(20, 101, seed=3), dtype=np.float32)
    motifs = filter_motifs(model, X, device="cpu")
    conv = first_conv(model)
    assert 1 <= len(motifs) <= conv.out_channels
    for m in motifs:
        assert m.width == conv.kernel_size[0]
        np.testing.assert_allclose(m.ppm.sum(axis=0), 1.0)
        assert m.n_sites >= 1
    assert model.training  # mode restored


def test_filter_motifs_rejects_bad_input() -> None:
    conv = nn.Conv1d(4, 1, 3)
    with pytest.raises(InputError, match="threshold"):
        filter_motifs(conv, np.zeros((1, 4, 5)), threshold=0.0)
    with pytest.raises(InputError, match=r"shape \(N, 4, L\)"):
        filter_motifs(conv, np.zeros((1, 5, 5)))
    with pytest.raises(InputError, match="no layer named"):
        filter_motifs(conv, np.zeros((1, 4, 5)), layer="nope")
    with pytest.raises(InputError, match="no Conv1d"):
        filter_motifs(nn.Linear(3, 1), np.zeros((1, 4, 5)))


# --------------------------------------------------------------------------- seqlets


def test_seqlets_found_at_planted_positions() -> None:
    rng = np.random.default_rng(0)
    X, starts, _ = _planted(GATA_LIKE_PWM, 40, 80, seed=7, both_strands=False)
    attr = rng.normal(0, 0.01, X.shape) * X
    for i, s in enumerate(starts):
        attr[i, :, s : s + 7] += X[i, :, s : s + 7]  # the motif carries the signal
    found = seqlets(attr, X, window=7, flank=3)
    assert len(found) == 40
    for s in found:
        assert s.start == max(0, starts[s.example] - 3)
        assert s.end == min(80, starts[s.example] + 10)
        assert s.score == pytest.approx(7.0, abs=0.1)
    motif = seqlet_motif(found, X)
    assert motif.width == 13
    assert motif.n_sites == sum(3 <= s <= 70 for s in starts)
    assert motif.consensus()[3:10] == consensus(GATA_LIKE_PWM)


@settings(max_examples=30, deadline=None)
@given(
    arrays(np.float64, (3, 4, 40), elements=st.floats(-1, 1, allow_nan=False)),
    st.integers(1, 10),
    st.integers(0, 5),
)
def test_seqlets_do_not_overlap(attr: Any, window: int, flank: int) -> None:
    X = np.eye(4)[:, np.arange(40) % 4][None].repeat(3, axis=0)
    found = seqlets(attr, X, window=window, flank=flank, z=0.5)
    for i in range(3):
        spans = sorted((s.start, s.end) for s in found if s.example == i)
        for (_a0, a1), (b0, _b1) in itertools.pairwise(spans):
            assert a1 <= b0
        assert all(a >= 0 and b <= 40 for a, b in spans)


def test_seqlets_rejects_bad_shapes() -> None:
    with pytest.raises(InputError, match="must both have shape"):
        seqlets(np.zeros((1, 4, 10)), np.zeros((1, 4, 9)))
    with pytest.raises(InputError, match="window"):
        seqlets(np.zeros((1, 4, 10)), np.zeros((1, 4, 10)), window=11)
    with pytest.raises(InputError, match="no seqlets"):
        seqlet_motif([], np.zeros((1, 4, 10)))


@pytest.mark.slow
def test_modisco_recovers_a_planted_motif() -> None:
    rng = np.random.default_rng(1)
    X, starts, _ = _planted(GATA_LIKE_PWM, 400, 100, seed=11)
    hyp = rng.normal(0, 0.02, X.shape)
    pwm = np.log2(GATA_LIKE_PWM.T / 0.25)
    for i, s in enumerate(starts):
        window = X[i, :, s : s + 7]
        strand_pwm = (
            pwm if (window.argmax(0) == GATA_LIKE_PWM.argmax(1)).sum() > 3 else pwm[::-1, ::-1]
        )
        hyp[i, :, s : s + 7] += strand_pwm / 4
    motifs = modisco(hyp, X, n_leiden_runs=4, max_seqlets=1000)
    assert motifs
    best = motifs[0]
    assert best.name == "pos_pattern_0"
    assert best.source == "modisco"
    cons = best.consensus()
    assert "GATA" in cons or "TATC" in cons


# ----------------------------------------------------------------------------- logos


def test_plot_logo_of_a_motif_and_of_attributions(tmp_path: Path) -> None:
    fig = plot_logo(Motif("m", GATA_LIKE_PWM.T))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "bits"
    assert ax.get_title() == "m"
    assert ax.get_ylim() == (0.0, 2.0)
    fig.savefig(tmp_path / "logo.png")
    assert (tmp_path / "logo.png").stat().st_size > 1000
    fig2 = plot_logo(np.array([[0.5, -0.2], [0, 0], [0, 0.1], [0, 0]]), title="attr")
    assert fig2.axes[0].get_ylabel() == "attribution"
    with pytest.raises(InputError, match="one row per letter"):
        plot_logo(np.ones((3, 2)))


def test_seqlet_is_a_plain_record() -> None:
    assert Seqlet(0, 1, 5, 2.0) == Seqlet(0, 1, 5, 2.0)
