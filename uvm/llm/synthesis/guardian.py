"""The PersistenceGuardian: an audit of model-written Python before any of it runs.

A method the model writes is one ``def`` whose signature the pipeline dictated. The audit
is the first of two lines; the second, the one that holds against aliasing, is the
run-time confinement every call of the method runs under (``uvm.runtime.confinement``).

The audit (static, on the syntax tree) rejects:

* escapes: imports, names and attributes starting with ``_`` (except the covenant's
  ``self._p_changed = True``), ``exec``/``eval``/``compile``/``open``/``getattr`` by a
  computed name and the other FORBIDDEN_CALLS, ``global``/``nonlocal``, classes,
  decorators, async code, ``format``/``format_map``, frame and code attributes, the
  ``python`` object, strings holding ``__``, a ``send`` whose selector is not a constant;
* what defeats the time limit: ``finally`` (it runs while the limit unwinds), ``yield``
  (generator functions), ``with`` (``__exit__``), a bare ``except`` or one naming anything
  but builtin exception classes, loops inside handlers;
* what is too big to review (MAX_NODES, MAX_DEPTH), and a method that breaks the
  Persistence Covenant: one that changes a value held by ``self`` in place must end with
  ``self._p_changed = True`` so the change is saved;
* and whatever the run-time policy's compiler refuses (it is run here too, so the model
  hears why in its feedback).

Comprehensions and generator expressions are allowed: small models use them all the
time, and they cannot hold a ``finally``.

What the audit cannot stop is aliasing: ``s = self.send; s('python')`` passes it. That
is why nothing rests on it alone: the run-time membrane checks the actual selector and
object on every access, the write policy every change, the watchdog every call's time
and memory, and the bounds every operation that could loop in C (see
``uvm.runtime.confinement`` for what those do not stop).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

FORBIDDEN_CALLS = {
    "exec", "eval", "compile", "open", "globals", "locals", "vars", "__import__",
    "breakpoint", "input", "help", "exit", "quit", "memoryview", "classmethod",
    "staticmethod", "property", "super", "object", "type", "delattr", "setattr", "getattr",
    "hasattr", "dir", "id",
}
ATTRIBUTE_BY_NAME = {"getattr", "hasattr"}  # allowed only as calls with a constant, public name
# Public names that still lead out of the sandbox: frames, code objects, str.format's
# attribute lookups, and the `python` object that grants modules (user code only).
FORBIDDEN_ATTRIBUTES = {"format", "format_map", "mro", "python", "import_"}
FORBIDDEN_PREFIXES = ("f_", "co_", "gi_", "cr_", "ag_", "tb_", "func_")
MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
            "add", "discard", "sort", "reverse", "popitem", "__setitem__", "__delitem__"}
MAX_NODES = 1500
MAX_DEPTH = 30


class CovenantViolationError(Exception):
    """The model's code broke a rule; ``rule`` names it, ``line`` is 1-based in the code."""

    def __init__(self, rule: str, line: int, detail: str = ""):
        self.rule, self.line, self.detail = rule, line, detail
        super().__init__(f"{rule} (line {line}){': ' + detail if detail else ''}")


@dataclass(frozen=True)
class Signature:
    """What the pipeline asked for: ``def at_Put_(self, i, v):``."""
    name: str
    params: tuple[str, ...]

    @classmethod
    def for_selector(cls, selector: str, arg_names: tuple[str, ...] | None = None) -> "Signature":
        arity = selector.count(":") if selector[:1].isalpha() or selector[:1] == "_" else 1
        name = selector.replace(":", "_") if selector[:1].isalpha() else "binary_op"
        names = arg_names or tuple(f"arg{i + 1}" for i in range(arity))
        return cls(name, ("self",) + tuple(names))

    def source(self) -> str:
        return f"def {self.name}({', '.join(self.params)}):"


def audit(source: str, signature: Signature | None = None) -> ast.FunctionDef:
    """Parse and check the model's code; returns the function's tree or raises
    ``CovenantViolationError`` (a Python syntax error counts as a violation too)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise CovenantViolationError("the code is not valid Python", e.lineno or 1, e.msg) from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise CovenantViolationError("the code must be exactly one function definition", 1)
    fn = tree.body[0]
    if signature is not None:
        params = tuple(a.arg for a in fn.args.args)
        if fn.name != signature.name or params[:1] != ("self",) or len(params) != len(signature.params) \
                or fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs or fn.args.posonlyargs:
            raise CovenantViolationError("the function must have the requested signature",
                                         fn.lineno, f"expected {signature.source()}")
    if fn.decorator_list:
        raise CovenantViolationError("decorators are not allowed", fn.lineno)
    _Audit().check(fn)
    _check_covenant(fn)
    from uvm.runtime.confinement import PolicyError, check_source
    try:
        check_source(source)
    except PolicyError as e:
        raise CovenantViolationError("the confinement policy refuses it", fn.lineno, str(e)) from None
    return fn


class _Audit(ast.NodeVisitor):
    def check(self, fn: ast.FunctionDef) -> None:
        self.nodes = 0
        self.finally_depth = 0
        self.handler_depth = 0
        self.loop_in_finally = 0
        for stmt in fn.body:
            self.visit_depth(stmt, 1)

    def visit_depth(self, node: ast.AST, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise CovenantViolationError("the method is too large", getattr(node, "lineno", 1))
        if depth > MAX_DEPTH:
            raise CovenantViolationError("the method is nested too deeply", getattr(node, "lineno", 1))
        self.depth = depth
        self.visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        depth = self.depth
        for child in ast.iter_child_nodes(node):
            self.visit_depth(child, depth + 1)
        self.depth = depth

    def fail(self, rule: str, node: ast.AST, detail: str = "") -> None:
        raise CovenantViolationError(rule, getattr(node, "lineno", 1), detail)

    # --- escapes -------------------------------------------------------------------------------
    def visit_Import(self, node):
        self.fail("imports are not allowed", node)

    visit_ImportFrom = visit_Import

    def visit_Global(self, node):
        self.fail("global and nonlocal are not allowed", node)

    visit_Nonlocal = visit_Global

    def visit_Name(self, node):
        if node.id.startswith("_"):
            self.fail("names starting with '_' are not allowed", node, node.id)
        if node.id in FORBIDDEN_CALLS:  # getattr/hasattr calls are checked in visit_Call
            self.fail(f"{node.id} is not allowed", node)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr.startswith("_") and not _is_covenant_target(node):
            self.fail("attributes starting with '_' are not allowed", node, node.attr)
        if node.attr in FORBIDDEN_ATTRIBUTES or node.attr.startswith(FORBIDDEN_PREFIXES):
            self.fail(f"the attribute {node.attr!r} is not allowed", node)
        self.generic_visit(node)

    def visit_Call(self, node):
        f = node.func
        if isinstance(f, ast.Name) and f.id in ATTRIBUTE_BY_NAME:
            self._constant_name(node, node.args[1] if len(node.args) > 1 else None, f.id)
            for child in [*node.args, *node.keywords]:
                self.visit_depth(child, self.depth + 1)
            return
        if isinstance(f, ast.Attribute) and f.attr == "send":
            self._constant_name(node, node.args[0] if node.args else None, "send")
        self.generic_visit(node)

    def _constant_name(self, node, name, what: str) -> None:
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)
                and not name.value.startswith("_") and name.value not in FORBIDDEN_ATTRIBUTES
                and not name.value.startswith(FORBIDDEN_PREFIXES)):
            self.fail(f"{what} needs a constant, public name", node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and "__" in node.value:
            self.fail("strings containing '__' are not allowed", node, node.value[:40])

    def visit_FunctionDef(self, node):
        if node.decorator_list:
            self.fail("decorators are not allowed", node)
        self.generic_visit(node)

    def visit_ClassDef(self, node):
        self.fail("classes are not allowed", node)

    def visit_AsyncFunctionDef(self, node):
        self.fail("async code is not allowed", node)

    visit_Await = visit_AsyncFor = visit_AsyncWith = visit_AsyncFunctionDef

    # --- what defeats the time limit -------------------------------------------------------------
    def visit_TryStar(self, node):
        self.fail("except* is not allowed", node)

    def visit_Try(self, node):
        for handler in node.handlers:
            if handler.type is None:
                self.fail("a bare except is not allowed (it would catch the time limit)", handler)
            if _catches_everything(handler.type):
                self.fail("except BaseException is not allowed (it would catch the time limit)", handler)
            if not _names_builtin_exceptions(handler.type):
                self.fail("an except clause must name builtin exception classes (ValueError, "
                          "KeyError, ...)", handler)
        for stmt in node.body + node.orelse:
            self.visit_depth(stmt, self.depth + 1)
        self.handler_depth += 1
        for handler in node.handlers:
            self.visit_depth(handler, self.depth + 1)
        self.handler_depth -= 1
        self.finally_depth += 1
        self.handler_depth += 1
        for stmt in node.finalbody:
            self.visit_depth(stmt, self.depth + 1)
        self.finally_depth -= 1
        self.handler_depth -= 1
        if node.finalbody:
            self.fail("finally blocks are not allowed (they run while the time limit unwinds)", node)

    def visit_Yield(self, node):
        self.fail("yield is not allowed (no generator functions; generator expressions are "
                  "fine)", node)

    visit_YieldFrom = visit_Yield

    def visit_With(self, node):
        self.fail("with statements are not allowed", node)

    def _loop(self, node):
        if self.handler_depth:
            self.fail("loops inside except or finally blocks are not allowed", node)
        saved = self.finally_depth
        self.finally_depth = 0  # break/continue in a loop inside finally is the loop's own
        self.generic_visit(node)
        self.finally_depth = saved

    visit_For = visit_While = _loop

    def visit_Return(self, node):
        if self.finally_depth:
            self.fail("return inside finally is not allowed", node)
        self.generic_visit(node)

    def visit_Break(self, node):
        if self.finally_depth:
            self.fail("break or continue inside finally is not allowed", node)

    visit_Continue = visit_Break

    def visit_Lambda(self, node):
        self.generic_visit(node)


def _names_builtin_exceptions(expr: ast.AST) -> bool:
    from uvm.runtime.confinement.policy import EXCEPTIONS
    names = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    return bool(names) and all(isinstance(n, ast.Name) and n.id in EXCEPTIONS for n in names)


def _catches_everything(expr: ast.AST) -> bool:
    names = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    return any(isinstance(n, ast.Name) and n.id in ("BaseException", "SystemExit", "KeyboardInterrupt")
               for n in names)


def _is_covenant_target(node: ast.Attribute) -> bool:
    return node.attr == "_p_changed" and isinstance(node.value, ast.Name) and node.value.id == "self" \
        and isinstance(node.ctx, ast.Store)


def _held_by_self(expr: ast.AST) -> bool:
    """``self.x``, ``self.x[...]``, ``self.x.y``: a value reached through self's slots."""
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            return True
        expr = expr.value
    return False


def _mutates_self_state(fn: ast.FunctionDef) -> int | None:
    """The line of the first in-place change to a value held by self, if any."""
    for node in ast.walk(fn):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, ast.AugAssign):
            targets = [node.target]
        for t in targets:
            if isinstance(t, (ast.Subscript, ast.Attribute)) and not (
                    isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"):
                if _held_by_self(t):
                    return node.lineno
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in MUTATORS and _held_by_self(node.func.value):
            return node.lineno
    return None


def _check_covenant(fn: ast.FunctionDef) -> None:
    line = _mutates_self_state(fn)
    if line is None:
        return
    last = [s for s in fn.body if not isinstance(s, ast.Return)]
    ends = bool(last) and isinstance(last[-1], ast.Assign) and len(last[-1].targets) == 1 \
        and isinstance(last[-1].targets[0], ast.Attribute) and _is_covenant_target(last[-1].targets[0]) \
        and isinstance(last[-1].value, ast.Constant) and last[-1].value.value is True
    if not ends:
        raise CovenantViolationError(
            "the Persistence Covenant: a method that changes a value held by self in place "
            "must end with `self._p_changed = True`", line)


def changes_self(source: str) -> bool:
    """Whether the method writes a slot of ``self`` or changes a value it holds: such a
    method may answer nothing; one that does neither must answer something."""
    fn = ast.parse(source).body[0]
    for node in ast.walk(fn):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AugAssign) else []
        if any(_held_by_self(t) for t in targets):
            return True
    return _mutates_self_state(fn) is not None


def add_covenant_line(source: str) -> str:
    """The source with ``self._p_changed = True`` put where the covenant wants it (before
    the closing returns) when the method changes a held value in place and lacks it;
    otherwise the source unchanged. Models forget this line more than anything else."""
    fn = ast.parse(source).body[0]
    if _mutates_self_state(fn) is None:
        return source
    try:
        _check_covenant(fn)
        return source
    except CovenantViolationError:
        pass
    body = fn.body
    i = len(body)
    while i > 0 and isinstance(body[i - 1], ast.Return):
        i -= 1
    lines = source.split("\n")
    indent = " " * body[0].col_offset
    at = body[i].lineno - 1 if i < len(body) else body[-1].end_lineno
    lines.insert(at, indent + "self._p_changed = True")
    return "\n".join(lines)


def uses_its_inputs(source: str) -> bool:
    """Whether the method reads ``self`` or one of its arguments: one that reads neither
    answers the same for every send (a small model's way of copying an example's value)."""
    fn = ast.parse(source).body[0]
    params = {a.arg for a in fn.args.args}
    return any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(fn))
