"""Chapter 13: Karpathy's ladder, each rung reproducing its revision bit for bit.

The reference runs are in tests/data/ladder/ (its README says how they were made): for
every rung, the revision's 1000 steps and a 20-step run of its own. The default tier
climbs every rung for 20 steps; the full tier climbs the whole 1000 and compares every
line printed too.
"""

import contextlib
import io
import json
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import book
from microgpt import ladder

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "ladder"
RUNGS = range(len(ladder.RUNGS))
SCREEN = 80  # lines: a screen of new code is the most a rung may add to the rung below


def reference(rung, steps):
    return json.loads((DATA / f"train{rung}{'' if steps == 1000 else f'-{steps}'}.json").read_text())


def climbed(rung, steps, opening=True):
    """(what the climb yielded, as a dict of lists; what the runner's steps printed)."""
    r = ladder.RUNGS[rung] if opening else SimpleNamespace(**{**vars(ladder.RUNGS[rung]),
                                                              "opening": lambda *a: ()})
    printed, seen = io.StringIO(), {}
    with contextlib.redirect_stdout(printed):
        for what, value in ladder.shown(ladder.lines(ladder.climb(r, steps=steps)), rung, steps):
            seen.setdefault(what, []).append(value)
            if what == "sample":
                print(f"sample {len(seen['sample']):2d}: {value}")
            elif what == "inference":
                print("\n--- inference (new, hallucinated names) ---")
    return seen, printed.getvalue().split("\n")[:-1]


@pytest.mark.parametrize("rung", RUNGS)
def test_twenty_steps_of_each_rung_are_its_revisions_to_the_last_bit(rung):
    """The 20-step run: every loss, every name (rung 1's gradient check is the full tier's)."""
    ref = reference(rung, 20)
    seen, _ = climbed(rung, 20, opening=rung != 1)
    assert [loss for _, loss in seen["step"]] == ref["losses"]
    assert seen["sample"] == ref["samples"]
    assert (len(seen["num docs"][0]), seen["vocab size"][0].vocab_size) == (ref["num_docs"], ref["vocab_size"])


@pytest.mark.slow
@pytest.mark.parametrize("rung", RUNGS)
def test_the_whole_climb_of_each_rung_is_its_revisions_and_prints_what_it_printed(rung):
    """The 1000-step run: every loss and name, and every line the revision printed,
    its opening (rung 1's gradient check too) and the steps it shows."""
    ref = reference(rung, 1000)
    seen, printed = climbed(rung, 1000)
    assert [loss for _, loss in seen["step"]] == ref["losses"]
    assert seen["sample"] == ref["samples"]
    assert printed == ref["stdout"]


def test_the_runner_prints_what_the_revision_prints_and_exits_0(main_ladder):
    result = main_ladder("0", "--steps", "20")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split("\n")[:-1] == reference(0, 20)["stdout"]


@pytest.mark.parametrize("argv, message", [
    (["7"], "argument rung: invalid choice: 7 (choose from 0, 1, 2)"),
    (["two"], "argument rung: invalid int value: 'two'"),
    (["0", "--steps", "-3"], "argument --steps: must be 0 or more, not -3"),
    (["0", "--data", "nope.txt"], "nope.txt: no such file"),
    ([], "the following arguments are required: rung"),
])
def test_bad_input_is_one_line_on_stderr_as_in_the_main_program(main_ladder, argv, message):
    result = main_ladder(*argv)
    assert result.stdout == ""
    assert result.stderr == f"microgpt: error: {message}\n"
    assert result.returncode == 2


def test_ctrl_c_stops_a_rung_between_two_steps_with_status_130():
    """A real SIGINT to python -m microgpt.ladder 2, once its first step is printed."""
    child = subprocess.Popen([sys.executable, "-u", "-m", "microgpt.ladder", "2"], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not child.stdout.readline().startswith("step    1 /"):
            assert child.poll() is None, child.stderr.read()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130
    assert err.startswith("microgpt: stopped at step ") and err.endswith(" of 1000\n") and err.count("\n") == 1


def test_each_rung_adds_at_most_a_screen_of_code_to_the_rung_below():
    """The package lines each rung's section of the chapter writes (rung 0's count is over
    the climb, which every rung shares)."""
    page = book.pages(ROOT)["13-the-way-up.md"]
    text = (ROOT / "docs" / "13-the-way-up.md").read_text(encoding="utf-8").split("\n")
    starts = {int(line.split("{#rung-")[1].rstrip("}")): i + 1 for i, line in enumerate(text)
              if line.startswith("## ") and "{#rung-" in line}
    ends = sorted([i + 1 for i, line in enumerate(text) if line.startswith("## ")] + [len(text) + 1])
    added = {}
    for rung, start in starts.items():
        end = next(e for e in ends if e > start)
        added[rung] = sum(1 for b in page.blocks if start < b.line < end and b.info.startswith('python title="microgpt/')
                          for line in b.code.splitlines() if line.strip())
    assert sorted(added) == list(RUNGS)
    assert all(0 < n <= SCREEN for n in added.values()), added


@pytest.fixture
def main_ladder(monkeypatch):
    """python -m microgpt.ladder ARGS, in-process: a CompletedProcess of its output."""
    def run(*argv):
        out, err = io.StringIO(), io.StringIO()
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = ladder.main(list(argv))
        finally:
            for s, h in handlers.items():
                signal.signal(s, h)
        return subprocess.CompletedProcess(argv, status, out.getvalue(), err.getvalue())
    return run
