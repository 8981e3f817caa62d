"""Tests for chapter 7, training (microgpt/train.py).

Run alone with: pytest docs/07-training.md tests/test_07_training.py
"""

import math
import random

import pytest

import microgpt.train
from microgpt.autograd import Value
from microgpt.model import Config, empty_cache, gpt, init_state_dict, parameters
from microgpt.tokenizer import Tokenizer
from microgpt.train import adam_update, doc_loss, train

TINY = Config(n_embd=8, n_head=2, n_layer=1, block_size=8)


# --- Adam ------------------------------------------------------------------


def adam_by_hand(grads, num_steps, p0, lr=0.01, beta1=0.85, beta2=0.99, eps=1e-8):
    """Adam on one parameter, written out from the formulas of the chapter."""
    p, m, v, trace = p0, 0.0, 0.0, []
    for s, g in enumerate(grads):
        t = s + 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p = p - lr * (1 - s / num_steps) * m_hat / (math.sqrt(v_hat) + eps)
        trace.append((p, m, v))
    return trace


@pytest.mark.parametrize("hyper", [{}, {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6}])
def test_adam_matches_the_formulas_on_one_parameter(hyper):
    grads = [0.5, -1.25, 3.0, 0.0, 2e-4, -7.5]
    num_steps = 8
    expected = adam_by_hand(grads, num_steps, p0=0.3, **hyper)
    p, m, v = Value(0.3), [0.0], [0.0]
    for step, g in enumerate(grads):
        p.grad = g
        adam_update([p], m, v, step, num_steps, **hyper)
        want_p, want_m, want_v = expected[step]
        assert p.data == pytest.approx(want_p, rel=1e-12, abs=1e-15)
        assert m[0] == pytest.approx(want_m, rel=1e-12, abs=1e-15)
        assert v[0] == pytest.approx(want_v, rel=1e-12, abs=1e-15)


def test_adam_treats_each_parameter_separately():
    ps = [Value(1.0), Value(2.0), Value(3.0)]
    grads = [1e-4, -1.0, 0.0]
    m, v = [0.0] * 3, [0.0] * 3
    for p, g in zip(ps, grads):
        p.grad = g
    adam_update(ps, m, v, 0, 100)
    # First step: each parameter with a gradient moves by lr against its sign,
    # whatever the gradient's size; one with no gradient does not move.
    assert ps[0].data == pytest.approx(1.0 - 0.01, abs=2e-6)
    assert ps[1].data == pytest.approx(2.0 + 0.01, abs=1e-9)
    assert ps[2].data == 3.0
    assert m[2] == 0.0 and v[2] == 0.0


def test_learning_rate_decays_linearly_to_zero():
    num_steps = 20
    p, m, v = Value(0.0), [0.0], [0.0]
    moves = []
    for step in range(num_steps + 1):     # one step past the end: lr is 0 there
        p.grad = -2.0                     # a constant gradient: m_hat/sqrt(v_hat) is 1
        before = p.data
        adam_update([p], m, v, step, num_steps, lr=0.05)
        moves.append(p.data - before)
    for step, move in enumerate(moves):
        assert move == pytest.approx(0.05 * (1 - step / num_steps), abs=1e-9)
    assert moves[0] > moves[num_steps // 2] > moves[num_steps - 1] > 0
    assert moves[num_steps] == 0.0


def test_grads_are_zero_after_the_update(tiny_model):
    state_dict = tiny_model(config=TINY)
    tok = Tokenizer("abcdefghijklmnopqrstuvwxyz")
    tokens = [tok.BOS] + tok.encode("emma") + [tok.BOS]
    params = parameters(state_dict)
    loss = doc_loss(state_dict, TINY, tokens)
    loss.backward()
    assert sum(p.grad != 0 for p in params) > len(params) // 4   # backward filled many
    m, v = [0.0] * len(params), [0.0] * len(params)
    adam_update(params, m, v, 0, 10)
    assert all(p.grad == 0 for p in params)
    assert any(x != 0 for x in m) and any(x != 0 for x in v)


def test_without_zeroing_gradients_would_accumulate(tiny_model):
    # The reason for p.grad = 0: backward adds to grad.
    state_dict = tiny_model(config=TINY)
    tokens = [26, 4, 12, 12, 0, 26]
    params = parameters(state_dict)
    doc_loss(state_dict, TINY, tokens).backward()
    once = [p.grad for p in params]
    doc_loss(state_dict, TINY, tokens).backward()
    assert [p.grad for p in params] == pytest.approx([2 * g for g in once], rel=1e-12)


# --- the loss ----------------------------------------------------------------


def test_doc_loss_is_the_mean_negative_log_probability_of_the_targets(tiny_model):
    state_dict = tiny_model(seed=5, config=TINY)
    tokens = [26, 1, 14, 13, 0, 26]          # BOS b o n a BOS
    keys, values = empty_cache(TINY)
    nll = []
    for pos in range(len(tokens) - 1):
        logits = [x.data for x in gpt(state_dict, TINY, tokens[pos], pos, keys, values)]
        z = sum(math.exp(x) for x in logits)
        nll.append(-math.log(math.exp(logits[tokens[pos + 1]]) / z))
    assert doc_loss(state_dict, TINY, tokens).data == pytest.approx(sum(nll) / len(nll), rel=1e-12)


def test_doc_loss_cuts_documents_longer_than_the_block(tiny_model):
    state_dict = tiny_model(seed=2, config=TINY)
    long_doc = [26] + [i % 26 for i in range(20)] + [26]
    assert len(long_doc) - 1 > TINY.block_size
    cut = long_doc[:TINY.block_size + 1]      # exactly block_size predictions
    assert doc_loss(state_dict, TINY, long_doc).data == doc_loss(state_dict, TINY, cut).data
    # ...and the prediction after the cut does matter when it is in reach:
    other = cut[:-1] + [(cut[-1] + 1) % 26]
    assert doc_loss(state_dict, TINY, other).data != doc_loss(state_dict, TINY, cut).data


def test_a_uniform_model_has_loss_log_vocab_size(tiny_model):
    # With lm_head all zero every logit is 0: the softmax is uniform.
    state_dict = tiny_model(config=TINY)
    for row in state_dict["lm_head"]:
        for p in row:
            p.data = 0.0
    loss = doc_loss(state_dict, TINY, [26, 3, 7, 26])
    assert loss.data == pytest.approx(math.log(27), rel=1e-12)


# --- the loop ------------------------------------------------------------------


def test_train_yields_every_step_and_uses_documents_in_turn(monkeypatch, tiny_model):
    seen = []
    real_doc_loss = microgpt.train.doc_loss

    def spy(state_dict, config, tokens):
        seen.append(tokens)
        return real_doc_loss(state_dict, config, tokens)

    monkeypatch.setattr(microgpt.train, "doc_loss", spy)
    tok = Tokenizer("abemo")
    docs = ["bob", "emma", "a"]
    state_dict = tiny_model(vocab_size=tok.vocab_size, config=TINY)
    out = list(train(state_dict, TINY, tok, docs, num_steps=7))
    assert [step for step, _ in out] == list(range(1, 8))
    assert all(type(loss) is float and loss > 0 for _, loss in out)
    wrapped = [[tok.BOS] + tok.encode(d) + [tok.BOS] for d in docs]
    assert seen == [wrapped[s % 3] for s in range(7)]


def test_train_is_lazy(tiny_model):
    tok = Tokenizer("ab")
    state_dict = tiny_model(vocab_size=tok.vocab_size, config=TINY)
    before = [p.data for p in parameters(state_dict)]
    progress = train(state_dict, TINY, tok, ["ab"], num_steps=5)
    assert [p.data for p in parameters(state_dict)] == before    # nothing ran yet
    next(progress)
    assert [p.data for p in parameters(state_dict)] != before    # one step ran


def test_yielded_loss_is_the_loss_before_that_steps_update(tiny_model):
    tok = Tokenizer("aem")
    tokens = [tok.BOS] + tok.encode("emma") + [tok.BOS]
    state_dict = tiny_model(seed=4, vocab_size=tok.vocab_size, config=TINY)
    expected = doc_loss(state_dict, TINY, tokens).data
    step, loss = next(train(state_dict, TINY, tok, ["emma"], num_steps=3))
    assert (step, loss) == (1, expected)


def test_loss_falls_a_lot_on_a_repeated_name(tiny_model):
    tok = Tokenizer.from_docs(["olivia"])
    state_dict = tiny_model(seed=1, vocab_size=tok.vocab_size, config=TINY)
    losses = [loss for _, loss in train(state_dict, TINY, tok, ["olivia"], num_steps=30)]
    assert losses[0] == pytest.approx(math.log(tok.vocab_size), abs=0.25)
    assert losses[-1] < 0.2 * losses[0]
    assert sum(losses[-5:]) < sum(losses[:5]) / 4


def test_loss_falls_on_a_small_set_of_names(tiny_model):
    names = ["emma", "olivia", "ava", "isabella", "sophia"]
    tok = Tokenizer.from_docs(names)
    state_dict = tiny_model(seed=3, vocab_size=tok.vocab_size, config=TINY)
    losses = [loss for _, loss in train(state_dict, TINY, tok, names * 8, num_steps=40)]
    first, last = losses[:10], losses[-10:]
    assert sum(last) / 10 < 0.75 * sum(first) / 10


def test_train_changes_every_parameter_that_got_a_gradient_and_no_other(tiny_model):
    tok = Tokenizer("abc")
    state_dict = tiny_model(vocab_size=tok.vocab_size, config=TINY)
    params = parameters(state_dict)
    before = [p.data for p in params]
    next(train(state_dict, TINY, tok, ["ab"], num_steps=10))
    # "ab" is 4 tokens: 3 positions, so wpe rows 3..7 got no gradient and stay;
    # the embedding row of "c" (id 2) is never looked up and stays too.
    moved = {id(p) for p, b in zip(params, before) if p.data != b}
    for pos, row in enumerate(state_dict["wpe"]):
        assert all((id(p) in moved) == (pos < 3) for p in row)
    assert not any(id(p) in moved for p in state_dict["wte"][2])
    assert all(id(p) in moved for p in state_dict["wte"][0])


def test_one_training_step_builds_tens_of_thousands_of_values():
    # Chapter 3's note on __slots__ says the model builds "a great many" Values, and
    # its build-time block prints how many the loss of one step on "emma" depends on
    # (with this chapter's doc_loss): tens of thousands, a number worth a lighter Value.
    import string

    tok = Tokenizer.from_docs([string.ascii_lowercase])
    state_dict = init_state_dict(Config(), tok.vocab_size, random.Random(42))
    loss = doc_loss(state_dict, Config(), [tok.BOS] + tok.encode("emma") + [tok.BOS])
    assert 10_000 <= len(loss.topological_order()) < 100_000


# -- the gradient of a document's loss, through the whole model -------------------------------------------------

def test_gradient_of_a_document_s_loss_matches_finite_differences():
    tok = Tokenizer("abcdefghijklmnopqrstuvwxyz")
    config = Config(n_embd=4, n_head=2, n_layer=1, block_size=4)
    state_dict = init_state_dict(config, tok.vocab_size, random.Random(6))
    tokens = [tok.BOS] + tok.encode("emma") + [tok.BOS]
    loss = doc_loss(state_dict, config, tokens)
    loss.backward()

    pick = random.Random(7)
    used_rows = set(tokens[:config.block_size])      # only these wte rows are read
    h = 1e-5
    for name, mat in state_dict.items():
        entries = [(i, j) for i in range(len(mat)) for j in range(len(mat[0]))
                   if name != "wte" or i in used_rows]
        checked = []
        for i, j in pick.sample(entries, min(8, len(entries))):
            p = mat[i][j]
            saved = p.data
            p.data = saved + h
            up = doc_loss(state_dict, config, tokens).data
            p.data = saved - h
            down = doc_loss(state_dict, config, tokens).data
            p.data = saved
            checked.append((p.grad, (up - down) / (2 * h)))
        # at initialisation the query and key gradients are small (about 1e-5),
        # so measure the error against the largest gradient of the same matrix
        scale = max(abs(g) for g, _ in checked)
        assert scale > 1e-6, name                     # not a check of zeros only
        for g, numeric in checked:
            assert abs(g - numeric) <= 1e-4 * scale, (name, g, numeric)

    # rows of tokens the document does not use get exactly no gradient
    unused = [i for i in range(tok.vocab_size) if i not in used_rows]
    assert all(p.grad == 0 for i in unused for p in state_dict["wte"][i])
