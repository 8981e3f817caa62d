"""microgpt reproduces the reference runs of Karpathy's microgpt.py.

The reference numbers (not code) are in tests/data/: run-default.json (seed 42,
the default settings) and run-small.json (seed 3, a two-layer model), both on
the book's names.txt, as printed by the reference program on Linux x86-64 with
CPython 3.11. Every run here is built exactly as ``python -m microgpt`` builds
it: one random.Random(seed), used first to shuffle the documents, then to
initialise the weights, then to draw the samples.

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

from microgpt.data import read_docs
from microgpt.model import Config, init_state_dict, parameters
from microgpt.sample import sample
from microgpt.tokenizer import Tokenizer
from microgpt.train import train

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


def run(path, cfg, stop_after=None, samples=True):
    """A whole run as the command line makes it. cfg is a reference file's
    "config"; stop_after ends training early (the learning-rate schedule still
    counts cfg["steps"], as the full run's does)."""
    rng = random.Random(cfg["seed"])
    docs = read_docs(path)
    rng.shuffle(docs)
    tokenizer = Tokenizer.from_docs(docs)
    config = Config(cfg["n_embd"], cfg["n_head"], cfg["n_layer"], cfg["block_size"])
    state_dict = init_state_dict(config, tokenizer.vocab_size, rng, std=cfg["init_std"])
    out = {"num_docs": len(docs), "vocab_size": tokenizer.vocab_size,
           "num_params": len(parameters(state_dict)), "losses": [], "samples": []}
    for step, loss in train(state_dict, config, tokenizer, docs, cfg["steps"],
                            lr=cfg["learning_rate"]):
        out["losses"].append(loss)
        if step == stop_after:
            return out
    if samples:
        out["samples"] = [sample(state_dict, config, tokenizer, rng, cfg["temperature"])
                          for _ in range(cfg["num_samples"])]
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


def test_default_run_first_50_losses():
    ref = reference("run-default")
    got = run(NAMES, ref["config"], stop_after=50)
    assert (got["num_docs"], got["vocab_size"], got["num_params"]) == (
        ref["num_docs"], ref["vocab_size"], ref["num_params"])
    assert got["losses"] == pytest.approx(ref["losses"][:50], rel=0, abs=1e-9)


def test_small_run_exactly():
    ref = reference("run-small")
    got = run(NAMES, ref["config"])
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
    got = run(NAMES, ref["config"])
    assert len(got["losses"]) == 1000
    assert got["losses"] == ref["losses"]
    assert got["samples"] == ref["samples"]


needs_makemore = pytest.mark.skipif(
    not MAKEMORE.exists(),
    reason=f"Karpathy's names.txt is not at {MAKEMORE} (it is not part of the project)")


@needs_makemore
def test_makemore_names_first_losses():
    cfg = reference("run-default")["config"]
    got = run(MAKEMORE, cfg, stop_after=3)
    assert [round(loss, 4) for loss in got["losses"]] == MAKEMORE_FIRST_LOSSES


@needs_makemore
@pytest.mark.slow
def test_makemore_names_give_karpathys_published_samples():
    cfg = reference("run-default")["config"]
    got = run(MAKEMORE, cfg)
    assert got["num_docs"] == 32_033
    assert got["samples"] == MAKEMORE_SAMPLES
