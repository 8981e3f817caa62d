"""The README's promises about its own commands: the time it gives the test command is the
one measured (tools/bench.py --tests records it in docs/assets/test-time.json), and the files
pyproject.toml's comments point at are in the repository."""

import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORDS = {1: "one", 2: "two", 4: "four", 8: "eight"}


MEASURED = ROOT / "docs" / "assets" / "test-time.json"


def test_the_readmes_time_for_the_test_command_is_the_measured_one():
    if not MEASURED.exists():
        pytest.skip("the test command's time is not measured yet: on a quiet machine, run "
                    "python tools/bench.py --tests --json docs/assets/test-time.json, then say its minutes in the README")
    measured = json.loads(MEASURED.read_text(encoding="utf-8"))
    assert measured["command"] == "python -m pytest"
    said = re.search(r"runs the default tier of the tests, in about (\d+) minutes? on (\w+) cores",
                     " ".join((ROOT / "README.md").read_text(encoding="utf-8").split()))
    assert said, "the README no longer says how long its test command takes"
    minutes, cores = int(said.group(1)), said.group(2)
    assert minutes == max(1, round(measured["wall"] / 60)), (
        f"the README says about {minutes} min, the measurement {measured['wall']:.0f} s: "
        "say what was measured, or measure again with python tools/bench.py --tests --json docs/assets/test-time.json")
    assert cores == WORDS.get(measured["machine"]["cpus"]), (cores, measured["machine"]["cpus"])


def test_pyprojects_comments_name_files_of_the_repository():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    tomllib.loads(text)
    named = {m for line in text.splitlines() if line.lstrip().startswith("#")
             for m in re.findall(r"[\w./-]+\.(?:md|py|json|toml|yml|cff)\b|\.ci/run\b", line)}
    assert ".ci/run" in named and "docs/making.md" in named
    assert not [path for path in named if not (ROOT / path).exists()], named
