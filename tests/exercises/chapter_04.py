"""Chapter 4's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import random

from microgpt.autograd import Value
from microgpt.model import Config, init_state_dict, matrix, parameters

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


def lm_head_first(config, vocab_size, rng, std=0.08):
    """init_state_dict with lm_head drawn first and wte last: the check's own version of the change."""
    n = config.n_embd
    state_dict = {"lm_head": matrix(vocab_size, n, rng, std),
                  "wpe": matrix(config.block_size, n, rng, std),
                  "wte": matrix(vocab_size, n, rng, std)}
    for i in range(config.n_layer):
        for name in ("attn_wq", "attn_wk", "attn_wv", "attn_wo"):
            state_dict[f"layer{i}.{name}"] = matrix(n, n, rng, std)
        state_dict[f"layer{i}.mlp_fc1"] = matrix(4 * n, n, rng, std)
        state_dict[f"layer{i}.mlp_fc2"] = matrix(n, 4 * n, rng, std)
    return state_dict


def numbers(state_dict):
    """{name: the matrix's numbers}: two state dicts compared by name, whatever their order."""
    return {name: [[p.data for p in row] for row in mat] for name, mat in state_dict.items()}


def check_4_2(ns):
    mine = ns.get("init_state_dict")
    assert callable(mine), "keep the function init_state_dict in the block"
    for config, seed in ((Config(n_embd=8, n_head=2, n_layer=1, block_size=8), 42),
                         (Config(n_embd=4, n_head=1, n_layer=2, block_size=3), 7)):
        theirs = numbers(mine(config, 5, random.Random(seed)))
        assert theirs != numbers(init_state_dict(config, 5, random.Random(seed))), \
            "your init_state_dict still draws like the book's: swap the lines of wte and lm_head"
        assert theirs == numbers(lm_head_first(config, 5, random.Random(seed))), \
            "your init_state_dict does something other than drawing lm_head, wpe, wte: swap only those two lines"
    changed = ns.get("changed")
    assert isinstance(changed, (set, frozenset, list, tuple)) and all(isinstance(c, str) for c in changed), \
        f"set changed to a set of names, such as {{'name1', 'name2'}} (it is {changed!r})"
    config = Config(n_embd=8, n_head=2, n_layer=1, block_size=8)
    ours, book = numbers(lm_head_first(config, 27, random.Random(42))), numbers(init_state_dict(config, 27, random.Random(42)))
    truth = {name for name in book if ours[name] != book[name]}
    wrong = sorted(set(changed) ^ truth)
    assert not wrong, f"changed is not right about {wrong[0]!r}: compare the data of mine[{wrong[0]!r}] and book[{wrong[0]!r}]"


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
