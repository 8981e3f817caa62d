"""Chapter 3's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import math

from microgpt.autograd import Value

from answers import number, predicted, same


def check_3_1(ns):
    prediction = predicted(ns, "prediction")
    assert same("3.1 prediction", prediction, "eed71c39ec63005fa94a"), \
        f"a.grad after three calls is not {prediction}: print it, then follow the third call node by node (hint 2)"


def assigning_backward(root):
    """backward() with = in place of +=: the check's own version of the mistake."""
    topo = root.topological_order()
    root.grad = 1
    for v in reversed(topo):
        for child, local_grad in zip(v._children, v._local_grads):
            child.grad = local_grad * v.grad


def check_3_2(ns):
    backward = ns.get("backward")
    assert callable(backward), "keep the function backward in the block"
    for make in (lambda x, y: x * y + x, lambda x, y: x * x + y, lambda x, y: (x + y) * x):
        theirs, ours = [Value(2.0), Value(3.0)], [Value(2.0), Value(3.0)]
        backward(make(*theirs))
        assigning_backward(make(*ours))
        right = [Value(2.0), Value(3.0)]
        make(*right).backward()
        assert [v.grad for v in theirs] != [v.grad for v in right], \
            "your backward still gives the right gradients: change += to ="
        assert [v.grad for v in theirs] == [v.grad for v in ours], \
            "your backward does something else than replacing each gradient: change only += to ="
    a, b = Value(2.0), Value(3.0)
    assigning_backward(a * b + a)
    assert number(ns, "lost") == 4.0 - a.grad, "lost is not 4.0 minus the broken a.grad: print a.grad"


def check_3_3(ns):
    assert hasattr(Value, "tanh"), "give Value a method tanh (Value.tanh = tanh)"
    for x0 in (-2.0, -0.3, 0.0, 0.5, 1.7):
        x = Value(x0)
        y = x.tanh()
        assert isinstance(y, Value), "tanh must return a Value"
        assert abs(y.data - math.tanh(x0)) < 1e-12, f"tanh({x0}) is {math.tanh(x0)}, yours gives {y.data}"
        assert y._children == (x,), "tanh must be one operation whose only child is the value itself"
        y.backward()
        h = 1e-6
        estimate = (math.tanh(x0 + h) - math.tanh(x0 - h)) / (2 * h)
        assert abs(x.grad - estimate) < 1e-6, \
            f"at x = {x0} your local gradient gives {x.grad}, the finite difference {estimate:.6f}"
    a = Value(0.7)
    z = (a * a).tanh() + a            # a used twice, through tanh: the chain rule must hold
    z.backward()
    t = math.tanh(0.49)
    assert abs(a.grad - ((1 - t * t) * 2 * 0.7 + 1)) < 1e-12, "tanh does not chain with other operations"
