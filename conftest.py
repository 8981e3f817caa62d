"""Test-session set-up for the book.

0. Work from the root of the repository (the examples read ``names.txt``).
1. Before anything is collected, re-tangle the chapters into microgpt/, so the
   tests never run code older than the prose (CI checks separately, with
   ``tools/tangle.py --check``, that the committed package was up to date).
2. Tell pytest-markdown-docs which fences are tests. A fence is run as a test
   only when its info string is exactly ``python``: titled package blocks
   (``python title="microgpt/…"``) are tested through the package, and
   build-time blocks (``python exec="on"``) are run by the site build.
"""

import sys
from pathlib import Path

import pytest
import tangle  # tools/tangle.py: pyproject.toml puts tools/ on pytest's path

ROOT = Path(__file__).resolve().parent

for _module in tangle.write(ROOT):
    print(f"conftest: re-tangled {_module} from the chapters", file=sys.stderr)


def _only_plain_python_fences_are_tests(md):
    def rule(state):
        for token in state.tokens:
            if token.type == "fence" and token.info.strip() not in ("python", "py"):
                token.info = "text notest"

    md.core.ruler.push("microgpt_notest", rule)


def pytest_markdown_docs_markdown_it():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    md.use(_only_plain_python_fences_are_tests)
    return md


@pytest.fixture(autouse=True)
def _at_repository_root(monkeypatch):
    """The chapters' examples open "names.txt" as a reader would, from the root
    of the repository: run every test there, wherever pytest was started."""
    monkeypatch.chdir(ROOT)
