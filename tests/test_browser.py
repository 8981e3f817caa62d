"""The built site in a real browser: headless Chromium (Debian's package), driven by
Playwright, reading the site served from 127.0.0.1.

Every page is opened once, at a laptop's window size (1366 x 768), and what the
reader would meet there is recorded: console errors, every request the page makes,
the math as MathJax drew it, the figures, the width of the code blocks, the
headings. The first tests below each judge one of those records; the last ones do
what a reader does: search, switch to dark mode, read the print edition.

Chromium is started the way BOOK.md section 3 says, never downloaded by
Playwright. ``chromium.launch`` gives every launch a fresh, empty profile
(Playwright passes ``--user-data-dir`` naming a new temporary directory, and
deletes it on close), and each test opens its own browser context, so nothing a
test does (the dark-mode choice is stored in the browser) reaches another.
"""

import asyncio
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
async_api = pytest.importorskip("playwright.async_api")


pytestmark = pytest.mark.browser

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic",
        # Belt and braces: no host name resolves but 127.0.0.1's. A request elsewhere
        # still shows (and fails the tests below); it just cannot leave the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
LAPTOP = {"width": 1366, "height": 768}
LOCAL = "127.0.0.1"
PARALLEL = 3            # pages open at once: overlaps each page's wait for the network to go quiet

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


@dataclass
class Visit:
    url: str
    status: int = 0
    errors: list = field(default_factory=list)     # console errors, uncaught exceptions, failed loads
    requests: list = field(default_factory=list)   # every URL the page asked for
    survey: dict = field(default_factory=dict)


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


async def visit(context, record):
    """Open one page and record what a reader would meet there."""
    page = await context.new_page()
    page.on("request", lambda r: record.requests.append(r.url))    # the page's workers' requests too
    page.on("console", lambda m: m.type == "error" and record.errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: record.errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: is_local(r.url) and record.errors.append(f"failed to load {r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and record.errors.append(f"HTTP {r.status}: {r.url}"))
    try:
        response = await page.goto(record.url, wait_until="networkidle")
        record.status = response.status if response else 0
        # After the load event MathJax (a plain script) has run: wait for it to finish typesetting.
        await page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : false")
        try:                                      # and, on a busy machine, for the last formula to be drawn
            await page.wait_for_function(DRAWN, timeout=15_000)
        except async_api.TimeoutError:
            pass                                  # test_math_is_drawn_by_mathjax says which are not
        record.survey = await page.evaluate(SURVEY)
    except async_api.Error as error:              # a page that hangs or crashes is a finding, not a stop
        record.errors.append(f"could not load: {error}")
    finally:
        await page.close()


async def visit_all(records):
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(viewport=LAPTOP, color_scheme="light", service_workers="block")
        context.set_default_timeout(30_000)
        limit = asyncio.Semaphore(PARALLEL)

        async def one(record):
            async with limit:
                await visit(context, record)

        await asyncio.gather(*(one(record) for record in records))
        await browser.close()


@pytest.fixture(scope="module")
def visits(built_site, server):
    """Open every page of the site once (a few at a time) and record what happened."""
    found = {path: Visit(server + path) for path in pages_of(built_site)}
    # Its own thread, so its event loop never meets the sync API's (the `browser` fixture).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, visit_all(list(found.values()))).result()
    return found


def chapter_path(chapter):
    """The URL path of a page of the nav: 03-autograd.md -> 03-autograd/, api/index.md -> api/."""
    return chapter.removesuffix("index.md") if chapter.endswith("index.md") else chapter.removesuffix(".md") + "/"


def report(problems):
    return f"{len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems[:60])


def test_every_chapter_and_page_was_visited(visits):
    for chapter in book.nav(ROOT):
        assert chapter_path(chapter) in visits, chapter
    bad = [f"{path or '/'}: HTTP {v.status}" for path, v in visits.items() if v.status != 200]
    assert not bad, report(bad)


def test_no_console_errors(visits):
    problems = [f"{path or '/'}: {error}" for path, v in visits.items() for error in v.errors]
    assert not problems, report(problems)


def test_no_request_to_any_host_but_127_0_0_1(visits):
    assert all(v.requests for v in visits.values())
    problems = [f"{path or '/'}: {url}" for path, v in visits.items() for url in v.requests if not is_local(url)]
    assert not problems, report(problems)


def test_math_is_drawn_by_mathjax(visits, built_site):
    problems, total = [], 0
    for path, v in visits.items():
        source = (built_site / path / "index.html") if not path.endswith(".html") else built_site / path
        expected = source.read_text(encoding="utf-8").count('class="arithmatex"')
        total += expected
        found = v.survey.get("math", [])
        if expected and not v.survey.get("mathjax"):
            problems.append(f"{path or '/'}: MathJax did not start")
        if len(found) != expected:
            problems.append(f"{path or '/'}: {expected} math spans in the HTML, {len(found)} on the page")
        for m in found:
            if not m["drawn"]:
                problems.append(f"{path or '/'}: not drawn as SVG: {m['source']!r}")
            elif m["left"]:
                problems.append(f"{path or '/'}: TeX left beside the drawing: {m['left']!r}")
    assert total > 0, "no page of the site has math"
    assert not problems, report(problems)


def test_every_figure_and_image_has_a_size(visits):
    problems = []
    for path, v in visits.items():
        for fig in v.survey.get("figures", []):
            if not fig["parts"]:
                problems.append(f"{path or '/'}: figure {fig['index']} ({fig['caption']!r}) has no image or SVG")
            for part in fig["parts"]:
                if not (part["size"][0] > 0 and part["size"][1] > 0):
                    problems.append(f"{path or '/'}: figure {fig['index']} ({fig['caption']!r}): "
                                    f"{part['tag']} is {part['size'][0]}x{part['size'][1]}")
        for img in v.survey.get("imgs", []):
            if not img["natural"] > 0:
                problems.append(f"{path or '/'}: image {img['src']!r} did not load")
    assert not problems, report(problems)


def test_code_blocks_fit_a_laptop_screen(visits):
    """At 1366 x 768, no package block of a chapter scrolls sideways, nor does the page."""
    problems, blocks = [], 0
    for chapter in book.nav(ROOT):
        survey = visits[chapter_path(chapter)].survey if chapter_path(chapter) in visits else {}
        if survey.get("page") and survey["page"]["scroll"] > survey["page"]["client"] + 1:
            problems.append(f"{chapter}: the page is {survey['page']['scroll']}px wide in a "
                            f"{survey['page']['client']}px window")
        for code in survey.get("codes", []):
            blocks += 1
            if code["scroll"] > code["client"] + 1:
                problems.append(f"{chapter}: a block of {code['file']} is {code['scroll']}px wide "
                                f"in a {code['client']}px box")
    assert blocks > 0, "no package blocks found on the chapter pages"
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


def test_the_print_page_holds_every_chapter_in_order(visits):
    assert "print_page/" in visits, "no print page at /print_page/"
    printed = visits["print_page/"]
    assert printed.status == 200
    headings = printed.survey.get("h1", [])
    position = 0
    for chapter in book.nav(ROOT):
        titles = visits[chapter_path(chapter)].survey.get("h1", []) if chapter_path(chapter) in visits else []
        assert titles, f"{chapter} has no H1"
        title = titles[0]
        assert title in headings[position:], (
            f"{chapter} ({title!r}) is missing from the print page, or out of order; its H1s: {headings}")
        position = headings.index(title, position) + 1
