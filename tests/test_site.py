"""The built site: every chapter at its permanent address, nothing loaded from
another host, and the things a reader relies on (search, copy buttons,
permalinks, the dark-mode toggle) present; numbered sections whose anchors
never change, an API page per module linked both ways with its chapters, and
the print edition holding the whole book in order."""

import html as htmllib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import book
import exercises
import mkdocs_hooks as hooks
import runner
import tangle

ROOT = Path(__file__).resolve().parent.parent


# Attributes through which a page makes the browser fetch something.
LOADING = {
    "script": ["src"], "img": ["src", "srcset"], "iframe": ["src"], "source": ["src", "srcset"],
    "video": ["src", "poster"], "audio": ["src"], "embed": ["src"], "object": ["data"],
    "track": ["src"], "input": ["src"],
}
LINK_RELS_THAT_LOAD = {"stylesheet", "icon", "preload", "prefetch", "modulepreload",
                       "manifest", "apple-touch-icon", "preconnect", "dns-prefetch"}
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)


class Loads(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.styles = [], []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in LOADING.get(tag, []):
            if attrs.get(name):
                self.urls += [part.split()[0] for part in attrs[name].split(",") if part.strip()]
        if tag == "link" and set((attrs.get("rel") or "").lower().split()) & LINK_RELS_THAT_LOAD:
            self.urls.append(attrs.get("href") or "")
        if attrs.get("style"):
            self.styles.append(attrs["style"])
        self.in_style = tag == "style"

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)


@pytest.fixture(scope="module")
def site(built_site):
    """The built site: the session's one strict build (tests/conftest.py)."""
    return built_site


def pages(site):
    return sorted(site.rglob("*.html"))


def test_every_chapter_has_its_permanent_address(site):
    for chapter in book.nav(ROOT):
        page = page_path(chapter) + "index.html"
        assert (site / page).is_file(), page


def test_no_page_loads_anything_from_another_host(site):
    assert pages(site)
    for page in pages(site):
        parser = Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        remote = [u for u in parser.urls if REMOTE.match(u)]
        assert not remote, f"{page.relative_to(site)} loads {remote}"
        for style in parser.styles:
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", style), page
            assert "@import" not in style, page


def test_no_stylesheet_loads_anything_from_another_host(site):
    sheets = list(site.rglob("*.css"))
    assert sheets
    for sheet in sheets:
        css = sheet.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), sheet
        assert not re.search(r"@import\s+(url\()?\s*['\"]?(https?:)?//", css), sheet


def test_no_web_fonts(site):
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, page


def test_reader_comforts_are_there(site):
    html = (site / "02-tokenizer" / "index.html").read_text(encoding="utf-8")
    assert 'class="headerlink"' in html                      # a permalink on every heading
    assert 'id="encode-decode"' in html                      # explicit, permanent anchors
    assert "content.code.copy" in html                       # copy buttons
    assert 'data-md-color-scheme="slate"' in html            # the dark-mode toggle
    assert (site / "search" / "search_index.json").is_file()
    assert 'class="filename">microgpt/tokenizer.py<' in html  # each package block shows its file


def test_build_time_blocks_were_replaced_by_their_output(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "tangle.blocks()" not in html
    assert "microgpt/tokenizer.py</code>" in html


def test_every_fence_is_drawn_as_a_code_block(site):
    """pymdownx.superfences drops a fence whose info string it cannot read (a bare word, an
    option it does not know) and prints its text as paragraphs: no page may show one."""
    broken = [p.relative_to(site).as_posix() for p in pages(site)
              if re.search(r"<p>(```|~~~)", p.read_text(encoding="utf-8"))]
    assert not broken, broken


# ---------------------------------------------------------------- numbered, permanent sections

def page_path(source):
    """Where mkdocs puts a page: index.md -> '', api/index.md -> 'api/', a.md -> 'a/'."""
    if source == "index.md" or source.endswith("/index.md"):
        return source.removesuffix("index.md")
    return source.removesuffix(".md") + "/"


def built(site, source):
    return (site / page_path(source) / "index.html").read_text(encoding="utf-8")


def text(fragment):
    return htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).replace("\u00b6", "").strip()


def headings(source):
    """(level, text, explicit anchor or None) of each #, ##, ### heading of a page's
    source, as book.py reads it (code blocks excluded); a chapter's title keeps its number."""
    page = book.parse(source, (ROOT / "docs" / source).read_text(encoding="utf-8"))
    return [(s.level, f"{page.number}. {s.title}" if s.level == 1 and page.number is not None else s.title,
             s.anchor) for s in page.sections]


def numbered_chapters():
    """(source, chapter number) of the chapters: pages whose title is "N. Title"."""
    return [(page.file, page.number) for page in book.pages(ROOT).values() if page.number is not None]


def test_every_section_heading_has_an_explicit_anchor():
    """Anchors never derive from a heading's words or its number, so rewording a
    heading or inserting a section never breaks a link."""
    sources = book.nav(ROOT)
    assert "03-autograd.md" in sources and "cite.md" in sources
    missing = [f"docs/{source}: {'#' * level} {words}" for source in sources
               for level, words, anchor in headings(source) if level > 1 and anchor is None]
    assert not missing, "headings without an explicit {#anchor}:\n" + "\n".join(missing)


def test_chapters_are_numbered_in_reading_order_in_titles_and_nav(site):
    chapters = numbered_chapters()
    assert [number for _, number in chapters] == list(range(len(chapters))) and len(chapters) >= 10
    nav = book.config(ROOT)["nav"]
    titles = {}

    def walk(item):
        for entry in item if isinstance(item, list) else [item]:
            if isinstance(entry, dict):
                for key, value in entry.items():
                    if isinstance(value, str):
                        titles[value] = key
                    else:
                        walk(value)

    walk(nav)
    for source, number in chapters:
        assert titles[source] == headings(source)[0][1], f"{source}: the nav title is not the chapter's"
        assert re.search(rf'<h1 id="[^"]+">{number}\. ', built(site, source)), source


def test_sections_carry_numbers_and_keep_their_anchors(site):
    search = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    for source, number in numbered_chapters():
        want, counts, section = [], [0, 0], None
        for level, _words, anchor in headings(source)[1:]:
            if level == 2:
                counts, section = [counts[0] + 1, 0], anchor
                want.append((anchor, f"{number}.{counts[0]}"))
            else:   # in the section of exercises, a ### is "Exercise 3.1", "Exercise 3.2", …
                counts[1] += 1
                want.append((anchor, f"Exercise {number}.{counts[1]}" if section == "exercises"
                             else f"{number}.{counts[0]}.{counts[1]}"))
        page = built(site, source)
        article = page[page.index("<article"):page.index("</article>")]
        got = [(htmllib.unescape(ident), label) for ident, label in re.findall(
            r'<h[23](?: data-[\w-]+="[^"]*")* id="([^"]+)"><span class="section-number">((?:Exercise )?[0-9.]+)</span> ',
            article)]   # an exercise's heading also carries its data-difficulty and data-minutes
        assert got == want, source
        # the same numbers in the page's table of contents
        for anchor, label in want:
            assert re.search(rf'href="#{re.escape(anchor)}" class="md-nav__link">\s*<span class="md-ellipsis">'
                             rf'\s*<span class="section-number">{re.escape(label)}</span>', page), (source, anchor)
        # and in the search index
        titles = {doc["location"]: doc["title"] for doc in search["docs"]}
        for anchor, label in want:
            title = titles[f"{page_path(source)}#{anchor}"]
            assert title.startswith(label + " "), (source, anchor, title)


def test_pages_that_are_not_chapters_are_not_numbered(site):
    chapters = {source for source, _ in numbered_chapters()}
    others = [source for source in book.nav(ROOT) if source not in chapters]
    assert "cite.md" in others and "api/autograd.md" in others
    for source in others:
        assert 'class="section-number"' not in built(site, source), source


# ---------------------------------------------------------------- API reference

def links(page_html, page_url):
    """The site paths that a page's text links to (fragments dropped; the
    navigation, which links every page, left out)."""
    found = set()
    article = page_html[page_html.index("<article"):page_html.index("</article>")]
    for href in re.findall(r'<a [^>]*href="([^"#]*)(?:#[^"]*)?"', article):
        if href and not REMOTE.match(href) and not href.startswith(("mailto:", "data:")):
            found.add(posixpath.normpath(posixpath.join(page_url, href)) + "/")
    return {path.replace("//", "/").removeprefix("./") for path in found}


def test_every_module_has_an_api_page_linked_with_its_chapters(site):
    written_by = {}
    for module, chapter, _line, _code, _where in tangle.blocks(ROOT):
        written_by.setdefault(module, set()).add(chapter.removeprefix("docs/"))
    assert len(written_by) >= 9
    for module, chapters in written_by.items():
        name = posixpath.splitext(posixpath.basename(module))[0]
        source = "api/" + {"__init__": "index", "__main__": "main"}.get(name, name) + ".md"
        dotted = "microgpt" if name == "__init__" else f"microgpt.{name}"
        assert source in book.nav(ROOT), f"{module} has no API page in the nav"
        page = built(site, source)
        assert 'class="doc doc-object doc-module"' in page, f"{source}: mkdocstrings rendered nothing"
        assert f"::: {dotted}" in (ROOT / "docs" / source).read_text(encoding="utf-8")
        api_url = page_path(source) or "./"
        targets = links(page, "/" + api_url)
        for chapter in chapters:
            assert "/" + (page_path(chapter) or "") in targets, f"{source} does not link to {chapter}"
            back = links(built(site, chapter), "/" + page_path(chapter))
            assert "/" + api_url in back, f"{chapter} does not link to its API page {source}"
    # the links come from the tangler, so a chapter links to no module it does not write
    autograd = links(built(site, "03-autograd.md"), "/03-autograd/")
    assert "/api/autograd/" in autograd and "/api/model/" not in autograd


def test_api_pages_show_the_source_with_its_chapter_markers(site):
    page = built(site, "api/autograd.md")
    assert "Value" in page and "backward" in page
    assert "[docs/03-autograd.md:" in page          # show_source: the tangled code, with its markers


# ---------------------------------------------------------------- the print edition

def test_the_print_page_holds_the_whole_book_in_order(site):
    page = (site / "print_page" / "index.html").read_text(encoding="utf-8")
    position = 0
    for source in book.nav(ROOT):
        title = text(re.search(r"<h1[^>]*>(.*?)</h1>", built(site, source), re.S).group(1))
        found = [m for m in re.finditer(r"<h1[^>]*>(.*?)</h1>", page, re.S)
                 if text(m.group(1)) == title and m.start() >= position]
        assert found, f"the print page lacks {source} ({title!r}) after position {position}"
        position = found[0].end()
    assert page.count('<span class="section-number">') >= sum(
        1 for source, _ in numbered_chapters() for level, _, _ in headings(source) if level > 1)
    assert page.count('<p class="admonition-title">Cite this chapter</p>') == len(numbered_chapters())
    if (site / "stylesheets" / "math.css").is_file():                      # (npm ci: MathJax in Node)
        assert "<mjx-container" in page and "stylesheets/math.css" in page  # the math, drawn when built
    assert not re.search(r"<script[^>]*(mathjax|tex-svg)", page, re.I)     # and no MathJax to load


def test_the_print_page_is_in_the_navigation(site):
    assert re.search(r'<a href="print_page/" class="md-nav__link', built(site, "index.md"))


def test_the_redirects_plugin_is_ready_for_renamed_pages():
    config = book.config(ROOT)
    plugins = {next(iter(p)) if isinstance(p, dict) else p: p for p in config["plugins"]}
    assert "redirect_maps" in plugins["redirects"]["redirects"]
    names = [next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]]
    assert names[-1] == "print-site", "print-site must be the last plugin"
    for old, new in (plugins["redirects"]["redirects"]["redirect_maps"] or {}).items():
        assert not (ROOT / "docs" / old).exists() and (ROOT / "docs" / new).exists(), (old, new)


# ---------------------------------------------------------------- reading comfort

def test_code_lines_fit_a_laptop_screen():
    """extra.css fits 119 characters of code on a 1366 px wide screen (measured in
    Chromium; tests/test_browser.py checks it on the real pages); keep a margin."""
    md = MarkdownIt("commonmark")
    long = []
    for source in book.nav(ROOT):
        for token in md.parse((ROOT / "docs" / source).read_text(encoding="utf-8")):
            if token.type == "fence" and 'exec="on"' not in token.info:
                long += [f"docs/{source}:{token.map[0] + 2 + i}: {len(line)} characters"
                         for i, line in enumerate(token.content.split("\n")) if len(line) > 115]
    assert not long, "\n".join(long)


def test_the_site_serves_pyodide_and_the_runner_itself_and_no_page_loads_pyodide(site):
    """npm ci installs Pyodide (and the editor) as package.json and its lock file pin them;
    the build copies the five files of Pyodide a standard-library program needs into
    pyodide/, and the runner into runner/ (CI requires them). The site grows by at most
    15 MB, every page with example blocks lists exactly those, and no page asks for a
    file of Pyodide when it loads (the runner's worker does, on the first Run)."""
    folder = hooks.pyodide_folder()
    if folder is None:
        pytest.skip("node_modules/pyodide is not installed (npm ci)")
    copied = site / hooks.PYODIDE
    assert sorted(p.name for p in copied.iterdir()) == sorted(hooks.PYODIDE_FILES)
    assert all((copied / name).read_bytes() == (folder / name).read_bytes() for name in hooks.PYODIDE_FILES)
    made = sorted(p.relative_to(site / runner.RUNNER).as_posix() for p in (site / runner.RUNNER).rglob("*") if p.is_file())
    checks = sorted({e.check[0] for e in exercises.every(ROOT).values()} | {exercises.SHARED})
    assert made == sorted(["book.json", "editor.js", "harness.py", "names.txt", "runner.js", "worker.js",
                           "inside.js", "inside.py", "figures.py", *checks])
    grown = sum(p.stat().st_size for folder in (copied, site / runner.RUNNER) for p in folder.rglob("*") if p.is_file())
    assert grown <= 15 * 2**20, f"the runner adds {grown / 2**20:.1f} MB"
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["pyodide"]
    assert json.loads((folder / "package.json").read_text())["version"] == pinned
    loading = [p.relative_to(site).as_posix() for p in site.rglob("*.html")
               if re.search(rf'(src|href)="[^"]*{hooks.PYODIDE}/', p.read_text(encoding="utf-8"))]
    assert not loading, loading
    blocks = runner.tangle_map(ROOT)[1]
    for file, page in book.pages(ROOT).items():
        html = (site / page_path(file) / "index.html").read_text(encoding="utf-8")
        found = re.findall(r'<div class="runner-blocks" hidden data-site="[^"]*"'
                           r'(?: data-python-bytes="\d+")? data-blocks="([^"]*)"', html)
        listed = [json.loads(htmllib.unescape(f)) for f in found]
        text = (ROOT / "docs" / file).read_text(encoding="utf-8")
        data = runner.page_data(file, page, blocks, text)
        has = data["examples"] or data["package"] or data["exercises"]
        assert listed == ([data] if has else []), file
    assert "runner-blocks" not in (site / "print_page" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_failing_build_time_block_names_its_page(tmp_path):
    """A strict build of a copy of the book in which one build-time block fails (about 30 s)."""
    for name in ("docs", "microgpt", "tools"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "pyproject.toml", "names.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tests" / "data", tmp_path / "tests" / "data")  # the preface's notebook reads it
    chapter = tmp_path / "docs" / "02-tokenizer.md"
    chapter.write_text(chapter.read_text() + '\n```python exec="on"\nraise RuntimeError("a broken block")\n```\n')
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"})
    assert result.returncode != 0
    # markdown-exec's step or the notebooks' (which runs the block too, and may come first) names the page
    assert re.search(r"docs/02-tokenizer\.md: (markdown_exec: Execution of python code block exited with errors"
                     r"|its notebook: RuntimeError: a broken block)", result.stderr), result.stderr[-2000:]
