"""mkdocs hooks for the book (registered under `hooks:` in mkdocs.yml).

What they do, in the order of a build:

- re-tangle the chapters into microgpt/ before anything is built, so markdown-exec and
  mkdocstrings see the code the chapters show;
- draw the formulas as SVG when the site is built (MathJax in one Node process, tools/math.mjs),
  so that no page loads MathJax; without Node, show them as TeX with a note;
- give every chapter's title a permanent anchor, and end every chapter with a link to its
  modules' API pages and a *Cite this chapter* box;
- on every API page, say which chapters write the module, with links;
- in every chapter, link the first bold occurrence of each term of the glossary to its
  entry, and give the glossary's "introduced in" links their section numbers (see
  tools/glossary.py for why the links are made here);
- number each chapter's sections ("3.2", "3.2.1") in the page, its table of contents, the
  search index and the print edition, without touching their anchors.
- open each chapter with a box of its facts (objectives, assumed chapters, reading time)
  and show each exercise's kind, difficulty and minutes under its heading (with_facts);
- keep the words of a page that are for some editions only in those (exercises.for_edition).

Which page is a chapter, and its anchors: tools/book.py (file names never change once
published, so neither do the anchors made from them). Where each citation field comes from:
tools/cite.py (and ``metadata`` below). A page of the unreleased draft says so.
"""

import datetime
import html as htmllib
import logging
import os
import posixpath
import json
import re
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

# The one place outside pytest (pyproject.toml's pythonpath) that puts tools/ on the path:
# mkdocs loads this file by its path, and the chapters' build-time blocks import tools/ too.
TOOLS = str(Path(__file__).resolve().parent)
sys.path.insert(0, TOOLS)

import book  # noqa: E402
import cite  # noqa: E402
import exercises  # noqa: E402
import glossary  # noqa: E402
import notebooks  # noqa: E402
import pdf  # noqa: E402
import runner  # noqa: E402
import tangle  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- re-tangling

_page = {}  # the page being converted now: markdown-exec's messages do not name it


class _NamePage(logging.Filter):
    """Put the page's path before markdown-exec's report of a failing build-time block."""

    def filter(self, record):
        if "src" in _page:
            record.msg = f"docs/{_page['src']}: {record.msg}"
        return True


logging.getLogger("mkdocs.plugins.markdown_exec._internal.formatters.base").addFilter(_NamePage())
log = logging.getLogger("mkdocs.hooks.microgpt")
_writers = {}  # this build's writers(): {module: [chapters]}
_book = {}  # this build's book.pages(): {file: Page}
_glossary = {}  # this build's glossary: "table" {spelling: entry}, "labels" {(file, anchor): "§3.2"}


def on_pre_build(config, **kwargs):
    """Re-tangle before every build, so pages built at build time by markdown-exec and
    mkdocstrings see the code the chapters show; then read this build's pages and glossary."""
    try:
        for module in tangle.write():
            print(f"mkdocs hook: re-tangled {module} from the chapters", file=sys.stderr)
        _writers.clear()
        _writers.update(writers())
        _book.clear()
        _book.update(book.pages(Path(config["docs_dir"]).parent))
        table = glossary.index(glossary.read(config["docs_dir"]))
    except (ValueError, SystemExit) as e:  # the book's own one-line errors, not tracebacks
        raise PluginError(str(e)) from None
    # What the glossary's [§] links say: "§3.2" for a section, "chapter 3" for a chapter's title.
    labels = {}
    for page in _book.values():
        if page.number is not None:
            labels[(page.file, page.anchor)] = f"chapter {page.number}" if page.number else "the preface"
            labels.update({(page.file, s.anchor): f"§{s.label}" for s in page.sections if s.label and s.anchor})
    _glossary.clear()
    _glossary.update(table=table, labels=labels)


# ---------------------------------------------------------------- math, drawn at build time

MATH_CSS = "stylesheets/math.css"  # what the drawn formulas need (MathJax's own stylesheet)
MATH_SCRIPT = Path(TOOLS) / "math.mjs"
# A formula as pymdownx.arithmatex (generic) leaves it: \(...\) in a span, \[...\] in a div.
ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
MATH_NOTE = ('<p class="mg-math-note" role="note">The formulas of this page are shown as TeX: this copy of '
             'the site was built without MathJax (<code>npm ci</code> installs it; then build the site again).</p>')
_math = {}  # this build's renderer: "node" (the process), "cache" {key: drawn}, "file", "new", "seconds"


def start_math(root=ROOT):
    """Start tools/math.mjs, one Node process for the whole build; return MathJax's stylesheet,
    or None when Node or node_modules/mathjax-full is absent (then formulas stay TeX)."""
    stop_math()
    package = root / "node_modules" / "mathjax-full" / "package.json"
    if shutil.which("node") is None or not package.is_file():
        log.info("microgpt: no node_modules/mathjax-full or no Node (run: npm ci): "
                 "the formulas are shown as TeX")
        return None
    import hashlib
    import subprocess
    version = json.loads(package.read_text(encoding="utf-8"))["version"]
    stamp = hashlib.sha256(MATH_SCRIPT.read_bytes() + version.encode()).hexdigest()[:16]
    cache = root / ".cache" / f"math-{stamp}.json"  # drawn formulas, kept between builds
    node = subprocess.Popen(["node", str(MATH_SCRIPT)], cwd=root, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, encoding="utf-8")
    first = node.stdout.readline()
    if not first:
        raise PluginError("tools/math.mjs could not start MathJax (see the error above)")
    _math.update(node=node, file=cache, new=0, seconds=0.0,
                 cache=json.loads(cache.read_text(encoding="utf-8")) if cache.is_file() else {})
    return json.loads(first)["css"]


def draw_math(html, src):
    """Put each formula of a page's HTML drawn as SVG (with its MathML for screen readers
    and search) in place of its TeX; the glyphs the page's formulas use, once, at its end.
    The formulas not in the cache go to MathJax together, in one message."""
    found = [(m, htmllib.unescape(m.group(2)).strip()) for m in ARITHMATEX.finditer(html)]
    if not found:
        return html
    if "node" not in _math:  # under the title: print-site reads a page's first heading
        return re.sub(r"(</h1>)", rf"\1{MATH_NOTE}", html, count=1) if "</h1>" in html else MATH_NOTE + html
    formulas = [(source[2:-2].strip(), source.startswith("\\[")) for _, source in found]
    keys = [f"{int(display)}{tex}" for tex, display in formulas]
    missing = list({key: (tex, display) for key, (tex, display) in zip(keys, formulas)
                    if key not in _math["cache"]}.items())
    if missing:
        started = time.monotonic()
        node = _math["node"]
        node.stdin.write(json.dumps([formula for _, formula in missing]) + "\n")
        node.stdin.flush()
        answer = node.stdout.readline()
        if not answer:
            raise PluginError(f"docs/{src}: MathJax (tools/math.mjs) ended while drawing the formulas")
        for (key, (tex, _)), drawn in zip(missing, json.loads(answer)):
            if "error" in drawn:
                raise PluginError(f"docs/{src}: the formula {tex!r} is not valid TeX: {drawn['error']}")
            _math["cache"][key] = drawn
        _math["new"] += len(missing)
        _math["seconds"] += time.monotonic() - started
    glyphs, parts, at = {}, [], 0
    for (match, _), key in zip(found, keys):
        drawn = _math["cache"][key]
        glyphs.update(drawn["glyphs"])
        parts += [html[at:match.start()], f'<{match.group(1)} class="arithmatex">{drawn["html"]}</{match.group(1)}>']
        at = match.end()
    paths = "".join(f'<path id="{id}" d="{d}"></path>' for id, d in sorted(glyphs.items()))
    defs = f'<svg class="mg-math-glyphs" aria-hidden="true" style="display:none"><defs>{paths}</defs></svg>'
    return "".join(parts) + html[at:] + defs


# ---------------------------------------------------------------- search

# For a term a chapter defines, the chapter comes first: the section that introduces a
# term of the glossary counts four times as much as another, an API page or an exercise
# that uses the term half as much (Material's search boost, per page or per section).
SEARCH_BOOST = {"defines": 4, "api": 0.5, "exercise": 0.5}


def boost_sections(site_dir):
    """Give the sections of the search index their boosts: front matter can only boost a
    whole page, and an exercise, like a section that defines a term, is part of a chapter."""
    path = Path(site_dir) / "search" / "search_index.json"
    if not path.is_file():
        return
    defines = {f"{posixpath.splitext(file)[0]}/#{anchor}" for file, anchor in
               (entry["introduced"] for entry in _glossary.get("table", {}).values() if entry["introduced"])}
    index = json.loads(path.read_text(encoding="utf-8"))
    for entry in index["docs"]:
        if "#exercise-" in entry["location"]:
            entry["boost"] = entry.get("boost", 1) * SEARCH_BOOST["exercise"]
        elif entry["location"] in defines:
            entry["boost"] = entry.get("boost", 1) * SEARCH_BOOST["defines"]
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# The search index holds the prose, not the code blocks: every line of those is the prose's
# subject, and the index is fetched by every page as it loads (with them, 0.7 MB; without,
# less). Inline code and the API's signatures and docstrings stay searchable.
CODE_BLOCKS = ('<div class="highlight">', '<details class="mkdocstrings-source">')


SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'


def name_search(html):
    """The theme's search dialog has no name (axe-core: aria-dialog-name); give it one."""
    return html.replace(SEARCH_DIALOG, SEARCH_DIALOG[:-1] + ' aria-label="Search the book">', 1)


def stop_math():
    """End the renderer; keep what it drew for the next build."""
    node = _math.pop("node", None)
    if node is None:
        return
    node.stdin.close()
    node.wait()
    log.info(f"microgpt: the math: {_math['new']} formulas drawn by MathJax in {_math['seconds']:.1f} s, "
             f"{len(_math['cache']) - _math['new']} from the cache")
    if _math["new"]:
        _math["file"].parent.mkdir(exist_ok=True)
        temporary = _math["file"].with_suffix(".tmp")
        temporary.write_text(json.dumps(_math["cache"]), encoding="utf-8")
        temporary.replace(_math["file"])


# ---------------------------------------------------------------- Pyodide

PYODIDE = "pyodide"  # the site's folder for the Python that will run the blocks in the page
# The five files of Pyodide a standard-library-only program needs (about 13 MB).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json")


def pyodide_folder(root=ROOT):
    """node_modules/pyodide, as `npm ci` installs it from package.json; None if it is absent."""
    folder = root / "node_modules" / "pyodide"
    return folder if all((folder / name).is_file() for name in PYODIDE_FILES) else None


_runner = {}  # this build's runner: "folder" (its made files), "blocks" (the tangle map's blocks)


def on_files(files, config, **kwargs):
    """MathJax's stylesheet for the drawn formulas (stylesheets/math.css); and, when npm has
    installed them, Pyodide's files (pyodide/) and the runner (runner/: tools/page/, the
    editor, the tangle map). Without them, say so in one line: the site has no Run buttons."""
    if _math.get("css"):
        files.append(File.generated(config, MATH_CSS, content=_math["css"]))
    takeaway(files, config)
    _runner.clear()
    folder = pyodide_folder()
    made = tempfile.mkdtemp(prefix="microgpt-runner-")
    try:
        extra = runner.site_files(ROOT, made) if folder else {}
    except RuntimeError as e:
        raise PluginError(str(e)) from None
    if not extra:
        shutil.rmtree(made)
        log.info("microgpt: no node_modules/pyodide or no Node (run: npm ci): "
                 "the site is built without Python in the page")
        return files
    _runner.update(folder=made, blocks=runner.tangle_map(ROOT)[1],
                   bytes=sum((folder / name).stat().st_size for name in PYODIDE_FILES))  # "starting Python (14 MB…"
    for name in PYODIDE_FILES:
        files.append(File.generated(config, f"{PYODIDE}/{name}", abs_src_path=str(folder / name)))
    for path, source in extra.items():
        files.append(File.generated(config, path, abs_src_path=str(source)))
    return files


# ---------------------------------------------------------------- notebooks and the PDF

def pdf_wanted(environ=os.environ):
    """Whether this build prints the book to a PDF (about a minute): MICROGPT_PDF=1."""
    return environ.get("MICROGPT_PDF") == "1"


def takeaway(files, config):
    """A notebook for every chapter (tools/notebooks.py), in the edition being built; and,
    when the PDF is wanted, its place in the site (printed once the print page is written)."""
    edition = config["extra"].get("edition") or "reader"
    for file, page in _book.items():
        if page.number is not None:
            text = (Path(config["docs_dir"]) / file).read_text(encoding="utf-8")
            try:
                made = notebooks.make(file, text, edition, config["extra"]["book"])
            except Exception as e:  # a build-time block that fails, a notebook nbformat refuses
                raise PluginError(f"docs/{file}: its notebook: {type(e).__name__}: {' '.join(str(e).split())}")
            files.append(File.generated(config, notebooks.name(file), content=notebooks.nbformat.writes(made)))
    if pdf_wanted():
        files.append(File.generated(config, pdf.NAME, content=b""))


def downloads(src):
    """The Markdown of the buttons at the top of a chapter: its notebook, and the PDF if built."""
    links = [f"[Notebook (.ipynb)]({get_relative_url(notebooks.name(src), src)})"
             f'{{ .md-button download="{posixpath.basename(notebooks.name(src))}" }}']
    if pdf_wanted():
        links.append(f'[The book as a PDF]({get_relative_url(pdf.NAME, src)}){{ .md-button download="{pdf.NAME}" }}')
    return '<div class="mg-takeaway" markdown>\n' + " ".join(links) + "\n</div>"


def on_post_page(output, page, config, **kwargs):
    """What a page needs beyond its Markdown: a chapter's citation_* tags in its head; on
    every page of the draft, a banner saying so; where a cite box waits for the page's own
    address, the script that fills it in; and the runner's list of blocks and its script."""
    output = name_search(output)
    meta, chapter = config["extra"]["book"], _book.get(page.file.src_uri)
    site = "../" * page.url.count("/") or "./"
    if chapter is not None and chapter.number is not None:
        record = cite.chapter_record(meta, chapter.number, chapter.title,
                                     chapter_url(meta, page.url, chapter.anchor))
        output = output.replace("</head>", cite.highwire(record) + "</head>", 1)
    if meta["edition"] is None:
        banner = (f'<div class="mg-draft" role="note"><strong>Draft.</strong> This is the unreleased text '
                  f'of the book, and it changes; to cite it, cite a released edition '
                  f'(<a href="{site}cite/#editions">how</a>).</div>')
        article = '<article class="md-content__inner md-typeset">'
        output = output.replace(article, article + banner, 1)
    if cite.PAGE_URL in output or cite.SITE_URL in output:
        output = output.replace("</body>", f'<script defer src="{site}javascripts/cite.js"></script></body>', 1)
    if not _runner or chapter is None:
        return output
    if 'class="mg-inside"' in output:  # a widget of tools/page/inside.js waits to be filled in
        output = output.replace("</body>", f'<script defer src="{site}{runner.RUNNER}/inside.js"></script></body>', 1)
    text = (Path(config["docs_dir"]) / page.file.src_uri).read_text(encoding="utf-8")
    data = runner.page_data(page.file.src_uri, chapter, _runner["blocks"], text)
    if not data["examples"] and not data["package"] and not data["exercises"]:
        return output
    tail = (f'<div class="runner-blocks" hidden data-site="{site}" data-python-bytes="{_runner["bytes"]}" '
            f'data-blocks="{htmllib.escape(json.dumps(data), quote=True)}"></div>'
            f'<script defer src="{site}{runner.RUNNER}/runner.js"></script>')
    return output.replace("</body>", tail + "</body>", 1)


def on_build_error(error, **kwargs):
    stop_math()


# ---------------------------------------------------------------- the page's panels in print

PANEL = re.compile(r'(<div class="runner-panel" data-panel="\w+")>(.*?)</div>', re.S)
NO_PYTHON = ('<p class="runner-note">This copy of the site was built without the page\'s Python '
             '(<code>npm ci</code> installs it; then build the site again).</p>')


def print_panels(html):
    """A panel of chapters 7 and 8 holds one sentence of what it does in the page. The
    sentence is also its data-print, which print shows in place of the panel (runner.js
    puts the panel's controls in place of the sentence); a site built without the page's
    Python says so under it."""
    def panel(match):
        words = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", match.group(2))).split())
        note = "" if _runner else NO_PYTHON
        return f'{match.group(1)} data-print="{htmllib.escape(words)}">{match.group(2)}{note}</div>'
    return PANEL.sub(panel, html)


# ---------------------------------------------------------------- the book's metadata

DRAFT = "draft"  # the name mike deploys the unreleased text under (/draft/): not an edition


def metadata(root=ROOT, environ=os.environ):
    """Title, authors, version, year and address of the book, each from its one source;
    the edition being built (mike deploy's MIKE_DOCS_VERSION; None: the unreleased draft)
    and the date of the build (SOURCE_DATE_EPOCH's, if set, for a reproducible build)."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    project, about = pyproject["project"], pyproject["tool"]["microgpt-book"]
    stamp, edition = environ.get("SOURCE_DATE_EPOCH"), environ.get("MIKE_DOCS_VERSION", DRAFT)
    when = datetime.datetime.fromtimestamp(int(stamp), datetime.UTC) if stamp else datetime.datetime.now()
    return {
        "title": about["title"],
        "year": int(about["year"]),
        "version": project["version"],
        "authors": [author["name"] for author in project["authors"]],
        "address": (book.config(root).get("site_url") or "").strip(),
        "edition": None if edition in ("", DRAFT) else edition,
        "date": when.strftime("%Y-%m-%d"),
    }


def chapter_url(meta, page_url, anchor=None):
    """A page's permanent address (with #anchor, if given), in the edition being built:
    address/edition/page/. None if the site has no address yet (mkdocs.yml's site_url)."""
    if not meta["address"]:
        return None
    base = meta["address"].rstrip("/") + (f"/{meta['edition']}" if meta["edition"] else "")
    return f"{base}/{page_url}" + (f"#{anchor}" if anchor else "")


def cite_chapter_box(meta, chapter, page_url):
    """The Markdown of a chapter's *Cite this chapter* box."""
    url = chapter_url(meta, page_url, chapter.anchor)
    return cite.box(cite.chapter_record(meta, chapter.number, chapter.title, url), "Cite this chapter")


def cite_book_box(meta):
    """The Markdown of the box citing the whole book (for the How to cite page)."""
    return cite.box(cite.book_record(meta, chapter_url(meta, "")), "Cite this book")


# ---------------------------------------------------------------- API pages

def api_page(module):
    """The API page of a generated module: microgpt/autograd.py -> api/autograd.md.
    The package itself (__init__.py) is api/index.md; __main__.py is api/main.md."""
    name = posixpath.splitext(posixpath.basename(module))[0]
    return "api/" + {"__init__": "index", "__main__": "main"}.get(name, name) + ".md"


def dotted(module):
    """microgpt/autograd.py -> microgpt.autograd; microgpt/__init__.py -> microgpt."""
    name = posixpath.splitext(module)[0].replace("/", ".")
    return name.removesuffix(".__init__")


def writers(root=ROOT):
    """{module path: [chapter paths under docs/, in reading order]} from the tangler."""
    found = {}
    for module, chapter, *_ in tangle.blocks(root):
        found.setdefault(module, {})[chapter.removeprefix("docs/")] = None  # a dict: once each, in order
    return {module: list(chapters) for module, chapters in found.items()}


# ---------------------------------------------------------------- the hooks' page work

def on_config(config, **kwargs):
    # Build-time blocks (markdown-exec) may import tools/ (tangle, and this
    # file as mkdocs_hooks); mkdocs takes tools/ off sys.path after loading us.
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    meta = metadata(Path(config["config_file_path"]).parent)
    if config["site_name"] != meta["title"]:
        raise PluginError(f"mkdocs.yml site_name {config['site_name']!r} differs from pyproject.toml "
                          f"[tool.microgpt-book] title {meta['title']!r}; make them equal")
    config["extra"]["book"] = meta
    if meta["edition"]:  # built by mike deploy: the theme's selector lists the editions (versions.json)
        config["extra"]["version"] = {"provider": "mike"}
    _math["css"] = start_math(Path(config["config_file_path"]).parent)
    if _math["css"] and MATH_CSS not in config["extra_css"]:
        config["extra_css"].append(MATH_CSS)
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    meta = config["extra"]["book"]
    src = _page["src"] = page.file.src_uri
    if src.startswith("api/"):  # as `search: boost:` front matter would, on every API page
        page.meta.setdefault("search", {}).setdefault("boost", SEARCH_BOOST["api"])
    if not pdf_wanted():  # "a [PDF](microgpt-book.pdf)" says "a PDF" in a site built without one
        markdown = re.sub(rf"\[([^\]]*)\]\((?:\.\./)*{re.escape(pdf.NAME)}\)", r"\1", markdown)
    chapter = _book.get(src)
    if chapter is not None and chapter.number is not None:
        try:  # the reader's, the teacher's or the student's edition (mkdocs.yml's extra.edition)
            markdown = exercises.edition(markdown, config["extra"].get("edition") or "reader", f"docs/{src}")
        except ValueError as e:
            raise PluginError(str(e)) from None
        first, _, rest = markdown.lstrip("\ufeff").partition("\n")
        rest, _linked = glossary.link_terms(rest, _glossary.get("table", {}),
                                            get_relative_url(glossary.GLOSSARY, src))
        rest = with_facts(rest, chapter, Path(config["docs_dir"]))
        if chapter.sections[0].anchor is None:
            first = f"{first.rstrip()} {{#{chapter.anchor}}}"
        modules = [m for m, chapters in _writers.items() if src in chapters]
        tail = []
        if modules:
            links = ", ".join(f"[`{dotted(m)}`]({get_relative_url(api_page(m), src)})" for m in modules)
            tail.append(f"**API reference:** {links}.")
        tail.append(cite_chapter_box(meta, chapter, page.url))
        return first + "\n\n" + downloads(src) + "\n" + rest.rstrip("\n") + "\n\n" + "\n\n".join(tail) + "\n"
    try:  # a page that is no chapter may have words for some editions only, too
        markdown = exercises.for_edition(markdown, config["extra"].get("edition") or "reader", f"docs/{src}")
    except ValueError as e:
        raise PluginError(str(e)) from None
    if src == glossary.GLOSSARY:
        try:
            return glossary.number_links(markdown, _glossary.get("labels", {}))
        except ValueError as e:
            raise PluginError(str(e)) from None
    match = re.search(rf"^::: ({tangle.PACKAGE}(?:\.\w+)?)\s*$", markdown, re.M)
    if src.startswith("api/") and match:
        module = next((m for m in _writers if dotted(m) == match.group(1)), None)
        if module is None:
            raise PluginError(f"{src}: no chapter writes {match.group(1)}")
        chapters = _writers[module]
        links = [f"[{_book[c].number}. {_book[c].title}]({get_relative_url(c, src)})" for c in chapters]
        links = " and ".join([", ".join(links[:-1]), links[-1]] if len(links) > 1 else links)
        note = (f"`{module}` is written by {'chapter' if len(chapters) == 1 else 'chapters'} "
                f"{links}; what follows is generated from its docstrings and code.")
        return markdown[:match.start()] + note + "\n\n" + markdown[match.start():]
    return markdown


# ---------------------------------------------------------------- syllabus facts

def with_facts(markdown, chapter, docs):
    """A chapter's Markdown (after its title) with its facts: first a box saying what the
    reader will be able to do, which chapters it assumes and its reading time (computed
    from its words of prose, book.reading_minutes); then, under each exercise's heading,
    its kind, difficulty and the authors' estimate of its time. A chapter without front
    matter (the preface) gets no box."""
    try:
        found = {e.anchor: e for e in exercises.of_page(chapter.file, (docs / chapter.file).read_text(encoding="utf-8"))}
    except ValueError as e:
        raise PluginError(str(e)) from None
    lines = []
    for line in markdown.split("\n"):
        lines.append(line)
        anchor = re.match(r"### .*\{#(exercise-\d+-\d+)[\s}]", line)
        if anchor and anchor.group(1) in found:
            e = found[anchor.group(1)]
            lines += ["", f'<p class="mg-exercise-facts">Kind: {e.kind} · Difficulty: {e.difficulty} of '
                          f'{max(exercises.DIFFICULTIES)} · Time: about {e.minutes} minutes '
                          f'(the authors\' estimate)</p>']
    if chapter.objectives is None:
        return "\n".join(lines)
    numbers = {p.number: p for p in _book.values() if p.number is not None}
    assumed = [f"[{n}. {numbers[n].title}]({get_relative_url(numbers[n].file, chapter.file)})"
               for n in chapter.assumes if n in numbers]
    minutes = book.reading_minutes(chapter)
    box = ['!!! abstract "In this chapter"', "    After it, you will be able to:", ""]
    box += [f"    - {objective}" for objective in chapter.objectives]
    box += ["", "    It assumes " + (", ".join(assumed) if assumed else "no earlier chapter") + ".",
            f"    Reading time: about {minutes} minutes ({chapter.words:,} words of prose, at "
            f"{book.WORDS_PER_MINUTE} words a minute; the exercises' times are their own).", ""]
    return "\n".join(box + lines)


def number_sections(html, labels):
    """Put each section's number ("3.2", "3.2.1", from book.py) before the text of
    its h2 or h3, found by the heading's anchor; the anchors are unchanged."""
    def number(match):
        label = labels.get(htmllib.unescape(match.group(2)))
        return f'{match.group(0)}<span class="section-number">{label}</span> ' if label else match.group(0)
    return re.sub(r'<h([23])\b[^>]*\bid="([^"]*)"[^>]*>', number, html)


def _number_toc(items, numbers):
    for item in items:
        if item.id in numbers:
            item.title = f'<span class="section-number">{numbers[item.id]}</span> {item.title}'
        _number_toc(item.children, numbers)


# A relative link to a Markdown file, as build-time blocks print them.
MD_LINK = re.compile(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#)([^"#?]*\.md)(#[^"]*)?"')


def fix_md_links(html, page, files):
    """Point links to .md files at the pages' URLs. mkdocs rewrites the links
    of a page's own Markdown, but not those in the output of markdown-exec
    blocks (tables of chapters, API links); this does the same for them."""
    def url(match):
        folder = posixpath.dirname(page.file.src_uri)
        target = files.get_file_from_path(posixpath.normpath(posixpath.join(folder, match.group(1))))
        if target is None:
            raise PluginError(f"{page.file.src_uri}: a build-time block links to a missing "
                              f"page {match.group(1)}")
        return f'href="{target.url_relative_to(page.file)}{match.group(2) or ""}"'
    return MD_LINK.sub(url, html)


@event_priority(100)  # before print-site copies each page's HTML into the print edition
def on_page_content(html, page, config, files, **kwargs):
    html = draw_math(fix_md_links(html, page, files), page.file.src_uri)
    html = print_panels(html)
    for block in CODE_BLOCKS:
        html = html.replace(block, block[:-1] + " data-search-exclude>")
    chapter = _book.get(page.file.src_uri)
    if chapter is None or chapter.number is None:
        return html
    numbers = {s.anchor: s.label for s in chapter.sections if s.label and s.anchor}
    _number_toc(page.toc, numbers)
    html = notebooks.number_figures(html, chapter.number)  # Figure 6.2, here, in print and in the notebook
    return number_sections(html, numbers)


@event_priority(-100)  # after print-site has written the print page
def on_post_build(config, **kwargs):
    """End the math's Node process; give the search index's sections their boosts. And
    fixes to the print page of mkdocs-print-site: its search dialog is named as every
    page's is (name_search). It turns a link to the
    home page ("../") into "#.", an anchor that does not exist; point it at
    the preface's section, "#index". And it prefixes the ids of headings with
    their page's name, but not other ids: give the glossary's entries
    (<strong id="term-adam">) the prefix that the links to them got
    ("#glossary-term-adam")."""
    stop_math()
    boost_sections(config["site_dir"])
    if _runner:
        shutil.rmtree(_runner["folder"], ignore_errors=True)
    path = Path(config["site_dir"]) / "print_page" / "index.html"
    if path.exists():
        html = name_search(path.read_text(encoding="utf-8")).replace('href="#."', 'href="#index"')
        prefix = posixpath.splitext(glossary.GLOSSARY)[0] + "-"
        html = re.sub(r'(<strong\b[^>]*\sid=")(term-[^"]*")', rf"\g<1>{prefix}\g<2>", html)
        path.write_text(html, encoding="utf-8")
    if pdf_wanted():
        try:
            pdf.make(config["site_dir"], Path(config["site_dir"]) / pdf.NAME, config["extra"]["book"])
        except Exception as e:  # Chromium's or poppler's, in one line
            raise PluginError(f"MICROGPT_PDF=1: the PDF could not be printed: {' '.join(str(e).split())}")
