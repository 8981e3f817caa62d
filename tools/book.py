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
"""

import functools
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
ANCHOR = re.compile(r"(.*?)\s*\{#([A-Za-z0-9_-]+)(?:\s+[^}]*)?\}")  # attributes may follow the anchor


@dataclass(frozen=True)
class Section:
    level: int          # 1 for the page's title, 2 for ##, 3 for ###
    title: str
    anchor: str | None  # the explicit {#anchor}; a chapter's title always has one
    label: str          # "3.2", "3.2.1"; "" for a title, or on a page that is no chapter


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


def config(root=ROOT):
    """mkdocs.yml, as data, read by mkdocs's own YAML loader (!ENV means what it means to mkdocs)."""
    try:
        return yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=get_yaml_loader())
    except yaml.YAMLError as e:
        raise ValueError(f"mkdocs.yml: not valid YAML ({' '.join(str(e).split())})") from None


def nav(root=ROOT):
    """The Markdown files of mkdocs.yml's nav, in reading order; a nav that contains itself
    (through a YAML alias) is a ValueError naming its line."""
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
    walk(config(root).get("nav", []), [])
    return found


def chapter_anchor(file, explicit=None):
    """The permanent anchor of a chapter's title: explicit, or the file name without .md."""
    stem = posixpath.splitext(posixpath.basename(file))[0]
    return explicit or ("preface" if stem == "index" else stem)


@functools.lru_cache(maxsize=64)   # the tests and the site build ask for the same pages many times
def parse(file, text):
    """The Page that the Markdown text of docs/file is."""
    text = text.lstrip("\ufeff")
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
        title, anchor = match.groups() if match else (following.content, None)
        if level == 1 and not sections and (numbered := NUMBERED.fullmatch(title)):
            number, title = int(numbered.group(1)), numbered.group(2)
        if level == 2:
            counts, within = [counts[0] + 1, 0], anchor
        elif level == 3:
            counts[1] += 1
        label = "" if number is None or level == 1 else ".".join(map(str, [number, *counts[:level - 1]]))
        if level == 3 and within == EXERCISES and number is not None:
            label = f"Exercise {number}.{counts[1]}"
        sections.append(Section(level, title, anchor, label))
    title = sections[0] if sections and sections[0].level == 1 else Section(1, file, None, "")
    anchor = chapter_anchor(file, title.anchor) if number is not None else title.anchor or ""
    stray = (Block(f"docs/{file}", i + 1, line.strip().lstrip("`~").strip(), "", fenced=False)
             for i, line in enumerate(lines) if i not in fences and line.lstrip().startswith(("```", "~~~")))
    return Page(file, number, title.title, anchor, tuple(sections), tuple(blocks), tuple(stray))


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
