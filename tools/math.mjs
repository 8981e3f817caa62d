// The book's formulas drawn when the site is built: TeX in, SVG out, with MathJax
// (npm mathjax-full, package.json), so that no page loads MathJax and the math shows
// without JavaScript. tools/mkdocs_hooks.py starts this once per build and talks to it
// over stdin and stdout, one JSON message per line:
//
//   first, unasked:  {"css": the stylesheet the drawn formulas need}
//   asked:           [[tex, display], ...]               (the formulas of one page)
//   answered:        [{"html", "glyphs"} or {"error"}, ...]   (in the same order)
//
// Each formula is an <mjx-container> holding the SVG (hidden from screen readers) and
// the same formula as MathML (read by them, and by the site's search). The SVG draws its
// letters with <use> of paths that a page holds once: "glyphs" gives each path a formula
// uses, by id (MathJax's global font cache), so the hook can cache formulas one by one.
import { createInterface } from "node:readline";
import { mathjax } from "mathjax-full/js/mathjax.js";
import { TeX } from "mathjax-full/js/input/tex.js";
import { SVG } from "mathjax-full/js/output/svg.js";
import { liteAdaptor } from "mathjax-full/js/adaptors/liteAdaptor.js";
import { RegisterHTMLHandler } from "mathjax-full/js/handlers/html.js";
import { AssistiveMmlHandler } from "mathjax-full/js/a11y/assistive-mml.js";
import { AllPackages } from "mathjax-full/js/input/tex/AllPackages.js";

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
// Every package, as the browser's tex-svg-full.js had, but noundefined: an unknown
// command, like any TeX error, fails the build instead of drawing red text in the page.
const packages = AllPackages.filter((name) => name !== "noundefined");
const tex = new TeX({ packages, formatError: (jax, error) => { throw error; } });
const svg = new SVG({ fontCache: "global" });
const page = mathjax.document("", { InputJax: tex, OutputJax: svg });
const paths = svg.fontCache.cache;  // {id: path} of every glyph drawn so far

function draw([source, display]) {
  try {
    const node = page.convert(source, { display, em: 16, ex: 8, containerWidth: 1280 });
    const html = adaptor.outerHTML(node);
    const glyphs = {};
    for (const [, id] of html.matchAll(/href="#([^"]+)"/g)) glyphs[id] = paths.get(id);
    return { html, glyphs };
  } catch (error) {
    return { error: String(error.message ?? error) };
  }
}

page.convert("x", { display: false });  // so that the stylesheet holds what a formula needs
console.log(JSON.stringify({ css: adaptor.textContent(svg.styleSheet(page)) }));
for await (const line of createInterface({ input: process.stdin })) {
  console.log(JSON.stringify(JSON.parse(line).map(draw)));
}
