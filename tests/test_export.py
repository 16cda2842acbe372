"""``biodl export``: ONNX and TorchScript files that reproduce PyTorch, with their card."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from biodl.cli import main
from biodl.data import MoleculeKind
from biodl.data.cpg import CpgPacking
from biodl.encode import one_hot
from biodl.encode.molecules import n_atoms, unpack_graphs
from biodl.errors import InputError
from biodl.models import Ensemble, ModelIO, create_model, list_models
from biodl.runs import load_run
from biodl.testing.assess_runs import tiny_run, write_assess_data
from biodl.testing.molecules import write_molecule_table
from biodl.testing.synthetic import random_dna, write_fasta_file
from biodl.workflows import export_run, train_run
from biodl.workflows.export import (
    CHECK_MOLECULES,
    ExportCheckError,
    export_model,
    load_exported,
    random_inputs,
)

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning"),
]

onnxruntime = pytest.importorskip("onnxruntime")  # the export extra (in the test extra)

EXT = {"onnx": "onnx", "torchscript": "pt"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny trained binary DeepBind run (one epoch)."""
    return tiny_run(tmp_path_factory.mktemp("export_run"))


@pytest.fixture(scope="module")
def ensemble_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same data trained as ``train.ensemble: 2``."""
    folder = tmp_path_factory.mktemp("export_ensemble")
    config = write_assess_data(folder)
    data = yaml.safe_load(config.read_text())
    data["train"]["ensemble"] = 2
    config.write_text(yaml.safe_dump(data))
    return train_run(config, folder / "run").out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _new_inputs(length: int, n: int = 7, seed: int = 11) -> np.ndarray:
    return one_hot(random_dna(n, length, seed=seed), alphabet="dna", dtype=np.float32)


def _pytorch(run_dir: Path, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return load_run(run_dir).model(torch.from_numpy(x)).numpy()


def _run_exported(path: Path, x: np.ndarray) -> np.ndarray:
    if path.suffix == ".onnx":
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert [i.name for i in session.get_inputs()] == ["input"]
        assert [o.name for o in session.get_outputs()] == ["output"]
        return np.asarray(session.run(["output"], {"input": x})[0])
    loaded = torch.jit.load(str(path))
    with torch.no_grad():
        return loaded(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("format", ["onnx", "torchscript"])
def test_the_exported_file_reproduces_pytorch_and_has_its_card(
    run_dir: Path, tmp_path: Path, format: str
) -> None:
    out = tmp_path / f"model.{EXT[format]}"
    result = export_run(run_dir, out, format=format)  # type: ignore[arg-type]
    assert result.out == out
    assert out.is_file()
    assert result.max_diff <= 1e-5
    assert result.max_score_diff <= 1e-5
    # new inputs, batch sizes other than the example's: the batch axis is free
    length = load_run(run_dir).input_length
    for n in (1, 7):
        x = _new_inputs(length, n=n)
        assert np.abs(_run_exported(out, x) - _pytorch(run_dir, x)).max() <= 1e-5
    card = json.loads((tmp_path / f"model.{EXT[format]}.json").read_text())
    assert card["file"]["sha256"] == _sha256(out) == result.sha256
    assert card["file"]["format"] == format
    assert card["input"]["shape"] == ["N", 4, length]
    assert card["input"]["letters"] == "ACGT"
    assert card["output"]["shape"] == ["N", 1]
    assert card["output"]["scores"].startswith("sigmoid")
    assert card["task"] == "binary"
    assert card["architecture"]["name"] == "deepbind"
    assert card["check"]["max_abs_diff_output"] == result.max_diff
    assert card["check"]["tolerance"] == 1e-5
    assert "test" in card["metrics"]
    assert card["versions"]["export"]["torch"]
    markdown = (tmp_path / f"model.{EXT[format]}.md").read_text()
    assert result.sha256 in markdown
    assert "raw outputs" in markdown
    # nothing else left in the folder (no temporary files)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [out.name, f"{out.name}.json", f"{out.name}.md"]
    )


@pytest.mark.parametrize("format", ["onnx", "torchscript"])
def test_an_ensemble_exports_as_one_graph(ensemble_dir: Path, tmp_path: Path, format: str) -> None:
    run = load_run(ensemble_dir)
    assert isinstance(run.model, Ensemble)
    assert len(run.model.members) == 2
    out = tmp_path / f"ensemble.{EXT[format]}"
    result = export_run(ensemble_dir, out, format=format)  # type: ignore[arg-type]
    x = _new_inputs(run.input_length, n=5, seed=3)
    assert np.abs(_run_exported(out, x) - _pytorch(ensemble_dir, x)).max() <= 1e-5
    card = json.loads(result.card.read_text())
    assert card["architecture"]["ensemble"]["members"] == 2
    assert card["architecture"]["ensemble"]["combine"] == "probability"


def test_the_check_runs_on_a_fasta_sample(run_dir: Path, tmp_path: Path) -> None:
    length = load_run(run_dir).input_length
    seqs = random_dna(3, length + 9, seed=1) + random_dna(2, length - 10, seed=2)  # crop, pad
    fasta = write_fasta_file(tmp_path / "sample.fa", seqs, ids=[f"s{i}" for i in range(5)])
    result = export_run(run_dir, tmp_path / "m.pt", format="torchscript", sample=fasta)
    assert result.n_checked == 5
    card = json.loads(result.card.read_text())
    assert card["check"]["inputs"] == {"sample": str(fasta.resolve())}
    assert card["check"]["n_inputs"] == 5


def _stderr_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_the_command_line_exports_and_refuses_bad_input_in_one_line(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "model.pt"
    args = ["export", "--model", str(run_dir), "--format", "torchscript", "--out", str(out)]
    assert main(args) == 0
    assert "exported:" in capsys.readouterr().out
    before = out.read_bytes()
    # an existing output without --force
    assert main(args) == 2
    assert "exists already; use --force" in _stderr_line(capsys)
    assert out.read_bytes() == before
    assert main([*args, "--force"]) == 0
    capsys.readouterr()
    # a missing run
    missing = ["export", "--model", str(tmp_path / "nope"), "--format", "onnx"]
    assert main([*missing, "--out", str(tmp_path / "x.onnx")]) == 2
    assert "nope" in _stderr_line(capsys)
    assert not (tmp_path / "x.onnx").exists()
    # a bad format
    bad = ["export", "--model", str(run_dir), "--format", "tflite", "--out", str(out)]
    assert main(bad) == 2
    assert "--format" in _stderr_line(capsys)
    # an output that is one of the run's files
    weights = run_dir / "model.safetensors"
    before = weights.read_bytes()
    taken = ["export", "--model", str(run_dir), "--format", "torchscript", "--force"]
    assert main([*taken, "--out", str(weights)]) == 2
    _stderr_line(capsys)
    assert weights.read_bytes() == before


@pytest.mark.parametrize("format", ["onnx", "torchscript"])
def test_a_mismatch_leaves_no_file(
    run_dir: Path,
    tmp_path: Path,
    format: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import biodl.workflows.export as export_module

    real = export_module.load_exported

    def perturbed(path: Any, *, format: Any) -> Any:
        run = real(path, format=format)
        return lambda x: run(x) + 1e-3

    monkeypatch.setattr(export_module, "load_exported", perturbed)
    out = tmp_path / f"model.{EXT[format]}"
    with pytest.raises(ExportCheckError, match=r"differs from PyTorch by 0\.001"):
        export_run(run_dir, out, format=format)  # type: ignore[arg-type]
    args = ["export", "--model", str(run_dir), "--format", format, "--out", str(out)]
    assert main(args) == 1
    assert "more than the tolerance 1e-05" in _stderr_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_tolerance_zero_with_a_perturbed_model_fails(run_dir: Path, tmp_path: Path) -> None:
    """A real disagreement (ONNX Runtime's kernels against PyTorch's) at tolerance 0."""
    result = export_run(run_dir, tmp_path / "a.onnx", format="onnx")
    if result.max_diff == 0.0:
        pytest.skip("ONNX Runtime matched PyTorch bit for bit here")
    with pytest.raises(ExportCheckError):
        export_run(run_dir, tmp_path / "b.onnx", format="onnx", tolerance=0.0)
    assert not (tmp_path / "b.onnx").exists()
    assert not (tmp_path / "b.onnx.json").exists()


def test_onnx_without_the_extra_is_one_line(
    run_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    out = tmp_path / "m.onnx"
    args = ["export", "--model", str(run_dir), "--format", "onnx", "--out", str(out)]
    assert main(args) == 2
    line = _stderr_line(capsys)
    assert "needs the export extra: pip install 'biodl[export]'" in line
    assert not out.exists()


# -- molecule runs ------------------------------------------------------------------

MOLECULE_MODELS = {
    "dmpnn": {"name": "dmpnn", "hidden": 16, "ffn_hidden": 16},
    "gin": {"name": "gin", "hidden": 16, "layers": 2, "ffn_hidden": 16},
    "fingerprint_mlp": {"name": "fingerprint_mlp", "hidden": 16},
}
# molecules the runs never saw, of 1 to 12 heavy atoms (the runs' graphs hold 16)
NEW_MOLECULES = [
    "CCCl",
    "C",
    "O=C(O)c1ccncc1",
    "CC(C)Oc1ccc(F)cc1",
    "C1CCNCC1",
    "N#CC(=O)N",
    "c1ccc2[nH]ccc2c1",
]


@pytest.fixture(scope="module")
def molecule_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny regression runs (one epoch) of the molecule zoo on a planted table."""
    folder = tmp_path_factory.mktemp("export_molecules")
    table = write_molecule_table(folder / "molecules.csv", 120, task="regression")
    runs = {}
    for name, model in MOLECULE_MODELS.items():
        data: dict[str, Any] = {
            "train": {"molecules": str(table), "label": "label"},
            "valid": {"fraction": 0.2},
        }
        if name == "fingerprint_mlp":
            data |= {"featurizer": "morgan", "fingerprint": {"bits": 256}}
        config = {
            "task": "regression",
            "data": data,
            "model": model,
            "train": {"max_epochs": 1, "batch_size": 32},
        }
        runs[name] = train_run(config, folder / name).out
    return runs


def _encode_molecules(run_dir: Path, smiles: list[str]) -> np.ndarray:
    """``smiles`` encoded as the run's exported model takes them (graphs: padded to the
    run's input length)."""
    run = load_run(run_dir)
    kind = run.input_kind
    assert isinstance(kind, MoleculeKind)
    if kind.featurizer == "graph":
        kind = MoleculeKind(max_neighbours=kind.max_neighbours, length=run.input_length)
    return np.asarray(kind.encode(smiles), dtype=np.float32)


@pytest.mark.parametrize("format", ["onnx", "torchscript"])
@pytest.mark.parametrize("name", sorted(MOLECULE_MODELS))
def test_a_molecule_run_exports_and_reproduces_pytorch(
    molecule_runs: dict[str, Path], tmp_path: Path, name: str, format: str
) -> None:
    run_dir = molecule_runs[name]
    out = tmp_path / f"{name}.{EXT[format]}"
    result = export_run(run_dir, out, format=format)  # type: ignore[arg-type]
    assert result.max_diff <= 1e-5
    assert result.n_checked == 32
    # molecules the check did not use, in batches of one and of several: the exported
    # graph models run on the padded arrays, PyTorch on the real atoms and bonds
    x = _encode_molecules(run_dir, NEW_MOLECULES)
    for batch in (x[:1], x[1:2], x):
        assert np.abs(_run_exported(out, batch) - _pytorch(run_dir, batch)).max() <= 1e-5
    run = load_run(run_dir)
    card = json.loads(result.card.read_text())
    graph = name != "fingerprint_mlp"
    assert card["input"]["shape"] == ["N", run.meta["n_channels"], run.input_length]
    assert card["input"]["featurizer"] == ("graph" if graph else "morgan")
    assert card["input"]["letters"] is None
    assert card["architecture"]["name"] == name
    assert card["output"]["scores"].startswith("output: the values")
    markdown = result.card_markdown.read_text()
    expected = "packed molecular graphs of" if graph else "Morgan fingerprints (256 values)"
    assert expected in markdown


def test_the_check_inputs_of_a_graph_run_are_graphs_that_fit(
    molecule_runs: dict[str, Path],
) -> None:
    from biodl.workflows.export import _run_inputs

    run = load_run(molecule_runs["gin"])
    x = _run_inputs(run, n=40, seed=3)
    assert x.shape == (40, run.meta["n_channels"], run.input_length)
    mask, _, neighbours, reverse, _ = unpack_graphs(x)
    sizes = mask.sum(axis=1)
    assert sizes.min() >= 1
    assert sizes.max() <= run.input_length
    assert len(set(sizes.tolist())) > 5  # molecules of many sizes, most with padding
    assert ((neighbours >= 0) == (reverse >= 0)).all()
    again = _run_inputs(run, n=40, seed=3)
    np.testing.assert_array_equal(x, again)
    fp = _run_inputs(load_run(molecule_runs["fingerprint_mlp"]), n=5, seed=0)
    assert fp.shape == (5, 256, 1)
    assert set(np.unique(fp).tolist()) == {0.0, 1.0}


def test_random_molecule_inputs() -> None:
    kind = MoleculeKind(length=7)
    x = random_inputs(
        alphabet="molecule",
        n_channels=kind.n_channels(),
        input_length=7,
        n=30,
        encode=lambda s: np.asarray(kind.encode(s)),
    )
    fitting = [s for s, k in zip(CHECK_MOLECULES, n_atoms(CHECK_MOLECULES), strict=True) if k <= 7]
    assert x.shape == (30, kind.n_channels(), 7)
    # every molecule that fits before any repeats
    expected = np.asarray(kind.encode(fitting))
    assert {row.tobytes() for row in x[: len(fitting)]} == {row.tobytes() for row in expected}
    with pytest.raises(ValueError, match="need encode"):
        random_inputs(alphabet="molecule", n_channels=kind.n_channels(), input_length=7)
    bits = random_inputs(alphabet="fingerprint", n_channels=128, input_length=1, n=4, seed=1)
    assert bits.shape == (4, 128, 1)
    assert bits.dtype == np.float32
    assert 0.1 < bits.mean() < 0.4


def test_the_check_of_a_molecule_run_reads_a_molecule_sample(
    molecule_runs: dict[str, Path], tmp_path: Path
) -> None:
    run_dir = molecule_runs["dmpnn"]
    sample = tmp_path / "sample.csv"
    rows = [f"m{i},{smiles}" for i, smiles in enumerate(NEW_MOLECULES)]
    sample.write_text("id,smiles\n" + "\n".join(rows) + "\n")
    result = export_run(run_dir, tmp_path / "m.pt", format="torchscript", sample=sample)
    assert result.n_checked == len(NEW_MOLECULES)
    assert result.max_diff <= 1e-5
    card = json.loads(result.card.read_text())
    assert card["check"]["inputs"] == {"sample": str(sample.resolve())}
    # a molecule larger than the exported graph's atom positions
    length = load_run(run_dir).input_length
    big = tmp_path / "big.csv"
    big.write_text("smiles\nCCO\n" + "C" * (length + 1) + "\n")
    with pytest.raises(InputError, match=f"more than length {length}"):
        export_run(run_dir, tmp_path / "b.pt", format="torchscript", sample=big)
    assert not (tmp_path / "b.pt").exists()


# -- the zoo, on random weights ---------------------------------------------------

L = 64


def _zoo_case(name: str) -> tuple[str, dict[str, Any], ModelIO, np.ndarray]:
    """Model ``name`` at a small input shape, and random inputs for it."""
    params: dict[str, Any] = {}
    dna_channels = 0
    encode: Any = None
    if name in ("deepcpg", "deepcpg_cpg"):
        p = CpgPacking(3, 5, 40 if name == "deepcpg" else 0)
        io = ModelIO(p.channels, p.length, 3, layout=p.layout)
        dna_channels = 4 if p.has_dna else 0
    elif name == "deepmir":
        io = ModelIO(8 + 40, 40, 1, alphabet="rna")
    elif name in ("light_attention", "residue_embedding"):
        io = ModelIO(64, L, 2, alphabet="protein", per_position=name == "residue_embedding")
    elif name == "dilated_resnet_profile":
        name, params = "dilated_resnet", {"head": "profile"}
        io = ModelIO(4, 200, 2, per_position=True)
        encode = lambda s: one_hot(s, alphabet="dna")  # noqa: E731
    elif name == "dilated_resnet_tower":  # Basenji's gradual pooling into 32-bp bins
        name = "dilated_resnet"
        params = {"head": "profile", "stem": "tower", "bin_size": 32, "n_filters": 16}
        io = ModelIO(4, 256, 2, per_position=True)
        encode = lambda s: one_hot(s, alphabet="dna")  # noqa: E731
    elif name == "bpnet":  # per-base profiles summed into bins of 4
        params = {"n_filters": 16, "n_layers": 4, "bin_size": 4}
        io = ModelIO(4, 200, 2, per_position=True)
        encode = lambda s: one_hot(s, alphabet="dna")  # noqa: E731
    elif name in ("dmpnn", "gin"):  # packed graphs of real molecules, padded to 16 atoms
        kind = MoleculeKind(length=16)
        io = ModelIO(kind.n_channels(), 16, 2, alphabet="molecule", layout=kind.layout())
        encode = lambda s: np.asarray(kind.encode(s))  # noqa: E731
    elif name == "fingerprint_mlp":  # random 0/1 fingerprints
        io = ModelIO(256, 1, 2, alphabet="fingerprint")
    elif name == "pileup_cnn":  # random read pileups of 20 rows x 9 columns
        layout = (("pileup_height", 20), ("pileup_width", 9))
        io = ModelIO(6, 180, 3, alphabet="pileup", layout=layout)
    elif {spec.name: spec for spec in list_models()}[name].alphabets[0] == "matrix":
        views = (("view:a", 5), ("view:b", 7)) if name == "multiview" else ()
        io = ModelIO(12, 1, 2, alphabet="matrix", layout=views)
    elif "protein" in {spec.name: spec for spec in list_models()}[name].alphabets:
        io = ModelIO(20, L, 2, alphabet="protein", per_position=name == "residue_tagger")
        encode = lambda s: one_hot(s, alphabet="protein")  # noqa: E731
    else:
        io = ModelIO(4, 200, 2)
        encode = lambda s: one_hot(s, alphabet="dna")  # noqa: E731
    x = random_inputs(
        alphabet=io.alphabet,
        n_channels=io.n_channels,
        input_length=io.input_length,
        n=9,
        seed=0,
        encode=encode,
        dna_channels=dna_channels,
    )
    return name, params, io, x


ZOO = [spec.name for spec in list_models()] + ["dilated_resnet_profile", "dilated_resnet_tower"]


def _export_zoo_model(case: str, format: str, tmp_path: Path) -> float:
    name, params, io, x = _zoo_case(case)
    torch.manual_seed(0)
    model = create_model(name, params, io=io).eval()
    path = tmp_path / f"m.{EXT[format]}"
    export_model(model, path, format=format, example=x[:2])  # type: ignore[arg-type]
    run = load_exported(path, format=format)  # type: ignore[arg-type]
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    return max(float(np.abs(run(x) - want).max()), float(np.abs(run(x[:1]) - want[:1]).max()))


@pytest.mark.parametrize("case", ZOO)
def test_every_zoo_model_exports_to_torchscript(case: str, tmp_path: Path) -> None:
    assert _export_zoo_model(case, "torchscript", tmp_path) <= 1e-5


# deeploc takes the TorchScript-based ONNX exporter (its packed LSTM): kept in the
# quick tests; the rest take ~2 s each with torch.export
@pytest.mark.parametrize(
    "case", [c if c == "deeploc" else pytest.param(c, marks=pytest.mark.slow) for c in ZOO]
)
def test_every_zoo_model_exports_to_onnx(case: str, tmp_path: Path) -> None:
    assert _export_zoo_model(case, "onnx", tmp_path) <= 1e-5
