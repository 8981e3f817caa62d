"""Benchmark a whole microgpt run: wall time, training steps per second, peak memory.

    python tools/bench.py                      the default run (1000 steps)
    python tools/bench.py --steps 100          a shorter run
    python tools/bench.py --engines --json docs/assets/bench.json
                                               both engines of chapter 12 (scalar and
                                               NumPy) on the same run, a profile of a
                                               scalar step, its FLOPs and the
                                               processor's speed, saved for the book
    python tools/bench.py --ladder --json docs/assets/ladder.json
                                               every rung of chapter 13's ladder, climbed
                                               in this process: its losses, names,
                                               held-out loss and time per step
    python tools/bench.py --tests --json docs/assets/test-time.json
                                               the README's test command (the default
                                               tier, python -m pytest), timed: the
                                               README's "about N minutes" is this
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

This is a tool to run by hand; no test times anything. It is hand-written
rather than pyperf or pytest-benchmark because what it measures is a whole
program run as a user runs it (wall time, CPU time and peak memory of a child
process, from os.wait4), not a function called in a loop.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tangle

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


def engine_rows(args):
    """Both engines on the same run, as separate programs; each also with --steps 0, so that
    the training time is the difference (start-up, loading and sampling cancel out).
    The NumPy runs are short, so they take the best of three; the scalar run is timed once."""
    runs = {}
    for engine, repeat in (("scalar", 1), ("numpy", 3)):
        argv = [args.python, "-m", "microgpt", "--data", str(args.data), "--engine", engine]
        full = min((measure(engine, argv + ["--steps", str(args.steps)], ROOT) for _ in range(repeat)),
                   key=lambda r: r["wall"])
        empty = min((measure(engine, argv + ["--steps", "0"], ROOT) for _ in range(3)),
                    key=lambda r: r["wall"])
        train_s = full["wall"] - empty["wall"]
        runs[engine] = {**full, "program": f"python -m microgpt --engine {engine}",
                        "startup_wall": empty["wall"], "train_seconds": train_s,
                        "train_steps_per_s": full["steps"] / train_s}
        print(f"  {engine}: {full['wall']:.2f} s", flush=True)
    return runs


def default_run(args):
    """The default run's shuffled names, tokenizer, config and initial weights, in this
    process: the first three pairs of chapter 9's reference run, before any training."""
    from microgpt.model import Config
    from microgpt.run import run

    events = run(args.data)
    (_, docs), (_, tokenizer), (_, state_dict) = next(events), next(events), next(events)
    return docs, tokenizer, Config(), state_dict


def profile(args, steps=10):
    """The scalar engine's first steps of the default run, phase by phase."""
    from microgpt.evaluate import framed
    from microgpt.model import parameters
    from microgpt.train import adam_update, doc_loss

    docs, tokenizer, config, state_dict = default_run(args)
    params = parameters(state_dict)
    m, v = [0.0] * len(params), [0.0] * len(params)
    ms = {"forward (build the graph)": 0.0, "backward": 0.0, "Adam": 0.0}
    nodes = positions = 0
    for step in range(steps):
        tokens, n = framed(tokenizer, config, docs[step])
        t0 = time.perf_counter()
        loss = doc_loss(state_dict, config, tokens)
        t1 = time.perf_counter()
        nodes += len(loss.topological_order())
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        adam_update(params, m, v, step, args.steps)
        t4 = time.perf_counter()
        for phase, took in zip(ms, (t1 - t0, t3 - t2, t4 - t3)):
            ms[phase] += took * 1000 / steps
        positions += n
    return {"steps": steps, "ms": ms, "nodes": nodes / steps, "positions": positions / steps}


def multiply_adds(config, vocab_size, n):
    """How many multiply-adds the matrix products of one forward pass over n positions make."""
    d, h = config.n_embd, config.head_dim
    per_layer = n * 12 * d * d + config.n_head * n * (n + 1) * h  # 4 attention + 8 MLP d×d; 2 × Σ(t+1)h
    return config.n_layer * per_layer + n * vocab_size * d


def flops(args):
    """The arithmetic of one training step of the default run, averaged over its documents."""
    from microgpt.evaluate import framed
    from microgpt.model import parameters

    docs, tokenizer, config, state_dict = default_run(args)
    n_params = len(parameters(state_dict))
    lengths = [framed(tokenizer, config, doc)[1] for doc in docs[:args.steps]]
    mean = sum(multiply_adds(config, tokenizer.vocab_size, n) for n in lengths) / len(lengths)
    # forward: 2 FLOPs per multiply-add; backward: twice the forward; Adam: about 12 per parameter
    return n_params, {"positions": sum(lengths) / len(lengths), "forward_multiply_adds": mean,
                      "step_flops": 6 * mean + 12 * n_params}


PEAK = """
import time, numpy as np
a = np.random.default_rng(0).standard_normal((1024, 1024))
times = []
for _ in range(5):
    t = time.perf_counter(); a @ a; times.append(time.perf_counter() - t)
x, b, c = 1.0001, 0.9999, 1e-9
ptimes = []
for _ in range(3):
    t = time.perf_counter()
    for _ in range(1_000_000):
        x = x * b + c
    ptimes.append(time.perf_counter() - t)
print(2 * 1024**3 / min(times) / 1e9, 2e6 / min(ptimes) / 1e6)
"""


def peak(args):
    """What one core can do: NumPy's 1024 × 1024 matrix product, and a Python loop of a * b + c."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([args.python, "-c", PEAK], capture_output=True, text=True, env=env, check=True)
    gflops, mflops = map(float, out.stdout.split())
    return {"matmul_gflops": gflops, "python_mflops": mflops}


def machine(args):
    try:
        found = re.search(r"^model name[^:\n]*:(.*)", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    except OSError:
        found = None
    model = found.group(1).strip() if found else platform.processor() or platform.machine()
    numpy_version = subprocess.run([args.python, "-c", "import numpy; print(numpy.__version__)"],
                                   capture_output=True, text=True).stdout.strip() or "not installed"
    return {"processor": model, "cpus": os.cpu_count(), "system": f"{platform.system()} {platform.machine()}",
            "python": f"{platform.python_implementation()} {platform.python_version()}", "numpy": numpy_version}


def engines_report(args):
    print("profiling the scalar engine ...", flush=True)
    prof = profile(args)
    n_params, fl = flops(args)
    print("measuring the processor ...", flush=True)
    pk = peak(args)
    print("running both engines (the scalar one takes minutes) ...", flush=True)
    runs = engine_rows(args)
    return {"date": time.strftime("%Y-%m-%d"), "steps": args.steps, "machine": machine(args),
            "params": n_params, "profile": prof, "flops": fl, "peak": pk, "runs": runs}


def ladder_report(args):
    """Each rung of chapter 13's ladder, climbed here for args.steps steps, one after the
    other: what the climb yields, its held-out loss, and the seconds its steps took."""
    from microgpt import ladder

    rungs = []
    for number, rung in enumerate(ladder.RUNGS):
        seen = {}
        for what, value in ladder.climb(rung, args.data, steps=args.steps):
            if what == "training":
                start = time.perf_counter()
            elif what == "inference":
                seconds = time.perf_counter() - start
            seen.setdefault(what, []).append(value)
        docs, tokenizer, model = seen["num docs"][0], seen["vocab size"][0], seen["inference"][0]
        rungs.append({"rung": number, "num_params": seen.get("num params", [None])[0],
                      "losses": [loss for _, loss in seen["step"]], "samples": seen["sample"],
                      "held_out": ladder.held_out_loss(rung, model, tokenizer, docs, args.steps),
                      "seconds_per_step": seconds / args.steps})
        print(f"  rung {number}: {seconds / args.steps:.4f} s a step", flush=True)
    return {"date": time.strftime("%Y-%m-%d"), "steps": args.steps, "machine": machine(args), "rungs": rungs}


def tests_report(args):
    """The README's test command, python -m pytest (the default tier, on every core), run
    once as a user runs it: its wall time, and how busy the machine was when it started."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    row = measure("python -m pytest", [args.python, "-m", "pytest", "-q"], ROOT)
    print(f"  the default tier: {row['wall']:.0f} s", flush=True)
    return {"date": time.strftime("%Y-%m-%d"), "machine": machine(args), "load_before": load,
            "command": "python -m pytest", "wall": row["wall"], "cpu": row["cpu"]}


def main(argv=None):
    p = argparse.ArgumentParser(description="Time a whole microgpt run (and optionally a "
                                "reference script) and print a small table.")
    p.add_argument("--steps", type=int, default=1000,
                   help="training steps for microgpt's run (default: %(default)s)")
    p.add_argument("--data", type=Path, default=ROOT / "names.txt",
                   help="the documents file (default: names.txt at the repository root)")
    p.add_argument("--reference", type=Path, metavar="PATH",
                   help="also time this script, run as 'python PATH' (e.g. Karpathy's microgpt.py)")
    p.add_argument("--engines", action="store_true",
                   help="compare the scalar and NumPy engines (chapter 12): profile, FLOPs, both runs")
    p.add_argument("--ladder", action="store_true",
                   help="climb every rung of chapter 13's ladder: losses, names, held-out loss, time")
    p.add_argument("--tests", action="store_true",
                   help="time the README's test command, python -m pytest (the default tier)")
    p.add_argument("--json", type=Path, metavar="PATH",
                   help="with --engines, --ladder or --tests: also save the results to PATH")
    p.add_argument("--python", default=sys.executable,
                   help="the Python interpreter to run (default: this one)")
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error("--steps must be at least 1")
    if not args.data.is_file():
        p.error(f"--data {args.data}: no such file")
    if args.reference and not args.reference.is_file():
        p.error(f"--reference {args.reference}: no such file")
    if args.json and not ((args.engines or args.ladder or args.tests) and args.json.resolve().parent.is_dir()):
        p.error(f"--json {args.json}: needs --engines, --ladder or --tests, and an existing folder")

    print(f"{platform.python_implementation()} {platform.python_version()} on "
          f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs", flush=True)
    if args.ladder or args.tests:
        report = ladder_report(args) if args.ladder else tests_report(args)
        if args.json:
            tangle.write_atomically(args.json, json.dumps(report, indent=1) + "\n")
        return 0
    if args.engines:
        report = engines_report(args)
        rows = list(report["runs"].values())
        if args.json:
            tangle.write_atomically(args.json, json.dumps(report, indent=1) + "\n")
    else:
        rows = [microgpt_row(args)]
    if args.reference:
        rows.append(reference_row(args))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
