"""Chapter 15's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import contextlib
import io

from answers import pair, written
from microgpt import checkpoint
from microgpt.__main__ import main
from microgpt.data import read_docs
from microgpt.tokenizer import Tokenizer



def check_15_1(ns):
    assert ns.get("status") == 0, "the run in the block did not end with status 0: keep its argv as it is"
    _, _, state_dict, saved = checkpoint.load(ns["model"])
    uchars = written(ns, "uchars")
    assert isinstance(uchars, str) and uchars, f"set uchars to a string, your prediction (it is {uchars!r})"
    truth = Tokenizer.from_docs(read_docs(ns["data"])).uchars
    assert saved["uchars"] == truth, "the checkpoint is not of the block's data file: keep the block's run as it is"
    assert uchars == truth, f"saved['uchars'] is not {uchars!r}: print it, and sort the distinct characters (hint 1)"
    matrices = written(ns, "matrices")
    assert type(matrices) is int, f"set matrices to a whole number, your prediction (it is {matrices!r})"
    assert matrices == len(saved["state_dict"]), \
        "the state_dict does not hold that many matrices: print sorted(saved['state_dict'])"
    wte = state_dict["wte"]
    assert pair(ns, "wte") == (len(wte), len(wte[0])), \
        "wte is not that shape: print len(saved['state_dict']['wte']) and the length of one row"



OPTIONS = ["--steps", "0", "--samples", "1", "--n-embd", "8", "--n-head", "2", "--block-size", "8"]


def answer(prompt):
    """(exit status, what it said on standard error) of main with the block's options and prompt."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(OPTIONS + ["--prompt", prompt])
    return status, err.getvalue().strip()


def check_15_2(ns):
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




def check_15_3(ns):
    import os
    status = ns.get("status")
    assert type(status) is int and status != 0, "keep the block's run as it is: it must fail"
    prediction = written(ns, "prediction")
    assert type(prediction) is int, f"set prediction to a whole number (it is {prediction!r})"
    assert prediction == status, f"main does not return {prediction} for this run: print status (hint 1)"
    saved = written(ns, "saved")
    assert type(saved) is bool, f"set saved to True or False (it is {saved!r})"
    assert saved == os.path.exists(ns["model"]), "that is not whether the checkpoint exists: print it"
