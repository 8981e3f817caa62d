"""No chapter over its length: chapter 9 at most 3,000 words of prose (Part I ends with the
program running, briefly), every other chapter at most 7,500. Prose is what a reader reads
outside code: the chapter's text without its front matter and its code blocks (fenced, or
indented in an admonition), counted in words separated by white space."""

import re
from pathlib import Path

import pytest

import book

ROOT = Path(__file__).resolve().parent.parent
LIMITS = {9: 3000}
LIMIT = 7500
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.M | re.S)
FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)


def prose_words(text):
    """The words of a chapter's prose: its text without front matter and code blocks."""
    return len(FENCE.sub("", FRONT.sub("", text)).split())


CHAPTERS = {page.number: file for file, page in book.pages(ROOT).items() if page.number}


@pytest.mark.parametrize("number", sorted(CHAPTERS))
def test_no_chapter_is_over_its_length(number):
    words = prose_words((ROOT / "docs" / CHAPTERS[number]).read_text(encoding="utf-8"))
    assert words <= LIMITS.get(number, LIMIT), f"chapter {number}: {words} words of prose"


def test_prose_words_leave_out_code_and_front_matter():
    text = "---\nobjectives:\n  - Do it.\n---\n\n# 1. A\n\nTwo words.\n\n```python\nx = 1\n```\n\n" \
           "!!! note\n    ```python\n    y = 2\n    ```\n    Three more words\n"
    assert prose_words(text) == len("# 1. A Two words. !!! note Three more words".split())
