"""How a model describes its forward pass as a chain of layers (used by fast ISM).

Fast in-silico mutagenesis (:func:`biodl.interpret.ism`) needs to know which leading
layers of a model are *local* (a substitution at position ``l`` changes their output
only in a window around ``l``). Rather than recognising model classes, it reads a
description that each module gives of itself: :meth:`DescribesForward.forward_chain`
returns the module's sub-layers in forward order, so that running them one after the
other (:func:`run_chain`) computes exactly what ``forward`` computes. An item of the
chain is

* an ``nn.Module``: a generic torch layer (``Conv1d``, ``MaxPool1d``, ``ReLU``,
  ``BatchNorm1d``, ``Flatten``, ``Linear``, ``ConstantPad1d`` ...) or a module that
  describes itself in turn (recursively);
* :class:`Residual`: ``x + branch(x)`` for a chain ``branch``;
* :class:`NonLocal`: "stop here: not local": a step ``forward(x)`` that is not local
  (recurrent layers, masking, global pooling); fast ISM keeps only the local layers
  before the first such step and runs it and everything after it in full;
* :class:`TwoStrands`: the whole model scores ``x`` and ``reverse(x)`` through the same
  chain and combines the two outputs by ``max`` or ``mean`` (only meaningful as the one
  item of a top-level model's chain).

A plain ``nn.Sequential`` (or a subclass that keeps its ``forward``) is described by its
items. A description is trusted only if ``forward_chain`` is defined by the module's
class or a subclass of the class that defines its ``forward``: a subclass that
overrides ``forward`` but inherits ``forward_chain`` describes nothing
(:func:`forward_chain` returns None). Consumers must still check the description
against the model (fast ISM does, and falls back to the naive path when they differ).

Examples
--------
A block that pads, convolves, rectifies and then runs a recurrent layer:

>>> class Block(nn.Module):
...     def __init__(self) -> None:
...         super().__init__()
...         self.conv, self.act = nn.Conv1d(4, 3, 5), nn.ReLU()
...         self.lstm = nn.LSTM(3, 2, batch_first=True)
...
...     def forward(self, x: torch.Tensor) -> torch.Tensor:
...         h = self.act(self.conv(nn.functional.pad(x, (2, 2))))
...         return self.recurrent(h)
...
...     def recurrent(self, h: torch.Tensor) -> torch.Tensor:
...         return self.lstm(h.transpose(1, 2))[0].transpose(1, 2)
...
...     def forward_chain(self) -> list[Link]:
...         return [nn.ConstantPad1d((2, 2), 0.0), self.conv, self.act, NonLocal(self.recurrent)]
>>> block = Block()
>>> x = torch.zeros(1, 4, 10)
>>> chain = forward_chain(block)
>>> chain is not None and bool(torch.allclose(run_chain(chain, x), block(x)))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias, Union, runtime_checkable

import torch
from torch import nn

__all__ = [
    "DescribesForward",
    "Link",
    "NonLocal",
    "Residual",
    "TwoStrands",
    "forward_chain",
    "run_chain",
]


@dataclass(frozen=True, eq=False)
class Residual:
    """``x + branch(x)``: a residual connection around a chain of layers.

    Parameters
    ----------
    branch
        The branch's layers in forward order (any :data:`Link`).
    """

    branch: tuple[Link, ...]


@dataclass(frozen=True, eq=False)
class NonLocal:
    """A step of the chain that is not local: ``forward(x)``.

    Parameters
    ----------
    forward
        Maps the activation at this point of the chain to the next one (often the rest
        of the module's forward pass).
    """

    forward: Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True, eq=False)
class TwoStrands:
    """The model scores ``x`` and ``reverse(x)`` through ``layers`` and combines them.

    Parameters
    ----------
    layers
        The chain for one strand.
    combine
        ``"max"``: element-wise maximum of the two outputs; ``"mean"``: their mean.
    reverse
        The reverse complement of an input batch ``(N, C, L)``.
    """

    layers: tuple[Link, ...]
    combine: Literal["max", "mean"]
    reverse: Callable[[torch.Tensor], torch.Tensor]


Link: TypeAlias = Union[nn.Module, Residual, NonLocal, TwoStrands]  # noqa: UP007
"""One item of a forward chain."""


@runtime_checkable
class DescribesForward(Protocol):
    """A module that describes its forward pass as a chain of layers."""

    def forward_chain(self) -> Sequence[Link]:
        """The module's layers in forward order (see the module docstring)."""
        ...


def _owner(cls: type, name: str) -> type | None:
    """The first class in ``cls``'s MRO that defines ``name``."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def forward_chain(module: nn.Module) -> list[Link] | None:
    """The chain ``module`` describes itself by, or None when it does not describe itself.

    Parameters
    ----------
    module
        Any module.

    Returns
    -------
    list or None
        ``module.forward_chain()`` when the class that defines it is the class that
        defines ``forward`` or a subclass of it; the items of an ``nn.Sequential`` whose
        ``forward`` is ``nn.Sequential``'s; otherwise None.
    """
    cls = type(module)
    forward_owner = _owner(cls, "forward")
    chain_owner = _owner(cls, "forward_chain")
    if (
        chain_owner is not None
        and forward_owner is not None
        and issubclass(chain_owner, forward_owner)
        and isinstance(module, DescribesForward)
    ):
        return list(module.forward_chain())
    if isinstance(module, nn.Sequential) and forward_owner is nn.Sequential:
        return list(module)
    return None


def _run(item: Link, x: torch.Tensor) -> torch.Tensor:
    if isinstance(item, Residual):
        return x + run_chain(item.branch, x)
    if isinstance(item, NonLocal):
        return item.forward(x)
    if isinstance(item, TwoStrands):
        fwd = run_chain(item.layers, x)
        rev = run_chain(item.layers, item.reverse(x))
        return torch.maximum(fwd, rev) if item.combine == "max" else (fwd + rev) / 2
    out: torch.Tensor = item(x)
    return out


def run_chain(chain: Sequence[Link], x: torch.Tensor) -> torch.Tensor:
    """Run a chain in full: what the described module's ``forward`` computes.

    Parameters
    ----------
    chain
        Items in forward order.
    x
        The input.

    Returns
    -------
    torch.Tensor
        The output.
    """
    for item in chain:
        x = _run(item, x)
    return x
