"""Chapter 14's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import os
import random
import re
import tempfile

from answers import pair, written
from microgpt import checkpoint
from microgpt.model import Config, init_state_dict
from microgpt.run import scalar
from microgpt.tokenizer import Tokenizer



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


def check_14_1(ns):
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




def check_14_2(ns):
    from microgpt.guard import check_data
    text = ns.get("text")
    assert isinstance(text, str) and text, f"set text to a string of at least one character (it is {text!r})"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "docs.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            check_data(path)
        except ValueError as e:
            said = str(e)
        else:
            raise AssertionError("check_data accepts this text: it still holds a document (hint 1)")
    assert "holds no documents" in said, f"the file is refused, but for another reason: {said}"


def check_14_3(ns):
    from microgpt.guard import write_atomically
    with tempfile.TemporaryDirectory() as folder:
        target, link = os.path.join(folder, "model.json"), os.path.join(folder, "link.json")
        with open(target, "w") as f:
            f.write("old")
        os.symlink(target, link)
        write_atomically(link, "new")
        truth_link = os.path.islink(link)
        with open(target) as f:
            truth_text = f.read()
    still = written(ns, "still_a_link")
    assert type(still) is bool, f"set still_a_link to True or False (it is {still!r})"
    assert still == truth_link, "that is not what os.path.islink(link) says afterwards (hint 1)"
    holds = written(ns, "holds")
    assert isinstance(holds, str), f"set holds to a string (it is {holds!r})"
    assert holds == truth_text, "model.json does not hold that afterwards: print it"
