"""The book, read once: its pages in reading order, with their titles, sections and blocks.

Every tool that needs the book's structure asks this module: the tangler (which blocks
go into which module), the site hooks (chapter numbers and anchors, section numbers),
the glossary (which section introduces a term) and the tests. Markdown is parsed by
markdown-it-py, the parser pytest-markdown-docs uses, so a fence is a fence here exactly
when it is a test there (a fence indented inside an admonition is not).

A page is a *chapter* when its title is numbered, ``# 3. Autograd`` (the preface is
``# 0. Preface``). A chapter's anchor is its file name without ``.md`` (``03-autograd``;
the preface's, whose file is ``index.md``, is ``preface``) unless the title gives one;
a section's anchor is the explicit ``{#id}`` its heading carries. Sections of a chapter
are numbered ``3.2`` (for ``##``) and ``3.2.1`` (for ``###``), as the site shows them,
except in the chapter's ``## Exercises {#exercises}``: there each ``###`` is an exercise,
labelled ``Exercise 3.1``, ``Exercise 3.2``, … (tools/exercises.py reads them).

Why numbered here, and not by mkdocs-enumerate-headings-plugin or print-site's numbering:
those number every heading of every page by its place in the nav, in the HTML only; the
book's numbers come from the chapters' titles (the preface is 0, the glossary and the
appendices have none), exercises are labelled instead, and the numbers are needed as data
too: the glossary's "§3.2" links, the exercises' anchors and the tests read them from here.

A chapter opens with its facts, as YAML front matter (mkdocs reads the same lines as the
page's meta)::

    ---
    objectives:
      - Explain what a gradient says about a loss.
    assumes: [1, 2]
    ---

``objectives`` are what the reader will be able to do (2 to 4, each a sentence starting with a
verb) and ``assumes`` the earlier chapters it builds on. Its reading time is never typed: it
is computed from the chapter's words of prose (``prose_words``), at ``WORDS_PER_MINUTE``.
The front matter's lines are blanked, not removed, before Markdown is parsed, so every block
keeps the line it has in the file (the tangler's markers and pytest's reports name it).
"""

import functools
import math
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
try:
    from mkdocs.utils.yaml import get_yaml_loader
except ImportError:  # the check extra has no site tools: mkdocs.yml's tags (!ENV) are read as nothing
    class Plain(yaml.SafeLoader):
        pass
    Plain.add_multi_constructor("", lambda loader, suffix, node: None)
    get_yaml_loader = lambda: Plain  # noqa: E731

ROOT = Path(__file__).resolve().parent.parent
NUMBERED = re.compile(r"(\d+)\. (.+)")
EXERCISES = "exercises"  # the anchor of the section whose ### headings are exercises
ANCHOR = re.compile(r"(.*?)\s*\{#([A-Za-z0-9_-]+)((?:\s+[A-Za-z][\w-]*=\"[^\"]*\")*)\s*\}")
ATTRIBUTE = re.compile(r'([A-Za-z][\w-]*)="([^"]*)"')  # key="value" after a heading's {#anchor
FRONT = re.compile(r"---[ \t]*\n(.*?\n)---[ \t]*\n", re.S)  # YAML front matter, as mkdocs reads it
WORDS_PER_MINUTE = 200  # a steady reading pace for technical prose; the teaching page says it


@dataclass(frozen=True)
class Section:
    level: int          # 1 for the page's title, 2 for ##, 3 for ###
    title: str
    anchor: str | None  # the explicit {#anchor}; a chapter's title always has one
    label: str          # "3.2", "3.2.1"; "" for a title, or on a page that is no chapter
    attrs: tuple = ()   # the heading's key="value" attributes after its anchor: (("data-minutes", "10"),)


@dataclass(frozen=True)
class Block:
    chapter: str        # "docs/03-autograd.md"
    line: int           # the line of the opening fence, from 1
    info: str
    code: str
    fenced: bool = True  # False for an indented block (as a fence inside an admonition is)


@dataclass(frozen=True)
class Page:
    file: str           # the path under docs/: "03-autograd.md"
    number: int | None  # the chapter's number; None for a page that is no chapter
    title: str          # without its number: "Autograd"
    anchor: str         # the title's permanent anchor
    sections: tuple     # (Section, ...), the title first
    blocks: tuple       # (Block, ...), every fenced block
    stray: tuple = ()   # (Block, ...), each line that opens a fence but is none (in an admonition)
    objectives: tuple | None = None  # the front matter's objectives; None: the page has no front matter
    assumes: tuple | None = None     # the front matter's chapter numbers
    words: int = 0      # its words of prose before its exercises (prose_words)


def config(root=ROOT):
    """mkdocs.yml, as data, read by mkdocs's own YAML loader (!ENV means what it means to mkdocs)."""
    try:
        return yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=get_yaml_loader())
    except yaml.YAMLError as e:
        raise ValueError(f"mkdocs.yml: not valid YAML ({' '.join(str(e).split())})") from None


def nav(root=ROOT, item=None):
    """The Markdown files of mkdocs.yml's nav (or of one item of it), in reading order; a nav
    that contains itself (through a YAML alias) is a ValueError naming its line."""
    found = []

    def walk(item, within):
        if any(item is outer for outer in within):
            line = next((i for i, text in enumerate(lines, 1) if text.startswith("nav:")), 1)
            raise ValueError(f"mkdocs.yml:{line}: its nav contains itself (a YAML alias loop)")
        if isinstance(item, str) and item.endswith(".md"):
            found.append(item)
        for value in item.values() if isinstance(item, dict) else item if isinstance(item, list) else ():
            walk(value, within + [item])

    lines = (root / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    walk(config(root).get("nav", []) if item is None else item, [])
    return found


def chapter_anchor(file, explicit=None):
    """The permanent anchor of a chapter's title: explicit, or the file name without .md."""
    stem = posixpath.splitext(posixpath.basename(file))[0]
    return explicit or ("preface" if stem == "index" else stem)


@functools.lru_cache(maxsize=64)   # the tests and the site build ask for the same pages many times
def parse(file, text):
    """The Page that the Markdown text of docs/file is."""
    text = text.lstrip("\ufeff")
    facts, text = front_matter(file, text)
    tokens, lines = MarkdownIt("commonmark").parse(text), text.split("\n")
    sections, blocks, number, counts, within, fences = [], [], None, [0, 0], None, set()
    for token, following in zip(tokens, tokens[1:] + [None]):
        if token.type == "fence":
            fences.update(range(*token.map))
            last = lines[token.map[1] - 1].strip() if token.map[1] - 1 > token.map[0] else ""
            if not (last.startswith(token.markup) and not last.strip(token.markup[0])):
                raise ValueError(f"docs/{file}:{token.map[0] + 1}: this code block is never closed")
            blocks.append(Block(f"docs/{file}", token.map[0] + 1, token.info.strip(), token.content))
        elif token.type == "code_block":
            blocks.append(Block(f"docs/{file}", token.map[0] + 1, "", token.content, fenced=False))
        # ATX headings only: markdown-it would take a "=" line in a $$ block for a setext underline
        if token.type != "heading_open" or token.tag not in ("h1", "h2", "h3") or token.markup[:1] != "#":
            continue
        level, match = int(token.tag[1]), ANCHOR.fullmatch(following.content)
        title, anchor, attrs = match.groups() if match else (following.content, None, "")
        if level == 1 and not sections and (numbered := NUMBERED.fullmatch(title)):
            number, title = int(numbered.group(1)), numbered.group(2)
        if level == 2:
            counts, within = [counts[0] + 1, 0], anchor
        elif level == 3:
            counts[1] += 1
        label = "" if number is None or level == 1 else ".".join(map(str, [number, *counts[:level - 1]]))
        if level == 3 and within == EXERCISES and number is not None:
            label = f"Exercise {number}.{counts[1]}"
        sections.append(Section(level, title, anchor, label, tuple(ATTRIBUTE.findall(attrs))))
    title = sections[0] if sections and sections[0].level == 1 else Section(1, file, None, "")
    anchor = chapter_anchor(file, title.anchor) if number is not None else title.anchor or ""
    stray = (Block(f"docs/{file}", i + 1, line.strip().lstrip("`~").strip(), "", fenced=False)
             for i, line in enumerate(lines) if i not in fences and line.lstrip().startswith(("```", "~~~")))
    return Page(file, number, title.title, anchor, tuple(sections), tuple(blocks), tuple(stray),
                facts and tuple(facts["objectives"]), facts and tuple(facts["assumes"]), prose_words(text))


def front_matter(file, text):
    """(facts, text): the front matter's objectives and assumes (None if the text has no
    front matter), and the text with the front matter's lines blanked. Front matter that is
    not YAML, or whose fields have the wrong shape, is a ValueError of one line."""
    match = FRONT.match(text)
    if not match:
        return None, text
    where = f"docs/{file}: its front matter"
    try:
        facts = yaml.safe_load(match.group(1))
    except yaml.YAMLError as e:
        raise ValueError(f"{where} is not valid YAML ({' '.join(str(e).split())})") from None
    if not isinstance(facts, dict) or set(facts) != {"objectives", "assumes"}:
        raise ValueError(f"{where} must have exactly two fields, objectives and assumes")
    if not (isinstance(facts["objectives"], list) and all(isinstance(o, str) and o.strip() for o in facts["objectives"])):
        raise ValueError(f"{where}: objectives must be a list of sentences (quote one that holds \": \")")
    if not (isinstance(facts["assumes"], list) and all(type(n) is int for n in facts["assumes"])):
        raise ValueError(f"{where}: assumes must be a list of chapter numbers, [] for none")
    return facts, "\n" * match.group(0).count("\n") + text[match.end():]


def prose_words(text):
    """The words a reader reads in a chapter before its exercises (whose minutes include
    reading them): every line outside code blocks and display math ($$), HTML comments and
    front matter, counting each run of non-space characters that holds a letter or a digit.
    Inline code and math in a sentence count as the words they stand for."""
    words, fence, math_block, comment = 0, None, False, False
    for line in FRONT.sub(lambda m: "\n" * m.group(0).count("\n"), text, count=1).split("\n"):
        bare = line.strip()
        if fence:
            fence = None if bare.startswith(fence) and not bare.strip(fence[0]) else fence
        elif bare.startswith(("```", "~~~")):
            fence = bare[:len(bare) - len(bare.lstrip(bare[0]))]
        elif bare == "$$":
            math_block = not math_block
        elif comment or bare.startswith("<!--"):
            comment = "-->" not in bare
        elif line.startswith("## ") and "{#exercises}" in line:
            break
        elif not math_block:
            words += sum(1 for w in bare.split() if any(c.isalnum() for c in w))
    return words


def reading_minutes(page):
    """A chapter's reading time, in whole minutes (rounded up), from its words of prose."""
    return math.ceil(page.words / WORDS_PER_MINUTE)


def facts_problems(pages):
    """What is wrong with the chapters' front matter, one line each: every chapter but the
    preface has one, with 2 to 4 objectives, each starting with a capital (a verb), and
    assumes only chapters that come before it."""
    numbers = [p.number for p in pages.values() if p.number is not None]
    problems = []
    for page in pages.values():
        if not page.number:
            continue
        where = f"docs/{page.file}"
        if page.objectives is None:
            problems.append(f"{where}: it needs front matter (objectives, assumes)")
            continue
        if not 2 <= len(page.objectives) <= 4:
            problems.append(f"{where}: it has {len(page.objectives)} objectives; 2 to 4, please")
        problems += [f"{where}: the objective {o!r} must start with a verb, capitalised"
                     for o in page.objectives if not o[:1].isupper()]
        problems += [f"{where}: it assumes chapter {n}, which does not come before it"
                     for n in page.assumes if n not in numbers[:numbers.index(page.number)] or n == 0]
        if len(set(page.assumes)) != len(page.assumes):
            problems.append(f"{where}: assumes names a chapter twice")
    return problems


def pages(root=ROOT):
    """Every page of the nav, parsed, in reading order: {file: Page}. A page missing, unreadable,
    no regular file in the repository, not UTF-8 or with a fence never closed: a ValueError."""
    found = {}
    for file in nav(root):
        path = root / "docs" / file
        try:
            if not path.resolve().is_relative_to(root.resolve()) or path.exists() and not path.is_file():
                raise ValueError(f"docs/{file}: not a regular file inside the repository; refused")
            found[file] = parse(file, path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"mkdocs.yml: its nav names docs/{file}, which does not exist") from None
        except OSError as e:
            raise ValueError(f"docs/{file}: cannot be read ({e.strerror})") from None
        except UnicodeDecodeError as e:
            raise ValueError(f"docs/{file}: not UTF-8 text (bad byte at offset {e.start})") from None
    return found


def url(file):
    """A page's address in the site, relative to the site's root: 03-autograd.md is 03-autograd/."""
    stem = file.removesuffix(".md")
    return "" if stem == "index" else (stem.removesuffix("index") if stem.endswith("/index") else stem + "/")


def addresses(root=ROOT):
    """The addresses the book keeps for an edition, one a line: every page's, in reading order,
    and after a chapter's, its title's anchor and every section's and exercise's (page#anchor).
    tests/data/addresses.txt holds them; tests/test_addresses.py says what to do when they change."""
    found = []
    for page in pages(root).values():
        found.append(url(page.file) or "./")
        if page.number is not None:
            anchors = [page.anchor] + [s.anchor for s in page.sections[1:]]
            found += [f"{found[-1]}#{a}" for a in anchors if a]
    return found


if __name__ == "__main__":  # python tools/book.py: the addresses, as tests/data/addresses.txt holds them
    print("\n".join(addresses()))
