"""How to cite the book and its chapters: one record, written in the formats that people
and reference managers read (BibTeX, CSL-JSON, RIS, one line of text, and the Highwire
``citation_*`` tags that Google Scholar reads in a page's head).

The record has one source for every field (tools/mkdocs_hooks.py's ``metadata``): title,
year and address in pyproject.toml's ``[tool.microgpt-book]`` and mkdocs.yml, authors and
version in ``[project]``, and the edition the site is built as (``MIKE_DOCS_VERSION``, set
by ``mike deploy``; none for the unreleased draft). When the site has no published address
yet, the address of a chapter is the one of the copy being read: the entries hold
``PAGE_URL`` (``SITE_URL`` for the book), which docs/javascripts/cite.js replaces with
the page's own address (the site's).

No entry holds the date the reader looked at the page (BibTeX's ``urldate``, CSL's
``accessed``, RIS's ``Y2``): the build cannot know it, and the build's own date would be
wrong for every reader but the first. The date in the note is the text's: the edition's, or
the day the draft was built. A reader adds the day they read it, if their style asks for one.

The BibTeX entry is an ``@incollection``: the one entry type whose fields (``title`` the
chapter's, ``booktitle`` the book's, ``chapter`` its number) mean the same in classic
BibTeX and in biblatex. ``@inbook`` does not: classic BibTeX reads its ``title`` as the
book's title and ignores ``booktitle``. tests/test_citation.py formats every entry with
pybtex, in three classic styles, and validates it with biber against biblatex's data
model. (pybtex's styles leave out ``note``, where BibTeX's own show it; the address names
the edition too.) Written by hand, not with pybtex's writer: pybtex is a test tool only (the
site's build needs no extra library), the entries are nine fields at most, and its layout (quoted
values, no aligned ``=``) would change every published box.
"""

import json
from html import escape

PAGE_URL = "(the address of this page)"   # replaced in the browser by docs/javascripts/cite.js
SITE_URL = "(the address of this site)"   # the same, for the whole book


def chapter_record(meta, number, title, url):
    """The record of one chapter: meta (the book's, from mkdocs_hooks.metadata) and the
    chapter's number, title and address (None if the site has no address yet)."""
    return {**meta, "key": f"microgpt-book-ch{number:02d}", "chapter": number,
            "chapter_title": title, "url": url or PAGE_URL}


def book_record(meta, url):
    """The record of the whole book."""
    return {**meta, "key": "microgpt-book", "chapter": None, "chapter_title": None, "url": url or SITE_URL}


def version_note(r):
    """Which text is cited: a released edition (with its date), or the draft."""
    if r["edition"]:
        return f"Edition {r['edition']}, {r['date']}"
    return f"Unreleased draft (after version {r['version']}), {r['date']}"


def bibtex(r):
    """A BibTeX entry that classic BibTeX and biblatex styles both render."""
    names = " and ".join("{" + name + "}" for name in r["authors"])
    # Titles in double braces: classic styles lower-case a title's words ("chatgpt") unless braced.
    if r["chapter"] is None:
        kind, fields = "book", [("author", names), ("title", "{" + r["title"] + "}")]
    else:
        kind, fields = "incollection", [("author", names), ("title", "{" + r["chapter_title"] + "}"),
                                        ("booktitle", "{" + r["title"] + "}"), ("chapter", str(r["chapter"])),
                                        ("editor", names)]
    # The authors edit and publish the book themselves: biblatex's incollection wants an
    # editor, and classic styles a publisher for both types.
    fields += [("publisher", ", ".join(r["authors"])), ("year", str(r["year"])), ("note", version_note(r)),
               ("url", r["url"])]
    width = max(len(name) for name, _ in fields)
    lines = [f"@{kind}{{{r['key']},"] + [f"  {name.ljust(width)} = {{{value}}}," for name, value in fields]
    return "\n".join(lines + ["}"])


def csl_json(r):
    """CSL-JSON (Zotero, Mendeley, pandoc's citeproc): one item, as a list."""
    item = {"id": r["key"], "type": "book" if r["chapter"] is None else "chapter",
            "author": [{"literal": name} for name in r["authors"]],
            "title": r["title"] if r["chapter"] is None else r["chapter_title"],
            "issued": {"date-parts": [[r["year"]]]}, "version": r["edition"] or f"draft after {r['version']}",
            "URL": r["url"]}
    if r["chapter"] is not None:
        item.update({"container-title": r["title"], "chapter-number": str(r["chapter"])})
    # Not json.dumps(indent=2): it would spread every list and object over many lines; here one field is one.
    fields = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in item.items())
    return "[\n  {\n" + fields + "\n  }\n]"


def ris(r):
    """RIS (EndNote, Zotero, most library catalogues): tagged lines, ending with ER."""
    lines = [("TY", "BOOK" if r["chapter"] is None else "CHAP")]
    lines += [("AU", name) for name in r["authors"]]
    if r["chapter"] is None:
        lines.append(("TI", r["title"]))
    else:
        lines += [("TI", r["chapter_title"]), ("T2", r["title"]), ("SE", f"Chapter {r['chapter']}")]
    lines += [("PY", str(r["year"])), ("ET", r["edition"] or f"draft after {r['version']}"),
              ("UR", r["url"]), ("ER", "")]
    return "\n".join(f"{tag}  - {value}".rstrip() for tag, value in lines)


def plain(r):
    """One line of text."""
    what = (f"*{r['title']}*" if r["chapter"] is None
            else f"\"{r['chapter_title']}\". Chapter {r['chapter']} of *{r['title']}*")
    return f"{', '.join(r['authors'])} ({r['year']}). {what}. {version_note(r)}. <{r['url']}>"


def box(r, title):
    """The Markdown of a citation box: the line of text, then a tab for each format."""
    tabs = [("BibTeX", "bibtex", bibtex(r)), ("CSL-JSON", "json", csl_json(r)), ("RIS", "text", ris(r))]
    body = [plain(r).replace(f"<{PAGE_URL}>", PAGE_URL).replace(f"<{SITE_URL}>", SITE_URL), ""]
    if r["url"] in (PAGE_URL, SITE_URL):
        body += ["*This copy of the book was built without a published address, so the address given "
                 "is that of the copy you are reading.*", ""]
    for name, lang, text in tabs:
        body += [f'=== "{name}"', "", f"    ```{lang}"] + [f"    {line}" for line in text.split("\n")]
        body += ["    ```", ""]
    return f'!!! quote "{title}"\n\n' + "\n".join("    " + line if line else "" for line in body).rstrip() + "\n"


def highwire(r):
    """The <meta name="citation_*"> tags of a chapter's page (Google Scholar's format)."""
    tags = [("citation_title", r["chapter_title"]), ("citation_inbook_title", r["title"])]
    tags += [("citation_author", name) for name in r["authors"]]
    tags += [("citation_publication_date", str(r["year"])), ("citation_online_date", r["date"].replace("-", "/"))]
    if r["url"] != PAGE_URL:
        tags.append(("citation_public_url", r["url"]))
    return "".join(f'<meta name="{name}" content="{escape(value, quote=True)}">\n' for name, value in tags)
