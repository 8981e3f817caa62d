"""The book's exercises, read from the chapters: for the tests, the site and the page.

Every chapter ends with ``## Exercises {#exercises}``; each ``###`` in it is one exercise,
numbered by book.py (``Exercise 3.2``, anchor ``exercise-3-2``; a new exercise goes at the
end, so numbers and anchors never change once published). An exercise is, in this order:

- its kind, the first words under the heading: ``*Predict, then run.*``, ``*Break it.*``
  or ``*Extend it.*``, and its statement;
- the block the reader works in, a fence ``python title="Exercise 3.2"``: the starting point,
  which the reader changes (in the chapter, or in the page's editor). pytest does not run
  it as an example (it is unfinished on purpose); its check does, below;
- hints, ``??? tip "Hint 1"``, ``??? tip "Hint 2"``, …, each opened on its own;
- the solution, ``??? success "Solution"``, holding a fence ``python title="Solution 3.2"``:
  the whole block, solved, and why.

The check is a function ``check_3_2(ns)`` in ``tests/exercises/chapter_03.py``, given the
namespace the reader's block left; it raises AssertionError with a message that says what
is wrong. tests/test_exercises.py proves, for every exercise, that the solution passes its
check and that the untouched starting point fails it.
"""

import re
from dataclasses import dataclass

import book

CHECKS = "tests/exercises"  # chapter_03.py holds chapter 3's checks
SHARED = f"{CHECKS}/answers.py"  # what every chapter's checks share
KINDS = {"*Predict, then run.*": "predict", "*Break it.*": "break", "*Extend it.*": "extend"}
START = re.compile(r'^python title="Exercise (\d+\.\d+)"$')
SOLUTION = re.compile(r'^```python title="Solution (\d+\.\d+)"\n(.*?)^```$', re.M | re.S)
HINT = re.compile(r'^\?\?\? tip "Hint (\d+)"', re.M)
ANSWER = re.compile(r'^\?\?\? success "Solution"', re.M)


@dataclass(frozen=True)
class Exercise:
    number: str         # "3.2"
    chapter: str        # "docs/03-autograd.md"
    anchor: str         # "exercise-3-2"
    title: str
    kind: str           # "predict", "break" or "extend"
    line: int           # the line of the starting block's fence
    start: str          # the starting block's code
    solution: str       # the solution block's code
    hints: int          # how many hints

    @property
    def check(self):
        """(module path, function name) of its check."""
        chapter = int(self.number.split(".")[0])
        return f"{CHECKS}/chapter_{chapter:02d}.py", f"check_{self.number.replace('.', '_')}"


def of_page(file, text):
    """The exercises of one chapter's Markdown text, in order; a malformed one is a
    ValueError of one line naming the chapter and the exercise."""
    page = book.parse(file, text)
    if page.number is None:
        return []
    lines, found = text.split("\n"), []
    for section in (s for s in page.sections if s.label.startswith("Exercise ")):
        number = section.label.removeprefix("Exercise ")
        where, anchor = f"docs/{file}: Exercise {number}", f"exercise-{number.replace('.', '-')}"
        if section.anchor != anchor:
            raise ValueError(f"{where}: its anchor must be {{#{anchor}}}")
        at = next(i for i, ln in enumerate(lines) if ln.startswith("### ") and re.search(rf"\{{#{anchor}[\s}}]", ln))
        end = next((i for i, ln in enumerate(lines[at + 1:], at + 1) if ln.startswith(("## ", "### "))),
                   len(lines))
        body = "\n".join(lines[at + 1:end])
        kind = next((k for words, k in KINDS.items() if body.lstrip().startswith(words)), None)
        starts = [b for b in page.blocks if at < b.line - 1 < end and START.match(b.info)]
        said = START.match(starts[0].info).group(1) if starts else number
        solutions = [(m.group(1), m.group(2)) for m in SOLUTION.finditer(
            "\n".join(ln[4:] if ln.startswith("    ") else ln for ln in body.split("\n")))]
        hints = [int(n) for n in HINT.findall(body)]
        problems = [
            kind is None and f"it must open with one of {', '.join(KINDS)}",
            len(starts) != 1 and f'it needs one block python title="Exercise {number}"',
            said != number and f'its block says "Exercise {said}"',
            [n for n, _ in solutions] != [number]
            and f'it needs one ??? success "Solution" with a block python title="Solution {number}"',
            not ANSWER.search(body) and 'its solution must be in ??? success "Solution"',
            hints != list(range(1, len(hints) + 1)) and "its hints must be Hint 1, Hint 2, … in order",
        ]
        if any(problems):
            raise ValueError(f"{where}: " + next(p for p in problems if p))
        found.append(Exercise(number, f"docs/{file}", anchor, section.title, kind,
                              starts[0].line, starts[0].code, solutions[0][1], len(hints)))
    return found


def every(root=book.ROOT):
    """{number: Exercise} for every exercise of the book, in reading order."""
    return {e.number: e for file, page in book.pages(root).items()
            for e in of_page(file, (root / "docs" / file).read_text(encoding="utf-8"))}


# ---------------------------------------------------------------- the three editions

EDITIONS = ("reader", "teacher", "student")
SOLUTION_BOX = '??? success "Solution"'
TEACHERS_BOX = '??? info "For teachers"'


def edition(markdown, name):
    """A chapter's Markdown as the edition name shows it. The reader's (the default) keeps
    the solutions, closed until the reader opens one, and drops the notes for teachers; the
    teacher's opens every solution and keeps the notes; the student's drops both, so its
    HTML (and its search index) holds no solution at all."""
    if name not in EDITIONS:
        raise ValueError(f"MICROGPT_EDITION={name!r}: the editions are {', '.join(EDITIONS)}")
    out, dropping = [], False
    for line in markdown.split("\n"):
        if dropping and (not line.strip() or line.startswith("    ")):
            continue
        dropping = False
        box = line.rstrip()
        if box == TEACHERS_BOX and name != "teacher" or box == SOLUTION_BOX and name == "student":
            dropping = True
            continue
        if name == "teacher" and box in (TEACHERS_BOX, SOLUTION_BOX):
            line = "???+" + line[3:]
        out.append(line)
    return "\n".join(out)
