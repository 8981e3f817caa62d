"""The built site in a real browser: headless Chromium (Debian's package), driven by
Playwright, reading the site served from 127.0.0.1.

Every page is opened once, by a test of its own, at a laptop's window size
(1366 x 768), and what the reader would meet there is judged: console errors,
every request the page makes, the math as MathJax drew it, the figures, the width
of the code blocks. The last tests do what a reader does: search, switch to dark
mode, read the print edition.

Chromium is started the way BOOK.md section 3 says, never downloaded by
Playwright. ``chromium.launch`` gives every launch a fresh, empty profile
(Playwright passes ``--user-data-dir`` naming a new temporary directory, and
deletes it on close), and each test opens its own browser context, so nothing a
test does (the dark-mode choice is stored in the browser) reaches another.
"""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import book

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

DRAWN = "() => [...document.querySelectorAll('.arithmatex')].every(el => el.querySelector('mjx-container'))"

# Run in the page once it has loaded and MathJax has finished: what the reader sees.
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
          mathjax: !!(window.MathJax && MathJax.startup), math, codes, page, figures, imgs};
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
        # After the load event MathJax (a plain script) has run: wait for it to finish typesetting.
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : false")
        try:                                      # and, on a busy machine, for the last formula to be drawn
            page.wait_for_function(DRAWN, timeout=15_000)
        except sync_api.TimeoutError:
            pass                                  # the test says which formulas are not drawn
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
    if expected and not survey.get("mathjax"):
        found.append("MathJax did not start")
    if len(survey.get("math", [])) != expected:
        found.append(f"{expected} math spans in the HTML, {len(survey.get('math', []))} on the page")
    for m in survey.get("math", []):
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
    """HTTP 200; no console error; no request to any host but 127.0.0.1; every formula drawn by
    MathJax; every figure and image with a size; neither the page nor a code block scrolls sideways."""
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


@pytest.mark.slow
def test_the_print_page_reads_well(browser, server, built_site):
    """The whole book on one page, as the page tests judge each chapter (the order of its
    chapters is tests/test_site.py's, on the HTML)."""
    html = (built_site / PRINT / "index.html").read_text(encoding="utf-8")
    status, errors, requests, survey = visit(browser, server + PRINT)
    problems = problems_of(PRINT, html, status, errors, requests, survey)
    assert not problems, report(problems)
    assert len(survey["h1"]) >= len(book.nav(ROOT))
