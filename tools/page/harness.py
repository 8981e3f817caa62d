"""The Python half of the page's runner: runs the book's blocks in the reader's browser.

The page's Web Worker (worker.js) loads Pyodide, writes the package as the site was built
into /book (microgpt/, names.txt, the committed default checkpoint), imports this file and
calls its functions. An example block runs the way pytest-markdown-docs runs it under
pytest: compiled as the chapter's own lines (so a line number is the chapter's), in a fresh
namespace of a module called "fence", from the root of the book (the examples open
"names.txt"). The verdict is pytest's: passed, or failed with the exception, the block's
line that raised it and what the block printed. The same file runs natively in the tests
(tests/test_page.py), which is how the book knows it gives pytest's verdicts.
"""

import ast
import builtins
import contextlib
import functools
import importlib
import io
import json
import os
import random
import re
import sys
import traceback
import types

ROOT = "/book"
PACKAGE = "microgpt"
# Every block's namespace, kept until the worker ends. Freeing a value frees what it holds,
# recursively, and WebAssembly's stack is far smaller than a native one: freeing chapter 3's
# chain of 100,000 additions overflows it and ends the Python. A worker that ends is freed
# by the browser all at once, with no Python involved.
kept = []


def setup(files, root=ROOT):
    """Write files ({relative path: text}) under root and work from there, as pytest does."""
    for path, text in files.items():
        write(os.path.join(root, path), text)
    os.chdir(root)
    if root not in sys.path:
        sys.path.insert(0, root)
    sys.dont_write_bytecode = True  # an edited module must never be read from a stale .pyc


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def replace_module(path, text, root=ROOT):
    """Put a changed module (microgpt/model.py) in place; the next import reads it."""
    write(os.path.join(root, path), text)
    forget_package()


def forget_package():
    """Drop microgpt and its modules from sys.modules, so the next block imports them afresh."""
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def apart(run):
    """run_block, kept apart from the next block (issue 26): the working folder, builtins and
    sys.modules are put back as they were (a module the block imported stays imported, but
    one it replaced or removed returns, and an entry that is not the module of its name
    goes), and an exception that is no Exception (KeyboardInterrupt, a BaseException of the
    block's own, SystemExit from the check) is a verdict, not the end of the worker."""
    @functools.wraps(run)
    def block(*args, **kwargs):
        space = vars(builtins)
        folder, names, modules = os.getcwd(), dict(space), dict(sys.modules)
        try:
            return run(*args, **kwargs)
        except BaseException as e:
            return not_yet(f"your code raised {type(e).__name__}: {e}".rstrip(": "))
        finally:
            os.chdir(folder)
            space.clear()
            space.update(names)
            for name in set(sys.modules) - set(modules):
                if getattr(getattr(sys.modules[name], "__spec__", None), "name", None) != name:
                    del sys.modules[name]
            sys.modules.update(modules)
    return block


@apart
def run_block(code, chapter, line, check=None):
    """Run one example block (its fence opens at chapter:line) as pytest-markdown-docs does:
    {"passed": bool, "output": what it printed, "error": "", "line": 0, "source": ""};
    when it fails, error is the exception as pytest's last line shows it, line the block's
    line (from 1) that raised it and source that line's text. With check, (path, name) of an
    exercise's check (tools/exercises.py), the block is an exercise: once it has run, the
    check is called with what it left, and "checked" says whether the check passed."""
    namespace = types.ModuleType("fence").__dict__
    kept.append(namespace)
    namespace["__block__"] = code  # its own text: a predict exercise's check reads the answer there
    printed = io.StringIO()
    verdict = {"passed": True, "output": "", "error": "", "line": 0, "source": "", "where": "", "checked": False}
    try:
        compiled = compile(explained(ast.parse("\n" * line + code, chapter)), chapter, "exec", dont_inherit=True)
        namespace[FAIL] = fail
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            exec(compiled, namespace)
    except (Exception, SystemExit) as e:  # what pytest reports as a failure; Stop ends the worker
        verdict.update(passed=False, **failure(e, code, chapter, line))
    if check and verdict["passed"]:
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                load_check(*check)(namespace)
            verdict["checked"] = True
        except AssertionError as e:  # the check's own words: what is wrong
            verdict.update(passed=False, error=str(e) or "the check failed", where=check[0])
        except Exception as e:
            verdict.update(passed=False, error=f"the check could not run: {type(e).__name__}: {e}", where=check[0])
    verdict["output"] = printed.getvalue()
    return verdict


def load_check(path, name):
    """The function name of the check module at path (tests/exercises/chapter_03.py); its
    folder goes on the path, for the helpers the checks share (tests/exercises/answers.py)."""
    folder = os.path.abspath(os.path.dirname(path))
    if folder not in sys.path:
        sys.path.append(folder)
    module = types.ModuleType(os.path.splitext(os.path.basename(path))[0])
    with open(path, encoding="utf-8") as f:
        exec(compile(f.read(), path, "exec"), module.__dict__)
    return getattr(module, name)


def failure(e, code, chapter, line):
    """Where and why a block failed: the exception's line as pytest prints it (E ...), the
    block's own line that raised it, and the innermost frame outside the block, if any."""
    frames = traceback.extract_tb(e.__traceback__)
    mine = [f for f in frames if f.filename == chapter and f.lineno > line]
    inner = frames[-1] if frames and frames[-1].filename != chapter else None
    at = mine[-1].lineno - line if mine else (e.lineno - line if isinstance(e, SyntaxError) and e.lineno else 0)
    if isinstance(e, SyntaxError):  # raised by compile, not by a frame: where is the file it is in
        inner = types.SimpleNamespace(filename=e.filename, lineno=e.lineno) if e.filename != chapter else None
    lines = code.splitlines()
    message = "".join(traceback.format_exception_only(type(e), e)).strip().splitlines()[-1]
    if isinstance(e, Explained):  # what the rewritten assert saw, as pytest prints it under E
        message, inner = str(e), None
    return {"error": message, "line": at, "source": lines[at - 1].strip() if 0 < at <= len(lines) else "",
            "where": f"{os.path.relpath(inner.filename)}:{inner.lineno}" if inner else ""}


# ---------------------------------------------------------------- natively, one process each
# python -m pytest --exercise N.M --answer FILE and tools/grade.py run an answer in a child
# process (python harness.py, the job on its standard input, the verdict on its standard
# output), so that nothing it does reaches the checker: a time limit (the page stops its
# worker instead), a memory limit (the child's address space), and an end of any kind
# (os._exit, a signal, SystemExit) is a verdict of "not yet". This keeps accidents apart; it
# is no sandbox against code written to fool the checker, which can read the checks anyway.
SECONDS, MEGABYTES = 30, 2048


def not_yet(why):
    return {"passed": False, "output": "", "error": why, "line": 0, "source": "", "where": "", "checked": False}


def run_alone(code, chapter, line=0, check=None, seconds=SECONDS, megabytes=MEGABYTES, cwd=None):
    """run_block's verdict for code, from a child process started in cwd (the book's root)."""
    import signal
    import subprocess
    job = json.dumps({"code": code, "chapter": chapter, "line": line, "check": check, "megabytes": megabytes})
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__)], cwd=cwd, text=True, start_new_session=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out = child.communicate(job, timeout=seconds)[0]
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)  # the child and anything it started
        child.communicate()
        return not_yet(f"your code ran for more than {seconds:g} s")
    try:
        return json.loads(out)
    except ValueError:
        how = f"signal {-child.returncode}" if child.returncode < 0 else f"exit status {child.returncode}"
        return not_yet(f"your code ended the process ({how}) before the check could say anything")


def check_of(number, root="."):
    """(path, name) of Exercise N.M's check (tools/exercises.py names them) from its number
    alone, so that no chapter is read; None when the book has no such check."""
    if not re.fullmatch(r"\d+\.\d+", number):
        return None
    chapter, m = map(int, number.split("."))
    path, name = f"tests/exercises/chapter_{chapter:02d}.py", f"check_{chapter}_{m}"
    try:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            return (path, name) if f"\ndef {name}(ns)" in f.read() else None
    except OSError:
        return None


def check_file(number, path, seconds=SECONDS, root="."):
    """The verdict on the file at path as the answer to Exercise number (run_alone)."""
    check = check_of(number, root)
    if check is None:
        return not_yet(f"the book has no Exercise {number}")
    try:
        with open(path, encoding="utf-8") as f:
            code = f.read()
    except (OSError, UnicodeDecodeError) as e:
        return not_yet(f"{path} cannot be read: {getattr(e, 'strerror', None) or e}")
    return run_alone(code, str(path), 0, check, seconds, cwd=root)


def said(verdict):
    """A verdict in one line: "passed", or "not yet: why (line N)"."""
    at = f" (line {verdict['line']})" if verdict["line"] else ""
    return "passed" if verdict["passed"] else f"not yet: {verdict['error']}{at}".replace("\n", " ")


def child():
    """The child's side: the verdict goes to the standard output it was given, and anything
    the block writes there by itself (os.write(1, ...)) to standard error instead."""
    import resource
    job = json.load(sys.stdin)
    verdicts = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.path.insert(0, os.getcwd())
    limit = job["megabytes"] << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    verdict = run_block(job["code"], job["chapter"], job["line"], job["check"])
    verdicts.write(json.dumps(verdict))
    verdicts.flush()
    os._exit(0)  # at once: a thread the block left running must not hold the child

# A failing assert shows the values it compared, as pytest shows them ("assert 2 == 3").
# pytest does it by rewriting each assert of a test file before compiling it; the page's
# Python has the standard library only, and pytest's rewriter would bring pytest with it
# (with pluggy, iniconfig and packaging: more files for every reader to fetch). The part we
# need is small, so the harness rewrites the block's asserts itself, with ast: each operand
# is computed once, into a name no block can write ("@assert0"), and when the test is false
# fail() raises an AssertionError that says what the operands were.

FAIL = "@fail"  # the block's name for fail(); like the operands', not a name Python code can use
SHOWN = 240  # the longest repr shown, as pytest cuts its own


class Explained(AssertionError):
    """An assert of the block that failed, with pytest's explanation as its message."""


def shown(value):
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN // 2 - 2] + "..." + text[-(SHOWN // 2 - 2):]


def fail(message, what, values, sources):
    """Raise what a rewritten assert found: what is "assert {0} == {1}", with {i} the i-th
    value; sources the operands' code, or None where pytest shows no "where" (a name, a literal)."""
    lines = [] if message is None else [f"AssertionError: {message}"]
    lines.append(what.format(*map(shown, values)))
    lines += [f" +  where {shown(v)} = {s}" for v, s in zip(values, sources) if s is not None]
    raise Explained("\n".join(lines))


class Rewriter(ast.NodeTransformer):
    def __init__(self):
        self.count = 0

    def name(self):
        self.count += 1
        return f"@assert{self.count}"

    def visit_Assert(self, node):
        self.generic_visit(node)
        test, body = node.test, []

        def keep(expr):  # compute expr once, into a fresh name; return that name to read it
            name = ast.Name(self.name(), ast.Load())
            body.append(ast.Assign([ast.Name(name.id, ast.Store())], expr))
            return name

        def check(cond, what, exprs, kept):  # if not cond: fail(msg, what, [values], [sources])
            sources = [ast.Constant(None if isinstance(e, (ast.Name, ast.Constant)) else ast.unparse(e))
                       for e in exprs]
            call = ast.Call(ast.Name(FAIL, ast.Load()), [node.msg or ast.Constant(None), ast.Constant(what),
                            ast.List(kept, ast.Load()), ast.List(sources, ast.Load())], [])
            body.append(ast.If(ast.UnaryOp(ast.Not(), cond), [ast.Expr(call)], []))

        if isinstance(test, ast.Compare):  # a < b < c: each comparison in turn, as Python does
            exprs = [test.left, *test.comparators]
            kept = [keep(test.left)]
            for i, op in enumerate(test.ops):
                kept.append(keep(exprs[i + 1]))
                symbol = ast.unparse(ast.Compare(ast.Name("x"), [op], [ast.Name("y")]))[2:-2]
                check(ast.Compare(kept[i], [op], [kept[i + 1]]), f"assert {{0}} {symbol} {{1}}",
                      exprs[i:i + 2], kept[i:i + 2])
        elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            value = keep(test.operand)
            check(ast.UnaryOp(ast.Not(), value), "assert not {0}", [test.operand], [value])
        else:
            value = keep(test)
            check(value, "assert {0}", [test], [value])
        for statement in body:  # the new nodes on the assert's lines; the block's own keep theirs
            for child in ast.walk(statement):
                if not hasattr(child, "lineno") and "lineno" in child._attributes:
                    ast.copy_location(child, node)
        return body


def explained(tree):
    """The block's syntax tree with its asserts rewritten (Rewriter)."""
    return ast.fix_missing_locations(Rewriter().visit(tree))



# The panels of chapters 7 and 8: the real run, a step at a time, and the saved model.

run_state = {}


def start_run(steps, seed=42):
    """Begin chapter 9's run() with microgpt.py's settings, for steps steps; return the
    number of parameters. The page then calls next_event() until it returns None, so
    that between two steps it can draw the loss and hear the Stop button."""
    from microgpt.run import run, scalar
    events = run(seed=seed, steps=steps)
    for what, value in events:
        if what == "vocab size":
            run_state.update(events=events, tokenizer=value, seed=seed)
        elif what == "num params":
            run_state["model"] = value
            return scalar.size(value)
    raise RuntimeError("run() yielded no model")


def next_event():
    """The run's next event: ["step", step, loss], ["inference"], ["sample", name], or None."""
    for what, value in run_state["events"]:
        return [what, *value] if what == "step" else [what, value] if what == "sample" else [what]
    return None


def stop_run(count=20, temperature=0.5):
    """End the run early: count names from the model as it stands now, drawn with a
    generator seeded like the run's (the run's own generator stays inside run())."""
    from microgpt.model import Config
    from microgpt.sample import sample
    run_state["events"].close()
    rng = random.Random(run_state["seed"])
    return [sample(run_state["model"], Config(), run_state["tokenizer"], rng, temperature)
            for _ in range(count)]


def saved_run(step, steps):
    """The run's model after step of its steps, as checkpoint JSON text, as --save writes it
    when python -m microgpt --steps steps --save F ends there (run record's fingerprint aside)."""
    from microgpt import checkpoint
    from microgpt.model import Config
    from microgpt.run import scalar
    run = {"data": "names.txt", "data_sha256": checkpoint.fingerprint("names.txt"),
           "seed": run_state["seed"], "steps": steps, "lr": 0.01}
    numbers = scalar.export(run_state["model"])
    return json.dumps(checkpoint.to_dict(Config(), run_state["tokenizer"], numbers, step, run), allow_nan=False)


def sample_saved(path, count, temperature, prompt, seed):
    """count names from the checkpoint at path, as python -m microgpt --load path
    --temperature T --prompt P --seed S draws them; a prompt the model cannot
    continue is a ValueError of one line, as the command line words it."""
    from microgpt import checkpoint
    from microgpt.sample import sample
    if run_state.get("path") != path:
        run_state.update(path=path, saved=checkpoint.load(path)[:3])
    config, tokenizer, state_dict = run_state["saved"]
    tokenizer.encode(prompt)
    if len(prompt) >= config.block_size:
        raise ValueError(f"the prompt must be shorter than {config.block_size} characters")
    if not temperature > 0:
        raise ValueError("the temperature must be more than 0")
    rng = random.Random(seed)
    return [sample(state_dict, config, tokenizer, rng, temperature, prompt) for _ in range(count)]


if __name__ == "__main__":
    child()
