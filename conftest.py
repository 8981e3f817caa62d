"""Test-session set-up for the book: which code the tests run, and which tests run.

0. Work from the root of the repository (the examples read ``names.txt``).
1. Two tiers. ``python -m pytest`` runs the default tier, everything a reader
   needs to trust the book, in a couple of minutes (pytest-xdist spreads it over
   every core: ``-n auto`` in pyproject.toml). ``--full`` adds the tests marked
   ``slow``: the whole 1000-step reproductions, the bigger run and the committed
   assets made again (CI prints how long each tier takes).
2. One chapter at a time. ``python -m pytest --chapter N`` runs chapter N's
   example blocks and ``tests/test_NN_*.py`` against the package as it stands
   at the end of chapter N: the chapters up to N are tangled into a folder of
   their own, and ``microgpt`` is imported from there and from nowhere else, so
   a test that uses a later chapter's code fails, naming that chapter.
   Without ``--chapter``, the chapters are re-tangled into microgpt/ first, so
   the tests never run code older than the prose (CI checks separately, with
   ``tools/tangle.py --check``, that the committed package was up to date).
3. Say what was measured. A test that measures something a reader should see in
   CI's log (how many of the page's losses are bit-identical, say) records it
   with ``record_property("measured", text)``; the run ends with a list of them.
4. Tell pytest-markdown-docs which fences are tests. A fence is run as a test
   only when its info string is exactly ``python``: titled package blocks
   (``python title="microgpt/…"``) are tested through the package, and
   build-time blocks (``python exec="on"``) are run by the site build.
"""

import importlib.machinery
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import tangle  # tools/tangle.py: pyproject.toml puts tools/ on pytest's path

ROOT = Path(__file__).resolve().parent
SNAPSHOT = "MICROGPT_CHAPTER_SNAPSHOT"  # the snapshot's folder, for the tests' subprocesses


def pytest_addoption(parser):
    group = parser.getgroup("microgpt", "the book's tiers and chapters")
    group.addoption("--full", action="store_true",
                    help="the full tier: also run the slow tests (whole reproductions, the bigger run)")
    group.addoption("--chapter", type=int, metavar="N",
                    help="run chapter N's examples and tests on the package as it stands "
                         "at the end of chapter N")
    group.addoption("--exercise", metavar="N.M",
                    help="check your block of Exercise N.M, as the chapter has it now")
    group.addoption("--answer", metavar="FILE",
                    help="with --exercise N.M: check FILE as your answer (the chapter is not read)")
    group.addoption("--time-limit", type=float, default=30, metavar="S",
                    help="with --exercise: the seconds an answer may run (default 30)")


def pytest_configure(config):
    if config.getoption("answer") and not config.getoption("exercise"):
        raise pytest.UsageError("--answer FILE: say which exercise it answers, with --exercise N.M")
    if not config.getoption("time_limit") > 0:
        raise pytest.UsageError("--time-limit: give a number of seconds above 0")
    chapter = config.getoption("chapter")
    if chapter is None:
        for module in tangle.write(ROOT):
            print(f"conftest: re-tangled {module} from the chapters", file=sys.stderr)
        return
    last = max(page.number for page in tangle.book.pages(ROOT).values() if page.number is not None)
    if not 1 <= chapter <= last:
        raise pytest.UsageError(f"--chapter {chapter}: the book's chapters are 1 to {last}")
    if "microgpt" in sys.modules:
        raise pytest.UsageError("--chapter: microgpt was imported before the snapshot was made")
    folder = Path(tempfile.mkdtemp(prefix=f"microgpt-chapter-{chapter:02d}-"))
    born = tangle.snapshot(ROOT, chapter, folder)
    sys.meta_path.insert(0, Snapshot(folder, chapter, born))
    os.environ[SNAPSHOT] = str(folder)
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


class Snapshot:
    """An import finder that finds microgpt and its modules in the chapter's snapshot
    only, so an installed (or editable) microgpt/ can never stand in for a module the
    chapter has not written yet."""

    def __init__(self, folder, chapter, born):
        self.folder, self.chapter, self.born = folder, chapter, born

    def find_spec(self, name, path=None, target=None):
        if name != "microgpt" and not name.startswith("microgpt."):
            return None
        where = self.folder if name == "microgpt" else self.folder / "microgpt"
        spec = importlib.machinery.PathFinder.find_spec(name, [str(where)])
        if spec is not None:
            return spec
        module = name.replace(".", "/") + ".py"
        later = self.born.get(module)
        raise ModuleNotFoundError(
            f"{name} is not in the package at the end of chapter {self.chapter}"
            + (f": chapter {later} writes it" if later else ""), name=name)


EXERCISES = "test_exercises.py"  # every chapter's exercises, parametrized by number
ANSWERS = "test_answers.py"      # --answer FILE: the reader's file; it reads no chapter


def pytest_ignore_collect(collection_path, config):
    """With --chapter N, collect only docs/NN-*.md, tests/test_NN_*.py and the exercises
    (of chapter N only: see below); with --exercise, only the exercises."""
    chapter = config.getoption("chapter")
    if collection_path.name == "exercises" and collection_path.parent.name == "tests":
        return True   # the exercises' checks: not tests, and each needs its own chapter's code
    if collection_path.is_dir() or not re.fullmatch(r"test_.*\.py|.*\.md", collection_path.name):
        return None
    if config.getoption("exercise"):
        return collection_path.name != (ANSWERS if config.getoption("answer") else EXERCISES)
    if chapter is None or collection_path.name == EXERCISES:
        return None
    mine = (rf"test_{chapter:02d}_.*\.py" if collection_path.suffix == ".py" else rf"{chapter:02d}-.*\.md")
    return not re.fullmatch(mine, collection_path.name)


def pytest_collection_modifyitems(config, items):
    """The default tier leaves out the slow tests; --full keeps them. --exercise N.M keeps
    only the check of the reader's block (or, with --answer, of the reader's file), which no other run has (the book's own blocks
    are starting points, which fail their checks); --chapter N, only chapter N's exercises."""
    exercise, chapter = config.getoption("exercise"), config.getoption("chapter")

    def left_out(item):
        number = getattr(item, "callspec", None) and item.callspec.params.get("number")
        mine = "test_your_file" if config.getoption("answer") else "test_your_block"
        if exercise:
            return getattr(item, "originalname", "") != mine
        return (getattr(item, "originalname", "") in ("test_your_block", "test_your_file")
                or not config.getoption("full") and item.get_closest_marker("slow")
                or chapter is not None and number and number.split(".")[0] != str(chapter)
                # with --chapter, test_exercises.py keeps only that chapter's exercises: its
                # book-wide tests (numbering, the built site's leak scan) are the default tier's
                or chapter is not None and not number and item.path.name == EXERCISES)
    out = [item for item in items if left_out(item)]
    if out:
        items[:] = [item for item in items if not left_out(item)]
        config.hook.pytest_deselected(items=out)


@pytest.fixture
def exercise_number(request):
    """The N.M of --exercise N.M."""
    return request.config.getoption("exercise")


MEASURED = []  # (test id, text) of every record_property("measured", text), on the controller


def pytest_runtest_logreport(report):
    if report.when == "call":
        MEASURED.extend((report.nodeid, value) for name, value in report.user_properties if name == "measured")


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.section("what the tests measured")
        for nodeid, text in sorted(MEASURED):
            terminalreporter.write_line(f"{nodeid}: {text}")


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
