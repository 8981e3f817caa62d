"""The glossary (docs/glossary.md) and the links from the chapters to it.

An entry of the glossary is one paragraph that starts with its term in bold, with the
entry's permanent anchor right after it, and ends with a link to the section that
introduces the term::

    **KV cache**{#term-kv-cache data-aliases="key-value cache"}: the keys
    and values ... Introduced in [§](06-transformer.md#kv-cache).

``data-aliases`` (optional) lists other spellings, separated by ``|``. A plural needs no
alias: "logits" finds the entry "Logit". The ``§`` link gets its section number ("§6.4", or
"chapter 6" for a chapter's title) when the site is built, from the chapter's headings, so
it cannot go stale.

The chapters link to the glossary without writing the links themselves: the mkdocs hook
turns the *first* bold occurrence of each glossary term in a chapter (``**KV cache**``) into
a link to its entry. A bold term is how the book marks the place where it defines a word, so
that is where a reader wants the link. Writing the links by hand would put a URL into every
definition of the prose and would have to be redone whenever a term is added; done here, the
Markdown stays as readable as before, and a new glossary entry is linked from every chapter
that defines the term, at once. Code, headings and existing links are never touched.
"""

import re
from pathlib import Path

from markdown_it import MarkdownIt

GLOSSARY = "glossary.md"

# An entry's first line: **Term**{#term-anchor data-aliases="a|b"}
ENTRY = re.compile(r'^\*\*(?P<term>[^*\n]+)\*\*\{#(?P<anchor>term-[a-z0-9-]+)(?P<attrs>[^}\n]*)\}', re.M)
ALIASES = re.compile(r'data-aliases="([^"]*)"')
# The link to the section that introduces the term: [§](03-autograd.md#chain-rule)
INTRODUCED = re.compile(r"\[§[^\]]*\]\(([^)#\s]+\.md)#([A-Za-z0-9_-]+)\)")
# A bold span on one or more lines (never across a blank line).
BOLD = re.compile(r"\*\*(?=\S)((?:(?!\n[ \t]*\n)[^*]|\*(?!\*))+?)(?<=\S)\*\*")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\([^)]*\)|<https?:[^>]*>")


# ---------------------------------------------------------------- reading the glossary

def entries(text):
    """The glossary's entries, in their order: dicts with the term, its anchor,
    its aliases, the (file, anchor) of the section that introduces it (or None),
    and the entry's whole text."""
    found = []
    for match in ENTRY.finditer(text):
        end = text.find("\n\n", match.start())
        body = text[match.start():end if end >= 0 else len(text)]
        aliases = ALIASES.search(match.group("attrs"))
        introduced = INTRODUCED.search(body)
        found.append({
            "term": match.group("term").strip(),
            "anchor": match.group("anchor"),
            "aliases": [a.strip() for a in aliases.group(1).split("|") if a.strip()] if aliases else [],
            "introduced": (introduced.group(1), introduced.group(2)) if introduced else None,
            "text": body,
        })
    return found


def read(docs_dir):
    """The entries of docs_dir/glossary.md ([] if there is none)."""
    path = Path(docs_dir) / GLOSSARY
    return entries(path.read_text(encoding="utf-8")) if path.exists() else []


def normalise(words):
    """How a term is compared: lower case, single spaces, no final full stop or colon."""
    return " ".join(words.lower().split()).rstrip(".:").strip()


def keys(entry):
    """The spellings that find an entry: its term without any (parenthesis), and
    its aliases. A term written as `code` has no spelling of its own."""
    found = []
    term = re.sub(r"\s*\([^)]*\)", "", entry["term"])
    if "`" not in term:
        found.append(normalise(term))
    found += [normalise(alias) for alias in entry["aliases"]]
    return found


def index(found_entries):
    """{spelling: entry} for a list of entries; a spelling of two entries is an error."""
    table = {}
    for entry in found_entries:
        for key in keys(entry):
            if key in table and table[key] is not entry:
                raise ValueError(f"glossary: {key!r} names both {table[key]['anchor']} and {entry['anchor']}")
            table[key] = entry
    return table


def lookup(table, words):
    """The entry that bold text names, allowing a plural (-s, -es), or None."""
    word = normalise(words)
    for candidate in (word, word[:-1] if word.endswith("s") else None, word[:-2] if word.endswith("es") else None):
        if candidate and candidate in table:
            return table[candidate]
    return None


# ---------------------------------------------------------------- bold text in a chapter

def _blank(match):
    return re.sub(r"[^\n]", " ", match.group(0))


# Bold text is found with a regular expression on the masked source, not with
# markdown-it's inline tokens, because link_terms must rewrite the source itself
# and markdown-it gives inline tokens no offsets into it.
def masked(markdown):
    """markdown with everything that is not prose blanked out (code blocks,
    headings, inline code, links), character for character, so that offsets
    into the result are offsets into markdown. markdown-it (book.py's parser)
    says which lines are code blocks and headings."""
    lines = markdown.split("\n")
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type in ("fence", "code_block", "heading_open") and token.map:
            for i in range(*token.map):
                lines[i] = " " * len(lines[i])
    text = "\n".join(lines)
    text = CODE_SPAN.sub(_blank, text)
    return LINK.sub(_blank, text)


def bold_spans(markdown):
    """(start, end, text) of each bold span of the prose of markdown, in order."""
    return [(m.start(), m.end(), " ".join(m.group(1).split())) for m in BOLD.finditer(masked(markdown))]


def link_terms(markdown, table, glossary_link=GLOSSARY):
    """markdown with the first bold occurrence of each glossary term made a link
    to its entry; and the anchors linked, in order."""
    pieces, linked, done = [], [], 0
    for start, end, words in bold_spans(markdown):
        entry = lookup(table, words)
        if entry is None or entry["anchor"] in linked:
            continue
        linked.append(entry["anchor"])
        pieces += [markdown[done:start], f"[{markdown[start:end]}]({glossary_link}#{entry['anchor']})"]
        done = end
    return "".join(pieces) + markdown[done:], linked


# ---------------------------------------------------------------- section numbers

def number_links(markdown, labels, where=GLOSSARY):
    """The glossary with each [§](file#anchor) link given its section's label.
    A link to a section that does not exist is an error."""
    def label(match):
        target = (match.group(1), match.group(2))
        if target not in labels:
            raise ValueError(f"{where}: [§]({target[0]}#{target[1]}) names no chapter section")
        return f"[{labels[target]}]({target[0]}#{target[1]})"
    return INTRODUCED.sub(label, markdown)
