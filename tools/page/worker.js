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

async function start(site) {
  const { loadPyodide } = await import(`${site}pyodide/pyodide.mjs`);
  python = await loadPyodide({ indexURL: `${site}pyodide/` });
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
  async package({ changed, modules }) {
    const { book } = await ready;
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
  async stop() {
    stopping = true;
    return {};
  },
  // The widgets of inside.js: call a function of inside.py (fetched, with the figures'
  // module it uses, on the first call) and hand back the JSON text it returns.
  async inside({ site, call, args }) {
    for (const name of ["figures.py", "inside.py"]) {
      if (!python.FS.analyzePath(`/${name}`).exists) python.FS.writeFile(`/${name}`, await text(`${site}runner/${name}`));
    }
    return { json: python.pyimport("inside")[call](...args.map((a) => python.toPy(a))) };
  },
  async sample({ path, count, temperature, prompt, seed }) {
    return { names: harness.sample_saved(path, count, temperature, prompt, seed).toJs() };
  },
};

onmessage = async ({ data }) => {
  const { id, kind, site } = data;
  try {
    ready ??= start(site);
    await ready;
    postMessage({ id, kind: "done", ...(await answer[kind](data, id)) });
  } catch (e) {
    postMessage({ id, kind: "failed", error: String(e && e.message ? e.message : e).trim().split("\n").pop() });
  }
};
