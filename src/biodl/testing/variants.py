"""Small genomes, VCFs, analytic models and run directories for variant-scoring tests.

Examples
--------
>>> import numpy as np, torch
>>> x = torch.from_numpy(np.eye(4, dtype=np.float32)[[2, 2, 0]].T[None])  # "GGA"
>>> CountBase("G")(x)
tensor([[2.]])
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from biodl.tasks import TaskName

__all__ = [
    "CountBase",
    "PalindromicCount",
    "PositionWeights",
    "write_genome",
    "write_tiny_run",
    "write_vcf",
]

_INDEX = {"A": 0, "C": 1, "G": 2, "T": 3}


class CountBase(nn.Module):
    """Output = number of ``base`` in the one-hot window (``(B, 4, L)`` to ``(B, 1)``)."""

    def __init__(self, base: str = "G") -> None:
        super().__init__()
        self.channel = _INDEX[base]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.channel, :].sum(-1, keepdim=True)


class PalindromicCount(nn.Module):
    """Output = number of G or C: the same on both strands (reverse-complement invariant)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x[:, 1, :] + x[:, 2, :]).sum(-1, keepdim=True)


class PositionWeights(nn.Module):
    """Output ``t`` = ``sum_{c, l} W[t, c, l] * x[c, l] + b[t]``: exact, position-aware.

    Parameters
    ----------
    weight
        Shape ``(T, 4, L)``.
    bias
        Shape ``(T,)``; default zeros.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.float(), requires_grad=False)
        b = torch.zeros(weight.shape[0]) if bias is None else bias.float()
        self.bias = nn.Parameter(b, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bcl,tcl->bt", x, self.weight) + self.bias


def write_genome(
    path: str | os.PathLike[str], chroms: Mapping[str, str], *, bgzip: bool = False
) -> Path:
    """Write a FASTA (60 letters per line), bgzip-compressed if asked; returns the path."""
    p = Path(path)
    text = "".join(
        f">{name}\n" + "".join(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))
        for name, seq in chroms.items()
    )
    if bgzip:
        import pysam

        with pysam.BGZFile(os.fspath(p), "wb", None) as handle:
            handle.write(text.encode("ascii"))
    else:
        p.write_text(text, encoding="ascii")
    return p


def write_vcf(
    path: str | os.PathLike[str],
    records: Sequence[tuple[str, int, str, str, str]],
    *,
    contigs: Mapping[str, int] | None = None,
    bgzip: bool = False,
    info: str = ".",
) -> Path:
    """Write a VCF of ``(chrom, pos, id, ref, alt)`` records (bgzip if asked)."""
    lines = ["##fileformat=VCFv4.2"]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in (contigs or {}).items()]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    lines += [f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t{info}" for c, p, i, r, a in records]
    text = "\n".join(lines) + "\n"
    p = Path(path)
    if bgzip:
        import pysam

        with pysam.BGZFile(os.fspath(p), "wb", None) as handle:
            handle.write(text.encode("ascii"))
    else:
        p.write_text(text, encoding="ascii")
    return p


def write_tiny_run(
    folder: str | os.PathLike[str],
    *,
    length: int = 11,
    task: TaskName = "binary",
    outputs: Sequence[str] = ("1",),
    augment_rc: bool = False,
    seed: int = 0,
) -> Path:
    """A run directory of an untrained, seeded small DeepBind (for end-to-end tests)."""
    from biodl.models import ModelIO, create_model
    from biodl.runs import RUN_FORMAT, RUN_FORMAT_VERSION, save_weights

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    params: dict[str, Any] = {"n_filters": 4, "filter_width": 5, "hidden": 8, "strands": "single"}
    io = ModelIO(n_channels=4, input_length=length, n_outputs=len(outputs), alphabet="dna")
    torch.manual_seed(seed)
    model = create_model("deepbind", params, io=io)
    save_weights(out / "model.safetensors", model)
    if task == "binary":
        labels: dict[str, Any] = {"positive": outputs[0], "negative": "0"}
    elif task == "multiclass":
        labels = {"classes": list(outputs)}
    else:
        labels = {"outputs": list(outputs)}
    meta = {
        "format": RUN_FORMAT,
        "format_version": RUN_FORMAT_VERSION,
        "task": task,
        "architecture": {"name": "deepbind", "params": params},
        "alphabet": "dna",
        "unknown": "zero",
        "encoding": "onehot",
        "n_channels": 4,
        "input_length": length,
        "per_position": False,
        "labels": labels,
        "outputs": list(outputs),
        "augment": {"reverse_complement": augment_rc, "shift": 0},
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out
