from __future__ import annotations

from pathlib import Path

import pytest

from biodl.config import FractionSplit, TableSource, config_to_dict, load_config, parse_config
from biodl.errors import ConfigError
from biodl.models import validate_params

ISSUE_CONFIG = """\
task: binary
data:
  train:
    table: CTCFL_K562_CTCFL_(SC-98982)_HudsonAlpha_AC.seq.gz
    sequence: seq
    label: Bound
    negatives: {shuffle: dinucleotide, per_positive: 1}
  valid: {fraction: 0.1}
  test:
    table: CTCFL_K562_CTCFL_(SC-98982)_HudsonAlpha_B.seq.gz
    sequence: seq
    label: Bound
model: {name: deepbind}
train: {max_epochs: 30, seed: 1}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_issue_config_parses_and_resolves_paths(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ISSUE_CONFIG))
    assert isinstance(config.data.train, TableSource)
    assert isinstance(config.data.valid, FractionSplit)
    assert config.data.train.negatives is not None
    assert config.data.train.negatives.per_positive == 1
    assert config.train.max_epochs == 30
    assert config.resolve(config.data.train.table) == tmp_path.resolve() / (
        "CTCFL_K562_CTCFL_(SC-98982)_HudsonAlpha_AC.seq.gz"
    )
    dumped = config_to_dict(config)
    assert Path(dumped["data"]["train"]["table"]).is_absolute()
    assert "base_dir" not in dumped


@pytest.mark.parametrize(
    ("old", "new", "expected", "line"),
    [
        (
            "    label: Bound\n    negatives",
            "    lable: Bound\n    negatives",
            "unknown key 'data.train.lable'",
            6,
        ),
        ("max_epochs: 30", "max_epochs: thirty", "'train.max_epochs'", 14),
        ("fraction: 0.1", "fraction: 1.5", "'data.valid.fraction'", 8),
        ("task: binary", "task: binary\nextra: 1", "unknown key 'extra'", 2),
        ("per_positive: 1", "per_positive: one", "'data.train.negatives.per_positive'", 7),
    ],
)
def test_bad_config_names_key_and_line(
    tmp_path: Path, old: str, new: str, expected: str, line: int
) -> None:
    assert old in ISSUE_CONFIG
    path = write(tmp_path, ISSUE_CONFIG.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert expected in message
    assert message.startswith(f"{path}:{line}:")
    assert "\n" not in message


def test_missing_and_empty_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="empty configuration"):
        load_config(write(tmp_path, ""))
    with pytest.raises(ConfigError, match=r"c\.yaml:2: invalid YAML"):
        load_config(write(tmp_path, "task: binary\n  data: [\n"))


def test_source_without_known_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path, ISSUE_CONFIG.replace("  valid: {fraction: 0.1}", "  valid: {fractions: 0.1}")
    )
    with pytest.raises(ConfigError, match=r"'data\.valid' must be a mapping with one of"):
        load_config(path)


def test_model_options_are_checked_against_the_architecture() -> None:
    assert validate_params("deepbind", {"n_filters": 4}).model_dump()["n_filters"] == 4
    with pytest.raises(ConfigError, match=r"unknown key 'model\.nfilters' for model 'deepbind'"):
        validate_params("deepbind", {"nfilters": 4})
    with pytest.raises(ConfigError, match="unknown model 'deepbnd'"):
        validate_params("deepbnd", {})


def test_parse_config_rejects_base_dir_and_non_mapping() -> None:
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        parse_config([1, 2])
    with pytest.raises(ConfigError, match="unknown key 'base_dir'"):
        parse_config({"base_dir": "/", "task": "binary"})


PROTEIN_CONFIG = """\
task: multiclass
data:
  train: {fasta: p.fa, header_label: deeploc}
  valid: {fraction: 0.1}
  alphabet: protein
model: {name: deepfam}
"""


def test_split_homology_shorthand_is_data_homology(tmp_path: Path) -> None:
    short = load_config(write(tmp_path, PROTEIN_CONFIG + "split: {homology: 0.3}\n"))
    long = load_config(
        write(
            tmp_path,
            PROTEIN_CONFIG.replace("  alphabet", "  homology: {identity: 0.3}\n  alphabet"),
        )
    )
    assert short == long
    assert short.data.homology is not None
    assert short.data.homology.identity == 0.3
    assert "split" not in config_to_dict(short)


@pytest.mark.parametrize(
    ("extra", "expected", "line"),
    [
        ("split: {homology: 1.5}\n", "split.homology must be an identity in (0, 1], not 1.5", 7),
        ("split: {homology: 0}\n", "split.homology must be an identity in (0, 1], not 0", 7),
        ("split: {homology: high}\n", "not 'high'", 7),
        ("split: {chromosomes: [chr8]}\n", "split takes one key, homology", 7),
        ("split: 0.3\n", "split takes one key, homology", 7),
    ],
)
def test_split_shorthand_errors_name_the_line(
    tmp_path: Path, expected: str, extra: str, line: int
) -> None:
    path = write(tmp_path, PROTEIN_CONFIG + extra)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}:")


def test_split_and_data_homology_together_is_an_error(tmp_path: Path) -> None:
    text = PROTEIN_CONFIG.replace("  alphabet", "  homology: {identity: 0.3}\n  alphabet")
    with pytest.raises(ConfigError, match="given twice"):
        load_config(write(tmp_path, text + "split: {homology: 0.3}\n"))
