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


def check_3_2(ns):
    backward = ns.get("backward")
    assert callable(backward), "keep the function backward in the block"
    grads = []
    for make in (lambda x, y: x * y + x, lambda x, y: x * x + y, lambda x, y: (x + y) * x):
        theirs, right = [Value(2.0), Value(3.0)], [Value(2.0), Value(3.0)]
        backward(make(*theirs))
        make(*right).backward()
        assert [v.grad for v in theirs] != [v.grad for v in right], \
            "your backward still gives the right gradients: change += to ="
        grads.append([v.grad for v in theirs])
    assert same("3.2 grads", grads, "70a918f0741edaa7d0e2", places=9), \
        "your backward does something else than replacing each gradient: change only += to ="
    assert same("3.2 lost", number(ns, "lost"), "e6032f8e6428881dc840"), \
        "lost is not 4.0 minus the broken a.grad: print a.grad"


def check_3_3(ns):
    assert hasattr(Value, "tanh"), "give Value a method tanh (Value.tanh = tanh)"
    h = 1e-6
    for x0 in (-2.0, -0.3, 0.0, 0.5, 1.7):
        x = Value(x0)
        y = x.tanh()
        assert isinstance(y, Value), "tanh must return a Value"
        assert abs(y.data - math.tanh(x0)) < 1e-12, f"tanh({x0}) is {math.tanh(x0)}, yours gives {y.data}"
        assert y._children == (x,), "tanh must be one operation whose only child is the value itself"
        y.backward()
        estimate = (math.tanh(x0 + h) - math.tanh(x0 - h)) / (2 * h)
        assert abs(x.grad - estimate) < 1e-6, \
            f"at x = {x0} your local gradient gives {x.grad}, the finite difference {estimate:.6f}"
    a = Value(0.7)
    z = (a * a).tanh() + a            # a used twice, through tanh: the chain rule must hold
    z.backward()
    estimate = ((math.tanh((0.7 + h) ** 2) + 0.7 + h) - (math.tanh((0.7 - h) ** 2) + 0.7 - h)) / (2 * h)
    assert abs(a.grad - estimate) < 1e-6, "tanh does not chain with other operations"
