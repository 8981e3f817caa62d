"""Chapter 13: Karpathy's ladder, each rung reproducing its revision bit for bit.

The reference runs are in tests/data/ladder/ (its README says how they were made): for
every rung, the revision's 1000 steps and a 20-step run of its own. The default tier
climbs every rung for 20 steps; the full tier climbs the whole 1000 and compares every
line printed too.
"""

import contextlib
import io
import json
import math
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

import book
from microgpt import ladder
from microgpt.autograd import Value
from microgpt.evaluate import framed, model_nll, split
from microgpt.ladder import ONE_HEAD
from microgpt.model import Config
from microgpt.run import choose
from microgpt.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "ladder"
LOG = ROOT / "docs" / "assets" / "ladder.json"  # made by python tools/bench.py --ladder --json ...
RUNGS = range(len(ladder.RUNGS))
SCREEN = 80  # lines: a screen of new code is the most a rung may add to the rung below


def reference(rung, steps):
    return json.loads((DATA / f"train{rung}{'' if steps == 1000 else f'-{steps}'}.json").read_text())


def climbed(rung, steps, opening=True):
    """(what the climb yielded, as a dict of lists; what the runner's steps printed)."""
    r = ladder.RUNGS[rung] if opening else SimpleNamespace(**{**vars(ladder.RUNGS[rung]),
                                                              "opening": lambda *a: ()})
    printed, seen = io.StringIO(), {}
    with contextlib.redirect_stdout(printed):
        for what, value in ladder.shown(ladder.lines(ladder.climb(r, steps=steps)), rung, steps):
            seen.setdefault(what, []).append(value)
            if what == "sample":
                print(f"sample {len(seen['sample']):2d}: {value}")
            elif what == "inference":
                print("\n--- inference (new, hallucinated names) ---")
    return seen, printed.getvalue().split("\n")[:-1]


@pytest.mark.parametrize("rung", RUNGS)
def test_twenty_steps_of_each_rung_are_its_revisions_to_the_last_bit(rung):
    """The 20-step run: every loss, every name, every line printed (rung 1's gradient check,
    which costs a measured gradient of 3,184 parameters, is the full tier's)."""
    ref = reference(rung, 20)
    seen, printed = climbed(rung, 20, opening=rung != 1)
    assert [loss for _, loss in seen["step"]] == ref["losses"]
    assert seen["sample"] == ref["samples"]
    expected = [line for line in ref["stdout"] if rung != 1 or not line.startswith(("gradient check", "num params"))]
    assert printed == expected
    assert (len(seen["num docs"][0]), seen["vocab size"][0].vocab_size) == (ref["num_docs"], ref["vocab_size"])


@pytest.mark.slow
@pytest.mark.parametrize("rung", RUNGS)
def test_the_whole_climb_of_each_rung_is_its_revisions_and_prints_what_it_printed(rung):
    """The 1000-step run: every loss and name, and every line the revision printed,
    its opening (rung 1's gradient check too) and the steps it shows."""
    ref = reference(rung, 1000)
    seen, printed = climbed(rung, 1000)
    assert [loss for _, loss in seen["step"]] == ref["losses"]
    assert seen["sample"] == ref["samples"]
    assert printed == ref["stdout"]
    logged = log()[rung]
    assert [loss for _, loss in seen["step"]] == logged["losses"]
    assert seen["sample"] == logged["samples"]
    assert seen.get("num params", [None])[0] == logged["num_params"]
    docs, tokenizer, model = seen["num docs"][0], seen["vocab size"][0], seen["inference"][0]
    if rung < 3:   # the bigram rungs score the held-out names in a moment: by their own code, exactly
        assert ladder.held_out_loss(ladder.RUNGS[rung], model, tokenizer, docs) == logged["held_out"]
    else:          # the GPTs' Values take minutes: the same model on chapter 12's arrays, to rounding
        state_dict, config = (model.state_dict if rung == 5 else model), ONE_HEAD if rung == 3 else Config()
        engine = choose("numpy")
        weights = engine.model(state_dict)
        _, held_out = split(docs, 1000)
        positions = sum(framed(tokenizer, config, doc)[1] for doc in held_out)
        total = math.fsum(model_nll(weights, config, tokenizer, doc, engine) for doc in held_out)
        assert total / positions == pytest.approx(logged["held_out"], rel=1e-12, abs=0)


def log():
    return json.loads(LOG.read_text())["rungs"]


@pytest.mark.parametrize("rung", RUNGS)
def test_the_committed_log_of_each_rung_is_its_revisions_run(rung):
    """The log the chapter's table is made from holds the reference's losses, names and size
    (the full tier climbs each rung again and checks the log is what the code makes)."""
    ref, logged = reference(rung, 1000), log()[rung]
    assert (logged["rung"], logged["losses"], logged["samples"]) == (rung, ref["losses"], ref["samples"])
    assert logged["num_params"] == ref["num_params"]
    assert logged["seconds_per_step"] > 0


def test_the_ends_of_the_ladder_score_as_chapter_10_scores_the_baseline_and_the_model():
    """Rung 0, after 1000 steps, is chapter 10's bigram table; rung 5 is the default model."""
    models = json.loads((ROOT / "docs" / "assets" / "default-eval.json").read_text())["models"]
    assert math.isclose(log()[0]["held_out"], models["bigram"]["loss"], rel_tol=1e-12)
    assert math.isclose(log()[5]["held_out"], models["microgpt"]["loss"], rel_tol=1e-12)


def test_the_hand_derived_gradient_is_autograds_on_rung_1s_own_first_weights_and_name():
    """analytic_gradient against rung 2's backward(), on the 3,184 weights rung 1 starts from."""
    docs = ladder.load_docs("names.txt", rng := random.Random(42))
    tokenizer = Tokenizer.from_docs(docs)
    floats = ladder.rung1.init(tokenizer, rng)
    values = {name: [[Value(x) for x in row] for row in mat] for name, mat in floats.items()}
    tokens = [tokenizer.BOS] + tokenizer.encode(docs[0]) + [tokenizer.BOS]
    loss = ladder.value_loss(values, tokens)
    loss.backward()
    by_hand_loss, by_hand = ladder.analytic_gradient(floats, tokens)
    by_autograd = [p.grad for mat in values.values() for row in mat for p in row]
    assert len(by_hand) == len(by_autograd) == ladder.size(floats)
    assert math.isclose(by_hand_loss, loss.data, rel_tol=1e-15)
    assert max(abs(h - a) for h, a in zip(by_hand, by_autograd)) < 1e-15
    assert max(abs(g) for g in by_hand) > 1e-3  # the gradients are not all (nearly) zero


def test_each_rung_adds_at_most_a_screen_of_code_to_the_rung_below():
    """The package lines each rung's section of the chapter writes (rung 0's count is over
    the climb, which every rung shares)."""
    page = book.pages(ROOT)["13-the-way-up.md"]
    text = (ROOT / "docs" / "13-the-way-up.md").read_text(encoding="utf-8").split("\n")
    starts = {int(line.split("{#rung-")[1].rstrip("}")): i + 1 for i, line in enumerate(text)
              if line.startswith("## ") and "{#rung-" in line}
    ends = sorted([i + 1 for i, line in enumerate(text) if line.startswith("## ")] + [len(text) + 1])
    added = {}
    for rung, start in starts.items():
        end = next(e for e in ends if e > start)
        added[rung] = sum(1 for b in page.blocks if start < b.line < end and b.info.startswith('python title="microgpt/')
                          for line in b.code.splitlines() if line.strip())
    assert sorted(added) == list(RUNGS)
    assert all(0 < n <= SCREEN for n in added.values()), added
