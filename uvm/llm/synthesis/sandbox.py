"""Running audited, model-written Python: the guardian's audit, then the run-time
confinement of ``uvm.runtime.confinement`` (RestrictedPython's guards, the membrane,
bounded builtins, the watchdog's time and memory limits).

The pipeline's first run of a new method happens under ``limits``, which also lowers
the soft ``RLIMIT_DATA`` for its duration: even one C-level allocation the bounds do not
know fails at once with a MemoryError. Every later call has the per-call limits.
"""
from __future__ import annotations

import builtins

from uvm.llm.synthesis.guardian import Signature, audit
from uvm.runtime.confinement import (ConfinementBreach, SandboxMemoryError, SandboxTimeout,
                                     compile_function, limits)

__all__ = ["ConfinementBreach", "SANDBOX_BUILTINS", "SandboxMemoryError", "SandboxTimeout",
           "compile_audited", "limits", "run_limited"]

# The builtins of the benchmark's unaudited baseline (plain Python, no confinement).
SANDBOX_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float",
    "frozenset", "int", "isinstance", "len", "list", "map", "max", "min", "next", "pow",
    "range", "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple",
    "zip", "getattr", "hasattr", "ValueError", "TypeError", "KeyError", "IndexError",
    "ZeroDivisionError", "ArithmeticError", "Exception", "StopIteration", "True", "False",
    "None", "print",
)}


def compile_audited(source: str, signature: Signature | None = None, filename: str = "<model>",
                    grants=frozenset()):
    """Audit the source, then compile it confined; returns the function installed for
    the method (``(self, *args) -> value``, under the per-call limits)."""
    audit(source, signature)
    return compile_function(source, filename, grants=grants)


def run_limited(fn, args: tuple, seconds: float = 2.0, memory_bytes: int | None = 512 * 1024 * 1024):
    """Call ``fn(*args)`` under ``limits``."""
    with limits(seconds, memory_bytes):
        return fn(*args)
