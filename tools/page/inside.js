// Look inside the model, with the book's own code: the widgets of chapters 3, 6 and 8.
//
// A chapter marks a widget's place with <div class="mg-inside" data-widget="...">, holding
// one sentence for print and for a page without Python; this script (added by the site
// build to such pages) fills it in. Every number comes from tools/page/inside.py, run by
// the page's Python in a Web Worker of its own (worker.js, message "inside"), started on
// the reader's first request, never before: a page that is only read loads no Pyodide.
// The drawings use the figures' style (tools/figures.py): currentColor for text and axes,
// the same mid-tone colours, a <title> on every mark; each widget also shows its numbers
// as a table and says what changed in a polite live region.

(() => {
"use strict";

const site = new URL("../", document.currentScript.src).href;
const MODEL = "docs/assets/default-model.json";
const [BLUE, ORANGE] = ["#3f7fbf", "#e0823d"];  // figures.PALETTE's first two
const FAINT = 'stroke="currentColor" stroke-opacity="0.18"';

// ---------------------------------------------------------------- the worker

let worker = null;
let next = 0;
const waiting = new Map();

function ask(call, ...args) {
  if (!worker) {
    worker = new Worker(`${site}runner/worker.js`, { type: "module" });
    worker.onmessage = ({ data }) => {
      const asked = waiting.get(data.id);
      if (!asked || (data.kind !== "done" && data.kind !== "failed")) return;
      waiting.delete(data.id);
      data.kind === "done" ? asked.resolve(JSON.parse(data.json)) : asked.reject(new Error(data.error));
    };
    worker.onerror = (event) => {  // it could not start: say so, and start afresh next time
      for (const asked of waiting.values()) asked.reject(new Error(`the page's Python could not start: ${event.message ?? "an error"}`));
      waiting.clear();
      worker.terminate();
      worker = null;
    };
  }
  const id = `inside-${next++}`;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, kind: "inside", site, call, args });
  });
}

// ---------------------------------------------------------------- small helpers

function tag(name, className = "", ...content) {
  const element = document.createElement(name);
  if (className) element.className = className;
  element.append(...content);
  return element;
}

function field(words, input, id) {
  input.id = id;
  const label = tag("label", "", words);
  label.htmlFor = id;
  return [label, input];
}

// value last: a range input snaps its value to the min and step it has at that moment.
function input(type, value, more = {}) {
  return Object.assign(tag("input"), { type, spellcheck: false, ...more, value });
}

// Which model a widget reads: the book's (MODEL), or the one the reader trained in chapter
// 7's panel in this browser (runner.js keeps it in localStorage as "microgpt:model").
function modelChoice() {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem("microgpt:model")); } catch { /* refused, or not ours */ }
  const select = tag("select");
  select.append(Object.assign(tag("option", "", "the book's"), { value: "book" }));
  if (saved && typeof saved.model === "string") {
    select.append(Object.assign(tag("option", "", `yours (${saved.steps} steps, chapter 7)`), { value: "yours" }));
  }
  select.disabled = select.options.length < 2;
  const path = () => (select.value === "yours" ? ask("keep", saved.model) : MODEL);
  return { select, path };
}

function button(words) {
  const element = tag("button", "md-button mg-inside-button", words);
  element.type = "button";
  return element;
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const pct = (p) => `${(100 * p).toFixed(1)}%`;
const num = (x) => (Math.abs(x) >= 1e-4 || x === 0 ? Number(x.toPrecision(4)) : x.toExponential(2)).toString();

function svg(width, height, alt, body) {
  return `<figure class="mg-figure" style="width:100%"><svg role="img" aria-label="${esc(alt)}" ` +
    `viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px;height:auto" font-size="12" ` +
    `fill="currentColor"><title>${esc(alt)}</title>${body.join("")}</svg></figure>`;
}

function table(caption, head, rows) {
  const t = tag("table", "mg-inside-table");
  t.append(tag("caption", "", caption));
  t.append(tag("tr", "", ...head.map((h) => tag("th", "", h))));
  for (const row of rows) t.append(tag("tr", "", ...row.map((c) => tag("td", "", String(c)))));
  return t;
}

// The parts every widget has: its controls, a status line (live), the drawing, the numbers.
function frame(holder, controls) {
  const status = tag("p", "mg-inside-status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const drawing = tag("div", "mg-inside-drawing");
  const numbers = tag("details", "mg-inside-numbers", tag("summary", "", "The numbers, as a table"));
  // Print shows the chapter's one sentence of what the widget does (extra.css), not its controls.
  holder.dataset.print ??= holder.textContent.trim().replace(/\s+/g, " ");
  holder.replaceChildren(tag("div", "mg-inside-controls", ...controls), status, drawing, numbers);
  return { status, drawing, numbers };
}

// Run one request at a time; a newer one replaces one still waiting to start.
function serial(work, status) {
  let running = false;
  let queued = null;
  return async function go(...args) {
    if (running) { queued = args; return; }
    running = true;
    if (!worker) status.textContent = "starting the page's Python (about 14 MB, once)…";
    try { await work(...args); } catch (e) { status.textContent = e.message.replace(/^ValueError: /, ""); }
    running = false;
    if (queued) { const again = queued; queued = null; go(...again); }
  };
}

// ---------------------------------------------------------------- chapter 8: the next letter

function nextLetter(holder) {
  const prefix = input("text", "", { size: 10 });
  const temperature = input("range", "1", { min: "0.1", max: "2", step: "0.1" });
  const shown = tag("output", "", "1.0");
  shown.htmlFor = "mg-inside-temperature";
  const show = button("Show");
  const step = button("Next");
  const model = modelChoice();
  const { status, drawing, numbers } = frame(holder, [...field("Model: ", model.select, "mg-inside-model8"),
    ...field("Prefix: ", prefix, "mg-inside-prefix"),
    ...field("Temperature: ", temperature, "mg-inside-temperature"), shown, show, step]);
  let last = null;  // what the drawing shows: {prefix, temperature, labels, probs}

  const update = serial(async (drawn = null) => {
    const [p, t] = [prefix.value, Number(temperature.value)];
    const { labels, probs } = await ask("next_letter", await model.path(), p, t);
    last = { prefix: p, temperature: t, labels, probs };
    drawing.innerHTML = bars(labels, probs, null, p, t);
    const rows = labels.map((l, i) => [l, probs[i]]).sort((a, b) => b[1] - a[1]);
    numbers.replaceChildren(numbers.firstChild, table(`After BOS${p ? ` and "${p}"` : ""}, at temperature ${t}`,
      ["next token", "probability"], rows.map(([l, q]) => [l, q.toFixed(6)])));
    const top = rows.slice(0, 3).map(([l, q]) => `${l} ${pct(q)}`).join(", ");
    status.textContent = (drawn === null ? "" : `Drew "${drawn}". `) +
      `After "${p}" at temperature ${t}, the most likely next tokens: ${top}.`;
  }, status);

  show.onclick = () => update();
  prefix.oninput = model.select.onchange = () => update();
  temperature.oninput = () => { shown.textContent = Number(temperature.value).toFixed(1); update(); };
  // Next: draw one token from the distribution shown (as sample() does with rng.choices),
  // add it to the prefix, and show the distribution after it; BOS ends the name.
  step.onclick = async () => {
    if (!last || last.prefix !== prefix.value || last.temperature !== Number(temperature.value)) await update();
    if (!last) return;
    let r = Math.random() * last.probs.reduce((a, b) => a + b);
    let i = 0;
    while (i < last.probs.length - 1 && (r -= last.probs[i]) >= 0) i++;
    if (last.labels[i] === "BOS") {
      drawing.innerHTML = bars(last.labels, last.probs, "BOS", last.prefix, last.temperature);
      status.textContent = `Drew BOS: the name ends, "${last.prefix}". Clear the prefix to start another.`;
      return;
    }
    prefix.value += last.labels[i];
    await update(last.labels[i]);
  };
  status.textContent = "Type a prefix (or leave it empty) and press Show; Next draws one letter.";
}

function bars(labels, probs, drawn, prefix, temperature) {
  const [width, height, left, right, top, bottom] = [640, 240, 44, 8, 16, 34];
  const hi = Math.max(...probs, 0.05);
  const w = (width - left - right) / labels.length;
  const y = (p) => top + (1 - p / hi) * (height - top - bottom);
  const parts = [];
  for (let k = 0; k <= 4; k++) {
    const t = (hi * k) / 4;
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(t)}" y2="${y(t)}" ${FAINT}/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${(100 * t).toFixed(0)}%</text>`);
  }
  labels.forEach((l, i) => {
    const x = left + i * w;
    const colour = l === drawn ? ORANGE : BLUE;
    parts.push(`<rect class="bar" x="${(x + 1).toFixed(1)}" y="${y(probs[i]).toFixed(1)}" width="${(w - 2).toFixed(1)}" ` +
      `height="${(y(0) - y(probs[i])).toFixed(1)}" fill="${colour}"><title>${esc(l)}: ${pct(probs[i])}</title></rect>`,
    `<text x="${(x + w / 2).toFixed(1)}" y="${height - bottom + 14}" text-anchor="middle" ` +
      `font-size="${l === "BOS" ? 8 : 12}">${esc(l)}</text>`);
  });
  const alt = `The probability of each next token after "${prefix}" at temperature ${temperature}`;
  return svg(width, height, alt, parts);
}

// ---------------------------------------------------------------- chapter 6: attention

function attention(holder) {
  const name = input("text", "emma", { size: 10 });
  const show = button("Show");
  const model = modelChoice();
  const { status, drawing, numbers } = frame(holder, [...field("Model: ", model.select, "mg-inside-model6"),
    ...field("Name: ", name, "mg-inside-name"), show]);
  const update = serial(async () => {
    const { tokens, weights } = await ask("attention", await model.path(), name.value);
    drawing.innerHTML = heatmaps(tokens, weights);
    const tables = [];
    const said = [];
    weights.forEach((layer, li) => layer.forEach((rows, h) => {
      tables.push(table(`Layer ${li}, head ${h}: the weight each position (row) gives each earlier one (column)`,
        ["reading", ...tokens.map((t, i) => `${i} ${t}`)],
        rows.map((row, pos) => [`${pos} ${tokens[pos]}`, ...tokens.map((_, j) => (j < row.length ? row[j].toFixed(3) : ""))])));
      const lastRow = rows[rows.length - 1];
      const most = lastRow.indexOf(Math.max(...lastRow));
      said.push(`layer ${li} head ${h}: ${tokens[most]} (${pct(lastRow[most])})`);
    }));
    numbers.replaceChildren(numbers.firstChild, ...tables);
    status.textContent = `Reading BOS ${name.value}: where the last position looks most, ${said.join("; ")}.`;
  }, status);
  show.onclick = model.select.onchange = () => update();
  name.onkeydown = (e) => { if (e.key === "Enter") update(); };
  status.textContent = "Type a name and press Show (or Enter).";
}

function heatmaps(tokens, weights) {
  const n = tokens.length;
  const cell = Math.max(9, Math.min(24, Math.floor(110 / n)));
  const side = cell * n;
  const [gapX, gapY, left, top] = [20, 40, 22, 34];
  const heads = weights[0].length;
  const perRow = Math.max(1, Math.min(heads, Math.floor(660 / (side + left + gapX))));  // a layer's heads in a row
  const panels = weights.flatMap((layer, li) => layer.map((rows, h) => ({ li, h, rows })));
  const rowsOfPanels = Math.ceil(panels.length / perRow);
  const width = perRow * (left + side + gapX);
  const height = rowsOfPanels * (top + side + gapY);
  const parts = [];
  panels.forEach(({ li, h, rows }, k) => {
    const ox = (k % perRow) * (left + side + gapX) + left;
    const oy = Math.floor(k / perRow) * (top + side + gapY) + top;
    parts.push(`<text x="${ox + side / 2}" y="${oy - 18}" text-anchor="middle">layer ${li}, head ${h}</text>`);
    tokens.forEach((t, i) => {
      parts.push(`<text x="${ox + i * cell + cell / 2}" y="${oy - 4}" text-anchor="middle" font-size="10">${esc(t === "BOS" ? "·" : t)}</text>`,
        `<text x="${ox - 4}" y="${oy + i * cell + cell / 2 + 4}" text-anchor="end" font-size="10">${esc(t === "BOS" ? "·" : t)}</text>`);
    });
    rows.forEach((row, pos) => row.forEach((w, j) => {
      parts.push(`<rect x="${ox + j * cell}" y="${oy + pos * cell}" width="${cell - 1}" height="${cell - 1}" fill="${BLUE}" ` +
        `fill-opacity="${(0.06 + 0.94 * w).toFixed(3)}"><title>${esc(tokens[pos])} (${pos}) → ${esc(tokens[j])} (${j}): ${w.toFixed(3)}</title></rect>`);
    }));
  });
  const alt = `Attention weights of every head as the model reads ${tokens.join(" ")}: row = reading position, column = position looked at (· is BOS)`;
  return svg(width, height, alt, parts);
}

// ---------------------------------------------------------------- chapter 3: a graph of Values

function graph(holder) {
  const expression = input("text", "a*b + a", { size: 16 });
  const values = input("text", "a=2, b=-3", { size: 14 });
  const show = button("Show");
  const { status, drawing, numbers } = frame(holder, [...field("Expression: ", expression, "mg-inside-expression"),
    ...field("Values: ", values, "mg-inside-values"), show]);
  const update = serial(async () => {
    const given = {};
    for (const part of values.value.split(",").filter((s) => s.trim())) {
      const [key, value] = part.split("=").map((s) => s.trim());
      if (!/^[A-Za-z_]\w*$/.test(key ?? "") || value === undefined || !Number.isFinite(Number(value))) {
        throw new Error(`write the values as name=number, separated by commas: not "${part.trim()}"`);
      }
      given[key] = Number(value);
    }
    const nodes = await ask("graph", expression.value, given);
    drawing.innerHTML = dag(nodes);
    numbers.replaceChildren(numbers.firstChild, table("Every Value, in the order backward() visits them last to first",
      ["Value", "made by", "from", "data", "grad"],
      nodes.map((v, i) => [`v${i}`, v.children.length ? v.label : `${v.label} (leaf)`,
        v.children.map((c) => `v${c}`).join(", "), num(v.data), num(v.grad)])));
    const leaves = nodes.filter((v) => !v.children.length && /^[A-Za-z_]/.test(v.label));
    status.textContent = `${expression.value} = ${num(nodes[nodes.length - 1].data)}; after backward(): ` +
      leaves.map((v) => `${v.label}.grad = ${num(v.grad)}`).join(", ") + ".";
  }, status);
  show.onclick = () => update();
  for (const box of [expression, values]) box.onkeydown = (e) => { if (e.key === "Enter") update(); };
  status.textContent = "Write an expression and values, then press Show (or Enter).";
}

// Columns by depth (a leaf in the first, each other Value right of its last input), as figures.dag.
function dag(nodes) {
  const [bw, bh, gx, gy] = [112, 58, 46, 16];
  const layer = [];
  nodes.forEach((v, i) => { layer[i] = v.children.length ? 1 + Math.max(...v.children.map((c) => layer[c])) : 0; });
  const columns = [];
  nodes.forEach((_, i) => (columns[layer[i]] ??= []).push(i));
  const tallest = Math.max(...columns.map((c) => c.length));
  const width = 24 + columns.length * bw + (columns.length - 1) * gx;
  const height = 24 + tallest * bh + (tallest - 1) * gy + 2 * gy;  // room for arrows going round
  const pos = [];
  columns.forEach((col, c) => col.forEach((i, r) => {
    const top = (height - col.length * bh - (col.length - 1) * gy) / 2;
    pos[i] = [12 + c * (bw + gx), top + r * (bh + gy)];
  }));
  const parts = ['<defs><marker id="mg-inside-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" ' +
    'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>'];
  nodes.forEach((v, i) => v.children.forEach((c, k) => {
    const [[ax, ay], [bx, by]] = [pos[c], pos[i]];
    const [x1, y1, x2, y2] = [ax + bw, ay + bh / 2, bx, by + bh / 2];
    // An arrow past a column with boxes in its way goes round them, above or below.
    const between = nodes.map((_, k) => k).filter((k) => layer[c] < layer[k] && layer[k] < layer[i]).map((k) => pos[k][1]);
    let d = `M${x1},${y1} L${x2},${y2}`;
    if (between.length && Math.min(...between) - 4 < Math.max(y1, y2) && Math.min(y1, y2) < Math.max(...between) + bh + 4) {
      const yr = y1 <= height / 2 ? Math.min(...between) - gy / 2 : Math.max(...between) + bh + gy / 2;
      d = `M${x1},${y1} C${x1 + 30},${y1} ${x1 + 30},${yr} ${x1 + 60},${yr} L${x2 - 60},${yr} C${x2 - 30},${yr} ${x2 - 30},${y2} ${x2},${y2}`;
    }
    parts.push(`<path class="edge" d="${d}" fill="none" stroke="currentColor" ` +
      `stroke-opacity="0.6" marker-end="url(#mg-inside-arrow)"><title>local grad ${num(v.local[k])}</title></path>`);
  }));
  nodes.forEach((v, i) => {
    const [x, y] = pos[i];
    const head = v.children.length ? `v${i} = ${v.label}` : `${v.label}${/^[A-Za-z_]/.test(v.label) ? "" : ` (v${i})`}`;
    parts.push(`<g class="node"><rect x="${x}" y="${y}" width="${bw}" height="${bh}" rx="6" fill="${BLUE}" fill-opacity="0.12" ` +
      `stroke="${BLUE}" stroke-width="1.5"/>`,
    `<text x="${x + bw / 2}" y="${y + 18}" text-anchor="middle" font-weight="bold">${esc(head)}</text>`,
    `<text x="${x + bw / 2}" y="${y + 34}" text-anchor="middle">data ${num(v.data)}</text>`,
    `<text x="${x + bw / 2}" y="${y + 50}" text-anchor="middle" font-style="italic">grad ${num(v.grad)}</text></g>`);  // currentColor: readable in both themes
  });
  return svg(width, height, "The expression's Values, each with its data and its grad after backward()", parts);
}

// ---------------------------------------------------------------- fill in the page

const WIDGETS = { "next-letter": nextLetter, attention, graph };
if (location.protocol !== "file:") {
  for (const holder of document.querySelectorAll("div.mg-inside[data-widget]")) WIDGETS[holder.dataset.widget]?.(holder);
}
})();
