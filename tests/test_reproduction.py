"""microgpt reproduces the reference runs of Karpathy's microgpt.py.

The reference numbers (not code) are in tests/data/: run-default.json (seed 42,
the default settings) and run-small.json (seed 3, a two-layer model), both on
the book's names.txt, as printed by the reference program on Linux x86-64 with
CPython 3.11. Every run here is the reference path of chapter 9, ``microgpt.run.run``, the
function ``python -m microgpt`` drives: one random.Random(seed), used first to
shuffle the documents, then to initialise the weights, then to draw the samples.

The default tier checks the first steps of both runs. The full tier
(``--full``) makes each whole run once and checks everything it can prove: the
default run, through the program itself, gives every one of the reference's
1000 losses and its 20 samples, and the committed checkpoint, loss log and
evaluation of docs/assets/ byte for byte; the small run, every loss and sample;
Karpathy's own names.txt, his published samples. Another platform's libm may
differ in the last bits of a float, which is why the first steps allow 1e-9; the
whole runs are compared exactly.
"""

import inspect
import json
import re
import shlex
from pathlib import Path

import pytest

from microgpt.model import Config, init_state_dict, parameters
from microgpt.run import run
from microgpt.sample import sample

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
ASSETS = ROOT / "docs" / "assets"
NAMES = ROOT / "names.txt"
# Karpathy's own names.txt, for tests only (never part of the project).
MAKEMORE = ROOT.parent / "shared" / "reference" / "makemore-names.txt"
# The command chapter 10 shows, which made docs/assets/default-eval.json.
EVAL_COMMAND = ("python -m microgpt --load docs/assets/default-model.json --samples 200 "
                "--eval-json docs/assets/default-eval.json")

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


@pytest.mark.parametrize("name, steps", [("run-default", 10), ("run-small", 5)])
def test_the_first_steps_of_the_reference_runs(name, steps):
    ref = reference(name)
    got = reproduce(NAMES, ref["config"], stop_after=steps)
    assert (got["num_docs"], got["vocab_size"], got["num_params"]) == (
        ref["num_docs"], ref["vocab_size"], ref["num_params"])
    assert got["losses"] == pytest.approx(ref["losses"][:steps], rel=0, abs=1e-9)


def test_chapter_10_shows_the_command_that_made_the_committed_evaluation():
    assert EVAL_COMMAND in (ROOT / "docs" / "10-did-it-learn.md").read_text(encoding="utf-8")


needs_makemore = pytest.mark.skipif(
    not MAKEMORE.exists(),
    reason=f"Karpathy's names.txt is not at {MAKEMORE} (it is not part of the project)")


@needs_makemore
def test_makemore_names_first_losses():
    cfg = reference("run-default")["config"]
    got = reproduce(MAKEMORE, cfg, stop_after=3)
    assert [round(loss, 4) for loss in got["losses"]] == MAKEMORE_FIRST_LOSSES


# --- the full tier: each whole run once ---------------------------------------------------

@pytest.mark.slow
def test_the_default_run_is_the_references_and_makes_the_committed_assets(tmp_path, main):
    """python -m microgpt --save --log: the whole default run, once, through the program itself;
    then chapter 10's evaluation command on the checkpoint it saved. One run, checked for
    everything it proves: every loss and sample of the reference, and docs/assets/ (which the
    chapters' figures and tables read) byte for byte: the loss log, the checkpoint (every
    weight, and the run's record) and the evaluation."""
    ref = reference("run-default")
    model, log, evaluation = (tmp_path / name for name in ("default-model.json", "default-run.jsonl",
                                                           "default-eval.json"))
    trained = main("--save", model, "--log", log)
    assert trained.returncode == 0, trained.stderr
    lines = trained.stdout.splitlines()
    assert lines[:3] == [f"num docs: {ref['num_docs']}", f"vocab size: {ref['vocab_size']}",
                         f"num params: {ref['num_params']}"]
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["step"] for r in logged] == list(range(1, 1001))
    assert [r["loss"] for r in logged] == ref["losses"]
    assert re.findall(r"^sample\s+\d+: (.*)$", trained.stdout, flags=re.MULTILINE) == ref["samples"]
    assert log.read_bytes() == (ASSETS / "default-run.jsonl").read_bytes()
    assert model.read_bytes() == (ASSETS / "default-model.json").read_bytes()
    evaluated = main(*shlex.split(EVAL_COMMAND.replace("docs/assets/", f"{tmp_path}/"))[3:])
    assert evaluated.returncode == 0, evaluated.stderr
    assert evaluation.read_bytes() == (ASSETS / "default-eval.json").read_bytes()


@pytest.mark.slow
def test_the_small_run_from_the_command_line_exactly(tmp_path, microgpt):
    ref = reference("run-small")
    cfg = ref["config"]
    log = tmp_path / "losses.jsonl"
    r = microgpt("--seed", cfg["seed"], "--n-layer", cfg["n_layer"], "--n-embd", cfg["n_embd"],
                 "--n-head", cfg["n_head"], "--block-size", cfg["block_size"],
                 "--steps", cfg["steps"], "--temperature", cfg["temperature"], "--log", log)
    assert r.returncode == 0, r.stderr
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["step"] for r in records] == list(range(1, cfg["steps"] + 1))
    assert [r["loss"] for r in records] == ref["losses"]
    assert re.findall(r"^sample\s+\d+: (.*)$", r.stdout, flags=re.MULTILINE) == ref["samples"]


@needs_makemore
@pytest.mark.slow
def test_makemore_names_give_karpathys_published_samples():
    cfg = reference("run-default")["config"]
    got = reproduce(MAKEMORE, cfg)
    assert got["num_docs"] == 32_033
    assert got["samples"] == MAKEMORE_SAMPLES
