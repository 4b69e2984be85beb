"""Synthesis benchmark (issue 11): the doesNotUnderstand pipeline against one plain prompt,
on a dev set (tune on it) and a held-out set (report it), each task in three modes.

Each task of ``--set dev`` (``synthesis_dev.DEV``) or ``--set heldout``
(``synthesis_heldout.HELDOUT``) runs in a fresh in-memory image, in each mode (plain:
selector and send only; intent: ``intend:As:`` first; examples: ``intend:Example:Gives:``
first -- see ``synthesis_tasks``), twice, with the same model (the embedded SmolLM2-135M
by default, loaded once):

pipeline   the user's way: the intent or examples through ``intend:``, then the send; the
           real pipeline writes the method.
baseline   one plain prompt to the same model (the selector, the holder and the send, plus
           the intent or the examples of the mode, as a person would ask a chat model; no
           signature, no worked examples, no tests, no feedback); the first ``def`` of the
           answer, whatever its name, is installed as the method (generously: unaudited,
           only the sandbox's builtins).

Either way the task passes when the first send and every check (other arguments) give the
right answers. Before anything runs, every task's reference method is run on its examples
and checks, and the run is refused when anything the system is given at run time (the
seed library; the method writer adapter's training data, when the pipeline uses it) is a
near-copy of a task's reference (``uvm.llm.synthesis.nearcopy``).

The held-out set prints and stores only aggregate figures (by kind and by mode): its
individual failures are never shown, so nobody tunes on them. Tasks run one kind after
another (round robin), and ``--json`` is rewritten as the run goes (held-out: after each
whole round of kinds), so ``--limit N`` or a run stopped early still covers every kind.

Run: .venv/bin/python benchmarks/synthesis.py --set dev|heldout [--modes plain,intent,examples]
     [--kinds K,...] [--only NAME,...] [--limit N] [--no-baseline] [--llm SPEC]
     [--writer bundled|none|FILE] [--candidates N] [--rounds N] [--threads N]
     [--json FILE] [--label TEXT] [-v] [--trace]
     .venv/bin/python benchmarks/synthesis.py --write-avoid FILE   (for uvm train methods)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uvm  # noqa: E402
from synthesis_dev import DEV  # noqa: E402
from synthesis_heldout import HELDOUT  # noqa: E402
from synthesis_tasks import KINDS, MODES, Task  # noqa: E402
from uvm.llm.synthesis import library, pipeline  # noqa: E402
from uvm.llm.synthesis.answer import extract_function, method_ended, same_value  # noqa: E402
from uvm.llm.synthesis.nearcopy import Reference, near_copies  # noqa: E402
from uvm.llm.synthesis.receiver import source_of  # noqa: E402
from uvm.llm.synthesis.sandbox import SANDBOX_BUILTINS, compile_audited, limits  # noqa: E402
from uvm.runtime import send as send_mod  # noqa: E402
from uvm.runtime.errors import UvmError  # noqa: E402
from uvm.runtime.objects import Method  # noqa: E402
from uvm.runtime.printing import string_literal  # noqa: E402

SETS = {"dev": DEV, "heldout": HELDOUT}
CHECK_SECONDS = 5.0
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


class Refused(Exception):
    """The benchmark cannot be run honestly (a broken reference, a near-copy)."""


# --- values and images ------------------------------------------------------------------------------

def literal(value) -> str:
    """UVM source for an expected value."""
    return source_of(value)


def fresh_image(task: Task):
    image = uvm.open(memory=True)
    if task.setup:
        image.eval(task.setup)
    return image


def install_method(image, task: Task, source: str, fn) -> None:
    """Put ``fn`` (compiled from ``source``) into the task's holder, as its own transaction."""
    holder = image.eval(task.holder)

    def install():
        method = Method(task.selector, "python", source, (), "<benchmark>", 1, 1, core=False)
        method._fn = fn
        holder.define_slot(task.selector, method, 0)
        send_mod.invalidate_all()
    image.run(install, f"benchmark install {task.selector}", "benchmark")


def run_checks(image, task: Task, first: bool = False) -> str | None:
    """None when every check passes, else what went wrong (``first``: make the task's
    first send too, as the pipeline did)."""
    unchecked = object()
    for expr, expected in ([(task.send, unchecked)] if first else []) + list(task.checks):
        try:
            with limits(CHECK_SECONDS):
                value = image.eval(expr)
        except (UvmError, Exception) as e:  # noqa: BLE001 -- a broken method is a failed task
            return f"{expr} -> error: {str(e).splitlines()[0][:100]}"
        if expected is not unchecked and not same_value(value, expected):
            return f"{expr} -> {value!r}, expected {expected!r}"
    return None


def probe(image, expr: str, expected) -> str | None:
    """Run ``expr`` in a transaction that is then rolled back: None when it gives
    ``expected`` (compared inside the transaction), else what it gave."""
    from uvm.runtime.compiler import compile_program
    from uvm.syntax import parse
    code = compile_program(parse(expr, "<example>"))
    outcome = []

    class RollBack(Exception):
        pass

    def action():
        value = code(image.lobby)
        outcome.append(None if same_value(value, expected) else f"gave {value!r}")
        raise RollBack
    try:
        image.run(action, expr, "benchmark")
    except UvmError as e:
        if not outcome:
            return f"raised {str(e).splitlines()[0][:100]}"
    return outcome[0]


# --- refusing to run -----------------------------------------------------------------------------------

def reference_failures(tasks) -> list[str]:
    """Every task whose reference method fails its own examples or checks (a broken task)."""
    bad = []
    for task in tasks:
        image = fresh_image(task)
        try:
            install_method(image, task, task.reference, compile_audited(task.reference))
            for expr, value in task.examples:  # on the state before the send, as the pipeline
                why = probe(image, expr, value)
                if why:
                    bad.append(f"{task.name}: example {expr} {why}")
            why = run_checks(image, task, first=True)
            if why:
                bad.append(f"{task.name}: {why}")
        except Exception as e:  # noqa: BLE001
            bad.append(f"{task.name}: {type(e).__name__}: {e}")
        finally:
            image.close()
    return bad


def references() -> list[Reference]:
    """The answers of both sets: nothing given at run time may copy one."""
    return [Reference(f"{name} {t.name}", t.selector, t.reference)
            for name, tasks in SETS.items() for t in tasks]


def write_avoid(path: str) -> None:
    """Both sets' answers as JSON Lines, for ``uvm train methods --avoid``."""
    with open(path, "w", encoding="utf-8") as f:
        for r in references():
            f.write(json.dumps({"name": r.name, "selector": r.selector, "reference": r.source}) + "\n")


def awake_backend(writer_file: str | None):
    """The embedded model the way a user's image has it: a temporary file image awakened
    (the model and the bundled adapters as BLOBs), with ``writer_file`` imported as the
    method writer when given. Returns (image, backend)."""
    import tempfile

    from uvm.llm import pllm as P
    from uvm.llm.settings import make_backend
    folder = tempfile.mkdtemp(prefix="uvm-synthesis-bench-")
    image = uvm.open(os.path.join(folder, "bench.fs"))
    P.awaken(image)
    if writer_file:
        P.import_adapter(image, P.METHOD_WRITER, writer_file)
    backend = make_backend("embedded", image)
    backend.load()
    return image, backend


def given_at_run_time(writer_sources=()) -> list[tuple[str, str, str]]:
    """(label, selector, source) of every method the system is given: the seed library,
    and the method writer's training answers when the pipeline uses the adapter."""
    entries = [(f"seed {e.selector}", e.selector, e.source) for e in library.seed()]
    entries += [(f"method-writer training answer {sel}", sel, src) for sel, src in writer_sources]
    return entries


def refuse_near_copies(entries, refs=None) -> None:
    found = near_copies(entries, refs if refs is not None else references())
    if found:
        shown = "\n  ".join(str(f) for f in found[:20])
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        raise Refused(f"{len(found)} of what the system is given at run time copies a benchmark "
                      f"task:\n  {shown}{more}")


# --- the two ways ------------------------------------------------------------------------------------

def tell(image, task: Task, mode: str) -> None:
    """What the user says before the send, through the UVM interface."""
    sel = string_literal(task.selector)
    if mode == "intent":
        image.eval(f"{task.holder} intend: {sel} As: {string_literal(task.intent)}")
    elif mode == "examples":
        for expr, value in task.examples:
            image.eval(f"{task.holder} intend: {sel} Example: {string_literal(expr)} "
                       f"Gives: {literal(value)}")


SYNTH_OPTIONS: dict = {}  # Synthesizer settings of this run (--writer, --candidates, --rounds)


def run_pipeline(task: Task, mode: str, backend) -> dict:
    image = fresh_image(task)
    try:
        synth = pipeline.Synthesizer(image, backend=backend, **SYNTH_OPTIONS)
        send_mod.synthesizer = synth
        tell(image, task, mode)
        started = time.monotonic()
        why = None
        try:
            image.eval(task.send)
        except UvmError as e:
            why = str(e)
        seconds = time.monotonic() - started
        pipeline.uninstall()  # the checks must run the method written, not write another
        holder = image.eval(task.holder)
        method = holder._slots.get(task.selector)
        provenance = method.provenance if isinstance(method, Method) and method.provenance else {}
        attempts = provenance.get("attempts") or (
            max(synth.attempts, pipeline.EXAMPLE_ATTEMPTS) if mode == "examples" else synth.attempts)
        code = method.source if isinstance(method, Method) else ""
        if why is None:
            why = run_checks(image, task)
        return {"ok": why is None, "why": why, "attempts": attempts, "seconds": seconds,
                "code": code, "adapter": provenance.get("adapter"),
                "chosen_by": provenance.get("chosen_by")}
    finally:
        pipeline.uninstall()
        image.close()


def plain_prompt(task: Task, mode: str) -> str:
    text = f"Write a Python method `{task.selector}` for {task.holder}. It is used like this: {task.send}."
    if mode == "intent":
        text += f" It should {task.intent}."
    elif mode == "examples":
        text += " For example: " + "; ".join(f"`{e}` gives {v!r}" for e, v in task.examples) + "."
    return text


def run_baseline(task: Task, mode: str, backend) -> dict:
    answer = ""  # stopped once its first function has ended: the rest is never used
    started = time.monotonic()
    for piece in backend.stream([{"role": "user", "content": plain_prompt(task, mode)}],
                                max_tokens=256, temperature=0.0):
        answer += piece
        start = answer.find("def ")
        if "\n" in piece and start >= 0 and method_ended(answer[start:]):
            break
    seconds = time.monotonic() - started
    code = extract_function(answer, None, completed_from_signature=False)
    image = fresh_image(task)
    try:
        namespace: dict = {"__builtins__": SANDBOX_BUILTINS}
        try:
            exec(compile(code, "<baseline>", "exec"), namespace)
            fn = next(v for k, v in namespace.items() if k != "__builtins__" and callable(v))
        except (Exception, StopIteration) as e:  # noqa: BLE001
            return {"ok": False, "why": f"no function: {type(e).__name__}", "code": code,
                    "seconds": seconds}
        install_method(image, task, code, fn)
        why = run_checks(image, task, first=True)
        return {"ok": why is None, "why": why, "code": code, "seconds": seconds}
    finally:
        image.close()


# --- reporting ----------------------------------------------------------------------------------------

def rate(rows, way: str) -> dict:
    rows = [r for r in rows if way in r]
    n = len(rows)
    passed = sum(r[way]["ok"] for r in rows)
    out = {"passed": passed, "tasks": n, "rate": round(passed / n, 3) if n else None}
    if way == "pipeline" and n:
        out["mean_attempts"] = round(sum(r[way]["attempts"] for r in rows) / n, 2)
    if n:
        out["mean_seconds"] = round(sum(r[way]["seconds"] for r in rows) / n, 2)
    return out


def interleaved(tasks: list[Task]) -> list[Task]:
    """The tasks taken one kind after another (round robin), so that the first N of a run
    -- ``--limit N``, or a run stopped early -- hold every kind alike."""
    by_kind = {k: [t for t in tasks if t.kind == k] for k in KINDS}
    out = []
    while any(by_kind.values()):
        out += [ts.pop(0) for ts in by_kind.values() if ts]
    return out


def summary(results: list[dict]) -> dict:
    ways = [w for w in ("pipeline", "baseline") if any(w in r for r in results)]
    out = {}
    for way in ways:
        out[way] = {"all": rate(results, way),
                    "by_mode": {m: rate([r for r in results if r["mode"] == m], way)
                                for m in MODES if any(r["mode"] == m for r in results)},
                    "by_kind": {k: rate([r for r in results if r["kind"] == k], way)
                                for k in KINDS if any(r["kind"] == k for r in results)}}
    if "baseline" in out:
        p, b = out["pipeline"]["all"]["passed"], out["baseline"]["all"]["passed"]
        out["ratio"] = round(p / b, 2) if b else None
    return out


def print_summary(s: dict) -> None:
    for way, d in s.items():
        if way == "ratio":
            continue
        a = d["all"]
        extra = (f", mean attempts {a['mean_attempts']}" if "mean_attempts" in a else "") + \
            f", mean seconds per task {a['mean_seconds']}"
        print(f"{way}: {a['passed']}/{a['tasks']} ({100 * a['rate']:.0f}%){extra}")
        print("  by mode: " + ", ".join(f"{m} {v['passed']}/{v['tasks']}" for m, v in d["by_mode"].items()))
        print("  by kind: " + ", ".join(f"{k} {v['passed']}/{v['tasks']}" for k, v in d["by_kind"].items()))
    if "ratio" in s:
        print(f"pipeline/baseline: {s['ratio']}x" if s["ratio"] else "pipeline/baseline: (baseline passed none)")


class Traced:
    """The backend, printing each request's last message and the answer (--trace)."""

    def __init__(self, inner):
        self.inner, self.spec = inner, inner.spec

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def stream(self, messages, **options):
        answer = ""
        for piece in self.inner.stream(messages, **options):
            answer += piece
            yield piece
        self.show(messages, answer)

    def complete(self, messages, **options):
        answer = self.inner.complete(messages, **options)
        self.show(messages, answer)
        return answer

    def complete_batch(self, messages, n, **options):
        answers = self.inner.complete_batch(messages, n, **options)
        self.show(messages, "\n--- next candidate:\n".join(answers))
        return answers

    @staticmethod
    def show(messages, answer):
        shown = "\n".join(f"[{m['role']}] {m['content']}" for m in messages[1:])
        print(f"--- prompt:\n{shown}\n--- answer:\n{answer}\n---", flush=True)


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=os.path.dirname(__file__)).stdout.strip()
    except OSError:
        return "?"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--set", choices=sorted(SETS), default="dev")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated: " + ", ".join(MODES))
    p.add_argument("--kinds", help="comma-separated: " + ", ".join(KINDS))
    p.add_argument("--only", help="dev only: comma-separated task names")
    p.add_argument("--limit", type=int, help="run only the first N tasks")
    p.add_argument("--llm", default="embedded", help="the backend (default: embedded)")
    p.add_argument("--threads", type=int, help="torch threads (default: $UVM_LLM_THREADS, "
                   "else by the machine's load)")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--label", default="", help="a name for this configuration in the results")
    p.add_argument("--verbose", "-v", action="store_true", help="dev only: show each method")
    p.add_argument("--trace", action="store_true", help="dev only: show every prompt and answer")
    p.add_argument("--json", help="write the results here (held-out: aggregates only)")
    p.add_argument("--writer", default="bundled",
                   help="the method writer: bundled (default; what the pipeline uses), none (the "
                        "plain base model), or an adapter FILE.safetensors")
    p.add_argument("--candidates", type=int, default=pipeline.CANDIDATES,
                   help="candidates per round (default %(default)s)")
    p.add_argument("--rounds", type=int, default=pipeline.ATTEMPTS,
                   help="rounds without examples (default %(default)s)")
    p.add_argument("--write-avoid", metavar="FILE", help="write both sets' answers for "
                   "`uvm train methods --avoid` and stop")
    opts = p.parse_args(argv)
    if opts.write_avoid:
        write_avoid(opts.write_avoid)
        return 0
    heldout = opts.set == "heldout"
    if heldout and (opts.only or opts.verbose or opts.trace):
        p.error("the held-out set shows aggregate figures only (no --only, -v or --trace)")
    tasks = SETS[opts.set]
    if opts.kinds:
        kinds = set(opts.kinds.split(","))
        tasks = [t for t in tasks if t.kind in kinds]
    if opts.only:
        names = set(opts.only.split(","))
        tasks = [t for t in tasks if t.name in names]
    tasks = interleaved(tasks)
    if opts.limit:
        tasks = tasks[:opts.limit]
    modes = [m for m in opts.modes.split(",") if m]
    if set(modes) - set(MODES):
        p.error(f"modes are {', '.join(MODES)}")

    broken = reference_failures(tasks)
    if broken:
        raise Refused("broken tasks (their reference fails):\n  " + "\n  ".join(broken))
    from uvm.llm.synthesis.writer import BUNDLED, training_sources
    writer_file = None if opts.writer == "none" else BUNDLED if opts.writer == "bundled" else opts.writer
    if writer_file and not os.path.exists(writer_file):
        if opts.writer != "bundled":
            p.error(f"no adapter at {writer_file}")
        writer_file = None  # nothing bundled yet: the base model writes
    refuse_near_copies(given_at_run_time(training_sources(writer_file) if writer_file else ()))

    from uvm.llm.model import THREADS_VARIABLE, generation_threads
    if opts.threads:
        os.environ[THREADS_VARIABLE] = str(opts.threads)
    from uvm.llm.settings import configure_run, make_backend
    configure_run(opts.llm, False)
    bench_image = None
    if opts.llm == "embedded":
        bench_image, backend = awake_backend(writer_file if opts.writer != "bundled" else None)
    else:
        backend = make_backend(opts.llm, None)
    SYNTH_OPTIONS.update(candidates=opts.candidates, attempts=opts.rounds,
                         writer=None if writer_file else False)
    if opts.trace:
        backend = Traced(backend)
    if hasattr(backend, "load"):
        backend.load()
    load_before = os.getloadavg()[0]
    results = []
    started = time.monotonic()
    commit = _commit()

    def record() -> dict:
        r = {"set": opts.set, "label": opts.label, "llm": opts.llm, "commit": commit,
             "writer": opts.writer if writer_file else "none", "candidates": opts.candidates,
             "rounds": opts.rounds, "date": time.strftime("%Y-%m-%d %H:%M"),
             "tasks": len(tasks), "modes": modes, "done": len(results),
             "of": len(tasks) * len(modes), "threads": generation_threads(),
             "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
             "wall_seconds": round(time.monotonic() - started), "summary": summary(results)}
        if not heldout:
            r["results"] = results
        return r

    def write(r: dict) -> None:
        """The results so far (a long run stopped early still leaves its figures)."""
        if opts.json:
            os.makedirs(os.path.dirname(os.path.abspath(opts.json)), exist_ok=True)
            with open(opts.json + ".tmp", "w") as f:
                json.dump(r, f, indent=1)
            os.replace(opts.json + ".tmp", opts.json)

    every = len(KINDS) * len(modes)  # held-out: figures over whole rounds of kinds only
    for task in tasks:
        for mode in modes:
            r = {"task": task.name, "kind": task.kind, "mode": mode,
                 "pipeline": run_pipeline(task, mode, backend)}
            if not opts.no_baseline:
                r["baseline"] = run_baseline(task, mode, backend)
            results.append(r)
            if not heldout or len(results) % every == 0:
                write(record())
            if heldout:
                print(f"\r{len(results)}/{len(tasks) * len(modes)} done", end="", file=sys.stderr,
                      flush=True)
                continue
            pl, bl = r["pipeline"], r.get("baseline")
            print(f"{task.name:22} {mode:8} pipeline {'pass' if pl['ok'] else 'FAIL'} "
                  f"({pl['attempts']} att, {pl['seconds']:5.1f} s)"
                  + (f"  baseline {'pass' if bl['ok'] else 'FAIL'}" if bl else "")
                  + (f"   {pl['why'].splitlines()[0][:140]}" if pl["why"] else ""), flush=True)
            if opts.verbose:
                print("    " + (pl["code"] or pl["why"] or "").rstrip().replace("\n", "\n    "))
                if bl:
                    print("    baseline: " + (bl["why"] or "ok") + "\n    "
                          + bl["code"].rstrip().replace("\n", "\n    "))
    if heldout:
        print(file=sys.stderr)
    s = summary(results)
    print(f"\n{opts.set}: {len(tasks)} tasks x {len(modes)} modes, model {opts.llm}"
          + (f", {opts.label}" if opts.label else ""))
    print_summary(s)
    write(record())
    if bench_image is not None:
        backend.close()
        bench_image.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Refused as e:
        print(f"synthesis benchmark refused to run: {e}", file=sys.stderr)
        sys.exit(2)
