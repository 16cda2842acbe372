"""A class with a single example in a stratified split: an error, or dropped on request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from biodl.cli import main
from biodl.config import parse_config
from biodl.data import Examples, build_splits, cross_validation_splits
from biodl.data.splits import check_stratifiable, drop_rare_classes
from biodl.errors import InputError

COUNTS = {"A": 12, "B": 12, "C": 1}  # C: a single example (table line 26)


def _write(path: Path, labels: list[str], folds: list[str] | None = None) -> Path:
    rng = np.random.default_rng(len(labels))
    rows = ["id\tseq\tBound" + ("\tfold" if folds else "")]
    for i, label in enumerate(labels):
        seq = "".join(rng.choice(list("ACGT"), 40))
        rows.append(f"s{i}\t{seq}\t{label}" + (f"\t{folds[i]}" if folds else ""))
    path.write_text("\n".join(rows) + "\n")
    return path


def _table(folder: Path, name: str = "t.tsv", counts: dict[str, int] = COUNTS) -> Path:
    return _write(folder / name, [c for c, n in counts.items() for _ in range(n)])


def _config(**data: Any) -> dict[str, Any]:
    return {
        "task": "multiclass",
        "data": {
            "train": {"table": "t.tsv", "sequence": "seq", "label": "Bound", "id": "id"},
            "valid": {"fraction": 0.2},
            **data,
        },
        "model": {"name": "deepbind", "n_filters": 4, "filter_width": 6, "hidden": 4},
        "train": {"max_epochs": 1, "seed": 1, "batch_size": 8, "progress_bar": False},
        "evaluate": {"n_bootstrap": 20},
    }


def test_single_example_class_is_an_error_naming_the_record(tmp_path: Path) -> None:
    _table(tmp_path)
    config = parse_config(_config(), base_dir=tmp_path)
    with pytest.raises(InputError, match="class 'C' has a single example") as err:
        build_splits(config)
    assert err.value.path == str(tmp_path / "t.tsv")
    assert err.value.line == 26
    assert err.value.record == "s24"
    with pytest.raises(InputError, match="stratified folds"):
        cross_validation_splits(config, 3)


def test_min_class_size_drops_rare_classes_everywhere(tmp_path: Path) -> None:
    _table(tmp_path)
    _table(tmp_path, "held.tsv", {"A": 3, "B": 3, "C": 2})
    test = {"table": "held.tsv", "sequence": "seq", "label": "Bound", "id": "id"}
    config = parse_config(_config(min_class_size=2, test=test), base_dir=tmp_path)
    splits = build_splits(config)
    assert splits.dropped == (("C", 1),)
    assert splits.classes == ("A", "B")
    assert splits.test is not None
    assert sorted(set(splits.test.labels)) == ["A", "B"]  # C gone from the test file too
    assert len(splits.train) + len(splits.valid or []) == 24
    _, _, folds = cross_validation_splits(config, 3)
    for fold in folds:
        assert fold.dropped == (("C", 1),)
        assert "C" not in {*fold.train.labels, *(fold.test or Examples.concat([])).labels}


def test_a_class_of_two_is_kept_and_stratified(tmp_path: Path) -> None:
    _table(tmp_path, counts={"A": 12, "B": 12, "C": 2})
    config = parse_config(_config(min_class_size=2), base_dir=tmp_path)
    splits = build_splits(config)
    assert splits.dropped == ()
    assert "C" in splits.classes


def test_given_folds_are_not_checked(tmp_path: Path) -> None:
    """User-given folds are the user's decision: no stratification, no check."""
    labels = ["A"] * 6 + ["B"] * 5 + ["C"]
    _write(tmp_path / "t.tsv", labels, [str(i % 3) for i in range(12)])
    config = _config()
    config["data"]["train"]["fold"] = "fold"
    _, names, _ = cross_validation_splits(parse_config(config, base_dir=tmp_path), 3)
    assert names == ["0", "1", "2"]


def test_check_and_drop_leave_a_clean_set_alone() -> None:
    ex = Examples(
        sequences=["AC", "GT", "AA", "CC"],
        labels=["a", "a", "b", "b"],
        ids=["1", "2", "3", "4"],
        origins=[("t.tsv", i) for i in range(2, 6)],
    )
    check_stratifiable(ex, what="a stratified split")
    kept, dropped = drop_rare_classes(ex, 2)
    assert kept is ex
    assert dropped == ()


@pytest.mark.parametrize("verb", ["train", "cv"])
def test_cli_exit_2_and_nothing_written(
    verb: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _table(tmp_path)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(_config()))
    out = tmp_path / "out"
    argv = [verb, str(path), "--out", str(out)] + (["--folds", "2"] if verb == "cv" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "t.tsv:26: record 's24': class 'C' has a single example" in err
    assert "data.min_class_size" in err
    assert not out.exists()
    assert not (tmp_path / "out.partial").exists()


def test_cli_records_the_dropped_classes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _table(tmp_path)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(_config(min_class_size=2)))
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 0
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert meta["data"]["dropped_classes"] == {"C": 1}
    assert meta["outputs"] == ["A", "B"]
    assert "dropped classes (data.min_class_size): C (1)" in capsys.readouterr().out
    assert main(["cv", str(path), "--folds", "2", "--out", str(tmp_path / "cv")]) == 0
    assert json.loads((tmp_path / "cv" / "cv.json").read_text())["dropped_classes"] == {"C": 1}
    assert "dropped classes (data.min_class_size): C (1)" in capsys.readouterr().out


def test_min_class_size_below_two_is_a_config_error(tmp_path: Path) -> None:
    _table(tmp_path)
    with pytest.raises(InputError, match="min_class_size"):
        parse_config(_config(min_class_size=1), base_dir=tmp_path)
