"""Chapter 12's bigger run: its command (as the chapter prints it) and the numbers around it.

The chapter shows the command in a text block; this module reads it from there, so
the page, the test that re-runs it (tests/test_12_efficiency.py) and the numbers
computed at build time all use the same command.
"""

import json
import random
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "docs" / "12-efficiency.md"
RESULT = ROOT / "docs" / "assets" / "big-eval.json"
DEFAULT_MODEL = ROOT / "docs" / "assets" / "default-model.json"


def command():
    """The words of the bigger run's command, after 'python -m microgpt'."""
    text = CHAPTER.read_text().replace("\\\n", " ")       # join lines continued with a backslash
    found = re.findall(r"^python -m microgpt (--engine numpy --n-layer .*)$", text, re.M)
    if len(found) != 1:
        raise ValueError(f"{CHAPTER}: expected one bigger-run command, found {len(found)}")
    return shlex.split(found[0])


def args():
    from microgpt.options import parse_args
    return parse_args(command())


def config():
    from microgpt.model import Config
    a = args()
    return Config(a.n_embd, a.n_head, a.n_layer, a.block_size)


def steps():
    return args().steps


def params(default=False):
    """How many parameters the bigger model (or the default one) has, on names.txt."""
    from microgpt.model import Config, init_state_dict, parameters
    return len(parameters(init_state_dict(Config() if default else config(), 27, random.Random(0))))


def default_model_loss():
    """The committed default model's held-out loss on the bigger run's held-out names."""
    from microgpt import checkpoint, evaluate, fast
    cfg, tokenizer, state_dict, saved = checkpoint.load(str(DEFAULT_MODEL))
    docs = evaluate.run_docs(saved["run"])
    held_out = evaluate.split(docs, steps())[1]
    if len(held_out) != json.loads(RESULT.read_text())["held_out"]:
        raise ValueError("the default model's run and the bigger run hold out different names")
    weights = fast.model(state_dict)
    nll = sum(evaluate.model_nll(weights, cfg, tokenizer, doc, fast) for doc in held_out)
    return nll / sum(evaluate.framed(tokenizer, cfg, doc)[1] for doc in held_out)
