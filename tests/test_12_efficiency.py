"""Chapter 12: the array engine computes what the scalar engine computes."""

import inspect
import json
import os
import platform
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from microgpt import fast, model
from microgpt.autograd import Value
from microgpt.evaluate import model_nll
from microgpt.model import Config, empty_cache, gpt, init_state_dict, parameters
from microgpt.run import run
from microgpt.sample import sample
from microgpt.train import adam_update, doc_loss, train

import bench as bench_tool  # tools/bench.py: the benchmark, and its count of the arithmetic
import bigrun  # tools/bigrun.py: the chapter's bigger-run command

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [Config(), Config(n_embd=8, n_head=2, n_layer=2, block_size=8),
           Config(n_embd=12, n_head=3, n_layer=3, block_size=5)]


@pytest.fixture(scope="module")
def names(seeded):
    """The default run's shuffled documents and its tokenizer."""
    docs, tokenizer, _ = seeded()
    return docs, tokenizer




def grads_of(state_dict):
    return {name: np.array([[p.grad for p in row] for row in mat]) for name, mat in state_dict.items()}


# --- the same numbers, piece by piece ---------------------------------------------------

def test_arrays_and_values_convert_without_loss():
    state_dict = init_state_dict(Config(), 27, random.Random(1))
    weights = fast.to_arrays(state_dict)
    assert list(weights) == list(state_dict)
    back = fast.export(weights)
    assert [x for m in back.values() for row in m for x in row] == [p.data for p in parameters(state_dict)]
    assert all(type(x) is float for m in back.values() for row in m for x in row)
    assert fast.size(weights) == len(parameters(state_dict))
    assert all(a.shape == (len(m), len(m[0])) for a, m in zip(weights.values(), state_dict.values()))


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_logits_of_every_position_equal_the_scalar_engine(config, names):
    docs, tokenizer = names
    state_dict = init_state_dict(config, tokenizer.vocab_size, random.Random(5))
    weights = fast.to_arrays(state_dict)
    ids = ([tokenizer.BOS] + tokenizer.encode(docs[3]))[:config.block_size]
    logits, _ = fast.gpt(weights, config, ids)
    keys, values = empty_cache(config)
    for pos, token in enumerate(ids):
        scalar = [v.data for v in gpt(state_dict, config, token, pos, keys, values)]
        assert np.allclose(logits[pos], scalar, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_loss_and_every_gradient_equal_the_scalar_engine(config, names):
    """Per matrix, relative to its largest gradient (chapter 12 says why not per number)."""
    docs, tokenizer = names
    state_dict = init_state_dict(config, tokenizer.vocab_size, random.Random(11))
    weights = fast.to_arrays(state_dict)
    for doc in docs[:4] + ["annabella", "x"]:   # repeated letters; longer than block_size; one letter
        tokens = [tokenizer.BOS] + tokenizer.encode(doc) + [tokenizer.BOS]
        loss = doc_loss(state_dict, config, tokens)
        loss.backward()
        fast_loss, saved = fast.doc_loss(weights, config, tokens)
        grads = fast.backward(weights, config, *saved)
        assert abs(fast_loss - loss.data) <= 1e-12 * loss.data
        for name, scalar in grads_of(state_dict).items():
            assert np.abs(grads[name] - scalar).max() <= 1e-12 * np.abs(scalar).max(), (doc, name)
        for p in parameters(state_dict):
            p.grad = 0


def test_a_wrong_gradient_is_caught(names):
    """The check above can fail: break the backward pass of RMSNorm, and it does."""
    docs, tokenizer = names
    config = CONFIGS[1]
    state_dict = init_state_dict(config, tokenizer.vocab_size, random.Random(11))
    weights = fast.to_arrays(state_dict)
    tokens = [tokenizer.BOS] + tokenizer.encode(docs[0]) + [tokenizer.BOS]
    doc_loss(state_dict, config, tokens).backward()
    original = fast.rmsnorm_back
    try:
        fast.rmsnorm_back = lambda dy, y, scale: scale * dy          # forgets that scale depends on x
        grads = fast.backward(weights, config, *fast.doc_loss(weights, config, tokens)[1])
    finally:
        fast.rmsnorm_back = original
    scalar = grads_of(state_dict)
    assert np.abs(grads["wte"] - scalar["wte"]).max() > 1e-6 * np.abs(scalar["wte"]).max()


def test_adam_moves_every_weight_as_the_scalar_adam(names):
    config = CONFIGS[1]
    state_dict = init_state_dict(config, 27, random.Random(2))
    weights = fast.to_arrays(state_dict)
    params = parameters(state_dict)
    m, v = [0.0] * len(params), [0.0] * len(params)
    fm = {k: np.zeros_like(a) for k, a in weights.items()}
    fv = {k: np.zeros_like(a) for k, a in weights.items()}
    rng = random.Random(3)
    for step in range(5):
        for p in params:
            p.grad = rng.gauss(0, 1e-2)
        grads = grads_of(state_dict)
        adam_update(params, m, v, step, 5)
        fast.adam_update(weights, grads, fm, fv, step, 5)
        moved = np.concatenate([a.ravel() for a in weights.values()])
        assert np.allclose(moved, [p.data for p in params], rtol=1e-15, atol=0)


@pytest.fixture(scope="module")
def trained(names):
    """A small two-layer model after 5 steps: its samples are no longer uniform noise."""
    docs, tokenizer = names
    config = CONFIGS[1]
    state_dict = init_state_dict(config, tokenizer.vocab_size, random.Random(9))
    list(train(state_dict, config, tokenizer, docs, 5))
    return config, tokenizer, state_dict


@pytest.mark.parametrize("prompt", ["", "ma", "x"])
def test_samples_are_the_scalar_engines(prompt, trained):
    config, tokenizer, state_dict = trained
    weights = fast.to_arrays(state_dict)
    for temperature in (0.5, 1.0, 2.0):
        a, b = random.Random(4), random.Random(4)
        scalar = [sample(state_dict, config, tokenizer, a, temperature, prompt) for _ in range(4)]
        arrays = [fast.sample(weights, config, tokenizer, b, temperature, prompt) for _ in range(4)]
        assert scalar == arrays
        assert a.random() == b.random()                 # the same number of draws from the generator


def test_held_out_loss_is_the_scalar_engines(names):
    docs, tokenizer = names
    config = CONFIGS[0]
    state_dict = init_state_dict(config, tokenizer.vocab_size, random.Random(6))
    weights = fast.to_arrays(state_dict)
    for doc in docs[-10:]:
        scalar = model_nll(state_dict, config, tokenizer, doc)
        assert abs(model_nll(weights, config, tokenizer, doc, fast) - scalar) <= 1e-12 * scalar


def test_the_multiply_adds_shown_in_the_chapter_are_the_benchmarks():
    chapter = (ROOT / "docs" / "12-efficiency.md").read_text()
    shown = re.search(r'```python title="tools/bench.py"\n(.*?)```', chapter, re.S).group(1)
    assert shown in (ROOT / "tools" / "bench.py").read_text()


def test_the_scalar_lines_shown_beside_the_arrays_are_the_scalar_engines():
    """The chapter quotes chapters 5-8's code beside its own; every quoted line must be in
    the package as it is (a "..." line marks lines left out)."""
    text = (ROOT / "docs" / "12-efficiency.md").read_text(encoding="utf-8")
    quoted = re.findall(r'^```python title="scalar engine: (microgpt/\w+\.py) \(chapter \d+\)"\n(.*?)^```',
                        text, re.S | re.M)
    assert len(quoted) >= 7
    for module, code in quoted:
        source = (ROOT / module).read_text(encoding="utf-8").splitlines()
        for line in code.splitlines():
            assert line.strip() == "..." or line in source, f"{module}: {line!r}"


# --- the whole run ------------------------------------------------------------------------

@pytest.mark.parametrize("record", ["run-default.json", "run-small.json"])
def test_whole_run_gives_the_scalar_engines_losses_and_names(record):
    """The recorded runs are the scalar engine's (tests/test_reproduction.py checks them)."""
    ref = json.loads((ROOT / "tests" / "data" / record).read_text())
    c = ref["config"]
    config = Config(c["n_embd"], c["n_head"], c["n_layer"], c["block_size"])
    events = list(run(str(ROOT / "names.txt"), c["seed"], c["steps"], c["learning_rate"], c["temperature"],
                      c["num_samples"], config, engine=fast))
    losses = [value[1] for what, value in events if what == "step"]
    assert len(losses) == len(ref["losses"])
    assert max(abs(a - b) for a, b in zip(losses, ref["losses"])) <= 1e-9
    assert [value for what, value in events if what == "sample"] == ref["samples"]


# --- counting the arithmetic --------------------------------------------------------------

@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("n", [1, 4])
def test_multiply_adds_count_what_the_scalar_forward_pass_multiplies(config, n, monkeypatch):
    """Count every multiplication of two Values made inside linear and head (outside softmax)."""
    counted, inside = [0], [0]
    mul = Value.__mul__

    def counting_mul(self, other):
        counted[0] += inside[0] > 0 and isinstance(other, Value)
        return mul(self, other)

    def scope(f, delta):
        def wrapped(*args):
            inside[0] += delta
            try:
                return f(*args)
            finally:
                inside[0] -= delta
        return wrapped
    monkeypatch.setattr(Value, "__mul__", counting_mul)
    monkeypatch.setattr(model, "linear", scope(model.linear, 1))
    monkeypatch.setattr(model, "head", scope(model.head, 1))
    monkeypatch.setattr(model, "softmax", scope(model.softmax, -1000))
    state_dict = init_state_dict(config, 27, random.Random(0))
    keys, values = empty_cache(config)
    for pos in range(n):
        gpt(state_dict, config, pos % 27, pos, keys, values)
    assert counted[0] == bench_tool.multiply_adds(config, 27, n)


# --- the numbers the chapter shows --------------------------------------------------------

@pytest.fixture(scope="module")
def bench():
    return json.loads((ROOT / "docs" / "assets" / "bench.json").read_text())


def test_bench_file_describes_this_model(bench, names):
    docs, tokenizer = names
    config = Config()
    assert bench["params"] == len(parameters(init_state_dict(config, tokenizer.vocab_size, random.Random(0))))
    lengths = [min(config.block_size, len(tokenizer.encode(d)) + 1) for d in docs[:1000]]
    mean = sum(bench_tool.multiply_adds(config, tokenizer.vocab_size, n) for n in lengths) / len(lengths)
    assert bench["flops"]["forward_multiply_adds"] == pytest.approx(mean, rel=1e-12)
    assert bench["flops"]["positions"] == pytest.approx(sum(lengths) / len(lengths), rel=1e-12)
    assert bench["flops"]["step_flops"] == pytest.approx(6 * mean + 12 * bench["params"], rel=1e-12)


def test_the_words_for_the_speed_up_agree_with_the_measurement(bench):
    """tools/bench.py measured both engines on the default 1000-step run (a benchmark,
    never a timed test); chapter 12 prints its ratio at build time. The words the book
    uses elsewhere, "hundreds of times faster", must still describe that ratio: a
    re-run of the benchmark after the engines change fails here until the prose does."""
    runs = bench["runs"]
    assert runs["scalar"]["steps"] == runs["numpy"]["steps"] == 1000
    ratio = runs["scalar"]["wall"] / runs["numpy"]["wall"]
    said = [f"{path.name}:{n}" for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if "hundreds of times faster" in line]
    assert said, "no page says how much faster the array engine is"
    assert 200 <= ratio < 1000, f"measured {ratio:.0f} times faster, but {said} say hundreds"


def test_the_readmes_time_for_the_default_run_is_the_benchmarks(bench):
    """The quick start says how long the first command takes; the benchmark measured it."""
    said = re.search(r"python -m microgpt +# train on names.txt for 1000 steps \(~(\d+) min\)",
                     (ROOT / "README.md").read_text(encoding="utf-8"))
    assert said, "README's quick start no longer says how long the default run takes"
    assert int(said.group(1)) == round(bench["runs"]["scalar"]["wall"] / 60)


def test_both_engines_offer_the_same_functions_with_the_same_parameters():
    """run() and the command line call engine.train, .sample, .loss, .model, .size and .export
    without knowing which engine they have: a parameter added to one must be added to the other
    (docs/making.md, "Changing a function both engines share"). The first parameter is the
    model, which each engine calls by its own name (state_dict, weights)."""
    from microgpt.run import scalar

    def shape(function):
        return [(p.name, p.default) for p in list(inspect.signature(function).parameters.values())[1:]]

    for name in ("train", "sample", "loss", "model", "size", "export"):
        assert shape(getattr(scalar, name)) == shape(getattr(fast, name)), name


def test_with_the_avx2_loops_numpys_functions_give_pythons_floats():
    """"The same numbers" counts, at build time, where NumPy's exp, log and ** -0.5 give another
    float than Python's; with the AVX2 loops of bigrun.KERNELS (which the bigger run's
    reproduction relies on) it says they give none. A smaller count of the same measure here."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("the AVX2 loops are an x86 processor's")
    assert bigrun.last_bits_with_kernels(2000) == {name: 0 for name in bigrun.RANGES}
    assert all(0 <= k <= 2000 for k in bigrun.last_bits(2000).values())


# --- the bigger run ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def big():
    return json.loads(bigrun.RESULT.read_text())


def test_bigger_model_copies_more_than_the_default_model(big):
    small = json.loads((ROOT / "docs" / "assets" / "default-eval.json").read_text())["models"]["microgpt"]
    m = big["models"]["microgpt"]
    assert m["in_data"] / len(m["names"]) > small["in_data"] / len(small["names"])
    assert m["in_trained"] / len(m["names"]) > small["in_trained"] / len(small["names"])


@pytest.mark.slow
def test_bigger_run_makes_the_committed_result_again(big, tmp_path):
    """Runs the chapter's command (a minute or two), in a process of its own with the kernels
    the committed result was made with (bigrun.KERNELS: they must be set before NumPy is
    imported): it must make the same file, to the last bit."""
    words = bigrun.command()
    words[words.index("--eval-json") + 1] = str(tmp_path / "big-eval.json")
    r = subprocess.run([sys.executable, "-m", "microgpt", *words, "--quiet"], cwd=ROOT, capture_output=True,
                       text=True, env={**os.environ, **bigrun.KERNELS})
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "big-eval.json").read_text()) == big
