"""Compile UVM syntax trees to Python functions -- compile, don't walk.

Each UVM method (and each top-level program) becomes one Python function; locals and
arguments become Python locals, blocks become nested functions (closures), so a send costs
close to a Python call. The generated code is three-address style: every send is one line,
and each line is mapped back to the UVM span it came from (``errors.CodeInfo``), which is
how backtraces show UVM locations.

Speed comes from three things, each guarded so semantics never change:
* call-site caches (``send.Site``) for host-value receivers: a type check, then a call;
* host arithmetic and comparisons on two ints, and ``,`` on two strings, inlined behind a
  type guard;
* ``ifTrue:False:``, ``whileTrue:``, ``to:Do:``, ``timesRepeat:``, ``and:``/``or:`` with
  literal blocks inlined as Python control flow behind a guard on the receiver's type,
  falling back to a real send otherwise;
* a call site that keeps reading or writing one object's data slot goes straight to the
  slot dictionary (``Site.dobj``).

Inlining is decided at compile time, per group of selectors, and stays on only while the
core world's own methods for them are in effect (``INLINE_ON``); when a program redefines
one (say ``+`` on integers), every compiled method is dropped and recompiled on next use.
Names that never change (``self``, arguments) reach blocks as default arguments rather
than closure cells, which keeps them fast locals in the method.
"""
from __future__ import annotations

import dataclasses
import itertools
import re
import weakref

from uvm.runtime import send as send_mod
from uvm.runtime.errors import CodeInfo, Home, NonLocalReturn, UvmError, register_code
from uvm.runtime.objects import ASSIGNABLE, CONSTANT, PARENT, Block, Method, UvmObject
from uvm.runtime.provenance import split_annotations
from uvm.syntax import ast as A

# Selectors compiled inline, by the flag that guards them and the trait they live in.
INLINE_GROUPS = {
    "ARITH": ("integer", ("+", "-", "*", "<", ">", "<=", ">=", "=", "!=")),
    "BOOLS": ("boolean", ("ifTrue:", "ifFalse:", "ifTrue:False:", "ifFalse:True:", "and:", "or:")),
    "BLOCKS": ("block", ("whileTrue:", "whileFalse:", "whileTrue", "whileFalse", "repeat",
                         "value", "value:", "value:With:", "value:With:With:",
                         "value:With:With:With:")),
    "LOOPS": ("integer", ("to:Do:", "to:By:Do:", "timesRepeat:")),
    "STRINGS": ("string", (",",)),
}
INLINE_ON = {flag: True for flag in INLINE_GROUPS}
_INLINED = {sel: flag for flag, (_, sels) in INLINE_GROUPS.items() for sel in sels}
_ARITH_OPS = {"+": "+", "-": "-", "*": "*", "<": "<", ">": ">", "<=": "<=", ">=": ">=",
              "=": "==", "!=": "!="}


def _nlr(home: Home, value):
    if not home.alive:
        raise UvmError("non-local return from a method that has already returned")
    raise NonLocalReturn(home, value)


def _not_boolean(value, selector):
    raise UvmError(f"{selector} needs a boolean condition, got {send_mod.send(value, 'printString')}")


def _new_object(layout: tuple, values: tuple) -> UvmObject:
    """A fresh object from a literal: no cache can know it yet, so no invalidation."""
    obj = UvmObject()
    slots, kinds = obj._slots, obj._kinds
    annotations = None
    for (name, kind, ann), value in zip(layout, values):
        slots[name] = value
        kinds[name] = kind
        if ann:
            annotations = annotations or {}
            annotations[name] = ann
    if annotations:
        obj._annotations = annotations
    return obj


class _Box:
    """Holds the variables a fallback's blocks share with their method (see fallback)."""


# The globals every generated function runs with.
G: dict = {
    "__builtins__": {"type": type, "int": int, "str": str, "range": range},
    "_miss": send_mod.site_miss, "_resend": send_mod.resend, "_nlr": _nlr,
    "_not_boolean": _not_boolean, "_new_object": _new_object,
    "Block": Block, "Home": Home, "NonLocalReturn": NonLocalReturn, "_Box": _Box,
}


def check_inline_guards(selectors=None) -> None:
    """Re-decide each inlining flag: inlining stays on only while lookup of its selectors in
    the core trait still finds the core world's own methods."""
    world = send_mod.world
    if world is None:
        return
    before = dict(INLINE_ON)
    for flag, (trait_name, sels) in INLINE_GROUPS.items():
        if selectors is not None and not any(s in sels for s in selectors):
            continue
        trait = world.traits._slots.get(trait_name)
        ok = trait is not None
        for sel in sels if ok else ():
            found = send_mod.lookup(trait, sel)
            value = found and found[0]._slots[found[1]]
            if not (type(value) is Method and value.core):
                ok = False
                break
        INLINE_ON[flag] = ok
    if INLINE_ON != before:
        for method in list(compiled_methods):
            method._fn = None
        for forget in on_recompile:
            forget()
        send_mod.invalidate_all()


compiled_methods: "weakref.WeakSet[Method]" = weakref.WeakSet()
on_recompile: list = []  # callables that drop other compiled code (the image's program cache)


send_mod._inline_check = check_inline_guards

_unit_ids = itertools.count(1)


class CompileError(UvmError):
    """Something the syntax allows but the compiler cannot give a meaning to."""


# --- scopes ----------------------------------------------------------------------------------

class Var:
    __slots__ = ("py", "assignable", "fn")

    def __init__(self, py: str, assignable: bool, fn: "Fn"):
        self.py, self.assignable, self.fn = py, assignable, fn


class Scope:
    def __init__(self, parent: "Scope | None", fn: "Fn"):
        self.parent, self.fn, self.vars = parent, fn, {}

    def find(self, name: str) -> Var | None:
        s = self
        while s is not None:
            v = s.vars.get(name)
            if v is not None:
                return v
            s = s.parent
        return None


class Fn:
    """One Python function being generated: its lines (indent, text, span)."""

    def __init__(self, name: str, params: list[str], home: "Fn | None"):
        self.name = name
        self.params = params
        self.home = home or self        # the method activation ^ returns from
        self.lines: list[tuple[int, str, A.Span | None]] = []
        self.indent = 1
        self.nonlocals: set[str] = set()
        self.needs_home = False          # some block inside returns non-locally
        self.fixed: set[str] = {"self"} | set(params)  # names never reassigned here
        self.type_uses: dict[str, int] = {}
        self.ints: set[str] = set()    # names known to hold ints (no guard needed)
        self.bools: set[str] = set()   # names known to hold booleans
        self.int_tests: set[str] = set()  # names an int guard had to test

    def type_of(self, name: str) -> str:
        """``type(name)``; for a name never reassigned, a marker that ``finish`` turns
        into one ``type()`` call at entry when the name is tested more than once."""
        if name in self.fixed:
            self.type_uses[name] = self.type_uses.get(name, 0) + 1
            return f"\x00{name}\x00"
        return f"type({name})"

    def finish(self) -> None:
        """Resolve the type markers (see ``type_of``)."""
        cached = {n for n, uses in self.type_uses.items() if uses > 1}
        lines = []
        for indent, text, span in self.lines:
            if "\x00" in text:
                parts = text.split("\x00")
                for i in range(1, len(parts), 2):
                    parts[i] = f"T_{parts[i]}" if parts[i] in cached else f"type({parts[i]})"
                text = "".join(parts)
            lines.append((indent, text, span))
        self.lines = [(1, f"T_{n} = type({n})", None) for n in sorted(cached)] + lines


# --- the compiler ----------------------------------------------------------------------------

class Compiler:
    def __init__(self, unit_name: str, core: bool, source: str, method: Method | None = None):
        self.unit_name = unit_name
        self.source = source  # the text the spans index into (methods keep their slices)
        self.core = core
        self.method = method
        self.consts: list = []
        self.counter = itertools.count()
        self.inline = 0  # > 0 while compiling fallback code, where nothing is inlined
        self.box = None  # (fn, box name, [boxed names]) while compiling a fallback
        self.span: A.Span | None = None

    # -- helpers
    def const(self, value) -> str:
        for i, v in enumerate(self.consts):
            if v is value:
                return f"K{i}"
        self.consts.append(value)
        return f"K{len(self.consts) - 1}"

    def tmp(self) -> str:
        return f"t{next(self.counter)}"

    def emit(self, fn: Fn, text: str, span: A.Span | None = None) -> None:
        fn.lines.append((fn.indent, text, span or self.span))

    def declare(self, scope: Scope, name: str, assignable: bool) -> Var:
        var = Var(f"v_{name}_{next(self.counter)}", assignable, scope.fn)
        scope.vars[name] = var
        return var

    def use(self, fn: Fn, var: Var, assigning: bool) -> str:
        """The Python expression for a variable as seen from ``fn`` (see ``fallback`` for
        boxed variables)."""
        box = self.box
        if box is not None and var.fn is box[0] and fn is not var.fn and var.py not in var.fn.fixed:
            if var.py not in box[2]:
                box[2].append(var.py)
            return f"{box[1]}.{var.py}"
        if assigning and var.fn is not fn:
            fn.nonlocals.add(var.py)
        return var.py

    # -- entry points
    def function(self, fn: Fn, scope: Scope, slots, code, result_self: bool) -> None:
        """Body of a method, block or program: locals, statements, the return value."""
        self.init_locals(fn, scope, slots)
        value = self.statements(fn, scope, code)
        if value is None:
            value = "self" if result_self else "None"
        self.emit(fn, f"return {value}")

    def init_locals(self, fn: Fn, scope: Scope, slots) -> None:
        for slot in slots:
            if slot.kind is A.SlotKind.ARGUMENT:
                continue
            self.span = slot.span
            if slot.is_method:
                raise CompileError(f"{slot.span}: a method slot cannot be a local of a method or block")
            value = self.expr(fn, scope, slot.value) if slot.value is not None else "None"
            var = self.declare(scope, slot.name, slot.kind is A.SlotKind.ASSIGNABLE)
            self.emit(fn, f"{var.py} = {value}", slot.span)

    def statements(self, fn: Fn, scope: Scope, code) -> str | None:
        value = None
        for stmt in code:
            if isinstance(stmt, A.Return):
                self.ret(fn, scope, stmt)
                return "None"  # unreachable in Python, keeps a value for the caller
            value = self.expr(fn, scope, stmt)
        return value

    def ret(self, fn: Fn, scope: Scope, stmt: A.Return) -> None:
        value = self.expr(fn, scope, stmt.value)
        self.span = stmt.span
        if fn.home is fn:
            self.emit(fn, f"return {value}")
        else:
            fn.home.needs_home = True
            self.emit(fn, f"_nlr(_home, {value})")

    # -- expressions: each returns a simple Python expression (a name or a literal)
    def expr(self, fn: Fn, scope: Scope, node) -> str:
        self.span = node.span
        if isinstance(node, A.Integer):
            return repr(node.value)
        if isinstance(node, A.Float):
            return repr(node.value) if node.value == node.value and abs(node.value) != float("inf") else self.const(node.value)
        if isinstance(node, A.String):
            return repr(node.value)
        if isinstance(node, A.Self):
            return "self"
        if isinstance(node, A.Send):
            return self.send(fn, scope, node)
        if isinstance(node, A.Block):
            return self.block(fn, scope, node)
        if isinstance(node, A.ObjectLiteral):
            if node.code is not None:
                return self.inline_code(fn, scope, node.slots, node.code)
            return self.data_object(fn, scope, node)
        if isinstance(node, A.PythonMethod):
            raise CompileError(f"{node.span}: a Python method literal must be the value of a constant slot")
        raise CompileError(f"{node.span}: cannot compile {type(node).__name__}")

    def inline_code(self, fn: Fn, scope: Scope, slots, code) -> str:
        """A code literal in expression position runs at once; its slots are fresh locals."""
        inner = Scope(scope, fn)
        self.init_locals(fn, inner, slots)
        value = self.statements(fn, inner, code)
        return "self" if value is None else value

    def data_object(self, fn: Fn, scope: Scope, node: A.ObjectLiteral) -> str:
        layout, values = [], []
        for slot in node.slots:
            self.span = slot.span
            if slot.kind is A.SlotKind.ARGUMENT:
                raise CompileError(f"{slot.span}: an object without code cannot have arguments")
            kind = CONSTANT if slot.kind is A.SlotKind.CONSTANT else ASSIGNABLE
            if slot.is_parent:
                kind |= PARENT
            annotations = slot.annotations
            if isinstance(slot.value, A.PythonMethod):  # its provenance is not an annotation
                annotations = split_annotations(annotations)[1]
            layout.append((slot.name, kind, annotations))
            values.append(self.slot_value(fn, scope, slot))
        t = self.tmp()
        self.span = node.span
        vals = "".join(v + ", " for v in values)
        self.emit(fn, f"{t} = _new_object({self.const(tuple(layout))}, ({vals}))")
        if node.annotation is not None:
            self.emit(fn, f"{t}._annotation = {node.annotation!r}")
        return t

    def slot_value(self, fn: Fn, scope: Scope, slot: A.Slot) -> str:
        value = slot.value
        if value is None:
            return "None"
        if isinstance(value, A.PythonMethod):  # filed-out provenance comes back with it
            return self.const(Method(slot.name, "python", value.source, file=value.span.file,
                                     line=value.span.line, col=value.span.col,
                                     provenance=split_annotations(slot.annotations)[0],
                                     core=self.core))
        if slot.is_method:
            return self.const(method_from_literal(slot.name, value, self.source, self.core))
        return self.expr(fn, scope, value)

    def block(self, fn: Fn, scope: Scope, node: A.Block) -> str:
        name = f"b{next(self.counter)}"
        inner_fn = Fn(name, [], fn.home)
        inner = Scope(scope, inner_fn)
        for slot in node.slots:
            if slot.kind is A.SlotKind.ARGUMENT:
                inner_fn.params.append(self.declare(inner, slot.name, False).py)
        outer_fixed = fn.fixed | {"_home"}
        inner_fn.fixed |= set(inner_fn.params) | outer_fixed
        inner_fn.ints, inner_fn.bools = set(fn.ints), set(fn.bools)
        self.function(inner_fn, inner, node.slots, node.code, result_self=False)
        inner_fn.finish()
        body = "\n".join(text for _, text, _ in inner_fn.lines)
        captured = sorted(n for n in outer_fixed - set(inner_fn.params)
                          if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", body))
        params = inner_fn.params + [f"{n}={n}" for n in captured]
        self.span = node.span
        self.emit(fn, f"def {name}({', '.join(params)}):", node.span)
        if inner_fn.nonlocals:
            fn.lines.append((fn.indent + 1, f"nonlocal {', '.join(sorted(inner_fn.nonlocals))}", node.span))
        base = fn.indent
        for indent, text, span in inner_fn.lines:
            fn.lines.append((base + indent, text, span))
        t = self.tmp()
        self.emit(fn, f"{t} = Block({name}, {len(inner_fn.params)}, {self.const(node.span)})", node.span)
        return t

    # -- sends
    def send(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        if node.at is not None:  # a failing send points at its selector
            node = dataclasses.replace(node, span=node.at)
        sel, span = node.selector, node.span
        if node.resend is not None:
            args = [self.expr(fn, scope, a) for a in node.args]
            self.span = span
            if self.method is None:
                raise CompileError(f"{span}: resend outside a method")
            parent = None if node.resend == "resend" else node.resend
            t = self.tmp()
            extra = "".join(", " + a for a in args)
            self.emit(fn, f"{t} = _resend(self, {self.const(self.method)}, {sel!r}, {parent!r}{extra})")
            return t
        if node.receiver is None:
            var = self.local_for(scope, sel, node)
            if var is not None:
                if sel.endswith(":"):
                    if not self.update_local(fn, scope, var, node.args[0]):
                        value = self.expr(fn, scope, node.args[0])
                        self.emit(fn, f"{self.use(fn, var, True)} = {value}", span)
                    return "self"
                return self.use(fn, var, False)
        if not self.inline and sel in _INLINED and node.receiver is not None \
                and INLINE_ON[_INLINED[sel]]:
            inlined = self.try_inline(fn, scope, node)
            if inlined is not None:
                return inlined
        rcv = "self" if node.receiver is None else self.expr(fn, scope, node.receiver)
        args = [self.expr(fn, scope, a) for a in node.args]
        self.span = span
        if not sel.startswith("_") and not _is_literal(rcv) and rcv not in fn.ints:
            if not args:
                return self.slot_read(fn, rcv, sel)
            if len(args) == 1 and sel.endswith(":") and sel.count(":") == 1:
                return self.slot_write(fn, rcv, sel, args[0])
        return self.plain_send(fn, rcv, sel, args)

    def slot_read(self, fn: Fn, rcv: str, sel: str) -> str:
        """A unary send that may turn out to read a data slot (see ``Site.dobj``)."""
        t = self.tmp()
        site = self.const(send_mod.new_site(sel))
        self.emit(fn, f"{t} = {site}.slots[{sel!r}] if {rcv} is {site}.dobj "
                      f"else {self.site_call(fn, sel, rcv, site)}({rcv})")
        return t

    def slot_write(self, fn: Fn, rcv: str, sel: str, value: str) -> str:
        """A one-part keyword send that may turn out to assign a data slot."""
        t = self.tmp()
        site = self.const(send_mod.new_site(sel))
        self.emit(fn, f"if {rcv} is {site}.dobj:")
        self.emit(fn, f"  {site}.slots[{sel[:-1]!r}] = {value}; {t} = {rcv}")
        self.emit(fn, "else:")
        self.emit(fn, f"  {t} = {self.site_call(fn, sel, rcv, site)}({rcv}, {value})")
        return t

    def update_local(self, fn: Fn, scope: Scope, var: Var, value: A.Node) -> bool:
        """``x: x + y`` (or ``x: x , y``) on a local, compiled as ``x += y`` behind the guard:
        Python then appends to a string in place instead of copying it."""
        if self.inline or not isinstance(value, A.Send) or value.selector not in ("+", "-", "*", ",") \
                or not INLINE_ON[_INLINED[value.selector]]:
            return False
        rcv = value.receiver
        if not (isinstance(rcv, A.Send) and rcv.receiver is None and not rcv.args
                and rcv.resend is None and scope.find(rcv.selector) is var):
            return False
        b = self.expr(fn, scope, value.args[0])
        self.span = value.span
        py = self.use(fn, var, True)
        if value.selector == ",":
            guard = f"type({py}) is str and {fn.type_of(b)} is str"
        else:
            guard = self.int_guard(fn, (py, b))
        self.emit(fn, f"if {guard}: {py} {value.selector.replace(',', '+')}= {b}")
        self.emit(fn, f"else: {py} = {self.site_call(fn, value.selector, py)}({py}, {b})")
        return True

    def local_for(self, scope: Scope, sel: str, node: A.Send) -> Var | None:
        if sel.endswith(":"):
            if sel.count(":") == 1 and len(node.args) == 1:
                var = scope.find(sel[:-1])
                if var is not None and var.assignable:
                    return var
            return None
        return scope.find(sel) if not node.args else None

    def plain_send(self, fn: Fn, rcv: str, sel: str, args: list[str]) -> str:
        t = self.tmp()
        extra = "".join(", " + a for a in args)
        if sel.startswith("_"):
            from uvm.runtime.primitives import PRIMITIVES
            prim = PRIMITIVES.get(sel)
            if prim is None:
                self.emit(fn, f"{t} = {self.const(_unknown_primitive(sel))}({rcv}{extra})")
            else:
                self.emit(fn, f"{t} = {self.const(prim)}({rcv}{extra})")
            return t
        self.emit(fn, f"{t} = {self.site_call(fn, sel, rcv)}({rcv}{extra})")
        return t

    def site_call(self, fn: Fn, sel: str, rcv: str, site: str | None = None) -> str:
        """The target for ``rcv`` at a (new) call site: cache hit, or the slow path."""
        site = site or self.const(send_mod.new_site(sel))
        if rcv in fn.ints:
            return f"({site}.target if {site}.type is int else _miss({site}, {rcv}))"
        same_object = "" if _is_literal(rcv) else f" or {rcv} is {site}.obj"
        return f"({site}.target if {fn.type_of(rcv)} is {site}.type{same_object} else _miss({site}, {rcv}))"

    def int_guard(self, fn: Fn, names) -> str:
        """A guard that every name is an int (literals and known ints need no test)."""
        names = [n for n in names if not _is_int_literal(n) and n not in fn.ints]
        fn.int_tests.update(names)
        return " and ".join(f"{fn.type_of(n)} is int" for n in names) or "True"

    # -- inlining
    def try_inline(self, fn: Fn, scope: Scope, node: A.Send) -> str | None:
        sel = node.selector
        if sel in _ARITH_OPS:
            return self.inline_arith(fn, scope, node)
        if sel == ",":
            return self.inline_concat(fn, scope, node)
        if sel.startswith("value"):
            return self.inline_value(fn, scope, node)
        if not _inlinable_shape(node):
            return None
        if sel in ("whileTrue:", "whileFalse:", "whileTrue", "whileFalse", "repeat"):
            return self.inline_while(fn, scope, node)
        if sel in ("to:Do:", "to:By:Do:", "timesRepeat:"):
            return self.inline_loop(fn, scope, node)
        return self.inline_if(fn, scope, node)

    def inline_arith(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        a = self.expr(fn, scope, node.receiver)
        b = self.expr(fn, scope, node.args[0])
        self.span = node.span
        t = self.tmp()
        op = _ARITH_OPS[node.selector]
        guard = self.int_guard(fn, (a, b))
        if guard == "True":  # both known ints: the result's type is known too
            self.emit(fn, f"{t} = {a} {op} {b}")
            (fn.ints if op in "+-*" else fn.bools).add(t)
            return t
        self.emit(fn, f"{t} = {a} {op} {b} if {guard} "
                      f"else {self.site_call(fn, node.selector, a)}({a}, {b})")
        return t

    def inline_concat(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        a = self.expr(fn, scope, node.receiver)
        b = self.expr(fn, scope, node.args[0])
        self.span = node.span
        t = self.tmp()
        self.emit(fn, f"{t} = {a} + {b} if {fn.type_of(a)} is str and {fn.type_of(b)} is str "
                      f"else {self.site_call(fn, ',', a)}({a}, {b})")
        return t

    def inline_value(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        rcv = self.expr(fn, scope, node.receiver)
        args = [self.expr(fn, scope, a) for a in node.args]
        self.span = node.span
        t = self.tmp()
        joined = ", ".join(args)
        extra = "".join(", " + a for a in args)
        self.emit(fn, f"{t} = {rcv}.fn({joined}) if {fn.type_of(rcv)} is Block and {rcv}.arity == {len(args)} "
                      f"else {self.site_call(fn, node.selector, rcv)}({rcv}{extra})")
        return t

    def inline_body(self, fn: Fn, scope: Scope, block: A.Block, args: list[str], result: str | None) -> None:
        inner = Scope(scope, fn)
        params = [s for s in block.slots if s.kind is A.SlotKind.ARGUMENT]
        for slot, value in zip(params, args):
            var = self.declare(inner, slot.name, False)
            self.emit(fn, f"{var.py} = {value}", slot.span)
        self.init_locals(fn, inner, block.slots)
        value = self.statements(fn, inner, block.code)
        if result is not None:
            self.emit(fn, f"{result} = {value if value is not None else 'None'}")

    def fallback(self, fn: Fn, scope: Scope, node: A.Send, result: str, rcv: str | None,
                 done_args: tuple = ()) -> None:
        """The real send, for when a guard fails; compiled without inlining.

        Its blocks must be real closures, yet a variable they capture would become a
        closure cell in ``fn`` and slow down the inlined path too. So the variables they
        share with ``fn`` travel in a box for the duration of the send and are copied back
        after it (``fn`` itself does not run while the send does)."""
        box = f"_bx{next(self.counter)}"
        mark, indent, span = len(fn.lines), fn.indent, node.span
        outer_box, self.box = self.box, (fn, box, [])
        fn.fixed.add(box)
        self.inline += 1
        try:
            r = rcv if rcv is not None else self.expr(fn, scope, node.receiver)
            args = list(done_args) + [self.expr(fn, scope, a) for a in node.args[len(done_args):]]
            self.span = span
            t = self.plain_send(fn, r, node.selector, args)
        finally:
            self.inline -= 1
            boxed = self.box[2]
            self.box = outer_box
            fn.fixed.discard(box)
        if boxed:
            fn.lines[mark:mark] = [(indent, f"{box} = _Box()", span)] + [
                (indent, f"{box}.{v} = {v}", span) for v in boxed]
            for v in boxed:
                self.emit(fn, f"{v} = {box}.{v}", span)
        self.emit(fn, f"{result} = {t}", span)

    def inline_if(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        cond = self.expr(fn, scope, node.receiver)
        self.span = node.span
        if _is_literal(cond):  # `3 ifTrue: [...]`: test a name, not a literal
            literal, cond = cond, self.tmp()
            self.emit(fn, f"{cond} = {literal}")
        r = self.tmp()
        then, otherwise = _branches(node)
        known = cond in fn.bools  # then no fallback for non-booleans is needed
        tests = ((f"if {cond}:", then), ("else:", otherwise)) if known else \
            ((f"if {cond} is True:", then), (f"elif {cond} is False:", otherwise))
        for test, body in tests:
            self.emit(fn, test, node.span)
            fn.indent += 1
            if isinstance(body, A.Block):
                self.inline_body(fn, scope, body, [], r)
            else:
                self.emit(fn, f"{r} = {body}", node.span)
            fn.indent -= 1
        if not known:
            self.emit(fn, "else:", node.span)
            fn.indent += 1
            self.fallback(fn, scope, node, r, cond)
            fn.indent -= 1
        return r

    def inline_while(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        sel = node.selector
        r = self.tmp()
        self.emit(fn, "while True:", node.span)
        fn.indent += 1
        if sel == "repeat":
            self.inline_body(fn, scope, node.receiver, [], None)
        else:
            c = self.tmp()
            self.inline_body(fn, scope, node.receiver, [], c)
            want = "True" if sel.startswith("whileTrue") else "False"
            other = "False" if want == "True" else "True"
            self.span = node.span
            self.emit(fn, f"if {c} is not {want}:")
            fn.indent += 1
            self.emit(fn, f"if {c} is {other}: break")
            self.emit(fn, f"_not_boolean({c}, {sel!r})")
            fn.indent -= 1
            if node.args:
                self.inline_body(fn, scope, node.args[0], [], None)
        fn.indent -= 1
        self.emit(fn, f"{r} = None", node.span)
        return r

    def inline_loop(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        sel = node.selector
        start = self.expr(fn, scope, node.receiver)
        bounds = [self.expr(fn, scope, a) for a in node.args[:-1]]
        self.span = node.span
        r = self.tmp()
        i = self.tmp()
        if sel == "timesRepeat:":
            guard, loop = self.int_guard(fn, (start,)), f"for {i} in range({start}):"
            args = []
        else:
            end = bounds[0]
            step = node.args[1].value if sel == "to:By:Do:" else 1
            stop = f"{end} + 1" if step > 0 else f"{end} - 1"
            guard = self.int_guard(fn, (start, end))
            loop = f"for {i} in range({start}, {stop}, {step}):" if step != 1 else f"for {i} in range({start}, {stop}):"
            args = [i]
        self.emit(fn, f"if {guard}:")
        fn.indent += 1
        self.emit(fn, loop)
        fn.indent += 1
        self.inline_body(fn, scope, node.args[-1], args, None)
        self.emit(fn, "pass")
        fn.indent -= 1
        self.emit(fn, f"{r} = {start}", node.span)
        fn.indent -= 1
        self.emit(fn, "else:", node.span)
        fn.indent += 1
        self.fallback(fn, scope, node, r, start, tuple(bounds))
        fn.indent -= 1
        return r

    # -- assembling Python source
    def assemble(self, fn: Fn, scope_params: list[str]) -> tuple[str, list]:
        """The source of a factory ``_make(K0, K1, ...)`` returning the function, and the
        span of each line."""
        out: list[str] = []
        spans: list = [None, None]  # line numbers are 1-based; line 1 is the factory
        consts = ", ".join(f"K{i}" for i in range(len(self.consts)))
        out.append(f"def _make({consts}):")
        out.append(f"  def {fn.name}({', '.join(scope_params)}):")
        spans.append(None)
        body = fn.lines
        if fn.needs_home:
            head = [(1, "_home = Home()", None), (1, "try:", None)]
            tail = [(1, "except NonLocalReturn as _e:", None),
                    (2, "if _e.home is _home: return _e.value", None),
                    (2, "raise", None),
                    (1, "finally:", None),
                    (2, "_home.alive = False", None)]
            body = head + [(i + 1, t, s) for i, t, s in body] + tail
        for indent, text, span in body:
            out.append("  " + "  " * indent + text)
            spans.append(span)
        out.append(f"  return {fn.name}")
        spans.append(None)
        return "\n".join(out) + "\n", spans

    def build(self, fn: Fn, params: list[str]):
        fn.finish()
        source, spans = self.assemble(fn, params)
        filename = f"<uvm:{next(_unit_ids)}:{self.unit_name}>"
        # a line without a span of its own reports the nearest span above it
        last = None
        for i, s in enumerate(spans):
            if s is None:
                spans[i] = last
            else:
                last = s
        register_code(filename, CodeInfo(self.unit_name, self.core, tuple(spans), self.source or ""))
        namespace: dict = {}
        exec(compile(source, filename, "exec"), G, namespace)
        return namespace["_make"](*self.consts)


def _is_int_literal(code: str) -> bool:
    return code.lstrip("-").isdigit()


def _is_literal(code: str) -> bool:
    """Is this generated operand a literal (never a UvmObject)?"""
    return code[:1].isdigit() or code[:1] in "-'\"" or code in ("None", "True", "False")


def _arity(block: A.Block) -> int:
    return sum(1 for s in block.slots if s.kind is A.SlotKind.ARGUMENT)


def _branches(node: A.Send) -> tuple:
    """(what runs when true, when false) for the if-like selectors: a block, or the
    Python text of the value."""
    a = node.args
    sel = node.selector
    if sel == "ifTrue:False:":
        return a[0], a[1]
    if sel == "ifFalse:True:":
        return a[1], a[0]
    return {"ifTrue:": (a[0], "None"), "ifFalse:": ("None", a[0]),
            "and:": (a[0], "False"), "or:": ("True", a[0])}[sel]


def _inlinable_shape(node: A.Send) -> bool:
    """Is this a control-structure send whose literal blocks can become Python control flow?
    Inlining shares a block's variables across iterations, so it also requires that no
    real closure inside those blocks could capture them."""
    sel = node.selector
    if node.receiver is None or not node.args and sel not in ("whileTrue", "whileFalse", "repeat"):
        return False
    if sel in ("to:Do:", "to:By:Do:", "timesRepeat:"):
        body = node.args[-1]
        if not isinstance(body, A.Block):
            return False
        blocks = [body]
        ok = _arity(body) == (0 if sel == "timesRepeat:" else 1)
        if sel == "to:By:Do:":
            ok = ok and isinstance(node.args[1], A.Integer) and node.args[1].value != 0
    elif not all(isinstance(a, A.Block) for a in node.args):
        return False
    elif sel in ("ifTrue:", "ifFalse:", "ifTrue:False:", "ifFalse:True:", "and:", "or:"):
        blocks = list(node.args)
        ok = not any(_arity(b) for b in blocks)
    elif sel in ("whileTrue:", "whileFalse:", "whileTrue", "whileFalse", "repeat"):
        blocks = list(node.args)
        ok = isinstance(node.receiver, A.Block) and not _arity(node.receiver) \
            and not any(_arity(b) for b in blocks)
        if ok:
            blocks.append(node.receiver)
    else:
        return False
    return ok and not any(_contains_block(b.code) or _contains_block(
        [s.value for s in b.slots if s.value is not None]) for b in blocks)


def _contains_block(nodes) -> bool:
    """Does a block literal that will stay a real closure occur in these statements?"""
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, A.Block):
            return True
        if isinstance(n, A.Return):
            stack.append(n.value)
        elif isinstance(n, A.Send):
            if n.selector in _INLINED and _inlinable_shape(n):
                for part in (n.receiver, *n.args):
                    if isinstance(part, A.Block):
                        stack.extend(part.code)
                        stack.extend(s.value for s in part.slots if s.value is not None)
                    else:
                        stack.append(part)
                continue
            if n.receiver is not None:
                stack.append(n.receiver)
            stack.extend(n.args)
        elif isinstance(n, A.ObjectLiteral):
            if n.code is not None:
                stack.extend(n.code)
            stack.extend(s.value for s in n.slots if s.value is not None and not s.is_method)
    return False


def _unknown_primitive(selector: str):
    def fail(receiver, *args):
        raise UvmError(f"unknown primitive {selector}")
    return fail


# --- public entry points -----------------------------------------------------------------------

def method_from_literal(selector: str, literal: A.ObjectLiteral, source: str, core: bool) -> Method:
    """A Method for a method slot; keeps the literal's own text so it can be recompiled."""
    args = [s.name for s in literal.slots if s.kind is A.SlotKind.ARGUMENT]
    span = literal.span
    text = source[span.start:span.end] if source else ""
    method = Method(selector, "uvm", text, args, span.file, span.line, span.col, core=core)
    method._fn = None
    _pending_ast[id(method)] = (method, literal, source)
    return method


# Literals compiled in this process keep their tree until first use (saves a re-parse).
_pending_ast: dict[int, tuple[Method, A.ObjectLiteral, str]] = {}


def _literal_of(method: Method) -> tuple[A.ObjectLiteral, str]:
    """The method's literal and the text its spans index into."""
    pending = _pending_ast.pop(id(method), None)
    if pending is not None and pending[0] is method:
        return pending[1], pending[2]
    from uvm.syntax import parse
    padded = "\n" * (method.line - 1) + " " * (method.col - 1) + method.source
    program = parse(padded, method.file)
    literal = program.statements[0]
    if not isinstance(literal, A.ObjectLiteral) or literal.code is None:
        raise UvmError(f"method {method.selector}: stored source is not a method literal")
    have = [s.name for s in literal.slots if s.kind is A.SlotKind.ARGUMENT]
    if not have and method.arg_names:
        extra = tuple(A.Slot(literal.span, n, A.SlotKind.ARGUMENT) for n in method.arg_names)
        literal = A.ObjectLiteral(literal.span, extra + literal.slots, literal.code, literal.annotation)
    return literal, padded


def compile_method(method: Method):
    """The Python function for a method: (self, *args) -> value."""
    if method.language == "python":
        from uvm.runtime.pymethods import compile_python_method
        return compile_python_method(method)
    literal, source = _literal_of(method)
    c = Compiler(method.selector, method.core, source, method)
    fn = Fn(_py_name(method.selector), [], None)
    scope = Scope(None, fn)
    params = ["self"]
    for slot in literal.slots:
        if slot.kind is A.SlotKind.ARGUMENT:
            params.append(c.declare(scope, slot.name, False).py)
    fn.params = params
    fn.fixed |= set(params)
    c.function(fn, scope, literal.slots, literal.code, result_self=True)
    if "self" in fn.int_tests:
        _customize_for_int(c, fn, scope, literal)
    return c.build(fn, params)


def _customize_for_int(c: Compiler, fn: Fn, scope: Scope, literal: A.ObjectLiteral) -> None:
    """Self's customization: a method that tests ``self`` for an int (arithmetic on its
    receiver, typically in ``traits integer``) gets a second body compiled knowing that,
    entered when it holds -- without the guards, and with known-boolean comparisons."""
    spec = Fn(fn.name, fn.params, None)
    spec.fixed = set(fn.fixed)
    spec.ints = {"self"}
    spec_scope = Scope(None, spec)
    spec_scope.vars = {name: Var(var.py, False, spec) for name, var in scope.vars.items()}
    c.function(spec, spec_scope, literal.slots, literal.code, result_self=True)
    spec.finish()
    fn.finish()
    fn.lines = [(1, "if type(self) is int:", None)] + [
        (indent + 1, text, span) for indent, text, span in spec.lines] + fn.lines
    fn.needs_home = fn.needs_home or spec.needs_home
    fn.finish = lambda: None  # both bodies are finished


def compile_program(program: A.Program, core: bool = False, names: tuple = ()):
    """A function (self, *values) -> value running the program's statements with ``self``
    = lobby. ``names`` are read-only variables of the program, given as ``values`` (the
    REPL's ``it`` and ``out7``)."""
    c = Compiler("<top level>", core, program.source)
    fn = Fn("top_level", ["self"], None)
    scope = Scope(None, fn)
    params = ["self"] + [c.declare(scope, name, False).py for name in names]
    fn.params = params
    fn.fixed |= set(params)
    c.function(fn, scope, (), program.statements, result_self=False)
    return c.build(fn, params)


def _py_name(selector: str) -> str:
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in selector.replace(":", "_"))
    return "m_" + name
