"""The exercises at the end of the chapters (tools/exercises.py): each one proven.

For every exercise, the solution passes its check and the untouched starting point fails
it, in the check itself, with a message (a check that a stub passes is a defect). Each is
run as the page runs it, by tools/page/harness.py, so the Check button and these tests
give one verdict. ``python -m pytest --exercise 3.2`` runs the reader's own block for
Exercise 3.2 (as the chapter stands now) through its check instead.
"""

import html
import importlib
import importlib.util
import json
import pkgutil
import re
from pathlib import Path

import pytest

import book
import exercises

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("harness", ROOT / "tools" / "page" / "harness.py")
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)

EVERY = exercises.every(ROOT)


@pytest.fixture(autouse=True)
def _classes_as_they_were():
    """A solution may add to a class of the package (Exercise 3.3 gives Value a tanh):
    take back whatever a block added, so no other test meets it."""
    import microgpt
    modules = [importlib.import_module(f"microgpt.{m.name}") for m in pkgutil.iter_modules(microgpt.__path__)
               if m.name not in ("__main__", "fast")]          # fast needs NumPy, and no exercise adds to it
    classes = [c for m in modules for c in vars(m).values() if isinstance(c, type) and c.__module__ == m.__name__]
    before = {c: dict(vars(c)) for c in classes}
    yield
    for c, attributes in before.items():
        for name in set(vars(c)) - set(attributes):
            delattr(c, name)


def verdict(exercise, code):
    return harness.run_block(code, exercise.chapter, exercise.line, exercise.check)


@pytest.mark.parametrize("number", list(EVERY))
def test_the_solution_passes_and_the_start_fails(number, record_property):
    exercise = EVERY[number]
    start, solution = verdict(exercise, exercise.start), verdict(exercise, exercise.solution)
    assert solution["passed"], f"Exercise {number}: the solution fails its check: {solution['error']}"
    assert not start["passed"], f"Exercise {number}: the untouched starting point passes its check"
    assert start["where"] == exercise.check[0] and start["error"], \
        f"Exercise {number}: the starting point must run, and fail in the check with a message: {start}"
    record_property("measured", f"Exercise {number}: solution passes, start fails ({start['error']})")


@pytest.mark.slow
@pytest.mark.parametrize("number", list(EVERY))
def test_the_solution_passes_and_the_start_fails_as_files(number, tmp_path):
    """The same proof through files, as --exercise N.M --answer FILE and tools/grade.py check
    them: each in a process of its own, reading no chapter."""
    exercise = EVERY[number]
    for name, code in (("solution", exercise.solution), ("start", exercise.start)):
        (tmp_path / f"{name}.py").write_text(code, encoding="utf-8")
    solution, start = (harness.check_file(number, str(tmp_path / f"{name}.py"), 120, str(ROOT))
                       for name in ("solution", "start"))
    assert solution["passed"], f"Exercise {number}: the solution's file fails: {solution['error']}"
    assert not start["passed"] and start["where"] == exercise.check[0], \
        f"Exercise {number}: the starting point's file must run, and fail in the check: {start}"


def test_the_exercises_are_numbered_in_order_and_each_names_its_check():
    for file, page in book.pages(ROOT).items():
        mine = [e for e in EVERY.values() if e.chapter == f"docs/{file}"]
        assert [e.number for e in mine] == [f"{page.number}.{i}" for i in range(1, len(mine) + 1)]
        for e in mine:
            assert f"python -m pytest --exercise {e.number}" in (ROOT / e.chapter).read_text(encoding="utf-8")


def test_every_chapter_has_at_least_three_exercises():
    counts = {page.number: sum(e.chapter == f"docs/{file}" for e in EVERY.values())
              for file, page in book.pages(ROOT).items() if page.number}
    assert len(counts) >= 13 and all(n >= 3 for n in counts.values()), counts


def test_your_block(exercise_number, request):
    """--exercise N.M: the reader's block, as the chapter has it now, through its check, in a
    process of its own with a time limit (--time-limit), as --answer runs a file."""
    if exercise_number not in EVERY:
        pytest.fail(f"there is no Exercise {exercise_number}; the book has {', '.join(EVERY)}", pytrace=False)
    exercise = EVERY[exercise_number]
    result = harness.run_alone(exercise.start, exercise.chapter, exercise.line, exercise.check,
                               request.config.getoption("time_limit"), cwd=str(ROOT))
    if not result["passed"]:
        at = f" (line {result['line']} of your block, {exercise.chapter}:{exercise.line + result['line']})" \
            if result["line"] else ""
        pytest.fail(f"Exercise {exercise_number}, not yet: {result['error']}{at}", pytrace=False)


def test_each_edition_shows_the_solutions_and_the_notes_for_teachers_as_it_says():
    text = (ROOT / "docs" / "03-autograd.md").read_text(encoding="utf-8")
    solved = [line for e in EVERY.values() if e.chapter == "docs/03-autograd.md"
              for line in e.solution.splitlines() if line.strip() and line not in e.start.splitlines()]
    assert solved
    reader, teacher, student = (exercises.edition(text, name) for name in ("reader", "teacher", "student"))
    assert all(line in reader and line in teacher for line in solved)
    assert not [line for line in solved if line in student]
    assert exercises.SOLUTION_BOX in reader and exercises.TEACHERS_BOX not in reader
    assert "???+" + exercises.SOLUTION_BOX[3:] in teacher and "???+" + exercises.TEACHERS_BOX[3:] in teacher
    assert exercises.TEACHERS_BOX[4:] not in student and exercises.SOLUTION_BOX[4:] not in student
    assert student.count('title="Exercise ') == text.count('title="Exercise ')   # the exercises stay
    with pytest.raises(ValueError, match="the editions are reader, teacher, student"):
        exercises.edition(text, "teachers")


# ---------------------------------------------------------------- nothing leaks (issue 24)

def solution_lines():
    """{N.M: the lines only its solution has}: stripped lines of the solution that its
    starting block lacks and that are in no page of the student's edition and no module of
    the package (an API page shows the package's code), so finding one is finding a leak."""
    rest = "\n".join([exercises.edition((ROOT / "docs" / f).read_text(encoding="utf-8"), "student")
                      for f in book.nav(ROOT)] + [p.read_text(encoding="utf-8") for p in (ROOT / "microgpt").glob("*.py")])
    return {n: {" ".join(line.split()) for line in e.solution.splitlines()
                if line.strip() and line not in e.start.splitlines() and line.strip() not in rest}
            for n, e in EVERY.items()}


def teacher_sentences():
    """Every sentence of the notes for teachers (of five words or more), as a page prints
    it: the Markdown's marks (code, emphasis, links) taken out."""
    found = []
    for file in book.nav(ROOT):
        lines = (ROOT / "docs" / file).read_text(encoding="utf-8").split("\n")
        for at in [i for i, line in enumerate(lines) if line.rstrip() == exercises.TEACHERS_BOX]:
            box = []
            for line in lines[at + 1:]:
                if line.strip() and not line.startswith("    "):
                    break
                box.append(line)
            plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", " ".join(" ".join(box).split()))
            plain = "".join(part if i % 2 else part.replace("*", "") for i, part in enumerate(plain.split("`")))
            found += [s for s in re.split(r"(?<=[.;:?!])\s+", plain) if len(s.split()) >= 5]
    return found


def shipped(site):
    """Every text file of a built site as one text a reader could search, every run of
    whitespace one space: each file as it is, and for HTML and JSON (the search index, the
    page's book.json) also as read, the strings of JSON decoded, HTML's tags taken out."""
    texts = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue                                 # not text: WebAssembly, a zip of Python's own library
        texts.append(" ".join(text.split()))
        if path.suffix == ".json":
            text = "\n".join(strings(json.loads(text)))
        if path.suffix in (".json", ".html"):
            texts.append(" ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split()))
    return "\n".join(texts)


def strings(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    inner = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for v in inner for s in strings(v)]


def found_in(site):
    everything = shipped(site)
    lines = {n: sorted(line for line in lines if line in everything) for n, lines in solution_lines().items()}
    return lines, [s for s in teacher_sentences() if s in everything]


def test_the_leak_scan_finds_every_solution_in_the_readers_site(built_site):
    """The scan proves itself on the reader's edition: every solution line is found (the
    solutions are there, closed), and no note for teachers (the reader's edition drops them)."""
    lines, notes = found_in(built_site)
    assert all(solution_lines().values()), [n for n, want in solution_lines().items() if not want]
    assert lines == {n: sorted(want) for n, want in solution_lines().items()}
    assert len(teacher_sentences()) >= 13 and not notes, notes


@pytest.mark.slow
def test_the_students_site_ships_no_solution_and_no_note_for_teachers(student_site, teacher_site):
    """Every text file of the student's edition (pages, search index, the page's scripts and
    the checks it runs) holds no solution line and no sentence of a note for teachers; the
    teacher's edition, scanned the same way, holds them all."""
    lines, notes = found_in(student_site)
    assert not any(lines.values()) and not notes, ({n: f for n, f in lines.items() if f}, notes[:3])
    assert "Exercise 3.1" in shipped(student_site)         # the exercises themselves are there
    lines, notes = found_in(teacher_site)
    assert lines == {n: sorted(want) for n, want in solution_lines().items()}
    assert notes == teacher_sentences()
