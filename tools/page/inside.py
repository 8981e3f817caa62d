"""Look inside the model, with the book's own code: what the page's widgets compute.

The page's worker (worker.js, message "inside") imports this module beside the book's
package and tools/figures.py, and calls one of its functions with the reader's input;
tests/test_inside.py calls the same functions natively and compares their numbers with
the package's own (sample(), chapter 12's fast forward pass, Value.backward). Every
function returns JSON text, so the page gets plain numbers and the tests see what it sees.
"""

import ast
import json
import operator

from microgpt import checkpoint, model
from microgpt.autograd import Value
from microgpt.model import empty_cache, gpt

import figures

_loaded = {}  # path -> (config, tokenizer, state_dict): a checkpoint is read once


def load(path):
    if path not in _loaded:
        _loaded[path] = checkpoint.load(path)[:3]
    return _loaded[path]


def keep(text):
    """The model the reader trained in chapter 7's panel (a checkpoint's text, which the page
    keeps in this browser), written where load() reads it; its path, for the other calls.
    A checkpoint that load() refuses fails here, as any other file would."""
    path = "your-model.json"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    _loaded.pop(path, None)
    load(path)
    return json.dumps(path)


def labels(tokenizer):
    """What each token id is called in the widgets: its character, and BOS for BOS."""
    return list(tokenizer.uchars) + ["BOS"]


def tokens(path, text):
    """The saved model, tokenizer and the ids of text; a ValueError of one line for a text
    the model cannot read (a character it does not know, or too long)."""
    config, tokenizer, state_dict = load(path)
    ids = tokenizer.encode(text)
    if len(ids) >= config.block_size:
        raise ValueError(f"the text must be shorter than {config.block_size} characters")
    return config, tokenizer, state_dict, ids


def next_letter(path, prefix, temperature):
    """The probability of every next token after BOS and prefix, at this temperature:
    what sample() draws the next letter from (figures.next_token_probs, the same expression)."""
    if not temperature > 0:
        raise ValueError("the temperature must be more than 0")
    config, tokenizer, state_dict, _ids = tokens(path, prefix)
    probs = figures.next_token_probs(state_dict, config, tokenizer, prefix, temperature)
    return json.dumps({"labels": labels(tokenizer), "probs": probs})


def attention_weights(state_dict, config, ids):
    """weights[li][h][pos]: the weights each head gives positions 0..pos, read from the
    scalar model itself. Inside gpt(), softmax is called only by head(), once per layer and
    head, in that order; so for the time of these calls model.softmax is wrapped to keep
    what each call returns. (figures.attention_weights gets the same from chapter 12's
    NumPy pass, which the page's Python lacks.)"""
    kept, softmax = [], model.softmax
    model.softmax = lambda logits: kept.append(softmax(logits)) or kept[-1]
    try:
        keys, values = empty_cache(config)
        for pos_id, token_id in enumerate(ids):
            gpt(state_dict, config, token_id, pos_id, keys, values)
    finally:
        model.softmax = softmax
    n = config.n_layer * config.n_head
    return [[[[p.data for p in kept[pos * n + li * config.n_head + h]] for pos in range(len(ids))]
             for h in range(config.n_head)] for li in range(config.n_layer)]


def attention(path, name):
    """The attention weights of every head of every layer as the model reads BOS + name."""
    config, tokenizer, state_dict, ids = tokens(path, name)
    ids = [tokenizer.BOS] + ids
    return json.dumps({"tokens": [labels(tokenizer)[i] for i in ids],
                       "weights": attention_weights(state_dict, config, ids)})


# The operations a reader's expression may use, and what each does to Values.
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Pow: operator.pow}


def graph(expression, numbers):
    """Build expression (names, numbers, + - * / ** and brackets; read with ast, never
    evaluated) from Values named by numbers ({name: number}), call backward() on it, and
    return every Value in topological order: its name or operation, data, grad, children.
    a - b and a / b show as the Values the package makes for them (a + b * -1, a * b ** -1)."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise ValueError(f"not an expression: {expression!r}") from None
    leaves = {name: Value(float(x)) for name, x in numbers.items()}
    made = {}  # id(Value) -> the name of a leaf; the other Values are named by their operation

    def build(node):
        if isinstance(node, ast.Name):
            if node.id not in leaves:
                raise ValueError(f"{node.id} has no value")
            made[id(leaves[node.id])] = node.id
            return leaves[node.id]
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -build(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            a, b = build(node.left), build(node.right)
            if isinstance(node.op, ast.Pow) and isinstance(b, Value):
                raise ValueError("the power must be a number (Value ** number)")
            return BINARY[type(node.op)](a, b)
        raise ValueError(f"only names, numbers, + - * / ** and brackets: not {ast.unparse(node)!r}")

    root = build(tree)
    if not isinstance(root, Value):
        raise ValueError("the expression uses no name")
    root.backward()
    order = root.topological_order()
    index = {id(v): i for i, v in enumerate(order)}
    return json.dumps([{"label": made.get(id(v)) or (figures.operation(v) if v._children else f"{v.data:g}"),
                        "data": v.data, "grad": v.grad, "children": [index[id(c)] for c in v._children],
                        "local": list(v._local_grads)} for v in order])
