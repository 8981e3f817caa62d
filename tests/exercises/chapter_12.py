"""Chapter 12's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). They need NumPy, as the
chapter does; so the page, whose Python has none, offers no Check for them."""

import random

import numpy as np

from microgpt import fast
from microgpt.model import Config, init_state_dict
from microgpt.tokenizer import Tokenizer

from answers import same, written


def check_12_1(ns):
    for name, answer in (("prediction_heads", "d4a851953086b993db42"), ("prediction_scores", "910fa671b004e5c56655")):
        value = written(ns, name)
        assert value is not None, f"write your prediction of {name}, a tuple"
        assert isinstance(value, (tuple, list)), f"set {name} to a tuple, like (2, 3) (it is {value!r})"
        assert same(f"12.1 {name}", tuple(value), answer), \
            f"{name} is not {tuple(value)}: print the shape, and read split_heads' docstring"


def check_12_2(ns):
    single = ns.get("single")
    assert isinstance(single, dict) and single, "keep the dict single of arrays"
    wrong = sorted(name for name, w in single.items() if w.dtype != np.float32)
    assert not wrong, f"these arrays are not float32: {', '.join(wrong[:3])}"
    config = Config(n_embd=8, n_head=2, n_layer=1, block_size=8)
    tok = Tokenizer("abcdefghijklmnopqrstuvwxyz")
    weights = fast.to_arrays(init_state_dict(config, tok.vocab_size, random.Random(0)))
    tokens = [tok.BOS] + tok.encode("emma") + [tok.BOS]
    loss64 = fast.doc_loss(weights, config, tokens)[0]
    loss32 = fast.doc_loss({n: w.astype(np.float32) for n, w in weights.items()}, config, tokens)[0]
    difference = ns.get("difference")
    assert difference is not None, "set difference to abs(loss32 - loss64)"
    assert difference == abs(loss32 - loss64) and difference > 0, "difference is not abs(loss32 - loss64): print both"


def check_12_3(ns):
    numeric_grad = ns.get("numeric_grad")
    assert callable(numeric_grad), "keep the function numeric_grad in the block"
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3))
    before = x.copy()
    got = numeric_grad(lambda a: float((a ** 3).sum()), x, h=1e-3)
    assert np.array_equal(x, before), ("numeric_grad must put every element of x back exactly: save old = x[i] "
                                       "and assign it back (adding and subtracting h can change the last bit)")
    assert got.shape == x.shape, f"numeric_grad must return an array of x's shape {x.shape}, not {got.shape}"
    far = np.abs(got - 3 * x ** 2).max()
    assert far < 1e-5, (f"numeric_grad of sum(x**3) should be 3 x**2; yours is off by up to {far:.3g}: "
                        f"nudge both ways, (f(x+h) − f(x−h)) / 2h")
    x, dy = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    y, scale = fast.rmsnorm(x)
    error = np.abs(fast.rmsnorm_back(dy, y, scale) - numeric_grad(lambda a: float((fast.rmsnorm(a)[0] * dy).sum()), x)).max()
    assert error < 1e-6, f"your numeric gradient and rmsnorm_back differ by {error:.3g}"
    assert ns.get("error") is not None and ns["error"] < 1e-6, "error, in the block, should be tiny once numeric_grad works"
