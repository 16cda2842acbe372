"""Opening plain and gzip text files; failures become InputError with file and line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from biodl.errors import InputError
from biodl.io import is_gzip, open_text, read_lines


def truncated_gzip(path: Path, text: str, keep: float = 0.6) -> Path:
    """Write ``text`` gzip-compressed to ``path``, then cut off the end of the file."""
    data = gzip.compress(text.encode())
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    hidden = tmp_path / "data.txt"
    hidden.write_bytes(gzip.compress(b"a\nb\n"))
    fake = tmp_path / "plain.gz"
    fake.write_text("c\n")
    assert is_gzip(hidden)
    assert not is_gzip(fake)
    assert [line for _, line in read_lines(hidden)] == ["a\n", "b\n"]
    with open_text(fake) as handle:
        assert handle.read() == "c\n"


def test_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    path.write_bytes(b"\xef\xbb\xbfx\r\ny\r\n")
    assert list(read_lines(path)) == [(1, "x\n"), (2, "y\n")]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError) as info:
        list(read_lines(path))
    assert str(info.value) == f"{path}: file not found"


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        open_text(tmp_path)


def test_truncated_gzip_names_file_and_line(tmp_path: Path) -> None:
    text = "".join(f"line {i} " + "ACGT" * 20 + "\n" for i in range(2000))
    path = truncated_gzip(tmp_path / "cut.txt.gz", text)
    with pytest.raises(InputError) as info:
        list(read_lines(path))
    message = str(info.value)
    assert message.startswith(f"{path}:")
    assert "truncated or corrupt gzip" in message
    assert info.value.line is not None
    assert info.value.line > 1


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.dat"
    path.write_bytes(b"ok\n\xff\xfe\x00\n")
    with pytest.raises(InputError, match=r"not UTF-8 text: byte 0xff"):
        list(read_lines(path))
