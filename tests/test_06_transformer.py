"""Chapter 6, The transformer: gpt, the KV cache, attention, the MLP."""

import math
import random

import pytest

from microgpt.model import Config, empty_cache, gpt, init_state_dict, parameters
from microgpt.tokenizer import Tokenizer

TOK = Tokenizer("abcdefghijklmnopqrstuvwxyz")
V = TOK.vocab_size
EMMA = [TOK.BOS] + TOK.encode("emma") + [TOK.BOS]


def run(state_dict, config, tokens):
    """Feed tokens one at a time through one cache; return every position's logits."""
    keys, values = empty_cache(config)
    return [[l.data for l in gpt(state_dict, config, tok, pos, keys, values)]
            for pos, tok in enumerate(tokens)]


# -- the KV cache ----------------------------------------------------------------

@pytest.mark.parametrize("n_layer", [1, 3])
def test_empty_cache_has_one_independent_list_per_layer(n_layer):
    keys, values = empty_cache(Config(n_layer=n_layer))
    assert keys == values == [[]] * n_layer
    lists = keys + values
    assert len({id(x) for x in lists}) == 2 * n_layer   # no list shared


def test_each_call_adds_one_key_and_one_value_per_layer():
    config = Config(n_embd=8, n_head=2, n_layer=3, block_size=8)
    state_dict = init_state_dict(config, V, random.Random(0))
    keys, values = empty_cache(config)
    for pos, tok in enumerate(EMMA):
        logits = gpt(state_dict, config, tok, pos, keys, values)
        assert len(logits) == V
        assert [len(k) for k in keys] == [len(v) for v in values] == [pos + 1] * 3
        assert all(len(k[-1]) == len(v[-1]) == config.n_embd for k, v in zip(keys, values))


def test_earlier_keys_and_values_never_change():
    config = Config(n_layer=2)
    state_dict = init_state_dict(config, V, random.Random(1))
    keys, values = empty_cache(config)
    seen = []
    for pos, tok in enumerate(EMMA):
        gpt(state_dict, config, tok, pos, keys, values)
        snapshot = [[[x.data for x in k] for k in layer] for layer in keys + values]
        for before in seen:      # every earlier snapshot is a prefix of this one
            assert all(now[:len(b)] == b for now, b in zip(snapshot, before))
        seen.append(snapshot)


@pytest.mark.parametrize("changed_pos", [1, 3, 5])
def test_logits_depend_only_on_the_past(changed_pos):
    config = Config(n_layer=2)
    state_dict = init_state_dict(config, V, random.Random(2))
    other = list(EMMA)
    other[changed_pos] = 7                       # some other letter
    a, b = run(state_dict, config, EMMA), run(state_dict, config, other)
    assert a[:changed_pos] == b[:changed_pos]    # bit for bit
    assert all(x != y for x, y in zip(a[changed_pos:], b[changed_pos:]))


def test_the_position_matters_through_wpe_alone():
    config = Config()
    state_dict = init_state_dict(config, V, random.Random(3))

    def alone(pos_id):        # token 4 with an empty cache: no context, only a position
        return [l.data for l in gpt(state_dict, config, 4, pos_id, *empty_cache(config))]

    assert alone(0) != alone(3)
    state_dict["wpe"][3] = state_dict["wpe"][0]          # same position vector ...
    assert alone(0) == alone(3)                          # ... same logits


def test_gpt_does_not_change_the_parameters():
    config = Config()
    state_dict = init_state_dict(config, V, random.Random(4))
    before = [p.data for p in parameters(state_dict)]
    run(state_dict, config, EMMA)
    assert [p.data for p in parameters(state_dict)] == before


# -- an independent implementation: the whole sequence at once, with a mask --------

def masked_forward(W, config, tokens):
    """Plain floats, all positions at once, future positions masked with -inf.
    Written from the textbook description, not from microgpt.model."""
    n, d, T = config.n_embd, config.head_dim, len(tokens)

    def matvec(m, x):
        return [math.fsum(a * b for a, b in zip(row, x)) for row in m]

    def norm(x):
        r = math.sqrt(math.fsum(v * v for v in x) / len(x) + 1e-5)
        return [v / r for v in x]

    xs = [norm([a + b for a, b in zip(W["wte"][tok], W["wpe"][t])]) for t, tok in enumerate(tokens)]
    for li in range(config.n_layer):
        L = {name: W[f"layer{li}.{name}"] for name in
             ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")}
        hs = [norm(x) for x in xs]
        Q = [matvec(L["attn_wq"], h) for h in hs]
        K = [matvec(L["attn_wk"], h) for h in hs]
        Vs = [matvec(L["attn_wv"], h) for h in hs]
        out = [[0.0] * n for _ in range(T)]
        for head in range(config.n_head):
            sl = slice(head * d, (head + 1) * d)
            for t in range(T):
                scores = [math.fsum(a * b for a, b in zip(Q[t][sl], K[s][sl])) / math.sqrt(d)
                          if s <= t else -math.inf for s in range(T)]
                top = max(scores)
                e = [math.exp(s - top) for s in scores]      # exp(-inf) == 0
                w = [x / sum(e) for x in e]
                for j in range(d):
                    out[t][head * d + j] = math.fsum(w[s] * Vs[s][sl][j] for s in range(T))
        xs = [[a + b for a, b in zip(matvec(L["attn_wo"], o), x)] for o, x in zip(out, xs)]
        mid = [[max(0.0, v) for v in matvec(L["mlp_fc1"], norm(x))] for x in xs]
        xs = [[a + b for a, b in zip(matvec(L["mlp_fc2"], m), x)] for m, x in zip(mid, xs)]
    return [matvec(W["lm_head"], x) for x in xs]


@pytest.mark.parametrize("config", [Config(), Config(n_embd=12, n_head=3, n_layer=2, block_size=10)])
def test_one_token_at_a_time_equals_a_masked_whole_sequence_pass(config):
    state_dict = init_state_dict(config, V, random.Random(5))
    W = {name: [[p.data for p in row] for row in mat] for name, mat in state_dict.items()}
    tokens = ([TOK.BOS] + TOK.encode("theodore"))[:config.block_size]
    ours, theirs = run(state_dict, config, tokens), masked_forward(W, config, tokens)
    for a, b in zip(ours, theirs):
        assert all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b))
