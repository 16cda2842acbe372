"""MAF somatic-mutation files read as a samples x genes mutation matrix (issue #17)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from biodl.cli import main
from biodl.config import load_config, parse_config
from biodl.errors import ConfigError, InputError
from biodl.io.matrix import MAF_NONSILENT, matrix_format, read_maf, read_matrix
from biodl.workflows import predict_file, train_run

HEADER = (
    "Hugo_Symbol\tEntrez_Gene_Id\tChromosome\tStart_Position\tVariant_Classification"
    "\tReference_Allele\tTumor_Seq_Allele2\tTumor_Sample_Barcode"
)


def _maf(rows: list[tuple[str, str, int, str, str]], *, header: str = HEADER) -> str:
    """``(gene, chrom, start, class, barcode)`` rows under a ``#version`` line."""
    lines = ["#version 2.4", "#comment line", header]
    lines += [f"{g}\t0\t{c}\t{s}\t{v}\tA\tT\t{b}" for g, c, s, v, b in rows]
    return "\n".join(lines) + "\n"


A = "TCGA-A1-0001-01A-11D-A10Y-09"
A2 = "TCGA-A1-0001-06A-11D-A10Y-09"  # a metastasis of the same patient
B = "TCGA-B2-0002-01A-11D-A10Y-09"
C = "TCGA-C3-0003-01A-11D-A10Y-09"  # silent and intronic mutations only

ROWS = [
    ("TP53", "17", 100, "Missense_Mutation", A),
    ("TP53", "17", 200, "Nonsense_Mutation", A),
    ("KRAS", "12", 300, "Missense_Mutation", B),
    ("TP53", "17", 100, "Missense_Mutation", A2),
    ("PIK3CA", "3", 400, "Silent", B),
    ("BRCA1", "17", 500, "Frame_Shift_Del", B),
    ("TTN", "2", 600, "Silent", C),
    ("Unknown", "5", 700, "IGR", C),
    ("EGFR", "7", 800, "Intron", C),
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_binary_matrix_of_non_silent_mutations(tmp_path: Path) -> None:
    m = read_matrix(_write(tmp_path / "m.maf", _maf(ROWS)))
    assert m.samples == [A, B, A2, C]  # first appearance; C has no counted mutation
    assert m.features == ["BRCA1", "KRAS", "TP53"]  # sorted; silent/intron genes absent
    assert m.values.dtype == np.float32
    assert m.values.tolist() == [
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, 0.0],
    ]
    assert [line for line, _ in m.records] == [4, 6, 7, 10]
    assert m.annotations == {}
    assert "Silent" not in MAF_NONSILENT
    assert "Splice_Site" in MAF_NONSILENT


def test_count_mode_and_class_filter(tmp_path: Path) -> None:
    p = _write(tmp_path / "m.maf", _maf(ROWS))
    counted = read_matrix(p, maf_value="count")
    assert counted.values[0].tolist() == [0.0, 0.0, 2.0]  # two TP53 mutations in A
    silent = read_matrix(p, maf_classes=["Silent"])
    assert silent.features == ["PIK3CA", "TTN"]
    assert silent.samples == [A, B, A2, C]
    assert silent.values.tolist() == [[0, 0], [1, 0], [0, 0], [0, 1]]
    # "Unknown" is MAF's mark of no gene: never a column, even when its class counts
    igr = read_matrix(p, maf_classes=["IGR", "Intron"])
    assert igr.features == ["EGFR"]


def test_barcode_cutting_pools_aliquots_and_counts_a_variant_once(tmp_path: Path) -> None:
    p = _write(tmp_path / "m.maf", _maf(ROWS))
    patients = read_matrix(p, maf_sample_chars=12, maf_value="count")
    assert patients.samples == ["TCGA-A1-0001", "TCGA-B2-0002", "TCGA-C3-0003"]
    # A and A2 both report TP53 at 17:100: one variant, so 2 (100 and 200), not 3
    assert patients.values[0].tolist() == [0.0, 0.0, 2.0]
    samples = read_matrix(p, maf_sample_chars=15)
    assert samples.samples == [
        "TCGA-A1-0001-01",
        "TCGA-B2-0002-01",
        "TCGA-A1-0001-06",
        "TCGA-C3-0003-01",
    ]


def test_minimal_columns_gzip_and_file_name(tmp_path: Path) -> None:
    text = (
        "#version 2.4\n"
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\n"
        "TP53\ts1\tMissense_Mutation\n"
        "TP53\ts1\tMissense_Mutation\n"  # no position columns: two mutations
        "KRAS\ts2\tSplice_Site\n"
    )
    p = tmp_path / "m.maf.gz"
    with gzip.open(p, "wt") as handle:
        handle.write(text)
    assert matrix_format(p) == "maf"
    m = read_matrix(p, maf_value="count")
    assert m.samples == ["s1", "s2"]
    assert m.features == ["KRAS", "TP53"]
    assert m.values.tolist() == [[0.0, 2.0], [1.0, 0.0]]
    # format: maf reads a file of any name
    plain = _write(tmp_path / "mutations.txt", text)
    assert read_matrix(plain, format="maf").features == ["KRAS", "TP53"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "#version 2.4\nHugo_Symbol\tVariant_Classification\nTP53\tSilent\n",
            r"m\.maf:2: not a MAF header: missing column\(s\) Tumor_Sample_Barcode",
        ),
        (
            _maf(ROWS[:2]) + "KRAS\t0\t12\n",
            r"m\.maf:6: 3 fields where the header has 8 \(too few\)",
        ),
        (
            _maf(ROWS[:2]) + "KRAS\t0\t12\t1\tSilent\tA\tT\ts\textra\n",
            r"m\.maf:6: 9 cells where the header has 8",
        ),
        (_maf([("TP53", "17", 1, "Missense_Mutation", "")]), r"m\.maf:4: empty Tumor_Sample"),
        ("#version 2.4\n" + HEADER + "\n", r"m\.maf:2: the MAF file has no mutation lines"),
        ("#version 2.4\n", r"m\.maf: empty MAF file"),
        (_maf([("TTN", "2", 1, "Silent", "s1")]), r"m\.maf: no mutation of the counted"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    p = _write(tmp_path / "m.maf", text)
    with pytest.raises(InputError, match=message) as info:
        read_maf(p)
    assert "\n" not in str(info.value)


def _source_config(tmp_path: Path, **train: object) -> dict[str, object]:
    return {
        "task": "binary",
        "data": {"train": {"labels": "l.tsv", "label": "y", **train}},
        "model": {"name": "mlp"},
    }


def test_config_options_only_with_maf(tmp_path: Path) -> None:
    ok = parse_config(
        _source_config(tmp_path, matrix="m.maf.gz", maf_value="count", maf_sample_chars=12),
        base_dir=tmp_path,
    )
    assert ok.data.train.maf_value == "count"  # type: ignore[union-attr]
    parse_config(
        _source_config(tmp_path, matrix="m.txt", format="maf", maf_classes=["Silent"]),
        base_dir=tmp_path,
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "task: binary\n"
        "data:\n"
        "  train:\n"
        "    matrix: m.tsv\n"
        "    maf_value: binary\n"
        "    labels: l.tsv\n"
        "    label: y\n"
        "model: {name: mlp}\n"
    )
    with pytest.raises(ConfigError, match=r"c\.yaml:5: maf_value is only for MAF files"):
        load_config(cfg)
    bad: list[tuple[dict[str, object], str]] = [
        (
            {"matrix": "m.maf", "format": "tsv", "maf_sample_chars": 12},
            r"maf_sample_chars is only for MAF files \(format: maf\); this matrix is tsv",
        ),
        ({"matrix": "m.maf", "sample_id": "id"}, "sample_id does not apply to MAF files"),
        (
            {"matrix": "m.maf", "orientation": "features_by_samples"},
            "orientation does not apply to MAF files",
        ),
        ({"matrix": "m.maf", "maf_classes": ["Silent", "Silent"]}, "maf_classes.*distinct"),
        ({"matrix": "m.maf", "maf_classes": []}, "maf_classes"),
        ({"matrix": "m.maf", "maf_value": "yes"}, "maf_value"),
        ({"matrix": "m.maf", "maf_sample_chars": 0}, "maf_sample_chars"),
    ]
    for train, message in bad:
        with pytest.raises(ConfigError, match=message):
            parse_config(_source_config(tmp_path, **train), base_dir=tmp_path)


def _tiny_task(tmp_path: Path, n: int = 40) -> tuple[Path, Path]:
    """A MAF of ``n`` TCGA tumours where class ``mut`` carries a TP53 mutation, plus
    noise mutations; labels by 12-character patient barcode."""
    rng = np.random.default_rng(0)
    rows = []
    labels = ["id\ty\tsplit"]
    for i in range(n):
        barcode = f"TCGA-AA-{i:04d}-01A-11D-A10Y-09"
        mutated = i % 2 == 1
        if mutated:
            rows.append(("TP53", "17", 1000 + i, "Missense_Mutation", barcode))
        for gene in rng.choice(["TTN", "MUC16", "KRAS", "PTEN"], size=2, replace=False):
            rows.append((str(gene), "1", 5000 + i, "Missense_Mutation", barcode))
        rows.append(("OBSCN", "1", 9000 + i, "Silent", barcode))
        split = "test" if i >= n - 10 else ("valid" if i % 5 == 0 else "train")
        labels.append(f"TCGA-AA-{i:04d}\t{'mut' if mutated else 'wt'}\t{split}")
    mpath = _write(tmp_path / "tumours.maf", _maf(rows))
    lpath = _write(tmp_path / "labels.tsv", "\n".join(labels) + "\n")
    return mpath, lpath


def test_train_run_on_a_maf_matrix(tmp_path: Path) -> None:
    mpath, lpath = _tiny_task(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"""task: binary
positive: mut
data:
  train: {{matrix: {mpath}, maf_sample_chars: 12, labels: {lpath}, label: y, split: split}}
  preprocess: [standardize]
model: {{name: mlp, hidden: 8, dropout: 0.0}}
train: {{max_epochs: 30, batch_size: 8, learning_rate: 0.01, seed: 0, progress_bar: false}}
evaluate: {{n_bootstrap: 0}}
"""
    )
    run = train_run(cfg, tmp_path / "run")
    assert (tmp_path / "run" / "model.json").is_file()
    assert run.metrics["test"]["accuracy"]["value"] >= 0.9
    # predict reads a new MAF as training did (barcodes cut to 12) and takes a gene the
    # new file lacks as unmutated (0), not as a missing feature
    block = json.loads((tmp_path / "run" / "model.json").read_text())["matrix"]
    assert block["maf_sample_chars"] == 12
    kept = [line for line in mpath.read_text().splitlines() if not line.startswith("KRAS\t")]
    new = _write(tmp_path / "new.maf", "\n".join(kept) + "\n")
    pred = predict_file(tmp_path / "run", new, tmp_path / "p.tsv")
    ids = [r.split("\t")[0] for r in (tmp_path / "p.tsv").read_text().splitlines()[1:]]
    assert pred.n_sequences == len(ids)
    assert all(len(i) <= 12 for i in ids)


def test_bad_maf_through_the_cli_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mpath, lpath = _tiny_task(tmp_path, n=10)
    mpath.write_text(mpath.read_text() + "TP53\t0\n")
    bad_line = len(mpath.read_text().splitlines())
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"""task: binary
positive: mut
data:
  train: {{matrix: {mpath}, maf_sample_chars: 12, labels: {lpath}, label: y, split: split}}
model: {{name: mlp}}
train: {{max_epochs: 1, progress_bar: false}}
"""
    )
    code = main(["train", str(cfg), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.splitlines() == [err]
    assert f"tumours.maf:{bad_line}: 2 fields where the header has 8" in err
    assert not (tmp_path / "out").exists()
