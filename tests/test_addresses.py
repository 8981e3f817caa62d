"""The book's addresses are fixed for an edition (issue 25): teachers and readers link to a
chapter's page, its sections and its exercises, so a change to any of them must be made
knowingly. tests/data/addresses.txt lists them all, as tools/book.py's addresses() gives them."""

from pathlib import Path

import book  # tools/book.py

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "tests" / "data" / "addresses.txt"
HOW = ("If the change is meant, make the list again: python tools/book.py > tests/data/addresses.txt "
       "and commit it with the change. For every address that is gone, add an erratum to "
       "docs/errata.md saying where its content went, and if a page moved, a line in mkdocs.yml's "
       "redirect_maps from its old address to its new one.")


def test_the_books_addresses_are_the_committed_ones():
    committed, now = LIST.read_text(encoding="utf-8").splitlines(), book.addresses()
    gone = [a for a in committed if a not in set(now)]
    new = [a for a in now if a not in set(committed)]
    assert not gone and not new, f"the book's addresses changed: gone {gone}, new {new}. {HOW}"
    assert committed == now, f"the addresses are the committed ones, in another order. {HOW}"


def test_the_list_names_every_chapter_section_and_exercise():
    # The list would prove nothing if it missed what readers link to.
    now = set(book.addresses())
    for page in book.pages(ROOT).values():
        assert (book.url(page.file) or "./") in now
        if page.number is not None:
            for section in page.sections[1:]:
                assert f"{book.url(page.file) or './'}#{section.anchor}" in now, (page.file, section.title)
    assert "03-autograd/#exercise-3-1" in now and "./#preface" in now and "api/model/" in now
