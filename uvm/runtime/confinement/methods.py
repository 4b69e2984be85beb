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

# Model-written calls nested in one another. The recursion limit (uvm.runtime.stack) is what
# keeps all code inside the C stack: it is chosen for the stack the evaluating thread has (the
# main thread's is raised toward 480 MB), at 4 KB per unit. This cap is a second, fixed bound
# for model code, whose calls through the membrane and C (sorted's key, map) cost C stack that
# was not measured per unit: 800 levels fit even the smallest stack that module plans for (a
# thread's 8 MB, where recursion through sorted(key=...) crashed at 1,000-1,500 levels).
MAX_DEPTH = 800


_PURE = object()  # a call that got host values only (see policy.ENTRY)


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
    ns.update(_S_=watchdog.state, _arm_=watchdog.arm, _C_=objects.confined, _HOST_=HOST,
              _type_=type, _wrap_=membrane.wrap, _unwrap_=membrane.unwrap,
              _limit_=0 if trusted else watchdog.ticks_for(seconds), _seconds_=seconds,
              _grants_=frozenset(grants), _MAX_DEPTH_=MAX_DEPTH, _PURE_=_PURE)
    exec(code, ns)
    if send_mod.world is not None:
        membrane.guard_connection(getattr(send_mod.world.lobby, "_p_jar", None))
    return ns[fn_tree.name]


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
