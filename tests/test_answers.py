"""An answer checked from a file, apart from the checker (issue 24 items 2-5, issue 26 item 7).

``python -m pytest --exercise N.M --answer FILE`` collects this file alone and runs
test_your_file: the reader's file through Exercise N.M's check, in a process of its own
(tools/page/harness.py's run_alone), reading no chapter, so it works on a student's edition
and on a bare checkout. The other tests prove what keeps an answer apart, and the grader
(tools/grade.py). The proof for every exercise is in test_exercises.py (full tier).
"""

import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("harness", ROOT / "tools" / "page" / "harness.py")
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)

# Exercise 10.2's answer, as a student would save it: the block with the prediction written in.
START_10_2 = """import math

from microgpt.evaluate import bigram, bigram_nll, framed
from microgpt.model import Config
from microgpt.tokenizer import Tokenizer

tok, config = Tokenizer("ab"), Config()
table = bigram(tok, config, ["ab", "ab"])
tokens, n = framed(tok, config, "ab")
loss = bigram_nll(table, tok, config, "ab") / n
"""


def test_your_file(request, exercise_number):
    """--exercise N.M --answer FILE: exit 0 passed, 1 not yet, with the check's one line."""
    answer, seconds = request.config.getoption("answer"), request.config.getoption("time_limit")
    where = request.config.invocation_params.dir          # FILE is where the reader said, not from the root
    verdict = harness.check_file(exercise_number, str(where / answer), seconds, str(ROOT))
    if not verdict["passed"]:
        pytest.fail(f"Exercise {exercise_number}, {harness.said(verdict)}", pytrace=False)


def alone(code, number="10.2", seconds=5):
    return harness.run_alone(code, "answer.py", 0, harness.check_of(number, ROOT), seconds, cwd=ROOT)


@pytest.mark.parametrize("code, why", [
    ("import os\nos._exit(0)", "ended the process (exit status 0)"),
    ("raise SystemExit(0)", "SystemExit"),
    ("raise KeyboardInterrupt", "your code raised KeyboardInterrupt"),
    ("class Mine(BaseException):\n    pass\nraise Mine('no')", "your code raised Mine: no"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "ended the process (signal 9)"),
    ("x = bytearray(4 << 30)", "MemoryError"),
    ("import os\nos.write(1, b'{\"passed\": true}')\nprediction = 1", "is not 1"),
    ("while True:\n    pass", "your code ran for more than 1 s"),
])
def test_an_answer_that_ends_badly_is_not_yet(code, why):
    verdict = alone(code, seconds=1)
    assert not verdict["passed"] and why in verdict["error"], verdict


def test_a_prediction_is_written_out_never_copied():
    right = alone(START_10_2 + "prediction = math.log(5 / 3)\n")
    near = alone(START_10_2 + "prediction = 0.5105\n")
    copied = alone(START_10_2 + "prediction = loss\n")
    hidden = alone(START_10_2 + "prediction = math.log(loss)\n")
    wrong = alone(START_10_2 + "prediction = math.log(2)\n")
    assert right["passed"] and near["passed"], (right, near)
    assert not copied["passed"] and "not computed from the block: loss is not a number" in copied["error"]
    assert not hidden["passed"] and "loss is not a number" in hidden["error"]
    assert not wrong["passed"] and "is not 0.693" in wrong["error"]


def test_a_block_changes_nothing_for_the_next_one(tmp_path):
    import builtins
    code = ("import os, sys, builtins\nos.chdir(%r)\nbuiltins.print = None\nbuiltins.mine = 1\n"
            "sys.modules['json'] = None\nsys.modules['made_up'] = 1\nraise KeyboardInterrupt" % str(tmp_path))
    here, printer, json_module = os.getcwd(), print, sys.modules["json"]
    verdict = harness.run_block(code, "answer.py", 0)
    assert not verdict["passed"] and "KeyboardInterrupt" in verdict["error"]
    assert os.getcwd() == here and builtins.print is printer and not hasattr(builtins, "mine")
    assert sys.modules["json"] is json_module and "made_up" not in sys.modules


def pytest_answer(number, path, *more):
    """The command, on a file outside the book: --answer=FILE, in one word, or pytest would
    take the file for a test path and look for its settings beside it (a file inside the
    book's folder, as answers/3.2.py, may be given either way)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                           "--exercise", number, f"--answer={path}", *more],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_command_stops_a_looping_answer(tmp_path):
    (tmp_path / "loop.py").write_text("while True:\n    pass\n", encoding="utf-8")
    loop = pytest_answer("10.2", tmp_path / "loop.py", "--time-limit", "2")
    assert loop.returncode == 1 and "Exercise 10.2, not yet: your code ran for more than 2 s" in loop.stdout, loop.stdout


@pytest.mark.slow
def test_the_command_passes_a_right_file(tmp_path):
    (tmp_path / "right.py").write_text(START_10_2 + "prediction = math.log(5 / 3)\n", encoding="utf-8")
    right = pytest_answer("10.2", tmp_path / "right.py")
    assert right.returncode == 0, right.stdout[-2000:]


def test_the_command_reads_no_chapter(tmp_path):
    """On a bare copy of the book with every chapter emptied, the check still runs."""
    import shutil
    copy = tmp_path / "book"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "node_modules", "build", "site", ".venv"))
    for chapter in (copy / "docs").glob("[0-9][0-9]-*.md"):
        chapter.write_text("", encoding="utf-8")
    verdict = harness.check_file("10.2", str(tmp_path / "answer.py"), 5, str(copy))
    assert "cannot be read" in verdict["error"]
    (tmp_path / "answer.py").write_text(START_10_2 + "prediction = math.log(5 / 3)\n", encoding="utf-8")
    assert harness.check_file("10.2", str(tmp_path / "answer.py"), 5, str(copy))["passed"]
    assert harness.check_file("99.1", str(tmp_path / "answer.py"), 5, str(copy))["error"] == "the book has no Exercise 99.1"


def grade(folder, *more):
    out = folder.parent / "grades.csv"
    done = subprocess.run([sys.executable, "tools/grade.py", str(folder), "--out", str(out), *more],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and not done.stderr, done.stderr
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return done.stdout, rows, json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))


def submissions(folder, answers):
    """Write answers ({(student, N.M): code}) half as <student>_<N.M>.py, half in <student>/<N.M>.py."""
    for i, ((student, number), code) in enumerate(sorted(answers.items())):
        path = folder / f"{student}_{number}.py" if i % 2 else folder / student / f"{number}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")


def test_the_grader_on_a_few_answers(tmp_path):
    folder = tmp_path / "answers"
    right, copied = START_10_2 + "prediction = math.log(5 / 3)\n", START_10_2 + "prediction = loss\n"
    submissions(folder, {("ada", "10.2"): right, ("bob", "10.2"): copied, ("cy", "10.2"): "while True:\n    pass\n",
                         ("dee", "10.2"): "import os\nos._exit(0)\n", ("eve", "99.1"): right})
    said, rows, summary = grade(folder, "--time-limit", "2")
    assert said.startswith("1 of 5 answers passed (5 students)"), said
    got = {(r["student"], r["exercise"]): (r["passed"], r["message"]) for r in rows}
    assert got[("ada", "10.2")] == ("True", "passed")
    assert got[("bob", "10.2")][1].startswith("not yet: prediction must be your prediction written out")
    assert got[("cy", "10.2")] == ("False", "not yet: your code ran for more than 2 s")
    assert got[("dee", "10.2")][1].startswith("not yet: your code ended the process (exit status 0)")
    assert got[("eve", "99.1")] == ("False", "not yet: the book has no Exercise 99.1")
    assert summary["exercises"]["10.2"] == {"passed": 1, "of": 4} and summary["students"]["ada"]["passed"] == 1


@pytest.mark.slow
def test_the_grader_on_a_class(tmp_path, record_property):
    """Forty answers (right, wrong, looping, crashing, copied predictions) of eight students."""
    import time
    import exercises
    every = exercises.every(ROOT)
    copies = {"3.1": "prediction = a.grad", "10.2": "prediction = loss", "13.1": "prediction = second",
              "7.1": "prediction = doc_loss(state_dict, config, tokens).data"}
    answers, expected = {}, {}
    for i, number in enumerate(["1.2", "2.1", "3.1", "4.3", "5.1", "7.1", "10.2", "11.4"]):
        e = every[number]
        kinds = {"right": e.solution, "wrong": e.start, "loop": "while True:\n    pass\n",
                 "crash": "import os\nos._exit(3)\n", "copy": e.start + "\n" + copies.get(number, "prediction = 1") + "\n"}
        for kind, code in kinds.items():
            answers[(f"{kind}{i}", number)] = code
            expected[(f"{kind}{i}", number)] = kind == "right"
    submissions(tmp_path / "class", answers)
    began = time.monotonic()
    said, rows, summary = grade(tmp_path / "class", "--time-limit", "3")
    record_property("measured", f"the grader: {len(rows)} answers in {time.monotonic() - began:.1f} s")
    got = {(r["student"], r["exercise"]): r for r in rows}
    assert len(rows) == len(expected) >= 30
    assert {k: r["passed"] == "True" for k, r in got.items()} == expected
    assert all(got[k]["message"] == "not yet: your code ran for more than 3 s" for k in got if k[0].startswith("loop"))
    assert all("exit status 3" in got[k]["message"] for k in got if k[0].startswith("crash"))
    assert all(float(r["seconds"]) >= 0 for r in rows) and said.startswith(f"{len(expected) // 5} of {len(rows)}")
    assert sum(s["passed"] for s in summary["students"].values()) == len(expected) // 5


@pytest.mark.slow
def test_the_check_extra_alone_checks_an_answer(tmp_path, record_property):
    """A fresh virtual environment with only .[check] (pip installs it as the dev install
    does) checks an answer, has no site tools, and stays under 100 MB."""
    import shutil
    copy, venv = tmp_path / "book", tmp_path / "venv"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "node_modules", "build", "site", ".venv",
                                                               "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    installed = subprocess.run([python, "-m", "pip", "install", "-q", "-e", f"{copy}[check]"],
                               capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr[-2000:]
    (copy / "10.2.py").write_text(START_10_2 + "prediction = math.log(5 / 3)\n", encoding="utf-8")
    checked = subprocess.run([python, "-m", "pytest", "-q", "-n", "0", "--exercise", "10.2", "--answer", "10.2.py"],
                             cwd=copy, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    site_tools = subprocess.run([python, "-c", "import mkdocs"], capture_output=True, timeout=60)
    assert site_tools.returncode != 0, "the check extra installed mkdocs"
    size = sum(p.stat().st_size for p in venv.rglob("*") if p.is_file() and not p.is_symlink())
    record_property("measured", f"a virtual environment with only .[check]: {size / 1e6:.0f} MB")
    assert size < 100e6, f"{size / 1e6:.0f} MB"
