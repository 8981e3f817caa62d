"""Every chapter (and the preface) as a Jupyter notebook, made when the site is built.

jupytext reads the chapter (after tools/exercises.py's edition filter: the student's
notebooks hold no solution) into cells, a ```python fence becoming a code cell whose
metadata are its key="value" attributes; nbformat checks the notebook. An example stays a
code cell; a package block (title="microgpt/...") is shown as Markdown, never re-defined;
a build-time block (exec="on") becomes the Markdown it printed (it needs the book's tools/);
an exercise's block stays a code cell, and the next cell checks the last run of it through
the page's harness, as Check does. Math stays TeX; headings get their numbers.
"""

import contextlib
import io
import itertools
import posixpath
import re

import jupytext
import nbformat
import yaml

import book
import exercises

HEADING = re.compile(r"^(#{1,3}) (.*?)[ \t]*\{#([A-Za-z0-9_-]+)[^}\n]*\}[ \t]*$", re.M)
CHECK = """# Check Exercise {n}: runs the last run of the cell above through its check, as the page's Check does
import runpy
code = next((c for c in reversed(In) if c.startswith("# Exercise {n}:")), None)
run_block = runpy.run_path("tools/page/harness.py")["run_block"]
verdict = code and run_block(code, "Exercise {n}", 0, {check!r})
print("Run the cell above first." if not code else verdict["output"] +
      ("Exercise {n}: passed." if verdict["passed"] else "Exercise {n}: not yet: " + verdict["error"]))"""


def number_figures(html, chapter, count=None):
    """Put "Figure 6.2" in each figure's caption, counting on from count (in the site too)."""
    count = count or itertools.count(1)
    return re.sub(r"<figcaption\b[^>]*>", lambda m: f'{m[0]}<span class="mg-figure-number">'
                  f'Figure {chapter}.{next(count)}</span> ', html)


def name(file):
    """Where a chapter's notebook is in the site: notebooks/03-autograd.ipynb."""
    stem = posixpath.splitext(posixpath.basename(file))[0]
    return f"notebooks/{'00-preface' if stem == 'index' else stem}.ipynb"


def first_cell(page, meta, edition):
    return (f"*{meta['title']}*, {f'chapter {page.number}' if page.number else 'the preface'} as a notebook "
            f"({edition}'s edition, {'edition ' + meta['edition'] if meta.get('edition') else 'draft'} of "
            f"{meta['date']}). Its code cells are the chapter's examples and exercises; the package's code is "
            "shown as text, never defined here: it is imported from the package `microgpt`. To run them, install "
            "it at the root of the book's repository, `python -m pip install -e .` (or the edition's wheel), and "
            "start Jupyter there: the examples read `names.txt`, the exercises' checks are in `tests/exercises/`.")


def run_printed(code, namespace):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<build-time block>", "exec"), namespace)
    return out.getvalue()


def make(file, text, edition="reader", meta=None, run=True):
    """The notebook (an nbformat NotebookNode) of docs/file, whose Markdown is text; with
    run=False, its build-time blocks are not run (their cells say so), for a quick look."""
    page, meta = book.parse(file, text), meta or {"title": "microgpt", "date": "", "edition": None}
    numbers = {s.anchor: s.label for s in page.sections if s.anchor}
    checks = {e.number: e.check for e in exercises.of_page(file, text)}
    cells, sessions, goals = [nbformat.v4.new_markdown_cell(first_cell(page, meta, edition))], {}, ""
    figures = itertools.count(1)
    for cell in jupytext.reads(exercises.edition(text, edition), fmt="md").cells:
        source, info = cell.source, cell.metadata
        if cell.cell_type == "raw" and source.startswith("---"):  # the chapter's YAML front matter
            facts = yaml.safe_load(source.strip("-\n")) or {}
            goals = "".join(f"- {goal}\n" for goal in facts.get("objectives", []))
        elif cell.cell_type == "markdown":  # the objectives go after the title
            title, _, rest = HEADING.sub(lambda m: f"{m[1]} {numbers.get(m[3], '')} {m[2]}".replace("  ", " "),
                                         source).partition("\n")
            goals = goals and f"\n\nIn this chapter you will:\n\n{goals}"
            cells.append(nbformat.v4.new_markdown_cell(f"{title}{goals}\n{rest}"))
            goals = ""
        elif "exec" in info:
            namespace = sessions.setdefault(info.get("session"), {}) if "session" in info else {}
            printed = number_figures(run_printed(source, namespace), page.number, figures) if run else "(not run)"
            cells.append(nbformat.v4.new_markdown_cell(printed))
        elif str(info.get("title", "")).startswith("Exercise "):
            n = info["title"].removeprefix("Exercise ")
            cells += [nbformat.v4.new_code_cell(f"# Exercise {n}: your answer; change it, run it, then the check\n"
                                                + source),
                      nbformat.v4.new_code_cell(CHECK.format(n=n, check=checks[n]))]
        elif not info:
            cells.append(nbformat.v4.new_code_cell(source))
        else:  # a package block (or any other titled code): shown, not run
            title = f"`{info['title']}`:\n\n" if "title" in info else ""
            cells.append(nbformat.v4.new_markdown_cell(f"{title}```python\n{source}\n```"))
    for i, cell in enumerate(cells):  # the same ids at every build
        cell.id = f"cell-{i}"
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return notebook
