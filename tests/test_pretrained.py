"""The offline pretrained zoo (``biodl pretrained``): the shipped files match the index,
every model loads, ``get`` + ``predict`` work with no network, errors are one line."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import biodl.workflows.pretrained as zoo
from biodl.cli import main
from biodl.errors import InputError
from biodl.runs import load_run
from biodl.workflows.pretrained import (
    find_pretrained,
    get_pretrained,
    list_pretrained,
    pretrained_total_bytes,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ZOO = Path(str(resources.files("biodl").joinpath("pretrained")))
#: the zoo ships inside the wheel: it must stay small (README states the total)
MAX_TOTAL_BYTES = 5 * 1024 * 1024
#: what a shipped run directory may hold (no predictions, checkpoints, plots, splits)
ALLOWED_FILES = {
    "model.safetensors",
    "model.json",
    "config.yaml",
    "metrics.json",
    "assessment.json",
    "MODEL_CARD.md",
}
REQUIRED_FILES = ALLOWED_FILES - {"assessment.json"}
CTCFL = "deepbind-encode-ctcfl"
#: the issue's list: DeepBind on the ten ENCODE TFs, enhancer, promoter
EXPECTED = {
    *(
        f"deepbind-encode-{tf}"
        for tf in ("arid3a", "ctcfl", "elk1", "foxa1", "gabpa", "myc", "rest", "sp1", "usf1")
    ),
    "deepbind-encode-zbtb7a",
    "ienhancer2l-deepbind-ensemble",
    "promoter-tata-human-deepbind",
    "promoter-tata-mouse-deepbind",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_index_lists_the_expected_models_with_their_facts() -> None:
    models = list_pretrained()
    names = [m.name for m in models]
    assert len(names) == len(set(names))
    assert set(names) >= EXPECTED
    for m in models:
        assert all((m.description, m.task, m.architecture, m.dataset)), m.name
        assert all((m.licence, m.licence_source)), m.name
        assert m.metric["split"] == "test"
        assert isinstance(m.metric["value"], float)
        low, high = m.metric["ci"]
        assert low <= m.metric["value"] <= high, m.name


def test_index_matches_the_files() -> None:
    models = {m.name: m for m in list_pretrained()}
    assert {p.name for p in (ZOO / "models").iterdir()} == set(models)
    for name, m in models.items():
        folder = ZOO / "models" / name
        on_disk = {p.name for p in folder.iterdir()}
        assert on_disk == set(m.files), name
        assert REQUIRED_FILES <= on_disk <= ALLOWED_FILES, name
        for file_name, info in m.files.items():
            path = folder / file_name
            assert path.stat().st_size == info["bytes"], (name, file_name)
            assert _sha256(path) == info["sha256"], (name, file_name)
        assert m.bytes == sum(info["bytes"] for info in m.files.values())
        card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
        assert m.files["model.safetensors"]["sha256"] in card
        assert "licence" in card


def test_shipped_runs_name_no_absolute_data_path() -> None:
    for folder in (ZOO / "models").iterdir():
        for file_name in ("model.json", "config.yaml"):
            text = (folder / file_name).read_text(encoding="utf-8")
            absolute = re.search(r"""(^|[\s"':])/\S*/shared/data/""", text, flags=re.M)
            assert absolute is None, (folder.name, file_name, absolute)


@pytest.mark.parametrize("name", sorted(p.name for p in (ZOO / "models").iterdir()))
def test_every_model_loads(name: str) -> None:
    run = load_run(ZOO / "models" / name)
    entry = find_pretrained(name)
    assert run.input_length == entry.entry["input_length"]
    assert run.meta["outputs"] == entry.entry["outputs"]


def test_total_size_stays_small() -> None:
    total = pretrained_total_bytes()
    on_disk = sum(p.stat().st_size for p in ZOO.rglob("*") if p.is_file())
    assert total == on_disk
    assert total < MAX_TOTAL_BYTES
    index = json.loads((ZOO / "index.json").read_text(encoding="utf-8"))
    assert index["total_bytes"] == sum(m.bytes for m in list_pretrained())


def _fasta(path: Path) -> Path:
    background = ("ACGTTGCAAGCTTACGGATCCATGCAAGTTCAGTACGATCCGATAGCTAGGCTAAT" * 3)[:101]
    motif = "CCACCAGGGGGCGCT"  # the CTCF/CTCFL core motif (BORIS binds the same site)
    with_motif = background[:20] + motif + background[35:60] + motif + background[75:]
    records = {"background": background, "ctcf_motif": with_motif, "poly_a": "A" * 101}
    path.write_text("".join(f">{k}\n{v}\n" for k, v in records.items()))
    return path


#: runs biodl with every network connection refused: the zoo must not download
_NO_NETWORK = (
    "import socket, sys\n"
    "def refuse(*args, **kwargs):\n"
    "    raise OSError('network access attempted')\n"
    "socket.socket.connect = refuse\n"
    "socket.socket.connect_ex = refuse\n"
    "socket.create_connection = refuse\n"
    "socket.getaddrinfo = refuse\n"
    "from biodl.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _biodl(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_PROXY": "*", "HTTPS_PROXY": "http://0.0.0.0:9"}
    return subprocess.run(
        [sys.executable, "-c", _NO_NETWORK, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_get_then_predict_from_the_command_line_without_network(tmp_path: Path) -> None:
    listed = _biodl("pretrained", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert CTCFL in listed.stdout
    assert "in all" in listed.stdout
    got = _biodl("pretrained", "get", CTCFL, "--out", "ctcfl", cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    assert "checksums verified" in got.stdout
    run_dir = tmp_path / "ctcfl"
    assert {p.name for p in run_dir.iterdir()} == set(find_pretrained(CTCFL).files)
    assert not (tmp_path / "ctcfl.partial").exists()
    seqs = _fasta(tmp_path / "seqs.fa")
    pred = _biodl("predict", "--model", "ctcfl", seqs, "--out", "pred.tsv", cwd=tmp_path)
    assert pred.returncode == 0, pred.stderr
    lines = (tmp_path / "pred.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    rows = {r.split("\t")[0]: dict(zip(header, r.split("\t"), strict=True)) for r in lines[1:]}
    assert set(rows) == {"background", "ctcf_motif", "poly_a"}
    scores = {k: float(v["score"]) for k, v in rows.items()}
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert scores["ctcf_motif"] > scores["background"] + 0.3, scores


def test_get_copies_a_loadable_run(tmp_path: Path) -> None:
    out = get_pretrained("DeepBind-Encode-CTCFL", tmp_path / "run")  # case does not matter
    assert load_run(out).input_length == 101
    assert json.loads((out / "metrics.json").read_text())["test"]["auroc"]["value"] > 0.9


def _one_error_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_unknown_name_is_one_line_with_close_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _one_error_line(["pretrained", "get", "deepbind-ctcfl", "--out", "x"], capsys)
    assert "unknown pretrained model 'deepbind-ctcfl'" in line
    assert CTCFL in line
    line = _one_error_line(["pretrained", "get", "zzzz", "--out", str(tmp_path / "x")], capsys)
    assert "unknown pretrained model 'zzzz'" in line
    assert not (tmp_path / "x").exists()


def test_existing_out_is_refused_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n")
    line = _one_error_line(["pretrained", "get", CTCFL, "--out", str(out)], capsys)
    assert "exists" in line
    assert "--force" in line
    assert (out / "keep.txt").read_text() == "mine\n"
    assert main(["pretrained", "get", CTCFL, "--out", str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists()
    load_run(out)


def test_missing_action_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_error_line(["pretrained"], capsys)
    assert "pretrained" in line


def test_a_damaged_package_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "pretrained"
    shutil.copytree(ZOO, copy)
    weights = copy / "models" / CTCFL / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(zoo, "_zoo", lambda: copy)
    with pytest.raises(InputError, match=r"model\.safetensors does not match its size and SHA"):
        get_pretrained(CTCFL, tmp_path / "run")
    assert not (tmp_path / "run").exists()
    assert not (tmp_path / "run.partial").exists()
