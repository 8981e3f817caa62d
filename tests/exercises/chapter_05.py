"""Chapter 5's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import math

from microgpt.autograd import Value
from microgpt.model import rmsnorm, softmax

from answers import predicted, same, written


def numbers(ns, name, what="a list of numbers"):
    value = written(ns, name)
    assert isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                           for v in value), f"set {name} to {what} (it is {value!r})"
    return value


def values(xs):
    return [Value(x) for x in xs]


def check_5_1(ns):
    outputs = numbers(ns, "outputs")
    x_grads = numbers(ns, "x_grads")
    w_grads = written(ns, "w_grads")
    assert isinstance(w_grads, list) and all(isinstance(row, list) for row in w_grads), \
        f"set w_grads to a list of two lists, one per row of w (it is {w_grads!r})"
    assert len(outputs) == 2, f"linear gives 2 outputs, not {len(outputs)}: one per row of w"
    assert same("5.1 outputs", outputs, "0a7cddda7be194916cd9"), \
        "outputs is not what linear gives: print [yi.data for yi in y]"
    assert same("5.1 x_grads", x_grads, "50634853ee0883a64b4f"), \
        "x_grads is not right: only y[0] is differentiated, so look at row 0 of w (hint 2)"
    assert same("5.1 w_grads", w_grads, "87e5381ebbba5441def9"), \
        "w_grads is not right: print [[wij.grad for wij in row] for row in w]"


def check_5_2(ns):
    p_values = numbers(ns, "p_values")
    grad_sum = predicted(ns, "grad_sum")
    z = values([2.0] * 4)
    probs = softmax(z)
    probs[0].backward()
    assert len(p_values) == len(probs), f"softmax of {len(z)} scores gives {len(probs)} probabilities"
    assert same("5.2 p_values", p_values, "38e41ab433166a9691df"), \
        "p_values is not what softmax gives: what is each e^(z_i - m) when all the scores are equal?"
    assert same("5.2 grad_sum", grad_sum, "aabc2de3977cd3738aa7"), \
        f"the gradients do not add up to {grad_sum}: print [zi.grad for zi in z] (hint 2)"
    assert z[0].grad > 0 and all(zi.grad < 0 for zi in z[1:]), \
        "raising z[0] should raise probs[0] and raising the others lower it"    # what the solution says


def raised(f, scores):
    """The exception f(scores) raises, or None."""
    try:
        f(values(scores))
    except Exception as e:
        return e
    return None


def check_5_3(ns):
    naive = ns.get("naive_softmax")
    assert callable(naive), "keep the function naive_softmax in the block"
    for scores in ([1.0, 2.0, 3.0], [0.5, -0.5], [-3.0, 0.0, 2.0, 7.0]):
        got, want = naive(values(scores)), softmax(values(scores))
        assert len(got) == len(want) and all(math.isclose(a.data, b.data) for a, b in zip(got, want)), \
            f"naive_softmax({scores}) is no longer a softmax: change only the line of exps"
    big = raised(naive, [1000.0, 1001.0])
    assert big is not None, "naive_softmax still works on the scores 1000 and 1001: remove - max_val"
    assert isinstance(big, OverflowError), \
        f"on the scores 1000 and 1001 naive_softmax raises {type(big).__name__}, not OverflowError: change only - max_val"
    small = raised(naive, [-1000.0, -1001.0])
    assert same("5.3 error", type(small).__name__, "24809bb07c74c5e2fd25"), \
        "your naive_softmax fails differently from the chapter's on the scores -1000 and -1001"
    error = ns.get("error")
    if isinstance(error, type) and issubclass(error, BaseException):
        error = error.__name__
    assert isinstance(error, str), f'set error to the exception\'s name, a string such as "ValueError" (it is {error!r})'
    assert error == type(small).__name__, \
        f"naive_softmax(scores) does not raise {error}: print what the block's except catches"
    assert math.exp(-1000.0) == 0.0, "exp(-1000) should round to 0.0"    # what hint 1 says
    p0, p1 = (p.data for p in softmax(values([-1000.0, -1001.0])))
    assert math.isclose(p0, 1 / (1 + math.exp(-1))) and math.isclose(p1, math.exp(-1) / (1 + math.exp(-1))), \
        "the book's softmax no longer works on the scores -1000 and -1001: leave microgpt.model alone"


def gained(x, g):
    """The standard RMSNorm with gain, in plain floats: g_i x_i / sqrt(ms + 1e-5)."""
    ms = sum(v * v for v in x) / len(x)
    return [gi * xi / math.sqrt(ms + 1e-5) for gi, xi in zip(g, x)]


def check_5_4(ns):
    f = ns.get("rmsnorm_with_gain")
    assert callable(f), "keep the function rmsnorm_with_gain in the block"
    cases = [([3.0, -4.0], [2.0, 0.5]), ([1.0, 2.0, 3.0], [1.0, -1.0, 0.5]),
             ([0.2, -0.1, 0.05, 0.4], [1.5, 0.3, -2.0, 1.0]), ([-7.0], [3.0])]
    weights = [0.7, -1.3, 2.1, 0.4]               # the loss sum(c_i * y_i), so every output counts
    for xs, gs in cases:
        x, g = values(xs), values(gs)
        y = f(x, g)
        assert isinstance(y, list) and len(y) == len(xs) and all(isinstance(v, Value) for v in y), \
            f"rmsnorm_with_gain of {len(xs)} entries must return a list of {len(xs)} Values"
        want = gained(xs, gs)
        for i, (yi, wi) in enumerate(zip(y, want)):
            assert math.isclose(yi.data, wi, rel_tol=1e-9), \
                f"with x = {xs} and g = {gs}, entry {i} should be {wi:.12g} (g[{i}] times rmsnorm), yours is {yi.data:.12g}"
        sum(c * yi for c, yi in zip(weights, y)).backward()
        h = 1e-6
        for name, vs, point in (("x", x, xs), ("g", g, gs)):
            for j, v in enumerate(vs):
                up, down = list(point), list(point)
                up[j] += h
                down[j] -= h
                loss = (lambda a, b: sum(c * yi for c, yi in zip(weights, gained(a, b))))
                estimate = (loss(up, gs) - loss(down, gs) if name == "x" else loss(xs, up) - loss(xs, down)) / (2 * h)
                assert abs(v.grad - estimate) < 1e-5 * max(1.0, abs(estimate)), \
                    f"with x = {xs} and g = {gs}, {name}[{j}].grad is {v.grad:.6f}, the finite difference {estimate:.6f}" + \
                    (": multiply by g[i], not g[i].data" if name == "g" and v.grad == 0 else "")
    xs = [3.0, -1.0, 4.0, 1.0, -5.0]
    ones = f(values(xs), values([1.0] * len(xs)))
    assert all(math.isclose(a.data, b.data, rel_tol=1e-12) for a, b in zip(ones, rmsnorm(values(xs)))), \
        "a gain of ones must give back rmsnorm(x)"
    for gs in ([1.0, 1.0], [1.0] * 4):
        try:
            f(values([1.0, 2.0, 3.0]), values(gs))
        except ValueError:
            continue
        except Exception as e:
            raise AssertionError(f"a gain of {len(gs)} entries for a vector of 3 raises {type(e).__name__}, "
                                 f"not ValueError: compare len(g) with len(x) first") from None
        raise AssertionError(f"a gain of {len(gs)} entries for a vector of 3 must be a ValueError: "
                             f"compare len(g) with len(x)")
