"""The glossary (docs/glossary.md): its entries, their order, the sections they
point to, and the links from the chapters to them.

The rule for bold text: in a chapter, a term set in **bold** is where the book
defines it. So every bold span of chapters 0-11 (outside code, headings and
links) must name a glossary entry, by its term, an alias or a plural, unless
it is listed in EMPHASIS below: bold that stresses a word, or leads a list
item, and defines nothing. A new bold term without an entry fails the test,
and so does an EMPHASIS word that no chapter uses any more.
"""

import functools
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import book
import glossary

ROOT = Path(__file__).resolve().parent.parent


DOCS = ROOT / "docs"
SOURCE = (DOCS / glossary.GLOSSARY).read_text(encoding="utf-8")

# Bold in the chapters that is emphasis, not a term (compared after glossary.normalise).
EMPHASIS = {
    "random", "small",                 # ch. 4: "Random, because ...", "Small, because ..."
    "o",                               # ch. 5: "one **o**utput"
    "sharper", "flatter",              # ch. 8: what temperature does to the distribution
    "last", "yes",                     # ch. 10: stress
    "simplifications",                 # ch. 11: the note on how to read the chapter
    "cleaning", "storage", "speed", "bytes, not characters",  # ch. 11: list items' lead-ins
    "added", "changed", "removed",     # ch. 13: list items' lead-ins (what each rung does)
}


def entries():
    return glossary.entries(SOURCE)


def letters(words):
    return re.sub(r"[^a-z0-9]", "", words.lower())


def sort_key(term):
    """Letter by letter, ignoring case, spaces, punctuation and a (parenthesis)."""
    return letters(re.sub(r"\([^)]*\)", "", term)), letters(term)


def chapters():
    """The chapters (and the preface): the pages whose title is "N. Title"."""
    return [source for source, page in book.pages(ROOT).items() if page.number is not None]


@functools.lru_cache(maxsize=None)   # asked once per glossary entry; a chapter is read once
def anchors(source):
    """The anchors a link into a chapter may name: its title's, and every
    explicit {#anchor} of its headings (read with markdown-it, not the tool's parser)."""
    text = (DOCS / source).read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(text)
    found = set()
    for opening, inline in zip(tokens, tokens[1:]):
        if opening.type == "heading_open":
            match = re.search(r"\{#([A-Za-z0-9_-]+)\}\s*$", inline.content)
            if match:
                found.add(match.group(1))
            elif opening.tag == "h1":
                stem = source.removesuffix(".md")
                found.add("preface" if stem == "index" else stem)
    return found


# ---------------------------------------------------------------- the entries

def test_every_entry_is_read():
    """The parser misses no entry: each bold term with a {#term-...} anchor is one."""
    found = entries()
    assert len(found) == len(re.findall(r"^\*\*[^*]+\*\*\{#term-", SOURCE, re.M))
    assert len(found) >= 80


def test_entries_have_unique_anchors_and_spellings():
    found = entries()
    ids = [entry["anchor"] for entry in found]
    assert len(set(ids)) == len(ids), [a for a in ids if ids.count(a) > 1]
    glossary.index(found)          # raises if one spelling names two entries
    headings = re.findall(r"\{#([A-Za-z0-9_-]+)\}", SOURCE)
    assert len(set(headings)) == len(headings)


def test_every_entry_links_to_the_section_that_introduces_it():
    sources = set(chapters())
    problems = []
    for entry in entries():
        if entry["introduced"] is None:
            problems.append(f"{entry['term']}: no [§](chapter.md#anchor) link")
            continue
        source, anchor = entry["introduced"]
        if source not in sources:
            problems.append(f"{entry['term']}: {source} is not a chapter")
        elif anchor not in anchors(source):
            problems.append(f"{entry['term']}: {source} has no section #{anchor}")
    assert not problems, "\n".join(problems)


def test_entries_are_short():
    """One or two sentences: no definition runs past 70 words."""
    long = [e["term"] for e in entries()
            if len(re.sub(r"Introduced\s+in\s+\[.*", "", e["text"], flags=re.S).split()) > 70]
    assert not long, long


def test_entries_are_in_alphabetical_order_under_their_letters():
    terms = [entry["term"] for entry in entries()]
    assert terms == sorted(terms, key=sort_key), "out of order: " + ", ".join(
        f"{a} > {b}" for a, b in zip(terms, terms[1:]) if sort_key(a) > sort_key(b))
    letter, seen, problems = None, [], []
    for line in SOURCE.split("\n"):
        heading = re.match(r"## ([A-Z]) \{#letter-([a-z])\}$", line)
        if line.startswith("## "):
            assert heading and heading.group(1).lower() == heading.group(2), line
            letter = heading.group(1)
            seen.append(letter)
        entry = re.match(r"\*\*([^*]+)\*\*\{#term-", line)
        if entry and sort_key(entry.group(1))[0][:1].upper() != letter:
            problems.append(f"{entry.group(1)} is under {letter}")
    assert not problems, problems
    assert seen == sorted(set(seen))


# ---------------------------------------------------------------- bold terms in the chapters

def test_every_bold_term_in_the_chapters_has_an_entry():
    table = glossary.index(entries())
    missing, used = [], set()
    for source in chapters():
        for _start, _end, words in glossary.bold_spans((DOCS / source).read_text(encoding="utf-8")):
            if glossary.normalise(words) in EMPHASIS:
                used.add(glossary.normalise(words))
            elif glossary.lookup(table, words) is None:
                missing.append(f"docs/{source}: **{words}**")
    assert not missing, "bold terms without a glossary entry (add one, or add the word to EMPHASIS " \
                        "if it is not a term):\n" + "\n".join(missing)
    assert used == EMPHASIS, f"EMPHASIS words no chapter sets in bold: {sorted(EMPHASIS - used)}"


def test_bold_spans_skip_code_headings_and_links():
    markdown = "\n".join([
        "# 1. A **title**",
        "Some **term** and a **two-line",
        "term**, not `**code**` nor [**a link**](x.md).",
        "",
        "```python",
        "print(2**3, '**fenced**')",
        "```",
        "",
        "!!! note",
        "    Indented **in a note**.",
        "",
        "    ```python",
        "    x = '**indented fence**'",
        "    ```",
        "## Section **bold** {#s}",
        "**a** ** not bold ** **b**",
    ])
    spans = glossary.bold_spans(markdown)
    assert [words for _, _, words in spans] == ["term", "two-line term", "in a note", "a", "b"]
    start, end, _ = spans[1]
    assert markdown[start:end] == "**two-line\nterm**"


def test_only_the_first_bold_occurrence_of_a_term_is_linked():
    table = glossary.index(glossary.entries(
        '**Logit**{#term-logit}: a score. Introduced in [§](05-building-blocks.md#softmax).\n\n'
        '**Parameter**{#term-parameter data-aliases="weights|weight"}: a number.\n'))
    markdown = "`**logit**` **Logits** and **logit**; **weights**, **parameters**; **other**."
    linked, anchors_linked = glossary.link_terms(markdown, table, "../glossary.md")
    assert linked == ("`**logit**` [**Logits**](../glossary.md#term-logit) and **logit**; "
                      "[**weights**](../glossary.md#term-parameter), **parameters**; **other**.")
    assert anchors_linked == ["term-logit", "term-parameter"]


# ---------------------------------------------------------------- the built site

def page(site, source):
    path = "" if source == "index.md" else source.removesuffix(".md") + "/"
    return (site / path / "index.html").read_text(encoding="utf-8")


def test_the_chapters_link_their_bold_terms_to_the_glossary(built_site):
    """Every chapter links each glossary term it sets in bold, once, around the bold text."""
    table = glossary.index(entries())
    problems, total = [], 0
    for source in chapters():
        html = page(built_site, source)
        prefix = "../" if source != "index.md" else ""
        want = []
        for _start, _end, words in glossary.bold_spans((DOCS / source).read_text(encoding="utf-8")):
            entry = glossary.lookup(table, words)
            if entry and entry["anchor"] not in want:
                want.append(entry["anchor"])
        for anchor in want:
            links = re.findall(rf'<a href="{prefix}glossary/#{anchor}"><strong>', html)
            if len(links) != 1:
                problems.append(f"{source}: {len(links)} links to #{anchor}")
        total += len(want)
    assert not problems, "\n".join(problems)
    assert total >= 100


def test_the_glossary_page_numbers_its_links_as_the_chapters_do(built_site):
    html = page(built_site, glossary.GLOSSARY)
    for entry in entries():
        assert f'id="{entry["anchor"]}"' in html, entry["anchor"]
    links = re.findall(r'Introduced\s+in\s+<a href="\.\./([^"#]*)#([^"]+)">([^<]+)</a>', html)
    assert len(links) == len(entries())
    for path, anchor, label in links:
        target = (built_site / path / "index.html").read_text(encoding="utf-8") if path else \
            (built_site / "index.html").read_text(encoding="utf-8")
        if label.startswith("§"):
            number = re.search(rf'<h[23] id="{re.escape(anchor)}">'
                               r'<span class="section-number">([\d.]+)</span>', target)
            assert number and label == "§" + number.group(1), (path, anchor, label)
        else:
            title = re.search(rf'<h1 id="{re.escape(anchor)}">(\d+)\. ', target)
            assert title, (path, anchor)
            assert label == ("the preface" if title.group(1) == "0" else f"chapter {title.group(1)}")


def test_the_print_edition_keeps_the_glossary_links(built_site):
    html = (built_site / "print_page" / "index.html").read_text(encoding="utf-8")
    linked = set(re.findall(r'href="#glossary-(term-[^"]+)"', html))
    present = set(re.findall(r'id="glossary-(term-[^"]+)"', html))
    assert len(linked) >= 100
    assert linked <= present and present == {entry["anchor"] for entry in entries()}


@pytest.mark.parametrize("source", ["cite.md", "api/autograd.md"])
def test_pages_that_are_not_chapters_get_no_glossary_links(built_site, source):
    assert "glossary/#term-" not in page(built_site, source)
