"""Chapter 9's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import contextlib
import io
import os
import random
import re
import tempfile

from microgpt import checkpoint
from microgpt.__main__ import main
from microgpt.data import read_docs
from microgpt.model import Config, init_state_dict
from microgpt.run import run, scalar
from microgpt.tokenizer import Tokenizer


def pair(ns, name):
    """The reader's prediction name as a tuple of two whole numbers."""
    value = ns.get(name)
    assert isinstance(value, (tuple, list)) and len(value) == 2 and all(
        type(x) is int for x in value), f"set {name} to (rows, columns), two whole numbers (it is {value!r})"
    return tuple(value)


def check_9_1(ns):
    assert ns.get("status") == 0, "the run in the block did not end with status 0: keep its argv as it is"
    _, _, state_dict, saved = checkpoint.load(ns["model"])
    uchars = ns.get("uchars")
    assert isinstance(uchars, str) and uchars, f"set uchars to a string, your prediction (it is {uchars!r})"
    truth = Tokenizer.from_docs(read_docs(ns["data"])).uchars
    assert saved["uchars"] == truth, "the checkpoint is not of the block's data file: keep the block's run as it is"
    assert uchars == truth, f"saved['uchars'] is not {uchars!r}: print it, and sort the distinct characters (hint 1)"
    matrices = ns.get("matrices")
    assert type(matrices) is int, f"set matrices to a whole number, your prediction (it is {matrices!r})"
    assert matrices == len(saved["state_dict"]), \
        "the state_dict does not hold that many matrices: print sorted(saved['state_dict'])"
    wte = state_dict["wte"]
    assert pair(ns, "wte") == (len(wte), len(wte[0])), \
        "wte is not that shape: print len(saved['state_dict']['wte']) and the length of one row"


def untouched():
    """The block's checkpoint, untouched, built the same way."""
    config, tok = Config(n_embd=8, n_head=2, n_layer=1, block_size=8), Tokenizer("abc")
    numbers = scalar.export(init_state_dict(config, tok.vocab_size, random.Random(1)))
    return checkpoint.to_dict(config, tok, numbers, 0, {})


def refusal(saved):
    """The message checkpoint.load gives for saved, without the path it starts with."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        checkpoint.save(path, saved)
        try:
            checkpoint.load(path)
        except ValueError as e:
            return str(e).removeprefix(f"{path}: ")
    return None


def check_9_2(ns):
    saved = ns.get("saved")
    assert isinstance(saved, dict) and isinstance(saved.get("config"), dict), "keep the dictionary saved in the block"
    assert saved["config"].get("n_embd") == 16, \
        f"make the config say n_embd is 16: saved['config']['n_embd'] is {saved['config'].get('n_embd')!r}"
    assert {**saved, "config": {**saved["config"], "n_embd": 8}} == untouched(), \
        "change only saved['config']['n_embd']: the rest of the checkpoint must stay as it was"
    said = refusal(saved)
    found = re.match(r"(\S+) must be a (\d+) x (\d+) matrix", said or "")
    assert found, f"load does not refuse this checkpoint for a matrix's shape: {said}"
    refused = ns.get("refused")
    assert isinstance(refused, str), f"set refused to the name of a matrix, a string (it is {refused!r})"
    assert refused == found.group(1), f"load's refusal does not name {refused!r}: print the error (hint 1)"
    assert pair(ns, "shape") == (int(found.group(2)), int(found.group(3))), \
        "load says the matrix must have another shape: print the error, and count the vocabulary (hint 2)"


OPTIONS = ["--steps", "0", "--samples", "1", "--n-embd", "8", "--n-head", "2", "--block-size", "8"]


def answer(prompt):
    """(exit status, what it said on standard error) of main with the block's options and prompt."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(OPTIONS + ["--prompt", prompt])
    return status, err.getvalue().strip()


def check_9_3(ns):
    prompt = ns.get("prompt")
    assert isinstance(prompt, str), f"prompt must be a string (it is {prompt!r})"
    status, said = answer(prompt)
    assert status != 0, f"the program accepts the prompt {prompt!r}: make it longer"
    assert "block size" in said, f"the program refuses {prompt!r}, but not for its length: {said}"
    assert answer(prompt[:-1])[0] == 0, \
        f"a prompt one letter shorter than {prompt!r} is refused too: find the shortest (hint 1)"
    prediction = ns.get("prediction")
    assert type(prediction) is int, f"set prediction to the exit status, a whole number (it is {prediction!r})"
    assert prediction == status, f"main does not return {prediction} for it: print status (hint 2)"


DATA, TINY = "ab\nb\na\n", Config(n_embd=4, n_head=2, n_layer=1, block_size=4)  # small, to be quick


def described(pair):
    """A pair of the run (or None, after its end) as a message names it: "step 3", "inference"."""
    if pair is None:
        return "nothing (the run had ended)"
    return f"step {pair[1][0]}" if pair[0] == "step" else pair[0]


def check_9_4(ns):
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
