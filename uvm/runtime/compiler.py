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

import contextlib
import gc
import itertools
import keyword
import re
import sys
import weakref

from uvm.runtime import equality
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
# Host types whose equality, hashing and ordering collections may use directly while their
# trait's =, hash and < are the core world's (see uvm.runtime.equality).
KEY_GUARDS = {int: "integer", float: "float", str: "string"}
_KEY_SELECTORS = ("=", "hash", "<")
_INLINED = {sel: flag for flag, (_, sels) in INLINE_GROUPS.items() for sel in sels}
_ARITH_OPS = {"+": "+", "-": "-", "*": "*", "<": "<", ">": ">", "<=": "<=", ">=": ">=",
              "=": "==", "!=": "!="}


def _nlr(home: Home, value):
    if not home.alive:
        raise UvmError("non-local return from a method that has already returned")
    raise NonLocalReturn(home, value)


def _not_boolean(value, selector):
    from uvm.runtime.printing import in_message
    raise UvmError(f"{selector} needs a boolean condition, got {in_message(value)}")


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
    "_miss": send_mod.site_miss, "_send": send_mod.send, "_resend": send_mod.resend, "_nlr": _nlr,
    "_not_boolean": _not_boolean, "_new_object": _new_object,
    "Block": Block, "Home": Home, "NonLocalReturn": NonLocalReturn, "_Box": _Box,
}


def _core_methods_in_effect(world, trait_name: str, sels) -> bool:
    trait = world.traits._slots.get(trait_name)
    if trait is None:
        return False
    for sel in sels:
        found = send_mod.lookup(trait, sel)
        value = found and found[0]._slots[found[1]]
        if not (type(value) is Method and value.core):
            return False
    return True


def check_inline_guards(selectors=None) -> None:
    """Re-decide each inlining flag: inlining stays on only while lookup of its selectors in
    the core trait still finds the core world's own methods. The same test decides which
    host types collections may compare and hash directly."""
    world = send_mod.world
    if world is None:
        return
    if selectors is None or any(s in _KEY_SELECTORS for s in selectors):
        equality.refresh_fast_types({t: _core_methods_in_effect(world, name, _KEY_SELECTORS)
                                     for t, name in KEY_GUARDS.items()})
    before = dict(INLINE_ON)
    for flag, (trait_name, sels) in INLINE_GROUPS.items():
        if selectors is not None and not any(s in sels for s in selectors):
            continue
        INLINE_ON[flag] = _core_methods_in_effect(world, trait_name, sels)
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
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_NESTING = 90        # levels of indentation in one unit (Python's tokenizer allows 100)
MAX_INLINED_LOOPS = 18  # inlined loops nested in one function (Python allows 20 blocks)


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
        self.base = 0                    # indentation of this function's body in the unit
        self.loops = 0                   # inlined loops open here (Python allows 20)
        self.used: set[str] | None = None  # (blocks:) the names their lines mention
        self.specialized: "Fn | None" = None  # the body for an int self (_customize_for_int)
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
        if name in self.fixed:  # (a use inside a loop is many uses)
            self.type_uses[name] = self.type_uses.get(name, 0) + (2 if self.loops else 1)
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
        self.const_names: dict[int, str] = {}
        self.counter = itertools.count()
        self.inline = 0  # > 0 while compiling fallback code, where nothing is inlined
        self.box = None  # (fn, box name, [boxed names]) while compiling a fallback
        self.span: A.Span | None = None
        self.shapes: dict = {}  # answers of _inlinable_shape for this unit
        self.tail = False       # the send being compiled gives the function's return value
        self.discard = False    # ... or gives a value nobody uses
        self.slot_loop: tuple | None = None  # (flag, receivers, sites): see slot_loop_guard
        # Top-level statements without blocks run once per evaluation: compiling them
        # plainly (a generic send, no call-site caches or inlined fast paths) makes the
        # Python several times smaller and cheaper to compile (issue 19, item 5).
        self.run_once: tuple | None = None  # the program's own statements
        self.plain = 0

    # -- helpers
    def const(self, value) -> str:
        """The name of a constant of this unit (one per object: found by identity)."""
        name = self.const_names.get(id(value))
        if name is None:
            name = self.const_names[id(value)] = f"K{len(self.consts)}"
            self.consts.append(value)  # (keeps the object, so its id stays its own)
        return name

    def tmp(self) -> str:
        return f"t{next(self.counter)}"

    def emit(self, fn: Fn, text: str, span: A.Span | None = None) -> None:
        if fn.base + fn.indent > MAX_NESTING:
            raise CompileError(f"{span or self.span}: blocks and control structures are nested "
                               f"more than {MAX_NESTING} deep here (each is a level of Python "
                               f"indentation, and Python allows 100): move the inner part "
                               f"into a method of its own")
        fn.lines.append((fn.indent, text, span or self.span))
        if fn.used is not None:
            fn.used.update(_NAME.findall(text))

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
        self.init_locals(fn, scope, slots, code)
        value = self.statements(fn, scope, code, tail=True)
        if value is _RETURNED:
            return
        if value is None:
            value = "self" if result_self else "None"
        self.emit(fn, f"return {value}")

    def init_locals(self, fn: Fn, scope: Scope, slots, code=()) -> None:
        ints = _stable_int_locals(slots, code) if INLINE_ON["ARITH"] and not self.inline else ()
        for slot in slots:
            if slot.kind is A.SlotKind.ARGUMENT:
                continue
            self.span = slot.span
            if slot.is_method:
                raise CompileError(f"{slot.span}: a method slot cannot be a local of a method or block")
            value = self.expr(fn, scope, slot.value) if slot.value is not None else "None"
            var = self.declare(scope, slot.name, slot.kind is A.SlotKind.ASSIGNABLE)
            self.emit(fn, f"{var.py} = {value}", slot.span)
            if slot.name in ints:  # it holds an int all its life: no guard on its arithmetic
                fn.ints.add(var.py)

    def statements(self, fn: Fn, scope: Scope, code, tail: bool = False) -> str | None:
        """The statements' code; their value (a Python expression), or ``_RETURNED`` when
        ``tail`` (their value is what the function returns) let the last one return it
        from each of its branches itself."""
        value = None
        last = len(code) - 1
        for i, stmt in enumerate(code):
            if isinstance(stmt, A.Return):
                self.ret(fn, scope, stmt)
                return "None"  # unreachable in Python, keeps a value for the caller
            once = code is self.run_once and not _repeats(stmt)
            self.plain += once
            self.tail = tail and i == last
            self.discard = i != last
            try:
                value = self.expr(fn, scope, stmt)
            finally:
                self.plain -= once
                self.tail = self.discard = False
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
        if not isinstance(node, A.Send):
            self.tail = self.discard = False
        if isinstance(node, A.Integer):
            if node.value.bit_length() > 64:  # a long literal is one constant, not source text
                return self.const(node.value)
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
        self.init_locals(fn, inner, slots, code)
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
            layout.append((sys.intern(slot.name), kind, annotations))  # (see UvmObject.__setstate__)
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
        inner_fn.base = fn.base + fn.indent
        inner_fn.used = set()
        inner = Scope(scope, inner_fn)
        for slot in node.slots:
            if slot.kind is A.SlotKind.ARGUMENT:
                inner_fn.params.append(self.declare(inner, slot.name, False).py)
        outer_fixed = fn.fixed | {"_home"}
        inner_fn.fixed |= set(inner_fn.params) | outer_fixed
        inner_fn.ints, inner_fn.bools = set(fn.ints), set(fn.bools)
        self.function(inner_fn, inner, node.slots, node.code, result_self=False)
        inner_fn.finish()
        captured = sorted((outer_fixed - set(inner_fn.params)) & inner_fn.used)
        params = inner_fn.params + [f"{n}={n}" for n in captured]
        self.span = node.span
        self.emit(fn, f"def {name}({', '.join(params)}):", node.span)
        if inner_fn.nonlocals:
            fn.lines.append((fn.indent + 1, f"nonlocal {', '.join(sorted(inner_fn.nonlocals))}", node.span))
        base = fn.indent
        fn.lines.extend((base + indent, text, span) for indent, text, span in inner_fn.lines)
        if fn.used is not None:
            fn.used |= inner_fn.used | inner_fn.nonlocals
        t = self.tmp()
        self.emit(fn, f"{t} = Block({name}, {len(inner_fn.params)}, {self.const(node.span)})", node.span)
        return t

    # -- sends
    def send(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        if node.at is not None:  # a failing send points at its selector
            node = A.Send(node.at, node.receiver, node.selector, node.args, node.resend, node.at)
        sel, span = node.selector, node.span
        tail, self.tail = self.tail, False  # (only this send may be in tail position)
        discard, self.discard = self.discard, False  # (and only its value may go unused)
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
        if not self.inline and not self.plain and sel in _INLINED and node.receiver is not None \
                and INLINE_ON[_INLINED[sel]]:
            inlined = self.try_inline(fn, scope, node, tail)
            if inlined is not None:
                return inlined
        rcv = "self" if node.receiver is None else self.expr(fn, scope, node.receiver)
        args = [self.expr(fn, scope, a) for a in node.args]
        self.span = span
        if not sel.startswith("_") and not _is_literal(rcv) and rcv not in fn.ints and not self.plain:
            if not args:
                return self.slot_read(fn, rcv, sel)
            if len(args) == 1 and sel.endswith(":") and sel.count(":") == 1:
                return self.slot_write(fn, rcv, sel, args[0], discard)
        return self.plain_send(fn, rcv, sel, args)

    def slot_read(self, fn: Fn, rcv: str, sel: str) -> str:
        """A unary send that may turn out to read a data slot (see ``Site.dobj``)."""
        t = self.tmp()
        site = self.const(send_mod.new_site(sel))
        checked = (f"{_slot_access(site, sel)} if {rcv} is {site}.dobj "
                   f"else {self.site_call(fn, sel, rcv, site)}({rcv})")
        ok = self.slot_loop_guard(rcv, site)
        if ok:
            self.emit(fn, f"{t} = {_slot_access(site, sel)} if {ok} else ({checked})")
        else:
            self.emit(fn, f"{t} = {checked}")
        return t

    def slot_write(self, fn: Fn, rcv: str, sel: str, value: str, discard: bool = False) -> str:
        """A one-part keyword send that may turn out to assign a data slot (``discard``:
        the statement's value is not used, so the fast path need not set it)."""
        t = self.tmp()
        site = self.const(send_mod.new_site(sel))
        ok = self.slot_loop_guard(rcv, site)
        self.emit(fn, f"if {ok} or {rcv} is {site}.dobj:" if ok else f"if {rcv} is {site}.dobj:")
        self.emit(fn, f"  {_slot_access(site, sel[:-1])} = {value}" + ("" if discard else f"; {t} = {rcv}"))
        self.emit(fn, "else:")
        self.emit(fn, f"  {t} = {self.site_call(fn, sel, rcv, site)}({rcv}, {value})")
        return t

    def slot_loop_guard(self, rcv: str, site: str) -> str | None:
        """Inside a loop whose body only reads and writes data slots of fixed receivers
        and does integer arithmetic (``inline_loop``), the name of the flag that says all
        its slot sites hold for their receivers: checked once per iteration, not once per
        access. None elsewhere."""
        guard = self.slot_loop
        if guard is None or rcv not in guard[1]:
            return None
        guard[2].append((rcv, site))
        return guard[0]

    def clear_slot_loop_flag(self, fn: Fn) -> None:
        """After a fallback ran UVM code, the loop's slot sites must be checked again."""
        if self.slot_loop is not None:
            self.emit(fn, f"  {self.slot_loop[0]} = False")

    def update_local(self, fn: Fn, scope: Scope, var: Var, value: A.Node) -> bool:
        """``x: x + y`` (or ``x: x , y``) on a local, compiled as ``x += y`` behind the guard:
        Python then appends to a string in place instead of copying it."""
        if self.inline or self.plain or not isinstance(value, A.Send) or value.selector not in ("+", "-", "*", ",") \
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
            if guard == "True":  # both known ints
                self.emit(fn, f"{py} {value.selector}= {b}")
                return True
        self.emit(fn, f"if {guard}: {py} {value.selector.replace(',', '+')}= {b}")
        self.emit(fn, f"else:")
        self.emit(fn, f"  {py} = {self.site_call(fn, value.selector, py)}({py}, {b})")
        self.clear_slot_loop_flag(fn)
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
        if self.plain:  # code that runs once: no call-site cache to make and compile
            self.emit(fn, f"{t} = _send({rcv}, {sel!r}{extra})")
            return t
        self.emit(fn, f"{t} = {self.site_call(fn, sel, rcv)}({rcv}{extra})")
        return t

    def site_call(self, fn: Fn, sel: str, rcv: str, site: str | None = None) -> str:
        """The target for ``rcv`` at a (new) call site: cache hit, or the slow path."""
        site = site or self.const(send_mod.new_site(sel))
        if rcv in fn.ints:  # no type test: the site's int target resolves itself once
            return f"{site}.int_target"
        same_object = "" if _is_literal(rcv) else f" or {rcv} is {site}.obj"
        return f"({site}.target if {fn.type_of(rcv)} is {site}.type{same_object} else _miss({site}, {rcv}))"

    def int_guard(self, fn: Fn, names) -> str:
        """A guard that every name is an int (literals and known ints need no test)."""
        names = [n for n in names if not _is_int_literal(n) and n not in fn.ints]
        fn.int_tests.update(names)
        return " and ".join(f"{fn.type_of(n)} is int" for n in names) or "True"

    # -- inlining
    def try_inline(self, fn: Fn, scope: Scope, node: A.Send, tail: bool = False) -> str | None:
        sel = node.selector
        if sel in _ARITH_OPS:
            return self.inline_arith(fn, scope, node)
        if sel == ",":
            return self.inline_concat(fn, scope, node)
        if sel.startswith("value"):
            return self.inline_value(fn, scope, node)
        if not _inlinable_shape(node, self.shapes):
            return None
        loop = sel in ("whileTrue:", "whileFalse:", "whileTrue", "whileFalse", "repeat",
                       "to:Do:", "to:By:Do:", "timesRepeat:")
        if loop and fn.loops >= MAX_INLINED_LOOPS:
            return None  # Python allows 20 nested loops in a function: this one is a real send
        if sel in ("whileTrue:", "whileFalse:", "whileTrue", "whileFalse", "repeat"):
            return self.inline_while(fn, scope, node)
        if sel in ("to:Do:", "to:By:Do:", "timesRepeat:"):
            return self.inline_loop(fn, scope, node)
        return self.inline_if(fn, scope, node, tail)

    def inline_arith(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        a = self.expr(fn, scope, node.receiver)
        b = self.expr(fn, scope, node.args[0])
        self.span = node.span
        t = self.tmp()
        op = _ARITH_OPS[node.selector]
        guard = self.int_guard(fn, (a, b))
        if guard == "True":  # both known ints: the result's type is known too
            if a[:1] != "(" and b[:1] != "(":  # int arithmetic cannot fail: no line of its
                t = f"({a} {op} {b})"           # own, the expression goes where it is used
            else:
                self.emit(fn, f"{t} = {a} {op} {b}")
            (fn.ints if op in "+-*" else fn.bools).add(t)
            return t
        if self.slot_loop is not None:  # (statements: the fallback must clear the flag)
            self.emit(fn, f"if {guard}: {t} = {a} {op} {b}")
            self.emit(fn, "else:")
            self.emit(fn, f"  {t} = {self.site_call(fn, node.selector, a)}({a}, {b})")
            self.clear_slot_loop_flag(fn)
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

    def value_of(self, fn: Fn, code: str) -> str:
        """``code value``: a zero-argument block is called directly (no frame for the
        send), anything else is sent value."""
        if _is_literal(code) or not INLINE_ON["BLOCKS"]:
            return self.plain_send(fn, code, "value", [])
        t = self.tmp()
        self.emit(fn, f"{t} = {code}.fn() if {fn.type_of(code)} is Block and {code}.arity == 0 "
                      f"else {self.site_call(fn, 'value', code)}({code})")
        return t

    def inline_value(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        rcv = self.expr(fn, scope, node.receiver)
        args = [self.expr(fn, scope, a) for a in node.args]
        self.span = node.span
        if _is_literal(rcv):  # `5 value`: a literal is never a block
            return self.plain_send(fn, rcv, node.selector, args)
        t = self.tmp()
        joined = ", ".join(args)
        extra = "".join(", " + a for a in args)
        self.emit(fn, f"{t} = {rcv}.fn({joined}) if {fn.type_of(rcv)} is Block and {rcv}.arity == {len(args)} "
                      f"else {self.site_call(fn, node.selector, rcv)}({rcv}{extra})")
        return t

    def inline_body(self, fn: Fn, scope: Scope, block: A.Block, args: list[str], result: str | None,
                    tail: bool = False, direct: bool = False) -> None:
        """A literal block's code, in line. ``direct``: the arguments are names of their
        own (a loop's variable), which the block's parameters may simply be."""
        inner = Scope(scope, fn)
        params = [s for s in block.slots if s.kind is A.SlotKind.ARGUMENT]
        for slot, value in zip(params, args):
            if direct:
                inner.vars[slot.name] = Var(value, False, fn)
                continue
            var = self.declare(inner, slot.name, False)
            self.emit(fn, f"{var.py} = {value}", slot.span)
            if value in fn.ints:
                fn.ints.add(var.py)
        self.init_locals(fn, inner, block.slots, block.code)
        value = self.statements(fn, inner, block.code, tail=tail)
        if value is _RETURNED:
            return
        if tail:
            self.emit(fn, f"return {value if value is not None else 'None'}")
        elif result is not None:
            self.emit(fn, f"{result} = {value if value is not None else 'None'}")

    def fallback(self, fn: Fn, scope: Scope, node: A.Send, result: str, rcv: str | None,
                 done_args: tuple = ()) -> None:
        """The real send, for when a guard fails; compiled without inlining. ``done_args``
        are arguments already evaluated (None where one is still to be).

        Its blocks must be real closures, yet a variable they capture would become a
        closure cell in ``fn`` and slow down the inlined path too. So the variables they
        share with ``fn`` travel in a box for the duration of the send and are copied back
        after it (``fn`` itself does not run while the send does)."""
        box = f"_bx{next(self.counter)}"
        mark, indent, span = len(fn.lines), fn.indent, node.span
        fn.lines.append((indent, "pass", span))  # where the box is made, if one is needed
        outer_box, self.box = self.box, (fn, box, [])
        fn.fixed.add(box)
        self.inline += 1
        try:
            r = rcv if rcv is not None else self.expr(fn, scope, node.receiver)
            done = list(done_args) + [None] * (len(node.args) - len(done_args))
            args = [d if d is not None else self.expr(fn, scope, a) for d, a in zip(done, node.args)]
            self.span = span
            t = self.plain_send(fn, r, node.selector, args)
        finally:
            self.inline -= 1
            boxed = self.box[2]
            self.box = outer_box
            fn.fixed.discard(box)
        if boxed:  # (one line, filled in: inserting lines would cost time per fallback)
            fn.lines[mark] = (indent, "; ".join([f"{box} = _Box()"] + [
                f"{box}.{v} = {v}" for v in boxed]), span)
            if fn.used is not None:
                fn.used.update(boxed)
            for v in boxed:
                self.emit(fn, f"{v} = {box}.{v}", span)
        self.emit(fn, f"{result} = {t}", span)

    def inline_if(self, fn: Fn, scope: Scope, node: A.Send, tail: bool = False) -> str:
        """A conditional as Python's if/elif/else; in tail position each branch returns
        its value itself (no result variable to store and load again)."""
        cond = self.expr(fn, scope, node.receiver)
        # Arguments that are not literal blocks are evaluated before the send, in order,
        # and the branch taken sends them value (Self: every object answers itself).
        values = [None if isinstance(a, A.Block) else self.expr(fn, scope, a) for a in node.args]
        self.span = node.span
        if _is_literal(cond):  # `3 ifTrue: [...]`: test a name, not a literal
            literal, cond = cond, self.tmp()
            self.emit(fn, f"{cond} = {literal}")
        r = self.tmp()
        then, otherwise = _branches(node, values)
        known = cond in fn.bools  # then no fallback for non-booleans is needed
        tests = ((f"if {cond}:", then), ("else:", otherwise)) if known else \
            ((f"if {cond} is True:", then), (f"elif {cond} is False:", otherwise))
        for test, body in tests:
            self.emit(fn, test, node.span)
            fn.indent += 1
            if isinstance(body, A.Block):
                self.inline_body(fn, scope, body, [], r, tail)
            elif isinstance(body, _Evaluated):
                self.emit(fn, f"{'return' if tail else r + ' ='} {self.value_of(fn, body.code)}",
                          node.span)
            else:
                self.emit(fn, f"{'return' if tail else r + ' ='} {body}", node.span)
            fn.indent -= 1
        if not known:
            self.emit(fn, "else:", node.span)
            fn.indent += 1
            self.fallback(fn, scope, node, r, cond, tuple(values))
            if tail:
                self.emit(fn, f"return {r}", node.span)
            fn.indent -= 1
        return _RETURNED if tail else r

    def inline_while(self, fn: Fn, scope: Scope, node: A.Send) -> str:
        sel = node.selector
        r = self.tmp()
        self.emit(fn, "while True:", node.span)
        fn.indent += 1
        fn.loops += 1
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
        self.emit(fn, "pass")  # an empty body (`[] repeat`) is still a body
        fn.loops -= 1
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
        receivers = _slot_loop_receivers(node.args[-1], scope) if INLINE_ON["ARITH"] else None
        outer_guard = self.slot_loop
        if receivers:
            ok = f"_ok{next(self.counter)}"
            self.emit(fn, f"{ok} = False")
            self.slot_loop = (ok, {scope.find(n).py for n in receivers}, [])
        self.emit(fn, loop)
        fn.ints.add(i)  # range() counts with ints
        fn.indent += 1
        fn.loops += 1
        if receivers:
            mark = len(fn.lines)
            self.emit(fn, "pass")  # the once-per-iteration check, filled in below
        self.inline_body(fn, scope, node.args[-1], args, None, direct=True)
        if receivers:
            checks = " and ".join(f"{rcv} is {site}.dobj" for rcv, site in self.slot_loop[2])
            if checks:
                fn.lines[mark] = (fn.indent, f"if not {ok}: {ok} = {checks}", node.span)
            self.slot_loop = outer_guard
        self.emit(fn, "pass")
        fn.loops -= 1
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
        span of each line. A method customized for an int ``self`` is two functions: the
        specialized body, which calls the general one when ``self`` is not an int (kept
        apart, its locals and closures would make every call's frame larger)."""
        out: list[str] = []
        spans: list = [None]  # line numbers are 1-based; line 1 is the factory
        consts = ", ".join(f"K{i}" for i in range(len(self.consts)))
        out.append(f"def _make({consts}):")
        spans.append(None)
        spec = fn.specialized
        if spec is None:
            self.define(out, spans, fn.name, scope_params, fn.lines, fn.needs_home)
        else:
            general = f"{fn.name}__any"
            self.define(out, spans, general, scope_params, fn.lines, fn.needs_home)
            body = [(1, "if type(self) is int:", None)] + [
                (indent + 1, text, span) for indent, text, span in spec.lines] + [
                (1, f"return {general}({', '.join(scope_params)})", None)]
            self.define(out, spans, fn.name, scope_params, body, spec.needs_home)
        out.append(f"  return {fn.name}")
        spans.append(None)
        return "\n".join(out) + "\n", spans

    @staticmethod
    def define(out: list, spans: list, name: str, params: list[str], body: list,
               needs_home: bool) -> None:
        """One ``def`` inside the factory (with the non-local return's home if needed)."""
        out.append(f"  def {name}({', '.join(params)}):")
        spans.append(None)
        if needs_home:
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

    def build(self, fn: Fn, params: list[str]):
        fn.finish()
        if fn.specialized is not None:
            fn.specialized.finish()
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
        try:
            code = compile(source, filename, "exec")
        except (SyntaxError, RecursionError, MemoryError) as e:  # limits of Python's compiler
            why = e.msg if isinstance(e, SyntaxError) else type(e).__name__
            raise CompileError(f"{self.unit_name}: this code is too deeply nested for Python to "
                               f"compile ({why})") from None
        namespace: dict = {}
        exec(code, G, namespace)
        return namespace["_make"](*self.consts)


def _slot_access(site: str, name: str) -> str:
    """The generated access to data slot ``name`` through a site's cached holder: an
    attribute of its slot bag (faster), or a subscript of its slot dictionary when the
    name is a Python keyword."""
    if name.isidentifier() and not keyword.iskeyword(name):
        return f"{site}.bag.{name}"
    return f"{site}.slots[{name!r}]"


def _is_int_literal(code: str) -> bool:
    return code.lstrip("-").isdigit()


def _is_literal(code: str) -> bool:
    """Is this generated operand a literal (never a UvmObject)?"""
    return code[:1].isdigit() or code[:1] in "-'\"" or code in ("None", "True", "False")


def _arity(block: A.Block) -> int:
    return sum(1 for s in block.slots if s.kind is A.SlotKind.ARGUMENT)


_RETURNED = "<returned>"  # statements() when its last statement returned its value itself


class _Evaluated:
    """A branch of an inlined conditional whose argument was not a literal block: its
    value (the Python expression ``code``) is sent ``value`` when the branch is taken."""

    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code


def _branches(node: A.Send, values: list) -> tuple:
    """(what runs when true, when false) for the if-like selectors: a block, an
    ``_Evaluated`` argument, or the Python text of the value."""
    a = [arg if v is None else _Evaluated(v) for arg, v in zip(node.args, values)]
    sel = node.selector
    if sel == "ifTrue:False:":
        return a[0], a[1]
    if sel == "ifFalse:True:":
        return a[1], a[0]
    return {"ifTrue:": (a[0], "None"), "ifFalse:": ("None", a[0]),
            "and:": (a[0], "False"), "or:": ("True", a[0])}[sel]


def _inlinable_shape(node: A.Send, memo: dict | None = None) -> bool:
    """Is this a control-structure send whose literal blocks can become Python control flow?
    Inlining shares a block's variables across iterations, so it also requires that no
    real closure inside those blocks could capture them. ``memo`` (id -> (node, answer))
    keeps the answers of one compilation: nested conditionals ask about their insides again
    and again, which without it costs time exponential in the nesting."""
    memo = {} if memo is None else memo
    hit = memo.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    answer = _shape_ok(node, memo)
    memo[id(node)] = (node, answer)
    return answer


def _shape_ok(node: A.Send, memo: dict) -> bool:
    sel = node.selector
    if node.receiver is None or not node.args and sel not in ("whileTrue", "whileFalse", "repeat"):
        return False
    if sel in ("to:Do:", "to:By:Do:", "timesRepeat:"):
        body = node.args[-1]
        if not isinstance(body, A.Block):
            return False
        blocks = [body]
        ok = _arity(body) <= (0 if sel == "timesRepeat:" else 1)  # fewer is Self's rule
        if sel == "to:By:Do:":
            ok = ok and isinstance(node.args[1], A.Integer) and node.args[1].value != 0
    elif sel in ("ifTrue:", "ifFalse:", "ifTrue:False:", "ifFalse:True:", "and:", "or:"):
        # an argument that is not a literal block is sent value (every object answers it)
        blocks = [a for a in node.args if isinstance(a, A.Block)]
        ok = not any(_arity(b) for b in blocks)
    elif not all(isinstance(a, A.Block) for a in node.args):
        return False
    elif sel in ("whileTrue:", "whileFalse:", "whileTrue", "whileFalse", "repeat"):
        blocks = list(node.args)
        ok = isinstance(node.receiver, A.Block) and not _arity(node.receiver) \
            and not any(_arity(b) for b in blocks)
        if ok:
            blocks.append(node.receiver)
    else:
        return False
    return ok and not any(_body_has_closure(b, memo) for b in blocks)


def _body_has_closure(block: A.Block, memo: dict) -> bool:
    """Does a block literal that will stay a real closure occur in this block's code or
    slot initialisers (the block itself being inlined)?"""
    return any(_has_closure(n, memo) for n in block.code) or any(
        _has_closure(s.value, memo) for s in block.slots if s.value is not None)


def _has_closure(node, memo: dict) -> bool:
    """Does a block literal that will stay a real closure occur in this expression?"""
    key = ("closure", id(node))
    hit = memo.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    if isinstance(node, A.Block):
        answer = True
    elif isinstance(node, A.Return):
        answer = _has_closure(node.value, memo)
    elif isinstance(node, A.Send):
        parts = ([node.receiver] if node.receiver is not None else []) + list(node.args)
        if node.selector in _INLINED and _inlinable_shape(node, memo):
            answer = any(_body_has_closure(p, memo) if isinstance(p, A.Block)
                         else _has_closure(p, memo) for p in parts)
        else:
            answer = any(_has_closure(p, memo) for p in parts)
    elif isinstance(node, A.ObjectLiteral):
        answer = any(_has_closure(n, memo) for n in node.code or ()) or any(
            _has_closure(s.value, memo) for s in node.slots
            if s.value is not None and not s.is_method)
    else:
        answer = False
    memo[key] = (node, answer)
    return answer


def _slot_loop_receivers(block, scope: Scope) -> set[str] | None:
    """The receivers (names of fixed variables) whose data slots the body of this inlined
    loop reads and writes, when the body does nothing else but integer arithmetic and
    local variables -- so that no UVM code can run between two of its slot accesses
    unless an arithmetic guard fails (whose fallback then clears the loop's flag). None
    when the body does anything more, or makes fewer than two slot accesses (the flag's
    own test per iteration then costs what it saves)."""
    if not isinstance(block, A.Block) or any(s.kind is not A.SlotKind.ARGUMENT for s in block.slots):
        return None
    params = {s.name for s in block.slots}
    receivers: set[str] = set()
    accesses = []

    def fixed(name: str) -> bool:
        var = scope.find(name)
        return name not in params and var is not None and not var.assignable

    def plain(node) -> bool:
        if isinstance(node, (A.Integer, A.Float, A.String)):
            return True
        if not isinstance(node, A.Send) or node.resend is not None:
            return False
        sel, rcv = node.selector, node.receiver
        if rcv is None:
            if not node.args:  # a local, the loop's parameter
                return sel in params or scope.find(sel) is not None
            return (len(node.args) == 1 and sel.count(":") == 1 and sel.endswith(":")
                    and sel[:-1] not in params and scope.find(sel[:-1]) is not None
                    and scope.find(sel[:-1]).assignable and plain(node.args[0]))
        if sel in _ARITH_OPS:
            return plain(rcv) and plain(node.args[0])
        if isinstance(rcv, A.Send) and rcv.receiver is None and not rcv.args \
                and rcv.resend is None and fixed(rcv.selector) and not sel.startswith("_"):
            if not node.args and sel[:1].isalpha():  # a data slot read, it may be
                receivers.add(rcv.selector)
                accesses.append(node)
                return True
            if len(node.args) == 1 and sel.count(":") == 1 and sel.endswith(":"):
                receivers.add(rcv.selector)  # a data slot write, it may be
                accesses.append(node)
                return plain(node.args[0])
        return False

    return receivers if all(plain(stmt) for stmt in block.code) and len(accesses) > 1 else None


def _stable_int_locals(slots, code) -> set[str]:
    """The assignable locals among ``slots`` that hold an int all their life: initialised
    with an integer literal, and every assignment to them anywhere in ``code`` (blocks
    included) is an integer literal or +, - or * of such values and of such locals. Sound
    while integer arithmetic is the core world's (the compiler's ARITH guard: redefining
    it recompiles everything)."""
    candidates = {s.name for s in slots
                  if s.kind is A.SlotKind.ASSIGNABLE and isinstance(s.value, A.Integer)}
    if not candidates:
        return set()
    assigned: dict[str, list] = {n: [] for n in candidates}
    stack = [(n, frozenset()) for n in code]  # (node, names an inner scope shadows there)
    while stack:
        node, shadowed = stack.pop()
        if isinstance(node, A.Return):
            stack.append((node.value, shadowed))
        elif isinstance(node, A.Send):
            if node.receiver is None and node.resend is None and len(node.args) == 1 \
                    and node.selector.count(":") == 1 and node.selector.endswith(":"):
                name = node.selector[:-1]
                if name in candidates and name not in shadowed:
                    assigned[name].append((node.args[0], shadowed))
            if node.receiver is not None:
                stack.append((node.receiver, shadowed))
            stack.extend((a, shadowed) for a in node.args)
        elif isinstance(node, A.ObjectLiteral) and node.code is None:
            stack.extend((s.value, shadowed) for s in node.slots
                         if s.value is not None and not s.is_method)
        elif isinstance(node, (A.ObjectLiteral, A.Block)):
            inner = shadowed | {s.name for s in node.slots if s.kind is A.SlotKind.ARGUMENT}
            for s in node.slots:  # an initialiser sees the slots declared before it
                if s.kind is not A.SlotKind.ARGUMENT:
                    if s.value is not None:
                        stack.append((s.value, inner))
                    inner = inner | {s.name}
            stack.extend((c, inner) for c in node.code or ())
    stable = set(candidates)
    changed = True
    while changed:
        changed = False
        for name in sorted(stable):
            if not all(_int_shaped(e, shadowed, stable) for e, shadowed in assigned[name]):
                stable.discard(name)
                changed = True
    return stable


def _int_shaped(node, shadowed, stable: set) -> bool:
    if isinstance(node, A.Integer):
        return True
    if not isinstance(node, A.Send) or node.resend is not None:
        return False
    if node.receiver is None and not node.args:
        return node.selector in stable and node.selector not in shadowed
    return (node.selector in ("+", "-", "*") and node.receiver is not None
            and _int_shaped(node.receiver, shadowed, stable)
            and _int_shaped(node.args[0], shadowed, stable))


def _repeats(stmt) -> bool:
    """Could part of this statement run more than once per evaluation? Only through a
    block (loops and conditionals take blocks; method slots are compiled on their own)."""
    stack = [stmt]
    while stack:
        n = stack.pop()
        if isinstance(n, A.Block):
            return True
        if isinstance(n, A.Return):
            stack.append(n.value)
        elif isinstance(n, A.Send):
            if n.receiver is not None:
                stack.append(n.receiver)
            stack.extend(n.args)
        elif isinstance(n, A.ObjectLiteral):
            stack.extend(n.code or ())
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
    prim = _primitive_body(literal)
    if prim is not None:
        return prim
    c = Compiler(method.selector, method.core, source, method)
    fn = Fn(_py_name(method.selector), [], None)
    scope = Scope(None, fn)
    params = ["self"]
    for slot in literal.slots:
        if slot.kind is A.SlotKind.ARGUMENT:
            params.append(c.declare(scope, slot.name, False).py)
    fn.params = params
    fn.fixed |= set(params)
    with _nesting_guard(f"{method.file}:{method.line}"):
        c.function(fn, scope, literal.slots, literal.code, result_self=True)
        if "self" in fn.int_tests:
            _customize_for_int(c, fn, scope, literal)
    return c.build(fn, params)


def _primitive_body(literal: A.ObjectLiteral):
    """The primitive a method consists of, when its whole body is that primitive sent to
    ``self`` with the method's own arguments in order (``do: b = (_Do: b)``, most of the
    core world): the primitive is then the method, one Python frame less per send."""
    code = literal.code
    if len(code) != 1 or not isinstance(code[0], A.Send):
        return None
    send = code[0]
    if not send.selector.startswith("_") or send.resend is not None:
        return None
    if send.receiver is not None and not isinstance(send.receiver, A.Self):
        return None
    args = [s.name for s in literal.slots if s.kind is A.SlotKind.ARGUMENT]
    if len(args) != len(literal.slots) or len(send.args) != len(args):
        return None  # locals run initialisers; a different argument list is real code
    for arg, name in zip(send.args, args):
        if not (isinstance(arg, A.Send) and arg.receiver is None and not arg.args
                and arg.resend is None and arg.selector == name):
            return None
    from uvm.runtime.primitives import PRIMITIVES
    return PRIMITIVES.get(send.selector)


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
    fn.specialized = spec  # (assemble makes the general body a function of its own)


PROGRAM_CHUNK = 2_000  # top-level statements compiled as one Python function


def compile_program(program: A.Program, core: bool = False, names: tuple = ()):
    """A function (self, *values) -> value running the program's statements with ``self``
    = lobby. ``names`` are read-only variables of the program, given as ``values`` (the
    REPL's ``it`` and ``out7``).

    A long program is compiled in parts of ``PROGRAM_CHUNK`` statements, run one after
    the other: top-level statements share no Python variables, and Python's compiler needs
    memory in proportion to the function it compiles (a 100,000-statement script peaked
    at 1.4 GB as one function). A top-level ``^`` ends the whole program, so a program
    with one is compiled whole."""
    statements = program.statements
    if len(statements) <= PROGRAM_CHUNK or any(isinstance(s, A.Return) for s in statements):
        return _compile_statements(program, statements, core, names)
    parts = [_compile_statements(program, statements[i:i + PROGRAM_CHUNK], core, names)
             for i in range(0, len(statements), PROGRAM_CHUNK)]

    def run_parts(self, *values):
        value = None
        for part in parts:
            value = part(self, *values)
        return value
    return run_parts


def _compile_statements(program: A.Program, statements: tuple, core: bool, names: tuple):
    c = Compiler("<top level>", core, program.source)
    fn = Fn("top_level", ["self"], None)
    c.run_once = statements
    scope = Scope(None, fn)
    params = ["self"] + [c.declare(scope, name, False).py for name in names]
    fn.params = params
    fn.fixed |= set(params)
    with _nesting_guard(program.span.file), _gc_paused():
        c.function(fn, scope, (), statements, result_self=False)
        return c.build(fn, params)


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection while a unit compiles: a long program makes hundreds
    of thousands of objects that all stay alive, and collecting them again and again
    costs a quarter of the time (nothing compiled here needs collecting)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def _nesting_guard(where: str):
    """The compiler recurses over the tree: a tree deeper than the recursion limit (some
    30,000 nested parentheses) is a UVM error, not a host one."""
    try:
        yield
    except RecursionError:
        raise CompileError(f"{where}: the program is nested too deeply to compile") from None


def _py_name(selector: str) -> str:
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in selector.replace(":", "_"))
    return "m_" + name
