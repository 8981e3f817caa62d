"""Chapter 9: the command line, run as a reader runs it (a subprocess)."""

import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--n-embd", "4", "--n-head", "2", "--block-size", "6", "--steps", "3", "--samples", "2"]


def microgpt(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "microgpt", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture
def names(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("anna\nbob\ncarla\ndave\n")
    return str(path)


def test_output_has_the_reference_format(names):
    r = microgpt("--data", names, *TINY)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == ["num docs: 4", "vocab size: 11", f"num params: {11 * 4 * 2 + 6 * 4 + 12 * 4 * 4}"]
    for step, line in enumerate(lines[3:6], start=1):
        assert re.fullmatch(rf"step {step:4d} / {3:4d} \| loss \d+\.\d{{4}}", line), line
    assert lines[6] == "--- inference (new, hallucinated names) ---"
    assert [re.fullmatch(r"sample +(\d+): [a-z]*", line).group(1) for line in lines[7:]] == ["1", "2"]
    assert r.stderr == ""


def test_log_holds_every_loss_at_full_precision(names, tmp_path):
    log = tmp_path / "losses.jsonl"
    r = microgpt("--data", names, *TINY, "--log", str(log))
    assert r.returncode == 0, r.stderr
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["step"] for e in entries] == [1, 2, 3]
    shown = [float(line.rsplit(" ", 1)[1]) for line in r.stdout.splitlines() if line.startswith("step")]
    for entry, rounded in zip(entries, shown):
        assert isinstance(entry["loss"], float) and math.isfinite(entry["loss"])
        assert f"{entry['loss']:.4f}" == f"{rounded:.4f}"
    # Full precision: the log agrees with the same run done in-process.
    import random
    from microgpt.data import load_docs
    from microgpt.model import Config, init_state_dict
    from microgpt.tokenizer import Tokenizer
    from microgpt.train import train
    rng = random.Random(42)
    docs = load_docs(names, rng)
    tok = Tokenizer.from_docs(docs)
    config = Config(4, 2, 1, 6)
    sd = init_state_dict(config, tok.vocab_size, rng)
    assert [loss for _, loss in train(sd, config, tok, docs, 3)] == [e["loss"] for e in entries]


def test_same_seed_same_output_other_seed_other_output(names):
    a, b, c = (microgpt("--data", names, *TINY, "--seed", s) for s in ("1", "1", "2"))
    assert a.stdout == b.stdout
    assert a.stdout != c.stdout


def test_zero_steps_samples_from_the_untrained_model(names):
    r = microgpt("--data", names, *TINY[:-4], "--steps", "0", "--samples", "3")
    assert r.returncode == 0, r.stderr
    assert "step" not in r.stdout
    assert r.stdout.count("sample ") == 3


def test_help_explains_every_flag():
    r = microgpt("--help")
    assert r.returncode == 0
    for flag in ("--data", "--seed", "--steps", "--n-embd", "--n-head", "--n-layer",
                 "--block-size", "--temperature", "--samples", "--log"):
        assert flag in r.stdout
    assert "example: python -m microgpt" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["--n-embd", "10", "--n-head", "4"], "n_embd (10) must be divisible by n_head (4)"),
    (["--n-layer", "0"], "n_layer must be a positive whole number, not 0"),
    (["--block-size", "-3"], "block_size must be a positive whole number, not -3"),
    (["--steps", "-1"], "--steps must be 0 or more, not -1"),
    (["--temperature", "0"], "--temperature must be a number above 0, not 0.0"),
    (["--temperature", "nan"], "--temperature must be a number above 0, not nan"),
    (["--samples", "-2"], "--samples must be 0 or more, not -2"),
    (["--data", "no/such/file.txt"], "no/such/file.txt: no such file"),
    (["--data", "docs"], "docs: is a directory, not a text file"),
    (["--log", "no/such/dir/log.jsonl"], "--log no/such/dir/log.jsonl: cannot write there"),
])
def test_bad_input_is_one_line_exit_2_and_fast(args, message):
    start = time.monotonic()
    r = microgpt(*args)                 # the full 1000-step default run, were it not refused
    assert time.monotonic() - start < 5
    assert r.returncode == 2
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("microgpt: error: ")
    assert message in r.stderr


def test_bad_data_encodings_are_refused(tmp_path):
    for name, data, message in [("latin1.txt", "zoë\n".encode("latin-1"), "not UTF-8 text"),
                                ("empty.txt", b"\n \n", "holds no documents")]:
        (tmp_path / name).write_bytes(data)
        r = microgpt("--data", str(tmp_path / name))
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
