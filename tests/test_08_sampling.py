"""Tests for chapter 8, sampling (microgpt/sample.py).

Run alone with: pytest docs/08-sampling.md tests/test_08_sampling.py
"""

import math
import random

import pytest

import microgpt.sample
from microgpt.autograd import Value
from microgpt.model import Config, empty_cache, gpt, init_state_dict
from microgpt.sample import sample
from microgpt.tokenizer import Tokenizer

TOK = Tokenizer("abcdefghijklmnopqrstuvwxyz")
TINY = Config(n_embd=8, n_head=2, n_layer=1, block_size=8)


def scripted_gpt(script, calls):
    """A stand-in for gpt that, at each position, puts nearly all probability
    on the token the script names (BOS when the script runs out). Like gpt, it
    adds the position it read to every layer's KV cache."""

    def fake(state_dict, config, token_id, pos_id, keys, values):
        calls.append((token_id, pos_id))
        for li in range(config.n_layer):
            keys[li].append(None)
            values[li].append(None)
        want = script[pos_id] if pos_id < len(script) else TOK.BOS
        return [Value(50.0 if i == want else 0.0) for i in range(TOK.vocab_size)]

    return fake


def test_same_seed_same_samples(tiny_model):
    def run(seed):
        rng = random.Random(seed)
        state_dict = tiny_model(seed, config=TINY)
        return [sample(state_dict, TINY, TOK, rng, temperature=1.0) for _ in range(8)]

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_uses_only_the_generator_it_is_given(tiny_model):
    state_dict = tiny_model(config=TINY)
    random.seed(1)
    a = sample(state_dict, TINY, TOK, random.Random(99), temperature=1.0)
    random.seed(2)
    b = sample(state_dict, TINY, TOK, random.Random(99), temperature=1.0)
    assert a == b


def test_one_random_draw_per_token(tiny_model):
    # The run is one reproducible stream: sampling a name of k letters that
    # ends at BOS uses exactly k + 1 numbers from rng (block_size if it was cut).
    state_dict = tiny_model(seed=3, config=TINY)
    for seed in range(8):
        rng, twin = random.Random(seed), random.Random(seed)
        name = sample(state_dict, TINY, TOK, rng, temperature=1.0)
        draws = min(len(name) + 1, TINY.block_size)
        for _ in range(draws):
            twin.random()
        assert rng.getstate() == twin.getstate()


def test_stops_at_bos_and_feeds_each_token_back(monkeypatch):
    calls = []
    script = TOK.encode("kim")                       # then BOS
    monkeypatch.setattr(microgpt.sample, "gpt", scripted_gpt(script, calls))
    assert sample(None, TINY, TOK, random.Random(0), temperature=1.0) == "kim"
    # position 0 reads BOS; every later position reads the token drawn before it
    assert calls == [(TOK.BOS, 0)] + [(t, i + 1) for i, t in enumerate(script)]


def test_never_more_than_block_size_characters(monkeypatch):
    calls = []
    script = TOK.encode("abcdefghijklmnopqrstuvwxyz")   # longer than any block; no BOS
    monkeypatch.setattr(microgpt.sample, "gpt", scripted_gpt(script, calls))
    for block_size in (1, 3, 8):
        calls.clear()
        config = Config(n_embd=8, n_head=2, n_layer=1, block_size=block_size)
        name = sample(None, config, TOK, random.Random(0), temperature=1.0)
        assert name == "abcdefghijklmnopqrstuvwxyz"[:block_size]
        assert [pos for _, pos in calls] == list(range(block_size))


def test_real_samples_fit_the_block_and_hold_no_bos():
    config = Config(n_embd=8, n_head=2, n_layer=1, block_size=5)
    rng = random.Random(7)
    state_dict = init_state_dict(config, TOK.vocab_size, rng)
    lengths = set()
    for _ in range(60):
        name = sample(state_dict, config, TOK, rng, temperature=2.0)
        assert len(name) <= config.block_size
        assert set(name) <= set(TOK.uchars)
        lengths.add(len(name))
    assert config.block_size in lengths and len(lengths) > 2   # some cut, some ended


def greedy(state_dict, config):
    """Always the most likely next token, computed directly from the logits."""
    keys, values = empty_cache(config)
    token, ids = TOK.BOS, []
    for pos in range(config.block_size):
        logits = [x.data for x in gpt(state_dict, config, token, pos, keys, values)]
        token = max(range(len(logits)), key=logits.__getitem__)
        if token == TOK.BOS:
            break
        ids.append(token)
    return TOK.decode(ids)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tiny_temperature_is_greedy(seed, tiny_model):
    state_dict = tiny_model(seed, config=TINY)
    rng = random.Random(seed)
    want = greedy(state_dict, TINY)
    assert [sample(state_dict, TINY, TOK, rng, temperature=1e-4) for _ in range(5)] == [want] * 5


def test_temperature_divides_the_logits(monkeypatch):
    # With logits 0 and log 3 for two tokens (all others hopeless), temperature
    # T gives the second token odds 3**(1/T) : 1. Count how often each is drawn.
    def fake(state_dict, config, token_id, pos_id, keys, values):
        logits = [-1e9] * TOK.vocab_size
        logits[0], logits[1] = 0.0, math.log(3)
        if pos_id == 1:
            logits[TOK.BOS] = 1e9                 # always stop after one letter
        return [Value(x) for x in logits]

    monkeypatch.setattr(microgpt.sample, "gpt", fake)
    rng = random.Random(0)
    n = 2000
    for temperature, odds in ((1.0, 3.0), (0.5, 9.0), (2.0, 3**0.5)):
        bs = sum(sample(None, TINY, TOK, rng, temperature) == "b" for _ in range(n))
        expected = odds / (1 + odds)
        assert abs(bs / n - expected) < 4 * (expected * (1 - expected) / n) ** 0.5
