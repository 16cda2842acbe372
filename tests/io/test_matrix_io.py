"""Expression-matrix readers: formats, orientations and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biodl.errors import InputError
from biodl.io.matrix import read_matrix, read_sample_table


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_samples_by_features_tsv(tmp_path: Path) -> None:
    p = _write(tmp_path / "m.tsv", "id\tg1\tg2\ty\ns1\t1\t2\tA\ns2\t3\tNA\tB\n")
    m = read_matrix(p, sample_id="id", annotations=["y"])
    assert m.samples == ["s1", "s2"]
    assert m.features == ["g1", "g2"]
    assert m.values[0].tolist() == [1.0, 2.0]
    assert np.isnan(m.values[1, 1])
    assert m.annotations["y"] == ["A", "B"]


def test_features_by_samples_csv_with_skipped_columns(tmp_path: Path) -> None:
    p = _write(tmp_path / "m.csv", "desc,gene,1,call,2,call\nx,g1,5,P,6,A\ny,g2,7,P,8,A\n")
    m = read_matrix(
        p, orientation="features_by_samples", feature_id="gene", skip_columns=["desc", "call"]
    )
    assert m.samples == ["1", "2"]
    assert m.features == ["g1", "g2"]
    assert m.values.tolist() == [[5.0, 7.0], [6.0, 8.0]]


def test_gct(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "m.gct",
        "#1.2\n2\t2\nName\tDescription\tsA\tsB\ng1\tna\t1\t2\ng2\tna\t3\t4\n",
    )
    m = read_matrix(p)
    assert m.samples == ["sA", "sB"]
    assert m.values.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_h5ad(tmp_path: Path) -> None:
    anndata = pytest.importorskip("anndata")
    import pandas as pd

    adata = anndata.AnnData(
        X=np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32),
        obs=pd.DataFrame({"cell_type": ["T", "B"]}, index=["c1", "c2"]),
        var=pd.DataFrame(index=["g1", "g2"]),
    )
    adata.write_h5ad(tmp_path / "m.h5ad")
    m = read_matrix(tmp_path / "m.h5ad")
    assert m.samples == ["c1", "c2"]
    assert m.annotations["cell_type"] == ["T", "B"]


def test_h5ad_without_anndata_says_what_to_install(tmp_path: Path) -> None:
    pytest.importorskip("pytest")
    try:
        import anndata  # noqa: F401
    except ImportError:
        p = _write(tmp_path / "m.h5ad", "x")
        with pytest.raises(InputError, match=r"pip install 'biodl\[anndata\]'"):
            read_matrix(p)
    else:
        pytest.skip("anndata is installed")


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("id\tg1\ns1\tx\n", {"sample_id": "id"}, r"m\.tsv:2: column 'g1': 'x' is not a number"),
        ("id\tg1\ns1\t1\ns1\t2\n", {"sample_id": "id"}, r"m\.tsv:3: duplicate sample id 's1'"),
        ("id\tg1\tg1\ns1\t1\t2\n", {"sample_id": "id"}, r"m\.tsv:1: duplicate feature id 'g1'"),
        (
            "g\ts1\ng1\t1\ng1\t2\n",
            {"orientation": "features_by_samples"},
            r"m\.tsv:3: duplicate feature",
        ),
        ("id\tg1\ns1\t1\t2\t3\n", {"sample_id": "id"}, r"m\.tsv:2: 4 cells where the header has 2"),
    ],
)
def test_bad_input_names_file_and_line(
    tmp_path: Path, text: str, kwargs: dict, message: str
) -> None:
    p = _write(tmp_path / "m.tsv", text)
    with pytest.raises(InputError, match=message):
        read_matrix(p, **kwargs)


def test_sample_table_duplicate(tmp_path: Path) -> None:
    p = _write(tmp_path / "l.csv", "id,y\na,1\na,0\n")
    with pytest.raises(InputError, match=r"l\.csv:3: duplicate sample id 'a'"):
        read_sample_table(p)
