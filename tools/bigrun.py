"""Chapter 12's bigger run: its command, and the numbers around it.

The command is written here, once; the chapter prints it (at build time), the
slow test in tests/test_12_efficiency.py runs it, and the numbers computed at
build time read its settings from it.
"""

import json
import math
import os
import random
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "docs" / "assets" / "big-eval.json"
DEFAULT_MODEL = ROOT / "docs" / "assets" / "default-model.json"
COMMAND = ["--engine", "numpy", "--n-layer", "4", "--n-embd", "64", "--steps", "30000", "--lr", "0.003",
           "--samples", "200", "--eval-json", "docs/assets/big-eval.json"]
# The arithmetic the committed result was made with: OpenBLAS's and NumPy's AVX2 kernels. On a
# processor with AVX-512 both would pick others, whose last bits differ; 30,000 steps grow that
# into another model. On an x86 processor with AVX2 but no AVX-512, they are what it picks anyway.
KERNELS = {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}


def command():
    """The words of the bigger run's command, after 'python -m microgpt'."""
    return list(COMMAND)


def shown():
    """The command as the chapter shows it: two lines, the second continuing the first."""
    cut = COMMAND.index("--samples")
    return f"python -m microgpt {shlex.join(COMMAND[:cut])} \\\n    {shlex.join(COMMAND[cut:])}"


def kernels():
    """The two environment variables of KERNELS, as a shell sets them."""
    return " ".join(f"{name}={shlex.quote(value)}" for name, value in KERNELS.items())


def args():
    from microgpt.options import parse_args
    return parse_args(command())


def steps():
    return args().steps


def params(default=False):
    """How many parameters the bigger model (or the default one) has, on names.txt."""
    from microgpt.model import Config, init_state_dict, parameters
    a = args()
    config = Config() if default else Config(a.n_embd, a.n_head, a.n_layer, a.block_size)
    return len(parameters(init_state_dict(config, 27, random.Random(0))))


def default_model_loss():
    """The committed default model's held-out loss on the bigger run's held-out names."""
    from microgpt import checkpoint, evaluate, fast
    cfg, tokenizer, state_dict, saved = checkpoint.load(str(DEFAULT_MODEL))
    docs = checkpoint.run_docs(saved["run"])
    held_out = evaluate.split(docs, steps())[1]
    if len(held_out) != json.loads(RESULT.read_text())["held_out"]:
        raise ValueError("the default model's run and the bigger run hold out different names")
    weights = fast.model(state_dict)
    nll = sum(evaluate.model_nll(weights, cfg, tokenizer, doc, fast) for doc in held_out)
    return nll / sum(evaluate.framed(tokenizer, cfg, doc)[1] for doc in held_out)


# Where the model computes each function (chapter 12, "The same numbers"): exp of a logit minus
# the largest, log of a probability, x ** -0.5 of a mean square plus 1e-5.
RANGES = {"exp": (-20.0, 0.0), "log": (0.0, 1.0), "x ** -0.5": (1e-5, 4.0)}


def last_bits(n=20_000, seed=0):
    """For exp, log and x ** -0.5: of n random arguments in RANGES, how many NumPy's array
    function gives another float for than math's, the scalar engine's (they differ in the last bit)."""
    import numpy as np
    arrays = {"exp": np.exp, "log": np.log, "x ** -0.5": lambda a: a ** -0.5}
    scalars = {"exp": math.exp, "log": math.log, "x ** -0.5": lambda x: x ** -0.5}
    rng, counts = random.Random(seed), {}
    for name, (lo, hi) in RANGES.items():
        xs = [rng.uniform(lo, hi) for _ in range(n)]
        counts[name] = sum(a != scalars[name](x) for a, x in zip(arrays[name](np.array(xs)).tolist(), xs))
    return counts


def last_bits_with_kernels(n=20_000, seed=0):
    """last_bits, in a fresh Python that asks NumPy for the AVX2 kernels of KERNELS."""
    env = {**os.environ, **KERNELS,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))}
    code = f"import json, bigrun; print(json.dumps(bigrun.last_bits({n}, {seed})))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)
