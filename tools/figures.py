"""The book's figures: small SVG charts drawn in pure Python, and the few
measurements of the model that they show.

Every chart function returns one HTML ``<figure>``: an inline ``<svg>`` with
``role="img"``, an ``aria-label`` and a ``<title>`` (the alt text), followed by
a ``<figcaption>`` saying what to notice. Chapters print it from a
``python exec="on" html="1"`` block, so each figure is computed by the book's
own code when the site is built. Text and axes use ``currentColor`` and data
use mid-tone colours, so a figure reads in light and in dark mode alike. All
text is escaped, and nothing refers to anything outside the figure.

Why drawn by hand, and not with matplotlib's SVG backend or pygal (weighed
against what the book needs): every mark here carries its own <title> (a bar's value, a
cell's weight, a point's letter), which a screen reader and a mouse both find;
text and axes are currentColor, so one inline SVG serves the light and the dark
theme; and the SVG is a few kilobytes of plain elements with the page's own
font. matplotlib writes fixed colours, glyph paths or font names, and no
per-mark titles, so each of the three would need a rewriting pass over its SVG;
pygal draws titles with its own script and stylesheet. The autograd graph's
layout (dag) is hand-made for the same reasons, and because graphviz needs a
system binary that the reader's machine may not have.
"""

import hashlib
import math
from html import escape

from microgpt.model import empty_cache, gpt, softmax

# Mid tones: readable on the white page and on the dark one.
PALETTE = ("#3f7fbf", "#e0823d", "#4caf7a", "#c8504a", "#9270c4", "#b8962e")
GREY = "#8c8c8c"
FAINT = 'stroke="currentColor" stroke-opacity="0.18"'
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 34, 42  # the margins of the charts against the step


def hue(k):
    """The k-th colour of the palette, round and round."""
    return PALETTE[k % len(PALETTE)]


def esc(text):
    """Text made safe for XML content and attribute values."""
    return escape(str(text), quote=True)


def num(x):
    """A coordinate, short: at most two decimals, no trailing zeros."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def figure(width, height, alt, caption, body):
    """Wrap SVG elements (strings) in the <figure> every chart shares."""
    # The figure spans the text column (the theme would shrink it to its
    # caption); the drawing grows up to its natural size, the caption as wide.
    return (f'<figure class="mg-figure" style="width:100%">'
            f'<svg role="img" aria-label="{esc(alt)}" viewBox="0 0 {num(width)} {num(height)}" '
            f'width="100%" style="max-width:{num(width)}px;height:auto" font-size="12" '
            f'fill="currentColor"><title>{esc(alt)}</title>{"".join(body)}</svg>'
            f'<figcaption style="max-width:{num(width)}px">{esc(caption)}</figcaption></figure>')


def text(x, y, content, anchor="middle", **attrs):
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    return f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}"{extra}>{esc(content)}</text>'


def ticks(lo, hi, count=5):
    """Round tick values covering lo..hi, about count of them (steps of 1, 2 or 5 times 10^k)."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(round((last - first) / step) + 1)]


def tick_label(t):
    return f"{t:,.0f}" if t == int(t) else f"{t:g}"


def y_axis(values, x0, x1, y_of, label, top):
    """Horizontal grid lines with labels at each tick, and the axis title."""
    out = []
    for t in values:
        out.append(f'<line x1="{num(x0)}" x2="{num(x1)}" y1="{num(y_of(t))}" y2="{num(y_of(t))}" {FAINT}/>')
        out.append(text(x0 - 6, y_of(t) + 4, tick_label(t), "end"))
    if label:
        out.append(text(x0, top - 8, label, "start"))
    return out


def legend(entries, x, y):
    """Coloured swatches with names, in a row starting at (x, y); entries: (name, colour, kind)."""
    out = []
    for name, colour, kind in entries:
        if kind == "line":
            out.append(f'<line x1="{num(x)}" x2="{num(x + 18)}" y1="{num(y - 4)}" y2="{num(y - 4)}" '
                       f'stroke="{colour}" stroke-width="2.5"/>')
        else:
            out.append(f'<rect x="{num(x + 4)}" y="{num(y - 10)}" width="10" height="10" fill="{colour}"/>')
        out.append(text(x + 24, y, name, "start"))
        x += 24 + 7 * len(name) + 18
    return out


# ---------------------------------------------------------------- line chart

def moving_average(ys, window):
    """The mean of each window of consecutive values: entry i is the mean of
    ys[i - window + 1 .. i], for i from window - 1 on (len(ys) - window + 1 values)."""
    if not 1 <= window <= len(ys):
        raise ValueError(f"window must be 1 .. {len(ys)}, not {window}")
    return [sum(ys[i - window + 1:i + 1]) / window for i in range(window - 1, len(ys))]


def step_axes(steps, lo, hi, x_label, y_label, width, height):
    """The axes of a chart against steps 1 .. steps, values lo .. hi: (SVG elements, y_of, points),
    points(ys, first) being a polyline's points for ys from step first on."""
    y_ticks = ticks(lo, hi)
    x_of = lambda i: LEFT + (i - 1) * (width - LEFT - RIGHT) / max(steps - 1, 1)  # noqa: E731
    y_of = lambda y: TOP + (y_ticks[-1] - y) * (height - TOP - BOTTOM) / (y_ticks[-1] - y_ticks[0])  # noqa: E731
    body = y_axis(y_ticks, LEFT, width - RIGHT, y_of, y_label, TOP)
    for t in [t for t in ticks(0, steps) if t <= steps]:  # 0, 200, ...: the first step is 1
        body.append(text(x_of(max(t, 1)), height - BOTTOM + 16, tick_label(max(t, 1))))
    body.append(text((LEFT + width - RIGHT) / 2, height - 8, x_label))

    def points(ys, first):
        return " ".join(f"{num(x_of(i))},{num(y_of(y))}" for i, y in enumerate(ys, first))
    return body, y_of, points


def line_chart(ys, *, alt, caption, window=None, marks=(), x_label="step", y_label="",
               names=("every step", "mean of the last {window}"), width=640, height=270):
    """ys against 1, 2, ..., len(ys) (thin grey line); with window, also their
    moving average (thick blue line). marks: (y, label) horizontal reference lines."""
    marked = [*ys, *(y for y, _ in marks)]
    body, y_of, points = step_axes(len(ys), min(marked), max(marked), x_label, y_label, width, height)
    body.append(f'<polyline class="series raw" points="{points(ys, 1)}" fill="none" stroke="{GREY}" '
                f'stroke-opacity="0.7" stroke-width="1"/>')
    entries = [(names[0], GREY, "line")]
    for y, label in marks:
        body.append(f'<line class="mark" x1="{LEFT}" x2="{width - RIGHT}" y1="{num(y_of(y))}" '
                    f'y2="{num(y_of(y))}" stroke="{PALETTE[3]}" stroke-dasharray="5 4"/>')
        body.append(text(width - RIGHT, y_of(y) - 5, label, "end", fill=PALETTE[3]))
    if window:
        body.append(f'<polyline class="series average" points="{points(moving_average(ys, window), window)}" '
                    f'fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>')
        entries.append((names[1].format(window=window), PALETTE[0], "line"))
    body += legend(entries, LEFT + 90, 16)
    return figure(width, height, alt, caption, body)


def curves(series, window, *, alt, caption, x_label="step", y_label="", width=640, height=300):
    """The moving average over window steps of each of several series (name, ys), one
    coloured line each, against the step: several runs on one chart."""
    averages = [(name, moving_average(ys, window)) for name, ys in series]
    lo, hi = min(min(a) for _, a in averages), max(max(a) for _, a in averages)
    body, _, points = step_axes(max(len(ys) for _, ys in series), lo, hi, x_label, y_label, width, height)
    for k, (name, avg) in enumerate(averages):
        body.append(f'<polyline class="series" points="{points(avg, window)}" fill="none" stroke="{hue(k)}" '
                    f'stroke-width="2"><title>{esc(name)}</title></polyline>')
    body += legend([(name, hue(k), "line") for k, (name, _) in enumerate(series)], LEFT + 40, 16)
    return figure(width, height, alt, caption, body)


# ----------------------------------------------------------------- bar chart

def bar_chart(labels, series, *, alt, caption, y_label="", show_values=False,
              value_format="{:,}", width=640, height=280):
    """Grouped bars: one group per label, one bar per series in each group.
    series: list of (name, values), values in the order of labels."""
    longest = max(len(str(label)) for label in labels)
    rotate = longest * 7 > (width - 70) / len(labels)
    left, right, top = 52, 12, 36
    bottom = 30 + (longest * 5 if rotate else 0)
    y_ticks = ticks(0, max(v for _, values in series for v in values))
    y_of = lambda y: top + (y_ticks[-1] - y) * (height - top - bottom) / y_ticks[-1]  # noqa: E731
    body = y_axis(y_ticks, left, width - right, y_of, y_label, top)
    group = (width - left - right) / len(labels)
    bar = 0.8 * group / len(series)
    for g, label in enumerate(labels):
        x0 = left + g * group + 0.1 * group
        for s, (name, values) in enumerate(series):
            v, x = values[g], x0 + s * bar
            tip = f"{label}: {value_format.format(v)}" + (f" ({name})" if len(series) > 1 else "")
            body.append(f'<rect class="bar" x="{num(x)}" y="{num(y_of(v))}" width="{num(bar)}" '
                        f'height="{num(y_of(0) - y_of(v))}" fill="{hue(s)}"><title>{esc(tip)}</title></rect>')
            if show_values:
                body.append(text(x + bar / 2, y_of(v) - 4, value_format.format(v), font_size="11"))
        cx, cy = left + (g + 0.5) * group, height - bottom + 16
        if rotate:
            body.append(text(cx + 4, cy - 4, label, "end", transform=f"rotate(-40 {num(cx + 4)} {num(cy - 4)})"))
        else:
            body.append(text(cx, cy, label))
    if len(series) > 1:
        body += legend([(name, hue(s), "box") for s, (name, _) in enumerate(series)], left + 120, 16)
    return figure(width, height, alt, caption, body)


# ------------------------------------------------------------------ heatmaps

def heatmaps(panels, row_labels, col_labels, *, alt, caption, row_title="", col_title="",
             columns=2, cell=34, vmax=1.0):
    """One grid per panel, side by side, columns per row of panels.
    panels: list of (title, matrix); matrix[r][c] is a number from 0 to vmax,
    or None for an empty cell. The darker the cell, the larger the number."""
    label_w = 12 + 8 * max(len(str(label)) for label in row_labels)
    panel_w = label_w + cell * len(col_labels) + 24
    panel_h = 40 + cell * len(row_labels) + 22
    cols = min(columns, len(panels))
    width, height = cols * panel_w + 8, math.ceil(len(panels) / cols) * panel_h + 4
    body = []
    for p, (title, matrix) in enumerate(panels):
        ox = 4 + (p % cols) * panel_w + label_w
        oy = (p // cols) * panel_h + 40
        body.append(text(ox + cell * len(col_labels) / 2, oy - 24, title, font_weight="bold"))
        for c, label in enumerate(col_labels):
            body.append(text(ox + (c + 0.5) * cell, oy - 6, label))
        for r, (row_label, row) in enumerate(zip(row_labels, matrix)):
            y = oy + r * cell
            body.append(text(ox - 6, y + cell / 2 + 4, row_label, "end"))
            for c, value in enumerate(row):
                x = ox + c * cell
                square = f'x="{num(x + 1)}" y="{num(y + 1)}" width="{cell - 2}" height="{cell - 2}"'
                if value is None:
                    body.append(f'<rect {square} fill="none" {FAINT}/>')
                    continue
                share = max(0.0, min(1.0, value / vmax))
                tip = f"{title}: {row_title} {row_label} ({r}), {col_title} {col_labels[c]} ({c}): {value:.3f}"
                body.append(f'<rect class="cell" {square} fill="{PALETTE[0]}" fill-opacity="{share:.3f}" '
                            f'{FAINT}><title>{esc(tip)}</title></rect>')
                body.append(text(x + cell / 2, y + cell / 2 + 4, f"{value:.2f}".lstrip("0") or "0",
                                 font_size="10", fill="white" if share > 0.55 else "currentColor"))
        bottom = oy + cell * len(row_labels)
        if col_title:
            body.append(text(ox + cell * len(col_labels) / 2, bottom + 16, f"{col_title} →", font_size="11"))
        if row_title:
            body.append(text(ox - label_w + 2, oy - 24, f"{row_title} ↓", "start", font_size="11"))
    return figure(width, height, alt, caption, body)


# ------------------------------------------------------------------- scatter

def scatter(points, labels, *, alt, caption, groups=None, group_names=(), x_label="", y_label="",
            width=560, height=420):
    """Points (x, y), each drawn with its label, on axes of equal scale (so
    distances on the page are true distances). groups[i] picks point i's colour."""
    margin = 34
    xs, ys = [x for x, _ in points], [y for _, y in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = min(width - 2 * margin, height - 2 * margin) / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    x_of = lambda x: width / 2 + (x - cx) * scale  # noqa: E731
    y_of = lambda y: height / 2 - (y - cy) * scale  # noqa: E731
    edge = margin / 2
    body = [f'<line x1="{edge}" x2="{width - edge}" y1="{num(y_of(0))}" y2="{num(y_of(0))}" {FAINT}/>',
            f'<line x1="{num(x_of(0))}" x2="{num(x_of(0))}" y1="{edge}" y2="{height - edge}" {FAINT}/>',
            text(width - edge, y_of(0) - 6, x_label, "end", font_size="11"),
            text(x_of(0) + 6, edge + 10, y_label, "start", font_size="11")]
    taken = [(x_of(x) - 5, y_of(y) - 5, 10, 10) for x, y in points]  # boxes: the points, then labels
    for i, ((x, y), label) in enumerate(zip(points, labels)):
        px, py = x_of(x), y_of(y)
        body.append(f'<circle class="point" cx="{num(px)}" cy="{num(py)}" r="4" '
                    f'fill="{hue(groups[i] if groups else 0)}"><title>{esc(label)}</title></circle>')
        w = 8 * len(str(label))
        spots = [(px + 7, py - 7, "start"), (px - 7, py - 7, "end"), (px - w / 2, py - 20, "start"),
                 (px - w / 2, py + 6, "start")]
        boxes = [(sx - w if anchor == "end" else sx, sy, w, 14) for sx, sy, anchor in spots]
        free = [k for k, b in enumerate(boxes) if not any(overlap(b, t) for t in taken)]
        k = free[0] if free else 0
        taken.append(boxes[k])
        sx, sy, anchor = spots[k]
        body.append(text(sx, sy + 11, label, anchor, font_size="13"))
    if group_names:
        body += legend([(name, hue(g), "box") for g, name in enumerate(group_names)], 10, 16)
    return figure(width, height, alt, caption, body)


def overlap(a, b):
    """Whether two boxes (x, y, width, height) overlap."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


# ------------------------------------------------------------ computation graph

def dag(nodes, edges, *, alt, caption, box=(132, 62), gap=(104, 26)):
    """A layered drawing of a directed acyclic graph, edges pointing right.
    nodes: list of (key, lines of text), every node after the nodes its edges
    come from; edges: (from_key, to_key, label). Leaves sit in the first
    column, and each other node one column right of its rightmost input."""
    bw, bh = box
    layer = {}
    for key, _ in nodes:
        inputs = [layer[a] for a, b, _ in edges if b == key]
        layer[key] = 1 + max(inputs) if inputs else 0
    columns = [[k for k, _ in nodes if layer[k] == c] for c in range(max(layer.values()) + 1)]
    tallest = max(len(col) for col in columns)
    width = 24 + len(columns) * bw + (len(columns) - 1) * gap[0]
    height = 56 + tallest * bh + (tallest - 1) * gap[1]
    pos = {}
    for c, col in enumerate(columns):
        top = (height - len(col) * bh - (len(col) - 1) * gap[1]) / 2
        for r, key in enumerate(col):
            pos[key] = (12 + c * (bw + gap[0]), top + r * (bh + gap[1]))
    marker = "mg-arrow-" + hashlib.sha1(alt.encode()).hexdigest()[:8]
    body = [f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="currentColor"/></marker></defs>']
    for a, b, label in edges:
        (ax, ay), (bx, by) = pos[a], pos[b]
        x1, y1, x2, y2 = ax + bw, ay + bh / 2, bx, by + bh / 2
        between = [pos[k][1] for k in pos if layer[a] < layer[k] < layer[b]]
        if between and min(between) - 4 < max(y1, y2) and min(y1, y2) < max(between) + bh + 4:
            yr = min(between) - gap[1] / 2 if y1 <= height / 2 else max(between) + bh + gap[1] / 2
            d = (f"M{num(x1)},{num(y1)} C{num(x1 + 40)},{num(y1)} {num(x1 + 40)},{num(yr)} "
                 f"{num(x1 + 80)},{num(yr)} L{num(x2 - 80)},{num(yr)} C{num(x2 - 40)},{num(yr)} "
                 f"{num(x2 - 40)},{num(y2)} {num(x2)},{num(y2)}")
            lx, ly = (x1 + x2) / 2, yr
        else:
            d = f"M{num(x1)},{num(y1)} L{num(x2)},{num(y2)}"
            lx, ly = (x1 + x2) / 2, (y1 + y2) / 2
        body.append(f'<path class="edge" d="{d}" fill="none" stroke="currentColor" stroke-opacity="0.6" '
                    f'marker-end="url(#{marker})"/>')
        if label:
            body.append(text(lx, ly - 5, label, font_size="11", fill=PALETTE[1], font_style="italic"))
    for key, lines in nodes:
        x, y = pos[key]
        body.append(f'<g class="node"><rect x="{num(x)}" y="{num(y)}" width="{bw}" height="{bh}" rx="6" '
                    f'fill="{PALETTE[0]}" fill-opacity="0.12" stroke="{PALETTE[0]}" stroke-width="1.5"/>')
        for i, line in enumerate(lines):
            body.append(text(x + bw / 2, y + 19 + i * 17, line, font_weight="bold" if i == 0 else "normal"))
        body.append("</g>")
    return figure(width, height, alt, caption, body)


def operation(v):
    """The operation that made Value v, read back from what it stored: its
    children and its local gradients (a Value does not record its operation)."""
    kids, grads = v._children, v._local_grads
    if len(kids) == 2:
        a, b = kids
        if tuple(grads) == (1, 1) and v.data == a.data + b.data:
            return "+"
        if tuple(grads) == (b.data, a.data) and v.data == a.data * b.data:
            return "×"
    if len(kids) == 1:
        (a,), (g,) = kids, grads
        if v.data == math.exp(a.data) and g == v.data:
            return "exp"
        if a.data > 0 and v.data == math.log(a.data):
            return "log"
        if v.data == max(0, a.data) and g in (0.0, 1.0):
            return "relu"
        return "pow"
    return "?"


def value_graph(root, names, *, alt, caption):
    """The computation graph below the Value root, drawn from the Values
    themselves: every node of root.topological_order(), its operation, data
    and grad, and an edge from each child, labelled with its local gradient.
    names maps some Values to the names the prose gives them."""
    order = root.topological_order()
    key = {v: i for i, v in enumerate(order)}
    name = lambda v: names.get(v, f"v{key[v]}")  # noqa: E731
    nodes, edges = [], []
    for v in order:
        if v._children:
            op = operation(v)
            kids = [name(c) for c in v._children]
            head = f"{name(v)} = {f' {op} '.join(kids)}" if len(kids) == 2 else f"{name(v)} = {op}({kids[0]})"
        else:
            head = f"{name(v)} (leaf)"
        nodes.append((key[v], [head, f"data {v.data:g}", f"grad {v.grad:g}"]))
        for child, local in zip(v._children, v._local_grads):
            edges.append((key[child], key[v], f"local grad {local:g}"))
    return dag(nodes, edges, alt=alt, caption=caption)


# ------------------------------------------------------- looking into the model

def attention_weights(state_dict, config, token_ids):
    """weights[li][h][pos]: the attention weights of layer li's head h at position pos, over
    positions 0 .. pos, for the model reading token_ids. Chapter 12's whole-name forward pass
    computes them all at once, within 1e-15 of the scalar engine (tests/test_figures.py)."""
    from microgpt import fast

    _, saved = fast.gpt(fast.model(state_dict), config, token_ids)
    return [[[row[:pos + 1] for pos, row in enumerate(w.tolist())] for w in attn[5]]
            for attn, _mlp in saved[1:-1]]


def pca_2d(rows):
    """The first two principal components of the rows (vectors of equal length) and each
    row projected onto them: (components, points). NumPy's SVD of the centred rows gives
    the directions of largest spread first; each gets a fixed sign (largest entry > 0)."""
    import numpy as np

    centred = np.array(rows) - np.mean(rows, axis=0)
    components = np.linalg.svd(centred, full_matrices=False)[2][:2]
    components *= np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])[:, None]
    return components.tolist(), [tuple(p) for p in (centred @ components.T).tolist()]


def next_token_probs(state_dict, config, tokenizer, prefix, temperature):
    """The probabilities sampling draws the next token from, after BOS and
    prefix, at this temperature: the same expression as sample() uses."""
    keys, values = empty_cache(config)
    for pos_id, token_id in enumerate([tokenizer.BOS] + tokenizer.encode(prefix)):
        logits = gpt(state_dict, config, token_id, pos_id, keys, values)
    return [p.data for p in softmax([logit / temperature for logit in logits])]


# ------------------------------------------------------------- flows and grids

def flow(steps, *, alt, caption, width=360):
    """Boxes top to bottom, joined by arrows, narrow enough for a phone. steps: list of
    (lines, group); consecutive steps with the same group (a title, or None) share a
    dashed frame titled with it. A box's first line is bold."""
    body, y, last, frame = [], 8, None, None
    for lines, group in [*steps, (None, None)]:
        if frame and group != frame[0]:  # close the open frame
            body.append(f'<rect class="group" x="12" y="{num(frame[1])}" width="{width - 24}" '
                        f'height="{num(y + 10 - frame[1])}" rx="8" fill="none" stroke="{PALETTE[1]}" '
                        f'stroke-width="1.5" stroke-dasharray="5 4"/>')
            y, frame = y + 10, None
        if lines is None:
            break
        y += 20 if last is not None else 0
        if group and not frame:
            frame = (group, y)
            body.append(text(24, y + 17, group, "start", font_weight="bold"))
            y += 26
        if last is not None:  # an arrow down from the box before, ending in a V
            body.append(f'<path class="arrow" d="M{num(width / 2)},{num(last)} V{num(y - 6)} l-4,-5 m4,5 l4,-5" '
                        f'fill="none" stroke="currentColor" stroke-opacity="0.7"/>')
        inset = 28 if group else 16
        h = 10 + 17 * len(lines)
        body.append(f'<g class="step"><rect x="{inset}" y="{num(y)}" width="{width - 2 * inset}" height="{h}" '
                    f'rx="6" fill="{PALETTE[0]}" fill-opacity="0.12" stroke="{PALETTE[0]}" stroke-width="1.5"/>')
        for i, line in enumerate(lines):
            body.append(text(width / 2, y + 19 + 17 * i, line, font_weight="bold" if i == 0 else "normal"))
        body.append("</g>")
        last, y = y + h, y + h
    return figure(width, y + 8, alt, caption, body)


def model_steps(config, state_dict):
    """The steps of one call of gpt (chapter 6) for flow(): what each does, with the sizes
    and the matrices' shapes read from the config and the state_dict."""
    shape = lambda name: f"{len(state_dict[name])}×{len(state_dict[name][0])}"  # noqa: E731
    n, vocab = config.n_embd, len(state_dict["wte"])
    steps = [(["token_id, pos_id", f"one of {vocab} tokens at one of {config.block_size} positions"], None),
             (["x = wte[token_id] + wpe[pos_id]", f"wte {shape('wte')}, wpe {shape('wpe')}: {n} numbers"], None),
             (["x = rmsnorm(x)", "the residual stream starts"], None)]
    for li in range(config.n_layer):
        group = f"layer {li} of {config.n_layer}"
        steps += [(["attention block", "x + attn_wo(heads(rmsnorm(x)))",
                    f"k, v appended to keys[{li}], values[{li}]",
                    f"{config.n_head} heads of {config.head_dim} numbers each",
                    f"attn_wq, wk, wv, wo: {shape(f'layer{li}.attn_wq')} each"], group),
                  (["MLP block", "x + mlp_fc2(relu(mlp_fc1(rmsnorm(x))))",
                    f"{n} → {len(state_dict[f'layer{li}.mlp_fc1'])} → {n} numbers"], group)]
    return steps + [(["logits = lm_head(x)", f"lm_head {shape('lm_head')}: one score per token"], None)]


def token_grid(tokens, *, alt, caption, per_row=9, cell=38):
    """A table of tokens as a grid of cells, per_row to a row: each token's id above, its
    text below; a token of several characters (BOS) in the second colour."""
    rows = math.ceil(len(tokens) / per_row)
    body = []
    for i, token in enumerate(tokens):
        x, y = 4 + (i % per_row) * cell, 4 + (i // per_row) * (cell + 8)
        body.append(f'<g class="token"><title>{esc(f"id {i}: {token}")}</title><rect x="{x + 1}" y="{y + 1}" '
                    f'width="{cell - 2}" height="{cell + 6}" rx="4" fill="{hue(len(token) > 1)}" '
                    f'fill-opacity="0.14" stroke="{hue(len(token) > 1)}"/>')
        body.append(text(x + cell / 2, y + 14, i, font_size="10", fill_opacity="0.75"))
        body.append(text(x + cell / 2, y + 35, token, font_size="15" if len(token) == 1 else "10",
                         font_weight="bold") + "</g>")
    return figure(8 + per_row * cell, 8 + rows * (cell + 8), alt, caption, body)
