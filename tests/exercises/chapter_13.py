"""Chapter 13's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import math
import random

from microgpt.ladder import bigram, climb, rung3
from microgpt.tokenizer import Tokenizer

from answers import predicted, same


def check_13_1(ns):
    prediction = predicted(ns, "prediction")
    assert same("13.1 prediction", prediction, "6d379f8b58db431d0bce"), \
        f"the second loss is not {prediction}: print second, then write out each row of the table (hint 1)"


def check_13_2(ns):
    changed = ns.get("changed")
    assert changed is not None and callable(getattr(changed, "init", None)), "keep changed, the rung with its new init"
    tok = Tokenizer("abc")
    drawn = changed.init(tok, random.Random(0))
    assert list(drawn)[2] == "lm_head", \
        "changed still draws lm_head last: set its init to draw with init_state_dict(ONE_HEAD, ...)"
    same = ns.get("same")
    assert isinstance(same, bool), f"set same to True or False (it is {same!r})"
    first = next(value for what, value in climb(rung3, steps=1000) if what == "step")[1]
    again = next(value for what, value in climb(changed, steps=1000) if what == "step")[1]
    assert same == (first == again), "print losses: are the two first losses equal?"


def check_13_3(ns):
    cooled = ns.get("cooled")
    assert callable(cooled), "keep cooled, the function of (counts, token_id, temperature)"
    counts = [[3, 1, 0], [0, 0, 5], [2, 2, 2], [7, 0, 1]]
    for token_id in range(len(counts)):
        p = bigram(counts, token_id)
        for temperature in (1.0, 0.5, 2.0, 0.25):
            want = [x ** (1 / temperature) for x in p]
            want = [x / sum(want) for x in want]
            got = cooled(counts, token_id, temperature)
            assert len(got) == len(want) and all(math.isclose(g, w, rel_tol=1e-9) for g, w in zip(got, want)), \
                f"cooled(counts, {token_id}, {temperature}) is {got}, not rung 0's probabilities at that temperature"
