"""Synthesis benchmark (issue 6): the doesNotUnderstand pipeline against a plain prompt.

Each task of ``synthesis_tasks.TASKS`` runs in a fresh in-memory image, twice, with the same
model (the embedded SmolLM2-135M by default, loaded once):

pipeline   the user's way: make the receiver, ``intend:As:`` the intent, send the message;
           the real pipeline writes the method (brief, few-shot prompt ending in the exact
           signature, audit, sandboxed run, retries with the error fed back).
baseline   one plain prompt to the same model (the intent, the selector and the example
           send, as a person would ask a chat model; no signature, no examples, no
           feedback, no retrieval); the first ``def`` of the answer, whatever its name, is
           installed as the method (generously: unaudited, only the sandbox's builtins).

Either way the task passes when the first send and every check (other arguments, expected
values) give the right answers. Reported: pass rates (and their ratio), mean attempts and
mean seconds per task for the pipeline.

Run: .venv/bin/python benchmarks/synthesis.py [--only NAME,...] [--limit N] [--verbose]
     [--llm SPEC] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uvm  # noqa: E402
from synthesis_tasks import TASKS, Task  # noqa: E402
from uvm.llm.synthesis import pipeline  # noqa: E402
from uvm.llm.synthesis.answer import extract_function, method_ended  # noqa: E402
from uvm.llm.synthesis.receiver import literal_of  # noqa: E402
from uvm.llm.synthesis.sandbox import SANDBOX_BUILTINS, limits  # noqa: E402
from uvm.runtime import send as send_mod  # noqa: E402
from uvm.runtime.errors import UvmError  # noqa: E402
from uvm.runtime.objects import Method  # noqa: E402
from uvm.runtime.printing import string_literal  # noqa: E402

CHECK_SECONDS = 5.0


def same(value, expected) -> bool:
    if isinstance(expected, bool) or expected is None:
        return value is expected
    if isinstance(expected, (int, float)):
        return type(value) in (int, float) and math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, list):
        try:
            return [*value] == expected
        except TypeError:
            return False
    return type(value) is type(expected) and value == expected


def fresh_image(task: Task):
    image = uvm.open(memory=True)
    if task.setup:
        image.eval(task.setup)
    return image


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
        if expected is not unchecked and not same(value, expected):
            return f"{expr} -> {value!r}, expected {expected!r}"
    return None


def pipeline(task: Task, backend) -> dict:
    image = fresh_image(task)
    try:
        pipeline.install(image, backend=backend)
        image.eval(f"{task.holder} intend: {string_literal(task.selector)} As: "
                   f"{string_literal(task.intent)}")
        for expr, value in task.examples:
            image.eval(f"{task.holder} intend: {string_literal(task.selector)} Example: "
                       f"{string_literal(expr)} Gives: {literal(value)}")
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
        attempts = method.provenance.get("attempts") if isinstance(method, Method) and method.provenance \
            else pipeline.EXAMPLE_ATTEMPTS if task.examples else pipeline.ATTEMPTS  # all failed
        code = method.source if isinstance(method, Method) else ""
        if why is None:
            why = run_checks(image, task)
        return {"ok": why is None, "why": why, "attempts": attempts, "seconds": seconds, "code": code}
    finally:
        pipeline.uninstall()
        image.close()


def plain_prompt(task: Task) -> str:
    shown = "; ".join(f"`{expr}` gives {value!r}" for expr, value in task.examples)
    return (f"Write a Python method `{task.selector}` for {task.holder}: it should {task.intent}. "
            f"It is used like this: {task.send}. For example: {shown}.")


def literal(value) -> str:
    """UVM source for an expected value."""
    if isinstance(value, list):
        return "(" + " & ".join(literal(v) for v in value) + ") asList"
    return literal_of(value)


def baseline(task: Task, backend) -> dict:
    answer = ""  # stopped once its first function has ended: the rest is never used
    for piece in backend.stream([{"role": "user", "content": plain_prompt(task)}], max_tokens=256,
                                temperature=0.0):
        answer += piece
        start = answer.find("def ")
        if "\n" in piece and start >= 0 and method_ended(answer[start:]):
            break
    code = extract_function(answer, None, completed_from_signature=False)
    image = fresh_image(task)
    try:
        namespace: dict = {"__builtins__": SANDBOX_BUILTINS}
        try:
            exec(compile(code, "<baseline>", "exec"), namespace)
            fn = next(v for k, v in namespace.items() if k != "__builtins__" and callable(v))
        except (Exception, StopIteration) as e:  # noqa: BLE001
            return {"ok": False, "why": f"no function: {type(e).__name__}", "code": code}

        holder = image.eval(task.holder)

        def install():
            method = Method(task.selector, "python", code, (), "<baseline>", 1, 1, core=False)
            method._fn = fn
            holder.define_slot(task.selector, method, 0)
            send_mod.invalidate_all()
        image.run(install, "baseline install", "benchmark")
        why = run_checks(image, task, first=True)
        return {"ok": why is None, "why": why, "code": code}
    finally:
        image.close()


class Traced:
    """The backend, printing each request's last message and the answer (--trace)."""

    def __init__(self, inner):
        self.inner, self.spec = inner, inner.spec

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def complete(self, messages, **options):
        answer = self.inner.complete(messages, **options)
        self.show(messages, answer)
        return answer

    def stream(self, messages, **options):
        answer = ""
        for piece in self.inner.stream(messages, **options):
            answer += piece
            yield piece
        self.show(messages, answer)

    @staticmethod
    def show(messages, answer):
        shown = "\n".join(f"[{m['role']}] {m['content']}" for m in messages[1:])
        print(f"--- prompt:\n{shown}\n--- answer:\n{answer}\n---", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", help="comma-separated task names")
    p.add_argument("--limit", type=int, help="run only the first N tasks")
    p.add_argument("--llm", default="embedded", help="the backend (default: embedded)")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--verbose", "-v", action="store_true", help="show each method written")
    p.add_argument("--retry-temperature", type=float, default=pipeline.RETRY_TEMPERATURE,
                   help="the temperature of the pipeline's retries (default %(default)s)")
    p.add_argument("--trace", action="store_true", help="show every prompt and answer")
    p.add_argument("--json", help="write the per-task results to this file")
    opts = p.parse_args(argv)
    pipeline.RETRY_TEMPERATURE = opts.retry_temperature
    tasks = TASKS
    if opts.only:
        names = set(opts.only.split(","))
        tasks = [t for t in tasks if t.name in names]
    if opts.limit:
        tasks = tasks[:opts.limit]
    from uvm.llm.settings import configure_run, make_backend
    configure_run(opts.llm, False)
    backend = make_backend(opts.llm, None)
    if opts.trace:
        backend = Traced(backend)
    results = []
    for task in tasks:
        r = {"task": task.name, "kind": task.kind, "pipeline": pipeline(task, backend)}
        if not opts.no_baseline:
            r["baseline"] = baseline(task, backend)
        results.append(r)
        pl, bl = r["pipeline"], r.get("baseline")
        print(f"{task.name:22} pipeline {'pass' if pl['ok'] else 'FAIL'} "
              f"({pl['attempts']} att, {pl['seconds']:5.1f} s)"
              + (f"  baseline {'pass' if bl['ok'] else 'FAIL'}" if bl else "")
              + (f"   {pl['why'].splitlines()[0][:150]}" if pl["why"] else ""), flush=True)
        if opts.verbose:
            print("    " + (pl["code"] or pl["why"] or "").rstrip().replace("\n", "\n    "))
            if bl:
                print("    baseline: " + (bl["why"] or "ok") + "\n    "
                      + bl["code"].rstrip().replace("\n", "\n    "))
    n = len(results)
    passed = sum(r["pipeline"]["ok"] for r in results)
    print(f"\n{n} tasks, model {opts.llm}")
    print(f"pipeline: {passed}/{n} passed ({100 * passed / n:.0f}%), mean attempts "
          f"{sum(r['pipeline']['attempts'] for r in results) / n:.2f}, mean seconds per task "
          f"{sum(r['pipeline']['seconds'] for r in results) / n:.1f}")
    by_kind = {}
    for r in results:
        by_kind.setdefault(r["kind"], []).append(r["pipeline"]["ok"])
    print("  by kind: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items()))
    if not opts.no_baseline:
        base = sum(r["baseline"]["ok"] for r in results)
        ratio = f"{passed / base:.1f}x" if base else "inf (baseline passed none)"
        print(f"baseline: {base}/{n} passed ({100 * base / n:.0f}%)   pipeline/baseline: {ratio}")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
