"""The tangler: chapters in, package out, and a check that catches drift."""

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import book
import tangle

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path):
    """A throwaway copy of the parts of the repository the tangler reads."""
    for name in ("docs", "microgpt", "tools"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


def check(root):
    return subprocess.run([sys.executable, str(root / "tools" / "tangle.py"), "--check"],
                          capture_output=True, text=True, cwd=root)


def test_committed_package_matches_the_chapters():
    assert tangle.stale(ROOT) == ([], [])


def test_check_passes_on_a_clean_copy(repo):
    result = check(repo)
    assert result.returncode == 0, result.stderr


def test_check_fails_after_a_chapter_block_is_edited(repo):
    chapter = repo / "docs" / "02-tokenizer.md"
    text = chapter.read_text()
    assert "return len(self.uchars) + 1" in text
    chapter.write_text(text.replace("return len(self.uchars) + 1", "return len(self.uchars) + 2"))
    result = check(repo)
    assert result.returncode == 1
    assert "microgpt/tokenizer.py" in result.stderr
    assert "microgpt/data.py" not in result.stderr
    # Writing mode brings the package back in line, and then the check passes.
    subprocess.run([sys.executable, str(repo / "tools" / "tangle.py")], check=True,
                   capture_output=True, cwd=repo)
    assert "return len(self.uchars) + 2" in (repo / "microgpt" / "tokenizer.py").read_text()
    assert check(repo).returncode == 0


def test_check_fails_when_the_package_is_edited_by_hand(repo):
    module = repo / "microgpt" / "data.py"
    module.write_text(module.read_text() + "\nprint('edited by hand')\n")
    result = check(repo)
    assert result.returncode == 1
    assert "microgpt/data.py" in result.stderr


def test_check_names_a_module_that_no_block_writes_any_more(repo):
    orphan = repo / "microgpt" / "gone.py"
    orphan.write_text(tangle.HEADER + "\nx = 1\n")          # an earlier tangle wrote it
    listed = repo / tangle.MANIFEST
    listed.write_text(listed.read_text() + "microgpt/gone.py\n")
    result = check(repo)
    assert result.returncode == 1
    assert "microgpt/gone.py" in result.stderr
    subprocess.run([sys.executable, str(repo / "tools" / "tangle.py")], check=True,
                   capture_output=True, cwd=repo)
    assert not orphan.exists()


def test_generated_files_say_so_and_point_to_their_chapter_lines():
    for module, chapter, line, code, where in tangle.blocks(ROOT):
        text = (ROOT / module).read_text()
        assert text.startswith(tangle.HEADER)
        assert code in text
        # The marker before the definition names the fence's line in the chapter.
        markers = re.findall(r"^# \[(.*)\]$", text, re.M)
        assert any(f"{chapter}:" in m and str(line) in re.split(r"[:,;] ?", m) for m in markers)
        fence = (ROOT / chapter).read_text().splitlines()[line - 1]
        assert fence.startswith(f'```python title="{module}')


def test_a_continued_function_is_one_piece_with_one_marker():
    train = (ROOT / "microgpt" / "train.py").read_text()
    assert re.search(r"^# \[docs/07-training.md:\d+, \d+\]\ndef doc_loss", train, re.M)


@pytest.mark.parametrize("title, code, message", [
    ('microgpt/data.py', "    x = 1\n", "an indented block must say where it goes"),
    ('microgpt/data.py, in read_docs', "y = 2\n", "starts at the top level"),
    ('microgpt/data.py, in load_docs', "    x = 1\n", "says it goes in load_docs"),
    ('microgpt/data.py, in read_docs', "    x = (\n", "does not compile"),
])
def test_a_block_that_is_not_where_its_title_says_is_refused(repo, title, code, message):
    chapter = repo / "docs" / "01-dataset.md"
    text = chapter.read_text()
    anchor = "\n## Shuffling {#shuffling}"
    assert anchor in text
    chapter.write_text(text.replace(anchor, f'\n```python title="{title}"\n{code}```\n' + anchor, 1))
    result = check(repo)
    assert result.returncode != 0
    assert "01-dataset.md" in result.stderr and message in result.stderr, result.stderr


def test_blocks_follow_the_nav_order():
    nav = book.nav(ROOT)
    assert nav[0] == "index.md"
    order = [nav.index(chapter.removeprefix("docs/")) for _, chapter, _, _, _ in tangle.blocks(ROOT)]
    assert order == sorted(order)
    model = (ROOT / "microgpt" / "model.py").read_text()
    # Chapter 4's blocks come before chapter 6's in model.py.
    assert model.index("docs/04-parameters.md") < model.index("docs/06-transformer.md")


def test_a_malformed_package_title_is_an_error(repo):
    chapter = repo / "docs" / "01-dataset.md"
    chapter.write_text(chapter.read_text() + '\n```python title="microgpt/data.py" hl_lines="1"\nx = 1\n```\n')
    result = check(repo)
    assert result.returncode != 0
    assert "01-dataset.md" in result.stderr


def tangle_in(root):
    return subprocess.run([sys.executable, str(root / "tools" / "tangle.py")], capture_output=True,
                          text=True, cwd=root)


@pytest.mark.parametrize("insert, message", [
    ('```python title="microgpt/data.py"\nx = 1\n', "this code block is never closed"),
    ('```python title="microgtp/data.py"\nx = 1\n```\n', "must be exactly"),
    ("```python title='microgpt/data.py'\nx = 1\n```\n", "must be exactly"),
    ('!!! note\n\n    ```python title="microgpt/data.py"\n    x = 1\n    ```\n', "inside an admonition"),
])
def test_a_block_the_tangler_would_drop_or_misread_is_refused(repo, insert, message):
    chapter = repo / "docs" / "01-dataset.md"
    chapter.write_text(chapter.read_text() + "\n" + insert)
    before = {p.name: p.read_text() for p in (repo / "microgpt").glob("*.py")}
    result = tangle_in(repo)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "docs/01-dataset.md:" in result.stderr and message in result.stderr, result.stderr
    assert {p.name: p.read_text() for p in (repo / "microgpt").glob("*.py")} == before


@pytest.mark.parametrize("damage, message", [
    (lambda repo: (repo / "docs" / "02-tokenizer.md").write_bytes(b"# 2. Tok\n\xff\n"),
     "docs/02-tokenizer.md: not UTF-8 text"),
    (lambda repo: (repo / "docs" / "02-tokenizer.md").unlink(), "its nav names docs/02-tokenizer.md"),
    (lambda repo: (repo / "mkdocs.yml").write_text("nav: [\n"), "mkdocs.yml: not valid YAML"),
])
def test_a_broken_book_is_one_line_not_a_traceback(repo, damage, message):
    damage(repo)
    result = tangle_in(repo)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in result.stderr


def test_only_files_the_tangler_wrote_are_ever_removed(repo):
    own = repo / "microgpt" / "data_old.py"
    own.write_text((repo / "microgpt" / "data.py").read_text())   # a copy of a generated file
    config = repo / "mkdocs.yml"
    config.write_text("\n".join(line for line in config.read_text().splitlines()
                                 if "11-to-chatgpt.md" not in line))   # chapter 11 leaves the nav
    result = tangle_in(repo)
    assert result.returncode == 0, result.stderr
    assert "microgpt/bpe.py (removed: no chapter writes it now)" in result.stdout
    assert not (repo / "microgpt" / "bpe.py").exists() and own.exists()
    assert check(repo).returncode == 0


# --- chapter snapshots: the package as it stands at the end of chapter N ---------------

def test_each_snapshot_holds_exactly_the_chapters_so_far():
    numbers = {f"docs/{file}": page.number for file, page in book.pages(ROOT).items()}
    every = list(tangle.blocks(ROOT))
    last = max(n for n in numbers.values() if n is not None)
    for n in (5, 9):         # model.py is written over chapters 4-6; chapter 9 writes six modules
        snapshot = tangle.tangle(ROOT, upto=n)
        assert set(snapshot) == {m for m, chapter, *_ in every if numbers[chapter] <= n}, n
        for module, text in snapshot.items():      # every block so far, and none from later
            for m, chapter, _, code, _ in every:
                if m == module:
                    assert (code in text) == (numbers[chapter] <= n), (n, module, chapter)
    assert tangle.tangle(ROOT, upto=last) == tangle.tangle(ROOT)


@pytest.fixture
def book_copy(repo):
    """A copy of the repository that can run its own tests (no package: --chapter tangles one)."""
    shutil.rmtree(repo / "microgpt")
    (repo / "tests").mkdir()
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copy(ROOT / "tests" / "conftest.py", repo / "tests" / "conftest.py")
    return repo


def chapter_run(root, chapter, test):
    return subprocess.run([sys.executable, "-m", "pytest", "--chapter", str(chapter), "-n", "0", "-q",
                           "-p", "no:cacheprovider", f"tests/{test}"],
                          capture_output=True, text=True, cwd=root, timeout=300)


def test_a_chapters_test_cannot_use_a_later_chapters_code(book_copy):
    """Under --chapter 3, chapter 3's tests find chapters 1-3's modules, and an import of
    chapter 7's train fails, naming chapter 7, though an installed microgpt/ has it."""
    import microgpt.train  # noqa: F401  (this session's package has it, and so does the install)

    probe = book_copy / "tests" / "test_03_probe.py"
    probe.write_text("from microgpt.autograd import Value\n\n"
                     "def test_chapter_3s_own_code():\n    assert (Value(2) * Value(3)).data == 6\n\n"
                     "def test_a_later_chapters_code():\n    from microgpt.train import doc_loss  # chapter 7\n")
    run = chapter_run(book_copy, 3, probe.name)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout
    assert "microgpt.train is not in the package at the end of chapter 3: chapter 7 writes it" in run.stdout


def test_every_chapter_shows_how_to_test_it_alone():
    for file, page in book.pages(ROOT).items():
        if page.number:
            assert f"python -m pytest --chapter {page.number}" in (ROOT / "docs" / file).read_text(), file


# --- the tangler trusts nothing: it writes and removes only what it generated ----------

@pytest.fixture
def nest(tmp_path):
    """A copy of the repository at tmp_path/a/repo, and a file of the user's outside it,
    at tmp_path/somewhere/file (with the generated header, so only its place protects it)."""
    root = tmp_path / "a" / "repo"
    for name in ("docs", "microgpt", "tools"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "README.md"):
        shutil.copy(ROOT / name, root / name)
    (tmp_path / "somewhere").mkdir()
    (tmp_path / "somewhere" / "file").write_text(tangle.HEADER + "x = 1\n")
    return root


def tree(top):
    """Every entry under top, links not followed: {path: (mode, target or bytes)}."""
    found = {}
    for folder, names, files in os.walk(top):
        for path in (Path(folder) / name for name in names + files if name != "__pycache__"):
            st = path.lstat()
            found[path] = (st.st_mode, os.readlink(path) if path.is_symlink() else
                           path.read_bytes() if stat.S_ISREG(st.st_mode) and os.access(path, os.R_OK) else None)
    return found


def listing(root, entry, make=None):
    """The manifest gets the line entry (after make, if given, made the file it names)."""
    if make:
        make(root / entry)
    manifest = root / tangle.MANIFEST
    manifest.write_text(manifest.read_text() + entry + "\n")
    return [f"{tangle.MANIFEST}:{len(manifest.read_text().splitlines())}: {entry} "]


def added(root, insert):
    """Chapter 1 gets insert at its end; the place of the line that names microgpt/ in it."""
    chapter = root / "docs" / "01-dataset.md"
    text = chapter.read_text() + "\n"
    chapter.write_text(text + insert)
    return [f"docs/01-dataset.md:{(text + insert[:insert.index('microgpt/')]).count(chr(10)) + 1}: "]


def stale_tokenizer(root, locked):
    """Chapter 2 changes, so microgpt/tokenizer.py must be written; then locked is made read-only."""
    chapter = root / "docs" / "02-tokenizer.md"
    chapter.write_text(chapter.read_text().replace("return len(self.uchars) + 1", "return len(self.uchars) + 2"))
    (root / locked).chmod(0o555 if (root / locked).is_dir() else 0o444)
    return [f"{locked}: read-only"]


def replaced(root, file, make):
    """docs/file is replaced by what make makes at its path."""
    (root / "docs" / file).unlink()
    make(root / "docs" / file)
    return [f"docs/{file}: "]


def outside(path):
    """path becomes a link to a copy of the chapter outside the repository."""
    copy = path.parent.parent.parent.parent / "elsewhere.md"
    shutil.copy(ROOT / "docs" / path.name, copy)
    path.symlink_to(copy)


def nav_loop(root):
    config = root / "mkdocs.yml"
    text = config.read_text()
    config.write_text(text.replace("\nnav:\n", '\nnav: &loop\n  - "Again": *loop\n', 1))
    return [f"mkdocs.yml:{text[:text.index(chr(10) + 'nav:')].count(chr(10)) + 2}: "]


def manifest_folder(root):
    (root / tangle.MANIFEST).unlink()
    (root / tangle.MANIFEST).mkdir()
    return [f"{tangle.MANIFEST}: "]


def link(path):
    path.symlink_to("../../../somewhere/file")


def hand_written(path):
    path.write_text("print('mine')\n")


UNTRUSTED = {
    "manifest names README.md": lambda root: listing(root, "README.md"),
    "manifest names tools/tangle.py": lambda root: listing(root, "tools/tangle.py"),
    "manifest names a file outside": lambda root: listing(root, "../../somewhere/file"),
    "manifest names an absolute path": lambda root: listing(root, str(root.parent.parent / "somewhere" / "file")),
    "manifest names a link": lambda root: listing(root, "microgpt/old.py", link),
    "manifest names a hand-written module": lambda root: listing(root, "microgpt/mine.py", hand_written),
    "manifest is a folder": manifest_folder,
    "block titled for a hand-written module": lambda root: (
        hand_written(root / "microgpt" / "mine.py"), added(root, '```python title="microgpt/mine.py"\nx = 1\n```\n'))[1],
    "title microgpt/../evil.py": lambda root: added(root, '```python title="microgpt/../evil.py"\nx = 1\n```\n'),
    "title microgpt//tmp/x.py": lambda root: added(root, '```python title="microgpt//tmp/x.py"\nx = 1\n```\n'),
    "!!! with no blank line": lambda root: added(
        root, '!!! note\n    ```python title="microgpt/data.py"\n    x = 1\n    ```\n'),
    "??? with no blank line": lambda root: added(
        root, '??? note "More"\n    ```python title="microgpt/data.py"\n    x = 1\n    ```\n'),
    "???+ with no blank line": lambda root: added(
        root, '???+ note\n    ```python title="microgpt/data.py"\n    x = 1\n    ```\n'),
    "nested admonitions": lambda root: added(
        root, '!!! note\n    !!! tip\n        ```python title="microgpt/data.py"\n        x = 1\n        ```\n'),
    "nav loop": nav_loop,
    "chapter links out of the repository": lambda root: replaced(root, "02-tokenizer.md", outside),
    "chapter is a folder": lambda root: replaced(root, "02-tokenizer.md", Path.mkdir),
    "chapter unreadable": pytest.param(
        lambda root: ((root / "docs" / "02-tokenizer.md").chmod(0), ["docs/02-tokenizer.md: "])[1],
        marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")),
    "read-only microgpt/": lambda root: stale_tokenizer(root, "microgpt"),
    "read-only module": lambda root: stale_tokenizer(root, "microgpt/tokenizer.py"),
    "chapter out of range": lambda root: ["--chapter 99: ", "--chapter", "99"],
}


@pytest.mark.parametrize("case", UNTRUSTED.values(), ids=UNTRUSTED.keys())
def test_what_the_tangler_did_not_make_it_refuses_to_touch(nest, case, capsys):
    """Each case is refused in one line naming the file (and line), and nothing anywhere changes.
    (In this process, to keep the tier short: any exception but SystemExit, which the
    interpreter prints as the one line it holds, would be a traceback and fails the test.)"""
    message, *args = case(nest)
    before = tree(nest.parent.parent)
    try:
        status = tangle.main([*args, "--root", str(nest)])
    except SystemExit as e:
        status = 1 if isinstance(e.code, str) else e.code
        print(e.code, file=sys.stderr)
    stderr = capsys.readouterr().err
    assert status != 0 and stderr.count("\n") == 1 and message in stderr, stderr
    assert tree(nest.parent.parent) == before


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_tangled_files_get_ordinary_permissions(nest, umask):
    for name in ("microgpt/data.py", tangle.MANIFEST):
        (nest / name).unlink()
    subprocess.run([sys.executable, str(nest / "tools" / "tangle.py")], check=True, capture_output=True,
                   cwd=nest, preexec_fn=lambda: os.umask(umask))
    for name in ("microgpt/data.py", tangle.MANIFEST):
        assert stat.S_IMODE((nest / name).stat().st_mode) == 0o666 & ~umask, name


def test_a_chapter_that_is_a_fifo_is_refused_not_waited_on(nest):
    """Run as the program itself (a FIFO read would hang the test's own process): exit 1,
    one line, no traceback, nothing changed."""
    message, = replaced(nest, "02-tokenizer.md", os.mkfifo)
    before = tree(nest.parent.parent)
    result = subprocess.run([sys.executable, str(nest / "tools" / "tangle.py")],
                            capture_output=True, text=True, cwd=nest, timeout=60)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert tree(nest.parent.parent) == before
