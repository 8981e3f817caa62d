"""The book as a PDF, printed from the site's print page: python tools/pdf.py [OUT.pdf]
builds the site with it (MICROGPT_PDF=1 makes the site build call make()) and keeps it.

Chromium (the tests' own, through Playwright), not WeasyPrint: the print page is drawn by
the site's scripts (print-site's contents, MathJax), which WeasyPrint cannot run. Chromium
lacks target-counter(), for the contents' page numbers, so the front (cover, contents) is
printed on its own, F pages; the body once, after F blank pages left out (page_ranges) so
that print-site's "Page N" counts from the cover; pdftotext gives the page each section
starts on; the front is printed again with those numbers; poppler's pdfunite joins them.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NAME = "microgpt-book.pdf"  # its name in the site, beside the home page
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# In the page: wait for the contents and the math; list each section's id and title.
READY = """async () => {
  document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; });
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  return [...document.querySelectorAll('#print-site-page section.print-page[id]')].map(s => {
    const h = s.querySelector('h1'); return [s.id, h ? h.textContent.replace('\u00b6', '').trim() : ''];
  });
}"""
PART = """([front, blanks]) => {  // show the front (cover and contents) or the body after blank pages
  document.querySelectorAll('#print-site-page > section').forEach((s, i) =>
    s.style.display = (i < 2) === front ? '' : 'none');
  document.querySelectorAll('.mg-blank').forEach(b => b.remove());
  const first = document.querySelector('#print-site-page section.print-page[id]');
  for (let i = 0; i < blanks; i++)
    first.insertAdjacentHTML('beforebegin', '<div class="mg-blank" style="break-after:page">&nbsp;</div>');
}"""
NUMBERS = """(numbers) => {  // write each page's number after its entry of the contents
  document.querySelectorAll('#print-page-toc a[href^="#"]').forEach(a => {
    const n = numbers[a.getAttribute('href').slice(1)];
    if (n) a.insertAdjacentHTML('beforeend', `<span class="mg-page">${n}</span>`);
  });
}"""


def pages(pdf):
    """Each page's text, from poppler's pdftotext."""
    done = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True)
    return done.stdout.split("\f")[:-1]


def make(site, out, meta):
    """Print the print page of the built site (a folder) to the PDF out, atomically."""
    from playwright.sync_api import sync_playwright

    out, work = Path(out), Path(tempfile.mkdtemp(prefix=".microgpt-pdf-", dir=Path(out).resolve().parent))
    when = f"Edition {meta['edition']}" if meta.get("edition") else "Draft"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto((Path(site) / "print_page" / "index.html").resolve().as_uri(), wait_until="load")
            page.emulate_media(media="print")
            sections = page.evaluate(READY)
            page.evaluate("t => document.querySelector('#print-site-cover-page').insertAdjacentHTML("
                          "'beforeend', `<p class='mg-cover-edition'>${t}</p>`)", f"{when}, {meta['date']}")
            options = dict(prefer_css_page_size=True, print_background=True)  # print-site's @page: A4, "Page N"
            page.evaluate(PART, [True, 0])
            page.pdf(path=work / "front.pdf", **options)
            front = len(pages(work / "front.pdf"))
            page.evaluate(PART, [False, front])
            page.pdf(path=work / "body.pdf", page_ranges=f"{front + 1}-", **options)
            text, at, numbers = [[" ".join(ln.split()) for ln in t.split("\n") if ln.strip()]
                                 for t in pages(work / "body.pdf")], 0, {}
            for anchor, title in sections:
                while at < len(text) and " ".join(title.split()) not in " ".join(text[at][:4]):  # near the top
                    at += 1
                if at == len(text):
                    raise RuntimeError(f"the PDF has no page that starts with the section {title!r}")
                numbers[anchor] = front + 1 + at
            page.evaluate(PART, [True, 0])
            page.evaluate(NUMBERS, numbers)
            page.pdf(path=work / "front.pdf", **options)  # leaving sync_playwright closes the browser
        if len(pages(work / "front.pdf")) != front:
            raise RuntimeError("the contents grew by a page when their page numbers were written")
        subprocess.run(["pdfunite", work / "front.pdf", work / "body.pdf", work / "book.pdf"], check=True)
        os.replace(work / "book.pdf", out)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=sys.argv[1:]):
    out = Path(argv[0] if argv else NAME)
    if len(argv) > 1 or out.suffix != ".pdf" or not out.resolve().parent.is_dir():
        print(f"usage: python tools/pdf.py [OUT.pdf, in a folder that exists], not {argv}", file=sys.stderr)
        return 2
    try:  # the site, built with the PDF (MICROGPT_PDF=1), then the PDF taken out of it
        with tempfile.TemporaryDirectory() as site:
            subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "--site-dir", site], check=True,
                           cwd=Path(__file__).resolve().parent.parent, env={**os.environ, "MICROGPT_PDF": "1",
                                                                           "DISABLE_MKDOCS_2_WARNING": "true"})
            partial = out.with_name(f".{out.name}.partial")
            shutil.copyfile(Path(site) / NAME, partial)
            os.replace(partial, out)
    except KeyboardInterrupt:
        return 130
    except (subprocess.CalledProcessError, OSError) as e:
        print(f"tools/pdf.py: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
