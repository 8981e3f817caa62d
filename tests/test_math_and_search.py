"""The math drawn when the site is built, what search holds, and the panels in print.

The build has MathJax (npm mathjax-full, in one Node process: tools/math.mjs) draw every
formula as SVG, with the same formula as MathML for screen readers and search, so that no
page loads MathJax. Without Node's MathJax the build still passes and shows the TeX, with
a note. The browser's side (the bytes a page loads, search's order) is in tests/test_a11y.py.
"""

import json
import re
from pathlib import Path

import pytest

import book
import glossary
import mkdocs_hooks as hooks
from test_browser import math_drawn

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [file for file, page in book.pages(ROOT).items() if page.number is not None]
TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\\(frac|sum|partial|sqrt|mathrm|hat|cdot|ldots)\b")


def html_of(site, file):
    path = file.removesuffix("index.md").removesuffix(".md")
    return (site / path / "index.html").read_text(encoding="utf-8")


def prose(html):
    """The text of a page's article outside code and drawn formulas."""
    article = html[html.find("<article"):html.find("</article>")]
    article = re.sub(r"<(pre|code|mjx-container)\b.*?</\1>", "", article, flags=re.S)
    return re.sub(r"<[^>]*>", "", article)


@pytest.mark.parametrize("file", CHAPTERS)
def test_every_formula_is_in_the_page_as_svg_and_mathml_and_no_page_loads_mathjax(built_site, file):
    math_drawn(built_site)
    html = html_of(built_site, file)
    spans = re.findall(r'<(span|div) class="arithmatex">(.*?)</\1>', html, re.S)
    assert not TEX.search(prose(html)) and "$$" not in prose(html)   # no formula left undrawn
    for _, inner in spans:
        assert inner.startswith("<mjx-container") and "<svg" in inner and "<math" in inner, inner[:120]
        assert not TEX.search(re.sub(r"<[^>]*>", "", inner)), inner[:200]   # no TeX left as text
        assert 'tabindex' not in inner                                     # no tab stop per formula
    used = set(re.findall(r'xlink:href="#(MJX-[^"]+)"', html))
    drawn = set(re.findall(r'<path id="(MJX-[^"]+)"', html))
    assert used <= drawn, f"glyphs used but not in the page: {sorted(used - drawn)[:5]}"
    assert not re.search(r"<script[^>]*(mathjax|tex-svg)", html, re.I)
    assert "stylesheets/math.css" in html


def test_the_chapters_hold_formulas(built_site):
    assert sum(html_of(built_site, file).count('class="arithmatex"') for file in CHAPTERS) > 100


def test_without_node_mathjax_the_formulas_stay_tex_with_a_note(tmp_path):
    """A fresh clone without `npm ci`: no renderer, and a page's formulas are shown as TeX."""
    assert hooks.start_math(tmp_path) is None
    html = '<h1 id="x">5. X</h1>\n<p>So <span class="arithmatex">\\(z_i\\)</span>.</p>'
    shown = hooks.draw_math(html, "05-building-blocks.md")
    assert shown == html.replace("</h1>", "</h1>" + hooks.MATH_NOTE)
    assert hooks.draw_math("<p>no math</p>", "index.md") == "<p>no math</p>"


def test_a_formula_that_is_not_tex_fails_the_build_with_its_page(tmp_path):
    if hooks.start_math(ROOT) is None:
        pytest.skip("no Node or node_modules/mathjax-full (npm ci)")
    try:
        with pytest.raises(hooks.PluginError, match=r"docs/x\.md: the formula '\\\\nosuch' is not valid TeX"):
            hooks.draw_math('<span class="arithmatex">\\(\\nosuch\\)</span>', "x.md")
        drawn = hooks.draw_math('<span class="arithmatex">\\(z_i\\)</span>', "x.md")
        assert "<svg" in drawn and "<mi>z</mi>" in drawn
    finally:
        hooks._math["new"] = 0                    # nothing for the next build to keep
        hooks.stop_math()


def test_the_build_says_how_long_it_and_the_math_took(built_site, record_property):
    math_drawn(built_site)
    """The strict build should stay under 60 s (measured here, not asserted: the time
    depends on the machine); the math's share is in the log too."""
    log = (built_site.parent / "log").read_text(encoding="utf-8", errors="replace")
    build = re.search(r"Documentation built in ([\d.]+) seconds", log)
    math = re.search(r"microgpt: the math: (\d+) formulas drawn by MathJax in ([\d.]+) s, (\d+) from the cache", log)
    assert build and math, log[-2000:]
    record_property("measured", f"strict build {build.group(1)} s; the math {math.group(2)} s "
                                f"({math.group(1)} formulas drawn, {math.group(3)} from the cache)")


def index_of(site):
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def test_search_holds_the_formulas_as_text_not_tex(built_site):
    math_drawn(built_site)
    """A snippet shows what the page shows: the formula's symbols (from its MathML), never its TeX."""
    docs = index_of(built_site)
    chapters = [d for d in docs if not d["location"].startswith("api/")]
    assert not [d["location"] for d in chapters if TEX.search(d["text"]) or "$" in d["text"]]
    assert any("∂L" in d["text"] for d in chapters)      # chapter 3's ∂L/∂a, as text


def test_the_search_index_holds_the_prose_not_the_code_blocks(built_site):
    """Every page fetches the index as it loads: the code blocks stay out of it."""
    docs = index_of(built_site)
    softmax = next(d for d in docs if d["location"] == "api/model/#microgpt.model.softmax")
    assert "softmax(logits)" in softmax["text"] and "max_val" not in softmax["text"]
    assert not [d["location"] for d in docs if "def " in d["text"] and "<pre>" in d["text"]
                and not d["location"].startswith("api/")]


def test_sections_that_define_a_term_outweigh_api_pages_and_exercises(built_site):
    docs = {d["location"]: d for d in index_of(built_site)}
    entries = glossary.read(ROOT / "docs")
    defining = {f"{e['introduced'][0].removesuffix('.md')}/#{e['introduced'][1]}" for e in entries if e["introduced"]}
    assert defining and all(docs[place].get("boost", 1) > 1 for place in defining if place in docs)
    assert all(d.get("boost", 1) < 1 for place, d in docs.items() if place.startswith("api/") or "#exercise-" in place)


def test_a_panel_says_it_lacks_the_page_python_only_when_the_site_does(monkeypatch):
    """The panels of chapters 7 and 8: their sentence is what print shows (data-print); the
    note that the site was built without the page's Python appears only in such a site."""
    html = '<div class="runner-panel" data-panel="sample">\n<p><em>This panel draws <code>20</code> names.</em></p>\n</div>'
    monkeypatch.setattr(hooks, "_runner", {})
    bare = hooks.print_panels(html)
    assert 'data-print="This panel draws 20 names."' in bare and hooks.NO_PYTHON in bare
    monkeypatch.setattr(hooks, "_runner", {"folder": "x"})
    served = hooks.print_panels(html)
    assert 'data-print="This panel draws 20 names."' in served and hooks.NO_PYTHON not in served


def test_the_chapters_panels_print_a_sentence_and_their_site_has_the_page_python(built_site):
    for file in ("07-training.md", "08-sampling.md"):
        html = html_of(built_site, file)
        assert re.search(r'<div class="runner-panel" data-panel="\w+" data-print="In the web edition[^"]+">', html)
        assert (hooks.NO_PYTHON in html) != (built_site / "runner" / "runner.js").is_file()
