"""The model zoo: architectures registered by name with a strict parameter schema.

Each entry is a :class:`ModelSpec`: a pydantic schema of its hyper-parameters (unknown
keys are errors) and a builder that returns a plain :class:`torch.nn.Module` mapping
one-hot input ``(N, C, L)`` to logits ``(N, n_outputs)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from torch import nn

from biodl.config import SearchParam
from biodl.errors import ConfigError

__all__ = [
    "ModelIO",
    "ModelSpec",
    "SearchSpace",
    "create_model",
    "get_model_spec",
    "list_models",
    "register_model",
    "space",
    "validate_params",
]


@dataclass(frozen=True)
class ModelIO:
    """What a model must accept and produce.

    Attributes
    ----------
    n_channels
        Alphabet size ``C`` of the one-hot input (4 for DNA/RNA, 20 for protein).
    input_length
        Sequence length ``L`` of the input.
    n_outputs
        Number of output logits.
    alphabet
        ``"dna"``, ``"rna"`` or ``"protein"``.
    layout
        Named integers describing a packed input, as ``(name, value)`` pairs, for models
        whose input is more than one one-hot sequence (RNA structure, CpG
        neighbourhoods); empty for plain one-hot input. Read it with :meth:`get`.
    per_position
        Whether the model must return one output per position, ``(N, n_outputs, L')``,
        instead of one per sequence, ``(N, n_outputs)``.
    """

    n_channels: int
    input_length: int
    n_outputs: int
    alphabet: str = "dna"
    layout: tuple[tuple[str, int], ...] = ()
    per_position: bool = False

    def get(self, key: str, default: int | None = None) -> int | None:
        """The layout value called ``key``, or ``default``.

        Examples
        --------
        >>> ModelIO(4, 100, 1, layout=(("cpg_window", 50),)).get("cpg_window")
        50
        """
        return dict(self.layout).get(key, default)


#: a hyper-parameter search space: option name -> range or choices (``biodl tune``)
SearchSpace = Mapping[str, SearchParam]


def space(**params: dict[str, Any]) -> dict[str, SearchParam]:
    """A search space from keyword arguments, e.g.
    ``space(dropout={"type": "float", "low": 0.1, "high": 0.6})``.

    Examples
    --------
    >>> space(hidden={"type": "int", "low": 8, "high": 64, "log": True})["hidden"].describe()
    'int 8..64 (log)'
    """
    return {name: SearchParam.model_validate(p) for name, p in params.items()}


@dataclass(frozen=True)
class ModelSpec:
    """A registered architecture.

    ``space`` is the hyper-parameter search space ``biodl tune`` samples by default:
    option names of ``params`` mapped to a range or choices (:func:`space`).
    """

    name: str
    summary: str
    citation: str
    params: type[BaseModel]
    build: Callable[[Any, ModelIO], nn.Module]
    alphabets: tuple[str, ...] = ("dna", "rna")
    per_position: bool = False
    space: SearchSpace = field(default_factory=dict)


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec, *, replace: bool = False) -> ModelSpec:
    """Add an architecture to the zoo (``replace=True`` to overwrite a name)."""
    if spec.name in _REGISTRY and not replace:
        msg = f"a model named '{spec.name}' is already registered"
        raise ValueError(msg)
    unknown = sorted(set(spec.space) - set(spec.params.model_fields))
    if unknown:
        msg = f"model '{spec.name}' declares a search space over unknown options: {unknown}"
        raise ValueError(msg)
    _REGISTRY[spec.name] = spec
    return spec


def list_models() -> list[ModelSpec]:
    """Every registered architecture, sorted by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_model_spec(name: str) -> ModelSpec:
    """The registered architecture called ``name``.

    Raises
    ------
    ConfigError
        If no model has that name; the message lists the known names.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown model '{name}'; known models: {known}") from None


def validate_params(name: str, params: Mapping[str, Any]) -> BaseModel:
    """Check ``params`` against the schema of model ``name``."""
    spec = get_model_spec(name)
    try:
        return spec.params.model_validate(dict(params))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(spec.params.model_fields)
            text = f"unknown key 'model.{key}' for model '{name}'; its options are: {allowed}"
        else:
            text = f"'model.{key}': {err['msg'].lower()} (got {err.get('input')!r})"
        raise ConfigError(text) from None


def create_model(name: str, params: Mapping[str, Any] | BaseModel, *, io: ModelIO) -> nn.Module:
    """Build model ``name`` with hyper-parameters ``params`` for inputs described by ``io``.

    Parameters
    ----------
    name
        A registered architecture (see :func:`list_models`).
    params
        Hyper-parameters; missing ones take the architecture's defaults. Options already
        validated by :func:`validate_params` (the architecture's parameter model) are
        used as they are, so a training run validates its options once.
    io
        Input channels and length, number of outputs.

    Returns
    -------
    torch.nn.Module
        Maps a float tensor ``(N, C, L)`` to logits ``(N, n_outputs)``.
    """
    spec = get_model_spec(name)
    if io.alphabet not in spec.alphabets:
        raise ConfigError(
            f"model '{name}' is for {', '.join(spec.alphabets)} input, not {io.alphabet}"
        )
    if io.per_position and not spec.per_position:
        capable = ", ".join(s.name for s in list_models() if s.per_position)
        raise ConfigError(
            f"model '{name}' has no per-position head; models that have one: {capable}"
        )
    checked = params if isinstance(params, spec.params) else None
    if checked is None:
        if isinstance(params, BaseModel):
            params = params.model_dump()
        checked = validate_params(name, params)
    return spec.build(checked, io)
