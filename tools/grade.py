"""python tools/grade.py SUBMISSIONS --out grades.csv: grade a folder of answers.

SUBMISSIONS holds <student>_<N.M>.py, or <student>/<N.M>.py (the page's Download my answers).
Each answer is checked as --exercise N.M --answer FILE checks it (harness.check_file: its own
process, time and memory limits), one per core at a time (threads, each waiting on its
child). Writes the CSV and a JSON summary beside it (per student, per exercise), atomically.
--classroom N.M ... prints a GitHub Classroom workflow instead (answers in answers/N.M.py).
"""

import argparse
import concurrent.futures
import csv
import io
import json
import os
import re
import sys
import time
from pathlib import Path

import yaml

from tangle import write_atomically

sys.path.insert(0, str(Path(__file__).resolve().parent / "page"))
import harness  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"\d+\.\d+"
FIELDS = ["student", "exercise", "passed", "message", "seconds"]


def answers(folder):
    """[(student, N.M, path)] of the answers in folder, in order."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            found += [(path.name, p.stem, p) for p in sorted(path.glob("*.py")) if re.fullmatch(NUMBER, p.stem)]
        elif match := re.fullmatch(rf"(.+)_({NUMBER})\.py", path.name):
            found.append((match[1], match[2], path))
    return found


def grade(student, number, path, seconds):
    began = time.monotonic()
    verdict = harness.check_file(number, str(path), seconds, str(ROOT))
    return {"student": student, "exercise": number, "passed": verdict["passed"],
            "message": harness.said(verdict), "seconds": round(time.monotonic() - began, 2)}


def summary(rows):
    out = {"students": {}, "exercises": {}}
    for r in rows:
        mine = out["students"].setdefault(r["student"], {"passed": 0, "of": 0, "exercises": {}})
        theirs = out["exercises"].setdefault(r["exercise"], {"passed": 0, "of": 0})
        for tally in (mine, theirs):
            tally["passed"] += r["passed"]
            tally["of"] += 1
        mine["exercises"][r["exercise"]] = r["passed"]
    return out


def classroom(numbers):
    """The workflow of a GitHub Classroom assignment that checks answers/N.M.py for each N.M."""
    steps = [{"uses": "actions/checkout@v4"},
             {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
             {"name": "Install the checks", "run": 'python -m pip install -e ".[check]"'}]
    ids = []
    for n in numbers:
        ids.append(f"exercise-{n.replace('.', '-')}")
        steps.append({"name": f"Exercise {n}", "id": ids[-1], "uses": "classroom-resources/autograding-command-grader@v1",
                      "with": {"test-name": f"Exercise {n}", "setup-command": "",
                               "command": f"python -m pytest -n 0 --exercise {n} --answer answers/{n}.py",
                               "timeout": 2, "max-score": 1}})
    steps.append({"name": "Autograding Reporter", "uses": "classroom-resources/autograding-grading-reporter@v1",
                  "env": {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in ids},
                  "with": {"runners": ",".join(ids)}})
    return yaml.safe_dump({"name": "Autograding Tests", "on": ["push", "repository_dispatch"],
                           "permissions": {"checks": "write", "actions": "read", "contents": "read"},
                           "jobs": {"run-autograding-tests": {"runs-on": "ubuntu-latest", "steps": steps,
                                                              "if": "github.actor != 'github-classroom[bot]'"}}},
                          sort_keys=False, width=200)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tools/grade.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", nargs="?", type=Path, help="the folder of answers")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write (default grades.csv)")
    parser.add_argument("--time-limit", type=float, default=harness.SECONDS, metavar="S",
                        help=f"the seconds an answer may run (default {harness.SECONDS})")
    parser.add_argument("--classroom", nargs="+", metavar="N.M", help="print a GitHub Classroom workflow instead")
    args = parser.parse_args(argv)
    if args.classroom:
        bad = [n for n in args.classroom if harness.check_of(n, str(ROOT)) is None]
        if bad:
            return refuse(f"the book has no Exercise {bad[0]}")
        print(classroom(args.classroom), end="")
        return 0
    if args.submissions is None or not args.submissions.is_dir():
        return refuse(f"{args.submissions or 'SUBMISSIONS'}: give a folder of answers")
    if not args.out.parent.is_dir():
        return refuse(f"--out {args.out}: there is no folder {args.out.parent}")
    found = answers(args.submissions)
    if not found:
        return refuse(f"{args.submissions}: no answers in it (files <student>_<N.M>.py, or <student>/<N.M>.py)")
    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        rows = list(pool.map(lambda a: grade(*a, args.time_limit), found))
    table = io.StringIO()
    out = csv.DictWriter(table, FIELDS, lineterminator="\n")
    out.writeheader()
    out.writerows(rows)
    write_atomically(args.out, table.getvalue())
    write_atomically(args.out.with_suffix(".json"), json.dumps(summary(rows), indent=1) + "\n")
    passed, students = sum(r["passed"] for r in rows), len({r["student"] for r in rows})
    print(f"{passed} of {len(rows)} answers passed ({students} students) in {time.monotonic() - began:.1f} s: "
          f"{args.out} and {args.out.with_suffix('.json')}")
    return 0


def refuse(why):
    print(f"tools/grade.py: {why}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("tools/grade.py: stopped", file=sys.stderr)
        sys.exit(130)
