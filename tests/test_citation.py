"""Citations: every chapter ends with a *Cite this chapter* box made from one record
(pyproject.toml, mkdocs.yml and the edition being built), in BibTeX that a real
bibliography tool parses and formats, CSL-JSON and RIS, and carries the citation_* tags
in its head; the How to cite page cites the whole book from the same record; CITATION.cff
agrees with it and is valid CFF 1.2 (cffconvert); the publishing workflow builds what CI
builds; and two editions built with mike each have their own permanent addresses."""

import datetime
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from pybtex import errors as pybtex_errors
from pybtex.database import parse_string
from pybtex.plugin import find_plugin

import book
import cite
import mkdocs_hooks as hooks

ROOT = Path(__file__).resolve().parent.parent


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
ADDRESS = book.config(ROOT)["site_url"]  # empty until the book is published
VERSION = PYPROJECT["project"]["version"]
BOOK = PYPROJECT["tool"]["microgpt-book"]


@pytest.fixture(scope="module")
def site(built_site):
    """The built site: the session's one strict build (tests/conftest.py)."""
    return built_site


def page_path(source):
    """Where mkdocs puts a page: index.md -> '', api/index.md -> 'api/', a.md -> 'a/'."""
    if source == "index.md" or source.endswith("/index.md"):
        return source.removesuffix("index.md")
    return source.removesuffix(".md") + "/"


def chapters():
    """(source file, page path in the site, chapter number) for every numbered chapter."""
    return [(chapter, page_path(chapter), page.number) for chapter, page in book.pages(ROOT).items()
            if page.number is not None]


def text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def boxes(page_html, title):
    """The text of each admonition titled `title`: ([its code blocks' text], the rest)."""
    found = []
    head = '<div class="admonition quote">\n<p class="admonition-title">' + title + "</p>"
    for match in re.finditer(re.escape(head), page_html):
        depth, i = 1, match.end()
        for tag in re.compile(r"<(/?)div\b").finditer(page_html, i):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                body = page_html[match.end():tag.start()]
                break
        codes = [text(code) for code in re.findall(r"<code>(.*?)</code>", body, re.S)]
        found.append((codes, text(re.sub(r"<pre.*?</pre>", "", body, flags=re.S))))
    return found


def bibtex_entry(source):
    """(type, key, fields) of the one entry of a BibTeX text, read by pybtex."""
    data = parse_string(source, "bibtex")
    assert len(data.entries) == 1, source
    (key, entry), = data.entries.items()
    fields = {name.lower(): value for name, value in entry.fields.items()}
    for name in ("title", "booktitle"):   # braced whole, to keep their capitals
        if name in fields:
            assert fields[name].startswith("{") and fields[name].endswith("}"), (name, fields[name])
            fields[name] = fields[name][1:-1]
    fields["author"] = " and ".join(str(person).strip("{}") for person in entry.persons.get("author", []))
    return entry.type, key, fields


def biber_warnings(entries, folder):
    """What biber, biblatex's own back end, says of BibTeX entries when it checks them
    against biblatex's data model (required fields, known fields and types)."""
    (Path(folder) / "entries.bib").write_text("\n\n".join(entries) + "\n", encoding="utf-8")
    result = subprocess.run(["biber", "--tool", "--validate-datamodel", "entries.bib"], cwd=folder,
                            capture_output=True, text=True)
    said = (result.stdout + result.stderr).splitlines()
    assert any(line.startswith("INFO - Output to") for line in said), "\n".join(said[-10:])  # biber ran
    return [line for line in said if line.startswith(("WARN", "ERROR"))]


needs_biber = pytest.mark.skipif(shutil.which("biber") is None,
                                 reason="biber is not installed (apt-get install biber; CI installs it)")


def formatted(source, style):
    """The entry formatted by pybtex's classic style, as text; any warning is an error."""
    pybtex_errors.set_strict_mode(True)
    try:
        data = parse_string(source, "bibtex")
        formatter = find_plugin("pybtex.style.formatting", style)()
        return [e.text.render_as("text") for e in formatter.format_bibliography(data).entries][0]
    finally:
        pybtex_errors.set_strict_mode(False)


def tabs(codes):
    """A box's three formats, in the order it shows them: BibTeX, CSL-JSON, RIS."""
    assert len(codes) == 3, codes
    return codes[0], json.loads(codes[1]), dict(line.split("  - ", 1) if "  - " in line else (line.strip(" -"), "")
                                                for line in codes[2].split("\n"))


def test_every_chapter_ends_with_its_citation_in_three_formats_and_its_head_has_the_tags(site):
    assert len(chapters()) >= 13
    for chapter, page, number in chapters():
        page_html = (site / page / "index.html").read_text(encoding="utf-8")
        found = boxes(page_html, "Cite this chapter")
        assert len(found) == 1, f"{chapter}: {len(found)} citation boxes"
        (bib, csl, ris), plain = tabs(found[0][0]), found[0][1]
        anchor = "preface" if chapter == "index.md" else chapter.removesuffix(".md")
        assert f'<h1 id="{anchor}">' in page_html, f"{chapter}: the cited anchor is not the title's"
        title = text(re.search(r"<h1[^>]*>(.*?)</h1>", page_html, re.S).group(1)).rstrip("¶").split(". ", 1)[1]
        url = hooks.chapter_url(hooks.metadata(), page, anchor) or cite.PAGE_URL  # the draft's: the page's own

        kind, key, fields = bibtex_entry(bib)
        assert (kind, key) == ("incollection", f"microgpt-book-ch{number:02d}")
        assert (fields["title"], fields["booktitle"], fields["chapter"]) == (title, BOOK["title"], str(number))
        assert (fields["year"], fields["url"]) == (str(BOOK["year"]), url)
        assert "Unreleased draft" in fields["note"] and VERSION in fields["note"]   # the tests build the draft
        assert fields["author"] == " and ".join(a["name"] for a in PYPROJECT["project"]["authors"])
        item, = csl
        assert (item["type"], item["title"], item["container-title"], item["chapter-number"], item["URL"]) == \
            ("chapter", title, BOOK["title"], str(number), url)
        assert (ris["TY"], ris["TI"], ris["T2"], ris["UR"], ris["PY"]) == ("CHAP", title, BOOK["title"], url,
                                                                          str(BOOK["year"]))
        for part in (str(BOOK["year"]), BOOK["title"], f"Chapter {number}", title, "draft", url):
            assert part in plain, f"{chapter}: the plain citation lacks {part!r}"
        assert ("the address given is that of the copy you are reading" in plain) == (not ADDRESS)

        head = page_html.split("</head>")[0]
        tags = dict(re.findall(r'<meta name="(citation_(?!author)\w+)" content="([^"]*)">', head))
        assert (html.unescape(tags["citation_title"]), html.unescape(tags["citation_inbook_title"])) == \
            (title, BOOK["title"])
        assert tags["citation_publication_date"] == str(BOOK["year"])
        assert ("citation_public_url" in tags) == bool(ADDRESS)
        assert re.findall(r'<meta name="citation_author" content="([^"]*)">', head) == \
            [a["name"] for a in PYPROJECT["project"]["authors"]]


@pytest.mark.parametrize("style", ["plain", "unsrt", "alpha"])
def test_every_bibtex_entry_formats_in_a_classic_style(style):
    """pybtex, strict: a missing field or a bad name is an error, not a warning. The
    formatted text holds what a reader needs to find the chapter."""
    meta = hooks.metadata(environ={"MIKE_DOCS_VERSION": "0.2"})
    meta["address"] = "https://book.invalid/"
    for chapter in [c for c in book.pages(ROOT).values() if c.number is not None] + [None]:
        if chapter is None:
            record = cite.book_record(meta, hooks.chapter_url(meta, ""))
        else:
            page = "" if chapter.file == "index.md" else chapter.file.removesuffix(".md") + "/"
            record = cite.chapter_record(meta, chapter.number, chapter.title,
                                         hooks.chapter_url(meta, page, chapter.anchor))
        source = cite.bibtex(record)
        shown = formatted(source, style)
        for part in (record["title"], str(BOOK["year"]), record["url"]) + ((record["chapter_title"],) if chapter else ()):
            assert part in shown, f"{style} lost {part!r}: {shown}"


def entries(meta):
    """Every cite box's BibTeX entry: each chapter's and the book's."""
    found = []
    for chapter in [c for c in book.pages(ROOT).values() if c.number is not None]:
        page = "" if chapter.file == "index.md" else chapter.file.removesuffix(".md") + "/"
        found.append(cite.bibtex(cite.chapter_record(meta, chapter.number, chapter.title,
                                                     hooks.chapter_url(meta, page, chapter.anchor))))
    return found + [cite.bibtex(cite.book_record(meta, hooks.chapter_url(meta, "")))]


@needs_biber
@pytest.mark.parametrize("edition", [None, "0.2"])
def test_every_bibtex_entry_is_valid_biblatex_for_biber(edition, tmp_path):
    meta = hooks.metadata(environ={"MIKE_DOCS_VERSION": edition} if edition else {})
    assert biber_warnings(entries(meta), tmp_path) == []


def test_no_entry_claims_a_date_the_reader_looked():
    """urldate (accessed, Y2) is the day the reader read the page: the build cannot know it,
    so no format of any box gives one (the date in the note is the text's, not the reader's)."""
    meta = hooks.metadata(environ={"MIKE_DOCS_VERSION": "0.2"})
    record = cite.chapter_record(meta, 3, "Autograd", None)
    assert bibtex_entry(cite.bibtex(record))[2].keys().isdisjoint({"urldate"})
    assert "accessed" not in json.loads(cite.csl_json(record))[0]
    assert not [line for line in cite.ris(record).splitlines() if line.startswith("Y2")]
    assert meta["date"] in cite.version_note(record)


def test_the_classic_style_check_can_fail():
    entry = "@incollection{k,\n  author = {A},\n  title = {T},\n  year = {2026},\n}"   # no booktitle
    with pytest.raises(Exception):
        formatted(entry, "plain")


@needs_biber
def test_the_biblatex_check_can_fail(tmp_path):
    entry = "@incollection{k,\n  author = {A},\n  title = {T},\n  booktitle = {B},\n  year = {2026},\n}"
    assert any("editor" in w for w in biber_warnings([entry], tmp_path))   # biblatex wants the editor


def test_pages_that_are_not_chapters_have_no_chapter_citation(site):
    others = [c for c in book.nav(ROOT) if c not in {c for c, _, _ in chapters()}]
    assert "cite.md" in others and any(c.startswith("api/") for c in others)
    for chapter in others:
        page_html = (site / page_path(chapter) / "index.html").read_text(encoding="utf-8")
        assert not boxes(page_html, "Cite this chapter"), chapter
        assert 'name="citation_title"' not in page_html, chapter


def test_the_how_to_cite_page_cites_the_book_from_the_same_record(site):
    page_html = (site / "cite" / "index.html").read_text(encoding="utf-8")
    found = boxes(page_html, "Cite this book")
    assert len(found) == 1
    bib, csl, ris = tabs(found[0][0])
    kind, key, fields = bibtex_entry(bib)
    assert (kind, key) == ("book", "microgpt-book")
    assert fields["url"] == (ADDRESS or cite.SITE_URL)
    assert fields["title"] == BOOK["title"] and fields["year"] == str(BOOK["year"])
    assert (csl[0]["type"], ris["TY"]) == ("book", "BOOK")
    for _chapter, page, number in chapters():
        assert f"microgpt-book-ch{number:02d}" in page_html
    assert "CITATION.cff" in page_html


def test_every_page_of_the_draft_says_it_is_a_draft(site):
    for source in book.nav(ROOT):
        page_html = (site / page_path(source) / "index.html").read_text(encoding="utf-8")
        assert page_html.count('class="mg-draft"') == 1, source


def book_copy(tmp_path, version=None, year=None, site_url=None):
    """pyproject.toml and mkdocs.yml, copied and changed."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    mkdocs = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    if version:
        pyproject = pyproject.replace(f'version = "{VERSION}"', f'version = "{version}"', 1)
    if year:
        pyproject = pyproject.replace(f"year = {BOOK['year']}", f"year = {year}", 1)
    if site_url:
        mkdocs = mkdocs.replace('site_url: ""', f'site_url: "{site_url}"', 1)
        assert site_url in mkdocs
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(mkdocs, encoding="utf-8")
    return tmp_path


def test_the_box_follows_its_sources_and_names_the_edition_or_the_draft(tmp_path):
    root = book_copy(tmp_path, version="9.8.7", year=2031, site_url="https://book.invalid/")
    chapter = book.pages(ROOT)["03-autograd.md"]
    edition = hooks.metadata(root, environ={"MIKE_DOCS_VERSION": "0.2", "SOURCE_DATE_EPOCH": "1800000000"})
    assert (edition["version"], edition["year"], edition["address"]) == ("9.8.7", 2031, "https://book.invalid/")
    assert (edition["edition"], edition["date"]) == ("0.2", "2027-01-15")
    box = hooks.cite_chapter_box(edition, chapter, "03-autograd/")
    assert box.startswith('!!! quote "Cite this chapter"\n')
    assert "Edition 0.2, 2027-01-15" in box and "draft" not in box.lower()
    assert box.count("https://book.invalid/0.2/03-autograd/#03-autograd") == 4   # the line and three formats
    assert "{2031}" in box and "(2031)" in box and cite.PAGE_URL not in box
    draft = hooks.metadata(root, environ={"MIKE_DOCS_VERSION": hooks.DRAFT})
    assert draft["edition"] is None and hooks.metadata(root, environ={})["edition"] is None
    box = hooks.cite_chapter_box(draft, chapter, "03-autograd/")
    assert "Unreleased draft (after version 9.8.7)" in box
    assert "https://book.invalid/03-autograd/#03-autograd" in box
    (tmp_path / "unpublished").mkdir()
    unpublished = hooks.metadata(book_copy(tmp_path / "unpublished"), environ={})
    assert hooks.chapter_url(unpublished, "03-autograd/", "03-autograd") is None
    assert hooks.cite_chapter_box(unpublished, chapter, "03-autograd/").count(cite.PAGE_URL) == 4


def test_the_preface_is_cited_by_its_own_anchor():
    assert book.chapter_anchor("index.md") == "preface"
    assert book.chapter_anchor("07-training.md") == "07-training"
    assert book.chapter_anchor("07-training.md", explicit="training") == "training"
    page = book.parse("07-training.md", "# 7. Training\n\ntext")
    assert (page.number, page.title, page.anchor) == (7, "Training", "07-training")
    page = book.parse("07-training.md", "# 7. Training {#training}\n")
    assert (page.number, page.title, page.anchor) == (7, "Training", "training")
    assert book.parse("cite.md", "# How to cite\n").number is None
    preface = book.parse("index.md", "# 0. Preface\n\n## Why {#why}\n\n### How {#how}\n")
    assert (preface.anchor, [s.label for s in preface.sections]) == ("preface", ["", "0.1", "0.1.1"])


def test_the_build_refuses_a_site_name_that_is_not_the_book_title(tmp_path):
    root = book_copy(tmp_path)
    config = {"config_file_path": str(root / "mkdocs.yml"), "site_name": "Another title", "extra": {}}
    with pytest.raises(Exception, match="site_name"):
        hooks.on_config(config)
    config["site_name"] = BOOK["title"]
    assert hooks.on_config(config)["extra"]["book"]["title"] == BOOK["title"]


# ---------------------------------------------------------------- CITATION.cff

CFF = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def cffconvert(path):
    script = Path(sys.executable).parent / "cffconvert"     # the dev extra's, beside this Python
    return subprocess.run([str(script), "--validate", "-i", str(path)], capture_output=True, text=True)


def test_citation_cff_passes_cffconvert_and_a_broken_one_does_not(tmp_path):
    assert cffconvert(ROOT / "CITATION.cff").returncode == 0
    broken = tmp_path / "CITATION.cff"
    broken.write_text((ROOT / "CITATION.cff").read_text(encoding="utf-8").replace("cff-version: 1.2.0", "cff-version: 9"),
                      encoding="utf-8")
    assert cffconvert(broken).returncode != 0


def test_citation_cff_agrees_with_the_book():
    assert CFF["version"] == VERSION
    assert CFF["title"] == BOOK["title"]
    assert CFF.get("url", "") == ADDRESS   # the published address, or none yet
    assert CFF["license"] == PYPROJECT["project"]["license"]
    assert [a["name"] for a in CFF["authors"]] == [a["name"] for a in PYPROJECT["project"]["authors"]]
    released = CFF["date-released"]
    assert isinstance(released, datetime.date) and released.year == BOOK["year"]


# ---------------------------------------------------------------- addresses and editions

def test_no_file_of_the_repository_or_the_site_names_a_made_up_domain(site):
    made_up = "example" + ".org"     # split, so that this file passes its own test
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    files = [ROOT / f for f in tracked] + [f for f in site.rglob("*") if f.is_file()]
    found = [str(f) for f in files if f.is_file() and made_up.encode() in f.read_bytes()]
    assert not found, found


def test_the_publishing_workflow_builds_the_site_as_ci_does():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["deploy"]["steps"]
    runs = [step.get("run", "") for step in steps]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    build = re.search(r'^timed "strict site build" (mkdocs build .*)$', ci, re.M).group(1)
    assert build in [r.strip() for r in runs], (build, runs)
    install = next(r for r in runs if "pip install" in r)
    assert 'python -m pip install -e ".[dev]"' in install and "npm ci" in install
    deploy = next(r for r in runs if "mike deploy" in r)
    assert "--update-aliases" in deploy and "latest" in deploy and f"mike deploy --push {hooks.DRAFT}" in deploy
    assert workflow[True]["push"]["tags"] == ["v*"] and workflow["permissions"]["contents"] == "write"


@pytest.mark.slow
def test_two_editions_each_have_their_own_permanent_addresses_and_cite_themselves(tmp_path):
    """mike deploy of editions 0.1 and 0.2 (latest) to a branch of a copy of the repository,
    with an address set: each chapter of each edition is at address/edition/page/, and its
    cite box and tags name that edition and that address; neither says it is a draft."""
    copy = tmp_path / "book"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    book_copy(copy, site_url="https://book.invalid/")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "SOURCE_DATE_EPOCH": "1800000000"}
    env.pop("MIKE_DOCS_VERSION", None)
    git = lambda *args: subprocess.run(["git", *args], cwd=copy, env=env, capture_output=True, text=True, check=True)  # noqa: E731
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "the book")
    mike = str(Path(sys.executable).parent / "mike")
    for args in (["0.1"], ["--update-aliases", "0.2", "latest"]):
        result = subprocess.run([mike, "deploy", "--branch", "editions", *args], cwd=copy, env=env,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
    versions = json.loads(git("show", "editions:versions.json").stdout)
    assert {v["version"]: v["aliases"] for v in versions} == {"0.2": ["latest"], "0.1": []}
    for edition in ("0.1", "0.2"):
        for chapter, page, number in chapters():
            page_html = git("show", f"editions:{edition}/{page}index.html").stdout
            anchor = "preface" if chapter == "index.md" else chapter.removesuffix(".md")
            url = f"https://book.invalid/{edition}/{page}#{anchor}"
            bib, _csl, _ris = tabs(boxes(page_html, "Cite this chapter")[0][0])
            _kind, _key, fields = bibtex_entry(bib)
            assert (fields["url"], fields["note"]) == (url, f"Edition {edition}, 2027-01-15"), (edition, chapter)
            assert f'<meta name="citation_public_url" content="{url}">' in page_html
            assert 'class="mg-draft"' not in page_html
            assert '"provider": "mike"' in page_html   # the theme's menu of editions
