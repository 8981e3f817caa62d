"""Benchmark a whole microgpt run: wall time, training steps per second, peak memory.

    python tools/bench.py                      the default run (1000 steps)
    python tools/bench.py --steps 100          a shorter run
    python tools/bench.py --reference microgpt.py
                                               also time a reference script, for
                                               example Karpathy's original file

Each program runs as its own subprocess, as a user would run it, with its output
sent to a file. The steps are counted from the "step N / M" lines it prints, so
a reference script that has its own step count is measured correctly too. Peak
memory is the child's maximum resident set size, from os.wait4.

A reference script runs in a fresh temporary folder holding a copy of the data
as input.txt (the name Karpathy's microgpt.py reads), so it never tries to
download anything. Its own settings apply: --steps only changes microgpt's run.

This is a tool to run by hand; no test times anything.
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP_LINE = re.compile(r"^step\s+(\d+)\s*/", re.MULTILINE)


def measure(label, argv, cwd):
    """Run argv in cwd; return a row of results (or raise if it failed)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        tail = "\n".join(text.splitlines()[-10:])
        raise SystemExit(f"bench: {label} exited with status {proc.returncode}:\n{tail}")
    steps = len(STEP_LINE.findall(text))
    # ru_maxrss is in kibibytes on Linux and in bytes on macOS.
    peak_bytes = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {"program": label, "steps": steps, "wall": wall,
            "steps_per_s": steps / wall if wall else float("nan"),
            "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": peak_bytes / 2**20}


def microgpt_row(args):
    argv = [args.python, "-m", "microgpt", "--data", str(args.data), "--steps", str(args.steps)]
    return measure("python -m microgpt", argv, ROOT)


def reference_row(args):
    with tempfile.TemporaryDirectory(prefix="microgpt-bench-") as folder:
        shutil.copyfile(args.data, Path(folder) / "input.txt")
        argv = [args.python, str(args.reference.resolve())]
        return measure(f"python {args.reference.name}", argv, folder)


def table(rows):
    lines = ["| program | steps | wall time (s) | CPU time (s) | steps/s | peak memory (MiB) |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['program']} | {r['steps']} | {r['wall']:.1f} | {r['cpu']:.1f} "
                     f"| {r['steps_per_s']:.2f} | {r['peak_mib']:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description="Time a whole microgpt run (and optionally a "
                                "reference script) and print a small table.")
    p.add_argument("--steps", type=int, default=1000,
                   help="training steps for microgpt's run (default: %(default)s)")
    p.add_argument("--data", type=Path, default=ROOT / "names.txt",
                   help="the documents file (default: names.txt at the repository root)")
    p.add_argument("--reference", type=Path, metavar="PATH",
                   help="also time this script, run as 'python PATH' (e.g. Karpathy's microgpt.py)")
    p.add_argument("--python", default=sys.executable,
                   help="the Python interpreter to run (default: this one)")
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error("--steps must be at least 1")
    if not args.data.is_file():
        p.error(f"--data {args.data}: no such file")
    if args.reference and not args.reference.is_file():
        p.error(f"--reference {args.reference}: no such file")

    print(f"{platform.python_implementation()} {platform.python_version()} on "
          f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs", flush=True)
    rows = [microgpt_row(args)]
    if args.reference:
        rows.append(reference_row(args))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
