"""The book to take away: a notebook per chapter (tools/notebooks.py) and the PDF edition
(tools/pdf.py).

The default tier reads the notebooks the session's site build made (no build of its own),
and makes the student's and the reader's notebooks without their build-time blocks (quick);
the full tier runs every notebook top to bottom on a Jupyter kernel, and prints the PDF.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import book
import exercises

nbformat = pytest.importorskip("nbformat", reason="the dev extra's nbformat is not installed")
notebooks = pytest.importorskip("notebooks")  # tools/notebooks.py (it needs jupytext)

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = {file: page for file, page in book.pages(ROOT).items() if page.number is not None}
EXERCISE, CHECK = "# Exercise ", "# Check Exercise "


def examples(page):
    """The chapter's example blocks, as pytest-markdown-docs runs them (conftest.py)."""
    return [b.code.rstrip("\n") for b in page.blocks if b.fenced and b.info in ("python", "py")]


def test_every_chapter_offers_its_notebook_with_every_example_in_order(built_site):
    for file, page in CHAPTERS.items():
        made = nbformat.read(built_site / notebooks.name(file), as_version=4)
        nbformat.validate(made)                     # raises if it is no valid nbformat 4
        code = [c.source for c in made.cells if c.cell_type == "code"]
        assert [c for c in code if not c.startswith((EXERCISE, CHECK))] == examples(page), file
        numbers = [e.number for e in exercises.of_page(file, (ROOT / "docs" / file).read_text(encoding="utf-8"))]
        said = [c.split(":")[0].removeprefix(EXERCISE) for c in code if c.startswith(EXERCISE)]
        assert said == numbers, f"{file}: its exercises' cells are {said}, not {numbers}"
        follows = [b.removeprefix(CHECK).split(":")[0] for a, b in zip(code, code[1:]) if a.startswith(EXERCISE)]
        assert follows == numbers, f"{file}: every exercise's cell must be followed by its check"
        for block in (b for b in page.blocks if b.info.startswith('python title="microgpt/')):
            assert block.code.rstrip("\n") not in code, f"{file}:{block.line}: a package block is a code cell"
            assert any(block.code.rstrip("\n") in c.source for c in made.cells), f"{file}:{block.line}: not shown"
        assert made.cells[0].cell_type == "markdown" and "pip install -e ." in made.cells[0].source
        html = (built_site / ("" if file == "index.md" else file.removesuffix(".md")) / "index.html").read_text()
        assert f'href="{"" if file == "index.md" else "../"}{notebooks.name(file)}"' in html, \
            f"{file}: its page has no link to its notebook"


@pytest.mark.parametrize("edition", ["student", "reader"])
def test_the_students_notebooks_hold_no_solution_and_the_readers_do(edition):
    held = []
    for file in CHAPTERS:
        made = notebooks.make(file, (ROOT / "docs" / file).read_text(encoding="utf-8"), edition, run=False)
        text = "\n".join(cell.source for cell in made.cells)
        held += re.findall(r'python title="Solution (\d+\.\d+)"', text)
        assert edition != "student" or exercises.SOLUTION_BOX not in text, file
    assert held == ([] if edition == "student" else list(exercises.every(ROOT))), held


def test_a_build_time_blocks_output_is_in_the_notebook_not_its_code(built_site):
    made = nbformat.read(built_site / notebooks.name("index.md"), as_version=4)
    text = "\n".join(c.source for c in made.cells)
    assert "| chapter | module | blocks | lines of code |" in text       # what index.md's block printed
    assert 'print("| chapter | module | blocks | lines of code |")' not in text


def test_with_the_pdf_every_chapter_offers_it_and_without_it_no_link_points_at_it():
    import mkdocs_hooks as hooks
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MICROGPT_PDF", "1")
        assert '](microgpt-book.pdf){ .md-button download="microgpt-book.pdf" }' in hooks.downloads("03-autograd.md")
        patch.delenv("MICROGPT_PDF")
        assert "microgpt-book.pdf" not in hooks.downloads("03-autograd.md")


def test_figures_are_numbered_per_chapter_in_the_page_and_in_print(built_site):
    numbered = re.compile(r'<figcaption\b[^>]*><span class="mg-figure-number">Figure (\d+)\.(\d+)</span>')
    every = []
    for file, page in CHAPTERS.items():
        html = (built_site / ("" if file == "index.md" else file.removesuffix(".md")) / "index.html").read_text()
        found = [(int(a), int(b)) for a, b in numbered.findall(html)]
        assert html.count("<figcaption") == len(found), f"{file}: a figure without its number"
        assert found == [(page.number, i) for i in range(1, len(found) + 1)], f"{file}: {found}"
        every += found
    assert len(every) > 1 and every[0][1] == 1
    printed = [(int(a), int(b)) for a, b in numbered.findall((built_site / "print_page" / "index.html").read_text())]
    assert printed == every, "the print page numbers its figures as the chapters do"


def test_pdf_refuses_a_bad_output_path_at_once_in_one_line(tmp_path):
    for argv in (["book.txt"], [str(tmp_path / "missing" / "book.pdf")], ["a.pdf", "b.pdf"]):
        done = subprocess.run([sys.executable, "tools/pdf.py", *argv], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and "usage" in done.stderr, done.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("file", list(CHAPTERS))
def test_every_notebook_runs_top_to_bottom(file, built_site):
    nbclient = pytest.importorskip("nbclient", reason="the dev extra's nbclient is not installed")
    made = nbformat.read(built_site / notebooks.name(file), as_version=4)
    # from the repository's root, as its first cell says; an error in any cell raises
    nbclient.NotebookClient(made, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    for cell in (c for c in made.cells if c.cell_type == "code" and c.source.startswith(CHECK)):
        number = cell.source.removeprefix(CHECK).split(":")[0]
        printed = "".join(o.get("text", "") for o in cell.outputs)
        assert f"Exercise {number}: not yet:" in printed, f"{file}: the check of {number} said {printed!r}"


@pytest.fixture(scope="module")
def printed(built_site, tmp_path_factory):
    """The PDF of the session's site (tools/pdf.py's make) and each page's lines of text."""
    import mkdocs_hooks
    import pdf
    if not shutil.which("pdfunite"):
        pytest.skip("no poppler-utils (pdftotext, pdfinfo, pdfunite): apt-get install poppler-utils; .ci/run does")
    out = pdf.make(built_site, tmp_path_factory.mktemp("pdf") / pdf.NAME, mkdocs_hooks.metadata())
    return out, [[" ".join(ln.split()) for ln in p.split("\n") if ln.strip()] for p in pdf.pages(out)]


def contents(lines):
    """{entry: page} of the PDF's contents (its pages 2 to 4)."""
    return {m[1]: int(m[2]) for p in lines[1:4] for ln in p if (m := re.fullmatch(r"(.+?) (\d+)", ln))}


@pytest.mark.slow
def test_the_pdf_edition(printed, record_property):
    out, lines = printed
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    count, size = int(re.search(r"Pages:\s+(\d+)", info)[1]), out.stat().st_size
    blank = [i + 1 for i, p in enumerate(lines) if len(" ".join(p)) < 120]
    record_property("measured", f"the PDF: {count} pages, {size / 1e6:.1f} MB; pages under 120 characters: {blank}")
    assert count == len(lines) and size <= 10e6
    assert re.search(r"(Draft|Edition \S+), \d{4}-\d\d-\d\d", " ".join(lines[0])), "the cover names no edition"
    assert all(p[-1] == f"Page {i + 1}" for i, p in enumerate(lines)), "a page without its number"
    listed = contents(lines)
    for page in CHAPTERS.values():
        title = f"{page.number}. {page.title}"
        assert title in listed, f"the contents give no page for {title}"
        assert title in " ".join(lines[listed[title] - 1][:4]), f"{title} is not at the top of page {listed[title]}"
    text = " ".join(" ".join(p) for p in lines)
    assert re.search(r"Figure 6\.1\b", text) and not re.search(r"Figure \d+(?![.\d])", text)


@pytest.mark.slow
def test_the_pdf_prints_each_panel_as_a_sentence_and_no_page_near_blank(printed):
    _, lines = printed
    text = " ".join(" ".join(p) for p in lines)
    assert "site was built without" not in text, "a panel claims the site was built without its Python"
    starts = set(contents(lines).values())
    blank = [i + 1 for i, p in enumerate(lines[:-1]) if len(" ".join(p)) < 120 and i + 2 not in starts]
    assert not blank, f"pages {blank} are near-blank, and the next starts no section"
