"""The built site: every chapter at its permanent address, nothing loaded from
another host, and the things a reader relies on (search, copy buttons,
permalinks, the dark-mode toggle) present."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import tangle  # noqa: E402

# Attributes through which a page makes the browser fetch something.
LOADING = {
    "script": ["src"], "img": ["src", "srcset"], "iframe": ["src"], "source": ["src", "srcset"],
    "video": ["src", "poster"], "audio": ["src"], "embed": ["src"], "object": ["data"],
    "track": ["src"], "input": ["src"],
}
LINK_RELS_THAT_LOAD = {"stylesheet", "icon", "preload", "prefetch", "modulepreload",
                       "manifest", "apple-touch-icon", "preconnect", "dns-prefetch"}
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)


class Loads(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.styles = [], []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in LOADING.get(tag, []):
            if attrs.get(name):
                self.urls += [part.split()[0] for part in attrs[name].split(",") if part.strip()]
        if tag == "link" and set((attrs.get("rel") or "").lower().split()) & LINK_RELS_THAT_LOAD:
            self.urls.append(attrs.get("href") or "")
        if attrs.get("style"):
            self.styles.append(attrs["style"])
        self.in_style = tag == "style"

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def pages(site):
    return sorted(site.rglob("*.html"))


def test_every_chapter_has_its_permanent_address(site):
    for chapter in tangle.chapters(ROOT):
        page = "index.html" if chapter == "index.md" else chapter.removesuffix(".md") + "/index.html"
        assert (site / page).is_file(), page


def test_no_page_loads_anything_from_another_host(site):
    assert pages(site)
    for page in pages(site):
        parser = Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        remote = [u for u in parser.urls if REMOTE.match(u)]
        assert not remote, f"{page.relative_to(site)} loads {remote}"
        for style in parser.styles:
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", style), page
            assert "@import" not in style, page


def test_no_stylesheet_loads_anything_from_another_host(site):
    sheets = list(site.rglob("*.css"))
    assert sheets
    for sheet in sheets:
        css = sheet.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), sheet
        assert not re.search(r"@import\s+(url\()?\s*['\"]?(https?:)?//", css), sheet


def test_no_web_fonts(site):
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, page


def test_reader_comforts_are_there(site):
    html = (site / "02-tokenizer" / "index.html").read_text(encoding="utf-8")
    assert 'class="headerlink"' in html                      # a permalink on every heading
    assert 'id="encode-decode"' in html                      # explicit, permanent anchors
    assert "content.code.copy" in html                       # copy buttons
    assert 'data-md-color-scheme="slate"' in html            # the dark-mode toggle
    assert (site / "search" / "search_index.json").is_file()
    assert 'class="filename">microgpt/tokenizer.py<' in html  # each package block shows its file


def test_build_time_blocks_were_replaced_by_their_output(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "tangle.blocks()" not in html
    assert "microgpt/tokenizer.py</code>" in html
