"""Chapter 10: did it learn? (microgpt/evaluate.py and the --eval flag).

The chapter's numbers come from docs/assets/default-eval.json, made from the
committed default checkpoint by the command the chapter shows; the full tier
(tests/test_reproduction.py) makes the default run and that file again and
compares them byte for byte. The tests here check the evaluation code on small
data, and the chapter's conclusions against the committed file.
"""

import json
import math
import random
import signal
from pathlib import Path

import pytest

from microgpt import checkpoint
from microgpt.evaluate import (HELD_OUT, bigram, bigram_nll, bigram_sample, evaluate, framed, model_nll,
                               run_docs, split, table)
from microgpt.model import Config, empty_cache, gpt, init_state_dict, softmax
from microgpt.tokenizer import Tokenizer
from microgpt.train import train

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "docs" / "assets"
MODEL = ASSETS / "default-model.json"
EVAL = ASSETS / "default-eval.json"
TINY = ["--n-embd", "4", "--n-head", "2", "--block-size", "6"]


@pytest.fixture(scope="module")
def default_docs(seeded):
    """A function: a fresh copy of the default run's shuffled documents."""
    docs = seeded()[0]
    return lambda: list(docs)


@pytest.fixture(scope="module")
def committed():
    return json.loads(EVAL.read_text(encoding="utf-8"))


@pytest.fixture
def short_names(tmp_path):
    """A data file of 530 two-letter names (so --eval has a held-out set, and is quick)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [a + b for a in letters for b in letters][:530]
    path = tmp_path / "short.txt"
    path.write_text("".join(n + "\n" for n in names))
    return path


def small_trained_model(docs, steps=5):
    tok = Tokenizer.from_docs(docs)
    config = Config(n_embd=4, n_head=2, n_layer=1, block_size=16)
    state_dict = init_state_dict(config, tok.vocab_size, random.Random(1))
    for _ in train(state_dict, config, tok, docs, steps):
        pass
    return config, tok, state_dict


# --- the held-out set -------------------------------------------------------------------

@pytest.mark.parametrize("steps", [0, 1000, 20_000, 32_469 - HELD_OUT])
def test_held_out_names_and_trained_names_are_disjoint(steps, default_docs):
    docs = default_docs()
    trained, held_out = split(docs, steps)
    assert trained == docs[:steps]
    assert not set(held_out) & set(trained)
    assert set(held_out) <= set(docs[-HELD_OUT:])
    assert len(held_out) == sum(doc not in set(trained) for doc in docs[-HELD_OUT:])


def test_the_checkpoint_run_is_rebuilt_and_its_held_out_names_are_unseen(committed, default_docs):
    config, tok, state_dict, saved = checkpoint.load(str(MODEL))
    docs = run_docs(saved["run"])
    assert docs == default_docs()
    trained, held_out = split(docs, saved["step"])
    assert not set(held_out) & set(trained)
    assert committed["held_out"] == len(held_out) and committed["steps"] == saved["step"]
    assert committed["positions"] == sum(framed(tok, config, doc)[1] for doc in held_out)
    assert 0.98 * HELD_OUT < len(held_out) < HELD_OUT   # "slightly fewer than 500"


def test_split_refuses_a_run_that_reached_the_held_out_names(default_docs):
    docs = default_docs()
    for steps in (len(docs) - HELD_OUT + 1, len(docs), 40_000):
        with pytest.raises(ValueError, match="must have at most 31969 steps"):
            split(docs, steps)
    with pytest.raises(ValueError, match="has only 10"):
        split(docs[:10], 0)


# --- the loss and the baselines ---------------------------------------------------------

def test_uniform_baseline_is_ln_vocab(committed, default_docs):
    docs = default_docs()
    config, tok, state_dict = small_trained_model(docs)
    result = evaluate(state_dict, config, tok, docs, 5, [], size=40)
    assert math.isclose(result["models"]["uniform"]["loss"], math.log(tok.vocab_size), rel_tol=1e-12)
    assert math.isclose(committed["models"]["uniform"]["loss"], math.log(27), rel_tol=1e-12)


def test_bigram_probabilities_sum_to_one_for_every_context(default_docs):
    docs = default_docs()
    tok, config = Tokenizer.from_docs(docs), Config()
    table_ = bigram(tok, config, docs[:1000])
    assert len(table_) == tok.vocab_size
    for row in table_:
        assert len(row) == tok.vocab_size and all(p > 0 for p in row)
        assert math.isclose(sum(row), 1.0, rel_tol=1e-12)
    # and each entry is the add-one count: after BOS, how often does "a" come first?
    a = tok.encode("a")[0]
    starts = sum(doc[0] == "a" for doc in docs[:1000])
    assert table_[tok.BOS][a] == (starts + 1) / (1000 + tok.vocab_size)


def test_bigram_counts_only_the_positions_training_scores():
    tok, config = Tokenizer("ab"), Config(block_size=2)
    table_ = bigram(tok, config, ["abab"])   # scored: BOS->a, a->b; the rest is cut
    a, b, BOS = 0, 1, tok.BOS
    assert table_[BOS][a] == 2 / 4 and table_[a][b] == 2 / 4 and table_[b][a] == 1 / 3
    assert math.isclose(bigram_nll(table_, tok, config, "abab"), -math.log(2 / 4) * 2)


def test_held_out_loss_is_the_mean_over_positions(default_docs):
    docs = default_docs()
    config, tok, state_dict = small_trained_model(docs)
    result = evaluate(state_dict, config, tok, docs, 5, [], size=30)
    _, held_out = split(docs, 5, 30)
    total = sum(model_nll(state_dict, config, tok, doc) for doc in held_out)
    assert result["models"]["microgpt"]["loss"] == total / result["positions"]
    assert result["positions"] == sum(len(doc) + 1 for doc in held_out)   # nothing is cut at 16


def test_evaluation_is_deterministic(default_docs):
    docs = default_docs()
    config, tok, state_dict = small_trained_model(docs)
    samples = ["anna", "zzz", "mia"]
    a = evaluate(state_dict, config, tok, docs, 5, samples, size=30)
    b = evaluate(state_dict, config, tok, docs, 5, samples, size=30)
    assert a == b
    assert a["models"]["microgpt"]["names"] == samples
    assert a["models"]["microgpt"]["in_data"] == 2       # anna and mia are names, zzz is not
    c = evaluate(state_dict, config, tok, docs, 5, samples, seed=43, size=30)
    assert c["models"]["bigram"]["names"] != a["models"]["bigram"]["names"]


def test_bigram_samples_follow_the_table_at_the_temperature():
    tok, config = Tokenizer("ab"), Config(block_size=8)
    table_ = bigram(tok, config, ["ab"] * 1000)       # almost surely: a, then b, then the end
    names = [bigram_sample(table_, tok, config, random.Random(s), temperature=0.5) for s in range(20)]
    assert names.count("ab") >= 18
    # a table with real choices: at a low temperature only the likeliest path is left
    table_ = bigram(tok, config, ["ab"] * 3 + ["ba"] * 2)
    cold = [bigram_sample(table_, tok, config, random.Random(s), temperature=0.05) for s in range(20)]
    hot = [bigram_sample(table_, tok, config, random.Random(s), temperature=1.0) for s in range(20)]
    assert set(cold) == {"ab"} and len(set(hot)) > 3


def test_model_nll_is_the_sum_of_minus_log_probabilities(default_docs):
    docs = default_docs()
    config, tok, state_dict = small_trained_model(docs)
    tokens, n = framed(tok, config, "emma")
    keys, values = empty_cache(config)
    total = 0.0
    for pos in range(n):
        probs = softmax(gpt(state_dict, config, tokens[pos], pos, keys, values))
        total -= math.log(probs[tokens[pos + 1]].data)
    assert n == 5 and math.isclose(model_nll(state_dict, config, tok, "emma"), total, rel_tol=1e-12)


# --- the command line -------------------------------------------------------------------

def test_eval_appends_a_table_and_changes_nothing_above_it(short_names, tmp_path, main):
    plain = main("--data", short_names, *TINY, "--steps", "10", "--samples", "4")
    out = tmp_path / "eval.json"
    evaluated = main("--data", short_names, *TINY, "--steps", "10", "--samples", "4", "--eval-json", out)
    assert plain.returncode == 0 and evaluated.returncode == 0, evaluated.stderr
    assert evaluated.stdout.startswith(plain.stdout)
    extra = evaluated.stdout[len(plain.stdout):].splitlines()
    result = json.loads(out.read_text())
    assert extra == table(result).splitlines()
    assert extra[0].startswith(f"--- evaluation: {result['held_out']} held-out names")
    assert [line.split()[0] for line in extra[2:]] == ["uniform", "bigram", "microgpt"]
    samples = [line.split(": ")[1] for line in plain.stdout.splitlines() if line.startswith("sample")]
    assert result["models"]["microgpt"]["names"] == samples


def test_eval_of_a_loaded_checkpoint_is_deterministic(short_names, tmp_path, main):
    model = tmp_path / "model.json"
    assert main("--data", short_names, *TINY, "--steps", "10", "--samples", "0", "--save", model).returncode == 0
    runs = [main("--load", model, "--samples", "3", "--quiet", "--eval-json", tmp_path / f"{i}.json")
            for i in (1, 2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    assert "--- evaluation: " in runs[0].stdout           # the table comes even with --quiet
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()
    assert json.loads((tmp_path / "1.json").read_text())["steps"] == 10


def refused(r, message):
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("microgpt: error: ") and message in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "step " not in r.stdout and "sample" not in r.stdout     # refused before any work


def test_eval_refuses_what_cannot_be_evaluated_before_any_work(short_names, tmp_path, main):
    refused(main("--data", short_names, "--steps", "31", "--eval"),
            "--eval: it holds out the last 500 of the 530 names, so the run must have at most 30 steps, not 31")
    refused(main("--steps", "1", "--prompt", "ma", "--eval"), "--prompt cannot be used with it")
    refused(main("--steps", "1", "--eval-json", "no/such/folder/eval.json"), "there is no folder")
    refused(main("--data", ROOT / "docs" / "index.md", "--steps", "1", "--eval"), "has only")


def test_eval_with_load_refuses_a_changed_or_missing_data_file(short_names, tmp_path, main):
    model = tmp_path / "model.json"
    assert main("--data", short_names, *TINY, "--steps", "3", "--samples", "0", "--save", model).returncode == 0
    assert main("--load", model, "--samples", "1").returncode == 0      # without --eval, no check
    short_names.write_text(short_names.read_text() + "zz\n")
    refused(main("--load", model, "--eval"), "has changed since the run")
    short_names.unlink()
    refused(main("--load", model, "--eval"), "cannot be read")
    obj = json.loads(model.read_text())
    obj["run"] = {}
    model.write_text(json.dumps(obj))
    refused(main("--load", model, "--eval"), "the checkpoint records no data file and seed")


# --- the chapter's claims, from the committed evaluation ---------------------------------

def test_the_committed_evaluation_is_of_the_default_model(committed):
    saved = json.loads(MODEL.read_text())
    assert saved["run"] == {"data": "names.txt", "data_sha256": saved["run"]["data_sha256"], "seed": 42,
                            "steps": 1000, "lr": 0.01}
    assert (committed["steps"], committed["samples"], committed["seed"]) == (1000, 200, 42)
    assert committed["temperature"] == 0.5
    assert list(committed["models"]) == ["uniform", "bigram", "microgpt"]
    assert all(len(m["names"]) == 200 for m in committed["models"].values())


def test_the_model_beats_both_baselines_on_held_out_names(committed):
    loss = {name: m["loss"] for name, m in committed["models"].items()}
    assert loss["microgpt"] < loss["bigram"] < loss["uniform"]
    assert committed["wins"] > 0.75 * committed["held_out"]       # "on more than three names in four"


def test_the_memorisation_claims(committed, default_docs):
    m, b = committed["models"]["microgpt"], committed["models"]["bigram"]
    n = committed["samples"]
    docs = default_docs()
    known, trained = set(docs), set(docs[:committed["steps"]])
    for model in committed["models"].values():
        assert model["in_data"] == sum(name in known for name in model["names"])
        assert model["in_trained"] == sum(name in trained for name in model["names"])
    assert m["in_data"] > b["in_data"]                        # more real names than the table
    assert len(set(b["names"])) < 0.75 * len(set(m["names"]))  # the table repeats itself far more
    chance = m["in_data"] * committed["steps"] / len(docs)
    assert m["in_trained"] > chance                            # "more than chance ... on average"
    assert m["in_trained"] < m["in_data"] / 2                  # most real names it writes, it never saw
    assert m["in_data"] < n / 2                                # most of what it writes is new


def test_the_loss_claims(committed):
    loss = {name: m["loss"] for name, m in committed["models"].items()}
    # "most of the way from the uniform model to microgpt is covered by counting pairs"
    assert loss["uniform"] - loss["bigram"] > loss["bigram"] - loss["microgpt"]
    # "the training loss of the late steps is close to the held-out loss"
    with open(ASSETS / "default-run.jsonl", encoding="utf-8") as f:
        losses = [json.loads(line)["loss"] for line in f]
    assert abs(sum(losses[-200:]) / 200 - loss["microgpt"]) < 0.05


# --- --eval and the program's other guards (chapter 9's checks, for chapter 10's files) ---

@pytest.mark.parametrize("make_args, message", [
    (lambda d, o: ["--data", d, "--eval-json", d], "--eval-json {d} is also the file of --data"),
    (lambda d, o: ["--data", d, "--save", o, "--eval-json", o], "--save {o} is also the file of --eval-json"),
])
def test_an_eval_json_that_is_an_input_or_another_output_is_refused(tmp_path, make_args, message, main):
    data, other = tmp_path / "d.txt", tmp_path / "o.json"
    data.write_text("anna\nbob\ncarla\n" * 200)
    other.write_text("keep me")
    before = data.read_bytes(), other.read_bytes()
    refused(main(*make_args(str(data), str(other)), *TINY, "--steps", "3"), message.format(d=data, o=other))
    assert (data.read_bytes(), other.read_bytes()) == before


def test_load_refuses_to_write_its_evaluation_over_the_checkpoint(tmp_path, main):
    model = tmp_path / "model.json"
    model.write_bytes((ASSETS / "default-model.json").read_bytes())
    refused(main("--load", model, "--eval-json", model), "is also the file of --load")
    assert model.read_bytes() == (ASSETS / "default-model.json").read_bytes()


def test_an_empty_held_out_set_is_refused_before_training(tmp_path, main):
    data = tmp_path / "same.txt"
    data.write_text("anna\n" * 600)                  # every held-out name is the trained one
    refused(main("--data", data, "--steps", "1", "--eval"), "none is left to hold out")


def test_sigint_while_evaluating_exits_130_in_one_line(microgpt):
    status, err = microgpt.signalled(signal.SIGINT, "sample  1:",
                                     "--load", "docs/assets/default-model.json", "--samples", "1", "--eval")
    assert (status, err) == (130, "\nmicrogpt: stopped\n")
