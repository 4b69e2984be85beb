"""Running audited, model-written Python: restricted builtins, a time limit, a memory bound.

The time limit is SIGALRM (signals reach only the main thread, so evaluation runs there);
the alarm repeats until the limit is lifted, so one swallowed interrupt is not enough to
escape it. One C-level allocation (``'x' * 3_000_000_000``) cannot be interrupted by a
signal, so the soft ``RLIMIT_DATA`` is lowered for the duration of the call: the
allocation fails at once with a MemoryError instead of exhausting the machine.
"""
from __future__ import annotations

import builtins
import contextlib
import os
import resource
import signal
import threading

from uvm.llm.synthesis.guardian import Signature, audit

SANDBOX_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float",
    "frozenset", "int", "isinstance", "len", "list", "map", "max", "min", "next", "pow",
    "range", "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple",
    "zip", "getattr", "hasattr", "ValueError", "TypeError", "KeyError", "IndexError",
    "ZeroDivisionError", "ArithmeticError", "Exception", "StopIteration", "True", "False",
    "None", "print",
)}


# The soft RLIMIT_DATA each ``limits`` in force replaced, innermost last.
_outer_data_limits: list = []


class SandboxTimeout(BaseException):
    """The model's method ran past its time limit. A BaseException: audited code cannot
    catch it (bare except and except BaseException are rejected by the guardian)."""


def compile_audited(source: str, signature: Signature | None = None, filename: str = "<model>"):
    """Audit the source, then compile it with the sandbox's builtins; returns the function."""
    fn_tree = audit(source, signature)
    namespace: dict = {"__builtins__": SANDBOX_BUILTINS}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[fn_tree.name]


def _data_in_use() -> int:
    """Bytes of the data segment and anonymous mappings (what RLIMIT_DATA counts)."""
    with open("/proc/self/statm") as f:
        data_pages = int(f.read().split()[5])
    return data_pages * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def limits(seconds: float, memory_bytes: int | None = 512 * 1024 * 1024):
    """Run the body under a time limit and (where supported) a bound on new memory."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("model-written code runs only in the main thread (the time limit is a signal)")

    def on_alarm(signum, frame):
        raise SandboxTimeout(f"the method ran longer than {seconds:g} s")

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_limit = None
    if memory_bytes is not None:
        try:
            old_limit = resource.getrlimit(resource.RLIMIT_DATA)
            soft = _data_in_use() + memory_bytes
            hard = old_limit[1]
            resource.setrlimit(resource.RLIMIT_DATA, (soft if hard == resource.RLIM_INFINITY
                                                      else min(soft, hard), hard))
        except (OSError, ValueError):
            old_limit = None
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)  # and again every 50 ms after
    _outer_data_limits.append(old_limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        _outer_data_limits.pop()
        if old_limit is not None:
            resource.setrlimit(resource.RLIMIT_DATA, old_limit)


@contextlib.contextmanager
def suspended():
    """Run the body outside the limits in force, if any (trusted work model-written code
    asked for); the limits then resume with what was left of them: the seconds, and the
    bytes of new memory (counted from what the body leaves in use)."""
    if not _outer_data_limits:
        yield
        return
    left, interval = signal.setitimer(signal.ITIMER_REAL, 0)
    outer = _outer_data_limits[0]  # what the outermost limits found
    if outer is not None:
        inner_soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        room = max(0, inner_soft - _data_in_use())
        resource.setrlimit(resource.RLIMIT_DATA, outer)
    try:
        yield
    finally:
        if outer is not None:
            resource.setrlimit(resource.RLIMIT_DATA, (min(_data_in_use() + room, hard)
                                                      if hard != resource.RLIM_INFINITY
                                                      else _data_in_use() + room, hard))
        signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), interval)


def run_limited(fn, args: tuple, seconds: float = 2.0, memory_bytes: int | None = 512 * 1024 * 1024):
    """Call ``fn(*args)`` under ``limits``."""
    with limits(seconds, memory_bytes):
        return fn(*args)
