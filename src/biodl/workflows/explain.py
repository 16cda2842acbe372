"""``biodl explain``: attribution maps of a trained model, checked, with logos and motifs."""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast, get_args

import numpy as np

from biodl.data.kinds import MoleculeKind
from biodl.encode.molecules import PackedGraphs
from biodl.errors import InputError
from biodl.interpret.attribution import METHODS, Attribution, Method, attribute
from biodl.interpret.checks import (
    AttributionCheckError,
    AttributionWarning,
    agreement,
    check_completeness,
    randomisation_check,
)
from biodl.io import tsv_cell
from biodl.io.atomic import atomic_write_text, check_output_dir, staged_dir, write_json
from biodl.models import predict
from biodl.progress import progress, step
from biodl.runs import Run, load_run
from biodl.tasks import Multiclass, task_from_meta
from biodl.workflows.prediction import _iter_inputs, _molecule_reader, _run_files
from biodl.workflows.results import ExplainResult

__all__ = ["MATRIX_METHODS", "MOLECULE_METHODS", "explain_cv", "explain_file", "resolve_target"]

# a few cheap methods whose maps are compared with the chosen one
_COMPARE: tuple[Method, ...] = ("saliency", "input_x_gradient", "deepshap")
_CHECK_SEQUENCES = 32  # sequences used for the randomisation and agreement checks


def resolve_target(target: str | int | None, names: Sequence[str]) -> int:
    """The output index of ``target``: an output name, or an index (int or digits).

    Examples
    --------
    >>> resolve_target("GATA1", ["CTCF", "GATA1"]), resolve_target("1", ["a", "b"])
    (1, 1)
    """
    if target is None:
        return 0
    if isinstance(target, str) and target in names:
        return list(names).index(target)
    try:
        index = int(target)
    except ValueError:
        raise InputError(
            f"unknown target {target!r}: use an output name ({', '.join(names)}) or an index"
        ) from None
    if not 0 <= index < len(names):
        raise InputError(
            f"target index {index} is out of range: the model has {len(names)} outputs"
        )
    return index


def _target_of(run: Run, target: str | int | None) -> tuple[list[str], int]:
    """The run's output names and the index of ``target`` among them (a name, the
    output's own name such as its label or column, an index, or ``None``: the first)."""
    names = _output_names(run)
    outputs = [str(n) for n in run.meta.get("outputs", [])]
    if isinstance(target, str) and target not in names and target in outputs:
        target = outputs.index(target)  # the output's own name (label, column) also works
    return names, resolve_target(target, names)


def _output_names(run: Run) -> list[str]:
    """The outputs' names for people (:attr:`biodl.tasks.Task.names`: ``model.json``'s
    ``output_names``, else its ``outputs`` as before), for titles and ``--target``."""
    return list(task_from_meta(run.meta).names)


def _read(
    run: Run,
    path: Path,
    *,
    sequence_column: str | None,
    id_column: str | None,
    pad_short: bool,
    max_sequences: int | None,
) -> tuple[list[str], list[str], np.ndarray]:
    """Ids, fitted sequences and the model input ``(N, C, L)`` float32."""
    ids, seqs = [], []
    records = _iter_inputs(
        path, sequence_column=sequence_column, id_column=id_column, alphabet=run.alphabet
    )
    for seq_id, seq, line in records:
        ids.append(seq_id)
        seqs.append(run.fit_input(seq, record=seq_id, path=path, line=line, pad_short=pad_short))
        if max_sequences is not None and len(ids) >= max_sequences:
            break
    if not ids:
        raise InputError("no sequences to explain", path=path)
    X = run.input_kind.encode(seqs)
    return ids, seqs, np.asarray(X, dtype=np.float32)


def _method_options(
    method: Method,
    *,
    n_references: int,
    batch_size: int,
    device: str | None,
    seed: int,
    reference: np.ndarray | None = None,
) -> dict[str, Any]:
    options: dict[str, Any] = {"batch_size": batch_size, "device": device}
    if reference is not None:  # a matrix model: one reference, the training mean
        if method in ("deeplift", "deepshap"):
            options.update(seed=seed, references=reference, n_references=1)
        elif method in ("integrated_gradients", "lime", "kernel_shap"):
            options.update(seed=seed, baseline=reference)
        return options
    if method in ("deeplift", "deepshap"):
        options.update(seed=seed, n_references=1 if method == "deeplift" else n_references)
    elif method in ("integrated_gradients", "lime", "kernel_shap"):
        options["seed"] = seed
    return options


def _run_checks(
    run: Run,
    X: np.ndarray,
    result: Attribution,
    *,
    method: Method,
    options: dict[str, Any],
    compare: Sequence[Method],
    randomisation: bool,
    strict: bool,
    reference: np.ndarray | None = None,
) -> dict[str, Any]:
    """Completeness, model randomisation and agreement; warnings are collected."""
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", AttributionWarning)
        checks: dict[str, Any] = {
            "completeness": check_completeness(result, strict=strict).as_dict()
        }
        subset = X[:_CHECK_SEQUENCES]
        first = Attribution(
            result.method,
            result.values[:_CHECK_SEQUENCES],
            result.target,
            result.outputs[:_CHECK_SEQUENCES],
        )
        if randomisation:
            with step("model-randomisation check"):
                rnd = randomisation_check(
                    run.model,
                    subset,
                    method=method,
                    target=result.target,
                    trained=first,
                    strict=strict,
                    **options,
                )
            rnd["n_sequences"] = int(subset.shape[0])
            rnd.pop("per_sequence", None)
            checks["randomisation"] = rnd
        maps: dict[str, Attribution] = {method: first}
        for other in compare:
            if other == method or other in maps:
                continue
            extra = _method_options(
                other,
                n_references=5,
                batch_size=int(options["batch_size"]),
                device=options["device"],
                seed=int(options.get("seed", 0)),
                reference=reference,
            )
            with step(f"{other} attributions to compare"):
                maps[other] = attribute(
                    run.model, subset, method=other, target=result.target, **extra
                )
        if len(maps) > 1:
            checks["agreement"] = agreement(maps)
    caught = [str(w.message) for w in seen if issubclass(w.category, AttributionWarning)]
    checks["warnings"] = caught
    return checks


def _logos(
    out: Path,
    ids: Sequence[str],
    X: np.ndarray,
    result: Attribution,
    *,
    top: int,
    alphabet: str,
    encoding: str,
) -> list[tuple[str, str]]:
    """PNG logos of the ``top`` sequences with the highest explained output."""
    from biodl.report.explain import attribution_window, plot_attribution_logo

    if top <= 0:
        return []
    folder = out / "logos"
    folder.mkdir(exist_ok=True)
    rows = 4 if encoding == "structure" else X.shape[1]
    letters = {"dna": "ACGT", "rna": "ACGU"}.get(alphabet) if rows == 4 else None
    order = np.argsort(-result.outputs, kind="stable")[:top]
    made = []
    for rank, i in enumerate(progress(order, desc="logos", unit="logo"), start=1):
        values = result.values[i, :rows]
        observed = (X[i, :rows] != 0).astype(values.dtype)
        if result.method == "ism":  # mean loss when the observed letter is substituted
            values = -observed * values.sum(axis=0, keepdims=True) / max(rows - 1, 1)
        elif encoding in ("onehot", "structure"):
            values = values * observed  # the observed letters
        start, end = attribution_window(np.abs(values).sum(axis=0), 60)
        name = f"{rank:03d}.png"
        caption = f"#{rank} {ids[i]} (output {result.outputs[i]:.3g}), positions {start + 1}-{end}"
        plot_attribution_logo(
            values[:, start:end], folder / name, title=ids[i], start=start + 1, alphabet=letters
        )
        made.append((caption, f"logos/{name}"))
    return made


def _motifs(
    out: Path,
    X: np.ndarray,
    result: Attribution,
    *,
    alphabet: str,
    collection: str,
    tax_group: str | None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Motifs from the attributions (TF-MoDISco, else seqlets) matched to JASPAR.

    Returns the motif rows and the ``motifs`` entry of ``checks.json``: ``{"method":
    "modisco", "status": "ok", "n_patterns": n}`` (with ``"fallback": "seqlets"`` when
    it found no pattern), or ``{"method": "modisco", "status": "failed", "error":
    "<one line>", "fallback": "seqlets"}`` when TF-MoDISco failed, which also warns.
    """
    if alphabet == "protein" or X.shape[1] != 4:
        raise InputError("--motifs needs a DNA/RNA one-hot model (JASPAR motifs are DNA)")
    from biodl.interpret.jaspar import jaspar_motifs, match_motifs, write_motif_table
    from biodl.interpret.motifs import modisco, seqlet_motif, seqlets, write_meme

    scores = result.hypothetical if result.hypothetical is not None else result.values
    found = []
    status: dict[str, Any] = {"method": "modisco"}
    try:
        found = modisco(scores, X)
    except (ImportError, ValueError, RuntimeError) as exc:  # InputError is a ValueError
        error = " ".join(f"{type(exc).__name__}: {exc}".split())
        warnings.warn(
            f"TF-MoDISco failed ({error}); motifs come from seqlets instead",
            RuntimeWarning,
            stacklevel=3,
        )
        status.update(status="failed", error=error, fallback="seqlets")
        found = []
    else:
        status.update(status="ok", n_patterns=len(found))
        if not found:
            status["fallback"] = "seqlets"
    if not found:
        hits = seqlets(scores, X, window=15, flank=2, max_per_example=1)
        found = [seqlet_motif(hits, X, name="seqlets")] if hits else []
    if not found:
        write_motif_table([], out / "motifs.tsv")
        return [], status
    write_meme(found, out / "motifs.meme")
    with step(f"matching {len(found)} motifs to JASPAR (TOMTOM)"):
        database = jaspar_motifs(collection=collection, tax_group=cast(Any, tax_group))
        matches = match_motifs(found, database, top=1)
    write_motif_table(matches, out / "motifs.tsv")
    rows = [
        {
            "motif": m.query,
            "jaspar_id": m.target_id,
            "tf_name": m.target_name,
            "p_value": float(m.p_value),
            "q_value": float(m.q_value),
        }
        for m in matches
    ]
    return rows, status


def explain_file(
    model_dir: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    method: Method | None = None,
    target: str | int | None = None,
    n_references: int = 20,
    top: int = 10,
    strict: bool = False,
    motifs: bool = False,
    jaspar_collection: str = "CORE",
    tax_group: str | None = "vertebrates",
    sequence_column: str | None = None,
    id_column: str | None = None,
    pad_short: bool = False,
    compare: Sequence[Method] = _COMPARE,
    randomisation: bool = True,
    max_sequences: int | None = None,
    batch_size: int = 64,
    device: str | None = None,
    seed: int = 0,
    force: bool = False,
    top_genes: int = 20,
    steps: int = 64,
) -> ExplainResult:
    """Explain a trained model's predictions for the sequences of a file.

    A run on molecules (``Run.is_molecule``, a graph model) explains the molecules of a
    CSV/TSV or SDF file instead (:func:`_explain_molecules`): integrated gradients
    (``steps`` points) over atom and bond features, per-atom scores drawn on the 2-D
    structures (``sequence_column`` names the SMILES column).

    A run on an expression matrix (``Run.is_matrix``) explains the samples of a matrix
    file instead (:func:`_explain_matrix`): per-gene attributions, ``genes.tsv``, a bar
    plot of the ``top_genes`` genes and the page; see the README's "Biomarkers".

    Sequences are read, cut or padded and encoded as ``biodl predict`` does; the
    attributions of output ``target`` by ``method`` are computed and checked
    (completeness, model randomisation and agreement with ``compare`` methods on the
    first 32 sequences), and the folder ``out`` is written (as ``OUT.partial``, renamed
    when complete):

    * ``attributions.npz``: ``ids``, ``X`` (model input), ``attributions``
      ``(N, C, L)``, ``predictions`` (raw outputs ``(N, T)``), ``outputs`` (the
      explained output), ``delta`` and ``hypothetical`` where the method has them;
    * ``checks.json``: the checks' results and warnings; with ``motifs``, a
      ``motifs`` entry: ``{"method": "modisco", "status": "ok"}`` or, when TF-MoDISco
      failed (which also warns), ``{"method": "modisco", "status": "failed", "error":
      ..., "fallback": "seqlets"}``;
    * ``logos/NNN.png``: logos of the ``top`` sequences with the highest output (the
      60 positions of largest attribution);
    * ``motifs.tsv`` and ``motifs.meme`` with ``motifs``: TF-MoDISco patterns (or
      seqlets) matched to JASPAR (``jaspar_collection``, ``tax_group``) by TOMTOM;
    * ``explain.html``: a self-contained page.

    Parameters
    ----------
    model_dir
        A run directory.
    input_path
        FASTA/FASTQ, or a table with ``sequence_column``.
    out
        Folder to write; refused if it exists and is not empty, unless ``force``.
    method
        One of :data:`biodl.interpret.METHODS`; default ``deepshap``
        (``integrated_gradients`` for molecules).
    target
        Output name or index (default the first output).
    n_references
        References per sequence for ``deepshap``.
    strict
        A failed check raises :class:`~biodl.interpret.AttributionCheckError` instead
        of being reported.
    max_sequences
        Read at most this many sequences.

    Returns
    -------
    ExplainResult
        ``out`` (path-like), the method, the explained output, the number of
        sequences, the checks (as ``checks.json``) and the motif rows.
    """
    if method is not None and method not in METHODS:
        raise InputError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    for other in compare:
        if other not in get_args(Method):
            raise InputError(f"unknown method {other!r} to compare with")
    if n_references < 1 or top < 0 or batch_size < 1:
        raise InputError("--n-references and --batch-size must be at least 1, --top at least 0")
    out_path = Path(out)  # checked before any work: never over the run or the input
    inputs = _run_files(model_dir, input_path)
    check_output_dir(out_path, force=force, inputs=inputs)
    run = load_run(model_dir)
    if run.is_molecule:
        if steps < 1:
            raise InputError("--steps must be at least 1")
        return _explain_molecules(
            run,
            Path(model_dir),
            Path(input_path),
            out_path,
            inputs,
            method=method or "integrated_gradients",
            target=target,
            top=top,
            strict=strict,
            smiles_column=sequence_column,
            id_column=id_column,
            max_molecules=max_sequences,
            steps=steps,
            device=device,
            force=force,
        )
    method = method or "deepshap"
    if run.is_matrix:
        return _explain_matrix(
            run,
            Path(model_dir),
            Path(input_path),
            out_path,
            inputs,
            method=method,
            target=target,
            top_genes=top_genes,
            strict=strict,
            id_column=id_column,
            compare=compare,
            randomisation=randomisation,
            max_samples=max_sequences,
            batch_size=batch_size,
            device=device,
            seed=seed,
            force=force,
        )
    if run.encoding == "cpg":
        raise InputError(
            "this model scores CpG sites from methylation profiles, not sequences",
            path=Path(model_dir) / "model.json",
        )
    names, index = _target_of(run, target)
    path = Path(input_path)
    ids, _, X = _read(
        run,
        path,
        sequence_column=sequence_column,
        id_column=id_column,
        pad_short=pad_short,
        max_sequences=max_sequences,
    )
    options = _method_options(
        method, n_references=n_references, batch_size=batch_size, device=device, seed=seed
    )
    with step(f"{method} attributions of {len(ids)} sequences"):
        result = attribute(run.model, X, method=method, target=index, **options)
    checks = _run_checks(
        run,
        X,
        result,
        method=method,
        options=options,
        compare=compare,
        randomisation=randomisation,
        strict=strict,
    )
    checks.update(method=result.method, target=names[index], info=result.info)
    predictions = predict(run.model, X, batch_size=batch_size, device=device).numpy()

    with staged_dir(out_path, force=force, inputs=inputs) as partial:
        arrays: dict[str, Any] = {
            "ids": np.asarray(ids),
            "X": X,
            "attributions": result.values,
            "predictions": predictions,
            "outputs": result.outputs,
            "target": np.asarray(index),
        }
        if result.delta is not None:
            arrays["delta"] = result.delta
        if result.hypothetical is not None:
            arrays["hypothetical"] = result.hypothetical
        np.savez_compressed(partial / "attributions.npz", **arrays)
        write_json(partial / "checks.json", checks)
        try:
            logos = _logos(
                partial, ids, X, result, top=top, alphabet=run.alphabet, encoding=run.encoding
            )
        except ImportError as exc:  # logomaker is in the 'motifs' extra
            logos = []
            checks["warnings"].append(f"no logos: {exc}")
            write_json(partial / "checks.json", checks)
        motif_rows: list[dict[str, Any]] = []
        if motifs:
            motif_rows, checks["motifs"] = _motifs(
                partial,
                X,
                result,
                alphabet=run.alphabet,
                collection=jaspar_collection,
                tax_group=tax_group,
            )
            if checks["motifs"]["status"] == "failed":
                checks["warnings"].append(f"TF-MoDISco failed: {checks['motifs']['error']}")
            write_json(partial / "checks.json", checks)
        from biodl.report.explain import write_explain_report

        summary = {
            "model": f"{run.meta.get('architecture', {}).get('name', '?')} ({Path(model_dir)})",
            "input": str(path),
            "sequences": str(len(ids)),
            "method": result.method,
            "target": f"{names[index]} (output {index})",
            "references": str(result.info.get("n_references", "-")),
        }
        write_explain_report(
            partial / "explain.html",
            title=f"{result.method} attributions: {names[index]}",
            summary=summary,
            checks=checks,
            logos=[(caption, partial / rel) for caption, rel in logos],
            motifs=motif_rows,
        )
    return ExplainResult(
        out=out_path,
        method=result.method,
        target=names[index],
        n_sequences=len(ids),
        checks=checks,
        motifs=motif_rows,
    )


# ---------------------------------------------------------------------------------------
# expression matrices: per-gene attributions

#: methods that explain a matrix model (ISM and attention are for sequences; LIME and
#: KernelSHAP perturb positions, and a matrix sample is one position of F features)
MATRIX_METHODS: tuple[str, ...] = (
    "saliency",
    "input_x_gradient",
    "integrated_gradients",
    "deeplift",
    "deepshap",
)


def _annotation_columns(run: Run) -> list[str]:
    """The label and split columns of the run's training matrix (``config.yaml``'s
    ``data.train.label``/``split``): text about the samples, not genes, when a matrix
    to explain has them (names that are no column of it are ignored)."""
    import yaml

    block = run.meta.get("matrix") or {}
    named = [block.get("label"), block.get("split")]
    try:
        config = yaml.safe_load((run.path / "config.yaml").read_text(encoding="utf-8"))
        train = config["data"]["train"]
        named += [train.get("label"), train.get("split")]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        pass
    return [str(c) for c in dict.fromkeys(named) if isinstance(c, str) and c]


def _read_matrix_samples(
    run: Run, path: Path, *, id_column: str | None, max_samples: int | None
) -> tuple[list[str], np.ndarray]:
    """Sample ids and the model input ``(N, F, 1)`` of a matrix file: read as the
    training matrix was (``model.json``'s ``matrix`` block), features matched by name and
    preprocessed by the run's fitted pipeline (``preprocess.json``), never refitted."""
    from biodl.io.matrix import read_matrix

    block = run.meta.get("matrix") or {}
    orientation = block.get("orientation", "samples_by_features")
    matrix = read_matrix(
        path,
        format=block.get("format"),
        orientation=(
            "features_by_samples" if orientation == "features_by_samples" else "samples_by_features"
        ),
        sample_id=id_column if id_column is not None else block.get("sample_id"),
        feature_id=block.get("feature_id"),
        skip_columns=block.get("skip_columns") or (),
        skip_rows=int(block.get("skip_rows") or 0),
        annotations=_annotation_columns(run),
    )
    ids = list(matrix.samples)
    values = matrix.values
    if max_samples is not None:
        ids, values = ids[:max_samples], values[:max_samples]
    if not ids:
        raise InputError("no samples to explain", path=path)
    X = run.preprocess.transform(values, matrix.features, path=matrix.path)[:, :, None]
    return ids, np.ascontiguousarray(X, dtype=np.float32)


def _matrix_attributions(
    run: Run,
    X: np.ndarray,
    *,
    method: Method,
    target: str | int | None,
    batch_size: int,
    device: str | None,
    seed: int,
) -> tuple[Attribution, np.ndarray, list[str], np.ndarray, dict[str, Any], str]:
    """Attributions of a matrix model, the raw predictions, the classes, the class of
    each sample (its predicted class; empty names for non-class tasks), the options and
    the name of what was explained."""
    if method not in MATRIX_METHODS:
        raise InputError(
            f"--method {method} does not apply to expression matrices: use one of "
            f"{', '.join(MATRIX_METHODS)}"
        )
    task = task_from_meta(run.meta)
    names = list(task.names)
    outputs = [str(n) for n in run.meta.get("outputs", [])]
    reference = np.asarray(run.preprocess.fill, dtype=np.float32)[:, None]  # (F, 1)
    options = _method_options(
        method,
        n_references=1,
        batch_size=batch_size,
        device=device,
        seed=seed,
        reference=reference,
    )
    predictions = predict(run.model, X, batch_size=batch_size, device=device).numpy()
    multiclass = isinstance(task, Multiclass) and predictions.shape[1] == len(names)
    predicted = (
        np.asarray([names[i] for i in predictions.argmax(axis=1)], dtype=object)
        if multiclass
        else np.asarray([""] * len(X), dtype=object)
    )
    if multiclass and target is None:
        # each sample explained for the class it is predicted as
        targets = predictions.argmax(axis=1).astype(np.int64)
        explained = "the predicted class of each sample"
    else:
        if isinstance(target, str) and target not in names and target in outputs:
            target = outputs.index(target)
        index = resolve_target(target, names)
        targets = np.full(len(X), index, dtype=np.int64)
        explained = f"{names[index]} (output {index})"
    from biodl.interpret.genes import attribute_rows

    with step(f"{method} attributions of {len(X)} samples"):
        result = attribute_rows(run.model, X, targets, method=method, **options)
    if result.method != method:  # DeepSHAP over one reference is DeepLIFT: say both
        info = {**result.info, "note": "one reference (the training mean): equals DeepLIFT"}
        result = dataclasses.replace(result, method=method, info=info)
    return result, predictions, names if multiclass else [], predicted, options, explained


def _matrix_checks(
    run: Run,
    X: np.ndarray,
    result: Attribution,
    *,
    method: Method,
    options: dict[str, Any],
    compare: Sequence[Method],
    randomisation: bool,
    strict: bool,
) -> dict[str, Any]:
    """Completeness on every sample; model randomisation and agreement on the samples
    explained for the most common target (those checks explain one output)."""
    targets = np.asarray(result.info.get("targets", [result.target] * len(X)))
    values, counts = np.unique(targets, return_counts=True)
    main = int(values[np.argmax(counts)])
    rows = np.flatnonzero(targets == main)
    sub = Attribution(
        result.method,
        result.values[rows],
        main,
        result.outputs[rows],
        None if result.delta is None else result.delta[rows],
        None if result.reference_outputs is None else result.reference_outputs[rows],
        info=result.info,
    )
    checks = _run_checks(
        run,
        X[rows],
        sub,
        method=method,
        options=options,
        compare=[m for m in compare if m in MATRIX_METHODS],
        randomisation=randomisation,
        strict=strict,
        reference=options.get("references", options.get("baseline")),
    )
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", AttributionWarning)
        checks["completeness"] = check_completeness(result, strict=strict).as_dict()
    checks["warnings"] += [
        str(w.message)
        for w in seen
        if issubclass(w.category, AttributionWarning) and str(w.message) not in checks["warnings"]
    ]
    checks["checks_target"] = main
    return checks


def _explain_matrix(
    run: Run,
    model_dir: Path,
    path: Path,
    out_path: Path,
    inputs: Sequence[Path],
    *,
    method: Method,
    target: str | int | None,
    top_genes: int,
    strict: bool,
    id_column: str | None,
    compare: Sequence[Method],
    randomisation: bool,
    max_samples: int | None,
    batch_size: int,
    device: str | None,
    seed: int,
    force: bool,
) -> ExplainResult:
    """``biodl explain`` on a matrix run: per-gene attributions of the samples of a
    matrix file.

    The samples are read and preprocessed with the run's saved pipeline; the reference
    (baseline) of every method is the training mean of each input feature (the
    pipeline's ``fill``: zeros after ``standardize``), so attributions explain
    ``f(x) - f(training mean)`` and DeepSHAP uses that one reference (it then equals
    DeepLIFT). A multi-class model explains each sample for its predicted class unless
    ``target`` names one. Writes ``attributions.npz`` (``ids``, ``genes``, ``X``,
    ``attributions`` ``(N, F)``, ``predictions``, ``targets``, ``delta``),
    ``checks.json``, ``genes.tsv`` (:func:`biodl.interpret.genes.gene_table`),
    ``genes.png`` (the ``top_genes`` genes) and ``explain.html``.
    """
    from biodl.interpret.genes import gene_table, write_gene_table
    from biodl.report.explain import plot_gene_bars, write_explain_report

    genes = list(run.preprocess.features_out)
    ids, X = _read_matrix_samples(run, path, id_column=id_column, max_samples=max_samples)
    result, predictions, classes, predicted, options, explained = _matrix_attributions(
        run, X, method=method, target=target, batch_size=batch_size, device=device, seed=seed
    )
    checks = _matrix_checks(
        run,
        X,
        result,
        method=method,
        options=options,
        compare=compare,
        randomisation=randomisation,
        strict=strict,
    )
    rows = gene_table(result.values, genes, groups=list(predicted), classes=classes)
    checks.update(
        method=result.method,
        target=explained,
        info={k: v for k, v in result.info.items() if k != "targets"},
        reference="training mean of each input feature (zeros after standardize)",
        top_genes=rows[:top_genes],
    )
    with staged_dir(out_path, force=force, inputs=inputs) as partial:
        arrays: dict[str, Any] = {
            "ids": np.asarray(ids),
            "genes": np.asarray(genes),
            "X": X[:, :, 0],
            "attributions": result.values[:, :, 0],
            "predictions": predictions,
            "outputs": result.outputs,
            "targets": np.asarray(result.info["targets"]),
        }
        if result.delta is not None:
            arrays["delta"] = result.delta
        np.savez_compressed(partial / "attributions.npz", **arrays)
        write_json(partial / "checks.json", checks)
        write_gene_table(rows, partial / "genes.tsv")
        plot = None
        if top_genes > 0:
            plot = plot_gene_bars(
                rows[:top_genes],
                partial / "genes.png",
                title=f"top {min(top_genes, len(rows))} genes, {result.method}",
            )
        summary = {
            "model": f"{run.meta.get('architecture', {}).get('name', '?')} ({model_dir})",
            "input": str(path),
            "samples": str(len(ids)),
            "genes": str(len(genes)),
            "method": result.method,
            "explained": explained,
            "reference": "training mean (zeros after standardize)",
        }
        write_explain_report(
            partial / "explain.html",
            title=f"{result.method} attributions per gene",
            summary=summary,
            checks=checks,
            logos=[],
            genes=rows,
            genes_plot=plot,
            top_genes=top_genes,
        )
    return ExplainResult(
        out=out_path,
        method=result.method,
        target=explained,
        n_sequences=len(ids),
        checks=checks,
    )


def explain_cv(
    cv_dir: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    k: int = 20,
    method: Method = "deepshap",
    target: str | int | None = None,
    id_column: str | None = None,
    max_samples: int | None = None,
    batch_size: int = 64,
    device: str | None = None,
    seed: int = 0,
    force: bool = False,
) -> ExplainResult:
    """Stability of the gene ranking over the folds of a ``biodl cv`` on a matrix.

    Every fold model (``CV_DIR/fold_*``) explains the samples of ``input_path`` as
    :func:`explain_file` does (its own preprocessing, so a gene its fold did not select
    has no attribution), and ``out`` gets ``folds/<fold>/genes.tsv`` per fold,
    ``stability.tsv`` (:func:`biodl.interpret.genes.gene_stability`: in how many folds
    each gene is among the top ``k``), ``stability.json`` and ``explain.html``.
    """
    from biodl.interpret.genes import (
        gene_stability,
        gene_table,
        write_gene_table,
        write_stability_table,
    )
    from biodl.report.explain import write_stability_report

    if k < 1:
        raise InputError("--top-k must be at least 1")
    cv_path = Path(cv_dir)
    folds = sorted(
        (p for p in cv_path.glob("fold_*") if (p / "model.json").is_file()),
        key=lambda p: (len(p.name), p.name),
    )
    if not (cv_path / "cv.json").is_file() or not folds:
        raise InputError("not a biodl cv folder (no cv.json and fold_*/model.json)", path=cv_path)
    out_path = Path(out)
    inputs = [cv_path, Path(input_path)]
    check_output_dir(out_path, force=force, inputs=inputs)
    rankings: dict[str, list[str]] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for fold_dir in folds:
        name = fold_dir.name.removeprefix("fold_")
        run = load_run(fold_dir)
        if not run.is_matrix:
            raise InputError("gene stability needs matrix runs", path=fold_dir / "model.json")
        ids, X = _read_matrix_samples(
            run, Path(input_path), id_column=id_column, max_samples=max_samples
        )
        result, _, classes, predicted, _, _ = _matrix_attributions(
            run, X, method=method, target=target, batch_size=batch_size, device=device, seed=seed
        )
        rows = gene_table(
            result.values,
            list(run.preprocess.features_out),
            groups=list(predicted),
            classes=classes,
        )
        tables[name] = rows
        rankings[name] = [r["gene"] for r in rows]
    stability = gene_stability(rankings, k)
    summary = {"folds": len(folds), "k": k, "method": method, "samples": len(ids)}
    with staged_dir(out_path, force=force, inputs=inputs) as partial:
        for name, rows in tables.items():
            (partial / "folds" / name).mkdir(parents=True, exist_ok=True)
            write_gene_table(rows, partial / "folds" / name / "genes.tsv")
        write_stability_table(stability, partial / "stability.tsv")
        write_json(partial / "stability.json", {**summary, "genes": stability})
        write_stability_report(
            partial / "explain.html",
            rows=stability,
            summary={k_: str(v) for k_, v in summary.items()} | {"cv": str(cv_path)},
        )
    return ExplainResult(
        out=out_path,
        method=method,
        target="",
        n_sequences=len(ids),
        checks={"stability": stability[: max(k, 20)], **summary},
    )


# ---------------------------------------------------------------------------------------
# molecules: atom attributions drawn on the 2-D structure

#: the attribution of a graph model: integrated gradients over atom and bond features
#: (the graph's structure channels fixed; :func:`biodl.interpret.molecules.atom_attributions`)
MOLECULE_METHODS: tuple[str, ...] = ("integrated_gradients",)

_MOLECULE_CHUNK = 256  # molecules per attribution call (each padded to its own largest)


def _explain_molecules(
    run: Run,
    model_dir: Path,
    path: Path,
    out_path: Path,
    inputs: Sequence[Path],
    *,
    method: Method,
    target: str | int | None,
    top: int,
    strict: bool,
    smiles_column: str | None,
    id_column: str | None,
    max_molecules: int | None,
    steps: int,
    device: str | None,
    force: bool,
) -> ExplainResult:
    """``biodl explain`` on a molecule run: atom attributions of the molecules of a
    CSV/TSV or SDF file, drawn on their 2-D structures.

    Integrated gradients over the atom and bond features from a baseline that keeps the
    graph (atoms, bonds, neighbours) and zeroes every feature, so an atom's score is its
    share of ``f(x) - f(baseline)``; each bond's share is split half and half between its
    two atoms (:func:`biodl.interpret.molecules.atom_scores`). The completeness check
    (scores summing to ``f(x) - f(baseline)``, relative error at most 5 %) is run on
    every molecule. Writes ``atoms.tsv`` (one line per atom: id, SMILES, atom index,
    element, score), ``attributions.npz`` (``ids``, ``smiles``, ``outputs``,
    ``baseline_outputs``, ``delta``, ``atom_scores`` flat with ``offsets``),
    ``checks.json``, ``molecules/NNN.png`` (the ``top`` molecules of highest output,
    atoms red for positive, blue for negative scores) and ``explain.html``.
    """
    from biodl.interpret.molecules import atom_attributions, atom_scores, draw_atom_attributions
    from biodl.io.molecules import parse_smiles
    from biodl.report.explain import write_explain_report

    kind = run.input_kind
    if not isinstance(kind, MoleculeKind):  # pragma: no cover - is_molecule says it is
        raise InputError("not a molecule run", path=model_dir / "model.json")
    if kind.featurizer != "graph":
        raise InputError(
            f"explain maps attributions onto atoms for graph models (dmpnn, gin); this run "
            f"reads {kind.featurizer} vectors, whose bits and descriptors are not atoms",
            path=model_dir / "model.json",
        )
    if method not in MOLECULE_METHODS:
        raise InputError(
            f"--method {method} is not defined for molecular graphs: use "
            f"{', '.join(MOLECULE_METHODS)} (it moves only atom and bond features)"
        )
    names, index = _target_of(run, target)
    reader = _molecule_reader(run, smiles_column, id_column)
    examples = reader.validate(reader.read(path))
    if max_molecules is not None:
        examples = examples.subset(range(min(max_molecules, len(examples))))
    graphs = PackedGraphs.from_smiles(examples.sequences, max_neighbours=kind.max_neighbours)
    ids, smiles = list(examples.ids), list(examples.sequences)
    scores: list[np.ndarray] = []
    out_f: list[np.ndarray] = []
    base_f: list[np.ndarray] = []
    delta: list[np.ndarray] = []
    relative: list[np.ndarray] = []
    with step(f"integrated gradients over atoms of {len(ids)} molecules"):
        for start in range(0, len(ids), _MOLECULE_CHUNK):
            chunk = np.arange(start, min(start + _MOLECULE_CHUNK, len(ids)))
            attr = atom_attributions(
                run.model, graphs.dense(chunk), target=index, steps=steps, device=device
            )
            scores += [atom_scores(attr, i) for i in range(len(chunk))]
            out_f.append(attr.outputs)
            base_f.append(attr.baseline_outputs)
            delta.append(attr.delta)
            relative.append(attr.relative_delta)
    outputs_all, base_all = np.concatenate(out_f), np.concatenate(base_f)
    delta_all, rel_all = np.concatenate(delta), np.concatenate(relative)
    tolerance = 0.05
    # a molecule whose output hardly moves from the baseline has no meaningful relative
    # error: judged by the absolute error then
    ok = (np.abs(delta_all) <= 1e-5 + tolerance * np.abs(outputs_all - base_all)) | (
        np.abs(delta_all) <= 1e-3
    )
    completeness = {
        "passed": bool(ok.all()),
        "n": len(ids),
        "n_failed": int((~ok).sum()),
        "max_abs_delta": float(np.abs(delta_all).max()) if len(ids) else 0.0,
        "median_relative_delta": float(np.nanmedian(rel_all)) if len(ids) else 0.0,
        "tolerance": f"|delta| <= 1e-5 + {tolerance} |f(x) - f(baseline)|, or <= 1e-3",
        "steps": steps,
    }
    warnings: list[str] = []
    if not completeness["passed"]:
        text = (
            f"completeness: {completeness['n_failed']} of {len(ids)} molecules' atom scores "
            f"miss f(x) - f(baseline) by more than {tolerance:.0%}; raise --steps"
        )
        if strict:
            raise AttributionCheckError(text)
        warnings.append(text)
    checks: dict[str, Any] = {
        "method": "integrated_gradients",
        "target": names[index],
        "baseline": "the same graph with every atom and bond feature zeroed",
        "completeness": completeness,
        "warnings": warnings,
    }
    order = np.argsort(-outputs_all, kind="stable")[:top]
    with staged_dir(out_path, force=force, inputs=inputs) as partial:
        offsets = np.zeros(len(scores) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(s) for s in scores])
        np.savez_compressed(
            partial / "attributions.npz",
            ids=np.asarray(ids),
            smiles=np.asarray(smiles),
            outputs=outputs_all,
            baseline_outputs=base_all,
            delta=delta_all,
            atom_scores=np.concatenate(scores) if scores else np.zeros(0),
            offsets=offsets,
            target=np.asarray(index),
        )
        lines = ["id\tsmiles\tatom\telement\tscore"]
        for mol_id, smi, atom_score in zip(ids, smiles, scores, strict=True):
            mol = parse_smiles(smi)
            symbols = [a.GetSymbol() for a in mol.GetAtoms()] if mol is not None else []
            lines += [
                f"{tsv_cell(mol_id)}\t{smi}\t{a}\t{symbols[a]}\t{v:.6g}"
                for a, v in enumerate(atom_score.tolist())
            ]
        atomic_write_text(partial / "atoms.tsv", "\n".join(lines) + "\n")
        write_json(partial / "checks.json", checks)
        figures: list[tuple[str, Path]] = []
        if len(order):
            (partial / "molecules").mkdir()
        for rank, i in enumerate(order.tolist(), start=1):
            png = partial / "molecules" / f"{rank:03d}.png"
            draw_atom_attributions(smiles[i], scores[i], path=png)
            caption = (
                f"{ids[i]}: {smiles[i]} — output {outputs_all[i]:.3g}, baseline "
                f"{base_all[i]:.3g}, atom scores sum {scores[i].sum():.3g}"
            )
            figures.append((caption, png))
        summary = {
            "model": f"{run.meta.get('architecture', {}).get('name', '?')} ({model_dir})",
            "input": str(path),
            "molecules": str(len(ids)),
            "method": "integrated gradients over atom and bond features",
            "target": f"{names[index]} (output {index})",
            "baseline": checks["baseline"],
        }
        write_explain_report(
            partial / "explain.html",
            title=f"atom attributions: {names[index]}",
            summary=summary,
            checks=checks,
            logos=figures,
            found_motifs=[],
        )
    return ExplainResult(
        out=out_path,
        method="integrated_gradients",
        target=names[index],
        n_sequences=len(ids),
        checks=checks,
    )
