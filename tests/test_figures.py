"""The book's figures (tools/figures.py) and the trained model they look into.

Each chart is a well-formed, accessible <figure> that shows the data it was
given and nothing from outside; the measurements (moving average, PCA,
attention weights, next-token probabilities) are right; every figure block in
the chapters produces such a figure; and the committed default run
(docs/assets/) is the book's real default run: its losses are the reference
program's, and training again reproduces it bit for bit (slow).
"""

import contextlib
import hashlib
import io
import json
import math
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import figures
from microgpt import checkpoint
from microgpt.autograd import Value
import microgpt.model as model_module
from microgpt.model import Config, empty_cache, gpt, init_state_dict, softmax

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "docs" / "assets"
MODEL, LOG = ASSETS / "default-model.json", ASSETS / "default-run.jsonl"
NASTY = 'a <b> & "c" \'d\''


def parse(html):
    """The <figure> element; fails unless html is well-formed XML."""
    return ET.fromstring(html)


def check_figure(html, alt=None):
    """What every figure must be: a <figure> holding one accessible <svg> and
    a caption, with nothing that points outside it. Returns the svg element."""
    fig = parse(html)
    assert fig.tag == "figure"
    svg, caption = list(fig)
    assert svg.tag == "svg" and caption.tag == "figcaption"
    assert svg.get("role") == "img" and svg.get("width") == "100%"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", svg.get("viewBox"))
    label = svg.get("aria-label")
    assert label and svg.find("title").text == label
    if alt is not None:
        assert label == alt
    assert caption.text and caption.text.strip()
    for element in fig.iter():
        assert element.tag not in ("script", "image", "foreignObject", "use", "a", "style")
        for name, value in element.attrib.items():
            assert "href" not in name, f"{element.tag} has {name}"
            assert not re.search(r"(https?:|//|url\((?!#))", value), f"{element.tag} {name}={value}"
    return svg


def texts(svg):
    return ["".join(t.itertext()) for t in svg.iter("text")]


def worked_example():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    L = c + a
    L.backward()
    return a, b, c, L


# ------------------------------------------------------------------ the charts

def test_every_chart_escapes_its_text():
    ys = [3.0, 2.5, 2.7, 2.0]
    charts = [
        figures.line_chart(ys, window=2, marks=[(3.3, NASTY)], y_label=NASTY, alt=NASTY, caption=NASTY),
        figures.bar_chart([NASTY, "x"], [(NASTY, [1, 2]), ("y", [3, 4])], y_label=NASTY, alt=NASTY, caption=NASTY),
        figures.heatmaps([(NASTY, [[1.0, None], [0.5, 0.5]])], [NASTY, "q"], ["k", NASTY],
                         row_title=NASTY, col_title=NASTY, alt=NASTY, caption=NASTY),
        figures.scatter([(0, 0), (1, 2)], [NASTY, "z"], groups=[0, 1], group_names=[NASTY, "w"],
                        alt=NASTY, caption=NASTY),
        figures.dag([(0, [NASTY]), (1, ["y"])], [(0, 1, NASTY)], alt=NASTY, caption=NASTY),
    ]
    for html in charts:
        svg = check_figure(html, alt=NASTY)
        assert parse(html).find("figcaption").text == NASTY
        assert any(NASTY in t for t in texts(svg))


def test_value_graph_shows_every_node_of_the_real_graph():
    a, b, c, L = worked_example()
    svg = check_figure(figures.value_graph(L, {a: "a", b: "b", c: "c", L: "L"}, alt="g", caption="c"))
    boxes = [[t for t in texts(g)] for g in svg.iter("g") if g.get("class") == "node"]
    order = L.topological_order()
    assert len(boxes) == len(order) == 4
    for lines, v in zip(boxes, order):
        assert lines[1:] == [f"data {v.data:g}", f"grad {v.grad:g}"]
    assert [lines[0] for lines in boxes] == ["a (leaf)", "b (leaf)", "c = a × b", "L = c + a"]
    # one arrow per (child, parent) use, a's two uses included, labelled with the local gradient
    edges = [p for p in svg.iter("path") if p.get("class") == "edge"]
    uses = [(child, local) for v in order for child, local in zip(v._children, v._local_grads)]
    assert len(edges) == len(uses) == 4
    assert sorted(t for t in texts(svg) if t.startswith("local grad")) == \
        sorted(f"local grad {local:g}" for _, local in uses)
    # layered: the leaves in the first column, c in the next, L last
    x = {lines[0][0]: float(g.find("rect").get("x"))
         for lines, g in zip(boxes, [g for g in svg.iter("g") if g.get("class") == "node"])}
    assert x["a"] == x["b"] < x["c"] < x["L"]


def test_operation_is_read_back_from_the_values():
    x, y = Value(1.5), Value(-2.0)
    assert [figures.operation(v) for v in (x + y, x * y, x.exp(), x.log(), y.relu(), x**3)] == \
        ["+", "×", "exp", "log", "relu", "pow"]


def test_bar_chart_has_one_bar_per_matrix_with_height_proportional_to_its_count():
    state_dict = init_state_dict(Config(), 27, random.Random(0))
    counts = [len(m) * len(m[0]) for m in state_dict.values()]
    svg = check_figure(figures.bar_chart(list(state_dict), [("parameters", counts)], show_values=True,
                                         alt="p", caption="c"))
    bars = [r for r in svg.iter("rect") if r.get("class") == "bar"]
    assert len(bars) == len(state_dict)
    per_unit = [float(r.get("height")) / n for r, n in zip(bars, counts)]
    assert max(per_unit) - min(per_unit) < 0.01 * max(per_unit)
    assert [r.find("title").text for r in bars] == [f"{k}: {n:,}" for k, n in zip(state_dict, counts)]
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in bars}
    assert len(bottoms) == 1  # every bar stands on the same baseline


def test_grouped_bars_keep_series_apart():
    svg = check_figure(figures.bar_chart(["a", "b", "c"], [("one", [1, 2, 3]), ("two", [3, 2, 1])],
                                         alt="g", caption="c"))
    bars = [r for r in svg.iter("rect") if r.get("class") == "bar"]
    assert len(bars) == 6
    assert len({r.get("fill") for r in bars[0::2]} | {r.get("fill") for r in bars[1::2]}) == 2
    xs = [float(r.get("x")) for r in bars]
    assert xs == sorted(xs)  # a(one), a(two), b(one), ...


def polyline(svg, cls):
    line = next(p for p in svg.iter("polyline") if cls in p.get("class"))
    return [tuple(map(float, pair.split(","))) for pair in line.get("points").split()]


def test_line_chart_draws_every_value_and_the_moving_average():
    rng = random.Random(5)
    ys = [3 - i / 100 + rng.random() for i in range(200)]
    svg = check_figure(figures.line_chart(ys, window=20, alt="l", caption="c"))
    raw, avg = polyline(svg, "raw"), polyline(svg, "average")
    assert len(raw) == len(ys) and len(avg) == len(ys) - 20 + 1
    # the page's y is one decreasing linear function of the value, for both lines
    hi, lo = ys.index(max(ys)), ys.index(min(ys))
    slope = (raw[hi][1] - raw[lo][1]) / (ys[hi] - ys[lo])
    assert slope < 0
    page_y = lambda y: raw[lo][1] + slope * (y - ys[lo])  # noqa: E731
    for (_, p), y in zip(raw, ys):
        assert abs(p - page_y(y)) < 0.02
    for (x, p), y in zip(avg, figures.moving_average(ys, 20)):
        assert abs(p - page_y(y)) < 0.02
    assert avg[0][0] == raw[19][0]  # the first average stands at step 20, the end of its window


def test_moving_average():
    assert figures.moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]
    assert figures.moving_average([4, 8], 1) == [4, 8]
    with pytest.raises(ValueError):
        figures.moving_average([1, 2], 3)


def test_ticks_cover_the_range_with_round_steps():
    for lo, hi in [(0, 1024), (1.7, 4.1), (0, 0.43), (1, 1000)]:
        t = figures.ticks(lo, hi)
        assert t[0] <= lo and t[-1] >= hi and 3 <= len(t) <= 12
        steps = {round(b - a, 9) for a, b in zip(t, t[1:])}
        assert len(steps) == 1
        assert re.fullmatch(r"[125]", f"{steps.pop():e}"[0])


def test_heatmap_shades_each_cell_by_its_value():
    weights = [[1.0, None, None], [0.25, 0.75, None], [0.5, 0.2, 0.3]]
    svg = check_figure(figures.heatmaps([("h0", weights), ("h1", weights)], ["x", "y", "z"], ["x", "y", "z"],
                                        alt="h", caption="c"))
    cells = [r for r in svg.iter("rect") if r.get("class") == "cell"]
    values = [v for row in weights for v in row if v is not None]
    assert len(cells) == 2 * len(values)
    assert [float(r.get("fill-opacity")) for r in cells] == [round(v, 3) for v in values] * 2


def test_scatter_keeps_distances_true():
    points = [(0.0, 0.0), (3.0, 0.0), (0.0, -1.0), (-2.0, 4.0)]
    svg = check_figure(figures.scatter(points, list("abcd"), alt="s", caption="c"))
    dots = [(float(c.get("cx")), float(c.get("cy"))) for c in svg.iter("circle")]
    assert [c.find("title").text for c in svg.iter("circle")] == list("abcd")
    scale = (dots[1][0] - dots[0][0]) / 3
    for (x, y), (px, py) in zip(points, dots):
        assert abs(px - (dots[0][0] + scale * x)) < 0.02
        assert abs(py - (dots[0][1] - scale * y)) < 0.02  # y grows upwards, same scale


# --------------------------------------------------------------------- PCA

def test_pca_of_points_on_a_line_is_the_line():
    direction = [1 / 3, 2 / 3, -2 / 3]
    rows = [[5 + t * d for d in direction] for t in (-2.0, -1.0, 0.5, 3.0, 4.0)]
    (first, second), points = figures.pca_2d(rows)
    assert abs(abs(sum(a * b for a, b in zip(first, direction))) - 1) < 1e-9
    mean_t = sum((-2.0, -1.0, 0.5, 3.0, 4.0)) / 5
    for (u, v), t in zip(points, (-2.0, -1.0, 0.5, 3.0, 4.0)):
        assert abs(abs(u) - abs(t - mean_t)) < 1e-9 and abs(v) < 1e-9


def test_pca_finds_the_axes_of_largest_spread_and_they_are_orthonormal():
    rng = random.Random(0)
    rows = [[3 * rng.gauss(0, 1), 0.2 * rng.gauss(0, 1), 1.5 * rng.gauss(0, 1)] for _ in range(400)]
    (first, second), points = figures.pca_2d(rows)
    dot = lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731
    assert abs(dot(first, first) - 1) < 1e-12 and abs(dot(second, second) - 1) < 1e-12
    assert abs(dot(first, second)) < 1e-12
    assert abs(first[0]) > 0.99 and abs(second[2]) > 0.99
    var = [sum(p[k] ** 2 for p in points) / len(points) for k in (0, 1)]
    assert var[0] > var[1] > 1  # the spread along each component, largest first


# ------------------------------------------------------------ the trained model

@pytest.fixture(scope="module")
def trained():
    return checkpoint.load(str(MODEL))


def test_the_committed_run_is_the_books_default_run(trained):
    config, tokenizer, state_dict, saved = trained
    run = saved["run"]
    assert config == Config() and saved["step"] == run["steps"] == 1000
    assert (run["seed"], run["lr"], run["data"]) == (42, 0.01, "names.txt")
    assert hashlib.sha256((ROOT / run["data"]).read_bytes()).hexdigest() == run["data_sha256"]
    log = [json.loads(line) for line in LOG.read_text(encoding="utf-8").splitlines()]
    assert [r["step"] for r in log] == list(range(1, 1001))
    reference = json.loads((ROOT / "tests" / "data" / "run-default.json").read_text(encoding="utf-8"))
    assert [r["loss"] for r in log] == reference["losses"]  # Karpathy's program, to the last bit


def test_attention_weights_are_the_ones_the_model_uses(trained, monkeypatch):
    """The figure's weights (chapter 12's pass) mix the scalar engine's cached values into
    what the scalar engine's head() gives, at every position, layer and head."""
    config, tokenizer, state_dict, _ = trained
    ids = [tokenizer.BOS] + tokenizer.encode("emma")
    weights = figures.attention_weights(state_dict, config, ids)
    outputs, real = [], model_module.head        # head()'s results: by position, then layer, then head
    monkeypatch.setattr(model_module, "head", lambda *args: outputs.append(real(*args)) or outputs[-1])
    keys, values = empty_cache(config)
    for pos, t in enumerate(ids):
        gpt(state_dict, config, t, pos, keys, values)
    d = config.head_dim
    for pos in range(len(ids)):
        for li in range(config.n_layer):
            for h in range(config.n_head):
                w = weights[li][h][pos]
                assert len(w) == pos + 1 and all(x > 0 for x in w)
                assert math.isclose(sum(w), 1.0, rel_tol=1e-12)
                mixed = [sum(w[t] * values[li][t][h * d + j].data for t in range(pos + 1)) for j in range(d)]
                out = outputs[(pos * config.n_layer + li) * config.n_head + h]
                assert max(abs(a - o.data) for a, o in zip(mixed, out)) <= 1e-13


def test_next_token_probabilities_follow_the_temperature(trained):
    config, tokenizer, state_dict, _ = trained
    keys, values = empty_cache(config)
    for pos, t in enumerate([tokenizer.BOS] + tokenizer.encode("em")):
        logits = gpt(state_dict, config, t, pos, keys, values)
    model = [p.data for p in softmax(logits)]
    assert figures.next_token_probs(state_dict, config, tokenizer, "em", 1.0) == model
    for temperature in (0.5, 2.0):
        probs = figures.next_token_probs(state_dict, config, tokenizer, "em", temperature)
        assert math.isclose(sum(probs), 1.0)
        # p_T is proportional to p_1 ** (1 / T)
        for i in range(1, len(probs)):
            assert math.isclose(math.log(probs[i] / probs[0]), math.log(model[i] / model[0]) / temperature,
                                rel_tol=1e-9, abs_tol=1e-9)


def test_the_captions_claims_hold_for_the_trained_model(trained):
    config, tokenizer, state_dict, _ = trained
    # chapter 7: the vowels' embeddings sit closer together than the consonants'
    _, points = figures.pca_2d([[p.data for p in row] for row in state_dict["wte"]])
    vowels = [p for p, ch in zip(points, tokenizer.uchars) if ch in "aeiou"]
    consonants = [p for p, ch in zip(points, tokenizer.uchars) if ch not in "aeiou"]
    spread = lambda ps: sum(math.dist(p, [sum(q[k] for q in ps) / len(ps) for k in (0, 1)]) for p in ps) / len(ps)  # noqa: E731
    assert spread(vowels) < spread(consonants)
    # chapter 6: untrained heads look everywhere about equally (each weight within
    # 1.5 times the even share 1 / (t + 1)); trained ones do not
    ids = [tokenizer.BOS] + tokenizer.encode("emma")
    fresh = init_state_dict(config, tokenizer.vocab_size, random.Random(42))
    for model, even in ((fresh, True), (state_dict, False)):
        weights = figures.attention_weights(model, config, ids)[0]
        shares = [w * len(ws) for head_weights in weights for ws in head_weights for w in ws]
        assert (1 / 1.5 < min(shares) and max(shares) < 1.5) == even
    # chapter 8: a lower temperature leaves fewer tokens with at least 1% probability
    alive = [sum(p >= 0.01 for p in figures.next_token_probs(state_dict, config, tokenizer, "em", t))
             for t in (0.5, 1.0, 2.0)]
    assert alive[0] < alive[1] < alive[2]


# ------------------------------------------------------ the figures of the book

def figure_blocks():
    """Each figure block's code, after the earlier build-time blocks of its session (a
    block with session="x" runs in the names those left, as markdown-exec runs it)."""
    parser = MarkdownIt("commonmark")
    for chapter in sorted((ROOT / "docs").glob("*.md")):
        sessions = {}
        for token in parser.parse(chapter.read_text(encoding="utf-8")):
            if token.type != "fence" or 'exec="on"' not in token.info:
                continue
            session = re.search(r'session="([^"]+)"', token.info)
            before = sessions.get(session and session[1], "")
            if session and 'html="1"' not in token.info:  # its output is not a figure: drop it
                sessions[session[1]] = before + "with contextlib.redirect_stdout(io.StringIO()):\n" + \
                    "".join(f"    {line}" for line in token.content.splitlines(True))
            if 'html="1"' in token.info:
                code = ("import contextlib, io\n" + before if before else "") + token.content
                yield pytest.param(code, id=f"{chapter.name}:{token.map[0] + 1}")


@pytest.mark.parametrize("code", list(figure_blocks()))
def test_every_figure_in_the_book_is_a_complete_figure(code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<figure block>", "exec"), {"__name__": "figure_block"})
    svg = check_figure(out.getvalue().strip())
    assert len(svg.get("aria-label")) > 40  # alt text that says something
    assert len(parse(out.getvalue()).find("figcaption").text) > 60


FIGURED = ("01-dataset.md", "02-tokenizer.md", "03-autograd.md", "04-parameters.md", "05-building-blocks.md",
           "06-transformer.md", "07-training.md", "08-sampling.md", "09-command-line.md", "11-to-chatgpt.md",
           "12-efficiency.md")


def test_the_book_has_its_figures():
    where = [p.id.split(":")[0] for p in figure_blocks()]
    for chapter in FIGURED:
        assert chapter in where


@pytest.mark.parametrize("chapter", FIGURED)
def test_every_figured_chapter_page_shows_a_figure(built_site, chapter):
    html = (built_site / chapter.removesuffix(".md") / "index.html").read_text(encoding="utf-8")
    figs = re.findall(r'<figure class="mg-figure".*?</figure>', html, re.S)
    assert figs
    for fig in figs:
        assert re.search(r'<svg role="img" aria-label="[^"]{40,}"', fig) and "<figcaption" in fig


def test_chapter_6_draws_no_ascii_diagram():
    """The model's picture is a figure: no code block of chapter 6 is box-drawing or +--- art."""
    parser = MarkdownIt("commonmark")
    source = (ROOT / "docs" / "06-transformer.md").read_text(encoding="utf-8")
    fences = [t for t in parser.parse(source) if t.type == "fence"]
    assert fences
    for fence in fences:
        assert not re.search(r"[\u2500-\u257f]|\+-{3}|-{3}\+|^\s*\|\s*$", fence.content, re.M), fence.map
        art = [line for line in fence.content.splitlines() if re.fullmatch(r"[\s|+\-.'<>v^]+", line) and line.strip()]
        assert len(art) < 2, (fence.map, art)


def block_figure(chapter, n=0):
    """The svg of chapter's n-th figure block, run here."""
    code = [p.values[0] for p in figure_blocks() if p.id.split(":")[0] == chapter][n]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<figure block>", "exec"), {"__name__": "figure_block"})
    return check_figure(out.getvalue().strip())


def bar_titles(svg):
    return [r.find("title").text for r in svg.iter("rect") if r.get("class") == "bar"]


def test_chapter_1s_bars_count_every_name_and_every_letter():
    from microgpt.data import read_docs
    docs = read_docs(str(ROOT / "names.txt"))
    lengths = [title.split(": ") for title in bar_titles(block_figure("01-dataset.md", 0))]
    assert sum(int(n.replace(",", "")) for _, n in lengths) == len(docs)
    assert [int(k) for k, _ in lengths] == list(range(min(map(len, docs)), max(map(len, docs)) + 1))
    letters = [title.split(": ") for title in bar_titles(block_figure("01-dataset.md", 1))]
    assert sum(int(n.replace(",", "")) for _, n in letters) == sum(map(len, docs))
    assert "".join(k for k, _ in letters) == "".join(sorted(set("".join(docs))))
    # the caption's claim: knowing these frequencies beats guessing evenly among the letters
    shares = [int(n.replace(",", "")) / sum(map(len, docs)) for _, n in letters]
    assert -sum(p * math.log(p) for p in shares) < math.log(len(shares))


# ------------------------------------------------------------ flows and grids

def test_the_model_picture_has_one_frame_per_layer_and_the_models_shapes():
    for config in (Config(), Config(n_embd=8, n_head=2, n_layer=3, block_size=5)):
        state_dict = init_state_dict(config, 11, random.Random(0))
        steps = figures.model_steps(config, state_dict)
        svg = check_figure(figures.flow(steps, alt="m", caption="c"))
        frames = [r for r in svg.iter("rect") if r.get("class") == "group"]
        assert len(frames) == config.n_layer
        assert [t for t in texts(svg) if t.startswith("layer ")] == \
            [f"layer {li} of {config.n_layer}" for li in range(config.n_layer)]
        words = " ".join(texts(svg))
        for name in ("wte", "wpe", "lm_head"):
            assert f"{name} {len(state_dict[name])}×{config.n_embd}" in words
        assert f"one of 11 tokens at one of {config.block_size} positions" in words
        assert f"{config.n_head} heads of {config.head_dim} numbers each" in words
        assert f"{config.n_embd} → {4 * config.n_embd} → {config.n_embd} numbers" in words
        # a phone's width: the drawing is at most 390 px wide, and no line overflows its box
        assert float(svg.get("viewBox").split()[2]) <= 390
        for g in svg.iter("g"):
            if g.get("class") == "step":
                width = float(g.find("rect").get("width"))
                assert all(7 * len(t) < width for t in texts(g)), texts(g)


def test_flow_draws_a_box_per_step_in_order_joined_by_arrows():
    steps = [(["one", "a"], None), (["two"], "g"), (["three"], "g"), (["four"], None)]
    svg = check_figure(figures.flow(steps, alt="f", caption="c"))
    boxes = [g for g in svg.iter("g") if g.get("class") == "step"]
    assert [texts(g) for g in boxes] == [lines for lines, _ in steps]
    ys = [float(g.find("rect").get("y")) for g in boxes]
    assert ys == sorted(ys)
    assert len([p for p in svg.iter("path") if p.get("class") == "arrow"]) == len(steps) - 1
    (frame,) = [r for r in svg.iter("rect") if r.get("class") == "group"]
    top, bottom = float(frame.get("y")), float(frame.get("y")) + float(frame.get("height"))
    inside = [top < y < bottom for y in ys]
    assert inside == [False, True, True, False]


def test_token_grid_shows_every_token_with_its_id():
    tokens = [*"abcdefghijk", "BOS"]
    svg = check_figure(figures.token_grid(tokens, alt="t", caption="c", per_row=5))
    cells = [g for g in svg.iter("g") if g.get("class") == "token"]
    assert [texts(g) for g in cells] == [[str(i), t] for i, t in enumerate(tokens)]
    assert [g.find("title").text for g in cells] == [f"id {i}: {t}" for i, t in enumerate(tokens)]
