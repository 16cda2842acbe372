"""One validator: the same bad argument, the same InputError, across the public API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from torch import nn

from biodl.errors import InputError
from biodl.interpret import deeplift, integrated_gradients, ism, saliency
from biodl.models import predict
from biodl.models.validate import (
    check_array,
    check_choice,
    check_one_hot,
    check_positive_int,
    check_target,
)
from tests.interpret.zoo import build, inputs

pytestmark = pytest.mark.usefixtures("one_torch_thread")

Call = Callable[..., Any]
CALLS: dict[str, Call] = {
    "predict": lambda model, X, **kw: predict(model, X, device="cpu", **kw),
    "ism": lambda model, X, **kw: ism(model, X, device="cpu", **kw),
    "saliency": lambda model, X, **kw: saliency(model, X, device="cpu", **kw),
    "integrated_gradients": lambda model, X, **kw: integrated_gradients(
        model, X, device="cpu", n_steps=2, **kw
    ),
    "deeplift": lambda model, X, **kw: deeplift(model, X, device="cpu", **kw),
}
WITH_TARGET = ["ism", "saliency", "integrated_gradients", "deeplift"]

CASES = [
    (
        "batch_size 0",
        list(CALLS),
        {"batch_size": 0},
        "batch_size must be a positive integer, not 0",
    ),
    ("batch_size bool", list(CALLS), {"batch_size": True}, "batch_size must be a positive integer"),
    ("2-D X", list(CALLS), {"X": np.zeros((4, 60), np.float32)}, "X must have shape (N, C, L)"),
    (
        "target out of range",
        WITH_TARGET,
        {"target": 2},
        "target 2 is out of range: target must be an output index in [0, 2)",
    ),
    ("target -1", WITH_TARGET, {"target": -1}, "target -1 is out of range"),
    ("target text", WITH_TARGET, {"target": "a"}, "target must be an output index, not 'a'"),
]


@pytest.mark.parametrize(("case", "names", "bad", "message"), CASES, ids=[c[0] for c in CASES])
def test_the_same_bad_argument_gives_the_same_input_error(
    case: str, names: list[str], bad: dict[str, Any], message: str
) -> None:
    model = build("basset", n_outputs=2)
    options = dict(bad)
    X = options.pop("X", inputs("basset", 1).numpy())
    messages = {}
    for name in names:
        with pytest.raises(InputError) as info:
            CALLS[name](model, X, **options)
        messages[name] = str(info.value)
    assert len(set(messages.values())) == 1, messages
    assert message in next(iter(messages.values()))
    assert "\n" not in next(iter(messages.values()))


def test_input_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        predict(nn.Flatten(), np.zeros((1, 4, 3), np.float32), batch_size=0)


def test_checks() -> None:
    assert check_positive_int("n", np.int64(3)) == 3
    assert check_target(np.int32(1), 2) == 1
    assert check_choice("mode", "b", ("a", "b")) == "b"
    with pytest.raises(InputError, match=r"^mode must be 'a', 'b' or 'c', not 'd'$"):
        check_choice("mode", "d", ("a", "b", "c"))
    with pytest.raises(InputError, match=r"^X must be a NumPy array or a torch tensor, not list$"):
        check_array([[[1.0]]])
    with pytest.raises(InputError, match=r"X must have shape \(N, F\) or \(N, C, L\), not \(2,\)"):
        check_array(np.zeros(2), ndims=(2, 3))
    x = np.eye(4, dtype=np.float32)[None]
    assert check_one_hot(x).dtype.is_floating_point
    x[0, 1, 2] = 0.5
    with pytest.raises(InputError, match=r"sequence 0, position 2 holds \[0, 0.5, 1, 0\]"):
        check_one_hot(x)
