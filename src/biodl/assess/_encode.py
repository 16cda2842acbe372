"""Model input and model outputs for the model checks of ``biodl assess``.

:func:`encode_for_model` turns sequences as read into the array the model was trained
on (cropped or padded to its input length exactly as training did, then encoded with
the training encoder); :func:`split_logits` gives a split's raw model outputs, computed
through the one batched prediction path (:func:`biodl.models.predict`) when the split
does not carry them; :func:`penultimate` captures the input of the model's last
``nn.Linear`` layer (its penultimate representation) during that same prediction.

Examples
--------
>>> meta = {"alphabet": "dna", "input_length": 4, "unknown": "zero"}
>>> encode_for_model(meta, ["ACGTAC", "AC"]).shape
(2, 4, 4)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
import torch
from torch import nn

from biodl.assess.types import AssessInputs, SplitView
from biodl.data.examples import Examples
from biodl.data.kinds import MatrixKind, MoleculeKind, SequenceKind
from biodl.data.splits import fit_sequence
from biodl.encode.molecules import ModelInput
from biodl.errors import InputError
from biodl.io import AlphabetName
from biodl.models import predict
from biodl.runs import molecule_kind_of

__all__ = [
    "describe_view",
    "encode_for_model",
    "input_kind_of",
    "last_linear",
    "model_input",
    "molecule_kind",
    "penultimate",
    "split_logits",
]


def molecule_kind(meta: Mapping[str, Any]) -> MoleculeKind:
    """The :class:`MoleculeKind` a molecule run reads, as :attr:`biodl.runs.Run.input_kind`
    builds it: the featurizer and its options from ``meta["molecule"]``, the graph
    layout (``max_neighbours``) from ``meta["layout"]``; graphs are packed
    (:class:`~biodl.encode.molecules.PackedGraphs`, each batch padded to its own largest
    molecule, as prediction does).

    Examples
    --------
    >>> kind = molecule_kind({"alphabet": "fingerprint", "molecule": {"featurizer": "morgan"}})
    >>> kind.featurizer, kind.n_bits, kind.model_alphabet
    ('morgan', 2048, 'fingerprint')
    """
    return molecule_kind_of(meta)


def input_kind_of(inputs: AssessInputs) -> SequenceKind | MatrixKind | MoleculeKind:
    """The input kind of the assessed data: :class:`MatrixKind` for an expression-matrix
    model, :class:`MoleculeKind` (:func:`molecule_kind`) for a molecule model, else its
    alphabet, with the model's encoding and unknown-letter handling from
    ``inputs.meta`` (one-hot, zero rows by default).

    Examples
    --------
    >>> from biodl.assess.types import AssessInputs, SplitView
    >>> kind = input_kind_of(AssessInputs("binary", "rna", ("1",), {}))
    >>> kind.name, kind.alphabet, kind.encoding
    ('sequence', 'rna', 'onehot')
    """
    if inputs.is_matrix:
        return MatrixKind()
    if inputs.is_molecule:
        return molecule_kind(inputs.meta)
    return _kind(inputs.alphabet, inputs.meta)


def _matrix_examples(view: SplitView, names: Sequence[str]) -> Examples:
    assert view.features is not None
    n = len(view)
    return Examples(
        [""] * n,
        [""] * n,
        list(view.ids),
        [("", 0)] * n,
        features=list(np.asarray(view.features, dtype=np.float32)),
        feature_names=list(names) or [str(j) for j in range(view.features.shape[1])],
    )


def describe_view(inputs: AssessInputs, view: SplitView) -> dict[str, Any]:
    """:meth:`~biodl.data.kinds.InputKind.describe` of one split by the input kind:
    counts, distinct inputs and, per kind, lengths/GC/composition, features/values or,
    for molecules, atoms, scaffolds and the largest atom degree."""
    kind = input_kind_of(inputs)
    if isinstance(kind, MatrixKind):
        if view.features is None:
            raise InputError("matrix splits need their feature values")
        return kind.describe(_matrix_examples(view, inputs.feature_names))
    return kind.describe(view.sequences)


def model_input(inputs: AssessInputs, view: SplitView) -> ModelInput:
    """The model input of a split: ``(N, F, 1)`` for matrices; for molecules the run's
    :class:`MoleculeKind` encoding of the SMILES (packed graphs, or ``(N, bits, 1)``
    fingerprints/descriptors); else :func:`encode_for_model` of its sequences."""
    if inputs.is_matrix:
        if view.features is None:
            raise InputError("matrix splits need their feature values")
        return np.asarray(view.features, dtype=np.float32)[:, :, None]
    if inputs.is_molecule:
        return molecule_kind(inputs.meta).encode(list(view.sequences))
    return encode_for_model(inputs.meta, view.sequences)


def _kind(alphabet: str, meta: Mapping[str, Any]) -> SequenceKind:
    unknown: Literal["zero", "uniform"] = "uniform" if meta.get("unknown") == "uniform" else "zero"
    return SequenceKind(
        alphabet=cast(AlphabetName, alphabet),
        encoding=str(meta.get("encoding") or "onehot"),
        unknown=unknown,
    )


def encode_for_model(meta: Mapping[str, Any], sequences: Sequence[str]) -> np.ndarray:
    """The model input of ``sequences``, as training made it.

    Each sequence is cropped to ``meta["input_length"]`` (around its centre, or keeping
    both ends when ``meta["crop"] == "ends"``) or padded on both sides with ``N``
    (``X`` for proteins), then encoded with ``meta["encoding"]`` (one-hot by default)
    and ``meta["unknown"]``.

    Parameters
    ----------
    meta
        A run's ``model.json``: ``alphabet``, ``input_length``, optional ``encoding``,
        ``crop``, ``unknown``.
    sequences
        Sequences as read, length N.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, C, L)``; see :meth:`biodl.data.kinds.SequenceKind.encode` for the dtype.

    Raises
    ------
    InputError
        A CpG model (its inputs are not sequences) or a letter outside the alphabet.

    Examples
    --------
    >>> meta = {"alphabet": "protein", "input_length": 3, "crop": "ends"}
    >>> encode_for_model(meta, ["MKLV"]).shape
    (1, 20, 3)
    """
    if meta.get("alphabet") in ("molecule", "fingerprint", "matrix"):
        raise InputError(
            f"a {meta['alphabet']} model does not read sequences; its input is built by "
            "its input kind (model_input)"
        )
    kind = _kind(str(meta["alphabet"]), meta)
    length = int(meta["input_length"])
    if kind.encoding == "cpg":
        raise InputError("a CpG model scores CpG profiles, not sequences; assess needs sequences")
    crop = "ends" if meta.get("crop") == "ends" else "centre"
    pad = "X" if kind.alphabet == "protein" else "N"
    fitted = [fit_sequence(s, length, pad=pad, crop=crop) for s in sequences]
    if not fitted:
        return np.zeros((0, int(meta.get("n_channels", 4)), length), dtype=np.float32)
    return kind.encode(fitted)


def split_logits(inputs: AssessInputs, split: str, *, batch_size: int = 256) -> np.ndarray | None:
    """Raw model outputs ``(N, T)`` of one split: the split's own, else predicted.

    Returns None when the split is absent or has neither logits nor a model to compute
    them. Per-position outputs ``(N, T, L)`` are returned as computed.
    """
    view = inputs.splits.get(split)
    if view is None:
        return None
    if view.logits is not None:
        return np.asarray(view.logits, dtype=np.float64)
    if inputs.model is None or len(view) == 0:
        return None
    X = model_input(inputs, view)
    out = predict(inputs.model, X, batch_size=batch_size, device="cpu")
    return out.numpy().astype(np.float64)


def last_linear(model: nn.Module) -> nn.Linear | None:
    """The last ``nn.Linear`` among ``model.modules()`` (the output layer), or None.

    Examples
    --------
    >>> last_linear(nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))).in_features
    2
    """
    found = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return found[-1] if found else None


def penultimate(model: nn.Module, X: ModelInput, *, batch_size: int = 256) -> np.ndarray | None:
    """The input of the model's last ``nn.Linear`` for each example, ``(N, D)``.

    Captured with a forward hook during :func:`biodl.models.predict`. A model that
    calls its head more than once per batch (both DNA strands) gets the mean of the
    calls, so the embedding is strand-symmetric as the prediction is. None when the
    model has no ``nn.Linear`` or the captured inputs are not one row per example.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(8, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> penultimate(model, np.zeros((5, 4, 2), dtype=np.float32)).shape
    (5, 3)
    """
    layer = last_linear(model)
    n = int(X.shape[0])
    if layer is None or n == 0:
        return None
    captured: list[torch.Tensor] = []

    def hook(_module: nn.Module, args: tuple[Any, ...]) -> None:
        captured.append(args[0].detach().float().reshape(args[0].shape[0], -1).cpu())

    handle = layer.register_forward_pre_hook(hook)
    try:
        predict(model, X, batch_size=batch_size, device="cpu")
    finally:
        handle.remove()
    rows = sum(int(t.shape[0]) for t in captured)
    if rows == 0 or rows % n:
        return None
    calls = rows // n  # calls per batch (2 for a model scoring both strands)
    if len(captured) % calls:
        return None
    merged = [
        torch.stack(captured[i : i + calls]).mean(dim=0) for i in range(0, len(captured), calls)
    ]
    return torch.cat(merged).numpy().astype(np.float64)
