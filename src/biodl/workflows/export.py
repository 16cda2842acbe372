"""``biodl export``: a trained run as one ONNX or TorchScript file, checked against PyTorch.

:func:`export_run` loads a run directory (JSON + safetensors, never a pickle), exports
its model (an ensemble as one graph) and then runs PyTorch and the exported file on a
sample of inputs: the exported file is kept only when the raw outputs *and* the scores
agree to ``tolerance`` (1e-5 by default). Beside ``FILE`` it writes the model card,
``FILE.json`` (machine-readable) and ``FILE.md``.

The contract of the exported model
----------------------------------
* one input called ``input``: float32 ``(N, C, L)``, with a free batch axis ``N`` and
  ``C``/``L`` the run's channels and input length, encoded as the run encodes sequences
  (``model.json`` ``encoding``: one-hot ``(N, 4 or 20, L)`` in the letter order of the
  card's ``input.letters``, unknown letters all zero or uniform; see the card);
  sequences cropped or padded to ``L`` as the run does (``input.crop``); for a molecule
  run, SMILES featurised as in training (``input.featurizer``): packed molecular graphs
  padded to ``L`` atoms (the largest molecule of the training data; the graph models run
  on the whole padded arrays when exported, which fixes ``L``), or fingerprints or
  descriptors ``(N, D, 1)``;
* one output called ``output``: the model's **raw outputs** ``(N, T)`` (``(N, T, L')``
  for per-position models), *not* probabilities: logits for binary, multi-label and
  multi-class runs, a log rate for Poisson regression, values for regression. The card's
  ``output.scores`` says how to get the scores ``biodl predict`` reports (sigmoid,
  softmax over the outputs, ``exp``, or the values; a saved calibration temperature
  divides the logits first) and ``output.threshold`` the run's decision threshold(s).

Auxiliary heads (DeepLoc's membrane head) are not part of the exported graph.

ONNX is exported with ``torch.onnx.export`` (the ``torch.export``-based exporter; the
TorchScript-based one for models ``torch.export`` cannot capture, such as the masked,
packed LSTMs of ``deeploc`` and ``residue_tagger``); TorchScript with
``torch.jit.trace``. Both need the ``export`` extra for ONNX:
``pip install 'biodl[export]'``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io as _io
import json
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import torch
from torch import nn

from biodl.data import MoleculeKind
from biodl.errors import BiodlError, InputError
from biodl.io import ALPHABETS, read_sequences
from biodl.io.atomic import atomic_path, check_output_path
from biodl.models import auxiliary_outputs
from biodl.runs import TEMPERATURE_FILE, Run, file_checksum, load_run
from biodl.tasks import Task, task_from_meta
from biodl.workflows.results import _Written

__all__ = [
    "CHECK_MOLECULES",
    "EXPORT_FORMATS",
    "ExportCheckError",
    "ExportError",
    "ExportFormat",
    "ExportResult",
    "export_model",
    "export_run",
    "load_exported",
    "max_difference",
    "random_inputs",
]

ExportFormat = Literal["onnx", "torchscript"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)

#: the names of the exported model's input and output
INPUT_NAME = "input"
OUTPUT_NAME = "output"

_NEEDS_EXTRA = "biodl export --format onnx needs the export extra: pip install 'biodl[export]'"
_CARD_FORMAT = "biodl-export"
_BATCH = 256  # inputs per forward pass of the check
#: scores, from the raw outputs, by how a task's ensembles combine them
_SCORES = {
    "probability": "sigmoid(output) (binary: the positive class's probability)",
    "softmax": "softmax(output, axis=1): the class probabilities",
    "rate": "exp(output): the Poisson rate",
    "mean": "output: the values themselves",
}


class ExportError(BiodlError):
    """The exporter could not turn the model into the format (exit status 1)."""


class ExportCheckError(ExportError):
    """The exported model does not reproduce PyTorch's outputs (exit status 1)."""

    def __init__(self, message: str, *, max_diff: float) -> None:
        self.max_diff = max_diff
        super().__init__(message)


@dataclass(frozen=True)
class ExportResult(_Written):
    """What :func:`export_run` wrote and measured.

    Attributes
    ----------
    out
        The exported model file.
    card, card_markdown
        The model card beside it: ``FILE.json`` and ``FILE.md``.
    format
        ``onnx`` or ``torchscript``.
    exporter
        What produced the file (``torch.onnx.export (dynamo)``, ``... (torchscript)``,
        ``torch.jit.trace``).
    max_diff, max_score_diff
        Largest absolute difference between PyTorch and the exported model on the
        check's inputs: raw outputs, and scores.
    n_checked
        Inputs compared.
    sha256
        Checksum of ``out``.
    """

    card: Path
    card_markdown: Path
    format: str
    exporter: str
    max_diff: float
    max_score_diff: float
    n_checked: int
    sha256: str


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


CHECK_MOLECULES: tuple[str, ...] = (
    "C",
    "CC",
    "O",
    "CCO",
    "C#N",
    "CC(=O)O",
    "C=CC=O",
    "ClC(Cl)Cl",
    "CC(C)(C)N",
    "CS(=O)(=O)N",
    "C1CCOC1",
    "c1ccccc1",
    "Oc1ccccc1",
    "c1ccncc1",
    "C[C@H](N)C(=O)O",
    "CCN(CC)CC",
    "N#Cc1ccc(Br)cc1",
    "c1ccc2ccccc2c1",
    "FC(F)(F)c1ccccc1",
    "OC(=O)c1ccccc1O",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
)
"""Small molecules (1 to 15 heavy atoms: chains, branches, rings, fused rings, triple
bonds, halogens, stereo centres, aromatic nitrogens) the export check of a molecule run
encodes when it has no ``--sample``."""


def _check_smiles(n: int, *, max_atoms: int | None, rng: np.random.Generator) -> list[str]:
    """``n`` of :data:`CHECK_MOLECULES` (those of at most ``max_atoms`` heavy atoms),
    each before any repeats, in a random order."""
    pool = list(CHECK_MOLECULES)
    if max_atoms is not None:
        from biodl.encode.molecules import n_atoms

        pool = [s for s, k in zip(pool, n_atoms(pool), strict=True) if k <= max_atoms]
    order = np.concatenate([rng.permutation(len(pool)) for _ in range(-(-n // len(pool)))])
    return [pool[i] for i in order[:n]]


def random_inputs(
    *,
    alphabet: str,
    n_channels: int,
    input_length: int,
    n: int = 32,
    seed: int = 0,
    encode: Callable[[list[str]], np.ndarray] | None = None,
    dna_channels: int = 0,
) -> np.ndarray:
    """``n`` random inputs ``(n, n_channels, input_length)`` float32, with a fixed seed.

    With ``encode`` (a run's :meth:`SequenceKind.encode`): random sequences over the
    alphabet's letters, encoded by it; every fourth one (from the second) has unknown
    letters (``N``/``X``: padding, for proteins) at one or both ends, so that models
    that mask padding are checked on it. Without: real-valued features (embeddings,
    CpG neighbourhoods) uniform in [0, 1), ``dna_channels`` leading channels one-hot.

    Molecules (``alphabet`` ``"molecule"``: packed graphs; ``"fingerprint"``:
    fingerprints or descriptors): with ``encode`` (a run's
    :meth:`~biodl.data.MoleculeKind.encode`, for packed graphs padded to
    ``input_length`` atoms), molecules of :data:`CHECK_MOLECULES` (for packed graphs,
    those of at most ``input_length`` atoms), encoded by it; without, for
    ``"fingerprint"`` only, random 0/1 fingerprints (each bit set with probability 1/4).

    Raises
    ------
    ValueError
        Packed graphs without ``encode`` (random values are no graph).

    Examples
    --------
    >>> random_inputs(alphabet="dna", n_channels=6, input_length=5, n=3).shape
    (3, 6, 5)
    >>> fp = random_inputs(alphabet="fingerprint", n_channels=64, input_length=1, n=2)
    >>> fp.shape, sorted(set(fp.ravel().tolist()))
    ((2, 64, 1), [0.0, 1.0])
    """
    rng = np.random.default_rng(seed)
    if alphabet in ("molecule", "fingerprint"):
        if encode is not None:
            max_atoms = input_length if alphabet == "molecule" else None
            smiles = _check_smiles(n, max_atoms=max_atoms, rng=rng)
            return np.asarray(encode(smiles), dtype=np.float32)
        if alphabet == "molecule":
            raise ValueError("random packed molecular graphs need encode (a MoleculeKind's)")
        bits = rng.random((n, n_channels, input_length)) < 0.25
        return bits.astype(np.float32)
    if encode is None:
        x = rng.random((n, n_channels, input_length), dtype=np.float32)
        if dna_channels:
            bases = rng.integers(0, dna_channels, size=(n, input_length))
            x[:, :dna_channels] = np.eye(dna_channels, dtype=np.float32)[bases].transpose(0, 2, 1)
        return x
    letters = ALPHABETS[alphabet]
    unknown = "X" if alphabet == "protein" else "N"
    codes = rng.integers(0, len(letters), size=(n, input_length))
    seqs = ["".join(letters[c] for c in row) for row in codes]
    for i in range(1, n, 4):
        left = int(rng.integers(0, input_length // 4 + 1))
        right = int(rng.integers(1, input_length // 4 + 2))
        if (i // 4) % 2:
            left = 0
        keep = max(1, input_length - left - right)
        seqs[i] = unknown * left + seqs[i][left : left + keep] + unknown * right
        seqs[i] = seqs[i][:input_length].ljust(input_length, unknown)
    return np.asarray(encode(seqs), dtype=np.float32)


def _molecule_kind(run: Run) -> MoleculeKind:
    """The run's molecule kind, encoding dense arrays; packed graphs padded to the run's
    input length (the exported graph's fixed number of atom positions)."""
    kind = run.input_kind
    assert isinstance(kind, MoleculeKind)  # run.is_molecule
    length = run.input_length if kind.featurizer == "graph" else None
    return dataclasses.replace(kind, length=length, ragged=False)


def _run_inputs(run: Run, *, n: int, seed: int) -> np.ndarray:
    """Random inputs of the run's shape, encoded as the run encodes sequences."""
    info = run.info
    assert info is not None
    encoding = run.meta.get("encoding", "onehot")
    from biodl.encode.unirep import UNIREP_ENCODINGS

    if run.is_molecule:
        # packed graphs (and descriptors, and bit counts) of real molecules; 0/1 Morgan
        # bits at random
        molecules = _molecule_kind(run)
        random_bits = molecules.featurizer == "morgan" and not molecules.counts
        return random_inputs(
            alphabet=info.alphabet,
            n_channels=info.n_channels,
            input_length=info.input_length,
            n=n,
            seed=seed,
            encode=None if random_bits else lambda smiles: np.asarray(molecules.encode(smiles)),
        )
    if encoding == "cpg" or encoding in UNIREP_ENCODINGS or run.is_pileup:
        # CpG neighbourhoods, read pileups and UniRep embeddings are real-valued features
        # (the UniRep network itself is not part of the model): random features of the
        # run's shape
        layout = dict(info.layout)
        return random_inputs(
            alphabet=info.alphabet,
            n_channels=info.n_channels,
            input_length=info.input_length,
            n=n,
            seed=seed,
            dna_channels=4 if layout.get("dna_length", 0) else 0,
        )
    kind = run.input_kind
    return random_inputs(
        alphabet=info.alphabet,
        n_channels=info.n_channels,
        input_length=info.input_length,
        n=n,
        seed=seed,
        encode=lambda seqs: np.asarray(kind.encode(seqs)),
    )


def _sample_inputs(run: Run, path: Path) -> np.ndarray:
    """The sequences of ``path`` (FASTA/FASTQ), fitted and encoded as ``predict`` does;
    for a molecule run, the molecules of a CSV/TSV or SDF file, featurised as in
    training (packed graphs padded to the run's input length)."""
    if run.is_pileup:
        raise InputError(
            "--sample: this model genotypes read pileups, made from a BAM by biodl "
            "call-variants; leave --sample out to check it on random pileups",
            path=path,
        )
    if run.meta.get("encoding") == "cpg":
        raise InputError(
            "--sample: this model scores CpG sites from methylation profiles, not sequences; "
            "leave --sample out to check it on random inputs",
            path=path,
        )
    if run.is_molecule:
        kind = dataclasses.replace(_molecule_kind(run), target_columns=(), id_column=None)
        examples = kind.validate(kind.read(path))
        if not examples.sequences:
            raise InputError("--sample: no molecules", path=path)
        return np.asarray(kind.encode(examples), dtype=np.float32)
    fitted = [
        run.fit_input(rec.sequence, record=rec.id, path=path, line=rec.line, pad_short=True)
        for rec in read_sequences(path, alphabet=run.alphabet)
    ]
    if not fitted:
        raise InputError("--sample: no sequences", path=path)
    return np.asarray(run.input_kind.encode(fitted), dtype=np.float32)


# ---------------------------------------------------------------------------
# Export and load back
# ---------------------------------------------------------------------------


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # type: ignore[import-untyped]  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise InputError(_NEEDS_EXTRA) from None


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\n")[0].split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Exporters print progress and warn (deprecations, tracer warnings): the check
    that follows is what tells whether the file is right."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "torchvision is not installed. Skipping ..."
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(_io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def export_model(
    model: nn.Module, path: str | os.PathLike[str], *, format: ExportFormat, example: np.ndarray
) -> str:
    """Export ``model`` (in eval mode, on the CPU) to ``path``; returns the exporter used.

    ``example`` is a float32 ``(N, C, L)`` batch (``N >= 2``) to trace the model on; the
    batch axis stays free. ONNX: ``torch.onnx.export`` with ``dynamo=True`` (the
    ``torch.export`` path), falling back to the TorchScript-based exporter (opset 17)
    for models ``torch.export`` cannot capture; weights are stored inside the file.
    TorchScript: ``torch.jit.trace``, saved with ``torch.jit.save``.

    Raises
    ------
    ExportError
        If the exporter fails (the first line of its error).
    """
    x = torch.as_tensor(np.ascontiguousarray(example), dtype=torch.float32)
    if x.ndim != 3 or x.shape[0] < 2:
        raise ValueError("the example must be a float (N, C, L) batch with N >= 2")
    model = model.eval()
    target = os.fspath(path)
    if format == "torchscript":
        try:
            with _quiet(), torch.no_grad():
                traced = torch.jit.trace(model, x, check_trace=False)
                torch.jit.save(traced, target)
        except Exception as exc:
            raise ExportError(f"torch.jit.trace failed: {_first_line(exc)}") from exc
        return "torch.jit.trace"
    if format != "onnx":
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    try:
        with _quiet():
            program = torch.onnx.export(
                model,
                (x,),
                dynamo=True,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_shapes=({0: torch.export.Dim("batch")},),
                verbose=False,
            )
            assert program is not None
            program.save(target, external_data=False)
        return f"torch.onnx.export (dynamo, torch {torch.__version__})"
    except Exception as dynamo_exc:  # torch.export cannot capture it: the older exporter
        first = _first_line(dynamo_exc)
    try:
        with _quiet(), torch.no_grad():
            torch.onnx.export(
                model,
                (x,),
                target,
                dynamo=False,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
                opset_version=17,
            )
    except Exception as exc:
        raise ExportError(
            f"torch.onnx.export failed: dynamo: {first}; torchscript-based: {_first_line(exc)}"
        ) from exc
    return f"torch.onnx.export (torchscript-based, opset 17, torch {torch.__version__})"


def load_exported(
    path: str | os.PathLike[str], *, format: ExportFormat
) -> Callable[[np.ndarray], np.ndarray]:
    """A function running the exported file on a float32 ``(N, C, L)`` array.

    ONNX through onnxruntime (CPU, as many threads as torch uses); TorchScript through
    ``torch.jit.load``.
    """
    if format == "onnx":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(os.fspath(path), options, providers=["CPUExecutionProvider"])

        def run_onnx(x: np.ndarray) -> np.ndarray:
            out = session.run([OUTPUT_NAME], {INPUT_NAME: np.ascontiguousarray(x, np.float32)})
            return np.asarray(out[0])

        return run_onnx
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated
        loaded = torch.jit.load(os.fspath(path), map_location="cpu")
    loaded.eval()

    def run_script(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = loaded(torch.from_numpy(np.ascontiguousarray(x, np.float32)))
        return out.numpy()

    return run_script


def _batched(run: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    return np.concatenate([run(x[i : i + _BATCH]) for i in range(0, len(x), _BATCH)])


def _torch_forward(model: nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(np.ascontiguousarray(x, np.float32))).numpy()

    return run


def max_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest ``|a - b|``; NaN in both counts as equal, elsewhere as infinite, and
    different shapes as infinite.

    Examples
    --------
    >>> max_difference(np.array([1.0, np.nan]), np.array([1.5, np.nan]))
    0.5
    >>> max_difference(np.array([1.0]), np.array([np.nan]))
    inf
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    diff = np.abs(a - b)
    diff[np.isnan(a) & np.isnan(b)] = 0.0
    diff[np.isnan(diff)] = np.inf
    return float(diff.max())


# ---------------------------------------------------------------------------
# The job
# ---------------------------------------------------------------------------


def _card_paths(out: Path) -> tuple[Path, Path]:
    return out.with_name(out.name + ".json"), out.with_name(out.name + ".md")


def _versions(format: ExportFormat) -> dict[str, str]:
    packages = ["biodl", "torch", "numpy"]
    if format == "onnx":
        packages += ["onnx", "onnxruntime", "onnxscript"]
    out = {}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_run(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    format: ExportFormat,
    sample: str | os.PathLike[str] | None = None,
    tolerance: float = 1e-5,
    force: bool = False,
    n_random: int = 32,
    seed: int = 0,
) -> ExportResult:
    """Export a run's model to ``out`` as ONNX or TorchScript, checked against PyTorch.

    Parameters
    ----------
    run_dir
        A run directory (``model.json`` + ``model.safetensors``; an ensemble exports as
        one graph).
    out
        The file to write; ``FILE.json`` and ``FILE.md`` (the model card) go beside it.
    format
        ``onnx`` (needs ``biodl[export]``) or ``torchscript``.
    sample
        FASTA/FASTQ of sequences to check on, fitted (cropped, or padded with ``N``/``X``)
        and encoded as ``biodl predict`` does; default ``n_random`` random sequences of
        the run's length (``seed``), some with unknown letters at the ends. For a
        molecule run: a CSV/TSV or SDF file of molecules (read as ``biodl predict``
        reads them; a molecule of more atoms than the run's input length is an error);
        default ``n_random`` molecules of :data:`CHECK_MOLECULES` (random 0/1 bits for
        Morgan fingerprint runs).
    tolerance
        Largest allowed absolute difference between PyTorch and the exported model, on
        the raw outputs and on the scores, over the sample and a batch of one.
    force
        Replace ``out`` and its card if they exist.

    Returns
    -------
    ExportResult

    Raises
    ------
    InputError
        (exit 2) The run cannot be loaded; ``out`` or its card exists without ``force``,
        is an input or cannot be written; the sample is unreadable; the ``export``
        extra is missing for ONNX.
    ExportError
        (exit 1) The exporter failed; :class:`ExportCheckError` when the exported model
        differs from PyTorch by more than ``tolerance``. Nothing is left at ``out``.
    """
    if format not in EXPORT_FORMATS:
        raise InputError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    if not tolerance >= 0:
        raise InputError(f"the tolerance must be a number >= 0, not {tolerance}")
    run_path = Path(run_dir)
    sample_path = None if sample is None else Path(sample)
    inputs = [
        run_path,
        run_path / "model.json",
        run_path / "model.safetensors",
        run_path / TEMPERATURE_FILE,
        sample_path,
    ]
    out_path = Path(out)
    card_json, card_md = _card_paths(out_path)
    for path in (out_path, card_json, card_md):
        check_output_path(path, inputs=inputs, what="--out")
        if not force and (path.exists() or path.is_symlink()):
            raise InputError("exists already; use --force to replace it", path=path)
    if format == "onnx":
        _require_onnx()
    if not run_path.is_dir():
        raise InputError("not a run directory (no such folder)", path=run_path)
    run = load_run(run_path)
    info = run.info
    assert info is not None
    model = run.model.eval()

    example = _run_inputs(run, n=max(n_random, 2), seed=seed)
    checked = example if sample_path is None else _sample_inputs(run, sample_path)
    task = task_from_meta(run.meta)
    temperature = run.temperature if task.probabilistic else 1.0

    with atomic_path(out_path) as tmp:
        exporter = export_model(model, tmp, format=format, example=example[:2])
        exported = load_exported(tmp, format=format)
        reference = _torch_forward(model)
        diffs: list[float] = []
        score_diffs: list[float] = []
        for x in (checked, checked[:1]):  # the sample, and a batch of one (free batch axis)
            want = _batched(reference, x)
            try:
                got = _batched(exported, x)
            except Exception as exc:
                raise ExportError(
                    f"the exported model fails on the check's inputs: {_first_line(exc)}"
                ) from exc
            diffs.append(max_difference(want, got))
            score_diffs.append(
                max_difference(task.scores(want / temperature), task.scores(got / temperature))
            )
        max_diff, max_score_diff = max(diffs), max(score_diffs)
        if not (max_diff <= tolerance and max_score_diff <= tolerance):
            raise ExportCheckError(
                f"the exported {format} model differs from PyTorch by {max_diff:.3g} "
                f"(raw outputs) and {max_score_diff:.3g} (scores) on {len(checked)} inputs, "
                f"more than the tolerance {tolerance:g}; nothing was written to {out_path}",
                max_diff=max(max_diff, max_score_diff),
            )
        sha256 = _sha256(tmp)
        card = _card(
            run,
            task,
            out=out_path,
            format=format,
            exporter=exporter,
            sha256=sha256,
            size=tmp.stat().st_size,
            check={
                "inputs": (
                    {"sample": os.fspath(sample_path.resolve())}
                    if sample_path is not None
                    else {"random": n_random, "seed": seed}
                ),
                "n_inputs": len(checked),
                "batch_sizes": [len(checked), 1],
                "max_abs_diff_output": max_diff,
                "max_abs_diff_scores": max_score_diff,
                "tolerance": tolerance,
                "compared_with": "the run's PyTorch model, eval mode, float32, CPU",
            },
            temperature=temperature,
        )
        with atomic_path(card_json) as tmp_json, atomic_path(card_md) as tmp_md:
            tmp_json.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
            tmp_md.write_text(render_card_markdown(card), encoding="utf-8")
    return ExportResult(
        out=out_path,
        card=card_json,
        card_markdown=card_md,
        format=format,
        exporter=exporter,
        max_diff=max_diff,
        max_score_diff=max_score_diff,
        n_checked=len(checked),
        sha256=sha256,
    )


def _card(
    run: Run,
    task: Task,
    *,
    out: Path,
    format: ExportFormat,
    exporter: str,
    sha256: str,
    size: int,
    check: dict[str, Any],
    temperature: float,
) -> dict[str, Any]:
    """The exported model's card (``FILE.json``): the run's provenance and model card,
    the input/output contract, the check and the file's checksum."""
    info = run.info
    assert info is not None
    meta = run.meta
    ensemble = info.ensemble or {}
    n_outputs = len(info.outputs)
    out_shape: list[int | str] = ["N", n_outputs]
    if info.per_position:
        out_shape.append("L_out")
    scores = _SCORES[task.ensemble_combine]
    if temperature != 1.0:
        scores = f"divide output by the calibration temperature {temperature:g} first; " + scores
    letters = ALPHABETS.get(info.alphabet) if info.encoding == "onehot" else None
    weights = file_checksum(run.path / "model.safetensors")
    return {
        "format": _CARD_FORMAT,
        "format_version": 1,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "file": {
            "name": out.name,
            "format": format,
            "exporter": exporter,
            "bytes": size,
            "sha256": sha256,
        },
        "source_run": {
            "path": os.fspath(run.path.resolve()),
            "model_json_sha256": file_checksum(run.path / "model.json")["sha256"],
            "weights_sha256": weights["sha256"],
            "created": meta.get("created"),
            "seed": meta.get("seed"),
        },
        "architecture": {
            "name": info.architecture.name,
            "params": info.architecture.params,
            "n_parameters": meta.get("n_parameters"),
            "ensemble": (
                {
                    "members": ensemble.get("members"),
                    "combine": ensemble.get("combine"),
                    "architectures": ensemble.get("architectures"),
                }
                if int(ensemble.get("members", 1)) > 1
                else None
            ),
        },
        "task": info.task,
        "input": {
            "name": INPUT_NAME,
            "shape": ["N", info.n_channels, info.input_length],
            "dtype": "float32",
            "alphabet": info.alphabet,
            "encoding": info.encoding,
            "letters": letters,
            "unknown": info.unknown,
            "length": info.input_length,
            "crop": info.crop,
            "layout": dict(info.layout) or None,
            "note": (
                "Sequences are cropped (input.crop) or padded with N/X to input.length and "
                "encoded as the run encodes them (biodl.data.SequenceKind(alphabet, "
                "encoding, unknown).encode); channels first."
            ),
            **_molecule_input(run),
        },
        "output": {
            "name": OUTPUT_NAME,
            "shape": out_shape,
            "dtype": "float32",
            "names": list(info.outputs),
            "labels": info.labels.model_dump(exclude_none=True),
            "raw": (
                "raw outputs, not probabilities: logits (binary, multi-label, multi-class), "
                "a log rate (Poisson regression) or values (regression)"
            ),
            "scores": scores,
            "threshold": meta.get("threshold", 0.5 if task.thresholds is not None else None),
            "threshold_rule": meta.get("threshold_rule"),
            "temperature": temperature,
            "auxiliary_heads_not_exported": [h.name for h in auxiliary_outputs(run.model)],
        },
        "metrics": (info.model_card or {}).get("metrics"),
        "model_card": info.model_card,
        "check": check,
        "versions": {"run": meta.get("versions"), "export": _versions(format)},
    }


#: the Markdown card's words for a molecule run's input (formatted with the card's input)
_FEATURIZED = {
    "graph": "packed molecular graphs of {length} atom positions",
    "morgan": "Morgan fingerprints ({molecule[n_bits]} values)",
    "descriptors": "RDKit descriptors ({shape[1]} values)",
}


def _molecule_input(run: Run) -> dict[str, Any]:
    """The card's input fields of a molecule run (none for other runs): the featurizer
    and a note in place of the sequences' one."""
    if not run.is_molecule:
        return {}
    kind = _molecule_kind(run)
    fields: dict[str, Any] = {
        "encoding": kind.featurizer,
        "featurizer": kind.featurizer,
        "letters": None,
        "unknown": None,
        "crop": None,
    }
    if kind.featurizer == "graph":
        fields["molecule"] = {"max_neighbours": kind.max_neighbours}
        note = (
            "SMILES encoded as packed molecular graphs padded to input.length atoms "
            f"(biodl.data.MoleculeKind(max_neighbours={kind.max_neighbours}, "
            "length=input.length).encode): channel 0 the atom mask, then atom features, "
            "neighbour indices (-1: none), reverse slots (-1: none) and bond features "
            "(see biodl.encode.molecules); larger molecules do not fit the exported graph."
        )
    elif kind.featurizer == "morgan":
        fields["molecule"] = {"radius": kind.radius, "n_bits": kind.n_bits, "counts": kind.counts}
        note = (
            f"SMILES encoded as Morgan fingerprints (radius {kind.radius}, {kind.n_bits} "
            f"{'counts' if kind.counts else 'bits'}) of shape (N, n_bits, 1) "
            f"(biodl.data.MoleculeKind(featurizer='morgan', radius={kind.radius}, "
            f"n_bits={kind.n_bits}, counts={kind.counts}).encode)."
        )
    else:
        fields["molecule"] = {}
        note = (
            "SMILES encoded as RDKit descriptors, asinh-compressed, of shape (N, D, 1) "
            "(biodl.data.MoleculeKind(featurizer='descriptors').encode)."
        )
    return {**fields, "note": note}


def render_card_markdown(card: dict[str, Any]) -> str:
    """``FILE.md``: the card of :func:`_card` as a short Markdown page."""
    f, i, o, a = card["file"], card["input"], card["output"], card["architecture"]
    check = card["check"]
    lines = [
        f"# Model card: {f['name']}",
        "",
        f"Exported from the biodl run `{card['source_run']['path']}` by {f['exporter']}.",
        "",
        "## File",
        "",
        f"- format: {f['format']}, {f['bytes']} bytes",
        f"- SHA-256: `{f['sha256']}`",
        "",
        "## Model",
        "",
        f"- architecture: {a['name']} ({a['n_parameters']} parameters)",
        f"- options: `{json.dumps(a['params'], sort_keys=True)}`",
    ]
    if a["ensemble"]:
        ens = a["ensemble"]
        lines.append(
            f"- ensemble of {ens['members']} members, combined on the {ens['combine']} scale, "
            "in one graph"
        )
    lines += [
        f"- task: {card['task']}",
        "",
        "## Input",
        "",
        f"- `{i['name']}`: {i['dtype']} of shape (N, {i['shape'][1]}, {i['shape'][2]}); N is free",
        (
            f"- molecules as {_FEATURIZED[i['featurizer']]}".format(**i)
            if i.get("featurizer")
            else f"- {i['alphabet']} sequences of {i['length']} positions, encoding "
            f"{i['encoding']}"
            + (f" (channels {', '.join(i['letters'])})" if i["letters"] else "")
            + f", unknown letters {i['unknown']}, longer sequences cropped at the {i['crop']}"
        ),
        f"- {i['note']}",
        "",
        "## Output",
        "",
        f"- `{o['name']}`: {o['dtype']} of shape ({', '.join(str(s) for s in o['shape'])})",
        f"- outputs: {', '.join(o['names'])}",
        f"- {o['raw']}",
        f"- scores as `biodl predict` reports them: {o['scores']}",
    ]
    if o["threshold"] is not None:
        lines.append(f"- decision threshold on the score: {o['threshold']}")
    if o["auxiliary_heads_not_exported"]:
        heads = ", ".join(o["auxiliary_heads_not_exported"])
        lines.append(f"- auxiliary heads not in the exported graph: {heads}")
    lines += [
        "",
        "## Check against PyTorch",
        "",
        f"- {check['n_inputs']} inputs ({json.dumps(check['inputs'])}) and a batch of one",
        (
            f"- largest |difference|: {check['max_abs_diff_output']:.3g} (raw outputs), "
            f"{check['max_abs_diff_scores']:.3g} (scores); tolerance {check['tolerance']:g}"
        ),
        "",
        "## Metrics of the run",
        "",
    ]
    metrics = card.get("metrics") or {}
    if metrics:
        for split, values in metrics.items():
            shown = ", ".join(f"{k} {_short(v)}" for k, v in values.items())
            lines.append(f"- {split}: {shown}")
    else:
        lines.append("- not recorded in the run")
    model_card = card.get("model_card") or {}
    for key in ("model_details", "intended_use"):
        if model_card.get(key):
            lines += ["", f"## {key.replace('_', ' ').capitalize()}", "", str(model_card[key])]
    caveats: Sequence[str] = model_card.get("caveats") or []
    if caveats:
        lines += ["", "## Caveats", ""] + [f"- {c}" for c in caveats]
    versions = card["versions"]["export"]
    lines += ["", "## Versions", "", "- " + ", ".join(f"{k} {v}" for k, v in versions.items())]
    return "\n".join(lines) + "\n"


def _short(value: Any) -> str:
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
