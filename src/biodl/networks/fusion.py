"""deepNF-style fusion of several networks into one embedding per gene.

deepNF (Gligorijevic, Barot & Bonneau, "deepNF: deep network fusion for protein
function prediction", *Bioinformatics* 34:3873, 2018) learns a low-dimensional feature
vector for each gene from several interaction networks of the same genes:

1. each network becomes a dense gene x gene matrix (random walk with restart, PPMI,
   scaling to ``[0, 1]``: :func:`biodl.encode.network.network_features`);
2. a *multimodal denoising autoencoder* reads the rows of all the matrices at once:
   one dense encoder per network, their outputs concatenated, a shared bottleneck
   layer (the embedding), and mirrored decoders back to each network's row, sigmoid
   outputs; it is trained to reconstruct the clean rows from copies in which a
   fraction ``noise`` of the entries is set to zero (masking noise);
3. the bottleneck activations of the clean rows are the fused features, later given to
   a supervised classifier (:mod:`biodl.networks.function`).

Training uses no labels, so the embedding cannot leak the labels it is evaluated on.

Differences from deepNF (stated so that results are not mistaken for a
reproduction):

- Sizes are chosen for a small CPU budget: deepNF's yeast model has 2,000 units per
  network and a 600-unit bottleneck; the defaults here are 256 units per network and a
  128-unit bottleneck, trained for 30 epochs (about 4 minutes on one CPU thread for
  BIONIC's three yeast networks on 5,232 genes).
- Activation: ReLU by default (deepNF: sigmoid). With sigmoid units and Adam the loss
  stayed at the "average row" plateau for 10+ epochs on the yeast networks; ReLU
  learns within the CPU budget. ``activation="sigmoid"`` gives deepNF's choice.
- Loss: binary cross-entropy (as deepNF), the mean over a network's entries, summed
  over networks. BCE suits targets in ``[0, 1]`` with sigmoid outputs; MSE on these
  very sparse rows (1-4 % non-zero) is dominated by the zeros and learns slower.
- ``skip_absent`` (default on): a gene with a zero row in a network (absent from it,
  as when networks are put on the union of their genes) adds nothing to that network's
  loss, so the bottleneck is not spent on reconstructing "nothing here". deepNF's
  networks (STRING channels on one gene set) rarely had such rows.
- Optimiser: Adam (deepNF's Keras code used SGD with momentum, as commonly described).
- The decoders' output biases start at the logit of each column's mean, so training
  does not spend its first epochs learning the (very sparse) average row.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> xs = [rng.random((20, 20), dtype=np.float32), rng.random((20, 20), dtype=np.float32)]
>>> result = fuse(xs, options=FusionOptions(hidden=8, embedding=4, epochs=2, batch_size=8))
>>> result.embedding.shape, result.embedding.dtype, len(result.history)
((20, 4), dtype('float32'), 2)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from biodl.errors import InputError
from biodl.progress import Progress, note, progress

__all__ = ["FusionOptions", "FusionResult", "MultimodalAutoencoder", "fuse"]

Activation = Literal["sigmoid", "relu"]


@dataclass(frozen=True, kw_only=True)
class FusionOptions:
    """Size and training of the :class:`MultimodalAutoencoder`.

    Attributes
    ----------
    hidden
        Width of each network's encoder (and decoder) layer.
    embedding
        Width of the shared bottleneck: the size of the fused features.
    noise
        Fraction of input entries set to zero in each training row (masking noise).
    epochs, batch_size, learning_rate, weight_decay
        Adam on mini-batches of genes.
    activation
        Hidden and bottleneck activation: ``relu`` (default) or ``sigmoid`` (deepNF).
    skip_absent
        Leave a gene out of a network's loss where its row is all zero.
    """

    hidden: int = 256
    embedding: int = 128
    noise: float = 0.5
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    activation: Activation = "relu"
    skip_absent: bool = True

    def __post_init__(self) -> None:
        for name in ("hidden", "embedding", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"fusion option {name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.noise < 1.0:
            raise InputError(f"fusion option noise must be in [0, 1), got {self.noise}")
        if self.learning_rate <= 0 or self.weight_decay < 0:
            raise InputError("fusion options need learning_rate > 0 and weight_decay >= 0")
        if self.activation not in ("sigmoid", "relu"):
            raise InputError(
                f"fusion option activation must be sigmoid or relu, not {self.activation!r}"
            )


def _act(name: Activation) -> nn.Module:
    return nn.Sigmoid() if name == "sigmoid" else nn.ReLU()


class MultimodalAutoencoder(nn.Module):
    """deepNF's multimodal autoencoder: per-network encoders, a shared bottleneck,
    mirrored per-network decoders.

    ``x_k (N, G_k) -> Linear(G_k, hidden) -> act`` for each network ``k``; the
    concatenation ``(N, K hidden) -> Linear(K hidden, embedding) -> act`` is the
    embedding; ``Linear(embedding, K hidden) -> act``, split per network,
    ``-> Linear(hidden, G_k) -> sigmoid`` reconstructs each input.

    Parameters
    ----------
    input_sizes
        ``G_k`` of each network (the columns of its feature matrix).
    hidden, embedding, activation
        As in :class:`FusionOptions`.

    Examples
    --------
    >>> import torch
    >>> model = MultimodalAutoencoder([5, 7], hidden=4, embedding=3)
    >>> xs = [torch.rand(2, 5), torch.rand(2, 7)]
    >>> model.encode(xs).shape, [tuple(y.shape) for y in model(xs)]
    (torch.Size([2, 3]), [(2, 5), (2, 7)])
    """

    def __init__(
        self,
        input_sizes: Sequence[int],
        *,
        hidden: int = 256,
        embedding: int = 128,
        activation: Activation = "relu",
    ) -> None:
        super().__init__()
        if not input_sizes or any(int(g) < 1 for g in input_sizes):
            raise InputError(f"input sizes must be >= 1, one per network, got {list(input_sizes)}")
        self.input_sizes = [int(g) for g in input_sizes]
        self.hidden = int(hidden)
        k = len(self.input_sizes)
        self.encoders = nn.ModuleList(
            nn.Sequential(nn.Linear(g, hidden), _act(activation)) for g in self.input_sizes
        )
        self.bottleneck = nn.Sequential(nn.Linear(k * hidden, embedding), _act(activation))
        self.expand = nn.Sequential(nn.Linear(embedding, k * hidden), _act(activation))
        self.decoders = nn.ModuleList(nn.Linear(hidden, g) for g in self.input_sizes)

    @classmethod
    def from_options(
        cls, input_sizes: Sequence[int], options: FusionOptions
    ) -> MultimodalAutoencoder:
        """The model :func:`fuse` trains for ``options`` (to reload saved weights)."""
        return cls(
            input_sizes,
            hidden=options.hidden,
            embedding=options.embedding,
            activation=options.activation,
        )

    def _check(self, xs: Sequence[Tensor]) -> None:
        if len(xs) != len(self.input_sizes):
            raise InputError(f"{len(xs)} networks given to a model of {len(self.input_sizes)}")
        for k, (x, g) in enumerate(zip(xs, self.input_sizes, strict=True)):
            if x.ndim != 2 or x.shape[1] != g:
                raise InputError(f"network {k}: input of shape {tuple(x.shape)}, expected (N, {g})")

    def encode(self, xs: Sequence[Tensor]) -> Tensor:
        """The embedding ``(N, embedding)`` of the rows ``xs[k]`` ``(N, G_k)``."""
        self._check(xs)
        h = torch.cat([enc(x) for enc, x in zip(self.encoders, xs, strict=True)], dim=1)
        out: Tensor = self.bottleneck(h)
        return out

    def decode_logits(self, z: Tensor) -> list[Tensor]:
        """Pre-sigmoid reconstructions ``(N, G_k)`` of each network from ``z``."""
        parts = torch.split(self.expand(z), self.hidden, dim=1)
        return [dec(h) for dec, h in zip(self.decoders, parts, strict=True)]

    def forward(self, xs: Sequence[Tensor]) -> list[Tensor]:
        """Reconstructions in ``[0, 1]``, ``(N, G_k)`` per network."""
        return [torch.sigmoid(y) for y in self.decode_logits(self.encode(xs))]


@dataclass(frozen=True)
class FusionResult:
    """What :func:`fuse` returns.

    Attributes
    ----------
    embedding
        ``(G, embedding)`` float32: the bottleneck of each gene's clean rows.
    model
        The trained model (in eval mode, on the CPU).
    history
        One dict per epoch: ``epoch``, ``loss`` (sum over networks) and ``loss_<k>``
        per network (mean BCE per entry), ``seconds``.
    options
        The options used.
    """

    embedding: np.ndarray
    model: MultimodalAutoencoder
    history: list[dict[str, float]]
    options: FusionOptions = field(default_factory=FusionOptions)


def _check_features(features: Sequence[np.ndarray]) -> int:
    if len(features) < 1:
        raise InputError("fusion needs at least one network's features")
    n = features[0].shape[0]
    for k, x in enumerate(features):
        if x.ndim != 2 or x.shape[0] != n:
            raise InputError(
                f"network {k}: features of shape {x.shape}; every network needs {n} rows, "
                "one per gene, in the same gene order"
            )
        if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise InputError(
                f"network {k}: features must be finite and in [0, 1] "
                "(biodl.encode.network.network_features)"
            )
    return int(n)


def _embed(model: MultimodalAutoencoder, xs: list[Tensor], batch: int, device: str) -> np.ndarray:
    model.eval()
    parts = []
    with torch.no_grad():
        for start in range(0, xs[0].shape[0], batch):
            parts.append(model.encode([x[start : start + batch].to(device) for x in xs]).cpu())
    return torch.cat(parts).numpy().astype(np.float32)


def fuse(
    features: Sequence[np.ndarray],
    *,
    options: FusionOptions = FusionOptions(),
    seed: int = 0,
    device: str = "cpu",
) -> FusionResult:
    """Train a :class:`MultimodalAutoencoder` on the networks' rows; embed every gene.

    Parameters
    ----------
    features
        One ``(G, G_k)`` matrix per network, values in ``[0, 1]``, rows in the same
        gene order (:func:`biodl.encode.network.network_features` on the union of the
        networks' genes). Not copied (float32 input is used as it is).
    options
        Model size and training.
    seed
        Seeds the weights (under :func:`torch.random.fork_rng`, so the global random
        state is left as it was), the shuffling and the noise: the same seed gives the
        same embedding at a fixed thread count and device.
    device
        ``cpu`` or a CUDA device; the data stay on the CPU, batches are moved.

    Returns
    -------
    FusionResult
    """
    n = _check_features(features)
    xs = [torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)) for x in features]
    present = [(x.amax(dim=1) > 0) for x in xs]  # (G,) bool per network
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MultimodalAutoencoder.from_options([x.shape[1] for x in xs], options)
    with torch.no_grad():  # start the decoders at the column means: skip the trivial phase
        for k, (x, keep) in enumerate(zip(xs, present, strict=True)):
            rows = x[keep] if options.skip_absent and bool(keep.any()) else x
            mean = rows.mean(dim=0, dtype=torch.float64).clamp(1e-4, 1 - 1e-4)
            decoder = model.decoders[k]
            assert isinstance(decoder, nn.Linear)  # internal invariant, not user input
            decoder.bias.copy_(torch.logit(mean).to(torch.float32))
    model.to(device)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    noise_gen = torch.Generator(device=device).manual_seed(seed + 1)
    opt = torch.optim.Adam(
        model.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay
    )
    bce = nn.BCEWithLogitsLoss(reduction="none")
    history: list[dict[str, float]] = []
    n_batches = (n + options.batch_size - 1) // options.batch_size
    bar: Progress[Any]
    with progress(total=options.epochs * n_batches, desc="network fusion", unit="batch") as bar:
        for epoch in range(1, options.epochs + 1):
            start_time = time.perf_counter()
            model.train()
            order = torch.randperm(n, generator=gen)
            sums = [0.0] * len(xs)
            counts = [0.0] * len(xs)
            for start in range(0, n, options.batch_size):
                idx = order[start : start + options.batch_size]
                clean = [x[idx].to(device) for x in xs]
                noisy = [
                    c * (torch.rand(c.shape, generator=noise_gen, device=device) >= options.noise)
                    for c in clean
                ]
                logits = model.decode_logits(model.encode(noisy))
                loss = torch.zeros((), device=device)
                for k, (y, c) in enumerate(zip(logits, clean, strict=True)):
                    per_row = bce(y, c).mean(dim=1)
                    if options.skip_absent:
                        keep = present[k][idx].to(device)
                        n_rows = float(keep.sum())
                        if n_rows == 0:
                            continue
                        part = (per_row * keep).sum() / n_rows
                    else:
                        n_rows = float(len(idx))
                        part = per_row.mean()
                    loss = loss + part
                    sums[k] += float(part.detach()) * n_rows
                    counts[k] += n_rows
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                bar.update()
            per = [s / c if c else 0.0 for s, c in zip(sums, counts, strict=True)]
            row: dict[str, float] = {"epoch": float(epoch), "loss": float(sum(per))}
            row |= {f"loss_{k}": v for k, v in enumerate(per)}
            row["seconds"] = time.perf_counter() - start_time
            history.append(row)
            note(f"network fusion epoch {epoch}/{options.epochs}: loss {row['loss']:.5f}")
    embedding = _embed(model, xs, max(options.batch_size, 256), device)
    model.to("cpu").eval()
    return FusionResult(embedding=embedding, model=model, history=history, options=options)
