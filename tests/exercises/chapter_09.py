"""Chapter 9's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import os
import tempfile

from answers import predicted, written
from microgpt.model import Config
from microgpt.run import lines, run


DATA, TINY = "ab\nb\na\n", Config(n_embd=4, n_head=2, n_layer=1, block_size=4)  # small, to be quick


def described(pair):
    """A pair of the run (or None, after its end) as a message names it: "step 3", "inference"."""
    if pair is None:
        return "nothing (the run had ended)"
    return f"step {pair[1][0]}" if pair[0] == "step" else pair[0]


def check_9_1(ns):
    train_for = ns.get("train_for")
    assert callable(train_for), "keep the function train_for in the block"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "docs.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(DATA)
        truth = {steps: [value[1] for what, value in run(path, steps=steps, samples=1, config=TINY)
                         if what == "step"] for steps in (2, 3)}
        for steps, most in ((3, 2), (3, 3), (2, 4), (3, 0)):
            events = run(path, steps=steps, samples=1, config=TINY)
            got = train_for(events, most)
            where = f"train_for(events, {most}) on a run of {steps} steps"
            want = truth[steps][:most]
            assert isinstance(got, list), f"{where} must return a list, not {type(got).__name__}"
            assert len(got) == len(want), f"{where} gives a list of length {len(got)}, not {len(want)}"
            assert got == want, f"{where} gives other numbers than the steps' losses: collect value[1] of each step"
            after, expected = described(next(events, None)), described(
                ("step", (most + 1, None)) if most < steps else ("inference", None) if most == steps else ("sample", None))
            assert after == expected, (f"after {where}, the run's next pair is {after}, not {expected}: "
                                       "take no pair too many, and stop at the first that is not a step")


def check_9_2(ns):
    out = ns.get("out")
    assert isinstance(out, list), "keep the list out that the block makes"
    truth = list(lines(run(steps=0, samples=3, config=Config(n_embd=8, n_head=2, n_layer=1, block_size=8)),
                       steps=0))
    assert out == truth, "out is not the lines of the block's run: keep the block's run as it is"
    count = predicted(ns, "count", whole=True)
    assert count == len(truth), f"the run prints another number of lines than {count}: count the pairs run yields (hint 1)"
    fourth = written(ns, "fourth")
    assert isinstance(fourth, str), f"set fourth to a string, the line you predict (it is {fourth!r})"
    assert fourth == truth[3], f"the fourth line is not {fourth!r}: with no steps, which pair follows the model? (hint 2)"


def check_9_3(ns):
    differ = written(ns, "differ")
    assert isinstance(differ, list) and all(isinstance(d, str) for d in differ), \
        f"set differ to a list of strings, like ['num docs'] (it is {differ!r})"
    small = Config(n_embd=8, n_head=2, n_layer=1, block_size=8)
    first = {seed: list(lines(run(seed=seed, steps=0, samples=0, config=small), steps=0))[:3] for seed in (42, 7)}
    truth = sorted(a.split(":")[0] for a, b in zip(first[42], first[7]) if a != b)
    assert sorted(differ) == truth, "those are not the lines that differ: print first and compare (hints 1 and 2)"
