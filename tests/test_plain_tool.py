"""The tool is plain (issue 25, item 3): only the command line's own code names a flag.

A flag (``--steps``) is the command line's word. The library modules (the core of Parts
I-III, and the tool's own modules of Part IV: guard, checkpoint, progress) say what they do
in their own terms (a path, a learning rate), and the command line puts the flag's name on
it. Only ``__main__``, ``options`` and the ladder's runner (its ``parse_args`` and ``main``)
may name one, in their code or their docstrings."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "microgpt"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
COMMAND_LINE = {"__main__.py": None, "options.py": None, "ladder.py": {"parse_args", "main"}}


def flags_named(path):
    """[(line, flag)] of every flag named in a string of the module, outside the functions
    that COMMAND_LINE allows to name one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = COMMAND_LINE.get(path.name, set())
    if allowed is None:
        return []
    spared = {id(n) for top in tree.body if isinstance(top, ast.FunctionDef) and top.name in allowed
              for n in ast.walk(top)}
    return [(node.lineno, flag) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in spared
            for flag in FLAG.findall(node.value)]


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py")))
def test_no_library_module_names_a_flag(module):
    assert flags_named(PACKAGE / module) == [], f"microgpt/{module} names a command-line flag"


def test_a_flag_in_a_library_module_is_found(tmp_path):
    module = tmp_path / "progress.py"
    module.write_text('def f():\n    raise ValueError("diverged; try a lower --lr")\n')
    assert flags_named(module) == [(2, "--lr")]
    runner = tmp_path / "ladder.py"
    runner.write_text('def parse_args():\n    return "--data"\n\n\ndef climb():\n    return "--steps"\n')
    assert flags_named(runner) == [(6, "--steps")]


def test_no_module_keeps_a_mutable_list_as_a_flag():
    # a module-level list that a function appends to, to remember that something happened
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lists = {t.id for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.List)
                 and not node.value.elts for t in node.targets if isinstance(t, ast.Name)}
        appended = {node.func.value.id for node in ast.walk(tree) if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
                    and isinstance(node.func.value, ast.Name)}
        assert not lists & appended, f"microgpt/{path.name}: {sorted(lists & appended)}"
