"""Default printStrings: how values look when nothing more specific says otherwise."""
from __future__ import annotations

from uvm.runtime.objects import ASSIGNABLE, PARENT, Method, UvmObject
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
