"""Chapter 14: files, signals and checkpoints. The tool's data-file policy (around chapter 1's
read_docs), its atomic writes and signals, and the run a checkpoint records."""

import os
import signal
from pathlib import Path

import pytest

from microgpt import checkpoint, guard
from microgpt.guard import check_data

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path, data, name="docs.txt"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def test_missing_file(tmp_path):
    path = str(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="no such file") as e:
        check_data(path)
    assert str(e.value).startswith(path)


def test_directory(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        check_data(str(tmp_path))


def test_not_utf8(tmp_path):
    path = write(tmp_path, b"anna\n\xff\xfebob\n")
    with pytest.raises(ValueError, match=r"not UTF-8 text \(bad byte at offset 5\)"):
        check_data(path)


@pytest.mark.parametrize("text", ["", "\n", "  \n\t\n \r\n"])
def test_empty_or_blank_only(tmp_path, text):
    with pytest.raises(ValueError, match="holds no documents"):
        check_data(write(tmp_path, text))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable(tmp_path):
    path = write(tmp_path, "a\n")
    os.chmod(path, 0)
    with pytest.raises(ValueError, match="cannot be read"):
        check_data(path)


def test_errors_are_one_line(tmp_path):
    for path in (str(tmp_path / "x"), str(tmp_path), write(tmp_path, b"\x80"), write(tmp_path, "\n")):
        with pytest.raises(ValueError) as e:
            check_data(path)
        assert "\n" not in str(e.value)


def test_a_symbolic_link_to_itself_is_not_called_missing(tmp_path):
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    with pytest.raises(ValueError, match=r"loop.txt: cannot be read \(Too many levels of symbolic links\)"):
        check_data(str(loop))


def test_a_signal_in_the_middle_of_a_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    from microgpt import guard

    real_fsync = os.fsync

    def interrupted_fsync(fd):
        os.kill(os.getpid(), signal.SIGTERM)             # kill, while the bytes go to disk
        real_fsync(fd)

    guard.stop_on_signals()
    monkeypatch.setattr(guard.os, "fsync", interrupted_fsync)
    try:
        with pytest.raises(guard.Stopped):
            guard.write_atomically(str(tmp_path / "m.json"), "{}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert list(tmp_path.iterdir()) == []


MODEL = ROOT / "docs" / "assets" / "default-model.json"


def test_the_checkpoint_run_is_rebuilt_and_its_held_out_names_are_unseen(seeded):
    import json

    from microgpt.evaluate import HELD_OUT, framed, split
    committed = json.loads((ROOT / "docs" / "assets" / "default-eval.json").read_text(encoding="utf-8"))
    config, tok, state_dict, saved = checkpoint.load(str(MODEL))
    docs = checkpoint.run_docs(saved["run"])
    assert docs == seeded()[0]
    trained, held_out = split(docs, saved["step"])
    assert not set(held_out) & set(trained)
    assert committed["held_out"] == len(held_out) and committed["steps"] == saved["step"]
    assert committed["positions"] == sum(framed(tok, config, doc)[1] for doc in held_out)
    assert 0.98 * HELD_OUT < len(held_out) < HELD_OUT   # "slightly fewer than 500"
