"""Chapter 1's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import os
import random
import tempfile

from microgpt.data import load_docs, read_docs

from answers import same, written


def check_1_1(ns):
    prediction = written(ns, "prediction")
    assert isinstance(prediction, list) and all(isinstance(d, str) for d in prediction), \
        f"set prediction to a list of strings (it is {prediction!r})"
    assert same("1.1 prediction", prediction, "ea96c4ecaebf5f024734"), \
        f"read_docs does not return {prediction}: print docs, and look at what strip() keeps"


def check_1_2(ns):
    twice = ns.get("twice")
    assert callable(twice), "keep the function twice in the block"
    for docs in (["a", "b", "a"], ["x", "y"], ["b", "a", "b", "a", "b", "c"], []):
        want = sorted({d for i, d in enumerate(docs) if d in docs[:i]})   # seen before: seen twice
        got = twice(list(docs))
        assert got == want, f"twice({docs}) should be {want}, yours gives {got}"
    names = read_docs("names.txt")
    assert ns.get("count") == len(twice(names)), "count is not the number of names that appear twice in names.txt"


def check_1_3(ns):
    docs = ns.get("my_docs")
    assert isinstance(docs, list) and all(isinstance(d, str) for d in docs), "my_docs must be a list of strings"
    bad = [d for d in docs if "\n" in d or d != d.strip() or not d]
    assert not bad, f"each document must be one line, with no spaces at its ends: {bad[:3]}"
    assert len(set(docs)) >= 20, f"my_docs has {len(set(docs))} different documents; write at least 20"
    names = set(read_docs("names.txt"))
    named = [d for d in docs if d in names]
    assert len(named) * 2 < len(docs), f"{len(named)} of your {len(docs)} documents are in names.txt: most must not be"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mine.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(docs) + "\n")
        loaded = load_docs(path, random.Random(42))
    assert sorted(loaded) == sorted(docs), "load_docs did not give back your documents"
