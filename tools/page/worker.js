// The page's Python: a Web Worker that runs the book's blocks, so a long run never
// freezes the page. runner.js starts it on the first press of a Run button and ends it
// (worker.terminate) on Stop. It loads Pyodide from the site itself (indexURL is the
// site's pyodide/ folder: no other host is ever asked), writes the package as the site
// was built into /book, and answers one message at a time with tools/page/harness.py.

let harness = null;
let python = null;

async function text(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return response.text();
}

// The module's text from the tangle map: its pieces, with each block's code put in,
// the reader's changed blocks (changed: {id: code}) in place of the book's.
function join(pieces, blocks, changed) {
  return pieces.map((p) => (typeof p === "string" ? p : changed[p.block] ?? blocks[p.block].code)).join("");
}

// While Pyodide starts, count the bytes its fetches bring and tell the page ("starting
// Python (14 MB, once)…" and a bar): Pyodide has no progress callback, so fetch is wrapped
// for that time, each response handed on as it streams in. (The two .mjs files come by
// import, which nothing can count: the bar ends short of full, then says the run began.)
function counting() {
  const plainFetch = globalThis.fetch;
  let loaded = 0;
  globalThis.fetch = async (...args) => {
    const response = await plainFetch(...args);
    if (!response.body) return response;
    const reader = response.body.getReader();
    const body = new ReadableStream({
      async pull(stream) {
        const { done, value } = await reader.read();
        if (done) return stream.close();
        loaded += value.byteLength;
        postMessage({ kind: "progress", loaded });
        stream.enqueue(value);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return () => { globalThis.fetch = plainFetch; };
}

async function start(site) {
  const { loadPyodide } = await import(`${site}pyodide/pyodide.mjs`);
  const uncount = counting();
  try {
    python = await loadPyodide({ indexURL: `${site}pyodide/` });
  } finally {
    uncount();
  }
  const book = JSON.parse(await text(`${site}runner/book.json`));
  const files = {};
  for (const [module, pieces] of Object.entries(book.modules)) files[module] = join(pieces, book.blocks, {});
  for (const [path, url] of Object.entries(book.files)) files[path] = await text(site + url);
  // Chapter 1's examples read /dev/zero to show that a device is refused; Emscripten's
  // file system has no /dev/zero, so make one: a device that reads as endless zeros.
  python.FS.createDevice("/dev", "zero", () => 0);
  python.FS.writeFile("/harness.py", await text(`${site}runner/harness.py`));
  python.runPython("import sys; sys.path.insert(0, '/')");
  harness = python.pyimport("harness");
  harness.setup(python.toPy(files));
  postMessage({ kind: "ready" });
  return { python, book };
}

let ready = null;
let stopping = false;
const plain = { dict_converter: Object.fromEntries };

const answer = {
  async run({ code, chapter, line, check }) {
    // An exercise's check runs on a package imported afresh, so nothing an earlier block
    // added to it (a method, say) can make a starting point pass.
    if (check) harness.forget_package();
    return harness.run_block(code, chapter, line, check ? python.toPy(check) : null).toJs(plain);
  },
  async package({ changed, modules }, id, { book }) {
    for (const module of modules) harness.replace_module(module, join(book.modules[module], book.blocks, changed));
    return {};
  },
  // The real run, a step at a time: between two steps the worker yields to its message
  // queue, so the page's Stop can end the run early and still get names from the model.
  async train({ steps }, id) {
    stopping = false;
    postMessage({ id, kind: "params", size: harness.start_run(steps) });
    for (;;) {
      if (stopping) return { names: harness.stop_run().toJs() };
      const event = harness.next_event();
      if (event === undefined || event === null) return {};
      postMessage({ id, kind: "event", event: event.toJs() });
      event.destroy();
      await new Promise((resume) => setTimeout(resume, 0));
    }
  },
  // The model the run made (trained, or stopped early), as --save writes it: the page keeps
  // it in the browser, and chapter 8's panel offers it beside the book's.
  async save({ step, steps }) {
    return { model: harness.saved_run(step, steps) };
  },
  // The widgets of inside.js: call a function of inside.py (fetched, with the figures'
  // module it uses, on the first call) and hand back the JSON text it returns.
  async inside({ site, call, args }) {
    for (const name of ["figures.py", "inside.py"]) {
      if (!python.FS.analyzePath(`/${name}`).exists) python.FS.writeFile(`/${name}`, await text(`${site}runner/${name}`));
    }
    return { json: python.pyimport("inside")[call](...args.map((a) => python.toPy(a))) };
  },
  // model: a checkpoint's text (the reader's, kept by the page), or none for the book's at path.
  async sample({ path, model, count, temperature, prompt, seed }) {
    if (model !== undefined && model !== written.model) {
      written.path = `/book/your-model-${++written.count}.json`;
      written.model = model;
      python.FS.writeFile(written.path, model);
    }
    const from = model === undefined ? path : written.path;
    return { names: harness.sample_saved(from, count, temperature, prompt, seed).toJs() };
  },
};
const written = { count: 0, model: null, path: null };

// One message at a time, in the order they came: a run waits for the package change sent
// before it (after Stop, the new worker gets the reader's package edit, then the run).
// Only "stop" goes straight through, to end a training run between two of its steps.
let queue = Promise.resolve();

onmessage = ({ data }) => {
  if (data.kind === "stop") {
    stopping = true;
    postMessage({ id: data.id, kind: "done" });
    return;
  }
  queue = queue.then(() => answerOne(data));
};

async function answerOne(data) {
  const { id, kind, site } = data;
  try {
    ready ??= start(site);
    const started = await ready;
    postMessage({ id, kind: "done", ...(await answer[kind](data, id, started)) });
  } catch (e) {
    postMessage({ id, kind: "failed", error: String(e && e.message ? e.message : e).trim().split("\n").pop() });
  }
}
