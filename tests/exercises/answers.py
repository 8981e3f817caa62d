"""What the exercises' checks ask of a reader's answer before they compare it: shared by
every chapter's checks (chapter_03.py, ...). The runner puts this folder on the path.

The checks ship with the student's edition (the page runs them), so they hold no answer
(issue 24): a predicted value, or what a broken function must give on the check's own
inputs, is compared through a digest, never written out. The digest is taken of a
canonical text of the value (numbers rounded, to 3 decimals for a prediction), salted with
the exercise's own label, so two exercises with one answer show two digests. It hides the
answer from reading, not from a search: a reader who tries numbers until one matches has
done more than the exercise asks (run the block and print). To make a digest after a
change to the book: python -c "import answers; print(answers.digest(LABEL, VALUE))" in
this folder, then tests/test_exercises.py proves the solution passes and the start fails.
"""

import ast
import hashlib
import math

SALT = "microgpt, the book"
PLACES = 3   # a prediction is right to within about 1.5e-3: rounded, or its neighbour


def number(ns, name, whole=False):
    """The number the reader's block left in ns[name]; an AssertionError saying so if it is
    not one (None, the starting point's placeholder, or True, which Python counts as 1)."""
    value = ns.get(name)
    kinds = int if whole else (int, float)
    assert isinstance(value, kinds) and not isinstance(value, bool), \
        f"set {name} to a {'whole ' if whole else ''}number (it is {value!r})"
    return value


def canonical(value, places):
    """The text a value's digest is taken of: numbers rounded to places decimals (so 21 and
    21.0 agree), lists and tuples told apart, a set or dict in sorted order."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{round(value, places) + 0.0:.{places}f}"
    if isinstance(value, (list, tuple)):
        inner = ",".join(canonical(v, places) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(canonical(v, places) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{canonical(k, places)}:{canonical(v, places)}" for k, v in value.items())) + "}"
    return repr(value)


def digest(label, value, places=PLACES):
    return hashlib.sha256(f"{SALT}|{label}|{canonical(value, places)}".encode()).hexdigest()[:20]


def same(label, value, want, places=PLACES):
    """Whether value is the answer whose digest is want; a lone number may be one unit off
    in its last place (the tolerance of a prediction written to that many decimals)."""
    lone = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    near = [value + k * 10 ** -places for k in (-1, 0, 1)] if lone else [value]
    return any(digest(label, v, places) == want for v in near)


def written(ns, name):
    """The value the block's own text gives name, in its last line `name = ...` at the top
    of the block: a prediction is written out (numbers, text, True or False, lists and
    tuples of them, arithmetic of numbers and math's functions), never computed from the
    block's names; anything else is an AssertionError that says so. The harness gives the
    block's text as ns["__block__"]."""
    try:
        tree = ast.parse(ns.get("__block__") or "")
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    said = [n.value for n in tree.body if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
    assert said, f"write your prediction in the block, on a line of its own: {name} = ..."
    for node in ast.walk(said[-1]):
        of_math = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "math"
        plain = isinstance(node, (ast.Constant, ast.List, ast.Tuple, ast.UnaryOp, ast.BinOp, ast.Call,
                                  ast.operator, ast.unaryop, ast.Load))
        assert plain or of_math or isinstance(node, ast.Name) and node.id == "math", (
            f"{name} must be your prediction written out, not computed from the block: "
            f"{ast.unparse(node)} is not a number (a prediction is made before the code runs)")
    try:
        return eval(compile(ast.Expression(said[-1]), name, "eval"), {"__builtins__": {}, "math": math})
    except Exception as e:
        raise AssertionError(f"{name} = {ast.unparse(said[-1])} cannot be worked out: {e}") from None


def predicted(ns, name, whole=False):
    """written(ns, name), which must be a number (a whole one if whole)."""
    value = written(ns, name)
    number({name: value}, name, whole)
    return value


def pair(ns, name):
    """written(ns, name), which must be two whole numbers: (rows, columns)."""
    value = written(ns, name)
    assert isinstance(value, (tuple, list)) and len(value) == 2 and all(type(x) is int for x in value), \
        f"set {name} to (rows, columns), two whole numbers (it is {value!r})"
    return tuple(value)
