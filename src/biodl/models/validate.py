"""Checks of the arguments of biodl's public prediction and interpretation functions.

Every check raises :class:`biodl.errors.InputError` (a ``ValueError``) with a one-line
message, so that the same bad argument gets the same error from
:func:`biodl.models.predict`, :func:`biodl.interpret.ism` and the attribution methods.

Examples
--------
>>> check_positive_int("batch_size", 0)
Traceback (most recent call last):
...
biodl.errors.InputError: batch_size must be a positive integer, not 0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import torch

from biodl.errors import InputError

__all__ = [
    "check_array",
    "check_choice",
    "check_one_hot",
    "check_positive_int",
    "check_target",
]

_SHAPES = {1: "(N,)", 2: "(N, F)", 3: "(N, C, L)"}

T = TypeVar("T")


def check_positive_int(name: str, value: Any) -> int:
    """``value`` as an ``int`` if it is an integer of at least 1 (not a bool).

    Parameters
    ----------
    name
        The argument's name, for the message.
    value
        The value to check; Python or NumPy integers.

    Returns
    -------
    int
        ``value``.

    Raises
    ------
    InputError
        ``"<name> must be a positive integer, not <value>"``.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a positive integer, not {value!r}")
    return int(value)


def check_choice(name: str, value: T, choices: Sequence[T]) -> T:
    """``value`` if it is one of ``choices``.

    Raises
    ------
    InputError
        ``"<name> must be 'a', 'b' or 'c', not <value>"``.
    """
    if value not in choices:
        names = [repr(c) for c in choices]
        options = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise InputError(f"{name} must be {options}, not {value!r}")
    return value


def check_array(
    X: Any, *, ndims: Sequence[int] = (3,), name: str = "X"
) -> np.ndarray | torch.Tensor:
    """``X`` if it is a NumPy array or a torch tensor with one of ``ndims`` axes.

    Parameters
    ----------
    X
        The array.
    ndims
        Allowed numbers of axes: 3 for ``(N, C, L)``, 2 for ``(N, F)``.
    name
        The argument's name, for the message.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``X`` itself.

    Raises
    ------
    InputError
        ``"X must be a NumPy array or a torch tensor, not list"``, or
        ``"X must have shape (N, C, L), not (4, 5)"``.
    """
    if not isinstance(X, np.ndarray | torch.Tensor):
        raise InputError(f"{name} must be a NumPy array or a torch tensor, not {type(X).__name__}")
    if X.ndim not in ndims:
        shapes = " or ".join(_SHAPES.get(d, f"{d} axes") for d in ndims)
        raise InputError(f"{name} must have shape {shapes}, not {tuple(X.shape)}")
    return X


def check_one_hot(X: Any, *, name: str = "X") -> torch.Tensor:
    """``X`` as a float32 CPU tensor after checking it is one-hot ``(N, C, L)``.

    A column may also be all zero or uniform (``1/C``): an unknown letter.

    Parameters
    ----------
    X
        NumPy array or torch tensor ``(N, C, L)``, ``C >= 2``, ``L >= 1``.
    name
        The argument's name, for the message.

    Returns
    -------
    torch.Tensor
        float32 on the CPU (a copy if ``X`` was not already that).

    Raises
    ------
    InputError
        If ``X`` is not such an array; the message names the first bad column.
    """
    x = torch.as_tensor(check_array(X, name=name)).detach().to("cpu", torch.float32)
    _, c, length = x.shape
    if c < 2 or length < 1:
        raise InputError(
            f"{name} must have at least 2 channels and 1 position, not shape {tuple(x.shape)}"
        )
    zero = (x == 0).all(1)
    one_hot = ((x == 0) | (x == 1)).all(1) & (x.sum(1) == 1)
    uniform = ((x - 1.0 / c).abs() <= 1e-6).all(1)
    bad = ~(one_hot | zero | uniform)
    if bool(bad.any()):
        i, j = (int(v) for v in bad.nonzero()[0])
        column = ", ".join(f"{v:g}" for v in x[i, :, j].tolist())
        raise InputError(
            f"{name} is not one-hot: sequence {i}, position {j} holds [{column}]; every "
            "column must be one-hot, all zero or uniform (1/C) for an unknown letter"
        )
    return x


def check_target(target: Any, n_outputs: int) -> int:
    """``target`` as an ``int`` if it indexes one of ``n_outputs`` outputs.

    Parameters
    ----------
    target
        Python or NumPy integer (not a bool).
    n_outputs
        The model's number of outputs ``T``.

    Returns
    -------
    int
        ``target``.

    Raises
    ------
    InputError
        ``"target must be an output index, not 'a'"`` or ``"target 3 is out of range:
        target must be an output index in [0, 2)"``.
    """
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise InputError(f"target must be an output index, not {target!r}")
    if not 0 <= int(target) < n_outputs:
        raise InputError(
            f"target {target} is out of range: target must be an output index in [0, {n_outputs})"
        )
    return int(target)
