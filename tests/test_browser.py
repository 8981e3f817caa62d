"""The built site in a real browser: headless Chromium (Debian's package), driven by
Playwright, reading the site served from 127.0.0.1.

Every page is opened once, by a test of its own, at a laptop's window size
(1366 x 768), and what the reader would meet there is judged: console errors,
every request the page makes, the math as the build drew it, the figures, the width
of the code blocks. The last tests do what a reader does: search, switch to dark
mode, read the print edition.

Chromium is started the way BOOK.md section 3 says, never downloaded by
Playwright. ``chromium.launch`` gives every launch a fresh, empty profile
(Playwright passes ``--user-data-dir`` naming a new temporary directory, and
deletes it on close), and each test opens its own browser context, so nothing a
test does (the dark-mode choice is stored in the browser) reaches another.
"""

import json
import re
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import book
import exercises
import runner

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver; .ci/run does)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")


pytestmark = pytest.mark.browser

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic",
        # Belt and braces: no host name resolves but 127.0.0.1's. A request elsewhere
        # still shows (and fails the tests below); it just cannot leave the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
LAPTOP = {"width": 1366, "height": 768}
LOCAL = "127.0.0.1"

# Run in the page once it has loaded: what the reader sees.
SURVEY = """async () => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const text = el => {                       // a heading's text, without its permalink
    const copy = el.cloneNode(true);
    copy.querySelectorAll('.headerlink').forEach(a => a.remove());
    return copy.textContent.trim();
  };
  const math = [...document.querySelectorAll('.arithmatex')].map(el => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('mjx-container').forEach(m => m.remove());
    return {source: el.textContent.slice(0, 60), drawn: !!el.querySelector('mjx-container svg'),
            left: copy.textContent.trim().slice(0, 60)};
  });
  const codes = [...document.querySelectorAll('div.highlight')]
    .filter(div => div.querySelector(':scope > .filename'))
    .map(div => { const code = div.querySelector('pre > code');
                  return {file: div.querySelector(':scope > .filename').textContent,
                          scroll: code ? code.scrollWidth : -1, client: code ? code.clientWidth : -1}; });
  const page = {scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth};
  // Figures may sit in collapsed <details>: open them, and load lazy images now.
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  const figures = [...document.querySelectorAll('figure')].map((fig, i) => ({
    index: i,
    caption: (fig.querySelector('figcaption') || {textContent: ''}).textContent.trim().slice(0, 60),
    parts: [...fig.querySelectorAll('img, svg')].filter(el => !el.parentElement.closest('svg'))
             .filter(el => !el.closest('mjx-container'))
             .map(el => ({tag: el.tagName.toLowerCase(), size: box(el)})),
  }));
  const imgs = images.map(img => ({src: img.getAttribute('src'), natural: img.naturalWidth}));
  return {h1: [...document.querySelectorAll('article h1, .md-content h1')].map(text),
          mathjax: !!window.MathJax, math, codes, page, figures, imgs};
}"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_site):
    httpd = ThreadingHTTPServer((LOCAL, 0), partial(QuietHandler, directory=str(built_site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOCAL}:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def new_context(browser, on_request):
    """A fresh browser context at laptop size in the light scheme, calling
    `on_request(url)` for every request (the search worker's too)."""
    context = browser.new_context(viewport=LAPTOP, color_scheme="light", service_workers="block")
    context.set_default_timeout(20_000)
    context.on("request", lambda request: on_request(request.url))
    return context


def math_drawn(site):
    """Whether the site was built with its formulas drawn (MathJax in Node, from npm ci's
    node_modules/mathjax-full); without it they stay TeX, and what checks the drawing skips."""
    if not (site / "stylesheets" / "math.css").is_file():
        pytest.skip("the site was built without the formulas drawn (no node_modules/mathjax-full: npm ci)")


def is_local(url):
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == LOCAL


def pages_of(site):
    """Every HTML page of the site as a URL path, the 404 page aside."""
    return sorted(p.relative_to(site).as_posix().removesuffix("index.html")
                  for p in site.rglob("*.html") if p.name != "404.html")


def chapter_path(chapter):
    """The URL path of a page of the nav: 03-autograd.md -> 03-autograd/, api/index.md -> api/."""
    return chapter.removesuffix("index.md") if chapter.endswith("index.md") else chapter.removesuffix(".md") + "/"


PAGES = [chapter_path(chapter) for chapter in book.nav(ROOT)]
PRINT = "print_page/"


def visit(browser, url):
    """Open one page as a reader would; return (status, errors, requests, survey)."""
    errors, requests = [], []
    context = new_context(browser, requests.append)        # the page's workers' requests too
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: is_local(r.url) and errors.append(f"failed to load {r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"HTTP {r.status}: {r.url}"))
    try:
        response = page.goto(url, wait_until="networkidle")
        return (response.status if response else 0), errors, requests, page.evaluate(SURVEY)
    finally:
        context.close()


def report(problems):
    return f"{len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems[:60])


def problems_of(path, html, status, errors, requests, survey):
    """Everything wrong that a reader of one page would meet."""
    found = [f"HTTP {status}"] if status != 200 else []
    found += errors
    found += [f"asked another host: {url}" for url in requests if not is_local(url)]
    expected = html.count('class="arithmatex"')
    if survey.get("mathjax") or any("mathjax" in url.lower() for url in requests):
        found.append("the page loaded MathJax: the build draws the math")
    if len(survey.get("math", [])) != expected:
        found.append(f"{expected} math spans in the HTML, {len(survey.get('math', []))} on the page")
    for m in survey.get("math", []) if "stylesheets/math.css" in html else ():  # drawn when npm ci made it so
        if not m["drawn"]:
            found.append(f"not drawn as SVG: {m['source']!r}")
        elif m["left"]:
            found.append(f"TeX left beside the drawing: {m['left']!r}")
    for fig in survey.get("figures", []):
        if not fig["parts"]:
            found.append(f"figure {fig['index']} ({fig['caption']!r}) has no image or SVG")
        found += [f"figure {fig['index']} ({fig['caption']!r}): {part['tag']} is {part['size'][0]}x{part['size'][1]}"
                  for part in fig["parts"] if not (part["size"][0] > 0 and part["size"][1] > 0)]
    found += [f"image {img['src']!r} did not load" for img in survey.get("imgs", []) if not img["natural"] > 0]
    if survey.get("page") and survey["page"]["scroll"] > survey["page"]["client"] + 1:
        found.append(f"the page is {survey['page']['scroll']}px wide in a {survey['page']['client']}px window")
    if path != PRINT:                             # at 1366 x 768 no package block scrolls sideways
        found += [f"a block of {code['file']} is {code['scroll']}px wide in a {code['client']}px box"
                  for code in survey.get("codes", []) if code["scroll"] > code["client"] + 1]
    return found


def test_every_page_of_the_site_is_one_the_tests_open(built_site):
    assert pages_of(built_site) == sorted(PAGES + [PRINT])
    assert set(SAMPLE) <= set(PAGES)


# The default tier opens a page of each kind: the preface, a chapter with math, figures and
# package blocks, the glossary and the API index. The full tier opens every page.
SAMPLE = ["", "06-transformer/", "glossary/", "api/"]


@pytest.mark.parametrize("path", [p if p in SAMPLE else pytest.param(p, marks=pytest.mark.slow) for p in PAGES])
def test_the_page_loads_and_reads_well(path, browser, server, built_site):
    """HTTP 200; no console error; no request to any host but 127.0.0.1; every formula drawn
    as SVG when the site was built, and no MathJax loaded; every figure and image with a size; neither the page nor a code block scrolls sideways."""
    html = (built_site / path / "index.html").read_text(encoding="utf-8")
    status, errors, requests, survey = visit(browser, server + path)
    assert requests, "the page asked for nothing"
    assert survey["h1"], "no H1 on the page"
    assert len(survey["codes"]) == html.count('<span class="filename">'), "a titled block the survey missed"
    problems = problems_of(path, html, status, errors, requests, survey)
    assert not problems, report(problems)


def test_searching_attention_finds_the_transformer_chapter(browser, server):
    transformer = chapter_path(next(c for c in book.nav(ROOT) if "transformer" in c))
    requests = []
    context = new_context(browser, requests.append)
    page = context.new_page()
    page.goto(server, wait_until="networkidle")
    box = page.locator(".md-search__input")
    box.click()
    box.press_sequentially("attention", delay=30)
    try:                                            # the results come from a web worker: wait for them
        page.wait_for_function(
            "t => [...document.querySelectorAll('.md-search-result__item a')].some(a => a.href.includes(t))",
            arg=transformer, timeout=15_000)
    except sync_api.TimeoutError:
        pass                                        # the assert below says what was listed instead
    links = page.eval_on_selector_all(".md-search-result__item a", "as => as.map(a => a.href)")
    context.close()
    assert any(transformer in link for link in links), f"search 'attention' listed {links}"
    assert any(urlsplit(url).path.endswith("search_index.json") for url in requests)
    assert all(is_local(url) for url in requests), [url for url in requests if not is_local(url)]


def test_the_dark_mode_toggle_switches_the_scheme(browser, server):
    context = new_context(browser, lambda url: None)
    page = context.new_page()
    page.goto(server, wait_until="networkidle")
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    background = "() => getComputedStyle(document.body).backgroundColor"
    toggle = page.locator('label.md-header__button[for^="__palette"]:visible')
    assert page.evaluate(scheme) == "default"
    light = page.evaluate(background)
    toggle.first.click()
    page.wait_for_function(f"() => ({scheme})() === 'slate'", timeout=5_000)
    assert page.evaluate(background) != light, "the scheme changed but the page did not darken"
    toggle.first.click()
    page.wait_for_function(f"() => ({scheme})() === 'default'", timeout=5_000)
    assert page.evaluate(background) == light
    context.close()


def test_a_cite_box_of_an_unpublished_site_gives_the_address_of_the_copy_being_read(browser, server):
    """Built without site_url, the cite boxes hold a placeholder; the page puts in its own
    address and the chapter's anchor, in the text and in every format (docs/javascripts/cite.js)."""
    context = new_context(browser, lambda url: None)
    page = context.new_page()
    page.goto(server + "06-transformer/", wait_until="networkidle")
    box = page.locator(".admonition.quote").filter(has_text="Cite this chapter")
    page.wait_for_function("() => !document.body.textContent.includes('(the address of this page)')", timeout=5_000)
    parts = {"text": box.locator("p:not(.admonition-title)").first.inner_text()}
    for name in ("BibTeX", "CSL-JSON", "RIS"):
        box.get_by_text(name, exact=True).click()
        parts[name] = box.locator(".tabbed-block:visible").inner_text()
    url = server + "06-transformer/#06-transformer"
    assert all(part.count(url) == 1 for part in parts.values()), parts
    context.close()


@pytest.mark.slow
def test_the_print_page_reads_well(browser, server, built_site):
    """The whole book on one page, as the page tests judge each chapter (the order of its
    chapters is tests/test_site.py's, on the HTML)."""
    html = (built_site / PRINT / "index.html").read_text(encoding="utf-8")
    status, errors, requests, survey = visit(browser, server + PRINT)
    problems = problems_of(PRINT, html, status, errors, requests, survey)
    assert not problems, report(problems)
    assert len(survey["h1"]) >= len(book.nav(ROOT))


def test_a_chapter_downloads_its_notebook_and_the_preface_links_the_pdf_if_built(browser, server, built_site):
    """The button at the top of a chapter gives its notebook (tools/notebooks.py); the preface
    links the PDF when the site was built with it (MICROGPT_PDF=1), and names it, unlinked,
    when not (the default tier's build), so no link is broken."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(server + "03-autograd/")
    with page.expect_download() as download:
        page.locator(".mg-takeaway a", has_text="Notebook").click()
    made = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert download.value.suggested_filename == "03-autograd.ipynb" and made["nbformat"] == 4
    assert any("".join(c["source"]).startswith("from microgpt.autograd import Value")
               for c in made["cells"] if c["cell_type"] == "code")
    page.goto(server)
    links = page.locator('a[href$="microgpt-book.pdf"]')
    if (built_site / "microgpt-book.pdf").is_file():
        assert links.count() >= 2, "the preface's button and its How to read it link the PDF"
        assert page.request.get(server + "microgpt-book.pdf").body()[:5] == b"%PDF-"
    else:
        assert links.count() == 0 and "The whole book as a PDF" in page.inner_text("article")
    context.close()


# ---------------------------------------------------------------- Run it here
#
# The page's runner (tools/page/): the buttons under the blocks, the worker's Python, the
# panels. The default tier opens a page from a file (and tests/test_page.py runs the
# runner's Python natively); the full tier starts the page's Python: it runs a block and
# edits one to fail, runs every example of every chapter through its own Run button,
# breaks a package block, trains in the page and draws names there.

RUNS_HERE = [chapter_path(file) for file, page in book.pages(ROOT).items() if runner.examples(page)]
VERDICT = "xpath=self::*[@data-state and @data-state!='running']"


@pytest.fixture(scope="module")
def runs_here(built_site):
    """The site's runner is there: built with node_modules (npm ci), which a fresh clone lacks."""
    if not (built_site / runner.RUNNER / "runner.js").is_file():
        pytest.skip("the site was built without the page's Python (no node_modules: run npm ci)")
    return built_site


class Reader:
    """One page in a fresh context, every request and error it causes recorded."""

    def __init__(self, browser, url):
        self.requests, self.errors = [], []
        self.context = new_context(browser, self.requests.append)
        self.context.set_default_timeout(120_000)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.goto(url, wait_until="networkidle")

    def box(self, block_id):
        return self.page.locator(f'.runner[data-block="{block_id}"]')

    def run(self, block_id):
        """Press the block's Run button; its verdict: passed, failed or stopped."""
        box = self.box(block_id)
        box.locator("button:text-is('Run')").click()
        box.locator(VERDICT).wait_for()
        return box.get_attribute("data-state")

    def edit(self, block_id, code):
        """Press Edit and put code in the editor in place of the block's."""
        box = self.box(block_id)
        box.locator("button:text-is('Edit')").click()
        editor = self.page.locator(f'.runner-editor:has(+ .runner[data-block="{block_id}"]) .cm-content')
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.insert_text(code)   # as typed, but without the editor's auto-indent

    def close(self):
        foreign = [url for url in self.requests if not is_local(url)]
        self.context.close()
        assert not self.errors, self.errors
        assert not foreign, f"asked another host: {foreign}"


def examples_of(path):
    file = next(f for f in book.nav(ROOT) if chapter_path(f) == path)
    return runner.examples(book.pages(ROOT)[file])


@pytest.mark.slow
def test_a_block_runs_in_the_page_and_an_edited_one_fails_at_its_line(browser, server, runs_here, record_property):
    """The first press starts Python (the time it took is recorded); nothing of it loads before. The
    buttons are buttons with labels, the verdict is announced, the keyboard works."""
    path = "05-building-blocks/"
    first, second = examples_of(path)[:2]
    reader = Reader(browser, server + path)
    page = reader.page
    assert not [url for url in reader.requests if "/pyodide/" in url or "worker.js" in url]
    assert page.locator(".runner:has(button:text-is('Run'))").count() == len(examples_of(path))
    labelled = page.eval_on_selector_all(".runner button", "bs => bs.map(b => [b.tagName, b.type, b.getAttribute('aria-label')])")
    assert labelled and all(tag == "BUTTON" and kind == "button" and label for tag, kind, label in labelled)
    assert page.eval_on_selector_all(".runner-output", "os => os.every(o => o.getAttribute('aria-live') === 'polite')")
    box = reader.box(first["id"])
    started = time.monotonic()
    box.locator("button:text-is('Run')").focus()
    page.keyboard.press("Enter")
    box.locator(VERDICT).wait_for()
    ready = time.monotonic() - started
    assert box.get_attribute("data-state") == "passed", box.inner_text()
    record_property("measured", f"the first Run, Python started: {ready:.1f} s")   # no wall-clock assert (a busy machine)
    assert any("/pyodide/pyodide.asm.wasm" in url for url in reader.requests)

    reader.edit(second["id"], second["code"] + "assert 1 == 2")
    line = len(second["code"].splitlines()) + 1
    assert reader.run(second["id"]) == "failed"
    verdict = reader.box(second["id"]).locator(".runner-output").inner_text()
    assert f"failed at line {line} of the block (docs/05-building-blocks.md:{second['line'] + line})" in verdict
    assert "assert 1 == 2" in verdict and "E   assert 1 == 2" in verdict
    reader.box(second["id"]).locator("button:text-is('Reset')").click()
    assert reader.run(second["id"]) == "passed"
    reader.close()


def test_a_page_opened_from_a_file_says_why_it_cannot_run_blocks(browser, built_site, runs_here):
    """file:// cannot start the worker: the page says so once, and offers no buttons."""
    if not (built_site / runner.RUNNER).is_dir():
        pytest.skip("the site was built without the page's runner (node_modules/pyodide: npm ci), "
                    "so no page has blocks to run or a note to show")
    context = new_context(browser, lambda url: None)
    page = context.new_page()
    page.goto((built_site / "07-training" / "index.html").as_uri(), wait_until="load")
    page.locator(".runner-note").first.wait_for(timeout=10_000)
    notes = page.locator(".runner-note").all_inner_texts()
    buttons = page.locator(".runner button").count()
    context.close()
    assert len(notes) == 2 and all("served over HTTP" in note for note in notes), notes   # the first block, the panel
    assert buttons == 0


@pytest.mark.slow
@pytest.mark.parametrize("path", RUNS_HERE)
def test_every_example_of_the_chapter_passes_in_the_page_and_every_exercise_is_proven(path, browser, server, runs_here):
    """Each example block, through its own Run button, gets pytest's verdict: passed. Each
    exercise, through its Check button, is not yet solved as the book leaves it, and is
    solved with its solution typed in (the page's own proof of what test_exercises.py
    proves natively). A block that needs more than the standard library says so instead."""
    reader = Reader(browser, server + path)
    verdicts = {}
    file = next(f for f in book.nav(ROOT) if chapter_path(f) == path)
    mine = [e for e in exercises.every(ROOT).values() if e.chapter == f"docs/{file}"]
    blocks = examples_of(path) + [{"id": f"{e.chapter}:{e.line}", "line": e.line, "needs": runner.needs(e.start),
                                   "exercise": e} for e in mine]
    for block in blocks:
        box = reader.box(block["id"])
        if block["needs"]:
            assert box.locator("button").first.is_disabled()
            assert f"needs {block['needs']}" in box.inner_text()
            continue
        if "exercise" not in block:
            verdicts[block["line"]] = reader.run(block["id"])
        else:
            box.locator("button:text-is('Check')").click()
            box.locator(VERDICT).wait_for()
            start = box.locator(".runner-output").inner_text()
            reader.edit(block["id"], block["exercise"].solution)
            box.locator("button:text-is('Check')").click()
            box.locator(VERDICT).wait_for()
            solved = box.locator(".runner-output").inner_text()
            verdicts[block["line"]] = "passed" if start.startswith("not yet: ") and solved.startswith("passed") \
                else f"start: {start!r}; solution: {solved!r}"
        if verdicts[block["line"]] not in ("passed", None) and not verdicts[block["line"]].startswith("start"):
            verdicts[block["line"]] += ": " + box.inner_text()
    reader.close()
    assert all(v == "passed" for v in verdicts.values()), verdicts


@pytest.mark.slow
def test_an_exercise_is_checked_in_the_page_not_yet_then_solved(browser, server, runs_here):
    """Exercise 3.3 through its Check button: the starting point is not yet solved, with the
    check's own words; the solution, typed into the editor, is; Reset brings back the start."""
    exercise = exercises.every(ROOT)["3.3"]
    block = f"{exercise.chapter}:{exercise.line}"
    reader = Reader(browser, server + "03-autograd/")
    box = reader.box(block)

    def check():
        box.locator("button:text-is('Check')").click()
        box.locator(VERDICT).wait_for()
        return box.get_attribute("data-state"), box.locator(".runner-output").inner_text()

    state, words = check()
    assert state == "failed" and words.startswith("not yet: at x = -2.0 your local gradient gives 0.0"), words
    reader.edit(block, exercise.solution)
    assert check() == ("passed", "passed: Exercise 3.3 is solved")
    box.locator("button:text-is('Reset')").click()
    assert check()[0] == "failed"          # the package was imported afresh: the solved tanh is gone
    reader.close()


@pytest.mark.slow
def test_a_broken_package_block_fails_the_examples_that_use_it_until_reset(browser, server, runs_here):
    """Chapter 5: softmax edited to halve its probabilities. The chapter's examples that
    use softmax now fail, the others still pass; Reset puts the book's back."""
    path = "05-building-blocks/"
    modules, blocks = runner.tangle_map(ROOT)
    softmax = next(i for i, b in blocks.items() if b["code"].startswith("def softmax("))
    broken = blocks[softmax]["code"].replace("[e / total for e in exps]", "[e / total / 2 for e in exps]")
    assert broken != blocks[softmax]["code"]
    examples = examples_of(path)
    using = {e["line"] for e in examples if "softmax" in e["code"]}
    assert using and len(using) < len(examples)
    reader = Reader(browser, server + path)
    reader.edit(softmax, broken)
    package = reader.box(softmax)
    package.locator("button:text-is(\"Run this chapter's examples\")").click()
    package.locator(VERDICT).wait_for()
    states = {e["line"]: reader.box(e["id"]).get_attribute("data-state") for e in examples}
    assert {line for line, state in states.items() if state == "failed"} == using, states
    assert f"{len(using)} of this chapter's {len(examples)} examples fail" in package.inner_text()
    package.locator("button:text-is('Reset')").click()
    reader.page.wait_for_function(f"() => document.querySelector('.runner[data-block=\"{softmax}\"]').dataset.state === 'passed'")
    assert all(reader.box(e["id"]).get_attribute("data-state") == "passed" for e in examples)
    reader.close()


@pytest.mark.slow
def test_twenty_steps_trained_in_the_page_are_the_reference_run_to_1e_12(browser, server, runs_here, record_property):
    """The training panel of chapter 7: microgpt.py's run, stopped after 20 steps."""
    reference = json.loads((ROOT / "tests" / "data" / "run-default.json").read_text())["losses"]
    committed = json.loads((ROOT / "docs" / "assets" / "page-run.json").read_text())["losses"]
    reader = Reader(browser, server + "07-training/")
    panel = reader.page.locator("div.runner-panel[data-panel=train]")
    panel.get_by_role("button", name="Train the model here").click()
    reader.page.wait_for_function("() => /step 20 of 1000/.test(document.querySelector("
                                  "'div.runner-panel[data-panel=train] .runner-status').textContent)", polling=20)
    panel.get_by_role("button", name="Stop training and draw names from the model as it is").click()
    panel.locator("xpath=self::*[@data-state='done']").wait_for()
    losses = json.loads(panel.get_attribute("data-losses"))[:20]
    names = panel.locator(".runner-names li").all_inner_texts()
    reader.close()
    assert len(losses) == 20 and len(names) == 20
    same = sum(a == b for a, b in zip(losses, reference))
    record_property("measured", f"the page's first 20 losses: {same} of 20 bit-identical to the reference run, "
                                f"the largest difference {max(abs(a - b) for a, b in zip(losses, reference)):.1e}")
    assert all(abs(a - b) <= 1e-12 for a, b in zip(losses, reference)), (losses, reference[:20])
    assert losses == committed      # the Pyodide that Node ran, bit for bit


@pytest.mark.slow
def test_the_sample_panel_draws_what_the_command_line_draws(browser, server, runs_here, main):
    """Chapter 8's panel over the saved model, with a prompt, a temperature and a seed."""
    printed = main("--load", "docs/assets/default-model.json", "--prompt", "ma", "--temperature", "0.7",
                   "--seed", "3").stdout
    reader = Reader(browser, server + "08-sampling/")
    panel = reader.page.locator("div.runner-panel[data-panel=sample]")
    panel.get_by_label("Prompt").fill("ma")
    panel.get_by_label("Temperature").fill("0.7")
    panel.get_by_label("Seed").fill("3")
    panel.get_by_role("button", name="Draw 20 names from the saved model").click()
    panel.locator("xpath=self::*[@data-state='done']").wait_for()
    names = panel.locator(".runner-names li").all_inner_texts()
    reader.close()
    assert names == re.findall(r"^sample +\d+: (\w+)$", printed, re.M)


# ---------------------------------------------------------------- the runner's fixes, and progress kept
#
# Issue 27's runner bugs and issue 24's progress kept in the page. One page load serves
# several checks; what needs no Python runs in the default tier, the rest in the full one.

HEADER = "() => document.querySelector('.md-header').getBoundingClientRect().bottom"


def exercise_block(number):
    exercise = exercises.every(ROOT)[number]
    return exercise, f"{exercise.chapter}:{exercise.line}"


def test_an_edit_survives_a_reload_and_download_my_answers_gives_n_m_py_files(browser, server, runs_here, tmp_path):
    """Exercise 3.1 edited, the page reloaded: the edit is back in the editor, with a note and
    Reset; Your progress's Download my answers gives a zip holding 3.1.py, the edit; Reset forgets it."""
    import zipfile
    exercise, block = exercise_block("3.1")
    answer = exercise.start + "# my answer, kept\n"
    reader = Reader(browser, server + "03-autograd/")
    page = reader.page
    reader.edit(block, answer)
    page.reload(wait_until="networkidle")
    editor = page.locator(f'.runner-editor:has(+ .runner[data-block="{block}"]) .cm-content')
    editor.wait_for(timeout=15_000)
    box = reader.box(block)
    assert "Your edit, restored" in box.locator(".runner-output").inner_text()
    assert box.locator("button:text-is('Reset')").is_visible()
    lines = f'.runner-editor:has(+ .runner[data-block="{block}"]) .cm-line'
    assert page.eval_on_selector_all(lines, "ls => ls.map(l => l.textContent).join('\\n')") == answer
    panel = page.locator("#your-progress")
    panel.locator("summary").click()
    with page.expect_download() as download:
        panel.get_by_role("button", name="Download my answers").click()
    saved = tmp_path / "answers.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["3.1.py"]
        assert archive.read("3.1.py").decode() == answer
    box.locator("button:text-is('Reset')").click()
    page.reload(wait_until="networkidle")
    box.locator("button:text-is('Check')").wait_for()
    assert page.locator(".runner-editor").count() == 0 and not box.locator(".runner-output").inner_text()
    reader.close()


def test_a_chapter_whose_examples_cannot_run_here_offers_no_edit_on_its_package_blocks(browser, server, runs_here):
    """Chapter 12's examples all need NumPy: its package blocks get no Edit (nothing could
    show the change working), only a note saying where to try one."""
    file = next(f for f in book.nav(ROOT) if f.startswith("12-"))
    data = runner.page_data(file, book.pages(ROOT)[file], runner.tangle_map(ROOT)[1])
    assert data["package"] and data["examples"] and all(e["needs"] for e in data["examples"])
    reader = Reader(browser, server + chapter_path(file))
    reader.page.locator(".runner").first.wait_for()
    assert all(reader.box(b["id"]).count() == 0 for b in data["package"])
    assert reader.page.get_by_text("its package blocks cannot be tried here").count() == 1
    reader.close()


# Every text an output showed while a block ran, so a state that passes (starting Python…) is seen.
SEEN = """() => { window.seen = [];
  new MutationObserver(() => document.querySelectorAll('.runner-output')
    .forEach(o => window.seen.push(o.innerText + (o.querySelector('progress') ? ' [a bar]' : ''))))
    .observe(document.querySelector('article'), {subtree: true, childList: true, characterData: true}); }"""
SECTION = """id => { const el = document.querySelector(`[data-runner="${id}"]`);
  const hs = [...document.querySelectorAll('article h2, article h3')].filter(h => h.compareDocumentPosition(el) & 4);
  const h = hs.at(-1).cloneNode(true); h.querySelectorAll('.headerlink').forEach(a => a.remove());
  return h.textContent.trim(); }"""


@pytest.mark.slow
def test_the_runners_bugs_are_fixed(browser, server, runs_here, built_site):
    """Chapter 5, one page load, each bug of issue 27 checked on its own (all are reported). The
    first Run says it is starting Python (its size, once) with a bar; a failing assert shows the
    values it compared; a syntax error points at the block's line; a failing example is listed
    by its section and first line, and its link lands below the header; after Stop, the first
    Run uses the package edit; a Check marks its exercise, and Your progress lists it."""
    path = "05-building-blocks/"
    examples = examples_of(path)
    modules, blocks = runner.tangle_map(ROOT)
    softmax = next(i for i, b in blocks.items() if b["code"].startswith("def softmax("))
    broken = blocks[softmax]["code"].replace("[e / total for e in exps]", "[e / total / 2 for e in exps]")
    using = [e for e in examples if "softmax" in e["code"]]
    first, other = examples[0], next(e for e in examples if e not in using)
    reader = Reader(browser, server + path)
    page = reader.page
    problems = []

    def check(ok, what):
        if not ok:
            problems.append(what)

    megabytes = round(sum(p.stat().st_size for p in (built_site / "pyodide").iterdir()) / 1e6)
    page.evaluate(SEEN)
    assert reader.run(first["id"]) == "passed", reader.box(first["id"]).inner_text()
    starting = f"starting Python ({megabytes} MB, once)…"
    seen = page.evaluate("() => window.seen")
    check(any(text.startswith(starting) and text.endswith("[a bar]") for text in seen),
          f"the first Run never said {starting!r} with a bar: {set(seen)}")

    words = {}
    for name, code in (("assert", "total = 2\nassert total == 3\n"), ("syntax", "a = 1\nb = (\n")):
        reader.edit(other["id"], code)
        assert reader.run(other["id"]) == "failed"
        words[name] = reader.box(other["id"]).locator(".runner-output").inner_text()
        reader.box(other["id"]).locator("button:text-is('Reset')").click()
    check("E   assert 2 == 3" in words["assert"] and "failed at line 2 of the block" in words["assert"],
          f"a failing assert shows no values: {words['assert']!r}")
    check("failed at line 2 of the block" in words["syntax"] and "harness.py" not in words["syntax"],
          f"a syntax error not at the block's line: {words['syntax']!r}")

    reader.edit(softmax, broken)
    package = reader.box(softmax)
    package.locator("button:text-is(\"Run this chapter's examples\")").click()
    package.locator(VERDICT).wait_for()
    links = package.locator(".runner-failing a")
    named = links.all_inner_texts()
    assert len(named) == len(using), named
    for text, example in zip(named, using):
        heading = page.evaluate(SECTION, example["id"])
        check(text.startswith(heading) and example["code"].splitlines()[0].strip() in text and "docs/" not in text,
              f"a failing example named {text!r}, not by its section {heading!r} and first line")
    page.mouse.wheel(0, -100_000)
    links.last.click()
    page.wait_for_timeout(500)                     # the scroll is instant; let the layout settle
    top = page.evaluate(f"() => document.querySelector('[data-runner=\"{using[-1]['id']}\"]').getBoundingClientRect().top")
    header = page.evaluate(HEADER)
    check(header <= top < LAPTOP["height"], f"the link put the example at {top}px, the header ends at {header}px")

    reader.edit(other["id"], "while True:\n    pass\n")      # a run that only Stop ends
    reader.box(other["id"]).locator("button:text-is('Run')").click()
    reader.box(other["id"]).locator("button:text-is('Stop')").click()
    reader.box(other["id"]).locator(VERDICT).wait_for()
    assert reader.box(other["id"]).get_attribute("data-state") == "stopped"
    check(reader.run(using[0]["id"]) == "failed", "after Stop, the first Run ran the book's softmax, not the edit")

    exercise, block = exercise_block("5.1")
    reader.box(block).locator("button:text-is('Check')").click()
    reader.box(block).locator(VERDICT).wait_for()
    mark = page.locator("#exercise-5-1 .runner-mark")
    check(mark.count() == 1 and mark.inner_text() == "not yet", "no 'not yet' beside Exercise 5.1's heading")
    progress = page.locator("#your-progress")
    if progress.count():
        progress.locator("summary").click()
    check(progress.count() and "not yet 5.1" in progress.inner_text(), "Your progress does not list 5.1")
    reader.close()
    assert not problems, report(problems)


@pytest.mark.slow
def test_chapter_8_samples_the_model_the_reader_trained_in_chapter_7(browser, server, runs_here, main, tmp_path):
    """A few steps trained in chapter 7's panel, then Stop: chapter 8's panel, in the same
    browser, offers that model beside the book's, and draws what the command line draws from it."""
    reader = Reader(browser, server + "07-training/")
    panel = reader.page.locator("div.runner-panel[data-panel=train]")
    panel.get_by_role("button", name="Train the model here").click()
    reader.page.wait_for_function("() => /step 3 of 1000/.test(document.querySelector("
                                  "'div.runner-panel[data-panel=train] .runner-status').textContent)", polling=20)
    panel.get_by_role("button", name="Stop training and draw names from the model as it is").click()
    panel.locator("xpath=self::*[@data-state='done']").wait_for()
    steps = len(json.loads(panel.get_attribute("data-losses")))
    page = reader.context.new_page()
    page.goto(server + "08-sampling/", wait_until="networkidle")
    saved = json.loads(page.evaluate("() => localStorage.getItem('microgpt:model')"))
    assert saved["steps"] == steps and json.loads(saved["model"])["step"] == steps
    model = tmp_path / "yours.json"
    model.write_text(saved["model"])
    sample = page.locator("div.runner-panel[data-panel=sample]")
    sample.locator("select#runner-model").select_option("yours")
    sample.get_by_label("Seed").fill("3")
    sample.get_by_role("button", name="Draw 20 names from the saved model").click()
    sample.locator("xpath=self::*[@data-state='done']").wait_for()
    names = sample.locator(".runner-names li").all_inner_texts()
    reader.close()
    printed = main("--load", model, "--seed", "3", "--temperature", "0.5").stdout
    assert names == re.findall(r"^sample +\d+: (\w+)$", printed, re.M)
    book_names = main("--load", "docs/assets/default-model.json", "--seed", "3").stdout
    assert names != re.findall(r"^sample +\d+: (\w+)$", book_names, re.M)     # not the book's model


@pytest.mark.slow
def test_a_check_that_never_ends_is_not_yet_after_the_time_limit(browser, server, runs_here):
    """Exercise 1.2 answered with a loop: Check ends it at the time limit (shortened to 3 s
    here, as a test may), says so and marks the exercise not yet; the next Check runs afresh."""
    _, block = exercise_block("1.2")
    reader = Reader(browser, server + "01-dataset/")
    reader.page.evaluate("window.microgptCheckSeconds = 3")
    box = reader.box(block)
    reader.edit(block, "while True:\n    pass\n")
    box.locator("button:text-is('Check')").click()
    box.locator(VERDICT).wait_for()
    words = box.locator(".runner-output").inner_text()
    assert box.get_attribute("data-state") == "failed" and "ran for more than 3 s" in words, words
    assert reader.page.evaluate("JSON.parse(localStorage.getItem('microgpt:checked:1.2')).solved") is False
    box.locator("button:text-is('Reset')").click()     # the starting point, in a Python started afresh
    box.locator("button:text-is('Check')").click()
    box.locator(VERDICT).wait_for()
    words = box.locator(".runner-output").inner_text()
    assert box.get_attribute("data-state") == "failed" and words.startswith("not yet:"), words
    assert "ran for more than" not in words, words
    reader.close()
