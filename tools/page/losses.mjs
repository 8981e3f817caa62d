// The page's numbers, made in Node with the Pyodide the site serves (node_modules/pyodide):
// the first steps of microgpt.py's default run (chapter 9's run(), through harness.py, as
// the training panel runs it) and math.exp at seeded random arguments, as JSON on stdout.
// The preface compares them with the native run; tests/test_page.py keeps the committed
// docs/assets/page-run.json equal to what this prints.
//
//     node tools/page/losses.mjs > docs/assets/page-run.json
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pyodide = join(root, "node_modules", "pyodide");
const { loadPyodide } = await import(join(pyodide, "pyodide.mjs"));
const python = await loadPyodide({ indexURL: pyodide + "/" });
const files = { "names.txt": readFileSync(join(root, "names.txt"), "utf8") };
for (const name of readdirSync(join(root, "microgpt")).filter((n) => n.endsWith(".py"))) {
  files[`microgpt/${name}`] = readFileSync(join(root, "microgpt", name), "utf8");
}
python.FS.writeFile("/harness.py", readFileSync(join(root, "tools", "page", "harness.py"), "utf8"));
python.runPython("import sys; sys.path.insert(0, '/')");
const harness = python.pyimport("harness");
harness.setup(python.toPy(files));
harness.start_run(1000);
const steps = 20;
const losses = [];
for (let i = 0; i < steps; i++) losses.push(harness.next_event().toJs()[2]);
const exp = python.runPython(`
import math, random
rng = random.Random(0)
[math.exp(rng.uniform(-10, 10)).hex() for _ in range(2000)]
`).toJs();
const version = python.runPython("import sys; sys.version.split()[0]");
const report = { pyodide: python.version, python: version, losses, exp_seed: 0, exp };
process.stdout.write(JSON.stringify(report) + "\n");
