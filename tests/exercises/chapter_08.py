"""Chapter 8's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import random
import traceback

from microgpt.model import Config, empty_cache, gpt, init_state_dict
from microgpt.sample import sample
from microgpt.tokenizer import Tokenizer

from answers import number, predicted, same

LETTERS = Tokenizer("abcdefghijklmnopqrstuvwxyz")
TINY = Config(n_embd=8, n_head=2, n_layer=1, block_size=8)


def text(ns, name):
    value = ns.get(name)
    assert isinstance(value, str) and value, f"set {name} to a string (it is {value!r})"
    return value


def untrained():
    """The blocks' model: the untrained tiny model drawn with random.Random(0), and that rng."""
    rng = random.Random(0)
    return init_state_dict(TINY, LETTERS.vocab_size, rng), rng


def check_8_1(ns):
    prediction = predicted(ns, "prediction", whole=True)
    assert same("8.1 prediction", prediction, "cedf5066529716cc20d0"), \
        f"names does not hold {prediction} different names: print names, and read hint 1"


def check_8_2(ns):
    temperature = number(ns, "temperature")
    assert temperature == 0, f"temperature is still {temperature}: set it to 0 and run the block again"
    state_dict, rng = untrained()
    try:
        sample(state_dict, TINY, LETTERS, rng, temperature=0)
    except Exception as e:
        error, method = type(e).__name__, traceback.extract_tb(e.__traceback__)[-1].name
    else:
        raise AssertionError("sample raised nothing at temperature 0: is microgpt/sample.py the chapter's?")
    assert text(ns, "raised") == error, \
        f"temperature 0 does not raise {ns['raised']}: the last line the block prints names the exception"
    assert text(ns, "method").rsplit(".", 1)[-1] == method, \
        f"the line that raised is not in {ns['method']}: read the last file and line of the traceback"


def check_8_3(ns):
    prediction = predicted(ns, "prediction", whole=True)
    assert prediction in range(4), "prediction must be an index of logits, 0 to 3"
    assert same("8.3 prediction", prediction, "00ad33f2712c493d0ceb"), \
        f"token {prediction} does not get nearly all the probability: print probs, and read hint 1"


SMALL = Tokenizer("abcdefghij")
SHORT = Config(n_embd=4, n_head=1, n_layer=1, block_size=6)


def first_outside(state_dict, config, name, k):
    """Replay name through the model: the first drawn token (with its position) that is not
    among the k largest logits where it was drawn, or None."""
    drawn = SMALL.encode(name) + ([SMALL.BOS] if len(name) < config.block_size else [])
    keys, values = empty_cache(config)
    token_id = SMALL.BOS
    for pos_id, next_id in enumerate(drawn):
        logits = [logit.data for logit in gpt(state_dict, config, token_id, pos_id, keys, values)]
        top = sorted(range(SMALL.vocab_size), key=logits.__getitem__, reverse=True)[:k]
        if next_id not in top:
            return ("BOS" if next_id == SMALL.BOS else SMALL.uchars[next_id]), pos_id
        token_id = next_id
    return None


def check_8_4(ns):
    sample_top_k = ns.get("sample_top_k")
    assert callable(sample_top_k), "keep the function sample_top_k in the block"
    state_dict = init_state_dict(SHORT, SMALL.vocab_size, random.Random(1))
    vocab = SMALL.vocab_size
    for k in (1, 2, 3):
        for seed in range(4):
            name = sample_top_k(state_dict, SHORT, SMALL, random.Random(seed), k=k, temperature=1.0)
            assert isinstance(name, str), f"sample_top_k must return the name, a string; yours gives {name!r}"
            bad = first_outside(state_dict, SHORT, name, k)
            among = "the largest logit" if k == 1 else f"among the {k} largest logits"
            assert bad is None, f"with k = {k} it wrote {name!r}, whose {bad[0]!r} at position {bad[1]} is not {among} there"
    for seed in range(3):
        for temperature in (0.5, 1.0):
            mine, book = random.Random(seed), random.Random(seed)
            got = sample_top_k(state_dict, SHORT, SMALL, mine, k=vocab, temperature=temperature)
            want = sample(state_dict, SHORT, SMALL, book, temperature=temperature)
            assert got == want, (f"with k = vocab_size and temperature {temperature}, the same generator must give "
                                 f"sample's {want!r}, not {got!r}: keep the weights of every token (hint 2)")
            assert mine.random() == book.random(), \
                "with k = vocab_size it must draw exactly the random numbers sample draws: one rng.choices a token"
    one = Config(n_embd=4, n_head=1, n_layer=1, block_size=1)   # names of one letter: the first draw alone
    first = init_state_dict(one, vocab, random.Random(2))
    logits = [logit.data for logit in gpt(first, one, SMALL.BOS, 0, *empty_cache(one))]
    top2 = sorted(range(vocab), key=logits.__getitem__, reverse=True)[:2]
    seen = {(SMALL.encode(n) or [SMALL.BOS])[0]
            for n in (sample_top_k(first, one, SMALL, random.Random(s), k=2, temperature=1.0) for s in range(30))}
    assert seen == set(top2), "with k = 2, thirty first tokens are not all and only the two most likely: draw among both"
    for k in (0, -1, vocab + 1):
        try:
            sample_top_k(state_dict, SHORT, SMALL, random.Random(0), k=k, temperature=1.0)
        except ValueError as e:
            assert "weights" not in str(e), f"k = {k} got as far as rng.choices: refuse it before the loop (hint 3)"
            continue
        raise AssertionError(f"k = {k} must raise ValueError: k must be from 1 to vocab_size ({vocab})")
