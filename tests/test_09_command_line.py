"""Chapter 9: running it. run() as microgpt.py's whole run, lines() as what microgpt.py
prints, and python -m microgpt.run as the program (a real process for Ctrl-C)."""

import signal
import subprocess
import sys
from pathlib import Path

from microgpt.model import Config
from microgpt.run import lines, run, scalar

ROOT = Path(__file__).resolve().parent.parent
SMALL = Config(n_embd=8, n_head=2, n_layer=1, block_size=8)


def test_lines_are_one_for_each_pair_in_the_references_format():
    events = list(run(steps=3, samples=4, config=SMALL))
    out = list(lines(iter(events), steps=3))
    assert len(out) == len(events)
    docs, tokenizer, model = (value for _, value in events[:3])
    assert out[:3] == [f"num docs: {len(docs)}", f"vocab size: {tokenizer.vocab_size}",
                       f"num params: {scalar.size(model)}"]
    losses = [value for what, value in events if what == "step"]
    assert out[3:6] == [f"step {s:4d} /    3 | loss {loss:.4f}" for s, loss in losses]
    assert out[6] == "--- inference (new, hallucinated names) ---"
    names = [value for what, value in events if what == "sample"]
    assert out[7:] == [f"sample {i:2d}: {name}" for i, name in enumerate(names, 1)]


def test_the_default_run_prints_the_references_first_lines():
    # the whole run is the full tier's (tests/test_reproduction.py); its opening is checked here
    out = lines(run())
    assert [next(out) for _ in range(3)] == ["num docs: 32469", "vocab size: 27", "num params: 4192"]


def test_ctrl_c_stops_the_program_in_one_line_with_status_130():
    child = subprocess.Popen([sys.executable, "-u", "-m", "microgpt.run"], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not child.stdout.readline().startswith("step    1 /"):
            assert child.poll() is None, child.stderr.read()
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130
    assert err == "\nmicrogpt: stopped\n"
