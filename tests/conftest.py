"""Fixtures shared by the tests in tests/ (the repository's conftest.py sets up the session).

- ``microgpt``: run ``python -m microgpt ARGS`` as a reader does, in a subprocess
  (for what only a real process shows: exit codes, signals, a terminal, a closed pipe).
- ``main``: the same command in this process, through ``microgpt.__main__.main``; as
  fast as a function call, so the many refusal tests use it.
- ``tiny_model``: a small model's weights, drawn from a seeded generator.
- ``seeded``: the opening of the reference path (chapter 9's ``run``) for a data file,
  seed and model: the documents, the tokenizer and the initial weights.
- ``built_site``: the website, built once per test session with ``--strict``.
- ``student_site``, ``teacher_site``: the same, built as those editions (MICROGPT_EDITION),
  only in a session that has a test asking for one.

microgpt is imported inside the fixtures, never at the top of this file, so that
``--chapter N`` can choose which microgpt/ is imported before anything is.
"""

import contextlib
import io
import os
import random
import shlex
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from unittest import mock

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "test-site"     # the test session's build of the website
SNAPSHOT = "MICROGPT_CHAPTER_SNAPSHOT"


def command(*args):
    """(argv, env) that start ``python -m microgpt ARGS`` at the width of a standard
    terminal. Under --chapter N the subprocess imports microgpt from the chapter's
    snapshot: -P leaves the working directory off sys.path and -S skips site-packages'
    .pth files (the editable install of microgpt/ is one), while PYTHONPATH lists the
    snapshot, then site-packages itself (for NumPy)."""
    env = {**os.environ, "COLUMNS": "80"}
    flags = []
    if os.environ.get(SNAPSHOT):
        flags = ["-P", "-S"]
        env["PYTHONPATH"] = os.pathsep.join([os.environ[SNAPSHOT], sysconfig.get_path("purelib")])
    return [sys.executable, *flags, "-m", "microgpt", *map(str, args)], env


def run_microgpt(*args, cwd=ROOT, env=None, timeout=600, input=None):
    argv, full_env = command(*args)
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**full_env, **(env or {})}, input=input)


def signalled(signum, once, *args):
    """Start python -m microgpt ARGS; send it signum as soon as it prints a line holding
    once; return (its exit status, what it printed on standard error)."""
    argv, env = command(*args)
    proc = subprocess.Popen(argv, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**env, "PYTHONUNBUFFERED": "1"})
    for line in proc.stdout:
        if once in line:
            break
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.fixture(scope="session")
def microgpt():
    """A function: microgpt(*args, cwd=, env=, timeout=, input=) runs the program in a
    subprocess and returns its subprocess.CompletedProcess. ``microgpt.command(*args)``
    gives the (argv, env) to start it yourself, and ``microgpt.signalled(signum, once,
    *args)`` stops it with a signal once it has printed a line holding once."""
    run_microgpt.command, run_microgpt.signalled = command, signalled
    return run_microgpt


@pytest.fixture(scope="session")
def main():
    """A function: main(*args) runs ``python -m microgpt ARGS`` in this process and returns
    a subprocess.CompletedProcess (the exit status, what it printed on each stream). The
    signal handlers the program installs are put back afterwards."""
    from microgpt.__main__ import main as program

    def run(*args):
        argv = [str(a) for a in args]
        out, err = io.StringIO(), io.StringIO()
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:                                         # --help at the width of a standard terminal
            with mock.patch.dict(os.environ, COLUMNS="80"), \
                    contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = program(argv)
                except SystemExit as e:          # --help and --version end through argparse
                    status = e.code if isinstance(e.code, int) else 1
        finally:
            for s, handler in handlers.items():
                signal.signal(s, handler)
        return subprocess.CompletedProcess(["python", "-m", "microgpt", *argv], status,
                                           out.getvalue(), err.getvalue())

    return run


@pytest.fixture(scope="session")
def tiny_model():
    """A function: tiny_model(seed=0, config=None, vocab_size=27) -> a state_dict of random
    initial weights (chapter 4's init_state_dict) for a small model (by default 8 numbers
    wide, 2 heads, 1 layer, a block of 8)."""
    from microgpt.model import Config, init_state_dict

    def make(seed=0, config=None, vocab_size=27):
        config = config or Config(n_embd=8, n_head=2, n_layer=1, block_size=8)
        return init_state_dict(config, vocab_size, random.Random(seed))

    return make


@pytest.fixture(scope="session")
def seeded():
    """A function: seeded(data="names.txt", seed=42, config=None) -> (docs, tokenizer,
    state_dict), taken from the reference path itself (chapter 9's run), so the tests
    open a run exactly as the program does."""
    from microgpt.model import Config
    from microgpt.run import run

    def opening(data="names.txt", seed=42, config=None):
        found = {}
        for what, value in run(str(data), seed, steps=0, samples=0, config=config or Config()):
            found[what] = value
            if what == "num params":
                return found["num docs"], found["vocab size"], value
        raise AssertionError("run() never yielded its parameters")

    return opening


@pytest.hookimpl(trylast=True)  # after the tiers have left out what this run does not run
def pytest_collection_modifyitems(config, items):
    """If any test collected needs a built site, start building it now, in the
    background, so it is ready by the time those tests run (every worker of
    pytest-xdist collects every test; the first one to get here starts the build)."""
    for edition, fixture in EDITIONS.items():
        if any(fixture in item.fixturenames for item in items):
            start_site_build(edition)


EDITIONS = {"reader": "built_site", "student": "student_site", "teacher": "teacher_site"}


def run_id():
    """Shared by the workers of one pytest-xdist run; this process's own otherwise."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


def folder(edition):
    """Where an edition is built: build/test-site for the reader's, build/test-site-student, ..."""
    return SITE if edition == "reader" else SITE.with_name(f"{SITE.name}-{edition}")


def start_site_build(edition="reader"):
    where = folder(edition)
    where.mkdir(parents=True, exist_ok=True)
    with FileLock(where / "lock"):
        stamp = where / "run"
        if stamp.exists() and stamp.read_text() == run_id():
            return                                   # another worker of this run started it
        (where / "status").unlink(missing_ok=True)
        stamp.write_text(run_id())
        build = shlex.join([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean",
                            "--site-dir", str(where / "site")])
        log, status = shlex.quote(str(where / "log")), shlex.quote(str(where / "status"))
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true",  # no banners
                   MICROGPT_EDITION=edition)
        env.pop(SNAPSHOT, None)
        # The shell writes the build's exit status when it ends; whoever waits reads it.
        subprocess.Popen(["sh", "-c", f"{build} > {log} 2>&1; echo $? > {status}.new && mv {status}.new {status}"],
                         cwd=ROOT, env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def built(edition):
    """The site folder of this session's build of edition, once it has ended."""
    start_site_build(edition)                        # if collection has not started it already
    status = folder(edition) / "status"
    deadline = time.monotonic() + 600
    while not status.exists():
        assert time.monotonic() < deadline, f"the site build ({edition}'s edition) did not end in 10 minutes"
        time.sleep(0.2)
    log = (folder(edition) / "log").read_text(encoding="utf-8", errors="replace")
    assert status.read_text().strip() == "0", "mkdocs build --strict failed:\n" + log[-3000:]
    return folder(edition) / "site"


@pytest.fixture(scope="session")
def built_site():
    """The directory of this session's ``mkdocs build --strict`` of the book."""
    return built("reader")


@pytest.fixture(scope="session")
def student_site():
    """The same, built as the student's edition (no solutions, no notes for teachers)."""
    return built("student")


@pytest.fixture(scope="session")
def teacher_site():
    """The same, built as the teacher's edition (the solutions open, the notes kept)."""
    return built("teacher")
