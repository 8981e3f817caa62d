"""Syllabus facts and the teaching page (docs/teaching.md), and the editions' truthful words.

Each chapter states its objectives and the chapters it assumes in its front matter, and the
build computes its reading time (tools/book.py); each exercise's heading carries its
difficulty and minutes (tools/exercises.py). The chapter pages and the teaching page show
them: these tests compare what the built site shows with the book's own model, never with
numbers typed here. Words true in some editions only stand between edition marks
(exercises.for_edition): the student's edition says nothing of solutions it does not have.
"""

import html
import itertools
import re
from pathlib import Path

import pytest

import book
import exercises
import syllabus
import tangle

ROOT = Path(__file__).resolve().parent.parent
PAGES = book.pages(ROOT)
EVERY = exercises.every(ROOT)

def prose(page_html):
    """The words a page's HTML shows outside code: no <pre>, no <code>, no tags."""
    text = re.sub(r"<(pre|code)\b.*?</\1>", " ", page_html, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def page(site, file):
    return (site / file.removesuffix(".md").removesuffix("index") / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the facts, in the Markdown

def test_every_chapter_but_the_preface_has_valid_front_matter():
    assert not book.facts_problems(PAGES)
    chapters = [pg for pg in PAGES.values() if pg.number]
    assert all(pg.objectives is not None and 2 <= len(pg.objectives) <= 4 for pg in chapters)


@pytest.mark.parametrize("facts, problem", [
    ("objectives:\n  - Do one thing.\nassumes: []\n", "1 objectives"),
    ("objectives: [A., B., C., D., E.]\nassumes: []\n", "5 objectives"),
    ("objectives:\n  - explain it.\n  - Do it.\nassumes: []\n", "must start with a verb"),
    ("objectives:\n  - Explain it.\n  - Do it.\nassumes: [3]\n", "chapter 3, which does not come before it"),
    ("objectives:\n  - Explain it.\n  - Do it.\nassumes: [0]\n", "chapter 0"),
])
def test_facts_that_break_the_rules_are_named(facts, problem):
    pages = {"01-a.md": book.parse("01-a.md", "# 1. A\n"),
             "02-b.md": book.parse("02-b.md", f"---\n{facts}---\n# 2. B\n")}
    problems = book.facts_problems(pages)
    assert any(problem in p and p.startswith("docs/02-b.md") for p in problems), problems
    assert "docs/01-a.md: it needs front matter (objectives, assumes)" in problems


@pytest.mark.parametrize("facts, message", [
    ("objectives: [\n", "is not valid YAML"),
    ("objectives: [Do a., Do b.]\n", "exactly two fields"),
    ("objectives: [Do a., Do b.]\nassumes: []\nminutes: 5\n", "exactly two fields"),
    ("objectives:\n  - Write one step: forward.\n  - Do b.\nassumes: []\n", "quote one that holds"),
    ("objectives: [Do a., Do b.]\nassumes: [one]\n", "list of chapter numbers"),
])
def test_malformed_front_matter_is_one_line(facts, message):
    with pytest.raises(ValueError, match=message) as caught:
        book.parse("02-b.md", f"---\n{facts}---\n# 2. B\n")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("docs/02-b.md: its front matter")


def test_front_matter_leaves_every_block_on_its_line():
    """book.py (the tangler's markers, the runner's ids) and pytest-markdown-docs (its
    reports) name a block by the line of its fence in the file, front matter included."""
    from markdown_it import MarkdownIt
    from pytest_markdown_docs.plugin import extract_fence_tests
    text = (ROOT / "docs" / "03-autograd.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    lines = text.split("\n")
    page = book.parse("03-autograd.md", text)
    tests = list(extract_fence_tests(MarkdownIt("commonmark"), text, 0, ROOT / "docs" / "03-autograd.md"))
    assert [t.start_line for t in tests] == [b.line for b in page.blocks if b.fenced and b.info.split()[0] == "python"]
    assert len(tests) > 10
    assert all(lines[b.line - 1].lstrip().startswith("```") for b in page.blocks if b.fenced)
    for module, chapter, line, code, _ in tangle.blocks(ROOT):   # every chapter's package blocks
        fence = (ROOT / chapter).read_text(encoding="utf-8").split("\n")[line - 1]
        assert fence.startswith(f'```python title="{module}'), (chapter, line, fence)
    bare = book.parse("03-autograd.md", book.FRONT.sub("", text, count=1))
    shift = book.FRONT.match(text).group(0).count("\n")
    assert [b.line - shift for b in page.blocks] == [b.line for b in bare.blocks]
    assert (page.title, page.sections, page.words) == (bare.title, bare.sections, bare.words)


def test_reading_time_counts_words_of_prose_only():
    text = ("---\nobjectives: [Do a., Do b.]\nassumes: []\n---\n# 2. B\n\n"
            "one two `three` $x$\n\n```python\nfour = 5\n```\n\n$$\nsix + seven\n$$\n\n"
            "<!-- eight\nnine -->\n!!! note\n    ten ---\n\n    ~~~\n    eleven\n    ~~~\n\n"
            "## Exercises {#exercises}\n\ntwelve\n")
    page = book.parse("02-b.md", text)
    assert page.words == len("2. B one two `three` $x$ note ten".split())   # the title too; "---" holds no letter
    longer = book.parse("02-b.md", "# 2. B\n\n" + "word " * (book.WORDS_PER_MINUTE + 1))
    assert book.reading_minutes(longer) == 2 and book.reading_minutes(page) == 1


# ---------------------------------------------------------------- the exercises' facts

def test_every_exercise_has_a_difficulty_and_minutes():
    assert len(EVERY) >= 40
    for e in EVERY.values():
        assert e.difficulty in (1, 2, 3) and 1 <= e.minutes <= 240, e
    assert {e.difficulty for e in EVERY.values()} == {1, 2, 3}
    assert {e.kind for e in EVERY.values()} == {"predict", "break", "extend"}


@pytest.mark.parametrize("attrs, message", [
    ("", 'needs data-difficulty="1", "2" or "3"'),
    (' data-minutes="10"', "data-difficulty"),
    (' data-difficulty="4" data-minutes="10"', "data-difficulty"),
    (' data-difficulty="2"', 'data-minutes="N"'),
    (' data-difficulty="2" data-minutes="ten"', 'data-minutes="N"'),
    (' data-difficulty="2" data-minutes="0"', 'data-minutes="N"'),
])
def test_a_missing_or_malformed_difficulty_or_time_is_one_line(attrs, message):
    text = (ROOT / "docs" / "01-dataset.md").read_text(encoding="utf-8")
    heading = re.search(r"^### .*\{#exercise-1-2( [^}]*)\}$", text, re.M)
    broken = text.replace(heading.group(0), heading.group(0).replace(heading.group(1), attrs))
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        exercises.of_page("01-dataset.md", broken)
    assert str(caught.value).startswith("docs/01-dataset.md: Exercise 1.2: ") and "\n" not in str(caught.value)


# ---------------------------------------------------------------- the editions' words

def test_edition_marks_keep_each_part_in_its_editions():
    text = "a\n<!-- edition: reader teacher -->\nb\n<!-- edition: student -->\nc\n<!-- edition: end -->\nd"
    assert exercises.for_edition(text, "reader") == "a\nb\nd"
    assert exercises.for_edition(text, "teacher") == "a\nb\nd"
    assert exercises.for_edition(text, "student") == "a\nc\nd"
    for broken, message in [("x\n<!-- edition: student -->\ny", "docs/p.md:2: this edition mark's part is never closed"),
                            ("<!-- edition: end -->", "docs/p.md:1: <!-- edition: end --> closes no part"),
                            ("<!-- edition: teachers -->\n<!-- edition: end -->", "docs/p.md:1: a mark names")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            exercises.for_edition(broken, "reader", "docs/p.md")


def as_built(file, name):
    """A page's Markdown as the site hook gives it to the edition name."""
    text = (ROOT / "docs" / file).read_text(encoding="utf-8")
    return exercises.edition(text, name) if PAGES[file].number is not None else exercises.for_edition(text, name)


def outside_code(markdown):
    """Markdown without its fenced blocks and inline code."""
    kept, fence = [], None
    for line in markdown.split("\n"):
        bare = line.strip()
        if fence or bare.startswith(("```", "~~~")):
            fence = None if fence and bare.startswith(fence) and not bare.strip(fence[0]) else \
                fence or bare[:len(bare) - len(bare.lstrip(bare[0]))]
            continue
        kept.append(line)
    return re.sub(r"`[^`\n]*`", "", "\n".join(kept))


def test_the_students_edition_never_speaks_of_solutions_and_the_others_say_where_they_are():
    """In the Markdown every page of each edition is built from (the built sites: below)."""
    student = {f: outside_code(as_built(f, "student")) for f in PAGES}
    assert not {f: t for f, t in student.items() if re.search(r"(?i)solution", t)}
    reader, teacher = as_built("index.md", "reader"), as_built("index.md", "teacher")
    assert "solution, under it, closed until you open it" in reader
    assert "solution, open under it" in teacher and "closed until" not in outside_code(teacher).split("## How to run")[0]
    for name in ("reader", "teacher"):   # the full story: the solutions are in the repository's chapters
        assert re.search(r"solutions are still in the chapters' Markdown", as_built("cite.md", name))
        assert re.search(r"solutions are also in the chapters' Markdown", as_built("teaching.md", name))
        assert re.search(r"(?i)solution", outside_code(as_built("making.md", name)))


# ---------------------------------------------------------------- the built site (the reader's)

def test_each_chapter_page_opens_with_its_facts_and_shows_each_exercises(built_site):
    for file, pg in PAGES.items():
        if not pg.number:
            continue
        shown = page(built_site, file)
        words = prose(shown)
        if pg.objectives is not None:
            at = shown.index('<div class="admonition abstract">')
            box = prose(shown[at:shown.index("</div>", at)])
            assert shown.index("</h1>") < at < shown.index('<h2 id="'), file
            assert all(o in box for o in pg.objectives), file
            assert (f"Reading time: about {book.reading_minutes(pg)} minutes ({pg.words:,} words of prose, "
                    f"at {book.WORDS_PER_MINUTE} words a minute") in box, file
            for n in pg.assumes:
                assumed = next(p for p in PAGES.values() if p.number == n)
                assert f'href="../{assumed.file.removesuffix(".md")}/">{n}. {html.escape(assumed.title, quote=False)}</a>' in shown
            assert ("It assumes no earlier chapter." in box) == (not pg.assumes)
        for e in (e for e in EVERY.values() if e.chapter == f"docs/{file}"):
            at = shown.index(f'id="{e.anchor}"')
            facts = prose(shown[at:shown.index("</p>", at)])
            assert (f"Kind: {e.kind} · Difficulty: {e.difficulty} of 3 · Time: about {e.minutes} minutes "
                    f"(the authors' estimate)") in facts, (e.number, facts)
        assert "In this chapter" in words or pg.objectives is None


def test_the_words_of_prose_agree_with_the_built_pages(built_site):
    """Counted another way: the words each built chapter shows before its exercises, outside
    code, figures, tables, math and the facts box. Build-time blocks add some prose of their
    own (chapter 13's verdicts, say), which the chapter's source does not hold, so the two
    agree within 15%; counting the code as well would add far more."""
    for file, pg in PAGES.items():
        if not pg.number:
            continue
        shown = page(built_site, file)
        shown = shown[shown.index("</h1>", shown.index("<article")):shown.index('id="exercises"')]
        shown = re.sub(r'<div class="admonition abstract">.*?</div>|<span class="section-number">.*?</span>',
                       " ", shown, flags=re.S)
        shown = re.sub(r"<(pre|script|svg|figure|table)\b.*?</\1>", " ", shown, flags=re.S)
        shown = re.sub(r'<span class="arithmatex">.*?</span>', " x ", shown, flags=re.S)
        shown = re.sub(r'<div class="arithmatex">.*?</div>', " ", shown, flags=re.S)
        words = sum(any(c.isalnum() for c in w) for w in html.unescape(re.sub(r"<[^>]+>", " ", shown)).split())
        assert 0.85 < words / pg.words < 1.15, (file, pg.words, words)


def teaching_rows(site, anchor):
    """The rows of the first table after the heading of anchor on the teaching page, as lists
    of cells (each cell's text, and its first link)."""
    shown = page(site, "teaching.md")
    table = re.search(r"<table>.*?</table>", shown[shown.index(f'id="{anchor}"'):], re.S).group(0)
    return [[(prose(cell), (re.findall(r'href="([^"]*)"', cell) or [None])[0])
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]


def test_the_teaching_page_lists_every_chapter_with_its_facts(built_site):
    rows = teaching_rows(built_site, "chapters")
    chapters = [pg for pg in PAGES.values() if pg.number]
    assert len(rows) == len(chapters)
    for row, pg in zip(rows, chapters):
        (title, link), (can, _), (assumes, _), (time, _) = row
        assert title == f"{pg.number}. {pg.title}" and link == f"../{pg.file.removesuffix('.md')}/"
        assert all(o in can for o in pg.objectives or ()) and pg.objectives
        assert assumes == (", ".join(map(str, pg.assumes or ())) or "no earlier chapter")
        assert time == f"{book.reading_minutes(pg)} min ({pg.words:,} words)"


def test_the_teaching_page_lists_every_exercise_with_kind_difficulty_and_minutes(built_site):
    rows = teaching_rows(built_site, "exercises")
    assert [r[0][0] for r in rows] == list(EVERY)
    for row, e in zip(rows, EVERY.values()):
        assert row[0][1] == f"../{e.chapter.removeprefix('docs/').removesuffix('.md')}/#{e.anchor}"
        assert [cell for cell, _ in row[1:]] == [e.title, e.kind, str(e.difficulty), str(e.minutes)]


def test_each_unit_plan_covers_its_parts_in_order_with_the_lightest_heaviest_week(built_site):
    """Checked against every way of cutting the chapters into that many weeks, not
    against the planner's own arithmetic."""
    chapters, parts = syllabus.chapters(ROOT), syllabus.parts(ROOT)
    for weeks, count in syllabus.PLANS:
        files = [f for _, part in (parts[:count] if count else parts) for f in part]
        mine = [(pg, found) for pg, found in chapters if pg.file in files]
        rows = teaching_rows(built_site, f"weeks-{weeks}")
        assert [int(r[0][0]) for r in rows] == list(range(1, len(rows) + 1)) and len(rows) == min(weeks, len(mine))
        taken = [int(n) for r in rows for n in r[1][0].split(", ")]
        assert taken == [pg.number for pg, _ in mine]
        loads = {pg.number: (book.reading_minutes(pg), sum(e.minutes for e in found)) for pg, found in mine}
        heaviest = 0
        for row in rows:
            numbers = [int(n) for n in row[1][0].split(", ")]
            read, work = (sum(loads[n][i] for n in numbers) for i in (0, 1))
            assert [c for c, _ in row[2:]] == [f"{read} min", f"{work} min", f"{(read + work) / 60:.1f} h"]
            heaviest = max(heaviest, read + work)
        total = [sum(loads[pg.number]) for pg, _ in mine]
        best = min(max(sum(total[a:b]) for a, b in zip((0, *cut), (*cut, len(total))))
                   for cut in itertools.combinations(range(1, len(total)), len(rows) - 1))
        assert heaviest == best, (weeks, heaviest, best)


def test_the_readers_edition_says_where_the_answers_are(built_site):
    assert "Every exercise also has a solution, under it, closed until you open it" in prose(page(built_site, "index.md"))
    assert "The solutions are still in the chapters' Markdown" in prose(page(built_site, "cite.md"))
    assert "The solutions are also in the chapters' Markdown, in the repository" in prose(page(built_site, "teaching.md"))
    assert "<!-- edition:" not in page(built_site, "index.md")


FALSE_FOR_STUDENTS = ("Every exercise also has a solution", "The solutions are still in the chapters",
                      "The solutions are also in the chapters", "Exercises with proven solutions")


def files_of(site):
    return {path: path.read_text(encoding="utf-8", errors="replace")
            for path in list(site.rglob("*.html")) + list(site.rglob("*.json"))}


def test_the_students_edition_speaks_of_no_solution(student_site, built_site, teacher_site):
    """The student's build: no page's prose mentions a solution, and none of the sentences
    that tell where the solutions are is anywhere in the site, search index included; each
    of those is in the reader's edition, so the search can find them. The teacher's edition
    says where its solutions are too."""
    mentions = {str(p.relative_to(student_site)): m.group(0) for p, t in files_of(student_site).items()
                if p.suffix == ".html" for m in [re.search(r"(?i).{0,60}solution.{0,60}", prose(t))] if m}
    assert not mentions, mentions
    student, reader = "\n".join(files_of(student_site).values()), "\n".join(files_of(built_site).values())
    for sentence in FALSE_FOR_STUDENTS:
        assert sentence not in student and sentence in reader, sentence
    assert "This is the student's edition of the book" in prose(page(student_site, "teaching.md"))
    assert "Kind: predict · Difficulty:" in prose(page(student_site, "03-autograd.md"))
    assert "Every exercise also has a solution, open under it" in prose(page(teacher_site, "index.md"))
    assert "The solutions are also in the chapters' Markdown, in the repository" in prose(page(teacher_site, "teaching.md"))
