"""Chapter 10's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import math
import random

from microgpt.data import load_docs
from microgpt.evaluate import bigram, bigram_nll, framed, split
from microgpt.model import Config
from microgpt.tokenizer import Tokenizer

from answers import number, predicted, same, written


def check_10_1(ns):
    prediction = written(ns, "prediction")
    assert isinstance(prediction, list) and all(isinstance(d, str) for d in prediction), \
        f"set prediction to a list of names (it is {prediction!r})"
    docs = ["ava", "leo", "mia", "ava", "zoe", "leo", "ivy"]
    early = [d for d in prediction if d not in docs[-4:]]
    assert not early, f"{early[0]!r} is not among the last 4 positions, where the held-out names come from"
    again = [d for d in prediction if d in docs[:3]]
    assert not again, f"{again[0]!r} is a trained name: split drops any held-out name whose text the run trained on"
    assert same("10.1 prediction", prediction, "714be2c490975b1231c3"), \
        f"held_out is not {prediction}: print it, and keep the names in their order"


def check_10_2(ns):
    prediction = predicted(ns, "prediction")
    assert same("10.2 prediction", prediction, "b128ae224d8696241971"), \
        f"the loss per token on 'ab' is not {prediction}: print loss, then count each row of the table by hand (hint 1)"


def held_out_and_trained_losses():
    """The check's own bigram losses per token of the default run: on held-out and on trained names."""
    docs = load_docs("names.txt", random.Random(42))
    tok, config = Tokenizer.from_docs(docs), Config()
    trained, held_out = split(docs, 1000)
    table = bigram(tok, config, trained)

    def loss_on(names):
        return sum(bigram_nll(table, tok, config, d) for d in names) / sum(framed(tok, config, d)[1] for d in names)

    return trained, loss_on(held_out), loss_on(trained)


def check_10_3(ns):
    trained, held_out_loss, trained_loss = held_out_and_trained_losses()
    scored = ns.get("scored")
    assert isinstance(scored, list), f"keep scored, a list of names (it is {scored!r})"
    assert scored == trained, "scored is not the trained names: set it to trained, the names the table was fitted on"
    gap = number(ns, "gap")
    assert abs(gap - (held_out_loss - trained_loss)) < 1e-3, \
        "gap is not loss_on(held_out) minus loss_on(scored): print both losses"


def check_10_4(ns):
    trigram, trigram_nll = ns.get("trigram"), ns.get("trigram_nll")
    assert callable(trigram) and callable(trigram_nll), "keep the functions trigram and trigram_nll in the block"
    cases = [("ab", ["ab", "ba", "abba"], Config(), ["ab", "", "bbab"]),
             ("abc", ["abcabc", "cab", "c"], Config(block_size=3), ["abcabc", "ca", "bbbbb"]),
             ("ab", [], Config(), ["ab", "ba"])]
    tables, losses = [], []
    for uchars, names, config, docs in cases:
        tok = Tokenizer(uchars)
        V = tok.vocab_size
        where = f"trigram(Tokenizer({uchars!r}), Config(block_size={config.block_size}), {names})"
        got = trigram(tok, config, list(names))
        assert len(got) == V and all(len(plane) == V and all(len(row) == V for row in plane) for plane in got), \
            f"{where} must be {V} lists of {V} rows of {V} probabilities, probs[a][b][c]"
        assert all(math.isclose(sum(row), 1) and min(row) > 0 for plane in got for row in plane), \
            f"in {where} each row probs[a][b] must be probabilities, above 0 (add one to every count), adding up to 1"
        tables.append(got)
        losses.append([trigram_nll(got, tok, config, doc) for doc in docs])
        assert all(isinstance(x, (int, float)) for x in losses[-1]), f"trigram_nll must return a number, not {losses[-1]}"
    assert same("10.4 tables", tables, "c1de6ba6cfcfba6027cb", places=9), \
        "your trigram does not count each (a, b, c) of a framed name, with BOS, BOS before its first position, plus one"
    assert same("10.4 nlls", losses, "dbb8edc0086639f9a047", places=9), \
        "trigram_nll is not minus the sum of log probs[a][b][c] over the name's framed tokens (BOS, BOS first)"
    tok = Tokenizer("ab")
    try:
        trigram_nll(trigram(tok, Config(), []), tok, Config(), "abz")
    except ValueError:
        pass
    else:
        raise AssertionError("trigram_nll of 'abz' must be a ValueError, as bigram_nll's is: z is not in the vocabulary")
    tok, config = Tokenizer("abxyz"), Config()
    names, held_out = ["axy", "bxz"] * 10, ["axy", "bxz"]
    tri, bi = trigram(tok, config, names), bigram(tok, config, names)
    t = sum(trigram_nll(tri, tok, config, d) for d in held_out)
    b = sum(bigram_nll(bi, tok, config, d) for d in held_out)
    assert t < b, (f"on axy and bxz, where the letter after x depends on the one before it, "
                   f"your trigram ({t:.3f}) must beat the bigram ({b:.3f})")
