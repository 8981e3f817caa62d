"""Chapter 4's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import random

from microgpt.autograd import Value
from microgpt.model import Config, init_state_dict, parameters

from answers import predicted, same


def check_4_1(ns):
    config = Config(n_embd=8, n_head=2, n_layer=2, block_size=8)
    assert ns.get("config") == config, \
        f"keep config = {config} in the block: the predictions are about that model"
    matrices = predicted(ns, "matrices", whole=True)
    assert same("4.1 matrices", matrices, "4130213bef23f68bbd52"), \
        f"the state dict does not hold {matrices} matrices: print list(state_dict) (hint 1)"
    prediction = predicted(ns, "prediction", whole=True)
    assert same("4.1 prediction", prediction, "4349651b9f90b4c801b0"), \
        f"the model does not have {prediction} parameters: print len(parameters(state_dict)), then use the formula (hint 2)"


def numbers(state_dict):
    """{name: the matrix's numbers}: two state dicts compared by name, whatever their order."""
    return {name: [[p.data for p in row] for row in mat] for name, mat in state_dict.items()}


def check_4_2(ns):
    mine = ns.get("init_state_dict")
    assert callable(mine), "keep the function init_state_dict in the block"
    drawn = []
    for config, seed in ((Config(n_embd=8, n_head=2, n_layer=1, block_size=8), 42),
                         (Config(n_embd=4, n_head=1, n_layer=2, block_size=3), 7)):
        theirs = numbers(mine(config, 5, random.Random(seed)))
        assert theirs != numbers(init_state_dict(config, 5, random.Random(seed))), \
            "your init_state_dict still draws like the book's: swap the lines of wte and lm_head"
        drawn.append(theirs)
    assert same("4.2 drawn", drawn, "cb7157ea8bb0f4c2d836", places=9), \
        "your init_state_dict does something other than drawing lm_head, wpe, wte: swap only those two lines"
    changed = ns.get("changed")
    assert isinstance(changed, (set, frozenset, list, tuple)) and all(isinstance(c, str) for c in changed), \
        f"set changed to a set of names, such as {{'name1', 'name2'}} (it is {changed!r})"
    assert same("4.2 changed", set(changed), "182627319bd3ac1b2fa2"), \
        "changed is not right: compare the data of mine[name] and book[name] for each name"


def refuse(self, *args, **kwargs):
    raise AssertionError("count made a Value: compute the number from the shapes, without drawing any")


def check_4_3(ns):
    count = ns.get("count")
    assert callable(count), "keep the function count in the block"
    for config, vocab_size in ((Config(), 27), (Config(n_embd=12, n_head=3, n_layer=2, block_size=10), 27),
                               (Config(n_embd=8, n_head=2, n_layer=1, block_size=8), 5),
                               (Config(n_embd=4, n_head=1, n_layer=3, block_size=2), 1),
                               (Config(n_embd=6, n_head=3, n_layer=4, block_size=5), 100)):
        truth = len(parameters(init_state_dict(config, vocab_size, random.Random(0))))
        made = Value.__init__
        Value.__init__ = refuse
        try:
            got = count(config, vocab_size)
        finally:
            Value.__init__ = made
        assert got == truth, f"count({config}, {vocab_size}) gives {got!r}, but the model has {truth} parameters"


def check_4_4(ns):
    locate = ns.get("locate")
    assert callable(locate), "keep the function locate in the block"
    state_dict = init_state_dict(Config(n_embd=8, n_head=2, n_layer=2, block_size=8), 5, random.Random(0))
    params = parameters(state_dict)
    starts, at = [], 0
    for mat in state_dict.values():
        starts.append(at)
        at += len(mat) * len(mat[0])
    where = {id(p): (name, r, c) for name, mat in state_dict.items()
             for r, line in enumerate(mat) for c, p in enumerate(line)}
    ks = sorted({k for s in starts for k in (s - 1, s, s + 1, s + 17) if 0 <= k < len(params)}
                | set(range(0, len(params), 97)) | {len(params) - 1})
    for k in ks:
        got = locate(state_dict, k)
        assert isinstance(got, tuple) and len(got) == 3, f"locate(state_dict, {k}) must be a tuple (name, row, column), not {got!r}"
        name, row, column = got
        assert name in state_dict, f"locate(state_dict, {k}) gives the name {name!r}, which is not in the state dict"
        n, r, c = where[id(params[k])]
        assert got == (n, r, c), \
            f"locate(state_dict, {k}) gives {got}, but parameters(state_dict)[{k}] is state_dict[{n!r}][{r}][{c}]"
    for k in (len(params), len(params) + 100):
        try:
            got = locate(state_dict, k)
        except IndexError:
            continue
        raise AssertionError(f"locate(state_dict, {k}) gives {got!r}; past the last parameter it must raise IndexError")
