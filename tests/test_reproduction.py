"""microgpt reproduces the reference runs of Karpathy's microgpt.py.

The reference numbers (not code) are in tests/data/: run-default.json (seed 42,
the default settings) and run-small.json (seed 3, a two-layer model), both on
the book's names.txt, as printed by the reference program on Linux x86-64 with
CPython 3.11. Every run here is the reference path of chapter 9, ``microgpt.run.run``, the
function ``python -m microgpt`` drives: one random.Random(seed), used first to
shuffle the documents, then to initialise the weights, then to draw the samples.

The full default run takes minutes and is marked slow (CI still runs it).
Another platform's libm may differ in the last bits of a float, which is why
the fast check of the default run allows 1e-9; the small run and the full
runs are compared exactly.
"""

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from microgpt.model import Config, init_state_dict, parameters
from microgpt.run import run
from microgpt.sample import sample

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
NAMES = ROOT / "names.txt"
# Karpathy's own names.txt, for tests only (never part of the project).
MAKEMORE = ROOT.parent / "shared" / "reference" / "makemore-names.txt"

# Karpathy's published output of microgpt.py with the defaults on his names.txt.
MAKEMORE_SAMPLES = ["kamon", "ann", "karai", "jaire", "vialan", "karia", "yeran", "anna",
                    "areli", "kaina", "konna", "keylen", "liole", "alerin", "earan",
                    "lenne", "kana", "lara", "alela", "anton"]
MAKEMORE_FIRST_LOSSES = [3.3660, 3.4243, 3.1778]


def reference(name):
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def reproduce(path, cfg, stop_after=None):
    """The reference path (chapter 9's run) with a reference file's "config";
    stop_after ends training early (the learning-rate schedule still counts
    cfg["steps"], as the full run's does)."""
    config = Config(cfg["n_embd"], cfg["n_head"], cfg["n_layer"], cfg["block_size"])
    out = {"losses": [], "samples": []}
    for what, value in run(str(path), cfg["seed"], cfg["steps"], cfg["learning_rate"], cfg["temperature"],
                           cfg["num_samples"], config):
        if what == "num docs":
            out["num_docs"] = len(value)
        elif what == "vocab size":
            out["vocab_size"] = value.vocab_size
        elif what == "num params":
            out["num_params"] = len(parameters(value))
        elif what == "step":
            out["losses"].append(value[1])
            if value[0] == stop_after:
                break
        elif what == "sample":
            out["samples"].append(value)
    return out


def test_reference_settings_are_the_books_defaults():
    # The hyperparameters the reference used are the ones the package assumes
    # (Adam's betas and eps have no flag: they must be adam_update's defaults).
    import inspect

    from microgpt.train import adam_update

    cfg = reference("run-default")["config"]
    adam = inspect.signature(adam_update).parameters
    assert (cfg["beta1"], cfg["beta2"], cfg["eps_adam"], cfg["learning_rate"]) == (
        adam["beta1"].default, adam["beta2"].default, adam["eps"].default, adam["lr"].default)
    assert Config() == Config(cfg["n_embd"], cfg["n_head"], cfg["n_layer"], cfg["block_size"])
    sample_params = inspect.signature(sample).parameters
    assert sample_params["temperature"].default == cfg["temperature"]
    assert inspect.signature(init_state_dict).parameters["std"].default == cfg["init_std"]
    defaults = inspect.signature(run).parameters
    assert (defaults["seed"].default, defaults["steps"].default, defaults["samples"].default) == (
        cfg["seed"], cfg["steps"], cfg["num_samples"])


def test_default_run_first_50_losses():
    ref = reference("run-default")
    got = reproduce(NAMES, ref["config"], stop_after=50)
    assert (got["num_docs"], got["vocab_size"], got["num_params"]) == (
        ref["num_docs"], ref["vocab_size"], ref["num_params"])
    assert got["losses"] == pytest.approx(ref["losses"][:50], rel=0, abs=1e-9)


def test_small_run_exactly():
    ref = reference("run-small")
    got = reproduce(NAMES, ref["config"])
    assert (got["num_docs"], got["vocab_size"], got["num_params"]) == (
        ref["num_docs"], ref["vocab_size"], ref["num_params"])
    assert got["losses"] == ref["losses"]
    assert got["samples"] == ref["samples"]


def test_small_run_from_the_command_line(tmp_path):
    ref = reference("run-small")
    cfg = ref["config"]
    log = tmp_path / "losses.jsonl"
    args = ["--seed", cfg["seed"], "--n-layer", cfg["n_layer"], "--n-embd", cfg["n_embd"],
            "--n-head", cfg["n_head"], "--block-size", cfg["block_size"],
            "--steps", cfg["steps"], "--temperature", cfg["temperature"], "--log", log]
    proc = subprocess.run([sys.executable, "-m", "microgpt", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["step"] for r in records] == list(range(1, cfg["steps"] + 1))
    assert [r["loss"] for r in records] == ref["losses"]
    samples = re.findall(r"^sample\s+\d+: (.*)$", proc.stdout, flags=re.MULTILINE)
    assert samples == ref["samples"]


@pytest.mark.slow
def test_default_run_whole():
    ref = reference("run-default")
    got = reproduce(NAMES, ref["config"])
    assert len(got["losses"]) == 1000
    assert got["losses"] == ref["losses"]
    assert got["samples"] == ref["samples"]


needs_makemore = pytest.mark.skipif(
    not MAKEMORE.exists(),
    reason=f"Karpathy's names.txt is not at {MAKEMORE} (it is not part of the project)")


@needs_makemore
def test_makemore_names_first_losses():
    cfg = reference("run-default")["config"]
    got = reproduce(MAKEMORE, cfg, stop_after=3)
    assert [round(loss, 4) for loss in got["losses"]] == MAKEMORE_FIRST_LOSSES


@needs_makemore
@pytest.mark.slow
def test_makemore_names_give_karpathys_published_samples():
    cfg = reference("run-default")["config"]
    got = reproduce(MAKEMORE, cfg)
    assert got["num_docs"] == 32_033
    assert got["samples"] == MAKEMORE_SAMPLES
