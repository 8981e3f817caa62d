"""Chapter 15: the tool. python -m microgpt (and python -m microgpt.ladder), run as a reader
runs them: in this process through main, or as a subprocess; with chapter 10's --eval and
chapter 12's --engine numpy, which only the tool's options reach."""

import json
import math
import os
import random
import re
import select
import signal
import subprocess
import sys
import time
import contextlib
import io
from pathlib import Path

import pytest

import bigrun  # tools/bigrun.py: chapter 12's bigger-run command

from microgpt import checkpoint, ladder
from microgpt.options import DEFAULTS
from microgpt.model import Config, parameters
from microgpt.evaluate import table
from microgpt.run import run, scalar

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--n-embd", "4", "--n-head", "2", "--block-size", "6", "--steps", "3", "--samples", "2"]
FLAGS = ("--data", "--seed", "--steps", "--n-embd", "--n-head", "--n-layer", "--block-size",
         "--lr", "--temperature", "--samples", "--log", "--save", "--load", "--prompt", "--quiet",
         "--eval", "--eval-json", "--engine")




@pytest.fixture
def names(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("anna\nbob\ncarla\ndave\nmaria\nmark\n")
    return str(path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, main):
    """A tiny model trained and saved once: (checkpoint path, run's stdout)."""
    folder = tmp_path_factory.mktemp("trained")
    path = folder / "model.json"
    r = main(*TINY, "--steps", "5", "--save", path)
    assert r.returncode == 0, r.stderr
    return path, r.stdout


def reference_path(data, config, steps, stop_after=None):
    """Chapter 9's run, in this process: the model after stop_after (default: all) of steps
    training steps, and the losses; the learning-rate schedule counts all steps."""
    losses = []
    for what, value in run(str(data), 42, steps, config=config, samples=0):
        if what == "num params":
            model = value
        if what == "step":
            losses.append(value[1])
            if value[0] == stop_after:
                break
    return model, losses


# --- the reference output -------------------------------------------------------------

def test_output_has_the_reference_format(names, main):
    r = main("--data", names, *TINY)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    vocab = len(set("annabobcarladavemariamark")) + 1
    assert lines[:3] == ["num docs: 6", f"vocab size: {vocab}",
                         f"num params: {vocab * 4 * 2 + 6 * 4 + 12 * 4 * 4}"]
    for step, line in enumerate(lines[3:6], start=1):
        assert re.fullmatch(rf"step {step:4d} / {3:4d} \| loss \d+\.\d{{4}}", line), line
    assert lines[6] == "--- inference (new, hallucinated names) ---"
    assert [re.fullmatch(r"sample +(\d+): [a-z]*", line).group(1) for line in lines[7:]] == ["1", "2"]
    assert r.stderr == ""


def test_log_holds_every_loss_at_full_precision(names, tmp_path, main):
    log = tmp_path / "losses.jsonl"
    r = main("--data", names, *TINY, "--log", log)
    assert r.returncode == 0, r.stderr
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["step"] for e in entries] == [1, 2, 3]
    shown = [line.rsplit(" ", 1)[1] for line in r.stdout.splitlines() if line.startswith("step")]
    assert [f"{e['loss']:.4f}" for e in entries] == shown
    _, losses = reference_path(names, Config(4, 2, 1, 6), 3)
    assert losses == [e["loss"] for e in entries]


def test_lr_reaches_adam(names, main):
    default, other = main("--data", names, *TINY), main("--data", names, *TINY, "--lr", "0.05")
    first = lambda r: [l for l in r.stdout.splitlines() if l.startswith("step")]
    assert first(default)[0] == first(other)[0]       # step 1's loss is computed before any update
    assert first(default)[1:] != first(other)[1:]


def test_same_seed_same_output_other_seed_other_output(names, main):
    a, b, c = (main("--data", names, *TINY, "--seed", s) for s in ("1", "1", "2"))
    assert a.stdout == b.stdout
    assert a.stdout != c.stdout


def test_zero_steps_samples_from_the_untrained_model(names, main):
    r = main("--data", names, *TINY, "--steps", "0", "--samples", "3")
    assert r.returncode == 0, r.stderr
    assert "step" not in r.stdout
    assert r.stdout.count("sample ") == 3


def test_quiet_prints_only_the_samples(names, main):
    loud, quiet = main("--data", names, *TINY), main("--data", names, *TINY, "--quiet")
    assert quiet.returncode == 0
    assert quiet.stdout.splitlines() == [l.split(": ", 1)[1] for l in loud.stdout.splitlines()
                                          if l.startswith("sample")]


def test_prompt_starts_every_sample(names, main):
    r = main("--data", names, *TINY, "--samples", "6", "--prompt", "ma", "--quiet")
    assert r.returncode == 0, r.stderr
    samples = r.stdout.splitlines()
    assert len(samples) == 6
    assert all(s.startswith("ma") and len(s) <= 6 for s in samples)


def test_help_explains_every_flag_in_one_line_with_an_example(main):
    r = main("--help")
    assert r.returncode == 0
    options = r.stdout.split("options:")[1].split("examples:")[0].splitlines()
    for flag in FLAGS:
        lines = [l for l in options if l.strip().startswith(flag + " ") or l.strip() == flag]
        assert len(lines) == 1 and len(lines[0].split(None, 2)) > 2, f"{flag} has no one-line help"
        key = flag[2:].replace("-", "_")
        if key in DEFAULTS:
            assert lines[0].endswith(f"(default: {DEFAULTS[key]})"), lines[0]
    assert all(not l.startswith(" " * 20) for l in options), "a help text wraps"
    assert "examples:" in r.stdout and "python -m microgpt --load m.json" in r.stdout


def test_defaults_are_the_reference_settings():
    import inspect
    ref = json.loads((ROOT / "tests" / "data" / "run-default.json").read_text(encoding="utf-8"))["config"]
    named = {"lr": "learning_rate", "samples": "num_samples"}        # the reference's names for two
    assert set(DEFAULTS) - {"data", "engine"} <= {k for k in DEFAULTS if named.get(k, k) in ref}
    assert all(DEFAULTS[k] == ref[named.get(k, k)] for k in DEFAULTS if k not in ("data", "engine"))
    assert DEFAULTS["engine"] == "scalar"                            # chapter 3's Value, as microgpt.py
    assert DEFAULTS["data"] == "names.txt"                           # the book's own file (chapter 1)
    from microgpt.train import train
    assert inspect.signature(train).parameters["lr"].default == DEFAULTS["lr"]
    settings = ("data", "seed", "steps", "lr", "temperature", "samples")     # run()'s own defaults
    assert {k: inspect.signature(run).parameters[k].default for k in settings} == {k: DEFAULTS[k] for k in settings}


def test_console_script_runs():
    script = Path(sys.executable).parent / "microgpt"
    if not script.exists():
        pytest.skip("the package is not installed in this environment (pip install -e .)")
    r = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("usage: microgpt")


def test_console_script_is_declared():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["microgpt"] == "microgpt.__main__:main"


# --- checkpoints ----------------------------------------------------------------------

def test_round_trip_keeps_every_weight_bit_for_bit(tmp_path, main):
    """Train in-process, save through the CLI's own code path, load, compare."""
    path = tmp_path / "model.json"
    r = main(*TINY, "--save", path)
    assert r.returncode == 0, r.stderr
    config = Config(4, 2, 1, 6)
    sd, _ = reference_path(ROOT / "names.txt", config, 3)
    config2, tok2, sd2, saved = checkpoint.load(str(path))
    assert (config2, tok2.vocab_size, saved["step"]) == (config, 27, 3)
    assert list(sd2) == list(sd)
    assert [p.data for p in parameters(sd2)] == [p.data for p in parameters(sd)]
    assert saved["run"]["seed"] == 42 and saved["run"]["steps"] == 3
    assert len(saved["run"]["data_sha256"]) == 64


def test_load_twice_with_the_same_seed_prints_the_same_samples(trained, main):
    path, _ = trained
    a, b = main("--load", path, "--seed", 7), main("--load", path, "--seed", 7)
    c = main("--load", path, "--seed", 8)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    assert a.stdout != c.stdout
    assert a.stdout.count("sample ") == 20


def test_loaded_model_is_the_trained_model(trained, tmp_path, main):
    """Sampling from the loaded model continues exactly as sampling right after training."""
    path, _ = trained
    config, tok, sd, _ = checkpoint.load(str(path))
    from microgpt.sample import sample
    rng = random.Random(5)
    expected = [sample(sd, config, tok, rng, 0.5) for _ in range(20)]
    r = main("--load", path, "--seed", 5, "--quiet")
    assert r.stdout.splitlines() == expected


def test_save_is_atomic_an_unwritable_checkpoint_keeps_the_old_file(trained, tmp_path):
    path, _ = trained
    target = tmp_path / "keep.json"
    target.write_bytes(path.read_bytes())
    before = target.read_bytes()
    config, tok, sd, saved = checkpoint.load(str(target))
    sd["wte"][0][0].data = float("nan")
    with pytest.raises(ValueError):
        checkpoint.save(str(target), checkpoint.to_dict(config, tok, scalar.export(sd), 1, {}))
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.json"]     # no temporary file left behind


# --- Ctrl-C -----------------------------------------------------------------------------

def test_sigint_stops_between_steps_saves_and_exits_130(tmp_path, main, microgpt):
    path, log = tmp_path / "model.json", tmp_path / "log.jsonl"
    argv, env = microgpt.command("--steps", "1000", "--save", path, "--log", log)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (log.exists() and log.read_text().count("\n") >= 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    reached = int(re.search(r"stopped at step (\d+) of 1000; the model is saved in", err).group(1))
    assert 2 <= reached < 1000
    assert f"step {reached:4d} / 1000" in out and f"step {reached + 1:4d}" not in out
    config, tok, sd, saved = checkpoint.load(str(path))
    assert saved["step"] == reached
    # The saved weights are those of a model trained exactly `reached` steps.
    sd2, _ = reference_path(ROOT / "names.txt", Config(), 1000, stop_after=reached)
    assert [p.data for p in parameters(sd)] == [p.data for p in parameters(sd2)]
    r = main("--load", path, "--samples", "3")
    assert r.returncode == 0 and r.stdout.count("sample ") == 3


# --- progress on a terminal ----------------------------------------------------------------

def test_progress_on_a_terminal_is_one_live_line(names, microgpt):
    argv, env = microgpt.command("--data", names, *TINY[:-4], "--steps", "4", "--samples", "1")
    fd, terminal = os.openpty()  # not pty.fork(): forking a process that runs threads may deadlock
    child = subprocess.Popen(argv, stdin=terminal, stdout=terminal, stderr=terminal, cwd=ROOT, env=env)
    os.close(terminal)
    chunks = []
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], 60)
            data = os.read(fd, 4096) if ready else b""
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    child.wait()
    os.close(fd)
    screen = b"".join(chunks).decode()
    assert "\rstep    4 /    4 | loss" in screen and "steps/s" in screen and "left" in screen
    assert "step    1 /    4 | loss" in screen
    assert re.search(r"\rtrained 4 steps in \d+s \(\d+\.\d steps/s\), last loss \d\.\d{4}", screen)
    lines = screen.replace("\r\n", "\n").split("\n")
    assert not any(l.startswith("step") for l in lines)       # no plain per-step lines


# --- bad input: one line, exit 2, no traceback, fast -------------------------------------------

def bad(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def checkpoint_variant(trained, tmp_path, change):
    obj = json.loads(trained[0].read_text())
    change(obj)
    return bad(tmp_path, "variant.json", json.dumps(obj))


def assert_refused(r, message, started):
    assert time.monotonic() - started < 2, "took too long to refuse"
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("microgpt: error: "), r.stderr
    assert message in r.stderr, r.stderr


@pytest.mark.parametrize("args, message", [
    (["--n-embd", "10", "--n-head", "4"], "--n-embd (10) must be divisible by --n-head (4)"),
    (["--n-embd", "100000"], "would have 120,007,000,000 parameters; this program makes at most 5,000,000"),
    (["--block-size", "1000000000"], "would have 16,000,003,936 parameters"),
    (["--n-layer", "0"], "--n-layer: must be above 0, not 0"),
    (["--n-embd", "-8"], "--n-embd: must be above 0, not -8"),
    (["--block-size", "-3"], "--block-size: must be above 0, not -3"),
    (["--steps", "-1"], "--steps: must be 0 or more, not -1"),
    (["--temperature", "0"], "--temperature: must be a number above 0, not 0"),
    (["--temperature", "-1"], "--temperature: must be a number above 0, not -1"),
    (["--temperature", "nan"], "--temperature: must be a number above 0, not nan"),
    (["--lr", "0"], "--lr: must be a number above 0, not 0"),
    (["--steps", "ten"], "--steps: invalid int value: 'ten'"),
    (["--engine", "gpu"], "there is no engine 'gpu'; choose scalar or numpy"),
    (["--samples", "-2"], "--samples: must be 0 or more, not -2"),
    (["--data", "no/such/file.txt"], "no/such/file.txt: no such file"),
    (["--data", "docs"], "docs: is a directory, not a text file"),
    (["--log", "no/such/dir/log.jsonl"], "--log no/such/dir/log.jsonl: there is no folder no/such/dir"),
    (["--save", "no/such/dir/model.json"], "no/such/dir/model.json: there is no folder no/such/dir"),
    (["--save", "names.txt/model.json"], "names.txt/model.json: there is no folder names.txt"),
    (["--save", "docs"], "docs: is a directory"),
    (["--save", "/proc/model.json"], "/proc/model.json: cannot write in /proc"),
    (["--prompt", "Ma"], "--prompt 'Ma': character 'M' is not in the vocabulary"),
    (["--prompt", "abcdefghijklmnop"], "--prompt is 16 characters; it must be shorter than the block size (16)"),
    (["--load", "no/such/model.json"], "no/such/model.json: cannot be read"),
    (["--load", "docs"], "docs: cannot be read"),
])
def test_bad_flags(args, message, main):
    started = time.monotonic()              # the default run is 1000 steps: refused before any
    assert_refused(main(*args), message, started)


@pytest.mark.parametrize("name, content, message", [
    ("latin1.txt", "zoë\n".encode("latin-1"), "not UTF-8 text"),
    ("empty.txt", b"", "holds no documents"),
    ("blank.txt", b"\n \n\t\n", "holds no documents"),
])
def test_bad_data_files(tmp_path, name, content, message, main):
    path = bad(tmp_path, name, content)
    started = time.monotonic()
    assert_refused(main("--data", path, "--steps", "1000"), message, started)


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n", "not a checkpoint (not UTF-8 text)"),
    (b"{not json", "not a checkpoint (not JSON"),
    (b"[1, 2, 3]", 'not a microgpt checkpoint (no "format": "microgpt-checkpoint")'),
    (b'{"format": "something-else"}', "not a microgpt checkpoint"),
    (b'{"format": "microgpt-checkpoint", "version": 99}', "checkpoint version 99; this microgpt reads 1"),
    (b'{"format": "microgpt-checkpoint", "version": true}', "checkpoint version True; this microgpt reads 1"),
    (b'{"format": "microgpt-checkpoint", "version": 1.0}', "checkpoint version 1.0; this microgpt reads 1"),
    (b"[" * 100000, "not a checkpoint (nested too deeply)"),
])
def test_load_refuses_files_that_are_not_checkpoints(tmp_path, content, message, main):
    path = bad(tmp_path, "model.json", content)
    started = time.monotonic()
    assert_refused(main("--load", path), message, started)


def _del(key):
    return lambda obj: obj.pop(key)


def _set(path, value):
    def change(obj):
        target = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


@pytest.mark.parametrize("change, message", [
    (_del("state_dict"), '"state_dict" is missing or is not a dict'),
    (_del("config"), '"config" is missing or is not a dict'),
    (_del("uchars"), '"uchars" is missing or is not a str'),
    (_set(["step"], "ten"), '"step" is missing or is not a int'),
    (_set(["config", "n_head"], 3), "bad config: n_embd (4) must be divisible by n_head (3)"),
    (_set(["config", "colour"], 3), "bad config:"),
    (_set(["uchars"], "ba"), '"uchars" must be distinct characters in sorted order'),
    (_set(["uchars"], "\x1babcdefghijklmnopqrstuvwxyz"), '"uchars" holds a character that cannot be printed'),
    (_set(["step"], -5), '"step" must be 0 or more, not -5'),
    (_set(["config", "n_embd"], 100000), "bad config: a model of these sizes would have"),
    (lambda obj: obj["state_dict"].pop("wpe"), "wrong matrices (missing ['wpe'], unexpected [])"),
    (lambda obj: obj["state_dict"]["wte"].pop(), "wte must be a"),
    (lambda obj: obj["state_dict"]["lm_head"][0].append(0.5), "lm_head must be a"),
    (_set(["state_dict", "wpe", 0, 0], "0.1"), "wpe holds '0.1', which is not a finite number"),
    (_set(["state_dict", "wpe", 0, 0], True), "wpe holds True, which is not a finite number"),
    (_set(["state_dict", "wpe", 0, 0], None), "wpe holds None"),
])
def test_load_refuses_checkpoints_with_wrong_contents(trained, tmp_path, change, message, main):
    path = checkpoint_variant(trained, tmp_path, change)
    started = time.monotonic()
    assert_refused(main("--load", path), message, started)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_load_refuses_non_finite_numbers(trained, tmp_path, literal, main):
    text = trained[0].read_text()
    first = re.search(r'"wte": \[\[(-?[0-9.e-]+)', text).group(1)
    path = bad(tmp_path, "model.json", text.replace(first, literal, 1))
    started = time.monotonic()
    assert_refused(main("--load", path), "not a finite number", started)


@pytest.mark.parametrize("args, message", [
    (["--steps", "10"], "--load skips training, so --steps cannot be used with it"),
    (["--data", "names.txt", "--lr", "0.1"], "so --data, --lr cannot be used with it"),
    (["--save", "x.json"], "so --save cannot be used with it"),
    (["--log", "x.jsonl"], "so --log cannot be used with it"),
    (["--n-embd", "16"], "--n-embd 16 contradicts the checkpoint (4)"),
    (["--block-size", "8"], "--block-size 8 contradicts the checkpoint (6)"),
    (["--prompt", "abcdef"], "must be shorter than the block size (6)"),
])
def test_load_refuses_flags_that_contradict_the_checkpoint(trained, args, message, main):
    started = time.monotonic()
    assert_refused(main("--load", trained[0], *args), message, started)


def test_load_accepts_flags_that_agree_with_the_checkpoint(trained, main):
    r = main("--load", trained[0], "--n-embd", "4", "--n-head", "2", "--samples", "2")
    assert r.returncode == 0, r.stderr


def test_sigint_while_sampling_a_loaded_model_exits_130_in_one_line(microgpt):
    status, err = microgpt.signalled(signal.SIGINT, "sample  1:",
                                     "--load", "docs/assets/default-model.json", "--samples", "100000")
    assert status == 130
    assert err == "\nmicrogpt: stopped\n"


# --- what can go wrong: files, divergence, signals, output ------------------------------------

def one_line_refusal(r, message, status=2):
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert message in r.stderr, r.stderr


@pytest.mark.parametrize("make_args, message", [
    (lambda d, o: ["--data", d, "--log", d], "--log {d} is also the file of --data"),
    (lambda d, o: ["--data", d, "--save", d], "--save {d} is also the file of --data"),
    (lambda d, o: ["--data", d, "--save", o, "--log", o], "--log {o} is also the file of --save"),
])
def test_an_output_that_is_an_input_or_another_output_is_refused_and_nothing_changes(
        tmp_path, make_args, message, main):
    data, other = tmp_path / "d.txt", tmp_path / "o.json"
    data.write_text("anna\nbob\ncarla\n" * 200)
    other.write_text("keep me")
    before = data.read_bytes(), other.read_bytes()
    r = main(*make_args(str(data), str(other)), *TINY)
    one_line_refusal(r, message.format(d=data, o=other))
    assert (data.read_bytes(), other.read_bytes()) == before


def test_the_bundled_data_cannot_be_overwritten_by_the_log(tmp_path, main):
    before = (ROOT / "names.txt").read_bytes()
    one_line_refusal(main("--log", "names.txt", *TINY), "--log names.txt is also the file of --data")
    assert (ROOT / "names.txt").read_bytes() == before


@pytest.mark.parametrize("flag", ["--save", "--log", "--eval-json", "--load", "--data"])
def test_an_empty_path_is_refused(flag, main):
    one_line_refusal(main(flag, "", *TINY), f"argument {flag}: must be a path, not ''")


def test_a_device_is_not_a_place_to_save(main):
    one_line_refusal(main("--save", "/dev/null", *TINY), "/dev/null: is not a regular file")
    one_line_refusal(main("--data", "/dev/zero", *TINY), "/dev/zero: is not a regular file")


def test_a_saved_file_gets_the_users_permissions_and_a_symlink_stays_a_link(tmp_path):
    target, link = tmp_path / "model.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    r = subprocess.run(["sh", "-c", f'umask 022 && exec "{sys.executable}" -m microgpt "$@"', "sh",
                        *TINY, "--save", str(link)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and json.loads(target.read_text())["format"] == "microgpt-checkpoint"
    assert target.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "model.json"]   # no temporary file


def test_training_that_diverges_stops_at_that_step_and_saves_nothing(tmp_path, main):
    model, log = tmp_path / "m.json", tmp_path / "log.jsonl"
    r = main("--lr", "10", "--steps", "40", "--n-embd", "8", "--n-head", "2", "--save", model, "--log", log)
    one_line_refusal(r, "training diverged at step ", status=1)
    assert "try a lower learning rate" in r.stderr and not model.exists()
    step = int(re.search(r"diverged at step (\d+)", r.stderr).group(1))
    entries = [json.loads(line) for line in log.read_text().splitlines()]   # JSON only: no Infinity, no NaN
    assert [e["step"] for e in entries] == list(range(1, step)) and all(math.isfinite(e["loss"]) for e in entries)


def test_a_temperature_whose_inverse_overflows_is_refused(main):
    one_line_refusal(main("--temperature", "1e-310"), "--temperature: must be a number above 0")


def test_a_byte_order_mark_never_becomes_a_character(tmp_path, main):
    data = tmp_path / "bom.txt"
    data.write_bytes("anna\nbob\n".encode("utf-8-sig"))
    r = main("--data", data, *TINY)
    assert r.returncode == 0 and r.stdout.splitlines()[1] == f"vocab size: {len(set('annabob')) + 1}"


def test_sigterm_during_training_saves_and_keeps_the_log_whole(tmp_path, microgpt):
    model, log = tmp_path / "m.json", tmp_path / "log.jsonl"
    status, err = microgpt.signalled(signal.SIGTERM, "step    2 /", "--save", model, "--log", log)
    assert status == 143 and "Traceback" not in err
    reached = int(re.search(r"stopped at step (\d+) of 1000; the model is saved in", err).group(1))
    assert checkpoint.load(str(model))[3]["step"] == reached
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == list(range(1, reached + 1))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".microgpt-tmp")]


def test_sighup_while_sampling_exits_129_in_one_line(microgpt):
    status, err = microgpt.signalled(signal.SIGHUP, "sample  1:",
                                     "--load", "docs/assets/default-model.json", "--samples", "100000")
    assert (status, err) == (129, "\nmicrogpt: stopped\n")


def test_a_closed_pipe_stops_quietly_after_saving(tmp_path, microgpt):
    model = tmp_path / "m.json"
    argv, env = microgpt.command(*TINY, "--steps", "30", "--save", model)
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**env, "PYTHONUNBUFFERED": "1"})
    while not proc.stdout.readline().startswith(b"step"):   # like | head -4: gone once training runs
        pass
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""
    assert 1 <= checkpoint.load(str(model))[3]["step"] <= 30   # what training reached when the reader went


def test_a_closed_output_is_no_error(microgpt):
    argv, env = microgpt.command(*TINY)
    r = subprocess.run(argv, cwd=ROOT, env=env, capture_output=False,
                       stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
    assert r.returncode == 0 and r.stderr == ""


def test_a_save_that_fails_after_training_keeps_the_model_elsewhere(tmp_path, microgpt):
    folder = tmp_path / "gone"
    folder.mkdir()
    log = tmp_path / "log.jsonl"
    argv, env = microgpt.command("--steps", "8", "--samples", "1", "--save", folder / "m.json", "--log", log)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while not (log.exists() and log.read_text()):
        time.sleep(0.02)
    folder.rmdir()                                  # the folder goes away while the run trains
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in err and err.count("\n") == 1, err
    rescue = re.search(r"the model is saved in (\S+)", err).group(1)
    try:
        assert checkpoint.load(rescue)[3]["step"] == 8 and "sample  1:" in out
    finally:
        os.unlink(rescue)


@pytest.mark.parametrize("path, message", [
    ("/dev/zero", "/dev/zero: cannot be read (not a regular file)"),
    ("FIFO", "cannot be read (not a regular file)"),
    ("LOOP", "cannot be read (Too many levels of symbolic links)"),
    ("names.txt/x.json", "names.txt/x.json: cannot be read (Not a directory)"),
    ("x" * 300 + ".json", "cannot be read (File name too long)"),
])
def test_load_refuses_what_is_no_file_at_once(tmp_path, path, message, main):
    if path == "FIFO":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    elif path == "LOOP":
        path = tmp_path / "loop"
        path.symlink_to(path)
    started = time.monotonic()
    assert_refused(main("--load", path), message, started)


def test_a_write_protected_file_is_not_replaced(tmp_path, main):
    target = tmp_path / "keep.json"
    target.write_text("keep me")
    target.chmod(0o444)
    one_line_refusal(main(*TINY, "--save", target), "is write-protected")
    assert target.read_text() == "keep me"


def test_a_name_too_long_to_save_is_refused_before_training(tmp_path, main):
    started = time.monotonic()
    one_line_refusal(main("--save", tmp_path / ("x" * 300 + ".json")), "cannot write in")
    assert time.monotonic() - started < 5                 # the default 1000 steps never began


def test_the_checkpoint_records_the_data_as_it_was_read(tmp_path, microgpt):
    data, model, log = tmp_path / "d.txt", tmp_path / "m.json", tmp_path / "log.jsonl"
    data.write_text("anna\nbob\ncarla\n" * 100)
    original = checkpoint.fingerprint(str(data))
    argv, env = microgpt.command("--data", data, "--steps", "20", "--samples", "0", "--save", model, "--log", log)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env)
    while not (log.exists() and log.read_text()):
        time.sleep(0.02)
    data.write_text("edited during training\n")
    assert proc.wait(timeout=120) == 0
    assert checkpoint.load(str(model))[3]["run"]["data_sha256"] == original


def test_a_log_that_fails_during_training_stops_it_and_the_model_is_saved(tmp_path, monkeypatch, capsys):
    """The disk fills up during the run: the log's third write fails (in process, with a fake file)."""
    import contextlib
    import errno

    from microgpt import progress
    from microgpt.__main__ import main

    class FullDisk:
        def __init__(self):
            self.lines = []

        def write(self, data):
            if len(self.lines) == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.lines.append(data)

    disk = FullDisk()
    monkeypatch.setattr(progress, "log", lambda path: contextlib.nullcontext(disk))
    model = tmp_path / "m.json"
    assert main([*TINY, "--steps", "5", "--save", str(model), "--log", str(tmp_path / "log")]) == 1
    err = capsys.readouterr().err
    assert err == f"microgpt: error: the loss log: No space left on device; stopped at step 3 of 5; the model is saved in {model}\n"
    assert checkpoint.load(str(model))[3]["step"] == 3 and len(disk.lines) == 2


def test_a_second_signal_stops_at_once_and_says_nothing_was_saved(tmp_path, capsys, monkeypatch):
    """In process: the run's second step sends itself two Ctrl-C, the second before the step is shown."""
    import microgpt.__main__ as program

    def interrupted_run(*args, **kwargs):
        for what, value in run(*args, **kwargs):
            if what == "step" and value[0] == 2:
                os.kill(os.getpid(), signal.SIGINT)       # noted: stop after this step ...
                os.kill(os.getpid(), signal.SIGINT)       # ... but a second one stops at once
            yield what, value

    monkeypatch.setattr(program, "run", interrupted_run)
    model = tmp_path / "m.json"
    try:
        assert program.main([*TINY, "--steps", "5", "--save", str(model)]) == 130
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert capsys.readouterr().err == "\nmicrogpt: stopped at once, in the middle of a step: nothing was saved\n"
    assert not model.exists()


def test_an_output_on_a_full_device_is_one_line(microgpt):
    argv, env = microgpt.command(*TINY)
    with open("/dev/full", "w") as full:
        r = subprocess.run(argv, cwd=ROOT, env=env, stdout=full,
                           stderr=subprocess.PIPE, text=True)
    one_line_refusal(r, "No space left on device", status=1)


def test_a_target_that_refuses_the_rename_keeps_the_model_elsewhere(tmp_path, monkeypatch, capsys):
    """An immutable file (chattr +i) refuses os.replace with EPERM after training: in process."""
    import errno

    import microgpt.__main__ as program
    from microgpt import guard

    target, real_replace = tmp_path / "m.json", os.replace

    def immutable(src, dst):
        if os.path.realpath(dst) == os.path.realpath(target):
            raise PermissionError(errno.EPERM, "Operation not permitted", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(guard.os, "replace", immutable)
    assert program.main([*TINY, "--save", str(target)]) == 1
    err = capsys.readouterr().err
    rescue = re.search(r"--save \S+: Operation not permitted; the model is saved in (\S+)$", err.strip()).group(1)
    try:
        assert checkpoint.load(rescue)[3]["step"] == 3 and not target.exists()
    finally:
        os.unlink(rescue)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".microgpt-tmp")]


def test_a_signal_early_in_a_run_while_it_reads_a_big_data_file_is_one_line(tmp_path, microgpt):
    data = tmp_path / "big.txt"
    data.write_text("anna\nbob\n" * 3_000_000)                # 27 MB: reading and shuffling take a while
    argv, env = microgpt.command("--data", data)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not catches(proc.pid, signal.SIGTERM) and time.monotonic() < deadline:
        time.sleep(0.01)                                   # until main() has installed its handlers
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 143 and "Traceback" not in err and err.strip().count("\n") == 0, err


def catches(pid, signum):
    """Whether the process pid has a handler for signum now (Linux: SigCgt in /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        mask = next(line.split()[1] for line in f if line.startswith("SigCgt:"))
    return int(mask, 16) >> (signum - 1) & 1


# --- --eval (chapter 10's evaluation, on the command line) ------------------------------------

EVAL_TINY = ["--n-embd", "4", "--n-head", "2", "--block-size", "6"]
ASSETS = ROOT / "docs" / "assets"


@pytest.fixture
def short_names(tmp_path):
    """A data file of 530 two-letter names (so --eval has a held-out set, and is quick)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [a + b for a in letters for b in letters][:530]
    path = tmp_path / "short.txt"
    path.write_text("".join(n + "\n" for n in names))
    return path


# --- --eval -------------------------------------------------------------------

def test_eval_appends_a_table_and_changes_nothing_above_it(short_names, tmp_path, main):
    plain = main("--data", short_names, *EVAL_TINY, "--steps", "10", "--samples", "4")
    out = tmp_path / "eval.json"
    evaluated = main("--data", short_names, *EVAL_TINY, "--steps", "10", "--samples", "4", "--eval-json", out)
    assert plain.returncode == 0 and evaluated.returncode == 0, evaluated.stderr
    assert evaluated.stdout.startswith(plain.stdout)
    extra = evaluated.stdout[len(plain.stdout):].splitlines()
    result = json.loads(out.read_text())
    assert extra == table(result).splitlines()
    assert extra[0].startswith(f"--- evaluation: {result['held_out']} held-out names")
    assert [line.split()[0] for line in extra[2:]] == ["uniform", "bigram", "microgpt"]
    samples = [line.split(": ")[1] for line in plain.stdout.splitlines() if line.startswith("sample")]
    assert result["models"]["microgpt"]["names"] == samples


def test_eval_of_a_loaded_checkpoint_is_deterministic(short_names, tmp_path, main):
    model = tmp_path / "model.json"
    assert main("--data", short_names, *EVAL_TINY, "--steps", "10", "--samples", "0", "--save", model).returncode == 0
    runs = [main("--load", model, "--samples", "3", "--quiet", "--eval-json", tmp_path / f"{i}.json")
            for i in (1, 2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    assert "--- evaluation: " in runs[0].stdout           # the table comes even with --quiet
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()
    assert json.loads((tmp_path / "1.json").read_text())["steps"] == 10


def refused(r, message):
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("microgpt: error: ") and message in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "step " not in r.stdout and "sample" not in r.stdout     # refused before any work


def test_eval_refuses_what_cannot_be_evaluated_before_any_work(short_names, tmp_path, main):
    refused(main("--data", short_names, "--steps", "31", "--eval"),
            "--eval: it holds out the last 500 of the 530 names, so the run must have at most 30 steps, not 31")
    refused(main("--steps", "1", "--prompt", "ma", "--eval"), "--prompt cannot be used with it")
    refused(main("--steps", "1", "--eval-json", "no/such/folder/eval.json"), "there is no folder")
    refused(main("--data", ROOT / "docs" / "index.md", "--steps", "1", "--eval"), "has only")


def test_eval_with_load_refuses_a_changed_or_missing_data_file(short_names, tmp_path, main):
    model = tmp_path / "model.json"
    assert main("--data", short_names, *EVAL_TINY, "--steps", "3", "--samples", "0", "--save", model).returncode == 0
    assert main("--load", model, "--samples", "1").returncode == 0      # without --eval, no check
    short_names.write_text(short_names.read_text() + "zz\n")
    refused(main("--load", model, "--eval"), "has changed since the run")
    short_names.unlink()
    refused(main("--load", model, "--eval"), "cannot be read")
    obj = json.loads(model.read_text())
    obj["run"] = {}
    model.write_text(json.dumps(obj))
    refused(main("--load", model, "--eval"), "the checkpoint records no data file and seed")


# --- --eval and the program's other guards (chapter 9's checks, for chapter 10's files) ---

@pytest.mark.parametrize("make_args, message", [
    (lambda d, o: ["--data", d, "--eval-json", d], "--eval-json {d} is also the file of --data"),
    (lambda d, o: ["--data", d, "--save", o, "--eval-json", o], "--save {o} is also the file of --eval-json"),
])
def test_an_eval_json_that_is_an_input_or_another_output_is_refused(tmp_path, make_args, message, main):
    data, other = tmp_path / "d.txt", tmp_path / "o.json"
    data.write_text("anna\nbob\ncarla\n" * 200)
    other.write_text("keep me")
    before = data.read_bytes(), other.read_bytes()
    refused(main(*make_args(str(data), str(other)), *EVAL_TINY, "--steps", "3"), message.format(d=data, o=other))
    assert (data.read_bytes(), other.read_bytes()) == before


def test_load_refuses_to_write_its_evaluation_over_the_checkpoint(tmp_path, main):
    model = tmp_path / "model.json"
    model.write_bytes((ASSETS / "default-model.json").read_bytes())
    refused(main("--load", model, "--eval-json", model), "is also the file of --load")
    assert model.read_bytes() == (ASSETS / "default-model.json").read_bytes()


def test_an_empty_held_out_set_is_refused_before_training(tmp_path, main):
    data = tmp_path / "same.txt"
    data.write_text("anna\n" * 600)                  # every held-out name is the trained one
    refused(main("--data", data, "--steps", "1", "--eval"), "none is left to hold out")


def test_sigint_while_evaluating_exits_130_in_one_line(microgpt):
    status, err = microgpt.signalled(signal.SIGINT, "sample  1:",
                                     "--load", "docs/assets/default-model.json", "--samples", "1", "--eval")
    assert (status, err) == (130, "\nmicrogpt: stopped\n")


# --- --engine numpy (chapter 12's engine, on the command line) ---


NUMPY_TINY = ["--n-embd", "8", "--n-head", "2", "--block-size", "8", "--steps", "10", "--samples", "5"]


def test_engine_numpy_prints_what_the_scalar_engine_prints(main):
    scalar, arrays = main(*NUMPY_TINY), main(*NUMPY_TINY, "--engine", "numpy")
    assert scalar.returncode == arrays.returncode == 0, arrays.stderr
    assert arrays.stdout == scalar.stdout
    assert "step   10 /   10" in arrays.stdout


def test_checkpoints_move_between_engines(tmp_path, main):
    saved = {}
    for engine in ("scalar", "numpy"):
        saved[engine] = tmp_path / f"{engine}.json"
        assert main(*NUMPY_TINY, "--engine", engine, "--save", saved[engine]).returncode == 0
    np = pytest.importorskip("numpy")
    a, b = (json.loads(saved[e].read_text())["state_dict"] for e in ("scalar", "numpy"))
    assert np.allclose(np.concatenate([np.ravel(m) for m in a.values()]),
                       np.concatenate([np.ravel(m) for m in b.values()]), rtol=1e-12, atol=1e-15)
    outputs = {(s, e): main("--load", saved[s], "--engine", e, "--samples", "8", "--quiet").stdout
               for s in saved for e in ("scalar", "numpy")}
    assert outputs[("scalar", "scalar")] == outputs[("scalar", "numpy")]
    assert outputs[("numpy", "scalar")] == outputs[("numpy", "numpy")]
    assert len(outputs[("numpy", "numpy")].splitlines()) == 8


def test_engine_numpy_evaluates(tmp_path, main):
    r = main(*NUMPY_TINY, "--engine", "numpy", "--eval-json", tmp_path / "eval.json")
    assert r.returncode == 0, r.stderr
    result = json.loads((tmp_path / "eval.json").read_text())
    assert set(result["models"]) == {"uniform", "bigram", "microgpt"}
    assert "microgpt" in r.stdout.splitlines()[-1]


def test_the_package_never_imports_numpy_unless_asked():
    code = ("import sys, microgpt, microgpt.__main__ as m, microgpt.evaluate, microgpt.bpe, "
            "microgpt.checkpoint; m.main(['--steps', '2', '--n-embd', '4', '--n-head', '1', '--samples', '1']); "
            "assert 'numpy' not in sys.modules, 'numpy was imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


def test_engine_numpy_without_numpy_is_one_clear_line():
    code = ("import sys; sys.modules['numpy'] = None; from microgpt.__main__ import main; "
            "sys.exit(main(['--engine', 'numpy']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("microgpt: error: the numpy engine needs NumPy")
    assert "microgpt-book[fast]" in r.stderr


def test_training_that_diverges_stops_at_that_step_with_the_numpy_engine_too(tmp_path, main):
    model, log = tmp_path / "m.json", tmp_path / "log.jsonl"
    r = main("--lr", "10", "--steps", "40", "--n-embd", "8", "--n-head", "2", "--engine", "numpy",
             "--save", model, "--log", log)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "training diverged at step " in r.stderr
    assert not model.exists()
    step = int(re.search(r"diverged at step (\d+)", r.stderr).group(1))
    entries = [json.loads(line) for line in log.read_text().splitlines()]   # JSON only: no Infinity, no NaN
    assert [e["step"] for e in entries] == list(range(1, step)) and all(math.isfinite(e["loss"]) for e in entries)


# --- the ladder's command line (chapter 13's climb) ---------------------------------------

def test_the_runner_prints_what_the_revision_prints_and_exits_0(main_ladder):
    result = main_ladder("0", "--steps", "20")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split("\n")[:-1] == reference(0, 20)["stdout"]


@pytest.mark.parametrize("argv, message", [
    (["7"], "argument rung: invalid choice: 7 (choose from 0, 1, 2, 3, 4, 5)"),
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


def reference(rung, steps):
    return json.loads((ROOT / "tests" / "data" / "ladder" / f"train{rung}-{steps}.json").read_text())


# --- chapter 12's bigger run: a command of the tool ------------------------------------------

@pytest.fixture(scope="module")
def big():
    return json.loads(bigrun.RESULT.read_text())


def test_bigger_run_is_bigger_and_evaluated_as_the_chapter_says(big):
    args = bigrun.args()
    assert args.engine == "numpy" and args.eval_json == "docs/assets/big-eval.json"
    assert (args.n_layer, args.n_embd) == (4, 64)                    # what the issue and the chapter promise
    assert big["steps"] == args.steps and big["samples"] == args.samples == len(big["models"]["microgpt"]["names"])
    assert bigrun.params() > 10 * bigrun.params(default=True)


def test_bigger_model_beats_the_default_model_and_the_bigram_table(big):
    """The chapter's verdict, on the same held-out names."""
    loss = {name: m["loss"] for name, m in big["models"].items()}
    assert loss["microgpt"] < bigrun.default_model_loss() < loss["uniform"]
    assert loss["microgpt"] < loss["bigram"]


# --- a usage error and a bug are told apart (issue 25, item 3) --------------------------------

def test_a_bug_is_never_reported_as_a_usage_error(monkeypatch, capsys):
    import microgpt.__main__ as program

    def broken_run(*args, **kwargs):   # a ValueError from inside the program, not from what was asked
        raise ValueError("a bug in the program")
        yield

    monkeypatch.setattr(program, "run", broken_run)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        with pytest.raises(ValueError, match="a bug in the program"):
            program.main(TINY)
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
    assert "error:" not in capsys.readouterr().err


def test_every_refusal_of_the_tool_is_a_usage_error(tmp_path):
    from microgpt import guard, options
    for refuse in (lambda: guard.check_data(str(tmp_path / "missing.txt")),
                   lambda: guard.check_output("", {}),
                   lambda: checkpoint.load(str(tmp_path / "missing.json")),
                   lambda: options.parse_args(["--steps", "many"]),
                   lambda: options.choose_engine(options.parse_args(["--engine", "nope"]))):
        with pytest.raises(guard.UsageError):
            refuse()


def test_the_signal_travels_in_the_programs_own_exception():
    from microgpt import guard
    stop = guard.Stopped(15)
    assert stop.signum == 15 and not isinstance(stop, KeyboardInterrupt)
    assert guard.failed(stop) == 128 + 15
