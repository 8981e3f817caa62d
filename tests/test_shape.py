"""The package's shape against its targets (tools/shape.py measures; python tools/shape.py prints)."""

from pathlib import Path

import pytest

import shape

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def figures():
    return shape.figures(ROOT)


@pytest.mark.parametrize("name", ["executed", "main", "block", "markers", "machinery"])
def test_the_package_keeps_its_shape(figures, name):
    assert figures[name] <= shape.TARGETS[name], f"{name}: {figures[name]}, over {shape.TARGETS[name]}"


def test_the_run_is_counted_without_what_importing_runs(figures):
    # "executed" counts from main() on; what the imports run comes on top of it
    assert 0 < figures["executed"] < figures["loaded"]


def test_a_marker_inside_a_function_is_found(tmp_path):
    package = tmp_path / "microgpt"
    package.mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("nav:\n  - a.md\n")
    (tmp_path / "docs" / "a.md").write_text('```python title="microgpt/m.py"\ndef f():\n    x = 1\n```\n\n'
                                            '```python title="microgpt/m.py"\ny = 2\n```\n')
    import tangle
    (package / "m.py").write_text(tangle.tangle(tmp_path)["microgpt/m.py"])
    assert shape.markers_in_functions(tmp_path) == []
    text = (package / "m.py").read_text().replace("    x = 1\n", "    x = 1\n# [docs/a.md:9]\n    z = 3\n")
    (package / "m.py").write_text(text)
    # markers_in_functions reads the tangle's module list and the files as they are on disk
    assert shape.markers_in_functions(tmp_path) == [("microgpt/m.py", text.splitlines().index("# [docs/a.md:9]") + 1)]
