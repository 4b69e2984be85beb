"""Compiling a model-written method confined, and the entry every call goes through."""
from __future__ import annotations

import ast

from uvm.runtime import objects
from uvm.runtime import send as send_mod
from uvm.runtime.confinement import membrane, watchdog
from uvm.runtime.confinement.guards import BOUNDED_BUILTINS, namespace
from uvm.runtime.confinement.membrane import HOST
from uvm.runtime.confinement.policy import PolicyError, compile_confined
from uvm.runtime.confinement.watchdog import CALL_SECONDS
from uvm.runtime.errors import UvmError


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
