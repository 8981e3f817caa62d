"""Chapter 7's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import math
import random

from microgpt.autograd import Value
from microgpt.model import Config, init_state_dict, parameters
from microgpt.tokenizer import Tokenizer
from microgpt.train import adam_update, doc_loss, train

from answers import number, predicted, same


def check_7_1(ns):
    prediction = predicted(ns, "prediction")
    assert abs(prediction - 2.0) > 1e-3, "2 is the logarithm to base 10: the loss uses the natural logarithm, math.log"
    assert abs(prediction - math.log(27)) > 1e-3, "ln 27 is for the 27 tokens of names.txt: here there are 100"
    assert same("7.1 prediction", prediction, "c290c2bac503efdb5631"), \
        f"the loss is not {prediction}: print doc_loss(state_dict, config, tokens).data (give three decimals)"


def two_updates(update):
    """Three parameters through two steps of update, a gradient added by hand before each."""
    params = [Value(0.5), Value(-1.0), Value(2.0)]
    m, v = [0.0] * 3, [0.0] * 3
    for step, grads in enumerate(([0.3, -2.0, 0.0], [0.1, 1.0, 0.5])):
        for p, g in zip(params, grads):
            p.grad += g                  # as backward() adds to grad
        update(params, m, v, step, 10, lr=0.05)
    return [(p.data, p.grad) for p in params] + m + v


def broken_run(update):
    """The block's run: emma, twenty steps at lr 0.1, with update in place of adam_update."""
    tok = Tokenizer.from_docs(["emma"])
    config = Config(n_embd=4, n_head=1, n_layer=1, block_size=8)
    state_dict = init_state_dict(config, tok.vocab_size, random.Random(0))
    params = parameters(state_dict)
    m, v = [0.0] * len(params), [0.0] * len(params)
    tokens = [tok.BOS] + tok.encode("emma") + [tok.BOS]
    losses = []
    for step in range(20):
        loss = doc_loss(state_dict, config, tokens)
        loss.backward()
        update(params, m, v, step, 20, lr=0.1)
        losses.append(loss.data)
    return losses


def check_7_2(ns):
    update = ns.get("adam_update")
    assert callable(update), "keep the function adam_update in the block"
    theirs = two_updates(update)
    assert theirs != two_updates(adam_update), "your adam_update still zeroes the gradients: delete p.grad = 0"
    assert same("7.2 updates", theirs, "bbc3905f1b2b5cea5e13", places=9), \
        "your adam_update does something else than keeping the gradients: delete only the line p.grad = 0"
    right = broken_run(adam_update)
    assert all(later < earlier for earlier, later in zip(right, right[1:])), \
        "the book's run no longer falls at every step: update 7.2's statement"
    losses = broken_run(update)
    assert same("7.2 losses", losses, "874d3192ad27a323ae9e", places=9), \
        "the run with your adam_update is not the broken run: delete only the line p.grad = 0"
    if isinstance(ns.get("losses"), list):
        assert ns["losses"] == losses, "losses is not what the broken run gives: keep the rest of the block as it is"
    rises = sum(later > earlier for earlier, later in zip(losses, losses[1:]))
    assert number(ns, "rises") == rises, \
        "rises is not the number of steps whose loss is higher than the step before: print losses and count"


def tied(values, matrix):
    """Whether matrix holds the very Value objects of values, row by row."""
    return len(values) == len(matrix) and all(
        len(a) == len(b) and all(x is y for x, y in zip(a, b)) for a, b in zip(values, matrix))


def check_7_3(ns):
    tie, count = ns.get("tie"), ns.get("count")
    assert callable(tie) and callable(count), "keep the functions tie and count in the block"
    for config, vocab_size in ((Config(n_embd=4, n_head=1, n_layer=1, block_size=8), 4),
                               (Config(n_embd=8, n_head=2, n_layer=2, block_size=4), 11)):
        state_dict = init_state_dict(config, vocab_size, random.Random(1))
        untied = len(parameters(state_dict))
        assert count(state_dict) == untied, "count of a model without tying must be len(parameters(state_dict))"
        wte = [[p.data for p in row] for row in state_dict["wte"]]
        out = tie(state_dict)
        assert out is state_dict, "tie must change the state dict in place and return it"
        assert list(out) == list(init_state_dict(config, vocab_size, random.Random(1))), \
            "tie must keep every name of the state dict, in its order"
        assert [[p.data for p in row] for row in out["wte"]] == wte, "tie must leave wte as it was"
        assert [[p.data for p in row] for row in out["lm_head"]] == wte, \
            "lm_head is not wte after tie: make state_dict[\"lm_head\"] the matrix wte"
        assert tied(out["wte"], out["lm_head"]), \
            "lm_head holds copies of wte's numbers, not the same Values: make it the same matrix"
        want = untied - vocab_size * config.n_embd
        assert count(out) == want, \
            f"the tied model has {want} different parameters, count gives {count(out)}: count each Value once"
    x, y = Value(1.0), Value(2.0)
    try:
        toy = count({"a": [[x, y]], "b": [[y], [x]]})
    except KeyError as e:
        raise AssertionError(f"count of a state dict without the key {e} raised KeyError: "
                             "count the Values of every matrix, whatever its name") from None
    assert toy == 2, "count must count each different Value once: two matrices holding x and y hold two parameters"
    tok = Tokenizer.from_docs(["emma"])
    config = Config(n_embd=4, n_head=1, n_layer=1, block_size=8)
    state_dict = tie(init_state_dict(config, tok.vocab_size, random.Random(0)))
    tokens = [tok.BOS] + tok.encode("emma") + [tok.BOS]
    p = state_dict["wte"][tok.BOS][0]        # used twice: as BOS's embedding and as BOS's output row
    doc_loss(state_dict, config, tokens).backward()
    h, start = 1e-6, p.data
    p.data = start + h
    up = doc_loss(state_dict, config, tokens).data
    p.data = start - h
    down = doc_loss(state_dict, config, tokens).data
    p.data = start
    assert abs(p.grad - (up - down) / (2 * h)) < 1e-6, "the gradient of a tied weight disagrees with a finite difference"
    for q in parameters(state_dict):
        q.grad = 0
    losses = [loss for step, loss in train(state_dict, config, tok, ["emma"], num_steps=5)]
    assert tied(state_dict["wte"], state_dict["lm_head"]), "after training lm_head is no longer wte"
    assert losses[-1] < losses[0], "the tied model does not learn emma: its loss does not fall"
    assert ns.get("n_params") == count(ns.get("state_dict")), "n_params must be count(state_dict)"
