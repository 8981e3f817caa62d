"""Chapter 5, Building blocks: linear, softmax, rmsnorm."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgpt.autograd import Value
from microgpt.model import linear, rmsnorm, softmax

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
vectors = st.lists(finite, min_size=1, max_size=8)


def values(xs):
    return [Value(x) for x in xs]


def data(vs):
    return [v.data for v in vs]


# -- linear --------------------------------------------------------------------

def test_linear_by_hand():
    w = [[1.0, -2.0, 0.5], [0.0, 3.0, 4.0]]
    x = [2.0, 1.0, -4.0]
    # row 0: 1*2 + (-2)*1 + 0.5*(-4) = -2;  row 1: 0*2 + 3*1 + 4*(-4) = -13
    assert data(linear(values(x), [values(row) for row in w])) == [-2.0, -13.0]


@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_linear_is_each_row_s_dot_product_summed_left_to_right(nout, nin, draw):
    w = [draw.draw(st.lists(finite, min_size=nin, max_size=nin)) for _ in range(nout)]
    x = draw.draw(st.lists(finite, min_size=nin, max_size=nin))
    y = linear(values(x), [values(row) for row in w])
    assert len(y) == nout
    expected = []
    for row in w:
        total = 0.0
        for wij, xj in zip(row, x):
            total += wij * xj
        expected.append(total)
    assert data(y) == expected      # bit for bit: same products, same order


def test_linear_gradients():
    w = [values(row) for row in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0])]
    x = values([10.0, 20.0])
    y = linear(x, w)
    (y[0] * 1 + y[1] * 10 + y[2] * 100).backward()
    # d/dx_j of sum_i c_i y_i is sum_i c_i W_ij; d/dW_ij is c_i x_j
    assert data_grads(x) == [1 * 1 + 10 * 3 + 100 * 5, 1 * 2 + 10 * 4 + 100 * 6]
    assert data_grads(w[1]) == [10 * 10.0, 10 * 20.0]


def data_grads(vs):
    return [v.grad for v in vs]


# -- softmax -------------------------------------------------------------------

@given(vectors)
def test_softmax_is_a_probability_distribution(zs):
    ps = data(softmax(values(zs)))
    assert all(0 <= p <= 1 for p in ps)
    assert math.isclose(sum(ps), 1.0, rel_tol=1e-12)
    # bigger score, bigger (or equal) probability; the best score gets the most
    for zi, pi in zip(zs, ps):
        for zj, pj in zip(zs, ps):
            if zi < zj:
                assert pi <= pj
    assert ps[zs.index(max(zs))] == max(ps)


@given(vectors, finite)
def test_softmax_is_shift_invariant(zs, c):
    a = data(softmax(values(zs)))
    b = data(softmax(values([z + c for z in zs])))
    assert all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b))


def test_softmax_matches_the_textbook_formula_on_small_scores():
    zs = [0.5, -1.0, 2.0, 0.0]
    total = sum(math.exp(z) for z in zs)
    assert all(math.isclose(p, math.exp(z) / total) for p, z in zip(data(softmax(values(zs))), zs))


@pytest.mark.parametrize("zs", [[1000.0, 1001.0], [-1000.0, -1001.0], [1e308, 0.0], [-745.0, 745.0]])
def test_softmax_survives_scores_that_overflow_or_underflow_exp(zs):
    ps = data(softmax(values(zs)))
    assert all(math.isfinite(p) for p in ps)
    assert math.isclose(sum(ps), 1.0)


@pytest.mark.parametrize("scores", [[1000.0, 1001.0], [-1000.0, -999.0]])
def test_softmax_is_right_where_the_naive_formula_overflows_or_underflows(scores):
    # e**1000 overflows a float and e**-1000 underflows to 0, so without subtracting
    # the largest score first this would raise, or divide 0 by 0.
    p0, p1 = data(softmax(values(scores)))
    assert math.isclose(p1, 1 / (1 + math.exp(-1)))
    assert math.isclose(p0, 1 - p1)


def test_softmax_gradient_is_p_times_delta_minus_p():
    zs = values([0.3, -1.2, 2.0])
    ps = softmax(zs)
    ps[0].backward()
    p = data(ps)
    expected = [p[0] * ((0 == j) - p[j]) for j in range(3)]
    assert all(math.isclose(z.grad, e, rel_tol=1e-12) for z, e in zip(zs, expected))


# -- rmsnorm -------------------------------------------------------------------

@given(st.lists(st.floats(min_value=-100, max_value=100), min_size=1, max_size=16))
def test_rmsnorm_output_has_mean_square_ms_over_ms_plus_eps(xs):
    ms = sum(x * x for x in xs) / len(xs)
    ys = data(rmsnorm(values(xs)))
    out_ms = sum(y * y for y in ys) / len(ys)
    assert math.isclose(out_ms, ms / (ms + 1e-5), rel_tol=1e-9, abs_tol=1e-15)
    if ms > 1:
        assert abs(out_ms - 1) < 1e-5


def test_rmsnorm_keeps_direction_and_drops_size():
    x = [0.3, -0.2, 0.9, 0.0]
    small, big = data(rmsnorm(values(x))), data(rmsnorm(values([50 * v for v in x])))
    assert all(math.isclose(a, b, rel_tol=1e-4) for a, b in zip(small, big))
    assert [math.copysign(1, v) for v in small] == [math.copysign(1, v) for v in x]


def test_rmsnorm_of_zeros_and_of_tiny_vectors():
    assert data(rmsnorm(values([0.0, 0.0, 0.0]))) == [0.0, 0.0, 0.0]
    tiny = data(rmsnorm(values([1e-4, -1e-4])))       # ms = 1e-8, far below eps
    assert sum(t * t for t in tiny) / 2 < 0.01        # left small, not blown up to 1


def test_rmsnorm_has_no_learned_gain():
    # a plain function of its input: the same x always gives the same y,
    # and x / rms(x) exactly up to the eps inside the root
    x = [1.0, 2.0, 3.0, 4.0]
    ms = sum(v * v for v in x) / 4
    assert data(rmsnorm(values(x))) == [v * (ms + 1e-5) ** -0.5 for v in x]


def test_rmsnorm_gradient_against_finite_differences():
    x0 = [0.7, -1.3, 0.2, 2.1]
    weights = [1.0, -2.0, 0.5, 3.0]

    def f(xs):
        return sum(w * y for w, y in zip(weights, rmsnorm(xs)))

    xs = values(x0)
    f(xs).backward()
    h = 1e-6
    for j in range(4):
        up = list(x0); up[j] += h
        down = list(x0); down[j] -= h
        numeric = (f(up) - f(down)) / (2 * h)
        assert math.isclose(xs[j].grad, numeric, rel_tol=1e-6, abs_tol=1e-8)
