"""The shape of the package, measured against the targets it is held to.

    python tools/shape.py      print each figure beside its target

- executed: distinct lines of microgpt/ that the default run executes, counted
  by coverage.py as it counts them (every line run, imports and definitions
  included). It runs `python -m microgpt --steps 2 --samples 2`: the default
  run's code path, with fewer repetitions of the same lines.
- main: lines of microgpt/__main__.py.
- block: lines of the longest package block in the book.
- markers: tangle markers that land inside a function body.
- machinery: lines of the book's build tools, tools/*.py.

tests/test_shape.py checks each figure against its target.
"""

import ast
import subprocess
import sys
import tempfile
from pathlib import Path

import tangle

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"executed": 300, "main": 120, "block": 15, "markers": 0, "machinery": 800}


def executed(root=ROOT):
    """Distinct lines of microgpt/ executed by a short default run, in a fresh process."""
    import coverage

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "coverage"
        subprocess.run([sys.executable, "-m", "coverage", "run", f"--data-file={data}",
                        f"--source={root / 'microgpt'}", "-m", "microgpt", "--steps", "2",
                        "--samples", "2"], cwd=root, check=True, capture_output=True)
        lines = coverage.CoverageData(basename=str(data))
        lines.read()
        return sum(len(lines.lines(f)) for f in lines.measured_files())


def markers_in_functions(root=ROOT):
    """The (module, line) of every tangle marker that stands inside a function body."""
    found = []
    for module in tangle.tangle(root):
        text = (root / module).read_text(encoding="utf-8")
        bodies = [(n.lineno, n.end_lineno) for n in ast.walk(ast.parse(text))
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        found += [(module, i) for i, line in enumerate(text.splitlines(), 1)
                  if line.startswith("# [docs/") and any(a < i <= b for a, b in bodies)]
    return found


def figures(root=ROOT):
    """Every figure, by the names of TARGETS."""
    return {"executed": executed(root),
            "main": len((root / "microgpt" / "__main__.py").read_text().splitlines()),
            "block": max(len(code.splitlines()) for *_, code, _where in tangle.blocks(root)),
            "markers": len(markers_in_functions(root)),
            "machinery": sum(len(p.read_text().splitlines()) for p in (root / "tools").glob("*.py"))}


if __name__ == "__main__":
    for name, value in figures().items():
        verdict = "ok" if value <= TARGETS[name] else "over"
        print(f"{name:10} {value:5d}   target at most {TARGETS[name]:4d}   {verdict}")
