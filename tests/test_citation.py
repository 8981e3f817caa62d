"""Citations: every chapter ends with a *Cite this chapter* box made from one
source (pyproject.toml and mkdocs.yml), the How to cite page cites the whole
book from the same source, and CITATION.cff agrees with it and is valid CFF 1.2."""

import datetime
import html
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import book
import mkdocs_hooks as hooks

ROOT = Path(__file__).resolve().parent.parent


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SITE_URL = book.config(ROOT)["site_url"]
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
    found = []
    for chapter in book.nav(ROOT):
        first = (ROOT / "docs" / chapter).read_text(encoding="utf-8").split("\n", 1)[0]
        match = re.match(r"# (\d+)\. ", first)
        if match:
            found.append((chapter, page_path(chapter), int(match.group(1))))
    return found


def text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def boxes(page_html, title):
    """The text of each admonition titled `title`: (code block text, the rest)."""
    found = []
    head = '<div class="admonition quote">\n<p class="admonition-title">' + title + "</p>"
    for match in re.finditer(re.escape(head), page_html):
        depth, i = 1, match.end()
        for tag in re.compile(r"<(/?)div\b").finditer(page_html, i):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                body = page_html[match.end():tag.start()]
                break
        code = re.search(r"<code>(.*?)</code>", body, re.S)
        found.append((text(code.group(1)) if code else "", text(re.sub(r"<pre.*?</pre>", "", body, flags=re.S))))
    return found


def parse_bibtex(entry):
    """A minimal BibTeX reader: @type{key, name = {value}, ...}. Braces must
    balance; returns (type, key, {field: value})."""
    match = re.match(r"\s*@(\w+)\{([^,\s]+),", entry)
    assert match, f"not a BibTeX entry: {entry!r}"
    kind, key, rest = match.group(1), match.group(2), entry[match.end():]
    fields, i = {}, 0
    while True:
        field = re.compile(r"\s*(\w+)\s*=\s*\{").match(rest, i)
        if not field:
            break
        depth, j = 1, field.end()
        while depth:
            assert j < len(rest), f"unbalanced braces in {field.group(1)}"
            depth += {"{": 1, "}": -1}.get(rest[j], 0)
            j += 1
        fields[field.group(1)] = rest[field.end():j - 1]
        i = re.compile(r"\s*,?").match(rest, j).end()
    assert re.fullmatch(r"\s*\}\s*", rest[i:]), f"junk after the fields: {rest[i:]!r}"
    return kind, key, fields


def test_the_minimal_bibtex_reader_rejects_broken_entries():
    good = "@book{k,\n  title = {A {B} c},\n  year = {2026},\n}"
    assert parse_bibtex(good) == ("book", "k", {"title": "A {B} c", "year": "2026"})
    for broken in ("@book{k,\n  title = {A {B c},\n}", "@book{k, title = {A}} x", "book{k, title = {A}}"):
        with pytest.raises(AssertionError):
            parse_bibtex(broken)


def test_every_chapter_ends_with_its_citation(site):
    assert len(chapters()) >= 10
    for chapter, page, number in chapters():
        page_html = (site / page / "index.html").read_text(encoding="utf-8")
        found = boxes(page_html, "Cite this chapter")
        assert len(found) == 1, f"{chapter}: {len(found)} citation boxes"
        bibtex, plain = found[0]
        anchor = "preface" if chapter == "index.md" else chapter.removesuffix(".md")
        url = SITE_URL.rstrip("/") + "/" + page + "#" + anchor
        assert f'<h1 id="{anchor}">' in page_html, f"{chapter}: the cited anchor is not the title's"

        kind, key, fields = parse_bibtex(bibtex)
        assert kind == "inbook" and key == f"microgpt-book-ch{number:02d}"
        for field in ("author", "title", "booktitle", "chapter", "version", "year", "url"):
            assert fields.get(field), f"{chapter}: no {field}"
        assert fields["version"] == VERSION
        assert fields["year"] == str(BOOK["year"])
        assert fields["booktitle"] == BOOK["title"]
        assert fields["chapter"] == str(number)
        assert fields["url"] == url
        for author in PYPROJECT["project"]["authors"]:
            assert author["name"] in fields["author"]
        h1 = text(re.search(r"<h1[^>]*>(.*?)</h1>", page_html, re.S).group(1)).rstrip("¶")
        assert h1 == f"{number}. {fields['title']}"

        for part in (VERSION, str(BOOK["year"]), BOOK["title"], f"Chapter {number}", fields["title"], url):
            assert part in plain, f"{chapter}: the plain citation lacks {part!r}"


def test_chapter_numbers_follow_the_reading_order():
    assert [number for _, _, number in chapters()] == list(range(len(chapters())))


def test_pages_that_are_not_chapters_have_no_chapter_citation(site):
    others = [c for c in book.nav(ROOT) if c not in {c for c, _, _ in chapters()}]
    assert "cite.md" in others and any(c.startswith("api/") for c in others)
    for chapter in others:
        page_html = (site / page_path(chapter) / "index.html").read_text(encoding="utf-8")
        assert not boxes(page_html, "Cite this chapter"), chapter


def test_the_how_to_cite_page_cites_the_book_from_the_same_source(site):
    page_html = (site / "cite" / "index.html").read_text(encoding="utf-8")
    found = boxes(page_html, "Cite this book")
    assert len(found) == 1
    kind, key, fields = parse_bibtex(found[0][0])
    assert (kind, key) == ("book", "microgpt-book")
    assert fields["version"] == VERSION and fields["url"] == SITE_URL
    assert fields["title"] == BOOK["title"] and fields["year"] == str(BOOK["year"])
    for _chapter, page, number in chapters():
        assert f"microgpt-book-ch{number:02d}" in page_html
    assert "CITATION.cff" in page_html


def book_copy(tmp_path, version=None, year=None, site_url=None):
    """pyproject.toml and mkdocs.yml, copied and changed."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    mkdocs = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    if version:
        pyproject = pyproject.replace(f'version = "{VERSION}"', f'version = "{version}"', 1)
    if year:
        pyproject = pyproject.replace(f"year = {BOOK['year']}", f"year = {year}", 1)
    if site_url:
        mkdocs = mkdocs.replace(f"site_url: {SITE_URL}", f"site_url: {site_url}", 1)
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(mkdocs, encoding="utf-8")
    return tmp_path


def test_the_box_follows_its_sources(tmp_path):
    meta = hooks.metadata(book_copy(tmp_path, version="9.8.7", year=2031, site_url="https://example.com/book/"))
    assert meta["version"] == "9.8.7" and meta["year"] == 2031 and meta["url"] == "https://example.com/book/"
    url = hooks.chapter_url(meta["url"], "03-autograd/", book.chapter_anchor("03-autograd.md"))
    assert url == "https://example.com/book/03-autograd/#03-autograd"
    box = hooks.cite_chapter_box(meta, 3, "Autograd", url)
    assert "9.8.7" in box and VERSION not in box
    assert "{2031}" in box and "(2031)" in box
    assert box.count("https://example.com/book/03-autograd/#03-autograd") == 2
    assert box.startswith('!!! quote "Cite this chapter"\n')
    bibtex = re.search(r"```bibtex\n(.*?)\n\s*```", box, re.S).group(1)
    kind, key, fields = parse_bibtex("\n".join(line.removeprefix("    ") for line in bibtex.split("\n")))
    assert (kind, key, fields["version"], fields["chapter"]) == ("inbook", "microgpt-book-ch03", "9.8.7", "3")


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

# The top-level keys CFF 1.2.0 allows (its schema has additionalProperties: false).
CFF_KEYS = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
            "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
            "references", "repository", "repository-artifact", "repository-code", "title", "type",
            "url", "version"}
CFF_PERSON = {"address", "affiliation", "alias", "city", "country", "email", "family-names", "fax",
              "given-names", "name-particle", "name-suffix", "orcid", "post-code", "region", "tel",
              "website"}
CFF_ENTITY = {"address", "alias", "city", "country", "date-end", "date-start", "email", "fax",
              "location", "name", "orcid", "post-code", "region", "tel", "website"}


def cff_problems(cff):
    """What CFF 1.2.0's schema would reject, for the keys this project uses."""
    problems = []
    for key in ("cff-version", "message", "title", "authors"):
        if key not in cff:
            problems.append(f"missing {key}")
    problems += [f"unknown key {key}" for key in set(cff) - CFF_KEYS]
    if cff.get("cff-version") != "1.2.0":
        problems.append("cff-version must be the string 1.2.0")
    for key in ("message", "title", "abstract"):
        if key in cff and not (isinstance(cff[key], str) and cff[key]):
            problems.append(f"{key} must be a non-empty string")
    authors = cff.get("authors")
    if not (isinstance(authors, list) and authors):
        problems.append("authors must be a non-empty list")
    else:
        for author in authors:
            if not isinstance(author, dict):
                problems.append(f"author {author!r} is not a mapping")
            elif "name" in author and not set(author) - CFF_ENTITY:
                pass  # an entity
            elif ("family-names" in author or "given-names" in author) and not set(author) - CFF_PERSON:
                pass  # a person
            else:
                problems.append(f"author {author!r} is neither a person nor an entity")
    if "type" in cff and cff["type"] not in ("software", "dataset"):
        problems.append("type must be software or dataset")
    if "version" in cff and not (isinstance(cff["version"], (str, int, float)) and str(cff["version"])):
        problems.append("version must be a string or a number")
    if "date-released" in cff:
        date = cff["date-released"]
        if not (isinstance(date, datetime.date) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(date))):
            problems.append("date-released must be YYYY-MM-DD")
    for key in ("url", "repository-code", "repository", "repository-artifact", "license-url"):
        if key in cff and not re.match(r"^(https|http|ftp|sftp)://.+", str(cff[key])):
            problems.append(f"{key} must be a URL")
    if "keywords" in cff and not (isinstance(cff["keywords"], list)
                                  and all(isinstance(k, str) and k for k in cff["keywords"])):
        problems.append("keywords must be a list of strings")
    if "license" in cff and not isinstance(cff["license"], (str, list)):
        problems.append("license must be an SPDX identifier")
    return problems


def test_citation_cff_is_valid_cff_1_2():
    assert cff_problems(CFF) == []


def test_the_cff_check_catches_what_the_schema_rejects():
    for change in ({"cff-version": "1.1.0"}, {"authors": []}, {"authors": [{"nickname": "x"}]},
                   {"colour": "blue"}, {"url": "microgpt-book.example.org"}, {"type": "book"},
                   {"date-released": "21 Nov 2026"}):
        assert cff_problems({**CFF, **change}), change
    assert cff_problems({k: v for k, v in CFF.items() if k != "message"})


def test_citation_cff_agrees_with_the_book():
    assert CFF["version"] == VERSION
    assert CFF["title"] == BOOK["title"]
    assert CFF["url"] == SITE_URL
    assert CFF["license"] == PYPROJECT["project"]["license"]
    assert CFF["type"] == "software"
    assert [a["name"] for a in CFF["authors"]] == [a["name"] for a in PYPROJECT["project"]["authors"]]
    released = CFF["date-released"]
    assert isinstance(released, datetime.date) and released.year == BOOK["year"]


@pytest.mark.skipif(importlib.util.find_spec("cffconvert") is None and shutil.which("cffconvert") is None,
                    reason="cffconvert is not installed (not in the dev extra); the schema's rules are "
                           "checked by test_citation_cff_is_valid_cff_1_2")
def test_citation_cff_passes_cffconvert():
    script = Path(sys.executable).parent / "cffconvert"     # the dev extra's, beside this Python
    result = subprocess.run([str(script), "--validate", "-i", str(ROOT / "CITATION.cff")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
