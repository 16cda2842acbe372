"""Outputs: checked before any work, never over an input, never half-written.

Each refusal goes through the command line in-process (``biodl.cli.main``): exit status
2, one stderr line naming the path, the inputs byte-identical afterwards and no
temporary file or ``.partial`` folder left behind.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from biodl.cli import main
from biodl.errors import InputError
from biodl.io import atomic
from biodl.io.atomic import (
    OutputError,
    atomic_open,
    atomic_path,
    atomic_write_text,
    check_output_dir,
    check_output_path,
    staged_dir,
)
from biodl.testing.variants import write_genome, write_tiny_run, write_vcf

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_tiny_run(tmp_path / "run", length=11)


@pytest.fixture
def fasta(tmp_path: Path) -> Path:
    path = tmp_path / "x.fa"
    path.write_text(">a\nACGTACGTACG\n>b\nTTTTACGTACG\n")
    return path


@pytest.fixture
def variants(tmp_path: Path) -> dict[str, Path]:
    chrom = "ACGT" * 25
    genome = write_genome(tmp_path / "genome.fa", {"chr1": chrom})
    vcf = write_vcf(tmp_path / "in.vcf", [("chr1", 50, "v1", chrom[49], "T")])
    return {"genome": genome, "vcf": vcf}


def _leftovers(folder: Path) -> list[str]:
    """Temporary files and staged folders anywhere under ``folder``."""
    return sorted(
        os.fspath(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.endswith((".tmp", ".partial")) or ".tmp." in p.name
    )


def _refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], *, names: Path, contains: str
) -> str:
    """Run ``argv``; check exit 2 and one stderr line naming ``names``; return it."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("biodl: error: ")
    assert os.fspath(names) in lines[0]
    assert contains in lines[0]
    assert "Traceback" not in err
    return lines[0]


def _snapshot(*paths: Path) -> dict[Path, bytes]:
    found: dict[Path, bytes] = {}
    for p in paths:
        for f in [p] if p.is_file() else sorted(p.rglob("*")):
            if f.is_file():
                found[f] = f.read_bytes()
    return found


# ---------------------------------------------------------------------------
# predict
# ---------------------------------------------------------------------------


def test_predict_out_equal_to_input(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(fasta, run_dir)
    argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(fasta)]
    _refused(capsys, argv, names=fasta, contains="--out is an input of this job")
    assert _snapshot(fasta, run_dir) == before
    assert _leftovers(tmp_path) == []


def test_predict_out_equal_to_input_through_a_link(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "link.fa"
    link.symlink_to(fasta)
    before = fasta.read_bytes()
    argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(link)]
    _refused(capsys, argv, names=link, contains="--out is an input of this job")
    assert fasta.read_bytes() == before


def test_predict_out_is_a_file_of_the_run(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(run_dir)
    out = run_dir / "model.json"
    argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]
    _refused(capsys, argv, names=out, contains="--out is an input of this job")
    assert _snapshot(run_dir) == before


def test_predict_out_is_a_folder(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "folder"
    out.mkdir()
    argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]
    _refused(capsys, argv, names=out, contains="--out is a folder")
    assert list(out.iterdir()) == []


def test_predict_missing_parent_folder(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "p.tsv"
    argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]
    _refused(capsys, argv, names=out, contains="does not exist")
    assert not out.parent.exists()


def test_predict_disk_full(
    tmp_path: Path,
    run_dir: Path,
    fasta: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", os.fspath(dst))  # type: ignore[arg-type]

    out = tmp_path / "p.tsv"
    monkeypatch.setattr(atomic.os, "replace", full)
    argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]
    _refused(capsys, argv, names=out, contains="no space left on the device")
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_predict_disk_full_while_writing(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ENOSPC raised by the writer itself (inside the block), not by the rename."""
    out = tmp_path / "p.tsv"
    real = atomic.atomic_path

    from contextlib import contextmanager

    @contextmanager
    def filling(path: object, **kw: object) -> Iterator[Path]:
        with real(path, **kw) as tmp:  # type: ignore[arg-type]
            yield tmp
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as m:
        m.setattr(atomic, "atomic_path", filling)
        argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]
        _refused(capsys, argv, names=out, contains="no space left on the device")
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_predict_read_only_folder_via_access(
    tmp_path: Path,
    run_dir: Path,
    fasta: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    real = os.access

    def access(path: object, mode: int, **kw: object) -> bool:
        if Path(os.fspath(path)).absolute() == folder.absolute() and mode & os.W_OK:  # type: ignore[arg-type]
            return False
        return real(path, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "access", access)
    out = folder / "p.tsv"
    argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]
    _refused(capsys, argv, names=out, contains="is not writable")
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(ROOT, reason="root ignores file permissions")
def test_predict_read_only_folder(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        out = folder / "p.tsv"
        argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]
        _refused(capsys, argv, names=out, contains="is not writable")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_predict_writes_nothing_for_an_empty_input(
    tmp_path: Path, run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    out = tmp_path / "p.tsv"
    argv = ["predict", "--model", str(run_dir), str(empty), "--out", str(out)]
    _refused(capsys, argv, names=empty, contains="empty")
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_predict_output_honours_the_umask(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.tsv"
    old = os.umask(0o022)
    try:
        assert main(["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]) == 0
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644
    assert out.read_text().splitlines()[0] == "id\tscore\tlogit\tpredicted"
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# score-variants
# ---------------------------------------------------------------------------


def _score_argv(run: Path, v: dict[str, Path], out: Path, tsv: Path | None = None) -> list[str]:
    argv = ["score-variants", "--model", str(run), "--genome", str(v["genome"])]
    argv += ["--vcf", str(v["vcf"]), "--out", str(out)]
    return argv + (["--tsv", str(tsv)] if tsv is not None else [])


@pytest.mark.parametrize("which", ["out", "tsv"])
def test_score_variants_output_equal_to_the_vcf(
    tmp_path: Path,
    run_dir: Path,
    variants: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    which: str,
) -> None:
    vcf = variants["vcf"]
    before = _snapshot(vcf, variants["genome"])
    if which == "out":
        argv = _score_argv(run_dir, variants, vcf)
    else:
        argv = _score_argv(run_dir, variants, tmp_path / "o.vcf", vcf)
    _refused(capsys, argv, names=vcf, contains=f"--{which} is an input of this job")
    assert _snapshot(vcf, variants["genome"]) == before
    assert not (tmp_path / "o.vcf").exists()
    assert _leftovers(tmp_path) == []


def test_score_variants_tsv_equal_to_out(
    tmp_path: Path, run_dir: Path, variants: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.vcf"
    argv = _score_argv(run_dir, variants, out, out)
    _refused(capsys, argv, names=out, contains="--tsv is the same file as --out")
    assert not out.exists()


def test_score_variants_out_is_the_genome(
    tmp_path: Path, run_dir: Path, variants: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    genome = variants["genome"]
    before = genome.read_bytes()
    _refused(
        capsys,
        _score_argv(run_dir, variants, genome),
        names=genome,
        contains="--out is an input of this job",
    )
    assert genome.read_bytes() == before


@pytest.mark.parametrize("name", ["o.vcf.gz", "o.vcf"])
def test_score_variants_read_only_folder_via_access(
    tmp_path: Path,
    run_dir: Path,
    variants: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """Checked before pysam opens anything (its BGZF writer crashes on such a path)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    real = os.access

    def access(path: object, mode: int, **kw: object) -> bool:
        if Path(os.fspath(path)).absolute() == folder.absolute() and mode & os.W_OK:  # type: ignore[arg-type]
            return False
        return real(path, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "access", access)
    out = folder / name
    _refused(capsys, _score_argv(run_dir, variants, out), names=out, contains="is not writable")
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(ROOT, reason="root ignores file permissions")
def test_score_variants_read_only_folder(
    tmp_path: Path, run_dir: Path, variants: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        out = folder / "o.vcf.gz"
        argv = _score_argv(run_dir, variants, out)
        _refused(capsys, argv, names=out, contains="is not writable")
    finally:
        folder.chmod(0o755)


def test_score_variants_missing_folder_and_folder_out(
    tmp_path: Path, run_dir: Path, variants: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope" / "o.vcf.gz"
    _refused(capsys, _score_argv(run_dir, variants, missing), names=missing, contains="exist")
    _refused(capsys, _score_argv(run_dir, variants, tmp_path), names=tmp_path, contains="folder")


def test_score_variants_commits_the_index_with_the_vcf(
    tmp_path: Path, run_dir: Path, variants: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.vcf.gz"
    stale = tmp_path / "o.vcf.gz.tbi"
    stale.write_bytes(b"old index")
    assert main(_score_argv(run_dir, variants, out)) == 0
    assert out.is_file()
    assert stale.is_file()
    assert stale.read_bytes() != b"old index"
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# folders: evaluate, train, cv, explain, assess
# ---------------------------------------------------------------------------


def test_evaluate_out_is_the_run(
    run_dir: Path, write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config()
    before = _snapshot(run_dir, config)
    argv = ["evaluate", "--model", str(run_dir), str(config), "--out", str(run_dir)]
    _refused(capsys, argv, names=run_dir, contains="--out holds an input of this job")
    assert _snapshot(run_dir, config) == before
    assert _leftovers(run_dir.parent) == []


def test_evaluate_out_holding_the_data(
    run_dir: Path,
    motif_tables: Path,
    write_config: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config()
    before = _snapshot(motif_tables)
    argv = ["evaluate", "--model", str(run_dir), str(config), "--out", str(motif_tables)]
    _refused(capsys, argv, names=motif_tables, contains="holds an input of this job")
    assert _snapshot(motif_tables) == before


def test_train_force_into_the_folder_of_the_config(
    motif_tables: Path, write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config()
    before = _snapshot(motif_tables)
    argv = ["train", str(config), "--out", str(motif_tables), "--force"]
    line = _refused(capsys, argv, names=motif_tables, contains="holds an input of this job")
    assert config.name in line
    assert _snapshot(motif_tables) == before
    assert not Path(f"{motif_tables}.partial").exists()


def test_train_force_into_a_parent_of_the_data(
    tmp_path: Path, motif_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The configuration lives elsewhere; --out is a folder above the data files."""
    from tests.conftest import base_config

    config = base_config()
    for split in ("train", "test"):
        config["data"][split]["table"] = os.fspath(motif_tables / config["data"][split]["table"])
    path = tmp_path / "c.yaml"
    import yaml

    path.write_text(yaml.safe_dump(config))
    before = _snapshot(motif_tables)
    parent = motif_tables.parent
    argv = ["train", str(path), "--out", str(parent), "--force"]
    _refused(capsys, argv, names=parent, contains="holds an input of this job")
    assert _snapshot(motif_tables) == before


def test_train_out_is_a_file(
    tmp_path: Path, write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "file"
    out.write_text("keep")
    argv = ["train", str(write_config()), "--out", str(out), "--force"]
    _refused(capsys, argv, names=out, contains="exists and is not a folder")
    assert out.read_text() == "keep"


def test_cv_force_into_the_folder_of_the_config(
    motif_tables: Path, write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config()
    before = _snapshot(motif_tables)
    argv = ["cv", str(config), "--folds", "2", "--out", str(motif_tables), "--force"]
    _refused(capsys, argv, names=motif_tables, contains="holds an input of this job")
    assert _snapshot(motif_tables) == before


def test_explain_force_into_the_run(
    run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(run_dir, fasta)
    argv = ["explain", "--model", str(run_dir), str(fasta), "--out", str(run_dir), "--force"]
    _refused(capsys, argv, names=run_dir, contains="holds an input of this job")
    assert _snapshot(run_dir, fasta) == before


def test_explain_force_into_the_folder_of_the_input(
    tmp_path: Path, run_dir: Path, fasta: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(tmp_path)
    argv = ["explain", "--model", str(run_dir), str(fasta), "--out", str(tmp_path), "--force"]
    _refused(capsys, argv, names=tmp_path, contains="holds an input of this job")
    assert _snapshot(tmp_path) == before


def test_assess_force_into_the_run(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(run_dir)
    argv = ["assess", "--model", str(run_dir), "--out", str(run_dir), "--force"]
    _refused(capsys, argv, names=run_dir, contains="holds an input of this job")
    assert _snapshot(run_dir) == before


# ---------------------------------------------------------------------------
# biodl.io.atomic itself
# ---------------------------------------------------------------------------


def test_check_output_path_messages(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("x")
    with pytest.raises(OutputError, match="--tsv is an input of this job"):
        check_output_path(src, inputs=[None, src], what="--tsv")
    assert check_output_path(tmp_path / "new.txt", inputs=[src]) == tmp_path / "new.txt"


def test_check_output_dir_refuses_non_empty_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "f").write_text("x")
    with pytest.raises(OutputError, match="use --force"):
        check_output_dir(out)
    assert check_output_dir(out, force=True) == out


def test_atomic_open_removes_its_temporary_on_error(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old")

    def fail() -> None:
        with atomic_open(target) as fh:
            fh.write("new")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]


def test_reading_a_missing_input_inside_a_block_is_not_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "o.txt"):
        (tmp_path / "missing-input.txt").read_text()
    with pytest.raises(FileNotFoundError), staged_dir(tmp_path / "out"):
        (tmp_path / "missing-input.txt").read_text()
    assert list(tmp_path.iterdir()) == []


def test_companions_are_committed_and_stale_ones_removed(tmp_path: Path) -> None:
    target = tmp_path / "v.vcf.gz"
    (tmp_path / "v.vcf.gz.csi").write_text("stale")
    with atomic_path(target, companions=(".tbi", ".csi")) as tmp:
        tmp.write_bytes(b"data")
        Path(f"{tmp}.tbi").write_bytes(b"index")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.vcf.gz", "v.vcf.gz.tbi"]

    def fail() -> None:
        with atomic_path(target, companions=(".tbi",)) as tmp:
            tmp.write_bytes(b"new")
            Path(f"{tmp}.tbi").write_bytes(b"new index")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail()
    assert (tmp_path / "v.vcf.gz.tbi").read_bytes() == b"index"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.vcf.gz", "v.vcf.gz.tbi"]


def test_staged_dir_keeps_the_partial_folder_on_interrupt_only(tmp_path: Path) -> None:
    out = tmp_path / "run"

    def interrupted() -> None:
        with staged_dir(out, keep_on_interrupt=True) as part:
            (part / "checkpoint").write_text("1")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert (tmp_path / "run.partial" / "checkpoint").read_text() == "1"
    with staged_dir(out, reuse=True) as part:  # resume: continue in it
        assert (part / "checkpoint").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    with (
        pytest.raises(ValueError, match="bad"),
        staged_dir(out, force=True, keep_on_interrupt=True),
    ):
        raise ValueError("bad")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert (out / "checkpoint").read_text() == "1"  # the old run is untouched


def test_atomic_write_text_is_an_input_error_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(InputError, match="no space left on the device"):
        atomic_write_text(tmp_path / "a.txt", "x")
    assert list(tmp_path.iterdir()) == []


_KILLED = """
import os, signal, sys, pathlib
from biodl.io.atomic import atomic_path, staged_dir
d = pathlib.Path(sys.argv[1])
with staged_dir(d / "out") as part, atomic_path(d / "f.txt") as tmp:
    tmp.write_text("half")
    (part / "x").write_text("half")
    print("ready", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_watcher_removes_temporaries_after_sigkill(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BIODL_NO_WATCHER"}
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED, os.fspath(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL
    assert proc.stdout.strip() == "ready"
    deadline = time.monotonic() + 10
    while list(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def immutable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write into, not even root (``chattr +i``); skipped where the
    file system or the machine does not support the attribute."""
    folder = tmp_path / "immutable"
    folder.mkdir()
    try:
        done = subprocess.run(["chattr", "+i", os.fspath(folder)], capture_output=True, check=False)
    except OSError:
        pytest.skip("no chattr on this machine")
    if done.returncode != 0:
        pytest.skip("this file system has no immutable attribute")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", os.fspath(folder)], check=False)


@pytest.mark.parametrize("verb", ["predict", "score-variants"])
def test_a_folder_no_one_may_write_is_refused_before_any_work(
    verb: str,
    immutable_folder: Path,
    run_dir: Path,
    fasta: Path,
    variants: dict[str, Path],
) -> None:
    """Even as root (CI runs as root): pysam's BGZF writer crashed the process on an
    unwritable folder; the output check refuses it first, with one line, exit 2."""
    out = immutable_folder / ("p.tsv" if verb == "predict" else "s.vcf.gz")
    if verb == "predict":
        argv = ["predict", "--model", str(run_dir), str(fasta), "--out", str(out)]
    else:
        argv = _score_argv(run_dir, variants, out)
    proc = subprocess.run(
        [sys.executable, "-m", "biodl.cli", *argv], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("biodl: error: ")
    assert str(out) in lines[0]
    assert list(immutable_folder.iterdir()) == []
