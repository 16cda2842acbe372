"""A denoising autoencoder for feature vectors (expression matrices): ``dae``.

The model is an encoder (the trunk: hidden layers down to a ``bottleneck`` code), a
classifier head on the code, and a decoder back to the input used only for
pre-training. Training is two stages:

1. :meth:`DenoisingAutoencoder.pretrain` (called by the training workflow through
   :func:`pretrain_unsupervised` on the *training* samples, before supervised training):
   ``pretrain_epochs`` epochs of Adam on the reconstruction error (mean squared error)
   of the clean input from a corrupted copy: ``noise: mask`` zeroes a random fraction
   ``noise_level`` of each sample's features (the training mean after ``standardize``),
   ``noise: gaussian`` adds Gaussian noise of SD ``noise_level``. No labels are used.
2. Supervised fine-tuning of encoder and head by the one Lightning module
   (:func:`biodl.train.fit`), exactly as any other model; the decoder is not in the
   forward pass and gets no gradient there.

Any model with a ``pretrain(X) -> dict`` method (the :class:`Pretrainable` protocol)
is pre-trained the same way; ``dae`` is the first.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.encode.molecules import ModelInput
from biodl.models.layers import SequenceModel
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = [
    "DAEParams",
    "DenoisingAutoencoder",
    "Pretrainable",
    "dae",
    "pretrain_unsupervised",
]


@runtime_checkable
class Pretrainable(Protocol):
    """A model with an unsupervised stage run on the training inputs before ``fit``."""

    def pretrain(self, X: np.ndarray) -> dict[str, Any]: ...


def pretrain_unsupervised(model: nn.Module, X: ModelInput) -> dict[str, Any] | None:
    """Run ``model.pretrain(X)`` if the model has one (the training inputs, ``(N, C, L)``),
    returning its summary; ``None`` for every other model."""
    if isinstance(model, Pretrainable):
        return model.pretrain(np.asarray(X))
    return None


class DAEParams(BaseModel):
    """Hyper-parameters of :func:`dae`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    hidden: int = Field(default=256, ge=1)
    layers: int = Field(default=1, ge=0, le=4)
    bottleneck: int = Field(default=32, ge=1)
    norm: Literal["layer", "none"] = "layer"
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    noise: Literal["mask", "gaussian"] = "mask"
    noise_level: float = Field(default=0.2, ge=0.0, lt=1.0)
    pretrain_epochs: int = Field(default=100, ge=0)
    pretrain_learning_rate: float = Field(default=1e-3, gt=0.0)
    pretrain_batch_size: int = Field(default=32, ge=1)


def _stack(widths: list[int], norm: str, *, last_linear: bool) -> nn.Sequential:
    """Linear layers between consecutive ``widths``, each followed by normalisation and
    ReLU (except the last when ``last_linear``)."""
    layers: list[nn.Module] = []
    for k, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b))
        if last_linear and k == len(widths) - 2:
            break
        if norm == "layer":
            layers.append(nn.LayerNorm(b))
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DAEEncoder(nn.Module):
    """Flatten ``(N, C, L)`` (a matrix input is ``(N, F, 1)``), then the encoder layers
    down to the bottleneck code (ReLU)."""

    def __init__(self, in_features: int, widths: list[int], norm: str) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.net = _stack([in_features, *widths], norm, last_linear=False)
        self.out_features = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.flatten(x if x.dtype.is_floating_point else x.float()))


class DenoisingAutoencoder(SequenceModel):
    """Encoder (trunk) + classifier head, with a decoder for :meth:`pretrain`."""

    def __init__(
        self, encoder: DAEEncoder, head: nn.Module, decoder: nn.Module, params: DAEParams
    ) -> None:
        super().__init__(encoder, head, strands="single")
        self.decoder = decoder
        self.params = params

    def corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A noisy copy of the flat inputs ``x`` (``noise``, ``noise_level``)."""
        level = self.params.noise_level
        if level == 0:
            return x
        if self.params.noise == "mask":
            keep = torch.rand(x.shape, generator=generator, device=x.device) >= level
            return x * keep
        return x + level * torch.randn(x.shape, generator=generator, device=x.device)

    def reconstruction_loss(self, X: np.ndarray | torch.Tensor) -> float:
        """Mean squared error of reconstructing the clean inputs ``X`` from themselves
        (evaluation mode, no noise)."""
        flat = torch.as_tensor(np.asarray(X), dtype=torch.float32).reshape(len(X), -1)
        was = self.training
        self.eval()
        try:
            with torch.no_grad():
                out = self.decoder(self.trunk(flat))
                return float(torch.mean((out - flat) ** 2))
        finally:
            self.train(was)

    def pretrain(self, X: np.ndarray) -> dict[str, Any]:
        """Train encoder and decoder to reconstruct the training inputs ``X`` from
        corrupted copies (``pretrain_epochs`` epochs, Adam, shuffled mini-batches drawn
        from the global torch RNG, which the workflow seeds). Returns the clean
        reconstruction error before and after, and the epochs run."""
        p = self.params
        flat = torch.as_tensor(np.asarray(X), dtype=torch.float32).reshape(len(X), -1)
        before = self.reconstruction_loss(flat)
        if p.pretrain_epochs == 0 or len(flat) == 0:
            return {"epochs": 0, "loss_before": before, "loss_after": before}
        parameters = [*self.trunk.parameters(), *self.decoder.parameters()]
        optimiser = torch.optim.Adam(parameters, lr=p.pretrain_learning_rate)
        was = self.training
        self.train()
        batch = min(p.pretrain_batch_size, len(flat))
        for _ in range(p.pretrain_epochs):
            order = torch.randperm(len(flat))
            for start in range(0, len(flat), batch):
                clean = flat[order[start : start + batch]]
                out = self.decoder(self.trunk(self.corrupt(clean)))
                loss = torch.mean((out - clean) ** 2)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        self.train(was)
        after = self.reconstruction_loss(flat)
        if not math.isfinite(after):
            raise FloatingPointError("dae pre-training diverged (lower pretrain_learning_rate)")
        return {"epochs": p.pretrain_epochs, "loss_before": before, "loss_after": after}


def dae(params: DAEParams, io: ModelIO) -> DenoisingAutoencoder:
    """A denoising autoencoder whose encoder, pre-trained without labels, is fine-tuned
    with a classifier head on its bottleneck code.

    After Vincent P., Larochelle H., Bengio Y., Manzagol P.-A. (2008) Extracting and
    composing robust features with denoising autoencoders. *ICML 2008*, 1096-1103.
    doi:10.1145/1390156.1390294; and DeepGene: Yuan Y. et al. (2016) *BMC
    Bioinformatics* 17(Suppl 17):476. doi:10.1186/s12859-016-1334-9

    Architecture (input ``(N, F, 1)``: ``F`` preprocessed features): encoder of
    ``layers`` hidden layers of ``hidden`` units and a ``bottleneck`` layer, each linear,
    layer normalisation (``norm``) and ReLU; head: dropout and a linear output layer on
    the code; decoder (pre-training only): the mirror image, linear output of ``F``.

    Differences from the originals: Vincent et al. pre-train stacked autoencoders greedily
    layer by layer with masking noise on binary or [0, 1] inputs and a cross-entropy
    reconstruction; biodl pre-trains the whole encoder at once (one stage, mean squared
    error on standardised expression, masking or Gaussian noise) and then fine-tunes
    encoder and head jointly with the task loss. DeepGene's input is a clustered, indexed
    sparse vector of somatic point mutations fed to a supervised fully connected network
    (no autoencoder); here the input is a preprocessed expression vector
    (``data.preprocess``). Pre-training sees the training split only, never validation
    or test samples, and is skipped when ``train.init_from`` or ``--resume`` supplies the
    weights. ``biodl tune`` trials are not pre-trained.
    """
    in_features = io.n_channels * io.input_length
    widths = [params.hidden] * params.layers + [params.bottleneck]
    encoder = DAEEncoder(in_features, widths, params.norm)
    decoder = _stack([*reversed(widths), in_features], params.norm, last_linear=True)
    head = nn.Sequential(nn.Dropout(params.dropout), nn.Linear(params.bottleneck, io.n_outputs))
    return DenoisingAutoencoder(encoder, head, decoder, params)


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    hidden={"type": "int", "low": 64, "high": 512, "log": True},
    layers={"type": "int", "low": 0, "high": 2},
    bottleneck={"type": "int", "low": 8, "high": 64, "log": True},
    dropout={"type": "float", "low": 0.0, "high": 0.7},
)
# (noise, noise_level and pretrain_epochs act in pre-training, which tune trials skip)

DAE = register_model(
    ModelSpec(
        name="dae",
        summary="denoising autoencoder, pre-trained without labels, fine-tuned (matrices)",
        citation=(
            "after Vincent et al. 2008, ICML, doi:10.1145/1390156.1390294 and DeepGene, "
            "Yuan et al. 2016, BMC Bioinformatics 17:476, doi:10.1186/s12859-016-1334-9 "
            "(whole-encoder pre-training with MSE on expression, then joint fine-tuning)"
        ),
        params=DAEParams,
        space=SEARCH_SPACE,
        build=dae,
        alphabets=("matrix",),
    )
)
