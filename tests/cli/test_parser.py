"""The ``biodl`` parser: every verb listed explicitly, shared argument types, one-line
errors (exit 2), and the exit status of interrupts and unwritable outputs."""

from __future__ import annotations

import argparse
import errno
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import biodl.cli
from biodl.cli import VERBS, build_parser, main
from biodl.cli._args import device, fraction, int_at_least, positive_int
from biodl.errors import InputError, Terminated

VERB_NAMES = [
    "train",
    "tune",
    "predict",
    "evaluate",
    "cv",
    "models",
    "explain",
    "assess",
    "score-variants",
    "call-variants",
    "evaluate-calls",
    "grn",
    "embed-networks",
    "export",
    "pretrained",
]


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def one_error_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``biodl argv``: exit status 2 and exactly one line on stderr; returns it."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""
    return lines[0]


def test_every_verb_is_listed_in_order_with_register_and_run() -> None:
    assert [m.__name__.rsplit(".", 1)[1] for m in VERBS] == [
        "train",
        "tune",
        "predict",
        "evaluate",
        "cv",
        "models",
        "explain",
        "assess",
        "score_variants",
        "call_variants",
        "evaluate_calls",
        "grn",
        "embed_networks",
        "export",
        "pretrained",
    ]
    parsers = _subcommands(build_parser())
    assert list(parsers) == VERB_NAMES
    for module, name in zip(VERBS, VERB_NAMES, strict=True):
        assert parsers[name].get_default("run") is module.run


def test_help_lists_every_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    # a verb's line is indented by 4 spaces; its wrapped help, further
    listed = [line.split()[0] for line in out.splitlines() if line[:5].count(" ") == 4]
    assert listed == VERB_NAMES


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from biodl.cli import main\n"
        "assert main(['--help']) == 0\n"
        "for verb in ('train', 'predict', 'explain', 'score-variants'):\n"
        "    assert main([verb, '--help']) == 0\n"
        "print('torch' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "False"


def test_python_m_biodl_cli_runs_main() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "biodl.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("biodl ")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["predict", "--model", "m", "in.fa", "--out", "o.tsv", "--batch-size", "0"],
            "biodl predict: error: --batch-size 0: must be at least 1",
        ),
        (
            ["predict", "--model", "m", "in.fa", "--out", "o.tsv", "--batch-size", "x"],
            "biodl predict: error: --batch-size x: not an integer",
        ),
        (
            ["predict", "--model", "m", "in.fa", "--out", "o.tsv", "--device", "nosuch"],
            "biodl predict: error: --device nosuch: not a device; use cpu, cuda, cuda:N or mps",
        ),
        (
            ["explain", "--model", "m", "in.fa", "--out", "o", "--max-sequences", "0"],
            "biodl explain: error: --max-sequences 0: must be at least 1",
        ),
        (
            ["cv", "c.yaml", "--out", "o", "--folds", "1"],
            "biodl cv: error: --folds 1: must be at least 2",
        ),
        (
            ["cv", "c.yaml", "--out", "o", "--homology", "1.5"],
            "biodl cv: error: --homology 1.5: must be in (0, 1]",
        ),
        (
            ["score-variants", "--model", "m", "--genome", "g", "--vcf", "v", "--out", "o",
             "--workers", "-1"],
            "biodl score-variants: error: --workers -1: must be at least 0",
        ),
    ],
)  # fmt: skip
def test_bad_option_values_are_one_line_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert one_error_line(argv, capsys) == expected


def test_missing_option_and_unknown_verb_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_error_line(["predict", "in.fa"], capsys)
    assert line.startswith("biodl predict: error: the following arguments are required: ")
    assert "--model" in line
    line = one_error_line(["nosuch"], capsys)
    assert line.startswith("biodl: error: COMMAND invalid choice: 'nosuch'")


def test_device_cuda_without_a_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    line = one_error_line(
        ["predict", "--model", "m", "in.fa", "--out", "o.tsv", "--device", "cuda"], capsys
    )
    assert line == "biodl predict: error: --device cuda: no CUDA GPU is available on this machine"
    line = one_error_line(
        ["explain", "--model", "m", "in.fa", "--out", "o", "--device", "cuda:1"], capsys
    )
    assert line.endswith("--device cuda:1: no CUDA GPU is available on this machine")


def test_argument_types() -> None:
    assert positive_int("7") == 7
    assert int_at_least(0)("0") == 0
    assert fraction("1") == 1.0
    assert device("CPU") == "cpu"
    for bad in ("cpu:0", "mps:1", "cuda:", "cuda:x", "tpu", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="not a device"):
            device(bad)
    for bad in ("0", "-0.1", "nan", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            fraction(bad)


# ------------------------------------------------------- how a verb's failure ends


def _models_raising(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def run(args: argparse.Namespace) -> int:
        raise exc

    monkeypatch.setattr(biodl.cli.models, "run", run)


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (KeyboardInterrupt(), 130, "biodl: interrupted"),
        (Terminated(), 143, "biodl: terminated"),
        (InputError("bad thing", path="x.fa", line=3), 2, "biodl: error: x.fa:3: bad thing"),
        (
            OSError(errno.ENOSPC, "No space left on device", "/out/p.tsv"),
            2,
            "biodl: error: /out/p.tsv: cannot write the output: No space left on device",
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "/ro/run"),
            2,
            "biodl: error: /ro/run: cannot write the output: Permission denied",
        ),
        (
            OSError(errno.EROFS, "Read-only file system"),
            2,
            "biodl: error: cannot write the output: Read-only file system",
        ),
    ],
)
def test_how_a_verb_failure_ends(
    exc: BaseException,
    code: int,
    line: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _models_raising(monkeypatch, exc)
    assert main(["models"]) == code
    assert capsys.readouterr().err.strip().splitlines() == [line]


def test_lightning_exit_after_an_interrupt_is_the_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lightning's Trainer.fit turns KeyboardInterrupt into sys.exit(1)."""

    def run(args: argparse.Namespace) -> int:
        try:
            raise Terminated
        except KeyboardInterrupt:
            sys.exit(1)

    monkeypatch.setattr(biodl.cli.models, "run", run)
    assert main(["models"]) == 143
    assert capsys.readouterr().err.strip() == "biodl: terminated"


def test_other_errors_keep_their_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    _models_raising(monkeypatch, OSError(errno.EIO, "Input/output error"))
    with pytest.raises(OSError, match="Input/output error"):
        main(["models"])
    _models_raising(monkeypatch, RuntimeError("a bug"))
    with pytest.raises(RuntimeError, match="a bug"):
        main(["models"])
    _models_raising(monkeypatch, SystemExit(3))
    with pytest.raises(SystemExit):
        main(["models"])


def test_sigterm_handler_only_while_main_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen = []

    def run(args: argparse.Namespace) -> int:
        seen.append(signal.getsignal(signal.SIGTERM))
        signal.raise_signal(signal.SIGTERM)
        return 0

    monkeypatch.setattr(biodl.cli.models, "run", run)
    assert main(["models"]) == 143
    assert capsys.readouterr().err.strip() == "biodl: terminated"
    assert seen[0] is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_results_are_path_like(tmp_path: Path) -> None:
    from biodl.workflows import PredictionResult, TrainResult

    run = TrainResult(out=tmp_path / "run", metrics={"test": {}}, notes=("a",))
    assert Path(run) == tmp_path / "run"
    assert str(run) == str(tmp_path / "run")
    assert run / "metrics.json" == tmp_path / "run" / "metrics.json"
    table = tmp_path / "p.tsv"
    table.write_text("id\tpredicted\tprob_a\tprob_b\nx\ta\t0.75\t0.25\ny\tb\t0.5\t0.5\n")
    columns = PredictionResult(out=table, n_sequences=2).table()
    assert columns["id"].tolist() == ["x", "y"]
    assert columns["predicted"].tolist() == ["a", "b"]
    assert columns["prob_a"].tolist() == [0.75, 0.5]
