"""Start training from a finished run: transfer the trunk, optionally the head."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from torch import nn

from biodl.errors import InputError
from biodl.runs import load_run

__all__ = ["initialise_from_run"]


def initialise_from_run(
    model: nn.Module,
    run_dir: str | os.PathLike[str],
    *,
    architecture: str,
    params: dict[str, Any],
    replace_head: bool = True,
    freeze_trunk: bool = False,
) -> dict[str, Any]:
    """Copy weights of a trained run into ``model`` (same architecture) for fine-tuning.

    Parameters
    ----------
    model
        A freshly built zoo model (``trunk`` + ``head``).
    run_dir
        A run directory written by ``biodl train``.
    architecture, params
        The new model's architecture name and full hyper-parameters; they must equal the
        run's, except options that only shape the head when ``replace_head``.
    replace_head
        Keep the new, freshly initialised head (new tasks or outputs) and copy only the
        trunk; with ``False`` the head is copied too (same outputs required).
    freeze_trunk
        Stop gradients to the trunk, so only the head learns.

    Returns
    -------
    dict
        Provenance for ``model.json``: source run, its data checksums, what was copied.

    Raises
    ------
    InputError
        If the run's architecture or tensor shapes differ from ``model``'s.
    """
    source = load_run(run_dir)
    arch = source.meta["architecture"]
    path = Path(run_dir)
    if arch["name"] != architecture:
        raise InputError(
            f"init_from: the run has architecture '{arch['name']}', the configuration "
            f"'{architecture}'",
            path=path,
        )
    prefixes = ("trunk.",) if replace_head else ("trunk.", "head.")
    source_state = source.model.state_dict()
    target_state = model.state_dict()
    copied = 0
    for key, value in source_state.items():
        if not key.startswith(prefixes):
            continue
        if key not in target_state or target_state[key].shape != value.shape:
            got = tuple(target_state[key].shape) if key in target_state else "missing"
            raise InputError(
                f"init_from: weight '{key}' has shape {tuple(value.shape)} in the run and "
                f"{got} in the new model; use the run's model options",
                path=path,
            )
        target_state[key] = value
        copied += 1
    model.load_state_dict(target_state)
    trunk = getattr(model, "trunk", None)
    if freeze_trunk:
        if not isinstance(trunk, nn.Module):
            raise InputError("init_from: freeze_trunk needs a model with a trunk", path=path)
        for parameter in trunk.parameters():
            parameter.requires_grad_(False)
    differing = sorted(
        k for k in set(arch["params"]) | set(params) if arch["params"].get(k) != params.get(k)
    )
    return {
        "run": os.fspath(path.resolve()),
        "architecture": arch["name"],
        "params_differing": differing,
        "tensors_copied": copied,
        "replace_head": replace_head,
        "freeze_trunk": freeze_trunk,
        "source_data": source.meta.get("data", {}).get("files", []),
    }
