"""Chapter 6's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import math
import random

from microgpt.autograd import Value
from microgpt.model import (Config, head, init_state_dict, linear, mlp_block,
                            rmsnorm, softmax)

from answers import number, same, written


def check_6_1(ns):
    for name, pos, answer in (("same_at_0", 0, "5efecd2203c3e29a2374"), ("same_at_2", 2, "0a917a60db598391fc9f")):
        value = written(ns, name)
        assert isinstance(value, bool), f"set {name} to True or False (it is {value!r})"
        assert same(f"6.1 {name}", value, answer), \
            f"{name} is not {value}: print before[{pos}] == after[{pos}], then read hint {pos // 2 + 1}"


def mlp_block_without_residual(state_dict, li, x):
    """mlp_block with its residual connection left out: the check's own version of the change."""
    x = rmsnorm(x)
    x = linear(x, state_dict[f"layer{li}.mlp_fc1"])
    x = [xi.relu() for xi in x]
    return linear(x, state_dict[f"layer{li}.mlp_fc2"])


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
        ours = [v.data for v in mlp_block_without_residual(state_dict, 0, [Value(a) for a in xs])]
        assert theirs != right, "your mlp_block still adds x_residual: return the block's change alone"
        assert theirs == ours, "your mlp_block does something other than leaving out x_residual: change only its last line"
    state_dict = init_state_dict(config, 5, random.Random(0))
    xs = (0.5, -1.0, 2.0, 0.0, -0.3, 1.2, -2.0, 0.8)
    with_it = input_grads(mlp_block, state_dict, xs)
    without = input_grads(mlp_block_without_residual, state_dict, xs)
    lost = number(ns, "lost")
    assert all(abs(lost - (a - b)) < 1e-9 for a, b in zip(with_it, without)), \
        "lost is not how much smaller x[0].grad is without the residual: print x[0].grad with both blocks"


def unscaled_head(q, keys, values, hs, head_dim):
    """head without the division by sqrt(head_dim): the check's own version of the change."""
    q_h = q[hs:hs + head_dim]
    k_h = [ki[hs:hs + head_dim] for ki in keys]
    v_h = [vi[hs:hs + head_dim] for vi in values]
    attn_weights = softmax([sum(q_h[j] * k_h[t][j] for j in range(head_dim)) for t in range(len(k_h))])
    return [sum(attn_weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(head_dim)]


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
        assert theirs == [v.data for v in unscaled_head(q, keys, values, hs, head_dim)], \
            "your head does something other than leaving out the division: change only attn_logits"
    rng = random.Random(0)
    q = [Value(rng.gauss(0, 1)) for _ in range(16)]
    keys = [[Value(rng.gauss(0, 1)) for _ in range(16)] for _ in range(8)]
    values = [[Value(float(j == t)) for j in range(16)] for t in range(8)]
    weights = [w.data for w in unscaled_head(q, keys, values, 0, 16)][:8]
    assert max(weights) > 0.9, "the solution's 'close to 1' no longer holds for these scores"
    assert abs(number(ns, "largest") - max(weights)) < 1e-12, \
        "largest is not the largest weight of the broken head: print max(weights)"


def cdf(x):
    """Phi(x), the standard normal distribution's cumulative distribution function."""
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def gelu(x):
    return x * cdf(x)


def gelu_value(v):
    """The check's own GELU operation, to compare the reader's MLP with."""
    x = v.data
    return Value(gelu(x), (v,), (cdf(x) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi),))


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
    assert abs(a.grad - (gelu_value(Value(0.49))._local_grads[0] * 2 * 0.7 + 1)) < 1e-9, \
        "gelu does not chain with other operations"
    block = ns.get("mlp_block_gelu")
    assert callable(block), "keep the function mlp_block_gelu in the block"
    config = Config(n_embd=8, n_head=2)
    for seed in (1, 2):
        state_dict = init_state_dict(config, 5, random.Random(seed))
        rng = random.Random(seed + 10)
        xs = [rng.gauss(0, 1) for _ in range(config.n_embd)]
        theirs_x, ours_x = [Value(v) for v in xs], [Value(v) for v in xs]
        theirs = block(state_dict, 0, theirs_x)
        hidden = [gelu_value(v) for v in linear(rmsnorm(ours_x), state_dict["layer0.mlp_fc1"])]
        ours = [a + b for a, b in zip(linear(hidden, state_dict["layer0.mlp_fc2"]), ours_x)]
        assert all(abs(a.data - b.data) < 1e-12 for a, b in zip(theirs, ours)), \
            "mlp_block_gelu does not give x + fc2(gelu(fc1(rmsnorm(x)))): use xi.gelu() in place of xi.relu()"
        sum(theirs).backward()
        sum(ours).backward()
        assert all(abs(a.grad - b.grad) < 1e-9 for a, b in zip(theirs_x, ours_x)), \
            "the gradients through mlp_block_gelu are wrong: build it from Value operations only"
