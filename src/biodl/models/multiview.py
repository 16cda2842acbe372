"""Multi-omics fusion: per-view encoders over several matrices joined by sample id.

The input is the ``(N, F, 1)`` matrix input of a ``views:`` source: the features of every
view side by side (mRNA, then methylation, then miRNA...). The view boundaries come
from ``ModelIO.layout`` (``("view:NAME", width)`` pairs, recorded by the training
workflow from the data, as the input length is) or from the ``views`` option.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from biodl.errors import ConfigError
from biodl.models.layers import SequenceModel
from biodl.models.mlp import MLPTrunk
from biodl.models.registry import ModelIO, ModelSpec, register_model, space

__all__ = ["MultiViewParams", "MultiViewTrunk", "multiview", "view_widths"]

VIEW_PREFIX = "view:"


class MultiViewParams(BaseModel):
    """Hyper-parameters of :func:`multiview`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    fusion: Literal["early", "late", "attention"] = "attention"
    hidden: int = Field(default=64, ge=1)
    layers: int = Field(default=1, ge=0, le=8)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    input_dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    norm: Literal["batch", "layer", "none"] = "batch"
    combine: Literal["mean", "learned", "vcdn"] = "mean"
    vcdn_hidden: int = Field(default=16, ge=1)
    views: list[int] | None = None


def view_widths(io: ModelIO, given: list[int] | None = None) -> list[tuple[str, int]]:
    """``(name, width)`` of each view: ``given`` widths, else the layout's ``view:NAME``
    entries, else one view of all the features.

    Raises
    ------
    ConfigError
        The widths do not add up to the input's features.

    Examples
    --------
    >>> view_widths(ModelIO(5, 1, 1, layout=(("view:a", 2), ("view:b", 3))))
    [('a', 2), ('b', 3)]
    """
    total = io.n_channels * io.input_length
    if given:
        views = [(f"view{i + 1}", int(w)) for i, w in enumerate(given)]
    else:
        views = [(k[len(VIEW_PREFIX) :], int(v)) for k, v in io.layout if k.startswith(VIEW_PREFIX)]
    if not views:
        return [("all", total)]
    if sum(w for _, w in views) != total or any(w < 1 for _, w in views):
        raise ConfigError(
            f"model 'multiview': the views' widths {[w for _, w in views]} do not add up to "
            f"the {total} input features"
        )
    return views


class _Combine(nn.Module):
    """Late fusion: per-view logits ``(N, V, O)`` to logits ``(N, O)``."""

    def __init__(self, n_views: int, n_outputs: int, how: str, hidden: int) -> None:
        super().__init__()
        self.how = how
        self.n_views = n_views
        self.n_outputs = n_outputs
        self.weight = nn.Parameter(torch.zeros(n_views)) if how == "learned" else None
        self.vcdn: nn.Module | None = None
        if how == "vcdn":
            classes = 2 if n_outputs == 1 else n_outputs
            self.vcdn = nn.Sequential(
                nn.Linear(classes**n_views, hidden),
                nn.LeakyReLU(0.25),
                nn.Linear(hidden, n_outputs),
            )

    def forward(self, flat: torch.Tensor) -> torch.Tensor:
        logits = flat.view(flat.shape[0], self.n_views, self.n_outputs)
        if self.how == "mean":
            return logits.mean(dim=1)
        if self.weight is not None:
            w = torch.softmax(self.weight, dim=0)
            return (logits * w[None, :, None]).sum(dim=1)
        assert self.vcdn is not None
        if self.n_outputs == 1:
            p = torch.sigmoid(logits)
            probs = torch.cat([1 - p, p], dim=2)
        else:
            probs = torch.softmax(logits, dim=2)
        # MOGONET's view correlation discovery: the outer product of the views' class
        # probabilities (C^V cross-view agreements) feeds a small network
        joint = probs[:, 0]
        for v in range(1, self.n_views):
            joint = (joint[:, :, None] * probs[:, v][:, None, :]).flatten(1)
        return self.vcdn(joint)


class MultiViewTrunk(nn.Module):
    """Splits the flattened input at the view boundaries and encodes each view.

    ``fusion="early"``: one MLP over all features (the views only matter for
    preprocessing). ``"late"``: each view's MLP ends in its own linear classifier; the
    trunk returns the per-view logits side by side (the head combines them).
    ``"attention"``: each view's MLP gives an embedding; a shared scorer gives each view
    of each sample a weight (softmax across views) and the trunk returns the weighted sum.
    """

    def __init__(self, views: list[tuple[str, int]], params: MultiViewParams, n_outputs: int):
        super().__init__()
        self.fusion = params.fusion
        self.names = [n for n, _ in views]
        self.widths = [w for _, w in views]
        self.offsets = [sum(self.widths[:i]) for i in range(len(views))]
        total = sum(self.widths)

        def trunk(width: int, layers: int) -> MLPTrunk:
            return MLPTrunk(
                width,
                hidden=[params.hidden] * layers,
                dropout=params.dropout,
                input_dropout=params.input_dropout,
                norm=params.norm,
            )

        self.out_features: int
        self.encoders = nn.ModuleList()
        self.classifiers = nn.ModuleList()
        self.score: nn.Module | None = None
        if self.fusion == "early":
            early = trunk(total, params.layers)
            self.encoders.append(early)
            self.out_features = early.out_features
        elif self.fusion == "late":
            for w in self.widths:
                enc = trunk(w, params.layers)
                self.encoders.append(enc)
                self.classifiers.append(nn.Linear(enc.out_features, n_outputs))
            self.out_features = len(views) * n_outputs
        else:
            for w in self.widths:
                self.encoders.append(trunk(w, max(params.layers, 1)))
            self.score = nn.Sequential(
                nn.Linear(params.hidden, params.hidden), nn.Tanh(), nn.Linear(params.hidden, 1)
            )
            self.out_features = params.hidden
        self.last_attention: torch.Tensor | None = None

    def split(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The ``(N, F_v)`` input of each view (at the recorded boundaries)."""
        flat = (x if x.dtype.is_floating_point else x.float()).flatten(1)
        return [flat[:, o : o + w] for o, w in zip(self.offsets, self.widths, strict=True)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fusion == "early":
            return self.encoders[0]((x if x.dtype.is_floating_point else x.float()).flatten(1))
        parts = self.split(x)
        if self.fusion == "late":
            return torch.cat(
                [
                    clf(enc(p))
                    for enc, clf, p in zip(self.encoders, self.classifiers, parts, strict=True)
                ],
                dim=1,
            )
        assert self.score is not None
        h = torch.stack([enc(p) for enc, p in zip(self.encoders, parts, strict=True)], dim=1)
        weights = torch.softmax(self.score(h).squeeze(-1), dim=1)  # (N, V)
        self.last_attention = weights.detach()
        return (h * weights[:, :, None]).sum(dim=1)


def multiview(params: MultiViewParams, io: ModelIO) -> SequenceModel:
    """Per-view MLP encoders with early, late or attention fusion (multi-omics).

    After MOGONET: Wang T., Shao W., Huang Z., Tang H., Zhang J., Ding Z., Huang K. (2021)
    MOGONET integrates multi-omics data using graph convolutional networks allowing
    patient classification and biomarker identification. *Nature Communications*
    12:3445. doi:10.1038/s41467-021-23774-w

    Architecture (input ``(N, F, 1)``, the views' preprocessed features side by side,
    split at the boundaries of ``io.layout``): ``fusion: early``, an MLP over the
    concatenated features; ``late``, one MLP classifier per view, combined by the mean of
    the logits (``combine: mean``), a learned softmax weight per view (``learned``) or
    MOGONET's view correlation discovery network (``vcdn``: the outer product of the
    views' class probabilities into a small network); ``attention``, one MLP encoder
    per view, a shared scorer giving each view of each sample an attention weight
    (softmax across views) and a linear classifier on the weighted sum of embeddings.

    Differences from MOGONET: no graph convolutions; each view is encoded by an MLP of
    the sample alone (inductive: nothing of other samples, test samples included, is
    seen, where MOGONET's GCNs run on a patient-similarity graph built over the training
    and test samples together). The model is trained end to end on the fused loss only
    (MOGONET pre-trains the per-view GCNs, then trains them with per-view losses
    alongside the VCDN). Validation and early stopping use a held-out part of the
    training samples, never the test samples.
    """
    views = view_widths(io, params.views)
    trunk = MultiViewTrunk(views, params, io.n_outputs)
    if params.fusion == "late":
        head: nn.Module = _Combine(len(views), io.n_outputs, params.combine, params.vcdn_hidden)
    else:
        head = nn.Linear(trunk.out_features, io.n_outputs)
    return SequenceModel(trunk, head, strands="single")


#: the search space of ``biodl tune`` (``biodl models`` prints it)
SEARCH_SPACE = space(
    fusion={"type": "categorical", "choices": ["early", "late", "attention"]},
    hidden={"type": "int", "low": 16, "high": 256, "log": True},
    layers={"type": "int", "low": 1, "high": 2},
    dropout={"type": "float", "low": 0.0, "high": 0.7},
    input_dropout={"type": "float", "low": 0.0, "high": 0.5},
    combine={"type": "categorical", "choices": ["mean", "learned", "vcdn"]},
)

MULTIVIEW = register_model(
    ModelSpec(
        name="multiview",
        summary="per-view MLP encoders with early, late or attention fusion (multi-omics)",
        citation=(
            "after MOGONET, Wang et al. 2021, Nat Commun 12:3445, "
            "doi:10.1038/s41467-021-23774-w (MLP encoders instead of GCNs; VCDN optional)"
        ),
        params=MultiViewParams,
        space=SEARCH_SPACE,
        build=multiview,
        alphabets=("matrix",),
    )
)
