"""The worked example of docs/making.md, made for real on a copy of the book.

The page's worked example is two Markdown pieces, each in a fence titled with the file it
goes into and where: ``markdown title="docs/01-dataset.md, before the section What we have
now"`` and ``markdown title="docs/glossary.md, after the entry Document"``. These tests
take them from the page, put them into a copy of the book (chapters, tools and tests,
without the package: the tangler writes it), and run there what the page says to run: the
tangler, the chapter's tests (``--chapter 1``), the glossary's static checks and the
anchors' check, and the section's build-time block. Left without its glossary entry, the
copy must fail the glossary's test, with the line the page quotes. So the example cannot
rot: a change to the book's conventions that the page does not follow fails here. No site
is built (a few seconds in all).
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import book
import glossary
import tangle

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "making.md"
PIECE = re.compile(r'^markdown title="(docs/[\w.-]+\.md), (before the section|after the entry) ([^"]+)"$')
QUOTED = 'text title="what the glossary test says without the entry"'


def fences(markdown):
    return [token for token in MarkdownIt("commonmark").parse(markdown) if token.type == "fence"]


def pieces():
    """[(file, how, what, text)] of the worked example's pieces, in the page's order."""
    return [(*PIECE.match(f.info.strip()).groups(), f.content)
            for f in fences(PAGE.read_text(encoding="utf-8")) if PIECE.match(f.info.strip())]


def section():
    return next(text for file, _, _, text in pieces() if file == "docs/01-dataset.md")


def insert(text, how, what, piece):
    """text with piece put before the heading titled what, or after the paragraph that is
    the glossary entry for the term what."""
    lines = text.split("\n")
    if how == "before the section":
        at = [i for i, line in enumerate(lines)
              if (m := re.fullmatch(r"#{2,3} (.*?) \{#[\w-]+\}", line)) and m.group(1) == what]
    else:
        start = [i for i, line in enumerate(lines) if line.startswith(f"**{what}**{{#term-")]
        at = [next(i for i in range(start[0], len(lines)) if not lines[i].strip()) + 1] if start else []
    assert len(at) == 1, f"{how} {what!r}: found {len(at)} places"
    return "\n".join(lines[:at[0]] + piece.rstrip("\n").split("\n") + [""] + lines[at[0]:])


def copy_of_the_book(into, leave_out=()):
    """A copy of the book, its package tangled as the book stands, and then the worked
    example's pieces put into it (except those for the files in leave_out)."""
    for name in ("docs", "tools", "tests"):
        shutil.copytree(ROOT / name, into / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "pyproject.toml", "conftest.py", "names.txt"):
        shutil.copy(ROOT / name, into / name)
    tangle.write(into)                    # the package as it would be committed
    for file, how, what, piece in pieces():
        if file not in leave_out:
            path = into / file
            path.write_text(insert(path.read_text(encoding="utf-8"), how, what, piece), encoding="utf-8")
    return into


def run(root, *args):
    env = {k: v for k, v in os.environ.items() if k != "MICROGPT_CHAPTER_SNAPSHOT"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=root,
                          env=env, timeout=300)


def pytest_in(root, *args):
    return run(root, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider", *args)


def static_glossary_tests(root):
    """The node ids of the glossary's tests that need no built site."""
    tree = ast.parse((root / "tests" / "test_glossary.py").read_text(encoding="utf-8"))
    return [f"tests/test_glossary.py::{node.name}" for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
            and "built_site" not in [a.arg for a in node.args.args]]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The copy with the worked example in it, tangled by its own tangler as the page's
    first command says; and that command's result."""
    root = copy_of_the_book(tmp_path_factory.mktemp("making"))
    return root, run(root, "tools/tangle.py")


def test_the_page_holds_the_worked_example():
    found = pieces()
    assert [(file, how) for file, how, _, _ in found] == [
        ("docs/01-dataset.md", "before the section"), ("docs/glossary.md", "after the entry")]
    blocks = book.parse("01-dataset.md", section()).blocks
    assert [b.info for b in blocks] == ['python title="microgpt/data.py"', "python", 'python exec="on"']
    headings = book.parse("01-dataset.md", section()).sections
    assert len(headings) == 1 and headings[0].level == 2 and headings[0].anchor
    entry, = glossary.entries(found[1][3])
    bold = [words for _, _, words in glossary.bold_spans(section())]
    assert [glossary.lookup(glossary.index([entry]), words) for words in bold] == [entry]
    assert entry["introduced"] == ("01-dataset.md", headings[0].anchor)
    # The page shows every fence of the example literally: none of them is tangled or run.
    assert not [b for b in book.pages(ROOT)["making.md"].blocks if b.info in ("python", "py")
                or b.info.startswith('python title="')]


def test_the_tangler_writes_the_new_function(made):
    made, tangled = made
    shown = [f.content for f in fences(PAGE.read_text(encoding="utf-8")) if f.info == "console"]
    assert tangled.returncode == 0, tangled.stderr
    data = (made / "microgpt" / "data.py").read_text(encoding="utf-8")
    assert re.search(r"^# \[docs/01-dataset\.md:\d+\]\ndef longest_doc\(docs\):", data, re.M)
    assert f"$ python tools/tangle.py\n{tangled.stdout}" in shown   # what the page says it prints
    checked = run(made, "tools/tangle.py", "--check")
    assert checked.returncode == 0, checked.stderr
    assert f"$ python tools/tangle.py --check\n{checked.stdout}" in shown


def test_the_chapters_tests_pass_with_it(made):
    made, _ = made
    result = pytest_in(made, "--chapter", "1", "-rA")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    line = (made / "docs" / "01-dataset.md").read_text(encoding="utf-8").split("\n").index(
        "from microgpt.data import longest_doc")       # the new example's first line
    assert re.search(rf"^PASSED docs/01-dataset\.md::\[CodeFence#\d+\]\[line:{line}\]$", result.stdout, re.M), \
        result.stdout[-3000:]


def test_the_books_static_checks_pass_with_it(made):
    made, _ = made
    tests = [*static_glossary_tests(made), "tests/test_site.py::test_every_section_heading_has_an_explicit_anchor"]
    result = pytest_in(made, *tests)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert f"{len(tests)} passed" in result.stdout


def test_the_build_time_block_prints_its_sentence(made):
    made, _ = made
    code = next(f.content for f in fences(section()) if f.info == 'python exec="on"')
    env = {"PYTHONPATH": str(made / "tools")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=made,
                            env={**os.environ, **env}, timeout=60)
    assert result.returncode == 0, result.stderr
    longest = max((line.strip() for line in (ROOT / "names.txt").read_text().split("\n")), key=len)
    assert result.stdout == (f"In `names.txt` the longest document is `{longest}`, "
                             f"of {len(longest)} characters.\n")


def test_without_its_glossary_entry_the_glossary_test_fails(tmp_path):
    root = copy_of_the_book(tmp_path, leave_out={"docs/glossary.md"})
    result = pytest_in(root, "tests/test_glossary.py::test_every_bold_term_in_the_chapters_has_an_entry")
    assert result.returncode == 1, result.stdout[-3000:]
    quoted = next(f.content for f in fences(PAGE.read_text(encoding="utf-8")) if f.info.strip() == QUOTED)
    said = [line.removeprefix("E").strip() for line in result.stdout.split("\n")]   # pytest's "E   " prefix
    assert quoted.strip() in said, result.stdout[-3000:]
