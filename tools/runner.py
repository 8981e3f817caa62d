"""What the site gives the page's runner: which blocks run, and how the package is made of blocks.

The page's runner (tools/page/) needs two things from the book, both made here from
book.py's pages and tangle.py's assembly so that the page and pytest can never disagree about them:

- on each chapter, its *example blocks* (the fences pytest-markdown-docs runs: info string
  exactly ``python``) and its *package blocks* (``python title="microgpt/…"``), each with
  the chapter line its fence opens at, which is its id (``docs/05-building-blocks.md:85``);
- the *tangle map*: each module of the package as a list of pieces, each either text the
  tangler adds (the header, a marker, the blank lines) or the id of a block whose code
  goes there. Joining the pieces, with each block's code put in, gives the module exactly
  as tools/tangle.py writes it (a test checks this); with one block's code changed, it
  gives the package the reader's edit makes.
"""

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import exercises
import tangle

EXAMPLE = ("python", "py")  # the info strings of the fences that are tests (conftest.py)
PAGE = Path(__file__).resolve().parent / "page"  # the runner's own files
RUNNER = "runner"  # the site's folder for them
# What the worker writes beside the package, and where in the site it fetches each from.
FILES = {"names.txt": f"{RUNNER}/names.txt", "docs/assets/default-model.json": "assets/default-model.json"}


def block_id(chapter, line):
    return f"{chapter}:{line}"


def examples(page):
    """[{id, line, code}] for the example blocks of a page, in the order they stand."""
    return [{"id": block_id(b.chapter, b.line), "line": b.line, "code": b.code, "needs": needs(b.code)}
            for b in page.blocks if b.fenced and b.info in EXAMPLE]


def needs(code):
    """The first module an example imports that is neither the standard library nor the
    book's package (numpy, in chapter 12), or "": the page's Python has only those two."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top != tangle.PACKAGE:
                return top
    return ""


def tangle_map(root=tangle.ROOT):
    """({module: [piece]}, {block id: {module, code}}): the package as pieces (text, or
    {"block": id}), and every package block's module and code."""
    modules, blocks = {}, {}
    for module, parts in tangle.pieces(root).items():
        modules[module] = [p if isinstance(p, str) else {"block": block_id(*p[:2])} for p in tangle.assemble(parts)]
        blocks.update({block_id(c, line): {"module": module, "code": code}
                       for part in parts for c, line, _where, code in part["claims"]})
    return modules, blocks


def join(pieces, blocks, changed=None):
    """The text of a module from its pieces; changed ({id: code}) replaces blocks' code."""
    changed = changed or {}
    return "".join(p if isinstance(p, str) else changed.get(p["block"], blocks[p["block"]]["code"])
                   for p in pieces)


def page_data(file, page, blocks, text=""):
    """What one page's runner needs: its chapter, its example blocks, its exercises' starting
    blocks (the Check button runs one, then its check: [path, function]) and those of its
    package blocks that the tangle map holds."""
    starts = [{"id": block_id(e.chapter, e.line), "line": e.line, "code": e.start, "needs": needs(e.start),
               "number": e.number, "check": list(e.check)} for e in exercises.of_page(file, text)]
    package = [{"id": i, "line": b.line, "module": blocks[i]["module"], "code": b.code}
               for b in page.blocks if (i := block_id(b.chapter, b.line)) in blocks]
    return {"chapter": f"docs/{file}", "examples": examples(page), "exercises": starts, "package": package}


def book_data(root=tangle.ROOT):
    """runner/book.json: the tangle map and the files the worker fetches."""
    modules, blocks = tangle_map(root)
    checks = sorted({e.check[0] for e in exercises.every(root).values()} | {exercises.SHARED})
    checks = {path: f"{RUNNER}/{path}" for path in checks}
    return {"modules": modules, "blocks": blocks, "files": {**FILES, **checks}}


def bundle_editor(root, into):
    """Bundle CodeMirror (tools/page/editor.mjs) into one file, into/editor.js, with the
    esbuild that npm installed; return its path, or None when Node or esbuild is absent."""
    esbuild = Path(root) / "node_modules" / ".bin" / "esbuild"
    if shutil.which("node") is None or not esbuild.exists():
        return None
    out = Path(into) / "editor.js"
    done = subprocess.run([str(esbuild), str(PAGE / "editor.mjs"), "--bundle", "--format=esm", "--minify",
                           "--log-level=error", f"--outfile={out}"], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"esbuild could not bundle tools/page/editor.mjs: {done.stderr.strip()}")
    return out


def site_files(root, into):
    """{site path: file on disk} of the runner's files, with the editor bundled into into/;
    {} when the editor cannot be made (no Node): then the site has no Run buttons."""
    editor = bundle_editor(root, into)
    if editor is None:
        return {}
    data, shipped = Path(into) / "book.json", book_data(root)
    data.write_text(json.dumps(shipped), encoding="utf-8")
    found = {f"{RUNNER}/{name}": PAGE / name for name in ("runner.js", "worker.js", "harness.py", "inside.js", "inside.py")}
    found[f"{RUNNER}/figures.py"] = PAGE.parent / "figures.py"  # inside.py draws on it
    found.update({url: Path(root) / path for path, url in shipped["files"].items() if url.startswith(RUNNER)})
    return {**found, f"{RUNNER}/editor.js": editor, f"{RUNNER}/book.json": data}
