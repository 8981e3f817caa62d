"""The page's widgets that look inside the model (tools/page/inside.py, drawn by inside.js):
the same Python the page's worker runs, run here natively, against the package's own
numbers for the same input: sample()'s draws, chapter 12's NumPy forward pass,
Value.backward() on the expression written out in Python. The last test reads the
numbers chapter 8's widget shows in a real browser."""

import json
import re
import math
import random
import sys
from pathlib import Path

import numpy as np
import pytest

try:  # the browser test's fixtures; without Chromium or Playwright, test_browser skips itself
    from test_browser import Reader, browser, server  # noqa: F401
except pytest.skip.Exception as e:
    Reader, no_browser = None, str(e)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "page"))
MODEL = "docs/assets/default-model.json"


@pytest.fixture(scope="module")
def inside():
    import inside
    return inside


@pytest.fixture(scope="module")
def saved():
    from microgpt import checkpoint
    return checkpoint.load(str(ROOT / MODEL))[:3]


def native_probs(saved, prefix, temperature):
    """The next token's probabilities from chapter 12's whole-name NumPy pass."""
    from microgpt import fast
    config, tokenizer, state_dict = saved
    logits, _ = fast.gpt(fast.model(state_dict), config, [tokenizer.BOS] + tokenizer.encode(prefix))
    z = logits[-1] / temperature
    e = np.exp(z - z.max())
    return (e / e.sum()).tolist()


@pytest.mark.parametrize("prefix, temperature", [("", 2.0), ("em", 0.5)])
def test_next_letter_is_what_sample_draws_from(inside, saved, prefix, temperature, monkeypatch):
    monkeypatch.chdir(ROOT)
    shown = json.loads(inside.next_letter(MODEL, prefix, temperature))
    config, tokenizer, state_dict = saved
    assert shown["labels"] == [*tokenizer.uchars, "BOS"]
    assert max(abs(a - b) for a, b in zip(shown["probs"], native_probs(saved, prefix, temperature))) < 1e-12
    from microgpt.sample import sample
    for seed in range(4):  # sample's first draw after the prefix is a draw from these weights
        token = random.Random(seed).choices(range(tokenizer.vocab_size), weights=shown["probs"])[0]
        name = sample(state_dict, config, tokenizer, random.Random(seed), temperature, prefix)
        assert name[len(prefix):len(prefix) + 1] == ("" if token == tokenizer.BOS else tokenizer.uchars[token])


def test_next_letter_refuses_what_sample_refuses(inside, monkeypatch):
    monkeypatch.chdir(ROOT)
    for prefix, temperature in [("E", 1.0), ("a" * 16, 1.0), ("em", 0.0)]:
        with pytest.raises(ValueError):
            inside.next_letter(MODEL, prefix, temperature)


def test_attention_is_the_scalar_models_own(inside, saved, monkeypatch):
    import figures
    from microgpt import model
    monkeypatch.chdir(ROOT)
    softmax = model.softmax
    shown = json.loads(inside.attention(MODEL, "emma"))
    assert model.softmax is softmax  # put back after the run
    config, tokenizer, state_dict = saved
    ids = [tokenizer.BOS] + tokenizer.encode("emma")
    assert shown["tokens"] == ["BOS", "e", "m", "m", "a"]
    native = figures.attention_weights(state_dict, config, ids)  # chapter 12's NumPy pass
    assert len(shown["weights"]) == config.n_layer and all(len(w) == config.n_head for w in shown["weights"])
    pairs = [(a, b) for li in range(config.n_layer) for h in range(config.n_head)
             for pos in range(len(ids)) for a, b in zip(shown["weights"][li][h][pos], native[li][h][pos], strict=True)]
    assert len(pairs) == config.n_layer * config.n_head * len(ids) * (len(ids) + 1) // 2
    assert max(abs(a - b) for a, b in pairs) < 1e-12


def test_the_widgets_read_the_readers_own_model_when_given_it(inside, saved, tmp_path, monkeypatch):
    """keep() takes a checkpoint's text (the model trained in chapter 7's panel, as the page
    keeps it) and the widgets then read that model, not the book's; a broken one is refused."""
    import figures
    from microgpt import checkpoint
    config, tokenizer, state_dict = saved
    theirs = json.loads((ROOT / MODEL).read_text(encoding="utf-8"))
    theirs["state_dict"]["wte"] = [[-x for x in row] for row in theirs["state_dict"]["wte"]]  # another model
    monkeypatch.chdir(tmp_path)
    path = json.loads(inside.keep(json.dumps(theirs)))
    config2, tokenizer2, state_dict2 = checkpoint.load(path)[:3]
    shown = json.loads(inside.next_letter(path, "em", 1.0))["probs"]
    assert shown == figures.next_token_probs(state_dict2, config2, tokenizer2, "em", 1.0)
    assert shown != figures.next_token_probs(state_dict, config, tokenizer, "em", 1.0)
    assert json.loads(inside.attention(path, "emma"))["weights"] == inside.attention_weights(
        state_dict2, config2, [tokenizer2.BOS] + tokenizer2.encode("emma"))
    with pytest.raises(Exception):
        inside.keep('{"format": "not a checkpoint"}')


@pytest.mark.parametrize("expression, numbers", [("a*b + a", {"a": 2, "b": -3}),
                                                 ("(a - b) / b**2 + -c", {"a": 1.5, "b": 4, "c": 0.25})])
def test_graph_is_what_backward_gives(inside, expression, numbers):
    from microgpt.autograd import Value
    nodes = json.loads(inside.graph(expression, numbers))
    leaves = {k: Value(float(x)) for k, x in numbers.items()}
    root = {"a*b + a": lambda a, b: a * b + a,
            "(a - b) / b**2 + -c": lambda a, b, c: (a - b) / b**2 + -c}[expression](**leaves)
    root.backward()
    order = root.topological_order()
    assert [(n["data"], n["grad"]) for n in nodes] == [(v.data, v.grad) for v in order]
    assert {n["label"]: n["grad"] for n in nodes if n["label"] in numbers} == {k: v.grad for k, v in leaves.items()}
    assert all(c < i for i, n in enumerate(nodes) for c in n["children"])  # inputs before the Value
    if expression == "a*b + a":
        assert nodes[-1]["data"] == -4 and nodes[-1]["label"] == "+"
        assert math.isclose(leaves["a"].grad, numbers["b"] + 1)


@pytest.mark.parametrize("expression", ["__import__('os').system('true')", "a.data", "a if b else b",
                                        "a ** b", "[a]", "3 + 4", "a +", "c * a"])
def test_graph_evaluates_nothing_but_arithmetic(inside, expression):
    with pytest.raises(ValueError) as e:
        inside.graph(expression, {"a": 2, "b": 3})
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------- in the page

@pytest.mark.slow
@pytest.mark.browser
def test_the_next_letter_widget_shows_the_packages_numbers(request, saved):
    """Chapter 8's widget, driven by the keyboard: a prefix, the temperature moved down to
    0.5 with the arrow key, then Next; the table it shows against the NumPy pass's numbers."""
    if Reader is None:
        pytest.skip(no_browser)
    if not (ROOT / "node_modules" / "pyodide").exists():
        pytest.skip("no node_modules/pyodide (npm ci): the site has no Python in the page")
    browser, server = request.getfixturevalue("browser"), request.getfixturevalue("server")
    reader = Reader(browser, server + "08-sampling/")
    widget = reader.page.locator("div.mg-inside[data-widget=next-letter]")
    widget.get_by_label("Prefix").fill("em")
    slider = widget.get_by_label("Temperature")
    slider.focus()
    for _ in range(5):
        reader.page.keyboard.press("ArrowLeft")
    status = widget.locator(".mg-inside-status")
    widget.locator("summary").click()  # open the table of numbers: it stays open

    def shown(prefix):
        status.filter(has_text=f'After "{prefix}" at temperature 0.5,').wait_for()
        rows = widget.locator("table tr").all_inner_texts()[1:]
        return dict((cells.split("\t")[0], float(cells.split("\t")[1])) for cells in rows)

    first = shown("em")
    widget.get_by_role("button", name="Next").click()
    status.filter(has_text="Drew").wait_for()
    prefix = widget.get_by_label("Prefix").input_value()
    second = shown(prefix) if prefix != "em" else None
    errors = reader.errors
    reader.close()
    assert not errors, errors
    labels = [*saved[1].uchars, "BOS"]
    for text, probs in [("em", first), (prefix, second)]:
        if probs is None:  # Next drew BOS: the name ended at "em"
            continue
        native = dict(zip(labels, native_probs(saved, text, 0.5)))
        assert probs.keys() == native.keys()
        assert max(abs(probs[k] - native[k]) for k in native) <= 5e-7  # the table's six decimals
    assert prefix == "em" or (len(prefix) == 3 and prefix.startswith("em"))


@pytest.mark.slow
@pytest.mark.browser
def test_the_attention_and_graph_widgets_show_the_packages_numbers(request, inside, monkeypatch):
    """Chapters 6 and 3: a name typed and Enter pressed, an expression and values typed;
    the tables shown against the same functions run natively."""
    if Reader is None:
        pytest.skip(no_browser)
    if not (ROOT / "node_modules" / "pyodide").exists():
        pytest.skip("no node_modules/pyodide (npm ci): the site has no Python in the page")
    monkeypatch.chdir(ROOT)
    browser, server = request.getfixturevalue("browser"), request.getfixturevalue("server")
    reader = Reader(browser, server + "06-transformer/")
    widget = reader.page.locator("div.mg-inside[data-widget=attention]")
    widget.get_by_role("textbox", name="Name").fill("ava")
    widget.get_by_role("textbox", name="Name").press("Enter")
    widget.locator(".mg-inside-status").filter(has_text="Reading BOS ava").wait_for()
    widget.locator("summary").click()
    tables = [[row.split("\t")[1:] for row in t.locator("tr").all_inner_texts()[1:]]
              for t in widget.locator("table").all()]
    reader.page.goto(server + "03-autograd/")
    widget = reader.page.locator("div.mg-inside[data-widget=graph]")
    widget.get_by_role("textbox", name="Expression").fill("a*b + a / b")
    widget.get_by_role("textbox", name="Values").fill("a=3, b=-2")
    widget.get_by_role("textbox", name="Values").press("Enter")
    status = widget.locator(".mg-inside-status").filter(has_text="after backward()")
    status.wait_for()
    said = status.text_content()
    errors = reader.errors
    reader.close()
    assert not errors, errors
    native = json.loads(inside.attention(MODEL, "ava"))["weights"]
    assert len(tables) == sum(len(layer) for layer in native)
    for shown, rows in zip(tables, [rows for layer in native for rows in layer]):
        assert [[float(c) for c in row if c] for row in shown] == [[round(w, 3) for w in row] for row in rows]
    nodes = json.loads(inside.graph("a*b + a / b", {"a": 3, "b": -2}))
    grads = {n["label"]: n["grad"] for n in nodes if n["label"] in "ab"}
    assert said == (f"a*b + a / b = {nodes[-1]['data']:.4g}; after backward(): "
                    f"a.grad = {grads['a']:.4g}, b.grad = {grads['b']:.4g}.")


def test_each_widget_stands_in_its_chapter_with_its_script_and_a_sentence_for_print(built_site):
    """Chapters 3, 6 and 8 each hold their widget and load inside.js (no other page does);
    the print edition keeps each widget's sentence and loads no script of the runner."""
    import runner
    if not (built_site / runner.RUNNER / "inside.py").exists():
        pytest.skip("the site was built without Python in the page (npm ci)")
    found = {}
    for page in sorted(p for p in built_site.glob("*/index.html") if p.parent.name != "print_page"):
        html = page.read_text(encoding="utf-8")
        widgets = re.findall(r'<div class="mg-inside" data-widget="([\w-]+)"><p>In the web edition', html)
        assert bool(widgets) == (f"{runner.RUNNER}/inside.js" in html), page
        found.update({w: page.parent.name for w in widgets})
    assert found == {"graph": "03-autograd", "attention": "06-transformer", "next-letter": "08-sampling"}
    printed = (built_site / "print_page" / "index.html").read_text(encoding="utf-8")
    assert printed.count('<div class="mg-inside"') == 3 and "inside.js" not in printed
