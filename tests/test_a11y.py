"""The chapters in a real browser, for every reader: accessible in both schemes, light to
load, found by search.

- axe-core (npm, pinned in package.json; injected from node_modules) finds no serious or
  critical violation on a chapter page, in the light scheme and the dark one, with an
  example's editor open;
- a chapter's first load (everything the page asks for until the network is idle: HTML,
  CSS, scripts, fonts, images, the search index) is at most 1.5 MB, and no MathJax is loaded;
- search lists the chapter that defines a term before any API page or exercise;
- the keyboard: Run keeps the focus, the editor says how to leave it; on a phone every
  control of the page's runner is at least 44 px each way; the sample panel's fields are
  bordered and labelled.

The default tier checks two chapters (one with the sample panel); the full tier every one.
"""

from pathlib import Path

import pytest

import book
import glossary
from test_browser import browser, chapter_path, is_local, math_drawn, new_context, server  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHAPTERS = [chapter_path(file) for file, page in book.pages(ROOT).items() if page.number is not None]
SAMPLE = ["05-building-blocks/", "08-sampling/"]
BUDGET = 1_500_000  # bytes of a chapter's first load
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def as_npm_makes_it(built_site):
    """The page is checked as a reader gets it: its formulas drawn and its runner in place
    (npm ci); a site built without them skips, saying why."""
    math_drawn(built_site)
    if not (built_site / "runner").is_dir():
        pytest.skip("the site was built without the page's Python (no node_modules: npm ci)")


def tiered(pages):
    return [p if p in SAMPLE else pytest.param(p, marks=pytest.mark.slow) for p in pages]


def serious(page):
    """axe-core's serious and critical violations on the page: [(rule, nodes, first node, why)]."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => [v.id, v.nodes.length, v.nodes[0].target.join(' '), v.nodes[0].failureSummary]))""")
    return [tuple(v) for v in found]


@pytest.mark.skipif(not AXE.is_file(), reason="no node_modules/axe-core (npm ci)")
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", tiered(CHAPTERS))
def test_axe_finds_no_serious_violation_in_either_scheme(path, scheme, browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, color_scheme=scheme,
                                  service_workers="block")
    page = context.new_page()
    page.goto(server + path, wait_until="networkidle")
    assert page.evaluate("() => document.body.dataset.mdColorScheme") == ("slate" if scheme == "dark" else "default")
    edit = page.locator(".runner button:text-is('Edit'):not([disabled])")
    if edit.count():                                  # the editor too, in the page's scheme
        edit.first.click()
        page.locator(".runner-editor .cm-content").first.wait_for()
    page.mouse.move(0, 0)                             # no button left hovered, and axe judges
    page.add_style_tag(content="*, *::before { transition: none !important; }")  # colours at rest
    found = serious(page)
    context.close()
    assert not found, "\n".join(f"{rule}: {n} nodes, e.g. {where}: {why}" for rule, n, where, why in found)


@pytest.mark.parametrize("path", tiered(CHAPTERS))
def test_a_chapter_loads_at_most_1_5_mb_and_no_mathjax(path, browser, server, built_site, record_property):
    context = new_context(browser, lambda url: None)
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    # the theme fetches the search index once the page has loaded: wait for it (on a loaded
    # machine it can come after a first quiet moment of the network), then for quiet again
    with page.expect_response(lambda response: response.url.endswith("search_index.json")) as index:
        page.goto(server + path, wait_until="networkidle")
    index.value.finished()
    has_mathjax = page.evaluate("() => 'MathJax' in window")
    drawn = page.locator(".arithmatex > mjx-container > svg").count()
    sizes = {}
    for request in finished:
        response = request.response()
        sizes[request.url] = len(response.body()) if response and response.status == 200 else 0
    context.close()
    total = sum(sizes.values())
    record_property("measured", f"{path}: first load {total / 1e6:.2f} MB in {len(sizes)} requests")
    assert all(is_local(url) for url in sizes)
    assert any(url.endswith("search_index.json") for url in sizes)      # counted, as it is fetched at load
    assert not has_mathjax and not [url for url in sizes if "mathjax" in url.lower()]
    assert drawn == (built_site / path / "index.html").read_text(encoding="utf-8").count('class="arithmatex"')
    biggest = sorted(sizes.items(), key=lambda item: -item[1])[:4]
    assert total <= BUDGET, f"{path}: {total:,} bytes at load; the biggest: {biggest}"


@pytest.mark.parametrize("term", ["softmax", "temperature"])
def test_search_lists_the_chapter_that_defines_a_term_first(term, browser, server):
    entry = glossary.lookup(glossary.index(glossary.read(ROOT / "docs")), term)
    chapter = chapter_path(entry["introduced"][0])
    context = new_context(browser, lambda url: None)
    page = context.new_page()
    page.goto(server, wait_until="networkidle")
    box = page.locator(".md-search__input")
    box.click()
    box.press_sequentially(term, delay=30)
    page.wait_for_function("() => document.querySelectorAll('.md-search-result__item > a').length > 2", timeout=15_000)
    first = page.eval_on_selector_all(".md-search-result__item > a", "as => as.map(a => new URL(a.href).pathname)")
    snippets = page.locator(".md-search-result").inner_text()
    context.close()
    assert first[0] == "/" + chapter, f"search {term!r} listed {first[:5]}"
    assert "\\(" not in snippets and "$" not in snippets


def test_the_editor_says_how_to_leave_it_and_the_panel_fields_are_bordered_and_labelled(browser, server):
    context = new_context(browser, lambda url: None)
    page = context.new_page()
    page.goto(server + "08-sampling/", wait_until="networkidle")
    page.locator(".runner button:text-is('Edit')").first.click()
    content = page.locator(".runner-editor .cm-content").first
    content.wait_for()
    hint = page.locator("#" + content.get_attribute("aria-describedby")).inner_text()
    assert "Escape" in hint and "Tab" in hint
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not page.evaluate("() => !!document.activeElement.closest('.cm-editor')"), "Escape, Tab stayed in the editor"
    panel = page.locator("div.runner-panel[data-panel=sample]")
    for name in ("Prompt", "Temperature", "Seed"):
        field = panel.get_by_label(name)
        style = field.evaluate("el => { const s = getComputedStyle(el); return [parseFloat(s.borderTopWidth), s.borderTopStyle, s.borderTopColor, getComputedStyle(el.closest('.runner-panel')).backgroundColor]; }")
        assert style[0] >= 1 and style[1] != "none" and style[2] not in ("transparent", "rgba(0, 0, 0, 0)", style[3]), (name, style)
    context.close()


def test_on_a_phone_every_control_of_the_runner_is_44_px(browser, server):
    context = browser.new_context(viewport=PHONE, color_scheme="light", service_workers="block", has_touch=True)
    page = context.new_page()
    page.goto(server + "08-sampling/", wait_until="networkidle")
    sizes = page.eval_on_selector_all(".runner-buttons :is(button, input, select)",
                                      "els => els.filter(e => e.offsetParent).map(e => [e.textContent || e.id, e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
    context.close()
    assert sizes and all(w >= 44 and h >= 44 for _, w, h in sizes), [s for s in sizes if min(s[1:]) < 44]


@pytest.mark.slow
def test_run_keeps_the_focus(browser, server):
    """Pressed from the keyboard, Run is disabled while the block runs, and has the focus back after."""
    context = new_context(browser, lambda url: None)
    context.set_default_timeout(120_000)
    page = context.new_page()
    page.goto(server + "05-building-blocks/", wait_until="networkidle")
    box = page.locator(".runner:has(button:text-is('Run'))").first
    box.locator("button:text-is('Run')").focus()
    page.keyboard.press("Enter")
    box.locator("xpath=self::*[@data-state and @data-state!='running']").wait_for()
    focused = page.evaluate("() => document.activeElement.textContent")
    context.close()
    assert focused == "Run"


def pdf_pages(browser, url, tmp_path):
    """The text of each page of the PDF Chromium prints of url (A4), by poppler's pdftotext."""
    import shutil
    import subprocess
    if not shutil.which("pdftotext"):
        pytest.skip("no pdftotext (poppler-utils)")
    context = new_context(browser, lambda url: None)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    pdf = tmp_path / "page.pdf"
    page.pdf(path=str(pdf), format="A4")
    context.close()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def test_a_panel_prints_as_one_sentence_of_what_it_does(browser, server, tmp_path):
    """Chapter 8's sample panel, printed: its sentence, not its controls nor a claim that the
    site lacks the page's Python (this site has it); the blocks' buttons do not print."""
    text = " ".join(" ".join(pdf_pages(browser, server + "08-sampling/", tmp_path)).split())
    assert "this panel draws 20 names from the saved model in the page" in text
    assert "built without the page's Python" not in text
    assert "Temperature:" not in text and " Edit " not in text


def test_the_api_prints_without_its_source_boxes_and_no_near_blank_page(browser, server, tmp_path):
    """Every line of an API page's source is printed in the chapters; kept whole, a long
    box pushed a near-blank page before it."""
    pages = pdf_pages(browser, server + "api/fast/", tmp_path)
    assert "Source code in" not in "".join(pages)
    full = max(len(page.strip()) for page in pages)
    assert all(len(page.strip()) > full / 4 for page in pages[:-1]), [len(page.strip()) for page in pages]
