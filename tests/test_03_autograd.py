"""Tests for chapter 3, autograd (docs/03-autograd.md, microgpt/autograd.py).

Gradients from backward() are compared with central finite differences of the
same function written with plain floats and the math module, so the check does
not rely on Value's own arithmetic.
"""

import math
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from microgpt.autograd import Value

H = 1e-6


def central_difference(f, x, h=H):
    return (f(x + h) - f(x - h)) / (2 * h)


def close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# --- every operation against finite differences ------------------------------

# (name, function of a Value, the same function of a float, points)
UNARY = [
    ("log", lambda v: v.log(), math.log, [0.1, 1.0, 2.5, 40.0]),
    ("exp", lambda v: v.exp(), math.exp, [-3.0, 0.0, 0.7, 5.0]),
    ("relu", lambda v: v.relu(), lambda x: max(0.0, x), [-1.5, -1e-3, 1e-3, 2.0]),
    ("neg", lambda v: -v, lambda x: -x, [-2.0, 0.0, 3.5]),
    ("radd", lambda v: 2.5 + v, lambda x: 2.5 + x, [-1.0, 0.0, 4.0]),
    ("add number", lambda v: v + 2.5, lambda x: x + 2.5, [-1.0, 0.0, 4.0]),
    ("rmul", lambda v: -1.5 * v, lambda x: -1.5 * x, [-1.0, 0.0, 4.0]),
    ("mul number", lambda v: v * 3.0, lambda x: x * 3.0, [-1.0, 0.0, 4.0]),
    ("sub number", lambda v: v - 3.0, lambda x: x - 3.0, [-1.0, 0.0, 4.0]),
    ("rsub", lambda v: 3.0 - v, lambda x: 3.0 - x, [-1.0, 0.0, 4.0]),
    ("div number", lambda v: v / 4.0, lambda x: x / 4.0, [-1.0, 0.0, 4.0]),
    ("rtruediv", lambda v: 2.0 / v, lambda x: 2.0 / x, [-3.0, -0.5, 0.25, 7.0]),
]


@pytest.mark.parametrize("name, vf, ff, points", UNARY, ids=[u[0] for u in UNARY])
def test_one_input_operations(name, vf, ff, points):
    for x0 in points:
        x = Value(x0)
        y = vf(x)
        y.backward()
        assert isinstance(y, Value)
        assert close(y.data, ff(x0), 1e-12), (name, x0)
        assert close(x.grad, central_difference(ff, x0)), (name, x0, x.grad)


@pytest.mark.parametrize("n", [0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, 1 / 3])
def test_pow(n):
    for x0 in [0.3, 1.0, 2.0, 5.5]:
        x = Value(x0)
        y = x**n
        y.backward()
        assert y.data == x0**n
        assert close(x.grad, central_difference(lambda t: t**n, x0)), (n, x0, x.grad)


def test_pow_of_negative_base_with_whole_exponents():
    for n in [2, 3, -1, -2]:
        x = Value(-1.5)
        (x**n).backward()
        assert close(x.grad, central_difference(lambda t: t**n, -1.5)), n


# (name, function of two Values, the same function of two floats)
BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b),
    ("mul", lambda a, b: a * b, lambda a, b: a * b),
    ("sub", lambda a, b: a - b, lambda a, b: a - b),
    ("div", lambda a, b: a / b, lambda a, b: a / b),
]


@pytest.mark.parametrize("name, vf, ff", BINARY, ids=[b[0] for b in BINARY])
def test_two_input_operations(name, vf, ff):
    for a0, b0 in [(2.0, 3.0), (-1.25, 0.5), (0.0, -4.0), (7.0, 7.0)]:
        a, b = Value(a0), Value(b0)
        y = vf(a, b)
        y.backward()
        assert close(y.data, ff(a0, b0), 1e-12)
        assert close(a.grad, central_difference(lambda t: ff(t, b0), a0)), (name, a0, b0)
        assert close(b.grad, central_difference(lambda t: ff(a0, t), b0)), (name, a0, b0)


def test_relu_at_zero_has_gradient_zero_like_the_reference():
    # The reference's local gradient is float(data > 0): 0 at the corner,
    # although a central difference there would say 0.5.
    x = Value(0.0)
    y = x.relu()
    y.backward()
    assert y.data == 0
    assert x.grad == 0.0
    assert central_difference(lambda t: max(0.0, t), 0.0) == pytest.approx(0.5)


def test_relu_keeps_positive_zeroes_negative():
    assert Value(-3.0).relu().data == 0
    assert Value(3.0).relu().data == 3.0


def test_local_gradients_match_the_table():
    a, b = Value(2.0), Value(5.0)
    assert (a + b)._local_grads == (1, 1)
    assert (a * b)._local_grads == (5.0, 2.0)
    assert (a**3)._local_grads == (3 * 2.0**2,)
    assert a.log()._local_grads == (0.5,)
    assert a.exp()._local_grads == (math.exp(2.0),)
    assert a.relu()._local_grads == (1.0,)
    assert Value(-2.0).relu()._local_grads == (0.0,)


def test_division_is_multiplication_by_the_reciprocal():
    # As in the reference: a / b is a * b**-1, which can differ from a / b
    # in the last bit; the book's bit-for-bit reproduction depends on it.
    assert (Value(5.0) / 3).data == 5.0 * 3**-1
    assert (Value(5.0) / Value(3.0)).data == 5.0 * 3.0**-1
    assert (5.0 / Value(3.0)).data == 5.0 * 3.0**-1
    assert (Value(5.0) / 3).data != 5.0 / 3


# --- plain numbers on either side ---------------------------------------------

def test_arithmetic_with_plain_numbers_on_either_side():
    v = Value(4.0)
    cases = {
        "2 + v": (2 + v, 6.0, 1.0),
        "v + 2": (v + 2, 6.0, 1.0),
        "v - 3": (v - 3, 1.0, 1.0),
        "3 - v": (3 - v, -1.0, -1.0),
        "2 * v": (2 * v, 8.0, 2.0),
        "v * 2": (v * 2, 8.0, 2.0),
        "v / 2": (v / 2, 2.0, 0.5),
        "1 / v": (1 / v, 0.25, -1 / 16),
        "-v": (-v, -4.0, -1.0),
        "v ** 2": (v**2, 16.0, 8.0),
        "sum": (sum([v, Value(1.0)]), 5.0, 1.0),
    }
    for text, (y, data, grad) in cases.items():
        v.grad = 0
        assert isinstance(y, Value), text
        assert y.data == data, text
        y.backward()
        assert v.grad == grad, text


def test_integer_data_works_too():
    a, b = Value(2), Value(3)
    L = a * b + a
    L.backward()
    assert L.data == 8 and a.grad == 4 and b.grad == 2


# --- backward(): the worked example, reuse, order, depth ----------------------

def test_worked_example():
    a, b = Value(2.0), Value(3.0)
    L = a * b + a
    L.backward()
    assert L.data == 8.0
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_reused_node_receives_the_sum_of_its_gradients():
    # c is used three times: L = c*c + c = (ab)^2 + ab.
    a, b = Value(1.5), Value(-2.0)
    c = a * b
    L = c * c + c
    L.backward()
    assert c.grad == 2 * c.data + 1
    assert a.grad == pytest.approx(b.data * (2 * c.data + 1))
    assert b.grad == pytest.approx(a.data * (2 * c.data + 1))
    x = Value(3.0)
    (x * x * x).backward()
    assert x.grad == pytest.approx(27.0)


def test_backward_leaves_unrelated_values_alone():
    a, b, other = Value(2.0), Value(3.0), Value(10.0)
    unused = other * 2
    (a * b).backward()
    assert other.grad == 0 and unused.grad == 0


def test_grad_starts_at_zero_and_backward_accumulates_into_leaves():
    a, b = Value(2.0), Value(3.0)
    assert a.grad == 0 and b.grad == 0
    (a * b).backward()
    (a + b).backward()  # a second graph over the same leaves
    assert a.grad == 3.0 + 1 and b.grad == 2.0 + 1


def test_chain_of_100000_additions_has_no_recursion_error():
    n = 100_000                      # far deeper than Python's recursion limit (1000)
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y + x
    y.backward()
    assert y.data == n + 1
    assert x.grad == n + 1


def test_chain_of_100000_multiplications():
    n = 100_000
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def recursive_order(root):
    """Karpathy's recursive build_topo, as a reference for the iterative one."""
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._children:
                build_topo(child)
            topo.append(v)

    build_topo(root)
    return topo


# --- random expression graphs (hypothesis) -------------------------------------

# A program is a list of steps over a growing list of nodes; each step applies
# one operation to earlier nodes (picked by index, so nodes get reused and the
# graph is a DAG, not just a tree). The same program runs on Values and on
# floats. Every operation is safe for any real input.
UNARY_OPS = {
    "neg": (lambda v: -v, lambda x: -x),
    "relu": (lambda v: v.relu(), lambda x: max(0.0, x)),
    "square": (lambda v: v**2, lambda x: x**2),
    "cube": (lambda v: v**3, lambda x: x**3),
    "exp": (lambda v: v.exp(), math.exp),
    "log1p_sq": (lambda v: (v * v + 1).log(), lambda x: math.log(x * x + 1)),
    "inv1p_sq": (lambda v: 1 / (v * v + 1), lambda x: 1 / (x * x + 1)),
    "rsqrt1p_sq": (lambda v: (v * v + 1) ** -0.5, lambda x: (x * x + 1) ** -0.5),
    "affine": (lambda v: 0.5 * v - 1, lambda x: 0.5 * x - 1),
}
BINARY_OPS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div1p_sq": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
}


@st.composite
def programs(draw, max_leaves=4, max_steps=10):
    n_leaves = draw(st.integers(1, max_leaves))
    leaves = draw(st.lists(st.floats(-2.0, 2.0), min_size=n_leaves, max_size=n_leaves))
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        n_nodes = n_leaves + k
        if draw(st.booleans()):
            op = draw(st.sampled_from(sorted(UNARY_OPS)))
            steps.append((op, draw(st.integers(0, n_nodes - 1))))
        else:
            op = draw(st.sampled_from(sorted(BINARY_OPS)))
            steps.append((op, draw(st.integers(0, n_nodes - 1)),
                          draw(st.integers(0, n_nodes - 1))))
    return leaves, steps


def run(steps, leaves, which):
    """Apply the steps to the leaves; which is 0 for Values, 1 for floats.
    Returns every node (the last is the result) and every ReLU input."""
    nodes, relu_inputs = list(leaves), []
    for op, *args in steps:
        if op == "relu":
            x = nodes[args[0]]
            relu_inputs.append(x.data if which == 0 else x)
        table = UNARY_OPS if len(args) == 1 else BINARY_OPS
        nodes.append(table[op][which](*(nodes[i] for i in args)))
    return nodes, relu_inputs


# Derandomized: the same examples on every run, and no example database
# written into the working tree.
SETTINGS = dict(deadline=None, derandomize=True, database=None)


@settings(max_examples=300, **SETTINGS)
@given(programs())
def test_random_expressions_against_finite_differences(program):
    leaves, steps = program
    try:
        nodes, relu_at = run(steps, leaves, 1)
    except OverflowError:
        nodes = [math.inf]
    # Keep every value moderate, so a finite difference of size H is meaningful.
    assume(all(abs(x) < 1e4 for x in nodes))
    values = [Value(x) for x in leaves]
    root = run(steps, values, 0)[0][-1]
    assert root.data == pytest.approx(nodes[-1], rel=1e-12, abs=1e-12)
    root.backward()
    for i, x0 in enumerate(leaves):
        def f(t, i=i):
            moved = list(leaves)
            moved[i] = t
            nodes, relu_inputs = run(steps, moved, 1)
            return nodes[-1], relu_inputs
        (up, relu_up), (down, relu_down) = f(x0 + H), f(x0 - H)
        # A finite difference across ReLU's corner says nothing: skip those.
        assume(all((u > 0) == (r > 0) == (d > 0)
                   for u, r, d in zip(relu_up, relu_at, relu_down)))
        estimate = (up - down) / (2 * H)
        assert close(values[i].grad, estimate, 1e-4), (i, values[i].grad, estimate)


@settings(max_examples=200, **SETTINGS)
@given(programs(max_leaves=5, max_steps=25))
def test_iterative_topological_order_equals_recursive(program):
    leaves, steps = program
    try:
        root = run(steps, [Value(x) for x in leaves], 0)[0][-1]
    except OverflowError:  # only the values overflow; the graph is what matters
        assume(False)
    order = root.topological_order()
    assert [id(v) for v in order] == [id(v) for v in recursive_order(root)]
    # And it is a topological order: each node after all of its children.
    position = {id(v): k for k, v in enumerate(order)}
    assert len(position) == len(order)
    for v in order:
        assert all(position[id(c)] < position[id(v)] for c in v._children)
    assert order[-1] is root


def test_topological_order_on_random_larger_graphs():
    rng = random.Random(0)
    for _ in range(20):
        nodes = [Value(rng.uniform(-1, 1)) for _ in range(5)]
        for _ in range(300):
            a, b = rng.choice(nodes), rng.choice(nodes)
            nodes.append(rng.choice([a + b, a * b, a - b, -a, a.relu()]))
        root = sum(rng.sample(nodes, 10))
        assert [id(v) for v in root.topological_order()] == \
            [id(v) for v in recursive_order(root)]
