"""Chapter 10: did it learn? (microgpt/evaluate.py; the --eval flag is tested with chapter 15).

The chapter's numbers come from docs/assets/default-eval.json, made from the
committed default checkpoint by the command the chapter shows; the full tier
(tests/test_reproduction.py) makes the default run and that file again and
compares them byte for byte. The tests here check the evaluation code on small
data, and the chapter's conclusions against the committed file.
"""

import json
import math
import random
from pathlib import Path

import pytest

from microgpt.evaluate import (HELD_OUT, bigram, bigram_nll, bigram_sample, evaluate, framed, model_nll,
                               split)
from microgpt.model import Config, empty_cache, gpt, init_state_dict, softmax
from microgpt.tokenizer import Tokenizer
from microgpt.train import train

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "docs" / "assets"
MODEL = ASSETS / "default-model.json"
EVAL = ASSETS / "default-eval.json"


@pytest.fixture(scope="module")
def default_docs(seeded):
    """A function: a fresh copy of the default run's shuffled documents."""
    docs = seeded()[0]
    return lambda: list(docs)


@pytest.fixture(scope="module")
def committed():
    return json.loads(EVAL.read_text(encoding="utf-8"))


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
