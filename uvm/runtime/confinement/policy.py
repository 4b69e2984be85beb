"""Compiling model-written Python: RestrictedPython's transformer, with UVM's rules added.

RestrictedPython's ``compile_restricted`` rewrites every attribute read into
``_getattr_(obj, name)``, every item read into ``_getitem_``, every ``for`` and
comprehension into ``_getiter_``, every attribute or item write into ``_write_(obj)``;
the membrane supplies those guards, so the policy is checked on the actual object when
the code runs and aliasing cannot get round it. It already refuses names and
attributes starting with ``_``, ``exec``/``eval`` and several inspection attributes.
``ConfinedPolicy`` adds what UVM needs:

* rejected outright: ``finally`` (it runs while the time limit unwinds, and can loop),
  ``yield`` (generator functions: their ``finally``-less frames still run again when
  collected), ``async``/``await``, ``with`` (``__exit__`` may swallow the time limit),
  ``global``/``nonlocal``, classes, imports, decorators, ``except*``; a bare ``except``
  and handlers whose type is not a builtin exception class named directly (the handler's
  type is evaluated while an exception propagates: anything else could raise a new
  exception that replaces the time limit's); binding a builtin's name; format specs in
  f-strings that are not short constants. Comprehensions and generator expressions
  stay: small models use them all the time, and they have no ``finally``.
* added: the entry every call goes through (``ENTRY``), in the method's own frame so
  that it costs no extra call: it starts the clock (the outermost limited call only),
  notes the call for the write policy, wraps what comes in and unwraps what is
  returned (a receiver the code never names is not wrapped);
* rewritten: ``*``, ``**``, ``<<`` and ``%`` into the bounded operators of ``bounds``
  (except a product with a small integer constant, which only grows linearly: the
  watchdog's limits bound that);
  ``x.a += v`` and ``x[k] += v`` into guarded reads and writes (RestrictedPython refuses
  them, small models write them constantly); the covenant line
  ``self._p_changed = True`` into ``_covenant_(self)``.
"""
from __future__ import annotations

import ast
import copy
import warnings

from RestrictedPython import compile_restricted_exec
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer

# The exception classes model code may name in an ``except`` (all derive from Exception).
EXCEPTIONS = ("Exception", "ValueError", "TypeError", "KeyError", "IndexError",
              "ZeroDivisionError", "ArithmeticError", "StopIteration", "AttributeError",
              "LookupError", "OverflowError", "RuntimeError", "RecursionError",
              "NotImplementedError", "AssertionError", "UnicodeError")
MAX_FORMAT_SPEC = 6   # characters of an f-string's format spec (`>10`, `.3f`, `08.2f`)

_BINARY_GUARDS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}


class ConfinedPolicy(RestrictingNodeTransformer):
    builtin_names: frozenset = frozenset()   # set by compile_confined

    def visit_Module(self, node):
        node = super().visit_Module(node)
        if node.body and isinstance(node.body[-1], ast.FunctionDef) and node.body[-1].args.args:
            _add_entry(node.body[-1])
        return node

    # --- rejected ---------------------------------------------------------------------------
    def _refuse(self, node, what: str):
        self.error(node, f"{what} are not allowed in model-written code")

    def visit_Try(self, node):
        if node.finalbody:
            self._refuse(node, "finally blocks")
        for handler in node.handlers:
            if handler.type is None:
                self._refuse(handler, "bare except clauses")
            elif not _names_builtin_exceptions(handler.type):
                self.error(handler, "an except clause must name builtin exception classes "
                                    f"({', '.join(EXCEPTIONS[:6])}, ...)")
        return super().visit_Try(node)

    def visit_Yield(self, node):
        self._refuse(node, "yield and generator functions")

    visit_YieldFrom = visit_Yield

    def visit_With(self, node):
        self._refuse(node, "with statements")

    def visit_Global(self, node):
        self._refuse(node, "global statements")

    def visit_ClassDef(self, node):
        self._refuse(node, "classes")

    def visit_Import(self, node):
        self._refuse(node, "imports")

    visit_ImportFrom = visit_Import

    def visit_AsyncFunctionDef(self, node):
        self._refuse(node, "async functions")

    visit_AsyncFor = visit_AsyncWith = visit_Await = visit_AsyncFunctionDef

    def visit_FunctionDef(self, node):
        if node.decorator_list:
            self._refuse(node, "decorators")
        self._check_bindings(node.args)
        return super().visit_FunctionDef(node)

    def visit_Lambda(self, node):
        self._check_bindings(node.args)
        return super().visit_Lambda(node)

    def _check_bindings(self, args: ast.arguments) -> None:
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None and a.arg in self.builtin_names:
                self.error(a, f"{a.arg!r} is a builtin: it cannot be an argument's name")

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)) and node.id in self.builtin_names:
            self.error(node, f"{node.id!r} is a builtin: it cannot be assigned")
        return super().visit_Name(node)

    def visit_ExceptHandler(self, node):
        if node.name in self.builtin_names:
            self.error(node, f"{node.name!r} is a builtin: it cannot be assigned")
        return super().visit_ExceptHandler(node)

    def visit_FormattedValue(self, node):
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if not all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts) \
                    or sum(len(p.value) for p in parts) > MAX_FORMAT_SPEC:
                self.error(node, "an f-string's format spec must be a short constant")
        return super().visit_FormattedValue(node)

    # --- rewritten --------------------------------------------------------------------------
    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        guard = _BINARY_GUARDS.get(type(node.op))
        if guard is None or _grows_linearly(node):
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        return _located(call, node)

    def visit_Assign(self, node):
        if _is_covenant_line(node):
            call = ast.Call(func=ast.Name("_covenant_", ast.Load()),
                            args=[ast.Name("self", ast.Load())], keywords=[])
            return _located(ast.Expr(call), node)
        return super().visit_Assign(node)

    def visit_AugAssign(self, node):
        target = node.target
        if not isinstance(target, (ast.Attribute, ast.Subscript)):
            return super().visit_AugAssign(node)
        read = copy.deepcopy(target)
        read.ctx = ast.Load()
        read, value, target = self.visit(read), self.visit(node.value), self.visit(target)
        call = ast.Call(func=ast.Name("_inplacevar_", ast.Load()),
                        args=[ast.Constant(IOPERATOR_TO_STR[type(node.op)]), read, value],
                        keywords=[])
        return _located(ast.Assign(targets=[target], value=call), node)


SMALL_FACTOR = 1024


def _grows_linearly(node: ast.BinOp) -> bool:
    """``x * 3``, ``2 * s``: a result at most a small constant factor bigger than an
    operand, made in linear time. No C loop can run long on it; a loop that keeps
    multiplying is stopped by the watchdog's time limit and memory bound."""
    def small(e):
        return isinstance(e, ast.Constant) and type(e.value) is int and abs(e.value) <= SMALL_FACTOR
    return isinstance(node.op, ast.Mult) and (small(node.left) or small(node.right))


# The entry, around the method's body; its names are the method's globals (``guards``).
# _MAX_DEPTH_ keeps model code that recurses through C (sorted's key, map) inside what the
# C stack holds: such recursion ends in UVM's "stack overflow", not in a crash.
ENTRY = """
_saved_ = _S_.limit
if _limit_ and not _saved_:
    if not _S_.armed:
        _arm_()
    _S_.start = _S_.ticks
    _S_.seconds = _seconds_
    _S_.limit = _limit_
if {host_only}:
    _outer_ = _PURE_
else:
    _outer_ = _C_.call
    _C_.call = ({call})
    _C_.depth += 1
try:
    if _outer_ is not _PURE_:
        if _C_.depth > _MAX_DEPTH_:
            raise RecursionError("model-written methods nested too deeply")
        {wrap}
finally:
    _S_.limit = _saved_
    if _outer_ is not _PURE_:
        _C_.depth -= 1
        _C_.call = _outer_
        if _outer_ is None and _C_.made:
            _C_.made.clear()
"""


def _add_entry(fn: ast.FunctionDef) -> None:
    """Put ENTRY around the body. A call that gets only host values (numbers, strings...)
    and does not name a receiver that is not one can reach no UVM object at all -- no
    send, no write -- so it skips the write policy's bookkeeping (``_PURE_``)."""
    params = [a.arg for a in fn.args.args]
    receiver, args = params[0], params[1:]
    uses_receiver = any(isinstance(n, ast.Name) and n.id == receiver
                        for stmt in fn.body for n in ast.walk(stmt))
    wrapped = ([receiver] if uses_receiver else []) + args
    host_only = " and ".join(f"_type_({n}) in _HOST_" for n in wrapped) or "True"
    wrap = "; ".join(f"{n} = {n} if _type_({n}) in _HOST_ else _wrap_({n})" for n in wrapped) or "pass"
    entry = ast.parse(ENTRY.format(call=", ".join([receiver, "_grants_", *args]) + ",",
                                   host_only=host_only, wrap=wrap))
    entry.body[-1].body += [_returns_unwrapped(stmt) for stmt in fn.body]
    for stmt in entry.body:
        _located(stmt, fn.body[0])
    fn.body = entry.body


class _Returns(ast.NodeTransformer):
    """``return x`` -> ``return _r_ if _type_(_r_ := x) in _HOST_ else _unwrap_(_r_)``,
    in the method's own body (not in functions defined inside it)."""

    def visit_Return(self, node):
        if node.value is None:
            return node
        value = ast.parse("_r_ if _type_(_r_ := VALUE) in _HOST_ else _unwrap_(_r_)",
                          mode="eval").body
        value.test.left.args[0].value = node.value
        return _located(ast.Return(value=value), node)

    def visit_FunctionDef(self, node):
        return node

    visit_Lambda = visit_FunctionDef


def _returns_unwrapped(stmt: ast.stmt) -> ast.stmt:
    return _Returns().visit(stmt)


def _located(new: ast.AST, old: ast.AST) -> ast.AST:
    ast.copy_location(new, old)
    return ast.fix_missing_locations(new)


def _names_builtin_exceptions(expr: ast.AST) -> bool:
    names = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    return bool(names) and all(isinstance(n, ast.Name) and n.id in EXCEPTIONS for n in names)


def _is_covenant_line(node: ast.Assign) -> bool:
    if len(node.targets) != 1:
        return False
    t = node.targets[0]
    return isinstance(t, ast.Attribute) and t.attr == "_p_changed" \
        and isinstance(t.value, ast.Name) and t.value.id == "self" \
        and isinstance(node.value, ast.Constant) and node.value.value is True


class PolicyError(Exception):
    """The code breaks the confinement policy; the message lists each rule it broke."""


def compile_confined(tree_or_source, filename: str, builtin_names) -> object:
    """A code object for the module holding the model's ``def``, compiled under the
    policy; raises ``PolicyError`` naming what it broke."""
    policy = type("Policy", (ConfinedPolicy,), {"builtin_names": frozenset(builtin_names)})
    with warnings.catch_warnings():  # CPython's SyntaxWarnings (`x is 1`) would reach the user
        warnings.simplefilter("ignore", SyntaxWarning)
        result = compile_restricted_exec(tree_or_source, filename, policy=policy)
    if result.errors or result.code is None:
        raise PolicyError("; ".join(result.errors) or "the code does not compile")
    return result.code
