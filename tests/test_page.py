"""Run it here: what the page's runner is given, and the verdicts it gives, checked natively.

The page runs the book's blocks with tools/page/harness.py inside Pyodide; here the same
file runs under the tests' own Python, so its verdicts can be held against pytest's. The
tangle map the site ships must put the package together exactly as tools/tangle.py does.
What only a browser can show (the buttons, the worker, the panels) is in test_browser.py.
"""

import importlib.util
import json
import math
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import book
import runner
import tangle

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("harness", ROOT / "tools" / "page" / "harness.py")
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)


@pytest.fixture
def failing_block():
    """Run code as a block opening at docs/a.md:10; (its error, the block's line that raised)."""
    def run(code):
        verdict = harness.run_block(code, "docs/a.md", 10)
        assert not verdict["passed"] and verdict["where"] == "", verdict
        return verdict["error"], verdict["line"]
    return run


def example(chapter, index=0):
    page = book.pages(ROOT)[chapter]
    return runner.examples(page)[index]


def test_the_tangle_map_puts_the_package_together_as_the_tangler_does():
    modules, blocks = runner.tangle_map(ROOT)
    assert {m: runner.join(pieces, blocks) for m, pieces in modules.items()} == tangle.tangle(ROOT)
    titled = [f"{chapter}:{line}" for _m, chapter, line, _c, _w in tangle.blocks(ROOT)]
    assert sorted(titled) == sorted(blocks)                      # every package block, once
    used = [p["block"] for pieces in modules.values() for p in pieces if not isinstance(p, str)]
    assert sorted(used) == sorted(blocks)


def test_an_edited_package_block_changes_its_module_there_and_nowhere_else():
    modules, blocks = runner.tangle_map(ROOT)
    softmax = next(i for i, b in blocks.items() if b["code"].startswith("def softmax("))
    module = blocks[softmax]["module"]
    edited = blocks[softmax]["code"].replace("return", "return [] or", 1)
    text = runner.join(modules[module], blocks, {softmax: edited})
    book_text = tangle.tangle(ROOT)[module]
    assert text == book_text.replace(blocks[softmax]["code"], edited)
    assert text != book_text
    assert all(runner.join(modules[m], blocks, {softmax: edited}) == t
               for m, t in tangle.tangle(ROOT).items() if m != module)


def test_a_block_that_passes_under_pytest_passes_in_the_runner():
    block = example("03-autograd.md")
    verdict = harness.run_block(block["code"], "docs/03-autograd.md", block["line"])
    assert verdict["passed"], verdict


def test_a_failing_assert_is_reported_with_its_line_in_the_block_and_in_the_chapter():
    block = example("05-building-blocks.md", 1)
    code = block["code"] + "total = 2\nassert total == 3\n"
    verdict = harness.run_block(code, "docs/05-building-blocks.md", block["line"])
    lines = code.splitlines()
    assert not verdict["passed"]
    assert verdict["line"] == len(lines) and verdict["source"] == "assert total == 3"
    assert verdict["error"] == "assert 2 == 3"                  # the values compared, as pytest shows them
    assert verdict["where"] == ""                                # raised in the block itself


def test_a_failing_assert_shows_what_it_compared_as_pytests_rewriting_does(failing_block):
    """Each operand once, in the order Python computes them; a call's value and its code."""
    shown = failing_block("def f(x):\n    return x + 1\n\n"
                          "assert f(1) == 3, 'f is off'\n")
    assert shown == ("AssertionError: f is off\nassert 2 == 3\n +  where 2 = f(1)", 4)
    assert failing_block("calls = []\nassert calls.append(1) is None\nassert len(calls) == 1\n"
                         "assert 1 < len(calls) < 5\n") == ("assert 1 < 1\n +  where 1 = len(calls)", 4)
    assert failing_block("xs = [3]\nassert not xs\n") == ("assert not [3]", 2)
    assert failing_block("assert 1 / 0 == 1\n") == ("ZeroDivisionError: division by zero", 1)


def test_an_error_inside_the_package_names_the_blocks_line_and_the_packages():
    code = "from microgpt.tokenizer import Tokenizer\n\nprint('encoding')\nTokenizer('ab').encode('abc')\n"
    verdict = harness.run_block(code, "docs/02-tokenizer.md", 40)
    assert not verdict["passed"]
    assert (verdict["line"], verdict["source"]) == (4, "Tokenizer('ab').encode('abc')")
    assert verdict["error"].startswith("ValueError: character 'c' is not in the vocabulary")
    assert re.fullmatch(r"microgpt/tokenizer\.py:\d+", verdict["where"])
    assert verdict["output"] == "encoding\n"                     # what it printed, failing or not


def test_every_block_runs_in_a_fresh_namespace_and_a_syntax_error_is_a_failure():
    assert harness.run_block("x = 1\n", "docs/a.md", 1)["passed"]
    later = harness.run_block("assert x == 1\n", "docs/a.md", 9)
    assert later["error"] == "NameError: name 'x' is not defined" and later["line"] == 1
    broken = harness.run_block("a = 1\nb = (\n", "docs/a.md", 20)
    assert not broken["passed"] and broken["error"].startswith("SyntaxError") and broken["line"] == 2
    assert broken["where"] == ""                                 # the block's line, not the harness's


def test_the_page_has_the_standard_library_only_and_says_which_examples_need_more():
    assert runner.needs("import numpy as np\n") == "numpy"
    assert runner.needs("from os import path\nimport microgpt.model\nfrom . import x\n") == ""
    for file, page in book.pages(ROOT).items():
        for block in runner.examples(page):
            imports = set(re.findall(r"^\s*(?:import|from) (\w+)", block["code"], re.M))
            others = sorted(imports - {*sys.stdlib_module_names, "microgpt"})
            assert block["needs"] == (others[0] if others else ""), (file, block["line"])


def test_the_sample_panel_draws_what_the_command_line_draws(main):
    result = main("--load", "docs/assets/default-model.json", "--prompt", "ma",
                  "--temperature", "0.7", "--seed", "3", "--samples", "5")
    printed = re.findall(r"^sample +\d+: (\w+)$", result.stdout, re.M)
    assert len(printed) == 5, result.stdout + result.stderr
    assert harness.sample_saved("docs/assets/default-model.json", 5, 0.7, "ma", 3) == printed
    with pytest.raises(ValueError, match="character 'Z' is not in the vocabulary"):
        harness.sample_saved("docs/assets/default-model.json", 1, 0.5, "Z", 3)


def test_the_train_panel_runs_the_reference_path_a_step_at_a_time(tmp_path):
    reference = json.loads((ROOT / "tests" / "data" / "run-default.json").read_text())
    size = harness.start_run(1000)
    assert size == reference["num_params"]
    events = [harness.next_event() for _ in range(3)]
    assert events == [["step", i + 1, loss] for i, loss in enumerate(reference["losses"][:3])]
    # The model the page keeps for chapter 8: a checkpoint --load reads, with the run's numbers.
    from microgpt import checkpoint
    from microgpt.run import scalar
    (tmp_path / "yours.json").write_text(harness.saved_run(3, 1000))
    _config, _tokenizer, state_dict, saved = checkpoint.load(tmp_path / "yours.json")
    assert (saved["step"], saved["run"]["steps"]) == (3, 1000)
    assert scalar.export(state_dict) == scalar.export(harness.run_state["model"])
    names = harness.stop_run(count=2)
    assert len(names) == 2 and all(isinstance(n, str) for n in names)


@pytest.mark.slow
def test_the_committed_page_run_is_what_the_sites_pyodide_computes():
    """docs/assets/page-run.json, which the preface quotes, made again with Node (about 10 s)."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "pyodide").is_dir():
        pytest.skip("needs Node and node_modules/pyodide (npm ci)")
    made = subprocess.run(["node", "tools/page/losses.mjs"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    committed = json.loads((ROOT / "docs" / "assets" / "page-run.json").read_text())
    assert json.loads(made.stdout) == committed
    native = json.loads((ROOT / "tests" / "data" / "run-default.json").read_text())["losses"]
    assert all(math.isclose(a, b, rel_tol=0, abs_tol=1e-12) for a, b in zip(committed["losses"], native))
    rng = random.Random(committed["exp_seed"])
    assert len(committed["exp"]) == 2000 and all(
        math.isclose(float.fromhex(x), math.exp(rng.uniform(-10, 10)), rel_tol=1e-15) for x in committed["exp"])
