"""Chapter 6's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import math
import random

from microgpt.autograd import Value
from microgpt.model import Config, head, init_state_dict, linear, mlp_block, rmsnorm

from answers import number, same, written


def check_6_1(ns):
    for name, pos, answer in (("same_at_0", 0, "5efecd2203c3e29a2374"), ("same_at_2", 2, "0a917a60db598391fc9f")):
        value = written(ns, name)
        assert isinstance(value, bool), f"set {name} to True or False (it is {value!r})"
        assert same(f"6.1 {name}", value, answer), \
            f"{name} is not {value}: print before[{pos}] == after[{pos}], then read hint {pos // 2 + 1}"


def input_grads(block, state_dict, xs):
    x = [Value(v) for v in xs]
    sum(block(state_dict, 0, x)).backward()
    return [xi.grad for xi in x]


def check_6_2(ns):
    broken = ns.get("mlp_block")
    assert callable(broken), "keep the function mlp_block in the block"
    config = Config(n_embd=8, n_head=2)
    for seed in (3, 4):
        state_dict = init_state_dict(config, 5, random.Random(seed))
        rng = random.Random(seed + 10)
        xs = [rng.gauss(0, 1) for _ in range(config.n_embd)]
        theirs = [v.data for v in broken(state_dict, 0, [Value(a) for a in xs])]
        right = [v.data for v in mlp_block(state_dict, 0, [Value(a) for a in xs])]
        assert theirs != right, "your mlp_block still adds x_residual: return the block's change alone"
        assert all(math.isclose(t, r - a, rel_tol=1e-9, abs_tol=1e-12) for t, r, a in zip(theirs, right, xs)), \
            "your mlp_block does something other than leaving out x_residual: change only its last line"
    state_dict = init_state_dict(config, 5, random.Random(0))
    xs = (0.5, -1.0, 2.0, 0.0, -0.3, 1.2, -2.0, 0.8)
    with_it = input_grads(mlp_block, state_dict, xs)
    without = input_grads(broken, state_dict, xs)
    lost = number(ns, "lost")
    assert all(abs(lost - (a - b)) < 1e-9 for a, b in zip(with_it, without)), \
        "lost is not how much smaller x[0].grad is without the residual: print x[0].grad with both blocks"


def check_6_3(ns):
    broken = ns.get("head")
    assert callable(broken), "keep the function head in the block"
    for seed, head_dim, positions, hs in ((5, 4, 3, 0), (6, 4, 5, 4), (7, 9, 2, 0)):
        rng = random.Random(seed)
        width = hs + head_dim
        q = [Value(rng.gauss(0, 1)) for _ in range(width)]
        keys = [[Value(rng.gauss(0, 1)) for _ in range(width)] for _ in range(positions)]
        values = [[Value(rng.gauss(0, 1)) for _ in range(width)] for _ in range(positions)]
        theirs = [v.data for v in broken(q, keys, values, hs, head_dim)]
        assert theirs != [v.data for v in head(q, keys, values, hs, head_dim)], \
            "your head still divides the scores by head_dim**0.5: take that division out"
        # Without the division, the book's head on a query sqrt(head_dim) times larger.
        larger = [qi * head_dim ** 0.5 for qi in q]
        assert all(math.isclose(t, v.data, rel_tol=1e-9, abs_tol=1e-12) for t, v in zip(theirs, head(larger, keys, values, hs, head_dim))), \
            "your head does something other than leaving out the division: change only attn_logits"
    rng = random.Random(0)
    q = [Value(rng.gauss(0, 1)) for _ in range(16)]
    keys = [[Value(rng.gauss(0, 1)) for _ in range(16)] for _ in range(8)]
    values = [[Value(float(j == t)) for j in range(16)] for t in range(8)]
    weights = [w.data for w in broken(q, keys, values, 0, 16)][:8]
    assert max(weights) > 0.9, "the solution's 'close to 1' no longer holds for these scores"
    assert abs(number(ns, "largest") - max(weights)) < 1e-12, \
        "largest is not the largest weight of the broken head: print max(weights)"


def cdf(x):
    """Phi(x), the standard normal distribution's cumulative distribution function."""
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def gelu(x):
    return x * cdf(x)


def check_6_4(ns):
    assert hasattr(Value, "gelu"), "give Value a method gelu (Value.gelu = gelu)"
    for x0 in (-3.0, -1.0, -0.2, 0.0, 0.4, 2.5):
        x = Value(x0)
        y = x.gelu()
        assert isinstance(y, Value), "gelu must return a Value"
        assert abs(y.data - gelu(x0)) < 1e-12, f"gelu({x0}) is {gelu(x0)}, yours gives {y.data}"
        assert tuple(y._children) == (x,), "gelu must be one operation whose only child is the value itself"
        y.backward()
        h = 1e-6
        estimate = (gelu(x0 + h) - gelu(x0 - h)) / (2 * h)
        assert abs(x.grad - estimate) < 1e-6, \
            f"at x = {x0} your local gradient gives {x.grad}, the finite difference {estimate:.6f}"
    a = Value(0.7)
    z = (a * a).gelu() + a            # a used twice, through gelu: the chain rule must hold
    z.backward()
    h = 1e-6
    estimate = ((gelu((0.7 + h) ** 2) + 0.7 + h) - (gelu((0.7 - h) ** 2) + 0.7 - h)) / (2 * h)
    assert abs(a.grad - estimate) < 1e-6, "gelu does not chain with other operations"
    block = ns.get("mlp_block_gelu")
    assert callable(block), "keep the function mlp_block_gelu in the block"
    config = Config(n_embd=8, n_head=2)
    for seed in (1, 2):
        state_dict = init_state_dict(config, 5, random.Random(seed))
        rng = random.Random(seed + 10)
        xs = [rng.gauss(0, 1) for _ in range(config.n_embd)]
        theirs_x, ours_x = [Value(v) for v in xs], [Value(v) for v in xs]
        theirs = block(state_dict, 0, theirs_x)
        hidden = [v.gelu() for v in linear(rmsnorm(ours_x), state_dict["layer0.mlp_fc1"])]  # yours, checked above
        ours = [a + b for a, b in zip(linear(hidden, state_dict["layer0.mlp_fc2"]), ours_x)]
        assert all(abs(a.data - b.data) < 1e-12 for a, b in zip(theirs, ours)), \
            "mlp_block_gelu does not give x + fc2(gelu(fc1(rmsnorm(x)))): use xi.gelu() in place of xi.relu()"
        sum(theirs).backward()
        sum(ours).backward()
        assert all(abs(a.grad - b.grad) < 1e-9 for a, b in zip(theirs_x, ours_x)), \
            "the gradients through mlp_block_gelu are wrong: build it from Value operations only"
