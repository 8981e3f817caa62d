// Run it here: the buttons under the book's blocks, and the panels of chapters 7 and 8.
//
// The site build puts, at the end of every page with blocks, a hidden element whose
// data-blocks lists the page's example blocks and package blocks (tools/runner.py), and
// this script. The script finds each block's <pre> by its code, and adds under it:
//   an example block:  Run, Edit, Reset, Stop, and the verdict pytest would give;
//   an exercise block: the same, with Check for Run: the block, then its check;
//   a package block:   Edit, then "Run this chapter's examples" with the change, and Reset.
// Python runs in a Web Worker (worker.js), started on the first press, never before, so a
// page that is only read loads no Pyodide file. It is a classic script, not a module, so that
// a page opened from a file (where modules cannot load) can still say why it has no buttons.

(() => {
"use strict";

function setUp(holder) {
  const site = new URL(holder.dataset.site, location.href).href;
  const page = JSON.parse(holder.dataset.blocks);
  if (location.protocol === "file:") return offline(page);
  const python = pythonOf(site, Number(holder.dataset.pythonBytes));
  const examples = place(page.examples, (element, block) => exampleBlock(element, block, page, python, site));
  place(page.exercises, (element, block) => exampleBlock(element, block, page, python, site));
  // A package block offers Edit only where a change can be tried: a chapter with an example
  // the page can run. Chapter 12's all need NumPy; there, say once what to do instead.
  const needed = page.examples.find((e) => e.needs)?.needs;
  if (page.examples.some((e) => !e.needs)) {
    place(page.package, (element, block) => packageBlock(element, block, page, python, site, examples));
  } else if (needed) {
    place(page.package.slice(0, 1), (element, block) => element.after(tag("p", "runner-note",
      `This chapter's examples need ${needed}, which the page's Python does not have, so its package ` +
      `blocks cannot be tried here: edit ${block.module} in your copy and run python -m pytest.`)));
  }
  for (const panel of document.querySelectorAll("div.runner-panel[data-panel]")) {
    (panel.dataset.panel === "train" ? trainPanel : samplePanel)(panel, python, site);
  }
  if (page.exercises.length) progressPanel(page);
}

// Each block's <pre>, found by its code; the book's own list says which blocks are which.
function place(blocks, make) {
  const made = new Map();
  const shown = [...document.querySelectorAll("article div.highlight")];
  for (const block of blocks) {
    const element = shown.find((el) => !el.dataset.runner && codeOf(el) === block.code.replace(/\n$/, ""));
    if (!element) continue;
    element.dataset.runner = block.id;
    made.set(block.id, make(element, block));
  }
  return made;
}

function codeOf(element) {
  return (element.querySelector("code")?.textContent ?? "").replace(/\n$/, "");
}

// Opened from a file, a page cannot start a worker or fetch Pyodide: say so, once, above
// the first example, and in the panels, instead of offering buttons that cannot work.
function offline(page) {
  const words = "The blocks of this page can run here when the site is served over HTTP " +
    "(python -m mkdocs serve, or python -m http.server in the built site/ folder); " +
    "a page opened from a file cannot start Python.";
  const first = page.examples.length && document.querySelector("article div.highlight");
  if (first) first.before(tag("p", "runner-note", words));
  for (const panel of document.querySelectorAll("div.runner-panel")) panel.replaceChildren(tag("p", "runner-note", words));
}

// ---------------------------------------------------------------- the worker

function pythonOf(site, bytes) {
  let worker = null;
  let next = 0;
  let started = false;  // the worker's Python has started (it said "ready")
  const watchers = new Set();  // called with each "progress" and "ready" of a starting Python
  const waiting = new Map();
  const changed = {};  // the reader's edits to package blocks: {id: code}
  const modulesOf = {};  // {id: module} of the edited blocks

  function start() {
    worker = new Worker(`${site}runner/worker.js`, { type: "module" });
    worker.onmessage = ({ data: message }) => {
      if (message.kind === "ready") started = true;
      if (message.kind === "progress" || message.kind === "ready") return watchers.forEach((watch) => watch(message));
      const asked = waiting.get(message.id);
      if (!asked) return;
      if (message.kind === "done" || message.kind === "failed") {
        waiting.delete(message.id);
        message.kind === "done" ? asked.resolve(message) : asked.reject(new Error(message.error));
      } else asked.onEvent?.(message);
    };
    worker.onerror = (event) => stop(`the page's Python could not start: ${event.message ?? "an error"}`);
    if (Object.keys(changed).length) send("package", { changed, modules: [...new Set(Object.values(modulesOf))] });
  }

  function send(kind, payload, onEvent) {
    if (!worker) start();
    const id = ++next;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject, onEvent });
      worker.postMessage({ id, kind, site, ...payload });
    });
  }

  // Stop a block: end the worker and every run in it; the next Run starts a fresh one.
  function stop(why = "stopped: the page's Python was ended (the next Run starts it again)") {
    worker?.terminate();
    worker = null;
    started = false;
    watchers.clear();
    for (const asked of waiting.values()) asked.reject(new Error(why));
    waiting.clear();
  }

  function change(id, module, code) {
    if (code === null) delete changed[id];
    else changed[id] = code;
    modulesOf[id] = module;
    return send("package", { changed, modules: [module] });
  }

  // Until the worker's Python is ready, output says so, with the bytes loaded so far as a
  // bar (bytes: the size of the Pyodide files the site ships, measured when it was built).
  function starting(output) {
    if (started) return say(output, "running", "running…");
    say(output, "running", `starting Python (${Math.round(bytes / 1e6)} MB, once)…`);
    const bar = tag("progress", "runner-loading");
    Object.assign(bar, { max: bytes, value: 0 });
    bar.setAttribute("aria-label", "Python's files loaded so far");
    output.append(bar);
    const watch = (message) => {
      if (message.kind === "progress") bar.value = Math.min(message.loaded, bytes);
      else say(output, "running", "running…");
      if (message.kind === "ready" || !bar.isConnected) watchers.delete(watch);
    };
    watchers.add(watch);
  }

  // Call then() once the worker's Python has started (at once if it has).
  function whenReady(then) {
    if (started) return then();
    const watch = (message) => message.kind === "ready" && (watchers.delete(watch), then());
    watchers.add(watch);
  }

  return { send, stop, change, starting, whenReady, busy: () => waiting.size > 0 };
}

// ---------------------------------------------------------------- example blocks
const CHECK_SECONDS = 30;  // as python -m pytest --exercise N.M (tools/page/harness.py: SECONDS)

function exampleBlock(element, block, page, python, site) {
  const where = `${page.chapter}:${block.line}`;
  const what = block.check ? `your block of Exercise ${block.number}` : `the example at ${where}`;
  const box = tag("div", "runner");
  box.dataset.block = block.id;
  const bar = tag("div", "runner-buttons");
  const run = button(block.check ? "Check" : "Run", `${block.check ? "Check" : "Run"} ${what}`);
  const edit = button("Edit", `Edit ${what}`);
  const reset = button("Reset", block.check ? `Put back the starting point of Exercise ${block.number}`
    : `Put back the book's example at ${where}`);
  const stop = button("Stop", `Stop ${what}`);
  const output = tag("div", "runner-output");
  output.setAttribute("role", "status");
  output.setAttribute("aria-live", "polite");
  reset.hidden = stop.hidden = true;
  bar.append(run, edit, reset, stop);
  box.append(bar, output);
  element.after(box);
  let editor = null;

  if (block.needs) {
    run.disabled = edit.disabled = true;
    say(output, "note", `This example needs ${block.needs}, which the page's Python does not have ` +
      "(it carries the standard library only); run it with python -m pytest.");
  }

  async function go() {
    const focused = document.activeElement === run;  // accessibility: disabling Run drops focus; give it back
    box.dataset.state = "running";
    run.disabled = true;
    stop.hidden = false;
    const code = editor ? editor.text : block.code;
    const asked = python.send("run", { code, chapter: page.chapter, line: block.line, check: block.check });
    python.starting(output);
    // An exercise's Check has the time limit the native check has (harness.SECONDS), counted
    // from when Python is ready: past it, the worker is ended, as Stop ends it.
    let timer = null, late = false;
    const limit = window.microgptCheckSeconds ?? CHECK_SECONDS;  // a test may shorten it
    if (block.check) python.whenReady(() => { timer = setTimeout(() => { late = true; python.stop(
      `not yet: your code ran for more than ${limit} s (the page's Python was ended; Check starts it again)`); },
      limit * 1000); });
    try {
      const verdict = await asked;
      show(output, verdict, where, block.check && block.number);
      box.dataset.state = verdict.passed ? "passed" : "failed";
      if (block.check) solved(block.number, verdict.passed, page);
    } catch (e) {
      say(output, "stopped", e.message);
      box.dataset.state = late ? "failed" : "stopped";
      if (late) solved(block.number, false, page);
    } finally {
      clearTimeout(timer);
      run.disabled = false;
      stop.hidden = true;
      if (focused) run.focus();
    }
    return box.dataset.state;
  }

  const key = block.check ? `exercise-${block.number}` : block.id;
  async function open(code, focus) {
    const label = `${what[0].toUpperCase()}${what.slice(1)}, editable`;
    editor = await openEditor(element, code, label, site, (text) => keep(key, text, block.code), focus);
    edit.hidden = true;
    reset.hidden = false;
  }

  run.onclick = go;
  stop.onclick = () => python.stop();
  edit.onclick = () => open(block.code, true);
  reset.onclick = () => {
    editor = closeEditor(element, editor);
    keep(key, null);
    edit.hidden = false;
    reset.hidden = true;
    delete box.dataset.state;
    output.replaceChildren();
    edit.focus();
  };
  const restored = kept(key, block.code);
  if (restored !== null && !block.needs) {
    open(restored, false).then(() => say(output, "note",
      "Your edit, restored: this browser kept it. Reset puts back the book's block."));
  }
  if (block.check) showSolved(block.number);
  return { go, box, block, element, section: sectionOf(element), get editor() { return editor; } };
}

// The editor in place of a block (loaded on the first Edit only), focused; and the block back.
async function openEditor(element, code, label, site, onChange, focus = true) {
  const { makeEditor } = await import(`${site}runner/editor.js`);
  const holder = tag("div", "runner-editor");
  element.hidden = true;
  element.after(holder);
  const editor = makeEditor(holder, code, label, onChange);
  editor.holder = holder;
  if (focus) editor.focus();
  return editor;
}

function closeEditor(element, editor) {
  editor?.destroy();
  editor?.holder.remove();
  element.hidden = false;
  return null;
}

// pytest's verdict: passed; or failed, with the block's line that raised and the error.
// For an exercise, its check's: solved, or not yet, with what the check says is wrong.
function show(output, verdict, where, exercise) {
  output.replaceChildren();
  if (exercise && verdict.passed) say(output, "passed", `passed: Exercise ${exercise} is solved`, true);
  else if (exercise && verdict.where && !verdict.line) {
    say(output, "failed", `not yet: ${verdict.error}`, true);
  } else if (verdict.passed) say(output, "passed", "passed", true);
  else {
    const [chapter, first] = [where.slice(0, where.lastIndexOf(":")), Number(where.slice(where.lastIndexOf(":") + 1))];
    const at = verdict.line ? `failed at line ${verdict.line} of the block (${chapter}:${first + verdict.line})` : "failed";
    say(output, "failed", at, true);
    const lines = [verdict.source && `>   ${verdict.source}`, ...verdict.error.split("\n").map((l) => `E   ${l}`),
      verdict.where && `    (raised in ${verdict.where})`].filter(Boolean);
    output.append(tag("pre", "runner-error", lines.join("\n")));
  }
  if (verdict.output) output.append(tag("pre", "runner-printed", verdict.output));
}

// ---------------------------------------------------------------- package blocks

function packageBlock(element, block, page, python, site, examples) {
  const where = `${page.chapter}:${block.line ?? block.id.split(":").pop()}`;
  const box = tag("div", "runner");
  box.dataset.block = block.id;
  const bar = tag("div", "runner-buttons");
  const edit = button("Edit", `Edit the package block ${block.module} at ${where}`);
  const apply = button("Run this chapter's examples", `Run this chapter's examples with your change to ${block.module}`);
  const reset = button("Reset", `Put back the book's ${block.module} block at ${where}`);
  const output = tag("div", "runner-output");
  output.setAttribute("role", "status");
  output.setAttribute("aria-live", "polite");
  apply.hidden = reset.hidden = true;
  bar.append(edit, apply, reset);
  box.append(bar, output);
  element.after(box);
  let editor = null;

  async function runAll(code) {
    box.dataset.state = "running";
    apply.disabled = reset.disabled = true;
    say(output, "running", `running this chapter's ${examples.size} examples with ${block.module} as it is now…`);
    try {
      await python.change(block.id, block.module, code);
      const failing = [];
      for (const example of examples.values()) {
        if (example.block.needs) continue;
        if (await example.go() !== "passed") failing.push(example);
      }
      output.replaceChildren();
      const total = [...examples.values()].filter((e) => !e.block.needs).length;  // at least 1: setUp
      say(output, failing.length ? "failed" : "passed", failing.length
        ? `${failing.length} of this chapter's ${total} examples fail with ${block.module} as it is now:`
        : `all ${total} of this chapter's examples pass with ${block.module} as it is now`, true);
      if (failing.length) {
        const list = tag("ul", "runner-failing");
        for (const example of failing) {  // named as the reader sees it: its section, its first line
          const first = example.block.code.split("\n").find((l) => l.trim()).trim();
          const link = tag("a", "", `${example.section}: the example that starts `, tag("code", "", first));
          link.href = "#";
          link.onclick = (event) => {
            event.preventDefault();
            (example.editor?.holder ?? example.element).scrollIntoView({ block: "start" });  // below the header: extra.css
            example.box.querySelector("button").focus({ preventScroll: true });
          };
          list.append(tag("li", "", link));
        }
        output.append(list);
      }
      box.dataset.state = failing.length ? "failed" : "passed";
    } catch (e) {
      say(output, "stopped", e.message);
      box.dataset.state = "stopped";
    } finally {
      apply.disabled = reset.disabled = false;
    }
  }

  edit.onclick = async () => {
    editor = await openEditor(element, block.code, `${block.module}, the block at ${where}, editable`, site);
    edit.hidden = true;
    apply.hidden = reset.hidden = false;
  };
  apply.onclick = () => runAll(editor.text);
  reset.onclick = async () => {
    editor = closeEditor(element, editor);
    edit.hidden = false;
    apply.hidden = true;
    await runAll(null);
    reset.hidden = true;
    edit.focus();
  };
}

// ---------------------------------------------------------------- the panels

function trainPanel(panel, python, site) {
  panel.replaceChildren();
  const steps = tag("select");
  steps.id = "runner-train-steps";
  for (const [value, words] of [[1000, "1000 steps: microgpt.py's whole run"], [200, "200 steps"], [50, "50 steps"]]) {
    const option = tag("option", "", words);
    option.value = value;
    steps.append(option);
  }
  const label = tag("label", "", "Run: ");
  label.htmlFor = steps.id;
  const train = button("Train", "Train the model here");
  const stop = button("Stop", "Stop training and draw names from the model as it is");
  stop.hidden = true;
  const status = tag("p", "runner-status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const chart = tag("div", "runner-chart");
  const comparison = tag("p", "runner-comparison");
  const names = tag("ol", "runner-names");
  panel.append(tag("div", "runner-buttons", label, steps, train, stop), status, chart, comparison, names);
  let reference = null;

  train.onclick = async () => {
    const total = Number(steps.value);
    reference ??= await fetch(`${site}assets/default-run.jsonl`).then((r) => r.text())
      .then((t) => t.trim().split("\n").map((line) => JSON.parse(line).loss));
    const losses = [];
    const started = { at: 0 };
    names.replaceChildren();
    comparison.textContent = "";
    train.disabled = steps.disabled = true;
    stop.hidden = false;
    panel.dataset.state = "running";
    status.textContent = "starting the page's Python…";
    try {
      const { names: early } = await python.send("train", { steps: total }, (message) => {
        if (message.kind === "params") {
          started.at = performance.now();
          status.textContent = `${message.size} parameters; training…`;
        } else if (message.event[0] === "step") {
          const [, step, loss] = message.event;
          losses.push(loss);
          const rate = step / ((performance.now() - started.at) / 1000);
          status.textContent = `step ${step} of ${total}: loss ${loss.toFixed(4)}, ${rate.toFixed(1)} steps per second`;
          if (step % 5 === 0 || step === total) chart.innerHTML = lossChart(losses, total);
          if (total === 1000) comparison.textContent = compare(losses, reference);
        } else if (message.event[0] === "sample") {
          names.append(tag("li", "", message.event[1]));
        }
      });
      chart.innerHTML = lossChart(losses, total);
      for (const name of early ?? []) names.append(tag("li", "", name));
      status.textContent = early
        ? `stopped after step ${losses.length}; 20 names from the model as it is now:`
        : `trained ${total} steps; its 20 names, as microgpt.py draws them:`;
      const { model } = await python.send("save", { step: losses.length, steps: total });
      keepModel(model, losses.length);
      panel.dataset.state = "done";
      panel.dataset.losses = JSON.stringify(losses);
    } catch (e) {
      status.textContent = e.message;
      panel.dataset.state = "stopped";
    } finally {
      train.disabled = steps.disabled = false;
      stop.hidden = true;
    }
  };
  stop.onclick = () => python.send("stop", {});
}

// How far the page's losses are from the native run's, step for step.
function compare(losses, reference) {
  let same = 0;
  let most = 0;
  losses.forEach((loss, i) => {
    if (loss === reference[i]) same += 1;
    most = Math.max(most, Math.abs(loss - reference[i]));
  });
  return `Against the native run's log (assets/default-run.jsonl): ${same} of ${losses.length} ` +
    `losses bit-identical, the largest difference ${most.toExponential(1)}.`;
}

// The loss so far, drawn as the book's figures are (tools/figures.py's line chart).
function lossChart(losses, total) {
  const [width, height, left, right, top, bottom] = [640, 270, 48, 16, 34, 42];
  const [lo, hi] = [1.5, 3.5];
  const x = (i) => left + (i - 1) * (width - left - right) / Math.max(total - 1, 1);
  const y = (v) => top + (hi - Math.min(Math.max(v, lo), hi)) * (height - top - bottom) / (hi - lo);
  const parts = [];
  for (let t = lo; t <= hi + 1e-9; t += 0.5) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(t)}" y2="${y(t)}" stroke="currentColor" stroke-opacity="0.18"/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  parts.push(`<text x="${left}" y="${top - 8}" text-anchor="start">loss</text>`,
    `<text x="${(left + width - right) / 2}" y="${height - 8}" text-anchor="middle">step (of ${total})</text>`);
  const points = losses.map((v, i) => `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  parts.push(`<polyline class="series raw" points="${points}" fill="none" stroke="#8c8c8c" stroke-opacity="0.7" stroke-width="1"/>`);
  const window = Math.min(50, Math.max(1, Math.floor(total / 10)));
  if (losses.length >= window) {
    const mean = [];
    for (let i = window; i <= losses.length; i++) mean.push([i, losses.slice(i - window, i).reduce((a, b) => a + b) / window]);
    parts.push(`<polyline class="series average" points="${mean.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ")}" fill="none" stroke="#3f7fbf" stroke-width="2.5"/>`);
  }
  const alt = `The loss at each of the ${losses.length} steps so far, and its mean over the last ${window}`;
  return `<figure class="mg-figure" style="width:100%"><svg role="img" aria-label="${alt}" viewBox="0 0 ${width} ${height}" ` +
    `width="100%" style="max-width:${width}px;height:auto" font-size="12" fill="currentColor"><title>${alt}</title>` +
    `${parts.join("")}</svg></figure>`;
}

function samplePanel(panel, python, site) {
  panel.replaceChildren();
  const field = (words, id, input) => {
    const label = tag("label", "", words);
    input.id = id;
    label.htmlFor = id;
    return [label, input];
  };
  const prompt = Object.assign(tag("input"), { type: "text", value: "", size: 8, spellcheck: false });
  const temperature = Object.assign(tag("input"), { type: "number", value: "0.5", min: "0.1", max: "3", step: "0.1" });
  const seed = Object.assign(tag("input"), { type: "number", value: "42", min: "0", step: "1" });
  const draw = button("Sample", "Draw 20 names from the saved model");
  const status = tag("p", "runner-status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const names = tag("ol", "runner-names");
  // Which model: the book's, or the one the reader trained in chapter 7 in this browser.
  const model = tag("select");
  const book = Object.assign(tag("option", "", "the book's (1000 steps, assets/default-model.json)"), { value: "book" });
  model.append(book);
  const yours = keptModel();
  if (yours) {
    model.append(Object.assign(tag("option", "", `yours, trained ${yours.steps} steps in chapter 7 in this browser`),
      { value: "yours" }));
  }
  const note = tag("p", "runner-note", "Train the model in chapter 7 and this panel offers yours too.");
  note.hidden = !!yours;
  panel.append(tag("div", "runner-buttons", ...field("Model: ", "runner-model", model),
    ...field("Prompt: ", "runner-prompt", prompt), ...field("Temperature: ", "runner-temperature", temperature),
    ...field("Seed: ", "runner-seed", seed), draw), note, status, names);
  draw.onclick = async () => {
    draw.disabled = true;
    panel.dataset.state = "running";
    status.textContent = "drawing…";
    const mine = model.value === "yours" ? keptModel() : null;
    try {
      const { names: drawn } = await python.send("sample", {
        path: "docs/assets/default-model.json", count: 20, temperature: Number(temperature.value),
        prompt: prompt.value, seed: Number(seed.value), ...(mine && { model: mine.model }),
      });
      names.replaceChildren(...drawn.map((name) => tag("li", "", name)));
      status.textContent = `20 names from ${mine ? "your model" : "the book's model"} at temperature ${temperature.value}` +
        (prompt.value ? `, each starting "${prompt.value}":` : ":");
      panel.dataset.state = "done";
    } catch (e) {
      status.textContent = e.message;
      panel.dataset.state = "failed";
    } finally {
      draw.disabled = false;
    }
  };
}

// ---------------------------------------------------------------- kept in this browser
//
// What the reader did, kept in localStorage (this browser, this site), so that a reload
// loses nothing: their edits of example and exercise blocks, each with the book's block it
// was made from (an edit of an older text of the book is not put on a newer block), which
// exercises their Check found solved or not yet, and the model they trained in chapter 7.

const STORE = "microgpt:";

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(STORE + key));
  } catch {
    return null;  // storage refused (a private window) or not ours
  }
}

function write(key, value) {
  try {
    if (value === null) localStorage.removeItem(STORE + key);
    else localStorage.setItem(STORE + key, JSON.stringify(value));
    return true;
  } catch {
    return false;  // full, or refused: the page works as before, it just cannot keep it
  }
}

// An edit of a block: kept while it differs from the book's; forgotten on Reset.
function keep(key, code, base) {
  write(`edit:${key}`, code === null || code === base ? null : { code, base });
}

function kept(key, base) {
  const edit = read(`edit:${key}`);
  return edit && edit.base === base && typeof edit.code === "string" ? edit.code : null;
}

function solved(number, passed, page) {
  const h1 = document.querySelector("article h1");
  write(`checked:${number}`, { solved: passed, chapter: h1 ? titleOf(h1) : page.chapter, at: new Date().toISOString() });
  showSolved(number);
  document.getElementById("your-progress")?.refresh?.();
}

// Solved / not yet, beside the exercise's heading, once its Check has run in this browser.
function showSolved(number) {
  const heading = document.getElementById(`exercise-${number.replace(".", "-")}`);
  const record = read(`checked:${number}`);
  if (!heading || !record) return;
  let mark = heading.querySelector(".runner-mark");
  if (!mark) {
    mark = tag("a", "runner-mark");
    mark.href = "#your-progress";
    heading.append(" ", mark);
  }
  mark.textContent = record.solved ? "solved" : "not yet";
  mark.dataset.solved = record.solved;
  mark.title = "Your progress: checked in this browser";
}

function keptModel() {
  const saved = read("model");
  return saved && typeof saved.model === "string" ? saved : null;
}

function keepModel(model, steps) {
  write("model", { model, steps, at: new Date().toISOString() });
}

// Every exercise's kept record and answer, by number, in the book's order.
function progress() {
  const found = new Map();
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    const match = key?.match(/^microgpt:(checked|edit):(?:exercise-)?(\d+\.\d+)$/);
    if (!match) continue;
    const entry = found.get(match[2]) ?? {};
    entry[match[1]] = read(`${match[1]}:${match[1] === "edit" ? "exercise-" : ""}${match[2]}`);
    found.set(match[2], entry);
  }
  const order = (n) => n.split(".").map(Number);
  return new Map([...found].sort(([a], [b]) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1]));
}

// Your progress: at the end of every chapter with exercises, what this browser holds for
// the whole book (exercises solved and not yet, chapter by chapter) and Download my answers.
function progressPanel(page) {
  const panel = tag("details", "runner-panel runner-progress");
  panel.id = "your-progress";
  const list = tag("ul");
  const download = button("Download my answers", "Download my answers: one file N.M.py per exercise, in a zip");
  const words = tag("p");
  panel.append(tag("summary", "", "Your progress"), words, list, tag("div", "runner-buttons", download));
  const fill = () => {
    const all = progress();
    const chapters = new Map();
    for (const [number, entry] of all) {
      const chapter = number.split(".")[0];
      if (!chapters.has(chapter)) chapters.set(chapter, { title: entry.checked?.chapter, solved: [], not: [] });
      const row = chapters.get(chapter);
      row.title ??= entry.checked?.chapter;
      if (entry.checked) (entry.checked.solved ? row.solved : row.not).push(number);
    }
    const checked = [...chapters].filter(([, r]) => r.solved.length + r.not.length);
    list.replaceChildren(...checked.map(([n, r]) => tag("li", "",
      `${r.title ?? `Chapter ${n}`}: ${r.solved.length ? `solved ${r.solved.join(", ")}` : "none solved yet"}` +
      (r.not.length ? `; not yet ${r.not.join(", ")}` : ""))));
    const answers = [...all].filter(([, e]) => e.edit?.code);
    words.textContent = (checked.length ? "Checked in this browser, chapter by chapter:" : "No exercise checked in this browser yet.") +
      ` Your answers (the exercise blocks you edited): ${answers.length}; they stay in this browser until you Reset them.`;
    download.disabled = !answers.length;
    return answers;
  };
  panel.addEventListener("toggle", fill);
  panel.refresh = fill;
  download.onclick = () => {
    const files = fill().map(([number, entry]) => [`${number}.py`, entry.edit.code]);
    const link = tag("a");
    link.href = URL.createObjectURL(new Blob([zip(files)], { type: "application/zip" }));
    link.download = "my-answers.zip";
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };
  fill();
  document.querySelector("article")?.append(panel);
}

// A zip of [name, text] files, stored uncompressed. Written here rather than taken from a
// library: a stored zip is a few fixed headers and a CRC-32 (the format's sections 4.3-4.4),
// and the page would otherwise ship a bundle of code for files of a few hundred bytes.
function zip(files) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    for (let k = 0; k < 8; k++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
    return n >>> 0;
  });
  const crc32 = (bytes) => ~bytes.reduce((c, b) => crcTable[(c ^ b) & 0xff] ^ (c >>> 8), ~0) >>> 0;
  const now = new Date();
  const time = (now.getHours() << 11) | (now.getMinutes() << 5) | (now.getSeconds() >> 1);
  const date = ((now.getFullYear() - 1980) << 9) | ((now.getMonth() + 1) << 5) | now.getDate();
  const header = (fields) => {  // [value, bytes] little-endian
    const out = new DataView(new ArrayBuffer(fields.reduce((n, [, size]) => n + size, 0)));
    let at = 0;
    for (const [value, size] of fields) {
      size === 4 ? out.setUint32(at, value, true) : out.setUint16(at, value, true);
      at += size;
    }
    return new Uint8Array(out.buffer);
  };
  const parts = [];
  const central = [];
  let offset = 0;
  for (const [name, text] of files) {
    const [path, data] = [new TextEncoder().encode(name), new TextEncoder().encode(text)];
    const crc = crc32(data);
    // version 2.0, flag 0x800 (names in UTF-8), stored, time, date, crc, sizes, name length, no extra
    const common = [[20, 2], [0x800, 2], [0, 2], [time, 2], [date, 2], [crc, 4], [data.length, 4], [data.length, 4],
      [path.length, 2], [0, 2]];
    const local = header([[0x04034b50, 4], ...common]);
    parts.push(local, path, data);
    central.push(header([[0x02014b50, 4], [20, 2], ...common, [0, 2], [0, 2], [0, 2], [0, 4], [offset, 4]]), path);
    offset += local.length + path.length + data.length;
  }
  const size = central.reduce((n, part) => n + part.length, 0);
  const end = header([[0x06054b50, 4], [0, 2], [0, 2], [files.length, 2], [files.length, 2], [size, 4], [offset, 4], [0, 2]]);
  return new Blob([...parts, ...central, end]);
}

// The section an element is in, as the page titles it ("5.2 Softmax: from scores to probabilities").
function sectionOf(element) {
  const before = [...document.querySelectorAll("article h1, article h2, article h3")]
    .filter((h) => h.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_FOLLOWING);
  return before.length ? titleOf(before.at(-1)) : "";
}

function titleOf(heading) {
  const copy = heading.cloneNode(true);
  copy.querySelectorAll(".headerlink, .runner-mark").forEach((a) => a.remove());
  return copy.textContent.trim();
}

// ---------------------------------------------------------------- small helpers

function tag(name, className = "", ...content) {
  const element = document.createElement(name);
  if (className) element.className = className;
  element.append(...content);
  return element;
}

function button(words, label) {
  const element = tag("button", "md-button runner-button", words);
  element.type = "button";
  // Accessibility: the name a screen reader says holds the words shown ("Reset: put back ...").
  const named = label.toLowerCase().includes(words.toLowerCase());
  element.setAttribute("aria-label", named ? label : `${words}: ${label[0].toLowerCase()}${label.slice(1)}`);
  return element;
}

function say(output, kind, words, keep = false) {
  if (!keep) output.replaceChildren();
  output.append(tag("p", `runner-verdict runner-${kind}`, words));
}

// Last, once every const above has its value.
const data = document.querySelectorAll("div.runner-blocks");
if (data.length === 1) setUp(data[0]);  // the print edition, with every chapter, has none
})();
