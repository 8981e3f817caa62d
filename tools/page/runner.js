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

const data = document.querySelectorAll("div.runner-blocks");
if (data.length === 1) setUp(data[0]);  // the print edition, with every chapter, has none

function setUp(holder) {
  const site = new URL(holder.dataset.site, location.href).href;
  const page = JSON.parse(holder.dataset.blocks);
  if (location.protocol === "file:") return offline(page);
  const python = pythonOf(site);
  const examples = place(page.examples, (element, block) => exampleBlock(element, block, page, python, site));
  place(page.exercises, (element, block) => exampleBlock(element, block, page, python, site));
  place(page.package, (element, block) => packageBlock(element, block, page, python, site, examples));
  for (const panel of document.querySelectorAll("div.runner-panel[data-panel]")) {
    (panel.dataset.panel === "train" ? trainPanel : samplePanel)(panel, python, site);
  }
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

function pythonOf(site) {
  let worker = null;
  let next = 0;
  const waiting = new Map();
  const changed = {};  // the reader's edits to package blocks: {id: code}
  const modulesOf = {};  // {id: module} of the edited blocks

  function start() {
    worker = new Worker(`${site}runner/worker.js`, { type: "module" });
    worker.onmessage = ({ data: message }) => {
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
    for (const asked of waiting.values()) asked.reject(new Error(why));
    waiting.clear();
  }

  function change(id, module, code) {
    if (code === null) delete changed[id];
    else changed[id] = code;
    modulesOf[id] = module;
    return send("package", { changed, modules: [module] });
  }

  return { send, stop, change, busy: () => waiting.size > 0 };
}

// ---------------------------------------------------------------- example blocks

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
    say(output, "running", "running…");
    const code = editor ? editor.text : block.code;
    try {
      const verdict = await python.send("run", { code, chapter: page.chapter, line: block.line, check: block.check });
      show(output, verdict, where, block.check && block.number);
      box.dataset.state = verdict.passed ? "passed" : "failed";
    } catch (e) {
      say(output, "stopped", e.message);
      box.dataset.state = "stopped";
    } finally {
      run.disabled = false;
      stop.hidden = true;
      if (focused) run.focus();
    }
    return box.dataset.state;
  }

  run.onclick = go;
  stop.onclick = () => python.stop();
  edit.onclick = async () => {
    editor = await openEditor(element, block.code, `${what[0].toUpperCase()}${what.slice(1)}, editable`, site);
    edit.hidden = true;
    reset.hidden = false;
  };
  reset.onclick = () => {
    editor = closeEditor(element, editor);
    edit.hidden = false;
    reset.hidden = true;
    delete box.dataset.state;
    output.replaceChildren();
    edit.focus();
  };
  return { go, box, block };
}

// The editor in place of a block (loaded on the first Edit only), focused; and the block back.
async function openEditor(element, code, label, site) {
  const { makeEditor } = await import(`${site}runner/editor.js`);
  const holder = tag("div", "runner-editor");
  element.hidden = true;
  element.after(holder);
  const editor = makeEditor(holder, code, label);
  editor.holder = holder;
  editor.focus();
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
    const lines = [verdict.source && `    ${verdict.source}`, `E   ${verdict.error}`,
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
      const total = [...examples.values()].filter((e) => !e.block.needs).length;
      say(output, failing.length ? "failed" : "passed", failing.length
        ? `${failing.length} of this chapter's ${total} examples fail with ${block.module} as it is now:`
        : `all ${total} of this chapter's examples pass with ${block.module} as it is now`, true);
      if (failing.length) {
        const list = tag("ul", "runner-failing");
        for (const example of failing) {
          const item = tag("li");
          const link = tag("a", "", `the example at ${page.chapter}:${example.block.line}`);
          link.href = "#";
          link.onclick = (event) => { event.preventDefault(); example.box.scrollIntoView(); example.box.querySelector("button").focus(); };
          item.append(link);
          list.append(item);
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
  panel.append(tag("div", "runner-buttons", ...field("Prompt: ", "runner-prompt", prompt),
    ...field("Temperature: ", "runner-temperature", temperature), ...field("Seed: ", "runner-seed", seed), draw), status, names);
  draw.onclick = async () => {
    draw.disabled = true;
    panel.dataset.state = "running";
    status.textContent = "drawing…";
    try {
      const { names: drawn } = await python.send("sample", {
        path: "docs/assets/default-model.json", count: 20, temperature: Number(temperature.value),
        prompt: prompt.value, seed: Number(seed.value),
      });
      names.replaceChildren(...drawn.map((name) => tag("li", "", name)));
      status.textContent = `20 names at temperature ${temperature.value}` + (prompt.value ? `, each starting "${prompt.value}":` : ":");
      panel.dataset.state = "done";
    } catch (e) {
      status.textContent = e.message;
      panel.dataset.state = "failed";
    } finally {
      draw.disabled = false;
    }
  };
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
})();
