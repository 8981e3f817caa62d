"""Every internal link of the built site leads somewhere: each link's file exists, and
each ``#fragment`` names an element (an ``id``, or an ``<a name>``) of the page it
points into. External links are recognised and left alone: nothing is fetched."""

from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit


import book

ROOT = Path(__file__).resolve().parent.parent


# Attributes through which a page links to, or loads, another file of the site.
LINKING = {"a": ["href"], "area": ["href"], "link": ["href"], "script": ["src"], "img": ["src"],
           "source": ["src"], "iframe": ["src"], "video": ["src", "poster"], "audio": ["src"],
           "embed": ["src"], "object": ["data"], "track": ["src"], "use": ["href", "xlink:href"]}
BASE = "http://site.invalid/"   # a made-up origin, only for resolving relative links


class Page(HTMLParser):
    """The links of one HTML page, and the names its fragments may point to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.anchors = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.anchors.add(attrs[name])
        for name in LINKING.get(tag, []):
            if attrs.get(name) is not None:
                self.links.append((tag, attrs[name].strip()))

    handle_startendtag = handle_starttag


def site_url():
    config = book.config(ROOT)
    return config.get("site_url") or ""


def parse(path):
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def target_file(site, path):
    """The file a URL path names in the built site (a folder means its index.html), or None."""
    relative = unquote(path).lstrip("/")
    if ".." in PurePosixPath(relative).parts:
        return None
    candidate = site / relative
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def broken_links(site, own_url=""):
    """Every internal link of every HTML page of `site` that leads nowhere, as
    (page, link, reason) triples. `own_url` is the site's published address:
    absolute links under it are internal too."""
    site = Path(site)
    own = urlsplit(own_url) if own_url else None
    parsed, broken = {}, []

    def page_of(path):
        if path not in parsed:
            parsed[path] = parse(path)
        return parsed[path]

    for path in sorted(site.rglob("*.html")):
        here = BASE + path.relative_to(site).as_posix()
        for tag, link in page_of(path).links:
            url = urlsplit(link)
            if url.scheme in ("mailto", "tel", "data", "blob", "javascript"):
                continue
            if url.scheme or url.netloc:                   # absolute: internal only if under own_url
                if not own or (url.scheme, url.netloc) != (own.scheme, own.netloc) \
                        or not url.path.startswith(own.path):
                    continue
                resolved = urlsplit(BASE + url.path[len(own.path):] + ("#" + url.fragment if url.fragment else ""))
            else:
                resolved = urlsplit(urljoin(here, link))
            target = target_file(site, resolved.path)
            where = str(path.relative_to(site))
            if target is None:
                broken.append((where, link, "no such file"))
                continue
            fragment = resolved.fragment
            if not fragment or tag != "a" and tag != "area" or target.suffix != ".html":
                continue
            anchors = page_of(target).anchors
            if fragment not in anchors and unquote(fragment) not in anchors:
                broken.append((where, link, f"no id {fragment!r} in {target.relative_to(site)}"))
    return broken


def test_every_internal_link_and_anchor_resolves(built_site):
    pages = list(built_site.rglob("*.html"))
    assert len(pages) >= len(book.nav(ROOT)), "the built site has fewer pages than chapters"
    assert sum(len(parse(page).links) for page in pages) > 0
    broken = broken_links(built_site, site_url())
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(
        f"  {page}: {link}  ({reason})" for page, link, reason in broken[:50])


def test_the_link_check_finds_broken_links_and_anchors(tmp_path):
    """The checker itself, on a small site with known good and bad links."""
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<h1 id="top">Home</h1><a name="old-style"></a>'
        '<a href="a/">ok: folder</a> <a href="a/#sec">ok: anchor</a> <a href="#top">ok: here</a>'
        '<a href="#old-style">ok: a name</a> <a href="https://example.com/nowhere">ok: external</a>'
        '<a href="mailto:x@example.com">ok: mail</a> <a href="https://book.invalid/a/#sec">ok: own url</a>'
        '<a href="b/">bad: no page</a> <a href="a/#nosuch">bad: no anchor</a>'
        '<a href="https://book.invalid/c/">bad: own url, no page</a> <img src="missing.svg">')
    (tmp_path / "a" / "index.html").write_text(
        '<h2 id="sec">Section</h2><a href="../">ok: up</a> <a href="../index.html#top">ok: up, anchor</a>'
        '<a href="../../outside/">bad: outside the site</a> <a href="#gone">bad: no anchor here</a>')
    found = {(page, link) for page, link, _ in broken_links(tmp_path, "https://book.invalid/")}
    assert found == {
        ("index.html", "b/"), ("index.html", "a/#nosuch"),
        ("index.html", "https://book.invalid/c/"), ("index.html", "missing.svg"),
        ("a/index.html", "../../outside/"), ("a/index.html", "#gone"),
    }


def test_every_file_of_the_repository_the_book_names_exists():
    """A path such as `tests/test_torch.py` or `docs/assets/ladder.json` in a chapter's text
    is a promise to the reader that the file is there."""
    import re

    named = re.compile(r"`((?:tests|tools|docs|microgpt)/[\w./-]+\.(?:py|json|jsonl|md|mjs|js|txt))`")
    paths = {(file, path) for file in book.pages(ROOT)
             for path in named.findall((ROOT / "docs" / file).read_text(encoding="utf-8"))}
    assert ("07-training.md", "tests/test_torch.py") in paths   # the PyTorch check, which chapter 12 cites
    missing = sorted((file, path) for file, path in paths if not (ROOT / path).exists())
    assert not missing, missing
