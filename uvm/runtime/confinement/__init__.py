"""Confinement: how a model-written Python method is compiled and run, on every call.

A method the language model wrote (its provenance says ``synthesized``) is never compiled
as plain Python. Here, when it is first used after the image is opened:

1. ``policy`` compiles it with RestrictedPython plus UVM's rules (no ``finally``,
   ``yield``, ``with``, ``global``, classes, imports; exception handlers that name builtin
   exception classes only; bounded operators). Code that breaks them does not run: the
   method is treated as disabled (see ``uvm methods --disabled``).
2. Its globals are ``guards``: the rewritten attribute, item, iteration and write
   accesses go through the ``membrane``, which hands the code facades and views instead
   of UVM objects and refuses primitives, the ``python`` bridge, Python objects and
   writes outside the call's write policy (receiver, arguments, what the call made,
   objects the user approved for this method).
3. Every call runs under the ``watchdog``: ``CALL_SECONDS`` of CPU time and a memory
   bound, unless the user trusted the method (``uvm methods trust PATH SELECTOR``), which
   lifts the time and memory limits and the bounds of ``bounds`` (never the membrane).

What this does not stop, honestly: a method may still take its full time limit, grow
the process by up to its memory bound before the next tick sees it, and print to
standard output; a C-level operation that the bounds do not know and that takes long on
values of allowed size is stopped only when it returns; writes made inside UVM methods
the model code sends to are seen only for stored objects that were unchanged in the
transaction until then. Within its receiver, a method can do anything the receiver's
own UVM code could, including changing the receiver's parent slots. Everything runs in
one process: isolation from the interpreter itself rests on RestrictedPython's rewriting
and the membrane, not on the operating system.
"""
from __future__ import annotations

import ast

from uvm.runtime import objects
from uvm.runtime import send as send_mod
from uvm.runtime.confinement import membrane, watchdog
from uvm.runtime.confinement.guards import BOUNDED_BUILTINS, namespace
from uvm.runtime.confinement.membrane import (CAPABILITIES, ConfinementBreach, ConfinementError,
                                              HOST)
from uvm.runtime.confinement.policy import PolicyError, compile_confined
from uvm.runtime.confinement.watchdog import CALL_SECONDS, SandboxMemoryError, SandboxTimeout, limits
from uvm.runtime.errors import UvmError

POLICY = 1   # bump when the policy gets stricter: opening an image audits its methods again

__all__ = ["CALL_SECONDS", "CAPABILITIES", "ConfinementBreach", "ConfinementError", "POLICY",
           "PolicyError", "SandboxMemoryError", "SandboxTimeout", "check_source", "compile_function",
           "is_model_written", "limits"]


def is_model_written(method) -> bool:
    return bool((getattr(method, "provenance", None) or {}).get("synthesized"))


def _parse(source: str, filename: str, line: int = 1) -> tuple[ast.Module, ast.FunctionDef]:
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        raise PolicyError(f"{e.msg} (line {e.lineno})") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise PolicyError("the source must be exactly one def")
    if line > 1:
        ast.increment_lineno(tree, line - 1)
    return tree, tree.body[0]


def check_source(source: str) -> None:
    """Raise ``PolicyError`` when ``source`` breaks the run-time policy (nothing runs)."""
    tree, _ = _parse(source, "<audit>")
    compile_confined(tree, "<audit>", BOUNDED_BUILTINS)


def compile_function(source: str, filename: str = "<model>", line: int = 1,
                     trusted: bool = False, grants=frozenset(), seconds: float = CALL_SECONDS):
    """The confined function ``(self, *args) -> value`` for a model-written ``def``."""
    tree, fn_tree = _parse(source, filename, line)
    code = compile_confined(tree, filename, BOUNDED_BUILTINS)
    ns = namespace(bounded=not trusted)
    exec(code, ns)
    if send_mod.world is not None:
        membrane.guard_connection(getattr(send_mod.world.lobby, "_p_jar", None))
    arity = len(fn_tree.args.args) - 1
    uses_self = any(isinstance(n, ast.Name) and n.id == "self" for n in ast.walk(fn_tree))
    return _entry(ns[fn_tree.name], arity, uses_self,
                  0 if trusted else watchdog.ticks_for(seconds), seconds, frozenset(grants))


def compile_method(method):
    """The function for a model-written ``Method`` (``uvm.runtime.pymethods`` asks)."""
    provenance = method.provenance or {}
    disabled = provenance.get("disabled")
    if disabled:
        return _disabled(method.selector, disabled)
    grants = frozenset(bytes.fromhex(oid) for oid in (provenance.get("may_change") or {}))
    try:
        return compile_function(method.source, method.file, method.line,
                                trusted=bool(provenance.get("trusted")), grants=grants)
    except PolicyError as e:  # written under an older, weaker policy: it never runs
        return _disabled(method.selector, f"it breaks the confinement policy: {e}")


def _disabled(selector: str, why: str):
    def disabled(self, *args):
        raise UvmError(f"the model-written method {selector} is disabled ({why}); "
                       f"`uvm methods --disabled` lists such methods")
    return disabled


_ENTRY = """
def entry(self{params}):
    saved = S.limit
    if limit and not saved:
        if not S.armed:
            arm()
        S.start = S.ticks
        S.limit = limit
    outer = C.call
    C.call = (self, grants{args})
    try:
        r = fn({receiver}{wrapped})
    finally:
        S.limit = saved
        C.call = outer
        if outer is None and C.made:
            C.made.clear()
    return r if type(r) in HOST else unwrap(r)
"""


def _entry(fn, arity: int, uses_self: bool, limit: int, seconds: float, grants: frozenset):
    """The function installed for the method: it starts the clock (outermost limited
    call only), notes the call for the write policy, wraps what goes in and unwraps
    what comes out (a receiver the code never names is not wrapped). Generated per
    arity: this is every call's overhead."""
    names = [f"a{i}" for i in range(arity)]
    source = _ENTRY.format(
        receiver="self if type(self) in HOST else wrap(self)" if uses_self else "None",
        params="".join(f", {n}" for n in names),
        args="".join(f", {n}" for n in names),
        wrapped="".join(f", {n} if type({n}) in HOST else wrap({n})" for n in names))
    env = {"S": watchdog.state, "arm": watchdog.arm, "C": objects.confined, "HOST": HOST,
           "wrap": membrane.wrap,
           "unwrap": membrane.unwrap, "fn": fn, "limit": limit, "seconds": seconds,
           "grants": grants}
    exec(compile(source, "<confined entry>", "exec"), env)
    return env["entry"]
