"""The book's syllabus facts, gathered for the teaching page (docs/teaching.md) and its tests.

Nothing here is typed in: the chapters' objectives, assumed chapters and words of prose
come from their front matter and text (tools/book.py), the exercises' kind, difficulty and
minutes from their headings (tools/exercises.py), and the parts from mkdocs.yml's nav. A
unit plan cuts the chapters of some parts, in reading order, into weeks of about equal
work (reading them and doing every exercise), the heaviest week as light as it can be.
"""

import functools

import book
import exercises

# (weeks, how many of the book's parts, from the first): the teaching page's unit plans
PLANS = ((3, 1), (6, 2), (10, None))   # None: every part


def chapters(root=book.ROOT):
    """[(Page, [Exercise, ...])] for every chapter but the preface, in reading order."""
    found = exercises.every(root).values()
    return [(page, [e for e in found if e.chapter == f"docs/{page.file}"])
            for page in book.pages(root).values() if page.number]


def file_of(number, root=book.ROOT):
    """The file of chapter number: 3 -> 03-autograd.md."""
    return next(page.file for page in book.pages(root).values() if page.number == number)


def parts(root=book.ROOT):
    """[(title, [chapter file, ...])] for each part of mkdocs.yml's nav ("Part I: The program")."""
    return [(title, book.nav(root, files)) for item in book.config(root)["nav"] if isinstance(item, dict)
            for title, files in item.items() if title.startswith("Part ")]


def minutes(page, found):
    """(reading, exercises): the minutes a chapter's reading and all its exercises take."""
    return book.reading_minutes(page), sum(e.minutes for e in found)


def plan(loads, weeks):
    """Cut loads (minutes, in reading order) into at most `weeks` runs that keep the order,
    so that the heaviest run is as light as it can be: [(first, end), ...], end excluded.
    Ties go to the plan whose earlier weeks carry more (the later ones are left the room)."""
    weeks = min(weeks, len(loads))

    @functools.cache
    def best(start, k):   # (heaviest week, -first week's load, cuts) for loads[start:] in k weeks
        if k == 1:
            return sum(loads[start:]), 0, (len(loads),)
        return min((max(sum(loads[start:end]), best(end, k - 1)[0]), -sum(loads[start:end]),
                    (end,) + best(end, k - 1)[2]) for end in range(start + 1, len(loads) - k + 2))

    cuts = (0,) + best(0, weeks)[2]
    return list(zip(cuts, cuts[1:]))
