"""Default printStrings: how values look when nothing more specific says otherwise.

Every value prints in UVM's form, whatever it is: ``print_string`` is what the runtime
uses for messages and results (it sends ``printString``, and describes an object that does
not understand it), ``describe_value`` what it uses where no UVM code may run (an error
message about a value whose own ``printString`` failed).
"""
from __future__ import annotations

from uvm.runtime.objects import (ASSIGNABLE, PARENT, Block, Collector, Method, UvmDict,
                                 UvmList, UvmObject, UvmSet, UvmTree)
from uvm.syntax.integers import integer_string


def describe(obj: UvmObject) -> str:
    """``(| x. y. parent* |)``: the slot names, parents starred, methods with their
    argument form (``at:Put:``)."""
    names = []
    for name, kind in obj._kinds.items():
        names.append(name + ("*" if kind & PARENT else ""))
    if not names:
        return "()"
    return "(| " + ". ".join(names) + " |)"


def string_literal(s: str) -> str:
    """A string as UVM source would write it."""
    out = []
    for ch in s:
        if ch == "'":
            out.append("\\'")
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def number_string(n) -> str:
    return repr(n) if type(n) is float else integer_string(n)


def python_description(value) -> str:
    """A Python object reached through the ``python`` bridge: its repr, unless that is
    the host's anonymous ``<... object at 0x...>`` (then its type's name)."""
    import types
    if isinstance(value, types.ModuleType):
        return f"<python module {value.__name__}>"
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 -- a broken __repr__ must not break printing
        text = ""
    if not text or " at 0x" in text or len(text) > 100:
        t = type(value)
        text = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    return f"<python {text}>"


def describe_value(value, depth: int = 0) -> str:
    """A value in UVM's form without running any UVM code."""
    t = type(value)
    if isinstance(value, UvmObject):
        return describe(value)
    if value is None:
        return "nil"
    if value is True or value is False:
        return "true" if value else "false"
    if t is int or t is float:
        return number_string(value)
    if t is str:
        return string_literal(value)
    if t is UvmList or t is UvmSet or t is Collector:
        items = value.data if t is UvmList else value.elements() if t is UvmSet else value.items
        if depth > 2 or len(items) > 20:
            return f"a {'list' if t is not UvmSet else 'set'} of {len(items)}"
        name = "set" if t is UvmSet else "list"
        return name + "(" + ", ".join(describe_value(x, depth + 1) for x in items) + ")"
    if t is UvmDict:
        return f"a dictionary of {len(value)}"
    if t is UvmTree:
        return "a tree"
    if t is Block:
        return "a block"
    if t is Method:
        return f"a {value.language} method {value.selector}"
    from uvm.runtime.errors import UvmError
    if isinstance(value, UvmError):
        return f"an error: {value.message}"
    from uvm.runtime.send import Message
    if t is Message:
        return message_description(value)
    return python_description(value)


def message_description(message) -> str:
    """The reified message a ``doesNotUnderstand:`` receives."""
    return f"a message #{message.selector}"


def print_string(value) -> str:
    """``value printString`` for the runtime's own use (results, error messages): an
    object that does not understand ``printString`` (one without parents) is described,
    and a ``printString`` that answers something else than a string is printed in turn."""
    from uvm.runtime import send as send_mod
    if isinstance(value, UvmObject) and send_mod.lookup(value, "printString") is None:
        return describe(value)
    text = send_mod.send(value, "printString")
    return text if type(text) is str else describe_value(text)


def slot_summary(obj: UvmObject) -> list[tuple[str, str]]:
    """(slot, short value) pairs for inspecting an object."""
    rows = []
    for name, kind in obj._kinds.items():
        value = obj._slots[name]
        if type(value) is Method:
            shown = f"<{value.language} method>"
        elif isinstance(value, UvmObject):
            shown = describe(value)
        else:
            shown = repr(value)
        marker = "*" if kind & PARENT else ""
        arrow = "<-" if kind & ASSIGNABLE else "="
        rows.append((f"{name}{marker} {arrow}", shown))
    return rows


def in_message(value, width: int = 60) -> str:
    """A value as an error message shows it: its printString, or its description when
    that fails -- never the host's -- cut to ``width``."""
    try:
        s = print_string(value)
    except Exception:  # noqa: BLE001 -- an error message must not fail in turn
        s = describe_value(value)
    return s if len(s) <= width else s[:width - 3] + "..."
